//! Facts about the machine and the moment, for the results file: the date,
//! the CPU, the memory, the operating system. The parsers take the files'
//! text, so that they can be tested anywhere; `describe` reads the files.

use std::fs;
use std::time::{SystemTime, UNIX_EPOCH};

/// One `name: value` line of the machine description.
pub type Fact = (String, String);

/// The machine's CPU, memory and OS, as far as they can be found out.
pub fn describe() -> Vec<Fact> {
    let read = |path: &str| fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let mut facts = Vec::new();

    let cores = match cpu_count(&cpuinfo) {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        n => n,
    };
    let cores = match cores {
        0 => String::new(),
        1 => " (1 logical core)".to_owned(),
        n => format!(" ({n} logical cores)"),
    };
    let model = cpu_model(&cpuinfo).unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    facts.push(("CPU".to_owned(), format!("{model}{cores}")));

    if let Some(kib) = mem_total_kib(&read("/proc/meminfo")) {
        facts.push(("Memory".to_owned(), format_gib(kib)));
    }

    let mut os = os_name(&read("/etc/os-release")).unwrap_or_else(|| std::env::consts::OS.to_owned());
    let kernel = read("/proc/sys/kernel/osrelease");
    if !kernel.trim().is_empty() {
        os.push_str(&format!(", kernel {}", kernel.trim()));
    }
    facts.push(("OS".to_owned(), os));
    facts
}

/// The load average now, as a fact: how busy the machine was with other
/// work, when taken before the benchmarks start.
pub fn load_before() -> Option<Fact> {
    let load = load_average(&fs::read_to_string("/proc/loadavg").ok()?)?;
    Some(("Load before the run".to_owned(), format!("{load} (one-minute load average)")))
}

/// The one-minute load average from `/proc/loadavg`.
pub fn load_average(loadavg: &str) -> Option<String> {
    let first = loadavg.split_whitespace().next()?;
    first.parse::<f64>().ok().map(|_| first.to_owned())
}

/// The value of the first `key : value` line of `/proc/cpuinfo`-style text.
fn cpuinfo_value<'a>(cpuinfo: &'a str, key: &str) -> Option<&'a str> {
    cpuinfo.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// The CPU's model name from `/proc/cpuinfo`, with runs of spaces squeezed.
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    let model = cpuinfo_value(cpuinfo, "model name")
        .or_else(|| cpuinfo_value(cpuinfo, "Model"))
        .or_else(|| cpuinfo_value(cpuinfo, "cpu model"))?;
    let model = model.split_whitespace().collect::<Vec<_>>().join(" ");
    (!model.is_empty()).then_some(model)
}

/// The number of logical CPUs listed in `/proc/cpuinfo`.
pub fn cpu_count(cpuinfo: &str) -> usize {
    cpuinfo.lines().filter(|line| line.split_once(':').is_some_and(|(k, _)| k.trim() == "processor")).count()
}

/// `MemTotal` from `/proc/meminfo`, in KiB.
pub fn mem_total_kib(meminfo: &str) -> Option<u64> {
    let value = meminfo.lines().find_map(|line| line.strip_prefix("MemTotal:"))?;
    let mut words = value.split_whitespace();
    let number: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") | None => Some(number),
        Some(_) => None,
    }
}

/// KiB as GiB with one decimal.
pub fn format_gib(kib: u64) -> String {
    format!("{:.1} GiB", kib as f64 / (1024.0 * 1024.0))
}

/// `PRETTY_NAME` (else `NAME VERSION`) from `/etc/os-release`.
pub fn os_name(os_release: &str) -> Option<String> {
    let value = |key: &str| {
        os_release.lines().find_map(|line| {
            let v = line.strip_prefix(key)?.strip_prefix('=')?;
            let v = v.trim();
            let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
            (!v.is_empty()).then(|| v.to_owned())
        })
    };
    value("PRETTY_NAME").or_else(|| match (value("NAME"), value("VERSION")) {
        (Some(name), Some(version)) => Some(format!("{name} {version}")),
        (name, _) => name,
    })
}

/// The current date and time in UTC, as `YYYY-MM-DD HH:MM UTC`.
pub fn now_utc() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    format_utc(secs)
}

/// Seconds since the Unix epoch as `YYYY-MM-DD HH:MM UTC`.
pub fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01),
/// after Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CPUINFO: &str = "\
processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC   7B13 64-Core Processor
cpu MHz\t\t: 2450.000

processor\t: 1
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC   7B13 64-Core Processor
";

    #[test]
    fn cpu() {
        assert_eq!(cpu_model(CPUINFO).as_deref(), Some("AMD EPYC 7B13 64-Core Processor"));
        assert_eq!(cpu_count(CPUINFO), 2);
        assert_eq!(cpu_model(""), None);
        assert_eq!(cpu_count(""), 0);
        assert_eq!(cpu_model("processor : 0\nModel : Raspberry Pi 4\n").as_deref(), Some("Raspberry Pi 4"));
    }

    #[test]
    fn memory() {
        let meminfo = "MemTotal:       24684172 kB\nMemFree:        22864396 kB\n";
        assert_eq!(mem_total_kib(meminfo), Some(24_684_172));
        assert_eq!(format_gib(24_684_172), "23.5 GiB");
        assert_eq!(mem_total_kib("MemFree: 1 kB\n"), None);
        assert_eq!(mem_total_kib("MemTotal: lots\n"), None);
    }

    #[test]
    fn os_release() {
        let debian =
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n";
        assert_eq!(os_name(debian).as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
        assert_eq!(os_name("NAME=Alpine\nVERSION=3.19\n").as_deref(), Some("Alpine 3.19"));
        assert_eq!(os_name("NAME=Plain\n").as_deref(), Some("Plain"));
        assert_eq!(os_name("PRETTY_NAME_X=\"no\"\n"), None);
        assert_eq!(os_name(""), None);
    }

    #[test]
    fn load() {
        assert_eq!(load_average("4.62 3.32 2.47 3/412 32771\n").as_deref(), Some("4.62"));
        assert_eq!(load_average(""), None);
        assert_eq!(load_average("x y"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_700_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(format_utc(4_107_542_399), "2100-02-28 23:59 UTC");
        assert!(now_utc().ends_with(" UTC"));
    }
}
