// estimateMemory(source): the wasm memory a model will need, before any session exists (shape inference and a
// liveness walk, no kernels), within 25% of what a session then really holds, for CNNs, an LSTM and a transformer,
// with and without Winograd, and for a larger batch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Tensor, estimateMemory, load } from "../dist/index.js";
import { ensureModels } from "../scripts/models.mjs";

const { dir, manifest } = ensureModels();
const within = (est, real, what) => assert.ok(Math.abs(est - real) <= 0.25 * real, `${what}: estimate ${(est / 1e6).toFixed(1)} MB, session ${(real / 1e6).toFixed(1)} MB`);

for (const [name, opts] of [["resnet18", {}], ["resnet18", { winograd: false }], ["resnet18", { variant: "scalar" }], ["mobilenet_v2", {}], ["lstm_ecg", {}], ["transformer_text", {}]]) {
  const how = opts.winograd === false ? " without Winograd" : opts.variant ? ` on the ${opts.variant} build (no Winograd there)` : "";
  test(`${name}${how}: the estimate is within 25% of the session's memory`, async (t) => {
    const file = join(dir, manifest.models[name].onnx);
    const e = await estimateMemory(file, opts);
    const s = await load(file, opts);
    t.diagnostic(`estimate ${(e.totalBytes / 1e6).toFixed(1)} MB (weights ${(e.weightsBytes / 1e6).toFixed(1)}, activations ${(e.activationsBytes / 1e6).toFixed(2)}), session ${(s.memory.total / 1e6).toFixed(1)} MB`);
    within(e.totalBytes, s.memory.total, name);
    s.dispose();
  });
}

test("the default model at batch 4096: the estimate follows the input shape", async () => {
  const file = new URL("../models/wdbc-mlp.enn", import.meta.url).pathname;
  const e = await estimateMemory(file, { inputShapes: { input: [4096, 30] } });
  const s = await load(file);
  s.runSync({ input: new Tensor("float32", new Float32Array(4096 * 30), [4096, 30]) });
  within(e.activationsBytes, s.memory.arena, "activations at batch 4096");
  s.dispose();
});
