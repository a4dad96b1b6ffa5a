use super::*;

#[test]
fn output_of_a_program() {
    let report = run(b"print 1 + 2;\nprint \"hi\";\n");
    assert_eq!(report.stdout, "3\nhi\n");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.exit_code, exit_code::OK);
    assert!(report.ir.contains("function f0"), "{}", report.ir);
}

#[test]
fn a_compile_error_has_its_line_and_no_output() {
    let report = run(b"print 1;\nprint 2\nprint 3;\n");
    assert_eq!(report.exit_code, exit_code::COMPILE_ERROR);
    assert_eq!(report.stdout, "");
    assert_eq!(report.ir, "");
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let e = &report.errors[0];
    assert_eq!(e.kind, ErrorKind::Compile);
    assert_eq!((e.line, e.column), (Some(3), Some(1)));
    assert_eq!(e.message, "Expect ';' after value.");
    assert_eq!(e.text, "[line 3] Error at 'print': Expect ';' after value.");
    assert!(e.trace.is_empty());
}

#[test]
fn every_compile_error_is_reported() {
    let report = run(b"var 1;\n  var 2;\n");
    let at: Vec<_> = report.errors.iter().map(|e| (e.line, e.column)).collect();
    assert_eq!(at, [(Some(1), Some(5)), (Some(2), Some(7))], "{:?}", report.errors);
}

#[test]
fn a_runtime_error_has_its_message_line_and_trace() {
    let source = b"print \"before\";\nfun f(x) {\n  return x + nil;\n}\nfun g() { return f(1); }\ng();\nprint \"after\";\n";
    let report = run(source);
    assert_eq!(report.exit_code, exit_code::RUNTIME_ERROR);
    assert_eq!(report.stdout, "before\n", "output before the error is kept");
    assert_eq!(report.errors.len(), 1);
    let e = &report.errors[0];
    assert_eq!(e.kind, ErrorKind::Runtime);
    assert_eq!(e.message, "Operands must be two numbers or two strings.");
    assert_eq!((e.line, e.column), (Some(3), Some(10)), "the column of `x + nil`");
    assert_eq!(e.trace, ["[line 3] in f()", "[line 5] in g()", "[line 6] in script"]);
    assert_eq!(
        e.text,
        "Operands must be two numbers or two strings.\n[line 3] in f()\n[line 5] in g()\n[line 6] in script"
    );
}

#[test]
fn the_ir_view_is_the_printed_module() {
    let source = b"fun add(a, b) { return a + b; }\nprint add(1, 2);\n";
    let report = run(source);
    let mut module = brine_ir::Module::default();
    brine_frontend::compile(source, &mut module).expect("it compiles");
    assert_eq!(report.ir, brine_ir::printer::print_module(&module));
    assert!(report.ir.contains("add"), "{}", report.ir);
}

#[test]
fn runaway_recursion_is_a_stack_overflow() {
    let report = run(b"fun f(n) { return f(n + 1) + 1; }\nprint \"go\";\nf(0);\n");
    assert_eq!(report.exit_code, exit_code::RUNTIME_ERROR);
    assert_eq!(report.stdout, "go\n");
    let e = &report.errors[0];
    assert_eq!(e.kind, ErrorKind::Runtime);
    assert_eq!(e.message, "Stack overflow.");
    assert_eq!(e.line, Some(1));
    assert!(e.trace.len() > 10, "{}", e.trace.len());
    assert_eq!(e.trace.last().map(String::as_str), Some("[line 3] in script"));
}

#[test]
fn recursion_within_the_budget_runs() {
    let report = run(b"fun f(n) { if (n == 0) return 0; return f(n - 1) + 1; }\nprint f(200);\n");
    assert_eq!(report.stdout, "200\n", "{:?}", report.errors);
}

#[test]
fn exit_ends_the_run_with_its_code() {
    let report = run(b"print 1;\nexit(3);\nprint 2;\n");
    assert_eq!(report.stdout, "1\n");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.exit_code, 3);
    assert_eq!(run(b"exit(-1);").exit_code, 255);
    let wrong = run(b"exit(\"x\");");
    assert_eq!(wrong.exit_code, exit_code::RUNTIME_ERROR);
    assert_eq!(wrong.errors[0].message, "Expected an integer as the argument of 'exit'.");
}

#[test]
fn eprint_writes_to_the_reports_stderr() {
    let report = run(b"eprint(\"oops\");\nprint \"out\";\nprinterr(1);\n");
    assert_eq!(report.stderr, "oops\n1\n");
    assert_eq!(report.stdout, "out\n");
    // A run starts with an empty stderr.
    assert_eq!(run(b"print 1;").stderr, "");
}

#[test]
fn the_library_and_clock_work() {
    let report = run(b"var xs = [3, 1, 2];\nxs.sort();\nprint xs;\nvar m = Map();\nm[\"a\"] = 1;\nprint m[\"a\"];\nprint clock() >= 0;\n");
    assert_eq!(report.stdout, "[1, 2, 3]\n1\ntrue\n", "{:?}", report.errors);
}

#[test]
fn a_column_counts_characters_not_bytes() {
    let report = run("var s = \"é\";\nprint \"éé\" + nil;\n".as_bytes());
    let e = &report.errors[0];
    assert_eq!((e.line, e.column), (Some(2), Some(7)), "{e:?}");
    let report = run("print \"é\" + ;\n".as_bytes());
    let e = &report.errors[0];
    assert_eq!((e.line, e.column), (Some(1), Some(13)), "{e:?}");
}

#[test]
fn an_error_in_the_library_has_the_line_of_the_programs_frame() {
    // `xs.get` is the library's; the trace starts at the program's call.
    let report = run(b"var xs = [1];\n  print xs[5];\n");
    let e = &report.errors[0];
    assert_eq!(e.kind, ErrorKind::Runtime, "{e:?}");
    assert_eq!((e.line, e.column), (Some(2), Some(9)), "{e:?}");
}

#[test]
fn columns_count_characters_from_the_line_start() {
    assert_eq!(column_at(b"abc", 0), 1);
    assert_eq!(column_at(b"abc\nde", 5), 2);
    assert_eq!(column_at("é x".as_bytes(), 3), 3);
    assert_eq!(column_at(b"ab", 99), 3);
}

#[test]
fn the_json_has_every_field() {
    let json = run(b"print \"a\\b\";\n  foo;\n").to_json();
    assert!(
        json.starts_with("{\"stdout\":\"a\\\\b\\n\",\"stderr\":\"\",\"errors\":[{\"kind\":\"runtime\""),
        "{json}"
    );
    assert!(json.contains("\"message\":\"Undefined variable 'foo'.\""), "{json}");
    assert!(json.contains("\"line\":2,\"column\":3,\"trace\":[\"[line 2] in script\"]"), "{json}");
    assert!(json.contains("\"exit_code\":70,\"ir\":\""), "{json}");
    assert!(json.ends_with("\"}"), "{json}");
}
