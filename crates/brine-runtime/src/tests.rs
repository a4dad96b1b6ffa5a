//! Tests of the runtime as a whole: objects, strings, shapes, the collector.

use crate::heap::PAGE_SIZE;
use crate::object::*;
use crate::output::Output;
use crate::{PendingError, Runtime, Value};

/// A runtime for tests that hold their values by the rooting rules: in GC
/// stress mode when `BRINE_GC_STRESS=1` (as `Runtime::new`).
fn runtime() -> Runtime {
    Runtime::new()
}

fn show(rt: &Runtime, v: Value) -> String {
    let mut out = Vec::new();
    rt.display(v, &mut out);
    String::from_utf8(out).unwrap()
}

fn s(rt: &mut Runtime, text: &str) -> Value {
    rt.intern(text.as_bytes())
}

/// A class with a method per name (closures of fresh functions).
fn class_with_methods(rt: &mut Runtime, name: &str, methods: &[&str]) -> *mut ObjClass {
    let name = s(rt, name);
    let class = rt.new_class(name);
    rt.push_root(Value::object(class));
    for &m in methods {
        let m = s(rt, m);
        rt.push_root(m);
        let f = rt.new_function(m, 0, 0, 0, FunctionKind::Method);
        rt.push_root(Value::object(f));
        let c = rt.new_closure(f);
        rt.class_add_method(class, m, Value::object(c));
        rt.pop_root();
        rt.pop_root();
    }
    rt.pop_root();
    class
}

#[test]
fn object_values_encode_pointers() {
    let mut rt = runtime();
    let v = s(&mut rt, "hi");
    assert!(v.is_object() && !v.is_number() && v.is_truthy());
    assert_eq!(v.obj_kind(), Some(ObjKind::String));
    assert_eq!(v.0 & crate::value::OBJ_TAG, crate::value::OBJ_TAG);
    let p = v.as_ptr::<ObjString>();
    assert_eq!(Value::object(p), v);
    assert_eq!(p as u64 >> 48, 0);
    assert!(Runtime::values_equal(Value::number(1.0), Value::number(1.0)));
    assert!(Runtime::values_equal(Value::number(0.0), Value::number(-0.0)));
    assert!(!Runtime::values_equal(Value::number(f64::NAN), Value::number(f64::NAN)));
    assert!(!Runtime::values_equal(Value::NIL, Value::FALSE));
}

#[test]
fn interning_gives_one_object_per_content() {
    let mut rt = runtime();
    let a = s(&mut rt, "hello");
    rt.push_root(a);
    let b = s(&mut rt, "hello");
    let c = s(&mut rt, "hellO");
    rt.push_root(c);
    let empty = s(&mut rt, "");
    rt.push_root(empty);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(empty, rt.intern(b""));
    assert_eq!(rt.str_bytes(a), Some(&b"hello"[..]));
    assert_eq!(rt.str_bytes(empty), Some(&b""[..]));
    assert_eq!(rt.str_bytes(Value::NIL), None);
    // SAFETY: `a` is a live string.
    let hash = unsafe { (*a.as_ptr::<ObjString>()).hash };
    assert_eq!(hash, crate::strings::hash_bytes(b"hello"));
    // Non-UTF-8 bytes are fine.
    let raw = rt.intern(&[0xff, 0, 0x80]);
    assert_eq!(rt.str_bytes(raw), Some(&[0xff, 0, 0x80][..]));
    let init = s(&mut rt, "init");
    assert_eq!(rt.init_string, init);
}

#[test]
fn concatenation() {
    let mut rt = runtime();
    let a = s(&mut rt, "foo");
    rt.push_root(a);
    let b = s(&mut rt, "bar");
    rt.push_root(b);
    let ab = rt.concat(a, b);
    rt.push_root(ab);
    assert_eq!(ab, s(&mut rt, "foobar"));
    let empty = s(&mut rt, "");
    rt.push_root(empty);
    assert_eq!(rt.concat(empty, a), a);
    assert_eq!(rt.concat(a, empty), a);
    // Build a long string step by step; each step copies once.
    let mut acc = empty;
    rt.push_root(acc);
    for i in 0..200 {
        let piece = s(&mut rt, &format!("{},", i % 10));
        acc = rt.concat(acc, piece);
        rt.pop_root();
        rt.push_root(acc);
    }
    rt.pop_root();
    assert_eq!(rt.str_bytes(acc).unwrap().len(), 400);
    assert!(rt.str_bytes(acc).unwrap().starts_with(b"0,1,2,"));
    // A string larger than a page's biggest cell is a large object.
    let big = rt.intern(&vec![b'x'; 5000]);
    rt.push_root(big);
    let bigger = rt.concat(big, big);
    assert_eq!(rt.str_bytes(bigger).unwrap().len(), 10_000);
}

#[test]
fn display_of_every_kind() {
    let mut rt = runtime();
    assert_eq!(show(&rt, Value::NIL), "nil");
    assert_eq!(show(&rt, Value::TRUE), "true");
    assert_eq!(show(&rt, Value::FALSE), "false");
    assert_eq!(show(&rt, Value::number(2.5)), "2.5");
    assert_eq!(show(&rt, Value::number(-0.0)), "-0");
    let text = s(&mut rt, "raw text");
    assert_eq!(show(&rt, text), "raw text");
    let name = s(&mut rt, "add");
    let f = rt.new_function(name, 2, 0, 1, FunctionKind::Function);
    rt.constants.push(Value::object(f));
    assert_eq!(show(&rt, Value::object(f)), "<fn add>");
    let script = rt.new_function(Value::NIL, 0, 0, 0, FunctionKind::Script);
    assert_eq!(show(&rt, Value::object(script)), "<script>");
    let closure = rt.new_closure(f);
    rt.push_root(Value::object(closure));
    assert_eq!(show(&rt, Value::object(closure)), "<fn add>");
    let class = class_with_methods(&mut rt, "Point", &["init"]);
    rt.constants.push(Value::object(class));
    assert_eq!(show(&rt, Value::object(class)), "Point");
    let instance = rt.new_instance(class);
    rt.push_root(Value::object(instance));
    assert_eq!(show(&rt, Value::object(instance)), "Point instance");
    let bound = rt.new_bound_method(Value::object(instance), closure);
    assert_eq!(show(&rt, Value::object(bound)), "<fn add>");
    let clock = rt.global_slot(b"clock");
    assert_eq!(show(&rt, rt.globals[clock as usize]), "<native fn>");
}

#[test]
fn clock_is_a_native_global() {
    let mut rt = runtime();
    let slot = rt.global_slot(b"clock");
    let clock = rt.globals[slot as usize];
    assert!(clock.is_kind(ObjKind::Native));
    let native = clock.as_ptr::<ObjNative>();
    // SAFETY: a live native.
    let (arity, function) = unsafe { ((*native).arity, (*native).function) };
    assert_eq!(arity, 0);
    let t1 = function(&mut rt, &[]).as_number();
    let t2 = function(&mut rt, &[]).as_number();
    assert!(t1 >= 0.0 && t2 >= t1);
}

#[test]
fn global_slots_are_stable() {
    let mut rt = runtime();
    let a = rt.global_slot(b"a");
    let b = rt.global_slot(b"b");
    assert_ne!(a, b);
    assert_eq!(rt.global_slot(b"a"), a);
    assert!(rt.globals[a as usize].is_undef());
    let b_name = s(&mut rt, "b");
    assert_eq!(rt.global_names[b as usize], b_name);
    rt.globals[a as usize] = Value::number(1.0);
    rt.collect_garbage();
    assert_eq!(rt.global_slot(b"a"), a);
    assert_eq!(rt.globals[a as usize], Value::number(1.0));
    assert_eq!(rt.str_bytes(rt.global_names[a as usize]), Some(&b"a"[..]));
}

#[test]
fn errors_collect_a_trace() {
    let mut rt = runtime();
    rt.add_trace(1, None, Value::NIL); // no pending error: ignored
    assert!(rt.take_error().is_none());
    assert_eq!(rt.raise("Boom."), Value::ERROR);
    let f = s(&mut rt, "inner");
    rt.add_trace(3, Some(12), f);
    rt.add_trace(7, Some(30), Value::NIL);
    assert_eq!(
        rt.take_error(),
        Some(PendingError {
            message: "Boom.".into(),
            trace: vec!["[line 3] in inner()".into(), "[line 7] in script".into()],
            internal: false,
            // The innermost frame's site.
            site: Some(12),
        })
    );
    assert!(rt.error.is_none());
}

#[test]
fn output_capture_through_runtime() {
    let mut rt = runtime();
    rt.out = Output::capture();
    let mut line = Vec::new();
    rt.display(Value::number(42.0), &mut line);
    line.push(b'\n');
    rt.out.write(&line);
    assert_eq!(rt.out.take_captured(), b"42\n");
}

#[test]
fn instances_share_shapes() {
    let mut rt = runtime();
    let class = class_with_methods(&mut rt, "P", &[]);
    rt.constants.push(Value::object(class));
    let x = s(&mut rt, "x");
    rt.constants.push(x);
    let y = s(&mut rt, "y");
    rt.constants.push(y);
    let a = rt.new_instance(class);
    rt.constants.push(Value::object(a));
    let b = rt.new_instance(class);
    rt.constants.push(Value::object(b));
    let c = rt.new_instance(class);
    rt.constants.push(Value::object(c));
    // SAFETY: all live.
    unsafe {
        assert_eq!((*a).shape, (*class).root_shape);
        rt.instance_set_field(a, x, Value::number(1.0));
        rt.instance_set_field(a, y, Value::number(2.0));
        rt.instance_set_field(b, x, Value::number(3.0));
        rt.instance_set_field(b, y, Value::number(4.0));
        rt.instance_set_field(c, y, Value::number(5.0));
        rt.instance_set_field(c, x, Value::number(6.0));
        assert_eq!((*a).shape, (*b).shape);
        assert_ne!((*a).shape, (*c).shape);
        assert_eq!((*(*a).shape).slot_count, 2);
        assert_eq!((*(*(*a).shape).parent).parent, (*class).root_shape);
        assert_eq!((*(*a).shape).key, y.as_ptr());
        assert_eq!((*(*a).shape).class, class);
        // Overwriting keeps the shape.
        let shape = (*b).shape;
        rt.instance_set_field(b, x, Value::number(30.0));
        assert_eq!((*b).shape, shape);
    }
    assert_eq!(rt.instance_get_field(a, x), Some(Value::number(1.0)));
    assert_eq!(rt.instance_get_field(a, y), Some(Value::number(2.0)));
    assert_eq!(rt.instance_get_field(b, x), Some(Value::number(30.0)));
    assert_eq!(rt.instance_get_field(c, x), Some(Value::number(6.0)));
    assert_eq!(rt.instance_get_field(c, y), Some(Value::number(5.0)));
    let z = s(&mut rt, "z");
    assert_eq!(rt.instance_get_field(a, z), None);
    assert_eq!(Runtime::instance_class(c), class);
}

#[test]
fn fields_beyond_inline_capacity() {
    let mut rt = runtime();
    let class = class_with_methods(&mut rt, "Big", &[]);
    rt.constants.push(Value::object(class));
    let names: Vec<Value> = (0..30)
        .map(|i| {
            let name = s(&mut rt, &format!("f{i}"));
            rt.constants.push(name);
            name
        })
        .collect();
    let a = rt.new_instance(class);
    rt.constants.push(Value::object(a));
    // SAFETY: live instance.
    let first_cap = unsafe { (*a).inline_cap };
    assert_eq!(first_cap, crate::objects::MIN_INLINE_SLOTS);
    for (i, &name) in names.iter().enumerate() {
        rt.instance_set_field(a, name, Value::number(i as f64));
    }
    for (i, &name) in names.iter().enumerate() {
        assert_eq!(rt.instance_get_field(a, name), Some(Value::number(i as f64)));
    }
    // SAFETY: live objects.
    unsafe {
        assert!((*a).overflow_cap >= 26);
        assert_eq!((*class).inline_hint, 30);
    }
    rt.collect_garbage();
    for (i, &name) in names.iter().enumerate() {
        assert_eq!(rt.instance_get_field(a, name), Some(Value::number(i as f64)));
    }
    // Later instances hold all the fields inline.
    let b = rt.new_instance(class);
    rt.constants.push(Value::object(b));
    // SAFETY: live instance.
    unsafe { assert_eq!((*b).inline_cap, 30) };
    for (i, &name) in names.iter().enumerate() {
        rt.instance_set_field(b, name, Value::number(-(i as f64)));
    }
    // SAFETY: live instances.
    unsafe {
        assert!((*b).overflow.is_null());
        // `b` started from a new root shape that holds 30 slots inline, so
        // a shape alone tells where each field lives (inline caches rely on
        // it); the two trees map the fields to the same slots.
        assert_ne!((*a).shape, (*b).shape);
        assert_eq!((*(*a).shape).inline_cap, 4);
        assert_eq!((*(*b).shape).inline_cap, 30);
        assert_eq!((*(*a).shape).slot_count, (*(*b).shape).slot_count);
    }
    for (i, &name) in names.iter().enumerate() {
        assert_eq!(rt.instance_get_field(b, name), Some(Value::number(-(i as f64))));
    }
    // Instances made from then on share `b`'s shapes.
    let c = rt.new_instance(class);
    rt.constants.push(Value::object(c));
    for (i, &name) in names.iter().enumerate() {
        rt.instance_set_field(c, name, Value::number(i as f64));
    }
    // SAFETY: live instances.
    unsafe { assert_eq!((*b).shape, (*c).shape) };
}

#[test]
fn methods_are_copied_down() {
    let mut rt = runtime();
    let base = class_with_methods(&mut rt, "Base", &["init", "speak", "walk"]);
    rt.constants.push(Value::object(base));
    let derived = class_with_methods(&mut rt, "Derived", &[]);
    rt.constants.push(Value::object(derived));
    let init = rt.init_string;
    let [speak, walk, fly] = ["speak", "walk", "fly"].map(|name| {
        let name = s(&mut rt, name);
        rt.constants.push(name);
        name
    });
    let base_speak = rt.class_find_method(base, speak).unwrap();
    // SAFETY: live classes.
    unsafe {
        assert_eq!((*base).init, rt.class_find_method(base, init).unwrap());
        assert!((*derived).init.is_nil());
    }
    rt.class_inherit(derived, base);
    // The subclass's own methods come after, and override.
    let f = rt.new_function(speak, 0, 0, 0, FunctionKind::Method);
    rt.push_root(Value::object(f));
    let own_speak = Value::object(rt.new_closure(f));
    rt.pop_root();
    rt.class_add_method(derived, speak, own_speak);
    let f = rt.new_function(fly, 0, 0, 0, FunctionKind::Method);
    rt.push_root(Value::object(f));
    let own_fly = Value::object(rt.new_closure(f));
    rt.pop_root();
    rt.class_add_method(derived, fly, own_fly);
    rt.collect_garbage();
    // SAFETY: live classes.
    unsafe {
        assert_eq!((*derived).superclass, base);
        assert_eq!((*derived).init, (*base).init);
    }
    assert_eq!(rt.class_find_method(derived, speak), Some(own_speak));
    assert_eq!(rt.class_find_method(derived, fly), Some(own_fly));
    assert_eq!(rt.class_find_method(derived, walk), rt.class_find_method(base, walk));
    assert_eq!(rt.class_find_method(base, speak), Some(base_speak));
    assert_eq!(rt.class_find_method(base, fly), None);
    assert_eq!(rt.class_find_method(base, Value::NIL), None);
}

/// Builds `n` instances linked through field `next`, the head rooted in
/// `constants`. Returns the head.
fn build_list(rt: &mut Runtime, class: *mut ObjClass, n: usize) -> *mut ObjInstance {
    let next = s(rt, "next");
    rt.push_root(next);
    let value = s(rt, "value");
    rt.push_root(value);
    let mut head = Value::NIL;
    rt.push_root(head);
    for i in 0..n {
        let node = rt.new_instance(class);
        rt.push_root(Value::object(node));
        rt.instance_set_field(node, value, Value::number(i as f64));
        rt.instance_set_field(node, next, head);
        rt.pop_root();
        rt.pop_root();
        head = Value::object(node);
        rt.push_root(head);
        // Garbage in between.
        let _ = rt.intern(format!("garbage {i}").as_bytes());
        let _ = rt.new_cell(Value::number(i as f64));
    }
    rt.pop_root();
    rt.pop_root();
    rt.pop_root();
    rt.constants.push(head);
    head.as_ptr()
}

fn check_list(rt: &mut Runtime, head: *mut ObjInstance, n: usize) {
    let next = s(rt, "next");
    let value = s(rt, "value");
    let mut node = Value::object(head);
    for i in (0..n).rev() {
        assert!(node.is_kind(ObjKind::Instance));
        let inst = node.as_ptr::<ObjInstance>();
        assert_eq!(rt.instance_get_field(inst, value), Some(Value::number(i as f64)));
        node = rt.instance_get_field(inst, next).unwrap();
    }
    assert!(node.is_nil());
}

#[test]
fn gc_keeps_reachable_and_reuses_unreachable() {
    let mut rt = Runtime::with_gc_stress(false);
    let class = class_with_methods(&mut rt, "Node", &["init"]);
    rt.constants.push(Value::object(class));
    let head = build_list(&mut rt, class, 1000);
    // Unreachable structures: instances with fields, closures, strings.
    let field = s(&mut rt, "field");
    rt.constants.push(field);
    let mut garbage = Vec::new();
    for i in 0..2000 {
        let inst = rt.new_instance(class);
        rt.instance_set_field(inst, field, Value::number(i as f64));
        garbage.push(inst as usize);
    }
    let strings_before = rt.string_count();
    let pages_before = rt.heap.stats().pages;
    let mut old_pages = std::collections::HashSet::new();
    rt.heap.for_each_object(|obj| {
        old_pages.insert(obj as usize & !(PAGE_SIZE - 1));
    });
    rt.collect_garbage();
    check_list(&mut rt, head, 1000);
    assert!(rt.string_count() < strings_before - 900, "garbage strings were dropped from the table");
    for &g in &garbage {
        assert_eq!(rt.heap.find_object(g), None);
    }
    // Sweeping is lazy: sweep every page now. Freed memory is poisoned in
    // debug builds.
    rt.heap.finish_sweep();
    if cfg!(debug_assertions) {
        let g = garbage[0] as *const u8;
        // SAFETY: the cell is free but its page is live.
        let tail = unsafe { *g.add(std::mem::size_of::<ObjInstance>()) };
        assert_eq!(tail, 0xDB);
    }
    // The freed memory serves the next allocations: first the free cells of
    // pages that still hold live objects, then emptied pages, kept for
    // reuse. No new memory.
    assert!(rt.heap.stats().pages < pages_before);
    let mut reused_cells = 0;
    for i in 0..2000 {
        let inst = rt.new_instance(class);
        rt.instance_set_field(inst, field, Value::number(i as f64));
        assert!(old_pages.contains(&(inst as usize & !(PAGE_SIZE - 1))));
        if garbage.contains(&(inst as usize)) {
            reused_cells += 1;
        }
    }
    assert!(reused_cells >= 24, "cells freed next to live nodes are reused first");
    assert!(rt.heap.stats().pages <= pages_before);
    rt.collect_garbage();
    check_list(&mut rt, head, 1000);
    // Dropping the root frees the list too.
    rt.constants.retain(|&v| v != Value::object(head));
    rt.collect_garbage();
    assert_eq!(rt.heap.find_object(head as usize), None);
}

#[test]
fn deep_lists_do_not_overflow_the_stack() {
    let mut rt = Runtime::with_gc_stress(false);
    let class = class_with_methods(&mut rt, "Node", &[]);
    rt.constants.push(Value::object(class));
    let head = build_list(&mut rt, class, 200_000);
    rt.collect_garbage();
    check_list(&mut rt, head, 200_000);
}

#[test]
fn collection_is_triggered_by_allocation() {
    let mut rt = Runtime::with_gc_stress(false);
    let before = rt.heap.stats().collections;
    // Cells are 16 bytes: this allocates twice the first threshold.
    for i in 0..crate::heap::MIN_THRESHOLD / 8 {
        let _ = rt.new_cell(Value::number(i as f64));
    }
    let stats = rt.heap.stats();
    assert!(stats.collections > before);
    assert!(stats.bytes_allocated <= stats.threshold);
    assert!(stats.pages * PAGE_SIZE <= 4 * crate::heap::MIN_THRESHOLD);
}

#[test]
fn interned_strings_are_weak() {
    let mut rt = runtime();
    rt.collect_garbage();
    let base = rt.string_count();
    let kept = s(&mut rt, "kept");
    rt.push_root(kept);
    let dropped = s(&mut rt, "dropped").as_ptr::<ObjString>() as usize;
    assert_eq!(rt.string_count(), base + 2);
    rt.collect_garbage();
    assert_eq!(rt.string_count(), base + 1);
    assert_eq!(rt.heap.find_object(dropped), None);
    assert_eq!(s(&mut rt, "kept"), kept);
    let again = s(&mut rt, "dropped");
    assert_eq!(rt.str_bytes(again), Some(&b"dropped"[..]));
    assert_eq!(rt.string_count(), base + 2);
    // Names of globals, and "init", stay.
    assert_eq!(rt.str_bytes(rt.init_string), Some(&b"init"[..]));
    rt.pop_root();
}

#[test]
fn find_object_on_interior_pointers() {
    let mut rt = runtime();
    let class = class_with_methods(&mut rt, "C", &[]);
    rt.constants.push(Value::object(class));
    let inst = rt.new_instance(class);
    rt.constants.push(Value::object(inst));
    let big = rt.intern(&vec![b'y'; 100_000]);
    rt.constants.push(big);
    let addr = inst as usize;
    let header = inst as *mut ObjHeader;
    assert_eq!(rt.heap.find_object(addr), Some(header));
    // Any byte of the object, including its inline slots.
    let size = std::mem::size_of::<ObjInstance>() + 4 * 8;
    for off in 0..size {
        assert_eq!(rt.heap.find_object(addr + off), Some(header));
    }
    let big_addr = big.as_ptr::<ObjString>() as usize;
    assert_eq!(rt.heap.find_object(big_addr + 50_000), Some(big_addr as *mut ObjHeader));
    assert_eq!(rt.heap.find_object(big_addr + 16 + 100_000), None);
    // A NaN-boxed word is not a raw address: the scanner strips the tag.
    assert_eq!(rt.heap.find_object(Value::object(inst).0 as usize), None);
    // Stack and static addresses are not objects.
    let local = 5u64;
    assert_eq!(rt.heap.find_object(&local as *const u64 as usize), None);
    assert_eq!(rt.heap.find_object(find_object_on_interior_pointers as *const () as usize), None);
}

#[test]
fn stress_mode_collects_at_every_allocation() {
    let mut rt = Runtime::with_gc_stress(true);
    rt.out = Output::capture();
    let before = rt.heap.stats().collections;
    let class = class_with_methods(&mut rt, "Animal", &["init", "speak"]);
    rt.constants.push(Value::object(class));
    let sub = class_with_methods(&mut rt, "Dog", &[]);
    rt.constants.push(Value::object(sub));
    rt.class_inherit(sub, class);
    let after = rt.heap.stats().collections;
    assert!(after - before >= 10, "every allocation collects");
    let head = build_list(&mut rt, sub, 300);
    check_list(&mut rt, head, 300);
    // Many fields, in stress mode: transitions and overflow growth.
    let inst = rt.new_instance(sub);
    rt.constants.push(Value::object(inst));
    for i in 0..40 {
        let name = s(&mut rt, &format!("field{i}"));
        rt.push_root(name);
        let text = s(&mut rt, &format!("value{i}"));
        rt.push_root(text);
        let text = rt.concat(name, text);
        rt.instance_set_field(inst, name, text);
        rt.pop_root();
        rt.pop_root();
    }
    rt.collect_garbage();
    for i in 0..40 {
        let name = s(&mut rt, &format!("field{i}"));
        let v = rt.instance_get_field(inst, name).unwrap();
        assert_eq!(show(&rt, v), format!("field{i}value{i}"));
    }
    // Closures with captures, cells, bound methods.
    let fname = s(&mut rt, "f");
    let f = rt.new_function(fname, 1, 3, 0, FunctionKind::Function);
    rt.constants.push(Value::object(f));
    let closure = rt.new_closure(f);
    rt.push_root(Value::object(closure));
    // SAFETY: a live closure with 3 captures.
    let captures = unsafe { ObjClosure::captures(closure) };
    for i in 0..3 {
        let cell = rt.new_cell(Value::number(i as f64));
        // SAFETY: i < ncaptures.
        unsafe { *captures.add(i) = Value::object(cell) };
    }
    let bound = rt.new_bound_method(Value::object(inst), closure);
    rt.pop_root();
    rt.push_root(Value::object(bound));
    let _ = rt.intern(b"more garbage");
    for i in 0..3 {
        // SAFETY: the closure is reachable from the rooted bound method.
        let cell = unsafe { *captures.add(i) };
        assert_eq!(cell.obj_kind(), Some(ObjKind::Cell));
        // SAFETY: a live cell.
        assert_eq!(unsafe { (*cell.as_ptr::<ObjCell>()).value }, Value::number(i as f64));
    }
    assert_eq!(show(&rt, Value::object(bound)), "<fn f>");
    rt.pop_root();
}

#[test]
fn dropping_a_runtime_frees_everything() {
    // Side tables are dropped with the heap (checked by tools like valgrind).
    for _ in 0..3 {
        let mut rt = runtime();
        let class = class_with_methods(&mut rt, "C", &["a", "b"]);
        rt.constants.push(Value::object(class));
        build_list(&mut rt, class, 100);
    }
}

#[test]
fn gc_stress_follows_the_environment() {
    let expected = std::env::var_os("BRINE_GC_STRESS").is_some_and(|v| !v.is_empty() && v != "0");
    assert_eq!(Runtime::new().gc_stress, expected);
    let mut rt = Runtime::with_gc_stress(true);
    let before = rt.heap.stats().collections;
    let _ = rt.new_cell(Value::NIL);
    assert_eq!(rt.heap.stats().collections, before + 1);
}

/// Interns `n` distinct strings, kept alive, in a fresh runtime (collecting
/// as usual, not in stress mode), and returns the table's counters.
fn intern_distinct(n: usize) -> crate::strings::TableStats {
    let mut rt = Runtime::with_gc_stress(false);
    let before = rt.strings.stats();
    for i in 0..n {
        let v = rt.intern(format!("string number {i}").as_bytes());
        rt.constants.push(v);
    }
    assert_eq!(rt.string_count(), before.len + n);
    let after = rt.strings.stats();
    crate::strings::TableStats {
        probes: after.probes - before.probes,
        compares: after.compares - before.compares,
        grow_moves: after.grow_moves - before.grow_moves,
        rebuild_moves: after.rebuild_moves - before.rebuild_moves,
        ..after
    }
}

#[test]
fn interning_work_is_linear() {
    let small = intern_distinct(50_000);
    let large = intern_distinct(200_000);
    for (n, stats) in [(50_000u64, small), (200_000, large)] {
        // Each new string is one lookup (a miss) and one insertion.
        assert!(stats.probes <= 6 * n, "{n}: {stats:?}");
        assert!(stats.compares <= n / 100 + 10, "contents compared only on a tag match: {stats:?}");
        assert!(stats.grow_moves <= 2 * n, "growth is amortized: {stats:?}");
        assert_eq!(stats.rebuild_moves, 0, "no string died: {stats:?}");
        assert!(stats.capacity <= 4 * n as usize, "{stats:?}");
    }
    // Four times the strings, about four times the work (generous slack).
    assert!(large.probes <= 4 * small.probes * 3 / 2, "{small:?} vs {large:?}");
}

#[test]
fn interning_stays_linear_when_strings_die() {
    let mut rt = Runtime::with_gc_stress(false);
    let start = rt.strings.stats();
    let rounds = 40;
    let per_round = 10_000;
    for round in 0..rounds {
        for i in 0..per_round {
            let _ = rt.intern(format!("round {round} string {i}").as_bytes());
        }
        rt.collect_garbage();
        let stats = rt.strings.stats();
        assert!(stats.len <= start.len + 10, "dead strings are dropped: {stats:?}");
        assert!(stats.capacity <= 4 * per_round, "the table shrinks back: {stats:?}");
    }
    let stats = rt.strings.stats();
    let n = (rounds * per_round) as u64;
    assert!(stats.probes - start.probes <= 6 * n, "{stats:?}");
    // Rebuilds move only the survivors (a few dozen names), not the dead.
    assert!(stats.rebuild_moves - start.rebuild_moves <= 100 * rounds as u64, "{stats:?}");
}

#[test]
fn concatenation_builds_distinct_strings_linearly() {
    let mut rt = Runtime::with_gc_stress(false);
    let prefix = s(&mut rt, "item ");
    rt.push_root(prefix);
    let before = rt.strings.stats();
    let n = 200_000;
    for i in 0..n {
        let number = rt.intern(i.to_string().as_bytes());
        let item = rt.concat(prefix, number);
        if i % 1000 == 0 {
            assert_eq!(rt.str_bytes(item), Some(format!("item {i}").as_bytes()));
        }
    }
    let stats = rt.strings.stats();
    // Two lookups and at most two insertions per iteration.
    assert!(stats.probes - before.probes <= 12 * n as u64, "{stats:?}");
    // A long string built piece by piece: each step copies the string so far
    // (that is Lox), but the table work per step stays constant.
    let mut long = s(&mut rt, "");
    rt.push_root(long);
    let x = s(&mut rt, "x");
    rt.push_root(x);
    let before = rt.strings.stats();
    let steps = 5_000;
    for _ in 0..steps {
        long = rt.concat(long, x);
        rt.pop_root();
        rt.pop_root();
        rt.push_root(long);
        rt.push_root(x);
    }
    assert_eq!(rt.str_bytes(long).map(<[u8]>::len), Some(steps));
    let stats = rt.strings.stats();
    assert!(stats.probes - before.probes <= 6 * steps as u64, "{stats:?}");
    rt.pop_root();
    rt.pop_root();
    rt.pop_root();
}

#[test]
fn string_hashes_spread_over_every_bit() {
    use crate::strings::hash_bytes;
    use std::collections::HashSet;
    // All 65,536 two-byte strings: a 32-bit hash has about 0.5 collisions
    // among that many on average, so a few is fine and many is a flaw.
    let mut seen = HashSet::new();
    let mut collisions = 0;
    for a in 0..=255u8 {
        for b in 0..=255u8 {
            collisions += usize::from(!seen.insert(hash_bytes(&[a, b])));
        }
    }
    assert!(collisions <= 3, "{collisions} collisions among two-byte strings");
    // Strings that differ only in a few bytes at the end (a multiplicative
    // hash that moves bits only upwards collides on thousands of these).
    let mut seen = HashSet::new();
    let mut collisions = 0;
    for i in 0..200_000 {
        collisions += usize::from(!seen.insert(hash_bytes(format!("string number {i}").as_bytes())));
    }
    assert!(collisions <= 20, "{collisions} collisions among numbered strings");
    // Distinct for one-byte strings, and for runs of zero bytes of
    // different lengths (the length is part of the hash).
    let short: HashSet<u32> = (0..=255u8).map(|a| hash_bytes(&[a])).collect();
    assert_eq!(short.len(), 256);
    let zeros: HashSet<u32> = (0..40).map(|n| hash_bytes(&vec![0; n])).collect();
    assert_eq!(zeros.len(), 40);
    // Keys that differ in one byte fill the low bits (what the library's
    // Map uses, modulo its table size) and the high ones (the intern
    // table's) evenly: 8192 keys in 1024 buckets, about 8 each.
    let keys: Vec<Vec<u8>> = (0..8192).map(|i| format!("w{i}").into_bytes()).collect();
    for shift in [0, 22] {
        let mut buckets = [0u32; 1024];
        for key in &keys {
            buckets[((hash_bytes(key) >> shift) & 1023) as usize] += 1;
        }
        let fullest = buckets.iter().max().copied().unwrap_or(0);
        assert!(fullest <= 24, "a bucket of {fullest} keys (bits from {shift})");
    }
}
