/**
 * TensorFlow.js layers importer: a tfjs `model.json` (format "layers-model": `modelTopology` + `weightsManifest`)
 * and its weight shards become the IR graph (ir/graph.ts) plus metadata.
 *
 * - Topology: `{class_name: "Sequential" | "Model" | "Functional", config}` or Keras' converted form
 *   `{model_config: {...}, keras_version, backend}`. Functional models: inbound nodes in the nested-array form
 *   [[["layer", nodeIndex, tensorIndex, {}]]] (tfjs, Keras 2) and the {args, kwargs} form (Keras 3); shared
 *   layers (several inbound nodes) become several IR nodes over the same constants.
 * - Weights: the manifest groups' shards concatenated in order; float32, float16, int32, and quantized
 *   uint8/uint16 (value = q·scale + min) or float16. Weights are matched to layers by name ("layer/.../kernel").
 * - Keras is channels-last, so image ops are emitted in NHWC (channels_first layers in NCHW): Flatten is then
 *   a plain reshape. Conv kernels HWIO become OIHW; LSTM (i,f,c,o) and GRU (z,r,h) weights are reordered and
 *   transposed to ONNX form and run with layout=1 ([batch, time, features], as Keras).
 * - Everything that cannot be mapped is collected and reported in ONE EdgennError("UNSUPPORTED") naming the
 *   class and name of every offending layer.
 */
import { EdgennError } from "../errors.js";
import { decodeF16 } from "../format/f16.js";
import type { AttrValue, Constant, Dim, Graph, Node, ValueInfo } from "../ir/graph.js";
import { OPS } from "../ops/registry.js";
import { readSource } from "../wasm/loader.js";

export interface TfjsImport { graph: Graph; metadata: Record<string, unknown> }
export type TfjsWeights = ArrayBuffer | Uint8Array | Map<string, Uint8Array>;

/** Keras layer classes this importer maps. */
export const TFJS_LAYERS: readonly string[] = Object.freeze([
  "InputLayer", "Dense", "Conv1D", "Conv2D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
  "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D",
  "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
  "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
  "BatchNormalization", "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "Rescaling",
  "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
  "ActivityRegularization", "Flatten", "Reshape", "Permute", "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D",
  "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "LSTM", "GRU", "SimpleRNN",
]);

const bad = (msg: string) => new EdgennError("BAD_FILE", `TF.js model: ${msg}`);
const BIG = 2 ** 31 - 1;

// ---------------------------------------------------------------------------------------------------------
// Weights.

interface WeightSpec { name: string; shape: number[]; dtype?: string; quantization?: { dtype: string; scale?: number; min?: number } }
interface ManifestGroup { paths: string[]; weights: WeightSpec[] }

function manifestOf(modelJson: any): ManifestGroup[] {
  const m = modelJson.weightsManifest ?? (modelJson.weightSpecs ? [{ paths: [], weights: modelJson.weightSpecs }] : []);
  if (!Array.isArray(m)) throw bad("weightsManifest must be an array");
  for (const g of m) {
    if (!g || !Array.isArray(g.weights) || (g.paths !== undefined && !Array.isArray(g.paths))) throw bad("each weightsManifest group needs paths and weights arrays");
  }
  return m.map((g: any) => ({ paths: g.paths ?? [], weights: g.weights }));
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, float16: 2, uint8: 1, uint16: 2, bool: 1 };

/** Decodes every manifest weight, in manifest order, from the concatenated shards. */
function decodeWeights(manifest: ManifestGroup[], weights: TfjsWeights): Map<string, Constant> {
  let all: Uint8Array;
  if (weights instanceof Map) {
    const parts: Uint8Array[] = [];
    for (const g of manifest) {
      for (const p of g.paths) {
        const b = weights.get(p);
        if (!b) throw bad(`weight shard '${p}' is missing (have: ${[...weights.keys()].join(", ") || "none"})`);
        parts.push(b);
      }
    }
    all = concatBytes(parts);
  } else if (weights instanceof ArrayBuffer) all = new Uint8Array(weights);
  else if (weights instanceof Uint8Array) all = weights;
  else throw bad("weights must be an ArrayBuffer, a Uint8Array or a Map of shard path to bytes");
  const view = new DataView(all.buffer, all.byteOffset, all.byteLength);
  const out = new Map<string, Constant>();
  let at = 0;
  for (const g of manifest) {
    for (const w of g.weights) {
      if (!w || typeof w.name !== "string" || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw bad(`bad weight spec ${JSON.stringify(w)?.slice(0, 100)}`);
      }
      const count = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const stored = q ? q.dtype : (w.dtype ?? "float32");
      const size = typeof stored === "string" && Object.hasOwn(BYTES, stored) ? BYTES[stored] : 0;
      if (!size) throw new EdgennError("UNSUPPORTED", `TF.js model: weight '${w.name}' has dtype '${stored}' (float32, float16, int32, uint8/uint16 quantized)`);
      if (at + count * size > all.length) throw bad(`the weight data ends at byte ${all.length}, weight '${w.name}' needs bytes ${at}-${at + count * size}`);
      const data = new Float32Array(count);
      if (stored === "float32") for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + 4 * i, true);
      else if (stored === "int32") for (let i = 0; i < count; i++) data[i] = view.getInt32(at + 4 * i, true);
      else if (stored === "float16") decodeF16(all, at, count, data);
      else if (stored === "bool") for (let i = 0; i < count; i++) data[i] = all[at + i] ? 1 : 0;
      else {
        if (!q || typeof q.scale !== "number" || typeof q.min !== "number") throw bad(`quantized weight '${w.name}' needs numeric scale and min`);
        for (let i = 0; i < count; i++) {
          const v = stored === "uint8" ? all[at + i] : view.getUint16(at + 2 * i, true);
          data[i] = v * q.scale + q.min;
        }
      }
      at += count * size;
      out.set(w.name, { shape: w.shape, data });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Topology.

interface LayerDef { name: string; className: string; config: any; inbound: InboundRef[][] }
interface InboundRef { layer: string; node: number; tensor: number }

/** Unwraps the topology forms; returns the model class, its config and the Keras version string. */
function topologyOf(modelJson: any): { cls: string; config: any; kerasVersion: string } {
  const top = modelJson.modelTopology;
  if (!top || typeof top !== "object") throw bad("modelTopology is missing (a TF.js graph model, or not a model.json?)");
  const inner = top.model_config ?? top;
  if (!inner || typeof inner !== "object" || typeof inner.class_name !== "string" || !inner.config) throw bad("modelTopology has no class_name and config");
  const kerasVersion = String(top.keras_version ?? inner.keras_version ?? "");
  return { cls: inner.class_name, config: inner.config, kerasVersion };
}

function refsOf(x: any): InboundRef[] {
  // Keras 3: {class_name: "__keras_tensor__", config: {keras_history: [layer, node, tensor]}} anywhere in args.
  if (Array.isArray(x)) {
    if (x.length >= 3 && typeof x[0] === "string" && typeof x[1] === "number" && typeof x[2] === "number") return [{ layer: x[0], node: x[1], tensor: x[2] }];
    return x.flatMap(refsOf);
  }
  if (x && typeof x === "object") {
    if (x.config?.keras_history) return refsOf([x.config.keras_history]);
    return [];
  }
  return [];
}

function parseInbound(raw: any): InboundRef[][] {
  if (!Array.isArray(raw)) return [];
  return raw.map((n: any) => (Array.isArray(n) ? refsOf(n) : refsOf(n?.args ?? [])));
}

// ---------------------------------------------------------------------------------------------------------
// The graph builder.

type Shape = number[] | undefined;

class Importer {
  nodes: Node[] = [];
  constants = new Map<string, Constant>();
  shapes = new Map<string, Shape>();
  private names = new Set<string>();
  private weightIndex = new Map<string, { name: string; leaf: string; c: Constant }[]>();
  constructor(weights: Map<string, Constant>, readonly kerasVersion: string) {
    for (const [name, c] of weights) {
      const parts = name.split("/");
      const leaf = parts[parts.length - 1].replace(/:\d+$/, "");
      for (const p of new Set(parts.slice(0, -1))) {
        if (!this.weightIndex.has(p)) this.weightIndex.set(p, []);
        this.weightIndex.get(p)!.push({ name, leaf, c });
      }
    }
  }

  unique(base: string): string {
    let n = base, i = 1;
    while (this.names.has(n)) n = `${base}_${i++}`;
    this.names.add(n);
    return n;
  }

  /** A weight of a layer by its last name component (kernel, bias, gamma, ...). */
  weight(layer: string, leaf: string, required = true): Constant | undefined {
    const found = (this.weightIndex.get(layer) ?? []).filter((w) => w.leaf === leaf);
    if (found.length === 0) {
      if (required) throw bad(`layer '${layer}' has no weight '${leaf}' in the weights manifest`);
      return undefined;
    }
    return found[0].c;
  }

  constant(base: string, shape: number[], data: Float32Array): string {
    const name = this.unique(base);
    this.constants.set(name, { shape, data });
    return name;
  }

  /** Emits a node; returns its output names. Output shapes come from the op's own shape inference. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue>, outputs: string[]): string[] {
    const name = this.unique(outputs[0]);
    const outs = outputs.map((o, i) => (i === 0 ? name : this.unique(o)));
    const node: Node = { op, name, inputs, outputs: outs, attrs };
    this.nodes.push(node);
    let shapes: number[][] | undefined;
    try {
      const inShapes = inputs.map((x) => (x === "" ? undefined : this.constants.get(x)?.shape ?? this.shapes.get(x)));
      if (!inputs.some((x, i) => x !== "" && !inShapes[i])) {
        shapes = OPS[op].infer({ node, inShapes, consts: inputs.map((x) => this.constants.get(x)) });
      }
    } catch { shapes = undefined; }
    outs.forEach((o, i) => this.shapes.set(o, shapes?.[i]));
    return outs;
  }
  one(op: string, inputs: string[], attrs: Record<string, AttrValue>, output: string): string {
    return this.node(op, inputs, attrs, [output])[0];
  }
  rank(x: string): number | undefined { return this.shapes.get(x)?.length; }
}

const norm = (s: unknown) => String(s ?? "linear").toLowerCase().replace(/_/g, "");

/** Activations that ride in Dense/Conv's `activation` attribute: IR name and extra attrs. */
function fusedActivation(name: string, kerasVersion: string): Record<string, AttrValue> | undefined {
  switch (norm(name)) {
    case "linear": return { activation: "linear" };
    case "relu": return { activation: "relu" };
    case "relu6": return { activation: "relu6" };
    case "sigmoid": return { activation: "sigmoid" };
    case "tanh": return { activation: "tanh" };
    case "elu": return { activation: "elu", alpha: 1 };
    case "softplus": return { activation: "softplus" };
    case "swish": case "silu": return { activation: "silu" };
    case "gelu": return { activation: "gelu" };
    case "gelunew": return { activation: "gelu_tanh" };
    case "hardsigmoid": return kerasVersion.startsWith("3") ? { activation: "hard_sigmoid", alpha: 1 / 6, beta: 0.5 } : { activation: "hard_sigmoid", alpha: 0.2, beta: 0.5 };
    default: return undefined;
  }
}

/** Emits an activation as its own nodes; returns the output (x itself for linear). */
function activation(m: Importer, name: unknown, x: string, out: string): string {
  const a = norm(name);
  const scalar = (v: number) => m.constant(`${out}/c`, [1], Float32Array.of(v));
  switch (a) {
    case "linear": return x;
    case "relu": return m.one("Relu", [x], {}, out);
    case "relu6": return m.one("Relu6", [x], {}, out);
    case "sigmoid": return m.one("Sigmoid", [x], {}, out);
    case "tanh": return m.one("Tanh", [x], {}, out);
    case "elu": return m.one("Elu", [x], { alpha: 1 }, out);
    case "selu": {
      const e = m.one("Elu", [x], { alpha: 1.6732632423543772 }, `${out}/elu`);
      return m.one("Mul", [e, scalar(1.0507009873554805)], {}, out);
    }
    case "softplus": return m.one("Softplus", [x], {}, out);
    case "softsign": {
      const ab = m.one("Abs", [x], {}, `${out}/abs`);
      const d = m.one("Add", [ab, scalar(1)], {}, `${out}/den`);
      return m.one("Div", [x, d], {}, out);
    }
    case "swish": case "silu": return m.one("Silu", [x], {}, out);
    case "gelu": return m.one("Gelu", [x], {}, out);
    case "gelunew": return m.one("Gelu", [x], { approximate: "tanh" }, out);
    case "hardsigmoid": return m.one("HardSigmoid", [x], m.kerasVersion.startsWith("3") ? { alpha: 1 / 6, beta: 0.5 } : { alpha: 0.2, beta: 0.5 }, out);
    case "hardsilu": case "hardswish": return m.one("HardSwish", [x], {}, out);
    case "exponential": return m.one("Exp", [x], {}, out);
    case "softmax": return m.one("Softmax", [x], { axis: -1 }, out);
    case "logsoftmax": return m.one("LogSoftmax", [x], { axis: -1 }, out);
    case "mish": {
      const sp = m.one("Softplus", [x], {}, `${out}/softplus`);
      const t = m.one("Tanh", [sp], {}, `${out}/tanh`);
      return m.one("Mul", [x, t], {}, out);
    }
    default: throw new EdgennError("UNSUPPORTED", `activation '${name}'`);
  }
}

/** Dense/Conv output with its activation: fused where the IR can, else a separate node after it. */
function withActivation(m: Importer, op: string, inputs: string[], attrs: Record<string, AttrValue>, act: unknown, out: string): string {
  const fused = fusedActivation(String(act ?? "linear"), m.kerasVersion);
  if (fused) return m.one(op, inputs, { ...attrs, ...fused }, out);
  if (!["selu", "softsign", "hardsilu", "hardswish", "exponential", "softmax", "logsoftmax", "mish"].includes(norm(act))) {
    throw new EdgennError("UNSUPPORTED", `activation '${act}'`);
  }
  const y = m.one(op, inputs, attrs, `${out}/linear`);
  return activation(m, act, y, out);
}

const unsupported = (why: string) => new EdgennError("UNSUPPORTED", why);
const tuple = (v: unknown, r: number, what: string): number[] => {
  const a = Array.isArray(v) ? v : [v];
  const out = a.length === 1 && r > 1 ? new Array(r).fill(a[0]) : a;
  if (out.length !== r || !out.every((x) => Number.isSafeInteger(x))) throw bad(`${what} ${JSON.stringify(v)} is not ${r} integers`);
  return out as number[];
};
function layoutOf(cfg: any): "NHWC" | "NCHW" {
  return cfg.data_format === "channels_first" ? "NCHW" : "NHWC";
}

/** HWIO (Keras: [...spatial, cin, cout]) to OIHW ([cout, cin, ...spatial]). */
function hwioToOihw(k: Constant): Constant {
  const r = k.shape.length - 2;
  const spatial = k.shape.slice(0, r), [cin, cout] = k.shape.slice(r);
  const s = spatial.reduce((a, b) => a * b, 1);
  const data = new Float32Array(k.data.length);
  for (let p = 0; p < s; p++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) data[(o * cin + i) * s + p] = k.data[(p * cin + i) * cout + o];
  return { shape: [cout, cin, ...spatial], data };
}
/** Depthwise [...spatial, C, m] to OIHW [C*m, 1, ...spatial] (output channel c*m + j, as Keras orders them). */
function depthwiseToOihw(k: Constant): Constant {
  const r = k.shape.length - 2;
  const spatial = k.shape.slice(0, r), [ch, mult] = k.shape.slice(r);
  const s = spatial.reduce((a, b) => a * b, 1);
  const data = new Float32Array(k.data.length);
  for (let p = 0; p < s; p++) for (let c = 0; c < ch; c++) for (let j = 0; j < mult; j++) data[(c * mult + j) * s + p] = k.data[(p * ch + c) * mult + j];
  return { shape: [ch * mult, 1, ...spatial], data };
}

interface Call { layer: LayerDef; inputs: string[]; out: (i: number) => string; base: string }
type Handler = (m: Importer, c: Call) => string[];

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
    const b = cfg.use_bias === false ? "" : (() => { const c = m.weight(layer.name, "bias")!; return m.constant(`${base}/bias`, c.shape, c.data); })();
    return [withActivation(m, "Conv", [x, wn, b], attrs, cfg.activation, out(0))];
  };
}

function depthwise(m: Importer, layer: LayerDef, cfg: any, x: string, r: number, base: string, withBias: boolean, out: string, act: unknown): string {
  const k = m.weight(layer.name, "depthwise_kernel")!;
  const w = depthwiseToOihw(k);
  const { attrs } = convAttrs(cfg, r, layoutOf(cfg), k.shape.slice(0, r));
  attrs.group = k.shape[r];
  const wn = m.constant(`${base}/depthwise_kernel`, w.shape, w.data);
  let b = "";
  if (withBias && cfg.use_bias !== false) { const c = m.weight(layer.name, "bias")!; b = m.constant(`${base}/bias`, c.shape, c.data); }
  return withActivation(m, "Conv", [x, wn, b], attrs, act, out);
}

function separable(r: number): Handler {
  return (m, { layer, inputs, out, base }) => {
    const cfg = layer.config;
    const dw = depthwise(m, layer, cfg, inputs[0], r, base, false, `${base}/depthwise`, "linear");
    const pk = m.weight(layer.name, "pointwise_kernel")!;
    const pw = hwioToOihw(pk);
    const wn = m.constant(`${base}/pointwise_kernel`, pw.shape, pw.data);
    let b = "";
    if (cfg.use_bias !== false) { const c = m.weight(layer.name, "bias")!; b = m.constant(`${base}/bias`, c.shape, c.data); }
    return [withActivation(m, "Conv", [dw, wn, b], { layout: layoutOf(cfg), auto_pad: "VALID" }, cfg.activation, out(0))];
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
    if (avg) acc = m.one("Mul", [acc, m.constant(`${base}/scale`, [1], Float32Array.of(1 / inputs.length))], {}, out(0));
    return [acc];
  };
}

function axisOf(m: Importer, x: string, axis: unknown, what: string): number {
  const a = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  if (!Number.isSafeInteger(a)) throw unsupported(`${what} ${JSON.stringify(axis)}`);
  return a as number;
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

type RnnKind = "LSTM" | "GRU" | "RNN";
function recurrent(kind: RnnKind): Handler {
  const G = { LSTM: 4, GRU: 3, RNN: 1 }[kind];
  const perm = { LSTM: [0, 3, 1, 2], GRU: [0, 1, 2], RNN: [0] }[kind]; // ONNX gate slot → Keras gate
  return (m, { layer, inputs, out, base }) => {
    const cfg = layer.config;
    const problems: string[] = [];
    if (inputs.length !== 1) problems.push("initial states passed as inputs");
    if (cfg.stateful) problems.push("stateful=true");
    if (cfg.time_major) problems.push("time_major=true");
    const act = norm(cfg.activation ?? "tanh");
    const ract = norm(cfg.recurrent_activation ?? "sigmoid");
    let activations: string[] | undefined;
    let hardSigmoid: { alpha: number; beta: number } | undefined;
    if (kind === "RNN") {
      if (act === "relu") activations = ["Relu"];
      else if (act !== "tanh") problems.push(`activation '${cfg.activation}' (tanh or relu)`);
    } else {
      if (act !== "tanh") problems.push(`activation '${cfg.activation}' (tanh only)`);
      // hard_sigmoid (the tfjs default): clip(0.2x + 0.5, 0, 1) in tfjs-layers and Keras 2, clip(x/6 + 0.5, 0, 1) in Keras 3.
      if (ract === "hardsigmoid") {
        hardSigmoid = m.kerasVersion.startsWith("3") ? { alpha: 1 / 6, beta: 0.5 } : { alpha: 0.2, beta: 0.5 };
        activations = kind === "LSTM" ? ["HardSigmoid", "Tanh", "Tanh"] : ["HardSigmoid", "Tanh"];
      } else if (ract !== "sigmoid") problems.push(`recurrent_activation '${cfg.recurrent_activation}' (sigmoid or hard_sigmoid)`);
    }
    if (problems.length) throw unsupported(problems.join(", "));
    const kernel = m.weight(layer.name, "kernel")!, rk = m.weight(layer.name, "recurrent_kernel")!;
    const H = rk.shape[0], I = kernel.shape[0];
    if (kernel.shape[1] !== G * H || rk.shape[1] !== G * H) throw bad(`layer '${layer.name}': kernel [${kernel.shape}] and recurrent_kernel [${rk.shape}] do not fit ${kind} with ${H} units`);
    const W = new Float32Array(G * H * I), R = new Float32Array(G * H * H), B = new Float32Array(2 * G * H);
    for (let s = 0; s < G; s++) {
      const src = perm[s] * H;
      for (let j = 0; j < H; j++) {
        for (let i = 0; i < I; i++) W[(s * H + j) * I + i] = kernel.data[i * G * H + src + j];
        for (let i = 0; i < H; i++) R[(s * H + j) * H + i] = rk.data[i * G * H + src + j];
      }
    }
    const resetAfter = kind === "GRU" && cfg.reset_after === true;
    if (cfg.use_bias !== false) {
      const b = m.weight(layer.name, "bias")!;
      const two = b.data.length === 2 * G * H;
      if (!(b.data.length === G * H || (two && resetAfter))) throw bad(`layer '${layer.name}': bias [${b.shape}] does not fit ${kind} with ${H} units`);
      for (let s = 0; s < G; s++) {
        for (let j = 0; j < H; j++) {
          B[s * H + j] = b.data[perm[s] * H + j];
          if (two) B[G * H + s * H + j] = b.data[G * H + perm[s] * H + j];
        }
      }
    }
    const attrs: Record<string, AttrValue> = { hidden_size: H, layout: 1, direction: cfg.go_backwards ? "reverse" : "forward" };
    if (activations) attrs.activations = activations;
    if (hardSigmoid) { attrs.activation_alpha = [hardSigmoid.alpha]; attrs.activation_beta = [hardSigmoid.beta]; }
    if (kind === "GRU") attrs.linear_before_reset = resetAfter ? 1 : 0;
    const ins = [inputs[0], m.constant(`${base}/W`, [1, G * H, I], W), m.constant(`${base}/R`, [1, G * H, H], R), m.constant(`${base}/B`, [1, 2 * G * H], B)];
    const nStates = kind === "LSTM" ? 2 : 1;
    const named = cfg.return_state ? 1 + nStates : cfg.return_sequences ? 1 : 2;
    const outs = m.node(kind, ins, attrs, ["Y", "Y_h", "Y_c"].slice(0, named).map((s) => `${base}/${s}`));
    let y: string;
    if (cfg.return_sequences) {
      const seq = cfg.go_backwards ? `${base}/Y_seq` : out(0);
      y = m.one("Reshape", [outs[0]], { shape: [0, 0, -1] }, seq);
      // Keras keeps go_backwards outputs in processing order (last time step first); ONNX reverse writes them in place.
      if (cfg.go_backwards) y = m.one("Slice", [y], { axes: [1], starts: [-1], ends: [-BIG], steps: [-1] }, out(0));
    } else y = m.one("Reshape", [outs[1]], { shape: [0, -1] }, out(0));
    if (!cfg.return_state) return [y];
    return [y, ...outs.slice(1, 1 + nStates).map((s, i) => m.one("Reshape", [s], { shape: [0, -1] }, out(1 + i)))];
  };
}

const identity: Handler = (_m, { inputs }) => [inputs[0]];

const HANDLERS: Record<string, Handler> = {
  Dense(m, { layer, inputs, out, base }) {
    const cfg = layer.config;
    const k = m.weight(layer.name, "kernel")!;
    const w = m.constant(`${base}/kernel`, k.shape, k.data);
    const b = cfg.use_bias === false ? "" : (() => { const c = m.weight(layer.name, "bias")!; return m.constant(`${base}/bias`, c.shape, c.data); })();
    return [withActivation(m, "Dense", [inputs[0], w, b], {}, cfg.activation, out(0))];
  },
  Conv1D: conv(1), Conv2D: conv(2),
  DepthwiseConv2D(m, { layer, inputs, out, base }) {
    return [depthwise(m, layer, layer.config, inputs[0], 2, base, true, out(0), layer.config.activation)];
  },
  SeparableConv1D: separable(1), SeparableConv2D: separable(2),
  MaxPooling1D: pool("MaxPool", 1), MaxPooling2D: pool("MaxPool", 2), AveragePooling1D: pool("AveragePool", 1), AveragePooling2D: pool("AveragePool", 2),
  GlobalAveragePooling1D: globalPool("GlobalAveragePool"), GlobalAveragePooling2D: globalPool("GlobalAveragePool"),
  GlobalMaxPooling1D: globalPool("GlobalMaxPool"), GlobalMaxPooling2D: globalPool("GlobalMaxPool"),
  BatchNormalization(m, { layer, inputs, out, base }) {
    const cfg = layer.config, x = inputs[0];
    const rank = m.rank(x);
    const axis = axisOf(m, x, cfg.axis ?? -1, "axis");
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
    return [max === null ? y : m.one("Min", [y, m.constant(`${base}/max`, [1], Float32Array.of(max))], {}, out(0))];
  },
  LeakyReLU(m, { layer, inputs, out }) {
    return [m.one("LeakyRelu", [inputs[0]], { alpha: layer.config.alpha ?? layer.config.negative_slope ?? 0.3 }, out(0))];
  },
  ELU(m, { layer, inputs, out }) { return [m.one("Elu", [inputs[0]], { alpha: layer.config.alpha ?? 1 }, out(0))]; },
  Softmax(m, { layer, inputs, out }) {
    return [m.one("Softmax", [inputs[0]], { axis: axisOf(m, inputs[0], layer.config.axis ?? -1, "axis") }, out(0))];
  },
  Rescaling(m, { layer, inputs, out, base }) {
    const { scale = 1, offset = 0 } = layer.config;
    if (typeof scale !== "number" || typeof offset !== "number") throw unsupported("per-channel scale/offset");
    const y = m.one("Mul", [inputs[0], m.constant(`${base}/scale`, [1], Float32Array.of(scale))], {}, offset === 0 ? out(0) : `${base}/scaled`);
    return [offset === 0 ? y : m.one("Add", [y, m.constant(`${base}/offset`, [1], Float32Array.of(offset))], {}, out(0))];
  },
  Dropout: identity, SpatialDropout1D: identity, SpatialDropout2D: identity, SpatialDropout3D: identity,
  GaussianNoise: identity, GaussianDropout: identity, AlphaDropout: identity, ActivityRegularization: identity,
  Flatten(m, { layer, inputs, out }) {
    if (layer.config.data_format === "channels_first" && (m.rank(inputs[0]) ?? 0) > 2) throw unsupported("data_format channels_first");
    return [m.one("Flatten", [inputs[0]], { axis: 1 }, out(0))];
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
  ZeroPadding1D: padding(1), ZeroPadding2D: padding(2), Cropping1D: cropping(1), Cropping2D: cropping(2),
  Add: merge("Add"), Subtract: merge("Sub"), Multiply: merge("Mul"), Average: merge("Average"), Maximum: merge("Max"), Minimum: merge("Min"),
  Concatenate(m, { layer, inputs, out }) {
    return [m.one("Concat", inputs, { axis: axisOf(m, inputs[0], layer.config.axis ?? -1, "axis") }, out(0))];
  },
  LSTM: recurrent("LSTM"), GRU: recurrent("GRU"), SimpleRNN: recurrent("RNN"),
};
// Keras' aliases.
Object.assign(HANDLERS, {
  MaxPool1D: HANDLERS.MaxPooling1D, MaxPool2D: HANDLERS.MaxPooling2D, AvgPool1D: HANDLERS.AveragePooling1D, AvgPool2D: HANDLERS.AveragePooling2D,
  GlobalAvgPool1D: HANDLERS.GlobalAveragePooling1D, GlobalAvgPool2D: HANDLERS.GlobalAveragePooling2D,
  GlobalMaxPool1D: HANDLERS.GlobalMaxPooling1D, GlobalMaxPool2D: HANDLERS.GlobalMaxPooling2D,
});

// ---------------------------------------------------------------------------------------------------------
// The model.

function inputShape(cfg: any): (number | null)[] | undefined {
  const s = cfg.batch_input_shape ?? cfg.batch_shape;
  if (Array.isArray(s)) return s;
  const i = cfg.input_shape;
  if (Array.isArray(i)) return [null, ...i];
  return undefined;
}

function valueInfo(name: string, shape: (number | null)[], dtype: unknown): ValueInfo {
  if (dtype !== undefined && dtype !== null && dtype !== "float32") throw unsupported(`input '${name}' has dtype ${JSON.stringify(dtype)} (float32 only)`);
  const dims: Dim[] = shape.map((d, i) => (d === null || d === undefined || d < 0 ? (i === 0 ? "batch" : `${name}_dim${i}`) : d));
  return { name, dtype: "float32", shape: dims };
}

/** Nominal sizes for the importer's own shape tracking (ranks, channel counts). */
const nominal = (shape: Dim[]) => shape.map((d, i) => (typeof d === "number" ? d : i === 0 ? 1 : 32));

function layerList(cls: string, config: any): { layers: LayerDef[]; inputs: InboundRef[]; outputs: InboundRef[] } {
  const raw = Array.isArray(config) ? config : config.layers;
  if (!Array.isArray(raw) || raw.length === 0) throw bad("the model config has no layers");
  // Array.from, not map: a sparse array's holes must fail the check below, not be skipped.
  const layers: LayerDef[] = Array.from(raw, (l: any, i: number) => {
    if (!l || typeof l.class_name !== "string" || !l.config) throw bad(`layer ${i} has no class_name and config`);
    return { name: String(l.config.name ?? l.name ?? `layer_${i}`), className: l.class_name, config: l.config, inbound: parseInbound(l.inbound_nodes) };
  });
  if (cls === "Sequential") {
    // A chain: an explicit InputLayer first, or the first layer's batch_input_shape (tfjs names it '<layer>_input').
    const chain: LayerDef[] = [];
    let prev: string;
    if (layers[0].className === "InputLayer") { chain.push(layers[0]); prev = layers[0].name; layers.shift(); }
    else {
      const shape = inputShape(layers[0].config);
      if (!shape) throw bad(`the first layer '${layers[0].name}' has no batch_input_shape`);
      prev = `${layers[0].name}_input`;
      chain.push({ name: prev, className: "InputLayer", config: { batch_input_shape: shape, dtype: layers[0].config.dtype }, inbound: [] });
    }
    for (const l of layers) { chain.push({ ...l, inbound: [[{ layer: prev, node: 0, tensor: 0 }]] }); prev = l.name; }
    return { layers: chain, inputs: [{ layer: chain[0].name, node: 0, tensor: 0 }], outputs: [{ layer: prev, node: 0, tensor: 0 }] };
  }
  if (cls !== "Model" && cls !== "Functional") throw unsupported(`model class '${cls}' (Sequential, Model or Functional)`);
  const inputs = refsOf(config.input_layers ?? []), outputs = refsOf(config.output_layers ?? []);
  if (!inputs.length || !outputs.length) throw bad("the functional model has no input_layers or output_layers");
  return { layers, inputs, outputs };
}

/** Imports a tfjs layers model: model.json's object and its weights (all shards concatenated, or by path). */
export function importTfjsLayers(modelJson: object, weights: TfjsWeights): TfjsImport {
  if (!modelJson || typeof modelJson !== "object") throw bad("expected the parsed model.json object");
  const mj = modelJson as any;
  const { cls, config, kerasVersion } = topologyOf(mj);
  const manifest = manifestOf(mj);
  const m = new Importer(decodeWeights(manifest, weights), kerasVersion);
  const { layers, inputs: inputRefs, outputs: outputRefs } = layerList(cls, config);
  const byName = new Map(layers.map((l) => [l.name, l]));
  const tensors = new Map<string, string>(); // "layer:node:tensor" → IR value
  const key = (r: InboundRef) => `${r.layer}:${r.node}:${r.tensor}`;
  const failed = new Set<string>();
  const problems: string[] = [];
  const graphInputs: ValueInfo[] = [];

  // Input layers.
  for (const l of layers) {
    if (l.className !== "InputLayer") continue;
    const shape = inputShape(l.config);
    if (!shape) { problems.push(`InputLayer '${l.name}' (no batch_input_shape)`); failed.add(`${l.name}:0`); continue; }
    try {
      const info = valueInfo(m.unique(l.name), shape, l.config.dtype);
      graphInputs.push(info);
      m.shapes.set(info.name, nominal(info.shape));
      tensors.set(`${l.name}:0:0`, info.name);
    } catch (e) {
      if (!(e instanceof EdgennError) || e.code !== "UNSUPPORTED") throw e;
      problems.push(`InputLayer '${l.name}' (${e.message})`);
      failed.add(`${l.name}:0`);
    }
  }

  // Layer calls, in dependency order (a shared layer's later calls may wait for other layers).
  const pending: { layer: LayerDef; node: number; refs: InboundRef[] }[] = [];
  for (const l of layers) if (l.className !== "InputLayer") l.inbound.forEach((refs, node) => pending.push({ layer: l, node, refs }));
  const unknown = new Set<string>();
  while (pending.length) {
    const i = pending.findIndex((p) => p.refs.every((r) => tensors.has(key(r)) || (failed.has(`${r.layer}:${r.node}`) && !pending.some((q) => q.layer.name === r.layer && q.node === r.node))));
    if (i < 0) {
      const p = pending[0];
      const missing = p.refs.find((r) => !byName.has(r.layer));
      throw bad(missing ? `layer '${p.layer.name}' reads layer '${missing.layer}', which does not exist` : `layer '${p.layer.name}' is part of a cycle or reads a missing output`);
    }
    const { layer, node, refs } = pending.splice(i, 1)[0];
    const id = `${layer.name}:${node}`;
    // Downstream of a failed layer the import goes on (to list every unsupported layer) on placeholder inputs
    // of unknown shape; errors that may stem from those placeholders are not reported.
    const tainted = refs.some((r) => failed.has(`${r.layer}:${r.node}`));
    const inputs = refs.map((r) => tensors.get(key(r)) ?? `${r.layer}:${r.node}:${r.tensor}:failed`);
    const handler = Object.hasOwn(HANDLERS, layer.className) ? HANDLERS[layer.className] : undefined; // not Object.prototype's
    if (!handler) {
      failed.add(id);
      if (!unknown.has(layer.name)) problems.push(`${layer.className} '${layer.name}' (layer class not supported)`);
      unknown.add(layer.name);
      continue;
    }
    const base = node === 0 ? layer.name : `${layer.name}_${node}`;
    try {
      const outs = handler(m, { layer, inputs, base, out: (t) => (t === 0 ? base : `${base}:${t}`) });
      outs.forEach((o, t) => tensors.set(`${layer.name}:${node}:${t}`, o));
      if (tainted) failed.add(id);
    } catch (e) {
      failed.add(id);
      if (tainted && !(e instanceof EdgennError && e.code === "UNSUPPORTED" && !/unknown/.test(e.message))) continue;
      if (!(e instanceof EdgennError) || e.code !== "UNSUPPORTED") throw e;
      problems.push(`${layer.className} '${layer.name}' (${e.message})`);
    }
  }
  if (problems.length) {
    throw new EdgennError("UNSUPPORTED", `TF.js model: ${problems.length} unsupported layer(s): ${problems.join("; ")} (supported: ${TFJS_LAYERS.join(", ")})`);
  }

  // Outputs named by their layer; an output that is an input or an alias gets an Identity node of its own.
  const graphOutputs: string[] = [];
  const inputNames = new Set(graphInputs.map((i) => i.name));
  for (const r of outputRefs) {
    let v = tensors.get(key(r));
    if (v === undefined) throw bad(`output layer '${r.layer}' (node ${r.node}, tensor ${r.tensor}) is not produced`);
    if (inputNames.has(v) || graphOutputs.includes(v) || m.constants.has(v)) v = m.one("Identity", [v], {}, `${r.layer}_output`);
    graphOutputs.push(v);
  }
  const metadata: Record<string, unknown> = { format: "tfjs-layers" };
  if (config.name) metadata.name = config.name;
  if (mj.generatedBy) metadata.producer = mj.generatedBy;
  if (mj.convertedBy) metadata.convertedBy = mj.convertedBy;
  if (kerasVersion) metadata.kerasVersion = kerasVersion;
  return { graph: { inputs: graphInputs, outputs: graphOutputs, nodes: m.nodes, constants: m.constants }, metadata };
}

/** Shard path resolved against the model.json's location (a file path or a URL). */
function sibling(source: URL | string, path: string): URL | string {
  if (source instanceof URL) return new URL(path, source);
  if (/^[a-z][a-z0-9+.-]*:/i.test(source) && !/^[a-z]:[\\/]/i.test(source)) return new URL(path, source);
  const dir = source.replace(/[^/\\]*$/, "");
  return dir + path;
}

/**
 * What load() calls for a model.json: parses it, reads its shards beside it (or takes them from `weights`),
 * and imports it.
 */
export async function importTfjsSource(bytes: Uint8Array, source: Uint8Array | ArrayBuffer | URL | string): Promise<TfjsImport> {
  let json: any;
  try { json = JSON.parse(new TextDecoder().decode(bytes)); } catch (e) { throw bad(`model.json is not valid JSON (${(e as Error).message})`); }
  if (!json || typeof json !== "object" || !json.modelTopology) throw bad("this JSON has no modelTopology (only TF.js layers models are supported, not graph models)");
  const manifest = manifestOf(json);
  const paths = manifest.flatMap((g) => g.paths);
  if (paths.length && (source instanceof Uint8Array || source instanceof ArrayBuffer)) {
    throw new EdgennError("BAD_INPUT", "a TF.js model.json given as bytes: its weight shards cannot be located; pass the model.json's path or URL, or use importTfjsLayers(modelJson, weights)");
  }
  const shards = new Map<string, Uint8Array>();
  for (const p of paths) shards.set(p, await readSource(sibling(source as URL | string, p)));
  return importTfjsLayers(json, shards);
}
