// The opt-in kernel threads (load option `threads`, bindings/wasm/threads.ts, bindings/ops/parallel.ts).
// - Every conv family (im2col + GEMM, 1x1, Winograd 3x3 and 1-D, depthwise, groups, dilation, batches) and dense
//   layers, big enough to be split: 2 and 3 threads give bit-identical outputs to 1 thread (each output element
//   is computed by the same arithmetic in the same order), and 1 thread matches tfjs / a float64 reference.
//   A counter on ThreadPool.run proves each case really was split.
// - The real models (scripts/models.mjs): 2 threads bit-identical to 1 thread.
// - Option checks, the clear error where threads are unavailable, a failing worker surfaces as an error,
//   dispose() ends the workers, and a process with an undisposed threaded session still exits.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { InferenceSession, load, Tensor, EdgennError } from "../dist/index.js";
import { ThreadPool } from "../dist/wasm/threads.js";
import { instantiateKernels } from "../dist/wasm/loader.js";
import { ensureModels, readNpy } from "../scripts/models.mjs";
import { assertClose, initTf, node, rng, tfConv2d } from "./ops/harness.mjs";

before(initTf);

// Counts kernel calls split over threads.
let splits = 0;
const run = ThreadPool.prototype.run;
ThreadPool.prototype.run = function (jobs) { splits++; return run.call(this, jobs); };

/** Runs `graph` on `threads` threads: { outputs (name -> Float32Array), splits (kernel calls split) }. */
async function runOn(graph, feeds, threads) {
  const s = await InferenceSession.fromGraph(graph, { threads });
  try {
    assert.equal(s.threads, threads);
    splits = 0;
    const res = s.runSync(feeds);
    return { out: Object.fromEntries(graph.outputs.map((o) => [o, res[o].data])), splits };
  } finally {
    s.dispose();
  }
}

/** Asserts that two Float32Arrays hold the same bits (NaN payloads aside), naming the first difference. */
function assertSameBits(label, got, want) {
  assert.equal(got.length, want.length, `${label}: length`);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length), b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  let diff = 0, first = -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) { diff++; if (first < 0) first = i; }
  assert.equal(diff, 0, `${label}: ${diff} of ${a.length} elements differ from 1 thread (first at ${first}: ${got[first]} vs ${want[first]})`);
}

const ACC = { atol: 1e-5, rel: 1e-5 };
// Each case is over PARALLEL_MIN_FLOPS (4 MFLOP), so its conv is split; heights are not multiples of the thread
// count (nor of 4, the Winograd tile) so that the parts differ in size and padding.
const CONVS = [
  { name: "Winograd 3x3 pads 1, 31 rows, relu6", n: 1, h: 31, w: 21, cin: 16, cout: 24, k: [3, 3], pad: [1, 1, 1, 1], clip: [0, 6] },
  { name: "Winograd 3x3, batch 3 (split by image)", n: 3, h: 16, w: 15, cin: 16, cout: 32, k: [3, 3], pad: [1, 1, 1, 1] },
  { name: "im2col 3x3 stride 2 pads [1,1,0,0]", n: 1, h: 41, w: 40, cin: 24, cout: 32, k: [3, 3], strides: [2, 2], pad: [1, 1, 0, 0] },
  { name: "1x1 stride 1 (no im2col)", n: 1, h: 33, w: 32, cin: 64, cout: 64, k: [1, 1], pad: [0, 0, 0, 0] },
  { name: "im2col 3x3 dilation 2 pads [2,1,0,2]", n: 1, h: 40, w: 30, cin: 16, cout: 16, k: [3, 3], dilations: [2, 2], pad: [2, 1, 0, 2] },
  { name: "im2col 3x3 groups 2", n: 1, h: 40, w: 40, cin: 32, cout: 32, k: [3, 3], pad: [1, 1, 1, 1], groups: 2 },
  { name: "depthwise 3x3 stride 2 pads 1", n: 1, h: 161, w: 160, cin: 48, cout: 48, k: [3, 3], strides: [2, 2], pad: [1, 1, 1, 1], groups: 48 },
  { name: "depthwise 5x5 stride 1 pads 2", n: 1, h: 47, w: 44, cin: 40, cout: 40, k: [5, 5], pad: [2, 2, 2, 2], groups: 40 },
  { name: "1-D Winograd 1x5 (rows split)", n: 1, h: 9, w: 100, cin: 16, cout: 32, k: [1, 5], pad: [0, 2, 0, 2] },
];

for (const c of CONVS) {
  test(`Conv ${c.name}: 2 and 3 threads bit-identical to 1 thread, which matches tfjs`, async (t) => {
    const R = rng(7), groups = c.groups ?? 1;
    const x = { shape: [c.n, c.h, c.w, c.cin], data: R.array(c.n * c.h * c.w * c.cin) };
    const w = { shape: [c.cout, c.cin / groups, ...c.k], data: R.array(c.cout * (c.cin / groups) * c.k[0] * c.k[1]) };
    const b = { shape: [c.cout], data: R.array(c.cout) };
    const attrs = { layout: "NHWC", group: groups, pads: c.pad, ...(c.strides ? { strides: c.strides } : {}), ...(c.dilations ? { dilations: c.dilations } : {}) };
    if (c.clip) Object.assign(attrs, { activation: "clip", alpha: c.clip[0], beta: c.clip[1] });
    const graph = {
      inputs: [{ name: "x", dtype: "float32", shape: x.shape }], outputs: ["y"],
      nodes: [node("Conv", ["x", "w", "b"], ["y"], attrs)], constants: new Map([["w", w], ["b", b]]),
    };
    const feeds = { x: new Tensor("float32", x.data, x.shape) };
    const one = await runOn(graph, feeds, 1);
    assert.equal(one.splits, 0, "1 thread splits nothing");
    for (const threads of [2, 3]) {
      const many = await runOn(graph, feeds, threads);
      assert.equal(many.splits, 1, `the conv was split over ${threads} threads`);
      assertSameBits(`${c.name}, ${threads} threads`, many.out.y, one.out.y);
    }
    const args = { x, w, b, strides: c.strides, dilations: c.dilations, pad: c.pad, groups };
    const ref = tfConv2d(args), absSum = tfConv2d({ ...args, abs: true });
    const lo = c.clip?.[0] ?? -Infinity, hi = c.clip?.[1] ?? Infinity;
    assertClose(c.name, { shape: ref.shape, data: one.out.y }, { shape: ref.shape, data: ref.data.map((v) => Math.min(hi, Math.max(lo, v))) },
      { bound: absSum.data.map((s) => ACC.atol + ACC.rel * s), t });
  });
}

for (const [m, k, n] of [[1, 1024, 2052], [7, 300, 1001]]) {
  test(`Dense ${m}x${k} · ${k}x${n}: 2 and 3 threads bit-identical to 1 thread, which matches a float64 reference`, async () => {
    const R = rng(11);
    const x = R.array(m * k), w = R.array(k * n), bias = R.array(n);
    const graph = {
      inputs: [{ name: "x", dtype: "float32", shape: [m, k] }], outputs: ["y"],
      nodes: [node("Dense", ["x", "w", "b"], ["y"])], constants: new Map([["w", { shape: [k, n], data: w }], ["b", { shape: [n], data: bias }]]),
    };
    const feeds = { x: new Tensor("float32", x, [m, k]) };
    const one = await runOn(graph, feeds, 1);
    for (const threads of [2, 3]) {
      const many = await runOn(graph, feeds, threads);
      assert.equal(many.splits, 1, `the GEMM was split over ${threads} threads`);
      assertSameBits(`Dense, ${threads} threads`, many.out.y, one.out.y);
    }
    const ref = new Float64Array(m * n), bound = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = bias[j], a = Math.abs(bias[j]);
      for (let q = 0; q < k; q++) { s += x[i * k + q] * w[q * n + j]; a += Math.abs(x[i * k + q] * w[q * n + j]); }
      ref[i * n + j] = s;
      bound[i * n + j] = ACC.atol + ACC.rel * a;
    }
    assertClose("Dense", { shape: [m, n], data: one.out.y }, { shape: [m, n], data: ref }, { bound });
  });
}

const { dir, manifest } = ensureModels();
for (const name of ["dna_cnn", "squeezenet1_1", "mobilenet_v2", "resnet18", "transformer_text"]) {
  test(`${name}: 2 threads give bit-identical outputs to 1 thread`, { timeout: 120_000 }, async () => {
    const m = manifest.models[name];
    const bytes = readFileSync(join(dir, m.onnx));
    const feeds = Object.fromEntries(m.inputs.map((i) => {
      const { data, shape } = readNpy(join(dir, i.file));
      return [i.name, new Tensor(data instanceof BigInt64Array ? "int64" : "float32", data, shape)];
    }));
    const outs = [];
    for (const threads of [1, 2]) {
      const s = await load(bytes, { format: "onnx", threads });
      try {
        assert.equal(s.threads, threads);
        splits = 0;
        outs.push(s.runSync(feeds)[s.outputNames[0]].data);
        if (threads === 2 && name !== "dna_cnn") assert.ok(splits > 0, "some steps ran split"); // dna_cnn's convs are all small
      } finally {
        s.dispose();
      }
    }
    assertSameBits(name, outs[1], outs[0]);
  });
}

const tiny = {
  inputs: [{ name: "x", dtype: "float32", shape: [1, 4] }], outputs: ["y"],
  nodes: [node("Dense", ["x", "w"], ["y"])], constants: new Map([["w", { shape: [4, 2], data: new Float32Array(8).fill(0.5) }]]),
};

test("threads option: bad values are BAD_INPUT; 1 is the default; 'auto' picks the hardware's threads", async () => {
  for (const bad of [0, -2, 1.5, "two", 65, NaN]) {
    await assert.rejects(InferenceSession.fromGraph(tiny, { threads: bad }), (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && /options\.threads/.test(e.message), String(bad));
  }
  const s1 = await InferenceSession.fromGraph(tiny);
  assert.equal(s1.threads, 1);
  s1.dispose();
  const auto = await InferenceSession.fromGraph(tiny, { threads: "auto" });
  const hw = Math.min(availableParallelism(), 4);
  assert.equal(auto.threads, hw >= 2 ? hw : 1);
  assert.deepEqual([...auto.runSync({ x: new Tensor("float32", new Float32Array([1, 2, 3, 4]), [1, 4]) }).y.data], [5, 5]);
  auto.dispose();
});

test("where SharedArrayBuffer is unavailable (a page without COOP/COEP): threads: 2 is UNSUPPORTED naming the headers; 'auto' runs on 1 thread", async () => {
  globalThis.crossOriginIsolated = false; // what a page that is not cross-origin isolated sees
  try {
    await assert.rejects(InferenceSession.fromGraph(tiny, { threads: 2 }), (e) => e instanceof EdgennError && e.code === "UNSUPPORTED" &&
      /SharedArrayBuffer/.test(e.message) && /Cross-Origin-Opener-Policy: same-origin/.test(e.message) && /Cross-Origin-Embedder-Policy: require-corp/.test(e.message));
    const auto = await InferenceSession.fromGraph(tiny, { threads: "auto" });
    assert.equal(auto.threads, 1);
    auto.dispose();
  } finally {
    delete globalThis.crossOriginIsolated;
  }
});

/** A pool of 2 threads on a fresh shared memory of 64 KiB pages, for the failure tests. */
async function pool2(pages = 4) {
  const memory = new WebAssembly.Memory({ initial: pages, maximum: 64, shared: true });
  const { exports, module } = await instantiateKernels({}, memory);
  return ThreadPool.start(module, memory, exports, 2);
}
// C[1][8] = bias of a zero packed B: a valid job inside 4 pages, and the same job with C far outside memory.
const gemm = (c) => ({ fn: "f32_gemm", args: [1, 8, 1, 65536, 1, 65536 + 1024, c, 8, -Infinity, Infinity] });

test("a kernel that fails in a worker makes run() throw (naming the thread and kernel), and the pool still works", async () => {
  const pool = await pool2();
  try {
    pool.run([gemm(65536 + 4096), gemm(65536 + 8192)]);
    assert.throws(() => pool.run([gemm(65536 + 4096), gemm(1 << 30)]), (e) => e instanceof WebAssembly.RuntimeError && /kernel thread 1 failed in f32_gemm: .*out of bounds/.test(e.message));
    pool.run([gemm(65536 + 4096), gemm(65536 + 8192)]); // the worker survived its error
    // A failure on the calling thread waits for the workers, then throws the same error.
    assert.throws(() => pool.run([gemm(1 << 30), gemm(65536 + 8192)]), (e) => e instanceof WebAssembly.RuntimeError && /out of bounds/.test(e.message));
  } finally {
    pool.dispose();
  }
});

test("a worker that died makes run() throw instead of hanging", async () => {
  const pool = await pool2();
  try {
    await pool.workers[0].worker.terminate(); // the Node Worker behind the handle
    await new Promise((r) => setTimeout(r, 50)); // the exit event
    assert.throws(() => pool.run([gemm(65536 + 4096), gemm(65536 + 8192)]), (e) => e instanceof EdgennError && /kernel thread 1 exited/.test(e.message));
  } finally {
    pool.dispose();
  }
});

const script = (body) => `import { InferenceSession, Tensor } from ${JSON.stringify(new URL("../dist/index.js", import.meta.url).href)};
const tiny = { inputs: [{ name: "x", dtype: "float32", shape: [1, 4] }], outputs: ["y"], constants: new Map([["w", { shape: [4, 2], data: new Float32Array(8).fill(0.5) }]]),
  nodes: [{ op: "Dense", name: "d", inputs: ["x", "w"], outputs: ["y"], attrs: {} }] };
const s = await InferenceSession.fromGraph(tiny, { threads: 2 });
console.log(s.threads, s.runSync({ x: new Tensor("float32", new Float32Array([1, 2, 3, 4]), [1, 4]) }).y.data.join(","));
${body}`;

for (const [what, body] of [["disposed", "s.dispose();"], ["never disposed", ""]]) {
  test(`a process whose threaded session is ${what} exits by itself (idle workers never keep it alive)`, () => {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script(body)], { encoding: "utf8", timeout: 20_000 });
    assert.equal(r.error, undefined, `the process did not exit: ${r.error}`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "2 5,5");
  });
}

test("dispose() ends the workers: run() is DISPOSED, and the pool's threads are gone", async () => {
  const s = await InferenceSession.fromGraph(tiny, { threads: 2 });
  const workers = s.pool.workers.map((h) => h.worker);
  const exited = workers.map((w) => new Promise((r) => w.once("exit", r)));
  s.dispose();
  await Promise.all(exited);
  assert.throws(() => s.runSync({ x: new Tensor("float32", new Float32Array(4), [1, 4]) }), (e) => e.code === "DISPOSED");
});


const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
for (const [runtime, args] of [
  ["deno", ["run", "--no-prompt", "--no-lock", `--allow-read=${REPO}`, "test/runtimes/threads-run.mjs"]],
  ["bun", ["test/runtimes/threads-run.mjs"]],
]) {
  test(`${runtime}: 2 threads bit-identical to 1 thread, and the process exits with a threaded session left undisposed`, () => {
    const env = { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(REPO, "node_modules/.cache/deno") };
    const r = spawnSync(join(REPO, "node_modules/.bin", runtime), args, { cwd: REPO, env, encoding: "utf8", timeout: 30_000 });
    assert.equal(r.error, undefined, `${runtime} did not exit: ${r.error}\n${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split("\n").at(-1));
    assert.equal(result.error, undefined, result.error);
    assert.deepEqual([result.threads, result.keptThreads, result.identical], [2, 2, true], JSON.stringify(result));
  });
}
