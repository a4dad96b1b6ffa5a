//! The syntax tree the parser produces and the resolver annotates.
//!
//! Names are kept as byte strings (`Name`), because a Lox source file is a
//! byte sequence and string literals may hold any bytes but `"`.
//!
//! Every variable *declaration* gets a [`DeclId`] from the parser, and every
//! variable *reference* (a read, an assignment, `this`, `super`) gets a
//! [`RefId`]. The resolver fills a [`Resolution`] indexed by those ids; the
//! lowering reads it to decide between SSA values, captured values, heap cells
//! and globals. Every function body (functions, methods, the script) gets a
//! [`FnId`].

pub use brine_ir::Span;

/// An identifier or string contents, as raw bytes.
pub type Name = Vec<u8>;

/// Index of a variable declaration in [`Resolution::decls`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeclId(pub u32);

/// Index of a variable reference in [`Resolution::refs`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RefId(pub u32);

/// Index of a function body; `FnId(0)` is the top-level script.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FnId(pub u32);

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Nil,
    Bool(bool),
    Number(f64),
    Str(Name),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `%`: the remainder with the sign of the dividend (C's `fmod`).
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LogicalOp {
    And,
    Or,
}

/// An expression. `line` is the line a runtime error in this expression is
/// reported on: the operator token for unary, binary and logical expressions,
/// the closing `)` of a call, the name token of a property access or of a
/// variable, the `=` of an assignment... no: the target name of an assignment.
/// (jlox's choice.)
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub line: u32,
    /// The bytes of the whole expression, operands included.
    pub span: Span,
    pub kind: ExprKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// `( expr )`
    Grouping(Box<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Logical(LogicalOp, Box<Expr>, Box<Expr>),
    Variable(Name, RefId),
    Assign(Name, RefId, Box<Expr>),
    /// `callee(args)`; `line` of the Expr is the line of the closing `)`.
    Call(Box<Expr>, Vec<Expr>),
    /// `object.name`, with the span of `name`.
    Get(Box<Expr>, Name, Span),
    /// `object.name = value`, with the span of `name`.
    Set(Box<Expr>, Name, Span, Box<Expr>),
    /// `[a, b, c]`: a new list.
    List(Vec<Expr>),
    /// `object[index]`; the line is the `[`'s.
    Index(Box<Expr>, Box<Expr>),
    /// `object[index] = value`
    SetIndex(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `this`; the reference resolves to the method's implicit `this` declaration.
    This(RefId),
    /// `super.method`; the first ref resolves `super` (the superclass), the
    /// second resolves `this`.
    Super {
        method: Name,
        method_span: Span,
        super_ref: RefId,
        this_ref: RefId,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub id: FnId,
    pub name: Name,
    /// Line of the function's name token.
    pub line: u32,
    /// The name token's bytes (empty, at 0, for the script).
    pub name_span: Span,
    pub kind: FunctionKind,
    /// Parameter names with their declarations.
    pub params: Vec<(Name, DeclId)>,
    /// For methods and initializers: the implicit `this` declaration.
    pub this_decl: Option<DeclId>,
    pub body: Vec<Stmt>,
    /// Line of the closing `}` of the body (for the implicit return).
    pub end_line: u32,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FunctionKind {
    Script,
    Function,
    Method,
    Initializer,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Class {
    pub name: Name,
    pub line: u32,
    pub name_span: Span,
    pub decl: DeclId,
    /// `< Super`: the superclass name, its reference, and the line of its token.
    pub superclass: Option<(Name, RefId, u32)>,
    /// For subclasses: the implicit `super` declaration the methods capture.
    pub super_decl: Option<DeclId>,
    pub methods: Vec<Function>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub line: u32,
    /// From the statement's first token to its last.
    pub span: Span,
    pub kind: StmtKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    Expression(Expr),
    Print(Expr),
    /// `var name = init;`
    Var(Name, DeclId, Option<Expr>),
    Block(Vec<Stmt>),
    If(Expr, Box<Stmt>, Option<Box<Stmt>>),
    While(Expr, Box<Stmt>),
    /// `for (init; cond; incr) body`, kept as written so that the lowering
    /// can give the loop its own scope.
    For {
        init: Option<Box<Stmt>>,
        cond: Option<Expr>,
        incr: Option<Expr>,
        body: Box<Stmt>,
    },
    /// `fun name(...) {...}`; the function's own name declaration.
    Function(DeclId, Box<Function>),
    Class(Box<Class>),
    Return(Option<Expr>),
}

/// A parsed program: the top-level statements, wrapped as the script function.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub script: Function,
    /// Number of DeclIds, RefIds and FnIds handed out.
    pub decl_count: u32,
    pub ref_count: u32,
    pub fn_count: u32,
    /// Indexed by `DeclId`: the line of the declaration's name token (for
    /// an implicit `this`, the method name; for an implicit `super`, the
    /// superclass name). The resolver reports errors there.
    pub decl_lines: Vec<u32>,
    /// Indexed by `RefId`: the line of the reference's token (for
    /// `super.m`, both refs get the line of the `super` keyword).
    pub ref_lines: Vec<u32>,
    /// Indexed by `DeclId`: the span of the token whose line `decl_lines` has.
    pub decl_spans: Vec<Span>,
    /// Indexed by `RefId`: the span of the token whose line `ref_lines` has.
    pub ref_spans: Vec<Span>,
}

/// Where a variable reference points.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// Not found in any enclosing scope: a global, looked up by name at run time.
    Global,
    /// A local declaration, possibly of an enclosing function (then it is captured).
    Local(DeclId),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclInfo {
    pub name: Name,
    /// The function whose scope holds the declaration.
    pub function: FnId,
    /// Read or written by a function nested inside `function`.
    pub captured: bool,
    /// Assigned somewhere after its declaration (an `=` other than the
    /// initializer). Captured-and-assigned variables live in heap cells.
    pub assigned: bool,
}

/// The resolver's output, indexed by the ids in the tree.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Resolution {
    /// Indexed by `DeclId`.
    pub decls: Vec<DeclInfo>,
    /// Indexed by `RefId`.
    pub refs: Vec<Resolved>,
}
