//! Specialization ahead of time, in `brine build -O2` (DESIGN.md
//! section 9): a `brine.specialize(f, c1, .., ck)` of the script whose
//! arguments are known before the program runs is done by the compiler,
//! and the call becomes the closure of the residual function, which the
//! rest of the build optimizes and compiles like any other function.
//!
//! Known before the run means: `f` is a global declared once by a
//! function declaration and never assigned; each constant is a literal,
//! or a global declared once and never assigned whose value is a literal
//! or `brine.freeze` of a list literal of literals; and those globals are
//! defined before the call, on every path to it, in the same script. The frozen
//! list then holds those elements whenever the residual code runs, so
//! loads from it fold as they would at run time.
//!
//! While it evaluates, the program's objects are tokens (made-up bits):
//! a global's value, and a new function's closure. In the residual code
//! a global's token becomes a read of the global (which holds that value
//! from then on), and a function's a closure of it.

use super::{Const, Heap, LIMITS, specialize};
use brine_ir::{FuncId, Function, GlobalId, InstKind, Intrinsic, Module, StrId, Value, ValueDef};
use std::collections::HashMap;

/// Tokens are quiet NaNs with this tag, never a value's bits at run time.
const TOKEN: u64 = 0x7ffb_0000_0000_0000;
const GLOBAL: u64 = 1 << 40;
const FUNCTION: u64 = 2 << 40;
const INDEX: u64 = (1 << 40) - 1;

fn global_token(g: GlobalId) -> u64 {
    TOKEN | GLOBAL | g.0 as u64
}

fn function_token(f: FuncId) -> u64 {
    TOKEN | FUNCTION | f.0 as u64
}

/// What an unchanging global holds, when the compiler knows it.
#[derive(Clone, Debug)]
enum Known {
    Function(FuncId),
    Constant(Const),
    /// A frozen list of these elements.
    List(Vec<Const>),
}

fn def(f: &Function, v: Value) -> Option<&InstKind> {
    match f.values[v.index()].def {
        ValueDef::Result(i) => Some(&f.inst(i).kind),
        ValueDef::Param(..) => None,
    }
}

/// What `v` of `f` is, if the compiler knows it.
fn known_value(f: &Function, v: Value) -> Option<Known> {
    match def(f, v)? {
        InstKind::Closure { func, captures } if captures.is_empty() => Some(Known::Function(*func)),
        InstKind::Intrinsic { op: Intrinsic::Freeze, args, .. } => match def(f, args[0])? {
            InstKind::NewList { items, .. } => {
                items.iter().map(|&i| Const::literal(def(f, i)?)).collect::<Option<Vec<_>>>().map(Known::List)
            }
            _ => None,
        },
        kind => Const::literal(kind).map(Known::Constant),
    }
}

/// The evaluator's view of the program before it runs.
struct StaticHeap<'a> {
    known: &'a HashMap<GlobalId, Known>,
    /// Specializations asked for: function, constants, and the id the new
    /// function will get.
    asked: Vec<(FuncId, Vec<Const>, FuncId)>,
    next_id: usize,
}

impl StaticHeap<'_> {
    fn global_of(&self, token: u64) -> Option<&Known> {
        if token & !INDEX != TOKEN | GLOBAL {
            return None;
        }
        self.known.get(&GlobalId((token & INDEX) as u32))
    }
}

impl Heap for StaticHeap<'_> {
    fn index(&self, obj: u64, index: f64) -> Option<Const> {
        match self.global_of(obj)? {
            Known::List(items) if index.fract() == 0.0 && index >= 0.0 => items.get(index as usize).copied(),
            _ => None,
        }
    }
    fn field(&self, _: u64, _: StrId) -> Option<Const> {
        None
    }
    fn global(&self, global: GlobalId) -> Option<Const> {
        Some(match self.known.get(&global)? {
            Known::Constant(c) => *c,
            Known::Function(_) | Known::List(_) => Const::Object(global_token(global)),
        })
    }
    fn equal(&self, a: Const, b: Const) -> bool {
        match (a, b) {
            (Const::Number(x), Const::Number(y)) => x == y,
            // Strings are interned: equal strings have one id.
            _ => a == b,
        }
    }
    fn function(&self, closure: u64) -> Option<FuncId> {
        match self.global_of(closure)? {
            Known::Function(f) => Some(*f),
            _ => None,
        }
    }
    fn specialization(&mut self, callee: u64, consts: &[Const]) -> Option<u64> {
        let Some(Known::Function(func)) = self.global_of(callee) else { return None };
        let func = *func;
        if let Some(&(_, _, id)) = self.asked.iter().find(|(f, c, _)| *f == func && c == consts) {
            return Some(function_token(id));
        }
        if self.asked.len() >= super::REQUEST_FUNCTIONS {
            return None;
        }
        let id = FuncId::new(self.next_id);
        self.next_id += 1;
        self.asked.push((func, consts.to_vec(), id));
        Some(function_token(id))
    }
}

/// Does every `brine.specialize` of `module`'s scripts whose arguments
/// are known, replacing it by the closure of its result. Returns a line
/// for each one done or declined, for `brine emit o2-ir`.
pub fn specialize_ahead_of_time(module: &mut Module) -> Vec<String> {
    let unchanging = crate::whole_program::unchanging_globals(module);
    let mut known: HashMap<GlobalId, Known> = HashMap::new();
    // Where each known global is defined: (script, block, index).
    let mut defined_at = HashMap::new();
    let mut requests = Vec::new();
    for (fi, f) in module.functions.iter().enumerate() {
        if f.kind != brine_ir::FunctionKind::Script {
            continue;
        }
        for &b in &f.layout {
            for (k, &i) in f.block(b).insts.iter().enumerate() {
                match &f.inst(i).kind {
                    InstKind::DefineGlobal { global, value } if unchanging.contains(global) => {
                        if let Some(v) = known_value(f, *value) {
                            known.insert(*global, v);
                            defined_at.insert(*global, (fi, b, k));
                        }
                    }
                    InstKind::Intrinsic { op: Intrinsic::Specialize, args, .. } => {
                        requests.push((fi, b, k, i, args.clone()));
                    }
                    _ => {}
                }
            }
        }
    }
    let mut notes = Vec::new();
    for (fi, b, k, inst, args) in requests {
        let script = &module.functions[fi];
        let cfg = brine_ir::ControlFlowGraph::with_function(script);
        let domtree = brine_ir::DominatorTree::with_function(script, &cfg);
        // Each argument: a literal, or a known global defined before the
        // call in this block.
        let known_before = |v: Value| -> Option<(Option<GlobalId>, Const)> {
            match def(script, v)? {
                InstKind::GetGlobal { global, .. } => {
                    // Defined before the call on every path to it.
                    let &(dfi, db, dk) = defined_at.get(global)?;
                    let before = if db == b { dk < k } else { domtree.strictly_dominates(db, b) };
                    if dfi != fi || !before {
                        return None;
                    }
                    let c = match known.get(global)? {
                        Known::Constant(c) => *c,
                        _ => Const::Object(global_token(*global)),
                    };
                    Some((Some(*global), c))
                }
                kind => Const::literal(kind).map(|c| (None, c)),
            }
        };
        let Some((Some(fg), _)) = known_before(args[0]) else {
            notes.push("; brine.specialize left to run time: its function is not a known global".into());
            continue;
        };
        let Some(Known::Function(func)) = known.get(&fg).cloned() else {
            notes.push(
                "; brine.specialize left to run time: its function is not a function declaration".into(),
            );
            continue;
        };
        let Some(consts) =
            args[1..].iter().map(|&a| known_before(a).map(|(_, c)| c)).collect::<Option<Vec<_>>>()
        else {
            notes.push(format!(
                "; brine.specialize of {} left to run time: an argument is not known before the program runs",
                module.function(func).display_name()
            ));
            continue;
        };
        if consts.len() > module.function(func).arity as usize {
            continue;
        }
        let first = FuncId::new(module.functions.len());
        let mut heap = StaticHeap {
            known: &known,
            asked: vec![(func, consts.clone(), first)],
            next_id: first.index() + 1,
        };
        let mut made = Vec::new();
        let mut failed = false;
        let mut copies = 0;
        let mut next = 0;
        while next < heap.asked.len() {
            let (f, c, id) = heap.asked[next].clone();
            next += 1;
            let original = module.function(f).clone();
            let left = super::REQUEST_COPIES.saturating_sub(copies);
            let limits = super::Limits { copies: left.min(LIMITS.copies), ..LIMITS };
            let callee = global_token(fg_of(&known, f).unwrap_or(fg));
            match specialize(module, &original, callee, &c, &mut heap, limits) {
                Ok(s) => {
                    copies += s.copies;
                    made.push((id, s.func));
                }
                Err(why) => {
                    notes.push(format!(
                        "; brine.specialize of {} left to run time: {why}",
                        original.display_name()
                    ));
                    failed = true;
                    break;
                }
            }
        }
        if failed {
            continue;
        }
        // The new functions, in the order of their ids, with tokens
        // turned into what they stand for.
        made.sort_by_key(|(id, _)| *id);
        for (id, mut func) in made {
            let site = module.add_site(func.line);
            detokenize(&mut func, site);
            debug_assert_eq!(id.index(), module.functions.len());
            let declared = module.declare_function(func.name.clone(), func.kind, func.arity, func.line);
            module.define_function(declared, func);
        }
        notes.push(format!(
            "; brine.specialize of {} done ahead of time: {} function(s), from {first}",
            module.function(func).display_name(),
            heap.asked.len()
        ));
        // The call becomes the closure of the first.
        let script = &mut module.functions[fi];
        script.insts[inst.index()].kind = InstKind::Closure { func: first, captures: Vec::new() };
    }
    notes
}

/// The global that holds function `f`, as the evaluator's callee.
fn fg_of(known: &HashMap<GlobalId, Known>, f: FuncId) -> Option<GlobalId> {
    known.iter().find(|(_, k)| matches!(k, Known::Function(g) if *g == f)).map(|(&g, _)| g)
}

/// Replaces the tokens of `func` by reads of their globals (at `site`)
/// and closures of their functions.
fn detokenize(func: &mut Function, site: brine_ir::SiteId) {
    for data in &mut func.insts {
        if let InstKind::Object(bits) = data.kind
            && bits & !INDEX & !(GLOBAL | FUNCTION) == TOKEN
        {
            let index = (bits & INDEX) as u32;
            data.kind = if bits & FUNCTION != 0 {
                InstKind::Closure { func: FuncId(index), captures: Vec::new() }
            } else {
                InstKind::GetGlobal { global: GlobalId(index), site }
            };
        }
    }
}
