//! The mark-sweep collector (DESIGN.md section 6).
//!
//! A collection first finishes the lazy sweep of the previous one
//! (`Heap::finish_sweep`), so that marks start clear and no dead object is
//! left for the conservative scan to find. Marking then starts from the
//! runtime's roots. Precise roots: `globals`, `global_names`, `stack` (all
//! of it), the temporary roots of `Runtime::push_root`, `constants` and
//! `init_string`. Conservative roots, when `Runtime::native_stack_base` is
//! set: every object that a word of the native machine stack (or a
//! callee-saved register) refers to ([`crate::stack`]).
//!
//! Marking uses an explicit gray stack, so deep structures (long linked
//! lists) never recurse on the Rust stack; the stack is kept in the runtime
//! between collections, so its memory is reused. Objects are prefetched a
//! few steps before they are visited (see `Marker`). The marker counts the
//! bytes of the small objects it marks: the live size that paces the next
//! collection. Interned strings are weak: the intern table drops the ones
//! marking did not reach. Then the heap sweeps (`crate::heap::Heap::sweep`,
//! lazily), calling `finalize` on each dead object to drop its Rust-owned
//! side tables.
//!
//! When collections run is the heap's decision (`Heap::should_collect`):
//! see the pacing section of `crate::heap`.

use crate::Runtime;
use crate::object::*;
use crate::time::Instant;
use crate::value::Value;
use std::ptr;

/// Asks the CPU to bring the cache line at `obj` in (a hint: no effect on
/// the program's meaning).
#[inline(always)]
fn prefetch(obj: *const ObjHeader) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults nor changes memory, whatever the
    // address; SSE is part of the x86_64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(obj.cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = obj;
}

/// Runs a full collection.
pub(crate) fn collect(rt: &mut Runtime) {
    let start = Instant::now();
    // Marking starts from clear marks, with every dead object freed.
    rt.heap.finish_sweep();
    let mut marker = Marker::new(std::mem::take(&mut rt.gray));
    for &v in rt
        .globals
        .iter()
        .chain(&rt.global_names)
        .chain(&rt.stack)
        .chain(&rt.roots)
        .chain(&rt.constants)
        .chain(rt.byte_strings.iter())
    {
        marker.value(v);
    }
    marker.value(rt.init_string);
    marker.value(rt.native_data);
    // Generated code compares shapes with this one, so it must stay the
    // shape it is (a freed one's address could become another's).
    marker.object(rt.list_shape.get());
    crate::stack::scan_native_stack(&rt.heap, rt.native_stack_base, &mut |obj| marker.object(obj));
    marker.drain();
    rt.gray = marker.gray;
    rt.strings.remove_unmarked();
    rt.heap.sweep(marker.live_small);
    rt.heap.record_gc_time(start.elapsed());
}

/// How many objects wait between being prefetched and being visited.
const PREFETCH_DISTANCE: usize = 16;

/// The mark phase's state. Marking is memory-bound: the first touch of an
/// object (reading its mark bit) usually misses the cache. So an object
/// reached through a field is not touched at once: it goes on the gray
/// stack; when popped, it is prefetched and waits in a small FIFO while
/// the next ones are popped, and is visited (mark bit tested and set,
/// fields traced) when it leaves the FIFO. Several misses are then in
/// flight at a time instead of one.
struct Marker {
    /// Objects reached but not visited yet (possibly marked already, and
    /// possibly several times). Kept in the runtime between collections.
    gray: Vec<*mut ObjHeader>,
    /// The FIFO of prefetched objects (null: empty slot); `next` is the
    /// oldest slot.
    ring: [*mut ObjHeader; PREFETCH_DISTANCE],
    next: usize,
    /// Bytes of the small objects marked so far, and of the buffers of
    /// grown arrays among them.
    live_small: usize,
}

impl Marker {
    fn new(gray: Vec<*mut ObjHeader>) -> Marker {
        Marker { gray, ring: [ptr::null_mut(); PREFETCH_DISTANCE], next: 0, live_small: 0 }
    }

    #[inline]
    fn value(&mut self, v: Value) {
        if v.is_object() {
            self.object(v.as_ptr::<ObjHeader>());
        }
    }

    /// Queues `obj` (null is ignored) to be marked and traced.
    #[inline]
    fn object<T>(&mut self, obj: *mut T) {
        if !obj.is_null() {
            self.gray.push(obj.cast());
        }
    }

    /// Queues `obj` (null is ignored) unless it is marked already: for an
    /// object that many others share (a shape, a function), which is
    /// likely in the cache and marked, so it does not take a FIFO slot.
    #[inline]
    fn shared<T>(&mut self, obj: *mut T) {
        let obj = obj.cast::<ObjHeader>();
        // SAFETY: a non-null pointer from a live object's field points at a
        // live object.
        if !obj.is_null() && !unsafe { (*obj).marked } {
            self.gray.push(obj);
        }
    }

    /// Marks everything reachable from the queued objects.
    fn drain(&mut self) {
        loop {
            let obj = match self.gray.pop() {
                Some(obj) => {
                    prefetch(obj);
                    obj
                }
                None => match self.take_oldest() {
                    Some(obj) => {
                        // SAFETY: only live objects are queued (see `visit`).
                        unsafe { self.visit(obj) };
                        continue;
                    }
                    None => return,
                },
            };
            let oldest = std::mem::replace(&mut self.ring[self.next], obj);
            self.next = (self.next + 1) % PREFETCH_DISTANCE;
            if !oldest.is_null() {
                // SAFETY: as above.
                unsafe { self.visit(oldest) };
            }
        }
    }

    /// Takes the oldest object out of the FIFO, if any.
    fn take_oldest(&mut self) -> Option<*mut ObjHeader> {
        for _ in 0..PREFETCH_DISTANCE {
            let obj = std::mem::replace(&mut self.ring[self.next], ptr::null_mut());
            self.next = (self.next + 1) % PREFETCH_DISTANCE;
            if !obj.is_null() {
                return Some(obj);
            }
        }
        None
    }

    /// Marks `obj` and traces it, unless it is marked already.
    ///
    /// # Safety
    /// `obj` must be a live object.
    #[inline]
    unsafe fn visit(&mut self, obj: *mut ObjHeader) {
        // SAFETY: every object pointer the collector meets comes from a
        // root, a live object's field or `Heap::find_object` (the stack
        // scan), and so points at a live object (all layouts start with the
        // header).
        unsafe {
            debug_assert!((*obj).kind != ObjKind::Free, "GC reached a freed object at {obj:?}");
            if (*obj).marked {
                return;
            }
            (*obj).marked = true;
            self.live_small += crate::heap::cell_size_of((*obj).size_class);
            self.trace(obj);
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
                    self.shared((*closure).function);
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
                    self.object((*shape).frozen);
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
                    self.shared((*instance).shape);
                }
                ObjKind::BoundMethod => {
                    let bound = obj as *mut ObjBoundMethod;
                    self.value((*bound).receiver);
                    self.object((*bound).method);
                }
                ObjKind::Native => {
                    self.value((*(obj as *mut ObjNative)).name);
                    self.value((*(obj as *mut ObjNative)).data);
                }
                ObjKind::Array => {
                    let array = obj as *mut ObjArray;
                    if ObjArray::owns_buffer(array) {
                        // Its buffer counts as live bytes, like the object.
                        self.live_small += (*array).len as usize * 8;
                    }
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
/// Inline, because the sweep calls it on every dead object and most kinds
/// have nothing to drop.
///
/// # Safety
/// `obj` must be a live, initialized object that is freed right after and
/// never used again.
#[inline]
pub(crate) unsafe fn finalize(obj: *mut ObjHeader) {
    // SAFETY: the caller's contract.
    unsafe {
        match (*obj).kind {
            ObjKind::Class | ObjKind::Shape => drop_tables(obj),
            ObjKind::Instance if !(*(obj as *mut ObjInstance)).overflow.is_null() => drop_tables(obj),
            ObjKind::Array if ObjArray::owns_buffer(obj as *mut ObjArray) => drop_tables(obj),
            _ => {}
        }
    }
}

/// The out-of-line part of [`finalize`].
///
/// # Safety
/// As for [`finalize`].
#[cold]
#[inline(never)]
unsafe fn drop_tables(obj: *mut ObjHeader) {
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
            ObjKind::Array => {
                let array = obj as *mut ObjArray;
                let layout = ObjArray::buffer_layout((*array).len as usize);
                std::alloc::dealloc((*array).items.cast(), layout);
                (*array).items = ObjArray::inline_items(array);
                (*array).len = 0;
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
