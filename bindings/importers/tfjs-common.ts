/**
 * What every part of the TF.js layers importer shares: the graph builder (nodes, constants, shape tracking,
 * weights by layer), the layer/call types and small config readers.
 */
import { EdgennError } from "../errors.js";
import type { AttrValue, Constant, Node } from "../ir/graph.js";
import { OPS } from "../ops/registry.js";
import { bad } from "./tfjs-weights.js";

export { bad };
export const unsupported = (why: string) => new EdgennError("UNSUPPORTED", why);
export const BIG = 2 ** 31 - 1;

export interface InboundRef { layer: string; node: number; tensor: number }
/** One call of a layer: its positional tensor inputs and the tensors passed by keyword (Keras' `value=`...). */
export interface Inbound { refs: InboundRef[]; named: [string, InboundRef[]][]; options: Record<string, unknown> }
export interface LayerDef { name: string; className: string; config: any; inbound: Inbound[] }
export interface Call {
  layer: LayerDef; inputs: string[]; out: (i: number) => string; base: string;
  /** Keyword tensor inputs by name (only handlers in NAMED_INPUTS get any), and the other call keywords. */
  named: Record<string, string[]>; options: Record<string, unknown>;
}
export type Handler = (m: Importer, c: Call) => string[];

type Shape = number[] | undefined;

/**
 * Builds the IR graph. Shapes are tracked at two nominal sizes of the symbolic dims (batch 1 and 3, other
 * symbols 32 and 37): a dim that comes out the same in both is fixed by the model, which the layers that
 * need static sizes (TimeDistributed, UpSampling2D, Dot's reshapes) ask through staticShape.
 */
export class Importer {
  nodes: Node[] = [];
  constants = new Map<string, Constant>();
  shapes = new Map<string, Shape>();
  private shapes2 = new Map<string, Shape>();
  /** Problems of every layer, reported together at the end. */
  problems: string[] = [];
  private names = new Set<string>();
  private weightIndex = new Map<string, { parts: string[]; leaf: string; c: Constant }[]>();
  constructor(weights: Map<string, Constant>, readonly kerasVersion: string) {
    for (const [name, c] of weights) {
      const parts = name.split("/");
      const leaf = parts[parts.length - 1].replace(/:\d+$/, "");
      for (const p of new Set(parts.slice(0, -1))) {
        if (!this.weightIndex.has(p)) this.weightIndex.set(p, []);
        this.weightIndex.get(p)!.push({ parts: parts.slice(0, -1), leaf, c });
      }
    }
  }

  /** Made by tfjs-layers itself (not converted from Keras): some defaults differ. */
  get fromTfjs(): boolean { return this.kerasVersion === "" || this.kerasVersion.startsWith("tfjs"); }

  unique(base: string): string {
    let n = base, i = 1;
    while (this.names.has(n)) n = `${base}_${i++}`;
    this.names.add(n);
    return n;
  }

  /**
   * A weight of a layer by its last name component (kernel, bias, gamma, ...). `within`, for wrapped layers,
   * must match one of the other name components too (Bidirectional's "forward_…", MultiHeadAttention's "query").
   */
  weight(layer: string, leaf: string, required = true, within?: (part: string) => boolean): Constant | undefined {
    const found = (this.weightIndex.get(layer) ?? []).filter((w) => w.leaf === leaf && (!within || w.parts.some((p) => p !== layer && within(p))));
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
  scalar(base: string, v: number): string { return this.constant(base, [1], Float32Array.of(v)); }

  /** Declares a graph input with its shapes at both nominal sizes. */
  input(name: string, nominal1: number[], nominal2: number[]): void {
    this.shapes.set(name, nominal1);
    this.shapes2.set(name, nominal2);
  }

  /** Emits a node; returns its output names. Output shapes come from the op's own shape inference. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue>, outputs: string[]): string[] {
    const name = this.unique(outputs[0]);
    const outs = outputs.map((o, i) => (i === 0 ? name : this.unique(o)));
    const node: Node = { op, name, inputs, outputs: outs, attrs };
    this.nodes.push(node);
    for (const map of [this.shapes, this.shapes2]) {
      let shapes: number[][] | undefined;
      try {
        const inShapes = inputs.map((x) => (x === "" ? undefined : this.constants.get(x)?.shape ?? map.get(x)));
        if (!inputs.some((x, i) => x !== "" && !inShapes[i])) {
          shapes = OPS[op].infer({ node, inShapes, consts: inputs.map((x) => this.constants.get(x)) });
        }
      } catch { shapes = undefined; }
      outs.forEach((o, i) => map.set(o, shapes?.[i]));
    }
    return outs;
  }
  one(op: string, inputs: string[], attrs: Record<string, AttrValue>, output: string): string {
    return this.node(op, inputs, attrs, [output])[0];
  }
  rank(x: string): number | undefined { return this.shapes.get(x)?.length; }
  /** The value's shape with null where a dim depends on the batch size or another symbolic input dim. */
  staticShape(x: string): (number | null)[] | undefined {
    const a = this.constants.get(x)?.shape ?? this.shapes.get(x), b = this.constants.get(x)?.shape ?? this.shapes2.get(x);
    if (!a || !b || a.length !== b.length) return undefined;
    return a.map((d, i) => (d === b[i] ? d : null));
  }
  /** The value's dims after the batch, all of which must be fixed for `what`. */
  fixedDims(x: string, what: string): number[] {
    const s = this.staticShape(x);
    if (!s || s.slice(1).some((d) => d === null)) throw unsupported(`${what} needs the input's sizes after the batch fixed, got [${s?.map((d) => d ?? "?") ?? "unknown"}]`);
    return s.slice(1) as number[];
  }
}

/** Fails (unsupported, by name) when this build's IR lacks an op a layer maps onto. */
export function requireOps(...ops: string[]): void {
  const missing = ops.filter((op) => !Object.hasOwn(OPS, op));
  if (missing.length) throw unsupported(`needs the IR op(s) ${missing.join(", ")}, which this build does not have`);
}

export const norm = (s: unknown) => String(s ?? "linear").toLowerCase().replace(/_/g, "");

export const tuple = (v: unknown, r: number, what: string): number[] => {
  const a = Array.isArray(v) ? v : [v];
  const out = a.length === 1 && r > 1 ? new Array(r).fill(a[0]) : a;
  if (out.length !== r || !out.every((x) => Number.isSafeInteger(x))) throw bad(`${what} ${JSON.stringify(v)} is not ${r} integers`);
  return out as number[];
};

export function layoutOf(cfg: any): "NHWC" | "NCHW" {
  return cfg.data_format === "channels_first" ? "NCHW" : "NHWC";
}

export function axisOf(axis: unknown, what: string): number {
  const a = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  if (!Number.isSafeInteger(a)) throw unsupported(`${what} ${JSON.stringify(axis)}`);
  return a as number;
}

/** A Dense/Conv bias constant, or "" with use_bias false. */
export function biasOf(m: Importer, layer: string, cfg: any, base: string, within?: (p: string) => boolean): string {
  if (cfg.use_bias === false) return "";
  const c = m.weight(layer, "bias", true, within)!;
  return m.constant(`${base}/bias`, c.shape, c.data);
}
