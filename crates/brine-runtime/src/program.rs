//! A module loaded into a runtime: the runtime objects its ids stand for.

use crate::ic::PropertyCache;
use crate::object::{FunctionKind as RtKind, ObjFunction};
use crate::{Runtime, Value};
use brine_ir::{FuncId, GlobalId, Module, SiteId, StrId};
use std::cell::Cell;

/// An IR module together with the runtime objects for its ids: a function
/// prototype per function, an interned string per string constant, a global
/// slot per global name. The module may grow (the REPL lowers each entry
/// into it); [`Program::sync`] loads what is new.
pub struct Program {
    pub module: Module,
    functions: Vec<*mut ObjFunction>,
    strings: Vec<Value>,
    globals: Vec<u32>,
    /// One inline cache per site, for native code; allocated in chunks so
    /// their addresses never change.
    cache_chunks: Vec<Box<[PropertyCache]>>,
    caches: Vec<*mut PropertyCache>,
    /// What the operands of each site's arithmetic or comparison have been
    /// ([`feedback`] bits), as the interpreter saw them: the optimizer's
    /// type feedback.
    type_feedback: Vec<Cell<u8>>,
}

/// The bits of a site's type feedback.
pub mod feedback {
    /// The operands were numbers.
    pub const NUMBERS: u8 = 1;
    /// Some operand was not a number.
    pub const OTHER: u8 = 2;
}

impl Default for Program {
    fn default() -> Self {
        Self::new()
    }
}

impl Program {
    pub fn new() -> Program {
        Program {
            module: Module::new(),
            functions: Vec::new(),
            strings: Vec::new(),
            globals: Vec::new(),
            cache_chunks: Vec::new(),
            caches: Vec::new(),
            type_feedback: Vec::new(),
        }
    }

    /// Makes the first `n` sites use the caches at `caches` (a built
    /// executable's, which its code reads) instead of caches of their own.
    /// Call it before the first [`Program::sync`].
    ///
    /// # Safety
    /// `caches` points at `n` empty caches (zeroed memory) that live as long
    /// as the program and that nothing else uses but the code built with it.
    pub unsafe fn use_caches(&mut self, caches: *mut PropertyCache, n: usize) {
        assert!(self.caches.is_empty(), "use_caches after the first sync");
        // SAFETY: the caller's contract.
        self.caches.extend((0..n).map(|i| unsafe { caches.add(i) }));
    }

    /// Creates the runtime objects for everything added to the module since
    /// the last sync. They are kept alive in `rt.constants`.
    pub fn sync(&mut self, rt: &mut Runtime) {
        let new_sites = self.module.sites.len() - self.caches.len();
        if new_sites > 0 {
            let mut chunk = vec![PropertyCache::EMPTY; new_sites].into_boxed_slice();
            self.caches.extend(chunk.iter_mut().map(|c| c as *mut PropertyCache));
            self.cache_chunks.push(chunk);
        }
        self.type_feedback.resize(self.module.sites.len(), Cell::new(0));
        for s in &self.module.strings[self.strings.len()..] {
            let v = rt.intern(s);
            rt.constants.push(v);
            self.strings.push(v);
        }
        for g in &self.module.globals[self.globals.len()..] {
            self.globals.push(rt.global_slot(g));
        }
        for (i, f) in self.module.functions.iter().enumerate().skip(self.functions.len()) {
            let name = match f.kind {
                brine_ir::FunctionKind::Script => Value::NIL,
                _ => rt.intern(&f.name),
            };
            rt.push_root(name);
            let kind = match f.kind {
                brine_ir::FunctionKind::Script => RtKind::Script,
                brine_ir::FunctionKind::Function => RtKind::Function,
                brine_ir::FunctionKind::Method => RtKind::Method,
                brine_ir::FunctionKind::Initializer => RtKind::Initializer,
            };
            let obj = rt.new_function(name, f.arity, f.ncaptures, i as u32, kind);
            // SAFETY: a fresh prototype.
            unsafe { (*obj).library = f.library };
            rt.pop_root();
            rt.constants.push(Value::object(obj));
            self.functions.push(obj);
        }
    }

    /// The function prototypes, by function id.
    pub fn function_objects(&self) -> &[*mut ObjFunction] {
        &self.functions
    }
    /// The interned string constants, by string id.
    pub fn strings(&self) -> &[Value] {
        &self.strings
    }
    /// The inline cache of each site.
    pub fn caches(&self) -> &[*mut PropertyCache] {
        &self.caches
    }
    /// The runtime global slots, by global id.
    pub fn global_slots(&self) -> &[u32] {
        &self.globals
    }

    /// Records that the operands at `site` were numbers, or not.
    #[inline]
    pub fn record_operands(&self, site: SiteId, numbers: bool) {
        let cell = &self.type_feedback[site.index()];
        cell.set(cell.get() | if numbers { feedback::NUMBERS } else { feedback::OTHER });
    }
    /// The [`feedback`] bits of `site`.
    pub fn operand_feedback(&self, site: SiteId) -> u8 {
        self.type_feedback.get(site.index()).map_or(0, Cell::get)
    }

    #[inline]
    pub fn function_object(&self, id: FuncId) -> *mut ObjFunction {
        self.functions[id.index()]
    }
    #[inline]
    pub fn string(&self, id: StrId) -> Value {
        self.strings[id.index()]
    }
    #[inline]
    pub fn global_slot(&self, id: GlobalId) -> usize {
        self.globals[id.index()] as usize
    }
}
