//! The resolver: binds every variable reference to its declaration, as
//! jlox's resolver does, and reports jlox's static errors.
//!
//! Scopes follow jlox: the top level is global (no scope); a block opens a
//! scope; a function opens one scope for its parameters and body; `for`
//! opens one around its initializer; a class with a superclass opens one
//! holding `super`. A method's implicit `this` lives in the method's own
//! scope (it belongs to the method, like a parameter).
//!
//! The walk recurses over the tree; the parser bounds its depth.

use std::collections::HashMap;

use crate::ast::{
    Class, DeclId, DeclInfo, Expr, ExprKind, FnId, Function, FunctionKind, Program, RefId, Resolution,
    Resolved, Span, Stmt, StmtKind,
};
use crate::diag::Diagnostic;

pub(crate) fn resolve(program: &Program) -> Result<Resolution, Vec<Diagnostic>> {
    let (resolution, diagnostics) = resolve_all(program);
    if diagnostics.is_empty() { Ok(resolution) } else { Err(diagnostics) }
}

/// The resolution and every error: on errors, the resolution is still
/// complete (a reference the errors concern may be left `Global`).
pub(crate) fn resolve_all(program: &Program) -> (Resolution, Vec<Diagnostic>) {
    let placeholder = DeclInfo { name: Vec::new(), function: FnId(0), captured: false, assigned: false };
    let mut resolver = Resolver {
        program,
        resolution: Resolution {
            decls: vec![placeholder; program.decl_count as usize],
            refs: vec![Resolved::Global; program.ref_count as usize],
        },
        scopes: Vec::new(),
        function: program.script.id,
        function_kind: FunctionKind::Script,
        class: ClassKind::None,
        diagnostics: Vec::new(),
    };
    resolver.stmts(&program.script.body);
    (resolver.resolution, resolver.diagnostics)
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum ClassKind {
    None,
    Class,
    Subclass,
}

#[derive(Copy, Clone)]
struct Binding {
    decl: DeclId,
    /// False while the variable's initializer is being resolved.
    defined: bool,
}

type Scope<'a> = HashMap<&'a [u8], Binding>;

struct Resolver<'a> {
    program: &'a Program,
    resolution: Resolution,
    /// The local scopes, innermost last; empty at the top level.
    scopes: Vec<Scope<'a>>,
    /// The function being resolved, and its kind.
    function: FnId,
    function_kind: FunctionKind,
    /// The innermost enclosing class.
    class: ClassKind,
    diagnostics: Vec<Diagnostic>,
}

/// Where an error is reported: a line, and the span when known.
#[derive(Copy, Clone)]
struct Pos {
    line: u32,
    span: Option<Span>,
}

/// The position of the keyword `word` that starts `stmt`.
fn keyword(stmt: &Stmt, word: &[u8]) -> Pos {
    let start = stmt.span.start;
    let span = (!stmt.span.is_empty()).then(|| Span::new(start, start + word.len() as u32));
    Pos { line: stmt.line, span }
}

impl<'a> Resolver<'a> {
    fn error(&mut self, at: Pos, lexeme: &[u8], message: &str) {
        let diagnostic = Diagnostic::at_token(at.line, lexeme, message);
        self.diagnostics.push(match at.span {
            Some(span) => diagnostic.with_span(span),
            None => diagnostic,
        });
    }

    /// Where declaration `decl` is written (`fallback` is its line if the
    /// program does not say).
    fn decl_pos(&self, decl: DeclId, fallback: u32) -> Pos {
        let i = decl.0 as usize;
        let line = self.program.decl_lines.get(i).copied().unwrap_or(fallback);
        Pos { line, span: self.program.decl_spans.get(i).copied() }
    }

    fn ref_pos(&self, id: RefId, fallback: u32) -> Pos {
        let i = id.0 as usize;
        let line = self.program.ref_lines.get(i).copied().unwrap_or(fallback);
        Pos { line, span: self.program.ref_spans.get(i).copied() }
    }

    fn decl_info(&mut self, decl: DeclId) -> &mut DeclInfo {
        let decls = &mut self.resolution.decls;
        let index = decl.0 as usize;
        if index >= decls.len() {
            decls.resize_with(index + 1, || DeclInfo {
                name: Vec::new(),
                function: FnId(0),
                captured: false,
                assigned: false,
            });
        }
        &mut decls[index]
    }

    fn set_ref(&mut self, id: RefId, resolved: Resolved) {
        let refs = &mut self.resolution.refs;
        let index = id.0 as usize;
        if index >= refs.len() {
            refs.resize(index + 1, Resolved::Global);
        }
        refs[index] = resolved;
    }

    // ---- Scopes -------------------------------------------------------

    /// Declares `name` in the innermost scope (a global if there is none),
    /// not yet defined. `at` is where a redeclaration is reported.
    fn declare(&mut self, name: &'a [u8], decl: DeclId, at: Pos) {
        let function = self.function;
        *self.decl_info(decl) = DeclInfo { name: name.to_vec(), function, captured: false, assigned: false };
        let Some(scope) = self.scopes.last_mut() else {
            return;
        };
        let previous = scope.insert(name, Binding { decl, defined: false });
        if previous.is_some() {
            self.error(at, name, "Already a variable with this name in this scope.");
        }
    }

    fn define(&mut self, name: &[u8]) {
        if let Some(binding) = self.scopes.last_mut().and_then(|s| s.get_mut(name)) {
            binding.defined = true;
        }
    }

    fn declare_and_define(&mut self, name: &'a [u8], decl: DeclId, at: Pos) {
        self.declare(name, decl, at);
        self.define(name);
    }

    /// Binds a reference: to the innermost local declaration of `name`, or
    /// to a global.
    fn bind(&mut self, name: &[u8], id: RefId, assigned: bool) {
        let found = self.scopes.iter().rev().find_map(|scope| scope.get(name)).map(|binding| binding.decl);
        let Some(decl) = found else {
            self.set_ref(id, Resolved::Global);
            return;
        };
        self.set_ref(id, Resolved::Local(decl));
        let function = self.function;
        let info = self.decl_info(decl);
        if info.function != function {
            info.captured = true;
        }
        if assigned {
            info.assigned = true;
        }
    }

    fn in_scope(&mut self, resolve: impl FnOnce(&mut Self)) {
        self.scopes.push(Scope::new());
        resolve(self);
        self.scopes.pop();
    }

    // ---- Statements ---------------------------------------------------

    fn stmts(&mut self, stmts: &'a [Stmt]) {
        for stmt in stmts {
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: &'a Stmt) {
        match &stmt.kind {
            StmtKind::Expression(expr) | StmtKind::Print(expr) => self.expr(expr),
            StmtKind::Var(name, decl, init) => {
                let at = self.decl_pos(*decl, stmt.line);
                self.declare(name, *decl, at);
                if let Some(init) = init {
                    self.expr(init);
                }
                self.define(name);
            }
            StmtKind::Block(stmts) => self.in_scope(|r| r.stmts(stmts)),
            StmtKind::If(cond, then_branch, else_branch) => {
                self.expr(cond);
                self.stmt(then_branch);
                if let Some(else_branch) = else_branch {
                    self.stmt(else_branch);
                }
            }
            StmtKind::While(cond, body) => {
                self.expr(cond);
                self.stmt(body);
            }
            StmtKind::For { init, cond, incr, body } => self.in_scope(|r| {
                if let Some(init) = init {
                    r.stmt(init);
                }
                if let Some(cond) = cond {
                    r.expr(cond);
                }
                if let Some(incr) = incr {
                    r.expr(incr);
                }
                r.stmt(body);
            }),
            StmtKind::Function(decl, function) => {
                // Declared and defined first, so that the body can recurse.
                let at = self.decl_pos(*decl, function.line);
                self.declare_and_define(&function.name, *decl, at);
                self.function(function);
            }
            StmtKind::Class(class) => self.class(class),
            StmtKind::Return(value) => {
                if self.function_kind == FunctionKind::Script {
                    self.error(keyword(stmt, b"return"), b"return", "Can't return from top-level code.");
                }
                if let Some(value) = value {
                    if self.function_kind == FunctionKind::Initializer {
                        let at = keyword(stmt, b"return");
                        self.error(at, b"return", "Can't return a value from an initializer.");
                    }
                    self.expr(value);
                }
            }
        }
    }

    fn function(&mut self, function: &'a Function) {
        let enclosing = (self.function, self.function_kind);
        self.function = function.id;
        self.function_kind = function.kind;
        self.in_scope(|r| {
            if let Some(this) = function.this_decl {
                r.declare_and_define(b"this", this, Pos { line: function.line, span: None });
            }
            for (name, decl) in &function.params {
                let at = r.decl_pos(*decl, function.line);
                r.declare_and_define(name, *decl, at);
            }
            r.stmts(&function.body);
        });
        (self.function, self.function_kind) = enclosing;
    }

    fn class(&mut self, class: &'a Class) {
        let enclosing = self.class;
        self.class = ClassKind::Class;
        let at = self.decl_pos(class.decl, class.line);
        self.declare_and_define(&class.name, class.decl, at);
        let mut super_scope = false;
        if let Some((name, id, line)) = &class.superclass {
            let at = self.ref_pos(*id, *line);
            if *name == class.name {
                self.error(at, name, "A class can't inherit from itself.");
            }
            self.class = ClassKind::Subclass;
            self.variable(name, *id, at);
            if let Some(decl) = class.super_decl {
                self.scopes.push(Scope::new());
                self.declare_and_define(b"super", decl, Pos { line: *line, span: None });
                super_scope = true;
            }
        }
        for method in &class.methods {
            self.function(method);
        }
        if super_scope {
            self.scopes.pop();
        }
        self.class = enclosing;
    }

    // ---- Expressions --------------------------------------------------

    fn expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::Literal(_) => {}
            ExprKind::Grouping(inner) | ExprKind::Unary(_, inner) | ExprKind::Get(inner, _, _) => {
                self.expr(inner)
            }
            ExprKind::Binary(_, left, right) | ExprKind::Logical(_, left, right) => {
                self.expr(left);
                self.expr(right);
            }
            ExprKind::Variable(name, id) => self.variable(name, *id, self.ref_pos(*id, expr.line)),
            ExprKind::Assign(name, id, value) => {
                self.expr(value);
                self.bind(name, *id, true);
            }
            ExprKind::Call(callee, args) => {
                self.expr(callee);
                for arg in args {
                    self.expr(arg);
                }
            }
            ExprKind::Set(object, _, _, value) => {
                self.expr(object);
                self.expr(value);
            }
            ExprKind::List(items) => {
                for item in items {
                    self.expr(item);
                }
            }
            ExprKind::Index(object, index) => {
                self.expr(object);
                self.expr(index);
            }
            ExprKind::SetIndex(object, index, value) => {
                self.expr(object);
                self.expr(index);
                self.expr(value);
            }
            ExprKind::This(id) => {
                let at = self.ref_pos(*id, expr.line);
                if self.class == ClassKind::None {
                    self.error(at, b"this", "Can't use 'this' outside of a class.");
                } else {
                    self.bind(b"this", *id, false);
                }
            }
            ExprKind::Super { super_ref, this_ref, .. } => {
                let at = self.ref_pos(*super_ref, expr.line);
                match self.class {
                    ClassKind::None => self.error(at, b"super", "Can't use 'super' outside of a class."),
                    ClassKind::Class => {
                        self.error(at, b"super", "Can't use 'super' in a class with no superclass.")
                    }
                    ClassKind::Subclass => {}
                }
                self.bind(b"super", *super_ref, false);
                self.bind(b"this", *this_ref, false);
            }
        }
    }

    /// A variable read.
    fn variable(&mut self, name: &[u8], id: RefId, at: Pos) {
        let in_own_initializer =
            self.scopes.last().and_then(|scope| scope.get(name)).is_some_and(|binding| !binding.defined);
        if in_own_initializer {
            self.error(at, name, "Can't read local variable in its own initializer.");
        }
        self.bind(name, id, false);
    }
}
