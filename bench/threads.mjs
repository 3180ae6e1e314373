#!/usr/bin/env node
// What two threads gain (load option `threads`, docs/threads.md), against onnxruntime-web with 2 threads, on the
// real models of scripts/models.mjs: edgenn (relaxed SIMD build) 1 and 2 threads, onnxruntime-web (wasm backend)
// numThreads 1 and 2, on the same ONNX files and inputs.
//
//   node bench/threads.mjs [--models a,b] [--rounds N] [--calls N] [--out FILE]
//   node bench/threads.mjs --report FILE   the markdown table of a saved run (bench/RESULTS.md)
//   node bench/threads.mjs --wake      the cost of one split: a round trip to a worker with an empty job; and two
//                                      big GEMMs on 2 threads vs in sequence (what the machine lets 2 threads gain)
//   node --experimental-wasm-relaxed-simd bench/threads.mjs --default-vs OTHER/dist/index.js [--models a,b]
//                                      the single-thread default against another build (e.g. the commit before
//                                      threads), interleaved, in process CPU time per call
//
// onnxruntime-web reads numThreads once per process, so each of the four configurations lives in its own child
// process (same Node, --experimental-wasm-relaxed-simd), the model loaded and warmed up. The parent drives them
// in rounds: each round, every child in turn (in a shuffled order, after a pause) runs --calls back-to-back inferences and reports
// wall time and process CPU time (all its threads, process.cpuUsage) per call. Only one child computes at a time,
// so other load on the machine hits every configuration alike. Figures: median over the rounds, and the speed-up
// of 2 threads over 1 of the same runtime. edgenn's 2-thread output must equal its 1-thread output bit for bit and
// every output must be within 1e-3 (relative to max |ref|) of edgenn's, or the model is reported WRONG.
import { fork } from "node:child_process";
import { Worker } from "node:worker_threads";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { modelFiles, ROOT, version } from "./peers/runtimes.mjs";

const MODELS = ["mobilenet_v2", "resnet18", "squeezenet1_1", "transformer_text", "dna_cnn", "lstm_ecg"];
const CONFIGS = [
  { key: "edgenn-1", runtime: "edgenn", threads: 1 },
  { key: "edgenn-2", runtime: "edgenn", threads: 2 },
  { key: "ort-web-1", runtime: "ort-web", threads: 1 },
  { key: "ort-web-2", runtime: "ort-web", threads: 2 },
];
const RELAXED_FLAG = "--experimental-wasm-relaxed-simd";
const WRONG_REL = 1e-3, WARM_MS = 300;
/**
 * Pause before each sample: onnxruntime-web's pool threads spin for a while after a run, and would take the cores
 * from whichever child runs next (seen: edgenn 1 thread, always right after ort-web 2 threads in a fixed rotation,
 * 1.5x slower in wall time than the same work elsewhere). The order is also shuffled every round.
 */
const SETTLE_MS = 50;

/** CPU time of each of this process's threads (Linux /proc, clock ticks of 10 ms): tid -> utime + stime. */
function threadTicks() {
  const out = new Map();
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from 3 on: utime is field 14, stime 15
      out.set(Number(tid), Number(f[11]) + Number(f[12]));
    }
  } catch { /* not Linux: no per-thread figures */ }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Child: one configuration, one model at a time, on command.

async function child(config) {
  let session;
  const open = async (model) => {
    const { path, feeds } = modelFiles(model);
    const bytes = readFileSync(path);
    if (config.runtime === "edgenn") {
      const E = await import("../dist/index.js");
      const s = await E.load(bytes, { format: "onnx", threads: config.threads });
      const inputs = Object.fromEntries(Object.entries(feeds).map(([n, f]) => [n, new E.Tensor(f.dtype, f.data, f.shape)]));
      return { run: async () => s.runSync(inputs)[s.outputNames[0]].data, dispose: () => s.dispose(), info: `${s.variant}, ${s.threads} thread(s)` };
    }
    const ort = await import("onnxruntime-web");
    Object.assign(ort.env.wasm, { numThreads: config.threads, simd: true, proxy: false });
    const s = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    const inputs = Object.fromEntries(Object.entries(feeds).map(([n, f]) => [n, new ort.Tensor(f.dtype, f.data, f.shape)]));
    return { run: async () => (await s.run(inputs))[s.outputNames[0]].data, dispose: () => s.release(), info: `numThreads ${config.threads}` };
  };
  process.on("message", async (m) => {
    try {
      if (m.cmd === "open") {
        await session?.dispose();
        session = await open(m.model);
        const t0 = performance.now();
        let out;
        for (let i = 0; i < 3 || performance.now() - t0 < WARM_MS; i++) out = await session.run();
        process.send({ ok: true, info: session.info, output: Array.from(out) });
      } else if (m.cmd === "time") {
        const c0 = process.cpuUsage(), t0 = performance.now(), th0 = threadTicks();
        for (let i = 0; i < m.calls; i++) await session.run();
        const wall = (performance.now() - t0) / m.calls, c = process.cpuUsage(c0), th1 = threadTicks();
        // CPU ticks per thread in this sample: the main thread's, and the busiest other thread's (a worker).
        let main = 0, other = 0;
        for (const [tid, t] of th1) { const d = t - (th0.get(tid) ?? 0); if (tid === process.pid) main = d; else other = Math.max(other, d); }
        process.send({ ok: true, wall, cpu: (c.user + c.system) / 1000 / m.calls, ticks: { main, other, calls: m.calls } });
      } else if (m.cmd === "exit") {
        await session?.dispose();
        process.exit(0);
      }
    } catch (e) {
      process.send({ ok: false, error: String(e?.stack ?? e) });
    }
  });
  process.send({ ok: true, ready: true });
}

// ---------------------------------------------------------------------------------------------------------------
// Parent.

function parseArgs(argv) {
  const o = { models: MODELS, rounds: 15, calls: 0, out: join(ROOT, "bench/threads.json") };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    if (flag === "--models") o.models = value().split(",").filter(Boolean);
    else if (flag === "--rounds") o.rounds = Math.max(1, Number(value()));
    else if (flag === "--calls") o.calls = Math.max(1, Number(value()));
    else if (flag === "--out") o.out = value();
    else throw new Error(`bench/threads.mjs: unknown argument '${argv[i]}'`);
  }
  return o;
}

/** A permutation of xs that changes with `seed` (a fixed LCG: the same orders every run). */
function shuffled(xs, seed) {
  const out = [...xs];
  let s = (seed * 2654435761 + 1) >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

/**
 * How many cores this process gets right now: two busy threads' work in 0.5 s against one's (2.0 = two free
 * cores, 1.0 = the second thread only takes time from the first). Other load on a shared machine shows here.
 */
async function coresAvailable() {
  const spin = "let x = 0; const t = Date.now(); while (Date.now() - t < 500) x++; require('node:worker_threads').parentPort.postMessage(x);";
  const busy = (n) => Promise.all(Array.from({ length: n }, () => new Promise((ok) => { const w = new Worker(spin, { eval: true }); w.once("message", (x) => { ok(x); void w.terminate(); }); })));
  const [one] = await busy(1), two = await busy(2);
  return (two[0] + two[1]) / one;
}

/** A child process for `config`, with request(message) → its answer. */
async function start(config) {
  const p = fork(fileURLToPath(import.meta.url), ["--child", JSON.stringify(config)], { execArgv: [RELAXED_FLAG], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let pending;
  p.on("message", (m) => { const r = pending; pending = undefined; r?.(m); });
  p.on("exit", (code) => pending?.({ ok: false, error: `child ${config.key} exited (${code})` }));
  const next = () => new Promise((r) => { pending = r; });
  await next(); // ready
  return {
    config,
    async request(m) { const answer = next(); p.send(m); const a = await answer; if (!a.ok) throw new Error(`${config.key}: ${a.error}`); return a; },
    stop: () => p.send({ cmd: "exit" }),
  };
}

function maxRelDiff(a, ref) {
  if (a.length !== ref.length) return Infinity;
  let err = 0, peak = 0;
  for (let i = 0; i < ref.length; i++) { err = Math.max(err, Math.abs(a[i] - ref[i])); peak = Math.max(peak, Math.abs(ref[i])); }
  return err / Math.max(peak, 1e-30);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const uptime = () => loadavg().map((x) => x.toFixed(2)).join(", ");
  const results = { date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: cpus().length, node: process.version,
    ortWeb: version("onnxruntime-web"), loadBefore: uptime(), coresBefore: await coresAvailable(), rounds: o.rounds, models: {} };
  console.log(`bench/threads.mjs: ${results.cpu} x ${results.cores}, Node ${results.node}, onnxruntime-web ${results.ortWeb}; load average ${results.loadBefore}; cores available ${results.coresBefore.toFixed(2)}`);
  const children = [];
  for (const c of CONFIGS) children.push(await start(c));
  try {
    for (const model of o.models) {
      const outputs = {}, info = {};
      for (const ch of children) {
        const a = await ch.request({ cmd: "open", model });
        outputs[ch.config.key] = Float32Array.from(a.output);
        info[ch.config.key] = a.info;
      }
      const ref = outputs["edgenn-1"];
      const bits = new Uint32Array(outputs["edgenn-2"].buffer), refBits = new Uint32Array(ref.buffer);
      const identical = bits.length === refBits.length && bits.every((b, i) => b === refBits[i]);
      const diffs = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, maxRelDiff(v, ref)]));
      const wrong = !identical || Object.values(diffs).some((d) => !(d <= WRONG_REL));
      // Calls per sample: about 50 ms of work, at least 1.
      const t = await children[0].request({ cmd: "time", calls: 1 });
      const calls = o.calls || Math.max(1, Math.round(50 / t.wall));
      const samples = Object.fromEntries(CONFIGS.map((c) => [c.key, { wall: [], cpu: [], main: 0, other: 0, calls: 0 }]));
      for (let r = 0; r < o.rounds; r++) {
        for (const ch of shuffled(children, r)) {
          await new Promise((ok) => setTimeout(ok, SETTLE_MS));
          const a = await ch.request({ cmd: "time", calls });
          const sm = samples[ch.config.key];
          sm.wall.push(a.wall);
          sm.cpu.push(a.cpu);
          sm.main += a.ticks.main; sm.other += a.ticks.other; sm.calls += a.ticks.calls;
        }
      }
      // Per-thread CPU ms per call over all samples (ticks of 10 ms): main thread, and the busiest other thread.
      const med = Object.fromEntries(Object.entries(samples).map(([k, s]) => [k, {
        wall: median(s.wall), cpu: median(s.cpu), mainCpu: (s.main * 10) / s.calls, otherCpu: (s.other * 10) / s.calls,
      }]));
      results.models[model] = { calls, identical, diffs, wrong, info, median: med, load: uptime(), cores: await coresAvailable() };
      const x = (a, b) => (med[a].wall / med[b].wall).toFixed(2);
      console.log(`${model.padEnd(17)} edgenn ${med["edgenn-1"].wall.toFixed(2)} -> ${med["edgenn-2"].wall.toFixed(2)} ms (${x("edgenn-1", "edgenn-2")}x, cpu ${med["edgenn-1"].cpu.toFixed(2)} -> ${med["edgenn-2"].cpu.toFixed(2)})` +
        `  ort-web ${med["ort-web-1"].wall.toFixed(2)} -> ${med["ort-web-2"].wall.toFixed(2)} ms (${x("ort-web-1", "ort-web-2")}x, cpu ${med["ort-web-1"].cpu.toFixed(2)} -> ${med["ort-web-2"].cpu.toFixed(2)})` +
        `  edgenn-2 main/worker thread cpu ${med["edgenn-2"].mainCpu.toFixed(2)}/${med["edgenn-2"].otherCpu.toFixed(2)}` +
        `  edgenn-2/ort-web-2 ${(med["edgenn-2"].wall / med["ort-web-2"].wall).toFixed(2)}${wrong ? "  WRONG " + JSON.stringify({ identical, diffs }) : ""}  load ${uptime()}, cores ${results.models[model].cores.toFixed(2)}`);
    }
  } finally {
    for (const ch of children) ch.stop();
  }
  results.loadAfter = uptime();
  results.coresAfter = await coresAvailable();
  writeFileSync(o.out, JSON.stringify(results, null, 2) + "\n");
  console.log(`load average after: ${results.loadAfter}; cores available ${results.coresAfter.toFixed(2)}; wrote ${o.out}`);
}

/** µs per ThreadPool.run of two 1-column GEMMs (nothing to compute) vs one direct call: what waking a worker costs. */
async function wake() {
  const { ThreadPool } = await import("../dist/wasm/threads.js");
  const { instantiateKernels } = await import("../dist/wasm/loader.js");
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 128, shared: true });
  const { exports, module } = await instantiateKernels({}, memory);
  const pool = await ThreadPool.start(module, memory, exports, 2);
  const job = { fn: "f32_gemm", args: [1, 8, 1, 65536, 1, 65536 + 1024, 65536 + 4096, 8, -Infinity, Infinity] };
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(", ")}`);
  for (let rep = 0; rep < 5; rep++) {
    let t0 = performance.now();
    for (let i = 0; i < 2000; i++) pool.run([job, job]);
    const split = ((performance.now() - t0) / 2000) * 1000;
    t0 = performance.now();
    for (let i = 0; i < 2000; i++) exports.f32_gemm(...job.args);
    console.log(`round trip to a worker ${split.toFixed(1)} µs; the same call alone ${(((performance.now() - t0) / 2000) * 1000).toFixed(2)} µs`);
  }
  // Two independent 256^3 GEMMs: on 2 threads vs one after the other (2.0x with two free cores).
  memory.grow(64);
  const [M, N, K] = [256, 256, 256], A = 1 << 20, P = A + M * K * 4, C1 = P + (N + 8) * (K + 1) * 4, C2 = C1 + M * N * 4;
  const big = (c) => ({ fn: "f32_gemm", args: [M, N, K, A, K, P, c, N, -Infinity, Infinity] });
  for (let rep = 0; rep < 3; rep++) {
    const cores = await coresAvailable();
    let t0 = performance.now();
    for (let i = 0; i < 100; i++) pool.run([big(C1), big(C2)]);
    const par = (performance.now() - t0) / 100;
    t0 = performance.now();
    for (let i = 0; i < 100; i++) { exports.f32_gemm(...big(C1).args); exports.f32_gemm(...big(C2).args); }
    const seq = (performance.now() - t0) / 100;
    console.log(`two 256^3 GEMMs: 2 threads ${par.toFixed(2)} ms, one after the other ${seq.toFixed(2)} ms: ${(seq / par).toFixed(2)}x (cores available ${cores.toFixed(2)})`);
  }
  pool.dispose();
}

/** One thread (the default), this build against `other` (a dist/index.js), interleaved: CPU ms per call. */
async function defaultVs(other, models) {
  const builds = [await import("../dist/index.js"), await import(other)];
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(", ")}; this build vs ${other}, CPU ms per call, median of 30`);
  for (const model of models) {
    const { path, feeds } = modelFiles(model);
    const bytes = readFileSync(path);
    const runs = await Promise.all(builds.map(async (E) => {
      const s = await E.load(bytes, { format: "onnx" });
      const x = Object.fromEntries(Object.entries(feeds).map(([n, f]) => [n, new E.Tensor(f.dtype, f.data, f.shape)]));
      return () => s.runSync(x);
    }));
    for (const run of runs) for (let t0 = performance.now(); performance.now() - t0 < WARM_MS;) run();
    const t0 = performance.now();
    runs[0]();
    const calls = Math.max(1, Math.round(20 / (performance.now() - t0)));
    const cpu = [[], []];
    for (let r = 0; r < 30; r++) {
      for (let b = 0; b < 2; b++) {
        const c0 = process.cpuUsage();
        for (let k = 0; k < calls; k++) runs[b]();
        const c = process.cpuUsage(c0);
        cpu[b].push((c.user + c.system) / 1000 / calls);
      }
    }
    const [a, b] = cpu.map(median);
    console.log(`${model.padEnd(17)} this ${a.toFixed(4)}  other ${b.toFixed(4)}  ratio ${(a / b).toFixed(3)}`);
  }
}

/**
 * The markdown table of a saved run. "2 free cores" projects 1-thread CPU time / the busier of edgenn's two
 * threads' CPU time: the wall time if the worker never waited for a core (a bound, not a measurement).
 */
function report(file) {
  const r = JSON.parse(readFileSync(file, "utf8"));
  const f = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  console.log(`${r.date.slice(0, 16)}Z, ${r.cpu} x ${r.cores}, Node ${r.node}, onnxruntime-web ${r.ortWeb}, ${r.rounds} rounds; load average ${r.loadBefore} before, ${r.loadAfter} after; cores available (two busy threads' work / one's) ${r.coresBefore?.toFixed(2) ?? "-"} before, ${r.coresAfter?.toFixed(2) ?? "-"} after\n`);
  console.log("| model | edgenn 1 thread ms (CPU) | edgenn 2 threads ms (CPU) | wall speed-up | CPU main / worker thread | 2 free cores (projected) | ort-web 1 thread ms (CPU) | ort-web 2 threads ms (CPU) | ort-web wall speed-up | edgenn 2 / ort-web 2 | load | cores free |");
  console.log("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const [model, m] of Object.entries(r.models)) {
    const e1 = m.median["edgenn-1"], e2 = m.median["edgenn-2"], o1 = m.median["ort-web-1"], o2 = m.median["ort-web-2"];
    const cell = (x) => `${f(x.wall)} (${f(x.cpu)})`;
    console.log(`| ${model}${m.wrong ? " WRONG" : ""} | ${cell(e1)} | ${cell(e2)} | ${(e1.wall / e2.wall).toFixed(2)}x | ${f(e2.mainCpu)} / ${f(e2.otherCpu)} | ` +
      `${(e1.cpu / Math.max(e2.mainCpu, e2.otherCpu)).toFixed(2)}x | ${cell(o1)} | ${cell(o2)} | ${(o1.wall / o2.wall).toFixed(2)}x | ${(e2.wall / o2.wall).toFixed(2)} | ${m.load.split(",")[0]} | ${m.cores?.toFixed(2) ?? "-"} |`);
  }
}

const i = process.argv.indexOf("--child");
if (i >= 0) await child(JSON.parse(process.argv[i + 1]));
else if (process.argv.includes("--wake")) await wake();
else if (process.argv.includes("--report")) report(process.argv[process.argv.indexOf("--report") + 1]);
else if (process.argv.includes("--default-vs")) {
  const argv = process.argv.slice(2), at = argv.indexOf("--default-vs");
  const models = argv.includes("--models") ? argv[argv.indexOf("--models") + 1].split(",") : ["wdbc_mlp", ...MODELS];
  await defaultVs(argv[at + 1], models);
}
else await main();
