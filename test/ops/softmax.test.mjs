// Softmax / LogSoftmax over every axis of a rank-3 tensor (and rank 1, 2, 4), through the runtime, vs
// tf.softmax / tf.logSoftmax (the axis moved last, since tfjs reduces the last axis only).
// Tolerances: softmax |diff| <= 2e-6*|ref| + 1.2e-38 + 2^-23*|x - max|*|ref| (the f32 rounding of x - max,
// which exp amplifies by |x - max|: both implementations round it, possibly differently);
// log-softmax |diff| <= 1e-6*(1 + |ref|) + 2^-23*|x - max|.
import { test, before } from "node:test";
import { assertClose, initTf, rng, runOp, sizeOf, tf, tfRun, transpose } from "./harness.mjs";

before(initTf);

async function softmaxCase(t, op, shape, axis, data) {
  const rank = shape.length, ax = axis < 0 ? axis + rank : axis;
  const x = { shape, data };
  const got = await runOp(op, { axis }, { x });
  const perm = [...Array(rank).keys()].filter((d) => d !== ax).concat(ax);
  const inv = perm.map((_, i) => perm.indexOf(i));
  const xt = transpose(x, perm);
  const yt = tfRun((v) => (op === "Softmax" ? tf.softmax(v) : tf.logSoftmax(v)), xt);
  // |x - max| along the axis, in the transposed layout
  const len = shape[ax], spread = new Float64Array(xt.data.length);
  for (let r = 0; r < xt.data.length / len; r++) {
    let m = -Infinity;
    for (let j = 0; j < len; j++) m = Math.max(m, xt.data[r * len + j]);
    for (let j = 0; j < len; j++) spread[r * len + j] = m - xt.data[r * len + j];
  }
  const ref = transpose(yt, inv), sp = transpose({ shape: yt.shape, data: spread }, inv).data;
  const bound = ref.data.map((y, i) => (op === "Softmax"
    ? 2e-6 * Math.abs(y) + 1.2e-38 + 2 ** -23 * sp[i] * Math.abs(y)
    : 1e-6 * (1 + Math.abs(y)) + 2 ** -23 * sp[i]));
  assertClose(`${op} [${shape}] axis ${axis}`, got, ref, { bound: Float64Array.from(bound), t });
}

for (const op of ["Softmax", "LogSoftmax"]) {
  test(`${op}: rank-3 [3,5,7], every axis (0, 1, 2, -1, -2, -3)`, async (t) => {
    const R = rng(1600);
    const shape = [3, 5, 7];
    const data = R.array(sizeOf(shape), -6, 6);
    for (const axis of [0, 1, 2, -1, -2, -3]) await softmaxCase(t, op, shape, axis, data);
  });
  test(`${op}: large logits (offsets of ±1000, so some axes are one-hot) stay finite and accurate`, async (t) => {
    const R = rng(1601);
    const shape = [4, 9, 6];
    const data = Float32Array.from({ length: sizeOf(shape) }, (_, i) => (Math.floor(i / 6) % 3 - 1) * 1000 + R.uniform(-30, 30));
    for (const axis of [0, 1, 2]) await softmaxCase(t, op, shape, axis, data);
  });
  test(`${op}: rank 1 [13], rank 2 [5, 33], rank 4 [2,3,4,5] axis 1, length-1 axis`, async (t) => {
    const R = rng(1602);
    await softmaxCase(t, op, [13], 0, R.array(13, -5, 5));
    await softmaxCase(t, op, [5, 33], -1, R.array(165, -5, 5));
    await softmaxCase(t, op, [5, 33], 0, R.array(165, -5, 5));
    await softmaxCase(t, op, [2, 3, 4, 5], 1, R.array(120, -5, 5));
    await softmaxCase(t, op, [4, 1, 3], 1, R.array(12, -5, 5));
  });
  test(`${op}: default axis is -1 (opset 13)`, async (t) => {
    const R = rng(1603);
    const x = { shape: [3, 4, 5], data: R.array(60, -3, 3) };
    const got = await runOp(op, {}, { x });
    const ref = tfRun((v) => (op === "Softmax" ? tf.softmax(v) : tf.logSoftmax(v)), x);
    assertClose(`${op} default axis`, got, ref, { atol: 1e-6, rtol: 2e-6, t });
  });
}

test("Softmax / LogSoftmax with -Inf entries (masking): zero probability, -Inf log-probability", async (t) => {
  const x = { shape: [3, 5], data: Float32Array.from([-Infinity, 0, 1, -Infinity, 2, 3, -Infinity, -Infinity, -Infinity, -Infinity, 0.5, 0.5, -Infinity, 0.5, 0.5]) };
  for (const op of ["Softmax", "LogSoftmax"]) {
    const got = await runOp(op, { axis: 1 }, { x });
    const ref = tfRun((v) => (op === "Softmax" ? tf.softmax(v) : tf.logSoftmax(v)), x);
    assertClose(`${op} masked`, got, ref, { atol: 1e-6, rtol: 2e-6, t });
  }
});
