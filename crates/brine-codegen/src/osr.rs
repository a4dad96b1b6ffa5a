//! The region an on-stack-replacement entry translates ([`OsrRegion`]):
//! which blocks, which values it loads from the interpreter frame, which it
//! computes again, and what it checks of them. The entry's code is
//! `translate`'s (`Translator::osr_prologue`).

use brine_ir::{self as ir, InstKind};
use std::collections::HashMap;

/// What an on-stack-replacement entry at loop header `header` translates:
/// (the entry first checks that the values it loads are what the region
/// assumes, see [`OsrRegion::numbers`], and declines the frame otherwise)
/// the blocks reachable from the header, entered with the interpreter
/// frame's values: those live into the header (a guard's frame state
/// counts as a use), but its parameters, which the interpreter has just
/// passed the back edge's arguments to and are loaded too.
///
/// - A live value defined outside the region is loaded from the frame.
/// - A live value defined in the region (in a block that strictly
///   dominates the header: an outer loop's body, around an inner loop's
///   header) may be used on a path from the header that does not pass its
///   definition. It becomes a Cranelift variable, defined from the frame
///   at entry and again at its definition, so that SSA construction merges
///   the two. (A value defined in the region and not live at the header is
///   defined on every path from the header to its uses.)
pub struct OsrRegion {
    pub(crate) header: ir::Block,
    in_region: Vec<bool>,
    /// Values defined outside the region and used in it.
    pub(crate) live_in: Vec<ir::Value>,
    /// Values that need variables (see above).
    pub(crate) variables: Vec<ir::Value>,
    /// Whether each value loaded from the frame must be a number: the
    /// region unboxes it without a check (a guard outside the region, which
    /// the entry bypasses, may have proved it), or it is an f64.
    pub(crate) numbers: Vec<bool>,
    /// The shape each value loaded from the frame must have: the region
    /// assumes it (`assume_shape`), from a guard outside the region.
    pub(crate) shapes: Vec<Option<u64>>,
    /// The values the entry computes again instead of loading them (see
    /// [`OsrRegion::new`]).
    pub(crate) recompute: Vec<bool>,
    /// Whether the entry can have every value it needs.
    fits: bool,
}

impl OsrRegion {
    /// The region of `func` (a specialized copy of `original`, or
    /// `original` itself) at loop header `header`.
    ///
    /// A frame of `original` holds for sure only what `original` has live
    /// at the header (and the header's parameters): one rebuilt by a
    /// deoptimization holds only what was live at its guard, and the
    /// interpreter computes the rest on the way to the header. Any other
    /// value the region needs, the entry computes again from values it has:
    /// what LICM moved out of the loop, or a guard's result before the
    /// loop. It can when the value's instruction depends only on its
    /// operands, or is a guard or an assumption (checked again; the frame
    /// is declined if it fails), or is a field load or cell read that
    /// nothing between the load and the header may change
    /// ([`ir::effects::may_clobber`]). Otherwise the entry does not
    /// [fit](Self::fits).
    pub fn new(func: &ir::Function, original: &ir::Function, header: ir::Block) -> OsrRegion {
        let cfg = ir::ControlFlowGraph::with_function(func);
        let mut in_region = vec![false; func.blocks.len()];
        let mut work = vec![header];
        in_region[header.index()] = true;
        while let Some(b) = work.pop() {
            for &s in cfg.successors(b) {
                if !std::mem::replace(&mut in_region[s.index()], true) {
                    work.push(s);
                }
            }
        }
        let mut def_block = vec![None; func.values.len()];
        for &b in &func.layout {
            for &p in &func.block(b).params {
                def_block[p.index()] = Some(b);
            }
            for &i in &func.block(b).insts {
                if let Some(r) = func.inst(i).result {
                    def_block[r.index()] = Some(b);
                }
            }
        }
        let liveness = ir::Liveness::with_frame_states(func);
        let (mut live_in, mut variables) = (Vec::new(), Vec::new());
        for v in liveness.live_in(header) {
            match def_block[v.index()] {
                Some(d) if in_region[d.index()] => variables.push(v),
                Some(_) => live_in.push(v),
                None => {}
            }
        }
        let mut numbers: Vec<bool> = func.values.iter().map(|d| d.ty == ir::Type::F64).collect();
        let mut shapes = vec![None; func.values.len()];
        for &b in func.layout.iter().filter(|b| in_region[b.index()]) {
            for &i in &func.block(b).insts {
                match func.inst(i).kind {
                    InstKind::Unbox(v) => numbers[v.index()] = true,
                    InstKind::AssumeShape { obj, shape } => shapes[obj.index()] = Some(shape),
                    _ => {}
                }
            }
        }
        let mut region = OsrRegion {
            header,
            in_region,
            live_in,
            variables,
            numbers,
            shapes,
            recompute: vec![false; func.values.len()],
            fits: false,
        };
        region.fits = region.plan(func, original, &cfg);
        region
    }

    /// Decides which values the entry loads and which it computes again;
    /// whether it has them all.
    fn plan(&mut self, func: &ir::Function, original: &ir::Function, cfg: &ir::ControlFlowGraph) -> bool {
        if self.header.index() >= original.blocks.len() || !original.layout.contains(&self.header) {
            return false;
        }
        let live = ir::Liveness::compute(original).live_in(self.header);
        let entry = &original.block(original.entry()).params[..2];
        let params = &original.block(self.header).params;
        let held = |v: ir::Value| entry.contains(&v) || params.contains(&v) || live.binary_search(&v).is_ok();
        // Blocks that can reach the header: a load's location must not
        // change on any path from it to the header.
        let mut to_header = vec![false; func.blocks.len()];
        let mut work = vec![self.header];
        to_header[self.header.index()] = true;
        while let Some(b) = work.pop() {
            for p in cfg.predecessors(b) {
                if !std::mem::replace(&mut to_header[p.block.index()], true) {
                    work.push(p.block);
                }
            }
        }
        let mut known: HashMap<ir::Value, bool> = HashMap::new();
        let needed: Vec<ir::Value> = self.live_in.iter().chain(&self.variables).copied().collect();
        needed.into_iter().all(|v| self.available(func, v, &held, &to_header, cfg, &mut known))
    }

    /// Whether the entry can have `v`: loaded, or computed again.
    fn available(
        &mut self,
        func: &ir::Function,
        v: ir::Value,
        held: &dyn Fn(ir::Value) -> bool,
        to_header: &[bool],
        cfg: &ir::ControlFlowGraph,
        known: &mut HashMap<ir::Value, bool>,
    ) -> bool {
        if held(v) {
            return true;
        }
        if let Some(&ok) = known.get(&v) {
            return ok;
        }
        known.insert(v, false);
        let ir::ValueDef::Result(inst) = func.values[v.index()].def else { return false };
        let kind = &func.inst(inst).kind;
        let eligible = ir::effects::is_recomputable(kind)
            || matches!(
                kind,
                InstKind::GuardNum { .. } | InstKind::GuardShape { .. } | InstKind::AssumeShape { .. }
            )
            || ir::effects::is_movable_load(kind) && unchanged_until(func, inst, to_header, cfg);
        let mut ok = eligible;
        if ok {
            kind.for_each_arg(|a| ok &= self.available(func, a, held, to_header, cfg, known));
        }
        known.insert(v, ok);
        self.recompute[v.index()] = ok;
        ok
    }

    /// Whether the entry has every value the region needs (see
    /// [`OsrRegion::new`]). An optimizer that merged two original values
    /// (a forwarded field, equal constants) may need one that the frame
    /// does not hold and the entry cannot compute.
    pub fn fits(&self) -> bool {
        self.fits
    }

    pub fn contains(&self, b: ir::Block) -> bool {
        self.in_region[b.index()]
    }
}

/// Whether nothing on a path from movable load `load` of `func` to
/// the header may change the location it read (`to_header`: the blocks
/// that can reach the header).
fn unchanged_until(
    func: &ir::Function,
    load: ir::Inst,
    to_header: &[bool],
    cfg: &ir::ControlFlowGraph,
) -> bool {
    let Some((block, index)) = ir::cursor::inst_position(func, load) else { return false };
    // The rest of the load's block, and every block reachable from it that
    // can reach the header.
    let mut writers: Vec<ir::Inst> = func.block(block).insts[index + 1..].to_vec();
    let mut seen = vec![false; func.blocks.len()];
    let mut work: Vec<ir::Block> = cfg.successors(block).to_vec();
    while let Some(b) = work.pop() {
        if std::mem::replace(&mut seen[b.index()], true) || !to_header[b.index()] {
            continue;
        }
        writers.extend_from_slice(&func.block(b).insts);
        work.extend_from_slice(cfg.successors(b));
    }
    let kind = &func.inst(load).kind;
    let shapes_fixed = !writers.iter().any(|&w| ir::effects::may_change_shapes(&func.inst(w).kind));
    !writers.iter().any(|&w| ir::effects::may_clobber(func, &func.inst(w).kind, kind, shapes_fixed))
}
