//! The REPL: one runtime and one growing module for the whole session, so
//! globals, functions and classes carry over between entries.
//!
//! On a terminal (standard input a tty) it helps: a bare expression prints
//! its value (`brine_frontend::compile_entry`: `1 + 2` shows `3`, with or
//! without `;`; assignments and calls that return `nil` print nothing),
//! Tab completes keywords, natives and the globals defined so far, the line
//! is coloured as you type (only when standard output is a terminal too),
//! and `:` commands (`:help` lists them) load files, show an entry's IR or
//! machine code and the profile so far.
//!
//! Piped into (standard input not a tty) it is the plain line reader it
//! always was: no prompt, no colour, and every entry compiles as a file
//! would (no echo), so a Lox program piped in prints what `brine run`
//! prints. The commands work there too (no Lox entry starts with `:`).
//!
//! Every error is reported and the session goes on: compile errors,
//! runtime errors (a stack overflow is one), commands that fail. Ctrl-C
//! drops the entry being typed; Ctrl-D (end of input) ends the session
//! with exit code 0.

use crate::driver;
use brine_frontend::scanner::{self, TokenKind};
use brine_runtime::Runtime;
use brine_tier::{Mode, Options, Session};
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{ColorMode, CompletionType, Config, Context, Editor, Helper};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};

/// Whether `text` leaves a brace or parenthesis open (outside strings and
/// comments): then the entry continues on the next line.
pub fn is_incomplete(text: &str) -> bool {
    let mut depth: i64 = 0;
    let mut in_string = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            in_string = c != '"';
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '{' | '(' => depth += 1,
            '}' | ')' => depth -= 1,
            _ => {}
        }
    }
    depth > 0 || in_string
}

/// The commands, with their argument and what they do, for `:help`.
const COMMANDS: &[(&str, &str, &str)] = &[
    (":help", "", "list the commands"),
    (":load", " FILE", "run the Lox file FILE in this session (its globals stay)"),
    (":ir", " CODE", "print the IR that CODE compiles to, without running it"),
    (":asm", " CODE", "print the machine code that CODE compiles to, without running it"),
    (":profile", "", "print the profile of everything run so far (calls, tiers, compile times)"),
    (":quit", "", "end the session (as Ctrl-D does)"),
];

/// Lox's keywords, for completion and colour.
const KEYWORDS: &[&str] = &[
    "and", "class", "else", "false", "for", "fun", "if", "nil", "or", "print", "return", "super", "this",
    "true", "var", "while",
];

/// Names of Brine's extensions that are not natives (defined by the
/// standard library or lowered as intrinsics), coloured as natives are.
const EXTENSIONS: &[&str] = &["brine", "List", "Map"];

pub fn run() -> u8 {
    let interactive = std::io::stdin().is_terminal();
    let color = interactive && std::io::stdout().is_terminal();
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .color_mode(if color { ColorMode::Enabled } else { ColorMode::Disabled })
        .build();
    let mut editor: Editor<LoxHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("brine: cannot start the line editor: {e}");
            return crate::EXIT_IO;
        }
    };
    let history = std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".brine_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    let mut options = match Options::new(Mode::Tiered) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("brine: {e}");
            return crate::EXIT_USAGE;
        }
    };
    // So that `:profile` counts the calls of native code too.
    options.profile = true;
    let session = match driver::new_session(options) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let natives = defined_globals(&session.rt);
    let builtins = natives.iter().cloned().chain(EXTENSIONS.iter().map(|s| s.to_string())).collect();
    editor.set_helper(Some(LoxHelper { color, builtins, globals: natives, files: FilenameCompleter::new() }));
    let mut repl = Repl { session, interactive, entries: 0 };
    let mut entry = String::new();
    loop {
        let prompt = if entry.is_empty() { "> " } else { "... " };
        match editor.readline(prompt) {
            Ok(line) => {
                if entry.is_empty() && line.trim_start().starts_with(':') {
                    let _ = editor.add_history_entry(line.trim());
                    let done = repl.command(line.trim());
                    update_globals(&mut editor, &repl.session.rt);
                    if done {
                        break;
                    }
                    continue;
                }
                entry.push_str(&line);
                entry.push('\n');
                if is_incomplete(&entry) {
                    continue;
                }
                let text = std::mem::take(&mut entry);
                if text.trim().is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(text.trim_end());
                repl.entry(&text);
                update_globals(&mut editor, &repl.session.rt);
            }
            Err(ReadlineError::Interrupted) => entry.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("brine: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    repl.session.rt.out.flush();
    0
}

/// The session and how entries compile.
struct Repl {
    session: Session,
    /// Entries echo bare expressions (standard input is a terminal).
    interactive: bool,
    /// How many entries (and `:ir`/`:asm` codes) were compiled.
    entries: usize,
}

impl Repl {
    /// Compiles `text` as an entry into the session's module: with the echo
    /// of a bare expression when interactive, else as a file would be.
    fn compile(&mut self, text: &str) -> Option<brine_ir::FuncId> {
        let name = self.next_name();
        let module = &mut self.session.program.module;
        let compiled = if self.interactive {
            brine_frontend::compile_entry(text.as_bytes(), &name, module).map(|entry| entry.script)
        } else {
            brine_frontend::compile_named(text.as_bytes(), &name, module)
        };
        compiled.map_err(|diagnostics| driver::print_diagnostics(&name, text.as_bytes(), &diagnostics)).ok()
    }

    /// What diagnostics call the next entry: `<repl:N>`, counting from 1.
    fn next_name(&mut self) -> String {
        self.entries += 1;
        format!("<repl:{}>", self.entries)
    }

    /// Compiles and runs one entry; errors are printed.
    fn entry(&mut self, text: &str) {
        if let Some(script) = self.compile(text) {
            self.session.execute(script);
        }
    }

    /// Runs a `:` command; returns whether the session ends.
    fn command(&mut self, line: &str) -> bool {
        let (name, argument) = match line.split_once(char::is_whitespace) {
            Some((name, rest)) => (name, rest.trim()),
            None => (line, ""),
        };
        let needs_argument = || {
            let usage = COMMANDS.iter().find(|c| c.0 == name).map_or("", |c| c.1);
            eprintln!("brine: {name} needs an argument: {name}{usage}");
        };
        match name {
            ":help" | ":quit" | ":profile" if !argument.is_empty() => {
                eprintln!("brine: {name} takes no argument (not '{argument}')")
            }
            ":help" => print_out(&help()),
            ":quit" => return true,
            ":profile" => print_out(&self.session.profile_report()),
            ":load" if argument.is_empty() => needs_argument(),
            ":load" => self.load(argument),
            ":ir" | ":asm" if argument.is_empty() => needs_argument(),
            ":ir" | ":asm" => self.show(argument, name == ":asm"),
            _ => eprintln!("brine: unknown command '{name}' (:help lists the commands)"),
        }
        false
    }

    /// `:load FILE`: runs the file as `brine run` would, in this session.
    fn load(&mut self, path: &str) {
        let path = path.strip_prefix('"').and_then(|p| p.strip_suffix('"')).unwrap_or(path);
        let source = match std::fs::read(path) {
            Ok(source) => source,
            Err(e) => {
                eprintln!("brine: cannot read '{path}': {e}");
                return;
            }
        };
        match brine_frontend::compile_named(&source, path, &mut self.session.program.module) {
            Ok(script) => {
                self.session.execute(script);
            }
            Err(diagnostics) => driver::print_diagnostics(path, &source, &diagnostics),
        }
    }

    /// `:ir CODE` and `:asm CODE`: compiles CODE as an entry, without
    /// running it, and prints its script and the functions it declares.
    /// CODE compiles as an entry on a terminal does (a bare expression
    /// prints its value), whether or not this one is.
    ///
    /// If CODE is the first code of the session to use the standard
    /// library, the library is compiled with it, and its script (which
    /// CODE's script would have run first) runs now: later entries expect
    /// the library defined.
    fn show(&mut self, code: &str, asm: bool) {
        let had_library = self.session.program.module.library.is_some();
        let name = self.next_name();
        let compiled =
            brine_frontend::compile_entry(code.as_bytes(), &name, &mut self.session.program.module);
        let script = match compiled {
            Ok(entry) => entry.script,
            Err(diagnostics) => return driver::print_diagnostics(&name, code.as_bytes(), &diagnostics),
        };
        if let (false, Some(library)) = (had_library, self.session.program.module.library) {
            self.session.execute(library);
        }
        let module = &self.session.program.module;
        let functions = script.index()..module.functions.len();
        let text = if asm {
            brine_tier::emit_session_functions(&mut self.session, brine_tier::Stage::Asm, functions)
        } else {
            Ok(functions
                .map(|i| brine_ir::printer::print_function_text(module, brine_ir::FuncId::new(i)))
                .collect::<Vec<_>>()
                .join("\n"))
        };
        match text {
            Ok(text) => print_out(&text),
            Err(e) => eprintln!("brine: internal error: {e}"),
        }
    }
}

/// The text of `:help`.
fn help() -> String {
    let mut out =
        String::from("Enter Lox declarations and statements; a bare expression prints its value.\n");
    out.push_str("An unclosed '{' or '(' continues the entry on the next line. Commands:\n");
    for (name, argument, what) in COMMANDS {
        out.push_str(&format!("  {:<14} {what}\n", format!("{name}{argument}")));
    }
    out.push_str("Tab completes names; Ctrl-C drops the entry being typed; Ctrl-D ends the session.\n");
    out
}

/// Writes `text` to standard output, with a final newline.
fn print_out(text: &str) {
    let mut out = std::io::stdout().lock();
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    let _ = write!(out, "{text}{newline}").and_then(|_| out.flush());
}

/// The names of the globals the runtime has defined (natives included),
/// less the standard library's private ones (`$len`).
fn defined_globals(rt: &Runtime) -> BTreeSet<String> {
    rt.globals
        .iter()
        .zip(&rt.global_names)
        .filter(|(value, _)| !value.is_undef())
        .filter_map(|(_, &name)| rt.str_bytes(name))
        .filter(|name| !name.starts_with(b"$"))
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .collect()
}

fn update_globals(editor: &mut Editor<LoxHelper, DefaultHistory>, rt: &Runtime) {
    if let Some(helper) = editor.helper_mut() {
        helper.globals = defined_globals(rt);
    }
}

/// Completion and colour for the line editor.
struct LoxHelper {
    /// Colour the line (standard output is a terminal).
    color: bool,
    /// Natives and extension names, coloured as such.
    builtins: BTreeSet<String>,
    /// The globals defined so far, natives included, for completion.
    globals: BTreeSet<String>,
    /// For `:load FILE`.
    files: FilenameCompleter,
}

impl Helper for LoxHelper {}
impl Validator for LoxHelper {}
impl Hinter for LoxHelper {
    type Hint = String;
}

impl Completer for LoxHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        if before.starts_with(":load ") {
            return self.files.complete(line, pos, ctx);
        }
        if before.starts_with(':') && !before.contains(char::is_whitespace) {
            let names = COMMANDS.iter().map(|c| c.0).filter(|c| c.starts_with(before));
            return Ok((0, names.map(pair).collect()));
        }
        Ok(complete_word(before, &self.globals))
    }
}

fn pair(name: &str) -> Pair {
    Pair { display: name.to_string(), replacement: name.to_string() }
}

/// Completions of the word that ends `before` (the line up to the cursor)
/// among the keywords and `globals`: where the word starts, and the
/// candidates, sorted. No word, or a property name (after a `.`): none.
fn complete_word(before: &str, globals: &BTreeSet<String>) -> (usize, Vec<Pair>) {
    let start = before.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
    let word = &before[start..];
    if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit()) || before[..start].ends_with('.') {
        return (start, Vec::new());
    }
    let names: BTreeSet<&str> = KEYWORDS
        .iter()
        .copied()
        .chain(globals.iter().map(String::as_str))
        .filter(|name| name.starts_with(word))
        .collect();
    (start, names.into_iter().map(pair).collect())
}

impl Highlighter for LoxHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.color { Cow::Owned(highlight(line, &self.builtins)) } else { Cow::Borrowed(line) }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

const KEYWORD: &str = "\x1b[1;35m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[33m";
const COMMENT: &str = "\x1b[90m";
const BUILTIN: &str = "\x1b[36m";
const COMMAND: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// `line` with ANSI colours, as the front end's scanner sees it: keywords,
/// strings, numbers, comments, natives and extension names (`builtins`);
/// a `:` command's name is bold and the code after it coloured as Lox.
/// Only colour codes are added: the text shows as wide as `line`.
pub fn highlight(line: &str, builtins: &BTreeSet<String>) -> String {
    if let Some(command) = line.strip_prefix(':') {
        let end = command.find(char::is_whitespace).map_or(line.len(), |i| i + 1);
        return format!("{COMMAND}{}{RESET}{}", &line[..end], highlight(&line[end..], builtins));
    }
    let (tokens, _) = scanner::scan(line.as_bytes());
    let mut out = String::with_capacity(line.len() * 2);
    let mut done = 0;
    for token in tokens.iter().filter(|t| t.kind != TokenKind::Eof) {
        // A token's lexeme is a slice of the line, after the last one.
        let start = (token.lexeme.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
        let end = start.wrapping_add(token.lexeme.len());
        if !(done <= start && start <= end && line.get(start..end).is_some()) {
            return line.to_string();
        }
        gap(&line[done..start], &mut out);
        let text = &line[start..end];
        let colour = match token.kind {
            TokenKind::String => Some(STRING),
            TokenKind::Number => Some(NUMBER),
            TokenKind::Identifier if builtins.contains(text) => Some(BUILTIN),
            kind if is_keyword(kind) => Some(KEYWORD),
            _ => None,
        };
        match colour {
            Some(colour) => out.push_str(&format!("{colour}{text}{RESET}")),
            None => out.push_str(text),
        }
        done = end;
    }
    gap(&line[done..], &mut out);
    out
}

fn is_keyword(kind: TokenKind) -> bool {
    use TokenKind::*;
    matches!(
        kind,
        And | Class
            | Else
            | False
            | For
            | Fun
            | If
            | Nil
            | Or
            | Print
            | Return
            | Super
            | This
            | True
            | Var
            | While
    )
}

/// Text between two tokens: blanks, comments, bytes that start no token,
/// or an unterminated string (to the end).
fn gap(text: &str, out: &mut String) {
    let mut rest = text;
    while !rest.is_empty() {
        let comment = rest.find("//");
        let string = rest.find('"');
        match (comment, string) {
            (Some(c), s) if s.is_none_or(|s| c < s) => {
                let end = rest[c..].find('\n').map_or(rest.len(), |n| c + n);
                out.push_str(&format!("{}{COMMENT}{}{RESET}", &rest[..c], &rest[c..end]));
                rest = &rest[end..];
            }
            (_, Some(s)) => {
                out.push_str(&format!("{}{STRING}{}{RESET}", &rest[..s], &rest[s..]));
                rest = "";
            }
            _ => {
                out.push_str(rest);
                rest = "";
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_braces_continue() {
        assert!(is_incomplete("fun f() {\n"));
        assert!(is_incomplete("print (1 +\n"));
        assert!(is_incomplete("var s = \"abc\n"));
        assert!(!is_incomplete("fun f() { print 1; }\n"));
        assert!(!is_incomplete("print \"{\";\n"));
        assert!(!is_incomplete("print 1; // {\n"));
    }

    fn builtins() -> BTreeSet<String> {
        ["clock", "brine"].into_iter().map(String::from).collect()
    }

    /// The text without its colour codes.
    fn plain(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                chars.by_ref().find(|&c| c == 'm');
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn highlighting_colours_each_kind_of_token() {
        let line = "var x = \"s\" + 12.5; // note";
        let coloured = highlight(line, &builtins());
        assert_eq!(
            coloured,
            format!(
                "{KEYWORD}var{RESET} x = {STRING}\"s\"{RESET} + {NUMBER}12.5{RESET}; {COMMENT}// note{RESET}"
            )
        );
        let call = highlight("print clock() + brine.x + y", &builtins());
        assert_eq!(
            call,
            format!("{KEYWORD}print{RESET} {BUILTIN}clock{RESET}() + {BUILTIN}brine{RESET}.x + y")
        );
    }

    #[test]
    fn highlighting_keeps_the_text() {
        for line in [
            "",
            "  fun f(a) { return a; }",
            "print \"unterminated // x",
            "@ # é",
            ":ir 1 + 2",
            "a // b \"c\"",
            ":help",
        ] {
            assert_eq!(plain(&highlight(line, &builtins())), line);
        }
        assert_eq!(highlight(":ir nil", &builtins()), format!("{COMMAND}:ir{RESET} {KEYWORD}nil{RESET}"));
        assert_eq!(highlight("\"abc", &builtins()), format!("{STRING}\"abc{RESET}"));
    }

    #[test]
    fn completion_of_the_word_before_the_cursor() {
        let globals: BTreeSet<String> =
            ["clock", "counter", "cat", "fib"].into_iter().map(String::from).collect();
        let names = |before: &str| {
            let (start, pairs) = complete_word(before, &globals);
            (start, pairs.into_iter().map(|p| p.replacement).collect::<Vec<_>>())
        };
        assert_eq!(names("print co"), (6, vec!["counter".to_string()]));
        assert_eq!(
            names("c"),
            (0, vec!["cat".to_string(), "class".to_string(), "clock".to_string(), "counter".to_string()])
        );
        assert_eq!(
            names("x = f"),
            (4, vec!["false".to_string(), "fib".to_string(), "for".to_string(), "fun".to_string()])
        );
        assert_eq!(names("print "), (6, vec![]));
        assert_eq!(names("o.co"), (2, vec![]));
    }

    #[test]
    fn commands_are_listed_by_help() {
        let text = help();
        for (name, _, _) in COMMANDS {
            assert!(text.contains(name), "{text}");
        }
    }
}
