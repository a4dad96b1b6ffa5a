//! Differential testing of the engines: generated Lox programs, valid and
//! terminating, must print exactly the same stdout and stderr, and exit with
//! the same code, in every mode as in the reference interpreter
//! (`brine run --engine=interp`).
//!
//! The generator (a small deterministic PRNG, seeded per program) writes
//! programs that exercise what the optimizer and the tiers touch: number
//! arithmetic and comparisons, equality between values of every kind, string
//! concatenation, `and`/`or`/`!`, locals and globals, nested loops with
//! bounded trip counts (up to a few thousand, so loops go hot and move to
//! native code by on-stack replacement), functions called thousands of times,
//! bounded recursion, closures that capture and assign, classes with `init`,
//! fields, methods, inheritance and `super` calls; and sites whose operand
//! kinds or callees change after they got hot (a function called 1,500 times
//! with numbers and then with strings, a loop variable that becomes a string,
//! a variable that holds another function, a field that shadows a method), so
//! that speculation fails and code deoptimizes. Some programs end in a
//! runtime error, so traces are compared too. Segments of a program run at
//! the top level, in a block or in a function called once (so both globals
//! and locals, and not only the script's own loops, get hot).
//!
//! Random code is typed by the generator: a value's kind is known wherever an
//! operator needs one, a string's length has a static bound (so no loop can
//! make strings grow without limit), every loop is bounded by a counter that
//! nothing else assigns, every call goes to something defined before it (and
//! a method only to methods of a lower number, or up the superclass chain),
//! and an estimate of the work of each piece of code caps the total. Values
//! a block would drop are printed or folded into the global `sink`, which
//! each segment prints. The parameter of some hot functions is a number in
//! the first calls and a string in the last ([`Ty::Plus`]), so that random
//! code, with random live values, deoptimizes; the templates of
//! [`Gen::template`] add more sites whose kinds change.
//!
//! Modes (see [`Mode`]): `interp` (the reference), `jit` (`--no-tier`),
//! `tiered`, `hot` (threshold 2), `eager`, `deopt` (threshold 2, every third
//! guard failing), and `aot` (`brine build`, then the executable), `aot-o2`
//! (`-O2`), `aot-jit` (`--jit`, run at threshold 2) and `aot-o2-jit`
//! (`-O2 --jit`, run at threshold 2) for some programs only, since linking
//! is slow (see [`Mode::runs_program`]).
//!
//! Environment:
//! - `BRINE_DIFF_CASES`: how many programs (default 40).
//! - `BRINE_DIFF_SEED`: the seed of the first program (decimal or `0x` hex;
//!   default fixed). Program `i` has seed `BRINE_DIFF_SEED + i`, so
//!   `BRINE_DIFF_SEED=S BRINE_DIFF_CASES=1` reruns the program of seed `S`.
//! - `BRINE_DIFF_MODES`: comma-separated modes to compare with `interp`
//!   (default `jit,tiered,hot,eager,deopt,aot,aot-o2,aot-jit,aot-o2-jit`; also `gc-eager` and
//!   `gc-deopt`, those two under `BRINE_GC_STRESS=1`).
//! - `BRINE_BIN`: the `brine` binary to test instead of the one cargo built.
//!
//! `cargo test -p brine --test differential show_programs -- --ignored
//! --nocapture` prints the programs those variables select.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const DEFAULT_CASES: u64 = 40;
const DEFAULT_SEED: u64 = 0xB21E_D1FF;
/// Every this many programs (the first included) also run ahead of time.
const AOT_EVERY: u64 = 8;
/// A run that takes longer is killed and fails.
const TIMEOUT: Duration = Duration::from_secs(60);
/// How many lines of each output a mismatch report shows (from a few lines
/// before the first difference).
const REPORT_LINES: usize = 40;

// ---------------------------------------------------------------------------
// The pseudo-random numbers

/// SplitMix64: tiny, fast and good enough to pick between alternatives.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x6A09_E667_F3BC_C908)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    /// An index into `weights`, each chosen in proportion to its weight.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut roll = (self.next_u64() % u64::from(total)) as u32;
        for (index, &weight) in weights.iter().enumerate() {
            if roll < weight {
                return index;
            }
            roll -= weight;
        }
        weights.len() - 1
    }
}

// ---------------------------------------------------------------------------
// The generator's view of a program

/// The kind of a value, as the generator knows it statically.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Ty {
    Num,
    Str,
    Bool,
    Nil,
    /// Any kind: such a value is only printed, compared with `==`/`!=`,
    /// negated with `!` or tested for truthiness.
    Any,
    /// An instance of the class of this index or of one of its subclasses.
    Obj(usize),
    /// A number in some calls and a string in others: the parameter of a
    /// function first called with numbers, until it is hot, then with
    /// strings, and locals made from it with `+`. Such a value is only added
    /// to another of its kind, compared with `==`/`!=` and printed; it is
    /// never assigned (so strings stay short).
    Plus,
}

#[derive(Clone, Debug)]
struct Var {
    name: String,
    ty: Ty,
    assignable: bool,
    /// For a string: the longest it can be.
    bound: usize,
}

/// A function (or closure) that code may call, defined before that code.
#[derive(Clone, Debug)]
struct Callable {
    name: String,
    params: Vec<Ty>,
    ret: Ty,
    /// The estimated work of one call.
    cost: u64,
}

#[derive(Clone, Debug)]
enum Item {
    Var(Var),
    Fun(Callable),
}

struct Field {
    name: String,
    ty: Ty,
}

/// Methods have a signature per program, so that overrides keep it and a
/// call is well typed whichever class's method runs.
struct Method {
    name: String,
    params: Vec<Ty>,
    ret: Ty,
    /// The most work of any body defined for it so far.
    cost: u64,
}

struct Class {
    name: String,
    superclass: Option<usize>,
    depth: usize,
    /// Every field an instance has after `init` (inherited ones included).
    fields: Vec<usize>,
    /// Every method an instance has (inherited ones included).
    methods: Vec<usize>,
    /// Whether some class of the chain defines `init`.
    has_init: bool,
    init: Vec<Ty>,
    init_cost: u64,
    /// Whether its declaration is finished, so that it can be instantiated.
    complete: bool,
}

#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Kind {
    Script,
    Fun,
    /// A method body may call only methods of a lower index (or go up the
    /// superclass chain), and no function: so no call cycle can form.
    Method {
        index: usize,
    },
    Init,
}

/// Where the generator is writing code.
#[derive(Clone)]
struct Ctx {
    kind: Kind,
    ret: Ty,
    /// How many times a statement written here runs per run of the unit.
    mult: u64,
    /// The estimated work of the unit so far, and its limit.
    work: u64,
    limit: u64,
    /// Method calls a method body may still make.
    method_calls: u32,
    print_ok: bool,
    fun_nesting: u32,
}

impl Ctx {
    fn script() -> Ctx {
        Ctx {
            kind: Kind::Script,
            ret: Ty::Nil,
            mult: 1,
            work: 0,
            limit: SEGMENT_WORK,
            method_calls: 0,
            print_ok: true,
            fun_nesting: 0,
        }
    }
}

/// The work limit of one top-level segment, and of the kinds of functions.
const SEGMENT_WORK: u64 = 40_000;
const LEAF_WORK: u64 = 14;
const WORKER_WORK: u64 = 9_000;
const METHOD_WORK: u64 = 8;
/// The bounds on strings passed as arguments, returned, and stored in fields.
const PARAM_CAP: usize = 16;
const RET_CAP: usize = 32;
const FIELD_CAP: usize = 24;
/// Blocks nest no deeper than this.
const MAX_DEPTH: u32 = 3;
/// The global into which code folds values it would otherwise drop.
const SINK: &str = "sink";

const NUM_LITS: &[&str] =
    &["0", "1", "2", "3", "4", "5", "7", "10", "0.5", "1.5", "2.25", "100", "0.1", "3.75", "1000"];
const STR_LITS: &[&str] = &["", "a", "bc", "lox", "x y", "42", "-"];
const TRIPS: &[u64] = &[2, 3, 5, 8, 20, 100, 400, 1100, 1500, 2500, 3000];

/// The templates of [`Gen::template`] that make code deoptimize under every
/// tiered engine (their sites see numbers while hot, then strings).
const STRONG_TEMPLATES: &[usize] = &[0, 1, 2, 5, 6, 7, 12, 13, 15];

/// What a program contains, as the generator counted it.
#[derive(Default, Debug, Clone)]
struct Features {
    loops: usize,
    calls: usize,
    classes: usize,
    functions: usize,
    templates: Vec<&'static str>,
}

struct Program {
    seed: u64,
    text: String,
    /// The kind of runtime error the program ends in, if any.
    error: Option<&'static str>,
    features: Features,
}

struct Gen {
    rng: Rng,
    out: String,
    indent: usize,
    next_id: usize,
    scopes: Vec<Vec<Item>>,
    classes: Vec<Class>,
    fields: Vec<Field>,
    methods: Vec<Method>,
    ctx: Ctx,
    features: Features,
}

/// `template` with every `$name` replaced by its value in `vars`.
fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
        let name = &after[..len];
        let value = vars
            .iter()
            .find(|(k, _)| *k == name)
            .unwrap_or_else(|| panic!("template placeholder ${name} has no value"));
        out.push_str(&value.1);
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

fn generate(seed: u64) -> Program {
    let mut g = Gen {
        rng: Rng::new(seed),
        out: String::new(),
        indent: 0,
        next_id: 0,
        scopes: vec![Vec::new()],
        classes: Vec::new(),
        fields: Vec::new(),
        methods: Vec::new(),
        ctx: Ctx::script(),
        features: Features::default(),
    };
    let error = g.program();
    Program { seed, text: g.out, error, features: g.features }
}

impl Gen {
    // --- output

    fn line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn open(&mut self, text: &str) {
        self.line(text);
        self.indent += 1;
    }

    fn close(&mut self, text: &str) {
        self.indent -= 1;
        self.line(text);
    }

    /// Writes a template's lines at the current indentation.
    fn raw(&mut self, text: &str) {
        for line in text.trim_matches('\n').lines() {
            self.line(line);
        }
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    // --- scopes

    fn push(&mut self) {
        self.scopes.push(Vec::new());
    }

    fn pop(&mut self) {
        self.scopes.pop();
    }

    /// Closes the innermost scope, first making some of its variables'
    /// values observable (printed, or folded into the global `sink`), so
    /// that no engine can get them wrong unseen.
    fn close_scope(&mut self) {
        let vars: Vec<Var> = self
            .scopes
            .last()
            .into_iter()
            .flatten()
            .filter_map(|item| match item {
                Item::Var(v) if v.name != "this" => Some(v.clone()),
                _ => None,
            })
            .collect();
        for var in vars {
            if !self.rng.chance(60) || !self.afford(1) {
                continue;
            }
            self.spend(1);
            let v = &var.name;
            if self.ctx.print_ok && self.ctx.mult <= 10 && self.rng.chance(50) {
                self.line(&format!("print {v};"));
                continue;
            }
            match var.ty {
                Ty::Num => self.line(&format!("{SINK} = {SINK} + {v};")),
                Ty::Str => {
                    let lit = self.literal(Ty::Str, 3);
                    self.line(&format!("if ({v} == {lit}) {SINK} = {SINK} + 1; else {SINK} = {SINK} + 0.5;"));
                }
                Ty::Bool => self.line(&format!("if ({v}) {SINK} = {SINK} + 2; else {SINK} = {SINK} - 1;")),
                Ty::Plus => {
                    let other = self.expr(Ty::Plus, 1);
                    self.line(&format!("if ({v} == {other}) {SINK} = {SINK} + 11;"));
                }
                Ty::Any => self.line(&format!(
                    "if ({v} == nil) {SINK} = {SINK} + 3; else if ({v}) {SINK} = {SINK} + 5; else {SINK} = {SINK} + 7;"
                )),
                _ => {}
            }
        }
        self.pop();
    }

    /// Runs `body` at the top level, in a block, or in a function called
    /// once (which keeps the script function, compiled again at each of its
    /// optimizations and on-stack replacements, small).
    fn wrapped(&mut self, body: impl FnOnce(&mut Gen)) {
        match self.rng.weighted(&[25, 15, 60]) {
            0 => body(self),
            1 => {
                self.open("{");
                self.push();
                body(self);
                self.close_scope();
                self.close("}");
            }
            _ => {
                let name = self.fresh("run");
                self.open(&format!("fun {name}() {{"));
                let (kind, ret, nesting) = (self.ctx.kind, self.ctx.ret, self.ctx.fun_nesting);
                self.ctx.kind = Kind::Fun;
                self.ctx.ret = Ty::Nil;
                self.ctx.fun_nesting += 1;
                self.push();
                body(self);
                self.close_scope();
                self.ctx.kind = kind;
                self.ctx.ret = ret;
                self.ctx.fun_nesting = nesting;
                self.close("}");
                self.line(&format!("{name}();"));
            }
        }
    }

    fn declare_var(&mut self, name: &str, ty: Ty, assignable: bool, bound: usize) {
        let var = Var { name: name.to_string(), ty, assignable, bound };
        self.scopes.last_mut().expect("a scope").push(Item::Var(var));
    }

    fn declare_fun(&mut self, callable: Callable) {
        self.scopes.last_mut().expect("a scope").push(Item::Fun(callable));
    }

    fn vars(&self) -> Vec<Var> {
        self.scopes
            .iter()
            .flatten()
            .filter_map(|item| match item {
                Item::Var(v) => Some(v.clone()),
                Item::Fun(_) => None,
            })
            .collect()
    }

    fn funs(&self) -> Vec<Callable> {
        self.scopes
            .iter()
            .flatten()
            .filter_map(|item| match item {
                Item::Fun(f) => Some(f.clone()),
                Item::Var(_) => None,
            })
            .collect()
    }

    // --- work

    fn afford(&self, units: u64) -> bool {
        self.ctx.work.saturating_add(self.ctx.mult.saturating_mul(units)) <= self.ctx.limit
    }

    fn spend(&mut self, units: u64) {
        self.ctx.work = self.ctx.work.saturating_add(self.ctx.mult.saturating_mul(units));
    }

    // --- types

    fn is_subclass(&self, mut class: usize, of: usize) -> bool {
        loop {
            if class == of {
                return true;
            }
            match self.classes[class].superclass {
                Some(sup) => class = sup,
                None => return false,
            }
        }
    }

    fn fits(&self, have: Ty, want: Ty) -> bool {
        match (have, want) {
            (Ty::Obj(a), Ty::Obj(b)) => self.is_subclass(a, b),
            _ => have == want,
        }
    }

    fn complete_classes(&self) -> Vec<usize> {
        (0..self.classes.len()).filter(|&c| self.classes[c].complete).collect()
    }

    /// A kind for a new variable.
    fn var_ty(&mut self) -> Ty {
        let classes = self.complete_classes();
        match self.rng.weighted(&[40, 15, 15, 12, if classes.is_empty() { 0 } else { 18 }]) {
            0 => Ty::Num,
            1 => Ty::Str,
            2 => Ty::Bool,
            3 => Ty::Any,
            _ => Ty::Obj(self.rng.pick(&classes)),
        }
    }

    /// A kind for an operand of `==` or of `print`.
    fn value_ty(&mut self) -> Ty {
        let classes = self.complete_classes();
        let plus = self.has_plus();
        match self.rng.weighted(&[
            35,
            20,
            15,
            8,
            10,
            if classes.is_empty() { 0 } else { 12 },
            if plus { 25 } else { 0 },
        ]) {
            0 => Ty::Num,
            1 => Ty::Str,
            2 => Ty::Bool,
            3 => Ty::Nil,
            4 => Ty::Any,
            5 => Ty::Obj(self.rng.pick(&classes)),
            _ => Ty::Plus,
        }
    }

    fn has_plus(&self) -> bool {
        self.scopes.iter().flatten().any(|item| matches!(item, Item::Var(v) if v.ty == Ty::Plus))
    }

    fn param_ty(&mut self) -> Ty {
        let classes = self.complete_classes();
        match self.rng.weighted(&[55, 15, 10, 10, if classes.is_empty() { 0 } else { 10 }]) {
            0 => Ty::Num,
            1 => Ty::Str,
            2 => Ty::Bool,
            3 => Ty::Any,
            _ => Ty::Obj(self.rng.pick(&classes)),
        }
    }

    fn ret_ty(&mut self) -> Ty {
        match self.rng.weighted(&[50, 20, 18, 12]) {
            0 => Ty::Num,
            1 => Ty::Str,
            2 => Ty::Bool,
            _ => Ty::Nil,
        }
    }

    fn prim_ty(&mut self) -> Ty {
        match self.rng.weighted(&[60, 25, 15]) {
            0 => Ty::Num,
            1 => Ty::Str,
            _ => Ty::Bool,
        }
    }

    fn calls_functions(&self) -> bool {
        matches!(self.ctx.kind, Kind::Script | Kind::Fun)
    }

    fn method_allowed(&self, method: usize) -> bool {
        match self.ctx.kind {
            Kind::Script | Kind::Fun => true,
            Kind::Method { index } => method < index && self.ctx.method_calls > 0,
            Kind::Init => false,
        }
    }

    // --- expressions

    fn expr(&mut self, ty: Ty, depth: u32) -> String {
        self.expr_cap(ty, depth, PARAM_CAP)
    }

    /// An expression of kind `ty`; a string one is at most `cap` long.
    fn expr_cap(&mut self, ty: Ty, depth: u32, cap: usize) -> String {
        if ty == Ty::Any {
            return self.any_expr(depth, cap);
        }
        if ty == Ty::Plus {
            let vars: Vec<Var> = self.vars().into_iter().filter(|v| v.ty == Ty::Plus).collect();
            let a = self.rng.pick(&vars).name;
            if depth == 0 || self.rng.chance(40) {
                return a;
            }
            let b = self.rng.pick(&vars).name;
            return if self.rng.chance(50) { format!("({a} + {b})") } else { format!("({b} + {a})") };
        }
        if depth == 0 || self.rng.chance(30) {
            return self.atom(ty, depth, cap);
        }
        let d = depth - 1;
        match ty {
            Ty::Num => match self.rng.below(12) {
                0..=6 => {
                    // (As many choices as before `%` came, so that a seed makes the
                    // same program apart from where `%` is.)
                    let op = self.rng.pick(&["+", "-", "*", "/", "+", "-", "*", "%"]);
                    let (a, b) = (self.expr(Ty::Num, d), self.expr(Ty::Num, d));
                    format!("({a} {op} {b})")
                }
                7 => format!("(-{})", self.expr(Ty::Num, d)),
                8 => self.ternary(ty, d, cap),
                _ => self.atom(ty, depth, cap),
            },
            Ty::Str => match self.rng.below(10) {
                0..=4 if cap >= 2 => {
                    let left = 1 + self.rng.below(cap - 1);
                    let a = self.expr_cap(Ty::Str, d, left);
                    let b = self.expr_cap(Ty::Str, d, cap - left);
                    format!("({a} + {b})")
                }
                5 => self.ternary(ty, d, cap),
                _ => self.atom(ty, depth, cap),
            },
            Ty::Bool => match self.rng.below(12) {
                0..=3 => {
                    let op = self.rng.pick(&["<", "<=", ">", ">="]);
                    let (a, b) = (self.expr(Ty::Num, d), self.expr(Ty::Num, d));
                    format!("({a} {op} {b})")
                }
                4..=5 => {
                    let op = self.rng.pick(&["==", "!="]);
                    let ta = self.value_ty();
                    let tb = if self.rng.chance(50) { ta } else { self.value_ty() };
                    let (a, b) = (self.expr(ta, d), self.expr(tb, d));
                    format!("({a} {op} {b})")
                }
                6 => format!("(!{})", self.expr(Ty::Any, d)),
                7..=8 => {
                    let op = self.rng.pick(&["and", "or"]);
                    let (a, b) = (self.expr(Ty::Bool, d), self.expr(Ty::Bool, d));
                    format!("({a} {op} {b})")
                }
                9 => self.ternary(ty, d, cap),
                _ => self.atom(ty, depth, cap),
            },
            Ty::Obj(_) if self.rng.chance(15) => self.ternary(ty, d, cap),
            _ => self.atom(ty, depth, cap),
        }
    }

    /// `(c and a) or b`: `a` when `c` is truthy (`a` is truthy, or a Bool).
    fn ternary(&mut self, ty: Ty, depth: u32, cap: usize) -> String {
        let cond = if self.rng.chance(70) { self.expr(Ty::Bool, depth) } else { self.expr(Ty::Any, depth) };
        let a = self.expr_cap(ty, depth, cap);
        let b = self.expr_cap(ty, depth, cap);
        format!("(({cond} and {a}) or {b})")
    }

    fn any_expr(&mut self, depth: u32, cap: usize) -> String {
        let anys: Vec<Var> = self.vars().into_iter().filter(|v| v.ty == Ty::Any).collect();
        let funs = self.funs();
        match self.rng.weighted(&[
            if anys.is_empty() { 0 } else { 30 },
            if funs.is_empty() { 0 } else { 5 },
            if depth > 0 { 10 } else { 0 },
            55,
        ]) {
            0 => self.rng.pick(&anys).name,
            1 => self.rng.pick(&funs).name,
            2 => {
                let op = self.rng.pick(&["and", "or"]);
                let a = self.any_expr(depth - 1, cap);
                let b = self.any_expr(depth - 1, cap);
                format!("({a} {op} {b})")
            }
            _ => {
                let ty = loop {
                    let ty = self.value_ty();
                    if ty != Ty::Any {
                        break ty;
                    }
                };
                self.expr_cap(ty, depth, cap)
            }
        }
    }

    fn literal(&mut self, ty: Ty, cap: usize) -> String {
        match ty {
            Ty::Num => self.rng.pick(NUM_LITS).to_string(),
            Ty::Str => {
                let fitting: Vec<&str> = STR_LITS.iter().copied().filter(|s| s.len() <= cap).collect();
                format!("\"{}\"", self.rng.pick(&fitting))
            }
            Ty::Bool => self.rng.pick(&["true", "false"]).to_string(),
            _ => "nil".to_string(),
        }
    }

    /// A leaf, or (when `depth > 0`) a call, of kind `ty`.
    fn atom(&mut self, ty: Ty, depth: u32, cap: usize) -> String {
        enum Choice {
            Lit,
            Var(String),
            Field(String, String),
            Call(Callable),
            Method(String, usize),
            Super(usize),
            New(usize),
        }
        let str_fits = |bound: usize| ty != Ty::Str || bound <= cap;
        let mut groups: Vec<(u32, Vec<Choice>)> = Vec::new();
        if matches!(ty, Ty::Num | Ty::Str | Ty::Bool | Ty::Nil) {
            groups.push((if ty == Ty::Nil { 6 } else { 3 }, vec![Choice::Lit]));
        }
        let vars = self.vars();
        let mut plain = Vec::new();
        let mut fields = Vec::new();
        let mut methods = Vec::new();
        for var in &vars {
            if self.fits(var.ty, ty) && str_fits(var.bound) {
                plain.push(Choice::Var(var.name.clone()));
            }
            if let Ty::Obj(class) = var.ty {
                for &field in &self.classes[class].fields {
                    if self.fields[field].ty == ty && str_fits(FIELD_CAP) {
                        fields.push(Choice::Field(var.name.clone(), self.fields[field].name.clone()));
                    }
                }
                for &method in &self.classes[class].methods {
                    let m = &self.methods[method];
                    if self.fits(m.ret, ty)
                        && str_fits(RET_CAP)
                        && depth > 0
                        && self.method_allowed(method)
                        && self.afford(m.cost)
                    {
                        methods.push(Choice::Method(var.name.clone(), method));
                    }
                }
            }
        }
        groups.push((4, plain));
        groups.push((2, fields));
        groups.push((3, methods));
        let mut calls = Vec::new();
        if self.calls_functions() && depth > 0 {
            for f in self.funs() {
                if self.fits(f.ret, ty) && str_fits(RET_CAP) && self.afford(f.cost) {
                    calls.push(Choice::Call(f));
                }
            }
        }
        groups.push((3, calls));
        let mut supers = Vec::new();
        if let (Kind::Method { index }, Some(this)) = (self.ctx.kind, self.this_class())
            && let Some(sup) = self.classes[this].superclass
            && self.ctx.method_calls > 0
            && depth > 0
        {
            for &method in &self.classes[sup].methods {
                let m = &self.methods[method];
                if method <= index && self.fits(m.ret, ty) && str_fits(RET_CAP) && self.afford(m.cost) {
                    supers.push(Choice::Super(method));
                }
            }
        }
        groups.push((3, supers));
        let mut news = Vec::new();
        if let Ty::Obj(want) = ty {
            for class in self.complete_classes() {
                if depth > 0 && self.is_subclass(class, want) && self.afford(self.classes[class].init_cost) {
                    news.push(Choice::New(class));
                }
            }
            if news.is_empty() && all_empty(&groups) {
                news.push(Choice::New(want));
            }
        }
        groups.push((2, news));
        groups.retain(|(_, choices)| !choices.is_empty());
        if groups.is_empty() {
            return self.literal(ty, cap);
        }
        let weights: Vec<u32> = groups.iter().map(|(w, _)| *w).collect();
        let group = self.rng.weighted(&weights);
        let choices = &mut groups[group].1;
        let choice = choices.swap_remove(self.rng.below(choices.len()));
        // Arguments are shallower, and at depth 0 there are no calls.
        let d = depth.saturating_sub(1).min(1);
        match choice {
            Choice::Lit => self.literal(ty, cap),
            Choice::Var(name) => name,
            Choice::Field(recv, field) => format!("{recv}.{field}"),
            Choice::Call(f) => {
                self.spend(f.cost);
                self.features.calls += 1;
                let args = self.args(&f.params, d);
                format!("{}({args})", f.name)
            }
            Choice::Method(recv, method) => {
                self.spend(self.methods[method].cost);
                self.ctx.method_calls = self.ctx.method_calls.saturating_sub(1);
                self.features.calls += 1;
                let params = self.methods[method].params.clone();
                let args = self.args(&params, d);
                let name = self.methods[method].name.clone();
                if self.rng.chance(10) {
                    format!("({recv}.{name})({args})")
                } else {
                    format!("{recv}.{name}({args})")
                }
            }
            Choice::Super(method) => {
                self.spend(self.methods[method].cost);
                self.ctx.method_calls = self.ctx.method_calls.saturating_sub(1);
                self.features.calls += 1;
                let params = self.methods[method].params.clone();
                let args = self.args(&params, d);
                format!("super.{}({args})", self.methods[method].name)
            }
            Choice::New(class) => {
                self.spend(self.classes[class].init_cost);
                let params = self.classes[class].init.clone();
                let args = self.args(&params, d);
                format!("{}({args})", self.classes[class].name)
            }
        }
    }

    fn args(&mut self, params: &[Ty], depth: u32) -> String {
        let args: Vec<String> = params
            .iter()
            .map(|&p| {
                let p = match p {
                    // A number or a string, unless a value of this kind is at hand.
                    Ty::Plus if !self.has_plus() || self.rng.chance(30) => {
                        if self.rng.chance(75) {
                            Ty::Num
                        } else {
                            Ty::Str
                        }
                    }
                    p => p,
                };
                self.expr_cap(p, depth, PARAM_CAP)
            })
            .collect();
        args.join(", ")
    }

    fn this_class(&self) -> Option<usize> {
        self.vars().iter().find(|v| v.name == "this").and_then(|v| match v.ty {
            Ty::Obj(class) => Some(class),
            _ => None,
        })
    }

    // --- statements

    fn stmts(&mut self, count: usize, depth: u32) {
        for _ in 0..count {
            self.stmt(depth);
        }
    }

    fn stmt(&mut self, depth: u32) {
        if !self.afford(1) {
            return;
        }
        self.spend(1);
        let compound = depth < MAX_DEPTH;
        match self.rng.below(100) {
            0..=13 => self.var_decl(),
            14..=35 => self.assign(),
            36..=43 if self.ctx.print_ok && self.ctx.mult <= 10 => {
                let ty = self.value_ty();
                let e = self.expr(ty, 2);
                self.line(&format!("print {e};"));
            }
            44..=53 if compound => self.if_stmt(depth),
            54..=67 if compound => self.loop_stmt(depth),
            68..=77 => self.call_stmt(),
            78..=84 => self.field_set(),
            85..=88 if compound => {
                self.open("{");
                self.push();
                let n = 1 + self.rng.below(3);
                self.stmts(n, depth + 1);
                self.close_scope();
                self.close("}");
            }
            89..=92 if compound && self.calls_functions() && self.ctx.fun_nesting < 2 => {
                let name = self.fresh("l");
                let body = 1 + self.rng.below(2);
                let f = self.function(&name, LEAF_WORK, body);
                self.declare_fun(f);
            }
            93..=99 => self.early_return(),
            _ => self.assign(),
        }
    }

    fn var_decl(&mut self) {
        if self.has_plus() && self.rng.chance(35) {
            let name = self.fresh("v");
            let init = self.expr(Ty::Plus, 1);
            self.line(&format!("var {name} = {init};"));
            return self.declare_var(&name, Ty::Plus, false, 0);
        }
        let ty = self.var_ty();
        let name = self.fresh(if self.scopes.len() == 1 { "g" } else { "v" });
        let bound = self.rng.pick(&[8, 24, 64]);
        let init = self.expr_cap(ty, 2, bound);
        self.line(&format!("var {name} = {init};"));
        self.declare_var(&name, ty, true, bound);
    }

    fn assign(&mut self) {
        let vars: Vec<Var> = self.vars().into_iter().filter(|v| v.assignable).collect();
        if vars.is_empty() {
            return self.var_decl();
        }
        let var = self.rng.pick(&vars);
        let rhs = match var.ty {
            Ty::Num if self.rng.chance(55) => {
                let op = self.rng.pick(&["+", "+", "-", "*"]);
                let e = self.expr(Ty::Num, 2);
                format!("{} {op} {e}", var.name)
            }
            ty => self.expr_cap(ty, 2, var.bound),
        };
        self.line(&format!("{} = {rhs};", var.name));
    }

    fn if_stmt(&mut self, depth: u32) {
        let cond = if self.rng.chance(75) { self.expr(Ty::Bool, 2) } else { self.expr(Ty::Any, 1) };
        self.open(&format!("if ({cond}) {{"));
        self.push();
        let n = 1 + self.rng.below(3);
        self.stmts(n, depth + 1);
        self.close_scope();
        if self.rng.chance(50) {
            self.close("} else {");
            self.indent += 1;
            self.push();
            let n = 1 + self.rng.below(2);
            self.stmts(n, depth + 1);
            self.close_scope();
        }
        self.close("}");
    }

    fn loop_stmt(&mut self, depth: u32) {
        if !self.calls_functions() {
            return self.assign();
        }
        let affordable: Vec<u64> = TRIPS.iter().copied().filter(|&n| self.afford(n * 3)).collect();
        if affordable.is_empty() {
            return self.assign();
        }
        let n = self.rng.pick(&affordable);
        let body = 1 + self.rng.below(4);
        self.counted_loop(n, depth, |g, depth, _| g.stmts(body, depth));
    }

    /// A loop of `n` trips around `body`, whose counter nothing else assigns.
    fn counted_loop(&mut self, n: u64, depth: u32, body: impl FnOnce(&mut Gen, u32, &str)) {
        let i = self.fresh("i");
        self.spend(n);
        self.features.loops += 1;
        let style = self.rng.below(3);
        match style {
            0 => self.open(&format!("for (var {i} = 0; {i} < {n}; {i} = {i} + 1) {{")),
            1 => self.open(&format!("for (var {i} = {n}; {i} > 0; {i} = {i} - 1) {{")),
            _ => {
                self.open("{");
                self.line(&format!("var {i} = 0;"));
                self.open(&format!("while ({i} < {n}) {{"));
            }
        }
        self.push();
        self.declare_var(&i, Ty::Num, false, 0);
        let mult = self.ctx.mult;
        self.ctx.mult = mult.saturating_mul(n);
        body(self, depth + 1, &i);
        self.close_scope();
        self.ctx.mult = mult;
        if style == 2 {
            self.line(&format!("{i} = {i} + 1;"));
            self.close("}");
        }
        self.close("}");
    }

    /// A call for its effect, or an assignment when nothing can be called.
    fn call_stmt(&mut self) {
        let ty = self.ret_ty();
        let call = self.atom(ty, 2, RET_CAP);
        if call.contains('(') {
            self.line(&format!("{call};"));
        } else {
            self.assign();
        }
    }

    fn field_set(&mut self) {
        let mut targets = Vec::new();
        for var in self.vars() {
            if let Ty::Obj(class) = var.ty {
                for &field in &self.classes[class].fields {
                    targets.push((var.name.clone(), field));
                }
            }
        }
        if targets.is_empty() {
            return self.assign();
        }
        let (recv, field) = self.rng.pick(&targets);
        let ty = self.fields[field].ty;
        let e = self.expr_cap(ty, 2, FIELD_CAP);
        self.line(&format!("{recv}.{} = {e};", self.fields[field].name));
    }

    fn early_return(&mut self) {
        let ret = self.ctx.ret;
        match self.ctx.kind {
            Kind::Fun | Kind::Method { .. } => {
                let cond = self.expr(Ty::Bool, 1);
                if ret == Ty::Nil {
                    self.line(&format!("if ({cond}) return;"));
                } else {
                    let e = self.expr_cap(ret, 1, RET_CAP);
                    self.line(&format!("if ({cond}) return {e};"));
                }
            }
            _ => self.assign(),
        }
    }

    // --- functions and classes

    /// Writes `fun name(...) {...}` here, its body worth at most `limit`.
    fn function(&mut self, name: &str, limit: u64, body: usize) -> Callable {
        self.function_with(name, limit, body, false)
    }

    /// [`Gen::function`], with a first parameter of kind [`Ty::Plus`] when
    /// `plus`: callers pass it numbers, then strings.
    fn function_with(&mut self, name: &str, limit: u64, body: usize, plus: bool) -> Callable {
        let mut params: Vec<(String, Ty)> = Vec::new();
        if plus {
            params.push((self.fresh("sw"), Ty::Plus));
        }
        for _ in 0..self.rng.below(4) {
            let p = self.fresh("p");
            params.push((p, self.param_ty()));
        }
        let ret = self.ret_ty();
        let list: Vec<&str> = params.iter().map(|(p, _)| p.as_str()).collect();
        self.open(&format!("fun {name}({}) {{", list.join(", ")));
        let ctx = Ctx {
            kind: Kind::Fun,
            ret,
            mult: 1,
            work: 2,
            limit,
            method_calls: 0,
            print_ok: limit >= WORKER_WORK,
            fun_nesting: self.ctx.fun_nesting + 1,
        };
        let outer = std::mem::replace(&mut self.ctx, ctx);
        self.push();
        for (p, ty) in &params {
            self.declare_var(p, *ty, *ty != Ty::Plus, PARAM_CAP);
        }
        if plus {
            // Make sure the switching parameter meets arithmetic.
            let (sw, a) = (params[0].0.clone(), self.fresh("v"));
            self.line(&format!("var {a} = {sw} + {sw};"));
            self.declare_var(&a, Ty::Plus, false, 0);
        }
        self.stmts(body, 1);
        let e = (ret != Ty::Nil || self.rng.chance(30)).then(|| self.expr_cap(ret, 2, RET_CAP));
        self.close_scope();
        if let Some(e) = e {
            self.line(&format!("return {e};"));
        }
        self.close("}");
        let cost = self.ctx.work + 2;
        self.ctx = outer;
        self.features.functions += 1;
        Callable { name: name.to_string(), params: params.into_iter().map(|(_, t)| t).collect(), ret, cost }
    }

    fn class_def(&mut self) -> usize {
        let id = self.classes.len();
        let name = self.fresh("C");
        let candidates: Vec<usize> =
            self.complete_classes().into_iter().filter(|&c| self.classes[c].depth < 2).collect();
        let sup = if !candidates.is_empty() && self.rng.chance(60) {
            Some(self.rng.pick(&candidates))
        } else {
            None
        };
        let (fields, methods, has_init, super_init, super_cost, depth) = match sup {
            Some(s) => {
                let c = &self.classes[s];
                (c.fields.clone(), c.methods.clone(), c.has_init, c.init.clone(), c.init_cost, c.depth + 1)
            }
            None => (Vec::new(), Vec::new(), false, Vec::new(), 1, 0),
        };
        self.classes.push(Class {
            name: name.clone(),
            superclass: sup,
            depth,
            fields,
            methods,
            has_init,
            init: super_init.clone(),
            init_cost: super_cost,
            complete: false,
        });
        match sup {
            Some(s) => {
                let sup_name = self.classes[s].name.clone();
                self.open(&format!("class {name} < {sup_name} {{"));
            }
            None => self.open(&format!("class {name} {{")),
        }

        let own: Vec<usize> = (0..self.rng.below(3))
            .map(|_| {
                let field = Field { name: self.fresh("x"), ty: self.prim_ty() };
                self.fields.push(field);
                self.fields.len() - 1
            })
            .collect();
        if !own.is_empty() || self.rng.chance(30) {
            self.init_def(id, &own, &super_init, super_cost);
        }

        let count = 1 + self.rng.below(3);
        let mut defined = Vec::new();
        for _ in 0..count {
            let method = self.rng.below(self.methods.len());
            if defined.contains(&method) {
                continue;
            }
            defined.push(method);
            self.method_def(id, method);
        }
        self.close("}");
        self.classes[id].complete = true;
        self.features.classes += 1;
        id
    }

    fn init_def(&mut self, id: usize, own: &[usize], super_init: &[Ty], super_cost: u64) {
        let mut params: Vec<(String, Ty)> = Vec::new();
        let mut own_values = Vec::new();
        for &field in own {
            if self.rng.chance(70) {
                let p = self.fresh("p");
                params.push((p.clone(), self.fields[field].ty));
                own_values.push(Some(p));
            } else {
                own_values.push(None);
            }
        }
        let mut pass = Vec::new();
        for &ty in super_init {
            let p = self.fresh("p");
            params.push((p.clone(), ty));
            pass.push(p);
        }
        if self.rng.chance(50) {
            let p = self.fresh("p");
            let ty = self.prim_ty();
            params.push((p, ty));
        }
        let list: Vec<&str> = params.iter().map(|(p, _)| p.as_str()).collect();
        self.open(&format!("init({}) {{", list.join(", ")));
        let ctx = Ctx {
            kind: Kind::Init,
            ret: Ty::Nil,
            mult: 1,
            work: 2,
            limit: METHOD_WORK,
            method_calls: 0,
            print_ok: false,
            fun_nesting: self.ctx.fun_nesting + 1,
        };
        let outer = std::mem::replace(&mut self.ctx, ctx);
        self.push();
        for (p, ty) in &params {
            self.declare_var(p, *ty, true, PARAM_CAP);
        }
        // The arguments of `super.init` cannot read `this`: its inherited
        // fields are not set yet.
        if self.classes[id].has_init {
            let args: Vec<String> = pass
                .iter()
                .zip(super_init)
                .map(|(p, &ty)| if self.rng.chance(75) { p.clone() } else { self.expr_cap(ty, 1, PARAM_CAP) })
                .collect();
            self.line(&format!("super.init({});", args.join(", ")));
        }
        self.declare_var("this", Ty::Obj(id), false, 0);
        for (&field, value) in own.iter().zip(own_values) {
            let ty = self.fields[field].ty;
            let value = value.unwrap_or_else(|| self.expr_cap(ty, 1, FIELD_CAP));
            self.line(&format!("this.{} = {value};", self.fields[field].name));
        }
        if self.rng.chance(30) {
            self.stmt(MAX_DEPTH);
        }
        self.pop();
        self.close("}");
        let cost = self.ctx.work + super_cost;
        self.ctx = outer;
        let class = &mut self.classes[id];
        class.fields.extend_from_slice(own);
        class.has_init = true;
        class.init = params.into_iter().map(|(_, t)| t).collect();
        class.init_cost = cost;
    }

    fn method_def(&mut self, id: usize, method: usize) {
        let params: Vec<(String, Ty)> =
            self.methods[method].params.clone().into_iter().map(|ty| (self.fresh("p"), ty)).collect();
        let ret = self.methods[method].ret;
        let list: Vec<&str> = params.iter().map(|(p, _)| p.as_str()).collect();
        self.open(&format!("{}({}) {{", self.methods[method].name, list.join(", ")));
        let ctx = Ctx {
            kind: Kind::Method { index: method },
            ret,
            mult: 1,
            work: 2,
            limit: METHOD_WORK,
            method_calls: 1,
            print_ok: false,
            fun_nesting: self.ctx.fun_nesting + 1,
        };
        let outer = std::mem::replace(&mut self.ctx, ctx);
        self.push();
        self.declare_var("this", Ty::Obj(id), false, 0);
        for (p, ty) in &params {
            self.declare_var(p, *ty, true, PARAM_CAP);
        }
        let n = self.rng.below(3);
        self.stmts(n, MAX_DEPTH - 1);
        let e = (ret != Ty::Nil).then(|| self.expr_cap(ret, 2, RET_CAP));
        self.close_scope();
        if let Some(e) = e {
            self.line(&format!("return {e};"));
        }
        self.close("}");
        let cost = self.ctx.work + 2;
        self.ctx = outer;
        let m = &mut self.methods[method];
        m.cost = m.cost.max(cost);
        if !self.classes[id].methods.contains(&method) {
            self.classes[id].methods.push(method);
        }
    }

    // --- the program

    /// Writes the program; returns the kind of runtime error it ends in.
    fn program(&mut self) -> Option<&'static str> {
        for _ in 0..4 {
            let params = (0..self.rng.below(3)).map(|_| self.prim_ty()).collect();
            let ret = self.ret_ty();
            let name = format!("m{}", self.methods.len());
            self.methods.push(Method { name, params, ret, cost: 2 });
        }
        self.line(&format!("var {SINK} = 0;"));
        // A few globals to begin with.
        for (ty, init) in [(Ty::Num, "0"), (Ty::Str, "\"s\""), (Ty::Bool, "true"), (Ty::Any, "nil")] {
            let name = self.fresh("g");
            self.line(&format!("var {name} = {init};"));
            self.declare_var(&name, ty, true, 24);
        }

        #[derive(Copy, Clone, PartialEq)]
        enum Seg {
            HotFunction,
            Worker,
            Class,
            Closure,
            Script,
            Template,
            StrongTemplate,
            Recursion,
        }
        let mut plan = vec![Seg::HotFunction, Seg::Class, Seg::StrongTemplate];
        let extra = 2 + self.rng.below(3);
        for _ in 0..extra {
            plan.push(match self.rng.weighted(&[3, 1, 2, 1, 3, 3, 1]) {
                0 => Seg::HotFunction,
                1 => Seg::Worker,
                2 => Seg::Class,
                3 => Seg::Closure,
                4 => Seg::Script,
                5 => Seg::Template,
                _ => Seg::Recursion,
            });
        }
        for i in (1..plan.len()).rev() {
            let j = self.rng.below(i + 1);
            plan.swap(i, j);
        }
        for seg in plan {
            self.ctx = Ctx::script();
            match seg {
                Seg::HotFunction => self.hot_function(),
                Seg::Worker => self.worker(),
                Seg::Class => self.class_segment(),
                Seg::Closure => self.closure_segment(),
                Seg::Script => self.script_segment(),
                Seg::Template => self.template(None),
                Seg::StrongTemplate => self.template(Some(STRONG_TEMPLATES)),
                Seg::Recursion => self.recursion(),
            }
            self.line(&format!("print {SINK};"));
            self.line(&format!("{SINK} = 0;"));
        }
        // Every global's final value.
        for var in self.vars() {
            if var.assignable {
                self.line(&format!("print {};", var.name));
            }
        }
        if self.rng.chance(40) { Some(self.error_ending()) } else { None }
    }

    /// A new global accumulator of kind `ty`.
    fn accumulator(&mut self, ty: Ty) -> String {
        let name = self.fresh("g");
        let init = match ty {
            Ty::Num => "0",
            Ty::Str => "\"\"",
            Ty::Bool => "false",
            _ => "nil",
        };
        self.line(&format!("var {name} = {init};"));
        self.declare_var(&name, ty, true, RET_CAP);
        name
    }

    /// A call of `f` (its cost spent), with `first` as its first argument.
    fn call_of(&mut self, f: &Callable, first: Option<String>) -> String {
        self.spend(f.cost);
        self.features.calls += 1;
        let mut args: Vec<String> = first.into_iter().collect();
        let rest = self.args(&f.params[args.len()..], 1);
        if !rest.is_empty() {
            args.push(rest);
        }
        format!("{}({})", f.name, args.join(", "))
    }

    /// A use of a call's result that keeps the accumulators' kinds.
    fn consume(&mut self, call: &str, ret: Ty, acc: &str, count: &str) {
        match ret {
            Ty::Num => self.line(&format!("{acc} = {acc} + {call};")),
            Ty::Bool => self.line(&format!("if ({call}) {count} = {count} + 1;")),
            Ty::Str => self.line(&format!("if ({call} == \"a\") {count} = {count} + 1;")),
            _ => self.line(&format!("{call};")),
        }
    }

    /// A leaf function, then a loop that calls it until it is hot.
    fn hot_function(&mut self) {
        let name = self.fresh("f");
        let body = 1 + self.rng.below(3);
        let plus = self.rng.chance(50);
        let f = self.function_with(&name, LEAF_WORK, body, plus);
        self.declare_fun(f.clone());
        self.wrapped(|g| {
            let acc = g.accumulator(Ty::Num);
            let count = g.accumulator(Ty::Num);
            let n = g.rng.pick(&[1100, 1500, 2000, 2500, 3000]).min(SEGMENT_WORK / (f.cost + 6));
            let extra = g.rng.below(2);
            g.counted_loop(n, 0, |g, depth, i| {
                let call = g.call_of(&f, plus.then(|| i.to_string()));
                g.consume(&call, f.ret, &acc, &count);
                g.stmts(extra, depth);
            });
            if plus {
                // Now with strings: the hot code's speculation fails.
                let m = g.rng.range(2, 20);
                g.counted_loop(m, 0, |g, _, _| {
                    let first = g.expr_cap(Ty::Str, 1, 4);
                    let call = g.call_of(&f, Some(first));
                    g.consume(&call, f.ret, &acc, &count);
                });
                let call = g.call_of(&f, Some("0.5".to_string()));
                g.consume(&call, f.ret, &acc, &count);
            }
            g.line(&format!("print {acc};"));
            g.line(&format!("print {count};"));
        });
    }

    /// A function with loops inside, called a few times.
    fn worker(&mut self) {
        let name = self.fresh("w");
        let body = 2 + self.rng.below(3);
        let plus = self.rng.chance(50);
        let f = self.function_with(&name, WORKER_WORK, body, plus);
        self.declare_fun(f.clone());
        // With a switching parameter: a number first, then a string.
        let calls = 1 + self.rng.below(2);
        for first in ["7", "\"ab\""].into_iter().take(calls) {
            if !self.afford(f.cost) {
                break;
            }
            let call = self.call_of(&f, plus.then(|| first.to_string()));
            self.line(&format!("print {call};"));
        }
    }

    fn class_segment(&mut self) {
        let class = self.class_def();
        let mut objects = if self.rng.chance(50) { self.objects(class) } else { Vec::new() };
        self.wrapped(|g| {
            if objects.is_empty() {
                objects = g.objects(class);
            }
            let acc = g.accumulator(Ty::Num);
            let count = g.accumulator(Ty::Num);
            let methods = g.classes[class].methods.clone();
            let method = g.rng.pick(&methods);
            let cost = g.methods[method].cost + 6;
            let n = g.rng.pick(&[1100, 1500, 2000]).min(SEGMENT_WORK / cost);
            let extra = g.rng.below(3);
            g.counted_loop(n, 0, |g, depth, _| {
                let recv = g.rng.pick(&objects);
                let params = g.methods[method].params.clone();
                let args = g.args(&params, 1);
                g.spend(g.methods[method].cost);
                g.features.calls += 1;
                let call = format!("{recv}.{}({args})", g.methods[method].name);
                g.consume(&call, g.methods[method].ret, &acc, &count);
                g.stmts(extra, depth);
            });
            g.line(&format!("print {acc};"));
            g.line(&format!("print {count};"));
        });
    }

    /// New variables holding instances of `class`.
    fn objects(&mut self, class: usize) -> Vec<String> {
        let mut objects = Vec::new();
        for _ in 0..1 + self.rng.below(2) {
            let name = self.fresh("o");
            let e = self.atom(Ty::Obj(class), 1, PARAM_CAP);
            self.line(&format!("var {name} = {e};"));
            self.declare_var(&name, Ty::Obj(class), true, 0);
            objects.push(name);
        }
        objects
    }

    /// A function that returns a closure over its locals, and its closures.
    fn closure_segment(&mut self) {
        let maker = self.fresh("mk");
        let p = self.fresh("p");
        self.open(&format!("fun {maker}({p}) {{"));
        let outer = std::mem::replace(
            &mut self.ctx,
            Ctx {
                kind: Kind::Fun,
                mult: 1,
                work: 2,
                limit: 100,
                print_ok: false,
                fun_nesting: 1,
                ..Ctx::script()
            },
        );
        self.push();
        self.declare_var(&p, Ty::Num, true, 0);
        for _ in 0..1 + self.rng.below(2) {
            self.var_decl();
        }
        let inner = self.fresh("inner");
        let body = 1 + self.rng.below(3);
        let f = self.function(&inner, LEAF_WORK, body);
        self.close_scope();
        self.line(&format!("return {inner};"));
        self.ctx = outer;
        self.close("}");
        self.wrapped(|g| {
            let mut closures = Vec::new();
            for _ in 0..1 + g.rng.below(2) {
                let name = g.fresh("cl");
                let arg = g.expr(Ty::Num, 1);
                g.line(&format!("var {name} = {maker}({arg});"));
                let closure = Callable { name: name.clone(), ..f.clone() };
                g.declare_fun(closure.clone());
                closures.push(closure);
            }
            let acc = g.accumulator(Ty::Num);
            let count = g.accumulator(Ty::Num);
            let n = g.rng.pick(&[1100, 1500, 2500]).min(SEGMENT_WORK / (f.cost + 6));
            g.counted_loop(n, 0, |g, _, _| {
                let c = g.rng.pick(&closures);
                let args = g.args(&c.params, 1);
                g.spend(c.cost);
                g.features.calls += 1;
                g.consume(&format!("{}({args})", c.name), c.ret, &acc, &count);
            });
            g.line(&format!("print {acc};"));
            g.line(&format!("print {count};"));
        });
    }

    /// Random statements at the top level, in a block or in a function.
    fn script_segment(&mut self) {
        self.wrapped(|g| {
            let n = 2 + g.rng.below(4);
            g.stmts(n, 0);
            // Make sure there is a hot loop.
            if g.features.loops == 0 || g.rng.chance(50) {
                let n = g.rng.pick(&[1200, 2000, 3000]);
                let body = 1 + g.rng.below(3);
                g.counted_loop(n, 0, |g, depth, _| g.stmts(body, depth));
            }
        });
    }

    // --- templates: sites whose kinds change

    fn template(&mut self, among: Option<&[usize]>) {
        let which = match among {
            Some(among) => self.rng.pick(among),
            None => self.rng.below(16),
        };
        if which == 15 {
            // Redeclaring a name is only allowed at the top level.
            self.t_redefine();
            self.features.templates.push("redefine");
            return;
        }
        // At the top level its variables are globals; in a block or a
        // function they are locals, and those its functions use are captured.
        let mut name = "";
        self.wrapped(|g| {
            name = match which {
                0 => g.t_poly_function(),
                1 => g.t_switch_loop(),
                2 => g.t_field_switch(),
                3 => g.t_mixed_equality(),
                4 => g.t_truthiness(),
                5 => g.t_poly_method(),
                6 => g.t_closure_counter(),
                7 => g.t_global_switch(),
                8 => g.t_special_numbers(),
                9 => g.t_shapes(),
                10 => g.t_string_build(),
                11 => g.t_algebra(),
                12 => g.t_call_targets(),
                13 => g.t_field_callee(),
                _ => g.t_many_fields(),
            }
        });
        self.features.templates.push(name);
        self.features.loops += 1;
        self.features.calls += 1;
    }

    fn names(&mut self, names: &[&'static str]) -> Vec<(&'static str, String)> {
        names
            .iter()
            .map(|&n| (n, self.fresh(&format!("{}_", n.trim_end_matches(|c: char| c.is_ascii_digit())))))
            .collect()
    }

    fn num(&mut self, lo: u64, hi: u64) -> String {
        self.rng.range(lo, hi).to_string()
    }

    /// A function called with numbers until it is hot, then with strings.
    fn t_poly_function(&mut self) -> &'static str {
        let mut vars = self.names(&["f", "acc", "s", "i", "j"]);
        let body = self.rng.pick(&[
            "return a + b;",
            "var t = a + b;\n  if (t == a) return b;\n  return t;",
            "if (a == b) return a;\n  return b + a;",
            "var t = a;\n  for (var k = 0; k < 3; k = k + 1) t = t + b;\n  return t;",
            "return (a + b) + b;",
        ]);
        vars.push(("body", body.to_string()));
        vars.push(("n", self.num(1100, 2200)));
        vars.push(("m", self.num(2, 30)));
        vars.push(("c", self.rng.pick(&["x", "yz", ""]).to_string()));
        let mixed = self.rng.chance(40);
        let text = if mixed {
            r#"
fun $f(a, b) {
  $body
}
var $acc = 0;
var $s = "";
for (var $i = 0; $i < $n + $m; $i = $i + 1) {
  if ($i < $n) $acc = $f($acc, $i); else $s = $f($s, "$c");
}
print $acc;
print $s;
print $f(1.5, 2);
print $f("x", "y");
"#
        } else {
            r#"
fun $f(a, b) {
  $body
}
var $acc = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  $acc = $f($acc, $i);
}
print $acc;
var $s = "";
for (var $j = 0; $j < $m; $j = $j + 1) {
  $s = $f($s, "$c");
}
print $s;
print $f(1.5, 2);
print $f("x", "y");
"#
        };
        self.raw(&fill(text, &vars));
        "poly_function"
    }

    /// A loop variable that becomes a string, and maybe a number again.
    fn t_switch_loop(&mut self) -> &'static str {
        let mut vars = self.names(&["v", "w", "c", "i", "f"]);
        let trips = self.rng.range(1100, 2600);
        let s1 = trips - self.rng.range(20, 300);
        let s2 = if self.rng.chance(50) { s1 + self.rng.range(5, 100) } else { trips + 1 };
        vars.push(("trips", trips.to_string()));
        vars.push(("s1", s1.to_string()));
        vars.push(("s2", s2.to_string()));
        vars.push(("k", self.rng.pick(&["0", "1", "2.5"]).to_string()));
        let body = fill(
            r#"
var $v = $k;
var $w = 1;
var $c = 0;
for (var $i = 0; $i < $trips; $i = $i + 1) {
  if ($i == $s1) {
    $v = "s";
    $w = "t";
  }
  if ($i == $s2) {
    $v = $k;
    $w = 2;
  }
  $v = $v + $w;
  if ($v == $w) $c = $c + 1;
  if ($v != nil and $w != false) $c = $c + 2;
}
print $v;
print $c;
"#,
            &vars,
        );
        let f = vars.iter().find(|(k, _)| *k == "f").map(|(_, v)| v.clone()).unwrap_or_default();
        match self.rng.below(3) {
            0 => self.raw(&body),
            1 => {
                self.open("{");
                self.raw(&body);
                self.close("}");
            }
            _ => {
                self.open(&format!("fun {f}() {{"));
                self.raw(&body);
                self.close("}");
                self.line(&format!("{f}();"));
            }
        }
        "switch_loop"
    }

    /// A field that holds numbers while its methods get hot, then strings.
    fn t_field_switch(&mut self) -> &'static str {
        let mut vars = self.names(&["C", "x", "o", "t", "p", "s", "i", "j"]);
        vars.push(("n", self.num(1100, 2000)));
        vars.push(("m", self.num(2, 40)));
        let text = r#"
class $C {
  init(v) {
    this.$x = v;
  }
  twice() {
    return this.$x + this.$x;
  }
  bump(d) {
    this.$x = this.$x + d;
    return this.$x;
  }
}
var $o = $C(1);
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  $o.$x = $i;
  $t = $t + $o.twice();
  $t = $t + $o.bump(1);
}
print $t;
$o.$x = "ab";
print $o.twice();
print $o.bump("c");
var $p = $C("q");
var $s = "";
for (var $j = 0; $j < $m; $j = $j + 1) {
  $s = $p.bump("r");
}
print $s;
print $p.twice();
print $o.bump("z") == $p.bump("z");
"#;
        self.raw(&fill(text, &vars));
        "field_switch"
    }

    /// `==` and `!=` on numbers while hot, then on every other kind.
    fn t_mixed_equality(&mut self) -> &'static str {
        let mut vars = self.names(&["f", "g", "c", "i", "j"]);
        vars.push(("n", self.num(1100, 2000)));
        vars.push(("k", self.num(0, 5)));
        vars.push(("m", self.num(10, 200)));
        vars.push(("h", self.num(3, 9)));
        let text = r#"
fun $f(a, b) {
  if (a == b) return 1;
  if (a != b) return 2;
  return 3;
}
fun $g(a, b) {
  return a == b;
}
var $c = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  $c = $c + $f($i, $i - $k);
  if ($g($i, $k)) $c = $c + 100;
}
print $c;
print $f(nil, nil);
print $f("a", "a");
print $f(1, "1");
print $f(true, 1);
print $f(nil, false);
print $g($f, $f);
print $g($f, $g);
print $g("ab", "a" + "b");
print $g(0, -0);
print $g(0 / 0, 0 / 0);
for (var $j = 0; $j < $m; $j = $j + 1) {
  var x = $j;
  if ($j > $h) x = "s";
  $c = $c + $f(x, "s") + $f(x, $j);
}
print $c;
"#;
        self.raw(&fill(text, &vars));
        "mixed_equality"
    }

    /// Truthiness and `!`, `and`, `or` on numbers while hot, then on the rest.
    fn t_truthiness(&mut self) -> &'static str {
        let mut vars = self.names(&["f", "g", "h", "c", "v", "i", "j"]);
        vars.push(("n", self.num(1100, 2000)));
        vars.push(("m", self.num(10, 300)));
        let text = r#"
fun $f(x) {
  if (x) return 1;
  return 0;
}
fun $g(x) {
  return !x;
}
fun $h(x, y) {
  return (x and y) or "neither";
}
var $c = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  $c = $c + $f($i);
  if ($g($i)) $c = $c - 1;
  $c = $c + $h($i, 1);
}
print $c;
print $f(nil);
print $f(false);
print $f("");
print $f(0);
print $f($f);
print $g(nil);
print $g("s");
print $h(nil, 1);
print $h(1, false);
print $h("a", "b");
var $v = nil;
for (var $j = 0; $j < $m; $j = $j + 1) {
  if ($v == nil) $v = $j; else if ($v == 3) $v = false; else $v = nil;
  $c = $c + $f($v);
  if ($h($v, $v) == "neither") $c = $c + 1000;
}
print $c;
"#;
        self.raw(&fill(text, &vars));
        "truthiness"
    }

    /// A polymorphic call site; then a method that returns a string.
    fn t_poly_method(&mut self) -> &'static str {
        let mut vars = self.names(&["A", "B", "D", "g", "a", "b", "t", "k", "d", "s", "i", "j"]);
        vars.push(("n", self.num(1100, 2000)));
        vars.push(("per", self.num(2, 5)));
        vars.push(("m", self.num(2, 50)));
        let text = r#"
class $A {
  init(n) {
    this.n = n;
  }
  val() {
    return this.n;
  }
}
class $B < $A {
  init(n) {
    super.init(n);
    this.k = 2;
  }
  val() {
    return super.val() * this.k;
  }
}
class $D {
  val() {
    return "d";
  }
}
fun $g(o) {
  return o.val();
}
var $a = $A(1);
var $b = $B(3);
var $t = 0;
var $k = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  var o = $a;
  $k = $k + 1;
  if ($k == $per) {
    $k = 0;
    o = $b;
  }
  $t = $t + o.val() + $g(o);
}
print $t;
var $d = $D();
var $s = "";
for (var $j = 0; $j < $m; $j = $j + 1) {
  $s = $s + $g($d);
}
print $s;
print $g($a) + $g($b);
"#;
        self.raw(&fill(text, &vars));
        "poly_method"
    }

    /// Closures whose captured, assigned variable holds numbers, then strings.
    fn t_closure_counter(&mut self) -> &'static str {
        let mut vars = self.names(&["mk", "a", "b", "t", "s", "i", "j"]);
        vars.push(("n", self.num(1100, 2000)));
        vars.push(("q", self.num(1, 200)));
        vars.push(("m", self.num(1, 40)));
        let text = r#"
fun $mk(start, step) {
  var c = start;
  fun inc() {
    c = c + step;
    return c;
  }
  return inc;
}
var $a = $mk(0, 1);
var $b = $mk(10, 2.5);
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  $t = $t + $a();
  if ($i < $q) $t = $t - $b();
}
print $t;
print $a();
print $b();
var $s = $mk("s", "t");
for (var $j = 0; $j < $m; $j = $j + 1) $s();
print $s();
"#;
        self.raw(&fill(text, &vars));
        "closure_counter"
    }

    /// A global that a hot function reads changes kind.
    fn t_global_switch(&mut self) -> &'static str {
        let mut vars = self.names(&["g", "f", "t", "i", "j"]);
        vars.push(("n", self.num(1100, 2000)));
        let h = self.rng.range(10, 100);
        vars.push(("h", h.to_string()));
        vars.push(("m", (h + self.rng.range(1, 5)).to_string()));
        let text = r#"
var $g = 1;
fun $f(x) {
  return x + $g;
}
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  $t = $t + $f($i);
}
print $t;
$g = "z";
print $f("y");
$g = 2.5;
print $f(1);
for (var $j = 0; $j < $m; $j = $j + 1) {
  if ($j == $h) $g = "w";
  if ($j < $h) $t = $t + $f($j); else print $f("v");
}
print $t;
"#;
        self.raw(&fill(text, &vars));
        "global_switch"
    }

    /// NaN, infinities and negative zero through hot arithmetic and compares.
    fn t_special_numbers(&mut self) -> &'static str {
        let mut vars = self.names(&["mul", "lt", "ge", "nge", "eq", "nan", "c", "z", "i"]);
        vars.push(("n", self.num(1100, 2000)));
        let text = r#"
fun $mul(a, b) {
  return a * b;
}
fun $lt(a, b) {
  return a < b;
}
fun $ge(a, b) {
  return a >= b;
}
fun $nge(a, b) {
  return !(a < b);
}
fun $eq(a, b) {
  return a == b;
}
var $nan = 0 / 0;
var $c = 0;
var $z = -0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  $z = $z + $mul($i, -0);
  if ($lt($i, $nan)) $c = $c + 1;
  if ($ge($i, $nan)) $c = $c + 3;
  if ($nge($i, $nan)) $c = $c + 5;
  if ($eq($nan, $nan)) $c = $c + 10;
  if ($eq($i, $i)) $c = $c + 1;
  if ($lt(-$i, 1 / 0)) $c = $c + 1;
  if ($nan != $nan) $c = $c + 7;
}
print $c;
print $z;
print $mul(0, -1);
print $mul(-0, -0);
print -0;
print 1 / 0;
print -1 / 0;
print $nan;
print $mul($nan, 0);
print $eq(0, -0);
print $lt(-0, 0);
print $ge($nan, $nan);
print $nge($nan, $nan);
print 0.1 + 0.2;
print 1 / 3;
print $mul(0.1, 3);
print 123456789 * 1000000000;
print 100000000000000000000 * 10;
print $mul(1 / 0, 0);
"#;
        self.raw(&fill(text, &vars));
        "special_numbers"
    }

    /// Algebraic identities that hold for most numbers but not for NaN,
    /// infinities or negative zero, in hot code, then applied to those.
    fn t_algebra(&mut self) -> &'static str {
        let mut vars = self.names(&["alg", "k", "t", "z", "i"]);
        vars.push(("n", self.num(1100, 2000)));
        let text = r#"
fun $alg(x, y) {
  var r = 0;
  if (x * 0 == 0) r = r + 1;
  if (x - x == 0) r = r + 2;
  if (x == x) r = r + 4;
  if (x != x) r = r + 8;
  if (1 / (x + 0) < 0) r = r + 16;
  if (1 / (0 - x) < 0) r = r + 32;
  if (1 / (-x) < 0) r = r + 64;
  if (x * y == y * x) r = r + 128;
  if ((x + y) - y == x) r = r + 256;
  if (!(x < y) == (x >= y)) r = r + 512;
  if (x / x == 1) r = r + 1024;
  if (x * 1 == x) r = r + 2048;
  if (-(-x) == x) r = r + 4096;
  if (x + 0 == 0 + x) r = r + 8192;
  if (1 / (x * -1) < 0) r = r + 16384;
  return r;
}
fun $k(x) {
  return 1 / (x - x + 0) + 1 / (x * 0);
}
var $t = 0;
var $z = -0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  $t = $t + $alg($i, $i + 0.5);
  $t = $t + $k($i + 1);
  $t = $t + 1 / ($z + 0) + 1 / ($z * 1);
}
print $t;
print $alg(0, 1);
print $alg(-0, 1);
print $alg(1 / 0, 1);
print $alg(-1 / 0, 2);
print $alg(0 / 0, 0 / 0);
print $alg(0.1, 0.2);
print $alg(9007199254740992, 1);
print $alg(-3, 1 / 0);
print $k(0);
print $k(-0);
print $k(1 / 0);
print $k(0 / 0);
print 9007199254740992 + 1;
print 0.1 * 3 == 0.3;
"#;
        self.raw(&fill(text, &vars));
        "algebra"
    }

    /// Call sites whose callee changes after they got hot: another
    /// function, closures of one function, a class, a native.
    fn t_call_targets(&mut self) -> &'static str {
        let mut vars = self.names(&["a", "b", "mk", "K", "call", "f", "t", "i", "j"]);
        let n = self.rng.range(1100, 2000);
        let s1 = self.rng.range(1000, n - 50);
        let s2 = self.rng.range(s1 + 1, n - 20);
        let s3 = self.rng.range(s2 + 1, n - 1);
        vars.push(("n", n.to_string()));
        vars.push(("s1", s1.to_string()));
        vars.push(("s2", s2.to_string()));
        vars.push(("s3", s3.to_string()));
        vars.push(("m", self.num(1100, 1500)));
        let text = r#"
fun $a(x) {
  return x + 1;
}
fun $b(x) {
  return x * 2;
}
fun $mk(k) {
  fun c(x) {
    return x + k;
  }
  return c;
}
class $K {
  init(x) {
    this.x = x;
  }
}
fun $call(g, x) {
  return g(x);
}
var $f = $a;
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  if ($i == $s1) $f = $b;
  if ($i == $s2) $f = $mk($i);
  if ($i > $s3) $f = $mk($i);
  $t = $t + $f($i);
}
print $t;
for (var $j = 0; $j < $m; $j = $j + 1) {
  $t = $t + $call($a, $j);
}
print $t;
print $call($b, 3);
print $call($mk(5), 1);
print $call($K, 7).x;
print $call($mk("s"), "t");
print $call($a, 0.5);
$f = $K;
print $f(1).x;
$f = clock;
print $f() > 0;
print $t;
"#;
        self.raw(&fill(text, &vars));
        "call_targets"
    }

    /// A field that shadows a method at a hot invoke site, then changes.
    fn t_field_callee(&mut self) -> &'static str {
        let mut vars = self.names(&["C", "D", "one", "two", "o", "p", "t", "i", "j"]);
        let n = self.rng.range(1100, 2000);
        let s1 = self.rng.range(1000, n - 20);
        let s2 = self.rng.range(s1 + 1, n - 1);
        vars.push(("n", n.to_string()));
        vars.push(("s1", s1.to_string()));
        vars.push(("s2", s2.to_string()));
        vars.push(("m", self.num(20, 200)));
        let text = r#"
class $C {
  init() {
    this.n = 1;
  }
  m(x) {
    return x + this.n;
  }
}
class $D < $C {
  m(x) {
    return super.m(x) * 3;
  }
}
fun $one(x) {
  return 100;
}
fun $two(x) {
  return x + 200;
}
var $o = $C();
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  if ($i == $s1) $o.m = $one;
  if ($i == $s2) $o.m = $two;
  $t = $t + $o.m($i);
}
print $t;
var $p = $D();
for (var $j = 0; $j < $m; $j = $j + 1) {
  var q = $p;
  if ($j == $m - 2) q = $C();
  if ($j == $m - 1) q = $o;
  $t = $t + q.m($j);
}
print $t;
print $p.m(1);
$p.m = $one;
print $p.m(1);
print $o.m;
print $C().m;
"#;
        self.raw(&fill(text, &vars));
        "field_callee"
    }

    /// Global functions, classes and variables declared again, and a global
    /// declared after the function that reads it got hot (only at the top
    /// level: elsewhere a second declaration is a compile error).
    fn t_redefine(&mut self) {
        let mut vars = self.names(&["g", "h", "A", "use", "late", "f", "t", "i", "j", "q"]);
        let n = self.rng.range(1100, 1600);
        vars.push(("n", n.to_string()));
        vars.push(("m", self.num(20, 300)));
        let text = r#"
fun $g(x) {
  return x + 1;
}
fun $h(x) {
  return $g(x) * 2;
}
class $A {
  init(v) {
    this.v = v;
  }
  get() {
    return this.v;
  }
}
fun $use(x) {
  return $A(x).get();
}
fun $f(x) {
  if (x >= $n) return $late + x;
  return x;
}
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  $t = $t + $h($i) + $use($i) + $f($i);
}
print $t;
fun $g(x) {
  return x - 1;
}
class $A {
  init(v) {
    this.w = v;
  }
  get() {
    return -this.w;
  }
}
var $late = 1000;
for (var $j = 0; $j < $m; $j = $j + 1) {
  $t = $t + $h($j) + $use($j) + $f($n + $j);
}
print $t;
var $late = "late";
print $h(3);
print $use(4);
fun $g(x) {
  return x * 10;
}
print $h(3);
"#;
        self.raw(&fill(text, &vars));
    }

    /// Instances that outgrow the fields their class predicts, and a hot
    /// function that reads fields at different positions.
    fn t_many_fields(&mut self) -> &'static str {
        let mut vars = self.names(&["C", "fill", "sum", "t", "o", "i", "j"]);
        vars.push(("n", self.num(1100, 1600)));
        vars.push(("k", self.num(1, 9)));
        let text = r#"
class $C {
  init(a) {
    this.a = a;
    this.b = a + 1;
  }
}
fun $fill(o, i) {
  o.c = i;
  o.d = i * 2;
  o.e = i * 3;
  o.f = i * 4;
  o.g = i * 5;
  o.h = i * 6;
  if (i > $k) {
    o.i = i * 7;
    o.j = i * 8;
    o.k = i * 9;
    o.l = i * 10;
  }
  return o;
}
fun $sum(o) {
  var s = o.a + o.b + o.c + o.h;
  if (o.c > $k) s = s + o.l + o.i;
  return s;
}
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  var $o = $fill($C($i), $i);
  $t = $t + $sum($o);
  $o.a = $o.c;
}
print $t;
for (var $j = 0; $j < $k + 3; $j = $j + 1) {
  var $o = $fill($C($j), $j);
  $o.a = $j;
  $o.b = 1;
  print $sum($o);
}
"#;
        self.raw(&fill(text, &vars));
        "many_fields"
    }

    /// Instances of one class whose fields were added in different orders.
    fn t_shapes(&mut self) -> &'static str {
        let mut vars = self.names(&["P", "mk", "sum", "t", "flip", "q", "i"]);
        vars.push(("n", self.num(1100, 2000)));
        vars.push(("every", self.num(3, 9)));
        let text = r#"
class $P {}
fun $mk(i, flip) {
  var p = $P();
  if (flip) {
    p.a = i;
    p.b = 1;
  } else {
    p.b = 2;
    p.a = i;
  }
  if (i == $every) p.c = 0;
  return p;
}
fun $sum(p) {
  return p.a + p.b;
}
var $t = 0;
var $flip = false;
for (var $i = 0; $i < $n; $i = $i + 1) {
  $flip = !$flip;
  $t = $t + $sum($mk($i, $flip));
}
print $t;
var $q = $mk("s", true);
$q.b = "t";
print $sum($q);
"#;
        self.raw(&fill(text, &vars));
        "shapes"
    }

    /// A string built in a hot loop through a hot function.
    fn t_string_build(&mut self) -> &'static str {
        let mut vars = self.names(&["cat", "s", "c", "i"]);
        vars.push(("n", self.num(20, 300)));
        let text = r#"
fun $cat(a, b) {
  return a + b;
}
var $s = "";
var $c = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  $s = $cat($s, "ab");
  if ($s == "abab") $c = $c + 1;
  if ($cat("x", "y") == "xy") $c = $c + 1;
  if ($s != $cat("ab", "ab")) $c = $c + 1;
}
print $s;
print $c;
print $cat(1, 2);
print $cat("n", "m") == "nm";
"#;
        self.raw(&fill(text, &vars));
        "string_build"
    }

    /// Bounded recursion of a few shapes.
    fn recursion(&mut self) {
        let mut done = false;
        if self.rng.chance(50) {
            let mut vars = self.names(&["fib"]);
            vars.push(("k", self.num(8, 17)));
            self.raw(&fill(
                r#"
fun $fib(n) {
  if (n < 2) return n;
  return $fib(n - 2) + $fib(n - 1);
}
print $fib($k);
"#,
                &vars,
            ));
            done = true;
        }
        if self.rng.chance(50) {
            let mut vars = self.names(&["sum", "i"]);
            vars.push(("m", self.num(1, 4)));
            vars.push(("d", self.num(50, 400)));
            self.raw(&fill(
                r#"
fun $sum(n, acc) {
  if (n <= 0) return acc;
  return $sum(n - 1, acc + n);
}
for (var $i = 0; $i < $m; $i = $i + 1) print $sum($d + $i, 0);
"#,
                &vars,
            ));
            done = true;
        }
        if self.rng.chance(40) {
            let mut vars = self.names(&["ev", "od"]);
            vars.push(("e", self.num(10, 300)));
            self.raw(&fill(
                r#"
fun $ev(n) {
  if (n == 0) return true;
  return $od(n - 1);
}
fun $od(n) {
  if (n == 0) return false;
  return $ev(n - 1);
}
print $ev($e);
print $od($e);
"#,
                &vars,
            ));
            done = true;
        }
        if !done || self.rng.chance(40) {
            let mut vars = self.names(&["rep", "T"]);
            vars.push(("r", self.num(1, 6)));
            vars.push(("dd", self.num(10, 300)));
            self.raw(&fill(
                r#"
fun $rep(x, n) {
  if (n == 0) return x;
  return $rep(x + x, n - 1);
}
print $rep(1, 30);
print $rep("ab", $r);
class $T {
  init(d) {
    this.d = d;
  }
  depth(n) {
    if (n == 0) return this.d;
    return this.depth(n - 1) + 1;
  }
}
print $T(5).depth($dd);
"#,
                &vars,
            ));
        }
        self.features.calls += 1;
    }

    // --- runtime errors at the end

    fn bad_value(&mut self) -> String {
        self.rng.pick(&["nil", "\"s\"", "true", "false"]).to_string()
    }

    fn error_ending(&mut self) -> &'static str {
        match self.rng.below(14) {
            12 => {
                let mut vars = self.names(&["C", "t", "i"]);
                let n = self.rng.range(1100, 1600);
                vars.push(("n", n.to_string()));
                vars.push(("k", (n - self.rng.range(1, 50)).to_string()));
                vars.push(("bad", self.bad_value()));
                self.raw(&fill(
                    r#"
class $C {
  init(x) {
    this.x = x * 2;
  }
}
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  var v = $i;
  if ($i == $k) v = $bad;
  $t = $t + $C(v).x;
}
print $t;
"#,
                    &vars,
                ));
                "error in init"
            }
            13 => {
                let mut vars = self.names(&["A", "B", "b", "t", "i"]);
                let n = self.rng.range(1100, 1600);
                vars.push(("n", n.to_string()));
                vars.push(("k", (n - self.rng.range(1, 50)).to_string()));
                vars.push(("bad", self.bad_value()));
                self.raw(&fill(
                    r#"
class $A {
  m(x) {
    return -x;
  }
}
class $B < $A {
  m(x) {
    return super.m(x) + 1;
  }
}
var $b = $B();
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  if ($i == $k) $t = $t + $b.m($bad); else $t = $t + $b.m($i);
}
print $t;
"#,
                    &vars,
                ));
                "error in a super method"
            }
            0 => {
                let mut vars = self.names(&["f", "r", "i"]);
                let op = self.rng.pick(&["+", "-", "*", "/", "<", ">="]);
                vars.push(("op", op.to_string()));
                vars.push(("n", self.num(1100, 1600)));
                vars.push(("bad", self.bad_value()));
                let text = if matches!(op, "<" | ">=") {
                    r#"
fun $f(a) {
  return a $op 1;
}
var $r = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  if ($f($i)) $r = $r + 1;
}
print $r;
print $f($bad);
"#
                } else {
                    r#"
fun $f(a) {
  return a $op 1;
}
var $r = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  $r = $r + $f($i);
}
print $r;
print $f($bad);
"#
                };
                self.raw(&fill(text, &vars));
                "hot operand"
            }
            1 => {
                let mut vars = self.names(&["v", "i", "w"]);
                let n = self.rng.range(1100, 2500);
                vars.push(("n", n.to_string()));
                vars.push(("k", (n - self.rng.range(1, 100)).to_string()));
                vars.push(("op", self.rng.pick(&["+", "-", "*", "<"]).to_string()));
                vars.push(("bad", self.bad_value()));
                let body = fill(
                    r#"
var $v = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  if ($i == $k) $v = $bad;
  if ($v $op 1) $v = 0;
  $v = 1;
}
"#,
                    &vars,
                );
                if self.rng.chance(50) {
                    self.raw(&body);
                } else {
                    let w = vars[2].1.clone();
                    self.open(&format!("fun {w}() {{"));
                    self.raw(&body);
                    self.close("}");
                    self.line(&format!("{w}();"));
                }
                "loop switch"
            }
            2 => {
                let mut vars = self.names(&["g", "one", "t", "i", "C"]);
                vars.push(("n", self.num(1100, 1600)));
                let bad = self.rng.pick(&["3", "\"s\"", "nil", "true", "$C()"]);
                vars.push(("bad", fill(bad, &vars)));
                self.raw(&fill(
                    r#"
class $C {}
fun $g(h) {
  return h();
}
fun $one() {
  return 1;
}
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) $t = $t + $g($one);
print $t;
print $g($bad);
"#,
                    &vars,
                ));
                "call a non-function"
            }
            3 => {
                let mut vars = self.names(&["f", "t", "i", "undef"]);
                let n = self.rng.range(1100, 1600);
                vars.push(("n", n.to_string()));
                // `$i` only reaches n - 1, and `n > $k` must hold for some of it.
                vars.push(("k", (n - self.rng.range(2, 50)).to_string()));
                let text = if self.rng.chance(50) {
                    r#"
fun $f(n) {
  if (n > $k) return $undef;
  return n;
}
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) $t = $t + $f($i);
print $t;
"#
                } else {
                    r#"
fun $f(n) {
  if (n > $k) $undef = n;
  return n;
}
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) $t = $t + $f($i);
print $t;
"#
                };
                self.raw(&fill(text, &vars));
                "undefined variable"
            }
            4 => {
                let mut vars = self.names(&["f", "C", "t", "i"]);
                vars.push(("n", self.num(1100, 1600)));
                let bad = self.rng.pick(&["$f(1)", "$f(1, 2, 3)", "$C()", "$C(1, 2)"]);
                vars.push(("bad", fill(bad, &vars)));
                self.raw(&fill(
                    r#"
fun $f(a, b) {
  return a + b;
}
class $C {
  init(a) {
    this.a = a;
  }
}
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) $t = $t + $f($i, 1) + $C($i).a;
print $t;
print $bad;
"#,
                    &vars,
                ));
                "arity"
            }
            5 => {
                let mut vars = self.names(&["C", "D", "read", "t", "i", "e"]);
                vars.push(("n", self.num(1100, 1600)));
                let bad = self.rng.pick(&["$e.nope", "$e.nope()", "$read($D())", "$D().get()", "$D().v"]);
                vars.push(("bad", fill(bad, &vars)));
                self.raw(&fill(
                    r#"
class $C {
  init(v) {
    this.v = v;
  }
  get() {
    return this.v;
  }
}
class $D {}
fun $read(o) {
  return o.v;
}
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) $t = $t + $read($C($i)) + $C(1).get();
print $t;
var $e = $C(2);
print $bad;
"#,
                    &vars,
                ));
                "undefined property"
            }
            6 => {
                let mut vars = self.names(&["C", "get", "set", "call", "t", "i"]);
                vars.push(("n", self.num(1100, 1600)));
                let bad = self.rng.pick(&["3", "\"s\"", "nil", "$get"]);
                vars.push(("bad", fill(bad, &vars)));
                let end = self.rng.pick(&["print $get($bad);", "$set($bad);", "print $call($bad);"]);
                vars.push(("end", fill(end, &vars)));
                self.raw(&fill(
                    r#"
class $C {
  init() {
    this.v = 1;
  }
  m() {
    return 2;
  }
}
fun $get(o) {
  return o.v;
}
fun $set(o) {
  o.v = 3;
}
fun $call(o) {
  return o.m();
}
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) {
  var o = $C();
  $set(o);
  $t = $t + $get(o) + $call(o);
}
print $t;
$end
"#,
                    &vars,
                ));
                "only instances"
            }
            7 => {
                let mut vars = self.names(&["r", "t", "i", "undef"]);
                vars.push(("m", self.num(50, 100)));
                vars.push(("d", self.num(5, 150)));
                let bad = self.rng.pick(&["-\"s\"", "nil + 1", "\"a\" < 1", "nil()", "$undef"]);
                vars.push(("bad", fill(bad, &vars)));
                let rec = self.rng.pick(&["$r(n - 1, bad) + 1", "$r(n - 1, bad)"]);
                vars.push(("rec", fill(rec, &vars)));
                self.raw(&fill(
                    r#"
fun $r(n, bad) {
  if (n == 0) {
    if (bad) return $bad;
    return 0;
  }
  return $rec;
}
var $t = 0;
for (var $i = 0; $i < $m; $i = $i + 1) $t = $t + $r(20, false);
print $t;
print $r($d, true);
"#,
                    &vars,
                ));
                "deep error"
            }
            8 => {
                let mut vars = self.names(&["neg", "t", "i"]);
                vars.push(("n", self.num(1100, 1600)));
                vars.push(("bad", self.bad_value()));
                self.raw(&fill(
                    r#"
fun $neg(x) {
  return -x;
}
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) $t = $t + $neg($i);
print $t;
print $neg($bad);
"#,
                    &vars,
                ));
                "negate"
            }
            9 => {
                let mut vars = self.names(&["nc", "C", "f"]);
                let bad = self.rng.pick(&["\"x\"", "1", "nil", "$f"]);
                vars.push(("bad", fill(bad, &vars)));
                self.raw(&fill(
                    r#"
fun $f() {}
var $nc = $bad;
class $C < $nc {}
print "unreachable";
"#,
                    &vars,
                ));
                "superclass"
            }
            10 => {
                let mut vars = self.names(&["C", "o", "i"]);
                let n = self.rng.range(1100, 2000);
                vars.push(("n", n.to_string()));
                vars.push(("k", (n - self.rng.range(1, 100)).to_string()));
                vars.push(("bad", self.bad_value()));
                self.raw(&fill(
                    r#"
class $C {
  init() {
    this.n = 0;
  }
  step(d) {
    this.n = this.n + d;
    return this.n;
  }
}
var $o = $C();
for (var $i = 0; $i < $n; $i = $i + 1) {
  if ($i == $k) $o.step($bad); else $o.step(1);
}
print $o.n;
"#,
                    &vars,
                ));
                "method error in a loop"
            }
            _ => {
                let mut vars = self.names(&["c", "inc", "t", "i"]);
                vars.push(("n", self.num(1100, 1600)));
                vars.push(("bad", self.bad_value()));
                self.raw(&fill(
                    r#"
var $c = 0;
fun $inc() {
  $c = $c + 1;
  return $c;
}
var $t = 0;
for (var $i = 0; $i < $n; $i = $i + 1) $t = $t + $inc();
print $t;
$c = $bad;
print $inc();
"#,
                    &vars,
                ));
                "global becomes bad"
            }
        }
    }
}

fn all_empty<T>(groups: &[(u32, Vec<T>)]) -> bool {
    groups.iter().all(|(_, choices)| choices.is_empty())
}

// ---------------------------------------------------------------------------
// Running

/// One way of running a program (the modes of the conformance runner).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Mode {
    /// `brine run --engine=interp`: the reference.
    Interp,
    /// `brine run --no-tier`: baseline native code only.
    Jit,
    /// `brine run`: tiered at the default threshold.
    Tiered,
    /// `brine run` with `BRINE_TIER_THRESHOLD=2`.
    Hot,
    /// `brine run` with `BRINE_TIER=eager`.
    Eager,
    /// `brine run` with `BRINE_TIER_THRESHOLD=2` and `BRINE_DEOPT_STRESS=3`.
    Deopt,
    /// `brine build FILE -o EXE`, then `EXE`.
    Aot,
    /// `brine build -O2 FILE -o EXE`, then `EXE`: optimized ahead of time,
    /// its guards deoptimizing to the interpreter the executable carries.
    AotO2,
    /// `brine build --jit FILE -o EXE`, then `EXE` with
    /// `BRINE_TIER_THRESHOLD=2`: its code hands hot functions to the
    /// interpreter and the optimizer at once.
    AotJit,
    /// `brine build -O2 --jit FILE -o EXE`, then `EXE` with
    /// `BRINE_TIER_THRESHOLD=2`: optimized ahead of time, and optimized
    /// again at run time after a guard fails.
    AotO2Jit,
    /// `Eager` with `BRINE_GC_STRESS=1` (a collection at every
    /// allocation); only when `BRINE_DIFF_MODES` names it.
    GcEager,
    /// `Deopt` with `BRINE_GC_STRESS=1`; only when `BRINE_DIFF_MODES` names it.
    GcDeopt,
}

impl Mode {
    /// The modes run by default.
    const DEFAULT: &[Mode] = &[
        Mode::Interp,
        Mode::Jit,
        Mode::Tiered,
        Mode::Hot,
        Mode::Eager,
        Mode::Deopt,
        Mode::Aot,
        Mode::AotO2,
        Mode::AotJit,
        Mode::AotO2Jit,
    ];
    const ALL: &[Mode] = &[
        Mode::Interp,
        Mode::Jit,
        Mode::Tiered,
        Mode::Hot,
        Mode::Eager,
        Mode::Deopt,
        Mode::Aot,
        Mode::AotO2,
        Mode::AotJit,
        Mode::AotO2Jit,
        Mode::GcEager,
        Mode::GcDeopt,
    ];

    fn name(self) -> &'static str {
        match self {
            Mode::Interp => "interp",
            Mode::Jit => "jit",
            Mode::Tiered => "tiered",
            Mode::Hot => "hot",
            Mode::Eager => "eager",
            Mode::Deopt => "deopt",
            Mode::Aot => "aot",
            Mode::AotO2 => "aot-o2",
            Mode::AotJit => "aot-jit",
            Mode::AotO2Jit => "aot-o2-jit",
            Mode::GcEager => "gc-eager",
            Mode::GcDeopt => "gc-deopt",
        }
    }

    /// Whether this mode runs program `index`: those that link an
    /// executable, some programs each, since linking is slow (`aot` every
    /// [`AOT_EVERY`]th, `aot-o2` twice as often, `aot-jit` and `aot-o2-jit`
    /// as often as `aot`, each on programs of its own).
    fn runs_program(self, index: u64) -> bool {
        match self {
            Mode::Aot => index.is_multiple_of(AOT_EVERY),
            Mode::AotO2 => index % (AOT_EVERY / 2) == 1,
            Mode::AotJit => index % AOT_EVERY == 2,
            Mode::AotO2Jit => index % AOT_EVERY == 3,
            _ => true,
        }
    }

    fn steps(self, file: &Path, exe: &Path) -> Vec<Step> {
        let run = |args: &[&str], env: &[(&'static str, &'static str)]| {
            let mut args: Vec<OsString> = args.iter().map(OsString::from).collect();
            args.push(file.into());
            vec![Step { program: brine(), args, env: env.to_vec() }]
        };
        let built = |flags: &[&str], env: &[(&'static str, &'static str)]| {
            let mut args: Vec<OsString> = vec!["build".into()];
            args.extend(flags.iter().map(OsString::from));
            args.extend([file.into(), "-o".into(), exe.into()]);
            vec![
                Step { program: brine(), args, env: Vec::new() },
                Step { program: exe.to_path_buf(), args: Vec::new(), env: env.to_vec() },
            ]
        };
        match self {
            Mode::Interp => run(&["run", "--engine=interp"], &[]),
            Mode::Jit => run(&["run", "--no-tier"], &[]),
            Mode::Tiered => run(&["run"], &[]),
            Mode::Hot => run(&["run"], &[("BRINE_TIER_THRESHOLD", "2")]),
            Mode::Eager => run(&["run"], &[("BRINE_TIER", "eager")]),
            Mode::Deopt => run(&["run"], &[("BRINE_TIER_THRESHOLD", "2"), ("BRINE_DEOPT_STRESS", "3")]),
            Mode::GcEager => run(&["run"], &[("BRINE_TIER", "eager"), ("BRINE_GC_STRESS", "1")]),
            Mode::GcDeopt => run(
                &["run"],
                &[("BRINE_TIER_THRESHOLD", "2"), ("BRINE_DEOPT_STRESS", "3"), ("BRINE_GC_STRESS", "1")],
            ),
            Mode::Aot => built(&[], &[]),
            Mode::AotO2 => built(&["-O2"], &[]),
            Mode::AotJit => built(&["--jit"], &[("BRINE_TIER_THRESHOLD", "2")]),
            Mode::AotO2Jit => built(&["-O2", "--jit"], &[("BRINE_TIER_THRESHOLD", "2")]),
        }
    }
}

struct Step {
    program: PathBuf,
    args: Vec<OsString>,
    /// Set for this step; every other variable of [`HYGIENE_VARS`] is removed.
    env: Vec<(&'static str, &'static str)>,
}

/// The variables that change how a run tiers or collects.
const HYGIENE_VARS: &[&str] =
    &["BRINE_TIER", "BRINE_TIER_THRESHOLD", "BRINE_DEOPT_STRESS", "BRINE_GC_STRESS"];

/// The `brine` binary under test.
fn brine() -> PathBuf {
    match std::env::var_os("BRINE_BIN") {
        Some(bin) if !bin.is_empty() => PathBuf::from(bin),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_brine")),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Outcome {
    stdout: String,
    stderr: String,
    /// `None` when the process was killed by a signal.
    code: Option<i32>,
    timed_out: bool,
}

fn run_step(step: &Step) -> Result<(Outcome, Duration), String> {
    let mut command = Command::new(&step.program);
    command.args(&step.args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for var in HYGIENE_VARS {
        command.env_remove(var);
    }
    command.envs(step.env.iter().copied());
    let start = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("cannot start {}: {e}", step.program.display()))?;
    let stdout = read_in_background(child.stdout.take());
    let stderr = read_in_background(child.stderr.take());
    let mut pause = Duration::from_millis(1);
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for the program: {e}")),
        }
        if start.elapsed() >= TIMEOUT {
            timed_out = true;
            let _ = child.kill();
            break child.wait().map_err(|e| format!("waiting for the killed program: {e}"))?;
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let outcome = Outcome {
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        code: status.code(),
        timed_out,
    };
    Ok((outcome, elapsed))
}

fn read_in_background(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// Runs a mode's steps; a build step that fails gives the result.
fn execute(steps: &[Step]) -> Result<(Outcome, Duration), String> {
    let mut total = Duration::ZERO;
    let mut last = None;
    for (index, step) in steps.iter().enumerate() {
        let (outcome, elapsed) = run_step(step)?;
        total += elapsed;
        let is_last = index + 1 == steps.len();
        if !is_last && (outcome.timed_out || outcome.code != Some(0)) {
            return Ok((outcome, total));
        }
        if !is_last && !outcome.stdout.is_empty() {
            return Err(format!("the build step printed on stdout:\n{}", outcome.stdout));
        }
        last = Some(outcome);
    }
    last.map(|outcome| (outcome, total)).ok_or_else(|| "no step to run".to_string())
}

/// Runs `jobs` on every core; `work` gives each job's result.
fn in_parallel<J: Sync, R: Send>(jobs: &[J], work: impl Fn(&J) -> R + Sync) -> Vec<R> {
    let results: Vec<Mutex<Option<R>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = thread::available_parallelism().map_or(1, |n| n.get()).min(jobs.len()).max(1);
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(index) else { break };
                    let result = work(job);
                    *results[index].lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.into_inner().unwrap_or_else(|p| p.into_inner()).expect("every job ran"))
        .collect()
}

// ---------------------------------------------------------------------------
// Configuration and reports

struct Config {
    cases: u64,
    seed: u64,
    modes: Vec<Mode>,
}

fn parse_u64(text: &str) -> Option<u64> {
    let text = text.trim().replace('_', "");
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) if !text.trim().is_empty() => {
            parse_u64(&text).unwrap_or_else(|| panic!("{name}={text} is not a number"))
        }
        _ => default,
    }
}

fn config() -> Config {
    let cases = env_u64("BRINE_DIFF_CASES", DEFAULT_CASES);
    let seed = env_u64("BRINE_DIFF_SEED", DEFAULT_SEED);
    let modes = match std::env::var("BRINE_DIFF_MODES") {
        Ok(list) if !list.trim().is_empty() => {
            let mut modes = vec![Mode::Interp];
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let mode = Mode::ALL
                    .iter()
                    .copied()
                    .find(|m| m.name() == name)
                    .unwrap_or_else(|| panic!("BRINE_DIFF_MODES: unknown mode `{name}`"));
                if !modes.contains(&mode) {
                    modes.push(mode);
                }
            }
            modes
        }
        _ => Mode::DEFAULT.to_vec(),
    };
    Config { cases, seed, modes }
}

/// A directory of this test run's own under cargo's temporary directory.
fn scratch(label: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("differential")
        .join(format!("{label}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

fn numbered(text: &str) -> String {
    let mut out = String::new();
    for (index, line) in text.lines().enumerate() {
        let _ = writeln!(out, "{:4} | {line}", index + 1);
    }
    out
}

fn code_text(outcome: &Outcome) -> String {
    match (outcome.code, outcome.timed_out) {
        (_, true) => "timed out (killed)".to_string(),
        (Some(code), false) => code.to_string(),
        (None, false) => "none (killed by a signal)".to_string(),
    }
}

/// The lines of `want` and `got` around their first difference.
fn show_difference(report: &mut String, what: &str, want: &str, got: &str, mode: Mode) {
    let want: Vec<&str> = want.split_inclusive('\n').collect();
    let got: Vec<&str> = got.split_inclusive('\n').collect();
    let first = want.iter().zip(&got).position(|(a, b)| a != b).unwrap_or(want.len().min(got.len()));
    let from = first.saturating_sub(3);
    let _ = writeln!(
        report,
        "  {what} differs at line {} ({} lines from interp, {} from {}):",
        first + 1,
        want.len(),
        got.len(),
        mode.name()
    );
    for (label, lines) in [("interp", &want), (mode.name(), &got)] {
        let _ = writeln!(report, "  --- {label}, from line {}:", from + 1);
        for line in lines.iter().skip(from).take(REPORT_LINES) {
            let _ = writeln!(report, "    {:?}", line.strip_suffix('\n').unwrap_or(line));
        }
        if lines.len() > from + REPORT_LINES {
            let _ = writeln!(report, "    ... {} more lines", lines.len() - from - REPORT_LINES);
        }
    }
}

fn mismatch_report(program: &Program, path: &Path, mode: Mode, want: &Outcome, got: &Outcome) -> String {
    let mut report = String::new();
    let _ = writeln!(
        report,
        "FAIL [{}] program of seed {} ({}; rerun with BRINE_DIFF_SEED={} BRINE_DIFF_CASES=1)",
        mode.name(),
        program.seed,
        path.display(),
        program.seed
    );
    let _ = writeln!(report, "{}", numbered(&program.text));
    if want.code != got.code || want.timed_out != got.timed_out {
        let _ =
            writeln!(report, "  exit code: interp {}, {} {}", code_text(want), mode.name(), code_text(got));
    }
    if want.stdout != got.stdout {
        show_difference(&mut report, "stdout", &want.stdout, &got.stdout, mode);
    }
    if want.stderr != got.stderr {
        show_difference(&mut report, "stderr", &want.stderr, &got.stderr, mode);
    }
    report
}

/// What is wrong with the reference run of a generated program, if anything.
fn reference_problem(program: &Program, outcome: &Outcome) -> Option<String> {
    let expected = if program.error.is_some() { 70 } else { 0 };
    if outcome.timed_out {
        return Some("the interpreter timed out".to_string());
    }
    if outcome.code != Some(expected) {
        return Some(format!(
            "the interpreter exited with {} instead of {expected} (the generator expected {})",
            code_text(outcome),
            program.error.unwrap_or("no error")
        ));
    }
    if program.error.is_none() && !outcome.stderr.is_empty() {
        return Some("the interpreter wrote on stderr".to_string());
    }
    if outcome.stdout.is_empty() {
        return Some("the interpreter printed nothing".to_string());
    }
    None
}

/// Serializes the tests of this file: each one already uses every core.
static LOCK: Mutex<()> = Mutex::new(());

fn programs(config: &Config) -> Vec<Program> {
    (0..config.cases).map(|i| generate(config.seed.wrapping_add(i))).collect()
}

// ---------------------------------------------------------------------------
// The tests

#[test]
fn engines_agree_with_the_interpreter() {
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let config = config();
    let started = Instant::now();
    println!(
        "differential: {} programs from seed {} (BRINE_DIFF_SEED={:#x}), modes {}",
        config.cases,
        config.seed,
        config.seed,
        config.modes.iter().map(|m| m.name()).collect::<Vec<_>>().join(",")
    );
    let dir = scratch("run");
    let programs = programs(&config);
    let paths: Vec<PathBuf> = programs
        .iter()
        .map(|p| {
            let path = dir.join(format!("seed-{}.lox", p.seed));
            std::fs::write(&path, &p.text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
            path
        })
        .collect();

    let mut jobs: Vec<(usize, Mode)> = Vec::new();
    for index in 0..programs.len() {
        for &mode in &config.modes {
            if mode.runs_program(index as u64) {
                jobs.push((index, mode));
            }
        }
    }
    let results = in_parallel(&jobs, |&(index, mode)| {
        let exe = dir.join(format!("seed-{}-{}.exe", programs[index].seed, mode.name()));
        execute(&mode.steps(&paths[index], &exe))
    });

    let reference: Vec<Option<&Outcome>> = (0..programs.len())
        .map(|index| {
            jobs.iter().zip(&results).find_map(|(&(i, mode), result)| match result {
                Ok((outcome, _)) if i == index && mode == Mode::Interp => Some(outcome),
                _ => None,
            })
        })
        .collect();
    let mut passed = 0;
    let mut failed = 0;
    let mut failing_seeds = Vec::new();
    let mut per_mode: Vec<(Mode, usize, usize, Duration)> =
        config.modes.iter().map(|&m| (m, 0, 0, Duration::ZERO)).collect();
    for (&(index, mode), result) in jobs.iter().zip(&results) {
        let program = &programs[index];
        let failure = match (result, reference[index]) {
            (Err(e), _) => Some(format!("FAIL [{}] program of seed {}: {e}\n", mode.name(), program.seed)),
            (Ok((outcome, _)), _) if mode == Mode::Interp => {
                reference_problem(program, outcome).map(|problem| {
                    format!(
                        "FAIL [interp] program of seed {} ({}): {problem}\n{}  stdout: {:?}\n  stderr: {:?}\n",
                        program.seed,
                        paths[index].display(),
                        numbered(&program.text),
                        outcome.stdout,
                        outcome.stderr
                    )
                })
            }
            (Ok(_), None) => Some(format!(
                "FAIL [{}] program of seed {}: no reference run to compare with\n",
                mode.name(),
                program.seed
            )),
            (Ok((outcome, _)), Some(want)) => {
                (outcome != want).then(|| mismatch_report(program, &paths[index], mode, want, outcome))
            }
        };
        let entry = per_mode.iter_mut().find(|(m, ..)| *m == mode).expect("a selected mode");
        if let Ok((_, elapsed)) = result {
            entry.3 += *elapsed;
        }
        match failure {
            None => {
                passed += 1;
                entry.1 += 1;
            }
            Some(report) => {
                failed += 1;
                entry.2 += 1;
                println!("{report}");
                if !failing_seeds.contains(&program.seed) {
                    failing_seeds.push(program.seed);
                }
            }
        }
    }

    for (mode, ok, bad, time) in &per_mode {
        println!("{}: {ok} passed, {bad} failed, {:.1} s of runs", mode.name(), time.as_secs_f64());
    }
    let lines: usize = programs.iter().map(|p| p.text.lines().count()).sum();
    println!(
        "differential: {} programs ({} lines on average), {} runs, {:.1} s",
        programs.len(),
        lines / programs.len().max(1),
        jobs.len(),
        started.elapsed().as_secs_f64()
    );
    if failing_seeds.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("failing seeds: {failing_seeds:?} (programs kept in {})", dir.display());
    }
    println!("{passed} passed, {failed} failed");
    assert!(failed == 0, "{failed} runs disagree with the interpreter (see above)");
}

/// Profile rows: (function, tier, optimizations, deoptimizations).
fn profile_rows(stderr: &str) -> Vec<(String, String, u64, u64)> {
    stderr
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            // function, line, calls, loops, tier, compile ms, osr, opts, deopts, inlined
            if f.len() != 10 || f[1].parse::<u64>().is_err() || f[2].parse::<u64>().is_err() {
                return None;
            }
            Some((f[0].to_string(), f[4].to_string(), f[7].parse().ok()?, f[8].parse().ok()?))
        })
        .collect()
}

/// Checks the generator itself, so that a broken one cannot make the
/// differential test vacuous: its programs are deterministic, compile, run
/// in the interpreter to the end the generator meant (no error, or a runtime
/// error at the end), quickly, contain loops, calls and classes, and under
/// the tiered engine get optimized and deoptimized.
#[test]
fn generator_makes_valid_nontrivial_programs() {
    let _guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let config = config();
    let programs = programs(&config);
    let dir = scratch("generator");
    // What is wrong: with the seed of the program, or `None` for the
    // properties of the whole set.
    let mut problems: Vec<(Option<u64>, String)> = Vec::new();

    for program in &programs {
        let again = generate(program.seed);
        let text = &program.text;
        let mut missing = Vec::new();
        if again.text != *text {
            missing.push("determinism (two generations differ)".to_string());
        }
        if !(text.contains("for (") || text.contains("while (")) || program.features.loops == 0 {
            missing.push("a loop".to_string());
        }
        if !text.contains("class ") || program.features.classes == 0 {
            missing.push("a class".to_string());
        }
        let called = text.lines().filter_map(|l| l.trim().strip_prefix("fun ")).any(|rest| {
            let name = rest.split('(').next().unwrap_or("");
            text.matches(&format!("{name}(")).count() > 1
        });
        if !called || program.features.calls == 0 {
            missing.push("a call of a declared function".to_string());
        }
        if !missing.is_empty() {
            problems.push((Some(program.seed), format!("lacks {}", missing.join(", "))));
        }
    }

    let paths: Vec<PathBuf> = programs
        .iter()
        .map(|p| {
            let path = dir.join(format!("seed-{}.lox", p.seed));
            std::fs::write(&path, &p.text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
            path
        })
        .collect();
    let jobs: Vec<(usize, bool)> = (0..programs.len()).flat_map(|i| [(i, false), (i, true)]).collect();
    let results = in_parallel(&jobs, |&(index, profile)| {
        let mut args: Vec<OsString> = vec!["run".into()];
        if profile {
            args.push("--profile".into());
        } else {
            args.push("--engine=interp".into());
        }
        args.push(paths[index].clone().into());
        run_step(&Step { program: brine(), args, env: Vec::new() })
    });

    let mut slowest = Duration::ZERO;
    let mut deoptimizing = 0;
    let mut optimizing = 0;
    let mut total_deopts = 0;
    let mut errors = 0;
    for (&(index, profile), result) in jobs.iter().zip(&results) {
        let program = &programs[index];
        let (outcome, elapsed) = match result {
            Ok(r) => r,
            Err(e) => {
                problems.push((Some(program.seed), e.clone()));
                continue;
            }
        };
        if profile {
            let rows = profile_rows(&outcome.stderr);
            if rows.iter().any(|(_, tier, opts, _)| tier == "optimized" || *opts > 0) {
                optimizing += 1;
            }
            let deopts: u64 = rows.iter().map(|r| r.3).sum();
            total_deopts += deopts;
            if deopts > 0 {
                deoptimizing += 1;
            }
            continue;
        }
        slowest = slowest.max(*elapsed);
        if program.error.is_some() {
            errors += 1;
        }
        if let Some(problem) = reference_problem(program, outcome) {
            problems.push((
                Some(program.seed),
                format!("{problem}\n{}  stderr: {:?}", numbered(&program.text), outcome.stderr),
            ));
        } else if *elapsed > Duration::from_secs(3) {
            problems
                .push((Some(program.seed), format!("the interpreter took {:.2} s", elapsed.as_secs_f64())));
        }
    }
    let n = programs.len();
    if n > 0 && optimizing * 10 < n * 9 {
        problems.push((None, format!("only {optimizing} of {n} programs got any function optimized")));
    }
    if n > 0 && deoptimizing * 10 < n * 7 {
        problems
            .push((None, format!("only {deoptimizing} of {n} programs deoptimized under the tiered engine")));
    }
    if n >= 10 && (errors == 0 || errors == n) {
        problems.push((None, format!("{errors} of {n} programs end in a runtime error")));
    }

    let lines: usize = programs.iter().map(|p| p.text.lines().count()).sum();
    let sum = |f: fn(&Features) -> usize| programs.iter().map(|p| f(&p.features)).sum::<usize>();
    let mut templates: Vec<&str> =
        programs.iter().flat_map(|p| p.features.templates.iter().copied()).collect();
    templates.sort_unstable();
    templates.dedup();
    println!(
        "generator: {} loops, {} calls, {} functions, {} classes; templates used: {}",
        sum(|f| f.loops),
        sum(|f| f.calls),
        sum(|f| f.functions),
        sum(|f| f.classes),
        templates.join(", ")
    );
    println!(
        "generator: {n} programs, {} lines on average, {errors} ending in a runtime error, \
         {optimizing} optimized, {deoptimizing} deoptimizing ({total_deopts} deoptimizations), \
         slowest interpreter run {:.0} ms",
        lines / n.max(1),
        slowest.as_secs_f64() * 1000.0
    );
    let mut bad_seeds: Vec<u64> = Vec::new();
    for (seed, problem) in &problems {
        match seed {
            Some(seed) => {
                println!("FAIL program of seed {seed}: {problem}");
                if !bad_seeds.contains(seed) {
                    bad_seeds.push(*seed);
                }
            }
            None => println!("FAIL {problem}"),
        }
    }
    // A check per program, and three of the whole set.
    let failed = bad_seeds.len() + problems.iter().filter(|(seed, _)| seed.is_none()).count();
    let passed = n + 3 - failed;
    if problems.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!("{passed} passed, {failed} failed");
    assert!(problems.is_empty(), "the generator is broken (see above)");
}

#[test]
fn fill_replaces_every_placeholder() {
    let vars = [("f", "f_1".to_string()), ("n", "10".to_string())];
    assert_eq!(fill("fun $f(a) { return $n + a; } $f($n);", &vars), "fun f_1(a) { return 10 + a; } f_1(10);");
}

/// Prints the program of seed `BRINE_DIFF_SEED` (and the next
/// `BRINE_DIFF_CASES - 1`): `cargo test -p brine --test differential
/// show_programs -- --ignored --nocapture`.
#[test]
#[ignore = "prints programs; run it by hand"]
fn show_programs() {
    for program in programs(&config()) {
        println!("// seed {}, error ending: {}", program.seed, program.error.unwrap_or("none"));
        print!("{}", program.text);
    }
}
