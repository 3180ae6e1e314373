// One cold start, in a fresh process: import the runtime, compile its wasm, load the model, run once.
//   node [--experimental-wasm-relaxed-simd] bench/peers/cold.mjs <runtime key | baseline> <model> [prepared file]
// Prints one JSON line: ms (import → first result), processMs (process start → first result), peakRssBytes (peak
// RSS after the first result; maxRssBytes is process.resourceUsage().maxRSS, see peakRss) and the .wasm files read.
// "baseline" does everything but the runtime (Node, the model manifest and its .npy inputs): what the others add to.
import fs, { readFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { fileURLToPath } from "node:url";
import { RUNTIMES, modelFiles } from "./runtimes.mjs";

const [key, model, preparedFile] = process.argv.slice(2);
const files = modelFiles(model); // the inputs are data, not the runtime's start: read before the clock starts
// A model written offline for the runtime (runtime.prepare: LiteRT's .tflite), read from the file compare.mjs wrote,
// like the ONNX file: what the runtime's own loading costs is what counts.
const prepared = preparedFile && { bytes: readFileSync(preparedFile), meta: JSON.parse(readFileSync(`${preparedFile}.json`, "utf8")) };

// Record which .wasm files get read (emscripten glue uses fs.readFileSync, edgenn fs/promises.readFile).
const wasmRead = new Set();
for (const [obj, name] of [[fs, "readFileSync"], [fs, "readFile"], [fs.promises, "readFile"]]) {
  const f = obj[name];
  obj[name] = function (p, ...rest) {
    const s = p instanceof URL ? fileURLToPath(p) : String(p);
    if (s.endsWith(".wasm")) wasmRead.add(s);
    return f.call(this, p, ...rest);
  };
}
syncBuiltinESMExports();

/**
 * Peak RSS of this process. On Linux getrusage's maxRSS (process.resourceUsage().maxRSS) survives exec, so a child
 * forked from the big parent reports at least the parent's RSS; VmHWM belongs to the new address space. Elsewhere
 * maxRSS is all there is.
 */
function peakRss() {
  try { return Number(/VmHWM:\s*(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))[1]) * 1024; } catch { return process.resourceUsage().maxRSS * 1024; }
}

const t0 = performance.now();
if (key !== "baseline") {
  const rt = RUNTIMES.find((r) => r.key === key);
  if (!rt) throw new Error(`unknown runtime '${key}'`);
  await rt.init();
  const session = await rt.open({ bytes: readFileSync(files.path), feeds: files.feeds, prepared });
  await session.run();
}
const t1 = performance.now();
console.log(JSON.stringify({ ms: t1 - t0, processMs: t1, peakRssBytes: peakRss(), maxRssBytes: process.resourceUsage().maxRSS * 1024, wasm: [...wasmRead] }));
process.exit(0); // ort-web / tfjs may keep handles open
