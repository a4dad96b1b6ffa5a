// extension.js loaded without VS Code: `vscode` and
// `vscode-languageclient/node` are stubs injected through Module._load
// (for test/extension.test.js and test/server.test.js).
"use strict";

const assert = require("node:assert/strict");
const Module = require("node:module");
const path = require("node:path");

const EXTENSION = path.join(__dirname, "..", "extension.js");

/**
 * Loads a fresh copy of extension.js against stubs. `settings` are the
 * `brine` section of the configuration; `startFails` makes the client's
 * start() reject. Returns the extension and what the stubs recorded.
 */
function loadExtension({ settings = {}, startFails = false } = {}) {
  const log = { clients: [], errors: [], infos: [], configListeners: [] };
  class LanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      Object.assign(this, { id, name, serverOptions, clientOptions, started: 0, stopped: 0 });
      log.clients.push(this);
    }
    start() {
      this.started++;
      return startFails ? Promise.reject(new Error("spawn brine ENOENT")) : Promise.resolve();
    }
    stop() {
      this.stopped++;
      return Promise.resolve();
    }
  }
  const vscode = {
    workspace: {
      getConfiguration(section) {
        assert.equal(section, "brine");
        return { get: (key, fallback) => (key in settings ? settings[key] : fallback) };
      },
      onDidChangeConfiguration(listener) {
        log.configListeners.push(listener);
        return { dispose() {} };
      },
    },
    window: {
      showErrorMessage: (message) => log.errors.push(message),
      showInformationMessage: (message) => log.infos.push(message),
    },
  };
  const stubs = {
    vscode,
    "vscode-languageclient/node": { LanguageClient, TransportKind: { stdio: 0, ipc: 1, pipe: 2, socket: 3 } },
  };
  const originalLoad = Module._load;
  Module._load = function (request, parent, isMain) {
    if (Object.prototype.hasOwnProperty.call(stubs, request)) return stubs[request];
    return originalLoad.call(this, request, parent, isMain);
  };
  try {
    delete require.cache[require.resolve(EXTENSION)];
    const extension = require(EXTENSION);
    return { extension, log };
  } finally {
    Module._load = originalLoad;
    delete require.cache[require.resolve(EXTENSION)];
  }
}

module.exports = { loadExtension };
