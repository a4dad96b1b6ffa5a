//! The conformance runner: runs every `tests/lox/**/*.lox` program under each
//! selected engine and checks its stdout, stderr and exit code against the
//! expectations written in the program's comments (the format of the book's
//! test suite, see DESIGN.md section 12):
//!
//! - `// expect: TEXT`: the next line of stdout is TEXT (to the end of the
//!   line, trailing spaces included; a bare `// expect:` is an empty line).
//! - `// expect runtime error: MSG`: stderr's first line is MSG and its second
//!   is `[line N] in ...`, N being the comment's line; exit code 70. The
//!   rest of the trace must be what the first engine printed.
//! - `// Error at 'x': MSG`, `// Error at end: MSG`, `// Error: MSG`: stderr
//!   has the line `[line N] Error at 'x': MSG`, N being the comment's line;
//!   exit code 65.
//! - `// [line N] Error...`: stderr has the line `[line N] Error...`.
//! - `// expect stderr: TEXT`: when present, stderr is exactly these lines.
//! - `// expect exit: N`: the exit code is N (a program that calls `exit`),
//!   instead of the one the other expectations imply.
//! - `// stdin: TEXT`: the program's stdin has the line TEXT (these lines in
//!   order, each with its newline; a bare `// stdin:` is an empty line); `// stdin (no newline): TEXT` adds TEXT
//!   without one (to end the input with a line that has no newline).
//!   Without either, stdin is empty (null).
//! - `// skip-engine: NAME`: the test does not run under engine NAME.
//!
//! Every run happens in an empty scratch directory of its own (its current
//! directory), so a test may write and read files by relative paths.
//!
//! A program with compile errors prints nothing on stdout, and its stderr is
//! exactly the expected error lines, in order. Without any error expected,
//! stderr is empty and the exit code is 0.
//!
//! Environment:
//! - `BRINE_ENGINES`: comma-separated engines to run (default `interp`):
//!   `interp`, `jit`, `tiered`, `hot`, `eager`, `deopt`, `aot`, `aot-jit`,
//!   `aot-jit-eager`, `aot-o2`, `aot-o2-deopt`, `aot-o2-profile` (see
//!   [`Engine`]). The engines that run a built
//!   executable share one build of each test file (see [`Build`]).
//! - `BRINE_GC_STRESS_ENGINES`: the engines of the GC stress run (default:
//!   those of `BRINE_ENGINES`).
//! - `BRINE_TEST_FILTER`: only the tests whose path (relative to tests/lox)
//!   contains this substring.
//! - `BRINE_TEST_TIMEOUT`: seconds before a test is killed (default 60, 300
//!   under GC stress).
//! - `BRINE_BIN`: the `brine` binary to test instead of the one cargo built.
//! - `BRINE_GC_STRESS_TESTS=1`: also run the whole corpus with
//!   `BRINE_GC_STRESS=1` set for the programs, in the same list of jobs.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// Exit codes of the `brine` conventions.
const EXIT_OK: i32 = 0;
const EXIT_COMPILE: i32 = 65;
const EXIT_RUNTIME: i32 = 70;

/// How many lines of a long output a failure report shows.
const REPORT_LINES: usize = 40;

/// One way of running a Lox program. Adding an engine is adding a variant,
/// its name in [`Engine::ALL`]/[`Engine::name`], and its arm in [`Engine::plan`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Engine {
    /// `brine run --engine=interp FILE`: the reference IR interpreter.
    Interp,
    /// `brine run --no-tier FILE`: baseline native code only.
    Jit,
    /// `brine run FILE`: tiered, as a user runs it.
    Tiered,
    /// `brine run FILE` with `BRINE_TIER_THRESHOLD=2`: functions start in
    /// the interpreter and tier up after their second call or loop
    /// iteration, so the crossings between engines (interpreter stubs,
    /// native calls from the interpreter, on-stack replacement in every
    /// loop) happen in every test.
    Hot,
    /// `brine run FILE` with `BRINE_TIER=eager`: every function gets its
    /// best code before it first runs.
    Eager,
    /// `brine run FILE` with `BRINE_TIER_THRESHOLD=2` and
    /// `BRINE_DEOPT_STRESS=3`: every third guard check of optimized code
    /// fails, so activations deoptimize into the interpreter everywhere.
    Deopt,
    /// `brine build FILE -o EXE`, then `EXE`: a standalone executable
    /// (`-O0`, no JIT).
    Aot,
    /// `brine build --jit FILE -o EXE`, then `EXE`: an executable that
    /// starts on its ahead-of-time code and tiers up as `brine run` does.
    AotJit,
    /// As `aot-jit`, run with `BRINE_TIER=eager`: every function is
    /// optimized before its ahead-of-time code first runs.
    AotJitEager,
    /// `brine build -O2 FILE -o EXE`, then `EXE`: optimized ahead of time,
    /// no JIT.
    AotO2,
    /// As `aot-o2`, built and run with `BRINE_DEOPT_STRESS=3`: every third
    /// guard check fails, so activations finish in the interpreter the
    /// executable carries, everywhere.
    AotO2Deopt,
    /// `brine run --save-profile P FILE` with no input (not the test's
    /// stdin), then `brine build -O2 --use-profile P FILE -o EXE`, then
    /// `EXE`: optimized ahead of time from a profile of another run.
    AotO2Profile,
}

impl Engine {
    const ALL: &[Engine] = &[
        Engine::Interp,
        Engine::Jit,
        Engine::Tiered,
        Engine::Hot,
        Engine::Eager,
        Engine::Deopt,
        Engine::Aot,
        Engine::AotJit,
        Engine::AotJitEager,
        Engine::AotO2,
        Engine::AotO2Deopt,
        Engine::AotO2Profile,
    ];

    fn name(self) -> &'static str {
        match self {
            Engine::Interp => "interp",
            Engine::Jit => "jit",
            Engine::Tiered => "tiered",
            Engine::Hot => "hot",
            Engine::Eager => "eager",
            Engine::Deopt => "deopt",
            Engine::Aot => "aot",
            Engine::AotJit => "aot-jit",
            Engine::AotJitEager => "aot-jit-eager",
            Engine::AotO2 => "aot-o2",
            Engine::AotO2Deopt => "aot-o2-deopt",
            Engine::AotO2Profile => "aot-o2-profile",
        }
    }

    fn from_name(name: &str) -> Option<Engine> {
        Engine::ALL.iter().copied().find(|e| e.name() == name)
    }

    /// The flags of the `brine build` whose executable this engine runs
    /// (each an argument, or `NAME=VALUE`, an environment variable of the
    /// build): every engine with the same flags runs the same executable
    /// (one build of each test file, see [`Build`]).
    fn build_flags(self) -> Option<&'static [&'static str]> {
        match self {
            Engine::Aot => Some(&[]),
            Engine::AotJit | Engine::AotJitEager => Some(&["--jit"]),
            Engine::AotO2 => Some(&["-O2"]),
            Engine::AotO2Deopt => Some(&["-O2", "BRINE_DEOPT_STRESS=3"]),
            // The profile comes from a run of its own (see `Build`).
            Engine::AotO2Profile => Some(&["-O2", "--use-profile"]),
            _ => None,
        }
    }

    /// The command that runs `file` under this engine; `exe` is the
    /// executable built for it, for an engine with [`Engine::build_flags`].
    fn plan(self, file: &Path, exe: Option<&Path>) -> Step {
        let run = |args: &[&str], env: &[(&str, &str)]| {
            let mut step = Step::new(brine(), args.iter().map(|a| os(a)).chain([file.into()]));
            step.env = env.iter().map(|(k, v)| (os(k), os(v))).collect();
            step
        };
        let built = |env: &[(&str, &str)]| {
            let mut step = Step::new(exe.expect("a built engine's executable").to_path_buf(), []);
            step.env = env.iter().map(|(k, v)| (os(k), os(v))).collect();
            step
        };
        match self {
            Engine::Interp => run(&["run", "--engine=interp"], &[]),
            Engine::Jit => run(&["run", "--no-tier"], &[]),
            Engine::Tiered => run(&["run"], &[]),
            Engine::Hot => run(&["run"], &[("BRINE_TIER_THRESHOLD", "2")]),
            Engine::Eager => run(&["run"], &[("BRINE_TIER", "eager")]),
            Engine::Deopt => run(&["run"], &[("BRINE_TIER_THRESHOLD", "2"), ("BRINE_DEOPT_STRESS", "3")]),
            Engine::Aot | Engine::AotJit | Engine::AotO2 | Engine::AotO2Profile => built(&[]),
            Engine::AotJitEager => built(&[("BRINE_TIER", "eager")]),
            Engine::AotO2Deopt => built(&[("BRINE_DEOPT_STRESS", "3")]),
        }
    }
}

/// One `brine build` of a test file, shared by every run of its
/// executable (the engines with the same [`Engine::build_flags`], with and
/// without GC stress): built by the first run that needs it, and deleted
/// after the last.
struct Build {
    flags: &'static [&'static str],
    dir: PathBuf,
    /// The executable, or the build's outcome when it failed (a compile
    /// error is the result of every run of the test).
    result: OnceLock<Result<PathBuf, Outcome>>,
    /// Runs that still need it.
    uses: AtomicUsize,
}

impl Build {
    fn executable(&self, file: &Path, config: &RunConfig) -> &Result<PathBuf, Outcome> {
        self.result.get_or_init(|| {
            let exe = self.dir.join("exe");
            let (env, flags): (Vec<&str>, Vec<&str>) = self.flags.iter().partition(|f| f.contains('='));
            let mut args: Vec<OsString> = vec![os("build")];
            for flag in flags {
                if flag != "--use-profile" {
                    args.push(os(flag));
                } else {
                    // A run with no input, which saves what it observed.
                    let profile = self.dir.join("profile");
                    let save = [os("run"), os("--save-profile"), profile.clone().into(), file.into()];
                    let config = RunConfig { gc_stress: false, timeout: config.timeout };
                    let made = std::fs::create_dir_all(&self.dir)
                        .map_err(|e| e.to_string())
                        .and_then(|_| run_process(&Step::new(brine(), save), &config, &self.dir, None));
                    if let Err(e) = made {
                        return Err(Outcome {
                            stdout: String::new(),
                            stderr: e,
                            code: None,
                            timed_out: false,
                        });
                    }
                    // A program with compile errors saves none; its build reports them.
                    if profile.is_file() {
                        args.extend([os("--use-profile"), profile.into()]);
                    }
                }
            }
            let args = args.into_iter();
            let mut step = Step::new(brine(), args.chain([file.into(), os("-o"), exe.clone().into()]));
            step.env = env.iter().filter_map(|e| e.split_once('=')).map(|(k, v)| (os(k), os(v))).collect();
            // The compiler runs no Lox code: GC stress would not change it.
            let config = RunConfig { gc_stress: false, timeout: config.timeout };
            let outcome = std::fs::create_dir_all(&self.dir)
                .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))
                .and_then(|_| run_process(&step, &config, &self.dir, None));
            match outcome {
                Ok(o) if o.timed_out || o.code != Some(0) => Err(o),
                Ok(o) if !o.stdout.is_empty() => Err(Outcome {
                    stdout: String::new(),
                    stderr: format!("the build step printed on stdout:\n{}", o.stdout),
                    code: None,
                    timed_out: false,
                }),
                Ok(_) => Ok(exe),
                Err(e) => Err(Outcome { stdout: String::new(), stderr: e, code: None, timed_out: false }),
            }
        })
    }

    /// One run is done with the executable.
    fn release(&self) {
        if self.uses.fetch_sub(1, Ordering::AcqRel) == 1 {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

struct Step {
    program: PathBuf,
    args: Vec<OsString>,
    /// Environment variables of this step (every variable of [`TIER_VARS`]
    /// that is not named here is removed).
    env: Vec<(OsString, OsString)>,
}

/// The environment variables that choose how `brine run` and `--jit`
/// executables tier.
const TIER_VARS: &[&str] = &["BRINE_TIER", "BRINE_TIER_THRESHOLD", "BRINE_DEOPT_STRESS", "BRINE_PROFILE"];

impl Step {
    fn new(program: PathBuf, args: impl IntoIterator<Item = OsString>) -> Step {
        Step { program, args: args.into_iter().collect(), env: Vec::new() }
    }
}

fn os(s: &str) -> OsString {
    OsString::from(s)
}

/// The `brine` binary under test.
fn brine() -> PathBuf {
    match std::env::var_os("BRINE_BIN") {
        // Absolute, as programs run in a directory of their own.
        Some(bin) if !bin.is_empty() => std::fs::canonicalize(&bin).unwrap_or_else(|_| PathBuf::from(bin)),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_brine")),
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/lox")
}

// ---------------------------------------------------------------------------
// Expectations

/// What a test file says its run must produce.
#[derive(Debug, Default)]
struct Expectations {
    /// `// expect:` lines, in order.
    stdout: Vec<String>,
    /// Full `[line N] Error...` lines, in order.
    compile_errors: Vec<String>,
    /// The message and the line of `// expect runtime error:`.
    runtime_error: Option<(String, usize)>,
    /// `// expect stderr:` lines: when present, the whole of stderr.
    stderr: Option<Vec<String>>,
    /// Engines named by `// skip-engine:`.
    skip_engines: Vec<String>,
    /// The code of `// expect exit:`.
    exit: Option<i32>,
    /// The bytes of the `// stdin` lines, if there are any.
    stdin: Option<Vec<u8>>,
}

impl Expectations {
    fn exit_code(&self) -> i32 {
        if let Some(code) = self.exit {
            code
        } else if !self.compile_errors.is_empty() {
            EXIT_COMPILE
        } else if self.runtime_error.is_some() {
            EXIT_RUNTIME
        } else {
            EXIT_OK
        }
    }
}

/// Parses the expectation comments of a test file. An error means the test
/// file itself is malformed.
fn parse_expectations(source: &str) -> Result<Expectations, String> {
    let mut exp = Expectations::default();
    for (index, raw) in source.split('\n').enumerate() {
        let line_no = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(text) = after(line, "// expect: ") {
            exp.stdout.push(text.to_string());
        } else if line.ends_with("// expect:") {
            exp.stdout.push(String::new());
        } else if let Some(code) = after(line, "// expect exit: ") {
            let Ok(code) = code.trim().parse::<i32>() else {
                return Err(format!("line {line_no}: `// expect exit:` needs a number"));
            };
            if exp.exit.replace(code).is_some() {
                return Err(format!("line {line_no}: a second `// expect exit:`"));
            }
        } else if let Some(text) = after(line, "// stdin: ") {
            let stdin = exp.stdin.get_or_insert_with(Vec::new);
            stdin.extend_from_slice(text.as_bytes());
            stdin.push(b'\n');
        } else if line.ends_with("// stdin:") {
            exp.stdin.get_or_insert_with(Vec::new).push(b'\n');
        } else if let Some(text) = after(line, "// stdin (no newline): ") {
            exp.stdin.get_or_insert_with(Vec::new).extend_from_slice(text.as_bytes());
        } else if let Some(text) = after(line, "// expect stderr: ") {
            exp.stderr.get_or_insert_with(Vec::new).push(text.to_string());
        } else if let Some(msg) = after(line, "// expect runtime error: ") {
            if let Some((_, previous)) = &exp.runtime_error {
                return Err(format!(
                    "line {line_no}: a second runtime error (the first is on line {previous})"
                ));
            }
            exp.runtime_error = Some((msg.to_string(), line_no));
        } else if let Some(engine) = after(line, "// skip-engine: ") {
            let engine = engine.trim();
            if Engine::from_name(engine).is_none() && !FUTURE_ENGINES.contains(&engine) {
                return Err(format!("line {line_no}: unknown engine `{engine}` in skip-engine"));
            }
            exp.skip_engines.push(engine.to_string());
        } else if let Some(rest) = after(line, "// [line ") {
            // `// [line N] Error...`
            let Some((number, error)) = rest.split_once("] ") else {
                return Err(format!("line {line_no}: malformed `// [line N] Error` comment"));
            };
            if number.parse::<usize>().is_err() || !error.starts_with("Error") {
                return Err(format!("line {line_no}: malformed `// [line N] Error` comment"));
            }
            exp.compile_errors.push(format!("[line {number}] {error}"));
        } else if let Some(error) = after(line, "// Error") {
            exp.compile_errors.push(format!("[line {line_no}] Error{error}"));
        }
    }
    if !exp.compile_errors.is_empty() {
        if let Some((_, line)) = &exp.runtime_error {
            return Err(format!("line {line}: a runtime error is expected, but so are compile errors"));
        }
        if !exp.stdout.is_empty() {
            return Err("compile errors are expected, but so is output".to_string());
        }
    }
    Ok(exp)
}

/// Names that `// skip-engine:` may use before their engine exists.
const FUTURE_ENGINES: &[&str] = &[];

/// The text after the first occurrence of `marker` in `line`.
fn after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|at| &line[at + marker.len()..])
}

// ---------------------------------------------------------------------------
// Running

#[derive(Clone)]
struct Outcome {
    stdout: String,
    stderr: String,
    /// `None` when the process was killed by a signal.
    code: Option<i32>,
    timed_out: bool,
}

struct RunConfig {
    gc_stress: bool,
    timeout: Duration,
}

fn run_process(step: &Step, config: &RunConfig, dir: &Path, stdin: Option<&[u8]>) -> Result<Outcome, String> {
    let mut command = Command::new(&step.program);
    let input = if stdin.is_some() { Stdio::piped() } else { Stdio::null() };
    command.args(&step.args).current_dir(dir).stdin(input).stdout(Stdio::piped()).stderr(Stdio::piped());
    if config.gc_stress {
        command.env("BRINE_GC_STRESS", "1");
    } else {
        command.env_remove("BRINE_GC_STRESS");
    }
    for var in TIER_VARS {
        command.env_remove(var);
    }
    command.envs(step.env.iter().map(|(k, v)| (k, v)));
    let mut child = command.spawn().map_err(|e| format!("cannot start {}: {e}", step.program.display()))?;
    let stdout_reader = read_in_background(child.stdout.take());
    let stderr_reader = read_in_background(child.stderr.take());
    // Written from another thread, so that a program that does not read
    // all of it cannot block the runner; closed at the end.
    if let (Some(mut pipe), Some(bytes)) = (child.stdin.take(), stdin) {
        let bytes = bytes.to_vec();
        thread::spawn(move || {
            use std::io::Write as _;
            let _ = pipe.write_all(&bytes);
        });
    }

    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for the program: {e}")),
        }
        if start.elapsed() >= config.timeout {
            timed_out = true;
            // The process may have exited in between; then kill fails harmlessly.
            let _ = child.kill();
            break child.wait().map_err(|e| format!("waiting for the killed program: {e}"))?;
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(25));
    };
    let stdout = stdout_reader.join().unwrap_or_default();
    let stderr = stderr_reader.join().unwrap_or_default();
    Ok(Outcome {
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        code: status.code(),
        timed_out,
    })
}

fn read_in_background(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

// ---------------------------------------------------------------------------
// Checking

/// Compares an outcome with the expectations; returns the failure report.
fn check(exp: &Expectations, outcome: &Outcome, timeout: Duration) -> Option<String> {
    let mut report = String::new();
    if outcome.timed_out {
        let _ = writeln!(report, "  timed out after {} s (killed)", timeout.as_secs());
    }

    let expected_code = exp.exit_code();
    if outcome.code != Some(expected_code) {
        let actual = match outcome.code {
            Some(code) => code.to_string(),
            None => "none (killed by a signal)".to_string(),
        };
        let _ = writeln!(report, "  exit code: expected {expected_code}, got {actual}");
    }

    let actual_stdout = lines(&outcome.stdout);
    let stdout_ok =
        actual_stdout.lines == exp.stdout && (outcome.stdout.is_empty() || actual_stdout.ends_with_newline);
    if !stdout_ok {
        let _ = writeln!(report, "  stdout differs:");
        diff(&mut report, &exp.stdout, &actual_stdout.lines);
        if !actual_stdout.ends_with_newline && !outcome.stdout.is_empty() {
            let _ = writeln!(report, "    (stdout does not end with a newline)");
        }
    }

    let actual_stderr = lines(&outcome.stderr).lines;
    if let Some(expected) = &exp.stderr {
        if &actual_stderr != expected {
            let _ = writeln!(report, "  stderr differs:");
            diff(&mut report, expected, &actual_stderr);
        }
    } else if !exp.compile_errors.is_empty() {
        if actual_stderr != exp.compile_errors {
            let _ = writeln!(report, "  compile errors differ:");
            diff(&mut report, &exp.compile_errors, &actual_stderr);
        }
    } else if let Some((message, line)) = &exp.runtime_error {
        let trace_prefix = format!("[line {line}] in ");
        let message_ok = actual_stderr.first() == Some(message);
        let trace_ok = actual_stderr.get(1).is_some_and(|l| l.starts_with(&trace_prefix));
        if !message_ok || !trace_ok {
            let _ = writeln!(report, "  runtime error differs:");
            let _ = writeln!(report, "    expected: {message}");
            let _ = writeln!(report, "              {trace_prefix}...");
            let _ = writeln!(report, "    actual stderr:");
            quote(&mut report, &actual_stderr);
        }
    } else if !actual_stderr.is_empty() {
        let _ = writeln!(report, "  stderr should be empty, got:");
        quote(&mut report, &actual_stderr);
    }

    (!report.is_empty()).then_some(report)
}

struct Lines {
    lines: Vec<String>,
    ends_with_newline: bool,
}

/// Splits output into lines; a final newline does not start another line.
fn lines(text: &str) -> Lines {
    let ends_with_newline = text.ends_with('\n');
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines = if text.is_empty() { Vec::new() } else { body.split('\n').map(str::to_string).collect() };
    Lines { lines, ends_with_newline }
}

/// Writes the first difference between two line lists and both lists around it.
fn diff(report: &mut String, expected: &[String], actual: &[String]) {
    let first =
        expected.iter().zip(actual).position(|(e, a)| e != a).unwrap_or(expected.len().min(actual.len()));
    let _ = writeln!(
        report,
        "    first difference at line {} (expected {} lines, got {})",
        first + 1,
        expected.len(),
        actual.len()
    );
    let _ = writeln!(report, "    expected: {}", show(expected.get(first)));
    let _ = writeln!(report, "    actual:   {}", show(actual.get(first)));
    let from = first.saturating_sub(3);
    let _ = writeln!(report, "    --- expected (from line {}) ---", from + 1);
    quote(report, &expected[from.min(expected.len())..]);
    let _ = writeln!(report, "    --- actual (from line {}) ---", from + 1);
    quote(report, &actual[from.min(actual.len())..]);
}

fn show(line: Option<&String>) -> String {
    match line {
        Some(line) => format!("`{line}`"),
        None => "(no line)".to_string(),
    }
}

fn quote(report: &mut String, lines: &[String]) {
    for line in lines.iter().take(REPORT_LINES) {
        let _ = writeln!(report, "    | {line}");
    }
    if lines.len() > REPORT_LINES {
        let _ = writeln!(report, "    | ... ({} more lines)", lines.len() - REPORT_LINES);
    }
}

// ---------------------------------------------------------------------------
// The corpus

struct TestFile {
    /// Relative to tests/lox, with `/` separators.
    name: String,
    path: PathBuf,
    expectations: Result<Expectations, String>,
}

fn collect_lox_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read the corpus directory {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("cannot read a corpus directory entry").path();
        if path.is_dir() {
            collect_lox_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "lox") {
            out.push(path);
        }
    }
}

fn load_corpus(filter: Option<&str>) -> Vec<TestFile> {
    let root = corpus_dir();
    let mut paths = Vec::new();
    collect_lox_files(&root, &mut paths);
    let mut tests: Vec<TestFile> = paths
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(&root).unwrap_or(&path);
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            TestFile { name, path, expectations: Err(String::new()) }
        })
        .filter(|t| filter.is_none_or(|f| t.name.contains(f)))
        .collect();
    tests.sort_by(|a, b| a.name.cmp(&b.name));
    for test in &mut tests {
        test.expectations = match std::fs::read(&test.path) {
            Ok(bytes) => parse_expectations(&String::from_utf8_lossy(&bytes)),
            Err(e) => Err(format!("cannot read the test file: {e}")),
        };
    }
    tests
}

/// The engines named by the environment variable `var` (a comma-separated
/// list), or by `BRINE_ENGINES` when `var` is unset, or the interpreter.
fn selected_engines(var: &str) -> Vec<Engine> {
    let spec = std::env::var(var).or_else(|_| std::env::var("BRINE_ENGINES")).unwrap_or_default();
    if spec.trim().is_empty() {
        return vec![Engine::Interp];
    }
    let mut engines = Vec::new();
    for name in spec.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let engine = Engine::from_name(name).unwrap_or_else(|| {
            let known: Vec<_> = Engine::ALL.iter().map(|e| e.name()).collect();
            panic!("BRINE_ENGINES: unknown engine `{name}` (known: {})", known.join(", "))
        });
        if !engines.contains(&engine) {
            engines.push(engine);
        }
    }
    engines
}

enum Verdict {
    /// With the run's stderr, which must also agree with the other engines'.
    Pass(String),
    Skip,
    Fail(String),
}

/// How many tests later than its build the other runs of a built executable
/// are scheduled.
const BUILD_LEAD: usize = 3;

/// One run of one test: under `engine`, with or without GC stress.
#[derive(Copy, Clone, PartialEq, Eq)]
struct Job {
    test: usize,
    engine: Engine,
    gc_stress: bool,
}

impl Job {
    fn label(&self) -> String {
        format!("{}{}", self.engine.name(), if self.gc_stress { ", gc stress" } else { "" })
    }
}

fn run_one(test: &TestFile, job: Job, number: usize, build: Option<&Build>, timeout: Duration) -> Verdict {
    let exp = match &test.expectations {
        Ok(exp) => exp,
        Err(e) => return Verdict::Fail(format!("  malformed test file: {e}\n")),
    };
    if exp.skip_engines.iter().any(|name| name == job.engine.name()) {
        return Verdict::Skip;
    }
    let config = RunConfig { gc_stress: job.gc_stress, timeout };
    let exe = match build.map(|b| b.executable(&test.path, &config)) {
        None => None,
        Some(Ok(exe)) => Some(exe.as_path()),
        Some(Err(outcome)) => {
            return match check(exp, outcome, timeout) {
                None => Verdict::Pass(outcome.stderr.clone()),
                Some(report) => Verdict::Fail(report),
            };
        }
    };
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance").join(format!(
        "{}-{}-{number}",
        std::process::id(),
        job.engine.name()
    ));
    if let Err(e) = std::fs::create_dir_all(&scratch) {
        return Verdict::Fail(format!("  cannot create {}: {e}\n", scratch.display()));
    }
    let step = job.engine.plan(&test.path, exe);
    let verdict = match run_process(&step, &config, &scratch, exp.stdin.as_deref()) {
        Ok(outcome) => match check(exp, &outcome, timeout) {
            None => Verdict::Pass(outcome.stderr),
            Some(report) => Verdict::Fail(report),
        },
        Err(e) => Verdict::Fail(format!("  {e}\n")),
    };
    let _ = std::fs::remove_dir_all(&scratch);
    verdict
}

/// Runs the corpus in the engines of `BRINE_ENGINES`, and, with
/// `BRINE_GC_STRESS_TESTS=1`, again under GC stress in those of
/// `BRINE_GC_STRESS_ENGINES`: one list of jobs, test by test, so that the
/// runs of one executable follow its build and its files go soon after.
fn run_corpus() {
    let filter = std::env::var("BRINE_TEST_FILTER").ok().filter(|f| !f.is_empty());
    let timeout_of = |gc_stress: bool| {
        let default_timeout = if gc_stress { 300 } else { 60 };
        let secs = std::env::var("BRINE_TEST_TIMEOUT")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(default_timeout);
        Duration::from_secs(secs)
    };
    let mut modes: Vec<(Engine, bool)> =
        selected_engines("BRINE_ENGINES").into_iter().map(|e| (e, false)).collect();
    if std::env::var("BRINE_GC_STRESS_TESTS").is_ok_and(|v| v == "1") {
        modes.extend(selected_engines("BRINE_GC_STRESS_ENGINES").into_iter().map(|e| (e, true)));
    } else {
        println!("GC stress runs skipped: set BRINE_GC_STRESS_TESTS=1 to run them");
    }
    let tests = load_corpus(filter.as_deref());
    if tests.is_empty() {
        assert!(filter.is_some(), "no .lox test found under {}", corpus_dir().display());
        println!("conformance: no test matches BRINE_TEST_FILTER={}", filter.unwrap_or_default());
        println!("0 passed, 0 failed");
        return;
    }

    // Test by test; but a run of an executable that an earlier mode of the
    // same test builds waits a few tests, so that it does not wait on the
    // build while the other core idles.
    let mut order: Vec<(usize, Job)> = Vec::new();
    for test in 0..tests.len() {
        let mut flags_seen = Vec::new();
        for &(engine, gc_stress) in &modes {
            let job = Job { test, engine, gc_stress };
            let later = match engine.build_flags() {
                Some(flags) if flags_seen.contains(&flags) => BUILD_LEAD,
                Some(flags) => {
                    flags_seen.push(flags);
                    0
                }
                None => 0,
            };
            order.push((test + later, job));
        }
    }
    order.sort_by_key(|&(slot, _)| slot);
    let jobs: Vec<Job> = order.into_iter().map(|(_, job)| job).collect();
    let build_root = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("conformance")
        .join(format!("{}-builds", std::process::id()));
    let mut builds: std::collections::HashMap<(usize, &'static [&'static str]), Build> = Default::default();
    for job in &jobs {
        if let Some(flags) = job.engine.build_flags() {
            let n = builds.len();
            let build = builds.entry((job.test, flags)).or_insert_with(|| Build {
                flags,
                dir: build_root.join(n.to_string()),
                result: OnceLock::new(),
                uses: AtomicUsize::new(0),
            });
            build.uses.fetch_add(1, Ordering::Relaxed);
        }
    }
    let build_of = |job: &Job| job.engine.build_flags().and_then(|flags| builds.get(&(job.test, flags)));
    let verdicts: Vec<Mutex<Option<Verdict>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    // How long each job took, its build included when it made it.
    let times: Vec<Mutex<Duration>> = jobs.iter().map(|_| Mutex::new(Duration::ZERO)).collect();
    let next = AtomicUsize::new(0);
    let workers = thread::available_parallelism().map_or(1, |n| n.get()).min(jobs.len());
    let started = Instant::now();
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let number = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(number) else { break };
                    let build = build_of(job);
                    let started = Instant::now();
                    let verdict = run_one(&tests[job.test], *job, number, build, timeout_of(job.gc_stress));
                    *times[number].lock().unwrap_or_else(|p| p.into_inner()) = started.elapsed();
                    if let Some(build) = build {
                        build.release();
                    }
                    *verdicts[number].lock().unwrap_or_else(|p| p.into_inner()) = Some(verdict);
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&build_root);

    agree_on_stderr(&jobs, &verdicts);
    let mut passed = 0;
    let mut failed = 0;
    let mut summaries = Vec::new();
    for &(engine, gc_stress) in &modes {
        let (mut mode_passed, mut mode_failed, mut mode_skipped) = (0, 0, 0);
        let mut mode_time = Duration::ZERO;
        for (number, job) in jobs.iter().enumerate() {
            if (job.engine, job.gc_stress) != (engine, gc_stress) {
                continue;
            }
            mode_time += *times[number].lock().unwrap_or_else(|p| p.into_inner());
            let verdict = verdicts[number].lock().unwrap_or_else(|p| p.into_inner()).take();
            match verdict {
                Some(Verdict::Pass(_)) => mode_passed += 1,
                Some(Verdict::Skip) => mode_skipped += 1,
                Some(Verdict::Fail(report)) => {
                    mode_failed += 1;
                    let test = &tests[job.test];
                    println!("FAIL [{}] {} ({})", job.label(), test.name, test.path.display());
                    print!("{report}");
                }
                None => {
                    mode_failed += 1;
                    println!("FAIL [{}] {}: the test did not run", job.label(), tests[job.test].name);
                }
            }
        }
        let label = Job { test: 0, engine, gc_stress }.label();
        summaries.push(format!(
            "{label}: {mode_passed} passed, {mode_failed} failed, {mode_skipped} skipped ({:.1} s of runs)",
            mode_time.as_secs_f64()
        ));
        passed += mode_passed;
        failed += mode_failed;
    }
    println!(
        "conformance: {} tests, {} modes, {} builds, {:.1} s",
        tests.len(),
        modes.len(),
        builds.len(),
        started.elapsed().as_secs_f64()
    );
    for summary in summaries {
        println!("{summary}");
    }
    println!("{passed} passed, {failed} failed");
    assert!(failed == 0, "{failed} conformance test runs failed (see above)");
}

/// The expectations give a runtime error's message and its innermost trace
/// line; the rest of stderr (every trace line) must be what the first
/// mode (the reference interpreter, by default) printed. A passing run
/// whose stderr differs from the first mode's passing run fails; so does
/// one under GC stress, which must not change what a program prints.
///
/// Only runaway recursion is compared loosely. How deep it gets before
/// "Stack overflow." depends on each engine's frame sizes, so the count in
/// the `... N more frames ...` line that elides the middle of its trace,
/// and which frames are innermost (in mutual recursion, which function
/// overflowed), differ between engines; the message and the outermost
/// frames, after the elision, must still agree.
fn agree_on_stderr(jobs: &[Job], verdicts: &[Mutex<Option<Verdict>>]) {
    let Some(first) = jobs.first() else { return };
    let reference = (first.engine, first.gc_stress);
    let mut expected: std::collections::HashMap<usize, String> = std::collections::HashMap::new();
    for (number, job) in jobs.iter().enumerate() {
        if (job.engine, job.gc_stress) == reference
            && let Some(Verdict::Pass(stderr)) = &*verdicts[number].lock().unwrap_or_else(|p| p.into_inner())
        {
            expected.insert(job.test, stderr.clone());
        }
    }
    for (number, job) in jobs.iter().enumerate() {
        let mut verdict = verdicts[number].lock().unwrap_or_else(|p| p.into_inner());
        if (job.engine, job.gc_stress) == reference {
            continue;
        }
        if let (Some(Verdict::Pass(stderr)), Some(want)) = (&*verdict, expected.get(&job.test))
            && without_elided_count(stderr) != without_elided_count(want)
        {
            let mut report = format!(
                "  stderr differs from {}'s:\n",
                Job { test: 0, engine: reference.0, gc_stress: reference.1 }.label()
            );
            diff(&mut report, &lines(want).lines, &lines(stderr).lines);
            *verdict = Some(Verdict::Fail(report));
        }
    }
}

/// `text` with the innermost frames and the frame count of a trace whose
/// middle is elided (`... N more frames ...`) left out: its first line (the
/// message) and the lines after the elision.
fn without_elided_count(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let elision = lines.iter().position(|line| {
        line.strip_prefix("... ")
            .and_then(|rest| rest.strip_suffix(" more frames ..."))
            .is_some_and(|count| count.bytes().all(|b| b.is_ascii_digit()))
    });
    match elision {
        Some(at) => {
            let mut kept = vec![lines[0], "... more frames ..."];
            kept.extend(&lines[at + 1..]);
            kept.join("\n")
        }
        None => text.to_string(),
    }
}

#[test]
fn conformance() {
    run_corpus();
}

#[cfg(test)]
mod runner_tests {
    use super::*;

    #[test]
    fn parses_every_kind_of_expectation() {
        let source = "print 1; // expect: 1  \n\
                      x; // expect runtime error: Boom.\n\
                      // expect stderr: Boom.\n\
                      // skip-engine: jit\n";
        let exp = parse_expectations(source).unwrap();
        assert_eq!(exp.stdout, vec!["1  ".to_string()]);
        assert_eq!(exp.runtime_error, Some(("Boom.".to_string(), 2)));
        assert_eq!(exp.stderr, Some(vec!["Boom.".to_string()]));
        assert_eq!(exp.skip_engines, vec!["jit".to_string()]);
        assert_eq!(exp.exit_code(), EXIT_RUNTIME);
        assert_eq!(exp.stdin, None);

        let source = "// stdin: one\n// stdin:\n// stdin:  two \nexit(3); // expect exit: 3\n// stdin (no newline): end\n";
        let exp = parse_expectations(source).unwrap();
        assert_eq!(exp.stdin.as_deref(), Some(&b"one\n\n two \nend"[..]));
        assert_eq!(exp.exit_code(), 3);

        let source = "\nvar = 1; // Error at '=': Expect variable name.\n// [line 9] Error at end: Expect '}' after block.\n";
        let exp = parse_expectations(source).unwrap();
        assert_eq!(
            exp.compile_errors,
            vec![
                "[line 2] Error at '=': Expect variable name.".to_string(),
                "[line 9] Error at end: Expect '}' after block.".to_string(),
            ]
        );
        assert_eq!(exp.exit_code(), EXIT_COMPILE);
    }

    #[test]
    fn rejects_contradictory_expectations() {
        assert!(parse_expectations("a; // Error at 'a': X.\nb; // expect runtime error: Y.\n").is_err());
        assert!(parse_expectations("print 1; // expect: 1\nvar; // Error at ';': X.\n").is_err());
        assert!(parse_expectations("// skip-engine: nonesuch\n").is_err());
        assert!(parse_expectations("// expect exit: x\n").is_err());
        assert!(parse_expectations("// expect exit: 1\n// expect exit: 2\n").is_err());
    }

    #[test]
    fn trace_elision_counts_may_differ() {
        let a = "Stack overflow.\n[line 2] in f()\n... 1032 more frames ...\n[line 5] in script\n";
        let b = "Stack overflow.\n[line 1] in g()\n... 99 more frames ...\n[line 5] in script\n";
        let c = "Stack overflow.\n[line 2] in f()\n... 99 more frames ...\n[line 6] in script\n";
        let d = "Boom.\n[line 2] in f()\n[line 5] in script\n";
        assert_eq!(without_elided_count(a), without_elided_count(b));
        assert_ne!(without_elided_count(a), without_elided_count(c));
        assert_eq!(without_elided_count(d), d);
    }

    #[test]
    fn checks_outputs() {
        let exp = parse_expectations("print 1; // expect: 1\nx; // expect runtime error: Boom.\n").unwrap();
        let good = Outcome {
            stdout: "1\n".to_string(),
            stderr: "Boom.\n[line 2] in script\n".to_string(),
            code: Some(70),
            timed_out: false,
        };
        assert!(check(&exp, &good, Duration::from_secs(1)).is_none());
        let bad = Outcome { stdout: "1".to_string(), ..good };
        assert!(check(&exp, &bad, Duration::from_secs(1)).is_some());
    }
}
