//! What instructions read and write in the heap: the facts a pass needs to
//! move a load (`brine-opt`'s LICM) and code needs to compute it again
//! somewhere else (an on-stack-replacement entry).
//!
//! Only the typed loads of specialized code are *movable loads*: a field at
//! a fixed offset of an instance whose shape a guard checked
//! ([`InstKind::LoadField`]), and a cell's value ([`InstKind::CellGet`]).
//! A write *may clobber* such a load unless it provably writes another
//! location; anything that can run Lox code (a call) or write a field by
//! name (a generic set) clobbers every field.

use crate::{Function, InstKind, Value, ValueDef};

/// Whether the instruction's result depends only on its operands: it reads
/// no heap location that code can change, checks nothing and has no
/// effect. Such an instruction can be computed again anywhere its operands
/// are available, with the same result.
pub fn is_recomputable(kind: &InstKind) -> bool {
    // `is_shape` reads the object's shape and `assume_shape` relies on a
    // guard before it; neither may move freely.
    kind.is_pure() && !matches!(kind, InstKind::IsShape { .. } | InstKind::AssumeShape { .. })
}

/// Whether the instruction is a movable load (see the module doc).
pub fn is_movable_load(kind: &InstKind) -> bool {
    matches!(kind, InstKind::LoadField { .. } | InstKind::CellGet { .. })
}

/// Whether the instruction may run Lox code: a call of anything, an
/// index operation (a map's are methods written in Lox), or
/// `brine.specialize` (the engine's partial evaluator).
pub fn may_run_code(kind: &InstKind) -> bool {
    matches!(
        kind,
        InstKind::Intrinsic { op: crate::Intrinsic::Specialize, .. }
            | InstKind::Call { .. }
            | InstKind::CallDirect { .. }
            | InstKind::Invoke { .. }
            | InstKind::SuperInvoke { .. }
            | InstKind::GetIndex { .. }
            | InstKind::SetIndex { .. }
    )
}

/// Whether the instruction may give an object another shape: a
/// transition, a generic property set, a class's methods or superclass,
/// `brine.freeze`, or Lox code.
pub fn may_change_shapes(kind: &InstKind) -> bool {
    may_run_code(kind)
        || matches!(
            kind,
            InstKind::StoreShape { .. }
                | InstKind::SetProp { .. }
                | InstKind::Inherit { .. }
                | InstKind::Method { .. }
                | InstKind::Intrinsic { op: crate::Intrinsic::Freeze, .. }
        )
}

/// Whether instruction `writer` of `f` may change what the movable load
/// `load` reads. `shapes_fixed` says that no object changes its shape
/// where the two are compared (so objects of different shapes are
/// different objects).
pub fn may_clobber(f: &Function, writer: &InstKind, load: &InstKind, shapes_fixed: bool) -> bool {
    use InstKind::*;
    if may_run_code(writer) {
        return true;
    }
    match (writer, load) {
        (SetProp { .. }, LoadField { .. }) => true,
        (StoreField { obj: w, offset: wo, .. }, LoadField { obj: l, offset: lo }) => {
            if wo != lo {
                return false;
            }
            // Objects of two shapes are two objects, while no shape changes.
            !matches!((known_shape(f, *w), known_shape(f, *l)), (Some(a), Some(b)) if shapes_fixed && a != b)
        }
        (CellSet { cell: w, .. }, CellGet { cell: l }) => !distinct_cells(f, *w, *l),
        _ => false,
    }
}

/// The shape a pointer to an instance was checked or assumed to have.
fn known_shape(f: &Function, ptr: Value) -> Option<u64> {
    let ValueDef::Result(i) = f.values[ptr.index()].def else { return None };
    match f.inst(i).kind {
        InstKind::GuardShape { shape, .. } | InstKind::AssumeShape { shape, .. } => Some(shape),
        _ => None,
    }
}

/// Whether two cells are certainly different: two captures of the running
/// closure at different indexes (a closure captures each variable once),
/// or a cell made in this activation and a captured one.
fn distinct_cells(f: &Function, a: Value, b: Value) -> bool {
    let def = |v: Value| match f.values[v.index()].def {
        ValueDef::Result(i) => Some(&f.inst(i).kind),
        ValueDef::Param(..) => None,
    };
    match (def(a), def(b)) {
        (Some(InstKind::LoadCapture { index: x }), Some(InstKind::LoadCapture { index: y })) => x != y,
        (Some(InstKind::CellNew { .. }), Some(InstKind::LoadCapture { .. }))
        | (Some(InstKind::LoadCapture { .. }), Some(InstKind::CellNew { .. })) => true,
        _ => false,
    }
}
