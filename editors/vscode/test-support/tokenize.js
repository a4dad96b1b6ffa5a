// Loads the Lox grammar the way VS Code does (vscode-textmate over
// vscode-oniguruma) and tokenizes sources line by line. A helper of the
// tests in this directory, not a test itself.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const GRAMMAR_PATH = path.join(__dirname, "..", "syntaxes", "lox.tmLanguage.json");

let grammarPromise;

/** The grammar of `source.lox`, loaded once. */
function loadGrammar() {
  if (!grammarPromise) {
    grammarPromise = (async () => {
      const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
      await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
      const registry = new vsctm.Registry({
        onigLib: Promise.resolve({
          createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
          createOnigString: (s) => new oniguruma.OnigString(s),
        }),
        loadGrammar: async (scopeName) => {
          if (scopeName !== "source.lox") return null;
          return vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR_PATH, "utf8"), GRAMMAR_PATH);
        },
      });
      const grammar = await registry.loadGrammar("source.lox");
      if (!grammar) throw new Error("the grammar of source.lox did not load");
      return grammar;
    })();
  }
  return grammarPromise;
}

/**
 * Tokenizes `text` as an editor does: line by line (split at "\n"), each
 * line starting in the state the previous one ended in. Returns the lines,
 * each with its text, its offset in `text`, its tokens (clamped to the
 * line) and whether the tokenizer stopped early; and the final state.
 */
async function tokenize(text) {
  const grammar = await loadGrammar();
  let state = vsctm.INITIAL;
  let offset = 0;
  const lines = [];
  for (const line of text.split("\n")) {
    const result = grammar.tokenizeLine(line, state);
    const tokens = result.tokens
      .map((t) => ({ start: t.startIndex, end: Math.min(t.endIndex, line.length), scopes: t.scopes }))
      .filter((t) => t.start < t.end);
    lines.push({ text: line, offset, tokens, stoppedEarly: result.stoppedEarly });
    state = result.ruleStack;
    offset += line.length + 1;
  }
  return { lines, state };
}

/** The depth of the state at the start of a file (the root rule only). */
async function initialDepth() {
  const grammar = await loadGrammar();
  return grammar.tokenizeLine("", vsctm.INITIAL).ruleStack.depth;
}

module.exports = { loadGrammar, tokenize, initialDepth, GRAMMAR_PATH };
