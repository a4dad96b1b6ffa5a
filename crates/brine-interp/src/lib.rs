//! `brine-interp`: the IR interpreter, Brine's reference semantics.
//!
//! It executes IR functions directly on the real runtime: the same values,
//! heap and objects native code uses, so a deoptimized frame can finish
//! here exactly. Each Lox call is one Rust call of [`Interp::run`]; a frame's
//! SSA values live in a window of [`Runtime::stack`] (indexed by value
//! number), which the collector scans precisely. Arguments are passed by
//! pushing them where the callee's window starts: `callee, this, args...`,
//! the entry block's parameters.
//!
//! Errors propagate by return value (`Value::ERROR`); each frame they pass
//! adds its `[line N] in f()` line.
//!
//! It must not know Lox syntax or native code.

mod program;

pub use program::Program;

use brine_ir::{BinaryOp, FuncId, Function, InstKind, UnaryOp, Value as V};
use brine_runtime::object::{
    ObjBoundMethod, ObjClass, ObjClosure, ObjFunction, ObjInstance, ObjKind, ObjNative,
};
use brine_runtime::{Runtime, Value};

/// How much native stack a run may use before "Stack overflow.": the limit
/// address is computed from the stack pointer at the start of the run.
pub struct StackLimit(pub usize);

impl StackLimit {
    /// A limit `size` bytes below the current stack pointer.
    pub fn from_here(size: usize) -> StackLimit {
        StackLimit(approx_sp().saturating_sub(size))
    }
}

#[inline(always)]
fn approx_sp() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}

pub struct Interp<'a> {
    pub rt: &'a mut Runtime,
    pub program: &'a Program,
    stack_limit: usize,
    /// Scratch space for block arguments (parallel copies).
    scratch: Vec<Value>,
    print_buf: Vec<u8>,
}

impl<'a> Interp<'a> {
    pub fn new(rt: &'a mut Runtime, program: &'a Program, limit: StackLimit) -> Interp<'a> {
        Interp { rt, program, stack_limit: limit.0, scratch: Vec::new(), print_buf: Vec::new() }
    }

    /// Runs a script function (arity 0). On a runtime error the error is
    /// left pending in the runtime and `Err(())` is returned.
    #[allow(clippy::result_unit_err)]
    pub fn run_script(&mut self, script: FuncId) -> Result<(), ()> {
        let base = self.rt.stack.len();
        let obj = self.program.function_object(script);
        let closure = self.rt.new_closure(obj);
        self.rt.stack.push(Value::object(closure));
        self.rt.stack.push(Value::NIL);
        let result = self.run(script, base);
        self.rt.stack.truncate(base);
        if result.is_error() { Err(()) } else { Ok(()) }
    }

    /// Calls the value at `stack[base]` with `this` at `base + 1` and `argc`
    /// arguments after it. Returns the result or `Value::ERROR`.
    pub fn call_value(&mut self, base: usize, argc: usize) -> Value {
        let callee = self.rt.stack[base];
        match callee.obj_kind() {
            Some(ObjKind::Closure) => self.call_closure(callee.as_ptr(), base, argc),
            Some(ObjKind::BoundMethod) => {
                let bm: *mut ObjBoundMethod = callee.as_ptr();
                // SAFETY: `callee` is a live bound method (it is on the stack).
                let (receiver, method) = unsafe { ((*bm).receiver, (*bm).method) };
                self.rt.stack[base] = Value::object(method);
                self.rt.stack[base + 1] = receiver;
                self.call_closure(method, base, argc)
            }
            Some(ObjKind::Class) => self.call_class(callee.as_ptr(), base, argc),
            Some(ObjKind::Native) => {
                let native: *mut ObjNative = callee.as_ptr();
                // SAFETY: `callee` is a live native (it is on the stack).
                let (arity, function) = unsafe { ((*native).arity, (*native).function) };
                if arity as usize != argc {
                    return self.rt.raise(format!("Expected {arity} arguments but got {argc}."));
                }
                let args: Vec<Value> = self.rt.stack[base + 2..base + 2 + argc].to_vec();
                function(self.rt, &args)
            }
            _ => self.rt.raise("Can only call functions and classes."),
        }
    }

    fn call_closure(&mut self, closure: *mut ObjClosure, base: usize, argc: usize) -> Value {
        // SAFETY: the closure is live (it is on the stack), and its function
        // prototype is kept alive by the program's constants.
        let function: *mut ObjFunction = unsafe { (*closure).function };
        let (arity, func_id) = unsafe { ((*function).arity, (*function).func_id) };
        if arity as usize != argc {
            return self.rt.raise(format!("Expected {arity} arguments but got {argc}."));
        }
        self.run(FuncId(func_id), base)
    }

    fn call_class(&mut self, class: *mut ObjClass, base: usize, argc: usize) -> Value {
        let instance = Value::object(self.rt.new_instance(class));
        // The instance is the receiver, and it is rooted on the stack.
        self.rt.stack[base + 1] = instance;
        // SAFETY: the class is live: it is still referenced from the stack.
        let init = unsafe { (*class).init };
        if init.is_nil() {
            if argc != 0 {
                return self.rt.raise(format!("Expected 0 arguments but got {argc}."));
            }
            return instance;
        }
        self.rt.stack[base] = init;
        let result = self.call_closure(init.as_ptr(), base, argc);
        if result.is_error() { result } else { instance }
    }

    /// Looks up the method `name` of an instance's class, or its field.
    fn invoke(&mut self, name: Value, base: usize, argc: usize) -> Value {
        let receiver = self.rt.stack[base + 1];
        if !receiver.is_kind(ObjKind::Instance) {
            return self.rt.raise("Only instances have methods.");
        }
        let instance: *mut ObjInstance = receiver.as_ptr();
        if let Some(field) = self.rt.instance_get_field(instance, name) {
            self.rt.stack[base] = field;
            self.rt.stack[base + 1] = Value::NIL;
            return self.call_value(base, argc);
        }
        // SAFETY: a live instance's shape and class are live.
        let class = unsafe { (*(*instance).shape).class };
        self.invoke_from_class(class, name, base, argc)
    }

    fn invoke_from_class(&mut self, class: *mut ObjClass, name: Value, base: usize, argc: usize) -> Value {
        match self.rt.class_find_method(class, name) {
            Some(method) => {
                self.rt.stack[base] = method;
                self.call_closure(method.as_ptr(), base, argc)
            }
            None => self.undefined_property(name),
        }
    }

    fn undefined_property(&mut self, name: Value) -> Value {
        let mut text = Vec::new();
        self.rt.display(name, &mut text);
        self.rt.raise(format!("Undefined property '{}'.", String::from_utf8_lossy(&text)))
    }

    fn bind_method(&mut self, class: *mut ObjClass, name: Value, receiver: Value) -> Value {
        match self.rt.class_find_method(class, name) {
            Some(method) => Value::object(self.rt.new_bound_method(receiver, method.as_ptr())),
            None => self.undefined_property(name),
        }
    }

    fn check_stack(&mut self) -> bool {
        approx_sp() > self.stack_limit
    }

    /// Runs function `id` in the frame starting at `base`, where the caller
    /// has put the callee, `this` and the arguments.
    pub fn run(&mut self, id: FuncId, base: usize) -> Value {
        let program: &'a Program = self.program;
        let func: &'a Function = program.module.function(id);
        if !self.check_stack() {
            // Reported at the call site, by the caller's frame (as clox does).
            return self.rt.raise("Stack overflow.");
        }
        self.rt.stack.resize(base + func.values.len(), Value::NIL);
        let mut block = func.entry();
        'blocks: loop {
            for &inst in &func.block(block).insts {
                let data = &func.insts[inst.index()];
                macro_rules! get {
                    ($v:expr) => {
                        self.rt.stack[base + $v.index()]
                    };
                }
                let result: Value = match &data.kind {
                    InstKind::Nil => Value::NIL,
                    InstKind::Bool(b) => Value::bool(*b),
                    InstKind::Number(n) => Value::number(*n),
                    InstKind::Str(s) => program.string(*s),
                    InstKind::Unary { op, arg, .. } => {
                        let a = get!(arg);
                        match op {
                            UnaryOp::Not => Value::bool(!a.is_truthy()),
                            UnaryOp::Neg if a.is_number() => Value::number(-a.as_number()),
                            UnaryOp::Neg => self.rt.raise("Operand must be a number."),
                        }
                    }
                    InstKind::Binary { op, lhs, rhs, .. } => self.binary(*op, get!(lhs), get!(rhs)),
                    InstKind::Truthy(v) => Value::bool(get!(v).is_truthy()),
                    InstKind::GetGlobal { global, .. } => {
                        let slot = program.global_slot(*global);
                        let v = self.rt.globals[slot];
                        if v.is_undef() { self.undefined_variable(slot) } else { v }
                    }
                    InstKind::SetGlobal { global, value, .. } => {
                        let slot = program.global_slot(*global);
                        if self.rt.globals[slot].is_undef() {
                            self.undefined_variable(slot)
                        } else {
                            self.rt.globals[slot] = get!(value);
                            Value::NIL
                        }
                    }
                    InstKind::DefineGlobal { global, value } => {
                        self.rt.globals[program.global_slot(*global)] = get!(value);
                        Value::NIL
                    }
                    InstKind::GetProp { obj, name, .. } => {
                        let o = get!(obj);
                        if o.is_kind(ObjKind::Instance) {
                            let instance: *mut ObjInstance = o.as_ptr();
                            let name = program.string(*name);
                            match self.rt.instance_get_field(instance, name) {
                                Some(v) => v,
                                None => {
                                    // SAFETY: a live instance's shape and class are live.
                                    let class = unsafe { (*(*instance).shape).class };
                                    self.bind_method(class, name, o)
                                }
                            }
                        } else {
                            self.rt.raise("Only instances have properties.")
                        }
                    }
                    InstKind::SetProp { obj, name, value, .. } => {
                        let o = get!(obj);
                        if o.is_kind(ObjKind::Instance) {
                            let v = get!(value);
                            self.rt.instance_set_field(o.as_ptr(), program.string(*name), v);
                            Value::NIL
                        } else {
                            self.rt.raise("Only instances have fields.")
                        }
                    }
                    InstKind::Invoke { obj, name, args, .. } => {
                        let new_base = self.push_frame(base, func, Value::NIL, get!(obj), args);
                        let r = self.invoke(program.string(*name), new_base, args.len());
                        self.rt.stack.truncate(new_base);
                        r
                    }
                    InstKind::SuperInvoke { this, superclass, name, args, .. } => {
                        let sup = get!(superclass);
                        let new_base = self.push_frame(base, func, Value::NIL, get!(this), args);
                        let r =
                            self.invoke_from_class(sup.as_ptr(), program.string(*name), new_base, args.len());
                        self.rt.stack.truncate(new_base);
                        r
                    }
                    InstKind::GetSuper { this, superclass, name, .. } => {
                        let sup = get!(superclass);
                        self.bind_method(sup.as_ptr(), program.string(*name), get!(this))
                    }
                    InstKind::Call { callee, args, .. } => {
                        let new_base = self.push_frame(base, func, get!(callee), Value::NIL, args);
                        let r = self.call_value(new_base, args.len());
                        self.rt.stack.truncate(new_base);
                        r
                    }
                    InstKind::Closure { func: f, captures } => {
                        let closure = self.rt.new_closure(program.function_object(*f));
                        // SAFETY: the closure was just allocated with room for
                        // `ncaptures` values, which the verifier checked equals
                        // `captures.len()`; nothing allocates in between.
                        unsafe {
                            let slots = ObjClosure::captures(closure);
                            for (i, c) in captures.iter().enumerate() {
                                *slots.add(i) = get!(c);
                            }
                        }
                        Value::object(closure)
                    }
                    InstKind::LoadCapture { index } => {
                        let closure: *mut ObjClosure = self.rt.stack[base].as_ptr();
                        // SAFETY: slot 0 of a frame is the running closure, and
                        // the verifier checked `index < ncaptures`.
                        unsafe { *ObjClosure::captures(closure).add(*index as usize) }
                    }
                    InstKind::Class { name } => Value::object(self.rt.new_class(program.string(*name))),
                    InstKind::Inherit { class, superclass, .. } => {
                        let sup = get!(superclass);
                        if sup.is_kind(ObjKind::Class) {
                            self.rt.class_inherit(get!(class).as_ptr(), sup.as_ptr());
                            Value::NIL
                        } else {
                            self.rt.raise("Superclass must be a class.")
                        }
                    }
                    InstKind::Method { class, name, method } => {
                        self.rt.class_add_method(get!(class).as_ptr(), program.string(*name), get!(method));
                        Value::NIL
                    }
                    InstKind::CellNew { value } => Value::object(self.rt.new_cell(get!(value))),
                    InstKind::CellGet { cell } => {
                        let c: *mut brine_runtime::object::ObjCell = get!(cell).as_ptr();
                        // SAFETY: cell operands are always live cells (lowering invariant).
                        unsafe { (*c).value }
                    }
                    InstKind::CellSet { cell, value } => {
                        let c: *mut brine_runtime::object::ObjCell = get!(cell).as_ptr();
                        // SAFETY: as above.
                        unsafe { (*c).value = get!(value) };
                        Value::NIL
                    }
                    InstKind::Print { value } => {
                        let mut buf = std::mem::take(&mut self.print_buf);
                        buf.clear();
                        self.rt.display(get!(value), &mut buf);
                        buf.push(b'\n');
                        self.rt.out.write(&buf);
                        self.print_buf = buf;
                        Value::NIL
                    }
                    InstKind::Jump { dest, args } => {
                        self.pass_args(base, func, *dest, args);
                        block = *dest;
                        continue 'blocks;
                    }
                    InstKind::Branch { cond, then_dest, then_args, else_dest, else_args } => {
                        let (dest, args) = if get!(cond) == Value::TRUE {
                            (then_dest, then_args)
                        } else {
                            (else_dest, else_args)
                        };
                        self.pass_args(base, func, *dest, args);
                        block = *dest;
                        continue 'blocks;
                    }
                    InstKind::Return { value } => return get!(value),
                };
                if result.is_error() {
                    let line = data.kind.site().map_or(func.line, |s| program.module.site_line(s));
                    let name = self.function_name(id);
                    self.rt.add_trace(line, name);
                    return Value::ERROR;
                }
                if let Some(r) = data.result {
                    get!(r) = result;
                }
            }
            unreachable!("block without terminator");
        }
    }

    fn function_name(&self, id: FuncId) -> Value {
        // SAFETY: function prototypes are kept alive by the program's constants.
        unsafe { (*self.program.function_object(id)).name }
    }

    fn undefined_variable(&mut self, slot: usize) -> Value {
        let mut text = Vec::new();
        self.rt.display(self.rt.global_names[slot], &mut text);
        self.rt.raise(format!("Undefined variable '{}'.", String::from_utf8_lossy(&text)))
    }

    /// Pushes a callee frame's first slots after the current frame; returns its base.
    fn push_frame(&mut self, base: usize, func: &Function, callee: Value, this: Value, args: &[V]) -> usize {
        let new_base = base + func.values.len();
        debug_assert_eq!(self.rt.stack.len(), new_base);
        self.rt.stack.push(callee);
        self.rt.stack.push(this);
        for a in args {
            let v = self.rt.stack[base + a.index()];
            self.rt.stack.push(v);
        }
        new_base
    }

    fn pass_args(&mut self, base: usize, func: &Function, dest: brine_ir::Block, args: &[V]) {
        if args.is_empty() {
            return;
        }
        self.scratch.clear();
        for a in args {
            self.scratch.push(self.rt.stack[base + a.index()]);
        }
        for (p, v) in func.block(dest).params.iter().zip(&self.scratch) {
            self.rt.stack[base + p.index()] = *v;
        }
    }

    fn binary(&mut self, op: BinaryOp, a: Value, b: Value) -> Value {
        if a.is_number() && b.is_number() {
            let (x, y) = (a.as_number(), b.as_number());
            return match op {
                BinaryOp::Add => Value::number(x + y),
                BinaryOp::Sub => Value::number(x - y),
                BinaryOp::Mul => Value::number(x * y),
                BinaryOp::Div => Value::number(x / y),
                BinaryOp::Lt => Value::bool(x < y),
                BinaryOp::Le => Value::bool(x <= y),
                BinaryOp::Gt => Value::bool(x > y),
                BinaryOp::Ge => Value::bool(x >= y),
                BinaryOp::Eq => Value::bool(x == y),
                BinaryOp::Ne => Value::bool(x != y),
            };
        }
        match op {
            BinaryOp::Eq => Value::bool(Runtime::values_equal(a, b)),
            BinaryOp::Ne => Value::bool(!Runtime::values_equal(a, b)),
            BinaryOp::Add if a.is_kind(ObjKind::String) && b.is_kind(ObjKind::String) => self.rt.concat(a, b),
            BinaryOp::Add => self.rt.raise("Operands must be two numbers or two strings."),
            _ => self.rt.raise("Operands must be numbers."),
        }
    }
}
