//! The IR's text form, as `brine emit ir` shows it; [`crate::parser`] reads
//! it back.
//!
//! ```text
//! strings "x"
//! globals "fib"
//! sites 1, 2, 2
//!
//! function f1 "fib"(arity 1, captures 0, function, line 1) {
//! block0(v0: val, v1: val, v2: val):
//!     v3 = number 2
//!     v4 = lt v2, v3 @1
//!     v5 = truthy v4
//!     branch v5, block1, block2
//! ...
//! }
//! ```
//! The module's tables come first, each on one line (omitted when empty):
//! its string constants and its globals in id order, and the line of each
//! site. Strings print quoted with Rust-style escapes; sites print as `@N`
//! after the operands, and the site's line follows in a comment.

use crate::entities::{FuncId, Value};
use crate::function::{Function, Module};
use crate::inst::InstKind;
use std::fmt::Write;

/// The whole module as text.
pub fn print_module(module: &Module) -> String {
    let mut out = String::new();
    print_tables(module, &mut out);
    for (i, _) in module.functions.iter().enumerate() {
        print_function(module, FuncId::new(i), &mut out);
        out.push('\n');
    }
    out
}

/// The `strings`, `globals` and `sites` lines, and a blank line after them.
fn print_tables(module: &Module, out: &mut String) {
    let start = out.len();
    let quoted = |table: &[Vec<u8>]| table.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ");
    if !module.strings.is_empty() {
        let _ = writeln!(out, "strings {}", quoted(&module.strings));
    }
    if !module.globals.is_empty() {
        let _ = writeln!(out, "globals {}", quoted(&module.globals));
    }
    if !module.sites.is_empty() {
        let lines: Vec<String> = module.sites.iter().map(|s| s.line.to_string()).collect();
        let _ = writeln!(out, "sites {}", lines.join(", "));
    }
    if out.len() > start {
        out.push('\n');
    }
}

/// `bytes` as a double-quoted string with Rust escapes (invalid UTF-8 as `\xNN`).
pub fn quote(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            s.extend(c.escape_debug());
        }
        for b in chunk.invalid() {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    s.push('"');
    s
}

fn list(values: &[Value]) -> String {
    values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
}

fn dest(block: crate::Block, args: &[Value]) -> String {
    if args.is_empty() { block.to_string() } else { format!("{block}({})", list(args)) }
}

/// One function's text (without the module's tables).
pub fn print_function_text(module: &Module, id: FuncId) -> String {
    let mut out = String::new();
    print_function(module, id, &mut out);
    out
}

/// Appends one function's text.
pub fn print_function(module: &Module, id: FuncId, out: &mut String) {
    write_function(module, id, module.function(id), out);
}

/// The text of `f`, a function that is not (or not yet) the module's,
/// such as an optimized version, printed as function `f0` with the
/// module's strings, globals and functions for its operands.
pub fn detached_function_text(module: &Module, f: &Function) -> String {
    let mut out = String::new();
    write_function(module, FuncId(0), f, &mut out);
    out
}

/// Appends the text of `f`, named `id`.
fn write_function(module: &Module, id: FuncId, f: &Function, out: &mut String) {
    let _ = writeln!(
        out,
        "function {id} {}(arity {}, captures {}, {}, line {}{}) {{",
        quote(&f.name),
        f.arity,
        f.ncaptures,
        f.kind.name(),
        f.line,
        if f.library { ", library" } else { "" }
    );
    for (i, call) in f.inlined.iter().enumerate() {
        let _ = write!(out, "    inlined {}: {} at {}", crate::InlineId::new(i), call.func, call.site);
        if let Some(parent) = call.parent {
            let _ = write!(out, " from {parent}");
        }
        out.push('\n');
    }
    for &b in &f.layout {
        let data = f.block(b);
        let _ = write!(out, "{b}");
        if !data.params.is_empty() {
            let params: Vec<String> =
                data.params.iter().map(|&p| format!("{p}: {}", f.value_type(p).name())).collect();
            let _ = write!(out, "({})", params.join(", "));
        }
        if let Some(frame) = data.frame {
            let _ = write!(out, " inlined {frame}");
        }
        out.push_str(":\n");
        for &inst in &data.insts {
            let d = f.inst(inst);
            out.push_str("    ");
            if let Some(r) = d.result {
                let _ = write!(out, "{r} = ");
            }
            out.push_str(&inst_text(module, &d.kind));
            if let Some(site) = d.kind.site() {
                let _ = write!(out, " {site}  ; line {}", module.site_line(site));
            }
            out.push('\n');
        }
    }
    for (i, state) in f.states.iter().enumerate() {
        let _ = write!(
            out,
            "    state {}: {} at {} [{}]",
            crate::StateId::new(i),
            state.block,
            state.index,
            list(&state.live)
        );
        if let Some(inl) = &state.inlined {
            let _ = write!(out, " of {} slots [{}] caller {}", inl.func, list(&inl.slots), inl.caller);
        }
        for o in &state.objects {
            let fields: Vec<String> = o.fields.iter().map(|(offset, v)| format!("{offset}: {v}")).collect();
            let _ = write!(
                out,
                " virtual [{}] of {} shape {:#x} fields [{}]",
                list(&o.aliases),
                o.class,
                o.shape,
                fields.join(", ")
            );
        }
        out.push('\n');
    }
    out.push_str("}\n");
}

fn inst_text(m: &Module, kind: &InstKind) -> String {
    use InstKind::*;
    let s = |id: crate::StrId| quote(m.string(id));
    match kind {
        Nil => "nil".into(),
        Bool(b) => format!("bool {b}"),
        Number(n) => format!("number {n:?}"),
        Str(id) => format!("string {}", s(*id)),
        Unary { op, arg, .. } => format!("{} {arg}", op.name()),
        Binary { op, lhs, rhs, .. } => format!("{} {lhs}, {rhs}", op.name()),
        Truthy(v) => format!("truthy {v}"),
        GetGlobal { global, .. } => format!("get_global {}", quote(&m.globals[global.index()])),
        SetGlobal { global, value, .. } => {
            format!("set_global {}, {value}", quote(&m.globals[global.index()]))
        }
        DefineGlobal { global, value } => {
            format!("define_global {}, {value}", quote(&m.globals[global.index()]))
        }
        GetProp { obj, name, .. } => format!("get_prop {obj}, {}", s(*name)),
        SetProp { obj, name, value, .. } => format!("set_prop {obj}, {}, {value}", s(*name)),
        Invoke { obj, name, args, .. } => format!("invoke {obj}, {}({})", s(*name), list(args)),
        SuperInvoke { this, superclass, name, args, .. } => {
            format!("super_invoke {this}, {superclass}, {}({})", s(*name), list(args))
        }
        GetSuper { this, superclass, name, .. } => format!("get_super {this}, {superclass}, {}", s(*name)),
        Call { callee, args, .. } => format!("call {callee}({})", list(args)),
        NewList { items, .. } => format!("new_list [{}]", list(items)),
        GetIndex { obj, index, .. } => format!("get_index {obj}, {index}"),
        SetIndex { obj, index, value, .. } => format!("set_index {obj}, {index}, {value}"),
        ArrayLen { array, .. } => format!("array_len {array}"),
        ArrayGet { array, index, .. } => format!("array_get {array}, {index}"),
        ArraySet { array, index, value, .. } => format!("array_set {array}, {index}, {value}"),
        Closure { func, captures } => format!("closure {func}[{}]", list(captures)),
        LoadCapture { index } => format!("load_capture {index}"),
        Class { name, fields } => format!("class {}, fields {fields}", s(*name)),
        Inherit { class, superclass, .. } => format!("inherit {class}, {superclass}"),
        Method { class, name, method } => format!("method {class}, {}, {method}", s(*name)),
        CellNew { value } => format!("cell_new {value}"),
        CellGet { cell } => format!("cell_get {cell}"),
        CellSet { cell, value } => format!("cell_set {cell}, {value}"),
        Print { value } => format!("print {value}"),
        InstKind::Intrinsic { op, args, .. } => format!("intrinsic {}({})", op.name(), list(args)),
        GuardNum { value, state } => format!("guard_num {value}, {state}"),
        Unbox(v) => format!("unbox {v}"),
        BoxNum(v) => format!("box_num {v}"),
        Float { op, lhs, rhs } => format!("f{} {lhs}, {rhs}", op.name()),
        FNeg(v) => format!("fneg {v}"),
        BoolVal(v) => format!("bool_val {v}"),
        GuardShape { obj, shape, state } => format!("guard_shape {obj}, {shape:#x}, {state}"),
        LoadField { obj, offset } => format!("load_field {obj}, {offset}"),
        StoreField { obj, offset, value } => format!("store_field {obj}, {offset}, {value}"),
        StoreShape { obj, shape } => format!("store_shape {obj}, {shape:#x}"),
        Object(bits) => format!("object {bits:#x}"),
        GuardIs { value, bits, state } => format!("guard_is {value}, {bits:#x}, {state}"),
        GuardIndex { index, len, state } => format!("guard_index {index}, {len}, {state}"),
        GuardFunction { value, function, state } => format!("guard_function {value}, {function:#x}, {state}"),
        NewInstance { class } => format!("new_instance {class}"),
        IsShape { obj, shape } => format!("is_shape {obj}, {shape:#x}"),
        AssumeShape { obj, shape } => format!("assume_shape {obj}, {shape:#x}"),
        ClosureCapture { closure, index } => format!("closure_capture {closure}, {index}"),
        Copy(v) => format!("copy {v}"),
        CallDirect { function, callee, this, args, .. } => {
            format!("call_direct {function:#x}, {callee}, {this}({})", list(args))
        }
        Jump { dest: d, args } => format!("jump {}", dest(*d, args)),
        Branch { cond, then_dest, then_args, else_dest, else_args } => {
            format!("branch {cond}, {}, {}", dest(*then_dest, then_args), dest(*else_dest, else_args))
        }
        Return { value } => format!("return {value}"),
    }
}
