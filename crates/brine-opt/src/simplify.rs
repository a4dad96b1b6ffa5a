//! Simplification after speculation: what the guards have taught us.
//!
//! - A value is *known to be a number* if it is a number constant, a boxed
//!   f64, or a block parameter whose every incoming argument is known to be
//!   a number (an optimistic fixed point, so loop variables qualify).
//! - `guard_num` of a known number cannot fail: it becomes `unbox`; so does
//!   a `guard_num` of a value that a dominating guard has checked already.
//! - `unbox (box_num x)` is `x`; `truthy (bool_val c)` is `c`, where both
//!   are in one block.
//! - Arithmetic and comparisons (`==` and `!=` too) of two known numbers,
//!   or of values a dominating guard has checked, cannot fail: they become
//!   float code with no guard. (Such an operation also makes a known
//!   number, optimistically: a loop counter updated by a `+` that has not
//!   run yet is still known to be a number.)
//!
//! - A `guard_shape` repeating an earlier one of the same extended basic
//!   block (a block and the chain of single-predecessor blocks after it),
//!   with nothing between that can change the object's shape, goes; a
//!   `load_field` of a field stored or loaded just before takes that
//!   value.
//!
//! Replaced instructions are left for [`crate::dce`] to remove.
//!
//! Every value the optimizer makes is used only in the extended basic
//! block that defines it: guards, float operations and their boxes sit
//! next to the original instruction they implement. So the values live at
//! a loop header are all original values, which an interpreter frame
//! holds: an on-stack replacement can enter at any loop header by loading
//! them.

use brine_ir::{
    ControlFlowGraph, DominatorTree, FuncCursor, Function, InstKind, Type, UnaryOp, Value, ValueDef, cursor,
};
use std::collections::HashMap;

/// Runs the rules to a fixed point.
pub fn run(f: &mut Function) {
    for _ in 0..8 {
        if !step(f) {
            break;
        }
    }
}

/// The instruction kind defining `v`, if an instruction does.
fn def(f: &Function, v: Value) -> Option<&InstKind> {
    match f.values[v.index()].def {
        ValueDef::Result(i) => Some(&f.inst(i).kind),
        ValueDef::Param(..) => None,
    }
}

/// Whether `v` is defined by an instruction of block `b`.
fn same_block(f: &Function, v: Value, b: brine_ir::Block) -> bool {
    match f.values[v.index()].def {
        ValueDef::Result(i) => f.block(b).insts.contains(&i),
        ValueDef::Param(..) => false,
    }
}

/// Which values are known to be numbers.
pub fn known_numbers(f: &Function) -> Vec<bool> {
    let mut known = vec![false; f.values.len()];
    let entry = f.entry();
    for (i, data) in f.values.iter().enumerate() {
        known[i] = match data.def {
            ValueDef::Result(inst) => match f.inst(inst).kind {
                InstKind::Number(_) | InstKind::BoxNum(_) => true,
                // Arithmetic on numbers makes a number: optimistically, if
                // its operands turn out to be numbers.
                InstKind::Binary { op, .. } => op.is_arithmetic(),
                InstKind::Unary { op: UnaryOp::Neg, .. } => true,
                _ => false,
            },
            ValueDef::Param(b, _) => b != entry && data.ty == Type::Val,
        };
    }
    // Optimistically every parameter and arithmetic result is a number;
    // drop those with an input that is not, until nothing changes.
    let mut changed = true;
    while changed {
        changed = false;
        for &b in &f.layout {
            for &i in &f.block(b).insts {
                let data = f.inst(i);
                let Some(r) = data.result else { continue };
                if !known[r.index()] {
                    continue;
                }
                let operands_known = match data.kind {
                    InstKind::Binary { lhs, rhs, .. } => known[lhs.index()] && known[rhs.index()],
                    InstKind::Unary { arg, .. } => known[arg.index()],
                    _ => true,
                };
                if !operands_known {
                    known[r.index()] = false;
                    changed = true;
                }
            }
            let Some(term) = f.terminator(b) else { continue };
            for (succ, args) in f.inst(term).kind.successors() {
                for (&p, &a) in f.block(succ).params.iter().zip(args) {
                    if known[p.index()] && !known[a.index()] {
                        known[p.index()] = false;
                        changed = true;
                    }
                }
            }
        }
    }
    known
}

/// The blocks that hold a `guard_num` of each value. Guards do not move
/// between blocks while [`step`] runs, so this stays true through it.
fn guard_blocks(f: &Function) -> HashMap<Value, Vec<brine_ir::Block>> {
    let mut blocks: HashMap<Value, Vec<brine_ir::Block>> = HashMap::new();
    for &b in &f.layout {
        for &inst in &f.block(b).insts {
            if let InstKind::GuardNum { value, .. } = f.inst(inst).kind {
                let list = blocks.entry(value).or_default();
                if list.last() != Some(&b) {
                    list.push(b);
                }
            }
        }
    }
    blocks
}

/// Whether a `guard_num` of `v` dominates instruction `index` of block
/// `b`: one earlier in the block, or one in a block that strictly
/// dominates it.
fn guarded_at(
    f: &Function,
    domtree: &DominatorTree,
    guards: &HashMap<Value, Vec<brine_ir::Block>>,
    v: Value,
    b: brine_ir::Block,
    index: usize,
) -> bool {
    let Some(blocks) = guards.get(&v) else { return false };
    blocks.iter().any(|&gb| gb != b && domtree.strictly_dominates(gb, b))
        || f.block(b).insts[..index]
            .iter()
            .any(|&i| matches!(f.inst(i).kind, InstKind::GuardNum { value, .. } if value == v))
}

/// Answers an `is_shape` of an object whose shape a guard has checked,
/// and removes a `guard_shape` of an object that an earlier guard of the same
/// block has checked for the same shape, when nothing between them can
/// change the object's shape (a generic property set, a call of any kind,
/// or a class's construction can; a `store_shape` makes the new shape the
/// known one). Returns whether it removed any.
fn redundant_shape_guards(f: &mut Function) -> bool {
    let mut changed = false;
    let cfg = ControlFlowGraph::with_function(f);
    // Object -> (its known shape, the pointer a guard gave for it), at the
    // end of each block.
    let mut at_end: HashMap<brine_ir::Block, HashMap<Value, (u64, Value)>> = HashMap::new();
    for &b in cfg.reverse_postorder() {
        let mut known = from_only_predecessor(&cfg, &at_end, b);
        let mut redundant = Vec::new();
        let mut tests = Vec::new();
        for &inst in &f.block(b).insts {
            match f.inst(inst).kind {
                InstKind::GuardShape { obj, shape, .. } => {
                    let ptr = f.inst(inst).result.expect("a guard has a result");
                    match known.get(&obj) {
                        Some(&(s, p)) if s == shape => redundant.push((inst, ptr, p)),
                        _ => {
                            known.insert(obj, (shape, ptr));
                        }
                    }
                }
                InstKind::AssumeShape { obj, shape } => {
                    let ptr = f.inst(inst).result.expect("an assumption has a result");
                    known.entry(obj).or_insert((shape, ptr));
                }
                InstKind::IsShape { obj, shape } => {
                    if let Some(&(s, _)) = known.get(&obj) {
                        tests.push((inst, s == shape));
                    }
                }
                InstKind::StoreShape { obj: ptr, shape } => {
                    for entry in known.values_mut() {
                        if entry.1 == ptr {
                            entry.0 = shape;
                        }
                    }
                }
                ref k if brine_ir::effects::may_change_shapes(k) => known.clear(),
                _ => {}
            }
        }
        at_end.insert(b, known);
        for (inst, answer) in tests {
            let mut c = FuncCursor::new(f);
            c.goto_before(inst);
            let constant = c.ins_value(InstKind::Bool(answer));
            c.replace_inst(inst, InstKind::Truthy(constant));
            changed = true;
        }
        for (inst, ptr, earlier) in redundant {
            cursor::replace_all_uses(f, ptr, earlier);
            FuncCursor::new(f).remove_inst(inst);
            changed = true;
        }
    }
    changed
}

/// What is known at the start of block `b`: what was known at the end of
/// its predecessor, if it has exactly one (an extended basic block, such
/// as an inlined callee's entry after its call), else nothing.
///
/// A value that a fact carries into `b` then crosses blocks, but never a
/// loop header (which has two predecessors at least), so it is never live
/// at one: on-stack replacement never needs it.
fn from_only_predecessor<K: Clone + Default>(
    cfg: &ControlFlowGraph,
    at_end: &HashMap<brine_ir::Block, K>,
    b: brine_ir::Block,
) -> K {
    match cfg.predecessors(b) {
        [only] => at_end.get(&only.block).cloned().unwrap_or_default(),
        _ => K::default(),
    }
}

/// Forwards, within a block, the value a `store_field` stored (or a
/// `load_field` loaded) to a later `load_field` of the same field of the
/// same pointer. A store to that offset through another pointer (which may
/// be the same object), and anything that may write fields (a generic set,
/// a call), forget what is known. Returns whether it forwarded any.
fn forward_fields(f: &mut Function) -> bool {
    let mut changed = false;
    let cfg = ControlFlowGraph::with_function(f);
    let mut at_end: HashMap<brine_ir::Block, HashMap<(Value, u32), Value>> = HashMap::new();
    for &b in cfg.reverse_postorder() {
        let mut known = from_only_predecessor(&cfg, &at_end, b);
        let mut forwards = Vec::new();
        for &inst in &f.block(b).insts {
            match f.inst(inst).kind {
                InstKind::LoadField { obj, offset } => {
                    let r = f.inst(inst).result.expect("a load has a result");
                    match known.get(&(obj, offset)) {
                        Some(&v) => forwards.push((r, v)),
                        None => {
                            known.insert((obj, offset), r);
                        }
                    }
                }
                InstKind::StoreField { obj, offset, value } => {
                    known.retain(|&(_, o), _| o != offset);
                    known.insert((obj, offset), value);
                }
                // Anything that may write a field by name.
                ref k
                    if brine_ir::effects::may_run_code(k)
                        || matches!(
                            k,
                            InstKind::SetProp { .. } | InstKind::Inherit { .. } | InstKind::Method { .. }
                        ) =>
                {
                    known.clear()
                }
                _ => {}
            }
        }
        at_end.insert(b, known);
        for (r, v) in forwards {
            if cursor::replace_all_uses(f, r, v) > 0 {
                changed = true;
            }
        }
    }
    changed
}

/// One pass of the rules; whether anything changed.
fn step(f: &mut Function) -> bool {
    let mut changed = redundant_shape_guards(f);
    changed |= forward_fields(f);
    let cfg = ControlFlowGraph::with_function(f);
    let domtree = DominatorTree::with_function(f, &cfg);
    let guards = guard_blocks(f);
    // A guard that a guard of the same value dominates cannot fail.
    for b in f.layout.clone() {
        for index in 0..f.block(b).insts.len() {
            let inst = f.block(b).insts[index];
            if let InstKind::GuardNum { value, .. } = f.inst(inst).kind
                && guarded_at(f, &domtree, &guards, value, b, index)
            {
                FuncCursor::new(f).replace_inst(inst, InstKind::Unbox(value));
            }
        }
    }
    let known = known_numbers(f);
    let layout = f.layout.clone();
    for b in layout {
        let insts = f.block(b).insts.clone();
        for inst in insts {
            let index = f.block(b).insts.iter().position(|&i| i == inst).unwrap_or(0);
            let number_here =
                |f: &Function, v: Value| known[v.index()] || guarded_at(f, &domtree, &guards, v, b, index);
            let kind = f.inst(inst).kind.clone();
            let result = f.inst(inst).result;
            match kind {
                InstKind::GuardNum { value, .. } if known[value.index()] => {
                    FuncCursor::new(f).replace_inst(inst, InstKind::Unbox(value));
                    changed = true;
                }
                InstKind::Unbox(v) => {
                    if let Some(&InstKind::BoxNum(x)) = def(f, v)
                        && same_block(f, v, b)
                        && let Some(r) = result
                        && cursor::replace_all_uses(f, r, x) > 0
                    {
                        changed = true;
                    }
                }
                InstKind::Truthy(v) => {
                    if let Some(&InstKind::BoolVal(c)) = def(f, v)
                        && same_block(f, v, b)
                        && let Some(r) = result
                        && cursor::replace_all_uses(f, r, c) > 0
                    {
                        changed = true;
                    }
                }
                // Operations on known numbers cannot fail: float code, no guard.
                InstKind::Binary { op, lhs, rhs, .. } if number_here(f, lhs) && number_here(f, rhs) => {
                    let mut c = FuncCursor::new(f);
                    c.goto_before(inst);
                    let l = c.ins_value(InstKind::Unbox(lhs));
                    let r = if rhs == lhs { l } else { c.ins_value(InstKind::Unbox(rhs)) };
                    let x = c.ins_value(InstKind::Float { op, lhs: l, rhs: r });
                    let boxed = if op.is_arithmetic() { InstKind::BoxNum(x) } else { InstKind::BoolVal(x) };
                    c.replace_inst(inst, boxed);
                    changed = true;
                }
                InstKind::Unary { op: UnaryOp::Neg, arg, .. } if number_here(f, arg) => {
                    let mut c = FuncCursor::new(f);
                    c.goto_before(inst);
                    let a = c.ins_value(InstKind::Unbox(arg));
                    let x = c.ins_value(InstKind::FNeg(a));
                    c.replace_inst(inst, InstKind::BoxNum(x));
                    changed = true;
                }
                _ => {}
            }
        }
    }
    changed
}
