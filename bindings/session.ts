/**
 * Sessions: a loaded model bound to its own kernel instance (own linear memory), so several sessions never
 * disturb one another. Weights are packed once; one plan per distinct set of input shapes is made on first
 * use and cached; `run` copies inputs in, runs the plan's steps and copies outputs out.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { emit, errorEvent, now, type AuditHandler } from "./audit.js";
import { EdgennError } from "./errors.js";
import { ENN_MAGIC, readEnn, toHex } from "./format/enn.js";
import { decryptModel, isEncryptedModel, type ModelKey } from "./format/encrypt.js";
import { readEnnStream } from "./format/enn-stream.js";
import { verifyEnnOrThrow, type EnnVerifyResult } from "./format/signature.js";
import { cachedFetch, type CacheOptions } from "./io/cache.js";
import { aborted, openSource, peek, readAll, readSource, toUrl, type ModelSource } from "./io/source.js";
import { graphToJson, parseGraph, type Constant, type DType, type Graph } from "./ir/graph.js";
import { fuse, type FusionReport } from "./ir/passes.js";
import { valueTypes } from "./ops/dtypes.js";
import { OPS } from "./ops/registry.js";
import { createArgs, feedData, unravel, fetchList, fillOutput, outputMetadata, type Fetches, type OrtSessionOptions, type RunOptions, type TensorLike, type ValueMetadata } from "./ort.js";
import { makePlan, runPlan, type Plan, type PlanRuntime } from "./plan/plan.js";
import { RecurrentStream, streamingGraph } from "./stream.js";
import { describe, Tensor } from "./tensor.js";
import { instantiateKernels, type Variant, type WasmOptions } from "./wasm/loader.js";
import { alignUp, ALIGN, LinearMemory } from "./wasm/memory.js";
import { AUTO_MAX_THREADS, hardwareThreads, ThreadPool, threadsUnavailable } from "./wasm/threads.js";

/** Resource limits, checked before anything is allocated; raise them for trusted large models. */
export interface Limits {
  /** Largest model file load() accepts (default 2 GiB). */
  maxFileBytes?: number;
  /** Most wasm memory one session may use: weights + activations (default 4 GiB, the wasm32 maximum). */
  maxMemoryBytes?: number;
  /** Largest activation arena one input shape may plan (default 1 GiB): a huge batch is refused, not attempted. */
  maxArenaBytes?: number;
}
const DEFAULT_LIMITS: Required<Limits> = { maxFileBytes: 2 ** 31, maxMemoryBytes: 2 ** 32, maxArenaBytes: 2 ** 30 };

export interface SessionOptions extends WasmOptions {
  /** Resource limits (see Limits for the defaults). */
  limits?: Limits;
  /** How many distinct input-shape plans to keep (default 8); the oldest is dropped past that. */
  maxPlans?: number;
  /**
   * Trusted public key(s), SPKI PEM. When given, load() refuses (EdgennError "BAD_SIGNATURE") any file that is
   * not an .enn file signed by one of them with a valid signature, before anything in it is used.
   */
  verify?: string | readonly string[];
  /** Zero the activation arena (inputs, intermediates, outputs in wasm memory) after every run. */
  wipe?: boolean;
  /**
   * What a run does with NaN or ±Infinity in a float input: "allow" (default: computed like any value) or
   * "reject" (BAD_INPUT naming the input and the position, before anything runs).
   */
  nonFinite?: "allow" | "reject";
  /**
   * The key of an encrypted model (`edgenn encrypt`): 32 bytes or 64 hex digits. The file is decrypted in
   * memory; a signature (`verify`) is checked on the decrypted .enn. See docs/security.md.
   */
  decryptionKey?: ModelKey;
  /** Audit events (load, run, error): plain objects without any tensor data. See docs/security.md. */
  onEvent?: AuditHandler;
  /** Load progress: bytes as they arrive, then verify, decode, pack, ready. */
  onProgress?: (p: LoadProgress) => void;
  /** Stops a load (a download, a large file) with EdgennError "ABORTED"; nothing of it is kept. */
  signal?: AbortSignal;
  /**
   * Intermediate values to keep fetchable: `run(feeds, { fetch: ["conv3", "output"] })` (or ORT's fetches)
   * returns them. Fusion keeps these values (a tapped conv output is not fused with its activation).
   */
  taps?: readonly string[];
  /**
   * Winograd F(4x4, 3x3) for 3x3 convolutions (default true): about twice as fast, but its transformed weights
   * take 4x the memory of the 3x3 weights (ResNet-18: 168 MB of wasm memory instead of 54). false for small
   * memory budgets (edge workers with 128 MB).
   */
  winograd?: boolean;
  /**
   * Input shapes to import an ONNX model for when its shape arithmetic reads symbolic input dims (dynamic
   * axes); other shapes are imported as they come (each new shape costs one import). Default: symbolic dims 1.
   */
  inputShapes?: Record<string, number[]>;
  /**
   * Kernel threads (default 1): N >= 2 runs big convolutions and dense layers split over N threads (the calling
   * thread and N - 1 workers on shared wasm memory), with the same results as one thread. Needs SharedArrayBuffer:
   * Node, Deno, Bun, and pages served cross-origin isolated (COOP/COEP headers); elsewhere load() fails with
   * UNSUPPORTED. "auto": the hardware's threads (at most 4), or 1 where threads are unavailable; `session.threads`
   * says which. dispose() ends the workers. Wasm memory is then capped at limits.maxMemoryBytes, default 1 GiB.
   * See docs/threads.md.
   */
  threads?: number | "auto";
}

/** `cache: true` or store options: see io/cache.ts (Cache API in pages and workers, a directory in Node/Bun). */
export const cacheOptions = (c: boolean | CacheOptions | undefined): CacheOptions => (typeof c === "object" ? c : {});
export interface SessionDescription {
  nodes: { name: string; op: string; attrs: Readonly<Record<string, unknown>>; inputs: { name: string; shape?: number[]; constant: boolean }[]; outputs: { name: string; shape: number[] }[] }[];
  arenaBytes: number;
  weightsBytes: number;
}
/** A model input: float32, or int32/int64 ids (fed as Int32Array or BigInt64Array, held as int32). */
export interface InputInfo { name: string; dtype: DType; shape: (number | string)[] }

/** What load() reports as it goes (`onProgress`): bytes while reading, then each later phase once. */
export interface LoadProgress {
  phase: "download" | "verify" | "decode" | "pack" | "ready";
  /** Bytes read so far (the whole file from "verify" on). */
  loaded: number;
  /** The file's size where known: from bytes, a file's size, Content-Length or the .enn header. */
  total?: number;
}

/**
 * Loads a .enn, ONNX or TF.js model from bytes, a URL, a file path (Node, Deno, Bun), a ReadableStream or a fetch
 * Response, and makes a session. A plain .enn file is decoded while it streams in (memory: the weights plus one
 * tensor, never the file twice); with `verify` or `decryptionKey` the file is read whole first. `onProgress`
 * reports the phases, `signal` aborts (EdgennError "ABORTED"); with `onEvent`, a "load" (or "error") event.
 */
export async function load(source: ModelSource, options: SessionOptions = {}): Promise<InferenceSession> {
  const t0 = now();
  try {
    const { signal, onProgress } = options;
    const limits = limitsOf(options);
    // Cached (options.cache): the bytes from the offline store, revalidated with the server when it answers.
    const url = options.cache && (typeof source === "string" || source instanceof URL) && /^https?:/i.test(String(source)) ? String(source) : undefined;
    const opened = await openSource(url ? await cachedFetch(url, cacheOptions(options.cache), signal) : source, signal);
    let loaded = 0, total = opened.total;
    const report = (phase: LoadProgress["phase"]) => { aborted(signal); onProgress?.({ phase, loaded, ...(total !== undefined ? { total } : {}) }); };
    const onBytes = (n: number, t?: number) => {
      loaded = n;
      total ??= t;
      if (n > limits.maxFileBytes) throw new EdgennError("LIMIT", `the model file is over the limit maxFileBytes = ${limits.maxFileBytes} (raise it in load()'s limits)`);
      report("download");
    };
    const { head, chunks } = await peek(opened.chunks, ENN_MAGIC.length);
    let model: ImportedModel, hash = "", signer: EnnVerifyResult | undefined;
    if (ENN_MAGIC.every((b, i) => head[i] === b) && options.verify === undefined) {
      const file = await readEnnStream(chunks, { onBytes });
      report("verify"); // the checksum matched as the last bytes arrived
      const constants = new Map<string, Constant>();
      for (const [name, t] of file.tensors) constants.set(name, { shape: t.shape, data: t.data });
      model = { graph: parseGraph(file.graph, constants), metadata: file.metadata };
      hash = file.checksum;
      report("decode");
    } else {
      let bytes = await readAll(chunks, onBytes);
      if (isEncryptedModel(bytes)) bytes = await decryptModel(bytes, options.decryptionKey);
      signer = options.verify !== undefined ? await verifyEnnOrThrow(bytes, options.verify) : undefined;
      report("verify");
      model = await importModel(bytes, typeof source === "string" || source instanceof URL ? source : bytes, options.inputShapes);
      // For .enn, the stored checksum (readEnn has just verified it); for other formats, the file's SHA-256, only
      // when an audit event will carry it (hashing a 46 MB ONNX file in JS takes ~0.4 s).
      const enn = ENN_MAGIC.every((b, i) => bytes[i] === b);
      if (enn || options.onEvent) hash = toHex(enn ? bytes.subarray(24, 56) : sha256(bytes));
      report("decode");
    }
    report("pack");
    const session = await InferenceSession.fromGraph(model.graph, { ...options, metadata: model.metadata, specialize: model.specialize, declaredInputs: model.declaredInputs });
    report("ready");
    if (options.onEvent) {
      const meta = session.metadata;
      emit(options.onEvent, {
        type: "load",
        ...(typeof meta.name === "string" ? { name: meta.name } : {}),
        ...(typeof meta.version === "string" ? { version: meta.version } : {}),
        sha256: hash,
        ...(signer ? { signer: signer.keyId, algorithm: signer.algorithm } : {}),
        variant: session.variant,
        ms: now() - t0,
      });
    }
    return session;
  } catch (e) {
    emit(options?.onEvent, errorEvent(e, "load"));
    throw e;
  }
}

/** The input policy nonFinite: "reject": the first NaN or infinity, by position. */
function checkFinite(name: string, data: Float32Array, dims: number[]): void {
  for (let i = 0; i < data.length; i++) {
    if (Number.isFinite(data[i])) continue;
    throw new EdgennError("BAD_INPUT", `input '${name}': ${data[i]} at position [${unravel(i, dims)}] (this session rejects NaN and infinities: options.nonFinite)`);
  }
}

/** What load() passes fromGraph beyond SessionOptions: the file's metadata, and ImportedModel's specialization. */
interface FromGraphOptions {
  metadata?: Record<string, unknown>;
  specialize?: ImportedModel["specialize"];
  declaredInputs?: ImportedModel["declaredInputs"];
}

/** FNV-1a over a small constant's bits. */
function contentHash(data: Float32Array): number {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < bits.length; i++) h = Math.imul(h ^ bits[i], 0x01000193);
  return h >>> 0;
}

const shapeKey = (shapes: Map<string, number[]>) => [...shapes.values()].map((s) => s.join("x")).join(",");

/**
 * A graph ready to plan: checked and copied (the caller's graph stays as it was, whatever the passes do), ids
 * typed, taps made outputs (graph outputs survive every pass), fused. `source` is the unfused copy (stream()).
 */
function prepareGraph(graph: Graph, tapNames: readonly string[]) {
  const g = parseGraph(graphToJson(graph), new Map(graph.constants));
  for (const n of g.nodes) {
    if (!Object.hasOwn(OPS, n.op)) throw new EdgennError("UNSUPPORTED", `node '${n.name}': op '${n.op}' is not supported (supported: ${Object.keys(OPS).sort().join(", ")})`);
  }
  valueTypes(g); // an int (id) value read by a float op is refused here, before any pass moves nodes
  const source = parseGraph(graphToJson(g), new Map(g.constants));
  const outputs = [...g.outputs];
  const taps = checkTaps(g, tapNames);
  for (const t of taps) if (!g.outputs.includes(t)) g.outputs.push(t);
  return { g, source, outputs, taps, fusion: fuse(g) };
}

/** Taps must name values the graph computes (or its inputs); a typo is an error, not an empty result. */
function checkTaps(g: Graph, taps: readonly string[]): string[] {
  if (!Array.isArray(taps) || !taps.every((t) => typeof t === "string")) throw new EdgennError("BAD_INPUT", "options.taps must be an array of value names");
  const values = new Set([...g.inputs.map((i) => i.name), ...g.nodes.flatMap((n) => n.outputs)]);
  const missing = taps.filter((t) => !values.has(t));
  if (missing.length) {
    const some = [...values].slice(0, 12).join(", ");
    throw new EdgennError("BAD_INPUT", `options.taps: no value named ${missing.map((m) => `'${m}'`).join(", ")} in the model (values include: ${some}${values.size > 12 ? ", ..." : ""}; edgenn inspect lists them)`);
  }
  return [...taps];
}

function limitsOf(options: SessionOptions): Required<Limits> {
  const l = { ...DEFAULT_LIMITS, ...options.limits };
  for (const [k, v] of Object.entries(l)) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new EdgennError("BAD_INPUT", `limits.${k} must be a positive whole number of bytes, got ${v}`);
  }
  return l;
}

/**
 * Any model file as the IR: .enn, ONNX, or a TF.js layers model.json (its shards read beside `origin`).
 * The importers are loaded only when needed, so .enn-only deployments (edge workers) never carry them.
 */
/** A model as the IR; `specialize` when the graph depends on the input shapes (see ImportedModel). */
export interface ImportedModel {
  graph: Graph;
  metadata: Record<string, unknown>;
  /**
   * For ONNX models whose shape arithmetic reads symbolic input dims (dynamic-axes exports): the graph imported
   * for other input shapes, and the inputs as declared. `graph` is the import for `inputShapes` (or every
   * symbolic dim 1).
   */
  specialize?: (shapes: Record<string, number[]>) => Graph;
  declaredInputs?: Graph["inputs"];
}

export async function importModel(bytes: Uint8Array, origin: Uint8Array | ArrayBuffer | URL | string = bytes, inputShapes?: Record<string, number[]>): Promise<ImportedModel> {
  if (bytes[bytes.findIndex((b) => b > 0x20)] === 0x7b) return (await import("./importers/tfjs.js")).importTfjsSource(bytes, origin);
  if (bytes.length >= 8 && ENN_MAGIC.some((b, i) => bytes[i] !== b)) {
    const onnx = await import("./importers/onnx.js").catch((e) => {
      throw new EdgennError("UNSUPPORTED", `not an .enn file, and the ONNX importer could not be loaded here (${(e as Error).message})`);
    });
    if (onnx.decodeOnnxModel(bytes)) {
      // Large models keep weights in files beside the .onnx (external data): read them from where it came from.
      const files = onnx.externalDataFiles(bytes);
      let external: Map<string, Uint8Array> | undefined;
      if (files.length) {
        if (typeof origin !== "string" && !(origin instanceof URL)) {
          throw new EdgennError("BAD_INPUT", `this ONNX model keeps its weights in ${files.map((f) => `'${f}'`).join(", ")}: load it by path or URL so they can be read beside it`);
        }
        const base = origin instanceof URL ? origin : toUrl(origin);
        external = new Map();
        for (const f of files) external.set(f, await readSource(new URL(f.split("/").map(encodeURIComponent).join("/"), base)));
      }
      try {
        return onnx.importOnnx(bytes, external);
      } catch (e) {
        if (!(e as { needsStaticShapes?: boolean }).needsStaticShapes) throw e;
        // Its shape arithmetic reads symbolic input dims: import it for concrete shapes, and again per new shape.
        const declaredInputs = onnx.onnxInputs(bytes);
        // The first import: for the given shapes, else a batch of 1 and each other symbolic dim 1, 32, then 224
        // (a convolution stack needs room: an OCR line 48 high and 1 wide cannot be imported, 32 wide can).
        const nominal = (n: number) => Object.fromEntries(declaredInputs.map((i) => [i.name, i.shape.map((d, k) => (typeof d === "number" ? d : k === 0 ? 1 : n))]));
        const tries = inputShapes ? [inputShapes] : [nominal(1), nominal(32), nominal(224)];
        let made, last: unknown;
        const memo = onnx.onnxMemo();
        for (const shapes of tries) {
          try { made = onnx.importOnnx(bytes, external, shapes, memo); break; } catch (e2) { last = e2; }
        }
        if (!made) {
          throw new EdgennError("UNSUPPORTED", `${(e as Error).message}\n(the shape arithmetic reads symbolic input dims, so edgenn imports the model per input shape; for ${JSON.stringify(tries.at(-1))} that failed too: ${(last as Error).message.split("\n")[0]}. ${inputShapes ? "" : "Pass load(src, { inputShapes: { name: [dims] } }) with a typical shape."})`);
        }
        return { ...made, specialize: (shapes) => onnx.importOnnx(bytes, external, shapes, memo).graph, declaredInputs };
      }
    }
  }
  // A zip (.keras) or HDF5 (legacy Keras .h5): the Keras reader (untested against real Keras files, see
  // docs/keras-tfjs.md), which names the optional package it needs when that is missing.
  if (bytes[0] === 0x50 && bytes[1] === 0x4b || bytes[0] === 0x89 && bytes[1] === 0x48 && bytes[2] === 0x44 && bytes[3] === 0x46) {
    return (await import("./importers/keras.js")).importKeras(bytes);
  }
  const file = readEnn(bytes);
  const constants = new Map<string, Constant>();
  for (const [name, t] of file.tensors) constants.set(name, { shape: t.shape, data: t.data });
  return { graph: parseGraph(file.graph, constants), metadata: file.metadata };
}

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputs: readonly InputInfo[];
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Which kernel build runs this session. */
  readonly variant: Variant;
  /** What the load-time graph passes did. */
  readonly fusion: FusionReport;
  /** Kernel threads this session runs on (load option `threads`; 1 where "auto" found none). */
  readonly threads: number = 1;

  private graph: Graph;
  private mem: LinearMemory;
  private plans = new Map<string, Plan>();
  private packedCache = new Map<string, unknown>();
  private constAddr = new Map<string, number>();
  private arenaBase = -1;
  private maxPlans: number;
  private maxArenaBytes = DEFAULT_LIMITS.maxArenaBytes;
  private taps: readonly string[] = [];
  private specialize?: (shapes: Record<string, number[]>) => Graph;
  private graphs = new Map<string, Graph>();
  private graphKey = "";
  private rejectNonFinite = false;
  private source?: { graph: Graph; options: SessionOptions & { metadata?: Record<string, unknown> } };
  private disposed = false;
  private wipe = false;
  private onEvent?: AuditHandler;
  private outMeta?: readonly ValueMetadata[];
  private pool?: ThreadPool;

  private constructor(graph: Graph, mem: LinearMemory, variant: Variant, metadata: Record<string, unknown>, fusion: FusionReport, maxPlans: number) {
    this.graph = graph;
    this.mem = mem;
    this.variant = variant;
    this.metadata = Object.freeze({ ...metadata });
    this.fusion = fusion;
    this.maxPlans = maxPlans;
    this.inputs = Object.freeze(graph.inputs.map((i) => Object.freeze({ ...i, shape: [...i.shape] })));
    this.inputNames = Object.freeze(graph.inputs.map((i) => i.name));
    this.outputNames = Object.freeze([...graph.outputs]);
  }

  /** A session over an in-memory graph (what `load` and the model builder use). The graph is not modified. */
  static async fromGraph(graph: Graph, options: SessionOptions & FromGraphOptions = {}): Promise<InferenceSession> {
    const { g, source, outputs, taps, fusion } = prepareGraph(graph, options.taps ?? []);
    const limits = limitsOf(options);
    const { exports, variant, maxBytes, pool } = await kernelThreads(options, limits);
    const session = new InferenceSession(g, new LinearMemory(exports, maxBytes), variant, options.metadata ?? {}, fusion, options.maxPlans ?? 8);
    if (pool) {
      session.pool = pool;
      (session as { threads: number }).threads = pool.size;
    }
    try {
      session.prepare(options, limits, g, source, outputs, taps);
    } catch (e) {
      pool?.dispose();
      throw e;
    }
    return session;
  }

  /** fromGraph's checks, constant folding and first plan. */
  private prepare(options: SessionOptions & FromGraphOptions, limits: Required<Limits>, g: Graph, source: Graph, outputs: string[], taps: string[]): void {
    const session = this;
    session.maxArenaBytes = limits.maxArenaBytes;
    session.wipe = options.wipe === true;
    if (options.nonFinite !== undefined && options.nonFinite !== "allow" && options.nonFinite !== "reject") {
      throw new EdgennError("BAD_INPUT", `options.nonFinite must be "allow" or "reject", got ${JSON.stringify(options.nonFinite)}`);
    }
    session.rejectNonFinite = options.nonFinite === "reject";
    session.onEvent = options.onEvent;
    session.source = { graph: source, options };
    session.taps = taps.filter((t) => !outputs.includes(t));
    (session as { outputNames: readonly string[] }).outputNames = Object.freeze(outputs);
    session.foldConstants();
    // Plan once at the nominal shapes (symbolic dims = 1): packs every weight now, not on the first run.
    const nominal = new Map(g.inputs.map((i) => [i.name, i.shape.map((d) => (typeof d === "number" ? d : 1))]));
    if (options.specialize) {
      // The graph was imported for these shapes; other shapes get their own import (planFor).
      session.specialize = options.specialize;
      session.graphKey = shapeKey(nominal);
      session.graphs.set(session.graphKey, g);
      if (options.declaredInputs) {
        (session as { inputs: readonly InputInfo[] }).inputs = Object.freeze(options.declaredInputs.map((i) => Object.freeze({ ...i, shape: [...i.shape] })));
      }
    }
    session.planFor(nominal);
  }

  /**
   * onnxruntime-web's factory: a path or URL (read from the file system in Node, Deno and Bun, fetched
   * elsewhere), a Uint8Array or Buffer, or an ArrayBuffer [, byteOffset [, byteLength]]; ORT's session options
   * (executionProviders, ...) or edgenn's. See docs/switching-from-onnxruntime.md.
   */
  static async create(source: string | URL | Uint8Array | ArrayBufferLike, ...rest: (OrtSessionOptions | number | undefined)[]): Promise<InferenceSession> {
    const { source: src, options } = createArgs(source, ...rest);
    try {
      return await load(src, options);
    } catch (e) {
      if (options.sources && e instanceof Error && /edgenn-\w+\.wasm/.test(e.message)) e.message += " (located through env.wasm.wasmPaths)";
      throw e;
    }
  }

  /**
   * Runs the model. Inputs are copied, never modified; outputs are fresh tensors owned by the caller.
   * `fetches` (onnxruntime-web's): output names, or { name: null | preallocated tensor }; else all outputs.
   * Feeds are any { type, data, dims } (onnxruntime's own Tensors too): float32, or for an id input int64
   * (BigInt64Array) or int32, each value within int32; run options are ignored.
   */
  async run(feeds: Record<string, Tensor | TensorLike>, fetches?: Fetches | RunOptions, options?: RunOptions): Promise<Record<string, Tensor<"float32">>> {
    return this.runSync(feeds, fetches, options);
  }

  /**
   * run() without the promise. Run option `{ wipe: true }` (as `options`, or as `fetches` when no output is
   * named "wipe") zeroes the activation arena after this run, as the session option `wipe` does for every run.
   */
  runSync(feeds: Record<string, Tensor | TensorLike>, fetches?: Fetches | RunOptions, options?: RunOptions): Record<string, Tensor<"float32">> {
    const t0 = now();
    const wipe = this.wipe || options?.wipe === true ||
      (!!fetches && !Array.isArray(fetches) && (fetches as RunOptions).wipe === true && !this.outputNames.includes("wipe"));
    try {
      const out = this.runUnaudited(feeds, fetches);
      if (wipe) this.wipeArena();
      if (this.onEvent) {
        const inputShapes = Object.fromEntries(this.inputNames.map((n) => [n, [...((feeds[n] as TensorLike).dims ?? [])].map(Number)]));
        emit(this.onEvent, { type: "run", inputShapes, ms: now() - t0, variant: this.variant, wiped: wipe });
      }
      return out;
    } catch (e) {
      if (wipe && !this.disposed) this.wipeArena();
      emit(this.onEvent, errorEvent(e, "run"));
      throw e;
    }
  }

  /** Zeroes everything above the weights: the activation arena (inputs, intermediates, outputs) and scratch. */
  private wipeArena(): void {
    if (this.arenaBase >= 0) this.mem.zero(this.arenaBase, this.mem.bytes - this.arenaBase);
  }

  /**
   * @internal For tests of wiping only, not API: the session's wasm memory and where its arena starts
   * (undefined after dispose). Keep a reference to `memory` to inspect it after dispose.
   */
  get _wasmMemory(): { memory: WebAssembly.Memory; arenaBase: number; weightsBase: number } | undefined {
    return this.mem ? { memory: this.mem.k.memory, arenaBase: this.arenaBase, weightsBase: this.mem.k.heap_base() } : undefined;
  }

  private runUnaudited(feeds: Record<string, Tensor | TensorLike>, fetches?: Fetches | RunOptions): Record<string, Tensor<"float32">> {
    if (this.disposed) throw new EdgennError("DISPOSED", "run() on a disposed session");
    if (!feeds || typeof feeds !== "object") throw new EdgennError("BAD_INPUT", `run() takes an object of named tensors, got ${describe(feeds)}`);
    for (const name of Object.keys(feeds)) {
      if (!this.inputNames.includes(name)) throw new EdgennError("BAD_INPUT", `unknown input '${name}' (the model's inputs: ${this.inputNames.join(", ")})`);
    }
    const want = fetchList(this.outputNames, fetches, this.taps);
    const shapes = new Map<string, number[]>();
    const values = new Map<string, Float32Array | Int32Array>();
    for (const info of this.inputs) {
      const t = feeds[info.name];
      if (t === undefined) throw new EdgennError("BAD_INPUT", `missing input '${info.name}' (${info.dtype} [${info.shape}])`);
      const { data, dims } = feedData(info.name, t, `[${info.shape}]`, info.dtype);
      if (this.rejectNonFinite && data instanceof Float32Array) checkFinite(info.name, data, dims);
      const ok = dims.length === info.shape.length && info.shape.every((d, i) => typeof d === "string" || d === dims[i]);
      if (!ok) throw new EdgennError("BAD_INPUT", `input '${info.name}' has shape [${dims}], the model expects [${info.shape}]`);
      if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new EdgennError("BAD_INPUT", `input '${info.name}': data has ${data.length} values for shape [${dims}]`);
      shapes.set(info.name, dims);
      values.set(info.name, data);
    }
    const plan = this.planFor(shapes);
    const buf = () => this.mem.k.memory.buffer;
    for (const info of this.inputs) {
      const data = values.get(info.name)!;
      const at = plan.address.get(info.name)!;
      // Ids are int32 in the arena: the same 4 bytes per element as float32.
      if (data instanceof Int32Array) new Int32Array(buf(), at, data.length).set(data);
      else new Float32Array(buf(), at, data.length).set(data);
    }
    runPlan(plan, this.mem.k, this.arenaBase);
    const out: Record<string, Tensor<"float32">> = {};
    for (const name of want.names) {
      const c = this.graph.constants.get(name);
      const shape = c ? c.shape : plan.shapes.get(name)!;
      const n = shape.reduce((a, b) => a * b, 1);
      const data = c ? c.data.slice() : new Float32Array(buf(), plan.address.get(name)!, n).slice();
      out[name] = new Tensor("float32", data, shape);
      const into = want.into.get(name);
      if (into) out[name] = fillOutput(name, out[name], into) as Tensor<"float32">;
    }
    return out;
  }

  /** onnxruntime-web 1.22's input metadata: [{ name, isTensor: true, type, shape }]. */
  get inputMetadata(): readonly ValueMetadata[] {
    return this.inputs.map((i) => ({ name: i.name, isTensor: true, type: i.dtype, shape: [...i.shape] }));
  }
  /** The same for the outputs, their shapes by shape inference (symbolic dims named as in the inputs). */
  get outputMetadata(): readonly ValueMetadata[] {
    return (this.outMeta ??= Object.freeze(outputMetadata(this.graph).filter((m) => this.outputNames.includes(m.name))));
  }
  /** onnxruntime-web's profiling hooks: no-ops. */
  startProfiling(): void {}
  endProfiling(): void {}

  /**
   * The graph as it runs (after fusion and constant folding) for these input shapes (default: the model's,
   * symbolic dims 1): every node with its input and output shapes, and the activation arena the plan needs.
   */
  describe(inputShapes: Record<string, number[]> = {}): SessionDescription {
    if (this.disposed) throw new EdgennError("DISPOSED", "describe() on a disposed session");
    const shapes = new Map(this.inputs.map((i) => [i.name, inputShapes[i.name] ?? i.shape.map((d) => (typeof d === "number" ? d : 1))]));
    const plan = this.planFor(shapes);
    const shapeOf = (x: string) => (x === "" ? undefined : this.graph.constants.get(x)?.shape ?? plan.shapes.get(x));
    const nodes = this.graph.nodes.map((n) => ({
      name: n.name, op: n.op, attrs: n.attrs,
      inputs: n.inputs.map((x) => ({ name: x, shape: shapeOf(x), constant: this.graph.constants.has(x) })),
      outputs: n.outputs.map((x) => ({ name: x, shape: shapeOf(x)! })),
    }));
    return { nodes, arenaBytes: plan.arenaBytes, weightsBytes: this.memory.weights };
  }

  /**
   * A stream over this model for real-time data: `push({ [input]: chunk })` runs a chunk of any number of time
   * steps and carries every LSTM/GRU/RNN layer's state to the next push; `reset()` starts over. It has its own
   * session (its own memory); dispose() it when done. See bindings/stream.ts.
   */
  async stream(): Promise<RecurrentStream> {
    if (this.disposed || !this.source) throw new EdgennError("DISPOSED", "stream() on a disposed session");
    const s = streamingGraph(this.source.graph);
    const runner = await InferenceSession.fromGraph(s.graph, this.source.options);
    return new RecurrentStream(runner, s.states, s.input, s.timeAxis, s.batchAxis, this.outputNames);
  }

  /** Bytes of wasm memory this session holds: packed weights plus the largest activation arena. */
  get memory(): { weights: number; arena: number; total: number } {
    const weights = this.arenaBase - this.mem.k.heap_base();
    const arena = Math.max(0, ...[...this.plans.values()].map((p) => p.arenaBytes));
    return { weights, arena, total: this.mem.bytes };
  }

  /** Zeroes and releases the kernel instance's memory and ends its worker threads; the session cannot run afterwards. */
  dispose(): void {
    this.pool?.dispose();
    // Weights, activations, everything: nothing of the model or its inputs stays in this memory.
    if (this.mem) this.mem.zero(0, this.mem.bytes);
    if (!this.disposed) void this.outputMetadata; // computed now: still answerable after
    // The decoded weights too: a caller that keeps the disposed session object keeps none of the model.
    this.graph.constants.clear();
    this.source = undefined;
    this.graphs.clear();
    this.disposed = true;
    this.plans.clear();
    this.packedCache.clear();
    (this as any).mem = undefined;
  }
  /** Alias of dispose(), as onnxruntime-web names it. */
  release(): Promise<void> { this.dispose(); return Promise.resolve(); }

  private runtime(): PlanRuntime {
    return { ...sessionRuntime(this.mem, this.graph, this.packedCache, this.constAddr, () => this.arenaBase >= 0, { winograd: this.source?.options.winograd }), threads: this.pool };
  }

  private planFor(shapes: Map<string, number[]>): Plan {
    const key = shapeKey(shapes);
    if (this.specialize && key !== this.graphKey) this.useGraphFor(key, shapes);
    let plan = this.plans.get(key);
    if (plan) return plan;
    const rt = this.runtime();
    plan = makePlan(this.graph, shapes, rt, () => (this.arenaBase >= 0 ? this.arenaBase : (this.arenaBase = alignUp(this.mem.end, ALIGN))));
    if (plan.arenaBytes > this.maxArenaBytes) {
      throw new EdgennError("LIMIT", `input shapes ${key} need ${plan.arenaBytes} bytes of activations, over the limit maxArenaBytes = ${this.maxArenaBytes} (raise it in load()'s limits)`);
    }
    this.mem.ensure(this.arenaBase + plan.arenaBytes, `the activations for input shapes ${key}`);
    if (this.plans.size >= this.maxPlans) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(key, plan);
    return plan;
  }

  /**
   * A model imported per input shape (ImportedModel.specialize): the graph for these shapes, imported and
   * prepared on first use and kept (up to maxPlans). Packed weights are shared by node name; new constants
   * (from the shapes) need memory below the arena, so the plans are dropped and the arena placed anew.
   */
  private useGraphFor(key: string, shapes: Map<string, number[]>): void {
    let g = this.graphs.get(key);
    if (!g) {
      g = prepareGraph(this.specialize!(Object.fromEntries(shapes)), this.source?.options.taps ?? []).g;
      this.plans.clear();
      this.arenaBase = -1;
      this.graph = g;
      this.foldConstants();
      if (this.graphs.size >= this.maxPlans) this.graphs.delete(this.graphs.keys().next().value!);
      this.graphs.set(key, g);
    }
    this.graph = g;
    this.graphKey = key;
  }

  /** Runs, once at load, every node whose inputs are all constants and keeps its outputs as constants. */
  private foldConstants(): void {
    const g = this.graph;
    for (const node of [...g.nodes]) {
      if (node.inputs.length === 0 || !node.inputs.every((x) => x === "" || g.constants.has(x))) continue;
      if (OPS[node.op].alias && node.inputs[0] !== "") {
        // Reshape-like: the same data under the inferred shape, nothing to run.
        const input = g.constants.get(node.inputs[0])!;
        const [shape] = OPS[node.op].infer({ node, inShapes: [input.shape], consts: [input] });
        g.constants.set(node.outputs[0], { shape, data: input.data });
        g.nodes.splice(g.nodes.indexOf(node), 1);
        continue;
      }
      const sub: Graph = {
        inputs: [], outputs: node.outputs, nodes: [node],
        constants: new Map(node.inputs.filter((x) => x).map((x) => [x, g.constants.get(x)!])),
      };
      const mark = this.mem.end;
      const rt = sessionRuntime(this.mem, sub, new Map(), new Map(), () => false);
      const plan = makePlan(sub, new Map(), rt, () => alignUp(this.mem.end, ALIGN));
      this.mem.ensure(alignUp(this.mem.end, ALIGN) + plan.arenaBytes, `constant folding of '${node.name}'`);
      runPlan(plan, this.mem.k, alignUp(this.mem.end, ALIGN));
      for (const o of node.outputs) {
        const shape = plan.shapes.get(o)!;
        const n = shape.reduce((a, b) => a * b, 1);
        g.constants.set(o, { shape, data: new Float32Array(this.mem.k.memory.buffer, plan.address.get(o)!, n).slice() });
      }
      this.mem.release(mark);
      g.nodes.splice(g.nodes.indexOf(node), 1);
    }
  }
}

/**
 * The kernel instance, and with `threads` >= 2 (of the threads build, on shared memory) its worker threads.
 * Shared memory cannot move, so engines reserve its maximum up front: 1 GiB unless limits.maxMemoryBytes says
 * otherwise (a 4 GiB reservation fails on 32-bit and many mobile browsers).
 */
async function kernelThreads(options: SessionOptions, limits: Required<Limits>) {
  const threads = await threadCount(options.threads);
  if (threads === 1) return { ...(await instantiateKernels(options)), maxBytes: limits.maxMemoryBytes, pool: undefined };
  const maxBytes = Math.min(options.limits?.maxMemoryBytes ?? 2 ** 30, 2 ** 32 - 65536);
  let shared: WebAssembly.Memory;
  try {
    shared = new WebAssembly.Memory({ initial: 1, maximum: Math.ceil(maxBytes / 65536), shared: true });
  } catch (e) {
    throw new EdgennError("LIMIT", `threads: could not reserve ${maxBytes} bytes of shared wasm memory (${(e as Error).message}); lower limits.maxMemoryBytes`);
  }
  const { exports, variant, module } = await instantiateKernels(options, shared);
  return { exports, variant, maxBytes, pool: await ThreadPool.start(module, shared, exports, threads) };
}

/** The load option `threads` as a count: 1 by default, and where "auto" finds no threads; N >= 2 must be possible. */
async function threadCount(option: SessionOptions["threads"]): Promise<number> {
  if (option === undefined || option === 1) return 1;
  const unavailable = threadsUnavailable();
  if (option === "auto") return unavailable ? 1 : Math.max(1, Math.min(await hardwareThreads(), AUTO_MAX_THREADS));
  if (!Number.isInteger(option) || option < 1 || option > 64) throw new EdgennError("BAD_INPUT", `options.threads must be "auto" or a whole number from 1 to 64, got ${JSON.stringify(option)}`);
  if (unavailable) throw new EdgennError("UNSUPPORTED", `threads: ${option} needs wasm threads, but ${unavailable}; or load without threads`);
  return option;
}

/**
 * The services ops get while preparing: packing once per key, raw constants uploaded on first use.
 * Once the arena is placed (`frozen`), nothing may allocate: the arena sits right above the weights.
 */
function sessionRuntime(mem: LinearMemory, g: Graph, cache: Map<string, unknown>, constAddr: Map<string, number>, frozen: () => boolean, options?: PlanRuntime["options"]): PlanRuntime {
  const guard = (what: string) => { if (frozen()) throw new Error(`internal: ${what} allocates after the arena was placed`); };
  return {
    k: mem.k,
    options,
    mem,
    once: <T>(key: string, make: () => T): T => {
      if (!cache.has(key)) { guard(key); cache.set(key, make()); }
      return cache.get(key) as T;
    },
    planInts: () => { throw new Error("internal: planInts outside a plan"); },
    constantAddress: (name) => {
      const c = g.constants.get(name)!;
      // Keyed by content as well as name: a model imported per input shape may fold a same-named constant to
      // other values (small ones are hashed; large ones are weights, the same in every import).
      const key = `${name}|${c.shape.join("x")}|${c.data.length <= 4096 ? contentHash(c.data) : ""}`;
      let a = constAddr.get(key);
      if (a === undefined) {
        guard(`constant '${name}'`);
        a = mem.constant(c.data, `constant '${name}'`);
        constAddr.set(key, a);
      }
      return a;
    },
  };
}
