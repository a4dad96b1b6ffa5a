//! Escape analysis and scalar replacement: an instance allocated in the
//! function (`new_instance`, typically with its inlined `init`) that never
//! leaves it is not allocated at all. Its fields become the values stored
//! into them, and a deoptimization that needs the object makes it.
//!
//! An object *escapes* when one of its values (the allocation's result, a
//! shape guard's pointer to it, or a parameter of a single-predecessor
//! block that was passed it) is used other than by: a field store or a
//! transition of it, a field load of it, a shape guard, assumption or test
//! of it, a jump that passes it on, or a frame state. A field store of it
//! into an object that escapes makes it escape too. Its stores and
//! transitions must be in the straight line of blocks from its allocation
//! (each the only successor of the one before and with no other
//! predecessor), so that what each of its fields holds is known at every
//! point: in that line, as the stores go; after it, the last store's
//! value. Field loads, shape guards and tests become what is known; guards
//! and tests that would need another shape keep the object. So does being
//! live at a loop header: an on-stack-replacement entry there starts from
//! an interpreter frame, which holds the object itself.
//!
//! The rewrite: the allocation becomes `nil` (its values still exist, and
//! hold nil, for the frame states that list them); stores, transitions and
//! guards go; a load becomes a `copy` of the stored value (its number may
//! be in a frame state), and its uses in code use the value; a test
//! becomes its answer. Each guard whose
//! frames list such an object gets a state of its own that describes the
//! object (and the objects its fields hold) as it is at that guard
//! ([`brine_ir::VirtualObject`]); the tier manager makes them when the
//! guard fails.

use brine_ir::{Block, ControlFlowGraph, FuncCursor, Function, Inst, InstKind, Value, VirtualObject};
use std::collections::{HashMap, HashSet};

/// What is known of an object at one point: its shape (0 before its first
/// transition or guard) and the value of each field stored so far.
#[derive(Clone, Default)]
struct Snapshot {
    shape: u64,
    fields: Vec<(u32, Value)>,
}

impl Snapshot {
    fn field(&self, offset: u32) -> Option<Value> {
        self.fields.iter().find(|(o, _)| *o == offset).map(|&(_, v)| v)
    }

    fn store(&mut self, offset: u32, value: Value) {
        match self.fields.iter_mut().find(|(o, _)| *o == offset) {
            Some(entry) => entry.1 = value,
            None => self.fields.push((offset, value)),
        }
    }
}

/// Removes the allocations of `f` that do not escape.
pub fn run(f: &mut Function) {
    let cfg = ControlFlowGraph::with_function(f);
    // Each value that is an object's, and the object (its allocation's
    // result): the allocation, shape guards of it, block parameters passed
    // it, and loads of a field of an object that holds it. The last need
    // what objects hold, so this goes on until nothing changes.
    let mut object_of: HashMap<Value, Value> = HashMap::new();
    let mut class_of: HashMap<Value, Value> = HashMap::new();
    let followed = loop {
        let before = object_of.len();
        for &b in cfg.reverse_postorder() {
            for &i in &f.block(b).insts {
                let data = f.inst(i);
                match data.kind {
                    InstKind::NewInstance { class } => {
                        let r = data.result.expect("an allocation has a result");
                        object_of.insert(r, r);
                        class_of.insert(r, class);
                    }
                    InstKind::GuardShape { obj, .. } | InstKind::AssumeShape { obj, .. } => {
                        if let (Some(&o), Some(r)) = (object_of.get(&obj), data.result) {
                            object_of.insert(r, o);
                        }
                    }
                    _ => {}
                }
            }
            for (dest, args) in jump_args(f, b) {
                if cfg.predecessors(dest).len() != 1 {
                    continue;
                }
                for (&p, a) in f.block(dest).params.iter().zip(args) {
                    if let Some(&o) = object_of.get(&a) {
                        object_of.insert(p, o);
                    }
                }
            }
        }
        let followed = follow_lines(f, &cfg, &class_of, &object_of);
        for &b in &f.layout {
            for &i in &f.block(b).insts {
                if let InstKind::LoadField { obj, offset } = f.inst(i).kind
                    && let Some(&o) = object_of.get(&obj)
                    && let Some(held) = followed.snapshot_at(i, o).and_then(|s| s.field(offset))
                    && let Some(&inner) = object_of.get(&held)
                {
                    object_of.insert(f.inst(i).result.expect("a load has a result"), inner);
                }
            }
        }
        // Nothing changed: what was followed stands.
        if object_of.len() == before {
            break followed;
        }
    };
    if object_of.is_empty() {
        return;
    }

    // Which uses let an object escape, and which objects are stored into
    // which.
    let mut escaped: HashSet<Value> = HashSet::new();
    let mut stored_into: Vec<(Value, Value)> = Vec::new();
    for &b in &f.layout {
        for &i in &f.block(b).insts {
            let kind = &f.inst(i).kind;
            let allowed_obj = match *kind {
                InstKind::StoreShape { obj, .. }
                | InstKind::LoadField { obj, .. }
                | InstKind::GuardShape { obj, .. }
                | InstKind::AssumeShape { obj, .. }
                | InstKind::IsShape { obj, .. } => Some(obj),
                InstKind::StoreField { obj, value, .. } => {
                    if let Some(&inner) = object_of.get(&value) {
                        match object_of.get(&obj) {
                            Some(&outer) if outer != inner => stored_into.push((inner, outer)),
                            _ => {
                                escaped.insert(inner);
                            }
                        }
                    }
                    Some(obj)
                }
                _ => None,
            };
            if kind.is_terminator() {
                // Passed on to a block whose parameter is the object's too.
                for (dest, args) in jump_args(f, b) {
                    for (k, a) in args.into_iter().enumerate() {
                        if let Some(&o) = object_of.get(&a)
                            && object_of.get(&f.block(dest).params[k]) != Some(&o)
                        {
                            escaped.insert(o);
                        }
                    }
                }
                if let InstKind::Return { value } = *kind
                    && let Some(&o) = object_of.get(&value)
                {
                    escaped.insert(o);
                }
                continue;
            }
            // (An object stored into another was dealt with above.)
            let stored = match *kind {
                InstKind::StoreField { obj, value, .. } if object_of.contains_key(&obj) => Some(value),
                _ => None,
            };
            kind.for_each_arg(|a| {
                if let Some(&o) = object_of.get(&a)
                    && Some(a) != allowed_obj
                    && Some(a) != stored
                {
                    escaped.insert(o);
                }
            });
        }
    }

    // An object whose line has something that does not fit stays.
    for &o in class_of.keys() {
        if !matches!(followed.last.get(&o), Some(Some(_))) {
            escaped.insert(o);
        }
    }
    // After its line, an object's stores and transitions are not allowed,
    // and its loads and guards must fit what it holds at the end.
    for &b in &f.layout {
        for &i in &f.block(b).insts {
            let Some(o) = subject(f, i, &object_of) else { continue };
            if escaped.contains(&o) || followed.lines[&o].contains(&b) {
                continue;
            }
            let mut snap = followed.last[&o].clone().expect("an object that fits its line");
            if !follow(f, i, o, &object_of, &mut snap, false) {
                escaped.insert(o);
            }
        }
    }
    // An object live at a loop header stays allocated: an on-stack
    // replacement entry there starts from the interpreter's frame, which
    // holds the object itself, not what the optimized code knows of it.
    let liveness = brine_ir::Liveness::with_frame_states(f);
    let loops = {
        let domtree = brine_ir::DominatorTree::with_function(f, &cfg);
        brine_ir::LoopAnalysis::with_function(f, &cfg, &domtree)
    };
    for lp in loops.loops() {
        for v in liveness.live_in(loops.header(lp)) {
            if let Some(&o) = object_of.get(&v) {
                escaped.insert(o);
            }
        }
    }
    // An object stored into one that escapes escapes too.
    loop {
        let before = escaped.len();
        for &(inner, outer) in &stored_into {
            if escaped.contains(&outer) {
                escaped.insert(inner);
            }
        }
        if escaped.len() == before {
            break;
        }
    }
    let virtual_objects: Vec<Value> = class_of.keys().copied().filter(|o| !escaped.contains(o)).collect();
    if virtual_objects.is_empty() {
        return;
    }
    let is_virtual = |v: Value| object_of.get(&v).filter(|o| !escaped.contains(o)).copied();

    // Each guard whose frames hold a virtual object gets a state that
    // describes it (and what its fields hold) at that guard.
    let mut aliases: HashMap<Value, Vec<Value>> = HashMap::new();
    for (&v, &o) in &object_of {
        if !escaped.contains(&o) && f.value_type(v) == brine_ir::Type::Val {
            aliases.entry(o).or_default().push(v);
        }
    }
    for list in aliases.values_mut() {
        list.sort();
    }
    for &b in &f.layout.clone() {
        for &i in &f.block(b).insts.clone() {
            let Some(state) = f.inst(i).kind.guard_state() else { continue };
            // (A shape guard of a virtual object goes.)
            if let InstKind::GuardShape { obj, .. } = f.inst(i).kind
                && is_virtual(obj).is_some()
            {
                continue;
            }
            let mut wanted: Vec<Value> = Vec::new();
            let mut work: Vec<Value> = f.state_values(state).into_iter().filter_map(is_virtual).collect();
            while let Some(o) = work.pop() {
                if wanted.contains(&o) {
                    continue;
                }
                wanted.push(o);
                let snap = followed.snapshot_at(i, o).expect("a virtual object fits its line");
                work.extend(snap.fields.iter().filter_map(|&(_, v)| is_virtual(v)));
            }
            if wanted.is_empty() {
                continue;
            }
            wanted.sort();
            let mut fs = f.state(state).clone();
            fs.objects = wanted
                .iter()
                .map(|&o| {
                    let snap = followed.snapshot_at(i, o).expect("a virtual object fits its line");
                    VirtualObject {
                        aliases: aliases[&o].clone(),
                        class: class_of[&o],
                        shape: snap.shape,
                        fields: snap.fields,
                    }
                })
                .collect();
            let new_state = brine_ir::StateId::new(f.states.len());
            f.states.push(fs);
            let mut kind = f.inst(i).kind.clone();
            *kind.guard_state_mut().expect("a guard has a state") = new_state;
            FuncCursor::new(f).replace_inst(i, kind);
        }
    }

    // The rewrite.
    for &b in &f.layout.clone() {
        for &i in &f.block(b).insts.clone() {
            let kind = f.inst(i).kind.clone();
            let result = f.inst(i).result;
            let mut cursor = FuncCursor::new(f);
            match kind {
                InstKind::NewInstance { .. } if result.and_then(is_virtual).is_some() => {
                    cursor.replace_inst(i, InstKind::Nil);
                }
                InstKind::StoreShape { obj, .. }
                | InstKind::StoreField { obj, .. }
                | InstKind::GuardShape { obj, .. }
                | InstKind::AssumeShape { obj, .. }
                    if is_virtual(obj).is_some() =>
                {
                    cursor.remove_inst(i);
                }
                InstKind::LoadField { obj, offset } if let Some(o) = is_virtual(obj) => {
                    let value = followed
                        .snapshot_at(i, o)
                        .and_then(|s| s.field(offset))
                        .expect("checked: the field was stored");
                    cursor.replace_inst(i, InstKind::Copy(value));
                    // The code uses the value itself (later passes see
                    // what it is); the copy is for frame states.
                    if let Some(r) = result {
                        cursor.replace_all_uses(r, value);
                    }
                }
                InstKind::IsShape { obj, shape } if let Some(o) = is_virtual(obj) => {
                    let same =
                        followed.snapshot_at(i, o).expect("a virtual object fits its line").shape == shape;
                    cursor.goto_before(i);
                    let constant = cursor.ins_value(InstKind::Bool(same));
                    cursor.replace_inst(i, InstKind::Truthy(constant));
                }
                _ => {}
            }
        }
    }
}

/// The object instruction `i` stores into, loads from or checks, if any.
fn subject(f: &Function, i: Inst, object_of: &HashMap<Value, Value>) -> Option<Value> {
    match f.inst(i).kind {
        InstKind::StoreShape { obj, .. }
        | InstKind::StoreField { obj, .. }
        | InstKind::LoadField { obj, .. }
        | InstKind::GuardShape { obj, .. }
        | InstKind::AssumeShape { obj, .. }
        | InstKind::IsShape { obj, .. } => object_of.get(&obj).copied(),
        _ => None,
    }
}

/// Applies instruction `i` to what object `o` holds (`snap`); whether the
/// object can stay virtual there: a load of a field it holds, a guard of
/// the shape it has, and, in its line (`in_line`), stores and transitions.
fn follow(
    f: &Function,
    i: Inst,
    o: Value,
    object_of: &HashMap<Value, Value>,
    snap: &mut Snapshot,
    in_line: bool,
) -> bool {
    if subject(f, i, object_of) != Some(o) {
        return true;
    }
    match f.inst(i).kind {
        InstKind::StoreShape { shape, .. } if in_line => {
            snap.shape = shape;
            true
        }
        InstKind::StoreField { offset, value, .. } if in_line => {
            snap.store(offset, value);
            true
        }
        InstKind::StoreShape { .. } | InstKind::StoreField { .. } => false,
        InstKind::LoadField { offset, .. } => snap.field(offset).is_some(),
        // The first guard of a fresh instance names its class's initial
        // shape (its class was guarded before the allocation).
        InstKind::GuardShape { shape, .. } | InstKind::AssumeShape { shape, .. } => {
            if snap.shape == 0 && snap.fields.is_empty() {
                snap.shape = shape;
            }
            snap.shape == shape
        }
        InstKind::IsShape { .. } => snap.shape != 0,
        _ => true,
    }
}

/// What the objects hold along their lines (see [`straight_line`]).
struct Followed {
    /// What each object holds before each instruction of its line.
    at: HashMap<Inst, Vec<(Value, Snapshot)>>,
    /// What each object holds at its line's end; `None` for an object
    /// whose line has something that does not fit (see [`follow`]), or
    /// that has no line.
    last: HashMap<Value, Option<Snapshot>>,
    /// Each object's line.
    lines: HashMap<Value, Vec<Block>>,
}

impl Followed {
    /// What object `o` holds at instruction `i`: as followed along its
    /// line, or at the line's end (`None` if its line does not fit).
    fn snapshot_at(&self, i: Inst, o: Value) -> Option<Snapshot> {
        match self.at.get(&i).and_then(|list| list.iter().find(|(x, _)| *x == o)) {
            Some((_, s)) => Some(s.clone()),
            None => self.last.get(&o).cloned().flatten(),
        }
    }
}

/// Follows every object along its line.
fn follow_lines(
    f: &Function,
    cfg: &ControlFlowGraph,
    class_of: &HashMap<Value, Value>,
    object_of: &HashMap<Value, Value>,
) -> Followed {
    let mut followed = Followed { at: HashMap::new(), last: HashMap::new(), lines: HashMap::new() };
    for &o in class_of.keys() {
        let Some(line) = straight_line(f, cfg, o) else {
            followed.last.insert(o, None);
            continue;
        };
        let mut snap = Snapshot::default();
        let mut fits = true;
        for &b in &line {
            for &i in &f.block(b).insts {
                followed.at.entry(i).or_default().push((o, snap.clone()));
                fits &= follow(f, i, o, object_of, &mut snap, true);
            }
        }
        followed.last.insert(o, fits.then_some(snap));
        followed.lines.insert(o, line);
    }
    followed
}

/// The blocks from the allocation of `o` on, each the only successor of
/// the one before and with no other predecessor. `None` if the
/// allocation is in no block.
fn straight_line(f: &Function, cfg: &ControlFlowGraph, o: Value) -> Option<Vec<Block>> {
    let brine_ir::ValueDef::Result(alloc) = f.values[o.index()].def else { return None };
    let (mut b, _) = brine_ir::cursor::inst_position(f, alloc)?;
    let mut line = vec![b];
    while let [next] = cfg.successors(b)
        && cfg.predecessors(*next).len() == 1
        && !line.contains(next)
    {
        b = *next;
        line.push(b);
    }
    Some(line)
}

/// The destinations of block `b`'s terminator, with the values it passes.
fn jump_args(f: &Function, b: Block) -> Vec<(Block, Vec<Value>)> {
    let Some(term) = f.terminator(b) else { return Vec::new() };
    match &f.inst(term).kind {
        InstKind::Jump { dest, args } => vec![(*dest, args.clone())],
        InstKind::Branch { then_dest, then_args, else_dest, else_args, .. } => {
            vec![(*then_dest, then_args.clone()), (*else_dest, else_args.clone())]
        }
        _ => Vec::new(),
    }
}
