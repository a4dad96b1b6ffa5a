// Tests of syntaxes/lox.tmLanguage.json, tokenized as VS Code tokenizes
// (vscode-textmate over vscode-oniguruma):
// - every Lox file of the repository (tests/lox, lib, examples) agrees,
//   character by character, with a port of the scanner's lexical rules
//   (crates/brine-frontend/src/scanner.rs): each character is in a token
//   of the same kind (keyword, identifier, number, string, comment,
//   operator or punctuation, unexpected character) and tokens start at the
//   same characters; no line stops early, and a complete program (braces
//   balanced, ending with `;` or `}`) ends in the state it started in;
// - chosen tokens of a sample get the scopes themes color.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { tokenize, initialDepth } = require("../test-support/tokenize");

const REPO = path.join(__dirname, "..", "..", "..");

const KEYWORDS = new Set([
  "and", "class", "else", "false", "for", "fun", "if", "nil",
  "or", "print", "return", "super", "this", "true", "var", "while",
]);

const isDigit = (c) => c !== undefined && c >= "0" && c <= "9";

/**
 * The scanner's lexical rules, ported from scanner.rs: for each UTF-16
 * unit of `text`, the kind of token it is in ("ws" between tokens) and
 * whether a token starts there. `library`: `$` is a letter (lib/*.lox).
 * Also whether the text has an unterminated string, and whether it is
 * complete: its braces balance and it ends with a `;` or a `}`.
 */
function referenceScan(text, library) {
  const n = text.length;
  const kind = new Array(n).fill("ws");
  const start = new Array(n).fill(false);
  const isAlpha = (c) => c !== undefined && (/[A-Za-z_]/.test(c) || (library && c === "$"));
  const isAlphaNumeric = (c) => isAlpha(c) || isDigit(c);
  const mark = (from, to, k) => {
    start[from] = true;
    for (let j = from; j < to; j++) kind[j] = k;
  };
  let unterminated = false;
  let depth = 0;
  let balanced = true;
  let i = 0;
  while (i < n) {
    const c = text[i];
    if ("(){}[],.-+;*%".includes(c)) {
      if (c === "{") depth++;
      if (c === "}" && --depth < 0) balanced = false;
      mark(i, i + 1, "punct");
      i++;
    } else if ("!=<>".includes(c)) {
      const len = text[i + 1] === "=" ? 2 : 1;
      mark(i, i + len, "punct");
      i += len;
    } else if (c === "/") {
      if (text[i + 1] === "/") {
        let j = i;
        while (j < n && text[j] !== "\n") j++;
        mark(i, j, "comment");
        i = j;
      } else {
        mark(i, i + 1, "punct");
        i++;
      }
    } else if (c === " " || c === "\r" || c === "\t" || c === "\n") {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j++;
      if (j === n) unterminated = true;
      const end = Math.min(j + 1, n);
      mark(i, end, "string");
      i = end;
    } else if (isDigit(c)) {
      let j = i;
      while (isDigit(text[j])) j++;
      if (text[j] === "." && isDigit(text[j + 1])) {
        j++;
        while (isDigit(text[j])) j++;
      }
      mark(i, j, "number");
      i = j;
    } else if (isAlpha(c)) {
      let j = i;
      while (isAlphaNumeric(text[j])) j++;
      mark(i, j, KEYWORDS.has(text.slice(i, j)) ? "keyword" : "identifier");
      i = j;
    } else {
      // One error per character (a surrogate pair is one character).
      const len = text.codePointAt(i) > 0xffff ? 2 : 1;
      mark(i, i + len, "invalid");
      i += len;
    }
  }
  // A whole program ends with a `;` or a `}` (comments aside).
  let last = n - 1;
  while (last >= 0 && (kind[last] === "ws" || kind[last] === "comment")) last--;
  const complete = last >= 0 && kind[last] === "punct" && (text[last] === ";" || text[last] === "}");
  return { kind, start, unterminated, complete: complete && balanced && depth === 0 };
}

const KEYWORD_SCOPE = /^(keyword\.|storage\.type\.|constant\.language\.|variable\.language\.)/;
const IDENTIFIER_SCOPE = /^(variable\.other\.|variable\.parameter\.|entity\.name\.|entity\.other\.|support\.)/;
const SYMBOL_SCOPE = /^(keyword\.operator\.|punctuation\.)/;

/**
 * The kind the grammar gives character `c` in a token of `scopes`, in the
 * reference's terms; "unscoped" when no rule of the grammar covers it.
 */
function grammarKind(scopes, c) {
  const has = (prefix) => scopes.some((s) => s.startsWith(prefix));
  if (has("invalid.illegal.")) return "invalid";
  if (has("comment.")) return "comment";
  if (has("string.")) return "string";
  if (has("constant.numeric.")) return "number";
  if (c === " " || c === "\t" || c === "\r") return "ws";
  const innermost = scopes[scopes.length - 1];
  if (/[A-Za-z0-9_$]/.test(c)) {
    if (KEYWORD_SCOPE.test(innermost)) return "keyword";
    if (IDENTIFIER_SCOPE.test(innermost)) return "identifier";
    return "unscoped";
  }
  return SYMBOL_SCOPE.test(innermost) ? "punct" : "unscoped";
}

/** Whether the grammar starts a lexical token at this character. */
function grammarStart(token, index, kind) {
  const has = (prefix) => token.scopes.some((s) => s.startsWith(prefix));
  if (kind === "string") return index === token.start && has("punctuation.definition.string.begin");
  if (kind === "comment") return index === token.start && has("punctuation.definition.comment");
  return index === token.start;
}

/** Compares the grammar's tokens of `text` with the reference scanner's. */
async function checkAgainstScanner(text, library) {
  const ref = referenceScan(text, library);
  const { lines, state } = await tokenize(text);
  const problems = [];
  lines.forEach((line, lineIndex) => {
    if (line.stoppedEarly) problems.push(`line ${lineIndex + 1}: the tokenizer stopped early`);
    const covered = new Array(line.text.length).fill(false);
    for (const token of line.tokens) {
      for (let i = token.start; i < token.end; i++) {
        covered[i] = true;
        const at = line.offset + i;
        const c = line.text[i];
        const got = grammarKind(token.scopes, c);
        const gotStart = got !== "ws" && grammarStart(token, i, got);
        // The second unit of a surrogate pair is part of its character.
        const low = c >= "\udc00" && c <= "\udfff";
        if (got !== ref.kind[at] || (!low && gotStart !== ref.start[at])) {
          problems.push(
            `line ${lineIndex + 1} column ${i + 1} (${JSON.stringify(line.text.slice(Math.max(0, i - 10), i + 10))}):` +
              ` grammar ${got}${gotStart ? " (start)" : ""} [${token.scopes.slice(1).join(" ")}],` +
              ` scanner ${ref.kind[at]}${ref.start[at] ? " (start)" : ""}`,
          );
        }
      }
    }
    covered.forEach((ok, i) => {
      if (!ok) problems.push(`line ${lineIndex + 1} column ${i + 1}: no token covers it`);
    });
  });
  if (!ref.unterminated && ref.complete && state.depth !== (await initialDepth())) {
    problems.push(`a complete program ends in a nested state (depth ${state.depth})`);
  }
  return problems;
}

function loxFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...loxFiles(full));
    else if (entry.name.endsWith(".lox")) out.push(full);
  }
  return out.sort();
}

async function checkFiles(files, library) {
  assert.ok(files.length > 0, "no Lox files found");
  const failures = [];
  for (const file of files) {
    const problems = await checkAgainstScanner(fs.readFileSync(file, "utf8"), library);
    if (problems.length > 0) {
      failures.push(`${path.relative(REPO, file)}:\n  ${problems.slice(0, 5).join("\n  ")}`);
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${files.length} files disagree with the scanner`);
}

test("the reference scanner port follows scanner.rs's own unit cases", () => {
  // The cases of scanner.rs's `numbers` and `keywords_and_identifiers`
  // tests, so that the port the grammar is checked against is right.
  const kinds = (text, library = false) => {
    const { kind, start } = referenceScan(text, library);
    const tokens = [];
    for (let i = 0; i < text.length; i++) {
      if (start[i]) tokens.push([kind[i], ""]);
      if (kind[i] !== "ws") tokens[tokens.length - 1][1] += text[i];
    }
    return tokens;
  };
  assert.deepEqual(kinds("123 123.45 .5 5. 1.2.3"), [
    ["number", "123"], ["number", "123.45"], ["punct", "."], ["number", "5"], ["number", "5"],
    ["punct", "."], ["number", "1.2"], ["punct", "."], ["number", "3"],
  ]);
  assert.deepEqual(kinds("andy _a1 Class and"), [
    ["identifier", "andy"], ["identifier", "_a1"], ["identifier", "Class"], ["keyword", "and"],
  ]);
  assert.deepEqual(kinds("!=== a%b"), [
    ["punct", "!="], ["punct", "=="], ["identifier", "a"], ["punct", "%"], ["identifier", "b"],
  ]);
  assert.deepEqual(kinds("$a"), [["invalid", "$"], ["identifier", "a"]]);
  assert.deepEqual(kinds("$a", true), [["identifier", "$a"]]);
  assert.deepEqual(kinds('"a\nb" // c ( "'), [["string", '"a\nb"'], ["comment", '// c ( "']]);
});

test("every file under tests/lox/brine tokenizes as the scanner scans it", async () => {
  await checkFiles(loxFiles(path.join(REPO, "tests", "lox", "brine")), false);
});

test("every other file under tests/lox tokenizes as the scanner scans it", async () => {
  const brine = path.join(REPO, "tests", "lox", "brine") + path.sep;
  const files = loxFiles(path.join(REPO, "tests", "lox")).filter((f) => !f.startsWith(brine));
  // The scanning, string and unexpected-character cases are among them.
  for (const dir of ["scanning", "string", "unexpected_character", "comments", "number"]) {
    assert.ok(files.some((f) => f.includes(`${path.sep}${dir}${path.sep}`)), `no files under tests/lox/${dir}`);
  }
  await checkFiles(files, false);
});

test("the standard library (lib/*.lox, with $ names) and the examples tokenize as scanned", async () => {
  await checkFiles(loxFiles(path.join(REPO, "lib")), true);
  await checkFiles(loxFiles(path.join(REPO, "examples")), false);
});

test("edge cases of the lexical rules agree with the scanner", async () => {
  const cases = [
    "123 123.45 .5 5. 1.2.3 007",
    "andy _a1 Class classy fun_ a_b_c for4 nil_ x1.y2",
    "!=== <=> >= = ! a%b % / //c",
    '"a" "" "//x" "a"b "multi\nline\n" x',
    "a | b # é 😀 \u00a0 \u000b \\ ` ~ ? : & ^ @ $ end",
    "print \"unterminated\nstring to the end",
    "class A < B { init(a, b) { super.init(a); this.b = b; } m() {} }",
    "fun f(a, 1, b) {} fun print() {} var print = 1; x.print; fun\nname(a) {}",
    "brine.freeze(x); brine . specialize(f, 1); brine.specializeValue(v, 0, 9); brine.other(1);",
    "var xs = [1, 2, [3]]; xs[0] = xs[1] % 2; len(xs); clock; xs.len(); List(); Map();",
    "class } { fun ) ( ; class",
    "fun f",
    "a\r\nb\r\n// comment\r\n",
  ];
  for (const text of cases) {
    assert.deepEqual(await checkAgainstScanner(text, false), [], `case ${JSON.stringify(text)}`);
  }
});

/**
 * The scopes of the `occurrence`-th token (from 0) on line `line` (from 1)
 * whose text is exactly `text`.
 */
function scopesOf(lines, line, text, occurrence = 0) {
  const l = lines[line - 1];
  const found = l.tokens.filter((t) => l.text.slice(t.start, t.end) === text);
  assert.ok(found.length > occurrence, `no token ${JSON.stringify(text)} (#${occurrence}) on line ${line}: ${l.text}`);
  return found[occurrence].scopes;
}

const SAMPLE = `// A sample of Lox with Brine's extensions.
class Pair < Base {
  init(a, b) { this.a = a; this.b = b; }
  sum() { return super.sum() + this.a % 2; }
}
fun add(x, y) { return x + y; }
var s = "two
lines";
var n = 12.5;
var g = brine.specialize(add, 1);
print clock() >= 0 and xs[0] != nil;
while (true) if (!false) print brine.freeze(xs).len();
`;

test("chosen tokens of a sample get the expected scopes", async () => {
  const { lines } = await tokenize(SAMPLE);
  const expect = (line, text, scope, occurrence = 0) => {
    const scopes = scopesOf(lines, line, text, occurrence);
    assert.ok(scopes.includes(scope), `${JSON.stringify(text)} on line ${line} has [${scopes.join(" ")}], not ${scope}`);
  };
  // A comment.
  expect(1, "//", "punctuation.definition.comment.lox");
  expect(1, " A sample of Lox with Brine's extensions.", "comment.line.double-slash.lox");
  // A class, its superclass, its methods and their parameters.
  expect(2, "class", "storage.type.class.lox");
  expect(2, "Pair", "entity.name.type.class.lox");
  expect(2, "Base", "entity.other.inherited-class.lox");
  expect(3, "init", "entity.name.function.method.lox");
  expect(3, "a", "variable.parameter.lox");
  expect(3, "this", "variable.language.this.lox");
  expect(3, "a", "variable.other.property.lox", 1);
  expect(4, "sum", "entity.name.function.method.lox");
  expect(4, "super", "variable.language.super.lox");
  expect(4, "sum", "entity.name.function.method.call.lox", 1);
  expect(4, "%", "keyword.operator.arithmetic.lox");
  expect(4, "return", "keyword.control.flow.return.lox");
  // A function.
  expect(6, "fun", "storage.type.function.lox");
  expect(6, "add", "entity.name.function.lox");
  expect(6, "add", "meta.function.lox");
  expect(6, "y", "variable.parameter.lox");
  expect(6, "+", "keyword.operator.arithmetic.lox");
  // A string spanning two lines: one string, begun on line 7, ended on 8.
  expect(7, '"', "punctuation.definition.string.begin.lox");
  expect(7, "two", "string.quoted.double.lox");
  expect(8, "lines", "string.quoted.double.lox");
  expect(8, '"', "punctuation.definition.string.end.lox");
  expect(8, ";", "punctuation.terminator.statement.lox");
  assert.ok(!scopesOf(lines, 8, ";").some((s) => s.startsWith("string.")), "the string ends at its closing quote");
  // A number, whole.
  expect(9, "12.5", "constant.numeric.decimal.lox");
  expect(9, "var", "storage.type.var.lox");
  expect(9, "n", "variable.other.definition.lox");
  // brine.specialize, an intrinsic.
  expect(10, "brine", "support.variable.brine.lox");
  expect(10, "specialize", "support.function.brine.lox");
  expect(10, "add", "variable.other.lox");
  // Natives, operators, keywords, list syntax.
  expect(11, "print", "keyword.other.print.lox");
  expect(11, "clock", "support.function.builtin.lox");
  expect(11, ">=", "keyword.operator.comparison.lox");
  expect(11, "and", "keyword.operator.logical.word.lox");
  expect(11, "[", "punctuation.section.brackets.begin.lox");
  expect(11, "]", "punctuation.section.brackets.end.lox");
  expect(11, "!=", "keyword.operator.comparison.lox");
  expect(11, "nil", "constant.language.nil.lox");
  expect(12, "while", "keyword.control.loop.lox");
  expect(12, "true", "constant.language.boolean.true.lox");
  expect(12, "if", "keyword.control.conditional.lox");
  expect(12, "!", "keyword.operator.logical.lox");
  expect(12, "false", "constant.language.boolean.false.lox");
  expect(12, "freeze", "support.function.brine.lox");
  expect(12, "len", "entity.name.function.method.call.lox");
});

test("a name is a native or an intrinsic only where the scanner sees that name", async () => {
  const { lines } = await tokenize("fun len(clock) { return xs.clock + lenient(brine.freezer) + brine2; }");
  const scope = (text, s, occurrence = 0) => {
    const scopes = scopesOf(lines, 1, text, occurrence);
    assert.ok(scopes.includes(s), `${JSON.stringify(text)} has [${scopes.join(" ")}], not ${s}`);
  };
  scope("len", "entity.name.function.lox"); // a program's own definition
  scope("clock", "variable.parameter.lox");
  scope("clock", "variable.other.property.lox", 1); // a field, not the native
  scope("lenient", "entity.name.function.call.lox");
  scope("brine", "support.variable.brine.lox");
  scope("freezer", "variable.other.property.lox"); // not an intrinsic
  scope("brine2", "variable.other.lox");
});

/** The names `re` captures in the Rust source file `relative`. */
function namesIn(relative, re) {
  const source = fs.readFileSync(path.join(REPO, relative), "utf8");
  return [...source.matchAll(re)].map((m) => m[1]);
}

test("the grammar knows every keyword, native and intrinsic of the Rust sources", async () => {
  const keywords = namesIn("crates/brine-frontend/src/scanner.rs", /^\s*b"([a-z]+)" => [A-Z][a-z]+,$/gm);
  assert.deepEqual([...keywords].sort(), [...KEYWORDS].sort(), "the reference's keywords are scanner.rs's");
  const natives = namesIn("crates/brine-runtime/src/natives.rs", /^\s*\("([A-Za-z_]+)", \d+, [a-z_]+\),$/gm);
  assert.ok(natives.includes("clock") && natives.length >= 30, `natives found: ${natives}`);
  const intrinsics = namesIn("crates/brine-ir/src/inst.rs", /^\s*b"([A-Za-z]+)"(?: if argc >= 1)? => Intrinsic::/gm);
  assert.ok(intrinsics.includes("specialize") && intrinsics.includes("freeze"), `intrinsics found: ${intrinsics}`);
  const text = [
    ...keywords.map((k) => `${k};`),
    ...natives.map((n) => `${n}(x);`),
    ...intrinsics.map((i) => `brine.${i}(x);`),
  ].join("\n");
  const { lines } = await tokenize(text);
  let line = 0;
  for (const k of keywords) {
    const scopes = scopesOf(lines, ++line, k);
    assert.match(scopes[scopes.length - 1], KEYWORD_SCOPE, `keyword ${k}: [${scopes.join(" ")}]`);
  }
  for (const n of natives) {
    assert.ok(scopesOf(lines, ++line, n).includes("support.function.builtin.lox"), `native ${n}`);
  }
  for (const i of intrinsics) {
    assert.ok(scopesOf(lines, ++line, i).includes("support.function.brine.lox"), `intrinsic ${i}`);
  }
});
