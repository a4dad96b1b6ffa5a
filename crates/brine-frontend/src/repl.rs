//! REPL entries: [`compile_entry`] compiles one entry of an interactive
//! session, and makes an entry that is a bare expression print its value.
//!
//! The rule, on the syntax tree: an entry whose program is exactly one
//! expression statement echoes its value, the way `print` would, unless the
//! expression is an assignment (`x = 1`, `o.f = 1`, `l[0] = 1`: nothing is
//! printed, as before) or a call whose value is `nil` (`f()` where `f`
//! returns nothing prints nothing). The trailing `;` is optional: an entry
//! that does not parse, and whose last token is not `;` or `}`, is parsed
//! again with a `;` token after it, and kept only if it then is one
//! expression statement; otherwise the first parse's errors are reported.
//! So `var x = 1` (no `;`) is the same error as in a file.
//!
//! The echo is lowered from the tree: `expr;` becomes `print expr;`, and a
//! call `f();` becomes `{ var <echo> = f(); if (<echo> != nil) print <echo>; }`
//! with a local whose name no program can write.
//!
//! It knows nothing of the runtime: its output is IR, as [`crate::compile`]'s.

use crate::ast::{BinaryOp, DeclId, Expr, ExprKind, Literal, Name, Program, RefId, Stmt, StmtKind};
use crate::diag::Diagnostic;
use crate::scanner::{self, Token, TokenKind};
use crate::{parser, resolve};

/// A compiled REPL entry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The entry's script, in the module.
    pub script: brine_ir::FuncId,
    /// Whether the entry is a bare expression whose value the script prints.
    pub echoes: bool,
}

/// The local that holds a call's value while the echo tests it for `nil`:
/// not an identifier, so no entry can name it.
const ECHO_LOCAL: &[u8] = b"echo value";

/// Compiles one REPL entry, called `name` in diagnostics, into `module`
/// (which holds the session's earlier entries), with the echo of a bare
/// expression (see the module doc). Errors are those
/// [`crate::compile_named`] reports for the entry.
pub fn compile_entry(
    source: &[u8],
    name: &str,
    module: &mut brine_ir::Module,
) -> Result<Entry, Vec<Diagnostic>> {
    let mut program = parse_entry(source)?;
    let echoes = echo(&mut program);
    let resolution = resolve(&program)?;
    let script = crate::lower_source(&program, &resolution, source, name, module);
    Ok(Entry { script, echoes })
}

/// Parses an entry; an expression without its `;` parses as one with it.
fn parse_entry(source: &[u8]) -> Result<Program, Vec<Diagnostic>> {
    let (tokens, scan_errors) = scanner::scan(source);
    let open_end = scan_errors.is_empty()
        && last_token(&tokens)
            .is_some_and(|t| !matches!(t.kind, TokenKind::Semicolon | TokenKind::RightBrace));
    let with_semicolon = open_end.then(|| {
        let mut tokens = tokens.clone();
        let last = *last_token(&tokens).expect("an open end has a last token");
        // Whatever else a token holds (its position) is the last token's.
        let semicolon = Token { kind: TokenKind::Semicolon, lexeme: b";", ..last };
        tokens.insert(tokens.len() - 1, semicolon);
        tokens
    });
    match parser::parse(tokens, scan_errors) {
        Ok(program) => Ok(program),
        Err(errors) => match with_semicolon.map(|tokens| parser::parse(tokens, Vec::new())) {
            Some(Ok(program)) if single_expression(&program).is_some() => Ok(program),
            _ => Err(errors),
        },
    }
}

/// The last token before the `Eof`.
fn last_token<'a, 's>(tokens: &'a [Token<'s>]) -> Option<&'a Token<'s>> {
    tokens.iter().rev().find(|t| t.kind != TokenKind::Eof)
}

/// The expression of a program that is one expression statement.
fn single_expression(program: &Program) -> Option<&Expr> {
    match program.script.body.as_slice() {
        [Stmt { kind: StmtKind::Expression(e), .. }] => Some(e),
        _ => None,
    }
}

/// Rewrites a program that is one echoing expression statement to print
/// its value; returns whether it did.
fn echo(program: &mut Program) -> bool {
    let Some(expr) = single_expression(program) else { return false };
    if matches!(expr.kind, ExprKind::Assign(..) | ExprKind::Set(..) | ExprKind::SetIndex(..)) {
        return false;
    }
    let is_call = matches!(expr.kind, ExprKind::Call(..));
    let stmt = program.script.body.pop().expect("one statement");
    let StmtKind::Expression(expr) = stmt.kind else { unreachable!("checked above") };
    let line = stmt.line;
    let kind = if is_call {
        let decl = DeclId(program.decl_count);
        program.decl_count += 1;
        // The code made here is at the expression's place.
        let span = expr.span;
        program.decl_lines.push(expr.line);
        program.decl_spans.push(span);
        let mut new_ref = || {
            let r = RefId(program.ref_count);
            program.ref_count += 1;
            program.ref_lines.push(expr.line);
            program.ref_spans.push(span);
            r
        };
        let (test_ref, print_ref) = (new_ref(), new_ref());
        let local =
            |r: RefId| Expr { line: expr.line, span, kind: ExprKind::Variable(Name::from(ECHO_LOCAL), r) };
        let nil = Expr { line: expr.line, span, kind: ExprKind::Literal(Literal::Nil) };
        let test = Expr {
            line: expr.line,
            span,
            kind: ExprKind::Binary(BinaryOp::Ne, Box::new(local(test_ref)), Box::new(nil)),
        };
        let print = Stmt { line, span, kind: StmtKind::Print(local(print_ref)) };
        StmtKind::Block(vec![
            Stmt { line, span, kind: StmtKind::Var(Name::from(ECHO_LOCAL), decl, Some(expr)) },
            Stmt { line, span, kind: StmtKind::If(test, Box::new(print), None) },
        ])
    } else {
        StmtKind::Print(expr)
    };
    program.script.body.push(Stmt { line, span: stmt.span, kind });
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(source: &str) -> Result<Entry, Vec<Diagnostic>> {
        compile_entry(source.as_bytes(), "<repl>", &mut brine_ir::Module::new())
    }

    fn errors(source: &str) -> Vec<String> {
        compiled(source).unwrap_err().iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn bare_expressions_echo_with_or_without_a_semicolon() {
        for source in ["1 + 2", "1 + 2;", "\"a\" + \"b\"\n", "x", "f()", "f();", "(x = 1)", "-x // note\n"] {
            assert!(compiled(source).unwrap().echoes, "{source}");
        }
    }

    #[test]
    fn statements_and_assignments_do_not_echo() {
        for source in [
            "print 1;",
            "var x = 1;",
            "fun f() {}",
            "x = 1;",
            "x = 1",
            "o.f = 2;",
            "l[0] = 3",
            "{ 1; }",
            "1; 2;",
            "",
        ] {
            assert!(!compiled(source).unwrap().echoes, "{source}");
        }
    }

    #[test]
    fn an_error_is_the_error_a_file_would_get() {
        assert_eq!(errors("var x = 1"), ["[line 1] Error at end: Expect ';' after variable declaration."]);
        assert_eq!(errors("print 1"), ["[line 1] Error at end: Expect ';' after value."]);
        assert_eq!(errors("1 +"), ["[line 1] Error at end: Expect expression."]);
        assert_eq!(errors("1 2"), ["[line 1] Error at '2': Expect ';' after expression."]);
        assert_eq!(errors("\"abc"), ["[line 1] Error: Unterminated string."]);
        assert_eq!(errors("return 1"), ["[line 1] Error at end: Expect ';' after return value."]);
    }

    #[test]
    fn the_echo_prints_the_value() {
        let mut module = brine_ir::Module::new();
        let entry = compile_entry(b"1 + 2", "<repl>", &mut module).unwrap();
        let text = brine_ir::printer::print_function_text(&module, entry.script);
        assert!(text.contains("print"), "{text}");
        let call = compile_entry(b"clock()", "<repl>", &mut module).unwrap();
        let text = brine_ir::printer::print_function_text(&module, call.script);
        assert!(text.contains("print") && text.contains("nil"), "{text}");
    }
}
