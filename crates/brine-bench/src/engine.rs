//! Engine specifications: how to run one benchmark program in one engine.
//!
//! An engine is written `[LABEL=]SPEC`, where SPEC is one of:
//!
//! - `NAME[:FLAGS]`: `brine run --engine=NAME FLAGS FILE`, e.g. `interp`,
//!   `jit`, `jit:--no-tier`.
//! - `aot[:FLAGS]`: `brine build FLAGS FILE -o EXE` once (timed on its
//!   own, for the build section, with the executable's size), then `EXE` is
//!   timed, e.g. `aot`, `aot:--jit`, `aot:-O2 --jit`. A flag `{profile}`
//!   stands for a profile file that `brine run --save-profile` writes from
//!   a run of the program first (not timed), e.g. `aot:-O2 --use-profile
//!   {profile}`.
//! - `cmd:PROGRAM ARGS...`: an external program, e.g. another Lox
//!   implementation (`cmd:/opt/clox`) or a peer language running a port of the
//!   program (`cmd:luajit {dir}/lua/{stem}.lua`). `{file}` is the `.lox` path,
//!   `{stem}` its name without extension, `{dir}` the benchmark directory.
//!   With no placeholder, the `.lox` path is appended. The first argument
//!   with a placeholder is the program's input: when it names no existing
//!   file, that program is skipped for this engine.
//!
//! FLAGS and ARGS are split on whitespace. The label (the column title)
//! defaults to SPEC, or to the program's file name for `cmd:`.

use std::fmt;
use std::path::{Path, PathBuf};

/// What kind of engine, and the arguments that make it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineKind {
    /// `brine run --engine=NAME FLAGS... FILE`.
    Run { engine: String, flags: Vec<String> },
    /// `brine build FLAGS... FILE -o EXE`, then `EXE`.
    Aot { flags: Vec<String> },
    /// An external command line, with placeholders.
    External { argv: Vec<String> },
}

/// One column of the results table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engine {
    pub label: String,
    pub kind: EngineKind,
}

/// A malformed engine specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(pub String);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

fn split_flags(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

impl Engine {
    /// Parses one `[LABEL=]SPEC` item.
    pub fn parse(item: &str) -> Result<Engine, SpecError> {
        let item = item.trim();
        if item.is_empty() {
            return Err(SpecError("empty engine name".into()));
        }
        // `LABEL=` only when what precedes the first `=` is a plain name, so
        // `jit:--threshold=10` is not mistaken for a label.
        let (label, spec) = match item.split_once('=') {
            Some((label, spec)) if is_name(label) => (Some(label.to_owned()), spec.trim()),
            _ => (None, item),
        };
        let (head, rest) = match spec.split_once(':') {
            Some((head, rest)) => (head, Some(rest)),
            None => (spec, None),
        };
        let kind = match (head, rest) {
            ("cmd", Some(command)) => {
                let argv = split_flags(command);
                if argv.is_empty() {
                    return Err(SpecError(format!("`{item}`: `cmd:` needs a program")));
                }
                EngineKind::External { argv }
            }
            ("cmd", None) => {
                return Err(SpecError(format!("`{item}`: `cmd:` needs a program")));
            }
            ("aot", rest) => EngineKind::Aot { flags: rest.map(split_flags).unwrap_or_default() },
            (name, rest) if is_name(name) => {
                EngineKind::Run { engine: name.to_owned(), flags: rest.map(split_flags).unwrap_or_default() }
            }
            _ => {
                return Err(SpecError(format!(
                    "`{item}`: expected NAME[:FLAGS], aot[:FLAGS] or cmd:PROGRAM [ARGS]"
                )));
            }
        };
        let label = label.unwrap_or_else(|| match &kind {
            EngineKind::External { argv } => Path::new(&argv[0])
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| argv[0].clone()),
            _ => spec.to_owned(),
        });
        Ok(Engine { label, kind })
    }

    /// Parses a comma-separated list of engines, rejecting duplicate labels.
    pub fn parse_list(list: &str, into: &mut Vec<Engine>) -> Result<(), SpecError> {
        for item in list.split(',') {
            let engine = Engine::parse(item)?;
            if into.iter().any(|e| e.label == engine.label) {
                return Err(SpecError(format!(
                    "engine `{}` given twice (use LABEL=SPEC to tell them apart)",
                    engine.label
                )));
            }
            into.push(engine);
        }
        Ok(())
    }

    /// Whether running this engine needs the `brine` binary.
    pub fn needs_brine(&self) -> bool {
        !matches!(self.kind, EngineKind::External { .. })
    }
}

/// One benchmark program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The file name without `.lox`.
    pub stem: String,
    pub path: PathBuf,
}

/// How to run one program in one engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Run this command line, timed.
    Run(Vec<String>),
    /// First run `profile`, if any (once, not timed: the run that saves
    /// the profile the build reads), then build with `build` (once, not
    /// one of the timed runs), which writes the executable `exe`, then
    /// time `run`.
    BuildThenRun { profile: Option<Vec<String>>, build: Vec<String>, exe: PathBuf, run: Vec<String> },
    /// This engine has nothing to run for the program (a peer without a port).
    Skip(String),
}

/// What the plan needs to know about the surroundings.
pub struct Context<'a> {
    pub brine: &'a Path,
    pub bench_dir: &'a Path,
    /// Where ahead-of-time executables go.
    pub scratch_dir: &'a Path,
}

fn path_string(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

const PLACEHOLDERS: [&str; 3] = ["{file}", "{stem}", "{dir}"];

/// Substitutes the placeholders in one argument.
pub fn substitute(arg: &str, program: &Program, bench_dir: &Path) -> String {
    arg.replace("{file}", &path_string(&program.path))
        .replace("{stem}", &program.stem)
        .replace("{dir}", &path_string(bench_dir))
}

impl Engine {
    /// The commands that run `program` in this engine.
    pub fn plan(&self, program: &Program, ctx: &Context<'_>) -> Plan {
        let brine = path_string(ctx.brine);
        let file = path_string(&program.path);
        match &self.kind {
            EngineKind::Run { engine, flags } => {
                let mut argv = vec![brine, "run".to_owned(), format!("--engine={engine}")];
                argv.extend(flags.iter().cloned());
                argv.push(file);
                Plan::Run(argv)
            }
            EngineKind::Aot { flags } => {
                let exe = ctx.scratch_dir.join(format!(
                    "{}-{}{}",
                    program.stem,
                    sanitize(&self.label),
                    std::env::consts::EXE_SUFFIX
                ));
                let exe_arg = path_string(&exe);
                let profile_path =
                    ctx.scratch_dir.join(format!("{}-{}.profile", program.stem, sanitize(&self.label)));
                let profile = flags.iter().any(|f| f == "{profile}").then(|| {
                    let saved = path_string(&profile_path);
                    vec![brine.clone(), "run".to_owned(), "--save-profile".to_owned(), saved, file.clone()]
                });
                let mut build = vec![brine, "build".to_owned()];
                build.extend(
                    flags.iter().map(
                        |f| {
                            if f == "{profile}" { path_string(&profile_path) } else { f.clone() }
                        },
                    ),
                );
                build.extend([file, "-o".to_owned(), exe_arg.clone()]);
                Plan::BuildThenRun { profile, build, exe, run: vec![exe_arg] }
            }
            EngineKind::External { argv } => {
                let has_placeholder = |a: &String| PLACEHOLDERS.iter().any(|p| a.contains(p));
                let input =
                    argv.iter().find(|a| has_placeholder(a)).map(|a| substitute(a, program, ctx.bench_dir));
                let mut out: Vec<String> =
                    argv.iter().map(|a| substitute(a, program, ctx.bench_dir)).collect();
                match input {
                    Some(input) if !Path::new(&input).is_file() => Plan::Skip(format!("no {input}")),
                    Some(_) => Plan::Run(out),
                    None => {
                        out.push(file);
                        Plan::Run(out)
                    }
                }
            }
        }
    }
}

/// A label made safe for use in a file name.
fn sanitize(label: &str) -> String {
    label.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(engine: &str, flags: &[&str]) -> EngineKind {
        EngineKind::Run { engine: engine.into(), flags: flags.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn plain_names_are_brine_run_engines() {
        let e = Engine::parse("interp").unwrap();
        assert_eq!(e.label, "interp");
        assert_eq!(e.kind, run("interp", &[]));
        let e = Engine::parse(" jit:--no-tier ").unwrap();
        assert_eq!(e.label, "jit:--no-tier");
        assert_eq!(e.kind, run("jit", &["--no-tier"]));
    }

    #[test]
    fn flags_with_equals_are_not_labels() {
        let e = Engine::parse("jit:--threshold=10").unwrap();
        assert_eq!(e.label, "jit:--threshold=10");
        assert_eq!(e.kind, run("jit", &["--threshold=10"]));
    }

    #[test]
    fn labels() {
        let e = Engine::parse("baseline=jit:--no-tier").unwrap();
        assert_eq!(e.label, "baseline");
        assert_eq!(e.kind, run("jit", &["--no-tier"]));
    }

    #[test]
    fn aot() {
        let e = Engine::parse("aot").unwrap();
        assert_eq!(e.kind, EngineKind::Aot { flags: vec![] });
        let e = Engine::parse("aot:-O2 --jit").unwrap();
        assert_eq!(e.label, "aot:-O2 --jit");
        assert_eq!(e.kind, EngineKind::Aot { flags: vec!["-O2".into(), "--jit".into()] });
    }

    #[test]
    fn external_commands() {
        let e = Engine::parse("cmd:/opt/lox/clox").unwrap();
        assert_eq!(e.label, "clox");
        assert!(!e.needs_brine());
        let e = Engine::parse("lj=cmd:luajit {dir}/lua/{stem}.lua").unwrap();
        assert_eq!(e.label, "lj");
        assert_eq!(
            e.kind,
            EngineKind::External { argv: vec!["luajit".into(), "{dir}/lua/{stem}.lua".into()] }
        );
    }

    #[test]
    fn bad_specs() {
        assert!(Engine::parse("").is_err());
        assert!(Engine::parse("cmd:").is_err());
        assert!(Engine::parse("cmd").is_err());
        assert!(Engine::parse("j i t").is_err());
        let mut engines = Vec::new();
        assert!(Engine::parse_list("interp,interp", &mut engines).is_err());
        let mut engines = Vec::new();
        Engine::parse_list("interp,jit,aot", &mut engines).unwrap();
        let labels: Vec<_> = engines.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(labels, ["interp", "jit", "aot"]);
    }

    fn ctx_paths() -> (PathBuf, PathBuf, PathBuf) {
        (
            PathBuf::from("/b/brine"),
            std::env::temp_dir().join("brine-bench-test-no-such-dir"),
            PathBuf::from("/scratch"),
        )
    }

    #[test]
    fn plans() {
        let (brine, dir, scratch) = ctx_paths();
        let ctx = Context { brine: &brine, bench_dir: &dir, scratch_dir: &scratch };
        let fib = Program { stem: "fib".into(), path: PathBuf::from("/bench/fib.lox") };
        let plan = Engine::parse("jit:--no-tier").unwrap().plan(&fib, &ctx);
        assert_eq!(
            plan,
            Plan::Run(
                ["/b/brine", "run", "--engine=jit", "--no-tier", "/bench/fib.lox"].map(String::from).to_vec()
            )
        );
        let plan = Engine::parse("aot:-O2").unwrap().plan(&fib, &ctx);
        let exe_path = scratch.join(format!("fib-aot__O2{}", std::env::consts::EXE_SUFFIX));
        let exe = path_string(&exe_path);
        assert_eq!(
            plan,
            Plan::BuildThenRun {
                profile: None,
                build: vec![
                    "/b/brine".into(),
                    "build".into(),
                    "-O2".into(),
                    "/bench/fib.lox".into(),
                    "-o".into(),
                    exe.clone()
                ],
                exe: exe_path,
                run: vec![exe],
            }
        );
        // A profile-guided build: the profiling run first, then the build
        // that reads what it saved.
        let plan = Engine::parse("o2p=aot:-O2 --use-profile {profile}").unwrap().plan(&fib, &ctx);
        let profile = path_string(&scratch.join("fib-o2p.profile"));
        let exe_path = scratch.join(format!("fib-o2p{}", std::env::consts::EXE_SUFFIX));
        let exe = path_string(&exe_path);
        let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            plan,
            Plan::BuildThenRun {
                profile: Some(strings(&["/b/brine", "run", "--save-profile", &profile, "/bench/fib.lox"])),
                build: strings(&[
                    "/b/brine",
                    "build",
                    "-O2",
                    "--use-profile",
                    &profile,
                    "/bench/fib.lox",
                    "-o",
                    &exe
                ]),
                exe: exe_path,
                run: vec![exe],
            }
        );
        let plan = Engine::parse("cmd:clox --quiet").unwrap().plan(&fib, &ctx);
        assert_eq!(plan, Plan::Run(["clox", "--quiet", "/bench/fib.lox"].map(String::from).to_vec()));
        // A port that does not exist is skipped.
        let plan = Engine::parse("cmd:luajit {dir}/lua/{stem}.lua").unwrap().plan(&fib, &ctx);
        assert!(matches!(plan, Plan::Skip(_)), "{plan:?}");
    }

    #[test]
    fn external_port_that_exists_is_run() {
        let dir = std::env::temp_dir().join(format!("brine-bench-plan-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("lua")).unwrap();
        std::fs::write(dir.join("lua/fib.lua"), "").unwrap();
        let (brine, _, scratch) = ctx_paths();
        let ctx = Context { brine: &brine, bench_dir: &dir, scratch_dir: &scratch };
        let fib = Program { stem: "fib".into(), path: dir.join("fib.lox") };
        let plan = Engine::parse("cmd:luajit -O3 {dir}/lua/{stem}.lua").unwrap().plan(&fib, &ctx);
        let port = format!("{}/lua/fib.lua", path_string(&dir));
        assert_eq!(plan, Plan::Run(vec!["luajit".into(), "-O3".into(), port]));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn placeholders_are_substituted() {
        let p = Program { stem: "fib".into(), path: PathBuf::from("/bench/fib.lox") };
        assert_eq!(
            substitute("{dir}/lua/{stem}.lua:{file}", &p, Path::new("/bench")),
            "/bench/lua/fib.lua:/bench/fib.lox"
        );
    }
}
