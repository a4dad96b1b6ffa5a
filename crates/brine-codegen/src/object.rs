//! The object-file back end, for `brine build`: the program's functions,
//! its image (`brine_runtime::image`) and a `main` that hands the image to
//! the runtime library, in one relocatable object.
//!
//! Compiled code reaches strings, function prototypes and global slots
//! through the image's link table, which the runtime fills at start-up.

use crate::Links;
use crate::jit::{Level, object_flags};
use crate::translate::{
    Env, entry_signature, helper_signature, loop_headers, lox_signature, translate_entry, translate_function,
};
use brine_ir::{FuncId, GlobalId, SiteId, StrId};
use brine_runtime::ic::offsets::CACHE_SIZE;
use brine_runtime::image::{IMAGE_VERSION, layout};
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{AbiParam, GlobalValue, InstBuilder, MemFlagsData, Signature, types};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{DataDescription, DataId, FuncId as ClFuncId, Linkage, Module, ModuleReloc};
use cranelift_object::{ObjectBuilder, ObjectModule};
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Loads from the link table: strings first, then functions, then
/// globals, then class links.
struct TableLinks {
    table: Cell<Option<GlobalValue>>,
    /// The inline caches, one per site (zero-initialized data).
    caches: Cell<Option<GlobalValue>>,
    /// The class tables (`ImageClass`), one per class with links.
    classes: Cell<Option<GlobalValue>>,
    nstrings: usize,
    nfunctions: usize,
    nglobals: usize,
    /// The instruction after which each class with links is declared: its
    /// IR value and its index in the class tables.
    declared: HashMap<(FuncId, brine_ir::Inst), (brine_ir::Value, usize)>,
}

impl TableLinks {
    fn entry(&self, b: &mut FunctionBuilder, index: usize) -> cranelift_codegen::ir::Value {
        let gv = self.table.get().expect("link table declared in the function");
        let base = b.ins().symbol_value(types::I64, gv);
        b.ins().load(types::I64, MemFlagsData::trusted(), base, (index * 8) as i32)
    }
}

impl Links for TableLinks {
    fn string(&self, b: &mut FunctionBuilder, id: StrId) -> cranelift_codegen::ir::Value {
        self.entry(b, id.index())
    }
    fn function(&self, b: &mut FunctionBuilder, id: FuncId) -> cranelift_codegen::ir::Value {
        self.entry(b, self.nstrings + id.index())
    }
    fn global_slot(&self, b: &mut FunctionBuilder, id: GlobalId) -> cranelift_codegen::ir::Value {
        self.entry(b, self.nstrings + self.nfunctions + id.index())
    }
    fn class_link(&self, b: &mut FunctionBuilder, slot: u32) -> cranelift_codegen::ir::Value {
        self.entry(b, self.nstrings + self.nfunctions + self.nglobals + slot as usize)
    }
    fn class_declared(
        &self,
        b: &mut FunctionBuilder,
        func: FuncId,
        inst: brine_ir::Inst,
    ) -> Option<(brine_ir::Value, cranelift_codegen::ir::Value)> {
        let &(value, k) = self.declared.get(&(func, inst))?;
        let gv = self.classes.get().expect("class tables declared in the function");
        let base = b.ins().symbol_value(types::I64, gv);
        Some((value, b.ins().iadd_imm_u(base, (k * layout::CLASS_SIZE) as i64)))
    }
    fn cache(&self, b: &mut FunctionBuilder, site: SiteId) -> cranelift_codegen::ir::Value {
        let gv = self.caches.get().expect("caches declared in the function");
        let base = b.ins().symbol_value(types::I64, gv);
        b.ins().iadd_imm_u(base, (site.index() * CACHE_SIZE) as i64)
    }
}

/// Byte strings laid out in one data object.
#[derive(Default)]
struct Blob {
    bytes: Vec<u8>,
}

impl Blob {
    fn add(&mut self, s: &[u8]) -> (usize, usize) {
        let offset = self.bytes.len();
        self.bytes.extend_from_slice(s);
        (offset, s.len())
    }
}

fn put_u64(buf: &mut [u8], at: usize, v: u64) {
    buf[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn put_u32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// What an object file carries besides baseline code for every function.
#[derive(Clone, Debug, Default)]
pub struct ObjectOptions {
    /// The module in the binary encoding, for a runtime that interprets
    /// or re-compiles it (`--jit`, `-O2`).
    pub ir: Option<Vec<u8>>,
    /// Count calls and back edges toward the tier threshold
    /// ([`Env::tier_counters`](crate::translate::Env)): code that a
    /// runtime with the JIT re-compiles (`--jit`).
    pub tier_counters: bool,
    /// Optimized versions of functions, compiled at Cranelift's
    /// `opt_level=speed` as the functions' code, each with its baseline
    /// code beside it for when a guard fails (`-O2`). Their frame states
    /// are numbered in this order, from 0.
    pub versions: Vec<(FuncId, brine_ir::Function)>,
    /// `BRINE_DEOPT_STRESS` compiled in: every Nth guard check fails.
    pub deopt_stress: u64,
    /// The classes whose runtime objects the versions name by class
    /// links, which the code fills once the script has declared them.
    pub classes: Vec<brine_ir::symbol::ClassLinks>,
}

/// Compiles `ir` (whose script is `script`) to a relocatable object file
/// that defines `main`.
pub fn compile_object(
    ir: &brine_ir::Module,
    script: FuncId,
    options: &ObjectOptions,
) -> Result<Vec<u8>, String> {
    let isa_builder = cranelift_native::builder().map_err(|e| format!("unsupported host: {e}"))?;
    let level = if options.versions.is_empty() { Level::Baseline } else { Level::Optimized };
    let isa = isa_builder.finish(object_flags(level)).map_err(err)?;
    let builder =
        ObjectBuilder::new(isa, "brine_program", cranelift_module::default_libcall_names()).map_err(err)?;
    let mut module = ObjectModule::new(builder);
    let call_conv = module.isa().default_call_conv();

    let mut helpers = HashMap::new();
    for h in &brine_runtime::abi::helpers() {
        let id =
            module.declare_function(h.name, Linkage::Import, &helper_signature(call_conv, h)).map_err(err)?;
        helpers.insert(h.name, id);
    }
    let (ns, nf, ng) = (ir.strings.len(), ir.functions.len(), ir.globals.len());
    let links_id = module.declare_data("brine_links", Linkage::Local, true, false).map_err(err)?;
    let caches_id = module.declare_data("brine_caches", Linkage::Local, true, false).map_err(err)?;
    let classes_id = module.declare_data("brine_classes", Linkage::Local, false, false).map_err(err)?;
    let nlinks: usize = options.classes.iter().map(|c| c.slots() as usize).sum();

    // Each function's code and array entry, then (when it has an optimized
    // version) its baseline code and entry.
    let mut declare =
        |name: String, sig: &Signature| module.declare_function(&name, Linkage::Local, sig).map_err(err);
    let mut code = Vec::new();
    let mut baseline = Vec::new();
    let mut optimized: Vec<Option<usize>> = vec![None; nf];
    for (k, (id, _)) in options.versions.iter().enumerate() {
        optimized[id.index()] = Some(k);
    }
    for (i, f) in ir.functions.iter().enumerate() {
        let sig = lox_signature(call_conv, f.arity as usize);
        let entry = entry_signature(call_conv);
        let pair = (declare(format!("brine_f{i}"), &sig)?, declare(format!("brine_f{i}_entry"), &entry)?);
        code.push(pair);
        baseline.push(match optimized[i] {
            Some(_) => (
                declare(format!("brine_f{i}_base"), &sig)?,
                declare(format!("brine_f{i}_base_entry"), &entry)?,
            ),
            None => pair,
        });
    }
    let mut first_state = Vec::new();
    let mut states = 0u32;
    for (_, f) in &options.versions {
        first_state.push(states);
        states += f.states.len() as u32;
    }

    let links = TableLinks {
        table: Cell::new(None),
        caches: Cell::new(None),
        classes: Cell::new(None),
        nstrings: ns,
        nfunctions: nf,
        nglobals: ng,
        declared: options
            .classes
            .iter()
            .enumerate()
            .map(|(k, c)| ((c.func, c.after), (c.value, k)))
            .collect(),
    };
    // Every body is translated first (that declares into the module), then
    // compiled on every core, then defined.
    let mut translated = Vec::new();
    // The on-stack-replacement entries: function, loop header, entry.
    let mut osr = Vec::new();
    let mut ctx = module.make_context();
    let mut fbc = FunctionBuilderContext::new();
    // Translates `func` (function `id`'s IR, or a version of it) to a
    // Cranelift function of signature `sig`: its body, or with `osr` an
    // on-stack-replacement entry at that loop header (which counts nothing).
    let translate = |module: &mut ObjectModule,
                     ctx: &mut cranelift_codegen::Context,
                     fbc: &mut FunctionBuilderContext,
                     sig: Signature,
                     id: FuncId,
                     func: &brine_ir::Function,
                     osr: Option<brine_ir::Block>,
                     first_state: u32,
                     version: bool| {
        ctx.func.signature = sig;
        links.table.set(Some(module.declare_data_in_func(links_id, &mut ctx.func)));
        links.caches.set(Some(module.declare_data_in_func(caches_id, &mut ctx.func)));
        links.classes.set(Some(module.declare_data_in_func(classes_id, &mut ctx.func)));
        let counting = osr.is_none() && options.tier_counters;
        let mut env = Env {
            module,
            ir,
            links: &links,
            helpers: &helpers,
            // An executable that re-compiles itself reports calls (`BRINE_PROFILE`).
            count_calls: counting,
            first_state,
            deopt_stress: if osr.is_none() { options.deopt_stress } else { 0 },
            // Optimized code is not re-compiled for being hot (only once
            // its guard has failed, from the interpreter's profile).
            tier_counters: counting && !version,
        };
        translate_function(&mut env, id, func, osr, &mut ctx.func, fbc);
        std::mem::replace(&mut ctx.func, cranelift_codegen::ir::Function::new())
    };
    for i in 0..nf {
        let id = FuncId::new(i);
        let arity = ir.function(id).arity as usize;
        let mut bodies = vec![(ir.function(id), 0, baseline[i], false)];
        if let Some(k) = optimized[i] {
            bodies.push((&options.versions[k].1, first_state[k], code[i], true));
        }
        for (func, first_state, (fast, array), version) in bodies {
            let sig = lox_signature(call_conv, arity);
            let body = translate(&mut module, &mut ctx, &mut fbc, sig, id, func, None, first_state, version);
            translated.push((fast, id, body));
            ctx.func.signature = entry_signature(call_conv);
            translate_entry(&mut module, fast, arity, &mut ctx.func, &mut fbc);
            let body = std::mem::replace(&mut ctx.func, cranelift_codegen::ir::Function::new());
            translated.push((array, id, body));
        }
        // A function that may deoptimize may finish an activation in the
        // interpreter, which enters its baseline code again at the next
        // loop header it reaches (`Engine::loop_hot`).
        if optimized[i].is_some() {
            for header in loop_headers(ir.function(id)) {
                let name = format!("brine_f{i}_osr{}", header.0);
                let entry_id = module
                    .declare_function(&name, Linkage::Local, &entry_signature(call_conv))
                    .map_err(err)?;
                let sig = entry_signature(call_conv);
                let body = translate(
                    &mut module,
                    &mut ctx,
                    &mut fbc,
                    sig,
                    id,
                    ir.function(id),
                    Some(header),
                    0,
                    false,
                );
                translated.push((entry_id, id, body));
                osr.push((id.0, header.0, entry_id));
            }
        }
    }
    for (cl_id, compiled) in translated.iter().map(|t| t.0).zip(compile_all(module.isa(), &translated)) {
        let (alignment, bytes, relocs) = compiled?;
        module.define_function_bytes(cl_id, alignment, &bytes, &relocs).map_err(err)?;
    }

    // The link table, filled at start-up.
    let mut desc = DataDescription::new();
    desc.define_zeroinit(8 * (ns + nf + ng + nlinks).max(1));
    desc.set_align(8);
    module.define_data(links_id, &desc).map_err(err)?;
    define_classes(&mut module, classes_id, links_id, ns + nf + ng, &options.classes)?;
    let mut desc = DataDescription::new();
    desc.define_zeroinit(CACHE_SIZE * ir.sites.len().max(1));
    desc.set_align(8);
    module.define_data(caches_id, &desc).map_err(err)?;

    let versions: Vec<u32> = options.versions.iter().map(|(id, _)| id.0).collect();
    let tables = Tables {
        links: links_id,
        caches: caches_id,
        code: &code,
        baseline: &baseline,
        versions: &versions,
        osr: &osr,
    };
    let image_id = define_image(&mut module, ir, script, &tables, options.ir.as_deref())?;
    define_main(&mut module, image_id, call_conv, &mut ctx, &mut fbc)?;
    module.finish().emit().map_err(err)
}

/// Defines the class tables (`ImageClass`, one per class of `classes`,
/// whose link slots come after the table's first `first_link` words), and
/// the string ids they point at.
fn define_classes(
    module: &mut ObjectModule,
    id: DataId,
    links_id: DataId,
    first_link: usize,
    classes: &[brine_ir::symbol::ClassLinks],
) -> Result<(), String> {
    let names_id = module.declare_data("brine_class_names", Linkage::Local, false, false).map_err(err)?;
    let mut names: Vec<u8> = Vec::new();
    let mut data = vec![0u8; (classes.len() * layout::CLASS_SIZE).max(8)];
    let mut desc = DataDescription::new();
    let links_gv = module.declare_data_in_data(links_id, &mut desc);
    let names_gv = module.declare_data_in_data(names_id, &mut desc);
    for (k, c) in classes.iter().enumerate() {
        let at = k * layout::CLASS_SIZE;
        desc.write_data_addr((at + layout::CLASS_LINKS) as u32, links_gv, 0);
        put_u64(&mut data, at + layout::CLASS_FIRST, (first_link + c.first as usize) as u64);
        put_u32(&mut data, at + layout::CLASS_NPATH, c.path.len() as u32);
        put_u32(&mut data, at + layout::CLASS_NMETHODS, c.methods.len() as u32);
        for (field, ids) in [(layout::CLASS_PATH, &c.path), (layout::CLASS_METHODS, &c.methods)] {
            desc.write_data_addr((at + field) as u32, names_gv, names.len() as i64);
            names.extend(ids.iter().flat_map(|s| s.0.to_le_bytes()));
        }
    }
    desc.define(data.into_boxed_slice());
    desc.set_align(8);
    module.define_data(id, &desc).map_err(err)?;
    let mut nd = DataDescription::new();
    names.resize(names.len().max(8), 0);
    nd.define(names.into_boxed_slice());
    nd.set_align(8);
    module.define_data(names_id, &nd).map_err(err)
}

/// Machine code of one function: its alignment, bytes and relocations.
type Compiled = (u64, Vec<u8>, Vec<ModuleReloc>);

/// Compiles the translated `bodies` (Cranelift function id, the IR function
/// it comes from, its Cranelift IR) on as many threads as the machine has
/// cores: Cranelift compiles one function without touching the module, so
/// only defining the code is sequential. The results are in `bodies`'
/// order.
fn compile_all(
    isa: &dyn cranelift_codegen::isa::TargetIsa,
    bodies: &[(ClFuncId, FuncId, cranelift_codegen::ir::Function)],
) -> Vec<Result<Compiled, String>> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Result<Compiled, String>>>> =
        bodies.iter().map(|_| Mutex::new(None)).collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(bodies.len()).max(1);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut ctx = cranelift_codegen::Context::new();
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some((cl_id, id, body)) = bodies.get(k) else { break };
                    ctx.clear();
                    ctx.func = body.clone();
                    let compiled = ctx
                        .compile(isa, &mut ControlPlane::default())
                        .map(|code| {
                            let relocs = code
                                .buffer
                                .relocs()
                                .iter()
                                .map(|r| ModuleReloc::from_mach_reloc(r, body, *cl_id))
                                .collect();
                            (code.buffer.alignment as u64, code.code_buffer().to_vec(), relocs)
                        })
                        .map_err(|e| format!("compiling {id}: {:?}", e.inner));
                    *results[k].lock().unwrap_or_else(|p| p.into_inner()) = Some(compiled);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| {
            r.into_inner().unwrap_or_else(|p| p.into_inner()).unwrap_or_else(|| Err("not compiled".into()))
        })
        .collect()
}

/// What the image points at besides its own tables.
struct Tables<'a> {
    links: DataId,
    caches: DataId,
    /// Each function's code and array entry.
    code: &'a [(ClFuncId, ClFuncId)],
    /// Each function's baseline code and array entry (its `code` unless it
    /// has an optimized version).
    baseline: &'a [(ClFuncId, ClFuncId)],
    /// The function id of each optimized version.
    versions: &'a [u32],
    /// The baseline on-stack-replacement entries: function id, loop
    /// header, entry.
    osr: &'a [(u32, u32, ClFuncId)],
}

/// Defines the bytes blob, the string, global and function tables and the
/// image that points at them all (and at the encoded IR, if any).
fn define_image(
    module: &mut ObjectModule,
    ir: &brine_ir::Module,
    script: FuncId,
    tables: &Tables,
    encoded: Option<&[u8]>,
) -> Result<DataId, String> {
    let mut blob = Blob::default();
    let strings: Vec<_> = ir.strings.iter().map(|s| blob.add(s)).collect();
    let globals: Vec<_> = ir.globals.iter().map(|s| blob.add(s)).collect();
    let names: Vec<_> = ir.functions.iter().map(|f| blob.add(&f.name)).collect();
    let encoded = encoded.map(|bytes| blob.add(bytes));
    let debug = blob.add(&brine_ir::SourceMap::of(ir).encode());

    let blob_id = module.declare_data("brine_bytes", Linkage::Local, false, false).map_err(err)?;
    let mut desc = DataDescription::new();
    desc.define(if blob.bytes.is_empty() { vec![0].into() } else { blob.bytes.into_boxed_slice() });
    module.define_data(blob_id, &desc).map_err(err)?;

    // A table of ImageBytes pointing into the blob.
    let mut bytes_table = |name: &str, items: &[(usize, usize)]| -> Result<DataId, String> {
        let id = module.declare_data(name, Linkage::Local, false, false).map_err(err)?;
        let mut data = vec![0u8; (items.len() * layout::BYTES_SIZE).max(8)];
        let mut desc = DataDescription::new();
        let blob_gv = module.declare_data_in_data(blob_id, &mut desc);
        for (i, &(offset, len)) in items.iter().enumerate() {
            let at = i * layout::BYTES_SIZE;
            put_u64(&mut data, at + 8, len as u64);
            desc.write_data_addr(at as u32, blob_gv, offset as i64);
        }
        desc.define(data.into_boxed_slice());
        desc.set_align(8);
        module.define_data(id, &desc).map_err(err)?;
        Ok(id)
    };
    let strings_id = bytes_table("brine_strings", &strings)?;
    let globals_id = bytes_table("brine_globals", &globals)?;

    let functions_id = module.declare_data("brine_functions", Linkage::Local, false, false).map_err(err)?;
    let mut data = vec![0u8; (ir.functions.len() * layout::FUNCTION_SIZE).max(8)];
    let mut desc = DataDescription::new();
    let blob_gv = module.declare_data_in_data(blob_id, &mut desc);
    for (i, f) in ir.functions.iter().enumerate() {
        let at = i * layout::FUNCTION_SIZE;
        let (offset, len) = names[i];
        desc.write_data_addr((at + layout::FUNCTION_NAME) as u32, blob_gv, offset as i64);
        put_u64(&mut data, at + layout::FUNCTION_NAME + 8, len as u64);
        put_u32(&mut data, at + layout::FUNCTION_ARITY, f.arity);
        put_u32(&mut data, at + layout::FUNCTION_NCAPTURES, f.ncaptures);
        let kind = match f.kind {
            brine_ir::FunctionKind::Script => 0,
            brine_ir::FunctionKind::Function => 1,
            brine_ir::FunctionKind::Method => 2,
            brine_ir::FunctionKind::Initializer => 3,
        };
        // Bit 8: the standard library's (see `brine_runtime::image::LIBRARY`).
        let library = if f.library { brine_runtime::image::LIBRARY } else { 0 };
        put_u32(&mut data, at + layout::FUNCTION_KIND, kind | library);
        for (field, function) in [
            (layout::FUNCTION_CODE, tables.code[i].0),
            (layout::FUNCTION_ENTRY, tables.code[i].1),
            (layout::FUNCTION_BASELINE_CODE, tables.baseline[i].0),
            (layout::FUNCTION_BASELINE_ENTRY, tables.baseline[i].1),
        ] {
            let reference = module.declare_func_in_data(function, &mut desc);
            desc.write_function_addr((at + field) as u32, reference);
        }
    }
    desc.define(data.into_boxed_slice());
    desc.set_align(8);
    module.define_data(functions_id, &desc).map_err(err)?;

    let image_id = module.declare_data("brine_image", Linkage::Local, false, false).map_err(err)?;
    let mut data = vec![0u8; layout::IMAGE_SIZE];
    let mut desc = DataDescription::new();
    put_u64(&mut data, layout::IMAGE_VERSION_AT, IMAGE_VERSION);
    put_u64(&mut data, layout::IMAGE_NFUNCTIONS, ir.functions.len() as u64);
    put_u64(&mut data, layout::IMAGE_NSTRINGS, ir.strings.len() as u64);
    put_u64(&mut data, layout::IMAGE_NGLOBALS, ir.globals.len() as u64);
    put_u64(&mut data, layout::IMAGE_SCRIPT, script.index() as u64);
    put_u64(&mut data, layout::IMAGE_NCACHES, ir.sites.len() as u64);
    for (field, id) in [
        (layout::IMAGE_FUNCTIONS, functions_id),
        (layout::IMAGE_STRINGS, strings_id),
        (layout::IMAGE_GLOBALS, globals_id),
        (layout::IMAGE_LINKS, tables.links),
        (layout::IMAGE_CACHES, tables.caches),
    ] {
        let gv = module.declare_data_in_data(id, &mut desc);
        desc.write_data_addr(field as u32, gv, 0);
    }
    if !tables.versions.is_empty() {
        let id = module.declare_data("brine_versions", Linkage::Local, false, false).map_err(err)?;
        let mut vd = DataDescription::new();
        vd.define(
            tables.versions.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>().into_boxed_slice(),
        );
        vd.set_align(8);
        module.define_data(id, &vd).map_err(err)?;
        let gv = module.declare_data_in_data(id, &mut desc);
        desc.write_data_addr(layout::IMAGE_VERSIONS as u32, gv, 0);
        put_u64(&mut data, layout::IMAGE_NVERSIONS, tables.versions.len() as u64);
    }
    if !tables.osr.is_empty() {
        let id = module.declare_data("brine_osr", Linkage::Local, false, false).map_err(err)?;
        let mut od = DataDescription::new();
        let mut bytes = vec![0u8; tables.osr.len() * layout::OSR_SIZE];
        for (k, &(func, block, entry)) in tables.osr.iter().enumerate() {
            let at = k * layout::OSR_SIZE;
            put_u32(&mut bytes, at + layout::OSR_FUNCTION, func);
            put_u32(&mut bytes, at + layout::OSR_BLOCK, block);
            let reference = module.declare_func_in_data(entry, &mut od);
            od.write_function_addr((at + layout::OSR_ENTRY) as u32, reference);
        }
        od.define(bytes.into_boxed_slice());
        od.set_align(8);
        module.define_data(id, &od).map_err(err)?;
        let gv = module.declare_data_in_data(id, &mut desc);
        desc.write_data_addr(layout::IMAGE_OSR as u32, gv, 0);
        put_u64(&mut data, layout::IMAGE_NOSR, tables.osr.len() as u64);
    }
    if let Some((offset, len)) = encoded {
        let gv = module.declare_data_in_data(blob_id, &mut desc);
        desc.write_data_addr(layout::IMAGE_IR as u32, gv, offset as i64);
        put_u64(&mut data, layout::IMAGE_IR + 8, len as u64);
    }
    let gv = module.declare_data_in_data(blob_id, &mut desc);
    desc.write_data_addr(layout::IMAGE_DEBUG as u32, gv, debug.0 as i64);
    put_u64(&mut data, layout::IMAGE_DEBUG + 8, debug.1 as u64);
    desc.define(data.into_boxed_slice());
    desc.set_align(8);
    module.define_data(image_id, &desc).map_err(err)?;
    Ok(image_id)
}

/// `int main(int argc, char **argv) { return brine_rt_main(&brine_image); }`
fn define_main(
    module: &mut ObjectModule,
    image_id: DataId,
    call_conv: cranelift_codegen::isa::CallConv,
    ctx: &mut cranelift_codegen::Context,
    fbc: &mut FunctionBuilderContext,
) -> Result<(), String> {
    let mut rt_main_sig = Signature::new(call_conv);
    rt_main_sig.params.push(AbiParam::new(types::I64));
    rt_main_sig.returns.push(AbiParam::new(types::I32));
    let rt_main = module.declare_function("brine_rt_main", Linkage::Import, &rt_main_sig).map_err(err)?;
    let mut main_sig = Signature::new(call_conv);
    main_sig.params.push(AbiParam::new(types::I32));
    main_sig.params.push(AbiParam::new(types::I64));
    main_sig.returns.push(AbiParam::new(types::I32));
    let main = module.declare_function("main", Linkage::Export, &main_sig).map_err(err)?;
    ctx.func.signature = main_sig;
    let frontend_config = module.target_config();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, fbc);
        let block = b.create_block();
        b.append_block_params_for_function_params(block);
        b.switch_to_block(block);
        b.seal_block(block);
        let gv = module.declare_data_in_func(image_id, b.func);
        let image = b.ins().symbol_value(types::I64, gv);
        let callee = module.declare_func_in_func(rt_main, b.func);
        let call = b.ins().call(callee, &[image]);
        let code = b.inst_results(call)[0];
        b.ins().return_(&[code]);
        b.finalize(frontend_config);
    }
    module.define_function(main, ctx).map_err(|e| format!("{e:?}"))?;
    module.clear_context(ctx);
    Ok(())
}
