// transformer_text (PyTorch 1.13's nn.TransformerEncoder exported at opset 13) end to end: edgenn against
// onnxruntime-node on the real input, and against PyTorch's own output. The export's shape arithmetic (the q/k/v
// slice bounds from Shape -> Gather -> Add/Div/Mul on int64) is folded by the importer.
//
//   node scripts/transformer-e2e.mjs [--bench]
// Prints the fusion report, the max abs/rel error against onnxruntime and PyTorch, and with --bench the median
// and minimum latency of edgenn, onnxruntime-node and onnxruntime-web (wasm, 1 thread) in the same run. Exits 1
// when an error is above 1e-4 relative to the output's scale.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureModels, readNpy } from "./models.mjs";

const ort = await import("onnxruntime-node");

function compare(label, got, ref) {
  let maxAbs = 0, scale = 0;
  for (let i = 0; i < ref.length; i++) { maxAbs = Math.max(maxAbs, Math.abs(got[i] - ref[i])); scale = Math.max(scale, Math.abs(ref[i])); }
  console.log(`${label.padEnd(24)} max |diff| ${maxAbs.toExponential(2)}, relative to max |ref| ${(maxAbs / scale).toExponential(2)}  (edgenn [${Array.from(got, (x) => x.toFixed(6))}])`);
  return maxAbs / scale;
}

/** The model, its input as edgenn and onnxruntime feeds, and PyTorch's output. */
export function transformerText() {
  const { dir, manifest } = ensureModels();
  const m = manifest.models.transformer_text;
  const input = readNpy(join(dir, m.inputs[0].file));
  const { name, shape } = m.inputs[0];
  return {
    dir, name, shape, bytes: readFileSync(join(dir, m.onnx)), ids: BigInt64Array.from(input.data),
    ortFeeds: { [name]: new ort.Tensor("int64", BigInt64Array.from(input.data), shape) }, torch: readNpy(join(dir, m.torch_output)).data,
  };
}

async function main() {
  const { load, Tensor } = await import("../dist/index.js");
  const { name, shape, bytes, ids: idData, ortFeeds, torch } = transformerText();
  const feeds = { [name]: new Tensor("int64", idData, shape) };
  const session = await load(bytes);
  console.log("fusion:", JSON.stringify(session.fusion));
  const y = session.runSync(feeds).output.data;
  const ref = (await (await ort.InferenceSession.create(bytes)).run(ortFeeds)).output.data;
  const worst = Math.max(compare("vs onnxruntime-node", y, ref), compare("vs PyTorch", y, torch));
  if (process.argv.includes("--bench")) await bench(session, feeds, bytes, idData, shape, name, ortFeeds);
  session.dispose();
  if (!(worst <= 1e-4)) { console.error(`error ${worst} is above 1e-4`); process.exit(1); }
}

async function bench(session, feeds, bytes, idData, shape, name, ortFeeds) {
  const ortWeb = await import("onnxruntime-web");
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.logLevel = "error";
  const web = await ortWeb.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  const webFeeds = { [name]: new ortWeb.Tensor("int64", BigInt64Array.from(idData), shape) };
  const nodeOne = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  // One call of each runtime in turn, so that load from other processes hits every runtime alike; the median
  // of all calls, and the minimum (the least disturbed call: on a shared machine the steadier figure).
  const web1 = "onnxruntime-web wasm 1 thread";
  const runs = { edgenn: () => session.runSync(feeds), [web1]: () => web.run(webFeeds), "onnxruntime-node 1 thread": () => nodeOne.run(ortFeeds) };
  const rows = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (let i = 0; i < 10; i++) for (const f of Object.values(runs)) await f();
  for (let i = 0; i < 200; i++) {
    for (const [k, f] of Object.entries(runs)) {
      const t = performance.now();
      await f();
      rows[k].push(performance.now() - t);
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const [baseMed, baseMin] = [med(rows[web1]), Math.min(...rows[web1])];
  console.log(`\ntransformer_text (2 layers, seq 128, d 128, 4 heads), edgenn ${session.variant} build, node ${process.version}`);
  console.log(`${"".padEnd(32)} ${"median".padStart(9)} ${"min".padStart(9)}   vs onnxruntime-web (median, min)`);
  for (const [runtime, xs] of Object.entries(rows)) {
    console.log(`${runtime.padEnd(32)} ${med(xs).toFixed(3).padStart(6)} ms ${Math.min(...xs).toFixed(3).padStart(6)} ms   ${(med(xs) / baseMed).toFixed(2)}x, ${(Math.min(...xs) / baseMin).toFixed(2)}x`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
