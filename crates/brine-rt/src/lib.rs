//! `brine-rt`: the runtime library that `brine build` links into every
//! executable (without the JIT).
//!
//! It owns the process side of a built program: the `brine_rt_main` entry
//! that the generated `main` calls, the big stack the program runs on, and
//! the exit codes. Everything else is `brine-runtime`, including the
//! `extern "C"` helpers compiled code calls (unmangled `brine_*` symbols).
//! It must not know the compiler: nothing of the front end, the IR or the
//! code generator is linked into an executable.

use brine_runtime::Runtime;
use brine_runtime::image::{Image, load_and_run};
use std::io::Write;

/// The stack a built program runs on: 100,000 Lox frames must fit.
const STACK_SIZE: usize = 256 << 20;
/// Headroom below the "Stack overflow." limit for runtime code.
const STACK_MARGIN: usize = 4 << 20;
const EXIT_RUNTIME: i32 = 70;
/// A bug in Brine (never a Lox error's code), as `brine` exits.
const EXIT_INTERNAL: i32 = 101;

/// Runs the program described by `image` and returns the process exit code.
///
/// # Safety
/// `image` must point at the image `brine build` generated into this
/// executable (valid for the whole run).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_rt_main(image: *const Image) -> i32 {
    // Raw pointers are not Send; the image is static data, valid everywhere.
    let address = image as usize;
    let thread = std::thread::Builder::new().name("lox".into()).stack_size(STACK_SIZE).spawn(move || {
        // SAFETY: the caller's contract; the image lives for the whole program.
        let image = unsafe { &*(address as *const Image) };
        let mut rt = Runtime::new();
        rt.script_args = std::env::args_os().skip(1).map(|a| a.into_encoded_bytes()).collect();
        // SAFETY: the image was generated against this runtime, and this
        // thread has STACK_SIZE bytes of stack.
        match unsafe { load_and_run(&mut rt, image, STACK_SIZE - STACK_MARGIN) } {
            Ok(()) => 0,
            Err(error) => {
                let _ = std::io::stderr().lock().write_all(error.report().as_bytes());
                if error.internal { EXIT_INTERNAL } else { EXIT_RUNTIME }
            }
        }
    });
    match thread.map(|t| t.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("brine: internal error: the program thread failed");
            EXIT_INTERNAL
        }
    }
}
