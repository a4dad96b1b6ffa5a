//! The bar chart (`--chart`): one group of bars per program plus the
//! geometric mean, one bar per engine, each bar the engine's time relative
//! to the baseline engine's on a log scale.
//!
//! It is drawn with `plotters`' SVG backend only, which writes text as SVG
//! `<text>` elements and needs no font file.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::{Row, geomean_ratio, ratio};

/// One engine's bars.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    /// Brine's own engines are drawn in blues, peers in other colors.
    pub brine: bool,
}

/// One group of bars: a program, or the geometric mean.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    /// Per series: the time relative to the baseline, when both succeeded.
    pub ratios: Vec<Option<f64>>,
}

/// What the chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub baseline: String,
    pub series: Vec<Series>,
    pub groups: Vec<Group>,
}

impl Chart {
    /// The chart of a results table: every program, then `geomean`.
    /// `brine[i]` tells whether engine `i` is one of Brine's.
    pub fn new(engines: &[String], brine: &[bool], rows: &[Row], base: usize) -> Chart {
        let series = engines
            .iter()
            .enumerate()
            .map(|(i, label)| Series { label: label.clone(), brine: brine.get(i).copied().unwrap_or(false) })
            .collect();
        let mut groups: Vec<Group> = rows
            .iter()
            .map(|row| Group {
                name: row.program.clone(),
                ratios: (0..engines.len()).map(|i| ratio(row, i, base)).collect(),
            })
            .collect();
        groups.push(Group {
            name: "geomean".to_owned(),
            ratios: (0..engines.len()).map(|i| geomean_ratio(rows, i, base)).collect(),
        });
        Chart { baseline: engines.get(base).cloned().unwrap_or_default(), series, groups }
    }

    /// The y range: every ratio and 1, with some room below and above so
    /// that the shortest bar still shows and the longest ends below the frame.
    pub fn y_range(&self) -> (f64, f64) {
        let values = self.groups.iter().flat_map(|g| g.ratios.iter().flatten()).copied();
        let (lo, hi) = values
            .filter(|v| v.is_finite() && *v > 0.0)
            .fold((1.0f64, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        (lo / 2.0, hi * 1.5)
    }
}

const BRINE_COLORS: [RGBColor; 5] = [
    RGBColor(0x9e, 0xca, 0xe1),
    RGBColor(0x31, 0x82, 0xbd),
    RGBColor(0x08, 0x30, 0x6b),
    RGBColor(0x6b, 0xae, 0xd6),
    RGBColor(0x21, 0x71, 0xb5),
];

const PEER_COLORS: [RGBColor; 7] = [
    RGBColor(0xfd, 0xbf, 0x6f),
    RGBColor(0xff, 0x7f, 0x00),
    RGBColor(0x33, 0xa0, 0x2c),
    RGBColor(0xe3, 0x1a, 0x1c),
    RGBColor(0x6a, 0x3d, 0x9a),
    RGBColor(0xb1, 0x59, 0x28),
    RGBColor(0x99, 0x99, 0x99),
];

/// A color per series: Brine's in blues, the others in warm colors.
fn colors(series: &[Series]) -> Vec<RGBColor> {
    let (mut brine, mut peer) = (0, 0);
    series
        .iter()
        .map(|s| {
            if s.brine {
                brine += 1;
                BRINE_COLORS[(brine - 1) % BRINE_COLORS.len()]
            } else {
                peer += 1;
                PEER_COLORS[(peer - 1) % PEER_COLORS.len()]
            }
        })
        .collect()
}

/// A y-axis label: `0.1x`, `1x`, `20x`.
fn axis_label(v: f64) -> String {
    let text = format!("{v:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}x")
}

const GROUP_WIDTH: u32 = 130;
const HEADER_HEIGHT: u32 = 96;

/// Writes the chart as SVG to `path`.
pub fn write_svg(chart: &Chart, path: &Path) -> Result<(), String> {
    let width = (180 + GROUP_WIDTH * chart.groups.len() as u32).max(900);
    let root = SVGBackend::new(path, (width, 620)).into_drawing_area();
    draw(chart, &root).map_err(|e| format!("cannot draw the chart: {e}"))?;
    root.present().map_err(|e| format!("cannot write {}: {e}", path.display()))
}

type DrawResult = Result<(), DrawingAreaErrorKind<<SVGBackend<'static> as DrawingBackend>::ErrorType>>;

fn draw(chart: &Chart, root: &DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult {
    root.fill(&WHITE)?;
    let (header, body) = root.split_vertically(HEADER_HEIGHT);
    let colors = colors(&chart.series);

    // Title, then the legend in one row.
    let title = format!(
        "Time relative to Brine's {} engine, per program (log scale; lower is faster)",
        chart.baseline
    );
    header.draw(&Text::new(title, (20, 14), ("sans-serif", 26).into_font().color(&BLACK)))?;
    let subtitle = "Median wall time of each engine divided by the baseline's; the line marks 1x";
    header.draw(&Text::new(
        subtitle,
        (20, 44),
        ("sans-serif", 18).into_font().color(&RGBColor(80, 80, 80)),
    ))?;
    let mut x = 20;
    for (series, color) in chart.series.iter().zip(&colors) {
        header.draw(&Rectangle::new([(x, 70), (x + 16, 86)], color.filled()))?;
        header.draw(&Text::new(series.label.clone(), (x + 22, 71), ("sans-serif", 18).into_font()))?;
        x += 46 + 8 * series.label.len() as i32;
    }

    let groups = chart.groups.len().max(1) as f64;
    let (lo, hi) = chart.y_range();
    let mut plot = ChartBuilder::on(&body)
        .margin_left(10)
        .margin_right(20)
        .margin_bottom(10)
        .x_label_area_size(36)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..groups, (lo..hi).log_scale())?;
    let formatter = |v: &f64| axis_label(*v);
    plot.configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(format!("time / {} time", chart.baseline))
        .y_label_formatter(&formatter)
        .label_style(("sans-serif", 18))
        .axis_desc_style(("sans-serif", 18))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;

    // Bars: each group fills 80% of its slot.
    let n = chart.series.len().max(1) as f64;
    let bar = 0.8 / n;
    for (i, color) in colors.iter().enumerate() {
        let bars = chart.groups.iter().enumerate().filter_map(|(g, group)| {
            let value = group.ratios.get(i).copied().flatten()?;
            let x0 = g as f64 + 0.1 + bar * i as f64;
            Some(Rectangle::new([(x0, lo), (x0 + bar * 0.9, value)], color.filled()))
        });
        plot.draw_series(bars)?;
    }
    // The baseline: 1x; and a rule between the programs and the geometric mean.
    let line = |points: Vec<(f64, f64)>, style: ShapeStyle| std::iter::once(PathElement::new(points, style));
    plot.draw_series(line(vec![(0.0, 1.0), (groups, 1.0)], BLACK.stroke_width(1)))?;
    if chart.groups.len() > 1 {
        let x = groups - 1.0;
        plot.draw_series(line(vec![(x, lo), (x, hi)], RGBColor(150, 150, 150).stroke_width(1)))?;
    }

    // Group names under the x axis.
    let name_style = TextStyle::from(("sans-serif", 18).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    for (g, group) in chart.groups.iter().enumerate() {
        let (px, py) = plot.backend_coord(&(g as f64 + 0.5, lo));
        root.draw(&Text::new(group.name.clone(), (px, py + 10), name_style.clone()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Cell;
    use std::time::Duration;

    fn ok(ms: u64) -> Cell {
        Cell::Ok { times: vec![Duration::from_millis(ms)] }
    }

    fn sample() -> Chart {
        let engines: Vec<String> = ["interp", "jit", "luajit", "node"].map(String::from).to_vec();
        let rows = vec![
            Row { program: "fib".into(), cells: vec![ok(1000), ok(100), ok(50), ok(40)] },
            Row {
                program: "binary_trees".into(),
                cells: vec![
                    ok(2000),
                    ok(400),
                    Cell::Skipped { reason: "no port".into() },
                    Cell::Failed { tag: "FAIL", reason: "exit 1".into() },
                ],
            },
            Row { program: "zoo".into(), cells: vec![ok(900), ok(300), ok(3), ok(30)] },
        ];
        Chart::new(&engines, &[true, true, false, false], &rows, 1)
    }

    #[test]
    fn ratios_per_group_and_geomean() {
        let chart = sample();
        assert_eq!(chart.baseline, "jit");
        let names: Vec<&str> = chart.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["fib", "binary_trees", "zoo", "geomean"]);
        assert_eq!(chart.groups[0].ratios, [Some(10.0), Some(1.0), Some(0.5), Some(0.4)]);
        assert_eq!(chart.groups[1].ratios, [Some(5.0), Some(1.0), None, None]);
        let geomean = &chart.groups[3].ratios;
        assert!((geomean[0].unwrap() - (10.0f64 * 5.0 * 3.0).cbrt()).abs() < 1e-9);
        assert!((geomean[2].unwrap() - (0.5f64 * 0.01).sqrt()).abs() < 1e-9);
        assert_eq!(chart.y_range(), (0.005, 15.0));
    }

    #[test]
    fn y_range_always_holds_one() {
        let chart = Chart { baseline: "jit".into(), series: vec![], groups: vec![] };
        assert_eq!(chart.y_range(), (0.5, 1.5));
    }

    #[test]
    fn labels_and_colors() {
        assert_eq!(axis_label(0.01), "0.01x");
        assert_eq!(axis_label(1.0), "1x");
        assert_eq!(axis_label(20.0), "20x");
        let series = |brine| Series { label: String::new(), brine };
        let c = colors(&[series(true), series(false), series(true), series(false)]);
        assert_eq!(c, [BRINE_COLORS[0], PEER_COLORS[0], BRINE_COLORS[1], PEER_COLORS[1]]);
    }

    #[test]
    fn writes_an_svg_naming_every_program_and_engine() {
        let path = std::env::temp_dir().join(format!("brine-bench-chart-{}.svg", std::process::id()));
        write_svg(&sample(), &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(200)]);
        assert!(svg.trim_end().ends_with("</svg>"));
        // Group names and legend entries are whole <text> elements.
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim()))
            .collect();
        for name in ["fib", "binary_trees", "zoo", "geomean", "interp", "jit", "luajit", "node"] {
            assert!(texts.contains(&name), "no text {name} in the SVG: {texts:?}");
        }
        assert!(texts.iter().any(|t| t.starts_with("Time relative to Brine")), "no title: {texts:?}");
        assert!(texts.contains(&"1x") && texts.contains(&"time / jit time"), "no y axis: {texts:?}");
        // Bars: 3 + 1 + 3 (programs) + 4 (geomean) rectangles at least.
        assert!(svg.matches("<rect").count() >= 11);
    }
}
