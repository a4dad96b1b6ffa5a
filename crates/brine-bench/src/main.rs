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
//! status non-zero. It can also write a results page (`--markdown`), an SVG
//! chart (`--chart`) and JSON (`--json`).
//!
//! It only starts processes: it must not know anything of Brine's crates,
//! and it depends on none of them.

mod chart;
mod cli;
mod engine;
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

use cli::{Command, Options};
use engine::{Context, Engine, Plan, Program};
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
    let brine =
        if engines.iter().any(Engine::needs_brine) { brine_path(options)? } else { PathBuf::from("brine") };
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

    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for program in &programs {
        rows.push(bench_program(program, engines, options, &ctx, &mut problems));
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
    if scratch.exists() {
        let _ = fs::remove_dir_all(&scratch);
    }

    let table = report::markdown(&labels, &rows, lineup.baseline);
    print!("{table}");
    if let Some(startup) = &startup {
        print!("\n{startup}");
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
    let mut row = bench_program(&program, engines, options, &ctx, problems);
    row.program = "empty program".to_owned();
    Ok(row)
}

/// The output every engine must print for a program: the `// expect:`
/// comments if it has any, else whatever the first engine to succeed printed.
struct Reference {
    output: Vec<u8>,
    source: String,
}

fn bench_program(
    program: &Program,
    engines: &[Engine],
    options: &Options,
    ctx: &Context<'_>,
    problems: &mut Vec<String>,
) -> Row {
    let mut reference = fs::read_to_string(&program.path)
        .ok()
        .and_then(|src| programs::expected_output(&src))
        .map(|output| Reference { output, source: "its `// expect:` comments".to_owned() });
    let mut cells = Vec::new();
    for engine in engines {
        let cell = bench_cell(program, engine, options, ctx, &mut reference);
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
    }
    Row { program: program.stem.clone(), cells }
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

fn bench_cell(
    program: &Program,
    engine: &Engine,
    options: &Options,
    ctx: &Context<'_>,
    reference: &mut Option<Reference>,
) -> Cell {
    let argv = match engine.plan(program, ctx) {
        Plan::Skip(reason) => return Cell::Skipped { reason },
        Plan::Run(argv) => argv,
        Plan::BuildThenRun { build, run } => {
            if let Err(e) = fs::create_dir_all(ctx.scratch_dir) {
                return failed("BUILD FAIL", format!("cannot create {}: {e}", ctx.scratch_dir.display()));
            }
            match process::run(&build, options.timeout) {
                Ok(outcome) if outcome.success() => {}
                Ok(outcome) => return failed("BUILD FAIL", run_failure(&build, &outcome)),
                Err(e) => return failed("BUILD FAIL", e.to_string()),
            }
            run
        }
    };

    let mut times = Vec::with_capacity(options.runs);
    for i in 0..options.warmup + options.runs {
        let outcome = match process::run(&argv, options.timeout) {
            Ok(outcome) => outcome,
            Err(e) => return failed("FAIL", e.to_string()),
        };
        if !outcome.success() {
            let tag = match outcome.exit {
                process::Exit::TimedOut => "TIMEOUT",
                process::Exit::Status(_) => "FAIL",
            };
            return failed(tag, run_failure(&argv, &outcome));
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
