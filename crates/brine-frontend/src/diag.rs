//! Compile-time diagnostics, rendered the way jlox and clox print them.

use brine_ir::Span;
use std::fmt;

/// Where on its line a diagnostic points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// Only a line: scanner errors (`[line 1] Error: Unexpected character.`).
    Line,
    /// The end of the source (`[line 1] Error at end: ...`).
    End,
    /// A token, by its lexeme (`[line 1] Error at 'x': ...`).
    Token(String),
}

/// One compile error.
///
/// `Display` renders the whole line, e.g.
/// `[line 3] Error at 'x': Expect ';' after value.`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub line: u32,
    pub location: Location,
    /// The bare message, e.g. `Expect ';' after value.`
    pub message: String,
    /// The bytes of the source it points at: the token, the characters in
    /// error, or an empty span at the end. Rich diagnostics underline it;
    /// the classic format does not show it.
    pub span: Option<Span>,
}

impl Diagnostic {
    pub fn new(line: u32, location: Location, message: impl Into<String>) -> Self {
        Diagnostic { line, location, message: message.into(), span: None }
    }

    /// The same diagnostic, pointing at `span`.
    pub fn with_span(self, span: Span) -> Self {
        Diagnostic { span: Some(span), ..self }
    }

    /// An error that points at a line only (the scanner's).
    pub fn at_line(line: u32, message: impl Into<String>) -> Self {
        Self::new(line, Location::Line, message)
    }

    /// An error at the end of the source.
    pub fn at_end(line: u32, message: impl Into<String>) -> Self {
        Self::new(line, Location::End, message)
    }

    /// An error at a token. The lexeme is raw source bytes; bytes that are
    /// not UTF-8 are shown as U+FFFD.
    pub fn at_token(line: u32, lexeme: &[u8], message: impl Into<String>) -> Self {
        let lexeme = String::from_utf8_lossy(lexeme).into_owned();
        Self::new(line, Location::Token(lexeme), message)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::Line => write!(f, "[line {}] Error: {}", self.line, self.message),
            Location::End => write!(f, "[line {}] Error at end: {}", self.line, self.message),
            Location::Token(lexeme) => {
                write!(f, "[line {}] Error at '{}': {}", self.line, lexeme, self.message)
            }
        }
    }
}

impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_location() {
        assert_eq!(
            Diagnostic::at_line(1, "Unexpected character.").to_string(),
            "[line 1] Error: Unexpected character."
        );
        assert_eq!(
            Diagnostic::at_end(2, "Expect expression.").to_string(),
            "[line 2] Error at end: Expect expression."
        );
        assert_eq!(
            Diagnostic::at_token(3, b"x", "Expect ';' after value.").to_string(),
            "[line 3] Error at 'x': Expect ';' after value."
        );
    }

    #[test]
    fn invalid_utf8_lexeme_is_shown_lossily() {
        let d = Diagnostic::at_token(1, b"\"\xff\"", "Expect expression.");
        assert_eq!(d.to_string(), "[line 1] Error at '\"\u{fffd}\"': Expect expression.");
    }
}
