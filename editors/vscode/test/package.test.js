// Checks that package.json is a VS Code extension manifest whose parts
// exist: the engine, the entry point, the language, its configuration and
// grammar, the setting and the activation.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const readJson = (relative) => JSON.parse(fs.readFileSync(path.join(ROOT, relative), "utf8"));

/** The lowest version a `^x.y.z` or `>=x.y.z` range admits, as numbers. */
function minimumVersion(range) {
  const m = /^(?:\^|>=)\s*(\d+)\.(\d+)\.(\d+)$/.exec(range);
  assert.ok(m, `an engine range VS Code accepts: ${range}`);
  return m.slice(1).map(Number);
}

const atLeast = (a, b) => a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] >= b[2];

test("the manifest names the extension, its engine and its entry point", () => {
  for (const field of ["name", "publisher", "version", "displayName"]) {
    assert.equal(typeof manifest[field], "string", field);
  }
  assert.match(manifest.name, /^[a-z0-9][a-z0-9-]*$/, "a lower-case name");
  assert.match(manifest.version, /^\d+\.\d+\.\d+$/);
  minimumVersion(manifest.engines.vscode);
  assert.ok(fs.existsSync(path.join(ROOT, manifest.main)), `main ${manifest.main} exists`);
  assert.deepEqual(manifest.activationEvents, ["onLanguage:lox"]);
});

test("the engine is one the language client supports", () => {
  const client = readJson("node_modules/vscode-languageclient/package.json");
  assert.ok(manifest.dependencies["vscode-languageclient"], "vscode-languageclient is a dependency");
  assert.ok(
    atLeast(minimumVersion(manifest.engines.vscode), minimumVersion(client.engines.vscode)),
    `engines.vscode ${manifest.engines.vscode} admits VS Code older than the client's ${client.engines.vscode}`,
  );
});

test("the lox language and its configuration exist", () => {
  const [language] = manifest.contributes.languages;
  assert.equal(manifest.contributes.languages.length, 1);
  assert.equal(language.id, "lox");
  assert.deepEqual(language.extensions, [".lox"]);
  const config = readJson(language.configuration);
  assert.equal(config.comments.lineComment, "//");
  for (const pair of [["{", "}"], ["[", "]"], ["(", ")"]]) {
    assert.ok(config.brackets.some((b) => b[0] === pair[0] && b[1] === pair[1]), `bracket ${pair}`);
    assert.ok(config.autoClosingPairs.some((p) => p.open === pair[0] && p.close === pair[1]), `auto-closing ${pair}`);
  }
  assert.ok(config.autoClosingPairs.some((p) => p.open === '"' && p.close === '"'), "auto-closing quotes");
  new RegExp(config.wordPattern);
});

test("the grammar is the file of source.lox for the lox language", () => {
  const [grammar] = manifest.contributes.grammars;
  assert.equal(manifest.contributes.grammars.length, 1);
  assert.equal(grammar.language, "lox");
  assert.equal(grammar.scopeName, "source.lox");
  const file = readJson(grammar.path);
  assert.equal(file.scopeName, "source.lox");
  // Every rule the grammar includes is in its repository.
  const includes = JSON.stringify(file).match(/"include":"[^"]*"/g) || [];
  assert.ok(includes.length > 0);
  for (const include of includes) {
    const target = include.slice('"include":"'.length, -1);
    assert.ok(target.startsWith("#") && target.slice(1) in file.repository, `unknown include ${target}`);
  }
});

test("brine.path is a string setting defaulting to brine", () => {
  const setting = manifest.contributes.configuration.properties["brine.path"];
  assert.equal(setting.type, "string");
  assert.equal(setting.default, "brine");
});

test("the grammar file is what scripts/build-grammar.js builds", () => {
  const { json } = require("../scripts/build-grammar.js");
  const committed = fs.readFileSync(path.join(ROOT, "syntaxes", "lox.tmLanguage.json"), "utf8");
  assert.ok(committed === json, "syntaxes/lox.tmLanguage.json is stale: run `node scripts/build-grammar.js`");
});
