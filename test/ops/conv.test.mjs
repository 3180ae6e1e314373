// Conv (2-D and 1-D, NHWC and NCHW) through the runtime vs tfjs conv2d / depthwiseConv2d / conv1d.
// Tolerance: |diff| <= 1e-5 + 1e-5 * sum|terms| (sum|terms| = conv(|x|, |w|) + |b|, computed by tfjs), carried
// through the fused activation by its Lipschitz constant, plus the activation's own tolerance (harness ACT).
import { test, before } from "node:test";
import {
  actAttrs, applyAct, assertClose, initTf, node, rng, runOp, tf, tfConv2d, toNCHW, toNHWC, fromTf, toTf,
} from "./harness.mjs";
import { InferenceSession, Tensor } from "../../dist/index.js";

before(initTf);

const ACC = { atol: 1e-5, rel: 1e-5 };

/**
 * One 2-D conv case. c: { n, h, w, cin, cout, k: [kh, kw], strides, dilations, pad ("SAME_UPPER" | "SAME_LOWER" |
 * "VALID" | [t, l, b, r]), groups, bias, act, alpha, beta, seed }.
 */
async function conv2dCase(t, layout, c) {
  const R = rng(c.seed ?? 1);
  const groups = c.groups ?? 1, [kh, kw] = c.k;
  const x = { shape: [c.n, c.h, c.w, c.cin], data: R.array(c.n * c.h * c.w * c.cin, -1, 1) };
  const w = { shape: [c.cout, c.cin / groups, kh, kw], data: R.array(c.cout * (c.cin / groups) * kh * kw, -1, 1) };
  const b = c.bias === false ? undefined : { shape: [c.cout], data: R.array(c.cout, -1, 1) };
  const act = actAttrs(c.act ?? "linear", c.alpha, c.beta);
  const attrs = { layout, group: groups, ...act.attrs };
  if (c.strides) attrs.strides = c.strides;
  if (c.dilations) attrs.dilations = c.dilations;
  if (typeof c.pad === "string") attrs.auto_pad = c.pad;
  else if (c.pad) attrs.pads = c.pad;

  const consts = b ? { w, b } : { w };
  const got = await runOp("Conv", attrs, { x: layout === "NHWC" ? x : toNCHW(x) }, consts);
  const args = { x, w, b, strides: c.strides, dilations: c.dilations, pad: c.pad ?? [0, 0, 0, 0], groups };
  let ref = tfConv2d(args);
  let absSum = tfConv2d({ ...args, abs: true });
  if (layout === "NCHW") { ref = toNCHW(ref); absSum = toNCHW(absSum); }
  const pre = absSum.data.map((s) => ACC.atol + ACC.rel * s);
  const post = applyAct(c.act ?? "linear", act.alpha, act.beta, ref.data, pre);
  assertClose(`Conv ${layout} ${c.name}`, got, { shape: ref.shape, data: post.data }, { bound: post.bound, t });
}

const CASES2D = [
  { name: "3x3 pads 1, cin 3 cout 5, bias", n: 1, h: 7, w: 9, cin: 3, cout: 5, k: [3, 3], pad: [1, 1, 1, 1] },
  { name: "3x3 stride 2 SAME_UPPER, cin 8 cout 17, batch 2, relu", n: 2, h: 8, w: 9, cin: 8, cout: 17, k: [3, 3], strides: [2, 2], pad: "SAME_UPPER", act: "relu" },
  { name: "2x3 stride [2,1] VALID, cin 5 cout 8", n: 1, h: 11, w: 6, cin: 5, cout: 8, k: [2, 3], strides: [2, 1], pad: "VALID" },
  { name: "3x2 asymmetric pads [0,2,1,0] stride [1,2], cin 1 cout 3", n: 1, h: 6, w: 7, cin: 1, cout: 3, k: [3, 2], strides: [1, 2], pad: [0, 2, 1, 0] },
  { name: "3x3 dilation 2 SAME_UPPER, cin 3 cout 4", n: 1, h: 9, w: 8, cin: 3, cout: 4, k: [3, 3], dilations: [2, 2], pad: "SAME_UPPER" },
  { name: "3x3 dilation [2,1] + stride 2, pads [1,2,2,1], cin 5 cout 5, no bias", n: 1, h: 10, w: 9, cin: 5, cout: 5, k: [3, 3], strides: [2, 2], dilations: [2, 1], pad: [1, 2, 2, 1], bias: false },
  { name: "4x4 SAME_LOWER (odd total pad), cin 3 cout 2", n: 1, h: 7, w: 6, cin: 3, cout: 2, k: [4, 4], pad: "SAME_LOWER" },
  { name: "3x3 stride 3 SAME_UPPER, cin 5 cout 3", n: 2, h: 10, w: 11, cin: 5, cout: 3, k: [3, 3], strides: [3, 3], pad: "SAME_UPPER" },
  { name: "5x5 pads 2, cin 1 cout 1", n: 1, h: 9, w: 10, cin: 1, cout: 1, k: [5, 5], pad: [2, 2, 2, 2] },
  { name: "groups 2, cin 8 cout 6, 3x3 pads 1", n: 1, h: 6, w: 7, cin: 8, cout: 6, k: [3, 3], pad: [1, 1, 1, 1], groups: 2 },
  { name: "groups 3 stride 2, cin 3*3=9 cout 3*5=15 (5 per group)", n: 2, h: 7, w: 7, cin: 9, cout: 15, k: [3, 3], strides: [2, 2], pad: [1, 0, 1, 1], groups: 3 },
  { name: "groups 5 = cin, channel multiplier 2 (cout 10)", n: 1, h: 6, w: 8, cin: 5, cout: 10, k: [3, 3], pad: [1, 1, 1, 1], groups: 5 },
  { name: "depthwise 3x3 stride 2 SAME_UPPER, c 17, relu6", n: 1, h: 9, w: 11, cin: 17, cout: 17, k: [3, 3], strides: [2, 2], pad: "SAME_UPPER", groups: 17, act: "relu6" },
  { name: "depthwise 5x5 dilation 2 pads 4, c 8, batch 2", n: 2, h: 10, w: 9, cin: 8, cout: 8, k: [5, 5], dilations: [2, 2], pad: [4, 4, 4, 4], groups: 8 },
  { name: "depthwise 3x3 asymmetric pads [1,0,0,2] stride [1,2], c 5, no bias", n: 1, h: 7, w: 8, cin: 5, cout: 5, k: [3, 3], strides: [1, 2], pad: [1, 0, 0, 2], groups: 5, bias: false },
  { name: "depthwise 3x3 VALID c 3", n: 1, h: 5, w: 5, cin: 3, cout: 3, k: [3, 3], pad: "VALID", groups: 3 },
  { name: "1x1, cin 17 cout 8, batch 2", n: 2, h: 5, w: 7, cin: 17, cout: 8, k: [1, 1] },
  { name: "1x1 stride 2, cin 3 cout 5", n: 1, h: 9, w: 8, cin: 3, cout: 5, k: [1, 1], strides: [2, 2] },
  { name: "1x1 pads 1, cin 5 cout 3", n: 1, h: 4, w: 3, cin: 5, cout: 3, k: [1, 1], pad: [1, 1, 1, 1] },
  { name: "3x3 on 1x1 image with pads 1, cin 8 cout 8", n: 1, h: 1, w: 1, cin: 8, cout: 8, k: [3, 3], pad: [1, 1, 1, 1] },
  { name: "3x3 cin 17 cout 17 (wide accumulation), pads 1", n: 1, h: 8, w: 8, cin: 17, cout: 17, k: [3, 3], pad: [1, 1, 1, 1] },
  { name: "7x7 stride 2 pads 3, cin 3 cout 8 (stem)", n: 1, h: 15, w: 13, cin: 3, cout: 8, k: [7, 7], strides: [2, 2], pad: [3, 3, 3, 3] },
  { name: "3x3 cin 64 cout 33 (K 576: two K blocks, several pixel blocks), batch 2, relu6", n: 2, h: 13, w: 11, cin: 64, cout: 33, k: [3, 3], pad: [1, 1, 1, 1], act: "relu6" },
  { name: "3x3 groups 2 cin 128 cout 10 (K 576 per group)", n: 1, h: 9, w: 7, cin: 128, cout: 10, k: [3, 3], pad: [1, 1, 1, 1], groups: 2 },
  { name: "3x3 on 40x40 (1600 pixels: several im2col blocks), cin 3 cout 8", n: 1, h: 40, w: 40, cin: 3, cout: 8, k: [3, 3], pad: "SAME_UPPER" },
  { name: "1x1 cin 600 cout 9 (K blocking on the direct path), clip", n: 1, h: 9, w: 9, cin: 600, cout: 9, k: [1, 1], act: "clip", alpha: -0.5, beta: 0.5 },
  // Winograd F(4x4, 3x3): 3x3, stride 1, >= 8 channels in and out (so are "1x1 image" and "cin 17" above).
  { name: "Winograd 3x3 pads 1, cin 16 cout 24, 10x7, batch 2, relu", n: 2, h: 10, w: 7, cin: 16, cout: 24, k: [3, 3], pad: [1, 1, 1, 1], act: "relu" },
  { name: "Winograd 3x3 SAME_LOWER + VALID-like pads [0,2,1,0], cin 19 cout 17", n: 1, h: 9, w: 6, cin: 19, cout: 17, k: [3, 3], pad: [0, 2, 1, 0] },
  { name: "Winograd 3x3 VALID, cin 32 cout 16, no bias, sigmoid", n: 1, h: 5, w: 13, cin: 32, cout: 16, k: [3, 3], pad: "VALID", bias: false, act: "sigmoid" },
  // Winograd F(4, 3) on the rows of a 2-D image with a 1 x kw kernel (no vertical padding), and its fallback.
  { name: "Winograd rows: 1x9 pads [0,4,0,4], cin 8 cout 16", n: 2, h: 3, w: 17, cin: 8, cout: 16, k: [1, 9], pad: [0, 4, 0, 4] },
  { name: "1x5 with vertical pads [1,2,1,2] (im2col), cin 8 cout 16", n: 1, h: 3, w: 11, cin: 8, cout: 16, k: [1, 5], pad: [1, 2, 1, 2] },
];

for (const layout of ["NHWC", "NCHW"]) {
  CASES2D.forEach((c, i) => test(`Conv2D ${layout}: ${c.name}`, (t) => conv2dCase(t, layout, { seed: 100 + i, ...c })));
}

// Every fused activation on a regular conv and on a depthwise conv.
const ACTS = [
  ["relu"], ["relu6"], ["clip", -0.5, 0.7], ["sigmoid"], ["tanh"], ["gelu"], ["gelu_tanh"], ["silu"],
  ["leaky_relu", 0.1], ["leaky_relu"], ["elu", 0.7], ["elu"], ["hard_sigmoid", 0.3, 0.4], ["hard_sigmoid"], ["hard_swish"], ["softplus"],
];
for (const [act, alpha, beta] of ACTS) {
  const label = `${act}${alpha !== undefined ? `(${alpha}${beta !== undefined ? `, ${beta}` : ""})` : ""}`;
  test(`Conv2D fused activation ${label} (NHWC im2col + NCHW depthwise)`, async (t) => {
    // 45 products of uniform(-1, 1) values: pre-activations spread over about [-7, 7]
    await conv2dCase(t, "NHWC", { name: `act ${label}`, seed: 7, n: 1, h: 6, w: 7, cin: 5, cout: 9, k: [3, 3], pad: [1, 1, 1, 1], act, alpha, beta });
    await conv2dCase(t, "NCHW", { name: `dw act ${label}`, seed: 8, n: 1, h: 6, w: 5, cin: 8, cout: 8, k: [3, 3], pad: "SAME_UPPER", groups: 8, act, alpha, beta });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Conv 1-D: NCL and NLC vs tf.conv1d (grouped: per-group tf.conv1d calls).

async function conv1dCase(t, layout, c) {
  const R = rng(c.seed ?? 1);
  const groups = c.groups ?? 1;
  const x = { shape: [c.n, c.l, c.cin], data: R.array(c.n * c.l * c.cin, -1, 1) }; // NLC
  const w = { shape: [c.cout, c.cin / groups, c.k], data: R.array(c.cout * (c.cin / groups) * c.k, -1, 1) };
  const b = { shape: [c.cout], data: R.array(c.cout, -1, 1) };
  const attrs = { layout: layout === "NLC" ? "NHWC" : "NCHW", group: groups };
  if (c.stride) attrs.strides = [c.stride];
  if (c.dilation) attrs.dilations = [c.dilation];
  if (typeof c.pad === "string") attrs.auto_pad = c.pad;
  else if (c.pad) attrs.pads = c.pad;
  const got = await runOp("Conv", attrs, { x: layout === "NLC" ? x : toNCHW(x) }, { w, b });

  const ref1d = (abs) => tf.tidy(() => {
    let xt = toTf(x), wt = toTf(w), bt = toTf(b);
    if (abs) { xt = tf.abs(xt); wt = tf.abs(wt); bt = tf.abs(bt); }
    let pad = "valid";
    if (c.pad === "SAME_UPPER") pad = "same";
    else if (Array.isArray(c.pad)) xt = tf.pad(xt, [[0, 0], [c.pad[0], c.pad[1]], [0, 0]]);
    const cinG = c.cin / groups, coutG = c.cout / groups, parts = [];
    for (let g = 0; g < groups; g++) {
      const xg = groups === 1 ? xt : tf.slice(xt, [0, 0, g * cinG], [-1, -1, cinG]);
      const f = tf.transpose(tf.slice(wt, [g * coutG, 0, 0], [coutG, -1, -1]), [2, 1, 0]); // [k, cinG, coutG]
      parts.push(tf.conv1d(xg, f, c.stride ?? 1, pad, "NWC", c.dilation ?? 1));
    }
    return fromTf(tf.add(parts.length === 1 ? parts[0] : tf.concat(parts, 2), bt));
  });
  let ref = ref1d(false), absSum = ref1d(true);
  if (layout === "NCL") { ref = toNCHW(ref); absSum = toNCHW(absSum); }
  const bound = absSum.data.map((s) => ACC.atol + ACC.rel * s);
  assertClose(`Conv1D ${layout} ${c.name}`, got, ref, { bound, t });
}

const CASES1D = [
  { name: "k3 stride 2 pads [1,2], cin 3 cout 5", n: 1, l: 13, cin: 3, cout: 5, k: 3, stride: 2, pad: [1, 2] },
  { name: "k3 dilation 2 SAME_UPPER, cin 8 cout 17, batch 2", n: 2, l: 11, cin: 8, cout: 17, k: 3, dilation: 2, pad: "SAME_UPPER" },
  { name: "k5 VALID, cin 1 cout 3", n: 1, l: 17, cin: 1, cout: 3, k: 5, pad: "VALID" },
  { name: "k1, cin 17 cout 5", n: 2, l: 9, cin: 17, cout: 5, k: 1 },
  { name: "k3 groups 5 (depthwise), pads [1,1]", n: 1, l: 12, cin: 5, cout: 5, k: 3, pad: [1, 1], groups: 5 },
  { name: "k4 groups 2 stride 3, pads [2,0]", n: 1, l: 14, cin: 4, cout: 6, k: 4, stride: 3, pad: [2, 0], groups: 2 },
  // Winograd F(4, 3), kernel split into groups of 3 taps (DNA CNN-like).
  { name: "Winograd k15 SAME_UPPER, cin 4 cout 16, length 103", n: 1, l: 103, cin: 4, cout: 16, k: 15, pad: "SAME_UPPER" },
  { name: "Winograd k9 pads [4,4], cin 21 cout 18, batch 2", n: 2, l: 30, cin: 21, cout: 18, k: 9, pad: [4, 4] },
  { name: "Winograd k4 VALID, cin 16 cout 16", n: 1, l: 9, cin: 16, cout: 16, k: 4, pad: "VALID" },
];
for (const layout of ["NLC", "NCL"]) {
  CASES1D.forEach((c, i) => test(`Conv1D ${layout}: ${c.name}`, (t) => conv1dCase(t, layout, { seed: 300 + i, ...c })));
}

for (const [cin, cout, path] of [[3, 4, "im2col"], [8, 8, "Winograd"]]) {
  test(`Conv (${path}): symbolic batch, two batch sizes and repeated runs in one session (plan cache, packed weights reused)`, async (t) => {
    const R = rng(42);
    const w = { shape: [cout, cin, 3, 3], data: R.array(cout * cin * 9) };
    const b = { shape: [cout], data: R.array(cout) };
    const graph = {
      inputs: [{ name: "x", dtype: "float32", shape: ["batch", cin, 5, 6] }], outputs: ["y"],
      nodes: [node("Conv", ["x", "w", "b"], ["y"], { layout: "NCHW", pads: [1, 1, 1, 1], activation: "relu" })],
      constants: new Map([["w", w], ["b", b]]),
    };
    const s = await InferenceSession.fromGraph(graph);
    for (const n of [2, 1, 3, 2]) {
      const x = { shape: [n, cin, 5, 6], data: R.array(n * cin * 30) };
      const y = s.runSync({ x: new Tensor("float32", x.data, x.shape) }).y;
      const xh = toNHWC(x);
      const ref = toNCHW(tfConv2d({ x: xh, w, b, pad: [1, 1, 1, 1] }));
      const abs = toNCHW(tfConv2d({ x: xh, w, b, pad: [1, 1, 1, 1], abs: true }));
      const post = applyAct("relu", 0, 0, ref.data, abs.data.map((v) => 1e-5 + 1e-5 * v));
      assertClose(`Conv batch ${n}`, { shape: [...y.dims], data: y.data }, { shape: ref.shape, data: post.data }, { bound: post.bound, t });
    }
    s.dispose();
  });
}
