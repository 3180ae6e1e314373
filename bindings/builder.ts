/**
 * Define models in code, set their weights from arrays, run them or save them as .enn:
 *
 *   const model = sequential([dense(64, "relu"), dense(32, "relu"), dense(1, "sigmoid")], { inputShape: [30] });
 *   model.setWeights("dense_1", { kernel, bias });   // kernel [in, out] as a flat Float32Array
 *   const bytes = model.save({ name: "wdbc-mlp" });   // a .enn file
 */
import { EdgennError } from "./errors.js";
import { graphToEnn, type SaveOptions } from "./save.js";
import { type AttrValue, type Constant, type Dim, type Graph, type Node } from "./ir/graph.js";
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
  node(op: string, inputs: string[], attrs: Record<string, AttrValue>): string;
  /** A weight of the layer, initialised with Glorot-uniform (fans given) or zeros. */
  weight(suffix: string, shape: number[], fans?: [number, number]): string;
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

export interface SequentialOptions { inputShape: number[]; inputName?: string; outputName?: string; seed?: number }

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
    const graph: Graph = { inputs: [{ name: inputName, dtype: "float32", shape: ["batch", ...opts.inputShape] as Dim[] }], outputs: [], nodes: [], constants: new Map() };
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
        node: (op, inputs, attrs) => {
          const nodeName = sub++ ? `${name}_${sub - 1}` : name;
          graph.nodes.push({ op, name: nodeName, inputs, outputs: [nodeName], attrs } as Node);
          return nodeName;
        },
        weight: (suffix, wshape, fans) => {
          const wname = `${name}/${suffix}`;
          const count = wshape.reduce((a, b) => a * b, 1);
          const limit = fans ? Math.sqrt(6 / (fans[0] + fans[1])) : 0;
          graph.constants.set(wname, { shape: wshape, data: Float32Array.from({ length: count }, () => (this.rand() * 2 - 1) * limit) });
          weights.push(wname);
          return wname;
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

  /** Sets a layer's weights from arrays (row-major, the shapes `weightNames` lists). */
  setWeights(layer: string, values: { kernel: ArrayLike<number>; bias?: ArrayLike<number> }): this {
    const names = this.weightNames.get(layer);
    if (!names) throw new EdgennError("BAD_GRAPH", `setWeights: no layer '${layer}' with weights (layers: ${[...this.weightNames.keys()].join(", ")})`);
    const put = (name: string | undefined, v: ArrayLike<number> | undefined) => {
      if (!name || !v) return;
      const c = this.graph.constants.get(name) as Constant;
      if (v.length !== c.data.length) throw new EdgennError("BAD_INPUT", `setWeights: '${name}' needs ${c.data.length} values for shape [${c.shape}], got ${v.length}`);
      c.data = Float32Array.from(v);
    };
    put(names[0], values.kernel);
    put(names[1], values.bias);
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
