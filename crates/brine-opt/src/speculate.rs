//! Speculation on number operands: an arithmetic or comparison site whose
//! operands have only ever been numbers becomes guarded f64 code.
//!
//! ```text
//! v10 = add v9, v5 @1          v20 = guard_num v9, fs0
//!                        ==>   v21 = guard_num v5, fs0
//!                              v22 = fadd v20, v21
//!                              v10 = box_num v22
//! ```
//!
//! Property gets and sets whose inline cache has seen one shape become a
//! shape guard and a load or store at the field's offset:
//!
//! ```text
//! v7 = get_prop v3, "x" @2     ==>   v20 = guard_shape v3, 0x5a10, fs1
//!                                    v7 = load_field v20, 32
//! ```
//!
//! An invoke whose cache has seen one shape (so one method) becomes a shape
//! guard and a direct call of that method's closure through its code slot;
//! a call that has always called one closure, a guard that the callee is
//! that closure and a direct call; a super invoke that has seen one
//! superclass, a guard that it is that class and a direct call of the
//! method; closures of one function, a guard of the
//! callee's function and a direct call; one class, a guard that the callee
//! is that class, a new instance and a direct call of its initializer.
//!
//! An index get or set whose site has seen lists of one shape becomes a
//! shape guard, loads of the list's raw array and length, a guard that the
//! index is inside, and the raw array access; one that has seen maps of
//! one shape, a shape guard and a direct call of the map's `get` or `set`:
//!
//! ```text
//! v7 = get_index v3, v5 @4     ==>   v20 = guard_shape v3, 0x6000, fs2
//!                                    v21 = load_field v20, 32
//!                                    v22 = load_field v20, 40
//!                                    guard_index v5, v22, fs2
//!                                    v7 = array_get v21, v5 @4
//! ```
//!
//! The original instruction keeps its result (now boxing the f64), so every
//! original value still exists under its number. Each speculated
//! instruction gets a frame state that resumes the interpreter *at* it, with
//! the values live there: when a guard fails, the interpreter runs the
//! generic operation, which also records the other kind of operand, so the
//! next compilation does not speculate there again.

use crate::{CallTarget, Operands, Oracle};
use brine_ir::{
    BinaryOp, Block, FrameState, FuncCursor, Function, InstKind, Liveness, StateId, UnaryOp, Value,
};

/// Whether a site's operands are worth speculating on: they have been
/// numbers and nothing else; or, for an operator that takes only numbers
/// (everything but `+`), they have not been anything else (a site that
/// has not run yet is speculated on, as any other outcome is an error).
fn numbers_only(o: Operands, numbers_only_operator: bool) -> bool {
    !o.other && (o.numbers || numbers_only_operator)
}

/// A speculated copy of `func`.
pub fn run(func: &Function, oracle: &dyn Oracle) -> Function {
    let mut f = func.clone();
    let liveness = Liveness::compute(func);
    let entry_params: Vec<Value> = func.block(func.entry()).params[..2].to_vec();
    for &b in &func.layout {
        for (index, &inst) in func.block(b).insts.iter().enumerate() {
            let kind = &func.inst(inst).kind;
            if speculate_field(&mut f, &liveness, func, b, index, &entry_params, oracle).is_some() {
                continue;
            }
            let speculate = match kind {
                InstKind::Binary { op, site, .. } if op.can_fail() => {
                    numbers_only(oracle.operands(*site), *op != BinaryOp::Add)
                }
                InstKind::Unary { op: UnaryOp::Neg, site, .. } => numbers_only(oracle.operands(*site), true),
                _ => false,
            };
            if !speculate {
                continue;
            }
            let state = new_state(&mut f, &liveness, func, b, index, &entry_params);
            let mut cursor = FuncCursor::new(&mut f);
            cursor.goto_before(inst);
            let guard =
                |cursor: &mut FuncCursor, v: Value| cursor.ins_value(InstKind::GuardNum { value: v, state });
            let replacement = match *kind {
                InstKind::Binary { op, lhs, rhs, .. } => {
                    let l = guard(&mut cursor, lhs);
                    let r = if rhs == lhs { l } else { guard(&mut cursor, rhs) };
                    let x = cursor.ins_value(InstKind::Float { op, lhs: l, rhs: r });
                    if op.is_arithmetic() { InstKind::BoxNum(x) } else { InstKind::BoolVal(x) }
                }
                InstKind::Unary { arg, .. } => {
                    let a = guard(&mut cursor, arg);
                    InstKind::BoxNum(cursor.ins_value(InstKind::FNeg(a)))
                }
                _ => unreachable!("only arithmetic and comparisons are speculated"),
            };
            cursor.replace_inst(inst, replacement);
        }
    }
    f
}

/// Turns the property access at instruction `index` of block `b` into a
/// shape guard and a field access, and an invoke into a shape guard and a
/// direct call of the method, if its cache has seen one shape. Returns
/// whether it did.
fn speculate_field(
    f: &mut Function,
    liveness: &Liveness,
    func: &Function,
    b: Block,
    index: usize,
    entry_params: &[Value],
    oracle: &dyn Oracle,
) -> Option<()> {
    let inst = func.block(b).insts[index];
    if let InstKind::GetIndex { .. } | InstKind::SetIndex { .. } = func.inst(inst).kind {
        return speculate_index(f, liveness, func, b, index, entry_params, oracle);
    }
    if let InstKind::Call { callee, ref args, site } = func.inst(inst).kind {
        let args = args.clone();
        return match oracle.callee(site)? {
            CallTarget::Function(target) if target.arity as usize == args.len() => {
                let state = new_state(f, liveness, func, b, index, entry_params);
                let mut cursor = FuncCursor::new(f);
                cursor.goto_before(inst);
                if target.closure != 0 {
                    cursor.ins(InstKind::GuardIs { value: callee, bits: target.closure, state });
                } else {
                    cursor.ins(InstKind::GuardFunction { value: callee, function: target.function, state });
                }
                let this = cursor.ins_value(InstKind::Nil);
                cursor.replace_inst(
                    inst,
                    InstKind::CallDirect { function: target.function, callee, this, args, site },
                );
                Some(())
            }
            // A class: a new instance, which its initializer (whose result
            // is the instance) initializes.
            CallTarget::Class { class, init } => {
                if init.map_or(0, |m| m.arity as usize) != args.len() {
                    return None;
                }
                let state = new_state(f, liveness, func, b, index, entry_params);
                let mut cursor = FuncCursor::new(f);
                cursor.goto_before(inst);
                cursor.ins(InstKind::GuardIs { value: callee, bits: class, state });
                match init {
                    Some(m) => {
                        let this = cursor.ins_value(InstKind::NewInstance { class: callee });
                        let init = cursor.ins_value(InstKind::Object(m.closure));
                        let call =
                            InstKind::CallDirect { function: m.function, callee: init, this, args, site };
                        cursor.replace_inst(inst, call);
                    }
                    None => {
                        cursor.replace_inst(inst, InstKind::NewInstance { class: callee });
                    }
                }
                Some(())
            }
            CallTarget::Function(_) => None,
        };
    }
    if let InstKind::SuperInvoke { this, superclass, ref args, site, .. } = func.inst(inst).kind {
        let (class, method) = oracle.super_method(site).filter(|(_, m)| m.arity as usize == args.len())?;
        let state = new_state(f, liveness, func, b, index, entry_params);
        let mut cursor = FuncCursor::new(f);
        cursor.goto_before(inst);
        cursor.ins(InstKind::GuardIs { value: superclass, bits: class, state });
        let callee = cursor.ins_value(InstKind::Object(method.closure));
        let call = InstKind::CallDirect { function: method.function, callee, this, args: args.clone(), site };
        cursor.replace_inst(inst, call);
        return Some(());
    }
    if let InstKind::Invoke { obj, ref args, site, .. } = func.inst(inst).kind {
        let methods = oracle.methods(site);
        if methods.len() >= 2 && methods.iter().all(|m| m.arity as usize == args.len()) {
            let args = args.clone();
            let state = new_state(f, liveness, func, b, index, entry_params);
            let arms: Vec<(u64, Arm)> = methods.iter().map(|m| (m.shape, Arm::Call(*m))).collect();
            // The arm's shape guard only tells the inlined method the shape.
            dispatch(f, inst, obj, state, &arms, |cursor, _ptr, arm| match arm {
                Arm::Call(m) => {
                    let callee = cursor.ins_value(InstKind::Object(m.closure));
                    cursor.ins_value(InstKind::CallDirect {
                        function: m.function,
                        callee,
                        this: obj,
                        args: args.clone(),
                        site,
                    })
                }
                Arm::Load(_) => unreachable!("an invoke's arms call"),
            });
            return Some(());
        }
        let method = oracle.method(site).filter(|m| m.arity as usize == args.len())?;
        let state = new_state(f, liveness, func, b, index, entry_params);
        let mut cursor = FuncCursor::new(f);
        cursor.goto_before(inst);
        cursor.ins_value(InstKind::GuardShape { obj, shape: method.shape, state });
        let callee = cursor.ins_value(InstKind::Object(method.closure));
        let call =
            InstKind::CallDirect { function: method.function, callee, this: obj, args: args.clone(), site };
        cursor.replace_inst(inst, call);
        return Some(());
    }
    let (obj, site) = match func.inst(inst).kind {
        InstKind::GetProp { obj, site, .. } | InstKind::SetProp { obj, site, .. } => (obj, site),
        _ => return None,
    };
    if let InstKind::GetProp { .. } = func.inst(inst).kind {
        let fields = oracle.fields(site);
        if fields.len() >= 2 {
            let state = new_state(f, liveness, func, b, index, entry_params);
            let arms: Vec<(u64, Arm)> = fields.iter().map(|x| (x.shape, Arm::Load(x.offset))).collect();
            dispatch(f, inst, obj, state, &arms, |cursor, ptr, arm| match arm {
                Arm::Load(offset) => cursor.ins_value(InstKind::LoadField { obj: ptr, offset: *offset }),
                Arm::Call(_) => unreachable!("a property get's arms load"),
            });
            return Some(());
        }
    }
    let field = oracle.field(site)?;
    let state = new_state(f, liveness, func, b, index, entry_params);
    let mut cursor = FuncCursor::new(f);
    cursor.goto_before(inst);
    let ptr = cursor.ins_value(InstKind::GuardShape { obj, shape: field.shape, state });
    match func.inst(inst).kind {
        InstKind::GetProp { .. } => {
            cursor.replace_inst(inst, InstKind::LoadField { obj: ptr, offset: field.offset });
        }
        InstKind::SetProp { value, .. } => {
            cursor.replace_inst(inst, InstKind::StoreField { obj: ptr, offset: field.offset, value });
            if field.shape_after != field.shape {
                cursor.goto_after(inst);
                cursor.ins(InstKind::StoreShape { obj: ptr, shape: field.shape_after });
            }
        }
        _ => unreachable!("a property access"),
    }
    Some(())
}

/// Turns the index get or set at instruction `index` of block `b` into
/// what its site has always indexed needs (see the module doc).
fn speculate_index(
    f: &mut Function,
    liveness: &Liveness,
    func: &Function,
    b: Block,
    index: usize,
    entry_params: &[Value],
    oracle: &dyn Oracle,
) -> Option<()> {
    let inst = func.block(b).insts[index];
    let (obj, key, value, site) = match func.inst(inst).kind {
        InstKind::GetIndex { obj, index, site } => (obj, index, None, site),
        InstKind::SetIndex { obj, index, value, site } => (obj, index, Some(value), site),
        _ => unreachable!("an index operation"),
    };
    let target = oracle.index(site)?;
    let args: Vec<Value> = [key].into_iter().chain(value).collect();
    if let crate::IndexTarget::Map(m) = target
        && m.arity as usize != args.len()
    {
        return None;
    }
    let state = new_state(f, liveness, func, b, index, entry_params);
    let mut cursor = FuncCursor::new(f);
    cursor.goto_before(inst);
    match target {
        crate::IndexTarget::List { shape, items, len } => {
            let ptr = cursor.ins_value(InstKind::GuardShape { obj, shape, state });
            let array = cursor.ins_value(InstKind::LoadField { obj: ptr, offset: items });
            let len = cursor.ins_value(InstKind::LoadField { obj: ptr, offset: len });
            cursor.ins(InstKind::GuardIndex { index: key, len, state });
            let access = match value {
                None => InstKind::ArrayGet { array, index: key, site },
                Some(value) => InstKind::ArraySet { array, index: key, value, site },
            };
            cursor.replace_inst(inst, access);
        }
        crate::IndexTarget::Map(m) => {
            cursor.ins_value(InstKind::GuardShape { obj, shape: m.shape, state });
            let callee = cursor.ins_value(InstKind::Object(m.closure));
            let call = InstKind::CallDirect { function: m.function, callee, this: obj, args, site };
            if value.is_none() {
                cursor.replace_inst(inst, call);
            } else {
                // A set has no result; the call's (nil) goes unused.
                cursor.ins_value(call);
                cursor.remove_inst(inst);
            }
        }
    }
    Some(())
}

/// What one arm of a [`dispatch`] does.
enum Arm {
    /// Calls this method of the receiver.
    Call(crate::Method),
    /// Loads the field at this offset.
    Load(u32),
}

/// Replaces the property get or invoke `inst` of `obj`, whose cache has
/// seen the shapes of `arms` (and no other), by a test of each shape and,
/// for an object of that shape, the arm's code (made by `arm`, given a
/// pointer from a shape guard that cannot fail there, but tells later
/// passes the shape). The last shape is not tested: its guard deoptimizes
/// for any other shape, and the interpreter, which resumes at the
/// operation, records that shape too.
///
/// ```text
/// block1:                           block1:
///     v7 = invoke v3, "area"() @2       v20 = is_shape v3, 0x1000
///     v8 = ...                          branch v20, block5, block6
///                                   block5:
///                                       v21 = guard_shape v3, 0x1000, fs2
///                                       v22 = object 0xfffc...
///                                       v23 = call_direct 0x3000, v22, v3() @2
///                                       jump block9(v23)
///                                   block6:
///                                       v24 = guard_shape v3, 0x1100, fs2
///                                       ... the last shape's arm ...
///                                       jump block9(v26)
///                          ==>      block9(v7: val):
///                                       v8 = ...
/// ```
fn dispatch(
    f: &mut Function,
    inst: brine_ir::Inst,
    obj: Value,
    state: StateId,
    arms: &[(u64, Arm)],
    mut arm: impl FnMut(&mut FuncCursor, Value, &Arm) -> Value,
) {
    let (b, pos) = brine_ir::cursor::inst_position(f, inst).expect("the operation is in the layout");
    let frame = f.block(b).frame;
    let result = f.inst(inst).result.expect("the operation has a result");
    let mut cursor = FuncCursor::new(f);
    let cont = cursor.create_block_after(b);
    cursor.func.blocks[cont.index()].frame = frame;
    let rest = cursor.func.blocks[b.index()].insts.split_off(pos);
    cursor.func.blocks[cont.index()].insts = rest[1..].to_vec();
    cursor.func.blocks[cont.index()].params.push(result);
    cursor.func.values[result.index()].def = brine_ir::ValueDef::Param(cont, 0);
    let mut test = b;
    let mut last = b;
    let (last_arm, tested) = arms.split_last().expect("a dispatch has arms");
    for (shape, a) in tested {
        let body = cursor.create_block_after(last);
        let next = cursor.create_block_after(body);
        last = next;
        for block in [body, next] {
            cursor.func.blocks[block.index()].frame = frame;
        }
        cursor.goto_bottom(test);
        let is = cursor.ins_value(InstKind::IsShape { obj, shape: *shape });
        cursor.ins(InstKind::Branch {
            cond: is,
            then_dest: body,
            then_args: Vec::new(),
            else_dest: next,
            else_args: Vec::new(),
        });
        cursor.goto_bottom(body);
        let ptr = cursor.ins_value(InstKind::GuardShape { obj, shape: *shape, state });
        let r = arm(&mut cursor, ptr, a);
        cursor.ins(InstKind::Jump { dest: cont, args: vec![r] });
        test = next;
    }
    // The last shape needs no test: its guard deoptimizes for any other,
    // and the interpreter records that shape too.
    cursor.goto_bottom(test);
    let (shape, a) = last_arm;
    let ptr = cursor.ins_value(InstKind::GuardShape { obj, shape: *shape, state });
    let r = arm(&mut cursor, ptr, a);
    cursor.ins(InstKind::Jump { dest: cont, args: vec![r] });
    // The original instruction is out of the layout now.
    f.insts[inst.index()] = brine_ir::InstData { kind: InstKind::Nil, result: None };
}

/// A frame state resuming at instruction `index` of block `b` of the
/// original function `func`.
fn new_state(
    f: &mut Function,
    liveness: &Liveness,
    func: &Function,
    b: Block,
    index: usize,
    entry_params: &[Value],
) -> StateId {
    let mut live: Vec<Value> = entry_params.to_vec();
    live.extend(liveness.live_before(func, b, index).into_iter().filter(|v| !entry_params.contains(v)));
    let id = StateId::new(f.states.len());
    f.states.push(FrameState::new(b, index as u32, live));
    id
}
