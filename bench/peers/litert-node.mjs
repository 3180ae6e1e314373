// LiteRT.js (@litertjs/core) in Node. Its loader (@litertjs/wasm-utils) is written for browsers: it runs the
// emscripten glue with importScripts (in a worker) or a <script> tag (in a page), then reads self.ModuleFactory. The
// glue itself supports Node (it reads its .wasm with fs). Two shims are enough: `self` = globalThis, and an
// importScripts that evaluates the glue as CommonJS (a require() of it would load it as an ES module, since
// @litertjs/core is "type": "module", and it would export nothing). loadLiteRt picks the file: relaxed SIMD
// (litert_wasm_internal) where the engine validates it (Node 20: --experimental-wasm-relaxed-simd), else the
// SIMD-128 "compat" build; single-threaded (the threaded build needs { threads: true } and worker support).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const WASM_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../node_modules/@litertjs/core/wasm/");
let loading;

/** → { lt (the @litertjs/core module), wasm (the .wasm file it runs, relative to node_modules) }; once per process. */
export function loadLiteRtNode() {
  return (loading ??= (async () => {
    let glue;
    globalThis.self ??= globalThis;
    globalThis.importScripts ??= (file) => {
      glue = file;
      const module = { exports: {} };
      new Function("module", "exports", "require", "__filename", "__dirname", readFileSync(file, "utf8"))(module, module.exports, createRequire(file), file, dirname(file));
      globalThis.ModuleFactory = module.exports;
    };
    // The emscripten Module object: quiet the runtime's INFO lines (accelerator registration on every load) and the
    // expected "no NPU" warning; other messages still reach stderr.
    globalThis.Module = { print: () => {}, printErr: (s) => { if (!/^INFO: |NPU accelerator could not be loaded/.test(s)) process.stderr.write(`${s}\n`); } };
    const lt = await import("@litertjs/core");
    // Node 20 has no navigator.gpu: the default environment's WebGPU probe fails, as expected; CPU (XNNPACK) it is.
    const warn = console.warn;
    console.warn = (...args) => { if (!/WebGPU/.test(String(args[0]))) warn(...args); };
    try { await lt.loadLiteRt(WASM_DIR); } finally { console.warn = warn; }
    return { lt, wasm: `@litertjs/core/wasm/${basename(glue, ".js")}.wasm` };
  })());
}

/**
 * A .tflite model compiled for the CPU (XNNPACK), one thread; run(feeds) copies the inputs in and the first
 * output out, as an application would. feeds: { name: { data, shape } } in the model's input order.
 */
export async function compileTflite(lt, tflite, inputs) {
  const model = await lt.loadAndCompile(tflite, { accelerator: "wasm", cpuOptions: { numThreads: 1 } });
  return {
    async run(feeds) {
      const ins = inputs.map((i) => {
        const d = feeds[i.name].data;
        return new lt.Tensor(i.dtype === "int32" && !(d instanceof Int32Array) ? Int32Array.from(d, Number) : d, i.shape);
      });
      const outs = await model.run(ins);
      const data = outs[0].toTypedArray();
      for (const t of [...ins, ...outs]) t.delete();
      return data;
    },
    dispose: () => model.delete(),
  };
}
