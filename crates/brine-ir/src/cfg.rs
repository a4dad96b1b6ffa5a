//! The control flow graph of a function: successors, predecessors, reverse
//! postorder and reachability.
//!
//! Edges come from the terminators of the blocks in [`Function::layout`]: a
//! `jump` has one successor, a `branch` two (one when both arms go to the
//! same block). Each predecessor is recorded with the terminator that makes
//! the edge, as a [`BlockPredecessor`], like Cranelift's.
//!
//! The graph is a snapshot: it describes the function as it was when it was
//! computed. Recompute it after changing a terminator's destinations or the
//! layout.

use crate::entities::{Block, Inst};
use crate::function::Function;

/// A predecessor of a block: the block that jumps to it, and the terminator
/// that does.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct BlockPredecessor {
    pub block: Block,
    pub inst: Inst,
}

/// Successors and predecessors of every block, and the reverse postorder.
#[derive(Clone, Debug, Default)]
pub struct ControlFlowGraph {
    /// Per block: its distinct successors, in the order of its terminator's
    /// destinations.
    succs: Vec<Vec<Block>>,
    /// Per block: the distinct `(block, terminator)` pairs that jump to it,
    /// in layout order.
    preds: Vec<Vec<BlockPredecessor>>,
    /// The blocks reachable from the entry, in reverse postorder.
    rpo: Vec<Block>,
    /// Per block: whether the entry reaches it.
    reachable: Vec<bool>,
}

impl ControlFlowGraph {
    /// The graph of `func`.
    pub fn with_function(func: &Function) -> ControlFlowGraph {
        let mut cfg = ControlFlowGraph::default();
        cfg.compute(func);
        cfg
    }

    /// Recomputes the graph for `func`, reusing the allocations.
    pub fn compute(&mut self, func: &Function) {
        let n = func.blocks.len();
        self.succs.clear();
        self.succs.resize(n, Vec::new());
        self.preds.clear();
        self.preds.resize(n, Vec::new());
        for &block in &func.layout {
            let Some(term) = func.terminator(block) else { continue };
            for (succ, _) in func.inst(term).kind.successors() {
                if !self.succs[block.index()].contains(&succ) {
                    self.succs[block.index()].push(succ);
                    self.preds[succ.index()].push(BlockPredecessor { block, inst: term });
                }
            }
        }
        self.rpo = match func.layout.first() {
            Some(&entry) => dfs_reverse_postorder(entry, n, |b| self.succs[b.index()].iter().copied()),
            None => Vec::new(),
        };
        self.reachable.clear();
        self.reachable.resize(n, false);
        for &b in &self.rpo {
            self.reachable[b.index()] = true;
        }
    }

    /// The distinct successors of `block`, in the order of its terminator's
    /// destinations (`then` before `else`).
    pub fn successors(&self, block: Block) -> &[Block] {
        self.succs.get(block.index()).map_or(&[], Vec::as_slice)
    }

    /// The edges into `block`: each jumping block with its terminator. A
    /// branch whose two arms go to `block` appears once.
    pub fn predecessors(&self, block: Block) -> &[BlockPredecessor] {
        self.preds.get(block.index()).map_or(&[], Vec::as_slice)
    }

    /// The blocks reachable from the entry, in reverse postorder: every block
    /// comes after its dominators, and, except along back edges, after its
    /// predecessors.
    pub fn reverse_postorder(&self) -> &[Block] {
        &self.rpo
    }

    /// Whether the entry reaches `block`.
    pub fn is_reachable(&self, block: Block) -> bool {
        self.reachable.get(block.index()).copied().unwrap_or(false)
    }

    /// The number of blocks the graph was computed for (the size of the
    /// function's block table, including blocks not in the layout).
    pub fn num_blocks(&self) -> usize {
        self.succs.len()
    }
}

/// The blocks reachable from the entry, in reverse postorder: every block
/// after its dominators (definitions before uses).
///
/// This reads the terminators directly; [`ControlFlowGraph::reverse_postorder`]
/// gives the same order without recomputing it.
pub fn reverse_postorder(f: &Function) -> Vec<Block> {
    let succs = |b: Block| {
        f.terminator(b)
            .map(|t| f.inst(t).kind.successors().into_iter().map(|(s, _)| s).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
    };
    dfs_reverse_postorder(f.entry(), f.blocks.len(), succs)
}

/// Depth-first search from `entry` over `succs` (visited in order), without
/// recursion; returns the reverse of the postorder.
fn dfs_reverse_postorder<I: Iterator<Item = Block>>(
    entry: Block,
    num_blocks: usize,
    succs: impl Fn(Block) -> I,
) -> Vec<Block> {
    let mut visited = vec![false; num_blocks];
    let mut order = Vec::new();
    let mut stack = vec![(entry, succs(entry))];
    visited[entry.index()] = true;
    while let Some((block, iter)) = stack.last_mut() {
        match iter.next() {
            Some(s) => {
                if !visited[s.index()] {
                    visited[s.index()] = true;
                    let next = succs(s);
                    stack.push((s, next));
                }
            }
            None => {
                order.push(*block);
                stack.pop();
            }
        }
    }
    order.reverse();
    order
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::builder::FunctionBuilder;
    use crate::function::{FunctionKind, Module};
    use crate::inst::{InstKind, Type};
    use crate::verifier;

    /// A function of `succs.len()` blocks, `block{i}` ending with a `return`
    /// (no successors), a `jump` (one) or a `branch` (two) to the blocks
    /// `succs[i]`. Every block computes what it uses itself, so the function
    /// is valid even with unreachable blocks, which stay in the layout.
    pub(crate) fn shape(succs: &[&[usize]]) -> Function {
        let mut b = FunctionBuilder::new(Function::new(b"f".to_vec(), FunctionKind::Function, 0, 1));
        let blocks: Vec<Block> = succs.iter().map(|_| b.create_block()).collect();
        b.append_block_param(blocks[0], Type::Val);
        b.append_block_param(blocks[0], Type::Val);
        for (i, s) in succs.iter().enumerate() {
            b.switch_to_block(blocks[i]);
            b.seal_block(blocks[i]);
            match **s {
                [] => {
                    let v = b.ins_value(InstKind::Nil);
                    b.ins(InstKind::Return { value: v });
                }
                [d] => {
                    b.ins(InstKind::Jump { dest: blocks[d], args: vec![] });
                }
                [t, e] => {
                    let c = b.ins_value(InstKind::Bool(true));
                    let cond = b.ins_value(InstKind::Truthy(c));
                    b.ins(InstKind::Branch {
                        cond,
                        then_dest: blocks[t],
                        then_args: vec![],
                        else_dest: blocks[e],
                        else_args: vec![],
                    });
                }
                _ => panic!("a block has at most two successors"),
            }
        }
        b.func
    }

    /// `block(i)` for each index.
    pub(crate) fn blocks(ids: &[u32]) -> Vec<Block> {
        ids.iter().map(|&i| Block(i)).collect()
    }

    /// Verifies `f` alone in a module (with one site, for tests that add
    /// dynamic operations).
    pub(crate) fn verify(f: &Function) {
        let mut m = Module::new();
        m.add_site(1);
        m.functions.push(f.clone());
        if let Err(errors) = verifier::verify_module(&m) {
            panic!("verifier errors: {errors:?}");
        }
    }

    fn pred_blocks(cfg: &ControlFlowGraph, b: u32) -> Vec<Block> {
        cfg.predecessors(Block(b)).iter().map(|p| p.block).collect()
    }

    #[test]
    fn diamond() {
        // 0 -> 1, 2; 1 -> 3; 2 -> 3
        let f = shape(&[&[1, 2], &[3], &[3], &[]]);
        verify(&f);
        let cfg = ControlFlowGraph::with_function(&f);
        assert_eq!(cfg.successors(Block(0)), blocks(&[1, 2]).as_slice());
        assert_eq!(cfg.successors(Block(1)), blocks(&[3]).as_slice());
        assert!(cfg.successors(Block(3)).is_empty());
        assert_eq!(pred_blocks(&cfg, 3), blocks(&[1, 2]));
        assert_eq!(pred_blocks(&cfg, 0), blocks(&[]));
        // Each predecessor is recorded with its terminator.
        for p in cfg.predecessors(Block(3)) {
            assert_eq!(Some(p.inst), f.terminator(p.block));
        }
        assert_eq!(cfg.reverse_postorder(), blocks(&[0, 2, 1, 3]).as_slice());
        assert_eq!(cfg.reverse_postorder(), reverse_postorder(&f).as_slice());
        // The verifier's path still works (brine-codegen uses it).
        assert_eq!(verifier::reverse_postorder(&f), reverse_postorder(&f));
        assert!((0..4).all(|b| cfg.is_reachable(Block(b))));
        assert_eq!(cfg.num_blocks(), 4);
    }

    #[test]
    fn both_arms_to_one_block_make_one_edge() {
        let f = shape(&[&[1, 1], &[]]);
        let cfg = ControlFlowGraph::with_function(&f);
        assert_eq!(cfg.successors(Block(0)), blocks(&[1]).as_slice());
        assert_eq!(cfg.predecessors(Block(1)).len(), 1);
        assert_eq!(
            cfg.predecessors(Block(1))[0],
            BlockPredecessor { block: Block(0), inst: f.terminator(Block(0)).unwrap() }
        );
    }

    #[test]
    fn loop_and_unreachable_blocks() {
        // 0 -> 1; 1 -> 2, 3; 2 -> 1 (back edge); 3 returns;
        // 4 -> 1 and 5 -> 4 are unreachable.
        let f = shape(&[&[1], &[2, 3], &[1], &[], &[1], &[4]]);
        verify(&f);
        let cfg = ControlFlowGraph::with_function(&f);
        assert_eq!(cfg.reverse_postorder(), blocks(&[0, 1, 3, 2]).as_slice());
        assert_eq!(cfg.reverse_postorder(), reverse_postorder(&f).as_slice());
        assert!(!cfg.is_reachable(Block(4)));
        assert!(!cfg.is_reachable(Block(5)));
        assert!(cfg.is_reachable(Block(2)));
        // Unreachable blocks' edges are still in the graph.
        assert_eq!(pred_blocks(&cfg, 1), blocks(&[0, 2, 4]));
        assert_eq!(pred_blocks(&cfg, 4), blocks(&[5]));
        // Blocks outside the table have no edges and are unreachable.
        assert!(cfg.successors(Block(99)).is_empty());
        assert!(cfg.predecessors(Block(99)).is_empty());
        assert!(!cfg.is_reachable(Block(99)));
    }

    #[test]
    fn blocks_outside_the_layout_have_no_edges() {
        let mut f = shape(&[&[1], &[], &[1]]);
        f.layout.retain(|&b| b != Block(2));
        let cfg = ControlFlowGraph::with_function(&f);
        assert_eq!(pred_blocks(&cfg, 1), blocks(&[0]));
        assert!(cfg.successors(Block(2)).is_empty());
    }

    #[test]
    fn compute_reuses_and_replaces() {
        let mut cfg = ControlFlowGraph::with_function(&shape(&[&[1, 2], &[3], &[3], &[]]));
        cfg.compute(&shape(&[&[1], &[]]));
        assert_eq!(cfg.num_blocks(), 2);
        assert_eq!(cfg.reverse_postorder(), blocks(&[0, 1]).as_slice());
        assert!(!cfg.is_reachable(Block(2)));
        assert!(cfg.predecessors(Block(3)).is_empty());
    }

    #[test]
    fn long_chain_needs_no_recursion() {
        let n = 100_000;
        let succs: Vec<Vec<usize>> = (0..n).map(|i| if i + 1 < n { vec![i + 1] } else { vec![] }).collect();
        let refs: Vec<&[usize]> = succs.iter().map(Vec::as_slice).collect();
        let f = shape(&refs);
        let cfg = ControlFlowGraph::with_function(&f);
        assert_eq!(cfg.reverse_postorder().len(), n);
        assert!(cfg.reverse_postorder().iter().enumerate().all(|(i, b)| b.index() == i));
    }
}
