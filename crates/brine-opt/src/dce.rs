//! Dead code elimination: pure instructions (and field loads) whose results
//! nothing needs are removed. What is needed: the operands of every instruction that is
//! not pure (effects, errors, guards, terminators), the values a remaining
//! guard's frame state lists, and transitively the operands of needed pure
//! instructions. The frame states no remaining guard uses go too (the
//! others are renumbered in order).

use brine_ir::{Function, InstKind, StateId, Value, ValueDef};

pub fn run(f: &mut Function) {
    let mut needed = vec![false; f.values.len()];
    let mut work: Vec<Value> = Vec::new();
    let need = |v: Value, needed: &mut Vec<bool>, work: &mut Vec<Value>| {
        if !std::mem::replace(&mut needed[v.index()], true) {
            work.push(v);
        }
    };
    for &b in &f.layout {
        for &i in &f.block(b).insts {
            let kind = &f.inst(i).kind;
            if removable(kind) {
                continue;
            }
            kind.for_each_arg(|v| need(v, &mut needed, &mut work));
            if let Some(state) = kind.guard_state() {
                for v in f.state_values(state) {
                    need(v, &mut needed, &mut work);
                }
            }
        }
    }
    while let Some(v) = work.pop() {
        if let ValueDef::Result(i) = f.values[v.index()].def {
            f.inst(i).kind.for_each_arg(|a| need(a, &mut needed, &mut work));
        }
    }
    let layout = f.layout.clone();
    for b in layout {
        let insts = std::mem::take(&mut f.blocks[b.index()].insts);
        f.blocks[b.index()].insts = insts
            .into_iter()
            .filter(|&i| {
                let data = f.inst(i);
                !removable(&data.kind) || data.result.is_some_and(|r| needed[r.index()])
            })
            .collect();
    }
    remove_unused_states(f);
}

/// Drops the frame states that no guard in the layout uses, directly or as
/// the caller of an inlined state, and renumbers the rest in order.
fn remove_unused_states(f: &mut Function) {
    let mut used = vec![false; f.states.len()];
    for &b in &f.layout {
        for &i in &f.block(b).insts {
            let mut state = f.inst(i).kind.guard_state();
            while let Some(s) = state {
                if std::mem::replace(&mut used[s.index()], true) {
                    break;
                }
                state = f.state(s).inlined.as_ref().map(|inl| inl.caller);
            }
        }
    }
    let mut renumbered = vec![None; f.states.len()];
    let mut kept = Vec::new();
    for (i, state) in std::mem::take(&mut f.states).into_iter().enumerate() {
        if used[i] {
            renumbered[i] = Some(StateId::new(kept.len()));
            kept.push(state);
        }
    }
    let new = |s: StateId| renumbered[s.index()].expect("a used state's caller is used");
    for state in &mut kept {
        if let Some(inl) = &mut state.inlined {
            inl.caller = new(inl.caller);
        }
    }
    f.states = kept;
    for data in &mut f.insts {
        if let Some(state) = data.kind.guard_state_mut() {
            // Instructions out of the layout may name dropped states; they are never run.
            *state = renumbered[state.index()].unwrap_or(StateId::new(0));
        }
    }
}

/// Whether an instruction whose result is unused can go: it has no effect.
fn removable(kind: &InstKind) -> bool {
    kind.is_pure() || matches!(kind, InstKind::LoadField { .. })
}
