//! Tests of the analysis API, the reader, and a session on an in-memory
//! connection.

use crate::analysis::{Analysis, DefKind, Target, after_dot, completions};
use crate::line_index::LineIndex;
use lsp_types::{CompletionItemKind, Position, Range, SymbolKind};

/// The position of the `nth` (0-based) occurrence of `needle` in `text`,
/// `skip` bytes into it.
fn at(text: &str, needle: &str, nth: usize, skip: usize) -> Position {
    let offset = text.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("no {nth}th {needle:?}")).0;
    LineIndex::new(text).position(text, offset + skip)
}

/// The range of the `nth` occurrence of `needle`.
fn range_of(text: &str, needle: &str, nth: usize) -> Range {
    Range { start: at(text, needle, nth, 0), end: at(text, needle, nth, needle.len()) }
}

/// The range of `len` bytes, `skip` bytes into the `nth` `needle`.
fn range_at(text: &str, needle: &str, nth: usize, skip: usize, len: usize) -> Range {
    Range { start: at(text, needle, nth, skip), end: at(text, needle, nth, skip + len) }
}

fn lines(ranges: &[Range]) -> Vec<u32> {
    ranges.iter().map(|r| r.start.line).collect()
}

const FIB: &str = "\
var count = 0;
fun fib(n) {
  count = count + 1;
  if (n < 2) return n;
  return fib(n - 1) + fib(n - 2);
}
print fib(10);
print count;
";

#[test]
fn definition_of_a_parameter_and_of_a_global_function() {
    let a = Analysis::new(FIB);
    assert!(a.parsed());
    assert!(a.diagnostics().is_empty());
    // `n` in `n < 2` goes to the parameter.
    assert_eq!(a.definition(at(FIB, "n <", 0, 0)), vec![range_at(FIB, "fib(n)", 0, 4, 1)]);
    // The recursive call and the call at the top level go to `fib`'s name.
    let fib_name = range_of(FIB, "fib", 0);
    assert_eq!(a.definition(at(FIB, "fib(n - 1)", 0, 1)), vec![fib_name]);
    assert_eq!(a.definition(at(FIB, "fib(10)", 0, 0)), vec![fib_name]);
    // The cursor just after a name counts too.
    assert_eq!(a.definition(at(FIB, "fib(10)", 0, 3)), vec![fib_name]);
    // A global variable assigned in a function: by name.
    assert_eq!(a.definition(at(FIB, "count + 1", 0, 0)), vec![range_of(FIB, "count", 0)]);
    // Nothing at a keyword or a number.
    assert!(a.definition(at(FIB, "return", 0, 2)).is_empty());
    assert!(a.definition(at(FIB, "10", 0, 0)).is_empty());
}

#[test]
fn references_with_and_without_the_declaration() {
    let a = Analysis::new(FIB);
    let all = a.references(at(FIB, "fib", 0, 1), true);
    assert_eq!(lines(&all), vec![1, 4, 4, 6]);
    let uses = a.references(at(FIB, "fib", 0, 1), false);
    assert_eq!(lines(&uses), vec![4, 4, 6]);
    let count = a.references(at(FIB, "count;", 0, 0), true);
    assert_eq!(
        count,
        vec![
            range_of(FIB, "count", 0),
            range_of(FIB, "count", 1),
            range_of(FIB, "count", 2),
            range_of(FIB, "count", 3)
        ]
    );
    // The parameter's uses stay in its function.
    assert_eq!(lines(&a.references(at(FIB, "(n)", 0, 1), true)), vec![1, 3, 3, 4, 4]);
}

#[test]
fn shadowed_locals_resolve_to_their_own_declarations() {
    let text =
        "var a = 1;\n{\n  var a = 2;\n  {\n    var a = 3;\n    print a;\n  }\n  print a;\n}\nprint a;\n";
    let a = Analysis::new(text);
    assert_eq!(a.definition(at(text, "print a", 0, 6)), vec![range_at(text, "var a", 2, 4, 1)]);
    assert_eq!(a.definition(at(text, "print a", 1, 6)), vec![range_at(text, "var a", 1, 4, 1)]);
    assert_eq!(a.definition(at(text, "print a", 2, 6)), vec![range_at(text, "var a", 0, 4, 1)]);
    assert!(matches!(a.target_at(at(text, "print a", 0, 6)), Some(Target::Local(_))));
    assert_eq!(a.target_at(at(text, "print a", 2, 6)), Some(Target::Global("a".into())));
    assert_eq!(a.references(at(text, "a = 2", 0, 0), true).len(), 2);
}

const CLASSES: &str = "\
class Shape {
  init(name) {
    this.name = name;
  }
  area() { return 0; }
  describe() { print this.name + \" \" + str(this.area()); }
}
class Square < Shape {
  init(side) {
    super.init(\"square\");
    this.side = side;
  }
  area() { return this.side * this.side; }
}
var s = Square(2);
s.describe();
print s.area();
";

#[test]
fn properties_go_to_every_method_and_field_of_that_name() {
    let a = Analysis::new(CLASSES);
    assert!(a.diagnostics().is_empty(), "{:?}", a.diagnostics());
    // `s.area()` goes to both classes' `area` methods.
    let area = a.definition(at(CLASSES, "s.area", 0, 2));
    assert_eq!(area, vec![range_of(CLASSES, "area", 0), range_of(CLASSES, "area", 2)]);
    // `this.side` reads go to the field's assignment.
    assert_eq!(a.definition(at(CLASSES, "this.side *", 0, 5)), vec![range_of(CLASSES, "side", 1)]);
    // `super.init` goes to the initializers.
    let init = a.definition(at(CLASSES, "super.init", 0, 6));
    assert_eq!(lines(&init), vec![1, 8]);
    // References of `area`: both declarations and the three uses.
    assert_eq!(lines(&a.references(at(CLASSES, "area", 0, 0), true)), vec![4, 5, 12, 16]);
    assert_eq!(lines(&a.references(at(CLASSES, "area", 0, 0), false)), vec![5, 16]);
}

#[test]
fn this_and_super_name_their_classes() {
    let a = Analysis::new(CLASSES);
    assert_eq!(a.definition(at(CLASSES, "this.name", 0, 0)), vec![range_of(CLASSES, "Shape", 0)]);
    assert_eq!(a.definition(at(CLASSES, "this.side", 0, 0)), vec![range_of(CLASSES, "Square", 0)]);
    assert_eq!(a.definition(at(CLASSES, "super", 0, 1)), vec![range_of(CLASSES, "Shape", 0)]);
    // The superclass clause is a reference of the class; `this` is not.
    let shape = a.references(at(CLASSES, "Shape", 0, 0), true);
    assert_eq!(shape, vec![range_of(CLASSES, "Shape", 0), range_of(CLASSES, "Shape", 1)]);
    let (hover, _) = a.hover(at(CLASSES, "this.side", 0, 1)).unwrap();
    assert_eq!(hover, "`this` — an instance of class `Square < Shape` — declared on line 8");
    let (hover, _) = a.hover(at(CLASSES, "super", 0, 0)).unwrap();
    assert_eq!(hover, "`super` — the superclass: class `Shape` — declared on line 1");
}

#[test]
fn hover_names_the_kind_and_the_line() {
    let a = Analysis::new(FIB);
    let hover = |needle, nth, skip| a.hover(at(FIB, needle, nth, skip)).map(|(text, _)| text);
    assert_eq!(hover("fib(10)", 0, 1).unwrap(), "function `fib(n)` — declared on line 2");
    assert_eq!(hover("n < 2", 0, 0).unwrap(), "parameter `n` of `fib(n)` — declared on line 2");
    assert_eq!(hover("count;", 0, 0).unwrap(), "global variable `count` — declared on line 1");
    assert_eq!(hover("return", 0, 0), None);
    let (_, range) = a.hover(at(FIB, "fib(10)", 0, 1)).unwrap();
    assert_eq!(range, range_of(FIB, "fib", 3));

    let c = Analysis::new(CLASSES);
    let hover = |needle, nth, skip| c.hover(at(CLASSES, needle, nth, skip)).map(|(text, _)| text).unwrap();
    assert_eq!(hover("Square(2)", 0, 0), "class `Square < Shape` — declared on line 8");
    assert_eq!(
        hover("s.area", 0, 2),
        "method `Shape.area()` — declared on line 5\n\nmethod `Square.area()` — declared on line 13"
    );
    assert_eq!(hover("this.side *", 0, 5), "field `Square.side` — declared on line 11");
    assert_eq!(hover("str(", 0, 0), "native function `str` — built in, 1 argument");
    assert_eq!(hover("s.describe", 0, 0), "global variable `s` — declared on line 15");

    let text = "fun f() { var local = 1; print local; print undefined; }";
    let l = Analysis::new(text);
    let hover = |needle, nth| l.hover(at(text, needle, nth, 0)).map(|(text, _)| text).unwrap();
    assert_eq!(hover("local", 1), "local variable `local` — declared on line 1");
    assert_eq!(hover("undefined", 0), "global variable `undefined` — not declared in this file");
}

#[test]
fn symbols_are_classes_with_methods_functions_and_globals() {
    let a = Analysis::new(CLASSES);
    let symbols = a.symbols();
    let names: Vec<_> = symbols.iter().map(|s| (s.name.as_str(), s.kind)).collect();
    assert_eq!(
        names,
        vec![("Shape", SymbolKind::CLASS), ("Square", SymbolKind::CLASS), ("s", SymbolKind::VARIABLE)]
    );
    let methods: Vec<_> =
        symbols[0].children.as_ref().unwrap().iter().map(|m| (m.name.as_str(), m.kind)).collect();
    assert_eq!(
        methods,
        vec![
            ("init", SymbolKind::CONSTRUCTOR),
            ("area", SymbolKind::METHOD),
            ("describe", SymbolKind::METHOD)
        ]
    );
    // Ranges: the class from `class` to its `}`, the method from its name to its `}`.
    assert_eq!(symbols[0].range.start, Position { line: 0, character: 0 });
    assert_eq!(symbols[0].range.end, Position { line: 6, character: 1 });
    assert_eq!(symbols[0].selection_range, range_of(CLASSES, "Shape", 0));
    let init = &symbols[0].children.as_ref().unwrap()[0];
    assert_eq!(
        init.range,
        Range { start: Position { line: 1, character: 2 }, end: Position { line: 3, character: 3 } }
    );
    let area = &symbols[0].children.as_ref().unwrap()[1];
    assert_eq!(
        area.range,
        Range { start: Position { line: 4, character: 2 }, end: Position { line: 4, character: 22 } }
    );

    let f = Analysis::new(FIB);
    let names: Vec<_> = f.symbols().iter().map(|s| (s.name.clone(), s.kind, s.range.end.line)).collect();
    assert_eq!(
        names,
        vec![("count".into(), SymbolKind::VARIABLE, 0), ("fib".into(), SymbolKind::FUNCTION, 5)]
    );
}

fn labels(items: &[lsp_types::CompletionItem]) -> Vec<&str> {
    items.iter().map(|i| i.label.as_str()).collect()
}

#[test]
fn completion_offers_the_names_in_scope() {
    let text =
        "var g = 1;\nfun f(p) {\n  var a = 1;\n  {\n    var b = 2;\n    \n  }\n  \n}\nclass C { m() {} }\n";
    let a = Analysis::new(text);
    let inner = a.offset(Position { line: 5, character: 4 });
    let items = completions(Some(&a), text, inner);
    let names = labels(&items);
    for expected in ["b", "a", "p", "f", "g", "C", "len", "clock", "List", "while", "print"] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    // Locals come first, innermost first.
    assert_eq!(&names[..3], &["b", "a", "p"]);
    // `b` is out of scope after its block; nothing local outside `f`.
    let outer = a.offset(Position { line: 7, character: 2 });
    let names = labels(&completions(Some(&a), text, outer)).into_iter().map(String::from).collect::<Vec<_>>();
    assert!(!names.contains(&"b".to_string()) && names.contains(&"a".to_string()));
    let top = a.offset(Position { line: 9, character: 0 });
    let items = completions(Some(&a), text, top);
    let names = labels(&items);
    assert!(!names.contains(&"a") && !names.contains(&"p") && names.contains(&"g"));
    let f = items.iter().find(|i| i.label == "f").unwrap();
    assert_eq!(f.kind, Some(CompletionItemKind::FUNCTION));
    assert_eq!(items.iter().find(|i| i.label == "while").unwrap().kind, Some(CompletionItemKind::KEYWORD));
    // No method name outside a `.`.
    assert!(!names.contains(&"m"));
}

#[test]
fn completion_after_a_dot_offers_methods_and_fields() {
    let text = format!("{CLASSES}s.");
    let a = Analysis::new(CLASSES);
    let items = completions(Some(&a), &text, text.len());
    let names = labels(&items);
    assert_eq!(names, vec!["area", "describe", "init", "name", "side"]);
    assert_eq!(items[0].kind, Some(CompletionItemKind::METHOD));
    assert_eq!(items[3].kind, Some(CompletionItemKind::FIELD));
    assert!(after_dot("a.b", 3) && after_dot("a. ", 3) && !after_dot("a b", 3) && !after_dot("", 0));
}

#[test]
fn diagnostics_have_the_spans_range() {
    let text = "print 1 +;\n";
    let a = Analysis::new(text);
    assert!(!a.parsed());
    let d = a.diagnostics();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].message, "Expect expression.");
    assert_eq!(d[0].range, range_of(text, ";", 0));

    // A resolve error leaves the navigation working.
    let text = "fun f() { var x = 1; var x = 2; return x; }\nreturn 1;";
    let a = Analysis::new(text);
    assert!(a.parsed());
    let messages: Vec<_> = a.diagnostics().into_iter().map(|d| (d.message, d.range)).collect();
    assert_eq!(
        messages,
        vec![
            ("Already a variable with this name in this scope.".to_string(), range_of(text, "x", 1)),
            ("Can't return from top-level code.".to_string(), range_of(text, "return", 1)),
        ]
    );
    assert_eq!(a.definition(at(text, "x;", 0, 0)), vec![range_of(text, "x", 1)]);
}

#[test]
fn non_ascii_text_gets_utf16_ranges() {
    // Before the error: a string of 2 + 1 chars of 2 UTF-16 units each
    // (and 4, 3, 4 UTF-8 bytes), and a comment with one.
    let text = "// 😀 comment\nprint \"😀€😀\" + ;\n";
    let a = Analysis::new(text);
    let d = a.diagnostics();
    assert_eq!(d.len(), 1);
    // `print "😀€😀" + ` is 6 + 1 + 2 + 1 + 2 + 1 + 3 = 16 units.
    let expected =
        Range { start: Position { line: 1, character: 16 }, end: Position { line: 1, character: 17 } };
    assert_eq!(d[0].range, expected);

    let text = "var s = \"é\"; var é2 = 1;";
    // `é` outside a string is an unexpected character (one error for both bytes).
    let a = Analysis::new(text);
    let d = a.diagnostics();
    assert_eq!(d[0].message, "Unexpected character.");
    assert_eq!(
        d[0].range,
        Range { start: Position { line: 0, character: 17 }, end: Position { line: 0, character: 18 } }
    );

    let text = "var u = \"ü\"; var x = \"😀\"; print x;";
    let a = Analysis::new(text);
    let x = at(text, "x;", 0, 0);
    assert_eq!(x, Position { line: 0, character: 33 });
    assert_eq!(
        a.definition(x),
        vec![Range { start: Position { line: 0, character: 17 }, end: Position { line: 0, character: 18 } }]
    );
}

#[test]
fn any_text_and_any_position_is_answered() {
    let texts = [
        "",
        "(",
        "class",
        "fun f(",
        "class A < A {}",
        "this.x = 1;",
        "super.m();",
        "{ var a = a; }",
        "\u{0}\u{7f}\u{fffd}\"",
        "print \"unterminated",
        "var x = 1;\r\nprint x;\rprint x;",
    ];
    let deep = format!("print {}1{};", "(".repeat(5000), ")".repeat(5000));
    let too_deep = format!("print {}1{};", "(".repeat(20000), ")".repeat(20000));
    let positions = [(0, 0), (0, 3), (0, 100), (5, 0), (u32::MAX, u32::MAX), (0, u32::MAX)];
    for text in texts.iter().copied().chain([deep.as_str(), too_deep.as_str()]) {
        // The deep ones need more than a test thread's stack (the server has more).
        let text = text.to_string();
        let run = move || {
            let a = Analysis::new(text.clone());
            let _ = a.diagnostics();
            for (line, character) in positions {
                let p = Position { line, character };
                let _ = (a.definition(p), a.references(p, true), a.hover(p), a.symbols());
                let offset = a.offset(p);
                assert!(offset <= text.len());
                let _ = completions(Some(&a), &text, offset);
            }
            a.parsed()
        };
        std::thread::Builder::new().stack_size(256 << 20).spawn(run).unwrap().join().unwrap();
    }
    // One check that the analysis saw what it should.
    let a = Analysis::new("{ var a = a; }");
    assert_eq!(a.diagnostics()[0].message, "Can't read local variable in its own initializer.");
    let a = Analysis::new("this.x = 1;");
    assert!(a.hover(Position { line: 0, character: 1 }).is_none());
    let b = Analysis::new("var x = 1;\r\nprint x;\rprint x;");
    assert_eq!(lines(&b.references(Position { line: 2, character: 6 }, true)), vec![0, 1, 2]);
}

#[test]
fn kinds_of_local_functions_and_classes() {
    let text = "fun outer() {\n  fun inner(x) { return x; }\n  class K {}\n  return inner(K);\n}\n";
    let a = Analysis::new(text);
    let (hover, _) = a.hover(at(text, "inner(K)", 0, 0)).unwrap();
    assert_eq!(hover, "function `inner(x)` — declared on line 2");
    let (hover, _) = a.hover(at(text, "K)", 0, 0)).unwrap();
    assert_eq!(hover, "class `K` — declared on line 3");
    // Only top-level declarations are symbols.
    assert_eq!(a.symbols().len(), 1);
    assert_eq!(DefKind::Field.word(), "field");
}

// ---- The reader ---------------------------------------------------------

#[test]
fn lone_surrogates_become_replacement_characters() {
    use crate::replace_lone_surrogates as fix;
    assert_eq!(fix(r#""a\ud800b""#), r#""a\uFFFDb""#);
    assert_eq!(fix(r#""\udc00""#), r#""\uFFFD""#);
    assert_eq!(fix(r#""\ud83d\ude00""#), r#""\ud83d\ude00""#, "a pair is kept");
    assert_eq!(fix(r#""\\ud800""#), r#""\\ud800""#, "an escaped backslash is no escape");
    assert_eq!(fix(r#""\ud800\u0041""#), r#""\uFFFD\u0041""#);
    let value: serde_json::Value = serde_json::from_str(&fix(r#"{"t":"x\ud800"}"#)).unwrap();
    assert_eq!(value["t"], "x\u{fffd}");
}

fn frame(body: &str) -> String {
    format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

#[test]
fn malformed_messages_are_skipped_or_answered() {
    let input = [
        frame("not json"),
        frame(r#"{"jsonrpc":"2.0","id":7,"method":5}"#),
        "X-Junk\r\n".to_string(),
        frame(r#"{"jsonrpc":"2.0","method":"initialized","params":{"s":"\udead"}}"#),
        frame(r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#),
    ]
    .concat();
    let (to_server, from_reader) = crossbeam_channel::unbounded();
    crate::read_messages(&mut input.as_bytes(), &to_server);
    let got: Vec<_> = from_reader.try_iter().collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(
        matches!(&got[0], lsp_server::Message::Notification(n) if n.method == crate::MALFORMED && n.params["id"] == 7)
    );
    assert!(matches!(&got[1], lsp_server::Message::Notification(n) if n.params["s"] == "\u{fffd}"));
    assert!(matches!(&got[2], lsp_server::Message::Request(r) if r.method == "shutdown"));
}

// ---- A session on an in-memory connection ---------------------------------

#[test]
fn a_session_answers_every_request_and_ends_cleanly() {
    use lsp_server::{Connection, Message, Notification, Request};
    use serde_json::json;
    let (server, client) = Connection::memory();
    let handle = std::thread::Builder::new().stack_size(64 << 20).spawn(move || crate::run(server)).unwrap();
    let request = |id: i32, method: &str, params: serde_json::Value| {
        client.sender.send(Message::Request(Request::new(id.into(), method.into(), params))).unwrap();
        loop {
            match client.receiver.recv_timeout(std::time::Duration::from_secs(20)).unwrap() {
                Message::Response(r) if r.id == id.into() => return r,
                _ => {}
            }
        }
    };
    let notify = |method: &str, params: serde_json::Value| {
        client.sender.send(Message::Notification(Notification::new(method.into(), params))).unwrap();
    };
    // Before initialize: an error.
    assert!(request(1, "textDocument/hover", json!({})).response_result.is_err());
    let init = request(2, "initialize", json!({"capabilities": {}}));
    assert_eq!(init.response_result.unwrap()["capabilities"]["definitionProvider"], true);
    notify("initialized", json!({}));
    let uri = "file:///t.lox";
    notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "lox", "version": 1, "text": "var a = 1;\nprint a;"}}),
    );
    let at = |line: u32, character: u32| json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
    let definition = request(3, "textDocument/definition", at(1, 6)).response_result.unwrap();
    assert_eq!(definition[0]["range"]["start"], json!({"line": 0, "character": 4}));
    // Bad parameters, an unknown document, an unknown method: each answered.
    assert!(request(4, "textDocument/definition", json!({"nonsense": true})).response_result.is_err());
    let unknown =
        json!({"textDocument": {"uri": "file:///other.lox"}, "position": {"line": 0, "character": 0}});
    assert!(matches!(request(5, "textDocument/hover", unknown).response_result, Ok(serde_json::Value::Null)));
    assert!(request(6, "workspace/unknown", json!(null)).response_result.is_err());
    // An incremental change (full sync is advertised, but a range is honoured).
    notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"range": {"start": {"line": 1, "character": 6}, "end": {"line": 1, "character": 7}}, "text": "b"}]}),
    );
    let hover = request(7, "textDocument/hover", at(1, 6)).response_result.unwrap();
    assert_eq!(hover["contents"]["value"], "global variable `b` — not declared in this file");
    assert!(request(8, "shutdown", json!(null)).response_result.is_ok());
    assert!(
        request(9, "textDocument/hover", at(1, 6)).response_result.is_err(),
        "requests after shutdown are errors"
    );
    notify("exit", json!(null));
    assert_eq!(handle.join().unwrap(), crate::Ending::Clean);
}

#[test]
fn exit_without_shutdown_is_abrupt() {
    use lsp_server::{Connection, Message, Notification};
    let (server, client) = Connection::memory();
    client
        .sender
        .send(Message::Notification(Notification::new("exit".into(), serde_json::Value::Null)))
        .unwrap();
    assert_eq!(crate::run(server), crate::Ending::Abrupt);
}

// ---- The repository's Lox files ---------------------------------------------

/// The `.lox` files under `dir`, recursively.
fn lox_files(dir: &std::path::Path, into: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            lox_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "lox") {
            into.push(path);
        }
    }
}

/// Every identifier of every program of the repository that parses is an
/// occurrence the index knows (a declaration, a variable, a property), and
/// each one with a definition in the file leads back to a name spelled the
/// same; the front end's errors are the analysis's diagnostics.
#[test]
fn every_identifier_of_the_corpus_is_indexed() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["tests/lox", "examples", "bench", "lib"] {
        lox_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 100, "found only {} files", files.len());
    let mut checked = 0;
    for path in &files {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let analysis = Analysis::new(text.clone());
        let expected = match brine_frontend::check(text.as_bytes()) {
            Ok(_) => 0,
            Err(errors) => errors.len(),
        };
        assert_eq!(analysis.diagnostics().len(), expected, "{}", path.display());
        if !analysis.parsed() {
            continue;
        }
        checked += 1;
        let (tokens, _) = brine_frontend::scanner::scan(text.as_bytes());
        let index = analysis.line_index();
        for token in tokens.iter().filter(|t| t.kind == brine_frontend::scanner::TokenKind::Identifier) {
            let position = index.position(&text, token.start as usize);
            let where_ = format!("{}:{}:{}", path.display(), position.line + 1, position.character + 1);
            assert!(analysis.target_at(position).is_some(), "{where_}: no occurrence");
            for range in analysis.definition(position) {
                let (start, end) = (index.offset(&text, range.start), index.offset(&text, range.end));
                assert_eq!(
                    &text.as_bytes()[start..end],
                    token.lexeme,
                    "{where_}: a definition of another name"
                );
            }
        }
    }
    assert!(checked > 100, "only {checked} files parsed");
}

#[test]
fn the_natives_are_the_runtimes() {
    let ours: Vec<(&str, u32)> = crate::analysis::NATIVES.to_vec();
    let runtime: Vec<(&str, u32)> = brine_runtime::natives::names().collect();
    assert_eq!(ours, runtime, "analysis::NATIVES must list brine-runtime's natives, in order");
}
