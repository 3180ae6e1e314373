/**
 * Define models in code, set their weights from arrays, run them or save them as .enn:
 *
 *   const model = sequential([dense(64, "relu"), dense(32, "relu"), dense(1, "sigmoid")], { inputShape: [30] });
 *   model.setWeights("dense_1", { kernel, bias });   // kernel [in, out] as a flat Float32Array
 *   const bytes = model.save({ name: "wdbc-mlp" });   // a .enn file
 *
 * A text encoder over int64 token ids:
 *   const enc = sequential([embedding(30522, 128), positionEmbedding(), transformerEncoderLayer({ numHeads: 4, ffDim: 512 }),
 *     transformerEncoderLayer({ numHeads: 4, ffDim: 512 }), globalAveragePool1d(), dense(2, "softmax")],
 *     { inputShape: [128], inputDtype: "int64" });
 */
import { EdgennError } from "./errors.js";
import { graphToEnn, type SaveOptions } from "./save.js";
import { type AttrValue, type Constant, type Dim, type DType, type Graph, type Node } from "./ir/graph.js";
import { InferenceSession, type SessionOptions } from "./session.js";

/** A layer knows its output shape from its input shape and which weights it needs. */
export interface Layer {
  name?: string;
  readonly kind: string;
  /** Builds its IR node(s); `x` is the input value name and `shape` its shape without the batch dim. */
  build(ctx: BuildContext, x: string, shape: number[]): { value: string; shape: number[] };
}
interface BuildContext {
  name: string;
  /** One node; its first output's name (`outputs` > 1: the rest are named `<first>/1`, `<first>/2`, ...). */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue>, outputs?: number): string;
  /** A weight of the layer, initialised with Glorot-uniform (fans given), zeros, or ones. */
  weight(suffix: string, shape: number[], init?: [number, number] | "ones"): string;
  /** A further graph input (e.g. an attention mask), declared once whichever layer asks first. */
  input(name: string, dtype: DType, shape: Dim[]): string;
}

/** Dense(units, activation): kernel [in, units], bias [units]. */
export function dense(units: number, activation = "linear", opts: { name?: string; useBias?: boolean } = {}): Layer {
  return {
    name: opts.name, kind: "dense",
    build(ctx, x, shape) {
      const k = shape[shape.length - 1];
      const w = ctx.weight("kernel", [k, units], [k, units]);
      const inputs = [x, w];
      if (opts.useBias !== false) inputs.push(ctx.weight("bias", [units]));
      return { value: ctx.node("Dense", inputs, { activation }), shape: [...shape.slice(0, -1), units] };
    },
  };
}

/** Conv2D on NHWC images: kernel [filters, inChannels/groups, kh, kw] (IR order), bias [filters]. */
export function conv2d(filters: number, kernelSize: number | [number, number], opts: {
  strides?: number | [number, number]; padding?: "same" | "valid"; activation?: string; dilation?: number; groups?: number; name?: string;
} = {}): Layer {
  const [kh, kw] = typeof kernelSize === "number" ? [kernelSize, kernelSize] : kernelSize;
  const strides = typeof opts.strides === "number" || opts.strides === undefined ? [opts.strides ?? 1, opts.strides ?? 1] : opts.strides;
  const groups = opts.groups ?? 1;
  return {
    name: opts.name, kind: "conv2d",
    build(ctx, x, shape) {
      const [h, w, c] = shape;
      const d = opts.dilation ?? 1;
      const kernel = ctx.weight("kernel", [filters, c / groups, kh, kw], [(c / groups) * kh * kw, filters * kh * kw]);
      const bias = ctx.weight("bias", [filters]);
      const same = opts.padding === "same";
      const out = (n: number, k: number, s: number) => (same ? Math.ceil(n / s) : Math.floor((n - d * (k - 1) - 1) / s) + 1);
      const value = ctx.node("Conv", [x, kernel, bias], {
        layout: "NHWC", strides, dilations: [d, d], group: groups, auto_pad: same ? "SAME_UPPER" : "VALID",
        activation: opts.activation ?? "linear",
      });
      return { value, shape: [out(h, kh, strides[0]), out(w, kw, strides[1]), filters] };
    },
  };
}

/** An activation as its own layer (relu, sigmoid, softmax, ...). */
export function activation(name: string): Layer {
  const ops: Record<string, string> = { relu: "Relu", sigmoid: "Sigmoid", tanh: "Tanh", softmax: "Softmax", gelu: "Gelu", silu: "Silu", relu6: "Relu6" };
  return {
    kind: "activation",
    build(ctx, x, shape) {
      if (!ops[name]) throw new EdgennError("UNSUPPORTED", `activation layer '${name}' is not supported (${Object.keys(ops).join(", ")})`);
      return { value: ctx.node(ops[name], [x], name === "softmax" ? { axis: -1 } : {}), shape };
    },
  };
}

export function flatten(): Layer {
  return { kind: "flatten", build: (ctx, x, shape) => ({ value: ctx.node("Flatten", [x], { axis: 1 }), shape: [shape.reduce((a, b) => a * b, 1)] }) };
}

export function maxPool2d(size: number, strides = size): Layer {
  return {
    kind: "max_pool2d",
    build(ctx, x, [h, w, c]) {
      const o = (n: number) => Math.floor((n - size) / strides) + 1;
      return { value: ctx.node("MaxPool", [x], { layout: "NHWC", kernel_shape: [size, size], strides: [strides, strides] }), shape: [o(h), o(w), c] };
    },
  };
}

export function globalAveragePool2d(): Layer {
  return {
    kind: "global_average_pool2d",
    build(ctx, x, [, , c]) {
      const pooled = ctx.node("GlobalAveragePool", [x], { layout: "NHWC" });
      return { value: ctx.node("Flatten", [pooled], { axis: 1 }), shape: [c] };
    },
  };
}

/** Embedding(vocab, dim): int ids [..] -> rows of embeddings [vocab, dim], [.., dim] (Gather on axis 0). */
export function embedding(vocab: number, dim: number, opts: { name?: string } = {}): Layer {
  return {
    name: opts.name, kind: "embedding",
    build(ctx, x, shape) {
      const table = ctx.weight("embeddings", [vocab, dim], [vocab, dim]);
      return { value: ctx.node("Gather", [table, x], { axis: 0 }), shape: [...shape, dim] };
    },
  };
}

/** Learned positions added to [seq, dim] inputs: positions [seq, dim]. */
export function positionEmbedding(opts: { name?: string } = {}): Layer {
  return {
    name: opts.name, kind: "position_embedding",
    build(ctx, x, shape) {
      const pos = ctx.weight("positions", shape, shape.length === 2 ? [shape[0], shape[1]] : undefined);
      return { value: ctx.node("Add", [x, pos], {}), shape };
    },
  };
}

/** LayerNormalization over the last axis: gamma (ones) and beta (zeros) [dim]. */
export function layerNorm(opts: { epsilon?: number; name?: string } = {}): Layer {
  return {
    name: opts.name, kind: "layer_norm",
    build(ctx, x, shape) {
      const d = shape[shape.length - 1];
      const gamma = ctx.weight("gamma", [d], "ones"), beta = ctx.weight("beta", [d]);
      return { value: ctx.node("LayerNormalization", [x, gamma, beta], { axis: -1, epsilon: opts.epsilon ?? 1e-5 }), shape };
    },
  };
}

export interface AttentionOptions {
  /** Size of each head (default dim / numHeads). */
  keyDim?: number;
  /** Query i attends to keys 0..i only. */
  causal?: boolean;
  /**
   * Name of a graph input [batch, seq] of int32/int64 (or 0/1 float32 with maskDtype) that is nonzero for the
   * tokens to attend to (a tokenizer's attention_mask). Layers naming the same input share it.
   */
  mask?: string;
  maskDtype?: DType;
  name?: string;
}

/**
 * Multi-head self-attention on [seq, dim] (PyTorch's nn.MultiheadAttention, Keras' MultiHeadAttention with
 * query = key = value): in_kernel [dim, 3*heads*keyDim] and in_bias (Q, K, V side by side, PyTorch's in_proj
 * transposed), the fused Attention, out_kernel [heads*keyDim, dim] and out_bias.
 */
export function multiHeadAttention(numHeads: number, opts: AttentionOptions = {}): Layer {
  return {
    name: opts.name, kind: "multi_head_attention",
    build(ctx, x, shape) {
      const d = shape[shape.length - 1], kd = opts.keyDim ?? d / numHeads;
      if (!Number.isInteger(kd) || kd < 1) throw new EdgennError("BAD_GRAPH", `multiHeadAttention: dim ${d} does not split into ${numHeads} heads (give keyDim)`);
      const inner = numHeads * kd;
      const qkv = ctx.node("Dense", [x, ctx.weight("in_kernel", [d, 3 * inner], [d, inner]), ctx.weight("in_bias", [3 * inner])], {});
      const inputs = [qkv, "", ""];
      if (opts.mask) {
        // [batch, seq] -> [batch, 1, seq]: the same keys for every query and head.
        const m = ctx.input(opts.mask, opts.maskDtype ?? "int64", ["batch", shape[0]]);
        inputs.push(ctx.node("Reshape", [m], { shape: [0, 1, -1] }));
      }
      const att = ctx.node("Attention", inputs, { layout: "bsd", num_heads: numHeads, causal: opts.causal ? 1 : 0, mask_kind: "keep" });
      const out = ctx.node("Dense", [att, ctx.weight("out_kernel", [inner, d], [inner, d]), ctx.weight("out_bias", [d])], {});
      return { value: out, shape };
    },
  };
}

/**
 * PyTorch's nn.TransformerEncoderLayer on [seq, dim]: x = LN1(x + MHA(x)), x = LN2(x + FF(x)) with
 * FF = Dense(ffDim, activation) -> Dense(dim); `normFirst`: x = x + MHA(LN1(x)), x = x + FF(LN2(x)).
 * Weights: the attention's (see multiHeadAttention), ff1_kernel [dim, ffDim], ff1_bias, ff2_kernel [ffDim, dim],
 * ff2_bias, ln1_gamma/ln1_beta, ln2_gamma/ln2_beta.
 */
export function transformerEncoderLayer(opts: AttentionOptions & { numHeads: number; ffDim: number; activation?: string; epsilon?: number; normFirst?: boolean }): Layer {
  return {
    name: opts.name, kind: "transformer_encoder_layer",
    build(ctx, x, shape) {
      const d = shape[shape.length - 1], eps = opts.epsilon ?? 1e-5;
      // The sub-layers' nodes and weights live under this layer's name, with prefixes.
      const sub = (prefix: string): BuildContext => ({
        ...ctx,
        weight: (suffix, wshape, init) => ctx.weight(`${prefix}${suffix}`, wshape, init),
      });
      const norm = (v: string, i: number) => layerNorm({ epsilon: eps }).build(sub(`ln${i}_`), v, shape).value;
      const attend = (v: string) => multiHeadAttention(opts.numHeads, opts).build(ctx, v, shape).value;
      const ff = (v: string) => {
        const h = ctx.node("Dense", [v, ctx.weight("ff1_kernel", [d, opts.ffDim], [d, opts.ffDim]), ctx.weight("ff1_bias", [opts.ffDim])], { activation: opts.activation ?? "relu" });
        return ctx.node("Dense", [h, ctx.weight("ff2_kernel", [opts.ffDim, d], [opts.ffDim, d]), ctx.weight("ff2_bias", [d])], {});
      };
      let y: string;
      if (opts.normFirst) {
        y = ctx.node("Add", [x, attend(norm(x, 1))], {});
        y = ctx.node("Add", [y, ff(norm(y, 2))], {});
      } else {
        y = norm(ctx.node("Add", [x, attend(x)], {}), 1);
        y = norm(ctx.node("Add", [y, ff(y)], {}), 2);
      }
      return { value: y, shape };
    },
  };
}

/** Mean over the sequence: [seq, dim] -> [dim] (ReduceMean over axis 1). */
export function globalAveragePool1d(): Layer {
  return { kind: "global_average_pool1d", build: (ctx, x, shape) => ({ value: ctx.node("ReduceMean", [x], { axes: [1], keepdims: 0 }), shape: shape.slice(1) }) };
}

/**
 * Conv1d over [length, channels] (channels last, like Keras): kernel [filters, channels/groups, k], bias [filters].
 */
export function conv1d(filters: number, kernelSize: number, opts: { strides?: number; padding?: "same" | "valid"; activation?: string; dilation?: number; groups?: number; name?: string } = {}): Layer {
  const groups = opts.groups ?? 1, s = opts.strides ?? 1, d = opts.dilation ?? 1;
  return {
    name: opts.name, kind: "conv1d",
    build(ctx, x, shape) {
      const [len, c] = shape;
      const kernel = ctx.weight("kernel", [filters, c / groups, kernelSize], [(c / groups) * kernelSize, filters * kernelSize]);
      const bias = ctx.weight("bias", [filters]);
      const same = opts.padding === "same";
      const value = ctx.node("Conv", [x, kernel, bias], {
        layout: "NHWC", strides: [s], dilations: [d], group: groups, auto_pad: same ? "SAME_UPPER" : "VALID", activation: opts.activation ?? "linear",
      });
      return { value, shape: [same ? Math.ceil(len / s) : Math.floor((len - d * (kernelSize - 1) - 1) / s) + 1, filters] };
    },
  };
}

/** A recurrent layer's options: the whole sequence ([steps, units]) or only the last state ([units]). */
export interface RecurrentOptions { returnSequences?: boolean; name?: string }
type RecurrentKind = "LSTM" | "GRU";
const GATES: Record<RecurrentKind, number> = { LSTM: 4, GRU: 3 };

/**
 * LSTM/GRU over [steps, features] with ONNX semantics (the IR's recurrent op): W [dirs, gates·units, features],
 * R [dirs, gates·units, units], B [dirs, 2·gates·units]; LSTM gates i, o, f, c; GRU z, r, h (linear_before_reset
 * as `resetAfter`, Keras' default). Directions: 1, or 2 for bidirectional (outputs concatenated, forward first).
 */
function recurrent(kind: RecurrentKind, units: number, opts: RecurrentOptions & { resetAfter?: boolean }, dirs = 1): Layer {
  const g = GATES[kind];
  return {
    name: opts.name, kind: dirs === 2 ? `bidirectional_${kind.toLowerCase()}` : kind.toLowerCase(),
    build(ctx, x, shape) {
      const [steps, features] = shape;
      const w = ctx.weight("W", [dirs, g * units, features], [features, units]);
      const r = ctx.weight("R", [dirs, g * units, units], [units, units]);
      const b = ctx.weight("B", [dirs, 2 * g * units]);
      const attrs: Record<string, AttrValue> = { hidden_size: units, layout: 1, direction: dirs === 2 ? "bidirectional" : "forward" };
      if (kind === "GRU") attrs.linear_before_reset = opts.resetAfter === false ? 0 : 1;
      // Outputs Y [batch, steps, dirs, units] and Y_h [batch, dirs, units] (LSTM also Y_c): all named, as the op needs.
      const y = ctx.node(kind, [x, w, r, b], attrs, kind === "LSTM" ? 3 : 2);
      if (opts.returnSequences) return { value: ctx.node("Reshape", [y], { shape: [-1, steps, dirs * units] }), shape: [steps, dirs * units] };
      return { value: ctx.node("Reshape", [`${y}/1`], { shape: [-1, dirs * units] }), shape: [dirs * units] };
    },
  };
}
const withSpec = (kind: RecurrentKind, units: number, opts: RecurrentOptions & { resetAfter?: boolean }): Layer =>
  Object.assign(recurrent(kind, units, opts), { spec: { kind, units, opts } });
export const lstm = (units: number, opts: RecurrentOptions = {}): Layer => withSpec("LSTM", units, opts);
export const gru = (units: number, opts: RecurrentOptions & { resetAfter?: boolean } = {}): Layer => withSpec("GRU", units, opts);
/** Both directions of an lstm(...) or gru(...) layer, concatenated (Keras' merge_mode "concat"). */
export function bidirectional(layer: Layer, opts: { name?: string } = {}): Layer {
  const spec = (layer as Layer & { spec?: { kind: RecurrentKind; units: number; opts: RecurrentOptions & { resetAfter?: boolean } } }).spec;
  if (!spec) throw new EdgennError("BAD_GRAPH", "bidirectional() takes an lstm(...) or gru(...) layer");
  return recurrent(spec.kind, spec.units, { ...spec.opts, name: opts.name ?? spec.opts.name }, 2);
}

export interface SequentialOptions {
  inputShape: number[];
  /** "int64" or "int32" for token ids (the first layer is then an embedding); default "float32". */
  inputDtype?: DType;
  inputName?: string;
  outputName?: string;
  seed?: number;
}

export class Sequential {
  readonly graph: Graph;
  /** Layer name -> its weight names, in order (kernel, bias). */
  readonly weightNames = new Map<string, string[]>();
  private rand: () => number;

  constructor(layers: Layer[], opts: SequentialOptions) {
    if (layers.length === 0) throw new EdgennError("BAD_GRAPH", "sequential: no layers");
    if (!opts?.inputShape?.every((d) => Number.isSafeInteger(d) && d > 0)) throw new EdgennError("BAD_GRAPH", "sequential: inputShape must list positive sizes (without the batch dim)");
    this.rand = mulberry32(opts.seed ?? 1);
    const inputName = opts.inputName ?? "input";
    const graph: Graph = { inputs: [{ name: inputName, dtype: opts.inputDtype ?? "float32", shape: ["batch", ...opts.inputShape] as Dim[] }], outputs: [], nodes: [], constants: new Map() };
    const counts = new Map<string, number>();
    let value = inputName, shape = [...opts.inputShape];
    layers.forEach((layer, i) => {
      const n = (counts.get(layer.kind) ?? 0) + 1;
      counts.set(layer.kind, n);
      const name = layer.name ?? `${layer.kind}_${n}`;
      const weights: string[] = [];
      let sub = 0;
      const ctx: BuildContext = {
        name,
        node: (op, inputs, attrs, outputs = 1) => {
          const nodeName = sub++ ? `${name}_${sub - 1}` : name;
          const names = Array.from({ length: outputs }, (_, i) => (i ? `${nodeName}/${i}` : nodeName));
          graph.nodes.push({ op, name: nodeName, inputs, outputs: names, attrs } as Node);
          return nodeName;
        },
        weight: (suffix, wshape, init) => {
          const wname = `${name}/${suffix}`;
          const count = wshape.reduce((a, b) => a * b, 1);
          const limit = Array.isArray(init) ? Math.sqrt(6 / (init[0] + init[1])) : 0;
          const data = init === "ones" ? new Float32Array(count).fill(1) : Float32Array.from({ length: count }, () => (this.rand() * 2 - 1) * limit);
          graph.constants.set(wname, { shape: wshape, data });
          weights.push(wname);
          return wname;
        },
        input: (iname, dtype, ishape) => {
          if (!graph.inputs.some((x) => x.name === iname)) graph.inputs.push({ name: iname, dtype, shape: ishape });
          return iname;
        },
      };
      ({ value, shape } = layer.build(ctx, value, shape));
      if (weights.length) this.weightNames.set(name, weights);
    });
    // The last node's value takes the model's output name.
    const outputName = opts.outputName ?? "output";
    graph.nodes[graph.nodes.length - 1].outputs[0] = outputName;
    graph.outputs.push(outputName);
    this.graph = graph;
  }

  /**
   * Sets a layer's weights from arrays (row-major, the shapes `weightNames` lists), by weight name without the
   * layer prefix: { kernel, bias } for dense/conv2d, { embeddings }, { gamma, beta }, { in_kernel, ... }.
   */
  setWeights(layer: string, values: Record<string, ArrayLike<number> | undefined>): this {
    const names = this.weightNames.get(layer);
    if (!names) throw new EdgennError("BAD_GRAPH", `setWeights: no layer '${layer}' with weights (layers: ${[...this.weightNames.keys()].join(", ")})`);
    for (const [key, v] of Object.entries(values)) {
      if (!v) continue;
      const name = `${layer}/${key}`;
      const c = names.includes(name) ? (this.graph.constants.get(name) as Constant) : undefined;
      if (!c) throw new EdgennError("BAD_GRAPH", `setWeights: layer '${layer}' has no weight '${key}' (it has ${names.map((n) => n.slice(layer.length + 1)).join(", ")})`);
      if (v.length !== c.data.length) throw new EdgennError("BAD_INPUT", `setWeights: '${name}' needs ${c.data.length} values for shape [${c.shape}], got ${v.length}`);
      c.data = Float32Array.from(v);
    }
    return this;
  }

  /** Serialises the model as a .enn weight file. */
  save(metadata: Record<string, unknown> = {}, options: SaveOptions = {}): Uint8Array {
    return graphToEnn(this.graph, metadata, options);
  }

  /** A session running this model directly (no file round trip). */
  session(options: SessionOptions = {}): Promise<InferenceSession> {
    return InferenceSession.fromGraph(this.graph, options);
  }
}

export function sequential(layers: Layer[], opts: SequentialOptions): Sequential {
  return new Sequential(layers, opts);
}

/** Seeded PRNG for initial weights, so a built model is reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
