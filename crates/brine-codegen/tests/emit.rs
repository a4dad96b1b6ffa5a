//! `brine emit clif` and `brine emit asm` text, on small hand-built modules.

use brine_codegen::Links;
use brine_codegen::emit::{asm_text, clif_text};
use brine_ir::builder::FunctionBuilder;
use brine_ir::{BinaryOp, FuncId, Function, FunctionKind, GlobalId, InstKind, Module, StrId, Type};
use cranelift_codegen::ir::{InstBuilder, Value, types};
use cranelift_frontend::FunctionBuilder as ClBuilder;

/// Placeholders for the module's constants: each id's index.
struct IndexLinks;

impl Links for IndexLinks {
    fn string(&self, b: &mut ClBuilder, id: StrId) -> Value {
        b.ins().iconst(types::I64, id.index() as i64)
    }
    fn function(&self, b: &mut ClBuilder, id: FuncId) -> Value {
        b.ins().iconst(types::I64, id.index() as i64)
    }
    fn global_slot(&self, b: &mut ClBuilder, id: GlobalId) -> Value {
        b.ins().iconst(types::I64, id.index() as i64)
    }
    fn cache(&self, b: &mut ClBuilder, site: brine_ir::SiteId) -> Value {
        b.ins().iconst(types::I64, site.index() as i64)
    }
}

/// `fun add(a, b) { return a + b; } print add(1, 2);`
fn add_module() -> Module {
    let mut m = Module::new();
    let script = m.declare_function(Vec::new(), FunctionKind::Script, 0, 1);
    let add = m.declare_function(b"add".to_vec(), FunctionKind::Function, 2, 1);
    let add_site = m.add_site(1);
    let call_site = m.add_site(2);

    let mut b = FunctionBuilder::new(Function::new(b"add".to_vec(), FunctionKind::Function, 2, 1));
    let entry = b.create_block();
    b.append_block_param(entry, Type::Val);
    b.append_block_param(entry, Type::Val);
    let x = b.append_block_param(entry, Type::Val);
    let y = b.append_block_param(entry, Type::Val);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let sum = b.ins_value(InstKind::Binary { op: BinaryOp::Add, lhs: x, rhs: y, site: add_site });
    b.ins(InstKind::Return { value: sum });
    m.define_function(add, b.finish());

    let mut b = FunctionBuilder::new(Function::new(Vec::new(), FunctionKind::Script, 0, 1));
    let entry = b.create_block();
    b.append_block_param(entry, Type::Val);
    b.append_block_param(entry, Type::Val);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let closure = b.ins_value(InstKind::Closure { func: add, captures: vec![] });
    let one = b.ins_value(InstKind::Number(1.0));
    let two = b.ins_value(InstKind::Number(2.0));
    let r = b.ins_value(InstKind::Call { callee: closure, args: vec![one, two], site: call_site });
    b.ins(InstKind::Print { value: r });
    let nil = b.ins_value(InstKind::Nil);
    b.ins(InstKind::Return { value: nil });
    m.define_function(script, b.finish());

    if let Err(errors) = brine_ir::verifier::verify_module(&m) {
        panic!("{errors:?}");
    }
    m
}

/// The text of function `n`: from its header to the next one.
fn section<'a>(text: &'a str, header: &str) -> &'a str {
    let start = text.find(header).unwrap_or_else(|| panic!("no `{header}` in:\n{text}"));
    let rest = &text[start + header.len()..];
    let end = rest.find("\n; f").map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

#[test]
fn clif_has_headers_in_function_order() {
    let text = clif_text(&add_module(), &IndexLinks).unwrap();
    let script = text.find("; f0 \"\" (script, arity 0)").expect(&text);
    let add = text.find("; f1 \"add\" (function, arity 2)").expect(&text);
    assert!(script < add, "{text}");
    assert!(text.contains("function %f0("), "{text}");
    assert!(text.contains("function %f1("), "{text}");
}

#[test]
fn clif_shows_the_fast_path_the_helper_and_the_stack_check() {
    let text = clif_text(&add_module(), &IndexLinks).unwrap();
    let add = section(&text, "; f1 \"add\"");
    // (rt, callee, this, a, b) -> value
    assert!(add.contains("function %f1(i64, i64, i64, i64, i64) -> i64"), "{add}");
    assert!(add.contains("get_stack_pointer"), "{add}");
    assert!(add.contains("fadd"), "{add}");
    let decl = add.lines().find(|l| l.ends_with("; brine_add")).expect(add);
    let fn_ref = decl.trim().split(' ').next().unwrap();
    assert!(add.contains(&format!("call {fn_ref}(")), "{add}");
    assert!(add.contains("; brine_stack_overflow"), "{add}");
    assert!(add.contains("; brine_trace"), "{add}");

    let script = section(&text, "; f0 \"\"");
    assert!(script.contains("; brine_closure"), "{script}");
    assert!(script.contains("; brine_call"), "{script}");
    assert!(script.contains("call_indirect"), "{script}");
    assert!(!script.contains("fadd"), "{script}");
}

#[cfg(target_arch = "x86_64")]
#[test]
fn asm_lists_instructions_with_offsets_and_named_helpers() {
    let text = asm_text(&add_module(), &IndexLinks).unwrap();
    let add = section(&text, "; f1 \"add\"");
    let lines: Vec<&str> = add.lines().skip(1).filter(|l| !l.trim_start().starts_with(';')).collect();
    assert!(!lines.is_empty(), "{text}");
    // Every line is `offset:  bytes  instruction`, offsets increasing from 0.
    let mut last = None;
    for line in &lines {
        let (offset, _) = line.split_once(':').expect(line);
        let offset = usize::from_str_radix(offset.trim(), 16).expect(line);
        assert!(last.is_none_or(|l| l < offset), "{add}");
        last = Some(offset);
    }
    assert!(lines[0].trim_start().starts_with("0:"), "{add}");
    let has =
        |m: &str| lines.iter().any(|l| l.contains(&format!("  {m} ")) || l.ends_with(&format!("  {m}")));
    assert!(has("ret"), "{add}");
    assert!(has("call") || has("jmp"), "{add}");
    assert!(add.contains("addsd "), "{add}");
    assert!(add.contains("; reloc Abs8 brine_add"), "{add}");
    assert!(add.contains("call r") && add.contains("  ; brine_add\n"), "{add}");
    assert!(add.contains("brine_stack_overflow"), "{add}");

    let script = section(&text, "; f0 \"\"");
    assert!(script.contains("brine_call"), "{script}");
    assert!(script.contains("brine_print"), "{script}");
}

#[cfg(not(target_arch = "x86_64"))]
#[test]
fn asm_says_disassembly_is_unsupported() {
    let text = asm_text(&add_module(), &IndexLinks).unwrap();
    assert!(text.contains("disassembly is not supported on this host"), "{text}");
    assert!(text.contains("brine_add"), "{text}");
}

#[test]
fn an_empty_module_has_no_text() {
    assert_eq!(clif_text(&Module::new(), &IndexLinks).unwrap(), "");
    assert_eq!(asm_text(&Module::new(), &IndexLinks).unwrap(), "");
}
