//! `brine-wasm`: Brine in a web page. It runs a Lox program from its source
//! to its output with the front end and the IR interpreter alone (no code
//! generator: a browser gives wasm no writable and executable memory), and
//! reports what happened as one [`Report`], which the playground reads as
//! JSON.
//!
//! It owns: the run of one program in the interpreter (compile, load, run,
//! collect stdout and stderr), the interpreter-only engine that run
//! installs, what `exit()` and the stderr natives do in a page (they end the
//! run with a code, and write to the report, instead of ending a process
//! and writing fd 2), the stack budget behind "Stack overflow." in wasm
//! ([`limits`], and the linker's `-zstack-size` in `build.rs`), the
//! [`Report`] and its JSON, and the C-ABI exports the page's glue calls
//! (`brine_alloc`, `brine_dealloc`, `brine_run`, `brine_result_ptr`,
//! `brine_result_len`, `brine_result_free`, `brine_take_panic`: see
//! [`exports`], built for wasm32 only).
//!
//! It must not know Lox syntax (the front end does), the page (the
//! playground's JavaScript does), or anything of tiering and native code.
//!
//! It builds natively too, where [`run`] is what the tests call: there it
//! runs the program on a thread with a stack of the same budget.
//!
//! `clock()` in wasm reads the host's clock, the import `brine.now_ms`
//! (`brine_runtime::time`; the page passes `performance.now()`).

pub mod json;
pub mod limits;
mod natives;

#[cfg(target_arch = "wasm32")]
pub mod exports;

use brine_frontend::Diagnostic;
use brine_interp::Interp;
use brine_runtime::engine::{Engine, OsrEntry};
use brine_runtime::object::{ObjClosure, ObjFunction};
use brine_runtime::{PendingError, Program, Runtime, Value};

/// Exit codes, as the `brine` CLI's.
pub mod exit_code {
    pub const OK: i32 = 0;
    pub const COMPILE_ERROR: i32 = 65;
    pub const RUNTIME_ERROR: i32 = 70;
    pub const INTERNAL_ERROR: i32 = 101;
}

/// What kind of error an [`ErrorInfo`] is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A compile error (a `Diagnostic` of the front end).
    Compile,
    /// A Lox runtime error.
    Runtime,
    /// A bug in Brine.
    Internal,
}

impl ErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Compile => "compile",
            ErrorKind::Runtime => "runtime",
            ErrorKind::Internal => "internal",
        }
    }
}

/// One error of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorInfo {
    pub kind: ErrorKind,
    /// The bare message, e.g. `Expect ';' after value.` or
    /// `Undefined variable 'x'.`
    pub message: String,
    /// The error as the CLI prints it: `[line 1] Error at 'x': ...` for a
    /// compile error; the message and its trace for a runtime error.
    pub text: String,
    /// The source line (1-based) the error points at: the diagnostic's, or
    /// the innermost trace line's. None when unknown.
    pub line: Option<u32>,
    /// The column (1-based, in characters) on that line where the error's
    /// span starts: the diagnostic's token, or the runtime error's
    /// innermost operation. None when unknown.
    pub column: Option<u32>,
    /// A runtime error's `[line N] in f()` lines, innermost first.
    pub trace: Vec<String>,
}

/// Everything a run produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// What the program printed (bytes that are not UTF-8 as U+FFFD).
    pub stdout: String,
    /// What `eprint` (and its compatibility names) wrote.
    pub stderr: String,
    pub errors: Vec<ErrorInfo>,
    /// 0, or [`exit_code`]'s code of the error, or the code given to `exit()`.
    pub exit_code: i32,
    /// The compiled module as `brine emit ir` prints it (empty when the
    /// program did not compile).
    pub ir: String,
}

impl Report {
    fn failed(kind: ErrorKind, message: String, exit_code: i32) -> Report {
        let text = match kind {
            ErrorKind::Internal => format!("brine: internal error: {message}"),
            _ => message.clone(),
        };
        Report {
            stdout: String::new(),
            stderr: String::new(),
            errors: vec![ErrorInfo { kind, message, text, line: None, column: None, trace: Vec::new() }],
            exit_code,
            ir: String::new(),
        }
    }

    /// The report as JSON: `{"stdout", "stderr", "errors": [{"kind",
    /// "message", "text", "line", "column", "trace"}], "exit_code", "ir"}`,
    /// `line` and `column` numbers or `null`.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.ir.len() + self.stdout.len() + 256);
        out.push_str("{\"stdout\":");
        json::string(&mut out, &self.stdout);
        out.push_str(",\"stderr\":");
        json::string(&mut out, &self.stderr);
        out.push_str(",\"errors\":[");
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"kind\":");
            json::string(&mut out, e.kind.name());
            out.push_str(",\"message\":");
            json::string(&mut out, &e.message);
            out.push_str(",\"text\":");
            json::string(&mut out, &e.text);
            out.push_str(",\"line\":");
            json::opt_number(&mut out, e.line);
            out.push_str(",\"column\":");
            json::opt_number(&mut out, e.column);
            out.push_str(",\"trace\":");
            json::strings(&mut out, &e.trace);
            out.push('}');
        }
        out.push_str("],\"exit_code\":");
        out.push_str(&self.exit_code.to_string());
        out.push_str(",\"ir\":");
        json::string(&mut out, &self.ir);
        out.push('}');
        out
    }
}

/// Compiles and runs `source`, the whole of a Lox program.
///
/// Natively the run gets a thread of its own with a stack of
/// [`limits::NATIVE_THREAD_STACK`] bytes; in wasm it runs on the module's
/// stack, whose size `build.rs` sets. A panic (a bug in Brine) is reported
/// as an internal error natively; in wasm it traps, and the glue reads its
/// message with `brine_take_panic`.
pub fn run(source: &[u8]) -> Report {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let source = source.to_vec();
        let thread = std::thread::Builder::new()
            .name("lox".into())
            .stack_size(limits::NATIVE_THREAD_STACK)
            .spawn(move || run_here(&source));
        match thread.map(|t| t.join()) {
            Ok(Ok(report)) => report,
            Ok(Err(panic)) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "a panic".into());
                Report::failed(ErrorKind::Internal, message, exit_code::INTERNAL_ERROR)
            }
            Err(e) => Report::failed(
                ErrorKind::Internal,
                format!("cannot start the program's thread: {e}"),
                exit_code::INTERNAL_ERROR,
            ),
        }
    }
    #[cfg(target_arch = "wasm32")]
    {
        run_here(source)
    }
}

/// [`run`] on the current thread, which must have [`limits::STACK_BUDGET`]
/// bytes of stack below this frame and [`limits::STACK_MARGIN`] more.
fn run_here(source: &[u8]) -> Report {
    let mut program = Program::new();
    let script = match brine_frontend::compile(source, &mut program.module) {
        Ok(script) => script,
        Err(diagnostics) => {
            let errors = diagnostics.iter().map(|d| compile_error(source, d)).collect();
            return Report {
                stdout: String::new(),
                stderr: String::new(),
                errors,
                exit_code: exit_code::COMPILE_ERROR,
                ir: String::new(),
            };
        }
    };
    let ir = brine_ir::printer::print_module(&program.module);

    let mut rt = Runtime::new();
    rt.out = brine_runtime::output::Output::capture();
    natives::install(&mut rt);
    program.sync(&mut rt);
    // Never hot: there is no code generator to tier up to.
    rt.tier_threshold = u32::MAX;
    let engine = InterpOnly { program: &program };
    let engine_ref: &dyn Engine = &engine;
    // `engine` outlives the run: it is uninstalled below, before it drops.
    rt.engine = Some(engine_ref as *const _);
    set_stack_limit(&mut rt);
    #[cfg(target_arch = "wasm32")]
    {
        rt.max_call_depth = limits::MAX_CALL_DEPTH;
    }
    let closure = rt.new_closure(program.function_object(script));
    // The closure is on the interpreter's stack before anything allocates.
    let result = Interp::new(&mut rt, &program).call_closure(closure, Value::NIL, &[]);
    rt.engine = None;
    rt.out.flush();
    let stdout = String::from_utf8_lossy(&rt.out.take_captured()).into_owned();
    let outcome = natives::finish();
    let error = rt.take_error();

    let (errors, code) = if let Some(code) = outcome.exit {
        (Vec::new(), code)
    } else if result.is_error() {
        match error {
            Some(error) => {
                let code = if error.internal { exit_code::INTERNAL_ERROR } else { exit_code::RUNTIME_ERROR };
                (vec![runtime_error(&program.module, &error)], code)
            }
            None => {
                let report = Report::failed(
                    ErrorKind::Internal,
                    "the run failed without an error".into(),
                    exit_code::INTERNAL_ERROR,
                );
                (report.errors, report.exit_code)
            }
        }
    } else {
        (Vec::new(), exit_code::OK)
    };
    Report { stdout, stderr: outcome.stderr, errors, exit_code: code, ir }
}

/// Sets the "Stack overflow." limit [`limits::STACK_BUDGET`] below the
/// caller's frame.
#[inline(always)]
fn set_stack_limit(rt: &mut Runtime) {
    let marker = 0u8;
    let here = std::ptr::addr_of!(marker) as usize;
    rt.stack_limit = here.saturating_sub(limits::STACK_BUDGET);
}

/// A compile error as the report shows it.
fn compile_error(source: &[u8], d: &Diagnostic) -> ErrorInfo {
    ErrorInfo {
        kind: ErrorKind::Compile,
        message: d.message.clone(),
        text: d.to_string(),
        line: Some(d.line),
        column: diagnostic_column(source, d),
        trace: Vec::new(),
    }
}

/// The column of a diagnostic: where its span starts.
fn diagnostic_column(source: &[u8], d: &Diagnostic) -> Option<u32> {
    d.span.map(|span| column_at(source, span.start as usize))
}

/// The column of a runtime error: where the span of its innermost site
/// starts, when the site has one in a source whose text the module kept
/// (not the standard library's).
fn runtime_column(module: &brine_ir::Module, error: &PendingError) -> Option<u32> {
    let site = brine_ir::SiteId::new(error.site? as usize);
    let (file, span) = module.site_source(site)?;
    Some(column_at(&file.text, span.start as usize))
}

/// The 1-based column, in characters (UTF-8 sequences; a byte that is not
/// UTF-8 counts as one), of byte `offset` of `source` on its line.
pub fn column_at(source: &[u8], offset: usize) -> u32 {
    let offset = offset.min(source.len());
    let line_start = source[..offset].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let chars = source[line_start..offset].iter().filter(|&&b| b & 0xC0 != 0x80).count();
    chars as u32 + 1
}

/// A runtime error as the report shows it: its line is the innermost trace
/// line's, its column that of the site that line names.
fn runtime_error(module: &brine_ir::Module, error: &PendingError) -> ErrorInfo {
    let kind = if error.internal { ErrorKind::Internal } else { ErrorKind::Runtime };
    ErrorInfo {
        kind,
        message: error.message.clone(),
        text: error.report().trim_end().to_string(),
        line: error.trace.first().and_then(|l| trace_line_number(l)),
        column: runtime_column(module, error),
        trace: error.trace.clone(),
    }
}

/// N of a trace line `[line N] in ...`.
fn trace_line_number(line: &str) -> Option<u32> {
    let rest = line.strip_prefix("[line ")?;
    rest[..rest.find(']')?].parse().ok()
}

/// The engine of a run in the interpreter alone: every call of a function
/// without native code (all of them) goes to the interpreter; nothing is
/// ever hot, specialized or deoptimized.
///
/// It holds the program by pointer because `Runtime::engine` holds the
/// engine as a `'static` trait object: [`run_here`] keeps both alive for
/// the whole time the engine is installed.
struct InterpOnly {
    program: *const Program,
}

impl Engine for InterpOnly {
    fn interpret(&self, rt: &mut Runtime, closure: *mut ObjClosure, this: Value, args: &[Value]) -> Value {
        // SAFETY: the program outlives the engine's installation (above).
        let program = unsafe { &*self.program };
        Interp::new(rt, program).call_closure(closure, this, args)
    }

    fn function_hot(&self, _rt: &mut Runtime, function: *mut ObjFunction) {
        // SAFETY: the interpreter passes a live prototype.
        unsafe { (*function).counter = 0 };
    }

    fn loop_hot(&self, _rt: &mut Runtime, function: *mut ObjFunction, _block: u32) -> Option<OsrEntry> {
        // SAFETY: the interpreter passes a live prototype.
        unsafe { (*function).counter = 0 };
        None
    }

    fn deopt(
        &self,
        rt: &mut Runtime,
        _function: *mut ObjFunction,
        _state: u32,
        _values: *const Value,
    ) -> Value {
        rt.raise_internal("a guard failed, but this engine compiles no code")
    }

    fn baseline_hot(&self, _rt: &mut Runtime, _function: *mut ObjFunction) {}

    fn baseline_loop_hot(&self, _: &mut Runtime, _: *mut ObjFunction, _: u32, _: *const Value) -> Value {
        Value::UNDEF
    }
}

#[cfg(test)]
mod tests;
