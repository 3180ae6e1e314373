/**
 * Keras layers onto IR ops (everything but the recurrent and attention layers). Keras is channels-last, so
 * image ops are emitted in NHWC (channels_first layers in NCHW) and Flatten is a plain reshape of the same
 * order Keras flattens in. Conv kernels HWIO become OIHW.
 */
import type { AttrValue, Constant } from "../ir/graph.js";
import { activation, withActivation } from "./tfjs-activations.js";
import { ATTENTION } from "./tfjs-attention.js";
import { BIG, axisOf, bad, biasOf, layoutOf, tuple, unsupported, type Handler, type Importer, type LayerDef } from "./tfjs-common.js";
import { RECURRENT } from "./tfjs-recurrent.js";

/** HWIO (Keras: [...spatial, cin, cout]) to OIHW ([cout, cin, ...spatial]). */
function hwioToOihw(k: Constant): Constant {
  const r = k.shape.length - 2;
  const spatial = k.shape.slice(0, r), [cin, cout] = k.shape.slice(r);
  const s = spatial.reduce((a, b) => a * b, 1);
  const data = new Float32Array(k.data.length);
  for (let p = 0; p < s; p++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) data[(o * cin + i) * s + p] = k.data[(p * cin + i) * cout + o];
  return { shape: [cout, cin, ...spatial], data };
}
/** Depthwise [...spatial, C, m] is HWIO with one input and C*m outputs (output channel c*m + j, as Keras orders them). */
const depthwiseToOihw = (k: Constant): Constant => hwioToOihw({ shape: [...k.shape.slice(0, -2), 1, k.shape[k.shape.length - 2] * k.shape[k.shape.length - 1]], data: k.data });

function convAttrs(cfg: any, r: number, layout: string, kernel: number[]): { attrs: Record<string, AttrValue>; causalPad?: number } {
  const strides = tuple(cfg.strides ?? 1, r, "strides");
  const dil = tuple(cfg.dilation_rate ?? 1, r, "dilation_rate");
  const padding = String(cfg.padding ?? "valid").toLowerCase();
  const attrs: Record<string, AttrValue> = { layout, strides, dilations: dil };
  if (padding === "same") attrs.auto_pad = "SAME_UPPER";
  else if (padding === "valid") attrs.auto_pad = "VALID";
  else if (padding === "causal" && r === 1) { attrs.auto_pad = "VALID"; return { attrs, causalPad: dil[0] * (kernel[0] - 1) }; }
  else throw unsupported(`padding '${padding}'`);
  return { attrs };
}

function conv(r: number): Handler {
  return (m, { layer, inputs, out, base }) => {
    const cfg = layer.config, layout = layoutOf(cfg);
    const k = m.weight(layer.name, "kernel")!;
    const w = hwioToOihw(k);
    const { attrs, causalPad } = convAttrs(cfg, r, layout, k.shape.slice(0, r));
    const groups = cfg.groups ?? 1;
    if (groups !== 1) attrs.group = groups;
    let x = inputs[0];
    if (causalPad) x = m.one("Pad", [x], { pads: layout === "NHWC" ? [0, causalPad, 0, 0, 0, 0] : [0, 0, causalPad, 0, 0, 0] }, `${base}/causal_pad`);
    const wn = m.constant(`${base}/kernel`, w.shape, w.data);
    return [withActivation(m, "Conv", [x, wn, biasOf(m, layer.name, cfg, base)], attrs, cfg.activation, out(0))];
  };
}

/**
 * Conv1DTranspose / Conv2DTranspose onto ConvTranspose. Keras sizes the output n·s ('same') or n·s + max(k - s, 0)
 * ('valid') and TF crops the full (n - 1)·s + k result like the forward conv's SAME padding (the odd pixel at the
 * end); both depend only on k and s, so they become pads and output_padding (s - k bias-only pixels at the end
 * when the kernel is narrower than the stride) and the op works at any input size. Kernel [...k, cout, cin] →
 * [cin, cout, ...k]. dilation_rate and output_padding are refused: tfjs ignores them, so nothing here could
 * check what Keras does with them.
 */
function convTranspose(r: number): Handler {
  return (m, { layer, inputs, out, base }) => {
    const cfg = layer.config, layout = layoutOf(cfg);
    const k = m.weight(layer.name, "kernel")!;
    const kernel = k.shape.slice(0, r), [cout, cin] = k.shape.slice(r);
    const strides = tuple(cfg.strides ?? 1, r, "strides");
    if (tuple(cfg.dilation_rate ?? 1, r, "dilation_rate").some((d) => d !== 1)) throw unsupported(`dilation_rate ${JSON.stringify(cfg.dilation_rate)} (1 only)`);
    if (cfg.output_padding != null) throw unsupported(`output_padding ${JSON.stringify(cfg.output_padding)} (null only)`);
    const padding = String(cfg.padding ?? "valid").toLowerCase();
    if (padding !== "same" && padding !== "valid") throw unsupported(`padding '${padding}'`);
    const crop = kernel.map((kk, i) => (padding === "same" ? Math.max(kk - strides[i], 0) : 0));
    const pads = [...crop.map((c) => Math.floor(c / 2)), ...crop.map((c) => c - Math.floor(c / 2))];
    const output_padding = kernel.map((kk, i) => Math.max(strides[i] - kk, 0));
    const s = kernel.reduce((a, b) => a * b, 1), data = new Float32Array(k.data.length);
    for (let p = 0; p < s; p++) for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) data[(i * cout + o) * s + p] = k.data[(p * cout + o) * cin + i];
    const wn = m.constant(`${base}/kernel`, [cin, cout, ...kernel], data);
    // ConvTranspose has no fused activation: a node after it unless linear.
    return [withActivation(m, "ConvTranspose", [inputs[0], wn, biasOf(m, layer.name, cfg, base)], { layout, strides, pads, output_padding }, cfg.activation, out(0), false)];
  };
}

function depthwise(m: Importer, layer: LayerDef, x: string, r: number, base: string, withBias: boolean, out: string, act: unknown): string {
  const cfg = layer.config;
  const k = m.weight(layer.name, "depthwise_kernel")!;
  const w = depthwiseToOihw(k);
  const { attrs } = convAttrs(cfg, r, layoutOf(cfg), k.shape.slice(0, r));
  attrs.group = k.shape[r];
  const wn = m.constant(`${base}/depthwise_kernel`, w.shape, w.data);
  return withActivation(m, "Conv", [x, wn, withBias ? biasOf(m, layer.name, cfg, base) : ""], attrs, act, out);
}

function separable(r: number): Handler {
  return (m, { layer, inputs, out, base }) => {
    const cfg = layer.config;
    const dw = depthwise(m, layer, inputs[0], r, base, false, `${base}/depthwise`, "linear");
    const pw = hwioToOihw(m.weight(layer.name, "pointwise_kernel")!);
    const wn = m.constant(`${base}/pointwise_kernel`, pw.shape, pw.data);
    return [withActivation(m, "Conv", [dw, wn, biasOf(m, layer.name, cfg, base)], { layout: layoutOf(cfg), auto_pad: "VALID" }, cfg.activation, out(0))];
  };
}

function pool(op: "MaxPool" | "AveragePool", r: number): Handler {
  return (m, { layer, inputs, out }) => {
    const cfg = layer.config;
    const kernel = tuple(cfg.pool_size ?? 2, r, "pool_size");
    const strides = cfg.strides == null ? kernel : tuple(cfg.strides, r, "strides");
    const padding = String(cfg.padding ?? "valid").toLowerCase();
    if (padding !== "same" && padding !== "valid") throw unsupported(`padding '${padding}'`);
    const attrs: Record<string, AttrValue> = { layout: layoutOf(cfg), kernel_shape: kernel, strides, auto_pad: padding === "same" ? "SAME_UPPER" : "VALID" };
    if (op === "AveragePool") attrs.count_include_pad = 0;
    return [m.one(op, [inputs[0]], attrs, out(0))];
  };
}

function globalPool(op: "GlobalAveragePool" | "GlobalMaxPool"): Handler {
  return (m, { layer, inputs, out, base }) => {
    const cfg = layer.config;
    if (cfg.keepdims) return [m.one(op, [inputs[0]], { layout: layoutOf(cfg) }, out(0))];
    const p = m.one(op, [inputs[0]], { layout: layoutOf(cfg) }, `${base}/pool`);
    return [m.one("Flatten", [p], { axis: 1 }, out(0))];
  };
}

function merge(op: string): Handler {
  return (m, { layer, inputs, out, base }) => {
    if (inputs.length < 2) throw unsupported(`${layer.className} needs at least 2 inputs, it has ${inputs.length}`);
    if (op === "Sub" && inputs.length !== 2) throw unsupported(`Subtract takes exactly 2 inputs, it has ${inputs.length}`);
    const avg = op === "Average";
    const bop = avg ? "Add" : op;
    let acc = inputs[0];
    for (let i = 1; i < inputs.length; i++) acc = m.one(bop, [acc, inputs[i]], {}, i === inputs.length - 1 && !avg ? out(0) : `${base}/${bop.toLowerCase()}${i}`);
    if (avg) acc = m.one("Mul", [acc, m.scalar(`${base}/scale`, 1 / inputs.length)], {}, out(0));
    return [acc];
  };
}

function spatialAxes(layout: string, rank: number, r: number): number[] {
  return Array.from({ length: r }, (_, i) => (layout === "NHWC" ? 1 + i : rank - r + i));
}
function pairs(v: unknown, r: number, what: string): [number, number][] {
  // int → all sides; [a, b] (r=2) → symmetric per dim; [[t, b], [l, r]]; 1-D: int or [a, b].
  if (Number.isSafeInteger(v)) return new Array(r).fill([v, v]);
  if (Array.isArray(v)) {
    if (r === 1 && v.length === 2 && v.every(Number.isSafeInteger)) return [[v[0], v[1]]];
    if (v.length === r && v.every(Number.isSafeInteger)) return v.map((x) => [x, x]);
    if (v.length === r && v.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isSafeInteger))) return v as [number, number][];
  }
  throw bad(`${what} ${JSON.stringify(v)} is not understood`);
}

function padding(r: number): Handler {
  return (m, { layer, inputs, out }) => {
    const layout = layoutOf(layer.config), rank = r + 2;
    const p = pairs(layer.config.padding ?? 1, r, "padding");
    const pads = new Array(2 * rank).fill(0);
    spatialAxes(layout, rank, r).forEach((a, i) => { pads[a] = p[i][0]; pads[rank + a] = p[i][1]; });
    return [m.one("Pad", [inputs[0]], { pads }, out(0))];
  };
}
function cropping(r: number): Handler {
  return (m, { layer, inputs, out }) => {
    const layout = layoutOf(layer.config), rank = r + 2;
    const p = pairs(layer.config.cropping ?? 0, r, "cropping");
    const axes = spatialAxes(layout, rank, r);
    return [m.one("Slice", [inputs[0]], { axes, starts: p.map((q) => q[0]), ends: p.map((q) => (q[1] > 0 ? -q[1] : BIG)) }, out(0))];
  };
}

/**
 * UpSampling1D/2D. Nearest: each spatial axis gets a unit axis after it, which a multiply by ones broadcasts
 * to the factor (x·1 is exact), and a reshape merges the pairs. Bilinear (2-D): two constant interpolation
 * matrices applied as Dense along W and then H, with the half-pixel sampling of tf.image.resize (Keras) or
 * the corner sampling of tf.image.resizeBilinear (tfjs-layers' own UpSampling2D).
 */
function upSampling(r: 1 | 2): Handler {
  return (m, { layer, inputs, out, base }) => {
    const cfg = layer.config, x = inputs[0];
    const layout = r === 1 ? "NHWC" : layoutOf(cfg);
    const size = tuple(cfg.size ?? 2, r, "size");
    if (size.some((s) => s < 1)) throw bad(`layer '${layer.name}': size ${JSON.stringify(cfg.size)}`);
    const rank = r + 2;
    const dims = m.staticShape(x);
    if (!dims || dims.length !== rank) throw unsupported(`an input of rank ${dims?.length ?? "unknown"} (${rank} expected)`);
    const axes = spatialAxes(layout, rank, r);
    const interpolation = String(cfg.interpolation ?? "nearest").toLowerCase();
    if (interpolation === "bilinear" && r === 2) return [bilinear(m, x, dims, layout, size, base, out(0))];
    if (interpolation !== "nearest") throw unsupported(`interpolation '${cfg.interpolation}' (nearest, bilinear)`);
    const target = dims.map((d, i) => (i === 0 ? 0 : d === null ? -1 : d * (axes.includes(i) ? size[axes.indexOf(i)] : 1)));
    if (target.filter((d) => d === -1).length > 1) throw unsupported("more than one input size after the batch unknown");
    const inserted = axes.map((a, i) => a + 1 + i);
    const u = m.one("Unsqueeze", [x], { axes: inserted }, `${base}/unsqueeze`);
    const onesShape = Array.from({ length: rank + r - inserted[0] }, (_, i) => (inserted.includes(inserted[0] + i) ? size[inserted.indexOf(inserted[0] + i)] : 1));
    const ones = m.constant(`${base}/ones`, onesShape, new Float32Array(onesShape.reduce((a, b) => a * b, 1)).fill(1));
    return [m.one("Reshape", [m.one("Mul", [u, ones], {}, `${base}/repeat`)], { shape: target }, out(0))];
  };
}

/** [in, out] weights of 1-D linear interpolation to `factor` times the size. */
function lerpMatrix(n: number, factor: number, halfPixel: boolean): Constant {
  const outN = n * factor, data = new Float32Array(n * outN);
  for (let j = 0; j < outN; j++) {
    const src = halfPixel ? (j + 0.5) / factor - 0.5 : j / factor;
    const lo = Math.floor(src), frac = src - lo;
    data[Math.max(lo, 0) * outN + j] += 1 - frac;
    data[Math.min(Math.ceil(src), n - 1) * outN + j] += frac;
  }
  return { shape: [n, outN], data };
}

function bilinear(m: Importer, x: string, dims: (number | null)[], layout: string, size: number[], base: string, out: string): string {
  const [h, w] = layout === "NHWC" ? dims.slice(1, 3) : dims.slice(2, 4);
  if (h === null || w === null) throw unsupported("bilinear upsampling of an image of unknown size");
  const half = !m.fromTfjs;
  const mw = lerpMatrix(w, size[1], half), mh = lerpMatrix(h, size[0], half);
  const dense = (v: string, k: Constant, name: string) => m.one("Dense", [v, m.constant(`${base}/${name}`, k.shape, k.data), ""], {}, `${base}/${name}_out`);
  // Dense works on the last axis: W last, then H last.
  const nchw = layout === "NHWC" ? m.one("Transpose", [x], { perm: [0, 3, 1, 2] }, `${base}/nchw`) : x;
  const alongW = m.one("Transpose", [dense(nchw, mw, "lerp_w")], { perm: [0, 1, 3, 2] }, `${base}/wh`);
  const alongH = dense(alongW, mh, "lerp_h"); // [N, C, W', H']
  return m.one("Transpose", [alongH], { perm: layout === "NHWC" ? [0, 3, 2, 1] : [0, 1, 3, 2] }, out);
}

/** Moves `axis` of a rank-`rank` value to the end. */
function axisLast(m: Importer, x: string, axis: number, rank: number, name: string): string {
  if (axis === rank - 1) return x;
  const perm = [...Array(rank).keys()].filter((a) => a !== axis);
  return m.one("Transpose", [x], { perm: [...perm, axis] }, name);
}
/** Sum over the last axis (size k), kept as a unit axis: a Dense with a column of ones. */
function sumLast(m: Importer, x: string, k: number, name: string): string {
  return m.one("Dense", [x, m.constant(`${name}/ones`, [k, 1], new Float32Array(k).fill(1)), ""], {}, name);
}

/**
 * Dot (Keras batch_dot): both contracted axes moved last, the free axes of one input against those of the
 * other by broadcasting, then the product summed over the contracted axis. normalize: l2-normalized along
 * the contracted axes first, x / sqrt(max(Σx², ε)) with tfjs' ε 1e-7 (Keras 2's l2_normalize: 1e-12).
 */
const Dot: Handler = (m, { layer, inputs, out, base }) => {
  if (inputs.length !== 2) throw unsupported(`Dot takes exactly 2 inputs, it has ${inputs.length}`);
  const shapes = inputs.map((x) => m.staticShape(x));
  if (!shapes[0] || !shapes[1]) throw unsupported("inputs of unknown rank");
  const ranks = shapes.map((s) => s!.length);
  const raw = layer.config.axes;
  const axes = (Array.isArray(raw) ? raw : [raw, raw]).map((a, i) => {
    if (!Number.isSafeInteger(a)) throw bad(`layer '${layer.name}': axes ${JSON.stringify(raw)}`);
    return a < 0 ? a + ranks[i] : a;
  });
  if (axes.length !== 2 || axes.some((a, i) => a < 1 || a >= ranks[i])) throw unsupported(`axes ${JSON.stringify(raw)} (a non-batch axis of each input)`);
  const k = shapes[0]![axes[0]];
  if (k === null || k !== shapes[1]![axes[1]]) throw unsupported(`contracted sizes ${shapes[0]![axes[0]] ?? "?"} and ${shapes[1]![axes[1]] ?? "?"} (equal, fixed)`);
  const eps = m.kerasVersion.startsWith("2") ? 1e-12 : 1e-7;
  const [a, b] = inputs.map((x, i) => {
    const name = `${base}/${"ab"[i]}`;
    let v = axisLast(m, x, axes[i], ranks[i], `${name}/last`);
    if (layer.config.normalize) {
      const ss = sumLast(m, m.one("Mul", [v, v], {}, `${name}/sq`), k, `${name}/sumsq`);
      const n = m.one("Sqrt", [m.one("Max", [ss, m.scalar(`${name}/eps`, eps)], {}, `${name}/floor`)], {}, `${name}/norm`);
      v = m.one("Div", [v, n], {}, `${name}/normalized`);
    }
    return v;
  });
  // a [B, A..., K] → [B, A..., 1 (×nb), K]; b [B, Bf..., K] → [B, 1 (×na), Bf..., K].
  const na = ranks[0] - 2, nb = ranks[1] - 2;
  const au = nb ? m.one("Unsqueeze", [a], { axes: Array.from({ length: nb }, (_, i) => 1 + na + i) }, `${base}/a_free`) : a;
  const bu = na ? m.one("Unsqueeze", [b], { axes: Array.from({ length: na }, (_, i) => 1 + i) }, `${base}/b_free`) : b;
  const s = sumLast(m, m.one("Mul", [au, bu], {}, `${base}/prod`), k, na + nb ? `${base}/sum` : out(0));
  // Keras keeps [batch, 1] when nothing else is left.
  return [na + nb ? m.one("Squeeze", [s], { axes: [-1] }, out(0)) : s];
};

/**
 * TimeDistributed: the time axis folded into the batch, the wrapped layer applied, and unfolded. Layers that
 * work on the last axis alone take the sequence as it is.
 */
const LAST_AXIS_ONLY = new Set(["Dense", "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Dropout", "Softmax"]);
const TimeDistributed: Handler = (m, { layer, inputs, out, base }) => {
  const inner = layer.config.layer;
  if (!inner || typeof inner !== "object" || typeof inner.class_name !== "string" || !inner.config || typeof inner.config !== "object") {
    throw bad(`layer '${layer.name}': TimeDistributed without a wrapped layer config`);
  }
  if (!Object.hasOwn(HANDLERS, inner.class_name)) throw unsupported(`wraps ${inner.class_name}, which is not supported`);
  if (inputs.length !== 1) throw unsupported(`${inputs.length} inputs`);
  // The wrapped layer's weights are saved under the wrapper's name.
  const wrapped: LayerDef = { name: layer.name, className: inner.class_name, config: inner.config, inbound: [] };
  const h = HANDLERS[inner.class_name];
  const softmaxAxis = inner.class_name === "Softmax" && (inner.config.axis ?? -1) !== -1;
  if (LAST_AXIS_ONLY.has(inner.class_name) && !softmaxAxis) return h(m, { layer: wrapped, inputs, out, base, named: {}, options: {} });
  const [t, ...rest] = m.fixedDims(inputs[0], "TimeDistributed");
  const folded = m.one("Reshape", [inputs[0]], { shape: [-1, ...rest] }, `${base}/fold`);
  const ys = h(m, { layer: wrapped, inputs: [folded], base: `${base}/step`, out: (i) => `${base}/step:${i}`, named: {}, options: {} });
  return ys.map((y, i) => m.one("Reshape", [y], { shape: [-1, t, ...m.fixedDims(y, "TimeDistributed's wrapped layer")] }, out(i)));
};

const identity: Handler = (_m, { inputs }) => [inputs[0]];

export const HANDLERS: Record<string, Handler> = {
  Dense(m, { layer, inputs, out, base }) {
    const cfg = layer.config;
    const k = m.weight(layer.name, "kernel")!;
    const w = m.constant(`${base}/kernel`, k.shape, k.data);
    return [withActivation(m, "Dense", [inputs[0], w, biasOf(m, layer.name, cfg, base)], {}, cfg.activation, out(0))];
  },
  Conv1D: conv(1), Conv2D: conv(2), Conv1DTranspose: convTranspose(1), Conv2DTranspose: convTranspose(2),
  DepthwiseConv2D(m, { layer, inputs, out, base }) {
    return [depthwise(m, layer, inputs[0], 2, base, true, out(0), layer.config.activation)];
  },
  SeparableConv1D: separable(1), SeparableConv2D: separable(2),
  MaxPooling1D: pool("MaxPool", 1), MaxPooling2D: pool("MaxPool", 2), AveragePooling1D: pool("AveragePool", 1), AveragePooling2D: pool("AveragePool", 2),
  GlobalAveragePooling1D: globalPool("GlobalAveragePool"), GlobalAveragePooling2D: globalPool("GlobalAveragePool"),
  GlobalMaxPooling1D: globalPool("GlobalMaxPool"), GlobalMaxPooling2D: globalPool("GlobalMaxPool"),
  BatchNormalization(m, { layer, inputs, out, base }) {
    const cfg = layer.config, x = inputs[0];
    const rank = m.rank(x);
    const axis = axisOf(cfg.axis ?? -1, "axis");
    let layout: string;
    if (axis === -1 || (rank !== undefined && axis === rank - 1)) layout = "NHWC";
    else if (axis === 1 && rank !== undefined && rank > 2) layout = "NCHW";
    else throw unsupported(`axis ${JSON.stringify(cfg.axis)}${rank === undefined ? " (input rank unknown)" : ` of a rank-${rank} input`}: only the channel axis`);
    const mean = m.weight(layer.name, "moving_mean")!, variance = m.weight(layer.name, "moving_variance")!;
    const n = mean.data.length;
    const gamma = cfg.scale === false ? new Float32Array(n).fill(1) : m.weight(layer.name, "gamma")!.data;
    const beta = cfg.center === false ? new Float32Array(n) : m.weight(layer.name, "beta")!.data;
    const ins = [x, m.constant(`${base}/gamma`, [n], gamma), m.constant(`${base}/beta`, [n], beta), m.constant(`${base}/moving_mean`, [n], mean.data), m.constant(`${base}/moving_variance`, [n], variance.data)];
    return [m.one("BatchNormalization", ins, { epsilon: cfg.epsilon ?? 1e-3, layout }, out(0))];
  },
  Activation(m, { layer, inputs, out }) { return [activation(m, layer.config.activation, inputs[0], out(0))]; },
  ReLU(m, { layer, inputs, out, base }) {
    const cfg = layer.config;
    const max = cfg.max_value ?? null, slope = cfg.negative_slope ?? 0, threshold = cfg.threshold ?? 0;
    if (threshold !== 0) throw unsupported(`threshold ${threshold} (0 only)`);
    if (slope === 0) {
      if (max === null) return [m.one("Relu", [inputs[0]], {}, out(0))];
      if (max === 6) return [m.one("Relu6", [inputs[0]], {}, out(0))];
      return [m.one("Clip", [inputs[0]], { min: 0, max }, out(0))];
    }
    const y = m.one("LeakyRelu", [inputs[0]], { alpha: slope }, max === null ? out(0) : `${base}/leaky`);
    return [max === null ? y : m.one("Min", [y, m.scalar(`${base}/max`, max)], {}, out(0))];
  },
  LeakyReLU(m, { layer, inputs, out }) {
    return [m.one("LeakyRelu", [inputs[0]], { alpha: layer.config.alpha ?? layer.config.negative_slope ?? 0.3 }, out(0))];
  },
  // max(x, 0) + alpha·min(x, 0), alpha [...] per element (1 on shared axes), broadcast over the batch.
  PReLU(m, { layer, inputs, out, base }) {
    const a = m.weight(layer.name, "alpha")!, x = inputs[0];
    const neg = m.one("Min", [x, m.scalar(`${base}/zero`, 0)], {}, `${base}/neg`);
    const scaled = m.one("Mul", [neg, m.constant(`${base}/alpha`, a.shape, a.data)], {}, `${base}/scaled`);
    return [m.one("Add", [m.one("Relu", [x], {}, `${base}/pos`), scaled], {}, out(0))];
  },
  ELU(m, { layer, inputs, out }) { return [m.one("Elu", [inputs[0]], { alpha: layer.config.alpha ?? 1 }, out(0))]; },
  Softmax(m, { layer, inputs, out }) {
    return [m.one("Softmax", [inputs[0]], { axis: axisOf(layer.config.axis ?? -1, "axis") }, out(0))];
  },
  Rescaling(m, { layer, inputs, out, base }) {
    const { scale = 1, offset = 0 } = layer.config;
    if (typeof scale !== "number" || typeof offset !== "number") throw unsupported("per-channel scale/offset");
    const y = m.one("Mul", [inputs[0], m.scalar(`${base}/scale`, scale)], {}, offset === 0 ? out(0) : `${base}/scaled`);
    return [offset === 0 ? y : m.one("Add", [y, m.scalar(`${base}/offset`, offset)], {}, out(0))];
  },
  Dropout: identity, SpatialDropout1D: identity, SpatialDropout2D: identity, SpatialDropout3D: identity,
  GaussianNoise: identity, GaussianDropout: identity, AlphaDropout: identity, ActivityRegularization: identity,
  Flatten(m, { layer, inputs, out, base }) {
    let x = inputs[0];
    const rank = m.rank(x);
    // channels_first: Keras moves the channels last before flattening, so Dense weights fit either format.
    if (layer.config.data_format === "channels_first" && rank !== undefined && rank > 2) {
      x = m.one("Transpose", [x], { perm: [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1] }, `${base}/channels_last`);
    } else if (layer.config.data_format === "channels_first" && rank === undefined) throw unsupported("data_format channels_first on an input of unknown rank");
    return [m.one("Flatten", [x], { axis: 1 }, out(0))];
  },
  Reshape(m, { layer, inputs, out }) {
    const t = Array.isArray(layer.config.target_shape) ? layer.config.target_shape.map((d: unknown) => (d === null ? -1 : d)) : undefined;
    if (!Array.isArray(t) || !t.every((d) => Number.isSafeInteger(d) && d >= -1 && d !== 0)) throw bad(`layer '${layer.name}': target_shape ${JSON.stringify(t)}`);
    return [m.one("Reshape", [inputs[0]], { shape: [0, ...t] }, out(0))];
  },
  Permute(m, { layer, inputs, out }) {
    const dims = layer.config.dims;
    if (!Array.isArray(dims) || !dims.every(Number.isSafeInteger)) throw bad(`layer '${layer.name}': dims ${JSON.stringify(dims)}`);
    return [m.one("Transpose", [inputs[0]], { perm: [0, ...dims] }, out(0))];
  },
  // [batch, features] → [batch, n, features]: a unit time axis broadcast by a multiply with ones (exact).
  RepeatVector(m, { layer, inputs, out, base }) {
    const n = layer.config.n;
    if (!Number.isSafeInteger(n) || n < 1) throw bad(`layer '${layer.name}': n ${JSON.stringify(n)}`);
    const u = m.one("Unsqueeze", [inputs[0]], { axes: [1] }, `${base}/unsqueeze`);
    return [m.one("Mul", [u, m.constant(`${base}/ones`, [n, 1], new Float32Array(n).fill(1))], {}, out(0))];
  },
  UpSampling1D: upSampling(1), UpSampling2D: upSampling(2),
  ZeroPadding1D: padding(1), ZeroPadding2D: padding(2), Cropping1D: cropping(1), Cropping2D: cropping(2),
  Add: merge("Add"), Subtract: merge("Sub"), Multiply: merge("Mul"), Average: merge("Average"), Maximum: merge("Max"), Minimum: merge("Min"),
  Concatenate(m, { layer, inputs, out }) {
    return [m.one("Concat", inputs, { axis: axisOf(layer.config.axis ?? -1, "axis") }, out(0))];
  },
  Dot, TimeDistributed,
  ...RECURRENT,
  ...ATTENTION,
};
// Keras' aliases.
Object.assign(HANDLERS, {
  MaxPool1D: HANDLERS.MaxPooling1D, MaxPool2D: HANDLERS.MaxPooling2D, AvgPool1D: HANDLERS.AveragePooling1D, AvgPool2D: HANDLERS.AveragePooling2D,
  GlobalAvgPool1D: HANDLERS.GlobalAveragePooling1D, GlobalAvgPool2D: HANDLERS.GlobalAveragePooling2D,
  GlobalMaxPool1D: HANDLERS.GlobalMaxPooling1D, GlobalMaxPool2D: HANDLERS.GlobalMaxPooling2D,
});

/** Layers with no IR op to map onto: why, for the report. */
export const UNMAPPED: Record<string, string> = {
  Conv3DTranspose: "the IR's ConvTranspose is 1-D and 2-D only",
};
