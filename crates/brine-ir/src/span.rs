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

/// What a built executable carries to show where a runtime error happened:
/// the module's sources and each site's span, without the code. It is
/// encoded with the module's binary encoding's serializer (postcard).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceMap {
    pub sources: Vec<SourceFile>,
    /// Indexed by site.
    pub sites: Vec<Option<SourceSpan>>,
}

impl SourceMap {
    pub fn of(module: &crate::Module) -> SourceMap {
        SourceMap { sources: module.sources.clone(), sites: module.sites.iter().map(|s| s.at).collect() }
    }
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("a source map always encodes")
    }
    /// None for bytes that are not an encoded source map.
    pub fn decode(bytes: &[u8]) -> Option<SourceMap> {
        postcard::from_bytes(bytes).ok()
    }
    /// The source and span of site number `site`, if known and its text
    /// was kept.
    pub fn locate(&self, site: usize) -> Option<(&SourceFile, Span)> {
        locate(&self.sources, self.sites.get(site).copied().flatten()?)
    }
}

/// The file and span of `at`, if its text covers the span.
pub(crate) fn locate(sources: &[SourceFile], at: SourceSpan) -> Option<(&SourceFile, Span)> {
    let file = sources.get(at.source as usize)?;
    (at.span.start <= at.span.end && at.span.end as usize <= file.text.len() && !file.text.is_empty())
        .then_some((file, at.span))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_map_round_trips_and_locates_sites() {
        let mut module = crate::Module::new();
        let lib = module.add_source("<library>", Vec::new());
        let file = module.add_source("a.lox", b"print 1 + x;".to_vec());
        module.add_site(1);
        module.add_site_at(1, SourceSpan { source: file, span: Span::new(6, 11) });
        module.add_site_at(1, SourceSpan { source: lib, span: Span::new(0, 3) });
        module.add_site_at(1, SourceSpan { source: file, span: Span::new(6, 99) });
        let map = SourceMap::decode(&SourceMap::of(&module).encode()).expect("decodes");
        assert_eq!(map, SourceMap::of(&module));
        assert_eq!(map.locate(0), None, "no span");
        let (f, span) = map.locate(1).expect("a span");
        assert_eq!((f.name.as_str(), &f.text[span.range()]), ("a.lox", &b"1 + x"[..]));
        assert_eq!(map.locate(2), None, "the library's text is not kept");
        assert_eq!(map.locate(3), None, "out of the text");
        assert_eq!(map.locate(4), None, "no such site");
        assert_eq!(SourceMap::decode(b"\xff\xff\xff"), None);
        for site in 0..5 {
            let id = crate::SiteId::new(site);
            if site < module.sites.len() {
                assert_eq!(module.site_source(id), map.locate(site));
            }
        }
    }
}
