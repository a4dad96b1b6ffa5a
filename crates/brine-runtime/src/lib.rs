//! `brine-runtime`: what every Lox program needs while it runs, whichever
//! engine runs it.
//!
//! It owns the value representation ([`value`]), the object layouts
//! ([`object`]), the heap and its mark-sweep collector ([`heap`], [`gc`]),
//! interned strings, classes, instances and their shapes, the native
//! functions (the standard library but for lists and maps), the printing
//! of values, the pending runtime error, and buffered standard output and
//! input.
//!
//! It builds for `wasm32-unknown-unknown` too (the playground, with the
//! interpreter alone): there the clock is the host's ([`time`]) and
//! [`Runtime::max_call_depth`] bounds the interpreter's recursion; every
//! native target is unaffected by either.
//!
//! It must not know how code runs: nothing here knows the IR interpreter, the
//! code generator or Lox syntax. Engines keep their Lox values where the
//! collector can see them: in [`Runtime::stack`] (the interpreter's frames),
//! or pushed as temporary roots with [`Runtime::push_root`].
//!
//! Object pointers passed to the safe methods of [`Runtime`] must point at
//! live objects of that runtime (of the kind the signature names): that is
//! the contract every engine keeps, so those methods are not `unsafe fn`.

// The methods above take object pointers by design (see the module doc).
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod abi;
pub mod engine;
pub mod gc;
pub mod heap;
pub mod ic;
pub mod image;
pub mod input;
mod intrinsics;
mod library;
pub mod natives;
pub mod number;
pub mod object;
mod objects;
pub mod ops;
pub mod output;
pub mod program;
pub mod stack;
mod strings;
#[cfg(test)]
mod tests;
pub mod time;
pub mod value;

use object::*;
pub use program::Program;
use std::collections::HashMap;
pub use value::Value;

/// The `--profile` section of [`Runtime::notes`] (empty without notes).
pub fn notes_report(rt: &Runtime) -> String {
    if rt.notes.is_empty() {
        return String::new();
    }
    let mut out = String::from("== brine profile: notes ==\n");
    for note in &rt.notes {
        out.push_str(note);
        out.push('\n');
    }
    out
}

/// A runtime error on its way out: the message and the `[line N] in f()`
/// lines that the frames it passed through have added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingError {
    pub message: String,
    pub trace: Vec<String>,
    /// A bug in Brine rather than in the Lox program: reported as an
    /// internal error, with its own exit code.
    pub internal: bool,
    /// The IR site (index in the module's sites) of the first trace line:
    /// the operation that failed in the innermost frame shown, when known.
    /// Rich diagnostics show its source.
    pub site: Option<u32>,
}

impl PendingError {
    /// An error with no trace yet.
    pub fn new(message: impl Into<String>, internal: bool) -> PendingError {
        PendingError { message: message.into(), trace: Vec::new(), internal, site: None }
    }

    /// What is printed for the error: the message, then the trace, whose
    /// middle is elided when it is very deep (runaway recursion).
    pub fn report(&self) -> String {
        const KEEP: usize = 40;
        let mut text = if self.internal {
            format!("brine: internal error: {}\n", self.message)
        } else {
            format!("{}\n", self.message)
        };
        let trace = &self.trace;
        let mut push = |lines: &[String]| {
            for line in lines {
                text.push_str(line);
                text.push('\n');
            }
        };
        if trace.len() <= 2 * KEEP {
            push(trace);
        } else {
            push(&trace[..KEEP]);
            push(&[format!("... {} more frames ...", trace.len() - 2 * KEEP)]);
            push(&trace[trace.len() - KEEP..]);
        }
        text
    }
}

/// The state of one running Lox program.
///
/// `#[repr(C)]` because compiled code reads its first fields at fixed
/// offsets (`Runtime::OFFSET_*`): keep them first and in this order.
#[repr(C)]
pub struct Runtime {
    /// "Stack overflow." once the stack pointer goes below this address
    /// (0: no limit). Read by every compiled function's prologue.
    pub stack_limit: usize,
    /// `globals.as_ptr()`, kept current: compiled code loads global slots from it.
    pub globals_base: *mut Value,
    /// Deoptimization stress (`BRINE_DEOPT_STRESS=N`): guards compiled for
    /// it count this down and fail when it reaches zero, then reset it to N.
    pub deopt_countdown: u64,
    pub heap: heap::Heap,
    /// Global variable slots; `Value::UNDEF` until defined.
    pub globals: Vec<Value>,
    /// Global name (string object) for each slot.
    pub global_names: Vec<Value>,
    global_index: HashMap<Vec<u8>, u32>,
    /// The interpreter's value stack: every slot below `len()` is a root.
    pub stack: Vec<Value>,
    /// Temporary roots pushed by Rust code that holds values across an allocation.
    roots: Vec<Value>,
    /// Values the runtime keeps for the whole run: function prototypes,
    /// string constants of loaded code. Roots.
    pub constants: Vec<Value>,
    /// The interned strings, by content. Weak: the sweep removes dead ones.
    strings: strings::StringTable,
    /// The pending runtime error, if any.
    pub error: Option<PendingError>,
    /// Buffered standard output.
    pub out: output::Output,
    /// Buffered standard input, for the natives that read it.
    pub input: input::Input,
    /// Interned "init", used for class calls.
    pub init_string: Value,
    /// The native `len`, which generated code calls inline for a string or
    /// a list (`abi::offsets::RT_LEN_NATIVE`). A global of the natives, so
    /// live.
    pub len_native: Value,
    /// The one-byte strings, made on first use (`s[i]`, `chr`): nil until
    /// then. A root of the collector.
    pub byte_strings: Box<[Value; 256]>,
    /// Collect at every allocation (`BRINE_GC_STRESS=1`), while the live
    /// heap is small (see [`STRESS_LIVE_BYTES`]).
    pub gc_stress: bool,
    /// Under GC stress, the allocations left before the next collection.
    pub(crate) gc_stress_skip: usize,
    /// Where the conservative scan of native frames stops ([`crate::stack`]): an
    /// address in a frame of this thread above every frame that runs native
    /// code, or 0 when no native frames are live (nothing is scanned).
    pub native_stack_base: usize,
    /// The collector's gray stack, kept to reuse its memory.
    gray: Vec<*mut ObjHeader>,
    /// Scratch buffer for building strings (`concat`).
    scratch: Vec<u8>,
    /// Scratch buffer for `print`.
    print_buf: Vec<u8>,
    /// The megamorphic lookup cache (see `ic`): shape, name, method or field
    /// offset, and the collection count it was filled in. Empty until a site
    /// first goes megamorphic.
    mega: Vec<(*mut ObjShape, Value, Value, u64)>,
    /// When the runtime was created (`clock()` counts from here).
    start: time::Instant,
    /// The engine that runs functions without native code and compiles hot
    /// ones, while a run that needs one is under way; see [`engine`]. The
    /// configuration that installs it keeps it alive and in place until it
    /// resets this to None.
    pub engine: Option<*const dyn engine::Engine>,
    /// A function's counter (calls plus loop iterations) at which the
    /// engine hears that it is hot ([`engine::Engine::function_hot`]).
    /// `u32::MAX`: never.
    pub tier_threshold: u32,
    /// The standard library's `List` class, once the library registered it
    /// (null before); kept alive by `constants`.
    pub list_class: *mut ObjClass,
    /// The names of a list's two fields, `$items` and `$len` (interned when
    /// `List` is registered).
    pub list_names: [Value; 2],
    /// The shape of lists whose `$items` and `$len` are slots 0 and 1 (as
    /// `List.init` and literals make them), once one was seen: the fast
    /// path of `xs[i]`. Null before.
    pub list_shape: std::cell::Cell<*mut ObjShape>,
    /// The standard library's `Map` class, once registered (null before).
    pub map_class: *mut ObjClass,
    /// A map's fields `$keys`, `$values`, `$used`, then the names of its
    /// methods `get` and `set` (interned when `Map` is registered).
    pub map_names: [Value; 5],
    /// The script's arguments (after the file name), for `args()`.
    pub script_args: Vec<Vec<u8>>,
    /// The [`ObjNative::data`] of the native being called: set when a call
    /// is planned, taken by the natives that use it.
    pub native_data: Value,
    /// What the run did that a `--profile` report should say and no
    /// counter shows: a `brine.specialize` that did not specialize, and
    /// why.
    pub notes: Vec<String>,
    /// wasm32 only: interpreter activations under way, and "Stack
    /// overflow." once they would exceed `max_call_depth` (0: no limit).
    /// A browser's engine limits wasm's call stack (about 1 MB in V8)
    /// before `stack_limit`, which measures only Rust's shadow stack in
    /// linear memory, is reached; a count of frames bounds both.
    #[cfg(target_arch = "wasm32")]
    pub call_depth: u32,
    #[cfg(target_arch = "wasm32")]
    pub max_call_depth: u32,
}

// SAFETY: a runtime exclusively owns its heap, and every raw pointer inside it
// (intern table, gray stack, object fields) points into that heap. Moving the
// whole runtime to another thread moves all of it.
unsafe impl Send for Runtime {}

impl Runtime {
    /// A fresh runtime with the native functions ([`natives`]) defined as globals.
    /// Reads `BRINE_GC_STRESS` from the environment.
    pub fn new() -> Runtime {
        let stress = std::env::var_os("BRINE_GC_STRESS").is_some_and(|v| !v.is_empty() && v != "0");
        Runtime::with_gc_stress(stress)
    }

    /// Like [`Runtime::new`], with GC stress mode set explicitly instead of
    /// read from the environment.
    pub fn with_gc_stress(gc_stress: bool) -> Runtime {
        let mut rt = Runtime {
            heap: heap::Heap::new(),
            stack_limit: 0,
            globals_base: std::ptr::null_mut(),
            deopt_countdown: 0,
            globals: Vec::new(),
            global_names: Vec::new(),
            global_index: HashMap::new(),
            stack: Vec::new(),
            roots: Vec::new(),
            constants: Vec::new(),
            strings: strings::StringTable::default(),
            error: None,
            out: output::Output::stdout(),
            input: input::Input::stdin(),
            init_string: Value::NIL,
            len_native: Value::NIL,
            byte_strings: Box::new([Value::NIL; 256]),
            gc_stress,
            gc_stress_skip: 0,
            native_stack_base: 0,
            gray: Vec::new(),
            scratch: Vec::new(),
            print_buf: Vec::new(),
            mega: Vec::new(),
            start: time::Instant::now(),
            engine: None,
            tier_threshold: u32::MAX,
            list_class: std::ptr::null_mut(),
            list_names: [Value::NIL; 2],
            list_shape: std::cell::Cell::new(std::ptr::null_mut()),
            map_class: std::ptr::null_mut(),
            map_names: [Value::NIL; 5],
            script_args: Vec::new(),
            native_data: Value::NIL,
            notes: Vec::new(),
            #[cfg(target_arch = "wasm32")]
            call_depth: 0,
            #[cfg(target_arch = "wasm32")]
            max_call_depth: 0,
        };
        // Stress mode keeps the heap's fast-path records empty, so every
        // allocation (inline ones too) reaches the collecting slow path.
        rt.heap.set_gc_stress(gc_stress);
        rt.init_string = rt.intern(b"init");
        natives::define_all(&mut rt);
        rt
    }

    // ---- roots -------------------------------------------------------------

    /// Keeps `v` alive until the matching `pop_root`.
    pub fn push_root(&mut self, v: Value) {
        self.roots.push(v);
    }
    pub fn pop_root(&mut self) {
        self.roots.pop();
    }

    // ---- strings -----------------------------------------------------------

    /// The interned string with these bytes (allocated if new).
    pub fn intern(&mut self, bytes: &[u8]) -> Value {
        if let Some(string) = self.strings.get(bytes) {
            return Value::object(string);
        }
        let string = self.alloc_string(bytes);
        self.strings.insert(string);
        Value::object(string)
    }
    /// The one-byte string of `byte`, without a lookup after the first.
    pub fn byte_string(&mut self, byte: u8) -> Value {
        let cached = self.byte_strings[byte as usize];
        if !cached.is_nil() {
            return cached;
        }
        let s = self.intern(&[byte]);
        self.byte_strings[byte as usize] = s;
        s
    }
    /// `a + b` for two string values: the interned concatenation.
    pub fn concat(&mut self, a: Value, b: Value) -> Value {
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        // SAFETY: both operands are live strings (the caller checked).
        unsafe {
            buf.extend_from_slice(objects::string_bytes(a));
            buf.extend_from_slice(objects::string_bytes(b));
        }
        // The operands are no longer needed: `intern` may collect them.
        let result = self.intern(&buf);
        if buf.capacity() <= 1 << 20 {
            self.scratch = buf;
        }
        result
    }

    // ---- globals -----------------------------------------------------------

    /// The slot of the global with this name, created (as UNDEF) on first use.
    /// Slots are stable for the whole run, so the REPL keeps its globals.
    pub fn global_slot(&mut self, name: &[u8]) -> u32 {
        if let Some(&slot) = self.global_index.get(name) {
            return slot;
        }
        let string = self.intern(name);
        let slot = self.globals.len() as u32;
        self.globals.push(Value::UNDEF);
        self.globals_base = self.globals.as_mut_ptr();
        self.global_names.push(string);
        self.global_index.insert(name.to_vec(), slot);
        slot
    }

    // ---- errors ------------------------------------------------------------

    /// Records a runtime error and returns `Value::ERROR` for the caller to
    /// propagate.
    pub fn raise(&mut self, message: impl Into<String>) -> Value {
        self.error = Some(PendingError::new(message, false));
        Value::ERROR
    }
    /// Records an internal error (a bug in Brine, not in the Lox program)
    /// and returns `Value::ERROR`; it travels like a runtime error but is
    /// reported as internal.
    pub fn raise_internal(&mut self, what: impl Into<String>) -> Value {
        self.error = Some(PendingError::new(what, true));
        Value::ERROR
    }
    /// Adds one `[line N] in name()` (or `in script`) line to the pending
    /// error's trace, for a frame the error passes through at IR site
    /// `site` (if known).
    pub fn add_trace(&mut self, line: u32, site: Option<u32>, function: Value) {
        let Some(error) = self.error.as_mut() else { return };
        if error.trace.is_empty() {
            error.site = site;
        }
        let entry = if function.is_kind(ObjKind::String) {
            // SAFETY: `function` is a live string.
            let name = unsafe { objects::string_bytes(function) };
            format!("[line {line}] in {}()", String::from_utf8_lossy(name))
        } else {
            format!("[line {line}] in script")
        };
        error.trace.push(entry);
    }
    /// Takes the pending error (the engine prints it and exits 70, or the REPL
    /// prints it and carries on).
    pub fn take_error(&mut self) -> Option<PendingError> {
        self.error.take()
    }

    // ---- objects -----------------------------------------------------------

    /// A function prototype. `name` is a string value, or nil for the script.
    /// The caller keeps it alive (typically in `constants`).
    pub fn new_function(
        &mut self,
        name: Value,
        arity: u32,
        ncaptures: u32,
        func_id: u32,
        kind: FunctionKind,
    ) -> *mut ObjFunction {
        let obj = self.alloc(std::mem::size_of::<ObjFunction>(), ObjKind::Function, &[name]);
        // SAFETY: a fresh object of the right size.
        unsafe {
            objects::init(obj, |header| ObjFunction {
                header,
                arity,
                ncaptures,
                func_id,
                kind,
                library: false,
                tier: engine::tier::INTERP,
                counter: 0,
                calls: 0,
                loops: 0,
                name,
                code: std::ptr::null(),
                entry: std::ptr::null(),
            })
        }
    }
    /// A closure of `function` with its captures set to nil; the caller fills
    /// them in through `ObjClosure::captures` before any other allocation
    /// can observe them (or roots the closure first).
    pub fn new_closure(&mut self, function: *mut ObjFunction) -> *mut ObjClosure {
        // SAFETY: `function` is a live function.
        let ncaptures = unsafe { (*function).ncaptures };
        let size = std::mem::size_of::<ObjClosure>() + ncaptures as usize * 8;
        let obj = self.alloc(size, ObjKind::Closure, &[Value::object(function)]);
        // SAFETY: a fresh object with room for `ncaptures` values.
        unsafe {
            let closure = objects::init(obj, |header| ObjClosure { header, function, ncaptures });
            let captures = ObjClosure::captures(closure);
            for i in 0..ncaptures as usize {
                captures.add(i).write(Value::NIL);
            }
            closure
        }
    }
    pub fn new_cell(&mut self, value: Value) -> *mut ObjCell {
        let obj = self.alloc(std::mem::size_of::<ObjCell>(), ObjKind::Cell, &[value]);
        // SAFETY: a fresh object of the right size.
        unsafe { objects::init(obj, |header| ObjCell { header, value }) }
    }
    /// A class with no methods and no superclass.
    pub fn new_class(&mut self, name: Value) -> *mut ObjClass {
        self.new_class_impl(name)
    }
    /// Makes `sub` inherit from `sup`: records the superclass and copies its
    /// methods down (before `sub`'s own methods are added).
    pub fn class_inherit(&mut self, sub: *mut ObjClass, sup: *mut ObjClass) {
        // SAFETY: both are live classes, whose method tables are valid.
        unsafe {
            (*sub).superclass = sup;
            if sub == sup {
                return;
            }
            let inherited = (*(*sup).methods).clone();
            (*(*sub).methods).extend(inherited);
            if (*sub).init.is_nil() {
                (*sub).init = (*sup).init;
            }
            (*sub).inline_hint = (*sub).inline_hint.max((*sup).inline_hint);
            objects::refresh_alloc_class(sub);
        }
    }
    /// Adds (or overrides) a method; `name` is a string, `method` a closure.
    pub fn class_add_method(&mut self, class: *mut ObjClass, name: Value, method: Value) {
        debug_assert!(name.is_kind(ObjKind::String));
        // SAFETY: `class` is a live class with a valid method table.
        unsafe {
            (*(*class).methods).insert(name.as_ptr(), method);
            if name == self.init_string {
                (*class).init = method;
            }
        }
    }
    /// The method named `name` (inherited ones included), or None.
    pub fn class_find_method(&self, class: *mut ObjClass, name: Value) -> Option<Value> {
        if !name.is_object() {
            return None;
        }
        // SAFETY: `class` is a live class with a valid method table.
        unsafe { (*(*class).methods).get(&name.as_ptr::<ObjString>()).copied() }
    }
    /// A fresh instance of `class`, with no fields.
    pub fn new_instance(&mut self, class: *mut ObjClass) -> *mut ObjInstance {
        self.new_instance_impl(class)
    }
    /// The field `name` of `instance`, or None.
    pub fn instance_get_field(&self, instance: *mut ObjInstance, name: Value) -> Option<Value> {
        if !name.is_object() {
            return None;
        }
        // SAFETY: `instance` is live; its shape's slot table maps each of its
        // fields to a slot below its capacity.
        unsafe {
            let slots = &*(*(*instance).shape).slots;
            slots.get(&name.as_ptr::<ObjString>()).map(|&index| *ObjInstance::slot(instance, index))
        }
    }
    /// Sets (adding if new) the field `name` of `instance`.
    pub fn instance_set_field(&mut self, instance: *mut ObjInstance, name: Value, value: Value) {
        self.instance_set_field_impl(instance, name, value)
    }
    pub fn new_bound_method(&mut self, receiver: Value, method: *mut ObjClosure) -> *mut ObjBoundMethod {
        let keep = [receiver, Value::object(method)];
        let obj = self.alloc(std::mem::size_of::<ObjBoundMethod>(), ObjKind::BoundMethod, &keep);
        // SAFETY: a fresh object of the right size.
        unsafe { objects::init(obj, |header| ObjBoundMethod { header, receiver, method }) }
    }
    pub fn new_native(&mut self, name: &str, arity: u32, function: NativeFn) -> *mut ObjNative {
        let name = self.intern(name.as_bytes());
        let obj = self.alloc(std::mem::size_of::<ObjNative>(), ObjKind::Native, &[name]);
        // SAFETY: a fresh object of the right size.
        unsafe { objects::init(obj, |header| ObjNative { header, arity, name, function, data: Value::NIL }) }
    }

    // ---- values ------------------------------------------------------------

    /// Lox `==`.
    pub fn values_equal(a: Value, b: Value) -> bool {
        if a.is_number() && b.is_number() { a.as_number() == b.as_number() } else { a == b }
    }
    /// Appends what `print` shows for `v`.
    pub fn display(&self, v: Value, out: &mut Vec<u8>) {
        self.display_value(v, out, &mut Vec::new(), false)
    }

    // ---- collection ----------------------------------------------------------

    /// Runs a full collection now.
    pub fn collect_garbage(&mut self) {
        gc::collect(self)
    }
}

/// Under GC stress, a live heap up to this size is collected at every
/// allocation; a bigger one every `live / STRESS_LIVE_BYTES` (or one more)
/// allocations.
pub const STRESS_LIVE_BYTES: usize = 256 << 10;

impl Default for Runtime {
    fn default() -> Self {
        Self::new()
    }
}
