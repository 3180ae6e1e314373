// MaxPool / AveragePool (1-D, 2-D, both layouts) and GlobalAveragePool / GlobalMaxPool through the runtime,
// vs tf.maxPool / tf.avgPool / tf.pool where they express the case, else a plain f64 JS reference of the ONNX
// semantics (ceil mode; count_include_pad counts the cells of the window inside the padded extent).
// Tolerances: max pooling is exact; averages |diff| <= 1e-5 + 1e-5 * mean|x| over the window (|x| <= 1 here,
// so 2e-5 absolute).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { assertClose, assertExact, fromTf, initTf, rng, runOp, tf, toNCHW, toTf } from "./harness.mjs";

before(initTf);
const AVG_TOL = { atol: 2e-5, rtol: 0 };

/** ONNX / PyTorch output size; in ceil mode the last window must start inside the input or its leading pad. */
function outSize(inp, k, s, d, pb, pe, ceil) {
  const room = inp + pb + pe - (d * (k - 1) + 1);
  let out = (ceil ? Math.ceil(room / s) : Math.floor(room / s)) + 1;
  if (ceil && (out - 1) * s >= inp + pb) out--;
  return out;
}

/** f64 reference on NHWC {shape [n,h,w,c], data}. */
function poolRef(kind, x, { k, s, d = [1, 1], pads, ceil = false, cip = 0 }) {
  const [n, ih, iw, c] = x.shape, [kh, kw] = k, [sh, sw] = s, [dh, dw] = d, [pt, pl, pb, pr] = pads;
  const oh = outSize(ih, kh, sh, dh, pt, pb, ceil), ow = outSize(iw, kw, sw, dw, pl, pr, ceil);
  const y = new Float64Array(n * oh * ow * c);
  for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < c; ch++) {
    let acc = kind === "max" ? -Infinity : 0, cnt = 0, padCnt = 0;
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
      if (iy >= -pt && iy < ih + pb && ix >= -pl && ix < iw + pr) padCnt++;
      if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
      const v = x.data[((b * ih + iy) * iw + ix) * c + ch];
      if (kind === "max") acc = Math.max(acc, v); else acc += v;
      cnt++;
    }
    y[((b * oh + oy) * ow + ox) * c + ch] = kind === "max" ? acc : acc / (cip ? padCnt : cnt);
  }
  return { shape: [n, oh, ow, c], data: y };
}

/**
 * One case. c: { kind, dims: 1|2, n, h, w, c, k, s, d, pads | auto_pad, ceil, cip, ref: "tf"|"js" }.
 * 1-D cases use h = 1 and are fed as [n, l, c] / [n, c, l].
 */
async function poolCase(t, layout, c) {
  const R = rng(c.seed);
  const h = c.dims === 1 ? 1 : c.h;
  const x = { shape: [c.n, h, c.w, c.c], data: R.array(c.n * h * c.w * c.c, -1, 1) };
  const k1 = (v) => (c.dims === 1 ? [v[1]] : v);
  const attrs = { layout, kernel_shape: k1(c.k) };
  if (c.s) attrs.strides = k1(c.s);
  if (c.d) attrs.dilations = k1(c.d);
  if (c.auto_pad) attrs.auto_pad = c.auto_pad;
  if (c.pads) attrs.pads = c.dims === 1 ? [c.pads[1], c.pads[3]] : c.pads;
  if (c.ceil) attrs.ceil_mode = 1;
  if (c.cip !== undefined) attrs.count_include_pad = c.cip;
  const op = c.kind === "max" ? "MaxPool" : "AveragePool";
  // 1-D: NHWC [n, 1, l, c] is [n, l, c]; NCHW [n, c, 1, l] is [n, c, l].
  let feed = layout === "NHWC" ? x : toNCHW(x);
  if (c.dims === 1) feed = { shape: layout === "NHWC" ? [c.n, c.w, c.c] : [c.n, c.c, c.w], data: feed.data };
  const got = await runOp(op, attrs, { x: feed });

  const s = c.s ?? [1, 1];
  let ref;
  if (c.ref === "js") {
    let pads = c.pads ?? [0, 0, 0, 0];
    if (c.auto_pad?.startsWith("SAME")) {
      const p = (inp, k, st) => { const tot = Math.max(0, (Math.ceil(inp / st) - 1) * st + k - inp); const b = c.auto_pad === "SAME_UPPER" ? Math.floor(tot / 2) : Math.ceil(tot / 2); return [b, tot - b]; };
      const [t0, b0] = p(h, c.k[0], s[0]), [l0, r0] = p(c.w, c.k[1], s[1]);
      pads = [t0, l0, b0, r0];
    }
    ref = poolRef(c.kind, x, { k: c.k, s, d: c.d, pads, ceil: c.ceil, cip: c.cip });
  } else {
    ref = tf.tidy(() => {
      let xt = toTf(x), pad = c.auto_pad === "SAME_UPPER" ? "same" : "valid";
      if (c.pads) xt = tf.pad(xt, [[0, 0], [c.pads[0], c.pads[2]], [c.pads[1], c.pads[3]], [0, 0]], c.kind === "max" ? -Infinity : 0);
      if (c.d) return fromTf(tf.pool(xt, c.k, c.kind, pad, c.d, s));
      return fromTf(c.kind === "max" ? tf.maxPool(xt, c.k, s, pad) : tf.avgPool(xt, c.k, s, pad));
    });
  }
  let expect = layout === "NHWC" ? ref : toNCHW(ref);
  if (c.dims === 1) expect = { shape: layout === "NHWC" ? [c.n, expect.shape[2], c.c] : [c.n, c.c, expect.shape[3]], data: expect.data };
  const label = `${op} ${c.dims}-D ${layout} ${c.name}`;
  if (c.kind === "max") assertExact(label, got, expect, { t });
  else assertClose(label, got, expect, { ...AVG_TOL, t });
}

const CASES = [
  // max
  { kind: "max", dims: 2, name: "k2 s2 VALID, odd width, c 5", n: 1, h: 8, w: 9, c: 5, k: [2, 2], s: [2, 2], auto_pad: "VALID", ref: "tf" },
  { kind: "max", dims: 2, name: "k3 s2 pads 1, batch 2, c 3", n: 2, h: 7, w: 8, c: 3, k: [3, 3], s: [2, 2], pads: [1, 1, 1, 1], ref: "tf" },
  { kind: "max", dims: 2, name: "k3 s1 SAME_UPPER, c 17", n: 1, h: 6, w: 5, c: 17, k: [3, 3], auto_pad: "SAME_UPPER", ref: "tf" },
  { kind: "max", dims: 2, name: "k [2,3] s [1,2] asymmetric pads [0,1,1,0], c 1", n: 1, h: 6, w: 9, c: 1, k: [2, 3], s: [1, 2], pads: [0, 1, 1, 0], ref: "tf" },
  { kind: "max", dims: 2, name: "k3 dilation 2 pads 2, c 8", n: 1, h: 9, w: 8, c: 8, k: [3, 3], d: [2, 2], pads: [2, 2, 2, 2], ref: "tf" },
  { kind: "max", dims: 2, name: "k3 s2 ceil_mode, c 8", n: 1, h: 8, w: 10, c: 8, k: [3, 3], s: [2, 2], ceil: true, ref: "js" },
  { kind: "max", dims: 2, name: "k2 s2 ceil_mode pads 1 (last window clipped by the start rule), c 3", n: 1, h: 5, w: 5, c: 3, k: [2, 2], s: [2, 2], pads: [1, 1, 1, 1], ceil: true, ref: "js" },
  { kind: "max", dims: 2, name: "k3 s2 dilation [2,1] pads [1,0,2,1], c 5", n: 2, h: 10, w: 7, c: 5, k: [3, 3], s: [2, 2], d: [2, 1], pads: [1, 0, 2, 1], ref: "js" },
  { kind: "max", dims: 2, name: "k3 s2 SAME_LOWER, c 3", n: 1, h: 8, w: 8, c: 3, k: [3, 3], s: [2, 2], auto_pad: "SAME_LOWER", ref: "js" },
  { kind: "max", dims: 1, name: "k3 s2 pads [1,1], c 5", n: 2, w: 11, c: 5, k: [1, 3], s: [1, 2], pads: [0, 1, 0, 1], ref: "tf" },
  { kind: "max", dims: 1, name: "k4 s3 ceil_mode, c 1", n: 1, w: 12, c: 1, k: [1, 4], s: [1, 3], ceil: true, ref: "js" },
  // average
  { kind: "avg", dims: 2, name: "k2 s2 VALID, c 5", n: 1, h: 8, w: 9, c: 5, k: [2, 2], s: [2, 2], auto_pad: "VALID", ref: "tf" },
  { kind: "avg", dims: 2, name: "k3 s2 SAME_UPPER (pad cells excluded), c 8", n: 2, h: 7, w: 9, c: 8, k: [3, 3], s: [2, 2], auto_pad: "SAME_UPPER", ref: "tf" },
  { kind: "avg", dims: 2, name: "k3 s2 pads 1 count_include_pad 1, c 3", n: 1, h: 7, w: 7, c: 3, k: [3, 3], s: [2, 2], pads: [1, 1, 1, 1], cip: 1, ref: "tf" },
  { kind: "avg", dims: 2, name: "k3 s2 pads 1 count_include_pad 0, c 3", n: 1, h: 7, w: 7, c: 3, k: [3, 3], s: [2, 2], pads: [1, 1, 1, 1], cip: 0, ref: "js" },
  { kind: "avg", dims: 2, name: "k 3x3 asymmetric pads [0,2,1,0] count_include_pad 1, c 17", n: 1, h: 6, w: 7, c: 17, k: [3, 3], pads: [0, 2, 1, 0], cip: 1, ref: "tf" },
  { kind: "avg", dims: 2, name: "k 3x3 asymmetric pads [0,2,1,0] count_include_pad 0, c 17", n: 1, h: 6, w: 7, c: 17, k: [3, 3], pads: [0, 2, 1, 0], cip: 0, ref: "js" },
  { kind: "avg", dims: 2, name: "k3 s2 ceil_mode count_include_pad 0, c 5", n: 1, h: 8, w: 10, c: 5, k: [3, 3], s: [2, 2], ceil: true, cip: 0, ref: "js" },
  { kind: "avg", dims: 2, name: "k3 s2 ceil_mode count_include_pad 1 (windows past the input), c 5", n: 1, h: 8, w: 10, c: 5, k: [3, 3], s: [2, 2], ceil: true, cip: 1, ref: "js" },
  { kind: "avg", dims: 2, name: "k3 s2 ceil_mode pads 1 count_include_pad 1, c 4", n: 2, h: 6, w: 9, c: 4, k: [3, 3], s: [2, 2], pads: [1, 1, 1, 1], ceil: true, cip: 1, ref: "js" },
  { kind: "avg", dims: 2, name: "k2 s2 ceil_mode pads 1 (last window clipped by the start rule) count_include_pad 0, c 3", n: 1, h: 5, w: 5, c: 3, k: [2, 2], s: [2, 2], pads: [1, 1, 1, 1], ceil: true, cip: 0, ref: "js" },
  { kind: "avg", dims: 2, name: "k3 s2 SAME_UPPER count_include_pad 1 (pads counted), c 5", n: 1, h: 8, w: 7, c: 5, k: [3, 3], s: [2, 2], auto_pad: "SAME_UPPER", cip: 1, ref: "js" },
  { kind: "avg", dims: 2, name: "k3 s1 SAME_LOWER count_include_pad 0, c 3", n: 1, h: 5, w: 6, c: 3, k: [4, 4], auto_pad: "SAME_LOWER", cip: 0, ref: "js" },
  { kind: "avg", dims: 1, name: "k3 s2 SAME_UPPER, c 5", n: 2, w: 11, c: 5, k: [1, 3], s: [1, 2], auto_pad: "SAME_UPPER", ref: "tf" },
  { kind: "avg", dims: 1, name: "k3 s1 pads [2,1] count_include_pad 1, c 3", n: 1, w: 9, c: 3, k: [1, 3], pads: [0, 2, 0, 1], cip: 1, ref: "tf" },
  { kind: "avg", dims: 1, name: "k5 s2 pads [2,2] ceil_mode count_include_pad 0, c 8", n: 1, w: 12, c: 8, k: [1, 5], s: [1, 2], pads: [0, 2, 0, 2], ceil: true, cip: 0, ref: "js" },
];

for (const layout of ["NHWC", "NCHW"]) {
  CASES.forEach((c, i) => test(`${c.kind === "max" ? "MaxPool" : "AveragePool"} ${c.dims}-D ${layout}: ${c.name}`, (t) => poolCase(t, layout, { seed: 700 + i, ...c })));
}

// ---------------------------------------------------------------------------------------------------------
// Global pooling vs tf.mean / tf.max over the spatial axes.

for (const kind of ["avg", "max"]) {
  for (const layout of ["NHWC", "NCHW"]) {
    for (const [dims, shapeNHWC] of [[2, [2, 7, 9, 17]], [2, [1, 1, 1, 5]], [2, [1, 4, 3, 1]], [1, [3, 1, 13, 8]]]) {
      const op = kind === "avg" ? "GlobalAveragePool" : "GlobalMaxPool";
      test(`${op} ${dims}-D ${layout} [${shapeNHWC}] (NHWC dims)`, async (t) => {
        const R = rng(900 + shapeNHWC[3]);
        const [n, h, w, c] = shapeNHWC;
        const x = { shape: shapeNHWC, data: R.array(n * h * w * c, -1, 1) };
        let feed = layout === "NHWC" ? x : toNCHW(x);
        if (dims === 1) feed = { shape: layout === "NHWC" ? [n, w, c] : [n, c, w], data: feed.data };
        const got = await runOp(op, { layout }, { x: feed });
        const r = tf.tidy(() => fromTf(kind === "avg" ? tf.mean(toTf(x), [1, 2]) : tf.max(toTf(x), [1, 2])));
        const shape = dims === 1 ? (layout === "NHWC" ? [n, 1, c] : [n, c, 1]) : layout === "NHWC" ? [n, 1, 1, c] : [n, c, 1, 1];
        const expect = { shape, data: r.data };
        if (kind === "max") assertExact(`${op} ${layout}`, got, expect, { t });
        else assertClose(`${op} ${layout}`, got, expect, { ...AVG_TOL, t });
      });
    }
  }
}

test("MaxPool: output shapes follow ONNX (floor, ceil, SAME)", async () => {
  const x = { shape: [1, 5, 5, 1], data: new Float32Array(25) };
  const shapeOf = async (attrs) => (await runOp("MaxPool", { layout: "NHWC", ...attrs }, { x })).shape;
  assert.deepEqual(await shapeOf({ kernel_shape: [2, 2], strides: [2, 2] }), [1, 2, 2, 1]);
  assert.deepEqual(await shapeOf({ kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }), [1, 3, 3, 1]);
  assert.deepEqual(await shapeOf({ kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }), [1, 3, 3, 1]);
  assert.deepEqual(await shapeOf({ kernel_shape: [3, 3], strides: [2, 2], auto_pad: "SAME_UPPER" }), [1, 3, 3, 1]);
});
