/**
 * ONNX handlers for transformer models, kept beside onnx.ts and merged into its handler table:
 * - MatMul: a 2-D float constant B is a Dense (packed once), anything else the IR MatMul of two run-time
 *   operands (attention's Q·Kᵀ and P·V, batched with NumPy broadcasting).
 * - Gather on float data: embedding lookups (a constant table, int64 ids from a graph input) and any axis with
 *   constant indices. Gather on integer data (shape arithmetic) is the shape folder's, not this one's.
 * - LayerNormalization (opset 17) as the fused IR op; ReduceMean on float data (PyTorch's decomposed LayerNorm is
 *   ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add: ir/attention-fuse.ts folds it back into one op, and a
 *   mean pooling over the sequence stays a ReduceMean).
 * - Identity of a constant is that constant (PyTorch exports weights shared between layers as Identity nodes,
 *   and Gemm/Dense need their weights as constants).
 * The handlers only use the importer services named in `Imp` below, so onnx.ts needs no change beyond listing
 * them (and accepting int64/int32 graph inputs as id inputs).
 */
import type { AttrValue, Constant } from "../ir/graph.js";

/** The importer services these handlers use (a structural subset of onnx.ts's Importer). */
export interface Imp {
  floatConst(x: string): Constant | undefined;
  intConst(x: string): { shape: number[]; data: number[] } | undefined;
  isUsed(x: string): boolean;
  isGraphOutput(x: string): boolean;
  setAlias(from: string, to: string): void;
  emitNode(c: OnnxNode, op: string, inputs: string[], outputs: string[], attrs?: Record<string, AttrValue>, suffix?: string): void;
  newConstant(base: string, k: Constant): string;
}
/** A node as the handlers see it (onnx.ts's Ctx). */
export interface OnnxNode { op: string; name: string; opset: number; a: Map<string, any>; ins: string[]; outs: string[] }
export type OnnxHandler = (c: OnnxNode, h: { problem(msg: string): void; imp: Imp }) => void;

/** Inputs of each op that are float data; the rest are integer parameters (indices, axes) read here. */
export const ATTENTION_PARAM_INPUTS: Record<string, (opset: number) => number> = {
  Gather: () => 1, ReduceMean: () => 1,
};

const attrOr = (c: OnnxNode, name: string, dflt: unknown): any => (c.a.has(name) ? c.a.get(name) : dflt);

function unusedOutputs(c: OnnxNode, h: Parameters<OnnxHandler>[1], keep: number): boolean {
  const extra = c.outs.slice(keep).filter((o) => o && h.imp.isUsed(o));
  if (extra.length) h.problem(`output(s) ${extra.map((o) => `'${o}'`).join(", ")} are not supported (only the first ${keep})`);
  return extra.length === 0;
}

export const ATTENTION_HANDLERS: Record<string, OnnxHandler> = {
  Identity(c, h) {
    const [x] = c.ins, out = c.outs[0];
    if ((h.imp.floatConst(x) || h.imp.intConst(x)) && !h.imp.isGraphOutput(out)) return h.imp.setAlias(out, x);
    h.imp.emitNode(c, "Identity", [x], [out]);
  },

  MatMul(c, h) {
    const [a, b] = c.ins;
    const w = h.imp.floatConst(b);
    if (w && w.shape.length === 2) return h.imp.emitNode(c, "Dense", [a, b], [c.outs[0]]);
    for (const [i, x] of [a, b].entries()) if (h.imp.intConst(x)) return h.problem(`input ${i} ('${x}') is an integer tensor (float32 only)`);
    h.imp.emitNode(c, "MatMul", [a, b], [c.outs[0]]);
  },

  Gather(c, h) {
    const [data, indices] = c.ins;
    if (h.imp.intConst(data)) return h.problem(`data '${data}' is an integer tensor (shape arithmetic is folded at import, not run)`);
    let ids = indices;
    const k = h.imp.intConst(indices);
    // Constant indices ride as a float constant (the IR's constants are float32); Gather converts them back.
    if (k) ids = h.imp.newConstant(`${c.name}_indices`, { shape: k.shape, data: Float32Array.from(k.data) });
    else if (h.imp.floatConst(indices)) return h.problem(`indices '${indices}' are a float tensor (ONNX Gather takes int32/int64 indices)`);
    h.imp.emitNode(c, "Gather", [data, ids], [c.outs[0]], { axis: attrOr(c, "axis", 0) });
  },

  LayerNormalization(c, h) {
    if (!unusedOutputs(c, h, 1)) return;
    const [x, scale, bias] = c.ins;
    for (const [i, p] of [[1, scale], [2, bias]] as const) {
      if (p && !h.imp.floatConst(p)) return h.problem(`${i === 1 ? "Scale" : "B"} (input ${i}, '${p}') must be a float constant (initializer)`);
    }
    if (!scale) return h.problem("Scale (input 1) is required");
    // stash_type (the precision of mean and variance) is float32 here whatever it asks: the kernel computes in f32.
    h.imp.emitNode(c, "LayerNormalization", bias ? [x, scale, bias] : [x, scale], [c.outs[0]],
      { axis: attrOr(c, "axis", -1), epsilon: attrOr(c, "epsilon", 1e-5) });
  },

  ReduceMean(c, h) {
    const [x, axesIn] = c.ins;
    if (h.imp.intConst(x)) return h.problem(`data '${x}' is an integer tensor (shape arithmetic is folded at import, not run)`);
    let axes: number[] | undefined = c.a.get("axes");
    if (c.opset >= 18 && axesIn) {
      const t = h.imp.intConst(axesIn);
      if (!t) return h.problem(`axes (input 1, '${axesIn}') must be a constant integer tensor`);
      axes = t.data;
    }
    const keepdims = attrOr(c, "keepdims", 1);
    if (!axes || axes.length === 0) {
      if (attrOr(c, "noop_with_empty_axes", 0)) return h.imp.emitNode(c, "Identity", [x], [c.outs[0]]);
      return h.imp.emitNode(c, "ReduceMean", [x], [c.outs[0]], { keepdims }); // every axis
    }
    h.imp.emitNode(c, "ReduceMean", [x], [c.outs[0]], { axes, keepdims });
  },
};
