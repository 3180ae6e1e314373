// The breast-cancer model with its reasons: P(malignant) and how much each of the 30 measurements moved it, by
// occlusion against the training mean (the feature set to its mean, 0 after standardisation, and the drop in
// P(malignant) recorded). Shared by the clinic page's tabular panel, the triage edge worker and their tests; the
// caller passes in edgenn's explain and Tensor.
import { featureError, N_FEATURES } from "../../shared/wdbc.mjs";

/**
 * → { probability, label, contributions: [{ feature, value, contribution }] in the model's feature order, top: the
 * `top` largest |contribution| first }. `features` are the 30 raw measurements; a bad one throws a TypeError.
 */
export async function triage(session, { explain, Tensor }, features, { top = 5 } = {}) {
  const error = featureError(features);
  if (error) throw new TypeError(error);
  const { preprocessing: { mean, std, feature_names: names }, output = {} } = session.metadata;
  const { threshold = 0.5, labels = ["benign", "malignant"] } = output;
  // Standardised in float32, as the model was trained (and as examples/shared/wdbc.mjs's scorer does).
  const x = Float32Array.from(features, (v, j) => Math.fround(Math.fround(v) - Math.fround(mean[j])) / Math.fround(std[j]));
  const r = await explain.occlusion(session, { input: new Tensor("float32", x, [1, N_FEATURES]) }, { baseline: 0 });
  const probability = r.target.value;
  const contributions = names.map((feature, j) => ({ feature, value: features[j], contribution: r.map[j] }));
  const ranked = [...contributions].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  return { probability, label: labels[probability >= threshold ? 1 : 0], threshold, contributions, top: ranked.slice(0, top) };
}
