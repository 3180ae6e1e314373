// Score one breast-mass case with the default model, as an edge function or a web page would:
// raw measurements in, standardised with the constants stored in the model file, probability out.
//   npm run build && node examples/score-one-case.mjs
import { load, Tensor } from "../dist/index.js";

const session = await load(new URL("../models/wdbc-mlp.enn", import.meta.url));
const { mean, std, feature_names } = session.metadata.preprocessing;

// Row 0 of data/wdbc/breast_cancer.csv (diagnosed malignant).
const raw = [17.99, 10.38, 122.8, 1001, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871, 1.095, 0.9053, 8.589, 153.4,
  0.006399, 0.04904, 0.05373, 0.01587, 0.03003, 0.006193, 25.38, 17.33, 184.6, 2019, 0.1622, 0.6656, 0.7119, 0.2654, 0.4601, 0.1189];
if (raw.length !== feature_names.length) throw new Error(`expected ${feature_names.length} features`);
const x = Float32Array.from(raw, (v, j) => (v - mean[j]) / std[j]);

const { output } = await session.run({ input: new Tensor("float32", x, [1, 30]) });
const p = output.data[0];
console.log(`P(malignant) = ${p.toFixed(4)} -> ${p >= session.metadata.output.threshold ? "malignant" : "benign"}`);
session.dispose();
