//! The standard library at scale (DESIGN.md section 10, issue 8): a list of
//! ten million numbers and a map of a million keys work within a memory
//! bound, and the library's operations cost what they promise. Costs are
//! counted, never timed: `--profile` under the interpreter reports how
//! often each of the library's functions was called and how many loop
//! iterations it ran, and a list sorted with a comparator counts its calls.

use std::io::Read;
use std::process::{Command, Stdio};

/// What a run printed, its exit code and its peak resident memory.
struct Run {
    stdout: String,
    stderr: String,
    code: Option<i32>,
    peak_kib: u64,
}

/// Runs `brine run [options] FILE` on `source` and measures the child's own
/// peak resident set (from `wait4`, so no other test's processes count).
// `wait4` reaps the child, which std's `Child::wait` would not know.
#[allow(clippy::zombie_processes)]
fn run(name: &str, source: &str, options: &[&str]) -> Run {
    let dir = std::env::temp_dir().join(format!("brine-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path = dir.join(format!("{name}.lox"));
    std::fs::write(&path, source).expect("the program is written");
    let mut child = Command::new(env!("CARGO_BIN_EXE_brine"))
        .arg("run")
        .args(options)
        .arg(&path)
        .env_remove("BRINE_TIER")
        .env_remove("BRINE_TIER_THRESHOLD")
        .env_remove("BRINE_DEOPT_STRESS")
        .env_remove("BRINE_GC_STRESS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("brine starts");
    // The outputs are small (well under a pipe's buffer), so reading them
    // after the exit cannot block the child.
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet reaped (std's `Child` is never
    // waited on); `status` and `usage` are valid for writes.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4 reaps the child");
    let mut stdout = String::new();
    let mut stderr = String::new();
    child.stdout.take().expect("piped").read_to_string(&mut stdout).expect("stdout");
    child.stderr.take().expect("piped").read_to_string(&mut stderr).expect("stderr");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    // Linux reports ru_maxrss in KiB.
    Run { stdout, stderr, code, peak_kib: usage.ru_maxrss as u64 }
}

/// The `--profile` row of function `name`: (calls, loop iterations).
fn counts(profile: &str, name: &str) -> (u64, u64) {
    let row = profile
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no profile row for {name} in:\n{profile}"));
    let fields: Vec<&str> = row.split_whitespace().collect();
    // function, line, calls, loops, tier, ...
    let number = |i: usize| fields[i].parse::<u64>().unwrap_or_else(|_| panic!("a count in {row}"));
    (number(2), number(3))
}

#[test]
fn ten_million_numbers_fit_in_twice_their_eighty_megabytes() {
    let source = "
        var xs = List();
        for (var i = 0; i < 10000000; i = i + 1) xs.push(i);
        var sum = 0;
        for (var i = 0; i < xs.len(); i = i + 1) sum = sum + xs[i];
        print xs.len();
        print sum;
        print xs[9999999];
        print xs.pop();
        print len(xs);
    ";
    for options in [&["--engine=jit", "--no-tier"][..], &[]] {
        let r = run("ten_million", source, options);
        assert_eq!(r.code, Some(0), "{options:?}: {}", r.stderr);
        assert_eq!(r.stdout, "10000000\n49999995000000\n9999999\n9999999\n9999999\n", "{options:?}");
        // Eight bytes a number is 80 MB; the list may take twice that, the
        // runtime and the program included.
        assert!(r.peak_kib <= 160_000, "{options:?}: a peak of {} KiB", r.peak_kib);
    }
}

#[test]
fn a_million_keys_in_a_map() {
    let source = "
        var m = Map();
        for (var i = 0; i < 1000000; i = i + 1) m[i] = i * 2;
        for (var i = 0; i < 1000; i = i + 1) m[\"k\" + str(i)] = i;
        var sum = 0;
        for (var i = 0; i < 1000000; i = i + 997) sum = sum + m[i];
        print m.len();
        print sum;
        print m[\"k999\"];
        print m.has(1000000);
        print m.remove(0);
        print m.len();
        print m.keys()[0];
    ";
    let r = run("million_keys", source, &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let sum: u64 = (0..1_000_000u64).step_by(997).map(|i| i * 2).sum();
    assert_eq!(r.stdout, format!("1001000\n{sum}\n999\nfalse\ntrue\n1000999\n1\n"));
    // Three arrays of 2 M slots (keys, values, a table of twice that) are
    // 64 MB: the bound leaves room for the growth in between.
    assert!(r.peak_kib <= 256_000, "a peak of {} KiB", r.peak_kib);
}

/// A map's work per operation, in the interpreter's counts: `$find` and
/// `$place` probe the table, `$rebuild` moves the entries when it grows.
fn map_work(n: u64) -> (f64, f64) {
    let source = format!(
        "
        var m = Map();
        for (var i = 0; i < {n}; i = i + 1) m[i * 7] = i;
        for (var i = 0; i < {n}; i = i + 1) m[\"s\" + str(i)] = i;
        var found = 0;
        for (var i = 0; i < {n}; i = i + 1) if (m.has(i * 7)) found = found + 1;
        for (var i = 0; i < {n}; i = i + 2) m.remove(\"s\" + str(i));
        for (var i = 0; i < {n}; i = i + 1) m[i * 7 + 1] = i;
        print found;
        print m.len();
        "
    );
    let r = run(&format!("map_work_{n}"), &source, &["--engine=interp", "--profile"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout, format!("{n}\n{}\n", n + n / 2 + n));
    let operations = (n * 4 + n / 2) as f64;
    let (finds, find_probes) = counts(&r.stderr, "$find");
    let (places, place_probes) = counts(&r.stderr, "$place");
    let (_, rebuild_moves) = counts(&r.stderr, "$rebuild");
    assert_eq!(finds as f64, operations, "one lookup an operation");
    let probes = (find_probes + place_probes) as f64 / (finds + places) as f64;
    let moves = (places + rebuild_moves) as f64 / operations;
    (probes, moves)
}

#[test]
fn map_operations_take_amortized_constant_work() {
    let (small_probes, small_moves) = map_work(2_000);
    let (large_probes, large_moves) = map_work(64_000);
    // The table is at most half full: a lookup probes about one more slot.
    for probes in [small_probes, large_probes] {
        assert!(probes < 2.0, "{probes} probes a lookup");
    }
    // Growth doubles, so each operation pays a few moves, whatever n.
    for moves in [small_moves, large_moves] {
        assert!(moves < 4.0, "{moves} placements and moves an operation");
    }
    // 32 times the keys: about the same work each, not 32 times (or 5).
    assert!(large_probes < small_probes * 1.5, "{small_probes} -> {large_probes} probes");
    assert!(large_moves < small_moves * 1.5, "{small_moves} -> {large_moves} moves");
}

#[test]
fn a_growing_list_is_reallocated_a_logarithmic_number_of_times() {
    let source = "
        var xs = List();
        for (var i = 0; i < 1000000; i = i + 1) xs.push(i);
        print xs.len();
    ";
    let r = run("list_growth", source, &["--engine=interp", "--profile"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let (pushes, _) = counts(&r.stderr, "push");
    let (grows, copies) = counts(&r.stderr, "$grow");
    assert_eq!(pushes, 1_000_000);
    // By half each time from 8: log base 1.5 of 125,000 is about 29.
    assert!((25..=35).contains(&grows), "{grows} growths");
    // In place: no loop copies the elements.
    assert_eq!(copies, 0);
}

/// How many times `sort(less)` calls `less` on `n` numbers in the order a
/// multiplicative permutation gives them.
fn comparisons(n: u64) -> u64 {
    let source = format!(
        "
        var calls = 0;
        fun less(a, b) {{ calls = calls + 1; return a < b; }}
        var xs = List();
        for (var i = 0; i < {n}; i = i + 1) xs.push((i * 7919) % {n});
        xs.sort(less);
        var sorted = true;
        for (var i = 0; i < {n}; i = i + 1) if (xs[i] != i) sorted = false;
        print sorted;
        print calls;
        "
    );
    let r = run(&format!("sort_{n}"), &source, &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let mut lines = r.stdout.lines();
    assert_eq!(lines.next(), Some("true"));
    lines.next().and_then(|l| l.parse().ok()).expect("a count")
}

#[test]
fn sorting_takes_n_log_n_comparisons() {
    for n in [1_024u64, 16_384, 131_072] {
        let c = comparisons(n);
        let log = 64 - n.leading_zeros() as u64 - 1;
        // A merge sort compares at most n log2 n times (and at least half
        // that); a quadratic sort would need n^2 / 4 on this input.
        assert!(c <= n * log && c >= n * log / 2, "{c} comparisons for {n}");
    }
}
