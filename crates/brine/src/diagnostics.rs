//! How compile and runtime errors are shown (DESIGN.md section 11).
//!
//! The classic format is clox's and jlox's, byte for byte, because test
//! suites depend on it: `[line N] Error at 'x': message` for a compile
//! error, the message and `[line N] in f()` lines for a runtime error. The
//! rich format adds, through `codespan-reporting`, the source line with
//! the span of the token (or the whole failing expression) underlined, in
//! colour on a terminal. Rich is the default when stderr is a terminal;
//! `--diagnostics=rich|classic` chooses. Both carry the same facts: the
//! rich one shows the classic trace lines too.

use brine_frontend::{Diagnostic, Location};
use brine_ir::Module;
use brine_runtime::PendingError;
use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config, Styles, StylesWriter, termcolor};
use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

/// Which format errors are printed in.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    /// A source excerpt with the span underlined (in colour on a terminal).
    Rich,
    /// clox's and jlox's format, byte for byte.
    Classic,
}

/// The process's choice: rich, and whether in colour.
static CHOICE: OnceLock<(Style, bool)> = OnceLock::new();

/// Chooses the format for the rest of the process: `style` if given, else
/// rich when stderr is a terminal. Colour only on a terminal, and not when
/// `NO_COLOR` is set.
pub fn choose(style: Option<Style>) {
    let terminal = std::io::stderr().is_terminal();
    let style = style.unwrap_or(if terminal { Style::Rich } else { Style::Classic });
    let colour = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = CHOICE.set((style, colour));
}

fn choice() -> (Style, bool) {
    *CHOICE.get_or_init(|| (Style::Classic, false))
}

/// Prints the compile errors of `source` (called `name`).
pub fn print_compile_errors(name: &str, source: &[u8], diagnostics: &[Diagnostic]) {
    let text = render_compile_errors(name, source, diagnostics, choice());
    write_stderr(&text);
}

/// Prints a runtime error of a program of `module`.
pub fn print_runtime_error(module: &Module, error: &PendingError) {
    let text = render_runtime_error(module, error, choice());
    write_stderr(&text);
}

fn write_stderr(text: &[u8]) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text).and_then(|_| err.flush());
}

/// The text of compile errors in format `style`, with colour if asked.
/// A source that is not UTF-8 is shown in the classic format (spans are
/// byte offsets, which a lossy conversion would move).
pub fn render_compile_errors(
    name: &str,
    source: &[u8],
    diagnostics: &[Diagnostic],
    (style, colour): (Style, bool),
) -> Vec<u8> {
    let mut out = Vec::new();
    let file = std::str::from_utf8(source).ok().map(|text| SimpleFile::new(name, text));
    for d in diagnostics {
        let rich = match (&file, d.span, style) {
            (Some(file), Some(span), Style::Rich) => {
                let label = match &d.location {
                    Location::End => "at the end",
                    Location::Token(_) | Location::Line => "here",
                };
                let report = Report::error()
                    .with_message(&d.message)
                    .with_labels(vec![Label::primary((), span.range()).with_message(label)])
                    .with_notes(vec![d.to_string()]);
                emit(file, &report, colour)
            }
            _ => None,
        };
        match rich {
            Some(text) => out.extend_from_slice(&text),
            None => out.extend_from_slice(format!("{d}\n").as_bytes()),
        }
    }
    out
}

/// The text of a runtime error in format `style`: rich shows the source of
/// the innermost frame's failing operation, then the classic trace.
pub fn render_runtime_error(
    module: &Module,
    error: &PendingError,
    (style, colour): (Style, bool),
) -> Vec<u8> {
    let classic = error.report();
    if style == Style::Classic || error.internal {
        return classic.into_bytes();
    }
    let located = error.site.and_then(|site| {
        let (file, span) = module.site_source(brine_ir::SiteId::new(site as usize))?;
        let text = std::str::from_utf8(&file.text).ok()?;
        Some((SimpleFile::new(file.name.as_str(), text), span))
    });
    let Some((file, span)) = located else { return classic.into_bytes() };
    // The classic report without its first line (the message, which the
    // rich header shows).
    let trace: Vec<&str> = classic.lines().skip(1).collect();
    let report = Report::error()
        .with_message(&error.message)
        .with_labels(vec![Label::primary((), span.range())])
        .with_notes(vec![trace.join("\n")]);
    match emit(&file, &report, colour) {
        Some(text) => text,
        None => classic.into_bytes(),
    }
}

/// `report` rendered against `file`; None if it cannot be (a span out of
/// the file: then the caller falls back to the classic format).
fn emit(file: &SimpleFile<&str, &str>, report: &Report<()>, colour: bool) -> Option<Vec<u8>> {
    let mut buffer = if colour { termcolor::Buffer::ansi() } else { termcolor::Buffer::no_color() };
    let styles = Styles::default();
    let config = Config::default();
    let mut writer = StylesWriter::new(&mut buffer, &styles);
    term::emit_to_write_style(&mut writer, &config, file, report).ok()?;
    Some(buffer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rich(source: &str) -> String {
        let diagnostics = brine_frontend::check(source.as_bytes()).map(|_| ()).expect_err("a compile error");
        let text = render_compile_errors("t.lox", source.as_bytes(), &diagnostics, (Style::Rich, false));
        String::from_utf8(text).unwrap()
    }

    #[test]
    fn compile_error_shows_the_line_and_underlines_the_token() {
        let text = rich("var a = 1;\nprint a +;\n");
        assert!(text.contains("error: Expect expression."), "{text}");
        assert!(text.contains("t.lox:2:10"), "{text}");
        assert!(text.contains("print a +;"), "{text}");
        // The caret is under the `;` (column 10).
        let caret = text.lines().find(|l| l.contains('^')).expect("a caret line");
        let bar = caret.find('│').expect("the gutter");
        assert_eq!(caret[bar..].find('^'), Some(" ".len() + 10 + "│".len() - 1), "{text}");
        // The classic line is kept as a note.
        assert!(text.contains("[line 2] Error at ';': Expect expression."), "{text}");
    }

    #[test]
    fn classic_is_byte_for_byte_the_reference_format() {
        let source = b"print 1 +;\nvar;\n";
        let diagnostics = brine_frontend::check(source).err().unwrap();
        let text = render_compile_errors("t.lox", source, &diagnostics, (Style::Classic, true));
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "[line 1] Error at ';': Expect expression.\n[line 2] Error at ';': Expect variable name.\n"
        );
    }

    #[test]
    fn error_at_end_points_past_the_last_token() {
        let text = rich("print 1");
        assert!(text.contains("t.lox:1:8"), "{text}");
        assert!(text.contains("at the end"), "{text}");
    }

    #[test]
    fn resolver_errors_have_spans() {
        let text = rich("fun f() {\n  var x = 1;\n  var x = 2;\n}\n");
        assert!(text.contains("t.lox:3:7"), "{text}");
        assert!(text.contains("Already a variable with this name in this scope."), "{text}");
        let text = rich("return 1;");
        assert!(text.contains("t.lox:1:1"), "{text}");
        assert!(text.lines().any(|l| l.ends_with("^^^^^^ here")), "{text}");
    }

    #[test]
    fn runtime_error_shows_the_failing_expression_then_the_trace() {
        let source = "var a = 1;\nfun f() {\n  return a + \"x\";\n}\nf();\n";
        let mut module = Module::new();
        brine_frontend::compile_named(source.as_bytes(), "r.lox", &mut module).unwrap();
        // The site of the addition: what the engines report for this error.
        let site = (0..module.sites.len())
            .find(|&i| {
                module
                    .site_source(brine_ir::SiteId::new(i))
                    .is_some_and(|(f, span)| &f.text[span.range()] == b"a + \"x\"")
            })
            .expect("the addition's site");
        let error = PendingError {
            message: "Operands must be two numbers or two strings.".into(),
            trace: vec!["[line 3] in f()".into(), "[line 5] in script".into()],
            internal: false,
            site: Some(site as u32),
        };
        let text = String::from_utf8(render_runtime_error(&module, &error, (Style::Rich, false))).unwrap();
        assert!(text.contains("error: Operands must be two numbers or two strings."), "{text}");
        assert!(text.contains("r.lox:3:10"), "{text}");
        assert!(text.contains("return a + \"x\";"), "{text}");
        assert!(text.contains("^^^^^^^"), "{text}");
        let trace = text.find("[line 3] in f()").expect("the trace");
        assert!(text[trace..].contains("[line 5] in script"), "{text}");
        // Classic: exactly the reference format.
        let classic = render_runtime_error(&module, &error, (Style::Classic, false));
        assert_eq!(
            String::from_utf8(classic).unwrap(),
            "Operands must be two numbers or two strings.\n[line 3] in f()\n[line 5] in script\n"
        );
        // No site: the classic text, even when rich is asked for.
        let unknown = PendingError { site: None, ..error };
        assert_eq!(
            render_runtime_error(&module, &unknown, (Style::Rich, false)),
            unknown.report().into_bytes()
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let source = b"print ;";
        let diagnostics = brine_frontend::check(source).err().unwrap();
        let plain = render_compile_errors("t.lox", source, &diagnostics, (Style::Rich, false));
        let coloured = render_compile_errors("t.lox", source, &diagnostics, (Style::Rich, true));
        assert!(!plain.contains(&0x1b));
        assert!(coloured.contains(&0x1b));
    }

    #[test]
    fn invalid_utf8_source_falls_back_to_classic() {
        let source = b"print \"\xff\" +;";
        let diagnostics = brine_frontend::check(source).err().unwrap();
        let text = render_compile_errors("t.lox", source, &diagnostics, (Style::Rich, false));
        assert_eq!(String::from_utf8(text).unwrap(), "[line 1] Error at ';': Expect expression.\n");
    }
}
