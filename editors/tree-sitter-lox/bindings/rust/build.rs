//! Compiles the generated parser (src/parser.c, made by `tree-sitter
//! generate` from grammar.js and committed) into the crate.

fn main() {
    let src = std::path::Path::new("src");
    let parser = src.join("parser.c");
    cc::Build::new()
        .std("c11")
        .include(src)
        .file(&parser)
        // Generated code: its warnings are tree-sitter's, not ours.
        .warnings(false)
        .compile("tree-sitter-lox");
    println!("cargo:rerun-if-changed={}", parser.display());
    println!("cargo:rerun-if-changed={}", src.join("tree_sitter").join("parser.h").display());
}
