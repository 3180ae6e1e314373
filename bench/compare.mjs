#!/usr/bin/env node
// edgenn against the other ways to run a model in WebAssembly (issue 7), on the real models of scripts/models.mjs:
// edgenn (best build, i.e. relaxed SIMD where the engine has it, and the SIMD-128 build), onnxruntime-web (wasm
// backend), tfjs-backend-wasm (through bench/peers/tfjs-from-onnx.mjs, same weights), LiteRT.js (XNNPACK in wasm,
// relaxed SIMD build when run under the flag, on a .tflite written by bench/peers/tflite-from-onnx.mjs, same
// weights) and onnxruntime-node (native CPU, the ceiling). All single-threaded, same inputs, in one process,
// interleaved so that other load on the machine hits every runtime alike. Then cold start and peak RSS in fresh
// processes (LiteRT's .tflite is written beforehand and read from a file, as an app would fetch a converted model),
// and the bytes each runtime ships. The tables give edgenn over the faster of ort-web and tfjs-wasm (issue 7's peers and
// its 0.6x target) and over LiteRT.js apart; results.json also has edgennOverBestWasmPeer (the fastest of all three).
//
//   node bench/compare.mjs [--models a,b] [--all] [--runs N] [--cold-reps N] [--no-cold] [--out FILE]
//
// Each model: every runtime's output is checked against onnxruntime-node first (max abs error, and that over the
// largest |reference|); over 1e-3 relative the runtime is WRONG there and not timed. A runtime that cannot load a
// model is "unsupported" (edgenn) or "not run" (peers), with the reason. Timing: warm-up (>= 3 calls, >= 300 ms),
// then --runs samples per runtime (25), each >= 5 ms of back-to-back calls (µs-scale models are not timer noise, and
// short samples let the median skip the ones another process preempted);
// figures are ms per call, median and p10–p90 of the samples. Writes bench/results.json.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { ensureModels } from "../scripts/models.mjs";
import { loadKernels, peakSection, RELAXED_FLAG } from "./kernels.mjs";
import { modelFiles, ROOT, RUNTIMES, version } from "./peers/runtimes.mjs";

const MODELS = ["wdbc_mlp", "mobilenet_v2", "resnet18", "lstm_ecg", "transformer_text", "dna_cnn"];
const MORE_MODELS = ["squeezenet1_1", "shufflenet_v2_x1_0", "efficientnet_b0", "densenet121", "bigru_ecg"];
const COLD_MODELS = ["wdbc_mlp", "mobilenet_v2"];
const WRONG_REL = 1e-3, SAMPLE_MS = 5, WARM_MS = 300;
const WASM_PEERS = ["ort-web", "tfjs-wasm", "litert"];
/** Issue 7's peers (its 0.6x target is against the faster of these two), and LiteRT.js apart. */
const RATIO_COLUMNS = [
  { key: "edgennOverOrtTfjs", title: "edgenn / best of ort-web, tfjs-wasm", peers: ["ort-web", "tfjs-wasm"] },
  { key: "edgennOverLitert", title: "edgenn / LiteRT.js", peers: ["litert"] },
];

/** What a page fetches for each runtime (minified ESM bundles where the package has them) and the wasm it loads. */
const SHIPPED = [
  { runtime: "edgenn", set: ".enn models: bundle + relaxed build (simd build same size)", files: ["dist/bundle/edgenn.js", "dist/bundle/edgenn-index.js", "dist/bundle/edgenn-relaxed.wasm"] },
  { runtime: "edgenn", set: "ONNX models: + the importer chunk (onnx-proto and protobufjs inlined)", files: ["dist/bundle/edgenn.js", "dist/bundle/edgenn-index.js", "dist/bundle/edgenn-onnx.js", "dist/bundle/edgenn-relaxed.wasm"] },
  { runtime: "ort-web", set: "browser: onnxruntime-web/wasm bundle", files: ["node_modules/onnxruntime-web/dist/ort.wasm.bundle.min.mjs", "node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm"] },
  { runtime: "ort-web", set: "as Node loads it (+ onnxruntime-common)", files: ["node_modules/onnxruntime-web/dist/ort.node.min.mjs", "node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.mjs", "node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm"] },
  { runtime: "litert", set: "@litertjs/core ESM (unminified) + wasm-utils + emscripten glue, relaxed SIMD build", files: ["node_modules/@litertjs/core/dist/index.js", "node_modules/@litertjs/wasm-utils/dist/index.js", "node_modules/@litertjs/core/wasm/litert_wasm_internal.js", "node_modules/@litertjs/core/wasm/litert_wasm_internal.wasm"] },
  { runtime: "litert", set: "the same with the SIMD-128 (compat) build, for engines without relaxed SIMD", files: ["node_modules/@litertjs/core/dist/index.js", "node_modules/@litertjs/wasm-utils/dist/index.js", "node_modules/@litertjs/core/wasm/litert_wasm_compat_internal.js", "node_modules/@litertjs/core/wasm/litert_wasm_compat_internal.wasm"] },
  { runtime: "tfjs-wasm", set: "tfjs-core + backend-wasm ESM bundles, SIMD build", files: ["node_modules/@tensorflow/tfjs-core/dist/tf-core.fesm.min.js", "node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.fesm.min.js", "node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"] },
];

function parseArgs(argv) {
  const o = { models: MODELS, all: false, runs: 25, coldReps: 5, cold: true, out: join(ROOT, "bench/results.json") };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    if (flag === "--models") o.models = value().split(",").filter(Boolean);
    else if (flag === "--all") o.all = true;
    else if (flag === "--runs") o.runs = Math.max(1, Number(value()));
    else if (flag === "--cold-reps") o.coldReps = Math.max(1, Number(value()));
    else if (flag === "--no-cold") o.cold = false;
    else if (flag === "--out") o.out = value();
    else if (flag === "--report") o.report = value(); // print the tables of a saved results.json, run nothing
    else throw new Error(`bench/compare.mjs: unknown argument '${argv[i]}'`);
  }
  if (o.all && o.models === MODELS) o.models = [...MODELS, ...MORE_MODELS];
  return o;
}

const median = (xs) => quantile(xs, 0.5);
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b), p = (s.length - 1) * q, i = Math.floor(p);
  return i + 1 < s.length ? s[i] + (s[i + 1] - s[i]) * (p - i) : s[i];
}
const firstLine = (e) => String(e?.message ?? e).split("\n")[0].replace(/:$/, "");

/** f32_simd_peak of both kernel builds, GFLOP/s (best of the samples: other load only ever lowers a peak). */
async function simdPeaks() {
  const peak = {};
  for (const v of ["simd", "relaxed"]) {
    const k = await loadKernels(join(ROOT, `dist/wasm/edgenn-${v}.wasm`));
    const [row] = peakSection.run(k, { ms: 100, repeats: 7, clock: "wall" });
    peak[v] = { best: row.flops / row.time.best / 1e6, median: row.flops / row.time.median / 1e6 };
  }
  return peak;
}

async function calls(session, n) {
  if (session.sync) for (let i = 0; i < n; i++) session.run();
  else for (let i = 0; i < n; i++) await session.run();
}

/**
 * Waits (up to 30 s) until this process is quiet, and returns how long that took (results.json: settleMs): after a
 * warm-up V8 may go on compiling hot wasm functions with TurboFan on background threads (LiteRT's module is 9 MB),
 * on the other core, beside whatever is timed. Quiet: under 5% of a core over 250 ms. (In the runs of 2026-11-26 it
 * was quiet at once: the spells when ort-web's LSTM took 24-33 ms instead of 16 came from elsewhere on the host.)
 */
async function settle() {
  const t0 = performance.now();
  while (performance.now() - t0 < 30000) {
    const c0 = process.cpuUsage(), w0 = performance.now();
    await new Promise((r) => setTimeout(r, 250));
    const c = process.cpuUsage(c0);
    if ((c.user + c.system) / 1000 < 0.05 * (performance.now() - w0)) break;
  }
  return performance.now() - t0;
}

/** Warm-up, a settle, then `runs` rounds; each round takes one sample of every runtime, in a rotating order. */
async function time(entries, runs) {
  for (const e of entries) {
    const t0 = performance.now();
    let n = 0;
    while (n < 3 || performance.now() - t0 < WARM_MS) { await calls(e.session, 1); n++; }
    e.reps = Math.max(1, Math.round((SAMPLE_MS * n) / (performance.now() - t0)));
    e.samples = [];
    e.cpu = []; // process CPU time (all threads): less hit by other jobs, but counts V8's background threads
  }
  const settleMs = await settle();
  for (const e of entries) e.result.settleMs = Math.round(settleMs);
  for (let r = 0; r < runs; r++) {
    for (let j = 0; j < entries.length; j++) {
      const e = entries[(r + j) % entries.length];
      const t0 = performance.now(), c0 = process.cpuUsage();
      await calls(e.session, e.reps);
      const c = process.cpuUsage(c0);
      e.samples.push((performance.now() - t0) / e.reps);
      e.cpu.push((c.user + c.system) / 1000 / e.reps);
    }
  }
  for (const e of entries) {
    Object.assign(e.result, { median: median(e.samples), p10: quantile(e.samples, 0.1), p90: quantile(e.samples, 0.9), cpuMedian: median(e.cpu), callsPerSample: e.reps, samples: e.samples });
  }
}

function agreement(out, ref) {
  let maxAbs = out.length === ref.length ? 0 : Infinity, scale = 0;
  for (let i = 0; i < ref.length; i++) { maxAbs = Math.max(maxAbs, Math.abs(out[i] - ref[i])); scale = Math.max(scale, Math.abs(ref[i])); }
  if (out.some(Number.isNaN)) maxAbs = Infinity;
  return { maxAbs, rel: maxAbs / (scale || 1) };
}

async function benchModel(name, runs, models) {
  const f = modelFiles(name, models);
  const bytes = readFileSync(f.path);
  const row = { model: name, parameters: f.parameters, runtimes: {} };
  const live = [];
  for (const rt of RUNTIMES) {
    const result = (row.runtimes[rt.key] = {});
    let session;
    try {
      session = await rt.open({ bytes, feeds: f.feeds });
      if (session.variant) result.variant = session.variant;
      live.push({ rt, session, result, out: await session.run() });
    } catch (e) {
      session?.dispose();
      Object.assign(result, { status: rt.key.startsWith("edgenn") ? "unsupported" : "not run", error: firstLine(e), detail: String(e?.message ?? e).split("\n").slice(0, 6).join("\n") });
    }
  }
  const ref = live.find((e) => e.rt.key === "ort-node")?.out;
  if (ref) row.ortNodeVsTorch = agreement(ref, f.torch);
  for (const e of live) {
    if (!ref) { Object.assign(e.result, { status: "not run", error: "no onnxruntime-node reference output" }); continue; }
    Object.assign(e.result, agreement(e.out, ref));
    e.result.status = e.result.rel <= WRONG_REL ? "ok" : "WRONG";
  }
  await time(live.filter((e) => e.result.status === "ok"), runs);
  for (const e of live) e.session.dispose();
  // edgenn best over the faster of some wasm peers, by wall clock and by CPU time (< 1: edgenn is faster).
  for (const { key, peers } of [{ key: "edgennOverBestWasmPeer", peers: WASM_PEERS }, ...RATIO_COLUMNS]) {
    row[key] = {};
    for (const clock of ["median", "cpuMedian"]) {
      const peer = Math.min(...peers.map((k) => row.runtimes[k]?.[clock] ?? Infinity));
      if (row.runtimes.edgenn?.[clock] && Number.isFinite(peer)) row[key][clock === "median" ? "wall" : "cpu"] = row.runtimes.edgenn[clock] / peer;
    }
  }
  return row;
}

/** Cold start and peak RSS: each runtime (and a baseline) in fresh processes, interleaved, medians over reps. */
async function coldStarts(reps, models) {
  const script = fileURLToPath(new URL("./peers/cold.mjs", import.meta.url));
  const keys = ["baseline", ...RUNTIMES.map((r) => r.key)];
  const out = {}, tmp = mkdtempSync(join(tmpdir(), "edgenn-cold-"));
  for (const model of COLD_MODELS) {
    // Models a runtime takes in its own format (LiteRT's .tflite) are written once here, read from a file there.
    const prepared = {};
    for (const rt of RUNTIMES.filter((r) => r.prepare)) {
      const f = modelFiles(model, models), p = await rt.prepare({ bytes: readFileSync(f.path), feeds: f.feeds });
      prepared[rt.key] = join(tmp, `${rt.key}-${model}.bin`);
      writeFileSync(prepared[rt.key], p.bytes);
      writeFileSync(`${prepared[rt.key]}.json`, JSON.stringify(p.meta));
    }
    const runs = Object.fromEntries(keys.map((k) => [k, []]));
    for (let r = 0; r < reps; r++) {
      for (const key of keys) {
        const p = spawnSync(process.execPath, [...process.execArgv, script, key, model, ...(prepared[key] ? [prepared[key]] : [])], { encoding: "utf8", maxBuffer: 1 << 24 });
        try { runs[key].push(JSON.parse(p.stdout.trim().split("\n").pop())); } catch { runs[key].push({ error: firstLine(p.stderr || `exit ${p.status}`) }); }
      }
    }
    out[model] = Object.fromEntries(keys.map((k) => {
      const ok = runs[k].filter((x) => !x.error);
      if (!ok.length) return [k, { error: runs[k][0]?.error }];
      return [k, { ms: median(ok.map((x) => x.ms)), processMs: median(ok.map((x) => x.processMs)), peakRssBytes: median(ok.map((x) => x.peakRssBytes)), maxRssBytes: median(ok.map((x) => x.maxRssBytes)),
        wasm: [...new Set(ok.flatMap((x) => x.wasm))].map((p) => p.replace(/^.*node_modules\//, "").replace(ROOT + "/", "")), all: ok.map((x) => x.ms) }];
    }));
  }
  rmSync(tmp, { recursive: true, force: true });
  return out;
}

function sizes() {
  return SHIPPED.map((s) => {
    const files = s.files.map((file) => {
      const bytes = readFileSync(join(ROOT, file));
      return { file, raw: bytes.length, gzip: gzipSync(bytes).length, wasm: file.endsWith(".wasm") };
    });
    const sum = (wasm, k) => files.filter((x) => x.wasm === wasm).reduce((a, x) => a + x[k], 0);
    return { ...s, files, js: { raw: sum(false, "raw"), gzip: sum(false, "gzip") }, wasm: { raw: sum(true, "raw"), gzip: sum(true, "gzip") } };
  });
}

// ------------------------------------------------------------------------------------------------
// Printing

const ms = (x) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toPrecision(3) : x.toPrecision(2));
const kb = (b) => (b / 1024).toFixed(b < 10240 ? 1 : 0);
const table = (head, rows) => [head, head.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");

function cell(r, left, clock) {
  if (!r) return "–"; // not in this run (results.json from before the runtime was added)
  if (r.status === "ok") return clock === "cpu" ? ms(r.cpuMedian) : `${ms(r.median)} (${ms(r.p10)}–${ms(r.p90)})`;
  if (r.status === "WRONG") return `WRONG (rel. error ${r.rel.toExponential(1)})`;
  return left?.error === r.error ? `${r.status} (same)` : `${r.status}: ${r.error}`;
}

function report(res, out) {
  const m = res.machine;
  const lines = [`edgenn compare: ${m.cpu}, ${m.cores} cores (shared: other jobs may run), node ${res.node}, ${res.date}; load average ${m.loadavg.start.join(" ")} → ${m.loadavg.end.join(" ")}`];
  lines.push(`versions: ${Object.entries(res.versions).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  lines.push(`SIMD-128 peak (f32_simd_peak, best of 7): simd build ${res.simdPeakGflops.simd.best.toFixed(1)} GFLOP/s, relaxed build ${res.simdPeakGflops.relaxed.best.toFixed(1)} GFLOP/s`);
  const latency = (clock) => table(["model", ...RUNTIMES.map((r) => r.label), ...RATIO_COLUMNS.map((c) => c.title)], res.models.map((row) => [
    row.model, ...RUNTIMES.map((r, i) => cell(row.runtimes[r.key], i && row.runtimes[RUNTIMES[i - 1].key], clock)),
    ...RATIO_COLUMNS.map((c) => (row[c.key]?.[clock] ? `${row[c.key][clock].toFixed(2)}x` : "–")),
  ]));
  lines.push("", `Latency per inference, batch 1, one thread: wall-clock ms, median (p10–p90) of ${res.options.runs} interleaved samples`, "", latency("wall"));
  lines.push("", "The same samples in process CPU time (ms per call, median): what other jobs on a shared machine distort least", "", latency("cpu"));
  const worst = res.models.flatMap((row) => Object.entries(row.runtimes).filter(([, r]) => r.rel !== undefined).map(([k, r]) => `${row.model}/${k} ${r.rel.toExponential(1)}`));
  lines.push("", `outputs vs onnxruntime-node (max abs error / max |ref|): ${worst.join(", ")}`);
  if (res.cold) {
    lines.push("", `Cold start (import + compile + load + first result, fresh process; median of ${res.options.coldReps}) and peak RSS after it`, "");
    const keys = Object.keys(res.cold[COLD_MODELS[0]]);
    lines.push(table(["runtime", ...COLD_MODELS.flatMap((mo) => [`${mo} ms`, `${mo} RSS MB`]), "wasm read"], keys.map((k) => [
      k, ...COLD_MODELS.flatMap((mo) => { const c = res.cold[mo][k]; return c.error ? [`failed: ${c.error}`, ""] : [k === "baseline" ? `(${ms(c.processMs)} from start)` : ms(c.ms), (c.peakRssBytes / 2 ** 20).toFixed(0)]; }),
      (res.cold[COLD_MODELS[0]][k].wasm ?? []).join(", ") || "–",
    ])));
  }
  lines.push("", "What each runtime ships (KB; gzip = zlib default level)", "");
  lines.push(table(["runtime", "set", "JS raw", "JS gzip", "wasm raw", "wasm gzip", "total gzip"], res.sizes.map((s) => [
    s.runtime, s.set, kb(s.js.raw), kb(s.js.gzip), kb(s.wasm.raw), kb(s.wasm.gzip), kb(s.js.gzip + s.wasm.gzip),
  ])));
  lines.push("", `one full run: ${res.seconds.toFixed(0)} s; figures in ${relative(process.cwd(), out)}`);
  return lines.join("\n");
}

// ------------------------------------------------------------------------------------------------

async function main() {
  const argv = process.argv.slice(2);
  const opts = parseArgs(argv);
  if (opts.report) return console.log(report(JSON.parse(readFileSync(opts.report, "utf8")), opts.report));
  const { features } = await import("../dist/index.js");
  // Relaxed SIMD needs a flag in Node 20 (NODE_OPTIONS refuses it): run the whole comparison again under it.
  if (!features().relaxedSimd && !process.execArgv.includes(RELAXED_FLAG)) {
    const p = spawnSync(process.execPath, [RELAXED_FLAG, ...process.execArgv, fileURLToPath(import.meta.url), ...argv], { stdio: "inherit" });
    process.exit(p.status ?? 1);
  }
  const t0 = performance.now();
  const models = ensureModels();
  const res = {
    machine: { cpu: cpus()[0]?.model?.trim(), cores: cpus().length, loadavg: { start: loadavg().map((x) => +x.toFixed(2)) } },
    node: process.version, v8: process.versions.v8, execArgv: process.execArgv, date: new Date().toISOString(),
    versions: { edgenn: JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version, "onnxruntime-web": version("onnxruntime-web"), "onnxruntime-node": version("onnxruntime-node"), "@tensorflow/tfjs-core": version("@tensorflow/tfjs-core"), "@tensorflow/tfjs-backend-wasm": version("@tensorflow/tfjs-backend-wasm"), "@litertjs/core": version("@litertjs/core") },
    options: { runs: opts.runs, coldReps: opts.coldReps, sampleMs: SAMPLE_MS, warmMs: WARM_MS, wrongRel: WRONG_REL },
    simdPeakGflops: await simdPeaks(),
    models: [],
  };
  for (const rt of RUNTIMES) await rt.init();
  for (const name of opts.models) {
    process.stderr.write(`${name} ...\n`);
    res.models.push(await benchModel(name, opts.runs, models));
  }
  if (opts.cold) { process.stderr.write("cold starts ...\n"); res.cold = await coldStarts(opts.coldReps, models); }
  res.sizes = sizes();
  res.machine.loadavg.end = loadavg().map((x) => +x.toFixed(2));
  res.seconds = (performance.now() - t0) / 1000;
  writeFileSync(opts.out, JSON.stringify(res, null, 1) + "\n");
  console.log(report(res, opts.out));
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); }); // exit: ort-web keeps handles open
