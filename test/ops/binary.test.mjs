// Add / Sub / Mul / Div / Max / Min / Pow with NumPy broadcasting, through the runtime, vs tfjs.
// Tolerances: Add/Sub/Mul/Div/Max/Min are single IEEE f32 operations: exact (tfjs computes them in f64 and
// rounds once, which equals the f32 operation). Pow is approximated: |diff| <= 1e-6 * max(1, |b*ln|a||) * |ref|
// (+ the smallest normal f32), the relative error of exp(b*log(a)) with a 1e-6-relative log.
import { test, before } from "node:test";
import { assertClose, initTf, node, rng, runGraph, sizeOf, tf, tfRun } from "./harness.mjs";

before(initTf);

const TF = { Add: tf.add, Sub: tf.sub, Mul: tf.mul, Div: tf.div, Max: tf.maximum, Min: tf.minimum, Pow: tf.pow };
const PATTERNS = [
  [[3, 5, 7], [3, 5, 7]],
  [[2, 3, 4], [4]],
  [[4], [2, 3, 4]],
  [[2, 1, 4], [1, 3, 1]],
  [[1], [2, 3]],
  [[2, 3], [1]],
  [[5, 1], [1, 7]],
  [[2, 1, 3, 1, 5], [1, 4, 1, 2, 1]],
  [[2, 4, 3, 2, 5], [4, 1, 2, 5]],
  [[3, 1, 9], [3, 6, 1]],
  [[6, 7], []],
  [[], [3, 2]],
  [[1, 1, 1], [1, 1, 1]],
  [[2, 1, 3, 1, 2, 1, 3, 1], [1, 2, 1, 3, 1, 2, 1, 3]],
];

function operands(R, op, sa, sb) {
  const a = { shape: sa, data: R.array(sizeOf(sa), -4, 4) };
  const b = { shape: sb, data: R.array(sizeOf(sb), -4, 4) };
  if (op === "Pow") {
    a.data = R.array(sizeOf(sa), 0.05, 4);
    b.data = R.array(sizeOf(sb), -3, 3);
  }
  if (op === "Div") b.data = b.data.map((v) => (Math.abs(v) < 0.05 ? 0.5 : v));
  return { a, b };
}

function tolFor(op, ref, a, b, outShape) {
  if (op !== "Pow") return { atol: 0, rtol: 0 };
  // per-element bound from the broadcast operands
  const bound = new Float64Array(ref.data.length);
  const A = broadcastTo(a, outShape), B = broadcastTo(b, outShape);
  for (let i = 0; i < bound.length; i++) {
    const cond = Math.max(1, Math.abs(B[i] * Math.log(Math.abs(A[i]))));
    bound[i] = 1.2e-38 + 1e-6 * cond * Math.abs(ref.data[i]);
  }
  return { atol: 0, rtol: 0, bound };
}
function broadcastTo(x, shape) {
  return tf.tidy(() => tf.broadcastTo(tf.tensor(x.data, x.shape), shape).dataSync());
}

const OPS = ["Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"];
OPS.forEach((op, oi) => {
  test(`${op}: broadcasting patterns (inputs), vs tfjs`, async (t) => {
    const R = rng(1400 + oi);
    for (const [sa, sb] of PATTERNS) {
      const { a, b } = operands(R, op, sa, sb);
      const { out } = await runGraph({ inputs: { a, b }, nodes: [node(op, ["a", "b"], ["y"])], outputs: ["y"] });
      const ref = tfRun(TF[op], a, b);
      assertClose(`${op} [${sa}] , [${sb}]`, out.y, ref, { ...tolFor(op, ref, a, b, ref.shape), t });
    }
  });
  test(`${op}: one operand a constant (either side), vs tfjs`, async (t) => {
    const R = rng(1450 + oi);
    for (const [sa, sb, constSide] of [[[2, 3, 4], [4], "b"], [[2, 1, 4], [3, 1], "a"], [[5, 7], [5, 7], "a"], [[2, 1, 3, 1, 5], [4, 1, 2, 1], "b"]]) {
      const { a, b } = operands(R, op, sa, sb);
      const inputs = constSide === "a" ? { b } : { a };
      const constants = constSide === "a" ? { a } : { b };
      const { out } = await runGraph({ inputs, constants, nodes: [node(op, ["a", "b"], ["y"])], outputs: ["y"] });
      const ref = tfRun(TF[op], a, b);
      assertClose(`${op} [${sa}] , [${sb}] (constant ${constSide})`, out.y, ref, { ...tolFor(op, ref, a, b, ref.shape), t });
    }
  });
});

test("the same value on both sides (x op x)", async (t) => {
  const R = rng(1500);
  const x = { shape: [3, 11], data: R.array(33, 0.1, 3) };
  for (const op of ["Add", "Sub", "Mul", "Div", "Max", "Min"]) {
    const { out } = await runGraph({ inputs: { x }, nodes: [node(op, ["x", "x"], ["y"])], outputs: ["y"] });
    assertClose(`${op}(x, x)`, out.y, tfRun((u) => TF[op](u, u), x), { t });
  }
});

test("Div: division by zero gives IEEE infinities and NaN", async (t) => {
  const a = { shape: [5], data: Float32Array.from([1, -2, 0, 3, -0.5]) };
  const b = { shape: [5], data: Float32Array.from([0, 0, 0, -0, 4]) };
  const { out } = await runGraph({ inputs: { a, b }, nodes: [node("Div", ["a", "b"], ["y"])], outputs: ["y"] });
  assertClose("Div by zero", out.y, { shape: [5], data: [Infinity, -Infinity, NaN, -Infinity, -0.125] }, { t });
});

test("Pow: negative bases with integer exponents, zero bases, exponent 0 / 0.5 / 1 / 2 (ONNX / numpy semantics)", async (t) => {
  const as = [-3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 2, 3];
  const bs = [-2, -1, 0, 1, 2, 3];
  const a = { shape: [as.length, 1], data: Float32Array.from(as) };
  const b = { shape: [1, bs.length], data: Float32Array.from(bs) };
  const { out } = await runGraph({ inputs: { a, b }, nodes: [node("Pow", ["a", "b"], ["y"])], outputs: ["y"] });
  const ref = Float64Array.from({ length: as.length * bs.length }, (_, i) => Math.pow(as[Math.floor(i / bs.length)], bs[i % bs.length]));
  assertClose("Pow integer exponents", out.y, { shape: [as.length, bs.length], data: ref }, { rtol: 4e-6, atol: 0, t });
  const sq = await runGraph({ inputs: { a: { shape: [6], data: Float32Array.from([0, 0.25, 2, 9, 1e4, 1e-4]) } }, constants: { b: { shape: [1], data: Float32Array.of(0.5) } }, nodes: [node("Pow", ["a", "b"], ["y"])], outputs: ["y"] });
  assertClose("Pow x^0.5", sq.out.y, { shape: [6], data: [0, 0.5, Math.SQRT2, 3, 100, 0.01] }, { rtol: 2e-6, t });
});

test("NaN and infinities: NaN propagates through every op (Max/Min as numpy.maximum / tf.maximum)", async (t) => {
  const a = { shape: [6], data: Float32Array.from([NaN, 1, NaN, Infinity, -Infinity, 2]) };
  const b = { shape: [6], data: Float32Array.from([1, NaN, NaN, 1, 2, -Infinity]) };
  for (const op of OPS) {
    const { out } = await runGraph({ inputs: { a, b }, nodes: [node(op, ["a", "b"], ["y"])], outputs: ["y"] });
    const ref = Float64Array.from(a.data, (v, i) => ({ Add: (p, q) => p + q, Sub: (p, q) => p - q, Mul: (p, q) => p * q, Div: (p, q) => p / q, Max: Math.max, Min: Math.min, Pow: Math.pow })[op](v, b.data[i]));
    assertClose(`${op} specials`, out.y, { shape: [6], data: ref }, { rtol: 1e-6, t });
  }
});
