//! Heap object layouts.
//!
//! Every object starts with an [`ObjHeader`]. The layouts are `#[repr(C)]`
//! and fixed: native code (the code generator) loads and stores their fields
//! at the offsets these structs define, so a change here is a change to the
//! code generator's ABI too.
//!
//! Objects are allocated only by the heap (`crate::heap`), never on the Rust
//! stack or with `Box`. Pointers between objects are raw pointers, kept alive
//! by the mark phase (`crate::gc`). Rust-owned side tables inside an object
//! (method tables, shape maps) are dropped when the sweep frees the object.

use crate::value::Value;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for maps keyed by object pointers (interned strings, shapes):
/// the keys are distinct addresses, so one multiply mixes them well enough,
/// far cheaper than the default SipHash.
#[derive(Default, Clone, Copy)]
pub struct PtrHasher(u64);

impl Hasher for PtrHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

/// A map keyed by object pointers.
pub type PtrMap<K, V> = HashMap<K, V, BuildHasherDefault<PtrHasher>>;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ObjKind {
    /// A free heap cell (on a free list). Never reachable from a value.
    Free = 0,
    String = 1,
    Function = 2,
    Closure = 3,
    Cell = 4,
    Class = 5,
    Instance = 6,
    BoundMethod = 7,
    Native = 8,
    Shape = 9,
    Array = 10,
}

#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct ObjHeader {
    pub kind: ObjKind,
    /// Set by the mark phase, cleared by the sweep.
    pub marked: bool,
    /// Heap bookkeeping (the size class index, or `LARGE`).
    pub size_class: u8,
    pub flags: u8,
    /// Kind-specific small field (unused by most kinds).
    pub aux: u32,
}

/// An interned, immutable byte string. The bytes follow the struct.
#[repr(C)]
pub struct ObjString {
    pub header: ObjHeader,
    /// FNV-1a hash of the bytes.
    pub hash: u32,
    pub len: u32,
    // `len` bytes follow.
}

impl ObjString {
    /// The string's bytes.
    ///
    /// # Safety
    /// `this` must point at a live string object.
    pub unsafe fn bytes<'a>(this: *const ObjString) -> &'a [u8] {
        // SAFETY: the heap allocates `len` bytes directly after the struct,
        // and strings are immutable.
        unsafe {
            let data = (this as *const u8).add(std::mem::size_of::<ObjString>());
            std::slice::from_raw_parts(data, (*this).len as usize)
        }
    }
}

/// What kind of Lox function an IR function is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FunctionKind {
    Script = 0,
    Function = 1,
    Method = 2,
    Initializer = 3,
}

/// A function prototype: one per IR function, created when a module is loaded.
#[repr(C)]
pub struct ObjFunction {
    pub header: ObjHeader,
    pub arity: u32,
    /// Number of captured values a closure of this function holds.
    pub ncaptures: u32,
    /// The IR function id (`brine_ir::FuncId`) inside the runtime's module.
    pub func_id: u32,
    pub kind: FunctionKind,
    /// The standard library's: its frames are left out of error traces.
    pub library: bool,
    /// Which code the code slot holds ([`crate::engine::tier`]).
    pub tier: u8,
    /// Calls plus loop iterations since the last tier change, for tier-up.
    pub counter: u32,
    /// Calls, for `--profile`: counted by the interpreter always, by native
    /// code only when it was compiled for profiling.
    pub calls: u64,
    /// Loop iterations (back edges taken) in the interpreter, for
    /// `--profile`: with `calls`, an operation count of a run.
    pub loops: u64,
    /// The function's name (a string), or nil for the script.
    pub name: Value,
    /// The code slot: the entry every call from compiled code jumps
    /// through, `fn(rt, callee, this, arg0, .., argN-1) -> value`. While
    /// `tier` is `INTERP` it holds a stub that enters the interpreter
    /// through the runtime's engine, or null in a run that has no native
    /// code at all.
    pub code: *const u8,
    /// The same code behind a fixed signature, for calls from Rust:
    /// [`ArrayEntry`]. Meaningful only while `tier` is above `INTERP`.
    pub entry: *const u8,
}

/// The signature of [`ObjFunction::entry`]: the runtime, the callee closure,
/// the receiver (nil for a plain function) and a pointer to the arguments.
pub type ArrayEntry = unsafe extern "C" fn(*mut crate::Runtime, Value, Value, *const Value) -> Value;

/// A function value: a prototype plus its captured values.
#[repr(C)]
pub struct ObjClosure {
    pub header: ObjHeader,
    pub function: *mut ObjFunction,
    pub ncaptures: u32,
    // `ncaptures` Values follow.
}

impl ObjClosure {
    /// Pointer to the first captured value.
    ///
    /// # Safety
    /// `this` must point at a live closure.
    pub unsafe fn captures(this: *mut ObjClosure) -> *mut Value {
        // SAFETY: the heap allocates `ncaptures` Values after the struct,
        // whose size is a multiple of 8.
        unsafe { (this as *mut u8).add(std::mem::size_of::<ObjClosure>()) as *mut Value }
    }
}

/// A heap cell holding a captured variable that is assigned.
#[repr(C)]
pub struct ObjCell {
    pub header: ObjHeader,
    pub value: Value,
}

/// [`ObjClass::alloc_class`] when instances must be made by the runtime.
pub const NO_ALLOC_CLASS: u32 = u32::MAX;

#[repr(C)]
pub struct ObjClass {
    pub header: ObjHeader,
    pub name: Value,
    /// The superclass, or null.
    pub superclass: *mut ObjClass,
    /// The `init` method (a closure value), or nil. Cached from `methods`.
    pub init: Value,
    /// The shape of a fresh instance of this class (no fields).
    pub root_shape: *mut ObjShape,
    /// How many inline field slots new instances get: the most fields any
    /// instance of the class has had so far (slack tracking).
    pub inline_hint: u32,
    /// The heap size class a new instance is allocated from, when its
    /// layout is settled (`root_shape` holds `inline_hint` slots); else
    /// [`NO_ALLOC_CLASS`] and instances are made by the runtime, which
    /// settles it. Generated code allocates inline when it is set.
    pub alloc_class: u32,
    /// Method name (string object) to closure value. Inherited methods are
    /// copied down when the class inherits. Owned by Rust; dropped on sweep.
    pub methods: *mut PtrMap<*mut ObjString, Value>,
}

/// A hidden class: maps field names to slot indexes. Shapes form a tree per
/// class: adding a field follows (or creates) a transition to a child shape.
#[repr(C)]
pub struct ObjShape {
    pub header: ObjHeader,
    pub class: *mut ObjClass,
    pub parent: *mut ObjShape,
    /// The field added by the transition from the parent (null for a root).
    pub key: *mut ObjString,
    /// Number of fields an instance with this shape has.
    pub slot_count: u32,
    /// How many slots instances of this shape hold inline: slot `i` is
    /// inline exactly when `i < inline_cap`. A root shape fixes it for its
    /// whole tree, so a shape alone tells where a field lives (what inline
    /// caches rely on).
    pub inline_cap: u32,
    /// Field name to slot index. Owned by Rust; dropped on sweep.
    pub slots: *mut PtrMap<*mut ObjString, u32>,
    /// Field name to child shape. Owned by Rust; dropped on sweep.
    pub transitions: *mut PtrMap<*mut ObjString, *mut ObjShape>,
    /// The shape a frozen instance of this shape gets (`brine.freeze`,
    /// DESIGN.md section 9), once one was frozen; null before. It has the
    /// same class and slots, no transitions, and [`SHAPE_FROZEN`] in its
    /// header's flags. No inline cache of a property set records a frozen
    /// shape, so every set on a frozen instance reaches the runtime, which
    /// refuses it.
    pub frozen: *mut ObjShape,
}

/// [`ObjHeader::flags`] of a shape whose instances are frozen.
pub const SHAPE_FROZEN: u8 = 1;

impl ObjShape {
    /// Whether instances of `shape` are frozen.
    ///
    /// # Safety
    /// `shape` must point at a live shape.
    pub unsafe fn is_frozen(shape: *const ObjShape) -> bool {
        // SAFETY: the caller's contract.
        unsafe { (*shape).header.flags & SHAPE_FROZEN != 0 }
    }
}

#[repr(C)]
pub struct ObjInstance {
    pub header: ObjHeader,
    pub shape: *mut ObjShape,
    /// Slots past `inline_cap` live here (allocated by Rust, length
    /// `overflow_cap`), or null.
    pub overflow: *mut Value,
    pub inline_cap: u32,
    pub overflow_cap: u32,
    // `inline_cap` Values follow.
}

impl ObjInstance {
    /// Pointer to the first inline slot.
    ///
    /// # Safety
    /// `this` must point at a live instance.
    pub unsafe fn inline_slots(this: *mut ObjInstance) -> *mut Value {
        // SAFETY: the heap allocates `inline_cap` Values after the struct.
        unsafe { (this as *mut u8).add(std::mem::size_of::<ObjInstance>()) as *mut Value }
    }

    /// Pointer to slot `index` (inline or overflow).
    ///
    /// # Safety
    /// `this` must point at a live instance and `index` must be below
    /// `inline_cap + overflow_cap`.
    #[inline]
    pub unsafe fn slot(this: *mut ObjInstance, index: u32) -> *mut Value {
        // SAFETY: the caller's contract: the index is inside the inline
        // slots or the overflow array.
        unsafe {
            let inline = (*this).inline_cap;
            if index < inline {
                Self::inline_slots(this).add(index as usize)
            } else {
                debug_assert!(index - inline < (*this).overflow_cap);
                (*this).overflow.add((index - inline) as usize)
            }
        }
    }
}

#[repr(C)]
pub struct ObjBoundMethod {
    pub header: ObjHeader,
    pub receiver: Value,
    pub method: *mut ObjClosure,
}

/// The signature of a native function: the runtime, the arguments, their count.
/// Returns the result, or `Value::ERROR` after raising a runtime error.
pub type NativeFn = fn(&mut crate::Runtime, &[Value]) -> Value;

#[repr(C)]
pub struct ObjNative {
    pub header: ObjHeader,
    /// Expected number of arguments.
    pub arity: u32,
    pub name: Value,
    pub function: NativeFn,
    /// What the native is bound to, or nil: a raw array `[f, c1, .., ck]`
    /// for a function with its first arguments bound (what
    /// `brine.specialize` returns when it does not specialize). A call
    /// finds it in [`crate::Runtime::native_data`].
    pub data: Value,
}

/// An array of values: the raw primitive under the standard library's
/// lists and maps (DESIGN.md section 10). Its length changes only by
/// [`crate::Runtime::grow_array`], which the library's lists use to grow
/// in place.
#[repr(C)]
pub struct ObjArray {
    pub header: ObjHeader,
    pub len: u32,
    pub _pad: u32,
    /// The `len` slots: the inline ones right after this struct (as many
    /// as the array was made with), or, once the array has grown, a
    /// buffer of exactly `len` Values from the global allocator that the
    /// array owns (its finalizer frees it). Generated code reads it at
    /// `abi::offsets::ARRAY_ITEMS`.
    pub items: *mut Value,
    // The inline slots follow.
}

impl ObjArray {
    /// Pointer to the first element.
    ///
    /// # Safety
    /// `this` must point at a live array.
    pub unsafe fn items(this: *mut ObjArray) -> *mut Value {
        // SAFETY: the caller's contract.
        unsafe { (*this).items }
    }

    /// Pointer to where the inline slots start (there may be none).
    ///
    /// # Safety
    /// `this` must point at an array.
    pub unsafe fn inline_items(this: *mut ObjArray) -> *mut Value {
        // SAFETY: the heap allocates the inline slots after the struct.
        unsafe { (this as *mut u8).add(std::mem::size_of::<ObjArray>()) as *mut Value }
    }

    /// Whether the slots are a buffer of their own (the array grew).
    ///
    /// # Safety
    /// `this` must point at a live array.
    pub unsafe fn owns_buffer(this: *mut ObjArray) -> bool {
        // SAFETY: the caller's contract.
        unsafe { (*this).items != Self::inline_items(this) }
    }

    /// The layout of an owned buffer of `len` slots.
    pub fn buffer_layout(len: usize) -> std::alloc::Layout {
        std::alloc::Layout::array::<Value>(len).expect("array lengths are 32-bit")
    }
}
