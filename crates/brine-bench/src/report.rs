//! Results: the markdown table and the JSON file.

use std::fmt::Write as _;
use std::time::Duration;

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

fn format_ms(d: Duration) -> String {
    format!("{:.1}", millis(d))
}

/// A time ratio: other engine's time over the first engine's.
fn format_ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.1}x")
    } else if r >= 0.1 {
        format!("{r:.2}x")
    } else {
        format!("{r:.3}x")
    }
}

/// The ratio of cell `i` to cell 0, when both succeeded.
fn ratio(row: &Row, i: usize) -> Option<f64> {
    let base = millis(row.cells.first()?.median()?);
    let other = millis(row.cells.get(i)?.median()?);
    (base > 0.0).then(|| other / base)
}

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Ok { .. } => cell.median().map(format_ms).unwrap_or_else(|| "-".into()),
        Cell::Failed { tag, .. } => (*tag).to_owned(),
        Cell::Skipped { .. } => "n/a".to_owned(),
    }
}

/// The markdown table: program, each engine's median in ms, then for every
/// engine after the first its time as a ratio to the first engine's (below
/// 1 means faster), and a geometric-mean row for those ratios.
pub fn markdown(engines: &[String], rows: &[Row]) -> String {
    let mut header = vec!["program".to_owned()];
    header.extend(engines.iter().map(|e| format!("{e} (ms)")));
    let base = engines.first().map(String::as_str).unwrap_or("");
    header.extend(engines.iter().skip(1).map(|e| format!("{e}/{base}")));

    let mut body: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let mut line = vec![row.program.clone()];
            line.extend(row.cells.iter().map(cell_text));
            line.extend((1..engines.len()).map(|i| ratio(row, i).map(format_ratio).unwrap_or("-".into())));
            line
        })
        .collect();

    if engines.len() > 1 && !rows.is_empty() {
        let mut line = vec!["geomean".to_owned()];
        line.extend(engines.iter().map(|_| String::new()));
        line.extend((1..engines.len()).map(|i| {
            let ratios: Vec<f64> = rows.iter().filter_map(|row| ratio(row, i)).collect();
            geometric_mean(&ratios).map(format_ratio).unwrap_or_else(|| "-".into())
        }));
        body.push(line);
    }

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

    let mut out = render(&header);
    out.push('|');
    for (c, w) in widths.iter().enumerate() {
        if c == 0 {
            let _ = write!(out, " {} |", "-".repeat(*w));
        } else {
            let _ = write!(out, " {}: |", "-".repeat(w - 1));
        }
    }
    out.push('\n');
    for line in &body {
        out.push_str(&render(line));
    }
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
            markdown(&engines(&["interp"]), &rows),
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
            markdown(&engines(&["interp", "jit"]), &rows),
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
            markdown(&engines(&["interp", "jit", "luajit"]), &rows),
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
