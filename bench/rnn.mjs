// Recurrent model latency over 1000 ECG samples, batch 1, in the architectures of the real models of
// scripts/models/export.py: `lstm_ecg` (2-layer LSTM, hidden 128, input 1) and `bigru_ecg` (bidirectional GRU,
// hidden 64, linear_before_reset = 1 as PyTorch exports it) — in edgenn's two kernel builds (random weights, the
// recurrent layers only, the last layer's final state as the output), and onnxruntime-web (wasm, 1 thread) running
// the exported .onnx files themselves (same recurrent layers plus their small heads, 5 logits out) for the ratio.
// Each runtime runs in its own process, one after another, `rounds` times (interleaved, so a busy spell on a shared
// machine hits all of them); a round is the median of 15 runs after 3 warm-up runs; the figure is the median of the
// round medians. Times are per run call, input copy in and output copy out included.
// Usage: node bench/rnn.mjs [--json] [--rounds=N] [--dist=DIR] [--clock=wall|cpu]   (DIR: another build of edgenn's
// dist/, e.g. a copy of the previous one, to compare before/after in one run; --clock=cpu counts this process's CPU
// time, not the time other processes on a shared machine take from it)
// A/B in one process: node [--experimental-wasm-relaxed-simd] bench/rnn.mjs --same-process --variant=relaxed|simd
//   --model=lstm_ecg|bigru_ecg --dists=DIR1,DIR2 [--rounds=25] [--loops=8]: each dist's edgenn and onnxruntime-web
//   take turns, `loops` runs per turn, CPU time; per runtime the median turn and its ratio to onnxruntime-web (the
//   ratio of the medians, and the median of the per-round ratios). On a loaded machine this is steadier than
//   separate processes: every runtime sees the same spells of load.
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? dflt;
const json = process.argv.includes("--json");
const child = arg("child");
const rounds = Number(arg("rounds", 3));
const clock = arg("clock", "wall");
const here = fileURLToPath(import.meta.url);
const dist = resolve(arg("dist", join(here, "../../dist")));
const S = 1000, I = 1;

let seed = 1;
const rnd = () => { seed = (seed * 1664525 + 1013904223) >>> 0; return (seed / 4294967296) * 2 - 1; };
const arr = (n, scale) => Float32Array.from({ length: n }, () => rnd() * scale);

// Per step, layer and direction: 2*G*H*(in + H) FLOPs (projection + recurrence).
const MODELS = {
  lstm_ecg: { title: "2-layer LSTM, hidden 128", graph: () => stacked("LSTM", 4, 128, 2, {}), flops: S * (2 * 4 * 128 * (I + 128) + 2 * 4 * 128 * 256) },
  bigru_ecg: { title: "bidirectional GRU, hidden 64", graph: () => stacked("GRU", 3, 64, 1, { direction: "bidirectional", linear_before_reset: 1 }), flops: 2 * S * 2 * 3 * 64 * (I + 64) },
};

function stacked(op, g, H, layers, attrs) {
  const dirs = attrs.direction === "bidirectional" ? 2 : 1;
  const constants = new Map();
  const nodes = [];
  let x = "x", inSize = I;
  for (let l = 0; l < layers; l++) {
    const s = 1 / Math.sqrt(H);
    constants.set(`W${l}`, { shape: [dirs, g * H, inSize], data: arr(dirs * g * H * inSize, s) });
    constants.set(`R${l}`, { shape: [dirs, g * H, H], data: arr(dirs * g * H * H, s) });
    constants.set(`B${l}`, { shape: [dirs, 2 * g * H], data: arr(dirs * 2 * g * H, s) });
    nodes.push({ op, name: `rnn${l}`, inputs: [x, `W${l}`, `R${l}`, `B${l}`], outputs: [`y${l}`, `yh${l}`], attrs: { hidden_size: H, ...attrs } });
    if (l + 1 < layers) { // Y [S, 1, 1, H] -> [S, 1, H] for the next layer
      nodes.push({ op: "Reshape", name: `sq${l}`, inputs: [`y${l}`], outputs: [`h${l}`], attrs: { shape: [S, 1, H] } });
      x = `h${l}`; inSize = H;
    } else x = `yh${l}`; // the final state: a small output, like the models' heads (Y would be a 512 KB copy out)
  }
  return { inputs: [{ name: "x", dtype: "float32", shape: [S, 1, I] }], outputs: [x], nodes, constants };
}

const now = () => {
  if (clock !== "cpu") return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function time(run) {
  for (let i = 0; i < 3; i++) await run();
  const times = [];
  for (let r = 0; r < 15; r++) { const t = now(); await run(); times.push(now() - t); }
  return times.sort((a, b) => a - b)[7];
}

/** An edgenn session of the model from the build in `from`: { run, dispose }. */
async function edgennRunner(variant, model, from = dist) {
  seed = 1;
  const { InferenceSession, Tensor } = await import(pathToFileURL(join(from, "index.js")).href);
  const s = await InferenceSession.fromGraph(MODELS[model].graph(), { variant });
  const feeds = { x: new Tensor("float32", arr(S * I, 1), [S, 1, I]) };
  return { run: () => s.runSync(feeds), dispose: () => s.dispose() };
}

/** An onnxruntime-web (wasm, 1 thread) session of the exported model: { run, dispose }. */
async function ortWebRunner(model) {
  const ort = await import("onnxruntime-web");
  const { ensureModels, readNpy } = await import("../scripts/models.mjs");
  ort.env.wasm.numThreads = 1;
  const { dir, manifest } = ensureModels({ log: () => {} });
  const m = manifest.models[model];
  const s = await ort.InferenceSession.create(join(dir, m.onnx), { executionProviders: ["wasm"] });
  const x = readNpy(join(dir, m.inputs[0].file));
  const feeds = { [m.inputs[0].name]: new ort.Tensor("float32", x.data, x.shape) };
  return { run: () => s.run(feeds), dispose: () => s.release() };
}

async function timed(runner) {
  const ms = await time(runner.run);
  await runner.dispose();
  return ms;
}

async function sameProcess() {
  const variant = arg("variant", "relaxed"), model = arg("model", "lstm_ecg"), loops = Number(arg("loops", 8));
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const runners = [];
  for (const d of arg("dists", dist).split(",")) runners.push({ name: `edgenn ${variant} ${d}`, ...(await edgennRunner(variant, model, resolve(d))), t: [] });
  runners.push({ name: "onnxruntime-web 1 thread", ...(await ortWebRunner(model)), t: [] });
  for (const r of runners) for (let i = 0; i < 5; i++) await r.run();
  for (let k = 0; k < Number(arg("rounds", 25)); k++) {
    for (const r of runners) {
      const t = cpu();
      for (let i = 0; i < loops; i++) await r.run();
      r.t.push((cpu() - t) / loops);
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  const ort = runners[runners.length - 1];
  const rows = runners.map((r) => ({ runtime: r.name, median_ms: median(r.t), min_ms: Math.min(...r.t),
    vs_ort_web: median(r.t) / median(ort.t), vs_ort_web_per_round: median(r.t.map((x, i) => x / ort.t[i])) }));
  if (json) console.log(JSON.stringify({ model, variant, loops, date: new Date().toISOString(), rows }));
  else for (const r of rows) console.log(`${model} ${r.runtime.padEnd(40)} ${r.median_ms.toFixed(2)} ms (min ${r.min_ms.toFixed(2)})  ${r.vs_ort_web.toFixed(3)}x onnxruntime-web (per round ${r.vs_ort_web_per_round.toFixed(3)}x)`);
  for (const r of runners) await r.dispose();
}

const RUNTIMES = [
  { name: "edgenn simd", key: "simd", flags: [] },
  { name: "edgenn relaxed", key: "relaxed", flags: ["--experimental-wasm-relaxed-simd"] },
  { name: "onnxruntime-web 1 thread", key: "ort", flags: [] },
];

if (process.argv.includes("--same-process")) await sameProcess();
else if (child) {
  const [key, model] = child.split(":");
  const ms = await timed(key === "ort" ? await ortWebRunner(model) : await edgennRunner(key, model));
  console.log(JSON.stringify({ ms }));
} else {
  const median = (a) => [...a].sort((x, y) => x - y)[(a.length - 1) >> 1];
  const models = [];
  for (const [model, { title, flops }] of Object.entries(MODELS)) {
    const runs = Object.fromEntries(RUNTIMES.map((r) => [r.key, []]));
    const errors = {};
    for (let i = 0; i < rounds; i++) {
      for (const r of RUNTIMES) {
        if (errors[r.key]) continue;
        try {
          const out = execFileSync(process.execPath, [...r.flags, here, `--child=${r.key}:${model}`, `--dist=${dist}`, `--clock=${clock}`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
          runs[r.key].push(JSON.parse(out.trim().split("\n").pop()).ms);
        } catch (e) {
          errors[r.key] = `could not run: ${(e.stderr || e.message).trim().split("\n").pop()}`;
        }
      }
    }
    const ortMs = runs.ort.length ? median(runs.ort) : undefined;
    const rows = RUNTIMES.map((r) => errors[r.key]
      ? { runtime: r.name, skipped: errors[r.key] }
      : { runtime: r.name, median_ms: median(runs[r.key]), rounds_ms: runs[r.key], gflops: flops / median(runs[r.key]) / 1e6, vs_ort_web: ortMs ? median(runs[r.key]) / ortMs : undefined });
    models.push({ model, title: `${title}, ${S} steps, input ${I}, batch 1`, rows });
  }
  if (json) console.log(JSON.stringify({ dist, node: process.version, date: new Date().toISOString(), rounds, clock, models }, null, 2));
  else {
    console.log(`node ${process.version}; median of ${rounds} interleaved rounds; clock ${clock}`);
    for (const { model, title, rows } of models) {
      console.log(`${model}: ${title}`);
      for (const r of rows) {
        console.log(r.skipped ? `  ${r.runtime.padEnd(26)} ${r.skipped}`
          : `  ${r.runtime.padEnd(26)} ${r.median_ms.toFixed(2).padStart(7)} ms  [${r.rounds_ms.map((m) => m.toFixed(1)).join(", ")}]  ${r.gflops.toFixed(1)} GFLOP/s${r.vs_ort_web ? `  ${r.vs_ort_web.toFixed(2)}x onnxruntime-web` : ""}`);
      }
    }
  }
}
