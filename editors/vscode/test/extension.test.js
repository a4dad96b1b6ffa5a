// Tests of extension.js without VS Code: `vscode` and
// `vscode-languageclient/node` are stubs injected through Module._load.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");

const { loadExtension } = require("../test-support/extension-stubs");

const context = () => ({ subscriptions: [] });

test("activate starts `brine lsp` over stdio for lox documents", async () => {
  const { extension, log } = loadExtension();
  await extension.activate(context());
  assert.equal(log.clients.length, 1);
  const client = log.clients[0];
  assert.equal(client.started, 1);
  for (const mode of ["run", "debug"]) {
    const options = client.serverOptions[mode];
    assert.equal(options.command, "brine", `${mode}: the default brine.path`);
    assert.deepEqual(options.args, ["lsp"], `${mode}: exactly \`brine lsp\``);
    // No transport: the client talks over the process's stdin and stdout
    // (a socket, a pipe or TransportKind.stdio would add an argument).
    assert.equal(options.transport, undefined, `${mode}: plain stdio`);
    assert.equal(options.module, undefined, `${mode}: an executable, not a node module`);
  }
  const selector = client.clientOptions.documentSelector;
  assert.ok(selector.length > 0);
  assert.ok(selector.every((filter) => filter.language === "lox"), JSON.stringify(selector));
  assert.ok(selector.some((filter) => filter.scheme === "file"));
  assert.deepEqual(log.errors, []);
});

test("brine.path sets the server command", async () => {
  const { extension, log } = loadExtension({ settings: { path: "/opt/brine/bin/brine" } });
  await extension.activate(context());
  assert.equal(log.clients[0].serverOptions.run.command, "/opt/brine/bin/brine");
  assert.deepEqual(log.clients[0].serverOptions.run.args, ["lsp"]);
});

test("an empty brine.path falls back to brine", async () => {
  const { extension, log } = loadExtension({ settings: { path: "  " } });
  await extension.activate(context());
  assert.equal(log.clients[0].serverOptions.run.command, "brine");
});

test("deactivate stops the client it started, once", async () => {
  const { extension, log } = loadExtension();
  assert.equal(extension.deactivate(), undefined, "nothing to stop before activation");
  await extension.activate(context());
  const client = log.clients[0];
  assert.equal(client.stopped, 0);
  await extension.deactivate();
  assert.equal(client.stopped, 1);
  assert.equal(extension.deactivate(), undefined, "a second deactivate has nothing to stop");
  assert.equal(client.stopped, 1);
});

test("a server that fails to start is reported, not thrown", async () => {
  const { extension, log } = loadExtension({ settings: { path: "no-such-brine" }, startFails: true });
  await extension.activate(context());
  assert.equal(log.errors.length, 1);
  assert.match(log.errors[0], /no-such-brine lsp/);
  assert.match(log.errors[0], /brine\.path/);
  assert.equal(extension.deactivate(), undefined, "a client that never started is not stopped");
  assert.equal(log.clients[0].stopped, 0);
});

test("changing brine.path asks for a reload", async () => {
  const { extension, log } = loadExtension();
  const ctx = context();
  await extension.activate(ctx);
  assert.equal(ctx.subscriptions.length, 1, "the listener is disposed with the extension");
  assert.equal(log.configListeners.length, 1);
  log.configListeners[0]({ affectsConfiguration: (key) => key === "editor.fontSize" });
  assert.deepEqual(log.infos, []);
  log.configListeners[0]({ affectsConfiguration: (key) => key === "brine.path" });
  assert.equal(log.infos.length, 1);
  assert.match(log.infos[0], /brine\.path/);
});
