//! The mark-sweep collector (DESIGN.md section 6).
//!
//! Marking starts from the runtime's roots. Precise roots: `globals`,
//! `global_names`, `stack` (all of it), the temporary roots of
//! `Runtime::push_root`, `constants` and `init_string`. Conservative roots,
//! when `Runtime::native_stack_base` is set: every object that a word of the
//! native machine stack (or a callee-saved register) refers to
//! ([`crate::stack`]). Marking uses an explicit gray stack, so deep
//! structures (long linked lists) never recurse on the Rust stack. Interned strings are weak: the intern table drops the ones
//! marking did not reach. Then the heap sweeps (`crate::heap::Heap::sweep`),
//! calling `finalize` on each dead object to drop its Rust-owned side tables.

use crate::Runtime;
use crate::object::*;
use crate::value::Value;
use std::ptr;

/// Runs a full collection.
pub(crate) fn collect(rt: &mut Runtime) {
    let mut marker = Marker { gray: std::mem::take(&mut rt.gray) };
    for &v in rt.globals.iter().chain(&rt.global_names).chain(&rt.stack).chain(&rt.roots).chain(&rt.constants)
    {
        marker.value(v);
    }
    marker.value(rt.init_string);
    crate::stack::scan_native_stack(&rt.heap, rt.native_stack_base, &mut |obj| marker.object(obj));
    marker.drain();
    rt.gray = marker.gray;
    rt.strings.remove_unmarked();
    rt.heap.sweep();
}

struct Marker {
    gray: Vec<*mut ObjHeader>,
}

impl Marker {
    #[inline]
    fn value(&mut self, v: Value) {
        if v.is_object() {
            self.object(v.as_ptr::<ObjHeader>());
        }
    }

    /// Marks `obj` (null is ignored) and queues it for tracing.
    #[inline]
    fn object<T>(&mut self, obj: *mut T) {
        let obj = obj as *mut ObjHeader;
        if obj.is_null() {
            return;
        }
        // SAFETY: every non-null object pointer the collector meets comes
        // from a root, a live object's field or `Heap::find_object` (the
        // stack scan), and so points at a live object (all layouts start
        // with the header).
        unsafe {
            debug_assert!((*obj).kind != ObjKind::Free, "GC reached a freed object at {obj:?}");
            if (*obj).marked {
                return;
            }
            (*obj).marked = true;
            // Strings hold no references: no need to trace them.
            if (*obj).kind != ObjKind::String {
                self.gray.push(obj);
            }
        }
    }

    fn drain(&mut self) {
        while let Some(obj) = self.gray.pop() {
            // SAFETY: only live objects are pushed on the gray stack.
            unsafe { self.trace(obj) };
        }
    }

    /// Marks everything `obj` refers to.
    ///
    /// # Safety
    /// `obj` must be a live, initialized object.
    unsafe fn trace(&mut self, obj: *mut ObjHeader) {
        // SAFETY: the caller's contract; each cast matches the kind, and the
        // side tables of a live object are valid (or null).
        unsafe {
            match (*obj).kind {
                ObjKind::Free => debug_assert!(false, "tracing a free cell"),
                ObjKind::String => {}
                ObjKind::Function => self.value((*(obj as *mut ObjFunction)).name),
                ObjKind::Closure => {
                    let closure = obj as *mut ObjClosure;
                    self.object((*closure).function);
                    let captures = ObjClosure::captures(closure);
                    for i in 0..(*closure).ncaptures as usize {
                        self.value(*captures.add(i));
                    }
                }
                ObjKind::Cell => self.value((*(obj as *mut ObjCell)).value),
                ObjKind::Class => {
                    let class = obj as *mut ObjClass;
                    self.value((*class).name);
                    self.object((*class).superclass);
                    self.value((*class).init);
                    self.object((*class).root_shape);
                    if let Some(methods) = (*class).methods.as_ref() {
                        for (&name, &method) in methods {
                            self.object(name);
                            self.value(method);
                        }
                    }
                }
                ObjKind::Shape => {
                    let shape = obj as *mut ObjShape;
                    self.object((*shape).class);
                    self.object((*shape).parent);
                    self.object((*shape).key);
                    if let Some(slots) = (*shape).slots.as_ref() {
                        for &name in slots.keys() {
                            self.object(name);
                        }
                    }
                    if let Some(transitions) = (*shape).transitions.as_ref() {
                        for (&name, &child) in transitions {
                            self.object(name);
                            self.object(child);
                        }
                    }
                }
                ObjKind::Instance => {
                    let instance = obj as *mut ObjInstance;
                    self.object((*instance).shape);
                    let inline = ObjInstance::inline_slots(instance);
                    for i in 0..(*instance).inline_cap as usize {
                        self.value(*inline.add(i));
                    }
                    let overflow = (*instance).overflow;
                    if !overflow.is_null() {
                        for i in 0..(*instance).overflow_cap as usize {
                            self.value(*overflow.add(i));
                        }
                    }
                }
                ObjKind::BoundMethod => {
                    let bound = obj as *mut ObjBoundMethod;
                    self.value((*bound).receiver);
                    self.object((*bound).method);
                }
                ObjKind::Native => self.value((*(obj as *mut ObjNative)).name),
                ObjKind::Array => {
                    let array = obj as *mut ObjArray;
                    let items = ObjArray::items(array);
                    for i in 0..(*array).len as usize {
                        self.value(*items.add(i));
                    }
                }
            }
        }
    }
}

/// Drops the Rust-owned side tables of an object the sweep is about to free.
///
/// # Safety
/// `obj` must be a live, initialized object that is freed right after and
/// never used again.
pub(crate) unsafe fn finalize(obj: *mut ObjHeader) {
    // SAFETY: the caller's contract; side tables were created with
    // `Box::into_raw` (overflow arrays as boxed slices of `overflow_cap`
    // values) and are owned by this object alone.
    unsafe {
        match (*obj).kind {
            ObjKind::Class => {
                let class = obj as *mut ObjClass;
                drop_box(&mut (*class).methods);
            }
            ObjKind::Shape => {
                let shape = obj as *mut ObjShape;
                drop_box(&mut (*shape).slots);
                drop_box(&mut (*shape).transitions);
            }
            ObjKind::Instance => {
                let instance = obj as *mut ObjInstance;
                let overflow = (*instance).overflow;
                if !overflow.is_null() {
                    let cap = (*instance).overflow_cap as usize;
                    drop(Box::from_raw(ptr::slice_from_raw_parts_mut(overflow, cap)));
                    (*instance).overflow = ptr::null_mut();
                    (*instance).overflow_cap = 0;
                }
            }
            _ => {}
        }
    }
}

/// Drops the box behind `*table` (if any) and nulls the pointer.
///
/// # Safety
/// `*table` must be null or come from `Box::into_raw`, owned by the caller.
unsafe fn drop_box<T>(table: &mut *mut T) {
    if !table.is_null() {
        // SAFETY: the caller's contract.
        drop(unsafe { Box::from_raw(*table) });
        *table = ptr::null_mut();
    }
}
