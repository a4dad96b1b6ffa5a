//! The IR verifier: structural, type and SSA dominance checks.
//!
//! It runs after lowering (and, later, after every pass) in debug builds.

use crate::entities::{Block, FuncId, Inst, Value};
use crate::function::{Function, Module, ValueDef};
use crate::inst::{InstKind, Type};

/// A verifier error: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierError {
    pub function: FuncId,
    pub message: String,
}

impl std::fmt::Display for VerifierError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.function, self.message)
    }
}

pub fn verify_module(module: &Module) -> Result<(), Vec<VerifierError>> {
    let mut errors = Vec::new();
    for i in 0..module.functions.len() {
        let id = FuncId::new(i);
        verify_function(module, id, module.function(id), &mut errors);
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Verifies `f`, a function that uses `module`'s tables but is not (or not
/// yet) one of its functions: a specialized version made by a pass.
pub fn verify_function_in(module: &Module, f: &Function) -> Result<(), Vec<VerifierError>> {
    let mut errors = Vec::new();
    verify_function(module, FuncId(u32::MAX), f, &mut errors);
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// The blocks reachable from the entry, in reverse postorder (moved to [`crate::cfg`]).
pub use crate::cfg::reverse_postorder;

/// Immediate dominators, indexed by block (None for unreachable blocks).
/// The iterative algorithm of Cooper, Harvey and Kennedy.
pub fn dominators(f: &Function) -> Vec<Option<Block>> {
    let n = f.blocks.len();
    let order = reverse_postorder(f);
    let mut rpo_index = vec![usize::MAX; n];
    for (i, b) in order.iter().enumerate() {
        rpo_index[b.index()] = i;
    }
    let mut preds: Vec<Vec<Block>> = vec![Vec::new(); n];
    for &b in &order {
        if let Some(t) = f.terminator(b) {
            for (s, _) in f.inst(t).kind.successors() {
                preds[s.index()].push(b);
            }
        }
    }
    let mut idom: Vec<Option<Block>> = vec![None; n];
    idom[f.entry().index()] = Some(f.entry());
    let mut changed = true;
    while changed {
        changed = false;
        for &b in order.iter().skip(1) {
            let mut new: Option<Block> = None;
            for &p in &preds[b.index()] {
                if idom[p.index()].is_none() {
                    continue;
                }
                new = Some(match new {
                    None => p,
                    Some(mut a) => {
                        let mut c = p;
                        while a != c {
                            while rpo_index[a.index()] > rpo_index[c.index()] {
                                a = idom[a.index()].unwrap();
                            }
                            while rpo_index[c.index()] > rpo_index[a.index()] {
                                c = idom[c.index()].unwrap();
                            }
                        }
                        a
                    }
                });
            }
            if new.is_some() && idom[b.index()] != new {
                idom[b.index()] = new;
                changed = true;
            }
        }
    }
    idom
}

fn dominates(idom: &[Option<Block>], a: Block, mut b: Block) -> bool {
    loop {
        if a == b {
            return true;
        }
        match idom[b.index()] {
            Some(d) if d != b => b = d,
            _ => return false,
        }
    }
}

fn verify_function(module: &Module, id: FuncId, f: &Function, errors: &mut Vec<VerifierError>) {
    let mut err = |message: String| errors.push(VerifierError { function: id, message });
    if f.layout.is_empty() {
        err("function has no blocks".into());
        return;
    }
    let entry = f.entry();
    if f.block(entry).params.len() != f.arity as usize + 2 {
        err(format!("entry block has {} params, expected arity + 2", f.block(entry).params.len()));
    }
    // Engines pass arguments by position: the entry params are the first values.
    if f.block(entry).params.iter().enumerate().any(|(i, p)| p.index() != i) {
        err("entry block params are not the function's first values".into());
    }
    // Where each instruction sits: (block, position).
    let mut position: Vec<Option<(Block, usize)>> = vec![None; f.insts.len()];
    for &b in &f.layout {
        let insts = &f.block(b).insts;
        if insts.is_empty() {
            err(format!("{b} is empty"));
            continue;
        }
        for (i, &inst) in insts.iter().enumerate() {
            if position[inst.index()].is_some() {
                err(format!("{inst} appears twice"));
            }
            position[inst.index()] = Some((b, i));
            let last = i + 1 == insts.len();
            if f.inst(inst).kind.is_terminator() != last {
                err(format!("{b}: terminator misplaced at {inst}"));
            }
        }
        if let Some(frame) = f.block(b).frame
            && frame.index() >= f.inlined.len()
        {
            err(format!("{b} is in the undefined inlined call {frame}"));
        }
        for (i, &p) in f.block(b).params.iter().enumerate() {
            if f.values[p.index()].def != ValueDef::Param(b, i as u32) {
                err(format!("{b}: param {p} has a wrong definition"));
            }
        }
    }
    let idom = dominators(f);
    // Does the definition of `v` dominate position `(b, i)`?
    let defined_before = |v: Value, b: Block, i: usize| -> bool {
        match f.values.get(v.index()).map(|d| d.def) {
            None => false,
            Some(ValueDef::Param(pb, _)) => idom[pb.index()].is_some() && dominates(&idom, pb, b),
            Some(ValueDef::Result(inst)) => match position[inst.index()] {
                None => false,
                Some((db, di)) if db == b => di < i,
                Some((db, _)) => dominates(&idom, db, b),
            },
        }
    };
    let ty = |v: Value| f.values.get(v.index()).map(|d| d.ty);
    for &b in &f.layout {
        for (i, &inst) in f.block(b).insts.iter().enumerate() {
            let data = f.inst(inst);
            let kind = &data.kind;
            kind.for_each_arg(|v| {
                if !defined_before(v, b, i) {
                    err(format!("{inst} in {b}: {v} is used where its definition does not dominate"));
                }
            });
            check_types(module, f, inst, kind, &ty, &mut err);
            if let Some(state) = kind.guard_state() {
                match f.states.get(state.index()) {
                    None => err(format!("{inst}: frame state {state} out of range")),
                    Some(_) if !state_chain_ok(f, state) => {
                        err(format!("{inst}: frame state {state} has a malformed inlined chain"))
                    }
                    Some(_) => {
                        for v in f.state_values(state) {
                            if !defined_before(v, b, i) {
                                err(format!("{inst}: {state} holds {v}, whose definition does not dominate"));
                            } else if !matches!(ty(v), Some(Type::Val | Type::F64)) {
                                // An f64 is a number, whose bits are its boxed bits.
                                err(format!("{inst}: {state} holds {v}, which is neither a val nor an f64"));
                            }
                        }
                    }
                }
            }
            if data.result.map(|r| f.values[r.index()].def)
                != kind.result_type().map(|_| ValueDef::Result(inst))
            {
                err(format!("{inst}: result does not match its kind"));
            }
            if let Some(site) = kind.site()
                && site.index() >= module.sites.len()
            {
                err(format!("{inst}: site {site} out of range"));
            }
            for (succ, args) in kind.successors() {
                if !f.layout.contains(&succ) {
                    err(format!("{inst}: jump to {succ}, which is not in the layout"));
                } else if args.len() != f.block(succ).params.len() {
                    err(format!(
                        "{inst}: {} args to {succ}, which has {} params",
                        args.len(),
                        f.block(succ).params.len()
                    ));
                } else {
                    for (a, p) in args.iter().zip(&f.block(succ).params) {
                        if ty(*a) != ty(*p) {
                            err(format!("{inst}: arg {a} to {succ} has the wrong type"));
                        }
                    }
                }
            }
        }
    }
}

fn check_types(
    module: &Module,
    f: &Function,
    inst: Inst,
    kind: &InstKind,
    ty: &dyn Fn(Value) -> Option<Type>,
    err: &mut dyn FnMut(String),
) {
    match kind {
        InstKind::Branch { cond, .. } => {
            if ty(*cond) != Some(Type::Bool) {
                err(format!("{inst}: branch condition {cond} is not a bool"));
            }
        }
        InstKind::Jump { .. } => {}
        InstKind::BoxNum(v) | InstKind::FNeg(v) => {
            if ty(*v) != Some(Type::F64) {
                err(format!("{inst}: operand {v} is not an f64"));
            }
        }
        InstKind::Float { lhs, rhs, .. } => {
            for v in [lhs, rhs] {
                if ty(*v) != Some(Type::F64) {
                    err(format!("{inst}: operand {v} is not an f64"));
                }
            }
        }
        InstKind::BoolVal(v) => {
            if ty(*v) != Some(Type::Bool) {
                err(format!("{inst}: operand {v} is not a bool"));
            }
        }
        InstKind::LoadField { obj, .. } | InstKind::StoreShape { obj, .. } => {
            if ty(*obj) != Some(Type::Ptr) {
                err(format!("{inst}: object {obj} is not a ptr"));
            }
        }
        InstKind::StoreField { obj, value, .. } => {
            if ty(*obj) != Some(Type::Ptr) {
                err(format!("{inst}: object {obj} is not a ptr"));
            }
            if ty(*value) != Some(Type::Val) {
                err(format!("{inst}: stored value {value} is not a val"));
            }
        }
        _ => kind.for_each_arg(|v| {
            if ty(v) != Some(Type::Val) {
                err(format!("{inst}: operand {v} is not a val"));
            }
        }),
    }
    match kind {
        InstKind::Closure { func, captures } => match module.functions.get(func.index()) {
            None => err(format!("{inst}: closure of unknown function {func}")),
            Some(callee) if callee.ncaptures as usize != captures.len() => err(format!(
                "{inst}: {func} captures {} values, closure gives {}",
                callee.ncaptures,
                captures.len()
            )),
            _ => {}
        },
        InstKind::LoadCapture { index } if *index >= f.ncaptures => {
            err(format!("{inst}: capture {index} out of range"));
        }
        InstKind::Str(s)
        | InstKind::GetProp { name: s, .. }
        | InstKind::SetProp { name: s, .. }
        | InstKind::Invoke { name: s, .. }
        | InstKind::SuperInvoke { name: s, .. }
        | InstKind::GetSuper { name: s, .. }
        | InstKind::Class { name: s, .. }
        | InstKind::Method { name: s, .. }
            if s.index() >= module.strings.len() =>
        {
            err(format!("{inst}: string {s} out of range"));
        }
        InstKind::GetGlobal { global, .. }
        | InstKind::SetGlobal { global, .. }
        | InstKind::DefineGlobal { global, .. }
            if global.index() >= module.globals.len() =>
        {
            err(format!("{inst}: global {global} out of range"));
        }
        _ => {}
    }
}

/// Whether the callers of frame state `s` are states that come before it,
/// and each inlined state has a slot for each live value.
fn state_chain_ok(f: &Function, s: crate::StateId) -> bool {
    let mut s = s;
    loop {
        let fs = &f.states[s.index()];
        match &fs.inlined {
            None => return true,
            Some(inl) if inl.caller < s && inl.slots.len() == fs.live.len() => s = inl.caller,
            Some(_) => return false,
        }
    }
}
