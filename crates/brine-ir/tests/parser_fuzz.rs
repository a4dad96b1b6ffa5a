//! Property tests: the IR parser returns a module or an error on any input,
//! never panicking; whatever it accepts prints, verifies (or fails to)
//! without panicking, and reads back as the same module.
//!
//! The number of cases is 2000 per property, or `PROPTEST_CASES`.

use brine_ir::parser::parse_module;
use brine_ir::printer::print_module;
use brine_ir::verifier::verify_module;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(2000);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Valid texts to mutate: the golden files and a few hand-written ones.
fn seeds() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/ir");
    let mut seeds: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ir"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    seeds.sort();
    seeds.push(
        "function f0 \"f\"(arity 1, captures 1, function, line 4) {
block0(v0: val, v1: val, v2: val):
    v9 = load_capture 0
    v3 = string \"a\\x80\\u{301}\\\"\"  ; a comment
    v4 = number -1.5e-7
    v5 = invoke v2, \"m\"(v3, v4) @7
    v6 = truthy v5
    branch v6, block3(v5), block1
block3(v7: val):
    v8 = cell_new v7
    cell_set v8, v3
    jump block1
block1:
    v10 = super_invoke v1, v9, \"m\"() @0  ; line 2
    return v10
}
"
        .to_string(),
    );
    assert!(seeds.len() > 1);
    seeds
}

/// Fragments of the text form, valid and not.
const TOKENS: &[&str] = &[
    "function", "f0", "f1", "\"f\"", "\"\"", "(", ")", "{", "}", "[", "]", ",", ":", "=", "@0", "@1", "@",
    ";", "; line 3", "arity", "captures", "script", "method", "line", "0", "1", "2", "block0", "block1",
    "block9", "v0", "v1", "v2", "v3", "val", "bool", "i64", "nil", "number", "1.5", "inf", "NaN", "-0.0",
    "string", "\"s\\x", "\"\\u{", "add", "truthy", "jump", "branch", "return", "call", "closure", "strings",
    "globals", "sites", "\n", "\n", "\n", "    ",
];
const LONG_TOKENS: &[&str] = &["v4294967295", "@4294967296", "get_global", "super_invoke", "initializer"];

fn tokens() -> Vec<&'static str> {
    TOKENS.iter().chain(LONG_TOKENS).copied().collect()
}

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(tokens()), 0..150).prop_map(|t| t.join(" "))
}

/// One edit of a text: delete, duplicate or swap lines, or cut, insert or
/// replace characters.
#[derive(Clone, Debug)]
enum Edit {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Cut(usize, usize),
    Insert(usize, &'static str),
    Replace(usize, char),
}

fn edit() -> impl Strategy<Value = Edit> {
    let n = 0..10_000usize;
    prop_oneof![
        n.clone().prop_map(Edit::DeleteLine),
        n.clone().prop_map(Edit::DuplicateLine),
        (n.clone(), n.clone()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        (n.clone(), 0..12usize).prop_map(|(a, l)| Edit::Cut(a, l)),
        (n.clone(), prop::sample::select(tokens())).prop_map(|(a, t)| Edit::Insert(a, t)),
        (n, any::<char>()).prop_map(|(a, c)| Edit::Replace(a, c)),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let chars: Vec<char> = text.chars().collect();
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match *edit {
        Edit::DeleteLine(i) if !lines.is_empty() => {
            lines.remove(at(i, lines.len()));
        }
        Edit::DuplicateLine(i) if !lines.is_empty() => {
            let i = at(i, lines.len());
            lines.insert(i, lines[i]);
        }
        Edit::SwapLines(a, b) if !lines.is_empty() => {
            let (a, b) = (at(a, lines.len()), at(b, lines.len()));
            lines.swap(a, b);
        }
        Edit::Cut(i, len) => {
            let i = at(i, chars.len());
            let end = (i + len).min(chars.len());
            return chars[..i].iter().chain(&chars[end..]).collect();
        }
        Edit::Insert(i, t) => {
            let i = at(i, chars.len() + 1);
            return chars[..i].iter().collect::<String>() + t + &chars[i..].iter().collect::<String>();
        }
        Edit::Replace(i, c) if !chars.is_empty() => {
            let mut chars = chars;
            let i = at(i, chars.len());
            chars[i] = c;
            return chars.into_iter().collect();
        }
        _ => {}
    }
    lines.join("\n")
}

fn mutated() -> impl Strategy<Value = String> {
    (prop::sample::select(seeds()), prop::collection::vec(edit(), 1..4))
        .prop_map(|(seed, edits)| edits.iter().fold(seed, |text, e| apply(&text, e)))
}

/// Parses `text`; if it is accepted, the module must print, verify and read
/// back as itself.
fn check(text: &str) {
    let Ok(module) = parse_module(text) else { return };
    let printed = print_module(&module);
    let _ = verify_module(&module);
    let again =
        parse_module(&printed).unwrap_or_else(|e| panic!("printed text does not parse: {e}\n{printed}"));
    assert_eq!(print_module(&again), printed);
    // Debug, not ==: NaN constants are not equal to themselves.
    assert_eq!(format!("{:?}", again.functions), format!("{:?}", module.functions));
    assert_eq!(
        (&again.strings, &again.globals, &again.sites),
        (&module.strings, &module.globals, &module.sites)
    );
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_strings(text in any::<String>()) {
        check(&text);
    }

    #[test]
    fn ir_token_soup(text in token_soup()) {
        check(&text);
    }

    #[test]
    fn mutated_valid_text(text in mutated()) {
        check(&text);
    }
}

/// The seeds themselves parse, verify and round-trip exactly.
#[test]
fn seeds_round_trip() {
    for seed in seeds() {
        let module = parse_module(&seed).unwrap_or_else(|e| panic!("{e}\n{seed}"));
        verify_module(&module).unwrap_or_else(|e| panic!("{e:?}\n{seed}"));
        check(&seed);
    }
}
