//! Ahead-of-time compilation: `brine build` compiles a module to an object
//! file and links it with the runtime library into an executable.

use brine_ir::{FuncId, Module};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Why a build failed.
#[derive(Debug)]
pub enum BuildError {
    /// The runtime library, the linker or a file: the user's environment.
    Io(String),
    /// A bug in Brine.
    Internal(String),
}

/// Where the runtime library for built executables is: `$BRINE_RT_LIB`, or
/// `libbrine_rt.a` next to the running executable (where cargo builds it).
pub fn runtime_library() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("BRINE_RT_LIB") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("BRINE_RT_LIB names '{}', which is not a file", path.display()))
        };
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate the brine executable: {e}"))?;
    let path = exe.with_file_name("libbrine_rt.a");
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "cannot find the runtime library '{}'; build it with `cargo build --release` (it is part of the \
             workspace) or set BRINE_RT_LIB to its path",
            path.display()
        ))
    }
}

/// Compiles `module` (whose script is `script`) to an object file and links
/// it with the runtime library into the executable `output`. Returns the
/// time the link took.
pub fn build_executable(module: &Module, script: FuncId, output: &Path) -> Result<Duration, BuildError> {
    let library = runtime_library().map_err(BuildError::Io)?;
    let object = brine_codegen::object::compile_object(module, script).map_err(BuildError::Internal)?;
    let dir = std::env::temp_dir().join(format!("brine-build-{}", std::process::id()));
    let object_path = dir.join("program.o");
    std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(&object_path, &object))
        .map_err(|e| BuildError::Io(format!("cannot write '{}': {e}", object_path.display())))?;
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let started = Instant::now();
    let status = Command::new(&cc)
        .arg(&object_path)
        .arg(&library)
        .arg("-o")
        .arg(output)
        .args(["-Wl,--gc-sections", "-Wl,--strip-debug"])
        .args(["-lpthread", "-ldl", "-lm", "-lgcc_s", "-lc"])
        .status();
    let _ = std::fs::remove_dir_all(&dir);
    match status {
        Ok(s) if s.success() => Ok(started.elapsed()),
        Ok(s) => Err(BuildError::Io(format!("the linker ({}) failed: {s}", cc.to_string_lossy()))),
        Err(e) => Err(BuildError::Io(format!(
            "cannot run the linker '{}': {e} (install a C toolchain, e.g. Debian's gcc)",
            cc.to_string_lossy()
        ))),
    }
}
