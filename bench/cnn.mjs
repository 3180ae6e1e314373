#!/usr/bin/env node
// CNN latency: resnet18, mobilenet_v2 and dna_cnn (the real exported models, scripts/models.mjs), batch 1,
// one runSync per sample, both kernel builds, interleaved in one process so that load from other jobs hits
// every configuration alike. Optionally against other builds of edgenn (a copy of dist/ made before a change):
//
//   node bench/cnn.mjs                                   this tree's dist/, simd and relaxed
//   node bench/cnn.mjs --dist=before:/path/to/old/dist   also the old build, interleaved with this one
//   options: --models=resnet18,mobilenet_v2 --rounds=9 --runs=5 --check (max error vs onnxruntime-node) --json
//            --clock=cpu (this process's CPU time instead of wall time: steadier when other jobs share the cores)
//
// Each round runs every (dist, build, model) `runs` times and keeps that round's median; the table gives the
// median (and range) of the round medians. Relaxed SIMD needs --experimental-wasm-relaxed-simd in Node 20:
// without it the script re-runs itself with the flag (which does not change the SIMD-128 build's code).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ensureModels, readNpy } from "../scripts/models.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const FLAG = "--experimental-wasm-relaxed-simd";

const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const i = a.indexOf("=");
  return i < 0 ? [a.replace(/^--/, ""), true] : [a.slice(2, i), a.slice(i + 1)];
}));
const relaxedBytes = readFileSync(resolve(HERE, "../dist/wasm/edgenn-relaxed.wasm"));
if (!WebAssembly.validate(relaxedBytes) && !process.execArgv.includes(FLAG)) {
  const r = spawnSync(process.execPath, [FLAG, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

const models = String(args.models ?? "resnet18,mobilenet_v2,dna_cnn").split(",");
const rounds = Number(args.rounds ?? 9), runs = Number(args.runs ?? 5);
const clock = args.clock === "cpu" ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : () => performance.now();
const dists = [["this", resolve(HERE, "../dist")]];
for (const d of String(args.dist ?? "").split(",").filter(Boolean)) {
  const [label, path] = d.includes(":") ? d.split(/:(.*)/s) : ["other", d];
  dists.push([label, resolve(path)]);
}

const { dir, manifest } = ensureModels();
const inputs = {}, bytes = {};
for (const m of models) {
  const info = manifest.models[m];
  if (!info) throw new Error(`no model '${m}' in ${dir}`);
  bytes[m] = readFileSync(resolve(dir, info.onnx));
  inputs[m] = Object.fromEntries(info.inputs.map((i) => [i.name, { ...readNpy(resolve(dir, i.file)), name: i.name }]));
}

const configs = [];
for (const [label, path] of dists) {
  const lib = await import(pathToFileURL(resolve(path, "index.js")).href);
  for (const variant of ["simd", "relaxed"]) {
    for (const m of models) {
      const s = await lib.load(bytes[m], { variant });
      const feeds = Object.fromEntries(Object.values(inputs[m]).map((i) => [i.name, new lib.Tensor("float32", Float32Array.from(i.data), i.shape)]));
      for (let i = 0; i < 3; i++) s.runSync(feeds); // warm-up: TurboFan tier-up, plan, arena
      configs.push({ label, variant, model: m, s, feeds, medians: [] });
    }
  }
}

for (let r = 0; r < rounds; r++) {
  for (const c of configs) {
    const t = [];
    for (let i = 0; i < runs; i++) {
      const t0 = clock();
      c.s.runSync(c.feeds);
      t.push(clock() - t0);
    }
    c.medians.push(median(t));
  }
}

let ort;
if (args.check) ort = await import("onnxruntime-node");
const rows = [];
for (const c of configs) {
  const row = { dist: c.label, variant: c.variant, model: c.model, ms: median(c.medians), min: Math.min(...c.medians), max: Math.max(...c.medians) };
  if (ort) {
    const sess = await ort.InferenceSession.create(bytes[c.model], { intraOpNumThreads: 1 });
    const feeds = Object.fromEntries(Object.values(inputs[c.model]).map((i) => [i.name, new ort.Tensor("float32", Float32Array.from(i.data), i.shape)]));
    const ref = await sess.run(feeds);
    const got = c.s.runSync(c.feeds);
    const name = Object.keys(ref)[0];
    const a = got[Object.keys(got)[0]].data, b = ref[name].data;
    let maxAbs = 0, maxRef = 0;
    for (let i = 0; i < b.length; i++) { maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i])); maxRef = Math.max(maxRef, Math.abs(b[i])); }
    Object.assign(row, { maxAbs, rel: maxAbs / maxRef });
  }
  rows.push(row);
}

const machine = { cpu: cpus()[0]?.model?.trim(), cores: cpus().length, node: process.version, date: new Date().toISOString(), loadavg: loadavg().map((x) => +x.toFixed(2)) };
if (args.json) console.log(JSON.stringify({ machine, rounds, runs, clock: args.clock === "cpu" ? "cpu" : "wall", rows }, null, 1));
else {
  console.log(`${machine.cpu}, ${machine.cores} cores, node ${machine.node}, ${machine.date}, load ${machine.loadavg.join(" ")}`);
  console.log(`median of ${rounds} round medians (${runs} runs each, ${args.clock === "cpu" ? "CPU" : "wall"} time), ms [range]${ort ? "; max |err| vs onnxruntime-node, and / max |ref|" : ""}`);
  for (const r of rows) {
    const err = r.maxAbs !== undefined ? `  err ${r.maxAbs.toExponential(2)} (rel ${r.rel.toExponential(2)})` : "";
    console.log(`${r.dist.padEnd(8)} ${r.variant.padEnd(8)} ${r.model.padEnd(14)} ${r.ms.toFixed(2).padStart(8)} [${r.min.toFixed(2)}-${r.max.toFixed(2)}]${err}`);
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}
