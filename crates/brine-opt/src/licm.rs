//! Loop-invariant guards move to the loop's preheader.
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
    ControlFlowGraph, DominatorTree, FrameState, FuncCursor, Function, InstKind, Liveness, LoopAnalysis,
    StateId, Value, ValueDef,
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
        // The preheader must be an original block ending in its original
        // terminator, for the frame state to name a point of the original.
        if preheader.index() >= original.blocks.len() || !original.layout.contains(&preheader) {
            continue;
        }
        let mut hoisted: HashSet<Value> = HashSet::new();
        let mut wanted = Vec::new();
        for &b in loops.blocks(lp) {
            for &i in &f.block(b).insts {
                if let InstKind::GuardNum { value, .. } = f.inst(i).kind
                    && !hoisted.contains(&value)
                    && def_block(f, value).is_some_and(|d| !loops.is_in_loop(d, lp))
                {
                    hoisted.insert(value);
                    wanted.push(value);
                }
            }
        }
        if wanted.is_empty() {
            continue;
        }
        let index = original.block(preheader).insts.len() - 1;
        let mut live = entry_params.clone();
        live.extend(
            liveness
                .live_before(original, preheader, index)
                .into_iter()
                .filter(|v| !entry_params.contains(v)),
        );
        let state = StateId::new(f.states.len());
        f.states.push(FrameState { block: preheader, index: index as u32, live, inlined: None });
        let mut cursor = FuncCursor::new(f);
        cursor.goto_before_terminator(preheader);
        for value in wanted {
            cursor.ins(InstKind::GuardNum { value, state });
        }
    }
}
