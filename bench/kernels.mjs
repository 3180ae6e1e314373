#!/usr/bin/env node
// Kernel benchmark: the SIMD peak and f32_gemm GFLOP/s for the SIMD-128 and relaxed-SIMD builds, in one run.
//
//   node bench/kernels.mjs                       table (build/edgenn-simd.wasm, build/edgenn-relaxed.wasm)
//   node bench/kernels.mjs --json                JSON instead
//   node bench/kernels.mjs --simd=/tmp/a.wasm --relaxed=/tmp/b.wasm     (or EDGENN_SIMD_WASM / EDGENN_RELAXED_WASM)
//   options: --quick (short runs), --ms=100 (time per measurement), --repeats=7, --clock=wall|cpu,
//            --only=REGEX (GEMM cases by name), --no-relaxed
//
// Relaxed SIMD needs `--experimental-wasm-relaxed-simd` in Node 20, which NODE_OPTIONS refuses: if this process
// cannot validate the relaxed binary it re-runs itself with the flag for that build and merges the JSON it prints.
//
// Each number is the median of `repeats` timed runs of >= `ms` milliseconds each, after a warm-up that lets V8
// tier the functions up to TurboFan. GFLOP/s count 2*M*N*K per GEMM; % peak is against f32_simd_peak of the same
// build (the peak's best sample: interference only lowers a peak). Every GEMM case is also spot-checked against
// an f64 reference (column "check"). The conv section times ResNet-18's 3x3 layers by im2col + GEMM and by
// Winograd (effective GFLOP/s: the direct convolution's FLOPs over the time), interleaved.
//
// Adding a section (e.g. MLP latency): push { name, title, run(kernels, opts) } onto `sections` (here or from a
// script that imports this module and calls main()). `kernels` is loadKernels()'s { exports, arena }; `run`
// returns rows { name, time: measure(fn, opts), flops?, M?, N?, K? }. Rows with flops get GFLOP/s and % peak,
// rows without print milliseconds per call (median / best). See gemmSection.

import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..");
export const RELAXED_FLAG = "--experimental-wasm-relaxed-simd";

/** FLOPs per iteration of f32_simd_peak (13 chains x 4 lanes x mul+add; see assembly/gemm/gemm.ts). */
export const PEAK_FLOPS_PER_ITERATION = 104;

// ------------------------------------------------------------------------------------------------
// Loading and memory

/** A bump allocator over the module's memory, from heap_base() (or the initial memory size) upward. */
export class Arena {
  constructor(exports, initialBytes) {
    this.e = exports;
    this.memory = exports.memory;
    this.base = align(typeof exports.heap_base === "function" ? exports.heap_base() : initialBytes, 64);
    this.top = this.base;
  }
  reset() { this.top = this.base; }
  /** Byte address of `count` floats, 64-byte aligned; grows memory as needed. */
  f32(count) {
    const p = this.top;
    this.top = align(p + 4 * Math.max(count, 1), 64);
    const need = this.top + 64 - this.memory.buffer.byteLength;
    if (need > 0) this.memory.grow(Math.ceil(need / 65536));
    return p;
  }
  /** A Float32Array view of `count` floats at byte address p (re-created: growing detaches old views). */
  view(p, count) { return new Float32Array(this.memory.buffer, p, count); }
}

function align(x, a) { return Math.ceil(x / a) * a; }

/** Instantiates a kernel binary (no imports) and returns { exports, arena, path, bytes }. */
export async function loadKernels(path) {
  const bytes = readFileSync(path);
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const e = instance.exports;
  return { exports: e, arena: new Arena(e, e.memory.buffer.byteLength), path, bytes };
}

// ------------------------------------------------------------------------------------------------
// Timing

function clockNow(clock) {
  if (clock === "cpu") { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }
  return performance.now();
}

/**
 * Times fn(iterations): calibrates `iterations` so that one run takes >= ms, then takes `repeats` samples.
 * Returns { iterations, wall: [ms per call], cpu: [ms per call], median (per call, in opts.clock) }.
 */
export function measure(fn, opts) {
  const { ms, repeats, clock } = opts;
  fn(1);
  let it = 1;
  for (;;) {
    const t0 = performance.now();
    fn(it);
    const dt = performance.now() - t0;
    if (dt >= ms) break;
    it = dt < ms / 64 ? it * 8 : Math.max(it + 1, Math.ceil(it * (ms * 1.1) / Math.max(dt, 1e-3)));
  }
  const wall = [], cpu = [];
  for (let r = 0; r < repeats; r++) {
    const w0 = performance.now(), c0 = clockNow("cpu");
    fn(it);
    const c1 = clockNow("cpu"), w1 = performance.now();
    wall.push((w1 - w0) / it);
    cpu.push((c1 - c0) / it);
  }
  const pick = clock === "cpu" ? cpu : wall;
  return { iterations: it, wall, cpu, median: median(pick), best: Math.min(...pick) };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Runs the kernels long enough for V8 to replace the baseline (Liftoff) code with TurboFan code. */
async function warmUp(k) {
  const e = k.exports;
  for (let i = 0; i < 20; i++) e.f32_simd_peak(20000);
  for (const [M, N, K] of [[64, 64, 64], [1, 64, 64]]) {
    const g = prepareGemm(k, M, N, K);
    for (let i = 0; i < 50; i++) g.run(1);
  }
  await new Promise((r) => setTimeout(r, 50)); // background TurboFan compilation
  k.arena.reset();
}

// ------------------------------------------------------------------------------------------------
// GEMM

/** Real shapes: M = output pixels (im2col rows), N = output channels, K = kh*kw*cin. */
export const GEMM_CASES = [
  ...[64, 128, 256, 512, 1024].map((s) => ({ name: `square ${s}`, M: s, N: s, K: s })),
  { name: "ResNet-18 conv1 7x7/2", M: 12544, N: 64, K: 147 },
  { name: "ResNet-18 layer1 3x3", M: 3136, N: 64, K: 576 },
  { name: "ResNet-18 layer4 3x3", M: 49, N: 512, K: 4608 },
  { name: "MobileNetV2 stem 3x3/2", M: 12544, N: 32, K: 27 },
  { name: "MobileNetV2 1x1 expand 24>144", M: 3136, N: 144, K: 24 },
  { name: "MobileNetV2 1x1 project 144>24", M: 3136, N: 24, K: 144 },
  { name: "MobileNetV2 1x1 320>1280", M: 49, N: 1280, K: 320 },
  { name: "XNNPACK mobilenet_v2_gemm #1", M: 12544, N: 32, K: 144 },
  { name: "dense batch 1, 512>512", M: 1, N: 512, K: 512 },
  { name: "dense batch 1, MLP 30>64", M: 1, N: 64, K: 30 },
  { name: "dense batch 32, 256>256", M: 32, N: 256, K: 256 },
];

let seed = 0x9e3779b9;
function rnd() { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return (seed >>> 8) / 8388608 - 1; }

/** Allocates and fills A (M x K), B (K x N), bias, packs B; returns { run(iterations), check() }. */
export function prepareGemm(k, M, N, K) {
  const e = k.exports, ar = k.arena;
  const a = ar.f32(M * K), b = ar.f32(K * N), bias = ar.f32(N);
  const packed = ar.f32(e.f32_gemm_packed_size(K, N)), c = ar.f32(M * N);
  for (const [p, n] of [[a, M * K], [b, K * N], [bias, N]]) {
    const v = ar.view(p, n);
    for (let i = 0; i < n; i++) v[i] = rnd();
  }
  e.f32_gemm_pack(K, N, b, N, 1, bias, packed);
  const gemm = e.f32_gemm;
  return {
    run(iterations) {
      for (let i = 0; i < iterations; i++) gemm(M, N, K, a, K, packed, c, N, -Infinity, Infinity);
    },
    /**
     * Max of error / tolerance over 64 sampled entries (<= 1 passes) against an f64 reference. Tolerance: the
     * f32 rounding bound of a (K+1)-term sum of products, (K + 2) * 2^-24 * (|bias| + sum |a*b|).
     */
    check() {
      const A = ar.view(a, M * K), B = ar.view(b, K * N), BI = ar.view(bias, N), C = ar.view(c, M * N);
      let worst = 0;
      for (let s = 0; s < 64; s++) {
        const i = Math.floor(((rnd() + 1) / 2) * M) % M, j = Math.floor(((rnd() + 1) / 2) * N) % N;
        let ref = BI[j], mag = Math.abs(BI[j]);
        for (let kk = 0; kk < K; kk++) { const p = A[i * K + kk] * B[kk * N + j]; ref += p; mag += Math.abs(p); }
        const err = Math.abs(C[i * N + j] - ref) / ((K + 2) * 2 ** -24 * mag + 1e-30);
        worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
      }
      return worst;
    },
  };
}

export const gemmSection = {
  name: "gemm",
  title: "f32_gemm (bias, no clamp; GFLOP/s = 2MNK / time)",
  run(k, opts) {
    const rows = [];
    for (const cs of GEMM_CASES) {
      if (opts.only && !opts.only.test(cs.name)) continue;
      k.arena.reset();
      const g = prepareGemm(k, cs.M, cs.N, cs.K);
      const m = measure((it) => g.run(it), opts);
      const check = g.check();
      rows.push({ name: cs.name, M: cs.M, N: cs.N, K: cs.K, flops: 2 * cs.M * cs.N * cs.K, time: m, check });
    }
    return rows;
  },
};

/** 3x3 stride-1 SAME convs of ResNet-18 (batch 1, NHWC): H = W, cin = cout. */
export const CONV_CASES = [[56, 64], [28, 128], [14, 256], [7, 512]].map(([hw, c]) => ({ name: `ResNet-18 3x3 ${hw}x${hw}x${c}`, hw, c }));

/**
 * The same 3x3 conv by im2col + GEMM (f32_conv2d) and by Winograd F(4x4, 3x3) (f32_conv2d_wino). GFLOP/s count
 * the direct convolution's 2 * H * W * 9 * cin * cout for both, so Winograd's is an effective rate. "check" is
 * the largest |winograd - im2col| over the largest |im2col| output.
 */
export const convSection = {
  name: "conv",
  title: "3x3 conv, im2col + GEMM vs Winograd F(4x4, 3x3) (effective GFLOP/s = 2 * H*W * 9*cin * cout / time)",
  run(k, opts) {
    const e = k.exports, ar = k.arena, rows = [];
    if (typeof e.f32_conv2d_wino !== "function") return rows;
    for (const cs of CONV_CASES) {
      if (opts.only && !opts.only.test(cs.name)) continue;
      ar.reset();
      const { hw, c } = cs, n = hw * hw * c;
      const x = ar.f32(n), w = ar.f32(9 * c * c), bias = ar.f32(c), y1 = ar.f32(n), y2 = ar.f32(n);
      for (const [p, cnt] of [[x, n], [w, 9 * c * c], [bias, c]]) {
        const v = ar.view(p, cnt);
        for (let i = 0; i < cnt; i++) v[i] = rnd();
      }
      const pk = ar.f32(e.f32_conv2d_packed_size(3, 3, c, c, 1)), sc = ar.f32(e.f32_conv2d_scratch_size(hw, 3, 3, c, c, 1));
      e.f32_conv2d_pack(3, 3, c, c, 1, w, bias, pk);
      const pw = ar.f32(e.f32_conv2d_wino_packed_size(c, c)), sw = ar.f32(e.f32_conv2d_wino_scratch_size(c, c));
      e.f32_conv2d_wino_pack(c, c, w, bias, pw);
      const im2col = () => e.f32_conv2d(1, hw, hw, c, hw, hw, c, 3, 3, 1, 1, 1, 1, 1, 1, 1, x, pk, y1, sc, -Infinity, Infinity);
      const wino = () => e.f32_conv2d_wino(1, hw, hw, c, hw, hw, c, 1, 1, x, pw, y2, sw, -Infinity, Infinity);
      im2col(); wino();
      const a = ar.view(y1, n), b = ar.view(y2, n);
      let err = 0, mag = 0;
      for (let i = 0; i < n; i++) { err = Math.max(err, Math.abs(a[i] - b[i])); mag = Math.max(mag, Math.abs(a[i])); }
      const flops = 2 * hw * hw * 9 * c * c, shape = { M: hw * hw, N: c, K: 9 * c };
      // Interleaved, so that load from other processes falls on both alike.
      const t1 = [], t2 = [];
      for (let r = 0; r < 3; r++) {
        t1.push(measure((it) => { for (let i = 0; i < it; i++) im2col(); }, opts));
        t2.push(measure((it) => { for (let i = 0; i < it; i++) wino(); }, opts));
      }
      rows.push({ name: `${cs.name} im2col`, ...shape, flops, time: merge(t1, opts.clock) });
      rows.push({ name: `${cs.name} winograd`, ...shape, flops, time: merge(t2, opts.clock), check: err / mag });
    }
    return rows;
  },
};

/** One timing from several measure() results: all their samples. */
function merge(ms, clock) {
  const wall = ms.flatMap((m) => m.wall), cpu = ms.flatMap((m) => m.cpu), pick = clock === "cpu" ? cpu : wall;
  return { iterations: ms[0].iterations, wall, cpu, median: median(pick), best: Math.min(...pick) };
}

const PEAK_ITERATIONS = 200000;

export const peakSection = {
  name: "peak",
  title: "f32_simd_peak: 13 independent f32x4 multiply-add chains (measured first and last; % peak = median / best peak)",
  run(k, opts) {
    const m = measure((n) => { for (let i = 0; i < n; i++) k.exports.f32_simd_peak(PEAK_ITERATIONS); }, opts);
    return [{ name: "SIMD peak", flops: PEAK_FLOPS_PER_ITERATION * PEAK_ITERATIONS, time: m }];
  },
};

/** Sections run in order (the peak first); append new ones here. */
export const sections = [peakSection, gemmSection, convSection];

// ------------------------------------------------------------------------------------------------
// One build

function derive(row, clock, peak) {
  const ms = row.time.median;
  const out = { ...row, ms, bestMs: row.time.best, clock };
  if (row.flops) {
    out.gflops = row.flops / ms / 1e6;
    out.bestGflops = row.flops / row.time.best / 1e6;
    out.gflopsWall = row.flops / median(row.time.wall) / 1e6;
    out.gflopsCpu = row.flops / median(row.time.cpu) / 1e6;
    if (peak) out.pctPeak = (100 * out.gflops) / peak;
  }
  delete out.time;
  out.samplesMs = { wall: row.time.wall, cpu: row.time.cpu, iterations: row.time.iterations };
  return out;
}

export async function benchBuild(label, path, opts) {
  const k = await loadKernels(path);
  const variant = typeof k.exports.variant === "function" ? k.exports.variant() : undefined;
  await warmUp(k);
  const raw = {};
  for (const s of sections) raw[s.name] = await s.run(k, opts);
  // The peak again at the end: other processes only ever lower it, so the best sample of both runs is the peak.
  const again = (await peakSection.run(k, opts))[0].time;
  const first = raw[peakSection.name][0].time;
  for (const key of ["wall", "cpu"]) first[key] = first[key].concat(again[key]);
  const pick = opts.clock === "cpu" ? first.cpu : first.wall;
  first.median = median(pick);
  first.best = Math.min(...pick);
  const peak = (PEAK_FLOPS_PER_ITERATION * PEAK_ITERATIONS) / first.best / 1e6;
  const result = { label, path, variant, peakGflops: peak, sections: {} };
  for (const s of sections) result.sections[s.name] = { title: s.title, rows: raw[s.name].map((r) => derive(r, opts.clock, peak)) };
  return result;
}

// ------------------------------------------------------------------------------------------------
// CLI

function parseArgs(argv) {
  const o = {
    json: false, ms: 100, repeats: 7, clock: "wall", only: null, relaxed: true, child: null,
    simd: process.env.EDGENN_SIMD_WASM || resolve(ROOT, "build/edgenn-simd.wasm"),
    relaxedPath: process.env.EDGENN_RELAXED_WASM || resolve(ROOT, "build/edgenn-relaxed.wasm"),
  };
  for (const a of argv) {
    const [key, val] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    switch (key) {
      case "--json": o.json = true; break;
      case "--quick": o.ms = 30; o.repeats = 3; break;
      case "--ms": o.ms = Number(val); break;
      case "--repeats": o.repeats = Number(val); break;
      case "--clock": o.clock = val === "cpu" ? "cpu" : "wall"; break;
      case "--only": o.only = new RegExp(val, "i"); break;
      case "--no-relaxed": o.relaxed = false; break;
      case "--simd": o.simd = resolve(val); break;
      case "--relaxed": o.relaxedPath = resolve(val); break;
      case "--child": o.child = val; break;
      default: throw new Error(`bench/kernels.mjs: unknown argument '${a}'`);
    }
  }
  return o;
}

function machine() {
  return {
    cpu: cpus()[0]?.model?.trim() || "unknown", cores: cpus().length, node: process.version,
    v8: process.versions.v8, date: new Date().toISOString(), loadavg: loadavg().map((x) => +x.toFixed(2)),
  };
}

/** Measures the relaxed build here if this process validates it, else in a child started with the flag. */
function relaxedBuild(opts, argv) {
  let bytes;
  try { bytes = readFileSync(opts.relaxedPath); } catch (err) { return { skipped: `cannot read ${opts.relaxedPath}: ${err.code || err.message}` }; }
  if (WebAssembly.validate(bytes)) return null; // measure in-process
  if (process.execArgv.includes(RELAXED_FLAG)) return { skipped: `this Node (${process.version}) does not validate relaxed SIMD even with ${RELAXED_FLAG}` };
  // Re-run the entry script (this file, or a script that added sections and called main()).
  const entry = process.argv[1] ? resolve(process.argv[1]) : fileURLToPath(import.meta.url);
  const args = [RELAXED_FLAG, entry, ...argv.filter((a) => !a.startsWith("--json")), "--child=relaxed"];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) return { skipped: `child '${process.execPath} ${RELAXED_FLAG}' failed (exit ${r.status}${r.error ? ", " + r.error.message : ""})` };
  try { return JSON.parse(r.stdout); } catch { return { skipped: "child printed no JSON" }; }
}

function fmtTime(ms, best) {
  return ms < 1 ? `${fmt(ms * 1000, 2)} / ${fmt(best * 1000, 2)} us` : `${fmt(ms, 2)} / ${fmt(best, 2)} ms`;
}

function fmt(x, digits = 1) { return x === undefined || x === null || Number.isNaN(x) ? "-" : x.toFixed(digits); }

function printTable(report) {
  const m = report.machine;
  const builds = Object.entries(report.builds);
  console.log(`edgenn kernel bench: ${m.cpu}, ${m.cores} cores, node ${m.node} (V8 ${m.v8}), ${m.date.slice(0, 10)}`);
  console.log(`GFLOP/s: median / best of ${report.options.repeats} runs of >= ${report.options.ms} ms (clock=${report.options.clock}); % peak = median / best SIMD peak of the same build`);
  console.log(`load average ${m.loadavg.join(" ")} (other processes on these ${m.cores} cores lower the numbers; --clock=cpu counts only this process's time)`);
  for (const [label, b] of builds) {
    if (b.skipped) console.log(`${label}: skipped: ${b.skipped}`);
  }
  const live = builds.filter(([, b]) => !b.skipped);
  const names = [...new Set(live.flatMap(([, b]) => Object.keys(b.sections)))];
  for (const sec of names) {
    const first = live.find(([, b]) => b.sections[sec])[1].sections[sec];
    console.log(`\n${first.title}`);
    const head = ["case".padEnd(32), "M".padStart(6), "N".padStart(6), "K".padStart(6)];
    for (const [label] of live) head.push(`${label} med/best`.padStart(17), "%peak".padStart(6));
    if (sec === "gemm") head.push("check".padStart(6));
    if (sec === "conv") head.push("err/max".padStart(8));
    console.log(head.join(" "));
    for (let i = 0; i < first.rows.length; i++) {
      const r0 = first.rows[i];
      const line = [r0.name.padEnd(32), String(r0.M ?? "").padStart(6), String(r0.N ?? "").padStart(6), String(r0.K ?? "").padStart(6)];
      let ok = true;
      for (const [, b] of live) {
        const r = b.sections[sec]?.rows.find((x) => x.name === r0.name);
        const v = r?.gflops !== undefined ? `${fmt(r.gflops)} / ${fmt(r.bestGflops)}` : r ? fmtTime(r.ms, r.bestMs) : "-";
        line.push(v.padStart(17), (r?.pctPeak !== undefined ? `${fmt(r.pctPeak, 0)}%` : "").padStart(6));
        if (r && r.check !== undefined && !(r.check <= 1)) ok = false;
      }
      if (sec === "gemm") line.push((ok ? "ok" : "FAIL").padStart(6));
      if (sec === "conv") line.push(live.map(([, b]) => b.sections[sec]?.rows[i]?.check?.toExponential(1) ?? "").join(" ").padStart(8));
      console.log(line.join(" "));
    }
  }
}

export async function main() {
  const argv = process.argv.slice(2);
  const opts = parseArgs(argv);
  if (opts.child) { // measure one build, print its JSON
    const path = opts.child === "relaxed" ? opts.relaxedPath : opts.simd;
    process.stdout.write(JSON.stringify(await benchBuild(opts.child, path, opts)));
    return;
  }
  const report = { machine: machine(), options: { ms: opts.ms, repeats: opts.repeats, clock: opts.clock }, builds: {} };
  try {
    report.builds.simd = await benchBuild("simd", opts.simd, opts);
  } catch (err) {
    report.builds.simd = { skipped: `${opts.simd}: ${err.message}` };
  }
  if (opts.relaxed) {
    const r = relaxedBuild(opts, argv);
    report.builds.relaxed = r ?? await benchBuild("relaxed", opts.relaxedPath, opts).catch((err) => ({ skipped: err.message }));
  }
  if (opts.json) console.log(JSON.stringify(report, null, 1));
  else printTable(report);
  const failed = Object.values(report.builds).some((b) => b.sections?.gemm?.rows.some((r) => !(r.check <= 1)));
  if (failed) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => { console.error(err); process.exit(1); });
}
