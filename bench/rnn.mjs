// Recurrent model latency: a 2-layer LSTM (hidden 128) over an ECG-like sequence of 1000 steps with 12 features,
// batch 1, under both kernel builds. Median ms per runSync (input copy in, output copy out included).
// Usage: node bench/rnn.mjs [--json]     (re-spawns itself with --experimental-wasm-relaxed-simd for the relaxed build)
import { execFileSync } from "node:child_process";
import { InferenceSession, Tensor } from "../dist/index.js";

const json = process.argv.includes("--json");
const child = process.argv.includes("--child");
const S = 1000, I = 12, H = 128, LAYERS = 2;

let seed = 1;
const rnd = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return (seed / 4294967296) * 2 - 1; };
const arr = (n, scale) => Float32Array.from({ length: n }, () => rnd() * scale);

function graph() {
  const constants = new Map();
  const nodes = [];
  let x = "x", inSize = I;
  for (let l = 0; l < LAYERS; l++) {
    const s = 1 / Math.sqrt(H);
    constants.set(`W${l}`, { shape: [1, 4 * H, inSize], data: arr(4 * H * inSize, s) });
    constants.set(`R${l}`, { shape: [1, 4 * H, H], data: arr(4 * H * H, s) });
    constants.set(`B${l}`, { shape: [1, 8 * H], data: arr(8 * H, s) });
    // Y [S, 1, 1, H] -> [S, 1, H] for the next layer.
    nodes.push({ op: "LSTM", name: `lstm${l}`, inputs: [x, `W${l}`, `R${l}`, `B${l}`], outputs: [`y${l}`], attrs: { hidden_size: H } });
    nodes.push({ op: "Reshape", name: `sq${l}`, inputs: [`y${l}`], outputs: [`h${l}`], attrs: { shape: [S, 1, H] } });
    x = `h${l}`; inSize = H;
  }
  return { inputs: [{ name: "x", dtype: "float32", shape: [S, 1, I] }], outputs: [x], nodes, constants };
}

async function run(variant) {
  const s = await InferenceSession.fromGraph(graph(), { variant });
  const feeds = { x: new Tensor("float32", arr(S * I, 1), [S, 1, I]) };
  for (let i = 0; i < 3; i++) s.runSync(feeds);
  const times = [];
  for (let r = 0; r < 15; r++) { const t = performance.now(); s.runSync(feeds); times.push(performance.now() - t); }
  s.dispose();
  const ms = times.sort((a, b) => a - b)[7];
  // FLOPs: per step and layer 2*4H*(in + H) (projection + recurrence).
  const flops = S * (2 * 4 * H * (I + H) + 2 * 4 * H * (H + H));
  return { runtime: `edgenn ${variant}`, median_ms: ms, gflops: flops / ms / 1e6 };
}

if (child) {
  console.log(JSON.stringify(await run("relaxed")));
} else {
  const rows = [await run("simd")];
  try {
    const out = execFileSync(process.execPath, ["--experimental-wasm-relaxed-simd", new URL(import.meta.url).pathname, "--child"], { encoding: "utf8" });
    rows.push(JSON.parse(out.trim().split("\n").pop()));
  } catch (e) {
    rows.push({ runtime: "edgenn relaxed", skipped: `could not run: ${e.message.split("\n")[0]}` });
  }
  if (json) console.log(JSON.stringify({ model: `lstm x${LAYERS} h${H} seq${S} in${I} batch1`, node: process.version, date: new Date().toISOString(), rows }, null, 2));
  else {
    console.log(`${LAYERS}-layer LSTM, hidden ${H}, ${S} steps, input ${I}, batch 1, node ${process.version}`);
    for (const r of rows) console.log(r.skipped ? `${r.runtime.padEnd(16)} ${r.skipped}` : `${r.runtime.padEnd(16)} ${r.median_ms.toFixed(2).padStart(8)} ms   ${r.gflops.toFixed(1)} GFLOP/s`);
  }
}
