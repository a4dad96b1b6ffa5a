//! Running one command line: wall time, captured output, exit status, and a
//! time limit.

use std::io::{self, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How often a running child is polled. This bounds the timing error.
const POLL: Duration = Duration::from_micros(500);

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// The process exited with this status.
    Status(ExitStatus),
    /// It ran past the limit and was killed.
    TimedOut,
}

/// The result of one run.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub exit: Exit,
    /// From just before spawning to the moment the exit was seen.
    pub elapsed: Duration,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Outcome {
    /// Whether the process exited normally with status 0.
    pub fn success(&self) -> bool {
        matches!(&self.exit, Exit::Status(s) if s.success())
    }

    /// A short description of how the run ended, for error messages.
    pub fn describe_exit(&self) -> String {
        match &self.exit {
            Exit::TimedOut => format!("timed out after {:.1} s", self.elapsed.as_secs_f64()),
            Exit::Status(s) => match s.code() {
                Some(code) => format!("exited with status {code}"),
                None => format!("was terminated ({s})"),
            },
        }
    }
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<io::Result<Vec<u8>>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            pipe.read_to_end(&mut buf)?;
        }
        Ok(buf)
    })
}

/// Runs `argv` with no standard input, capturing its output, and kills it
/// after `timeout`.
pub fn run(argv: &[String], timeout: Duration) -> io::Result<Outcome> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty command line"))?;
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run `{program}`: {e}")))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());

    let (exit, elapsed) = loop {
        if let Some(status) = child.try_wait()? {
            break (Exit::Status(status), start.elapsed());
        }
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            // The child may have exited since try_wait; either way, reap it.
            let _ = child.kill();
            child.wait()?;
            break (Exit::TimedOut, elapsed);
        }
        thread::sleep(POLL);
    };

    if exit == Exit::TimedOut {
        // A grandchild may still hold the pipes open; do not wait for it.
        return Ok(Outcome { exit, elapsed, stdout: Vec::new(), stderr: Vec::new() });
    }
    let join = |h: thread::JoinHandle<io::Result<Vec<u8>>>| {
        h.join().unwrap_or_else(|_| Err(io::Error::other("output reader panicked")))
    };
    Ok(Outcome { exit, elapsed, stdout: join(stdout)?, stderr: join(stderr)? })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    #[test]
    fn captures_output_and_status() {
        let out = run(&sh("echo out; echo err >&2; exit 3"), Duration::from_secs(20)).unwrap();
        assert_eq!(out.stdout, b"out\n");
        assert_eq!(out.stderr, b"err\n");
        assert!(!out.success());
        assert_eq!(out.describe_exit(), "exited with status 3");
    }

    #[test]
    fn success() {
        let out = run(&sh("true"), Duration::from_secs(20)).unwrap();
        assert!(out.success());
    }

    #[test]
    fn times_out() {
        let out = run(&sh("sleep 5"), Duration::from_millis(100)).unwrap();
        assert_eq!(out.exit, Exit::TimedOut);
        assert!(!out.success());
        assert!(out.elapsed < Duration::from_secs(5));
    }

    #[test]
    fn missing_program_is_an_error() {
        let err = run(&["/no/such/brine-bench-program".to_string()], Duration::from_secs(1)).unwrap_err();
        assert!(err.to_string().contains("cannot run"), "{err}");
        assert!(run(&[], Duration::from_secs(1)).is_err());
    }
}
