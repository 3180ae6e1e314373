// Runtime-neutral timing of the fixture models (test/runtimes/fixtures.json: the DNA CNN and the ECG LSTM as .enn,
// made by the runtimes test) with each kernel build the engine supports. Prints one JSON line. Run by
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
  for (const variant of features().relaxedSimd ? ["simd", "relaxed"] : ["simd"]) {
    const s = await load(fromBase64(f.enn), { variant });
    const feeds = { [f.input.name]: new Tensor("float32", Float32Array.from(f.input.data), f.input.dims) };
    for (let i = 0; i < 5; i++) s.runSync(feeds);
    const ms = [];
    for (let i = 0; i < runs; i++) { const t = performance.now(); s.runSync(feeds); ms.push(performance.now() - t); }
    ms.sort((a, b) => a - b);
    out.models[f.name][variant] = +ms[runs >> 1].toFixed(3);
    s.dispose();
  }
}
console.log(JSON.stringify(out));
