//! The JIT back end: compiles functions into executable memory, one at a
//! time, and returns their code. It installs nothing: the tier manager
//! decides which code goes into which code slot.

use crate::Links;
use crate::translate::{
    Env, entry_signature, helper_signature, lox_signature, translate_entry, translate_function,
    translate_interp_stub,
};
use brine_ir::{FuncId, GlobalId, SiteId, StrId};
use brine_runtime::Value;
use brine_runtime::abi;
use brine_runtime::object::ObjFunction;
use cranelift_codegen::ir::{InstBuilder, types};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId as ClFuncId, Linkage, Module};
use std::collections::HashMap;

/// The runtime objects of a loaded module, which JIT code embeds directly
/// (objects never move, and the program's constants keep them alive).
pub struct JitLinks<'a> {
    pub strings: &'a [Value],
    pub functions: &'a [*mut ObjFunction],
    pub globals: &'a [u32],
    /// The inline cache of each site.
    pub caches: &'a [*mut brine_runtime::ic::PropertyCache],
    /// The class link slots of an executable optimized ahead of time
    /// (`-O2 --jit`), whose versions name them (an on-stack-replacement
    /// entry into one is compiled here); null elsewhere.
    pub class_links: *const u64,
}

impl Links for JitLinks<'_> {
    fn string(&self, b: &mut FunctionBuilder, id: StrId) -> cranelift_codegen::ir::Value {
        b.ins().iconst(types::I64, self.strings[id.index()].0 as i64)
    }
    fn function(&self, b: &mut FunctionBuilder, id: FuncId) -> cranelift_codegen::ir::Value {
        b.ins().iconst(types::I64, self.functions[id.index()] as i64)
    }
    fn global_slot(&self, b: &mut FunctionBuilder, id: GlobalId) -> cranelift_codegen::ir::Value {
        b.ins().iconst(types::I64, self.globals[id.index()] as i64)
    }
    fn cache(&self, b: &mut FunctionBuilder, site: SiteId) -> cranelift_codegen::ir::Value {
        b.ins().iconst(types::I64, self.caches[site.index()] as i64)
    }
    fn class_link(&self, b: &mut FunctionBuilder, slot: u32) -> cranelift_codegen::ir::Value {
        assert!(!self.class_links.is_null(), "only code optimized ahead of time names class links");
        // Loaded when the code runs: the script fills the slot when it
        // declares the class.
        let address = b.ins().iconst(types::I64, self.class_links as i64 + 8 * slot as i64);
        b.ins().load(types::I64, cranelift_codegen::ir::MemFlagsData::trusted(), address, 0)
    }
}

/// A JIT code cache for one program: functions are compiled into it one at
/// a time, as the tier manager asks, and stay mapped as long as it lives.
pub struct Jit {
    module: JITModule,
    ctx: cranelift_codegen::Context,
    fbc: FunctionBuilderContext,
    helpers: HashMap<&'static str, ClFuncId>,
    /// The interpreter stub of each arity, once made.
    stubs: HashMap<usize, *const u8>,
    /// Compile code that counts its calls (`--profile`).
    pub count_calls: bool,
    /// Deoptimization stress period for guards (0: off); see [`Env`].
    pub deopt_stress: u64,
}

/// One compiled piece of machine code.
#[derive(Copy, Clone, Debug)]
pub struct Code {
    pub address: *const u8,
    pub size: usize,
}

/// A function's baseline code: the fast entry (the code slot's value) and
/// the array entry.
#[derive(Copy, Clone, Debug)]
pub struct FunctionCode {
    pub code: Code,
    pub entry: Code,
}

/// Cranelift settings for baseline code.
pub fn baseline_flags(is_pic: bool) -> settings::Flags {
    flags(is_pic, "none")
}

/// Cranelift settings for an object file (position-independent) of code
/// at `level`.
pub fn object_flags(level: Level) -> settings::Flags {
    flags(true, if level == Level::Baseline { "none" } else { "speed" })
}

/// Cranelift settings at an `opt_level` (`none` for baseline code, `speed`
/// for optimized code).
fn flags(is_pic: bool, opt_level: &str) -> settings::Flags {
    let mut flags = settings::builder();
    // These names and values are Cranelift's own; they cannot fail.
    flags.set("opt_level", opt_level).expect("opt_level");
    flags.set("is_pic", if is_pic { "true" } else { "false" }).expect("is_pic");
    flags.set("preserve_frame_pointers", "true").expect("preserve_frame_pointers");
    flags.set("use_colocated_libcalls", "false").expect("use_colocated_libcalls");
    // Cranelift's own IR verifier runs in debug builds (tests), not in releases:
    // compile time is part of every run's time.
    flags
        .set("enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" })
        .expect("enable_verifier");
    settings::Flags::new(flags)
}

/// Which code a [`Jit`] makes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Level {
    /// Fast to compile: Cranelift's `opt_level=none`.
    Baseline,
    /// Cranelift's `opt_level=speed`, for optimized IR.
    Optimized,
}

impl Jit {
    pub fn new(level: Level) -> Result<Jit, String> {
        let isa_builder = cranelift_native::builder().map_err(|e| format!("unsupported host: {e}"))?;
        let opt_level = if level == Level::Baseline { "none" } else { "speed" };
        let isa = isa_builder
            .finish(flags(false, opt_level))
            .map_err(|e| format!("cannot target this host: {e}"))?;
        let mut builder = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
        let list = abi::helpers();
        for h in &list {
            builder.symbol(h.name, h.address);
        }
        let mut module = JITModule::new(builder);
        let call_conv = module.isa().default_call_conv();
        let mut helpers = HashMap::new();
        for h in &list {
            let id = module
                .declare_function(h.name, Linkage::Import, &helper_signature(call_conv, h))
                .map_err(|e| e.to_string())?;
            helpers.insert(h.name, id);
        }
        Ok(Jit {
            ctx: module.make_context(),
            module,
            fbc: FunctionBuilderContext::new(),
            helpers,
            stubs: HashMap::new(),
            count_calls: false,
            deopt_stress: 0,
        })
    }

    /// Defines the function now in `self.ctx` under a new anonymous id and
    /// returns the id and the size of its machine code.
    fn define(&mut self, what: &dyn Fn() -> String) -> Result<(ClFuncId, usize), String> {
        let id =
            self.module.declare_anonymous_function(&self.ctx.func.signature).map_err(|e| e.to_string())?;
        self.module.define_function(id, &mut self.ctx).map_err(|e| format!("compiling {}: {e:?}", what()))?;
        let size = self.ctx.compiled_code().map_or(0, |c| c.code_buffer().len());
        self.module.clear_context(&mut self.ctx);
        Ok((id, size))
    }

    fn finish(&mut self, id: ClFuncId, size: usize) -> Code {
        Code { address: self.module.get_finalized_function(id), size }
    }

    /// Compiles `func`, the code of IR function `id` of `ir` (the module's
    /// own, or a specialized version whose frame states the engine numbers
    /// from `first_state`).
    pub fn compile_function(
        &mut self,
        ir: &brine_ir::Module,
        links: &JitLinks,
        id: FuncId,
        func: &brine_ir::Function,
        first_state: u32,
    ) -> Result<FunctionCode, String> {
        let call_conv = self.module.isa().default_call_conv();
        let arity = func.arity as usize;
        self.ctx.func.signature = lox_signature(call_conv, arity);
        let mut env = Env {
            module: &mut self.module,
            ir,
            links,
            helpers: &self.helpers,
            count_calls: self.count_calls,
            first_state,
            deopt_stress: self.deopt_stress,
            tier_counters: false,
        };
        translate_function(&mut env, id, func, None, &mut self.ctx.func, &mut self.fbc);
        let (code, code_size) = self.define(&|| func.display_name())?;
        self.ctx.func.signature = entry_signature(call_conv);
        translate_entry(&mut self.module, code, arity, &mut self.ctx.func, &mut self.fbc);
        let (entry, entry_size) = self.define(&|| format!("the entry of {}", func.display_name()))?;
        self.module.finalize_definitions().map_err(|e| e.to_string())?;
        Ok(FunctionCode { code: self.finish(code, code_size), entry: self.finish(entry, entry_size) })
    }

    /// Compiles an on-stack-replacement entry into `func` (the code of IR
    /// function `id`, as for [`Jit::compile_function`]) at loop header
    /// `header`: a `brine_runtime::engine::OsrEntry`.
    pub fn compile_osr(
        &mut self,
        ir: &brine_ir::Module,
        links: &JitLinks,
        id: FuncId,
        func: &brine_ir::Function,
        first_state: u32,
        header: brine_ir::Block,
    ) -> Result<Code, String> {
        let call_conv = self.module.isa().default_call_conv();
        self.ctx.func.signature = entry_signature(call_conv);
        let mut env = Env {
            module: &mut self.module,
            ir,
            links,
            helpers: &self.helpers,
            count_calls: self.count_calls,
            first_state,
            deopt_stress: self.deopt_stress,
            tier_counters: false,
        };
        translate_function(&mut env, id, func, Some(header), &mut self.ctx.func, &mut self.fbc);
        let (osr, size) = self.define(&|| format!("{} at {header}", func.display_name()))?;
        self.module.finalize_definitions().map_err(|e| e.to_string())?;
        Ok(self.finish(osr, size))
    }

    /// The interpreter stub for functions of `arity` parameters (made once).
    pub fn interp_stub(&mut self, arity: usize) -> Result<*const u8, String> {
        if let Some(&stub) = self.stubs.get(&arity) {
            return Ok(stub);
        }
        let call_conv = self.module.isa().default_call_conv();
        self.ctx.func.signature = lox_signature(call_conv, arity);
        let helper = self.helpers["brine_interpret"];
        translate_interp_stub(&mut self.module, helper, arity, &mut self.ctx.func, &mut self.fbc);
        let (id, size) = self.define(&|| format!("the interpreter stub of arity {arity}"))?;
        self.module.finalize_definitions().map_err(|e| e.to_string())?;
        let stub = self.finish(id, size).address;
        self.stubs.insert(arity, stub);
        Ok(stub)
    }
}
