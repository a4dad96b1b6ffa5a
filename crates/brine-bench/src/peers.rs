//! Peer engines: other languages a Lox user could pick instead, running hand
//! ports of the programs (`bench/lua/NAME.lua`, `bench/js/NAME.js`).
//!
//! `--peers` adds every peer whose tool is found on `PATH`; the others are
//! reported as missing. The lookup is a plain `which`: the first directory
//! of `PATH` holding an executable file of that name.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::engine::{Engine, EngineKind};
use crate::process;

/// One peer engine: a column of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// The column title.
    pub label: &'static str,
    /// The program looked up on `PATH`.
    pub tool: &'static str,
    /// Its arguments; `{dir}` and `{stem}` as for `cmd:` engines.
    pub args: &'static [&'static str],
    /// The arguments that make the tool print its version.
    pub version_args: &'static [&'static str],
    /// What it is, for the results file.
    pub description: &'static str,
    /// The name of the software, for the results file.
    pub product: &'static str,
}

/// The peers, in column order.
pub const PEERS: [Peer; 4] = [
    Peer {
        label: "luajit-joff",
        tool: "luajit",
        args: &["-joff", "{dir}/lua/{stem}.lua"],
        version_args: &["-v"],
        description: "LuaJIT with its JIT compiler off: its interpreter, written in assembly",
        product: "LuaJIT",
    },
    Peer {
        label: "luajit",
        tool: "luajit",
        args: &["{dir}/lua/{stem}.lua"],
        version_args: &["-v"],
        description: "LuaJIT: interpreter and tracing JIT compiler",
        product: "LuaJIT",
    },
    Peer {
        label: "lua5.4",
        tool: "lua5.4",
        args: &["{dir}/lua/{stem}.lua"],
        version_args: &["-v"],
        description: "PUC Lua 5.4: the reference Lua, a register-based bytecode interpreter",
        product: "Lua",
    },
    Peer {
        label: "node",
        tool: "node",
        args: &["{dir}/js/{stem}.js"],
        version_args: &["--version"],
        description: "Node.js: V8's interpreter and optimizing JIT compilers",
        product: "Node.js",
    },
];

impl Peer {
    /// The engine that runs this peer with the tool found at `path`.
    pub fn engine(&self, path: &Path) -> Engine {
        let mut argv = vec![path.to_string_lossy().into_owned()];
        argv.extend(self.args.iter().map(|a| (*a).to_owned()));
        Engine { label: self.label.to_owned(), kind: EngineKind::External { argv } }
    }
}

/// A peer found on `PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub peer: Peer,
    pub path: PathBuf,
}

/// Which peers can run here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detection {
    pub found: Vec<Found>,
    /// Peers whose tool is not on `PATH`.
    pub missing: Vec<Peer>,
}

impl Detection {
    /// The engines of the peers found, in column order.
    pub fn engines(&self) -> Vec<Engine> {
        self.found.iter().map(|f| f.peer.engine(&f.path)).collect()
    }
}

/// Looks every peer's tool up in `path_var` (the value of `PATH`).
pub fn detect(path_var: Option<&OsStr>) -> Detection {
    let mut detection = Detection::default();
    for peer in PEERS {
        match find_in_path(peer.tool, path_var) {
            Some(path) => detection.found.push(Found { peer, path }),
            None => detection.missing.push(peer),
        }
    }
    detection
}

/// The first executable file named `name` in the directories of `path_var`,
/// like `which`. Empty entries of `PATH` are skipped.
pub fn find_in_path(name: &str, path_var: Option<&OsStr>) -> Option<PathBuf> {
    let file_name = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    std::env::split_paths(path_var?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(&file_name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// What `argv` prints as its version: the first line of its output, without
/// the copyright notice. `None` when it cannot be run or prints nothing.
pub fn version_of(argv: &[String]) -> Option<String> {
    let outcome = process::run(argv, Duration::from_secs(20)).ok()?;
    if !outcome.success() {
        return None;
    }
    // `lua -v` writes to stdout in 5.4 but to stderr in older versions.
    let stdout = String::from_utf8_lossy(&outcome.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&outcome.stderr).into_owned();
    stdout.lines().chain(stderr.lines()).map(short_version).find(|line| !line.is_empty())
}

/// A version line without its copyright notice: `LuaJIT 2.1.0 -- Copyright
/// (C) ...` becomes `LuaJIT 2.1.0`.
pub fn short_version(line: &str) -> String {
    let line = match line.find("Copyright") {
        Some(at) => &line[..at],
        None => line,
    };
    line.trim_end_matches(|c: char| c.is_whitespace() || c == '-').trim_start().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;
    use std::fs;

    /// A fresh temporary directory, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let dir = std::env::temp_dir().join(format!("brine-bench-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn dir(&self, name: &str) -> PathBuf {
            let dir = self.0.join(name);
            fs::create_dir_all(&dir).unwrap();
            dir
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn tool(dir: &Path, name: &str, executable: bool) -> PathBuf {
        let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
        fs::write(&path, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = if executable { 0o755 } else { 0o644 };
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = executable;
        path
    }

    fn path_var(dirs: &[&Path]) -> OsString {
        std::env::join_paths(dirs).unwrap()
    }

    #[test]
    fn finds_the_first_match_in_path_order() {
        let tmp = TempDir::new("which-order");
        let (a, b) = (tmp.dir("a"), tmp.dir("b"));
        tool(&a, "node", true);
        tool(&b, "node", true);
        let found = find_in_path("node", Some(&path_var(&[&a, &b])));
        assert_eq!(found, Some(a.join(format!("node{}", std::env::consts::EXE_SUFFIX))));
        assert_eq!(find_in_path("node", Some(&path_var(&[&b]))).map(|p| p.starts_with(&b)), Some(true));
        assert_eq!(find_in_path("luajit", Some(&path_var(&[&a, &b]))), None);
        assert_eq!(find_in_path("node", None), None);
        assert_eq!(find_in_path("node", Some(OsStr::new(""))), None);
    }

    #[cfg(unix)]
    #[test]
    fn skips_files_that_are_not_executable_and_directories() {
        let tmp = TempDir::new("which-exec");
        let (a, b) = (tmp.dir("a"), tmp.dir("b"));
        tool(&a, "lua5.4", false);
        fs::create_dir_all(a.join("luajit")).unwrap();
        let lua_b = tool(&b, "lua5.4", true);
        let path = path_var(&[&a, &b]);
        assert_eq!(find_in_path("lua5.4", Some(&path)), Some(lua_b));
        assert_eq!(find_in_path("luajit", Some(&path)), None);
    }

    #[test]
    fn detects_peers_from_a_fake_path() {
        let tmp = TempDir::new("detect");
        let bin = tmp.dir("bin");
        let luajit = tool(&bin, "luajit", true);
        let node = tool(&bin, "node", true);
        let detection = detect(Some(&path_var(&[&bin])));
        let found: Vec<&str> = detection.found.iter().map(|f| f.peer.label).collect();
        assert_eq!(found, ["luajit-joff", "luajit", "node"]);
        let missing: Vec<&str> = detection.missing.iter().map(|p| p.label).collect();
        assert_eq!(missing, ["lua5.4"]);

        let engines = detection.engines();
        let labels: Vec<&str> = engines.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(labels, ["luajit-joff", "luajit", "node"]);
        let luajit = luajit.to_string_lossy().into_owned();
        let node = node.to_string_lossy().into_owned();
        let argv = |e: &Engine| match &e.kind {
            EngineKind::External { argv } => argv.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(argv(&engines[0]), [luajit.as_str(), "-joff", "{dir}/lua/{stem}.lua"]);
        assert_eq!(argv(&engines[1]), [luajit.as_str(), "{dir}/lua/{stem}.lua"]);
        assert_eq!(argv(&engines[2]), [node.as_str(), "{dir}/js/{stem}.js"]);
        assert!(engines.iter().all(|e| !e.needs_brine()));
    }

    #[test]
    fn nothing_found_on_an_empty_path() {
        let tmp = TempDir::new("detect-empty");
        let detection = detect(Some(&path_var(&[&tmp.dir("empty")])));
        assert!(detection.found.is_empty());
        assert_eq!(detection.missing, PEERS);
        assert_eq!(detect(None).missing.len(), PEERS.len());
    }

    #[test]
    fn peer_labels_are_valid_engine_labels() {
        for peer in PEERS {
            let spec = format!("{}=cmd:{} {}", peer.label, peer.tool, peer.args.join(" "));
            let parsed = Engine::parse(&spec).unwrap();
            assert_eq!(parsed, peer.engine(Path::new(peer.tool)));
        }
    }

    #[test]
    fn version_lines_lose_the_copyright() {
        assert_eq!(
            short_version("LuaJIT 2.1.0-beta3 -- Copyright (C) 2005-2022 Mike Pall. https://luajit.org/"),
            "LuaJIT 2.1.0-beta3"
        );
        assert_eq!(short_version("Lua 5.4.4  Copyright (C) 1994-2022 Lua.org, PUC-Rio"), "Lua 5.4.4");
        assert_eq!(short_version("v20.20.2"), "v20.20.2");
        assert_eq!(short_version("  "), "");
    }

    #[cfg(unix)]
    #[test]
    fn versions_come_from_stdout_or_stderr() {
        let sh = |script: &str| vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()];
        assert_eq!(version_of(&sh("echo 'Lua 5.1.5  Copyright (C) x' >&2")), Some("Lua 5.1.5".into()));
        assert_eq!(version_of(&sh("echo; echo v20.1.0")), Some("v20.1.0".into()));
        assert_eq!(version_of(&sh("echo v1; exit 1")), None);
        assert_eq!(version_of(&["/no/such/brine-bench-tool".to_owned()]), None);
    }
}
