//! The limits behind "Stack overflow.".
//!
//! In wasm two stacks run out: Rust's shadow stack in linear memory (what
//! `Runtime::stack_limit` measures, under 100 bytes per Lox call) and the
//! browser engine's own call stack, which holds wasm's frames and which a
//! page cannot enlarge (V8: 984 KiB). The second runs out first, and traps
//! ("Maximum call stack size exceeded"), so a run in wasm also counts
//! interpreter activations (`Runtime::max_call_depth`; a Lox function
//! called from the library, as `map` calls its argument, is one more).
//! Measured: Node 20 runs about 1,650 activations (optimized code) to
//! 1,850 (baseline code); Chromium 156, in a fresh worker, fewer than
//! 990 when the deepest one raises an error. [`MAX_CALL_DEPTH`] leaves
//! that a wide margin. Natively only the stack pointer is checked, against
//! [`STACK_BUDGET`].
//!
//! This file is also a module of `build.rs`, which passes
//! [`WASM_STACK_SIZE`] to the linker (`-zstack-size`): keep it free of
//! anything but constants.

/// The wasm module's stack (Rust's shadow stack in linear memory), in
/// bytes: what `build.rs` asks the linker for.
pub const WASM_STACK_SIZE: usize = 2 << 20;

/// Headroom kept below the "Stack overflow." limit for Rust code that runs
/// between two checks (natives, printing, the collector).
pub const STACK_MARGIN: usize = 512 << 10;

/// How much stack a run may use before "Stack overflow.".
pub const STACK_BUDGET: usize = WASM_STACK_SIZE - 2 * STACK_MARGIN;

/// The stack of the thread a native run gets. Native frames are bigger
/// than wasm's shadow frames, so the same budget means fewer Lox frames
/// natively.
pub const NATIVE_THREAD_STACK: usize = STACK_BUDGET + 2 * STACK_MARGIN;

/// The most interpreter activations a wasm run may have under way (the
/// script's included): Lox recursion about 600 deep.
pub const MAX_CALL_DEPTH: u32 = 600;
