// The same model, the same answers, in every runtime: loads the default model, runs the 114 held-out WDBC cases
// (the reference's standardized features) as one batch and one case at a time, and compares the probabilities
// with the tfjs ones saved at training time (1e-5, as test/models/wdbc.test.mjs).
//
// Runtime-neutral: web APIs and the edgenn API only.
//   deno run --allow-read=<repo> test/runtimes/smoke.mjs     bun test/runtimes/smoke.mjs
// run directly, it loads the model by file URL (the loader's own file: handling), reads the reference with fetch
// (Deno and Bun read file: URLs) and prints one JSON line. Hosts without a file system (workerd, browsers) import
// runSmoke and pass the bytes and the parsed reference themselves (test/runtimes/workerd/worker.mjs).
import { Tensor, features, load } from "../../dist/index.js";
import { MODEL_TOLERANCE, runFixtures as checkFixtures } from "./fixture-check.mjs";

export { MODEL_TOLERANCE };
const runFixtures = (fixtures, options) => checkFixtures(fixtures, options, { load, Tensor });

export const TOLERANCE = 1e-5;
/** The name of the runtime this runs in. */
export function runtimeName() {
  const g = globalThis;
  if (g.Deno?.version?.deno) return `deno ${g.Deno.version.deno}`;
  if (g.Bun?.version) return `bun ${g.Bun.version}`;
  if (g.navigator?.userAgent === "Cloudflare-Workers") return "workerd";
  if (g.process?.versions?.node) return `node ${g.process.versions.node}`;
  return g.navigator?.userAgent ?? "unknown";
}

/**
 * Runs the held-out cases. `model`: anything `load` takes (bytes, URL, path); `reference`: the parsed
 * test/models/wdbc-reference.json; `options`: load options (e.g. `sources` for workers).
 * Returns { runtime, variant, features, cases, maxAbsDiffVsTfjs, ok, ms } (ms: load + both runs, where the clock moves).
 */
export async function runSmoke({ model, reference, fixtures, options = {}, runtime = runtimeName() }) {
  const t0 = performance.now();
  const n = reference.probabilities.length;
  const x = Float32Array.from(reference.standardized_features.flat());
  const expected = reference.probabilities;
  const session = await load(model, options);
  try {
    let worst = 0;
    let bad = 0; // NaN, wrong length, batch and single runs disagreeing
    const track = (got, i) => {
      const d = Math.abs(got - expected[i]);
      if (d > worst) worst = d;
      if (!(d <= TOLERANCE)) bad++;
    };
    const batch = (await session.run({ input: new Tensor("float32", x, [n, 30]) })).output;
    if (batch.data.length !== n || batch.dims.join() !== `${n},1`) bad++;
    for (let i = 0; i < n; i++) track(batch.data[i], i);
    for (let i = 0; i < n; i++) {
      const one = (await session.run({ input: new Tensor("float32", x.subarray(i * 30, i * 30 + 30), [1, 30]) })).output.data[0];
      track(one, i);
      if (one !== batch.data[i]) bad++;
    }
    const models = fixtures ? await runFixtures(fixtures, options) : [];
    const ok = n === 114 && x.length === n * 30 && bad === 0 && worst <= TOLERANCE && models.every((m) => m.ok);
    return { runtime, variant: session.variant, features: features(), cases: n, maxAbsDiffVsTfjs: worst, models, ok, ms: +(performance.now() - t0).toFixed(1) };
  } finally {
    session.dispose();
  }
}

// Run directly in Deno or Bun (whose fetch reads file: URLs). Not in Node: `node --test test/` runs every .mjs
// under test/, and Node's own check imports runSmoke (test/runtimes.test.mjs).
if (import.meta.main && (globalThis.Deno || globalThis.Bun)) {
  const line = await (async () => {
    try {
      const reference = await (await fetch(new URL("../models/wdbc-reference.json", import.meta.url))).json();
      const fixtures = await (await fetch(new URL("./fixtures.json", import.meta.url))).json();
      return await runSmoke({ model: new URL("../../models/wdbc-mlp.enn", import.meta.url), reference, fixtures });
    } catch (e) {
      return { runtime: runtimeName(), ok: false, error: String(e?.stack ?? e) };
    }
  })();
  console.log(JSON.stringify(line));
}
