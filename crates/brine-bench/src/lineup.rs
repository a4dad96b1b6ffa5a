//! The engines of a run, in column order (`--engines`, then with `--peers`
//! the peers found on `PATH`), and which of them is the baseline.

use std::ffi::OsStr;

use crate::cli::Options;
use crate::engine::Engine;
use crate::peers::{self, Detection};

/// The label of the default baseline engine, when it is in the lineup.
pub const DEFAULT_BASELINE: &str = "tiered";

#[derive(Debug)]
pub struct Lineup {
    pub engines: Vec<Engine>,
    /// Index into `engines` of the engine the ratios are relative to.
    pub baseline: usize,
    /// The peers looked for, when `--peers` was given.
    pub detection: Option<Detection>,
    /// Peers not run, and why.
    pub notes: Vec<String>,
}

impl Lineup {
    /// The lineup that `options` ask for, looking peers up in `path_var`
    /// (the value of `PATH`). An error is a usage error.
    pub fn new(options: &Options, path_var: Option<&OsStr>) -> Result<Lineup, String> {
        let mut engines = options.engines.clone();
        let mut notes = Vec::new();
        let detection = options.peers.then(|| peers::detect(path_var));
        if let Some(detection) = &detection {
            for engine in detection.engines() {
                if engines.iter().any(|e| e.label == engine.label) {
                    notes.push(format!(
                        "peer {} not added: --engines already has an engine of that name",
                        engine.label
                    ));
                } else {
                    engines.push(engine);
                }
            }
            for peer in &detection.missing {
                notes.push(format!(
                    "{} not measured: `{}` is not installed (not on PATH)",
                    peer.label, peer.tool
                ));
            }
        }
        let baseline = match &options.baseline {
            Some(label) => engines.iter().position(|e| &e.label == label).ok_or_else(|| {
                format!("--baseline {label}: no such engine (engines: {})", labels(&engines).join(", "))
            })?,
            None => engines.iter().position(|e| e.label == DEFAULT_BASELINE).unwrap_or(0),
        };
        Ok(Lineup { engines, baseline, detection, notes })
    }
}

/// The engines' labels, in order.
pub fn labels(engines: &[Engine]) -> Vec<String> {
    engines.iter().map(|e| e.label.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Command, parse};
    use std::ffi::OsString;
    use std::fs;
    use std::path::{Path, PathBuf};

    fn options(args: &[&str]) -> Options {
        match parse(args.iter().map(|s| s.to_string())) {
            Ok(Command::Run(o)) => *o,
            other => panic!("{other:?}"),
        }
    }

    fn lineup(args: &[&str], path: Option<&OsStr>) -> Result<Lineup, String> {
        Lineup::new(&options(args), path)
    }

    /// A directory holding executables named `tools`, as a PATH value.
    fn fake_path(name: &str, tools: &[&str]) -> (PathBuf, OsString) {
        let dir = std::env::temp_dir().join(format!("brine-bench-lineup-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        for tool in tools {
            let path = dir.join(format!("{tool}{}", std::env::consts::EXE_SUFFIX));
            fs::write(&path, "").unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        let path = std::env::join_paths([Path::new(&dir)]).unwrap();
        (dir, path)
    }

    #[test]
    fn baseline_is_tiered_when_present_else_the_first() {
        assert_eq!(lineup(&["--engines", "interp,jit,tiered=jit,aot"], None).unwrap().baseline, 2);
        assert_eq!(lineup(&["--engines", "interp,jit,aot"], None).unwrap().baseline, 0);
        assert_eq!(lineup(&["--engines", "interp,aot"], None).unwrap().baseline, 0);
        assert_eq!(lineup(&[], None).unwrap().baseline, 0);
        let l = lineup(&["--engines", "interp,jit", "--baseline", "interp"], None).unwrap();
        assert_eq!(l.baseline, 0);
        let err = lineup(&["--engines", "interp,jit", "--baseline", "node"], None).unwrap_err();
        assert!(err.contains("no such engine") && err.contains("interp, jit"), "{err}");
    }

    #[test]
    fn peers_found_on_path_follow_the_engines() {
        let (dir, path) = fake_path("some", &["luajit", "node"]);
        let l = lineup(&["--engines", "interp,tiered=jit,aot", "--peers"], Some(&path)).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(labels(&l.engines), ["interp", "tiered", "aot", "luajit-joff", "luajit", "node"]);
        assert_eq!(l.baseline, 1);
        assert_eq!(l.notes, ["lua5.4 not measured: `lua5.4` is not installed (not on PATH)"]);
        assert_eq!(l.detection.unwrap().found.len(), 3);
    }

    #[test]
    fn peers_can_be_the_baseline() {
        let (dir, path) = fake_path("baseline", &["node"]);
        let l = lineup(&["--engines", "jit", "--peers", "--baseline", "node"], Some(&path)).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(labels(&l.engines), ["jit", "node"]);
        assert_eq!(l.baseline, 1);
    }

    #[test]
    fn an_engine_named_like_a_peer_wins() {
        let (dir, path) = fake_path("dupe", &["luajit", "lua5.4", "node"]);
        let l = lineup(&["--engines", "jit,node=cmd:/opt/node {dir}/js/{stem}.js", "--peers"], Some(&path))
            .unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(labels(&l.engines), ["jit", "node", "luajit-joff", "luajit", "lua5.4"]);
        assert_eq!(l.notes.len(), 1);
        assert!(l.notes[0].contains("peer node not added"), "{:?}", l.notes);
    }

    #[test]
    fn without_peers_nothing_is_looked_up() {
        let (dir, path) = fake_path("none", &["luajit"]);
        let l = lineup(&["--engines", "interp"], Some(&path)).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(labels(&l.engines), ["interp"]);
        assert!(l.detection.is_none() && l.notes.is_empty());
    }
}
