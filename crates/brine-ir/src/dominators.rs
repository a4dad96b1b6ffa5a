//! The dominator tree of a function.
//!
//! Block `a` dominates block `b` when every path from the entry to `b` goes
//! through `a`. The immediate dominators are computed with the iterative
//! algorithm of Cooper, Harvey and Kennedy, "A Simple, Fast Dominance
//! Algorithm" (2001), over the reverse postorder of the
//! [`ControlFlowGraph`]. A preorder numbering of the tree then answers
//! `dominates` in constant time, as Cranelift's `DominatorTreePreorder` does.
//!
//! Unreachable blocks are not in the tree: they have no immediate dominator,
//! no RPO number and no children, and dominate (and are dominated by) only
//! themselves. That is the rule the [`crate::verifier`] applies to uses,
//! except that it also rejects an unreachable block's uses of its own
//! parameters, which [`DominatorTree::value_dominates`] accepts.
//!
//! The block-level facts are a snapshot of the CFG; recompute the tree after
//! changing edges. Instruction-level queries read the instruction order from
//! the function they are given, so they stay right after instructions are
//! inserted, removed or moved without changing the CFG.

use crate::cfg::ControlFlowGraph;
use crate::entities::{Block, Inst, Value};
use crate::function::{Function, ValueDef};

/// Marks a block without an RPO number (unreachable).
const NO_NUMBER: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Node {
    /// The immediate dominator; `None` for the entry and unreachable blocks.
    idom: Option<Block>,
    /// Position in the reverse postorder, or `NO_NUMBER`.
    rpo_number: u32,
    /// Children in the dominator tree, in reverse postorder.
    children: Vec<Block>,
    /// Position in the tree's preorder, or `NO_NUMBER`.
    pre: u32,
    /// The largest preorder number in this block's subtree.
    pre_max: u32,
}

impl Default for Node {
    fn default() -> Node {
        Node { idom: None, rpo_number: NO_NUMBER, children: Vec::new(), pre: NO_NUMBER, pre_max: 0 }
    }
}

/// The dominator tree of a function.
#[derive(Clone, Debug, Default)]
pub struct DominatorTree {
    nodes: Vec<Node>,
    rpo: Vec<Block>,
    preorder: Vec<Block>,
    /// Where each instruction was when the tree was computed: a hint for
    /// [`DominatorTree::inst_position`], checked against the function.
    inst_hint: Vec<Option<(Block, u32)>>,
}

impl DominatorTree {
    /// The dominator tree of `func`, whose graph is `cfg`.
    pub fn with_function(func: &Function, cfg: &ControlFlowGraph) -> DominatorTree {
        let mut tree = DominatorTree::default();
        tree.compute(func, cfg);
        tree
    }

    /// Recomputes the tree for `func`, whose graph is `cfg`.
    pub fn compute(&mut self, func: &Function, cfg: &ControlFlowGraph) {
        let n = func.blocks.len();
        self.nodes.clear();
        self.nodes.resize(n, Node::default());
        self.rpo.clear();
        self.rpo.extend_from_slice(cfg.reverse_postorder());
        for (i, &b) in self.rpo.iter().enumerate() {
            self.nodes[b.index()].rpo_number = i as u32;
        }
        self.compute_idoms(cfg);
        self.compute_children_and_preorder();
        self.inst_hint.clear();
        self.inst_hint.resize(func.insts.len(), None);
        for &b in &func.layout {
            for (i, &inst) in func.block(b).insts.iter().enumerate() {
                self.inst_hint[inst.index()] = Some((b, i as u32));
            }
        }
    }

    /// Cooper–Harvey–Kennedy: iterate `idom(b) = intersect(processed preds)`
    /// in reverse postorder until nothing changes. The entry's idom is kept
    /// as itself while iterating, and cleared at the end.
    fn compute_idoms(&mut self, cfg: &ControlFlowGraph) {
        let Some(&entry) = self.rpo.first() else { return };
        self.nodes[entry.index()].idom = Some(entry);
        let mut changed = true;
        while changed {
            changed = false;
            for i in 1..self.rpo.len() {
                let b = self.rpo[i];
                let mut new_idom: Option<Block> = None;
                for pred in cfg.predecessors(b) {
                    let p = pred.block;
                    // Skip unreachable predecessors and those not processed yet.
                    if self.nodes[p.index()].idom.is_none() {
                        continue;
                    }
                    new_idom = Some(match new_idom {
                        None => p,
                        Some(d) => self.intersect(d, p),
                    });
                }
                if new_idom.is_some() && self.nodes[b.index()].idom != new_idom {
                    self.nodes[b.index()].idom = new_idom;
                    changed = true;
                }
            }
        }
        self.nodes[entry.index()].idom = None;
    }

    /// The nearest common ancestor of two processed blocks during
    /// `compute_idoms` (the entry's idom is itself then).
    fn intersect(&self, mut a: Block, mut b: Block) -> Block {
        while a != b {
            while self.nodes[a.index()].rpo_number > self.nodes[b.index()].rpo_number {
                a = self.nodes[a.index()].idom.expect("processed block");
            }
            while self.nodes[b.index()].rpo_number > self.nodes[a.index()].rpo_number {
                b = self.nodes[b.index()].idom.expect("processed block");
            }
        }
        a
    }

    fn compute_children_and_preorder(&mut self) {
        // Children in reverse postorder: iterate blocks in RPO.
        for i in 1..self.rpo.len() {
            let b = self.rpo[i];
            let parent = self.nodes[b.index()].idom.expect("reachable block has an idom");
            self.nodes[parent.index()].children.push(b);
        }
        self.preorder.clear();
        let Some(&entry) = self.rpo.first() else { return };
        // Iterative preorder; a block's subtree ends where the next block
        // that is not its descendant starts.
        let mut stack = vec![entry];
        while let Some(b) = stack.pop() {
            self.nodes[b.index()].pre = self.preorder.len() as u32;
            self.preorder.push(b);
            stack.extend(self.nodes[b.index()].children.iter().rev());
        }
        // Subtree ends, children before parents (reverse preorder).
        for i in (0..self.preorder.len()).rev() {
            let b = self.preorder[i];
            let node = &self.nodes[b.index()];
            let max = node.children.iter().map(|c| self.nodes[c.index()].pre_max).max().unwrap_or(node.pre);
            self.nodes[b.index()].pre_max = max;
        }
    }

    fn node(&self, block: Block) -> Option<&Node> {
        self.nodes.get(block.index())
    }

    // ---- blocks ------------------------------------------------------------------

    /// Whether the entry reaches `block`.
    pub fn is_reachable(&self, block: Block) -> bool {
        self.rpo_number(block).is_some()
    }

    /// The immediate dominator of `block`: `None` for the entry and for
    /// unreachable blocks.
    pub fn idom(&self, block: Block) -> Option<Block> {
        self.node(block).and_then(|n| n.idom)
    }

    /// The position of `block` in the reverse postorder (the entry is 0), or
    /// `None` if it is unreachable.
    pub fn rpo_number(&self, block: Block) -> Option<u32> {
        self.node(block).map(|n| n.rpo_number).filter(|&n| n != NO_NUMBER)
    }

    /// The reachable blocks in reverse postorder (the order the tree was
    /// computed in).
    pub fn reverse_postorder(&self) -> &[Block] {
        &self.rpo
    }

    /// The blocks `block` immediately dominates, in reverse postorder.
    pub fn children(&self, block: Block) -> &[Block] {
        self.node(block).map_or(&[], |n| n.children.as_slice())
    }

    /// The reachable blocks in a preorder of the dominator tree (children in
    /// reverse postorder): every block after its dominators, and each
    /// subtree contiguous. The order a dominator-scoped pass (GVN, say) walks.
    pub fn preorder(&self) -> &[Block] {
        &self.preorder
    }

    /// Whether `a` dominates `b`. Every block dominates itself; otherwise
    /// both must be reachable.
    pub fn dominates(&self, a: Block, b: Block) -> bool {
        if a == b {
            return true;
        }
        match (self.node(a), self.node(b)) {
            (Some(na), Some(nb)) if na.pre != NO_NUMBER && nb.pre != NO_NUMBER => {
                na.pre <= nb.pre && nb.pre <= na.pre_max
            }
            _ => false,
        }
    }

    /// Whether `a` dominates `b` and is not `b`.
    pub fn strictly_dominates(&self, a: Block, b: Block) -> bool {
        a != b && self.dominates(a, b)
    }

    /// The nearest block that dominates both `a` and `b`, or `None` if one
    /// of them is unreachable.
    pub fn common_dominator(&self, mut a: Block, mut b: Block) -> Option<Block> {
        if !self.is_reachable(a) || !self.is_reachable(b) {
            return None;
        }
        while !self.dominates(a, b) {
            // `a` is not an ancestor of `b`: climb from the deeper-numbered one.
            if self.nodes[a.index()].pre > self.nodes[b.index()].pre {
                a = self.nodes[a.index()].idom?;
            } else {
                b = self.nodes[b.index()].idom?;
            }
        }
        Some(a)
    }

    // ---- instructions and values ---------------------------------------------------

    /// The block holding `inst` in `func`'s layout, and its index there, or
    /// `None` if `inst` is not in a block of the layout. Uses where the
    /// instruction was when the tree was computed as a hint (its block is
    /// taken to still be in the layout), and searches the function when the
    /// hint is stale.
    pub fn inst_position(&self, func: &Function, inst: Inst) -> Option<(Block, usize)> {
        if let Some(Some((b, i))) = self.inst_hint.get(inst.index()).copied()
            && let Some(data) = func.blocks.get(b.index())
        {
            if data.insts.get(i as usize) == Some(&inst) {
                return Some((b, i as usize));
            }
            // Usually still in the same block, shifted by edits.
            if let Some(i) = data.insts.iter().position(|&x| x == inst) {
                return Some((b, i));
            }
        }
        crate::cursor::inst_position(func, inst)
    }

    /// Whether instruction `a` dominates instruction `b` in `func`: `a` comes
    /// first in the same block (an instruction dominates itself), or `a`'s
    /// block strictly dominates `b`'s. False if either is not in the layout.
    pub fn dominates_inst(&self, func: &Function, a: Inst, b: Inst) -> bool {
        match (self.inst_position(func, a), self.inst_position(func, b)) {
            (Some((ba, ia)), Some((bb, ib))) => {
                if ba == bb {
                    ia <= ib
                } else {
                    self.dominates(ba, bb)
                }
            }
            _ => false,
        }
    }

    /// Whether the definition of `value` dominates instruction `user`, so
    /// that `user` may use it: a block parameter, if its block dominates
    /// `user`'s; an instruction result, if its instruction comes strictly
    /// before `user` (an instruction cannot use its own result).
    pub fn value_dominates(&self, func: &Function, value: Value, user: Inst) -> bool {
        let Some((ub, ui)) = self.inst_position(func, user) else { return false };
        match func.values.get(value.index()).map(|d| d.def) {
            None => false,
            Some(ValueDef::Param(pb, _)) => self.dominates(pb, ub),
            Some(ValueDef::Result(def)) => match self.inst_position(func, def) {
                None => false,
                Some((db, di)) if db == ub => di < ui,
                Some((db, _)) => self.dominates(db, ub),
            },
        }
    }

    /// Whether `value` is available at the top of `block`, before its first
    /// instruction: its definition is one of `block`'s parameters, in a
    /// block that strictly dominates it, or is a parameter of a dominator.
    pub fn value_dominates_block(&self, func: &Function, value: Value, block: Block) -> bool {
        match func.values.get(value.index()).map(|d| d.def) {
            None => false,
            Some(ValueDef::Param(pb, _)) => self.dominates(pb, block),
            Some(ValueDef::Result(def)) => match self.inst_position(func, def) {
                None => false,
                Some((db, _)) => self.strictly_dominates(db, block),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfg::tests::{blocks, shape};
    use crate::inst::InstKind;

    fn domtree(f: &Function) -> DominatorTree {
        DominatorTree::with_function(f, &ControlFlowGraph::with_function(f))
    }

    fn idoms(t: &DominatorTree, n: u32) -> Vec<Option<u32>> {
        (0..n).map(|b| t.idom(Block(b)).map(|d| d.0)).collect()
    }

    /// The verifier's own computation, for cross-checking.
    fn verifier_idoms(f: &Function) -> Vec<Option<u32>> {
        let entry = f.entry();
        crate::verifier::dominators(f)
            .into_iter()
            .enumerate()
            .map(|(i, d)| if Block::new(i) == entry { None } else { d.map(|d| d.0) })
            .collect()
    }

    #[test]
    fn diamond() {
        // 0 -> 1, 2; 1 -> 3; 2 -> 3
        let f = shape(&[&[1, 2], &[3], &[3], &[]]);
        let t = domtree(&f);
        assert_eq!(idoms(&t, 4), vec![None, Some(0), Some(0), Some(0)]);
        assert_eq!(idoms(&t, 4), verifier_idoms(&f));
        assert_eq!(t.children(Block(0)), blocks(&[2, 1, 3]).as_slice());
        assert!(t.children(Block(1)).is_empty());
        assert_eq!(t.preorder(), blocks(&[0, 2, 1, 3]).as_slice());
        assert_eq!(t.reverse_postorder(), blocks(&[0, 2, 1, 3]).as_slice());
        assert_eq!(t.rpo_number(Block(0)), Some(0));
        assert_eq!(t.rpo_number(Block(3)), Some(3));
        assert_eq!(t.rpo_number(Block(1)), Some(2));
        assert!(t.dominates(Block(0), Block(3)));
        assert!(t.dominates(Block(3), Block(3)));
        assert!(!t.strictly_dominates(Block(3), Block(3)));
        assert!(!t.dominates(Block(1), Block(3)));
        assert!(!t.dominates(Block(2), Block(3)));
        assert!(!t.dominates(Block(3), Block(0)));
        assert_eq!(t.common_dominator(Block(1), Block(2)), Some(Block(0)));
        assert_eq!(t.common_dominator(Block(1), Block(1)), Some(Block(1)));
        assert_eq!(t.common_dominator(Block(3), Block(0)), Some(Block(0)));
    }

    #[test]
    fn nested_loops() {
        // 0 -> 1; 1 -> 2, 5 (outer header); 2 -> 3, 4 (inner header);
        // 3 -> 2 (inner latch); 4 -> 1 (outer latch); 5 returns.
        let f = shape(&[&[1], &[2, 5], &[3, 4], &[2], &[1], &[]]);
        let t = domtree(&f);
        assert_eq!(idoms(&t, 6), vec![None, Some(0), Some(1), Some(2), Some(2), Some(1)]);
        assert_eq!(idoms(&t, 6), verifier_idoms(&f));
        assert!(t.dominates(Block(1), Block(4)));
        assert!(t.dominates(Block(2), Block(3)));
        assert!(!t.dominates(Block(3), Block(4)));
        assert!(!t.dominates(Block(5), Block(2)));
        // Preorder: parents first, each subtree contiguous.
        let pre = t.preorder();
        assert_eq!(pre.len(), 6);
        assert_eq!(pre[0], Block(0));
        for &b in pre {
            if let Some(d) = t.idom(b) {
                let pos = |x: Block| pre.iter().position(|&y| y == x).unwrap();
                assert!(pos(d) < pos(b));
            }
        }
        assert_eq!(t.children(Block(1)), blocks(&[5, 2]).as_slice());
        assert_eq!(t.children(Block(2)), blocks(&[4, 3]).as_slice());
    }

    #[test]
    fn irreducible_cycle() {
        // 0 -> 1, 2; 1 -> 2, 3; 2 -> 1: the cycle {1, 2} has two entries,
        // so neither dominates the other.
        let f = shape(&[&[1, 2], &[2, 3], &[1], &[]]);
        let t = domtree(&f);
        assert_eq!(idoms(&t, 4), vec![None, Some(0), Some(0), Some(1)]);
        assert_eq!(idoms(&t, 4), verifier_idoms(&f));
        assert!(!t.dominates(Block(1), Block(2)));
        assert!(!t.dominates(Block(2), Block(1)));
        assert!(t.dominates(Block(1), Block(3)));
    }

    #[test]
    fn cycle_entered_from_both_arms() {
        // 0 -> 1, 2; 1 -> 3; 2 -> 4; 3 -> 4, 5; 4 -> 3; 5 returns. The cycle
        // {3, 4} is entered at both blocks: both have idom 0.
        let f = shape(&[&[1, 2], &[3], &[4], &[4, 5], &[3], &[]]);
        let t = domtree(&f);
        assert_eq!(idoms(&t, 6), vec![None, Some(0), Some(0), Some(0), Some(0), Some(3)]);
        assert_eq!(idoms(&t, 6), verifier_idoms(&f));
    }

    #[test]
    fn unreachable_blocks() {
        // 0 -> 1; 1 returns; 2 -> 1 and 3 -> 2 are unreachable; 4 jumps to itself.
        let f = shape(&[&[1], &[], &[1], &[2], &[4]]);
        let t = domtree(&f);
        assert_eq!(idoms(&t, 5), vec![None, Some(0), None, None, None]);
        for b in [2, 3, 4] {
            let b = Block(b);
            assert!(!t.is_reachable(b));
            assert_eq!(t.rpo_number(b), None);
            assert!(t.children(b).is_empty());
            assert!(t.dominates(b, b));
            assert!(!t.dominates(Block(0), b));
            assert!(!t.dominates(b, Block(1)));
            assert_eq!(t.common_dominator(b, Block(1)), None);
        }
        assert!(!t.dominates(Block(3), Block(2)));
        assert_eq!(t.preorder(), blocks(&[0, 1]).as_slice());
        assert_eq!(t.children(Block(0)), blocks(&[1]).as_slice());
        // Out of the table: unreachable.
        assert!(!t.is_reachable(Block(50)));
        assert_eq!(t.idom(Block(50)), None);
    }

    #[test]
    fn instruction_and_value_dominance() {
        // Diamond; block0 computes c (bool true) and t (truthy c).
        let mut f = shape(&[&[1, 2], &[3], &[3], &[]]);
        let t = domtree(&f);
        let b0 = f.block(Block(0)).insts.clone();
        let (c_inst, truthy_inst, br0) = (b0[0], b0[1], b0[2]);
        let c = f.inst(c_inst).result.unwrap();
        let jump1 = f.terminator(Block(1)).unwrap();
        let jump2 = f.terminator(Block(2)).unwrap();
        let nil3 = f.block(Block(3)).insts[0];
        let nil3_value = f.inst(nil3).result.unwrap();
        let ret3 = f.terminator(Block(3)).unwrap();

        assert!(t.dominates_inst(&f, c_inst, truthy_inst));
        assert!(t.dominates_inst(&f, c_inst, c_inst));
        assert!(!t.dominates_inst(&f, truthy_inst, c_inst));
        assert!(t.dominates_inst(&f, br0, ret3));
        assert!(!t.dominates_inst(&f, jump1, ret3));
        assert!(!t.dominates_inst(&f, jump1, jump2));

        assert!(t.value_dominates(&f, c, truthy_inst));
        assert!(!t.value_dominates(&f, c, c_inst), "an instruction cannot use its own result");
        assert!(t.value_dominates(&f, c, ret3));
        assert!(t.value_dominates(&f, nil3_value, ret3));
        assert!(!t.value_dominates(&f, nil3_value, jump1));
        let callee = f.block(Block(0)).params[0];
        assert!(t.value_dominates(&f, callee, jump2));
        assert!(t.value_dominates(&f, callee, c_inst));

        assert!(t.value_dominates_block(&f, callee, Block(0)));
        assert!(t.value_dominates_block(&f, c, Block(3)));
        assert!(!t.value_dominates_block(&f, c, Block(0)));
        assert!(!t.value_dominates_block(&f, nil3_value, Block(3)));

        // Insert an instruction at the top of block0 by hand: the hints are
        // stale and the answers still right.
        let extra = Inst::new(f.insts.len());
        f.insts.push(crate::InstData { kind: InstKind::Print { value: callee }, result: None });
        f.blocks[0].insts.insert(0, extra);
        assert_eq!(t.inst_position(&f, c_inst), Some((Block(0), 1)));
        assert_eq!(t.inst_position(&f, extra), Some((Block(0), 0)));
        assert!(t.dominates_inst(&f, extra, c_inst));
        assert!(!t.dominates_inst(&f, c_inst, extra));
        assert!(t.value_dominates(&f, c, truthy_inst));
        // Move block3's nil to block1: found by searching.
        f.blocks[3].insts.remove(0);
        f.blocks[1].insts.insert(0, nil3);
        assert_eq!(t.inst_position(&f, nil3), Some((Block(1), 0)));
        assert!(t.value_dominates(&f, nil3_value, jump1));
        assert!(!t.value_dominates(&f, nil3_value, ret3));
        // Removed from every block: dominates nothing.
        f.blocks[1].insts.remove(0);
        assert_eq!(t.inst_position(&f, nil3), None);
        assert!(!t.dominates_inst(&f, nil3, ret3));
        assert!(!t.value_dominates(&f, nil3_value, ret3));
    }

    #[test]
    fn values_in_unreachable_blocks() {
        // 0 returns; 1 (unreachable) computes and returns its own value.
        let f = shape(&[&[], &[]]);
        let t = domtree(&f);
        let nil1 = f.block(Block(1)).insts[0];
        let v = f.inst(nil1).result.unwrap();
        let ret1 = f.terminator(Block(1)).unwrap();
        assert!(t.value_dominates(&f, v, ret1));
        let callee = f.block(Block(0)).params[0];
        assert!(!t.value_dominates(&f, callee, ret1));
    }

    #[test]
    fn recompute_after_edge_change() {
        // 0 -> 1, 2; 1 -> 2; 2 returns. idom(2) = 0, then retarget 0's else
        // arm to 1: idom(2) = 1.
        let mut f = shape(&[&[1, 2], &[2], &[]]);
        let mut t = domtree(&f);
        assert_eq!(t.idom(Block(2)), Some(Block(0)));
        let term = f.terminator(Block(0)).unwrap();
        if let InstKind::Branch { else_dest, .. } = &mut f.insts[term.index()].kind {
            *else_dest = Block(1);
        }
        t.compute(&f, &ControlFlowGraph::with_function(&f));
        assert_eq!(t.idom(Block(2)), Some(Block(1)));
        assert_eq!(t.idom(Block(1)), Some(Block(0)));
        assert!(t.strictly_dominates(Block(1), Block(2)));
    }
}
