// The default model against independent implementations: the tfjs outputs saved at training time, and
// tfjs re-run live on the saved tfjs model. Inputs are the 114 real held-out WDBC cases.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { InferenceSession, Tensor, load, parseGraph, readEnn } from "../../dist/index.js";

const ref = JSON.parse(readFileSync(new URL("./wdbc-reference.json", import.meta.url), "utf8"));
const modelUrl = new URL("../../models/wdbc-mlp.enn", import.meta.url);
const N = ref.test_indices.length;
// Tolerance: 1e-5 absolute on probabilities (the bar); logits 1e-5 relative + 1e-5 absolute.
const PROB_TOL = 1e-5;

function standardized() {
  const [mean, std] = [ref.standardization.mean, ref.standardization.std].map((a) => a.map(Math.fround)); // float32 values stored as shortest decimals
  const x = new Float32Array(N * 30);
  ref.raw_features.forEach((row, i) => row.forEach((v, j) => { x[i * 30 + j] = Math.fround(Math.fround(Math.fround(v) - mean[j]) / std[j]); }));
  return x;
}

function maxDiff(a, b) {
  let worst = { diff: 0, at: -1 };
  for (let i = 0; i < b.length; i++) { const d = Math.abs(a[i] - b[i]); if (!(d <= worst.diff)) worst = { diff: d, at: i }; }
  return worst;
}

test("standardisation in the file's metadata reproduces the reference inputs", async () => {
  const s = await load(modelUrl);
  assert.deepEqual(s.metadata.preprocessing.mean, ref.standardization.mean);
  assert.deepEqual(s.metadata.preprocessing.std, ref.standardization.std);
  assert.deepEqual(standardized(), Float32Array.from(ref.standardized_features.flat()));
  s.dispose();
});

test("probabilities match tfjs within 1e-5, one case at a time and as a batch", async () => {
  const s = await load(modelUrl);
  const x = standardized();
  const batch = (await s.run({ input: new Tensor("float32", x, [N, 30]) })).output;
  assert.deepEqual(batch.dims, [N, 1]);
  const w = maxDiff(batch.data, ref.probabilities);
  assert.ok(w.diff <= PROB_TOL, `batch: max |diff| ${w.diff} at case ${w.at}`);
  for (let i = 0; i < N; i++) {
    const one = (await s.run({ input: new Tensor("float32", x.slice(i * 30, i * 30 + 30), [1, 30]) })).output.data[0];
    assert.ok(Math.abs(one - ref.probabilities[i]) <= PROB_TOL, `case ${i}: ${one} vs ${ref.probabilities[i]}`);
    assert.equal(one, batch.data[i], `case ${i}: batch-1 and batch-${N} results differ`);
  }
  s.dispose();
});

test("logits (before the sigmoid) match tfjs within 1e-5 relative", async () => {
  // Probabilities saturate at 1 for confident cases; logits show any arithmetic error there.
  const file = readEnn(readFileSync(modelUrl));
  const graph = parseGraph(file.graph, new Map([...file.tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data }])));
  graph.nodes.at(-1).attrs.activation = "linear";
  const s = await InferenceSession.fromGraph(graph);
  const out = (await s.run({ input: new Tensor("float32", standardized(), [N, 30]) })).output.data;
  for (let i = 0; i < N; i++) {
    const tol = 1e-5 + 1e-5 * Math.abs(ref.logits[i]);
    assert.ok(Math.abs(out[i] - ref.logits[i]) <= tol, `case ${i}: logit ${out[i]} vs tfjs ${ref.logits[i]}`);
  }
  s.dispose();
});

test("tfjs run live on the saved tfjs model agrees with edgenn", async () => {
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-backend-cpu");
  const tfl = await import("@tensorflow/tfjs-layers");
  await tf.setBackend("cpu");
  const dir = new URL("../../models/wdbc-mlp.tfjs/", import.meta.url);
  const json = JSON.parse(readFileSync(new URL("model.json", dir), "utf8"));
  const bin = readFileSync(new URL("weights.bin", dir));
  const model = await tfl.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
  }));
  const x = standardized();
  const expected = await model.predict(tf.tensor2d(x, [N, 30])).data();
  const s = await load(modelUrl);
  const got = (await s.run({ input: new Tensor("float32", x, [N, 30]) })).output.data;
  const w = maxDiff(got, expected);
  assert.ok(w.diff <= PROB_TOL, `max |diff| ${w.diff} at case ${w.at}`);
  s.dispose();
});

test("accuracy on the held-out split is what training reported", async () => {
  const s = await load(modelUrl);
  const p = (await s.run({ input: new Tensor("float32", standardized(), [N, 30]) })).output.data;
  const correct = ref.labels.filter((y, i) => (p[i] >= 0.5 ? 1 : 0) === y).length;
  assert.equal(correct / N, ref.accuracy);
  s.dispose();
});

test("models/wdbc-mlp.enn is what scripts/make-wdbc-enn.mjs builds from the reference weights", () => {
  const rebuilt = join(mkdtempSync(join(tmpdir(), "edgenn-")), "wdbc.enn");
  execFileSync(process.execPath, [new URL("../../scripts/make-wdbc-enn.mjs", import.meta.url).pathname, rebuilt], { stdio: "pipe" });
  assert.ok(Buffer.compare(readFileSync(modelUrl), readFileSync(rebuilt)) === 0, "the committed model differs from a rebuild: run node scripts/make-wdbc-enn.mjs");
});
