//! The `brine.*` intrinsics outside specialization (DESIGN.md section 9):
//! `freeze` and frozen objects, the register file, and `specialize`,
//! which asks the engine for a specialized function and otherwise binds
//! the arguments.
//!
//! An annotated interpreter must give the same answers specialized or
//! not, so each intrinsic here is the plain operation the partial
//! evaluator's result must agree with.

use crate::object::{ObjArray, ObjBoundMethod, ObjClosure, ObjInstance, ObjKind, ObjShape};
use crate::value::Value;
use crate::{Runtime, abi, objects};
use brine_ir::Intrinsic;

/// The error of every write to a frozen object.
pub const FROZEN: &str = "Cannot modify a frozen object.";

impl Runtime {
    /// Runs intrinsic `op` on `args` (the IR instruction's operands).
    pub fn intrinsic(&mut self, op: Intrinsic, args: &[Value]) -> Value {
        match op {
            Intrinsic::Specialize => self.specialize(args[0], &args[1..]),
            Intrinsic::Freeze => self.freeze(args[0]),
            Intrinsic::PushContext | Intrinsic::UpdateContext | Intrinsic::PopContext => Value::NIL,
            Intrinsic::SpecializeValue => args[0],
            Intrinsic::RegFile => Value::object(self.new_array(0)),
            Intrinsic::ReadReg => match self.register(args[1]) {
                Ok(i) => {
                    let file = args[0].as_ptr::<ObjArray>();
                    // SAFETY: the lowering passes the activation's register
                    // file, a live raw array; `i` is checked against its length.
                    unsafe {
                        if i < (*file).len as usize { *ObjArray::items(file).add(i) } else { Value::NIL }
                    }
                }
                Err(e) => e,
            },
            Intrinsic::WriteReg => match self.register(args[1]) {
                Ok(i) => {
                    let file = args[0].as_ptr::<ObjArray>();
                    // SAFETY: as for ReadReg; the file grows to hold slot `i`.
                    unsafe {
                        if i >= (*file).len as usize {
                            self.grow_array(file, i + 1);
                        }
                        *ObjArray::items(file).add(i) = args[2];
                    }
                    Value::NIL
                }
                Err(e) => e,
            },
        }
    }

    /// A register number: an integer from 0 to 65535.
    fn register(&mut self, index: Value) -> Result<usize, Value> {
        if index.is_number() {
            let i = index.as_number();
            if crate::number::is_integral(i) && (0.0..Intrinsic::REGISTERS as f64).contains(&i) {
                return Ok(i as usize);
            }
        }
        Err(self.raise(format!("Register must be an integer from 0 to {}.", Intrinsic::REGISTERS - 1)))
    }

    /// `brine.freeze(v)`: `v`, now read-only (shallow).
    pub fn freeze(&mut self, v: Value) -> Value {
        if !v.is_kind(ObjKind::Instance) {
            return self.raise("Only lists, maps and instances can be frozen.");
        }
        let instance = v.as_ptr::<ObjInstance>();
        // SAFETY: a live instance; its frozen shape has the same slots.
        unsafe {
            let shape = self.frozen_shape((*instance).shape);
            (*instance).shape = shape;
        }
        v
    }

    /// Whether `v` is a frozen instance (list, map or other).
    pub fn is_frozen(&self, v: Value) -> bool {
        // SAFETY: a live instance's shape is live.
        v.is_kind(ObjKind::Instance) && unsafe { ObjShape::is_frozen((*v.as_ptr::<ObjInstance>()).shape) }
    }

    /// `list[index]` of a frozen list (what the partial evaluator may fold:
    /// it cannot change), or None for anything else.
    pub fn frozen_element(&self, list: Value, index: f64) -> Option<Value> {
        if !self.is_frozen(list) || !self.is_list(list) || index.fract() != 0.0 || index < 0.0 {
            return None;
        }
        let (array, len) = self.list_parts(list)?;
        // SAFETY: `index < len <= the array's length`.
        ((index as usize) < len).then(|| unsafe { *ObjArray::items(array).add(index as usize) })
    }

    /// Field `name` of a frozen instance, or None.
    pub fn frozen_field(&self, obj: Value, name: Value) -> Option<Value> {
        if !self.is_frozen(obj) {
            return None;
        }
        self.instance_get_field(obj.as_ptr(), name)
    }

    /// `brine.specialize(f, consts)`: a function of `f`'s remaining
    /// parameters. The engine may specialize `f` to the constants; if it
    /// does not, the result calls `f` with them bound, and a note says why.
    pub fn specialize(&mut self, f: Value, consts: &[Value]) -> Value {
        let closure = match f.obj_kind() {
            Some(ObjKind::Closure) => f.as_ptr::<ObjClosure>(),
            // SAFETY: a live bound method's method is a live closure.
            Some(ObjKind::BoundMethod) => unsafe { (*f.as_ptr::<ObjBoundMethod>()).method },
            _ => return self.raise("Can only specialize a Lox function."),
        };
        // SAFETY: a live closure's prototype is live.
        let arity = unsafe { (*(*closure).function).arity } as usize;
        if consts.len() > arity {
            return self.raise(format!(
                "Expected at most {arity} arguments to specialize but got {}.",
                consts.len()
            ));
        }
        let why = match self.engine {
            // SAFETY: an installed engine is alive (`Runtime::engine`).
            Some(engine) => match unsafe { (*engine).specialize(self, f, consts) } {
                Ok(g) => return g,
                Err(why) => why,
            },
            None => "this executable has no JIT".to_string(),
        };
        let note = format!(
            "brine.specialize of {}: not specialized ({why}); it runs with its arguments bound",
            self.function_name(f)
        );
        self.notes.push(note);
        self.bind_arguments(f, consts, arity)
    }

    /// `f` as `print` shows it.
    fn function_name(&mut self, f: Value) -> String {
        let mut out = Vec::new();
        objects::display(f, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// A native of `arity - consts.len()` arguments that calls `f` with
    /// `consts` first.
    fn bind_arguments(&mut self, f: Value, consts: &[Value], arity: usize) -> Value {
        let data = self.new_array(consts.len() + 1);
        // SAFETY: a fresh array of `consts.len() + 1` slots.
        unsafe {
            let items = ObjArray::items(data);
            *items = f;
            for (i, &c) in consts.iter().enumerate() {
                *items.add(i + 1) = c;
            }
        }
        self.push_root(Value::object(data));
        let native = self.new_native("bound", (arity - consts.len()) as u32, call_bound);
        self.pop_root();
        // SAFETY: a fresh native.
        unsafe { (*native).data = Value::object(data) };
        Value::object(native)
    }
}

/// The native behind a function with bound arguments: calls the function
/// with the bound arguments, then `args`.
fn call_bound(rt: &mut Runtime, args: &[Value]) -> Value {
    let data = std::mem::replace(&mut rt.native_data, Value::NIL);
    if !data.is_kind(ObjKind::Array) {
        return rt.raise_internal("a bound function lost its arguments");
    }
    let array = data.as_ptr::<ObjArray>();
    // SAFETY: the array is live (the callee native, which the caller holds,
    // holds it); its first slot is the function and the rest the constants.
    let mut all: Vec<Value> = unsafe {
        let n = (*array).len as usize;
        std::slice::from_raw_parts(ObjArray::items(array), n).to_vec()
    };
    let f = all.remove(0);
    all.extend_from_slice(args);
    let plan = rt.plan_call(f, Value::NIL, all.len());
    // SAFETY: `all` holds the plan's argument count; its values stay
    // reachable from the bound array and the caller's arguments.
    unsafe { abi::run_plan(rt, plan, all.as_ptr(), all.len()) }
}
