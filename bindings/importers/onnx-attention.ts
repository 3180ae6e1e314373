/**
 * ONNX handlers for transformer models, kept beside onnx.ts and merged into its handler table:
 * - MatMul: a 2-D float constant B is a Dense (packed once), anything else the IR MatMul of two run-time
 *   operands (attention's Q·Kᵀ and P·V, batched with NumPy broadcasting).
 * - Gather on float data: embedding lookups (a constant table, int64 ids from a graph input) and any axis with
 *   constant indices. Gather on integer data (shape arithmetic) is the shape folder's, not this one's.
 * - LayerNormalization (opset 17) as the fused IR op. (PyTorch's decomposed LayerNorm, ReduceMean/Sub/Pow/
 *   ReduceMean/Add/Sqrt/Div/Mul/Add, imports op by op and ir/attention-fuse.ts folds it back into one op.)
 * The handlers only use the importer services named in `Imp` below; onnx.ts picks them into its table.
 */
import type { AttrValue, Constant } from "../ir/graph.js";

/** The importer services these handlers use (a structural subset of onnx.ts's Importer). */
export interface Imp {
  floatConst(x: string): Constant | undefined;
  intConst(x: string): { shape: number[]; data: number[] } | undefined;
  isUsed(x: string): boolean;
  emitNode(c: OnnxNode, op: string, inputs: string[], outputs: string[], attrs?: Record<string, AttrValue>, suffix?: string): void;
  newConstant(base: string, k: Constant): string;
}
/** A node as the handlers see it (onnx.ts's Ctx). */
export interface OnnxNode { op: string; name: string; opset: number; a: Map<string, any>; ins: string[]; outs: string[] }
export type OnnxHandler = (c: OnnxNode, h: { problem(msg: string): void; imp: Imp }) => void;

const attrOr = (c: OnnxNode, name: string, dflt: unknown): any => (c.a.has(name) ? c.a.get(name) : dflt);

function unusedOutputs(c: OnnxNode, h: Parameters<OnnxHandler>[1], keep: number): boolean {
  const extra = c.outs.slice(keep).filter((o) => o && h.imp.isUsed(o));
  if (extra.length) h.problem(`output(s) ${extra.map((o) => `'${o}'`).join(", ")} are not supported (only the first ${keep})`);
  return extra.length === 0;
}

export const ATTENTION_HANDLERS: Record<string, OnnxHandler> = {
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
};
