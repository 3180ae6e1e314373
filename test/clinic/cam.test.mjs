// explain.cam against direct references: on a tiny GAP + dense CNN built with edgenn's builder, the tapped
// features times the dense weights computed here by hand (and the identity that makes CAM work: the map's mean
// plus the bias is the logit); on the real torchvision DenseNet-121 with CheXNet's head (scripts/clinic/export.py,
// random weights) against PyTorch's own features and CAMs (torch.einsum + F.interpolate) on pydicom's CT and MR
// slices; and the errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { EdgennError, Tensor, conv2d, dense, explain, globalAveragePool2d, load, sequential } from "../../dist/index.js";
import { ensureClinic } from "../../scripts/clinic/make.mjs";
import { ensureModels, readNpy } from "../../scripts/models.mjs";
import { uniform } from "../prng.mjs";

const rand = uniform(11);
const randoms = (n) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
const maxAbs = (a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

// 8×8×3 NHWC images → a 3×3 conv → a stride-2 conv ("last", 4×4×5) → global average pool → dense(3) logits.
const tiny = sequential([
  conv2d(6, 3, { padding: "same", activation: "relu" }),
  conv2d(5, 3, { strides: 2, padding: "same", activation: "relu", name: "last" }),
  globalAveragePool2d(),
  dense(3, "linear", { name: "fc" }),
], { inputShape: [8, 8, 3], seed: 3 });
const kernel = tiny.graph.constants.get("fc/kernel"); // [channels 5, classes 3]
const bias = tiny.graph.constants.get("fc/bias").data;

/**
 * Upsampling by 2 with half-pixel centres written out: output pixel i of a doubled axis samples input i/2 − 1/4,
 * so it is 3/4 of its own input cell and 1/4 of the neighbour towards it (the edge cell alone at the ends).
 */
function doubled(low, n) {
  const taps = (i) => {
    const own = i >> 1, next = i % 2 ? own + 1 : own - 1;
    return next < 0 || next >= n ? [[own, 1]] : [[own, 0.75], [next, 0.25]];
  };
  const out = new Float64Array(4 * n * n);
  for (let r = 0; r < 2 * n; r++) for (let c = 0; c < 2 * n; c++) {
    for (const [rr, wr] of taps(r)) for (const [cc, wc] of taps(c)) out[r * 2 * n + c] += wr * wc * low[rr * n + cc];
  }
  return out;
}

test("tiny CNN: the CAM is ReLU(features · dense column), its mean + bias is the logit, upsampled bilinearly", async () => {
  const session = await tiny.session({ taps: ["last"] });
  for (let trial = 0; trial < 3; trial++) {
    const input = new Tensor("float32", randoms(8 * 8 * 3), [1, 8, 8, 3]);
    const { last: f, output: logits } = await session.run({ input }, { fetch: ["last", "output"] });
    assert.deepEqual(f.dims, [1, 4, 4, 5]);
    for (let k = 0; k < 3; k++) {
      const r = await explain.cam(session, { input }, { features: "last", weights: { data: kernel.data, dims: kernel.shape }, target: { index: k } });
      // By hand: for each of the 16 positions, Σ_c f[p, c] · W[c, k] (NHWC, kernel [in, out]).
      const raw = Array.from({ length: 16 }, (_, p) => [0, 1, 2, 3, 4].reduce((s, c) => s + f.data[p * 5 + c] * kernel.data[c * 3 + k], 0));
      assert.ok(Math.abs(raw.reduce((a, b) => a + b, 0) / 16 + bias[k] - logits.data[k]) < 1e-5, "mean of the un-ReLU'd map + bias = the logit");
      const want = raw.map((v) => Math.max(0, v));
      assert.deepEqual([r.kind, r.shape, r.features.shape, r.features.layout], ["image", [8, 8], [4, 4], "NHWC"]);
      assert.ok(maxDiff(r.features.map, want) <= 1e-6 * Math.max(1, maxAbs(want)), `class ${k}: low-res map`);
      assert.ok(maxDiff(r.map, doubled(want, 4)) <= 1e-6 * Math.max(1, maxAbs(want)), `class ${k}: upsampled map`);
      assert.deepEqual(r.target, { output: "output", index: k, value: logits.data[k] });
      assert.deepEqual([...r.scores], [...logits.data]);
    }
    // The same map from the weights as [classes, channels] (PyTorch's layout), as the row alone, and by default
    // for the predicted class.
    const top = logits.data.indexOf(Math.max(...logits.data));
    const byRow = await explain.cam(session, { input }, { features: "last", weights: Array.from({ length: 5 }, (_, c) => kernel.data[c * 3 + top]), target: { index: top } });
    const transposed = Float32Array.from({ length: 15 }, (_, i) => kernel.data[(i % 5) * 3 + Math.floor(i / 5)]);
    const byDefault = await explain.cam(session, { input }, { features: "last", weights: new Tensor("float32", transposed, [3, 5]) });
    assert.equal(byDefault.target.index, top);
    assert.deepEqual([...byDefault.map], [...byRow.map]);
  }
  session.dispose();
});

test("tiny CNN: a constant map upsamples to the same constant; layouts given or inferred", async () => {
  // All-zero kernels and a bias: every feature is the same positive number, so the CAM is flat.
  const flat = sequential([conv2d(4, 3, { strides: 2, padding: "same", activation: "relu", name: "last" }), globalAveragePool2d(), dense(2, "linear", { name: "fc" })], { inputShape: [6, 6, 2] });
  flat.setWeights("last", { kernel: new Float32Array(4 * 2 * 9), bias: [0.5, 1, 1.5, 2] });
  const s = await flat.session({ taps: ["last"] });
  const r = await explain.cam(s, { input: new Tensor("float32", randoms(72), [1, 6, 6, 2]) }, { features: "last", weights: [1, 1, 1, 1], target: { index: 0 } });
  assert.deepEqual([r.shape, r.features.shape], [[6, 6], [3, 3]]);
  assert.ok(r.map.every((v) => Math.abs(v - 5) < 1e-6), `${r.map}`);
  const explicit = await explain.cam(s, { input: new Tensor("float32", randoms(72), [1, 6, 6, 2]) }, { features: "last", weights: [1, 1, 1, 1], layout: "NHWC", featuresLayout: "NHWC" });
  assert.equal(explicit.features.layout, "NHWC");
  s.dispose();
});

test("errors say what to change", async () => {
  const untapped = await tiny.session();
  const tapped = await tiny.session({ taps: ["last"] });
  const input = new Tensor("float32", randoms(192), [1, 8, 8, 3]);
  const weights = { data: kernel.data, dims: kernel.shape };
  const rejects = (session, feeds, options, code, message) =>
    assert.rejects(explain.cam(session, feeds, options), (e) => e instanceof EdgennError && e.code === code && message.test(e.message), String(message));
  await rejects(untapped, { input }, { features: "last", weights }, "BAD_INPUT", /does not keep 'last': load the model with load\(src, \{ taps: \['last'\] \}\).*global average pool reads 'last'/);
  await rejects(tapped, { input }, { weights }, "BAD_INPUT", /'features' must name the last feature map/);
  await rejects(tapped, { input }, { features: "last" }, "BAD_INPUT", /'weights' .* is required/);
  await rejects(tapped, { input }, { features: "last", weights: { data: new Float32Array(12), dims: [4, 3] } }, "BAD_INPUT", /weights \[4,3\] have no dim of 5, the channels of the feature map \[1,4,4,5\] read as NHWC/);
  await rejects(tapped, { input }, { features: "last", weights: { data: new Float32Array(20), dims: [5, 4] } }, "BAD_INPUT", /4 classes, output 'output' has 3 values/);
  await rejects(tapped, { input }, { features: "last", weights: [1, 2, 3] }, "BAD_INPUT", /the target's row has 3 values, but the feature map \[1,4,4,5\] read as NHWC has 5 channels \(featuresLayout sets its layout\)/);
  await rejects(tapped, { input }, { features: "last", weights: { data: new Float32Array(15), dims: [15, 1, 1] } }, "BAD_INPUT", /weights of shape \[15,1,1\]/);
  await rejects(tapped, { input }, { features: "last", weights, target: { index: 3 } }, "BAD_INPUT", /target index 3 is outside output 'output' \[1,3\]/);
  await rejects(tapped, { input }, { features: "last", weights, target: { output: "logits" } }, "BAD_INPUT", /unknown target output 'logits' \(the model's outputs: output\)/);
  await rejects(tapped, { input: new Tensor("float32", randoms(384), [2, 8, 8, 3]) }, { features: "last", weights }, "BAD_INPUT", /holds 2 examples: a CAM explains one/);
  await rejects(tapped, {}, { features: "last", weights }, "BAD_INPUT", /feeds have no input 'input'/);
  await rejects(tapped, { input }, { features: "last", weights, featuresLayout: "NCL" }, "BAD_INPUT", /featuresLayout 'NCL' does not fit the feature map \[1,4,4,5\] \(NCHW or NHWC\)/);
  // Square weights cannot say which dim is the classes.
  const square = await sequential([conv2d(3, 3, { padding: "same", name: "last" }), globalAveragePool2d(), dense(3)], { inputShape: [4, 4, 3] }).session({ taps: ["last"] });
  await rejects(square, { input: new Tensor("float32", randoms(48), [1, 4, 4, 3]) }, { features: "last", weights: { data: new Float32Array(9), dims: [3, 3] } }, "BAD_INPUT", /square: .*pass the target's row \(3 values\)/);
  // A tabular model has no map to lay over its input.
  const mlp = await sequential([dense(4, "relu", { name: "h" }), dense(2)], { inputShape: [6] }).session({ taps: ["h"] });
  await rejects(mlp, { input: new Tensor("float32", randoms(6), [1, 6]) }, { features: "h", weights: [1, 1, 1, 1] }, "BAD_INPUT", /input 'input' has shape \[1,6\]: a CAM needs an image .* or a sequence/);
  for (const s of [untapped, tapped, square, mlp]) s.dispose();
});

test("1-D: the real DNA CNN export (Conv1d blocks, global average pool, Linear(64, 1)) over 1,000 bases", async () => {
  const { dir, manifest: m } = ensureModels();
  const bytes = readFileSync(join(dir, m.models.dna_cnn.onnx));
  const x = readNpy(join(dir, m.models.dna_cnn.inputs[0].file));
  const tap = "/net/net.9/Relu_output_0"; // the ReLU the pool reads
  const session = await load(bytes, { taps: [tap] });
  const input = new Tensor("float32", x.data, x.shape);
  const weights = onnxInitializer(bytes, "net.12.weight"); // [1, 64]
  const r = await explain.cam(session, { input }, { features: tap, weights });
  const f = (await session.run({ input }, { fetch: [tap] }))[tap]; // [1, 64, 62] NCL
  const L = f.dims[2];
  const hand = Array.from({ length: L }, (_, p) => Math.max(0, weights.data.reduce((s, w, c) => s + w * f.data[c * L + p], 0)));
  // Linear resampling by its definition: output i reads the input at (i + 1/2) · L/1000 − 1/2, clamped.
  const linear = Array.from({ length: 1000 }, (_, i) => {
    const at = Math.min(Math.max((i + 0.5) * (L / 1000) - 0.5, 0), L - 1), j = Math.floor(at), k = Math.min(j + 1, L - 1);
    return hand[j] + (at - j) * (hand[k] - hand[j]);
  });
  assert.deepEqual([r.kind, r.shape, r.features.shape, r.features.layout, r.target.index], ["sequence", [1000], [L], "NCL", 0]);
  assert.ok(maxDiff(r.features.map, hand) <= 1e-6 * maxAbs(hand) && maxAbs(hand) > 0);
  assert.ok(maxDiff(r.map, linear) <= 1e-6 * maxAbs(hand));
  session.dispose();
});

// ---- DenseNet-121 (torchvision) with CheXNet's 14-way head, float32 ONNX, against PyTorch ----

const { refs, manifest } = ensureClinic();
const onnx = readFileSync(join(refs, "chexnet.onnx"));

/** A weight matrix read from an ONNX initializer (raw little-endian float32). */
function onnxInitializer(bytes, name) {
  const t = onnxProto.onnx.ModelProto.decode(bytes).graph.initializer.find((i) => i.name === name);
  const raw = t.rawData;
  return { data: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), dims: t.dims.map(Number) };
}

test("DenseNet-121 (CheXNet head) on pydicom's CT and MR slices: features, CAMs of all 14 findings and the upsampled maps match PyTorch's", { timeout: 300_000 }, async (t) => {
  const session = await load(onnx, { taps: [manifest.features] });
  const weights = onnxInitializer(onnx, manifest.weights);
  assert.deepEqual(weights.dims, [14, 1024]);
  for (const key of ["ct", "mr"]) {
    const x = readNpy(join(refs, `${key}.input.npy`));
    const feeds = { input: new Tensor("float32", x.data, x.shape) };
    const probs = readNpy(join(refs, `${key}.probs.npy`)).data;
    const torchFeatures = readNpy(join(refs, `${key}.features.npy`)).data;
    const torchLow = readNpy(join(refs, `${key}.cam_low.npy`)).data; // [14, 7, 7]
    const torchCam = readNpy(join(refs, `${key}.cam.npy`)).data; // [14, 224, 224]
    const f = (await session.run(feeds, { fetch: [manifest.features] }))[manifest.features];
    const featureErr = maxDiff(f.data, torchFeatures) / maxAbs(torchFeatures);
    let lowErr = 0, camErr = 0, handErr = 0;
    for (let k = 0; k < 14; k++) {
      const r = await explain.cam(session, feeds, { features: manifest.features, weights, target: { index: k } });
      assert.deepEqual([r.shape, r.features.shape, r.features.layout], [[224, 224], [7, 7], "NCHW"]);
      if (k === 0) assert.ok(maxDiff(r.scores, probs) < 1e-5, `${key}: probabilities ${r.scores} vs torch ${probs}`);
      // By hand from the tapped features (NCHW [1, 1024, 7, 7]) and row k of the matrix.
      const hand = Array.from({ length: 49 }, (_, p) => {
        let s = 0;
        for (let c = 0; c < 1024; c++) s += f.data[c * 49 + p] * weights.data[k * 1024 + c];
        return Math.max(0, s);
      });
      const low = torchLow.subarray(k * 49, (k + 1) * 49), up = torchCam.subarray(k * 224 * 224, (k + 1) * 224 * 224);
      const scale = Math.max(maxAbs(low), 1e-3);
      handErr = Math.max(handErr, maxDiff(r.features.map, hand) / scale);
      lowErr = Math.max(lowErr, maxDiff(r.features.map, low) / scale);
      camErr = Math.max(camErr, maxDiff(r.map, up) / scale);
    }
    t.diagnostic(`${key}: max |edgenn − torch| / max |torch|: features ${featureErr.toExponential(2)}, 7×7 CAMs ${lowErr.toExponential(2)}, 224×224 CAMs ${camErr.toExponential(2)}; vs the hand product of the tapped features ${handErr.toExponential(2)} (14 findings)`);
    assert.ok(featureErr < 1e-4, `${key} features`);
    assert.ok(handErr < 1e-6, `${key} hand`);
    assert.ok(lowErr < 1e-4 && camErr < 1e-4, `${key} CAM vs torch`);
  }
  session.dispose();
});
