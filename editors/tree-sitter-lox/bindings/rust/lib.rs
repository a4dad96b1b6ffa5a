//! The tree-sitter grammar of Lox with Brine's extensions, as a Rust crate:
//! the generated parser (src/parser.c, from grammar.js) and the highlight
//! query (queries/highlights.scm).
//!
//! It owns the grammar's syntax trees and captures only. It must not know
//! Brine's front end: the grammar is written from Lox's syntax, and the
//! tests compare it with the front end, never the other way round.
//!
//! ```
//! let mut parser = tree_sitter::Parser::new();
//! parser.set_language(&tree_sitter_lox::language()).unwrap();
//! let tree = parser.parse("print [1, 2][0] % 2;", None).unwrap();
//! assert!(!tree.root_node().has_error());
//! ```

use tree_sitter::Language;

unsafe extern "C" {
    fn tree_sitter_lox() -> *const ();
}

/// The grammar's language function, for crates that use
/// `tree-sitter-language` rather than a `tree-sitter` runtime.
// SAFETY: `tree_sitter_lox` is the language function that src/parser.c
// (compiled by build.rs) defines: it takes nothing and returns a pointer
// to the static `TSLanguage` of this grammar, which is what `from_raw`
// requires.
pub const LANGUAGE: tree_sitter_language::LanguageFn =
    unsafe { tree_sitter_language::LanguageFn::from_raw(tree_sitter_lox) };

/// The grammar, for `tree_sitter::Parser::set_language`.
pub fn language() -> Language {
    LANGUAGE.into()
}

/// The highlight query (queries/highlights.scm).
pub const HIGHLIGHTS_QUERY: &str = include_str!("../../queries/highlights.scm");

/// The node types of the grammar (src/node-types.json).
pub const NODE_TYPES: &str = include_str!("../../src/node-types.json");
