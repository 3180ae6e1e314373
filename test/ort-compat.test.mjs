// The onnxruntime-web face: an app written the way onnxruntime-web's docs show (InferenceSession.create,
// new Tensor(data, dims), run, fetches, release, env) against the default model and a small ONNX model built
// here, plus feeds that are not edgenn's Tensors, execution-provider lists and env.wasm.wasmPaths.
// No network. onnxruntime-web itself is not installed, so the cross-check against it is a later step.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import onnxProto from "onnx-proto";
import * as ort from "../dist/index.js";

const { onnx } = onnxProto;
const { InferenceSession, Tensor, env, load } = ort;

const modelPath = fileURLToPath(new URL("../models/wdbc-mlp.enn", import.meta.url));
const wasmDir = fileURLToPath(new URL("../dist/wasm/", import.meta.url));
const features = (seed) => Float32Array.from({ length: 30 }, (_, j) => Math.sin(seed * 31 + j) * 1.5);

async function rejects(p, code, re) {
  await assert.rejects(p, (e) => {
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------------------
// A small ONNX model: x [N, 4], y [N, 3] → h = Relu(x · W), s = h + y, p = Sigmoid(s).

const FLOAT = 1;
const W = Float32Array.from({ length: 12 }, (_, i) => ((i * 7) % 11) / 5 - 1);
const valueInfo = (name, dims) => ({
  name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } } },
});
const onnxBytes = onnx.ModelProto.encode(onnx.ModelProto.fromObject({
  irVersion: 8, producerName: "edgenn-test", opsetImport: [{ domain: "", version: 13 }],
  graph: {
    name: "ort-compat",
    node: [
      { opType: "MatMul", input: ["x", "W"], output: ["mm"], name: "mm" },
      { opType: "Relu", input: ["mm"], output: ["h"], name: "relu" },
      { opType: "Add", input: ["h", "y"], output: ["s"], name: "add" },
      { opType: "Sigmoid", input: ["s"], output: ["p"], name: "sigmoid" },
    ],
    initializer: [{ name: "W", dims: [4, 3], dataType: FLOAT, floatData: Array.from(W) }],
    input: [valueInfo("x", ["N", 4]), valueInfo("y", ["N", 3])],
    output: [valueInfo("h", ["N", 3]), valueInfo("s", ["N", 3]), valueInfo("p", ["N", 3])],
  },
})).finish();

function reference(x, y, n) {
  const h = new Float64Array(n * 3), s = new Float64Array(n * 3), p = new Float64Array(n * 3);
  for (let r = 0; r < n; r++) for (let j = 0; j < 3; j++) {
    let acc = 0;
    for (let k = 0; k < 4; k++) acc += x[r * 4 + k] * W[k * 3 + j];
    const i = r * 3 + j;
    h[i] = Math.max(0, acc); s[i] = h[i] + y[i]; p[i] = 1 / (1 + Math.exp(-s[i]));
  }
  return { h, s, p };
}
function close(got, want, tol = 1e-5) {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= tol, `[${i}]: got ${got[i]}, want ${want[i]}`);
}

// ---------------------------------------------------------------------------------------------------------

test("an app written for onnxruntime-web runs unchanged on the default model", async () => {
  // As in onnxruntime-web's quick start: create from a path, Tensor(type, data, dims), run, read .data.
  ort.env.wasm.numThreads = 4;
  ort.env.wasm.simd = true;
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  assert.deepEqual(session.inputNames, ["input"]);
  assert.deepEqual(session.outputNames, ["output"]);
  assert.deepEqual(session.inputMetadata, [{ name: "input", isTensor: true, type: "float32", shape: ["batch", 30] }]);
  assert.deepEqual(session.outputMetadata, [{ name: "output", isTensor: true, type: "float32", shape: ["batch", 1] }]);

  const x = features(1);
  const results = await session.run({ input: new ort.Tensor("float32", x, [1, 30]) });
  assert.deepEqual(Object.keys(results), ["output"]);
  const out = results.output;
  assert.equal(out.type, "float32");
  assert.deepEqual(out.dims, [1, 1]);
  assert.equal(out.size, 1);
  assert.equal(out.location, "cpu");
  assert.ok(out.data instanceof Float32Array);
  assert.equal(await out.getData(), out.data);
  out.data[0] = 42; // outputs are the caller's: writable, and not shared with the next run
  const again = await session.run({ input: new ort.Tensor(x, [1, 30]) });
  assert.notEqual(again.output.data[0], 42);
  out.dispose();

  // The same numbers as edgenn's own API, and a batch through the symbolic dim.
  const own = await load(modelPath);
  assert.deepEqual(again.output.data, (await own.run({ input: new Tensor("float32", x, [1, 30]) })).output.data);
  const batch = new Float32Array(90);
  [1, 2, 3].forEach((s, i) => batch.set(features(s), i * 30));
  const b = await session.run({ input: new ort.Tensor(batch, [3, 30]) });
  assert.deepEqual(b.output.dims, [3, 1]);
  assert.ok(Math.abs(b.output.data[0] - again.output.data[0]) < 1e-6);
  own.dispose();

  session.startProfiling();
  session.endProfiling();
  await session.release();
  await rejects(session.run({ input: new Tensor(x, [1, 30]) }), "DISPOSED", /disposed/);

  // A relative path works as in Node's onnxruntime: from the working directory.
  const rel = await InferenceSession.create(relative(process.cwd(), modelPath));
  assert.deepEqual((await rel.run({ input: new Tensor(x, [1, 30]) })).output.data, again.output.data);
  await rel.release();
});

test("create from bytes: Buffer, a pooled Buffer slice, Uint8Array, ArrayBuffer with byteOffset/byteLength", async () => {
  const file = readFileSync(modelPath);
  const x = new Tensor(features(2), [1, 30]);
  const want = (await (await InferenceSession.create(modelPath)).run({ input: x })).output.data;
  const padded = Buffer.concat([Buffer.from("junk"), file, Buffer.from("tail")]);
  const ab = padded.buffer.slice(padded.byteOffset, padded.byteOffset + padded.byteLength);
  const sources = [
    [file],
    [padded.subarray(4, 4 + file.length)],
    [new Uint8Array(file)],
    [new Uint8Array(file).buffer],
    [ab, 4, file.length],
    [ab, 4, file.length, { executionProviders: ["cpu"] }],
    [new Uint8Array(file), { executionProviders: [{ name: "wasm" }] }],
  ];
  for (const args of sources) {
    const s = await InferenceSession.create(...args);
    assert.deepEqual((await s.run({ input: x })).output.data, want, `create(${args.map((a) => a?.constructor?.name)})`);
    await s.release();
  }
  await rejects(InferenceSession.create(ab, 4, file.length + 5), "BAD_INPUT", /byteLength/);
  await rejects(InferenceSession.create(ab, -1), "BAD_INPUT", /byteOffset/);
  await rejects(InferenceSession.create(42), "BAD_INPUT", /path, a URL, a Uint8Array or an ArrayBuffer/);
  await rejects(InferenceSession.create(file, "wasm"), "BAD_INPUT", /'options' must be an object/);
  await rejects(InferenceSession.create(join(tmpdir(), "no-such-model.onnx")), "BAD_INPUT", /could not read/);
});

test("an ONNX model: fetches, outputs fed back as feeds, preallocated outputs, run options", async () => {
  const session = await InferenceSession.create(onnxBytes, {
    executionProviders: ["wasm"], intraOpNumThreads: 2, interOpNumThreads: 1, executionMode: "sequential",
    graphOptimizationLevel: "extended", enableCpuMemArena: false, enableMemPattern: false, logSeverityLevel: 3,
    logId: "test", extra: { session: { use_ort_model_bytes_directly: "1" } },
  });
  assert.deepEqual(session.inputNames, ["x", "y"]);
  assert.deepEqual(session.outputNames, ["h", "s", "p"]);
  assert.deepEqual(session.inputMetadata.map((m) => m.shape), [["N", 4], ["N", 3]]);
  assert.deepEqual(session.outputMetadata, ["h", "s", "p"].map((name) => ({ name, isTensor: true, type: "float32", shape: ["N", 3] })));

  const n = 2;
  const x = Float32Array.from({ length: n * 4 }, (_, i) => Math.cos(i) * 2);
  const y = Float32Array.from({ length: n * 3 }, (_, i) => i / 3 - 1);
  const ref = reference(x, y, n);
  const feeds = { x: new Tensor(x, [n, 4]), y: new Tensor(y, [n, 3]) };

  const all = await session.run(feeds);
  assert.deepEqual(Object.keys(all).sort(), ["h", "p", "s"]);
  for (const k of ["h", "s", "p"]) close(all[k].data, ref[k]);

  // fetches as an array, as an object, and run options only (all outputs).
  assert.deepEqual(Object.keys(await session.run(feeds, ["p"])), ["p"]);
  assert.deepEqual(Object.keys(await session.run(feeds, ["s", "h"], { logSeverityLevel: 0 })).sort(), ["h", "s"]);
  assert.deepEqual(Object.keys(await session.run(feeds, { s: null })), ["s"]);
  assert.deepEqual(Object.keys(await session.run(feeds, { logSeverityLevel: 0, tag: "t" })).sort(), ["h", "p", "s"]);
  assert.deepEqual(Object.keys(session.runSync(feeds, ["h"])), ["h"]);
  await rejects(session.run(feeds, ["nope"]), "BAD_INPUT", /invalid output name: nope/);
  await rejects(session.run(feeds, []), "BAD_INPUT", /cannot be an empty array/);

  // A preallocated output is filled and returned.
  const pre = new Tensor(new Float32Array(n * 3), [n, 3]);
  const r = await session.run(feeds, { p: pre });
  assert.equal(r.p, pre);
  close(pre.data, ref.p);
  await rejects(session.run(feeds, { p: new Tensor(new Float32Array(3), [1, 3]) }), "BAD_INPUT", /preallocated output 'p'/);

  // Outputs of one run fed back into the next: s goes in as y.
  const next = await session.run({ x: feeds.x, y: all.s }, ["p"]);
  close(next.p.data, reference(x, all.s.data, n).p);

  // Another batch size through the symbolic dim N.
  const one = await session.run({ x: feeds.x.reshape([8, 1]).reshape([2, 4]), y: new Tensor(y, [2, 3]) });
  close(one.p.data, ref.p);
  await session.release();
});

test("feeds are duck-typed: onnxruntime's own Tensors, plain objects, number arrays, other realms", async () => {
  const session = await InferenceSession.create(onnxBytes);
  const x = [0.5, -1, 2, 0.25], y = [0.1, 0.2, -0.3];
  const want = reference(x, y, 1);

  // What a Tensor from another copy of onnxruntime-common looks like: a class of its own, getters, location.
  class ForeignTensor {
    #data; #dims; #type;
    constructor(type, data, dims) { this.#type = type; this.#data = data; this.#dims = dims; }
    get type() { return this.#type; }
    get data() { return this.#data; }
    get dims() { return this.#dims; }
    get size() { return this.#data.length; }
    get location() { return "cpu"; }
  }
  const feeds = [
    { x: new ForeignTensor("float32", Float32Array.from(x), [1, 4]), y: new ForeignTensor("float32", Float32Array.from(y), [1, 3]) },
    { x: { type: "float32", data: Float32Array.from(x), dims: [1, 4] }, y: { type: "float32", data: y, dims: [1, 3] } },
    { x: { type: "float32", data: vm.runInNewContext(`new Float32Array(${JSON.stringify(x)})`), dims: vm.runInNewContext("[1, 4]") }, y: new Tensor("float32", y, [1, 3]) },
    { x: new Tensor(x, [1, 4]), y: { type: "float32", data: Float32Array.from(y), dims: [1, 3], location: "cpu-pinned" } },
  ];
  for (const f of feeds) close((await session.run(f)).p.data, want.p);

  const ok = new Tensor(x, [1, 4]);
  // onnxruntime-web rejects a feed name the model lacks ("invalid input 'z'"); so does edgenn.
  await rejects(session.run({ x: ok, y: new Tensor(y, [1, 3]), z: ok }), "BAD_INPUT", /unknown input 'z'/);
  await rejects(session.run({ x: ok }), "BAD_INPUT", /missing input 'y'/);
  await rejects(session.run({ x: ok, y: { type: "float32", data: Float32Array.from(y), dims: [1, 3], location: "gpu-buffer" } }), "UNSUPPORTED", /'gpu-buffer'/);
  await rejects(session.run({ x: ok, y: { type: "float64", data: Float64Array.from(y), dims: [1, 3] } }), "BAD_INPUT", /must be float32, got float64/);
  await rejects(session.run({ x: ok, y: { type: "float32", data: new Float64Array(3), dims: [1, 3] } }), "BAD_INPUT", /must be float32/);
  await rejects(session.run({ x: ok, y: { type: "float32", data: Float32Array.from(y), dims: [3, 1] } }), "BAD_INPUT", /shape \[3,1\]/);
  await rejects(session.run({ x: ok, y: { type: "float32", data: Float32Array.from(y), dims: [1, 2] } }), "BAD_INPUT", /shape \[1,2\]/);
  await rejects(session.run({ x: ok, y: Float32Array.from(y) }), "BAD_INPUT", /must be a Tensor/);
  await session.release();
});

test("Tensor: onnxruntime-web's constructors and methods, edgenn's kept", () => {
  const f = new Tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  assert.equal(f.type, "float32");
  assert.deepEqual(f.dims, [2, 3]);
  assert.equal(f.size, 6);
  assert.equal(f.location, "cpu");
  assert.equal(new Tensor(new Int32Array(4), [2, 2]).type, "int32");
  assert.equal(new Tensor(new BigInt64Array(2)).type, "int64");
  assert.deepEqual(new Tensor(new BigInt64Array(2)).dims, [2]);
  assert.equal(new Tensor([1, 2, 3], [3]).type, "float32");
  assert.ok(new Tensor([1, 2, 3], [1, 3]).data instanceof Float32Array);
  assert.equal(new Tensor("int64", [1, 2], [2]).data[1], 2n);

  const r = f.reshape([3, 2]);
  assert.deepEqual(r.dims, [3, 2]);
  assert.equal(r.data, f.data); // shared, as in onnxruntime-web
  assert.throws(() => f.reshape([4, 2]), /hold 8 elements but data has 6/);
  f.dispose();

  assert.throws(() => new Tensor(new Uint8Array(4), [4]), (e) => e.code === "UNSUPPORTED" && /Uint8Array/.test(e.message));
  assert.throws(() => new Tensor(new Float64Array(4), [4]), (e) => e.code === "UNSUPPORTED");
  assert.throws(() => new Tensor("float16", new Uint16Array(4), [4]), (e) => e.code === "UNSUPPORTED" && /float16/.test(e.message));
  assert.throws(() => Tensor.fromImage({}), (e) => e.code === "UNSUPPORTED" && /Tensor.fromImage/.test(e.message));
  assert.throws(() => Tensor.fromGpuBuffer({}, { dataType: "float32", dims: [1] }), (e) => e.code === "UNSUPPORTED");
  assert.throws(() => f.toImageData(), (e) => e.code === "UNSUPPORTED");
  // edgenn's own behaviour is unchanged.
  const t = new Tensor("float32", new Float32Array(6), [2, 3]);
  assert.equal(t.dtype, "float32");
  assert.deepEqual(t.shape, [2, 3]);
  assert.throws(() => new Tensor("float32", new Int32Array(2), [2]), /must be a Float32Array/);
});

test("getData() is async and resolves to the data", async () => {
  const t = new Tensor(new Float32Array([1, 2]), [2]);
  const p = t.getData();
  assert.ok(p instanceof Promise);
  assert.equal(await p, t.data);
});

test("executionProviders: ours run, others fall back to wasm with one warning per process; env.logLevel", async () => {
  const bytes = readFileSync(modelPath);
  const warnings = [];
  const warn = console.warn;
  console.warn = (...a) => warnings.push(a.join(" "));
  try {
    for (const executionProviders of [["wasm"], ["cpu"], [{ name: "cpu" }], [{ name: "wasm", foo: 1 }], ["wasm", "webgpu"], []]) {
      await (await InferenceSession.create(bytes, { executionProviders })).release();
    }
    assert.deepEqual(warnings, []);

    env.logLevel = "error"; // quieter than "warning": the fallback says nothing (and has not warned yet)
    await (await InferenceSession.create(bytes, { executionProviders: ["webgpu", "wasm"] })).release();
    assert.deepEqual(warnings, []);
    env.logLevel = "warning";

    for (const executionProviders of [["webgpu", "wasm"], ["webgpu", "wasm"], [{ name: "webnn", deviceType: "gpu" }, "cpu"], ["cuda"], ["webgpu"]]) {
      const s = await InferenceSession.create(bytes, { executionProviders });
      assert.equal((await s.run({ input: new Tensor(features(3), [1, 30]) })).output.dims[1], 1);
      await s.release();
    }
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /'webgpu' not available; running on 'wasm'/);
  } finally {
    console.warn = warn;
  }
  await rejects(InferenceSession.create(bytes, { executionProviders: [42] }), "BAD_INPUT", /executionProviders/);
  await rejects(InferenceSession.create(bytes, { preferredOutputLocation: "gpu-buffer" }), "UNSUPPORTED", /preferredOutputLocation 'gpu-buffer'/);
  await (await InferenceSession.create(bytes, { preferredOutputLocation: "cpu" })).release();
});

test("env.wasm.wasmPaths locates edgenn's .wasm files (prefix or map); a wrong one fails naming it", async () => {
  const bytes = readFileSync(modelPath);
  env.wasm.numThreads = 1; // the one-thread builds here (an earlier test set 4, as ORT apps do)
  const x = new Tensor(features(4), [1, 30]);
  const want = (await (await InferenceSession.create(bytes)).run({ input: x })).output.data;
  // A copy of the binaries somewhere else proves they are read from where wasmPaths says.
  const dir = mkdtempSync(join(tmpdir(), "edgenn-wasm-"));
  for (const v of ["simd", "relaxed"]) copyFileSync(join(wasmDir, `edgenn-${v}.wasm`), join(dir, `edgenn-${v}.wasm`));
  try {
    for (const paths of [
      wasmDir,
      `${dir}/`,
      new URL(`file://${dir}/`),
      { "edgenn-simd.wasm": join(dir, "edgenn-simd.wasm"), "edgenn-relaxed.wasm": new URL(`file://${dir}/edgenn-relaxed.wasm`) },
      { wasm: "https://example.invalid/ort-wasm-simd-threaded.wasm" }, // ORT's own keys: ignored
    ]) {
      env.wasm.wasmPaths = paths;
      const s = await InferenceSession.create(bytes);
      assert.deepEqual((await s.run({ input: x })).output.data, want);
      await s.release();
    }
    env.wasm.wasmPaths = join(dir, "missing") + "/";
    await rejects(InferenceSession.create(bytes), "BAD_INPUT", /edgenn-(simd|relaxed)\.wasm.*env\.wasm\.wasmPaths/);
  } finally {
    env.wasm.wasmPaths = undefined;
  }
  // edgenn's own `sources` option still wins.
  env.wasm.wasmPaths = "/nowhere/";
  try {
    const sources = { simd: join(dir, "edgenn-simd.wasm"), relaxed: join(dir, "edgenn-relaxed.wasm") };
    await (await InferenceSession.create(bytes, { sources })).release();
  } finally {
    env.wasm.wasmPaths = undefined;
  }
});

test("edgenn's own API stays: load, fromGraph, inputs, fusion, memory, metadata, runSync, dispose", async () => {
  const s = await InferenceSession.create(modelPath);
  assert.deepEqual(s.inputs, [{ name: "input", dtype: "float32", shape: ["batch", 30] }]);
  assert.ok(s.memory.weights > 0);
  assert.ok(s.fusion);
  assert.ok(s.metadata.preprocessing);
  assert.ok(s.variant === "simd" || s.variant === "relaxed");
  const x = new Tensor("float32", features(5), [1, 30]);
  assert.deepEqual(s.runSync({ input: x }).output.data, (await s.run({ input: x })).output.data);
  s.dispose();
  const g = await InferenceSession.fromGraph({
    inputs: [{ name: "a", dtype: "float32", shape: ["n", 2] }], outputs: ["b"],
    nodes: [{ op: "Relu", name: "r", inputs: ["a"], outputs: ["b"], attrs: {} }], constants: new Map(),
  });
  assert.deepEqual(g.outputMetadata, [{ name: "b", isTensor: true, type: "float32", shape: ["n", 2] }]);
  assert.deepEqual([...(await g.run({ a: new Tensor([-1, 2, 3, -4], [2, 2]) })).b.data], [0, 2, 3, 0]);
  g.dispose();
});


test("env.wasm.numThreads: 2 runs two kernel threads where wasm threads exist (Node here), the same bits as 1; invalid values are refused", async () => {
  const { InferenceSession: S, env: e, Tensor: T } = await import("../dist/index.js");
  const x = new T("float32", Float32Array.from({ length: 30 * 4 }, (_, i) => Math.cos(i)), [4, 30]);
  const saved = e.wasm.numThreads;
  try {
    const outs = [];
    for (const n of [1, 2]) {
      e.wasm.numThreads = n;
      const s = await S.create("models/wdbc-mlp.enn");
      assert.equal(s.threads, n);
      outs.push([...(await s.run({ input: x })).output.data]);
      await s.release();
    }
    assert.deepEqual(outs[0], outs[1]);
    e.wasm.numThreads = -1;
    await assert.rejects(S.create("models/wdbc-mlp.enn"), (err) => err.code === "BAD_INPUT" && /numThreads/.test(err.message));
  } finally {
    e.wasm.numThreads = saved;
  }
});
