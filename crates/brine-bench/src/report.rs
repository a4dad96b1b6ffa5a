//! Results: the markdown table, the results page (`--markdown`) and the
//! JSON file.

use std::fmt::Write as _;
use std::time::Duration;

use crate::machine::Fact;
use crate::stats::{geometric_mean, median, millis};

/// The result of one program in one engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Every run exited 0 and printed the expected output.
    Ok { times: Vec<Duration> },
    /// Something went wrong; `tag` is the short text shown in the table.
    Failed { tag: &'static str, reason: String },
    /// The engine has nothing to run for this program.
    Skipped { reason: String },
}

impl Cell {
    /// The median wall time, when the cell succeeded.
    pub fn median(&self) -> Option<Duration> {
        match self {
            Cell::Ok { times } => median(times),
            _ => None,
        }
    }

    fn status(&self) -> &'static str {
        match self {
            Cell::Ok { .. } => "ok",
            Cell::Failed { .. } => "failed",
            Cell::Skipped { .. } => "skipped",
        }
    }
}

/// One program across all engines, cells in engine order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub program: String,
    pub cells: Vec<Cell>,
}

/// Milliseconds with one decimal, as the tables show them.
pub fn format_ms(d: Duration) -> String {
    format!("{:.1}", millis(d))
}

/// A time ratio: an engine's time over the baseline engine's.
pub fn format_ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.1}x")
    } else if r >= 0.1 {
        format!("{r:.2}x")
    } else {
        format!("{r:.3}x")
    }
}

/// The ratio of cell `i` to cell `base`, when both succeeded.
pub fn ratio(row: &Row, i: usize, base: usize) -> Option<f64> {
    let base = millis(row.cells.get(base)?.median()?);
    let other = millis(row.cells.get(i)?.median()?);
    (base > 0.0).then(|| other / base)
}

/// The geometric mean of engine `i`'s ratios to engine `base` over the rows
/// where both succeeded.
pub fn geomean_ratio(rows: &[Row], i: usize, base: usize) -> Option<f64> {
    let ratios: Vec<f64> = rows.iter().filter_map(|row| ratio(row, i, base)).collect();
    geometric_mean(&ratios)
}

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Ok { .. } => cell.median().map(format_ms).unwrap_or_else(|| "-".into()),
        Cell::Failed { tag, .. } => (*tag).to_owned(),
        Cell::Skipped { .. } => "n/a".to_owned(),
    }
}

/// The markdown table: program, each engine's median in ms, then for every
/// engine other than the baseline (engine number `base`) its time as a ratio
/// to the baseline's (below 1 means faster), and a geometric-mean row for
/// those ratios.
pub fn markdown(engines: &[String], rows: &[Row], base: usize) -> String {
    let others: Vec<usize> = (0..engines.len()).filter(|&i| i != base).collect();
    let mut header = vec!["program".to_owned()];
    header.extend(engines.iter().map(|e| format!("{e} (ms)")));
    let base_label = engines.get(base).map(String::as_str).unwrap_or("");
    header.extend(others.iter().map(|&i| format!("{}/{base_label}", engines[i])));

    let mut body: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let mut line = vec![row.program.clone()];
            line.extend(row.cells.iter().map(cell_text));
            line.extend(others.iter().map(|&i| ratio(row, i, base).map(format_ratio).unwrap_or("-".into())));
            line
        })
        .collect();

    if !others.is_empty() && !rows.is_empty() {
        let mut line = vec!["geomean".to_owned()];
        line.extend(engines.iter().map(|_| String::new()));
        line.extend(
            others
                .iter()
                .map(|&i| geomean_ratio(rows, i, base).map(format_ratio).unwrap_or_else(|| "-".into())),
        );
        body.push(line);
    }
    render_table(&header, &body)
}

/// The start-up table: one row, the median time of an empty program in
/// each engine.
pub fn startup_markdown(engines: &[String], row: &Row) -> String {
    let mut header = vec![String::new()];
    header.extend(engines.iter().map(|e| format!("{e} (ms)")));
    let mut line = vec![row.program.clone()];
    line.extend(row.cells.iter().map(cell_text));
    render_table(&header, &[line])
}

/// A markdown table, the first column aligned left and the others right.
pub fn render_table(header: &[String], body: &[Vec<String>]) -> String {
    let columns = header.len();
    let width =
        |c: usize| body.iter().map(|line| line[c].len()).chain([header[c].len(), 3]).max().unwrap_or(3);
    let widths: Vec<usize> = (0..columns).map(width).collect();
    let render = |cells: &[String]| {
        let mut out = String::from("|");
        for (c, (text, w)) in cells.iter().zip(&widths).enumerate() {
            if c == 0 {
                let _ = write!(out, " {text:<w$} |");
            } else {
                let _ = write!(out, " {text:>w$} |");
            }
        }
        out.push('\n');
        out
    };

    let mut out = render(header);
    out.push('|');
    for (c, w) in widths.iter().enumerate() {
        if c == 0 {
            let _ = write!(out, " {} |", "-".repeat(*w));
        } else {
            let _ = write!(out, " {}: |", "-".repeat(w - 1));
        }
    }
    out.push('\n');
    for line in body {
        out.push_str(&render(line));
    }
    out
}

/// Everything the results page (`--markdown`) says around the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// When the measurements were made.
    pub date: String,
    /// CPU, memory, OS.
    pub machine: Vec<Fact>,
    /// Each tool and its version (Brine with its commit).
    pub software: Vec<Fact>,
    /// Each engine (column) and what it runs.
    pub engines: Vec<Fact>,
    /// The command that made the page.
    pub command: String,
    pub runs: usize,
    pub warmup: usize,
    /// The label of the engine the ratios are relative to.
    pub baseline: String,
    /// Peers not measured, failures, and the like.
    pub notes: Vec<String>,
    /// The chart's address relative to the page, when there is one.
    pub chart: Option<String>,
    /// The start-up table, when it was measured.
    pub startup: Option<String>,
    /// The build time and executable size section, heading included, when
    /// there is one (`aot` engines, `--build-large`).
    pub builds: Option<String>,
}

fn bullet_list(out: &mut String, facts: &[Fact]) {
    for (name, value) in facts {
        let _ = writeln!(out, "- {name}: {value}");
    }
}

/// The results page: a heading, the date, the machine and the tools, the
/// command, the table and how to read it.
pub fn results_page(page: &Page, table: &str) -> String {
    let mut out = String::from("# Benchmark results\n\n");
    let _ = writeln!(
        out,
        "Brine against peers a Lox user could pick instead, on the programs of \
         [`bench/`](README.md), measured {}. Generated by the benchmark harness \
         (`crates/brine-bench`); do not edit by hand: run `scripts/bench.sh` again.\n",
        page.date
    );
    out.push_str("## Machine\n\n");
    bullet_list(&mut out, &page.machine);
    out.push_str("\n## Software\n\n");
    bullet_list(&mut out, &page.software);
    out.push_str("\n## Engines\n\n");
    bullet_list(&mut out, &page.engines);
    out.push_str("\n## Command\n\n```sh\n");
    out.push_str(&page.command);
    out.push_str("\n```\n\n");
    let warmup = match page.warmup {
        0 => String::new(),
        1 => ", after 1 untimed warm-up run".to_owned(),
        n => format!(", after {n} untimed warm-up runs"),
    };
    let runs = if page.runs == 1 { "1 run".to_owned() } else { format!("{} runs", page.runs) };
    let _ = writeln!(out, "## Results\n\nMedian wall time of {runs}{warmup}, in milliseconds.\n");
    out.push_str(table);
    if !page.notes.is_empty() {
        out.push('\n');
        for note in &page.notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    if let Some(startup) = &page.startup {
        out.push_str(
            "\nStart-up: the median wall time of an empty program, which every cell above \
             includes.\n\n",
        );
        out.push_str(startup);
    }
    let base = &page.baseline;
    if let Some(chart) = &page.chart {
        let _ = writeln!(out, "\n![Time of each engine relative to {base}, per program, log scale]({chart})");
    }
    if let Some(builds) = &page.builds {
        out.push('\n');
        out.push_str(builds);
    }
    let chart = if page.chart.is_some() { "; the chart shows the same ratios on a log scale" } else { "" };
    let startup = if page.startup.is_some() {
        " The start-up table shows how much of that is a fixed cost: an engine that takes \
         long to start looks slower on short programs than it is on long ones."
    } else {
        ""
    };
    let built = if page.builds.is_some() {
        "; the build's own time and the executable's size are in the section above"
    } else {
        ""
    };
    let _ = write!(
        out,
        "\n## How to read this\n\n\
         Each `(ms)` cell is the median wall time of one program in one engine, from \
         starting the process to its exit, so it includes start-up: reading, parsing and \
         compiling the program (for `aot`, only running the executable that `brine build` \
         made beforehand{built}).{startup} The `/{base}` columns divide an engine's time by \
         `{base}`'s for the same program: below 1x is faster than `{base}`, 0.50x twice as \
         fast, 2.00x twice as slow. The `geomean` row is the geometric mean of each ratio \
         column, the usual way to summarize ratios across programs{chart}. Every run's \
         output was checked against the program's `// expect:` lines, so every column \
         computed the same results. The Lua and JavaScript columns run hand ports of the \
         Lox programs (`bench/lua`, `bench/js`) that keep their algorithms, classes, \
         closures and string operations (see the [README](README.md)). A cell reads `n/a` when an \
         engine has no port of a program, and `FAIL`, `TIMEOUT`, `MISMATCH` or \
         `BUILD FAIL` when a run went wrong. Differences of a few percent are within \
         run-to-run noise.\n"
    );
    out
}

/// A JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_ms(d: Duration) -> String {
    format!("{:.3}", millis(d))
}

/// All results as JSON: the settings, then one object per program and engine.
pub fn json(engines: &[String], runs: usize, rows: &[Row]) -> String {
    let mut out = String::from("{\n");
    let _ = writeln!(out, "  \"runs\": {runs},");
    let names: Vec<String> = engines.iter().map(|e| json_string(e)).collect();
    let _ = writeln!(out, "  \"engines\": [{}],", names.join(", "));
    out.push_str("  \"results\": [");
    let mut first = true;
    for row in rows {
        for (engine, cell) in engines.iter().zip(&row.cells) {
            out.push_str(if first { "\n" } else { ",\n" });
            first = false;
            let _ = write!(
                out,
                "    {{\"program\": {}, \"engine\": {}, \"status\": \"{}\"",
                json_string(&row.program),
                json_string(engine),
                cell.status()
            );
            match cell {
                Cell::Ok { times } => {
                    if let Some(m) = median(times) {
                        let _ = write!(out, ", \"median_ms\": {}", json_ms(m));
                    }
                    let times: Vec<String> = times.iter().map(|t| json_ms(*t)).collect();
                    let _ = write!(out, ", \"times_ms\": [{}]", times.join(", "));
                }
                Cell::Failed { reason, .. } | Cell::Skipped { reason } => {
                    let _ = write!(out, ", \"reason\": {}", json_string(reason));
                }
            }
            out.push('}');
        }
    }
    out.push_str(if first { "]\n}\n" } else { "\n  ]\n}\n" });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(ms: &[u64]) -> Cell {
        Cell::Ok { times: ms.iter().map(|&m| Duration::from_millis(m)).collect() }
    }

    fn engines(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn single_engine_has_no_ratio_columns() {
        let rows = vec![Row { program: "fib".into(), cells: vec![ok(&[1200, 1000, 1100])] }];
        assert_eq!(
            markdown(&engines(&["interp"]), &rows, 0),
            "\
| program | interp (ms) |
| ------- | ----------: |
| fib     |      1100.0 |
"
        );
    }

    #[test]
    fn ratios_and_geomean() {
        let rows = vec![
            Row { program: "fib".into(), cells: vec![ok(&[1000]), ok(&[250])] },
            Row { program: "binary_trees".into(), cells: vec![ok(&[2000, 2000]), ok(&[4000, 4000])] },
        ];
        assert_eq!(
            markdown(&engines(&["interp", "jit"]), &rows, 0),
            "\
| program      | interp (ms) | jit (ms) | jit/interp |
| ------------ | ----------: | -------: | ---------: |
| fib          |      1000.0 |    250.0 |      0.25x |
| binary_trees |      2000.0 |   4000.0 |      2.00x |
| geomean      |             |          |      0.71x |
"
        );
    }

    #[test]
    fn failures_and_skips_have_no_ratio() {
        let rows = vec![
            Row {
                program: "fib".into(),
                cells: vec![
                    ok(&[100]),
                    Cell::Failed { tag: "MISMATCH", reason: "differs".into() },
                    Cell::Skipped { reason: "no port".into() },
                ],
            },
            Row {
                program: "zoo".into(),
                cells: vec![Cell::Failed { tag: "FAIL", reason: "exit 70".into() }, ok(&[5]), ok(&[1])],
            },
        ];
        assert_eq!(
            markdown(&engines(&["interp", "jit", "luajit"]), &rows, 0),
            "\
| program | interp (ms) | jit (ms) | luajit (ms) | jit/interp | luajit/interp |
| ------- | ----------: | -------: | ----------: | ---------: | ------------: |
| fib     |       100.0 | MISMATCH |         n/a |          - |             - |
| zoo     |        FAIL |      5.0 |         1.0 |          - |             - |
| geomean |             |          |             |          - |             - |
"
        );
    }

    #[test]
    fn baseline_in_the_middle() {
        let rows = vec![Row { program: "fib".into(), cells: vec![ok(&[400]), ok(&[100]), ok(&[50])] }];
        assert_eq!(
            markdown(&engines(&["interp", "jit", "node"]), &rows, 1),
            "\
| program | interp (ms) | jit (ms) | node (ms) | interp/jit | node/jit |
| ------- | ----------: | -------: | --------: | ---------: | -------: |
| fib     |       400.0 |    100.0 |      50.0 |      4.00x |    0.50x |
| geomean |             |          |           |      4.00x |    0.50x |
"
        );
    }

    fn page() -> Page {
        Page {
            date: "2030-01-02 03:04 UTC".into(),
            machine: vec![("CPU".into(), "Test CPU (2 logical cores)".into())],
            software: vec![("brine".into(), "brine 0.1.0, commit abc1234".into())],
            engines: vec![("jit".into(), "`brine run --engine=jit` (baseline)".into())],
            command: "scripts/bench.sh --runs 3".into(),
            runs: 3,
            warmup: 0,
            baseline: "jit".into(),
            notes: vec!["lua5.4 not measured: `lua5.4` is not on PATH".into()],
            chart: Some("results.svg".into()),
            startup: Some("| | jit (ms) |\n".into()),
            builds: Some("## Build time and executable size\n\n| engine | builds |\n".into()),
        }
    }

    #[test]
    fn results_page_has_every_part() {
        let rows = vec![Row { program: "fib".into(), cells: vec![ok(&[100]), ok(&[50])] }];
        let table = markdown(&engines(&["jit", "node"]), &rows, 0);
        let text = results_page(&page(), &table);
        assert!(text.starts_with("# Benchmark results\n"), "{text}");
        for part in [
            "2030-01-02 03:04 UTC",
            "## Machine\n\n- CPU: Test CPU (2 logical cores)\n",
            "## Software\n\n- brine: brine 0.1.0, commit abc1234\n",
            "## Engines\n\n- jit: `brine run --engine=jit` (baseline)\n",
            "## Command\n\n```sh\nscripts/bench.sh --runs 3\n```\n",
            "Median wall time of 3 runs, in milliseconds.\n\n| program | jit (ms) | node (ms) | node/jit |\n",
            "| fib     |    100.0 |      50.0 |    0.50x |\n",
            "| geomean |          |           |    0.50x |\n\n- lua5.4 not measured",
            "## How to read this\n\n",
            "`/jit` columns divide",
            "log scale](results.svg)\n\n## Build time and executable size\n\n| engine | builds |\n\n\
             ## How to read this\n",
            "made beforehand; the build's own time and the executable's size are in the section above).",
            "- lua5.4 not measured: `lua5.4` is not on PATH\n\nStart-up: the median wall time of an empty \
             program, which every cell above includes.\n\n| | jit (ms) |\n",
        ] {
            assert!(text.contains(part), "missing {part:?} in:\n{text}");
        }
        let mut warm = page();
        (warm.runs, warm.warmup, warm.notes, warm.chart, warm.startup, warm.builds) =
            (1, 2, vec![], None, None, None);
        let text = results_page(&warm, &table);
        assert!(text.contains("Median wall time of 1 run, after 2 untimed warm-up runs, in"), "{text}");
        assert!(!text.contains("- lua5.4"));
        assert!(!text.contains("![") && !text.contains("Start-up"));
        assert!(!text.contains("Build time") && !text.contains("section above"));
    }

    #[test]
    fn startup_table() {
        let row = Row {
            program: "empty program".into(),
            cells: vec![ok(&[2, 3, 2]), Cell::Skipped { reason: "no port".into() }, ok(&[41])],
        };
        assert_eq!(
            startup_markdown(&engines(&["jit", "lua5.4", "node"]), &row),
            "\
|               | jit (ms) | lua5.4 (ms) | node (ms) |
| ------------- | -------: | ----------: | --------: |
| empty program |      2.0 |         n/a |      41.0 |
"
        );
    }

    #[test]
    fn ratio_formatting() {
        assert_eq!(format_ratio(12.345), "12.3x");
        assert_eq!(format_ratio(1.0), "1.00x");
        assert_eq!(format_ratio(0.25), "0.25x");
        assert_eq!(format_ratio(0.0123), "0.012x");
    }

    #[test]
    fn json_escapes() {
        assert_eq!(json_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }

    #[test]
    fn json_output() {
        let rows = vec![Row {
            program: "fib".into(),
            cells: vec![ok(&[2, 1, 3]), Cell::Failed { tag: "FAIL", reason: "exited with status 70".into() }],
        }];
        assert_eq!(
            json(&engines(&["interp", "jit"]), 3, &rows),
            r#"{
  "runs": 3,
  "engines": ["interp", "jit"],
  "results": [
    {"program": "fib", "engine": "interp", "status": "ok", "median_ms": 2.000, "times_ms": [2.000, 1.000, 3.000]},
    {"program": "fib", "engine": "jit", "status": "failed", "reason": "exited with status 70"}
  ]
}
"#
        );
        assert_eq!(
            json(&engines(&["interp"]), 1, &[]),
            "{\n  \"runs\": 1,\n  \"engines\": [\"interp\"],\n  \"results\": []\n}\n"
        );
    }
}
