// The clinic example outside the browser: the Deno ECG monitor (a line a second, in real time, with Node's outputs)
// and the triage edge worker in workerd (Node's probabilities and contributions; bad requests refused with JSON).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { softmax } from "../../examples/clinic/lib/ecg.mjs";
import { TRIAGE_ENTRY } from "../../examples/worker/triage-config.mjs";
import { ensureClinic } from "../../scripts/clinic/make.mjs";
import { bin, REPO_DIR, startWorkerd } from "../examples/processes.mjs";
import { cases } from "../examples/reference.mjs";
import { writeConfig } from "../runtimes/workerd/make-config.mjs";
import { assertClose, clinicReference } from "./reference.mjs";

ensureClinic();

/** Runs a command to the end, noting when each stdout line arrived (ms from the start). */
function runTimed(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now(), lines = [];
    let stdout = "", stderr = "";
    const child = spawn(cmd, args, { cwd: REPO_DIR, env: { ...process.env, NO_COLOR: "1", ...env } });
    child.stdout.on("data", (d) => {
      stdout += d;
      while (stdout.includes("\n")) {
        lines.push({ text: stdout.slice(0, stdout.indexOf("\n")), ms: performance.now() - t0 });
        stdout = stdout.slice(stdout.indexOf("\n") + 1);
      }
    });
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("exit", (code) => { clearTimeout(timer); resolve({ code, lines, stderr, ms: performance.now() - t0 }); });
  });
}

test("deno ecg-monitor.ts: read access only, a line a second in real time, the model's outputs are Node's", { timeout: 90_000 }, async (t) => {
  const env = { DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(REPO_DIR, "node_modules/.cache/deno") };
  const r = await runTimed(bin("deno"), ["run", "--no-prompt", "--no-lock", `--allow-read=${REPO_DIR}`, "examples/deno/ecg-monitor.ts"], env);
  assert.equal(r.code, 0, r.stderr);
  const variant = r.stderr.match(/edgenn (\w+) build\), UNTRAINED/)?.[1];
  assert.ok(variant, `no "edgenn <variant> build), UNTRAINED" on stderr:\n${r.stderr}`);
  const [header, ...seconds] = r.lines;
  assert.match(header.text, /^RHYTHM 12-lead ECG, 10000 samples at 1000 Hz: Lead II, 100 ms chunks, in real time$/);
  assert.equal(seconds.length, 10, r.lines.map((l) => l.text).join("\n"));
  const node = await clinicReference(variant);
  try {
    const logits = await node.ecg(100);
    seconds.forEach(({ text }, i) => {
      const m = text.match(/^ +(\d+\.\d) s  ([▁▂▃▄▅▆▇█]{50})  class (\w) (\d\.\d{3})  \(A (\S+) B (\S+) C (\S+) D (\S+) E (\S+)\)  push \d+\.\d ms$/u);
      assert.ok(m, `line ${i + 1}: ${text}`);
      assert.equal(Number(m[1]), i + 1);
      const want = softmax(logits[10 * (i + 1) - 1]); // the output after the second's last chunk
      // Printed to 3 decimals: Node's values round to the same (or, across builds, differ by under half a unit).
      assertClose(m.slice(5).map(Number), want.map((p) => Number(p.toFixed(3))), node.exact, 5e-4 + 1e-6, `second ${i + 1}`);
      assert.equal(m[3], "ABCDE"[want.indexOf(Math.max(...want))], `second ${i + 1}: the top class`);
    });
  } finally {
    node.dispose();
  }
  // Live: a chunk is pushed when its last sample would have been recorded, so second i's line never comes earlier
  // than i − 1 s after the first one; and (on a machine not starved of CPU) not much later either.
  const gaps = seconds.slice(1).map((l, i) => l.ms - seconds[i].ms);
  seconds.forEach((l, i) => assert.ok(l.ms - seconds[0].ms >= i * 1000 - 50, `second ${i + 1}'s line came early: ${(l.ms - seconds[0].ms).toFixed(0)} ms after the first`));
  assert.ok(seconds[9].ms - seconds[0].ms < 12_000, `lines ${gaps.map((g) => g.toFixed(0)).join(", ")} ms apart`);
  t.diagnostic(`deno: 10 lines, ${gaps.map((g) => g.toFixed(0)).join("/")} ms apart, ${r.ms.toFixed(0)} ms whole process, outputs ${node.exact ? "equal to" : "within rounding of"} Node's (${variant} build)`);
});

test("triage worker in workerd: Node's probability and contributions for 20 held-out cases, bad requests get a JSON error", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "edgenn-triage-"));
  const { path } = writeConfig(dir, { entry: TRIAGE_ENTRY, address: "127.0.0.1:0" });
  const workerd = await startWorkerd(path);
  const node = await clinicReference("relaxed"); // workerd's V8 has relaxed SIMD
  try {
    const url = `http://127.0.0.1:${workerd.port}/triage`;
    const post = async (body, init = {}) => {
      const res = await fetch(url, { method: "POST", body, ...init });
      assert.equal(res.headers.get("cache-control"), "no-store");
      return { status: res.status, json: await res.json(), allow: res.headers.get("allow") };
    };
    const t1 = performance.now();
    for (const c of cases().slice(0, 20)) {
      const { status, json } = await post(JSON.stringify({ features: c.features, top: 5 }));
      assert.equal(status, 200, JSON.stringify(json));
      assert.deepEqual(Object.keys(json), ["probability", "label", "threshold", "top", "model", "method"]);
      const want = await node.tabular(c.features);
      assertClose(json.probability, want.probability, node.exact, 1e-6, `${c.id} P`);
      assert.equal(json.label, want.label);
      assert.deepEqual(json.top.map((x) => x.feature), want.top.slice(0, 5).map((x) => x.feature), `${c.id}: the top five`);
      assertClose(json.top.map((x) => x.contribution), want.top.slice(0, 5).map((x) => x.contribution), node.exact, 1e-6, `${c.id} contributions`);
      assert.deepEqual(json.top.map((x) => x.value), want.top.slice(0, 5).map((x) => x.value));
    }
    t.diagnostic(`workerd triage: 20 cases ${node.exact ? "bit-identical to" : "within 1e-6 of"} Node's, ${((performance.now() - t1) / 20).toFixed(1)} ms per request (probability + 30 occlusions)`);
    const features = cases()[0].features;
    assert.equal((await post(JSON.stringify({ features }))).json.top.length, 5, "top defaults to 5");
    for (const [body, message] of [
      ["{features", /not JSON/],
      [JSON.stringify({ features: features.slice(1) }), /must have 30 numbers, got 29/],
      [JSON.stringify({ features: [...features.slice(1), "1"] }), /\[29\] must be a finite number, got "1"/],
      [JSON.stringify({ features, top: 0 }), /"top" must be a whole number from 1 to 30/],
      [JSON.stringify({ features, top: "3" }), /"top" must be a whole number/],
    ]) {
      const r = await post(body);
      assert.deepEqual([r.status, Object.keys(r.json)], [400, ["error"]], body);
      assert.match(r.json.error, message);
    }
    assert.equal((await post("x".repeat(20_000))).status, 413);
    const get = await post(undefined, { method: "GET" });
    assert.deepEqual([get.status, get.allow], [405, "POST"]);
    assert.equal((await fetch(url.replace("/triage", "/predict"), { method: "POST", body: "{}" })).status, 404);
    assert.doesNotMatch(workerd.output(), /internal error|Uncaught/);
  } finally {
    node.dispose();
    await workerd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
