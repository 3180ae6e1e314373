// Node's own answers for the example tests: the default model run by session.run in this process, with the
// standardisation written out again here (float32, as the model's metadata says) rather than taken from
// examples/shared/wdbc.mjs, so a slip in the shared module shows up as a difference.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { features, load, Tensor } from "../../dist/index.js";
import { heldOutCases } from "../../examples/shared/wdbc.mjs";

export const REPO = new URL("../../", import.meta.url);
/** How far apart the SIMD and relaxed-SIMD (fused multiply-add) builds may put a probability. */
export const CROSS_BUILD_TOLERANCE = 1e-6;

/** The 114 held-out cases: [{ id, row, features, diagnosis }]. */
export const cases = () => heldOutCases(
  readFileSync(new URL("data/wdbc/breast_cancer.csv", REPO), "utf8"),
  JSON.parse(readFileSync(new URL("data/wdbc/split.json", REPO), "utf8")),
);

/**
 * A session answering as the other runtime should, on the kernel build it ran (`variant`). Node 20 runs the relaxed
 * build only with --experimental-wasm-relaxed-simd; without it the answers come from the SIMD build and `exact` is
 * false (compare within CROSS_BUILD_TOLERANCE). Returns { exact, variant, answer(raw) → { probability, label }, dispose }.
 */
export async function nodeAnswers(variant) {
  const exact = variant === "simd" || features().relaxedSimd;
  const session = await load(new URL("models/wdbc-mlp.enn", REPO), { variant: exact ? variant : "simd" });
  const { preprocessing: { mean, std }, output: { threshold, labels } } = session.metadata;
  const [m, s] = [new Float32Array(mean), new Float32Array(std)];
  return {
    exact,
    variant: session.variant,
    answer(raw) {
      const x = new Float32Array(raw);
      for (let j = 0; j < x.length; j++) x[j] = Math.fround(x[j] - m[j]) / s[j]; // stored as float32 again
      const probability = session.runSync({ input: new Tensor("float32", x, [1, 30]) }).output.data[0];
      return { probability, label: labels[probability >= threshold ? 1 : 0] };
    },
    dispose: () => session.dispose(),
  };
}

/** `got` ({ probability, label } from an example) is Node's answer `want`: bit for bit when `exact`. */
export function assertSameAnswer(got, want, exact, what) {
  if (exact) assert.equal(got.probability, want.probability, `${what}: P ${got.probability}, Node says ${want.probability}`);
  else assert.ok(Math.abs(got.probability - want.probability) <= CROSS_BUILD_TOLERANCE, `${what}: P ${got.probability}, Node (other build) says ${want.probability}`);
  assert.equal(got.label, want.label, `${what}: label`);
}
