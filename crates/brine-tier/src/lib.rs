//! `brine-tier`: the pipeline as a library, from an IR module to a running
//! program, and the tier manager.
//!
//! It owns the [`Session`] (a runtime, its loaded [`Program`] and the
//! engine that runs it), the choice of engine and tiering ([`Options`]),
//! the tier manager (the runtime's [`brine_runtime::engine::Engine`]: it
//! compiles hot functions and loops and installs their code), the perf map,
//! and the ahead-of-time path (`build`: an object file linked with the
//! runtime library). The CLI, the REPL, tests and an embedding all drive
//! Brine through it.
//!
//! It must not know Lox syntax: its input is an IR module that the front
//! end (or a decoder) made.

mod aot;
mod manager;
mod perf_map;
mod profile;
mod specialize;

pub use aot::{BuildError, BuildOptions, Built, ahead_of_time_ir, build_executable, runtime_library};
pub use manager::FunctionStats;

use brine_interp::Interp;
use brine_ir::FuncId;
use brine_runtime::{PendingError, Program, Runtime, Value};
use manager::Manager;

pub use manager::MAX_OPTIMIZATIONS;

/// Stack for the thread that runs a program: deep Lox recursion (100,000
/// frames) must fit.
pub const STACK_SIZE: usize = 256 << 20;
/// Headroom kept below the "Stack overflow." limit for Rust code that runs
/// between two checks (runtime helpers, printing, the collector).
const STACK_MARGIN: usize = 4 << 20;

/// The default tier-up threshold: calls plus loop iterations of a function
/// in the interpreter before it gets baseline code.
pub const DEFAULT_THRESHOLD: u32 = 1000;

/// Which engines run the program.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The IR interpreter only: no native code.
    Interp,
    /// Baseline native code for every function, compiled on its first call.
    Baseline,
    /// Start in the interpreter; compile hot functions and loops.
    Tiered,
}

/// How a run executes.
#[derive(Clone, Debug)]
pub struct Options {
    pub mode: Mode,
    /// Tier-up threshold (`Mode::Tiered`): calls plus loop iterations.
    pub threshold: u32,
    /// Write `/tmp/perf-PID.map` for `perf report`.
    pub perf_map: bool,
    /// Count calls in native code too, for [`Session::profile_report`].
    pub profile: bool,
    /// `BRINE_DEOPT_STRESS=N`: every Nth guard check of optimized code
    /// fails, so deoptimization happens everywhere (0: off).
    pub deopt_stress: u64,
    /// The script's arguments, for `args()`.
    pub args: Vec<Vec<u8>>,
}

impl Options {
    /// Options for `mode`, with the tiering settings of the environment:
    /// `BRINE_TIER=eager` (a threshold of zero: everything is compiled before
    /// it first runs) and `BRINE_TIER_THRESHOLD=N`.
    pub fn new(mode: Mode) -> Result<Options, String> {
        let mut threshold = DEFAULT_THRESHOLD;
        if let Some(v) = std::env::var_os("BRINE_TIER_THRESHOLD") {
            threshold = parse_threshold(&v.to_string_lossy())?;
        }
        match std::env::var("BRINE_TIER").as_deref() {
            Ok("eager") => threshold = 0,
            Ok("") | Ok("lazy") | Err(_) => {}
            Ok(other) => return Err(format!("BRINE_TIER must be 'eager' or 'lazy', not '{other}'")),
        }
        let deopt_stress = match std::env::var("BRINE_DEOPT_STRESS") {
            Ok(v) if !v.is_empty() => v
                .trim()
                .parse()
                .map_err(|_| format!("BRINE_DEOPT_STRESS must be a whole number of guards, not '{v}'"))?,
            _ => 0,
        };
        Ok(Options { mode, threshold, perf_map: false, profile: false, deopt_stress, args: Vec::new() })
    }
}

/// Parses a tier-up threshold.
pub fn parse_threshold(text: &str) -> Result<u32, String> {
    text.trim().parse().map_err(|_| format!("a tier threshold is a whole number of calls, not '{text}'"))
}

/// How a run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// A Lox runtime error (already printed).
    RuntimeError,
    /// A bug in Brine (already printed, said to be internal).
    InternalError,
}

/// A program being run: its runtime, its program and the engine's state.
/// The REPL keeps one for the whole session.
pub struct Session {
    pub rt: Runtime,
    pub program: Program,
    /// How [`Session::execute`] prints a runtime error (the classic format,
    /// [`print_runtime_error`], unless the caller renders it richly).
    pub error_printer: ErrorPrinter,
    options: Options,
    manager: Manager,
}

/// Prints a runtime error of a program of `module` (whose sources and sites
/// say where it happened).
pub type ErrorPrinter = fn(module: &brine_ir::Module, error: &PendingError);

impl Session {
    pub fn new(options: Options) -> Result<Session, String> {
        let config = manager::Config {
            native: options.mode != Mode::Interp,
            optimize: options.mode == Mode::Tiered,
            perf_map: options.perf_map,
            count_calls: options.profile,
            deopt_stress: options.deopt_stress,
        };
        let manager = Manager::new(&config)?;
        let mut rt = Runtime::new();
        rt.script_args = options.args.clone();
        let error_printer: ErrorPrinter = |_, error| print_runtime_error(error);
        Ok(Session { rt, program: Program::new(), error_printer, options, manager })
    }

    /// Runs the script `script` of the session's module. A runtime error is
    /// printed (message and trace) and the session stays usable.
    pub fn execute(&mut self, script: FuncId) -> Outcome {
        self.program.sync(&mut self.rt);
        self.manager.prepare(&self.program);
        self.rt.tier_threshold = match self.options.mode {
            Mode::Interp => u32::MAX,
            Mode::Baseline => 0,
            Mode::Tiered => self.options.threshold,
        };
        self.manager.program.set(&self.program);
        let engine: &dyn brine_runtime::engine::Engine = &self.manager;
        self.rt.engine = Some(engine as *const _);
        self.rt.deopt_countdown = self.options.deopt_stress;
        set_stack_limit(&mut self.rt);
        let closure = self.rt.new_closure(self.program.function_object(script));
        // The closure is on the interpreter's stack before anything allocates.
        let result = Interp::new(&mut self.rt, &self.program).call_closure(closure, Value::NIL, &[]);
        self.rt.engine = None;
        self.rt.out.flush();
        let error = self.rt.take_error();
        if let Some(internal) = self.manager.internal_error.borrow_mut().take() {
            print_internal_error(&internal);
            return Outcome::InternalError;
        }
        match error {
            Some(error) if result.is_error() => {
                (self.error_printer)(&self.program.module, &error);
                if error.internal { Outcome::InternalError } else { Outcome::RuntimeError }
            }
            _ => Outcome::Ok,
        }
    }

    /// Links a built executable's `image` to this session, whose module
    /// must be the one decoded from the image's IR, before anything of it
    /// is loaded: the program uses the image's inline caches, and every
    /// function starts on the image's baseline code, which counts toward
    /// the tier threshold and hands hot functions to the tier manager.
    ///
    /// # Safety
    /// `image` is the image of this executable (its code was compiled from
    /// this module, against this runtime), valid for the whole run.
    pub unsafe fn link_image(&mut self, image: &brine_runtime::image::Image) -> Result<(), String> {
        if image.ncaches as usize != self.program.module.sites.len() {
            return Err("the program's IR does not match its code (another number of sites)".into());
        }
        // SAFETY: the caller's contract: the image's caches are zeroed data
        // of this executable that only its code and this program use.
        unsafe { self.program.use_caches(image.caches, image.ncaches as usize) };
        self.program.sync(&mut self.rt);
        self.manager.prepare(&self.program);
        // SAFETY: the caller's contract.
        unsafe { brine_runtime::image::link_program(image, &self.program) }.map_err(|e| e.message)?;
        for s in self.manager.stats.borrow_mut().iter_mut() {
            s.tier = brine_runtime::engine::tier::BASELINE;
        }
        Ok(())
    }

    /// Takes the optimized versions of an executable built with `-O2
    /// --jit` (after [`Session::link_image`]), whose code the image gives
    /// its functions: a failed guard of one deoptimizes as one this
    /// session compiled would.
    ///
    /// # Safety
    /// `versions` are the image's, in its order, compiled from this
    /// session's module; `class_links` points at the image's class link
    /// slots.
    pub unsafe fn adopt_versions(
        &mut self,
        versions: Vec<(FuncId, brine_ir::Function)>,
        class_links: *const u64,
    ) {
        self.manager.adopt(&self.program, versions, class_links);
    }

    /// What the tier manager recorded of each function, by function id.
    pub fn function_stats(&self) -> Vec<FunctionStats> {
        self.manager.stats.borrow().clone()
    }

    /// The IR of every optimized version compiled so far, as text: for each,
    /// a comment naming the function, then the function as `brine emit ir`
    /// prints it (with the frame states of its guards); then the residual
    /// functions of `brine.specialize`, the same way.
    pub fn optimized_ir(&self) -> String {
        let mut out = String::new();
        for (n, (id, func)) in self.manager.optimized().into_iter().enumerate() {
            let text = brine_ir::printer::detached_function_text(&self.program.module, &func);
            out.push_str(&format!("; optimized version {n} of {id} {}\n{text}\n", func.display_name()));
        }
        for (n, (id, func)) in self.manager.specialized.borrow().iter().enumerate() {
            let text = brine_ir::printer::detached_function_text(&self.program.module, func);
            out.push_str(&format!(
                "; specialized function {n} of {id} {} (brine.specialize)\n{text}\n",
                func.display_name()
            ));
        }
        out
    }

    /// What this session's runs observed, as a profile of its module for
    /// `brine build -O2 --use-profile`: every arithmetic and comparison
    /// site's operand kinds, and the function of every call site that
    /// called one.
    pub fn saved_profile(&self) -> brine_opt::whole_program::Profile {
        use brine_ir::InstKind;
        use brine_opt::{CallTarget, Oracle};
        let module = &self.program.module;
        let observed = manager::Observations(&self.program);
        let mut profile = brine_opt::whole_program::Profile {
            module: brine_opt::whole_program::module_hash(module),
            ..Default::default()
        };
        for f in &module.functions {
            for &b in &f.layout {
                for &i in &f.block(b).insts {
                    match f.inst(i).kind {
                        InstKind::Binary { site, .. } | InstKind::Unary { site, .. } => {
                            let o = observed.operands(site);
                            if o.numbers || o.other {
                                profile.operands.push((site, o));
                            }
                        }
                        InstKind::Call { site, .. } => {
                            if let Some(CallTarget::Function(m)) = observed.callee(site) {
                                profile.calls.push((site, m.func));
                            }
                        }
                        InstKind::GetProp { site, .. }
                        | InstKind::SetProp { site, .. }
                        | InstKind::Invoke { site, .. } => {
                            let shapes: Vec<u64> = match f.inst(i).kind {
                                InstKind::Invoke { .. } => match observed.method(site) {
                                    Some(m) => vec![m.shape],
                                    None => observed.methods(site).iter().map(|m| m.shape).collect(),
                                },
                                _ => match observed.field(site) {
                                    Some(field) => vec![field.shape],
                                    None => observed.fields(site).iter().map(|field| field.shape).collect(),
                                },
                            };
                            let described: Option<Vec<_>> =
                                shapes.iter().map(|&shape| self.describe_shape(shape)).collect();
                            for (global, fields) in described.unwrap_or_default() {
                                profile.shapes.push((site, global, fields));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        // Counts say which functions ran only when every function's first
        // call is counted: in the interpreter (every call while it is
        // there), or in native code that counts calls (`--profile`). Else
        // (`--no-tier`, `BRINE_TIER=eager`) the profile has none, and a
        // build from it optimizes every function.
        let counted = self.options.profile
            || self.options.mode == Mode::Interp
            || (self.options.mode == Mode::Tiered && self.options.threshold > 0);
        for (i, &function) in self.program.function_objects().iter().enumerate().filter(|_| counted) {
            // SAFETY: the program's prototypes are live (its constants).
            let n = unsafe { (*function).calls + (*function).loops };
            if n > 0 {
                profile.counts.push((FuncId::new(i), n));
            }
        }
        profile.operands.sort_by_key(|&(site, _)| site.0);
        profile.calls.sort_by_key(|&(site, _)| site.0);
        profile.shapes.sort_by_key(|(site, _, _)| site.0);
        profile
    }

    /// A shape (its address, from an inline cache) as a profile names it:
    /// the global that holds its class, and its fields in order; None if
    /// no global holds the class or a field's name is none of the
    /// module's strings.
    fn describe_shape(&self, shape: u64) -> Option<(brine_ir::GlobalId, Vec<brine_ir::StrId>)> {
        let shape = shape as *mut brine_runtime::object::ObjShape;
        // SAFETY: the caches' shapes are live (see `manager::Observations`).
        let class = Value::object(unsafe { (*shape).class });
        let slots = self.program.global_slots();
        let global = slots.iter().position(|&slot| self.rt.globals.get(slot as usize) == Some(&class))?;
        let module = &self.program.module;
        let fields = self
            .rt
            .shape_field_names(shape)
            .into_iter()
            .map(|name| module.string_id(self.rt.str_bytes(name)?))
            .collect::<Option<Vec<_>>>()?;
        Some((brine_ir::GlobalId::new(global), fields))
    }

    /// The `--profile` report of everything run so far.
    pub fn profile_report(&self) -> String {
        profile::report(&self.program, &self.manager.stats.borrow()) + &brine_runtime::notes_report(&self.rt)
    }
}

/// Sets the "Stack overflow." limit for a run that starts in the caller's frame.
#[inline(always)]
fn set_stack_limit(rt: &mut Runtime) {
    let marker = 0u8;
    let here = std::ptr::addr_of!(marker) as usize;
    rt.stack_limit = here.saturating_sub(STACK_SIZE - STACK_MARGIN);
}

/// Prints a runtime error: the message and the trace.
pub fn print_runtime_error(error: &PendingError) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(error.report().as_bytes());
}

/// Prints an internal error (a bug in Brine).
pub fn print_internal_error(message: &str) {
    eprintln!("brine: internal error: {message}");
}

/// Which stage `emit` shows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    Clif,
    Asm,
}

/// The baseline code of every function of `program`'s module, as Cranelift
/// IR or disassembled machine code. Native code embeds the runtime objects
/// of the program's constants, so the program is loaded into a runtime.
pub fn emit(program: &mut Program, stage: Stage) -> Result<String, String> {
    let functions = 0..program.module.functions.len();
    emit_functions(program, &mut Runtime::new(), stage, functions)
}

/// The baseline code of the functions with ids in `functions` of a
/// session's module (the REPL's `:asm` of one entry), as [`emit`] shows
/// each. The module's new parts are loaded into the session's own runtime
/// first (as [`Session::execute`] does), so the code names the session's
/// constants; nothing runs.
pub fn emit_session_functions(
    session: &mut Session,
    stage: Stage,
    functions: std::ops::Range<usize>,
) -> Result<String, String> {
    emit_functions(&mut session.program, &mut session.rt, stage, functions)
}

fn emit_functions(
    program: &mut Program,
    rt: &mut Runtime,
    stage: Stage,
    functions: std::ops::Range<usize>,
) -> Result<String, String> {
    program.sync(rt);
    let links = brine_codegen::jit::JitLinks {
        strings: program.strings(),
        functions: program.function_objects(),
        globals: program.global_slots(),
        caches: program.caches(),
        class_links: std::ptr::null(),
    };
    match stage {
        Stage::Clif => brine_codegen::emit::clif_text_of(&program.module, &links, functions),
        Stage::Asm => brine_codegen::emit::asm_text_of(&program.module, &links, functions),
    }
}
