//! `brine lsp`: a language server for Lox, over stdio.
//!
//! It owns the Language Server Protocol side of Brine: the transport (LSP's
//! `Content-Length` framing on stdin and stdout), the session (initialize,
//! open documents, shutdown and exit), and the analysis behind each feature:
//! diagnostics as the text changes, go to definition, find references,
//! hover, document symbols and completion ([`analysis`] says how names are
//! resolved, and what it approximates). Positions are UTF-16 columns, as the
//! protocol's default says ([`line_index`]).
//!
//! It reads Lox only through the front end (`brine_frontend::parse` and the
//! resolver's bindings); it must not know the IR, the runtime, or code
//! generation, and it never runs the program.
//!
//! Messages come from [`lsp_server`] (rust-analyzer's synchronous crate);
//! the reader is this crate's own, so that a malformed message (bad JSON, a
//! lone UTF-16 surrogate in a string, a bad header) is skipped or repaired
//! instead of ending the session.

pub mod analysis;
pub mod line_index;
mod server;

use std::io::{self, BufRead, Read, Write};

use lsp_server::{Connection, Message, Notification, RequestId};

pub use analysis::Analysis;
pub use server::Ending;

/// The stack of the server's thread: the tree walks recurse as deep as the
/// parser lets a program nest.
const STACK_SIZE: usize = 256 << 20;

/// The largest message body read; a longer one is skipped.
const MAX_MESSAGE: usize = 1 << 30;

/// Serves one session on stdin and stdout; returns the process's exit code:
/// 0 after `shutdown` then `exit`, 1 otherwise (the protocol's rule).
pub fn run_stdio() -> i32 {
    let (to_server, from_client) = crossbeam_channel::unbounded::<Message>();
    let (to_client, from_server) = crossbeam_channel::unbounded::<Message>();
    // The reader may block on stdin after the session ends: not joined.
    // (It holds no sender of the writer's channel, so the writer ends when
    // the server does.)
    let spawned_reader = std::thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || read_messages(&mut io::stdin().lock(), &to_server));
    let writer = std::thread::Builder::new().name("lsp-writer".into()).spawn(move || {
        let mut stdout = io::stdout().lock();
        for message in from_server {
            if message.write(&mut stdout).is_err() {
                break;
            }
        }
        let _ = stdout.flush();
    });
    let (Ok(_reader), Ok(writer)) = (spawned_reader, writer) else {
        eprintln!("brine lsp: cannot start the server's threads");
        return 1;
    };
    let connection = Connection { sender: to_client, receiver: from_client };
    let server = std::thread::Builder::new()
        .name("lsp-server".into())
        .stack_size(STACK_SIZE)
        .spawn(move || server::Server::new(connection).run());
    let ending = match server.map(|s| s.join()) {
        Ok(Ok(ending)) => ending,
        _ => {
            eprintln!("brine lsp: internal error: the server thread failed");
            Ending::Abrupt
        }
    };
    // The server's sender is dropped: the writer drains what is left and ends.
    let _ = writer.join();
    match ending {
        Ending::Clean => 0,
        Ending::Abrupt => 1,
    }
}

/// Serves one session on an in-memory connection (for tests): returns how
/// it ended.
pub fn run(connection: Connection) -> Ending {
    server::Server::new(connection).run()
}

/// The notification the reader sends the server for a malformed request
/// whose id it could read (`{"id": ...}`): the server answers it with an
/// error.
pub const MALFORMED: &str = "$/brine/malformedRequest";

/// Reads framed messages from `input` until it ends (or the server is
/// gone), sending each to `server`. A message that is not JSON-RPC is
/// skipped; one with an id is sent as a [`MALFORMED`] notification.
pub fn read_messages(input: &mut impl BufRead, server: &crossbeam_channel::Sender<Message>) {
    while let Ok(Some(body)) = read_frame(input) {
        match parse_message(&body) {
            Ok(message) => {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if server.send(message).is_err() || exit {
                    return;
                }
            }
            Err(Some(id)) => {
                let params = serde_json::json!({ "id": id });
                if server.send(Message::Notification(Notification::new(MALFORMED.into(), params))).is_err() {
                    return;
                }
            }
            Err(None) => eprintln!("brine lsp: skipped a malformed message"),
        }
    }
}

/// One message body: headers up to an empty line (only `Content-Length`
/// counts; others and malformed lines are ignored), then that many bytes.
/// `None` at the end of the input.
fn read_frame(input: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut length = None;
    loop {
        let mut line = Vec::new();
        if input.by_ref().take(64 << 10).read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim();
        if line.is_empty() {
            if length.is_some() {
                break;
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let length = length.unwrap_or(0);
    if length > MAX_MESSAGE {
        io::copy(&mut input.by_ref().take(length as u64), &mut io::sink())?;
        return Ok(Some(Vec::new()));
    }
    let mut body = Vec::new();
    input.by_ref().take(length as u64).read_to_end(&mut body)?;
    if body.len() < length {
        return Ok(None);
    }
    Ok(Some(body))
}

/// A message from a body; on failure, the request's id if there is one.
fn parse_message(body: &[u8]) -> Result<Message, Option<RequestId>> {
    let text = String::from_utf8_lossy(body);
    let text = replace_lone_surrogates(&text);
    serde_json::from_str::<Message>(&text).map_err(|_| {
        let value = serde_json::from_str::<serde_json::Value>(&text).ok()?;
        serde_json::from_value::<RequestId>(value.get("id")?.clone()).ok()
    })
}

/// JSON text with every `\uXXXX` escape of a lone UTF-16 surrogate (which
/// JSON allows and UTF-8 cannot hold) replaced by `\uFFFD`.
pub fn replace_lone_surrogates(json: &str) -> std::borrow::Cow<'_, str> {
    if !json.contains("\\u") {
        return json.into();
    }
    let escape = |s: &str, i: usize| -> Option<u32> {
        let digits = s.get(i + 2..i + 6)?;
        if s.as_bytes().get(i + 1) != Some(&b'u') || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    };
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        match escape(json, i) {
            Some(0xD800..=0xDBFF) => {
                if escape(json, i + 6).is_some_and(|trail| (0xDC00..=0xDFFF).contains(&trail)) {
                    i += 12;
                } else {
                    out.push_str(&json[copied..i]);
                    out.push_str("\\uFFFD");
                    i += 6;
                    copied = i;
                }
            }
            Some(0xDC00..=0xDFFF) => {
                out.push_str(&json[copied..i]);
                out.push_str("\\uFFFD");
                i += 6;
                copied = i;
            }
            Some(_) => i += 6,
            // Any other escape is two bytes (`\\`, `\"`, `\n`...).
            None => i += 2,
        }
    }
    out.push_str(&json[copied.min(json.len())..]);
    out.into()
}

#[cfg(test)]
mod tests;
