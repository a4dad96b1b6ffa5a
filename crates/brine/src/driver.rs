//! What each command does, on top of the `brine-tier` library: read the
//! program, run the front end, hand the IR to the library, print, and
//! choose the exit code.

use crate::{EXIT_COMPILE, EXIT_INTERNAL, EXIT_IO, EXIT_RUNTIME};
use brine_frontend::Diagnostic;
use brine_runtime::Program;
use brine_tier::{BuildError, Options, Outcome, Session, Stage};
use std::io::Write;
use std::path::Path;

/// Runs `f` on a thread with a big stack and returns its exit code.
pub fn on_big_stack<F: FnOnce() -> u8 + Send + 'static>(f: F) -> u8 {
    let handle = std::thread::Builder::new().name("lox".into()).stack_size(brine_tier::STACK_SIZE).spawn(f);
    match handle.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("brine: internal error: the program thread failed");
            EXIT_INTERNAL
        }
    }
}

/// Prints the compile errors of `source`, a file called `name`.
pub fn print_diagnostics(name: &str, source: &[u8], diagnostics: &[Diagnostic]) {
    crate::diagnostics::print_compile_errors(name, source, diagnostics);
}

/// The exit code of a run's outcome.
pub fn exit_code(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Ok => 0,
        Outcome::RuntimeError => EXIT_RUNTIME,
        Outcome::InternalError => EXIT_INTERNAL,
    }
}

/// A Lox program to compile: its text and what diagnostics call it.
pub struct Source {
    pub name: String,
    pub text: Vec<u8>,
}

impl Source {
    /// Compiles the source into `module`; a compile error is reported.
    fn compile_into(&self, module: &mut brine_ir::Module) -> Result<brine_ir::FuncId, u8> {
        brine_frontend::compile_named(&self.text, &self.name, module).map_err(|diagnostics| {
            print_diagnostics(&self.name, &self.text, &diagnostics);
            EXIT_COMPILE
        })
    }
}

/// A session that reports runtime errors in the chosen format.
pub fn new_session(options: Options) -> Result<Session, u8> {
    let mut session = Session::new(options).map_err(|e| {
        eprintln!("brine: internal error: cannot start the engine: {e}");
        EXIT_INTERNAL
    })?;
    session.error_printer = crate::diagnostics::print_runtime_error;
    Ok(session)
}

/// A session with `source` compiled into it, and the script's id; or the
/// exit code of why not (already reported).
fn start(source: &Source, options: Options) -> Result<(Session, brine_ir::FuncId), u8> {
    let mut session = new_session(options)?;
    let script = source.compile_into(&mut session.program.module)?;
    Ok((session, script))
}

/// `brine run`; with `save_profile`, the run's profile is written there
/// at exit (whatever the outcome), for `brine build -O2 --use-profile`.
pub fn run_file(source: &Source, options: Options, save_profile: Option<&Path>) -> u8 {
    let profile = options.profile;
    let (mut session, script) = match start(source, options) {
        Ok(started) => started,
        Err(code) => return code,
    };
    let outcome = session.execute(script);
    if profile {
        eprint!("{}", session.profile_report());
    }
    if let Some(path) = save_profile
        && let Err(e) = std::fs::write(path, session.saved_profile().to_text())
    {
        eprintln!("brine: cannot write the profile '{}': {e}", path.display());
        return EXIT_IO;
    }
    exit_code(outcome)
}

/// Which stage `brine emit` prints.
#[derive(Copy, Clone, PartialEq, Eq)]
pub enum EmitStage {
    Ir,
    OptIr,
    O2Ir,
    Native(Stage),
}

/// `brine emit STAGE`: prints one stage of the compilation of `source`.
pub fn emit(source: &Source, stage: EmitStage) -> u8 {
    if stage == EmitStage::OptIr {
        return emit_optimized(source);
    }
    let mut program = Program::new();
    if let Err(code) = source.compile_into(&mut program.module) {
        return code;
    }
    let text = match stage {
        EmitStage::Ir => Ok(brine_ir::printer::print_module(&program.module)),
        EmitStage::OptIr => unreachable!("handled above"),
        EmitStage::O2Ir => Ok(brine_tier::ahead_of_time_ir(&program.module)),
        EmitStage::Native(stage) => brine_tier::emit(&mut program, stage),
    };
    match text {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
            0
        }
        Err(e) => {
            eprintln!("brine: internal error: {e}");
            EXIT_INTERNAL
        }
    }
}

/// `brine emit opt-ir`: runs the program tiered, its output discarded (a
/// runtime error is still reported), and prints every optimized version
/// its hot functions got.
fn emit_optimized(source: &Source) -> u8 {
    let options = match Options::new(brine_tier::Mode::Tiered) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("brine: {e}");
            return crate::EXIT_USAGE;
        }
    };
    let (mut session, script) = match start(source, options) {
        Ok(started) => started,
        Err(code) => return code,
    };
    session.rt.out = brine_runtime::output::Output::capture();
    let outcome = session.execute(script);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(session.optimized_ir().as_bytes()).and_then(|_| out.flush());
    if outcome == Outcome::InternalError { EXIT_INTERNAL } else { 0 }
}

/// `brine build`: compiles `source` into the executable `output`.
pub fn build(source: &Source, output: &Path, options: &brine_tier::BuildOptions, verbose: bool) -> u8 {
    let started = std::time::Instant::now();
    let mut module = brine_ir::Module::new();
    let script = match source.compile_into(&mut module) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match brine_tier::build_executable(&module, script, output, options) {
        Ok(built) => {
            if verbose {
                let size = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
                let total = started.elapsed();
                eprintln!(
                    "brine: built '{}' ({} {}) in {} ms, {} ms of it linking: {} bytes \
                     (program object {} bytes, IR {} bytes)",
                    output.display(),
                    if options.optimize { "-O2" } else { "-O0" },
                    if options.jit { "--jit" } else { "--no-jit" },
                    total.as_millis(),
                    built.link_time.as_millis(),
                    size,
                    built.object_bytes,
                    built.ir_bytes,
                );
            }
            0
        }
        Err(BuildError::Io(e)) => {
            eprintln!("brine: {e}");
            EXIT_IO
        }
        Err(BuildError::Internal(e)) => {
            eprintln!("brine: internal error: {e}");
            EXIT_INTERNAL
        }
    }
}
