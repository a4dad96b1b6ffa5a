//! `brine-diagnostics`: how errors are shown to a person (DESIGN.md
//! section 11), by the `brine` command and by built executables alike.
//!
//! The classic format is clox's and jlox's, byte for byte, because test
//! suites depend on it. The rich format shows, through
//! `codespan-reporting`, the source line with a span underlined (the token
//! of a compile error; the whole failing expression of a runtime error,
//! from its IR site), in colour on a terminal, and then the same facts the
//! classic format gives (its error line or its trace). Rich is the default
//! when stderr is a terminal.
//!
//! It owns the choice of format and the rendering. It must not know Lox
//! syntax (the front end's diagnostics are handed to [`render_excerpt`] as
//! a message and a span) or how code runs: a runtime error arrives as a
//! [`PendingError`], its site is located by the caller's source map.

use brine_ir::{SourceFile, Span};
use brine_runtime::PendingError;
use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Config, Styles, StylesWriter, termcolor};
use std::io::IsTerminal;

/// Which format errors are printed in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Style {
    /// A source excerpt with the span underlined.
    Rich,
    /// clox's and jlox's format, byte for byte.
    Classic,
}

impl std::str::FromStr for Style {
    type Err = String;
    fn from_str(s: &str) -> Result<Style, String> {
        match s {
            "rich" => Ok(Style::Rich),
            "classic" => Ok(Style::Classic),
            _ => Err(format!("diagnostics are 'rich' or 'classic', not '{s}'")),
        }
    }
}

/// A format, and whether in colour.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub style: Style,
    pub colour: bool,
}

impl Choice {
    pub const CLASSIC: Choice = Choice { style: Style::Classic, colour: false };

    /// `style` if given, else rich when stderr is a terminal. Colour only
    /// on a terminal, and not when `NO_COLOR` is set.
    pub fn detect(style: Option<Style>) -> Choice {
        let terminal = std::io::stderr().is_terminal();
        let style = style.unwrap_or(if terminal { Style::Rich } else { Style::Classic });
        let colour = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Choice { style, colour }
    }

    /// For a built executable, which takes no options of its own: the
    /// environment's `BRINE_DIAGNOSTICS=rich|classic` (anything else is
    /// ignored), else [`Choice::detect`].
    pub fn from_env() -> Choice {
        let style = std::env::var("BRINE_DIAGNOSTICS").ok().and_then(|v| v.parse().ok());
        Choice::detect(style)
    }
}

/// One error shown with an excerpt of `text` (called `name`): the message,
/// the span underlined with `label`, then `notes`. None when the text is
/// not UTF-8 or the span is not within it (spans are byte offsets, which
/// a lossy conversion would move): then the caller prints the classic form.
pub fn render_excerpt(
    name: &str,
    text: &[u8],
    span: Span,
    message: &str,
    label: &str,
    notes: &[String],
    colour: bool,
) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(text).ok()?;
    let range = span.range();
    if range.start > range.end || range.end > text.len() {
        return None;
    }
    let file = SimpleFile::new(name, text);
    let report = Report::error()
        .with_message(message)
        .with_labels(vec![Label::primary((), range).with_message(label)])
        .with_notes(notes.to_vec());
    let mut buffer = if colour { termcolor::Buffer::ansi() } else { termcolor::Buffer::no_color() };
    let styles = Styles::default();
    let mut writer = StylesWriter::new(&mut buffer, &styles);
    term::emit_to_write_style(&mut writer, &Config::default(), &file, &report).ok()?;
    Some(buffer.into_inner())
}

/// The text of a runtime error: rich shows the source of the innermost
/// frame's failing operation (its site, found by `locate`), then the
/// classic trace; classic (or a site it cannot show) is the reference
/// format. Internal errors are always classic.
pub fn render_runtime_error<'a>(
    error: &PendingError,
    locate: impl FnOnce(usize) -> Option<(&'a SourceFile, Span)>,
    choice: Choice,
) -> Vec<u8> {
    let classic = error.report();
    if choice.style == Style::Classic || error.internal {
        return classic.into_bytes();
    }
    let Some((file, span)) = error.site.and_then(|site| locate(site as usize)) else {
        return classic.into_bytes();
    };
    // The classic report without its first line (the message, which the
    // rich header shows).
    let trace: Vec<&str> = classic.lines().skip(1).collect();
    let notes = if trace.is_empty() { Vec::new() } else { vec![trace.join("\n")] };
    render_excerpt(&file.name, &file.text, span, &error.message, "", &notes, choice.colour)
        .unwrap_or_else(|| classic.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(site: Option<u32>) -> PendingError {
        PendingError {
            message: "Operands must be numbers.".into(),
            trace: vec!["[line 2] in f()".into(), "[line 4] in script".into()],
            internal: false,
            site,
        }
    }

    const RICH: Choice = Choice { style: Style::Rich, colour: false };

    #[test]
    fn rich_runtime_error_underlines_the_site_then_gives_the_trace() {
        let file =
            SourceFile { name: "r.lox".into(), text: b"fun f(x) {\n  return -x;\n}\nf(nil);\n".to_vec() };
        let text = render_runtime_error(
            &error(Some(7)),
            |site| (site == 7).then_some((&file, Span::new(20, 22))),
            RICH,
        );
        let text = String::from_utf8(text).unwrap();
        assert!(text.starts_with("error: Operands must be numbers.\n"), "{text}");
        assert!(text.contains("┌─ r.lox:2:10"), "{text}");
        assert!(text.contains("2 │   return -x;\n  │          ^^"), "{text}");
        assert!(text.ends_with("= [line 2] in f()\n    [line 4] in script\n\n"), "{text:?}");
    }

    #[test]
    fn classic_or_unlocatable_errors_are_the_reference_format() {
        let file = SourceFile { name: "r.lox".into(), text: b"print -nil;".to_vec() };
        let classic = "Operands must be numbers.\n[line 2] in f()\n[line 4] in script\n";
        let at = |_| Some((&file, Span::new(6, 10)));
        assert_eq!(render_runtime_error(&error(Some(0)), at, Choice::CLASSIC), classic.as_bytes());
        assert_eq!(render_runtime_error(&error(None), at, RICH), classic.as_bytes());
        assert_eq!(render_runtime_error(&error(Some(0)), |_| None, RICH), classic.as_bytes());
        // A span out of the text falls back too.
        assert_eq!(
            render_runtime_error(&error(Some(0)), |_| Some((&file, Span::new(6, 60))), RICH),
            classic.as_bytes()
        );
        let internal = PendingError { internal: true, ..error(Some(0)) };
        assert_eq!(render_runtime_error(&internal, at, RICH), internal.report().into_bytes());
    }

    #[test]
    fn colour_is_ansi_only_when_asked() {
        let plain = render_excerpt("a", b"x y", Span::new(2, 3), "m", "here", &[], false).unwrap();
        let coloured = render_excerpt("a", b"x y", Span::new(2, 3), "m", "here", &[], true).unwrap();
        assert!(!plain.contains(&0x1b) && coloured.contains(&0x1b));
        assert_eq!(render_excerpt("a", b"\xff y", Span::new(2, 3), "m", "", &[], false), None);
    }

    #[test]
    fn styles_parse() {
        assert_eq!("rich".parse(), Ok(Style::Rich));
        assert_eq!("classic".parse(), Ok(Style::Classic));
        assert!("fancy".parse::<Style>().is_err());
    }
}
