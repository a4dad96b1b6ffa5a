//! The pipeline from source to a running program, shared by `run`, `emit`
//! and the REPL.

use crate::{EXIT_COMPILE, EXIT_RUNTIME, Engine};
use brine_codegen::jit::{Jit, JitLinks};
use brine_frontend::Diagnostic;
use brine_interp::{Interp, Program, StackLimit};
use brine_ir::FuncId;
use brine_runtime::{PendingError, Runtime, Value, abi};
use std::io::Write;

/// Stack for the thread that compiles and runs the program: deep Lox
/// recursion (100,000 frames) must fit.
const STACK_SIZE: usize = 256 << 20;
/// Headroom kept below the "Stack overflow." limit for Rust code that runs
/// between two checks (runtime helpers, printing, the collector).
const STACK_MARGIN: usize = 4 << 20;

/// Runs `f` on a thread with a big stack and returns its exit code.
pub fn on_big_stack<F: FnOnce() -> u8 + Send + 'static>(f: F) -> u8 {
    let handle = std::thread::Builder::new().name("lox".into()).stack_size(STACK_SIZE).spawn(f);
    match handle.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("brine: internal error: the program thread failed");
            EXIT_RUNTIME
        }
    }
}

/// The stack limit for a run that starts here.
pub fn stack_limit() -> StackLimit {
    StackLimit::from_here(STACK_SIZE - STACK_MARGIN)
}

pub fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in diagnostics {
        let _ = writeln!(err, "{d}");
    }
}

/// Prints a runtime error: the message and the trace, shortened in the
/// middle when very deep.
pub fn print_runtime_error(error: &PendingError) {
    const KEEP: usize = 40;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", error.message);
    let trace = &error.trace;
    if trace.len() <= 2 * KEEP {
        for line in trace {
            let _ = writeln!(err, "{line}");
        }
    } else {
        for line in &trace[..KEEP] {
            let _ = writeln!(err, "{line}");
        }
        let _ = writeln!(err, "... {} more frames ...", trace.len() - 2 * KEEP);
        for line in &trace[trace.len() - KEEP..] {
            let _ = writeln!(err, "{line}");
        }
    }
}

/// Parses, resolves and lowers `source` into `program`; returns the script.
pub fn compile(source: &[u8], program: &mut Program) -> Result<FuncId, Vec<Diagnostic>> {
    let (ast, resolution) = brine_frontend::check(source)?;
    let script = brine_frontend::lower::lower(&ast, &resolution, &mut program.module);
    if cfg!(debug_assertions)
        && let Err(errors) = brine_ir::verifier::verify_module(&program.module)
    {
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        panic!(
            "IR verifier failed:\n{}\n{}",
            text.join("\n"),
            brine_ir::printer::print_module(&program.module)
        );
    }
    Ok(script)
}

/// A program being run: its runtime, its module, and the engine's state.
/// The REPL keeps one for the whole session.
pub struct Session {
    pub rt: Runtime,
    pub program: Program,
    engine: Engine,
    jit: Option<Jit>,
}

impl Session {
    pub fn new(engine: Engine) -> Session {
        Session { rt: Runtime::new(), program: Program::new(), engine, jit: None }
    }

    /// Runs a compiled script; on a runtime error prints it and returns false.
    pub fn execute(&mut self, script: FuncId) -> bool {
        self.program.sync(&mut self.rt);
        let ok = match self.engine {
            Engine::Interp => {
                Interp::new(&mut self.rt, &self.program, stack_limit()).run_script(script).is_ok()
            }
            Engine::Jit => self.run_jit(script),
        };
        self.rt.out.flush();
        if !ok && let Some(error) = self.rt.take_error() {
            print_runtime_error(&error);
        }
        ok
    }

    fn run_jit(&mut self, script: FuncId) -> bool {
        let jit = match &mut self.jit {
            Some(jit) => jit,
            None => match Jit::new() {
                Ok(jit) => self.jit.insert(jit),
                Err(e) => {
                    self.rt.raise(format!("Cannot start the JIT: {e}."));
                    return false;
                }
            },
        };
        let links = JitLinks {
            strings: self.program.strings(),
            functions: self.program.function_objects(),
            globals: self.program.global_slots(),
        };
        if let Err(e) = jit.compile(&self.program.module, &links) {
            self.rt.raise(format!("Internal compiler error: {e}"));
            return false;
        }
        let function = self.program.function_object(script);
        let result = brine_runtime::stack::with_native_frames(&mut self.rt, |rt| {
            let marker = 0u8;
            let here = std::ptr::addr_of!(marker) as usize;
            rt.stack_limit = here.saturating_sub(STACK_SIZE - STACK_MARGIN);
            let closure = rt.new_closure(function);
            // SAFETY: the runtime is live and owned by this thread; the
            // closure's function was just compiled; a script takes no
            // arguments. Compiled frames are scanned conservatively.
            unsafe { abi::call_compiled(rt, closure, Value::NIL, std::ptr::null()) }
        });
        !result.is_error()
    }
}

pub fn run_file(source: &[u8], engine: Engine) -> u8 {
    let mut program = Program::new();
    let script = match compile(source, &mut program) {
        Ok(s) => s,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            return EXIT_COMPILE;
        }
    };
    let mut session = Session::new(engine);
    session.program = program;
    if session.execute(script) { 0 } else { EXIT_RUNTIME }
}

pub fn emit_ir(source: &[u8]) -> u8 {
    let mut program = Program::new();
    match compile(source, &mut program) {
        Ok(_) => {
            print!("{}", brine_ir::printer::print_module(&program.module));
            0
        }
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            EXIT_COMPILE
        }
    }
}
