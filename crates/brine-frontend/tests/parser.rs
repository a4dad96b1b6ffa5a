//! Parser tests: the tree it builds, and every syntax error, rendered.

use brine_frontend::ast::{Expr, ExprKind, FnId, Function, FunctionKind, Literal, Program, Stmt, StmtKind};
use brine_frontend::{MAX_NESTING, parse};

// ---- Helpers --------------------------------------------------------------

fn program(source: &str) -> Program {
    match parse(source.as_bytes()) {
        Ok(program) => program,
        Err(errors) => panic!("{source:?} does not parse: {errors:?}"),
    }
}

/// The parse errors of `source`, rendered.
fn errors(source: &str) -> Vec<String> {
    errors_of(source.as_bytes())
}

fn errors_of(source: &[u8]) -> Vec<String> {
    match parse(source) {
        Ok(_) => panic!("{:?} parses", String::from_utf8_lossy(source)),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

fn error(source: &str) -> String {
    let errors = errors(source);
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.into_iter().next().unwrap_or_default()
}

fn name(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The script as s-expressions, one per top-level statement, space-separated.
fn sexpr(source: &str) -> String {
    let program = program(source);
    let stmts: Vec<String> = program.script.body.iter().map(stmt).collect();
    stmts.join(" ")
}

fn opt_expr(e: &Option<Expr>) -> String {
    e.as_ref().map_or("_".to_string(), expr)
}

fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Literal(Literal::Nil) => "nil".into(),
        ExprKind::Literal(Literal::Bool(b)) => b.to_string(),
        ExprKind::Literal(Literal::Number(n)) => n.to_string(),
        ExprKind::Literal(Literal::Str(s)) => format!("{:?}", name(s)),
        ExprKind::Grouping(e) => format!("(group {})", expr(e)),
        ExprKind::Unary(op, e) => format!("({op:?} {})", expr(e)),
        ExprKind::Binary(op, l, r) => format!("({op:?} {} {})", expr(l), expr(r)),
        ExprKind::Logical(op, l, r) => format!("({op:?} {} {})", expr(l), expr(r)),
        ExprKind::Variable(n, _) => name(n),
        ExprKind::Assign(n, _, v) => format!("(= {} {})", name(n), expr(v)),
        ExprKind::Call(callee, args) => {
            let mut parts = vec!["call".to_string(), expr(callee)];
            parts.extend(args.iter().map(expr));
            format!("({})", parts.join(" "))
        }
        ExprKind::Get(object, n, _) => format!("(. {} {})", expr(object), name(n)),
        ExprKind::Set(object, n, _, v) => format!("(.= {} {} {})", expr(object), name(n), expr(v)),
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(expr).collect();
            format!("(list {})", items.join(" "))
        }
        ExprKind::Index(object, index) => format!("([] {} {})", expr(object), expr(index)),
        ExprKind::SetIndex(object, index, v) => format!("([]= {} {} {})", expr(object), expr(index), expr(v)),
        ExprKind::This(_) => "this".into(),
        ExprKind::Super { method, .. } => format!("(super {})", name(method)),
    }
}

fn function(f: &Function) -> String {
    let params: Vec<String> = f.params.iter().map(|(n, _)| name(n)).collect();
    let body: Vec<String> = f.body.iter().map(stmt).collect();
    format!("({} ({}) {})", name(&f.name), params.join(" "), body.join(" "))
}

fn stmt(s: &Stmt) -> String {
    match &s.kind {
        StmtKind::Expression(e) => format!("(expr {})", expr(e)),
        StmtKind::Print(e) => format!("(print {})", expr(e)),
        StmtKind::Var(n, _, init) => format!("(var {} {})", name(n), opt_expr(init)),
        StmtKind::Block(stmts) => {
            let stmts: Vec<String> = stmts.iter().map(stmt).collect();
            format!("(block {})", stmts.join(" "))
        }
        StmtKind::If(cond, then, els) => format!(
            "(if {} {} {})",
            expr(cond),
            stmt(then),
            els.as_ref().map_or("_".to_string(), |s| stmt(s))
        ),
        StmtKind::While(cond, body) => format!("(while {} {})", expr(cond), stmt(body)),
        StmtKind::For { init, cond, incr, body } => format!(
            "(for {} {} {} {})",
            init.as_ref().map_or("_".to_string(), |s| stmt(s)),
            opt_expr(cond),
            opt_expr(incr),
            stmt(body)
        ),
        StmtKind::Function(_, f) => format!("(fun {})", function(f)),
        StmtKind::Class(c) => {
            let superclass =
                c.superclass.as_ref().map_or(String::new(), |(n, _, _)| format!(" < {}", name(n)));
            let methods: Vec<String> = c.methods.iter().map(function).collect();
            format!("(class {}{} {})", name(&c.name), superclass, methods.join(" "))
        }
        StmtKind::Return(value) => format!("(return {})", opt_expr(value)),
    }
}

fn first_expr(program: &Program) -> &Expr {
    match &program.script.body[0].kind {
        StmtKind::Expression(e) | StmtKind::Print(e) => e,
        other => panic!("not an expression statement: {other:?}"),
    }
}

// ---- Expressions ----------------------------------------------------------

#[test]
fn precedence_and_associativity() {
    assert_eq!(sexpr("1 + 2 * 3;"), "(expr (Add 1 (Mul 2 3)))");
    assert_eq!(sexpr("1 * 2 + 3;"), "(expr (Add (Mul 1 2) 3))");
    assert_eq!(sexpr("1 - 2 - 3;"), "(expr (Sub (Sub 1 2) 3))");
    assert_eq!(sexpr("1 / 2 / 3;"), "(expr (Div (Div 1 2) 3))");
    assert_eq!(sexpr("1 + 2 < 3 == 4 > 5;"), "(expr (Eq (Lt (Add 1 2) 3) (Gt 4 5)))");
    assert_eq!(sexpr("1 <= 2 != 3 >= 4;"), "(expr (Ne (Le 1 2) (Ge 3 4)))");
    assert_eq!(sexpr("a or b and c;"), "(expr (Or a (And b c)))");
    assert_eq!(sexpr("a and b or c;"), "(expr (Or (And a b) c))");
    assert_eq!(sexpr("a or b or c;"), "(expr (Or (Or a b) c))");
    assert_eq!(sexpr("a == b and c < d or e;"), "(expr (Or (And (Eq a b) (Lt c d)) e))");
    assert_eq!(sexpr("-!-a;"), "(expr (Neg (Not (Neg a))))");
    assert_eq!(sexpr("-a * -b;"), "(expr (Mul (Neg a) (Neg b)))");
    assert_eq!(sexpr("!a.b(c);"), "(expr (Not (call (. a b) c)))");
    assert_eq!(sexpr("(1 + 2) * 3;"), "(expr (Mul (group (Add 1 2)) 3))");
    assert_eq!(sexpr("a = b = c;"), "(expr (= a (= b c)))");
    assert_eq!(sexpr("a = b or c;"), "(expr (= a (Or b c)))");
    assert_eq!(sexpr("a.b.c = d;"), "(expr (.= (. a b) c d))");
    assert_eq!(sexpr("a().b = c = d;"), "(expr (.= (call a) b (= c d)))");
    assert_eq!(sexpr("f(1)(2, 3).g();"), "(expr (call (. (call (call f 1) 2 3) g)))");
    assert_eq!(
        sexpr("1 + 2 * 3 - 4 / 5 == 6 < 7 and 8 or 9;"),
        "(expr (Or (And (Eq (Sub (Add 1 (Mul 2 3)) (Div 4 5)) (Lt 6 7)) 8) 9))"
    );
}

#[test]
fn lists_and_indexes() {
    assert_eq!(sexpr("[];"), "(expr (list ))");
    assert_eq!(sexpr("[1, a + 2,];"), "(expr (list 1 (Add a 2)))");
    assert_eq!(sexpr("[[1], []];"), "(expr (list (list 1) (list )))");
    // An index binds as tightly as a call or a property.
    assert_eq!(sexpr("-a[1] * b[2][3];"), "(expr (Mul (Neg ([] a 1)) ([] ([] b 2) 3)))");
    assert_eq!(sexpr("a.b[c](d).e[f];"), "(expr ([] (. (call ([] (. a b) c) d) e) f))");
    assert_eq!(sexpr("a[i] = b[j] = 1;"), "(expr ([]= a i ([]= b j 1)))");
    assert_eq!(sexpr("a[i + 1] = x or y;"), "(expr ([]= a (Add i 1) (Or x y)))");
    assert_eq!(error("a[1;"), "[line 1] Error at ';': Expect ']' after index.");
    assert_eq!(error("[1 2];"), "[line 1] Error at '2': Expect ']' after list elements.");
    assert_eq!(error("[1] = 2;"), "[line 1] Error at '=': Invalid assignment target.");
}

#[test]
fn primaries() {
    assert_eq!(
        sexpr("true; false; nil; 12; 1.5; \"hi\"; x; this; super.m;"),
        "(expr true) (expr false) (expr nil) (expr 12) (expr 1.5) (expr \"hi\") \
         (expr x) (expr this) (expr (super m))"
    );
    assert_eq!(sexpr("super.m(1);"), "(expr (call (super m) 1))");
}

#[test]
fn string_literals_keep_their_bytes() {
    let program = program("print \"a\nb\";");
    let ExprKind::Literal(Literal::Str(s)) = &first_expr(&program).kind else {
        panic!("not a string");
    };
    assert_eq!(s, b"a\nb");
    let program = parse(b"print \"\xff\x00\";").expect("parses");
    let ExprKind::Literal(Literal::Str(s)) = &first_expr(&program).kind else {
        panic!("not a string");
    };
    assert_eq!(s, b"\xff\x00");
}

#[test]
fn expression_lines() {
    // Operators: the operator's line.
    let p = program("print 1\n+\n2;");
    assert_eq!(first_expr(&p).line, 2);
    let p = program("print a\nor\nb;");
    assert_eq!(first_expr(&p).line, 2);
    let p = program("print\n-\n1;");
    assert_eq!(first_expr(&p).line, 2);
    // A call: the closing parenthesis.
    let p = program("f(\n1,\n2\n);");
    assert_eq!(first_expr(&p).line, 4);
    // A property: the name.
    let p = program("a\n.\nb;");
    assert_eq!(first_expr(&p).line, 3);
    let p = program("a\n.\nb = 1;");
    assert_eq!(first_expr(&p).line, 3);
    // An assignment: the target's name.
    let p = program("a\n=\n1;");
    assert_eq!(first_expr(&p).line, 1);
    // A variable, a literal: its token. A multi-line string: its last line.
    let p = program("\n\nx;");
    assert_eq!(first_expr(&p).line, 3);
    let p = program("\"a\nb\nc\";");
    assert_eq!(first_expr(&p).line, 3);
    // `super.m`: the method name.
    let p = program("super\n.\nm;");
    assert_eq!(first_expr(&p).line, 3);
    assert_eq!(p.ref_lines, vec![1, 1], "both refs are at the keyword");
}

// ---- Statements -----------------------------------------------------------

#[test]
fn simple_statements() {
    assert_eq!(sexpr("var a; var b = 1; print b; b;"), "(var a _) (var b 1) (print b) (expr b)");
    assert_eq!(sexpr("{ var a = 1; { print a; } } {}"), "(block (var a 1) (block (print a))) (block )");
}

#[test]
fn control_flow() {
    assert_eq!(sexpr("if (a) print 1;"), "(if a (print 1) _)");
    assert_eq!(sexpr("if (a) print 1; else print 2;"), "(if a (print 1) (print 2))");
    // `else` binds to the nearest `if`.
    assert_eq!(sexpr("if (a) if (b) print 1; else print 2;"), "(if a (if b (print 1) (print 2)) _)");
    assert_eq!(sexpr("while (a) { a = a - 1; }"), "(while a (block (expr (= a (Sub a 1)))))");
    assert_eq!(
        sexpr("for (var i = 0; i < 3; i = i + 1) print i;"),
        "(for (var i 0) (Lt i 3) (= i (Add i 1)) (print i))"
    );
    assert_eq!(sexpr("for (;;) print 1;"), "(for _ _ _ (print 1))");
    assert_eq!(sexpr("for (i = 0;;) {}"), "(for (expr (= i 0)) _ _ (block ))");
    assert_eq!(sexpr("for (; a;) {}"), "(for _ a _ (block ))");
    assert_eq!(sexpr("for (;; a) {}"), "(for _ _ a (block ))");
}

#[test]
fn functions_and_returns() {
    assert_eq!(
        sexpr("fun f(a, b) { return a + b; } fun g() { return; }"),
        "(fun (f (a b) (return (Add a b)))) (fun (g () (return _)))"
    );
    assert_eq!(sexpr("return 1;"), "(return 1)", "a resolver error, not a syntax one");
}

#[test]
fn classes() {
    assert_eq!(
        sexpr("class A { init(x) { this.x = x; } get() { return this.x; } }"),
        "(class A (init (x) (expr (.= this x x))) (get () (return (. this x))))"
    );
    assert_eq!(
        sexpr("class B < A { m() { return super.m(); } }"),
        "(class B < A (m () (return (call (super m)))))"
    );
    assert_eq!(sexpr("class C {}"), "(class C )");
}

#[test]
fn function_kinds_ids_and_lines() {
    let p = program("fun f(a) {\n}\nclass A < B {\n  init() {}\n  m(x,\n    y) {\n\n  }\n}\n");
    assert_eq!(p.script.kind, FunctionKind::Script);
    assert_eq!(p.script.id, FnId(0));
    assert!(p.script.name.is_empty());
    assert_eq!(p.script.end_line, 10);
    assert_eq!(p.fn_count, 4);

    let StmtKind::Function(f_decl, f) = &p.script.body[0].kind else {
        panic!("not a function");
    };
    assert_eq!((f.id, f.kind, f.line, f.end_line), (FnId(1), FunctionKind::Function, 1, 2));
    assert_eq!(f.this_decl, None);

    let StmtKind::Class(class) = &p.script.body[1].kind else {
        panic!("not a class");
    };
    assert_eq!(p.script.body[1].line, 3);
    assert_eq!(class.line, 3);
    let init = &class.methods[0];
    let m = &class.methods[1];
    assert_eq!((init.id, init.kind, init.line), (FnId(2), FunctionKind::Initializer, 4));
    assert_eq!((m.id, m.kind, m.line, m.end_line), (FnId(3), FunctionKind::Method, 5, 8));
    assert!(init.this_decl.is_some() && m.this_decl.is_some());
    assert_ne!(init.this_decl, m.this_decl, "each method has its own `this`");
    let super_decl = class.super_decl.expect("a subclass declares `super`");
    let (sup_name, sup_ref, sup_line) = class.superclass.as_ref().expect("a superclass");
    assert_eq!((sup_name.as_slice(), *sup_line), (&b"B"[..], 3));

    // Every declaration has a distinct id, and its line.
    let mut decls = vec![*f_decl, f.params[0].1, class.decl, super_decl];
    decls.extend(init.this_decl);
    decls.extend(m.this_decl);
    decls.extend(m.params.iter().map(|p| p.1));
    let mut ids: Vec<u32> = decls.iter().map(|d| d.0).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), decls.len());
    assert_eq!(p.decl_count as usize, decls.len());
    assert_eq!(p.decl_lines.len(), decls.len());
    let line = |d: brine_frontend::ast::DeclId| p.decl_lines[d.0 as usize];
    assert_eq!(line(m.params[0].1), 5);
    assert_eq!(line(m.params[1].1), 6);
    assert_eq!(line(class.decl), 3);
    assert_eq!(p.ref_count, 1);
    assert_eq!(p.ref_lines[sup_ref.0 as usize], 3);
}

#[test]
fn statement_lines_are_their_first_token() {
    let p = program("\nvar\na = 1;\nprint\n1;\n{\n}\nx\n= 1;");
    let lines: Vec<u32> = p.script.body.iter().map(|s| s.line).collect();
    assert_eq!(lines, vec![2, 4, 6, 8]);
    let StmtKind::Var(_, decl, _) = &p.script.body[0].kind else {
        panic!("not a var");
    };
    assert_eq!(p.decl_lines[decl.0 as usize], 3, "the name's line");
}

#[test]
fn refs_are_numbered_in_source_order() {
    let p = program("a = b + c(this);");
    assert_eq!(p.ref_count, 4);
    let ExprKind::Assign(_, a, value) = &first_expr(&p).kind else {
        panic!("not an assignment");
    };
    assert_eq!(a.0, 0);
    let ExprKind::Binary(_, b, _) = &value.kind else {
        panic!("not binary");
    };
    assert!(matches!(b.kind, ExprKind::Variable(_, r) if r.0 == 1));
}

// ---- Errors ---------------------------------------------------------------

#[test]
fn expression_errors() {
    assert_eq!(error("print ;"), "[line 1] Error at ';': Expect expression.");
    assert_eq!(error(".123;"), "[line 1] Error at '.': Expect expression.");
    assert_eq!(error("print (1;"), "[line 1] Error at ';': Expect ')' after expression.");
    assert_eq!(error("f(1 2);"), "[line 1] Error at '2': Expect ')' after arguments.");
    assert_eq!(error("a.1;"), "[line 1] Error at '1': Expect property name after '.'.");
    assert_eq!(error("123.;"), "[line 1] Error at ';': Expect property name after '.'.");
    assert_eq!(error("123."), "[line 1] Error at end: Expect property name after '.'.");
    assert_eq!(error("super;"), "[line 1] Error at ';': Expect '.' after 'super'.");
    assert_eq!(error("super.;"), "[line 1] Error at ';': Expect superclass method name.");
    assert_eq!(error("print"), "[line 1] Error at end: Expect expression.");
}

#[test]
fn statement_errors() {
    let cases = [
        ("print 1", "[line 1] Error at end: Expect ';' after value."),
        ("1 2;", "[line 1] Error at '2': Expect ';' after expression."),
        ("var 1;", "[line 1] Error at '1': Expect variable name."),
        ("var false = 1;", "[line 1] Error at 'false': Expect variable name."),
        ("var this = 1;", "[line 1] Error at 'this': Expect variable name."),
        ("var a = 1 print a;", "[line 1] Error at 'print': Expect ';' after variable declaration."),
        ("if 1) print 1;", "[line 1] Error at '1': Expect '(' after 'if'."),
        ("if (1 print 1;", "[line 1] Error at 'print': Expect ')' after if condition."),
        ("while 1) {}", "[line 1] Error at '1': Expect '(' after 'while'."),
        ("while (1 {}", "[line 1] Error at '{': Expect ')' after condition."),
        ("for i) {}", "[line 1] Error at 'i': Expect '(' after 'for'."),
        ("for (;1) {}", "[line 1] Error at ')': Expect ';' after loop condition."),
        ("for (;;1 {}", "[line 1] Error at '{': Expect ')' after for clauses."),
        ("{ print 1;", "[line 1] Error at end: Expect '}' after block."),
        ("return 1", "[line 1] Error at end: Expect ';' after return value."),
        ("if (true) var foo;", "[line 1] Error at 'var': Expect expression."),
        ("while (true) fun f() {}", "[line 1] Error at 'fun': Expect expression."),
        ("for (;;) class C {}", "[line 1] Error at 'class': Expect expression."),
    ];
    for (source, want) in cases {
        assert_eq!(error(source), want, "{source}");
    }
}

#[test]
fn declaration_errors() {
    let cases = [
        ("class 1 {}", "[line 1] Error at '1': Expect class name."),
        ("class A < (B) {}", "[line 1] Error at '(': Expect superclass name."),
        ("class A < 1 {}", "[line 1] Error at '1': Expect superclass name."),
        ("class A }", "[line 1] Error at '}': Expect '{' before class body."),
        ("class A { m() {}", "[line 1] Error at end: Expect '}' after class body."),
        ("fun 1() {}", "[line 1] Error at '1': Expect function name."),
        ("class A { 1 }", "[line 1] Error at '1': Expect method name."),
        ("fun f {}", "[line 1] Error at '{': Expect '(' after function name."),
        ("class A { m {} }", "[line 1] Error at '{': Expect '(' after method name."),
        ("fun f(1) {}", "[line 1] Error at '1': Expect parameter name."),
        ("fun f(a,) {}", "[line 1] Error at ')': Expect parameter name."),
        ("fun foo(a, b c, d) {}", "[line 1] Error at 'c': Expect ')' after parameters."),
        ("fun f() 123;", "[line 1] Error at '123': Expect '{' before function body."),
        ("class A { m() 1 }", "[line 1] Error at '1': Expect '{' before method body."),
    ];
    for (source, want) in cases {
        assert_eq!(error(source), want, "{source}");
    }
}

#[test]
fn invalid_assignment_target_does_not_synchronize() {
    assert_eq!(error("a + b = c;"), "[line 1] Error at '=': Invalid assignment target.");
    assert_eq!(error("(a) = 1;"), "[line 1] Error at '=': Invalid assignment target.");
    assert_eq!(error("!a = 1;"), "[line 1] Error at '=': Invalid assignment target.");
    assert_eq!(error("a() = 1;"), "[line 1] Error at '=': Invalid assignment target.");
    assert_eq!(error("this = 1;"), "[line 1] Error at '=': Invalid assignment target.");
    // The statement goes on: the next error is found in the same statement.
    assert_eq!(
        errors("1 = 2 = 3; print 4"),
        vec![
            "[line 1] Error at '=': Invalid assignment target.",
            "[line 1] Error at '=': Invalid assignment target.",
            "[line 1] Error at end: Expect ';' after value.",
        ]
    );
}

fn names(prefix: &str, n: usize) -> String {
    let names: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    names.join(", ")
}

#[test]
fn too_many_parameters_and_arguments() {
    // 255 are fine.
    program(&format!("fun f({}) {{}}", names("a", 255)));
    program(&format!("f({});", names("", 255)));
    // The 256th is reported, and parsing goes on.
    assert_eq!(
        errors(&format!("fun f({}) {{}} print;", names("a", 256))),
        vec![
            "[line 1] Error at 'a255': Can't have more than 255 parameters.",
            "[line 1] Error at ';': Expect expression.",
        ]
    );
    assert_eq!(
        errors(&format!("class C {{ m({}) {{}} }}", names("a", 257))),
        vec![
            "[line 1] Error at 'a255': Can't have more than 255 parameters.",
            "[line 1] Error at 'a256': Can't have more than 255 parameters.",
        ]
    );
    assert_eq!(
        errors(&format!("f({});\nprint;", names("", 256))),
        vec![
            "[line 1] Error at '255': Can't have more than 255 arguments.",
            "[line 2] Error at ';': Expect expression.",
        ]
    );
}

#[test]
fn recovery_reports_every_error() {
    // As jlox: after an error, skip to a `;` or a keyword that starts a
    // statement.
    assert_eq!(
        errors("print 1\nvar = 2;\nfun () {}\nprint 3;\nvar 4;"),
        vec![
            "[line 2] Error at 'var': Expect ';' after value.",
            "[line 3] Error at '(': Expect function name.",
            "[line 5] Error at '4': Expect variable name.",
        ]
    );
    // Errors inside blocks recover inside the block.
    assert_eq!(
        errors("{\n  print ;\n  print 1;\n  var;\n}\nprint (;"),
        vec![
            "[line 2] Error at ';': Expect expression.",
            "[line 4] Error at ';': Expect variable name.",
            "[line 6] Error at ';': Expect expression.",
        ]
    );
    // test/for/statement_condition.lox
    assert_eq!(
        errors("for (var a = 1; {}; a = a + 1) {}"),
        vec![
            "[line 1] Error at '{': Expect expression.",
            "[line 1] Error at ')': Expect ';' after expression.",
        ]
    );
    // Unclosed blocks each report at the end.
    assert_eq!(
        errors("{{"),
        vec![
            "[line 1] Error at end: Expect '}' after block.",
            "[line 1] Error at end: Expect '}' after block.",
        ]
    );
}

#[test]
fn scanner_errors_come_first_and_parsing_goes_on() {
    assert_eq!(
        errors("foo(a | b);"),
        vec!["[line 1] Error: Unexpected character.", "[line 1] Error at 'b': Expect ')' after arguments.",]
    );
    assert_eq!(
        errors("print 1;\n#\nprint;\n\"open"),
        vec![
            "[line 2] Error: Unexpected character.",
            "[line 4] Error: Unterminated string.",
            "[line 3] Error at ';': Expect expression.",
        ]
    );
    // A scanner error alone is enough to fail.
    assert_eq!(errors("print 1; @"), vec!["[line 1] Error: Unexpected character."]);
}

#[test]
fn invalid_utf8_in_a_lexeme_is_shown_lossily() {
    assert_eq!(
        errors_of(b"print \"\xff\" \"x\";"),
        vec!["[line 1] Error at '\"x\"': Expect ';' after value."]
    );
    assert_eq!(errors_of(b"\"\xff\" = 1;"), vec!["[line 1] Error at '=': Invalid assignment target."]);
    assert_eq!(errors_of(b"print \"a\xffb\" 1;"), vec!["[line 1] Error at '1': Expect ';' after value."]);
    assert_eq!(errors_of(b"var \"\xff\";"), vec!["[line 1] Error at '\"\u{fffd}\"': Expect variable name."]);
}

#[test]
fn empty_and_comment_only_sources() {
    assert_eq!(sexpr(""), "");
    assert_eq!(sexpr("// nothing\n"), "");
    assert_eq!(program("\n\n").script.end_line, 3);
}

// ---- Nesting --------------------------------------------------------------

const DEEP: usize = 100_000;

fn nesting_error(source: &str, at: &str) {
    let errors = errors(source);
    assert_eq!(errors, vec![format!("[line 1] Error at '{at}': Too much nesting.")]);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    on_big_stack(deep_nesting);
}

fn deep_nesting() {
    nesting_error(&format!("print {}1{};", "(".repeat(DEEP), ")".repeat(DEEP)), "(");
    nesting_error(&"(".repeat(DEEP), "(");
    nesting_error(&format!("{}{}", "{".repeat(DEEP), "}".repeat(DEEP)), "{");
    nesting_error(&"{".repeat(DEEP), "{");
    nesting_error(&format!("print {}1;", "!".repeat(DEEP)), "!");
    nesting_error(&format!("print {}1;", "-".repeat(DEEP)), "-");
    nesting_error(&format!("{}1;", "a = ".repeat(DEEP)), "a");
    nesting_error(&format!("{}print 1;", "if (x) ".repeat(DEEP)), "x");
    nesting_error(&format!("{}print 1;", "while (x) ".repeat(DEEP)), "x");
    nesting_error(&format!("{}print 1;", "for (;;) ".repeat(DEEP)), "for");
    nesting_error(&format!("{}{}", "fun f() {".repeat(DEEP), "}".repeat(DEEP)), "fun");
    nesting_error(&format!("{}{}", "class A { m() {".repeat(DEEP), "}}".repeat(DEEP)), "m");
    nesting_error(&format!("print {}1{};", "f(".repeat(DEEP), ")".repeat(DEEP)), "f");
}

#[test]
fn long_chains_are_deep_trees_too() {
    on_big_stack(long_chains);
}

fn long_chains() {
    nesting_error(&format!("print {};", vec!["1"; DEEP].join(" + ")), "+");
    nesting_error(&format!("print {};", vec!["a"; DEEP].join(" or ")), "or");
    nesting_error(&format!("print f{};", "()".repeat(DEEP)), "(");
    nesting_error(&format!("print a{};", ".b".repeat(DEEP)), ".");
}

/// Runs `f` on a thread with a stack as big as the CLI's compiler thread
/// has (256 MiB): trees as deep as the limit need more than a test thread's.
fn on_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new().stack_size(256 << 20).spawn(f).unwrap().join().unwrap();
}

#[test]
fn nesting_just_under_the_limit_works() {
    on_big_stack(nesting_just_under_the_limit);
}

fn nesting_just_under_the_limit() {
    let n = MAX_NESTING as usize - 10;
    program(&format!("print {}1{};", "(".repeat(n), ")".repeat(n)));
    program(&format!("{}{}", "{".repeat(n), "}".repeat(n)));
    program(&format!("print {}1;", "!".repeat(n)));
    program(&format!("print {};", vec!["1"; n].join(" + ")));
    program(&format!("print f{};", "()".repeat(n)));
    brine_frontend::check(format!("{}{}", "{".repeat(n), "}".repeat(n)).as_bytes()).expect("resolves");
    // Wide is not deep.
    program(&"print 1;\n".repeat(DEEP));
    program(&format!("{{{}}}", "{}".repeat(DEEP)));
}

// ---- Spans ----------------------------------------------------------------

/// The source text of `span`.
fn at(source: &str, span: brine_frontend::ast::Span) -> &str {
    &source[span.range()]
}

#[test]
fn expressions_span_their_operands() {
    let source = "print -a.b(1, c)[2] + (d = e) * f.g;";
    let program = program(source);
    let e = first_expr(&program);
    assert_eq!(at(source, e.span), "-a.b(1, c)[2] + (d = e) * f.g");
    let ExprKind::Binary(_, left, right) = &e.kind else { panic!("{e:?}") };
    assert_eq!(at(source, left.span), "-a.b(1, c)[2]");
    assert_eq!(at(source, right.span), "(d = e) * f.g");
    let ExprKind::Unary(_, index) = &left.kind else { panic!() };
    let ExprKind::Index(call, _) = &index.kind else { panic!() };
    assert_eq!(at(source, call.span), "a.b(1, c)");
    let ExprKind::Call(get, _) = &call.kind else { panic!() };
    let ExprKind::Get(_, _, name) = &get.kind else { panic!() };
    assert_eq!(at(source, *name), "b");
    let ExprKind::Binary(_, group, _) = &right.kind else { panic!() };
    assert_eq!(at(source, group.span), "(d = e)");
}

#[test]
fn declarations_references_and_statements_have_spans() {
    let source = "class A < B {\n  m(x) { return super.m(x); }\n}\nfun f(y) { o.p = y; }\n";
    let program = program(source);
    let decls: Vec<&str> = program.decl_spans.iter().map(|&s| at(source, s)).collect();
    // A, the implicit super (at B), m's `this` (at m), x, y, f.
    assert_eq!(decls, ["A", "B", "m", "x", "y", "f"]);
    let refs: Vec<&str> = program.ref_spans.iter().map(|&s| at(source, s)).collect();
    assert_eq!(refs, ["B", "super", "super", "x", "o", "y"]);
    let [class, fun] = &program.script.body[..] else { panic!() };
    assert_eq!(at(source, class.span), "class A < B {\n  m(x) { return super.m(x); }\n}");
    assert_eq!(at(source, fun.span), "fun f(y) { o.p = y; }");
    let StmtKind::Class(c) = &class.kind else { panic!() };
    assert_eq!(at(source, c.name_span), "A");
    assert_eq!(at(source, c.methods[0].name_span), "m");
    let StmtKind::Function(_, f) = &fun.kind else { panic!() };
    assert_eq!(at(source, f.name_span), "f");
    let StmtKind::Expression(set) = &f.body[0].kind else { panic!() };
    let ExprKind::Set(_, _, name, _) = &set.kind else { panic!() };
    assert_eq!(at(source, *name), "p");
    assert_eq!(at(source, set.span), "o.p = y");
}

#[test]
fn diagnostics_point_at_their_token() {
    let source = "var x = 1;\nprint x +;\n";
    let errors = parse(source.as_bytes()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(at(source, errors[0].span.expect("a span")), ";");
    let source = "print 1";
    let errors = parse(source.as_bytes()).unwrap_err();
    assert_eq!(
        errors[0].span.map(|s| (s.start, s.end)),
        Some((7, 7)),
        "at the end: empty, after the last token"
    );
    let source = "print 1\n// done\n";
    let errors = parse(source.as_bytes()).unwrap_err();
    assert_eq!(errors[0].span.map(|s| (s.start, s.end)), Some((7, 7)), "right after the last token");
    let source = "print 1; @";
    let errors = parse(source.as_bytes()).unwrap_err();
    assert_eq!(at(source, errors[0].span.expect("a span")), "@");
}
