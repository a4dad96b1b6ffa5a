//! The C-ABI surface the page's glue calls (wasm32 only).
//!
//! 1. `brine_alloc(len)` reserves `len` bytes; the glue copies the UTF-8
//!    source there;
//! 2. `brine_run(ptr, len)` runs it, frees those bytes and returns a
//!    result handle;
//! 3. `brine_result_ptr(h)` and `brine_result_len(h)` locate the result,
//!    the [`Report`](crate::Report) as UTF-8 JSON, which the glue reads;
//! 4. `brine_result_free(h)` frees it.
//!
//! After a trap (a panic: a bug in Brine), `brine_take_panic()` returns a
//! result handle of its message (empty if none was recorded); the glue
//! then makes a fresh instance.

use std::sync::Mutex;

/// The message of the last panic, written by the panic hook.
static PANIC: Mutex<String> = Mutex::new(String::new());

fn handle(bytes: Vec<u8>) -> *mut Vec<u8> {
    Box::into_raw(Box::new(bytes))
}

/// `len` bytes for the glue to write into (free them with `brine_dealloc`,
/// or pass them to `brine_run`, which frees them).
#[unsafe(no_mangle)]
pub extern "C" fn brine_alloc(len: usize) -> *mut u8 {
    let mut bytes = Vec::<u8>::with_capacity(len.max(1));
    let ptr = bytes.as_mut_ptr();
    std::mem::forget(bytes);
    ptr
}

/// Frees what `brine_alloc(len)` returned.
///
/// # Safety
/// `ptr` came from `brine_alloc(len)` and was not freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_dealloc(ptr: *mut u8, len: usize) {
    // SAFETY: the caller's contract: a vector of this capacity, length 0.
    drop(unsafe { Vec::from_raw_parts(ptr, 0, len.max(1)) });
}

/// Runs the `len` bytes at `ptr` (from `brine_alloc(len)`, which this
/// frees) and returns the handle of the JSON report.
///
/// # Safety
/// `ptr` came from `brine_alloc(len)`, and its `len` bytes were written.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_run(ptr: *mut u8, len: usize) -> *mut Vec<u8> {
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut message) = PANIC.lock() {
            *message = info.to_string();
        }
    }));
    // SAFETY: the caller's contract: `len` initialized bytes of a vector
    // of that capacity.
    let source = unsafe { Vec::from_raw_parts(ptr, len, len.max(1)) };
    let report = crate::run(&source);
    handle(report.to_json().into_bytes())
}

/// Where a result's bytes start.
///
/// # Safety
/// `h` is a live result handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_result_ptr(h: *const Vec<u8>) -> *const u8 {
    // SAFETY: the caller's contract.
    unsafe { (*h).as_ptr() }
}

/// How many bytes a result has.
///
/// # Safety
/// `h` is a live result handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_result_len(h: *const Vec<u8>) -> usize {
    // SAFETY: the caller's contract.
    unsafe { (*h).len() }
}

/// Frees a result.
///
/// # Safety
/// `h` is a live result handle, not used after this.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_result_free(h: *mut Vec<u8>) {
    // SAFETY: the caller's contract: a handle from `Box::into_raw`.
    drop(unsafe { Box::from_raw(h) });
}

/// The last panic's message, as a result handle (empty if none).
#[unsafe(no_mangle)]
pub extern "C" fn brine_take_panic() -> *mut Vec<u8> {
    let message = PANIC.lock().map(|mut m| std::mem::take(&mut *m)).unwrap_or_default();
    handle(message.into_bytes())
}
