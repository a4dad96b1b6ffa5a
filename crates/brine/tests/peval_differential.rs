//! The partial evaluator against the interpreter it specializes: random
//! guest programs for a register machine written in Lox (the one of
//! `tests/lox/brine/specialize_vm.lox`), each run through the machine
//! unspecialized and through `brine.specialize` of it, in several
//! engines. Both must give the same answers, and the specialized run must
//! have been specialized (the `--profile` note), so the test cannot pass
//! by falling back to the unspecialized machine.
//!
//! The programs terminate by construction: jumps go forward, but for one
//! counted loop whose counter registers the body never writes, and calls
//! go to a straight-line function at the end.

use std::process::Command;

/// The machine: 0 r k: r = k; 1 r s: r = r + s; 2 r k t: if r < k goto t;
/// 3 r: return r; 4 r t: r = call(t, r); 5 r s: r = r - s.
const MACHINE: &str = include_str!("../../../tests/lox/brine/specialize_vm.lox");

/// A way of running a program: a name, options of `run`, the environment.
type Engine = (&'static str, &'static [&'static str], &'static [(&'static str, &'static str)]);

/// A small deterministic generator (a 64-bit LCG).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random guest program: registers 0..=3 are the body's, 4 and 5 the
/// loop's counter and step; the function at the end doubles its argument.
fn program(rng: &mut Rng) -> Vec<i64> {
    // Registers 1..=3 start at 0 (register 0 is the argument).
    let mut code: Vec<i64> = vec![0, 1, 0, 0, 2, 0, 0, 3, 0];
    // The loop: r4 = 0; r5 = 1; body; r4 = r4 + r5; if r4 < n goto body.
    code.extend([0, 4, 0, 0, 5, 1]);
    let body = code.len() as i64;
    let iterations = 1 + rng.below(5) as i64;
    let mut calls = Vec::new();
    let mut forward = Vec::new();
    for _ in 0..(3 + rng.below(8)) {
        let (r, s) = (rng.below(4) as i64, rng.below(4) as i64);
        match rng.below(6) {
            0 => code.extend([0, r, rng.below(20) as i64 - 5]),
            1 | 2 => code.extend([1, r, s]),
            3 => code.extend([5, r, s]),
            4 => {
                calls.push(code.len() + 2);
                code.extend([4, r, 0]);
            }
            _ => {
                // A forward jump over the next instruction (patched below).
                forward.push(code.len() + 3);
                code.extend([2, r, rng.below(30) as i64, 0]);
                code.extend([1, s, r]);
            }
        }
    }
    for at in forward {
        // To the instruction after the one it skips.
        code[at] = at as i64 + 4;
    }
    code.extend([1, 4, 5, 2, 4, iterations, body]);
    // Return the sum of the body's registers.
    code.extend([1, 0, 1, 1, 0, 2, 1, 0, 3, 3, 0]);
    // The function: r1 = 0; r1 = r1 + r0; r0 = r0 + r1; return r0.
    let function = code.len() as i64;
    code.extend([0, 1, 0, 1, 1, 0, 1, 0, 1, 3, 0]);
    for at in calls {
        code[at] = function;
    }
    code
}

/// A Lox program that runs `code` both ways on a few arguments and prints
/// each pair.
fn lox(code: &[i64]) -> String {
    // The machine without its own tests (everything after its definition).
    let machine = &MACHINE[..MACHINE.find("\n// Count register 0").expect("the machine's end")];
    let items: Vec<String> = code.iter().map(|n| n.to_string()).collect();
    format!(
        "{machine}\nvar code = brine.freeze([{}]);\nvar fast = brine.specialize(run, code, 0);\n\
         for (var a = -3; a < 4; a = a + 1) {{ print run(code, 0, a); print fast(a); }}\n",
        items.join(", ")
    )
}

#[test]
fn specialized_guests_answer_as_the_interpreter_does() {
    let dir = std::env::temp_dir().join(format!("brine-peval-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x5eed_1234);
    let engines: &[Engine] = &[
        ("tiered", &[], &[]),
        ("baseline", &["--no-tier"], &[]),
        ("hot", &[], &[("BRINE_TIER_THRESHOLD", "2")]),
    ];
    let mut failures = Vec::new();
    for n in 0..40 {
        let code = program(&mut rng);
        let path = dir.join(format!("guest{n}.lox"));
        std::fs::write(&path, lox(&code)).unwrap();
        for (name, flags, env) in engines {
            let out = Command::new(env!("CARGO_BIN_EXE_brine"))
                .arg("run")
                .arg("--profile")
                .args(*flags)
                .arg(&path)
                .envs(env.iter().copied())
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let lines: Vec<&str> = stdout.lines().collect();
            let agree = lines.len() == 14 && lines.chunks(2).all(|p| p[0] == p[1]);
            let specialized = stderr.contains("brine.specialize of run: ");
            if !out.status.success() || !agree || !specialized {
                failures.push(format!("guest {n} {code:?} [{name}]:\n{stdout}\n{stderr}"));
            }
        }
    }
    if std::env::var_os("KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
