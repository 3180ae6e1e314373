/**
 * Graph rewrites that make the model cheaper to run without changing its outputs:
 * - batch normalisation after a Conv/Dense is folded into its weights and bias;
 * - a constant bias Add after a Conv/Dense becomes its bias;
 * - an activation after a Conv/Dense is fused into its epilogue;
 * - decomposed LayerNorms and attention chains become LayerNormalization and Attention nodes (attention-fuse.ts);
 * - x * sigmoid(x) (SiLU/swish as PyTorch exports it: EfficientNet, MobileNetV3-style nets) becomes one Silu,
 *   which then fuses into the conv before it like any activation.
 * A value is only absorbed when nothing else reads it and it is not a graph output.
 */
import type { Constant, Graph, Node } from "./graph.js";
import { batchNormAffine } from "../ops/norm.js";
import { fuseTransformer } from "./attention-fuse.js";
import { keepNHWC } from "./layout.js";

const FUSABLE: Record<string, (n: Node) => Record<string, number | string> | undefined> = {
  Relu: () => ({ activation: "relu" }),
  Relu6: () => ({ activation: "relu6" }),
  Clip: (n) => ({ activation: "clip", alpha: num(n.attrs.min, -Infinity), beta: num(n.attrs.max, Infinity) }),
  Sigmoid: () => ({ activation: "sigmoid" }),
  Tanh: () => ({ activation: "tanh" }),
  Silu: () => ({ activation: "silu" }),
  HardSwish: () => ({ activation: "hard_swish" }),
  HardSigmoid: (n) => ({ activation: "hard_sigmoid", alpha: num(n.attrs.alpha, 0.2), beta: num(n.attrs.beta, 0.5) }),
  LeakyRelu: (n) => ({ activation: "leaky_relu", alpha: num(n.attrs.alpha, 0.01) }),
  Elu: (n) => ({ activation: "elu", alpha: num(n.attrs.alpha, 1) }),
  Gelu: (n) => ({ activation: n.attrs.approximate === "tanh" ? "gelu_tanh" : "gelu" }),
};
const num = (v: unknown, d: number) => (typeof v === "number" ? v : d);

export interface FusionReport {
  foldedBatchNorms: number; foldedBiases: number; fusedActivations: number;
  /** Layout copies left after NCHW chains were moved to NHWC (ir/layout.ts): typically one in, one out. */
  layoutTransposes: number;
  /** Decomposed LayerNorms and QKᵀ-softmax-V chains fused into one node each (ir/attention-fuse.ts). */
  layerNorms: number;
  attentions: number;
  /** Sigmoid + Mul pairs computing x·sigmoid(x), made one Silu. */
  silus: number;
}

export function fuse(g: Graph): FusionReport {
  // First: the layout pass below would move the Transposes the attention pattern is recognised by.
  const { layerNorms, attentions } = fuseTransformer(g);
  const report: FusionReport = { foldedBatchNorms: 0, foldedBiases: 0, fusedActivations: 0, layoutTransposes: 0, layerNorms, attentions, silus: fuseSilu(g) };
  let changed = true;
  while (changed) {
    changed = false;
    const readers = countReaders(g);
    for (const n of g.nodes) {
      if (n.op !== "Conv" && n.op !== "Dense") continue;
      const out = n.outputs[0];
      if (readers.get(out) !== 1 || g.outputs.includes(out)) continue;
      const next = g.nodes.find((m) => m.inputs.includes(out))!;
      const hasActivation = n.attrs.activation !== undefined && n.attrs.activation !== "linear";
      if (!hasActivation && next.op === "BatchNormalization" && foldBatchNorm(g, n, next)) report.foldedBatchNorms++;
      else if (!hasActivation && next.op === "Add" && foldBias(g, n, next)) report.foldedBiases++;
      else if (!hasActivation && FUSABLE[next.op] && next.inputs[0] === out) {
        Object.assign(n.attrs, FUSABLE[next.op](next));
        report.fusedActivations++;
      } else continue;
      n.outputs[0] = next.outputs[0];
      g.nodes.splice(g.nodes.indexOf(next), 1);
      changed = true;
      break;
    }
  }
  report.layoutTransposes = keepNHWC(g);
  return report;
}

/** Sigmoid(x) read only by Mul(x, that) (either order): one Silu(x) in their place. */
function fuseSilu(g: Graph): number {
  const readers = countReaders(g);
  let count = 0;
  for (const sig of [...g.nodes]) {
    if (sig.op !== "Sigmoid") continue;
    const [x, s] = [sig.inputs[0], sig.outputs[0]];
    if (readers.get(s) !== 1 || g.outputs.includes(s)) continue;
    const mul = g.nodes.find((m) => m.op === "Mul" && m.inputs.includes(s));
    if (!mul || mul.inputs.length !== 2 || !mul.inputs.includes(x) || x === s) continue;
    Object.assign(sig, { op: "Silu", outputs: [mul.outputs[0]], attrs: {} });
    g.nodes.splice(g.nodes.indexOf(mul), 1);
    // The Silu now stands where the Mul was read: keep the order valid (its input x is produced before both).
    g.nodes.splice(g.nodes.indexOf(sig), 1);
    g.nodes.splice(Math.min(...g.nodes.map((m, i) => (m.inputs.includes(mul.outputs[0]) ? i : g.nodes.length))), 0, sig);
    count++;
  }
  return count;
}

function countReaders(g: Graph): Map<string, number> {
  const r = new Map<string, number>();
  for (const n of g.nodes) for (const x of n.inputs) r.set(x, (r.get(x) ?? 0) + 1);
  return r;
}

/** Output channels of a Conv/Dense and where its weights keep them. */
function outChannels(n: Node, w: Constant): { count: number; index: (flat: number) => number } {
  if (n.op === "Conv") {
    const per = w.data.length / w.shape[0];
    return { count: w.shape[0], index: (i) => Math.floor(i / per) };
  }
  const transposed = n.attrs.transposeW === true;
  const [rows, cols] = w.shape;
  return transposed ? { count: rows, index: (i) => Math.floor(i / cols) } : { count: cols, index: (i) => i % cols };
}

/** BN's channel axis must be the layer's output-channel axis: Conv in the same layout, Dense the last axis (NHWC). */
function channelAxisOk(n: Node, bn: Node): boolean {
  if (n.op === "Conv") return (n.attrs.layout ?? "NCHW") === (bn.attrs.layout ?? "NCHW");
  return bn.attrs.layout === "NHWC";
}

function foldBatchNorm(g: Graph, n: Node, bn: Node): boolean {
  const w = g.constants.get(n.inputs[1]);
  const params = bn.inputs.slice(1, 5).map((x) => g.constants.get(x));
  if (!w || params.some((p) => !p) || bn.inputs[0] !== n.outputs[0] || !channelAxisOk(n, bn)) return false;
  const ch = outChannels(n, w);
  if (params.some((p) => p!.data.length !== ch.count)) return false;
  const [gamma, beta, mean, variance] = params.map((p) => p!.data);
  const { scale, shift } = batchNormAffine(gamma, beta, mean, variance, num(bn.attrs.epsilon, 1e-5));
  const wf = new Float32Array(w.data.length);
  for (let i = 0; i < wf.length; i++) wf[i] = w.data[i] * scale[ch.index(i)];
  const bias = n.inputs[2] ? g.constants.get(n.inputs[2])?.data : new Float32Array(ch.count);
  if (!bias) return false;
  const bf = bias.map((b, i) => b * scale[i] + shift[i]);
  setConstants(g, n, wf, w.shape, bf);
  return true;
}

function foldBias(g: Graph, n: Node, add: Node): boolean {
  const other = add.inputs[0] === n.outputs[0] ? add.inputs[1] : add.inputs[0];
  const b = g.constants.get(other), w = g.constants.get(n.inputs[1]);
  if (!b || !w) return false;
  const ch = outChannels(n, w);
  // Only a per-output-channel bias: [C] for Dense/NHWC, [C,1,1] / [1,C,1,1] for NCHW conv.
  const nonUnit = b.shape.filter((d) => d !== 1);
  if (b.data.length !== ch.count || nonUnit.length > 1) return false;
  // A bias of higher rank than the layer's output would broadcast the output to a new shape: not a bias.
  if (b.shape.length > (n.op === "Conv" ? w.shape.length : 1)) return false;
  const layout = n.attrs.layout ?? "NCHW";
  const axisFromEnd = b.shape.length - 1 - b.shape.findIndex((d) => d === ch.count);
  if (n.op === "Conv" && layout === "NCHW" && ch.count > 1 && axisFromEnd !== w.shape.length - 2) return false;
  if ((n.op === "Dense" || layout === "NHWC") && ch.count > 1 && axisFromEnd !== 0) return false;
  const old = n.inputs[2] ? g.constants.get(n.inputs[2])?.data : new Float32Array(ch.count);
  if (!old) return false;
  setConstants(g, n, w.data, w.shape, old.map((v, i) => v + b.data[i]));
  return true;
}

/** Gives the node fresh constant names so shared weights used elsewhere stay untouched. */
function setConstants(g: Graph, n: Node, w: Float32Array, shape: number[], bias: Float32Array): void {
  const wName = uniqueName(g, `${n.name}/fused_weights`), bName = uniqueName(g, `${n.name}/fused_bias`);
  g.constants.set(wName, { shape, data: w });
  g.constants.set(bName, { shape: [bias.length], data: bias });
  n.inputs[1] = wName;
  n.inputs[2] = bName;
}

function uniqueName(g: Graph, base: string): string {
  let name = base, i = 1;
  while (g.constants.has(name)) name = `${base}_${i++}`;
  return name;
}
