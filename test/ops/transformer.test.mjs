// MatMul (two run-time operands), Gather (int64/int32 ids), LayerNormalization and Attention through the runtime,
// against tfjs-core (cpu backend) computing the same math, and integer-input handling of the session.
// Tolerances: MatMul |diff| <= 1e-5 + 1e-5 * sum|a*b| (as Dense); LayerNormalization 1e-5 * (1 + |ref|);
// Attention 2e-6 + 2e-5 * |ref| (both sides in f32: the scores' and the softmax's rounding, summed over keys).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ort from "onnxruntime-node";
import { EdgennError, InferenceSession, Tensor, load, readEnn, writeEnn } from "../../dist/index.js";
import { assertClose, assertExact, fromTf, initTf, node, rng, runGraph, sizeOf, tf, toTf, transpose } from "./harness.mjs";

before(initTf);

// ---- MatMul ---------------------------------------------------------------------------------------------------

async function matmulCase(t, aShape, bShape, seed) {
  const R = rng(seed);
  const a = { shape: aShape, data: R.array(sizeOf(aShape)) }, b = { shape: bShape, data: R.array(sizeOf(bShape)) };
  const { out } = await runGraph({ inputs: { a, b }, nodes: [node("MatMul", ["a", "b"], ["y"])], outputs: ["y"] });
  // tfjs has no 1-D matmul: a 1-D operand is a row (A) or a column (B), and the added dim is dropped again.
  const ref = (abs) => tf.tidy(() => {
    let at = toTf(a), bt = toTf(b);
    if (abs) { at = tf.abs(at); bt = tf.abs(bt); }
    if (aShape.length === 1) at = tf.reshape(at, [1, aShape[0]]);
    if (bShape.length === 1) bt = tf.reshape(bt, [bShape[0], 1]);
    // tfjs broadcasts batch dims only partly: both operands are broadcast to the full batch shape first.
    const batch = tf.broadcastArgs(tf.tensor1d(at.shape.slice(0, -2), "int32"), tf.tensor1d(bt.shape.slice(0, -2), "int32")).arraySync();
    at = tf.broadcastTo(at, [...batch, ...at.shape.slice(-2)]);
    bt = tf.broadcastTo(bt, [...batch, ...bt.shape.slice(-2)]);
    let y = tf.matMul(at, bt);
    let shape = y.shape;
    if (aShape.length === 1) shape = [...shape.slice(0, -2), shape[shape.length - 1]];
    if (bShape.length === 1) shape = shape.slice(0, -1);
    return fromTf(tf.reshape(y, shape));
  });
  const r = ref(false), abs = ref(true);
  assertClose(`MatMul [${aShape}] x [${bShape}]`, out.y, r, { bound: abs.data.map((s) => 1e-5 + 1e-5 * s), t });
}

const MATMUL = [
  [[3, 4], [4, 5]], [[1, 7], [7, 3]], [[2, 7], [7, 9]], [[3, 33], [33, 17]], [[5, 7], [7, 9]],
  [[7], [7, 3]], [[4, 7], [7]], [[7], [7]], [[2, 3, 7], [7]], [[5], [2, 5, 3]],
  [[2, 3, 4, 5], [5, 6]], [[2, 1, 5], [5, 6]], [[3, 1, 4, 5], [2, 5, 6]], [[2, 1, 6, 5], [1, 3, 5, 2]],
  [[4, 128, 32], [4, 32, 128]], [[4, 128, 128], [4, 128, 32]], [[2, 3, 1, 9], [2, 3, 9, 4]], [[1, 2, 0], [1, 0, 3]],
];
MATMUL.forEach(([a, b], i) => test(`MatMul: [${a}] x [${b}]`, (t) => matmulCase(t, a, b, 3000 + i)));

test("MatMul: shapes that do not multiply or broadcast are BAD_INPUT naming the node", async () => {
  const run = (a, b) => runGraph({ inputs: { a: { shape: a, data: new Float32Array(sizeOf(a)) }, b: { shape: b, data: new Float32Array(sizeOf(b)) } }, nodes: [node("MatMul", ["a", "b"], ["y"], {}, "mm")], outputs: ["y"] });
  await assert.rejects(run([2, 3], [4, 5]), (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && /'mm' \(MatMul\).*3 columns against 4 rows/.test(e.message));
  await assert.rejects(run([2, 2, 3], [3, 3, 4]), (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && /do not broadcast/.test(e.message));
});

// ---- Gather and integer inputs ----------------------------------------------------------------------------------

function embeddingGraph(dtype, vocab = 50, dim = 7, extra = []) {
  const R = rng(3100);
  const table = { shape: [vocab, dim], data: R.array(vocab * dim) };
  return {
    table,
    graph: {
      inputs: [{ name: "ids", dtype, shape: ["batch", "seq"] }],
      outputs: ["y"],
      nodes: [node("Gather", ["table", "ids"], ["y"], { axis: 0 }, "embed"), ...extra],
      constants: new Map([["table", table]]),
    },
  };
}

test("Gather: int64 and int32 ids (negative from the end) pick rows of a constant table, exactly", async () => {
  for (const dtype of ["int64", "int32"]) {
    const { table, graph } = embeddingGraph(dtype);
    const s = await InferenceSession.fromGraph(graph);
    assert.deepEqual(s.inputs[0], { name: "ids", dtype, shape: ["batch", "seq"] });
    assert.equal(s.inputMetadata[0].type, dtype);
    const ids = [3, 0, 49, -1, 17, -50];
    const feeds = [new Tensor("int64", BigInt64Array.from(ids, BigInt), [2, 3]), new Tensor("int32", Int32Array.from(ids), [2, 3]),
      new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [2, 3])]; // onnxruntime's own Tensor too
    for (const feed of feeds) {
      const y = (await s.run({ ids: feed })).y;
      assert.deepEqual([...y.dims], [2, 3, 7]);
      const ref = ids.flatMap((id) => [...table.data.subarray(((id + 50) % 50) * 7, ((id + 50) % 50) * 7 + 7)]);
      assertExact(`Gather ${dtype} fed ${feed.type}`, y.data, Float32Array.from(ref));
    }
    s.dispose();
  }
});

test("Gather: an id out of range fails the run naming the node, the position and the range", async () => {
  const { graph } = embeddingGraph("int64");
  const s = await InferenceSession.fromGraph(graph);
  await assert.rejects(s.run({ ids: new Tensor("int64", BigInt64Array.from([1n, 2n, 50n, 3n]), [2, 2]) }),
    (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && /'embed' \(Gather\): index 50 at position \[1,0\] of 'ids' is out of range for axis 0 of size 50/.test(e.message));
  s.dispose();
});

test("int64 ids that do not fit int32 are BAD_INPUT naming the input and the position; float feeds must hold whole numbers", async () => {
  const { graph } = embeddingGraph("int64");
  const s = await InferenceSession.fromGraph(graph);
  await assert.rejects(s.run({ ids: new Tensor("int64", BigInt64Array.from([1n, 2n, 3n, 2n ** 31n]), [2, 2]) }),
    (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && /input 'ids': value 2147483648 at position \[1,1\] does not fit int32/.test(e.message));
  await assert.rejects(s.run({ ids: new Tensor("int64", BigInt64Array.from([-(2n ** 40n)]), [1, 1]) }),
    (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && /position \[0,0\]/.test(e.message));
  // Keras/tfjs keep ids in float tensors: whole numbers are accepted (the same answer as int ids), others refused.
  const asInt = s.runSync({ ids: new Tensor("int32", Int32Array.from([1, 2]), [1, 2]) });
  const asFloat = s.runSync({ ids: new Tensor("float32", Float32Array.from([1, 2]), [1, 2]) });
  assert.deepEqual([...Object.values(asFloat)[0].data], [...Object.values(asInt)[0].data]);
  await assert.rejects(s.run({ ids: new Tensor("float32", Float32Array.from([1, 2.5]), [1, 2]) }),
    (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && /input 'ids': value 2.5 at position \[0,1\] is not an integer/.test(e.message));
  // The feed is not modified, and plain arrays of integers are accepted.
  const feed = BigInt64Array.from([4n, 5n]);
  await s.run({ ids: { type: "int64", data: feed, dims: [1, 2] } });
  assert.deepEqual([...feed], [4n, 5n]);
  s.dispose();
});

test("ids reaching a float op, or a graph output, are BAD_GRAPH at load naming the node", async () => {
  const bad = embeddingGraph("int64", 50, 7, [node("Relu", ["ids"], ["r"], {}, "oops")]);
  bad.graph.outputs.push("r");
  await assert.rejects(InferenceSession.fromGraph(bad.graph),
    (e) => e instanceof EdgennError && e.code === "BAD_GRAPH" && /node 'oops' \(Relu\): input 0 'ids' holds integers/.test(e.message));
  const out = embeddingGraph("int32", 50, 7, [node("Reshape", ["ids"], ["flat"], { shape: [-1] }, "flat")]);
  out.graph.outputs = ["flat"];
  await assert.rejects(InferenceSession.fromGraph(out.graph), (e) => e instanceof EdgennError && e.code === "BAD_GRAPH" && /graph output 'flat' holds integers/.test(e.message));
  // Reshape/Transpose pass ids on to Gather.
  const ok = embeddingGraph("int64", 50, 7);
  ok.graph.nodes = [node("Transpose", ["ids"], ["idsT"], { perm: [1, 0] }), node("Reshape", ["idsT"], ["flat"], { shape: [-1] }), node("Gather", ["table", "flat"], ["y"], { axis: 0 })];
  const s = await InferenceSession.fromGraph(ok.graph);
  const y = (await s.run({ ids: new Tensor("int64", BigInt64Array.from([1n, 2n, 3n, 4n]), [2, 2]) })).y;
  assertExact("Gather after Transpose + Reshape", y.data.subarray(0, 7), ok.table.data.subarray(7, 14));
  assertExact("  second id (transposed order)", y.data.subarray(7, 14), ok.table.data.subarray(21, 28));
  s.dispose();
});

test("an int64 input's dtype round-trips through .enn (graph JSON), and a bad dtype is UNSUPPORTED", async () => {
  const { table, graph } = embeddingGraph("int64");
  const bytes = writeEnn({ graph: { inputs: graph.inputs, outputs: graph.outputs, nodes: graph.nodes }, tensors: [{ name: "table", shape: table.shape, data: table.data }] });
  assert.equal(readEnn(bytes).graph.inputs[0].dtype, "int64");
  const s = await load(bytes);
  assert.deepEqual(s.inputs[0], { name: "ids", dtype: "int64", shape: ["batch", "seq"] });
  const y = (await s.run({ ids: new Tensor("int64", BigInt64Array.from([2n]), [1, 1]) })).y;
  assertExact("Gather after .enn round trip", y.data, table.data.subarray(14, 21));
  s.dispose();
  const bad = writeEnn({ graph: { ...graph, inputs: [{ ...graph.inputs[0], dtype: "uint8" }], constants: undefined }, tensors: [{ name: "table", shape: table.shape, data: table.data }] });
  await assert.rejects(load(bad), (e) => e instanceof EdgennError && e.code === "UNSUPPORTED" && /dtype "uint8" is not supported \(float32, int32, int64\)/.test(e.message));
});

test("the CLI runs a model with an int64 input from JSON integers, and names a non-integer id", async () => {
  const { table, graph } = embeddingGraph("int64");
  const dir = mkdtempSync(join(tmpdir(), "edgenn-ids-"));
  writeFileSync(join(dir, "m.enn"), writeEnn({ graph: { inputs: graph.inputs, outputs: graph.outputs, nodes: graph.nodes }, tensors: [{ name: "table", shape: table.shape, data: table.data }] }));
  const cli = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
  const run = (ids) => {
    writeFileSync(join(dir, "in.json"), JSON.stringify({ ids: { data: ids, dims: [1, ids.length] } }));
    return spawnSync(process.execPath, [cli, "run", join(dir, "m.enn"), "--input", join(dir, "in.json")], { encoding: "utf8" });
  };
  const ok = run([3, 4]);
  assert.equal(ok.status, 0, ok.stderr);
  assertExact("CLI Gather", Float32Array.from(JSON.parse(ok.stdout).y.data), table.data.subarray(21, 35));
  const bad = run([3, 4.5]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /input 'ids': value 4.5 at position \[0,1\] is not an integer/);
});

test("Gather: any axis of run-time float data with constant indices, vs tf.gather", async (t) => {
  const R = rng(3101);
  for (const [shape, axis, idShape] of [[[4, 6, 5], 1, [3]], [[4, 6, 5], 2, [2, 2]], [[4, 6, 5], -3, [5]], [[9], 0, []]]) {
    const ax = axis < 0 ? axis + shape.length : axis;
    const x = { shape, data: R.array(sizeOf(shape)) };
    const idx = Array.from({ length: sizeOf(idShape) }, () => R.int(0, shape[ax] - 1));
    const { out } = await runGraph({ inputs: { x }, constants: { idx: { shape: idShape, data: Float32Array.from(idx) } }, nodes: [node("Gather", ["x", "idx"], ["y"], { axis })], outputs: ["y"] });
    const ref = tf.tidy(() => fromTf(tf.gather(toTf(x), tf.tensor(idx, idShape, "int32"), ax)));
    assertExact(`Gather [${shape}] axis ${axis} ids [${idShape}]`, out.y, ref, { t });
  }
});

// ---- LayerNormalization ---------------------------------------------------------------------------------------

async function layerNormCase(t, shape, axis, scaleShape, biasShape, eps, seed) {
  const R = rng(seed);
  const x = { shape, data: R.array(sizeOf(shape), -3, 3).map((v, i) => v + (i % 5)) };
  const constants = { scale: { shape: scaleShape, data: R.array(sizeOf(scaleShape), 0.5, 1.5) } };
  if (biasShape) constants.bias = { shape: biasShape, data: R.array(sizeOf(biasShape)) };
  const attrs = { axis };
  if (eps !== undefined) attrs.epsilon = eps;
  const { out } = await runGraph({ inputs: { x }, constants, nodes: [node("LayerNormalization", biasShape ? ["x", "scale", "bias"] : ["x", "scale"], ["y"], attrs)], outputs: ["y"] });
  const ax = axis < 0 ? axis + shape.length : axis;
  const ref = tf.tidy(() => {
    const xt = toTf(x), axes = [...Array(shape.length - ax).keys()].map((i) => i + ax);
    const { mean, variance } = tf.moments(xt, axes, true);
    let y = tf.mul(tf.sub(xt, mean), tf.rsqrt(tf.add(variance, eps ?? 1e-5)));
    y = tf.mul(y, toTf(constants.scale));
    if (biasShape) y = tf.add(y, toTf(constants.bias));
    return fromTf(y);
  });
  assertClose(`LayerNormalization [${shape}] axis ${axis}`, out.y, ref, { atol: 1e-5, rtol: 1e-5, t });
}

test("LayerNormalization: last axis, two trailing axes with broadcast scale/bias, no bias, epsilon, odd sizes", async (t) => {
  await layerNormCase(t, [2, 5, 16], -1, [16], [16], undefined, 3200);
  await layerNormCase(t, [3, 4, 6], -2, [4, 6], [6], 1e-3, 3201);
  await layerNormCase(t, [7, 13], 1, [13], undefined, 1e-6, 3202);
  await layerNormCase(t, [1, 128, 128], -1, [128], [128], 1e-5, 3203);
  await layerNormCase(t, [3, 5], 0, [1], [5], 1e-5, 3204);
});

// ---- Attention ------------------------------------------------------------------------------------------------

/** tfjs reference: Q, K, V as [B, H, S, D]; mask [.., SQ, SK] additive (already -Inf where dropped), broadcast. */
function tfAttention(q, k, v, { scale, mask, causal }) {
  return tf.tidy(() => {
    let s = tf.mul(tf.matMul(toTf(q), toTf(k), false, true), scale);
    const [sq, sk] = s.shape.slice(-2);
    if (mask) s = tf.add(s, toTf(mask));
    if (causal) s = tf.add(s, tf.tensor(Float32Array.from({ length: sq * sk }, (_, i) => (i % sk > Math.floor(i / sk) ? -Infinity : 0)), [sq, sk]));
    const p = tf.softmax(s);
    return { o: fromTf(tf.matMul(p, toTf(v))), p: fromTf(p) };
  });
}

/** [B, H, S, E] <-> the op's layouts. */
const toLayout = (x, layout) => {
  const [b, h, s, e] = x.shape;
  if (layout === "bhsd") return x;
  if (layout === "bshd") return transpose(x, [0, 2, 1, 3]);
  if (layout === "bsd") return { shape: [b, s, h * e], data: transpose(x, [0, 2, 1, 3]).data };
  return { shape: [s, b, h * e], data: transpose(x, [2, 0, 1, 3]).data };
};

async function attentionCase(t, { b, h, sq, sk, d, dv = d, layout = "bhsd", packed = false, mask, maskKind, intMask, causal = false, weights = false, scale, seed }) {
  const R = rng(seed);
  const mk = (s, e) => ({ shape: [b, h, s, e], data: R.array(b * h * s * e, -1.5, 1.5) });
  const q = mk(sq, d), k = mk(sk, d), v = mk(sk, dv);
  const sc = scale ?? 1 / Math.sqrt(d);
  const inputs = {}, constants = {}, names = [];
  if (packed) {
    // [B, S, 3*H*D] (or [S, B, ...]): Q, K, V side by side per position.
    const [lq, lk, lv] = [q, k, v].map((x) => toLayout(x, layout));
    const w = 3 * h * d, rows = sizeOf(lq.shape) / (h * d);
    const data = new Float32Array(rows * w);
    for (let r = 0; r < rows; r++) [lq, lk, lv].forEach((x, i) => data.set(x.data.subarray(r * h * d, (r + 1) * h * d), r * w + i * h * d));
    inputs.qkv = { shape: [...lq.shape.slice(0, 2), w], data };
    names.push("qkv", "", "");
  } else {
    Object.assign(inputs, { q: toLayout(q, layout), k: toLayout(k, layout), v: toLayout(v, layout) });
    names.push("q", "k", "v");
  }
  let additive;
  if (mask) {
    // mask.shape broadcasts to the scores; keep-masks are 0/1 (or int ids), the reference sees -Inf / 0.
    const keep = Array.from({ length: sizeOf(mask.shape) }, (_, i) => (mask.keep ? mask.keep(i) : R.next() < 0.7));
    const values = maskKind === "keep" || intMask ? keep.map((x) => (x ? 1 : 0)) : keep.map((x) => (x ? R.uniform(-2, 2) : -Infinity));
    additive = { shape: mask.refShape ?? mask.shape, data: Float32Array.from(values, (x, i) => (maskKind === "keep" || intMask ? (keep[i] ? 0 : -Infinity) : x)) };
    if (intMask) inputs.mask = { shape: mask.shape, data: Int32Array.from(values), int: true };
    else constants.mask = { shape: mask.shape, data: Float32Array.from(values) };
    names.push("mask");
  }
  const attrs = { layout, scale: sc, causal: causal ? 1 : 0 };
  if (layout === "bsd" || layout === "sbd") attrs.num_heads = h;
  if (maskKind) attrs.mask_kind = maskKind;
  const outputs = weights ? ["y", "w"] : ["y"];
  const graph = {
    inputs: Object.entries(inputs).map(([name, x]) => ({ name, dtype: x.int ? "int32" : "float32", shape: x.shape })),
    outputs, nodes: [node("Attention", names, outputs, attrs)], constants: new Map(Object.entries(constants)),
  };
  const s = await InferenceSession.fromGraph(graph);
  const feeds = Object.fromEntries(Object.entries(inputs).map(([n, x]) => [n, new Tensor(x.int ? "int32" : "float32", x.data, x.shape)]));
  const got = s.runSync(feeds);
  s.dispose();
  const ref = tfAttention(q, k, v, { scale: sc, mask: additive, causal });
  const label = `Attention b${b} h${h} sq${sq} sk${sk} d${d} dv${dv} ${layout}${packed ? " packed" : ""}${mask ? ` mask [${mask.shape}]${intMask ? " int" : ""}` : ""}${causal ? " causal" : ""}`;
  // A row with every key masked is 0 here, NaN in the softmax formula.
  const o = toLayout(ref.o, layout);
  o.data = o.data.map((x) => (Number.isNaN(x) ? 0 : x));
  assertClose(label, { shape: [...got.y.dims], data: got.y.data }, o, { atol: 2e-6, rtol: 2e-5, t });
  if (weights) assertClose(`${label} weights`, { shape: [...got.w.dims], data: got.w.data }, { shape: ref.p.shape, data: ref.p.data.map((x) => (Number.isNaN(x) ? 0 : x)) }, { atol: 2e-6, rtol: 2e-5, t });
}

const ATTENTION = [
  { b: 1, h: 1, sq: 1, sk: 1, d: 1 },
  { b: 2, h: 3, sq: 5, sk: 9, d: 7, dv: 11 },
  { b: 1, h: 4, sq: 128, sk: 128, d: 32 },
  { b: 3, h: 2, sq: 1, sk: 13, d: 9, layout: "bsd" },
  { b: 2, h: 2, sq: 7, sk: 7, d: 5, layout: "sbd" },
  { b: 2, h: 3, sq: 6, sk: 8, d: 4, dv: 6, layout: "bshd" },
  { b: 2, h: 3, sq: 11, sk: 11, d: 5, layout: "bsd", packed: true },
  { b: 1, h: 4, sq: 16, sk: 16, d: 8, layout: "sbd", packed: true, causal: true },
  { b: 2, h: 2, sq: 6, sk: 10, d: 8, mask: { shape: [2, 1, 1, 10] } },
  { b: 2, h: 2, sq: 6, sk: 10, d: 8, mask: { shape: [2, 2, 6, 10] }, weights: true },
  { b: 3, h: 2, sq: 5, sk: 5, d: 6, layout: "bsd", mask: { shape: [3, 1, 5], refShape: [3, 1, 1, 5] }, maskKind: "keep" },
  { b: 2, h: 2, sq: 4, sk: 9, d: 3, mask: { shape: [2, 1, 1, 9], keep: (i) => i % 9 === 4 }, intMask: true, weights: true },
  { b: 2, h: 2, sq: 8, sk: 8, d: 6, causal: true, weights: true },
  { b: 2, h: 3, sq: 7, sk: 7, d: 5, layout: "bsd", causal: true, mask: { shape: [2, 1, 7], refShape: [2, 1, 1, 7], keep: (i) => i % 7 !== 0 }, intMask: true },
  { b: 1, h: 2, sq: 3, sk: 3, d: 4, mask: { shape: [1, 1, 1, 3], keep: () => false }, intMask: true, weights: true },
];
ATTENTION.forEach((c, i) => test(`Attention: ${JSON.stringify(c).replace(/"/g, "").slice(0, 110)}`, (t) => attentionCase(t, { seed: 3300 + i, ...c })));

test("Attention: inconsistent operands are BAD_INPUT naming the node", async () => {
  const x = (shape) => ({ shape, data: new Float32Array(sizeOf(shape)) });
  const run = (q, k, v, attrs = {}) => runGraph({ inputs: { q: x(q), k: x(k), v: x(v) }, nodes: [node("Attention", ["q", "k", "v"], ["y"], attrs, "att")], outputs: ["y"] });
  await assert.rejects(run([1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 3, 4]), (e) => e.code === "BAD_INPUT" && /'att' \(Attention\).*same head size/.test(e.message));
  await assert.rejects(run([1, 5, 12], [1, 5, 12], [1, 5, 12], { num_heads: 5 }), (e) => e.code === "BAD_INPUT" && /does not split into 5 heads/.test(e.message));
  await assert.rejects(run([2, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]), (e) => e.code === "BAD_INPUT" && /batch and heads/.test(e.message));
});
