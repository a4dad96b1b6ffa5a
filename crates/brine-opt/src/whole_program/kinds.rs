//! What kind of value each IR value of the program may hold, by one
//! analysis of the whole program: each function forward, to a fixpoint
//! over its blocks, and the functions together, to a fixpoint over what
//! they tell each other. A global's kind joins every value stored in it;
//! a function's parameters join the arguments of its calls (when every
//! call of it is known); its result joins what it returns; a field of a
//! class joins what is stored in it.
//!
//! The result is a prediction, not a proof (code guards what it
//! assumes), so the analysis may stop before its fixpoint
//! ([`MAX_ROUNDS`]).

use super::classes::{Classes, MAX_CLASSES, global_read};
use brine_ir::{BinaryOp, FuncId, Function, FunctionKind, GlobalId, InstKind, Module, StrId, UnaryOp, Value};
use std::collections::{HashMap, HashSet};

/// What the analysis knows of a value: a lattice whose bottom is
/// `Unseen` (no definition reaches it yet) and top `Any`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Unseen,
    Number,
    String,
    /// A value that is neither a number, a string nor an instance (nil, a
    /// boolean).
    Other,
    /// An instance of one of these classes (bit `c`: class `c` of
    /// [`Classes`]).
    Instance(u64),
    /// One of those, or an `Other` value (a variable that holds nil until
    /// it holds an instance, the end of a linked list): its property sites
    /// are predicted as an instance's (on nil they fail, with or without
    /// the guard).
    MaybeInstance(u64),
    /// A closure of this function.
    Closure(FuncId),
    Any,
}

impl Kind {
    pub fn join(self, other: Kind) -> Kind {
        match (self, other) {
            (Kind::Unseen, k) | (k, Kind::Unseen) => k,
            (Kind::Instance(a), Kind::Instance(b)) => Kind::Instance(a | b),
            (Kind::Instance(a) | Kind::MaybeInstance(a), Kind::Instance(b) | Kind::MaybeInstance(b)) => {
                Kind::MaybeInstance(a | b)
            }
            (Kind::Instance(a) | Kind::MaybeInstance(a), Kind::Other)
            | (Kind::Other, Kind::Instance(a) | Kind::MaybeInstance(a)) => Kind::MaybeInstance(a),
            (a, b) if a == b => a,
            _ => Kind::Any,
        }
    }

    /// Whether the value may be a number.
    pub fn may_be_number(self) -> bool {
        matches!(self, Kind::Number | Kind::Any | Kind::Unseen)
    }

    /// The classes of the instance the value is, if it is one (or nil).
    pub fn classes(self) -> Option<u64> {
        match self {
            Kind::Instance(mask) | Kind::MaybeInstance(mask) => Some(mask),
            _ => None,
        }
    }

    /// An instance of class `c`.
    fn instance(c: usize) -> Kind {
        if c < MAX_CLASSES { Kind::Instance(1 << c) } else { Kind::Any }
    }
}

/// How many times every function is analyzed at most.
const MAX_ROUNDS: usize = 40;

/// The kinds of every value of every function, and what the functions
/// told each other.
pub(super) struct Kinds {
    /// By function, by value.
    pub values: Vec<Vec<Kind>>,
}

/// The summaries the functions tell each other.
#[derive(Clone, PartialEq)]
struct Summaries {
    globals: Vec<Kind>,
    /// By function: its arguments' kinds (without callee and receiver).
    params: Vec<Vec<Kind>>,
    returns: Vec<Kind>,
    fields: HashMap<(usize, StrId), Kind>,
    any_fields: HashMap<StrId, Kind>,
    /// Method names invoked or read on values of unknown kind: a method
    /// of that name may be called from anywhere.
    open_methods: HashSet<StrId>,
}

/// What the analysis reads of the program besides its code.
pub(super) struct Context<'a> {
    pub module: &'a Module,
    pub classes: &'a Classes,
    /// The globals that hold one function for good.
    pub constants: &'a HashMap<GlobalId, FuncId>,
    /// The constant functions whose closure is only ever called: all
    /// their calls are known.
    pub only_called: &'a HashSet<FuncId>,
}

impl Context<'_> {
    /// The function a call of `callee` (in `f`) calls, if it is a constant
    /// function; or the class, if it is a class that holds still.
    fn call_target(&self, f: &Function, callee: Value) -> Option<Result<FuncId, usize>> {
        let g = global_read(f, callee)?;
        if let Some(&func) = self.constants.get(&g) {
            return Some(Ok(func));
        }
        self.classes.of_global(g).map(Err)
    }

    /// The methods `name` of the classes of `mask`: for each class, its
    /// index and the method, if it has one.
    fn methods(&self, mask: u64, name: StrId) -> impl Iterator<Item = (usize, Option<FuncId>)> + '_ {
        (0..MAX_CLASSES.min(self.classes.list.len()))
            .filter(move |c| mask & (1 << c) != 0)
            .map(move |c| (c, self.classes.list[c].methods.get(&name).copied()))
    }
}

/// Analyzes every function of the module of `cx`.
pub(super) fn analyze(cx: &Context) -> Kinds {
    let module = cx.module;
    let mut s = Summaries {
        globals: vec![Kind::Unseen; module.globals.len()],
        params: module.functions.iter().map(|f| vec![Kind::Unseen; f.arity as usize]).collect(),
        returns: vec![Kind::Unseen; module.functions.len()],
        fields: HashMap::new(),
        any_fields: HashMap::new(),
        open_methods: HashSet::new(),
    };
    // Globals the module never defines are natives (or undefined).
    let mut defined = vec![false; module.globals.len()];
    for f in &module.functions {
        super::for_each_inst(f, |kind| {
            if let InstKind::DefineGlobal { global, .. } | InstKind::SetGlobal { global, .. } = kind {
                defined[global.index()] = true;
            }
        });
    }
    for (g, d) in s.globals.iter_mut().zip(&defined) {
        if !d {
            *g = Kind::Any;
        }
    }
    let mut values = Vec::new();
    for _ in 0..MAX_ROUNDS {
        values = (0..module.functions.len()).map(|i| function_kinds(cx, &s, FuncId::new(i))).collect();
        let mut next = s.clone();
        for (i, kinds) in values.iter().enumerate() {
            tell(cx, FuncId::new(i), kinds, &mut next);
        }
        if next == s {
            break;
        }
        s = next;
    }
    Kinds { values }
}

/// The kinds of the entry parameters of function `id`: callee, receiver,
/// arguments.
fn entry_kinds(cx: &Context, s: &Summaries, id: FuncId) -> Vec<Kind> {
    let f = cx.module.function(id);
    let this = match cx.classes.owners.get(&id) {
        Some(&mask) if mask != 0 => Kind::Instance(mask),
        _ => Kind::Any,
    };
    let known_calls = match f.kind {
        FunctionKind::Function => cx.only_called.contains(&id),
        FunctionKind::Method | FunctionKind::Initializer => {
            let name = cx.classes.declared_in.get(&id).and_then(|&c| {
                cx.classes.list[c].methods.iter().find(|&(_, &func)| func == id).map(|(&n, _)| n)
            });
            name.is_some_and(|n| !s.open_methods.contains(&n))
        }
        FunctionKind::Script => false,
    };
    let mut kinds = vec![Kind::Any, this];
    for k in 0..f.arity as usize {
        kinds.push(if known_calls { s.params[id.index()][k] } else { Kind::Any });
    }
    kinds
}

/// The kind of each value of function `id`, given the summaries.
fn function_kinds(cx: &Context, s: &Summaries, id: FuncId) -> Vec<Kind> {
    let f = cx.module.function(id);
    let mut kinds = vec![Kind::Unseen; f.values.len()];
    for (&p, k) in f.block(f.entry()).params.iter().zip(entry_kinds(cx, s, id)) {
        kinds[p.index()] = k;
    }
    let order = brine_ir::verifier::reverse_postorder(f);
    let mut changed = true;
    while changed {
        changed = false;
        for &b in &order {
            for &i in &f.block(b).insts {
                let inst = f.inst(i);
                // Arguments flow into the parameters of the blocks they jump to.
                let mut flow = |dest: brine_ir::Block, args: &[Value], kinds: &mut Vec<Kind>| {
                    for (&p, &a) in f.block(dest).params.iter().zip(args) {
                        let joined = kinds[p.index()].join(kinds[a.index()]);
                        if joined != kinds[p.index()] {
                            kinds[p.index()] = joined;
                            changed = true;
                        }
                    }
                };
                match &inst.kind {
                    InstKind::Jump { dest, args } => flow(*dest, args, &mut kinds),
                    InstKind::Branch { then_dest, then_args, else_dest, else_args, .. } => {
                        flow(*then_dest, then_args, &mut kinds);
                        flow(*else_dest, else_args, &mut kinds);
                    }
                    _ => {}
                }
                let Some(r) = inst.result else { continue };
                let joined = kinds[r.index()].join(result_kind(cx, s, id, &inst.kind, &kinds));
                if joined != kinds[r.index()] {
                    kinds[r.index()] = joined;
                    changed = true;
                }
            }
        }
    }
    kinds
}

/// The kind of the value an instruction of function `id` makes.
fn result_kind(cx: &Context, s: &Summaries, id: FuncId, inst: &InstKind, kinds: &[Kind]) -> Kind {
    let f = cx.module.function(id);
    match *inst {
        InstKind::Number(_) => Kind::Number,
        InstKind::Str(_) => Kind::String,
        InstKind::Nil | InstKind::Bool(_) => Kind::Other,
        InstKind::Binary { op, lhs, rhs, .. } => match op {
            // A `+` that does not fail adds two numbers or joins two strings.
            BinaryOp::Add => match (kinds[lhs.index()], kinds[rhs.index()]) {
                (Kind::Number, _) | (_, Kind::Number) => Kind::Number,
                (Kind::String, _) | (_, Kind::String) => Kind::String,
                (Kind::Unseen, Kind::Unseen) => Kind::Unseen,
                _ => Kind::Any,
            },
            BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => Kind::Number,
            _ => Kind::Other,
        },
        InstKind::Unary { op: UnaryOp::Neg, .. } => Kind::Number,
        InstKind::Unary { op: UnaryOp::Not, .. } => Kind::Other,
        InstKind::GetGlobal { global, .. } => s.globals[global.index()],
        InstKind::Closure { func, .. } => Kind::Closure(func),
        // The runtime makes a list literal an instance of the library's List.
        InstKind::NewList { .. } => match cx.classes.registered.get(&b"List"[..]) {
            Some(&c) => Kind::instance(c),
            None => Kind::Any,
        },
        InstKind::Call { callee, .. } => match (cx.call_target(f, callee), kinds[callee.index()]) {
            (Some(Ok(func)), _) | (None, Kind::Closure(func)) => s.returns[func.index()],
            (Some(Err(c)), _) => Kind::instance(c),
            (None, Kind::Unseen) => Kind::Unseen,
            (None, _) => Kind::Any,
        },
        InstKind::Invoke { obj, name, .. } => match kinds[obj.index()] {
            Kind::Unseen => Kind::Unseen,
            Kind::Instance(mask) | Kind::MaybeInstance(mask) => {
                let mut k = Kind::Unseen;
                for (c, method) in cx.methods(mask, name) {
                    // A field of that name is called instead of the method.
                    let shadowed = s.fields.contains_key(&(c, name)) || s.any_fields.contains_key(&name);
                    k = k.join(match method {
                        Some(m) if !shadowed => s.returns[m.index()],
                        _ => Kind::Any,
                    });
                }
                k
            }
            _ => Kind::Any,
        },
        InstKind::SuperInvoke { name, .. } => match cx.classes.super_method(id, name) {
            Some((_, m)) => s.returns[m.index()],
            None => Kind::Any,
        },
        InstKind::GetProp { obj, name, .. } => match kinds[obj.index()] {
            Kind::Unseen => Kind::Unseen,
            Kind::Instance(mask) | Kind::MaybeInstance(mask) => {
                let mut k = s.any_fields.get(&name).copied().unwrap_or(Kind::Unseen);
                for (c, method) in cx.methods(mask, name) {
                    k = k.join(match s.fields.get(&(c, name)) {
                        Some(&field) => field,
                        // A bound method.
                        None if method.is_some() => Kind::Any,
                        None => Kind::Unseen,
                    });
                }
                k
            }
            _ => Kind::Any,
        },
        _ => Kind::Any,
    }
}

/// Adds to `next` what function `id`, whose values have `kinds`, tells
/// the others: what it stores in globals and fields, returns, and passes
/// to the functions it calls.
fn tell(cx: &Context, id: FuncId, kinds: &[Kind], next: &mut Summaries) {
    let f = cx.module.function(id);
    let join = |slot: &mut Kind, k: Kind| *slot = slot.join(k);
    let pass = |next: &mut Summaries, func: FuncId, args: &[Value]| {
        let params = &mut next.params[func.index()];
        if params.len() == args.len() {
            for (p, a) in params.iter_mut().zip(args) {
                *p = p.join(kinds[a.index()]);
            }
        }
    };
    let init = cx.module.string_id(b"init");
    super::for_each_inst(f, |inst| match *inst {
        InstKind::DefineGlobal { global, value } | InstKind::SetGlobal { global, value, .. } => {
            join(&mut next.globals[global.index()], kinds[value.index()]);
        }
        InstKind::Return { value } => join(&mut next.returns[id.index()], kinds[value.index()]),
        InstKind::Call { callee, ref args, .. } => match cx.call_target(f, callee) {
            Some(Ok(func)) => pass(next, func, args),
            Some(Err(c)) => {
                if let Some(&func) = init.and_then(|name| cx.classes.list[c].methods.get(&name)) {
                    pass(next, func, args);
                }
            }
            None => {}
        },
        InstKind::Invoke { obj, name, ref args, .. } => match kinds[obj.index()] {
            Kind::Unseen => {}
            Kind::Instance(mask) | Kind::MaybeInstance(mask) => {
                for (_, method) in cx.methods(mask, name) {
                    if let Some(func) = method {
                        pass(next, func, args);
                    }
                }
            }
            _ => {
                next.open_methods.insert(name);
            }
        },
        InstKind::SuperInvoke { name, ref args, .. } => match cx.classes.super_method(id, name) {
            Some((_, func)) => pass(next, func, args),
            None => {
                next.open_methods.insert(name);
            }
        },
        // A bound method may be called from anywhere.
        InstKind::GetProp { obj, name, .. } => {
            let bound = match kinds[obj.index()] {
                Kind::Unseen => false,
                Kind::Instance(mask) | Kind::MaybeInstance(mask) => cx
                    .methods(mask, name)
                    .any(|(c, method)| method.is_some() && !next.fields.contains_key(&(c, name))),
                _ => true,
            };
            if bound {
                next.open_methods.insert(name);
            }
        }
        InstKind::GetSuper { name, .. } => {
            next.open_methods.insert(name);
        }
        InstKind::SetProp { obj, name, value, .. } => match kinds[obj.index()] {
            Kind::Unseen => {}
            Kind::Instance(mask) | Kind::MaybeInstance(mask) => {
                for c in (0..MAX_CLASSES).filter(|c| mask & (1 << c) != 0) {
                    join(next.fields.entry((c, name)).or_insert(Kind::Unseen), kinds[value.index()]);
                }
            }
            _ => join(next.any_fields.entry(name).or_insert(Kind::Unseen), kinds[value.index()]),
        },
        _ => {}
    });
}
