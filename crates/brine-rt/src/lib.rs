//! `brine-rt`: the runtime library that `brine build` links into every
//! executable without the JIT (`--no-jit`, the default).
//!
//! It owns the process side of a built program: the `brine_rt_main` entry
//! that the generated `main` calls, the big stack the program runs on, and
//! the exit codes. Everything else is `brine-runtime`, including the
//! `extern "C"` helpers compiled code calls (unmangled `brine_*` symbols).
//!
//! An executable optimized ahead of time (`-O2`) also carries its module
//! (the IR's binary encoding, with the optimized versions of its functions
//! after them) and links the interpreter: a guard of optimized code that
//! fails finishes its activation there ([`AotEngine`]), and the function
//! goes on with its baseline code, which the executable has too.
//! `BRINE_PROFILE=1` reports where guards failed, at exit.
//!
//! It must not know the compiler: nothing of the front end, the IR's
//! passes or the code generator is linked into an executable, and nothing
//! maps memory that is both writable and executable.

use brine_interp::Interp;
use brine_ir::{FuncId, Function, StateId};
use brine_runtime::engine::{Engine, OsrEntry, tier};
use brine_runtime::image::{
    self, EXIT_INTERNAL, EXIT_RUNTIME, Image, STACK_MARGIN, STACK_SIZE, load_and_run,
};
use brine_runtime::object::{ObjClosure, ObjFunction};
use brine_runtime::{PendingError, Program, Runtime, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;

/// Runs the program described by `image` and returns the process exit code.
///
/// # Safety
/// `image` must point at the image `brine build` generated into this
/// executable (valid for the whole run).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_rt_main(image: *const Image) -> i32 {
    // Raw pointers are not Send; the image is static data, valid everywhere.
    let address = image as usize;
    image::on_program_thread(move || {
        // SAFETY: the caller's contract; the image lives for the whole program.
        let image = unsafe { &*(address as *const Image) };
        let mut rt = Runtime::new();
        rt.script_args = std::env::args_os().skip(1).map(|a| a.into_encoded_bytes()).collect();
        // SAFETY: the image was generated against this runtime, and this
        // thread has STACK_SIZE bytes of stack.
        let outcome = if image.ir.len == 0 {
            unsafe { load_and_run(&mut rt, image, STACK_SIZE - STACK_MARGIN) }
        } else {
            unsafe { run_optimized(&mut rt, image) }
        };
        if std::env::var_os("BRINE_PROFILE").is_some_and(|v| !v.is_empty() && v != "0") {
            let _ = std::io::stderr().lock().write_all(brine_runtime::notes_report(&rt).as_bytes());
        }
        match outcome {
            Ok(()) => 0,
            Err(error) => {
                // SAFETY: the image's bytes are static data of this executable.
                let map = brine_ir::SourceMap::decode(unsafe { image.debug.bytes() });
                let locate = |site| map.as_ref()?.locate(site);
                let choice = brine_diagnostics::Choice::from_env();
                let text = brine_diagnostics::render_runtime_error(&error, locate, choice);
                let _ = std::io::stderr().lock().write_all(&text);
                if error.internal { EXIT_INTERNAL } else { EXIT_RUNTIME }
            }
        }
    })
}

/// The engine of an executable optimized ahead of time: the interpreter,
/// for the activations whose guards fail.
struct AotEngine {
    program: Program,
    /// The optimized versions, in the image's order: the function each is
    /// a version of, and its IR (whose frame states the guards name).
    versions: Vec<(FuncId, Function)>,
    /// Every frame state, by the number its guard passes: (version, state).
    states: Vec<(u32, u32)>,
    /// Each function's baseline code and array entry.
    baseline: Vec<(*const u8, *const u8)>,
    /// Entries into baseline code at loop headers, by function and header.
    osr: HashMap<(u32, u32), OsrEntry>,
    /// The class link slots (`brine_ir::symbol::link`) of the image's
    /// link table.
    class_links: *const u64,
    /// With `BRINE_PROFILE=1`: each failed guard's function and line (of
    /// the operation it resumed), and how many times.
    deopts: Option<RefCell<Vec<(FuncId, u32, u32)>>>,
}

impl AotEngine {
    /// The `BRINE_PROFILE` report: where guards failed.
    fn report(&self) -> String {
        let Some(deopts) = &self.deopts else { return String::new() };
        let mut deopts = deopts.borrow().clone();
        deopts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
        let total: u32 = deopts.iter().map(|d| d.2).sum();
        let mut out =
            format!("== brine profile (-O2): {total} guards failed, in {} places ==\n", deopts.len());
        for (id, line, n) in deopts {
            let name = self.program.module.function(id).display_name();
            out.push_str(&format!("{name:<28} line {line:>5}  {n} x\n"));
        }
        out.push_str("(a function whose guard failed runs its baseline code from then on)\n");
        out
    }
}

impl Engine for AotEngine {
    fn specialize(&self, _rt: &mut Runtime, _f: Value, _consts: &[Value]) -> Result<Value, String> {
        Err("this executable has no JIT".into())
    }

    fn interpret(&self, rt: &mut Runtime, closure: *mut ObjClosure, this: Value, args: &[Value]) -> Value {
        Interp::new(rt, &self.program).call_closure(closure, this, args)
    }

    // The tier threshold is never reached: nothing re-compiles here.
    fn function_hot(&self, _rt: &mut Runtime, function: *mut ObjFunction) {
        // SAFETY: the runtime passes a live prototype.
        unsafe { (*function).counter = 0 };
    }

    /// A loop of an activation that a failed guard sent here: back to
    /// native code, the function's baseline code, at the loop's header
    /// (the threshold is 0: at the first back edge).
    fn loop_hot(&self, _rt: &mut Runtime, function: *mut ObjFunction, block: u32) -> Option<OsrEntry> {
        // SAFETY: the runtime passes a live prototype.
        unsafe {
            (*function).counter = 0;
            self.osr.get(&((*function).func_id, block)).copied()
        }
    }

    fn deopt(&self, rt: &mut Runtime, function: *mut ObjFunction, state: u32, values: *const Value) -> Value {
        let Some(&(version, local)) = self.states.get(state as usize) else {
            return rt.raise_internal(format!("a guard named the unknown frame state {state}"));
        };
        let (id, func) = &self.versions[version as usize];
        if let Some(deopts) = &self.deopts {
            let (fid, inst) = brine_interp::deopt::resume_point(&self.program, *id, func, StateId(local));
            let f = self.program.module.function(fid);
            let line = self.program.module.inst_line(f, &f.inst(inst).kind);
            let mut deopts = deopts.borrow_mut();
            match deopts.iter_mut().find(|d| (d.0, d.1) == (fid, line)) {
                Some(d) => d.2 += 1,
                None => deopts.push((fid, line, 1)),
            }
        }
        // The guess was wrong: from now on the function runs its baseline code.
        let (code, entry) = self.baseline[id.index()];
        // SAFETY: the guard passes its function's live prototype; the
        // baseline code was compiled for it.
        unsafe {
            (*function).code = code;
            (*function).entry = entry;
            (*function).tier = tier::BASELINE;
        }
        // SAFETY: the guard passed every state's values, innermost state
        // first; the links are the image's.
        unsafe {
            brine_interp::deopt::resume(
                rt,
                &self.program,
                *id,
                func,
                StateId(local),
                values,
                self.class_links,
            )
        }
    }

    fn baseline_hot(&self, _rt: &mut Runtime, _function: *mut ObjFunction) {}

    fn baseline_loop_hot(&self, _: &mut Runtime, _: *mut ObjFunction, _: u32, _: *const Value) -> Value {
        Value::UNDEF
    }
}

fn internal(message: String) -> PendingError {
    PendingError::new(message, true)
}

/// Runs an image that carries its module: decodes it, links the image to
/// it and runs the script with an [`AotEngine`] installed.
///
/// # Safety
/// As [`load_and_run`].
unsafe fn run_optimized(rt: &mut Runtime, image: &Image) -> Result<(), PendingError> {
    // SAFETY: the caller's contract: the image's tables are static data.
    let (bytes, version_ids, functions) = unsafe {
        let versions = if image.nversions == 0 {
            &[][..]
        } else {
            std::slice::from_raw_parts(image.versions, image.nversions as usize)
        };
        (image.ir.bytes(), versions, std::slice::from_raw_parts(image.functions, image.nfunctions as usize))
    };
    let mut module = brine_ir::binary::decode(bytes).map_err(|e| {
        internal(format!(
            "this executable cannot start: its program is {e}; build it again with `brine build`"
        ))
    })?;
    let n = image.nfunctions as usize;
    if module.functions.len() != n + version_ids.len() {
        return Err(internal("the program's IR does not match its code".into()));
    }
    let optimized = module.functions.split_off(n);
    let versions: Vec<(FuncId, Function)> = version_ids.iter().map(|&id| FuncId(id)).zip(optimized).collect();
    let mut states = Vec::new();
    for (k, (_, f)) in versions.iter().enumerate() {
        states.extend((0..f.states.len() as u32).map(|s| (k as u32, s)));
    }
    let mut program = Program::new();
    program.module = module;
    // SAFETY: the image's caches are zeroed data of this executable that
    // only its code and this program use.
    unsafe { program.use_caches(image.caches, image.ncaches as usize) };
    program.sync(rt);
    // SAFETY: the caller's contract; the module is the image's own.
    unsafe { image::link_program(image, &program)? };
    let baseline = functions.iter().map(|f| (f.baseline_code, f.baseline_entry)).collect();
    // SAFETY: the caller's contract; each entry was compiled with the
    // signature of `OsrEntry`.
    let osr = unsafe {
        let entries = if image.nosr == 0 {
            &[][..]
        } else {
            std::slice::from_raw_parts(image.osr, image.nosr as usize)
        };
        entries
            .iter()
            .map(|e| ((e.function, e.block), std::mem::transmute::<*const u8, OsrEntry>(e.entry)))
            .collect()
    };
    let script = program.function_object(FuncId(image.script as u32));
    let class_links = image.class_links();
    let report = std::env::var_os("BRINE_PROFILE").is_some_and(|v| !v.is_empty() && v != "0");
    let deopts = report.then(|| RefCell::new(Vec::new()));
    let engine = Box::new(AotEngine { program, versions, states, baseline, osr, class_links, deopts });
    rt.engine = Some(&*engine as &dyn Engine as *const dyn Engine);
    // An interpreted activation (one a guard sent to the interpreter)
    // returns to native code at its first back edge.
    rt.tier_threshold = 0;
    rt.deopt_countdown = deopt_stress();
    // SAFETY: the code was compiled against this runtime, this thread has
    // STACK_SIZE bytes of stack, and the engine lives until the run ends.
    let outcome = unsafe { image::run_script(rt, script, STACK_SIZE - STACK_MARGIN) };
    rt.engine = None;
    if report {
        let _ = std::io::stderr().lock().write_all(engine.report().as_bytes());
    }
    drop(engine);
    outcome
}

/// `BRINE_DEOPT_STRESS`, for code built with it compiled in (0: off).
fn deopt_stress() -> u64 {
    std::env::var("BRINE_DEOPT_STRESS").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}
