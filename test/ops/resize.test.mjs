// Resize (ONNX Resize 10/11/13/18/19, Upsample 7/9) imported from ONNX and run by edgenn, against onnxruntime-node
// (one thread) on the same model and input: every mode, coordinate_transformation_mode and nearest_mode, scales and
// sizes, NCHW and NHWC-shaped inputs, 1-D, axes and keep_aspect_ratio_policy (opset 18), half_pixel_symmetric (19),
// tf_crop_and_resize with extrapolation, cubic_coeff_a and exclude_outside.
//
// Tolerance: nearest must pick the same input elements (inputs are distinct integers: any other pick shows as a
// wrong value), so it is exact. Blends of inputs in [-1, 1], summed in another order than onnxruntime's:
// linear |edgenn - ort| <= 4e-7 (weights in [0, 1] summing to 1), cubic <= 2e-6 (16 taps with weights up to
// ~1.2 in magnitude; onnxruntime's NHWC cubic goes through its antialias code).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { InferenceSession, Tensor } from "../../dist/index.js";
import { floatInit, int64Init, model, node, valueInfo } from "../importers/onnx-build.mjs";
import { rng, sizeOf, assertClose } from "./harness.mjs";

const ORT_OPTS = { intraOpNumThreads: 1, interOpNumThreads: 1 };

/** A Resize model: scales or sizes as initializers, the attributes as given (floats forced to float attributes). */
function resizeModel({ shape, scales, sizes, roi, attrs = {}, opset = 13, op = "Resize" }) {
  const inits = [], ins = ["x"];
  if (op === "Upsample" && opset < 9) {
    // Upsample 7-8: scales is an attribute.
  } else if (op === "Upsample" || opset === 10) {
    inits.push(floatInit("scales", [scales.length], scales)); ins.push("scales");
  } else {
    if (roi) inits.push(floatInit("roi", [roi.length], roi));
    ins.push(roi ? "roi" : "");
    if (scales) { inits.push(floatInit("scales", [scales.length], scales)); ins.push("scales"); }
    else { ins.push(""); inits.push(int64Init("sizes", sizes)); ins.push("sizes"); }
  }
  const n = node(op, ins, ["y"], attrs, "resize");
  if (op === "Upsample" && opset < 9) n.attribute.push({ name: "scales", type: 6, floats: scales });
  for (const a of n.attribute) if (["cubic_coeff_a", "extrapolation_value"].includes(a.name)) Object.assign(a, { type: 1, f: Number(a.i ?? a.f), i: undefined });
  return model({ nodes: [n], inputs: [valueInfo("x", shape)], outputs: [valueInfo("y", shape.map(() => "d"))], inits, opset });
}

async function both(bytes, shape, data) {
  const ref = await ort.InferenceSession.create(bytes, ORT_OPTS);
  const want = (await ref.run({ x: new ort.Tensor("float32", data, shape) })).y;
  await ref.release();
  const s = await InferenceSession.create(bytes);
  try {
    const got = (await s.run({ x: new Tensor("float32", data, shape) })).y;
    return { got: { shape: got.dims, data: got.data }, want: { shape: want.dims.map(Number), data: want.data }, fusion: s.fusion };
  } finally {
    await s.release();
  }
}

let seed = 1;
async function check(t, label, spec) {
  const n = sizeOf(spec.shape), mode = spec.attrs?.mode ?? "nearest";
  const R = rng(seed++);
  // Nearest: distinct integers, so a different pick is a different value. Blends: uniform in [-1, 1].
  const data = mode === "nearest" ? Float32Array.from({ length: n }, (_, i) => i + 1) : R.array(n, -1, 1);
  const { got, want } = await both(resizeModel(spec), spec.shape, data);
  assert.deepEqual([...got.shape], [...want.shape], `${label}: output shape`);
  assertClose(label, got, want, { atol: mode === "nearest" ? 0 : mode === "linear" ? 4e-7 : 2e-6, t });
}

const TRANSFORMS = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"];
const NEAREST = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"];
const RESIZES = [
  { shape: [1, 2, 5, 7], scales: [1, 1, 2, 2] },
  { shape: [2, 1, 4, 6], scales: [1, 1, 3, 1.5] },
  { shape: [1, 3, 9, 8], scales: [1, 1, 0.6, 0.7] },
  { shape: [1, 2, 6, 5], sizes: [1, 2, 13, 3] },
  { shape: [1, 1, 7, 9], sizes: [1, 1, 4, 20] },
];

for (const ctm of TRANSFORMS) {
  for (const nm of NEAREST) {
    test(`Resize nearest ${ctm} ${nm}`, async (t) => {
      for (const r of RESIZES) await check(t, `${JSON.stringify(r)}`, { ...r, attrs: { mode: "nearest", coordinate_transformation_mode: ctm, nearest_mode: nm } });
    });
  }
  for (const mode of ["linear", "cubic"]) {
    test(`Resize ${mode} ${ctm}`, async (t) => {
      for (const r of RESIZES) await check(t, `${JSON.stringify(r)}`, { ...r, attrs: { mode, coordinate_transformation_mode: ctm } });
    });
  }
}

test("Resize cubic: cubic_coeff_a -0.5 and exclude_outside", async (t) => {
  for (const r of RESIZES) {
    await check(t, `A=-0.5 ${JSON.stringify(r)}`, { ...r, attrs: { mode: "cubic", cubic_coeff_a: -0.5 } });
    await check(t, `exclude_outside ${JSON.stringify(r)}`, { ...r, attrs: { mode: "cubic", cubic_coeff_a: -0.5, exclude_outside: 1 } });
  }
});

test("Resize tf_crop_and_resize with extrapolation_value (nearest, linear, cubic)", async (t) => {
  const roi = [0, 0, 0.4, -0.3, 1, 1, 1.2, 0.8];
  for (const mode of ["nearest", "linear", "cubic"]) {
    await check(t, `${mode} sizes`, { shape: [1, 2, 6, 7], sizes: [1, 2, 5, 9], roi, attrs: { mode, coordinate_transformation_mode: "tf_crop_and_resize", extrapolation_value: 10 } });
    await check(t, `${mode} scales`, { shape: [1, 1, 6, 7], scales: [1, 1, 1.5, 0.8], roi, attrs: { mode, coordinate_transformation_mode: "tf_crop_and_resize" } });
  }
});

test("Resize NHWC-shaped inputs (scales on axes 1 and 2) and channels that are not planes", async (t) => {
  for (const mode of ["nearest", "linear"]) {
    await check(t, `${mode} x2`, { shape: [1, 5, 6, 3], scales: [1, 2, 2, 1], attrs: { mode } });
    await check(t, `${mode} 0.6`, { shape: [2, 7, 9, 5], scales: [1, 0.6, 1.4, 1], attrs: { mode } });
  }
  await check(t, "cubic up", { shape: [1, 4, 5, 6], scales: [1, 2, 1.5, 1], attrs: { mode: "cubic" } });
});

test("Resize of one axis, 1-D (rank 3) and 2-D (rank 2) inputs", async (t) => {
  for (const mode of ["nearest", "linear", "cubic"]) {
    await check(t, `${mode} H only`, { shape: [1, 2, 5, 6], scales: [1, 1, 2.5, 1], attrs: { mode } });
    await check(t, `${mode} W only`, { shape: [1, 2, 5, 6], sizes: [1, 2, 5, 4], attrs: { mode } });
    // onnxruntime has no cubic for rank 3.
    if (mode !== "cubic") await check(t, `${mode} rank 3`, { shape: [2, 3, 10], scales: [1, 1, 1.7], attrs: { mode } });
    await check(t, `${mode} rank 2`, { shape: [6, 7], sizes: [9, 4], attrs: { mode } });
  }
});

test("Resize opset 10, Upsample 7 and 9 (asymmetric, onnxruntime's 'simple' nearest rounding)", async (t) => {
  for (const mode of ["nearest", "linear"]) {
    await check(t, `Resize-10 ${mode} up`, { shape: [1, 2, 4, 5], scales: [1, 1, 2, 3], attrs: { mode }, opset: 10 });
    await check(t, `Resize-10 ${mode} down`, { shape: [1, 2, 8, 9], scales: [1, 1, 0.5, 0.7], attrs: { mode }, opset: 10 });
    await check(t, `Upsample-9 ${mode}`, { shape: [1, 2, 4, 5], scales: [1, 1, 2, 2.5], attrs: { mode }, opset: 9, op: "Upsample" });
    await check(t, `Upsample-7 ${mode}`, { shape: [1, 2, 4, 5], scales: [1, 1, 3, 2], attrs: { mode }, opset: 7, op: "Upsample" });
  }
});

test("Resize opset 18 (axes, keep_aspect_ratio_policy) and 19 (half_pixel_symmetric)", async (t) => {
  await check(t, "axes [2, 3] scales", { shape: [1, 2, 5, 6], scales: [2, 0.5], attrs: { mode: "linear", axes: [2, 3] }, opset: 18 });
  await check(t, "axes [3] sizes", { shape: [1, 2, 5, 6], sizes: [9], attrs: { mode: "nearest", axes: [3] }, opset: 18 });
  for (const policy of ["not_larger", "not_smaller"]) {
    await check(t, `${policy} nearest`, { shape: [1, 3, 6, 8], sizes: [9, 20], attrs: { mode: "nearest", keep_aspect_ratio_policy: policy, axes: [2, 3] }, opset: 18 });
    await check(t, `${policy} axes`, { shape: [1, 3, 6, 8], sizes: [7, 9], attrs: { mode: "linear", keep_aspect_ratio_policy: policy, axes: [2, 3] }, opset: 18 });
  }
  for (const mode of ["nearest", "linear", "cubic"]) {
    await check(t, `half_pixel_symmetric ${mode}`, { shape: [1, 2, 5, 7], scales: [1, 1, 1.7, 0.6], attrs: { mode, coordinate_transformation_mode: "half_pixel_symmetric" }, opset: 19 });
  }
});

test("Resize inside an NCHW conv chain runs in NHWC (no transposes around it) and still matches", async (t) => {
  const R = rng(77);
  const w1 = R.array(4 * 3 * 3 * 3), w2 = R.array(2 * 4 * 3 * 3);
  const bytes = model({
    nodes: [
      node("Conv", ["x", "w1"], ["a"], { pads: [1, 1, 1, 1] }),
      node("Resize", ["a", "", "scales"], ["b"], { mode: "nearest", coordinate_transformation_mode: "asymmetric", nearest_mode: "floor" }),
      node("Conv", ["b", "w2"], ["y"], { pads: [1, 1, 1, 1] }),
    ],
    inputs: [valueInfo("x", [1, 3, 6, 7])], outputs: [valueInfo("y", [1, 2, 12, 14])],
    inits: [floatInit("w1", [4, 3, 3, 3], w1), floatInit("w2", [2, 4, 3, 3], w2), floatInit("scales", [4], [1, 1, 2, 2])],
  });
  const data = R.array(3 * 6 * 7);
  const { got, want, fusion } = await both(bytes, [1, 3, 6, 7], data);
  assert.equal(fusion.layoutTransposes, 2, "one copy in, one copy out");
  assertClose("conv-resize-conv", got, want, { atol: 1e-5, t });
});

test("Resize downsampling with align_corners follows onnxruntime, not ONNX 1.12's reference (docs/conformance.md)", async (t) => {
  // ONNX's test_resize_downsample_scales_{linear,cubic}_align_corners: the reference takes length_resized as
  // input * scale (2.4 here) and expects [1, 3.142857]; onnxruntime (and PyTorch, which exports these) take the
  // output size (2): [1, 4].
  const spec = { shape: [1, 1, 2, 4], scales: [1, 1, 0.6, 0.6], attrs: { mode: "linear", coordinate_transformation_mode: "align_corners" } };
  const { got, want } = await both(resizeModel(spec), spec.shape, Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
  assert.deepEqual([...want.data], [1, 4]);
  assertClose("linear align_corners 0.6", got, want, { atol: 0, t });
  await check(t, "cubic align_corners 0.8", { shape: [1, 1, 4, 4], scales: [1, 1, 0.8, 0.8], attrs: { mode: "cubic", coordinate_transformation_mode: "align_corners" } });
});

test("Resize refusals name the node", async () => {
  const refused = async (bytes, re) => assert.rejects(InferenceSession.create(bytes), (e) => e.code === "UNSUPPORTED" && re.test(e.message) && /resize/.test(e.message));
  const base = { nodes: [], inputs: [valueInfo("x", [1, 2, 4, 4]), valueInfo("s", [4])], outputs: [valueInfo("y", [1, 2, 8, 8])] };
  await refused(model({ ...base, nodes: [node("Resize", ["x", "", "s"], ["y"], {}, "resize")] }), /scales \(input 2, 's'\) must be a constant/);
  await refused(resizeModel({ shape: [2, 2, 4, 4], scales: [2, 1, 2, 2] }), /only two adjacent axes/);
  await refused(resizeModel({ shape: [1, 2, 4, 4], scales: [1, 1, 0.5, 0.5], attrs: { mode: "linear", antialias: 1 }, opset: 18 }), /antialias=1 is not supported/);
  // A hostile output axis is refused before its tap tables are made (quickly, without gigabytes of tables).
  const t0 = performance.now();
  await assert.rejects(InferenceSession.create(resizeModel({ shape: [1, 1, 1, 4], sizes: [1, 1, 1, 2 ** 25], attrs: { mode: "cubic" } })),
    (e) => e.code === "LIMIT" && /'resize' \(Resize\): output axis 3 of 33554432 is over 16777216/.test(e.message));
  assert.ok(performance.now() - t0 < 2000);
});

