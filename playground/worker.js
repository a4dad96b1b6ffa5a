// The playground's worker: it owns the wasm instance of brine-wasm and runs
// programs in it, so that a program that never ends can be stopped (the page
// terminates the worker) and the page stays responsive while one runs.
//
// Messages in:  {id, source}            (source: a string)
// Messages out: {ready: true} | {ready: false, error}
//               {id, report, ms}        (report: brine-wasm's JSON, parsed)
"use strict";

let module = null;
let instance = null;

function instantiate() {
  // clock() reads this (brine_runtime::time): milliseconds, monotonic.
  const imports = { brine: { now_ms: () => performance.now() } };
  instance = new WebAssembly.Instance(module, imports);
}

function readResult(exports, handle) {
  const ptr = exports.brine_result_ptr(handle);
  const len = exports.brine_result_len(handle);
  const text = new TextDecoder().decode(new Uint8Array(exports.memory.buffer, ptr, len));
  exports.brine_result_free(handle);
  return text;
}

function failure(kind, message, text) {
  return {
    stdout: "", stderr: "", exit_code: kind === "internal" ? 101 : 70, ir: "",
    errors: [{ kind, message, text, line: null, column: null, trace: [] }],
  };
}

function run(source) {
  const exports = instance.exports;
  const bytes = new TextEncoder().encode(source);
  const ptr = exports.brine_alloc(bytes.length);
  new Uint8Array(exports.memory.buffer, ptr, bytes.length).set(bytes);
  try {
    return JSON.parse(readResult(exports, exports.brine_run(ptr, bytes.length)));
  } catch (e) {
    // A trap leaves the instance unusable: read what it says, then start over.
    let panic = "";
    try { panic = readResult(exports, exports.brine_take_panic()); } catch (_) { /* broken */ }
    instantiate();
    if (e instanceof RangeError) {
      // The browser's own call stack ran out before Brine's limit
      // (brine-wasm's limits::MAX_CALL_DEPTH): still Lox's error.
      return failure("runtime", "Stack overflow.", "Stack overflow. (the browser's call stack ran out)");
    }
    const message = panic || String(e && e.message || e);
    return failure("internal", message, "brine: internal error: " + message);
  }
}

(async () => {
  try {
    const response = await fetch("dist/brine_wasm.wasm");
    if (!response.ok) throw new Error(`dist/brine_wasm.wasm: HTTP ${response.status} (run playground/build.sh)`);
    module = await WebAssembly.compile(await response.arrayBuffer());
    instantiate();
    postMessage({ ready: true });
  } catch (e) {
    postMessage({ ready: false, error: String(e && e.message || e) });
  }
})();

onmessage = (event) => {
  const { id, source } = event.data;
  const start = performance.now();
  const report = run(source);
  postMessage({ id, report, ms: performance.now() - start });
};
