// test/ocr/ort-web-app.mjs (an app written as onnxruntime-web's docs show) run unchanged on onnxruntime-web and on
// edgenn: an image model whose output has its input's shape (Conv, ConvTranspose 2x2 stride 2, linear Resize by
// 0.5, Conv), so the output can be fed back, and PP-OCRv4's detector.
// Tolerance: |edgenn - onnxruntime-web| <= 1e-5 * max(1, max |ort|) (after two passes through the small model),
// the detector 1e-4 * max(1, max |ort|).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ortWeb from "onnxruntime-web";
import * as edgenn from "../../dist/index.js";
import { floatInit, model, node, valueInfo } from "../importers/onnx-build.mjs";
import { rng } from "../ops/harness.mjs";
import { detInput, MODELS, pagePng } from "./images.mjs";
import { app } from "./ort-web-app.mjs";

const dir = mkdtempSync(join(tmpdir(), "edgenn-ort-app-"));

function imageModel() {
  const R = rng(5);
  const file = join(dir, "updown.onnx");
  writeFileSync(file, model({
    nodes: [
      node("Conv", ["image", "w0", "b0"], ["a"], { pads: [1, 1, 1, 1] }),
      node("Relu", ["a"], ["r"]),
      node("ConvTranspose", ["r", "w1", "b1"], ["up"], { strides: [2, 2] }),
      node("Resize", ["up", "", "half"], ["down"], { mode: "linear" }),
      node("Conv", ["down", "w2"], ["restored"]),
    ],
    inputs: [valueInfo("image", [1, 3, "height", "width"])], outputs: [valueInfo("restored", [1, 3, "height", "width"])],
    inits: [
      floatInit("w0", [8, 3, 3, 3], R.array(216, -0.5, 0.5)), floatInit("b0", [8], R.array(8, -0.1, 0.1)),
      floatInit("w1", [8, 8, 2, 2], R.array(256, -0.5, 0.5)), floatInit("b1", [8], R.array(8, -0.1, 0.1)),
      floatInit("w2", [3, 8, 1, 1], R.array(24, -0.5, 0.5)), floatInit("half", [4], [1, 1, 0.5, 0.5]),
    ],
  }));
  return file;
}

const close = (label, got, want, rel) => {
  assert.deepEqual(got.dims, want.dims, `${label}: dims`);
  let err = 0, peak = 0;
  for (let i = 0; i < want.data.length; i++) { err = Math.max(err, Math.abs(got.data[i] - want.data[i])); peak = Math.max(peak, Math.abs(want.data[i])); }
  assert.ok(err <= rel * Math.max(1, peak), `${label}: max |edgenn - onnxruntime-web| ${err} (max |ort| ${peak})`);
  return err;
};

test("the onnxruntime-web app runs unchanged on edgenn: an up/down-sampling image model, outputs fed back", async (t) => {
  const file = imageModel();
  const R = rng(6);
  const input = { dims: [1, 3, 12, 17], data: R.array(3 * 12 * 17) };
  const want = await app(ortWeb, file, input);
  const got = await app(edgenn, file, input);
  assert.deepEqual(got.inputNames, want.inputNames);
  assert.deepEqual(got.outputNames, want.outputNames);
  for (const k of ["first", "second", "fromBytes"]) t.diagnostic(`${k}: max error ${close(k, got[k], want[k], 1e-5).toExponential(2)}`);
});

test("the onnxruntime-web app runs unchanged on edgenn: PP-OCRv4's detector on a page", async (t) => {
  const input = await detInput(pagePng());
  const file = join(MODELS, "ch_PP-OCRv4_det_infer.onnx");
  // The detector's one-channel map cannot be fed back: the same calls, one pass.
  const once = async (ort) => {
    const s = await ort.InferenceSession.create(file, { executionProviders: ["wasm"] });
    const y = (await s.run({ [s.inputNames[0]]: new ort.Tensor("float32", input.data, input.dims) }))[s.outputNames[0]];
    const out = { dims: [...y.dims], data: await y.getData() };
    await s.release();
    return out;
  };
  t.diagnostic(`max error ${close("detector", await once(edgenn), await once(ortWeb), 1e-4).toExponential(2)}`);
});

