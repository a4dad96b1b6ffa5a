//! Lox operations with their full semantics and error messages, shared by
//! every engine: the interpreter calls them directly, compiled code through
//! the `extern "C"` helpers in [`crate::abi`] after its inline fast paths.
//!
//! Each returns the result, or `Value::ERROR` with the error pending.
//! Calls are split: [`Runtime::plan_call`] decides what a call does, and the
//! engine runs Lox code its own way.

use crate::Runtime;
use crate::object::*;
use crate::value::Value;

/// The arithmetic and comparison operators (everything but `==`/`!=`,
/// which cannot fail, and `+`, which also concatenates).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum NumOp {
    Sub = 0,
    Mul = 1,
    Div = 2,
    Lt = 3,
    Le = 4,
    Gt = 5,
    Ge = 6,
    /// `%`: C's `fmod` (the remainder has the sign of the dividend).
    Mod = 7,
}

impl NumOp {
    pub fn from_u32(op: u32) -> Option<NumOp> {
        Some(match op {
            0 => NumOp::Sub,
            1 => NumOp::Mul,
            2 => NumOp::Div,
            3 => NumOp::Lt,
            4 => NumOp::Le,
            5 => NumOp::Gt,
            6 => NumOp::Ge,
            7 => NumOp::Mod,
            _ => return None,
        })
    }
}

/// `x % y` as C's `fmod`: the remainder of `x / y` truncated, with the sign
/// of `x`; NaN when `y` is 0 or `x` infinite, `x` when `y` is infinite.
/// Rust's `%` on floats is exactly that (LLVM's `frem`, a call of libm's
/// `fmod`). Every engine computes `%` here (compiled code through
/// [`crate::abi::brine_fmod`]), and the optimizer folds it the same way:
/// one definition, the IR's ([`brine_ir::fmod`]), whose NaN result is the
/// canonical NaN, as NaN-boxing needs, whatever NaN the C library returns.
pub use brine_ir::fmod;

/// What a call does, once the callee is known.
pub enum CallPlan {
    /// Run this closure's code with this receiver (arity already checked).
    Closure(*mut ObjClosure, Value),
    /// Run an initializer on a fresh instance; the call's value is the
    /// instance (unless the initializer fails).
    Init(*mut ObjClosure, Value),
    /// Run this native with the arguments (arity already checked).
    Native(NativeFn),
    /// The call is finished: its value (an instance of a class without
    /// `init`), or `Value::ERROR`.
    Done(Value),
}

impl Runtime {
    /// `a + b`.
    pub fn add(&mut self, a: Value, b: Value) -> Value {
        if a.is_number() && b.is_number() {
            Value::number(a.as_number() + b.as_number())
        } else if a.is_kind(ObjKind::String) && b.is_kind(ObjKind::String) {
            self.concat(a, b)
        } else {
            self.raise("Operands must be two numbers or two strings.")
        }
    }

    /// `a op b` for the number-only operators.
    pub fn num_op(&mut self, op: NumOp, a: Value, b: Value) -> Value {
        if !(a.is_number() && b.is_number()) {
            return self.raise("Operands must be numbers.");
        }
        let (x, y) = (a.as_number(), b.as_number());
        match op {
            NumOp::Sub => Value::number(x - y),
            NumOp::Mul => Value::number(x * y),
            NumOp::Div => Value::number(x / y),
            NumOp::Mod => Value::number(fmod(x, y)),
            NumOp::Lt => Value::bool(x < y),
            NumOp::Le => Value::bool(x <= y),
            NumOp::Gt => Value::bool(x > y),
            NumOp::Ge => Value::bool(x >= y),
        }
    }

    /// `-a`.
    pub fn negate(&mut self, a: Value) -> Value {
        if a.is_number() { Value::number(-a.as_number()) } else { self.raise("Operand must be a number.") }
    }

    /// The error for reading or assigning an undefined global.
    pub fn undefined_variable(&mut self, slot: usize) -> Value {
        let mut text = Vec::new();
        self.display(self.global_names[slot], &mut text);
        self.raise(format!("Undefined variable '{}'.", String::from_utf8_lossy(&text)))
    }

    fn undefined_property(&mut self, name: Value) -> Value {
        let mut text = Vec::new();
        self.display(name, &mut text);
        self.raise(format!("Undefined property '{}'.", String::from_utf8_lossy(&text)))
    }

    /// `class.name` bound to `receiver`, for `obj.method` and `super.method`.
    fn bind_method(&mut self, class: *mut ObjClass, name: Value, receiver: Value) -> Value {
        match self.class_find_method(class, name) {
            Some(method) => Value::object(self.new_bound_method(receiver, method.as_ptr())),
            None => self.undefined_property(name),
        }
    }

    /// `obj.name`: a field, else a bound method.
    pub fn get_property(&mut self, obj: Value, name: Value) -> Value {
        if !obj.is_kind(ObjKind::Instance) {
            return self.raise("Only instances have properties.");
        }
        let instance: *mut ObjInstance = obj.as_ptr();
        match self.instance_get_field(instance, name) {
            Some(v) => v,
            None => self.bind_method(Runtime::instance_class(instance), name, obj),
        }
    }

    /// `obj.name = value`; returns nil.
    pub fn set_property(&mut self, obj: Value, name: Value, value: Value) -> Value {
        if !obj.is_kind(ObjKind::Instance) {
            return self.raise("Only instances have fields.");
        }
        if self.is_frozen(obj) {
            return self.raise(crate::intrinsics::FROZEN);
        }
        self.instance_set_field(obj.as_ptr(), name, value);
        Value::NIL
    }

    /// `obj[index]` (DESIGN.md section 10): a list's element, or a string's
    /// byte `index` as a one-byte string, or a map's value of key `index`.
    pub fn get_index(&mut self, obj: Value, index: Value) -> Value {
        if self.is_list(obj) {
            return self.list_get(obj, index);
        }
        if self.is_map(obj) {
            return self.map_get(obj, index);
        }
        if let Some(bytes) = self.str_bytes(obj) {
            let len = bytes.len();
            return match self.index_in(index, len) {
                Ok(i) => {
                    let byte = self.str_bytes(obj).expect("checked: a string")[i];
                    self.byte_string(byte)
                }
                Err(e) => e,
            };
        }
        self.raise("Only lists, maps and strings can be indexed.")
    }

    /// `obj[index] = value`; returns nil.
    pub fn set_index(&mut self, obj: Value, index: Value, value: Value) -> Value {
        if self.is_list(obj) {
            return self.list_set(obj, index, value);
        }
        if self.is_map(obj) {
            return self.map_set(obj, index, value);
        }
        self.raise("Only lists and maps can be assigned by index.")
    }

    /// `index` as a position in `0 .. len`: "Index must be an integer." for
    /// anything but an integral number, "Index out of range." outside.
    pub(crate) fn index_in(&mut self, index: Value, len: usize) -> Result<usize, Value> {
        if !index.is_number() || !crate::number::is_integral(index.as_number()) {
            return Err(self.raise("Index must be an integer."));
        }
        let i = index.as_number();
        if i < 0.0 || i >= len as f64 {
            return Err(self.raise("Index out of range."));
        }
        Ok(i as usize)
    }

    /// `super.name` with `this` as the receiver.
    pub fn get_super(&mut self, this: Value, superclass: Value, name: Value) -> Value {
        debug_assert!(superclass.is_kind(ObjKind::Class));
        self.bind_method(superclass.as_ptr(), name, this)
    }

    /// Sizes the instances of a new class for `fields` fields (the number
    /// the compiler saw assigned to `this` in its methods), so they hold
    /// them inline from the first instance on.
    pub fn expect_fields(&mut self, class: *mut ObjClass, fields: u32) {
        // SAFETY: `class` is a live class.
        unsafe { (*class).inline_hint = (*class).inline_hint.max(fields) };
        crate::objects::refresh_alloc_class(class);
    }

    /// `class < superclass`; returns nil.
    pub fn inherit(&mut self, class: Value, superclass: Value) -> Value {
        if !superclass.is_kind(ObjKind::Class) {
            return self.raise("Superclass must be a class.");
        }
        self.class_inherit(class.as_ptr(), superclass.as_ptr());
        Value::NIL
    }

    /// What `obj.name(args)` calls: `(callee, this)`. A field holding a
    /// function is called without a receiver; a method with `obj`.
    pub fn invoke_target(&mut self, obj: Value, name: Value) -> Result<(Value, Value), Value> {
        if !obj.is_kind(ObjKind::Instance) {
            return Err(self.raise("Only instances have methods."));
        }
        let instance: *mut ObjInstance = obj.as_ptr();
        if let Some(field) = self.instance_get_field(instance, name) {
            return Ok((field, Value::NIL));
        }
        match self.class_find_method(Runtime::instance_class(instance), name) {
            Some(method) => Ok((method, obj)),
            None => Err(self.undefined_property(name)),
        }
    }

    /// The standard library's methods of two arities (DESIGN.md section
    /// 10: `sort()` and `sort(less)`): a library method `name` called with
    /// `argc` arguments it does not take is the method `name$argc` of
    /// `class` (the receiver's) when there is one (a name only the library
    /// can write). Anything else is `method` itself, whose call then checks
    /// the arity as usual.
    pub fn library_overload(
        &mut self,
        class: *mut ObjClass,
        method: Value,
        name: Value,
        argc: usize,
    ) -> Value {
        if !method.is_kind(ObjKind::Closure) {
            return method;
        }
        let closure: *mut ObjClosure = method.as_ptr();
        // SAFETY: a live closure's function prototype is live.
        let (library, arity) = unsafe { ((*(*closure).function).library, (*(*closure).function).arity) };
        if !library || arity as usize == argc {
            return method;
        }
        let mut overload = self.str_bytes(name).unwrap_or_default().to_vec();
        overload.extend_from_slice(format!("${argc}").as_bytes());
        // `method` stays reachable from its class while this allocates.
        let overload = self.intern(&overload);
        self.class_find_method(class, overload).unwrap_or(method)
    }

    /// The method `super.name` calls.
    pub fn super_target(&mut self, superclass: Value, name: Value) -> Result<Value, Value> {
        match self.class_find_method(superclass.as_ptr(), name) {
            Some(method) => Ok(method),
            None => Err(self.undefined_property(name)),
        }
    }

    fn check_arity(&mut self, arity: u32, argc: usize) -> bool {
        if arity as usize == argc {
            return true;
        }
        self.raise(format!("Expected {arity} arguments but got {argc}."));
        false
    }

    /// Decides what calling `callee` with `argc` arguments (and receiver
    /// `this`, for a method) does, checking the arity.
    pub fn plan_call(&mut self, callee: Value, this: Value, argc: usize) -> CallPlan {
        match callee.obj_kind() {
            Some(ObjKind::Closure) => {
                let closure: *mut ObjClosure = callee.as_ptr();
                // SAFETY: a live closure's function prototype is live.
                let arity = unsafe { (*(*closure).function).arity };
                if self.check_arity(arity, argc) {
                    CallPlan::Closure(closure, this)
                } else {
                    CallPlan::Done(Value::ERROR)
                }
            }
            Some(ObjKind::BoundMethod) => {
                let bm: *mut ObjBoundMethod = callee.as_ptr();
                // SAFETY: `callee` is a live bound method.
                let (receiver, method) = unsafe { ((*bm).receiver, (*bm).method) };
                self.plan_call(Value::object(method), receiver, argc)
            }
            Some(ObjKind::Class) => {
                let class: *mut ObjClass = callee.as_ptr();
                let instance = Value::object(self.new_instance(class));
                // SAFETY: the class is live (the caller holds `callee`).
                let init = unsafe { (*class).init };
                if init.is_nil() {
                    if self.check_arity(0, argc) {
                        CallPlan::Done(instance)
                    } else {
                        CallPlan::Done(Value::ERROR)
                    }
                } else {
                    let closure: *mut ObjClosure = init.as_ptr();
                    // SAFETY: a live closure's function prototype is live.
                    let arity = unsafe { (*(*closure).function).arity };
                    if self.check_arity(arity, argc) {
                        CallPlan::Init(closure, instance)
                    } else {
                        CallPlan::Done(Value::ERROR)
                    }
                }
            }
            Some(ObjKind::Native) => {
                let native: *mut ObjNative = callee.as_ptr();
                // SAFETY: `callee` is a live native.
                let (arity, function, data) =
                    unsafe { ((*native).arity, (*native).function, (*native).data) };
                self.native_data = data;
                if self.check_arity(arity, argc) {
                    CallPlan::Native(function)
                } else {
                    CallPlan::Done(Value::ERROR)
                }
            }
            _ => CallPlan::Done(self.raise("Can only call functions and classes.")),
        }
    }

    /// A new closure of `function` with these captured values.
    pub fn make_closure(&mut self, function: *mut ObjFunction, captures: &[Value]) -> Value {
        let closure = self.new_closure(function);
        // SAFETY: the closure was just allocated with room for `ncaptures`
        // values; the caller passes exactly that many (checked in debug).
        unsafe {
            debug_assert_eq!((*function).ncaptures as usize, captures.len());
            let slots = ObjClosure::captures(closure);
            for (i, c) in captures.iter().enumerate() {
                *slots.add(i) = *c;
            }
        }
        Value::object(closure)
    }

    /// `print v;`
    pub fn print_value(&mut self, v: Value) {
        let mut buf = std::mem::take(&mut self.print_buf);
        buf.clear();
        self.display(v, &mut buf);
        buf.push(b'\n');
        self.out.write(&buf);
        self.print_buf = buf;
    }
}
