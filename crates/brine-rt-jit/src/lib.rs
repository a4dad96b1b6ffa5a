//! `brine-rt-jit`: the runtime library that `brine build --jit` links into
//! an executable that re-compiles itself.
//!
//! Its `brine_rt_main` decodes the program's IR that the executable
//! carries (`brine_ir::binary`; a version this runtime does not read is an
//! error at start-up), links the executable's ahead-of-time code to it and
//! runs it under the tier manager of `brine-tier`, exactly as `brine run`
//! does but starting on that code: its baseline code counts calls and loop
//! iterations, and when a function gets hot it goes to the interpreter to
//! be profiled, then to the optimizer, Cranelift and on-stack replacement.
//! An executable also optimized ahead of time (`-O2 --jit`) starts on its
//! optimized versions; the tier manager takes them as its own, so a guard
//! that fails sends the function to the interpreter to be profiled and
//! optimized again. The environment tunes it as it tunes `brine run`: `BRINE_TIER`,
//! `BRINE_TIER_THRESHOLD`, `BRINE_DEOPT_STRESS`, and `BRINE_PROFILE=1`
//! prints the `--profile` report to stderr at exit.
//!
//! It must not know Lox syntax: the front end is not linked in.

use brine_ir::FuncId;
use brine_runtime::image::{self, EXIT_INTERNAL, EXIT_RUNTIME, Image};
use brine_tier::{Mode, Options, Outcome, Session};

/// A bad setting in the environment, as `brine` exits for bad usage.
const EXIT_USAGE: i32 = 64;

/// Runs the program of `image` and returns the process exit code.
///
/// # Safety
/// `image` must point at the image `brine build --jit` generated into this
/// executable (valid for the whole run).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn brine_rt_main(image: *const Image) -> i32 {
    // Raw pointers are not Send; the image is static data, valid everywhere.
    let address = image as usize;
    image::on_program_thread(move || {
        // SAFETY: the caller's contract; the image lives for the whole program.
        run(unsafe { &*(address as *const Image) })
    })
}

fn run(image: &Image) -> i32 {
    // SAFETY: the image's IR bytes are static data of this executable.
    let bytes = unsafe { image.ir.bytes() };
    if bytes.is_empty() {
        eprintln!(
            "brine: internal error: this executable carries no IR for its JIT (it was not built with --jit)"
        );
        return EXIT_INTERNAL;
    }
    let module = match brine_ir::binary::decode(bytes) {
        Ok(module) => module,
        Err(e) => {
            eprintln!(
                "brine: this executable cannot start: its program is {e}; build it again with `brine build --jit`"
            );
            return EXIT_INTERNAL;
        }
    };
    let mut options = match Options::new(Mode::Tiered) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("brine: {e}");
            return EXIT_USAGE;
        }
    };
    let flag = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    options.profile = flag("BRINE_PROFILE");
    options.perf_map = flag("BRINE_PERF_MAP");
    options.args = std::env::args_os().skip(1).map(|a| a.into_encoded_bytes()).collect();
    let profile = options.profile;
    let mut session = match Session::new(options) {
        Ok(session) => session,
        Err(e) => {
            eprintln!("brine: internal error: {e}");
            return EXIT_INTERNAL;
        }
    };
    session.error_printer = |module, error| {
        use std::io::Write;
        let locate = |site| module.site_source(brine_ir::SiteId::new(site));
        let text =
            brine_diagnostics::render_runtime_error(error, locate, brine_diagnostics::Choice::from_env());
        let _ = std::io::stderr().lock().write_all(&text);
    };
    // An executable optimized ahead of time (`-O2 --jit`) carries its
    // optimized versions after the functions.
    let mut module = module;
    let n = image.nfunctions as usize;
    if module.functions.len() != n + image.nversions as usize {
        eprintln!("brine: internal error: the program's IR does not match its code");
        return EXIT_INTERNAL;
    }
    let optimized = module.functions.split_off(n);
    session.program.module = module;
    // SAFETY: this executable's image, compiled from the module just decoded.
    if let Err(e) = unsafe { session.link_image(image) } {
        eprintln!("brine: internal error: {e}");
        return EXIT_INTERNAL;
    }
    if !optimized.is_empty() {
        // SAFETY: the image's tables are static data of this executable.
        let ids = unsafe { std::slice::from_raw_parts(image.versions, image.nversions as usize) };
        let versions = ids.iter().map(|&id| FuncId(id)).zip(optimized).collect();
        // SAFETY: the image's versions, compiled from this module, and its
        // class links.
        unsafe { session.adopt_versions(versions, image.class_links()) };
    }
    let outcome = session.execute(FuncId(image.script as u32));
    if profile {
        eprint!("{}", session.profile_report());
    }
    match outcome {
        Outcome::Ok => 0,
        Outcome::RuntimeError => EXIT_RUNTIME,
        Outcome::InternalError => EXIT_INTERNAL,
    }
}
