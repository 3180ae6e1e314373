// The timing loop of `npm run bench:runtimes`, one copy for every host: Node, Deno and Bun run it through
// bench/runtime-workload.mjs, Chromium and Firefox through bench/browser-page.mjs. The caller passes edgenn's
// `load`, `Tensor` and `features` (the modules or the one-file bundle) and the fixtures (test/runtimes/fixtures.mjs).
import { runFixtures } from "../test/runtimes/fixture-check.mjs";

const fromBase64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Median ms per inference of each fixture model with each kernel build the engine supports (relaxed only where
 * features().relaxedSimd), and the relaxed build's speed-up. Each build is first checked against onnxruntime-node's
 * output. The builds take turns sample by sample, so other jobs on the machine slow both alike. A sample is as many back-to-back runs as fill
 * `sampleMs`: browsers coarsen performance.now() (100 µs in Chromium, 1 ms in Firefox unless cross-origin isolated).
 */
export async function timeFixtures(fixtures, edgenn, { runs = 51, warmup = 5, sampleMs = 5 } = {}) {
  const { load, Tensor, features } = edgenn;
  const variants = features().relaxedSimd ? ["simd", "relaxed"] : ["simd"];
  const out = { features: features(), models: {} };
  for (const f of fixtures) {
    const feeds = { [f.input.name]: new Tensor("float32", Float32Array.from(f.input.data), f.input.dims) };
    const sessions = {};
    for (const variant of variants) {
      const [check] = await runFixtures([f], { variant }, edgenn);
      if (!check.ok) throw new Error(`${f.name} (${variant} build) differs from onnxruntime-node by ${check.maxAbsDiff}`);
      sessions[variant] = await load(fromBase64(f.enn), { variant });
      if (sessions[variant].variant !== variant) throw new Error(`asked for the ${variant} build, got ${sessions[variant].variant}`);
    }
    let reps = 1;
    for (const s of Object.values(sessions)) {
      for (let i = 0; i < warmup; i++) s.runSync(feeds);
      let n = 0;
      for (const t0 = performance.now(); performance.now() - t0 < sampleMs; n++) s.runSync(feeds);
      reps = Math.max(reps, n);
    }
    const ms = Object.fromEntries(variants.map((v) => [v, []]));
    for (let i = 0; i < runs; i++) {
      for (const v of variants) {
        const t0 = performance.now();
        for (let r = 0; r < reps; r++) sessions[v].runSync(feeds);
        ms[v].push((performance.now() - t0) / reps);
      }
    }
    out.models[f.name] = { runsPerSample: reps };
    for (const v of variants) {
      out.models[f.name][v] = +median(ms[v]).toFixed(3);
      sessions[v].dispose();
    }
    // Median of the per-sample ratios: neighbouring samples saw the same load, so this drifts less than the medians.
    if (ms.relaxed) out.models[f.name].gain = +median(ms.simd.map((t, i) => t / ms.relaxed[i])).toFixed(3);
  }
  return out;
}
