// The Brine extension for VS Code: the Lox language (its grammar and
// configuration come from package.json) and a client of Brine's language
// server, `brine lsp`, which it starts over stdio for Lox documents. The
// server's command is the setting `brine.path` (default `brine`).
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

/** The running client, if any. */
let client;

/**
 * How to start the server: `<brine.path> lsp`, speaking LSP over its
 * stdin and stdout. No `transport` is given on purpose: without one the
 * client talks to the process over stdio as it is, while
 * `TransportKind.stdio` would make it run `brine lsp --stdio`.
 */
function serverOptions(command) {
  const run = { command, args: ["lsp"] };
  return { run, debug: run };
}

/** The brine executable to run: the setting `brine.path`, else `brine`. */
function brinePath() {
  const configured = vscode.workspace.getConfiguration("brine").get("path");
  return typeof configured === "string" && configured.trim() !== "" ? configured.trim() : "brine";
}

async function activate(context) {
  const command = brinePath();
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "lox" },
      { scheme: "untitled", language: "lox" },
    ],
  };
  client = new LanguageClient("brine", "Brine", serverOptions(command), clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("brine.path")) {
        vscode.window.showInformationMessage("Reload the window to use the new brine.path.");
      }
    }),
  );
  try {
    await client.start();
  } catch (err) {
    // A client that failed to start cannot be stopped.
    client = undefined;
    vscode.window.showErrorMessage(
      `Brine: could not start the language server \`${command} lsp\` (set brine.path to the brine executable): ${
        err && err.message ? err.message : err
      }`,
    );
  }
}

function deactivate() {
  if (!client) return undefined;
  const running = client;
  client = undefined;
  return running.stop();
}

module.exports = { activate, deactivate };
