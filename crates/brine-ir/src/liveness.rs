//! Liveness of SSA values: which values a point of a function still needs.
//! The optimizer's frame states list exactly these, so that a deoptimized
//! frame holds every value the rest of the activation reads; an
//! on-stack-replacement entry loads those live into its loop header (with
//! the values guards' frame states hold counted as uses).
//!
//! Backward dataflow over blocks: a value is live into a block if the block
//! uses it before defining it (block parameters are definitions; branch
//! arguments are uses at the terminator), or if it is live out of the block
//! and not defined there.

use crate::{Block, ControlFlowGraph, Function, Value};

/// A set of values, as bits.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Set(Vec<u64>);

impl Set {
    fn new(n: usize) -> Set {
        Set(vec![0; n.div_ceil(64)])
    }
    fn insert(&mut self, v: Value) {
        self.0[v.index() / 64] |= 1 << (v.index() % 64);
    }
    fn remove(&mut self, v: Value) {
        self.0[v.index() / 64] &= !(1 << (v.index() % 64));
    }
    fn contains(&self, v: Value) -> bool {
        self.0[v.index() / 64] & (1 << (v.index() % 64)) != 0
    }
    /// `self |= other`; whether anything was added.
    fn union(&mut self, other: &Set) -> bool {
        let mut changed = false;
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            let new = *a | b;
            changed |= new != *a;
            *a = new;
        }
        changed
    }
    fn values(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for (w, &bits) in self.0.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let i = bits.trailing_zeros() as usize;
                out.push(Value::new(w * 64 + i));
                bits &= bits - 1;
            }
        }
        out
    }
}

/// The values live out of each block of a function.
pub struct Liveness {
    live_in: Vec<Set>,
    live_out: Vec<Set>,
    states: bool,
}

impl Liveness {
    /// The liveness of `f`'s values, as the unspecialized function reads
    /// them.
    pub fn compute(f: &Function) -> Liveness {
        Liveness::compute_in(f, false)
    }

    /// The liveness of `f`'s values, where a guard also reads the values
    /// its frame state lists (what specialized code keeps for a guard
    /// that fails).
    pub fn with_frame_states(f: &Function) -> Liveness {
        Liveness::compute_in(f, true)
    }

    fn compute_in(f: &Function, states: bool) -> Liveness {
        let n = f.values.len();
        let cfg = ControlFlowGraph::with_function(f);
        let mut upward = vec![Set::new(n); f.blocks.len()];
        let mut defs = vec![Set::new(n); f.blocks.len()];
        for &b in &f.layout {
            let (ue, d) = (&mut upward[b.index()], &mut defs[b.index()]);
            for &p in &f.block(b).params {
                d.insert(p);
            }
            for &i in &f.block(b).insts {
                let mut used = |v: Value| {
                    if !d.contains(v) {
                        ue.insert(v);
                    }
                };
                f.inst(i).kind.for_each_arg(&mut used);
                if states && let Some(state) = f.inst(i).kind.guard_state() {
                    f.state_values(state).into_iter().for_each(used);
                }
                if let Some(r) = f.inst(i).result {
                    d.insert(r);
                }
            }
        }
        let mut live_in = upward.clone();
        let mut live_out = vec![Set::new(n); f.blocks.len()];
        // Postorder (the reverse of the RPO) converges fastest backwards.
        let order: Vec<Block> = cfg.reverse_postorder().iter().rev().copied().collect();
        let mut changed = true;
        while changed {
            changed = false;
            for &b in &order {
                let mut out = Set::new(n);
                for &s in cfg.successors(b) {
                    out.union(&live_in[s.index()]);
                }
                let mut inn = out.clone();
                for (x, d) in inn.0.iter_mut().zip(&defs[b.index()].0) {
                    *x &= !d;
                }
                inn.union(&upward[b.index()]);
                live_out[b.index()] = out;
                if inn != live_in[b.index()] {
                    live_in[b.index()] = inn;
                    changed = true;
                }
            }
        }
        Liveness { live_in, live_out, states }
    }

    /// The values live into block `b`.
    pub fn live_in(&self, b: Block) -> Vec<Value> {
        self.live_in[b.index()].values()
    }

    /// What an interpreter frame entered at loop header `header` from a
    /// back edge must hold, in this order: the header's parameters (the
    /// back edge's arguments), the callee and `this` (the entry block's
    /// first two parameters, which the interpreter reads for captures and
    /// traces whether or not they are live), then every other value live
    /// into the header.
    pub fn loop_entry_values(&self, f: &Function, header: Block) -> Vec<Value> {
        let mut values = f.block(header).params.clone();
        for &v in &f.block(f.entry()).params[..2] {
            if !values.contains(&v) {
                values.push(v);
            }
        }
        let live = self.live_in(header);
        values.extend(live.into_iter().filter(|v| !f.block(header).params.contains(v) && v.index() >= 2));
        values
    }

    /// The values live just before instruction `index` of block `b`: read
    /// by it or by anything after it, and defined before it.
    pub fn live_before(&self, f: &Function, b: Block, index: usize) -> Vec<Value> {
        let mut live = self.live_out[b.index()].clone();
        for &i in f.block(b).insts[index..].iter().rev() {
            if let Some(r) = f.inst(i).result {
                live.remove(r);
            }
            f.inst(i).kind.for_each_arg(|v| live.insert(v));
            if self.states
                && let Some(state) = f.inst(i).kind.guard_state()
            {
                f.state_values(state).into_iter().for_each(|v| live.insert(v));
            }
        }
        live.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse_module;

    #[test]
    fn loop_values_are_live_around_the_back_edge() {
        let m = parse_module(
            "function f0 \"sum\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = number 0.0
    v4 = number 0.0
    jump block1(v4, v3)
block1(v5: val, v9: val):
    v7 = lt v5, v2 @0  ; line 3
    v8 = truthy v7
    branch v8, block2, block3
block2:
    v10 = add v9, v5 @1  ; line 4
    v11 = number 1.0
    v12 = add v5, v11 @2  ; line 3
    jump block1(v12, v10)
block3:
    return v9
}
",
        )
        .unwrap();
        let f = &m.functions[0];
        let live = Liveness::compute(f);
        let v = |n: usize| Value::new(n);
        // Before `v7 = lt v5, v2`: the loop's values and its bound.
        assert_eq!(live.live_before(f, Block::new(1), 0), vec![v(2), v(5), v(9)]);
        // Before `v12 = add v5, v11`: v10 and v11 are needed too, v9 no more.
        assert_eq!(live.live_before(f, Block::new(2), 2), vec![v(2), v(5), v(10), v(11)]);
        // Before the return only the total.
        assert_eq!(live.live_before(f, Block::new(3), 0), vec![v(9)]);
        // At entry: only the argument (v0 and v1 are never read).
        assert_eq!(live.live_before(f, Block::new(0), 0), vec![v(2)]);
    }
}
