//! Conservative scanning of the native machine stack (DESIGN.md section 6).
//!
//! Native code (JIT, AOT, tier-up code, and the Rust helpers it calls) keeps
//! Lox values in machine registers and stack slots that the collector has no
//! map of. So every collection that runs while native frames are live treats
//! each word of the machine stack as a possible reference:
//!
//! 1. the callee-saved registers are spilled into an array in a frame of
//!    their own, so a value that native code keeps in one of them (and that
//!    no frame between it and the collector has saved yet) is on the stack too;
//! 2. every 8-byte-aligned word from the current stack pointer up to
//!    [`Runtime::native_stack_base`](crate::Runtime::native_stack_base) is
//!    read; a NaN-boxed object value (`word & OBJ_TAG == OBJ_TAG`) stands for
//!    the address in its low bits, any other word for itself;
//! 3. if [`Heap::find_object`] finds a live object at or around that address
//!    (interior pointers included), the object is a root.
//!
//! A word that only looks like a reference keeps garbage alive until it is
//! overwritten: that is the price of conservatism, and safe because the heap
//! never moves objects.
//!
//! Soundness rests on this invariant, which engines keep: **the base is an
//! address in a frame of the thread that collects, above every frame that
//! runs native code, and it is reset (to 0, "no native frames") before that
//! frame returns**. [`with_native_frames`] sets and resets it around a call.
//! Reading the words of live frames of our own stack is sound in practice
//! but outside Rust's abstract machine (they are other functions' locals), so
//! they are read with `read_volatile` and nothing more is assumed of them.
//!
//! Callee-saved registers are spilled on x86_64 (rbx, rbp, r12-r15; rsi and
//! rdi too, which Windows treats as callee-saved; Windows' xmm6-xmm15 are not)
//! and aarch64 (x19-x29, d8-d15). Other targets spill nothing, so native code
//! must not keep values in callee-saved registers across calls there.
//! Words are 64-bit: this assumes a 64-bit target, as NaN-boxing does.

use crate::Runtime;
use crate::heap::Heap;
use crate::object::ObjHeader;
use crate::value::OBJ_TAG;
use std::hint::black_box;

/// The size and alignment of a scanned word.
const WORD: usize = 8;

/// What one scan did.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Stack words read (the spilled registers included).
    pub words: usize,
    /// Words that pointed at or into a live object (an object referenced by
    /// several words counts once per word).
    pub hits: usize,
}

/// Reports to `found` every live object that a word of the current thread's
/// native stack refers to, between the stack pointer and `base`. Does
/// nothing when `base` is 0.
///
/// `base` must be 0 or keep the invariant of the module doc: an address in a
/// live frame of the current thread, above the caller's frame.
pub fn scan_native_stack(heap: &Heap, base: usize, found: &mut dyn FnMut(*mut ObjHeader)) -> ScanStats {
    if base == 0 {
        return ScanStats::default();
    }
    spill_registers_and_scan(heap, base, found)
}

/// Runs `f` with [`Runtime::native_stack_base`](crate::Runtime::native_stack_base)
/// set to an address in this function's frame, so that collections during
/// `f` scan every frame `f` makes (native code included), then restores the
/// previous base. A base an outer call already set (higher on the stack)
/// is kept. If `f` unwinds, the base is left set: harmless on this thread
/// (a base below the stack pointer scans nothing), but reset it before the
/// runtime moves to another thread.
#[inline(never)]
pub fn with_native_frames<R>(rt: &mut Runtime, f: impl FnOnce(&mut Runtime) -> R) -> R {
    let anchor = 0u8;
    let here = black_box(&anchor) as *const u8 as usize;
    let outer = rt.native_stack_base;
    rt.native_stack_base = outer.max(here);
    let result = call_below(rt, f);
    rt.native_stack_base = outer;
    result
}

/// Calls `f` in a frame below the caller's, so that nothing `f` does is
/// kept in the caller's frame above its anchor.
#[inline(never)]
fn call_below<R>(rt: &mut Runtime, f: impl FnOnce(&mut Runtime) -> R) -> R {
    f(rt)
}

/// Number of registers [`spill_callee_saved`] writes.
#[cfg(target_arch = "x86_64")]
const SPILL_WORDS: usize = 8;
#[cfg(target_arch = "aarch64")]
const SPILL_WORDS: usize = 19;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const SPILL_WORDS: usize = 0;

/// Spills the callee-saved registers into an array of this frame, then scans
/// from a frame below it, so the array is part of the scanned range. (If the
/// compiler picks a callee-saved register to hold the array's address, its
/// prologue saved that register's value in this frame: scanned as well.)
#[inline(never)]
fn spill_registers_and_scan(heap: &Heap, base: usize, found: &mut dyn FnMut(*mut ObjHeader)) -> ScanStats {
    let mut spilled = [0u64; SPILL_WORDS];
    spill_callee_saved(&mut spilled);
    let stats = scan_from_here(heap, base, found);
    // Keeps the array (and the stores into it) alive until the scan is over.
    black_box(&mut spilled);
    stats
}

/// Writes the callee-saved registers into `out`.
#[inline(always)]
#[cfg(target_arch = "x86_64")]
fn spill_callee_saved(out: &mut [u64; SPILL_WORDS]) {
    // SAFETY: the assembly only stores eight registers into the eight words
    // of `out`, which it may write; it touches no stack and no flags.
    unsafe {
        std::arch::asm!(
            "mov [{0}], rbx",
            "mov [{0} + 8], rbp",
            "mov [{0} + 16], r12",
            "mov [{0} + 24], r13",
            "mov [{0} + 32], r14",
            "mov [{0} + 40], r15",
            "mov [{0} + 48], rsi",
            "mov [{0} + 56], rdi",
            in(reg) out.as_mut_ptr(),
            options(nostack, preserves_flags),
        );
    }
}

/// Writes the callee-saved registers into `out`.
#[inline(always)]
#[cfg(target_arch = "aarch64")]
fn spill_callee_saved(out: &mut [u64; SPILL_WORDS]) {
    // SAFETY: the assembly only stores nineteen registers into the nineteen
    // words of `out`, which it may write; it touches no stack and no flags.
    unsafe {
        std::arch::asm!(
            "stp x19, x20, [{0}]",
            "stp x21, x22, [{0}, #16]",
            "stp x23, x24, [{0}, #32]",
            "stp x25, x26, [{0}, #48]",
            "stp x27, x28, [{0}, #64]",
            "str x29, [{0}, #80]",
            "stp d8, d9, [{0}, #88]",
            "stp d10, d11, [{0}, #104]",
            "stp d12, d13, [{0}, #120]",
            "stp d14, d15, [{0}, #136]",
            in(reg) out.as_mut_ptr(),
            options(nostack, preserves_flags),
        );
    }
}

/// No register spill on other targets (see the module doc).
#[inline(always)]
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn spill_callee_saved(_out: &mut [u64; SPILL_WORDS]) {}

/// Scans from (about) the stack pointer of this frame, which lies below its
/// caller's spill array, up to `base`.
#[inline(never)]
fn scan_from_here(heap: &Heap, base: usize, found: &mut dyn FnMut(*mut ObjHeader)) -> ScanStats {
    let anchor = 0u64;
    let sp = black_box(&anchor) as *const u64 as usize;
    if base <= sp {
        debug_assert!(false, "native_stack_base {base:#x} is not above the stack pointer {sp:#x}");
        return ScanStats::default();
    }
    // SAFETY: `[sp, base)` runs from a local of this frame up to an address
    // in a live frame of this thread (the module invariant): all of it is
    // this thread's mapped stack, holding the live frames between the two.
    unsafe { scan_words(heap, sp, base, found) }
}

/// Reports the live object each 8-byte-aligned word in `[start, end)` refers
/// to, if any.
///
/// # Safety
/// Every aligned word in `[start, end)` must be readable for the whole call:
/// a part of the current thread's stack below a live frame, or memory the
/// caller owns. Nothing is written there.
pub(crate) unsafe fn scan_words(
    heap: &Heap,
    start: usize,
    end: usize,
    found: &mut dyn FnMut(*mut ObjHeader),
) -> ScanStats {
    let mut stats = ScanStats::default();
    let mut addr = start.next_multiple_of(WORD);
    while addr < end && end - addr >= WORD {
        // SAFETY: an aligned word inside `[start, end)`, readable by the
        // caller's contract. Volatile: the words belong to other frames
        // (other functions' locals), so the read must happen as written and
        // nothing is inferred from it.
        let word = unsafe { std::ptr::read_volatile(addr as *const u64) };
        stats.words += 1;
        if let Some(obj) = heap.find_object(candidate(word)) {
            stats.hits += 1;
            found(obj);
        }
        addr += WORD;
    }
    stats
}

/// The address a stack word might refer to: the payload of a NaN-boxed
/// object value, else the word itself (a raw or interior pointer).
#[inline]
fn candidate(word: u64) -> usize {
    if word & OBJ_TAG == OBJ_TAG { (word & !OBJ_TAG) as usize } else { word as usize }
}

#[cfg(test)]
mod tests;
