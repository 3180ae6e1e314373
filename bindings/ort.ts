/**
 * The onnxruntime-web face of edgenn: `env`, and how ORT's calling conventions map onto a session —
 * `InferenceSession.create`'s arguments and options, feeds as any tensor-shaped object, fetches, and the
 * value metadata. The session class (session.ts) calls in here; docs/switching-from-onnxruntime.md is the
 * user's view of the same (what is supported, what is accepted and ignored, what fails and how).
 */
import { EdgennError } from "./errors.js";
import type { Graph } from "./ir/graph.js";
import { inferShapes } from "./ir/shapes.js";
import { describe, Tensor, type DataType } from "./tensor.js";
import { VARIANTS, type WasmOptions } from "./wasm/loader.js";
import { threadsUnavailable } from "./wasm/threads.js";

export type LogLevel = "verbose" | "info" | "warning" | "error" | "fatal";
type WasmPaths = string | URL | Record<string, string | URL>;

/** onnxruntime-web's `env`. Only `wasm.wasmPaths` and `logLevel` change what edgenn does. */
export interface Env {
  /** "verbose" | "info" | "warning" (default) | "error" | "fatal"; below "warning" edgenn prints nothing. */
  logLevel: LogLevel;
  debug: boolean;
  wasm: {
    /**
     * Kernel threads, as load()'s `threads` (1 by default here; 0 = "auto"); more than 1 falls back to 1 thread
     * where wasm threads are impossible (a page without cross-origin isolation), as onnxruntime-web does.
     */
    numThreads?: number;
    /** Accepted, ignored: edgenn picks its build itself (relaxed SIMD, SIMD-128, or scalar where the engine has no SIMD). */
    simd?: boolean;
    /** Accepted, ignored: loadInWorker() runs a session in a worker. */
    proxy?: boolean;
    /**
     * Where edgenn's kernel binaries are served: a prefix ("/assets/" + "edgenn-simd.wasm") or a map
     * { "edgenn-simd.wasm": url, "edgenn-relaxed.wasm": url, "edgenn-scalar.wasm": url }. Other keys (ORT's own files) are ignored.
     */
    wasmPaths?: WasmPaths;
    [knob: string]: unknown;
  };
  /** Accepted, ignored (there is no WebGPU or WebNN provider). */
  webgpu: Record<string, unknown>;
  webnn: Record<string, unknown>;
  [knob: string]: unknown;
}

export const env: Env = { logLevel: "warning", debug: false, wasm: { numThreads: 1, simd: true, proxy: false }, webgpu: {}, webnn: {} };

/** A value run() accepts as a feed: edgenn's Tensor, onnxruntime's (any copy), or any { type, data, dims }. */
export interface TensorLike {
  readonly type: string;
  readonly data: ArrayLike<number> | ArrayLike<bigint>;
  readonly dims: readonly number[];
  readonly location?: string;
}
export type ExecutionProvider = string | { readonly name: string; readonly [option: string]: unknown };
/** onnxruntime-web's session options plus edgenn's own (variant, sources, maxPlans). */
export interface OrtSessionOptions extends WasmOptions {
  /** "wasm" and "cpu" are edgenn's; others (webgpu, webnn, cuda, ...) fall back to it with one warning. */
  executionProviders?: readonly ExecutionProvider[];
  /** "cpu" only (outputs are always typed arrays on the CPU). */
  preferredOutputLocation?: string | Readonly<Record<string, string>>;
  maxPlans?: number;
  /** ORT's native knobs (intraOpNumThreads, graphOptimizationLevel, ...): accepted, ignored. */
  [knob: string]: unknown;
}
export type Fetches = readonly string[] | Readonly<Record<string, TensorLike | null>>;
/** Run options (logSeverityLevel, tag, ...): accepted, ignored. */
export type RunOptions = Readonly<Record<string, unknown>>;

const PROVIDERS = ["wasm", "cpu"];
let warned = false;
const badArg = (msg: string) => new EdgennError("BAD_INPUT", msg);
const tag = (x: unknown) => Object.prototype.toString.call(x).slice(8, -1);
const g = globalThis as any;
const hasFileSystem = () => Boolean(g.process?.versions?.node || g.Deno || g.Bun);

/** A string path or URL as a source: the file system where there is one, else a URL relative to the page. */
function locate(s: string | URL): string | URL {
  if (s instanceof URL || hasFileSystem() || /^[a-z][a-z0-9+.-]*:/i.test(s) || !g.location?.href) return s;
  return new URL(s, g.location.href);
}

/** `InferenceSession.create`'s overloads (path, bytes, ArrayBuffer[, byteOffset[, byteLength]][, options]). */
export function createArgs(arg0: unknown, arg1?: unknown, arg2?: unknown, arg3?: unknown): { source: Uint8Array | URL | string; options: WasmOptions & { maxPlans?: number } } {
  let source: Uint8Array | URL | string;
  let options: unknown = arg1;
  if (typeof arg0 === "string" || arg0 instanceof URL) source = locate(arg0);
  else if (tag(arg0) === "Uint8Array") { const b = arg0 as Uint8Array; source = new Uint8Array(b.buffer, b.byteOffset, b.byteLength); } // Node Buffers too
  else if (tag(arg0) === "ArrayBuffer" || tag(arg0) === "SharedArrayBuffer") {
    const buf = arg0 as ArrayBuffer;
    let [offset, length] = [0, buf.byteLength];
    if (typeof arg1 === "number") {
      offset = arg1;
      if (!Number.isSafeInteger(offset) || offset < 0 || offset >= buf.byteLength) throw badArg(`'byteOffset' ${offset} is out of range [0, ${buf.byteLength})`);
      length = buf.byteLength - offset;
      options = arg2;
      if (typeof arg2 === "number") {
        length = arg2;
        if (!Number.isSafeInteger(length) || length <= 0 || offset + length > buf.byteLength) throw badArg(`'byteLength' ${length} is out of range (0, ${buf.byteLength - offset}]`);
        options = arg3;
      }
    }
    source = new Uint8Array(buf, offset, length);
  } else {
    throw badArg(`InferenceSession.create: the model must be a path, a URL, a Uint8Array or an ArrayBuffer, got ${describe(arg0)}`);
  }
  if (options !== undefined && (typeof options !== "object" || options === null)) throw badArg(`InferenceSession.create: 'options' must be an object, got ${describe(options)}`);
  return { source, options: sessionOptions((options ?? {}) as OrtSessionOptions) };
}

/** ORT's session options as edgenn's: the provider list checked, env.wasm.wasmPaths as `sources`, the rest dropped. */
export function sessionOptions(o: OrtSessionOptions): WasmOptions & { maxPlans?: number; threads?: number | "auto" } {
  const names = (o.executionProviders ?? []).map((p) => {
    const name = typeof p === "string" ? p : p && typeof p === "object" ? p.name : undefined;
    if (typeof name !== "string") throw badArg(`executionProviders: each entry must be a name or { name }, got ${describe(p)}`);
    return name;
  });
  const first = names.findIndex((n) => PROVIDERS.includes(n));
  if (names.length > 0 && first !== 0) {
    const lacked = first < 0 ? names : names.slice(0, first);
    warnOnce(`edgenn: execution provider${lacked.length > 1 ? "s" : ""} ${lacked.map((n) => `'${n}'`).join(", ")} not available; running on 'wasm' (WebAssembly SIMD on the CPU). This warning is shown once.`);
  }
  const loc = o.preferredOutputLocation;
  const locs = loc === undefined ? [] : typeof loc === "string" ? [loc] : Object.values(loc);
  const off = locs.find((l) => l !== "cpu" && l !== "cpu-pinned");
  if (off !== undefined) throw new EdgennError("UNSUPPORTED", `preferredOutputLocation '${off}' is not supported: edgenn's outputs are always on the CPU ('cpu')`);
  return { variant: o.variant ?? o.backend, sources: o.sources ?? wasmSources(), maxPlans: o.maxPlans, threads: ortThreads() };
}

/**
 * env.wasm.numThreads as edgenn's `threads`: as onnxruntime-web does, more than 1 where wasm threads are possible
 * (else 1, silently: ORT also falls back to one thread without cross-origin isolation), 0 or unset for "auto".
 */
function ortThreads(): number | "auto" {
  const n = env.wasm.numThreads;
  if (n === undefined || n === 0) return "auto";
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw badArg(`env.wasm.numThreads must be a whole number >= 0, got ${describe(n)}`);
  return n === 1 || threadsUnavailable() ? 1 : Math.min(n, 64);
}

function warnOnce(msg: string): void {
  if (warned || !["verbose", "info", "warning"].includes(env.logLevel)) return;
  warned = true;
  console.warn(msg);
}

/** env.wasm.wasmPaths as loader sources: a prefix is prepended to the file names, as onnxruntime-web does. */
function wasmSources(): WasmOptions["sources"] {
  const p = env.wasm.wasmPaths;
  if (p === undefined || p === null || p === "") return undefined;
  const sources: NonNullable<WasmOptions["sources"]> = {};
  // Every build's file, the threads builds (edgenn-<variant>-mt.wasm, env.wasm.numThreads > 1) too.
  for (const v of [...VARIANTS, ...VARIANTS.filter((x) => x !== "scalar").map((x) => `${x}-mt` as const)]) {
    const file = `edgenn-${v}.wasm`;
    const at = typeof p === "string" ? p + file : p instanceof URL ? new URL(file, p) : p[file];
    if (at !== undefined) sources[v] = locate(at);
  }
  return sources;
}

/**
 * Checks one feed and returns its data and dims: float32 for a float input (a plain number array is converted);
 * for an int32/int64 input (token ids), int64 (BigInt64Array, as onnxruntime's Tensor holds it) or int32 data,
 * every value checked to fit int32 (the arena holds ids as int32).
 */
export function feedData(name: string, t: unknown, expected: string, dtype: DataType = "float32"): { data: Float32Array | Int32Array; dims: number[] } {
  if (!t || typeof t !== "object" || !("dims" in t) || !("data" in t)) throw badArg(`input '${name}' must be a Tensor, got ${describe(t)}`);
  const x = t as TensorLike;
  if (x.location !== undefined && x.location !== "cpu" && x.location !== "cpu-pinned") {
    throw new EdgennError("UNSUPPORTED", `input '${name}' is on '${x.location}'; edgenn reads CPU tensors only (download it first: new Tensor(t.type, await t.getData(), t.dims))`);
  }
  const dims = Array.from(x.dims ?? [], Number);
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) throw badArg(`input '${name}': dims [${dims}] must be non-negative integers (the model expects ${expected})`);
  if (dtype !== "float32") return { data: int32Ids(name, x, dims), dims };
  let data: unknown = x.data;
  if (x.type !== "float32" || !(tag(data) === "Float32Array" || Array.isArray(data))) {
    throw badArg(`input '${name}' must be float32, got ${x.type} (${describe(data)})`);
  }
  if (Array.isArray(data)) data = Float32Array.from(data);
  return { data: data as Float32Array, dims };
}

const INT32_MIN = -2147483648, INT32_MAX = 2147483647;

/**
 * Integer ids as int32: an Int32Array as it is; int64, a plain array, or float32 (Keras and tfjs keep ids in float
 * tensors) checked value by value: whole numbers within int32 only.
 */
function int32Ids(name: string, x: TensorLike, dims: number[]): Int32Array {
  const data = x.data as ArrayLike<number | bigint>, kind = tag(data);
  const ok = (x.type === "int64" || x.type === "int32" || x.type === "float32") && ["BigInt64Array", "Int32Array", "Float32Array"].includes(kind);
  if (!ok && !Array.isArray(data)) {
    throw badArg(`input '${name}' takes integer ids: int64 (BigInt64Array) or int32 (Int32Array), got ${x.type} (${describe(data)})`);
  }
  if (kind === "Int32Array" && x.type === "int32") return data as Int32Array;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    const n = typeof v === "bigint" ? (v >= BigInt(INT32_MIN) && v <= BigInt(INT32_MAX) ? Number(v) : NaN) : v;
    if (!Number.isInteger(n) || n < INT32_MIN || n > INT32_MAX) {
      const at = data.length === dims.reduce((a, b) => a * b, 1) ? `position [${unravel(i, dims)}]` : `flat index ${i}`;
      const what = typeof v === "bigint" || Number.isInteger(v) ? `does not fit int32 (ids are held as int32: ${INT32_MIN}..${INT32_MAX})` : "is not an integer";
      throw badArg(`input '${name}': value ${v} at ${at} ${what}`);
    }
    out[i] = n;
  }
  return out;
}

/** The multi-index of flat position `i` in a row-major tensor of `dims`. */
export function unravel(i: number, dims: number[]): number[] {
  const idx = new Array<number>(dims.length);
  for (let d = dims.length - 1; d >= 0; d--) { idx[d] = i % dims[d]; i = Math.floor(i / dims[d]); }
  return idx;
}

/**
 * Which outputs a run returns: `run(feeds)` all of them; `run(feeds, ["a"])` those named; `run(feeds,
 * { a: null })` those keys of the object that are output names, or (none being one) the object is run
 * options and all are returned — onnxruntime-common's rules. A tensor as the value is a preallocated output:
 * the result is copied into it and it is what comes back.
 */
/**
 * The outputs a run returns: all of `outputNames` by default; else those `fetches` names (ORT's array or object
 * forms, or edgenn's `{ fetch: [...] }`), which may also name `taps` (intermediate values kept at load).
 */
export function fetchList(outputNames: readonly string[], fetches: unknown, taps: readonly string[] = []): { names: string[]; into: Map<string, TensorLike> } {
  const into = new Map<string, TensorLike>();
  const known = [...outputNames, ...taps];
  if (fetches === undefined) return { names: [...outputNames], into };
  if (fetches === null || typeof fetches !== "object") throw badArg(`run(feeds, fetches): fetches must be an array of output names or an object, got ${describe(fetches)}`);
  const f = fetches as Record<string, unknown>;
  const list = Array.isArray(fetches) ? fetches : Array.isArray(f.fetch) && !known.includes("fetch") ? f.fetch : undefined;
  if (list) {
    if (list.length === 0) throw badArg("run(feeds, fetches): 'fetches' cannot be an empty array");
    for (const n of list) {
      if (typeof n !== "string" || !known.includes(n)) {
        throw badArg(`run(feeds, fetches): 'fetches' contains invalid output name: ${n} (the model's outputs: ${outputNames.join(", ")}${taps.length ? `; taps: ${taps.join(", ")}` : "; intermediate values need load(src, { taps: [...] })"})`);
      }
    }
    return { names: [...new Set(list as string[])], into };
  }
  const names = known.filter((n) => Object.hasOwn(f, n) && (f[n] === null || isTensorLike(f[n])));
  for (const n of names) if (f[n] !== null) into.set(n, f[n] as TensorLike);
  return names.length ? { names, into } : { names: [...outputNames], into };
}

const isTensorLike = (x: unknown): x is TensorLike => !!x && typeof x === "object" && "dims" in x && "data" in x;

/** Writes an output into a preallocated tensor from `fetches`, which must be float32 with the output's dims. */
export function fillOutput(name: string, out: Tensor<"float32">, t: TensorLike): TensorLike {
  const dims = [...t.dims];
  if (t.type !== "float32" || tag(t.data) !== "Float32Array" || dims.join() !== out.dims.join()) {
    throw badArg(`preallocated output '${name}' must be a float32 tensor of dims [${out.dims}], got ${t.type} [${dims}]`);
  }
  (t.data as Float32Array).set(out.data);
  return t;
}

/** onnxruntime-web 1.22's value metadata: { name, isTensor: true, type, shape }, symbolic dims as strings. */
export interface ValueMetadata { readonly name: string; readonly isTensor: true; readonly type: DataType; readonly shape: readonly (number | string)[] }

/**
 * The outputs' shapes by shape inference alone (no plan, nothing allocated), run twice: symbolic input dims
 * at 1, then each at a distinct larger value. A dim that stays put is a number; one that follows an input's
 * symbolic dim gets its name; any other that moves is named `<output>_dim_<axis>`.
 */
export function outputMetadata(g: Graph): ValueMetadata[] {
  const syms = [...new Set(g.inputs.flatMap((i) => i.shape.filter((d): d is string => typeof d === "string")))];
  const probe = (k: number) => syms.length === 0 || k === 0 ? 1 : 97 - 2 * k;
  const infer = (pass: 0 | 1) => {
    const inputs = new Map(g.inputs.map((i) => [i.name, i.shape.map((d) => (typeof d === "number" ? d : pass === 0 ? 1 : probe(syms.indexOf(d) + 1)))]));
    const shapes = inferShapes(g, inputs);
    return g.outputs.map((o) => shapes.get(o) ?? []);
  };
  let nominal: number[][];
  try { nominal = infer(0); } catch { nominal = g.outputs.map(() => []); }
  let moved = nominal;
  try { if (syms.length) moved = infer(1); } catch { /* the model runs at its nominal shapes only */ }
  return g.outputs.map((name, o) => Object.freeze({
    name, isTensor: true as const, type: "float32" as const,
    shape: Object.freeze(nominal[o].map((d, j) => {
      const m = moved[o]?.[j];
      if (m === d || m === undefined) return d;
      const s = syms.findIndex((_, k) => d === 1 && m === probe(k + 1));
      return s >= 0 ? syms[s] : `${name}_dim_${j}`;
    })),
  }));
}
