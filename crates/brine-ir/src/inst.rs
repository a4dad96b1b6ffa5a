//! Instructions and value types.

use crate::entities::{Block, FuncId, GlobalId, SiteId, StateId, StrId, Value};

/// The type of an SSA value.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Type {
    /// A NaN-boxed Lox value.
    Val,
    /// An unboxed double (specialized code).
    F64,
    /// A 64-bit integer (specialized code).
    I64,
    /// A machine boolean: branch conditions.
    Bool,
    /// A raw pointer (specialized code).
    Ptr,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Val => "val",
            Type::F64 => "f64",
            Type::I64 => "i64",
            Type::Bool => "bool",
            Type::Ptr => "ptr",
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum UnaryOp {
    /// `-x`: "Operand must be a number."
    Neg,
    /// `!x`: never fails.
    Not,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `%`: the remainder with the sign of the dividend, as C's `fmod`.
    Mod,
    Lt,
    Le,
    Gt,
    Ge,
    /// `==`: never fails.
    Eq,
    /// `!=`: never fails.
    Ne,
}

impl UnaryOp {
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Not => "not",
        }
    }
}

impl BinaryOp {
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Mod => "mod",
            BinaryOp::Lt => "lt",
            BinaryOp::Le => "le",
            BinaryOp::Gt => "gt",
            BinaryOp::Ge => "ge",
            BinaryOp::Eq => "eq",
            BinaryOp::Ne => "ne",
        }
    }
    /// The operator whose [`BinaryOp::name`] is `name`.
    pub fn from_name(name: &str) -> Option<BinaryOp> {
        use BinaryOp::*;
        [Add, Sub, Mul, Div, Mod, Lt, Le, Gt, Ge, Eq, Ne].into_iter().find(|op| op.name() == name)
    }
    /// Whether the operation can raise a runtime error.
    pub fn can_fail(self) -> bool {
        !matches!(self, BinaryOp::Eq | BinaryOp::Ne)
    }
    /// `+`, `-`, `*`, `/`, `%` (a number result) as opposed to a comparison.
    pub fn is_arithmetic(self) -> bool {
        matches!(self, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod)
    }

    /// `x op y` of two numbers, as Lox and the `float` instructions compute
    /// it: IEEE arithmetic and comparisons, `%` as [`fmod`]. What every
    /// engine and every folding of constants agrees on.
    pub fn apply(self, x: f64, y: f64) -> Applied {
        match self {
            BinaryOp::Add => Applied::Number(x + y),
            BinaryOp::Sub => Applied::Number(x - y),
            BinaryOp::Mul => Applied::Number(x * y),
            BinaryOp::Div => Applied::Number(x / y),
            BinaryOp::Mod => Applied::Number(fmod(x, y)),
            BinaryOp::Lt => Applied::Bool(x < y),
            BinaryOp::Le => Applied::Bool(x <= y),
            BinaryOp::Gt => Applied::Bool(x > y),
            BinaryOp::Ge => Applied::Bool(x >= y),
            BinaryOp::Eq => Applied::Bool(x == y),
            BinaryOp::Ne => Applied::Bool(x != y),
        }
    }
}

/// What [`BinaryOp::apply`] gives: a number for arithmetic, a boolean for
/// a comparison.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Applied {
    Number(f64),
    Bool(bool),
}

/// `x % y`: the remainder with the sign of `x`, as C's `fmod` (NaN when
/// `y` is 0), the NaN always the canonical one (NaN-boxing keeps other
/// NaNs' payloads for its tags).
pub fn fmod(x: f64, y: f64) -> f64 {
    let r = x % y;
    if r.is_nan() { f64::NAN } else { r }
}

/// The `brine.*` intrinsics (DESIGN.md section 9). Outside the partial
/// evaluator they are plain operations, so an annotated interpreter gives
/// the same answers specialized or not.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Intrinsic {
    /// `brine.specialize(f, c1, .., ck)`: a function of `f`'s remaining
    /// parameters; "Can only specialize a Lox function." unless `f` is a
    /// closure or a bound method, and at most `f`'s arity constants.
    Specialize,
    /// `brine.freeze(x)`: makes a list, map or instance read-only (shallow)
    /// and returns it.
    Freeze,
    /// `brine.pushContext(v)`: nil.
    PushContext,
    /// `brine.updateContext(v)`: nil.
    UpdateContext,
    /// `brine.popContext()`: nil.
    PopContext,
    /// `brine.specializeValue(v, lo, hi)`: `v`.
    SpecializeValue,
    /// A new, empty register file: the lowering makes one at the entry of
    /// each function that calls `readReg` or `writeReg` (the register file
    /// belongs to the activation).
    RegFile,
    /// `brine.readReg(i)`, operands `(file, i)`: register `i` (nil if never
    /// written). "Register must be an integer from 0 to 65535." otherwise.
    ReadReg,
    /// `brine.writeReg(i, v)`, operands `(file, i, v)`: sets register `i`,
    /// nil.
    WriteReg,
}

impl Intrinsic {
    /// How many registers an activation's register file holds: `readReg`
    /// and `writeReg` take `0 .. REGISTERS`.
    pub const REGISTERS: u32 = 65536;

    pub const ALL: [Intrinsic; 9] = [
        Intrinsic::Specialize,
        Intrinsic::Freeze,
        Intrinsic::PushContext,
        Intrinsic::UpdateContext,
        Intrinsic::PopContext,
        Intrinsic::SpecializeValue,
        Intrinsic::RegFile,
        Intrinsic::ReadReg,
        Intrinsic::WriteReg,
    ];

    /// The name in IR text.
    pub fn name(self) -> &'static str {
        match self {
            Intrinsic::Specialize => "specialize",
            Intrinsic::Freeze => "freeze",
            Intrinsic::PushContext => "push_context",
            Intrinsic::UpdateContext => "update_context",
            Intrinsic::PopContext => "pop_context",
            Intrinsic::SpecializeValue => "specialize_value",
            Intrinsic::RegFile => "reg_file",
            Intrinsic::ReadReg => "read_reg",
            Intrinsic::WriteReg => "write_reg",
        }
    }

    pub fn from_name(name: &str) -> Option<Intrinsic> {
        Intrinsic::ALL.into_iter().find(|i| i.name() == name)
    }

    /// The intrinsic `brine.name(..)` calls with `argc` arguments in Lox
    /// source (the method name, as DESIGN.md spells it), if any.
    /// `specialize` takes one or more.
    pub fn from_method(name: &[u8], argc: usize) -> Option<Intrinsic> {
        let op = match name {
            b"specialize" if argc >= 1 => Intrinsic::Specialize,
            b"freeze" => Intrinsic::Freeze,
            b"pushContext" => Intrinsic::PushContext,
            b"updateContext" => Intrinsic::UpdateContext,
            b"popContext" => Intrinsic::PopContext,
            b"specializeValue" => Intrinsic::SpecializeValue,
            b"readReg" => Intrinsic::ReadReg,
            b"writeReg" => Intrinsic::WriteReg,
            _ => return None,
        };
        (op == Intrinsic::Specialize || op.arity() == Some(argc)).then_some(op)
    }

    /// The number of arguments of the Lox method (not counting the
    /// register file), or None for `specialize`.
    pub fn arity(self) -> Option<usize> {
        match self {
            Intrinsic::Specialize => None,
            Intrinsic::PopContext | Intrinsic::RegFile => Some(0),
            Intrinsic::Freeze | Intrinsic::PushContext | Intrinsic::UpdateContext | Intrinsic::ReadReg => {
                Some(1)
            }
            Intrinsic::WriteReg => Some(2),
            Intrinsic::SpecializeValue => Some(3),
        }
    }

    /// Whether it takes the activation's register file first.
    pub fn uses_registers(self) -> bool {
        matches!(self, Intrinsic::ReadReg | Intrinsic::WriteReg)
    }
}

/// What an instruction does. Operands are SSA values; results (at most one)
/// are recorded in [`InstData::result`].
///
/// The entry block's parameters are `(callee, this, arg0, .., argN-1)`: the
/// called closure, the receiver (`nil` for a plain function) and the arguments.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum InstKind {
    // ---- constants (result: val) -------------------------------------------
    Nil,
    Bool(bool),
    Number(f64),
    Str(StrId),

    // ---- dynamic Lox operations (result: val) ----------------------------------
    Unary {
        op: UnaryOp,
        arg: Value,
        site: SiteId,
    },
    Binary {
        op: BinaryOp,
        lhs: Value,
        rhs: Value,
        site: SiteId,
    },
    /// Lox truthiness (result: bool).
    Truthy(Value),
    /// Reads a global; "Undefined variable 'x'." if it was never defined.
    GetGlobal {
        global: GlobalId,
        site: SiteId,
    },
    /// Assigns an existing global; "Undefined variable 'x'." if it was never
    /// defined. No result: the assigned value is the expression's value.
    SetGlobal {
        global: GlobalId,
        value: Value,
        site: SiteId,
    },
    /// `var x = value;` at top level (defines or redefines). No result.
    DefineGlobal {
        global: GlobalId,
        value: Value,
    },
    /// `obj.name`: a field, else a bound method.
    GetProp {
        obj: Value,
        name: StrId,
        site: SiteId,
    },
    /// `obj.name = value`. No result.
    SetProp {
        obj: Value,
        name: StrId,
        value: Value,
        site: SiteId,
    },
    /// `obj.name(args)`: fused get and call, no bound method is allocated
    /// when `name` is a method.
    Invoke {
        obj: Value,
        name: StrId,
        args: Vec<Value>,
        site: SiteId,
    },
    /// `super.name(args)` with `this` as receiver.
    SuperInvoke {
        this: Value,
        superclass: Value,
        name: StrId,
        args: Vec<Value>,
        site: SiteId,
    },
    /// `super.name`: a bound method.
    GetSuper {
        this: Value,
        superclass: Value,
        name: StrId,
        site: SiteId,
    },
    /// `[items]`: a new list (the standard library's `List`).
    NewList {
        items: Vec<Value>,
        site: SiteId,
    },
    /// `obj[index]`: an element of a list, a map's value, or a one-byte
    /// string; "Only lists, maps and strings can be indexed." otherwise.
    GetIndex {
        obj: Value,
        index: Value,
        site: SiteId,
    },
    /// `obj[index] = value`, into a list or a map. No result.
    SetIndex {
        obj: Value,
        index: Value,
        value: Value,
        site: SiteId,
    },
    /// The standard library's raw array primitive (`$alen`, `$aget` and
    /// `$aset` in `lib/*.lox`; DESIGN.md section 10): the number of slots
    /// of `array`. An internal error unless `array` is a raw array.
    ArrayLen {
        array: Value,
        site: SiteId,
    },
    /// Slot `index` of raw array `array`; an internal error unless `index`
    /// is an integer below its length.
    ArrayGet {
        array: Value,
        index: Value,
        site: SiteId,
    },
    /// Sets slot `index` of raw array `array` (checked as `ArrayGet`). No
    /// result.
    ArraySet {
        array: Value,
        index: Value,
        value: Value,
        site: SiteId,
    },
    /// `callee(args)`.
    Call {
        callee: Value,
        args: Vec<Value>,
        site: SiteId,
    },
    /// A new closure of `func` with these captured values (values or cells).
    Closure {
        func: FuncId,
        captures: Vec<Value>,
    },
    /// Captured value `index` of the running closure.
    LoadCapture {
        index: u32,
    },
    /// A new class named `name`, with no methods. `fields` is the number of
    /// fields its instances are expected to have (a hint for their layout).
    Class {
        name: StrId,
        fields: u32,
    },
    /// Makes `class` inherit `superclass`: "Superclass must be a class." No result.
    Inherit {
        class: Value,
        superclass: Value,
        site: SiteId,
    },
    /// Adds a method (a closure) to a class. No result.
    Method {
        class: Value,
        name: StrId,
        method: Value,
    },
    /// A new heap cell holding `value`.
    CellNew {
        value: Value,
    },
    /// The cell's value.
    CellGet {
        cell: Value,
    },
    /// Stores into a cell. No result.
    CellSet {
        cell: Value,
        value: Value,
    },
    /// `print value;`. No result.
    Print {
        value: Value,
    },

    // ---- typed operations and guards (specialized code) -------------------
    /// `value` (a val) unboxed to an f64 when it is a number; otherwise the
    /// function deoptimizes with frame state `state`.
    GuardNum {
        value: Value,
        state: StateId,
    },
    /// A val known to be a number, unboxed (no check).
    Unbox(Value),
    /// An f64 boxed as a val.
    BoxNum(Value),
    /// Float arithmetic (`add`, `sub`, `mul`, `div`, `mod`: result f64) or
    /// comparison (`lt` .. `ne`: result bool) of two f64s; IEEE semantics,
    /// as Lox numbers have.
    Float {
        op: BinaryOp,
        lhs: Value,
        rhs: Value,
    },
    /// `-x` of an f64.
    FNeg(Value),
    /// A bool as the Lox value `true` or `false`.
    BoolVal(Value),
    /// `obj` (a val) as a pointer to an instance when it is an instance
    /// whose shape is `shape` (a runtime object, named by its address);
    /// otherwise the function deoptimizes with frame state `state`.
    GuardShape {
        obj: Value,
        shape: u64,
        state: StateId,
    },
    /// The field at byte `offset` of the instance `obj` (a ptr from
    /// `guard_shape`).
    LoadField {
        obj: Value,
        offset: u32,
    },
    /// Stores `value` in the field at byte `offset` of the instance `obj`
    /// (a ptr). No result.
    StoreField {
        obj: Value,
        offset: u32,
        value: Value,
    },
    /// A runtime object (a closure, say) as a val: its NaN-boxed bits.
    Object(u64),
    /// Deoptimizes with frame state `state` unless `value` is the val whose
    /// bits are `bits` (one runtime object). No result.
    GuardIs {
        value: Value,
        bits: u64,
        state: StateId,
    },
    /// Deoptimizes with frame state `state` unless `index` is an integer
    /// in `0 .. len` (both vals; `len` a number): the check of a list's
    /// `xs[i]` before the raw array access. No result.
    GuardIndex {
        index: Value,
        len: Value,
        state: StateId,
    },
    /// Calls the closure `callee`, known to be a closure of the function
    /// prototype `function` (a runtime object, named by its address) of
    /// `args.len()` parameters, with receiver `this`: through the
    /// prototype's code slot, with no check.
    CallDirect {
        function: u64,
        callee: Value,
        this: Value,
        args: Vec<Value>,
        site: SiteId,
    },
    /// Gives the instance `obj` (a ptr) the shape `shape`: a transition
    /// that an inline cache recorded. No result.
    StoreShape {
        obj: Value,
        shape: u64,
    },
    /// Deoptimizes with frame state `state` unless `value` is a closure of
    /// the function prototype `function` (a runtime object, named by its
    /// address). No result.
    GuardFunction {
        value: Value,
        function: u64,
        state: StateId,
    },
    /// `obj` (a val) as a pointer to an instance, with no check: a guard
    /// before the loop it is in (see `brine-opt`'s `licm`) checked that it
    /// is an instance of shape `shape`, which nothing in the loop changes.
    AssumeShape {
        obj: Value,
        shape: u64,
    },
    /// Whether `obj` (a val) is an instance whose shape is `shape` (a
    /// runtime object, named by its address). Result: bool.
    IsShape {
        obj: Value,
        shape: u64,
    },
    /// A new instance, with no fields, of `class` (a val known to be a
    /// class).
    NewInstance {
        class: Value,
    },
    /// Captured value `index` of the closure `closure` (a val known to be
    /// a closure of a function with more captures than `index`): what
    /// `load_capture` of an inlined callee becomes.
    ClosureCapture {
        closure: Value,
        index: u32,
    },
    /// The val `v` itself: what a load of a field of an object the
    /// optimizer did not allocate becomes when a frame state still lists
    /// the load's value (a state's own values are named by number).
    Copy(Value),

    // ---- terminators ---------------------------------------------------------
    Jump {
        dest: Block,
        args: Vec<Value>,
    },
    /// `cond` is a bool.
    Branch {
        cond: Value,
        then_dest: Block,
        then_args: Vec<Value>,
        else_dest: Block,
        else_args: Vec<Value>,
    },
    Return {
        value: Value,
    },

    // ---- added later: last, so that the binary encoding of the others
    // (by variant index) stays the same ---------------------------------------
    /// A `brine.*` intrinsic of DESIGN.md section 9 (what `brine.name(args)`
    /// lowers to while the program has not defined `brine` itself): see
    /// [`Intrinsic`] for each one's operands and what it does outside
    /// specialization.
    Intrinsic {
        op: Intrinsic,
        args: Vec<Value>,
        site: SiteId,
    },
}

impl InstKind {
    pub fn is_terminator(&self) -> bool {
        matches!(self, InstKind::Jump { .. } | InstKind::Branch { .. } | InstKind::Return { .. })
    }

    /// The type of the result, or None for instructions without one.
    pub fn result_type(&self) -> Option<Type> {
        use InstKind::*;
        match self {
            Truthy(_) | IsShape { .. } => Some(Type::Bool),
            GuardNum { .. } | Unbox(_) | FNeg(_) => Some(Type::F64),
            GuardShape { .. } | AssumeShape { .. } => Some(Type::Ptr),
            StoreField { .. }
            | StoreShape { .. }
            | GuardIs { .. }
            | GuardFunction { .. }
            | GuardIndex { .. } => None,
            Float { op, .. } => Some(if op.is_arithmetic() { Type::F64 } else { Type::Bool }),
            SetGlobal { .. }
            | DefineGlobal { .. }
            | SetProp { .. }
            | SetIndex { .. }
            | ArraySet { .. }
            | Inherit { .. }
            | Method { .. }
            | CellSet { .. }
            | Print { .. }
            | Jump { .. }
            | Branch { .. }
            | Return { .. } => None,
            _ => Some(Type::Val),
        }
    }

    /// The site of a dynamic operation that can raise an error.
    pub fn site(&self) -> Option<SiteId> {
        use InstKind::*;
        match self {
            Unary { site, .. }
            | Binary { site, .. }
            | GetGlobal { site, .. }
            | SetGlobal { site, .. }
            | GetProp { site, .. }
            | SetProp { site, .. }
            | Invoke { site, .. }
            | SuperInvoke { site, .. }
            | GetSuper { site, .. }
            | Call { site, .. }
            | CallDirect { site, .. }
            | NewList { site, .. }
            | GetIndex { site, .. }
            | SetIndex { site, .. }
            | ArrayLen { site, .. }
            | ArrayGet { site, .. }
            | ArraySet { site, .. }
            | InstKind::Intrinsic { site, .. }
            | Inherit { site, .. } => Some(*site),
            _ => None,
        }
    }

    /// Calls `f` on every value operand, in order.
    pub fn for_each_arg(&self, mut f: impl FnMut(Value)) {
        self.clone().map_args(|v| {
            f(v);
            v
        });
    }

    /// Replaces every value operand by `f(operand)`, and returns self.
    pub fn map_args(mut self, mut f: impl FnMut(Value) -> Value) -> Self {
        self.visit_args_mut(&mut |v| *v = f(*v));
        self
    }

    /// Visits every value operand mutably.
    pub fn visit_args_mut(&mut self, f: &mut dyn FnMut(&mut Value)) {
        use InstKind::*;
        match self {
            Nil
            | Bool(_)
            | Number(_)
            | Str(_)
            | Object(_)
            | GetGlobal { .. }
            | LoadCapture { .. }
            | Class { .. } => {}
            CallDirect { callee, this, args, .. } => {
                f(callee);
                f(this);
                args.iter_mut().for_each(f);
            }
            Unary { arg, .. } | Truthy(arg) => f(arg),
            GuardNum { value, .. } | Unbox(value) | BoxNum(value) | FNeg(value) | BoolVal(value) => f(value),
            GuardShape { obj, .. } | LoadField { obj, .. } | StoreShape { obj, .. } => f(obj),
            GuardIs { value, .. } | GuardFunction { value, .. } => f(value),
            GuardIndex { index, len, .. } => {
                f(index);
                f(len);
            }
            NewInstance { class } => f(class),
            IsShape { obj, .. } | AssumeShape { obj, .. } => f(obj),
            ClosureCapture { closure, .. } => f(closure),
            Copy(v) => f(v),
            StoreField { obj, value, .. } => {
                f(obj);
                f(value);
            }
            Float { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            Binary { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            SetGlobal { value, .. } | DefineGlobal { value, .. } => f(value),
            GetProp { obj, .. } => f(obj),
            SetProp { obj, value, .. } => {
                f(obj);
                f(value);
            }
            Invoke { obj, args, .. } => {
                f(obj);
                args.iter_mut().for_each(f);
            }
            SuperInvoke { this, superclass, args, .. } => {
                f(this);
                f(superclass);
                args.iter_mut().for_each(f);
            }
            GetSuper { this, superclass, .. } => {
                f(this);
                f(superclass);
            }
            Call { callee, args, .. } => {
                f(callee);
                args.iter_mut().for_each(f);
            }
            NewList { items, .. } => items.iter_mut().for_each(f),
            InstKind::Intrinsic { args, .. } => args.iter_mut().for_each(f),
            GetIndex { obj, index, .. } => {
                f(obj);
                f(index);
            }
            SetIndex { obj, index, value, .. } => {
                f(obj);
                f(index);
                f(value);
            }
            ArrayLen { array, .. } => f(array),
            ArrayGet { array, index, .. } => {
                f(array);
                f(index);
            }
            ArraySet { array, index, value, .. } => {
                f(array);
                f(index);
                f(value);
            }
            Closure { captures, .. } => captures.iter_mut().for_each(f),
            Inherit { class, superclass, .. } => {
                f(class);
                f(superclass);
            }
            Method { class, method, .. } => {
                f(class);
                f(method);
            }
            CellNew { value } => f(value),
            CellGet { cell } => f(cell),
            CellSet { cell, value } => {
                f(cell);
                f(value);
            }
            Print { value } => f(value),
            Jump { args, .. } => args.iter_mut().for_each(f),
            Branch { cond, then_args, else_args, .. } => {
                f(cond);
                then_args.iter_mut().for_each(&mut *f);
                else_args.iter_mut().for_each(f);
            }
            Return { value } => f(value),
        }
    }

    /// The successor blocks of a terminator, with their arguments.
    pub fn successors(&self) -> Vec<(Block, &[Value])> {
        match self {
            InstKind::Jump { dest, args } => vec![(*dest, args.as_slice())],
            InstKind::Branch { then_dest, then_args, else_dest, else_args, .. } => {
                vec![(*then_dest, then_args.as_slice()), (*else_dest, else_args.as_slice())]
            }
            _ => Vec::new(),
        }
    }

    /// The argument lists of the edges to `dest`, mutably.
    pub fn edge_args_mut(&mut self, dest: Block) -> Vec<&mut Vec<Value>> {
        match self {
            InstKind::Jump { dest: d, args } if *d == dest => vec![args],
            InstKind::Branch { then_dest, then_args, else_dest, else_args, .. } => {
                let mut v = Vec::new();
                if *then_dest == dest {
                    v.push(then_args);
                }
                if *else_dest == dest {
                    v.push(else_args);
                }
                v
            }
            _ => Vec::new(),
        }
    }
}

impl InstKind {
    /// The frame state of a guard.
    pub fn guard_state(&self) -> Option<StateId> {
        match self {
            InstKind::GuardNum { state, .. }
            | InstKind::GuardShape { state, .. }
            | InstKind::GuardIs { state, .. }
            | InstKind::GuardIndex { state, .. }
            | InstKind::GuardFunction { state, .. } => Some(*state),
            _ => None,
        }
    }

    /// The frame state of a guard, mutably.
    pub fn guard_state_mut(&mut self) -> Option<&mut StateId> {
        match self {
            InstKind::GuardNum { state, .. }
            | InstKind::GuardShape { state, .. }
            | InstKind::GuardIs { state, .. }
            | InstKind::GuardIndex { state, .. }
            | InstKind::GuardFunction { state, .. } => Some(state),
            _ => None,
        }
    }

    /// Whether the instruction only computes its result: no effect, no
    /// error, no guard. Such an instruction can be removed when its result
    /// is unused, and merged with an equal one.
    pub fn is_pure(&self) -> bool {
        use InstKind::*;
        matches!(
            self,
            Nil | Bool(_)
                | Number(_)
                | Str(_)
                | Object(_)
                | Truthy(_)
                | Unbox(_)
                | BoxNum(_)
                | Float { .. }
                | FNeg(_)
                | BoolVal(_)
                | LoadCapture { .. }
                | ClosureCapture { .. }
                | Copy(_)
                | IsShape { .. }
                | AssumeShape { .. }
        ) || matches!(self, Unary { op: UnaryOp::Not, .. } | Binary { op: BinaryOp::Eq | BinaryOp::Ne, .. })
    }
}

/// An instruction: what it does and the value it defines.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InstData {
    pub kind: InstKind,
    pub result: Option<Value>,
}
