//! Deoptimization: finishing, in the interpreter, an activation of
//! specialized code whose guard failed. Shared by the tier manager (code
//! it compiled) and by executables optimized ahead of time, which carry
//! the interpreter for this.
//!
//! A specialized function keeps every original block and value under its
//! number, so a guard's [`FrameState`] describes an interpreter frame of
//! the original function directly; a guard in inlined code has one state
//! per frame, innermost first, each naming the call it is in.

use crate::Interp;
use brine_ir::{FrameState, FuncId, Function, Inst, StateId};
use brine_runtime::object::{ObjKind, ObjShape};
use brine_runtime::{Program, Runtime, Value};
use std::collections::HashMap;

/// Where the innermost frame of a failed guard's state resumes: its
/// function and instruction (the operation whose speculation failed).
pub fn resume_point(program: &Program, id: FuncId, func: &Function, state: StateId) -> (FuncId, Inst) {
    let fs = func.state(state);
    let fid = fs.inlined.as_ref().map_or(id, |i| i.func);
    (fid, program.module.function(fid).block(fs.block).insts[fs.index as usize])
}

/// Finishes the activation of `func`, a specialized version of function
/// `id`, whose guard failed with frame state `state`: rebuilds every frame
/// its states describe (making the objects that escape analysis removed),
/// resumes the innermost in the interpreter, then each caller after its
/// call, and returns the activation's result (or `Value::ERROR`, with the
/// trace lines added). A virtual object's state names its shape by its
/// address, or, in code compiled ahead of time, by a class link: a slot
/// of `class_links` (null when the code names none).
///
/// # Safety
/// `values` holds the values of every state of the chain, innermost state
/// first ([`FrameState::values`]), as the guard passed them; `class_links`
/// is null or the executable's class link slots.
pub unsafe fn resume(
    rt: &mut Runtime,
    program: &Program,
    id: FuncId,
    func: &Function,
    state: StateId,
    values: *const Value,
    class_links: *const u64,
) -> Value {
    // The frames to rebuild, innermost first: each state's function and
    // where its live values start in `values`.
    let mut frames = Vec::new();
    let mut offset = 0;
    let mut s = Some(state);
    while let Some(state) = s {
        let fs = func.state(state);
        frames.push((fs, fs.inlined.as_ref().map_or(id, |i| i.func), offset));
        offset += fs.value_count();
        s = fs.inlined.as_ref().map(|i| i.caller);
    }
    let (innermost, innermost_id, _) = frames[0];
    // The interpreter frames, outermost lowest on the stack, as calls
    // would have made them: every slot each state lists.
    let bottom = rt.stack.len();
    // SAFETY: the caller's contract.
    let passed = |i: usize| unsafe { *values.add(i) };
    // A shape the code names by a class link is in its slot.
    let shape = |bits: u64| match brine_ir::symbol::as_link(bits) {
        // SAFETY: the caller's contract: code that names class links names
        // slots of `class_links`.
        Some(slot) if !class_links.is_null() => unsafe { *class_links.add(slot as usize) },
        _ => bits,
    };
    let objects = match materialize(rt, innermost, frames[0].2 + innermost.live.len(), &passed, &shape) {
        Ok(objects) => objects,
        Err(e) => return rt.raise_internal(e),
    };
    let mut bases = vec![0; frames.len()];
    for (k, &(fs, fid, offset)) in frames.iter().enumerate().rev() {
        let base = rt.stack.len();
        bases[k] = base;
        rt.stack.resize(base + program.module.function(fid).values.len(), Value::NIL);
        for i in 0..fs.live.len() {
            let value = objects.get(&fs.live[i]).copied().unwrap_or_else(|| passed(offset + i));
            rt.stack[base + fs.slot(i).index()] = value;
        }
    }
    for _ in &innermost.objects {
        rt.pop_root();
    }
    let mut result =
        Interp::new(rt, program).resume(innermost_id, bases[0], innermost.block, innermost.index as usize);
    for (k, &(fs, fid, _)) in frames.iter().enumerate().skip(1) {
        rt.stack.truncate(bases[k - 1]);
        result =
            Interp::new(rt, program).resume_after_call(fid, bases[k], fs.block, fs.index as usize, result);
    }
    rt.stack.truncate(bottom);
    result
}

/// Makes the virtual objects of deoptimization state `fs` (whose class and
/// field values `passed` gives from index `start` on, in
/// `FrameState::values` order): returns the instance each alias stands
/// for. The instances stay rooted (one root each) until the caller pops
/// them.
fn materialize(
    rt: &mut Runtime,
    fs: &FrameState,
    start: usize,
    passed: &dyn Fn(usize) -> Value,
    shape: &dyn Fn(u64) -> u64,
) -> Result<HashMap<brine_ir::Value, Value>, String> {
    let mut made = HashMap::new();
    let mut at = start;
    let mut layout = Vec::new();
    // Allocate every object first: their fields may refer to each other.
    for o in &fs.objects {
        let class = passed(at);
        if !class.is_kind(ObjKind::Class) {
            for _ in &layout {
                rt.pop_root();
            }
            return Err("a virtual object's class is not a class".into());
        }
        let instance = Value::object(rt.new_instance(class.as_ptr()));
        rt.push_root(instance);
        for &alias in &o.aliases {
            made.insert(alias, instance);
        }
        layout.push((instance, at + 1));
        at += 1 + o.fields.len();
    }
    for (o, &(instance, first)) in fs.objects.iter().zip(&layout) {
        if o.shape == 0 {
            continue;
        }
        let o_shape = shape(o.shape);
        if o_shape == 0 {
            for _ in &layout {
                rt.pop_root();
            }
            return Err("a virtual object's shape is not linked".into());
        }
        // Its fields in the order they were added, as the transitions from
        // a fresh instance's shape to `o.shape` name them.
        let names = rt.shape_field_names(o_shape as *mut ObjShape);
        for (slot, name) in names.into_iter().enumerate() {
            let offset = Runtime::inline_slot_offset(slot as u32);
            let Some(k) = o.fields.iter().position(|&(off, _)| off == offset) else {
                for _ in &layout {
                    rt.pop_root();
                }
                return Err(format!("a virtual object has no value for its field at offset {offset}"));
            };
            let field = o.fields[k].1;
            let value = made.get(&field).copied().unwrap_or_else(|| passed(first + k));
            rt.instance_set_field(instance.as_ptr(), name, value);
        }
    }
    Ok(made)
}
