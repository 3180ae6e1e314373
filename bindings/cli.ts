#!/usr/bin/env node
/**
 * edgenn command line (Node). `edgenn demo` runs the embedded default model (breast-cancer MLP) on its
 * held-out cases; `edgenn info FILE` describes a model; `edgenn run FILE --input x.json` runs one.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { EdgennError } from "./errors.js";
import { generateSigningKey, signEnn, verifyEnn, type SigningAlgorithm } from "./format/signature.js";
import { load, type InferenceSession } from "./session.js";
import type { TensorLike } from "./ort.js";
import { Tensor } from "./tensor.js";

const root = new URL("../", import.meta.url);
const USAGE = `usage:
  edgenn demo [--model FILE] [--variant simd|relaxed]   evaluate the default model on its held-out cases
  edgenn info FILE                                      inputs, outputs, metadata, memory of a model
  edgenn run FILE --input JSON_FILE|-                   run a model on {"input": {"dims": [...], "data": [...]}}
  edgenn keygen --out DIR [--alg ECDSA-P256|Ed25519]    make a signing key pair: DIR/private.pem (mode 0600), DIR/public.pem
  edgenn sign FILE --key private.pem [-o OUT]           sign an .enn file (in place unless -o; replaces an old signature)
  edgenn verify FILE --key public.pem [--key ...]       check an .enn file's signature: exit 0 if valid, 2 if not
  (info and run take --key public.pem too: refuse the model unless it is signed by that key)`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      model: { type: "string" }, input: { type: "string" }, variant: { type: "string" }, help: { type: "boolean", short: "h" },
      key: { type: "string", multiple: true }, out: { type: "string", short: "o" }, alg: { type: "string" },
    },
  });
  const [command, file] = positionals;
  const variant = values.variant as "simd" | "relaxed" | undefined;
  if (values.help || !command) return console.log(USAGE);
  if (command === "demo") return demo(values.model ?? new URL("models/wdbc-mlp.enn", root).pathname, variant);
  if (command === "keygen") return keygen(values.out, values.alg);
  if (!file) throw new EdgennError("BAD_INPUT", `'${command}' needs a model file\n${USAGE}`);
  const keys = (values.key ?? []).map((k) => readText(k, "key"));
  if (command === "sign") {
    if (keys.length !== 1) throw new EdgennError("BAD_INPUT", "sign needs --key private.pem (one key)");
    const signed = await signEnn(readFileSync(file), keys[0]);
    const out = values.out ?? file;
    writeFileSync(out, signed);
    return console.log(`edgenn: signed ${file} -> ${out}`);
  }
  if (command === "verify") {
    if (keys.length === 0) throw new EdgennError("BAD_INPUT", "verify needs --key public.pem");
    const r = await verifyEnn(readFileSync(file), keys);
    if (!r.ok) throw new EdgennError("BAD_SIGNATURE", `${file}: ${r.reason}`);
    return console.log(`edgenn: ${file}: valid ${r.algorithm} signature by key ${r.keyId}`);
  }
  const session = await load(file, { variant, ...(keys.length ? { verify: keys } : {}) });
  if (command === "info") return info(session);
  if (command === "run") {
    if (!values.input) throw new EdgennError("BAD_INPUT", "run needs --input JSON_FILE (or - for standard input)");
    const json = JSON.parse(readFileSync(values.input === "-" ? 0 : values.input, "utf8"));
    const feeds: Record<string, Tensor | TensorLike> = {};
    const ids = new Set(session.inputs.filter((i) => i.dtype !== "float32").map((i) => i.name));
    for (const [name, v] of Object.entries<any>(json)) {
      const data = v.data ?? v, dims = v.dims ?? [1, data.length];
      // Id inputs as plain integers: the session checks each fits int32 and names the one that does not.
      feeds[name] = ids.has(name) ? { type: "int64", data, dims } : new Tensor("float32", Float32Array.from(data), dims);
    }
    const out = await session.run(feeds);
    return console.log(JSON.stringify(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dims: t.dims, data: [...t.data] }]))));
  }
  throw new EdgennError("BAD_INPUT", `unknown command '${command}'\n${USAGE}`);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new EdgennError("BAD_INPUT", `could not read the ${what} file ${path}: ${(e as Error).message}`);
  }
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

function info(s: InferenceSession): void {
  console.log(JSON.stringify({ inputs: s.inputs, outputs: s.outputNames, metadata: s.metadata, memory: s.memory, variant: s.variant, fusion: s.fusion }, null, 2));
}

/** The default job: the breast-cancer classifier on the 114 held-out WDBC cases. */
async function demo(modelPath: string, variant?: "simd" | "relaxed"): Promise<void> {
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
  console.error(e instanceof EdgennError ? `edgenn: ${e.message}` : e);
  process.exit(e instanceof EdgennError ? 2 : 1);
});
