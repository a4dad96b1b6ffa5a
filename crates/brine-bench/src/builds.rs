//! Build time and executable size: how long `brine build` took for each
//! program in each `aot` engine and how big the executable it wrote is, and
//! the build of a large generated program (`--build-large`). The section of
//! the results page and of the terminal output that shows them.

use std::fmt::Write as _;
use std::time::Duration;

use crate::large::Large;
use crate::report::{format_ms, render_table};
use crate::stats::{median, millis};

/// One `brine build` that succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Build {
    /// The wall time of the whole command, linking included, measured by
    /// the harness.
    pub elapsed: Duration,
    /// The size of the executable it wrote, in bytes.
    pub size: u64,
}

/// The builds of one program, one per `aot` engine in engine order: `None`
/// where the build failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRow {
    pub program: String,
    pub builds: Vec<Option<Build>>,
}

/// A size in bytes, readable: `512 B`, `9.5 KiB`, `912 KiB`, `7.28 MiB`.
pub fn format_size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    const MIB: f64 = 1024.0 * 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if b < 10.0 * KIB {
        format!("{:.1} KiB", b / KIB)
    } else if b < MIB {
        format!("{:.0} KiB", b / KIB)
    } else if b < 10.0 * MIB {
        format!("{:.2} MiB", b / MIB)
    } else {
        format!("{:.1} MiB", b / MIB)
    }
}

/// `n` with a comma between groups of three digits: `10,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The median of some sizes (the mean of the two middle ones for an even
/// count); `None` when there are none.
fn median_size(sizes: &[u64]) -> Option<u64> {
    let mut sorted = sizes.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if !n.is_multiple_of(2) => Some(sorted[mid]),
        _ => Some((sorted[mid - 1] + sorted[mid]) / 2),
    }
}

/// The summary: one row per `aot` engine, with how many builds succeeded,
/// the median and maximum build time over the programs, and the smallest,
/// median and largest executable.
pub fn summary_markdown(engines: &[String], rows: &[BuildRow]) -> String {
    let header =
        ["engine", "builds", "build median (ms)", "build max (ms)", "size min", "size median", "size max"]
            .map(String::from);
    let dash = || "-".to_owned();
    let body: Vec<Vec<String>> = engines
        .iter()
        .enumerate()
        .map(|(e, label)| {
            let builds: Vec<Build> =
                rows.iter().filter_map(|row| row.builds.get(e).copied().flatten()).collect();
            let times: Vec<Duration> = builds.iter().map(|b| b.elapsed).collect();
            let sizes: Vec<u64> = builds.iter().map(|b| b.size).collect();
            vec![
                label.clone(),
                format!("{}/{}", builds.len(), rows.len()),
                median(&times).map(format_ms).unwrap_or_else(dash),
                times.iter().max().copied().map(format_ms).unwrap_or_else(dash),
                sizes.iter().min().copied().map(format_size).unwrap_or_else(dash),
                median_size(&sizes).map(format_size).unwrap_or_else(dash),
                sizes.iter().max().copied().map(format_size).unwrap_or_else(dash),
            ]
        })
        .collect();
    render_table(&header, &body)
}

/// The detail: a row per program, a `build ms / size` cell per `aot` engine.
pub fn detail_markdown(engines: &[String], rows: &[BuildRow]) -> String {
    let mut header = vec!["program".to_owned()];
    header.extend(engines.iter().map(|e| format!("{e} (build / size)")));
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let mut line = vec![row.program.clone()];
            line.extend((0..engines.len()).map(|e| match row.builds.get(e).copied().flatten() {
                Some(b) => format!("{} ms / {}", format_ms(b.elapsed), format_size(b.size)),
                None => "BUILD FAIL".to_owned(),
            }));
            line
        })
        .collect();
    render_table(&header, &body)
}

/// One line: `build of a 10,000-line program: 412 ms (no JIT), 530 ms (--jit)`.
pub fn large_line(large: &Large) -> String {
    let parts: Vec<String> = large
        .variants
        .iter()
        .map(|v| match v.median() {
            Some(m) => format!("{:.0} ms ({})", millis(m), v.name),
            None => format!("FAIL ({})", v.name),
        })
        .collect();
    format!("build of a {}-line program: {}", thousands(large.lines), parts.join(", "))
}

/// The large build's table: each variant's median, every build's time, the
/// linking time `brine build -v` reported, and the executable's size.
pub fn large_markdown(large: &Large) -> String {
    let header =
        ["build", "median (ms)", "each build (ms)", "of it linking (ms)", "executable"].map(String::from);
    let body: Vec<Vec<String>> = large
        .variants
        .iter()
        .map(|v| {
            let flags = if v.flags.is_empty() { String::new() } else { format!(" {}", v.flags.join(" ")) };
            vec![
                format!("`brine build{flags}`"),
                v.median().map(format_ms).unwrap_or_else(|| "FAIL".to_owned()),
                v.times.iter().map(|t| format_ms(*t)).collect::<Vec<_>>().join(", "),
                v.median_link().map(|t| format!("{:.0}", millis(t))).unwrap_or_else(|| "-".to_owned()),
                v.size.filter(|_| v.problem.is_none()).map(format_size).unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    render_table(&header, &body)
}

/// The whole section, heading included; `None` when there is nothing to
/// show (no `aot` engine and no large build).
pub fn section(engines: &[String], rows: &[BuildRow], large: Option<&Large>) -> Option<String> {
    if (engines.is_empty() || rows.is_empty()) && large.is_none() {
        return None;
    }
    let mut out = String::from("## Build time and executable size\n\n");
    if !engines.is_empty() && !rows.is_empty() {
        out.push_str(
            "The wall time of `brine build` for each program in each `aot` engine (one build, \
             before the timed runs, linking with `cc` included), measured by the harness around \
             the command, and the size of the executable it wrote (1 KiB = 1024 bytes).\n\n",
        );
        out.push_str(&summary_markdown(engines, rows));
        out.push('\n');
        out.push_str(&detail_markdown(engines, rows));
    }
    if let Some(large) = large {
        if !engines.is_empty() && !rows.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "A {}-line program generated by the harness ({} units of small functions, a closure, a \
             class and a subclass), built {} times in each configuration with `brine build -v` \
             (`-O0`, linking included), alternating; the median of the wall times, the linking \
             time as `brine build -v` reports it, and the size of the executable. {}\n",
            thousands(large.lines),
            large.units,
            crate::large::BUILDS,
            if large.variants.iter().all(|v| v.problem.is_none()) {
                "Each executable was run once and printed the expected output."
            } else {
                "`FAIL` marks a configuration whose build failed or whose executable did not \
                 print the expected output (see the problems above)."
            }
        );
        let _ = writeln!(out, "**{}**\n", capitalized(&large_line(large)));
        out.push_str(&large_markdown(large));
    }
    Some(out)
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::large::Variant;

    fn build(ms: u64, size: u64) -> Option<Build> {
        Some(Build { elapsed: Duration::from_millis(ms), size })
    }

    fn labels(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn rows() -> Vec<BuildRow> {
        vec![
            BuildRow { program: "fib".into(), builds: vec![build(200, 900_000), build(300, 7_600_000)] },
            BuildRow { program: "sort".into(), builds: vec![build(260, 1_000_000), None] },
            BuildRow { program: "zoo".into(), builds: vec![build(220, 950_000), build(340, 7_700_000)] },
        ]
    }

    #[test]
    fn sizes_are_readable() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(900_000), "879 KiB");
        assert_eq!(format_size(7_636_176), "7.28 MiB");
        assert_eq!(format_size(50 * 1024 * 1024), "50.0 MiB");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn summary_over_the_programs() {
        assert_eq!(
            summary_markdown(&labels(&["aot", "aot-jit"]), &rows()),
            "\
| engine  | builds | build median (ms) | build max (ms) | size min | size median | size max |
| ------- | -----: | ----------------: | -------------: | -------: | ----------: | -------: |
| aot     |    3/3 |             220.0 |          260.0 |  879 KiB |     928 KiB |  977 KiB |
| aot-jit |    2/3 |             320.0 |          340.0 | 7.25 MiB |    7.30 MiB | 7.34 MiB |
"
        );
        let none = vec![BuildRow { program: "fib".into(), builds: vec![None] }];
        assert!(
            summary_markdown(&labels(&["aot"]), &none).contains("| aot    |    0/1 |                 - |")
        );
    }

    #[test]
    fn detail_per_program() {
        assert_eq!(
            detail_markdown(&labels(&["aot", "aot-jit"]), &rows()),
            "\
| program | aot (build / size) | aot-jit (build / size) |
| ------- | -----------------: | ---------------------: |
| fib     | 200.0 ms / 879 KiB |    300.0 ms / 7.25 MiB |
| sort    | 260.0 ms / 977 KiB |             BUILD FAIL |
| zoo     | 220.0 ms / 928 KiB |    340.0 ms / 7.34 MiB |
"
        );
    }

    fn large() -> Large {
        let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect::<Vec<_>>();
        Large {
            lines: 10_000,
            units: 108,
            variants: vec![
                Variant {
                    name: "no JIT",
                    flags: &[],
                    times: ms(&[420, 400, 410]),
                    link_times: ms(&[200, 190, 210]),
                    size: Some(1_200_000),
                    problem: None,
                },
                Variant {
                    name: "--jit",
                    flags: &["--jit"],
                    times: ms(&[500, 520, 510]),
                    link_times: ms(&[300]),
                    size: Some(8_000_000),
                    problem: None,
                },
            ],
        }
    }

    #[test]
    fn large_build_line_and_table() {
        assert_eq!(large_line(&large()), "build of a 10,000-line program: 410 ms (no JIT), 510 ms (--jit)");
        assert_eq!(
            large_markdown(&large()),
            "\
| build               | median (ms) |     each build (ms) | of it linking (ms) | executable |
| ------------------- | ----------: | ------------------: | -----------------: | ---------: |
| `brine build`       |       410.0 | 420.0, 400.0, 410.0 |                200 |   1.14 MiB |
| `brine build --jit` |       510.0 | 500.0, 520.0, 510.0 |                  - |   7.63 MiB |
"
        );
        let mut failed = large();
        failed.variants[1].problem = Some("exited with status 70".into());
        assert_eq!(failed.variants[1].median(), None);
        assert_eq!(large_line(&failed), "build of a 10,000-line program: 410 ms (no JIT), FAIL (--jit)");
        assert!(large_markdown(&failed).contains("| `brine build --jit` |        FAIL |"));
    }

    #[test]
    fn the_section_shows_what_was_measured() {
        let engines = labels(&["aot", "aot-jit"]);
        let text = section(&engines, &rows(), Some(&large())).unwrap();
        assert!(text.starts_with("## Build time and executable size\n\nThe wall time of `brine build`"));
        let summary = text.find("| engine  | builds |").unwrap();
        let detail = text.find("| program | aot (build / size)").unwrap();
        let line = text.find("**Build of a 10,000-line program: 410 ms (no JIT), 510 ms (--jit)**").unwrap();
        let table = text.find("| `brine build`       |       410.0 |").unwrap();
        assert!(summary < detail && detail < line && line < table, "{text}");
        assert!(text.contains("A 10,000-line program generated by the harness (108 units"));

        let only_large = section(&[], &[], Some(&large())).unwrap();
        assert!(!only_large.contains("| engine"));
        assert!(only_large.contains("**Build of a 10,000-line program"));
        let only_aot = section(&engines, &rows(), None).unwrap();
        assert!(only_aot.contains("| engine") && !only_aot.contains("line program"));
        assert_eq!(section(&[], &[], None), None);
        assert_eq!(section(&engines, &[], None), None);
    }
}
