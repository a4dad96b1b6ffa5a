//! The Lox front end of Brine: scanning, parsing, resolving, compile-time
//! diagnostics, and lowering the resolved syntax tree to Brine IR.
//!
//! It owns everything that knows Lox syntax; nothing after the IR does. It
//! must not know the runtime (value layout, heap, objects), the interpreter,
//! or code generation: its output is an IR module and diagnostics.
//!
//! [`parse`] turns source bytes into an [`ast::Program`] (any byte sequence
//! gives a program or diagnostics), [`resolve`] binds its variables into an
//! [`ast::Resolution`], and [`check`] does both; [`compile`] also lowers to IR.

pub mod ast;
mod diag;
pub mod lower;
mod parser;
mod repl;
mod resolver;
pub mod scanner;

pub use diag::{Diagnostic, Location};
pub use parser::MAX_NESTING;
pub use repl::{Entry, compile_entry};

/// Scans and parses a source. On failure, returns every scanner error (first)
/// and every syntax error, in the order found.
pub fn parse(source: &[u8]) -> Result<ast::Program, Vec<Diagnostic>> {
    let (tokens, errors) = scanner::scan(source);
    parser::parse(tokens, errors)
}

/// Resolves a parsed program's variable references. On failure, returns
/// every resolution error in source order.
pub fn resolve(program: &ast::Program) -> Result<ast::Resolution, Vec<Diagnostic>> {
    resolver::resolve(program)
}

/// [`resolve`] for tools that want the bindings of a program with errors
/// (the language server): the resolution, complete even when there are
/// errors, and every resolution error in source order (none: `resolve`
/// would succeed). A reference an error concerns (`this` outside a class)
/// may be left [`ast::Resolved::Global`].
pub fn resolve_with_errors(program: &ast::Program) -> (ast::Resolution, Vec<Diagnostic>) {
    resolver::resolve_all(program)
}

/// Parses, then resolves if parsing succeeded.
pub fn check(source: &[u8]) -> Result<(ast::Program, ast::Resolution), Vec<Diagnostic>> {
    let program = parse(source)?;
    let resolution = resolve(&program)?;
    Ok((program, resolution))
}

/// The standard library's source (DESIGN.md section 10), compiled into a
/// program's module when it needs it.
pub const LIBRARY: &[&[u8]] = &[
    include_bytes!("../../../lib/list.lox"),
    include_bytes!("../../../lib/map.lox"),
    include_bytes!("../../../lib/brine.lox"),
];

/// Whether a program may use the standard library: it has a `[` (a list
/// literal) or names `List`, `Map`, `brine` (the intrinsics object), or a
/// native that makes lists (`args`, `split`). (Loading it when it is not used only costs
/// the time to compile it.)
fn uses_library(source: &[u8]) -> bool {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let names = |name: &[u8]| {
        source.windows(name.len()).enumerate().any(|(i, w)| {
            w == name
                && (i == 0 || !word(source[i - 1]))
                && source.get(i + name.len()).is_none_or(|&c| !word(c))
        })
    };
    source.contains(&b'[') || [&b"List"[..], b"Map", b"brine", b"args", b"split"].into_iter().any(names)
}

/// Lowers the standard library into `module`; returns its script. It is
/// part of Brine: a failure to compile it is a bug (a panic).
fn compile_library(module: &mut brine_ir::Module) -> brine_ir::FuncId {
    let source = LIBRARY.concat();
    let (tokens, errors) = scanner::scan_library(&source);
    let program = parser::parse(tokens, errors)
        .unwrap_or_else(|e| panic!("the standard library does not parse: {e:?}"));
    let resolution =
        resolve(&program).unwrap_or_else(|e| panic!("the standard library does not resolve: {e:?}"));
    // Its text is not kept: its frames are never shown.
    let index = module.add_source("<library>", Vec::new());
    lower::lower_with(&program, &resolution, module, true, None, Some(index))
}

/// Checks `source` and lowers it into `module` (which may already hold
/// earlier entries of a REPL session); returns the new script's id. In debug
/// builds the IR verifier checks the module, and a failure is a bug of
/// this crate (a panic with the IR). The source is called `<script>` in
/// the module's sources; [`compile_named`] names it.
pub fn compile(source: &[u8], module: &mut brine_ir::Module) -> Result<brine_ir::FuncId, Vec<Diagnostic>> {
    compile_named(source, "<script>", module)
}

/// [`compile`], with the name diagnostics give the source (a path, or the
/// REPL's name for an entry). The module keeps the text, which its sites'
/// spans point into (for rich runtime errors).
pub fn compile_named(
    source: &[u8],
    name: &str,
    module: &mut brine_ir::Module,
) -> Result<brine_ir::FuncId, Vec<Diagnostic>> {
    let (ast, resolution) = check(source)?;
    Ok(lower_source(&ast, &resolution, source, name, module))
}

/// Lowers a checked program, whose text is `source` (called `name`), into
/// `module`: with the standard library first if the program may use it
/// and the module has none yet, and the source kept in the module for its
/// sites' spans. In debug builds the IR verifier checks the module.
fn lower_source(
    ast: &ast::Program,
    resolution: &ast::Resolution,
    source: &[u8],
    name: &str,
    module: &mut brine_ir::Module,
) -> brine_ir::FuncId {
    // The standard library loads lazily: only for a program that may use
    // it, and once per module.
    let first = if module.library.is_none() && uses_library(source) {
        let library = compile_library(module);
        module.library = Some(library);
        Some(library)
    } else {
        None
    };
    let index = module.add_source(name, source.to_vec());
    let script = lower::lower_with(ast, resolution, module, false, first, Some(index));
    if cfg!(debug_assertions)
        && let Err(errors) = brine_ir::verifier::verify_module(module)
    {
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        panic!("IR verifier failed:\n{}\n{}", text.join("\n"), brine_ir::printer::print_module(module));
    }
    script
}
