//! Constant folding, branch folding and value numbering.
//!
//! - Float arithmetic and comparisons of constants, and `fneg` and `not` of
//!   constants, become constants (`unbox` of a `number`, `truthy` of a
//!   `bool` for a comparison, `bool` for `not`).
//! - A branch on the truthiness of a constant becomes a jump; blocks no
//!   longer reachable leave the layout.
//! - A branch on a condition that a branch before it in the same extended
//!   basic block tested becomes a jump: past the earlier branch's edge,
//!   the condition is known (as after two tests of the same shape, once
//!   merged by value numbering).
//! - A pure instruction equal to one earlier in the same extended basic
//!   block (a block and the chain of single-predecessor blocks after it)
//!   is replaced by it: an `unbox` equals a `guard_num` of its value, and
//!   a shape test equals an earlier one while nothing may change a shape.
//!   As in [`crate::simplify`], a value that crosses blocks this way never
//!   crosses a loop header.
//!
//! Replaced instructions are left for [`crate::dce`].

use brine_ir::{
    Applied, Block, ControlFlowGraph, FuncCursor, Function, InstKind, UnaryOp, Value, ValueDef, cursor,
};
use std::collections::HashMap;

pub fn run(f: &mut Function) {
    fold_constants(f);
    fold_branches(f);
    number_values(f);
    fold_known_conditions(f);
}

/// The constant a value is, if an instruction makes it one.
fn constant(f: &Function, v: Value) -> Option<&InstKind> {
    match f.values[v.index()].def {
        ValueDef::Result(i) => {
            let kind = &f.inst(i).kind;
            matches!(kind, InstKind::Nil | InstKind::Bool(_) | InstKind::Number(_) | InstKind::Str(_))
                .then_some(kind)
        }
        ValueDef::Param(..) => None,
    }
}

/// The f64 an `unbox` of a number constant makes.
fn float_constant(f: &Function, v: Value) -> Option<f64> {
    match f.values[v.index()].def {
        ValueDef::Result(i) => match f.inst(i).kind {
            InstKind::Unbox(x) => match constant(f, x) {
                Some(&InstKind::Number(n)) => Some(n),
                _ => None,
            },
            _ => None,
        },
        ValueDef::Param(..) => None,
    }
}

/// Lox truthiness of a constant.
fn truth(kind: &InstKind) -> bool {
    !matches!(kind, InstKind::Nil | InstKind::Bool(false))
}

fn fold_constants(f: &mut Function) {
    for b in f.layout.clone() {
        for inst in f.block(b).insts.clone() {
            let folded = match f.inst(inst).kind {
                InstKind::Float { op, lhs, rhs } => {
                    let (Some(x), Some(y)) = (float_constant(f, lhs), float_constant(f, rhs)) else {
                        continue;
                    };
                    match op.apply(x, y) {
                        Applied::Number(n) => Err(n),
                        Applied::Bool(b) => Ok(b),
                    }
                }
                InstKind::FNeg(v) => match float_constant(f, v) {
                    Some(x) => Err(-x),
                    None => continue,
                },
                InstKind::Unary { op: UnaryOp::Not, arg, .. } => match constant(f, arg) {
                    Some(k) => {
                        let value = !truth(k);
                        FuncCursor::new(f).replace_inst(inst, InstKind::Bool(value));
                        continue;
                    }
                    None => continue,
                },
                _ => continue,
            };
            let mut c = FuncCursor::new(f);
            c.goto_before(inst);
            // Err: an f64 result; Ok: a bool result.
            let replacement = match folded {
                Err(n) => InstKind::Unbox(c.ins_value(InstKind::Number(n))),
                Ok(t) => InstKind::Truthy(c.ins_value(InstKind::Bool(t))),
            };
            c.replace_inst(inst, replacement);
        }
    }
}

fn fold_branches(f: &mut Function) {
    let mut changed = false;
    for b in f.layout.clone() {
        let Some(term) = f.terminator(b) else { continue };
        let InstKind::Branch { cond, .. } = f.inst(term).kind else { continue };
        let known = match f.values[cond.index()].def {
            ValueDef::Result(i) => match f.inst(i).kind {
                InstKind::Truthy(v) => constant(f, v).map(truth),
                _ => None,
            },
            ValueDef::Param(..) => None,
        };
        let Some(taken) = known else { continue };
        take_branch(f, term, taken);
        changed = true;
    }
    if changed {
        remove_unreachable(f);
    }
}

/// Replaces the branch `term` by a jump to its `then` destination if
/// `taken`, else to its `else` one.
fn take_branch(f: &mut Function, term: brine_ir::Inst, taken: bool) {
    let InstKind::Branch { then_dest, ref then_args, else_dest, ref else_args, .. } = f.inst(term).kind
    else {
        unreachable!("a branch")
    };
    let jump = if taken {
        InstKind::Jump { dest: then_dest, args: then_args.clone() }
    } else {
        InstKind::Jump { dest: else_dest, args: else_args.clone() }
    };
    FuncCursor::new(f).replace_inst(term, jump);
}

/// Takes the blocks no longer reachable out of the layout.
fn remove_unreachable(f: &mut Function) {
    let cfg = ControlFlowGraph::with_function(f);
    let mut reachable = vec![false; f.blocks.len()];
    for &b in cfg.reverse_postorder() {
        reachable[b.index()] = true;
    }
    f.layout.retain(|b| reachable[b.index()]);
}

/// Replaces a branch on a condition known from an earlier branch of the
/// same extended basic block by a jump.
fn fold_known_conditions(f: &mut Function) {
    let cfg = ControlFlowGraph::with_function(f);
    let mut at_end: HashMap<Block, HashMap<Value, bool>> = HashMap::new();
    let mut changed = false;
    for &b in cfg.reverse_postorder() {
        let mut known = HashMap::new();
        if let [only] = cfg.predecessors(b) {
            known = at_end.get(&only.block).cloned().unwrap_or_default();
            if let Some(term) = f.terminator(only.block)
                && let InstKind::Branch { cond, then_dest, else_dest, .. } = f.inst(term).kind
                && then_dest != else_dest
            {
                known.insert(cond, b == then_dest);
            }
        }
        if let Some(term) = f.terminator(b)
            && let InstKind::Branch { cond, .. } = f.inst(term).kind
            && let Some(&taken) = known.get(&cond)
        {
            take_branch(f, term, taken);
            changed = true;
        }
        at_end.insert(b, known);
    }
    if changed {
        remove_unreachable(f);
    }
}

/// Replaces pure instructions by equal earlier ones of their extended
/// basic block, and removes an index guard that an earlier one of the same
/// index and length makes redundant (it checks SSA values, which nothing
/// between the two can change).
fn number_values(f: &mut Function) {
    let cfg = ControlFlowGraph::with_function(f);
    let mut at_end: HashMap<Block, HashMap<String, Value>> = HashMap::new();
    // Each replaced value and the earlier one that replaces it.
    let mut subst: HashMap<Value, Value> = HashMap::new();
    let mut redundant = Vec::new();
    for &b in cfg.reverse_postorder() {
        let mut known = match cfg.predecessors(b) {
            [only] => at_end.get(&only.block).cloned().unwrap_or_default(),
            _ => HashMap::new(),
        };
        for &inst in &f.block(b).insts {
            let data = f.inst(inst);
            // A shape test reads the object's shape, which this may change.
            if brine_ir::effects::may_change_shapes(&data.kind) {
                known.retain(|_, v| !matches!(f.values[v.index()].def, ValueDef::Result(i) if matches!(f.inst(i).kind, InstKind::IsShape { .. })));
            }
            // A number guard's result is its value unboxed.
            if let (InstKind::GuardNum { value, .. }, Some(r)) = (&data.kind, data.result) {
                let key = format!("{:?}", InstKind::Unbox(*value).map_args(|a| *subst.get(&a).unwrap_or(&a)));
                known.entry(key).or_insert(r);
                continue;
            }
            if let InstKind::GuardIndex { index, len, .. } = data.kind {
                let (index, len) = (*subst.get(&index).unwrap_or(&index), *subst.get(&len).unwrap_or(&len));
                let key = format!("guard_index {index} {len}");
                match known.entry(key) {
                    std::collections::hash_map::Entry::Occupied(_) => redundant.push(inst),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(index);
                    }
                }
                continue;
            }
            let (true, Some(r)) = (data.kind.is_pure(), data.result) else { continue };
            // The kind's text names it fully: operation, operands (as
            // replaced so far), constants.
            let key = format!("{:?}", data.kind.clone().map_args(|a| *subst.get(&a).unwrap_or(&a)));
            match known.get(&key) {
                Some(&earlier) => {
                    subst.insert(r, earlier);
                }
                None => {
                    known.insert(key, r);
                }
            }
        }
        at_end.insert(b, known);
    }
    for (r, earlier) in subst {
        cursor::replace_all_uses(f, r, earlier);
    }
    let mut cursor = brine_ir::FuncCursor::new(f);
    for inst in redundant {
        cursor.remove_inst(inst);
    }
}
