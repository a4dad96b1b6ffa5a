//! `brine-opt`: the optimizer. IR passes that turn a function's
//! unspecialized IR into faster IR, from what a run has observed.
//!
//! It owns the passes ([`speculate`], [`inline`], [`simplify`], [`licm`],
//! [`escape`], [`fold`], [`unbox`], [`dce`]) and the pipeline that runs
//! them ([`optimize`]), and the partial evaluator ([`peval`]), which
//! specializes a function to constant arguments. Facts about the running program come through the
//! [`Oracle`] trait: the optimizer never sees runtime objects or values.
//!
//! A specialized function is an edited copy of the original: every original
//! block and value keeps its number, so a guard's [`brine_ir::FrameState`]
//! names the interpreter frame of the original function directly. Every
//! pass keeps that true, and the verifier runs after each pass in debug
//! builds.
//!
//! It must not know the runtime, the interpreter or the code generator.

pub mod dce;
pub mod escape;
pub mod fold;
pub mod inline;
pub mod licm;
pub mod peval;
pub mod simplify;
pub mod speculate;
pub mod unbox;
pub mod whole_program;

use brine_ir::{FuncId, Function, Module, SiteId};

/// What the run has observed of the operands of an arithmetic or comparison
/// site.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Operands {
    /// They were numbers at least once.
    pub numbers: bool,
    /// Some operand was not a number at least once.
    pub other: bool,
}

/// The one kind of object a property site has seen: instances of one shape
/// (a runtime object, named by its address), whose field lives at a fixed
/// byte offset.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub shape: u64,
    pub offset: u32,
    /// For a store: the shape after it (the same shape unless the store
    /// adds the field).
    pub shape_after: u64,
}

/// The one method an invoke site has called: on instances of one shape,
/// always the same closure (its NaN-boxed bits) of the same function
/// prototype (its address), of `arity` parameters.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Method {
    pub shape: u64,
    pub closure: u64,
    pub function: u64,
    /// The IR function the prototype runs.
    pub func: FuncId,
    pub arity: u32,
}

/// What an index site (`xs[i]` or `xs[i] = v`) has always indexed, when
/// it has seen one kind of receiver of one shape.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IndexTarget {
    /// The standard library's lists of one shape, whose raw array and
    /// length are the fields at byte offsets `items` and `len`.
    List { shape: u64, items: u32, len: u32 },
    /// Its maps of one shape (`Method::shape`): the operation calls this
    /// method of theirs (`get(key)` or `set(key, value)`).
    Map(Method),
}

/// What a call site has always called.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CallTarget {
    /// Closures of one function prototype (`Method`'s `shape` is unused;
    /// its `closure` is the closure's bits if the site has always called
    /// the same closure, else 0).
    Function(Method),
    /// One class (its bits), and its initializer, if it has one.
    Class { class: u64, init: Option<Method> },
}

/// The optimizer's window on the running program.
pub trait Oracle {
    /// What the operands of `site` have been.
    fn operands(&self, site: SiteId) -> Operands;
    /// The field a property get or set at `site` has always found, if it
    /// has seen one shape only.
    fn field(&self, site: SiteId) -> Option<Field>;
    /// The method an invoke at `site` has always called, if it has seen
    /// one shape only.
    fn method(&self, site: SiteId) -> Option<Method>;
    /// The fields a property get at `site` has found, one per shape, if it
    /// has seen a few shapes (more than one, fewer than megamorphic).
    fn fields(&self, site: SiteId) -> Vec<Field>;
    /// The methods an invoke at `site` has called, one per shape, if it
    /// has seen a few shapes (more than one, fewer than megamorphic) and
    /// always found a method.
    fn methods(&self, site: SiteId) -> Vec<Method>;
    /// The one superclass (its bits) a super invoke at `site` has seen, and
    /// the method it called there (`Method`'s `shape` is unused).
    fn super_method(&self, site: SiteId) -> Option<(u64, Method)>;
    /// What a call at `site` has always called, if it has seen one
    /// function or one class.
    fn callee(&self, site: SiteId) -> Option<CallTarget>;
    /// What an index get or set at `site` has always indexed, if one kind
    /// of list or map.
    fn index(&self, site: SiteId) -> Option<IndexTarget>;
}

/// Why a function is not optimized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Declined {
    /// Larger than the optimizer's budget (instructions).
    TooBig(usize),
}

/// The largest function the optimizer takes on, in instructions: liveness
/// and frame states grow with size times the number of guards.
pub const MAX_INSTS: usize = 4000;

/// Optimizes function `func` of `module` with the run's observations.
pub fn optimize(module: &Module, func: &Function, oracle: &dyn Oracle) -> Result<Function, Declined> {
    let size: usize = func.layout.iter().map(|&b| func.block(b).insts.len()).sum();
    if size > MAX_INSTS {
        return Err(Declined::TooBig(size));
    }
    let mut f = speculate::run(func, oracle);
    check(module, &f, "speculate");
    inline::run(module, func, &mut f, oracle);
    check(module, &f, "inline");
    simplify::run(&mut f);
    check(module, &f, "simplify");
    licm::run(&mut f, func);
    check(module, &f, "licm");
    escape::run(&mut f);
    check(module, &f, "escape");
    simplify::run(&mut f);
    check(module, &f, "simplify");
    fold::run(&mut f);
    check(module, &f, "fold");
    unbox::run(&mut f);
    check(module, &f, "unbox");
    dce::run(&mut f);
    check(module, &f, "dce");
    Ok(f)
}

/// The passes of [`optimize`] that need no observations and add no
/// guards, for a function that must never deoptimize (the partial
/// evaluator's residual code): constants and branches on them folded,
/// equal pure values merged, dead code removed.
pub fn clean_up(module: &Module, func: &Function) -> Function {
    let mut f = func.clone();
    simplify::run(&mut f);
    check(module, &f, "simplify");
    fold::run(&mut f);
    check(module, &f, "fold");
    dce::run(&mut f);
    check(module, &f, "dce");
    debug_assert!(f.states.is_empty(), "clean_up added a guard");
    f
}

/// In debug builds, the verifier checks `f` after `pass`; a failure is a
/// bug in that pass.
fn check(module: &Module, f: &Function, pass: &str) {
    if cfg!(debug_assertions)
        && let Err(errors) = brine_ir::verifier::verify_function_in(module, f)
    {
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        panic!("the IR verifier failed after {pass}:\n{}", text.join("\n"));
    }
}
