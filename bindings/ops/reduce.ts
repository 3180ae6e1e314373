/**
 * ReduceMean over a contiguous block of axes (ONNX semantics: `axes`, default all; `keepdims`, default 1): the
 * mean pooling of a transformer's tokens, and the halves of a decomposed LayerNorm until ir/attention-fuse.ts
 * folds them. The block is the middle axis of [outer][len][inner], which is what f32_global_avgpool reduces.
 */
import { fail, ints, need, normAxis, num, sizeOf, type OpContext, type OpDef } from "./types.js";

function reduceGeometry(c: OpContext) {
  const x = need(c, 0);
  const axes = [...new Set((ints(c, "axes") ?? x.map((_, i) => i)).map((a) => normAxis(c, a, x.length)))].sort((a, b) => a - b);
  if (axes.some((a, i) => i > 0 && a !== axes[i - 1] + 1)) throw fail(c, `axes [${axes}] are not adjacent (only a contiguous block of axes is reduced)`, "UNSUPPORTED");
  const keep = num(c, "keepdims", 1) !== 0;
  const lo = axes[0] ?? 0, hi = (axes[axes.length - 1] ?? -1) + 1;
  const out = keep ? x.map((d, i) => (i >= lo && i < hi ? 1 : d)) : x.filter((_, i) => i < lo || i >= hi);
  return { outer: sizeOf(x.slice(0, lo)), len: sizeOf(x.slice(lo, hi)), inner: sizeOf(x.slice(hi)), out };
}

export const ReduceMean: OpDef = {
  infer: (c) => [reduceGeometry(c).out],
  prepare(c, _outs, rt) {
    const { outer, len, inner } = reduceGeometry(c);
    return { scratch: 0, run: (io) => rt.k.f32_global_avgpool(outer, len, inner, io.inputs[0], io.outputs[0]) };
  },
};
