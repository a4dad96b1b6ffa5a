//! `brine-codegen`: native code from Brine IR, with Cranelift.
//!
//! It owns the translation of IR functions to Cranelift IR ([`translate`])
//! and the back ends that turn them into running code: [`jit`] (machine code
//! in memory, for `brine run`) and [`object`] (an object file, for `brine
//! build`).
//! Compiled code calls into the runtime only through the `extern "C"`
//! helpers of `brine_runtime::abi`, and reads runtime structures only at the
//! offsets that module publishes.
//!
//! It must not know Lox syntax, or how the interpreter runs.

pub mod emit;
pub mod jit;
pub mod object;
pub mod osr;
pub mod translate;

use brine_ir::{FuncId, GlobalId, Inst, SiteId, StrId};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, types};
use cranelift_frontend::FunctionBuilder;

type ClValue = cranelift_codegen::ir::Value;

/// How compiled code refers to the module's constants: interned strings,
/// function prototypes and global slots (and, in code optimized ahead of
/// time, class links). The JIT embeds their addresses; an object file
/// loads them from a table filled at start-up.
pub trait Links {
    /// The string constant `id` as a value.
    fn string(&self, b: &mut FunctionBuilder, id: StrId) -> ClValue;
    /// The prototype (`*mut ObjFunction`) of function `id`.
    fn function(&self, b: &mut FunctionBuilder, id: FuncId) -> ClValue;
    /// The address of the inline cache (`brine_runtime::ic::PropertyCache`)
    /// of site `site`.
    fn cache(&self, b: &mut FunctionBuilder, site: SiteId) -> ClValue;
    /// The runtime slot index of global `id`.
    fn global_slot(&self, b: &mut FunctionBuilder, id: GlobalId) -> ClValue;
    /// Class link slot `slot` (`brine_ir::symbol::link`): only code
    /// compiled ahead of time names them.
    fn class_link(&self, b: &mut FunctionBuilder, slot: u32) -> ClValue {
        let _ = (b, slot);
        unreachable!("only code compiled ahead of time names class links")
    }
    /// If instruction `inst` of function `func` completes the declaration
    /// of a class with link slots (`brine_ir::symbol::ClassLinks`): the
    /// IR value of the class, and the address of its class table
    /// (`brine_runtime::image::ImageClass`).
    fn class_declared(
        &self,
        b: &mut FunctionBuilder,
        func: FuncId,
        inst: Inst,
    ) -> Option<(brine_ir::Value, ClValue)> {
        let _ = (b, func, inst);
        None
    }
    /// The address of global `id`'s slot, given the runtime pointer.
    fn global_addr(&self, b: &mut FunctionBuilder, rt: ClValue, id: GlobalId) -> ClValue {
        let base = b.ins().load(
            types::I64,
            MemFlagsData::trusted(),
            rt,
            brine_runtime::abi::offsets::RT_GLOBALS_BASE,
        );
        let slot = self.global_slot(b, id);
        let offset = b.ins().ishl_imm_u(slot, 3);
        b.ins().iadd(base, offset)
    }
}
