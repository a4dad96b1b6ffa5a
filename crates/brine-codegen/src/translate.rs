//! Translation of one IR function to Cranelift IR: the baseline tier.
//!
//! Every Lox value is an `i64` (a NaN-boxed word); IR `bool`s are `i8`.
//! Number arithmetic and comparison, truthiness, equality, global access,
//! captured variables and cells are inline; a call to a closure of the right
//! arity jumps through the callee's code slot; everything else calls a
//! runtime helper (`brine_runtime::abi`). After every operation that can
//! fail, a compare against `Value::ERROR` branches to the function's one
//! error block, which adds the frame's trace line and returns the error.

use crate::Links;
use crate::osr::OsrRegion;
use brine_ir::{self as ir, BinaryOp, InstKind, UnaryOp};
use brine_runtime::abi::offsets;
use brine_runtime::ic::{IC_ENTRIES, offsets as ic};
use brine_runtime::object::ObjKind;
use brine_runtime::value::{OBJ_TAG, QNAN, Value as RtValue};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, BlockArg, InstBuilder, MemFlagsData, Signature, StackSlotData, StackSlotKind, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::{FuncId as ClFuncId, Module};
use std::collections::HashMap;

type ClValue = cranelift_codegen::ir::Value;
type ClBlock = cranelift_codegen::ir::Block;

const PTR_MASK: i64 = !(OBJ_TAG as i64);
const ERROR: i64 = RtValue::ERROR.0 as i64;
const NIL: i64 = RtValue::NIL.0 as i64;
const TRUE: i64 = RtValue::TRUE.0 as i64;
const FALSE: i64 = RtValue::FALSE.0 as i64;
const UNDEF: i64 = RtValue::UNDEF.0 as i64;

/// The signature of a compiled Lox function of `arity` parameters:
/// `(rt, callee, this, args...) -> value`.
pub fn lox_signature(call_conv: CallConv, arity: usize) -> Signature {
    let mut sig = Signature::new(call_conv);
    sig.params.extend(std::iter::repeat_n(AbiParam::new(types::I64), arity + 3));
    sig.returns.push(AbiParam::new(types::I64));
    sig
}

/// The signature of an array entry: `(rt, callee, this, argv) -> value`.
pub fn entry_signature(call_conv: CallConv) -> Signature {
    lox_signature(call_conv, 1)
}

/// The signature of a helper.
pub fn helper_signature(call_conv: CallConv, h: &brine_runtime::abi::Helper) -> Signature {
    let mut sig = Signature::new(call_conv);
    let ty = |word| match word {
        brine_runtime::abi::Word::W64 => types::I64,
        brine_runtime::abi::Word::W32 => types::I32,
        brine_runtime::abi::Word::F64 => types::F64,
    };
    for &word in &h.params {
        sig.params.push(AbiParam::new(ty(word)));
    }
    if let Some(word) = h.returns {
        sig.returns.push(AbiParam::new(ty(word)));
    }
    sig
}

/// What the translation of one function needs from the module being built.
pub struct Env<'a, M: Module> {
    pub module: &'a mut M,
    pub ir: &'a ir::Module,
    pub links: &'a dyn Links,
    /// Cranelift ids of the helpers, by name.
    pub helpers: &'a HashMap<&'static str, ClFuncId>,
    /// Count calls in the function prototype's `calls` (for `--profile`).
    pub count_calls: bool,
    /// The number under which the engine knows the function's first frame
    /// state (`brine_deopt`'s `state` is this plus the state's index).
    pub first_state: u32,
    /// Deoptimization stress: every guard also counts down
    /// `Runtime::deopt_countdown`, and fails when it reaches zero, after
    /// resetting it to this period (0: off).
    pub deopt_stress: u64,
    /// Count calls and loop back edges in the prototype's `counter`, as the
    /// interpreter does, and tell the engine when they reach the tier
    /// threshold (`brine_baseline_hot`, `brine_baseline_loop_hot`): the
    /// baseline code of an executable that carries the JIT.
    pub tier_counters: bool,
}

/// The Cranelift type of an IR type.
fn cl_type(ty: ir::Type) -> cranelift_codegen::ir::Type {
    match ty {
        ir::Type::Bool => types::I8,
        ir::Type::F64 => types::F64,
        _ => types::I64,
    }
}

fn block_args(values: &[ClValue]) -> Vec<BlockArg> {
    values.iter().map(|&v| BlockArg::Value(v)).collect()
}

struct Translator<'a, 'b, M: Module> {
    env: &'b mut Env<'a, M>,
    b: FunctionBuilder<'b>,
    func: &'a ir::Function,
    id: ir::FuncId,
    rt: ClValue,
    /// Where `rt` is kept in a large function: reloaded at every use, so
    /// that no value with uses all over the function burdens the register
    /// allocator (whose work on one such value grows with the square of
    /// its uses).
    rt_slot: Option<cranelift_codegen::ir::StackSlot>,
    values: Vec<Option<ClValue>>,
    /// The IR values that live in Cranelift variables (see [`OsrRegion`]);
    /// before each instruction, `values` is refreshed from them.
    vars: Vec<Option<Variable>>,
    blocks: Vec<Option<ClBlock>>,
    /// The error blocks of each frame: the function's own (index 0), then
    /// each inlined call's (see [`ErrorBlocks`]).
    errors: Vec<ErrorBlocks>,
    /// The frame of the block being translated: the function's own, or an
    /// inlined call's.
    frame: Option<ir::InlineId>,
    /// Where a jump to the error block leaves the place of the error (a
    /// `trace_place`: its line and site).
    line_slot: cranelift_codegen::ir::StackSlot,
    /// Scratch memory for argument and capture arrays passed to helpers.
    argv: Option<(cranelift_codegen::ir::StackSlot, usize)>,
    helper_refs: HashMap<&'static str, cranelift_codegen::ir::FuncRef>,
    call_conv: CallConv,
    /// The IR block being translated.
    block: ir::Block,
    /// The function's liveness, when its back edges count
    /// ([`Env::tier_counters`]).
    liveness: Option<ir::Liveness>,
}

fn max_args(f: &ir::Function) -> usize {
    f.layout
        .iter()
        .flat_map(|&b| &f.block(b).insts)
        .map(|&i| match &f.inst(i).kind {
            InstKind::Invoke { args, .. }
            | InstKind::SuperInvoke { args, .. }
            | InstKind::Call { args, .. }
            | InstKind::CallDirect { args, .. } => args.len(),
            InstKind::Closure { captures, .. }
            | InstKind::NewList { items: captures, .. }
            | InstKind::Intrinsic { args: captures, .. } => captures.len(),
            kind => kind.guard_state().map_or(0, |s| f.state_values(s).len()),
        })
        .max()
        .unwrap_or(0)
}

/// The headers of `f`'s loops, each once, in order: where the interpreter
/// may ask to enter native code (`Engine::loop_hot`).
pub fn loop_headers(f: &ir::Function) -> Vec<ir::Block> {
    let mut headers: Vec<ir::Block> = back_edges(f).collect();
    headers.sort();
    headers.dedup();
    headers
}

/// The headers of `f`'s back edges: jumps to a block at or before their
/// own (the interpreter's definition, see `Interp::back_edge`).
fn back_edges(f: &ir::Function) -> impl Iterator<Item = ir::Block> + '_ {
    f.layout.iter().filter_map(move |&b| match f.block(b).insts.last().map(|&i| &f.inst(i).kind) {
        Some(InstKind::Jump { dest, .. }) if dest.index() <= b.index() => Some(*dest),
        _ => None,
    })
}

/// The error blocks of one frame, each shared by at most
/// [`ERROR_BLOCK_USES`] operations: a block that every fallible operation
/// of a large function jumped to would make computing dominators
/// quadratic.
#[derive(Default)]
struct ErrorBlocks {
    blocks: Vec<ClBlock>,
    /// How many operations jump to the last block.
    uses: usize,
}

/// How many fallible operations share one error block.
const ERROR_BLOCK_USES: usize = 32;

/// Functions of more IR instructions than this reload the runtime pointer
/// from a stack slot at every use (see `Translator::rt_slot`).
const SPILL_RT_INSTS: usize = 400;

/// Translates `func`, the code of IR function `id` (the module's own, or a
/// specialized version of it), into `ctx_func`, whose signature is set:
/// [`lox_signature`] for the whole function, or [`entry_signature`] for an
/// on-stack-replacement entry at loop header `osr` (see [`OsrRegion`]).
pub fn translate_function<'a, M: Module>(
    env: &mut Env<'a, M>,
    id: ir::FuncId,
    func: &'a ir::Function,
    osr: Option<ir::Block>,
    ctx_func: &mut cranelift_codegen::ir::Function,
    fbc: &mut FunctionBuilderContext,
) {
    let call_conv = ctx_func.signature.call_conv;
    let frontend_config = env.module.target_config();
    let mut b = FunctionBuilder::new(ctx_func, fbc);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let params = b.block_params(entry).to_vec();
    let rt = params[0];
    let line_slot = b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 8, 3));
    let mut t = Translator {
        env,
        b,
        func,
        id,
        rt,
        rt_slot: None,
        values: vec![None; func.values.len()],
        vars: vec![None; func.values.len()],
        blocks: vec![None; func.blocks.len()],
        errors: Vec::new(),
        frame: None,
        line_slot,
        argv: None,
        helper_refs: HashMap::new(),
        call_conv,
        block: func.entry(),
        liveness: None,
    };
    let mut n = max_args(func);
    if t.env.tier_counters && osr.is_none() {
        let liveness = ir::Liveness::compute(func);
        n = n.max(back_edges(func).map(|h| liveness.loop_entry_values(func, h).len()).max().unwrap_or(0));
        t.liveness = Some(liveness);
    }
    if func.insts.len() > SPILL_RT_INSTS {
        let slot = t.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 8, 3));
        t.b.ins().stack_store(types::I64, rt, slot, 0);
        t.rt_slot = Some(slot);
    }
    if n > 0 {
        let slot =
            t.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, (n * 8) as u32, 3));
        t.argv = Some((slot, n));
    }
    let order = brine_ir::verifier::reverse_postorder(func);
    match osr {
        None => {
            t.prologue(&params[1..]);
            for block in order {
                t.block(block);
            }
        }
        Some(header) => {
            let region = OsrRegion::new(func, t.env.ir.function(id), header);
            // The engine checks `OsrRegion::fits` before it asks for this entry.
            debug_assert!(region.fits(), "an OSR entry needs values the frame does not hold");
            t.osr_prologue(&region, params[1], params[2], params[3]);
            for block in order.into_iter().filter(|b| region.contains(*b)) {
                t.block(block);
            }
        }
    }
    t.error_tail();
    t.b.seal_all_blocks();
    t.b.finalize(frontend_config);
}

impl<'a, M: Module> Translator<'a, '_, M> {
    fn cl_block(&mut self, b: ir::Block) -> ClBlock {
        if let Some(cb) = self.blocks[b.index()] {
            return cb;
        }
        let cb = self.b.create_block();
        for &p in &self.func.block(b).params {
            let ty = cl_type(self.func.value_type(p));
            let v = self.b.append_block_param(cb, ty);
            self.values[p.index()] = Some(v);
        }
        self.blocks[b.index()] = Some(cb);
        cb
    }

    /// The runtime pointer, at the current position.
    fn rt(&mut self) -> ClValue {
        match self.rt_slot {
            Some(slot) => self.b.ins().stack_load(types::I64, types::I64, slot, 0),
            None => self.rt,
        }
    }

    fn val(&self, v: ir::Value) -> ClValue {
        self.values[v.index()].expect("IR value used before its definition")
    }

    fn vals(&self, vs: &[ir::Value]) -> Vec<ClValue> {
        vs.iter().map(|&v| self.val(v)).collect()
    }

    /// A runtime object that specialized IR names (a prototype, a shape, a
    /// value's bits): by its address, or, in code compiled ahead of time,
    /// by its symbol (`brine_ir::symbol`), which the links resolve.
    fn object_bits(&mut self, bits: u64) -> ClValue {
        if let Some(id) = ir::symbol::as_function(bits) {
            return self.env.links.function(&mut self.b, id);
        }
        if let Some(slot) = ir::symbol::as_link(bits) {
            return self.env.links.class_link(&mut self.b, slot);
        }
        self.iconst(bits as i64)
    }

    /// Whether the word `v` is the object `bits` names ([`Self::object_bits`]).
    fn is_object(&mut self, v: ClValue, bits: u64) -> ClValue {
        if ir::symbol::is_symbol(bits) {
            let o = self.object_bits(bits);
            self.b.ins().icmp(IntCC::Equal, v, o)
        } else {
            self.b.ins().icmp_imm_s(IntCC::Equal, v, bits as i64)
        }
    }

    fn iconst(&mut self, bits: i64) -> ClValue {
        self.b.ins().iconst(types::I64, bits)
    }

    fn helper(&mut self, name: &'static str) -> cranelift_codegen::ir::FuncRef {
        if let Some(&r) = self.helper_refs.get(name) {
            return r;
        }
        let id = self.env.helpers[name];
        let r = self.env.module.declare_func_in_func(id, self.b.func);
        self.helper_refs.insert(name, r);
        r
    }

    /// Calls helper `name` with the runtime pointer, then `args`.
    fn call_rt(&mut self, name: &'static str, args: &[ClValue]) -> ClValue {
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(self.rt());
        all.extend_from_slice(args);
        self.call_helper(name, &all)
    }

    fn call_helper(&mut self, name: &'static str, args: &[ClValue]) -> ClValue {
        let f = self.helper(name);
        let call = self.b.ins().call(f, args);
        self.b.inst_results(call).first().copied().unwrap_or_else(|| self.b.ins().iconst(types::I64, NIL))
    }

    /// Branches to the error block when `v` is `Value::ERROR`.
    fn check_error(&mut self, v: ClValue, site: ir::SiteId) {
        let is_error = self.b.ins().icmp_imm_s(IntCC::Equal, v, ERROR);
        let cont = self.b.create_block();
        let failed = self.b.create_block();
        self.b.ins().brif(is_error, failed, &[], cont, &[]);
        self.b.switch_to_block(failed);
        self.jump_to_error(site);
        self.b.switch_to_block(cont);
    }

    /// Ends the current block with a jump to the error block, for an error
    /// at `line`. The line goes through a stack slot rather than a block
    /// parameter: a parameter with an argument from every fallible
    /// operation of a large function is work for the register allocator
    /// that grows with the square of their number.
    ///
    /// Each error block serves at most [`ERROR_BLOCK_USES`] operations: a
    /// block that every fallible operation of a large function jumps to
    /// would make computing dominators quadratic too.
    fn jump_to_error(&mut self, site: ir::SiteId) {
        let frame = self.frame.map_or(0, |f| f.index() + 1);
        if self.errors.len() <= frame {
            self.errors.resize_with(frame + 1, ErrorBlocks::default);
        }
        let errors = &mut self.errors[frame];
        if errors.blocks.is_empty() || errors.uses == ERROR_BLOCK_USES {
            errors.blocks.push(self.b.create_block());
            errors.uses = 0;
        }
        errors.uses += 1;
        let target = *errors.blocks.last().expect("an error block");
        let place = self.trace_place(site);
        let place = self.b.ins().iconst(types::I64, place as i64);
        self.b.ins().stack_store(types::I64, place, self.line_slot, 0);
        self.b.ins().jump(target, &[]);
    }

    /// The word `brine_trace` takes for an error at `site`: its line and index.
    fn trace_place(&self, site: ir::SiteId) -> u64 {
        brine_runtime::abi::trace_place(self.env.ir.site_line(site), Some(site.index() as u32))
    }

    /// Stores `values` in the argument array and returns its address.
    fn argv(&mut self, values: &[ClValue]) -> ClValue {
        match self.argv {
            Some((slot, cap)) if !values.is_empty() => {
                debug_assert!(values.len() <= cap);
                for (i, &v) in values.iter().enumerate() {
                    // An f64 (an unboxed number) is stored as its bits, its boxed value.
                    let v = if self.b.func.dfg.value_type(v) == types::F64 {
                        self.b.ins().bitcast(types::I64, MemFlagsData::new(), v)
                    } else {
                        v
                    };
                    self.b.ins().stack_store(types::I64, v, slot, (i * 8) as i32);
                }
                self.b.ins().stack_addr(types::I64, slot, 0)
            }
            _ => self.b.ins().iconst(types::I64, 0),
        }
    }

    fn is_number(&mut self, v: ClValue) -> ClValue {
        let masked = self.b.ins().band_imm_s(v, QNAN as i64);
        self.b.ins().icmp_imm_s(IntCC::NotEqual, masked, QNAN as i64)
    }

    fn untag(&mut self, v: ClValue) -> ClValue {
        self.b.ins().band_imm_s(v, PTR_MASK)
    }

    fn bool_value(&mut self, c: ClValue) -> ClValue {
        let t = self.iconst(TRUE);
        let f = self.iconst(FALSE);
        self.b.ins().select(c, t, f)
    }

    /// Counts a call or a loop iteration in `fobj`'s counter, and branches
    /// to `hot` when it reaches the runtime's tier threshold, else to `cont`.
    fn count_toward_tier(&mut self, fobj: ClValue, hot: ClBlock, cont: ClBlock) {
        let trusted = MemFlagsData::trusted();
        let count = self.b.ins().load(types::I32, trusted, fobj, offsets::FUNCTION_COUNTER);
        let count = self.b.ins().iadd_imm_s(count, 1);
        self.b.ins().store(trusted, count, fobj, offsets::FUNCTION_COUNTER);
        let rt = self.rt();
        let threshold = self.b.ins().load(types::I32, trusted, rt, offsets::RT_TIER_THRESHOLD);
        let reached = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, count, threshold);
        self.b.ins().brif(reached, hot, &[], cont, &[]);
    }

    /// A back edge to `header` with arguments `args` ([`Env::tier_counters`]):
    /// counted, and when the loop is hot, the frame's values at the header
    /// (`Liveness::loop_entry_values`) go to `brine_baseline_loop_hot`,
    /// which may finish the activation.
    fn count_back_edge(&mut self, header: ir::Block, args: &[ClValue]) {
        let hot = self.b.create_block();
        let cont = self.b.create_block();
        let fobj = self.env.links.function(&mut self.b, self.id);
        self.count_toward_tier(fobj, hot, cont);
        self.b.switch_to_block(hot);
        let liveness = self.liveness.as_ref().expect("liveness of a function that counts");
        let entry = liveness.loop_entry_values(self.func, header);
        // The header's parameters are the back edge's arguments.
        let mut values = args.to_vec();
        values.extend(self.vals(&entry[args.len()..]));
        let argv = self.argv(&values);
        let block = self.iconst(header.0 as i64);
        let r = self.call_rt("brine_baseline_loop_hot", &[fobj, block, argv]);
        let declined = self.b.ins().icmp_imm_s(IntCC::Equal, r, UNDEF);
        let done = self.b.create_block();
        self.b.ins().brif(declined, cont, &[], done, &[]);
        self.b.switch_to_block(done);
        self.b.ins().return_(&[r]);
        self.b.switch_to_block(cont);
    }

    fn prologue(&mut self, ir_params: &[ClValue]) {
        if self.env.tier_counters {
            let hot = self.b.create_block();
            let cont = self.b.create_block();
            let fobj = self.env.links.function(&mut self.b, self.id);
            self.count_toward_tier(fobj, hot, cont);
            self.b.switch_to_block(hot);
            self.call_rt("brine_baseline_hot", &[fobj]);
            self.b.ins().jump(cont, &[]);
            self.b.switch_to_block(cont);
        }
        if self.env.count_calls {
            let fobj = self.env.links.function(&mut self.b, self.id);
            let trusted = MemFlagsData::trusted();
            let calls = self.b.ins().load(types::I64, trusted, fobj, offsets::FUNCTION_CALLS);
            let calls = self.b.ins().iadd_imm_s(calls, 1);
            self.b.ins().store(trusted, calls, fobj, offsets::FUNCTION_CALLS);
        }
        // The stack check: "Stack overflow." is reported at the call site.
        let sp = self.b.ins().get_stack_pointer(types::I64);
        let rt = self.rt();
        let limit = self.b.ins().load(types::I64, MemFlagsData::trusted(), rt, offsets::RT_STACK_LIMIT);
        let ok = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, sp, limit);
        let overflow = self.b.create_block();
        let body = self.cl_block(self.func.entry());
        self.b.ins().brif(ok, body, &block_args(ir_params), overflow, &[]);
        self.b.switch_to_block(overflow);
        let e = self.call_rt("brine_stack_overflow", &[]);
        self.b.ins().return_(&[e]);
    }

    /// The entry of an on-stack replacement: the stack check, then every
    /// value the region needs from the interpreter frame at `frame`, then a
    /// jump to the loop header.
    fn osr_prologue(&mut self, region: &OsrRegion, callee: ClValue, this: ClValue, frame: ClValue) {
        let sp = self.b.ins().get_stack_pointer(types::I64);
        let rt = self.rt();
        let limit = self.b.ins().load(types::I64, MemFlagsData::trusted(), rt, offsets::RT_STACK_LIMIT);
        let ok = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, sp, limit);
        let overflow = self.b.create_block();
        let body = self.b.create_block();
        self.b.ins().brif(ok, body, &[], overflow, &[]);
        self.b.switch_to_block(overflow);
        let e = self.call_rt("brine_stack_overflow", &[]);
        self.b.ins().return_(&[e]);
        self.b.switch_to_block(body);
        let entry_params = &self.func.block(self.func.entry()).params;
        self.values[entry_params[0].index()] = Some(callee);
        self.values[entry_params[1].index()] = Some(this);
        // A frame whose values are not what the region assumes is declined
        // (UNDEF), before anything changes it.
        let decline = self.b.create_block();
        for &v in &region.live_in {
            self.osr_value(region, frame, v, decline);
        }
        for &v in &region.variables {
            let ty = cl_type(self.func.value_type(v));
            let var = self.b.declare_var(ty);
            let x = self.osr_value(region, frame, v, decline);
            self.b.def_var(var, x);
            self.vars[v.index()] = Some(var);
        }
        let mut args = Vec::new();
        for &p in &self.func.block(region.header).params {
            args.push(self.osr_value(region, frame, p, decline));
        }
        // Everything is loaded: the frame's values are dead.
        let n = self.iconst(self.env.ir.function(self.id).values.len() as i64);
        self.call_helper("brine_clear_values", &[frame, n]);
        let header = self.cl_block(region.header);
        self.b.ins().jump(header, &block_args(&args));
        self.b.switch_to_block(decline);
        let undef = self.iconst(UNDEF);
        self.b.ins().return_(&[undef]);
    }

    /// Value `v` at the entry, as its type: loaded from the interpreter
    /// frame at `frame` or computed again (see [`OsrRegion::new`]). A
    /// value that is not what the region assumes (a number, a shape)
    /// branches to `decline`.
    fn osr_value(&mut self, region: &OsrRegion, frame: ClValue, v: ir::Value, decline: ClBlock) -> ClValue {
        if let Some(x) = self.values[v.index()] {
            return x;
        }
        let f64 = self.func.value_type(v) == ir::Type::F64;
        let x = if region.recompute[v.index()] {
            let x = self.recompute(region, frame, v, decline);
            if !f64 {
                self.check_assumed(region, v, x, decline);
            }
            x
        } else {
            // An f64 is stored as the number's bits, which may be any val's.
            let word = self.b.ins().load(types::I64, MemFlagsData::trusted(), frame, (v.index() * 8) as i32);
            self.check_assumed(region, v, word, decline);
            if f64 { self.b.ins().bitcast(types::F64, MemFlagsData::new(), word) } else { word }
        };
        self.values[v.index()] = Some(x);
        x
    }

    /// Computes value `v` again at the entry, from its operands.
    fn recompute(&mut self, region: &OsrRegion, frame: ClValue, v: ir::Value, decline: ClBlock) -> ClValue {
        let ir::ValueDef::Result(inst) = self.func.values[v.index()].def else {
            unreachable!("only instruction results are computed again")
        };
        let kind = &self.func.inst(inst).kind;
        let mut operands = Vec::new();
        kind.for_each_arg(|a| operands.push(a));
        for a in operands {
            self.osr_value(region, frame, a, decline);
        }
        match *kind {
            // A guard or an assumption is checked again.
            InstKind::GuardShape { obj, shape, .. } | InstKind::AssumeShape { obj, shape } => {
                let word = self.val(obj);
                self.check_shape(word, shape, decline)
            }
            InstKind::GuardNum { value, .. } => {
                let word = self.val(value);
                self.check_number(word, decline);
                self.b.ins().bitcast(types::F64, MemFlagsData::new(), word)
            }
            ref kind => self.inst(kind).expect("a value computed again is an instruction's result"),
        }
    }

    /// Checks what the region assumes of the val `word` (value `v`) with no
    /// check of its own: the shape it assumes, or that it is a number.
    fn check_assumed(&mut self, region: &OsrRegion, v: ir::Value, word: ClValue, decline: ClBlock) {
        if let Some(shape) = region.shapes[v.index()] {
            self.check_shape(word, shape, decline);
        } else if region.numbers[v.index()] {
            self.check_number(word, decline);
        }
    }

    /// The address of the instance `word`, branching to `decline` unless it
    /// is an instance of shape `shape`.
    fn check_shape(&mut self, word: ClValue, shape: u64, decline: ClBlock) -> ClValue {
        let (ptr, s) = self.instance_shape(word, decline);
        let same = self.is_object(s, shape);
        let cont = self.b.create_block();
        self.b.ins().brif(same, cont, &[], decline, &[]);
        self.b.switch_to_block(cont);
        ptr
    }

    /// Branches to `decline` unless the val `word` is a number.
    fn check_number(&mut self, word: ClValue, decline: ClBlock) {
        let ok = self.is_number(word);
        let cont = self.b.create_block();
        self.b.ins().brif(ok, cont, &[], decline, &[]);
        self.b.switch_to_block(cont);
    }

    /// The error blocks: each adds the trace line of its frame, and of
    /// every frame an inlined call is in, and returns the error.
    fn error_tail(&mut self) {
        for (frame, errors) in std::mem::take(&mut self.errors).into_iter().enumerate() {
            for block in errors.blocks {
                self.b.switch_to_block(block);
                let line = self.b.ins().stack_load(types::I64, types::I64, self.line_slot, 0);
                let mut inlined = frame.checked_sub(1).map(ir::InlineId::new);
                let mut line = line;
                loop {
                    let (func, call) = match inlined {
                        Some(i) => (self.func.inlined[i.index()].func, Some(&self.func.inlined[i.index()])),
                        None => (self.id, None),
                    };
                    let fobj = self.env.links.function(&mut self.b, func);
                    self.call_rt("brine_trace", &[line, fobj]);
                    let Some(call) = call else { break };
                    line = self.iconst(self.trace_place(call.site) as i64);
                    inlined = call.parent;
                }
                let e = self.iconst(ERROR);
                self.b.ins().return_(&[e]);
            }
        }
    }

    fn block(&mut self, block: ir::Block) {
        let cb = self.cl_block(block);
        self.b.switch_to_block(cb);
        self.block = block;
        self.frame = self.func.block(block).frame;
        for &p in &self.func.block(block).params {
            if let Some(var) = self.vars[p.index()] {
                let v = self.val(p);
                self.b.def_var(var, v);
            }
        }
        for &inst in &self.func.block(block).insts {
            let data = self.func.inst(inst);
            let mut refresh = |a: ir::Value| {
                if let Some(var) = self.vars[a.index()] {
                    self.values[a.index()] = Some(self.b.use_var(var));
                }
            };
            data.kind.for_each_arg(&mut refresh);
            if let Some(state) = data.kind.guard_state() {
                self.func.state_values(state).into_iter().for_each(&mut refresh);
            }
            if let Some(v) = self.inst(&data.kind)
                && let Some(r) = data.result
            {
                self.values[r.index()] = Some(v);
                if let Some(var) = self.vars[r.index()] {
                    self.b.def_var(var, v);
                }
            }
            // The script has declared a class whose layout optimized code
            // predicts: the runtime fills its link slots.
            if let Some((class, desc)) = self.env.links.class_declared(&mut self.b, self.id, inst) {
                let rt = self.rt();
                let class = self.val(class);
                self.call_helper("brine_link_class", &[rt, class, desc]);
            }
        }
    }

    /// Translates one instruction; returns its result.
    fn inst(&mut self, kind: &InstKind) -> Option<ClValue> {
        let rt = self.rt();
        let v = match kind {
            InstKind::Nil => self.iconst(NIL),
            InstKind::Bool(x) => self.iconst(if *x { TRUE } else { FALSE }),
            InstKind::Number(n) => self.iconst(n.to_bits() as i64),
            InstKind::Str(s) => self.env.links.string(&mut self.b, *s),
            InstKind::Unary { op: UnaryOp::Not, arg, .. } => {
                let t = self.truthy(self.val(*arg));
                let f = self.iconst(FALSE);
                let tr = self.iconst(TRUE);
                self.b.ins().select(t, f, tr)
            }
            InstKind::Unary { op: UnaryOp::Neg, arg, site } => {
                let a = self.val(*arg);
                let is_num = self.is_number(a);
                let fast = self.b.create_block();
                let slow = self.b.create_block();
                let merge = self.b.create_block();
                let r = self.b.append_block_param(merge, types::I64);
                self.b.ins().brif(is_num, fast, &[], slow, &[]);
                self.b.switch_to_block(fast);
                let fa = self.b.ins().bitcast(types::F64, MemFlagsData::new(), a);
                let neg = self.b.ins().fneg(fa);
                let bits = self.b.ins().bitcast(types::I64, MemFlagsData::new(), neg);
                self.b.ins().jump(merge, &[BlockArg::Value(bits)]);
                self.b.switch_to_block(slow);
                let s = self.call_helper("brine_negate", &[rt, a]);
                self.b.ins().jump(merge, &[BlockArg::Value(s)]);
                self.b.switch_to_block(merge);
                self.check_error(r, *site);
                r
            }
            InstKind::Binary { op, lhs, rhs, site } => {
                self.binary(*op, self.val(*lhs), self.val(*rhs), *site)
            }
            InstKind::Truthy(v) => self.truthy(self.val(*v)),
            InstKind::GetGlobal { global, site } => {
                let addr = self.env.links.global_addr(&mut self.b, rt, *global);
                let v = self.b.ins().load(types::I64, MemFlagsData::trusted(), addr, 0);
                self.check_defined(v, *global, *site);
                v
            }
            InstKind::SetGlobal { global, value, site } => {
                let addr = self.env.links.global_addr(&mut self.b, rt, *global);
                let old = self.b.ins().load(types::I64, MemFlagsData::trusted(), addr, 0);
                self.check_defined(old, *global, *site);
                let v = self.val(*value);
                self.b.ins().store(MemFlagsData::trusted(), v, addr, 0);
                return None;
            }
            InstKind::DefineGlobal { global, value } => {
                let addr = self.env.links.global_addr(&mut self.b, rt, *global);
                let v = self.val(*value);
                self.b.ins().store(MemFlagsData::trusted(), v, addr, 0);
                return None;
            }
            InstKind::GetProp { obj, name, site } => self.get_property(self.val(*obj), *name, *site),
            InstKind::SetProp { obj, name, value, site } => {
                self.set_property(self.val(*obj), *name, self.val(*value), *site);
                return None;
            }
            InstKind::Invoke { obj, name, args, site }
                if args.len() == 1 && self.env.ir.strings[name.index()] == b"push" =>
            {
                let (obj, value) = (self.val(*obj), self.val(args[0]));
                self.push_call(obj, value, *name, *site)
            }
            InstKind::Invoke { obj, name, args, site } => {
                let obj = self.val(*obj);
                let args = self.vals(args);
                self.invoke(obj, None, *name, &args, *site)
            }
            InstKind::SuperInvoke { this, superclass, name, args, site } => {
                let this = self.val(*this);
                let superclass = self.val(*superclass);
                let args = self.vals(args);
                self.invoke(this, Some(superclass), *name, &args, *site)
            }
            InstKind::GetSuper { this, superclass, name, site } => {
                let name = self.env.links.string(&mut self.b, *name);
                let r =
                    self.call_helper("brine_get_super", &[rt, self.val(*this), self.val(*superclass), name]);
                self.check_error(r, *site);
                r
            }
            InstKind::Call { callee, args, site } if args.len() == 1 && self.is_global(*callee, b"len") => {
                self.len_call(self.val(*callee), self.val(args[0]), *site)
            }
            InstKind::Call { callee, args, site } => self.call(self.val(*callee), &self.vals(args), *site),
            InstKind::NewList { items, site } => {
                let items = self.vals(items);
                let argv = self.argv(&items);
                let n = self.iconst(items.len() as i64);
                let r = self.call_helper("brine_new_list", &[rt, argv, n]);
                self.check_error(r, *site);
                r
            }
            InstKind::Intrinsic { op, args, site } => {
                let args = self.vals(args);
                let argv = self.argv(&args);
                let code =
                    ir::Intrinsic::ALL.iter().position(|o| o == op).expect("every intrinsic is in ALL");
                let code = self.b.ins().iconst(types::I32, code as i64);
                let n = self.iconst(args.len() as i64);
                let r = self.call_helper("brine_intrinsic", &[rt, code, argv, n]);
                self.check_error(r, *site);
                r
            }
            InstKind::GetIndex { obj, index, site } => {
                let (obj, index) = (self.val(*obj), self.val(*index));
                self.load_or_call(*site, "brine_get_index", &[obj, index], |t, slow| {
                    t.list_slot(obj, index, slow)
                })
            }
            InstKind::SetIndex { obj, index, value, site } => {
                let (obj, index, value) = (self.val(*obj), self.val(*index), self.val(*value));
                let slot = |t: &mut Self, slow| t.list_slot(obj, index, slow);
                self.store_or_call(*site, "brine_set_index", &[obj, index, value], value, slot);
                return None;
            }
            InstKind::ArrayLen { array, site } => {
                let array = self.val(*array);
                let slow = self.b.create_block();
                let merge = self.b.create_block();
                let r = self.b.append_block_param(merge, types::I64);
                let (ptr, kind) = self.object_kind(array, slow);
                let is_array = self.b.ins().icmp_imm_u(IntCC::Equal, kind, ObjKind::Array as i64);
                let fast = self.b.create_block();
                self.b.ins().brif(is_array, fast, &[], slow, &[]);
                self.b.switch_to_block(fast);
                let len = self.b.ins().uload32(MemFlagsData::trusted(), ptr, offsets::ARRAY_LEN);
                let len = self.b.ins().fcvt_from_uint(types::F64, len);
                let len = self.b.ins().bitcast(types::I64, MemFlagsData::new(), len);
                self.b.ins().jump(merge, &[BlockArg::Value(len)]);
                self.b.switch_to_block(slow);
                let s = self.call_helper("brine_array_len", &[rt, array]);
                self.b.ins().jump(merge, &[BlockArg::Value(s)]);
                self.b.switch_to_block(merge);
                self.check_error(r, *site);
                r
            }
            InstKind::ArrayGet { array, index, site } => {
                let (array, index) = (self.val(*array), self.val(*index));
                self.load_or_call(*site, "brine_array_get", &[array, index], |t, slow| {
                    let i = t.integer_index(index, slow);
                    t.array_slot(array, i, slow)
                })
            }
            InstKind::ArraySet { array, index, value, site } => {
                let (array, index, value) = (self.val(*array), self.val(*index), self.val(*value));
                let slot = |t: &mut Self, slow| {
                    let i = t.integer_index(index, slow);
                    t.array_slot(array, i, slow)
                };
                self.store_or_call(*site, "brine_array_set", &[array, index, value], value, slot);
                return None;
            }
            InstKind::Closure { func, captures } => {
                let captures = self.vals(captures);
                let argv = self.argv(&captures);
                let n = self.iconst(captures.len() as i64);
                let f = self.env.links.function(&mut self.b, *func);
                self.call_helper("brine_closure", &[rt, f, argv, n])
            }
            InstKind::LoadCapture { index } => {
                let callee = self.val(self.func.block(self.func.entry()).params[0]);
                let ptr = self.untag(callee);
                let offset = offsets::CLOSURE_CAPTURES + 8 * *index as i32;
                self.b.ins().load(types::I64, MemFlagsData::trusted(), ptr, offset)
            }
            InstKind::Class { name, fields } => {
                let name = self.env.links.string(&mut self.b, *name);
                let fields = self.iconst(*fields as i64);
                self.call_helper("brine_class", &[rt, name, fields])
            }
            InstKind::Inherit { class, superclass, site } => {
                let r = self.call_helper("brine_inherit", &[rt, self.val(*class), self.val(*superclass)]);
                self.check_error(r, *site);
                return None;
            }
            InstKind::Method { class, name, method } => {
                let name = self.env.links.string(&mut self.b, *name);
                self.call_helper("brine_method", &[rt, self.val(*class), name, self.val(*method)]);
                return None;
            }
            InstKind::CellNew { value } => self.call_helper("brine_cell_new", &[rt, self.val(*value)]),
            InstKind::CellGet { cell } => {
                let ptr = self.untag(self.val(*cell));
                self.b.ins().load(types::I64, MemFlagsData::trusted(), ptr, offsets::CELL_VALUE)
            }
            InstKind::CellSet { cell, value } => {
                let ptr = self.untag(self.val(*cell));
                let v = self.val(*value);
                self.b.ins().store(MemFlagsData::trusted(), v, ptr, offsets::CELL_VALUE);
                return None;
            }
            InstKind::Print { value } => {
                self.call_helper("brine_print", &[rt, self.val(*value)]);
                return None;
            }
            InstKind::Jump { dest, args } => {
                let target = self.cl_block(*dest);
                let args = self.vals(args);
                if self.liveness.is_some() && dest.index() <= self.block.index() {
                    self.count_back_edge(*dest, &args);
                }
                self.b.ins().jump(target, &block_args(&args));
                return None;
            }
            InstKind::Branch { cond, then_dest, then_args, else_dest, else_args } => {
                let then_b = self.cl_block(*then_dest);
                let else_b = self.cl_block(*else_dest);
                let ta = block_args(&self.vals(then_args));
                let ea = block_args(&self.vals(else_args));
                let c = self.val(*cond);
                self.b.ins().brif(c, then_b, &ta, else_b, &ea);
                return None;
            }
            InstKind::Return { value } => {
                let v = self.val(*value);
                self.b.ins().return_(&[v]);
                return None;
            }
            InstKind::GuardNum { value, state } => {
                let v = self.val(*value);
                self.guard_number(v, *state)
            }
            InstKind::Unbox(v) => {
                let v = self.val(*v);
                self.b.ins().bitcast(types::F64, MemFlagsData::new(), v)
            }
            // A number is stored as itself (f64 arithmetic makes canonical NaNs).
            InstKind::BoxNum(v) => {
                let v = self.val(*v);
                self.b.ins().bitcast(types::I64, MemFlagsData::new(), v)
            }
            InstKind::Float { op, lhs, rhs } => {
                let (a, b) = (self.val(*lhs), self.val(*rhs));
                match op {
                    BinaryOp::Add => self.b.ins().fadd(a, b),
                    BinaryOp::Sub => self.b.ins().fsub(a, b),
                    BinaryOp::Mul => self.b.ins().fmul(a, b),
                    BinaryOp::Div => self.b.ins().fdiv(a, b),
                    BinaryOp::Mod => self.fmod(a, b),
                    _ => {
                        let cc = match op {
                            BinaryOp::Lt => FloatCC::LessThan,
                            BinaryOp::Le => FloatCC::LessThanOrEqual,
                            BinaryOp::Gt => FloatCC::GreaterThan,
                            BinaryOp::Ge => FloatCC::GreaterThanOrEqual,
                            BinaryOp::Eq => FloatCC::Equal,
                            _ => FloatCC::NotEqual,
                        };
                        self.b.ins().fcmp(cc, a, b)
                    }
                }
            }
            InstKind::FNeg(v) => {
                let v = self.val(*v);
                self.b.ins().fneg(v)
            }
            InstKind::BoolVal(c) => {
                let c = self.val(*c);
                self.bool_value(c)
            }
            InstKind::Object(bits) => self.object_bits(*bits),
            InstKind::GuardIndex { index, len, state } => {
                let (index, len) = (self.val(*index), self.val(*len));
                let exit = self.b.create_block();
                self.stress_check(exit);
                let i = self.integer_index(index, exit);
                self.below_len(i, len, exit);
                let cont = self.b.current_block().expect("below_len switched to its block");
                self.b.switch_to_block(exit);
                self.deopt_exit(*state);
                self.b.switch_to_block(cont);
                return None;
            }
            InstKind::GuardIs { value, bits, state } => {
                let v = self.val(*value);
                let exit = self.b.create_block();
                let cont = self.b.create_block();
                self.stress_check(exit);
                let same = self.is_object(v, *bits);
                self.b.ins().brif(same, cont, &[], exit, &[]);
                self.b.switch_to_block(exit);
                self.deopt_exit(*state);
                self.b.switch_to_block(cont);
                return None;
            }
            InstKind::GuardFunction { value, function, state } => {
                let v = self.val(*value);
                let exit = self.b.create_block();
                let cont = self.b.create_block();
                let closure = self.b.create_block();
                self.stress_check(exit);
                let (ptr, kind) = self.object_kind(v, exit);
                let is_closure = self.b.ins().icmp_imm_u(IntCC::Equal, kind, ObjKind::Closure as i64);
                self.b.ins().brif(is_closure, closure, &[], exit, &[]);
                self.b.switch_to_block(closure);
                let f =
                    self.b.ins().load(types::I64, MemFlagsData::trusted(), ptr, offsets::CLOSURE_FUNCTION);
                let function = self.object_bits(*function);
                let same = self.b.ins().icmp(IntCC::Equal, f, function);
                self.b.ins().brif(same, cont, &[], exit, &[]);
                self.b.switch_to_block(exit);
                self.deopt_exit(*state);
                self.b.switch_to_block(cont);
                return None;
            }
            InstKind::AssumeShape { obj, .. } => {
                let v = self.val(*obj);
                self.untag(v)
            }
            InstKind::IsShape { obj, shape } => {
                let v = self.val(*obj);
                let no = self.b.create_block();
                let merge = self.b.create_block();
                let r = self.b.append_block_param(merge, types::I8);
                let (_, s) = self.instance_shape(v, no);
                let same = self.is_object(s, *shape);
                self.b.ins().jump(merge, &[BlockArg::Value(same)]);
                self.b.switch_to_block(no);
                let f = self.b.ins().iconst(types::I8, 0);
                self.b.ins().jump(merge, &[BlockArg::Value(f)]);
                self.b.switch_to_block(merge);
                r
            }
            InstKind::NewInstance { class } => {
                let class_value = self.val(*class);
                let ptr = self.untag(class_value);
                self.new_instance(ptr, class_value)
            }
            InstKind::Copy(v) => self.val(*v),
            InstKind::ClosureCapture { closure, index } => {
                let ptr = self.untag(self.val(*closure));
                let offset = offsets::CLOSURE_CAPTURES + 8 * *index as i32;
                self.b.ins().load(types::I64, MemFlagsData::trusted(), ptr, offset)
            }
            InstKind::CallDirect { function, callee, this, args, site } => {
                let (callee, this) = (self.val(*callee), self.val(*this));
                let args = self.vals(args);
                let function = self.object_bits(*function);
                let r = self.call_code(function, callee, this, &args);
                self.check_error(r, *site);
                r
            }
            InstKind::GuardShape { obj, shape, state } => {
                let obj = self.val(*obj);
                self.guard_shape(obj, *shape, *state)
            }
            InstKind::LoadField { obj, offset } => {
                let p = self.val(*obj);
                self.b.ins().load(types::I64, MemFlagsData::trusted(), p, *offset as i32)
            }
            InstKind::StoreField { obj, offset, value } => {
                let (p, v) = (self.val(*obj), self.val(*value));
                self.b.ins().store(MemFlagsData::trusted(), v, p, *offset as i32);
                return None;
            }
            InstKind::StoreShape { obj, shape } => {
                let p = self.val(*obj);
                let s = self.object_bits(*shape);
                self.b.ins().store(MemFlagsData::trusted(), s, p, ic::INSTANCE_SHAPE);
                return None;
            }
        };
        Some(v)
    }

    /// `v` as an f64 if it is a number; else (or when deoptimization stress
    /// says so) the exit of frame state `state`.
    fn guard_number(&mut self, v: ClValue, state: ir::StateId) -> ClValue {
        let exit = self.b.create_block();
        let cont = self.b.create_block();
        self.stress_check(exit);
        let ok = self.is_number(v);
        self.b.ins().brif(ok, cont, &[], exit, &[]);
        self.b.switch_to_block(exit);
        self.deopt_exit(state);
        self.b.switch_to_block(cont);
        self.b.ins().bitcast(types::F64, MemFlagsData::new(), v)
    }

    /// `v` as a pointer to an instance if it is an instance of shape
    /// `shape`; else (or when deoptimization stress says so) the exit of
    /// frame state `state`.
    fn guard_shape(&mut self, v: ClValue, shape: u64, state: ir::StateId) -> ClValue {
        let exit = self.b.create_block();
        let cont = self.b.create_block();
        self.stress_check(exit);
        let (ptr, s) = self.instance_shape(v, exit);
        let same = self.is_object(s, shape);
        self.b.ins().brif(same, cont, &[], exit, &[]);
        self.b.switch_to_block(exit);
        self.deopt_exit(state);
        self.b.switch_to_block(cont);
        ptr
    }

    /// Under deoptimization stress, counts the guard down, and branches to
    /// `exit` when it is its turn to fail.
    fn stress_check(&mut self, exit: ClBlock) {
        if self.env.deopt_stress == 0 {
            return;
        }
        let check = self.b.create_block();
        let trusted = MemFlagsData::trusted();
        let rt = self.rt();
        let count = self.b.ins().load(types::I64, trusted, rt, offsets::RT_DEOPT_COUNTDOWN);
        let next = self.b.ins().iadd_imm_s(count, -1);
        let fire = self.b.ins().icmp_imm_s(IntCC::SignedLessThanOrEqual, next, 0);
        let period = self.iconst(self.env.deopt_stress as i64);
        let stored = self.b.ins().select(fire, period, next);
        self.b.ins().store(trusted, stored, rt, offsets::RT_DEOPT_COUNTDOWN);
        self.b.ins().brif(fire, exit, &[], check, &[]);
        self.b.switch_to_block(check);
    }

    /// A guard's way out: the values of frame state `state`, as an array,
    /// to `brine_deopt`, which finishes the activation in the interpreter;
    /// its result is this function's.
    fn deopt_exit(&mut self, state: ir::StateId) {
        let live = self.vals(&self.func.state_values(state));
        let argv = self.argv(&live);
        let fobj = self.env.links.function(&mut self.b, self.id);
        let number = self.iconst((self.env.first_state + state.0) as i64);
        let r = self.call_rt("brine_deopt", &[fobj, number, argv]);
        self.b.ins().return_(&[r]);
    }

    /// Whether IR value `v` is the value of the global `name`.
    fn is_global(&self, v: ir::Value, name: &[u8]) -> bool {
        let ir::ValueDef::Result(inst) = self.func.values[v.index()].def else { return false };
        matches!(self.func.inst(inst).kind, InstKind::GetGlobal { global, .. }
            if self.env.ir.globals.get(global.index()).is_some_and(|g| g.as_slice() == name))
    }

    /// `len(arg)` where the callee is the global `len`: while that is the
    /// native (a program may redefine it), a string's length or a list's
    /// `$len` inline; anything else is the call.
    fn len_call(&mut self, callee: ClValue, arg: ClValue, site: ir::SiteId) -> ClValue {
        let slow = self.b.create_block();
        let merge = self.b.create_block();
        let r = self.b.append_block_param(merge, types::I64);
        let rt = self.rt();
        let native = self.b.ins().load(types::I64, MemFlagsData::trusted(), rt, offsets::RT_LEN_NATIVE);
        let same = self.b.ins().icmp(IntCC::Equal, callee, native);
        let is_len = self.b.create_block();
        self.b.ins().brif(same, is_len, &[], slow, &[]);
        self.b.switch_to_block(is_len);
        let (ptr, kind) = self.object_kind(arg, slow);
        let is_string = self.b.ins().icmp_imm_u(IntCC::Equal, kind, ObjKind::String as i64);
        let string = self.b.create_block();
        let not_string = self.b.create_block();
        self.b.ins().brif(is_string, string, &[], not_string, &[]);
        self.b.switch_to_block(string);
        let n = self.b.ins().uload32(MemFlagsData::trusted(), ptr, offsets::STRING_LEN);
        let n = self.b.ins().fcvt_from_uint(types::F64, n);
        let n = self.b.ins().bitcast(types::I64, MemFlagsData::new(), n);
        self.b.ins().jump(merge, &[BlockArg::Value(n)]);
        self.b.switch_to_block(not_string);
        let is_instance = self.b.ins().icmp_imm_u(IntCC::Equal, kind, ObjKind::Instance as i64);
        let instance = self.b.create_block();
        self.b.ins().brif(is_instance, instance, &[], slow, &[]);
        self.b.switch_to_block(instance);
        let shape = self.b.ins().load(types::I64, MemFlagsData::trusted(), ptr, ic::INSTANCE_SHAPE);
        // `$len` is a number: the result as it is.
        let (_, len) = self.list_fields_of(ptr, shape, slow);
        self.b.ins().jump(merge, &[BlockArg::Value(len)]);
        self.b.switch_to_block(slow);
        let v = self.call(callee, &[arg], site);
        self.b.ins().jump(merge, &[BlockArg::Value(v)]);
        self.b.switch_to_block(merge);
        r
    }

    /// `list.push(value)`: for a list of the runtime's list shape (whose
    /// class is the library's `List`, so `push` is its method) with room in
    /// its array, the store and the new `$len` inline, as the method does
    /// them; anything else invokes `push`.
    fn push_call(&mut self, list: ClValue, value: ClValue, name: ir::StrId, site: ir::SiteId) -> ClValue {
        let slow = self.b.create_block();
        let merge = self.b.create_block();
        let r = self.b.append_block_param(merge, types::I64);
        let (ptr, items, len) = self.list_fields(list, slow);
        let len = self.b.ins().bitcast(types::F64, MemFlagsData::new(), len);
        let i = self.b.ins().fcvt_to_sint_sat(types::I64, len);
        // Room for one more: the array has a slot `$len` (else `push`
        // grows it).
        let slot = self.array_slot(items, i, slow);
        self.b.ins().store(MemFlagsData::trusted(), value, slot, 0);
        let one = self.b.ins().f64const(1.0);
        let len = self.b.ins().fadd(len, one);
        let len = self.b.ins().bitcast(types::I64, MemFlagsData::new(), len);
        self.b.ins().store(MemFlagsData::trusted(), len, ptr, offsets::INSTANCE_SLOTS + 8);
        let nil = self.iconst(NIL);
        self.b.ins().jump(merge, &[BlockArg::Value(nil)]);
        self.b.switch_to_block(slow);
        let v = self.invoke(list, None, name, &[value], site);
        self.b.ins().jump(merge, &[BlockArg::Value(v)]);
        self.b.switch_to_block(merge);
        r
    }

    /// A load from the address `slot` computes (which branches to its
    /// block argument when the operands need the slow path), or else a call
    /// of `helper` with the runtime and `args`: the inline fast path of an
    /// index operation.
    fn load_or_call(
        &mut self,
        site: ir::SiteId,
        helper: &'static str,
        args: &[ClValue],
        slot: impl FnOnce(&mut Self, ClBlock) -> ClValue,
    ) -> ClValue {
        let slow = self.b.create_block();
        let merge = self.b.create_block();
        let r = self.b.append_block_param(merge, types::I64);
        let addr = slot(self, slow);
        let v = self.b.ins().load(types::I64, MemFlagsData::trusted(), addr, 0);
        self.b.ins().jump(merge, &[BlockArg::Value(v)]);
        self.b.switch_to_block(slow);
        let rt = self.rt();
        let s = self.call_helper(helper, &[&[rt], args].concat());
        self.b.ins().jump(merge, &[BlockArg::Value(s)]);
        self.b.switch_to_block(merge);
        self.check_error(r, site);
        r
    }

    /// A store of `value` to the address `slot` computes, or else a call of
    /// `helper` (see [`Self::load_or_call`]).
    fn store_or_call(
        &mut self,
        site: ir::SiteId,
        helper: &'static str,
        args: &[ClValue],
        value: ClValue,
        slot: impl FnOnce(&mut Self, ClBlock) -> ClValue,
    ) {
        let slow = self.b.create_block();
        let done = self.b.create_block();
        let addr = slot(self, slow);
        self.b.ins().store(MemFlagsData::trusted(), value, addr, 0);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(slow);
        let rt = self.rt();
        let r = self.call_helper(helper, &[&[rt], args].concat());
        self.check_error(r, site);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
    }

    /// `a % b` of two f64s, as C's `fmod`. Cranelift has no remainder of
    /// floats, so two integers (the common case: `i % 2`, a hash modulo a
    /// table size) take an integer remainder inline, and anything else
    /// calls the runtime's `fmod`.
    fn fmod(&mut self, a: ClValue, b: ClValue) -> ClValue {
        let ia = self.b.ins().fcvt_to_sint_sat(types::I64, a);
        let ib = self.b.ins().fcvt_to_sint_sat(types::I64, b);
        let back_a = self.b.ins().fcvt_from_sint(types::F64, ia);
        let back_b = self.b.ins().fcvt_from_sint(types::F64, ib);
        let exact_a = self.b.ins().fcmp(FloatCC::Equal, back_a, a);
        let exact_b = self.b.ins().fcmp(FloatCC::Equal, back_b, b);
        // Not by 0 (NaN) or -1 (whose remainder of i64::MIN traps; it is 0
        // anyway): `ib + 1` above 1, unsigned.
        let ib1 = self.b.ins().iadd_imm_s(ib, 1);
        let divisor_ok = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, ib1, 1);
        // A saturated conversion (2^63 and above) is not the number, though
        // it converts back to it.
        let sat_a = self.b.ins().icmp_imm_s(IntCC::NotEqual, ia, i64::MAX);
        let sat_b = self.b.ins().icmp_imm_s(IntCC::NotEqual, ib, i64::MAX);
        let exact_a = self.b.ins().band(exact_a, sat_a);
        let exact_b = self.b.ins().band(exact_b, sat_b);
        let exact = self.b.ins().band(exact_a, exact_b);
        let ok = self.b.ins().band(exact, divisor_ok);
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let merge = self.b.create_block();
        let r = self.b.append_block_param(merge, types::F64);
        self.b.ins().brif(ok, fast, &[], slow, &[]);
        self.b.switch_to_block(fast);
        let rem = self.b.ins().srem(ia, ib);
        let rem = self.b.ins().fcvt_from_sint(types::F64, rem);
        // The remainder has the sign of `a`, also when it is zero (-4 % 2 is -0).
        let rem = self.b.ins().fcopysign(rem, a);
        self.b.ins().jump(merge, &[BlockArg::Value(rem)]);
        self.b.switch_to_block(slow);
        let f = self.call_helper("brine_fmod", &[a, b]);
        self.b.ins().jump(merge, &[BlockArg::Value(f)]);
        self.b.switch_to_block(merge);
        r
    }

    /// `index` as an i64, branching to `slow` unless it is an integral
    /// number (a fraction, NaN or an infinity goes there).
    fn integer_index(&mut self, index: ClValue, slow: ClBlock) -> ClValue {
        let is_number = self.b.create_block();
        let ok = self.is_number(index);
        self.b.ins().brif(ok, is_number, &[], slow, &[]);
        self.b.switch_to_block(is_number);
        let x = self.b.ins().bitcast(types::F64, MemFlagsData::new(), index);
        let i = self.b.ins().fcvt_to_sint_sat(types::I64, x);
        let back = self.b.ins().fcvt_from_sint(types::F64, i);
        let exact = self.b.ins().fcmp(FloatCC::Equal, back, x);
        let integral = self.b.create_block();
        self.b.ins().brif(exact, integral, &[], slow, &[]);
        self.b.switch_to_block(integral);
        i
    }

    /// The address of slot `i` (an i64) of `array`, branching to `slow`
    /// unless `array` is a raw array with a slot `i`.
    fn array_slot(&mut self, array: ClValue, i: ClValue, slow: ClBlock) -> ClValue {
        let (ptr, kind) = self.object_kind(array, slow);
        let is_array = self.b.create_block();
        let ok = self.b.ins().icmp_imm_u(IntCC::Equal, kind, ObjKind::Array as i64);
        self.b.ins().brif(ok, is_array, &[], slow, &[]);
        self.b.switch_to_block(is_array);
        let len = self.b.ins().uload32(MemFlagsData::trusted(), ptr, offsets::ARRAY_LEN);
        // A negative `i` is a huge unsigned one.
        let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, i, len);
        let in_bounds = self.b.create_block();
        self.b.ins().brif(inside, in_bounds, &[], slow, &[]);
        self.b.switch_to_block(in_bounds);
        let items = self.b.ins().load(types::I64, MemFlagsData::trusted(), ptr, offsets::ARRAY_ITEMS);
        let offset = self.b.ins().ishl_imm_u(i, 3);
        self.b.ins().iadd(items, offset)
    }

    /// The address of element `index` of `list`, branching to `slow`
    /// unless `list` is one of the library's lists of the shape the runtime
    /// knows (`$items` and `$len` in inline slots 0 and 1) and `index` an
    /// integer in `0 .. $len`.
    fn list_slot(&mut self, list: ClValue, index: ClValue, slow: ClBlock) -> ClValue {
        let (_, items, len) = self.list_fields(list, slow);
        let i = self.integer_index(index, slow);
        self.below_len(i, len, slow);
        self.array_slot(items, i, slow)
    }

    /// Branches to `slow` unless `list` is one of the library's lists of the
    /// shape the runtime knows; returns its address, its raw array and its
    /// length (vals: `$items` and `$len`, inline slots 0 and 1).
    fn list_fields(&mut self, list: ClValue, slow: ClBlock) -> (ClValue, ClValue, ClValue) {
        let (ptr, shape) = self.instance_shape(list, slow);
        let (items, len) = self.list_fields_of(ptr, shape, slow);
        (ptr, items, len)
    }

    /// [`Self::list_fields`] of the instance at `ptr`, of shape `shape`.
    fn list_fields_of(&mut self, ptr: ClValue, shape: ClValue, slow: ClBlock) -> (ClValue, ClValue) {
        let rt = self.rt();
        let list_shape = self.b.ins().load(types::I64, MemFlagsData::trusted(), rt, offsets::RT_LIST_SHAPE);
        let same = self.b.ins().icmp(IntCC::Equal, shape, list_shape);
        let is_list = self.b.create_block();
        self.b.ins().brif(same, is_list, &[], slow, &[]);
        self.b.switch_to_block(is_list);
        let items = self.b.ins().load(types::I64, MemFlagsData::trusted(), ptr, offsets::INSTANCE_SLOTS);
        let len = self.b.ins().load(types::I64, MemFlagsData::trusted(), ptr, offsets::INSTANCE_SLOTS + 8);
        (items, len)
    }

    /// Branches to `outside` unless the i64 `i` is in `0 .. len`, `len`
    /// being a list's `$len` (a number val: a NaN-boxed object would
    /// convert to 0, and then no index is inside).
    fn below_len(&mut self, i: ClValue, len: ClValue, outside: ClBlock) {
        let len = self.b.ins().bitcast(types::F64, MemFlagsData::new(), len);
        let len = self.b.ins().fcvt_to_sint_sat(types::I64, len);
        // A negative `i` is a huge unsigned one.
        let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, i, len);
        let cont = self.b.create_block();
        self.b.ins().brif(inside, cont, &[], outside, &[]);
        self.b.switch_to_block(cont);
    }

    /// Branches to `not_instance` unless `v` is an instance; returns its
    /// address and its shape.
    fn instance_shape(&mut self, v: ClValue, not_instance: ClBlock) -> (ClValue, ClValue) {
        let is_instance = self.b.create_block();
        let (ptr, kind) = self.object_kind(v, not_instance);
        let ok = self.b.ins().icmp_imm_u(IntCC::Equal, kind, ObjKind::Instance as i64);
        self.b.ins().brif(ok, is_instance, &[], not_instance, &[]);
        self.b.switch_to_block(is_instance);
        let shape = self.b.ins().load(types::I64, MemFlagsData::trusted(), ptr, ic::INSTANCE_SHAPE);
        (ptr, shape)
    }

    /// Branches to `not_object` unless `v` is an object; returns its address
    /// and its kind byte.
    fn object_kind(&mut self, v: ClValue, not_object: ClBlock) -> (ClValue, ClValue) {
        let is_object = self.b.create_block();
        let tag = self.b.ins().band_imm_s(v, OBJ_TAG as i64);
        let is_obj = self.b.ins().icmp_imm_s(IntCC::Equal, tag, OBJ_TAG as i64);
        self.b.ins().brif(is_obj, is_object, &[], not_object, &[]);
        self.b.switch_to_block(is_object);
        let ptr = self.untag(v);
        let kind = self.b.ins().load(types::I8, MemFlagsData::trusted(), ptr, offsets::HEADER_KIND);
        (ptr, kind)
    }

    /// Compares `key` with each entry of the cache at `cache`; on a hit,
    /// `hit` emits the fast path for that entry (given the entry's offset in
    /// the cache). Ends in `miss` when no entry matches.
    fn probe_cache(
        &mut self,
        cache: ClValue,
        key: ClValue,
        miss: ClBlock,
        mut hit: impl FnMut(&mut Self, i32),
    ) {
        for i in 0..IC_ENTRIES as i32 {
            let entry = ic::CACHE_ENTRIES + i * ic::ENTRY_SIZE;
            let k = self.b.ins().load(types::I64, MemFlagsData::trusted(), cache, entry + ic::ENTRY_KEY);
            let same = self.b.ins().icmp(IntCC::Equal, k, key);
            let hit_block = self.b.create_block();
            let next = self.b.create_block();
            self.b.ins().brif(same, hit_block, &[], next, &[]);
            self.b.switch_to_block(hit_block);
            hit(self, entry);
            self.b.switch_to_block(next);
        }
        self.b.ins().jump(miss, &[]);
    }

    /// `obj.name`, with the site's inline cache of field offsets.
    fn get_property(&mut self, obj: ClValue, name: ir::StrId, site: ir::SiteId) -> ClValue {
        let miss = self.b.create_block();
        let merge = self.b.create_block();
        let r = self.b.append_block_param(merge, types::I64);
        let cache = self.env.links.cache(&mut self.b, site);
        let (ptr, shape) = self.instance_shape(obj, miss);
        self.probe_cache(cache, shape, miss, |t, entry| {
            let offset = t.b.ins().load(types::I64, MemFlagsData::trusted(), cache, entry + ic::ENTRY_DATA);
            let addr = t.b.ins().iadd(ptr, offset);
            let v = t.b.ins().load(types::I64, MemFlagsData::trusted(), addr, 0);
            t.b.ins().jump(merge, &[BlockArg::Value(v)]);
        });
        self.b.switch_to_block(miss);
        let name = self.env.links.string(&mut self.b, name);
        let v = self.call_rt("brine_get_property_ic", &[obj, name, cache]);
        self.b.ins().jump(merge, &[BlockArg::Value(v)]);
        self.b.switch_to_block(merge);
        self.check_error(r, site);
        r
    }

    /// `obj.name = value`, with the site's inline cache of field offsets and
    /// shape transitions.
    fn set_property(&mut self, obj: ClValue, name: ir::StrId, value: ClValue, site: ir::SiteId) {
        let miss = self.b.create_block();
        let done = self.b.create_block();
        let cache = self.env.links.cache(&mut self.b, site);
        let (ptr, shape) = self.instance_shape(obj, miss);
        self.probe_cache(cache, shape, miss, |t, entry| {
            let offset = t.b.ins().load(types::I64, MemFlagsData::trusted(), cache, entry + ic::ENTRY_DATA);
            let after = t.b.ins().load(types::I64, MemFlagsData::trusted(), cache, entry + ic::ENTRY_EXTRA);
            let addr = t.b.ins().iadd(ptr, offset);
            t.b.ins().store(MemFlagsData::trusted(), value, addr, 0);
            t.b.ins().store(MemFlagsData::trusted(), after, ptr, ic::INSTANCE_SHAPE);
            t.b.ins().jump(done, &[]);
        });
        self.b.switch_to_block(miss);
        let name = self.env.links.string(&mut self.b, name);
        let r = self.call_rt("brine_set_property_ic", &[obj, name, value, cache]);
        self.check_error(r, site);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
    }

    /// `obj.name(args)`, or `super.name(args)` when `superclass` is given
    /// (then `obj` is `this`): the cached method is called through its code
    /// slot; a miss, a field holding a function, or a wrong arity goes
    /// through the runtime.
    fn invoke(
        &mut self,
        obj: ClValue,
        superclass: Option<ClValue>,
        name: ir::StrId,
        args: &[ClValue],
        site: ir::SiteId,
    ) -> ClValue {
        let argc = args.len();
        let miss = self.b.create_block();
        let call = self.b.create_block();
        let method = self.b.append_block_param(call, types::I64);
        let merge = self.b.create_block();
        let r = self.b.append_block_param(merge, types::I64);
        let cache = self.env.links.cache(&mut self.b, site);
        let key = match superclass {
            Some(sup) => self.untag(sup),
            None => self.instance_shape(obj, miss).1,
        };
        self.probe_cache(cache, key, miss, |t, entry| {
            let m = t.b.ins().load(types::I64, MemFlagsData::trusted(), cache, entry + ic::ENTRY_DATA);
            t.b.ins().jump(call, &[BlockArg::Value(m)]);
        });
        // A cached method: check its arity and jump through its code slot.
        self.b.switch_to_block(call);
        let mptr = self.untag(method);
        let function =
            self.b.ins().load(types::I64, MemFlagsData::trusted(), mptr, offsets::CLOSURE_FUNCTION);
        let arity = self.b.ins().load(types::I32, MemFlagsData::trusted(), function, offsets::FUNCTION_ARITY);
        let same = self.b.ins().icmp_imm_u(IntCC::Equal, arity, argc as i64);
        let fast = self.b.create_block();
        self.b.ins().brif(same, fast, &[], miss, &[]);
        self.b.switch_to_block(fast);
        let v = self.call_code(function, method, obj, args);
        self.b.ins().jump(merge, &[BlockArg::Value(v)]);
        // Everything else: the runtime.
        self.b.switch_to_block(miss);
        let name = self.env.links.string(&mut self.b, name);
        let argv = self.argv(args);
        let n = self.iconst(argc as i64);
        let v = match superclass {
            Some(sup) => self.call_rt("brine_super_invoke_ic", &[obj, sup, name, argv, n, cache]),
            None => self.call_rt("brine_invoke_ic", &[obj, name, argv, n, cache]),
        };
        self.b.ins().jump(merge, &[BlockArg::Value(v)]);
        self.b.switch_to_block(merge);
        self.check_error(r, site);
        r
    }

    /// A new instance of the class at `class` (whose value is `class_value`):
    /// allocated inline from the heap's free list or bump range of the
    /// class's size class (the protocol of `brine_runtime::heap`), else by
    /// the runtime. Returns the instance value.
    fn new_instance(&mut self, class: ClValue, class_value: ClValue) -> ClValue {
        use brine_runtime::heap::{header_word, offsets as heap};
        let trusted = MemFlagsData::trusted();
        let pop = self.b.create_block();
        let bump = self.b.create_block();
        let take = self.b.create_block();
        let init = self.b.create_block();
        let cell = self.b.append_block_param(init, types::I64);
        let fill = self.b.create_block();
        let fill_i = self.b.append_block_param(fill, types::I64);
        let filled = self.b.create_block();
        let slow = self.b.create_block();
        let done = self.b.create_block();
        let result = self.b.append_block_param(done, types::I64);

        let size_class = self.b.ins().load(types::I32, trusted, class, offsets::CLASS_ALLOC_CLASS);
        let settled = self.b.ins().icmp_imm_u(IntCC::NotEqual, size_class, u32::MAX as i64);
        let records = self.b.create_block();
        self.b.ins().brif(settled, records, &[], slow, &[]);
        // The size class's allocation record.
        self.b.switch_to_block(records);
        let c = self.b.ins().uextend(types::I64, size_class);
        let rec_offset = self.b.ins().imul_imm_u(c, heap::CLASS_STRIDE as i64);
        let rt = self.rt();
        let base = self.b.ins().iadd_imm_s(rt, offsets::RT_HEAP_CLASSES as i64);
        let rec = self.b.ins().iadd(base, rec_offset);
        let free = self.b.ins().load(types::I64, trusted, rec, heap::CLASS_FREE);
        self.b.ins().brif(free, pop, &[], bump, &[]);
        // Pop the free list.
        self.b.switch_to_block(pop);
        let next = self.b.ins().load(types::I64, trusted, free, heap::FREE_NEXT);
        self.b.ins().store(trusted, next, rec, heap::CLASS_FREE);
        self.b.ins().jump(init, &[BlockArg::Value(free)]);
        // Or bump within the current page.
        self.b.switch_to_block(bump);
        let cursor = self.b.ins().load(types::I64, trusted, rec, heap::CLASS_BUMP);
        let limit = self.b.ins().load(types::I64, trusted, rec, heap::CLASS_LIMIT);
        let full = self.b.ins().icmp(IntCC::Equal, cursor, limit);
        self.b.ins().brif(full, slow, &[], take, &[]);
        self.b.switch_to_block(take);
        let cell_size = self.b.ins().load(types::I32, trusted, rec, heap::CLASS_CELL_SIZE);
        let cell_size = self.b.ins().uextend(types::I64, cell_size);
        let bumped = self.b.ins().iadd(cursor, cell_size);
        self.b.ins().store(trusted, bumped, rec, heap::CLASS_BUMP);
        self.b.ins().jump(init, &[BlockArg::Value(cursor)]);
        // Write every field before anything can collect.
        self.b.switch_to_block(init);
        let kind_word = self.iconst(header_word(ObjKind::Instance, 0) as i64);
        let class_byte = self.b.ins().ishl_imm_u(c, 16);
        let header = self.b.ins().bor(kind_word, class_byte);
        self.b.ins().store(trusted, header, cell, 0);
        let shape = self.b.ins().load(types::I64, trusted, class, offsets::CLASS_ROOT_SHAPE);
        self.b.ins().store(trusted, shape, cell, offsets::INSTANCE_SHAPE);
        let zero = self.iconst(0);
        self.b.ins().store(trusted, zero, cell, offsets::INSTANCE_OVERFLOW);
        let cap = self.b.ins().load(types::I32, trusted, shape, offsets::SHAPE_INLINE_CAP);
        self.b.ins().store(trusted, cap, cell, offsets::INSTANCE_INLINE_CAP);
        let zero32 = self.b.ins().iconst(types::I32, 0);
        self.b.ins().store(trusted, zero32, cell, offsets::INSTANCE_OVERFLOW_CAP);
        let cap64 = self.b.ins().uextend(types::I64, cap);
        let bytes = self.b.ins().ishl_imm_u(cap64, 3);
        let first = self.b.ins().iadd_imm_s(cell, offsets::INSTANCE_SLOTS as i64);
        let end = self.b.ins().iadd(first, bytes);
        self.b.ins().jump(fill, &[BlockArg::Value(first)]);
        // The inline slots start as nil (the capacity is at least one).
        self.b.switch_to_block(fill);
        let nil = self.iconst(NIL);
        self.b.ins().store(trusted, nil, fill_i, 0);
        let next_slot = self.b.ins().iadd_imm_s(fill_i, 8);
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, next_slot, end);
        self.b.ins().brif(more, fill, &[BlockArg::Value(next_slot)], filled, &[]);
        self.b.switch_to_block(filled);
        let value = self.b.ins().bor_imm_s(cell, OBJ_TAG as i64);
        self.b.ins().jump(done, &[BlockArg::Value(value)]);
        // The runtime: it collects when due, and settles the class's layout.
        self.b.switch_to_block(slow);
        let value = self.call_rt("brine_new_instance", &[class_value]);
        self.b.ins().jump(done, &[BlockArg::Value(value)]);
        self.b.switch_to_block(done);
        result
    }

    /// Calls the code slot of `function` (a prototype) for `callee`.
    fn call_code(&mut self, function: ClValue, callee: ClValue, this: ClValue, args: &[ClValue]) -> ClValue {
        let code = self.b.ins().load(types::I64, MemFlagsData::trusted(), function, offsets::FUNCTION_CODE);
        let sig = self.b.import_signature(lox_signature(self.call_conv, args.len()));
        let mut call_args = vec![self.rt(), callee, this];
        call_args.extend_from_slice(args);
        let call = self.b.ins().call_indirect(sig, code, &call_args);
        self.b.inst_results(call)[0]
    }

    fn truthy(&mut self, v: ClValue) -> ClValue {
        let not_nil = self.b.ins().icmp_imm_s(IntCC::NotEqual, v, NIL);
        let not_false = self.b.ins().icmp_imm_s(IntCC::NotEqual, v, FALSE);
        self.b.ins().band(not_nil, not_false)
    }

    fn check_defined(&mut self, v: ClValue, global: ir::GlobalId, site: ir::SiteId) {
        let undefined = self.b.ins().icmp_imm_s(IntCC::Equal, v, UNDEF);
        let error = self.b.create_block();
        let cont = self.b.create_block();
        self.b.ins().brif(undefined, error, &[], cont, &[]);
        self.b.switch_to_block(error);
        let slot = self.env.links.global_slot(&mut self.b, global);
        self.call_rt("brine_undefined_variable", &[slot]);
        self.jump_to_error(site);
        self.b.switch_to_block(cont);
    }

    fn binary(&mut self, op: BinaryOp, a: ClValue, b: ClValue, site: ir::SiteId) -> ClValue {
        let a_num = self.is_number(a);
        let b_num = self.is_number(b);
        let both = self.b.ins().band(a_num, b_num);
        if let BinaryOp::Eq | BinaryOp::Ne = op {
            // IEEE equality for two numbers, identity otherwise (strings are interned).
            let fa = self.b.ins().bitcast(types::F64, MemFlagsData::new(), a);
            let fb = self.b.ins().bitcast(types::F64, MemFlagsData::new(), b);
            let feq = self.b.ins().fcmp(FloatCC::Equal, fa, fb);
            let ieq = self.b.ins().icmp(IntCC::Equal, a, b);
            let eq = self.b.ins().select(both, feq, ieq);
            let (t, f) = if op == BinaryOp::Eq { (TRUE, FALSE) } else { (FALSE, TRUE) };
            let t = self.iconst(t);
            let f = self.iconst(f);
            return self.b.ins().select(eq, t, f);
        }
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let merge = self.b.create_block();
        let r = self.b.append_block_param(merge, types::I64);
        self.b.ins().brif(both, fast, &[], slow, &[]);
        self.b.switch_to_block(fast);
        let fa = self.b.ins().bitcast(types::F64, MemFlagsData::new(), a);
        let fb = self.b.ins().bitcast(types::F64, MemFlagsData::new(), b);
        let result = match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
                let f = match op {
                    BinaryOp::Add => self.b.ins().fadd(fa, fb),
                    BinaryOp::Sub => self.b.ins().fsub(fa, fb),
                    BinaryOp::Mul => self.b.ins().fmul(fa, fb),
                    BinaryOp::Mod => self.fmod(fa, fb),
                    _ => self.b.ins().fdiv(fa, fb),
                };
                self.b.ins().bitcast(types::I64, MemFlagsData::new(), f)
            }
            _ => {
                let cc = match op {
                    BinaryOp::Lt => FloatCC::LessThan,
                    BinaryOp::Le => FloatCC::LessThanOrEqual,
                    BinaryOp::Gt => FloatCC::GreaterThan,
                    _ => FloatCC::GreaterThanOrEqual,
                };
                let c = self.b.ins().fcmp(cc, fa, fb);
                self.bool_value(c)
            }
        };
        self.b.ins().jump(merge, &[BlockArg::Value(result)]);
        self.b.switch_to_block(slow);
        let s = match op {
            BinaryOp::Add => self.call_rt("brine_add", &[a, b]),
            _ => {
                let code = match op {
                    BinaryOp::Sub => brine_runtime::ops::NumOp::Sub,
                    BinaryOp::Mul => brine_runtime::ops::NumOp::Mul,
                    BinaryOp::Div => brine_runtime::ops::NumOp::Div,
                    BinaryOp::Mod => brine_runtime::ops::NumOp::Mod,
                    BinaryOp::Lt => brine_runtime::ops::NumOp::Lt,
                    BinaryOp::Le => brine_runtime::ops::NumOp::Le,
                    BinaryOp::Gt => brine_runtime::ops::NumOp::Gt,
                    _ => brine_runtime::ops::NumOp::Ge,
                };
                let code = self.b.ins().iconst(types::I32, code as i64);
                self.call_rt("brine_num_op", &[code, a, b])
            }
        };
        self.b.ins().jump(merge, &[BlockArg::Value(s)]);
        self.b.switch_to_block(merge);
        self.check_error(r, site);
        r
    }

    /// `callee(args)`: a direct jump through the code slot when the callee
    /// is a closure of the right arity, or a class whose initializer has the
    /// right arity; else the generic helper.
    fn call(&mut self, callee: ClValue, args: &[ClValue], site: ir::SiteId) -> ClValue {
        let argc = args.len();
        let check_class = self.b.create_block();
        let check_arity = self.b.create_block();
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let merge = self.b.create_block();
        let r = self.b.append_block_param(merge, types::I64);
        // A closure?
        let (ptr, kind) = self.object_kind(callee, slow);
        let is_closure = self.b.ins().icmp_imm_u(IntCC::Equal, kind, ObjKind::Closure as i64);
        self.b.ins().brif(is_closure, check_arity, &[], check_class, &[]);
        // Of the right arity?
        self.b.switch_to_block(check_arity);
        let function = self.b.ins().load(types::I64, MemFlagsData::trusted(), ptr, offsets::CLOSURE_FUNCTION);
        let arity = self.b.ins().load(types::I32, MemFlagsData::trusted(), function, offsets::FUNCTION_ARITY);
        let same = self.b.ins().icmp_imm_u(IntCC::Equal, arity, argc as i64);
        self.b.ins().brif(same, fast, &[], slow, &[]);
        // Jump through the code slot.
        self.b.switch_to_block(fast);
        let nil = self.iconst(NIL);
        let fr = self.call_code(function, callee, nil, args);
        self.b.ins().jump(merge, &[BlockArg::Value(fr)]);
        // A class with an initializer of the right arity: allocate the
        // instance and run the initializer directly.
        self.b.switch_to_block(check_class);
        let is_class = self.b.ins().icmp_imm_u(IntCC::Equal, kind, ObjKind::Class as i64);
        let class_init = self.b.create_block();
        let init_arity = self.b.create_block();
        let construct = self.b.create_block();
        self.b.ins().brif(is_class, class_init, &[], slow, &[]);
        self.b.switch_to_block(class_init);
        let init = self.b.ins().load(types::I64, MemFlagsData::trusted(), ptr, offsets::CLASS_INIT);
        let no_init = self.b.ins().icmp_imm_s(IntCC::Equal, init, NIL);
        self.b.ins().brif(no_init, slow, &[], init_arity, &[]);
        self.b.switch_to_block(init_arity);
        let iptr = self.untag(init);
        let ifunction =
            self.b.ins().load(types::I64, MemFlagsData::trusted(), iptr, offsets::CLOSURE_FUNCTION);
        let iarity =
            self.b.ins().load(types::I32, MemFlagsData::trusted(), ifunction, offsets::FUNCTION_ARITY);
        let isame = self.b.ins().icmp_imm_u(IntCC::Equal, iarity, argc as i64);
        self.b.ins().brif(isame, construct, &[], slow, &[]);
        self.b.switch_to_block(construct);
        let instance = self.new_instance(ptr, callee);
        let ir = self.call_code(ifunction, init, instance, args);
        let failed = self.b.ins().icmp_imm_s(IntCC::Equal, ir, ERROR);
        let result = self.b.ins().select(failed, ir, instance);
        self.b.ins().jump(merge, &[BlockArg::Value(result)]);
        // Anything else: the runtime decides.
        self.b.switch_to_block(slow);
        let argv = self.argv(args);
        let n = self.iconst(argc as i64);
        let sr = self.call_rt("brine_call", &[callee, argv, n]);
        self.b.ins().jump(merge, &[BlockArg::Value(sr)]);
        self.b.switch_to_block(merge);
        self.check_error(r, site);
        r
    }
}

/// Builds a small function whose whole body `body` makes from the
/// function's parameters and its builder: the entry and the interpreter
/// stub, which sit between two calling conventions.
fn translate_thunk<M: Module>(
    module: &mut M,
    ctx_func: &mut cranelift_codegen::ir::Function,
    fbc: &mut FunctionBuilderContext,
    body: impl FnOnce(&mut M, &mut FunctionBuilder, &[ClValue]),
) {
    let frontend_config = module.target_config();
    let mut b = FunctionBuilder::new(ctx_func, fbc);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let params = b.block_params(entry).to_vec();
    body(module, &mut b, &params);
    b.finalize(frontend_config);
}

/// Builds the array entry of a function of `arity` parameters: loads the
/// arguments from `argv` and calls the fast entry `target`.
pub fn translate_entry<M: Module>(
    module: &mut M,
    target: ClFuncId,
    arity: usize,
    ctx_func: &mut cranelift_codegen::ir::Function,
    fbc: &mut FunctionBuilderContext,
) {
    translate_thunk(module, ctx_func, fbc, |module, b, p| {
        let mut args = vec![p[0], p[1], p[2]];
        for i in 0..arity {
            args.push(b.ins().load(types::I64, MemFlagsData::trusted(), p[3], (i * 8) as i32));
        }
        let f = module.declare_func_in_func(target, b.func);
        let call = b.ins().call(f, &args);
        let r = b.inst_results(call)[0];
        b.ins().return_(&[r]);
    });
}

/// Builds the interpreter stub of arity `arity`: the code slot of a
/// function that has no native code yet. It passes its arguments, as an
/// array, to the `brine_interpret` helper (`helper`).
pub fn translate_interp_stub<M: Module>(
    module: &mut M,
    helper: ClFuncId,
    arity: usize,
    ctx_func: &mut cranelift_codegen::ir::Function,
    fbc: &mut FunctionBuilderContext,
) {
    translate_thunk(module, ctx_func, fbc, |module, b, p| {
        let argv = if arity == 0 {
            b.ins().iconst(types::I64, 0)
        } else {
            let slot = b.create_sized_stack_slot(StackSlotData::new(
                StackSlotKind::ExplicitSlot,
                (arity * 8) as u32,
                3,
            ));
            for (i, &a) in p[3..].iter().enumerate() {
                b.ins().stack_store(types::I64, a, slot, (i * 8) as i32);
            }
            b.ins().stack_addr(types::I64, slot, 0)
        };
        let argc = b.ins().iconst(types::I64, arity as i64);
        let f = module.declare_func_in_func(helper, b.func);
        let call = b.ins().call(f, &[p[0], p[1], p[2], argv, argc]);
        let r = b.inst_results(call)[0];
        b.ins().return_(&[r]);
    });
}
