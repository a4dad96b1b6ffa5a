//! The engine hook: how the runtime reaches whatever runs Lox code that has
//! no native code yet, and whatever compiles hot code (DESIGN.md section 2).
//!
//! One runtime serves every configuration: the interpreter alone, baseline
//! code, tiered execution and built executables. The configuration that
//! needs it installs an [`Engine`] into [`Runtime::engine`] when a run
//! starts; the runtime and the code it runs reach the interpreter and the
//! tier manager only through it. Nothing here knows the interpreter or the
//! code generator.

use crate::Runtime;
use crate::object::{ObjClosure, ObjFunction};
use crate::value::Value;

/// What a function's [`ObjFunction::tier`] says about its code slot.
pub mod tier {
    /// No native code: the code slot holds a stub into the interpreter.
    pub const INTERP: u8 = 0;
    /// Baseline native code.
    pub const BASELINE: u8 = 1;
    /// Optimized native code.
    pub const OPTIMIZED: u8 = 2;
}

/// An entry into native code in the middle of an activation (on-stack
/// replacement): `(rt, callee, this, frame)`, where `frame` points at the
/// interpreter frame's values, indexed by IR value number. It runs the rest
/// of the activation and returns its result (or `Value::ERROR`, with this
/// frame's trace line already added), or `Value::UNDEF`, without touching
/// the frame, when the frame's values are not what its code was
/// specialized for: the interpreter then goes on interpreting.
pub type OsrEntry = unsafe extern "C" fn(*mut Runtime, Value, Value, *const Value) -> Value;

/// The code behind the runtime: the interpreter and the tier manager.
///
/// Methods take `&self`: an engine is re-entered whenever Lox code calls
/// Lox code across engines (compiled code calls an interpreted function,
/// which calls compiled code, ...), so it keeps any mutable state of its own
/// behind interior mutability, borrowed only while no Lox code runs.
pub trait Engine {
    /// Runs `closure` with receiver `this` and `args` (its arity many) in
    /// the interpreter. The code slot of a function without native code
    /// leads here. Returns the result, or `Value::ERROR` with the error
    /// pending and the callee's trace line added.
    fn interpret(&self, rt: &mut Runtime, closure: *mut ObjClosure, this: Value, args: &[Value]) -> Value;

    /// `function`'s counter reached [`Runtime::tier_threshold`] while it
    /// runs below its best tier. The engine may compile it and install the
    /// code (raising its tier); it resets the counter either way.
    fn function_hot(&self, rt: &mut Runtime, function: *mut ObjFunction);

    /// The loop whose header is `block` (an IR block number) is hot in an
    /// interpreter activation of `function`: an entry that continues that
    /// activation in native code from the loop header, or None to go on
    /// interpreting. The engine resets the counter either way.
    fn loop_hot(&self, rt: &mut Runtime, function: *mut ObjFunction, block: u32) -> Option<OsrEntry>;

    /// A guard of `function`'s specialized code failed: `state` names the
    /// frame state (numbered by the engine when it compiled the code), and
    /// `values` holds the values that state lists. The engine rebuilds the
    /// interpreter frame, finishes the activation in the interpreter and
    /// returns its result (or `Value::ERROR`, with this frame's trace line
    /// added).
    fn deopt(&self, rt: &mut Runtime, function: *mut ObjFunction, state: u32, values: *const Value) -> Value;

    /// `function`'s ahead-of-time baseline code (an executable built with
    /// `--jit`, whose code counts calls and loop iterations as the
    /// interpreter does) got hot: the engine sends the function to the
    /// interpreter, to gather the observations its optimization needs. The
    /// running activation goes on in baseline code.
    fn baseline_hot(&self, rt: &mut Runtime, function: *mut ObjFunction);

    /// The loop whose header is `block` got hot in an activation of
    /// `function`'s ahead-of-time baseline code, at a back edge. `values`
    /// holds what the frame holds at the header, in the order of
    /// `brine_ir::Liveness::loop_entry_values`. The engine sends the function to
    /// the interpreter, as [`Engine::baseline_hot`] does, and finishes the
    /// activation there from the loop header: its result (or
    /// `Value::ERROR`, with this frame's trace line added), or
    /// `Value::UNDEF` to go on in baseline code.
    fn baseline_loop_hot(
        &self,
        rt: &mut Runtime,
        function: *mut ObjFunction,
        block: u32,
        values: *const Value,
    ) -> Value;

    /// `brine.specialize(f, consts...)` (DESIGN.md section 9; `f` is a
    /// closure or a bound method, `consts` at most its arity many): a
    /// function of `f`'s remaining parameters that the engine made by
    /// specializing `f` to `consts`, or why it did not (the runtime then
    /// binds the arguments instead, and notes why for `--profile`).
    fn specialize(&self, _rt: &mut Runtime, _f: Value, _consts: &[Value]) -> Result<Value, String> {
        Err("this engine does not specialize".into())
    }
}
