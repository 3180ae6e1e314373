// Every element-wise unary op of the README table, through the runtime, over a wide range of inputs
// (tiny, moderate, large |x| up to 3.4e38; an odd count so SIMD tails run), vs tfjs where it has the op
// (tfjs cpu evaluates Math.* in f64 and rounds to f32), else an f64 JS formula.
// Tolerances (|diff| <= atol + rtol*|ref|):
//   exact (0): Identity, Relu, Relu6, Clip, Abs, Neg, LeakyRelu (one f32 product), Sqrt, Reciprocal (IEEE ops)
//   approximated: rtol 1e-6, atol = smallest normal f32 (1.2e-38: denormal results may flush to zero), plus
//     atol 1e-7 where the function is computed as a difference near zero: Log (near x = 1), Elu / Softplus
//     (exp(x) - 1, log(1 + exp(x)) for x < 0), HardSigmoid / HardSwish (a*x + b rounding), and
//     Gelu / Gelu-tanh 2e-7*|x| (1 + erf(x) for x << 0); Silu 3.2e-7*|x| (x times the rational sigmoid).
import { test, before } from "node:test";
import { assertClose, erf64, initTf, rng, runOp, tf, tfRun } from "./harness.mjs";

before(initTf);
const TINY = 1.1754944e-38;

function inputs(seed, { positive = false, extra = [] } = {}) {
  const R = rng(seed);
  const base = [0, -0, 1e-30, 1e-20, 1e-7, 1e-3, 0.1, 0.5, 0.999, 1, 1.001, 2, 3, 4.5, 5, 8, 10, 15, 20, 30, 50, 80, 87, 88.5, 89, 100, 1e3, 1e10, 1e30, 3.4e38];
  const vals = [...base, ...(positive ? [] : base.map((v) => -v))];
  for (let i = 0; i < 400; i++) vals.push(R.uniform(positive ? 0 : -10, 10));
  for (let i = 0; i < 400; i++) vals.push((positive || R.next() < 0.5 ? 1 : -1) * 10 ** R.uniform(-6, 4));
  for (let i = 0; i < 50; i++) vals.push(R.uniform(0.98, 1.02));
  vals.push(...extra);
  if (vals.length % 2 === 0) vals.push(0.25); // odd count: SIMD tails
  return Float32Array.from(vals);
}

/** op: IR op; attrs; ref: (x: f32) => f64 (JS) or a tfjs function; tol. */
const sig = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const EXACT = { atol: 0, rtol: 0 };
const APPROX = { atol: TINY, rtol: 1e-6 };
const DIFF = { atol: 1e-7, rtol: 1e-6 };
const CASES = [
  { op: "Identity", tf: (x) => tf.clone(x), tol: EXACT },
  { op: "Relu", tf: (x) => tf.relu(x), tol: EXACT },
  { op: "Relu6", tf: (x) => tf.relu6(x), tol: EXACT },
  { op: "Clip", attrs: { min: -0.75, max: 2.5 }, tf: (x) => tf.clipByValue(x, -0.75, 2.5), tol: EXACT },
  { op: "Clip", name: "Clip (min only)", attrs: { min: 0.2 }, js: (x) => Math.max(Math.fround(0.2), x), tol: EXACT },
  { op: "Clip", name: "Clip (max only)", attrs: { max: -1 }, js: (x) => Math.min(-1, x), tol: EXACT },
  { op: "Clip", name: "Clip (no bounds)", attrs: {}, js: (x) => x, tol: EXACT },
  // alpha is an f32 attribute: f32(0.01) * x rounded once is exact; tfjs multiplies by the f64 0.01 (1 ulp apart).
  { op: "LeakyRelu", js: (x) => (x >= 0 ? x : Math.fround(Math.fround(0.01) * x)), tol: EXACT, tfLoose: (x) => tf.leakyRelu(x, 0.01), looseTol: { rtol: 1.2e-7 } },
  { op: "LeakyRelu", name: "LeakyRelu(alpha 0.3)", attrs: { alpha: 0.3 }, js: (x) => (x >= 0 ? x : Math.fround(Math.fround(0.3) * x)), tol: EXACT },
  { op: "Sigmoid", tf: (x) => tf.sigmoid(x), tol: APPROX },
  { op: "Tanh", tf: (x) => tf.tanh(x), tol: APPROX },
  { op: "Elu", tf: (x) => tf.elu(x), tol: DIFF },
  { op: "Elu", name: "Elu(alpha 0.5)", attrs: { alpha: 0.5 }, js: (x) => (x >= 0 ? x : 0.5 * Math.expm1(x)), tol: DIFF },
  { op: "Exp", tf: (x) => tf.exp(x), tol: APPROX },
  { op: "Log", positive: true, extra: [-1, -5], tf: (x) => tf.log(x), tol: DIFF },
  { op: "Sqrt", positive: true, extra: [-1], tf: (x) => tf.sqrt(x), tol: EXACT },
  { op: "Abs", tf: (x) => tf.abs(x), tol: EXACT },
  { op: "Neg", tf: (x) => tf.neg(x), tol: EXACT },
  { op: "Softplus", tf: (x) => tf.softplus(x), js: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))), tol: DIFF },
  // tfjs's erf is Abramowitz-Stegun 7.1.26 (|error| <= 1.5e-7): agree with it within 3e-7.
  { op: "Erf", js: erf64, tol: APPROX, tfLoose: (x) => tf.erf(x), looseTol: { atol: 3e-7 } },
  { op: "Reciprocal", tf: (x) => tf.reciprocal(x), tol: EXACT },
  { op: "Gelu", js: (x) => 0.5 * x * (1 + erf64(x / Math.SQRT2)), tol: { ...APPROX, atolX: 2e-7 } },
  { op: "Gelu", name: "Gelu(approximate tanh)", attrs: { approximate: "tanh" }, js: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))), tol: { ...APPROX, atolX: 2e-7 } },
  // x times the rational sigmoid (docs/accuracy.md): an absolute bound on the scale of x, 3.2e-7 |x|.
  { op: "Silu", js: (x) => x * sig(x), tol: { ...APPROX, atolX: 3.2e-7 } },
  { op: "HardSigmoid", js: (x) => Math.max(0, Math.min(1, Math.fround(0.2) * x + 0.5)), tol: DIFF },
  { op: "HardSigmoid", name: "HardSigmoid(alpha 0.25, beta 0.4)", attrs: { alpha: 0.25, beta: 0.4 }, js: (x) => Math.max(0, Math.min(1, 0.25 * x + Math.fround(0.4))), tol: DIFF },
  { op: "HardSwish", js: (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)), tol: { atol: 1e-7, rtol: 1e-6 } },
];

CASES.forEach((c, i) => {
  const name = c.name ?? c.op;
  test(`${name}: wide-range input vs ${c.js ? "f64 JS" : "tfjs"}`, async (t) => {
    const x = inputs(1200 + i, c);
    const got = await runOp(c.op, c.attrs ?? {}, { x: { shape: [x.length], data: x } });
    const ref = c.js
      ? { shape: [x.length], data: Float64Array.from(x, (v) => c.js(v)) }
      : tfRun(c.tf, { shape: [x.length], data: x });
    const bound = c.tol.atolX ? Float64Array.from(x, (v) => c.tol.atolX * Math.abs(v)) : undefined;
    try {
      assertClose(name, got, ref, { atol: c.tol.atol, rtol: c.tol.rtol, bound, t });
    } catch (e) {
      // name the input too
      const m = /worst at \[(\d+)\]/.exec(e.message);
      if (m) e.message += `\n  input x = ${x[+m[1]]}`;
      const f = /first at \[(\d+)\]/.exec(e.message);
      if (f) e.message += `; first failing input x = ${x[+f[1]]}`;
      throw e;
    }
    if (c.tfLoose) assertClose(`${name} vs tfjs`, got, tfRun(c.tfLoose, { shape: [x.length], data: x }), { ...c.looseTol, t });
  });
});

test("unary ops on a rank-4 tensor with a size that is not a multiple of 4 keep shape and values", async (t) => {
  const R = rng(1300);
  const shape = [2, 3, 5, 7];
  const x = R.array(210, -4, 4);
  const got = await runOp("Tanh", {}, { x: { shape, data: x } });
  assertClose("Tanh [2,3,5,7]", got, tfRun((a) => tf.tanh(a), { shape, data: x }), { ...APPROX, t });
});

test("special inputs: NaN propagates, ±Inf, ±0 give the IEEE / numpy limits (indeterminate forms skipped)", async (t) => {
  const x = Float32Array.from([NaN, Infinity, -Infinity, 0, -0]);
  const N = NaN, I = Infinity;
  // expected for [NaN, +Inf, -Inf, 0, -0]; undefined (skipped) where the formula is an indeterminate form
  const cases = [
    ["Identity", {}, [N, I, -I, 0, -0]], ["Relu", {}, [N, I, 0, 0, 0]], ["Relu6", {}, [N, 6, 0, 0, 0]],
    ["Clip", { min: -1, max: 1 }, [N, 1, -1, 0, 0]], ["LeakyRelu", {}, [N, I, -I, 0, 0]],
    ["Sigmoid", {}, [N, 1, 0, 0.5, 0.5]], ["Tanh", {}, [N, 1, -1, 0, -0]], ["Elu", {}, [N, I, -1, 0, 0]],
    ["Exp", {}, [N, I, 0, 1, 1]], ["Log", {}, [N, I, N, -I, -I]], ["Sqrt", {}, [N, I, N, 0, -0]],
    ["Abs", {}, [N, I, I, 0, 0]], ["Neg", {}, [N, -I, I, -0, 0]], ["Softplus", {}, [N, I, 0, Math.LN2, Math.LN2]],
    ["Erf", {}, [N, 1, -1, 0, -0]], ["Reciprocal", {}, [N, 0, -0, I, -I]],
    ["Gelu", {}, [N, I, undefined, 0, 0]], ["Silu", {}, [N, I, undefined, 0, 0]],
    ["HardSigmoid", {}, [N, 1, 0, 0.5, 0.5]], ["HardSwish", {}, [N, I, undefined, 0, 0]],
  ];
  const bad = [];
  for (const [op, attrs, want] of cases) {
    const got = await runOp(op, attrs, { x: { shape: [5], data: x } });
    want.forEach((w, i) => {
      if (w === undefined) return;
      const g = got.data[i];
      const ok = Number.isNaN(w) ? Number.isNaN(g) : Math.abs(g - w) <= 1e-6 * Math.abs(w) || g === w;
      if (!ok) bad.push(`${op}(${x[i]}) = ${g}, expected ${w}`);
    });
  }
  t.diagnostic(`${cases.length} ops x 5 special inputs, ${bad.length} wrong`);
  if (bad.length) throw new Error(`special inputs:\n  ${bad.join("\n  ")}`);
});
