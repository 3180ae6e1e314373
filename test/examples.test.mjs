// The examples in examples/ keep working (they are what a new user copies first): the two small scripts, and the
// four that score real held-out WDBC cases (web page in Chromium, Deno and Node folder scorers, the edge worker in
// workerd), whose answers must be Node's session.run answers: bit for bit on the same kernel build, within 1e-6
// across builds (test/examples/reference.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { features } from "../dist/index.js";
import { featureError, formatProbability, progressBar, scoreFolder } from "../examples/shared/wdbc.mjs";
import { ENTRY as WORKER_ENTRY } from "../examples/worker/make-config.mjs";
import { startServer } from "./browser/server.mjs";
import { withPage } from "./examples/chromium.mjs";
import { bin, REPO_DIR, runProcess, startWorkerd } from "./examples/processes.mjs";
import { assertSameAnswer, cases, nodeAnswers, REPO } from "./examples/reference.mjs";
import { writeConfig } from "./runtimes/workerd/make-config.mjs";

const run = (name) => execFileSync(process.execPath, [new URL(`../examples/${name}`, import.meta.url).pathname], {
  cwd: mkdtempSync(join(tmpdir(), "edgenn-example-")), encoding: "utf8",
});

test("score-one-case: row 0 of the data (malignant) is scored malignant", () => {
  assert.match(run("score-one-case.mjs"), /P\(malignant\) = (0\.9\d*|1\.0000) -> malignant/);
});

test("build-and-save: the hand-set weights give [6.1, 5.9] for [1, 2, 3]", () => {
  const out = run("build-and-save.mjs");
  const [a, b] = out.match(/\[ ([\d.]+), ([\d.]+) \]/).slice(1).map(Number);
  assert.ok(Math.abs(a - 6.1) < 1e-6 && Math.abs(b - 5.9) < 1e-6, out);
});

// ---- examples/{web,deno,node,worker}: each must give Node's session.run answers on real held-out cases ----

const CASES_DIR = join(REPO_DIR, "examples/deno/cases");
const tmp = () => mkdtempSync(join(tmpdir(), "edgenn-example-"));
// A child Node on the kernel build this one runs (npm test runs these tests with and without relaxed SIMD).
const NODE_FLAGS = features().relaxedSimd ? ["--experimental-wasm-relaxed-simd"] : [];
const byId = new Map(cases().map((c) => [c.id, c]));

/** Parses a score-folder CSV → [{ id, probability, label }] (ids here need no unquoting). */
const parseCsv = (csv) => {
  const [header, ...rows] = csv.trimEnd().split("\n");
  assert.equal(header, "id,probability,label");
  return rows.map((r) => { const [id, p, label] = r.split(","); return { id, probability: Number(p), label }; });
};

/** The run of a score-folder script on the committed cases, checked against Node's answers, row by row. */
async function checkScoreFolder(t, label, r) {
  assert.equal(r.code, 0, `${label}: exit ${r.code}\n${r.stderr}`);
  const variant = r.stderr.match(/edgenn (\w+) build/)?.[1];
  assert.ok(variant, `${label}: no "edgenn <variant> build" line on stderr:\n${r.stderr}`);
  assert.match(r.stderr, /\[#{30}\] 20\/20 100%/, `${label}: no finished progress bar on stderr`);
  const rows = parseCsv(r.stdout);
  assert.deepEqual(rows.map((x) => x.id), readdirSync(CASES_DIR).sort().map((f) => JSON.parse(readFileSync(join(CASES_DIR, f), "utf8")).id));
  const node = await nodeAnswers(variant);
  try {
    for (const row of rows) assertSameAnswer(row, node.answer(byId.get(row.id).features), node.exact, `${label} ${row.id}`);
  } finally {
    node.dispose();
  }
  t.diagnostic(`${label}: ${rows.length} cases on the ${variant} build, ${node.exact ? "bit-identical to" : "within 1e-6 of"} Node's (${r.ms.toFixed(0)} ms whole process)`);
}

test("make-cases: examples/deno/cases/ is its output (the first 20 held-out cases, no diagnosis)", async () => {
  const dir = tmp();
  try {
    const r = await runProcess(process.execPath, ["examples/make-cases.mjs", dir]);
    assert.equal(r.code, 0, r.stderr);
    const names = readdirSync(dir).sort();
    assert.deepEqual(names, readdirSync(CASES_DIR).sort());
    for (const name of names) assert.equal(readFileSync(join(dir, name), "utf8"), readFileSync(join(CASES_DIR, name), "utf8"), name);
    const first = JSON.parse(readFileSync(join(dir, names[0]), "utf8"));
    assert.deepEqual(Object.keys(first), ["id", "features"]);
    assert.deepEqual(first.features, byId.get(first.id).features);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("shared module: input checks, the progress bar, CSV quoting, probability display", async () => {
  assert.equal(featureError(new Array(30).fill(1.5)), null);
  assert.match(featureError(undefined), /must be an array of 30/);
  assert.match(featureError([1, 2]), /must have 30 numbers, got 2/);
  assert.match(featureError([...new Array(29).fill(1), "7"]), /\[29\] must be a finite number, got "7"/);
  assert.match(featureError([...new Array(29).fill(1), null]), /\[29\] must be a finite number, got null/);
  assert.match(featureError([...new Array(29).fill(1), NaN]), /\[29\] must be a finite number, got NaN/);

  // Not a terminal: a line at most every 2 s, and always the last one.
  let clock = 0;
  const lines = [];
  const bar = progressBar({ total: 4, write: (s) => lines.push(s), tty: false, width: 8, now: () => clock });
  for (let i = 1; i <= 4; i++) { clock += 600; bar(i); }
  assert.deepEqual(lines, ["[##------] 1/4 25%\n", "[########] 4/4 100%\n"]);
  // A terminal: redrawn in place, a newline only at the end.
  const tty = [];
  const ttyBar = progressBar({ total: 2, write: (s) => tty.push(s), tty: true, width: 4, everyMs: 0 });
  ttyBar(1); ttyBar(2);
  assert.deepEqual(tty, ["\r[##--] 1/2 50%", "\r[####] 2/2 100%\n"]);

  const fake = { score: async (f) => { const e = featureError(f); if (e) throw new TypeError(e); return { probability: 0.25, label: "benign" }; } };
  const files = { "a.json": JSON.stringify({ id: 'say "hi", twice', features: new Array(30).fill(1) }), "b.json": "{", "c.json": "{}", "d.json": JSON.stringify({ features: new Array(30).fill(2) }) };
  const { csv, skipped } = await scoreFolder({ names: Object.keys(files), read: async (n) => files[n], scorer: fake });
  assert.equal(csv, 'id,probability,label\n"say ""hi"", twice",0.25,benign\nd,0.25,benign\n');
  assert.deepEqual(skipped.map((s) => s.name), ["b.json", "c.json"]);
  assert.match(skipped[0].error, /^not JSON/);

  assert.deepEqual([0.99995, 0.5, 0.04705, 0.00005].map(formatProbability), ["> 0.9999", "0.5000", "0.0471", "< 0.0001"]);
});

test("node score-folder: the CSV is Node's session.run answers for the 20 cases, with a progress bar on stderr", async (t) => {
  await checkScoreFolder(t, "node", await runProcess(process.execPath, [...NODE_FLAGS, "examples/node/score-folder.mjs", CASES_DIR]));
});

test("node score-folder: bad files are skipped and named, the rest still scored, exit 1; no folder: usage, exit 2", async () => {
  const dir = tmp();
  try {
    for (const f of ["case-003.json", "case-008.json"]) copyFileSync(join(CASES_DIR, f), join(dir, f));
    writeFileSync(join(dir, "broken.json"), '{"id": "x", "features": [1, 2');
    writeFileSync(join(dir, "short.json"), JSON.stringify({ id: "short", features: new Array(29).fill(1) }));
    writeFileSync(join(dir, "strings.json"), JSON.stringify({ id: "strings", features: new Array(30).fill("1") }));
    writeFileSync(join(dir, "notes.txt"), "not a case: only .json files are read");
    mkdirSync(join(dir, "sub.json")); // a folder, whatever its name: not read
    const r = await runProcess(process.execPath, [...NODE_FLAGS, "examples/node/score-folder.mjs", dir]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(parseCsv(r.stdout).map((x) => x.id), ["wdbc-3", "wdbc-8"]);
    assert.match(r.stderr, /5 cases in/);
    assert.match(r.stderr, /skipped broken\.json: not JSON/);
    assert.match(r.stderr, /skipped short\.json: "features" must have 30 numbers, got 29/);
    assert.match(r.stderr, /skipped strings\.json: "features"\[0\] must be a finite number, got "1"/);
    assert.doesNotMatch(r.stderr, /notes\.txt|sub\.json/);

    const usage = await runProcess(process.execPath, ["examples/node/score-folder.mjs"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^usage: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("deno score-folder.ts: read access only, and the CSV is Node's answers for the 20 cases", async (t) => {
  const env = { DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(REPO_DIR, "node_modules/.cache/deno") };
  // --allow-read only: the script needs no write, network or environment access (--no-prompt: fail, not ask).
  const r = await runProcess(bin("deno"), ["run", "--no-prompt", "--no-lock", `--allow-read=${REPO_DIR}`, "examples/deno/score-folder.ts", CASES_DIR], { env });
  await checkScoreFolder(t, "deno", r);
});

test("worker in workerd: POST /predict gives Node's answers for 20 held-out cases; bad input is a 400 with a JSON error", { timeout: 60_000 }, async (t) => {
  const dir = tmp();
  const t0 = performance.now();
  const { path, modules } = writeConfig(dir, { entry: WORKER_ENTRY, address: "127.0.0.1:0" });
  const workerd = await startWorkerd(path);
  const node = await nodeAnswers("relaxed"); // workerd's V8 has relaxed SIMD (test/runtimes.test.mjs checks it picks it)
  try {
    const url = `http://127.0.0.1:${workerd.port}`;
    const post = async (body, route = "/predict", init = {}) => {
      const res = await fetch(url + route, { method: "POST", body, ...init });
      const text = await res.text();
      let json;
      try { json = JSON.parse(text); } catch { assert.fail(`${route}: HTTP ${res.status}, not JSON: ${text}\n${workerd.output()}`); }
      assert.equal(res.headers.get("content-type"), "application/json");
      assert.equal(res.headers.get("cache-control"), "no-store");
      return { status: res.status, json, allow: res.headers.get("allow") };
    };
    const first = await post(JSON.stringify({ features: cases()[0].features }));
    t.diagnostic(`workerd: ${modules.length} modules; start + first answer ${(performance.now() - t0).toFixed(0)} ms`);
    assert.equal(first.status, 200, JSON.stringify(first.json));

    const t1 = performance.now();
    const sample = cases().slice(0, 20);
    for (const c of sample) {
      const { status, json } = await post(JSON.stringify({ features: c.features }));
      assert.equal(status, 200, `${c.id}: ${JSON.stringify(json)}`);
      assert.deepEqual(Object.keys(json), ["probability", "label", "model"]);
      assert.deepEqual(json.model, { name: "wdbc-mlp", version: "1.0.0" });
      assertSameAnswer(json, node.answer(c.features), node.exact, `workerd ${c.id}`);
    }
    t.diagnostic(`workerd: 20 cases ${node.exact ? "bit-identical to" : "within 1e-6 of"} Node's, ${((performance.now() - t1) / 20).toFixed(1)} ms per request`);

    const features = cases()[0].features;
    const bad = [
      ["not JSON", "{features: [1, 2]}", /not JSON/],
      ["empty body", "", /not JSON/],
      ["no features", "{}", /must be an array of 30/],
      ["a bare array", JSON.stringify(features), /must be an array of 30/],
      ["29 values", JSON.stringify({ features: features.slice(1) }), /must have 30 numbers, got 29/],
      ["31 values", JSON.stringify({ features: [...features, 1] }), /must have 30 numbers, got 31/],
      ["a string among them", JSON.stringify({ features: [...features.slice(1), "0.5"] }), /\[29\] must be a finite number, got "0.5"/],
      ["null (what JSON makes of NaN)", JSON.stringify({ features: [NaN, ...features.slice(1)] }), /\[0\] must be a finite number, got null/],
    ];
    for (const [what, body, message] of bad) {
      const r = await post(body);
      assert.equal(r.status, 400, `${what}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
      assert.deepEqual(Object.keys(r.json), ["error"], what);
      assert.match(r.json.error, message, what);
    }
    assert.equal((await post("x".repeat(20_000))).status, 413); // refused on its content-length
    const chunked = new Blob(["x".repeat(20_000)]).stream(); // no content-length: refused once read
    assert.equal((await post(chunked, "/predict", { duplex: "half" })).status, 413);
    const get = await post(undefined, "/predict", { method: "GET" });
    assert.deepEqual([get.status, get.allow], [405, "POST"]);
    assert.equal((await post("{}", "/")).status, 404);
    // Still answering after all that.
    assertSameAnswer((await post(JSON.stringify({ features }))).json, node.answer(features), node.exact, "workerd after bad requests");
    assert.doesNotMatch(workerd.output(), /internal error|Uncaught/);
  } finally {
    node.dispose();
    await workerd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("web page in Chromium: two held-out cases and an edited one show Node's answers, with no request after loading", { timeout: 120_000 }, async (t) => {
  assert.ok(existsSync(new URL("dist/bundle/edgenn.js", REPO)), "dist/bundle/edgenn.js is missing: run npm run build");
  const server = await startServer();
  const shots = fileURLToPath(new URL("test/screenshots/", REPO));
  mkdirSync(shots, { recursive: true });
  try {
    await withPage(async (page, errors) => {
      const t0 = performance.now();
      await page.goto(`${server.url}examples/web/index.html`);
      await page.waitForSelector('#result[data-state="scored"]', { timeout: 30_000 });
      t.diagnostic(`web: page loaded and first case scored in ${(performance.now() - t0).toFixed(0)} ms`);
      const variant = (await page.textContent("#model")).match(/edgenn (\w+) build/)?.[1];
      assert.equal(variant, "relaxed", "Chromium has relaxed SIMD");
      const requests = []; // whatever the page asks the network for from now on
      page.on("request", (r) => requests.push(r.url()));
      const node = await nodeAnswers(variant);
      try {
        const shown = async (what) => {
          const r = await page.evaluate(() => ({ ...document.getElementById("result").dataset, text: document.getElementById("probability").textContent, decision: document.getElementById("decision").textContent, record: document.getElementById("record").textContent, local: document.getElementById("local").textContent }));
          assert.equal(r.text, formatProbability(Number(r.probability)), `${what}: the page rounds its own answer`);
          assert.match(r.local, /^Nothing left this device\..*network requests since the model loaded: 0\.$/, what);
          assert.equal(r.requests, "0", what);
          return { ...r, probability: Number(r.probability), label: r.decision };
        };
        // wdbc-43: malignant, P 0.9989; wdbc-73: malignant on record, but the model says benign (P 0.047).
        for (const id of ["wdbc-43", "wdbc-73"]) {
          await page.selectOption("#case", id);
          await page.waitForSelector(`#result[data-case="${id}"][data-edited="false"]`);
          const r = await shown(id);
          const want = node.answer(byId.get(id).features);
          assertSameAnswer(r, want, node.exact, `web ${id}`);
          if (node.exact) assert.equal(r.text, formatProbability(want.probability));
          assert.equal(r.record, byId.get(id).diagnosis);
          t.diagnostic(`web ${id}: shows ${r.text} ${r.label} (Node: ${want.probability} ${want.label})`);
        }
        await page.screenshot({ path: join(shots, "examples-web.png"), fullPage: true });

        // Edit one measurement of wdbc-73: "worst concave points" (index 27) up to a malignant-looking value.
        const edited = byId.get("wdbc-73").features.with(27, 0.25);
        await page.fill('input[title="worst concave points"]', "0.25");
        await page.waitForSelector('#result[data-edited="true"][data-state="scored"]');
        const r = await shown("edited");
        assertSameAnswer(r, node.answer(edited), node.exact, "web, wdbc-73 edited");
        assert.equal(r.record, "edited: no diagnosis");
        t.diagnostic(`web wdbc-73 with worst concave points 0.25: shows ${r.text} ${r.label}`);
        await page.screenshot({ path: join(shots, "examples-web-edited.png"), fullPage: true });

        // An emptied field: no answer shown for values that are not there.
        await page.fill('input[title="mean radius"]', "");
        await page.waitForSelector('#result[data-state="invalid"]');
        assert.equal(await page.textContent("#probability"), "–");
        assert.match(await page.textContent("#local"), /“mean radius” is not a number/);
      } finally {
        node.dispose();
      }
      assert.deepEqual(requests, [], "the page made network requests while scoring");
      assert.deepEqual(errors, []);
    });
  } finally {
    await server.close();
  }
});
