// Runtime-neutral timing of the fixture models (test/runtimes/fixtures.json: the DNA CNN and the ECG LSTM as .enn,
// made by the runtimes test) with each kernel build the engine supports, the scalar one included, interleaved. Prints one JSON line. Run by
// bench/runtimes.mjs under Node, Deno and Bun.
import { Tensor, features, load } from "../dist/index.js";

const fromBase64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
// node:fs/promises: Node, Deno and Bun all have it (Node's fetch does not read file: URLs).
const { readFile } = await import("node:fs/promises");
const fixtures = JSON.parse(await readFile(new URL("../test/runtimes/fixtures.json", import.meta.url), "utf8"));
const runs = 25;
const out = { features: features(), models: {} };
for (const f of fixtures) {
  out.models[f.name] = {};
  const variants = ["scalar", "simd", ...(features().relaxedSimd ? ["relaxed"] : [])];
  const feeds = { [f.input.name]: new Tensor("float32", Float32Array.from(f.input.data), f.input.dims) };
  const sessions = await Promise.all(variants.map((variant) => load(fromBase64(f.enn), { variant })));
  for (const s of sessions) for (let i = 0; i < 5; i++) s.runSync(feeds);
  // interleaved: one run of each build per round, so load changes hit every build alike
  const ms = variants.map(() => []);
  for (let i = 0; i < runs; i++) {
    sessions.forEach((s, v) => { const t = performance.now(); s.runSync(feeds); ms[v].push(performance.now() - t); });
  }
  variants.forEach((variant, v) => {
    ms[v].sort((a, b) => a - b);
    out.models[f.name][variant] = +ms[v][runs >> 1].toFixed(3);
    sessions[v].dispose();
  });
}
console.log(JSON.stringify(out));
