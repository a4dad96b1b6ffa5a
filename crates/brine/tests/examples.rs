//! The example programs of `examples/`: each case runs one program on the
//! inputs under `examples/data/` in every engine, and checks its stdout,
//! stderr and exit code exactly.
//!
//! The interpreters written in Lox (and the README's tutorial program) also
//! run as executables built by `brine build`, `-O2`, `--jit` and `-O2 --jit`
//! (those with the JIT specialize as `brine run` does; the others run the
//! interpreter with its arguments bound).
//!
//! A case named NAME expects its stdout in `data/NAME.expected` and its
//! stderr in `data/NAME.stderr` (unless the case names other files); a file
//! that does not exist means that stream must be empty. Programs run with
//! `examples/` as the working directory, so paths (and the error messages
//! that show them) are relative to it.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One run of an example program.
struct Case {
    /// Names the expected files (`data/NAME.expected`, `data/NAME.stderr`).
    name: &'static str,
    /// The program, relative to `examples/`.
    program: &'static str,
    /// What `args()` returns.
    args: &'static [&'static str],
    /// A file under `data/` fed to stdin (stdin is empty otherwise).
    stdin: Option<&'static str>,
    /// The expected stdout and stderr files, when not NAME's own.
    stdout_file: Option<&'static str>,
    stderr_file: Option<&'static str>,
    code: i32,
}

const CASE: Case =
    Case { name: "", program: "", args: &[], stdin: None, stdout_file: None, stderr_file: None, code: 0 };

const WORDFREQ: &[Case] = &[
    // The top 10 (the default), with ties broken alphabetically.
    Case { name: "wordfreq", program: "wordfreq.lox", args: &["data/wordfreq.txt"], ..CASE },
    // An explicit N, reaching into the words that occur twice.
    Case { name: "wordfreq_top25", program: "wordfreq.lox", args: &["data/wordfreq.txt", "25"], ..CASE },
    // No file: a usage line and EX_USAGE.
    Case { name: "wordfreq_usage", program: "wordfreq.lox", code: 64, ..CASE },
    // An N that is not a positive whole number: the same.
    Case {
        name: "wordfreq_bad_n",
        program: "wordfreq.lox",
        args: &["data/wordfreq.txt", "2.5"],
        stderr_file: Some("wordfreq_usage.stderr"),
        code: 64,
        ..CASE
    },
    // A missing file: readFile's runtime error, with its trace.
    Case {
        name: "wordfreq_missing",
        program: "wordfreq.lox",
        args: &["data/no-such-file.txt"],
        code: 70,
        ..CASE
    },
];

const JSON: &[Case] = &[
    // Nesting, empty containers, every kind of value: the layout of
    // `python3 -m json.tool --indent 2`, byte for byte.
    Case { name: "json_nested", program: "json.lox", stdin: Some("json_nested.json"), ..CASE },
    // Escapes, \u kept as written, raw UTF-8, duplicate keys, number text.
    Case { name: "json_escapes", program: "json.lox", stdin: Some("json_escapes.json"), ..CASE },
    // Malformed input: one `error: ... at line L, column C` line, exit 65.
    Case {
        name: "json_malformed",
        program: "json.lox",
        stdin: Some("json_malformed.json"),
        code: 65,
        ..CASE
    },
    Case {
        name: "json_unterminated",
        program: "json.lox",
        stdin: Some("json_unterminated.json"),
        code: 65,
        ..CASE
    },
    Case {
        name: "json_trailing_comma",
        program: "json.lox",
        stdin: Some("json_trailing_comma.json"),
        code: 65,
        ..CASE
    },
    Case {
        name: "json_bad_escape",
        program: "json.lox",
        stdin: Some("json_bad_escape.json"),
        code: 65,
        ..CASE
    },
    Case { name: "json_empty", program: "json.lox", stdin: Some("json_empty.json"), code: 65, ..CASE },
    Case { name: "json_extra", program: "json.lox", stdin: Some("json_extra.json"), code: 65, ..CASE },
];

const TOKENIZER: &[Case] = &[
    // Every token type of the book's scanner, from a file.
    Case { name: "tokens", program: "tokenizer.lox", args: &["data/tokens.lox"], ..CASE },
    // The same source from stdin.
    Case {
        name: "tokens_stdin",
        program: "tokenizer.lox",
        stdin: Some("tokens.lox"),
        stdout_file: Some("tokens.expected"),
        ..CASE
    },
    // Unexpected characters and an unterminated string: the book's error
    // lines on stderr, every token on stdout, exit 65.
    Case {
        name: "tokens_error",
        program: "tokenizer.lox",
        args: &["data/tokens_error.lox"],
        code: 65,
        ..CASE
    },
];

// The README's brine.specialize tutorial.
const REGISTER_VM: &[Case] = &[Case { name: "register_vm", program: "register_vm.lox", ..CASE }];

/// The cases of an interpreter written in Lox: each guest program
/// `data/NAME.EXT` (name => exit code) runs specialized (the default) and
/// with `--plain` (the interpreter unspecialized), and both runs must match
/// the same expected files; then any other cases, after `; also`.
macro_rules! specialized_and_plain {
    ($program:literal, $ext:literal; $($name:literal => $code:literal),* $(; also $($other:expr),*)?) => {
        &[
            $(
                Case { name: $name, program: $program, args: &[concat!("data/", $name, ".", $ext)], code: $code, ..CASE },
                Case {
                    name: concat!($name, "_plain"),
                    program: $program,
                    args: &[concat!("data/", $name, ".", $ext), "--plain"],
                    stdout_file: Some(concat!($name, ".expected")),
                    stderr_file: Some(concat!($name, ".stderr")),
                    code: $code,
                    ..CASE
                },
            )*
            $($($other),*)?
        ]
    };
}

// The interpreters written in Lox (DESIGN.md section 9): each guest
// program runs specialized (the default) and with `--plain` (the
// interpreter unspecialized), and both must print exactly the same.

const BAGEL: &[Case] = specialized_and_plain!("bagel.lox", "bagel";
    // A counting loop with arithmetic, <=, >, != and a loop that never runs.
    "bagel_loop" => 0,
    // Recursion (fib, Ackermann, gcd), mutual recursion with a forward
    // reference, several parameters, a function without return.
    "bagel_calls" => 0,
    // Nested loops, if/else chains, and/or/!, shadowing in nested blocks.
    "bagel_nested" => 0,
    // A syntax error: one `bagel: line N: ...` line, nothing run, exit 65.
    "bagel_syntax_error" => 65,
    // A function reading a top-level variable: undefined, exit 65.
    "bagel_undefined" => 65,
    // A call with the wrong number of arguments (checked when compiling):
    // exit 65, at the line of the call.
    "bagel_arity" => 65,
    // A division by zero at run time: the output so far, then one error
    // line and exit 70.
    "bagel_div_zero" => 70
    ; also
    // No program: a usage line and EX_USAGE.
    Case { name: "bagel_usage", program: "bagel.lox", code: 64, ..CASE }
);

const LOXLOX: &[Case] = specialized_and_plain!("loxlox.lox", "lox";
    // Loops, arithmetic, number printing, comparison and logic.
    "loxlox_loop" => 0,
    // Recursion, closures, a counter closure, shared captured variables.
    "loxlox_calls" => 0,
    // Classes: fields, methods, init, this, bound methods, inheritance, super.
    "loxlox_objects" => 0,
    // Syntax errors: clox's `[line N] Error at 'x': ...` lines, exit 65.
    "loxlox_syntax_error" => 65,
    // Scope errors of a program that parses (return at top level, `this`
    // outside a class, a class inheriting from itself, ...): exit 65.
    "loxlox_scope_error" => 65,
    // A runtime error inside a guest function: the output before it, then
    // the message and `[line N] in area()`, exit 70.
    "loxlox_runtime_error" => 70
);

/// A way of running a program: a name, the options after `run`, and the
/// environment.
type Engine = (&'static str, &'static [&'static str], &'static [(&'static str, &'static str)]);

/// The ways of running a program.
const ENGINES: &[Engine] = &[
    ("interp", &["--engine=interp"], &[]),
    ("jit", &["--engine=jit"], &[]),
    ("baseline", &["--engine=jit", "--no-tier"], &[]),
    ("default", &[], &[]),
    // Tier up after two calls or loop iterations, so that every crossing
    // between the interpreter and native code happens.
    ("hot", &[], &[("BRINE_TIER_THRESHOLD", "2")]),
    // And with every third guard failing.
    ("deopt", &[], &[("BRINE_TIER_THRESHOLD", "2"), ("BRINE_DEOPT_STRESS", "3")]),
];

/// The environment variables that change how `brine run` runs a program.
const ENGINE_VARS: &[&str] = &["BRINE_TIER", "BRINE_TIER_THRESHOLD", "BRINE_DEOPT_STRESS", "BRINE_GC_STRESS"];

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn data_file(name: &str) -> PathBuf {
    examples_dir().join("data").join(name)
}

/// The contents of an expected file; empty if there is none.
fn expected(name: &str) -> Vec<u8> {
    std::fs::read(data_file(name)).unwrap_or_default()
}

fn stdout_file(case: &Case) -> String {
    case.stdout_file.map_or_else(|| format!("{}.expected", case.name), str::to_string)
}

fn stderr_file(case: &Case) -> String {
    case.stderr_file.map_or_else(|| format!("{}.stderr", case.name), str::to_string)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `case` under one engine; returns a description of every difference.
fn run_case(case: &Case, engine: &(&str, &[&str], &[(&str, &str)])) -> Vec<String> {
    let (engine_name, options, env) = *engine;
    let mut command = Command::new(env!("CARGO_BIN_EXE_brine"));
    command.arg("run").args(options).arg(case.program).args(case.args);
    command.envs(env.iter().copied());
    run_command(case, engine_name, command)
}

/// The ways of building a program: a name and the options of `brine build`.
const BUILDS: &[(&str, &[&str])] =
    &[("aot", &[]), ("aot-o2", &["-O2"]), ("aot-jit", &["--jit"]), ("aot-o2-jit", &["-O2", "--jit"])];

/// Builds `program` (under `examples/`) with `flags` into `dir`; the
/// executable.
fn build(program: &str, (name, flags): (&str, &[&str]), dir: &Path) -> PathBuf {
    let exe = dir.join(format!("{}-{name}", program.trim_end_matches(".lox")));
    let out = Command::new(env!("CARGO_BIN_EXE_brine"))
        .current_dir(examples_dir())
        .arg("build")
        .args(flags)
        .arg(program)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("brine starts");
    assert!(out.status.success(), "building {program} {flags:?}: {}", text(&out.stderr));
    exe
}

/// Runs `case` with the executable `exe` built from its program.
fn run_built(case: &Case, name: &str, exe: &Path) -> Vec<String> {
    let mut command = Command::new(exe);
    command.args(case.args);
    run_command(case, name, command)
}

/// Runs `command` (a run of `case`) in `examples/`, with its stdin; returns
/// a description of every difference from what `case` expects.
fn run_command(case: &Case, engine_name: &str, mut command: Command) -> Vec<String> {
    command.current_dir(examples_dir());
    for var in ENGINE_VARS {
        command.env_remove(var);
    }
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let stdin = match case.stdin {
        Some(file) => std::fs::read(data_file(file)).unwrap_or_else(|e| panic!("reading data/{file}: {e}")),
        None => Vec::new(),
    };
    let mut child = command.spawn().expect("brine starts");
    let mut pipe = child.stdin.take().unwrap();
    // Write from a thread, so that a program that does not read its stdin
    // (or prints a lot first) cannot deadlock the test.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&stdin);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();

    let what = format!("{} [{engine_name}]", case.name);
    let mut failures = Vec::new();
    let want_stdout = expected(&stdout_file(case));
    if out.stdout != want_stdout {
        failures.push(format!(
            "{what}: stdout differs from data/{}\n--- expected\n{}--- actual\n{}",
            stdout_file(case),
            text(&want_stdout),
            text(&out.stdout)
        ));
    }
    let want_stderr = expected(&stderr_file(case));
    if out.stderr != want_stderr {
        failures.push(format!(
            "{what}: stderr differs from data/{}\n--- expected\n{}--- actual\n{}",
            stderr_file(case),
            text(&want_stderr),
            text(&out.stderr)
        ));
    }
    if out.status.code() != Some(case.code) {
        failures.push(format!("{what}: exit status {:?}, expected {}", out.status.code(), case.code));
    }
    failures
}

/// Runs every case in every engine, a few runs at a time.
fn check(cases: &[Case]) {
    check_with(cases, false)
}

/// Runs every case in every engine and, when `built`, with its program
/// built in every build mode too (each built once), a few runs at a time.
fn check_with(cases: &[Case], built: bool) {
    let dir = std::env::temp_dir().join(format!("brine-examples-{}-{}", std::process::id(), cases[0].name));
    std::fs::create_dir_all(&dir).unwrap();
    let mut programs: Vec<&str> = if built { cases.iter().map(|c| c.program).collect() } else { Vec::new() };
    programs.sort();
    programs.dedup();
    let exes: Vec<(&str, &str, PathBuf)> = programs
        .iter()
        .flat_map(|&p| BUILDS.iter().map(move |&b| (p, b)))
        .map(|(p, b)| (p, b.0, build(p, b, &dir)))
        .collect();
    enum Run<'a> {
        Brine(&'a Engine),
        Built(&'a str, &'a Path),
    }
    let mut runs: Vec<(&Case, Run)> =
        cases.iter().flat_map(|case| ENGINES.iter().map(move |e| (case, Run::Brine(e)))).collect();
    for case in cases {
        for (program, name, exe) in &exes {
            if *program == case.program {
                runs.push((case, Run::Built(name, exe)));
            }
        }
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
    let mut failures: Vec<(usize, Vec<String>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((case, run)) = runs.get(i) else { break done };
                        let failures = match run {
                            Run::Brine(engine) => run_case(case, engine),
                            Run::Built(name, exe) => run_built(case, name, exe),
                        };
                        done.push((i, failures));
                    }
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a worker panicked")).collect()
    });
    let _ = std::fs::remove_dir_all(&dir);
    failures.sort_by_key(|(i, _)| *i);
    let failures: Vec<String> = failures.into_iter().flat_map(|(_, f)| f).collect();
    assert!(failures.is_empty(), "{} failures:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn wordfreq() {
    check(WORDFREQ);
}

#[test]
fn json() {
    check(JSON);
}

#[test]
fn tokenizer() {
    check(TOKENIZER);
}

#[test]
fn register_vm() {
    check_with(REGISTER_VM, true);
}

#[test]
fn bagel() {
    check_with(BAGEL, true);
}

#[test]
fn loxlox() {
    check_with(LOXLOX, true);
}

/// Every expectation under `data/` belongs to a case, and every input a case
/// names exists, so that a renamed case cannot silently check nothing.
#[test]
fn every_data_file_is_used() {
    let cases = || WORDFREQ.iter().chain(JSON).chain(TOKENIZER).chain(BAGEL).chain(LOXLOX).chain(REGISTER_VM);
    let mut used = BTreeSet::new();
    for case in cases() {
        assert!(examples_dir().join(case.program).is_file(), "{}: no program {}", case.name, case.program);
        used.insert(stdout_file(case));
        used.insert(stderr_file(case));
        for input in case.stdin.into_iter().chain(case.args.iter().filter_map(|a| a.strip_prefix("data/"))) {
            if !input.starts_with("no-such-") {
                assert!(data_file(input).is_file(), "{}: no input data/{input}", case.name);
            }
            used.insert(input.to_string());
        }
    }
    let mut unused = Vec::new();
    for entry in std::fs::read_dir(examples_dir().join("data")).expect("examples/data exists") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !used.contains(&name) {
            unused.push(name);
        }
    }
    unused.sort();
    assert!(unused.is_empty(), "files under examples/data that no case uses: {unused:?}");
}
