// BatchNormalization standalone (both layouts, ranks 2-4) vs tf.batchNorm, and Conv/Dense -> BatchNormalization ->
// Relu folded at load (session.fusion reports it) vs the unfused tfjs reference.
// Tolerances: standalone |diff| <= 1e-6 + 1e-6 * (|x*s| + |mean*s| + |beta|) with s = gamma/sqrt(var+eps)
// (the runtime computes x*s + (beta - mean*s)); folded: the conv bound (1e-5 + 1e-5*sum|terms|) times |s|
// plus the same BN bound.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { assertClose, fromTf, initTf, node, rng, runGraph, tf, tfConv2d, toNCHW, toTf, transpose } from "./harness.mjs";

before(initTf);

function bnParams(R, c) {
  return {
    gamma: { shape: [c], data: R.array(c, 0.2, 2) },
    beta: { shape: [c], data: R.array(c, -1, 1) },
    mean: { shape: [c], data: R.array(c, -0.5, 0.5) },
    variance: { shape: [c], data: R.array(c, 0.05, 3) },
  };
}

/** tf.batchNorm over the last axis of {shape, data} (channels last), and the per-element bound. */
function bnRef(x, p, eps, pre) {
  const c = p.gamma.data.length;
  const y = tf.tidy(() => fromTf(tf.batchNorm(toTf(x), toTf(p.mean), toTf(p.variance), toTf(p.beta), toTf(p.gamma), eps)));
  const bound = new Float64Array(y.data.length);
  for (let i = 0; i < bound.length; i++) {
    const ch = i % c, s = p.gamma.data[ch] / Math.sqrt(p.variance.data[ch] + eps);
    bound[i] = 1e-6 + 1e-6 * (Math.abs(x.data[i] * s) + Math.abs(p.mean.data[ch] * s) + Math.abs(p.beta.data[ch])) + (pre ? pre[i] * Math.abs(s) : 0);
  }
  return { y, bound };
}

const STANDALONE = [
  { layout: "NCHW", shape: [2, 5, 4, 3] },
  { layout: "NHWC", shape: [2, 4, 3, 5] },
  { layout: "NCHW", shape: [3, 17, 7] },   // NCL
  { layout: "NHWC", shape: [3, 7, 17] },   // NLC
  { layout: "NCHW", shape: [6, 8] },       // [N, C]
  { layout: "NHWC", shape: [6, 1, 1, 3] },
];
for (const c of STANDALONE) {
  for (const eps of [1e-5, 1e-3]) {
    test(`BatchNormalization ${c.layout} [${c.shape}] epsilon ${eps}`, async (t) => {
      const R = rng(1000 + c.shape.reduce((a, b) => a * b, 1));
      const chans = c.layout === "NCHW" ? c.shape[1] : c.shape[c.shape.length - 1];
      const x = { shape: c.shape, data: R.array(c.shape.reduce((a, b) => a * b, 1), -3, 3) };
      const p = bnParams(R, chans);
      const { out, fusion } = await runGraph({
        inputs: { x }, constants: p, outputs: ["y"],
        nodes: [node("BatchNormalization", ["x", "gamma", "beta", "mean", "variance"], ["y"], { layout: c.layout, epsilon: eps })],
      });
      assert.equal(fusion.foldedBatchNorms, 0);
      // tfjs normalises the last axis: move NCHW channels last and back.
      const last = c.layout === "NCHW" && c.shape.length > 2;
      const perm = [0, ...c.shape.slice(2).map((_, i) => i + 2), 1];
      const inv = perm.map((_, i) => perm.indexOf(i));
      const xr = last ? transpose(x, perm) : x;
      const { y, bound } = bnRef(xr, p, eps);
      const ref = last ? transpose(y, inv) : y, b = last ? transpose({ shape: y.shape, data: bound }, inv).data : bound;
      assertClose(`BatchNormalization ${c.layout} [${c.shape}]`, out.y, ref, { bound: b, t });
    });
  }
}

/** Conv (+ optional bias) -> BatchNormalization -> Relu, folded, vs tf conv -> batchNorm -> relu. */
async function convBnRelu(t, { layout, bias, seed, relu = true, bnLayout = layout }) {
  const R = rng(seed);
  const [n, h, w, cin, cout] = [2, 6, 7, 3, 5];
  const x = { shape: [n, h, w, cin], data: R.array(n * h * w * cin, -1, 1) };
  const wt = { shape: [cout, cin, 3, 3], data: R.array(cout * cin * 9, -1, 1) };
  const b = { shape: [cout], data: R.array(cout, -1, 1) };
  const p = bnParams(R, cout);
  const consts = { w: wt, ...p };
  if (bias) consts.b = b;
  const nodes = [
    node("Conv", bias ? ["x", "w", "b"] : ["x", "w"], ["c"], { layout, pads: [1, 1, 1, 1] }),
    node("BatchNormalization", ["c", "gamma", "beta", "mean", "variance"], [relu ? "bn" : "y"], { layout: bnLayout, epsilon: 1e-5 }),
  ];
  if (relu) nodes.push(node("Relu", ["bn"], ["y"]));
  const r = await runGraph({ inputs: { x: layout === "NHWC" ? x : toNCHW(x) }, constants: consts, nodes, outputs: ["y"] });
  const conv = tfConv2d({ x, w: wt, b: bias ? b : undefined, pad: [1, 1, 1, 1] });
  const abs = tfConv2d({ x, w: wt, b: bias ? b : undefined, pad: [1, 1, 1, 1], abs: true });
  const { y, bound } = bnRef(conv, p, 1e-5, abs.data.map((s) => 1e-5 + 1e-5 * s));
  const data = relu ? y.data.map((v) => Math.max(0, v)) : y.data;
  let ref = { shape: y.shape, data }, bnd = { shape: y.shape, data: bound };
  if (layout === "NCHW") { ref = toNCHW(ref); bnd = toNCHW(bnd); }
  assertClose(`Conv ${layout} -> BN -> Relu`, r.out.y, ref, { bound: bnd.data, t });
  return r.fusion;
}

test("Conv NCHW (bias) -> BatchNormalization -> Relu: folded and fused, equals the unfused reference", async (t) => {
  const f = await convBnRelu(t, { layout: "NCHW", bias: true, seed: 1100 });
  assert.equal(f.foldedBatchNorms, 1);
  assert.equal(f.fusedActivations, 1);
});
test("Conv NHWC (no bias) -> BatchNormalization -> Relu: folded (bias created) and fused", async (t) => {
  const f = await convBnRelu(t, { layout: "NHWC", bias: false, seed: 1101 });
  assert.equal(f.foldedBatchNorms, 1);
  assert.equal(f.fusedActivations, 1);
});
test("Conv NCHW -> BatchNormalization (no activation) folded", async (t) => {
  const f = await convBnRelu(t, { layout: "NCHW", bias: true, seed: 1102, relu: false });
  assert.equal(f.foldedBatchNorms, 1);
});

test("Conv whose output is also a graph output: BatchNormalization is not folded, both outputs right", async (t) => {
  const R = rng(1103);
  const x = { shape: [1, 5, 5, 4], data: R.array(100) };
  const w = { shape: [6, 4, 1, 1], data: R.array(24) };
  const p = bnParams(R, 6);
  const r = await runGraph({
    inputs: { x }, constants: { w, ...p }, outputs: ["c", "y"],
    nodes: [
      node("Conv", ["x", "w"], ["c"], { layout: "NHWC" }),
      node("BatchNormalization", ["c", "gamma", "beta", "mean", "variance"], ["y"], { layout: "NHWC" }),
    ],
  });
  assert.equal(r.fusion.foldedBatchNorms, 0);
  const conv = tfConv2d({ x, w }), abs = tfConv2d({ x, w, abs: true });
  const pre = abs.data.map((s) => 1e-5 + 1e-5 * s);
  assertClose("Conv output", r.out.c, conv, { bound: pre, t });
  const { y, bound } = bnRef(conv, p, 1e-5, pre);
  assertClose("BN output", r.out.y, y, { bound, t });
});

test("Dense -> BatchNormalization (NHWC, last axis) -> Relu: folded and fused", async (t) => {
  const R = rng(1104);
  const [M, K, N] = [7, 9, 6];
  const x = { shape: [M, K], data: R.array(M * K) };
  const w = { shape: [K, N], data: R.array(K * N) };
  const b = { shape: [N], data: R.array(N) };
  const p = bnParams(R, N);
  const r = await runGraph({
    inputs: { x }, constants: { w, b, ...p }, outputs: ["y"],
    nodes: [
      node("Dense", ["x", "w", "b"], ["d"]),
      node("BatchNormalization", ["d", "gamma", "beta", "mean", "variance"], ["bn"], { layout: "NHWC" }),
      node("Relu", ["bn"], ["y"]),
    ],
  });
  assert.equal(r.fusion.foldedBatchNorms, 1);
  assert.equal(r.fusion.fusedActivations, 1);
  const mm = (abs) => tf.tidy(() => {
    let xt = toTf(x), wt = toTf(w), bt = toTf(b);
    if (abs) { xt = tf.abs(xt); wt = tf.abs(wt); bt = tf.abs(bt); }
    return fromTf(tf.add(tf.matMul(xt, wt), bt));
  });
  const { y, bound } = bnRef(mm(false), p, 1e-5, mm(true).data.map((s) => 1e-5 + 1e-5 * s));
  assertClose("Dense -> BN -> Relu", r.out.y, { shape: y.shape, data: y.data.map((v) => Math.max(0, v)) }, { bound, t });
});
