//! Rich and classic diagnostics (DESIGN.md section 11), as a person sees
//! them: under a terminal (a pseudo-terminal made by `script`), piped, and
//! chosen with `--diagnostics`.

use std::process::{Command, Output};

fn brine() -> Command {
    Command::new(env!("CARGO_BIN_EXE_brine"))
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("brine-diagnostics-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `brine ARGS` with stdin, stdout and stderr on a pseudo-terminal
/// (util-linux's `script`), and returns what the terminal showed and the
/// exit code.
fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> (String, Option<i32>) {
    terminal_run(std::path::Path::new(env!("CARGO_BIN_EXE_brine")), args, env)
}

/// A built executable run on a pseudo-terminal.
fn run_on_terminal(exe: &std::path::Path, env: &[(&str, &str)]) -> (String, Option<i32>) {
    terminal_run(exe, &[], env)
}

fn terminal_run(program: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (String, Option<i32>) {
    let mut command = vec![shell_quote(program.to_str().unwrap())];
    command.extend(args.iter().map(|a| shell_quote(a)));
    let mut script = Command::new("script");
    script.args(["-qec", &command.join(" "), "/dev/null"]);
    for (k, v) in env {
        script.env(k, v);
    }
    let out = script.output().expect("util-linux's `script` runs");
    (text(&out.stdout).replace("\r\n", "\n"), out.status.code())
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Removes ANSI colour sequences.
fn plain(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

const RUNTIME_ERROR: &str =
    "var a = 1;\nfun f(x) {\n  return x + \"s\";\n}\nprint \"before\";\nprint f(a);\n";

#[test]
fn a_terminal_gets_rich_coloured_errors_and_classic_on_request() {
    let path = temp_file("terminal.lox", RUNTIME_ERROR);
    let (shown, code) = on_terminal(&["run", path.to_str().unwrap()], &[]);
    assert_eq!(code, Some(70), "{shown}");
    assert!(shown.contains('\x1b'), "colour on a terminal: {shown:?}");
    let shown = plain(&shown);
    assert!(shown.starts_with("before\n"), "stdout first: {shown}");
    assert!(shown.contains("error: Operands must be two numbers or two strings."), "{shown}");
    assert!(shown.contains(&format!("{}:3:10", path.display())), "{shown}");
    assert!(shown.contains("return x + \"s\";"), "{shown}");
    assert!(shown.contains("^^^^^^^"), "{shown}");
    assert!(shown.contains("[line 3] in f()") && shown.contains("[line 6] in script"), "{shown}");

    // NO_COLOR: still rich, without colour.
    let (shown, _) = on_terminal(&["run", path.to_str().unwrap()], &[("NO_COLOR", "1")]);
    assert!(!shown.contains('\x1b') && shown.contains("^^^^^^^"), "{shown:?}");

    let (shown, code) = on_terminal(&["run", "--diagnostics=classic", path.to_str().unwrap()], &[]);
    assert_eq!(code, Some(70));
    assert_eq!(
        shown,
        "before\nOperands must be two numbers or two strings.\n[line 3] in f()\n[line 6] in script\n"
    );

    let bad = temp_file("terminal_bad.lox", "print 1;\nprint (2;\n");
    let (shown, code) = on_terminal(&["run", bad.to_str().unwrap()], &[("NO_COLOR", "1")]);
    assert_eq!(code, Some(65));
    assert!(shown.contains("error: Expect ')' after expression."), "{shown}");
    assert!(shown.contains(&format!("{}:2:9", bad.display())), "{shown}");
    assert!(shown.contains("print (2;"), "{shown}");
}

#[test]
fn piped_output_is_classic_byte_for_byte() {
    let path = temp_file("piped.lox", RUNTIME_ERROR);
    let out = brine().args(["run", path.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(70));
    assert_eq!(text(&out.stdout), "before\n");
    assert_eq!(
        text(&out.stderr),
        "Operands must be two numbers or two strings.\n[line 3] in f()\n[line 6] in script\n"
    );
}

fn rich_run(path: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = brine();
    command.arg("--diagnostics=rich").arg("run").args(args).arg(path);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

/// A mode of `brine run`: its name, options and environment.
type Mode<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);

#[test]
fn every_engine_points_at_the_same_expression() {
    // The error happens in a hot function, after it has been compiled and
    // (in the tiered modes) optimized, with `g` inlined into `f`.
    let program = "fun g(x) {\n  return x * 2;\n}\nfun f(x) {\n  return g(x) + 1;\n}\n\
                   var s = 0;\nfor (var i = 0; i < 3000; i = i + 1) s = s + f(i);\nprint s;\nprint f(\"oops\");\n";
    let path = temp_file("engines.lox", program);
    let modes: [Mode; 5] = [
        ("interp", &["--engine=interp"], &[]),
        ("baseline", &["--no-tier"], &[]),
        ("tiered", &[], &[]),
        ("hot", &["--tier-threshold=2"], &[]),
        ("deopt", &["--tier-threshold=2"], &[("BRINE_DEOPT_STRESS", "3")]),
    ];
    for (mode, args, env) in modes {
        let out = rich_run(&path, args, env);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(70), "{mode}: {err}");
        assert_eq!(text(&out.stdout), "9000000\n", "{mode}");
        assert!(!err.contains('\x1b'), "{mode}: no colour when piped");
        assert!(err.starts_with("error: Operands must be numbers.\n"), "{mode}: {err}");
        assert!(err.contains(&format!("{}:2:10", path.display())), "{mode}: {err}");
        assert!(err.contains("2 │   return x * 2;"), "{mode}: {err}");
        assert!(err.contains("│          ^^^^^"), "{mode}: {err}");
        assert!(
            err.contains("= [line 2] in g()\n    [line 5] in f()\n    [line 10] in script\n"),
            "{mode}: {err}"
        );
    }
}

#[test]
fn the_repl_shows_the_entry_that_holds_the_failing_code() {
    let mut child = brine()
        .arg("--diagnostics=rich")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .env("HOME", std::env::temp_dir())
        .spawn()
        .unwrap();
    use std::io::Write;
    let input = "fun f(o) {\n  return o.field;\n}\nprint 1;\nf(nil);\nprint 2;\nprint 3 +;\n";
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    let stdout = text(&out.stdout);
    assert!(stdout.contains('1') && stdout.contains('2'), "the session goes on: {stdout}");
    assert!(err.contains("error: Only instances have properties."), "{err}");
    // The failing code is in the first entry, the call in a later one.
    assert!(err.contains("2 │   return o.field;"), "{err}");
    assert!(err.contains("[line 2] in f()"), "{err}");
    assert!(err.contains("error: Expect expression."), "{err}");
    assert!(err.contains("print 3 +;"), "{err}");
}

#[test]
fn built_executables_show_rich_errors_on_a_terminal_or_when_asked() {
    let path = temp_file("exe.lox", RUNTIME_ERROR);
    let classic = "Operands must be two numbers or two strings.\n[line 3] in f()\n[line 6] in script\n";
    for (i, flags) in [&[][..], &["--jit"], &["-O2"], &["-O2", "--jit"]].into_iter().enumerate() {
        let exe = path.with_extension(format!("{i}.exe"));
        let mut args = vec!["build", path.to_str().unwrap(), "-o", exe.to_str().unwrap()];
        args.extend_from_slice(flags);
        let out = brine().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{flags:?}: {}", text(&out.stderr));
        // Piped: classic.
        let run = Command::new(&exe).output().unwrap();
        assert_eq!((run.status.code(), text(&run.stderr).as_str()), (Some(70), classic), "{flags:?}");
        // Asked for: rich, without colour on a pipe.
        let run = Command::new(&exe).env("BRINE_DIAGNOSTICS", "rich").output().unwrap();
        let err = text(&run.stderr);
        assert_eq!(run.status.code(), Some(70), "{flags:?}");
        assert!(err.starts_with("error: Operands must be two numbers or two strings.\n"), "{flags:?}: {err}");
        assert!(err.contains("3 │   return x + \"s\";\n  │          ^^^^^^^"), "{flags:?}: {err}");
        assert!(err.contains("= [line 3] in f()\n    [line 6] in script"), "{flags:?}: {err}");
        // On a terminal: rich and coloured by default, classic when asked.
        let (shown, code) = run_on_terminal(&exe, &[]);
        assert_eq!(code, Some(70));
        assert!(shown.contains('\x1b') && plain(&shown).contains("^^^^^^^"), "{flags:?}: {shown:?}");
        let (shown, _) = run_on_terminal(&exe, &[("BRINE_DIAGNOSTICS", "classic")]);
        assert_eq!(shown, format!("before\n{classic}"), "{flags:?}");
    }
    // A compile error of `brine build` is rich when asked for.
    let bad = temp_file("exe_bad.lox", "var = 1;\n");
    let exe = path.with_extension("never.exe");
    let out = brine()
        .args(["--diagnostics=rich", "build", bad.to_str().unwrap(), "-o", exe.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let err = text(&out.stderr);
    assert!(err.contains("error: Expect variable name.") && err.contains("1 │ var = 1;"), "{err}");
}
