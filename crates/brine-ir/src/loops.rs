//! Natural loops and their nesting.
//!
//! A back edge is an edge whose target (the loop header) dominates its
//! source (a latch). A header's natural loop is the header plus every block
//! that reaches one of its latches without going through the header; all
//! back edges to one header make one loop. Two natural loops are then
//! either disjoint or nested, which gives each loop a parent and a depth.
//!
//! Loops are found the way Cranelift's `LoopAnalysis` finds them: headers
//! in reverse postorder, then, innermost first, a backward walk from each
//! loop's latches that adopts any outermost loop it runs into as a child.
//!
//! A cycle with more than one entry (irreducible control flow) has no
//! header that dominates it, so it is not a loop here. Unreachable blocks
//! are in no loop.

use crate::cfg::ControlFlowGraph;
use crate::dominators::DominatorTree;
use crate::entities::Block;
use crate::function::Function;

/// A natural loop of a function, numbered so that a loop's parent has a
/// smaller number than the loop (headers are numbered in reverse postorder).
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loop(pub u32);

impl Loop {
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
    #[inline]
    pub fn new(index: usize) -> Self {
        Self(u32::try_from(index).expect("Loop index overflow"))
    }
}

impl std::fmt::Display for Loop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "loop{}", self.0)
    }
}

impl std::fmt::Debug for Loop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// What the analysis knows about one loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopData {
    /// The block every path into the loop enters through.
    pub header: Block,
    /// The innermost loop containing this one.
    pub parent: Option<Loop>,
    /// 1 for an outermost loop, its parent's depth + 1 otherwise.
    pub depth: u32,
    /// The loop's blocks, nested loops' included, in reverse postorder (so
    /// the header first).
    pub blocks: Vec<Block>,
}

/// The natural loops of a function.
#[derive(Clone, Debug, Default)]
pub struct LoopAnalysis {
    loops: Vec<LoopData>,
    /// Per block: the innermost loop containing it.
    innermost: Vec<Option<Loop>>,
}

impl LoopAnalysis {
    /// The loops of `func`, whose graph is `cfg` and dominator tree `domtree`.
    pub fn with_function(func: &Function, cfg: &ControlFlowGraph, domtree: &DominatorTree) -> LoopAnalysis {
        let mut analysis = LoopAnalysis::default();
        analysis.compute(func, cfg, domtree);
        analysis
    }

    /// Recomputes the loops of `func`.
    pub fn compute(&mut self, func: &Function, cfg: &ControlFlowGraph, domtree: &DominatorTree) {
        self.loops.clear();
        self.innermost.clear();
        self.innermost.resize(func.blocks.len(), None);
        // Headers, in reverse postorder: outer loops before the loops they contain.
        for &b in domtree.reverse_postorder() {
            if Self::latches_of(b, cfg, domtree).next().is_some() {
                let lp = Loop::new(self.loops.len());
                self.loops.push(LoopData { header: b, parent: None, depth: 0, blocks: Vec::new() });
                self.innermost[b.index()] = Some(lp);
            }
        }
        // Bodies, innermost first: a loop's nested loops were all found
        // before it (their headers come later in reverse postorder).
        let mut stack = Vec::new();
        for i in (0..self.loops.len()).rev() {
            let lp = Loop::new(i);
            let header = self.loops[i].header;
            stack.extend(Self::latches_of(header, cfg, domtree));
            while let Some(b) = stack.pop() {
                match self.innermost[b.index()] {
                    None => {
                        self.innermost[b.index()] = Some(lp);
                        Self::push_reachable_preds(b, cfg, domtree, &mut stack);
                    }
                    Some(inner) => {
                        // Already in `lp` or in a loop found before: go to
                        // that loop's outermost ancestor and, if it is new,
                        // adopt it and continue from its header.
                        let outer = self.outermost(inner);
                        if outer != lp {
                            self.loops[outer.index()].parent = Some(lp);
                            let h = self.loops[outer.index()].header;
                            Self::push_reachable_preds(h, cfg, domtree, &mut stack);
                        }
                    }
                }
            }
        }
        // Depths, parents before children.
        for i in 0..self.loops.len() {
            self.loops[i].depth = match self.loops[i].parent {
                Some(p) => self.loops[p.index()].depth + 1,
                None => 1,
            };
        }
        // Blocks, in reverse postorder, added to their loop and its ancestors.
        for &b in domtree.reverse_postorder() {
            let mut l = self.innermost[b.index()];
            while let Some(lp) = l {
                self.loops[lp.index()].blocks.push(b);
                l = self.loops[lp.index()].parent;
            }
        }
    }

    /// The sources of the back edges to `header`: its predecessors that it
    /// dominates.
    fn latches_of<'a>(
        header: Block,
        cfg: &'a ControlFlowGraph,
        domtree: &'a DominatorTree,
    ) -> impl Iterator<Item = Block> + 'a {
        cfg.predecessors(header).iter().map(|p| p.block).filter(move |&p| domtree.dominates(header, p))
    }

    fn push_reachable_preds(
        b: Block,
        cfg: &ControlFlowGraph,
        domtree: &DominatorTree,
        stack: &mut Vec<Block>,
    ) {
        stack.extend(cfg.predecessors(b).iter().map(|p| p.block).filter(|&p| domtree.is_reachable(p)));
    }

    fn outermost(&self, mut lp: Loop) -> Loop {
        while let Some(p) = self.loops[lp.index()].parent {
            lp = p;
        }
        lp
    }

    // ---- queries -------------------------------------------------------------------

    /// The number of loops.
    pub fn len(&self) -> usize {
        self.loops.len()
    }

    /// Whether the function has no loops.
    pub fn is_empty(&self) -> bool {
        self.loops.is_empty()
    }

    /// Every loop, outer loops before the loops they contain.
    pub fn loops(&self) -> impl DoubleEndedIterator<Item = Loop> + ExactSizeIterator {
        (0..self.loops.len()).map(Loop::new)
    }

    /// Every loop, each before the loop containing it: the order in which
    /// to optimize loop nests from the inside out.
    pub fn loops_innermost_first(&self) -> impl Iterator<Item = Loop> {
        self.loops().rev()
    }

    /// Everything about `lp`.
    pub fn data(&self, lp: Loop) -> &LoopData {
        &self.loops[lp.index()]
    }

    pub fn header(&self, lp: Loop) -> Block {
        self.data(lp).header
    }

    /// The innermost loop containing `lp`.
    pub fn parent(&self, lp: Loop) -> Option<Loop> {
        self.data(lp).parent
    }

    /// 1 for an outermost loop.
    pub fn depth(&self, lp: Loop) -> u32 {
        self.data(lp).depth
    }

    /// The blocks of `lp`, its nested loops' included, header first.
    pub fn blocks(&self, lp: Loop) -> &[Block] {
        &self.data(lp).blocks
    }

    /// The innermost loop containing `block`, if any.
    pub fn loop_of(&self, block: Block) -> Option<Loop> {
        self.innermost.get(block.index()).copied().flatten()
    }

    /// How many loops contain `block` (0 outside every loop).
    pub fn loop_depth(&self, block: Block) -> u32 {
        self.loop_of(block).map_or(0, |lp| self.depth(lp))
    }

    /// Whether `block` is the header of a loop.
    pub fn is_loop_header(&self, block: Block) -> bool {
        self.loop_headed_by(block).is_some()
    }

    /// The loop whose header is `block`, if any.
    pub fn loop_headed_by(&self, block: Block) -> Option<Loop> {
        self.loop_of(block).filter(|&lp| self.header(lp) == block)
    }

    /// Whether `block` is in `lp` (or in a loop nested in it).
    pub fn is_in_loop(&self, block: Block, lp: Loop) -> bool {
        let mut l = self.loop_of(block);
        while let Some(x) = l {
            if x == lp {
                return true;
            }
            // Parents have smaller numbers: stop once past `lp`.
            if x < lp {
                return false;
            }
            l = self.parent(x);
        }
        false
    }

    /// Whether `inner` is `outer` or nested in it.
    pub fn is_child_loop(&self, inner: Loop, outer: Loop) -> bool {
        self.is_in_loop(self.header(inner), outer)
    }

    /// The latches of `lp`: the blocks in it that jump to its header.
    pub fn latches(&self, lp: Loop, cfg: &ControlFlowGraph) -> Vec<Block> {
        let header = self.header(lp);
        cfg.predecessors(header).iter().map(|p| p.block).filter(|&p| self.is_in_loop(p, lp)).collect()
    }

    /// The unique block outside `lp` that jumps to its header, if there is
    /// exactly one (unreachable blocks are not counted). LLVM calls it the
    /// loop predecessor.
    pub fn loop_predecessor(&self, lp: Loop, cfg: &ControlFlowGraph) -> Option<Block> {
        let header = self.header(lp);
        let mut found = None;
        for p in cfg.predecessors(header) {
            if !cfg.is_reachable(p.block) || self.is_in_loop(p.block, lp) {
                continue;
            }
            if found.is_some() {
                return None;
            }
            found = Some(p.block);
        }
        found
    }

    /// The preheader of `lp`: its [loop predecessor](Self::loop_predecessor)
    /// when that block's only successor is the header, so that code placed
    /// at its end runs exactly once each time the loop is entered. `None`
    /// when the loop needs one to be made.
    pub fn preheader(&self, lp: Loop, cfg: &ControlFlowGraph) -> Option<Block> {
        let pred = self.loop_predecessor(lp, cfg)?;
        (cfg.successors(pred) == [self.header(lp)]).then_some(pred)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfg::tests::{blocks, shape, verify};
    use crate::cursor::FuncCursor;
    use crate::inst::{InstKind, Type};

    fn analyze(f: &Function) -> (ControlFlowGraph, DominatorTree, LoopAnalysis) {
        let cfg = ControlFlowGraph::with_function(f);
        let domtree = DominatorTree::with_function(f, &cfg);
        let loops = LoopAnalysis::with_function(f, &cfg, &domtree);
        (cfg, domtree, loops)
    }

    #[test]
    fn no_loops_in_a_diamond() {
        let f = shape(&[&[1, 2], &[3], &[3], &[]]);
        let (_, _, loops) = analyze(&f);
        assert!(loops.is_empty());
        assert_eq!(loops.len(), 0);
        assert!((0..4).all(|b| loops.loop_of(Block(b)).is_none() && loops.loop_depth(Block(b)) == 0));
        assert!(!loops.is_loop_header(Block(0)));
    }

    #[test]
    fn simple_while_loop() {
        // 0 -> 1; 1 -> 2, 3 (header); 2 -> 1 (latch); 3 returns.
        let f = shape(&[&[1], &[2, 3], &[1], &[]]);
        let (cfg, _, loops) = analyze(&f);
        assert_eq!(loops.len(), 1);
        let lp = Loop(0);
        assert_eq!(
            loops.data(lp),
            &LoopData { header: Block(1), parent: None, depth: 1, blocks: blocks(&[1, 2]) }
        );
        assert!(loops.is_loop_header(Block(1)));
        assert!(!loops.is_loop_header(Block(2)));
        assert_eq!(loops.loop_headed_by(Block(1)), Some(lp));
        assert_eq!(loops.loop_of(Block(2)), Some(lp));
        assert_eq!(loops.loop_of(Block(0)), None);
        assert_eq!(loops.loop_of(Block(3)), None);
        assert_eq!(loops.latches(lp, &cfg), blocks(&[2]));
        assert_eq!(loops.loop_predecessor(lp, &cfg), Some(Block(0)));
        assert_eq!(loops.preheader(lp, &cfg), Some(Block(0)));
        assert_eq!(lp.to_string(), "loop0");
    }

    #[test]
    fn self_loop() {
        // 0 -> 1; 1 -> 1, 2.
        let f = shape(&[&[1], &[1, 2], &[]]);
        let (cfg, _, loops) = analyze(&f);
        assert_eq!(loops.len(), 1);
        assert_eq!(loops.blocks(Loop(0)), blocks(&[1]).as_slice());
        assert_eq!(loops.latches(Loop(0), &cfg), blocks(&[1]));
        assert_eq!(loops.preheader(Loop(0), &cfg), Some(Block(0)));
    }

    #[test]
    fn nested_loops() {
        // 0 -> 1; 1 -> 2, 6 (outer header); 2 -> 3, 5 (inner header);
        // 3 -> 4; 4 -> 2 (inner latch); 5 -> 1 (outer latch); 6 returns.
        let f = shape(&[&[1], &[2, 6], &[3, 5], &[4], &[2], &[1], &[]]);
        verify(&f);
        let (cfg, _, loops) = analyze(&f);
        assert_eq!(loops.len(), 2);
        let (outer, inner) = (Loop(0), Loop(1));
        assert_eq!(loops.header(outer), Block(1));
        assert_eq!(loops.header(inner), Block(2));
        assert_eq!(loops.parent(inner), Some(outer));
        assert_eq!(loops.parent(outer), None);
        assert_eq!(loops.depth(outer), 1);
        assert_eq!(loops.depth(inner), 2);
        // RPO is 0 1 6 2 5 3 4.
        assert_eq!(loops.blocks(outer), blocks(&[1, 2, 5, 3, 4]).as_slice());
        assert_eq!(loops.blocks(inner), blocks(&[2, 3, 4]).as_slice());
        assert_eq!(loops.loop_of(Block(3)), Some(inner));
        assert_eq!(loops.loop_of(Block(5)), Some(outer));
        assert_eq!(loops.loop_depth(Block(4)), 2);
        assert_eq!(loops.loop_depth(Block(5)), 1);
        assert_eq!(loops.loop_depth(Block(6)), 0);
        assert!(loops.is_in_loop(Block(3), outer));
        assert!(!loops.is_in_loop(Block(5), inner));
        assert!(loops.is_child_loop(inner, outer));
        assert!(!loops.is_child_loop(outer, inner));
        assert_eq!(loops.loops_innermost_first().collect::<Vec<_>>(), vec![inner, outer]);
        assert_eq!(loops.loops().collect::<Vec<_>>(), vec![outer, inner]);
        // The inner loop is entered from block 1, which also branches to 6.
        assert_eq!(loops.loop_predecessor(inner, &cfg), Some(Block(1)));
        assert_eq!(loops.preheader(inner, &cfg), None);
        assert_eq!(loops.preheader(outer, &cfg), Some(Block(0)));
    }

    #[test]
    fn sibling_loops_in_a_loop_and_two_latches() {
        // 0 -> 1; 1 -> 2, 7 (outer); 2 -> 3, 4 (first inner: 2 -> 3 -> 2
        // and 2 -> 4 -> 2, two latches); 4 -> 2, 5; 5 -> 6 (second inner,
        // 6 -> 6); 6 -> 6, 1; 3 -> 2; 7 returns.
        let f = shape(&[&[1], &[2, 7], &[3, 4], &[2], &[2, 5], &[6], &[6, 1], &[]]);
        verify(&f);
        let (cfg, _, loops) = analyze(&f);
        assert_eq!(loops.len(), 3);
        let outer = loops.loop_headed_by(Block(1)).unwrap();
        let first = loops.loop_headed_by(Block(2)).unwrap();
        let second = loops.loop_headed_by(Block(6)).unwrap();
        assert_eq!(loops.parent(first), Some(outer));
        assert_eq!(loops.parent(second), Some(outer));
        assert_eq!(loops.depth(first), 2);
        assert_eq!(loops.depth(second), 2);
        let mut first_blocks = loops.blocks(first).to_vec();
        first_blocks.sort();
        assert_eq!(first_blocks, blocks(&[2, 3, 4]));
        assert_eq!(loops.blocks(second), blocks(&[6]).as_slice());
        let mut outer_blocks = loops.blocks(outer).to_vec();
        assert_eq!(outer_blocks[0], Block(1));
        outer_blocks.sort();
        assert_eq!(outer_blocks, blocks(&[1, 2, 3, 4, 5, 6]));
        let mut latches = loops.latches(first, &cfg);
        latches.sort();
        assert_eq!(latches, blocks(&[3, 4]));
        assert_eq!(loops.loop_of(Block(5)), Some(outer));
        // Every loop comes before its parent.
        let order: Vec<Loop> = loops.loops_innermost_first().collect();
        let pos = |l: Loop| order.iter().position(|&x| x == l).unwrap();
        assert!(pos(first) < pos(outer) && pos(second) < pos(outer));
        assert_eq!(loops.preheader(second, &cfg), Some(Block(5)));
        assert_eq!(loops.preheader(first, &cfg), None);
    }

    #[test]
    fn irreducible_cycle_is_not_a_loop() {
        // 0 -> 1, 2; 1 -> 2, 3; 2 -> 1: {1, 2} has two entries.
        let f = shape(&[&[1, 2], &[2, 3], &[1], &[]]);
        let (_, _, loops) = analyze(&f);
        assert!(loops.is_empty());
    }

    #[test]
    fn irreducible_region_inside_a_loop() {
        // 0 -> 1; 1 -> 2, 3 (header); 2 -> 3, 4; 3 -> 2, 4; 4 -> 1, 5;
        // 5 returns. {2, 3} is irreducible, but all of it is in 1's loop.
        let f = shape(&[&[1], &[2, 3], &[3, 4], &[2, 4], &[1, 5], &[]]);
        let (cfg, _, loops) = analyze(&f);
        assert_eq!(loops.len(), 1);
        let lp = Loop(0);
        assert_eq!(loops.header(lp), Block(1));
        let mut body = loops.blocks(lp).to_vec();
        body.sort();
        assert_eq!(body, blocks(&[1, 2, 3, 4]));
        assert_eq!(loops.latches(lp, &cfg), blocks(&[4]));
        assert!(!loops.is_loop_header(Block(2)) && !loops.is_loop_header(Block(3)));
    }

    #[test]
    fn unreachable_blocks_are_in_no_loop() {
        // 0 -> 1; 1 -> 1, 2 (loop); 3 -> 1 and 4 -> 4 are unreachable.
        let f = shape(&[&[1], &[1, 2], &[], &[1], &[4]]);
        let (cfg, _, loops) = analyze(&f);
        assert_eq!(loops.len(), 1);
        assert_eq!(loops.blocks(Loop(0)), blocks(&[1]).as_slice());
        assert_eq!(loops.loop_of(Block(3)), None);
        assert_eq!(loops.loop_of(Block(4)), None);
        assert!(!loops.is_loop_header(Block(4)));
        // The unreachable jump from 3 does not spoil the preheader.
        assert_eq!(loops.preheader(Loop(0), &cfg), Some(Block(0)));
    }

    #[test]
    fn two_entering_blocks_mean_no_preheader() {
        // 0 -> 1, 2; 1 -> 3; 2 -> 3; 3 -> 3, 4 (loop at 3).
        let f = shape(&[&[1, 2], &[3], &[3], &[3, 4], &[]]);
        let (cfg, _, loops) = analyze(&f);
        let lp = loops.loop_headed_by(Block(3)).unwrap();
        assert_eq!(loops.loop_predecessor(lp, &cfg), None);
        assert_eq!(loops.preheader(lp, &cfg), None);
    }

    /// Makes a preheader with the cursor where there is none, and checks
    /// that the function stays valid and the analysis then finds it.
    #[test]
    fn make_a_preheader() {
        // 0 -> 1, 2; 1 -> 3; 2 -> 3; 3 (header, one param) -> 3, 4.
        let mut f = shape(&[&[1, 2], &[3], &[3], &[3, 4], &[]]);
        let header = Block(3);
        let mut cur = FuncCursor::new(&mut f);
        let param = cur.append_block_param(header, Type::Val);
        let (cfg, _, loops) = {
            // Give every edge into the header an argument: a fresh nil from
            // the entering blocks, the param itself around the loop.
            for b in [Block(1), Block(2), header] {
                let term = cur.func.terminator(b).unwrap();
                let arg = if b == header {
                    param
                } else {
                    cur.goto_before(term);
                    cur.ins_value(InstKind::Nil)
                };
                for args in cur.func.insts[term.index()].kind.edge_args_mut(header) {
                    args.push(arg);
                }
            }
            analyze(cur.func)
        };
        verify(cur.func);
        let lp = loops.loop_headed_by(header).unwrap();
        assert_eq!(loops.preheader(lp, &cfg), None);

        // The preheader takes the header's params and passes them on.
        let pre = cur.create_block_after(Block(2));
        let pre_param = cur.append_block_param(pre, Type::Val);
        cur.goto_bottom(pre);
        cur.ins(InstKind::Jump { dest: header, args: vec![pre_param] });
        for p in cfg.predecessors(header) {
            if loops.is_in_loop(p.block, lp) {
                continue;
            }
            if let InstKind::Jump { dest, .. } = &mut cur.func.insts[p.inst.index()].kind {
                *dest = pre;
            }
        }
        assert_eq!(cur.func.layout, blocks(&[0, 1, 2, 5, 3, 4]));
        verify(&f);
        let (cfg, domtree, loops) = analyze(&f);
        let lp = loops.loop_headed_by(header).unwrap();
        assert_eq!(loops.preheader(lp, &cfg), Some(pre));
        assert_eq!(domtree.idom(header), Some(pre));
        assert!(!loops.is_in_loop(pre, lp));
    }
}
