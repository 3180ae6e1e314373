// Model latency: the default MLP (batch 1, as an edge function scores one request, and batch 114), under both
// kernel builds, side by side with tfjs (cpu backend, the reference it was trained with) in the same run.
// Usage: node bench/models.mjs [--json]     (re-spawns itself with --experimental-wasm-relaxed-simd for the relaxed build)
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { load, Tensor, features } from "../dist/index.js";

const json = process.argv.includes("--json");
const child = process.argv.includes("--child");
const ref = JSON.parse(readFileSync(new URL("../test/models/wdbc-reference.json", import.meta.url), "utf8"));
const N = ref.test_indices.length;
const x = Float32Array.from(ref.standardized_features.flat());

/** Median time per call (ms) over `rounds` rounds of enough calls to last ~50 ms each. */
function measure(fn, rounds = 15) {
  for (let i = 0; i < 200; i++) fn();
  let calls = 1;
  for (let t = 0; t < 50; calls *= 2) { const s = performance.now(); for (let i = 0; i < calls; i++) fn(); t = performance.now() - s; }
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const s = performance.now();
    for (let i = 0; i < calls; i++) fn();
    times.push((performance.now() - s) / calls);
  }
  return times.sort((a, b) => a - b)[rounds >> 1];
}

async function edgenn(variant) {
  const s = await load(new URL("../models/wdbc-mlp.enn", import.meta.url), { variant });
  const one = new Tensor("float32", x.slice(0, 30), [1, 30]);
  const all = new Tensor("float32", x, [N, 30]);
  const r = { runtime: `edgenn ${variant}`, batch1_ms: measure(() => s.runSync({ input: one })), batchN_ms_per_case: measure(() => s.runSync({ input: all })) / N };
  s.dispose();
  return r;
}

async function tfjs() {
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-backend-cpu");
  const tfl = await import("@tensorflow/tfjs-layers");
  await tf.setBackend("cpu");
  const dir = new URL("../models/wdbc-mlp.tfjs/", import.meta.url);
  const mj = JSON.parse(readFileSync(new URL("model.json", dir), "utf8"));
  const bin = readFileSync(new URL("weights.bin", dir));
  const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs: mj.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
  const one = tf.tensor2d(x.slice(0, 30), [1, 30]), all = tf.tensor2d(x, [N, 30]);
  const run = (t) => { const y = model.predict(t); y.dataSync(); y.dispose(); };
  return { runtime: `tfjs ${tf.version_core} cpu`, batch1_ms: measure(() => run(one)), batchN_ms_per_case: measure(() => run(all)) / N };
}

if (child) {
  console.log(JSON.stringify(await edgenn("relaxed")));
} else {
  const rows = [await edgenn("simd")];
  try {
    const out = execFileSync(process.execPath, ["--experimental-wasm-relaxed-simd", new URL(import.meta.url).pathname, "--child"], { encoding: "utf8" });
    rows.push(JSON.parse(out.trim().split("\n").pop()));
  } catch (e) {
    rows.push({ runtime: "edgenn relaxed", skipped: `could not run: ${e.message.split("\n")[0]}` });
  }
  rows.push(await tfjs());
  const base = rows[0].batch1_ms;
  if (json) console.log(JSON.stringify({ model: "wdbc-mlp", node: process.version, date: new Date().toISOString(), features: features(), rows }, null, 2));
  else {
    console.log(`MLP Dense(64 relu)-Dense(32 relu)-Dense(1 sigmoid), node ${process.version}`);
    console.log("runtime                 batch 1 (µs)   per case in batch of 114 (µs)   batch-1 time vs edgenn simd");
    for (const r of rows) {
      if (r.skipped) { console.log(`${r.runtime.padEnd(22)}  ${r.skipped}`); continue; }
      console.log(`${r.runtime.padEnd(22)}  ${(r.batch1_ms * 1000).toFixed(2).padStart(12)}   ${(r.batchN_ms_per_case * 1000).toFixed(3).padStart(29)}   ${(r.batch1_ms / base).toFixed(2).padStart(10)}x`);
    }
  }
}
