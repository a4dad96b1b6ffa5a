//! Facts about a whole program that hold before it runs, for optimizing it
//! ahead of time (`brine build -O2`): the [`StaticFacts`] oracle, which
//! answers the optimizer's questions from the module alone, as
//! [`Oracle`] answers them from a run's observations elsewhere.
//!
//! - **Constant globals.** A global defined exactly once in the module, by
//!   a top-level function declaration, and never assigned holds that
//!   function's closure whenever it is defined at all. A call of it is
//!   predicted to call that function: a guarded direct call, which the
//!   inliner may inline. The function is named by a symbol
//!   ([`brine_ir::symbol`]): its prototype does not exist yet.
//! - **Kinds of values**, by a forward analysis of each function, and of
//!   the globals of the whole program (a global is a number if every value
//!   stored in it is): numbers, strings, other values, or unknown. An
//!   arithmetic or comparison site whose operands may be numbers is
//!   predicted to see numbers (`+` of a string, or `==` of anything but
//!   two numbers, is not).
//!
//! A prediction is only a prediction: the code guards it, and a guard that
//! fails deoptimizes to the interpreter the executable carries.

use crate::{CallTarget, Field, IndexTarget, Method, Operands, Oracle};
use brine_ir::{BinaryOp, FuncId, Function, GlobalId, InstKind, Module, SiteId, UnaryOp, Value, ValueDef};
use std::collections::HashMap;

/// What the analysis knows of a value: a lattice whose bottom is
/// `Unseen` (no definition reaches it yet) and top `Any`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    Unseen,
    Number,
    String,
    /// A value that is neither a number nor a string (nil, a boolean).
    Other,
    Any,
}

impl Kind {
    fn join(self, other: Kind) -> Kind {
        match (self, other) {
            (Kind::Unseen, k) | (k, Kind::Unseen) => k,
            (a, b) if a == b => a,
            _ => Kind::Any,
        }
    }

    /// Whether the value may be a number.
    fn may_be_number(self) -> bool {
        matches!(self, Kind::Number | Kind::Any | Kind::Unseen)
    }
}

/// What a run observed of a program (`brine run --save-profile`), for
/// optimizing it ahead of time from that (`brine build -O2
/// --use-profile`): the operand kinds of its arithmetic and comparison
/// sites, and the one function each call site called, if it called one.
/// Only what names no runtime object: function ids, not shapes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// A hash of the module the profile is of (`module_hash`).
    pub module: u64,
    pub operands: Vec<(SiteId, Operands)>,
    pub calls: Vec<(SiteId, FuncId)>,
}

/// The first line of a profile's text.
const PROFILE_HEADER: &str = "brine profile 1";

impl Profile {
    /// The profile as text: a header line, `module HASH`, then one line per
    /// fact (`operands SITE NUMBERS OTHER`, `call SITE FUNCTION`).
    pub fn to_text(&self) -> String {
        let mut out = format!("{PROFILE_HEADER}\nmodule {:016x}\n", self.module);
        for (site, o) in &self.operands {
            out.push_str(&format!("operands {} {} {}\n", site.0, o.numbers as u8, o.other as u8));
        }
        for (site, func) in &self.calls {
            out.push_str(&format!("call {} {}\n", site.0, func.0));
        }
        out
    }

    /// Reads a profile's text; an error says which line is wrong.
    pub fn from_text(text: &str) -> Result<Profile, String> {
        let mut lines = text.lines().enumerate();
        if lines.next().map(|(_, l)| l) != Some(PROFILE_HEADER) {
            return Err(format!("not a Brine profile (its first line is not `{PROFILE_HEADER}`)"));
        }
        let mut profile = Profile::default();
        for (n, line) in lines {
            let bad = || format!("line {}: malformed: `{line}`", n + 1);
            let words: Vec<&str> = line.split_whitespace().collect();
            let number = |i: usize| words.get(i).and_then(|w| w.parse::<u32>().ok()).ok_or_else(bad);
            match words.first() {
                Some(&"module") => {
                    let hash = words.get(1).and_then(|w| u64::from_str_radix(w, 16).ok()).ok_or_else(bad)?;
                    profile.module = hash;
                }
                Some(&"operands") => {
                    let flag =
                        |i: usize| number(i).and_then(|v| if v <= 1 { Ok(v == 1) } else { Err(bad()) });
                    let operands = Operands { numbers: flag(2)?, other: flag(3)? };
                    profile.operands.push((SiteId(number(1)?), operands));
                }
                Some(&"call") => profile.calls.push((SiteId(number(1)?), FuncId(number(2)?))),
                None => {}
                Some(_) => return Err(bad()),
            }
        }
        Ok(profile)
    }
}

/// The hash that ties a profile to its module: FNV-1a of the module's
/// binary encoding (the same source compiled by the same Brine).
pub fn module_hash(module: &Module) -> u64 {
    brine_ir::binary::encode(module)
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// The optimizer's oracle for code compiled ahead of time.
pub struct StaticFacts {
    operands: HashMap<SiteId, Operands>,
    callees: HashMap<SiteId, CallTarget>,
}

impl StaticFacts {
    /// Analyzes `module` and takes what `profile` (of the same module)
    /// observed over what the analysis predicts: a site's observed operand
    /// kinds replace its prediction (a site the run never reached keeps
    /// it), and a call site that called one function calls it directly.
    pub fn with_profile(module: &Module, profile: &Profile) -> StaticFacts {
        let mut facts = StaticFacts::analyze(module);
        for &(site, operands) in &profile.operands {
            if operands.numbers || operands.other {
                facts.operands.insert(site, operands);
            }
        }
        for &(site, func) in &profile.calls {
            let Some(f) = module.functions.get(func.index()) else { continue };
            facts.callees.entry(site).or_insert(CallTarget::Function(Method {
                shape: 0,
                closure: 0,
                function: brine_ir::symbol::function(func),
                func,
                arity: f.arity,
            }));
        }
        facts
    }

    /// Analyzes every function of `module`.
    pub fn analyze(module: &Module) -> StaticFacts {
        let constants = constant_functions(module);
        let mut globals = vec![Kind::Unseen; module.globals.len()];
        // Globals the module never defines are natives (or undefined).
        let mut defined = vec![false; module.globals.len()];
        for f in &module.functions {
            for_each_inst(f, |kind| {
                if let InstKind::DefineGlobal { global, .. } | InstKind::SetGlobal { global, .. } = kind {
                    defined[global.index()] = true;
                }
            });
        }
        for (g, d) in globals.iter_mut().zip(&defined) {
            if !d {
                *g = Kind::Any;
            }
        }
        // The kinds of the globals and those of each function's values
        // depend on each other: iterate until the globals settle (each
        // global only rises in the lattice).
        let mut kinds: Vec<Vec<Kind>>;
        loop {
            kinds = module.functions.iter().map(|f| value_kinds(f, &globals)).collect();
            let mut next = globals.clone();
            for (f, k) in module.functions.iter().zip(&kinds) {
                for_each_inst(f, |kind| {
                    if let InstKind::DefineGlobal { global, value }
                    | InstKind::SetGlobal { global, value, .. } = kind
                    {
                        let g = &mut next[global.index()];
                        *g = g.join(k[value.index()]);
                    }
                });
            }
            if next == globals {
                break;
            }
            globals = next;
        }
        let mut facts = StaticFacts { operands: HashMap::new(), callees: HashMap::new() };
        for (f, k) in module.functions.iter().zip(&kinds) {
            for_each_inst(f, |kind| facts.predict(module, f, k, &constants, kind));
        }
        facts
    }

    fn predict(
        &mut self,
        module: &Module,
        f: &Function,
        kinds: &[Kind],
        constants: &HashMap<GlobalId, FuncId>,
        inst: &InstKind,
    ) {
        let numbers = Operands { numbers: true, other: false };
        let generic = Operands { numbers: false, other: true };
        match *inst {
            InstKind::Binary { op, lhs, rhs, site } => {
                let (l, r) = (kinds[lhs.index()], kinds[rhs.index()]);
                let predicted = match op {
                    BinaryOp::Eq | BinaryOp::Ne => l == Kind::Number && r == Kind::Number,
                    _ => l.may_be_number() && r.may_be_number(),
                };
                self.operands.insert(site, if predicted { numbers } else { generic });
            }
            InstKind::Unary { op: UnaryOp::Neg, arg, site } => {
                let predicted = kinds[arg.index()].may_be_number();
                self.operands.insert(site, if predicted { numbers } else { generic });
            }
            InstKind::Call { callee, ref args, site } => {
                let ValueDef::Result(def) = f.values[callee.index()].def else { return };
                let InstKind::GetGlobal { global, .. } = f.inst(def).kind else { return };
                let Some(&func) = constants.get(&global) else { return };
                let arity = module.function(func).arity;
                if arity as usize == args.len() {
                    self.callees.insert(
                        site,
                        CallTarget::Function(Method {
                            shape: 0,
                            closure: 0,
                            function: brine_ir::symbol::function(func),
                            func,
                            arity,
                        }),
                    );
                }
            }
            _ => {}
        }
    }
}

fn for_each_inst(f: &Function, mut visit: impl FnMut(&InstKind)) {
    for &b in &f.layout {
        for &i in &f.block(b).insts {
            visit(&f.inst(i).kind);
        }
    }
}

/// The globals defined once, by a function declaration (the closure of a
/// function without captures, in the script), and never assigned: the
/// function each one holds.
fn constant_functions(module: &Module) -> HashMap<GlobalId, FuncId> {
    let mut defines: HashMap<GlobalId, (u32, Option<FuncId>)> = HashMap::new();
    let mut assigned = vec![false; module.globals.len()];
    for f in &module.functions {
        let script = f.kind == brine_ir::FunctionKind::Script;
        for_each_inst(f, |kind| match *kind {
            InstKind::DefineGlobal { global, value } => {
                let entry = defines.entry(global).or_insert((0, None));
                entry.0 += 1;
                entry.1 = match f.values[value.index()].def {
                    ValueDef::Result(i) if script => match f.inst(i).kind {
                        InstKind::Closure { func, ref captures } if captures.is_empty() => Some(func),
                        _ => None,
                    },
                    _ => None,
                };
            }
            InstKind::SetGlobal { global, .. } => assigned[global.index()] = true,
            _ => {}
        });
    }
    defines
        .into_iter()
        .filter_map(|(g, (n, func))| (n == 1 && !assigned[g.index()]).then_some((g, func?)))
        .collect()
}

/// The kind of each value of `f`, given the kinds of the globals.
fn value_kinds(f: &Function, globals: &[Kind]) -> Vec<Kind> {
    let mut kinds = vec![Kind::Unseen; f.values.len()];
    // Parameters of the entry block (callee, this, arguments) are unknown.
    for &p in &f.block(f.entry()).params {
        kinds[p.index()] = Kind::Any;
    }
    let order = brine_ir::verifier::reverse_postorder(f);
    let mut changed = true;
    while changed {
        changed = false;
        for &b in &order {
            for &i in &f.block(b).insts {
                let inst = f.inst(i);
                // Arguments flow into the parameters of the blocks they jump to.
                let mut flow = |dest: brine_ir::Block, args: &[Value], kinds: &mut Vec<Kind>| {
                    for (&p, &a) in f.block(dest).params.iter().zip(args) {
                        let joined = kinds[p.index()].join(kinds[a.index()]);
                        if joined != kinds[p.index()] {
                            kinds[p.index()] = joined;
                            changed = true;
                        }
                    }
                };
                match &inst.kind {
                    InstKind::Jump { dest, args } => flow(*dest, args, &mut kinds),
                    InstKind::Branch { then_dest, then_args, else_dest, else_args, .. } => {
                        flow(*then_dest, then_args, &mut kinds);
                        flow(*else_dest, else_args, &mut kinds);
                    }
                    _ => {}
                }
                let Some(r) = inst.result else { continue };
                let joined = kinds[r.index()].join(result_kind(&inst.kind, &kinds, globals));
                if joined != kinds[r.index()] {
                    kinds[r.index()] = joined;
                    changed = true;
                }
            }
        }
    }
    kinds
}

/// The kind of the value an instruction makes.
fn result_kind(inst: &InstKind, kinds: &[Kind], globals: &[Kind]) -> Kind {
    match *inst {
        InstKind::Number(_) => Kind::Number,
        InstKind::Str(_) => Kind::String,
        InstKind::Nil | InstKind::Bool(_) => Kind::Other,
        InstKind::Binary { op, lhs, rhs, .. } => match op {
            // A `+` that does not fail adds two numbers or joins two strings.
            BinaryOp::Add => match (kinds[lhs.index()], kinds[rhs.index()]) {
                (Kind::Number, _) | (_, Kind::Number) => Kind::Number,
                (Kind::String, _) | (_, Kind::String) => Kind::String,
                (Kind::Unseen, Kind::Unseen) => Kind::Unseen,
                _ => Kind::Any,
            },
            BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => Kind::Number,
            _ => Kind::Other,
        },
        InstKind::Unary { op: UnaryOp::Neg, .. } => Kind::Number,
        InstKind::Unary { op: UnaryOp::Not, .. } => Kind::Other,
        InstKind::GetGlobal { global, .. } => globals[global.index()],
        _ => Kind::Any,
    }
}

impl Oracle for StaticFacts {
    fn operands(&self, site: SiteId) -> Operands {
        self.operands.get(&site).copied().unwrap_or_default()
    }
    fn field(&self, _: SiteId) -> Option<Field> {
        None
    }
    fn method(&self, _: SiteId) -> Option<Method> {
        None
    }
    fn fields(&self, _: SiteId) -> Vec<Field> {
        Vec::new()
    }
    fn methods(&self, _: SiteId) -> Vec<Method> {
        Vec::new()
    }
    fn super_method(&self, _: SiteId) -> Option<(u64, Method)> {
        None
    }
    fn callee(&self, site: SiteId) -> Option<CallTarget> {
        self.callees.get(&site).copied()
    }
    fn index(&self, _: SiteId) -> Option<IndexTarget> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brine_ir::parser::parse_module;

    /// `fun sq(x) { return x * x; }  var total = 0;
    /// for (var i = 0; i < 10; i = i + 1) total = total + sq(i);
    /// print total + "";`, as `brine emit ir` prints it.
    const PROGRAM: &str = r#"strings ""
globals "sq", "total"
sites 1, 3, 3, 3, 3, 3, 3, 3, 4, 4

function f0 ""(arity 0, captures 0, script, line 1) {
block0(v0: val, v1: val):
    v2 = closure f1[]
    define_global "sq", v2
    v3 = number 0.0
    define_global "total", v3
    v4 = number 0.0
    jump block1(v4)
block1(v5: val):
    v6 = number 10.0
    v7 = lt v5, v6 @1  ; line 3
    v8 = truthy v7
    branch v8, block2, block3
block2:
    v9 = get_global "total" @2  ; line 3
    v10 = get_global "sq" @3  ; line 3
    v11 = call v10(v5) @4  ; line 3
    v12 = add v9, v11 @5  ; line 3
    set_global "total", v12 @6  ; line 3
    v13 = number 1.0
    v14 = add v5, v13 @7  ; line 3
    jump block1(v14)
block3:
    v15 = get_global "total" @8  ; line 4
    v16 = string ""
    v17 = add v15, v16 @9  ; line 4
    print v17
    v18 = nil
    return v18
}

function f1 "sq"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = mul v2, v2 @0  ; line 1
    return v3
}
"#;

    #[test]
    fn a_constant_function_is_called_directly_and_numbers_are_predicted_where_they_may_be() {
        let module = parse_module(PROGRAM).expect("the program parses");
        let facts = StaticFacts::analyze(&module);
        let numbers = Operands { numbers: true, other: false };
        let generic = Operands { numbers: false, other: true };
        // `i < 10`, `total + sq(i)` (total holds numbers only), `i + 1`, `x * x`.
        for site in [1, 5, 7, 0] {
            assert_eq!(facts.operands(SiteId(site)), numbers, "site {site}");
        }
        // `total + ""` joins a string.
        assert_eq!(facts.operands(SiteId(9)), generic);
        let Some(CallTarget::Function(m)) = facts.callee(SiteId(4)) else { panic!("sq(i) has no target") };
        assert_eq!((m.func, m.arity, m.closure), (FuncId(1), 1, 0));
        assert_eq!(brine_ir::symbol::as_function(m.function), Some(FuncId(1)));

        // The script, optimized: `sq` is guarded and inlined, its `x * x`
        // and the loop's arithmetic are float code.
        let optimized = crate::optimize(&module, module.function(FuncId(0)), &facts).expect("optimized");
        let mut m = module.clone();
        m.functions = vec![optimized];
        let text = brine_ir::printer::print_function_text(&m, FuncId(0));
        assert!(text.contains("guard_function"), "{text}");
        assert!(!text.contains(" call ") && !text.contains("call_direct"), "sq is inlined:\n{text}");
        assert!(text.contains("fmul"), "{text}");
        assert!(!text.contains("= mul "), "{text}");
    }

    #[test]
    fn a_profile_round_trips_as_text_and_overrides_the_predictions() {
        let module = parse_module(PROGRAM).expect("the program parses");
        let profile = Profile {
            module: module_hash(&module),
            // `x * x` saw strings, `total + ""` numbers (say); site 4 called f1.
            operands: vec![
                (SiteId(0), Operands { numbers: false, other: true }),
                (SiteId(9), Operands { numbers: true, other: false }),
            ],
            calls: vec![(SiteId(4), FuncId(1))],
        };
        let text = profile.to_text();
        assert!(text.starts_with("brine profile 1\nmodule "), "{text}");
        assert!(text.contains("\noperands 0 0 1\n") && text.contains("\ncall 4 1\n"), "{text}");
        assert_eq!(Profile::from_text(&text), Ok(profile.clone()));
        let facts = StaticFacts::with_profile(&module, &profile);
        assert_eq!(facts.operands(SiteId(0)), Operands { numbers: false, other: true });
        assert_eq!(facts.operands(SiteId(9)), Operands { numbers: true, other: false });
        // A site the profile does not name keeps its prediction.
        assert_eq!(facts.operands(SiteId(1)), Operands { numbers: true, other: false });
        assert!(matches!(facts.callee(SiteId(4)), Some(CallTarget::Function(m)) if m.func == FuncId(1)));

        assert!(Profile::from_text("brine profile 2\n").is_err());
        let bad = Profile::from_text("brine profile 1\noperands 3 2 0\n").unwrap_err();
        assert!(bad.contains("line 2"), "{bad}");
        assert_ne!(
            module_hash(&module),
            module_hash(&parse_module(&PROGRAM.replace("10.0", "11.0")).unwrap())
        );
    }

    #[test]
    fn a_global_assigned_anywhere_or_defined_twice_is_not_constant() {
        let assigned = PROGRAM.replace(
            "    set_global \"total\", v12 @6  ; line 3",
            "    set_global \"total\", v12 @6  ; line 3\n    set_global \"sq\", v12 @6  ; line 3",
        );
        let module = parse_module(&assigned).expect("the program parses");
        assert_eq!(StaticFacts::analyze(&module).callee(SiteId(4)), None);
        let twice = PROGRAM.replace(
            "    define_global \"sq\", v2\n",
            "    define_global \"sq\", v2\n    define_global \"sq\", v2\n",
        );
        let module = parse_module(&twice).expect("the program parses");
        assert_eq!(StaticFacts::analyze(&module).callee(SiteId(4)), None);
    }
}
