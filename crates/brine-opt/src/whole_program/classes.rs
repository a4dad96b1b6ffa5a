//! The classes of a program that hold still: each declared once, at the
//! top level, into a global nothing assigns. For each, what it is made
//! of (its superclass, its methods, inherited ones included), and what its
//! initializer adds to a fresh instance (the *constructor path*: its
//! fields in the order they are added), from which its shapes are
//! predicted.

use brine_ir::cfg::ControlFlowGraph;
use brine_ir::{
    FuncId, Function, FunctionKind, GlobalId, Inst, InstKind, Module, SiteId, StrId, Value, ValueDef,
};
use std::collections::HashMap;

/// At most this many classes are told apart ([`super::kinds::Kind`]'s
/// instance masks are 64 bits); instances of the others are unknown values.
pub(super) const MAX_CLASSES: usize = 64;

/// A class declared once at the top level of the script, into global
/// `global`, which nothing assigns.
pub(super) struct Class {
    pub global: GlobalId,
    /// The script that declares it.
    pub func: FuncId,
    /// Its value in the script, complete (with its methods) after `after`.
    pub value: Value,
    pub after: Inst,
    pub superclass: Option<usize>,
    /// Its methods, inherited ones included (the runtime copies them down).
    pub methods: HashMap<StrId, FuncId>,
    /// What its initializer adds to a fresh instance; `complete` if it
    /// adds nothing more after those fields.
    pub path: Vec<StrId>,
    pub complete: bool,
}

impl Class {
    /// Its methods in a fixed order (by string id): the order of its
    /// method link slots.
    pub fn method_names(&self) -> Vec<StrId> {
        let mut names: Vec<StrId> = self.methods.keys().copied().collect();
        names.sort_by_key(|s| s.0);
        names
    }
}

/// What an initializer's straight-line start does to a fresh instance at
/// a property site: the number of constructor-path fields it has before
/// the access and after it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) struct PathStep {
    pub before: usize,
    pub after: usize,
    /// The field's slot (its index in the path).
    pub slot: usize,
}

pub(super) struct Classes {
    pub list: Vec<Class>,
    pub by_global: HashMap<GlobalId, usize>,
    /// The class each method was declared in.
    pub declared_in: HashMap<FuncId, usize>,
    /// For each method, the classes whose instances may run it as theirs
    /// (whose method table holds it), as a mask (see [`MAX_CLASSES`]); 0
    /// when one of them is past the mask.
    pub owners: HashMap<FuncId, u64>,
    /// Property sites of initializers that only one class's fresh
    /// instances run: that class and the step.
    pub steps: HashMap<SiteId, (usize, PathStep)>,
    /// The classes the standard library registers under a name of the
    /// program's (`$register(name, class)`, DESIGN section 10): `List`
    /// (whose instances list literals make too) and `Map`.
    pub registered: HashMap<Vec<u8>, usize>,
}

/// The value an instruction made, if `v` is an instruction's result.
pub(super) fn def(f: &Function, v: Value) -> Option<&InstKind> {
    match f.values[v.index()].def {
        ValueDef::Result(i) => Some(&f.inst(i).kind),
        _ => None,
    }
}

/// The global a value was read from, if it was.
pub(super) fn global_read(f: &Function, v: Value) -> Option<GlobalId> {
    match def(f, v)? {
        InstKind::GetGlobal { global, .. } => Some(*global),
        _ => None,
    }
}

impl Classes {
    /// Finds the classes of `module` that hold still, given how often each
    /// global is defined and whether anything assigns it.
    pub fn find(module: &Module, defines: &[u32], assigned: &[bool]) -> Classes {
        let mut list: Vec<Class> = Vec::new();
        let mut by_global = HashMap::new();
        let mut declared_in = HashMap::new();
        for (id, f) in module.functions.iter().enumerate() {
            if f.kind != FunctionKind::Script {
                continue;
            }
            // In the order of the script: a superclass is declared first.
            let mut of_value: HashMap<Value, usize> = HashMap::new();
            let mut broken: Vec<usize> = Vec::new();
            for &b in &f.layout {
                for &i in &f.block(b).insts {
                    match f.inst(i).kind {
                        InstKind::DefineGlobal { global, value }
                            if defines[global.index()] == 1
                                && !assigned[global.index()]
                                && matches!(def(f, value), Some(InstKind::Class { .. })) =>
                        {
                            of_value.insert(value, list.len());
                            by_global.insert(global, list.len());
                            list.push(Class {
                                global,
                                func: FuncId::new(id),
                                value,
                                after: i,
                                superclass: None,
                                methods: HashMap::new(),
                                path: Vec::new(),
                                complete: false,
                            });
                        }
                        InstKind::Inherit { class, superclass, .. } => {
                            let Some(&c) = of_value.get(&class) else { continue };
                            list[c].after = i;
                            match global_read(f, superclass).and_then(|g| by_global.get(&g)) {
                                Some(&s) => {
                                    list[c].superclass = Some(s);
                                    list[c].methods = list[s].methods.clone();
                                }
                                // Its inherited methods are not known.
                                None => broken.push(c),
                            }
                        }
                        InstKind::Method { class, name, method } => {
                            let Some(&c) = of_value.get(&class) else { continue };
                            list[c].after = i;
                            if let Some(InstKind::Closure { func, .. }) = def(f, method) {
                                list[c].methods.insert(name, *func);
                                declared_in.insert(*func, c);
                            } else {
                                broken.push(c);
                            }
                        }
                        _ => {}
                    }
                }
            }
            // A class whose methods are not all known is not predicted:
            // nothing names it (its instances are unknown values); nor
            // are its subclasses (declared after it).
            for c in broken {
                by_global.remove(&list[c].global);
            }
        }
        for c in 0..list.len() {
            if list[c].superclass.is_some_and(|s| !by_global.contains_key(&list[s].global)) {
                by_global.remove(&list[c].global);
            }
        }
        let mut owners: HashMap<FuncId, u64> = HashMap::new();
        for (c, class) in list.iter().enumerate() {
            if !by_global.contains_key(&class.global) {
                continue;
            }
            for &func in class.methods.values() {
                let mask = owners.entry(func).or_insert(0);
                if c < MAX_CLASSES && *mask != u64::MAX {
                    *mask |= 1 << c;
                } else {
                    *mask = u64::MAX;
                }
            }
        }
        let registered = registered(module, &by_global, defines, assigned);
        for (name, &c) in &registered {
            // The program's global of that name holds the class, unless
            // the program defines it itself.
            if let Some(g) = module.global_id(name)
                && defines[g.index()] == 0
                && !assigned[g.index()]
            {
                by_global.insert(g, c);
            }
        }
        let mut classes = Classes { list, by_global, declared_in, owners, steps: HashMap::new(), registered };
        classes.add_super_owners(module);
        for mask in classes.owners.values_mut() {
            if *mask == u64::MAX {
                *mask = 0;
            }
        }
        classes.find_paths(module);
        classes
    }

    /// The index of the class held by global `g`, if it holds still.
    pub fn of_global(&self, g: GlobalId) -> Option<usize> {
        self.by_global.get(&g).copied()
    }

    /// The method `name` of the superclass of the class `func` was
    /// declared in: what `super.name` means in `func`.
    pub fn super_method(&self, func: FuncId, name: StrId) -> Option<(usize, FuncId)> {
        let c = *self.declared_in.get(&func)?;
        let s = self.list[c].superclass?;
        self.by_global.contains_key(&self.list[s].global).then_some(())?;
        Some((s, *self.list[s].methods.get(&name)?))
    }

    /// A method that `super.name` calls (or reads) in a method of a
    /// subclass runs on the instances that run that method too: adds them
    /// to its owners, up the hierarchy.
    fn add_super_owners(&mut self, module: &Module) {
        let mut supers: Vec<(FuncId, FuncId)> = Vec::new();
        for &g in self.declared_in.keys() {
            super::for_each_inst(module.function(g), |kind| {
                if let InstKind::SuperInvoke { name, .. } | InstKind::GetSuper { name, .. } = *kind
                    && let Some((_, f)) = self.super_method(g, name)
                {
                    supers.push((g, f));
                }
            });
        }
        let mut changed = true;
        while changed {
            changed = false;
            for &(g, f) in &supers {
                let from = self.owners.get(&g).copied().unwrap_or(u64::MAX);
                let to = self.owners.entry(f).or_insert(0);
                let joined = if from == u64::MAX { u64::MAX } else { *to | from };
                if joined != *to {
                    *to = joined;
                    changed = true;
                }
            }
        }
    }

    /// Every class's constructor path, and the steps of the initializers
    /// only one class's fresh instances run.
    fn find_paths(&mut self, module: &Module) {
        let init = module.string_id(b"init");
        let mut walks: HashMap<FuncId, Walk> = HashMap::new();
        // How many classes' fresh instances each initializer runs: those
        // that have it as their `init`, and those whose `init` calls it
        // through `super.init`.
        let mut runs: HashMap<FuncId, usize> = HashMap::new();
        for c in 0..self.list.len() {
            let Some(f) = init.and_then(|name| self.list[c].methods.get(&name).copied()) else {
                self.list[c].complete = true;
                continue;
            };
            let walk = self.walk(module, f, init, &mut walks);
            *runs.entry(f).or_insert(0) += 1;
            for &called in &walk.super_inits {
                *runs.entry(called).or_insert(0) += 1;
            }
            self.list[c].path = walk.path.clone();
            self.list[c].complete = walk.complete;
        }
        for c in 0..self.list.len() {
            let Some(f) = init.and_then(|name| self.list[c].methods.get(&name).copied()) else { continue };
            if runs.get(&f) == Some(&1) {
                for &(site, step) in &walks[&f].steps {
                    self.steps.insert(site, (c, step));
                }
            }
        }
    }

    /// What initializer `f` adds to a fresh instance (memoized in `walks`).
    fn walk(
        &self,
        module: &Module,
        f: FuncId,
        init: Option<StrId>,
        walks: &mut HashMap<FuncId, Walk>,
    ) -> Walk {
        if let Some(w) = walks.get(&f) {
            return w.clone();
        }
        // Placeholder against cycles (a superclass is declared first, so
        // there are none; this only keeps the walk finite).
        walks.insert(f, Walk::default());
        let w = self.walk_uncached(module, f, init, walks);
        walks.insert(f, w.clone());
        w
    }

    fn walk_uncached(
        &self,
        module: &Module,
        fid: FuncId,
        init: Option<StrId>,
        walks: &mut HashMap<FuncId, Walk>,
    ) -> Walk {
        let f = module.function(fid);
        let mut w = Walk::default();
        let Some(&this) = f.block(f.entry()).params.get(1) else { return w };
        let cfg = ControlFlowGraph::with_function(f);
        let mut block = f.entry();
        let mut visited = vec![false; f.blocks.len()];
        'blocks: loop {
            if std::mem::replace(&mut visited[block.index()], true) {
                break;
            }
            for &i in &f.block(block).insts {
                let kind = &f.inst(i).kind;
                match *kind {
                    InstKind::SetProp { obj, name, value, site } if obj == this && value != this => {
                        let before = w.path.len();
                        let slot = match w.path.iter().position(|&n| n == name) {
                            Some(slot) => slot,
                            None => {
                                w.path.push(name);
                                before
                            }
                        };
                        w.steps.push((site, PathStep { before, after: w.path.len(), slot }));
                        continue;
                    }
                    InstKind::GetProp { obj, name, site } if obj == this => {
                        // A method (a bound method may add fields later).
                        let Some(slot) = w.path.iter().position(|&n| n == name) else { break 'blocks };
                        let n = w.path.len();
                        w.steps.push((site, PathStep { before: n, after: n, slot }));
                        continue;
                    }
                    InstKind::SuperInvoke { this: t, name, ref args, .. }
                        if t == this && Some(name) == init && !args.contains(&this) =>
                    {
                        let Some((_, called)) = self.super_method(fid, name) else { break 'blocks };
                        let inner = self.walk(module, called, init, walks);
                        if !inner.complete {
                            break 'blocks;
                        }
                        w.super_inits.push(called);
                        w.super_inits.extend(inner.super_inits);
                        for name in inner.path {
                            if !w.path.contains(&name) {
                                w.path.push(name);
                            }
                        }
                        continue;
                    }
                    InstKind::Return { .. } => {
                        w.complete = true;
                        break 'blocks;
                    }
                    InstKind::Jump { dest, ref args }
                        if !args.contains(&this) && cfg.predecessors(dest).len() == 1 =>
                    {
                        block = dest;
                        continue 'blocks;
                    }
                    _ => {}
                }
                // Anything else that may reach the instance may add fields.
                let mut uses_this = false;
                kind.for_each_arg(|a| uses_this |= a == this);
                if uses_this || kind.is_terminator() {
                    break 'blocks;
                }
            }
            break;
        }
        w
    }
}

/// The classes the library's scripts register: `$register("List", $List)`
/// makes the program's global `List` the class in `$List` (`$`-names are
/// the library's; a program cannot write them).
fn registered(
    module: &Module,
    by_global: &HashMap<GlobalId, usize>,
    defines: &[u32],
    assigned: &[bool],
) -> HashMap<Vec<u8>, usize> {
    let mut registered = HashMap::new();
    let register = module.global_id(b"$register");
    let Some(register) = register.filter(|g| defines[g.index()] == 0 && !assigned[g.index()]) else {
        return registered;
    };
    for f in module.functions.iter().filter(|f| f.kind == FunctionKind::Script && f.library) {
        super::for_each_inst(f, |kind| {
            if let InstKind::Call { callee, ref args, .. } = *kind
                && global_read(f, callee) == Some(register)
                && let [name, class] = args[..]
                && let Some(InstKind::Str(name)) = def(f, name)
                && let Some(&c) = global_read(f, class).and_then(|g| by_global.get(&g))
            {
                registered.insert(module.string(*name).to_vec(), c);
            }
        });
    }
    registered
}

/// What an initializer's straight-line start adds to a fresh instance.
#[derive(Clone, Default)]
struct Walk {
    path: Vec<StrId>,
    /// It returns after the path, having added nothing else.
    complete: bool,
    steps: Vec<(SiteId, PathStep)>,
    /// The initializers it runs through `super.init`.
    super_inits: Vec<FuncId>,
}
