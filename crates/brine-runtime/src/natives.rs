//! The native functions every program has, defined as globals by
//! `define_all` when a runtime is created.

use crate::Runtime;
use crate::value::Value;

/// Defines the native functions as globals.
pub(crate) fn define_all(rt: &mut Runtime) {
    define(rt, "clock", 0, clock);
}

fn define(rt: &mut Runtime, name: &str, arity: u32, function: crate::object::NativeFn) {
    let native = rt.new_native(name, arity, function);
    rt.push_root(Value::object(native));
    let slot = rt.global_slot(name.as_bytes());
    rt.pop_root();
    rt.globals[slot as usize] = Value::object(native);
}

/// `clock()`: seconds since the runtime started, as a number.
fn clock(rt: &mut Runtime, _args: &[Value]) -> Value {
    Value::number(rt.start.elapsed().as_secs_f64())
}
