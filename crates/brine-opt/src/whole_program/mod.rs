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
//! - **Constant classes** ([`classes`]), declared the same way. Their
//!   methods are known (class hierarchy analysis: inherited ones too, and
//!   what `super` means in each method), and so is what each one's
//!   initializer adds to a fresh instance, in order: the class's shapes
//!   are predicted from its constructor. A call of the class is predicted
//!   to make an instance and call its `init` directly; a property of an
//!   instance of it to be at the field's fixed slot; an invoke of a
//!   method, to call that method. The class, its shapes and its method
//!   closures are named by *class links*, which the executable fills
//!   when the script has declared the class ([`brine_ir::symbol::ClassLinks`]).
//! - **Kinds of values** ([`kinds`]), by an analysis of the whole program:
//!   numbers, strings, instances of some of those classes, closures of one
//!   function, other values, or unknown, through globals, parameters,
//!   results and fields. A call of a closure of one function is predicted
//!   to call it (a guarded direct call). An
//!   arithmetic or comparison site whose operands may be numbers is
//!   predicted to see numbers (`+` of a string, or `==` of anything but
//!   two numbers, is not). A property site of instances of up to
//!   [`MAX_SHAPES`] of the classes is predicted to see their shapes.
//!
//! A prediction is only a prediction: the code guards it, and a guard that
//! fails deoptimizes to the interpreter the executable carries.

mod classes;
mod kinds;
mod profile;

pub use profile::{Profile, module_hash};

use crate::{CallTarget, Field, IndexTarget, Method, Operands, Oracle};
use brine_ir::symbol::ClassLinks;
use brine_ir::{
    BinaryOp, FuncId, Function, GlobalId, InstKind, Module, SiteId, StrId, UnaryOp, Value, ValueDef,
};
use classes::Classes;
use kinds::Kind;
use std::collections::{HashMap, HashSet};

/// A property or invoke site of instances of more classes than this is
/// not predicted (the optimizer tests each shape in turn).
pub const MAX_SHAPES: usize = 4;

/// The optimizer's oracle for code compiled ahead of time.
pub struct StaticFacts {
    operands: HashMap<SiteId, Operands>,
    callees: HashMap<SiteId, CallTarget>,
    /// One field per shape a property site is predicted to see.
    fields: HashMap<SiteId, Vec<Field>>,
    /// One method per shape an invoke site is predicted to see.
    methods: HashMap<SiteId, Vec<Method>>,
    supers: HashMap<SiteId, (u64, Method)>,
    indexes: HashMap<SiteId, IndexTarget>,
    links: Vec<ClassLinks>,
    /// The functions a profile saw run, if it counted them.
    ran: Option<HashSet<FuncId>>,
}

impl StaticFacts {
    /// Analyzes `module` and takes what `profile` (of the same module)
    /// observed over what the analysis predicts: a site's observed operand
    /// kinds replace its prediction (a site the run never reached keeps
    /// it), and a call site that called one function calls it directly.
    /// `slot_offset` is where an instance's inline field slot lies.
    /// A property or invoke site whose cache held the shapes of classes
    /// that hold still is predicted to see those shapes (when each is one
    /// its class's initializer makes).
    pub fn with_profile(module: &Module, profile: &Profile, slot_offset: fn(u32) -> u32) -> StaticFacts {
        let mut facts = StaticFacts::build(module, slot_offset, Some(profile));
        for &(site, operands) in &profile.operands {
            if operands.numbers || operands.other {
                facts.operands.insert(site, operands);
            }
        }
        if !profile.counts.is_empty() {
            facts.ran = Some(profile.counts.iter().filter(|&&(_, n)| n > 0).map(|&(f, _)| f).collect());
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

    /// Analyzes every function of `module`; `slot_offset` is where an
    /// instance's inline field slot lies (its byte offset).
    pub fn analyze(module: &Module, slot_offset: fn(u32) -> u32) -> StaticFacts {
        StaticFacts::build(module, slot_offset, None)
    }

    /// The analyses, and the shapes `profile` observed, if any.
    fn build(module: &Module, slot_offset: fn(u32) -> u32, profile: Option<&Profile>) -> StaticFacts {
        let (defines, assigned) = definitions(module);
        let constants = constant_functions(module, &defines, &assigned);
        let only_called = only_called(module, &constants);
        let classes = Classes::find(module, &defines, &assigned);
        let cx =
            kinds::Context { module, classes: &classes, constants: &constants, only_called: &only_called };
        let kinds = kinds::analyze(&cx);
        let mut links = Vec::new();
        let mut first = 0;
        let mut link_of = vec![None; classes.list.len()];
        for (c, class) in classes.list.iter().enumerate() {
            if classes.of_global(class.global) != Some(c) {
                continue;
            }
            let l = ClassLinks {
                global: class.global,
                func: class.func,
                value: class.value,
                after: class.after,
                first,
                path: class.path.clone(),
                methods: class.method_names(),
            };
            first += l.slots();
            link_of[c] = Some(links.len());
            links.push(l);
        }
        let mut facts = StaticFacts {
            operands: HashMap::new(),
            callees: HashMap::new(),
            fields: HashMap::new(),
            methods: HashMap::new(),
            supers: HashMap::new(),
            indexes: HashMap::new(),
            links: Vec::new(),
            ran: None,
        };
        let predictor = Predictor { cx: &cx, kinds: &kinds, links: &links, link_of: &link_of, slot_offset };
        for (i, f) in module.functions.iter().enumerate() {
            for_each_inst(f, |kind| predictor.predict(&mut facts, FuncId::new(i), kind));
        }
        if let Some(profile) = profile {
            predictor.observed(&mut facts, &profile.shapes);
        }
        facts.links = links;
        facts
    }

    /// Whether function `id` is worth optimizing: without a profile's
    /// counts, every function is; with them, those that ran (the others
    /// keep their baseline code, which costs nothing to build again).
    pub fn worth_optimizing(&self, id: FuncId) -> bool {
        self.ran.as_ref().is_none_or(|ran| ran.contains(&id))
    }

    /// The classes whose runtime objects the predictions name by class
    /// links (for the code generator).
    pub fn class_links(&self) -> &[ClassLinks] {
        &self.links
    }
}

/// Turns the analyses into the oracle's answers.
struct Predictor<'a> {
    cx: &'a kinds::Context<'a>,
    kinds: &'a kinds::Kinds,
    links: &'a [ClassLinks],
    /// Each class's index in `links`, if it has links.
    link_of: &'a [Option<usize>],
    slot_offset: fn(u32) -> u32,
}

impl Predictor<'_> {
    fn classes(&self) -> &Classes {
        self.cx.classes
    }

    /// The links of class `c`, if it has a complete constructor path.
    fn complete(&self, c: usize) -> Option<&ClassLinks> {
        self.classes().list[c].complete.then_some(())?;
        self.links.get(self.link_of[c]?)
    }

    /// The classes of an instance of `kind` (not a fresh one still in its
    /// initializer: not the receiver of an initializer), if up to
    /// [`MAX_SHAPES`] classes.
    fn instance_classes(&self, f: &Function, kind: Kind, obj: Value) -> Option<Vec<usize>> {
        let mask = kind.classes()?;
        if f.kind == brine_ir::FunctionKind::Initializer && f.block(f.entry()).params.get(1) == Some(&obj) {
            return None;
        }
        let classes: Vec<usize> = (0..64).filter(|c| mask & (1 << c) != 0).collect();
        (!classes.is_empty() && classes.len() <= MAX_SHAPES).then_some(classes)
    }

    /// The method `name` of class `c` (an instance's, so not shadowed by
    /// a field of its complete shape) as the oracle describes it.
    fn method(&self, c: usize, name: StrId, shape: bool) -> Option<Method> {
        let l = self.complete(c).or_else(|| self.links.get(self.link_of[c]?).filter(|_| !shape))?;
        if shape && l.path.contains(&name) {
            return None;
        }
        let func = *self.classes().list[c].methods.get(&name)?;
        let k = l.methods.iter().position(|&n| n == name)?;
        Some(Method {
            shape: if shape { l.shape(l.path.len()) } else { 0 },
            closure: l.method(k),
            function: brine_ir::symbol::function(func),
            func,
            arity: self.cx.module.function(func).arity,
        })
    }

    /// Replaces the predictions of the property and invoke sites whose
    /// shapes a profile observed (`shapes`, by site in cache order) by
    /// those shapes, when each is a shape of a class with links that its
    /// initializer makes (its fields a prefix of the constructor path).
    fn observed(&self, facts: &mut StaticFacts, shapes: &[(SiteId, GlobalId, Vec<StrId>)]) {
        let mut by_site: HashMap<SiteId, Vec<(GlobalId, &[StrId])>> = HashMap::new();
        for (site, global, fields) in shapes {
            by_site.entry(*site).or_default().push((*global, fields));
        }
        let module = self.cx.module;
        for f in &module.functions {
            for_each_inst(f, |inst| {
                let (site, name) = match *inst {
                    InstKind::GetProp { site, name, .. }
                    | InstKind::SetProp { site, name, .. }
                    | InstKind::Invoke { site, name, .. } => (site, name),
                    _ => return,
                };
                let Some(seen) = by_site.get(&site) else { return };
                if seen.len() > MAX_SHAPES || matches!(inst, InstKind::SetProp { .. }) && seen.len() > 1 {
                    return;
                }
                // Each observed shape as the class and its number of fields.
                let shapes: Option<Vec<(usize, usize)>> = seen
                    .iter()
                    .map(|&(global, fields)| {
                        let c = self.classes().of_global(global)?;
                        let l = self.links.get(self.link_of[c]?)?;
                        (l.path.get(..fields.len())? == fields).then_some((c, fields.len()))
                    })
                    .collect();
                let Some(shapes) = shapes else { return };
                match *inst {
                    InstKind::Invoke { .. } => {
                        let methods: Option<Vec<Method>> = shapes
                            .iter()
                            .map(|&(c, n)| {
                                let l = &self.links[self.link_of[c]?];
                                if l.path[..n].contains(&name) {
                                    return None;
                                }
                                let m = self.method(c, name, false)?;
                                Some(Method { shape: l.shape(n), ..m })
                            })
                            .collect();
                        if let Some(methods) = methods {
                            facts.methods.insert(site, methods);
                        }
                    }
                    _ => {
                        let set = matches!(inst, InstKind::SetProp { .. });
                        let fields: Option<Vec<Field>> = shapes
                            .iter()
                            .map(|&(c, n)| {
                                let l = &self.links[self.link_of[c]?];
                                let shape = l.shape(n);
                                match l.path[..n].iter().position(|&f| f == name) {
                                    Some(slot) => {
                                        let offset = (self.slot_offset)(slot as u32);
                                        Some(Field { shape, offset, shape_after: shape })
                                    }
                                    // A store that adds the path's next field.
                                    None if set && l.path.get(n) == Some(&name) => Some(Field {
                                        shape,
                                        offset: (self.slot_offset)(n as u32),
                                        shape_after: l.shape(n + 1),
                                    }),
                                    None => None,
                                }
                            })
                            .collect();
                        if let Some(fields) = fields {
                            facts.fields.insert(site, fields);
                        }
                    }
                }
            });
        }
    }

    fn predict(&self, facts: &mut StaticFacts, id: FuncId, inst: &InstKind) {
        let f = self.cx.module.function(id);
        let kinds = &self.kinds.values[id.index()];
        let numbers = Operands { numbers: true, other: false };
        let generic = Operands { numbers: false, other: true };
        match *inst {
            InstKind::Binary { op, lhs, rhs, site } => {
                let (l, r) = (kinds[lhs.index()], kinds[rhs.index()]);
                let predicted = match op {
                    BinaryOp::Eq | BinaryOp::Ne => l == Kind::Number && r == Kind::Number,
                    _ => l.may_be_number() && r.may_be_number(),
                };
                facts.operands.insert(site, if predicted { numbers } else { generic });
            }
            InstKind::Unary { op: UnaryOp::Neg, arg, site } => {
                let predicted = kinds[arg.index()].may_be_number();
                facts.operands.insert(site, if predicted { numbers } else { generic });
            }
            InstKind::Call { callee, ref args, site } => {
                // A closure of one function (not a constant global's).
                let global = classes::global_read(f, callee);
                if let Kind::Closure(func) = kinds[callee.index()]
                    && global.is_none_or(|g| !self.cx.constants.contains_key(&g))
                {
                    let arity = self.cx.module.function(func).arity;
                    if arity as usize == args.len() {
                        let function = brine_ir::symbol::function(func);
                        let m = Method { shape: 0, closure: 0, function, func, arity };
                        facts.callees.insert(site, CallTarget::Function(m));
                    }
                    return;
                }
                let Some(g) = global else { return };
                if let Some(&func) = self.cx.constants.get(&g) {
                    let arity = self.cx.module.function(func).arity;
                    if arity as usize == args.len() {
                        let function = brine_ir::symbol::function(func);
                        let m = Method { shape: 0, closure: 0, function, func, arity };
                        facts.callees.insert(site, CallTarget::Function(m));
                    }
                } else if let Some(c) = self.classes().of_global(g)
                    && let Some(l) = self.link_of[c].map(|k| &self.links[k])
                {
                    let init = self.cx.module.string_id(b"init");
                    let init = init
                        .filter(|n| self.classes().list[c].methods.contains_key(n))
                        .map(|name| self.method(c, name, false));
                    // An `init` the links do not name is not predicted.
                    if let Some(None) = init {
                        return;
                    }
                    facts.callees.insert(site, CallTarget::Class { class: l.class(), init: init.flatten() });
                }
            }
            InstKind::Invoke { obj, name, site, .. } => {
                let Some(classes) = self.instance_classes(f, kinds[obj.index()], obj) else { return };
                let methods: Option<Vec<Method>> =
                    classes.iter().map(|&c| self.method(c, name, true)).collect();
                if let Some(methods) = methods {
                    facts.methods.insert(site, methods);
                }
            }
            InstKind::SuperInvoke { name, site, .. } => {
                let Some((s, _)) = self.classes().super_method(id, name) else { return };
                let Some(l) = self.link_of[s].map(|k| &self.links[k]) else { return };
                if let Some(m) = self.method(s, name, false) {
                    facts.supers.insert(site, (l.class(), m));
                }
            }
            // An index of one of the library's lists or maps.
            InstKind::GetIndex { obj, site, .. } | InstKind::SetIndex { obj, site, .. } => {
                let Some(&[c]) = self.instance_classes(f, kinds[obj.index()], obj).as_deref() else { return };
                let Some(l) = self.complete(c) else { return };
                let registered = |name: &[u8]| self.classes().registered.get(name) == Some(&c);
                let slot = |field: &[u8]| l.path.iter().position(|&n| self.cx.module.string(n) == field);
                if registered(b"List")
                    && let (Some(items), Some(len)) = (slot(b"$items"), slot(b"$len"))
                {
                    facts.indexes.insert(
                        site,
                        IndexTarget::List {
                            shape: l.shape(l.path.len()),
                            items: (self.slot_offset)(items as u32),
                            len: (self.slot_offset)(len as u32),
                        },
                    );
                } else if registered(b"Map") {
                    let name = if matches!(inst, InstKind::GetIndex { .. }) { &b"get"[..] } else { b"set" };
                    let name = self.cx.module.string_id(name);
                    if let Some(m) = name.and_then(|name| self.method(c, name, true)) {
                        facts.indexes.insert(site, IndexTarget::Map(m));
                    }
                }
            }
            InstKind::GetProp { obj, name, site } | InstKind::SetProp { obj, name, site, .. } => {
                let set = matches!(inst, InstKind::SetProp { .. });
                // A fresh instance in the initializer of its class.
                if let Some(&(c, step)) = self.classes().steps.get(&site)
                    && let Some(l) = self.link_of[c].map(|k| &self.links[k])
                {
                    let field = Field {
                        shape: l.shape(step.before),
                        offset: (self.slot_offset)(step.slot as u32),
                        shape_after: l.shape(step.after),
                    };
                    facts.fields.insert(site, vec![field]);
                    return;
                }
                let Some(classes) = self.instance_classes(f, kinds[obj.index()], obj) else { return };
                if set && classes.len() > 1 {
                    return;
                }
                let fields: Option<Vec<Field>> = classes
                    .iter()
                    .map(|&c| {
                        let l = self.complete(c)?;
                        let slot = l.path.iter().position(|&n| n == name)?;
                        let shape = l.shape(l.path.len());
                        Some(Field { shape, offset: (self.slot_offset)(slot as u32), shape_after: shape })
                    })
                    .collect();
                if let Some(fields) = fields {
                    facts.fields.insert(site, fields);
                }
            }
            _ => {}
        }
    }
}

/// The globals that cannot change once defined: defined by one
/// `define_global` (a top-level declaration, which runs once) and never
/// assigned. What the partial evaluator may read at run time.
pub fn unchanging_globals(module: &Module) -> HashSet<GlobalId> {
    let (defines, assigned) = definitions(module);
    (0..module.globals.len()).filter(|&g| defines[g] == 1 && !assigned[g]).map(GlobalId::new).collect()
}

/// For each global of `module`: how many `define_global`s it has, and
/// whether anything assigns it.
fn definitions(module: &Module) -> (Vec<u32>, Vec<bool>) {
    let mut defines = vec![0u32; module.globals.len()];
    let mut assigned = vec![false; module.globals.len()];
    for f in &module.functions {
        for_each_inst(f, |kind| match *kind {
            InstKind::DefineGlobal { global, .. } => defines[global.index()] += 1,
            InstKind::SetGlobal { global, .. } => assigned[global.index()] = true,
            _ => {}
        });
    }
    (defines, assigned)
}

pub(crate) fn for_each_inst(f: &Function, mut visit: impl FnMut(&InstKind)) {
    for &b in &f.layout {
        for &i in &f.block(b).insts {
            visit(&f.inst(i).kind);
        }
    }
}

/// The globals defined once, by a function declaration (the closure of a
/// function without captures, in the script), and never assigned: the
/// function each one holds.
fn constant_functions(module: &Module, defines: &[u32], assigned: &[bool]) -> HashMap<GlobalId, FuncId> {
    let mut constants = HashMap::new();
    for f in &module.functions {
        if f.kind != brine_ir::FunctionKind::Script {
            continue;
        }
        for_each_inst(f, |kind| {
            if let InstKind::DefineGlobal { global, value } = *kind
                && defines[global.index()] == 1
                && !assigned[global.index()]
                && let Some(InstKind::Closure { func, captures }) = classes::def(f, value)
                && captures.is_empty()
            {
                constants.insert(global, *func);
            }
        });
    }
    constants
}

/// The constant functions whose global is only ever read to be called
/// (and so whose every call is known).
fn only_called(module: &Module, constants: &HashMap<GlobalId, FuncId>) -> HashSet<FuncId> {
    let mut escaping: HashSet<GlobalId> = HashSet::new();
    for f in &module.functions {
        // The reads of constant function globals, and their uses as callees.
        let mut reads: HashMap<Value, GlobalId> = HashMap::new();
        for (v, data) in f.values.iter().enumerate() {
            if let ValueDef::Result(i) = data.def
                && let InstKind::GetGlobal { global, .. } = f.inst(i).kind
                && constants.contains_key(&global)
            {
                reads.insert(Value::new(v), global);
            }
        }
        if reads.is_empty() {
            continue;
        }
        for_each_inst(f, |kind| {
            let callee = match kind {
                InstKind::Call { callee, .. } => Some(*callee),
                _ => None,
            };
            let mut first_is_callee = callee.is_some();
            kind.for_each_arg(|a| {
                // `for_each_arg` gives a call's callee first.
                if std::mem::replace(&mut first_is_callee, false) && Some(a) == callee {
                    return;
                }
                if let Some(&g) = reads.get(&a) {
                    escaping.insert(g);
                }
            });
        });
    }
    constants.iter().filter(|(g, _)| !escaping.contains(g)).map(|(_, &f)| f).collect()
}

impl Oracle for StaticFacts {
    fn operands(&self, site: SiteId) -> Operands {
        self.operands.get(&site).copied().unwrap_or_default()
    }
    fn field(&self, site: SiteId) -> Option<Field> {
        match self.fields.get(&site)?.as_slice() {
            [field] => Some(*field),
            _ => None,
        }
    }
    fn method(&self, site: SiteId) -> Option<Method> {
        match self.methods.get(&site)?.as_slice() {
            [method] => Some(*method),
            _ => None,
        }
    }
    fn fields(&self, site: SiteId) -> Vec<Field> {
        self.fields.get(&site).filter(|f| f.len() > 1).cloned().unwrap_or_default()
    }
    fn methods(&self, site: SiteId) -> Vec<Method> {
        self.methods.get(&site).filter(|m| m.len() > 1).cloned().unwrap_or_default()
    }
    fn super_method(&self, site: SiteId) -> Option<(u64, Method)> {
        self.supers.get(&site).copied()
    }
    fn callee(&self, site: SiteId) -> Option<CallTarget> {
        self.callees.get(&site).copied()
    }
    fn index(&self, site: SiteId) -> Option<IndexTarget> {
        self.indexes.get(&site).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brine_ir::parser::parse_module;

    /// Where the tests' instances keep inline slot `k`.
    fn slot(k: u32) -> u32 {
        32 + 8 * k
    }

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
        let facts = StaticFacts::analyze(&module, slot);
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
        let text = brine_ir::printer::detached_function_text(&module, &optimized);
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
            shapes: Vec::new(),
            counts: vec![(FuncId(0), 1), (FuncId(1), 10)],
        };
        let text = profile.to_text();
        assert!(text.starts_with("brine profile 2\nmodule "), "{text}");
        assert!(text.contains("\noperands 0 0 1\n") && text.contains("\ncall 4 1\n"), "{text}");
        assert!(text.contains("\ncount 1 10\n"), "{text}");
        assert_eq!(Profile::from_text(&text), Ok(profile.clone()));
        let facts = StaticFacts::with_profile(&module, &profile, slot);
        assert_eq!(facts.operands(SiteId(0)), Operands { numbers: false, other: true });
        assert_eq!(facts.operands(SiteId(9)), Operands { numbers: true, other: false });
        // Both functions ran; without counts, every function is worth it.
        assert!(facts.worth_optimizing(FuncId(0)) && facts.worth_optimizing(FuncId(1)));
        let uncounted = Profile { counts: vec![(FuncId(0), 1)], ..profile.clone() };
        assert!(!StaticFacts::with_profile(&module, &uncounted, slot).worth_optimizing(FuncId(1)));
        assert!(StaticFacts::analyze(&module, slot).worth_optimizing(FuncId(1)));
        // A site the profile does not name keeps its prediction.
        assert_eq!(facts.operands(SiteId(1)), Operands { numbers: true, other: false });
        assert!(matches!(facts.callee(SiteId(4)), Some(CallTarget::Function(m)) if m.func == FuncId(1)));

        assert!(Profile::from_text("brine profile 1\n").unwrap_err().contains("another format"));
        let bad = Profile::from_text("brine profile 2\noperands 3 2 0\n").unwrap_err();
        assert!(bad.contains("line 2"), "{bad}");
        assert_ne!(
            module_hash(&module),
            module_hash(&parse_module(&PROGRAM.replace("10.0", "11.0")).unwrap())
        );
    }

    /// `brine emit ir` of:
    ///
    /// ```lox
    /// class Point {
    ///   init(x, y) { this.x = x; this.y = y; }
    ///   sum() { return this.x + this.y; }
    /// }
    /// class Point3 < Point {
    ///   init(x, y, z) { super.init(x, y); this.z = z; }
    ///   sum() { return super.sum() + this.z; }
    /// }
    /// var p = Point3(1, 2, 3);
    /// print p.sum() + p.z;
    /// ```
    const CLASSES: &str = r#"strings "Point", "x", "y", "init", "sum", "Point3", "z"
globals "Point", "Point3", "p"
sites 2, 2, 3, 3, 3, 5, 5, 6, 6, 7, 7, 7, 9, 9, 10, 10, 10, 10, 10

function f0 ""(arity 0, captures 0, script, line 1) {
block0(v0: val, v1: val):
    v2 = class "Point", fields 2
    define_global "Point", v2
    v3 = closure f1[]
    method v2, "init", v3
    v4 = closure f2[]
    method v2, "sum", v4
    v5 = class "Point3", fields 1
    define_global "Point3", v5
    v6 = get_global "Point" @5  ; line 5
    inherit v5, v6 @6  ; line 5
    v7 = closure f3[v6]
    method v5, "init", v7
    v8 = closure f4[v6]
    method v5, "sum", v8
    v9 = get_global "Point3" @12  ; line 9
    v10 = number 1.0
    v11 = number 2.0
    v12 = number 3.0
    v13 = call v9(v10, v11, v12) @13  ; line 9
    define_global "p", v13
    v14 = get_global "p" @14  ; line 10
    v15 = invoke v14, "sum"() @15  ; line 10
    v16 = get_global "p" @16  ; line 10
    v17 = get_prop v16, "z" @17  ; line 10
    v18 = add v15, v17 @18  ; line 10
    print v18
    v19 = nil
    return v19
}

function f1 "init"(arity 2, captures 0, initializer, line 2) {
block0(v0: val, v1: val, v2: val, v3: val):
    set_prop v1, "x", v2 @0  ; line 2
    set_prop v1, "y", v3 @1  ; line 2
    return v1
}

function f2 "sum"(arity 0, captures 0, method, line 3) {
block0(v0: val, v1: val):
    v2 = get_prop v1, "x" @2  ; line 3
    v3 = get_prop v1, "y" @3  ; line 3
    v4 = add v2, v3 @4  ; line 3
    return v4
}

function f3 "init"(arity 3, captures 1, initializer, line 6) {
block0(v0: val, v1: val, v2: val, v3: val, v4: val):
    v5 = load_capture 0
    v6 = super_invoke v1, v5, "init"(v2, v3) @7  ; line 6
    set_prop v1, "z", v4 @8  ; line 6
    return v1
}

function f4 "sum"(arity 0, captures 1, method, line 7) {
block0(v0: val, v1: val):
    v2 = load_capture 0
    v3 = super_invoke v1, v2, "sum"() @9  ; line 7
    v4 = get_prop v1, "z" @10  ; line 7
    v5 = add v3, v4 @11  ; line 7
    return v5
}
"#;

    #[test]
    fn classes_that_hold_still_have_their_methods_and_shapes_predicted() {
        use brine_ir::symbol::link;
        let module = parse_module(CLASSES).expect("the program parses");
        let facts = StaticFacts::analyze(&module, slot);
        // Point: the class, its shapes with 0, 1 and 2 fields (x, y), then
        // its methods init and sum; Point3's from slot 6, with z.
        let links = facts.class_links();
        assert_eq!(links.len(), 2);
        assert_eq!((links[0].first, links[0].slots(), links[1].first, links[1].slots()), (0, 6, 6, 7));
        assert_eq!(links[1].path.len(), 3, "Point3's initializer adds x and y through super.init, then z");
        let (point, point3) = (link(0), link(6));
        let point3_shape = link(10);
        let method = |closure, func: u32, arity| Method {
            shape: 0,
            closure,
            function: brine_ir::symbol::function(FuncId(func)),
            func: FuncId(func),
            arity,
        };
        // `Point3(1, 2, 3)`: a new instance, and Point3's init called directly.
        assert_eq!(
            facts.callee(SiteId(13)),
            Some(CallTarget::Class { class: point3, init: Some(method(link(11), 3, 3)) })
        );
        // In Point3's init, `this.z = z` adds z to a fresh instance with x and y.
        assert_eq!(
            facts.field(SiteId(8)),
            Some(Field { shape: link(9), offset: slot(2), shape_after: point3_shape })
        );
        // Point's init runs on instances of both classes: not predicted.
        assert_eq!((facts.field(SiteId(0)), facts.fields(SiteId(0))), (None, Vec::new()));
        // `p.sum()` and `p.z`, of the global that holds a Point3.
        assert_eq!(facts.method(SiteId(15)), Some(Method { shape: point3_shape, ..method(link(12), 4, 0) }));
        assert_eq!(
            facts.field(SiteId(17)),
            Some(Field { shape: point3_shape, offset: slot(2), shape_after: point3_shape })
        );
        // `this.x` in Point's sum, which Point3's sum calls through super:
        // instances of either class.
        let x = |shape| Field { shape, offset: slot(0), shape_after: shape };
        assert_eq!(facts.fields(SiteId(2)), vec![x(link(3)), x(point3_shape)]);
        // `super.init(x, y)` and `super.sum()`: Point's methods.
        assert_eq!(facts.super_method(SiteId(7)), Some((point, method(link(4), 1, 2))));
        assert_eq!(facts.super_method(SiteId(9)), Some((point, method(link(5), 2, 0))));

        // The script, optimized: no dynamic property access or call is left.
        let optimized = crate::optimize(&module, module.function(FuncId(0)), &facts).expect("optimized");
        let text = brine_ir::printer::detached_function_text(&module, &optimized);
        for op in [" invoke ", " get_prop ", " call "] {
            assert!(!text.contains(op), "{op} is left:\n{text}");
        }
        assert!(text.contains("guard_is"), "{text}");
    }

    #[test]
    fn the_shapes_a_profile_observed_are_predicted_where_the_analysis_cannot() {
        use brine_ir::symbol::link;
        let module = parse_module(CLASSES).expect("the program parses");
        let (point, x, y) = (GlobalId(0), StrId(1), StrId(2));
        let profile = |shapes| Profile { module: module_hash(&module), shapes, ..Profile::default() };
        // `this.x = x` in Point's init saw fresh Points only (say): it
        // adds x to Point's root shape.
        let seen = profile(vec![(SiteId(0), point, vec![])]);
        let text = seen.to_text();
        assert!(text.contains("\nshape 0 0\n"), "{text}");
        assert_eq!(Profile::from_text(&text), Ok(seen.clone()));
        let facts = StaticFacts::with_profile(&module, &seen, slot);
        assert_eq!(
            facts.field(SiteId(0)),
            Some(Field { shape: link(1), offset: slot(0), shape_after: link(2) })
        );
        // A shape that is not one Point's initializer makes is not used.
        let other = profile(vec![(SiteId(0), point, vec![y])]);
        assert_eq!(StaticFacts::with_profile(&module, &other, slot).field(SiteId(0)), None);
        // Two shapes at a read: both tested.
        let both =
            profile(vec![(SiteId(2), point, vec![x, y]), (SiteId(2), GlobalId(1), vec![x, y, StrId(6)])]);
        let text = both.to_text();
        assert!(text.contains("\nshape 2 0 1 2\nshape 2 1 1 2 6\n"), "{text}");
        let facts = StaticFacts::with_profile(&module, &Profile::from_text(&text).unwrap(), slot);
        let at = |shape| Field { shape, offset: slot(0), shape_after: shape };
        assert_eq!(facts.fields(SiteId(2)), vec![at(link(3)), at(link(10))]);
    }

    #[test]
    fn a_call_of_a_closure_of_one_function_is_predicted_to_call_it() {
        // `fun makeAdder(n) { fun add(x) { return x + n; } return add; }
        // var add2 = makeAdder(2); print add2(1);`
        let module = parse_module(
            r#"globals "makeAdder", "add2"
sites 2, 5, 5, 6, 6

function f0 ""(arity 0, captures 0, script, line 1) {
block0(v0: val, v1: val):
    v2 = closure f1[]
    define_global "makeAdder", v2
    v3 = get_global "makeAdder" @1  ; line 5
    v4 = number 2.0
    v5 = call v3(v4) @2  ; line 5
    define_global "add2", v5
    v6 = get_global "add2" @3  ; line 6
    v7 = number 1.0
    v8 = call v6(v7) @4  ; line 6
    print v8
    v9 = nil
    return v9
}

function f1 "makeAdder"(arity 1, captures 0, function, line 1) {
block0(v0: val, v1: val, v2: val):
    v3 = closure f2[v2]
    return v3
}

function f2 "add"(arity 1, captures 1, function, line 2) {
block0(v0: val, v1: val, v2: val):
    v3 = load_capture 0
    v4 = add v2, v3 @0  ; line 2
    return v4
}
"#,
        )
        .expect("the program parses");
        let facts = StaticFacts::analyze(&module, slot);
        // `add2(1)`: add2 is assigned nowhere but holds what makeAdder
        // returns, a closure of `add` (with its capture: no one closure).
        let Some(CallTarget::Function(m)) = facts.callee(SiteId(4)) else { panic!("add2(1) has no target") };
        assert_eq!((m.func, m.arity, m.closure), (FuncId(2), 1, 0));
        // `x + n` in add: n is captured, so unknown; x may be a number.
        assert_eq!(facts.operands(SiteId(0)), Operands { numbers: true, other: false });
    }

    #[test]
    fn a_class_assigned_or_with_an_unknown_superclass_is_not_predicted() {
        let assigned = CLASSES.replace(
            "    define_global \"p\", v13\n",
            "    define_global \"p\", v13\n    set_global \"Point\", v13 @14  ; line 10\n",
        );
        let module = parse_module(&assigned).expect("the program parses");
        let facts = StaticFacts::analyze(&module, slot);
        // Point is not constant, so neither is Point3, its subclass.
        assert!(facts.class_links().is_empty());
        assert_eq!(facts.callee(SiteId(13)), None);
        assert_eq!(facts.method(SiteId(15)), None);
    }

    #[test]
    fn a_global_assigned_anywhere_or_defined_twice_is_not_constant() {
        // Assigned a number too: neither constant nor always a closure.
        let assigned = PROGRAM.replace(
            "    set_global \"total\", v12 @6  ; line 3",
            "    set_global \"total\", v12 @6  ; line 3\n    set_global \"sq\", v12 @6  ; line 3",
        );
        let module = parse_module(&assigned).expect("the program parses");
        assert_eq!(StaticFacts::analyze(&module, slot).callee(SiteId(4)), None);
        // Defined twice, not constant, but both times a closure of f1: the
        // kinds still predict the call (`sq(i)` is a guarded call of f1),
        // though its parameters are unknown (not every call is known).
        let twice = PROGRAM.replace(
            "    define_global \"sq\", v2\n",
            "    define_global \"sq\", v2\n    define_global \"sq\", v2\n",
        );
        let module = parse_module(&twice).expect("the program parses");
        let facts = StaticFacts::analyze(&module, slot);
        assert!(matches!(facts.callee(SiteId(4)), Some(CallTarget::Function(m)) if m.func == FuncId(1)));
        // `x * x` may still see numbers (an unknown parameter may be one).
        assert_eq!(facts.operands(SiteId(0)), Operands { numbers: true, other: false });
    }
}
