//! Loop-invariant guards move to the loop's preheader.
//!
//! Shape guards of an object defined outside a loop that nothing in the
//! loop can give another shape (no transition, generic set or call) move
//! too: the guards in the loop become `assume_shape`s.
//!
//! A `guard_num` in a loop of a value defined outside it checks the same
//! thing every iteration. A guard of that value goes before the jump that
//! enters the loop (the preheader's terminator), with a frame state that
//! resumes the interpreter at that jump; the guards in the loop are then
//! dominated by it, and [`crate::simplify`] turns them into plain unboxes.
//!
//! Failing early is exact: the interpreter resumes before the loop, with
//! the frame the original function has there. At worst a loop whose guarded
//! operation would never have run deoptimizes once, and the next
//! compilation knows better.

use brine_ir::{
    ControlFlowGraph, DominatorTree, FrameState, FuncCursor, Function, Inst, InstKind, Liveness,
    LoopAnalysis, StateId, Value, ValueDef,
};
use std::collections::HashSet;

/// Hoists invariant guards of `f`, a specialized copy of `original`.
pub fn run(f: &mut Function, original: &Function) {
    let cfg = ControlFlowGraph::with_function(f);
    let domtree = DominatorTree::with_function(f, &cfg);
    let loops = LoopAnalysis::with_function(f, &cfg, &domtree);
    let liveness = Liveness::compute(original);
    let entry_params: Vec<Value> = original.block(original.entry()).params[..2].to_vec();
    let def_block = |f: &Function, v: Value| match f.values[v.index()].def {
        ValueDef::Param(b, _) => Some(b),
        ValueDef::Result(i) => f.layout.iter().copied().find(|&b| f.block(b).insts.contains(&i)),
    };
    for lp in loops.loops_innermost_first() {
        let Some(preheader) = loops.preheader(lp, &cfg) else { continue };
        // The preheader must end in an original terminator of the
        // function's own code (not an inlined callee's), for the frame
        // state to name a point of the original: the jump into the loop.
        // (After inlining, that terminator may be in the block after a
        // call.)
        let Some((orig_block, index)) = original_point(f, original, preheader) else { continue };
        let mut hoisted: HashSet<Value> = HashSet::new();
        let mut wanted = Vec::new();
        // Objects whose one shape the loop's guards check, and those guards;
        // only if nothing in the loop can change a shape.
        let mut shapes: Vec<(Value, u64, Vec<Inst>)> = Vec::new();
        let mut conflicting: HashSet<Value> = HashSet::new();
        let mut changes_shapes = false;
        for &b in loops.blocks(lp) {
            for &i in &f.block(b).insts {
                match f.inst(i).kind {
                    InstKind::GuardNum { value, .. }
                        if !hoisted.contains(&value)
                            && def_block(f, value).is_some_and(|d| !loops.is_in_loop(d, lp)) =>
                    {
                        hoisted.insert(value);
                        wanted.push(value);
                    }
                    InstKind::GuardShape { obj, shape, .. }
                        if def_block(f, obj).is_some_and(|d| !loops.is_in_loop(d, lp)) =>
                    {
                        match shapes.iter_mut().find(|(o, _, _)| *o == obj) {
                            Some((_, s, guards)) if *s == shape => guards.push(i),
                            Some(_) => {
                                conflicting.insert(obj);
                            }
                            None => shapes.push((obj, shape, vec![i])),
                        }
                    }
                    ref kind => changes_shapes |= may_change_shapes(kind),
                }
            }
        }
        if changes_shapes {
            shapes.clear();
        }
        shapes.retain(|(obj, _, _)| !conflicting.contains(obj));
        if wanted.is_empty() && shapes.is_empty() {
            continue;
        }
        let mut live = entry_params.clone();
        live.extend(
            liveness
                .live_before(original, orig_block, index)
                .into_iter()
                .filter(|v| !entry_params.contains(v)),
        );
        let state = StateId::new(f.states.len());
        f.states.push(FrameState { block: orig_block, index: index as u32, live, inlined: None });
        let mut cursor = FuncCursor::new(f);
        cursor.goto_before_terminator(preheader);
        for value in wanted {
            cursor.ins(InstKind::GuardNum { value, state });
        }
        // The loop's shape guards become assumptions that the guard before
        // the loop checked (an on-stack-replacement entry, which bypasses
        // that guard, checks them itself).
        for (obj, shape, guards) in shapes {
            cursor.goto_before_terminator(preheader);
            cursor.ins(InstKind::GuardShape { obj, shape, state });
            for g in guards {
                cursor.replace_inst(g, InstKind::AssumeShape { obj, shape });
            }
        }
    }
}

/// Whether an instruction may change the shape of some object: a
/// transition, a generic property set, or a call of anything.
fn may_change_shapes(kind: &InstKind) -> bool {
    matches!(
        kind,
        InstKind::StoreShape { .. }
            | InstKind::SetProp { .. }
            | InstKind::Call { .. }
            | InstKind::CallDirect { .. }
            | InstKind::Invoke { .. }
            | InstKind::SuperInvoke { .. }
            | InstKind::Inherit { .. }
            | InstKind::Method { .. }
    )
}

/// Where the terminator of block `b` of `f` is in `original` (the block and
/// its index there), if `b` is the function's own code and its terminator
/// is an original block's.
fn original_point(f: &Function, original: &Function, b: brine_ir::Block) -> Option<(brine_ir::Block, usize)> {
    if f.block(b).frame.is_some() {
        return None;
    }
    let term = f.terminator(b)?;
    let (ob, index) = brine_ir::cursor::inst_position(original, term)?;
    (index + 1 == original.block(ob).insts.len() && original.inst(term).kind == f.inst(term).kind)
        .then_some((ob, index))
}
