//! The scanner: source bytes to tokens, as jlox scans.
//!
//! The source is any byte sequence. Identifiers, numbers and operators are
//! ASCII; string literals may hold any byte but `"`, newlines included. A
//! byte that starts no token is an "Unexpected character." error (a whole
//! UTF-8 encoded character gets one error, not one per byte).

use crate::diag::Diagnostic;
use brine_ir::Span;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    // Punctuation.
    LeftParen,
    RightParen,
    LeftBrace,
    RightBrace,
    LeftBracket,
    RightBracket,
    Comma,
    Dot,
    Minus,
    Plus,
    Semicolon,
    Slash,
    Star,
    Percent,
    // Operators of one or two characters.
    Bang,
    BangEqual,
    Equal,
    EqualEqual,
    Greater,
    GreaterEqual,
    Less,
    LessEqual,
    // Literals.
    Identifier,
    String,
    Number,
    // Keywords.
    And,
    Class,
    Else,
    False,
    For,
    Fun,
    If,
    Nil,
    Or,
    Print,
    Return,
    Super,
    This,
    True,
    Var,
    While,
    /// Always the last token.
    Eof,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Token<'src> {
    pub kind: TokenKind,
    /// The token's text as written: a string's includes its quotes; empty
    /// for [`TokenKind::Eof`].
    pub lexeme: &'src [u8],
    /// The line the token ends on (for a string spanning lines, its last
    /// line, as in jlox and clox).
    pub line: u32,
    /// The byte offset of the lexeme in the source.
    pub start: u32,
}

impl Token<'_> {
    /// The bytes of the source the token covers.
    pub fn span(&self) -> Span {
        Span::new(self.start, self.start.saturating_add(self.lexeme.len() as u32))
    }
}

/// Scans the whole source. The tokens always end with one
/// [`TokenKind::Eof`]; characters in error are left out of them.
pub fn scan(source: &[u8]) -> (Vec<Token<'_>>, Vec<Diagnostic>) {
    scan_as(source, false)
}

/// Scans the source of the standard library (`lib/*.lox`), whose
/// identifiers may also contain `$`: the library's own names, which a
/// program cannot write.
pub fn scan_library(source: &[u8]) -> (Vec<Token<'_>>, Vec<Diagnostic>) {
    scan_as(source, true)
}

fn scan_as(source: &[u8], library: bool) -> (Vec<Token<'_>>, Vec<Diagnostic>) {
    let mut scanner =
        Scanner { source, start: 0, current: 0, line: 1, tokens: Vec::new(), errors: Vec::new(), library };
    while scanner.current < source.len() {
        scanner.start = scanner.current;
        scanner.scan_token();
    }
    // The end's span is right after the last token (where a missing `;`
    // goes), not after the whitespace and comments that follow it.
    let end = scanner.tokens.last().map_or(0, |t| t.span().end);
    scanner.tokens.push(Token { kind: TokenKind::Eof, lexeme: &[], line: scanner.line, start: end });
    (scanner.tokens, scanner.errors)
}

/// A byte offset as the tokens keep it. Sources over 4 GiB are not
/// supported; their offsets saturate.
fn offset(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

struct Scanner<'src> {
    source: &'src [u8],
    /// Start of the token being scanned.
    start: usize,
    /// Next byte to look at.
    current: usize,
    line: u32,
    tokens: Vec<Token<'src>>,
    errors: Vec<Diagnostic>,
    /// Scanning the standard library: `$` is a letter.
    library: bool,
}

impl<'src> Scanner<'src> {
    fn peek(&self) -> Option<u8> {
        self.source.get(self.current).copied()
    }

    fn peek_next(&self) -> Option<u8> {
        self.source.get(self.current + 1).copied()
    }

    /// Consumes the next byte if it is `expected`.
    fn eat(&mut self, expected: u8) -> bool {
        if self.peek() == Some(expected) {
            self.current += 1;
            true
        } else {
            false
        }
    }

    fn newline(&mut self) {
        self.line = self.line.saturating_add(1);
    }

    fn add(&mut self, kind: TokenKind) {
        let lexeme = &self.source[self.start..self.current];
        self.tokens.push(Token { kind, lexeme, line: self.line, start: offset(self.start) });
    }

    fn error(&mut self, message: &str) {
        let span = Span::new(offset(self.start), offset(self.current));
        self.errors.push(Diagnostic::at_line(self.line, message).with_span(span));
    }

    /// Scans one token (or skips whitespace or a comment) starting at
    /// `self.start`, which is before the end of the source.
    fn scan_token(&mut self) {
        use TokenKind::*;
        let Some(c) = self.peek() else { return };
        self.current += 1;
        match c {
            b'(' => self.add(LeftParen),
            b')' => self.add(RightParen),
            b'{' => self.add(LeftBrace),
            b'}' => self.add(RightBrace),
            b'[' => self.add(LeftBracket),
            b']' => self.add(RightBracket),
            b',' => self.add(Comma),
            b'.' => self.add(Dot),
            b'-' => self.add(Minus),
            b'+' => self.add(Plus),
            b';' => self.add(Semicolon),
            b'*' => self.add(Star),
            b'%' => self.add(Percent),
            b'!' => {
                let kind = if self.eat(b'=') { BangEqual } else { Bang };
                self.add(kind);
            }
            b'=' => {
                let kind = if self.eat(b'=') { EqualEqual } else { Equal };
                self.add(kind);
            }
            b'<' => {
                let kind = if self.eat(b'=') { LessEqual } else { Less };
                self.add(kind);
            }
            b'>' => {
                let kind = if self.eat(b'=') { GreaterEqual } else { Greater };
                self.add(kind);
            }
            b'/' => {
                if self.eat(b'/') {
                    // A comment runs to the end of the line.
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.current += 1;
                    }
                } else {
                    self.add(Slash);
                }
            }
            b' ' | b'\r' | b'\t' => {}
            b'\n' => self.newline(),
            b'"' => self.string(),
            b'0'..=b'9' => self.number(),
            c if is_alpha(c) || (self.library && c == b'$') => self.identifier(),
            c => {
                self.current = self.start + utf8_char_len(&self.source[self.start..], c);
                self.error("Unexpected character.");
            }
        }
    }

    fn string(&mut self) {
        loop {
            match self.peek() {
                None => {
                    self.error("Unterminated string.");
                    return;
                }
                Some(b'"') => break,
                Some(c) => {
                    if c == b'\n' {
                        self.newline();
                    }
                    self.current += 1;
                }
            }
        }
        // The closing quote.
        self.current += 1;
        self.add(TokenKind::String);
    }

    fn number(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.current += 1;
        }
        // A fractional part needs a digit after the dot.
        if self.peek() == Some(b'.') && self.peek_next().is_some_and(|c| c.is_ascii_digit()) {
            self.current += 1;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.current += 1;
            }
        }
        self.add(TokenKind::Number);
    }

    fn identifier(&mut self) {
        while self.peek().is_some_and(|c| is_alpha_numeric(c) || (self.library && c == b'$')) {
            self.current += 1;
        }
        let kind = keyword(&self.source[self.start..self.current]).unwrap_or(TokenKind::Identifier);
        self.add(kind);
    }
}

fn is_alpha(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_alpha_numeric(c: u8) -> bool {
    is_alpha(c) || c.is_ascii_digit()
}

fn keyword(lexeme: &[u8]) -> Option<TokenKind> {
    use TokenKind::*;
    Some(match lexeme {
        b"and" => And,
        b"class" => Class,
        b"else" => Else,
        b"false" => False,
        b"for" => For,
        b"fun" => Fun,
        b"if" => If,
        b"nil" => Nil,
        b"or" => Or,
        b"print" => Print,
        b"return" => Return,
        b"super" => Super,
        b"this" => This,
        b"true" => True,
        b"var" => Var,
        b"while" => While,
        _ => return None,
    })
}

/// The length of the character starting `rest` (whose first byte is
/// `first`): the length of its UTF-8 encoding if it is a valid one, else 1.
fn utf8_char_len(rest: &[u8], first: u8) -> usize {
    let len = match first {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return 1,
    };
    match rest.get(..len) {
        Some(bytes) if std::str::from_utf8(bytes).is_ok() => len,
        _ => 1,
    }
}

/// The value of a number token's lexeme.
pub(crate) fn number_value(lexeme: &[u8]) -> f64 {
    // A number lexeme is ASCII digits with an optional fractional part,
    // which always parses; NaN would only show a scanner bug.
    std::str::from_utf8(lexeme).ok().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::TokenKind::*;
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        let (tokens, errors) = scan(source.as_bytes());
        assert!(errors.is_empty(), "{errors:?}");
        tokens.iter().map(|t| t.kind).collect()
    }

    fn errors(source: &[u8]) -> Vec<std::string::String> {
        scan(source).1.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn punctuation_and_operators() {
        assert_eq!(
            kinds("(){},.-+;/* ! != = == < <= > >="),
            vec![
                LeftParen,
                RightParen,
                LeftBrace,
                RightBrace,
                Comma,
                Dot,
                Minus,
                Plus,
                Semicolon,
                Slash,
                Star,
                Bang,
                BangEqual,
                Equal,
                EqualEqual,
                Less,
                LessEqual,
                Greater,
                GreaterEqual,
                Eof
            ]
        );
        assert_eq!(kinds("!==="), vec![BangEqual, EqualEqual, Eof]);
        // Brine's remainder operator (DESIGN.md section 10).
        assert_eq!(kinds("a%b %"), vec![Identifier, Percent, Identifier, Percent, Eof]);
    }

    #[test]
    fn keywords_and_identifiers() {
        assert_eq!(
            kinds("and class else false for fun if nil or print return super this true var while"),
            vec![
                And, Class, Else, False, For, Fun, If, Nil, Or, Print, Return, Super, This, True, Var, While,
                Eof
            ]
        );
        let (tokens, _) = scan(b"andy _a1 Class classy fun_ a_b_c");
        assert!(tokens[..6].iter().all(|t| t.kind == Identifier));
        assert_eq!(tokens[0].lexeme, b"andy");
        assert_eq!(tokens[1].lexeme, b"_a1");
    }

    #[test]
    fn numbers() {
        let (tokens, errors) = scan(b"123 123.45 .5 5. 1.2.3");
        assert!(errors.is_empty());
        let got: Vec<(TokenKind, &[u8])> = tokens.iter().map(|t| (t.kind, t.lexeme)).collect();
        let want: Vec<(TokenKind, &[u8])> = vec![
            (Number, b"123"),
            (Number, b"123.45"),
            (Dot, b"."),
            (Number, b"5"),
            (Number, b"5"),
            (Dot, b"."),
            (Number, b"1.2"),
            (Dot, b"."),
            (Number, b"3"),
            (Eof, b""),
        ];
        assert_eq!(got, want);
        assert_eq!(number_value(b"123.45"), 123.45);
        assert_eq!(number_value(b"007"), 7.0);
    }

    #[test]
    fn strings_keep_quotes_in_the_lexeme_and_may_span_lines() {
        let (tokens, errors) = scan(b"\"ab\" \"a\nb\nc\" x");
        assert!(errors.is_empty());
        assert_eq!(tokens[0].kind, String);
        assert_eq!(tokens[0].lexeme, b"\"ab\"");
        assert_eq!(tokens[0].line, 1);
        assert_eq!(tokens[1].lexeme, b"\"a\nb\nc\"");
        assert_eq!(tokens[1].line, 3, "a string's line is its last line");
        assert_eq!(tokens[2].line, 3);
    }

    #[test]
    fn strings_may_hold_any_byte() {
        let (tokens, errors) = scan(b"\"\xff\x00\xc3\" ");
        assert!(errors.is_empty());
        assert_eq!(tokens[0].lexeme, b"\"\xff\x00\xc3\"");
    }

    #[test]
    fn lines_comments_and_whitespace() {
        let (tokens, errors) = scan(b"a // comment ( \" \n\tb\r\n\n// last");
        assert!(errors.is_empty());
        let got: Vec<(TokenKind, u32)> = tokens.iter().map(|t| (t.kind, t.line)).collect();
        assert_eq!(got, vec![(Identifier, 1), (Identifier, 2), (Eof, 4)]);
    }

    #[test]
    fn unexpected_characters() {
        assert_eq!(
            errors(b"a | b\n#"),
            vec!["[line 1] Error: Unexpected character.", "[line 2] Error: Unexpected character."]
        );
        // The characters in error are left out of the tokens.
        let (tokens, _) = scan(b"a | b");
        assert_eq!(tokens.len(), 3);
    }

    #[test]
    fn one_error_per_utf8_character_and_per_invalid_byte() {
        assert_eq!(errors("é".as_bytes()).len(), 1);
        assert_eq!(errors("😀".as_bytes()).len(), 1);
        assert_eq!(errors(b"\xff\xfe").len(), 2);
        // A truncated sequence: one error per byte.
        assert_eq!(errors(b"\xe2\x82").len(), 2);
        assert_eq!(errors(b"\x00\x0b\x0c").len(), 3);
    }

    #[test]
    fn unterminated_string_is_reported_on_its_last_line() {
        assert_eq!(errors(b"print \"abc\ndef\n"), vec!["[line 3] Error: Unterminated string."]);
        let (tokens, _) = scan(b"print \"abc");
        assert_eq!(tokens.iter().map(|t| t.kind).collect::<Vec<_>>(), vec![Print, Eof]);
    }

    #[test]
    fn empty_source() {
        let (tokens, errors) = scan(b"");
        assert!(errors.is_empty());
        assert_eq!(tokens.len(), 1);
        assert_eq!((tokens[0].kind, tokens[0].line), (Eof, 1));
    }
}
