// The same models give the same answers in Node, Deno, Bun and Cloudflare workerd: test/runtimes/smoke.mjs runs
// the 114 held-out WDBC cases in each and must match tfjs within 1e-5, and a conv and an LSTM model (real PyTorch
// exports as .enn, test/runtimes/fixtures.mjs) must match onnxruntime-node within 1e-4, on the kernel build each runtime should pick
// (Deno, Bun: relaxed SIMD; Bun with relaxed SIMD switched off: the plain SIMD fallback; Bun and Deno with SIMD
// switched off: the scalar build; workerd: per features()).
// The runtimes are devDependencies (node_modules/.bin); a missing one fails the test, it is not skipped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { features } from "../dist/index.js";
import { makeFixtures } from "./runtimes/fixtures.mjs";
import { runSmoke } from "./runtimes/smoke.mjs";
import { writeConfig } from "./runtimes/workerd/make-config.mjs";

const REPO = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const SMOKE = join(REPO, "test/runtimes/smoke.mjs");
const BIN = (name) => join(REPO, "node_modules/.bin", name);
const CHILD_TIMEOUT_MS = 20_000;
const WORKERD_DEADLINE_MS = 20_000;

function binary(name) {
  const path = BIN(name);
  if (!existsSync(path)) {
    assert.fail(`${name} is not installed (${path} is missing): it is a devDependency, run \`npm install\` in ${REPO}; `
      + `its postinstall must run (npm install-scripts approve deno bun workerd), see /work/shared/runtimes.md`);
  }
  return path;
}

/** The environment for a child: ours, minus anything that would change what is tested, plus `extra`. */
function childEnv(extra = {}) {
  const env = { ...process.env, NO_COLOR: "1", ...extra };
  for (const k of Object.keys(env)) if (k.startsWith("BUN_JSC_") && !(k in extra)) delete env[k];
  return env;
}

/** Runs a command to completion (killed after CHILD_TIMEOUT_MS); returns { code, signal, stdout, stderr, ms }. */
function run(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    child.on("error", (e) => { clearTimeout(timer); reject(e); });
    child.on("close", (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 }); });
  });
}

/** Runs the smoke script in a child runtime and returns its JSON line. */
async function smokeIn(t, label, cmd, args, env) {
  const r = await run(cmd, args, env);
  const line = r.stdout.trim().split("\n").filter(Boolean).at(-1);
  let result;
  try { result = JSON.parse(line); } catch { /* reported below */ }
  assert.ok(result, `${label}: no JSON result (exit ${r.code}${r.signal ? `, ${r.signal}` : ""}${r.signal === "SIGKILL" ? `, killed after ${CHILD_TIMEOUT_MS} ms` : ""})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.code, 0, `${label}: exit ${r.code}\nstderr: ${r.stderr}`);
  t.diagnostic(`${label}: ${JSON.stringify(result)} (whole process ${r.ms.toFixed(0)} ms)`);
  return result;
}

// The conv and LSTM fixtures every runtime runs besides the default model (with onnxruntime-node's answers).
const fixtures = await makeFixtures();

function assertSmoke(label, result, variant) {
  assert.equal(result.error, undefined, `${label}: ${result.error}`);
  assert.equal(result.cases, 114, `${label}: ran ${result.cases} cases`);
  assert.ok(result.maxAbsDiffVsTfjs <= 1e-5, `${label}: max |diff| vs tfjs ${result.maxAbsDiffVsTfjs} > 1e-5`);
  assert.equal(result.ok, true, `${label}: not ok: ${JSON.stringify(result)}`);
  assert.equal(result.variant, variant, `${label}: ran the ${result.variant} build, expected ${variant} (features ${JSON.stringify(result.features)})`);
  assert.deepEqual(result.models?.map((m) => m.name), fixtures.map((f) => f.name), `${label}: the conv and LSTM models did not run`);
  for (const m of result.models) assert.ok(m.ok, `${label}: ${m.name} differs from onnxruntime-node by ${m.maxAbsDiff}`);
}

test("node (this process): the smoke module, fed bytes", async (t) => {
  const reference = JSON.parse(readFileSync(join(REPO, "test/models/wdbc-reference.json"), "utf8"));
  const result = await runSmoke({ model: readFileSync(join(REPO, "models/wdbc-mlp.enn")), reference, fixtures });
  t.diagnostic(`node: ${JSON.stringify(result)}`);
  const f = features();
  assertSmoke("node", result, f.relaxedSimd ? "relaxed" : f.simd ? "simd" : "scalar");
});

test("deno: relaxed SIMD, model and kernels read through the loader's file: path", async (t) => {
  const deno = binary("deno");
  const env = childEnv({ DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(REPO, "node_modules/.cache/deno") });
  const result = await smokeIn(t, "deno", deno, ["run", "--no-prompt", "--no-lock", `--allow-read=${REPO}`, SMOKE], env);
  assertSmoke("deno", result, "relaxed");
});

test("deno with --v8-flags=--no-enable-sse4-1: V8 without wasm SIMD gets the scalar build", async (t) => {
  const env = childEnv({ DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(REPO, "node_modules/.cache/deno") });
  const result = await smokeIn(t, "deno (SIMD off)", binary("deno"), ["run", "--no-prompt", "--no-lock", "--v8-flags=--no-enable-sse4-1", `--allow-read=${REPO}`, SMOKE], env);
  assert.deepEqual(result.features, { simd: false, relaxedSimd: false }, "the flag no longer turns wasm SIMD off in this Deno: the scalar fallback is not tested");
  assertSmoke("deno (SIMD off)", result, "scalar");
});

test("bun: relaxed SIMD", async (t) => {
  const result = await smokeIn(t, "bun", binary("bun"), [SMOKE], childEnv());
  assertSmoke("bun", result, "relaxed");
});

test("bun with BUN_JSC_useWasmRelaxedSIMD=false: the plain SIMD fallback", async (t) => {
  const result = await smokeIn(t, "bun (relaxed SIMD off)", binary("bun"), [SMOKE], childEnv({ BUN_JSC_useWasmRelaxedSIMD: "false" }));
  assert.equal(result.features?.relaxedSimd, false, "the env var no longer turns relaxed SIMD off in this Bun: the fallback is not tested");
  assertSmoke("bun (relaxed SIMD off)", result, "simd");
});

test("bun with BUN_JSC_useWasmSIMD=false: an engine without wasm SIMD gets the scalar build", async (t) => {
  const result = await smokeIn(t, "bun (SIMD off)", binary("bun"), [SMOKE], childEnv({ BUN_JSC_useWasmSIMD: "false" }));
  assert.deepEqual(result.features, { simd: false, relaxedSimd: false }, "the env var no longer turns SIMD off in this Bun: the scalar fallback is not tested");
  assertSmoke("bun (SIMD off)", result, "scalar");
});

test("workerd: precompiled kernels through options.sources; compiling bytes is refused", async (t) => {
  const workerd = binary("workerd");
  const dir = mkdtempSync(join(tmpdir(), "edgenn-workerd-"));
  let child;
  try {
    const { path, modules } = writeConfig(dir, { address: "127.0.0.1:0" });
    const t0 = performance.now();
    const deadline = Date.now() + WORKERD_DEADLINE_MS;
    // Port 0, and workerd reports the port it bound on the control fd (3): no port races.
    child = spawn(workerd, ["serve", path, "--control-fd=3"], { cwd: dir, env: childEnv(), stdio: ["ignore", "pipe", "pipe", "pipe"] });
    let stderr = ""; // stdout and stderr, for failure messages
    child.stdout.on("data", (d) => (stderr += d));
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => resolve({ code, signal }));
      child.on("error", (e) => resolve({ code: e.message, signal: null })); // could not start it at all
    });
    const port = await new Promise((resolve, reject) => {
      let ctl = "";
      const timer = setTimeout(() => reject(new Error(`workerd did not start listening within ${WORKERD_DEADLINE_MS} ms\n${stderr}`)), WORKERD_DEADLINE_MS);
      child.stdio[3].on("data", (d) => {
        ctl += d;
        for (const l of ctl.split("\n")) {
          try { const m = JSON.parse(l); if (m.event === "listen" && m.socket === "http") { clearTimeout(timer); resolve(m.port); } } catch { /* partial line */ }
        }
      });
      exited.then(({ code, signal }) => { clearTimeout(timer); reject(new Error(`workerd exited (${code ?? signal}) before listening:\n${stderr}`)); });
    });
    // Polls until workerd answers (connection errors are retried until the deadline); an answer must be JSON.
    const get = async (route) => {
      for (let attempt = 1; ; attempt++) {
        let res;
        try {
          res = await fetch(`http://127.0.0.1:${port}${route}`, { signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())) });
        } catch (e) {
          if (child.exitCode !== null || Date.now() + 50 >= deadline) {
            throw new Error(`workerd: GET ${route} failed after ${attempt} attempts within ${WORKERD_DEADLINE_MS} ms (${e.cause?.message ?? e.message}; workerd ${child.exitCode === null ? "running" : `exited ${child.exitCode}`})\n${stderr}`);
          }
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        const text = await res.text();
        try { return { status: res.status, body: JSON.parse(text) }; } catch { throw new Error(`workerd: GET ${route}: HTTP ${res.status}, not JSON: ${text.slice(0, 500)}\n${stderr}`); }
      }
    };
    const smoke = await get("/");
    const ready = performance.now() - t0;
    t.diagnostic(`workerd (${modules.length} modules): ${JSON.stringify(smoke.body)} (start + first request ${ready.toFixed(0)} ms)`);
    assert.equal(smoke.status, 200, `workerd: HTTP ${smoke.status}: ${JSON.stringify(smoke.body)}`);
    assertSmoke("workerd", smoke.body, smoke.body.expectedVariant);
    assert.equal(smoke.body.nodeFs, false, "node:fs/promises is importable in this worker, so the smoke does not show the loader avoids it");

    const compile = await get("/compile-bytes");
    assert.equal(compile.status, 200, `workerd /compile-bytes: HTTP ${compile.status}: ${JSON.stringify(compile.body)}`);
    t.diagnostic(`workerd /compile-bytes: ${compile.body.checks.map((c) => `${c.what} → ${c.message}`).join("; ")}`);
    assert.equal(compile.body.validateWorks, true, "WebAssembly.validate must work in workerd (features() relies on it)");
    for (const c of compile.body.checks) assert.ok(c.disallowed, `workerd: ${c.what} should fail "disallowed by embedder", got: ${c.message}`);
    assert.equal(compile.body.ok, true);
  } finally {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
