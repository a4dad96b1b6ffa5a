//! Ahead-of-time compilation: `brine build` compiles a module to an object
//! file and links it with a runtime library into an executable: without
//! the JIT (`libbrine_rt.a`), or with it and the module's IR
//! (`libbrine_rt_jit.a`, `--jit`).

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

/// How to build an executable.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Carry the IR, the optimizer and the code generator, and re-compile
    /// hot functions at run time (`--jit`).
    pub jit: bool,
    /// Optimize ahead of time from what the program shows without running
    /// (`-O2`; `brine_opt::whole_program`): each function that the
    /// optimizer takes gets optimized code, with its baseline code beside
    /// it, and the executable carries the module, so that a failed guard
    /// finishes its activation in the interpreter (and, with `jit`, the
    /// function is profiled there and optimized again at run time).
    pub optimize: bool,
    /// `BRINE_DEOPT_STRESS`: every Nth guard check fails (0: off).
    pub deopt_stress: u64,
    /// What a run observed (`brine run --save-profile`), for `-O2` to
    /// speculate from, over what the program shows without running.
    pub profile: Option<brine_opt::whole_program::Profile>,
}

/// What a build made.
#[derive(Clone, Debug)]
pub struct Built {
    /// How long the link took.
    pub link_time: Duration,
    /// The size of the object file (the program's code and tables).
    pub object_bytes: usize,
    /// The size of the encoded IR the executable carries (0 without the JIT).
    pub ir_bytes: usize,
}

/// Where a runtime library for built executables is: `$BRINE_RT_LIB` (or
/// `$BRINE_RT_JIT_LIB` for `jit`), or `libbrine_rt.a` (`libbrine_rt_jit.a`)
/// next to the running executable, where cargo builds it.
pub fn runtime_library(jit: bool) -> Result<PathBuf, String> {
    let (var, file) =
        if jit { ("BRINE_RT_JIT_LIB", "libbrine_rt_jit.a") } else { ("BRINE_RT_LIB", "libbrine_rt.a") };
    if let Some(path) = std::env::var_os(var) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{var} names '{}', which is not a file", path.display()))
        };
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate the brine executable: {e}"))?;
    let path = exe.with_file_name(file);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "cannot find the runtime library '{}'; build it with `cargo build --release` (it is part of the \
             workspace) or set {var} to its path",
            path.display()
        ))
    }
}

/// Compiles `module` (whose script is `script`) to an object file and links
/// it with the runtime library into the executable `output`.
pub fn build_executable(
    module: &Module,
    script: FuncId,
    output: &Path,
    options: &BuildOptions,
) -> Result<Built, BuildError> {
    let library = runtime_library(options.jit).map_err(BuildError::Io)?;
    if let Some(profile) = &options.profile
        && profile.module != brine_opt::whole_program::module_hash(module)
    {
        return Err(BuildError::Io(
            "the profile is of another program (or of this one compiled by another Brine): save it again \
             with `brine run --save-profile`"
                .into(),
        ));
    }
    // -O2: the `brine.specialize` calls whose arguments are known now are
    // done now (their residual functions are then functions of the module).
    let specialized;
    let module = if options.optimize {
        let mut m = module.clone();
        brine_opt::peval::specialize_ahead_of_time(&mut m);
        specialized = m;
        &specialized
    } else {
        module
    };
    let (versions, classes) = if options.optimize {
        optimize_ahead_of_time(module, options.profile.as_ref())
    } else {
        (Vec::new(), Vec::new())
    };
    let ir = if options.jit || options.optimize {
        // The optimized versions come after the functions (their frame states
        // are what a failed guard resumes from).
        let mut carried = module.clone();
        carried.functions.extend(versions.iter().map(|(_, f)| f.clone()));
        Some(brine_ir::binary::encode(&carried))
    } else {
        None
    };
    let object_options = brine_codegen::object::ObjectOptions {
        ir,
        tier_counters: options.jit,
        versions,
        deopt_stress: if options.optimize { options.deopt_stress } else { 0 },
        classes,
    };
    let ir_bytes = object_options.ir.as_ref().map_or(0, Vec::len);
    let object = brine_codegen::object::compile_object(module, script, &object_options)
        .map_err(BuildError::Internal)?;
    let dir = std::env::temp_dir().join(format!("brine-build-{}", std::process::id()));
    let object_path = dir.join("program.o");
    std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(&object_path, &object))
        .map_err(|e| BuildError::Io(format!("cannot write '{}': {e}", object_path.display())))?;
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let started = Instant::now();
    let mut command = Command::new(&cc);
    if gold_available() {
        // Several times faster than the default (bfd) on the runtime
        // library: 0.7 s against 1.8 s for a `--jit` link, measured.
        command.arg("-fuse-ld=gold");
    }
    match prelinked(&library) {
        // Its sections are those that executables reach already.
        Some(runtime) => command.arg(&object_path).arg(runtime),
        None => command.arg(&object_path).arg(&library).arg("-Wl,--gc-sections"),
    };
    let status = command
        .arg("-o")
        .arg(output)
        .arg("-Wl,--strip-debug")
        .args(["-lpthread", "-ldl", "-lm", "-lgcc_s", "-lc"])
        .status();
    let _ = std::fs::remove_dir_all(&dir);
    match status {
        Ok(s) if s.success() => {
            Ok(Built { link_time: started.elapsed(), object_bytes: object.len(), ir_bytes })
        }
        Ok(s) => Err(BuildError::Io(format!("the linker ({}) failed: {s}", cc.to_string_lossy()))),
        Err(e) => Err(BuildError::Io(format!(
            "cannot run the linker '{}': {e} (install a C toolchain, e.g. Debian's gcc)",
            cc.to_string_lossy()
        ))),
    }
}

/// Whether gold, binutils' faster ELF linker, is on the PATH.
fn gold_available() -> bool {
    static GOLD: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *GOLD.get_or_init(|| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("ld.gold").is_file()))
    })
}

/// The optimized version of every function of `module` that the optimizer
/// takes, specialized from what the whole program shows before it runs,
/// and from what a run observed, if there is a profile; and the classes
/// whose runtime objects they name by class links.
fn optimize_ahead_of_time(
    module: &Module,
    profile: Option<&brine_opt::whole_program::Profile>,
) -> (Vec<(FuncId, brine_ir::Function)>, Vec<brine_ir::symbol::ClassLinks>) {
    use brine_opt::whole_program::StaticFacts;
    let slot = brine_runtime::Runtime::inline_slot_offset;
    let facts = match profile {
        Some(profile) => StaticFacts::with_profile(module, profile, slot),
        None => StaticFacts::analyze(module, slot),
    };
    let versions = (0..module.functions.len())
        .map(FuncId::new)
        .filter(|&id| facts.worth_optimizing(id))
        .filter_map(|id| Some((id, brine_opt::optimize(module, module.function(id), &facts).ok()?)))
        .collect();
    (versions, facts.class_links().to_vec())
}

/// What `brine build -O2` makes of `module` (`brine emit o2-ir`): each
/// optimized version as `brine emit ir` prints it, then the classes with
/// class links.
pub fn ahead_of_time_ir(module: &Module) -> String {
    let before = module.functions.len();
    let mut specialized = module.clone();
    let notes = brine_opt::peval::specialize_ahead_of_time(&mut specialized);
    let module = &specialized;
    let (versions, classes) = optimize_ahead_of_time(module, None);
    let mut out = String::new();
    for note in notes {
        out.push_str(&note);
        out.push('\n');
    }
    for id in (0..module.functions.len()).map(FuncId::new).filter(|id| id.index() >= before) {
        let text = brine_ir::printer::detached_function_text(module, module.function(id));
        out.push_str(&format!(
            "; specialized ahead of time: {id} {}\n{text}\n",
            module.function(id).display_name()
        ));
    }
    for (id, func) in versions {
        let text = brine_ir::printer::detached_function_text(module, &func);
        out.push_str(&format!("; -O2 version of {id} {}\n{text}\n", module.function(id).display_name()));
    }
    for c in classes {
        let name = String::from_utf8_lossy(&module.globals[c.global.index()]);
        let fields: Vec<String> =
            c.path.iter().map(|&s| String::from_utf8_lossy(module.string(s)).into()).collect();
        out.push_str(&format!(
            "; class links {}..{}: {name} (declared in {} after {:?}), fields [{}]\n",
            c.first,
            c.first + c.slots(),
            c.func,
            c.after,
            fields.join(", ")
        ));
    }
    out
}

/// Where `brine build` keeps what it makes once for many builds:
/// `$BRINE_CACHE_DIR`, `$XDG_CACHE_HOME/brine`, `~/.cache/brine`.
fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BRINE_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("brine"));
    }
    std::env::var_os("HOME").filter(|d| !d.is_empty()).map(|home| PathBuf::from(home).join(".cache/brine"))
}

/// The runtime `library` pre-linked into one relocatable object that holds
/// only what a built program can reach (its `main`'s `brine_rt_main` and
/// the helpers compiled code calls), without debug information: made once
/// per library (by size and modification time) with `ld -r --gc-sections`
/// and kept in the [`cache_dir`]. Linking it takes a fraction of the time
/// the archive takes (0.25 s against 0.7 s for the JIT's runtime, measured
/// with gold). None, and the caller links the archive, when it cannot be
/// made.
fn prelinked(library: &Path) -> Option<PathBuf> {
    let meta = std::fs::metadata(library).ok()?;
    let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    let path = std::fs::canonicalize(library).ok()?;
    let key = format!("{}\0{}\0{}", path.display(), meta.len(), modified.as_nanos());
    let hash =
        key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    let dir = cache_dir()?;
    let cached = dir.join(format!("runtime-{hash:016x}.o"));
    if cached.is_file() {
        // Marked as used, so that pruning (of what no build used for a
        // day) leaves it.
        let _ = std::fs::File::options()
            .append(true)
            .open(&cached)
            .and_then(|f| f.set_modified(std::time::SystemTime::now()));
        return Some(cached);
    }
    std::fs::create_dir_all(&dir).ok()?;
    prune(&dir);
    // Made under a name of its own and renamed: builds running at once
    // never see half an object.
    let partial = dir.join(format!("runtime-{hash:016x}.{}.tmp", std::process::id()));
    let mut ld = Command::new("ld");
    ld.args(["-r", "--gc-sections", "--strip-debug", "-e", "brine_rt_main"]);
    for helper in brine_runtime::abi::helpers() {
        ld.arg("-u").arg(helper.name);
    }
    let made = ld.arg("--whole-archive").arg(library).arg("-o").arg(&partial).output();
    let ok = made.is_ok_and(|o| o.status.success()) && std::fs::rename(&partial, &cached).is_ok();
    let _ = std::fs::remove_file(&partial);
    ok.then_some(cached)
}

/// Removes the pre-linked runtimes of the cache that no build used for a
/// day, and all but the [`CACHE_KEEP`] used last (each library that is
/// rebuilt leaves one behind; one needed again is made again).
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut cached: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("runtime-"))
        .filter_map(|e| Some((e.metadata().and_then(|m| m.modified()).ok()?, e.path())))
        .collect();
    cached.sort_by_key(|&(modified, _)| std::cmp::Reverse(modified));
    for (k, (modified, path)) in cached.iter().enumerate() {
        let stale = modified.elapsed().is_ok_and(|age| age > Duration::from_secs(24 * 3600));
        if stale || k >= CACHE_KEEP {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// How many pre-linked runtimes the cache keeps at most: the release and
/// debug builds of both libraries, and as many again.
const CACHE_KEEP: usize = 8;
