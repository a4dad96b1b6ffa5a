//! Loop-invariant code moves to the loop's preheader: guards, loads and
//! pure instructions.
//!
//! A value is *invariant* in a loop when it is defined outside it, or by an
//! instruction that moved out. Loops are done innermost first, so code
//! leaves a nest one loop at a time. In each loop, in reverse postorder:
//!
//! - A `guard_num` of an invariant value checks the same thing every
//!   iteration. A guard of that value goes before the jump that enters the
//!   loop (the preheader's terminator), with a frame state that resumes the
//!   interpreter at that jump; the guards in the loop are then dominated by
//!   it, and [`crate::simplify`] turns them into plain unboxes.
//! - The shape guards of an invariant object that nothing in the loop can
//!   give another shape (no transition, generic set or call) go before the
//!   loop too, and the guards in the loop become `assume_shape`s, which
//!   move out after the guard.
//! - An instruction whose result depends only on invariant operands
//!   ([`brine_ir::effects::is_recomputable`]) moves out, but constants,
//!   which the code generator materializes where they are used.
//! - A field load or cell read of an invariant object or cell moves out
//!   when nothing in the loop may write that location
//!   ([`brine_ir::effects::may_clobber`]). It reads a valid location even
//!   where the loop would not have: the object's shape was checked before
//!   the loop.
//!
//! Failing early is exact: the interpreter resumes before the loop, with
//! the frame the original function has there. At worst a loop whose guarded
//! operation would never have run deoptimizes once, and the next
//! compilation knows better. An on-stack-replacement entry, which starts in
//! the loop, computes what moved out again (see `brine-codegen`'s
//! `OsrRegion`).

use brine_ir::effects::{is_movable_load, is_recomputable, may_change_shapes, may_clobber};
use brine_ir::{
    ControlFlowGraph, DominatorTree, FrameState, FuncCursor, Function, Inst, InstKind, Liveness,
    LoopAnalysis, StateId, Value,
};
use std::collections::{HashMap, HashSet};

/// Moves invariant code of `f`, a specialized copy of `original`, out of
/// its loops.
pub fn run(f: &mut Function, original: &Function) {
    let cfg = ControlFlowGraph::with_function(f);
    let domtree = DominatorTree::with_function(f, &cfg);
    let loops = LoopAnalysis::with_function(f, &cfg, &domtree);
    let liveness = Liveness::compute(original);
    let entry_params: Vec<Value> = original.block(original.entry()).params[..2].to_vec();
    for lp in loops.loops_innermost_first() {
        let Some(preheader) = loops.preheader(lp, &cfg) else { continue };
        // The preheader must end in an original terminator of the
        // function's own code (not an inlined callee's), for the frame
        // state to name a point of the original: the jump into the loop.
        // (After inlining, that terminator may be in the block after a
        // call.)
        let Some((orig_block, index)) = original_point(f, original, preheader) else { continue };
        // The loop's instructions in reverse postorder (a block's insts
        // are read before anything moves out of it).
        let body: Vec<Inst> = cfg
            .reverse_postorder()
            .iter()
            .filter(|&&b| loops.is_in_loop(b, lp))
            .flat_map(|&b| f.block(b).insts.clone())
            .collect();
        let mut in_loop = vec![false; f.values.len()];
        for &b in loops.blocks(lp) {
            for &p in &f.block(b).params {
                in_loop[p.index()] = true;
            }
        }
        for &i in &body {
            if let Some(r) = f.inst(i).result {
                in_loop[r.index()] = true;
            }
        }
        let shapes_fixed = !body.iter().any(|&i| may_change_shapes(&f.inst(i).kind));
        // Objects that the loop's guards check for more than one shape.
        let mut guarded: HashMap<Value, u64> = HashMap::new();
        let mut conflicting: HashSet<Value> = HashSet::new();
        for &i in &body {
            if let InstKind::GuardShape { obj, shape, .. } = f.inst(i).kind
                && *guarded.entry(obj).or_insert(shape) != shape
            {
                conflicting.insert(obj);
            }
        }
        let mut state: Option<StateId> = None;
        let mut state_before_loop = |f: &mut Function| {
            *state.get_or_insert_with(|| {
                let mut live = entry_params.clone();
                live.extend(
                    liveness
                        .live_before(original, orig_block, index)
                        .into_iter()
                        .filter(|v| !entry_params.contains(v)),
                );
                let s = StateId::new(f.states.len());
                f.states.push(FrameState::new(orig_block, index as u32, live));
                s
            })
        };
        let mut moved = vec![false; f.values.len()];
        let mut num_guarded: HashSet<Value> = HashSet::new();
        let mut shape_guarded: HashSet<(Value, u64)> = HashSet::new();
        for &i in &body {
            let kind = f.inst(i).kind.clone();
            let invariant = |v: Value| !in_loop[v.index()] || moved[v.index()];
            let mut operands_invariant = true;
            kind.for_each_arg(|v| operands_invariant &= invariant(v));
            let movable = match &kind {
                InstKind::GuardNum { value, .. } => {
                    if invariant(*value) && num_guarded.insert(*value) {
                        let state = state_before_loop(f);
                        let mut cursor = FuncCursor::new(f);
                        cursor.goto_before_terminator(preheader);
                        cursor.ins(InstKind::GuardNum { value: *value, state });
                    }
                    false
                }
                &InstKind::GuardShape { obj, shape, .. }
                    if invariant(obj) && shapes_fixed && !conflicting.contains(&obj) =>
                {
                    // The guard before the loop checks it; the loop's guard
                    // becomes an assumption, which moves out after it.
                    if shape_guarded.insert((obj, shape)) {
                        let state = state_before_loop(f);
                        let mut cursor = FuncCursor::new(f);
                        cursor.goto_before_terminator(preheader);
                        cursor.ins(InstKind::GuardShape { obj, shape, state });
                    }
                    FuncCursor::new(f).replace_inst(i, InstKind::AssumeShape { obj, shape });
                    true
                }
                // An assumption of an inner loop, whose guard moved out of
                // this loop too.
                &InstKind::AssumeShape { obj, shape } => shape_guarded.contains(&(obj, shape)),
                // Constants stay: the code generator materializes them
                // where they are used, which costs less than a register
                // held across the loop.
                k if is_recomputable(k) => operands_invariant && !is_constant(k),
                k if is_movable_load(k) => {
                    operands_invariant
                        && !body.iter().any(|&w| may_clobber(f, &f.inst(w).kind, k, shapes_fixed))
                }
                _ => false,
            };
            if movable {
                let mut cursor = FuncCursor::new(f);
                cursor.goto_before_terminator(preheader);
                cursor.move_inst(i);
                if let Some(r) = f.inst(i).result {
                    moved[r.index()] = true;
                }
            }
        }
    }
}

fn is_constant(kind: &InstKind) -> bool {
    matches!(
        kind,
        InstKind::Nil | InstKind::Bool(_) | InstKind::Number(_) | InstKind::Str(_) | InstKind::Object(_)
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
