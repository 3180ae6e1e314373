// What an OCR library gets as "onnxruntime-node" under test/ocr/swap.mjs (modes ort, web, mixed): the chosen
// runtime's exports, with InferenceSession.create picking the runtime per model (mixed: a model whose path says
// "_det_", PP-OCR's detector, on edgenn; the recognizer needs ops edgenn lacks) and each session's run() timed
// into globalThis.__ocrRuns[model kind] = [ms, ...], so the test can set the detector's time beside the pipeline's.
import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import * as edgenn from "../../dist/index.js";

const mode = process.env.OCR_RUNTIME ?? "ort";
const base = mode === "web" ? ortWeb : ortNode;

export const Tensor = base.Tensor;
export const env = base.env;
export const InferenceSession = {
  async create(model, ...rest) {
    const kind = typeof model === "string" ? (/_det_/.test(model) ? "det" : /_rec_/.test(model) ? "rec" : "other") : "other";
    const runtime = mode === "mixed" && kind === "det" ? edgenn : base;
    const session = await runtime.InferenceSession.create(model, ...rest);
    const run = session.run.bind(session);
    session.run = async (...args) => {
      const t = performance.now();
      try { return await run(...args); } finally { ((globalThis.__ocrRuns ??= {})[kind] ??= []).push(performance.now() - t); }
    };
    return session;
  },
};
