//! `brine-ir`: Brine's intermediate representation.
//!
//! It owns the IR data model ([`Module`], [`Function`], blocks, instructions
//! and SSA values), the [`builder`] (with SSA construction from variables,
//! after Braun et al.), the [`verifier`] and the text [`printer`].
//!
//! The IR is SSA with block parameters, as in Cranelift: a function is a list
//! of blocks; each block has typed parameters and ends with one terminator.
//! There is one IR function per Lox function, method, initializer and script.
//! Dynamic operations carry Lox semantics and a [`SiteId`], which maps to a
//! source line and byte span (for runtime errors, see [`span`]) and to a
//! profile slot.
//!
//! It must not know Lox syntax, the runtime's value layout, or how code runs:
//! the front end produces it; the interpreter, optimizer and code generator
//! consume it. It depends on nothing of ours.

pub mod binary;
pub mod builder;
pub mod cfg;
pub mod cursor;
pub mod dominators;
pub mod effects;
mod entities;
mod function;
mod inst;
pub mod liveness;
pub mod loops;
pub mod parser;
pub mod printer;
pub mod span;
pub mod symbol;
pub mod verifier;

pub use cfg::{BlockPredecessor, ControlFlowGraph};
pub use cursor::FuncCursor;
pub use dominators::DominatorTree;
pub use entities::{Block, FuncId, GlobalId, InlineId, Inst, SiteId, StateId, StrId, Value};
pub use function::{
    BlockData, FrameState, Function, FunctionKind, InlinedCall, InlinedState, Module, Site, ValueData,
    ValueDef, VirtualObject,
};
pub use inst::{Applied, BinaryOp, InstData, InstKind, Intrinsic, Type, UnaryOp, fmod};
pub use liveness::Liveness;
pub use loops::{Loop, LoopAnalysis};
pub use span::{SourceFile, SourceIndex, SourceMap, SourceSpan, Span};
