// Browser check run by test/browser.test.mjs: the one-file bundle finds its kernel binary next to itself, loads the
// default model by URL (the fetch path of the loader) and matches the tfjs reference probabilities within 1e-5.
// Also reports what the server sent for the .wasm and whether instantiateStreaming-style compilation accepts it,
// so the wrong-MIME run can show that the loader does not depend on the MIME type.
const out = document.getElementById("out");
if (location.search === "?threads") await import("./threads-page.mjs"); // page.html?threads: the threads check instead
else try {
  const { load, loadInWorker, Tensor, features } = await import("../../dist/bundle/edgenn.js");
  const { runFixtures } = await import("../runtimes/fixture-check.mjs");
  const ref = await (await fetch("/test/models/wdbc-reference.json")).json();
  const n = ref.test_indices.length;
  const x = Float32Array.from(ref.standardized_features.flat());
  if (x.length !== n * 30) throw new Error(`reference has ${x.length} inputs, expected ${n * 30}`);

  const s = await load(new URL("/models/wdbc-mlp.enn", location.href));
  const { output } = await s.run({ input: new Tensor("float32", x, [n, 30]) });
  let maxDiff = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(output.data[i] - ref.probabilities[i]);
    if (!(d <= maxDiff)) maxDiff = d; // NaN propagates
  }
  const variant = s.variant;
  s.dispose();

  // How the server served the kernel binary, and what WebAssembly.compileStreaming (the strict, MIME-checking
  // path) makes of it: a TypeError under a wrong MIME type.
  const wasmUrl = new URL(`../../dist/bundle/edgenn-${variant}.wasm`, import.meta.url);
  const wasmContentType = (await fetch(wasmUrl)).headers.get("content-type");
  let streaming = "ok";
  try {
    await WebAssembly.compileStreaming(fetch(wasmUrl));
  } catch (e) {
    streaming = `${e.name}: ${e.message}`;
  }

  // The conv and LSTM models (made by test/runtimes/fixtures.mjs) against onnxruntime-node's outputs.
  const fixtures = await (await fetch("/test/runtimes/fixtures.json")).json();
  const models = await runFixtures(fixtures, {}, { load, Tensor });
  // The same off the main thread: loadInWorker starts dist/bundle/edgenn-worker.js (a Web Worker); and a worker
  // that cannot start (its script is missing) fails the load with a clear error instead of leaving it pending.
  const workerModels = await runFixtures(fixtures, {}, { load: loadInWorker, Tensor });
  const brokenWorker = await loadInWorker(new URL("/models/wdbc-mlp.enn", location.href), { worker: new Worker("/no-such-worker.js", { type: "module" }) })
    .then(() => "loaded", (e) => `${e.code}: ${e.message}`);
  window.__result = {
    variant, maxDiff, n, ok: maxDiff <= 1e-5, models, workerModels, brokenWorker, crossOriginIsolated: self.crossOriginIsolated,
    dims: output.dims, features: features(), wasmContentType, streaming,
  };
} catch (e) {
  window.__result = { error: String(e), stack: e?.stack };
}
out.textContent = JSON.stringify(window.__result, null, 2);
