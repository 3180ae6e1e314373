/**
 * Occlusion sensitivity: cover one region of the input at a time with a baseline value, run the model, and
 * record how much the target output drops. Images (patches), 1-D signals and sequences (windows) and tabular
 * features (one feature at a time, against a baseline vector) are the same computation over one or two
 * "spatial" axes; only the geometry differs. Occluded copies go through the model in batches when its input has
 * a symbolic batch dim, which is many times faster than one run per region.
 */
import { EdgennError } from "../errors.js";
import type { InferenceSession } from "../session.js";
import { Tensor } from "../tensor.js";
import type { TensorLike } from "../ort.js";

/** Where the channels are: images NCHW / NHWC, sequences NCL ([batch, channels, length]) / NLC, tables NF. */
export type OcclusionLayout = "NCHW" | "NHWC" | "NCL" | "NLC" | "NF";
export type OcclusionKind = "image" | "sequence" | "tabular";

export interface OcclusionTarget {
  /** The output to watch (default: the model's first output). */
  output?: string;
  /** Index into one example's output, flattened (default: the largest value of the unoccluded output, i.e. the predicted class). */
  index?: number;
}

export interface OcclusionOptions {
  /** The input to occlude (default: the model's only input). Other inputs are passed through unchanged. */
  input?: string;
  target?: OcclusionTarget;
  /** Where the channels are; inferred from the shape when left out (the smaller of dim 1 and the last dim). */
  layout?: Exclude<OcclusionLayout, "NF">;
  /** Images: the patch, [height, width] or one number for a square (default 8, at most the image). */
  patch?: number | readonly [number, number];
  /** Sequences: the window length (default 1). */
  window?: number;
  /** Step between patches/windows (default: the patch or window, so that they tile the input). */
  stride?: number | readonly [number, number];
  /**
   * What an occluded region is set to: one number for every element (default 0), one per channel, or a whole
   * example (as many values as one example of the input: e.g. the training mean of each tabular feature).
   */
  baseline?: number | ArrayLike<number>;
  /**
   * At most this many occluded copies per run (default: as many as fit in 16 MB of activations, at most 64).
   * Models with a fixed batch of 1 run one copy at a time.
   */
  batchSize?: number;
  /** Called after every run with the number of occluded copies evaluated so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Stops between runs: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface OcclusionResult {
  kind: OcclusionKind;
  layout: OcclusionLayout;
  /**
   * For each position, the drop of the target output (unoccluded minus occluded) when that position was
   * covered, averaged over the patches/windows that cover it: positive where the input supports the target.
   * Row-major over `shape`.
   */
  map: Float32Array;
  /** [height, width] for images, [length] for sequences, [features] for tables. */
  shape: number[];
  /** What was explained, and its unoccluded value. */
  target: { output: string; index: number; value: number };
  /** Occluded copies evaluated, and run() calls made (including one unoccluded run). */
  evaluations: number;
  runs: number;
}

const bad = (msg: string) => new EdgennError("BAD_INPUT", `explain.occlusion: ${msg}`);

/** The input's spatial axes, channels and layout. */
interface Geometry { kind: OcclusionKind; layout: OcclusionLayout; spatial: number[]; channels: number; channelsFirst: boolean }

function geometry(name: string, dims: readonly number[], layout: OcclusionOptions["layout"]): Geometry {
  const rest = dims.slice(1);
  if (rest.length === 1) {
    if (layout !== undefined) throw bad(`input '${name}' [${dims}] is tabular ([batch, features]); layout '${layout}' does not apply`);
    return { kind: "tabular", layout: "NF", spatial: rest, channels: 1, channelsFirst: false };
  }
  if (rest.length !== 2 && rest.length !== 3) {
    throw bad(`input '${name}' has shape [${dims}]: occlusion handles [batch, features], [batch, channels, length] / [batch, length, channels] and NCHW / NHWC images`);
  }
  const image = rest.length === 3;
  const [first, last] = image ? (["NCHW", "NHWC"] as const) : (["NCL", "NLC"] as const);
  let chosen = layout;
  if (chosen === undefined) {
    if (rest[0] === rest[rest.length - 1]) throw bad(`input '${name}' [${dims}]: cannot tell the channels from the shape; pass layout '${first}' or '${last}'`);
    chosen = rest[0] < rest[rest.length - 1] ? first : last;
  }
  if (chosen !== first && chosen !== last) throw bad(`layout '${chosen}' does not fit input '${name}' [${dims}] (${first} or ${last})`);
  const channelsFirst = chosen === first;
  return {
    kind: image ? "image" : "sequence", layout: chosen, channelsFirst,
    spatial: channelsFirst ? rest.slice(1) : rest.slice(0, -1),
    channels: channelsFirst ? rest[0] : rest[rest.length - 1],
  };
}

/** Window starts along one axis: every `stride`, plus one flush with the end so that every position is covered. */
function starts(n: number, size: number, stride: number): number[] {
  const out: number[] = [];
  for (let s = 0; s + size <= n; s += stride) out.push(s);
  if (out[out.length - 1] !== n - size) out.push(n - size);
  return out;
}

function pair(v: number | readonly number[] | undefined, dflt: number, what: string, axes: number): number[] {
  const arr = v === undefined ? Array(axes).fill(dflt) : typeof v === "number" ? Array(axes).fill(v) : [...v];
  if (arr.length !== axes || !arr.every((x) => Number.isSafeInteger(x) && x >= 1)) {
    throw bad(`${what} must be ${axes === 2 ? "a positive whole number or [height, width]" : "a positive whole number"}, got ${JSON.stringify(v)}`);
  }
  return arr;
}

/** The regions to occlude: boxes [start, size] per spatial axis. */
function regions(g: Geometry, o: OcclusionOptions): number[][][] {
  if (g.kind === "image" && o.window !== undefined) throw bad("'window' is for sequences; images take 'patch'");
  if (g.kind !== "image" && o.patch !== undefined) throw bad(`'patch' is for images; ${g.kind === "sequence" ? "sequences take 'window'" : "tabular features are occluded one at a time"}`);
  if (g.kind === "tabular" && (o.window !== undefined || o.stride !== undefined)) throw bad("tabular features are occluded one at a time: no 'window' or 'stride'");
  const axes = g.spatial.length;
  const what = g.kind === "image" ? "patch" : "window";
  const given = g.kind === "image" ? o.patch : o.window;
  let size = pair(given, g.kind === "image" ? 8 : 1, what, axes);
  if (given === undefined) size = size.map((s, i) => Math.min(s, g.spatial[i])); // the default patch on a small image
  else if (size.some((s, i) => s > g.spatial[i])) throw bad(`the ${what} [${size}] is larger than the input's extent [${g.spatial}]`);
  const stride = o.stride === undefined ? size : pair(o.stride, 1, "stride", axes);
  const perAxis = g.spatial.map((n, i) => starts(n, size[i], stride[i]).map((s) => [s, size[i]]));
  return perAxis.length === 1 ? perAxis[0].map((b) => [b]) : perAxis[0].flatMap((r) => perAxis[1].map((c) => [r, c]));
}

/** The baseline as one example's worth of values, checked against the input. */
function baselineExample(g: Geometry, size: number, baseline: OcclusionOptions["baseline"]): Float32Array {
  const b = baseline ?? 0;
  if (typeof b === "number") return new Float32Array(size).fill(b);
  if (b.length === size) return Float32Array.from(b);
  if (b.length !== g.channels) throw bad(`baseline has ${b.length} values; the input takes one number, ${g.channels === 1 ? "" : `${g.channels} (one per channel) or `}${size} (one example)`);
  const positions = size / g.channels;
  return Float32Array.from({ length: size }, (_, i) => b[g.channelsFirst ? Math.floor(i / positions) : i % g.channels]);
}

/** Every element index of one example inside the box (all channels). */
function boxIndices(g: Geometry, box: number[][]): number[] {
  const [h, w] = g.spatial.length === 2 ? g.spatial : [1, g.spatial[0]];
  const [[r0, rh], [c0, cw]] = box.length === 2 ? box : [[0, 1], box[0]];
  const positions = h * w, out: number[] = [];
  for (let r = r0; r < r0 + rh; r++) {
    for (let c = c0; c < c0 + cw; c++) {
      const p = r * w + c;
      for (let ch = 0; ch < g.channels; ch++) out.push(g.channelsFirst ? ch * positions + p : p * g.channels + ch);
    }
  }
  return out;
}

/** One example's target value from an output holding `n` examples. */
function targetValues(output: TensorLike, name: string, n: number, index: number): Float32Array {
  if (n > 1 && output.dims[0] !== n) {
    throw new EdgennError("UNSUPPORTED", `explain.occlusion: output '${name}' [${output.dims}] has no batch dim for the ${n} occluded copies; pass batchSize: 1`);
  }
  const per = output.data.length / n;
  return Float32Array.from({ length: n }, (_, i) => Number(output.data[i * per + index]));
}

export async function occlusion(session: InferenceSession, feeds: Record<string, Tensor | TensorLike>, options: OcclusionOptions = {}): Promise<OcclusionResult> {
  const inputName = options.input ?? (session.inputNames.length === 1 ? session.inputNames[0] : undefined);
  if (inputName === undefined) throw bad(`the model has inputs ${session.inputNames.join(", ")}: say which to occlude with 'input'`);
  const info = session.inputs.find((i) => i.name === inputName);
  if (!info) throw bad(`unknown input '${inputName}' (the model's inputs: ${session.inputNames.join(", ")})`);
  const feed = feeds?.[inputName];
  if (!feed) throw bad(`feeds have no input '${inputName}'`);
  if (feed.type !== "float32") throw bad(`input '${inputName}' is ${feed.type}; occlusion needs float32`);
  if (feed.dims[0] !== 1) throw bad(`input '${inputName}' [${feed.dims}] holds ${feed.dims[0]} examples: occlusion explains one ([1, ...])`);
  const g = geometry(inputName, feed.dims, options.layout);
  const output = options.target?.output ?? session.outputNames[0];
  if (!session.outputNames.includes(output)) throw bad(`unknown target output '${output}' (the model's outputs: ${session.outputNames.join(", ")})`);
  const boxes = regions(g, options);
  const example = Float32Array.from(feed.data as ArrayLike<number>);
  const base = baselineExample(g, example.length, options.baseline);

  // The unoccluded run: the reference value, and the default target (the predicted class).
  const first = (await session.run(feeds as Record<string, Tensor>))[output];
  let index = options.target?.index;
  if (index === undefined) index = first.data.reduce((best, v, i, d) => (v > d[best] ? i : best), 0);
  if (!Number.isSafeInteger(index) || index < 0 || index >= first.data.length) {
    throw bad(`target index ${index} is outside output '${output}' [${first.dims}] (0 to ${first.data.length - 1})`);
  }
  const value = first.data[index];

  // Copies go in batches only along a symbolic batch dim; the first batch also re-runs the unoccluded example,
  // to catch models whose batched results differ from single runs (they would give a wrong map).
  const batchable = typeof info.shape[0] === "string";
  const batchSize = batchable ? Math.max(1, Math.floor(options.batchSize ?? autoBatch(session, feeds))) : 1;
  const others = Object.entries(feeds).filter(([k]) => k !== inputName);
  const sum = new Float64Array(example.length / g.channels), count = new Uint32Array(sum.length);
  const positionsOf = (box: number[][]) => boxIndices({ ...g, channels: 1, channelsFirst: false }, box);
  let runs = 1, done = 0, lastYield = performance.now();
  for (let at = batchSize > 1 ? -1 : 0; at < boxes.length; ) {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error("aborted");
    const batch = boxes.slice(Math.max(at, 0), at + batchSize);
    const n = batch.length + (at < 0 ? 1 : 0);
    const data = new Float32Array(n * example.length);
    for (let i = 0; i < n; i++) data.set(example, i * example.length);
    batch.forEach((box, j) => {
      const offset = (j + n - batch.length) * example.length;
      for (const e of boxIndices(g, box)) data[offset + e] = base[e];
    });
    const batchFeeds: Record<string, Tensor | TensorLike> = { [inputName]: new Tensor("float32", data, [n, ...feed.dims.slice(1)]) };
    for (const [k, t] of others) batchFeeds[k] = n > 1 && typeof session.inputs.find((i) => i.name === k)?.shape[0] === "string" ? tile(t, n) : t;
    const values = targetValues((await session.run(batchFeeds as Record<string, Tensor>))[output], output, n, index);
    runs++;
    if (at < 0 && Math.abs(values[0] - value) > 1e-4 * Math.max(1, Math.abs(value))) {
      throw new EdgennError("UNSUPPORTED", `explain.occlusion: output '${output}' differs between a batch of ${n} copies (${values[0]}) and one run (${value}): the model mixes examples across its batch dim; pass batchSize: 1`);
    }
    batch.forEach((box, j) => {
      const drop = value - values[j + n - batch.length];
      for (const p of positionsOf(box)) { sum[p] += drop; count[p]++; }
    });
    done += batch.length;
    at = Math.max(at, 0) + batch.length;
    options.onProgress?.(done, boxes.length);
    // Long explanations in a page: give the event loop a turn now and then so that progress can be drawn.
    if (options.onProgress && performance.now() - lastYield > 50) {
      await new Promise((r) => setTimeout(r, 0));
      lastYield = performance.now();
    }
  }
  const map = Float32Array.from(sum, (s, p) => s / count[p]);
  return { kind: g.kind, layout: g.layout, map, shape: [...g.spatial], target: { output, index, value }, evaluations: done, runs };
}

/**
 * Copies per run by default: batching saves the per-run overhead (about 6x for a small MLP, 1.5x for the splice
 * CNN) but gains nothing on large convolutions, whose activations then only crowd memory and caches.
 */
function autoBatch(session: InferenceSession, feeds: Record<string, Tensor | TensorLike>): number {
  const arena = session.describe(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, [...t.dims]]))).arenaBytes;
  return Math.max(1, Math.min(64, Math.floor(16 * 2 ** 20 / Math.max(arena, 1))));
}

/** A feed repeated n times along its batch dim (for a model's other inputs). */
function tile(t: Tensor | TensorLike, n: number): Tensor | TensorLike {
  if (t.dims[0] !== 1) return t;
  const one = t.data as Float32Array;
  const data = new (one.constructor as Float32ArrayConstructor)(n * one.length);
  for (let i = 0; i < n; i++) data.set(one, i * one.length);
  return new Tensor(t.type as "float32", data, [n, ...t.dims.slice(1)]);
}
