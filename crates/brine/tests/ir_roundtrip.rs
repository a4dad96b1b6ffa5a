//! IR round trips: every program of `tests/ir/*.lox`, `tests/lox/**/*.lox`
//! and `bench/*.lox` that compiles is lowered, printed and parsed back, and
//! the parsed module must print the same text, pass the verifier, have the
//! same tables, functions, blocks, value numbers and instructions as the
//! lowered one, and be a fixed point of printing and parsing. Each lowered
//! module also goes through the binary encoding (`brine_ir::binary`) and
//! must come back equal, field for field.

use brine_ir::parser::parse_module;
use brine_ir::printer::print_module;
use brine_ir::{Function, Module, Value, ValueDef, verifier};
use std::path::{Path, PathBuf};

fn lox_files(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if recursive {
                lox_files(&path, true, out);
            }
        } else if path.extension().is_some_and(|e| e == "lox") {
            out.push(path);
        }
    }
}

/// Every value a function's text mentions: block params, results, operands.
fn mentioned_values(f: &Function) -> Vec<Value> {
    let mut values = Vec::new();
    for &b in &f.layout {
        values.extend_from_slice(&f.block(b).params);
        for &i in &f.block(b).insts {
            let data = f.inst(i);
            values.extend(data.result);
            data.kind.for_each_arg(|v| values.push(v));
        }
    }
    values
}

/// What the text of a function determines, compared between the lowered and
/// the parsed function (instruction ids, detached values and empty blocks
/// outside the layout are not in the text).
fn compare_function(index: usize, original: &Function, parsed: &Function) -> Result<(), String> {
    let header = |f: &Function| (f.name.clone(), f.kind, f.arity, f.ncaptures, f.line);
    if header(original) != header(parsed) {
        return Err(format!("f{index}: header {:?} became {:?}", header(original), header(parsed)));
    }
    if original.layout != parsed.layout {
        return Err(format!("f{index}: layout {:?} became {:?}", original.layout, parsed.layout));
    }
    for &b in &original.layout {
        let (ob, pb) = (original.block(b), parsed.block(b));
        if ob.params != pb.params {
            return Err(format!("f{index} {b}: params {:?} became {:?}", ob.params, pb.params));
        }
        let insts = |f: &Function, ids: &[brine_ir::Inst]| -> Vec<String> {
            // Debug, not ==: it tells -0.0 from 0.0, and NaN from nothing.
            ids.iter().map(|&i| format!("{:?}", f.inst(i))).collect()
        };
        let (oi, pi) = (insts(original, &ob.insts), insts(parsed, &pb.insts));
        if oi != pi {
            return Err(format!("f{index} {b}: instructions\n{oi:#?}\nbecame\n{pi:#?}"));
        }
        for (i, &p) in pb.params.iter().enumerate() {
            if parsed.values[p.index()].def != ValueDef::Param(b, i as u32) {
                return Err(format!(
                    "f{index} {b}: param {p} has definition {:?}",
                    parsed.values[p.index()].def
                ));
            }
        }
        for &i in &pb.insts {
            if let Some(r) = parsed.inst(i).result
                && parsed.values[r.index()].def != ValueDef::Result(i)
            {
                return Err(format!(
                    "f{index} {b}: result {r} has definition {:?}",
                    parsed.values[r.index()].def
                ));
            }
        }
    }
    for v in mentioned_values(original) {
        if original.value_type(v) != parsed.value_type(v) {
            return Err(format!(
                "f{index}: {v} has type {:?}, parsed {:?}",
                original.value_type(v),
                parsed.value_type(v)
            ));
        }
    }
    // Values are numbered as in the lowered function: the parsed one has the
    // same numbers, up to the highest one the text shows.
    let highest = mentioned_values(original).iter().map(|v| v.index() + 1).max().unwrap_or(0);
    if parsed.values.len() != highest || original.values.len() < highest {
        return Err(format!(
            "f{index}: {} values lowered, {} parsed, highest in the text v{}",
            original.values.len(),
            parsed.values.len(),
            highest.saturating_sub(1)
        ));
    }
    Ok(())
}

fn check_round_trip(original: &Module) -> Result<(), String> {
    let text = print_module(original);
    let parsed = parse_module(&text).map_err(|e| format!("parse error: {e}"))?;
    let reprinted = print_module(&parsed);
    if reprinted != text {
        let line = text.lines().zip(reprinted.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
        return Err(format!("the parsed module prints differently (from line {line})"));
    }
    if let Err(errors) = verifier::verify_module(&parsed) {
        return Err(format!("the parsed module fails the verifier: {errors:?}"));
    }
    if original.strings != parsed.strings
        || original.globals != parsed.globals
        || original.sites != parsed.sites
    {
        return Err("the tables differ".into());
    }
    if original.functions.len() != parsed.functions.len() {
        return Err(format!("{} functions became {}", original.functions.len(), parsed.functions.len()));
    }
    for (i, (o, p)) in original.functions.iter().zip(&parsed.functions).enumerate() {
        compare_function(i, o, p)?;
    }
    // Printing and parsing the parsed module changes nothing at all.
    let again = parse_module(&reprinted).map_err(|e| format!("second parse error: {e}"))?;
    let same = if format!("{:?}", parsed.functions) == format!("{:?}", again.functions) {
        again.strings == parsed.strings && again.globals == parsed.globals && again.sites == parsed.sites
    } else {
        false
    };
    if !same {
        return Err("parsing the parsed module's text gives a different module".into());
    }
    Ok(())
}

#[test]
fn lowered_modules_round_trip_through_text() {
    // Lowering deep expressions recurses: run on a big stack, as `brine` does.
    let handle = std::thread::Builder::new().stack_size(256 << 20).spawn(run).unwrap();
    handle.join().unwrap();
}

fn run() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    lox_files(&root.join("tests/ir"), false, &mut files);
    let golden = files.len();
    lox_files(&root.join("tests/lox"), true, &mut files);
    lox_files(&root.join("bench"), false, &mut files);
    assert!(golden > 0 && files.len() > golden + 100, "too few programs: {}", files.len());

    let (mut compiled, mut rejected, mut functions, mut binary_ok) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for path in &files {
        let source = std::fs::read(path).unwrap();
        let Ok((ast, resolution)) = brine_frontend::check(&source) else {
            rejected += 1;
            continue;
        };
        let mut module = Module::new();
        brine_frontend::lower::lower(&ast, &resolution, &mut module);
        verifier::verify_module(&module)
            .unwrap_or_else(|e| panic!("{}: lowered IR fails: {e:?}", path.display()));
        compiled += 1;
        functions += module.functions.len();
        if let Err(e) = check_round_trip(&module) {
            failures.push(format!("{}: {e}", path.display()));
        }
        match brine_ir::binary::decode(&brine_ir::binary::encode(&module)) {
            // The functions by Debug, not ==: it tells -0.0 from 0.0, and
            // NaN from nothing. (The module's own Debug shows hash maps.)
            Ok(decoded)
                if format!("{:?}", decoded.functions) == format!("{:?}", module.functions)
                    && (&decoded.strings, &decoded.globals, &decoded.sites, decoded.library)
                        == (&module.strings, &module.globals, &module.sites, module.library) =>
            {
                binary_ok += 1
            }
            Ok(_) => {
                failures.push(format!("{}: the binary encoding decodes into another module", path.display()))
            }
            Err(e) => failures.push(format!("{}: binary: {e}", path.display())),
        }
    }
    eprintln!(
        "ir_roundtrip: {compiled} programs ({functions} functions) round-tripped, {rejected} with compile errors skipped"
    );
    assert!(
        failures.is_empty(),
        "{} of {compiled} programs do not round-trip:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(compiled > 100, "only {compiled} programs compiled");
    assert_eq!(binary_ok, compiled, "every program round-trips through the binary encoding");
}
