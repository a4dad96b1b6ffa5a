//! `brine lsp` as an editor runs it: the built binary on piped stdio, spoken
//! to in JSON-RPC with LSP's `Content-Length` framing.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

/// A running `brine lsp`, killed if the test fails before it exits.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads one framed message; `None` at the end of the stream.
fn read_frame(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_brine"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start brine lsp");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            while let Some(message) = read_frame(&mut stdout) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        Server { child, stdin, messages, next_id: 1 }
    }

    fn write_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        self.write_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn next(&self) -> Value {
        self.messages.recv_timeout(TIMEOUT).expect("a message from the server within 20 s")
    }

    /// Sends a request; returns its response (skipping notifications).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.next();
            if message["id"] == json!(id) && message.get("method").is_none() {
                return message;
            }
        }
    }

    /// The result of a request that must succeed.
    fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    fn notification(&self, method: &str) -> Value {
        loop {
            let message = self.next();
            if message["method"] == method {
                return message["params"].clone();
            }
        }
    }

    fn initialize(&mut self) -> Value {
        let result =
            self.result("initialize", json!({"processId": null, "rootUri": null, "capabilities": {}}));
        self.notify("initialized", json!({}));
        result
    }

    /// Waits for the process to end; its exit code.
    fn wait(&mut self) -> i32 {
        drop(self.stdin.take());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().expect("an exit code");
            }
            assert!(Instant::now() < deadline, "brine lsp did not exit within 20 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

const URI: &str = "file:///tmp/fib.lox";

const BROKEN: &str = "\
// naïve 😀 fib
class Counter { init() { this.n = 0; } tick() { this.n = this.n + 1; } }
var counter = Counter();
fun fib(n) {
  counter.tick();
  if (n < 2) return n;
  return fib(n - 1) + fib(n - 2);
}
print \"😀\" + ;
";

fn at(line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}})
}

fn range(line: u32, start: u32, end: u32) -> Value {
    json!({"start": {"line": line, "character": start}, "end": {"line": line, "character": end}})
}

fn labels(items: &Value) -> Vec<String> {
    items.as_array().expect("a list").iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_session_with_every_feature() {
    let mut server = Server::start();
    let init = server.initialize();
    let capabilities = &init["capabilities"];
    assert_eq!(capabilities["textDocumentSync"], 1, "full sync");
    for provider in ["definitionProvider", "referencesProvider", "hoverProvider", "documentSymbolProvider"] {
        assert_eq!(capabilities[provider], true, "{provider}");
    }
    assert_eq!(capabilities["completionProvider"]["triggerCharacters"], json!(["."]));

    // An error: the range counts UTF-16 units (`print "😀" + ;`: the `;` is unit 13).
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "lox", "version": 1, "text": BROKEN}}),
    );
    let published = server.notification("textDocument/publishDiagnostics");
    assert_eq!(published["uri"], URI);
    let diagnostics = published["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{published}");
    assert_eq!(diagnostics[0]["message"], "Expect expression.");
    assert_eq!(diagnostics[0]["range"], range(8, 13, 14));
    assert_eq!(diagnostics[0]["severity"], 1);

    // While the text does not parse, completion still knows the last
    // names... of a text that never parsed: only the built-in ones.
    let items = server.result("textDocument/completion", at(5, 2));
    assert!(labels(&items).contains(&"clock".to_string()));

    // Fixed: the diagnostics are cleared.
    let fixed = BROKEN.replace("print \"😀\" + ;", "print \"😀\" + str(fib(10));");
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    let published = server.notification("textDocument/publishDiagnostics");
    assert_eq!(published["diagnostics"], json!([]));
    assert_eq!(published["version"], 2);

    // Definition: the recursive call goes to the function's name.
    let definition = server.result("textDocument/definition", at(6, 10));
    assert_eq!(definition, json!([{"uri": URI, "range": range(3, 4, 7)}]));
    // A method through a property: `counter.tick` goes to `tick` of line 2.
    let line1 = fixed.lines().nth(1).unwrap();
    let tick = line1.find("tick").unwrap() as u32;
    let definition = server.result("textDocument/definition", at(4, 11));
    assert_eq!(definition, json!([{"uri": URI, "range": range(1, tick, tick + 4)}]));
    // A parameter.
    let definition = server.result("textDocument/definition", at(5, 6));
    assert_eq!(definition, json!([{"uri": URI, "range": range(3, 8, 9)}]));

    // References of `fib`, with its declaration: after the emoji on the
    // last line, `fib` starts at unit 17.
    let params = json!({"textDocument": {"uri": URI}, "position": {"line": 3, "character": 5}, "context": {"includeDeclaration": true}});
    let references = server.result("textDocument/references", params);
    let ranges: Vec<Value> = references.as_array().unwrap().iter().map(|l| l["range"].clone()).collect();
    assert_eq!(ranges, vec![range(3, 4, 7), range(6, 9, 12), range(6, 22, 25), range(8, 17, 20)]);

    // Hover.
    let hover = server.result("textDocument/hover", at(8, 18));
    assert_eq!(hover["contents"]["kind"], "markdown");
    assert_eq!(hover["contents"]["value"], "function `fib(n)` — declared on line 4");
    assert_eq!(hover["range"], range(8, 17, 20));
    let hover = server.result("textDocument/hover", at(4, 3));
    assert_eq!(hover["contents"]["value"], "global variable `counter` — declared on line 3");
    let hover = server.result("textDocument/hover", at(8, 14));
    assert_eq!(hover["contents"]["value"], "native function `str` — built in, 1 argument");
    assert_eq!(server.result("textDocument/hover", at(0, 3)), Value::Null, "nothing in a comment");

    // Document symbols.
    let symbols = server.result("textDocument/documentSymbol", json!({"textDocument": {"uri": URI}}));
    let names: Vec<&str> = symbols.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Counter", "counter", "fib"]);
    assert_eq!(symbols[0]["kind"], 5, "a class");
    let methods: Vec<&str> =
        symbols[0]["children"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(methods, vec!["init", "tick"]);
    assert_eq!(symbols[2]["kind"], 12, "a function");
    assert_eq!(
        symbols[2]["range"],
        json!({"start": {"line": 3, "character": 0}, "end": {"line": 7, "character": 1}})
    );

    // Completion inside `fib`: its parameter, the globals, natives, keywords.
    let names = labels(&server.result("textDocument/completion", at(6, 2)));
    for expected in ["n", "fib", "counter", "Counter", "clock", "len", "while", "return"] {
        assert!(names.contains(&expected.to_string()), "{expected} in {names:?}");
    }
    assert_eq!(names[0], "n", "the local comes first");
    // After `counter.`: the methods and fields.
    let names = labels(&server.result("textDocument/completion", at(4, 10)));
    assert_eq!(names, vec!["init", "n", "tick"]);

    // While typing `counter.` the text does not parse: completion uses
    // the names of the last text that did.
    let typing = format!("{fixed}counter.");
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 3}, "contentChanges": [{"text": typing}]}),
    );
    let published = server.notification("textDocument/publishDiagnostics");
    assert_eq!(published["diagnostics"][0]["message"], "Expect property name after '.'.", "{published}");
    let names = labels(&server.result("textDocument/completion", at(9, 8)));
    assert_eq!(names, vec!["init", "n", "tick"]);
    let names = labels(&server.result("textDocument/completion", at(6, 2)));
    assert_eq!(names[0], "n");
    // Navigation needs a text that parses.
    assert_eq!(server.result("textDocument/definition", at(6, 10)), json!([]));

    // Shutdown, then exit: code 0.
    let shutdown = server.request("shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null);
    assert!(shutdown.get("error").is_none());
    server.notify("exit", Value::Null);
    assert_eq!(server.wait(), 0);
}

#[test]
fn bad_input_is_answered_and_exit_without_shutdown_is_code_1() {
    let mut server = Server::start();
    // Garbage before initialize: skipped.
    server.write_raw(b"Content-Length: 8\r\n\r\nnot json");
    server.initialize();
    // A document that does not parse, with a lone surrogate in its text.
    let text = r#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///b.lox","languageId":"lox","version":1,"text":"fun (\ud800 {"}}}"#;
    server.write_raw(format!("Content-Length: {}\r\n\r\n{text}", text.len()).as_bytes());
    let published = server.notification("textDocument/publishDiagnostics");
    assert!(!published["diagnostics"].as_array().unwrap().is_empty(), "{published}");
    let uri = "file:///b.lox";
    // Out-of-range positions, a document never opened, bad parameters: all answered.
    for (line, character) in [(0, 0), (0, 4), (99, 99), (4294967295u64, 4294967295u64)] {
        let position =
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
        assert_eq!(server.result("textDocument/definition", position.clone()), json!([]));
        assert_eq!(server.result("textDocument/hover", position.clone()), Value::Null);
        assert!(server.result("textDocument/completion", position).is_array());
    }
    let symbols =
        server.result("textDocument/documentSymbol", json!({"textDocument": {"uri": "file:///never.lox"}}));
    assert_eq!(symbols, json!([]));
    let bad = server.request("textDocument/hover", json!({"position": "here"}));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let unknown = server.request("textDocument/formatting", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    // A request with a malformed body but an id gets an error answer.
    server.write_raw(b"Content-Length: 36\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":1}");
    let answer = server.next();
    assert_eq!(answer["id"], 99);
    assert!(answer.get("error").is_some());
    // Still serving.
    let hover = server.result("textDocument/hover", at(0, 0));
    assert_eq!(hover, Value::Null);
    // Exit without shutdown: code 1, as the protocol says.
    server.notify("exit", Value::Null);
    assert_eq!(server.wait(), 1);
}
