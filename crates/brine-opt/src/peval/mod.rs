//! The partial evaluator (DESIGN.md section 9): specializes a function to
//! constant values of its first parameters, so that an interpreter
//! written in Lox, specialized to one guest program, becomes compiled
//! code for that program (the first Futamura projection; the model is
//! weval, Fallin and Bernstein, PLDI 2025).
//!
//! It runs the function's IR over abstract values, each a constant or a
//! run-time value, and emits what it cannot compute (the *residual*
//! code). Each block is copied once per *context*, a stack of constants
//! that the interpreter names with `brine.pushContext(pc)`,
//! `brine.updateContext(pc)` and `brine.popContext()`; the abstract
//! states that reach the same block in the same context are merged (a
//! value that differs becomes a run-time value: a parameter of the
//! block's copy). Since an abstract value can only go from constant to
//! run time, a fixpoint is reached for every set of contexts, and a
//! budget on the copies ends the evaluation of an interpreter whose
//! contexts never repeat: [`specialize`] then fails, and the caller keeps
//! the unspecialized function.
//!
//! What folds:
//! - constants, arithmetic and comparisons of constants, truthiness, and
//!   branches on constants;
//! - loads from frozen lists and frozen instances reachable from constants
//!   ([`Heap::index`], [`Heap::field`]), and reads of globals that hold a
//!   constant (a function declared once and never assigned);
//! - the registers of `brine.readReg(i)`/`brine.writeReg(i, v)` with a
//!   constant `i`: they are part of the abstract state, so they become SSA
//!   values of the residual code;
//! - a call of a constant function whose first arguments are constants,
//!   one of them an object (the guest program): it becomes a call of a
//!   specialization of that function ([`Heap::specialization`]), which is
//!   how a guest call, made as a recursive call of the interpreter, is
//!   compiled;
//! - `brine.specializeValue(v, lo, hi)` of a run-time `v`: the residual code
//!   tests `v` against each integer in `lo ..= hi`, and each case goes on
//!   with `v` a constant (until the paths meet again).
//!
//! A function that names no contexts gets them anyway when it has a
//! dispatch loop (`find_dispatch_loop`): the program counter, a loop
//! header parameter that indexes a constant argument, is the context at
//! the header, and the blocks of the loop where paths with different next
//! program counters meet are copied per counter (what annotations do by
//! calling `updateContext` on each path).
//!
//! The residual function's entry parameters are `(callee, this, rest...)`:
//! the original's callee becomes the original closure itself (a constant),
//! so a function that calls itself through its callee calls the original.
//! The residual keeps the original's sites, so it shares their inline
//! caches and reports errors at the same lines. It has no frame states:
//! it is a function of its own, which the normal optimizer and code
//! generator take from there.
//!
//! It knows nothing of the runtime: run-time objects are their NaN-boxed
//! bits, read through [`Heap`].

mod ahead_of_time;

pub use ahead_of_time::specialize_ahead_of_time;

use brine_ir::builder::FunctionBuilder;
use brine_ir::{
    BinaryOp, Block, FuncId, Function, GlobalId, InstKind, Intrinsic, Liveness, Module, SiteId, StrId, Type,
    UnaryOp, Value,
};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// A compile-time constant: a Lox value the evaluator knows.
#[derive(Copy, Clone, Debug)]
pub enum Const {
    Nil,
    Bool(bool),
    Number(f64),
    /// A string constant of the module.
    Str(StrId),
    /// A run-time object (a string, list, instance, closure ...): its
    /// NaN-boxed bits.
    Object(u64),
}

impl Const {
    /// Lox truthiness.
    pub fn truthy(self) -> bool {
        !matches!(self, Const::Nil | Const::Bool(false))
    }

    /// Identity, for contexts and states: numbers by their bits.
    fn key(self) -> (u8, u64) {
        match self {
            Const::Nil => (0, 0),
            Const::Bool(b) => (1, b as u64),
            Const::Number(n) => (2, n.to_bits()),
            Const::Str(s) => (3, s.index() as u64),
            Const::Object(bits) => (4, bits),
        }
    }

    /// The constant a literal instruction (`nil`, `bool`, `number`,
    /// `string`) makes, if `kind` is one.
    pub fn literal(kind: &InstKind) -> Option<Const> {
        Some(match kind {
            InstKind::Nil => Const::Nil,
            InstKind::Bool(b) => Const::Bool(*b),
            InstKind::Number(n) => Const::Number(*n),
            InstKind::Str(s) => Const::Str(*s),
            _ => return None,
        })
    }

    /// The constant as an IR instruction.
    pub fn inst(self) -> InstKind {
        match self {
            Const::Nil => InstKind::Nil,
            Const::Bool(b) => InstKind::Bool(b),
            Const::Number(n) => InstKind::Number(n),
            Const::Str(s) => InstKind::Str(s),
            Const::Object(bits) => InstKind::Object(bits),
        }
    }
}

impl PartialEq for Const {
    fn eq(&self, other: &Const) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Const {}
impl std::hash::Hash for Const {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state)
    }
}

/// What the evaluator may know of the running program.
pub trait Heap {
    /// `obj[index]` when `obj` is a frozen list and `index` one of its
    /// positions: the element.
    fn index(&self, obj: u64, index: f64) -> Option<Const>;
    /// `obj.name` when `obj` is a frozen instance with that field.
    fn field(&self, obj: u64, name: StrId) -> Option<Const>;
    /// The value of `global` when it cannot change any more.
    fn global(&self, global: GlobalId) -> Option<Const>;
    /// Lox `a == b`.
    fn equal(&self, a: Const, b: Const) -> bool;
    /// The IR function of the closure `closure`, if it runs one of the
    /// module's own functions (not one a specialization made).
    fn function(&self, closure: u64) -> Option<FuncId>;
    /// A function of the remaining parameters of the closure `callee`
    /// that is `callee` specialized to `consts`, its first arguments (the
    /// caller makes it now, or has made it before, and specializes it
    /// later): its bits, or None to keep the call as it is.
    fn specialization(&mut self, callee: u64, consts: &[Const]) -> Option<u64>;
}

/// The budget of one specialization.
#[derive(Copy, Clone, Debug)]
pub struct Limits {
    /// Block copies (block, start, context).
    pub copies: usize,
    /// Instructions of the residual function.
    pub insts: usize,
}

/// The budget [`specialize`] is given at run time.
pub const LIMITS: Limits = Limits { copies: 50_000, insts: 100_000 };

/// How many functions one `brine.specialize` may make (the function it
/// names and those its guest calls ask for), at run time and ahead of time.
pub const REQUEST_FUNCTIONS: usize = 256;

/// How many block copies one `brine.specialize` may evaluate, over all the
/// functions it makes: those past it call their original.
pub const REQUEST_COPIES: usize = 200_000;

/// The most cases one `specializeValue` splits into.
const MAX_CASES: f64 = 256.0;

/// A specialized function, and what making it took.
#[derive(Debug)]
pub struct Specialized {
    pub func: Function,
    /// Block copies evaluated.
    pub copies: usize,
}

/// Specializes `func` to `consts`, the values of its first parameters,
/// with `callee` (the bits of the closure being specialized) as its
/// callee. Fails, saying why, when the function does something the
/// evaluator cannot follow (a register of run-time number) or the budget
/// runs out.
pub fn specialize(
    module: &Module,
    func: &Function,
    callee: u64,
    consts: &[Const],
    heap: &mut dyn Heap,
    limits: Limits,
) -> Result<Specialized, String> {
    if consts.len() > func.arity as usize {
        return Err(format!("{} constants for {} parameters", consts.len(), func.arity));
    }
    if !func.states.is_empty() {
        return Err("the function is already specialized code".into());
    }
    let inlined = inline_helpers(module, func, callee, heap);
    let func = &inlined;
    let mut ev = Eval {
        func,
        heap,
        limits,
        live: Liveness::compute(func),
        slots: HashMap::new(),
        entries: HashMap::new(),
        order: Vec::new(),
        preds: HashMap::new(),
        copies: HashMap::new(),
        pending: Vec::new(),
        auto: find_dispatch_loop(func, consts.len()),
    };
    let entry = Key { block: func.entry(), start: 0, ctx: Vec::new(), case: None, pcs: Vec::new() };
    let params = &func.block(func.entry()).params;
    // The entry state: the callee is the original closure, the constants
    // are constants, `this` and the rest are run-time values.
    let entry_vals: Vec<Val> = (0..params.len())
        .map(|i| match i {
            0 => Val::Const(Const::Object(callee)),
            1 => Val::Res(Value::new(0)),
            _ => consts.get(i - 2).map_or(Val::Res(Value::new(0)), |&c| Val::Const(c)),
        })
        .collect();
    ev.fixpoint(&entry, &entry_vals)?;
    let copies = ev.entries.len();
    let func = ev.emit(&entry, &entry_vals, consts.len())?;
    Ok(Specialized { func, copies })
}

/// The most instructions inlining helpers may add to the function.
const MAX_HELPER_INSTS: usize = 2000;

/// `func` with the calls of small functions held by unchanging globals
/// (helpers of the interpreter) inlined, two levels deep, so that the
/// evaluator sees their code with the caller's constants: "constant calls
/// can be inlined". Calls of `callee` (the function being specialized)
/// stay calls: they become calls of specializations.
fn inline_helpers(module: &Module, func: &Function, callee: u64, heap: &dyn Heap) -> Function {
    let mut f = func.clone();
    let budget = crate::inline::size(func) + MAX_HELPER_INSTS;
    for _ in 0..2 {
        let mut calls = Vec::new();
        for &b in &f.layout {
            for &i in &f.block(b).insts {
                let InstKind::Call { callee: target, args, site } = &f.inst(i).kind else { continue };
                let brine_ir::ValueDef::Result(def) = f.values[target.index()].def else { continue };
                let InstKind::GetGlobal { global, .. } = f.inst(def).kind else { continue };
                let Some(Const::Object(closure)) = heap.global(global) else { continue };
                let Some(id) = heap.function(closure).filter(|_| closure != callee) else { continue };
                let g = module.function(id);
                if g.kind == brine_ir::FunctionKind::Function
                    && g.arity as usize == args.len()
                    && g.states.is_empty()
                    && crate::inline::inlinable(g)
                {
                    calls.push((i, *target, args.clone(), *site, id));
                }
            }
        }
        if calls.is_empty() {
            break;
        }
        for (call, target, args, site, id) in calls {
            let g = module.function(id);
            if crate::inline::size(&f) + crate::inline::size(g) > budget {
                return f;
            }
            // A direct call (what the splice takes), with nil for `this`.
            let mut c = brine_ir::FuncCursor::new(&mut f);
            c.goto_before(call);
            let nil = c.ins_value(InstKind::Nil);
            c.replace_inst(call, InstKind::CallDirect { function: 0, callee: target, this: nil, args, site });
            crate::inline::splice(&mut f, call, g, id, site, brine_ir::StateId::new(0));
        }
    }
    f
}

/// A block copy: the block, the instruction it starts at (a case of
/// `specializeValue` starts after it), the context stack, and the case.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    block: Block,
    start: u32,
    ctx: Vec<Option<Const>>,
    case: Option<Const>,
    /// In a dispatch loop found without annotations: the constant values
    /// of the block's parameters that carry the next program counter.
    pcs: Vec<Option<Const>>,
}

/// An abstract value in a block copy's entry state.
#[derive(Copy, Clone, Debug, PartialEq)]
enum Abs {
    Const(Const),
    /// A run-time value: a parameter of the copy.
    Dyn,
    /// The activation's register file (only `readReg`/`writeReg` use it).
    RegFile,
}

/// A value during evaluation.
#[derive(Copy, Clone, Debug)]
enum Val {
    Const(Const),
    /// A value of the residual code.
    Res(Value),
    RegFile,
}

impl Val {
    fn abs(self) -> Abs {
        match self {
            Val::Const(c) => Abs::Const(c),
            Val::Res(_) => Abs::Dyn,
            Val::RegFile => Abs::RegFile,
        }
    }
    fn constant(self) -> Option<Const> {
        match self {
            Val::Const(c) => Some(c),
            _ => None,
        }
    }
}

/// The entry state of a block copy: a value per slot (see
/// [`Eval::slots`]) and the registers written so far.
#[derive(Clone, Debug, PartialEq)]
struct Entry {
    vals: Vec<Abs>,
    regs: BTreeMap<u32, Abs>,
}

/// The state while a block copy is evaluated.
#[derive(Clone)]
struct Frame {
    env: HashMap<Value, Val>,
    ctx: Vec<Option<Const>>,
    regs: BTreeMap<u32, Val>,
}

/// A way out of a block copy to another.
struct Edge {
    key: Key,
    /// By the target's slots.
    vals: Vec<Val>,
    regs: BTreeMap<u32, Val>,
}

enum Exit {
    Jump(Edge),
    /// On a run-time condition (a bool of the residual code).
    Branch(Value, Edge, Edge),
    Return(Val),
    /// `specializeValue`: a run-time value (of the residual code), tested
    /// against each case's number; the last edge is the default.
    Split(Value, SiteId, Vec<(f64, Edge)>, Edge),
}

impl Exit {
    fn edges(&self) -> Vec<&Edge> {
        match self {
            Exit::Jump(e) => vec![e],
            Exit::Branch(_, a, b) => vec![a, b],
            Exit::Return(_) => Vec::new(),
            Exit::Split(_, _, cases, default) => cases.iter().map(|(_, e)| e).chain([default]).collect(),
        }
    }
}

fn join(a: Abs, b: Abs) -> Abs {
    if a == b { a } else { Abs::Dyn }
}

struct Eval<'a> {
    func: &'a Function,
    heap: &'a mut dyn Heap,
    limits: Limits,
    live: Liveness,
    /// The values a copy starting at (block, start) holds: at a block's
    /// start its parameters, then the other values live into it; in the
    /// middle, the values live there.
    slots: HashMap<(Block, u32), Vec<Value>>,
    entries: HashMap<Key, Entry>,
    /// The copies in the order they were found.
    order: Vec<Key>,
    /// While emitting: how many ways lead into each copy, the blocks of
    /// the copies that have more than one, and the blocks whose code is
    /// still to be emitted.
    preds: HashMap<Key, usize>,
    copies: HashMap<Key, CopyBlock>,
    pending: Vec<(Block, Key, Frame)>,
    /// The dispatch loop found by [`find_dispatch_loop`], when the
    /// function names no contexts itself.
    auto: Option<DispatchLoop>,
}

/// A loop that runs an interpreter: its header has a parameter (the
/// program counter) that indexes a constant argument inside the loop.
/// Without annotations, the evaluator uses that parameter's value at the
/// header as the context: as if the loop were entered with
/// `pushContext(pc)` and each way back to its header ended with
/// `updateContext(pc)`.
#[derive(Debug)]
struct DispatchLoop {
    header: Block,
    param: usize,
    blocks: std::collections::HashSet<Block>,
    /// The parameters of the loop's other blocks whose values reach the
    /// header's program counter along jumps inside the loop.
    carriers: std::collections::HashSet<Value>,
}

/// The parameters of `blocks` (but `header`) whose values reach
/// parameter `param` of `header` along jumps between those blocks.
fn carriers(
    func: &Function,
    header: Block,
    param: usize,
    blocks: &std::collections::HashSet<Block>,
) -> std::collections::HashSet<Value> {
    let mut wanted: std::collections::HashSet<(Block, usize)> = [(header, param)].into();
    loop {
        let mut more = Vec::new();
        for &b in blocks {
            let Some(t) = func.terminator(b) else { continue };
            for (dest, args) in func.inst(t).kind.successors() {
                for (i, &a) in args.iter().enumerate() {
                    if wanted.contains(&(dest, i))
                        && let brine_ir::ValueDef::Param(pb, pi) = func.values[a.index()].def
                        && pb != header
                        && blocks.contains(&pb)
                        && !wanted.contains(&(pb, pi as usize))
                    {
                        more.push((pb, pi as usize));
                    }
                }
            }
        }
        if more.is_empty() {
            break;
        }
        wanted.extend(more);
    }
    wanted.into_iter().filter(|&(b, _)| b != header).map(|(b, i)| func.block(b).params[i]).collect()
}

/// The dispatch loop of `func` when its first `nconsts` parameters are
/// constants and it names no contexts: the outermost loop whose header
/// has a parameter used as the index of a load from a constant argument,
/// or from something loaded from one (`fn.code`), in the loop.
fn find_dispatch_loop(func: &Function, nconsts: usize) -> Option<DispatchLoop> {
    let insts =
        || func.layout.iter().flat_map(|&b| func.block(b).insts.iter().map(move |&i| (b, func.inst(i))));
    let names_contexts = insts().any(|(_, d)| {
        matches!(
            d.kind,
            InstKind::Intrinsic {
                op: Intrinsic::PushContext | Intrinsic::UpdateContext | Intrinsic::PopContext,
                ..
            }
        )
    });
    if names_contexts || nconsts == 0 {
        return None;
    }
    // The constant arguments and what is loaded from them.
    let mut fixed: std::collections::HashSet<Value> =
        func.block(func.entry()).params[2..2 + nconsts].iter().copied().collect();
    for _ in 0..2 {
        for (_, d) in insts() {
            if let (InstKind::GetProp { obj, .. } | InstKind::GetIndex { obj, .. }, Some(r)) =
                (&d.kind, d.result)
                && fixed.contains(obj)
            {
                fixed.insert(r);
            }
        }
    }
    let cfg = brine_ir::ControlFlowGraph::with_function(func);
    let domtree = brine_ir::DominatorTree::with_function(func, &cfg);
    let loops = brine_ir::LoopAnalysis::with_function(func, &cfg, &domtree);
    let mut candidates: Vec<_> = loops.loops().collect();
    candidates.sort_by_key(|&lp| loops.depth(lp));
    for lp in candidates {
        let header = loops.header(lp);
        let blocks: std::collections::HashSet<Block> = loops.blocks(lp).iter().copied().collect();
        for (param, &p) in func.block(header).params.iter().enumerate() {
            let indexes = blocks.iter().flat_map(|&b| &func.block(b).insts).any(|&i| {
                matches!(func.inst(i).kind, InstKind::GetIndex { obj, index, .. } if index == p && fixed.contains(&obj))
            });
            if indexes {
                let carriers = carriers(func, header, param, &blocks);
                return Some(DispatchLoop { header, param, blocks, carriers });
            }
        }
    }
    None
}

/// The residual block of a copy with more than one way in: its
/// parameters are its run-time slots and registers.
#[derive(Clone)]
struct CopyBlock {
    block: Block,
    /// The slots that are parameters, by index.
    slots: Vec<usize>,
    regs: Vec<u32>,
}

impl Eval<'_> {
    fn slots(&mut self, block: Block, start: u32) -> Vec<Value> {
        let (f, live) = (self.func, &self.live);
        self.slots
            .entry((block, start))
            .or_insert_with(|| {
                if start == 0 {
                    let mut slots = f.block(block).params.clone();
                    slots.extend(
                        live.live_in(block).into_iter().filter(|v| !f.block(block).params.contains(v)),
                    );
                    slots
                } else {
                    live.live_before(f, block, start as usize)
                }
            })
            .clone()
    }

    /// Finds every block copy and its entry state.
    fn fixpoint(&mut self, entry: &Key, entry_vals: &[Val]) -> Result<(), String> {
        let mut work = VecDeque::new();
        self.merge(
            &Edge { key: entry.clone(), vals: entry_vals.to_vec(), regs: BTreeMap::new() },
            &mut work,
        )?;
        while let Some(key) = work.pop_front() {
            let exit = self.scratch_run(&key)?;
            for edge in exit.edges() {
                self.merge(edge, &mut work)?;
            }
        }
        Ok(())
    }

    /// Joins what `edge` brings into its target's entry state; queues the
    /// target if that changed it.
    fn merge(&mut self, edge: &Edge, work: &mut VecDeque<Key>) -> Result<(), String> {
        let vals: Vec<Abs> = edge.vals.iter().map(|v| v.abs()).collect();
        let regs: BTreeMap<u32, Abs> = edge.regs.iter().map(|(&r, v)| (r, v.abs())).collect();
        match self.entries.get_mut(&edge.key) {
            None => {
                if self.entries.len() >= self.limits.copies {
                    return Err(format!("over the budget of {} block copies", self.limits.copies));
                }
                self.entries.insert(edge.key.clone(), Entry { vals, regs });
                self.order.push(edge.key.clone());
                work.push_back(edge.key.clone());
            }
            Some(old) => {
                // A register one side never wrote reads nil there.
                let nil = Abs::Const(Const::Nil);
                let vals = old.vals.iter().zip(&vals).map(|(&a, &b)| join(a, b)).collect();
                let mut new = Entry { vals, regs: BTreeMap::new() };
                for (&r, &a) in old.regs.iter() {
                    new.regs.insert(r, join(a, regs.get(&r).copied().unwrap_or(nil)));
                }
                for (&r, &b) in regs.iter() {
                    new.regs.entry(r).or_insert(join(nil, b));
                }
                if new != *old {
                    *old = new;
                    work.push_back(edge.key.clone());
                }
            }
        }
        Ok(())
    }

    /// Evaluates copy `key` from its entry state, into a scratch function
    /// (what it emits is thrown away).
    fn scratch_run(&mut self, key: &Key) -> Result<Exit, String> {
        let mut b = FunctionBuilder::new(Function::new(Vec::new(), self.func.kind, 0, 0));
        let block = b.create_block();
        let dummy = b.append_block_param(block, Type::Val);
        b.switch_to_block(block);
        let entry = self.entries.get(key).cloned().ok_or("internal: a block copy the fixpoint missed")?;
        let slots = self.slots(key.block, key.start);
        let as_val = |a: Abs| match a {
            Abs::Const(c) => Val::Const(c),
            Abs::Dyn => Val::Res(dummy),
            Abs::RegFile => Val::RegFile,
        };
        let frame = Frame {
            env: slots.iter().zip(&entry.vals).map(|(&v, &a)| (v, as_val(a))).collect(),
            ctx: key.ctx.clone(),
            regs: entry.regs.iter().map(|(&r, &a)| (r, as_val(a))).collect(),
        };
        self.run(key, frame, &mut b)
    }

    /// Emits the residual function: the copies in the order found, each
    /// copy that has one way in continuing the code of its predecessor.
    fn emit(&mut self, entry: &Key, entry_vals: &[Val], nconsts: usize) -> Result<Function, String> {
        let f = self.func;
        // How many ways into each copy (the entry has one more: the call).
        self.preds.insert(entry.clone(), 1);
        for key in self.order.clone() {
            for edge in self.scratch_run(&key)?.edges() {
                *self.preds.entry(edge.key.clone()).or_default() += 1;
            }
        }
        let arity = f.arity - nconsts as u32;
        let mut out = Function::new(f.name.clone(), f.kind, arity, f.line);
        out.ncaptures = f.ncaptures;
        out.library = f.library;
        // The helpers inlined before the evaluation: residual blocks of
        // their code name them, for errors' traces.
        out.inlined = f.inlined.clone();
        let mut b = FunctionBuilder::new(out);
        let start = b.create_block();
        let mut params = vec![b.append_block_param(start, Type::Val), b.append_block_param(start, Type::Val)];
        params.extend((0..arity).map(|_| b.append_block_param(start, Type::Val)));
        b.switch_to_block(start);
        b.seal_block(start);
        let slots = self.slots(entry.block, 0);
        let entry_params = &f.block(f.entry()).params;
        let vals: Vec<Val> = slots
            .iter()
            .map(|v| match entry_params.iter().position(|p| p == v) {
                Some(0) => entry_vals[0],
                Some(1) => Val::Res(params[1]),
                Some(i) if i - 2 < nconsts => entry_vals[i],
                Some(i) => Val::Res(params[i - nconsts]),
                None => Val::Const(Const::Nil),
            })
            .collect();
        let first = Edge { key: entry.clone(), vals, regs: BTreeMap::new() };
        // The entry copy may be reached again (a loop back to the entry).
        self.enter(&mut b, first)?;
        while let Some((block, key, frame)) = self.pending.pop() {
            b.switch_to_block(block);
            self.emit_from(&mut b, key, frame)?;
        }
        Ok(b.finish())
    }

    /// Emits the way along `edge` from the current block: its target's
    /// code right here when it has one way in, else a jump to its copy.
    fn enter(&mut self, b: &mut FunctionBuilder, edge: Edge) -> Result<(), String> {
        if self.preds.get(&edge.key).copied().unwrap_or(0) == 1 {
            let frame = self.frame_of(&edge);
            return self.emit_from(b, edge.key, frame);
        }
        let (block, args) = self.edge_to_copy(b, &edge)?;
        b.ins(InstKind::Jump { dest: block, args });
        Ok(())
    }

    /// The frame a copy with one way in starts with: the edge's values.
    fn frame_of(&mut self, edge: &Edge) -> Frame {
        let slots = self.slots(edge.key.block, edge.key.start);
        Frame {
            env: slots.iter().copied().zip(edge.vals.iter().copied()).collect(),
            ctx: edge.key.ctx.clone(),
            regs: edge.regs.clone(),
        }
    }

    /// The block of `edge`'s target copy (made, and queued for emission,
    /// the first time) and the arguments this edge passes it.
    fn edge_to_copy(&mut self, b: &mut FunctionBuilder, edge: &Edge) -> Result<(Block, Vec<Value>), String> {
        if !self.copies.contains_key(&edge.key) {
            let entry =
                self.entries.get(&edge.key).cloned().ok_or("internal: a block copy the fixpoint missed")?;
            let slots = self.slots(edge.key.block, edge.key.start);
            let block = self.new_block(b, edge.key.block);
            let mut env = HashMap::new();
            let mut layout = Vec::new();
            for (i, (&v, &a)) in slots.iter().zip(&entry.vals).enumerate() {
                let val = match a {
                    Abs::Const(c) => Val::Const(c),
                    Abs::RegFile => Val::RegFile,
                    Abs::Dyn => {
                        layout.push(i);
                        Val::Res(b.append_block_param(block, self.func.value_type(v)))
                    }
                };
                env.insert(v, val);
            }
            let mut regs = BTreeMap::new();
            let mut reg_layout = Vec::new();
            for (&r, &a) in &entry.regs {
                let val = match a {
                    Abs::Const(c) => Val::Const(c),
                    Abs::RegFile => Val::RegFile,
                    Abs::Dyn => {
                        reg_layout.push(r);
                        Val::Res(b.append_block_param(block, Type::Val))
                    }
                };
                regs.insert(r, val);
            }
            let frame = Frame { env, ctx: edge.key.ctx.clone(), regs };
            self.pending.push((block, edge.key.clone(), frame));
            self.copies.insert(edge.key.clone(), CopyBlock { block, slots: layout, regs: reg_layout });
        }
        let CopyBlock { block, slots: layout, regs: reg_layout } = self.copies[&edge.key].clone();
        let mut args = Vec::new();
        for i in layout {
            let ty = self.func.value_type(self.slots(edge.key.block, edge.key.start)[i]);
            args.push(self.materialize(b, edge.vals[i], ty)?);
        }
        for r in reg_layout {
            let v = edge.regs.get(&r).copied().unwrap_or(Val::Const(Const::Nil));
            args.push(self.materialize(b, v, Type::Val)?);
        }
        Ok((block, args))
    }

    /// Emits copy `key` (and the copies with one way in that follow it)
    /// into the current block, starting from `frame`.
    fn emit_from(&mut self, b: &mut FunctionBuilder, mut key: Key, mut frame: Frame) -> Result<(), String> {
        loop {
            if b.func.insts.len() > self.limits.insts {
                return Err(format!("over the budget of {} residual instructions", self.limits.insts));
            }
            let exit = self.run(&key, frame, b)?;
            match exit {
                Exit::Return(v) => {
                    let value = self.materialize(b, v, Type::Val)?;
                    b.ins(InstKind::Return { value });
                    return Ok(());
                }
                Exit::Jump(edge) => {
                    if self.preds.get(&edge.key).copied().unwrap_or(0) == 1 {
                        // Code of another inlined frame gets a block of its own.
                        let here = b.current_block().expect("emitting into a block");
                        let wanted = self.func.block(edge.key.block).frame;
                        if b.func.block(here).insts.is_empty() && here != b.func.layout[0] {
                            b.func.blocks[here.index()].frame = wanted;
                        } else if b.func.block(here).frame != wanted {
                            let next = self.new_block(b, edge.key.block);
                            b.ins(InstKind::Jump { dest: next, args: Vec::new() });
                            b.switch_to_block(next);
                        }
                        frame = self.frame_of(&edge);
                        key = edge.key;
                        continue;
                    }
                    let (block, args) = self.edge_to_copy(b, &edge)?;
                    b.ins(InstKind::Jump { dest: block, args });
                    return Ok(());
                }
                Exit::Branch(cond, then_edge, else_edge) => {
                    let (then_dest, then_args) = self.branch_target(b, then_edge)?;
                    let (else_dest, else_args) = self.branch_target(b, else_edge)?;
                    b.ins(InstKind::Branch { cond, then_dest, then_args, else_dest, else_args });
                    return Ok(());
                }
                Exit::Split(value, site, cases, default) => {
                    for (k, edge) in cases {
                        let n = b.ins_value(InstKind::Number(k));
                        let eq = b.ins_value(InstKind::Binary { op: BinaryOp::Eq, lhs: value, rhs: n, site });
                        let cond = b.ins_value(InstKind::Truthy(eq));
                        let (then_dest, then_args) = self.branch_target(b, edge)?;
                        let next = b.create_block();
                        b.seal_block(next);
                        b.ins(InstKind::Branch {
                            cond,
                            then_dest,
                            then_args,
                            else_dest: next,
                            else_args: vec![],
                        });
                        b.switch_to_block(next);
                    }
                    let (dest, args) = self.branch_target(b, default)?;
                    b.ins(InstKind::Jump { dest, args });
                    return Ok(());
                }
            }
        }
    }

    /// The block a branch goes to along `edge`, with its arguments: a new
    /// block that continues here when the target has one way in.
    fn branch_target(&mut self, b: &mut FunctionBuilder, edge: Edge) -> Result<(Block, Vec<Value>), String> {
        if self.preds.get(&edge.key).copied().unwrap_or(0) == 1 {
            let block = self.new_block(b, edge.key.block);
            let frame = self.frame_of(&edge);
            self.pending.push((block, edge.key, frame));
            return Ok((block, Vec::new()));
        }
        self.edge_to_copy(b, &edge)
    }

    /// A new residual block for code of `original` (in its inlined frame).
    fn new_block(&self, b: &mut FunctionBuilder, original: Block) -> Block {
        let block = b.create_block();
        b.seal_block(block);
        b.func.blocks[block.index()].frame = self.func.block(original).frame;
        block
    }

    /// `v` as a value of the residual code (a constant becomes an
    /// instruction).
    fn materialize(&mut self, b: &mut FunctionBuilder, v: Val, ty: Type) -> Result<Value, String> {
        match v {
            Val::Res(r) => Ok(r),
            Val::Const(c) => {
                let value = b.ins_value(c.inst());
                Ok(if ty == Type::Bool { b.ins_value(InstKind::Truthy(value)) } else { value })
            }
            Val::RegFile => Err("the register file is used as a value".into()),
        }
    }

    /// The edge to block `dest` with `args`, from `frame`.
    fn edge(&mut self, frame: &Frame, dest: Block, args: &[Value]) -> Result<Edge, String> {
        let slots = self.slots(dest, 0);
        let params = &self.func.block(dest).params;
        let mut vals = Vec::with_capacity(slots.len());
        for &v in &slots {
            let source = match params.iter().position(|&p| p == v) {
                Some(i) => args[i],
                None => v,
            };
            vals.push(get(frame, source)?);
        }
        let ctx = match &self.auto {
            // Into the dispatch loop's header: the program counter is the
            // context. Out of the loop (a handler that returns, which the
            // natural loop does not include) it stays.
            Some(auto) if dest == auto.header => {
                vec![get(frame, args[auto.param])?.constant()]
            }
            _ => frame.ctx.clone(),
        };
        // A block of the dispatch loop where paths with different next
        // program counters meet is copied per program counter, as if
        // each path had said `updateContext` before they met.
        let pcs = match &self.auto {
            Some(auto) if dest != auto.header && auto.blocks.contains(&dest) => slots
                .iter()
                .zip(&vals)
                .filter(|(v, _)| auto.carriers.contains(v))
                .map(|(_, val)| val.constant())
                .collect(),
            _ => Vec::new(),
        };
        Ok(Edge { key: Key { block: dest, start: 0, ctx, case: None, pcs }, vals, regs: frame.regs.clone() })
    }

    /// Evaluates copy `key` from `frame`, emitting its residual code into
    /// the current block of `b`, up to its way out.
    fn run(&mut self, key: &Key, mut frame: Frame, b: &mut FunctionBuilder) -> Result<Exit, String> {
        let func = self.func;
        let insts = &func.block(key.block).insts[key.start as usize..];
        for (offset, &inst) in insts.iter().enumerate() {
            let data = func.inst(inst);
            match &data.kind {
                InstKind::Jump { dest, args } => {
                    return Ok(Exit::Jump(self.edge(&frame, *dest, args)?));
                }
                InstKind::Branch { cond, then_dest, then_args, else_dest, else_args } => {
                    return Ok(match get(&frame, *cond)? {
                        Val::Const(c) => {
                            let (dest, args) =
                                if c.truthy() { (then_dest, then_args) } else { (else_dest, else_args) };
                            Exit::Jump(self.edge(&frame, *dest, args)?)
                        }
                        Val::Res(cond) => Exit::Branch(
                            cond,
                            self.edge(&frame, *then_dest, then_args)?,
                            self.edge(&frame, *else_dest, else_args)?,
                        ),
                        Val::RegFile => return Err("a branch on the register file".into()),
                    });
                }
                InstKind::Return { value } => return Ok(Exit::Return(get(&frame, *value)?)),
                InstKind::Intrinsic { op: Intrinsic::SpecializeValue, args, site } => {
                    let (v, lo, hi) = (get(&frame, args[0])?, get(&frame, args[1])?, get(&frame, args[2])?);
                    let result = data.result.expect("an intrinsic has a result");
                    if let (Val::Res(value), Some(Const::Number(lo)), Some(Const::Number(hi))) =
                        (v, lo.constant(), hi.constant())
                        && lo.fract() == 0.0
                        && hi.fract() == 0.0
                        && (0.0..MAX_CASES).contains(&(hi - lo))
                    {
                        let start = key.start + offset as u32 + 1;
                        let slots = self.slots(key.block, start);
                        let edge_for = |case: Option<f64>| Edge {
                            key: Key {
                                block: key.block,
                                start,
                                ctx: frame.ctx.clone(),
                                case: case.map(Const::Number),
                                pcs: key.pcs.clone(),
                            },
                            vals: slots
                                .iter()
                                .map(|&s| match (s == result, case) {
                                    (true, Some(k)) => Val::Const(Const::Number(k)),
                                    (true, None) => v,
                                    _ => frame.env.get(&s).copied().unwrap_or(Val::Const(Const::Nil)),
                                })
                                .collect(),
                            regs: frame.regs.clone(),
                        };
                        let cases = (0..=(hi - lo) as i64)
                            .map(|i| (lo + i as f64, edge_for(Some(lo + i as f64))))
                            .collect();
                        let default = edge_for(None);
                        return Ok(Exit::Split(value, *site, cases, default));
                    }
                    frame.env.insert(result, v);
                }
                kind => {
                    let v = self.inst(&mut frame, kind, b)?;
                    if let Some(r) = data.result {
                        frame.env.insert(r, v);
                    }
                }
            }
        }
        Err("a block without a terminator".into())
    }

    /// Evaluates one instruction that is not a terminator: its value.
    fn inst(&mut self, frame: &mut Frame, kind: &InstKind, b: &mut FunctionBuilder) -> Result<Val, String> {
        let constant =
            |frame: &Frame, v: Value| -> Result<Option<Const>, String> { Ok(get(frame, v)?.constant()) };
        let folded = match kind {
            InstKind::Nil | InstKind::Bool(_) | InstKind::Number(_) | InstKind::Str(_) => {
                Const::literal(kind)
            }
            InstKind::Unary { op, arg, .. } => match (op, constant(frame, *arg)?) {
                (UnaryOp::Not, Some(c)) => Some(Const::Bool(!c.truthy())),
                (UnaryOp::Neg, Some(Const::Number(n))) => Some(Const::Number(-n)),
                _ => None,
            },
            InstKind::Binary { op, lhs, rhs, .. } => match (constant(frame, *lhs)?, constant(frame, *rhs)?) {
                (Some(a), Some(b)) => self.binary(*op, a, b),
                _ => None,
            },
            InstKind::Truthy(v) => constant(frame, *v)?.map(|c| Const::Bool(c.truthy())),
            InstKind::GetGlobal { global, .. } => self.heap.global(*global),
            InstKind::GetIndex { obj, index, .. } => match (constant(frame, *obj)?, constant(frame, *index)?)
            {
                (Some(Const::Object(obj)), Some(Const::Number(i))) => self.heap.index(obj, i),
                _ => None,
            },
            InstKind::GetProp { obj, name, .. } => match constant(frame, *obj)? {
                Some(Const::Object(obj)) => self.heap.field(obj, *name),
                _ => None,
            },
            InstKind::Intrinsic { op, args, .. } => match op {
                Intrinsic::PushContext => {
                    let c = constant(frame, args[0])?;
                    frame.ctx.push(c);
                    Some(Const::Nil)
                }
                Intrinsic::UpdateContext => {
                    let c = constant(frame, args[0])?;
                    match frame.ctx.last_mut() {
                        Some(top) => *top = c,
                        None => frame.ctx.push(c),
                    }
                    Some(Const::Nil)
                }
                Intrinsic::PopContext => {
                    frame.ctx.pop();
                    Some(Const::Nil)
                }
                Intrinsic::RegFile => return Ok(Val::RegFile),
                Intrinsic::ReadReg => {
                    let r = register(constant(frame, args[1])?)?;
                    return Ok(frame.regs.get(&r).copied().unwrap_or(Val::Const(Const::Nil)));
                }
                Intrinsic::WriteReg => {
                    let r = register(constant(frame, args[1])?)?;
                    let v = get(frame, args[2])?;
                    frame.regs.insert(r, v);
                    Some(Const::Nil)
                }
                Intrinsic::SpecializeValue => return get(frame, args[0]),
                Intrinsic::Freeze | Intrinsic::Specialize => None,
            },
            InstKind::Call { callee, args, site } => {
                if let Some(Const::Object(f)) = constant(frame, *callee)? {
                    let mut consts = Vec::new();
                    for &a in args {
                        match constant(frame, a)? {
                            Some(c) => consts.push(c),
                            None => break,
                        }
                    }
                    if consts.iter().any(|c| matches!(c, Const::Object(_)))
                        && let Some(g) = self.heap.specialization(f, &consts)
                    {
                        let callee = b.ins_value(InstKind::Object(g));
                        let mut rest = Vec::new();
                        for &a in &args[consts.len()..] {
                            rest.push(self.materialize(b, get(frame, a)?, Type::Val)?);
                        }
                        return Ok(Val::Res(b.ins_value(InstKind::Call { callee, args: rest, site: *site })));
                    }
                }
                None
            }
            _ => None,
        };
        if let Some(c) = folded {
            return Ok(Val::Const(c));
        }
        // The residual instruction, with its operands in the residual code.
        let mut operands = Vec::new();
        kind.for_each_arg(|a| operands.push(a));
        let mut values = Vec::with_capacity(operands.len());
        for a in operands {
            values.push(self.materialize(b, get(frame, a)?, self.func.value_type(a))?);
        }
        let mut values = values.into_iter();
        let residual = kind.clone().map_args(|_| values.next().expect("one value per operand"));
        Ok(match b.ins(residual) {
            Some(r) => Val::Res(r),
            None => Val::Const(Const::Nil),
        })
    }

    /// `a op b` of two constants, when it can be computed here.
    fn binary(&self, op: BinaryOp, a: Const, b: Const) -> Option<Const> {
        if let (Const::Number(x), Const::Number(y)) = (a, b) {
            return Some(match op.apply(x, y) {
                brine_ir::Applied::Number(n) => Const::Number(n),
                brine_ir::Applied::Bool(b) => Const::Bool(b),
            });
        }
        match op {
            BinaryOp::Eq => Some(Const::Bool(self.heap.equal(a, b))),
            BinaryOp::Ne => Some(Const::Bool(!self.heap.equal(a, b))),
            _ => None,
        }
    }
}

/// The value of `v` in `frame`.
fn get(frame: &Frame, v: Value) -> Result<Val, String> {
    frame.env.get(&v).copied().ok_or_else(|| format!("internal: {v} has no value"))
}

/// A register number known here.
fn register(c: Option<Const>) -> Result<u32, String> {
    match c {
        Some(Const::Number(n)) if n.fract() == 0.0 && (0.0..Intrinsic::REGISTERS as f64).contains(&n) => {
            Ok(n as u32)
        }
        Some(_) => Err("a register number out of range".into()),
        None => Err("a register whose number is known only at run time".into()),
    }
}
