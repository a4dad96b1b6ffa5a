// The playground's browser test (run by test.sh): headless Chromium loads
// the page at process.argv[2], types programs, clicks Run and reads what the
// page shows, and takes a screenshot into process.argv[3]. Prints one line
// per check and closes with "N passed, N failed".
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const url = process.argv[2];
const screenshot = process.argv[3] || join(dirname(fileURLToPath(import.meta.url)), "dist", "screenshot.png");
const TIMEOUT = 30_000;

const profile = mkdtempSync(join(tmpdir(), "brine-playground-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 1280, height: 760 },
});
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(TIMEOUT);
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));

let passed = 0, failed = 0;
async function check(name, body) {
  try {
    await body();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e && e.message || e}`);
  }
}
function expect(cond, what) {
  if (!cond) throw new Error(what);
}

/** Replaces the editor's text: typed key by key when `typed`, else pasted. */
async function setSource(text, typed = false) {
  await page.click("#source");
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  if (typed) await page.keyboard.type(text);
  else await page.fill("#source", text);
}

/** Clicks Run and waits for the page to show the result. */
async function run() {
  const before = Number((await page.getAttribute("body", "data-runs")) || 0);
  await page.click("#run");
  await page.waitForFunction((n) => Number(document.body.dataset.runs || 0) > n, before);
  return {
    stdout: await page.textContent("#stdout"),
    stderr: await page.textContent("#stderr"),
    errors: await page.$$eval("#errors li", (items) => items.map((li) => ({
      kind: li.className.replace("error ", ""),
      line: li.dataset.line,
      column: li.dataset.column,
      text: li.textContent,
      message: li.querySelector(".message").textContent,
      trace: li.querySelector(".trace")?.textContent ?? "",
    }))),
    status: await page.textContent("#status"),
  };
}

try {
  await page.goto(url);
  await check("the page loads Brine", async () => {
    await page.waitForSelector("body[data-ready=true]");
    expect(!(await page.isDisabled("#run")), "Run is enabled");
  });

  await check("a typed program runs and prints", async () => {
    await setSource('var a = 6;\nfun times(x, y) { return x * y; }\nprint "answer: " + str(times(a, 7));\n', true);
    expect((await page.inputValue("#source")).startsWith("var a = 6;\nfun times"), "the typed text is in the editor");
    const r = await run();
    expect(r.stdout === "answer: 42\n", `stdout was ${JSON.stringify(r.stdout)}`);
    expect(r.errors.length === 0, `no errors, got ${JSON.stringify(r.errors)}`);
    expect(r.status.includes("ok"), `status ${r.status}`);
    const gutter = await page.textContent("#gutter");
    expect(gutter.trim().split("\n").length === 4, `line numbers for 4 lines, got ${JSON.stringify(gutter)}`);
  });

  await check("a compile error shows its line and column", async () => {
    await setSource("print 1;\nprint 2 +;\n");
    const r = await run();
    expect(r.stdout === "", "no output");
    expect(r.errors.length === 1, `one error, got ${JSON.stringify(r.errors)}`);
    const e = r.errors[0];
    expect(e.kind === "compile", `kind ${e.kind}`);
    expect(e.line === "2", `line ${e.line}`);
    expect(e.message === "Expect expression.", `message ${e.message}`);
    expect(e.column === "10", `column ${e.column}`);
    expect(e.text.includes("line 2, column 10"), e.text);
    expect((await page.textContent("#gutter .bad")) === "2", "the gutter marks line 2");
    // Clicking the error selects the source from its column.
    await page.click("#errors li");
    const selected = await page.$eval("#source", (t) => t.value.slice(t.selectionStart, t.selectionEnd));
    expect(selected === ";", `selected ${JSON.stringify(selected)}`);
  });

  await check("a runtime error shows its message, line, column and trace", async () => {
    await setSource('print "start";\nfun half(x) {\n  return x / 2;\n}\nprint half("ten");\n');
    const r = await run();
    expect(r.stdout === "start\n", `output before the error, got ${JSON.stringify(r.stdout)}`);
    const e = r.errors[0];
    expect(e && e.kind === "runtime", `kind ${e && e.kind}`);
    expect(e.message === "Operands must be numbers.", `message ${e.message}`);
    expect(e.line === "3" && e.column === "10", `line ${e.line}, column ${e.column}`);
    expect(e.text.includes("line 3, column 10"), e.text);
    expect(e.trace === "[line 3] in half()\n[line 5] in script", `trace ${JSON.stringify(e.trace)}`);
    expect(r.status.includes("exit 70"), `status ${r.status}`);
  });

  await check("the IR view shows the compiled module", async () => {
    await setSource("fun add(a, b) { return a + b; }\nprint add(1, 2);\n");
    const r = await run();
    expect(r.stdout === "3\n", `stdout ${JSON.stringify(r.stdout)}`);
    await page.click('.tabs button[data-tab="ir"]');
    expect(await page.isVisible("#ir"), "the IR is visible");
    const ir = await page.textContent("#ir");
    expect(/function f\d+ "add"\(arity 2/.test(ir), `IR names add: ${ir.slice(0, 300)}`);
    expect(ir.includes("block0(") && ir.includes("return"), "IR has blocks");
    await page.click('.tabs button[data-tab="output"]');
  });

  await check("runaway recursion is Lox's stack overflow", async () => {
    await setSource('fun down(n) {\n  return down(n + 1) + 1;\n}\nprint "deep";\ndown(0);\n');
    const r = await run();
    expect(r.stdout === "deep\n", `stdout ${JSON.stringify(r.stdout)}`);
    const e = r.errors[0];
    expect(e && e.message === "Stack overflow.", `message ${e && e.message}`);
    expect(e.line === "2", `line ${e.line}`);
    // Brine's own limit, with the trace (the browser's running out has none).
    expect(e.trace.startsWith("[line 2] in down()") && e.trace.endsWith("[line 5] in script"), e.trace);
  });

  await check("recursion 500 deep runs", async () => {
    await setSource("fun f(n) { if (n == 0) return 0; return f(n - 1) + 1; }\nprint f(500);\n");
    const r = await run();
    expect(r.stdout === "500\n" && r.errors.length === 0, JSON.stringify(r));
  });

  await check("Stop ends a program that never ends", async () => {
    await setSource("while (true) {}\n");
    await page.click("#run");
    await page.waitForFunction(() => !document.getElementById("stop").disabled);
    await page.click("#stop");
    await page.waitForSelector("body[data-ready=true]");
    await setSource('print "again";\n');
    const r = await run();
    expect(r.stdout === "again\n", `stdout ${JSON.stringify(r.stdout)}`);
  });

  await check("the page raised no script errors", async () => {
    expect(pageErrors.length === 0, pageErrors.join("; "));
  });

  await check("screenshot", async () => {
    await page.selectOption("#examples", "Classes");
    const example = await page.inputValue("#source");
    // The example, and a last line that fails: output, an error and its line.
    await setSource(example + "print Circle(1).perimeter();\n");
    const r = await run();
    expect(r.stdout.startsWith("rect with area 6\n"), `stdout ${JSON.stringify(r.stdout)}`);
    expect(r.errors[0]?.message === "Undefined property 'perimeter'.", JSON.stringify(r.errors));
    await page.screenshot({ path: screenshot });
  });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

console.log(`playground: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
