// Recurrent model latency: a 2-layer LSTM (hidden 128, input 1) over 1000 ECG samples, batch 1 — the architecture of
// the real `lstm_ecg` model (scripts/models/export.py) — in edgenn's two kernel builds, and onnxruntime-web (wasm,
// 1 thread) running the exported lstm_ecg.onnx itself (same LSTMs, plus its 128->5 head) for the ratio.
// Each runtime runs in its own process, one after another, `rounds` times (interleaved, so a busy spell on a shared
// machine hits all of them); a round is the median of 15 runs after 3 warm-up runs; the figure is the median of the
// round medians. Times are per run call, input copy in and output copy out included.
// Usage: node bench/rnn.mjs [--json] [--rounds=N] [--dist=DIR]   (DIR: another build of edgenn's dist/, e.g. a
// copy of the previous one, to compare before/after in one run)
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? dflt;
const json = process.argv.includes("--json");
const child = arg("child");
const rounds = Number(arg("rounds", 3));
const here = fileURLToPath(import.meta.url);
const dist = resolve(arg("dist", join(here, "../../dist")));
const S = 1000, I = 1, H = 128, LAYERS = 2;
// FLOPs: per step and layer 2*4H*(in + H) (projection + recurrence).
const FLOPS = S * (2 * 4 * H * (I + H) + 2 * 4 * H * (H + H));

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

async function time(run) {
  for (let i = 0; i < 3; i++) await run();
  const times = [];
  for (let r = 0; r < 15; r++) { const t = performance.now(); await run(); times.push(performance.now() - t); }
  return times.sort((a, b) => a - b)[7];
}

async function edgenn(variant) {
  const { InferenceSession, Tensor } = await import(pathToFileURL(join(dist, "index.js")).href);
  const s = await InferenceSession.fromGraph(graph(), { variant });
  const feeds = { x: new Tensor("float32", arr(S * I, 1), [S, 1, I]) };
  const ms = await time(() => s.runSync(feeds));
  s.dispose();
  return ms;
}

async function ortWeb() {
  const ort = await import("onnxruntime-web");
  const { ensureModels, readNpy } = await import("../scripts/models.mjs");
  ort.env.wasm.numThreads = 1;
  const { dir, manifest } = ensureModels({ log: () => {} });
  const m = manifest.models.lstm_ecg;
  const s = await ort.InferenceSession.create(join(dir, m.onnx), { executionProviders: ["wasm"] });
  const x = readNpy(join(dir, m.inputs[0].file));
  const feeds = { [m.inputs[0].name]: new ort.Tensor("float32", x.data, x.shape) };
  const ms = await time(() => s.run(feeds));
  await s.release();
  return ms;
}

const RUNTIMES = [
  { name: "edgenn simd", key: "simd", flags: [] },
  { name: "edgenn relaxed", key: "relaxed", flags: ["--experimental-wasm-relaxed-simd"] },
  { name: `onnxruntime-web 1 thread`, key: "ort", flags: [] },
];

if (child) {
  const ms = child === "ort" ? await ortWeb() : await edgenn(child);
  console.log(JSON.stringify({ ms }));
} else {
  const runs = Object.fromEntries(RUNTIMES.map((r) => [r.key, []]));
  const errors = {};
  for (let i = 0; i < rounds; i++) {
    for (const r of RUNTIMES) {
      if (errors[r.key]) continue;
      try {
        const out = execFileSync(process.execPath, [...r.flags, here, `--child=${r.key}`, `--dist=${dist}`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        runs[r.key].push(JSON.parse(out.trim().split("\n").pop()).ms);
      } catch (e) {
        errors[r.key] = `could not run: ${(e.stderr || e.message).trim().split("\n").pop()}`;
      }
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[(a.length - 1) >> 1];
  const ortMs = runs.ort.length ? median(runs.ort) : undefined;
  const rows = RUNTIMES.map((r) => errors[r.key]
    ? { runtime: r.name, skipped: errors[r.key] }
    : { runtime: r.name, median_ms: median(runs[r.key]), rounds_ms: runs[r.key], gflops: FLOPS / median(runs[r.key]) / 1e6, vs_ort_web: ortMs ? median(runs[r.key]) / ortMs : undefined });
  const model = `lstm x${LAYERS} h${H} seq${S} in${I} batch1`;
  if (json) console.log(JSON.stringify({ model, dist, node: process.version, date: new Date().toISOString(), rows }, null, 2));
  else {
    console.log(`${LAYERS}-layer LSTM, hidden ${H}, ${S} steps, input ${I}, batch 1, node ${process.version}; median of ${rounds} interleaved rounds`);
    for (const r of rows) {
      console.log(r.skipped ? `${r.runtime.padEnd(26)} ${r.skipped}`
        : `${r.runtime.padEnd(26)} ${r.median_ms.toFixed(2).padStart(7)} ms  [${r.rounds_ms.map((m) => m.toFixed(1)).join(", ")}]  ${r.gflops.toFixed(1)} GFLOP/s${r.vs_ort_web ? `  ${r.vs_ort_web.toFixed(2)}x onnxruntime-web` : ""}`);
    }
  }
}
