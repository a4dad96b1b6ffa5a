//! Lowering from the resolved AST to Brine IR.
//!
//! Each Lox function, method and script becomes one IR function. Locals
//! become SSA values through the builder's variables, except those that are
//! both captured and assigned: they live in heap cells, which every closure
//! that captures them shares. Captured locals that are never assigned are
//! copied into the closure when it is created. A local function that refers
//! to itself uses its own callee (the closure being run), since its variable
//! is not yet initialized when the closure is created.
//!
//! A module may be lowered into more than once (the REPL lowers each entry
//! into the same module, so closures from earlier entries stay valid).

use crate::ast::{
    self, DeclId, Expr, ExprKind, FnId, Literal, LogicalOp, Resolution, Resolved, Stmt, StmtKind,
};
use brine_ir::builder::{FunctionBuilder, Variable};
use brine_ir::{
    BinaryOp, FuncId, Function, FunctionKind, InstKind, Intrinsic, Module, SourceIndex, SourceSpan, Type,
    UnaryOp, Value,
};
use std::collections::HashMap;

/// Lowers a resolved program into `module` and returns its script function.
pub fn lower(program: &ast::Program, resolution: &Resolution, module: &mut Module) -> FuncId {
    lower_with(program, resolution, module, false, None, None)
}

/// Lowers `program` into `module`: as the standard library's code when
/// `library` (see [`Lowerer::library`]), and with a call of the script
/// `first` (the library's) before anything else of the script. Its sites
/// point into `source` (one of the module's sources) when given.
pub fn lower_with(
    program: &ast::Program,
    resolution: &Resolution,
    module: &mut Module,
    library: bool,
    first: Option<FuncId>,
    source: Option<SourceIndex>,
) -> FuncId {
    // In a REPL session, an earlier entry may have defined `brine` too.
    let defined_before = module.global_id(b"brine").is_some_and(|g| {
        module.functions.iter().any(|f| {
            f.insts.iter().any(|i| {
                matches!(i.kind, InstKind::DefineGlobal { global, .. } | InstKind::SetGlobal { global, .. } if global == g)
            })
        })
    });
    let intrinsics = library || !(defines_brine(program, resolution) || defined_before);
    let mut l = Lowerer {
        module,
        res: resolution,
        fns: Vec::new(),
        pending_captures: Vec::new(),
        library,
        first,
        intrinsics,
        source,
        ref_spans: &program.ref_spans,
    };
    l.function(&program.script, None)
}

/// How a function reaches one of its locals.
#[derive(Copy, Clone)]
enum Storage {
    /// An SSA variable holding the value.
    Var(Variable),
    /// An SSA variable holding the cell that holds the value.
    Cell(Variable),
}

struct FnState {
    b: FunctionBuilder,
    id: FnId,
    kind: ast::FunctionKind,
    locals: HashMap<DeclId, Storage>,
    /// Captured declarations, in capture order.
    captures: Vec<DeclId>,
    capture_index: HashMap<DeclId, u32>,
    /// The function's own name declaration, when references to it can use the callee.
    self_decl: Option<DeclId>,
    callee: Value,
    this: Value,
    /// Nesting of blocks; top-level declarations of the script are globals.
    depth: u32,
    /// The activation's register file (`brine.readReg`), if it uses one.
    registers: Option<Value>,
}

struct Lowerer<'a> {
    module: &'a mut Module,
    res: &'a Resolution,
    fns: Vec<FnState>,
    /// The captures of the function lowered last, for its closure.
    pending_captures: Vec<DeclId>,
    /// Lowering the standard library: every global name `x` is the
    /// library's own `$x` (names that start with `$` are already), so that
    /// a program that redefines a name changes its own code, never the
    /// library's. Its functions are marked as the library's.
    library: bool,
    /// A script to call at the start of the script (the library's).
    first: Option<FuncId>,
    /// Whether the global `brine` is the intrinsics object (the program
    /// neither declares nor assigns a global of that name; DESIGN.md
    /// section 9): then `brine.name(..)` lowers to the intrinsic.
    intrinsics: bool,
    /// The module's source that the sites' spans are of, if any.
    source: Option<SourceIndex>,
    /// Indexed by `RefId`: where each reference is written.
    ref_spans: &'a [ast::Span],
}

fn ir_kind(kind: ast::FunctionKind) -> FunctionKind {
    match kind {
        ast::FunctionKind::Script => FunctionKind::Script,
        ast::FunctionKind::Function => FunctionKind::Function,
        ast::FunctionKind::Method => FunctionKind::Method,
        ast::FunctionKind::Initializer => FunctionKind::Initializer,
    }
}

impl Lowerer<'_> {
    fn f(&mut self) -> &mut FnState {
        self.fns.last_mut().expect("no function")
    }
    fn b(&mut self) -> &mut FunctionBuilder {
        &mut self.f().b
    }
    fn ins(&mut self, kind: InstKind) -> Value {
        self.b().ins_value(kind)
    }
    fn effect(&mut self, kind: InstKind) {
        self.b().ins(kind);
    }
    /// The global `name` of the code being lowered (see [`Lowerer::library`]).
    fn global(&mut self, name: &[u8]) -> brine_ir::GlobalId {
        if self.library && !name.starts_with(b"$") {
            let mut own = b"$".to_vec();
            own.extend_from_slice(name);
            return self.module.global(&own);
        }
        self.module.global(name)
    }
    fn site(&mut self, line: u32) -> brine_ir::SiteId {
        self.module.add_site(line)
    }
    /// A site at `line` that covers `span` of the source.
    fn site_at(&mut self, line: u32, span: Option<ast::Span>) -> brine_ir::SiteId {
        match (self.source, span) {
            (Some(source), Some(span)) => self.module.add_site_at(line, SourceSpan { source, span }),
            _ => self.module.add_site(line),
        }
    }
    /// The site of an operation of expression `e`: its line, and the span
    /// of the whole expression.
    fn site_of(&mut self, e: &Expr) -> brine_ir::SiteId {
        self.site_at(e.line, Some(e.span))
    }
    /// The site of reference `r` (a variable's name), at `line`.
    fn ref_site(&mut self, r: ast::RefId, line: u32) -> brine_ir::SiteId {
        let span = self.ref_spans.get(r.0 as usize).copied();
        self.site_at(line, span)
    }
    /// Whether `e` is the intrinsics object `brine` (see
    /// [`Lowerer::intrinsics`]).
    fn is_brine(&self, e: &Expr) -> bool {
        self.intrinsics
            && matches!(&e.kind, ExprKind::Variable(name, r)
                if name == b"brine" && matches!(self.res.refs[r.0 as usize], Resolved::Global))
    }

    fn is_cell(&self, decl: DeclId) -> bool {
        let d = &self.res.decls[decl.0 as usize];
        d.captured && d.assigned
    }
    fn decl_fn(&self, decl: DeclId) -> FnId {
        self.res.decls[decl.0 as usize].function
    }

    /// Lowers one function body into a new IR function. `self_decl` is the
    /// declaration of the function's name, for a local function.
    fn function(&mut self, func: &ast::Function, self_decl: Option<DeclId>) -> FuncId {
        let kind = ir_kind(func.kind);
        let arity = func.params.len() as u32;
        let id = self.module.declare_function(func.name.clone(), kind, arity, func.line);
        let mut b = FunctionBuilder::new(Function::new(func.name.clone(), kind, arity, func.line));
        let entry = b.create_block();
        let callee = b.append_block_param(entry, Type::Val);
        let this = b.append_block_param(entry, Type::Val);
        let params: Vec<Value> = func.params.iter().map(|_| b.append_block_param(entry, Type::Val)).collect();
        b.switch_to_block(entry);
        b.seal_block(entry);
        if func.kind == ast::FunctionKind::Script
            && let Some(first) = self.first.take()
        {
            let callee = b.ins_value(InstKind::Closure { func: first, captures: Vec::new() });
            let site = self.module.add_site(func.line);
            b.ins_value(InstKind::Call { callee, args: Vec::new(), site });
        }
        let self_decl = self_decl.filter(|&d| !self.is_cell(d));
        self.fns.push(FnState {
            b,
            id: func.id,
            kind: func.kind,
            locals: HashMap::new(),
            captures: Vec::new(),
            capture_index: HashMap::new(),
            self_decl,
            callee,
            this,
            depth: 0,
            registers: None,
        });
        if uses_registers(&func.body, &|e| self.is_brine(e)) {
            let site = self.site(func.line);
            let file = self.ins(InstKind::Intrinsic { op: Intrinsic::RegFile, args: Vec::new(), site });
            self.f().registers = Some(file);
        }
        if let Some(this_decl) = func.this_decl {
            self.declare_local(this_decl, this);
        }
        for ((_, decl), value) in func.params.iter().zip(params) {
            self.declare_local(*decl, value);
        }
        for stmt in &func.body {
            self.stmt(stmt);
        }
        if !self.b().is_terminated() {
            let value = self.implicit_return_value();
            self.effect(InstKind::Return { value });
        }
        let state = self.fns.pop().expect("function state");
        let mut ir = state.b.finish();
        ir.ncaptures = state.captures.len() as u32;
        ir.library = self.library;
        self.module.define_function(id, ir);
        if !self.fns.is_empty() {
            // The enclosing function creates the closure; it needs the
            // captured storages, in order.
            self.pending_captures = state.captures;
        }
        id
    }

    fn implicit_return_value(&mut self) -> Value {
        if self.f().kind == ast::FunctionKind::Initializer { self.f().this } else { self.ins(InstKind::Nil) }
    }

    /// Declares a local holding `value` (boxing it in a cell if needed).
    fn declare_local(&mut self, decl: DeclId, value: Value) {
        let cell = self.is_cell(decl);
        let var = self.b().declare_var(Type::Val);
        let stored = if cell { self.ins(InstKind::CellNew { value }) } else { value };
        self.b().def_var(var, stored);
        let storage = if cell { Storage::Cell(var) } else { Storage::Var(var) };
        self.f().locals.insert(decl, storage);
    }

    /// The storage value of `decl` in the current function: the cell for a
    /// cell variable, else the value.
    fn storage_value(&mut self, decl: DeclId) -> Value {
        let current = self.f().id;
        if self.decl_fn(decl) == current {
            match self.f().locals.get(&decl).copied() {
                Some(Storage::Var(v) | Storage::Cell(v)) => self.b().use_var(v),
                // Declared later in this function on no path reaching here
                // (the resolver never resolves to it then); keep the IR valid.
                None => self.ins(InstKind::Nil),
            }
        } else if self.f().self_decl == Some(decl) {
            self.f().callee
        } else {
            let f = self.f();
            let index = match f.capture_index.get(&decl) {
                Some(&i) => i,
                None => {
                    let i = f.captures.len() as u32;
                    f.captures.push(decl);
                    f.capture_index.insert(decl, i);
                    i
                }
            };
            self.ins(InstKind::LoadCapture { index })
        }
    }

    fn read_local(&mut self, decl: DeclId) -> Value {
        let storage = self.storage_value(decl);
        if self.is_cell(decl) { self.ins(InstKind::CellGet { cell: storage }) } else { storage }
    }

    fn write_local(&mut self, decl: DeclId, value: Value) {
        if self.is_cell(decl) {
            let cell = self.storage_value(decl);
            self.effect(InstKind::CellSet { cell, value });
        } else {
            // Only locals of the current function are assigned without a
            // cell: an assigned captured variable is always a cell.
            let var = match self.f().locals.get(&decl).copied() {
                Some(Storage::Var(v)) => v,
                _ => {
                    let v = self.b().declare_var(Type::Val);
                    self.f().locals.insert(decl, Storage::Var(v));
                    v
                }
            };
            self.b().def_var(var, value);
        }
    }

    /// Whether a declaration at this point of the script is a global.
    fn at_global_scope(&mut self) -> bool {
        self.fns.len() == 1 && self.f().kind == ast::FunctionKind::Script && self.f().depth == 0
    }

    /// Defines a declared name: a global at top level, else a local.
    fn define(&mut self, name: &[u8], decl: DeclId, value: Value) {
        if self.at_global_scope() {
            let global = self.global(name);
            self.effect(InstKind::DefineGlobal { global, value });
        } else {
            self.declare_local(decl, value);
        }
    }

    /// Creates a closure of a lowered function with the captures it asked for.
    fn closure(&mut self, func: &ast::Function, self_decl: Option<DeclId>) -> Value {
        let id = self.function(func, self_decl);
        let decls = std::mem::take(&mut self.pending_captures);
        let captures = decls.into_iter().map(|d| self.storage_value(d)).collect();
        self.ins(InstKind::Closure { func: id, captures })
    }

    // ---- statements ------------------------------------------------------------

    fn block(&mut self, stmts: &[Stmt]) {
        self.f().depth += 1;
        for s in stmts {
            self.stmt(s);
        }
        self.f().depth -= 1;
    }

    /// After a terminator, later code is unreachable: give it a block of its
    /// own, which `finish` drops.
    fn start_dead_block(&mut self) {
        let b = self.b().create_block();
        self.b().switch_to_block(b);
        self.b().seal_block(b);
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Expression(e) => {
                self.expr(e);
            }
            StmtKind::Print(e) => {
                let value = self.expr(e);
                self.effect(InstKind::Print { value });
            }
            StmtKind::Var(name, decl, init) => {
                let value = match init {
                    Some(e) => self.expr(e),
                    None => self.ins(InstKind::Nil),
                };
                self.define(name, *decl, value);
            }
            StmtKind::Block(stmts) => self.block(stmts),
            StmtKind::If(cond, then, els) => {
                let c = self.condition(cond);
                let then_b = self.b().create_block();
                let else_b = self.b().create_block();
                let merge = self.b().create_block();
                self.effect(InstKind::Branch {
                    cond: c,
                    then_dest: then_b,
                    then_args: vec![],
                    else_dest: else_b,
                    else_args: vec![],
                });
                for (block, body) in [(then_b, Some(then)), (else_b, els.as_ref())] {
                    self.b().switch_to_block(block);
                    self.b().seal_block(block);
                    if let Some(body) = body {
                        self.stmt(body);
                    }
                    self.effect(InstKind::Jump { dest: merge, args: vec![] });
                }
                self.b().switch_to_block(merge);
                self.b().seal_block(merge);
            }
            StmtKind::While(cond, body) => self.lower_loop(Some(cond), None, body),
            StmtKind::For { init, cond, incr, body } => {
                self.f().depth += 1;
                if let Some(init) = init {
                    self.stmt(init);
                }
                self.lower_loop(cond.as_ref(), incr.as_ref(), body);
                self.f().depth -= 1;
            }
            StmtKind::Function(decl, func) => {
                if !self.at_global_scope() && self.is_cell(*decl) {
                    // The closure captures the cell; fill it afterwards.
                    let nil = self.ins(InstKind::Nil);
                    self.declare_local(*decl, nil);
                    let closure = self.closure(func, None);
                    self.write_local(*decl, closure);
                } else {
                    let self_decl = (!self.at_global_scope()).then_some(*decl);
                    let closure = self.closure(func, self_decl);
                    self.define(&func.name, *decl, closure);
                }
            }
            StmtKind::Class(class) => self.class(class),
            StmtKind::Return(value) => {
                let v = match value {
                    Some(e) => self.expr(e),
                    None => self.implicit_return_value(),
                };
                self.effect(InstKind::Return { value: v });
                self.start_dead_block();
            }
        }
    }

    fn lower_loop(&mut self, cond: Option<&Expr>, incr: Option<&Expr>, body: &Stmt) {
        let header = self.b().create_block();
        let body_b = self.b().create_block();
        let exit = self.b().create_block();
        self.effect(InstKind::Jump { dest: header, args: vec![] });
        self.b().switch_to_block(header);
        match cond {
            Some(cond) => {
                let c = self.condition(cond);
                self.effect(InstKind::Branch {
                    cond: c,
                    then_dest: body_b,
                    then_args: vec![],
                    else_dest: exit,
                    else_args: vec![],
                });
            }
            None => self.effect(InstKind::Jump { dest: body_b, args: vec![] }),
        }
        self.b().switch_to_block(body_b);
        self.b().seal_block(body_b);
        self.stmt(body);
        if let Some(incr) = incr {
            self.expr(incr);
        }
        self.effect(InstKind::Jump { dest: header, args: vec![] });
        self.b().seal_block(header);
        self.b().switch_to_block(exit);
        self.b().seal_block(exit);
    }

    fn class(&mut self, class: &ast::Class) {
        let name = self.module.intern(&class.name);
        let fields = expected_fields(class);
        let class_value = self.ins(InstKind::Class { name, fields });
        self.define(&class.name, class.decl, class_value);
        self.f().depth += 1;
        if let Some((sup_name, sup_ref, line)) = &class.superclass {
            let superclass = self.variable(sup_name, *sup_ref, *line);
            let site = self.ref_site(*sup_ref, *line);
            self.effect(InstKind::Inherit { class: class_value, superclass, site });
            if let Some(super_decl) = class.super_decl {
                self.declare_local(super_decl, superclass);
            }
        }
        for method in &class.methods {
            let closure = self.closure(method, None);
            let mname = self.module.intern(&method.name);
            self.effect(InstKind::Method { class: class_value, name: mname, method: closure });
        }
        self.f().depth -= 1;
    }

    // ---- expressions ---------------------------------------------------------------

    /// Evaluates `e` as a branch condition (a bool).
    fn condition(&mut self, e: &Expr) -> Value {
        let v = self.expr(e);
        self.b().ins_value(InstKind::Truthy(v))
    }

    fn variable(&mut self, name: &[u8], r: ast::RefId, line: u32) -> Value {
        match self.res.refs[r.0 as usize] {
            Resolved::Global => {
                let global = self.global(name);
                let site = self.ref_site(r, line);
                self.ins(InstKind::GetGlobal { global, site })
            }
            Resolved::Local(decl) => self.read_local(decl),
        }
    }

    fn args(&mut self, args: &[Expr]) -> Vec<Value> {
        args.iter().map(|a| self.expr(a)).collect()
    }

    fn expr(&mut self, e: &Expr) -> Value {
        match &e.kind {
            ExprKind::Literal(lit) => match lit {
                Literal::Nil => self.ins(InstKind::Nil),
                Literal::Bool(b) => self.ins(InstKind::Bool(*b)),
                Literal::Number(n) => self.ins(InstKind::Number(*n)),
                Literal::Str(s) => {
                    let id = self.module.intern(s);
                    self.ins(InstKind::Str(id))
                }
            },
            ExprKind::Grouping(inner) => self.expr(inner),
            ExprKind::Unary(op, arg) => {
                let arg = self.expr(arg);
                let op = match op {
                    ast::UnaryOp::Neg => UnaryOp::Neg,
                    ast::UnaryOp::Not => UnaryOp::Not,
                };
                let site = self.site_of(e);
                self.ins(InstKind::Unary { op, arg, site })
            }
            ExprKind::Binary(op, l, r) => {
                let lhs = self.expr(l);
                let rhs = self.expr(r);
                let op = match op {
                    ast::BinaryOp::Add => BinaryOp::Add,
                    ast::BinaryOp::Sub => BinaryOp::Sub,
                    ast::BinaryOp::Mul => BinaryOp::Mul,
                    ast::BinaryOp::Div => BinaryOp::Div,
                    ast::BinaryOp::Mod => BinaryOp::Mod,
                    ast::BinaryOp::Eq => BinaryOp::Eq,
                    ast::BinaryOp::Ne => BinaryOp::Ne,
                    ast::BinaryOp::Lt => BinaryOp::Lt,
                    ast::BinaryOp::Le => BinaryOp::Le,
                    ast::BinaryOp::Gt => BinaryOp::Gt,
                    ast::BinaryOp::Ge => BinaryOp::Ge,
                };
                let site = self.site_of(e);
                self.ins(InstKind::Binary { op, lhs, rhs, site })
            }
            ExprKind::Logical(op, l, r) => {
                let left = self.expr(l);
                let c = self.b().ins_value(InstKind::Truthy(left));
                let rhs_b = self.b().create_block();
                let merge = self.b().create_block();
                let result = self.b().append_block_param(merge, Type::Val);
                let (then_dest, then_args, else_dest, else_args) = match op {
                    LogicalOp::And => (rhs_b, vec![], merge, vec![left]),
                    LogicalOp::Or => (merge, vec![left], rhs_b, vec![]),
                };
                self.effect(InstKind::Branch { cond: c, then_dest, then_args, else_dest, else_args });
                self.b().switch_to_block(rhs_b);
                self.b().seal_block(rhs_b);
                let right = self.expr(r);
                self.effect(InstKind::Jump { dest: merge, args: vec![right] });
                self.b().switch_to_block(merge);
                self.b().seal_block(merge);
                result
            }
            ExprKind::Variable(name, r) => self.variable(name, *r, e.line),
            ExprKind::Assign(name, r, value) => {
                let v = self.expr(value);
                match self.res.refs[r.0 as usize] {
                    Resolved::Global => {
                        let global = self.global(name);
                        let site = self.site_of(e);
                        self.effect(InstKind::SetGlobal { global, value: v, site });
                    }
                    Resolved::Local(decl) => self.write_local(decl, v),
                }
                v
            }
            ExprKind::Call(callee, args) => match &callee.kind {
                ExprKind::Variable(name, r)
                    if self.library
                        && matches!(self.res.refs[r.0 as usize], Resolved::Global)
                        && array_primitive(name, args.len()) =>
                {
                    let args = self.args(args);
                    let site = self.site_of(e);
                    match (name.as_slice(), args.as_slice()) {
                        (b"$alen", &[array]) => self.ins(InstKind::ArrayLen { array, site }),
                        (b"$aget", &[array, index]) => self.ins(InstKind::ArrayGet { array, index, site }),
                        (b"$aset", &[array, index, value]) => {
                            self.effect(InstKind::ArraySet { array, index, value, site });
                            self.ins(InstKind::Nil)
                        }
                        _ => unreachable!("array_primitive checked the name and arity"),
                    }
                }
                ExprKind::Get(obj, name, _)
                    if self.is_brine(obj) && Intrinsic::from_method(name, args.len()).is_some() =>
                {
                    let op = Intrinsic::from_method(name, args.len()).expect("checked");
                    let mut values = self.args(args);
                    if op.uses_registers() {
                        let file = self.f().registers.expect("uses_registers made the register file");
                        values.insert(0, file);
                    }
                    let site = self.site_of(e);
                    self.ins(InstKind::Intrinsic { op, args: values, site })
                }
                ExprKind::Get(obj, name, _) => {
                    let obj = self.expr(obj);
                    let args = self.args(args);
                    let name = self.module.intern(name);
                    let site = self.site_of(e);
                    self.ins(InstKind::Invoke { obj, name, args, site })
                }
                ExprKind::Super { method, super_ref, this_ref, .. } => {
                    let this = self.variable(b"this", *this_ref, callee.line);
                    let superclass = self.variable(b"super", *super_ref, callee.line);
                    let args = self.args(args);
                    let name = self.module.intern(method);
                    let site = self.site_of(e);
                    self.ins(InstKind::SuperInvoke { this, superclass, name, args, site })
                }
                _ => {
                    let callee = self.expr(callee);
                    let args = self.args(args);
                    let site = self.site_of(e);
                    self.ins(InstKind::Call { callee, args, site })
                }
            },
            ExprKind::Get(obj, name, _) => {
                let obj = self.expr(obj);
                let name = self.module.intern(name);
                let site = self.site_of(e);
                self.ins(InstKind::GetProp { obj, name, site })
            }
            ExprKind::Set(obj, name, _, value) => {
                let obj = self.expr(obj);
                let v = self.expr(value);
                let name = self.module.intern(name);
                let site = self.site_of(e);
                self.effect(InstKind::SetProp { obj, name, value: v, site });
                v
            }
            ExprKind::List(items) => {
                let items = self.args(items);
                let site = self.site_of(e);
                self.ins(InstKind::NewList { items, site })
            }
            ExprKind::Index(obj, index) => {
                let obj = self.expr(obj);
                let index = self.expr(index);
                let site = self.site_of(e);
                self.ins(InstKind::GetIndex { obj, index, site })
            }
            ExprKind::SetIndex(obj, index, value) => {
                let obj = self.expr(obj);
                let index = self.expr(index);
                let v = self.expr(value);
                let site = self.site_of(e);
                self.effect(InstKind::SetIndex { obj, index, value: v, site });
                v
            }
            ExprKind::This(r) => self.variable(b"this", *r, e.line),
            ExprKind::Super { method, super_ref, this_ref, .. } => {
                let this = self.variable(b"this", *this_ref, e.line);
                let superclass = self.variable(b"super", *super_ref, e.line);
                let name = self.module.intern(method);
                let site = self.site_of(e);
                self.ins(InstKind::GetSuper { this, superclass, name, site })
            }
        }
    }
}

/// How many fields instances of `class` will likely have: the distinct
/// names its methods assign through `this` (a layout hint; fields a
/// subclass adds are learned as its instances get them).
fn expected_fields(class: &ast::Class) -> u32 {
    let mut names: Vec<&[u8]> = Vec::new();
    // Nested functions and classes have their own `this`.
    walk_exprs(class.methods.iter().flat_map(|m| m.body.iter()), false, &mut |e| {
        if let ExprKind::Set(obj, name, _, _) = &e.kind
            && matches!(obj.kind, ExprKind::This(_))
            && !names.contains(&name.as_slice())
        {
            names.push(name);
        }
    });
    names.len() as u32
}

/// Calls `f` on every expression of `stmts` (and every subexpression),
/// including those of nested functions and classes when `nested`.
fn walk_exprs<'a>(stmts: impl IntoIterator<Item = &'a Stmt>, nested: bool, f: &mut impl FnMut(&'a Expr)) {
    let mut stack: Vec<&Stmt> = stmts.into_iter().collect();
    let mut exprs: Vec<&Expr> = Vec::new();
    while !stack.is_empty() || !exprs.is_empty() {
        if let Some(stmt) = stack.pop() {
            match &stmt.kind {
                StmtKind::Expression(e) | StmtKind::Print(e) => exprs.push(e),
                StmtKind::Var(_, _, init) => exprs.extend(init),
                StmtKind::Block(stmts) => stack.extend(stmts),
                StmtKind::If(c, t, e) => {
                    exprs.push(c);
                    stack.push(t);
                    stack.extend(e.as_deref());
                }
                StmtKind::While(c, body) => {
                    exprs.push(c);
                    stack.push(body);
                }
                StmtKind::For { init, cond, incr, body } => {
                    stack.extend(init.as_deref());
                    exprs.extend(cond);
                    exprs.extend(incr);
                    stack.push(body);
                }
                StmtKind::Return(e) => exprs.extend(e),
                StmtKind::Function(_, func) if nested => stack.extend(&func.body),
                StmtKind::Class(class) if nested => stack.extend(class.methods.iter().flat_map(|m| &m.body)),
                StmtKind::Function(..) | StmtKind::Class(_) => {}
            }
        } else if let Some(e) = exprs.pop() {
            f(e);
            match &e.kind {
                ExprKind::Set(obj, _, _, value) => {
                    exprs.push(obj);
                    exprs.push(value);
                }
                ExprKind::Grouping(x) | ExprKind::Unary(_, x) | ExprKind::Get(x, _, _) => exprs.push(x),
                ExprKind::Binary(_, l, r) | ExprKind::Logical(_, l, r) => {
                    exprs.push(l);
                    exprs.push(r);
                }
                ExprKind::Assign(_, _, v) => exprs.push(v),
                ExprKind::Call(callee, args) => {
                    exprs.push(callee);
                    exprs.extend(args);
                }
                ExprKind::List(items) => exprs.extend(items),
                ExprKind::Index(obj, index) => {
                    exprs.push(obj);
                    exprs.push(index);
                }
                ExprKind::SetIndex(obj, index, value) => {
                    exprs.push(obj);
                    exprs.push(index);
                    exprs.push(value);
                }
                ExprKind::Literal(_)
                | ExprKind::Variable(..)
                | ExprKind::This(_)
                | ExprKind::Super { .. } => {}
            }
        }
    }
}

/// Whether the program declares or assigns a global named `brine`: then
/// `brine` is its own, and `brine.name(..)` an ordinary call.
fn defines_brine(program: &ast::Program, res: &Resolution) -> bool {
    let declares = program.script.body.iter().any(|stmt| match &stmt.kind {
        StmtKind::Var(name, ..) => name == b"brine",
        StmtKind::Function(_, func) => func.name == b"brine",
        StmtKind::Class(class) => class.name == b"brine",
        _ => false,
    });
    let mut assigns = false;
    walk_exprs(&program.script.body, true, &mut |e| {
        if let ExprKind::Assign(name, r, _) = &e.kind {
            assigns |= name == b"brine" && matches!(res.refs[r.0 as usize], Resolved::Global);
        }
    });
    declares || assigns
}

/// Whether `body` (not counting nested functions) calls `brine.readReg`
/// or `brine.writeReg`: its activations then have a register file.
fn uses_registers(body: &[Stmt], brine: &impl Fn(&Expr) -> bool) -> bool {
    let mut uses = false;
    walk_exprs(body, false, &mut |e| {
        if let ExprKind::Call(callee, args) = &e.kind
            && let ExprKind::Get(obj, name, _) = &callee.kind
            && brine(obj)
            && brine_ir::Intrinsic::from_method(name, args.len()).is_some_and(|op| op.uses_registers())
        {
            uses = true;
        }
    });
    uses
}

/// Whether a call of the library's global `name` with `arity` arguments is
/// one of the raw array primitives, which lower to instructions of their
/// own (`array_len`, `array_get`, `array_set`) rather than to calls of the
/// natives of those names: a program can't redefine a `$` name, and the
/// library never does.
fn array_primitive(name: &[u8], arity: usize) -> bool {
    matches!((name, arity), (b"$alen", 1) | (b"$aget", 2) | (b"$aset", 3))
}
