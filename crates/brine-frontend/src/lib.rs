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
mod resolver;
pub mod scanner;

pub use diag::{Diagnostic, Location};
pub use parser::MAX_NESTING;

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

/// Parses, then resolves if parsing succeeded.
pub fn check(source: &[u8]) -> Result<(ast::Program, ast::Resolution), Vec<Diagnostic>> {
    let program = parse(source)?;
    let resolution = resolve(&program)?;
    Ok((program, resolution))
}

/// Checks `source` and lowers it into `module` (which may already hold
/// earlier entries of a REPL session); returns the new script's id. In debug
/// builds the IR verifier checks the module, and a failure is a bug of
/// this crate (a panic with the IR).
pub fn compile(source: &[u8], module: &mut brine_ir::Module) -> Result<brine_ir::FuncId, Vec<Diagnostic>> {
    let (ast, resolution) = check(source)?;
    let script = lower::lower(&ast, &resolution, module);
    if cfg!(debug_assertions)
        && let Err(errors) = brine_ir::verifier::verify_module(module)
    {
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        panic!("IR verifier failed:\n{}\n{}", text.join("\n"), brine_ir::printer::print_module(module));
    }
    Ok(script)
}
