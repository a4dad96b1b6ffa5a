//! The `extern "C"` helpers that compiled code calls: the slow paths of its
//! inline fast paths, and every operation it does not inline.
//!
//! Every helper takes the runtime as its first argument and values as
//! 64-bit words; a helper that can fail returns `Value::ERROR` with the
//! error pending. The code generator declares them by the names in
//! [`helpers`] (the JIT binds those names to these addresses; a built
//! executable links them, unmangled, from the `brine-rt` library).
//!
//! # Safety
//! Compiled code calls these with the runtime pointer it was given, which
//! points at the live runtime of the running program, on the thread that
//! owns it. Helpers that call back into compiled code hold no `&mut
//! Runtime` across that call: the callee takes its own.

use crate::Runtime;
use crate::engine::tier;
use crate::ic::{brine_get_property_ic, brine_invoke_ic, brine_set_property_ic, brine_super_invoke_ic};
use crate::object::{ArrayEntry, ObjCell, ObjClosure, ObjFunction};
use crate::ops::{CallPlan, NumOp};
use crate::value::Value;

/// Sets `n` values at `values` to nil: an on-stack replacement's entry
/// empties the interpreter frame it has loaded, so that the frame's dead
/// values (say, a big temporary structure) are no longer roots while the
/// activation runs on in native code.
///
/// # Safety
/// `values` points at `n` writable values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_clear_values(values: *mut Value, n: u64) {
    for i in 0..n as usize {
        // SAFETY: the caller's contract.
        unsafe { values.add(i).write(Value::NIL) };
    }
}

/// A failed guard: finishes the activation of `function` in the
/// interpreter from frame state `state`, whose values are at `values`.
///
/// # Safety
/// See the module doc; `values` holds as many values as the state lists.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_deopt(
    rt: *mut Runtime,
    function: *mut ObjFunction,
    state: u64,
    values: *const Value,
) -> Value {
    // SAFETY: see the module doc; specialized code runs only while an engine is installed.
    unsafe {
        let Some(engine) = (*rt).engine else {
            return (*rt).raise_internal("a guard failed without an engine");
        };
        (*engine).deopt(&mut *rt, function, state as u32, values)
    }
}

/// Ahead-of-time baseline code of `function` got hot at its entry (see
/// `Engine::baseline_hot`). Without an engine, nothing happens.
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_baseline_hot(rt: *mut Runtime, function: *mut ObjFunction) {
    // SAFETY: see the module doc; an installed engine is alive.
    unsafe {
        (*function).counter = 0;
        if let Some(engine) = (*rt).engine {
            (*engine).baseline_hot(&mut *rt, function);
        }
    }
}

/// Ahead-of-time baseline code of `function` got hot at a back edge to
/// `block`, with the header's values at `values` (see
/// `Engine::baseline_loop_hot`): the activation's result, or
/// `Value::UNDEF` to go on in baseline code (always, without an engine).
///
/// # Safety
/// See the module doc; `values` holds what `Engine::baseline_loop_hot` says.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_baseline_loop_hot(
    rt: *mut Runtime,
    function: *mut ObjFunction,
    block: u64,
    values: *const Value,
) -> Value {
    // SAFETY: see the module doc; an installed engine is alive.
    unsafe {
        (*function).counter = 0;
        match (*rt).engine {
            Some(engine) => (*engine).baseline_loop_hot(&mut *rt, function, block as u32, values),
            None => Value::UNDEF,
        }
    }
}

/// Calls a closure from Rust: through its array entry when its function
/// has native code (with `native_stack_base` set, see
/// [`with_native_frames`](crate::stack::with_native_frames)), else in the
/// interpreter through the runtime's engine.
///
/// # Safety
/// `rt` is the live runtime; `closure` a live closure; `argv` points at the
/// function's arity many values.
pub unsafe fn call_closure(
    rt: *mut Runtime,
    closure: *mut ObjClosure,
    this: Value,
    argv: *const Value,
) -> Value {
    // SAFETY: the caller's contract; the prototype outlives the call; an
    // installed engine stays alive while it is installed (`Runtime::engine`).
    unsafe {
        let function = (*closure).function;
        if (*function).tier != tier::INTERP {
            let entry: ArrayEntry = std::mem::transmute::<*const u8, ArrayEntry>((*function).entry);
            // Invariant: native code runs only below a set
            // `native_stack_base`, or a collection during it scans none of
            // its frames and frees what only they hold (a raw array that
            // `Map.$rebuild` just allocated, say). Callers from native code
            // (the helpers) have one set already, which this keeps; callers
            // from Rust alone (the interpreter, the runtime's map operations,
            // a native with bound arguments) may not.
            return crate::stack::with_native_frames(&mut *rt, |rt| {
                entry(rt, Value::object(closure), this, argv)
            });
        }
        let Some(engine) = (*rt).engine else {
            return (*rt).raise_internal("calling a function that has no code");
        };
        let arity = (*function).arity as usize;
        let args = if arity == 0 { &[][..] } else { std::slice::from_raw_parts(argv, arity) };
        (*engine).interpret(&mut *rt, closure, this, args)
    }
}

/// The interpreter stub's helper: runs `callee` (a closure whose function
/// has no native code yet) in the interpreter, with `argc` arguments at `argv`.
///
/// # Safety
/// See the module doc; `callee` is a closure of arity `argc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_interpret(
    rt: *mut Runtime,
    callee: Value,
    this: Value,
    argv: *const Value,
    argc: u64,
) -> Value {
    // SAFETY: see the module doc; stubs are only installed while an engine is.
    unsafe {
        let Some(engine) = (*rt).engine else {
            return (*rt).raise_internal("an interpreter stub ran without an engine");
        };
        let args = if argc == 0 { &[][..] } else { std::slice::from_raw_parts(argv, argc as usize) };
        (*engine).interpret(&mut *rt, callee.as_ptr(), this, args)
    }
}

/// Runs a call plan made by [`Runtime::plan_call`] for compiled code.
///
/// # Safety
/// As [`call_compiled`]; `argv` points at `argc` values.
pub(crate) unsafe fn run_plan(rt: *mut Runtime, plan: CallPlan, argv: *const Value, argc: usize) -> Value {
    // SAFETY: the caller's contract.
    unsafe {
        match plan {
            CallPlan::Closure(closure, this) => call_closure(rt, closure, this, argv),
            CallPlan::Init(closure, instance) => {
                // The instance stays reachable: it is the callee's `this`.
                let result = call_closure(rt, closure, instance, argv);
                if result.is_error() { result } else { instance }
            }
            CallPlan::Native(function) => {
                let args = if argc == 0 { &[][..] } else { std::slice::from_raw_parts(argv, argc) };
                function(&mut *rt, args)
            }
            CallPlan::Done(v) => v,
        }
    }
}

/// `a + b` when not both numbers (or always, from unspecialized code).
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_add(rt: *mut Runtime, a: Value, b: Value) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).add(a, b) }
}

/// `a op b` for `-`, `*`, `/`, `%`, `<`, `<=`, `>`, `>=` ([`NumOp`] codes).
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_num_op(rt: *mut Runtime, op: u32, a: Value, b: Value) -> Value {
    // SAFETY: see the module doc.
    let rt = unsafe { &mut *rt };
    match NumOp::from_u32(op) {
        Some(op) => rt.num_op(op, a, b),
        None => rt.raise_internal("bad operator code"),
    }
}

/// `a % b` of two numbers (unboxed): C's `fmod`, which Cranelift has no
/// instruction for. Called by the fast path of `%` in baseline code and
/// by the `fmod` of optimized code; a pure function of its operands.
#[unsafe(no_mangle)]
pub extern "C" fn brine_fmod(a: f64, b: f64) -> f64 {
    crate::ops::fmod(a, b)
}

/// `-a`.
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_negate(rt: *mut Runtime, a: Value) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).negate(a) }
}

/// Raises "Undefined variable" for global slot `slot`.
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_undefined_variable(rt: *mut Runtime, slot: u64) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).undefined_variable(slot as usize) }
}

/// `super.name`.
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_get_super(
    rt: *mut Runtime,
    this: Value,
    superclass: Value,
    name: Value,
) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).get_super(this, superclass, name) }
}

/// `callee(args)`, for every kind of callee.
///
/// # Safety
/// See the module doc; `argv` points at `argc` values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_call(rt: *mut Runtime, callee: Value, argv: *const Value, argc: u64) -> Value {
    // SAFETY: see the module doc; the `&mut` ends before the call.
    unsafe {
        let plan = (*rt).plan_call(callee, Value::NIL, argc as usize);
        run_plan(rt, plan, argv, argc as usize)
    }
}

/// A new closure of `function` capturing the `n` values at `captures`.
///
/// # Safety
/// See the module doc; `captures` points at `n` values, the function's
/// capture count.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_closure(
    rt: *mut Runtime,
    function: *mut ObjFunction,
    captures: *const Value,
    n: u64,
) -> Value {
    // SAFETY: see the module doc.
    unsafe {
        let captures = if n == 0 { &[][..] } else { std::slice::from_raw_parts(captures, n as usize) };
        (*rt).make_closure(function, captures)
    }
}

/// `[items]`: a new list of the `n` values at `items`.
///
/// # Safety
/// See the module doc; `items` points at `n` values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_new_list(rt: *mut Runtime, items: *const Value, n: u64) -> Value {
    // SAFETY: see the module doc.
    unsafe {
        let items = if n == 0 { &[][..] } else { std::slice::from_raw_parts(items, n as usize) };
        (*rt).new_list(items)
    }
}

/// A `brine.*` intrinsic: `op` is its index in `brine_ir::Intrinsic::ALL`,
/// its `n` operands at `args`.
///
/// # Safety
/// See the module doc; `args` points at `n` values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_intrinsic(rt: *mut Runtime, op: u32, args: *const Value, n: u64) -> Value {
    // SAFETY: see the module doc.
    unsafe {
        let Some(&op) = brine_ir::Intrinsic::ALL.get(op as usize) else {
            return (*rt).raise_internal("bad intrinsic code");
        };
        let args = if n == 0 { &[][..] } else { std::slice::from_raw_parts(args, n as usize) };
        (*rt).intrinsic(op, args)
    }
}

/// `obj[index]`.
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_get_index(rt: *mut Runtime, obj: Value, index: Value) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).get_index(obj, index) }
}

/// `obj[index] = value`; returns nil.
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_set_index(rt: *mut Runtime, obj: Value, index: Value, value: Value) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).set_index(obj, index, value) }
}

/// `array_len array`: the slow path of the inline one (an error).
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_array_len(rt: *mut Runtime, array: Value) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).array_len(array) }
}

/// `array_get array, index`: the slow path of the inline one (an error).
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_array_get(rt: *mut Runtime, array: Value, index: Value) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).array_get(array, index) }
}

/// `array_set array, index, value`: the slow path of the inline one (an
/// error); returns nil.
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_array_set(
    rt: *mut Runtime,
    array: Value,
    index: Value,
    value: Value,
) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).array_set(array, index, value) }
}

/// A new class named `name`, whose instances are expected to have
/// `fields` fields.
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_class(rt: *mut Runtime, name: Value, fields: u64) -> Value {
    // SAFETY: see the module doc.
    unsafe {
        let class = (*rt).new_class(name);
        (*rt).expect_fields(class, fields as u32);
        Value::object(class)
    }
}

/// Fills the link slots of `class`, which the script has just declared
/// (see [`crate::image::link_class`]); returns nil.
///
/// # Safety
/// See the module doc; `desc` is a class table of the running image.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_link_class(
    rt: *mut Runtime,
    class: Value,
    desc: *const crate::image::ImageClass,
) -> Value {
    // SAFETY: see the module doc; the caller's contract.
    unsafe { crate::image::link_class(&mut *rt, class, &*desc) };
    Value::NIL
}

/// `class < superclass`; returns nil.
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_inherit(rt: *mut Runtime, class: Value, superclass: Value) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).inherit(class, superclass) }
}

/// Adds a method to a class; returns nil.
///
/// # Safety
/// See the module doc; `class` is a class and `method` a closure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_method(rt: *mut Runtime, class: Value, name: Value, method: Value) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).class_add_method(class.as_ptr(), name, method) };
    Value::NIL
}

/// A new cell holding `value`.
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_cell_new(rt: *mut Runtime, value: Value) -> Value {
    // SAFETY: see the module doc.
    unsafe { Value::object::<ObjCell>((*rt).new_cell(value)) }
}

/// `print value;`; returns nil.
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_print(rt: *mut Runtime, value: Value) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).print_value(value) };
    Value::NIL
}

/// Adds the `[line N] in f()` line of a frame an error passes through.
/// `place` is a [`trace_place`]: the line, and the IR site if known.
///
/// # Safety
/// See the module doc; `function` is a live function prototype.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_trace(rt: *mut Runtime, place: u64, function: *mut ObjFunction) {
    // SAFETY: see the module doc.
    unsafe {
        if (*function).library {
            return;
        }
        let name = (*function).name;
        let (line, site) = trace_place_parts(place);
        (*rt).add_trace(line, site, name);
    }
}

/// The word compiled code passes [`brine_trace`] for an error at `line`
/// and IR site `site`: the line in the low 32 bits, the site plus one in the
/// high 32 (zero: no site).
pub fn trace_place(line: u32, site: Option<u32>) -> u64 {
    let site = site.map_or(0, |s| u64::from(s) + 1);
    u64::from(line) | (site << 32)
}

/// The line and site of a [`trace_place`] word.
pub fn trace_place_parts(place: u64) -> (u32, Option<u32>) {
    let site = (place >> 32) as u32;
    (place as u32, site.checked_sub(1))
}

/// Raises "Stack overflow." (called by a prologue whose check failed).
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_stack_overflow(rt: *mut Runtime) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).raise("Stack overflow.") }
}

/// A new instance of `class` (a class value), for a class call whose
/// initializer compiled code then calls directly.
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_new_instance(rt: *mut Runtime, class: Value) -> Value {
    // SAFETY: see the module doc; `class` is a live class.
    unsafe { Value::object((*rt).new_instance(class.as_ptr())) }
}

/// How a helper's parameter or result travels: a 64-bit word (values,
/// pointers, counts), a 32-bit one, or a double (in a float register).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Word {
    W64,
    W32,
    F64,
}

/// The Rust types helpers take, and the word each is passed in.
pub trait AbiType {
    const WORD: Word;
}
impl AbiType for Value {
    const WORD: Word = Word::W64;
}
impl AbiType for u64 {
    const WORD: Word = Word::W64;
}
impl AbiType for u32 {
    const WORD: Word = Word::W32;
}
impl AbiType for f64 {
    const WORD: Word = Word::F64;
}
impl<T> AbiType for *mut T {
    const WORD: Word = Word::W64;
}
impl<T> AbiType for *const T {
    const WORD: Word = Word::W64;
}

/// A helper as compiled code declares it: its symbol, its address (for the
/// JIT), its parameters and its result, if it has one.
pub struct Helper {
    pub name: &'static str,
    pub address: *const u8,
    pub params: Vec<Word>,
    pub returns: Option<Word>,
}

/// The one declaration of the helpers compiled code may call: each line
/// gives a helper's Rust signature, and becomes its entry in [`helpers`].
/// The compiler checks every signature against the function it names, so
/// the table cannot drift from the code, and the code generator declares
/// each helper from its entry.
macro_rules! helper_table {
    ($($name:ident($($param:ty),* $(,)?) $(-> $ret:ty)?;)*) => {
        /// Every helper compiled code may call.
        pub fn helpers() -> Vec<Helper> {
            vec![$({
                let f: unsafe extern "C" fn($($param),*) $(-> $ret)? = $name;
                Helper {
                    name: stringify!($name),
                    address: f as *const u8,
                    params: vec![$(<$param as AbiType>::WORD),*],
                    returns: helper_table!(@returns $($ret)?),
                }
            }),*]
        }
    };
    (@returns $ret:ty) => { Some(<$ret as AbiType>::WORD) };
    (@returns) => { None };
}

use crate::ic::PropertyCache;

helper_table! {
    brine_add(*mut Runtime, Value, Value) -> Value;
    brine_num_op(*mut Runtime, u32, Value, Value) -> Value;
    brine_negate(*mut Runtime, Value) -> Value;
    brine_fmod(f64, f64) -> f64;
    brine_undefined_variable(*mut Runtime, u64) -> Value;
    brine_get_super(*mut Runtime, Value, Value, Value) -> Value;
    brine_call(*mut Runtime, Value, *const Value, u64) -> Value;
    brine_closure(*mut Runtime, *mut ObjFunction, *const Value, u64) -> Value;
    brine_new_list(*mut Runtime, *const Value, u64) -> Value;
    brine_intrinsic(*mut Runtime, u32, *const Value, u64) -> Value;
    brine_get_index(*mut Runtime, Value, Value) -> Value;
    brine_set_index(*mut Runtime, Value, Value, Value) -> Value;
    brine_array_len(*mut Runtime, Value) -> Value;
    brine_array_get(*mut Runtime, Value, Value) -> Value;
    brine_array_set(*mut Runtime, Value, Value, Value) -> Value;
    brine_class(*mut Runtime, Value, u64) -> Value;
    brine_link_class(*mut Runtime, Value, *const crate::image::ImageClass) -> Value;
    brine_inherit(*mut Runtime, Value, Value) -> Value;
    brine_method(*mut Runtime, Value, Value, Value) -> Value;
    brine_cell_new(*mut Runtime, Value) -> Value;
    brine_print(*mut Runtime, Value) -> Value;
    brine_trace(*mut Runtime, u64, *mut ObjFunction);
    brine_stack_overflow(*mut Runtime) -> Value;
    brine_new_instance(*mut Runtime, Value) -> Value;
    brine_interpret(*mut Runtime, Value, Value, *const Value, u64) -> Value;
    brine_deopt(*mut Runtime, *mut ObjFunction, u64, *const Value) -> Value;
    brine_baseline_hot(*mut Runtime, *mut ObjFunction);
    brine_baseline_loop_hot(*mut Runtime, *mut ObjFunction, u64, *const Value) -> Value;
    brine_clear_values(*mut Value, u64);
    brine_get_property_ic(*mut Runtime, Value, Value, *mut PropertyCache) -> Value;
    brine_set_property_ic(*mut Runtime, Value, Value, Value, *mut PropertyCache) -> Value;
    brine_invoke_ic(*mut Runtime, Value, Value, *const Value, u64, *mut PropertyCache) -> Value;
    brine_super_invoke_ic(*mut Runtime, Value, Value, Value, *const Value, u64, *mut PropertyCache) -> Value;
}

/// Offsets compiled code uses.
pub mod offsets {
    use crate::Runtime;
    use crate::object::*;
    use std::mem::offset_of;

    pub const RT_STACK_LIMIT: i32 = offset_of!(Runtime, stack_limit) as i32;
    pub const RT_GLOBALS_BASE: i32 = offset_of!(Runtime, globals_base) as i32;
    pub const RT_DEOPT_COUNTDOWN: i32 = offset_of!(Runtime, deopt_countdown) as i32;
    pub const RT_TIER_THRESHOLD: i32 = offset_of!(Runtime, tier_threshold) as i32;
    pub const HEADER_KIND: i32 = offset_of!(ObjHeader, kind) as i32;
    pub const CLOSURE_FUNCTION: i32 = offset_of!(ObjClosure, function) as i32;
    pub const CLOSURE_CAPTURES: i32 = std::mem::size_of::<ObjClosure>() as i32;
    pub const FUNCTION_ARITY: i32 = offset_of!(ObjFunction, arity) as i32;
    pub const FUNCTION_CODE: i32 = offset_of!(ObjFunction, code) as i32;
    pub const FUNCTION_TIER: i32 = offset_of!(ObjFunction, tier) as i32;
    pub const FUNCTION_COUNTER: i32 = offset_of!(ObjFunction, counter) as i32;
    pub const FUNCTION_CALLS: i32 = offset_of!(ObjFunction, calls) as i32;
    pub const CELL_VALUE: i32 = offset_of!(ObjCell, value) as i32;
    pub const CLASS_INIT: i32 = offset_of!(ObjClass, init) as i32;
    pub const CLASS_ROOT_SHAPE: i32 = offset_of!(ObjClass, root_shape) as i32;
    pub const CLASS_ALLOC_CLASS: i32 = offset_of!(ObjClass, alloc_class) as i32;
    pub const SHAPE_INLINE_CAP: i32 = offset_of!(ObjShape, inline_cap) as i32;
    pub const INSTANCE_SHAPE: i32 = offset_of!(ObjInstance, shape) as i32;
    pub const INSTANCE_OVERFLOW: i32 = offset_of!(ObjInstance, overflow) as i32;
    pub const INSTANCE_INLINE_CAP: i32 = offset_of!(ObjInstance, inline_cap) as i32;
    pub const INSTANCE_OVERFLOW_CAP: i32 = offset_of!(ObjInstance, overflow_cap) as i32;
    pub const INSTANCE_SLOTS: i32 = std::mem::size_of::<ObjInstance>() as i32;
    pub const ARRAY_LEN: i32 = offset_of!(ObjArray, len) as i32;
    pub const ARRAY_ITEMS: i32 = offset_of!(ObjArray, items) as i32;
    /// The shape of the library's lists whose `$items` and `$len` are
    /// inline slots 0 and 1 (`Runtime::list_shape`; null until one is seen).
    pub const RT_LIST_SHAPE: i32 = offset_of!(Runtime, list_shape) as i32;
    pub const RT_LEN_NATIVE: i32 = offset_of!(Runtime, len_native) as i32;
    pub const STRING_LEN: i32 = offset_of!(ObjString, len) as i32;
    /// Where the heap's allocation records start, from the runtime pointer.
    pub const RT_HEAP_CLASSES: i32 = (offset_of!(Runtime, heap) as i32) + crate::heap::offsets::HEAP_CLASSES;
}
