//! Finding the benchmark programs, their expected output, and comparing
//! outputs.

use std::fs;
use std::io;
use std::path::Path;

use crate::engine::Program;

/// The `.lox` files of `dir`, sorted by name, keeping those whose name
/// contains one of `filters` (all of them when there are no filters).
pub fn discover(dir: &Path, filters: &[String]) -> io::Result<Vec<Program>> {
    let mut programs = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "lox") || !path.is_file() {
            continue;
        }
        let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        if filters.is_empty() || filters.iter().any(|f| stem.contains(f.as_str())) {
            programs.push(Program { stem, path });
        }
    }
    programs.sort_by(|a, b| a.stem.cmp(&b.stem));
    Ok(programs)
}

/// The output a program declares with `// expect: LINE` comments, one per
/// line of output, as in the conformance tests. `None` when it has none.
pub fn expected_output(source: &str) -> Option<Vec<u8>> {
    const MARK: &str = "// expect: ";
    let mut out = String::new();
    let mut any = false;
    for line in source.lines() {
        if let Some(at) = line.find(MARK) {
            out.push_str(line[at + MARK.len()..].trim_end());
            out.push('\n');
            any = true;
        }
    }
    any.then(|| out.into_bytes())
}

/// Where two outputs first differ: the 1-based line number and the two
/// lines (`<missing>` past the end of one). `None` when they are equal.
pub fn first_difference(expected: &[u8], actual: &[u8]) -> Option<(usize, String, String)> {
    if expected == actual {
        return None;
    }
    let expected = String::from_utf8_lossy(expected);
    let actual = String::from_utf8_lossy(actual);
    let mut want = expected.split('\n');
    let mut got = actual.split('\n');
    let mut line = 1;
    loop {
        match (want.next(), got.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (a, b) => {
                let show = |s: Option<&str>| s.map_or("<missing>".to_owned(), |s| format!("{s:?}"));
                return Some((line, show(a), show(b)));
            }
        }
    }
}

/// The last `n` lines of some output, for error messages.
pub fn tail(output: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(output);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations() {
        let src = "print 1; // expect: 1\nprint \"a b\";\n// expect: a b  \n";
        assert_eq!(expected_output(src), Some(b"1\na b\n".to_vec()));
        assert_eq!(expected_output("print 1;"), None);
    }

    #[test]
    fn differences() {
        assert_eq!(first_difference(b"1\n2\n", b"1\n2\n"), None);
        assert_eq!(first_difference(b"1\n2\n", b"1\n3\n"), Some((2, "\"2\"".into(), "\"3\"".into())));
        assert_eq!(first_difference(b"1\n", b"1\n2\n"), Some((2, "\"\"".into(), "\"2\"".into())));
        assert_eq!(first_difference(b"1", b""), Some((1, "\"1\"".into(), "\"\"".into())));
        assert_eq!(first_difference(b"1\n", b"1"), Some((2, "\"\"".into(), "<missing>".into())));
    }

    #[test]
    fn tails() {
        assert_eq!(tail(b"a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail(b"a", 5), "a");
        assert_eq!(tail(b"", 5), "");
    }

    #[test]
    fn discovers_and_filters() {
        let dir = std::env::temp_dir().join(format!("brine-bench-discover-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        for name in ["zoo.lox", "fib.lox", "README.md", "fibonacci.lox"] {
            fs::write(dir.join(name), "").unwrap();
        }
        let names = |filters: &[&str]| -> Vec<String> {
            let filters: Vec<String> = filters.iter().map(|s| s.to_string()).collect();
            discover(&dir, &filters).unwrap().into_iter().map(|p| p.stem).collect()
        };
        assert_eq!(names(&[]), ["fib", "fibonacci", "zoo"]);
        assert_eq!(names(&["fib"]), ["fib", "fibonacci"]);
        assert_eq!(names(&["zoo", "nacci"]), ["fibonacci", "zoo"]);
        assert!(names(&["nothing"]).is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }
}
