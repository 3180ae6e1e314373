// Builds models/wdbc-mlp.enn, the default model, from the weights the training script wrote
// (test/models/wdbc-reference.json, trained in tfjs by scripts/train-wdbc.mjs), with edgenn's own builder.
// Run after `npm run build`: node scripts/make-wdbc-enn.mjs [OUT_FILE]
import { readFileSync, writeFileSync } from "node:fs";
import { dense, sequential } from "../dist/index.js";

const ref = JSON.parse(readFileSync(new URL("../test/models/wdbc-reference.json", import.meta.url), "utf8"));
const w = ref.weights;
const model = sequential(
  [dense(64, w.dense1.activation, { name: "dense1" }), dense(32, w.dense2.activation, { name: "dense2" }), dense(1, w.dense3.activation, { name: "dense3" })],
  { inputShape: [30], inputName: "input", outputName: "output" },
);
for (const name of ["dense1", "dense2", "dense3"]) model.setWeights(name, { kernel: w[name].kernel.flat(), bias: w[name].bias });

const bytes = model.save({
  name: "wdbc-mlp",
  description: "Breast mass fine-needle-aspirate classifier: Dense(64 relu) -> Dense(32 relu) -> Dense(1 sigmoid) on the 30 WDBC features. Output: probability that the mass is malignant. A demonstration model, not a medical device.",
  version: "1.0.0",
  license: "CC-BY-4.0 (trained on the UCI Breast Cancer Wisconsin (Diagnostic) data, Wolberg, Street, Mangasarian 1995)",
  training: { framework: `tfjs-layers ${ref.tfjs_version?.layers ?? ""}`.trim(), script: "scripts/train-wdbc.mjs", test_accuracy: ref.accuracy },
  preprocessing: {
    kind: "standardize",
    note: "z = (x - mean) / std per feature, in float32, before the model",
    feature_names: ref.feature_names,
    mean: ref.standardization.mean,
    std: ref.standardization.std,
  },
  output: { name: "output", meaning: "P(malignant)", threshold: ref.decision_threshold, labels: ["benign", "malignant"] },
});
const out = process.argv[2] ?? new URL("../models/wdbc-mlp.enn", import.meta.url).pathname;
writeFileSync(out, bytes);
console.log(`wrote ${out} (${bytes.length} bytes)`);
