//! Buffered standard input, for the natives that read it (`readLine`,
//! `getc`, `read`).
//!
//! One buffer serves all of them, so a program may mix reading lines and
//! bytes. Nothing is read before a program asks. A read error is treated
//! as the end of input, as C's `getc` does. For unit tests, an
//! [`Input::from_bytes`] reads from memory instead.

use std::io::Read;

/// Read this many bytes from stdin at a time.
const CHUNK: usize = 8 * 1024;

pub struct Input {
    buf: Vec<u8>,
    /// The next unread byte of `buf`.
    pos: usize,
    /// Read from the process's stdin when `buf` runs out (else it is all).
    stdin: bool,
    /// Stdin reported its end (or an error).
    ended: bool,
}

impl Input {
    /// Input from the process's standard input.
    pub fn stdin() -> Input {
        Input { buf: Vec::new(), pos: 0, stdin: true, ended: false }
    }

    /// Input that is these bytes.
    pub fn from_bytes(bytes: &[u8]) -> Input {
        Input { buf: bytes.to_vec(), pos: 0, stdin: false, ended: true }
    }

    /// Makes sure an unread byte is buffered, unless the input has ended;
    /// returns whether one is.
    fn fill(&mut self) -> bool {
        if self.pos < self.buf.len() {
            return true;
        }
        if !self.stdin || self.ended {
            return false;
        }
        self.buf.resize(CHUNK, 0);
        self.pos = 0;
        let mut stdin = std::io::stdin().lock();
        let n = loop {
            match stdin.read(&mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break 0,
            }
        };
        self.buf.truncate(n);
        self.ended = n == 0;
        n > 0
    }

    /// The next byte, or None at the end of input.
    pub fn byte(&mut self) -> Option<u8> {
        if !self.fill() {
            return None;
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        Some(b)
    }

    /// The next line without its `\n` (nor a `\r` before it), or None at
    /// the end of input. A last line without a newline is a line.
    pub fn line(&mut self) -> Option<Vec<u8>> {
        let mut line = Vec::new();
        let mut any = false;
        while self.fill() {
            any = true;
            let rest = &self.buf[self.pos..];
            match rest.iter().position(|&b| b == b'\n') {
                Some(at) => {
                    line.extend_from_slice(&rest[..at]);
                    self.pos += at + 1;
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    return Some(line);
                }
                None => {
                    line.extend_from_slice(rest);
                    self.pos = self.buf.len();
                }
            }
        }
        any.then_some(line)
    }
}

impl Default for Input {
    fn default() -> Self {
        Input::stdin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_bytes_share_the_buffer() {
        let mut input = Input::from_bytes(b"ab\r\ncd\n\nlast");
        assert_eq!(input.byte(), Some(b'a'));
        assert_eq!(input.line().as_deref(), Some(&b"b"[..]));
        assert_eq!(input.line().as_deref(), Some(&b"cd"[..]));
        assert_eq!(input.line().as_deref(), Some(&b""[..]));
        assert_eq!(input.line().as_deref(), Some(&b"last"[..]));
        assert_eq!(input.line(), None);
        assert_eq!(input.byte(), None);
    }

    #[test]
    fn a_lone_carriage_return_stays() {
        let mut input = Input::from_bytes(b"a\rb\n\r");
        assert_eq!(input.line().as_deref(), Some(&b"a\rb"[..]));
        assert_eq!(input.line().as_deref(), Some(&b"\r"[..]));
        assert_eq!(input.line(), None);
    }
}
