// ConvTranspose (1-D, 2-D; strides, pads, output_padding, output_shape, auto_pad, dilations, group) imported from
// ONNX and run by edgenn, against onnxruntime-node (one thread) on the same model and input; alone, and inside an
// NCHW conv chain where the layout pass runs it in NHWC.
//
// Tolerance: |edgenn - ort| <= 1e-6 * (sum |x * w| + |b|) + 1e-7 per element, the sum of magnitudes being
// onnxruntime's own result for |x|, |w| and |b| (f32 sums of up to a few hundred products in another order).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { InferenceSession, Tensor } from "../../dist/index.js";
import { floatInit, model, node, valueInfo } from "../importers/onnx-build.mjs";
import { assertClose, rng, sizeOf } from "./harness.mjs";

const ORT_OPTS = { intraOpNumThreads: 1, interOpNumThreads: 1 };

function deconvModel({ x, w, b, attrs, opset = 11 }) {
  const inits = [floatInit("w", w.shape, w.data)];
  if (b) inits.push(floatInit("b", b.shape, b.data));
  return model({
    nodes: [node("ConvTranspose", b ? ["x", "w", "b"] : ["x", "w"], ["y"], attrs, "deconv")],
    inputs: [valueInfo("x", x.shape)], outputs: [valueInfo("y", x.shape.map(() => "d"))], inits, opset,
  });
}

async function ortRun(bytes, feeds) {
  const s = await ort.InferenceSession.create(bytes, ORT_OPTS);
  try {
    const r = (await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor("float32", v.data, v.shape)])))).y;
    return { shape: r.dims.map(Number), data: r.data };
  } finally {
    await s.release();
  }
}

async function edgennRun(bytes, feeds) {
  const s = await InferenceSession.create(bytes);
  try {
    const r = (await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Tensor("float32", v.data, v.shape)])))).y;
    return { shape: [...r.dims], data: r.data, fusion: s.fusion };
  } finally {
    await s.release();
  }
}

const abs = (a) => ({ shape: a.shape, data: a.data.map(Math.abs) });

async function check(t, c, seed) {
  const R = rng(seed);
  const g = c.attrs.group ?? 1;
  const x = { shape: c.x, data: R.array(sizeOf(c.x)) };
  const w = { shape: [c.x[1], c.coutG, ...c.k], data: R.array(c.x[1] * c.coutG * sizeOf(c.k)) };
  const b = c.bias === false ? undefined : { shape: [c.coutG * g], data: R.array(c.coutG * g) };
  const want = await ortRun(deconvModel({ x, w, b, attrs: c.attrs }), { x });
  const mag = await ortRun(deconvModel({ x: abs(x), w: abs(w), b: b && abs(b), attrs: c.attrs }), { x: abs(x) });
  const got = await edgennRun(deconvModel({ x, w, b, attrs: c.attrs }), { x });
  assertClose(c.name, got, want, { atol: 1e-7, bound: mag.data.map((m) => 1e-6 * m), t });
}

const CASES = [
  { name: "2x2 stride 2 (PP-OCR head), 24 -> 24", x: [1, 24, 5, 7], coutG: 24, k: [2, 2], attrs: { strides: [2, 2] } },
  { name: "2x2 stride 2, 24 -> 1, no bias", x: [2, 24, 4, 3], coutG: 1, k: [2, 2], attrs: { strides: [2, 2] }, bias: false },
  { name: "3x3 stride 1 (ONNX default)", x: [1, 3, 5, 4], coutG: 5, k: [3, 3], attrs: {} },
  { name: "3x3 stride 2 pads 1 output_padding 1", x: [1, 4, 5, 6], coutG: 3, k: [3, 3], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } },
  { name: "4x4 stride 2 pads 1 (GAN upsampler)", x: [2, 8, 3, 4], coutG: 5, k: [4, 4], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } },
  { name: "asymmetric strides and pads", x: [1, 3, 4, 5], coutG: 2, k: [3, 2], attrs: { strides: [3, 2], pads: [1, 0, 2, 1] } },
  { name: "dilations 2, 3", x: [1, 2, 4, 4], coutG: 3, k: [3, 3], attrs: { dilations: [2, 3] } },
  { name: "dilation with stride (non-overlapping taps)", x: [1, 3, 4, 4], coutG: 2, k: [2, 2], attrs: { strides: [3, 4], dilations: [2, 3] } },
  { name: "group 2", x: [1, 6, 4, 5], coutG: 2, k: [3, 3], attrs: { group: 2, strides: [2, 2] } },
  { name: "depthwise (group = channels)", x: [1, 5, 4, 4], coutG: 1, k: [3, 3], attrs: { group: 5, strides: [2, 2], pads: [1, 1, 1, 1] } },
  { name: "output_shape (pads computed)", x: [1, 1, 3, 3], coutG: 2, k: [3, 3], attrs: { strides: [3, 2], output_shape: [10, 8] } },
  { name: "output_shape beyond the full result (bias-only border)", x: [1, 2, 3, 3], coutG: 2, k: [3, 2], attrs: { strides: [3, 2], output_shape: [10, 7] } },
  { name: "auto_pad SAME_UPPER", x: [1, 2, 3, 3], coutG: 2, k: [3, 3], attrs: { strides: [2, 2], auto_pad: "SAME_UPPER" } },
  { name: "auto_pad SAME_LOWER", x: [1, 2, 3, 3], coutG: 2, k: [3, 3], attrs: { strides: [2, 2], auto_pad: "SAME_LOWER" } },
  { name: "auto_pad VALID", x: [1, 2, 3, 4], coutG: 3, k: [2, 3], attrs: { strides: [2, 1], auto_pad: "VALID" } },
  { name: "1-D stride 2", x: [2, 4, 9], coutG: 3, k: [3], attrs: { strides: [2], pads: [1, 0] } },
  { name: "1-D 2-tap stride 2 (direct path)", x: [1, 5, 7], coutG: 6, k: [2], attrs: { strides: [2] } },
  { name: "wide: 64 -> 33, 3x3 stride 2", x: [1, 64, 6, 5], coutG: 33, k: [3, 3], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } },
];

CASES.forEach((c, i) => test(`ConvTranspose: ${c.name}`, (t) => check(t, c, 300 + i)));

test("ConvTranspose inside an NCHW chain (Conv -> ConvTranspose -> BatchNorm -> Relu -> ConvTranspose -> Sigmoid) matches", async (t) => {
  const R = rng(9);
  const c = 8, bytes = model({
    nodes: [
      node("Conv", ["x", "w0"], ["a"], { pads: [1, 1, 1, 1] }),
      node("ConvTranspose", ["a", "w1", "b1"], ["b"], { strides: [2, 2] }),
      node("BatchNormalization", ["b", "g", "beta", "mean", "var"], ["bn"]),
      node("Relu", ["bn"], ["r"]),
      node("ConvTranspose", ["r", "w2"], ["d"], { strides: [2, 2] }),
      node("Sigmoid", ["d"], ["y"]),
    ],
    inputs: [valueInfo("x", [1, 3, "h", "w"])], outputs: [valueInfo("y", [1, 1, "H", "W"])],
    inits: [
      floatInit("w0", [c, 3, 3, 3], R.array(c * 27)), floatInit("w1", [c, c, 2, 2], R.array(c * c * 4)), floatInit("b1", [c], R.array(c)),
      floatInit("g", [c], R.array(c, 0.5, 1.5)), floatInit("beta", [c], R.array(c)), floatInit("mean", [c], R.array(c)), floatInit("var", [c], R.array(c, 0.5, 2)),
      floatInit("w2", [c, 1, 2, 2], R.array(c * 4)),
    ],
  });
  for (const [h, w] of [[6, 7], [4, 9]]) {
    const x = { shape: [1, 3, h, w], data: R.array(3 * h * w) };
    const want = await ortRun(bytes, { x });
    const got = await edgennRun(bytes, { x });
    assert.deepEqual(got.shape, [1, 1, 4 * h, 4 * w]);
    assertClose(`chain ${h}x${w}`, got, want, { atol: 2e-6, t });
  }
});

test("ConvTranspose refusals name the node", async () => {
  const refused = (bytes, re) => assert.rejects(InferenceSession.create(bytes), (e) => e.code === "UNSUPPORTED" && re.test(e.message) && /'deconv'/.test(e.message));
  await refused(model({
    nodes: [node("ConvTranspose", ["x", "w"], ["y"], {}, "deconv")],
    inputs: [valueInfo("x", [1, 2, 3, 3]), valueInfo("w", [2, 2, 3, 3])], outputs: [valueInfo("y", [1, 2, 5, 5])],
  }), /weights \(input 1, 'w'\) must be a float constant/);
  const w3 = { shape: [2, 2, 2, 2, 2], data: new Float32Array(32) };
  await refused(deconvModel({ x: { shape: [1, 2, 3, 3, 3] }, w: w3, attrs: {} }), /3-D transposed convolution is not supported/);
  // onnxruntime refuses it too ("Explicit output_shape is inconsistent with input spatial dimensions").
  const w = { shape: [2, 2, 2, 2], data: new Float32Array(16) };
  await assert.rejects(InferenceSession.create(deconvModel({ x: { shape: [1, 2, 3, 3] }, w, attrs: { strides: [2, 2], output_shape: [8, 7] } })),
    (e) => /.deconv'.*output_shape \[8,7\] does not fit input size 3 along spatial dim 0 \(at most 7\)/.test(e.message));
});
