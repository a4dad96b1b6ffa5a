//! Dead code elimination: pure instructions (and field loads) whose results
//! nothing needs are removed. What is needed: the operands of every instruction that is
//! not pure (effects, errors, guards, terminators), the values a remaining
//! guard's frame state lists, and transitively the operands of needed pure
//! instructions.

use brine_ir::{Function, InstKind, Value, ValueDef};

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
                for &v in &f.state(state).live {
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
}

/// Whether an instruction whose result is unused can go: it has no effect.
fn removable(kind: &InstKind) -> bool {
    kind.is_pure() || matches!(kind, InstKind::LoadField { .. })
}
