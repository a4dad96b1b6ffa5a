//! Gathers what the results page (`--markdown`) says besides the table:
//! the date, the machine, the versions of Brine and of each peer's tool, what
//! each engine runs, and the command that made the page.

use std::env;
use std::path::Path;
use std::time::Duration;

use crate::cli::Options;
use crate::engine::{Engine, EngineKind};
use crate::lineup::Lineup;
use crate::machine::{self, Fact};
use crate::peers::{self, Detection};
use crate::process;
use crate::report::Page;

/// The environment variable through which a wrapper script names itself as
/// the command, e.g. `scripts/bench.sh --runs 5`.
pub const COMMAND_VAR: &str = "BRINE_BENCH_COMMAND";

/// Everything the page needs, finding out versions by running the tools.
pub fn assemble(
    options: &Options,
    lineup: &Lineup,
    brine: &Path,
    bench_dir: &Path,
    problems: &[String],
) -> Page {
    let mut software = Vec::new();
    if lineup.engines.iter().any(Engine::needs_brine) {
        let argv = [brine.to_string_lossy().into_owned(), "--version".to_owned()];
        let version = peers::version_of(&argv).unwrap_or_else(|| "brine (version unknown)".to_owned());
        let commit = match git_commit(bench_dir) {
            Some((commit, true)) => format!(", commit {commit} with uncommitted changes"),
            Some((commit, false)) => format!(", commit {commit}"),
            None => String::new(),
        };
        software.push(("Brine".to_owned(), format!("{version}{commit}")));
    }
    if let Some(detection) = &lineup.detection {
        software.extend(peer_versions(detection, peers::version_of));
    }

    let engines = lineup
        .engines
        .iter()
        .enumerate()
        .map(|(i, engine)| {
            let mut text = describe_engine(engine, lineup.detection.as_ref());
            if i == lineup.baseline {
                text.push_str(" (**baseline** of the ratios)");
            }
            (format!("`{}`", engine.label), text)
        })
        .collect();

    let harness = command_line(env::args());
    let command = match env::var(COMMAND_VAR) {
        Ok(wrapper) if !wrapper.trim().is_empty() => format!("{}\n# which ran:\n# {harness}", wrapper.trim()),
        _ => harness,
    };

    let mut notes = lineup.notes.clone();
    notes.extend(problems.iter().map(|p| format!("Problem: {p}")));

    let chart = options.chart.as_ref().map(|chart| match (options.markdown.as_ref(), chart.file_name()) {
        (Some(md), Some(name)) if md.parent() == chart.parent() => name.to_string_lossy().into_owned(),
        _ => chart.to_string_lossy().into_owned(),
    });

    Page {
        date: machine::now_utc(),
        machine: machine::describe(),
        software,
        engines,
        command,
        runs: options.runs,
        warmup: options.warmup,
        baseline: lineup.engines.get(lineup.baseline).map(|e| e.label.clone()).unwrap_or_default(),
        notes,
        chart,
        startup: None,
        builds: None,
    }
}

/// The short hash of the commit checked out where the programs are, if
/// that is a git work tree, and whether tracked files have changed since.
/// Read-only: `git rev-parse`, and `git status` without optional locks, so
/// that it does not even refresh the index.
fn git_commit(dir: &Path) -> Option<(String, bool)> {
    let dir = dir.to_string_lossy();
    let git = |args: &[&str]| {
        let mut argv =
            vec!["git".to_owned(), "--no-optional-locks".to_owned(), "-C".to_owned(), dir.to_string()];
        argv.extend(args.iter().map(|a| (*a).to_owned()));
        let outcome = process::run(&argv, Duration::from_secs(20)).ok()?;
        outcome.success().then(|| String::from_utf8_lossy(&outcome.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short", "HEAD"]).filter(|c| !c.is_empty())?;
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some((commit, dirty))
}

/// One line per peer tool found (a tool shared by two peers is listed once),
/// with the version that `version_of` finds for its version command.
fn peer_versions(detection: &Detection, version_of: impl Fn(&[String]) -> Option<String>) -> Vec<Fact> {
    let mut facts: Vec<Fact> = Vec::new();
    let mut tools: Vec<&str> = Vec::new();
    for found in &detection.found {
        if tools.contains(&found.peer.tool) {
            continue;
        }
        tools.push(found.peer.tool);
        let path = found.path.to_string_lossy().into_owned();
        let mut argv = vec![path.clone()];
        argv.extend(found.peer.version_args.iter().map(|a| (*a).to_owned()));
        let version = version_of(&argv).unwrap_or_else(|| "version unknown".to_owned());
        facts.push((found.peer.product.to_owned(), format!("{version} (`{path}`)")));
    }
    facts
}

/// What an engine runs, in words.
pub fn describe_engine(engine: &Engine, detection: Option<&Detection>) -> String {
    let flags = |flags: &[String]| flags.iter().map(|f| format!(" {f}")).collect::<String>();
    match &engine.kind {
        EngineKind::Run { engine: name, flags: f } => {
            let baseline_only = f.iter().any(|x| x == "--no-tier");
            let what = match name.as_str() {
                "interp" => "Brine's IR interpreter, no native code",
                "jit" if baseline_only => {
                    "Brine's baseline JIT only: every function compiled by Cranelift (no optimization) on its \
                     first call"
                }
                "jit" => {
                    "Brine tiered, as `brine run` runs by default: the interpreter first, then hot functions \
                     and loops optimized from what it observed and compiled by Cranelift"
                }
                _ => "Brine",
            };
            format!("{what}: `brine run --engine={name}{} bench/NAME.lox`", flags(f))
        }
        EngineKind::Aot { flags: f } if f.iter().any(|x| x == "{profile}") => {
            let f: Vec<String> =
                f.iter().map(|x| if x == "{profile}" { "PROFILE".into() } else { x.clone() }).collect();
            format!(
                "Brine's ahead-of-time compiler, guided by a profile: the executable that `brine build{} \
                 bench/NAME.lox -o EXE` made before timing, from the PROFILE that `brine run --save-profile \
                 PROFILE bench/NAME.lox` saved first (neither is part of the timed runs; the build's time and \
                 the executable's size are in the build section)",
                flags(&f)
            )
        }
        EngineKind::Aot { flags: f } => format!(
            "Brine's ahead-of-time compiler: the executable that `brine build{} bench/NAME.lox \
             -o EXE` made before timing (the build is not part of the timed runs; its time and the \
             executable's size are in the build section)",
            flags(f)
        ),
        EngineKind::External { argv } => {
            let peer = detection.and_then(|d| d.found.iter().find(|f| f.peer.label == engine.label));
            match peer {
                Some(found) => {
                    let args = found.peer.args.join(" ").replace("{dir}", "bench").replace("{stem}", "NAME");
                    format!("{}: `{} {args}`", found.peer.description, found.peer.tool)
                }
                None => format!("external command `{}`", argv.join(" ")),
            }
        }
    }
}

/// A command line as one could type it in a POSIX shell, the program shown
/// by its file name.
pub fn command_line(args: impl IntoIterator<Item = String>) -> String {
    let mut args = args.into_iter();
    let program = args
        .next()
        .map(|p| Path::new(&p).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or(p))
        .unwrap_or_else(|| "bench".to_owned());
    std::iter::once(program).chain(args.map(|a| shell_quote(&a))).collect::<Vec<_>>().join(" ")
}

/// `arg` quoted for a POSIX shell when it needs to be.
fn shell_quote(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peers::{Found, PEERS};
    use std::path::PathBuf;

    fn detection() -> Detection {
        Detection {
            found: vec![
                Found { peer: PEERS[0], path: PathBuf::from("/usr/bin/luajit") },
                Found { peer: PEERS[1], path: PathBuf::from("/usr/bin/luajit") },
                Found { peer: PEERS[3], path: PathBuf::from("/opt/node/bin/node") },
            ],
            missing: vec![PEERS[2]],
        }
    }

    #[test]
    fn one_version_line_per_tool() {
        let facts = peer_versions(&detection(), |argv| Some(format!("version of {}", argv.join(" "))));
        assert_eq!(
            facts,
            [
                ("LuaJIT".to_owned(), "version of /usr/bin/luajit -v (`/usr/bin/luajit`)".to_owned()),
                (
                    "Node.js".to_owned(),
                    "version of /opt/node/bin/node --version (`/opt/node/bin/node`)".to_owned()
                ),
            ]
        );
        let facts = peer_versions(&detection(), |_| None);
        assert_eq!(facts[0].1, "version unknown (`/usr/bin/luajit`)");
    }

    #[test]
    fn engine_descriptions() {
        let describe = |spec: &str| describe_engine(&Engine::parse(spec).unwrap(), Some(&detection()));
        assert_eq!(
            describe("jit"),
            "Brine tiered, as `brine run` runs by default: the interpreter first, then hot functions and \
             loops optimized from what it observed and compiled by Cranelift: \
             `brine run --engine=jit bench/NAME.lox`"
        );
        assert!(describe("jit:--no-tier").starts_with("Brine's baseline JIT only"));
        assert!(describe("tiered=jit:--tier").ends_with("`brine run --engine=jit --tier bench/NAME.lox`"));
        assert!(describe("aot:-O2").contains("`brine build -O2 bench/NAME.lox -o EXE`"));
        let guided = describe("aot:-O2 --use-profile {profile}");
        assert!(guided.contains("`brine build -O2 --use-profile PROFILE bench/NAME.lox -o EXE`"), "{guided}");
        assert!(guided.contains("`brine run --save-profile PROFILE bench/NAME.lox`"), "{guided}");
        assert_eq!(
            describe("luajit-joff=cmd:/usr/bin/luajit -joff {dir}/lua/{stem}.lua"),
            format!("{}: `luajit -joff bench/lua/NAME.lua`", PEERS[0].description)
        );
        assert_eq!(describe("cmd:/opt/clox"), "external command `/opt/clox`");
    }

    #[test]
    fn command_lines() {
        let args =
            ["/x/target/release/bench", "--engines", "a=cmd:luajit {dir}/lua/{stem}.lua", "--runs", "5"];
        assert_eq!(
            command_line(args.map(String::from)),
            "bench --engines 'a=cmd:luajit {dir}/lua/{stem}.lua' --runs 5"
        );
        assert_eq!(command_line(Vec::new()), "bench");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
