//! Inlining: a direct call of a small function is replaced by a copy of
//! the callee's specialized code.
//!
//! ```text
//! block1:                              block1:
//!     v7 = call_direct ... v3, v4 @2       jump block9
//!     v8 = ...                         block9 inlined in0:         ; the callee's entry
//!                              ==>         ... the callee, its values renumbered ...
//!                                          jump block11(v30)       ; was `return v30`
//!                                      block11(v7: val):           ; the rest of block1
//!                                          v8 = ...
//! ```
//!
//! The callee's blocks belong to a new entry of [`Function::inlined`]
//! (what the code generator needs for an error's trace: the callee's line,
//! then the call's). Its guards keep their frame states, renumbered, and
//! become *inlined states*: the callee's frame is rebuilt from them (the
//! callee's original value numbers are its slots), under a new state of
//! the caller's frame that names the call, so that a deoptimized callee
//! returns into an interpreted caller, which goes on after the call.
//!
//! Callees are specialized (and their own calls inlined) before they are
//! copied, from the same observations; depth and size budgets bound the
//! work. Calls in deeper loops are inlined first, so that code that runs
//! once (a loop's set-up) does not use up the budget of the loop. The callee's `load_capture`s read the call's callee
//! (`closure_capture`).
//!
//! The callee's values are new, and only its result (the call's original
//! value, now the parameter of the block after the call) leaves its
//! blocks, so the values that cross blocks of the caller stay original.

use crate::{CallTarget, Oracle, speculate};
use brine_ir::{
    Block, BlockData, ControlFlowGraph, DominatorTree, FrameState, FuncId, Function, InlineId, InlinedCall,
    InlinedState, Inst, InstData, InstKind, Liveness, LoopAnalysis, Module, StateId, Type, Value, ValueData,
    ValueDef,
};
use std::collections::HashMap;

/// The largest callee inlined, in instructions of its unspecialized IR.
pub const MAX_CALLEE_INSTS: usize = 60;
/// How deep inlined calls nest.
pub const MAX_DEPTH: u32 = 3;
/// How large inlining may make a function, in instructions.
pub const MAX_INLINED_INSTS: usize = 800;

pub(crate) fn size(f: &Function) -> usize {
    f.layout.iter().map(|&b| f.block(b).insts.len()).sum()
}

/// Inlines the direct calls of `f`, a specialized copy of `func`.
pub fn run(module: &Module, func: &Function, f: &mut Function, oracle: &dyn Oracle) {
    inline_calls(module, func, f, oracle, 0);
}

fn inline_calls(module: &Module, func: &Function, f: &mut Function, oracle: &dyn Oracle, depth: u32) {
    if depth >= MAX_DEPTH {
        return;
    }
    let mut liveness = None;
    let origins = call_origins(func);
    // Calls in the deepest loops first: they get the size budget.
    let cfg = ControlFlowGraph::with_function(f);
    let domtree = DominatorTree::with_function(f, &cfg);
    let loops = LoopAnalysis::with_function(f, &cfg, &domtree);
    let mut calls: Vec<(u32, Inst)> = f
        .layout
        .iter()
        .flat_map(|&b| f.block(b).insts.iter().map(move |&i| (b, i)))
        .filter(|&(_, i)| matches!(f.inst(i).kind, InstKind::CallDirect { .. }))
        .map(|(b, i)| (loops.loop_depth(b), i))
        .collect();
    calls.sort_by_key(|&(depth, _)| std::cmp::Reverse(depth));
    for (_, inst) in calls {
        let InstKind::CallDirect { function, site, ref args, .. } = f.inst(inst).kind else { continue };
        let argc = args.len();
        // The original call: its place names the caller's frame after it.
        let Some(&Some((b, index))) = origins.get(&site) else { continue };
        let Some(target) = direct_target(oracle, site, function) else { continue };
        let callee = module.function(target);
        // The splice binds the callee's parameters to the call's arguments:
        // observations that disagree (a bug) leave the call as it is.
        if callee.arity as usize != argc {
            debug_assert!(false, "a direct call of {argc} arguments to {target} of arity {}", callee.arity);
            continue;
        }
        if !inlinable(callee) || size(f) + size(callee) > MAX_INLINED_INSTS {
            continue;
        }
        let mut g = speculate::run(callee, oracle);
        inline_calls(module, callee, &mut g, oracle, depth + 1);
        let liveness = liveness.get_or_insert_with(|| Liveness::compute(func));
        let caller = after_call_state(f, func, liveness, b, index);
        splice(f, inst, &g, target, site, caller);
    }
}

/// Where the call, invoke or super invoke of each site is in `func`: a
/// direct call made from it (one of several, for a polymorphic invoke)
/// has its site. `None` for a site that more than one instruction has.
fn call_origins(func: &Function) -> HashMap<brine_ir::SiteId, Option<(Block, usize)>> {
    let mut origins = HashMap::new();
    for &b in &func.layout {
        for (index, &inst) in func.block(b).insts.iter().enumerate() {
            let site = match func.inst(inst).kind {
                InstKind::Call { site, .. }
                | InstKind::Invoke { site, .. }
                | InstKind::SuperInvoke { site, .. }
                | InstKind::GetIndex { site, .. }
                | InstKind::SetIndex { site, .. } => site,
                _ => continue,
            };
            origins.entry(site).and_modify(|o| *o = None).or_insert(Some((b, index)));
        }
    }
    origins
}

/// The IR function a direct call at `site` of prototype `function` runs,
/// as the observations that made it direct say.
fn direct_target(oracle: &dyn Oracle, site: brine_ir::SiteId, function: u64) -> Option<FuncId> {
    let mut candidates = oracle.methods(site);
    candidates.extend(oracle.method(site));
    candidates.extend(oracle.super_method(site).map(|(_, m)| m));
    if let Some(crate::IndexTarget::Map(m)) = oracle.index(site) {
        candidates.push(m);
    }
    match oracle.callee(site) {
        Some(CallTarget::Function(m)) => candidates.push(m),
        Some(CallTarget::Class { init, .. }) => candidates.extend(init),
        None => {}
    }
    candidates.into_iter().find(|m| m.function == function).map(|m| m.func)
}

/// Whether a callee can be inlined at all: small, and no jump back to its
/// entry block (whose parameters become the call's
/// operands).
pub(crate) fn inlinable(callee: &Function) -> bool {
    if size(callee) > MAX_CALLEE_INSTS {
        return false;
    }
    let entry = callee.entry();
    callee.layout.iter().all(|&b| {
        callee
            .terminator(b)
            .is_some_and(|t| callee.inst(t).kind.successors().iter().all(|(d, _)| *d != entry))
    })
}

/// A frame state of `f`'s own frame at the call, instruction `index` of
/// block `b` of `func`, for a callee that deoptimizes: the caller resumes
/// after the call with the callee's result, so it lists what is live after
/// the call but the call's result.
fn after_call_state(
    f: &mut Function,
    func: &Function,
    liveness: &Liveness,
    b: Block,
    index: usize,
) -> StateId {
    let entry_params = &func.block(func.entry()).params[..2];
    let result = func.inst(func.block(b).insts[index]).result;
    let mut live = entry_params.to_vec();
    live.extend(
        liveness
            .live_before(func, b, index + 1)
            .into_iter()
            .filter(|v| !entry_params.contains(v) && Some(*v) != result),
    );
    let id = StateId::new(f.states.len());
    f.states.push(FrameState::new(b, index as u32, live));
    id
}

/// Replaces the call `call` of `f` by a copy of `g`, the specialized code
/// of function `callee`, called at `site`; `caller` is the state of the
/// caller's frame after the call.
pub(crate) fn splice(
    f: &mut Function,
    call: Inst,
    g: &Function,
    callee: FuncId,
    site: brine_ir::SiteId,
    caller: StateId,
) {
    let (b, pos) = brine_ir::cursor::inst_position(f, call).expect("the call is in the layout");
    let InstKind::CallDirect { callee: closure, this, args, .. } = f.inst(call).kind.clone() else {
        unreachable!("only direct calls are inlined")
    };
    let result = f.inst(call).result.expect("a call has a result");

    // Frames: the callee's, then those inlined into it.
    let frame = InlineId::new(f.inlined.len());
    f.inlined.push(InlinedCall { func: callee, site, parent: f.block(b).frame });
    let map_frame = |k: InlineId| InlineId::new(frame.index() + 1 + k.index());
    for c in &g.inlined {
        f.inlined.push(InlinedCall {
            func: c.func,
            site: c.site,
            parent: Some(c.parent.map_or(frame, map_frame)),
        });
    }

    // Values: the entry's parameters are the call's operands.
    let mut values: Vec<Option<Value>> = vec![None; g.values.len()];
    let g_entry = g.entry();
    let operands = [closure, this].into_iter().chain(args);
    for (&p, v) in g.block(g_entry).params.iter().zip(operands) {
        values[p.index()] = Some(v);
    }
    for (i, data) in g.values.iter().enumerate() {
        if values[i].is_none() {
            values[i] = Some(Value::new(f.values.len()));
            // The definition is set when its block or instruction is made.
            f.values.push(ValueData { ty: data.ty, def: data.def });
        }
    }
    let value = |v: Value| values[v.index()].expect("every value is mapped");

    // States: the callee's frames hang from the caller's state at the call.
    let first_state = f.states.len();
    for s in &g.states {
        let inlined = match &s.inlined {
            None => InlinedState { func: callee, slots: s.live.clone(), caller },
            Some(i) => InlinedState {
                func: i.func,
                slots: i.slots.clone(),
                caller: StateId::new(first_state + i.caller.index()),
            },
        };
        let live = s.live.iter().map(|&v| value(v)).collect();
        f.states.push(FrameState {
            block: s.block,
            index: s.index,
            live,
            inlined: Some(inlined),
            objects: Vec::new(),
        });
    }

    // Blocks: a copy of each of the callee's, then the rest of `b`.
    let mut blocks: Vec<Option<Block>> = vec![None; g.blocks.len()];
    for &gb in &g.layout {
        blocks[gb.index()] = Some(Block::new(f.blocks.len()));
        let params =
            if gb == g_entry { Vec::new() } else { g.block(gb).params.iter().map(|&p| value(p)).collect() };
        for (i, &p) in params.iter().enumerate() {
            f.values[p.index()].def = ValueDef::Param(Block::new(f.blocks.len()), i as u32);
        }
        let frame = Some(g.block(gb).frame.map_or(frame, map_frame));
        f.blocks.push(BlockData { params, insts: Vec::new(), frame });
    }
    let cont = Block::new(f.blocks.len());
    let rest = f.blocks[b.index()].insts.split_off(pos + 1);
    f.blocks.push(BlockData { params: vec![result], insts: rest, frame: f.block(b).frame });
    f.values[result.index()] = ValueData { ty: Type::Val, def: ValueDef::Param(cont, 0) };
    let block = |gb: Block| blocks[gb.index()].expect("every block is mapped");

    for &gb in &g.layout {
        for &gi in &g.block(gb).insts {
            let data = g.inst(gi);
            let mut kind = data.kind.clone().map_args(value);
            match &mut kind {
                InstKind::Jump { dest, .. } => *dest = block(*dest),
                InstKind::Branch { then_dest, else_dest, .. } => {
                    *then_dest = block(*then_dest);
                    *else_dest = block(*else_dest);
                }
                InstKind::Return { value } => kind = InstKind::Jump { dest: cont, args: vec![*value] },
                // The callee's captures are its closure's, the call's callee.
                InstKind::LoadCapture { index } => kind = InstKind::ClosureCapture { closure, index: *index },
                _ => {}
            }
            if let Some(state) = kind.guard_state_mut() {
                *state = StateId::new(first_state + state.index());
            }
            let inst = Inst::new(f.insts.len());
            let result = data.result.map(value);
            if let Some(r) = result {
                f.values[r.index()].def = ValueDef::Result(inst);
            }
            f.insts.push(InstData { kind, result });
            f.blocks[block(gb).index()].insts.push(inst);
        }
    }

    // The call becomes the jump into the callee's code.
    f.insts[call.index()] =
        InstData { kind: InstKind::Jump { dest: block(g_entry), args: Vec::new() }, result: None };
    let at = f.layout.iter().position(|&x| x == b).expect("the call's block is in the layout");
    let new_blocks = g.layout.iter().map(|&gb| block(gb)).chain([cont]);
    f.layout.splice(at + 1..at + 1, new_blocks);
}
