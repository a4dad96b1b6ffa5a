//! `brine-rt`: the runtime library that `brine build` links into every
//! executable without the JIT (`--no-jit`, the default).
//!
//! It owns the process side of a built program: the `brine_rt_main` entry
//! that the generated `main` calls, the big stack the program runs on, and
//! the exit codes. Everything else is `brine-runtime`, including the
//! `extern "C"` helpers compiled code calls (unmangled `brine_*` symbols).
//! It must not know the compiler: nothing of the front end, the IR's
//! passes or the code generator is linked into an executable, and nothing
//! maps memory that is both writable and executable.

use brine_runtime::Runtime;
use brine_runtime::image::{
    self, EXIT_INTERNAL, EXIT_RUNTIME, Image, STACK_MARGIN, STACK_SIZE, load_and_run,
};
use std::io::Write;

/// Runs the program described by `image` and returns the process exit code.
///
/// # Safety
/// `image` must point at the image `brine build` generated into this
/// executable (valid for the whole run).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_rt_main(image: *const Image) -> i32 {
    // Raw pointers are not Send; the image is static data, valid everywhere.
    let address = image as usize;
    image::on_program_thread(move || {
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
    })
}
