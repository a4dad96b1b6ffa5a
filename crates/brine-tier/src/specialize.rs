//! `brine.specialize` at run time (DESIGN.md section 9): the partial
//! evaluator (`brine_opt::peval`) over the running program's objects, and
//! its residual functions compiled to native code.
//!
//! One request specializes the interpreter function to the guest program,
//! and, through [`Heap::specialization`], every function it calls with the
//! guest program as a constant (the guest's functions, made as recursive
//! calls of the interpreter): each such call gets a new prototype and
//! closure at once, which the residual code calls, and is specialized
//! after the one that asked for it. A specialization that fails (over the
//! budget, say) gets code that calls the original function with the
//! constants: slower, never wrong.
//!
//! The residual functions are compiled directly to native code (optimized,
//! when the run optimizes, but without speculation: their IR is not a
//! function of the program that the interpreter could resume, so nothing
//! in them may deoptimize). Their prototypes are the original's in name
//! and IR function, so traces read as the interpreter's; they hold native
//! code from the start, so the interpreter never runs them.
//!
//! What a residual function embeds stays alive: the constants are rooted
//! (in `Runtime::constants`), and what the evaluator folded is reachable
//! from them, through frozen objects, which cannot drop it, or unchanging
//! globals.

use crate::manager::Manager;
use brine_codegen::jit::FunctionCode;
use brine_ir::{FuncId, Function, GlobalId, InstKind, SiteId, StrId, Type};
use brine_opt::peval::{self, Const, Heap};
use brine_runtime::engine::tier;
use brine_runtime::object::{ObjBoundMethod, ObjClosure, ObjFunction, ObjKind};
use brine_runtime::{Program, Runtime, Value};
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// A function to specialize: the original closure, its constants, and
/// the prototype that receives the code.
struct Request {
    closure: Value,
    consts: Vec<Const>,
    target: *mut ObjFunction,
}

/// The running program as the evaluator sees it.
struct RunHeap<'a> {
    rt: &'a mut Runtime,
    program: &'a Program,
    unchanging: &'a HashSet<GlobalId>,
    /// The specializations made by this request, by closure and constants.
    made: HashMap<(u64, Vec<Const>), u64>,
    queue: Vec<Request>,
}

impl RunHeap<'_> {
    fn value(&self, c: Const) -> Value {
        match c {
            Const::Nil => Value::NIL,
            Const::Bool(b) => Value::bool(b),
            Const::Number(n) => Value::number(n),
            Const::Str(s) => self.program.string(s),
            Const::Object(bits) => Value(bits),
        }
    }

    /// A new prototype for `closure` with `nconsts` of its parameters
    /// bound, and a closure of it with the same captured values.
    fn new_closure(&mut self, closure: *mut ObjClosure, nconsts: usize) -> (Value, *mut ObjFunction) {
        // SAFETY: a live closure and its live prototype; the new objects
        // are rooted in `constants` before the next allocation.
        unsafe {
            let function = (*closure).function;
            let proto = self.rt.new_function(
                (*function).name,
                (*function).arity - nconsts as u32,
                (*function).ncaptures,
                (*function).func_id,
                (*function).kind,
            );
            self.rt.constants.push(Value::object(proto));
            let captures =
                std::slice::from_raw_parts(ObjClosure::captures(closure), (*closure).ncaptures as usize)
                    .to_vec();
            let g = self.rt.make_closure(proto, &captures);
            self.rt.constants.push(g);
            (g, proto)
        }
    }
}

/// `v` as a constant.
fn constant(v: Value) -> Const {
    if v.is_number() {
        Const::Number(v.as_number())
    } else if v.is_nil() {
        Const::Nil
    } else if v.is_bool() {
        Const::Bool(v == Value::TRUE)
    } else {
        Const::Object(v.0)
    }
}

impl Heap for RunHeap<'_> {
    fn index(&self, obj: u64, index: f64) -> Option<Const> {
        self.rt.frozen_element(Value(obj), index).map(constant)
    }
    fn field(&self, obj: u64, name: StrId) -> Option<Const> {
        self.rt.frozen_field(Value(obj), self.program.string(name)).map(constant)
    }
    fn global(&self, global: GlobalId) -> Option<Const> {
        if !self.unchanging.contains(&global) {
            return None;
        }
        let v = self.rt.globals[self.program.global_slot(global)];
        (!v.is_undef()).then(|| constant(v))
    }
    fn equal(&self, a: Const, b: Const) -> bool {
        Runtime::values_equal(self.value(a), self.value(b))
    }
    fn function(&self, closure: u64) -> Option<FuncId> {
        let v = Value(closure);
        if !v.is_kind(ObjKind::Closure) {
            return None;
        }
        // SAFETY: a live closure's prototype is live.
        let function = unsafe { (*v.as_ptr::<ObjClosure>()).function };
        // SAFETY: as above.
        let id = FuncId(unsafe { (*function).func_id });
        (self.program.function_objects().get(id.index()) == Some(&function)).then_some(id)
    }
    fn specialization(&mut self, callee: u64, consts: &[Const]) -> Option<u64> {
        let key = (callee, consts.to_vec());
        if let Some(&g) = self.made.get(&key) {
            return Some(g);
        }
        let v = Value(callee);
        if !v.is_kind(ObjKind::Closure) || self.made.len() >= peval::REQUEST_FUNCTIONS {
            return None;
        }
        let closure = v.as_ptr::<ObjClosure>();
        // SAFETY: a live closure's prototype is live.
        if consts.len() > unsafe { (*(*closure).function).arity } as usize {
            return None;
        }
        let (g, target) = self.new_closure(closure, consts.len());
        self.made.insert(key, g.0);
        self.queue.push(Request { closure: v, consts: consts.to_vec(), target });
        Some(g.0)
    }
}

/// A function of the remaining parameters that calls `closure` (of
/// prototype `function`, running `func`) with `consts` first: what a
/// specialization that failed runs.
fn bound_call(func: &Function, closure: Value, function: *mut ObjFunction, consts: &[Const]) -> Function {
    let arity = func.arity - consts.len() as u32;
    let mut out = Function::new(func.name.clone(), func.kind, arity, func.line);
    out.ncaptures = func.ncaptures;
    let mut b = brine_ir::builder::FunctionBuilder::new(out);
    let entry = b.create_block();
    let params: Vec<_> = (0..arity + 2).map(|_| b.append_block_param(entry, Type::Val)).collect();
    b.switch_to_block(entry);
    b.seal_block(entry);
    let callee = b.ins_value(InstKind::Object(closure.0));
    let mut args: Vec<_> = consts.iter().map(|&c| b.ins_value(c.inst())).collect();
    args.extend_from_slice(&params[2..]);
    // The call's errors (a stack overflow) are reported at the function's
    // first site, or the module's first.
    let site = func.insts.iter().find_map(|i| i.kind.site()).unwrap_or(SiteId(0));
    let value =
        b.ins_value(InstKind::CallDirect { function: function as u64, callee, this: params[1], args, site });
    b.ins(InstKind::Return { value });
    b.finish()
}

impl Manager {
    /// [`brine_runtime::engine::Engine::specialize`].
    pub(crate) fn specialize_function(
        &self,
        rt: &mut Runtime,
        f: Value,
        consts: &[Value],
    ) -> Result<Value, String> {
        if self.jit_for_residual_code().is_none() {
            return Err("this run has no JIT (--engine=interp)".into());
        }
        let started = Instant::now();
        let (closure, receiver) = match f.obj_kind() {
            // SAFETY: a live bound method.
            Some(ObjKind::BoundMethod) => unsafe {
                let bm = f.as_ptr::<ObjBoundMethod>();
                (Value::object((*bm).method), Some((*bm).receiver))
            },
            _ => (f, None),
        };
        rt.constants.push(f);
        rt.constants.extend_from_slice(consts);
        let program = self.program();
        let unchanging = self.unchanging_globals(program);
        let consts: Vec<Const> = consts.iter().map(|&c| constant(c)).collect();
        let mut heap =
            RunHeap { rt, program, unchanging: &unchanging, made: HashMap::new(), queue: Vec::new() };
        let (g, first) = {
            let (g, target) = heap.new_closure(closure.as_ptr(), consts.len());
            // A guest call of the program's entry is a call of this one.
            heap.made.insert((closure.0, consts.clone()), g.0);
            (g, Request { closure, consts, target })
        };
        // SAFETY: a live closure's prototype is live.
        let name =
            program.module.function(FuncId(unsafe { (*(*closure.as_ptr::<ObjClosure>()).function).func_id }));
        let name = name.display_name();
        let mut copies = 0;
        let mut insts = 0;
        let mut functions = 0;
        let mut failed = Vec::new();
        let mut pending = vec![first];
        let mut top = true;
        while let Some(request) = pending.pop() {
            // SAFETY: a live closure's prototype is live.
            let function = unsafe { (*request.closure.as_ptr::<ObjClosure>()).function };
            // SAFETY: as above.
            let id = FuncId(unsafe { (*function).func_id });
            let func = program.module.function(id);
            // What is left of the request's budget (its first function
            // gets the whole of one).
            let left = peval::REQUEST_COPIES.saturating_sub(copies);
            let limits = peval::Limits { copies: left.min(peval::LIMITS.copies), ..peval::LIMITS };
            let evaluated = if left == 0 {
                Err(format!(
                    "over the budget of {} block copies for one brine.specialize",
                    peval::REQUEST_COPIES
                ))
            } else {
                peval::specialize(
                    &program.module,
                    func,
                    request.closure.0,
                    &request.consts,
                    &mut heap,
                    limits,
                )
            };
            let residual = match evaluated {
                Ok(s) => {
                    copies += s.copies;
                    s.func
                }
                // The request `brine.specialize` made: the runtime binds
                // the arguments instead, and notes why.
                Err(why) if top => return Err(why),
                Err(why) => {
                    failed.push(format!("{}: {why}", func.display_name()));
                    bound_call(func, request.closure, function, &request.consts)
                }
            };
            top = false;
            pending.append(&mut heap.queue);
            insts += residual.insts.len();
            functions += 1;
            let code = self.compile_residual(program, id, residual)?;
            // SAFETY: `target` is a live prototype made for this code (its
            // arity is the residual function's), which nothing has called.
            unsafe {
                (*request.target).code = code.code.address;
                (*request.target).entry = code.entry.address;
                (*request.target).tier = tier::OPTIMIZED;
            }
        }
        let mut note = format!(
            "brine.specialize of {name}: {functions} function(s), {copies} block copies, {insts} instructions, {:.1} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
        for f in failed {
            note.push_str(&format!("\n  not specialized, calls the original: {f}"));
        }
        heap.rt.notes.push(note);
        Ok(match receiver {
            Some(receiver) => Value::object(heap.rt.new_bound_method(receiver, g.as_ptr())),
            None => g,
        })
    }

    /// The module's unchanging globals, found once per module size.
    fn unchanging_globals(&self, program: &Program) -> std::rc::Rc<HashSet<GlobalId>> {
        let size = program.module.functions.len();
        let mut cached = self.unchanging.borrow_mut();
        match &*cached {
            Some((n, globals)) if *n == size => std::rc::Rc::clone(globals),
            _ => {
                let globals = std::rc::Rc::new(brine_opt::whole_program::unchanging_globals(&program.module));
                *cached = Some((size, std::rc::Rc::clone(&globals)));
                globals
            }
        }
    }

    /// Cleans up (without speculation: it must never deoptimize) and
    /// compiles a residual function of IR function `id`.
    fn compile_residual(
        &self,
        program: &Program,
        id: FuncId,
        residual: Function,
    ) -> Result<FunctionCode, String> {
        let func = if self.optimizes() { brine_opt::clean_up(&program.module, &residual) } else { residual };
        let jit = self.jit_for_residual_code().expect("checked by the caller");
        let started = Instant::now();
        let code = jit.borrow_mut().compile_function(&program.module, &self.links(program), id, &func, 0);
        match code {
            Ok(code) => {
                self.record(id, " (specialized)", code.code, started);
                self.specialized.borrow_mut().push((id, std::rc::Rc::new(func)));
                Ok(code)
            }
            Err(e) => {
                let message = format!("cannot compile specialized {}: {e}", func.display_name());
                self.fail(message.clone());
                Err(message)
            }
        }
    }
}
