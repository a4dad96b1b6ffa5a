//! The large-program build (`--build-large N`): a generated Lox program of
//! exactly N lines, built with `brine build` with and without `--jit`, to
//! time what a build of a big program costs, linking included.
//!
//! The program is made of *units*, each a handful of small functions (with
//! arithmetic, `for` and `while` loops, `if`/`else`, string concatenation
//! and a closure), a class and a subclass (`init`, `super` calls, a method
//! returning `this`) and a function that uses all of them and prints two
//! lines. Every unit has its own constants, derived from its number, and
//! calls a function of the unit before it by its global name. The generator
//! computes what the program prints as it writes it, so the executables'
//! output is checked exactly. It is a pure function of N: the same N always
//! gives the same program.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::process;
use crate::programs;
use crate::stats::{median, millis};

/// The size of the large program when `--build-large` names none.
pub const DEFAULT_LINES: usize = 10_000;

/// How many times each configuration is built; the report shows the median.
pub const BUILDS: usize = 3;

/// A generated program and the output it must print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub source: String,
    pub expected: String,
    /// How many units it has (the rest of the lines are the header, the
    /// footer and padding statements).
    pub units: usize,
}

/// Words the units' labels are made of.
const WORDS: [&str; 8] = ["ant", "bee", "cat", "dog", "elk", "fox", "gnu", "hen"];

/// The constants of unit `k`, all small integers, so every value the
/// program computes is an exact integer.
#[derive(Debug, Clone, Copy)]
struct Unit {
    k: usize,
    /// `mix`: `x * a + y`, then minus `t` above `t`, else plus `b`.
    a: i64,
    b: i64,
    t: i64,
    /// `countdown`'s step.
    c: i64,
    /// How many times `label` appends its word.
    repeat: i64,
    /// The cube's side.
    side: i64,
    /// `run`'s arguments to `mix`, `series` and `countdown`.
    x: i64,
    y: i64,
    n: i64,
    m: i64,
    word: &'static str,
}

impl Unit {
    fn new(k: usize) -> Unit {
        let i = k as i64;
        Unit {
            k,
            a: 2 + i % 5,
            b: 1 + i % 9,
            t: 40 + i % 30,
            c: 1 + i % 4,
            repeat: 1 + i % 3,
            side: 1 + i % 6,
            x: i % 20,
            y: i % 11,
            n: 10 + i % 40,
            m: 20 + i % 50,
            word: WORDS[k % WORDS.len()],
        }
    }

    /// `mix{k}(x, y)`, computed as the Lox code does.
    fn mix(&self, x: i64, y: i64) -> i64 {
        let s = x * self.a + y;
        if s > self.t { s - self.t } else { s + self.b }
    }

    /// `series{k}(n)`.
    fn series(n: i64) -> i64 {
        let mut acc = 0;
        let mut odd = false;
        for i in 0..n {
            if odd {
                acc += i;
            } else {
                acc -= 1;
            }
            odd = !odd;
        }
        acc
    }

    /// `countdown{k}(n)`.
    fn countdown(&self, mut n: i64) -> i64 {
        let mut steps = 0;
        while n > 0 {
            n -= self.c;
            steps += 1;
        }
        steps
    }

    /// `label{k}(word)`.
    fn label(&self) -> String {
        let mut s = format!("u{}", self.k);
        for _ in 0..self.repeat {
            s.push('-');
            s.push_str(self.word);
        }
        s.push('!');
        s
    }

    /// What `run{k}()` returns, given the unit before it (itself for unit 0).
    fn total(&self, prev: &Unit) -> i64 {
        let mut total = self.mix(self.x, self.y) + Unit::series(self.n) + self.countdown(self.m);
        // The closure: counter(a), then next(b), then next(1).
        let next = self.a + self.b + 1;
        // The cube after grow(1): width and height side + 1, depth side.
        let (w, h, d) = (self.side + 1, self.side + 1, self.side);
        let (area, volume) = (w * h * 6, w * h * d);
        total += next + area + volume;
        if area > volume {
            total += 1;
        }
        total + prev.mix(1, 2)
    }

    /// The unit's Lox code. Every unit has the same number of lines.
    fn source(&self, prev: &Unit) -> String {
        let Unit { k, a, b, t, c, repeat, side, x, y, n, m, word } = *self;
        let p = prev.k;
        format!(
            "\
// Unit {k}.
fun mix{k}(x, y) {{
  var s = x * {a} + y;
  if (s > {t}) {{
    s = s - {t};
  }} else {{
    s = s + {b};
  }}
  return s;
}}

fun series{k}(n) {{
  var acc = 0;
  var odd = false;
  for (var i = 0; i < n; i = i + 1) {{
    if (odd) {{
      acc = acc + i;
    }} else {{
      acc = acc - 1;
    }}
    odd = !odd;
  }}
  return acc;
}}

fun countdown{k}(n) {{
  var steps = 0;
  while (n > 0) {{
    n = n - {c};
    steps = steps + 1;
  }}
  return steps;
}}

fun label{k}(name) {{
  var s = \"u{k}\";
  for (var i = 0; i < {repeat}; i = i + 1) {{
    s = s + \"-\" + name;
  }}
  return s + \"!\";
}}

fun counter{k}(start) {{
  var n = start;
  fun step(d) {{
    n = n + d;
    return n;
  }}
  return step;
}}

class Box{k} {{
  init(w, h) {{
    this.w = w;
    this.h = h;
  }}

  area() {{
    return this.w * this.h;
  }}

  grow(d) {{
    this.w = this.w + d;
    this.h = this.h + d;
    return this;
  }}
}}

class Cube{k} < Box{k} {{
  init(side) {{
    super.init(side, side);
    this.d = side;
  }}

  area() {{
    return super.area() * 6;
  }}

  volume() {{
    return this.w * this.h * this.d;
  }}
}}

fun run{k}() {{
  var next = counter{k}({a});
  next({b});
  var cube = Cube{k}({side}).grow(1);
  var total = mix{k}({x}, {y}) + series{k}({n}) + countdown{k}({m});
  total = total + next(1) + cube.area() + cube.volume();
  if (cube.area() > cube.volume()) {{
    total = total + 1;
  }}
  total = total + mix{p}(1, 2);
  print label{k}(\"{word}\");
  print total;
  return total;
}}

checksum = checksum + run{k}();

"
        )
    }
}

fn line_count(text: &str) -> usize {
    text.lines().count()
}

fn header(lines: usize, units: usize) -> String {
    format!(
        "// A generated program of {lines} lines, made by the benchmark harness (crates/brine-bench)\n\
         // to time `brine build`: {units} units of small functions, a closure, a class and a\n\
         // subclass, and a function that runs them and prints two lines.\n\
         var checksum = 0;\n\n"
    )
}

const FOOTER: &str = "print \"checksum\";\nprint checksum;\n";

/// One padding line, so the program has exactly the lines asked for.
const PADDING: &str = "checksum = checksum + 1;\n";

/// The fewest lines a generated program can have: the header, one unit and
/// the footer.
pub fn min_lines() -> usize {
    let unit = Unit::new(0);
    line_count(&header(0, 1)) + line_count(&unit.source(&unit)) + line_count(FOOTER)
}

/// The program of exactly `lines` lines (at least `min_lines()`), and what
/// it prints.
pub fn generate(lines: usize) -> Result<Generated, String> {
    let min = min_lines();
    if lines < min {
        return Err(format!("a generated program needs at least {min} lines, not {lines}"));
    }
    let first = Unit::new(0);
    let per_unit = line_count(&first.source(&first));
    let fixed = line_count(&header(lines, 1)) + line_count(FOOTER);
    let units = (lines - fixed) / per_unit;
    let padding = lines - fixed - units * per_unit;

    let mut source = header(lines, units);
    let mut expected = String::new();
    let mut checksum = 0i64;
    let mut prev = first;
    for k in 0..units {
        let unit = Unit::new(k);
        source.push_str(&unit.source(&prev));
        let total = unit.total(&prev);
        let _ = writeln!(expected, "{}\n{total}", unit.label());
        checksum += total;
        prev = unit;
    }
    for _ in 0..padding {
        source.push_str(PADDING);
    }
    checksum += padding as i64;
    source.push_str(FOOTER);
    let _ = writeln!(expected, "checksum\n{checksum}");
    Ok(Generated { source, expected, units })
}

/// One configuration of the large build: `brine build FLAGS`.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// How the report names it: `no JIT`, `--jit`.
    pub name: &'static str,
    pub flags: &'static [&'static str],
    /// The wall time of each build that succeeded, in order.
    pub times: Vec<Duration>,
    /// The linking time of each build, as `brine build -v` reports it,
    /// when it could be read.
    pub link_times: Vec<Duration>,
    /// The executable's size in bytes, after the last build.
    pub size: Option<u64>,
    /// What went wrong, if anything: a failed build, a failed run, output
    /// that is not what the program prints.
    pub problem: Option<String>,
}

impl Variant {
    fn new(name: &'static str, flags: &'static [&'static str]) -> Variant {
        Variant { name, flags, times: Vec::new(), link_times: Vec::new(), size: None, problem: None }
    }

    /// The median build time, when every build succeeded.
    pub fn median(&self) -> Option<Duration> {
        if self.problem.is_some() { None } else { median(&self.times) }
    }

    /// The median link time, when every build reported one.
    pub fn median_link(&self) -> Option<Duration> {
        if self.problem.is_some() || self.link_times.len() != self.times.len() {
            None
        } else {
            median(&self.link_times)
        }
    }
}

/// What the large build measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Large {
    pub lines: usize,
    pub units: usize,
    /// Without the JIT, then with `--jit`.
    pub variants: Vec<Variant>,
}

/// The linking time in a `brine build -v` report (`brine: built 'x' (--jit)
/// in 285 ms, 225 ms of it linking: ...`), if `stderr` has one.
pub fn parse_link_time(stderr: &[u8]) -> Option<Duration> {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().find(|l| l.starts_with("brine: built "))?;
    let (before, _) = line.split_once(" ms of it linking")?;
    let ms = before.rsplit(", ").next()?.trim();
    ms.parse::<u64>().ok().map(Duration::from_millis)
}

/// Generates the program in `dir`, builds it `BUILDS` times in each variant
/// (alternating, so that a change in the machine's load affects both
/// alike), and runs each executable once to check that it exits 0 and
/// prints what it should. Progress goes to stderr.
pub fn measure(brine: &Path, dir: &Path, lines: usize, timeout: Duration) -> Result<Large, String> {
    let program = generate(lines)?;
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let file = dir.join("large.lox");
    fs::write(&file, &program.source).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    eprintln!(
        "bench: build of a generated {lines}-line program ({} units), {BUILDS} time(s) each:",
        program.units
    );

    let mut variants = vec![Variant::new("no JIT", &[]), Variant::new("--jit", &["--jit"])];
    let exe = |v: &Variant| {
        let name = if v.flags.is_empty() { "large-nojit" } else { "large-jit" };
        dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
    };
    for round in 0..BUILDS {
        for variant in &mut variants {
            if variant.problem.is_some() {
                continue;
            }
            let exe = exe(variant);
            let mut argv = vec![brine.to_string_lossy().into_owned(), "build".to_owned(), "-v".to_owned()];
            argv.extend(variant.flags.iter().map(|f| (*f).to_owned()));
            argv.extend([file.to_string_lossy().into_owned(), "-o".to_owned(), exe.to_string_lossy().into()]);
            match process::run(&argv, timeout) {
                Ok(outcome) if outcome.success() => {
                    variant.times.push(outcome.elapsed);
                    variant.link_times.extend(parse_link_time(&outcome.stderr));
                    variant.size = fs::metadata(&exe).ok().map(|m| m.len());
                    eprintln!(
                        "  {:<8} build {}: {:>8.1} ms",
                        variant.name,
                        round + 1,
                        millis(outcome.elapsed)
                    );
                    if variant.size.is_none() {
                        variant.problem = Some(format!("`{}` wrote no {}", argv.join(" "), exe.display()));
                    }
                }
                Ok(outcome) => variant.problem = Some(crate::run_failure(&argv, &outcome)),
                Err(e) => variant.problem = Some(e.to_string()),
            }
        }
    }
    for variant in &mut variants {
        if variant.problem.is_some() {
            continue;
        }
        let argv = vec![exe(variant).to_string_lossy().into_owned()];
        variant.problem = match process::run(&argv, timeout) {
            Ok(outcome) if outcome.success() => {
                programs::first_difference(program.expected.as_bytes(), &outcome.stdout).map(
                    |(line, want, got)| {
                        format!(
                            "the {} executable's output differs from the generated program's at line \
                             {line}: expected {want}, got {got}",
                            variant.name
                        )
                    },
                )
            }
            Ok(outcome) => Some(crate::run_failure(&argv, &outcome)),
            Err(e) => Some(e.to_string()),
        };
    }
    Ok(Large { lines, units: program.units, variants })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_exactly_the_lines_asked_for() {
        for lines in [min_lines(), min_lines() + 1, 1_000, 2_345, DEFAULT_LINES] {
            let program = generate(lines).unwrap();
            assert_eq!(program.source.lines().count(), lines, "asked for {lines}");
            assert!(program.source.ends_with("print checksum;\n"));
        }
        let err = generate(min_lines() - 1).unwrap_err();
        assert!(err.contains("at least"), "{err}");
    }

    #[test]
    fn is_deterministic() {
        let a = generate(DEFAULT_LINES).unwrap();
        let b = generate(DEFAULT_LINES).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.source, generate(DEFAULT_LINES - 1).unwrap().source);
    }

    #[test]
    fn every_unit_has_the_same_shape() {
        let first = Unit::new(0);
        let lines = first.source(&first).lines().count();
        for k in 1..50 {
            let unit = Unit::new(k);
            assert_eq!(unit.source(&Unit::new(k - 1)).lines().count(), lines, "unit {k}");
        }
    }

    #[test]
    fn a_large_program_is_made_of_many_functions_and_classes() {
        let program = generate(DEFAULT_LINES).unwrap();
        assert!(program.units >= 90, "{} units", program.units);
        let count = |what: &str| program.source.lines().filter(|l| l.trim_start().starts_with(what)).count();
        assert_eq!(count("class "), 2 * program.units);
        assert_eq!(count("fun "), 7 * program.units);
        assert!(program.source.contains("checksum = checksum + run0();\n"));
        // Each unit but the first calls the one before it.
        assert!(program.source.contains("  total = total + mix0(1, 2);\n  print label1(\"bee\");\n"));
    }

    #[test]
    fn expected_output_follows_the_code() {
        let program = generate(min_lines() + 2).unwrap();
        assert_eq!(program.units, 1);
        // Unit 0: a = 2, b = 1, t = 40, c = 1, one "ant", side 1, x = y = 0,
        // n = 10, m = 20. mix(0, 0) = 0 + 1; series(10) = -5 + (1+3+5+7+9);
        // countdown(20) = 20; next(1) = 2 + 1 + 1; the cube is 2 x 2 x 1:
        // area 24, volume 4, so + 1; mix(1, 2) = 4 + 1.
        let total = 1 + 20 + 20 + 4 + 24 + 4 + 1 + 5;
        assert_eq!(program.expected, format!("u0-ant!\n{total}\nchecksum\n{}\n", total + 2));
        assert!(program.source.ends_with(
            "checksum = checksum + run0();\n\nchecksum = checksum + 1;\nchecksum = checksum + 1;\n\
             print \"checksum\";\nprint checksum;\n"
        ));
    }

    #[test]
    fn link_times_from_brine_build_verbose() {
        let stderr = b"warning: something\nbrine: built 'x3' (--jit) in 285 ms, 225 ms of it linking: \
                       7636176 bytes (program object 165224 bytes, IR 12176 bytes)\n";
        assert_eq!(parse_link_time(stderr), Some(Duration::from_millis(225)));
        assert_eq!(parse_link_time(b"brine: built 'x' (--no-jit) in 9 ms, 4 ms of it linking: 1 bytes"), {
            Some(Duration::from_millis(4))
        });
        assert_eq!(parse_link_time(b""), None);
        assert_eq!(parse_link_time(b"brine: built 'x' in 9 ms: 1 bytes\n"), None);
    }
}
