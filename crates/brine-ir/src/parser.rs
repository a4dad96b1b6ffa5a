//! Parsing the IR's text form (what [`crate::printer`] prints) back into a
//! [`Module`], so that passes can be tested as IR text in, IR text out.
//!
//! ```text
//! strings "x"                  ; optional tables, before the first function
//! globals "a"
//! sites 3, 3
//!
//! function f0 ""(arity 0, captures 0, script, line 1) {
//! block0(v0: val, v1: val):
//!     v2 = get_global "a" @0  ; line 3
//!     v3 = get_prop v2, "x" @1  ; line 3
//!     return v3
//! }
//! ```
//!
//! The text is line-based: a table, a function header, a block label, an
//! instruction or a closing brace per line. `;` starts a comment (outside
//! string literals), and blank lines are ignored. After a site `@N`, a
//! comment `; line L` gives the site's source line.
//!
//! Parsing the text of a printed module and printing the result gives back
//! that text, byte for byte: the tables come from the `strings`, `globals` and `sites` lines
//! (strings, globals and sites met in the body that are not in them are
//! added after them, in order of appearance; sites without a line are at
//! line 0), functions must be numbered `f0`, `f1`, ... in order, and value
//! and block numbers are kept. Where the text's value numbers cannot be kept
//! (the entry block's params are not `v0, v1, ...` in order, or the numbers
//! are far sparser than the values defined), every value of the function is
//! renumbered in order of definition; block numbers likewise when they are
//! far sparser than the blocks. Numbers that no value of the text has are
//! detached values of the function (each the result of a `nil` that is in no
//! block), as a module straight from the front end has for the values of the
//! code it removed; such values numbered above every value of the text are
//! not in it, so the parsed function may have fewer values in all (and a
//! pass that adds values may number them lower) than the one printed.
//!
//! The parser checks syntax, names and what each line can hold (a
//! terminator ends every block, a result exactly on the instructions that
//! have one); the rest (types, dominance, arities) is the verifier's job.

use crate::entities::{Block, FuncId, GlobalId, InlineId, Inst, SiteId, StateId, StrId, Value};
use crate::function::{
    BlockData, FrameState, Function, FunctionKind, InlinedCall, InlinedState, Module, Site, ValueData,
    ValueDef, VirtualObject,
};
use crate::inst::{BinaryOp, InstData, InstKind, Type, UnaryOp};
use std::collections::HashMap;

/// A syntax or naming error, with the (1-based) line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

type Result<T> = std::result::Result<T, ParseError>;

/// Parses a whole module: optional tables, then functions `f0`, `f1`, ...
pub fn parse_module(text: &str) -> Result<Module> {
    let mut parser = Parser::new(text, Module::new(), true);
    parser.parse()?;
    Ok(parser.module)
}

/// Parses the text of exactly one function (no tables) and appends it to
/// `module`, whose tables its strings, globals and sites are looked up in
/// or added to. The function must be numbered as the module's next one. On
/// an error, `module` is left as it was.
pub fn parse_function(module: &mut Module, text: &str) -> Result<FuncId> {
    let first = module.functions.len();
    let mut parser = Parser::new(text, module.clone(), false);
    parser.parse()?;
    match parser.module.functions.len() - first {
        1 => {}
        0 => return Err(ParseError { line: parser.last_line(), message: "expected a function".into() }),
        _ => {
            return Err(ParseError {
                line: parser.second_function_line,
                message: "expected exactly one function".into(),
            });
        }
    }
    *module = parser.module;
    Ok(FuncId::new(first))
}

/// How much sparser than the definitions value and block numbers may be and
/// still be kept (beyond this, they are renumbered, so that a short text
/// cannot make huge tables).
const SPARSE_FACTOR: usize = 8;
const SPARSE_SLACK: usize = 4096;
/// How far beyond the sites table a site number may be.
const SITE_SLACK: usize = 1 << 16;

// ---- one line ----------------------------------------------------------------

/// A position in one line of the text.
#[derive(Clone)]
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Cursor<'a> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T> {
        Err(ParseError { line: self.line, message: message.into() })
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// The next character after whitespace.
    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.rest().chars().next()
    }

    /// Whether only whitespace or a comment is left.
    fn at_end(&mut self) -> bool {
        matches!(self.peek(), None | Some(';'))
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// What comes next, for error messages.
    fn found(&mut self) -> String {
        match self.peek() {
            None => "end of line".into(),
            Some(';') => "a comment".into(),
            Some(c) if is_word_char(c) => format!("'{}'", self.clone().word()),
            Some(c) => format!("'{c}'"),
        }
    }

    fn expect(&mut self, c: char, context: &str) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            let found = self.found();
            self.err(format!("expected '{c}' {context}, found {found}"))
        }
    }

    /// A run of letters, digits and underscores (maybe empty).
    fn word(&mut self) -> &'a str {
        self.skip_ws();
        let rest = self.rest();
        let len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    fn keyword(&mut self, kw: &str, context: &str) -> Result<()> {
        let mut c = self.clone();
        if c.word() == kw {
            *self = c;
            Ok(())
        } else {
            let found = self.found();
            self.err(format!("expected '{kw}' {context}, found {found}"))
        }
    }

    fn uint(&mut self, what: &str) -> Result<u32> {
        let mut probe = self.clone();
        let w = probe.word();
        if w.is_empty() || !w.bytes().all(|b| b.is_ascii_digit()) {
            let found = self.found();
            return self.err(format!("expected {what}, found {found}"));
        }
        *self = probe;
        w.parse().or_else(|_| self.err(format!("{what} {w} is too large")))
    }

    /// `PREFIX` followed by a number: `v3`, `block1`, `f2`.
    /// `0x` and hex digits.
    fn hex(&mut self, what: &str) -> Result<u64> {
        let w = self.word();
        match w.strip_prefix("0x").and_then(|d| u64::from_str_radix(d, 16).ok()) {
            Some(n) => Ok(n),
            None => self.err(format!("expected {what} like 0x1f, found '{w}'")),
        }
    }

    fn entity(&mut self, prefix: &str, what: &str) -> Result<u32> {
        let mut probe = self.clone();
        let w = probe.word();
        match w.strip_prefix(prefix) {
            Some(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                *self = probe;
                n.parse().or_else(|_| self.err(format!("{what} number in '{w}' is too large")))
            }
            _ => {
                let found = self.found();
                self.err(format!("expected {what} like {prefix}0, found {found}"))
            }
        }
    }

    fn value(&mut self) -> Result<Value> {
        Ok(Value(self.entity("v", "a value")?))
    }

    fn block(&mut self) -> Result<Block> {
        Ok(Block(self.entity("block", "a block")?))
    }

    fn site(&mut self) -> Result<u32> {
        if !self.eat('@') {
            let found = self.found();
            return self.err(format!("expected a site like @0, found {found}"));
        }
        if !self.rest().starts_with(|c: char| c.is_ascii_digit()) {
            return self.err("expected a site number after '@'");
        }
        self.uint("a site number")
    }

    fn ty(&mut self) -> Result<Type> {
        let w = self.word();
        Ok(match w {
            "val" => Type::Val,
            "f64" => Type::F64,
            "i64" => Type::I64,
            "bool" => Type::Bool,
            "ptr" => Type::Ptr,
            "" => {
                let found = self.found();
                return self.err(format!("expected a type, found {found}"));
            }
            _ => return self.err(format!("unknown type '{w}' (the types are val, f64, i64, bool and ptr)")),
        })
    }

    /// A double-quoted string with the printer's escapes: `\0 \t \r \n \'
    /// \" \\`, `\u{HEX}` (a character) and `\xHH` (a byte).
    fn string(&mut self) -> Result<Vec<u8>> {
        if !self.eat('"') {
            let found = self.found();
            return self.err(format!("expected a string, found {found}"));
        }
        let mut out = Vec::new();
        let mut chars = self.rest().char_indices();
        loop {
            let Some((i, c)) = chars.next() else {
                return self.err("unterminated string");
            };
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => {
                    let Some((_, e)) = chars.next() else {
                        return self.err("unterminated string");
                    };
                    match e {
                        '0' => out.push(0),
                        't' => out.push(b'\t'),
                        'r' => out.push(b'\r'),
                        'n' => out.push(b'\n'),
                        '\'' | '"' | '\\' => out.push(e as u8),
                        'x' => {
                            let hex: String = chars.by_ref().take(2).map(|(_, c)| c).collect();
                            match u8::from_str_radix(&hex, 16) {
                                Ok(b) if hex.len() == 2 && hex.bytes().all(|h| h.is_ascii_hexdigit()) => {
                                    out.push(b)
                                }
                                _ => return self.err("expected two hex digits after \\x"),
                            }
                        }
                        'u' => {
                            if chars.next().map(|(_, c)| c) != Some('{') {
                                return self.err("expected '{' after \\u");
                            }
                            let mut hex = String::new();
                            loop {
                                match chars.next() {
                                    Some((_, '}')) => break,
                                    Some((_, h)) if h.is_ascii_hexdigit() && hex.len() < 6 => hex.push(h),
                                    _ => return self.err("expected up to 6 hex digits and '}' in \\u{...}"),
                                }
                            }
                            match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                                Some(ch) => out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes()),
                                None => return self.err(format!("\\u{{{hex}}} is not a character")),
                            }
                        }
                        _ => return self.err(format!("unknown escape '\\{e}' in a string")),
                    }
                }
                _ => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
    }

    /// A number as `{:?}` prints an f64 (`1.0`, `-2.5e-7`, `inf`, `NaN`).
    fn number(&mut self) -> Result<f64> {
        self.skip_ws();
        let rest = self.rest();
        let len =
            rest.find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '@')).unwrap_or(rest.len());
        let w = &rest[..len];
        if w.is_empty() {
            let found = self.found();
            return self.err(format!("expected a number, found {found}"));
        }
        match w.parse() {
            Ok(n) => {
                self.pos += len;
                Ok(n)
            }
            Err(_) => self.err(format!("'{w}' is not a number")),
        }
    }

    /// Values separated by commas up to `close` (the opening bracket is eaten).
    fn values(&mut self, close: char) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        if self.eat(close) {
            return Ok(out);
        }
        loop {
            out.push(self.value()?);
            if self.eat(close) {
                return Ok(out);
            }
            self.expect(',', &format!("or '{close}' in a list of values"))?;
        }
    }

    /// A jump destination: `block3` or `block3(v1, v2)`.
    fn dest(&mut self) -> Result<(Block, Vec<Value>)> {
        let block = self.block()?;
        let args = if self.eat('(') { self.values(')')? } else { Vec::new() };
        Ok((block, args))
    }

    /// The end of the line: nothing but maybe a comment, which is returned.
    fn end(&mut self) -> Result<&'a str> {
        match self.peek() {
            None => Ok(""),
            Some(';') => Ok(&self.rest()[1..]),
            _ => {
                let found = self.found();
                self.err(format!("unexpected {found} at the end of the line"))
            }
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The line of a site comment `line L`.
fn site_line_comment(comment: &str) -> Option<u32> {
    let rest = comment.trim_start().strip_prefix("line")?;
    let rest = rest.trim_start();
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    if digits == 0 || !rest[digits..].trim().is_empty() {
        return None;
    }
    rest[..digits].parse().ok()
}

// ---- the module --------------------------------------------------------------

/// An instruction as written: values and blocks are still the text's numbers.
struct RawInst {
    line: usize,
    result: Option<Value>,
    kind: InstKind,
}

/// A frame state as written.
struct RawState {
    line: usize,
    id: u32,
    block: Block,
    index: u32,
    live: Vec<Value>,
    /// `of fN slots [...] caller fsK`: the callee, its frame slots, the caller's state.
    inlined: Option<(FuncId, Vec<Value>, u32)>,
    /// `virtual [...] of vC shape 0xS fields [O: v, ...]`, with the text's values.
    objects: Vec<VirtualObject>,
}

struct RawBlock {
    line: usize,
    name: Block,
    params: Vec<(Value, Type)>,
    insts: Vec<RawInst>,
    frame: Option<InlineId>,
}

struct Parser<'a> {
    lines: Vec<&'a str>,
    next: usize,
    module: Module,
    /// Whether each site's line is known (from the table or a `; line` comment).
    site_known: Vec<bool>,
    allow_tables: bool,
    /// Closures to check once every function is known: (line, callee).
    closures: Vec<(usize, FuncId)>,
    seen_function: bool,
    /// The line of the second function, for `parse_function`'s error.
    second_function_line: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, module: Module, allow_tables: bool) -> Parser<'a> {
        let site_known = vec![true; module.sites.len()];
        Parser {
            lines: text.lines().collect(),
            next: 0,
            module,
            site_known,
            allow_tables,
            closures: Vec::new(),
            seen_function: false,
            second_function_line: 0,
        }
    }

    fn last_line(&self) -> usize {
        self.lines.len().max(1)
    }

    /// The next line that is not blank or only a comment.
    fn next_line(&mut self) -> Option<Cursor<'a>> {
        while self.next < self.lines.len() {
            let mut c = Cursor { text: self.lines[self.next], pos: 0, line: self.next + 1 };
            self.next += 1;
            if !c.at_end() {
                return Some(c);
            }
        }
        None
    }

    fn parse(&mut self) -> Result<()> {
        let mut seen_tables: Vec<&str> = Vec::new();
        while let Some(mut c) = self.next_line() {
            let line = c.line;
            let w = c.word();
            if matches!(w, "strings" | "globals" | "sites") {
                if !self.allow_tables {
                    return c.err(format!("a '{w}' table cannot be given here"));
                }
                if self.seen_function {
                    return c.err(format!("the '{w}' table must come before the first function"));
                }
                if seen_tables.contains(&w) {
                    return c.err(format!("the '{w}' table is given twice"));
                }
                seen_tables.push(w);
                self.parse_table(w, &mut c)?;
            } else if w == "function" {
                if self.seen_function && self.second_function_line == 0 {
                    self.second_function_line = line;
                }
                self.seen_function = true;
                self.parse_function(&mut c)?;
            } else {
                let found = if w.is_empty() { c.found() } else { format!("'{w}'") };
                return c.err(format!("expected 'function', found {found}"));
            }
        }
        let count = self.module.functions.len();
        for &(line, func) in &self.closures {
            if func.index() >= count {
                return Err(ParseError { line, message: format!("closure of undefined function {func}") });
            }
        }
        Ok(())
    }

    /// The entries of the `strings`, `globals` or `sites` table, separated by commas.
    fn parse_table(&mut self, table: &str, c: &mut Cursor<'a>) -> Result<()> {
        let mut first = true;
        while !c.at_end() {
            if !first {
                c.expect(',', "between table entries")?;
            }
            first = false;
            if table == "sites" {
                let line = c.uint("a site's line")?;
                self.module.add_site(line);
                self.site_known.push(true);
                continue;
            }
            let s = c.string()?;
            let (before, after) = if table == "strings" {
                let before = self.module.strings.len();
                self.module.intern(&s);
                (before, self.module.strings.len())
            } else {
                let before = self.module.globals.len();
                self.module.global(&s);
                (before, self.module.globals.len())
            };
            if before == after {
                return c.err(format!("{} is twice in the {table} table", crate::printer::quote(&s)));
            }
        }
        c.end().map(|_| ())
    }

    /// Records a use of site `n` (on a line with this comment).
    fn use_site(&mut self, c: &Cursor<'a>, n: u32, comment: &str) -> Result<SiteId> {
        let index = n as usize;
        if index >= self.module.sites.len() + SITE_SLACK {
            return c.err(format!(
                "site @{n} is too far beyond the sites table ({} sites)",
                self.module.sites.len()
            ));
        }
        while self.module.sites.len() <= index {
            self.module.sites.push(Site { line: 0, at: None });
            self.site_known.push(false);
        }
        if let Some(line) = site_line_comment(comment) {
            if self.site_known[index] && self.module.sites[index].line != line {
                return c
                    .err(format!("site @{n} is on line {}, not line {line}", self.module.sites[index].line));
            }
            self.module.sites[index].line = line;
            self.site_known[index] = true;
        }
        Ok(SiteId(n))
    }

    /// `function fN "name"(arity A, captures C, KIND, line L) {`, its blocks and `}`
    /// (the keyword is already read).
    fn parse_function(&mut self, c: &mut Cursor<'a>) -> Result<()> {
        let header_line = c.line;
        let id = c.entity("f", "a function")?;
        let expected = self.module.functions.len();
        if id as usize != expected {
            return c.err(format!(
                "expected function f{expected} here (functions are numbered in order), found f{id}"
            ));
        }
        let name = c.string()?;
        c.expect('(', "after the function's name")?;
        c.keyword("arity", "in the function header")?;
        let arity = c.uint("the arity")?;
        c.expect(',', "after the arity")?;
        c.keyword("captures", "in the function header")?;
        let ncaptures = c.uint("the number of captures")?;
        c.expect(',', "after the number of captures")?;
        let kind_word = c.word();
        let kind = match kind_word {
            "script" => FunctionKind::Script,
            "function" => FunctionKind::Function,
            "method" => FunctionKind::Method,
            "initializer" => FunctionKind::Initializer,
            _ => {
                return c.err(format!(
                    "unknown function kind '{kind_word}' (the kinds are script, function, method and initializer)"
                ));
            }
        };
        c.expect(',', "after the function kind")?;
        c.keyword("line", "in the function header")?;
        let line = c.uint("the line")?;
        let library = c.eat(',');
        if library {
            c.keyword("library", "after the line")?;
        }
        c.expect(')', "at the end of the function header")?;
        c.expect('{', "after the function header")?;
        c.end()?;

        let mut blocks: Vec<RawBlock> = Vec::new();
        let mut states: Vec<RawState> = Vec::new();
        let mut inlined: Vec<InlinedCall> = Vec::new();
        let close_line = loop {
            let Some(mut c) = self.next_line() else {
                return Err(ParseError {
                    line: self.last_line(),
                    message: format!(
                        "unexpected end of text: f{id} (line {header_line}) has no closing '}}'"
                    ),
                });
            };
            if c.eat('}') {
                c.end()?;
                break c.line;
            }
            let mut probe = c.clone();
            let w = probe.word();
            if w == "state" {
                c.word();
                states.push(self.parse_state(&mut c)?);
                continue;
            }
            if w == "inlined" && blocks.is_empty() {
                c.word();
                inlined.push(self.parse_inlined(&mut c, inlined.len())?);
                continue;
            }
            if !states.is_empty() {
                return c.err("frame states ('state fsN: ...') come after the last block");
            }
            if w == "function" {
                return c
                    .err(format!("f{id} (line {header_line}) has no closing '}}' before the next function"));
            }
            if w.starts_with("block")
                && (matches!(probe.peek(), Some(':' | '(')) || probe.word() == "inlined")
            {
                if let Some(prev) = blocks.last() {
                    check_terminated(prev)?;
                }
                blocks.push(self.parse_block_header(&mut c)?);
                continue;
            }
            let Some(block) = blocks.last_mut() else {
                return c.err("expected a block label like block0: before the first instruction");
            };
            if let Some(last) = block.insts.last()
                && last.kind.is_terminator()
            {
                return c.err(format!("instruction after the terminator of {}", block.name));
            }
            let inst = self.parse_inst(&mut c)?;
            block.insts.push(inst);
        };
        match blocks.last() {
            None => return Err(ParseError { line: close_line, message: format!("f{id} has no blocks") }),
            Some(last) => check_terminated(last)?,
        }
        let mut f = Function::new(name, kind, arity, line);
        f.ncaptures = ncaptures;
        f.library = library;
        if let Some(b) = blocks.iter().find(|b| b.frame.is_some_and(|i| i.index() >= inlined.len())) {
            return Err(ParseError {
                line: b.line,
                message: format!("{} is in an undefined inlined call", b.name),
            });
        }
        f.inlined = inlined;
        build_function(&mut f, blocks, states)?;
        self.module.functions.push(f);
        Ok(())
    }

    /// `fsN: blockB at I [v0, v1, ...]`, after `state`.
    fn parse_state(&mut self, c: &mut Cursor<'a>) -> Result<RawState> {
        let id = c.entity("fs", "a frame state")?;
        c.expect(':', "after the frame state's name")?;
        let block = c.block()?;
        c.keyword("at", "after the frame state's block")?;
        let index = c.uint("an instruction index")?;
        c.expect('[', "before the live values")?;
        let live = c.values(']')?;
        let mut inlined = None;
        if c.clone().word() == "of" {
            c.word();
            let func = FuncId(c.entity("f", "a function")?);
            c.keyword("slots", "after the inlined function")?;
            c.expect('[', "before the frame slots")?;
            let slots = c.values(']')?;
            if slots.len() != live.len() {
                return c.err(format!("{} live values but {} frame slots", live.len(), slots.len()));
            }
            c.keyword("caller", "after the frame slots")?;
            let caller = c.entity("fs", "a frame state")?;
            if caller >= id {
                return c.err(format!("the caller's state fs{caller} must come before fs{id}"));
            }
            inlined = Some((func, slots, caller));
        }
        let mut objects = Vec::new();
        while c.clone().word() == "virtual" {
            c.word();
            c.expect('[', "before the virtual object's values")?;
            let aliases = c.values(']')?;
            c.keyword("of", "after the virtual object's values")?;
            let class = c.value()?;
            c.keyword("shape", "after the virtual object's class")?;
            let shape = c.hex("a shape address")?;
            c.keyword("fields", "after the virtual object's shape")?;
            c.expect('[', "before the virtual object's fields")?;
            let mut fields = Vec::new();
            if !c.eat(']') {
                loop {
                    let offset = c.uint("a field offset")?;
                    c.expect(':', "after a field offset")?;
                    fields.push((offset, c.value()?));
                    if c.eat(']') {
                        break;
                    }
                    c.expect(',', "between fields")?;
                }
            }
            objects.push(VirtualObject { aliases, class, shape, fields });
        }
        c.end()?;
        Ok(RawState { line: c.line, id, block, index, live, inlined, objects })
    }

    /// `inN: fM at @S [from inK]`, after `inlined`: entry `n` of the table
    /// of inlined calls.
    fn parse_inlined(&mut self, c: &mut Cursor<'a>, n: usize) -> Result<InlinedCall> {
        let id = c.entity("in", "an inlined call")?;
        if id as usize != n {
            return c
                .err(format!("expected inlined call in{n} here (they are numbered in order), found in{id}"));
        }
        c.expect(':', "after the inlined call's name")?;
        let func = FuncId(c.entity("f", "a function")?);
        c.keyword("at", "after the inlined function")?;
        let site = c.site()?;
        let site = self.use_site(c, site, "")?;
        let mut parent = None;
        if c.clone().word() == "from" {
            c.word();
            let p = c.entity("in", "an inlined call")?;
            if p as usize >= n {
                return c.err(format!("the parent in{p} of in{n} must come before it"));
            }
            parent = Some(InlineId(p));
        }
        c.end()?;
        Ok(InlinedCall { func, site, parent })
    }

    /// `blockN:` or `blockN(v1: val, ...):`.
    fn parse_block_header(&mut self, c: &mut Cursor<'a>) -> Result<RawBlock> {
        let name = c.block()?;
        let mut params = Vec::new();
        if c.eat('(') && !c.eat(')') {
            loop {
                let v = c.value()?;
                c.expect(':', &format!("after the parameter {v}"))?;
                params.push((v, c.ty()?));
                if c.eat(')') {
                    break;
                }
                c.expect(',', "or ')' in the block's parameters")?;
            }
        }
        let mut frame = None;
        if c.clone().word() == "inlined" {
            c.word();
            frame = Some(InlineId(c.entity("in", "an inlined call")?));
        }
        c.expect(':', &format!("after {name}"))?;
        c.end()?;
        Ok(RawBlock { line: c.line, name, params, insts: Vec::new(), frame })
    }

    /// `[vN =] OPCODE OPERANDS [@SITE]`.
    fn parse_inst(&mut self, c: &mut Cursor<'a>) -> Result<RawInst> {
        let mut probe = c.clone();
        probe.word();
        let result = if probe.peek() == Some('=') {
            let v = c.value()?;
            c.expect('=', "after the result")?;
            Some(v)
        } else {
            None
        };
        let op = c.word();
        let site = |c: &mut Cursor<'a>| c.site().map(SiteId);
        use InstKind::*;
        let kind = match op {
            "nil" => Nil,
            "bool" => match c.word() {
                "true" => Bool(true),
                "false" => Bool(false),
                w => return c.err(format!("expected true or false after 'bool', found '{w}'")),
            },
            "number" => Number(c.number()?),
            "string" => Str(self.module.intern(&c.string()?)),
            "neg" | "not" => {
                let op = if op == "neg" { UnaryOp::Neg } else { UnaryOp::Not };
                let arg = c.value()?;
                Unary { op, arg, site: site(c)? }
            }
            "add" | "sub" | "mul" | "div" | "mod" | "lt" | "le" | "gt" | "ge" | "eq" | "ne" => {
                let op = BinaryOp::from_name(op).expect("an operator name");
                let lhs = c.value()?;
                c.expect(',', "between the operands")?;
                let rhs = c.value()?;
                Binary { op, lhs, rhs, site: site(c)? }
            }
            "truthy" => Truthy(c.value()?),
            "get_global" => {
                let global = self.global(c)?;
                GetGlobal { global, site: site(c)? }
            }
            "set_global" => {
                let global = self.global(c)?;
                c.expect(',', "after the global")?;
                let value = c.value()?;
                SetGlobal { global, value, site: site(c)? }
            }
            "define_global" => {
                let global = self.global(c)?;
                c.expect(',', "after the global")?;
                DefineGlobal { global, value: c.value()? }
            }
            "get_prop" => {
                let obj = c.value()?;
                c.expect(',', "after the object")?;
                let name = self.string(c)?;
                GetProp { obj, name, site: site(c)? }
            }
            "set_prop" => {
                let obj = c.value()?;
                c.expect(',', "after the object")?;
                let name = self.string(c)?;
                c.expect(',', "after the property name")?;
                let value = c.value()?;
                SetProp { obj, name, value, site: site(c)? }
            }
            "invoke" => {
                let obj = c.value()?;
                c.expect(',', "after the object")?;
                let name = self.string(c)?;
                c.expect('(', "before the arguments")?;
                let args = c.values(')')?;
                Invoke { obj, name, args, site: site(c)? }
            }
            "super_invoke" | "get_super" => {
                let this = c.value()?;
                c.expect(',', "after the receiver")?;
                let superclass = c.value()?;
                c.expect(',', "after the superclass")?;
                let name = self.string(c)?;
                if op == "get_super" {
                    GetSuper { this, superclass, name, site: site(c)? }
                } else {
                    c.expect('(', "before the arguments")?;
                    let args = c.values(')')?;
                    SuperInvoke { this, superclass, name, args, site: site(c)? }
                }
            }
            "new_list" => {
                c.expect('[', "before the list's items")?;
                let items = c.values(']')?;
                NewList { items, site: site(c)? }
            }
            "get_index" => {
                let obj = c.value()?;
                c.expect(',', "after the indexed object")?;
                let index = c.value()?;
                GetIndex { obj, index, site: site(c)? }
            }
            "set_index" => {
                let obj = c.value()?;
                c.expect(',', "after the indexed object")?;
                let index = c.value()?;
                c.expect(',', "after the index")?;
                let value = c.value()?;
                SetIndex { obj, index, value, site: site(c)? }
            }
            "array_len" => ArrayLen { array: c.value()?, site: site(c)? },
            "array_get" => {
                let array = c.value()?;
                c.expect(',', "after the array")?;
                let index = c.value()?;
                ArrayGet { array, index, site: site(c)? }
            }
            "array_set" => {
                let array = c.value()?;
                c.expect(',', "after the array")?;
                let index = c.value()?;
                c.expect(',', "after the index")?;
                let value = c.value()?;
                ArraySet { array, index, value, site: site(c)? }
            }
            "call" => {
                let callee = c.value()?;
                c.expect('(', "before the arguments")?;
                let args = c.values(')')?;
                Call { callee, args, site: site(c)? }
            }
            "closure" => {
                let func = FuncId(c.entity("f", "a function")?);
                c.expect('[', "before the captured values")?;
                let captures = c.values(']')?;
                self.closures.push((c.line, func));
                Closure { func, captures }
            }
            "load_capture" => LoadCapture { index: c.uint("a capture index")? },
            "class" => {
                let name = self.string(c)?;
                c.expect(',', "after the class name")?;
                c.keyword("fields", "in 'class'")?;
                Class { name, fields: c.uint("a number of fields")? }
            }
            "inherit" => {
                let class = c.value()?;
                c.expect(',', "after the class")?;
                let superclass = c.value()?;
                Inherit { class, superclass, site: site(c)? }
            }
            "method" => {
                let class = c.value()?;
                c.expect(',', "after the class")?;
                let name = self.string(c)?;
                c.expect(',', "after the method name")?;
                Method { class, name, method: c.value()? }
            }
            "cell_new" => CellNew { value: c.value()? },
            "cell_get" => CellGet { cell: c.value()? },
            "cell_set" => {
                let cell = c.value()?;
                c.expect(',', "after the cell")?;
                CellSet { cell, value: c.value()? }
            }
            "print" => Print { value: c.value()? },
            "intrinsic" => {
                let name = c.word();
                let Some(op) = crate::Intrinsic::from_name(name) else {
                    return c.err(format!("unknown intrinsic '{name}'"));
                };
                c.expect('(', "before the arguments")?;
                let args = c.values(')')?;
                InstKind::Intrinsic { op, args, site: site(c)? }
            }
            "guard_num" => {
                let value = c.value()?;
                c.expect(',', "after the guarded value")?;
                GuardNum { value, state: StateId(c.entity("fs", "a frame state")?) }
            }
            "guard_shape" => {
                let obj = c.value()?;
                c.expect(',', "after the guarded object")?;
                let shape = c.hex("a shape address")?;
                c.expect(',', "after the shape")?;
                GuardShape { obj, shape, state: StateId(c.entity("fs", "a frame state")?) }
            }
            "load_field" => {
                let obj = c.value()?;
                c.expect(',', "after the object")?;
                LoadField { obj, offset: c.uint("a field offset")? }
            }
            "store_field" => {
                let obj = c.value()?;
                c.expect(',', "after the object")?;
                let offset = c.uint("a field offset")?;
                c.expect(',', "after the field offset")?;
                StoreField { obj, offset, value: c.value()? }
            }
            "object" => Object(c.hex("an object's bits")?),
            "guard_is" => {
                let value = c.value()?;
                c.expect(',', "after the guarded value")?;
                let bits = c.hex("an object's bits")?;
                c.expect(',', "after the bits")?;
                GuardIs { value, bits, state: StateId(c.entity("fs", "a frame state")?) }
            }
            "guard_index" => {
                let index = c.value()?;
                c.expect(',', "after the index")?;
                let len = c.value()?;
                c.expect(',', "after the length")?;
                GuardIndex { index, len, state: StateId(c.entity("fs", "a frame state")?) }
            }
            "guard_function" => {
                let value = c.value()?;
                c.expect(',', "after the guarded value")?;
                let function = c.hex("a function prototype's address")?;
                c.expect(',', "after the function")?;
                GuardFunction { value, function, state: StateId(c.entity("fs", "a frame state")?) }
            }
            "new_instance" => NewInstance { class: c.value()? },
            "is_shape" | "assume_shape" => {
                let obj = c.value()?;
                c.expect(',', "after the object")?;
                let shape = c.hex("a shape's address")?;
                if op == "is_shape" { IsShape { obj, shape } } else { AssumeShape { obj, shape } }
            }
            "copy" => Copy(c.value()?),
            "closure_capture" => {
                let closure = c.value()?;
                c.expect(',', "after the closure")?;
                ClosureCapture { closure, index: c.uint("a capture index")? }
            }
            "call_direct" => {
                let function = c.hex("a function prototype's address")?;
                c.expect(',', "after the function")?;
                let callee = c.value()?;
                c.expect(',', "after the callee")?;
                let this = c.value()?;
                c.expect('(', "before the arguments")?;
                let args = c.values(')')?;
                CallDirect { function, callee, this, args, site: site(c)? }
            }
            "store_shape" => {
                let obj = c.value()?;
                c.expect(',', "after the object")?;
                StoreShape { obj, shape: c.hex("a shape address")? }
            }
            "unbox" => Unbox(c.value()?),
            "box_num" => BoxNum(c.value()?),
            "fneg" => FNeg(c.value()?),
            "bool_val" => BoolVal(c.value()?),
            "fadd" | "fsub" | "fmul" | "fdiv" | "fmod" | "flt" | "fle" | "fgt" | "fge" | "feq" | "fne" => {
                let op = BinaryOp::from_name(&op[1..]).expect("an operator name");
                let lhs = c.value()?;
                c.expect(',', "between the operands")?;
                Float { op, lhs, rhs: c.value()? }
            }
            "jump" => {
                let (dest, args) = c.dest()?;
                Jump { dest, args }
            }
            "branch" => {
                let cond = c.value()?;
                c.expect(',', "after the condition")?;
                let (then_dest, then_args) = c.dest()?;
                c.expect(',', "between the destinations")?;
                let (else_dest, else_args) = c.dest()?;
                Branch { cond, then_dest, then_args, else_dest, else_args }
            }
            "return" => Return { value: c.value()? },
            "" => {
                let found = c.found();
                return c.err(format!("expected an instruction, found {found}"));
            }
            _ => return c.err(format!("unknown instruction '{op}'")),
        };
        let comment = c.end()?;
        if let Some(SiteId(n)) = kind.site() {
            self.use_site(c, n, comment)?;
        }
        match (result, kind.result_type()) {
            (Some(v), None) => return c.err(format!("'{op}' has no result, but {v} is assigned")),
            (None, Some(_)) => return c.err(format!("'{op}' defines a value: write 'vN = {op} ...'")),
            _ => {}
        }
        Ok(RawInst { line: c.line, result, kind })
    }

    fn string(&mut self, c: &mut Cursor<'a>) -> Result<StrId> {
        Ok(self.module.intern(&c.string()?))
    }

    fn global(&mut self, c: &mut Cursor<'a>) -> Result<GlobalId> {
        Ok(self.module.global(&c.string()?))
    }
}

fn check_terminated(block: &RawBlock) -> Result<()> {
    match block.insts.last() {
        Some(last) if last.kind.is_terminator() => Ok(()),
        last => Err(ParseError {
            line: last.map_or(block.line, |i| i.line),
            message: format!("{} does not end with a terminator (jump, branch or return)", block.name),
        }),
    }
}

/// Fills `f` with the blocks as written: numbers them, and checks that every
/// value and block used is defined.
fn build_function(f: &mut Function, blocks: Vec<RawBlock>, states: Vec<RawState>) -> Result<()> {
    let nstates = states.len();
    // Blocks: keep the text's numbers unless they are far too sparse.
    let mut block_lines: HashMap<Block, usize> = HashMap::new();
    for b in &blocks {
        if let Some(first) = block_lines.insert(b.name, b.line) {
            return Err(ParseError {
                line: b.line,
                message: format!("{} is defined twice (first on line {first})", b.name),
            });
        }
    }
    let max_block = blocks.iter().map(|b| b.name.index()).max().unwrap_or(0);
    let keep_blocks = max_block < blocks.len() * SPARSE_FACTOR + SPARSE_SLACK;
    let block_map: HashMap<Block, Block> = blocks
        .iter()
        .enumerate()
        .map(|(i, b)| (b.name, if keep_blocks { b.name } else { Block::new(i) }))
        .collect();
    let nblocks = if keep_blocks { max_block + 1 } else { blocks.len() };

    // Values, in order of definition.
    let mut defs: Vec<(Value, usize)> = Vec::new();
    for b in &blocks {
        defs.extend(b.params.iter().map(|&(v, _)| (v, b.line)));
        defs.extend(b.insts.iter().filter_map(|i| Some((i.result?, i.line))));
    }
    let mut value_lines: HashMap<Value, usize> = HashMap::new();
    for &(v, line) in &defs {
        if let Some(first) = value_lines.insert(v, line) {
            return Err(ParseError {
                line,
                message: format!("{v} is defined twice (first on line {first})"),
            });
        }
    }
    let entry_in_order = blocks[0].params.iter().enumerate().all(|(i, &(v, _))| v.index() == i);
    let max_value = defs.iter().map(|(v, _)| v.index()).max();
    let keep_values =
        entry_in_order && max_value.is_none_or(|m| m < defs.len() * SPARSE_FACTOR + SPARSE_SLACK);
    let value_map: HashMap<Value, Value> = defs
        .iter()
        .enumerate()
        .map(|(i, &(v, _))| (v, if keep_values { v } else { Value::new(i) }))
        .collect();
    let nvalues = if keep_values { max_value.map_or(0, |m| m + 1) } else { defs.len() };

    f.blocks = vec![BlockData::default(); nblocks];
    let mut values: Vec<Option<ValueData>> = vec![None; nvalues];
    for raw in blocks {
        let b = block_map[&raw.name];
        f.layout.push(b);
        f.blocks[b.index()].frame = raw.frame;
        for (i, (v, ty)) in raw.params.into_iter().enumerate() {
            let v = value_map[&v];
            values[v.index()] = Some(ValueData { ty, def: ValueDef::Param(b, i as u32) });
            f.blocks[b.index()].params.push(v);
        }
        for inst in raw.insts {
            let id = Inst::new(f.insts.len());
            let mut undefined = None;
            let mut kind = inst.kind.map_args(|v| match value_map.get(&v) {
                Some(&mapped) => mapped,
                None => {
                    undefined.get_or_insert(v);
                    v
                }
            });
            if let Some(v) = undefined {
                return Err(ParseError { line: inst.line, message: format!("undefined value {v}") });
            }
            let mut undefined_block = None;
            let mut map_block = |d: &mut Block| match block_map.get(d) {
                Some(&mapped) => *d = mapped,
                None => {
                    undefined_block.get_or_insert(*d);
                }
            };
            match &mut kind {
                InstKind::Jump { dest, .. } => map_block(dest),
                InstKind::Branch { then_dest, else_dest, .. } => {
                    map_block(then_dest);
                    map_block(else_dest);
                }
                _ => {}
            }
            if let Some(b) = undefined_block {
                return Err(ParseError { line: inst.line, message: format!("undefined block {b}") });
            }
            if let Some(state) = kind.guard_state()
                && state.index() >= nstates
            {
                return Err(ParseError {
                    line: inst.line,
                    message: format!("undefined frame state {state}"),
                });
            }
            let result = inst.result.map(|r| value_map[&r]);
            if let (Some(r), Some(ty)) = (result, kind.result_type()) {
                values[r.index()] = Some(ValueData { ty, def: ValueDef::Result(id) });
            }
            f.insts.push(InstData { kind, result });
            f.blocks[b.index()].insts.push(id);
        }
    }
    for (i, raw) in states.into_iter().enumerate() {
        if raw.id as usize != i {
            return Err(ParseError {
                line: raw.line,
                message: format!(
                    "expected frame state fs{i} here (states are numbered in order), found fs{}",
                    raw.id
                ),
            });
        }
        let map = |v: Value| match value_map.get(&v) {
            Some(&mapped) => Ok(mapped),
            None => Err(ParseError { line: raw.line, message: format!("undefined value {v}") }),
        };
        let live = raw.live.iter().map(|&v| map(v)).collect::<Result<Vec<_>>>()?;
        let mut objects = Vec::new();
        for o in &raw.objects {
            objects.push(VirtualObject {
                aliases: o.aliases.iter().map(|&v| map(v)).collect::<Result<Vec<_>>>()?,
                class: map(o.class)?,
                shape: o.shape,
                fields: o
                    .fields
                    .iter()
                    .map(|&(offset, v)| Ok((offset, map(v)?)))
                    .collect::<Result<Vec<_>>>()?,
            });
        }
        // An inlined frame's block and slots are the callee's, not this function's.
        let (block, inlined) = match raw.inlined {
            Some((func, slots, caller)) => {
                (raw.block, Some(InlinedState { func, slots, caller: StateId(caller) }))
            }
            None => match block_map.get(&raw.block) {
                Some(&block) => (block, None),
                None => {
                    return Err(ParseError {
                        line: raw.line,
                        message: format!("undefined block {}", raw.block),
                    });
                }
            },
        };
        f.states.push(FrameState { block, index: raw.index, live, inlined, objects });
    }
    // Numbers no value has: detached values, each the result of a `nil` in no block.
    f.values = values
        .into_iter()
        .enumerate()
        .map(|(i, data)| {
            data.unwrap_or_else(|| {
                let id = Inst::new(f.insts.len());
                f.insts.push(InstData { kind: InstKind::Nil, result: Some(Value::new(i)) });
                ValueData { ty: Type::Val, def: ValueDef::Result(id) }
            })
        })
        .collect();
    Ok(())
}

#[cfg(test)]
mod tests;
