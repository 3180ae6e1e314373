// The runtimes bench/compare.mjs measures, behind one interface, so the timed loop, the output check and the
// cold-start child treat them alike:
//   runtime = { key, label, init(), open({ bytes, feeds }) }     init() imports the runtime (cold start counts it)
//   runtime.prepare({ bytes, feeds }) → { bytes, meta }          optional: a model format written offline (LiteRT's
//                                                               .tflite); open({ ..., prepared }) takes it, and the
//                                                               cold start gets it from a file, as an app would
//   session = { run(), sync, dispose() }                       run() → the first output's Float32Array
// feeds: { name: { data, shape, dtype } } as read from the model's .npy inputs; every runtime copies them in on each
// run and copies the output out, as an application would.
// The peers: onnxruntime-web (wasm), tfjs-backend-wasm (tfjs-from-onnx.mjs), LiteRT.js (XNNPACK in wasm, on a .tflite
// that tflite-from-onnx.mjs writes from the same ONNX; litert-node.mjs loads it in Node) and onnxruntime-node.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureModels, readNpy } from "../../scripts/models.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** The package.json version of an installed package (read from disk: their exports maps hide package.json). */
export const version = (pkg) => JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")).version;

function edgenn(key, label, variant) {
  let E;
  return {
    key, label,
    async init() { E = await import("edgenn"); }, // what an application gets: in Node the one-file bundle
    async open({ bytes, feeds }) {
      const s = await E.load(bytes, variant ? { variant } : {});
      const inputs = Object.fromEntries(Object.entries(feeds).map(([n, f]) => [n, new E.Tensor(f.dtype, f.data, f.shape)]));
      const out = s.outputNames[0];
      return { sync: true, variant: s.variant, run: () => s.runSync(inputs)[out].data, dispose: () => s.dispose() };
    },
  };
}

function ortRuntime(key, label, pkg, setup, options) {
  let ort;
  return {
    key, label,
    async init() { ort = await import(pkg); setup(ort); },
    async open({ bytes, feeds }) {
      const s = await ort.InferenceSession.create(bytes, options);
      const inputs = Object.fromEntries(Object.entries(feeds).map(([n, f]) => [n, new ort.Tensor(f.dtype, f.data, f.shape)]));
      const out = s.outputNames[0];
      return { sync: false, run: async () => (await s.run(inputs))[out].data, dispose: () => s.release() };
    },
  };
}

function tfjsWasm() {
  let tf, loadOnnxTfjs;
  return {
    key: "tfjs-wasm", label: "tfjs-wasm",
    async init() {
      tf = await import("@tensorflow/tfjs-core");
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      // 4.22: the thread count and the binaries' folder must be set before the backend initialises. In Node it has
      // no worker threads anyway (WASM_HAS_MULTITHREAD_SUPPORT is false), so it loads tfjs-backend-wasm-simd.wasm.
      wasm.setThreadsCount(1);
      wasm.setWasmPaths(join(ROOT, "node_modules/@tensorflow/tfjs-backend-wasm/dist/"));
      if (!(await tf.setBackend("wasm"))) throw new Error("tfjs: the wasm backend did not initialise");
      ({ loadOnnxTfjs } = await import("./tfjs-from-onnx.mjs"));
    },
    async open({ bytes, feeds }) {
      const m = loadOnnxTfjs(tf, bytes, feeds);
      return { sync: true, run: () => m.run(feeds)[0], dispose: () => m.dispose() };
    },
  };
}

function litert() {
  let lt, wasm, compileTflite;
  const rt = {
    key: "litert", label: "litert",
    async init() {
      const node = await import("./litert-node.mjs");
      ({ lt, wasm } = await node.loadLiteRtNode());
      compileTflite = node.compileTflite;
    },
    /** The .tflite written from the ONNX bytes (same weights), as a converter would: offline work, not cold start. */
    async prepare({ bytes, feeds }) {
      const { onnxToTflite } = await import("./tflite-from-onnx.mjs");
      const { tflite, inputs } = onnxToTflite(bytes, feeds);
      return { bytes: tflite, meta: { inputs } };
    },
    async open({ bytes, feeds, prepared }) {
      const p = prepared ?? (await rt.prepare({ bytes, feeds }));
      const m = await compileTflite(lt, p.bytes, p.meta.inputs);
      return { sync: false, variant: wasm, run: () => m.run(feeds), dispose: () => m.dispose() };
    },
  };
  return rt;
}

/**
 * In table order. edgenn "best" is what load() picks (relaxed SIMD where the engine validates it).
 * EDGENN_BENCH_ONLY=key,key (e.g. edgenn,ort-web) keeps only those runtimes: to check one runtime's figures without
 * the others in the process (ort-node is kept: it is the output reference).
 */
const ONLY = process.env.EDGENN_BENCH_ONLY?.split(",");
export const RUNTIMES = [
  edgenn("edgenn", "edgenn best"),
  edgenn("edgenn-simd", "edgenn simd", "simd"),
  ortRuntime("ort-web", "ort-web", "onnxruntime-web", (ort) => Object.assign(ort.env.wasm, { numThreads: 1, simd: true, proxy: false }),
    { executionProviders: ["wasm"], graphOptimizationLevel: "all" }),
  tfjsWasm(),
  litert(),
  ortRuntime("ort-node", "ort-node", "onnxruntime-node", () => {},
    { executionProviders: ["cpu"], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all" }),
].filter((r) => !ONLY || ONLY.includes(r.key) || r.key === "ort-node");

/** A manifest model: its ONNX path, feeds from its .npy inputs, the PyTorch output and parameter count. */
export function modelFiles(name, models = ensureModels({ log: () => {} })) {
  const { dir, manifest } = models;
  const m = manifest.models[name];
  if (!m) throw new Error(`unknown model '${name}' (manifest: ${Object.keys(manifest.models).join(", ")})`);
  const feeds = Object.fromEntries(m.inputs.map((i) => [i.name, { ...readNpy(join(dir, i.file)), dtype: i.dtype }]));
  return { path: join(dir, m.onnx), feeds, torch: readNpy(join(dir, m.torch_output)).data, parameters: m.parameters };
}
