// Small multi-node graphs through the runtime vs the same computation in tfjs: exercises fusion (a Relu node
// folded into the Conv), the static arena planner (values reusing memory, an alias op, a value that must outlive
// later steps) and per-shape plans (symbolic batch).
// Tolerances are propagated through the chain: conv/dense 1e-5 + 1e-5*sum|terms| plus the input's own bound
// carried through |W|; max pooling and relu are 1-Lipschitz; softmax |dp_i| <= 2*p_i*max|dz| (+2e-6*p_i).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { InferenceSession, Tensor } from "../../dist/index.js";
import { assertClose, fromTf, initTf, node, rng, sizeOf, tf, tfConv2d, tfRun, toNCHW, toTf } from "./harness.mjs";

before(initTf);

/** Reference of Conv(3x3, pads 1) -> Relu -> MaxPool(2, 2) -> Flatten -> Dense -> Softmax, NHWC input x. */
function reference(x, p, layout) {
  const pads = [1, 1, 1, 1];
  const conv = tfConv2d({ x, w: p.w, b: p.b, pad: pads });
  const convAbs = tfConv2d({ x, w: p.w, b: p.b, pad: pads, abs: true });
  const bConv = Math.max(...convAbs.data.map((s) => 1e-5 + 1e-5 * s));
  let pooled = tf.tidy(() => fromTf(tf.maxPool(tf.relu(toTf(conv)), 2, 2, "valid")));
  if (layout === "NCHW") pooled = toNCHW(pooled); // Flatten follows the layout's element order
  const n = pooled.shape[0], flat = { shape: [n, sizeOf(pooled.shape) / n], data: pooled.data };
  const logits = tfRun((a, w, b) => tf.add(tf.matMul(a, w), b), flat, p.wd, p.bd);
  const abs = tfRun((a, w, b) => tf.add(tf.matMul(tf.abs(a), tf.abs(w)), tf.abs(b)), flat, p.wd, p.bd);
  const colAbs = tfRun((w) => tf.sum(tf.abs(w), 0), p.wd).data;
  const N = p.wd.shape[1];
  const bLogit = abs.data.map((s, i) => 1e-5 + 1e-5 * s + bConv * colAbs[i % N] * 1.001);
  const probs = tfRun((z) => tf.softmax(z), logits);
  const bound = new Float64Array(probs.data.length);
  for (let r = 0; r < n; r++) {
    let m = 0;
    for (let j = 0; j < N; j++) m = Math.max(m, bLogit[r * N + j]);
    for (let j = 0; j < N; j++) { const q = probs.data[r * N + j]; bound[r * N + j] = 2 * q * m + 2e-6 * q + 1.2e-38; }
  }
  return { probs, bound };
}

function params(R, cin, cout, flat, classes) {
  return {
    w: { shape: [cout, cin, 3, 3], data: R.array(cout * cin * 9, -0.5, 0.5) },
    b: { shape: [cout], data: R.array(cout, -0.2, 0.2) },
    wd: { shape: [flat, classes], data: R.array(flat * classes, -0.3, 0.3) },
    bd: { shape: [classes], data: R.array(classes, -0.1, 0.1) },
  };
}

for (const layout of ["NHWC", "NCHW"]) {
  test(`Conv -> Relu -> MaxPool -> Flatten -> Dense -> Softmax (${layout}), symbolic batch 1 and 3 in one session`, async (t) => {
    const R = rng(layout === "NHWC" ? 1800 : 1801);
    const [h, w, cin, cout, classes] = [12, 11, 3, 8, 10];
    const flat = 6 * 5 * cout;
    const p = params(R, cin, cout, flat, classes);
    const img = layout === "NHWC" ? ["batch", h, w, cin] : ["batch", cin, h, w];
    const graph = {
      inputs: [{ name: "x", dtype: "float32", shape: img }], outputs: ["probs"],
      nodes: [
        node("Conv", ["x", "w", "b"], ["c"], { layout, pads: [1, 1, 1, 1] }),
        node("Relu", ["c"], ["r"]),
        node("MaxPool", ["r"], ["m"], { layout, kernel_shape: [2, 2], strides: [2, 2] }),
        node("Flatten", ["m"], ["f"], { axis: 1 }),
        node("Dense", ["f", "wd", "bd"], ["logits"]),
        node("Softmax", ["logits"], ["probs"], { axis: -1 }),
      ],
      constants: new Map(Object.entries(p)),
    };
    const s = await InferenceSession.fromGraph(graph);
    assert.equal(s.fusion.fusedActivations, 1, "the Relu is fused into the Conv");
    for (const n of [1, 3, 1]) {
      const x = { shape: [n, h, w, cin], data: R.array(n * h * w * cin, -1, 1) };
      const feed = layout === "NHWC" ? x : toNCHW(x);
      const out = s.runSync({ x: new Tensor("float32", feed.data, feed.shape) }).probs;
      const { probs, bound } = reference(x, p, layout);
      assertClose(`graph ${layout} batch ${n}`, { shape: [...out.dims], data: out.data }, probs, { bound, t });
    }
    t.diagnostic(`variant ${s.variant}, arena ${s.memory.arena} bytes, weights ${s.memory.weights} bytes`);
    s.dispose();
  });
}

test("residual block: Conv a -> Conv b -> Add(a, b) -> Relu -> GlobalAveragePool -> Flatten -> Dense (a outlives Conv b)", async (t) => {
  const R = rng(1802);
  const [n, h, w, c, classes] = [2, 7, 6, 5, 4];
  const x = { shape: [n, h, w, c], data: R.array(n * h * w * c, -1, 1) };
  const w1 = { shape: [c, c, 3, 3], data: R.array(c * c * 9, -0.4, 0.4) }, b1 = { shape: [c], data: R.array(c, -0.1, 0.1) };
  const w2 = { shape: [c, c, 3, 3], data: R.array(c * c * 9, -0.4, 0.4) }, b2 = { shape: [c], data: R.array(c, -0.1, 0.1) };
  const wd = { shape: [c, classes], data: R.array(c * classes, -1, 1) }, bd = { shape: [classes], data: R.array(classes, -0.1, 0.1) };
  const s = await InferenceSession.fromGraph({
    inputs: [{ name: "x", dtype: "float32", shape: x.shape }], outputs: ["y"],
    nodes: [
      node("Conv", ["x", "w1", "b1"], ["a0"], { layout: "NHWC", pads: [1, 1, 1, 1] }),
      node("Relu", ["a0"], ["a"]),
      node("Conv", ["a", "w2", "b2"], ["b"], { layout: "NHWC", pads: [1, 1, 1, 1] }),
      node("Add", ["a", "b"], ["s"]),
      node("Relu", ["s"], ["sr"]),
      node("GlobalAveragePool", ["sr"], ["g"], { layout: "NHWC" }),
      node("Flatten", ["g"], ["f"]),
      node("Dense", ["f", "wd", "bd"], ["y"]),
    ],
    constants: new Map(Object.entries({ w1, b1, w2, b2, wd, bd })),
  });
  const y = s.runSync({ x: new Tensor("float32", x.data, x.shape) }).y;
  s.dispose();
  // reference and a propagated bound (global maxima: every step is 1-Lipschitz or linear)
  const pads = [1, 1, 1, 1];
  const a = tf.tidy(() => fromTf(tf.relu(toTf(tfConv2d({ x, w: w1, b: b1, pad: pads })))));
  const bA = Math.max(...tfConv2d({ x, w: w1, b: b1, pad: pads, abs: true }).data.map((v) => 1e-5 + 1e-5 * v));
  const b = tfConv2d({ x: a, w: w2, b: b2, pad: pads });
  const w2abs = Math.max(...Array.from({ length: c }, (_, o) => w2.data.slice(o * c * 9, (o + 1) * c * 9).reduce((s2, v) => s2 + Math.abs(v), 0)));
  const bB = Math.max(...tfConv2d({ x: a, w: w2, b: b2, pad: pads, abs: true }).data.map((v) => 1e-5 + 1e-5 * v)) + bA * w2abs;
  const g = tf.tidy(() => fromTf(tf.mean(tf.relu(tf.add(toTf(a), toTf(b))), [1, 2])));
  const bG = bA + bB + 1e-5;
  const ref = tfRun((u, v, z) => tf.add(tf.matMul(u, v), z), g, wd, bd);
  const colAbs = tfRun((v) => tf.sum(tf.abs(v), 0), wd).data;
  const bound = ref.data.map((_, i) => 1e-5 + 1e-4 * Math.abs(ref.data[i]) + bG * colAbs[i % classes] * 1.001);
  assertClose("residual block", { shape: [...y.dims], data: y.data }, ref, { bound, t });
});
