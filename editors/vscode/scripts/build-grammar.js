// Builds syntaxes/lox.tmLanguage.json, the TextMate grammar of Lox with
// Brine's extensions: `node scripts/build-grammar.js` rewrites it. Edit
// the grammar here; test/package.test.js checks the JSON is up to date.
"use strict";

const NB = "(?<![A-Za-z0-9_$])";
const NA = "(?![A-Za-z0-9_$])";
const KEYWORDS = ["and","class","else","false","for","fun","if","nil","or","print","return","super","this","true","var","while"];
const NOT_KW = `(?!(?:${KEYWORDS.join("|")})${NA})`;
// An identifier: ASCII letters, digits and `_`; `$` too, as the standard
// library (lib/*.lox) writes its own names, but never `$` alone.
const IDENT = `(?:[A-Za-z_]|\\$(?=[A-Za-z0-9_$]))[A-Za-z0-9_$]*`;
const NAME = `${NB}${NOT_KW}${IDENT}`;
const NATIVES = ["clock","len","substr","indexOf","ord","chr","str","num","upper","lower","trim","split","args","floor","ceil","round","sqrt","abs","min","max","pow","hash","readLine","readFile","writeFile","eprint","exit","getc","print_error","read","utf","printerr"];
const INTRINSICS = ["freeze","specializeValue","specialize","pushContext","updateContext","popContext","readReg","writeReg"];
const kw = (words, name) => ({ match: `${NB}(?:${words.join("|")})${NA}`, name });

const g = {
  name: "Lox",
  scopeName: "source.lox",
  fileTypes: ["lox"],
  comment: "Lox (Crafting Interpreters) with Brine's extensions: `%`, list syntax `[a, b]` / `xs[i]`, the `brine.*` intrinsics, the natives and List/Map of the standard library. Lexical rules follow crates/brine-frontend/src/scanner.rs.",
  patterns: [{ include: "#statements" }],
  repository: {
    statements: { patterns: [
      { include: "#comment" }, { include: "#string" },
      { include: "#class-declaration" }, { include: "#function-declaration" }, { include: "#var-declaration" },
      { include: "#keywords" },
      { include: "#brine-intrinsic" }, { include: "#library-class" }, { include: "#native" },
      { include: "#function-call" }, { include: "#property" },
      { include: "#number" }, { include: "#operator" },
      { include: "#block" }, { include: "#punctuation" },
      { include: "#identifier" }, { include: "#illegal" },
    ] },
    lexical: { comment: "Every token, without declarations: the fallback inside declarations, so that any input gets the scopes of its tokens.", patterns: [
      { include: "#comment" }, { include: "#string" }, { include: "#keywords" }, { include: "#number" },
      { include: "#operator" }, { include: "#punctuation" }, { include: "#braces" },
      { include: "#identifier" }, { include: "#illegal" },
    ] },
    comment: { match: "(//).*", name: "comment.line.double-slash.lox", captures: { 1: { name: "punctuation.definition.comment.lox" } } },
    string: { comment: "Lox strings have no escapes and may span lines.", begin: "\"", end: "\"", name: "string.quoted.double.lox",
      beginCaptures: { 0: { name: "punctuation.definition.string.begin.lox" } },
      endCaptures: { 0: { name: "punctuation.definition.string.end.lox" } } },
    number: { comment: "Digits with an optional fraction: no leading or trailing `.`, no exponent.", match: "[0-9]+(?:\\.[0-9]+)?", name: "constant.numeric.decimal.lox" },
    keywords: { patterns: [
      kw(["if","else"], "keyword.control.conditional.lox"),
      kw(["for","while"], "keyword.control.loop.lox"),
      kw(["return"], "keyword.control.flow.return.lox"),
      kw(["and","or"], "keyword.operator.logical.word.lox"),
      kw(["print"], "keyword.other.print.lox"),
      kw(["var"], "storage.type.var.lox"),
      kw(["fun"], "storage.type.function.lox"),
      kw(["class"], "storage.type.class.lox"),
      kw(["true"], "constant.language.boolean.true.lox"),
      kw(["false"], "constant.language.boolean.false.lox"),
      kw(["nil"], "constant.language.nil.lox"),
      kw(["this"], "variable.language.this.lox"),
      kw(["super"], "variable.language.super.lox"),
    ] },
    "class-declaration": {
      begin: `${NB}(class)${NA}\\s*(${NAME})?`,
      beginCaptures: { 1: { name: "storage.type.class.lox" }, 2: { name: "entity.name.type.class.lox" } },
      end: "(?<=\\})|(?=;)",
      name: "meta.class.lox",
      patterns: [
        { include: "#comment" },
        { match: `(<)\\s*(${NAME})?`, captures: { 1: { name: "punctuation.separator.inheritance.lox" }, 2: { name: "entity.other.inherited-class.lox" } } },
        { include: "#class-body" },
        { include: "#lexical" },
      ],
    },
    "class-body": {
      begin: "\\{", end: "\\}", name: "meta.class.body.lox",
      beginCaptures: { 0: { name: "punctuation.section.class.begin.lox" } },
      endCaptures: { 0: { name: "punctuation.section.class.end.lox" } },
      patterns: [
        { include: "#comment" }, { include: "#keywords" },
        { include: "#method-declaration" }, { include: "#block" },
        { include: "#lexical" },
      ],
    },
    "method-declaration": {
      begin: `(${NAME})\\s*(?=\\()`,
      beginCaptures: { 1: { name: "entity.name.function.method.lox" } },
      end: "(?<=\\))|(?=[;{}])",
      name: "meta.function.method.lox",
      patterns: [{ include: "#parameters" }],
    },
    "function-declaration": {
      begin: `${NB}(fun)${NA}\\s*(${NAME})?`,
      beginCaptures: { 1: { name: "storage.type.function.lox" }, 2: { name: "entity.name.function.lox" } },
      end: "(?<=\\))|(?=[;{}])",
      name: "meta.function.lox",
      patterns: [
        { include: "#comment" }, { include: "#parameters" }, { include: "#keywords" },
        { match: NAME, name: "entity.name.function.lox" },
        { include: "#lexical" },
      ],
    },
    parameters: {
      begin: "\\(", end: "\\)|(?=[;{}])", name: "meta.parameters.lox",
      comment: "A parameter list also ends before a brace or a semicolon, so that an unclosed one does not take the rest of the file.",
      beginCaptures: { 0: { name: "punctuation.definition.parameters.begin.lox" } },
      endCaptures: { 0: { name: "punctuation.definition.parameters.end.lox" } },
      patterns: [
        { include: "#comment" }, { include: "#keywords" },
        { match: NAME, name: "variable.parameter.lox" },
        { match: ",", name: "punctuation.separator.parameter.lox" },
        { include: "#lexical" },
      ],
    },
    "var-declaration": {
      match: `${NB}(var)${NA}\\s*(${NAME})?`,
      captures: { 1: { name: "storage.type.var.lox" }, 2: { name: "variable.other.definition.lox" } },
    },
    "brine-intrinsic": { patterns: [
      { comment: "A direct call of a brine intrinsic (lib/brine.lox, DESIGN.md section 9).",
        match: `${NB}(brine)\\s*(\\.)\\s*(${INTRINSICS.join("|")})${NA}`,
        captures: { 1: { name: "support.variable.brine.lox" }, 2: { name: "punctuation.accessor.lox" }, 3: { name: "support.function.brine.lox" } } },
      { match: `${NB}brine${NA}`, name: "support.variable.brine.lox" },
    ] },
    "library-class": { match: `${NB}(?:List|Map)${NA}`, name: "support.class.lox" },
    native: { comment: "The natives of crates/brine-runtime/src/natives.rs.", match: `${NB}(?:${NATIVES.join("|")})${NA}`, name: "support.function.builtin.lox" },
    "function-call": {
      match: `(${NAME})\\s*(?=\\()`,
      captures: { 1: { name: "entity.name.function.call.lox" } },
    },
    property: { patterns: [
      { match: `(\\.)\\s*(${NAME})(?=\\s*\\()`, captures: { 1: { name: "punctuation.accessor.lox" }, 2: { name: "entity.name.function.method.call.lox" } } },
      { match: `(\\.)\\s*(${NAME})`, captures: { 1: { name: "punctuation.accessor.lox" }, 2: { name: "variable.other.property.lox" } } },
    ] },
    operator: { patterns: [
      { match: "==|!=|<=|>=|<|>", name: "keyword.operator.comparison.lox" },
      { match: "=", name: "keyword.operator.assignment.lox" },
      { match: "!", name: "keyword.operator.logical.lox" },
      { match: "[-+*/%]", name: "keyword.operator.arithmetic.lox" },
    ] },
    punctuation: { patterns: [
      { match: ";", name: "punctuation.terminator.statement.lox" },
      { match: ",", name: "punctuation.separator.comma.lox" },
      { match: "\\.", name: "punctuation.accessor.lox" },
      { match: "\\(", name: "punctuation.section.parens.begin.lox" },
      { match: "\\)", name: "punctuation.section.parens.end.lox" },
      { match: "\\[", name: "punctuation.section.brackets.begin.lox" },
      { match: "\\]", name: "punctuation.section.brackets.end.lox" },
    ] },
    block: {
      begin: "\\{", end: "\\}", name: "meta.block.lox",
      beginCaptures: { 0: { name: "punctuation.section.block.begin.lox" } },
      endCaptures: { 0: { name: "punctuation.section.block.end.lox" } },
      patterns: [{ include: "#statements" }],
    },
    braces: { comment: "A brace outside statements (an unbalanced one, or one in a declaration's header).", patterns: [
      { match: "\\{", name: "punctuation.section.block.begin.lox" },
      { match: "\\}", name: "punctuation.section.block.end.lox" },
    ] },
    identifier: { match: IDENT, name: "variable.other.lox" },
    illegal: { comment: "Any other character is an \"Unexpected character.\" error (Lox's white space is space, tab, CR and LF).", match: "[^ \\t\\r\\n]", name: "invalid.illegal.character.lox" },
  },
};
const json = JSON.stringify(g, null, 2) + "\n";
if (require.main === module) {
  require("node:fs").writeFileSync(require("node:path").join(__dirname, "..", "syntaxes", "lox.tmLanguage.json"), json);
}
module.exports = { json };
