//! Inline caches: per-site memory that baseline code checks before it calls
//! the runtime, and that the runtime fills when that check misses.
//!
//! A [`PropertyCache`] belongs to one dynamic site (property get or set,
//! method invoke, super invoke). It has up to [`IC_ENTRIES`] entries keyed
//! by the receiver's shape (by the superclass, for super invokes): the
//! cache goes monomorphic, then polymorphic, then megamorphic, where misses
//! go through a global lookup cache in the runtime (methods, and the offsets
//! of inline fields). The entries record what
//! the site saw, so a later tier can read them as type feedback.
//!
//! | site kind | `key` | `data` | `extra` |
//! |---|---|---|---|
//! | get | shape | byte offset of an inline field | — |
//! | set | shape before | byte offset of an inline field | shape after (a transition when it differs) |
//! | invoke | shape | the method (a closure value) | — |
//! | super invoke | superclass | the method (a closure value) | — |
//! | call (filled by the interpreter) | the callee (a closure value) | — | — |
//! | index get or set (filled by the interpreter) | the receiver's shape, or [`NOT_AN_INSTANCE`] | [`INDEX_LIST`] for a list of the shape generated code knows, the method for a map (`get` or `set`), [`INDEX_OTHER`] for anything else | — |
//!
//! Generated code reads entries at the offsets of [`offsets`]. Everything a
//! cache refers to is kept alive: the miss handler adds it to the runtime's
//! constants when it fills an entry (entries are never replaced, so that is
//! bounded by the number of sites).
//!
//! # Safety
//! The miss handlers are called by compiled code with the runtime pointer
//! and a pointer to the site's cache, which lives as long as the code.

use crate::Runtime;
use crate::abi::run_plan;
use crate::object::*;
use crate::value::Value;

pub const IC_ENTRIES: usize = 4;
/// `state` once more shapes than entries have been seen.
pub const MEGAMORPHIC: u32 = IC_ENTRIES as u32 + 1;

/// An index site's entries (see the table above): the key of a receiver
/// that is no instance (a string, say), which no shape's address can be.
pub const NOT_AN_INSTANCE: *mut u8 = 8 as *mut u8;
/// The data of an index site's entry for a list of `Runtime::list_shape`.
pub const INDEX_LIST: u64 = 0;
/// The data of an index site's entry for anything but a list or a map.
pub const INDEX_OTHER: u64 = 1;

#[derive(Copy, Clone, Debug)]
#[repr(C)]
pub struct IcEntry {
    pub key: *mut u8,
    pub data: u64,
    pub extra: *mut u8,
}

#[derive(Copy, Clone, Debug)]
#[repr(C)]
pub struct PropertyCache {
    pub entries: [IcEntry; IC_ENTRIES],
    /// How many different keys the site has seen (up to `MEGAMORPHIC`).
    pub state: u32,
    pub _pad: u32,
}

impl PropertyCache {
    pub const EMPTY: PropertyCache = PropertyCache {
        entries: [IcEntry { key: std::ptr::null_mut(), data: 0, extra: std::ptr::null_mut() }; IC_ENTRIES],
        state: 0,
        _pad: 0,
    };

    /// Records an entry if there is room; past that, the site is megamorphic.
    fn record(&mut self, key: *mut u8, data: u64, extra: *mut u8) -> bool {
        let used = (self.state as usize).min(IC_ENTRIES);
        if self.entries[..used].iter().any(|e| e.key == key) {
            return false;
        }
        if used < IC_ENTRIES {
            self.entries[used] = IcEntry { key, data, extra };
            self.state += 1;
            true
        } else {
            self.state = MEGAMORPHIC;
            false
        }
    }
}

/// Offsets generated code uses.
pub mod offsets {
    use super::*;
    use std::mem::{offset_of, size_of};
    pub const ENTRY_SIZE: i32 = size_of::<IcEntry>() as i32;
    pub const ENTRY_KEY: i32 = offset_of!(IcEntry, key) as i32;
    pub const ENTRY_DATA: i32 = offset_of!(IcEntry, data) as i32;
    pub const ENTRY_EXTRA: i32 = offset_of!(IcEntry, extra) as i32;
    pub const CACHE_ENTRIES: i32 = offset_of!(PropertyCache, entries) as i32;
    pub const CACHE_SIZE: usize = size_of::<PropertyCache>();
    pub const INSTANCE_SHAPE: i32 = offset_of!(ObjInstance, shape) as i32;
    pub const INSTANCE_SLOTS: i32 = size_of::<ObjInstance>() as i32;
}

/// Where a field of an instance lives, if inline: its byte offset.
///
/// # Safety
/// `instance` must be live.
unsafe fn inline_offset(instance: *mut ObjInstance, name: Value) -> Option<u64> {
    // SAFETY: the caller's contract; a live instance's shape is live.
    unsafe {
        let shape = (*instance).shape;
        let index = *(*(*shape).slots).get(&name.as_ptr::<ObjString>())?;
        (index < (*shape).inline_cap).then(|| offsets::INSTANCE_SLOTS as u64 + 8 * index as u64)
    }
}

/// The slot at byte offset `offset` of an instance (an offset the caches
/// recorded for its shape).
///
/// # Safety
/// `instance` must be live and `offset` an inline field offset of its shape.
unsafe fn field_slot(instance: *mut ObjInstance, offset: usize) -> *mut Value {
    // SAFETY: the caller's contract: the slot lies inside the instance.
    unsafe { (instance as *mut u8).add(offset) as *mut Value }
}

impl Runtime {
    /// Keeps what a cache entry refers to alive.
    fn keep(&mut self, values: &[Value]) {
        self.constants.extend_from_slice(values);
    }

    /// The megamorphic lookup cache, for sites that have seen too many
    /// shapes: `(shape, name)` to a method (a closure, for invokes) or to
    /// the byte offset of an inline field (a number, for gets and sets). A
    /// name is a field of a shape or not, so the two never collide. Cleared
    /// by every collection (entries are checked against the collection
    /// count).
    fn mega_lookup(&mut self, shape: *mut ObjShape, name: Value) -> Option<Value> {
        let epoch = self.heap.collections();
        let e = self.mega.get(mega_index(shape, name))?;
        (e.0 == shape && e.1 == name && e.3 == epoch).then_some(e.2)
    }

    /// The byte offset of field `name` in instances of `shape`, if the
    /// megamorphic cache has it.
    fn mega_field(&mut self, shape: *mut ObjShape, name: Value) -> Option<usize> {
        self.mega_lookup(shape, name).filter(|v| v.is_number()).map(|v| v.as_number() as usize)
    }

    fn mega_insert(&mut self, shape: *mut ObjShape, name: Value, method: Value) {
        let epoch = self.heap.collections();
        if self.mega.is_empty() {
            // Allocated the first time a site goes megamorphic, not at start-up.
            self.mega = vec![(std::ptr::null_mut(), Value::NIL, Value::NIL, 0); MEGA_SIZE];
        }
        self.mega[mega_index(shape, name)] = (shape, name, method, epoch);
    }
}

/// Size of the megamorphic cache (a power of two).
pub const MEGA_SIZE: usize = 1024;

fn mega_index(shape: *mut ObjShape, name: Value) -> usize {
    let h = (shape as u64 >> 4) ^ (name.0 >> 3).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h as usize) & (MEGA_SIZE - 1)
}

/// `obj.name` after a cache miss: does the get and fills the cache.
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_get_property_ic(
    rt: *mut Runtime,
    obj: Value,
    name: Value,
    cache: *mut PropertyCache,
) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).get_property_cached(obj, name, &mut *cache) }
}

impl Runtime {
    /// Records that a call site called `callee`, for the optimizer: an
    /// entry of `cache` per function prototype whose closures it called
    /// (`key`), with the closure's bits as `data` while it was always the
    /// same closure (0 once it was another one), or per class it called
    /// (`key` the class, `data` its bits). What an entry names is kept
    /// alive, so that its address names it for as long as the run lasts.
    pub fn record_call_target(&mut self, callee: Value, cache: &mut PropertyCache) {
        let key: *mut u8 = match callee.obj_kind() {
            // SAFETY: a live closure's function prototype is live.
            Some(ObjKind::Closure) => unsafe { (*callee.as_ptr::<ObjClosure>()).function as *mut u8 },
            Some(ObjKind::Class) => callee.as_ptr(),
            _ => return,
        };
        let used = (cache.state as usize).min(IC_ENTRIES);
        if let Some(entry) = cache.entries[..used].iter_mut().find(|e| e.key == key) {
            if entry.data != callee.0 {
                entry.data = 0;
            }
            return;
        }
        if cache.record(key, callee.0, std::ptr::null_mut()) {
            self.keep(&[callee]);
        }
    }

    /// The method `super.name(...)` calls on `superclass`, recording it in
    /// `cache` as a super invoke's miss does (for the optimizer).
    pub fn super_target_cached(
        &mut self,
        superclass: Value,
        name: Value,
        cache: &mut PropertyCache,
    ) -> Result<Value, Value> {
        let method = self.super_target(superclass, name)?;
        if cache.record(superclass.as_ptr(), method.0, std::ptr::null_mut()) {
            self.keep(&[superclass, method]);
        }
        Ok(method)
    }

    /// The method (or callable field) `obj.name(...)` with `argc`
    /// arguments calls, and its receiver, filling `cache` as an invoke's
    /// miss does: the interpreter calls this, so that its sites gather the
    /// same feedback native code's do. A site's cache holds the method of
    /// its own arity (see [`Runtime::library_overload`]); the megamorphic
    /// cache, which all sites share, only methods by their names.
    pub fn invoke_target_cached(
        &mut self,
        obj: Value,
        name: Value,
        argc: usize,
        cache: &mut PropertyCache,
    ) -> Result<(Value, Value), Value> {
        if !obj.is_kind(ObjKind::Instance) {
            return self.invoke_target(obj, name);
        }
        // SAFETY: `obj` is a live instance (the caller holds it); its shape
        // and slot table are live.
        unsafe {
            let instance: *mut ObjInstance = obj.as_ptr();
            let shape = (*instance).shape;
            let has_field = (*(*shape).slots).contains_key(&name.as_ptr::<ObjString>());
            let cached =
                if has_field { None } else { self.mega_lookup(shape, name).filter(|m| m.is_object()) };
            if let Some(method) = cached {
                return Ok((
                    self.library_overload(Runtime::instance_class(instance), method, name, argc),
                    obj,
                ));
            }
            let target = self.invoke_target(obj, name);
            if let Ok((named, this)) = target
                && !has_field
                && this == obj
            {
                let method = self.library_overload(Runtime::instance_class(instance), named, name, argc);
                if cache.record(shape as *mut u8, method.0, std::ptr::null_mut()) {
                    self.keep(&[Value::object(shape), method]);
                } else if cache.state == MEGAMORPHIC {
                    self.mega_insert(shape, name, named);
                }
                return Ok((method, this));
            }
            target
        }
    }

    /// Records the receiver `obj` of an index get (`set` false) or set at
    /// the site of `cache`, after the operation ran: type feedback for the
    /// optimizer, which makes a list's index a guarded array access and a
    /// map's a direct call of its method.
    pub fn record_index(&mut self, obj: Value, set: bool, cache: &mut PropertyCache) {
        if cache.state == MEGAMORPHIC {
            return;
        }
        if !obj.is_kind(ObjKind::Instance) {
            cache.record(NOT_AN_INSTANCE, INDEX_OTHER, std::ptr::null_mut());
            return;
        }
        // SAFETY: a live instance's shape is live.
        let shape = unsafe { (*obj.as_ptr::<ObjInstance>()).shape };
        let data = if self.is_list(obj) && shape == self.list_shape.get() {
            INDEX_LIST
        } else if self.is_map(obj) {
            let name = self.map_names[if set { 4 } else { 3 }];
            let class = Runtime::instance_class(obj.as_ptr::<ObjInstance>());
            self.class_find_method(class, name).map_or(INDEX_OTHER, |m| m.0)
        } else {
            INDEX_OTHER
        };
        if cache.record(shape as *mut u8, data, std::ptr::null_mut()) {
            self.keep(&[Value::object(shape)]);
            if data > INDEX_OTHER {
                self.keep(&[Value(data)]);
            }
        }
    }

    /// `obj.name`, filling `cache` as a miss does: the interpreter calls
    /// this, so that its sites gather the same feedback native code's do.
    pub fn get_property_cached(&mut self, obj: Value, name: Value, cache: &mut PropertyCache) -> Value {
        // SAFETY: `obj` is live (the caller holds it), and a field offset
        // found for its shape is inside it.
        unsafe {
            if obj.is_kind(ObjKind::Instance) {
                let instance: *mut ObjInstance = obj.as_ptr();
                let shape = (*instance).shape;
                if cache.state == MEGAMORPHIC
                    && let Some(offset) = self.mega_field(shape, name)
                {
                    return *field_slot(instance, offset);
                }
                if let Some(offset) = inline_offset(instance, name) {
                    if cache.record(shape as *mut u8, offset, std::ptr::null_mut()) {
                        self.keep(&[Value::object(shape)]);
                    } else if cache.state == MEGAMORPHIC {
                        self.mega_insert(shape, name, Value::number(offset as f64));
                    }
                }
            }
            self.get_property(obj, name)
        }
    }

    /// `obj.name = value`, filling `cache` as a miss does (see
    /// [`Runtime::get_property_cached`]).
    pub fn set_property_cached(
        &mut self,
        obj: Value,
        name: Value,
        value: Value,
        cache: &mut PropertyCache,
    ) -> Value {
        // SAFETY: `obj` is live (the caller holds it).
        unsafe {
            if !obj.is_kind(ObjKind::Instance) {
                return self.set_property(obj, name, value);
            }
            let instance: *mut ObjInstance = obj.as_ptr();
            let before = (*instance).shape;
            // A frozen shape is never a set's (a get may have put it in
            // the megamorphic cache).
            if cache.state == MEGAMORPHIC
                && !crate::object::ObjShape::is_frozen(before)
                && let Some(offset) = self.mega_field(before, name)
            {
                *field_slot(instance, offset) = value;
                return Value::NIL;
            }
            let result = self.set_property(obj, name, value);
            if result.is_error() {
                return result;
            }
            let after = (*instance).shape;
            // Cache only stores that need no allocation: an existing inline
            // slot, or a transition to a shape that already existed and keeps
            // the field inline. The megamorphic cache takes existing slots only.
            if let Some(offset) = inline_offset(instance, name) {
                if cache.record(before as *mut u8, offset, after as *mut u8) {
                    self.keep(&[Value::object(before), Value::object(after)]);
                } else if cache.state == MEGAMORPHIC && before == after {
                    self.mega_insert(before, name, Value::number(offset as f64));
                }
            }
            result
        }
    }
}

/// `obj.name = value` after a cache miss: does the set and fills the cache.
///
/// # Safety
/// See the module doc.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_set_property_ic(
    rt: *mut Runtime,
    obj: Value,
    name: Value,
    value: Value,
    cache: *mut PropertyCache,
) -> Value {
    // SAFETY: see the module doc.
    unsafe { (*rt).set_property_cached(obj, name, value, &mut *cache) }
}

/// `obj.name(args)` after a cache miss: finds the method, fills the cache
/// (or the megamorphic cache) and makes the call.
///
/// # Safety
/// See the module doc; `argv` points at `argc` values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_invoke_ic(
    rt: *mut Runtime,
    obj: Value,
    name: Value,
    argv: *const Value,
    argc: u64,
    cache: *mut PropertyCache,
) -> Value {
    // SAFETY: see the module doc; the `&mut` ends before the call.
    unsafe {
        let target = (*rt).invoke_target_cached(obj, name, argc as usize, &mut *cache);
        let (callee, this) = match target {
            Ok(t) => t,
            Err(e) => return e,
        };
        let plan = (*rt).plan_call(callee, this, argc as usize);
        run_plan(rt, plan, argv, argc as usize)
    }
}

/// `super.name(args)` after a cache miss.
///
/// # Safety
/// See the module doc; `argv` points at `argc` values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_super_invoke_ic(
    rt: *mut Runtime,
    this: Value,
    superclass: Value,
    name: Value,
    argv: *const Value,
    argc: u64,
    cache: *mut PropertyCache,
) -> Value {
    // SAFETY: see the module doc; the `&mut` ends before the call.
    unsafe {
        let method = match (*rt).super_target_cached(superclass, name, &mut *cache) {
            Ok(m) => m,
            Err(e) => return e,
        };
        let plan = (*rt).plan_call(method, this, argc as usize);
        run_plan(rt, plan, argv, argc as usize)
    }
}
