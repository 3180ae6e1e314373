// The layout pass: an NCHW residual chain runs with one layout copy in and one out, and gives what the same
// network gives when written in NHWC (where no copies exist).
import { test } from "node:test";
import assert from "node:assert/strict";
import { uniform } from "./prng.mjs";
import { InferenceSession, Tensor } from "../dist/index.js";

const unit = uniform(5);
const rand = () => unit() * 2 - 1;
const C = 6, H = 9, W = 7;
const weights = new Map([
  ["w1", { shape: [C, C, 3, 3], data: Float32Array.from({ length: C * C * 9 }, rand) }],
  ["b1", { shape: [C], data: Float32Array.from({ length: C }, rand) }],
  ["w2", { shape: [C, C, 3, 3], data: Float32Array.from({ length: C * C * 9 }, rand) }],
  ["scale", { shape: [1], data: Float32Array.of(0.5) }],
]);

function residual(layout) {
  const img = (attrs) => ({ layout, ...attrs });
  const shape = layout === "NCHW" ? ["n", C, H, W] : ["n", H, W, C];
  return {
    inputs: [{ name: "x", dtype: "float32", shape }], outputs: ["y"], constants: new Map(weights),
    nodes: [
      { op: "Conv", name: "c1", inputs: ["x", "w1", "b1"], outputs: ["a"], attrs: img({ pads: [1, 1, 1, 1] }) },
      { op: "Relu", name: "r1", inputs: ["a"], outputs: ["ar"], attrs: {} },
      { op: "Conv", name: "c2", inputs: ["ar", "w2", ""], outputs: ["b"], attrs: img({ pads: [1, 1, 1, 1] }) },
      { op: "Mul", name: "m", inputs: ["b", "scale"], outputs: ["bs"], attrs: {} },
      { op: "Add", name: "skip", inputs: ["bs", "x"], outputs: ["s"], attrs: {} },
      { op: "Tanh", name: "t", inputs: ["s"], outputs: ["st"], attrs: {} },
      { op: "MaxPool", name: "p", inputs: ["st"], outputs: ["y"], attrs: img({ kernel_shape: [2, 2], strides: [2, 2] }) },
    ],
  };
}

test("an NCHW residual chain keeps one copy in and one out, same answer as NHWC", async () => {
  const nchw = await InferenceSession.fromGraph(residual("NCHW"));
  const nhwc = await InferenceSession.fromGraph(residual("NHWC"));
  assert.equal(nchw.fusion.layoutTransposes, 2, JSON.stringify(nchw.fusion)); // one in (shared by c1 and the skip Add), one out
  assert.equal(nhwc.fusion.layoutTransposes, 0);
  const n = 2, x = Float32Array.from({ length: n * C * H * W }, rand);
  // The NHWC input is the same image with channels last.
  const xl = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let c = 0; c < C; c++) for (let i = 0; i < H * W; i++) xl[(b * H * W + i) * C + c] = x[(b * C + c) * H * W + i];
  const y = (await nchw.run({ x: new Tensor("float32", x, [n, C, H, W]) })).y;
  const yl = (await nhwc.run({ x: new Tensor("float32", xl, [n, H, W, C]) })).y;
  assert.deepEqual(y.dims, [n, C, 4, 3]);
  const [oh, ow] = [4, 3];
  for (let b = 0; b < n; b++) for (let c = 0; c < C; c++) for (let i = 0; i < oh * ow; i++) {
    assert.equal(y.data[(b * C + c) * oh * ow + i], yl.data[(b * oh * ow + i) * C + c], `n=${b} c=${c} i=${i}`);
  }
});

// DenseNet-style: each feature map feeds several Concats and two convs read one value; standalone
// BatchNormalization between them. All of it stays NHWC: one copy in, one out.
const F = 4;
const dense = new Map([
  ["w0", { shape: [F, C, 1, 1], data: Float32Array.from({ length: F * C }, rand) }],
  ["w1", { shape: [F, F, 3, 3], data: Float32Array.from({ length: F * F * 9 }, rand) }],
  ["w2", { shape: [F, 2 * F, 3, 3], data: Float32Array.from({ length: F * 2 * F * 9 }, rand) }],
  ["w3", { shape: [F, 2 * F, 1, 1], data: Float32Array.from({ length: F * 2 * F }, rand) }],
  ...["g", "b", "m"].map((k) => [k, { shape: [2 * F], data: Float32Array.from({ length: 2 * F }, rand) }]),
  ["v", { shape: [2 * F], data: Float32Array.from({ length: 2 * F }, () => 0.5 + unit()) }],
]);
function densenet(layout) {
  const img = (attrs) => ({ layout, ...attrs });
  const axis = layout === "NCHW" ? 1 : 3;
  return {
    inputs: [{ name: "x", dtype: "float32", shape: layout === "NCHW" ? [1, C, H, W] : [1, H, W, C] }], outputs: ["y"], constants: new Map(dense),
    nodes: [
      { op: "Conv", name: "c0", inputs: ["x", "w0", ""], outputs: ["f0"], attrs: img({}) },
      { op: "Conv", name: "c1", inputs: ["f0", "w1", ""], outputs: ["f1"], attrs: img({ pads: [1, 1, 1, 1] }) },
      { op: "Concat", name: "cat", inputs: ["f0", "f1"], outputs: ["cat"], attrs: { axis } },
      { op: "BatchNormalization", name: "bn", inputs: ["cat", "g", "b", "m", "v"], outputs: ["bn"], attrs: img({ epsilon: 1e-5 }) },
      { op: "Relu", name: "r", inputs: ["bn"], outputs: ["br"], attrs: {} },
      { op: "Conv", name: "c2", inputs: ["br", "w2", ""], outputs: ["f2"], attrs: img({ pads: [1, 1, 1, 1] }) },
      { op: "Conv", name: "c3", inputs: ["br", "w3", ""], outputs: ["f3"], attrs: img({}) },
      { op: "Concat", name: "cat2", inputs: ["f2", "f3", "f0"], outputs: ["y"], attrs: { axis } },
    ],
  };
}

test("a DenseNet-style block (shared reads, Concat, standalone BN) keeps one copy in and one out", async () => {
  const nchw = await InferenceSession.fromGraph(densenet("NCHW"));
  const nhwc = await InferenceSession.fromGraph(densenet("NHWC"));
  assert.equal(nchw.fusion.layoutTransposes, 2, JSON.stringify(nchw.fusion));
  const x = Float32Array.from({ length: C * H * W }, rand);
  const xl = new Float32Array(x.length);
  for (let c = 0; c < C; c++) for (let i = 0; i < H * W; i++) xl[i * C + c] = x[c * H * W + i];
  const y = (await nchw.run({ x: new Tensor("float32", x, [1, C, H, W]) })).y;
  const yl = (await nhwc.run({ x: new Tensor("float32", xl, [1, H, W, C]) })).y;
  const K = 3 * F;
  assert.deepEqual(y.dims, [1, K, H, W]);
  for (let c = 0; c < K; c++) for (let i = 0; i < H * W; i++) assert.equal(y.data[c * H * W + i], yl.data[i * K + c], `c=${c} i=${i}`);
});
