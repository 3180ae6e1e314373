// Shared helpers for the op-level tests: build a small graph, run it through the real runtime
// (InferenceSession.fromGraph -> runSync), and compare with an independent reference (tfjs-core on the cpu
// backend, or plain JS in f64) under a stated tolerance. A failure names the worst element (multi-index),
// the value got, the reference, the bound, and how many elements failed.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { InferenceSession, Tensor } from "../../dist/index.js";

export { tf };

let tfReady;
/** Selects the tfjs cpu backend (once per process). */
export function initTf() {
  tf.env().set("PROD", true); // silences tfjs's "install the node backend" banner
  tfReady ??= tf.setBackend("cpu").then(() => tf.ready());
  return tfReady;
}

// ---------------------------------------------------------------------------------------------------------
// Seeded PRNG (mulberry32) and random tensors.

export function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    uniform: (lo = -1, hi = 1) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    normal: () => {
      const u = Math.max(next(), 1e-12), v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    /** Float32Array of n uniform values in [lo, hi). */
    array: (n, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => r.uniform(lo, hi)),
    /** Float32Array of n normal values, scaled. */
    normals: (n, scale = 1) => Float32Array.from({ length: n }, () => r.normal() * scale),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
  return r;
}

export const sizeOf = (shape) => shape.reduce((a, b) => a * b, 1);
export function stridesOf(shape) {
  const s = new Array(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}
export function unravel(i, shape) {
  const idx = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) { idx[d] = i % shape[d]; i = Math.floor(i / shape[d]); }
  return idx;
}

// ---------------------------------------------------------------------------------------------------------
// Graphs.

/** A node of the IR. */
export const node = (op, inputs, outputs, attrs = {}, name) => ({ op, name: name ?? `${op}_${outputs[0]}`, inputs, outputs, attrs });

/**
 * Builds and runs a graph.
 *   inputs:    { name: { shape, data: Float32Array } }   (data may be omitted: the value is only declared)
 *   constants: { name: { shape, data } } or a Map
 *   nodes:     IR nodes, outputs: names
 *   declared:  optional { name: Dim[] } for symbolic input shapes
 * Returns { out: { name: { shape, data } }, fusion, variant }. The session is disposed.
 */
export async function runGraph({ inputs, constants = {}, nodes, outputs, declared = {}, runs = 1 }) {
  const consts = constants instanceof Map ? constants : new Map(Object.entries(constants));
  const graph = {
    inputs: Object.entries(inputs).map(([name, v]) => ({ name, dtype: "float32", shape: declared[name] ?? v.shape })),
    outputs,
    nodes,
    constants: consts,
  };
  const session = await InferenceSession.fromGraph(graph);
  try {
    // npm run test:scalar runs these tests on an engine without wasm SIMD (node --no-enable-sse4-1)
    if (process.env.EDGENN_EXPECT_VARIANT) assert.equal(session.variant, process.env.EDGENN_EXPECT_VARIANT, "kernel build");
    const feeds = {};
    for (const [name, v] of Object.entries(inputs)) feeds[name] = new Tensor("float32", Float32Array.from(v.data), v.shape);
    let res;
    for (let r = 0; r < runs; r++) res = session.runSync(feeds);
    const out = {};
    for (const name of outputs) out[name] = { shape: [...res[name].dims], data: res[name].data };
    return { out, fusion: session.fusion, variant: session.variant };
  } finally {
    session.dispose();
  }
}

/** Runs a one-node graph with one output named "y"; returns { shape, data, fusion, variant }. */
export async function runOp(op, attrs, inputs, constants = {}, extraInputNames = []) {
  const names = [...Object.keys(inputs), ...Object.keys(constants), ...extraInputNames];
  const r = await runGraph({ inputs, constants, nodes: [node(op, names, ["y"], attrs)], outputs: ["y"] });
  return { ...r.out.y, fusion: r.fusion, variant: r.variant };
}

// ---------------------------------------------------------------------------------------------------------
// Comparison.

/**
 * Checks |got - ref| <= atol + rtol*|ref| + bound[i] elementwise (bound: optional per-element extra, e.g.
 * 1e-5 * sum|terms| of an accumulation). Infinities must match exactly, NaN must be NaN.
 * Returns { maxErr, maxRel, worstRatio } and emits them as a test diagnostic when `t` is given.
 */
export function assertClose(label, got, ref, { shape, atol = 0, rtol = 0, bound, t } = {}) {
  if (got.shape && ref.shape) assert.deepEqual([...got.shape], [...ref.shape], `${label}: shape`);
  shape ??= got.shape ?? ref.shape ?? [ref.data?.length ?? ref.length];
  const g = got.data ?? got, r = ref.data ?? ref;
  assert.equal(g.length, r.length, `${label}: ${g.length} values, reference has ${r.length}`);
  let bad = 0, worst = -1, worstRatio = 0, maxErr = 0, maxRel = 0, firstBad = -1;
  for (let i = 0; i < r.length; i++) {
    const a = g[i], b = r[i];
    const lim = atol + rtol * Math.abs(b) + (bound ? bound[i] : 0);
    let ok, err;
    if (Number.isNaN(b)) { ok = Number.isNaN(a); err = ok ? 0 : Infinity; }
    else if (!Number.isFinite(b)) { ok = a === b; err = ok ? 0 : Infinity; }
    else { err = Math.abs(a - b); ok = err <= lim; if (Number.isNaN(err)) { ok = false; err = Infinity; } }
    if (Number.isFinite(err) && Number.isFinite(b)) {
      maxErr = Math.max(maxErr, err);
      if (b !== 0) maxRel = Math.max(maxRel, err / Math.abs(b));
    }
    const ratio = lim > 0 ? err / lim : err > 0 ? Infinity : 0;
    if (!ok) { bad++; if (firstBad < 0) firstBad = i; }
    if (ratio > worstRatio || worst < 0) { worstRatio = ratio; worst = i; }
  }
  const stats = { maxErr, maxRel, worstRatio };
  t?.diagnostic?.(`${label}: max |err| ${maxErr.toExponential(2)}, max rel ${maxRel.toExponential(2)}, worst err/bound ${worstRatio.toFixed(3)}`);
  if (bad > 0) {
    const at = (i) => `[${unravel(i, shape).join(",")}]`;
    const lim = (i) => atol + rtol * Math.abs(r[i]) + (bound ? bound[i] : 0);
    assert.fail(
      `${label}: ${bad} of ${r.length} values out of tolerance (atol ${atol}, rtol ${rtol}${bound ? ", + per-element bound" : ""}).\n` +
      `  worst at ${at(worst)}: got ${g[worst]}, expected ${r[worst]}, |diff| ${Math.abs(g[worst] - r[worst])}, bound ${lim(worst)}\n` +
      `  first at ${at(firstBad)}: got ${g[firstBad]}, expected ${r[firstBad]}, bound ${lim(firstBad)}`,
    );
  }
  return stats;
}

/** Exact equality (data movement ops), with the same reporting. */
export function assertExact(label, got, ref, opts = {}) {
  return assertClose(label, got, ref, { ...opts, atol: 0, rtol: 0 });
}

// ---------------------------------------------------------------------------------------------------------
// tfjs helpers.

/** Runs f on tf tensors made from {shape, data} pairs and returns { shape, data } (Float32Array). */
export function tfRun(f, ...args) {
  return tf.tidy(() => {
    const y = f(...args.map((a) => tf.tensor(a.data, a.shape, "float32")));
    return { shape: y.shape, data: Float32Array.from(y.dataSync()) };
  });
}
export const toTf = (a) => tf.tensor(a.data, a.shape, "float32");
export const fromTf = (y) => ({ shape: [...y.shape], data: Float32Array.from(y.dataSync()) });

// ---------------------------------------------------------------------------------------------------------
// f64 reference functions where tfjs has none (or only an approximation).

/** erf in f64: Taylor series for |x| < 3 (|error| < 1e-13), Lentz continued fraction of erfc above. */
export function erf64(x) {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x, sum = x;
    for (let n = 1; n < 200; n++) {
      term *= -x * x / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + (k / 2) / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/**
 * Fused activations of Conv/Dense in f64: f(x, alpha, beta), a Lipschitz bound L (to carry the
 * pre-activation tolerance through), and the activation's own tolerance (atol + rtol*|ref|): exact for
 * the piecewise-linear ones, ~1e-6 relative for the approximated ones.
 */
const sig = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
export const ACT = {
  linear: { f: (x) => x, L: 1, atol: 0, rtol: 0 },
  relu: { f: (x) => Math.max(0, x), L: 1, atol: 0, rtol: 0 },
  relu6: { f: (x) => Math.min(6, Math.max(0, x)), L: 1, atol: 0, rtol: 0 },
  clip: { f: (x, a, b) => Math.min(b, Math.max(a, x)), L: 1, atol: 0, rtol: 0 },
  sigmoid: { f: sig, L: 0.25, atol: 1e-7, rtol: 1e-6 },
  tanh: { f: Math.tanh, L: 1, atol: 1e-7, rtol: 1e-6 },
  gelu: { f: (x) => 0.5 * x * (1 + erf64(x / Math.SQRT2)), L: 1.13, atol: 1e-7, rtol: 1e-6 },
  gelu_tanh: { f: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))), L: 1.13, atol: 1e-7, rtol: 1e-6 },
  silu: { f: (x) => x * sig(x), L: 1.1, atol: 1e-7, rtol: 1e-6 },
  leaky_relu: { f: (x, a) => (x >= 0 ? x : a * x), L: 1, atol: 0, rtol: 1.2e-7 },
  elu: { f: (x, a) => (x >= 0 ? x : a * Math.expm1(x)), L: 1, atol: 1e-7, rtol: 1e-6 },
  hard_sigmoid: { f: (x, a, b) => Math.max(0, Math.min(1, a * x + b)), L: 1, atol: 1e-7, rtol: 1e-6 },
  hard_swish: { f: (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)), L: 1.5, atol: 1e-7, rtol: 1e-6 },
  softplus: { f: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))), L: 1, atol: 1e-7, rtol: 1e-6 },
};
/** The IR attributes of a fused activation, and its default alpha/beta (README / bindings defaults). */
export function actAttrs(name, alpha, beta) {
  const defaults = { leaky_relu: [0.01, 0], elu: [1, 0], hard_sigmoid: [0.2, 0.5], clip: [-Infinity, Infinity] };
  const [da, db] = defaults[name] ?? [0, 0];
  const a = alpha ?? da, b = beta ?? db;
  const attrs = { activation: name };
  if (alpha !== undefined) attrs.alpha = alpha;
  if (beta !== undefined) attrs.beta = beta;
  return { attrs, alpha: a, beta: b };
}
/**
 * Applies an activation to a pre-activation reference with per-element bound `pre` (|err| of the
 * accumulation); returns { data, bound } for assertClose (bound includes the activation's own tolerance).
 */
export function applyAct(name, alpha, beta, ref, pre) {
  const a = ACT[name];
  const data = new Float64Array(ref.length), bound = new Float64Array(ref.length);
  for (let i = 0; i < ref.length; i++) {
    const y = a.f(ref[i], alpha, beta);
    data[i] = y;
    bound[i] = a.L * (pre ? pre[i] : 0) + a.atol + a.rtol * Math.abs(y) + (name === "linear" ? 0 : 6e-8 * Math.abs(y));
  }
  return { data, bound };
}

// ---------------------------------------------------------------------------------------------------------
// Convolution reference with tfjs (NHWC input, ONNX OIHW weights).

function onnxSamePads(inp, k, s, d, upper) {
  const out = Math.ceil(inp / s);
  const total = Math.max(0, (out - 1) * s + d * (k - 1) + 1 - inp);
  const begin = upper ? Math.floor(total / 2) : Math.ceil(total / 2);
  return [begin, total - begin];
}

/**
 * 2-D convolution by tfjs: x {shape [n,h,w,cin], data} NHWC, w {shape [cout, cin/g, kh, kw]}, b [cout] or
 * undefined. pad: "SAME_UPPER" | "SAME_LOWER" | "VALID" | [top, left, bottom, right]. Grouped convs are split
 * into per-group tf.conv2d calls; depthwise ones (cin/g == 1) use tf.depthwiseConv2d. Where tfjs refuses
 * stride > 1 together with dilation > 1, the stride-1 result is subsampled. With abs, computes
 * conv(|x|, |w|) + |b| (sum of |terms|, for tolerances). Returns NHWC { shape, data }.
 */
export function tfConv2d({ x, w, b, strides = [1, 1], dilations = [1, 1], pad = [0, 0, 0, 0], groups = 1, abs = false }) {
  return tf.tidy(() => {
    let xt = toTf(x), wt = toTf(w), bt = b ? toTf(b) : undefined;
    if (abs) { xt = tf.abs(xt); wt = tf.abs(wt); bt = bt && tf.abs(bt); }
    const [cout, cinG, kh, kw] = w.shape;
    const [, ih, iw, cin] = x.shape;
    const both = (strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1);
    let tfPad;
    if (pad === "VALID") tfPad = "valid";
    else if (pad === "SAME_UPPER" && !both) tfPad = "same";
    else {
      let p = pad;
      if (pad === "SAME_UPPER" || pad === "SAME_LOWER") {
        const up = pad === "SAME_UPPER";
        const [t, bo] = onnxSamePads(ih, kh, strides[0], dilations[0], up), [l, r] = onnxSamePads(iw, kw, strides[1], dilations[1], up);
        p = [t, l, bo, r];
      }
      xt = tf.pad(xt, [[0, 0], [p[0], p[2]], [p[1], p[3]], [0, 0]]);
      tfPad = "valid";
    }
    const st = both ? [1, 1] : strides;
    const coutG = cout / groups;
    let y;
    if (groups === cin && cinG === 1 && groups > 1) {
      // depthwise with channel multiplier coutG: filter [kh, kw, cin, mult]
      const f = tf.transpose(tf.reshape(wt, [cin, coutG, kh, kw]), [2, 3, 0, 1]);
      y = tf.depthwiseConv2d(xt, f, st, tfPad, "NHWC", dilations);
    } else {
      const parts = [];
      for (let g = 0; g < groups; g++) {
        const xg = groups === 1 ? xt : tf.slice(xt, [0, 0, 0, g * cinG], [-1, -1, -1, cinG]);
        const f = tf.transpose(tf.slice(wt, [g * coutG, 0, 0, 0], [coutG, -1, -1, -1]), [2, 3, 1, 0]);
        parts.push(tf.conv2d(xg, f, st, tfPad, "NHWC", dilations));
      }
      y = parts.length === 1 ? parts[0] : tf.concat(parts, 3);
    }
    if (both) {
      const [n, oh, ow, c] = y.shape;
      y = tf.stridedSlice(y, [0, 0, 0, 0], [n, oh, ow, c], [1, strides[0], strides[1], 1]);
    }
    if (bt) y = tf.add(y, bt);
    return fromTf(y);
  });
}

/** Generic transpose of {shape, data} (keeps the array type: f64 references stay f64). */
export function transpose(a, perm) {
  const shape = perm.map((p) => a.shape[p]), src = stridesOf(a.shape), n = sizeOf(shape);
  const data = new a.data.constructor(n), st = perm.map((p) => src[p]), idx = new Array(shape.length).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    data[i] = a.data[off];
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]++; off += st[d];
      if (idx[d] < shape[d]) break;
      off -= st[d] * shape[d]; idx[d] = 0;
    }
  }
  return { shape, data };
}
/** NCHW <-> NHWC for {shape, data} (rank 3 or 4). */
export const toNHWC = (a) => transpose(a, a.shape.length === 4 ? [0, 2, 3, 1] : [0, 2, 1]);
export const toNCHW = (a) => transpose(a, a.shape.length === 4 ? [0, 3, 1, 2] : [0, 2, 1]);
