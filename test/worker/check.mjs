// loadInWorker in any runtime with workers (Deno, Bun, Node; browsers run the same through test/browser/page.mjs):
// the default model and the conv and LSTM fixtures run in a worker must give exactly what load() gives in this
// thread (the same kernels on the same bytes), and the fixtures must match onnxruntime-node (1e-4). Prints one
// JSON line.
//   deno run --allow-read=<repo> test/worker/check.mjs      bun test/worker/check.mjs      node test/worker/check.mjs
import { Tensor, load, loadInWorker } from "../../dist/index.js";
import { runFixtures } from "../runtimes/fixture-check.mjs";
import { runtimeName } from "../runtimes/smoke.mjs";

const here = (p) => new URL(p, import.meta.url);
const fixtures = await (await fetch(here("../runtimes/fixtures.json"))).json();
const model = here("../../models/wdbc-mlp.enn");
const x = new Tensor("float32", Float32Array.from({ length: 5 * 30 }, (_, i) => Math.sin(i * 0.37)), [5, 30]);
const kept = x.data.slice();

const phases = [];
const inWorker = await loadInWorker(model, { onProgress: (p) => phases.push(p.phase) });
const here_ = await load(model);
const a = (await inWorker.run({ input: x })).output, b = (await here_.run({ input: x })).output;
here_.dispose();
await inWorker.dispose();
let disposedError;
try { await inWorker.run({ input: x }); } catch (e) { disposedError = e.code; }

const models = await runFixtures(fixtures, {}, { load: loadInWorker, Tensor });
console.log(JSON.stringify({
  runtime: runtimeName(), variant: inWorker.variant, phases,
  sameAsThisThread: a.dims.join() === b.dims.join() && a.data.every((v, i) => v === b.data[i]),
  inputUnchanged: x.data.every((v, i) => v === kept[i]), disposedError, models,
}));
