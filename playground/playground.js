// The playground page: the editor, the Run and Stop buttons, the output and
// IR views. Programs run in worker.js (brine-wasm's wasm module).
"use strict";

const EXAMPLES = {
  "Hello": `print "Hello, Brine!";
`,
  "Fibonacci": `fun fib(n) {
  if (n < 2) return n;
  return fib(n - 1) + fib(n - 2);
}

var start = clock();
for (var i = 0; i <= 20; i = i + 1) {
  print "fib(" + str(i) + ") = " + str(fib(i));
}
print "took " + str(clock() - start) + " s";
`,
  "Classes": `class Shape {
  init(name) { this.name = name; }
  describe() { return this.name + " with area " + str(this.area()); }
}

class Rect < Shape {
  init(w, h) { super.init("rect"); this.w = w; this.h = h; }
  area() { return this.w * this.h; }
}

class Circle < Shape {
  init(r) { super.init("circle"); this.r = r; }
  area() { return 3 * this.r * this.r; }
}

var shapes = [Rect(2, 3), Circle(2), Rect(1, 1)];
for (var i = 0; i < len(shapes); i = i + 1) {
  print shapes[i].describe();
}
`,
  "Lists and maps": `var words = split("the quick brown fox jumps over the lazy dog the end", " ");
var counts = Map();
for (var i = 0; i < len(words); i = i + 1) {
  var w = words[i];
  if (counts.has(w)) counts[w] = counts[w] + 1; else counts[w] = 1;
}
var keys = counts.keys();
keys.sort();
for (var i = 0; i < len(keys); i = i + 1) print keys[i] + ": " + str(counts[keys[i]]);
`,
  "Closures": `fun counter() {
  var n = 0;
  fun next() { n = n + 1; return n; }
  return next;
}

var c = counter();
c(); c();
print c();
`,
  "Runtime error": `fun divide(a, b) {
  return a / b;
}

fun average(xs) {
  return divide(xs, len(xs));
}

print "computing...";
print average("10");
`,
  "Compile error": `var x = 1;
print x +;
`,
  "Stack overflow": `fun forever(n) {
  return forever(n + 1) + 1;
}
forever(0);
`,
};

const $ = (id) => document.getElementById(id);
const source = $("source"), gutter = $("gutter");
const runButton = $("run"), stopButton = $("stop"), status = $("status");
let worker = null, ready = false, nextId = 0, pending = null, badLines = new Set();

function setStatus(text) { status.textContent = text; }

// --- the editor: a textarea with line numbers -------------------------------

function renderGutter() {
  const lines = source.value.split("\n").length;
  let html = "";
  for (let i = 1; i <= lines; i++) {
    html += badLines.has(i) ? `<span class="bad">${i}</span>\n` : `${i}\n`;
  }
  gutter.innerHTML = html;
  gutter.scrollTop = source.scrollTop;
}

// Selects line `line` of the editor, from `column` (1-based) if given.
function selectLine(line, column) {
  const lines = source.value.split("\n");
  if (line < 1 || line > lines.length) return;
  let start = 0;
  for (let i = 0; i < line - 1; i++) start += lines[i].length + 1;
  const end = start + lines[line - 1].length;
  if (column != null) start = Math.min(start + column - 1, end);
  source.focus();
  source.setSelectionRange(start, end);
}

source.addEventListener("input", () => { badLines.clear(); renderGutter(); });
source.addEventListener("scroll", () => { gutter.scrollTop = source.scrollTop; });
source.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    run();
  } else if (e.key === "Tab" && !e.shiftKey) {
    e.preventDefault();
    source.setRangeText("  ", source.selectionStart, source.selectionEnd, "end");
    renderGutter();
  }
});

// --- results ----------------------------------------------------------------

function showTab(name) {
  for (const tab of document.querySelectorAll(".tabs button")) {
    tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  }
  $("output-view").hidden = name !== "output";
  $("ir-view").hidden = name !== "ir";
}

for (const tab of document.querySelectorAll(".tabs button")) {
  tab.addEventListener("click", () => showTab(tab.dataset.tab));
}

function where(error) {
  if (error.line == null) return "";
  return error.column == null ? `line ${error.line}` : `line ${error.line}, column ${error.column}`;
}

function showReport(report, ms) {
  const list = $("errors");
  list.textContent = "";
  badLines = new Set();
  for (const error of report.errors) {
    const item = document.createElement("li");
    item.className = "error " + error.kind;
    item.dataset.line = error.line ?? "";
    if (error.column != null) item.dataset.column = error.column;
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = error.kind + " error";
    const at = document.createElement("span");
    at.className = "where";
    at.textContent = where(error);
    const message = document.createElement("span");
    message.className = "message";
    message.textContent = error.message;
    item.append(kind, at, message);
    if (error.trace.length > 0) {
      const trace = document.createElement("div");
      trace.className = "trace";
      const shown = error.trace.length > 12
        ? [...error.trace.slice(0, 6), `... ${error.trace.length - 12} more frames ...`, ...error.trace.slice(-6)]
        : error.trace;
      trace.textContent = shown.join("\n");
      item.append(trace);
    }
    if (error.line != null) {
      badLines.add(error.line);
      item.addEventListener("click", () => selectLine(error.line, error.column));
    }
    list.append(item);
  }
  $("stdout").textContent = report.stdout;
  $("stderr").textContent = report.stderr;
  $("ir").textContent = report.ir || "; no IR: the program did not compile";
  renderGutter();
  const outcome = report.exit_code === 0 ? "ok" : `exit ${report.exit_code}`;
  setStatus(`Ran in ${ms.toFixed(1)} ms · ${outcome}`);
}

// --- the worker ----------------------------------------------------------------

function startWorker() {
  ready = false;
  runButton.disabled = true;
  worker = new Worker("worker.js");
  worker.onmessage = (event) => {
    const data = event.data;
    if ("ready" in data) {
      ready = data.ready;
      runButton.disabled = !ready;
      setStatus(ready ? "Ready" : "Could not load Brine: " + data.error);
      document.body.dataset.ready = String(ready);
      return;
    }
    if (pending === null || data.id !== pending) return;
    pending = null;
    stopButton.disabled = true;
    runButton.disabled = false;
    showReport(data.report, data.ms);
    document.body.dataset.runs = String(Number(document.body.dataset.runs || 0) + 1);
  };
}

function run() {
  if (!ready || pending !== null) return;
  pending = nextId++;
  runButton.disabled = true;
  stopButton.disabled = false;
  setStatus("Running…");
  worker.postMessage({ id: pending, source: source.value });
}

function stop() {
  if (pending === null) return;
  worker.terminate();
  pending = null;
  stopButton.disabled = true;
  startWorker();
  $("errors").textContent = "";
  $("stdout").textContent = "";
  $("stderr").textContent = "(stopped)";
}

runButton.addEventListener("click", run);
stopButton.addEventListener("click", stop);

const examples = $("examples");
for (const name of Object.keys(EXAMPLES)) examples.add(new Option(name, name));
examples.addEventListener("change", () => {
  source.value = EXAMPLES[examples.value];
  badLines.clear();
  renderGutter();
});

source.value = EXAMPLES["Fibonacci"];
examples.value = "Fibonacci";
renderGutter();
startWorker();
