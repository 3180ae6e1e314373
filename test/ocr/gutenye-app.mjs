// An app of @gutenye/ocr-node exactly as its README shows (Ocr.create(), ocr.detect(path)), unchanged; which
// runtime it gets is decided by test/ocr/swap.mjs. Prints one JSON line: the lines found on each page, the time of
// each detect() (a first, cold call, then the median of `repeat` more) and the model run times from the shim.
import Ocr from "@gutenye/ocr-node";

const [repeatArg, ...files] = process.argv.slice(2);
const repeat = Number(repeatArg);
const out = { runtime: process.env.OCR_RUNTIME, pages: [] };
try {
  let t = performance.now();
  const ocr = await Ocr.create();
  out.createMs = performance.now() - t;
  for (const file of files) {
    globalThis.__ocrRuns = {};
    t = performance.now();
    const lines = await ocr.detect(file);
    const firstMs = performance.now() - t;
    const times = [];
    for (let i = 0; i < repeat; i++) { t = performance.now(); await ocr.detect(file); times.push(performance.now() - t); }
    times.sort((a, b) => a - b);
    out.pages.push({ file, lines, firstMs, ms: times[Math.floor(times.length / 2)] ?? firstMs, runs: globalThis.__ocrRuns });
  }
} catch (e) {
  out.error = { code: e.code, message: e.message };
}
console.log(JSON.stringify(out));
