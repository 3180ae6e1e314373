#!/usr/bin/env node
/**
 * edgenn command line (Node). `edgenn demo` runs the embedded default model (breast-cancer MLP) on its
 * held-out cases; `inspect`, `run`, `bench` and `convert` work on any model edgenn loads (.enn, ONNX, TF.js).
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { EdgennError } from "./errors.js";
import { check } from "./check.js";
import { encryptModel, generateModelKey } from "./format/encrypt.js";
import { generateSigningKey, signEnn, verifyEnn, type SigningAlgorithm } from "./format/signature.js";
import { tensorFromNpy, tensorToNpy } from "./io/npy.js";
import { flopsOf, parametersOf } from "./ir/cost.js";
import { graphToEnn, type SaveOptions } from "./save.js";
import { Presets, SingleBar } from "cli-progress";
import { importModel, InferenceSession, load, type LoadProgress } from "./session.js";
import type { TensorLike } from "./ort.js";
import { Tensor } from "./tensor.js";
import { VARIANTS, type Variant } from "./wasm/loader.js";

const root = new URL("../", import.meta.url);
const USAGE = `usage: edgenn <command> [options]
  demo [--model FILE] [--variant relaxed|simd|scalar]     evaluate the default model on its held-out cases
  check MODEL                                      can edgenn run it? every unsupported op/attribute, by node
  inspect MODEL [--shape NAME=D,D,..] [--json]     inputs, outputs, operators, parameters, FLOPs, memory, metadata
  run MODEL --input NAME=FILE.npy ... [--output-dir DIR]
            MODEL --input FILE.json|-              {"NAME": {"dims": [...], "data": [...]}}; prints JSON outputs
  bench MODEL [--runs N] [--warmup N] [--input NAME=FILE.npy] [--shape NAME=D,..]
                                                   latency percentiles (random inputs unless given)
  convert MODEL -o OUT.enn [--fp16] [--int8] [--check]
                                                   ONNX / TF.js model.json / .enn to a portable .enn file; --fp16
                                                   halves the weights, --int8 stores weight matrices as int8 with
                                                   per-channel scales; --check runs both on one random input and
                                                   reports the difference
  keygen --out DIR [--alg ECDSA-P256|Ed25519]      make a signing key pair: DIR/private.pem (mode 0600), DIR/public.pem
  keygen --aes --out FILE                          make a 256-bit model encryption key (64 hex digits, mode 0600)
  encrypt FILE --model-key FILE -o OUT [--clear name,version]
                                                   seal a model with AES-256-GCM (--clear: metadata left readable)
  sign FILE --key private.pem [-o OUT]             sign an .enn file (in place unless -o; replaces an old signature)
  verify FILE --key public.pem [--key ...]         check an .enn file's signature: exit 0 if valid, 2 if not
MODEL is a .enn file, an .onnx file or a TF.js model.json. inspect, run and bench take --key public.pem too
(refuse the model unless it is signed by that key), --model-key FILE (an encrypted model's key) and
--variant relaxed|simd|scalar. Errors: one line, exit code 2.`;

const bad = (msg: string) => new EdgennError("BAD_INPUT", msg);

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      model: { type: "string" }, input: { type: "string", multiple: true }, variant: { type: "string" }, help: { type: "boolean", short: "h" },
      key: { type: "string", multiple: true }, out: { type: "string", short: "o" }, alg: { type: "string" },
      shape: { type: "string", multiple: true }, json: { type: "boolean" }, "output-dir": { type: "string" },
      runs: { type: "string" }, warmup: { type: "string" }, fp16: { type: "boolean" }, int8: { type: "boolean" }, check: { type: "boolean" },
      aes: { type: "boolean" }, "model-key": { type: "string" }, clear: { type: "string" },
    },
  });
  const [command, file] = positionals;
  const variant = values.variant as Variant | undefined;
  if (variant !== undefined && !VARIANTS.includes(variant)) throw bad(`--variant must be one of ${VARIANTS.join(", ")}, got ${variant}`);
  if (values.help || !command) return console.log(USAGE);
  if (command === "demo") return demo(values.model ?? new URL("models/wdbc-mlp.enn", root).pathname, variant);
  if (command === "keygen") return values.aes ? aesKeygen(values.out) : keygen(values.out, values.alg);
  if (!["check", "inspect", "info", "run", "bench", "convert", "sign", "verify", "encrypt"].includes(command)) throw bad(`unknown command '${command}' (edgenn --help lists them)`);
  if (!file) throw bad(`'${command}' needs a model file (edgenn --help)`);
  const keys = (values.key ?? []).map((k) => readText(k, "key"));
  if (command === "sign") {
    if (keys.length !== 1) throw bad("sign needs --key private.pem (one key)");
    const signed = await signEnn(readBytes(file, "model"), keys[0]);
    const out = values.out ?? file;
    writeFileSync(out, signed);
    return console.log(`edgenn: signed ${file} -> ${out}`);
  }
  if (command === "verify") {
    if (keys.length === 0) throw bad("verify needs --key public.pem");
    const r = await verifyEnn(readBytes(file, "model"), keys);
    if (!r.ok) throw new EdgennError("BAD_SIGNATURE", `${file}: ${r.reason}`);
    return console.log(`edgenn: ${file}: valid ${r.algorithm} signature by key ${r.keyId}`);
  }
  if (command === "check") {
    readBytes(file, "model");
    const r = await check(file);
    if (r.ok) return console.log(`edgenn: ${file}: supported (${r.nodes} nodes: ${Object.entries(r.operators).map(([op, n]) => `${op} ${n}`).join(", ")})`);
    throw new EdgennError("UNSUPPORTED", `${file}: ${r.problems.length} problem(s):\n${r.problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  if (command === "convert") return convert(file, values.out, { fp16: values.fp16 === true, int8: values.int8 === true }, values.check === true);
  const modelKey = values["model-key"] === undefined ? undefined : readText(values["model-key"], "model key").trim();
  const bytes = readBytes(file, "model"); // a missing file is named as such before any loading
  if (command === "encrypt") return encrypt(bytes, modelKey, values.out, values.clear);
  const session = await load(file, { variant, onProgress: progressBar(file), ...(keys.length ? { verify: keys } : {}), ...(modelKey ? { decryptionKey: modelKey } : {}) });
  const shapes = parseShapes(values.shape ?? []);
  if (command === "inspect" || command === "info") return inspect(session, file, shapes, values.json === true);
  const feeds = readFeeds(values.input ?? [], new Set(session.inputs.filter((i) => i.dtype !== "float32").map((i) => i.name)));
  if (command === "bench") return bench(session, feeds, shapes, intOption(values.runs, "runs", 50), intOption(values.warmup, "warmup", 5));
  if (Object.keys(feeds).length === 0) throw bad("run needs --input NAME=FILE.npy (one per input) or --input FILE.json");
  const out = await session.run(feeds);
  const dir = values["output-dir"];
  if (!dir) return console.log(JSON.stringify(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dims: t.dims, data: [...t.data] }]))));
  mkdirSync(dir, { recursive: true });
  for (const [name, t] of Object.entries(out)) {
    const path = join(dir, `${name.replace(/[^\w.-]/g, "_")}.npy`);
    writeFileSync(path, tensorToNpy(t));
    console.log(`${name} [${t.dims}] -> ${path}`);
  }
}

/**
 * A progress bar on stderr for loads that take longer than a moment (a terminal only: pipes and CI logs stay
 * clean): bytes while reading, then the phase.
 */
function progressBar(file: string): (p: LoadProgress) => void {
  const start = performance.now();
  let bar: SingleBar | undefined;
  return (p) => {
    if (!process.stderr.isTTY) return;
    if (!bar && (p.phase === "ready" || performance.now() - start < 300)) return;
    if (!bar) {
      bar = new SingleBar({
        format: `${basename(file)} [{bar}] {percentage}% {value}/{total} MB {phase}`, hideCursor: true, stream: process.stderr,
        formatValue: (v, _o, type) => (type === "value" || type === "total" ? v.toFixed(1) : String(v)),
      }, Presets.shades_classic);
      bar.start(1, 0, { phase: p.phase });
    }
    const total = (p.total ?? p.loaded) / 1e6;
    bar.setTotal(Math.max(total, 0.001));
    bar.update(p.loaded / 1e6, { phase: p.phase });
    if (p.phase === "ready") bar.stop();
  };
}

function readBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw bad(`could not read the ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function intOption(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1 || n > 1e6) throw bad(`--${name} must be a whole number from 1 to 1000000, got ${v}`);
  return n;
}

/** --shape NAME=1,3,224,224 (for models with symbolic dims). */
function parseShapes(args: string[]): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  for (const a of args) {
    const m = /^([^=]+)=(\d+(?:,\d+)*)$/.exec(a);
    if (!m) throw bad(`--shape takes NAME=D,D,... (e.g. input=1,3,224,224), got ${a}`);
    shapes[m[1]] = m[2].split(",").map(Number);
  }
  return shapes;
}

/**
 * --input NAME=FILE.npy (repeatable), or one --input FILE.json / - holding {"NAME": {"dims", "data"}}; JSON
 * values of `ids` inputs (token ids) stay integers: the session checks each fits int32 and names any that does not.
 */
function readFeeds(args: string[], ids: ReadonlySet<string>): Record<string, Tensor | TensorLike> {
  const feeds: Record<string, Tensor | TensorLike> = {};
  for (const a of args) {
    const eq = a.indexOf("=");
    if (eq > 0) {
      const [name, path] = [a.slice(0, eq), a.slice(eq + 1)];
      feeds[name] = tensorFromNpy(readBytes(path, "input"), path);
      continue;
    }
    let json: any;
    try {
      json = JSON.parse(a === "-" ? readFileSync(0, "utf8") : new TextDecoder().decode(readBytes(a, "input")));
    } catch (e) {
      if (e instanceof EdgennError) throw e;
      throw bad(`${a === "-" ? "standard input" : a}: not JSON (${(e as Error).message})`);
    }
    for (const [name, v] of Object.entries<any>(json ?? {})) {
      const data = v?.data ?? v;
      if (!Array.isArray(data)) throw bad(`${a}: input '${name}' must be {"dims": [...], "data": [...]} or an array of numbers`);
      const dims = v.dims ?? [1, data.length];
      feeds[name] = ids.has(name) ? { type: "int64", data, dims } : new Tensor("float32", Float32Array.from(data), dims);
    }
  }
  return feeds;
}

/** Seeded uniform [-1, 1) floats (zeros for integer ids) in each input's shape, for bench and convert --check. */
function randomFeeds(session: InferenceSession, shapes: Record<string, number[]>): Record<string, Tensor> {
  let seed = 0x2545f491;
  const next = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0) >>> 0) / 2 ** 32;
  return Object.fromEntries(session.inputs.map((i) => {
    const dims = shapes[i.name] ?? i.shape.map((d) => (typeof d === "number" ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    const dtype = i.dtype as string;
    if (dtype === "int64") return [i.name, new Tensor("int64", new BigInt64Array(n), dims)];
    if (dtype === "int32") return [i.name, new Tensor("int32", new Int32Array(n), dims)];
    return [i.name, new Tensor("float32", Float32Array.from({ length: n }, () => next() * 2 - 1), dims)];
  }));
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e6 ? 3 : 1)} MB`;
const count = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : `${n}`) + " ";

function inspect(s: InferenceSession, file: string, shapes: Record<string, number[]>, json: boolean): void {
  const d = s.describe(shapes);
  const ops = new Map<string, { count: number; flops: number }>();
  for (const n of d.nodes) {
    const o = ops.get(n.op) ?? { count: 0, flops: 0 };
    o.count++;
    o.flops += flopsOf(n);
    ops.set(n.op, o);
  }
  const flops = [...ops.values()].reduce((a, o) => a + o.flops, 0);
  const report = {
    file: basename(file), variant: s.variant, inputs: s.inputs, outputs: s.outputMetadata,
    operators: Object.fromEntries([...ops].sort((a, b) => b[1].flops - a[1].flops)), nodes: d.nodes.length,
    parameters: parametersOf(d.nodes), flops, memory: { weights: d.weightsBytes, activations: d.arenaBytes },
    fusion: s.fusion, metadata: s.metadata,
  };
  if (json) return console.log(JSON.stringify(report, null, 2));
  const meta = s.metadata as Record<string, unknown>;
  console.log(`${report.file}${meta.name ? ` — ${meta.name}${meta.version ? ` v${meta.version}` : ""}` : ""}`);
  if (typeof meta.description === "string") console.log(`  ${meta.description}`);
  for (const i of s.inputs) console.log(`  input   ${i.name}: ${i.dtype} [${i.shape}]`);
  for (const o of s.outputMetadata) console.log(`  output  ${o.name}: ${o.type} [${o.shape}]`);
  console.log(`  ${report.nodes} nodes after fusion, ${count(report.parameters)}parameters, ${count(flops)}FLOPs per run (${Object.values(shapes).length ? "given shapes" : "model's shapes"})`);
  console.log(`  wasm memory: weights ${mb(d.weightsBytes)}, activations ${mb(d.arenaBytes)} (${s.variant} build)`);
  console.log("  operator            count      FLOPs");
  for (const [op, o] of Object.entries(report.operators)) console.log(`    ${op.padEnd(16)} ${String(o.count).padStart(6)}  ${count(o.flops).padStart(9)}`);
  const other = Object.entries(meta).filter(([k]) => !["name", "version", "description"].includes(k));
  if (other.length) console.log(`  metadata: ${other.map(([k, v]) => `${k}=${JSON.stringify(v).slice(0, 60)}`).join(", ")}`);
}

async function bench(s: InferenceSession, given: Record<string, Tensor | TensorLike>, shapes: Record<string, number[]>, runs: number, warmup: number): Promise<void> {
  const feeds = { ...randomFeeds(s, shapes), ...given };
  const t0 = performance.now();
  s.runSync(feeds);
  const first = performance.now() - t0;
  for (let i = 0; i < warmup; i++) s.runSync(feeds);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    s.runSync(feeds);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
  const flops = s.describe(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, [...t.dims]]))).nodes.reduce((a, n) => a + flopsOf(n), 0);
  const f = (x: number) => x.toFixed(x < 1 ? 4 : 2);
  console.log(`${s.variant} build, ${runs} runs after ${warmup} warm-up (first run ${f(first)} ms)`);
  console.log(`  median ${f(at(0.5))} ms   p10 ${f(at(0.1))}   p90 ${f(at(0.9))}   min ${f(ms[0])}   mean ${f(ms.reduce((a, b) => a + b, 0) / ms.length)}`);
  if (flops > 0) console.log(`  ${count(flops)}FLOPs per run: ${(flops / at(0.5) / 1e6).toFixed(2)} GFLOP/s at the median`);
}

async function convert(file: string, out: string | undefined, storage: SaveOptions, check: boolean): Promise<void> {
  if (!out) throw bad("convert needs -o OUT.enn");
  const step = (msg: string) => process.stderr.write(`edgenn: ${msg}\n`);
  const t0 = performance.now();
  const bytes = readBytes(file, "model");
  step(`read ${file} (${mb(bytes.length)}); importing ...`);
  const { graph, metadata } = await importModel(bytes, file);
  const kind = [storage.int8 && "int8 matrices", storage.fp16 ? "float16" : "float32"].filter(Boolean).join(" + ");
  step(`${graph.nodes.length} nodes, ${graph.constants.size} weight tensors; writing ${kind} weights ...`);
  const enn = graphToEnn(graph, { ...metadata, converted_from: basename(file) }, storage);
  writeFileSync(out, enn);
  step(`wrote ${out} (${mb(enn.length)}) in ${(performance.now() - t0).toFixed(0)} ms`);
  if (!check) return;
  const [a, b] = await Promise.all([InferenceSession.fromGraph(graph, { metadata }), load(enn)]);
  const feeds = randomFeeds(a, {});
  const [ya, yb] = [a.runSync(feeds), b.runSync(feeds)];
  for (const name of a.outputNames) {
    let diff = 0, scale = 0;
    ya[name].data.forEach((v, i) => { diff = Math.max(diff, Math.abs(v - yb[name].data[i])); scale = Math.max(scale, Math.abs(v)); });
    step(`check '${name}': max |original - converted| = ${diff.toExponential(2)} (max |original| ${scale.toExponential(2)})`);
  }
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new EdgennError("BAD_INPUT", `could not read the ${what} file ${path}: ${(e as Error).message}`);
  }
}

async function aesKeygen(out: string | undefined): Promise<void> {
  if (!out) throw bad("keygen --aes needs --out FILE");
  try {
    writeFileSync(out, `${generateModelKey()}\n`, { mode: 0o600, flag: "wx" }); // never over an existing key
    chmodSync(out, 0o600);
  } catch (e) {
    throw bad(`keygen: could not write the key ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  console.log(`edgenn: AES-256 model key written to ${out} (keep it secret; it decrypts the models sealed with it)`);
}

async function encrypt(model: Uint8Array, key: string | undefined, out: string | undefined, clear: string | undefined): Promise<void> {
  if (!key || !out) throw bad("encrypt needs --model-key FILE and -o OUT");
  // The clear fields are read from the model itself, so they cannot disagree with what is inside.
  const keep = clear ? clear.split(",").map((k) => k.trim()).filter(Boolean) : [];
  const meta = keep.length ? (await importModel(model)).metadata : {};
  const visible = keep.length ? Object.fromEntries(keep.filter((k) => k in meta).map((k) => [k, meta[k]])) : undefined;
  writeFileSync(out, await encryptModel(model, key, visible));
  console.log(`edgenn: encrypted ${model.length} bytes -> ${out}${visible ? ` (clear: ${Object.keys(visible).join(", ") || "none found"})` : ""}`);
}

/** Writes DIR/private.pem (mode 0600, never over an existing file) and DIR/public.pem. */
async function keygen(dir: string | undefined, alg: string | undefined): Promise<void> {
  if (!dir) throw new EdgennError("BAD_INPUT", "keygen needs --out DIR");
  const algorithm = (alg ?? "ECDSA-P256") as SigningAlgorithm;
  if (algorithm !== "ECDSA-P256" && algorithm !== "Ed25519") throw new EdgennError("BAD_INPUT", `--alg must be ECDSA-P256 or Ed25519, got ${alg}`);
  const pair = await generateSigningKey(algorithm);
  mkdirSync(dir, { recursive: true });
  const priv = join(dir, "private.pem");
  try {
    // "wx": never overwrite a key; created with mode 0600 (chmod too, in case the umask or platform differs).
    writeFileSync(priv, pair.privateKey, { mode: 0o600, flag: "wx" });
    chmodSync(priv, 0o600);
    writeFileSync(join(dir, "public.pem"), pair.publicKey);
  } catch (e) {
    throw new EdgennError("BAD_INPUT", `keygen: could not write the keys in ${dir}: ${(e as Error).message}`);
  }
  console.log(`edgenn: ${algorithm} key ${pair.keyId}: ${priv} (keep secret), ${join(dir, "public.pem")}`);
}

/** The default job: the breast-cancer classifier on the 114 held-out WDBC cases. */
async function demo(modelPath: string, variant?: Variant): Promise<void> {
  const t0 = performance.now();
  const session = await load(modelPath, { variant });
  const loadMs = performance.now() - t0;
  const meta = session.metadata as any;
  const [mean, std] = [meta.preprocessing.mean, meta.preprocessing.std].map((a: number[]) => a.map(Math.fround));
  const csv = readFileSync(new URL("data/wdbc/breast_cancer.csv", root), "utf8").trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
  const split = JSON.parse(readFileSync(new URL("data/wdbc/split.json", root), "utf8"));
  const cases = (split.test_indices as number[]).map((i) => {
    const row = csv[i];
    const z = Float32Array.from(row.slice(0, 30), (x, j) => Math.fround(Math.fround(Math.fround(x) - mean[j]) / std[j]));
    return { index: i, z, malignant: row[30] === 0 }; // CSV label: 0 = malignant, 1 = benign
  });

  // One case at a time, as an edge function would score requests; time it.
  const probs: number[] = [];
  for (const c of cases) probs.push((await session.run({ input: new Tensor("float32", c.z, [1, 30]) })).output.data[0]);
  const reps = 200;
  const t1 = performance.now();
  for (let r = 0; r < reps; r++) for (const c of cases) session.runSync({ input: new Tensor("float32", c.z, [1, 30]) });
  const perCaseUs = ((performance.now() - t1) / (reps * cases.length)) * 1000;
  const batch = new Float32Array(cases.length * 30);
  cases.forEach((c, i) => batch.set(c.z, i * 30));
  const t2 = performance.now();
  for (let r = 0; r < reps; r++) session.runSync({ input: new Tensor("float32", batch, [cases.length, 30]) });
  const batchUs = ((performance.now() - t2) / (reps * cases.length)) * 1000;

  const threshold = meta.output?.threshold ?? 0.5;
  const m = { tp: 0, fn: 0, fp: 0, tn: 0 };
  cases.forEach((c, i) => {
    const predicted = probs[i] >= threshold;
    if (c.malignant) predicted ? m.tp++ : m.fn++;
    else predicted ? m.fp++ : m.tn++;
  });
  const acc = (m.tp + m.tn) / cases.length;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`edgenn ${session.variant} build, model '${meta.name}' v${meta.version} (${meta.description.split(".")[0]})`);
  console.log(`loaded in ${loadMs.toFixed(1)} ms; wasm memory ${session.memory.total} bytes (weights ${session.memory.weights}, activations ${session.memory.arena})\n`);
  console.log(`Held-out WDBC cases: ${cases.length} (never seen in training)`);
  console.log(`Accuracy ${pct(acc)} (${m.tp + m.tn}/${cases.length})   sensitivity ${pct(m.tp / (m.tp + m.fn))}   specificity ${pct(m.tn / (m.tn + m.fp))}\n`);
  console.log("Confusion matrix        predicted malignant   predicted benign");
  console.log(`  actual malignant      ${String(m.tp).padStart(17)}   ${String(m.fn).padStart(16)}`);
  console.log(`  actual benign         ${String(m.fp).padStart(17)}   ${String(m.tn).padStart(16)}\n`);
  // A few cases of each kind, and every case the model gets wrong.
  const wrong = cases.flatMap((c, i) => ((probs[i] >= threshold) !== c.malignant ? [i] : []));
  const firstOf = (malignant: boolean) => cases.flatMap((c, i) => (c.malignant === malignant && !wrong.includes(i) ? [i] : [])).slice(0, 3);
  console.log("Cases        P(malignant)   prediction   diagnosis");
  for (const i of [...firstOf(true), ...firstOf(false), ...wrong]) {
    const c = cases[i], predicted = probs[i] >= threshold;
    const tag = predicted === c.malignant ? "" : "   <- wrong";
    console.log(`  row ${String(c.index).padStart(3)}   ${probs[i].toFixed(4).padStart(12)}   ${(predicted ? "malignant" : "benign").padEnd(10)}   ${c.malignant ? "malignant" : "benign"}${tag}`);
  }
  console.log(`\nMean latency per case: ${perCaseUs.toFixed(2)} µs one at a time, ${batchUs.toFixed(3)} µs in a batch of ${cases.length}`);
  session.dispose();
}

main(process.argv.slice(2)).catch((e) => {
  // The message for the user (one line, or the importer's list of unsupported features); the stack only when
  // asked (EDGENN_DEBUG=1) or for an internal error.
  const known = e instanceof EdgennError || (e as { code?: string })?.code?.startsWith?.("ERR_PARSE_ARGS");
  console.error(known && !process.env.EDGENN_DEBUG ? `edgenn: ${e.message}` : e);
  process.exit(known ? 2 : 1);
});
