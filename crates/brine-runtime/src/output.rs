//! Buffered standard output (DESIGN.md section 7).
//!
//! `print` writes here. The buffer is flushed when it fills, when the engine
//! asks (at exit, before a runtime error is written), and on drop. When
//! stdout is a terminal, each complete line is flushed at once so the REPL
//! shows its output. For unit tests, an [`Output::capture`] collects the
//! bytes in memory instead.

use std::io::{IsTerminal, Write};

/// Flush the buffer when it holds this many bytes.
const BUFFER_LIMIT: usize = 64 * 1024;

enum Sink {
    Stdout,
    Capture(Vec<u8>),
}

pub struct Output {
    buf: Vec<u8>,
    sink: Sink,
    /// Flush after every write that ends a line (stdout is a terminal).
    line_buffered: bool,
}

impl Output {
    /// Output to the process's standard output.
    pub fn stdout() -> Output {
        Output {
            buf: Vec::with_capacity(BUFFER_LIMIT),
            sink: Sink::Stdout,
            line_buffered: std::io::stdout().is_terminal(),
        }
    }

    /// Output collected in memory; read it with [`Output::take_captured`].
    pub fn capture() -> Output {
        Output { buf: Vec::new(), sink: Sink::Capture(Vec::new()), line_buffered: false }
    }

    pub fn write(&mut self, bytes: &[u8]) {
        match &mut self.sink {
            Sink::Capture(captured) => captured.extend_from_slice(bytes),
            Sink::Stdout => {
                self.buf.extend_from_slice(bytes);
                if self.buf.len() >= BUFFER_LIMIT || (self.line_buffered && bytes.contains(&b'\n')) {
                    self.flush();
                }
            }
        }
    }

    /// Writes out everything buffered. Write errors (a closed pipe) are
    /// ignored: the program's output has nowhere else to go.
    pub fn flush(&mut self) {
        if let Sink::Stdout = self.sink
            && !self.buf.is_empty()
        {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&self.buf);
            let _ = out.flush();
            self.buf.clear();
        }
    }

    /// The bytes captured so far (emptied). Empty for stdout output.
    pub fn take_captured(&mut self) -> Vec<u8> {
        match &mut self.sink {
            Sink::Capture(captured) => std::mem::take(captured),
            Sink::Stdout => Vec::new(),
        }
    }
}

impl Default for Output {
    fn default() -> Self {
        Output::stdout()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_collects_writes() {
        let mut out = Output::capture();
        out.write(b"hello ");
        out.write(b"world\n");
        out.flush();
        assert_eq!(out.take_captured(), b"hello world\n");
        assert_eq!(out.take_captured(), b"");
        out.write(b"again");
        assert_eq!(out.take_captured(), b"again");
    }
}
