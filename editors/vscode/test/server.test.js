// The extension's server, for real: `brine lsp` started as extension.js
// starts it (the command and arguments its server options give), spoken to
// with vscode-jsonrpc, the protocol library VS Code's client is built on.
// The brine executable is $BRINE (test.sh sets it to the workspace's debug
// build); the test fails if it is missing.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const cp = require("node:child_process");
const fs = require("node:fs");
const rpc = require("vscode-jsonrpc/node");
const { loadExtension } = require("../test-support/extension-stubs");

const BRINE = process.env.BRINE;

test("the extension's server command runs brine lsp, which answers over stdio", async () => {
  assert.ok(BRINE && fs.existsSync(BRINE), `BRINE must name the brine executable (got ${BRINE})`);
  // The command line exactly as the extension starts it, with brine.path set.
  const { extension, log } = loadExtension({ settings: { path: BRINE } });
  await extension.activate({ subscriptions: [] });
  const options = log.clients[0].serverOptions.run;
  assert.equal(options.command, BRINE);
  const child = cp.spawn(options.command, options.args, { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  const connection = rpc.createMessageConnection(
    new rpc.StreamMessageReader(child.stdout),
    new rpc.StreamMessageWriter(child.stdin),
  );
  const diagnostics = [];
  let notify;
  connection.onNotification("textDocument/publishDiagnostics", (params) => {
    diagnostics.push(params);
    if (notify) notify();
  });
  const nextDiagnostics = () =>
    new Promise((resolve) => {
      if (diagnostics.length) return resolve(diagnostics.shift());
      notify = () => {
        notify = undefined;
        resolve(diagnostics.shift());
      };
    });
  connection.listen();

  const init = await connection.sendRequest("initialize", { processId: process.pid, rootUri: null, capabilities: {} });
  assert.ok(init.capabilities.hoverProvider, "hover");
  assert.ok(init.capabilities.definitionProvider, "definition");
  await connection.sendNotification("initialized", {});

  const uri = "file:///tmp/extension-test.lox";
  const text = "fun twice(n) {\n  return n * 2;\n}\nprint twice(21) +;\n";
  await connection.sendNotification("textDocument/didOpen", {
    textDocument: { uri, languageId: "lox", version: 1, text },
  });
  const published = await nextDiagnostics();
  assert.equal(published.uri, uri);
  assert.equal(published.diagnostics.length, 1);
  assert.equal(published.diagnostics[0].message, "Expect expression.");
  assert.deepEqual(published.diagnostics[0].range.start, { line: 3, character: 17 });

  const fixed = text.replace("+;", ";");
  await connection.sendNotification("textDocument/didChange", {
    textDocument: { uri, version: 2 },
    contentChanges: [{ text: fixed }],
  });
  assert.deepEqual((await nextDiagnostics()).diagnostics, []);

  // `twice` in the call goes to its declaration.
  const definition = await connection.sendRequest("textDocument/definition", {
    textDocument: { uri },
    position: { line: 3, character: 8 },
  });
  const target = Array.isArray(definition) ? definition[0] : definition;
  assert.deepEqual(target.range.start, { line: 0, character: 4 });
  const hover = await connection.sendRequest("textDocument/hover", {
    textDocument: { uri },
    position: { line: 3, character: 8 },
  });
  const shown = typeof hover.contents === "string" ? hover.contents : hover.contents.value;
  assert.match(shown, /twice/);
  assert.match(shown, /line 1/);

  await connection.sendRequest("shutdown");
  await connection.sendNotification("exit");
  assert.equal(await exited, 0);
  connection.dispose();
});
