//! The optimizer's passes on IR text: a function in, the optimized
//! function out, with the observations given by a test oracle.

use brine_ir::parser::parse_module;
use brine_ir::printer::print_module;
use brine_ir::{FuncId, Module, SiteId};
use brine_opt::{CallTarget, Field, Operands, Oracle};
use std::collections::HashMap;

/// Operands by site; a site it does not name was never reached. And the
/// fields property sites found, and the methods invoke sites called.
struct Seen(
    HashMap<u32, Operands>,
    HashMap<u32, Field>,
    HashMap<u32, brine_opt::Method>,
    HashMap<u32, CallTarget>,
    HashMap<u32, Vec<brine_opt::Method>>,
    HashMap<u32, brine_opt::IndexTarget>,
);

impl Oracle for Seen {
    fn operands(&self, site: SiteId) -> Operands {
        self.0.get(&site.0).copied().unwrap_or_default()
    }
    fn field(&self, site: SiteId) -> Option<Field> {
        self.1.get(&site.0).copied()
    }
    fn method(&self, site: SiteId) -> Option<brine_opt::Method> {
        self.2.get(&site.0).copied()
    }
    fn fields(&self, _: SiteId) -> Vec<Field> {
        Vec::new()
    }
    fn methods(&self, site: SiteId) -> Vec<brine_opt::Method> {
        self.4.get(&site.0).cloned().unwrap_or_default()
    }
    fn super_method(&self, _: SiteId) -> Option<(u64, brine_opt::Method)> {
        None
    }
    fn callee(&self, site: SiteId) -> Option<CallTarget> {
        self.3.get(&site.0).copied()
    }
    fn index(&self, site: SiteId) -> Option<brine_opt::IndexTarget> {
        self.5.get(&site.0).copied()
    }
}

const NUMBERS: Operands = Operands { numbers: true, other: false };
const MIXED: Operands = Operands { numbers: true, other: true };

/// `for (var i = 0; i < n; i = i + 1) total = total + i;`
const SUM: &str = "sites 3, 4, 3
function f0 \"sum\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = number 0.0
    v4 = number 0.0
    jump block1(v4, v3)
block1(v5: val, v9: val):
    v7 = lt v5, v2 @0  ; line 3
    v8 = truthy v7
    branch v8, block2, block3
block2:
    v10 = add v9, v5 @1  ; line 4
    v11 = number 1.0
    v12 = add v5, v11 @2  ; line 3
    jump block1(v12, v10)
block3:
    return v9
}
";

/// The same loop, with the total starting from an argument, so that
/// nothing proves it is a number.
const SUM_FROM: &str = "sites 3, 4, 3
function f0 \"sum\"(arity 2, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val, v3: val):
    v4 = number 0.0
    jump block1(v4, v3)
block1(v5: val, v9: val):
    v7 = lt v5, v2 @0  ; line 3
    v8 = truthy v7
    branch v8, block2, block3
block2:
    v10 = add v9, v5 @1  ; line 4
    v11 = number 1.0
    v12 = add v5, v11 @2  ; line 3
    jump block1(v12, v10)
block3:
    return v9
}
";

/// Optimizes the only function of `text` and prints the result as a module.
fn optimize(text: &str, seen: &[(u32, Operands)]) -> String {
    optimize_with_fields(text, seen, &[])
}

fn optimize_with_fields(text: &str, seen: &[(u32, Operands)], fields: &[(u32, Field)]) -> String {
    optimize_with(text, seen, fields, &[], &[])
}

fn optimize_with(
    text: &str,
    seen: &[(u32, Operands)],
    fields: &[(u32, Field)],
    methods: &[(u32, brine_opt::Method)],
    calls: &[(u32, CallTarget)],
) -> String {
    let oracle = Seen(
        seen.iter().copied().collect(),
        fields.iter().copied().collect(),
        methods.iter().copied().collect(),
        calls.iter().copied().collect(),
        HashMap::new(),
        HashMap::new(),
    );
    optimize_seen(text, &oracle)
}

/// Optimizes the first function of `text` with what `oracle` saw, checks
/// the result (it verifies, and its text parses back to itself), and
/// prints it as a module.
fn optimize_seen(text: &str, oracle: &Seen) -> String {
    let module = parse_module(text).expect("the test's IR parses");
    let f = brine_opt::optimize(&module, &module.functions[0], oracle).expect("optimized");
    brine_ir::verifier::verify_function_in(&module, &f).expect("the optimized IR verifies");
    let mut out: Module = module.clone();
    out.functions = vec![f];
    let text = print_module(&out);
    // The text parses back to the same function.
    let again = parse_module(&text).expect("the optimized IR parses");
    assert_eq!(print_module(&again), text);
    text
}

/// Only speculates on the first function of `text` (no inlining, no
/// simplification), and prints the result as a module.
fn speculate_only(text: &str, methods: &[(u32, brine_opt::Method)], calls: &[(u32, CallTarget)]) -> String {
    let module = parse_module(text).expect("the test's IR parses");
    let oracle = Seen(
        HashMap::new(),
        HashMap::new(),
        methods.iter().copied().collect(),
        calls.iter().copied().collect(),
        HashMap::new(),
        HashMap::new(),
    );
    let f = brine_opt::speculate::run(&module.functions[0], &oracle);
    brine_ir::verifier::verify_function_in(&module, &f).expect("the speculated IR verifies");
    let mut out: Module = module.clone();
    out.functions = vec![f];
    print_module(&out)
}

/// The function's body: the lines between its header and its closing brace.
fn body(module_text: &str) -> String {
    let start = module_text.find("function").unwrap();
    let text = &module_text[start..];
    text.lines().skip(1).take_while(|l| *l != "}").map(|l| format!("{l}\n")).collect()
}

#[test]
fn number_sites_become_guarded_float_code_and_loop_variables_need_no_guard() {
    let out = optimize(SUM, &[(0, NUMBERS), (1, NUMBERS), (2, NUMBERS)]);
    // The loop variables are numbers on every path (their initial values
    // are constants, their updates boxed floats), so only the argument `n`
    // keeps a guard, and as it does not change in the loop, the guard moves
    // before the loop, with a state that resumes at the jump into it. (The
    // constant step stays: code is cheaper than a register held across the
    // loop.)
    assert_eq!(
        body(&out),
        "block0(v0: val, v1: val, v2: val):
    v3 = number 0.0
    v4 = number 0.0
    v22 = guard_num v2, fs0
    v23 = unbox v3
    jump block1(v23, v23)
block1(v5: f64, v9: f64):
    v14 = unbox v2
    v15 = flt v5, v14
    branch v15, block2, block3
block2:
    v18 = fadd v9, v5
    v11 = number 1.0
    v20 = unbox v11
    v21 = fadd v5, v20
    jump block1(v21, v18)
block3:
    v24 = box_num v9
    return v24
    state fs0: block0 at 2 [v0, v1, v2, v3, v4]
"
    );
}

#[test]
fn sites_that_saw_other_operands_stay_generic() {
    // `total + i` has also seen strings, and nothing proves `total` is a
    // number: it stays a dynamic add. `i + 1` is float code with no guard
    // at all (`i` starts at 0 and only ever adds 1), whatever it saw.
    let out = optimize(SUM_FROM, &[(0, NUMBERS), (1, MIXED), (2, MIXED)]);
    let body = body(&out);
    // (`i` is an unboxed f64, boxed for the dynamic add.)
    assert!(body.contains("block1(v5: f64, v9: val)"), "{body}");
    assert!(body.contains("    v10 = add v9, v21 @1  ; line 4\n"), "{body}");
    assert!(body.contains("v21 = box_num v5"), "{body}");
    assert!(!body.contains("unbox v9") && !body.contains("guard_num v9"), "{body}");
    assert!(!body.contains("guard_num v5"), "{body}");
}

#[test]
fn sites_never_reached_are_speculated_only_for_number_only_operators() {
    // `+` may concatenate strings: unseen, with an operand nothing proves
    // to be a number, it stays generic. `<` can only succeed on numbers: it
    // is speculated on even before it runs (`n` is guarded, before the loop).
    let out = optimize(SUM_FROM, &[]);
    let body = body(&out);
    assert!(body.contains("v10 = add v9, v21 @1"), "{body}");
    assert!(body.contains("block1(v5: f64, v9: val)") && body.contains("flt"), "{body}");
    let guards: Vec<&str> = body.lines().filter(|l| l.contains("guard_num")).collect();
    assert_eq!(guards, ["    v19 = guard_num v2, fs0"], "{body}");
}

#[test]
fn equality_of_known_numbers_compares_floats() {
    let text = "sites 1, 1, 2
function f0 \"f\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = number 2.0
    v4 = mul v2, v3 @0  ; line 1
    v5 = number 8.0
    v6 = eq v4, v5 @1  ; line 1
    v7 = truthy v6
    branch v7, block1, block2
block1:
    return v4
block2:
    v8 = neg v4 @2  ; line 2
    return v8
}
";
    let out = optimize(text, &[(0, NUMBERS), (2, NUMBERS)]);
    // `v4 * 2 == 8` compares the product's f64 directly (same block); the
    // negation in another block unboxes `v4`, known to be a number.
    assert_eq!(
        body(&out),
        "block0(v0: val, v1: val, v2: val):
    v3 = number 2.0
    v9 = guard_num v2, fs0
    v10 = unbox v3
    v11 = fmul v9, v10
    v4 = box_num v11
    v5 = number 8.0
    v14 = unbox v4
    v15 = unbox v5
    v16 = feq v11, v15
    branch v16, block1, block2
block1:
    return v4
block2:
    v13 = fneg v14
    v8 = box_num v13
    return v8
    state fs0: block0 at 1 [v0, v1, v2, v3]
"
    );
}

#[test]
fn a_guard_dominated_by_a_guard_of_the_same_value_goes() {
    // fib's shape: `n < 2` guards n; `n - 2` and `n - 1` after it need no
    // guard of their own, but the call results do.
    let text = "sites 1, 2, 2, 2, 2
function f0 \"fib\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = number 2.0
    v4 = lt v2, v3 @0  ; line 1
    v5 = truthy v4
    branch v5, block1, block2
block1:
    return v2
block2:
    v6 = sub v2, v3 @1  ; line 2
    v7 = call v0(v6) @2  ; line 2
    v8 = number 1.0
    v9 = sub v2, v8 @3  ; line 2
    v10 = call v0(v9) @2  ; line 2
    v11 = add v7, v10 @4  ; line 2
    return v11
}
";
    let out = optimize(text, &[(0, NUMBERS), (1, NUMBERS), (3, NUMBERS), (4, NUMBERS)]);
    let guards: Vec<&str> = out.lines().filter(|l| l.contains("guard_num")).map(str::trim).collect();
    assert_eq!(
        guards,
        ["v12 = guard_num v2, fs0", "v21 = guard_num v7, fs1", "v22 = guard_num v10, fs1"],
        "{out}"
    );
    assert!(out.contains("v11 = box_num"), "{out}");
}

#[test]
fn monomorphic_property_sites_become_shape_guards_and_fixed_offsets() {
    // `p.x = p.x + 1; p.y = 0; return p.x;`: one guard serves the block
    // until the set of `y` (a transition to another shape) changes what is
    // known; the call at the end makes the last get check again. (The get
    // of `x` on line 2, unused, goes.)
    let text = "strings \"x\", \"y\"
sites 1, 1, 1, 1, 2, 3, 3
function f0 \"f\"(arity 2, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val, v3: val):
    v4 = get_prop v2, \"x\" @0  ; line 1
    v5 = number 1.0
    v6 = add v4, v5 @1  ; line 1
    set_prop v2, \"x\", v6 @2  ; line 1
    v7 = number 0.0
    set_prop v2, \"y\", v7 @3  ; line 1
    v8 = get_prop v2, \"x\" @4  ; line 2
    v9 = call v3() @5  ; line 3
    v10 = get_prop v2, \"x\" @6  ; line 3
    return v10
}
";
    let (a, b) = (0x1000, 0x2000);
    let x = |shape, after| Field { shape, offset: 32, shape_after: after };
    let y = Field { shape: a, offset: 40, shape_after: b };
    let fields = [(0, x(a, a)), (2, x(a, a)), (3, y), (4, x(b, b)), (6, x(b, b))];
    let out = optimize_with_fields(text, &[(1, NUMBERS)], &fields);
    assert_eq!(
        body(&out),
        "block0(v0: val, v1: val, v2: val, v3: val):
    v11 = guard_shape v2, 0x1000, fs0
    v4 = load_field v11, 32
    v5 = number 1.0
    v12 = guard_num v4, fs1
    v13 = unbox v5
    v14 = fadd v12, v13
    v6 = box_num v14
    store_field v11, 32, v6
    v7 = number 0.0
    store_field v11, 40, v7
    store_shape v11, 0x2000
    v9 = call v3() @5  ; line 3
    v18 = guard_shape v2, 0x2000, fs2
    v10 = load_field v18, 32
    return v10
    state fs0: block0 at 0 [v0, v1, v2, v3]
    state fs1: block0 at 2 [v0, v1, v2, v3, v4, v5]
    state fs2: block0 at 8 [v0, v1, v2]
"
    );
}

#[test]
fn monomorphic_invokes_become_direct_calls() {
    // `o.m(1)` always called one closure of arity 1 on one shape; `o.n(1)`
    // called a method of another arity than the site passes (its error is
    // the generic path's to raise), so it stays an invoke.
    let text = "strings \"m\", \"n\"
sites 1, 2
function f0 \"f\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = number 1.0
    v4 = invoke v2, \"m\"(v3) @0  ; line 1
    v5 = invoke v2, \"n\"(v3) @1  ; line 2
    return v4
}
function f1 \"m\"(arity 1, captures 1, method, line 1) {
block0(v0: val, v1: val, v2: val):
    return v2
}
";
    let m = brine_opt::Method {
        shape: 0x1000,
        closure: 0xfffc_0000_0000_2000,
        function: 0x3000,
        func: FuncId(1),
        arity: 1,
    };
    let n = brine_opt::Method { arity: 2, ..m };
    let out = speculate_only(text, &[(0, m), (1, n)], &[]);
    assert_eq!(
        body(&out),
        "block0(v0: val, v1: val, v2: val):
    v3 = number 1.0
    v6 = guard_shape v2, 0x1000, fs0
    v7 = object 0xfffc000000002000
    v4 = call_direct 0x3000, v7, v2(v3) @0  ; line 1
    v5 = invoke v2, \"n\"(v3) @1  ; line 2
    return v4
    state fs0: block0 at 1 [v0, v1, v2, v3]
"
    );
}

#[test]
fn calls_of_one_closure_become_guarded_direct_calls() {
    // fib's `fib(n - 1)`: the global always held one closure.
    let text = "globals \"fib\"
sites 1, 1
function f0 \"f\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = get_global \"fib\" @0  ; line 1
    v4 = call v3(v2) @1  ; line 1
    return v4
}
function f1 \"fib\"(arity 1, captures 1, function, line 1) {
block0(v0: val, v1: val, v2: val):
    return v2
}
";
    let fib = brine_opt::Method {
        shape: 0,
        closure: 0xfffc_0000_0000_2000,
        function: 0x3000,
        func: FuncId(1),
        arity: 1,
    };
    let out = speculate_only(text, &[], &[(1, CallTarget::Function(fib))]);
    assert_eq!(
        body(&out),
        "block0(v0: val, v1: val, v2: val):
    v3 = get_global \"fib\" @0  ; line 1
    guard_is v3, 0xfffc000000002000, fs0
    v5 = nil
    v4 = call_direct 0x3000, v3, v5(v2) @1  ; line 1
    return v4
    state fs0: block0 at 1 [v0, v1, v2, v3]
"
    );
}

#[test]
fn small_direct_calls_are_inlined_with_frame_states_for_the_callee() {
    // `p.getX() * 2` where getX is `return this.x + 1;`, on one shape.
    let text = "sites 1, 1, 2, 2
function f0 \"f\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = invoke v2, \"getX\"() @0  ; line 1
    v4 = number 2.0
    v5 = mul v3, v4 @1  ; line 1
    return v5
}
function f1 \"getX\"(arity 0, captures 0, method, line 2) {
block0(v0: val, v1: val):
    v2 = get_prop v1, \"x\" @2  ; line 2
    v3 = number 1.0
    v4 = add v2, v3 @3  ; line 2
    return v4
}
";
    let get_x = brine_opt::Method {
        shape: 0x1000,
        closure: 0xfffc_0000_0000_2000,
        function: 0x3000,
        func: FuncId(1),
        arity: 0,
    };
    let x = Field { shape: 0x1000, offset: 16, shape_after: 0x1000 };
    let out = optimize_with(text, &[(1, NUMBERS), (3, NUMBERS)], &[(2, x)], &[(0, get_x)], &[]);
    // The call is gone. The callee's shape guard goes (the caller's
    // dominates it); its number guard of the field stays, with a state of
    // the callee's frame (`of f1`: the callee's values v0, v1 and v3 are
    // v7, v2 and v12 here) under the caller's after the call. The callee
    // returns a number, so the caller's `*` needs no guard.
    assert_eq!(
        body(&out),
        "    inlined in0: f1 at @0
block0(v0: val, v1: val, v2: val):
    v6 = guard_shape v2, 0x1000, fs0
    v7 = object 0xfffc000000002000
    jump block1
block1 inlined in0:
    v11 = load_field v6, 16
    v12 = number 1.0
    v15 = guard_num v11, fs2
    v16 = unbox v12
    v17 = fadd v15, v16
    jump block2(v17)
block2(v3: f64):
    v4 = number 2.0
    v9 = unbox v4
    v10 = fmul v3, v9
    v5 = box_num v10
    return v5
    state fs0: block0 at 0 [v0, v1, v2]
    state fs1: block0 at 0 [v0, v1]
    state fs2: block0 at 2 [v7, v2, v11, v12] of f1 slots [v0, v1, v2, v3] caller fs1
"
    );
}

#[test]
fn constants_fold_branches_on_them_fold_and_equal_values_merge() {
    // `if (2 < 3) return -(2 * 3) + (n - 1) * (n - 1); return n;`
    let text = "sites 1, 1, 1, 1, 1, 1
function f0 \"f\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = number 2.0
    v4 = number 3.0
    v5 = lt v3, v4 @0  ; line 1
    v6 = truthy v5
    branch v6, block1, block2
block1:
    v7 = mul v3, v4 @1  ; line 1
    v8 = neg v7 @2  ; line 1
    v9 = number 1.0
    v10 = sub v2, v9 @3  ; line 1
    v11 = sub v2, v9 @4  ; line 1
    v12 = mul v10, v11 @5  ; line 1
    v13 = add v8, v12 @5  ; line 1
    return v13
block2:
    return v2
}
";
    let all = [(0, NUMBERS), (1, NUMBERS), (2, NUMBERS), (3, NUMBERS), (4, NUMBERS), (5, NUMBERS)];
    let out = optimize(text, &all);
    // `2 < 3` is true: block2 is gone. `-(2 * 3)` is the constant -6.
    // The second `n - 1` is the first.
    assert_eq!(
        body(&out),
        "block0(v0: val, v1: val, v2: val):
    jump block1
block1:
    v36 = number -6.0
    v21 = unbox v36
    v8 = box_num v21
    v9 = number 1.0
    v22 = guard_num v2, fs0
    v23 = unbox v9
    v24 = fsub v22, v23
    v30 = fmul v24, v24
    v33 = fadd v21, v30
    v13 = box_num v33
    return v13
    state fs0: block1 at 3 [v0, v1, v2, v8, v9]
"
    );
}

#[test]
fn calls_of_a_class_allocate_and_inline_the_initializer() {
    // `Point(n)` where `init(x) { this.x = x; }`, on one class.
    let text = "globals \"Point\"
sites 1, 1, 2
function f0 \"f\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = get_global \"Point\" @0  ; line 1
    v4 = call v3(v2) @1  ; line 1
    return v4
}
function f1 \"init\"(arity 1, captures 0, initializer, line 2) {
block0(v0: val, v1: val, v2: val):
    set_prop v1, \"x\", v2 @2  ; line 2
    return v1
}
";
    let init = brine_opt::Method {
        shape: 0,
        closure: 0xfffc_0000_0000_2000,
        function: 0x3000,
        func: FuncId(1),
        arity: 1,
    };
    let point = CallTarget::Class { class: 0xfffc_0000_0000_4000, init: Some(init) };
    let x = Field { shape: 0x1000, offset: 16, shape_after: 0x1100 };
    let out = optimize_with(text, &[], &[(2, x)], &[], &[(1, point)]);
    // The class is guarded; the instance made; the initializer's store is
    // a shape guard, a store and the transition; its result (the
    // instance) is the call's.
    assert_eq!(
        body(&out),
        "    inlined in0: f1 at @1
block0(v0: val, v1: val, v2: val):
    v3 = get_global \"Point\" @0  ; line 1
    guard_is v3, 0xfffc000000004000, fs0
    v5 = new_instance v3
    v6 = object 0xfffc000000002000
    jump block1
block1 inlined in0:
    v7 = guard_shape v5, 0x1000, fs2
    store_field v7, 16, v2
    store_shape v7, 0x1100
    jump block2(v5)
block2(v4: val):
    return v4
    state fs0: block0 at 1 [v0, v1, v2, v3]
    state fs1: block0 at 1 [v0, v1]
    state fs2: block0 at 0 [v6, v5, v2] of f1 slots [v0, v1, v2] caller fs1
"
    );
}

#[test]
fn calls_of_closures_of_one_function_guard_the_function_and_inline_its_captures() {
    // `counter()` where every call site's callee is another closure of
    // `next() { return count; }`, whose `count` is captured.
    let text = "sites 1
function f0 \"f\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = call v2() @0  ; line 1
    return v3
}
function f1 \"next\"(arity 0, captures 1, function, line 2) {
block0(v0: val, v1: val):
    v2 = load_capture 0
    return v2
}
";
    let next = brine_opt::Method { shape: 0, closure: 0, function: 0x3000, func: FuncId(1), arity: 0 };
    let out = optimize_with(text, &[], &[], &[], &[(0, CallTarget::Function(next))]);
    assert_eq!(
        body(&out),
        "    inlined in0: f1 at @0
block0(v0: val, v1: val, v2: val):
    guard_function v2, 0x3000, fs0
    jump block1
block1 inlined in0:
    v5 = closure_capture v2, 0
    jump block2(v5)
block2(v3: val):
    return v3
    state fs0: block0 at 0 [v0, v1, v2]
"
    );
}

#[test]
fn polymorphic_invokes_test_each_shape_and_inline_each_method() {
    // `s.area()` on two shapes, each with its own one-line method.
    let text = "sites 1, 1, 1
function f0 \"f\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = invoke v2, \"area\"() @0  ; line 1
    return v3
}
function f1 \"area\"(arity 0, captures 0, method, line 2) {
block0(v0: val, v1: val):
    v2 = number 1.0
    return v2
}
function f2 \"area\"(arity 0, captures 0, method, line 3) {
block0(v0: val, v1: val):
    v2 = number 2.0
    return v2
}
";
    let module = parse_module(text).expect("the test's IR parses");
    let one = brine_opt::Method {
        shape: 0x1000,
        closure: 0xfffc_0000_0000_2000,
        function: 0x3000,
        func: FuncId(1),
        arity: 0,
    };
    let two = brine_opt::Method {
        shape: 0x1100,
        closure: 0xfffc_0000_0000_2100,
        function: 0x3100,
        func: FuncId(2),
        arity: 0,
    };
    let oracle = Seen(
        HashMap::new(),
        HashMap::new(),
        HashMap::new(),
        HashMap::new(),
        [(0, vec![one, two])].into(),
        HashMap::new(),
    );
    let f = brine_opt::optimize(&module, &module.functions[0], &oracle).expect("optimized");
    brine_ir::verifier::verify_function_in(&module, &f).expect("the optimized IR verifies");
    let mut out: Module = module.clone();
    out.functions = vec![f];
    let text = print_module(&out);
    assert_eq!(print_module(&parse_module(&text).expect("it parses")), text);
    // Each shape's arm has its method inlined (a constant). The last
    // shape is not tested: its guard deoptimizes for any other shape, so
    // the results meet in block1 as f64s (the constants pass through f64
    // parameters of the blocks after each inlined body).
    assert_eq!(
        body(&text),
        "    inlined in0: f1 at @0
    inlined in1: f2 at @0
block0(v0: val, v1: val, v2: val):
    v4 = is_shape v2, 0x1000
    branch v4, block2, block3
block2:
    v5 = guard_shape v2, 0x1000, fs0
    jump block4
block4 inlined in0:
    v11 = number 1.0
    v13 = unbox v11
    jump block5(v13)
block5(v7: f64):
    jump block1(v7)
block3:
    v8 = guard_shape v2, 0x1100, fs0
    jump block6
block6 inlined in1:
    v12 = number 2.0
    v14 = unbox v12
    jump block7(v14)
block7(v10: f64):
    jump block1(v10)
block1(v3: f64):
    v15 = box_num v3
    return v15
    state fs0: block0 at 0 [v0, v1, v2]
"
    );
}

#[test]
fn shape_guards_of_invariant_objects_leave_loops_that_change_no_shape() {
    // `while (i < n) { t = t + o.v; i = i + 1; }` with `o` from outside.
    let text = "sites 1, 1, 1, 1
function f0 \"f\"(arity 2, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val, v3: val):
    v4 = number 0.0
    jump block1(v4, v4)
block1(v5: val, v6: val):
    v7 = lt v5, v3 @0  ; line 1
    v8 = truthy v7
    branch v8, block2, block3
block2:
    v9 = get_prop v2, \"v\" @1  ; line 1
    v10 = add v6, v9 @2  ; line 1
    v11 = number 1.0
    v12 = add v5, v11 @3  ; line 1
    jump block1(v12, v10)
block3:
    return v6
}
";
    let v = Field { shape: 0x1000, offset: 16, shape_after: 0x1000 };
    let all = [(0, NUMBERS), (2, NUMBERS), (3, NUMBERS)];
    let out = optimize_with_fields(text, &all, &[(1, v)]);
    let body = body(&out);
    // The guard is before the loop (with `n`'s), the loop only assumes.
    let entry = &body[..body.find("block1").unwrap()];
    assert!(entry.contains("guard_shape v2, 0x1000, fs"), "{body}");
    assert!(body.contains("assume_shape v2, 0x1000"), "{body}");
    assert_eq!(body.matches("guard_shape").count(), 1, "{body}");
}

/// `while (i < n) { t = t + o.v; p.w = t; i = i + 1; }` with `o` and `p`
/// from outside.
const LOAD_IN_LOOP: &str = "sites 1, 1, 1, 1, 1
function f0 \"f\"(arity 3, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val, v3: val, v4: val):
    v5 = number 0.0
    jump block1(v5, v5)
block1(v6: val, v7: val):
    v8 = lt v6, v4 @0  ; line 1
    v9 = truthy v8
    branch v9, block2, block3
block2:
    v10 = get_prop v2, \"v\" @1  ; line 1
    v11 = add v7, v10 @2  ; line 1
    set_prop v3, \"w\", v11 @4  ; line 1
    v12 = number 1.0
    v13 = add v6, v12 @3  ; line 1
    jump block1(v13, v11)
block3:
    return v7
}
";

#[test]
fn field_loads_leave_loops_that_cannot_write_their_field() {
    let all = [(0, NUMBERS), (2, NUMBERS), (3, NUMBERS)];
    let v = Field { shape: 0x1000, offset: 16, shape_after: 0x1000 };
    // `p` has another shape: it is another object, so storing into it
    // cannot change `o.v`, whose load (and the guard of its value) moves
    // before the loop, after the guard of `o`'s shape.
    let w = Field { shape: 0x2000, offset: 16, shape_after: 0x2000 };
    let out = optimize_with_fields(LOAD_IN_LOOP, &all, &[(1, v), (4, w)]);
    let first = body(&out);
    let body = &first;
    let entry = &body[..body.find("block1").unwrap()];
    let guard = entry.find("guard_shape v2, 0x1000").expect(body);
    let load = entry.find("load_field").expect(body);
    assert!(guard < load, "{body}");
    assert!(entry.contains("guard_num v10"), "{body}");
    assert_eq!(body.matches("load_field").count(), 1, "{body}");
    assert_eq!(body.matches("guard_shape v2").count(), 1, "{body}");
    // The store stays in the loop.
    let header = body.find("block1").unwrap();
    assert!(body[header..].contains("store_field"), "{body}");

    // A store of the same field of an object of the same shape may be a
    // store into `o`: the load stays in the loop.
    let w = Field { shape: 0x1000, offset: 16, shape_after: 0x1000 };
    let out = optimize_with_fields(LOAD_IN_LOOP, &all, &[(1, v), (4, w)]);
    let text = self::body(&out);
    let header = text.find("block1").unwrap();
    assert!(!text[..header].contains("load_field"), "{text}");
    assert!(text[header..].contains("load_field v"), "{text}");
}

/// Folds the only function of `text` and prints its body.
fn fold_only(text: &str) -> String {
    let module = parse_module(text).expect("the test's IR parses");
    let mut f = module.functions[0].clone();
    brine_opt::fold::run(&mut f);
    brine_opt::dce::run(&mut f);
    brine_ir::verifier::verify_function_in(&module, &f).expect("the folded IR verifies");
    let mut out: Module = module.clone();
    out.functions = vec![f];
    body(&print_module(&out))
}

#[test]
fn a_branch_on_a_condition_an_earlier_branch_tested_folds() {
    // Two tests of `v2`'s shape in a row (as two polymorphic accesses of
    // one object make): value numbering merges the second into the first,
    // and past the first branch's edge its answer is known.
    let text = "sites 1
function f0 \"f\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = is_shape v2, 0x1000
    branch v3, block1, block2
block1:
    v4 = is_shape v2, 0x1000
    branch v4, block3, block2
block2:
    v5 = nil
    return v5
block3:
    v6 = number 1.0
    return v6
}
";
    let out = fold_only(text);
    assert_eq!(out.matches("is_shape").count(), 1, "{out}");
    assert!(out.contains("block1:\n    jump block3"), "{out}");

    // A call between the tests may change the shape: they stay two tests.
    let text = text.replace("    v4 = is_shape", "    v7 = call v0() @0  ; line 1\n    v4 = is_shape");
    let out = fold_only(&text);
    assert_eq!(out.matches("is_shape").count(), 2, "{out}");
    assert!(out.contains("branch v4"), "{out}");
}

/// `fun f(a, b) { return a % b; }`
const MOD: &str = "sites 1
function f0 \"f\"(arity 2, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val, v3: val):
    v4 = mod v2, v3 @0  ; line 1
    return v4
}
";

#[test]
fn remainder_sites_that_saw_numbers_become_guarded_fmod() {
    let out = optimize(MOD, &[(0, NUMBERS)]);
    assert_eq!(
        body(&out),
        "block0(v0: val, v1: val, v2: val, v3: val):
    v5 = guard_num v2, fs0
    v6 = guard_num v3, fs0
    v7 = fmod v5, v6
    v4 = box_num v7
    return v4
    state fs0: block0 at 0 [v0, v1, v2, v3]
"
    );
}

#[test]
fn remainder_sites_that_saw_other_operands_stay_generic() {
    let out = optimize(MOD, &[(0, MIXED)]);
    let body = body(&out);
    assert!(body.contains("v4 = mod v2, v3 @0  ; line 1"), "{body}");
    assert!(!body.contains("fmod") && !body.contains("guard_num"), "{body}");
}

#[test]
fn remainders_of_constants_fold_with_the_sign_of_the_dividend() {
    // `return -7 % 3 - 7 % -3;`: fmod gives -1 and 1, so -2 (a floored
    // remainder would give 2 - -2 = 4, both signs wrong 1 - -1 = 2).
    let text = "sites 1, 1, 1
function f0 \"f\"(arity 0, captures 0, function, line 1) {
block0(v0: val, v1: val):
    v2 = number -7.0
    v3 = number 3.0
    v4 = mod v2, v3 @0  ; line 1
    v5 = number 7.0
    v6 = number -3.0
    v7 = mod v5, v6 @1  ; line 1
    v8 = sub v4, v7 @2  ; line 1
    return v8
}
";
    let out = optimize(text, &[(0, NUMBERS), (1, NUMBERS), (2, NUMBERS)]);
    let body = body(&out);
    assert!(body.contains("number -2.0"), "{body}");
    assert!(!body.contains("mod"), "{body}");
    assert!(!body.contains("guard_num"), "{body}");
}

#[test]
fn remainders_of_loop_variables_are_unguarded_float_code() {
    // `for (var i = 0; i < n; i = i + 1) t = t + i % 3; return t;`
    let text = "sites 1, 1, 1, 1
function f0 \"f\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = number 0.0
    jump block1(v3, v3)
block1(v4: val, v5: val):
    v6 = lt v4, v2 @0  ; line 1
    v7 = truthy v6
    branch v7, block2, block3
block2:
    v8 = number 3.0
    v9 = mod v4, v8 @1  ; line 1
    v10 = add v5, v9 @2  ; line 1
    v11 = number 1.0
    v12 = add v4, v11 @3  ; line 1
    jump block1(v12, v10)
block3:
    return v5
}
";
    let out = optimize(text, &[(0, NUMBERS), (1, NUMBERS), (2, NUMBERS), (3, NUMBERS)]);
    let body = body(&out);
    // Both loop variables are unboxed; only `n` is guarded, before the loop.
    assert!(body.contains("block1(v4: f64, v5: f64)"), "{body}");
    assert!(body.contains(" = fmod v4, "), "{body}");
    let guards: Vec<&str> = body.lines().filter(|l| l.contains("guard_num")).collect();
    assert_eq!(guards.len(), 1, "{body}");
    assert!(guards[0].contains("guard_num v2"), "{body}");
    let entry = &body[..body.find("block1").unwrap()];
    assert!(entry.contains("guard_num v2"), "{body}");
}

/// `var p = P(); p.x = a; return p.x + 1;` after speculation and inlining:
/// an allocation whose field is stored, then loaded, with a guard in
/// between whose state lists the object.
const LOCAL_OBJECT: &str = "sites 1
function f0 \"f\"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = object 0xfffc000000001000
    v4 = new_instance v3
    v5 = guard_shape v4, 0x2000, fs0
    store_field v5, 32, v2
    store_shape v5, 0x2100
    jump block1(v4)
block1(v6: val):
    v7 = guard_shape v6, 0x2100, fs1
    v8 = load_field v7, 32
    v9 = guard_num v8, fs2
    v10 = number 1.0
    v11 = unbox v10
    v12 = fadd v9, v11
    v13 = box_num v12
    return v13
    state fs0: block0 at 0 [v0, v1, v2]
    state fs1: block0 at 0 [v0, v1, v6]
    state fs2: block0 at 0 [v0, v1, v6, v8]
}
";

/// Runs only escape analysis on the first function of `text` and prints
/// its body.
fn escape_only(text: &str) -> String {
    let module = parse_module(text).expect("the test's IR parses");
    let mut f = module.functions[0].clone();
    brine_opt::escape::run(&mut f);
    brine_ir::verifier::verify_function_in(&module, &f).expect("the IR verifies after escape analysis");
    let mut out: Module = module.clone();
    out.functions = vec![f];
    let text = print_module(&out);
    assert_eq!(print_module(&parse_module(&text).expect("it parses")), text);
    body(&text)
}

#[test]
fn objects_that_do_not_escape_are_not_allocated_and_deoptimization_describes_them() {
    let out = escape_only(LOCAL_OBJECT);
    // No allocation, store, transition or shape guard is left; the load is
    // the stored value; the guard's new state describes the object (both
    // of its values) with its shape and field.
    for gone in ["new_instance", "store_field", "store_shape", "guard_shape", "load_field"] {
        assert!(!out.contains(gone), "{gone} is left:\n{out}");
    }
    assert!(out.contains("v4 = nil"), "{out}");
    assert!(out.contains("v8 = copy v2"), "{out}");
    assert!(out.contains("guard_num v2, fs3"), "{out}");
    assert!(
        out.contains(
            "state fs3: block0 at 0 [v0, v1, v6, v8] virtual [v4, v6] of v3 shape 0x2100 fields [32: v2]"
        ),
        "{out}"
    );

    // Returned, the object escapes: nothing changes.
    let text = LOCAL_OBJECT.replace("    return v13\n", "    return v6\n");
    let out = escape_only(&text);
    assert!(out.contains("new_instance") && out.contains("load_field") && !out.contains("virtual"), "{out}");

    // A guard of another shape than the object has keeps it too.
    let text = LOCAL_OBJECT.replace("guard_shape v6, 0x2100", "guard_shape v6, 0x2200");
    let out = escape_only(&text);
    assert!(out.contains("new_instance"), "{out}");
}

/// `xs[i] = xs[i] + 1` in a loop over a list, and a map read after it.
const INDEXES: &str = "sites 2, 3, 3, 3, 5
function f0 \"bump\"(arity 3, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val, v3: val, v4: val):
    v5 = number 0.0
    jump block1(v5)
block1(v6: val):
    v7 = lt v6, v3 @0  ; line 2
    v8 = truthy v7
    branch v8, block2, block3
block2:
    v9 = get_index v2, v6 @1  ; line 3
    v10 = number 1.0
    v11 = add v9, v10 @2  ; line 3
    set_index v2, v6, v11 @3  ; line 3
    v12 = add v6, v10 @0  ; line 2
    jump block1(v12)
block3:
    v13 = get_index v4, v6 @4  ; line 5
    return v13
}
function f1 \"get\"(arity 1, captures 0, method, line 6, library) {
block0(v0: val, v1: val, v2: val):
    return v2
}
";

fn optimize_indexes(targets: &[(u32, brine_opt::IndexTarget)]) -> String {
    let numbers = [(0, NUMBERS), (2, NUMBERS)];
    let oracle = Seen(
        numbers.into_iter().collect(),
        HashMap::new(),
        HashMap::new(),
        HashMap::new(),
        HashMap::new(),
        targets.iter().copied().collect(),
    );
    optimize_seen(INDEXES, &oracle)
}

#[test]
fn list_indexes_become_guarded_array_accesses_whose_loads_leave_the_loop() {
    let list = brine_opt::IndexTarget::List { shape: 0x6000, items: 32, len: 40 };
    let get = brine_opt::Method {
        shape: 0x7000,
        closure: 0xfffc_0000_0000_7100,
        function: 0x7200,
        func: FuncId::new(1),
        arity: 1,
    };
    let map = brine_opt::IndexTarget::Map(get);
    let out = body(&optimize_indexes(&[(1, list), (3, list), (4, map)]));
    // In the loop: the index checked against the length (once: the store's
    // check is the read's, of the same values), and the raw array read and
    // written; no generic index operation is left.
    assert!(!out.contains("get_index") && !out.contains("set_index"), "{out}");
    assert_eq!(out.matches("guard_index").count(), 1, "{out}");
    assert!(out.contains("array_get") && out.contains("array_set"), "{out}");
    // The list's shape guard and the load of its raw array leave the loop
    // (nothing in it writes a field): they come before the loop header.
    let header = out.find("block1(").expect("the loop header");
    let guard = out.find("guard_shape v2, 0x6000").expect("the list's shape guard");
    let items = out.find(", 32\n").expect("the load of the raw array");
    assert!(guard < header && items < header, "{out}");
    // The map read is a guarded call of the map's get, inlined.
    assert!(out.contains("guard_shape v4, 0x7000"), "{out}");
    assert!(out.contains("inlined in0: f1 at @4"), "{out}");
}

#[test]
fn index_sites_that_saw_anything_else_stay_generic() {
    let out = body(&optimize_indexes(&[]));
    assert_eq!(out.matches("get_index").count(), 2, "{out}");
    assert_eq!(out.matches("set_index").count(), 1, "{out}");
    assert!(!out.contains("guard_index") && !out.contains("array_"), "{out}");
}

#[test]
fn a_map_index_calls_the_maps_get_which_is_inlined() {
    let text = "sites 1, 2
function f0 \"read\"(arity 2, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val, v3: val):
    v4 = get_index v2, v3 @0  ; line 1
    return v4
}
function f1 \"get\"(arity 1, captures 0, method, line 2, library) {
block0(v0: val, v1: val, v2: val):
    v3 = get_prop v1, \"$values\" @1  ; line 2
    return v3
}
";
    let get = brine_opt::Method {
        shape: 0x7000,
        closure: 0xfffc_0000_0000_7100,
        function: 0x7200,
        func: FuncId::new(1),
        arity: 1,
    };
    let oracle = Seen(
        HashMap::new(),
        [(1, Field { shape: 0x7000, offset: 40, shape_after: 0x7000 })].into(),
        HashMap::new(),
        HashMap::new(),
        HashMap::new(),
        [(0, brine_opt::IndexTarget::Map(get))].into(),
    );
    let out = optimize_seen(text, &oracle);
    // The map's shape is checked once, and its get's field load is inline.
    assert!(out.contains("inlined in0: f1 at @0"), "{out}");
    assert!(!out.contains("call_direct") && !out.contains("get_index"), "{out}");
    assert!(out.contains("guard_shape v2, 0x7000") && out.contains("load_field"), "{out}");
}
