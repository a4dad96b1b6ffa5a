//! The command line's contract: exit codes, streams, the REPL.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn brine(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_brine"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("brine starts");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn temp_file(name: &str, text: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("brine-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn usage_errors_exit_64() {
    assert_eq!(brine(&["frobnicate"], "").status.code(), Some(64));
    assert_eq!(brine(&["run"], "").status.code(), Some(64));
    let out = brine(&["run", "--engine=nope", "x.lox"], "");
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn help_exits_0_and_names_the_commands() {
    let out = brine(&["--help"], "");
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    assert!(help.contains("run") && help.contains("emit"), "{help}");
}

#[test]
fn unreadable_file_exits_74() {
    let out = brine(&["run", "/nonexistent/dir/prog.lox"], "");
    assert_eq!(out.status.code(), Some(74));
    assert!(text(&out.stderr).contains("cannot read"));
}

#[test]
fn compile_error_exits_65_with_nothing_on_stdout() {
    let path = temp_file("compile_error.lox", b"print \"ok\";\nprint 1 +;\nvar;\n");
    let out = brine(&["run", path.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(65));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "[line 2] Error at ';': Expect expression.\n[line 3] Error at ';': Expect variable name.\n"
    );
}

#[test]
fn runtime_error_exits_70_after_flushing_stdout() {
    let path = temp_file("runtime_error.lox", b"print \"before\";\nprint -\"x\";\nprint \"after\";\n");
    let out = brine(&["run", path.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(70));
    assert_eq!(text(&out.stdout), "before\n");
    assert_eq!(text(&out.stderr), "Operand must be a number.\n[line 2] in script\n");
}

#[test]
fn invalid_utf8_source_is_a_diagnostic() {
    let path = temp_file("bytes.lox", b"print \"\xff\xfe\";\n\xff\n");
    let out = brine(&["run", path.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(65));
    assert_eq!(text(&out.stderr), "[line 2] Error: Unexpected character.\n");
}

#[test]
fn emit_ir_prints_the_script() {
    let path = temp_file("emit.lox", b"print 1 + 2;\n");
    let out = brine(&["emit", "ir", path.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0));
    let ir = text(&out.stdout);
    assert!(ir.contains("function f0 \"\"(arity 0, captures 0, script, line"), "{ir}");
    assert!(ir.contains("add v"), "{ir}");
}

#[test]
fn emit_o2_ir_shows_what_the_whole_program_analysis_predicts() {
    // A list in a global that only ever holds it, and a constant class.
    let path = temp_file(
        "emit-o2.lox",
        b"var xs = [1, 2, 3];\n\
          class P { init(x) { this.x = x; } get() { return this.x; } }\n\
          var p = P(4);\n\
          fun f(i) { return xs[i] + p.get(); }\n\
          print f(1);\n",
    );
    let out = brine(&["emit", "o2-ir", path.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ir = text(&out.stdout);
    let f = ir.split("; -O2 version of ").find(|v| v.contains(" \"f\"(")).expect("f is optimized");
    // `xs[i]`: the library's list, by its shape, raw array and length;
    // `p.get()`: P's method, inlined as a load at x's slot.
    assert!(f.contains("guard_index") && f.contains("array_get"), "{f}");
    assert!(!f.contains("invoke") && !f.contains("get_index") && f.contains("load_field"), "{f}");
    assert!(ir.contains("class links") && ir.contains(": P (declared in"), "{ir}");
}

#[test]
fn repl_keeps_globals_continues_lines_and_survives_errors() {
    let session = "var a = 1;\nfun add(x) {\n  return a + x;\n}\nprint add(2);\nprint nope;\nprint 1 +;\na = 10;\nprint add(2);\n";
    let out = brine(&[], session);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> =
        stdout.lines().map(|l| l.trim_start_matches(['>', '.', ' '])).filter(|l| !l.is_empty()).collect();
    assert_eq!(lines, ["3", "12"], "stdout: {stdout}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Undefined variable 'nope'."), "{stderr}");
    assert!(stderr.contains("Error at ';': Expect expression."), "{stderr}");
}

#[test]
fn emit_clif_and_asm_show_native_code() {
    let path = temp_file("emit_native.lox", b"fun add(a, b) { return a + b; }\nprint add(1, 2);\n");
    let clif = brine(&["emit", "clif", path.to_str().unwrap()], "");
    assert_eq!(clif.status.code(), Some(0), "{}", text(&clif.stderr));
    let clif = text(&clif.stdout);
    assert!(
        clif.contains("; f1 \"add\"") && clif.contains("fadd") && clif.contains("get_stack_pointer"),
        "{clif}"
    );
    let asm = brine(&["emit", "asm", path.to_str().unwrap()], "");
    assert_eq!(asm.status.code(), Some(0), "{}", text(&asm.stderr));
    let asm = text(&asm.stdout);
    assert!(asm.contains("; f1 \"add\"") && asm.contains("brine_add"), "{asm}");
}

#[test]
fn built_executable_runs_on_its_own() {
    let src = temp_file(
        "standalone.lox",
        b"class A { init(n) { this.n = n; } }\nprint A(41).n + 1;\nprint nope;\n",
    );
    let dir = std::env::temp_dir().join(format!("brine-cli-exe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("standalone");
    let out = brine(&["build", src.to_str().unwrap(), "-o", exe.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Run it from elsewhere, with an empty environment: it needs nothing of Brine's.
    let run = Command::new(&exe).env_clear().current_dir("/").output().unwrap();
    assert_eq!(text(&run.stdout), "42\n");
    assert_eq!(text(&run.stderr), "Undefined variable 'nope'.\n[line 3] in script\n");
    assert_eq!(run.status.code(), Some(70));
}

#[test]
fn built_executables_never_map_writable_executable_memory_and_carry_no_code_generator() {
    // The program reads its own memory map while it runs (a native does),
    // after its functions have run, and counts the mappings that are
    // writable, executable (it sees both kinds), and both at once.
    let src = temp_file(
        "wx.lox",
        b"fun square(x) { return x * x; }
var sum = 0;
for (var i = 0; i < 10000; i = i + 1) sum = sum + square(i);
var lines = split(readFile(\"/proc/self/maps\"), \"\n\");
var w = 0;
var x = 0;
var wx = 0;
for (var i = 0; i < lines.len(); i = i + 1) {
  var fields = split(lines[i], \" \");
  if (fields.len() > 1) {
    var writable = indexOf(fields[1], \"w\") != -1;
    var executable = indexOf(fields[1], \"x\") != -1;
    if (writable) w = w + 1;
    if (executable) x = x + 1;
    if (writable and executable) wx = wx + 1;
  }
}
print sum;
print w > 0 and x > 0;
print wx;
",
    );
    let dir = std::env::temp_dir().join(format!("brine-cli-wx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("wx");
    let out = brine(&["build", src.to_str().unwrap(), "-o", exe.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run = Command::new(&exe).output().unwrap();
    assert_eq!(text(&run.stdout), "333283335000\ntrue\n0\n", "{}", text(&run.stderr));

    // No Cranelift in it: its symbols name the runtime's helpers, and
    // none of the code generator's (which `brine` itself has).
    let symbols = |path: &std::path::Path| {
        let out = Command::new("nm").arg(path).output().expect("nm (binutils) is installed with cc");
        text(&out.stdout)
    };
    let exe_symbols = symbols(&exe);
    assert!(exe_symbols.contains("brine_get_index"), "the executable has its symbols");
    assert!(!exe_symbols.contains("cranelift"), "a built executable links no code generator");
    assert!(symbols(std::path::Path::new(env!("CARGO_BIN_EXE_brine"))).contains("cranelift"));

    // Optimized ahead of time, it carries the interpreter (for failed
    // guards) and its IR, but still no code generator, and maps nothing
    // writable and executable.
    let o2_exe = dir.join("wx-o2");
    let out = brine(&["build", "-O2", src.to_str().unwrap(), "-o", o2_exe.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run = Command::new(&o2_exe).output().unwrap();
    assert_eq!(text(&run.stdout), "333283335000\ntrue\n0\n", "{}", text(&run.stderr));
    let o2_symbols = symbols(&o2_exe);
    assert!(o2_symbols.contains("brine_deopt"), "the -O2 executable has its symbols");
    assert!(!o2_symbols.contains("cranelift"), "an -O2 executable links no code generator");

    // The same program built with the JIT has the code generator, and is
    // several times the size.
    let jit_exe = dir.join("wx-jit");
    let out = brine(&["build", "--jit", src.to_str().unwrap(), "-o", jit_exe.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run = Command::new(&jit_exe).output().unwrap();
    assert!(text(&run.stdout).starts_with("333283335000\ntrue\n"), "{}", text(&run.stderr));
    assert!(symbols(&jit_exe).contains("cranelift"), "a --jit executable carries the code generator");
    let size = |path: &std::path::Path| std::fs::metadata(path).unwrap().len();
    assert!(
        size(&exe) * 4 < size(&jit_exe),
        "without the JIT {} bytes, with it {} bytes",
        size(&exe),
        size(&jit_exe)
    );
}

/// Builds `program` (named `name`) with `brine build` and `flags`; the executable's path.
fn build(name: &str, program: &[u8], flags: &[&str]) -> std::path::PathBuf {
    let src = temp_file(&format!("{name}.lox"), program);
    let exe = src.with_extension("exe");
    let mut args = vec!["build"];
    args.extend_from_slice(flags);
    args.extend([src.to_str().unwrap(), "-o", exe.to_str().unwrap()]);
    let out = brine(&args, "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    exe
}

#[test]
fn jit_executables_start_on_their_own_code_tier_up_and_report_it() {
    let exe = build("hot-jit", HOT_PROGRAM, &["--jit"]);
    let run = Command::new(&exe).output().unwrap();
    assert_eq!(
        (text(&run.stdout), text(&run.stderr), run.status.code()),
        ("3000\n".into(), String::new(), Some(0))
    );
    let run = Command::new(&exe).env("BRINE_TIER", "eager").output().unwrap();
    assert_eq!(
        (text(&run.stdout), text(&run.stderr), run.status.code()),
        ("3000\n".into(), String::new(), Some(0))
    );

    let run = Command::new(&exe).env("BRINE_PROFILE", "1").output().unwrap();
    assert_eq!(text(&run.stdout), "3000\n");
    let report = text(&run.stderr);
    let row = |name: &str| profile_row(&report, name);
    // function, line, calls, loops, tier, compile ms, osr, opts, deopts, inlined
    let hot = row("hot");
    // 1000 calls in its ahead-of-time code, 250 (a quarter of the
    // threshold) in the interpreter, then optimized code's until the
    // script's loop, optimized, inlines it.
    let calls: u32 = hot[2].parse().unwrap();
    assert!((1250..=3000).contains(&calls), "{report}");
    assert_eq!((hot[4].as_str(), hot[7].as_str(), hot[8].as_str()), ("optimized", "1", "0"), "{report}");
    // The script's loop left its ahead-of-time code for the interpreter at
    // its 1000th iteration, and the interpreter's for optimized code 250
    // later: the interpreter counted those iterations only.
    let script = row("script");
    assert_eq!(
        (script[3].as_str(), script[4].as_str(), script[6].as_str()),
        ("250", "optimized", "1"),
        "{report}"
    );
    assert!(report.contains("(2 functions left ahead-of-time code for the interpreter"), "{report}");

    // Without the JIT, the same executable's code never tiers: no report.
    let exe = build("hot-no-jit", HOT_PROGRAM, &["--no-jit"]);
    let run = Command::new(&exe).env("BRINE_PROFILE", "1").output().unwrap();
    assert_eq!((text(&run.stdout), text(&run.stderr)), ("3000\n".into(), String::new()));
}

#[test]
fn an_o2_jit_executable_starts_optimized_and_optimizes_again_after_a_failed_guard() {
    // The analysis predicts numbers for `add`'s `+`, inlined in the
    // script's loop; at the 2000th iteration it joins strings.
    let program: &[u8] = b"fun add(a, b) { return a + b; }\n\
        var s = 0;\n\
        for (var i = 0; i < 6000; i = i + 1) {\n\
          if (i < 2000) s = add(s, 1); else s = add(str(s), \"\");\n\
        }\n\
        print s;\n";
    let exe = build("o2-jit", program, &["-O2", "--jit"]);
    let run = Command::new(&exe).env("BRINE_PROFILE", "1").output().unwrap();
    assert_eq!((text(&run.stdout), run.status.code()), ("2000\n".into(), Some(0)), "{}", text(&run.stderr));
    let report = text(&run.stderr);
    // function, line, calls, loops, tier, compile ms, osr, opts, deopts, inlined:
    // the script started on its version optimized ahead of time, whose
    // guard failed once; the interpreter then profiled its loop, and the
    // JIT optimized it again (entered by on-stack replacement).
    let script = profile_row(&report, "script");
    assert_eq!(
        (script[4].as_str(), script[6].as_str(), script[7].as_str(), script[8].as_str()),
        ("optimized", "1", "2", "1"),
        "{report}"
    );
    assert!(report.contains("== deoptimizations =="), "{report}");
}

#[test]
fn a_jit_executable_refuses_ir_of_another_version_at_start_up() {
    let exe = build("version", HOT_PROGRAM, &["--jit"]);
    // The executable carries exactly the encoding of the program's module.
    // (The module keeps the source under the name `brine build` was given.)
    let mut module = brine_ir::Module::new();
    let source = exe.with_extension("lox");
    brine_frontend::compile_named(HOT_PROGRAM, source.to_str().unwrap(), &mut module)
        .expect("the program compiles");
    let encoded = brine_ir::binary::encode(&module);
    let mut bytes = std::fs::read(&exe).unwrap();
    let at = bytes.windows(encoded.len()).position(|w| w == encoded).expect("the executable carries its IR");
    assert_eq!(bytes[at..at + 8], [b'B', b'R', b'I', b'R', 2, 0, 0, 0]);
    bytes[at + 4] = 99;
    let patched = exe.with_extension("v99");
    std::fs::write(&patched, &bytes).unwrap();
    let chmod = Command::new("chmod").arg("+x").arg(&patched).status().unwrap();
    assert!(chmod.success());
    let run = Command::new(&patched).output().unwrap();
    assert_eq!(text(&run.stdout), "");
    assert_eq!(
        text(&run.stderr),
        "brine: this executable cannot start: its program is Brine IR of format version 99, but this runtime \
         reads version 2; build it again with `brine build --jit`\n"
    );
    assert_eq!(run.status.code(), Some(101));
}

#[test]
fn args_are_the_arguments_after_the_file_in_run_and_in_built_executables() {
    let src = temp_file("args.lox", b"var a = args();\nprint a;\nprint len(a);\n");
    for engine in ["interp", "jit"] {
        let out = brine(&["run", "--engine", engine, src.to_str().unwrap(), "one", "two words", "-x"], "");
        assert_eq!(
            text(&out.stdout),
            "[\"one\", \"two words\", \"-x\"]\n3\n",
            "{engine}: {}",
            text(&out.stderr)
        );
    }
    let out = brine(&["run", src.to_str().unwrap()], "");
    assert_eq!(text(&out.stdout), "[]\n0\n");
    let dir = std::env::temp_dir().join(format!("brine-cli-args-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("args");
    let out = brine(&["build", src.to_str().unwrap(), "-o", exe.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run = Command::new(&exe).args(["a", "b"]).output().unwrap();
    assert_eq!(text(&run.stdout), "[\"a\", \"b\"]\n2\n", "{}", text(&run.stderr));
}

#[test]
fn build_reports_compile_errors_and_a_missing_runtime_library() {
    let bad = temp_file("build_bad.lox", b"print (;\n");
    let exe = std::env::temp_dir().join(format!("brine-cli-never-{}", std::process::id()));
    let out = brine(&["build", bad.to_str().unwrap(), "-o", exe.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(65));
    assert_eq!(text(&out.stderr), "[line 1] Error at ';': Expect expression.\n");
    assert!(!exe.exists());

    let good = temp_file("build_good.lox", b"print 1;\n");
    let out = Command::new(env!("CARGO_BIN_EXE_brine"))
        .args(["build", good.to_str().unwrap(), "-o", exe.to_str().unwrap()])
        .env("BRINE_RT_LIB", "/nonexistent/libbrine_rt.a")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(74));
    assert!(text(&out.stderr).contains("BRINE_RT_LIB"), "{}", text(&out.stderr));
    // -O0 and -O2 are the levels; --jit and --no-jit exclude each other.
    for flags in [&["-O1"][..], &["--jit", "--no-jit"]] {
        let mut args = vec!["build", good.to_str().unwrap(), "-o", exe.to_str().unwrap()];
        args.extend_from_slice(flags);
        let out = brine(&args, "");
        assert_eq!(out.status.code(), Some(64), "{flags:?}: {}", text(&out.stderr));
        assert!(!exe.exists());
    }
}

/// A function called 3,000 times, twice an iteration of a loop of 5,000
/// iterations in the script: both cross the default tier-up threshold,
/// the function first (at the loop's 500th iteration), and the loop's
/// optimized code inlines it.
const HOT_PROGRAM: &[u8] = b"fun hot(n) { return n + 1; }\n\
var s = 0;\n\
for (var i = 0; i < 5000; i = i + 1) {\n\
  if (i < 1500) s = hot(hot(s));\n\
}\n\
print s;\n";

/// The columns of function `name`'s row of a `--profile` report: function,
/// line, calls, loops, tier, compile ms, osr, opts, deopts, inlined.
fn profile_row(report: &str, name: &str) -> Vec<String> {
    report
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row for {name} in:\n{report}"))
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn profile_shows_tier_ups_and_on_stack_replacement() {
    let path = temp_file("hot.lox", HOT_PROGRAM);
    let out = brine(&["run", "--profile", path.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "3000\n");
    let report = text(&out.stderr);
    let row = |name: &str| profile_row(&report, name);
    // function, line, calls, loops, tier, compile ms, osr, opts, deopts, inlined
    let hot = row("hot");
    // The interpreter's 1000 calls and the optimized code's until the
    // script's loop moves to optimized code, which inlines the rest.
    let calls: u32 = hot[2].parse().unwrap();
    assert!((1000..3000).contains(&calls), "{report}");
    assert_eq!(hot[3], "0", "hot has no loop:\n{report}");
    assert_eq!(hot[4], "optimized", "{report}");
    assert_eq!((hot[7].as_str(), hot[8].as_str(), hot[9].as_str()), ("1", "0", "1"), "{report}");
    let script = row("script");
    assert_eq!(script[2], "1", "{report}");
    // The interpreter ran the loop until it was hot, then native code the rest.
    let loops: u32 = script[3].parse().unwrap();
    assert!((1..3000).contains(&loops), "{report}");
    assert_eq!(script[4], "optimized", "{report}");
    assert_eq!(script[6], "1", "the script's loop moves to native code once:\n{report}");

    let out = brine(&["run", "--no-tier", "--profile", path.to_str().unwrap()], "");
    assert_eq!(text(&out.stdout), "3000\n");
    let report = text(&out.stderr);
    let hot = report.lines().find(|l| l.starts_with("hot ")).expect("a row for hot");
    assert!(hot.contains(" 3000 ") && hot.contains(" baseline "), "{report}");

    let out = brine(&["run", "--engine=interp", "--profile", path.to_str().unwrap()], "");
    assert_eq!(text(&out.stdout), "3000\n");
    let report = text(&out.stderr);
    let hot = report.lines().find(|l| l.starts_with("hot ")).expect("a row for hot");
    assert!(hot.contains(" 3000 ") && hot.contains(" interp "), "{report}");
}

#[test]
fn perf_map_names_compiled_functions() {
    let path = temp_file("perf.lox", HOT_PROGRAM);
    let child = Command::new(env!("CARGO_BIN_EXE_brine"))
        .args(["run", "--perf-map", path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("brine starts");
    let map = format!("/tmp/perf-{}.map", child.id());
    let out = child.wait_with_output().unwrap();
    assert_eq!(text(&out.stdout), "3000\n");
    let text = std::fs::read_to_string(&map).expect("the perf map is written");
    let _ = std::fs::remove_file(&map);
    let names: Vec<&str> = text.lines().map(|l| l.splitn(3, ' ').nth(2).unwrap_or("")).collect();
    assert!(names.contains(&"lox:hot (optimized)"), "{text}");
    assert!(names.iter().any(|n| n.starts_with("lox:script (osr block")), "{text}");
    for line in text.lines() {
        let mut fields = line.split(' ');
        let start = u64::from_str_radix(fields.next().unwrap(), 16).expect("a hex address");
        let size = u64::from_str_radix(fields.next().unwrap(), 16).expect("a hex size");
        assert!(start != 0 && size != 0, "{line}");
    }
}

#[test]
fn profile_shows_deoptimizations_and_their_lines() {
    // `add` sees numbers 2,000 times, is optimized for them, then gets
    // strings: its guard fails, the activation finishes in the interpreter,
    // and the function is optimized again without that speculation.
    let source = b"fun add(a, b) {\n  return a + b;\n}\n\
var n = 0;\n\
for (var i = 0; i < 4000; i = i + 1) {\n\
  if (i < 2000) n = add(n, 1); else add(\"a\", \"b\");\n\
}\n\
print n;\n\
print add(\"x\", \"y\");\n";
    let path = temp_file("deopt.lox", source);
    let out = brine(&["run", "--profile", path.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "2000\nxy\n");
    let report = text(&out.stderr);
    let add = report.lines().find(|l| l.starts_with("add ")).unwrap_or_else(|| panic!("{report}"));
    let fields: Vec<&str> = add.split_whitespace().collect();
    assert_eq!(fields[4], "optimized", "{report}");
    assert_eq!(fields[7], "2", "optimized again after the deoptimization:\n{report}");
    assert_eq!(fields[8], "1", "{report}");
    assert!(
        report.lines().any(|l| l.starts_with("add ")
            && l.contains("line     2")
            && l.contains("1 x: a number guard failed")),
        "{report}"
    );
}

#[test]
fn internal_errors_have_their_own_exit_code() {
    // Every compilation fails: the program still finishes in the
    // interpreter, and the run ends with an internal error, not a Lox one.
    let path = temp_file("fault.lox", HOT_PROGRAM);
    let out = Command::new(env!("CARGO_BIN_EXE_brine"))
        .args(["run", path.to_str().unwrap()])
        .env("BRINE_FAULT", "compile")
        .output()
        .unwrap();
    assert_eq!(text(&out.stdout), "3000\n");
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("brine: internal error: cannot compile "), "{stderr}");
    assert_eq!(out.status.code(), Some(101));
}

#[test]
fn tiering_settings_are_checked() {
    let path = temp_file("settings.lox", b"print 1;\n");
    let out = brine(&["run", "--tier-threshold", "soon", path.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(64));
    let out = Command::new(env!("CARGO_BIN_EXE_brine"))
        .args(["run", path.to_str().unwrap()])
        .env("BRINE_TIER", "sometimes")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(text(&out.stderr).contains("BRINE_TIER"), "{}", text(&out.stderr));
    for threshold in ["0", "1", "7"] {
        let out = brine(&["run", "--tier-threshold", threshold, path.to_str().unwrap()], "");
        assert_eq!((out.status.code(), text(&out.stdout)), (Some(0), "1\n".to_string()));
    }
}

/// Runs `brine run FILE` with stdout and stderr both going to one file, so
/// that their order shows; returns that text and the exit code.
fn run_interleaved(name: &str, program: &[u8], extra: &[&str]) -> (String, Option<i32>) {
    let src = temp_file(name, program);
    let log = src.with_extension("log");
    let file = std::fs::File::create(&log).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_brine"))
        .arg("run")
        .args(extra)
        .arg(&src)
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .status()
        .unwrap();
    (text(&std::fs::read(&log).unwrap()), status.code())
}

#[test]
fn stdout_is_flushed_before_natives_write_stderr_or_exit() {
    // stdout is a file here, so fully buffered: only the flushes keep the order.
    let program = b"print \"out 1\";\neprint(\"err 1\");\nprint \"out 2\";\nprinterr(\"err 2\");\n\
                    print \"out 3\";\nprint_error(\"err 3\");\nprint \"out 4\";\nexit(5);\nprint \"never\";\n";
    for engine in [&["--engine=interp"][..], &["--no-tier"], &[]] {
        let (log, code) = run_interleaved("interleaved.lox", program, engine);
        assert_eq!(log, "out 1\nerr 1\nout 2\nerr 2\nout 3\nerr 3\nout 4\n", "{engine:?}");
        assert_eq!(code, Some(5), "{engine:?}");
    }
}

#[test]
fn a_native_runtime_error_comes_after_the_output_before_it() {
    let (log, code) = run_interleaved("native_error.lox", b"print \"first\";\nprint len(1);\n", &[]);
    assert_eq!(log, "first\nExpected a string, list or map as the argument of 'len'.\n[line 2] in script\n");
    assert_eq!(code, Some(70));
}

#[test]
fn read_line_reads_what_is_piped_in() {
    let src = temp_file(
        "echo.lox",
        b"var line = readLine();\nwhile (line != nil) { print upper(line); line = readLine(); }\n",
    );
    let out = brine(&["run", src.to_str().unwrap()], "one\r\ntwo\nthree");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "ONE\nTWO\nTHREE\n");
}

#[test]
fn a_saved_profile_guides_an_o2_build_and_must_be_of_the_same_program() {
    // `add` sees strings in the profiled run; the executable then runs
    // with numbers too (its input differs), and must print what the
    // interpreter prints.
    let program: &[u8] = b"fun add(a, b) { return a + b; }\n\
        class Box { init(v) { this.v = v; } }\n\
        var n = len(args());\n\
        var box = Box(n);\n\
        var s = \"\";\n\
        for (var i = 0; i < 3000; i = i + 1) {\n\
          if (n == 0) s = add(s, \"x\"); else s = add(i, 1);\n\
        }\n\
        print len(str(s)) + box.v - n;\n";
    let src = temp_file("profiled.lox", program);
    let profile = src.with_extension("profile");
    let out = brine(&["run", "--save-profile", profile.to_str().unwrap(), src.to_str().unwrap()], "");
    assert_eq!((text(&out.stdout), out.status.code()), ("3000\n".into(), Some(0)), "{}", text(&out.stderr));
    let saved = std::fs::read_to_string(&profile).unwrap();
    assert!(saved.starts_with("brine profile 2\nmodule "), "{saved}");
    assert!(saved.lines().any(|l| l.starts_with("call ")), "the call of add is in the profile:\n{saved}");
    // Every function that ran has a count (the script ran once, at least).
    assert!(saved.lines().any(|l| l.starts_with("count ") && l != "count 0 0"), "{saved}");
    // Eager tiering counts no first calls: the profile then has no counts.
    let eager = src.with_extension("eager-profile");
    let out = Command::new(env!("CARGO_BIN_EXE_brine"))
        .args(["run", "--save-profile", eager.to_str().unwrap(), src.to_str().unwrap()])
        .env("BRINE_TIER", "eager")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let eager_saved = std::fs::read_to_string(&eager).unwrap();
    assert!(!eager_saved.contains("\ncount "), "{eager_saved}");
    assert!(saved.lines().any(|l| l.starts_with("operands ") && l.ends_with(" 0 1")), "{saved}");
    // `box.v` saw Box's shape with its field v; `this.v = v` the shape
    // without it (`shape SITE GLOBAL FIELD...`).
    let shapes: Vec<Vec<&str>> =
        saved.lines().filter(|l| l.starts_with("shape ")).map(|l| l.split(' ').skip(2).collect()).collect();
    assert!(
        shapes.iter().any(|with_v| with_v.len() == 2 && shapes.contains(&vec![with_v[0]])),
        "Box's shapes, before and after v, are in the profile:\n{saved}"
    );

    let exe = src.with_extension("exe");
    let (s, p, e) = (src.to_str().unwrap(), profile.to_str().unwrap(), exe.to_str().unwrap());
    let out = brine(&["build", "-O2", "--use-profile", p, s, "-o", e], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut outputs = Vec::new();
    for args in [&[][..], &["more"][..]] {
        let mut reference = vec!["run", "--engine=interp", s];
        reference.extend_from_slice(args);
        let expected = text(&brine(&reference, "").stdout);
        let run = Command::new(&exe).args(args).output().unwrap();
        assert_eq!(
            (text(&run.stdout), run.status.code()),
            (expected.clone(), Some(0)),
            "{}",
            text(&run.stderr)
        );
        outputs.push(expected);
    }
    assert_ne!(outputs[0], outputs[1], "the two inputs take the program different ways");

    // A profile of another program, a bad profile, or one without -O2.
    let other = temp_file("other.lox", b"print 1;\n");
    let out = brine(&["build", "-O2", "--use-profile", p, other.to_str().unwrap(), "-o", e], "");
    assert_eq!(out.status.code(), Some(74));
    assert!(text(&out.stderr).contains("the profile is of another program"), "{}", text(&out.stderr));
    let bad = temp_file("bad.profile", b"brine profile 2\ncall x\n");
    let out = brine(&["build", "-O2", "--use-profile", bad.to_str().unwrap(), s, "-o", e], "");
    assert_eq!(out.status.code(), Some(64));
    assert!(text(&out.stderr).contains("line 2: malformed"), "{}", text(&out.stderr));
    let out = brine(&["build", "--use-profile", p, s, "-o", e], "");
    assert_eq!(out.status.code(), Some(64));
    assert!(text(&out.stderr).contains("--use-profile needs -O2"), "{}", text(&out.stderr));
}

/// A register machine in Lox (DESIGN.md section 9), and a guest program
/// that counts register 0 up to 100.
const REGISTER_VM: &[u8] = b"fun run(code, arg) {
  var pc = 0;
  brine.writeReg(0, arg);
  brine.pushContext(pc);
  while (true) {
    var op = code[pc];
    if (op == 0) {
      brine.writeReg(code[pc + 1], code[pc + 2]);
      pc = pc + 3;
      brine.updateContext(pc);
    } else if (op == 1) {
      var r = code[pc + 1];
      brine.writeReg(r, brine.readReg(r) + brine.readReg(code[pc + 2]));
      pc = pc + 3;
      brine.updateContext(pc);
    } else if (op == 2) {
      if (brine.readReg(code[pc + 1]) < code[pc + 2]) {
        pc = code[pc + 3];
        brine.updateContext(pc);
      } else {
        pc = pc + 4;
        brine.updateContext(pc);
      }
    } else {
      brine.popContext();
      return brine.readReg(code[pc + 1]);
    }
  }
}
var code = brine.freeze([0, 1, 1, 1, 0, 1, 2, 0, 100, 3, 3, 0]);
var compiled = brine.specialize(run, code);
print compiled(0);
print compiled(50);
print run(code, 7);
";

#[test]
fn brine_specialize_compiles_where_there_is_a_jit_and_binds_elsewhere() {
    let path = temp_file("register-vm.lox", REGISTER_VM);
    let file = path.to_str().unwrap();
    let expected = "100\n100\n100\n";
    // `brine run`: the interpreter specialized to the guest program.
    let out = brine(&["run", "--profile", file], "");
    assert_eq!((text(&out.stdout).as_str(), out.status.code()), (expected, Some(0)), "{}", text(&out.stderr));
    let report = text(&out.stderr);
    assert!(report.contains("brine.specialize of run: 1 function(s), "), "{report}");
    // `emit opt-ir` shows the residual function: the guest's loop, with
    // no dispatch left.
    let out = brine(&["emit", "opt-ir", file], "");
    let ir = text(&out.stdout);
    let residual = ir.split("; specialized function 0 of ").nth(1).expect("a specialized function");
    assert!(residual.contains("(arity 1,") && residual.contains(" = lt "), "{ir}");
    assert!(!residual.contains("get_index") && !residual.contains("intrinsic"), "{ir}");
    // The interpreter alone: the arguments bound, and a note.
    let out = brine(&["run", "--engine=interp", "--profile", file], "");
    assert_eq!(text(&out.stdout), expected);
    assert!(
        text(&out.stderr).contains(
            "brine.specialize of <fn run>: not specialized (this run has no JIT (--engine=interp)); it runs with its arguments bound"
        ),
        "{}",
        text(&out.stderr)
    );
    // A --jit executable specializes as `run` does.
    let exe = build("register-vm-jit", REGISTER_VM, &["--jit"]);
    let run = Command::new(&exe).env("BRINE_PROFILE", "1").output().unwrap();
    assert_eq!(text(&run.stdout), expected);
    assert!(text(&run.stderr).contains("brine.specialize of run: 1 function(s), "), "{}", text(&run.stderr));
    // -O2 specializes ahead of time what it can: the guest program is a
    // frozen list literal in a global.
    let out = brine(&["emit", "o2-ir", file], "");
    let ir = text(&out.stdout);
    assert!(ir.contains("; brine.specialize of run done ahead of time: 1 function(s)"), "{ir}");
    let exe = build("register-vm-o2", REGISTER_VM, &["-O2"]);
    let run = Command::new(&exe).env("BRINE_PROFILE", "1").output().unwrap();
    assert_eq!(text(&run.stdout), expected);
    assert!(!text(&run.stderr).contains("brine.specialize"), "{}", text(&run.stderr));
    // Executables without the JIT bind the arguments of a request made at
    // run time (the guest program built as the program runs), and say so.
    let at_run_time = String::from_utf8_lossy(REGISTER_VM).replace(
        "var code = brine.freeze([0, 1, 1, 1, 0, 1, 2, 0, 100, 3, 3, 0]);",
        "var code = List();\nfor (var i = 0; i < 12; i = i + 1) code.push([0, 1, 1, 1, 0, 1, 2, 0, 100, 3, 3, 0][i]);\nbrine.freeze(code);",
    );
    for (name, program, flags) in
        [("vm-no-jit", REGISTER_VM, &["--no-jit"][..]), ("vm-o2-run-time", at_run_time.as_bytes(), &["-O2"])]
    {
        let exe = build(name, program, flags);
        let run = Command::new(&exe).output().unwrap();
        assert_eq!((text(&run.stdout).as_str(), text(&run.stderr).as_str()), (expected, ""), "{flags:?}");
        let run = Command::new(&exe).env("BRINE_PROFILE", "1").output().unwrap();
        assert_eq!(text(&run.stdout), expected);
        assert!(
            text(&run.stderr)
                .contains("not specialized (this executable has no JIT); it runs with its arguments bound"),
            "{flags:?}: {}",
            text(&run.stderr)
        );
    }
}

#[test]
fn a_repl_entry_that_defines_brine_makes_it_the_programs_in_later_entries() {
    let out =
        brine(&[], "print brine.specializeValue(7, 0, 9);\nvar brine = 1;\nprint brine;\nbrine.freeze(1);\n");
    let stdout = text(&out.stdout);
    let lines: Vec<&str> =
        stdout.lines().map(|l| l.trim_start_matches(['>', '.', ' '])).filter(|l| !l.is_empty()).collect();
    assert_eq!(lines, ["7", "1"], "stdout: {stdout}");
    assert!(text(&out.stderr).contains("Only instances have methods."), "{}", text(&out.stderr));
}

#[test]
fn a_specialization_over_its_budget_runs_unspecialized_and_says_so() {
    // The context (pc) never repeats: every copy is new.
    let path = temp_file(
        "budget.lox",
        b"fun run(code, n) {\n  var pc = 0;\n  brine.pushContext(pc);\n  while (pc < n) {\n    pc = pc + 1;\n    brine.updateContext(pc);\n  }\n  return pc;\n}\nvar f = brine.specialize(run, brine.freeze([]));\nprint f(10);\n",
    );
    let out = brine(&["run", "--profile", path.to_str().unwrap()], "");
    assert_eq!((text(&out.stdout).as_str(), out.status.code()), ("10\n", Some(0)));
    assert!(
        text(&out.stderr).contains(
            "brine.specialize of <fn run>: not specialized (over the budget of 50000 block copies); it runs with its arguments bound"
        ),
        "{}",
        text(&out.stderr)
    );
}
