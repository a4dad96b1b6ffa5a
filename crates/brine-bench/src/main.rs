//! `bench`: Brine's benchmark harness.
//!
//! It runs the programs in `bench/*.lox` in one or more engines (`brine run
//! --engine=E`, ahead-of-time executables from `brine build`, external
//! programs, and with `--peers` the Lua and JavaScript ports of the programs
//! in the peer languages found on `PATH`), a number of times each, and
//! prints a markdown table of the median wall times with each engine's ratio
//! to a baseline engine. It checks that every run exits 0, that every engine
//! prints the same output, and that the output matches the program's
//! `// expect:` comments; any failure is reported loudly and makes the exit
//! status non-zero. For every `aot` engine it also records how long each
//! `brine build` took and how big the executable is, and with
//! `--build-large` it times the build of a large generated program; both
//! are shown after the tables. It can also write a results page
//! (`--markdown`), an SVG chart (`--chart`) and JSON (`--json`).
//!
//! It only starts processes: it must not know anything of Brine's crates,
//! and it depends on none of them.

mod builds;
mod chart;
mod cli;
mod engine;
mod large;
mod lineup;
mod machine;
mod page;
mod peers;
mod process;
mod programs;
mod report;
mod stats;

use std::env;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use builds::{Build, BuildRow};
use cli::{Command, Options};
use engine::{Context, Engine, EngineKind, Plan, Program};
use lineup::{Lineup, labels};
use report::{Cell, Row};

/// Usage errors, as elsewhere in Brine.
const EXIT_USAGE: u8 = 64;
/// The programs or the engine could not be found or read.
const EXIT_IO: u8 = 74;

fn main() -> ExitCode {
    let options = match cli::parse(env::args().skip(1)) {
        Ok(Command::Help) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(options)) => *options,
        Err(message) => {
            eprintln!("bench: {message}\n(run with --help for usage)");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let lineup = match Lineup::new(&options, env::var_os("PATH").as_deref()) {
        Ok(lineup) => lineup,
        Err(message) => {
            eprintln!("bench: {message}\n(run with --help for usage)");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match run(&options, &lineup) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("bench: {message}");
            ExitCode::from(EXIT_IO)
        }
    }
}

/// The benchmark directory: `--dir`, else `./bench`, else the repository's.
fn bench_dir(options: &Options) -> PathBuf {
    if let Some(dir) = &options.dir {
        return dir.clone();
    }
    let local = PathBuf::from("bench");
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench")
}

/// The brine binary: `--brine`, else `$BRINE`, else next to this executable.
fn brine_path(options: &Options) -> Result<PathBuf, String> {
    let path = match (&options.brine, env::var_os("BRINE")) {
        (Some(path), _) => path.clone(),
        (None, Some(path)) if !path.is_empty() => PathBuf::from(path),
        _ => {
            let exe =
                env::current_exe().map_err(|e| format!("cannot find this executable's directory: {e}"))?;
            exe.with_file_name(format!("brine{}", env::consts::EXE_SUFFIX))
        }
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "no brine binary at {}: build it with `cargo build --release -p brine` \
             (same target directory as this harness), or pass --brine PATH or set BRINE",
            path.display()
        ))
    }
}

fn run(options: &Options, lineup: &Lineup) -> Result<ExitCode, String> {
    let dir = bench_dir(options);
    let programs = programs::discover(&dir, &options.filters)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    if programs.is_empty() {
        return Err(format!(
            "no .lox programs in {}{}",
            dir.display(),
            if options.filters.is_empty() {
                String::new()
            } else {
                format!(" match --filter {}", options.filters.join(","))
            }
        ));
    }
    let engines = &lineup.engines;
    let brine = if engines.iter().any(Engine::needs_brine) || options.build_large.is_some() {
        brine_path(options)?
    } else {
        PathBuf::from("brine")
    };
    let scratch = env::temp_dir().join(format!("brine-bench-{}", std::process::id()));
    let ctx = Context { brine: &brine, bench_dir: &dir, scratch_dir: &scratch };

    let labels = labels(engines);
    let load_before = machine::load_before();
    for note in &lineup.notes {
        eprintln!("bench: {note}");
    }
    eprintln!(
        "bench: {} program(s) x {} engine(s) [{}], {} run(s) each{}; brine = {}",
        programs.len(),
        labels.len(),
        labels.join(", "),
        options.runs,
        if options.warmup > 0 { format!(" after {} warm-up run(s)", options.warmup) } else { String::new() },
        brine.display()
    );

    // The `aot` engines, whose builds the build section shows.
    let aot: Vec<usize> =
        (0..engines.len()).filter(|&i| matches!(engines[i].kind, EngineKind::Aot { .. })).collect();
    let aot_labels: Vec<String> = aot.iter().map(|&i| labels[i].clone()).collect();
    let mut rows = Vec::new();
    let mut build_rows = Vec::new();
    let mut problems = Vec::new();
    for program in &programs {
        let (row, builds) = bench_program(program, engines, options, &ctx, &mut problems);
        build_rows.push(BuildRow {
            program: row.program.clone(),
            builds: aot.iter().map(|&i| builds[i]).collect(),
        });
        rows.push(row);
    }
    let startup = if options.startup {
        match startup_row(engines, options, &ctx, &mut problems) {
            Ok(row) => Some(report::startup_markdown(&labels, &row)),
            Err(e) => {
                problems.push(format!("start-up: {e}"));
                None
            }
        }
    } else {
        None
    };
    let large = options.build_large.and_then(|lines| {
        match large::measure(&brine, &scratch.join("large"), lines, options.timeout) {
            Ok(large) => {
                for variant in &large.variants {
                    if let Some(problem) = &variant.problem {
                        eprintln!("\n!!! LARGE BUILD: {}: {problem}\n", variant.name);
                        let summary = problem.lines().next().unwrap_or("").trim_end_matches("; stderr:");
                        problems.push(format!("LARGE BUILD: {}: {summary}", variant.name));
                    }
                }
                eprintln!("bench: {}", builds::large_line(&large));
                Some(large)
            }
            Err(e) => {
                problems.push(format!("LARGE BUILD: {e}"));
                None
            }
        }
    });
    if scratch.exists() {
        let _ = fs::remove_dir_all(&scratch);
    }

    let table = report::markdown(&labels, &rows, lineup.baseline);
    print!("{table}");
    if let Some(startup) = &startup {
        print!("\n{startup}");
    }
    let build_section = builds::section(&aot_labels, &build_rows, large.as_ref());
    if let Some(section) = &build_section {
        print!("\n{section}");
    }
    let _ = io::stdout().flush();

    // The page records the state of the tree (its git commit, and whether
    // it has changes), so it is assembled before any output file is written.
    let page = options.markdown.as_ref().map(|_| page::assemble(options, lineup, &brine, &dir, &problems));

    if let Some(path) = &options.chart {
        let brine_flags: Vec<bool> = engines.iter().map(Engine::needs_brine).collect();
        let chart = chart::Chart::new(&labels, &brine_flags, &rows, lineup.baseline);
        chart::write_svg(&chart, path)?;
        eprintln!("bench: wrote {}", path.display());
    }

    if let (Some(path), Some(mut page)) = (&options.markdown, page) {
        page.startup = startup;
        page.builds = build_section;
        page.machine.extend(load_before);
        fs::write(path, report::results_page(&page, &table))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("bench: wrote {}", path.display());
    }

    if let Some(path) = &options.json {
        fs::write(path, report::json(&labels, options.runs, &rows))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("bench: wrote {}", path.display());
    }

    if problems.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!();
        eprintln!("bench: FAILED: {} problem(s):", problems.len());
        for problem in &problems {
            eprintln!("  - {}", problem.lines().next().unwrap_or(""));
        }
        Ok(ExitCode::FAILURE)
    }
}

/// Times an empty program in every engine: a Lox file and the peers' ports,
/// in a directory of their own under the scratch directory.
fn startup_row(
    engines: &[Engine],
    options: &Options,
    ctx: &Context<'_>,
    problems: &mut Vec<String>,
) -> Result<Row, String> {
    let dir = ctx.scratch_dir.join("startup");
    let files = [
        ("empty.lox", "// An empty program: only the start-up is timed.\n"),
        ("lua/empty.lua", "-- An empty program: only the start-up is timed.\n"),
        ("js/empty.js", "// An empty program: only the start-up is timed.\n"),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    eprintln!("bench: start-up, an empty program:");
    let program = Program { stem: "empty".to_owned(), path: dir.join("empty.lox") };
    let ctx = Context { brine: ctx.brine, bench_dir: &dir, scratch_dir: ctx.scratch_dir };
    let (mut row, _) = bench_program(&program, engines, options, &ctx, problems);
    row.program = "empty program".to_owned();
    Ok(row)
}

/// The output every engine must print for a program: the `// expect:`
/// comments if it has any, else whatever the first engine to succeed printed.
struct Reference {
    output: Vec<u8>,
    source: String,
}

/// Runs one program in every engine: its row of the table, and per engine
/// the build, for an `aot` engine whose build succeeded.
fn bench_program(
    program: &Program,
    engines: &[Engine],
    options: &Options,
    ctx: &Context<'_>,
    problems: &mut Vec<String>,
) -> (Row, Vec<Option<Build>>) {
    let mut reference = fs::read_to_string(&program.path)
        .ok()
        .and_then(|src| programs::expected_output(&src))
        .map(|output| Reference { output, source: "its `// expect:` comments".to_owned() });
    let mut cells = Vec::new();
    let mut builds = Vec::new();
    for engine in engines {
        let (cell, build) = bench_cell(program, engine, options, ctx, &mut reference);
        if let Some(build) = &build {
            eprintln!(
                "  {:<16} {:<12} {:>10.1} ms to build, {}",
                program.stem,
                engine.label,
                stats::millis(build.elapsed),
                builds::format_size(build.size)
            );
        }
        match &cell {
            Cell::Ok { .. } => {
                let median = cell.median().map(stats::millis).unwrap_or(0.0);
                eprintln!("  {:<16} {:<12} {median:>10.1} ms", program.stem, engine.label);
            }
            Cell::Skipped { reason } => {
                eprintln!("  {:<16} {:<12} skipped: {reason}", program.stem, engine.label);
            }
            Cell::Failed { tag, reason } => {
                eprintln!("\n!!! {tag}: {} in {}: {reason}\n", program.stem, engine.label);
                let summary = reason.lines().next().unwrap_or("");
                let summary = summary.trim_end_matches("; stderr:");
                problems.push(format!("{tag}: {} in {}: {summary}", program.stem, engine.label));
            }
        }
        cells.push(cell);
        builds.push(build);
    }
    (Row { program: program.stem.clone(), cells }, builds)
}

fn failed(tag: &'static str, reason: String) -> Cell {
    Cell::Failed { tag, reason }
}

/// Describes a failed run: how it ended, the command, and its stderr's end.
fn run_failure(argv: &[String], outcome: &process::Outcome) -> String {
    let mut reason = format!("`{}` {}", argv.join(" "), outcome.describe_exit());
    let stderr = programs::tail(&outcome.stderr, 10);
    if !stderr.is_empty() {
        reason.push_str("; stderr:\n");
        reason.push_str(&stderr);
    }
    reason
}

/// Runs one program in one engine: the cell, and for an `aot` engine the
/// build, when it succeeded (even if the runs then failed).
fn bench_cell(
    program: &Program,
    engine: &Engine,
    options: &Options,
    ctx: &Context<'_>,
    reference: &mut Option<Reference>,
) -> (Cell, Option<Build>) {
    let (argv, build) = match engine.plan(program, ctx) {
        Plan::Skip(reason) => return (Cell::Skipped { reason }, None),
        Plan::Run(argv) => (argv, None),
        Plan::BuildThenRun { profile, build, exe, run } => {
            match save_profile(profile.as_deref(), options, ctx)
                .and_then(|()| build_once(&build, &exe, options, ctx))
            {
                Ok(built) => (run, Some(built)),
                Err(reason) => return (failed("BUILD FAIL", reason), None),
            }
        }
    };
    (run_cell(&argv, engine, options, reference), build)
}

/// Runs `profile`, the run that saves the profile a build reads, if any.
fn save_profile(profile: Option<&[String]>, options: &Options, ctx: &Context<'_>) -> Result<(), String> {
    let Some(argv) = profile else { return Ok(()) };
    fs::create_dir_all(ctx.scratch_dir)
        .map_err(|e| format!("cannot create {}: {e}", ctx.scratch_dir.display()))?;
    let outcome = process::run(argv, options.timeout).map_err(|e| e.to_string())?;
    if outcome.success() { Ok(()) } else { Err(run_failure(argv, &outcome)) }
}

/// Runs `build` (timed, once) and reads the size of the executable it
/// wrote at `exe`.
fn build_once(build: &[String], exe: &Path, options: &Options, ctx: &Context<'_>) -> Result<Build, String> {
    fs::create_dir_all(ctx.scratch_dir)
        .map_err(|e| format!("cannot create {}: {e}", ctx.scratch_dir.display()))?;
    let outcome = process::run(build, options.timeout).map_err(|e| e.to_string())?;
    if !outcome.success() {
        return Err(run_failure(build, &outcome));
    }
    let size = fs::metadata(exe)
        .map_err(|e| format!("`{}` exited 0 but left no {}: {e}", build.join(" "), exe.display()))?
        .len();
    Ok(Build { elapsed: outcome.elapsed, size })
}

/// The timed runs of one cell, each checked against the reference output.
fn run_cell(argv: &[String], engine: &Engine, options: &Options, reference: &mut Option<Reference>) -> Cell {
    let mut times = Vec::with_capacity(options.runs);
    for i in 0..options.warmup + options.runs {
        let outcome = match process::run(argv, options.timeout) {
            Ok(outcome) => outcome,
            Err(e) => return failed("FAIL", e.to_string()),
        };
        if !outcome.success() {
            let tag = match outcome.exit {
                process::Exit::TimedOut => "TIMEOUT",
                process::Exit::Status(_) => "FAIL",
            };
            return failed(tag, run_failure(argv, &outcome));
        }
        match reference {
            None => {
                *reference = Some(Reference {
                    output: outcome.stdout.clone(),
                    source: format!("engine {}", engine.label),
                });
            }
            Some(reference) => {
                if let Some((line, want, got)) =
                    programs::first_difference(&reference.output, &outcome.stdout)
                {
                    return failed(
                        "MISMATCH",
                        format!(
                            "output differs from {} at line {line}: expected {want}, got {got} \
                             (run {} of `{}`)",
                            reference.source,
                            i + 1,
                            argv.join(" ")
                        ),
                    );
                }
            }
        }
        if i >= options.warmup {
            times.push(outcome.elapsed);
        }
    }
    Cell::Ok { times }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn options() -> Options {
        match cli::parse(["--timeout".to_owned(), "20".to_owned()]) {
            Ok(Command::Run(options)) => *options,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_build_records_its_time_and_the_executables_size() {
        let scratch = env::temp_dir().join(format!("brine-bench-build-once-{}", std::process::id()));
        let exe = scratch.join("prog");
        let (brine, dir) = (PathBuf::from("/no/brine"), PathBuf::from("/no/bench"));
        let ctx = Context { brine: &brine, bench_dir: &dir, scratch_dir: &scratch };
        let sh = |script: String| vec!["sh".to_owned(), "-c".to_owned(), script];

        let build = sh(format!("sleep 0.05; printf 1234567 > '{}'", exe.display()));
        let built = build_once(&build, &exe, &options(), &ctx).unwrap();
        assert_eq!(built.size, 7);
        assert!(built.elapsed >= std::time::Duration::from_millis(50), "{built:?}");

        let err = build_once(&sh("echo no cc >&2; exit 1".into()), &scratch.join("none"), &options(), &ctx)
            .unwrap_err();
        assert!(err.contains("exited with status 1") && err.contains("no cc"), "{err}");
        let err = build_once(&sh("true".into()), &scratch.join("none"), &options(), &ctx).unwrap_err();
        assert!(err.contains("exited 0 but left no"), "{err}");
        fs::remove_dir_all(&scratch).unwrap();
    }
}
