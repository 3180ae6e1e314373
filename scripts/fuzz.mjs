// Mutation fuzzer for every parser a model or input passes through: .enn, ONNX, TF.js layers (model.json and
// weight shards) and .npy, seeded from real files. A case passes when the parser (and, if it accepts, a load
// and one run) either works or throws an EdgennError with a known code; anything else (a TypeError, a
// RangeError, a wasm trap, a case over the time bound) is a failure, saved under fuzz-failures/ to replay.
//   npm run fuzz [-- --target enn|onnx|tfjs|npy] [--cases N (default 100000)] [--seed S]
// A fixed-seed slice runs in `npm test` (test/fuzz.test.mjs). Hangs: each target runs in a worker thread
// that reports the case it is on; the main thread stops it and names the case when it stalls. A case over 5 s
// (a mutated batch of 255 loads a 255-row plan: legitimate work, 2-3 s on a busy machine) is reported too.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import onnxProto from "onnx-proto";
import { dump } from "npyjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const CODES = new Set(["BAD_FILE", "BAD_GRAPH", "UNSUPPORTED", "BAD_INPUT", "LIMIT", "BAD_SIGNATURE"]);
const { onnx } = onnxProto;

function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const below = (n) => next() % n;
  return { below, pick: (xs) => xs[below(xs.length)], chance: (p) => next() / 2 ** 32 < p };
}

const INTERESTING = [0, 1, -1, 2, 3, 7, 8, 64, 255, 256, 65535, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1, 2 ** 40, 1e300, -1e300, NaN, Infinity, 0.5];

/** Byte-level damage: bit flips, interesting values, truncation, duplicated or deleted runs. */
function mutateBytes(r, src) {
  let b = Uint8Array.from(src);
  for (let k = 1 + r.below(4); k > 0; k--) {
    const at = r.below(Math.max(1, b.length));
    switch (r.below(6)) {
      case 0: b[at] ^= 1 << r.below(8); break;
      case 1: b[at] = r.pick([0, 0xff, 0x7f, 0x80, 0x20, 0x22, 0x7b]); break;
      case 2: if (b.length >= 4) new DataView(b.buffer).setUint32(Math.min(at, b.length - 4), r.pick(INTERESTING) >>> 0, true); break;
      case 3: b = b.slice(0, at); break;
      case 4: { const n = 1 + r.below(64); const out = new Uint8Array(b.length + n); out.set(b.subarray(0, at)); out.set(b.subarray(at, at + n), at); out.set(b.subarray(at), at + Math.min(n, b.length - at)); b = out.slice(0, b.length + Math.min(n, b.length - at)); break; }
      default: b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(Math.min(b.length, at + 1 + r.below(64)))]);
    }
    if (b.length === 0) break;
  }
  return b;
}

/** Structural damage to a decoded object (JSON or protobuf message): one leaf changed, removed or retyped. */
function mutateTree(r, obj) {
  const leaves = [];
  const walk = (o, depth) => {
    if (depth > 12 || !o || typeof o !== "object") return;
    for (const k of Object.keys(o)) {
      leaves.push([o, k]);
      if (!(o[k] instanceof Uint8Array)) walk(o[k], depth + 1);
    }
  };
  walk(obj, 0);
  for (let k = 1 + r.below(3); k > 0 && leaves.length; k--) {
    const [o, key] = r.pick(leaves);
    const v = o[key];
    if (v instanceof Uint8Array) o[key] = mutateBytes(r, v);
    else if (typeof v === "number") o[key] = r.pick(INTERESTING);
    else if (typeof v === "string") o[key] = r.pick(["", "x", v + v, "Conv", "Dense", "__proto__", "input", "constructor", "NaN"]);
    else if (v && typeof v.toNumber === "function") o[key] = v.constructor.fromNumber(r.pick(INTERESTING.filter(Number.isFinite)));
    else if (Array.isArray(v) && v.length) { if (r.chance(0.5)) v.splice(r.below(v.length), 1); else v.push(v[r.below(v.length)]); }
    else if (r.chance(0.3)) delete o[key];
    else o[key] = r.pick([null, 0, "", [], {}, true]);
  }
  return obj;
}

/** Runs a loaded session once on a small fixed input, so that an accepted mutation also gets planned and run. */
async function loadAndRun(edgenn, source) {
  const s = await edgenn.load(source);
  try {
    const feeds = {};
    for (const i of s.inputs) {
      const dims = i.shape.map((d) => (typeof d === "number" ? d : 1));
      const n = dims.reduce((a, b) => a * b, 1);
      if (n > 50_000) throw new edgenn.EdgennError("LIMIT", "input over the fuzzer's size (a mutated batch or length: legitimate work, not worth the time)");
      feeds[i.name] = i.dtype === "float32" || !i.dtype ? new edgenn.Tensor("float32", new Float32Array(n).fill(0.5), dims) : new edgenn.Tensor(i.dtype, i.dtype === "int64" ? new BigInt64Array(n) : new Int32Array(n), dims);
    }
    s.runSync(feeds);
  } finally {
    s.dispose();
  }
}

/** Each target: the real files it starts from, and how one case is made from a seed file and checked. */
export async function targets() {
  const edgenn = await import("../dist/index.js");
  const { tensorFromNpy } = await import("../dist/io/npy.js");
  const { importTfjsLayers } = await import("../dist/importers/tfjs.js");
  const { ensureModels } = await import("./models.mjs");
  const ennSeeds = [readFileSync(join(root, "models/wdbc-mlp.enn"))];
  const { dir, manifest } = ensureModels();
  const onnxSeeds = ["wdbc_mlp", "dna_cnn", "bigru_ecg"].map((m) => readFileSync(join(dir, manifest.models[m].onnx)));
  const tfjsDir = join(root, "models/wdbc-mlp.tfjs");
  const tfjsJson = JSON.parse(readFileSync(join(tfjsDir, "model.json"), "utf8"));
  const tfjsShard = readFileSync(join(tfjsDir, "weights.bin"));
  const npySeeds = [
    ...["dna_cnn", "transformer_text", "wdbc_mlp"].map((m) => readFileSync(join(dir, manifest.models[m].inputs[0].file))),
    new Uint8Array(dump(new Float64Array([1.5, -2, 3]), [3])),
  ];
  const { sha256 } = await import("@noble/hashes/sha2.js");
  const reseal = (b) => { if (b.length >= 56) b.set(sha256.create().update(b.subarray(0, 24)).update(b.subarray(56)).digest(), 24); return b; };
  return {
    // Half the cases get a recomputed checksum so that the structural checks behind it are reached too; the
    // other half must never load: the checksum covers every byte that can change an answer.
    enn: {
      make: (r) => {
        const seed = r.pick(ennSeeds), bytes = mutateBytes(r, seed), resealed = r.chance(0.5);
        return { bytes: resealed ? reseal(bytes) : bytes, damaged: !resealed && Buffer.compare(bytes, seed) !== 0 };
      },
      check: async ({ bytes, damaged }) => {
        await loadAndRun(edgenn, bytes);
        if (damaged) throw new Error("a damaged .enn file (checksum not recomputed) loaded without an error");
      },
    },
    onnx: {
      make: (r) => {
        const seed = r.pick(onnxSeeds);
        if (r.chance(0.4)) return mutateBytes(r, seed);
        try {
          return onnx.ModelProto.encode(mutateTree(r, onnx.ModelProto.decode(seed))).finish();
        } catch {
          return mutateBytes(r, seed); // a tree protobufjs cannot encode (a null message field): damage bytes instead
        }
      },
      check: (b) => loadAndRun(edgenn, b),
    },
    tfjs: {
      make: (r) => ({ json: r.chance(0.7) ? mutateTree(r, structuredClone(tfjsJson)) : tfjsJson, shard: r.chance(0.4) ? mutateBytes(r, tfjsShard) : tfjsShard }),
      check: async ({ json, shard }) => {
        const { graph, metadata } = importTfjsLayers(json, shard);
        const s = await edgenn.InferenceSession.fromGraph(graph, { metadata });
        s.dispose();
      },
    },
    npy: {
      make: (r) => mutateBytes(r, r.pick(npySeeds)),
      check: (b) => {
        const t = tensorFromNpy(b, "fuzz.npy");
        if (t.data.length !== t.dims.reduce((a, d) => a * d, 1)) throw new Error(`accepted a .npy with ${t.data.length} values for [${t.dims}]`);
      },
    },
  };
}

/** Runs `cases` cases of one target from `seed`; calls `progress(i)` before each. Returns the tally. */
export async function fuzz(target, { cases, seed = 1, timeoutMs = 5000, progress = () => {}, all } = {}) {
  const t = (all ?? (await targets()))[target];
  const tally = { cases: 0, accepted: 0, rejected: {}, failures: [] };
  for (let i = 0; i < cases; i++) {
    progress(i);
    const input = t.make(rng(seed * 1_000_003 + i));
    const t0 = performance.now();
    try {
      await t.check(input);
      tally.accepted++;
    } catch (e) {
      if (e?.name === "EdgennError" && CODES.has(e.code) && typeof e.message === "string" && e.message.length > 0) {
        tally.rejected[e.code] = (tally.rejected[e.code] ?? 0) + 1;
      } else {
        tally.failures.push({ target, seed, case: i, error: String(e?.stack ?? e).split("\n").slice(0, 4).join(" | ") });
      }
    }
    const ms = performance.now() - t0;
    if (ms > timeoutMs) tally.failures.push({ target, seed, case: i, error: `took ${ms.toFixed(0)} ms (bound ${timeoutMs} ms)` });
    tally.cases++;
  }
  return tally;
}

/** Re-creates a failing case's input (for fuzz-failures/ and debugging). */
export async function replay(target, seed, i) {
  return (await targets())[target].make(rng(seed * 1_000_003 + i));
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
  const cases = Number(opt("cases", 100_000)), seed = Number(opt("seed", Date.now() % 1e6));
  const names = opt("target") ? [opt("target")] : ["npy", "enn", "tfjs", "onnx"];
  let failed = 0;
  for (const target of names) {
    const t0 = Date.now();
    const shared = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { target, cases, seed, shared } });
    let last = -1, stalled = 0;
    const watchdog = setInterval(() => {
      const now = Atomics.load(shared, 0);
      stalled = now === last ? stalled + 1 : 0;
      last = now;
      if (stalled >= 30) { // 30 s on one case: a hang
        console.error(`${target}: case ${now} (seed ${seed}) hangs; replay with fuzz.replay("${target}", ${seed}, ${now})`);
        failed++;
        worker.terminate();
      }
      if (now > 0) process.stderr.write(`\r${target}: ${now}/${cases}`);
    }, 1000);
    const tally = await new Promise((resolve) => {
      worker.on("message", resolve);
      worker.on("error", (e) => resolve({ failures: [{ error: String(e) }] }));
      worker.on("exit", () => resolve(undefined));
    });
    clearInterval(watchdog);
    if (!tally) continue;
    process.stderr.write("\r");
    console.log(`${target}: ${tally.cases} cases in ${((Date.now() - t0) / 1000).toFixed(0)} s, seed ${seed}: accepted ${tally.accepted}, rejected ${JSON.stringify(tally.rejected)}, failures ${tally.failures.length}`);
    for (const f of tally.failures.slice(0, 20)) {
      console.log(`  case ${f.case}: ${f.error}`);
      const input = await replay(target, seed, f.case);
      mkdirSync(join(root, "fuzz-failures"), { recursive: true });
      writeFileSync(join(root, "fuzz-failures", `${target}-${seed}-${f.case}.bin`), input instanceof Uint8Array ? input : input.bytes ?? JSON.stringify(input.json));
    }
    failed += tally.failures.length;
  }
  process.exitCode = failed ? 1 : 0;
}

if (!isMainThread && workerData?.target) {
  const { target, cases, seed, shared } = workerData;
  fuzz(target, { cases, seed, progress: (i) => Atomics.store(shared, 0, i) }).then((t) => parentPort.postMessage(t));
} else if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  main();
}
