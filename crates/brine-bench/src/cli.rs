//! Command-line options.

use std::path::PathBuf;
use std::time::Duration;

use crate::engine::Engine;
use crate::large;

pub const USAGE: &str = "\
Usage: bench [OPTIONS]

Runs every bench/*.lox program in each engine, checks that all engines print
the same output (and the output in the program's `// expect:` comments), and
prints a markdown table of median wall times and ratios to a baseline engine.

Options:
  --engines LIST   comma-separated engines, in column order (default: interp);
                   may be repeated. Each is [LABEL=]SPEC, where SPEC is
                     NAME[:FLAGS]   brine run --engine=NAME FLAGS FILE
                     aot[:FLAGS]    brine build FLAGS FILE -o EXE, then EXE
                     cmd:PROG ARGS  an external program; {file}, {stem} and
                                    {dir} are substituted, FILE is appended
                                    when there is no placeholder
  --peers          also run the peers whose tool is on PATH, after the engines
                   above: luajit-joff (luajit -joff), luajit, lua5.4 (ports in
                   bench/lua) and node (ports in bench/js)
  --baseline LABEL the engine the ratios are relative to (default: jit when it
                   is one of the engines, else the first)
  --runs N         timed runs per program and engine (default: 5)
  --warmup N       untimed runs before those (default: 0)
  --quick          one run each, for smoke tests (same as --runs 1 --warmup 0)
  --filter LIST    only the programs whose name contains one of these
                   comma-separated words
  --brine PATH     the brine binary (default: $BRINE, else `brine` next to
                   this executable)
  --dir PATH       the directory of .lox programs (default: ./bench, else the
                   repository's bench/)
  --timeout SECS   time limit of one run (default: 300)
  --json PATH      also write all results as JSON
  --markdown PATH  also write a results page: date, machine, tool versions,
                   the command, the table and how to read it
  --chart PATH     also write an SVG bar chart of the ratios to the baseline
  --startup        also time an empty program in each engine (start-up cost)
  --build-large [N]
                   also generate a Lox program of N lines (default: 10000)
                   of small functions and classes, build it 3 times with
                   `brine build` and 3 times with `brine build --jit`, check
                   that both executables print what it should, and report the
                   median build times (in the build section, with the build
                   time and executable size of each aot engine's programs)
  -h, --help       show this help";

/// Everything the options say.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub brine: Option<PathBuf>,
    pub engines: Vec<Engine>,
    pub runs: usize,
    pub warmup: usize,
    pub filters: Vec<String>,
    pub dir: Option<PathBuf>,
    pub timeout: Duration,
    pub json: Option<PathBuf>,
    /// Add the peers found on `PATH` after `engines`.
    pub peers: bool,
    pub baseline: Option<String>,
    pub markdown: Option<PathBuf>,
    pub chart: Option<PathBuf>,
    /// Also time an empty program in every engine.
    pub startup: bool,
    /// Also time the build of a generated program of this many lines.
    pub build_large: Option<usize>,
}

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Help,
    Run(Box<Options>),
}

fn number<T: std::str::FromStr>(option: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| format!("{option}: expected a number, got `{value}`"))
}

/// Parses the arguments after the program name.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let mut options = Options {
        brine: None,
        engines: Vec::new(),
        runs: 5,
        warmup: 0,
        filters: Vec::new(),
        dir: None,
        timeout: Duration::from_secs(300),
        json: None,
        peers: false,
        baseline: None,
        markdown: None,
        chart: None,
        startup: false,
        build_large: None,
    };
    let mut quick = false;
    let mut args = args.into_iter().peekable();
    while let Some(arg) = args.next() {
        // Both `--option value` and `--option=value`.
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value.to_owned())),
            _ => (arg.clone(), None),
        };
        let takes_value = matches!(
            name.as_str(),
            "--engines"
                | "--runs"
                | "--warmup"
                | "--filter"
                | "--brine"
                | "--dir"
                | "--timeout"
                | "--json"
                | "--baseline"
                | "--markdown"
                | "--chart"
        );
        // `--build-large` takes an optional value: `--build-large=N`, or
        // `--build-large N` when the next argument is a number (the harness
        // has no positional arguments, so a number cannot mean anything else).
        let optional_value = name == "--build-large";
        let value = if optional_value {
            match inline {
                Some(v) => v,
                None => {
                    match args.next_if(|next| !next.is_empty() && next.bytes().all(|b| b.is_ascii_digit())) {
                        Some(v) => v,
                        None => large::DEFAULT_LINES.to_string(),
                    }
                }
            }
        } else if takes_value {
            match inline {
                Some(v) => v,
                None => args.next().ok_or_else(|| format!("{name} needs a value"))?,
            }
        } else if inline.is_some() {
            return Err(format!("{name} takes no value"));
        } else {
            String::new()
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--quick" => quick = true,
            "--engines" => {
                Engine::parse_list(&value, &mut options.engines).map_err(|e| format!("--engines: {e}"))?
            }
            "--runs" => {
                options.runs = number(&name, &value)?;
                if options.runs == 0 {
                    return Err("--runs must be at least 1".into());
                }
            }
            "--warmup" => options.warmup = number(&name, &value)?,
            "--filter" => options
                .filters
                .extend(value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)),
            "--brine" => options.brine = Some(PathBuf::from(value)),
            "--dir" => options.dir = Some(PathBuf::from(value)),
            "--timeout" => {
                let secs: f64 = number(&name, &value)?;
                if !(secs.is_finite() && secs > 0.0) {
                    return Err("--timeout must be a positive number of seconds".into());
                }
                options.timeout = Duration::from_secs_f64(secs);
            }
            "--json" => options.json = Some(PathBuf::from(value)),
            "--peers" => options.peers = true,
            "--startup" => options.startup = true,
            "--build-large" => {
                let lines: usize = number(&name, &value)?;
                let min = large::min_lines();
                if lines < min {
                    return Err(format!("--build-large: a generated program has at least {min} lines"));
                }
                options.build_large = Some(lines);
            }
            "--baseline" => options.baseline = Some(value.trim().to_owned()),
            "--markdown" => options.markdown = Some(PathBuf::from(value)),
            "--chart" => options.chart = Some(PathBuf::from(value)),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if quick {
        options.runs = 1;
        options.warmup = 0;
    }
    if options.engines.is_empty() {
        options.engines.push(Engine::parse("interp").map_err(|e| e.to_string())?);
    }
    if options.baseline.as_deref() == Some("") {
        return Err("--baseline needs an engine label".into());
    }
    Ok(Command::Run(Box::new(options)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(args: &[&str]) -> Options {
        match parse(args.iter().map(|s| s.to_string())) {
            Ok(Command::Run(o)) => *o,
            other => panic!("{other:?}"),
        }
    }

    fn labels(o: &Options) -> Vec<&str> {
        o.engines.iter().map(|e| e.label.as_str()).collect()
    }

    #[test]
    fn defaults() {
        let o = parse_ok(&[]);
        assert_eq!(labels(&o), ["interp"]);
        assert_eq!(o.runs, 5);
        assert_eq!(o.warmup, 0);
        assert!(o.filters.is_empty());
        assert_eq!(o.brine, None);
        assert_eq!(o.timeout, Duration::from_secs(300));
        assert!(!o.peers && !o.startup);
        assert_eq!(o.build_large, None);
        assert_eq!((o.baseline, o.markdown, o.chart), (None, None, None));
    }

    #[test]
    fn peers_baseline_and_outputs() {
        let o = parse_ok(&[
            "--engines",
            "interp,jit,aot",
            "--peers",
            "--baseline=interp",
            "--markdown",
            "bench/RESULTS.md",
            "--chart=bench/results.svg",
            "--startup",
        ]);
        assert_eq!(labels(&o), ["interp", "jit", "aot"]);
        assert!(o.peers);
        assert_eq!(o.baseline.as_deref(), Some("interp"));
        assert_eq!(o.markdown, Some(PathBuf::from("bench/RESULTS.md")));
        assert_eq!(o.chart, Some(PathBuf::from("bench/results.svg")));
        assert!(o.startup);
    }

    #[test]
    fn values_inline_or_separate() {
        let o = parse_ok(&[
            "--engines=interp,jit",
            "--engines",
            "aot:-O2",
            "--runs",
            "3",
            "--filter=fib, zoo",
            "--brine",
            "/x/brine",
            "--timeout=2.5",
            "--json",
            "out.json",
        ]);
        assert_eq!(labels(&o), ["interp", "jit", "aot:-O2"]);
        assert_eq!(o.runs, 3);
        assert_eq!(o.filters, ["fib", "zoo"]);
        assert_eq!(o.brine, Some(PathBuf::from("/x/brine")));
        assert_eq!(o.timeout, Duration::from_millis(2500));
        assert_eq!(o.json, Some(PathBuf::from("out.json")));
    }

    #[test]
    fn build_large_takes_an_optional_number_of_lines() {
        assert_eq!(parse_ok(&["--build-large"]).build_large, Some(10_000));
        assert_eq!(parse_ok(&["--build-large", "--quick"]).build_large, Some(10_000));
        assert_eq!(parse_ok(&["--build-large", "2500", "--runs", "2"]).build_large, Some(2500));
        let o = parse_ok(&["--build-large=3000", "--startup"]);
        assert_eq!((o.build_large, o.startup), (Some(3000), true));
    }

    #[test]
    fn quick_means_one_run() {
        let o = parse_ok(&["--runs", "9", "--warmup", "2", "--quick"]);
        assert_eq!((o.runs, o.warmup), (1, 0));
    }

    #[test]
    fn help() {
        assert_eq!(parse(["-h".to_string()]), Ok(Command::Help));
        assert_eq!(parse(["--help".to_string()]), Ok(Command::Help));
    }

    #[test]
    fn errors() {
        let err = |args: &[&str]| parse(args.iter().map(|s| s.to_string())).unwrap_err();
        assert!(err(&["--runs"]).contains("needs a value"));
        assert!(err(&["--runs", "x"]).contains("expected a number"));
        assert!(err(&["--runs", "0"]).contains("at least 1"));
        assert!(err(&["--timeout", "-1"]).contains("positive"));
        assert!(err(&["--quick=1"]).contains("takes no value"));
        assert!(err(&["--bogus"]).contains("unknown argument"));
        assert!(err(&["--engines", "interp,interp"]).contains("twice"));
        assert!(err(&["--peers=1"]).contains("takes no value"));
        assert!(err(&["--baseline", " "]).contains("needs an engine"));
        assert!(err(&["--chart"]).contains("needs a value"));
        assert!(err(&["--build-large=x"]).contains("expected a number"));
        assert!(err(&["--build-large", "5"]).contains("at least"));
        // Not a number, so not its value: an unknown argument.
        assert!(err(&["--build-large", "-5"]).contains("unknown argument `-5`"));
    }
}
