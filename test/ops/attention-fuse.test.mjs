// The transformer fusion passes (bindings/ir/attention-fuse.ts) on the decomposed patterns exporters write:
// each graph runs fused through the runtime and is compared with the same unfused math in tfjs-core; the fusion
// report and the nodes left say what was fused, and variants that must not fuse are checked to stay correct.
// Tolerances: LayerNorm 1e-5 (1 + |ref|); attention 2e-6 + 2e-5 |ref| (f32 on both sides).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { InferenceSession, Tensor } from "../../dist/index.js";
import { assertClose, fromTf, initTf, node, rng, sizeOf, tf, toTf } from "./harness.mjs";

before(initTf);

async function run(graph, feeds) {
  const s = await InferenceSession.fromGraph(graph);
  const out = s.runSync(Object.fromEntries(Object.entries(feeds).map(([n, x]) => [n, new Tensor("float32", x.data, x.shape)])));
  const ops = s.graph.nodes.map((n) => n.op); // internal, for the test only
  const fusion = s.fusion;
  s.dispose();
  return { out, ops, fusion };
}
const scalar = (v) => ({ shape: [], data: Float32Array.of(v) });

// ---- LayerNorm ------------------------------------------------------------------------------------------------

function decomposedLayerNorm({ axes = [-1], squareWithMul = false, gamma, beta, eps = 1e-5, extraOutput }) {
  const nodes = [
    node("ReduceMean", ["x"], ["m"], { axes, keepdims: 1 }, "ln/ReduceMean"),
    node("Sub", ["x", "m"], ["d"]),
    squareWithMul ? node("Mul", ["d", "d"], ["p"]) : node("Pow", ["d", "two"], ["p"]),
    node("ReduceMean", ["p"], ["v"], { axes, keepdims: 1 }, "ln/ReduceMean_1"),
    node("Add", ["v", "eps"], ["ve"]),
    node("Sqrt", ["ve"], ["s"]),
    node("Div", ["d", "s"], ["n"]),
  ];
  let y = "n";
  if (gamma) { nodes.push(node("Mul", [y, "gamma"], ["g"])); y = "g"; }
  if (beta) { nodes.push(node("Add", ["beta", y], ["b"])); y = "b"; }
  const constants = new Map([["two", scalar(2)], ["eps", scalar(eps)]]);
  if (gamma) constants.set("gamma", gamma);
  if (beta) constants.set("beta", beta);
  return { nodes, constants, y, outputs: extraOutput ? [y, extraOutput] : [y] };
}

async function layerNormCase(t, { shape, axes = [-1], squareWithMul, withGamma = true, withBeta = true, gammaShape, eps, extraOutput, fused = 1, left = [], seed }) {
  const R = rng(seed);
  const k = axes.length, norm = shape.slice(-k);
  const gamma = withGamma ? { shape: gammaShape ?? norm, data: R.array(sizeOf(gammaShape ?? norm), 0.5, 1.5) } : undefined;
  const beta = withBeta ? { shape: norm, data: R.array(sizeOf(norm)) } : undefined;
  const { nodes, constants, y, outputs } = decomposedLayerNorm({ axes, squareWithMul, gamma, beta, eps, extraOutput });
  const x = { shape, data: R.array(sizeOf(shape), -2, 2).map((v, i) => v + (i % 3)) };
  const graph = { inputs: [{ name: "x", dtype: "float32", shape }], outputs, nodes, constants };
  const { out, ops, fusion } = await run(graph, { x });
  assert.equal(fusion.layerNorms, fused, `layerNorms fused (${ops.join(", ")})`);
  if (fused) assert.deepEqual(ops.filter((o) => o !== "LayerNormalization"), left, "the nodes left beside the fused one");
  const ref = tf.tidy(() => {
    const xt = toTf(x), ax = axes.map((a) => a + shape.length);
    const { mean, variance } = tf.moments(xt, ax, true);
    let r = tf.div(tf.sub(xt, mean), tf.sqrt(tf.add(variance, eps ?? 1e-5)));
    if (gamma) r = tf.mul(r, toTf(gamma));
    if (beta) r = tf.add(r, toTf(beta));
    return fromTf(r);
  });
  assertClose(`LayerNorm [${shape}] axes [${axes}]`, { shape: [...out[y].dims], data: out[y].data }, ref, { atol: 1e-5, rtol: 1e-5, t });
}

test("decomposed LayerNorm (PyTorch's export) fuses into LayerNormalization", (t) => layerNormCase(t, { shape: [2, 9, 16], seed: 4000 }));
test("decomposed LayerNorm: Mul(d, d) for the square, no gamma/beta, two trailing axes, epsilon 1e-3", async (t) => {
  await layerNormCase(t, { shape: [3, 7], squareWithMul: true, seed: 4001 });
  await layerNormCase(t, { shape: [2, 5, 6], withGamma: false, withBeta: false, seed: 4002 });
  await layerNormCase(t, { shape: [2, 4, 6], axes: [-2, -1], eps: 1e-3, seed: 4003 });
  // A gamma of higher rank than the normalised axes could raise the output's rank: its Mul stays.
  await layerNormCase(t, { shape: [4, 5], withBeta: false, gammaShape: [1, 5], left: ["Mul"], seed: 4004 });
});
test("decomposed LayerNorm is left alone when an intermediate is read elsewhere or gamma varies along rows", async (t) => {
  await layerNormCase(t, { shape: [3, 8], extraOutput: "d", fused: 0, seed: 4005 });
  // A per-row gamma is not a LayerNorm scale: the normalisation fuses, the Mul stays.
  await layerNormCase(t, { shape: [3, 8], gammaShape: [3, 8], withBeta: false, left: ["Mul"], seed: 4006 });
});

// ---- Attention ------------------------------------------------------------------------------------------------

/** tfjs reference: q, k, v [n.., s, d] (already in the attention form), additive mask, scale on the scores. */
function tfAttention(q, k, v, scale, mask) {
  return tf.tidy(() => {
    let s = tf.mul(tf.matMul(q, k, false, true), scale);
    if (mask) s = tf.add(s, mask);
    return tf.matMul(tf.softmax(s), v);
  });
}

test("PyTorch's MHA chain ([seq, batch*heads, dim] Transposes, Div of q, output Transpose) fuses with no Transpose left", async (t) => {
  const R = rng(4100);
  const [S, N, D] = [12, 6, 8];
  const x = (name) => ({ name, shape: [S, N, D], data: R.array(S * N * D) });
  const [q, k, v] = [x("q"), x("k"), x("v")];
  const nodes = [
    node("Transpose", ["q"], ["qt"], { perm: [1, 0, 2] }),
    node("Div", ["qt", "sqrt_d"], ["qs"]),
    node("Transpose", ["k"], ["kt"], { perm: [1, 2, 0] }),
    node("MatMul", ["qs", "kt"], ["scores"]),
    node("Softmax", ["scores"], ["p"], { axis: -1 }, "attn/Softmax"),
    node("Transpose", ["v"], ["vt"], { perm: [1, 0, 2] }),
    node("MatMul", ["p", "vt"], ["o"]),
    node("Transpose", ["o"], ["y"], { perm: [1, 0, 2] }),
  ];
  const graph = { inputs: [q, k, v].map((a) => ({ name: a.name, dtype: "float32", shape: a.shape })), outputs: ["y"], nodes, constants: new Map([["sqrt_d", scalar(Math.sqrt(D))]]) };
  const { out, ops, fusion } = await run(graph, { q, k, v });
  assert.equal(fusion.attentions, 1);
  assert.deepEqual(ops, ["Attention"]);
  const ref = tf.tidy(() => {
    const tq = (a) => tf.transpose(toTf(a), [1, 0, 2]);
    return fromTf(tf.transpose(tfAttention(tq(q), tq(k), tq(v), 1 / Math.sqrt(D)), [1, 0, 2]));
  });
  assertClose("fused PyTorch attention", { shape: [...out.y.dims], data: out.y.data }, ref, { atol: 2e-6, rtol: 2e-5, t });
});

test("HF-style chain ([batch, seq, heads, dim] sources, scores / sqrt(d) + mask) fuses as layout bshd", async (t) => {
  const R = rng(4101);
  const [B, S, H, D] = [2, 7, 3, 5];
  const x = (name) => ({ name, shape: [B, S, H, D], data: R.array(B * S * H * D) });
  const [q, k, v] = [x("q"), x("k"), x("v")];
  const mask = { name: "mask", shape: [B, 1, 1, S], data: Float32Array.from({ length: B * S }, (_, i) => (i % S === 3 ? -Infinity : R.uniform(-1, 0))) };
  const nodes = [
    node("Transpose", ["q"], ["qt"], { perm: [0, 2, 1, 3] }),
    node("Transpose", ["k"], ["kt"], { perm: [0, 2, 3, 1] }),
    node("MatMul", ["qt", "kt"], ["scores"]),
    node("Div", ["scores", "sqrt_d"], ["scaled"]),
    node("Add", ["scaled", "mask"], ["masked"]),
    node("Softmax", ["masked"], ["p"], { axis: -1 }),
    node("Transpose", ["v"], ["vt"], { perm: [0, 2, 1, 3] }),
    node("MatMul", ["p", "vt"], ["o"]),
    node("Transpose", ["o"], ["y"], { perm: [0, 2, 1, 3] }),
  ];
  const graph = { inputs: [q, k, v, mask].map((a) => ({ name: a.name, dtype: "float32", shape: a.shape })), outputs: ["y"], nodes, constants: new Map([["sqrt_d", scalar(Math.sqrt(D))]]) };
  const { out, ops, fusion } = await run(graph, { q, k, v, mask });
  assert.equal(fusion.attentions, 1);
  assert.deepEqual(ops, ["Attention"]);
  const ref = tf.tidy(() => {
    const tq = (a) => tf.transpose(toTf(a), [0, 2, 1, 3]);
    return fromTf(tf.transpose(tfAttention(tq(q), tq(k), tq(v), 1 / Math.sqrt(D), toTf(mask)), [0, 2, 1, 3]));
  });
  assertClose("fused HF attention", { shape: [...out.y.dims], data: out.y.data }, ref, { atol: 2e-6, rtol: 2e-5, t });
});

test("attention chains with mixed layouts keep their Transposes but still fuse; a softmax output that is read (tapped) becomes the op's weights output", async (t) => {
  const R = rng(4102);
  const [N, S, D] = [3, 6, 4];
  const a = (name) => ({ name, shape: [N, S, D], data: R.array(N * S * D) });
  const [q, k] = [a("q"), a("k")];
  const v = { name: "v", shape: [S, N, D], data: R.array(N * S * D) }; // v in another layout than q
  const nodes = [
    node("Transpose", ["k"], ["kt"], { perm: [0, 2, 1] }),
    node("MatMul", ["q", "kt"], ["scores"]),
    node("Softmax", ["scores"], ["p"], { axis: -1 }),
    node("Transpose", ["v"], ["vt"], { perm: [1, 0, 2] }),
    node("MatMul", ["p", "vt"], ["y"]),
  ];
  const inputs = [q, k, v].map((x) => ({ name: x.name, dtype: "float32", shape: x.shape }));
  const feeds = { q, k, v };
  const ref = tf.tidy(() => fromTf(tfAttention(toTf(q), toTf(k), tf.transpose(toTf(v), [1, 0, 2]), 1)));
  const fused = await run({ inputs, outputs: ["y"], nodes, constants: new Map() }, feeds);
  assert.equal(fused.fusion.attentions, 1);
  assert.deepEqual(fused.ops, ["Transpose", "Attention"], "v's Transpose stays, K's is absorbed (it only swapped the last two dims)");
  assertClose("mixed layouts", { shape: [...fused.out.y.dims], data: fused.out.y.data }, ref, { atol: 2e-6, rtol: 2e-5, t });
  const kept = await run({ inputs, outputs: ["y", "p"], nodes, constants: new Map() }, feeds);
  assert.equal(kept.fusion.attentions, 1, "still fused: the weights are the op's second output");
  assertClose("softmax output read: fused", { shape: [...kept.out.y.dims], data: kept.out.y.data }, ref, { atol: 2e-6, rtol: 2e-5, t });
  const probs = tf.tidy(() => fromTf(tf.softmax(tf.matMul(toTf(q), tf.transpose(toTf(k), [0, 2, 1])))));
  assertClose("the weights (softmax output)", { shape: [...kept.out.p.dims], data: kept.out.p.data }, probs, { atol: 1e-6, rtol: 1e-5, t });
});
