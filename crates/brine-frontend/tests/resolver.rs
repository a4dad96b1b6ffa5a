//! Resolver tests: its errors, where references point, and the flags.

use brine_frontend::ast::{
    DeclId, DeclInfo, Expr, ExprKind, FnId, Function, Program, RefId, Resolution, Resolved, Stmt, StmtKind,
};
use brine_frontend::{check, parse, resolve};

// ---- Helpers --------------------------------------------------------------

fn resolved(source: &str) -> (Program, Resolution) {
    match check(source.as_bytes()) {
        Ok(result) => result,
        Err(errors) => panic!("{source:?} does not check: {errors:?}"),
    }
}

fn errors(source: &str) -> Vec<String> {
    let program = parse(source.as_bytes()).expect("parses");
    match resolve(&program) {
        Ok(_) => panic!("{source:?} resolves"),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

fn error(source: &str) -> String {
    let errors = errors(source);
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.into_iter().next().unwrap_or_default()
}

/// Every reference in the program, in source order: its name (`this` and
/// `super` for those) and id.
fn references(program: &Program) -> Vec<(String, RefId)> {
    let mut out = Vec::new();
    function_refs(&program.script, &mut out);
    out
}

fn function_refs(f: &Function, out: &mut Vec<(String, RefId)>) {
    for s in &f.body {
        stmt_refs(s, out);
    }
}

fn stmt_refs(s: &Stmt, out: &mut Vec<(String, RefId)>) {
    match &s.kind {
        StmtKind::Expression(e) | StmtKind::Print(e) => expr_refs(e, out),
        StmtKind::Var(_, _, init) => init.iter().for_each(|e| expr_refs(e, out)),
        StmtKind::Block(stmts) => stmts.iter().for_each(|s| stmt_refs(s, out)),
        StmtKind::If(c, t, e) => {
            expr_refs(c, out);
            stmt_refs(t, out);
            e.iter().for_each(|s| stmt_refs(s, out));
        }
        StmtKind::While(c, b) => {
            expr_refs(c, out);
            stmt_refs(b, out);
        }
        StmtKind::For { init, cond, incr, body } => {
            init.iter().for_each(|s| stmt_refs(s, out));
            cond.iter().for_each(|e| expr_refs(e, out));
            incr.iter().for_each(|e| expr_refs(e, out));
            stmt_refs(body, out);
        }
        StmtKind::Function(_, f) => function_refs(f, out),
        StmtKind::Class(c) => {
            if let Some((name, id, _)) = &c.superclass {
                out.push((String::from_utf8_lossy(name).into_owned(), *id));
            }
            c.methods.iter().for_each(|m| function_refs(m, out));
        }
        StmtKind::Return(v) => v.iter().for_each(|e| expr_refs(e, out)),
    }
}

fn expr_refs(e: &Expr, out: &mut Vec<(String, RefId)>) {
    let name = |n: &[u8]| String::from_utf8_lossy(n).into_owned();
    match &e.kind {
        ExprKind::Literal(_) => {}
        ExprKind::Grouping(e) | ExprKind::Unary(_, e) | ExprKind::Get(e, _, _) => expr_refs(e, out),
        ExprKind::Binary(_, l, r)
        | ExprKind::Logical(_, l, r)
        | ExprKind::Set(l, _, _, r)
        | ExprKind::Index(l, r) => {
            expr_refs(l, out);
            expr_refs(r, out);
        }
        ExprKind::SetIndex(o, i, v) => {
            expr_refs(o, out);
            expr_refs(i, out);
            expr_refs(v, out);
        }
        ExprKind::List(items) => items.iter().for_each(|e| expr_refs(e, out)),
        ExprKind::Variable(n, id) => out.push((name(n), *id)),
        ExprKind::Assign(n, id, v) => {
            out.push((name(n), *id));
            expr_refs(v, out);
        }
        ExprKind::Call(callee, args) => {
            expr_refs(callee, out);
            args.iter().for_each(|a| expr_refs(a, out));
        }
        ExprKind::This(id) => out.push(("this".into(), *id)),
        ExprKind::Super { super_ref, this_ref, .. } => {
            out.push(("super".into(), *super_ref));
            out.push(("this".into(), *this_ref));
        }
    }
}

/// What each reference resolves to, in source order: `name->global`, or
/// `name->decl@fn` with the declaration's id and owning function.
fn bindings(source: &str) -> Vec<String> {
    let (program, resolution) = resolved(source);
    references(&program)
        .into_iter()
        .map(|(name, id)| match resolution.refs[id.0 as usize] {
            Resolved::Global => format!("{name}->global"),
            Resolved::Local(decl) => {
                let info = &resolution.decls[decl.0 as usize];
                assert_eq!(info.name, name.as_bytes(), "bound to another name");
                format!("{name}->{}@{}", decl.0, info.function.0)
            }
        })
        .collect()
}

/// The declarations named `name`, in id order.
fn decls<'r>(resolution: &'r Resolution, name: &str) -> Vec<(DeclId, &'r DeclInfo)> {
    resolution
        .decls
        .iter()
        .enumerate()
        .filter(|(_, d)| d.name == name.as_bytes())
        .map(|(i, d)| (DeclId(i as u32), d))
        .collect()
}

fn the_decl<'r>(resolution: &'r Resolution, name: &str) -> &'r DeclInfo {
    let found = decls(resolution, name);
    assert_eq!(found.len(), 1, "declarations of {name}");
    found[0].1
}

/// (captured, assigned) of the one declaration named `name`.
fn flags(source: &str, name: &str) -> (bool, bool) {
    let (_, resolution) = resolved(source);
    let d = the_decl(&resolution, name);
    (d.captured, d.assigned)
}

// ---- Errors ---------------------------------------------------------------

#[test]
fn own_initializer() {
    assert_eq!(
        error("{\n  var a = \"outer\";\n  {\n    var a = a;\n  }\n}"),
        "[line 4] Error at 'a': Can't read local variable in its own initializer."
    );
    assert_eq!(
        error("fun f() { var x = 1 + x; }"),
        "[line 1] Error at 'x': Can't read local variable in its own initializer."
    );
    // A global may read itself (it is looked up at run time).
    resolved("var a = a;");
    // Assigning is not reading.
    resolved("{ var a = a = 1; }");
    // Only the innermost scope counts.
    resolved("{ var a = 1; { var b = a; } }");
}

#[test]
fn redeclaration() {
    assert_eq!(
        error("{\n  var a = 1;\n  var a = 2;\n}"),
        "[line 3] Error at 'a': Already a variable with this name in this scope."
    );
    assert_eq!(
        error("fun foo(arg,\n        arg) {\n  \"body\";\n}"),
        "[line 2] Error at 'arg': Already a variable with this name in this scope."
    );
    assert_eq!(
        error("fun foo(a) {\n  var a;\n}"),
        "[line 2] Error at 'a': Already a variable with this name in this scope."
    );
    assert_eq!(
        error("{ fun f() {} class f {} }"),
        "[line 1] Error at 'f': Already a variable with this name in this scope."
    );
    assert_eq!(
        error("{ var b;\nvar\n\nb; }"),
        "[line 4] Error at 'b': Already a variable with this name in this scope."
    );
    // Globals may be redeclared; inner scopes may shadow.
    resolved("var a = 1; var a = 2; fun a() {} class a {}");
    resolved("{ var a = 1; { var a = 2; } fun f(a) { { var a; } } }");
    // A for loop's variable is in its own scope.
    resolved("{ var i; for (var i = 0; i < 1; i = i + 1) { var i; } var j; }");
}

#[test]
fn redeclaration_and_own_initializer_together() {
    assert_eq!(
        errors("{ var a = 1; var a = a; }"),
        vec![
            "[line 1] Error at 'a': Already a variable with this name in this scope.",
            "[line 1] Error at 'a': Can't read local variable in its own initializer.",
        ]
    );
}

#[test]
fn returns() {
    assert_eq!(error("return 1;"), "[line 1] Error at 'return': Can't return from top-level code.");
    assert_eq!(
        error("{\n  if (true) return;\n}"),
        "[line 2] Error at 'return': Can't return from top-level code."
    );
    assert_eq!(
        error("class Foo {\n  init() {\n    return \"result\";\n  }\n}"),
        "[line 3] Error at 'return': Can't return a value from an initializer."
    );
    // A bare return in an initializer is fine, and so is a value returned
    // from a function nested in one.
    resolved("class Foo { init() { return; } }");
    resolved("class Foo { init() { fun f() { return 1; } } }");
    resolved("fun f() { return 1; } class C { m() { return 2; } }");
}

#[test]
fn this_outside_a_class() {
    assert_eq!(error("print this;"), "[line 1] Error at 'this': Can't use 'this' outside of a class.");
    assert_eq!(
        error("fun notMethod() {\n  print this;\n}"),
        "[line 2] Error at 'this': Can't use 'this' outside of a class."
    );
    resolved("class A { m() { fun f() { return this; } return f; } }");
}

#[test]
fn super_errors() {
    assert_eq!(
        errors("super.foo(\"bar\");\nsuper.foo;"),
        vec![
            "[line 1] Error at 'super': Can't use 'super' outside of a class.",
            "[line 2] Error at 'super': Can't use 'super' outside of a class.",
        ]
    );
    assert_eq!(
        error("fun foo() {\n  super.bar();\n}"),
        "[line 2] Error at 'super': Can't use 'super' outside of a class."
    );
    assert_eq!(
        error("class Base {\n  foo() {\n    super.doesNotExist;\n  }\n}"),
        "[line 3] Error at 'super': Can't use 'super' in a class with no superclass."
    );
    // A class nested in a subclass's method has no superclass of its own.
    assert_eq!(
        error("class A < B { m() { class C { n() { super.m(); } } } }"),
        "[line 1] Error at 'super': Can't use 'super' in a class with no superclass."
    );
    // Reported at the keyword, even when the method name is on another line.
    assert_eq!(error("super\n.\nfoo;"), "[line 1] Error at 'super': Can't use 'super' outside of a class.");
    resolved("class A < B { m() { fun f() { return super.m; } } }");
}

#[test]
fn inherit_from_itself() {
    assert_eq!(error("class Foo < Foo {}"), "[line 1] Error at 'Foo': A class can't inherit from itself.");
    assert_eq!(
        error("{\n  class Foo <\n    Foo {}\n}"),
        "[line 3] Error at 'Foo': A class can't inherit from itself."
    );
}

#[test]
fn every_error_in_source_order() {
    let source = "\
return;
{
  var a = 1;
  var a = a;
}
print this;
class A { init() { return 1; } m() { super.m; } }
fun f(x, x) { this.y = super.z; }
class B < B {}
";
    assert_eq!(
        errors(source),
        vec![
            "[line 1] Error at 'return': Can't return from top-level code.",
            "[line 4] Error at 'a': Already a variable with this name in this scope.",
            "[line 4] Error at 'a': Can't read local variable in its own initializer.",
            "[line 6] Error at 'this': Can't use 'this' outside of a class.",
            "[line 7] Error at 'return': Can't return a value from an initializer.",
            "[line 7] Error at 'super': Can't use 'super' in a class with no superclass.",
            "[line 8] Error at 'x': Already a variable with this name in this scope.",
            "[line 8] Error at 'this': Can't use 'this' outside of a class.",
            "[line 8] Error at 'super': Can't use 'super' outside of a class.",
            "[line 9] Error at 'B': A class can't inherit from itself.",
        ]
    );
}

#[test]
fn check_does_not_resolve_after_a_syntax_error() {
    let errors: Vec<String> =
        check(b"return 1; print ;").expect_err("fails").iter().map(ToString::to_string).collect();
    assert_eq!(errors, vec!["[line 1] Error at ';': Expect expression."]);
}

// ---- Where references point ----------------------------------------------

#[test]
fn top_level_names_are_global() {
    assert_eq!(
        bindings("var a = 1; print a; a = 2; fun f() { return a + f(); } print b;"),
        vec!["a->global", "a->global", "a->global", "f->global", "b->global"]
    );
    // A global's own initializer reads the global.
    assert_eq!(bindings("var a = a;"), vec!["a->global"]);
    // Blocks at top level are local scopes.
    assert_eq!(bindings("{ var a; print a; }"), vec!["a->0@0"]);
    let (_, resolution) = resolved("var g; fun f() {}");
    assert_eq!(the_decl(&resolution, "g").function, FnId(0));
    assert_eq!(the_decl(&resolution, "f").function, FnId(0));
}

#[test]
fn scopes_and_shadowing() {
    assert_eq!(bindings("{ var a; { var a; print a; } print a; }"), vec!["a->1@0", "a->0@0"]);
    // The initializer sees the enclosing `a`.
    assert_eq!(
        bindings("{ var a; fun f() { var b = a; var a = b; print a; } }"),
        vec!["a->0@0", "b->1@1", "a->2@1"]
    );
}

#[test]
fn functions_parameters_and_recursion() {
    // The name is declared before the body: a local function can recurse.
    let got = bindings("{ fun f(n) { return f(n); } }");
    let (_, resolution) = resolved("{ fun f(n) { return f(n); } }");
    let f = decls(&resolution, "f")[0].0;
    let n = decls(&resolution, "n")[0].0;
    assert_eq!(got, vec![format!("f->{}@0", f.0), format!("n->{}@1", n.0)]);
    assert_eq!(the_decl(&resolution, "n").function, FnId(1));
    // Mutually recursive local functions: the later one is not declared
    // yet, so it is a global.
    assert_eq!(bindings("{ fun even() { return odd(); } fun odd() { return even(); } }")[0], "odd->global");
}

#[test]
fn for_loops_have_a_scope() {
    let (program, resolution) = resolved("{ for (var i = 0; i < 3; i = i + 1) print i; }");
    let StmtKind::Block(stmts) = &program.script.body[0].kind else {
        panic!("not a block");
    };
    let StmtKind::For { init, .. } = &stmts[0].kind else {
        panic!("not a for");
    };
    let Some(init) = init else { panic!("no init") };
    let StmtKind::Var(_, i, _) = &init.kind else {
        panic!("not a var");
    };
    for (name, id) in references(&program) {
        assert_eq!(name, "i");
        assert_eq!(resolution.refs[id.0 as usize], Resolved::Local(*i));
    }
    // At top level, the loop variable is local too.
    assert_eq!(bindings("for (var i = 0; i < 1; i = i + 1) {}"), vec!["i->0@0", "i->0@0", "i->0@0"]);
}

#[test]
fn classes_this_and_super() {
    let source = "{ class A < B { init() { this.x = 1; } m() { return super.m() + A; } } }";
    let (program, resolution) = resolved(source);
    let StmtKind::Block(stmts) = &program.script.body[0].kind else {
        panic!("not a block");
    };
    let StmtKind::Class(class) = &stmts[0].kind else {
        panic!("not a class");
    };
    let super_decl = class.super_decl.expect("super");
    let init_this = class.methods[0].this_decl.expect("this");
    let m_this = class.methods[1].this_decl.expect("this");
    let local = |d: DeclId| Resolved::Local(d);
    let refs: Vec<(String, Resolved)> =
        references(&program).into_iter().map(|(n, id)| (n, resolution.refs[id.0 as usize])).collect();
    assert_eq!(
        refs,
        vec![
            ("B".to_string(), Resolved::Global),
            ("this".to_string(), local(init_this)),
            ("super".to_string(), local(super_decl)),
            ("this".to_string(), local(m_this)),
            ("A".to_string(), local(class.decl)),
        ]
    );
    // `this` belongs to its method; `super` and the class name to the
    // enclosing function (the script).
    let info = |d: DeclId| &resolution.decls[d.0 as usize];
    assert_eq!(info(init_this).function, class.methods[0].id);
    assert_eq!(info(m_this).function, class.methods[1].id);
    assert_eq!(info(super_decl).function, FnId(0));
    assert_eq!(info(super_decl).name, b"super");
    assert_eq!(info(class.decl).function, FnId(0));
    assert!(info(super_decl).captured);
    assert!(info(class.decl).captured);
    assert!(!info(m_this).captured);
}

#[test]
fn a_top_level_subclass_still_has_a_local_super() {
    assert_eq!(bindings("class A < B { m() { super.m(); } }"), vec!["B->global", "super->1@0", "this->2@1"]);
}

#[test]
fn local_class_may_name_itself_as_superclass_once_reported() {
    // The name is defined before the superclass is resolved (jlox).
    let program = parse(b"{ class A < A {} }").expect("parses");
    let errors = resolve(&program).expect_err("self inheritance");
    assert_eq!(errors.len(), 1);
}

// ---- Flags ----------------------------------------------------------------

#[test]
fn captured_flag() {
    // Read from a nested function.
    assert_eq!(flags("fun f() { var x; fun g() { print x; } }", "x"), (true, false));
    // Read from a function nested two levels deep.
    assert_eq!(flags("fun f() { var x; fun g() { fun h() { print x; } } }", "x"), (true, false));
    // Used only in its own function, also inside blocks.
    assert_eq!(flags("fun f() { var x; { print x; } }", "x"), (false, false));
    // A parameter captured by a local function.
    assert_eq!(flags("fun f(p) { fun g() { return p; } }", "p"), (true, false));
    // `this` captured by a closure in a method.
    let (_, resolution) = resolved("class A { m() { fun f() { return this; } } }");
    assert!(the_decl(&resolution, "this").captured);
    // Globals are never captured: they are not resolved locally.
    assert_eq!(flags("var x; fun g() { print x; }", "x"), (false, false));
}

#[test]
fn assigned_flag() {
    assert_eq!(flags("{ var x = 1; x = 2; }", "x"), (false, true));
    assert_eq!(flags("{ var x = 1; print x; }", "x"), (false, false));
    // Assigned in a nested function: captured and assigned, a heap cell.
    assert_eq!(flags("fun f() { var x; fun g() { x = 1; } }", "x"), (true, true));
    // Captured, and assigned in its own function.
    assert_eq!(flags("fun f() { var x; fun g() { print x; } x = 3; }", "x"), (true, true));
    assert_eq!(flags("fun f(p) { p = 1; }", "p"), (false, true));
    // A for loop's increment assigns its variable.
    assert_eq!(flags("{ for (var i = 0; i < 1; i = i + 1) {} }", "i"), (false, true));
    // An assignment in the initializer assigns the variable being declared.
    assert_eq!(flags("{ var a = a = 1; }", "a"), (false, true));
    // A global assignment sets no flag.
    assert_eq!(flags("var x; x = 1;", "x"), (false, false));
}

#[test]
fn every_declaration_is_described() {
    let (program, resolution) = resolved("var g; fun f(a, b) { var c; } class K < g { m(d) { var e; } }");
    assert_eq!(resolution.decls.len(), program.decl_count as usize);
    assert_eq!(resolution.refs.len(), program.ref_count as usize);
    let mut names: Vec<String> =
        resolution.decls.iter().map(|d| String::from_utf8_lossy(&d.name).into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        vec!["K", "a", "b", "c", "d", "e", "f", "g", "m", "super", "this"]
            .into_iter()
            .filter(|n| *n != "m")
            .collect::<Vec<_>>()
    );
    assert_eq!(the_decl(&resolution, "c").function, the_decl(&resolution, "a").function);
    assert_eq!(the_decl(&resolution, "d").function, the_decl(&resolution, "this").function);
    assert_eq!(the_decl(&resolution, "e").function, the_decl(&resolution, "d").function);
}

#[test]
fn many_locals_and_parameters() {
    let vars: String = (0..5000).map(|i| format!("var v{i} = {i};")).collect();
    let params: Vec<String> = (0..255).map(|i| format!("p{i}")).collect();
    let source = format!("fun f({}) {{ {vars} return v4999 + p254; }}", params.join(", "));
    let (program, resolution) = resolved(&source);
    assert_eq!(resolution.decls.len(), 5000 + 255 + 1);
    let refs = references(&program);
    assert!(refs.iter().all(|(_, id)| matches!(resolution.refs[id.0 as usize], Resolved::Local(_))));
}

#[test]
fn lowered_sites_carry_the_span_of_their_expression() {
    let source = "var a = 1;\nfun f(x) {\n  return x.y + a;\n}\nprint f(2);\n";
    let mut module = brine_ir::Module::new();
    brine_frontend::compile_named(source.as_bytes(), "s.lox", &mut module).unwrap();
    let file = module.sources.last().unwrap();
    assert_eq!((file.name.as_str(), &file.text[..]), ("s.lox", source.as_bytes()));
    let spans: Vec<&str> = (0..module.sites.len())
        .filter_map(|i| module.site_source(brine_ir::SiteId::new(i)))
        .map(|(_, span)| &source[span.range()])
        .collect();
    for expected in ["x.y", "x.y + a", "a", "f", "f(2)"] {
        assert!(spans.contains(&expected), "no site covers {expected:?}: {spans:?}");
    }
    // Each site's line is the line its span starts on.
    for i in 0..module.sites.len() {
        if let Some((_, span)) = module.site_source(brine_ir::SiteId::new(i)) {
            let line = 1 + source[..span.start as usize].matches('\n').count() as u32;
            assert_eq!(module.sites[i].line, line, "site {i} at {:?}", &source[span.range()]);
        }
    }
}

#[test]
fn resolver_errors_point_at_the_name() {
    let source = "{ var a = a; }";
    let errors = brine_frontend::check(source.as_bytes()).unwrap_err();
    let span = errors[0].span.expect("a span");
    assert_eq!((&source[span.range()], span.start), ("a", 10));
}
