//! The tier manager: the [`Engine`] a run installs into its runtime.
//!
//! Every function starts in the interpreter: its code slot holds the
//! interpreter stub of its arity, so compiled callers reach it there. The
//! interpreter counts calls and loop iterations in the function prototype,
//! and records the operands of arithmetic and comparisons. At the threshold
//! the manager compiles the function and patches its code slot, so every
//! later call, from any engine, runs native code:
//!
//! - in tiered mode, *optimized* code: `brine-opt` specializes the IR from
//!   what the interpreter observed (guarded f64 arithmetic), and Cranelift
//!   compiles it at `opt_level=speed`;
//! - with `--no-tier`, or for a function the optimizer declines or that has
//!   deoptimized [`MAX_OPTIMIZATIONS`] times, baseline code.
//!
//! A hot loop in a running interpreter frame moves to that code through an
//! on-stack-replacement entry at its header. A guard that fails calls
//! [`Engine::deopt`]: the manager rebuilds the interpreter frame from the
//! guard's frame state, finishes the activation in the interpreter, and
//! sends the function back to the interpreter to gather new observations
//! before it is compiled again.
//!
//! Compilation failures are internal errors: the function stays in the
//! interpreter (so the program's output is still right), and the run ends
//! with the error reported as internal.

use crate::perf_map::PerfMap;
use brine_codegen::jit::{Code, FunctionCode, Jit, JitLinks, Level};
use brine_codegen::osr::OsrRegion;
use brine_interp::Interp;
use brine_ir::{Block, FuncId, Function, SiteId};
use brine_runtime::abi::offsets;
use brine_runtime::engine::{Engine, OsrEntry, tier};
use brine_runtime::ic::{self, IcEntry};
use brine_runtime::object::{ObjClass, ObjClosure, ObjFunction, ObjKind};
use brine_runtime::program::feedback;
use brine_runtime::{Program, Runtime, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How many times a function is optimized before it settles for baseline
/// code: each deoptimization sends it back to the interpreter, and the
/// next optimization no longer speculates where the guard failed.
pub const MAX_OPTIMIZATIONS: u32 = 4;

/// A function that got hot in ahead-of-time baseline code is profiled in
/// the interpreter for the tier threshold divided by this many calls plus
/// loop iterations.
const PROFILE_AFTER_AOT: u32 = 4;

/// What the manager records of one function, for `--profile`.
#[derive(Clone, Debug, Default)]
pub struct FunctionStats {
    /// The best tier its code slot has held.
    pub tier: u8,
    /// Time spent compiling it (its OSR entries included).
    pub compile_time: Duration,
    /// How many on-stack replacements entered its native code.
    pub osr_entries: u32,
    /// How many times it was optimized.
    pub optimizations: u32,
    /// Deoptimizations, by the source line of the operation whose guard
    /// failed.
    pub deopts: Vec<(u32, &'static str, u32)>,
    /// Why the optimizer declined it, if it did.
    pub declined: Option<String>,
    /// How many optimized versions of functions inlined a call of it.
    pub inlined: u32,
    /// Its ahead-of-time baseline code got hot, and it went to the
    /// interpreter to be profiled (a `--jit` executable).
    pub profiled_aot: bool,
}

/// One optimized version of a function.
struct Version {
    id: FuncId,
    func: Rc<Function>,
    /// The number its first frame state goes by in [`Manager::states`].
    first_state: u32,
}

pub(crate) struct Manager {
    /// The program being run. Set by `Session::execute` for the duration of
    /// a run, while this manager is installed as the runtime's engine.
    pub program: Cell<*const Program>,
    /// None when the run has no native code (`--engine=interp`).
    jit: Option<RefCell<Jit>>,
    /// The optimizing JIT; None when the run does not optimize.
    opt_jit: Option<RefCell<Jit>>,
    /// OSR entries by function, loop header and version (`u32::MAX` for
    /// baseline code).
    osr: RefCell<HashMap<(u32, u32, u32), OsrEntry>>,
    /// Every optimized version compiled.
    versions: RefCell<Vec<Version>>,
    /// The version each function's code slot holds, while it holds one.
    current: RefCell<HashMap<u32, u32>>,
    /// Every frame state of optimized code, by the number its guards pass
    /// to `brine_deopt`: (version, state index).
    states: RefCell<Vec<(u32, u32)>>,
    /// The class link slots of an executable optimized ahead of time
    /// (`-O2 --jit`), which its versions' frame states name shapes by
    /// (`brine_ir::symbol::link`); null otherwise.
    class_links: Cell<*const u64>,
    pub stats: RefCell<Vec<FunctionStats>>,
    /// The residual functions `brine.specialize` compiled, each with the
    /// IR function it specializes (for `emit opt-ir`).
    pub specialized: RefCell<Vec<(FuncId, Rc<Function>)>>,
    /// The module's unchanging globals (`brine_opt::whole_program`), what
    /// `brine.specialize` may fold, found at the first request; with the
    /// number of functions the module had then (a REPL entry adds more).
    pub unchanging: RefCell<Option<(usize, Rc<std::collections::HashSet<brine_ir::GlobalId>>)>>,
    /// The first internal error (a compilation that failed), reported when
    /// the run ends.
    pub internal_error: RefCell<Option<String>>,
    perf_map: Option<RefCell<PerfMap>>,
    /// `BRINE_FAULT=compile`: every compilation fails, as a bug in the code
    /// generator would (to test how internal errors are reported).
    fault: bool,
}

/// What a guard that resumes the interpreter at an instruction of `kind`
/// checked (speculation puts a guard's resume point at the operation it
/// speculated on).
fn deopt_reason(kind: &brine_ir::InstKind) -> &'static str {
    use brine_ir::InstKind::*;
    match kind {
        Binary { .. } | Unary { .. } => "a number guard failed (the operands were not numbers)",
        GetProp { .. } | SetProp { .. } => "a shape guard failed (an object of another shape)",
        Invoke { .. } => "a shape guard failed (a receiver of another shape)",
        Call { .. } => "a callee guard failed (another function or class was called)",
        SuperInvoke { .. } => "a superclass guard failed (another superclass)",
        // LICM's guards resume at the jump into the loop.
        _ => "a guard moved before a loop failed",
    }
}

/// The method a closure value is, on instances of `shape`.
///
/// # Safety
/// `closure` is a live closure.
unsafe fn closure_method(closure: Value, shape: u64) -> brine_opt::Method {
    // SAFETY: the caller's contract; a live closure's prototype is live.
    unsafe { function_method((*closure.as_ptr::<ObjClosure>()).function, closure.0, shape) }
}

/// A method of prototype `function`, whose closure has the bits `closure`
/// (0: closures of it, not one), on instances of `shape`.
///
/// # Safety
/// `function` is a live prototype.
unsafe fn function_method(function: *mut ObjFunction, closure: u64, shape: u64) -> brine_opt::Method {
    // SAFETY: the caller's contract.
    unsafe {
        brine_opt::Method {
            shape,
            closure,
            function: function as u64,
            func: FuncId((*function).func_id),
            arity: (*function).arity,
        }
    }
}

/// The field a property site's cache entry found.
fn field_of(entry: &IcEntry) -> Option<brine_opt::Field> {
    let shape = entry.key as u64;
    let shape_after = if entry.extra.is_null() { shape } else { entry.extra as u64 };
    Some(brine_opt::Field { shape, offset: u32::try_from(entry.data).ok()?, shape_after })
}

/// What the optimizer may ask of the running program.
///
/// Every object a cache entry names is kept alive by the runtime's
/// constants (`Runtime::keep`, when the entry is recorded): a property
/// site's keys are shapes; an invoke's, shapes with closures as data; a
/// super invoke's, classes with closures; a call's, function prototypes
/// or classes, with closures or classes (`Runtime::record_call_target`).
pub(crate) struct Observations<'a>(pub(crate) &'a Program);

impl Observations<'_> {
    /// The entries the cache of `site` has filled: none once it has gone
    /// megamorphic.
    fn entries(&self, site: SiteId) -> &[IcEntry] {
        let Some(&cache) = self.0.caches().get(site.index()) else { return &[] };
        // SAFETY: a program's caches live as long as it does; nothing
        // writes them while the optimizer runs.
        let cache = unsafe { &*cache };
        cache.entries.get(..cache.state as usize).unwrap_or(&[])
    }

    /// The one entry of a site that has seen one key.
    fn monomorphic(&self, site: SiteId) -> Option<&IcEntry> {
        match self.entries(site) {
            [only] => Some(only),
            _ => None,
        }
    }

    /// `m`, if its prototype is the program's for its IR function: not one
    /// `brine.specialize` made (which names the IR function it
    /// specializes, of other parameters, and must not be inlined as it).
    fn own(&self, m: brine_opt::Method) -> Option<brine_opt::Method> {
        let own = self.0.function_objects().get(m.func.index()).is_some_and(|&f| f as u64 == m.function);
        own.then_some(m)
    }

    /// The entries of a site that has seen a few keys (two or more, but
    /// not too many for its cache).
    fn polymorphic(&self, site: SiteId) -> &[IcEntry] {
        let entries = self.entries(site);
        if entries.len() >= 2 { entries } else { &[] }
    }
}

impl brine_opt::Oracle for Observations<'_> {
    fn operands(&self, site: SiteId) -> brine_opt::Operands {
        let bits = self.0.operand_feedback(site);
        brine_opt::Operands { numbers: bits & feedback::NUMBERS != 0, other: bits & feedback::OTHER != 0 }
    }

    fn field(&self, site: SiteId) -> Option<brine_opt::Field> {
        field_of(self.monomorphic(site)?)
    }

    fn fields(&self, site: SiteId) -> Vec<brine_opt::Field> {
        self.polymorphic(site).iter().map(field_of).collect::<Option<Vec<_>>>().unwrap_or_default()
    }

    fn callee(&self, site: SiteId) -> Option<brine_opt::CallTarget> {
        let entry = self.monomorphic(site)?;
        let callee = Value(entry.data);
        // SAFETY: the entry's objects are live (see `Observations`).
        unsafe {
            if callee.is_kind(ObjKind::Class) {
                let init = (*callee.as_ptr::<ObjClass>()).init;
                let init = init.is_kind(ObjKind::Closure).then(|| closure_method(init, 0));
                return Some(brine_opt::CallTarget::Class {
                    class: callee.0,
                    init: init.and_then(|m| self.own(m)),
                });
            }
            let function = entry.key as *mut ObjFunction;
            Some(brine_opt::CallTarget::Function(self.own(function_method(function, entry.data, 0))?))
        }
    }

    fn method(&self, site: SiteId) -> Option<brine_opt::Method> {
        let entry = self.monomorphic(site)?;
        let closure = Value(entry.data);
        // SAFETY: the entry's objects are live (see `Observations`).
        closure
            .is_kind(ObjKind::Closure)
            .then(|| unsafe { closure_method(closure, entry.key as u64) })
            .and_then(|m| self.own(m))
    }

    fn methods(&self, site: SiteId) -> Vec<brine_opt::Method> {
        let entries = self.polymorphic(site);
        if entries.iter().any(|e| !Value(e.data).is_kind(ObjKind::Closure)) {
            return Vec::new();
        }
        // SAFETY: the entries' objects are live (see `Observations`).
        entries
            .iter()
            .map(|e| self.own(unsafe { closure_method(Value(e.data), e.key as u64) }))
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default()
    }

    fn index(&self, site: SiteId) -> Option<brine_opt::IndexTarget> {
        let entry = self.monomorphic(site)?;
        if entry.key == ic::NOT_AN_INSTANCE || entry.data == ic::INDEX_OTHER {
            return None;
        }
        if entry.data == ic::INDEX_LIST {
            // `Runtime::list_shape`: `$items` and `$len` inline, in slots 0 and 1.
            let items = offsets::INSTANCE_SLOTS as u32;
            return Some(brine_opt::IndexTarget::List { shape: entry.key as u64, items, len: items + 8 });
        }
        let method = Value(entry.data);
        // SAFETY: the entry's objects are live (see `Observations`).
        method
            .is_kind(ObjKind::Closure)
            .then(|| unsafe { closure_method(method, entry.key as u64) })
            .and_then(|m| self.own(m))
            .map(brine_opt::IndexTarget::Map)
    }

    fn super_method(&self, site: SiteId) -> Option<(u64, brine_opt::Method)> {
        let entry = self.monomorphic(site)?;
        let closure = Value(entry.data);
        if !closure.is_kind(ObjKind::Closure) {
            return None;
        }
        let class = Value::object(entry.key as *mut ObjClass);
        // SAFETY: the entry's objects are live (see `Observations`).
        Some((class.0, self.own(unsafe { closure_method(closure, 0) })?))
    }
}

/// The settings of a manager.
pub(crate) struct Config {
    /// Native code at all (else the interpreter only).
    pub native: bool,
    /// Optimize hot functions (else baseline code only).
    pub optimize: bool,
    pub perf_map: bool,
    pub count_calls: bool,
    /// `BRINE_DEOPT_STRESS`: every Nth guard check fails (0: off).
    pub deopt_stress: u64,
}

impl Manager {
    pub fn new(config: &Config) -> Result<Manager, String> {
        let make = |level| -> Result<RefCell<Jit>, String> {
            let mut jit = Jit::new(level)?;
            jit.count_calls = config.count_calls;
            jit.deopt_stress = config.deopt_stress;
            Ok(RefCell::new(jit))
        };
        let jit = if config.native { Some(make(Level::Baseline)?) } else { None };
        let opt_jit = if config.native && config.optimize { Some(make(Level::Optimized)?) } else { None };
        let perf_map =
            if config.perf_map && config.native { Some(RefCell::new(PerfMap::create()?)) } else { None };
        Ok(Manager {
            program: Cell::new(std::ptr::null()),
            jit,
            opt_jit,
            osr: RefCell::new(HashMap::new()),
            versions: RefCell::new(Vec::new()),
            current: RefCell::new(HashMap::new()),
            states: RefCell::new(Vec::new()),
            class_links: Cell::new(std::ptr::null()),
            stats: RefCell::new(Vec::new()),
            specialized: RefCell::new(Vec::new()),
            unchanging: RefCell::new(None),
            internal_error: RefCell::new(None),
            perf_map,
            fault: std::env::var_os("BRINE_FAULT").is_some_and(|v| v == "compile"),
        })
    }

    pub(crate) fn program(&self) -> &Program {
        // SAFETY: set by `Session::execute` to its program before this
        // manager is installed, and that program outlives the run (the
        // session owns both; nothing changes the program during a run).
        unsafe { &*self.program.get() }
    }

    /// Takes the versions an executable optimized ahead of time carries
    /// (`-O2 --jit`), whose code its functions' code slots hold, as if
    /// this manager had compiled them, before any other: their frame
    /// states are numbered from 0 in this order, as their guards pass
    /// them. A failed guard then finishes in the interpreter, which
    /// profiles the function for the optimizer, as for code compiled here.
    /// `class_links` are the executable's class link slots.
    pub fn adopt(&self, program: &Program, versions: Vec<(FuncId, Function)>, class_links: *const u64) {
        debug_assert!(self.versions.borrow().is_empty(), "adopted versions come first");
        self.class_links.set(class_links);
        for (id, func) in versions {
            let version = self.versions.borrow().len() as u32;
            let first_state = self.states.borrow().len() as u32;
            self.states.borrow_mut().extend((0..func.states.len() as u32).map(|s| (version, s)));
            self.versions.borrow_mut().push(Version { id, func: Rc::new(func), first_state });
            self.current.borrow_mut().insert(id.0, version);
            // SAFETY: the program's prototypes are live (its constants).
            unsafe { (*program.function_object(id)).tier = tier::OPTIMIZED };
            self.with_stats(id, |s| {
                s.tier = tier::OPTIMIZED;
                s.optimizations += 1;
            });
        }
    }

    /// Points the code slot of every function loaded since the last call at
    /// its interpreter stub.
    pub fn prepare(&self, program: &Program) {
        let Some(jit) = &self.jit else { return };
        let mut stats = self.stats.borrow_mut();
        let first = stats.len();
        stats.resize(program.function_objects().len(), FunctionStats::default());
        for &function in &program.function_objects()[first..] {
            // SAFETY: the program's prototypes are live (its constants).
            unsafe {
                match jit.borrow_mut().interp_stub((*function).arity as usize) {
                    Ok(stub) => (*function).code = stub,
                    Err(e) => self.fail(format!("cannot make an interpreter stub: {e}")),
                }
            }
        }
    }

    /// Every optimized version compiled so far, in order: the function it
    /// is a version of, and its IR.
    pub fn optimized(&self) -> Vec<(FuncId, Rc<Function>)> {
        self.versions.borrow().iter().map(|v| (v.id, Rc::clone(&v.func))).collect()
    }

    pub(crate) fn fail(&self, message: String) {
        self.internal_error.borrow_mut().get_or_insert(message);
    }

    pub(crate) fn links<'p>(&self, program: &'p Program) -> JitLinks<'p> {
        JitLinks {
            strings: program.strings(),
            functions: program.function_objects(),
            globals: program.global_slots(),
            caches: program.caches(),
            class_links: self.class_links.get(),
        }
    }

    fn with_stats(&self, id: FuncId, f: impl FnOnce(&mut FunctionStats)) {
        if let Some(stats) = self.stats.borrow_mut().get_mut(id.index()) {
            f(stats);
        }
    }

    pub(crate) fn record(&self, id: FuncId, what: &str, code: Code, started: Instant) {
        self.with_stats(id, |s| s.compile_time += started.elapsed());
        if let Some(map) = &self.perf_map {
            let name = self.program().module.function(id).display_name();
            map.borrow_mut().add(code, &format!("lox:{name}{what}"));
        }
    }

    /// The JIT that compiles residual functions of the partial evaluator:
    /// the optimizing one when the run optimizes; None without a JIT.
    pub(crate) fn jit_for_residual_code(&self) -> Option<&RefCell<Jit>> {
        self.opt_jit.as_ref().or(self.jit.as_ref())
    }

    /// Whether this run optimizes (it has the optimizing JIT).
    pub(crate) fn optimizes(&self) -> bool {
        self.opt_jit.is_some()
    }

    /// Installs compiled code in `function`'s slots.
    ///
    /// # Safety
    /// `function` is a live prototype of the program; `code` was compiled
    /// for it.
    unsafe fn install(&self, function: *mut ObjFunction, code: FunctionCode, level: u8) {
        // SAFETY: the caller's contract.
        unsafe {
            (*function).code = code.code.address;
            (*function).entry = code.entry.address;
            (*function).tier = level;
            (*function).counter = 0;
        }
    }

    /// Gives `function` native code, unless it has some: optimized code if
    /// this run optimizes and the function may still be, else baseline.
    /// Returns whether it has native code.
    fn ensure_code(&self, function: *mut ObjFunction) -> bool {
        // SAFETY: engine callers pass live prototypes of the program.
        unsafe {
            if (*function).tier != tier::INTERP {
                return true;
            }
            if self.jit.is_none() || self.internal_error.borrow().is_some() {
                return false;
            }
            let id = FuncId((*function).func_id);
            if self.optimize(function, id) {
                return true;
            }
            self.baseline(function, id)
        }
    }

    /// Compiles and installs `function`'s baseline code.
    unsafe fn baseline(&self, function: *mut ObjFunction, id: FuncId) -> bool {
        let Some(jit) = &self.jit else { return false };
        let program = self.program();
        let started = Instant::now();
        let compiled = if self.fault {
            Err("a fault injected by BRINE_FAULT".to_string())
        } else {
            let func = program.module.function(id);
            jit.borrow_mut().compile_function(&program.module, &self.links(program), id, func, 0)
        };
        match compiled {
            Ok(code) => {
                self.record(id, "", code.code, started);
                self.record(id, " (entry)", code.entry, started);
                // SAFETY: compiled for this function just now.
                unsafe { self.install(function, code, tier::BASELINE) };
                self.with_stats(id, |s| s.tier = s.tier.max(tier::BASELINE));
                true
            }
            Err(e) => {
                self.fail(format!("cannot compile {}: {e}", program.module.function(id).display_name()));
                false
            }
        }
    }

    /// Optimizes, compiles and installs `function`, if this run optimizes,
    /// the function has not used up its optimizations, and the optimizer
    /// takes it. Returns whether it did.
    unsafe fn optimize(&self, function: *mut ObjFunction, id: FuncId) -> bool {
        let Some(opt_jit) = &self.opt_jit else { return false };
        let done = self.stats.borrow().get(id.index()).map_or(0, |s| s.optimizations);
        if done >= MAX_OPTIMIZATIONS || self.fault {
            return false;
        }
        let program = self.program();
        let started = Instant::now();
        let func =
            match brine_opt::optimize(&program.module, program.module.function(id), &Observations(program)) {
                Ok(func) => Rc::new(func),
                Err(why) => {
                    self.with_stats(id, |s| s.declined = Some(format!("{why:?}")));
                    return false;
                }
            };
        let version = self.versions.borrow().len() as u32;
        let first_state = self.states.borrow().len() as u32;
        let compiled = opt_jit.borrow_mut().compile_function(
            &program.module,
            &self.links(program),
            id,
            &func,
            first_state,
        );
        match compiled {
            Ok(code) => {
                self.record(id, " (optimized)", code.code, started);
                self.record(id, " (optimized entry)", code.entry, started);
                self.states.borrow_mut().extend((0..func.states.len() as u32).map(|s| (version, s)));
                let mut callees: Vec<FuncId> = func.inlined.iter().map(|c| c.func).collect();
                callees.sort();
                callees.dedup();
                for callee in callees {
                    self.with_stats(callee, |s| s.inlined += 1);
                }
                self.versions.borrow_mut().push(Version { id, func, first_state });
                self.current.borrow_mut().insert(id.0, version);
                // SAFETY: compiled for this function just now.
                unsafe { self.install(function, code, tier::OPTIMIZED) };
                self.with_stats(id, |s| {
                    s.tier = s.tier.max(tier::OPTIMIZED);
                    s.optimizations += 1;
                });

                true
            }
            Err(e) => {
                self.fail(format!(
                    "cannot compile optimized {}: {e}",
                    program.module.function(id).display_name()
                ));
                false
            }
        }
    }

    /// Sends `function` back to the interpreter (its optimized version
    /// `version` made a wrong guess), unless its code slot holds another
    /// version by now.
    fn invalidate(&self, function: *mut ObjFunction, id: FuncId, version: u32) {
        if self.current.borrow().get(&id.0) != Some(&version) {
            return;
        }
        self.current.borrow_mut().remove(&id.0);
        self.osr.borrow_mut().retain(|&(f, _, v), _| f != id.0 || v != version);
        self.to_interpreter(function);
    }

    /// Points `function`'s code slot at its interpreter stub, with its
    /// counter at zero: it gathers observations again from its next call.
    fn to_interpreter(&self, function: *mut ObjFunction) {
        let Some(jit) = &self.jit else { return };
        // SAFETY: a live prototype of the program.
        unsafe {
            match jit.borrow_mut().interp_stub((*function).arity as usize) {
                Ok(stub) => {
                    (*function).code = stub;
                    (*function).tier = tier::INTERP;
                    (*function).counter = 0;
                }
                Err(e) => self.fail(format!("cannot make an interpreter stub: {e}")),
            }
        }
    }

    /// Sends `function`, running ahead-of-time baseline code, to the
    /// interpreter to be profiled and optimized, if this run optimizes. Its
    /// calls and loop iterations in baseline code already showed it is hot:
    /// the interpreter runs a quarter of the threshold's (at least one)
    /// before it is optimized, the observations the optimizer needs.
    fn profile_baseline(&self, rt: &Runtime, function: *mut ObjFunction) -> bool {
        if self.opt_jit.is_none() || self.internal_error.borrow().is_some() {
            return false;
        }
        // SAFETY: engine callers pass live prototypes of the program.
        let id = FuncId(unsafe { (*function).func_id });
        self.with_stats(id, |s| s.profiled_aot = true);
        self.to_interpreter(function);
        let window = (rt.tier_threshold / PROFILE_AFTER_AOT).max(1);
        // SAFETY: as above.
        unsafe { (*function).counter = rt.tier_threshold.saturating_sub(window) };
        true
    }
}

impl Engine for Manager {
    fn specialize(&self, rt: &mut Runtime, f: Value, consts: &[Value]) -> Result<Value, String> {
        self.specialize_function(rt, f, consts)
    }

    fn interpret(&self, rt: &mut Runtime, closure: *mut ObjClosure, this: Value, args: &[Value]) -> Value {
        Interp::new(rt, self.program()).call_closure(closure, this, args)
    }

    fn function_hot(&self, _rt: &mut Runtime, function: *mut ObjFunction) {
        // SAFETY: the interpreter passes a live prototype.
        unsafe { (*function).counter = 0 };
        self.ensure_code(function);
    }

    fn loop_hot(&self, _rt: &mut Runtime, function: *mut ObjFunction, block: u32) -> Option<OsrEntry> {
        // SAFETY: the interpreter passes a live prototype.
        let id = unsafe {
            (*function).counter = 0;
            FuncId((*function).func_id)
        };
        // Later calls run native code too.
        if !self.ensure_code(function) {
            return None;
        }
        let version = self.current.borrow().get(&id.0).copied();
        let key = (id.0, block, version.unwrap_or(u32::MAX));
        let cached = self.osr.borrow().get(&key).copied();
        let entry = match cached {
            Some(entry) => entry,
            None => {
                let program = self.program();
                let started = Instant::now();
                let versions = self.versions.borrow();
                let original = program.module.function(id);
                let (jit, func, first_state) = match version {
                    Some(v) => {
                        let v = &versions[v as usize];
                        // A loop the optimizer proved unreachable has no code to enter.
                        if !v.func.layout.contains(&Block(block)) {
                            return None;
                        }
                        if OsrRegion::new(&v.func, original, Block(block)).fits() {
                            (self.opt_jit.as_ref()?, &*v.func, v.first_state)
                        } else {
                            // The optimized loop needs values the frame may
                            // not hold: enter baseline code of the loop.
                            (self.jit.as_ref()?, original, 0)
                        }
                    }
                    None => (self.jit.as_ref()?, original, 0),
                };
                let links = self.links(program);
                let compiled = jit.borrow_mut().compile_osr(
                    &program.module,
                    &links,
                    id,
                    func,
                    first_state,
                    Block(block),
                );
                match compiled {
                    Ok(code) => {
                        self.record(id, &format!(" (osr block{block})"), code, started);
                        // SAFETY: the code was compiled with the signature of `OsrEntry`.
                        let entry = unsafe { std::mem::transmute::<*const u8, OsrEntry>(code.address) };
                        self.osr.borrow_mut().insert(key, entry);
                        entry
                    }
                    Err(e) => {
                        let name = program.module.function(id).display_name();
                        self.fail(format!("cannot compile the loop at block{block} of {name}: {e}"));
                        return None;
                    }
                }
            }
        };
        self.with_stats(id, |s| s.osr_entries += 1);
        Some(entry)
    }

    fn baseline_hot(&self, rt: &mut Runtime, function: *mut ObjFunction) {
        self.profile_baseline(rt, function);
    }

    fn baseline_loop_hot(
        &self,
        rt: &mut Runtime,
        function: *mut ObjFunction,
        block: u32,
        values: *const Value,
    ) -> Value {
        if !self.profile_baseline(rt, function) {
            return Value::UNDEF;
        }
        let program = self.program();
        // SAFETY: baseline code passes its live prototype.
        let id = FuncId(unsafe { (*function).func_id });
        let func = program.module.function(id);
        let header = Block(block);
        let slots = brine_ir::Liveness::compute(func).loop_entry_values(func, header);
        let base = rt.stack.len();
        rt.stack.resize(base + func.values.len(), Value::NIL);
        for (i, slot) in slots.into_iter().enumerate() {
            // SAFETY: the code passed these values, in this order.
            rt.stack[base + slot.index()] = unsafe { *values.add(i) };
        }
        let result = Interp::new(rt, program).resume(id, base, header, 0);
        rt.stack.truncate(base);
        result
    }

    fn deopt(&self, rt: &mut Runtime, function: *mut ObjFunction, state: u32, values: *const Value) -> Value {
        let Some(&(version, local)) = self.states.borrow().get(state as usize) else {
            return rt.raise_internal(format!("a guard named the unknown frame state {state}"));
        };
        let (id, func) = {
            let versions = self.versions.borrow();
            let v = &versions[version as usize];
            (v.id, Rc::clone(&v.func))
        };
        let program = self.program();
        let state = brine_ir::StateId(local);
        let (innermost, inst) = brine_interp::deopt::resume_point(program, id, &func, state);
        let inner = program.module.function(innermost);
        let line = program.module.inst_line(inner, &inner.inst(inst).kind);
        let why = deopt_reason(&inner.inst(inst).kind);
        self.with_stats(id, |s| match s.deopts.iter_mut().find(|(l, w, _)| *l == line && *w == why) {
            Some((_, _, n)) => *n += 1,
            None => s.deopts.push((line, why, 1)),
        });
        self.invalidate(function, id, version);
        // SAFETY: the guard passed every state's values, innermost state
        // first; the class links are null or an adopted image's.
        unsafe { brine_interp::deopt::resume(rt, program, id, &func, state, values, self.class_links.get()) }
    }
}
