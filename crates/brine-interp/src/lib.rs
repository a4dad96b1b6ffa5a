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
//! It is also tier 0 of tiered execution: it calls a callee that has native
//! code through its code slot, counts calls and loop back edges for the
//! engine (`brine_runtime::engine`), records what operands arithmetic sees,
//! fills the inline caches of property sites, and resumes deoptimized
//! activations ([`Interp::resume`]).
//!
//! It must not know Lox syntax or how native code is made.

pub mod deopt;

use brine_ir::{BinaryOp, FuncId, Function, InstKind, UnaryOp, Value as V};
use brine_runtime::engine::tier;
use brine_runtime::object::ObjClosure;
use brine_runtime::ops::{CallPlan, NumOp};
use brine_runtime::{Program, Runtime, Value};
use brine_runtime::{abi, stack};

#[inline(always)]
fn approx_sp() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}

pub struct Interp<'a> {
    pub rt: &'a mut Runtime,
    pub program: &'a Program,
    /// Scratch space for block arguments (parallel copies).
    scratch: Vec<Value>,
}

impl<'a> Interp<'a> {
    /// An interpreter over `rt`; "Stack overflow." is raised once the
    /// stack pointer goes below `rt.stack_limit`.
    pub fn new(rt: &'a mut Runtime, program: &'a Program) -> Interp<'a> {
        Interp { rt, program, scratch: Vec::new() }
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
        let (callee, this) = (self.rt.stack[base], self.rt.stack[base + 1]);
        let plan = self.rt.plan_call(callee, this, argc);
        self.run_plan(plan, base, argc)
    }

    fn run_plan(&mut self, plan: CallPlan, base: usize, argc: usize) -> Value {
        match plan {
            CallPlan::Native(function) => {
                // A copy: the native may use the stack.
                let args = self.rt.stack[base + 2..base + 2 + argc].to_vec();
                function(self.rt, &args)
            }
            CallPlan::Closure(closure, this) => self.enter(closure, this, base),
            CallPlan::Init(closure, instance) => {
                let result = self.enter(closure, instance, base);
                if result.is_error() { result } else { instance }
            }
            CallPlan::Done(v) => v,
        }
    }

    /// Calls `closure` (arity already checked) with receiver `this` and the
    /// arguments at `stack[base + 2..]`: through its native code if it has
    /// some, else here. Counts the call for tier-up.
    fn enter(&mut self, closure: *mut ObjClosure, this: Value, base: usize) -> Value {
        // SAFETY: a live closure's function prototype is live.
        let function = unsafe { (*closure).function };
        // SAFETY: as above; prototypes are only changed on this thread.
        unsafe {
            if (*function).tier == tier::INTERP {
                (*function).counter = (*function).counter.saturating_add(1);
                if (*function).counter >= self.rt.tier_threshold
                    && let Some(engine) = self.rt.engine
                {
                    // SAFETY: an installed engine is alive (`Runtime::engine`).
                    (*engine).function_hot(self.rt, function);
                }
            }
            if (*function).tier != tier::INTERP {
                // The array entry reads its arguments before anything can
                // grow the stack they live in. (`call_closure` sets the
                // native stack base for the native frames.)
                let argv = self.rt.stack.as_ptr().add(base + 2);
                return abi::call_closure(self.rt, closure, this, argv);
            }
            (*function).calls += 1;
        }
        self.rt.stack[base] = Value::object(closure);
        self.rt.stack[base + 1] = this;
        self.run(closure_func_id(closure), base)
    }

    /// Calls `closure` with receiver `this` and `args` from outside the
    /// interpreter (an engine's interpreter stub), in a frame pushed on top
    /// of the stack.
    pub fn call_closure(&mut self, closure: *mut ObjClosure, this: Value, args: &[Value]) -> Value {
        let base = self.rt.stack.len();
        self.rt.stack.push(Value::object(closure));
        self.rt.stack.push(this);
        self.rt.stack.extend_from_slice(args);
        let result = self.enter(closure, this, base);
        self.rt.stack.truncate(base);
        result
    }

    /// A loop back edge to `header` in the frame at `base` of function `id`:
    /// counts it, and when the loop is hot and the engine has native code
    /// for the rest of the activation, runs it there and returns its result.
    #[inline]
    fn back_edge(&mut self, id: FuncId, base: usize, header: brine_ir::Block) -> Option<Value> {
        let function = self.program.function_object(id);
        // SAFETY: the program's prototypes are live for the whole run.
        unsafe {
            (*function).loops += 1;
            (*function).counter = (*function).counter.saturating_add(1);
            if (*function).counter < self.rt.tier_threshold {
                return None;
            }
            let engine = self.rt.engine?;
            // SAFETY: an installed engine is alive (`Runtime::engine`).
            let entry = (*engine).loop_hot(self.rt, function, header.0)?;
            let (callee, this) = (self.rt.stack[base], self.rt.stack[base + 1]);
            // The entry reads the frame's values before anything can grow
            // the stack they live in.
            let frame = self.rt.stack.as_ptr().add(base);
            let result = stack::with_native_frames(self.rt, |rt| entry(rt, callee, this, frame));
            // UNDEF: the entry declined the frame (see `OsrEntry`).
            (!result.is_undef()).then_some(result)
        }
    }

    fn check_stack(&mut self) -> bool {
        approx_sp() > self.rt.stack_limit
    }

    /// Runs function `id` in the frame starting at `base`, where the caller
    /// has put the callee, `this` and the arguments.
    pub fn run(&mut self, id: FuncId, base: usize) -> Value {
        let entry = self.program.module.function(id).entry();
        self.run_from(id, base, entry, 0)
    }

    /// Continues an activation of function `id` whose frame, at `base`, the
    /// caller has filled: from instruction `index` of `block`. This is how
    /// a deoptimized activation finishes.
    pub fn resume(&mut self, id: FuncId, base: usize, block: brine_ir::Block, index: usize) -> Value {
        self.run_from(id, base, block, index)
    }

    /// Continues an activation of function `id` whose frame, at `base`,
    /// the caller has filled, after the call at instruction `index` of
    /// `block` returned `result`: how the caller of an inlined call that
    /// deoptimized finishes. An error result passes through this frame as
    /// it would have from the call.
    pub fn resume_after_call(
        &mut self,
        id: FuncId,
        base: usize,
        block: brine_ir::Block,
        index: usize,
        result: Value,
    ) -> Value {
        let func = self.program.module.function(id);
        let data = func.inst(func.block(block).insts[index]);
        if result.is_error() {
            let line = self.program.module.inst_line(func, &data.kind);
            self.add_traces(id, func, block, line, data.kind.site());
            return Value::ERROR;
        }
        if let Some(r) = data.result {
            self.rt.stack[base + r.index()] = result;
        }
        self.run_from(id, base, block, index + 1)
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    fn run_from(&mut self, id: FuncId, base: usize, block: brine_ir::Block, start: usize) -> Value {
        self.run_frame(id, base, block, start)
    }

    /// In wasm, an activation also counts toward `rt.max_call_depth`
    /// (see `Runtime::call_depth`).
    #[cfg(target_arch = "wasm32")]
    fn run_from(&mut self, id: FuncId, base: usize, block: brine_ir::Block, start: usize) -> Value {
        if self.rt.max_call_depth != 0 && self.rt.call_depth >= self.rt.max_call_depth {
            // Reported at the call site, by the caller's frame, as below.
            return self.rt.raise("Stack overflow.");
        }
        self.rt.call_depth += 1;
        let result = self.run_frame(id, base, block, start);
        self.rt.call_depth -= 1;
        result
    }

    fn run_frame(&mut self, id: FuncId, base: usize, mut block: brine_ir::Block, mut start: usize) -> Value {
        let program: &'a Program = self.program;
        let func: &'a Function = program.module.function(id);
        if !self.check_stack() {
            // Reported at the call site, by the caller's frame (as clox does).
            return self.rt.raise("Stack overflow.");
        }
        self.rt.stack.resize(base + func.values.len(), Value::NIL);
        'blocks: loop {
            let insts = &func.block(block).insts[std::mem::take(&mut start)..];
            for &inst in insts {
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
                    InstKind::Unary { op, arg, site } => {
                        let a = get!(arg);
                        match op {
                            UnaryOp::Not => Value::bool(!a.is_truthy()),
                            UnaryOp::Neg => {
                                program.record_operands(*site, a.is_number());
                                self.rt.negate(a)
                            }
                        }
                    }
                    InstKind::Binary { op, lhs, rhs, site } => {
                        let (a, b) = (get!(lhs), get!(rhs));
                        if op.can_fail() {
                            program.record_operands(*site, a.is_number() && b.is_number());
                        }
                        self.binary(*op, a, b)
                    }
                    InstKind::Truthy(v) => Value::bool(get!(v).is_truthy()),
                    InstKind::GetGlobal { global, .. } => {
                        let slot = program.global_slot(*global);
                        let v = self.rt.globals[slot];
                        if v.is_undef() { self.rt.undefined_variable(slot) } else { v }
                    }
                    InstKind::SetGlobal { global, value, .. } => {
                        let slot = program.global_slot(*global);
                        if self.rt.globals[slot].is_undef() {
                            self.rt.undefined_variable(slot)
                        } else {
                            self.rt.globals[slot] = get!(value);
                            Value::NIL
                        }
                    }
                    InstKind::DefineGlobal { global, value } => {
                        self.rt.globals[program.global_slot(*global)] = get!(value);
                        Value::NIL
                    }
                    // The site's inline cache is filled as native code fills
                    // it: type feedback for the optimizer.
                    InstKind::GetProp { obj, name, site } => {
                        // SAFETY: a program's caches live as long as it does,
                        // and nothing else holds a reference to this one.
                        let cache = unsafe { &mut *program.caches()[site.index()] };
                        self.rt.get_property_cached(get!(obj), program.string(*name), cache)
                    }
                    InstKind::SetProp { obj, name, value, site } => {
                        // SAFETY: as above.
                        let cache = unsafe { &mut *program.caches()[site.index()] };
                        self.rt.set_property_cached(get!(obj), program.string(*name), get!(value), cache)
                    }
                    InstKind::Invoke { obj, name, args, site } => {
                        // SAFETY: as for GetProp.
                        let cache = unsafe { &mut *program.caches()[site.index()] };
                        let name = program.string(*name);
                        match self.rt.invoke_target_cached(get!(obj), name, args.len(), cache) {
                            Ok((callee, this)) => self.call(base, func, callee, this, args),
                            Err(e) => e,
                        }
                    }
                    InstKind::SuperInvoke { this, superclass, name, args, site } => {
                        // SAFETY: as for GetProp.
                        let cache = unsafe { &mut *program.caches()[site.index()] };
                        match self.rt.super_target_cached(get!(superclass), program.string(*name), cache) {
                            Ok(method) => self.call(base, func, method, get!(this), args),
                            Err(e) => e,
                        }
                    }
                    InstKind::GetSuper { this, superclass, name, .. } => {
                        self.rt.get_super(get!(this), get!(superclass), program.string(*name))
                    }
                    InstKind::Call { callee, args, site } => {
                        let callee = get!(callee);
                        // SAFETY: as for GetProp.
                        let cache = unsafe { &mut *program.caches()[site.index()] };
                        self.rt.record_call_target(callee, cache);
                        self.call(base, func, callee, Value::NIL, args)
                    }
                    InstKind::NewList { items, .. } => {
                        self.scratch.clear();
                        for v in items {
                            self.scratch.push(get!(v));
                        }
                        // The items are also in this frame, so rooted.
                        let items = std::mem::take(&mut self.scratch);
                        let list = self.rt.new_list(&items);
                        self.scratch = items;
                        list
                    }
                    InstKind::GetIndex { obj, index, site } => {
                        let obj = get!(obj);
                        let r = self.rt.get_index(obj, get!(index));
                        // SAFETY: as for GetProp.
                        let cache = unsafe { &mut *program.caches()[site.index()] };
                        self.rt.record_index(obj, false, cache);
                        r
                    }
                    InstKind::ArrayLen { array, .. } => self.rt.array_len(get!(array)),
                    InstKind::ArrayGet { array, index, .. } => self.rt.array_get(get!(array), get!(index)),
                    InstKind::SetIndex { obj, index, value, site } => {
                        let obj = get!(obj);
                        let r = self.rt.set_index(obj, get!(index), get!(value));
                        // SAFETY: as for GetProp.
                        let cache = unsafe { &mut *program.caches()[site.index()] };
                        self.rt.record_index(obj, true, cache);
                        r
                    }
                    InstKind::ArraySet { array, index, value, .. } => {
                        self.rt.array_set(get!(array), get!(index), get!(value))
                    }
                    InstKind::Closure { func: f, captures } => {
                        self.scratch.clear();
                        for c in captures {
                            self.scratch.push(get!(c));
                        }
                        // The captured values are also in this frame, so rooted.
                        self.rt.make_closure(program.function_object(*f), &self.scratch)
                    }
                    InstKind::LoadCapture { index } => {
                        let closure: *mut ObjClosure = self.rt.stack[base].as_ptr();
                        // SAFETY: slot 0 of a frame is the running closure, and
                        // the verifier checked `index < ncaptures`.
                        unsafe { *ObjClosure::captures(closure).add(*index as usize) }
                    }
                    InstKind::Class { name, fields } => {
                        let class = self.rt.new_class(program.string(*name));
                        self.rt.expect_fields(class, *fields);
                        Value::object(class)
                    }
                    InstKind::Inherit { class, superclass, .. } => {
                        self.rt.inherit(get!(class), get!(superclass))
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
                        self.rt.print_value(get!(value));
                        Value::NIL
                    }
                    InstKind::Intrinsic { op, args, .. } => {
                        // A copy: `specialize` may run Lox code. The values
                        // stay in this frame, so rooted.
                        let values: Vec<Value> = args.iter().map(|&a| get!(a)).collect();
                        self.rt.intrinsic(*op, &values)
                    }
                    InstKind::Jump { dest, args } => {
                        self.pass_args(base, func, *dest, args);
                        // Loop headers come before their bodies in a
                        // function's blocks, so this is a back edge.
                        if dest.index() <= block.index()
                            && let Some(result) = self.back_edge(id, base, *dest)
                        {
                            return result;
                        }
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
                    // Specialized code, which the interpreter runs only in
                    // tests of the optimizer: f64s and bools are kept as the
                    // vals they box to.
                    InstKind::GuardNum { value, .. } => {
                        let v = get!(value);
                        if v.is_number() {
                            v
                        } else {
                            self.rt.raise_internal("a guard failed in the interpreter")
                        }
                    }
                    InstKind::Unbox(v) | InstKind::BoxNum(v) | InstKind::BoolVal(v) => get!(v),
                    InstKind::CallDirect { callee, this, args, .. } => {
                        self.call(base, func, get!(callee), get!(this), args)
                    }
                    InstKind::Object(bits) => Value(*bits),
                    InstKind::GuardFunction { value, function, .. } => {
                        let v = get!(value);
                        // SAFETY: a closure's function prototype is live.
                        if v.is_kind(brine_runtime::object::ObjKind::Closure)
                            && unsafe { (*v.as_ptr::<ObjClosure>()).function } as u64 == *function
                        {
                            Value::NIL
                        } else {
                            self.rt.raise_internal("a guard failed in the interpreter")
                        }
                    }
                    InstKind::IsShape { obj, shape } => {
                        let v = get!(obj);
                        // SAFETY: a live instance's shape is live.
                        Value::bool(
                            v.is_kind(brine_runtime::object::ObjKind::Instance)
                                && unsafe { (*v.as_ptr::<brine_runtime::object::ObjInstance>()).shape }
                                    as u64
                                    == *shape,
                        )
                    }
                    InstKind::NewInstance { class } => {
                        Value::object(self.rt.new_instance(get!(class).as_ptr()))
                    }
                    InstKind::Copy(v) => get!(v),
                    InstKind::ClosureCapture { closure, index } => {
                        let closure: *mut ObjClosure = get!(closure).as_ptr();
                        // SAFETY: the optimizer reads captures of closures of
                        // functions it knows to have them.
                        unsafe { *ObjClosure::captures(closure).add(*index as usize) }
                    }
                    InstKind::GuardIndex { index, len, .. } => {
                        let (i, n) = (get!(index), get!(len));
                        let inside = i.is_number()
                            && n.is_number()
                            && i.as_number().fract() == 0.0
                            && i.as_number() >= 0.0
                            && i.as_number() < n.as_number();
                        if inside {
                            Value::NIL
                        } else {
                            self.rt.raise_internal("a guard failed in the interpreter")
                        }
                    }
                    InstKind::GuardIs { value, bits, .. } => {
                        if get!(value).0 == *bits {
                            Value::NIL
                        } else {
                            self.rt.raise_internal("a guard failed in the interpreter")
                        }
                    }
                    InstKind::GuardShape { .. }
                    | InstKind::AssumeShape { .. }
                    | InstKind::LoadField { .. }
                    | InstKind::StoreField { .. }
                    | InstKind::StoreShape { .. } => {
                        self.rt.raise_internal("the interpreter does not run shape-specialized code")
                    }
                    InstKind::FNeg(v) => Value::number(-get!(v).as_number()),
                    InstKind::Float { op, lhs, rhs } => {
                        match op.apply(get!(lhs).as_number(), get!(rhs).as_number()) {
                            brine_ir::Applied::Number(n) => Value::number(n),
                            brine_ir::Applied::Bool(b) => Value::bool(b),
                        }
                    }
                };
                if result.is_error() {
                    let line = program.module.inst_line(func, &data.kind);
                    self.add_traces(id, func, block, line, data.kind.site());
                    return Value::ERROR;
                }
                if let Some(r) = data.result {
                    get!(r) = result;
                }
            }
            unreachable!("block without terminator");
        }
    }

    /// Adds the trace lines of an error raised at `line` in `block` of
    /// function `id`: when the block is a callee's code inlined into it
    /// (the partial evaluator inlines an interpreter's helpers), the
    /// callee's line first, then each caller's at its call, as compiled
    /// code does. Library functions add none.
    fn add_traces(
        &mut self,
        id: FuncId,
        func: &Function,
        block: brine_ir::Block,
        line: u32,
        site: Option<brine_ir::SiteId>,
    ) {
        let mut inlined = func.block(block).frame;
        let mut line = line;
        let mut site = site;
        loop {
            let (f, call) = match inlined {
                Some(i) => (func.inlined[i.index()].func, Some(&func.inlined[i.index()])),
                None => (id, None),
            };
            if !self.program.module.function(f).library {
                let name = self.function_name(f);
                self.rt.add_trace(line, site.map(|s| s.index() as u32), name);
            }
            let Some(call) = call else { break };
            line = self.program.module.site_line(call.site);
            site = Some(call.site);
            inlined = call.parent;
        }
    }

    fn function_name(&self, id: FuncId) -> Value {
        // SAFETY: function prototypes are kept alive by the program's constants.
        unsafe { (*self.program.function_object(id)).name }
    }

    /// Calls `callee` with receiver `this` and the values `args` of the
    /// frame at `base`, in a new frame after it.
    fn call(&mut self, base: usize, func: &Function, callee: Value, this: Value, args: &[V]) -> Value {
        let new_base = self.push_frame(base, func, callee, this, args);
        let r = self.call_value(new_base, args.len());
        self.rt.stack.truncate(new_base);
        r
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
        let num = match op {
            BinaryOp::Add => return self.rt.add(a, b),
            BinaryOp::Eq => return Value::bool(Runtime::values_equal(a, b)),
            BinaryOp::Ne => return Value::bool(!Runtime::values_equal(a, b)),
            BinaryOp::Sub => NumOp::Sub,
            BinaryOp::Mul => NumOp::Mul,
            BinaryOp::Div => NumOp::Div,
            BinaryOp::Mod => NumOp::Mod,
            BinaryOp::Lt => NumOp::Lt,
            BinaryOp::Le => NumOp::Le,
            BinaryOp::Gt => NumOp::Gt,
            BinaryOp::Ge => NumOp::Ge,
        };
        self.rt.num_op(num, a, b)
    }
}

/// The IR function a closure runs.
fn closure_func_id(closure: *mut ObjClosure) -> FuncId {
    // SAFETY: a live closure's function prototype is live.
    FuncId(unsafe { (*(*closure).function).func_id })
}
