//! Tests of the conservative native stack scan.
//!
//! Objects here are held the way native code holds them: only in Rust locals
//! (stack slots or registers), never in the runtime's precise roots. The
//! `black_box` calls keep the compiler from proving the locals dead or
//! folding them away.

use super::*;
use crate::object::*;
use crate::value::Value;
use std::hint::black_box;
use std::mem::size_of;

/// The size of a string object with `len` bytes.
fn string_size(len: usize) -> usize {
    size_of::<ObjString>() + len
}

/// Allocates `n` unreachable objects of two size classes (so freed cells of
/// those classes get handed out again), with a full collection every 500.
#[inline(never)]
fn churn(rt: &mut Runtime, n: usize) {
    for i in 0..n {
        black_box(rt.new_cell(Value::number(i as f64)));
        black_box(rt.alloc_string(&[b'g'; 300]));
        if i % 500 == 0 {
            rt.collect_garbage();
        }
    }
    rt.collect_garbage();
}

/// Overwrites 32 KiB of the stack below the caller, so that stale copies of
/// pointers left by earlier (returned) calls are gone.
#[inline(never)]
fn clobber_stack() {
    let mut junk = [0u64; 4096];
    black_box(&mut junk);
}

/// Whether `obj` is still a live object of kind `kind`.
fn is_live(rt: &Runtime, obj: *mut ObjHeader, kind: ObjKind) -> bool {
    // SAFETY: only read when `find_object` says `obj` is a live object.
    rt.heap.find_object(obj as usize) == Some(obj) && unsafe { (*obj).kind } == kind
}

/// A string of 300 `b'k'` bytes, returned as nothing but a pointer into the
/// middle of its bytes.
#[inline(never)]
fn string_interior_pointer(rt: &mut Runtime) -> usize {
    let string = rt.alloc_string(&[b'k'; 300]);
    string as usize + size_of::<ObjString>() + 150
}

/// A string "boxed", returned as nothing but the bits of its NaN-boxed value.
#[inline(never)]
fn boxed_string_bits(rt: &mut Runtime) -> u64 {
    Value::object(rt.alloc_string(b"boxed")).0
}

#[test]
fn a_raw_pointer_on_the_native_stack_keeps_its_object() {
    for stress in [false, true] {
        let mut rt = Runtime::with_gc_stress(stress);
        with_native_frames(&mut rt, |rt| {
            let cell = black_box(rt.new_cell(Value::number(42.0)));
            churn(rt, if stress { 600 } else { 5000 });
            assert!(is_live(rt, cell.cast(), ObjKind::Cell));
            // SAFETY: `cell` is live (checked above).
            assert_eq!(unsafe { (*cell).value }, Value::number(42.0));
            black_box(cell);
        });
        assert_eq!(rt.native_stack_base, 0);
    }
}

#[test]
fn a_nan_boxed_value_on_the_native_stack_keeps_its_object() {
    for stress in [false, true] {
        let mut rt = Runtime::with_gc_stress(stress);
        with_native_frames(&mut rt, |rt| {
            let bits = black_box(boxed_string_bits(rt));
            clobber_stack();
            churn(rt, if stress { 600 } else { 5000 });
            let value = Value(black_box(bits));
            assert!(is_live(rt, value.as_ptr(), ObjKind::String));
            assert_eq!(rt.str_bytes(value), Some(&b"boxed"[..]));
        });
    }
}

#[test]
fn an_interior_pointer_on_the_native_stack_keeps_its_object() {
    for stress in [false, true] {
        let mut rt = Runtime::with_gc_stress(stress);
        with_native_frames(&mut rt, |rt| {
            let inside = black_box(string_interior_pointer(rt));
            clobber_stack();
            // Churn allocates strings of the same size class: a freed
            // string's cell would be reused and overwritten with `g`s.
            churn(rt, if stress { 600 } else { 5000 });
            let inside = black_box(inside);
            let obj = rt.heap.find_object(inside).expect("the string was freed");
            assert!(is_live(rt, obj, ObjKind::String));
            let value = Value::object(obj);
            assert_eq!(rt.str_bytes(value), Some(&[b'k'; 300][..]));
        });
    }
}

/// Recurses `depth` times, each frame holding a fresh cell in a local only,
/// collects at the bottom, and checks every cell on the way back up.
#[inline(never)]
fn hold_in_every_frame(rt: &mut Runtime, depth: u32) {
    if depth == 0 {
        churn(rt, 1000);
        return;
    }
    let cell = black_box(rt.new_cell(Value::number(depth as f64)));
    hold_in_every_frame(rt, depth - 1);
    assert!(is_live(rt, cell.cast(), ObjKind::Cell));
    // SAFETY: `cell` is live (checked above).
    assert_eq!(unsafe { (*cell).value }, Value::number(depth as f64));
    black_box(cell);
}

#[test]
fn objects_held_by_deep_frames_survive() {
    for stress in [false, true] {
        let mut rt = Runtime::with_gc_stress(stress);
        with_native_frames(&mut rt, |rt| hold_in_every_frame(rt, 100));
    }
}

#[test]
fn the_base_can_be_set_by_hand() {
    #[inline(never)]
    fn run(rt: &mut Runtime) {
        let cell = black_box(rt.new_cell(Value::TRUE));
        churn(rt, 2000);
        assert!(is_live(rt, cell.cast(), ObjKind::Cell));
        black_box(cell);
    }
    let mut rt = Runtime::new();
    let anchor = 0u8;
    rt.native_stack_base = black_box(&anchor) as *const u8 as usize;
    run(&mut rt);
    rt.native_stack_base = 0;
}

/// Allocates `n` cells that nothing refers to and returns their addresses
/// (in a `Vec`, which lives on the Rust heap: the scan never sees it).
#[inline(never)]
fn allocate_garbage(rt: &mut Runtime, n: usize) -> Vec<usize> {
    (0..n).map(|i| rt.new_cell(Value::number(i as f64)) as usize).collect()
}

#[test]
fn unreferenced_objects_are_still_freed() {
    for stress in [false, true] {
        let mut rt = Runtime::with_gc_stress(stress);
        with_native_frames(&mut rt, |rt| {
            rt.collect_garbage();
            let before = rt.heap.stats().bytes_allocated;
            let garbage = allocate_garbage(rt, 2000);
            let cell_size = rt.heap.stats().bytes_allocated.saturating_sub(before) / 2000;
            clobber_stack();
            rt.collect_garbage();
            // A few stale words (the last cells allocated) may keep their
            // objects: conservatism, not a leak.
            let survivors = garbage.iter().filter(|&&addr| rt.heap.find_object(addr).is_some()).count();
            assert!(survivors <= 8, "{survivors} of 2000 unreferenced cells survived");
            if !stress {
                assert!(rt.heap.stats().bytes_allocated <= before + 8 * cell_size);
            }
            // Their cells are handed out again.
            let again = allocate_garbage(rt, 1000);
            assert!(again.iter().filter(|addr| garbage.contains(addr)).count() >= 900);
        });
    }
}

#[test]
fn nothing_is_scanned_without_a_base() {
    let mut rt = Runtime::with_gc_stress(false);
    assert_eq!(rt.native_stack_base, 0);
    let cell = black_box(rt.new_cell(Value::number(7.0)));
    let stats = scan_native_stack(&rt.heap, 0, &mut |_| panic!("found an object"));
    assert_eq!(stats, ScanStats::default());
    rt.collect_garbage();
    // The local is the only reference, and it is not a root.
    assert_eq!(rt.heap.find_object(black_box(cell) as usize), None);
}

#[test]
fn nested_runs_keep_the_outer_base() {
    let mut rt = Runtime::new();
    with_native_frames(&mut rt, |rt| {
        let outer = rt.native_stack_base;
        assert_ne!(outer, 0);
        with_native_frames(rt, |rt| assert_eq!(rt.native_stack_base, outer));
        assert_eq!(rt.native_stack_base, outer);
    });
    assert_eq!(rt.native_stack_base, 0);
}

#[test]
fn words_are_classified_exactly() {
    let mut rt = Runtime::with_gc_stress(false);
    let cell = rt.new_cell(Value::NIL) as usize;
    let string = rt.alloc_string(&[b's'; 100]) as usize;
    let big = rt.alloc_string(&[b'b'; 5000]) as usize;
    let words: [u64; 14] = [
        Value::object(cell as *const ObjCell).0,     // boxed start
        (string + string_size(50)) as u64,           // raw interior
        (big + 4096) as u64,                         // raw interior of a large object
        crate::value::OBJ_TAG | (string as u64 + 3), // boxed interior
        cell as u64,                                 // raw start
        Value::number(1.5).0,
        Value::NIL.0,
        Value::TRUE.0,
        0,
        u64::MAX,
        crate::value::OBJ_TAG | 8,
        (cell + size_of::<ObjCell>()) as u64, // the next, never used, cell of the page
        (big + string_size(5000)).next_multiple_of(8) as u64, // one past the large object
        &rt as *const Runtime as u64,         // a stack address
    ];
    let start = words.as_ptr() as usize;
    let end = start + size_of::<[u64; 14]>();
    let mut found = Vec::new();
    // SAFETY: `words` is a live local of this frame.
    let stats = unsafe { scan_words(&rt.heap, start, end, &mut |obj| found.push(obj as usize)) };
    assert_eq!(stats, ScanStats { words: 14, hits: 5 });
    assert_eq!(found, [cell, string, big, string, cell]);
    // A misaligned start skips to the next aligned word; a partial last
    // word is not read.
    let mut found = Vec::new();
    // SAFETY: as above, a sub-range.
    let stats = unsafe { scan_words(&rt.heap, start + 1, end - 1, &mut |obj| found.push(obj as usize)) };
    assert_eq!(stats.words, 12);
    assert_eq!(found, [string, big, string, cell]);
    black_box(&words);
}

/// The scan of a shallow test stack, and of one 200 frames deeper: prints
/// the words read and the time per scan, and the time of a whole collection
/// (`cargo test -- --nocapture`).
#[test]
fn scan_cost() {
    #[inline(never)]
    fn measure(rt: &mut Runtime, depth: u32) -> (ScanStats, std::time::Duration) {
        if depth > 0 {
            let keep = black_box([depth as u64; 4]);
            let result = measure(rt, depth - 1);
            black_box(keep);
            return result;
        }
        let rounds = 1000;
        let start = std::time::Instant::now();
        let mut stats = ScanStats::default();
        for _ in 0..rounds {
            stats = scan_native_stack(&rt.heap, rt.native_stack_base, &mut |obj| {
                black_box(obj);
            });
        }
        (stats, start.elapsed() / rounds)
    }
    let mut rt = Runtime::with_gc_stress(false);
    // A realistic heap: enough pages that the range check passes for words
    // that point near the heap.
    for _ in 0..20_000 {
        let cell = rt.new_cell(Value::NIL);
        rt.constants.push(Value::object(cell));
    }
    with_native_frames(&mut rt, |rt| {
        for depth in [0, 200] {
            let (stats, time) = measure(rt, depth);
            eprintln!(
                "native stack scan, {depth} extra frames: {} words, {} hits, {time:?} per scan ({:.2} ns/word)",
                stats.words,
                stats.hits,
                time.as_nanos() as f64 / stats.words as f64
            );
            assert!(stats.words > 0 && stats.words < 1 << 20);
        }
        let start = std::time::Instant::now();
        for _ in 0..10 {
            rt.collect_garbage();
        }
        eprintln!("for comparison, a whole collection of this heap: {:?}", start.elapsed() / 10);
    });
}

const MAGIC: u64 = 0x0bad_cafe_f00d_0001;

/// The spill writes what the callee-saved registers hold. (One of them may
/// hold the array's address instead: the compiler picks the asm's operand.)
#[test]
#[cfg(target_arch = "x86_64")]
fn callee_saved_registers_are_spilled() {
    let mut out = [0u64; SPILL_WORDS];
    // SAFETY: only writes four registers, which the asm declares clobbered.
    unsafe {
        std::arch::asm!(
            "mov r12, {m}",
            "mov r13, {m}",
            "mov r14, {m}",
            "mov r15, {m}",
            m = in(reg) MAGIC,
            out("r12") _,
            out("r13") _,
            out("r14") _,
            out("r15") _,
            options(nomem, nostack, preserves_flags),
        );
    }
    spill_callee_saved(&mut out);
    assert!(out.iter().filter(|&&word| word == MAGIC).count() >= 3, "{out:x?}");
}

/// As above, for aarch64.
#[test]
#[cfg(target_arch = "aarch64")]
fn callee_saved_registers_are_spilled() {
    let mut out = [0u64; SPILL_WORDS];
    // SAFETY: only writes four registers, which the asm declares clobbered.
    unsafe {
        std::arch::asm!(
            "mov x20, {m}",
            "mov x21, {m}",
            "mov x22, {m}",
            "mov x23, {m}",
            m = in(reg) MAGIC,
            out("x20") _,
            out("x21") _,
            out("x22") _,
            out("x23") _,
            options(nomem, nostack, preserves_flags),
        );
    }
    spill_callee_saved(&mut out);
    assert!(out.iter().filter(|&&word| word == MAGIC).count() >= 3, "{out:x?}");
}
