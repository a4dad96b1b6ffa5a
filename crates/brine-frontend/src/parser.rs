//! The parser: tokens to the syntax tree, by recursive descent, with jlox's
//! error messages and its error recovery.
//!
//! After an error the parser synchronizes at the next statement boundary (as
//! jlox does) and goes on, so one run reports every syntax error. Two
//! errors do not stop the statement they are found in: "Invalid assignment
//! target." and the 255 arguments or parameters limits.
//!
//! Nesting is bounded by [`MAX_NESTING`], so that neither this parser nor
//! the passes that walk the tree recursively (the resolver, the lowering)
//! can overflow the stack. Going deeper is a "Too much nesting." error,
//! which ends the parse. At the limit the front end needs some tens of MiB
//! of stack (about 1 KiB per level and pass in a debug build): callers run
//! it on a thread with a big stack, as the `brine` CLI does (256 MiB).

use crate::ast::{
    BinaryOp, Class, DeclId, Expr, ExprKind, FnId, Function, FunctionKind, Literal, LogicalOp, Name, Program,
    RefId, Span, Stmt, StmtKind, UnaryOp,
};
use crate::diag::Diagnostic;
use crate::scanner::{Token, TokenKind, number_value};

/// How deeply statements and expressions may nest: no node of a parsed tree
/// lies more than about this many nodes below the script (a function body
/// counts as one more level). Long left-associative chains such as
/// `a + b + c ...` or `f()()()` count too, because their trees are as deep.
pub const MAX_NESTING: u32 = 10_000;

/// Most arguments of a call, and parameters of a function.
const MAX_ARITY: usize = 255;

/// Why a parse function gave up. The diagnostic is already recorded.
#[derive(Debug)]
enum Abort {
    /// A syntax error: the enclosing declaration synchronizes and parsing
    /// goes on.
    Recover,
    /// Too much nesting: parsing stops.
    Fatal,
}

type PResult<T> = Result<T, Abort>;

/// An expression with the height of its tree (a leaf is 1), to bound the
/// depth of trees that the parser builds in a loop rather than recursively.
struct Parsed {
    expr: Box<Expr>,
    height: u32,
}

#[derive(Copy, Clone)]
enum Op {
    Logical(LogicalOp),
    Binary(BinaryOp),
}

/// Parses a scanned source. `diagnostics` holds the scanner's errors; the
/// result is an error if it or the parse found any.
pub(crate) fn parse(
    tokens: Vec<Token<'_>>,
    diagnostics: Vec<Diagnostic>,
) -> Result<Program, Vec<Diagnostic>> {
    let mut parser = Parser {
        tokens,
        current: 0,
        diagnostics,
        depth: 0,
        decl_lines: Vec::new(),
        ref_lines: Vec::new(),
        decl_spans: Vec::new(),
        ref_spans: Vec::new(),
        fn_count: 0,
    };
    if parser.tokens.last().is_none_or(|t| t.kind != TokenKind::Eof) {
        let last = parser.tokens.last();
        let (line, start) = last.map_or((1, 0), |t| (t.line, t.span().end));
        parser.tokens.push(Token { kind: TokenKind::Eof, lexeme: &[], line, start });
    }
    let script = parser.script();
    if !parser.diagnostics.is_empty() {
        return Err(parser.diagnostics);
    }
    Ok(Program {
        script,
        decl_count: count(parser.decl_lines.len()),
        ref_count: count(parser.ref_lines.len()),
        fn_count: parser.fn_count,
        decl_lines: parser.decl_lines,
        ref_lines: parser.ref_lines,
        decl_spans: parser.decl_spans,
        ref_spans: parser.ref_spans,
    })
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

struct Parser<'src> {
    /// Never empty: the last token is `Eof`.
    tokens: Vec<Token<'src>>,
    /// Index of the next token; never past the `Eof`.
    current: usize,
    diagnostics: Vec<Diagnostic>,
    /// How many statements and expressions enclose the current position.
    depth: u32,
    decl_lines: Vec<u32>,
    ref_lines: Vec<u32>,
    decl_spans: Vec<Span>,
    ref_spans: Vec<Span>,
    fn_count: u32,
}

impl<'src> Parser<'src> {
    // ---- Tokens -------------------------------------------------------

    fn peek(&self) -> Token<'src> {
        self.tokens[self.current]
    }

    fn previous(&self) -> Token<'src> {
        self.tokens[self.current.saturating_sub(1)]
    }

    fn is_at_end(&self) -> bool {
        self.peek().kind == TokenKind::Eof
    }

    fn check(&self, kind: TokenKind) -> bool {
        self.peek().kind == kind
    }

    fn advance(&mut self) -> Token<'src> {
        if !self.is_at_end() {
            self.current += 1;
        }
        self.previous()
    }

    fn matches(&mut self, kind: TokenKind) -> bool {
        if self.check(kind) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn consume(&mut self, kind: TokenKind, message: &str) -> PResult<Token<'src>> {
        if self.check(kind) { Ok(self.advance()) } else { Err(self.error(self.peek(), message)) }
    }

    // ---- Errors -------------------------------------------------------

    fn report(&mut self, token: Token<'_>, message: &str) {
        let diagnostic = if token.kind == TokenKind::Eof {
            Diagnostic::at_end(token.line, message)
        } else {
            Diagnostic::at_token(token.line, token.lexeme, message)
        };
        self.diagnostics.push(diagnostic.with_span(token.span()));
    }

    fn error(&mut self, token: Token<'_>, message: &str) -> Abort {
        self.report(token, message);
        Abort::Recover
    }

    fn too_deep(&mut self, token: Token<'_>) -> Abort {
        self.report(token, "Too much nesting.");
        Abort::Fatal
    }

    /// Skips tokens to the likely start of the next statement.
    fn synchronize(&mut self) {
        use TokenKind::*;
        self.advance();
        while !self.is_at_end() {
            if self.previous().kind == Semicolon {
                return;
            }
            if matches!(self.peek().kind, Class | Fun | Var | For | If | While | Print | Return) {
                return;
            }
            self.advance();
        }
    }

    // ---- Nesting and ids ----------------------------------------------

    /// Goes one nesting level deeper. Every recursion of the parser goes
    /// through here (and `leave` after it), which bounds its stack use.
    fn enter(&mut self) -> PResult<()> {
        if self.depth >= MAX_NESTING {
            return Err(self.too_deep(self.peek()));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Builds an expression node of the given tree height, checking the
    /// depth its deepest node will have. `at` is the token an error is
    /// reported at.
    fn node(&mut self, at: Token<'_>, line: u32, span: Span, kind: ExprKind, height: u32) -> PResult<Parsed> {
        if self.depth.saturating_add(height) > MAX_NESTING + 1 {
            return Err(self.too_deep(at));
        }
        Ok(Parsed { expr: Box::new(Expr { line, span, kind }), height })
    }

    /// A declaration whose name is `token` (its line and span).
    fn new_decl(&mut self, token: Token<'_>) -> DeclId {
        self.new_decl_at(token.line, token.span())
    }

    fn new_decl_at(&mut self, line: u32, span: Span) -> DeclId {
        let id = DeclId(count(self.decl_lines.len()));
        self.decl_lines.push(line);
        self.decl_spans.push(span);
        id
    }

    /// A reference written as `token`.
    fn new_ref(&mut self, token: Token<'_>) -> RefId {
        let id = RefId(count(self.ref_lines.len()));
        self.ref_lines.push(token.line);
        self.ref_spans.push(token.span());
        id
    }

    fn new_fn(&mut self) -> FnId {
        let id = FnId(self.fn_count);
        self.fn_count = self.fn_count.saturating_add(1);
        id
    }

    // ---- Declarations and statements ----------------------------------

    fn script(&mut self) -> Function {
        let id = self.new_fn();
        let mut body = Vec::new();
        while !self.is_at_end() {
            if self.declaration(&mut body).is_err() {
                break;
            }
        }
        Function {
            id,
            name: Name::new(),
            line: 1,
            name_span: Span::default(),
            kind: FunctionKind::Script,
            params: Vec::new(),
            this_decl: None,
            body,
            end_line: self.peek().line,
        }
    }

    // The functions on the parser's recursive paths keep small frames: the
    // work of each kind of statement and expression is in a function of
    // its own, out of line.

    /// A declaration or statement, pushed on `out` (nothing after a syntax
    /// error, once synchronized).
    fn declaration(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        self.enter()?;
        let start = self.peek();
        let result = match start.kind {
            TokenKind::Class => self.class_declaration(),
            TokenKind::Fun => self.fun_declaration(),
            TokenKind::Var => self.var_declaration(),
            _ => self.statement(),
        };
        let result = self.spanned(start, result);
        self.leave();
        match result {
            Ok(stmt) => {
                out.push(*stmt);
                Ok(())
            }
            Err(Abort::Recover) => {
                self.synchronize();
                Ok(())
            }
            Err(Abort::Fatal) => Err(Abort::Fatal),
        }
    }

    #[inline(never)]
    fn class_declaration(&mut self) -> PResult<Box<Stmt>> {
        let line = self.advance().line;
        let name = self.consume(TokenKind::Identifier, "Expect class name.")?;
        let decl = self.new_decl(name);
        let mut superclass = None;
        let mut super_decl = None;
        if self.matches(TokenKind::Less) {
            let sup = self.consume(TokenKind::Identifier, "Expect superclass name.")?;
            let sup_ref = self.new_ref(sup);
            superclass = Some((sup.lexeme.to_vec(), sup_ref, sup.line));
            super_decl = Some(self.new_decl(sup));
        }
        self.consume(TokenKind::LeftBrace, "Expect '{' before class body.")?;
        // The methods are one level deeper than the class.
        self.enter()?;
        let methods = self.methods();
        self.leave();
        let methods = methods?;
        self.consume(TokenKind::RightBrace, "Expect '}' after class body.")?;
        let class = Class {
            name: name.lexeme.to_vec(),
            line: name.line,
            name_span: name.span(),
            decl,
            superclass,
            super_decl,
            methods,
        };
        Ok(Box::new(Stmt { line, span: Span::default(), kind: StmtKind::Class(Box::new(class)) }))
    }

    fn methods(&mut self) -> PResult<Vec<Function>> {
        let mut methods = Vec::new();
        while !self.check(TokenKind::RightBrace) && !self.is_at_end() {
            methods.push(*self.function(FunctionKind::Method)?);
        }
        Ok(methods)
    }

    #[inline(never)]
    fn fun_declaration(&mut self) -> PResult<Box<Stmt>> {
        let line = self.advance().line;
        let function = self.function(FunctionKind::Function)?;
        let decl = self.new_decl_at(function.line, function.name_span);
        Ok(Box::new(Stmt { line, span: Span::default(), kind: StmtKind::Function(decl, function) }))
    }

    /// A function (`kind` Function, after `fun`) or a method (`kind`
    /// Method). The caller declares a function's name.
    #[inline(never)]
    fn function(&mut self, kind: FunctionKind) -> PResult<Box<Function>> {
        let is_method = kind != FunctionKind::Function;
        let [name_msg, paren_msg, body_msg] = if is_method {
            ["Expect method name.", "Expect '(' after method name.", "Expect '{' before method body."]
        } else {
            ["Expect function name.", "Expect '(' after function name.", "Expect '{' before function body."]
        };
        let name = self.consume(TokenKind::Identifier, name_msg)?;
        let kind = if is_method && name.lexeme == b"init" { FunctionKind::Initializer } else { kind };
        let id = self.new_fn();
        let this_decl = is_method.then(|| self.new_decl(name));
        self.consume(TokenKind::LeftParen, paren_msg)?;
        let params = self.parameters()?;
        self.consume(TokenKind::LeftBrace, body_msg)?;
        // The body is one level deeper than the function.
        self.enter()?;
        let body = self.block();
        self.leave();
        let (body, end_line) = body?;
        Ok(Box::new(Function {
            id,
            name: name.lexeme.to_vec(),
            line: name.line,
            name_span: name.span(),
            kind,
            params,
            this_decl,
            body,
            end_line,
        }))
    }

    /// Parameters up to and including the `)`.
    #[inline(never)]
    fn parameters(&mut self) -> PResult<Vec<(Name, DeclId)>> {
        let mut params = Vec::new();
        if !self.check(TokenKind::RightParen) {
            loop {
                if params.len() >= MAX_ARITY {
                    self.report(self.peek(), "Can't have more than 255 parameters.");
                }
                let param = self.consume(TokenKind::Identifier, "Expect parameter name.")?;
                let decl = self.new_decl(param);
                params.push((param.lexeme.to_vec(), decl));
                if !self.matches(TokenKind::Comma) {
                    break;
                }
            }
        }
        self.consume(TokenKind::RightParen, "Expect ')' after parameters.")?;
        Ok(params)
    }

    #[inline(never)]
    fn var_declaration(&mut self) -> PResult<Box<Stmt>> {
        let line = self.advance().line;
        let name = self.consume(TokenKind::Identifier, "Expect variable name.")?;
        let decl = self.new_decl(name);
        let init = if self.matches(TokenKind::Equal) { Some(*self.expression()?.expr) } else { None };
        self.consume(TokenKind::Semicolon, "Expect ';' after variable declaration.")?;
        Ok(Box::new(Stmt {
            line,
            span: Span::default(),
            kind: StmtKind::Var(name.lexeme.to_vec(), decl, init),
        }))
    }

    fn statement(&mut self) -> PResult<Box<Stmt>> {
        let start = self.peek();
        let result = self.statement_kind();
        self.spanned(start, result)
    }

    /// Gives a statement that began at `start` its span: up to the last
    /// token consumed.
    fn spanned(&self, start: Token<'_>, stmt: PResult<Box<Stmt>>) -> PResult<Box<Stmt>> {
        let mut stmt = stmt?;
        stmt.span = start.span().to(self.previous().span());
        Ok(stmt)
    }

    fn statement_kind(&mut self) -> PResult<Box<Stmt>> {
        match self.peek().kind {
            TokenKind::For => self.for_statement(),
            TokenKind::If => self.if_statement(),
            TokenKind::Print => self.print_statement(),
            TokenKind::Return => self.return_statement(),
            TokenKind::While => self.while_statement(),
            TokenKind::LeftBrace => self.block_statement(),
            _ => self.expression_statement(),
        }
    }

    /// The statement that is the body of `if`, `while` or `for`.
    fn body(&mut self) -> PResult<Box<Stmt>> {
        self.enter()?;
        let result = self.statement();
        self.leave();
        result
    }

    #[inline(never)]
    fn print_statement(&mut self) -> PResult<Box<Stmt>> {
        let line = self.advance().line;
        let value = *self.expression()?.expr;
        self.consume(TokenKind::Semicolon, "Expect ';' after value.")?;
        Ok(Box::new(Stmt { line, span: Span::default(), kind: StmtKind::Print(value) }))
    }

    #[inline(never)]
    fn return_statement(&mut self) -> PResult<Box<Stmt>> {
        let line = self.advance().line;
        let value = if self.check(TokenKind::Semicolon) { None } else { Some(*self.expression()?.expr) };
        self.consume(TokenKind::Semicolon, "Expect ';' after return value.")?;
        Ok(Box::new(Stmt { line, span: Span::default(), kind: StmtKind::Return(value) }))
    }

    #[inline(never)]
    fn expression_statement(&mut self) -> PResult<Box<Stmt>> {
        let line = self.peek().line;
        let expr = *self.expression()?.expr;
        self.consume(TokenKind::Semicolon, "Expect ';' after expression.")?;
        Ok(Box::new(Stmt { line, span: Span::default(), kind: StmtKind::Expression(expr) }))
    }

    #[inline(never)]
    fn block_statement(&mut self) -> PResult<Box<Stmt>> {
        let line = self.advance().line;
        let (stmts, _) = self.block()?;
        Ok(Box::new(Stmt { line, span: Span::default(), kind: StmtKind::Block(stmts) }))
    }

    /// The rest of a block whose `{` has been consumed, and the line of its
    /// closing `}`.
    fn block(&mut self) -> PResult<(Vec<Stmt>, u32)> {
        let mut stmts = Vec::new();
        while !self.check(TokenKind::RightBrace) && !self.is_at_end() {
            self.declaration(&mut stmts)?;
        }
        let close = self.consume(TokenKind::RightBrace, "Expect '}' after block.")?;
        Ok((stmts, close.line))
    }

    #[inline(never)]
    fn if_statement(&mut self) -> PResult<Box<Stmt>> {
        let line = self.advance().line;
        self.consume(TokenKind::LeftParen, "Expect '(' after 'if'.")?;
        let cond = self.expression()?.expr;
        self.consume(TokenKind::RightParen, "Expect ')' after if condition.")?;
        let then_branch = self.body()?;
        let else_branch = if self.matches(TokenKind::Else) { Some(self.body()?) } else { None };
        Ok(Box::new(Stmt {
            line,
            span: Span::default(),
            kind: StmtKind::If(*cond, then_branch, else_branch),
        }))
    }

    #[inline(never)]
    fn while_statement(&mut self) -> PResult<Box<Stmt>> {
        let line = self.advance().line;
        self.consume(TokenKind::LeftParen, "Expect '(' after 'while'.")?;
        let cond = self.expression()?.expr;
        self.consume(TokenKind::RightParen, "Expect ')' after condition.")?;
        let body = self.body()?;
        Ok(Box::new(Stmt { line, span: Span::default(), kind: StmtKind::While(*cond, body) }))
    }

    #[inline(never)]
    fn for_statement(&mut self) -> PResult<Box<Stmt>> {
        use TokenKind::*;
        let line = self.advance().line;
        self.consume(LeftParen, "Expect '(' after 'for'.")?;
        let init = if self.matches(Semicolon) {
            None
        } else {
            self.enter()?;
            let init = if self.check(Var) { self.var_declaration() } else { self.expression_statement() };
            self.leave();
            Some(init?)
        };
        let cond = if self.check(Semicolon) { None } else { Some(self.expression()?.expr) };
        self.consume(Semicolon, "Expect ';' after loop condition.")?;
        let incr = if self.check(RightParen) { None } else { Some(self.expression()?.expr) };
        self.consume(RightParen, "Expect ')' after for clauses.")?;
        let body = self.body()?;
        Ok(Box::new(Stmt {
            line,
            span: Span::default(),
            kind: StmtKind::For { init, cond: cond.map(|cond| *cond), incr: incr.map(|incr| *incr), body },
        }))
    }

    // ---- Expressions --------------------------------------------------

    fn expression(&mut self) -> PResult<Parsed> {
        self.enter()?;
        let result = self.assignment();
        self.leave();
        result
    }

    fn assignment(&mut self) -> PResult<Parsed> {
        let target = self.binary()?;
        if self.check(TokenKind::Equal) { self.assign(target) } else { Ok(target) }
    }

    /// The rest of an assignment to `target`, at its `=`.
    #[inline(never)]
    fn assign(&mut self, target: Parsed) -> PResult<Parsed> {
        let equals = self.advance();
        self.enter()?;
        let value = self.assignment();
        self.leave();
        let value = value?;
        let line = target.expr.line;
        let span = target.expr.span.to(value.expr.span);
        match target.expr.kind {
            ExprKind::Variable(name, id) => {
                let kind = ExprKind::Assign(name, id, value.expr);
                self.node(equals, line, span, kind, value.height + 1)
            }
            ExprKind::Get(object, name, name_span) => {
                let height = target.height.max(value.height) + 1;
                let kind = ExprKind::Set(object, name, name_span, value.expr);
                self.node(equals, line, span, kind, height)
            }
            ExprKind::Index(object, index) => {
                let height = target.height.max(value.height) + 1;
                let kind = ExprKind::SetIndex(object, index, value.expr);
                self.node(equals, line, span, kind, height)
            }
            kind => {
                self.report(equals, "Invalid assignment target.");
                let span = target.expr.span;
                Ok(Parsed { expr: Box::new(Expr { line, span, kind }), height: target.height })
            }
        }
    }

    /// The binary and logical operators, by precedence climbing with an
    /// explicit stack (so one frame covers all the precedence levels).
    fn binary(&mut self) -> PResult<Parsed> {
        let first = self.unary()?;
        if binary_op(self.peek().kind).is_none() {
            return Ok(first);
        }
        self.binary_rest(first)
    }

    #[inline(never)]
    fn binary_rest(&mut self, first: Parsed) -> PResult<Parsed> {
        // Operators waiting for their right operand, each with its left
        // operand and precedence; precedences increase towards the top.
        let mut pending: Vec<(Parsed, Op, u8, Token<'src>)> = Vec::new();
        let mut right = first;
        while let Some((op, precedence)) = binary_op(self.peek().kind) {
            let token = self.advance();
            // Operators are left-associative: those of the same or higher
            // precedence take `right` first.
            while let Some((left, op, _, token)) = pending.pop_if(|p| p.2 >= precedence) {
                right = self.combine(left, op, token, right)?;
            }
            pending.push((right, op, precedence, token));
            right = self.unary()?;
        }
        while let Some((left, op, _, token)) = pending.pop() {
            right = self.combine(left, op, token, right)?;
        }
        Ok(right)
    }

    fn combine(&mut self, left: Parsed, op: Op, token: Token<'_>, right: Parsed) -> PResult<Parsed> {
        let height = left.height.max(right.height) + 1;
        let span = left.expr.span.to(right.expr.span);
        let kind = match op {
            Op::Logical(op) => ExprKind::Logical(op, left.expr, right.expr),
            Op::Binary(op) => ExprKind::Binary(op, left.expr, right.expr),
        };
        self.node(token, token.line, span, kind, height)
    }

    /// Prefix operators, then a call (iteratively: `!!!!x` does not recurse).
    fn unary(&mut self) -> PResult<Parsed> {
        if !matches!(self.peek().kind, TokenKind::Bang | TokenKind::Minus) {
            return self.call();
        }
        self.prefixed()
    }

    #[inline(never)]
    fn prefixed(&mut self) -> PResult<Parsed> {
        let outer_depth = self.depth;
        let mut prefixes = Vec::new();
        loop {
            let op = match self.peek().kind {
                TokenKind::Bang => UnaryOp::Not,
                TokenKind::Minus => UnaryOp::Neg,
                _ => break,
            };
            // Each prefix puts its operand one level deeper.
            if let Err(abort) = self.enter() {
                self.depth = outer_depth;
                return Err(abort);
            }
            prefixes.push((op, self.advance()));
        }
        let operand = self.call();
        self.depth = outer_depth;
        let mut expr = operand?;
        while let Some((op, token)) = prefixes.pop() {
            let span = token.span().to(expr.expr.span);
            let kind = ExprKind::Unary(op, expr.expr);
            expr = self.node(token, token.line, span, kind, expr.height + 1)?;
        }
        Ok(expr)
    }

    fn call(&mut self) -> PResult<Parsed> {
        let mut expr = self.primary()?;
        loop {
            match self.peek().kind {
                TokenKind::LeftParen => expr = self.finish_call(expr)?,
                TokenKind::Dot => expr = self.property(expr)?,
                TokenKind::LeftBracket => expr = self.index(expr)?,
                _ => return Ok(expr),
            }
        }
    }

    /// `.name` after `object`.
    #[inline(never)]
    fn property(&mut self, object: Parsed) -> PResult<Parsed> {
        let dot = self.advance();
        let name = self.consume(TokenKind::Identifier, "Expect property name after '.'.")?;
        let span = object.expr.span.to(name.span());
        let kind = ExprKind::Get(object.expr, name.lexeme.to_vec(), name.span());
        self.node(dot, name.line, span, kind, object.height + 1)
    }

    /// `[index]` after `object`.
    #[inline(never)]
    fn index(&mut self, object: Parsed) -> PResult<Parsed> {
        let open = self.advance();
        self.enter()?;
        let index = self.expression();
        self.leave();
        let index = index?;
        let close = self.consume(TokenKind::RightBracket, "Expect ']' after index.")?;
        let height = object.height.max(index.height) + 1;
        let span = object.expr.span.to(close.span());
        let kind = ExprKind::Index(object.expr, index.expr);
        self.node(open, open.line, span, kind, height)
    }

    /// A list literal, at its `[`: expressions separated by commas, with
    /// an optional trailing comma.
    #[inline(never)]
    fn list(&mut self) -> PResult<Parsed> {
        let open = self.advance();
        let mut height = 0;
        let mut items = Vec::new();
        while !self.check(TokenKind::RightBracket) {
            self.enter()?;
            let item = self.expression();
            self.leave();
            let item = item?;
            height = height.max(item.height);
            items.push(*item.expr);
            if !self.matches(TokenKind::Comma) {
                break;
            }
        }
        let close = self.consume(TokenKind::RightBracket, "Expect ']' after list elements.")?;
        let span = open.span().to(close.span());
        self.node(open, open.line, span, ExprKind::List(items), height + 1)
    }

    /// The arguments of a call of `callee`, at the `(`.
    #[inline(never)]
    fn finish_call(&mut self, callee: Parsed) -> PResult<Parsed> {
        let open = self.advance();
        let mut height = callee.height;
        let mut args = Vec::new();
        if !self.check(TokenKind::RightParen) {
            loop {
                if args.len() >= MAX_ARITY {
                    self.report(self.peek(), "Can't have more than 255 arguments.");
                }
                let arg = self.expression()?;
                height = height.max(arg.height);
                args.push(*arg.expr);
                if !self.matches(TokenKind::Comma) {
                    break;
                }
            }
        }
        let paren = self.consume(TokenKind::RightParen, "Expect ')' after arguments.")?;
        let span = callee.expr.span.to(paren.span());
        let kind = ExprKind::Call(callee.expr, args);
        self.node(open, paren.line, span, kind, height + 1)
    }

    fn primary(&mut self) -> PResult<Parsed> {
        match self.peek().kind {
            TokenKind::LeftParen => self.grouping(),
            TokenKind::LeftBracket => self.list(),
            TokenKind::Super => self.super_access(),
            _ => self.atom(),
        }
    }

    #[inline(never)]
    fn grouping(&mut self) -> PResult<Parsed> {
        let open = self.advance();
        let inner = self.expression()?;
        let close = self.consume(TokenKind::RightParen, "Expect ')' after expression.")?;
        let span = open.span().to(close.span());
        let kind = ExprKind::Grouping(inner.expr);
        self.node(open, open.line, span, kind, inner.height + 1)
    }

    #[inline(never)]
    fn super_access(&mut self) -> PResult<Parsed> {
        let keyword = self.advance();
        self.consume(TokenKind::Dot, "Expect '.' after 'super'.")?;
        let method = self.consume(TokenKind::Identifier, "Expect superclass method name.")?;
        let kind = ExprKind::Super {
            method: method.lexeme.to_vec(),
            method_span: method.span(),
            super_ref: self.new_ref(keyword),
            this_ref: self.new_ref(keyword),
        };
        let span = keyword.span().to(method.span());
        self.node(keyword, method.line, span, kind, 1)
    }

    /// A literal, `this` or a variable.
    #[inline(never)]
    fn atom(&mut self) -> PResult<Parsed> {
        use TokenKind::*;
        let token = self.peek();
        let kind = match token.kind {
            False => ExprKind::Literal(Literal::Bool(false)),
            True => ExprKind::Literal(Literal::Bool(true)),
            Nil => ExprKind::Literal(Literal::Nil),
            Number => ExprKind::Literal(Literal::Number(number_value(token.lexeme))),
            String => {
                // The lexeme without its quotes.
                let end = token.lexeme.len().saturating_sub(1);
                let text = token.lexeme.get(1..end).unwrap_or_default();
                ExprKind::Literal(Literal::Str(text.to_vec()))
            }
            This => ExprKind::This(self.new_ref(token)),
            Identifier => ExprKind::Variable(token.lexeme.to_vec(), self.new_ref(token)),
            _ => return Err(self.error(token, "Expect expression.")),
        };
        self.advance();
        self.node(token, token.line, token.span(), kind, 1)
    }
}

/// The binary or logical operator a token stands for, with its precedence
/// (higher binds tighter).
fn binary_op(kind: TokenKind) -> Option<(Op, u8)> {
    use TokenKind::*;
    Some(match kind {
        Or => (Op::Logical(LogicalOp::Or), 1),
        And => (Op::Logical(LogicalOp::And), 2),
        BangEqual => (Op::Binary(BinaryOp::Ne), 3),
        EqualEqual => (Op::Binary(BinaryOp::Eq), 3),
        Greater => (Op::Binary(BinaryOp::Gt), 4),
        GreaterEqual => (Op::Binary(BinaryOp::Ge), 4),
        Less => (Op::Binary(BinaryOp::Lt), 4),
        LessEqual => (Op::Binary(BinaryOp::Le), 4),
        Minus => (Op::Binary(BinaryOp::Sub), 5),
        Plus => (Op::Binary(BinaryOp::Add), 5),
        Slash => (Op::Binary(BinaryOp::Div), 6),
        Star => (Op::Binary(BinaryOp::Mul), 6),
        Percent => (Op::Binary(BinaryOp::Mod), 6),
        _ => return None,
    })
}
