//! The program image of a built executable: what `brine build` puts in the
//! object file next to the machine code, and how the runtime loads it.
//!
//! The code generator writes these `#[repr(C)]` tables as data with
//! relocations; at start-up [`load_and_run`] creates the runtime objects
//! they describe and fills the link table through which compiled code reaches
//! them: first one word per string constant (its value), then one per
//! function (its prototype), then one per global (its slot index).
//!
//! An executable built with `--jit` also carries its program's IR (the
//! binary encoding of `brine_ir::binary`), and its runtime, which has the
//! tier manager, loads the module itself and links the image to that
//! ([`link_program`]): the same tables, with the objects a [`Program`]
//! made.

use crate::ic::PropertyCache;
use crate::object::FunctionKind;
use crate::value::Value;
use crate::{PendingError, Program, Runtime, abi, stack};

/// Bumped whenever these layouts change.
pub const IMAGE_VERSION: u64 = 6;

#[repr(C)]
pub struct ImageBytes {
    pub ptr: *const u8,
    pub len: u64,
}

impl ImageBytes {
    /// # Safety
    /// `ptr` must point at `len` readable bytes that live as long as `'a`.
    pub unsafe fn bytes<'a>(&self) -> &'a [u8] {
        if self.len == 0 {
            &[]
        } else {
            // SAFETY: the caller's contract.
            unsafe { std::slice::from_raw_parts(self.ptr, self.len as usize) }
        }
    }
}

#[repr(C)]
pub struct ImageFunction {
    /// The Lox name (empty for the script).
    pub name: ImageBytes,
    pub arity: u32,
    pub ncaptures: u32,
    /// A [`FunctionKind`] as u32.
    pub kind: u32,
    pub _pad: u32,
    /// The fast entry (the code slot's value).
    pub code: *const u8,
    /// The array entry.
    pub entry: *const u8,
    /// Its baseline code and array entry, for when a guard of optimized
    /// code fails (the same as `code` and `entry` if it has none).
    pub baseline_code: *const u8,
    pub baseline_entry: *const u8,
}

#[repr(C)]
pub struct Image {
    pub version: u64,
    pub nfunctions: u64,
    pub functions: *const ImageFunction,
    pub nstrings: u64,
    pub strings: *const ImageBytes,
    pub nglobals: u64,
    pub globals: *const ImageBytes,
    /// `nstrings + nfunctions + nglobals` words, written at start-up.
    pub links: *mut u64,
    /// The script's function index.
    pub script: u64,
    /// The inline caches of the code, one per site (zeroed data).
    pub caches: *mut PropertyCache,
    pub ncaches: u64,
    /// The module in the binary encoding (`--jit` and `-O2` builds; else
    /// empty). After its functions come the optimized versions.
    pub ir: ImageBytes,
    /// The function id of each optimized version (`-O2`).
    pub nversions: u64,
    pub versions: *const u32,
    /// Entries into the baseline code of functions that may deoptimize,
    /// at their loop headers (`-O2`).
    pub nosr: u64,
    pub osr: *const ImageOsr,
    /// The program's sources and each site's span (`brine_ir::SourceMap`,
    /// encoded), for rich runtime errors; every build carries it.
    pub debug: ImageBytes,
}

impl Image {
    /// The class link slots (`brine_ir::symbol::link`): the link table's
    /// words after its strings, functions and globals.
    pub fn class_links(&self) -> *mut u64 {
        // The table has room for them (the code generator sized it).
        self.links.wrapping_add((self.nstrings + self.nfunctions + self.nglobals) as usize)
    }
}

/// An on-stack-replacement entry into baseline code ([`crate::engine::OsrEntry`]).
#[repr(C)]
pub struct ImageOsr {
    pub function: u32,
    /// The loop header (an IR block number).
    pub block: u32,
    pub entry: *const u8,
}

/// A class whose layout and methods code optimized ahead of time names by
/// its link slots (`brine_ir::symbol::ClassLinks`): compiled code calls
/// [`link_class`] (through `brine_link_class`) with the class once the
/// script has declared it.
#[repr(C)]
pub struct ImageClass {
    /// The link table: the string constants' values first.
    pub links: *mut u64,
    /// The index in `links` of the class's first slot.
    pub first: u64,
    pub npath: u32,
    pub nmethods: u32,
    /// String ids: the fields its initializer adds, in order.
    pub path: *const u32,
    /// String ids: the methods code calls directly.
    pub methods: *const u32,
}

/// Fills the link slots of `class`, a class the script has just declared
/// (with its methods), as `desc` describes them: the class value; the
/// shape after each prefix of its initializer's fields, made now (the
/// root first gets room for them all inline, as its first instance would);
/// each method's closure. When the class is not what the code was
/// compiled for (a method is missing, or the fields do not fit inline),
/// the slots stay 0, which every guard of them fails.
///
/// The shapes are kept alive for the rest of the run (as constants): code
/// compares shapes with them, and a shape freed and reused for another
/// would pass such a guard.
///
/// # Safety
/// `desc` must be a class table of the running image (its pointers valid
/// for its counts, its string ids those of the link table's strings).
pub unsafe fn link_class(rt: &mut Runtime, class: Value, desc: &ImageClass) {
    if !class.is_kind(crate::object::ObjKind::Class) {
        return;
    }
    let class_ptr = class.as_ptr::<crate::object::ObjClass>();
    // SAFETY: the caller's contract: the tables are valid, and the string
    // slots hold interned strings (constants, so live).
    let (path, methods): (Vec<Value>, Vec<Value>) = unsafe {
        let names = |ids: *const u32, n: u32| -> Vec<Value> {
            (0..n as usize).map(|k| Value(*desc.links.add(*ids.add(k) as usize))).collect()
        };
        (names(desc.path, desc.npath), names(desc.methods, desc.nmethods))
    };
    let mut closures = Vec::with_capacity(methods.len());
    for name in &methods {
        // SAFETY: `class_ptr` is a live class (the caller holds it); its
        // method table is valid.
        match unsafe { (*(*class_ptr).methods).get(&name.as_ptr()) } {
            Some(&closure) => closures.push(closure),
            None => return,
        }
    }
    rt.expect_fields(class_ptr, desc.npath);
    let mut shape = rt.settle_root(class_ptr);
    let mut shapes = vec![shape];
    for name in &path {
        // Each shape is reachable from the class (its root's transitions),
        // which the caller holds, while the next is made.
        // SAFETY: `shape` is live, with valid tables.
        if unsafe { (*(*shape).slots).contains_key(&name.as_ptr()) } {
            return;
        }
        shape = rt.shape_child(shape, name.as_ptr());
        shapes.push(shape);
    }
    // SAFETY: `shape` is live.
    if unsafe { (*shape).inline_cap } < desc.npath {
        return;
    }
    let slots =
        std::iter::once(class.0).chain(shapes.iter().map(|&s| s as u64)).chain(closures.iter().map(|c| c.0));
    for (k, bits) in slots.enumerate() {
        // SAFETY: the caller's contract: the class's slots are in the table.
        unsafe { *desc.links.add(desc.first as usize + k) = bits };
    }
    rt.constants.extend(shapes.iter().map(|&s| Value::object(s)));
}

/// Byte offsets of the fields, for the code generator.
pub mod layout {
    use super::*;
    use std::mem::{offset_of, size_of};
    pub const BYTES_SIZE: usize = size_of::<ImageBytes>();
    pub const FUNCTION_SIZE: usize = size_of::<ImageFunction>();
    pub const FUNCTION_NAME: usize = offset_of!(ImageFunction, name);
    pub const FUNCTION_ARITY: usize = offset_of!(ImageFunction, arity);
    pub const FUNCTION_NCAPTURES: usize = offset_of!(ImageFunction, ncaptures);
    pub const FUNCTION_KIND: usize = offset_of!(ImageFunction, kind);
    pub const FUNCTION_CODE: usize = offset_of!(ImageFunction, code);
    pub const FUNCTION_ENTRY: usize = offset_of!(ImageFunction, entry);
    pub const FUNCTION_BASELINE_CODE: usize = offset_of!(ImageFunction, baseline_code);
    pub const FUNCTION_BASELINE_ENTRY: usize = offset_of!(ImageFunction, baseline_entry);
    pub const IMAGE_SIZE: usize = size_of::<Image>();
    pub const IMAGE_VERSION_AT: usize = offset_of!(Image, version);
    pub const IMAGE_NFUNCTIONS: usize = offset_of!(Image, nfunctions);
    pub const IMAGE_FUNCTIONS: usize = offset_of!(Image, functions);
    pub const IMAGE_NSTRINGS: usize = offset_of!(Image, nstrings);
    pub const IMAGE_STRINGS: usize = offset_of!(Image, strings);
    pub const IMAGE_NGLOBALS: usize = offset_of!(Image, nglobals);
    pub const IMAGE_GLOBALS: usize = offset_of!(Image, globals);
    pub const IMAGE_LINKS: usize = offset_of!(Image, links);
    pub const IMAGE_SCRIPT: usize = offset_of!(Image, script);
    pub const IMAGE_CACHES: usize = offset_of!(Image, caches);
    pub const IMAGE_NCACHES: usize = offset_of!(Image, ncaches);
    pub const IMAGE_IR: usize = offset_of!(Image, ir);
    pub const IMAGE_NVERSIONS: usize = offset_of!(Image, nversions);
    pub const IMAGE_VERSIONS: usize = offset_of!(Image, versions);
    pub const IMAGE_NOSR: usize = offset_of!(Image, nosr);
    pub const IMAGE_OSR: usize = offset_of!(Image, osr);
    pub const IMAGE_DEBUG: usize = offset_of!(Image, debug);
    pub const OSR_SIZE: usize = size_of::<ImageOsr>();
    pub const OSR_FUNCTION: usize = offset_of!(ImageOsr, function);
    pub const OSR_BLOCK: usize = offset_of!(ImageOsr, block);
    pub const OSR_ENTRY: usize = offset_of!(ImageOsr, entry);
    pub const CLASS_SIZE: usize = size_of::<ImageClass>();
    pub const CLASS_LINKS: usize = offset_of!(ImageClass, links);
    pub const CLASS_FIRST: usize = offset_of!(ImageClass, first);
    pub const CLASS_NPATH: usize = offset_of!(ImageClass, npath);
    pub const CLASS_NMETHODS: usize = offset_of!(ImageClass, nmethods);
    pub const CLASS_PATH: usize = offset_of!(ImageClass, path);
    pub const CLASS_METHODS: usize = offset_of!(ImageClass, methods);
}

/// The bit of a function's kind word that marks the standard library's
/// functions (whose frames are left out of error traces).
pub const LIBRARY: u32 = 1 << 8;

fn kind_from_u32(k: u32) -> FunctionKind {
    match k & !LIBRARY {
        0 => FunctionKind::Script,
        2 => FunctionKind::Method,
        3 => FunctionKind::Initializer,
        _ => FunctionKind::Function,
    }
}

/// The error of an image this runtime cannot load.
fn version_error(image: &Image) -> Option<PendingError> {
    (image.version != IMAGE_VERSION).then(|| {
        let message = format!(
            "the program image is of version {}, but this runtime loads version {IMAGE_VERSION}",
            image.version
        );
        PendingError::new(message, true)
    })
}

/// Links `image` to `program`, a module decoded from the image's own IR
/// and loaded into the runtime ([`Program::sync`], after
/// [`Program::use_caches`] with the image's caches): fills the link table
/// with the program's strings, prototypes and global slots, and gives each
/// prototype the image's code, as baseline code.
///
/// # Safety
/// `image` must be a well-formed image whose code was compiled against
/// this runtime's ABI, from the module `program` holds.
pub unsafe fn link_program(image: &Image, program: &Program) -> Result<(), PendingError> {
    if let Some(e) = version_error(image) {
        return Err(e);
    }
    let (strings, functions, globals) =
        (program.strings(), program.function_objects(), program.global_slots());
    if (strings.len(), functions.len(), globals.len())
        != (image.nstrings as usize, image.nfunctions as usize, image.nglobals as usize)
    {
        return Err(PendingError::new("the program's IR does not match its code", true));
    }
    let (ns, nf) = (strings.len(), functions.len());
    // SAFETY: the caller's contract: the link table has room for every
    // string, function and global, and the function table for every
    // function; the program's prototypes are live (its constants).
    unsafe {
        for (i, v) in strings.iter().enumerate() {
            *image.links.add(i) = v.0;
        }
        for (i, &slot) in globals.iter().enumerate() {
            *image.links.add(ns + nf + i) = slot as u64;
        }
        for (i, &proto) in functions.iter().enumerate() {
            let f = &*image.functions.add(i);
            (*proto).code = f.code;
            (*proto).entry = f.entry;
            (*proto).tier = crate::engine::tier::BASELINE;
            *image.links.add(ns + i) = proto as u64;
        }
    }
    Ok(())
}

/// Loads `image` into `rt` (creating its strings, globals and function
/// prototypes and filling its link table) and runs its script. Returns the
/// pending error if the script failed.
///
/// # Safety
/// `image` must be a well-formed image whose code was compiled against this
/// runtime's ABI, and this thread must have the stack `stack_size` says.
pub unsafe fn load_and_run(rt: &mut Runtime, image: &Image, stack_size: usize) -> Result<(), PendingError> {
    // SAFETY: the caller's contract: every pointer in the image is valid
    // for the counts it gives, and lives for the whole program.
    unsafe {
        if let Some(e) = version_error(image) {
            return Err(e);
        }
        let links = image.links;
        let ns = image.nstrings as usize;
        let nf = image.nfunctions as usize;
        for i in 0..ns {
            let v = rt.intern((*image.strings.add(i)).bytes());
            rt.constants.push(v);
            *links.add(i) = v.0;
        }
        for i in 0..image.nglobals as usize {
            let slot = rt.global_slot((*image.globals.add(i)).bytes());
            *links.add(ns + nf + i) = slot as u64;
        }
        for i in 0..nf {
            let f = &*image.functions.add(i);
            let kind = kind_from_u32(f.kind);
            let name = if kind == FunctionKind::Script { Value::NIL } else { rt.intern(f.name.bytes()) };
            rt.push_root(name);
            let proto = rt.new_function(name, f.arity, f.ncaptures, i as u32, kind);
            rt.pop_root();
            (*proto).code = f.code;
            (*proto).entry = f.entry;
            (*proto).tier = crate::engine::tier::BASELINE;
            (*proto).library = f.kind & LIBRARY != 0;
            rt.constants.push(Value::object(proto));
            *links.add(ns + i) = proto as u64;
        }
        let script = *links.add(ns + image.script as usize) as *mut crate::object::ObjFunction;
        run_script(rt, script, stack_size)
    }
}

/// Runs a built program's script (prototype `script`, with native code)
/// with the "Stack overflow." limit `stack_size` below this frame, then
/// flushes stdout. Returns the pending error if the script failed.
///
/// # Safety
/// `script` is a live prototype whose code was compiled against this
/// runtime, and this thread has the stack `stack_size` says.
pub unsafe fn run_script(
    rt: &mut Runtime,
    script: *mut crate::object::ObjFunction,
    stack_size: usize,
) -> Result<(), PendingError> {
    // SAFETY: the caller's contract.
    let result = unsafe {
        stack::with_native_frames(rt, |rt| {
            let marker = 0u8;
            let here = std::ptr::addr_of!(marker) as usize;
            rt.stack_limit = here.saturating_sub(stack_size);
            let closure = rt.new_closure(script);
            abi::call_closure(rt, closure, Value::NIL, std::ptr::null())
        })
    };
    rt.out.flush();
    match rt.take_error() {
        Some(e) if result.is_error() => Err(e),
        _ => Ok(()),
    }
}

/// The stack a built program runs on: 100,000 Lox frames must fit.
pub const STACK_SIZE: usize = 256 << 20;
/// Headroom below the "Stack overflow." limit for runtime code.
pub const STACK_MARGIN: usize = 4 << 20;
/// A Lox runtime error's exit code.
pub const EXIT_RUNTIME: i32 = 70;
/// A bug in Brine (never a Lox error's code), as `brine` exits.
pub const EXIT_INTERNAL: i32 = 101;

/// Runs `program` on a thread with [`STACK_SIZE`] bytes of stack, and
/// returns its exit code: the process side of a built executable's `main`,
/// shared by the runtime libraries with and without the JIT.
pub fn on_program_thread(program: impl FnOnce() -> i32 + Send + 'static) -> i32 {
    let thread = std::thread::Builder::new().name("lox".into()).stack_size(STACK_SIZE).spawn(program);
    match thread.map(|t| t.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("brine: internal error: the program thread failed");
            EXIT_INTERNAL
        }
    }
}
