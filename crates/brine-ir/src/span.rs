//! Where in the source code an IR site came from: byte spans, and the
//! sources a module was compiled from.
//!
//! The front end records, for every dynamic operation, the byte range of the
//! expression it was lowered from ([`Site::at`](crate::Site::at)), so that a
//! diagnostic can show and underline the code, not just name its line. The
//! IR's text format does not carry spans (they are debug information, as
//! DWARF is to machine code); the binary encoding does.

/// A byte range `start..end` of one source text.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const fn new(start: u32, end: u32) -> Span {
        Span { start, end }
    }
    /// The span from `self`'s start to `other`'s end (or the reverse, if
    /// `other` comes first): the whole of two spans and what lies between.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
    pub fn len(self) -> u32 {
        self.end.saturating_sub(self.start)
    }
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Index of a source in [`Module::sources`](crate::Module::sources).
pub type SourceIndex = u32;

/// One source text compiled into a module: a file, a REPL entry, or the
/// standard library (whose text is not kept: its frames are never shown).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceFile {
    /// What a diagnostic calls it: a path, or `<repl:3>`.
    pub name: String,
    pub text: Vec<u8>,
}

/// A span of one of a module's sources.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SourceSpan {
    pub source: SourceIndex,
    pub span: Span,
}
