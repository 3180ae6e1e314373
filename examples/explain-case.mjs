// Why did the default model score this case as it did? Feature ablation with explain.occlusion: each feature in
// turn is set to the training mean (0 after standardisation) and the drop in P(malignant) is its contribution.
//   npm run build && node examples/explain-case.mjs [ROW]     (ROW: a held-out row of data/wdbc/breast_cancer.csv)
import { readFileSync } from "node:fs";
import { explain, load, Tensor } from "../dist/index.js";

const data = (path) => readFileSync(new URL(`../data/wdbc/${path}`, import.meta.url), "utf8");
const heldOut = JSON.parse(data("split.json")).test_indices;
const row = Number(process.argv[2] ?? 263); // default: a malignant case the model is less than sure of
if (!heldOut.includes(row)) throw new Error(`row ${process.argv[2]} is not one of the ${heldOut.length} held-out cases (data/wdbc/split.json)`);

const session = await load(new URL("../models/wdbc-mlp.enn", import.meta.url));
const { mean, std, feature_names } = session.metadata.preprocessing;
const cells = data("breast_cancer.csv").trim().split("\n")[row + 1].split(",").map(Number); // line 0 is a header
const x = Float32Array.from(cells.slice(0, 30), (v, j) => (v - mean[j]) / std[j]);

const r = await explain.occlusion(session, { input: new Tensor("float32", x, [1, 30]) }, { baseline: 0 });
console.log(`row ${row} (diagnosis: ${cells[30] === 0 ? "malignant" : "benign"})`);
console.log(`P(malignant) = ${r.target.value.toFixed(4)}`);
console.log("\nContributions: the drop in P(malignant) when the feature is set to the training mean (+ pushes towards malignant)");
console.log(explain.bars(r, { labels: feature_names, top: 8 }));
session.dispose();
