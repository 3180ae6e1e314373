/**
 * Batch normalisation in inference form: y = x * scale' + shift' per channel, with scale' = gamma / sqrt(var + eps)
 * and shift' = beta - mean * scale'. Usually folded into the conv/dense before it (ir/passes.ts); this is the
 * standalone op for when it cannot be.
 */
import { layoutOf } from "./geometry.js";
import { fail, need, num, sizeOf, type OpContext, type OpDef } from "./types.js";
import type { Constant } from "../ir/graph.js";

/** scale' and shift' from gamma, beta, mean, var; shared with the folding pass. */
export function batchNormAffine(gamma: Float32Array, beta: Float32Array, mean: Float32Array, variance: Float32Array, eps: number) {
  const scale = new Float32Array(gamma.length), shift = new Float32Array(gamma.length);
  for (let i = 0; i < gamma.length; i++) {
    scale[i] = gamma[i] / Math.sqrt(variance[i] + eps);
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  return { scale, shift };
}

export function batchNormParams(c: OpContext, channels: number) {
  const p = [1, 2, 3, 4].map((i) => c.consts[i]);
  if (p.some((x) => !x)) throw fail(c, "scale, bias, mean and variance (inputs 1-4) must be constants", "UNSUPPORTED");
  for (const x of p as Constant[]) if (sizeOf(x.shape) !== channels) throw fail(c, `parameters have ${sizeOf(x.shape)} values for ${channels} channels`);
  const [g, b, m, v] = (p as Constant[]).map((x) => x.data);
  return batchNormAffine(g, b, m, v, num(c, "epsilon", 1e-5));
}

export const BatchNormalization: OpDef = {
  packed: [1, 2, 3, 4],
  infer: (c) => [need(c, 0)],
  prepare(c, [shape], rt) {
    const axis = layoutOf(c) === "NCHW" ? Math.min(1, shape.length - 1) : shape.length - 1;
    const ch = shape[axis] ?? 1;
    const outer = sizeOf(shape.slice(0, axis)), inner = sizeOf(shape.slice(axis + 1));
    const [scale, shift] = rt.once(`bn:${c.node.name}`, () => {
      const { scale, shift } = batchNormParams(c, ch);
      return [rt.mem.constant(scale, "batch norm scale"), rt.mem.constant(shift, "batch norm shift")];
    });
    return { scratch: 0, run: (io) => rt.k.f32_channel_affine(outer, ch, inner, io.inputs[0], scale, shift, io.outputs[0]) };
  },
};
