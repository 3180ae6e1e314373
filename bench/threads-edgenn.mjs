// edgenn alone, 1 thread against 2 (load option `threads`), in one process, the two sessions taking turns call by
// call: what threads gain with nothing else on the machine. bench/threads.mjs compares with onnxruntime-web, but
// each configuration has its own process there, and onnxruntime-web's pool threads keep spinning after their own
// samples, taking a core from whichever process is measured next.
//   node --experimental-wasm-relaxed-simd bench/threads-edgenn.mjs [--rounds N] [--threads N]
import { join } from "node:path";
import { loadavg } from "node:os";
import { load, Tensor } from "../dist/index.js";
import { ensureModels, readNpy } from "../scripts/models.mjs";

const arg = (flag, dflt) => { const i = process.argv.indexOf(flag); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const rounds = arg("--rounds", 21), threads = arg("--threads", 2);
const median = (v) => [...v].sort((p, q) => p - q)[v.length >> 1];
const { dir, manifest } = ensureModels();
console.log(`edgenn 1 vs ${threads} threads, ${rounds} interleaved rounds, Node ${process.version}; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
console.log(`| model | 1 thread ms | ${threads} threads ms | speed-up |\n|---|--:|--:|--:|`);
for (const name of ["mobilenet_v2", "resnet18", "squeezenet1_1", "densenet121", "efficientnet_b0", "transformer_text", "dna_cnn"]) {
  const m = manifest.models[name];
  const x = readNpy(join(dir, m.inputs[0].file));
  const path = join(dir, m.onnx);
  const one = await load(path), many = await load(path, { threads });
  const input = m.inputs[0].dtype === "int64" ? new Tensor("int64", BigInt64Array.from(x.data, (v) => BigInt(v)), x.shape) : new Tensor("float32", x.data, x.shape);
  const feeds = { [one.inputNames[0]]: input };
  const [a, b] = [one.runSync(feeds), many.runSync(feeds)].map((o) => Object.values(o)[0].data);
  if (a.some((v, i) => v !== b[i])) throw new Error(`${name}: ${threads} threads do not give the bits of 1`);
  for (let i = 0; i < 3; i++) { one.runSync(feeds); many.runSync(feeds); }
  const t1 = [], tn = [];
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now(); one.runSync(feeds); t1.push(performance.now() - t0);
    t0 = performance.now(); many.runSync(feeds); tn.push(performance.now() - t0);
  }
  console.log(`| ${name} | ${median(t1).toFixed(2)} | ${median(tn).toFixed(2)} | ${(median(t1) / median(tn)).toFixed(2)}x |`);
  one.dispose();
  many.dispose();
}
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
