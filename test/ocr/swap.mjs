// `node --import ./test/ocr/swap.mjs app.mjs` with OCR_RUNTIME set, standing in for a package manager override
// ("overrides": { "onnxruntime-node": "npm:edgenn" }) under an app and its libraries, which stay unchanged:
//   edgenn  onnxruntime-node and onnxruntime-common resolve to edgenn's package root (dist/index.js): the override
//   ort     onnxruntime-node as installed     } through runtime-shim.mjs, which times each model's run() calls
//   web     onnxruntime-web in its place      } (globalThis.__ocrRuns) and, for mixed, opens detection models
//   mixed   detector on edgenn, rest on ort   } on edgenn and the others on onnxruntime-node
import { register } from "node:module";

const edgenn = new URL("../../dist/index.js", import.meta.url).href;
const shim = new URL("./runtime-shim.mjs", import.meta.url).href;
const mode = process.env.OCR_RUNTIME ?? "ort";
const map = mode === "edgenn" ? { "onnxruntime-node": edgenn, "onnxruntime-common": edgenn } : { "onnxruntime-node": shim };
if (!["edgenn", "ort", "web", "mixed"].includes(mode)) throw new Error(`OCR_RUNTIME must be edgenn, ort, web or mixed, got '${mode}'`);
register("./swap-hooks.mjs", import.meta.url, { data: { map, exempt: [shim, new URL("../../dist/", import.meta.url).href] } });
