//! The pipeline from source to a running program, shared by `run`, `emit`
//! and the REPL.

use crate::{EXIT_COMPILE, EXIT_IO, EXIT_RUNTIME, EXIT_SOFTWARE, Engine, Stage};
use brine_codegen::jit::{Jit, JitLinks};
use brine_frontend::Diagnostic;
use brine_interp::{Interp, Program};
use brine_ir::FuncId;
use brine_runtime::{PendingError, Runtime, Value, abi};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

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

/// Sets the "Stack overflow." limit for a run that starts in the caller's frame.
#[inline(always)]
fn set_stack_limit(rt: &mut Runtime) {
    let marker = 0u8;
    let here = std::ptr::addr_of!(marker) as usize;
    rt.stack_limit = here.saturating_sub(STACK_SIZE - STACK_MARGIN);
}

pub fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in diagnostics {
        let _ = writeln!(err, "{d}");
    }
}

/// Prints a runtime error: the message and the trace.
pub fn print_runtime_error(error: &PendingError) {
    let _ = std::io::stderr().lock().write_all(error.report().as_bytes());
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
                set_stack_limit(&mut self.rt);
                Interp::new(&mut self.rt, &self.program).run_script(script).is_ok()
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
            caches: self.program.caches(),
        };
        if let Err(e) = jit.compile(&self.program.module, &links) {
            self.rt.raise(format!("Internal compiler error: {e}"));
            return false;
        }
        let function = self.program.function_object(script);
        let result = brine_runtime::stack::with_native_frames(&mut self.rt, |rt| {
            set_stack_limit(rt);
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

/// `brine emit STAGE`: prints one stage of the compilation of `source`.
pub fn emit(source: &[u8], stage: Stage) -> u8 {
    let mut program = Program::new();
    if let Err(diagnostics) = compile(source, &mut program) {
        print_diagnostics(&diagnostics);
        return EXIT_COMPILE;
    }
    let text = match stage {
        Stage::Ir => Ok(brine_ir::printer::print_module(&program.module)),
        Stage::Clif | Stage::Asm => {
            // Native code embeds the runtime objects of the program's constants.
            let mut rt = Runtime::new();
            program.sync(&mut rt);
            let links = JitLinks {
                strings: program.strings(),
                functions: program.function_objects(),
                globals: program.global_slots(),
                caches: program.caches(),
            };
            if stage == Stage::Clif {
                brine_codegen::emit::clif_text(&program.module, &links)
            } else {
                brine_codegen::emit::asm_text(&program.module, &links)
            }
        }
    };
    match text {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
            0
        }
        Err(e) => {
            eprintln!("brine: internal compiler error: {e}");
            EXIT_SOFTWARE
        }
    }
}

/// Where the runtime library for built executables is: `$BRINE_RT_LIB`, or
/// `libbrine_rt.a` next to the `brine` executable (where cargo builds it).
fn runtime_library() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("BRINE_RT_LIB") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("BRINE_RT_LIB names '{}', which is not a file", path.display()))
        };
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate the brine executable: {e}"))?;
    let path = exe.with_file_name("libbrine_rt.a");
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "cannot find the runtime library '{}'; build it with `cargo build --release` (it is part of the \
             workspace) or set BRINE_RT_LIB to its path",
            path.display()
        ))
    }
}

/// `brine build`: compiles `source` to an object file and links it with the
/// runtime library into the executable `output`.
pub fn build(source: &[u8], output: &Path, verbose: bool) -> u8 {
    let mut program = Program::new();
    let script = match compile(source, &mut program) {
        Ok(s) => s,
        Err(diagnostics) => {
            print_diagnostics(&diagnostics);
            return EXIT_COMPILE;
        }
    };
    let library = match runtime_library() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("brine: {e}");
            return EXIT_IO;
        }
    };
    let object = match brine_codegen::object::compile_object(&program.module, script) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("brine: internal compiler error: {e}");
            return EXIT_SOFTWARE;
        }
    };
    let dir = std::env::temp_dir().join(format!("brine-build-{}", std::process::id()));
    let object_path = dir.join("program.o");
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&object_path, &object)) {
        eprintln!("brine: cannot write '{}': {e}", object_path.display());
        return EXIT_IO;
    }
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let started = Instant::now();
    let status = Command::new(&cc)
        .arg(&object_path)
        .arg(&library)
        .arg("-o")
        .arg(output)
        .args(["-Wl,--gc-sections", "-Wl,--strip-debug"])
        .args(["-lpthread", "-ldl", "-lm", "-lgcc_s", "-lc"])
        .status();
    let _ = std::fs::remove_dir_all(&dir);
    match status {
        Ok(s) if s.success() => {
            if verbose {
                let size = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
                eprintln!(
                    "brine: linked '{}' in {} ms ({} bytes)",
                    output.display(),
                    started.elapsed().as_millis(),
                    size
                );
            }
            0
        }
        Ok(s) => {
            eprintln!("brine: the linker ({}) failed: {s}", cc.to_string_lossy());
            EXIT_IO
        }
        Err(e) => {
            eprintln!(
                "brine: cannot run the linker '{}': {e} (install a C toolchain, e.g. Debian's gcc)",
                cc.to_string_lossy()
            );
            EXIT_IO
        }
    }
}
