// Session API behaviour: names, metadata, dynamic batch, isolation, input safety, and clear errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { EdgennError, InferenceSession, Tensor, dense, features, load, sequential } from "../dist/index.js";

const modelBytes = readFileSync(new URL("../models/wdbc-mlp.enn", import.meta.url));
const rows = (n, seed = 1) => Float32Array.from({ length: n * 30 }, (_, i) => Math.sin(i * 12.9898 + seed) * 2);
const rejects = (p, code, pattern) => assert.rejects(p, (e) => e instanceof EdgennError && e.code === code && pattern.test(e.message));

test("describes its inputs, outputs and metadata", async () => {
  const s = await load(modelBytes);
  assert.deepEqual(s.inputNames, ["input"]);
  assert.deepEqual(s.outputNames, ["output"]);
  assert.deepEqual(s.inputs[0], { name: "input", dtype: "float32", shape: ["batch", 30] });
  assert.equal(s.metadata.name, "wdbc-mlp");
  const f = features();
  assert.equal(s.variant, f.relaxedSimd ? "relaxed" : f.simd ? "simd" : "scalar", "the best build the engine validates");
  if (process.env.EDGENN_EXPECT_VARIANT) assert.equal(s.variant, process.env.EDGENN_EXPECT_VARIANT);
  assert.ok(s.memory.weights >= (30 * 64 + 64 * 32 + 32) * 4, `weights ${s.memory.weights}`);
  assert.ok(s.memory.arena > 0);
  s.dispose();
});

test("loads from a path, a file URL, an ArrayBuffer and a Uint8Array", async () => {
  const url = new URL("../models/wdbc-mlp.enn", import.meta.url);
  const ab = modelBytes.buffer.slice(modelBytes.byteOffset, modelBytes.byteOffset + modelBytes.byteLength);
  for (const src of [url, url.pathname, ab, new Uint8Array(modelBytes)]) {
    const s = await load(src);
    assert.equal(s.outputNames[0], "output");
    s.dispose();
  }
});

test("any batch size gives the same per-row answers (plans are made per shape)", async () => {
  const s = await load(modelBytes);
  const x = rows(37);
  const all = (await s.run({ input: new Tensor("float32", x, [37, 30]) })).output.data;
  for (const b of [1, 2, 5, 36]) {
    const part = (await s.run({ input: new Tensor("float32", x.slice(0, b * 30), [b, 30]) })).output.data;
    assert.deepEqual(part, all.slice(0, b));
  }
  const empty = await s.run({ input: new Tensor("float32", new Float32Array(0), [0, 30]) });
  assert.deepEqual(empty.output.dims, [0, 1]);
  s.dispose();
});

test("inputs are never modified and outputs are the caller's own", async () => {
  const s = await load(modelBytes);
  const x = rows(4);
  const copy = x.slice();
  const a = (await s.run({ input: new Tensor("float32", x, [4, 30]) })).output;
  assert.deepEqual(x, copy);
  a.data.fill(42);
  const b = (await s.run({ input: new Tensor("float32", x, [4, 30]) })).output;
  assert.notEqual(b.data[0], 42);
  assert.equal(b.data.buffer.byteLength, 16, "output must not be a view of wasm memory");
  s.dispose();
});

test("several sessions alive at once do not disturb one another", async () => {
  const m1 = sequential([dense(8, "relu"), dense(3, "sigmoid")], { inputShape: [5], seed: 1 });
  const m2 = sequential([dense(16, "tanh"), dense(2)], { inputShape: [5], seed: 2 });
  const [a, b, c] = await Promise.all([m1.session(), m2.session(), load(modelBytes)]);
  const x = new Tensor("float32", Float32Array.from({ length: 10 }, (_, i) => i / 7 - 0.5), [2, 5]);
  const ra = (await a.run({ input: x })).output.data;
  const rb = (await b.run({ input: x })).output.data;
  await c.run({ input: new Tensor("float32", rows(50), [50, 30]) });
  await Promise.all([a.run({ input: x }), b.run({ input: x })]);
  assert.deepEqual((await a.run({ input: x })).output.data, ra);
  assert.deepEqual((await b.run({ input: x })).output.data, rb);
  b.dispose();
  assert.deepEqual((await a.run({ input: x })).output.data, ra);
  a.dispose(); c.dispose();
});

test("bad inputs get clear errors", async () => {
  const s = await load(modelBytes);
  const ok = new Tensor("float32", rows(1), [1, 30]);
  await rejects(s.run({}), "BAD_INPUT", /missing input 'input'/);
  await rejects(s.run({ input: ok, extra: ok }), "BAD_INPUT", /unknown input 'extra'.*input/);
  await rejects(s.run({ input: new Tensor("float32", rows(1).slice(0, 29), [1, 29]) }), "BAD_INPUT", /shape \[1,29\].*\[batch,30\]/);
  await rejects(s.run({ input: new Tensor("int32", new Int32Array(30), [1, 30]) }), "BAD_INPUT", /float32/);
  await rejects(s.run({ input: new Float32Array(30) }), "BAD_INPUT", /must be a Tensor/);
  await rejects(s.run(null), "BAD_INPUT", /object of named tensors/);
  assert.throws(() => new Tensor("float32", new Float32Array(5), [2, 3]), /hold 6 elements but data has 5/);
  s.dispose();
  await rejects(s.run({ input: ok }), "DISPOSED", /disposed/);
});

test("an unsupported op or a broken graph is named at load", async () => {
  const graph = (nodes) => ({
    inputs: [{ name: "x", dtype: "float32", shape: [1, 4] }], outputs: ["y"], nodes, constants: new Map(),
  });
  await assert.rejects(InferenceSession.fromGraph(graph([{ op: "FancyOp", name: "f", inputs: ["x"], outputs: ["y"], attrs: {} }])),
    (e) => e.code === "UNSUPPORTED" && /node 'f': op 'FancyOp' is not supported/.test(e.message));
  const { parseGraph } = await import("../dist/index.js");
  const raw = (nodes) => ({ inputs: [{ name: "x", dtype: "float32", shape: [1, 4] }], outputs: ["y"], nodes });
  assert.throws(() => parseGraph(raw([{ op: "Relu", name: "a", inputs: ["z"], outputs: ["y"] }]), new Map()), /node 'a' \(Relu\) reads 'z'/);
  assert.throws(() => parseGraph(raw([{ op: "Relu", name: "a", inputs: ["b"], outputs: ["y"] }, { op: "Relu", name: "b", inputs: ["y"], outputs: ["b"] }]), new Map()), /cycle/);
  assert.throws(() => parseGraph(raw([{ op: "Relu", name: "a", inputs: ["x"], outputs: ["x"] }]), new Map()), /produced twice/);
  assert.throws(() => parseGraph(raw([]), new Map()), /graph output 'y' is not produced/);
  await assert.rejects(InferenceSession.fromGraph(graph([{ op: "Dense", name: "d", inputs: ["x", "w"], outputs: ["y"], attrs: {} }])),
    (e) => e instanceof EdgennError);
});
