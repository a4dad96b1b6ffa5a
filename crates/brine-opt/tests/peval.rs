//! The partial evaluator on IR text: an interpreter's function in, the
//! function specialized to a guest program out, with the guest's frozen
//! lists given by a test heap.

use brine_ir::parser::parse_module;
use brine_ir::printer::print_function_text;
use brine_ir::{FuncId, GlobalId, StrId};
use brine_opt::peval::{Const, Heap, LIMITS, Limits, specialize};
use std::collections::HashMap;

/// Frozen lists by their (made-up) bits, and the specializations asked for.
#[derive(Default)]
struct TestHeap {
    lists: HashMap<u64, Vec<Const>>,
    globals: HashMap<u32, Const>,
    /// The IR function of each closure the globals hold.
    functions: HashMap<u64, FuncId>,
    asked: Vec<(u64, Vec<Const>)>,
}

impl Heap for TestHeap {
    fn index(&self, obj: u64, index: f64) -> Option<Const> {
        self.lists.get(&obj)?.get(index as usize).copied().filter(|_| index.fract() == 0.0 && index >= 0.0)
    }
    fn field(&self, _: u64, _: StrId) -> Option<Const> {
        None
    }
    fn global(&self, global: GlobalId) -> Option<Const> {
        self.globals.get(&global.0).copied()
    }
    fn equal(&self, a: Const, b: Const) -> bool {
        a == b
    }
    fn function(&self, closure: u64) -> Option<FuncId> {
        self.functions.get(&closure).copied()
    }
    fn specialization(&mut self, callee: u64, consts: &[Const]) -> Option<u64> {
        let request = (callee, consts.to_vec());
        let i = match self.asked.iter().position(|r| *r == request) {
            Some(i) => i,
            None => {
                self.asked.push(request);
                self.asked.len() - 1
            }
        };
        Some(0x9001 + i as u64)
    }
}

const CODE: u64 = 0x1000;
const CALLEE: u64 = 0x2000;

fn list(items: &[f64]) -> Vec<Const> {
    items.iter().map(|&n| Const::Number(n)).collect()
}

/// Specializes function f0 of `text` to the frozen list `code`.
fn specialize_text(text: &str, code: &[f64], limits: Limits) -> Result<(String, usize), String> {
    let mut module = parse_module(text).unwrap_or_else(|e| panic!("{e}"));
    let mut heap = TestHeap::default();
    heap.lists.insert(CODE, list(code));
    let func = module.function(FuncId(0));
    let s = specialize(&module, func, CALLEE, &[Const::Object(CODE)], &mut heap, limits)?;
    let id = module.declare_function(s.func.name.clone(), s.func.kind, s.func.arity, s.func.line);
    module.define_function(id, s.func);
    let text = print_function_text(&module, id);
    if let Err(e) = brine_ir::verifier::verify_function_in(&module, module.function(id)) {
        panic!("the residual function does not verify: {e:?}\n{text}");
    }
    Ok((text, s.copies))
}

/// ```lox
/// fun run(code, x) {
///   var pc = 0;
///   brine.pushContext(pc);
///   while (true) {
///     var op = code[pc];
///     if (op == 0) {           // add the next operand to x
///       x = x + code[pc + 1];
///       pc = pc + 2;
///       brine.updateContext(pc);
///     } else {                 // anything else: return x
///       brine.popContext();
///       return x;
///     }
///   }
/// }
/// ```
const ADDER: &str = "sites 3, 5, 6, 7, 7, 7, 8, 9, 11
function f0 \"run\"(arity 2, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val, v3: val):
    v4 = number 0.0
    v5 = intrinsic push_context(v4) @0  ; line 3
    jump block1(v4, v3)
block1(v9: val, v14: val):
    v6 = bool true
    v7 = truthy v6
    branch v7, block2, block3
block2:
    v10 = get_index v2, v9 @1  ; line 5
    v11 = number 0.0
    v12 = eq v10, v11 @2  ; line 6
    v13 = truthy v12
    branch v13, block4, block5
block3:
    v29 = nil
    return v29
block4:
    v15 = number 1.0
    v16 = add v9, v15 @3  ; line 7
    v17 = get_index v2, v16 @4  ; line 7
    v18 = add v14, v17 @5  ; line 7
    v19 = number 2.0
    v20 = add v9, v19 @6  ; line 8
    v21 = intrinsic update_context(v20) @7  ; line 9
    jump block6
block5:
    v22 = intrinsic pop_context() @8  ; line 11
    return v14
block6:
    jump block1(v20, v18)
}
";

#[test]
fn the_adder_becomes_straight_line_code() {
    let (text, copies) = specialize_text(ADDER, &[0.0, 5.0, 0.0, 7.0, 1.0], LIMITS).unwrap();
    println!("{text}");
    assert_eq!(
        text,
        "function f1 \"run\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = number 5.0
    v4 = add v2, v3 @5  ; line 7
    v5 = number 7.0
    v6 = add v4, v5 @5  ; line 7
    return v6
}
"
    );
    // The entry, and for each of the three instructions the loop header
    // and the test of the opcode, and the handler's two blocks.
    assert_eq!(copies, 12);
}

/// Compiles `source`, and specializes its global function `name` to the
/// constants: the residual function's text, or why not.
fn specialize_lox(
    source: &str,
    name: &str,
    consts: &[Const],
    heap: &mut TestHeap,
    limits: Limits,
) -> Result<String, String> {
    let mut module = brine_ir::Module::new();
    brine_frontend::compile(source.as_bytes(), &mut module).unwrap_or_else(|e| panic!("{e:?}"));
    let id = (0..module.functions.len())
        .map(FuncId::new)
        .find(|&id| module.function(id).name == name.as_bytes())
        .expect("the function");
    let s = specialize(&module, module.function(id), CALLEE, consts, heap, limits)?;
    let out = module.declare_function(s.func.name.clone(), s.func.kind, s.func.arity, s.func.line);
    module.define_function(out, s.func);
    let text = print_function_text(&module, out);
    if let Err(e) = brine_ir::verifier::verify_function_in(&module, module.function(out)) {
        panic!("the residual function does not verify: {e:?}\n{text}");
    }
    Ok(text)
}

/// A register machine (the README's tutorial program, whose guest the
/// tests replace): `0 r k` sets register r to k, `1 r s` adds register s
/// to r, `2 r k t` jumps to t when register r < k, `3 r` returns register
/// r. Register 0 starts as the argument.
const REGISTER_VM: &str = include_str!("../../../examples/register_vm.lox");

fn vm_heap(code: &[f64]) -> TestHeap {
    let mut heap = TestHeap::default();
    heap.lists.insert(CODE, list(code));
    heap
}

#[test]
fn a_guest_loop_becomes_a_loop_with_its_registers_in_ssa_values() {
    // r1 = 1; loop: r0 = r0 + r1; if r0 < 100 goto loop; return r0
    let code = [0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 2.0, 0.0, 100.0, 3.0, 3.0, 0.0];
    let mut heap = vm_heap(&code);
    let text = specialize_lox(REGISTER_VM, "run", &[Const::Object(CODE)], &mut heap, LIMITS).unwrap();
    println!("{text}");
    // No loads of the program, no register file, no dispatch: the loop
    // adds and compares register 0 (a block parameter).
    for absent in ["get_index", "intrinsic", "eq "] {
        assert!(!text.contains(absent), "{absent} in\n{text}");
    }
    assert_eq!(text.matches(" = add ").count(), 1, "{text}");
    assert_eq!(text.matches(" = lt ").count(), 1, "{text}");
    assert!(text.contains("number 100.0"), "{text}");
}

/// An adder whose op 1 jumps to a run-time target.
const RUN_TIME_JUMP: &str = "
fun run(code, x, target) {
  var pc = 0;
  brine.pushContext(pc);
  while (true) {
    var op = code[pc];
    if (op == 0) {
      x = x + code[pc + 1];
      pc = pc + 2;
      brine.updateContext(pc);
    } else if (op == 1) {
      pc = target;
      brine.updateContext(pc);
    } else {
      brine.popContext();
      return x;
    }
  }
}
";

#[test]
fn a_context_known_only_at_run_time_falls_back_to_the_generic_loop() {
    let mut heap = vm_heap(&[0.0, 1.0, 1.0, 2.0]);
    let text = specialize_lox(RUN_TIME_JUMP, "run", &[Const::Object(CODE)], &mut heap, LIMITS).unwrap();
    // The first instruction is compiled (x + 1 with the constant); after
    // the jump, the dispatch loop runs as written: it loads opcodes.
    assert!(text.contains("number 1.0"), "{text}");
    assert!(text.contains("get_index"), "{text}");
    // The compiled add; then the generic loop's pc + 1, x + code[pc + 1]
    // and pc + 2.
    assert_eq!(text.matches(" = add ").count(), 4, "{text}");
}

#[test]
fn contexts_that_never_repeat_run_out_of_budget() {
    let source = "
fun run(code, n) {
  var pc = 0;
  brine.pushContext(pc);
  while (pc < n) {
    pc = pc + 1;
    brine.updateContext(pc);
  }
  return pc;
}
";
    let mut heap = vm_heap(&[]);
    let limits = Limits { copies: 200, insts: 10_000 };
    let err = specialize_lox(source, "run", &[Const::Object(CODE)], &mut heap, limits).unwrap_err();
    assert!(err.contains("budget of 200 block copies"), "{err}");
    // Without contexts, the same loop is one loop: pc merges into a
    // run-time value.
    let plain = source.replace("brine.pushContext(pc);", "").replace("brine.updateContext(pc);", "");
    let text = specialize_lox(&plain, "run", &[Const::Object(CODE)], &mut heap, limits).unwrap();
    assert_eq!(text.matches(" = lt ").count(), 1, "{text}");
}

#[test]
fn specialize_value_gives_each_case_a_constant() {
    let source = "
fun pick(code, x) {
  var k = brine.specializeValue(x, 0, 2);
  return code[k];
}
";
    let mut heap = vm_heap(&[10.0, 20.0, 30.0]);
    let text = specialize_lox(source, "pick", &[Const::Object(CODE)], &mut heap, LIMITS).unwrap();
    // Three tests of x, each case returning its element; the default
    // indexes at run time.
    assert_eq!(text.matches(" = eq ").count(), 3, "{text}");
    for n in ["10.0", "20.0", "30.0"] {
        assert!(text.contains(&format!("number {n}")), "{n}:\n{text}");
    }
    assert_eq!(text.matches("get_index").count(), 1, "{text}");
}

#[test]
fn a_call_with_the_guest_program_is_a_call_of_a_specialization() {
    let source = "
fun run(code, pc, x) {
  brine.pushContext(pc);
  while (true) {
    var op = code[pc];
    if (op == 0) {
      x = run(code, code[pc + 1], x) * 2;
      pc = pc + 2;
      brine.updateContext(pc);
    } else {
      brine.popContext();
      return x + code[pc + 1];
    }
  }
}
";
    let mut module = brine_ir::Module::new();
    brine_frontend::compile(source.as_bytes(), &mut module).unwrap();
    let run_global = module.global_id(b"run").unwrap();
    // call the function at 3 and double; return x + 1 | return x + 5
    let mut heap = vm_heap(&[0.0, 3.0, 1.0, 1.0, 1.0, 5.0]);
    heap.globals.insert(run_global.0, Const::Object(CALLEE));
    let text =
        specialize_lox(source, "run", &[Const::Object(CODE), Const::Number(0.0)], &mut heap, LIMITS).unwrap();
    assert_eq!(heap.asked, vec![(CALLEE, vec![Const::Object(CODE), Const::Number(3.0)])]);
    assert!(text.contains("object 0x9001"), "{text}");
    assert!(!text.contains("get_index"), "{text}");
}

/// `source` without its context annotations.
fn without_contexts(source: &str) -> String {
    source
        .lines()
        .filter(|l| !["pushContext", "updateContext", "popContext"].iter().any(|c| l.contains(c)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn without_annotations_the_dispatch_loop_is_found() {
    let code = [0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 2.0, 0.0, 100.0, 3.0, 3.0, 0.0];
    let annotated =
        specialize_lox(REGISTER_VM, "run", &[Const::Object(CODE)], &mut vm_heap(&code), LIMITS).unwrap();
    let bare = without_contexts(REGISTER_VM);
    assert!(!bare.contains("Context"));
    let found = specialize_lox(&bare, "run", &[Const::Object(CODE)], &mut vm_heap(&code), LIMITS).unwrap();
    // The same loop, up to the numbers of the values.
    let shape =
        |t: &str| t.lines().map(|l| l.split(" = ").last().unwrap_or(l).to_string()).collect::<Vec<_>>();
    assert_eq!(found.matches(" = add ").count(), 1, "{found}");
    assert!(!found.contains("get_index"), "{found}");
    assert_eq!(shape(&found).len(), shape(&annotated).len(), "annotated:\n{annotated}\nfound:\n{found}");
}

#[test]
fn the_interpreters_helpers_are_inlined_and_their_loads_fold() {
    let source = "
fun operand(code, pc, k) { return code[pc + k]; }
fun run(code, acc) {
  var pc = 0;
  brine.pushContext(pc);
  while (true) {
    var op = operand(code, pc, 0);
    if (op == 0) {
      acc = acc + operand(code, pc, 1);
      pc = pc + 2;
      brine.updateContext(pc);
    } else {
      brine.popContext();
      return acc;
    }
  }
}
";
    let mut module = brine_ir::Module::new();
    brine_frontend::compile(source.as_bytes(), &mut module).unwrap();
    let operand = module.global_id(b"operand").unwrap();
    let operand_fn = (0..module.functions.len())
        .map(FuncId::new)
        .find(|&id| module.function(id).name == b"operand")
        .unwrap();
    let mut heap = vm_heap(&[0.0, 5.0, 0.0, 7.0, 1.0]);
    heap.globals.insert(operand.0, Const::Object(0x3000));
    heap.functions.insert(0x3000, operand_fn);
    let text = specialize_lox(source, "run", &[Const::Object(CODE)], &mut heap, LIMITS).unwrap();
    assert!(!text.contains("get_index") && !text.contains("call"), "{text}");
    assert!(text.contains("number 5.0") && text.contains("number 7.0"), "{text}");
    // The inlined call is named, for traces.
    assert!(text.contains("inlined in0:"), "{text}");
    // Without the helper known, the opcode is a run-time value: every
    // program counter looks reachable, and the budget ends it.
    let limits = Limits { copies: 300, insts: 10_000 };
    let err = specialize_lox(source, "run", &[Const::Object(CODE)], &mut vm_heap(&[0.0, 5.0, 1.0]), limits)
        .unwrap_err();
    assert!(err.contains("budget"), "{err}");
}
