//! IR golden tests: `brine emit ir` of each `tests/ir/NAME.lox` must equal
//! `tests/ir/NAME.ir`. Run with `BRINE_BLESS=1` to rewrite the expectations
//! after an intended change, and review the diff.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn emit_ir_matches_golden_files() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/ir");
    let bless = std::env::var_os("BRINE_BLESS").is_some();
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/ir exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "lox"))
        .collect();
    sources.sort();
    assert!(!sources.is_empty(), "no golden sources in {}", dir.display());
    let mut failures = Vec::new();
    for src in &sources {
        let out = Command::new(env!("CARGO_BIN_EXE_brine")).arg("emit").arg("ir").arg(src).output().unwrap();
        assert!(
            out.status.success(),
            "emit ir failed for {}: {}",
            src.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let actual = String::from_utf8(out.stdout).expect("IR text is UTF-8");
        let golden = src.with_extension("ir");
        if bless {
            std::fs::write(&golden, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        if expected != actual {
            failures.push(format!("{}:\n--- expected\n{expected}\n--- actual\n{actual}", golden.display()));
        }
    }
    assert!(failures.is_empty(), "{} golden mismatches:\n{}", failures.len(), failures.join("\n"));
}
