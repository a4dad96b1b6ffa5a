//! Tests of the grammar that need no tree-sitter CLI: every Lox file of the
//! repository against Brine's own parser, the corpus of test/corpus (as
//! `tree-sitter test` runs it), a few trees in detail, and the highlight
//! query.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tree_sitter::{Node, Parser, Tree};
use tree_sitter_highlight::{HighlightConfiguration, HighlightEvent, Highlighter};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn parse(source: &[u8]) -> Tree {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_lox::language()).expect("the grammar's ABI is the runtime's");
    parser.parse(source, None).expect("a parse with no timeout or cancellation finishes")
}

/// The first ERROR or MISSING node under `node`, with its position.
fn first_error(node: Node) -> Option<String> {
    if node.is_error() || node.is_missing() {
        let p = node.start_position();
        return Some(format!("{} at {}:{}", node.kind(), p.row + 1, p.column + 1));
    }
    if !node.has_error() {
        return None;
    }
    let mut cursor = node.walk();
    node.children(&mut cursor).find_map(first_error)
}

fn lox_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            lox_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "lox") {
            out.push(path);
        }
    }
}

/// Errors of Brine's parser that the grammar does not model: limits, not
/// syntax.
fn is_limit(message: &str) -> bool {
    matches!(
        message,
        "Can't have more than 255 arguments." | "Can't have more than 255 parameters." | "Too much nesting."
    )
}

/// Brine's verdict on a source: None if it parses, else its syntax errors
/// (limits left out). The front end wants a big stack for deep nesting, as
/// the `brine` CLI gives it.
fn brine_syntax_errors(source: Vec<u8>) -> Option<Vec<String>> {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || match brine_frontend::parse(&source) {
            Ok(_) => None,
            Err(diags) => Some(diags.into_iter().map(|d| d.message).filter(|m| !is_limit(m)).collect()),
        })
        .expect("a thread")
        .join()
        .expect("Brine's parser does not panic")
}

/// Every Lox program of the repository (tests/, examples/, bench/; not
/// lib/, whose `$` names only the library's own scanner accepts) parses
/// without an ERROR or MISSING node exactly when Brine's parser accepts it,
/// up to its limits on arity and nesting.
#[test]
fn every_lox_file_parses_as_brine_parses_it() {
    let root = repo();
    let mut files = Vec::new();
    for dir in ["tests", "examples", "bench"] {
        lox_files(&root.join(dir), &mut files);
    }
    files.sort();
    let (mut accepted, mut rejected, mut failures) = (0, 0, Vec::new());
    for path in &files {
        let source = std::fs::read(path).expect("a readable file");
        let tree = parse(&source);
        let name = path.strip_prefix(&root).unwrap_or(path).display().to_string();
        match (brine_syntax_errors(source), first_error(tree.root_node())) {
            (None, None) => accepted += 1,
            (None, Some(error)) => {
                accepted += 1;
                failures.push(format!("{name}: Brine's parser accepts it, the grammar has {error}"));
            }
            (Some(errors), None) if !errors.is_empty() => {
                rejected += 1;
                failures.push(format!("{name}: the grammar accepts it, Brine reports {errors:?}"));
            }
            (Some(errors), Some(_)) if !errors.is_empty() => rejected += 1,
            // Only a limit was hit: the grammar must accept it.
            (Some(_), None) => accepted += 1,
            (Some(_), Some(error)) => {
                accepted += 1;
                failures.push(format!("{name}: only a limit is exceeded, but the grammar has {error}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files disagree:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    // The corpus is what it was when these tests were written, or bigger.
    assert!(accepted > 600, "only {accepted} files that parse");
    assert!(rejected > 40, "only {rejected} files with syntax errors");
}

/// The standard library uses `$` in names, which the grammar does not
/// accept; everything else in it parses.
#[test]
fn the_standard_library_fails_only_at_dollar_names() {
    let mut files = Vec::new();
    lox_files(&repo().join("lib"), &mut files);
    assert!(!files.is_empty());
    for path in files {
        let source = std::fs::read(&path).expect("a readable file");
        assert!(source.contains(&b'$'), "{} has no $ name", path.display());
        // With `$` made a letter, every file parses.
        let renamed: Vec<u8> = source.iter().map(|&b| if b == b'$' { b'S' } else { b }).collect();
        let tree = parse(&renamed);
        assert_eq!(first_error(tree.root_node()), None, "{}", path.display());
        assert!(parse(&source).root_node().has_error(), "{}", path.display());
    }
}

// ---- The corpus ------------------------------------------------------------

struct Case {
    name: String,
    source: String,
    /// The tree, whitespace normalized; None for an `:error` case.
    expected: Option<String>,
}

/// Collapses whitespace as `tree-sitter test` compares trees.
fn normalize(sexp: &str) -> String {
    let joined = sexp.split_whitespace().collect::<Vec<_>>().join(" ");
    joined.replace(" )", ")").replace("( ", "(")
}

/// The cases of a corpus file: a `===` header with the name (and maybe
/// `:error`), the source, a `---` line, the expected tree.
fn corpus_cases(text: &str) -> Vec<Case> {
    let is_rule = |line: &str, c: char| line.len() >= 3 && line.chars().all(|x| x == c);
    let lines: Vec<&str> = text.lines().collect();
    let mut cases = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !is_rule(lines[i], '=') {
            i += 1;
            continue;
        }
        let name = lines[i + 1].trim().to_string();
        let mut j = i + 2;
        let mut error = false;
        while !is_rule(lines[j], '=') {
            error |= lines[j].trim() == ":error";
            j += 1;
        }
        let body_start = j + 1;
        let mut k = body_start;
        while !is_rule(lines[k], '-') {
            k += 1;
        }
        let mut end = k + 1;
        while end < lines.len() && !is_rule(lines[end], '=') {
            end += 1;
        }
        let source = lines[body_start..k].join("\n");
        let tree = lines[k + 1..end].join("\n");
        cases.push(Case { name, source, expected: (!error).then(|| normalize(&tree)) });
        i = end;
    }
    cases
}

#[test]
fn the_corpus_parses_as_its_trees_say() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test/corpus");
    let mut count = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("test/corpus") {
        let path = entry.expect("an entry").path();
        let text = std::fs::read_to_string(&path).expect("a corpus file");
        for case in corpus_cases(&text) {
            count += 1;
            let tree = parse(case.source.as_bytes());
            let root = tree.root_node();
            match &case.expected {
                None if !root.has_error() => failures.push(format!("{}: expected an error", case.name)),
                None => {}
                Some(want) => {
                    let got = normalize(&root.to_sexp());
                    if &got != want {
                        failures.push(format!("{}:\n  want {want}\n  got  {got}", case.name));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(count >= 15, "only {count} corpus cases");
}

// ---- Trees in detail -------------------------------------------------------

/// The only statement of a source that parses without errors.
fn only_statement(source: &str) -> (Tree, String) {
    let tree = parse(source.as_bytes());
    assert_eq!(first_error(tree.root_node()), None, "{source}");
    assert_eq!(tree.root_node().named_child_count(), 1, "{source}");
    (tree, source.to_string())
}

fn text<'s>(node: Node, source: &'s str) -> &'s str {
    node.utf8_text(source.as_bytes()).expect("UTF-8")
}

fn field<'t>(node: Node<'t>, name: &str) -> Node<'t> {
    node.child_by_field_name(name).unwrap_or_else(|| panic!("no {name} in {}", node.to_sexp()))
}

#[test]
fn a_class_with_a_superclass_and_methods() {
    let (tree, src) = only_statement("class B < A { init(x) { this.x = x; } get() { return super.get(); } }");
    let class = tree.root_node().named_child(0).unwrap();
    assert_eq!(class.kind(), "class_declaration");
    assert_eq!(text(field(class, "name"), &src), "B");
    assert_eq!(text(field(class, "superclass").named_child(0).unwrap(), &src), "A");
    let body = field(class, "body");
    let mut cursor = body.walk();
    let methods: Vec<(&str, usize)> = body
        .named_children(&mut cursor)
        .map(|m| (text(field(m, "name"), &src), field(m, "parameters").named_child_count()))
        .collect();
    assert_eq!(methods, [("init", 1), ("get", 0)]);
    let ret = field(body.named_child(1).unwrap(), "body").named_child(0).unwrap();
    let call = ret.named_child(0).unwrap();
    assert_eq!(call.kind(), "call_expression");
    assert_eq!(field(call, "function").kind(), "super_expression");
}

#[test]
fn a_for_loop_with_every_clause_and_with_none() {
    let (tree, src) = only_statement("for (var i = 0; i < 3; i = i + 1) { print i; }");
    let stmt = tree.root_node().named_child(0).unwrap();
    assert_eq!(stmt.kind(), "for_statement");
    assert_eq!(field(stmt, "initializer").kind(), "variable_declaration");
    assert_eq!(text(field(stmt, "condition"), &src), "i < 3");
    assert_eq!(field(stmt, "increment").kind(), "assignment_expression");
    assert_eq!(field(stmt, "body").kind(), "block");
    let (tree, _) = only_statement("for (;;) print 1;");
    let stmt = tree.root_node().named_child(0).unwrap();
    for name in ["initializer", "condition", "increment"] {
        assert!(stmt.child_by_field_name(name).is_none(), "{name}");
    }
    assert_eq!(field(stmt, "body").kind(), "print_statement");
}

#[test]
fn list_literals_and_index_assignment() {
    let (tree, src) = only_statement("xs[i + 1] = [1, [2], \"three\",];");
    let assign = tree.root_node().named_child(0).unwrap().named_child(0).unwrap();
    assert_eq!(assign.kind(), "assignment_expression");
    let target = field(assign, "left");
    assert_eq!(target.kind(), "index_expression");
    assert_eq!(text(field(target, "object"), &src), "xs");
    assert_eq!(text(field(target, "index"), &src), "i + 1");
    let list = field(assign, "right");
    assert_eq!(list.kind(), "list");
    let mut cursor = list.walk();
    let kinds: Vec<&str> = list.named_children(&mut cursor).map(|n| n.kind()).collect();
    assert_eq!(kinds, ["number", "list", "string"]);
    // An empty list parses; a lone comma, two commas and an assignment to
    // a call do not, as in Brine.
    only_statement("var e = [];");
    for bad in ["var e = [,];", "var e = [1,,];", "f() = 1;", "-a = 1;", "a + b = c;", "(a) = 1;"] {
        assert!(parse(bad.as_bytes()).root_node().has_error(), "{bad}");
    }
}

#[test]
fn a_call_chain_nests_to_the_left() {
    let (tree, src) = only_statement("a.b(1).c[2](3);");
    let mut node = tree.root_node().named_child(0).unwrap().named_child(0).unwrap();
    // Outermost first: the call of a.b(1).c[2], its index, its property...
    let mut chain = Vec::new();
    loop {
        chain.push(node.kind());
        node = match node.kind() {
            "call_expression" => field(node, "function"),
            "property_expression" | "index_expression" => field(node, "object"),
            _ => break,
        };
    }
    assert_eq!(
        chain,
        [
            "call_expression",
            "index_expression",
            "property_expression",
            "call_expression",
            "property_expression",
            "identifier"
        ]
    );
    assert_eq!(text(node, &src), "a");
}

#[test]
fn operator_precedence_is_the_parsers() {
    // The tree as an S-expression of operators.
    fn shape(node: Node, src: &str) -> String {
        match node.kind() {
            "binary_expression" => format!(
                "({} {} {})",
                text(field(node, "operator"), src),
                shape(field(node, "left"), src),
                shape(field(node, "right"), src)
            ),
            "unary_expression" => {
                format!("({} {})", text(field(node, "operator"), src), shape(field(node, "operand"), src))
            }
            "parenthesized_expression" => shape(node.named_child(0).unwrap(), src),
            _ => text(node, src).to_string(),
        }
    }
    for (source, want) in [
        ("1 + 2 * 3 % 4;", "(+ 1 (% (* 2 3) 4))"),
        ("1 - 2 - 3;", "(- (- 1 2) 3)"),
        ("a or b and c;", "(or a (and b c))"),
        ("a == b < c + d;", "(== a (< b (+ c d)))"),
        ("!a == -b * c;", "(== (! a) (* (- b) c))"),
        ("(1 + 2) % 3;", "(% (+ 1 2) 3)"),
        ("a != b == c;", "(== (!= a b) c)"),
    ] {
        let (tree, src) = only_statement(source);
        let expr = tree.root_node().named_child(0).unwrap().named_child(0).unwrap();
        assert_eq!(shape(expr, &src), want, "{source}");
    }
}

#[test]
fn tokens_are_the_scanners() {
    // Numbers: `.5` and `5.` are not numbers, `1.2.3` is not an expression.
    let (tree, src) = only_statement("print 12.5;");
    assert_eq!(text(tree.root_node().named_child(0).unwrap().named_child(0).unwrap(), &src), "12.5");
    for bad in
        ["print .5;", "print 5.;", "print 1.2.3;", "var a$ = 1;", "print \"open;", "print 1 | 2;", "a\u{c}b;"]
    {
        assert!(parse(bad.as_bytes()).root_node().has_error(), "{bad:?}");
    }
    // Keywords end at a letter: `classy` and `or_` are identifiers.
    let (tree, _) = only_statement("classy = or_;");
    assert_eq!(
        tree.root_node().named_child(0).unwrap().named_child(0).unwrap().kind(),
        "assignment_expression"
    );
    // Strings may hold any bytes but `"`, newlines included.
    let (tree, _) = only_statement("print \"a\nb // not a comment\";");
    assert_eq!(tree.root_node().named_child(0).unwrap().named_child(0).unwrap().kind(), "string");
}

// ---- Highlighting ----------------------------------------------------------

const HIGHLIGHT_NAMES: &[&str] = &[
    "boolean",
    "comment",
    "constant.builtin",
    "function",
    "function.builtin",
    "function.method",
    "keyword",
    "keyword.conditional",
    "keyword.operator",
    "keyword.repeat",
    "keyword.return",
    "number",
    "operator",
    "property",
    "punctuation.bracket",
    "punctuation.delimiter",
    "string",
    "type",
    "type.builtin",
    "variable",
    "variable.builtin",
    "variable.parameter",
];

/// Every highlighted piece of `source`: its byte range and its innermost
/// capture name.
fn highlight_ranges(source: &str) -> Vec<(usize, usize, &'static str)> {
    let mut config = HighlightConfiguration::new(
        tree_sitter_lox::language(),
        "lox",
        tree_sitter_lox::HIGHLIGHTS_QUERY,
        "",
        "",
    )
    .expect("the highlight query compiles");
    config.configure(HIGHLIGHT_NAMES);
    // Every capture of the query is one of the names above.
    for name in config.names() {
        assert!(HIGHLIGHT_NAMES.contains(name), "capture @{name} is not in HIGHLIGHT_NAMES");
    }
    let mut highlighter = Highlighter::new();
    let events =
        highlighter.highlight(&config, source.as_bytes(), None, None, |_| None).expect("highlighting runs");
    let mut stack = Vec::new();
    let mut out = Vec::new();
    for event in events {
        match event.expect("no highlighting error") {
            HighlightEvent::HighlightStart(h) => stack.push(HIGHLIGHT_NAMES[h.0]),
            HighlightEvent::HighlightEnd => {
                stack.pop();
            }
            HighlightEvent::Source { start, end } => {
                if let Some(&name) = stack.last() {
                    out.push((start, end, name));
                }
            }
        }
    }
    out
}

/// Every highlighted piece of `source`, as text, with its capture name.
fn highlights(source: &str) -> Vec<(String, &'static str)> {
    highlight_ranges(source)
        .into_iter()
        .map(|(start, end, name)| (source[start..end].to_string(), name))
        .collect()
}

/// The files of test/highlight, as `tree-sitter test` checks them: a
/// comment line `// ^ NAME` says the character above the `^` (in the
/// nearest line that is not such an assertion) is highlighted NAME; `// <-
/// NAME` says the same of the character above the comment's start.
#[test]
fn the_highlight_assertions_of_test_highlight_hold() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test/highlight");
    let mut count = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("test/highlight") {
        let path = entry.expect("an entry").path();
        let source = std::fs::read_to_string(&path).expect("a highlight test");
        let ranges = highlight_ranges(&source);
        let line_starts: Vec<usize> =
            std::iter::once(0).chain(source.match_indices('\n').map(|(i, _)| i + 1)).collect();
        let mut code_row = None;
        for (row, line) in source.lines().enumerate() {
            let Some(slash) = line.find("//") else {
                code_row = Some(row);
                continue;
            };
            let rest = &line[slash + 2..];
            let (column, name) = if let Some(name) = rest.trim_start().strip_prefix("<-") {
                (slash, name)
            } else if let Some(caret) = rest.trim_start().strip_prefix('^').map(|_| rest.find('^').unwrap()) {
                (slash + 2 + caret, &rest[caret + 1..])
            } else {
                code_row = Some(row);
                continue;
            };
            let name = name.trim();
            let above = code_row.expect("an assertion below a line of code");
            let at = line_starts[above] + column;
            let got = ranges.iter().find(|&&(start, end, _)| start <= at && at < end).map(|r| r.2);
            count += 1;
            if got != Some(name) {
                failures.push(format!(
                    "{}:{}:{}: want {name}, got {got:?}",
                    path.display(),
                    above + 1,
                    column + 1
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(count >= 15, "only {count} assertions");
}

#[test]
fn the_highlight_query_captures_what_it_should() {
    let source = "// A sample.\n\
                  class Pair < Base {\n  init(a) { this.a = a; }\n  sum() { return super.sum() % 2; }\n}\n\
                  fun add(x) { if (x and true) return len(\"two\nlines\"); else return nil; }\n\
                  print add(12.5).size;\n\
                  var m = Map();\n";
    let got = highlights(source);
    let expect = |piece: &str, name: &str| {
        assert!(
            got.iter().any(|(p, n)| p == piece && *n == name),
            "{piece:?} is not highlighted as {name}: {:?}",
            got.iter().filter(|(p, _)| p == piece).collect::<Vec<_>>()
        );
    };
    expect("// A sample.", "comment");
    expect("class", "keyword");
    expect("Pair", "type");
    expect("Base", "type");
    expect("init", "function.method");
    expect("a", "variable.parameter");
    expect("this", "variable.builtin");
    expect("a", "property");
    expect("super", "variable.builtin");
    expect("sum", "function.method");
    expect("%", "operator");
    expect("return", "keyword.return");
    expect("fun", "keyword");
    expect("add", "function");
    expect("if", "keyword.conditional");
    expect("and", "keyword.operator");
    expect("true", "boolean");
    expect("len", "function.builtin");
    expect("\"two\nlines\"", "string");
    expect("nil", "constant.builtin");
    expect("12.5", "number");
    expect("size", "property");
    expect("Map", "type.builtin");
    expect("m", "variable");
    // A name is only a builtin as a whole word, and no keyword is a variable.
    assert!(
        !got.iter()
            .any(|(p, n)| *n == "variable" && ["class", "fun", "return", "print"].contains(&p.as_str()))
    );
}

/// The builtins of the query are the natives of the runtime.
#[test]
fn the_query_lists_every_native() {
    let natives_rs =
        std::fs::read_to_string(repo().join("crates/brine-runtime/src/natives.rs")).expect("natives.rs");
    let table = natives_rs.split("const NATIVES").nth(1).expect("the NATIVES table");
    let table = &table[..table.find("];").expect("the table's end")];
    let natives: BTreeSet<&str> =
        table.lines().filter_map(|line| line.trim().strip_prefix("(\"")?.split('"').next()).collect();
    assert!(natives.len() > 20, "{natives:?}");
    let query = tree_sitter_lox::HIGHLIGHTS_QUERY;
    let list = query.split("(#any-of? @function.builtin").nth(1).expect("the builtins' predicate");
    let list = &list[..list.find(')').expect("its end")];
    let listed: BTreeSet<&str> = list.split('"').skip(1).step_by(2).collect();
    assert_eq!(listed, natives);
}
