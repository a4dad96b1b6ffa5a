//! How the `brine` command shows errors: the format is chosen once per
//! process (`--diagnostics`, else rich on a terminal) and rendered by
//! `brine-diagnostics`; this module turns the front end's diagnostics into
//! excerpts.

use brine_diagnostics::{Choice, Style};
use brine_frontend::{Diagnostic, Location};
use brine_ir::Module;
use brine_runtime::PendingError;
use std::io::Write;
use std::sync::OnceLock;

/// The `--diagnostics` values.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A source excerpt with the span underlined (in colour on a terminal).
    Rich,
    /// clox's and jlox's format, byte for byte.
    Classic,
}

/// The process's choice.
static CHOICE: OnceLock<Choice> = OnceLock::new();

/// Chooses the format for the rest of the process: `format` if given, else
/// rich when stderr is a terminal.
pub fn choose(format: Option<Format>) {
    let style = format.map(|f| match f {
        Format::Rich => Style::Rich,
        Format::Classic => Style::Classic,
    });
    let _ = CHOICE.set(Choice::detect(style));
}

fn choice() -> Choice {
    *CHOICE.get_or_init(|| Choice::CLASSIC)
}

/// Prints the compile errors of `source` (called `name`).
pub fn print_compile_errors(name: &str, source: &[u8], diagnostics: &[Diagnostic]) {
    write_stderr(&render_compile_errors(name, source, diagnostics, choice()));
}

/// Prints a runtime error of a program of `module` (a session's printer).
pub fn print_runtime_error(module: &Module, error: &PendingError) {
    let locate = |site| module.site_source(brine_ir::SiteId::new(site));
    write_stderr(&brine_diagnostics::render_runtime_error(error, locate, choice()));
}

fn write_stderr(text: &[u8]) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text).and_then(|_| err.flush());
}

/// The text of compile errors: each rich (the classic line as a note) when
/// chosen and it can be, else classic.
pub fn render_compile_errors(
    name: &str,
    source: &[u8],
    diagnostics: &[Diagnostic],
    choice: Choice,
) -> Vec<u8> {
    let mut out = Vec::new();
    for d in diagnostics {
        let label = match &d.location {
            Location::End => "at the end",
            Location::Token(_) | Location::Line => "here",
        };
        let rich = match (d.span, choice.style) {
            (Some(span), Style::Rich) => brine_diagnostics::render_excerpt(
                name,
                source,
                span,
                &d.message,
                label,
                &[d.to_string()],
                choice.colour,
            ),
            _ => None,
        };
        out.extend(rich.unwrap_or_else(|| format!("{d}\n").into_bytes()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RICH: Choice = Choice { style: Style::Rich, colour: false };

    fn rich(source: &str) -> String {
        let diagnostics = brine_frontend::check(source.as_bytes()).map(|_| ()).expect_err("a compile error");
        String::from_utf8(render_compile_errors("t.lox", source.as_bytes(), &diagnostics, RICH)).unwrap()
    }

    #[test]
    fn compile_error_shows_the_line_and_underlines_the_token() {
        let text = rich("var a = 1;\nprint a +;\n");
        assert!(text.starts_with("error: Expect expression.\n"), "{text}");
        assert!(text.contains("┌─ t.lox:2:10"), "{text}");
        assert!(text.contains("2 │ print a +;\n  │          ^ here"), "{text}");
        // The classic line is kept as a note.
        assert!(text.contains("= [line 2] Error at ';': Expect expression."), "{text}");
    }

    #[test]
    fn classic_is_byte_for_byte_the_reference_format() {
        let source = b"print 1 +;\nvar;\n";
        let diagnostics = brine_frontend::check(source).map(|_| ()).unwrap_err();
        let choice = Choice { style: Style::Classic, colour: true };
        assert_eq!(
            String::from_utf8(render_compile_errors("t.lox", source, &diagnostics, choice)).unwrap(),
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
    fn invalid_utf8_source_falls_back_to_classic() {
        let source = b"print \"\xff\" +;";
        let diagnostics = brine_frontend::check(source).map(|_| ()).unwrap_err();
        let text = render_compile_errors("t.lox", source, &diagnostics, RICH);
        assert_eq!(String::from_utf8(text).unwrap(), "[line 1] Error at ';': Expect expression.\n");
    }

    #[test]
    fn a_runtime_error_is_located_by_the_module_sites() {
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
        let locate = |site| module.site_source(brine_ir::SiteId::new(site));
        let text = String::from_utf8(brine_diagnostics::render_runtime_error(&error, locate, RICH)).unwrap();
        assert!(text.contains("r.lox:3:10"), "{text}");
        assert!(text.contains("3 │   return a + \"x\";\n  │          ^^^^^^^"), "{text}");
    }
}
