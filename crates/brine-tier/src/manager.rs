//! The tier manager: the [`Engine`] a run installs into its runtime.
//!
//! Every function starts in the interpreter: its code slot holds the
//! interpreter stub of its arity, so compiled callers reach it there. The
//! interpreter counts calls and loop iterations in the function prototype;
//! at the threshold the manager compiles the function's baseline code and
//! patches its code slot (every later call, from any engine, runs native
//! code), and a hot loop in a running interpreter frame moves to native code
//! through an on-stack-replacement entry at its header.
//!
//! Compilation failures are internal errors: the function stays in the
//! interpreter (so the program's output is still right), and the run ends
//! with the error reported as internal.

use crate::perf_map::PerfMap;
use brine_codegen::jit::{Code, Jit, JitLinks};
use brine_interp::Interp;
use brine_ir::{Block, FuncId};
use brine_runtime::engine::{Engine, OsrEntry, tier};
use brine_runtime::object::{ObjClosure, ObjFunction};
use brine_runtime::{Program, Runtime, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What the manager records of one function, for `--profile`.
#[derive(Clone, Debug, Default)]
pub struct FunctionStats {
    /// The best tier its code slot has held.
    pub tier: u8,
    /// Time spent compiling it (its OSR entries included).
    pub compile_time: Duration,
    /// How many on-stack replacements entered its native code.
    pub osr_entries: u32,
}

pub(crate) struct Manager {
    /// The program being run. Set by `Session::execute` for the duration of
    /// a run, while this manager is installed as the runtime's engine.
    pub program: Cell<*const Program>,
    /// None when the run has no native code (`--engine=interp`).
    jit: Option<RefCell<Jit>>,
    osr: RefCell<HashMap<(u32, u32), OsrEntry>>,
    pub stats: RefCell<Vec<FunctionStats>>,
    /// The first internal error (a compilation that failed), reported when
    /// the run ends.
    pub internal_error: RefCell<Option<String>>,
    perf_map: Option<RefCell<PerfMap>>,
    /// `BRINE_FAULT=compile`: every compilation fails, as a bug in the code
    /// generator would (to test how internal errors are reported).
    fault: bool,
}

impl Manager {
    pub fn new(native: bool, perf_map: bool, count_calls: bool) -> Result<Manager, String> {
        let jit = if native {
            let mut jit = Jit::new()?;
            jit.count_calls = count_calls;
            Some(RefCell::new(jit))
        } else {
            None
        };
        let perf_map = if perf_map && native { Some(RefCell::new(PerfMap::create()?)) } else { None };
        Ok(Manager {
            program: Cell::new(std::ptr::null()),
            jit,
            osr: RefCell::new(HashMap::new()),
            stats: RefCell::new(Vec::new()),
            internal_error: RefCell::new(None),
            perf_map,
            fault: std::env::var_os("BRINE_FAULT").is_some_and(|v| v == "compile"),
        })
    }

    fn program(&self) -> &Program {
        // SAFETY: set by `Session::execute` to its program before this
        // manager is installed, and that program outlives the run (the
        // session owns both; nothing changes the program during a run).
        unsafe { &*self.program.get() }
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

    fn fail(&self, message: String) {
        self.internal_error.borrow_mut().get_or_insert(message);
    }

    fn links(program: &Program) -> JitLinks<'_> {
        JitLinks {
            strings: program.strings(),
            functions: program.function_objects(),
            globals: program.global_slots(),
            caches: program.caches(),
        }
    }

    fn record(&self, id: FuncId, what: &str, code: Code, started: Instant) {
        if let Some(stats) = self.stats.borrow_mut().get_mut(id.index()) {
            stats.compile_time += started.elapsed();
        }
        if let Some(map) = &self.perf_map {
            let name = self.program().module.function(id).display_name();
            map.borrow_mut().add(code, &format!("lox:{name}{what}"));
        }
    }

    /// Compiles `function`'s baseline code and installs it, unless it is
    /// there already. Returns whether the function has native code.
    fn ensure_baseline(&self, function: *mut ObjFunction) -> bool {
        // SAFETY: engine callers pass live prototypes of the program.
        unsafe {
            if (*function).tier != tier::INTERP {
                return true;
            }
            let Some(jit) = &self.jit else { return false };
            if self.internal_error.borrow().is_some() {
                return false;
            }
            let program = self.program();
            let id = FuncId((*function).func_id);
            let started = Instant::now();
            let compiled = if self.fault {
                Err("a fault injected by BRINE_FAULT".to_string())
            } else {
                jit.borrow_mut().compile_function(&program.module, &Self::links(program), id)
            };
            match compiled {
                Ok(code) => {
                    self.record(id, "", code.code, started);
                    self.record(id, " (entry)", code.entry, started);
                    (*function).code = code.code.address;
                    (*function).entry = code.entry.address;
                    (*function).tier = tier::BASELINE;
                    if let Some(stats) = self.stats.borrow_mut().get_mut(id.index()) {
                        stats.tier = stats.tier.max(tier::BASELINE);
                    }
                    true
                }
                Err(e) => {
                    self.fail(format!("cannot compile {}: {e}", program.module.function(id).display_name()));
                    false
                }
            }
        }
    }
}

impl Engine for Manager {
    fn interpret(&self, rt: &mut Runtime, closure: *mut ObjClosure, this: Value, args: &[Value]) -> Value {
        Interp::new(rt, self.program()).call_closure(closure, this, args)
    }

    fn function_hot(&self, _rt: &mut Runtime, function: *mut ObjFunction) {
        // SAFETY: the interpreter passes a live prototype.
        unsafe { (*function).counter = 0 };
        self.ensure_baseline(function);
    }

    fn loop_hot(&self, _rt: &mut Runtime, function: *mut ObjFunction, block: u32) -> Option<OsrEntry> {
        // SAFETY: the interpreter passes a live prototype.
        let id = unsafe {
            (*function).counter = 0;
            FuncId((*function).func_id)
        };
        // Later calls run native code too.
        if !self.ensure_baseline(function) {
            return None;
        }
        let key = (id.0, block);
        let cached = self.osr.borrow().get(&key).copied();
        let entry = match cached {
            Some(entry) => entry,
            None => {
                let program = self.program();
                let started = Instant::now();
                let jit = self.jit.as_ref()?;
                let compiled =
                    jit.borrow_mut().compile_osr(&program.module, &Self::links(program), id, Block(block));
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
        if let Some(stats) = self.stats.borrow_mut().get_mut(id.index()) {
            stats.osr_entries += 1;
        }
        Some(entry)
    }
}
