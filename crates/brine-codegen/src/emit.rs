//! Text views of the code generator's output, behind `brine emit clif` and
//! `brine emit asm`: the Cranelift IR of every function's fast entry, and
//! the disassembled machine code the baseline tier makes of it.
//!
//! Functions are translated exactly as the JIT translates them (same
//! signatures, same helper declarations, same settings), into a module that
//! is never finalized: nothing here runs or links code. Each function's
//! text starts with a header naming the Lox function, `; f1 "fib" (...)`.
//! References to other code are named: in CLIF, each imported function
//! (`fn0 = u0:0 sig0  ; brine_add`); in assembly, each relocation Cranelift
//! reports (`; reloc Abs8 brine_add`), and the indirect call that uses it.
//!
//! Disassembly needs an x86_64 host; elsewhere the machine code is shown as
//! bytes, with a note saying so.

use crate::Links;
use crate::jit::baseline_flags;
use crate::translate::{Env, helper_signature, lox_signature, translate_function};
use brine_ir::FuncId;
use brine_ir::printer::quote;
use brine_runtime::abi;
use cranelift_codegen::ir::entities::AnyEntity;
use cranelift_codegen::ir::{self as clir, ExternalName, UserFuncName};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::write::{FuncWriter, PlainWriter, decorate_function};
use cranelift_codegen::{Context, FinalizedMachReloc, FinalizedRelocTarget};
use cranelift_frontend::FunctionBuilderContext;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId as ClFuncId, Linkage, Module};
use std::collections::HashMap;
use std::fmt::{self, Write};

/// Cranelift IR text of every function of `ir` (each IR function's fast
/// entry, as `translate_function` produces it), one after the other, each
/// after a header comment naming the Lox function (`; f1 "fib"`), in
/// function order.
pub fn clif_text(ir: &brine_ir::Module, links: &dyn Links) -> Result<String, String> {
    clif_text_of(ir, links, 0..ir.functions.len())
}

/// [`clif_text`] of the functions whose ids are in `functions` only (the
/// REPL's view of one entry).
pub fn clif_text_of(
    ir: &brine_ir::Module,
    links: &dyn Links,
    functions: std::ops::Range<usize>,
) -> Result<String, String> {
    let mut unit = Unit::new(ir, links)?;
    let mut out = String::new();
    let first = functions.start;
    for i in functions.start..functions.end.min(ir.functions.len()) {
        let id = FuncId::new(i);
        let ctx = unit.translate(id);
        if i > first {
            out.push('\n');
        }
        header(&mut out, ir, id);
        let mut writer = NamingWriter { names: &unit.names };
        let mut text = String::new();
        decorate_function(&mut writer, &mut text, &ctx.func).map_err(|e| e.to_string())?;
        // Cranelift leaves a space after some instructions (`get_stack_pointer.i64 `).
        for line in text.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    Ok(out)
}

/// Disassembly of the machine code of every function of `ir`, compiled
/// with the baseline settings ([`baseline_flags`]`(false)`), with the same
/// headers as [`clif_text`]: one instruction per line with its offset, and
/// the relocations Cranelift reports named at the instructions they patch.
pub fn asm_text(ir: &brine_ir::Module, links: &dyn Links) -> Result<String, String> {
    asm_text_of(ir, links, 0..ir.functions.len())
}

/// [`asm_text`] of the functions whose ids are in `functions` only.
pub fn asm_text_of(
    ir: &brine_ir::Module,
    links: &dyn Links,
    functions: std::ops::Range<usize>,
) -> Result<String, String> {
    let mut unit = Unit::new(ir, links)?;
    let mut out = String::new();
    let first = functions.start;
    for i in functions.start..functions.end.min(ir.functions.len()) {
        let id = FuncId::new(i);
        let mut ctx = unit.translate(id);
        let name = ir.function(id).display_name();
        ctx.compile(unit.module.isa(), &mut Default::default())
            .map_err(|e| format!("compiling {name}: {:?}", e.inner))?;
        let code = ctx.compiled_code().ok_or_else(|| format!("compiling {name}: no code"))?;
        let relocs: Vec<(u32, String)> = code
            .buffer
            .relocs()
            .iter()
            .map(|r| (r.offset, describe_reloc(r, &ctx.func, &unit.names)))
            .collect();
        if i > first {
            out.push('\n');
        }
        header(&mut out, ir, id);
        disassemble(&mut out, code.code_buffer(), &relocs);
    }
    Ok(out)
}

/// `; f1 "fib" (function, arity 1)`: the IR function id and the Lox name,
/// as `brine emit ir` shows them.
fn header(out: &mut String, ir: &brine_ir::Module, id: FuncId) {
    let f = ir.function(id);
    let _ = writeln!(out, "; {id} {} ({}, arity {})", quote(&f.name), f.kind.name(), f.arity);
}

/// A module's functions declared as the JIT declares them, ready to
/// translate one by one. Nothing is ever defined in `module`.
struct Unit<'a> {
    ir: &'a brine_ir::Module,
    links: &'a dyn Links,
    module: JITModule,
    helpers: HashMap<&'static str, ClFuncId>,
    names: Names,
    fbc: FunctionBuilderContext,
}

impl<'a> Unit<'a> {
    fn new(ir: &'a brine_ir::Module, links: &'a dyn Links) -> Result<Unit<'a>, String> {
        let mut module =
            JITModule::new(JITBuilder::with_isa(host_isa()?, cranelift_module::default_libcall_names()));
        let call_conv = module.isa().default_call_conv();
        let mut helpers = HashMap::new();
        let mut names = Names::default();
        for h in &abi::helpers() {
            let id = module
                .declare_function(h.name, Linkage::Import, &helper_signature(call_conv, h))
                .map_err(|e| e.to_string())?;
            helpers.insert(h.name, id);
            names.insert(id, h.name.to_string());
        }
        Ok(Unit { ir, links, module, helpers, names, fbc: FunctionBuilderContext::new() })
    }

    /// A fresh context holding the Cranelift IR of function `id`.
    fn translate(&mut self, id: FuncId) -> Context {
        let mut ctx = self.module.make_context();
        let call_conv = self.module.isa().default_call_conv();
        ctx.func.signature = lox_signature(call_conv, self.ir.function(id).arity as usize);
        ctx.func.name = UserFuncName::testcase(id.to_string());
        let mut env = Env {
            module: &mut self.module,
            ir: self.ir,
            links: self.links,
            helpers: &self.helpers,
            count_calls: false,
            first_state: 0,
            deopt_stress: 0,
            tier_counters: false,
        };
        translate_function(&mut env, id, self.ir.function(id), None, &mut ctx.func, &mut self.fbc);
        ctx
    }
}

/// The host's ISA with the JIT's baseline settings.
fn host_isa() -> Result<OwnedTargetIsa, String> {
    let builder = cranelift_native::builder().map_err(|e| format!("unsupported host: {e}"))?;
    builder.finish(baseline_flags(false)).map_err(|e| format!("cannot target this host: {e}"))
}

/// What the module's function ids stand for: a helper's symbol, or `f<N>`
/// for the fast entry of IR function N.
#[derive(Default)]
struct Names(HashMap<u32, String>);

impl Names {
    fn insert(&mut self, id: ClFuncId, name: String) {
        self.0.insert(id.as_u32(), name);
    }

    /// The name of an external name used in `func`, if it is one of ours.
    fn external(&self, func: &clir::Function, name: &ExternalName) -> Option<&str> {
        let ExternalName::User(r) = name else { return None };
        let user = func.params.user_named_funcs().get(*r)?;
        // cranelift-module names functions in namespace 0 by their id.
        if user.namespace != 0 {
            return None;
        }
        self.0.get(&user.index).map(String::as_str)
    }
}

/// A relocation as text: its kind, the name of its target and any addend,
/// e.g. `Abs8 brine_add`.
fn describe_reloc(reloc: &FinalizedMachReloc, func: &clir::Function, names: &Names) -> String {
    let target = match &reloc.target {
        FinalizedRelocTarget::ExternalName(name) => match names.external(func, name) {
            Some(n) => n.to_string(),
            None => name.display(Some(&func.params)).to_string(),
        },
        FinalizedRelocTarget::Func(offset) => format!("this function + {offset:#x}"),
    };
    let mut text = format!("{} {target}", reloc.kind);
    if reloc.addend != 0 {
        let _ = write!(text, " (addend {})", reloc.addend);
    }
    text
}

/// Prints a function's CLIF like [`PlainWriter`], with the name of each
/// imported function in a comment after its declaration.
struct NamingWriter<'a> {
    names: &'a Names,
}

impl FuncWriter for NamingWriter<'_> {
    fn write_block_header(
        &mut self,
        w: &mut dyn Write,
        func: &clir::Function,
        block: clir::Block,
        indent: usize,
    ) -> fmt::Result {
        PlainWriter.write_block_header(w, func, block, indent)
    }

    fn write_instruction(
        &mut self,
        w: &mut dyn Write,
        func: &clir::Function,
        aliases: &cranelift_codegen::entity::SecondaryMap<clir::Value, Vec<clir::Value>>,
        inst: clir::Inst,
        indent: usize,
    ) -> fmt::Result {
        PlainWriter.write_instruction(w, func, aliases, inst, indent)
    }

    fn write_entity_definition(
        &mut self,
        w: &mut dyn Write,
        func: &clir::Function,
        entity: AnyEntity,
        value: &dyn fmt::Display,
    ) -> fmt::Result {
        let name = match entity {
            AnyEntity::FuncRef(f) => self.names.external(func, &func.dfg.ext_funcs[f].name),
            _ => None,
        };
        match name {
            Some(name) => writeln!(w, "    {entity} = {value}  ; {name}"),
            None => self.super_entity_definition(w, func, entity, value),
        }
    }
}

/// Appends the disassembly of `code`, with `relocs` (offset, text) shown
/// at the instructions they patch.
#[cfg(target_arch = "x86_64")]
fn disassemble(out: &mut String, code: &[u8], relocs: &[(u32, String)]) {
    x86::disassemble(out, code, relocs);
}

/// x86_64 disassembly with `iced-x86`, in Intel syntax.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::hex_bytes;
    use iced_x86::{
        Decoder, DecoderOptions, FlowControl, Formatter, Instruction, InstructionInfoFactory, IntelFormatter,
        Mnemonic, OpAccess, OpKind, Register,
    };
    use std::collections::HashSet;
    use std::fmt::Write;

    pub(super) fn disassemble(out: &mut String, code: &[u8], relocs: &[(u32, String)]) {
        let pool = constant_pool_start(code, relocs);
        let insts = decode_code(&code[..pool]);
        let targets: HashSet<u64> = insts.iter().filter_map(branch_target).collect();

        let mut formatter = IntelFormatter::new();
        let options = formatter.options_mut();
        options.set_hex_prefix("0x");
        options.set_hex_suffix("");
        options.set_uppercase_hex(false);
        options.set_branch_leading_zeros(false);
        options.set_space_after_operand_separator(true);
        let mut info = InstructionInfoFactory::new();

        // A register holding a relocated address, and that address's name:
        // names the indirect call through it.
        let mut loaded: Option<(Register, &str)> = None;
        for inst in &insts {
            let (start, end) = (inst.ip() as usize, inst.ip() as usize + inst.len());
            if targets.contains(&inst.ip()) {
                loaded = None;
            }
            let mut text = String::new();
            if inst.is_invalid() {
                text.push_str("(bad)");
            } else {
                formatter.format(inst, &mut text);
            }
            let _ = write!(out, "{start:6x}:  {:<30} {text}", hex_bytes(&code[start..end]));

            let is_indirect =
                matches!(inst.flow_control(), FlowControl::IndirectCall | FlowControl::IndirectBranch)
                    && inst.op_count() == 1
                    && inst.op0_kind() == OpKind::Register;
            if let Some((reg, name)) = loaded
                && is_indirect
                && inst.op0_register().full_register() == reg
            {
                let _ = write!(out, "  ; {name}");
            }
            let here: Vec<&str> = relocs
                .iter()
                .filter(|(offset, _)| (start..end).contains(&(*offset as usize)))
                .map(|(_, text)| text.as_str())
                .collect();
            for reloc in &here {
                let _ = write!(out, "  ; reloc {reloc}");
            }
            if here.is_empty()
                && let Some(value) = constant_operand(inst, code, pool)
            {
                let _ = write!(out, "  ; {value}");
            }
            out.push('\n');

            loaded = match here.as_slice() {
                [reloc] if inst.mnemonic() == Mnemonic::Mov && inst.op0_kind() == OpKind::Register => {
                    Some((inst.op0_register().full_register(), super::reloc_symbol(reloc)))
                }
                _ if matches!(inst.flow_control(), FlowControl::Call | FlowControl::IndirectCall) => None,
                _ => loaded.filter(|&(reg, _)| {
                    !info.info(inst).used_registers().iter().any(|u| {
                        u.register().full_register() == reg
                            && !matches!(
                                u.access(),
                                OpAccess::Read | OpAccess::CondRead | OpAccess::NoMemAccess
                            )
                    })
                }),
            };
        }

        if pool < code.len() {
            out.push_str("        ; constants\n");
            for (i, chunk) in code[pool..].chunks(8).enumerate() {
                let offset = pool + i * 8;
                let _ = write!(out, "{offset:6x}:  {:<30}", hex_bytes(chunk));
                if let Ok(quad) = <[u8; 8]>::try_from(chunk) {
                    let _ = write!(out, " .quad {:#018x}", u64::from_le_bytes(quad));
                }
                out.push('\n');
            }
        }
    }

    /// Where the constant pool Cranelift puts after the code starts: the
    /// lowest address an instruction reads relative to `rip` inside the
    /// function (an operand with a relocation points elsewhere). The end
    /// of `code` when nothing does.
    fn constant_pool_start(code: &[u8], relocs: &[(u32, String)]) -> usize {
        let mut decoder = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
        let mut inst = Instruction::default();
        let mut pool = code.len();
        while decoder.can_decode() {
            decoder.decode_out(&mut inst);
            let (start, end) = (inst.ip() as usize, inst.ip() as usize + inst.len());
            let relocated = relocs.iter().any(|(offset, _)| (start..end).contains(&(*offset as usize)));
            if inst.is_ip_rel_memory_operand() && !relocated {
                let target = inst.ip_rel_memory_address() as usize;
                if target >= end && target < pool {
                    pool = target;
                }
            }
        }
        pool
    }

    /// The instructions of `code`, less the zero padding at its end.
    fn decode_code(code: &[u8]) -> Vec<Instruction> {
        let mut insts: Vec<Instruction> =
            Decoder::with_ip(64, code, 0, DecoderOptions::NONE).into_iter().collect();
        while let Some(last) = insts.last() {
            let start = last.ip() as usize;
            let end = (start + last.len()).min(code.len());
            if code[start..end].iter().all(|&b| b == 0) {
                insts.pop();
            } else {
                break;
            }
        }
        insts
    }

    fn branch_target(inst: &Instruction) -> Option<u64> {
        match inst.flow_control() {
            FlowControl::UnconditionalBranch | FlowControl::ConditionalBranch | FlowControl::Call => {
                matches!(inst.op0_kind(), OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64)
                    .then(|| inst.near_branch_target())
            }
            _ => None,
        }
    }

    /// The value of a constant-pool operand of up to 8 bytes, in hex.
    fn constant_operand(inst: &Instruction, code: &[u8], pool: usize) -> Option<String> {
        if !inst.is_ip_rel_memory_operand() {
            return None;
        }
        let addr = inst.ip_rel_memory_address() as usize;
        let size = inst.memory_size().size();
        if addr < pool || !(1..=8).contains(&size) {
            return None;
        }
        let bytes = code.get(addr..addr + size)?;
        let value = bytes.iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        Some(format!("{value:#x}"))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn text(code: &[u8], relocs: &[(u32, String)]) -> String {
            let mut out = String::new();
            disassemble(&mut out, code, relocs);
            out
        }

        #[test]
        fn indirect_calls_through_a_relocated_address_are_named() {
            // movabs rax, 0 (relocated); mov rdi, rbx; call rax; ret
            let code = [0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0x48, 0x89, 0xdf, 0xff, 0xd0, 0xc3];
            let out = text(&code, &[(2, "Abs8 brine_add".to_string())]);
            let lines: Vec<&str> = out.lines().collect();
            assert_eq!(lines.len(), 4, "{out}");
            assert!(lines[0].starts_with("     0:  48 b8 00"), "{out}");
            assert!(lines[0].ends_with("mov rax, 0  ; reloc Abs8 brine_add"), "{out}");
            assert!(lines[1].ends_with("mov rdi, rbx"), "{out}");
            assert!(lines[2].starts_with("     d:  ff d0"), "{out}");
            assert!(lines[2].ends_with("call rax  ; brine_add"), "{out}");
            assert!(lines[3].ends_with("ret"), "{out}");
        }

        #[test]
        fn an_overwritten_register_loses_its_name() {
            // movabs rax, 0 (relocated); mov eax, 1; call rax
            let code = [0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xb8, 1, 0, 0, 0, 0xff, 0xd0];
            let out = text(&code, &[(2, "Abs8 brine_add".to_string())]);
            assert!(out.lines().nth(2).is_some_and(|l| l.ends_with("call rax")), "{out}");
        }

        #[test]
        fn the_constant_pool_is_data() {
            // and rax, [rip+3] (0xa); ret; two bytes of padding; a quad at 0xa.
            let mut code = vec![0x48, 0x23, 0x05, 0x03, 0, 0, 0, 0xc3, 0, 0];
            code.extend_from_slice(&0x7ffc_0000_0000_0000u64.to_le_bytes());
            let out = text(&code, &[]);
            let lines: Vec<&str> = out.lines().collect();
            assert_eq!(lines.len(), 4, "{out}");
            assert!(lines[0].ends_with("and rax, [0xa]  ; 0x7ffc000000000000"), "{out}");
            assert!(lines[1].ends_with("ret"), "{out}");
            assert_eq!(lines[2], "        ; constants");
            assert!(lines[3].starts_with("     a:  00 00 00 00 00 00 fc 7f"), "{out}");
            assert!(lines[3].ends_with(".quad 0x7ffc000000000000"), "{out}");
        }
    }
}

/// Without a disassembler for the host: the code as bytes, 16 a line,
/// and the relocations by offset.
#[cfg(not(target_arch = "x86_64"))]
fn disassemble(out: &mut String, code: &[u8], relocs: &[(u32, String)]) {
    let _ = writeln!(
        out,
        "; disassembly is not supported on this host ({}); the machine code follows as bytes",
        std::env::consts::ARCH
    );
    for (i, chunk) in code.chunks(16).enumerate() {
        let _ = writeln!(out, "{:6x}:  {}", i * 16, hex_bytes(chunk));
    }
    for (offset, reloc) in relocs {
        let _ = writeln!(out, "; reloc at {offset:#x}: {reloc}");
    }
}

fn hex_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

/// The target symbol of a reloc description (`Abs8 brine_add` -> `brine_add`).
#[cfg(target_arch = "x86_64")]
fn reloc_symbol(text: &str) -> &str {
    text.split(' ').nth(1).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::binemit::Reloc;
    use cranelift_codegen::ir::{LibCall, UserExternalName};

    fn reloc(target: FinalizedRelocTarget, kind: Reloc, addend: i64) -> FinalizedMachReloc {
        FinalizedMachReloc { offset: 2, kind, target, addend }
    }

    fn names() -> Names {
        let mut names = Names::default();
        names.insert(ClFuncId::from_u32(0), "brine_add".to_string());
        names.insert(ClFuncId::from_u32(7), "f1".to_string());
        names
    }

    #[test]
    fn relocations_name_helpers_and_lox_functions() {
        let mut func = clir::Function::new();
        let helper = func.declare_imported_user_function(UserExternalName::new(0, 0));
        let lox = func.declare_imported_user_function(UserExternalName::new(0, 7));
        let names = names();
        let r = reloc(FinalizedRelocTarget::ExternalName(ExternalName::User(helper)), Reloc::Abs8, 0);
        assert_eq!(describe_reloc(&r, &func, &names), "Abs8 brine_add");
        let r = reloc(FinalizedRelocTarget::ExternalName(ExternalName::User(lox)), Reloc::X86CallPCRel4, -4);
        assert_eq!(describe_reloc(&r, &func, &names), "CallPCRel4 f1 (addend -4)");
    }

    #[test]
    fn unknown_targets_fall_back_to_cranelift_names() {
        let mut func = clir::Function::new();
        let other = func.declare_imported_user_function(UserExternalName::new(0, 99));
        let names = names();
        let r = reloc(FinalizedRelocTarget::ExternalName(ExternalName::User(other)), Reloc::Abs8, 0);
        assert_eq!(describe_reloc(&r, &func, &names), "Abs8 u0:99");
        let r = reloc(
            FinalizedRelocTarget::ExternalName(ExternalName::LibCall(LibCall::FloorF64)),
            Reloc::Abs8,
            0,
        );
        assert_eq!(describe_reloc(&r, &func, &names), "Abs8 %FloorF64");
        let r = reloc(FinalizedRelocTarget::Func(0x40), Reloc::X86PCRel4, 0);
        assert_eq!(describe_reloc(&r, &func, &names), "PCRel4 this function + 0x40");
    }
}
