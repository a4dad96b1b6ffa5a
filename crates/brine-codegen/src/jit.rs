//! The JIT back end: compiles a module's functions into executable memory
//! and installs them in their function prototypes' code slots.

use crate::Links;
use crate::translate::{
    Env, entry_signature, helper_signature, lox_signature, translate_entry, translate_function,
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
}

/// A JIT code cache for one program. It can compile more functions later
/// (the REPL adds some with every entry).
pub struct Jit {
    module: JITModule,
    ctx: cranelift_codegen::Context,
    fbc: FunctionBuilderContext,
    helpers: HashMap<&'static str, ClFuncId>,
    functions: Vec<ClFuncId>,
    entries: Vec<ClFuncId>,
}

/// Cranelift settings for baseline code.
pub fn baseline_flags(is_pic: bool) -> settings::Flags {
    let mut flags = settings::builder();
    // These names and values are Cranelift's own; they cannot fail.
    flags.set("opt_level", "none").expect("opt_level");
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

impl Jit {
    pub fn new() -> Result<Jit, String> {
        let isa_builder = cranelift_native::builder().map_err(|e| format!("unsupported host: {e}"))?;
        let isa =
            isa_builder.finish(baseline_flags(false)).map_err(|e| format!("cannot target this host: {e}"))?;
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
            functions: Vec::new(),
            entries: Vec::new(),
        })
    }

    /// Compiles every function of `ir` not compiled yet, and installs the
    /// code in the function prototypes of `links`.
    pub fn compile(&mut self, ir: &brine_ir::Module, links: &JitLinks) -> Result<(), String> {
        let first = self.functions.len();
        let call_conv = self.module.isa().default_call_conv();
        for (i, f) in ir.functions.iter().enumerate().skip(first) {
            let sig = lox_signature(call_conv, f.arity as usize);
            let id = self.module.declare_anonymous_function(&sig).map_err(|e| e.to_string())?;
            self.functions.push(id);
            let entry = self
                .module
                .declare_anonymous_function(&entry_signature(call_conv))
                .map_err(|e| e.to_string())?;
            self.entries.push(entry);
            debug_assert_eq!(self.functions.len(), i + 1);
        }
        for i in first..ir.functions.len() {
            let id = FuncId::new(i);
            let arity = ir.function(id).arity as usize;
            self.ctx.func.signature = lox_signature(call_conv, arity);
            let mut env = Env {
                module: &mut self.module,
                ir,
                links,
                helpers: &self.helpers,
                functions: &self.functions,
            };
            translate_function(&mut env, id, &mut self.ctx.func, &mut self.fbc);
            self.module
                .define_function(self.functions[i], &mut self.ctx)
                .map_err(|e| format!("compiling {}: {e:?}", ir.function(id).display_name()))?;
            self.module.clear_context(&mut self.ctx);

            self.ctx.func.signature = entry_signature(call_conv);
            translate_entry(&mut self.module, self.functions[i], arity, &mut self.ctx.func, &mut self.fbc);
            self.module.define_function(self.entries[i], &mut self.ctx).map_err(|e| format!("{e:?}"))?;
            self.module.clear_context(&mut self.ctx);
        }
        self.module.finalize_definitions().map_err(|e| e.to_string())?;
        for i in first..ir.functions.len() {
            let code = self.module.get_finalized_function(self.functions[i]);
            let entry = self.module.get_finalized_function(self.entries[i]);
            let proto = links.functions[i];
            // SAFETY: `proto` is a live function prototype (the program's
            // constants keep it), and the code stays mapped as long as this
            // JIT lives, which the engine keeps for the whole run.
            unsafe {
                (*proto).code = code;
                (*proto).entry = entry;
            }
        }
        Ok(())
    }
}
