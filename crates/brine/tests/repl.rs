//! The REPL on a terminal: each test starts `brine` with no arguments in a
//! pseudo-terminal (rexpect), types entries and waits for what the screen
//! shows. Every wait has a 10 s timeout and fails the test when it runs
//! out; nothing sleeps. HOME is a fresh directory, so the history file of
//! a test is its own.
//!
//! What a test waits for never appears in what it types, so the editor's
//! echo of the input cannot satisfy it: values print on a line of their
//! own (`\n42\r\n`), which the typed line is not.

use rexpect::process::WaitStatus;
use rexpect::session::{Options, PtySession, spawn_with_options};
use std::process::Command;

const TIMEOUT_MS: u64 = 10_000;

/// `brine` in a pseudo-terminal, with ANSI escape codes stripped from what
/// it shows unless `colours`.
fn start(test: &str, colours: bool) -> PtySession {
    let home = std::env::temp_dir().join(format!("brine-repl-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_brine"));
    command
        .env("HOME", &home)
        .env("TERM", "xterm")
        .env_remove("BRINE_TIER")
        .env_remove("BRINE_TIER_THRESHOLD");
    let options = Options::new().timeout_ms(Some(TIMEOUT_MS)).strip_ansi_escape_codes(!colours);
    let mut p = spawn_with_options(command, options).expect("brine starts in a pty");
    p.exp_string("> ").expect("the first prompt");
    p
}

fn repl(test: &str) -> PtySession {
    start(test, false)
}

/// Waits for a line of output that is exactly `line`.
fn expect_line(p: &mut PtySession, line: &str) {
    let pattern = format!(r"\n{}\r?\n", regex_escape(line));
    if let Err(e) = p.exp_regex(&pattern) {
        panic!("no line '{line}' on the screen: {e}");
    }
}

fn expect_text(p: &mut PtySession, text: &str) {
    if let Err(e) = p.exp_string(text) {
        panic!("no '{text}' on the screen: {e}");
    }
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == ' ' { c.to_string() } else { format!("\\{c}") })
        .collect()
}

/// Ends the session with Ctrl-D and checks that brine exits with 0.
fn end(mut p: PtySession) {
    p.send_control('d').unwrap();
    p.exp_eof().expect("brine exits on Ctrl-D");
    match p.process().wait() {
        Ok(WaitStatus::Exited(_, code)) => assert_eq!(code, 0, "the exit code after Ctrl-D"),
        other => panic!("brine did not exit normally: {other:?}"),
    }
}

#[test]
fn a_bare_expression_prints_its_value() {
    let mut p = repl("echo");
    p.send_line("6 * 7").unwrap();
    expect_line(&mut p, "42");
    p.send_line("\"a\" + \"b\";").unwrap();
    expect_line(&mut p, "ab");
    p.send_line("nil").unwrap();
    expect_line(&mut p, "nil");
    // Statements print only what they print.
    p.send_line("print 100 + 23;").unwrap();
    expect_line(&mut p, "123");
    end(p);
}

#[test]
fn variables_and_functions_persist_across_entries() {
    let mut p = repl("persist");
    p.send_line("var base = 40;").unwrap();
    p.send_line("fun plus(n) {").unwrap();
    expect_text(&mut p, "... ");
    p.send_line("  return base + n;").unwrap();
    p.send_line("}").unwrap();
    p.send_line("plus(2)").unwrap();
    expect_line(&mut p, "42");
    p.send_line("base = 50;").unwrap();
    p.send_line("plus(3);").unwrap();
    expect_line(&mut p, "53");
    end(p);
}

#[test]
fn a_compile_error_is_reported_and_the_next_entry_runs() {
    let mut p = repl("compile_error");
    p.send_line("print 1 +;").unwrap();
    expect_text(&mut p, "Error at ';': Expect expression.");
    p.send_line("var x = 1").unwrap();
    expect_text(&mut p, "Error at end: Expect ';' after variable declaration.");
    p.send_line("print 6 * 7;").unwrap();
    expect_line(&mut p, "42");
    end(p);
}

#[test]
fn a_runtime_error_is_reported_and_earlier_globals_stay() {
    let mut p = repl("runtime_error");
    p.send_line("var kept = 5;").unwrap();
    p.send_line("print nope;").unwrap();
    expect_text(&mut p, "Undefined variable 'nope'.");
    p.send_line("kept * 2").unwrap();
    expect_line(&mut p, "10");
    end(p);
}

#[test]
fn a_stack_overflow_is_a_runtime_error_and_the_session_goes_on() {
    let mut p = repl("stack_overflow");
    p.send_line("var before = 20;").unwrap();
    p.send_line("fun down() { return down(); }").unwrap();
    p.send_line("down();").unwrap();
    expect_text(&mut p, "Stack overflow.");
    p.send_line("before + 1").unwrap();
    expect_line(&mut p, "21");
    end(p);
}

#[test]
fn ctrl_c_drops_the_entry_being_typed() {
    let mut p = repl("ctrl_c");
    p.send_line("fun half() {").unwrap();
    expect_text(&mut p, "... ");
    p.send_control('c').unwrap();
    // The line editor drops what was typed after a Ctrl-C before the new
    // prompt shows (its read-ahead goes with the interrupted line): wait.
    p.exp_regex(r"\n\r?> ").expect("a new prompt after Ctrl-C");
    // A new entry, not the rest of the dropped one.
    p.send_line("print 60 + 6;").unwrap();
    expect_line(&mut p, "66");
    end(p);
}

#[test]
fn help_lists_the_commands() {
    let mut p = repl("help");
    p.send_line(":help").unwrap();
    for command in [":load FILE", ":ir CODE", ":asm CODE", ":profile", ":quit"] {
        expect_text(&mut p, command);
    }
    p.send_line(":frobnicate").unwrap();
    expect_text(&mut p, "unknown command ':frobnicate' (:help lists the commands)");
    p.send_line(":load").unwrap();
    expect_text(&mut p, ":load needs an argument: :load FILE");
    p.send_line(":asm").unwrap();
    expect_text(&mut p, ":asm needs an argument: :asm CODE");
    p.send_line(":quit now").unwrap();
    expect_text(&mut p, ":quit takes no argument (not 'now')");
    end(p);
}

#[test]
fn load_runs_a_file_whose_globals_stay() {
    let dir = std::env::temp_dir().join(format!("brine-repl-{}-load-files", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("lib.lox");
    std::fs::write(
        &file,
        "var loaded = 7;\nfun twice(x) { return x * 2; }\nprint \"loaded \" + str(loaded);\n",
    )
    .unwrap();
    let mut p = repl("load");
    p.send_line(&format!(":load {}", file.display())).unwrap();
    expect_line(&mut p, "loaded 7");
    p.send_line("twice(loaded)").unwrap();
    expect_line(&mut p, "14");
    p.send_line(&format!(":load {}", dir.join("missing.lox").display())).unwrap();
    expect_text(&mut p, "cannot read");
    p.send_line("twice(4)").unwrap();
    expect_line(&mut p, "8");
    end(p);
}

#[test]
fn ir_shows_the_ir_of_an_entry_without_running_it() {
    let mut p = repl("ir");
    p.send_line(":ir 1 + 2").unwrap();
    expect_text(&mut p, "number 1.0");
    expect_text(&mut p, "number 2.0");
    expect_text(&mut p, "add v");
    expect_text(&mut p, "print v");
    // It did not run: nothing printed 3, and the next value is the next entry's.
    p.send_line("40 + 4").unwrap();
    let (before, _) = p.exp_regex(r"\n44\r?\n").expect("the next entry runs");
    assert!(!before.contains("\n3\r"), "the :ir entry ran: {before}");
    end(p);
}

#[test]
fn asm_shows_machine_code() {
    let mut p = repl("asm");
    p.send_line(":asm 1 + 2").unwrap();
    p.exp_regex(r#"; f\d+ "" \(script, arity 0\)"#).expect("the script's header");
    expect_text(&mut p, "brine_add");
    if cfg!(target_arch = "x86_64") {
        expect_text(&mut p, "ret");
    }
    end(p);
}

#[test]
fn profile_reports_the_calls_so_far() {
    let mut p = repl("profile");
    p.send_line("fun square(x) { return x * x; }").unwrap();
    p.send_line("square(3) + square(4)").unwrap();
    expect_line(&mut p, "25");
    p.send_line(":profile").unwrap();
    expect_text(&mut p, "== brine profile: functions by calls ==");
    p.exp_regex(r"\nsquare +1 +2 ").expect("square's row: line 1, 2 calls");
    end(p);
}

#[test]
fn tab_completes_a_global_defined_in_the_session() {
    let mut p = repl("completion");
    p.send_line("var counter_value = 41;").unwrap();
    // Only the completed name makes this entry print 42.
    p.send("print counter_v").unwrap();
    p.send("\t").unwrap();
    p.send_line(" + 1;").unwrap();
    expect_line(&mut p, "42");
    end(p);
}

#[test]
fn a_keyword_is_coloured_as_it_is_typed() {
    let mut p = start("colour", true);
    p.send_line("var coloured = 1;").unwrap();
    expect_text(&mut p, "\x1b[1;35mvar\x1b[0m");
    p.send_line("print \"s\";").unwrap();
    expect_text(&mut p, "\x1b[32m\"s\"\x1b[0m");
    end(p);
}

#[test]
fn quit_ends_the_session_with_exit_code_0() {
    let mut p = repl("quit");
    p.send_line(":quit").unwrap();
    p.exp_eof().expect("brine exits on :quit");
    match p.process().wait() {
        Ok(WaitStatus::Exited(_, code)) => assert_eq!(code, 0),
        other => panic!("brine did not exit normally: {other:?}"),
    }
}

/// Piped into, the REPL reads plain lines: no prompt, no colour, and no
/// echo of expressions, so a program prints what `brine run` prints; the
/// commands work there too.
#[test]
fn piped_input_is_read_as_plain_lines_without_echo() {
    use std::io::Write;
    use std::process::Stdio;
    let home = std::env::temp_dir().join(format!("brine-repl-{}-piped", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_brine"))
        .env("HOME", &home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("brine starts");
    let input = "1 + 2;\nvar x = 4;\nx;\nprint x;\n:ir x * 10;\n:nope\nprint x + 1;\n";
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.starts_with("4\nfunction f"), "{stdout}");
    assert!(stdout.contains("number 10.0") && stdout.ends_with("}\n5\n"), "{stdout}");
    assert!(!stdout.contains('\x1b') && !stdout.contains("> "), "{stdout}");
    assert_eq!(stderr, "brine: unknown command ':nope' (:help lists the commands)\n");
}
