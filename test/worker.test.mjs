// loadInWorker: the session in a dedicated worker (Node worker_threads here, Web Workers in Deno, Bun and the
// browsers: test/worker/check.mjs, test/browser/page.mjs). Same answers as load() in this thread, bit for bit;
// the caller's arrays untouched; errors with their codes; progress, audit events and abort cross over; a session
// nobody disposed does not keep the process alive; the main thread runs while the worker computes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EdgennError, Tensor, load, loadInWorker } from "../dist/index.js";
import { runFixtures } from "./runtimes/fixture-check.mjs";
import { haveFixtures, makeFixtures } from "./runtimes/fixtures.mjs";
import { ensureModels, readNpy } from "../scripts/models.mjs";

const REPO = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const MODEL = join(REPO, "models/wdbc-mlp.enn");
const fixtures = haveFixtures() ? JSON.parse(readFileSync(join(REPO, "test/runtimes/fixtures.json"), "utf8")) : await makeFixtures();
const rand = (n, seed) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));

test("Node: the same outputs as load() in this thread, bit for bit; the conv and LSTM fixtures match onnxruntime-node", async () => {
  const x = new Tensor("float32", rand(7 * 30, 1), [7, 30]);
  const kept = x.data.slice();
  const [remote, local] = await Promise.all([loadInWorker(MODEL), load(MODEL)]);
  assert.deepEqual(remote.inputNames, local.inputNames);
  assert.deepEqual(remote.outputNames, local.outputNames);
  assert.deepEqual(remote.inputs, local.inputs);
  assert.equal(remote.variant, local.variant);
  const a = (await remote.run({ input: x })).output, b = (await local.run({ input: x })).output;
  assert.ok(a instanceof Tensor);
  assert.deepEqual(a.dims, b.dims);
  assert.deepEqual([...a.data], [...b.data]);
  assert.deepEqual([...x.data], [...kept], "the caller's input was changed");
  local.dispose();
  await remote.dispose();
  for (const m of await runFixtures(fixtures, {}, { load: loadInWorker, Tensor })) assert.ok(m.ok, `${m.name}: ${m.maxAbsDiff}`);
});

test("errors keep their codes; progress and audit events cross over; an abort stops the load", async () => {
  const events = [], phases = [];
  const s = await loadInWorker(readFileSync(MODEL), { onProgress: (p) => phases.push(p.phase), onEvent: (e) => events.push(e.type) });
  assert.deepEqual(phases, ["download", "verify", "decode", "pack", "ready"]);
  await assert.rejects(s.run({ nope: new Tensor("float32", rand(30, 2), [1, 30]) }), (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && /unknown input 'nope'/.test(e.message));
  await assert.rejects(s.run({ input: new Tensor("float32", rand(29, 2), [1, 29]) }), (e) => e instanceof EdgennError && e.code === "BAD_INPUT");
  await s.run({ input: new Tensor("float32", rand(30, 3), [1, 30]) });
  assert.ok(events.includes("load") && events.includes("run"), `audit events: ${events}`);
  await s.dispose();
  await assert.rejects(s.run({ input: new Tensor("float32", rand(30, 3), [1, 30]) }), (e) => e.code === "DISPOSED");

  const damaged = readFileSync(MODEL);
  damaged[damaged.length - 100] ^= 0x40;
  await assert.rejects(loadInWorker(damaged), (e) => e instanceof EdgennError && e.code === "BAD_FILE");
  await assert.rejects(loadInWorker({}), (e) => e.code === "BAD_INPUT");
  const stop = new AbortController();
  stop.abort("user cancelled");
  await assert.rejects(loadInWorker(MODEL, { signal: stop.signal }), (e) => e.code === "ABORTED");
  // Aborted while the worker reads: a large model, cancelled as soon as its first bytes arrive.
  const { dir, manifest } = ensureModels();
  const big = new AbortController();
  await assert.rejects(loadInWorker(join(dir, manifest.models.densenet121.onnx), { signal: big.signal, onProgress: () => big.abort("enough") }), (e) => e.code === "ABORTED");
});

test("the main thread keeps running while the worker computes (DenseNet-121 on a real CT slice)", async () => {
  const { dir, manifest } = ensureModels();
  const m = manifest.models.densenet121;
  const x = readNpy(join(dir, m.inputs[0].file));
  const s = await loadInWorker(join(dir, m.onnx));
  const feeds = { [s.inputNames[0]]: new Tensor("float32", x.data, x.shape) };
  await s.run(feeds); // warm
  const order = [];
  const running = s.run(feeds).then(() => order.push("run"));
  await new Promise((r) => setTimeout(r, 0)).then(() => order.push("timer")); // cannot fire before a run in this thread ends
  await running;
  assert.deepEqual(order, ["timer", "run"]);
  const local = await load(join(dir, m.onnx));
  const [a, b] = [(await running, await s.run(feeds)), await local.run(feeds)].map((o) => Object.values(o)[0]);
  assert.deepEqual([...a.data], [...b.data]);
  local.dispose();
  await s.dispose();
});

test("a worker session nobody disposed does not keep Node alive", () => {
  const script = `import { loadInWorker, Tensor } from ${JSON.stringify(join(REPO, "dist/index.js"))};
    const s = await loadInWorker(${JSON.stringify(MODEL)});
    const y = await s.run({ input: new Tensor("float32", new Float32Array(30), [1, 30]) });
    console.log(y.output.data.length);`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
  assert.equal(r.signal, null, `the process had to be killed: it did not exit by itself\n${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "1");
});

for (const [name, args] of [["deno", ["run", "--no-prompt", "--no-lock", `--allow-read=${REPO}`]], ["bun", []]]) {
  test(`${name}: Web Workers, the same answers (test/worker/check.mjs)`, (t) => {
    const out = execFileSync(join(REPO, "node_modules/.bin", name), [...args, join(REPO, "test/worker/check.mjs")], {
      cwd: REPO, encoding: "utf8", timeout: 30_000, env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(REPO, "node_modules/.cache/deno") },
    });
    const r = JSON.parse(out.trim().split("\n").at(-1));
    t.diagnostic(JSON.stringify(r));
    assert.equal(r.sameAsThisThread, true);
    assert.equal(r.inputUnchanged, true);
    assert.equal(r.disposedError, "DISPOSED");
    assert.deepEqual(r.phases, ["download", "verify", "decode", "pack", "ready"]);
    assert.deepEqual(r.models.map((m) => m.name), fixtures.map((f) => f.name));
    for (const m of r.models) assert.ok(m.ok, `${name} ${m.name}: ${m.maxAbsDiff}`);
  });
}
