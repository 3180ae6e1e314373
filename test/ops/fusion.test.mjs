// The load-time passes (bindings/ir/passes.ts) must not change results: an activation node after Conv/Dense
// fused into its epilogue, a constant Add folded into the bias, BatchNormalization folded into a transposed
// Dense, constant folding of whole nodes; each vs the unfused tfjs reference, with session.fusion checked.
// Tolerance: 1e-5 + 1e-5*sum|terms| through the activation (harness ACT).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { InferenceSession, Tensor } from "../../dist/index.js";
import { applyAct, assertClose, assertExact, fromTf, initTf, node, rng, runGraph, sizeOf, tf, tfConv2d, tfRun, toNCHW, toTf } from "./harness.mjs";

before(initTf);

// IR activation node -> the activation it should become, with the parameters the node implies.
const NODES = [
  ["Relu", {}, "relu"], ["Relu6", {}, "relu6"], ["Clip", { min: -0.4, max: 0.9 }, "clip", -0.4, 0.9], ["Clip", { max: 0.5 }, "clip", -Infinity, 0.5],
  ["Sigmoid", {}, "sigmoid"], ["Tanh", {}, "tanh"], ["Silu", {}, "silu"], ["HardSwish", {}, "hard_swish"],
  ["HardSigmoid", {}, "hard_sigmoid", 0.2, 0.5], ["HardSigmoid", { alpha: 0.3, beta: 0.6 }, "hard_sigmoid", 0.3, 0.6],
  ["LeakyRelu", {}, "leaky_relu", 0.01], ["LeakyRelu", { alpha: 0.2 }, "leaky_relu", 0.2],
  ["Elu", {}, "elu", 1], ["Elu", { alpha: 0.4 }, "elu", 0.4], ["Gelu", {}, "gelu"], ["Gelu", { approximate: "tanh" }, "gelu_tanh"],
];

for (const [op, attrs, act, alpha, beta] of NODES) {
  const label = `${op}${Object.keys(attrs).length ? JSON.stringify(attrs) : ""}`;
  test(`Conv NCHW -> ${label} and Dense -> ${label}: fused, same as unfused`, async (t) => {
    const R = rng(1900);
    // Conv
    const x = { shape: [1, 6, 5, 4], data: R.array(120, -1, 1) };
    const w = { shape: [3, 4, 3, 3], data: R.array(108, -1, 1) }, b = { shape: [3], data: R.array(3, -1, 1) };
    const rc = await runGraph({
      inputs: { x: toNCHW(x) }, constants: { w, b }, outputs: ["y"],
      nodes: [node("Conv", ["x", "w", "b"], ["c"], { pads: [1, 1, 1, 1] }), node(op, ["c"], ["y"], attrs)],
    });
    assert.equal(rc.fusion.fusedActivations, 1, "fused into the Conv");
    const conv = toNCHW(tfConv2d({ x, w, b, pad: [1, 1, 1, 1] })), abs = toNCHW(tfConv2d({ x, w, b, pad: [1, 1, 1, 1], abs: true }));
    let post = applyAct(act, alpha, beta, conv.data, abs.data.map((s) => 1e-5 + 1e-5 * s));
    assertClose(`Conv -> ${label}`, rc.out.y, { shape: conv.shape, data: post.data }, { bound: post.bound, t });
    // Dense
    const xd = { shape: [5, 7], data: R.array(35, -2, 2) };
    const wd = { shape: [7, 6], data: R.array(42, -1, 1) }, bd = { shape: [6], data: R.array(6, -1, 1) };
    const rd = await runGraph({
      inputs: { x: xd }, constants: { w: wd, b: bd }, outputs: ["y"],
      nodes: [node("Dense", ["x", "w", "b"], ["d"]), node(op, ["d"], ["y"], attrs)],
    });
    assert.equal(rd.fusion.fusedActivations, 1, "fused into the Dense");
    const mm = tfRun((p, q, r) => tf.add(tf.matMul(p, q), r), xd, wd, bd);
    const mmAbs = tfRun((p, q, r) => tf.add(tf.matMul(tf.abs(p), tf.abs(q)), tf.abs(r)), xd, wd, bd);
    post = applyAct(act, alpha, beta, mm.data, mmAbs.data.map((s) => 1e-5 + 1e-5 * s));
    assertClose(`Dense -> ${label}`, rd.out.y, { shape: mm.shape, data: post.data }, { bound: post.bound, t });
  });
}

test("an activation is not fused when the Conv output is also read elsewhere (both outputs right)", async (t) => {
  const R = rng(1901);
  const x = { shape: [1, 4, 4, 2], data: R.array(32) }, w = { shape: [3, 2, 1, 1], data: R.array(6) };
  const r = await runGraph({
    inputs: { x }, constants: { w }, outputs: ["c", "y"],
    nodes: [node("Conv", ["x", "w"], ["c"], { layout: "NHWC" }), node("Sigmoid", ["c"], ["y"])],
  });
  assert.equal(r.fusion.fusedActivations, 0);
  const conv = tfConv2d({ x, w }), abs = tfConv2d({ x, w, abs: true });
  const pre = abs.data.map((s) => 1e-5 + 1e-5 * s);
  assertClose("Conv", r.out.c, conv, { bound: pre, t });
  const post = applyAct("sigmoid", 0, 0, conv.data, pre);
  assertClose("Sigmoid", r.out.y, { shape: conv.shape, data: post.data }, { bound: post.bound, t });
});

/** Conv/Dense followed by Add of a constant; returns fusion report and checks against tfjs broadcasting. */
async function biasAdd(t, { kind, layout = "NCHW", cShape, bias = true, expectFold, constFirst = false }) {
  const R = rng(1902 + sizeOf(cShape));
  const k = { shape: cShape, data: R.array(sizeOf(cShape), -1, 1) };
  let inputs, consts, first, ref, abs;
  if (kind === "Conv") {
    const x = { shape: [2, 4, 4, 3], data: R.array(96) }, w = { shape: [4, 3, 3, 3], data: R.array(108) }, b = { shape: [4], data: R.array(4) };
    inputs = { x: layout === "NCHW" ? toNCHW(x) : x };
    consts = bias ? { w, b, k } : { w, k };
    first = node("Conv", bias ? ["x", "w", "b"] : ["x", "w"], ["c"], { layout, pads: [1, 1, 1, 1] });
    ref = tfConv2d({ x, w, b: bias ? b : undefined, pad: [1, 1, 1, 1] });
    abs = tfConv2d({ x, w, b: bias ? b : undefined, pad: [1, 1, 1, 1], abs: true });
    if (layout === "NCHW") { ref = toNCHW(ref); abs = toNCHW(abs); }
  } else {
    const x = { shape: [3, 5], data: R.array(15) }, w = { shape: [5, 4], data: R.array(20) }, b = { shape: [4], data: R.array(4) };
    inputs = { x };
    consts = bias ? { w, b, k } : { w, k };
    first = node("Dense", bias ? ["x", "w", "b"] : ["x", "w"], ["c"]);
    ref = tfRun((p, q, r) => tf.add(tf.matMul(p, q), r), x, w, bias ? b : { shape: [4], data: new Float32Array(4) });
    abs = tfRun((p, q, r) => tf.add(tf.matMul(tf.abs(p), tf.abs(q)), tf.abs(r)), x, w, bias ? b : { shape: [4], data: new Float32Array(4) });
  }
  const r = await runGraph({ inputs, constants: consts, outputs: ["y"], nodes: [first, node("Add", constFirst ? ["k", "c"] : ["c", "k"], ["y"])] });
  const y = tfRun((p, q) => tf.add(p, q), ref, k);
  const bAbs = tfRun((p, q) => tf.add(p, tf.abs(q)), abs, k);
  assertClose(`${kind}${kind === "Conv" ? ` ${layout}` : ""} + const [${cShape}]`, r.out.y, y, { bound: bAbs.data.map((s) => 1e-5 + 1e-5 * s), t });
  assert.equal(r.fusion.foldedBiases, expectFold ? 1 : 0, `Add of [${cShape}] ${expectFold ? "folded" : "not folded"}`);
}

test("Conv NCHW + constant [C,1,1] / [1,C,1,1]: folded into the bias", async (t) => {
  await biasAdd(t, { kind: "Conv", cShape: [4, 1, 1], expectFold: true });
  await biasAdd(t, { kind: "Conv", cShape: [1, 4, 1, 1], expectFold: true, bias: false, constFirst: true });
});
test("Conv NHWC + constant [C], Dense + constant [N]: folded into the bias", async (t) => {
  await biasAdd(t, { kind: "Conv", layout: "NHWC", cShape: [4], expectFold: true });
  await biasAdd(t, { kind: "Dense", cShape: [4], expectFold: true });
});
// The pass runs before shapes are known: a [1,N] constant would raise the rank of a rank-1 Dense output.
test("Dense + constant [1,N]: not folded (it may change the output's rank), still right", async (t) => {
  await biasAdd(t, { kind: "Dense", cShape: [1, 4], expectFold: false, bias: false, constFirst: true });
});
test("Conv NCHW + constant [C] (broadcasts over W, not channels) and [1,1,4] : not folded, still right", async (t) => {
  await biasAdd(t, { kind: "Conv", cShape: [4], expectFold: false });
  await biasAdd(t, { kind: "Conv", cShape: [1, 1, 4], expectFold: false });
  await biasAdd(t, { kind: "Conv", cShape: [2, 4, 4, 4], expectFold: false });
});
test("Dense [3,4] + constant [1,1,4] keeps the broadcast output shape [1,3,4]", async (t) => {
  await biasAdd(t, { kind: "Dense", cShape: [1, 1, 4], expectFold: false });
});
test("Conv NCHW [2,4,4,4] + constant [1,1,4,1,1] keeps the broadcast output shape [1,2,4,4,4]", async (t) => {
  await biasAdd(t, { kind: "Conv", cShape: [1, 1, 4, 1, 1], expectFold: false });
});

test("transposed Dense -> BatchNormalization (NHWC) folded", async (t) => {
  const R = rng(1903);
  const x = { shape: [4, 6], data: R.array(24) }, w = { shape: [5, 6], data: R.array(30) }, b = { shape: [5], data: R.array(5) };
  const p = { gamma: { shape: [5], data: R.array(5, 0.5, 2) }, beta: { shape: [5], data: R.array(5) }, mean: { shape: [5], data: R.array(5) }, variance: { shape: [5], data: R.array(5, 0.1, 2) } };
  const r = await runGraph({
    inputs: { x }, constants: { w, b, ...p }, outputs: ["y"],
    nodes: [node("Dense", ["x", "w", "b"], ["d"], { transposeW: true }), node("BatchNormalization", ["d", "gamma", "beta", "mean", "variance"], ["y"], { layout: "NHWC" })],
  });
  assert.equal(r.fusion.foldedBatchNorms, 1);
  const d = tfRun((u, v, z) => tf.add(tf.matMul(u, v, false, true), z), x, w, b);
  const dAbs = tfRun((u, v, z) => tf.add(tf.matMul(tf.abs(u), tf.abs(v), false, true), tf.abs(z)), x, w, b);
  const y = tf.tidy(() => fromTf(tf.batchNorm(toTf(d), toTf(p.mean), toTf(p.variance), toTf(p.beta), toTf(p.gamma), 1e-5)));
  const bound = dAbs.data.map((s, i) => {
    const ch = i % 5, sc = Math.abs(p.gamma.data[ch] / Math.sqrt(p.variance.data[ch] + 1e-5));
    return (1e-5 + 1e-5 * s) * sc + 1e-6 * (1 + Math.abs(d.data[i] * sc) + Math.abs(p.mean.data[ch] * sc) + Math.abs(p.beta.data[ch]));
  });
  assertClose("Dense(transposeW) -> BN", r.out.y, y, { bound, t });
});

test("constant folding: Transpose / Add / Concat of constants, results used by later ops", async (t) => {
  const R = rng(1904);
  const c1 = { shape: [3, 2], data: R.array(6) }, c2 = { shape: [2, 3], data: R.array(6) };
  const x = { shape: [2, 3], data: R.array(6) };
  const r = await runGraph({
    inputs: { x }, constants: { c1, c2 }, outputs: ["y", "k"],
    nodes: [
      node("Transpose", ["c1"], ["t1"]),
      node("Add", ["t1", "c2"], ["s"]),
      node("Concat", ["s", "c2"], ["k"], { axis: 0 }),
      node("Mul", ["x", "s"], ["y"]),
    ],
  });
  const s = tfRun((a, b) => tf.add(tf.transpose(a), b), c1, c2);
  assertExact("folded Concat", r.out.k, tfRun((a, b) => tf.concat([a, b], 0), s, c2), { t });
  assertExact("x * folded", r.out.y, tfRun((a, b) => tf.mul(a, b), x, s), { t });
});

test("plans for several batch sizes in one session, including one that grows wasm memory", async (t) => {
  const R = rng(1905);
  const w = { shape: [16, 32], data: R.array(512) }, b = { shape: [32], data: R.array(32) };
  const s = await InferenceSession.fromGraph({
    inputs: [{ name: "x", dtype: "float32", shape: ["batch", 16] }], outputs: ["y"],
    nodes: [node("Dense", ["x", "w", "b"], ["h"], { activation: "relu" }), node("Softmax", ["h"], ["y"])],
    constants: new Map(Object.entries({ w, b })),
  });
  const before = s.memory.total;
  for (const n of [1, 20000, 3, 20000, 1]) {
    const x = { shape: [n, 16], data: R.array(n * 16) };
    const y = s.runSync({ x: new Tensor("float32", x.data, x.shape) }).y;
    const h = tfRun((u, v, z) => tf.relu(tf.add(tf.matMul(u, v), z)), x, w, b);
    const ref = tfRun((u) => tf.softmax(u), h);
    // softmax of a dense output: |dp| <= 2 p max|dz| with |dz| <= 1e-5 + 1e-5*sum|terms| (<= 1e-5 + 1e-5*17*1 here)
    const bound = ref.data.map((p) => 2 * p * (1e-5 + 1e-5 * 17) + 2e-6 * p + 1e-38);
    assertClose(`batch ${n}`, { shape: [...y.dims], data: y.data }, ref, { bound, t });
  }
  assert.ok(s.memory.total > before, "memory grew for the large batch");
  s.dispose();
});
