//! Property tests: `check` returns (a program or diagnostics) on any input,
//! never panicking; a program that checks lowers to IR that verifies, and,
//! when it cannot loop forever, runs in the interpreter to its end or to a
//! runtime error, never a panic.
//!
//! The number of cases is 5000 per property, or `PROPTEST_CASES`.

use proptest::prelude::*;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(5000);
    ProptestConfig {
        cases,
        // Failing inputs are reported in the test output; no files.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Tokens and fragments of Lox, chosen to make many kinds of statements.
const TOKENS: &[&str] = &[
    "(", ")", "{", "}", ",", ".", "-", "+", ";", "/", "*", "!", "!=", "=", "==", ">", ">=", "<", "<=", "and",
    "class", "else", "false", "for", "fun", "if", "nil", "or", "print", "return", "super", "this", "true",
    "var", "while", "a", "b", "init", "A", "B", "1", "2.5", "\"s\"", "\"", "\n", "//", "#", "\u{e9}",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..200).prop_map(|tokens| tokens.join(" "))
}

/// Names, so that declarations and references meet.
fn name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["a", "b", "f", "A", "B", "init"][..])
}

/// Syntactically valid expressions, so that the resolver runs.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        name().prop_map(str::to_string),
        prop::sample::select(&["1", "2.5", "nil", "true", "\"s\"", "this", "super.m"][..])
            .prop_map(str::to_string),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| format!("({e})")),
            inner.clone().prop_map(|e| format!("-{e}")),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("{l} + {r} * {l}")),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("{l} or {r} and {l}")),
            (inner.clone(), inner.clone()).prop_map(|(c, a)| format!("{c}({a}, {a})")),
            (inner.clone(), name()).prop_map(|(e, n)| format!("({e}).{n}")),
            (name(), inner.clone()).prop_map(|(n, e)| format!("({n} = {e})")),
            (inner.clone(), name(), inner).prop_map(|(o, n, v)| format!("(({o}).{n} = {v})")),
        ]
    })
}

/// Syntactically valid statements (mostly), so that the resolver runs.
fn statements() -> impl Strategy<Value = String> {
    let simple = prop_oneof![
        expression().prop_map(|e| format!("print {e};")),
        expression().prop_map(|e| format!("{e};")),
        (name(), expression()).prop_map(|(n, e)| format!("var {n} = {e};")),
        name().prop_map(|n| format!("var {n};")),
        expression().prop_map(|e| format!("return {e};")),
        Just("return;".to_string()),
    ];
    let stmt = simple.prop_recursive(4, 32, 4, |inner| {
        let body = prop::collection::vec(inner.clone(), 0..4).prop_map(|v| v.join("\n"));
        prop_oneof![
            body.clone().prop_map(|b| format!("{{\n{b}\n}}")),
            (expression(), inner.clone(), body.clone())
                .prop_map(|(c, t, e)| format!("if ({c}) {{ {t} }} else {{ {e} }}")),
            (expression(), inner.clone()).prop_map(|(c, b)| format!("while ({c}) {{ {b} }}")),
            (name(), expression(), inner.clone())
                .prop_map(|(n, c, b)| format!("for (var {n} = 0; {c}; {n} = {n} + 1) {{ {b} }}")),
            (name(), name(), body.clone()).prop_map(|(f, p, b)| format!("fun {f}({p}, q) {{\n{b}\n}}")),
            (name(), name(), body.clone(), body)
                .prop_map(|(c, s, m, i)| format!("class {c} < {s} {{ m(x) {{ {m} }} init() {{ {i} }} }}")),
        ]
    });
    prop::collection::vec(stmt, 0..8).prop_map(|v| v.join("\n"))
}

fn check_renders(source: &[u8]) {
    match brine_frontend::check(source) {
        Ok((program, resolution)) => {
            assert_eq!(resolution.decls.len(), program.decl_count as usize);
            assert_eq!(resolution.refs.len(), program.ref_count as usize);
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for error in errors {
                let line = error.to_string();
                assert!(line.starts_with("[line "), "{line}");
            }
        }
    }
}

/// How far [`lower_and_run`] got.
#[derive(Debug, PartialEq)]
enum Reached {
    CompileError,
    Lowered,
    Ran,
}

/// Lowers a program that checks, verifies its IR, and runs it in the
/// interpreter unless it has a loop (which might not end). Recursion ends
/// in "Stack overflow." at a limit set well inside this thread's stack.
fn lower_and_run(source: &[u8]) -> Reached {
    let mut program = brine_runtime::Program::new();
    let Ok(script) = brine_frontend::compile(source, &mut program.module) else {
        return Reached::CompileError;
    };
    if let Err(errors) = brine_ir::verifier::verify_module(&program.module) {
        panic!("the IR does not verify: {errors:?}");
    }
    let text = String::from_utf8_lossy(source);
    if text.contains("while") || text.contains("for") {
        return Reached::Lowered;
    }
    let mut rt = brine_runtime::Runtime::with_gc_stress(false);
    rt.out = brine_runtime::output::Output::capture();
    program.sync(&mut rt);
    let marker = 0u8;
    rt.stack_limit = (&marker as *const u8 as usize).saturating_sub(256 << 10);
    let result = brine_interp::Interp::new(&mut rt, &program).run_script(script);
    if result.is_err() {
        let error = rt.take_error().expect("a failed run leaves its error");
        assert!(!error.internal, "an internal error: {}", error.message);
        assert!(error.trace.last().is_some_and(|l| l.ends_with("in script")), "{:?}", error.trace);
    }
    Reached::Ran
}

/// The generator is not vacuous: many of its programs compile, and many of
/// those run.
#[test]
fn generated_programs_compile_and_run() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = statements();
    let (mut lowered, mut ran) = (0, 0);
    for _ in 0..400 {
        let source = strategy.new_tree(&mut runner).expect("a program").current();
        match lower_and_run(source.as_bytes()) {
            Reached::CompileError => {}
            Reached::Lowered => lowered += 1,
            Reached::Ran => ran += 1,
        }
    }
    eprintln!("{lowered} lowered, {ran} ran, of 400");
    assert!(lowered + ran >= 40, "only {} of 400 generated programs compiled", lowered + ran);
    assert!(ran >= 20, "only {ran} of 400 generated programs ran");
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes(source in prop::collection::vec(any::<u8>(), 0..300)) {
        check_renders(&source);
    }

    #[test]
    fn lox_token_soup(source in token_soup()) {
        check_renders(source.as_bytes());
    }

    #[test]
    fn statement_soup(source in statements()) {
        check_renders(source.as_bytes());
        lower_and_run(source.as_bytes());
    }
}
