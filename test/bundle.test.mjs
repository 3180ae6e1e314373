// The one-file bundle (dist/bundle/edgenn.js, made by rollup) runs the default model like the modules do.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

test("the rollup bundle loads the default model and matches tfjs within 1e-5", async () => {
  const { load, Tensor } = await import("../dist/bundle/edgenn.js");
  const ref = JSON.parse(readFileSync(new URL("./models/wdbc-reference.json", import.meta.url), "utf8"));
  const x = Float32Array.from(ref.standardized_features.flat());
  const s = await load(readFileSync(new URL("../models/wdbc-mlp.enn", import.meta.url)));
  const p = (await s.run({ input: new Tensor("float32", x, [x.length / 30, 30]) })).output.data;
  const worst = Math.max(...ref.probabilities.map((q, i) => Math.abs(q - p[i])));
  assert.ok(worst <= 1e-5, `max |diff| ${worst}`);
  s.dispose();
});

test("the bundle's threads: its worker and threaded binaries are found next to it, and 2 threads give 1 thread's answers", async () => {
  const { load, Tensor } = await import("../dist/bundle/edgenn.js");
  const bytes = readFileSync(new URL("../models/wdbc-mlp.enn", import.meta.url));
  const x = new Tensor("float32", Float32Array.from({ length: 60 }, (_, i) => Math.sin(i)), [2, 30]);
  const answers = [];
  for (const threads of [1, 2]) {
    const s = await load(bytes, { threads });
    assert.equal(s.threads, threads);
    answers.push([...(await s.run({ input: x })).output.data]);
    s.dispose();
  }
  assert.deepEqual(answers[1], answers[0]);
});

test("size budget: each kernel binary under 300 KB, the minified runtime bundle under 180 KB (raw)", async () => {
  const { readdirSync, statSync } = await import("node:fs");
  const dir = new URL("../dist/bundle/", import.meta.url);
  const size = (f) => statSync(new URL(f, dir)).size;
  for (const f of ["edgenn-simd.wasm", "edgenn-relaxed.wasm", "edgenn-scalar.wasm", "edgenn-simd-mt.wasm", "edgenn-relaxed-mt.wasm"]) assert.ok(size(f) < 300_000, `${f}: ${size(f)} bytes`);
  // The bundle a page loads for .enn models: the entry and every chunk it imports statically (not the importers).
  const js = readdirSync(dir).filter((f) => f.endsWith(".js") && !/onnx|tfjs|keras/.test(f));
  const total = js.reduce((a, f) => a + size(f), 0);
  assert.ok(total < 180_000, `${js.join(" + ")}: ${total} bytes`);
});

test("the bundle imports no Node module by a literal name (a worker without nodejs_compat would refuse it at load)", async () => {
  const { readdirSync } = await import("node:fs");
  const dir = new URL("../dist/bundle/", import.meta.url);
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".js"))) {
    const text = readFileSync(new URL(f, dir), "utf8");
    assert.doesNotMatch(text, /(import\(|from)\s*["']node:/, f);
  }
});

test("in Node, Deno and Bun the package resolves to the bundle (one file: import + load of an ONNX model 3-4x faster than the modules' ~90 ms), and its importers share its classes", async () => {
  assert.match(import.meta.resolve("edgenn"), /\/dist\/bundle\/edgenn\.js$/);
  assert.match(import.meta.resolve("edgenn/onnx"), /\/dist\/bundle\/edgenn-onnx\.js$/);
  assert.match(import.meta.resolve("edgenn/tfjs"), /\/dist\/bundle\/edgenn-tfjs\.js$/);
  const { EdgennError, Tensor, load, loadInWorker } = await import("edgenn");
  const { importOnnx } = await import("edgenn/onnx");
  // One copy of each class: an error thrown by the importer subpath is the package's EdgennError.
  assert.throws(() => importOnnx(new Uint8Array([1, 2, 3, 4, 5])), (e) => e instanceof EdgennError && e.code === "BAD_FILE");
  const bytes = readFileSync(new URL("../models/wdbc-mlp.enn", import.meta.url));
  const x = new Tensor("float32", Float32Array.from({ length: 60 }, (_, i) => Math.cos(i)), [2, 30]);
  const [remote, local] = await Promise.all([loadInWorker(bytes), load(bytes)]); // the worker script beside the bundle
  assert.deepEqual([...(await remote.run({ input: x })).output.data], [...(await local.run({ input: x })).output.data]);
  await remote.dispose();
  local.dispose();
});
