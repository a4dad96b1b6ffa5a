//! `/tmp/perf-PID.map`: the perf map through which `perf report` names JIT
//! code. One line per piece of code: `START SIZE NAME`, addresses in hex.

use brine_codegen::jit::Code;
use std::fs::File;
use std::io::{BufWriter, Write};

pub struct PerfMap {
    out: BufWriter<File>,
}

impl PerfMap {
    /// The path perf reads for this process.
    pub fn path() -> String {
        format!("/tmp/perf-{}.map", std::process::id())
    }

    pub fn create() -> Result<PerfMap, String> {
        let path = Self::path();
        let file = File::create(&path).map_err(|e| format!("cannot write the perf map '{path}': {e}"))?;
        Ok(PerfMap { out: BufWriter::new(file) })
    }

    /// Records one piece of code; written at once, so that a run that ends
    /// abruptly still leaves a usable map.
    pub fn add(&mut self, code: Code, name: &str) {
        let _ = writeln!(self.out, "{:x} {:x} {name}", code.address as usize, code.size);
        let _ = self.out.flush();
    }
}
