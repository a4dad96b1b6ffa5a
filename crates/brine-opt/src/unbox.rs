//! Unboxed block parameters: a block parameter known to be a number (a
//! loop variable, say; see [`crate::simplify::known_numbers`]) becomes an
//! `f64`, so loops carry their numbers in float registers.
//!
//! ```text
//! block1(v5: val):                 block1(v5: f64):
//!     v16 = unbox v5         ==>       v25 = fadd v5, v24
//!     v25 = fadd v16, v24              jump block1(v25)
//!     v12 = box_num v25
//!     jump block1(v12)
//! ```
//!
//! The parameter keeps its number. Its `unbox`es go; an operand that needs
//! a val gets a `box_num` just before its instruction (in that block, so
//! that no value the optimizer makes crosses blocks); an edge argument for
//! it is the f64 a `box_num` of the same block boxed, else its `unbox`.
//!
//! A number's f64 bits are its NaN-boxed bits, so a frame state may list
//! the parameter as it is: the interpreter frame a guard rebuilds, and the
//! one an on-stack replacement loads from, hold the same word either way.

use crate::simplify::known_numbers;
use brine_ir::{Block, FuncCursor, Function, Inst, InstKind, Type, Value, ValueDef};

pub fn run(f: &mut Function) {
    let known = known_numbers(f);
    let entry = f.entry();
    let mut unboxed = vec![false; f.values.len()];
    for &b in f.layout.iter().filter(|&&b| b != entry) {
        for &p in &f.block(b).params {
            if known[p.index()] && f.value_type(p) == Type::Val {
                unboxed[p.index()] = true;
            }
        }
    }
    if !unboxed.contains(&true) {
        return;
    }
    for (i, &u) in unboxed.iter().enumerate() {
        if u {
            f.values[i].ty = Type::F64;
        }
    }
    let is_unboxed = |v: Value| unboxed.get(v.index()).copied().unwrap_or(false);
    for b in f.layout.clone() {
        let insts = f.block(b).insts.clone();
        for inst in insts {
            let kind = f.inst(inst).kind.clone();
            match kind {
                // The parameter is the f64 itself.
                InstKind::Unbox(v) | InstKind::GuardNum { value: v, .. } if is_unboxed(v) => {
                    let r = f.inst(inst).result.expect("an unbox has a result");
                    brine_ir::cursor::replace_all_uses(f, r, v);
                    FuncCursor::new(f).remove_inst(inst);
                }
                InstKind::Jump { .. } | InstKind::Branch { .. } => fix_edges(f, b, inst, &is_unboxed),
                // Float operands are f64s already; every other operand is a val.
                InstKind::Float { .. } | InstKind::FNeg(_) | InstKind::BoxNum(_) | InstKind::BoolVal(_) => {}
                _ => {
                    let mut boxed = Vec::new();
                    kind.for_each_arg(|v| {
                        if is_unboxed(v) && !boxed.contains(&v) {
                            boxed.push(v);
                        }
                    });
                    box_operands(f, inst, &boxed);
                }
            }
        }
    }
}

/// Makes the operands `values` (unboxed parameters) of `inst` vals, with a
/// `box_num` of each just before it.
fn box_operands(f: &mut Function, inst: Inst, values: &[Value]) {
    if values.is_empty() {
        return;
    }
    let mut cursor = FuncCursor::new(f);
    cursor.goto_before(inst);
    let boxes: Vec<(Value, Value)> =
        values.iter().map(|&v| (v, cursor.ins_value(InstKind::BoxNum(v)))).collect();
    let kind = f.inst(inst).kind.clone();
    let kind = kind.map_args(|a| boxes.iter().find(|(v, _)| *v == a).map_or(a, |&(_, b)| b));
    let result = f.inst(inst).result;
    f.insts[inst.index()] = brine_ir::InstData { kind, result };
}

/// Gives the edges of terminator `term` (of block `b`) arguments of the
/// types of their destinations' parameters.
fn fix_edges(f: &mut Function, b: Block, term: Inst, is_unboxed: &dyn Fn(Value) -> bool) {
    let mut kind = f.inst(term).kind.clone();
    let mut dests: Vec<Block> = kind.successors().iter().map(|(d, _)| *d).collect();
    dests.dedup();
    let mut inserted: Vec<(Value, Value)> = Vec::new();
    let mut convert = |f: &mut Function, a: Value, want_f64: bool| -> Value {
        if (f.value_type(a) == Type::F64) == want_f64 {
            return a;
        }
        if let Some(&(_, c)) = inserted.iter().find(|(x, _)| *x == a) {
            return c;
        }
        let c = if want_f64 {
            match f.values[a.index()].def {
                ValueDef::Result(i)
                    if matches!(f.inst(i).kind, InstKind::BoxNum(_)) && f.block(b).insts.contains(&i) =>
                {
                    let InstKind::BoxNum(x) = f.inst(i).kind else { unreachable!() };
                    x
                }
                _ => {
                    let mut cursor = FuncCursor::new(f);
                    cursor.goto_before(term);
                    cursor.ins_value(InstKind::Unbox(a))
                }
            }
        } else {
            let mut cursor = FuncCursor::new(f);
            cursor.goto_before(term);
            cursor.ins_value(InstKind::BoxNum(a))
        };
        inserted.push((a, c));
        c
    };
    for dest in dests {
        let params = f.block(dest).params.clone();
        for args in kind.edge_args_mut(dest) {
            for (arg, &p) in args.iter_mut().zip(&params) {
                *arg = convert(f, *arg, is_unboxed(p));
            }
        }
    }
    let result = f.inst(term).result;
    f.insts[term.index()] = brine_ir::InstData { kind, result };
}
