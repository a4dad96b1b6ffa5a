//! The analysis of one Lox document: diagnostics, and an index of every name
//! it declares and uses, which the language features read.
//!
//! An [`Analysis`] is made from the document's whole text. It runs the front
//! end ([`brine_frontend::parse`], then [`brine_frontend::resolve_with_errors`])
//! and walks the tree once, recording each *occurrence* of a name (its byte
//! span, what it names, and whether it declares it) and each *definition*.
//! What a name names is a [`Target`]:
//!
//! - a local declaration (variable, parameter, local function or class),
//!   bound by the resolver;
//! - a global, by name: the script's top-level `var`, `fun` and `class`
//!   declarations are its definitions (a name declared twice has both);
//!   a global the file does not declare may be a native or the standard
//!   library's;
//! - a property, by name. Lox has no static types, so `a.x`, `a.x = v` and
//!   `super.x` are taken to mean *any* property `x`: its definitions are the
//!   methods named `x` of all the file's classes and the `this.x = ...`
//!   assignments (fields) in their methods; its references are every `.x`
//!   and those method declarations. This is an approximation: two unrelated
//!   classes' `x` are one property here.
//!
//! `this` names the class of its method, and `super` the superclass (for
//! definition and hover; they are not listed among the class's references).
//!
//! A document that does not parse has its diagnostics and nothing else: no
//! occurrence, definition or symbol (completion then falls back on the
//! last analysis that parsed, see [`completions`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use brine_frontend::ast::{
    Class, DeclId, Expr, ExprKind, Function, FunctionKind, Program, RefId, Resolution, Resolved, Span, Stmt,
    StmtKind,
};
use brine_frontend::scanner::{self, TokenKind};
use lsp_types::{
    CompletionItem, CompletionItemKind, Diagnostic, DiagnosticSeverity, DocumentSymbol, Position, Range,
    SymbolKind,
};

use crate::line_index::LineIndex;

/// The natives the runtime defines (brine-runtime's `natives.rs`), with
/// their arities. (A copy, so that the server does not link the runtime; a
/// test checks it against `brine_runtime::natives::names`.)
pub const NATIVES: &[(&str, u32)] = &[
    ("clock", 0),
    ("len", 1),
    ("substr", 3),
    ("indexOf", 2),
    ("ord", 1),
    ("chr", 1),
    ("str", 1),
    ("num", 1),
    ("upper", 1),
    ("lower", 1),
    ("trim", 1),
    ("split", 2),
    ("args", 0),
    ("floor", 1),
    ("ceil", 1),
    ("round", 1),
    ("sqrt", 1),
    ("abs", 1),
    ("min", 2),
    ("max", 2),
    ("pow", 2),
    ("hash", 1),
    ("readLine", 0),
    ("readFile", 1),
    ("writeFile", 2),
    ("eprint", 1),
    ("exit", 1),
    ("getc", 0),
    ("print_error", 1),
    ("read", 0),
    ("utf", 4),
    ("printerr", 1),
];

/// The standard library's globals (lib/*.lox) a program may name.
const LIBRARY: &[(&str, &str)] = &[
    ("List", "class `List` — standard library"),
    ("Map", "class `Map` — standard library"),
    ("brine", "global variable `brine` — the intrinsics object (standard library)"),
];

/// Lox's reserved words.
pub const KEYWORDS: &[&str] = &[
    "and", "class", "else", "false", "for", "fun", "if", "nil", "or", "print", "return", "super", "this",
    "true", "var", "while",
];

/// What a name refers to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// A local declaration (resolved by the resolver).
    Local(DeclId),
    /// A global, by name.
    Global(String),
    /// A method or field, by name.
    Property(String),
}

/// What kind of thing a definition defines.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum DefKind {
    LocalVariable,
    Parameter,
    GlobalVariable,
    Function,
    Class,
    Method,
    Field,
}

impl DefKind {
    pub fn word(self) -> &'static str {
        match self {
            DefKind::LocalVariable => "local variable",
            DefKind::Parameter => "parameter",
            DefKind::GlobalVariable => "global variable",
            DefKind::Function => "function",
            DefKind::Class => "class",
            DefKind::Method => "method",
            DefKind::Field => "field",
        }
    }

    fn completion_kind(self) -> CompletionItemKind {
        match self {
            DefKind::LocalVariable | DefKind::GlobalVariable | DefKind::Parameter => {
                CompletionItemKind::VARIABLE
            }
            DefKind::Function => CompletionItemKind::FUNCTION,
            DefKind::Class => CompletionItemKind::CLASS,
            DefKind::Method => CompletionItemKind::METHOD,
            DefKind::Field => CompletionItemKind::FIELD,
        }
    }
}

/// One definition of a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Def {
    pub name: String,
    /// The name's bytes.
    pub span: Span,
    pub kind: DefKind,
    /// How hover shows it: `fib(n)`, `B < A`, `Point.norm()`, `Point.x`.
    pub label: String,
    /// For a parameter: its function's label.
    pub owner: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Role {
    /// Declares the target (a `var`, `fun`, `class`, parameter, method name).
    Decl,
    /// Uses it.
    Ref,
    /// `this` or `super`: names the class, but is not one of its references.
    Keyword,
}

#[derive(Clone, Debug)]
struct Occurrence {
    span: Span,
    target: Target,
    role: Role,
}

/// A local declaration, for completion: visible from `visible_from` to the
/// end of `scope`.
#[derive(Clone, Debug)]
struct Local {
    target: Target,
    visible_from: u32,
    scope: Span,
}

/// A top-level declaration, for document symbols.
#[derive(Clone, Debug)]
struct Item {
    def: Def,
    /// The whole declaration.
    span: Span,
    /// A class's methods.
    children: Vec<Item>,
}

/// The analysis of one document's text.
#[derive(Debug)]
pub struct Analysis {
    text: String,
    index: LineIndex,
    /// The parse and resolve errors, in the front end's order.
    errors: Vec<brine_frontend::Diagnostic>,
    /// Whether the text parsed (then the index below is filled in).
    parsed: bool,
    /// Every occurrence of a name, by start.
    occurrences: Vec<Occurrence>,
    defs: HashMap<Target, Vec<Def>>,
    locals: Vec<Local>,
    items: Vec<Item>,
}

impl Analysis {
    pub fn new(text: impl Into<String>) -> Analysis {
        let text = text.into();
        let index = LineIndex::new(&text);
        let mut analysis = Analysis {
            text,
            index,
            errors: Vec::new(),
            parsed: false,
            occurrences: Vec::new(),
            defs: HashMap::new(),
            locals: Vec::new(),
            items: Vec::new(),
        };
        match brine_frontend::parse(analysis.text.as_bytes()) {
            Err(errors) => analysis.errors = errors,
            Ok(program) => {
                let (resolution, errors) = brine_frontend::resolve_with_errors(&program);
                analysis.errors = errors;
                analysis.parsed = true;
                let mut walk = Walk::new(&analysis.text, &program, &resolution);
                walk.run();
                let Walk { mut occurrences, defs, locals, items, .. } = walk;
                occurrences.sort_by_key(|o| (o.span.start, o.span.end));
                analysis.occurrences = occurrences;
                analysis.defs = defs;
                analysis.locals = locals;
                analysis.items = items;
            }
        }
        analysis
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the text parsed (navigation needs it).
    pub fn parsed(&self) -> bool {
        self.parsed
    }

    pub fn line_index(&self) -> &LineIndex {
        &self.index
    }

    pub fn offset(&self, position: Position) -> usize {
        self.index.offset(&self.text, position)
    }

    pub fn range(&self, span: Span) -> Range {
        self.index.range(&self.text, span.start as usize, span.end as usize)
    }

    /// The 1-based line of a byte offset.
    fn line(&self, offset: u32) -> usize {
        self.index.line_of(offset as usize) + 1
    }

    /// The front end's errors as LSP diagnostics: the range of each one's
    /// span (a diagnostic without one covers its line), the bare message.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.errors
            .iter()
            .map(|error| {
                let range = match error.span {
                    Some(span) => self.range(span),
                    None => {
                        let line = error.line.saturating_sub(1);
                        let start = self.index.offset(&self.text, Position { line, character: 0 });
                        let end = self.index.offset(&self.text, Position { line, character: u32::MAX });
                        self.index.range(&self.text, start, end)
                    }
                };
                Diagnostic {
                    range,
                    severity: Some(DiagnosticSeverity::ERROR),
                    source: Some("brine".to_string()),
                    message: error.message.clone(),
                    ..Diagnostic::default()
                }
            })
            .collect()
    }

    /// The occurrence at `offset`: the one whose span holds it, or else one
    /// that ends there (the cursor just after a name).
    fn occurrence_at(&self, offset: usize) -> Option<&Occurrence> {
        // Names are tokens: the occurrences do not overlap.
        let offset = u32::try_from(offset).ok()?;
        let i = self.occurrences.partition_point(|o| o.span.start <= offset);
        // The last one starting at or before the offset, if it holds it or
        // ends there.
        let last = self.occurrences[..i].last()?;
        (offset <= last.span.end).then_some(last)
    }

    /// What the name at `position` refers to.
    pub fn target_at(&self, position: Position) -> Option<Target> {
        self.occurrence_at(self.offset(position)).map(|o| o.target.clone())
    }

    /// The definitions of the name at `position` (empty for a native, or a
    /// global or property the file does not define).
    pub fn definition(&self, position: Position) -> Vec<Range> {
        let Some(occurrence) = self.occurrence_at(self.offset(position)) else {
            return Vec::new();
        };
        self.defs.get(&occurrence.target).into_iter().flatten().map(|def| self.range(def.span)).collect()
    }

    /// Every occurrence of what the name at `position` refers to, in source
    /// order; declarations only if `include_declaration`.
    pub fn references(&self, position: Position, include_declaration: bool) -> Vec<Range> {
        let Some(target) = self.target_at(position) else {
            return Vec::new();
        };
        self.occurrences
            .iter()
            .filter(|o| o.target == target)
            .filter(|o| o.role == Role::Ref || (o.role == Role::Decl && include_declaration))
            .map(|o| self.range(o.span))
            .collect()
    }

    /// Markdown for the name at `position`, and its range.
    pub fn hover(&self, position: Position) -> Option<(String, Range)> {
        let occurrence = self.occurrence_at(self.offset(position))?;
        let described = self.describe(&occurrence.target);
        let text = if occurrence.role == Role::Keyword {
            let word = self.text.get(occurrence.span.range()).unwrap_or("");
            if word == "super" {
                format!("`super` — the superclass: {described}")
            } else {
                format!("`this` — an instance of {described}")
            }
        } else {
            described
        };
        Some((text, self.range(occurrence.span)))
    }

    fn describe_def(&self, def: &Def) -> String {
        let owner = def.owner.as_ref().map(|o| format!(" of `{o}`")).unwrap_or_default();
        format!("{} `{}`{owner} — declared on line {}", def.kind.word(), def.label, self.line(def.span.start))
    }

    fn describe(&self, target: &Target) -> String {
        let defs = self.defs.get(target).map(Vec::as_slice).unwrap_or(&[]);
        match target {
            Target::Property(name) if defs.is_empty() => {
                format!("property `{name}` — no method or field of this file's classes has this name")
            }
            Target::Property(_) => {
                // Each method, and each class's field once (its first assignment).
                let mut shown: Vec<String> = Vec::new();
                let mut fields = Vec::new();
                for def in defs {
                    if def.kind == DefKind::Field {
                        if fields.contains(&&def.label) {
                            continue;
                        }
                        fields.push(&def.label);
                    }
                    shown.push(self.describe_def(def));
                }
                shown.join("\n\n")
            }
            Target::Global(name) if defs.is_empty() => {
                if let Some((_, arity)) = NATIVES.iter().find(|(n, _)| n == name) {
                    let s = if *arity == 1 { "" } else { "s" };
                    format!("native function `{name}` — built in, {arity} argument{s}")
                } else if let Some((_, text)) = LIBRARY.iter().find(|(n, _)| n == name) {
                    text.to_string()
                } else {
                    format!("global variable `{name}` — not declared in this file")
                }
            }
            _ => {
                let mut text = defs.first().map(|def| self.describe_def(def)).unwrap_or_default();
                if defs.len() > 1 {
                    let lines: Vec<String> =
                        defs[1..].iter().map(|d| self.line(d.span.start).to_string()).collect();
                    text.push_str(&format!(" (declared again on line {})", lines.join(", ")));
                }
                text
            }
        }
    }

    /// The document's outline: classes (with their methods), functions and
    /// global variables, in source order.
    pub fn symbols(&self) -> Vec<DocumentSymbol> {
        self.items.iter().map(|item| self.symbol(item)).collect()
    }

    fn symbol(&self, item: &Item) -> DocumentSymbol {
        let kind = match item.def.kind {
            DefKind::Class => SymbolKind::CLASS,
            DefKind::Function => SymbolKind::FUNCTION,
            DefKind::Method if item.def.name == "init" => SymbolKind::CONSTRUCTOR,
            DefKind::Method => SymbolKind::METHOD,
            _ => SymbolKind::VARIABLE,
        };
        let children = item.children.iter().map(|c| self.symbol(c)).collect::<Vec<_>>();
        // The selection must lie inside the range.
        let span = item.span.to(item.def.span);
        #[allow(deprecated)]
        DocumentSymbol {
            name: item.def.name.clone(),
            detail: Some(item.def.label.clone()),
            kind,
            tags: None,
            deprecated: None,
            range: self.range(span),
            selection_range: self.range(item.def.span),
            children: (!children.is_empty()).then_some(children),
        }
    }

    /// The globals the file declares: each name's first definition.
    fn globals(&self) -> BTreeMap<&str, &Def> {
        let mut globals = BTreeMap::new();
        for (target, defs) in &self.defs {
            if let (Target::Global(name), Some(def)) = (target, defs.first()) {
                globals.insert(name.as_str(), def);
            }
        }
        globals
    }

    /// The method and field names of the file's classes.
    fn properties(&self) -> BTreeMap<&str, &Def> {
        let mut properties = BTreeMap::new();
        for (target, defs) in &self.defs {
            if let Target::Property(name) = target {
                // A method wins over a field of the same name.
                let def = defs.iter().find(|d| d.kind == DefKind::Method).or(defs.first());
                if let Some(def) = def {
                    properties.insert(name.as_str(), def);
                }
            }
        }
        properties
    }
}

/// Whether the cursor at `offset` of `text` follows a `.` (then only the
/// word typed since the `.` is before it): member completion.
pub fn after_dot(text: &str, offset: usize) -> bool {
    let bytes = text.as_bytes();
    let mut i = offset.min(bytes.len());
    while i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
        i -= 1;
    }
    while i > 0 && (bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') {
        i -= 1;
    }
    i > 0 && bytes[i - 1] == b'.'
}

/// The completions at byte `offset` of `text`, from the names `names`
/// knows. `names` is the analysis of `text` if it parsed, or else the last
/// analysis of the document that did (its scopes are then approximate: the
/// offsets of an older text).
///
/// After a `.`: the method and field names of the file's classes. Else:
/// the locals in scope at the cursor (innermost first; declared before it),
/// the file's globals, the natives, the standard library's globals and the
/// keywords.
pub fn completions(names: Option<&Analysis>, text: &str, offset: usize) -> Vec<CompletionItem> {
    let item = |label: &str, kind: CompletionItemKind, detail: String, sort: u8| CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail),
        sort_text: Some(format!("{sort}{label}")),
        ..CompletionItem::default()
    };
    let mut items: Vec<CompletionItem> = Vec::new();
    if after_dot(text, offset) {
        if let Some(analysis) = names {
            for (name, def) in analysis.properties() {
                items.push(item(name, def.kind.completion_kind(), def.label.clone(), 0));
            }
        }
        return items;
    }
    let mut seen: HashSet<String> = HashSet::new();
    let mut add = |items: &mut Vec<CompletionItem>, new: CompletionItem| {
        if seen.insert(new.label.clone()) {
            items.push(new);
        }
    };
    if let Some(analysis) = names {
        let at = offset as u32;
        let mut locals: Vec<&Local> = analysis
            .locals
            .iter()
            .filter(|l| l.visible_from <= at && l.scope.start <= at && at <= l.scope.end)
            .collect();
        // Innermost scope first; in one scope, the latest declaration.
        locals.sort_by_key(|l| (l.scope.len(), std::cmp::Reverse(l.visible_from)));
        for local in locals {
            if let Some(def) = analysis.defs.get(&local.target).and_then(|d| d.first()) {
                add(&mut items, item(&def.name, def.kind.completion_kind(), analysis.describe_def(def), 0));
            }
        }
        for (name, def) in analysis.globals() {
            add(&mut items, item(name, def.kind.completion_kind(), analysis.describe_def(def), 1));
        }
    }
    for (name, arity) in NATIVES {
        let s = if *arity == 1 { "" } else { "s" };
        let detail = format!("native function, {arity} argument{s}");
        add(&mut items, item(name, CompletionItemKind::FUNCTION, detail, 2));
    }
    for (name, text) in LIBRARY {
        let kind = if name.starts_with(char::is_uppercase) {
            CompletionItemKind::CLASS
        } else {
            CompletionItemKind::VARIABLE
        };
        add(&mut items, item(name, kind, text.to_string(), 2));
    }
    for keyword in KEYWORDS {
        add(&mut items, item(keyword, CompletionItemKind::KEYWORD, "keyword".to_string(), 3));
    }
    items
}

/// The walk over the tree that fills the index.
struct Walk<'a> {
    program: &'a Program,
    resolution: &'a Resolution,
    /// Start offsets of the `}` tokens, in order (where a method ends).
    right_braces: Vec<u32>,
    /// The script's top-level declarations: the globals.
    globals: HashMap<DeclId, String>,
    /// Implicit `this` and `super` declarations: the class they name.
    aliases: HashMap<DeclId, Target>,
    /// The regions of the enclosing local scopes, innermost last.
    scopes: Vec<Span>,
    /// The innermost enclosing class's name (for fields).
    class: Option<String>,
    occurrences: Vec<Occurrence>,
    defs: HashMap<Target, Vec<Def>>,
    locals: Vec<Local>,
    items: Vec<Item>,
}

fn name(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `fib(a, b)`.
fn signature(function: &Function) -> String {
    let params: Vec<String> = function.params.iter().map(|(p, _)| name(p)).collect();
    format!("{}({})", name(&function.name), params.join(", "))
}

impl<'a> Walk<'a> {
    fn new(text: &'a str, program: &'a Program, resolution: &'a Resolution) -> Walk<'a> {
        let (tokens, _) = scanner::scan(text.as_bytes());
        let right_braces =
            tokens.iter().filter(|t| t.kind == TokenKind::RightBrace).map(|t| t.start).collect();
        let mut globals = HashMap::new();
        for stmt in &program.script.body {
            match &stmt.kind {
                StmtKind::Var(n, decl, _) => globals.insert(*decl, name(n)),
                StmtKind::Function(decl, f) => globals.insert(*decl, name(&f.name)),
                StmtKind::Class(class) => globals.insert(class.decl, name(&class.name)),
                _ => None,
            };
        }
        Walk {
            program,
            resolution,
            right_braces,
            globals,
            aliases: HashMap::new(),
            scopes: Vec::new(),
            class: None,
            occurrences: Vec::new(),
            defs: HashMap::new(),
            locals: Vec::new(),
            items: Vec::new(),
        }
    }

    fn run(&mut self) {
        let body = &self.program.script.body;
        for stmt in body {
            self.stmt(stmt);
        }
    }

    fn decl_span(&self, decl: DeclId) -> Span {
        self.program.decl_spans.get(decl.0 as usize).copied().unwrap_or_default()
    }

    fn ref_span(&self, id: RefId) -> Span {
        self.program.ref_spans.get(id.0 as usize).copied().unwrap_or_default()
    }

    fn decl_target(&self, decl: DeclId) -> Target {
        if let Some(name) = self.globals.get(&decl) {
            Target::Global(name.clone())
        } else if let Some(target) = self.aliases.get(&decl) {
            target.clone()
        } else {
            Target::Local(decl)
        }
    }

    fn ref_target(&self, id: RefId, name: &[u8]) -> Option<Target> {
        match self.resolution.refs.get(id.0 as usize)? {
            Resolved::Local(decl) => Some(self.decl_target(*decl)),
            Resolved::Global => Some(Target::Global(self::name(name))),
        }
    }

    fn occurrence(&mut self, span: Span, target: Target, role: Role) {
        // (No name is empty; an empty span is one the tree did not record.)
        if !span.is_empty() {
            self.occurrences.push(Occurrence { span, target, role });
        }
    }

    fn reference(&mut self, id: RefId, name: &[u8]) {
        if let Some(target) = self.ref_target(id, name) {
            let span = self.ref_span(id);
            self.occurrence(span, target, Role::Ref);
        }
    }

    /// Records a declaration; returns its definition.
    fn declare(
        &mut self,
        decl: DeclId,
        name: &[u8],
        kind: DefKind,
        label: String,
        owner: Option<String>,
    ) -> Def {
        let target = self.decl_target(decl);
        let span = self.decl_span(decl);
        let kind = match (kind, &target) {
            (DefKind::LocalVariable, Target::Global(_)) => DefKind::GlobalVariable,
            _ => kind,
        };
        let def = Def { name: self::name(name), span, kind, label, owner };
        self.occurrence(span, target.clone(), Role::Decl);
        if let (Some(scope), Target::Local(_)) = (self.scopes.last(), &target) {
            self.locals.push(Local { target: target.clone(), visible_from: span.start, scope: *scope });
        }
        self.defs.entry(target).or_default().push(def.clone());
        def
    }

    fn in_scope(&mut self, region: Span, walk: impl FnOnce(&mut Self)) {
        self.scopes.push(region);
        walk(self);
        self.scopes.pop();
    }

    fn top_level(&self) -> bool {
        self.scopes.is_empty() && self.class.is_none()
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Expression(expr) | StmtKind::Print(expr) => self.expr(expr),
            StmtKind::Var(n, decl, init) => {
                let top = self.top_level();
                let def = self.declare(*decl, n, DefKind::LocalVariable, name(n), None);
                if top {
                    self.items.push(Item { def, span: stmt.span, children: Vec::new() });
                }
                if let Some(init) = init {
                    self.expr(init);
                }
            }
            StmtKind::Block(stmts) => self.in_scope(stmt.span, |w| {
                for s in stmts {
                    w.stmt(s);
                }
            }),
            StmtKind::If(cond, then_branch, else_branch) => {
                self.expr(cond);
                self.stmt(then_branch);
                if let Some(else_branch) = else_branch {
                    self.stmt(else_branch);
                }
            }
            StmtKind::While(cond, body) => {
                self.expr(cond);
                self.stmt(body);
            }
            StmtKind::For { init, cond, incr, body } => self.in_scope(stmt.span, |w| {
                if let Some(init) = init {
                    w.stmt(init);
                }
                if let Some(cond) = cond {
                    w.expr(cond);
                }
                if let Some(incr) = incr {
                    w.expr(incr);
                }
                w.stmt(body);
            }),
            StmtKind::Function(decl, function) => {
                let top = self.top_level();
                let def = self.declare(*decl, &function.name, DefKind::Function, signature(function), None);
                if top {
                    self.items.push(Item { def, span: stmt.span, children: Vec::new() });
                }
                self.function(function, stmt.span);
            }
            StmtKind::Class(class) => self.class(class, stmt.span),
            StmtKind::Return(value) => {
                if let Some(value) = value {
                    self.expr(value);
                }
            }
        }
    }

    /// A function's parameters and body, in its scope `region`.
    fn function(&mut self, function: &Function, region: Span) {
        let owner = signature(function);
        self.in_scope(region, |w| {
            for (n, decl) in &function.params {
                w.declare(*decl, n, DefKind::Parameter, name(n), Some(owner.clone()));
            }
            for stmt in &function.body {
                w.stmt(stmt);
            }
        });
    }

    /// Where a method ends: the `}` closing its body, the first after its
    /// name and its last statement (or the class's end, if none is found).
    fn method_end(&self, method: &Function, class_end: u32) -> u32 {
        let after = method.body.iter().map(|s| s.span.end).max().unwrap_or(0).max(method.name_span.end);
        let i = self.right_braces.partition_point(|&start| start < after);
        self.right_braces.get(i).map(|&start| start + 1).filter(|&end| end <= class_end).unwrap_or(class_end)
    }

    fn class(&mut self, class: &Class, span: Span) {
        let top = self.top_level();
        let class_name = name(&class.name);
        let target = self.decl_target(class.decl);
        let mut label = class_name.clone();
        if let Some((super_name, id, _)) = &class.superclass {
            label = format!("{class_name} < {}", name(super_name));
            self.reference(*id, super_name);
            if let (Some(decl), Some(super_target)) = (class.super_decl, self.ref_target(*id, super_name)) {
                self.aliases.insert(decl, super_target);
            }
        }
        let def = self.declare(class.decl, &class.name, DefKind::Class, label, None);
        let enclosing = self.class.replace(class_name.clone());
        let mut children = Vec::new();
        for method in &class.methods {
            if let Some(this) = method.this_decl {
                self.aliases.insert(this, target.clone());
            }
            let method_name = name(&method.name);
            let def = Def {
                name: method_name.clone(),
                span: method.name_span,
                kind: DefKind::Method,
                label: format!("{class_name}.{}", signature(method)),
                owner: None,
            };
            let property = Target::Property(method_name);
            self.occurrence(method.name_span, property.clone(), Role::Decl);
            self.defs.entry(property).or_default().push(def.clone());
            let end = self.method_end(method, span.end);
            let region = Span::new(method.name_span.start, end.max(method.name_span.end));
            children.push(Item { def, span: region, children: Vec::new() });
            debug_assert!(matches!(method.kind, FunctionKind::Method | FunctionKind::Initializer));
            self.function(method, region);
        }
        self.class = enclosing;
        if top {
            self.items.push(Item { def, span, children });
        }
    }

    fn property(&mut self, n: &[u8], span: Span) {
        self.occurrence(span, Target::Property(name(n)), Role::Ref);
    }

    fn keyword(&mut self, id: RefId) {
        if let Some(Resolved::Local(decl)) = self.resolution.refs.get(id.0 as usize)
            && let Some(target) = self.aliases.get(decl).cloned()
        {
            let span = self.ref_span(id);
            self.occurrence(span, target, Role::Keyword);
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Literal(_) => {}
            ExprKind::Grouping(inner) | ExprKind::Unary(_, inner) => self.expr(inner),
            ExprKind::Binary(_, left, right) | ExprKind::Logical(_, left, right) => {
                self.expr(left);
                self.expr(right);
            }
            ExprKind::Variable(n, id) => self.reference(*id, n),
            ExprKind::Assign(n, id, value) => {
                self.reference(*id, n);
                self.expr(value);
            }
            ExprKind::Call(callee, args) => {
                self.expr(callee);
                for arg in args {
                    self.expr(arg);
                }
            }
            ExprKind::Get(object, n, span) => {
                self.expr(object);
                self.property(n, *span);
            }
            ExprKind::Set(object, n, span, value) => {
                self.expr(object);
                self.property(n, *span);
                if let (ExprKind::This(_), Some(class)) = (&object.kind, &self.class) {
                    let def = Def {
                        name: name(n),
                        span: *span,
                        kind: DefKind::Field,
                        label: format!("{class}.{}", name(n)),
                        owner: None,
                    };
                    self.defs.entry(Target::Property(name(n))).or_default().push(def);
                }
                self.expr(value);
            }
            ExprKind::List(items) => {
                for item in items {
                    self.expr(item);
                }
            }
            ExprKind::Index(object, index) => {
                self.expr(object);
                self.expr(index);
            }
            ExprKind::SetIndex(object, index, value) => {
                self.expr(object);
                self.expr(index);
                self.expr(value);
            }
            ExprKind::This(id) => self.keyword(*id),
            ExprKind::Super { method, method_span, super_ref, .. } => {
                self.keyword(*super_ref);
                self.property(method, *method_span);
            }
        }
    }
}
