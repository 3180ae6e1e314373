// The demonstration splice-junction model (models/splice-cnn.enn, scripts/splice/): edgenn alone reproduces
// PyTorch's held-out predictions and accuracy, and its probabilities within 1e-4; the splice consensus
// (GT after an EI junction, AG before an IE junction) stands out in its occlusion maps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { explain, load, Tensor } from "../../dist/index.js";
import { CLASSES, oneHot, readSplice } from "../../scripts/splice/data.mjs";
import { consensusRanks } from "../../scripts/splice/consensus.mjs";

const modelUrl = new URL("../../models/splice-cnn.enn", import.meta.url);
const ref = JSON.parse(readFileSync(new URL("../../data/splice/torch-reference.json", import.meta.url), "utf8"));
const { rows, test: held } = readSplice();

test("the file: under 200 KB, labels, encoding, accuracy and licence in its metadata", async () => {
  assert.ok(statSync(modelUrl).size < 200_000);
  const s = await load(modelUrl);
  const m = s.metadata;
  assert.deepEqual(m.output.labels, CLASSES);
  assert.match(m.description, /^Demonstration model/);
  assert.match(m.input.encoding, /A, C, G, T/);
  assert.equal(m.evaluation.held_out_accuracy, ref.accuracy);
  assert.equal(m.license, "MIT");
  assert.match(m.data.license, /CC BY 4\.0/);
  assert.deepEqual(s.inputs[0].shape, ["batch", 4, 60]);
  s.dispose();
});

test("held-out accuracy from the .enn equals PyTorch's, every prediction the same; probabilities within 1e-4", async () => {
  const s = await load(modelUrl);
  assert.equal(held.length, ref.n_test);
  const x = oneHot(held.map((i) => rows[i].sequence));
  const p = (await s.run({ input: new Tensor("float32", x, [held.length, 4, 60]) })).probabilities;
  assert.deepEqual(p.dims, [held.length, 3]);
  const pred = held.map((_, n) => [0, 1, 2].reduce((b, c) => (p.data[n * 3 + c] > p.data[n * 3 + b] ? c : b), 0));
  assert.deepEqual(pred, ref.predictions);
  const correct = held.filter((i, n) => CLASSES[pred[n]] === rows[i].label).length;
  assert.equal(correct, ref.correct);
  assert.ok(correct / held.length >= 0.93, `accuracy ${correct / held.length}`);
  for (const c of ref.cases) {
    const one = (await s.run({ input: new Tensor("float32", oneHot([rows[c.row].sequence]), [1, 4, 60]) })).probabilities.data;
    c.probabilities.forEach((v, k) => assert.ok(Math.abs(one[k] - v) <= 1e-4, `row ${c.row} class ${k}: ${one[k]} vs ${v}`));
  }
  s.dispose();
});

test("occlusion: the GT after EI junctions and the AG before IE junctions are the most important positions", async () => {
  const s = await load(modelUrl);
  // A few held-out cases of each kind (the full measurement is scripts/splice/consensus.mjs, docs/explain.md).
  for (const [label, positions] of [["EI", [30, 31]], ["IE", [28, 29]]]) {
    const cases = held.filter((i) => rows[i].label === label).slice(0, 12).map((i) => rows[i].sequence);
    const { meanRanks } = await consensusRanks(s, cases, label, { window: 1 });
    for (const p of positions) assert.ok(meanRanks[p] <= 2, `${label}: position ${p} ranks ${meanRanks[p]} of 60 in the mean map`);
  }
  s.dispose();
});
