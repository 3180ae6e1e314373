// Shared by the TF.js importer tests: seeded tfjs-layers initializers, saving a model to the layers format in
// memory (tf.io.withSaveHandler), and `check`, which imports it, runs edgenn and tfjs's model.predict on the same
// random inputs and compares every output.
// Tolerance: |edgenn - tfjs| <= 1e-4 * max(|tfjs|, 1e-3) for every output element (relative 1e-4, with an
// absolute floor of 1e-7 near zero). The max relative error of each model is reported as a test diagnostic.
import assert from "node:assert/strict";
import * as tfl from "@tensorflow/tfjs-layers";
import { InferenceSession, Tensor } from "../../dist/index.js";
import { importTfjsLayers } from "../../dist/importers/tfjs.js";
import { initTf, tf } from "../ops/harness.mjs";
import { uniform } from "../prng.mjs";

export { tf, tfl, initTf, importTfjsLayers };

export const REL = 1e-4, FLOOR = 1e-3;
let seed = 1;
export const gu = () => tfl.initializers.glorotUniform({ seed: seed++ });
export const ru = (lo = -0.5, hi = 0.5) => tfl.initializers.randomUniform({ minval: lo, maxval: hi, seed: seed++ });
export const init = () => ({ kernelInitializer: gu(), biasInitializer: ru() });

export async function save(model) {
  let art;
  await model.save(tf.io.withSaveHandler(async (a) => { art = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } }; }));
  const modelJson = { format: art.format, generatedBy: art.generatedBy, convertedBy: art.convertedBy, modelTopology: art.modelTopology, weightsManifest: [{ paths: ["weights.bin"], weights: art.weightSpecs }] };
  return { modelJson, weightData: new Uint8Array(art.weightData) };
}

export function randomInput(shape, s) {
  const r = uniform(s);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
}

/** Max relative error (as in the tolerance) of a vs b; asserts the tolerance. */
export function compare(a, b, what) {
  assert.equal(a.length, b.length, `${what}: ${a.length} values vs ${b.length}`);
  let worst = 0, at = -1;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), FLOOR);
    if (!(e <= worst)) { worst = e; at = i; }
  }
  assert.ok(worst <= REL, `${what}: max relative error ${worst} at ${at} (${a[at]} vs ${b[at]})`);
  return worst;
}

/**
 * Imports the model, runs edgenn and tfjs on the same inputs at batch `batch` (other unknown dims: `free`),
 * compares every output; the diagnostic names the output with the largest error.
 */
export async function check(t, model, { batch = 3, free = 5, weights, modelJson: mj, seedIn = 7 } = {}) {
  await initTf();
  const saved = mj ? { modelJson: mj, weightData: weights } : await save(model);
  const { graph, metadata } = importTfjsLayers(saved.modelJson, saved.weightData);
  assert.equal(metadata.format, "tfjs-layers");
  const session = await InferenceSession.fromGraph(graph, { metadata });
  const feeds = {}, tfIns = [];
  model.inputs.forEach((inp, i) => {
    const shape = [batch, ...inp.shape.slice(1).map((d) => d ?? free)];
    const data = randomInput(shape, seedIn + i);
    feeds[session.inputNames[i]] = new Tensor("float32", data, shape);
    tfIns.push(tf.tensor(data, shape));
  });
  assert.equal(session.inputs[0].shape[0], "batch");
  const out = await session.run(feeds);
  let pred = model.predict(tfIns.length === 1 ? tfIns[0] : tfIns);
  if (!Array.isArray(pred)) pred = [pred];
  assert.equal(session.outputNames.length, pred.length);
  let worst = 0, where = "";
  session.outputNames.forEach((name, i) => {
    assert.deepEqual(out[name].dims, pred[i].shape, `output ${name}: shape`);
    const e = compare(out[name].data, pred[i].dataSync(), `output ${name}`);
    if (e >= worst) { worst = e; where = name; }
  });
  t.diagnostic(`max relative error ${worst.toExponential(2)}${session.outputNames.length > 1 ? ` (output ${where})` : ""}`);
  session.dispose();
  tf.dispose([...tfIns, ...pred]);
  return { graph, worst };
}

export const rnnInit = () => ({ kernelInitializer: gu(), recurrentInitializer: gu(), biasInitializer: ru() });

export function toHalf(x) {
  const f = new Float32Array([x]), u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000, exp = ((u >>> 23) & 0xff) - 127 + 15, mant = u & 0x7fffff;
  if (exp <= 0) return sign | Math.round((mant | 0x800000) / 2 ** (14 - exp)); // subnormal (tiny weights)
  if (exp >= 31) return sign | 0x7c00;
  let h = sign | (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return h;
}
