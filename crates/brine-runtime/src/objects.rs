//! Object construction and the object operations behind [`Runtime`]'s
//! methods: allocation (which decides when to collect), strings, classes and
//! shapes, instance fields, and the print text of values.

use crate::object::*;
use crate::value::Value;
use crate::{Runtime, number, strings};
use std::mem::size_of;
use std::ptr;

/// Fewest inline field slots an instance gets.
pub const MIN_INLINE_SLOTS: u32 = 4;
/// Most inline field slots an instance gets; further fields overflow.
pub const MAX_INLINE_SLOTS: u32 = 64;

/// Writes the fields of a freshly allocated object, keeping the header the
/// heap wrote, and returns the object as a `T`.
///
/// # Safety
/// `obj` must be a fresh allocation of at least `size_of::<T>()` bytes whose
/// layout starts with an `ObjHeader`.
pub(crate) unsafe fn init<T>(obj: *mut ObjHeader, make: impl FnOnce(ObjHeader) -> T) -> *mut T {
    // SAFETY: the caller's contract; the heap initialized the header.
    unsafe {
        let header = ptr::read(obj);
        let obj = obj as *mut T;
        obj.write(make(header));
        obj
    }
}

/// The bytes of a string value.
///
/// # Safety
/// `v` must be a live string; the slice must not outlive it.
pub(crate) unsafe fn string_bytes<'a>(v: Value) -> &'a [u8] {
    debug_assert!(v.is_kind(ObjKind::String));
    // SAFETY: the caller's contract.
    unsafe { ObjString::bytes(v.as_ptr()) }
}

/// A value for a possibly null object pointer (nil for null).
fn object_or_nil<T>(ptr: *mut T) -> Value {
    if ptr.is_null() { Value::NIL } else { Value::object(ptr) }
}

impl Runtime {
    /// Allocates an object of `size` bytes with its header written,
    /// collecting first when the heap says so (or always, in stress mode).
    /// `keep` are extra roots for that collection: the objects the caller is
    /// about to store in the new one. The caller initializes every field
    /// before its next allocation.
    #[inline]
    pub(crate) fn alloc(&mut self, size: usize, kind: ObjKind, keep: &[Value]) -> *mut ObjHeader {
        // The heap's fast path (a free-list pop or a bump); in stress mode
        // its class records stay empty, so every allocation gets here below.
        if let Some(obj) = self.heap.try_alloc(size, kind) {
            return obj;
        }
        self.alloc_slow(size, kind, keep)
    }

    /// The allocation slow path: collects when the heap says so (always,
    /// in stress mode), then allocates.
    #[cold]
    #[inline(never)]
    fn alloc_slow(&mut self, size: usize, kind: ObjKind, keep: &[Value]) -> *mut ObjHeader {
        let stress = self.gc_stress && {
            let due = self.gc_stress_skip == 0;
            self.gc_stress_skip = self.gc_stress_skip.saturating_sub(1);
            due
        };
        if stress || self.heap.should_collect(size) {
            let depth = self.roots.len();
            self.roots.extend_from_slice(keep);
            self.collect_garbage();
            self.roots.truncate(depth);
            if self.gc_stress {
                // A collection per allocation while the live heap is small;
                // past that, one per so many allocations that the marking
                // per allocation stays about `STRESS_LIVE_BYTES` (so stress
                // stays linear in a program's allocations). The count is
                // odd or even by turns, so a loop's allocations do not
                // always meet the collection at the same one.
                let live = self.heap.stats().bytes_allocated;
                let skip = live / crate::STRESS_LIVE_BYTES;
                self.gc_stress_skip =
                    if skip == 0 { 0 } else { skip + (self.heap.collections() as usize & 1) };
            }
        }
        self.heap.alloc(size, kind)
    }

    /// A new string object (not interned: `intern` does that).
    pub(crate) fn alloc_string(&mut self, bytes: &[u8]) -> *mut ObjString {
        debug_assert!(bytes.len() <= u32::MAX as usize, "string too long");
        let obj = self.alloc(size_of::<ObjString>() + bytes.len(), ObjKind::String, &[]);
        // SAFETY: a fresh object with room for the bytes after the struct.
        unsafe {
            let string = init(obj, |header| ObjString {
                header,
                hash: strings::hash_bytes(bytes),
                len: bytes.len() as u32,
            });
            let data = (string as *mut u8).add(size_of::<ObjString>());
            ptr::copy_nonoverlapping(bytes.as_ptr(), data, bytes.len());
            string
        }
    }

    pub(crate) fn new_class_impl(&mut self, name: Value) -> *mut ObjClass {
        let obj = self.alloc(size_of::<ObjClass>(), ObjKind::Class, &[name]);
        // SAFETY: a fresh object of the right size.
        let class = unsafe {
            init(obj, |header| ObjClass {
                header,
                name,
                superclass: ptr::null_mut(),
                init: Value::NIL,
                root_shape: ptr::null_mut(),
                inline_hint: 0,
                alloc_class: NO_ALLOC_CLASS,
                methods: Box::into_raw(Box::default()),
            })
        };
        // `new_shape` keeps the class alive while it allocates.
        let root = self.new_shape(class, ptr::null_mut(), ptr::null_mut(), MIN_INLINE_SLOTS);
        // SAFETY: `class` is live (it was kept as a root).
        unsafe { (*class).root_shape = root };
        refresh_alloc_class(class);
        class
    }

    /// A shape of `class`: the root shape (holding `inline_cap` slots
    /// inline) if `parent` is null, else the child of `parent` that adds
    /// field `key` (registered as its transition; it inherits the capacity).
    fn new_shape(
        &mut self,
        class: *mut ObjClass,
        parent: *mut ObjShape,
        key: *mut ObjString,
        inline_cap: u32,
    ) -> *mut ObjShape {
        let keep = [Value::object(class), object_or_nil(parent), object_or_nil(key)];
        let obj = self.alloc(size_of::<ObjShape>(), ObjKind::Shape, &keep);
        // SAFETY: a fresh object of the right size; `parent` (if any) is a
        // live shape with valid tables.
        unsafe {
            let (slots, slot_count, inline_cap) = if parent.is_null() {
                (PtrMap::default(), 0, inline_cap)
            } else {
                let count = (*parent).slot_count;
                let mut slots = (*(*parent).slots).clone();
                slots.insert(key, count);
                (slots, count + 1, (*parent).inline_cap)
            };
            let shape = init(obj, |header| ObjShape {
                header,
                class,
                parent,
                key,
                slot_count,
                inline_cap,
                slots: Box::into_raw(Box::new(slots)),
                transitions: Box::into_raw(Box::default()),
                frozen: ptr::null_mut(),
            });
            if !parent.is_null() {
                (*(*parent).transitions).insert(key, shape);
            }
            shape
        }
    }

    /// The shape a frozen instance of `shape` has: `shape` itself if it is
    /// frozen, else its frozen twin (made the first time).
    pub(crate) fn frozen_shape(&mut self, shape: *mut ObjShape) -> *mut ObjShape {
        // SAFETY: `shape` is a live shape with valid tables.
        unsafe {
            if ObjShape::is_frozen(shape) {
                return shape;
            }
            if !(*shape).frozen.is_null() {
                return (*shape).frozen;
            }
        }
        let obj = self.alloc(size_of::<ObjShape>(), ObjKind::Shape, &[Value::object(shape)]);
        // SAFETY: a fresh object of the right size; `shape` was kept alive
        // and its tables are valid. The twin's parent and key are the
        // original's, so its field names read as the original's do.
        unsafe {
            let twin = init(obj, |header| ObjShape {
                header: ObjHeader { flags: SHAPE_FROZEN, ..header },
                class: (*shape).class,
                parent: (*shape).parent,
                key: (*shape).key,
                slot_count: (*shape).slot_count,
                inline_cap: (*shape).inline_cap,
                slots: Box::into_raw(Box::new((*(*shape).slots).clone())),
                transitions: Box::into_raw(Box::default()),
                frozen: ptr::null_mut(),
            });
            (*shape).frozen = twin;
            twin
        }
    }

    /// The names of the fields an instance of `shape` has, in slot order
    /// (the keys of the transitions from its root shape).
    pub fn shape_field_names(&self, shape: *mut ObjShape) -> Vec<Value> {
        let mut names = Vec::new();
        let mut s = shape;
        // SAFETY: `shape` is a live shape; parents of live shapes are live,
        // and a root's parent is null.
        unsafe {
            while !s.is_null() && !(*s).key.is_null() {
                names.push(Value::object((*s).key));
                s = (*s).parent;
            }
        }
        names.reverse();
        names
    }

    /// The byte offset from an instance's start of inline slot `index`
    /// (what a specialized field load or store of that slot uses).
    pub const fn inline_slot_offset(index: u32) -> u32 {
        (std::mem::size_of::<ObjInstance>() + 8 * index as usize) as u32
    }

    /// The root shape a new instance of `class` gets: a new one when its
    /// fields no longer fit the current root's inline slots (slack
    /// tracking: instances of the class have had more fields than fit
    /// inline, or it was told to expect more). Earlier instances keep
    /// their shapes (and overflow arrays).
    pub(crate) fn settle_root(&mut self, class: *mut ObjClass) -> *mut ObjShape {
        // SAFETY: `class` is a live class with a root shape.
        let (hint, shape) = unsafe { ((*class).inline_hint, (*class).root_shape) };
        let wanted = hint.clamp(MIN_INLINE_SLOTS, MAX_INLINE_SLOTS);
        // SAFETY: as above.
        if wanted <= unsafe { (*shape).inline_cap } {
            return shape;
        }
        let shape = self.new_shape(class, ptr::null_mut(), ptr::null_mut(), wanted);
        // SAFETY: `new_shape` kept the class alive.
        unsafe { (*class).root_shape = shape };
        refresh_alloc_class(class);
        shape
    }

    /// The shape that adding field `key` to an instance of `shape` gives
    /// (which `shape` must not have): its transition, made if it is new.
    pub(crate) fn shape_child(&mut self, shape: *mut ObjShape, key: *mut ObjString) -> *mut ObjShape {
        // SAFETY: `shape` is a live shape with valid tables.
        match unsafe { (*(*shape).transitions).get(&key) } {
            Some(&child) => child,
            // SAFETY: as above; `new_shape` keeps class, parent and key alive.
            None => self.new_shape(unsafe { (*shape).class }, shape, key, 0),
        }
    }

    pub(crate) fn new_instance_impl(&mut self, class: *mut ObjClass) -> *mut ObjInstance {
        let shape = self.settle_root(class);
        // SAFETY: `shape` is live.
        let inline_cap = unsafe { (*shape).inline_cap };
        let size = size_of::<ObjInstance>() + inline_cap as usize * 8;
        let obj = self.alloc(size, ObjKind::Instance, &[Value::object(class)]);
        // SAFETY: a fresh object with room for `inline_cap` values.
        unsafe {
            let instance = init(obj, |header| ObjInstance {
                header,
                shape,
                overflow: ptr::null_mut(),
                inline_cap,
                overflow_cap: 0,
            });
            let slots = ObjInstance::inline_slots(instance);
            for i in 0..inline_cap as usize {
                slots.add(i).write(Value::NIL);
            }
            instance
        }
    }

    pub(crate) fn instance_set_field_impl(&mut self, instance: *mut ObjInstance, name: Value, value: Value) {
        debug_assert!(name.is_kind(ObjKind::String));
        let key = name.as_ptr::<ObjString>();
        // SAFETY: `instance` is live; shapes' tables are valid; slot indexes
        // stay below the capacity `ensure_capacity` provides.
        unsafe {
            let shape = (*instance).shape;
            if let Some(&index) = (*(*shape).slots).get(&key) {
                *ObjInstance::slot(instance, index) = value;
                return;
            }
            let child = match (*(*shape).transitions).get(&key) {
                Some(&child) => child,
                None => {
                    let depth = self.roots.len();
                    self.roots.extend_from_slice(&[Value::object(instance), value]);
                    let child = self.shape_child(shape, key);
                    self.roots.truncate(depth);
                    child
                }
            };
            let index = (*shape).slot_count;
            ensure_capacity(instance, index + 1);
            (*instance).shape = child;
            *ObjInstance::slot(instance, index) = value;
            let class = (*child).class;
            if index + 1 > (*class).inline_hint {
                (*class).inline_hint = index + 1;
                refresh_alloc_class(class);
            }
        }
    }

    // ---- helpers for engines -----------------------------------------------

    /// The bytes of `v` if it is a string.
    pub fn str_bytes(&self, v: Value) -> Option<&[u8]> {
        // SAFETY: `v` is a live string; the borrow of `self` keeps the
        // caller from allocating (and so collecting) while it holds the slice.
        v.is_kind(ObjKind::String).then(|| unsafe { string_bytes(v) })
    }

    /// The class of a live instance.
    pub fn instance_class(instance: *mut ObjInstance) -> *mut ObjClass {
        // SAFETY: `instance` is live, so its shape is too.
        unsafe { (*(*instance).shape).class }
    }

    /// Number of interned strings.
    pub fn string_count(&self) -> usize {
        self.strings.len()
    }
}

/// Recomputes [`ObjClass::alloc_class`] after the class's root shape or
/// size hint changed: set only while the root shape already holds as many
/// slots as the hint asks for (else the next instance needs a new root,
/// which only the runtime makes).
pub(crate) fn refresh_alloc_class(class: *mut ObjClass) {
    // SAFETY: `class` is a live class with a root shape.
    unsafe {
        let cap = (*(*class).root_shape).inline_cap;
        let wanted = (*class).inline_hint.clamp(MIN_INLINE_SLOTS, MAX_INLINE_SLOTS);
        let size = size_of::<ObjInstance>() + cap as usize * 8;
        (*class).alloc_class = match crate::heap::size_class(size) {
            Some(c) if wanted <= cap => c as u32,
            _ => NO_ALLOC_CLASS,
        };
    }
}

/// Makes room for `needed` slots, growing the overflow array.
///
/// # Safety
/// `instance` must be live.
unsafe fn ensure_capacity(instance: *mut ObjInstance, needed: u32) {
    // SAFETY: the caller's contract; the overflow array is a boxed slice of
    // `overflow_cap` values (or null).
    unsafe {
        let inline = (*instance).inline_cap;
        let old_cap = (*instance).overflow_cap;
        if needed <= inline + old_cap {
            return;
        }
        let new_cap = (needed - inline).max(old_cap * 2).max(4);
        let mut slots = Vec::with_capacity(new_cap as usize);
        let old = (*instance).overflow;
        if !old.is_null() {
            let old = Box::from_raw(ptr::slice_from_raw_parts_mut(old, old_cap as usize));
            slots.extend_from_slice(&old);
        }
        slots.resize(new_cap as usize, Value::NIL);
        (*instance).overflow = Box::into_raw(slots.into_boxed_slice()) as *mut Value;
        (*instance).overflow_cap = new_cap;
    }
}

/// Appends the print text of `v`.
pub(crate) fn display(v: Value, out: &mut Vec<u8>) {
    if v.is_number() {
        return number::format_number(v.as_number(), out);
    }
    let Some(kind) = v.obj_kind() else {
        let text: &[u8] = match v {
            Value::NIL => b"nil",
            Value::TRUE => b"true",
            Value::FALSE => b"false",
            Value::UNDEF => b"<undef>",
            _ => b"<error>",
        };
        return out.extend_from_slice(text);
    };
    // SAFETY: `v` is a live object of kind `kind`, and what it refers to is
    // live too.
    unsafe {
        match kind {
            ObjKind::String => out.extend_from_slice(string_bytes(v)),
            ObjKind::Function => display_function(v.as_ptr(), out),
            ObjKind::Closure => display_function((*v.as_ptr::<ObjClosure>()).function, out),
            ObjKind::BoundMethod => {
                let method = (*v.as_ptr::<ObjBoundMethod>()).method;
                display_function((*method).function, out)
            }
            // A function with arguments bound shows as the function.
            ObjKind::Native => match bound_function(v) {
                Some(f) => display(f, out),
                None => out.extend_from_slice(b"<native fn>"),
            },
            ObjKind::Class => display((*v.as_ptr::<ObjClass>()).name, out),
            ObjKind::Instance => {
                display((*Runtime::instance_class(v.as_ptr())).name, out);
                out.extend_from_slice(b" instance");
            }
            ObjKind::Cell => display((*v.as_ptr::<ObjCell>()).value, out),
            ObjKind::Shape => out.extend_from_slice(b"<shape>"),
            ObjKind::Array => out.extend_from_slice(b"<array>"),
            ObjKind::Free => out.extend_from_slice(b"<free>"),
        }
    }
}

/// The function a native with bound arguments calls (see
/// [`ObjNative::data`]), or None for a plain native.
pub(crate) fn bound_function(native: Value) -> Option<Value> {
    // SAFETY: `native` is a live native; its data is nil or a live array
    // whose first slot is the function.
    unsafe {
        let data = (*native.as_ptr::<ObjNative>()).data;
        if !data.is_kind(ObjKind::Array) || (*data.as_ptr::<ObjArray>()).len == 0 {
            return None;
        }
        Some(*ObjArray::items(data.as_ptr()))
    }
}

/// # Safety
/// `function` must be live.
unsafe fn display_function(function: *mut ObjFunction, out: &mut Vec<u8>) {
    // SAFETY: the caller's contract.
    let name = unsafe { (*function).name };
    if name.is_nil() {
        out.extend_from_slice(b"<script>");
    } else {
        out.extend_from_slice(b"<fn ");
        display(name, out);
        out.push(b'>');
    }
}
