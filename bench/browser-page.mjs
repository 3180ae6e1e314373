// bench/runtimes.mjs in a browser, with the one-file bundle. window.__result is a promise of the answer.
//   ?cold       page load -> first result of the default model (ms since navigation start, by the page's own clock)
//   ?time       bench/workload.mjs on the fixture models (test/runtimes/fixtures.json); &runs=N for N samples per build
import * as edgenn from "../dist/bundle/edgenn.js";

const params = new URLSearchParams(location.search);

async function coldStart() {
  const imported = performance.now(); // the bundle is a static import: fetched and evaluated by now
  const s = await edgenn.load(new URL("/models/wdbc-mlp.enn", location.href));
  const loaded = performance.now();
  await s.run({ input: new edgenn.Tensor("float32", new Float32Array(30), [1, 30]) });
  const firstResult = performance.now();
  const variant = s.variant;
  s.dispose();
  return { imported, loaded, firstResult, variant };
}

/** The smallest step performance.now() takes here: how far the browser coarsens the clock. */
function clockStep() {
  let step = Infinity;
  for (let i = 0, last = performance.now(); i < 1e5 && step > 0.001; i++) {
    const t = performance.now();
    if (t > last) { step = Math.min(step, t - last); last = t; }
  }
  return +step.toFixed(4);
}

async function timing() {
  const fixtures = await (await fetch("/test/runtimes/fixtures.json")).json();
  const { timeFixtures } = await import("./workload.mjs");
  return { ...await timeFixtures(fixtures, edgenn, { runs: Number(params.get("runs")) || undefined }), clockStepMs: clockStep(), crossOriginIsolated: self.crossOriginIsolated };
}

window.__result = (params.has("cold") ? coldStart() : timing()).catch((e) => ({ error: String(e), stack: e?.stack }));
window.__result.then((r) => { document.body.textContent = JSON.stringify(r); }); // for a look by hand
