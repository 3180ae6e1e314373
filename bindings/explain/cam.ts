/**
 * Class activation maps (Zhou et al., 2016) for networks that end in a global average pool and one dense layer
 * (ResNet, DenseNet/CheXNet, MobileNet, many 1-D signal and DNA CNNs). There the target's logit is the pooled
 * feature map times the dense row of the target plus a bias, so weighting each channel of the last feature map
 * by that row says where in the input the evidence for the target lies. One run of the model, no gradients:
 * the feature map is a tapped value (`load(src, { taps: [name] })`), the row comes from the caller.
 */
import { EdgennError } from "../errors.js";
import type { InferenceSession } from "../session.js";
import type { Tensor } from "../tensor.js";
import type { TensorLike } from "../ort.js";

export type CamLayout = "NCHW" | "NHWC" | "NCL" | "NLC";

/** A weight matrix as a Tensor or as `readEnn` gives it: data with `dims` or `shape`. */
export interface CamWeights { data: ArrayLike<number>; dims?: readonly number[]; shape?: readonly number[] }

export interface CamOptions {
  /** The last feature map (the value the global average pool reads); the session must keep it: `taps`. */
  features: string;
  /**
   * The dense layer after the pool: its matrix, [classes, channels] as PyTorch's Linear and ONNX's Gemm store it
   * or [channels, classes] as Dense kernels (edgenn's builder, Keras) do, or the target class's row alone.
   */
  weights: CamWeights | ArrayLike<number>;
  /** The output and the class (default: the model's first output and its largest value). */
  target?: { output?: string; index?: number };
  /** Which input the map is laid over (default: the only input). */
  input?: string;
  /** The input's layout; left out, the smaller of dim 1 and the last dim is taken as the channels. */
  layout?: CamLayout;
  /** The feature map's layout (default: the input's). */
  featuresLayout?: CamLayout;
}

export interface CamResult {
  kind: "image" | "sequence";
  /** ReLU(Σ_c weight_c · feature_c), upsampled (bilinear) to the input's extent; row-major over `shape`. */
  map: Float32Array;
  /** [height, width] of the input image, or [length] of the input sequence. */
  shape: number[];
  /** The same before upsampling, at the feature map's resolution. */
  features: { map: Float32Array; shape: number[]; layout: CamLayout };
  /** What was explained, and its value in the model's output. */
  target: { output: string; index: number; value: number };
  /** The target output's values for this example, every class (from the same run: no second run for them). */
  scores: Float32Array;
}

const bad = (msg: string) => new EdgennError("BAD_INPUT", `explain.cam: ${msg}`);

/** Channels and spatial extent of a [1, ...] value, channels first or last. */
interface Split { layout: CamLayout; channelsFirst: boolean; channels: number; spatial: number[] }

/** Where the channels of `dims` are: as `layout` says, else the smaller of dim 1 and the last dim (as explain.occlusion guesses). */
function split(what: string, dims: readonly number[], layout: CamLayout | undefined, option: string): Split {
  const names = dims.length === 4 ? (["NCHW", "NHWC"] as const) : dims.length === 3 ? (["NCL", "NLC"] as const) : undefined;
  if (!names) throw bad(`${what} has shape [${dims}]: a CAM needs an image ([1, C, H, W] / [1, H, W, C]) or a sequence ([1, C, L] / [1, L, C])`);
  const [first, last] = [dims[1], dims[dims.length - 1]];
  if (layout !== undefined && layout !== names[0] && layout !== names[1]) throw bad(`${option} '${layout}' does not fit ${what} [${dims}] (${names.join(" or ")})`);
  if (layout === undefined && first === last) throw bad(`cannot tell the channels of ${what} [${dims}] from its shape; pass ${option} '${names[0]}' or '${names[1]}'`);
  const channelsFirst = layout === undefined ? first < last : layout === names[0];
  return { layout: names[channelsFirst ? 0 : 1], channelsFirst, channels: channelsFirst ? first : last, spatial: channelsFirst ? dims.slice(2) : dims.slice(1, -1) };
}

/** The target's row of the dense weights: one value per channel of the feature map `fg`. */
function targetRow(weights: CamOptions["weights"], fg: Split, fdims: readonly number[], index: number, outputSize: number, output: string): Float64Array {
  if (!weights || typeof weights !== "object") throw bad("'weights' (the dense layer after the global average pool) is required");
  const w = weights as CamWeights;
  const dims = "data" in w ? w.dims ?? w.shape : undefined;
  const data = dims ? w.data : (weights as ArrayLike<number>);
  const C = fg.channels, map = `the feature map [${fdims}] read as ${fg.layout}`, hint = " (featuresLayout sets its layout)";
  if (dims && dims.length === 2 && dims[0] * dims[1] === data.length) {
    const [a, b] = dims;
    if (a === C && b === C) throw bad(`weights [${dims}] are square: cannot tell classes from channels; pass the target's row (${C} values)`);
    if (a !== C && b !== C) throw bad(`weights [${dims}] have no dim of ${C}, the channels of ${map}${hint}`);
    const classesFirst = b === C, classes = classesFirst ? a : b;
    if (classes !== outputSize) throw bad(`the weights [${dims}] have ${classes} classes, output '${output}' has ${outputSize} values: is it the dense layer that makes this output?`);
    return Float64Array.from({ length: C }, (_, c) => data[classesFirst ? index * C + c : c * classes + index]);
  }
  if (dims && !(dims.length === 1 && dims[0] === data.length)) {
    throw bad(`weights of shape [${dims}] with ${data.length} values: pass a matrix [classes, channels] or [channels, classes], or the target's row`);
  }
  if (typeof data?.length !== "number") throw bad("'weights' must be a matrix ({ data, dims }) or the target's row (an array)");
  if (data.length !== C) throw bad(`the target's row has ${data.length} values, but ${map} has ${C} channels${hint}`);
  return Float64Array.from(data);
}

export async function cam(session: InferenceSession, feeds: Record<string, Tensor | TensorLike>, options: CamOptions): Promise<CamResult> {
  const features = options?.features;
  if (typeof features !== "string" || !features) throw bad("'features' must name the last feature map (a value the session was loaded with in taps)");
  const inputName = options.input ?? (session.inputNames.length === 1 ? session.inputNames[0] : undefined);
  if (inputName === undefined) throw bad(`the model has inputs ${session.inputNames.join(", ")}: say which the map is for with 'input'`);
  const feed = feeds?.[inputName];
  if (!feed) throw bad(`feeds have no input '${inputName}' (the model's inputs: ${session.inputNames.join(", ")})`);
  if (feed.dims[0] !== 1) throw bad(`input '${inputName}' [${feed.dims}] holds ${feed.dims[0]} examples: a CAM explains one ([1, ...])`);
  const output = options.target?.output ?? session.outputNames[0];
  if (!session.outputNames.includes(output)) throw bad(`unknown target output '${output}' (the model's outputs: ${session.outputNames.join(", ")})`);

  let out: Record<string, Tensor<"float32">>;
  try {
    out = await session.run(feeds as Record<string, Tensor>, { fetch: [...new Set([output, features])] });
  } catch (e) {
    if (e instanceof EdgennError && e.code === "BAD_INPUT" && e.message.includes(`invalid output name: ${features} `)) throw notTapped(session, features);
    throw e;
  }
  const y = out[output], f = out[features];
  let index = options.target?.index;
  if (index === undefined) index = y.data.reduce((best, v, i, d) => (v > d[best] ? i : best), 0);
  if (!Number.isSafeInteger(index) || index < 0 || index >= y.data.length) throw bad(`target index ${index} is outside output '${output}' [${y.dims}] (0 to ${y.data.length - 1})`);

  // The feature map keeps the input's layout unless told otherwise: models do not change layout half-way, and a
  // tap is reported in the layout of the model as written.
  const ig = split(`input '${inputName}'`, feed.dims, options.layout, "layout");
  if (f.dims.length !== feed.dims.length) throw bad(`input '${inputName}' [${feed.dims}] and the feature map [${f.dims}] differ in rank`);
  const same = ((f.dims.length === 4 ? ["NCHW", "NHWC"] : ["NCL", "NLC"]) as CamLayout[])[ig.channelsFirst ? 0 : 1];
  const fg = split("the feature map", f.dims, options.featuresLayout ?? same, "featuresLayout");
  const row = targetRow(options.weights, fg, f.dims, index, y.data.length, output);

  const low = weightedSum(f.data, fg, row);
  return {
    kind: fg.spatial.length === 2 ? "image" : "sequence",
    map: upsample(low, fg.spatial, ig.spatial),
    shape: [...ig.spatial],
    features: { map: low, shape: [...fg.spatial], layout: fg.layout },
    target: { output, index, value: y.data[index] },
    scores: y.data.slice(),
  };
}

/** ReLU(Σ_c row[c] · f[c, p]) at every position p, summed in float64. */
function weightedSum(f: ArrayLike<number>, g: Split, row: Float64Array): Float32Array {
  const positions = g.spatial.reduce((a, b) => a * b, 1), C = g.channels;
  const out = new Float32Array(positions);
  for (let p = 0; p < positions; p++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += row[c] * f[g.channelsFirst ? c * positions + p : p * C + c];
    out[p] = Math.max(0, s);
  }
  return out;
}

/**
 * Bilinear (linear for sequences) resampling with half-pixel centres, as PyTorch's interpolate with
 * align_corners=False and OpenCV's resize: output pixel i samples the input at (i + 0.5) · in/out − 0.5,
 * clamped to the edges.
 */
function upsample(src: Float32Array, from: number[], to: number[]): Float32Array {
  const [h, w] = from.length === 2 ? from : [1, from[0]];
  const [H, W] = to.length === 2 ? to : [1, to[0]];
  const taps = (n: number, N: number) => Array.from({ length: N }, (_, i) => {
    const x = Math.min(Math.max((i + 0.5) * (n / N) - 0.5, 0), n - 1), i0 = Math.floor(x);
    return [i0, Math.min(i0 + 1, n - 1), x - i0];
  });
  const rows = taps(h, H), cols = taps(w, W);
  const out = new Float32Array(H * W);
  for (let r = 0; r < H; r++) {
    const [r0, r1, fr] = rows[r];
    for (let c = 0; c < W; c++) {
      const [c0, c1, fc] = cols[c];
      const top = src[r0 * w + c0] + fc * (src[r0 * w + c1] - src[r0 * w + c0]);
      const bottom = src[r1 * w + c0] + fc * (src[r1 * w + c1] - src[r1 * w + c0]);
      out[r * W + c] = top + fr * (bottom - top);
    }
  }
  return out;
}

/** The error for a feature map the session does not keep, naming what a global average pool reads. */
function notTapped(session: InferenceSession, features: string): EdgennError {
  const pools = session.describe().nodes.filter((n) => n.op === "GlobalAveragePool").map((n) => `'${n.inputs[0].name}'`);
  const hint = pools.length ? ` (the model's global average pool reads ${pools.join(", ")})` : "";
  return bad(`the session does not keep '${features}': load the model with load(src, { taps: ['${features}'] }) to make its last feature map fetchable${hint}`);
}
