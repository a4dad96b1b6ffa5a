//! The parser's unit tests.

use super::*;
use crate::builder::FunctionBuilder;
use crate::printer::print_module;
use crate::verifier::verify_module;

fn parse_ok(text: &str) -> Module {
    let m = parse_module(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    if let Err(errors) = verify_module(&m) {
        panic!("verifier: {errors:?}\n{text}");
    }
    m
}

fn parse_err(text: &str) -> ParseError {
    match parse_module(text) {
        Ok(m) => panic!("parsed, expected an error:\n{}", print_module(&m)),
        Err(e) => e,
    }
}

#[track_caller]
fn assert_err(text: &str, line: usize, message: &str) {
    let e = parse_err(text);
    assert_eq!(e.line, line, "wrong line for {e}");
    assert!(e.message.contains(message), "'{e}' does not contain '{message}'");
    assert!(e.to_string().starts_with(&format!("line {line}: ")), "{e}");
}

/// Every instruction kind, every function kind, tables, sites and params.
const ALL_KINDS: &str = r#"strings "x", "m", "C", "s"
globals "g"
sites 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21

function f0 ""(arity 0, captures 0, script, line 1) {
block0(v0: val, v1: val):
    v2 = nil
    v3 = bool true
    v4 = bool false
    v5 = number 1.5
    v6 = string "s"
    v7 = neg v5 @0  ; line 1
    v8 = not v3 @1  ; line 2
    v9 = add v5, v7 @2  ; line 3
    v10 = sub v5, v7 @3  ; line 4
    v11 = mul v5, v7 @4  ; line 5
    v12 = div v5, v7 @5  ; line 6
    v13 = lt v5, v7 @6  ; line 7
    v14 = le v5, v7 @7  ; line 8
    v15 = gt v5, v7 @8  ; line 9
    v16 = ge v5, v7 @9  ; line 10
    v17 = eq v5, v7 @10  ; line 11
    v18 = ne v5, v7 @11  ; line 12
    v19 = get_global "g" @12  ; line 13
    set_global "g", v19 @13  ; line 14
    define_global "g", v2
    v20 = get_prop v19, "x" @14  ; line 15
    set_prop v19, "x", v20 @15  ; line 16
    v21 = invoke v19, "m"(v2, v3) @16  ; line 17
    v22 = super_invoke v1, v19, "m"() @17  ; line 18
    v23 = get_super v1, v19, "m" @18  ; line 19
    v24 = call v19(v2) @19  ; line 20
    v25 = class "C", fields 2
    inherit v25, v19 @20  ; line 21
    v26 = cell_new v2
    v27 = closure f1[v26, v2]
    method v25, "m", v27
    print v27
    v28 = truthy v18
    branch v28, block1(v2), block2
block1(v29: val):
    jump block2
block2:
    return v2
}

function f1 "m"(arity 1, captures 2, method, line 3) {
block0(v0: val, v1: val, v2: val):
    v3 = load_capture 0
    v4 = cell_get v3
    cell_set v3, v2
    return v4
}

function f2 "init"(arity 0, captures 0, initializer, line 5) {
block0(v0: val, v1: val):
    return v1
}

"#;

#[test]
fn every_instruction_kind_round_trips() {
    let m = parse_ok(ALL_KINDS);
    assert_eq!(print_module(&m), ALL_KINDS);
    assert_eq!(m.strings, [&b"x"[..], b"m", b"C", b"s"]);
    assert_eq!(m.globals, [b"g"]);
    assert_eq!(m.sites.len(), 21);
    assert!(m.sites.iter().enumerate().all(|(i, s)| s.line as usize == i + 1));
    let f0 = &m.functions[0];
    assert_eq!(f0.values.len(), 30);
    assert_eq!(f0.value_type(Value(28)), Type::Bool);
    assert_eq!(f0.values[29].def, ValueDef::Param(Block(1), 0));
    let kinds: Vec<&InstKind> = f0.block(Block(0)).insts.iter().map(|&i| &f0.inst(i).kind).collect();
    assert_eq!(kinds[3], &InstKind::Number(1.5));
    assert_eq!(
        kinds[22],
        &InstKind::Invoke {
            obj: Value(19),
            name: StrId(1),
            args: vec![Value(2), Value(3)],
            site: SiteId(16)
        }
    );
    let f1 = &m.functions[1];
    assert_eq!((f1.kind, f1.arity, f1.ncaptures, f1.line), (FunctionKind::Method, 1, 2, 3));
    assert_eq!(m.functions[2].kind, FunctionKind::Initializer);
    // And once more from the printed text: a fixed point, exactly.
    assert_eq!(parse_ok(&print_module(&m)), m);
}

/// A module the builder makes without removing anything parses back equal.
#[test]
fn built_module_parses_back_equal() {
    let mut m = Module::new();
    let strings: Vec<&[u8]> = vec![
        b"",
        b"plain",
        b"quote \" and ' and \\",
        b"\0\t\r\n",
        b"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\xa6\x80",
        b"invalid \xff\xfe and \xc3 alone",
        b"\x7f\x01\x1b",
        b"e\xcc\x81 combining",
        b"; not a comment",
    ];
    let site = m.add_site(7);
    let g = m.global(b"weird \xff global");
    let mut b = FunctionBuilder::new(Function::new(b"\xffname".to_vec(), FunctionKind::Function, 1, 9));
    let entry = b.create_block();
    for _ in 0..3 {
        b.append_block_param(entry, Type::Val);
    }
    b.switch_to_block(entry);
    b.seal_block(entry);
    let mut last = Value(0);
    for s in &strings {
        let id = m.intern(s);
        last = b.ins_value(InstKind::Str(id));
    }
    for n in [
        0.0,
        -0.0,
        0.1,
        1e16,
        1e15,
        1.5e-7,
        5e-324,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::INFINITY,
        -f64::INFINITY,
    ] {
        b.ins_value(InstKind::Number(n));
    }
    let got = b.ins_value(InstKind::GetGlobal { global: g, site });
    let exit = b.create_block();
    let p = b.append_block_param(exit, Type::Val);
    let cond = b.ins_value(InstKind::Truthy(got));
    b.ins(InstKind::Branch {
        cond,
        then_dest: exit,
        then_args: vec![got],
        else_dest: exit,
        else_args: vec![last],
    });
    b.switch_to_block(exit);
    b.seal_block(exit);
    b.ins(InstKind::Return { value: p });
    m.functions.push(b.finish());
    verify_module(&m).unwrap();
    let text = print_module(&m);
    let parsed = parse_ok(&text);
    assert_eq!(parsed, m, "{text}");
    assert_eq!(print_module(&parsed), text);
    // Numbers come back bit for bit (`==` does not tell 0.0 from -0.0).
    let bits = |m: &Module| -> Vec<u64> {
        m.functions[0]
            .insts
            .iter()
            .filter_map(|d| match d.kind {
                InstKind::Number(n) => Some(n.to_bits()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(bits(&parsed), bits(&m));
}

#[test]
fn hand_written_function_with_comments_and_sparse_values() {
    let text = "
; a hand-written test
function f0 \"f\"(arity 1, captures 0, function, line 4) {   ; header
block0(v0: val, v1: val, v2: val):

    v10 = number 1.0          ; one
    v7 = add v2, v10 @3       ; no line given
    v20 = truthy v7
    branch v20, block5(v7), block2
block5(v30: val):
    return v30
block2:
    return v10
}
";
    let m = parse_ok(text);
    let f = &m.functions[0];
    // Numbers are kept; the gaps are detached values.
    assert_eq!(f.values.len(), 31);
    assert_eq!(f.layout, [Block(0), Block(5), Block(2)]);
    assert_eq!(f.blocks.len(), 6);
    assert_eq!(f.block(Block(5)).params, [Value(30)]);
    assert_eq!(f.value_type(Value(20)), Type::Bool);
    assert_eq!(m.sites, [Site { line: 0, at: None }; 4]);
    let printed = print_module(&m);
    assert!(
        printed
            .starts_with("sites 0, 0, 0, 0\n\nfunction f0 \"f\"(arity 1, captures 0, function, line 4) {\n")
    );
    assert!(printed.contains("    v7 = add v2, v10 @3  ; line 0\n    v20 = truthy v7\n"), "{printed}");
    assert_eq!(parse_ok(&printed), m);
}

#[test]
fn out_of_order_entry_params_are_renumbered() {
    let text = "function f0 \"f\"(arity 0, captures 0, function, line 1) {
block3(v5: val, v4: val):
    v1 = nil
    jump block1(v1)
block1(v0: val):
    return v4
}
";
    let m = parse_ok(text);
    let printed = print_module(&m);
    assert_eq!(
        printed,
        "function f0 \"f\"(arity 0, captures 0, function, line 1) {
block3(v0: val, v1: val):
    v2 = nil
    jump block1(v2)
block1(v3: val):
    return v1
}

"
    );
}

#[test]
fn very_sparse_numbers_are_renumbered() {
    let text = "function f0 \"f\"(arity 0, captures 0, function, line 1) {
block4000000000(v0: val, v1: val):
    v4000000000 = nil
    return v4000000000
}
";
    let m = parse_ok(text);
    let f = &m.functions[0];
    assert_eq!(f.values.len(), 3);
    assert_eq!(f.blocks.len(), 1);
    assert!(print_module(&m).contains("block0(v0: val, v1: val):\n    v2 = nil\n    return v2\n"));
}

#[test]
fn tables_come_first_and_body_entries_are_added() {
    let text = "strings \"b\"
sites 5

function f0 \"\"(arity 0, captures 0, script, line 1) {
block0(v0: val, v1: val):
    v2 = string \"a\"
    v3 = string \"b\"
    v4 = get_prop v3, \"a\" @2  ; line 8
    return v4
}
";
    let m = parse_ok(text);
    assert_eq!(m.strings, [b"b", b"a"]);
    assert_eq!(m.sites, [Site { line: 5, at: None }, Site { line: 0, at: None }, Site { line: 8, at: None }]);
}

#[test]
fn parse_function_appends_to_a_module() {
    let mut m = parse_ok(ALL_KINDS);
    let before = m.clone();
    let id = parse_function(
        &mut m,
        "function f3 \"g\"(arity 0, captures 0, function, line 30) {
block0(v0: val, v1: val):
    v2 = get_prop v1, \"new\" @21  ; line 30
    v3 = closure f3[]
    return v2
}",
    )
    .unwrap();
    assert_eq!(id, FuncId(3));
    assert_eq!(m.strings.last().unwrap(), b"new");
    assert_eq!(m.sites.last(), Some(&Site { line: 30, at: None }));
    verify_module(&m).unwrap();
    // Errors leave the module alone.
    let mut m2 = before.clone();
    let e =
        parse_function(&mut m2, "function f9 \"g\"(arity 0, captures 0, function, line 1) {\n}").unwrap_err();
    assert_eq!(e.line, 1);
    assert_eq!(m2, before);
    let e = parse_function(&mut m2, "strings \"a\"\n").unwrap_err();
    assert!(e.message.contains("cannot be given here"), "{e}");
    let e = parse_function(&mut m2, "").unwrap_err();
    assert!(e.message.contains("expected a function"), "{e}");
    let two = "function f3 \"g\"(arity 0, captures 0, function, line 1) {
block0(v0: val, v1: val):
    return v1
}
function f4 \"h\"(arity 0, captures 0, function, line 1) {
block0(v0: val, v1: val):
    return v1
}";
    let e = parse_function(&mut m2, two).unwrap_err();
    assert_eq!((e.line, e.message.as_str()), (5, "expected exactly one function"));
    assert_eq!(m2, before);
}

#[test]
fn empty_text_is_an_empty_module() {
    assert_eq!(parse_ok(""), Module::new());
    assert_eq!(parse_ok("\n ; nothing\n\n"), Module::new());
}

const HEADER: &str =
    "function f0 \"f\"(arity 0, captures 0, function, line 1) {\nblock0(v0: val, v1: val):\n";

/// `HEADER` (lines 1-2), then `body` from line 3, then `}`.
fn func(body: &str) -> String {
    format!("{HEADER}{body}\n}}\n")
}

#[test]
fn errors_name_the_right_line() {
    assert_err(
        &func("    v2 = nil\n    v3 = frobnicate v2\n    return v2"),
        4,
        "unknown instruction 'frobnicate'",
    );
    assert_err(&func("    v2 = nil\n\n    return v9"), 5, "undefined value v9");
    assert_err(&func("    v2 = nil\n    jump block7"), 4, "undefined block block7");
    assert_err(&func("    jump block1\nblock1(v2: int):\n    return v2"), 4, "unknown type 'int'");
    assert_err(
        &func("    jump block1\nblock1(v2):\n    return v2"),
        4,
        "expected ':' after the parameter v2",
    );
    assert_err(&func("    v2 = nil\n    print v2"), 4, "block0 does not end with a terminator");
    assert_err(
        &func("    v2 = nil\n    print v2\nblock1:\n    return v2"),
        4,
        "block0 does not end with a terminator",
    );
    assert_err(&func("    jump block1\nblock1:"), 4, "block1 does not end with a terminator");
    assert_err(
        &func("    v2 = nil\n    return v2\n    print v2"),
        5,
        "instruction after the terminator of block0",
    );
    assert_err(
        &func("    v2 = nil\n    v2 = nil\n    return v2"),
        4,
        "v2 is defined twice (first on line 3)",
    );
    assert_err(&func("    v1 = nil\n    return v1"), 3, "v1 is defined twice (first on line 2)");
    assert_err(
        &func("    return v1\nblock0:\n    return v1"),
        4,
        "block0 is defined twice (first on line 2)",
    );
    assert_err(&func("    v2 = print v1\n    return v1"), 3, "'print' has no result, but v2 is assigned");
    assert_err(&func("    nil\n    return v1"), 3, "'nil' defines a value");
    assert_err(&func("    v2 = add v1, v0\n    return v2"), 3, "expected a site like @0, found end of line");
    assert_err(&func("    v2 = nil @3\n    return v2"), 3, "unexpected '@' at the end of the line");
    assert_err(&func("    v2 = add v1, v0 @ 3\n    return v2"), 3, "expected a site number after '@'");
    assert_err(
        &func("    v2 = add v1 v0 @3\n    return v2"),
        3,
        "expected ',' between the operands, found 'v0'",
    );
    assert_err(&func("    v2 = string \"abc\n    return v2"), 3, "unterminated string");
    assert_err(&func("    v2 = string \"a\\q\"\n    return v2"), 3, "unknown escape '\\q'");
    assert_err(&func("    v2 = string \"\\x4\"\n    return v2"), 3, "two hex digits");
    assert_err(&func("    v2 = string \"\\x+1\"\n    return v2"), 3, "two hex digits");
    assert_err(&func("    v2 = string \"\\u{d800}\"\n    return v2"), 3, "is not a character");
    assert_err(&func("    v2 = string \"\\u{1234567}\"\n    return v2"), 3, "hex digits");
    assert_err(&func("    v2 = number 1.2.3\n    return v2"), 3, "'1.2.3' is not a number");
    assert_err(&func("    v2 = bool maybe\n    return v2"), 3, "expected true or false");
    assert_err(&func("    v2 = load_capture 99999999999\n    return v2"), 3, "too large");
    assert_err(&func("    v2 = closure f7[]\n    return v2"), 3, "closure of undefined function f7");
    assert_err(&func("    v2 = x\n    return v2"), 3, "unknown instruction 'x'");
    assert_err(&func("    x = nil\n    return v2"), 3, "expected a value like v0, found 'x'");
    assert_err(&func("    = nil\n    return v2"), 3, "expected a value like v0, found '='");
    assert_err(&func("    v99999999999 = nil\n    return v1"), 3, "too large");
    assert_err(&func("    return v1 v1"), 3, "unexpected 'v1' at the end of the line");
    assert_err(
        &func(
            "    v2 = get_global \"g\" @0  ; line 3\n    v3 = get_global \"g\" @0  ; line 4\n    return v2",
        ),
        4,
        "site @0 is on line 3, not line 4",
    );
    assert_err(
        &func("    v2 = get_global \"g\" @99999999\n    return v2"),
        3,
        "too far beyond the sites table",
    );
    assert_err(
        "function f0 \"f\"(arity 0, captures 0, function, line 1) {\n    return v1\n}\n",
        2,
        "expected a block label",
    );
    assert_err("function f0 \"f\"(arity 0, captures 0, function, line 1) {\n}\n", 2, "f0 has no blocks");
    assert_err(HEADER, 2, "no closing '}'");
    assert_err(
        &format!("{HEADER}    return v1\n{HEADER}"),
        4,
        "f0 (line 1) has no closing '}' before the next function",
    );
    assert_err(&format!("{HEADER}    return v1\n"), 3, "no closing '}'");
    assert_err(
        "function f1 \"f\"(arity 0, captures 0, function, line 1) {\n",
        1,
        "expected function f0 here",
    );
    assert_err(
        "function f0 \"f\"(arity 0, captures 0, lambda, line 1) {\n",
        1,
        "unknown function kind 'lambda'",
    );
    assert_err(
        "function f0 \"f\"(arity x, captures 0, function, line 1) {\n",
        1,
        "expected the arity, found 'x'",
    );
    assert_err(
        "function f0 \"f\"(arity 0, captures 0, function, line 1)\n",
        1,
        "expected '{' after the function header",
    );
    assert_err("function f0 f(arity 0, captures 0, function, line 1) {\n", 1, "expected a string, found 'f'");
    assert_err("\n\nblock0:\n", 3, "expected 'function', found 'block0'");
    assert_err("}\n", 1, "expected 'function', found '}'");
    assert_err(
        &format!("{}\nstrings \"a\"\n", func("    return v1")),
        6,
        "must come before the first function",
    );
    assert_err("sites 1\nsites 2\n", 2, "the 'sites' table is given twice");
    assert_err("strings \"a\", \"a\"\n", 1, "\"a\" is twice in the strings table");
    assert_err("globals \"a\" \"b\"\n", 1, "expected ',' between table entries");
    assert_err("sites 1, x\n", 1, "expected a site's line, found 'x'");
}

#[test]
fn site_comments_other_than_lines_are_ignored() {
    let m = parse_ok(&func("    v2 = get_global \"g\" @0  ; lines up nicely\n    return v2"));
    assert_eq!(m.sites, [Site { line: 0, at: None }]);
    assert_eq!(site_line_comment(" line 12"), Some(12));
    assert_eq!(site_line_comment("line12 "), Some(12));
    assert_eq!(site_line_comment(" line 12 and more"), None);
    assert_eq!(site_line_comment(" line"), None);
}

/// The golden files of `brine emit ir` read back to the same text.
#[test]
fn golden_files_round_trip() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/ir");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ir") {
            let text = std::fs::read_to_string(&path).unwrap();
            let m = parse_ok(&text);
            assert_eq!(print_module(&m), text, "{}", path.display());
            count += 1;
        }
    }
    assert!(count > 0, "no golden files in {}", dir.display());
}

#[test]
fn remainder_and_its_float_form_round_trip() {
    let text = "sites 1

function f0 \"f\"(arity 2, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val, v3: val):
    v4 = mod v2, v3 @0  ; line 1
    v5 = unbox v2
    v6 = unbox v3
    v7 = fmod v5, v6
    v8 = box_num v7
    return v8
}

";
    let m = parse_ok(text);
    assert_eq!(print_module(&m), text);
    let f = &m.functions[0];
    let kinds: Vec<&InstKind> = f.block(Block(0)).insts.iter().map(|&i| &f.inst(i).kind).collect();
    assert_eq!(
        kinds[0],
        &InstKind::Binary { op: BinaryOp::Mod, lhs: Value(2), rhs: Value(3), site: SiteId(0) }
    );
    assert_eq!(kinds[3], &InstKind::Float { op: BinaryOp::Mod, lhs: Value(5), rhs: Value(6) });
    assert_eq!(f.value_type(Value(7)), Type::F64);
}
