// transformer_text (PyTorch 1.13's nn.TransformerEncoder exported at opset 13) end to end: edgenn against
// onnxruntime-node on the real input, and against PyTorch's own output.
//
// The export computes the q/k/v slice bounds at run time (Shape -> Gather -> Add/Div/Mul on int64). Until the
// importer folds such shape arithmetic itself, this script freezes it first: onnxruntime evaluates every int64
// value that derives from a Shape, and a copy of the model gets those values as initializers (the copy is
// written beside the model as transformer_text.frozen.onnx). With --no-freeze the original model is loaded.
//
//   node scripts/transformer-e2e.mjs [--no-freeze] [--bench]
// Prints the fusion report, the max abs/rel error against onnxruntime and PyTorch, and with --bench the median
// and minimum latency of edgenn, onnxruntime-node and onnxruntime-web (wasm, 1 thread) in the same run. Exits 1
// when an error is above 1e-4 relative to the output's scale. test/models/transformer.test.mjs uses `freeze`.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureModels, readNpy } from "./models.mjs";

const { onnx } = (await import("onnx-proto")).default;
const ort = await import("onnxruntime-node");

/** Names of the int64 values computed from a Shape node (the shape arithmetic) that something else reads. */
function shapeArithmetic(graph) {
  const consts = new Set(graph.initializer.map((t) => t.name));
  for (const n of graph.node) if (n.opType === "Constant") n.output.forEach((o) => consts.add(o));
  const derived = new Set(), nodes = new Set();
  for (const n of graph.node) {
    const fromShape = n.opType === "Shape" || (n.input.some((x) => derived.has(x)) && n.input.every((x) => !x || derived.has(x) || consts.has(x)));
    if (fromShape && n.opType !== "Constant") { nodes.add(n); n.output.forEach((o) => derived.add(o)); }
  }
  const read = new Set(graph.node.filter((n) => !nodes.has(n)).flatMap((n) => n.input));
  return { nodes, values: [...derived].filter((v) => read.has(v)) };
}

/** A copy of the model with the shape arithmetic replaced by its values on `feeds` (onnxruntime computes them). */
export async function freeze(bytes, feeds) {
  const model = onnx.ModelProto.decode(bytes);
  const { nodes, values } = shapeArithmetic(model.graph);
  if (values.length === 0) return bytes;
  const probe = onnx.ModelProto.decode(bytes);
  for (const v of values) probe.graph.output.push(onnx.ValueInfoProto.create({ name: v, type: { tensorType: { elemType: 7 } } }));
  const s = await ort.InferenceSession.create(onnx.ModelProto.encode(probe).finish());
  const got = await s.run(feeds, values);
  model.graph.node = model.graph.node.filter((n) => !nodes.has(n));
  for (const v of values) {
    const t = got[v];
    const raw = new Uint8Array(BigInt64Array.from(t.data).buffer);
    model.graph.initializer.push(onnx.TensorProto.create({ name: v, dataType: 7, dims: t.dims, rawData: raw }));
  }
  return onnx.ModelProto.encode(model).finish();
}

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
  const { dir, name, shape, bytes, ids: idData, ortFeeds, torch } = transformerText();
  const feeds = { [name]: new Tensor("int64", idData, shape) };
  const model = process.argv.includes("--no-freeze") ? bytes : await freeze(bytes, ortFeeds);
  if (model !== bytes) writeFileSync(join(dir, "transformer_text.frozen.onnx"), model);
  const session = await load(model);
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
