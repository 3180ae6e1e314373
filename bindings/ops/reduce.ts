/**
 * ReduceSum, ReduceMean, ReduceMax over a set of axes (attribute `axes`, absent = every axis; `keepdims`, default 1).
 * Size-1 dims are dropped and neighbouring dims that are all kept or all reduced merge, leaving groups
 * K0 R0 K1 R1 ...; each reduced group is one pass of f32_reduce over x[outer][len][inner], innermost first, the
 * passes between input and output going through scratch (two buffers, alternately). Mean of means over
 * equal-size groups is the mean, so every pass can take its own mean.
 */
import { ReduceOp, UnaryOp } from "../wasm/kernels.js";
import { int, ints, need, normAxis, sizeOf, type OpContext, type OpDef, type Step } from "./types.js";

function reducedAxes(c: OpContext, rank: number): Set<number> {
  const axes = ints(c, "axes");
  return new Set(axes ? axes.map((a) => normAxis(c, a, rank)) : [...Array(rank).keys()]);
}

/** Kept/reduced groups of `shape`, size-1 dims dropped. */
function groups(shape: number[], reduced: Set<number>): { size: number; reduce: boolean }[] {
  const out: { size: number; reduce: boolean }[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const reduce = reduced.has(i), last = out[out.length - 1];
    if (last && last.reduce === reduce) last.size *= d;
    else out.push({ size: d, reduce });
  });
  return out;
}

function reduceOp(op: keyof typeof ReduceOp): OpDef {
  return {
    infer(c) {
      const x = need(c, 0), axes = reducedAxes(c, x.length);
      const keep = int(c, "keepdims", 1) !== 0;
      return [keep ? x.map((d, i) => (axes.has(i) ? 1 : d)) : x.filter((_, i) => !axes.has(i))];
    },
    prepare(c, [out], rt): Step {
      const x = need(c, 0), code = ReduceOp[op];
      const g = groups(x, reducedAxes(c, x.length));
      // An empty input or empty reduction: the kernel fills each output with the identity of the op (n = 0).
      if (sizeOf(x) === 0) return { scratch: 0, run: (io) => rt.k.f32_reduce(code, 1, 0, sizeOf(out), 0, io.outputs[0]) };
      const passes: { outer: number; len: number; inner: number; size: number }[] = [];
      for (let j = g.length - 1; j >= 0; j--) {
        if (!g[j].reduce) continue;
        const outer = sizeOf(g.slice(0, j).map((e) => e.size)), inner = sizeOf(g.slice(j + 1).map((e) => e.size));
        passes.push({ outer, len: g[j].size, inner, size: outer * inner });
        g[j].size = 1;
      }
      // Only size-1 axes reduced: the values are unchanged.
      if (passes.length === 0) return { scratch: 0, run: (io) => rt.k.f32_unary(UnaryOp.identity, io.inputs[0], io.outputs[0], sizeOf(x), 0, 0) };
      // Pass k > 0 reads what pass k - 1 wrote: scratch buffer A (even k) or B (odd k), each sized for its largest.
      const bufA = passes[0].size * 4, bufB = passes.length > 2 ? passes[1].size * 4 : 0;
      return {
        scratch: passes.length > 1 ? bufA + bufB : 0,
        run(io) {
          let src = io.inputs[0];
          passes.forEach((p, k) => {
            const dst = k === passes.length - 1 ? io.outputs[0] : io.scratch + (k % 2 ? bufA : 0);
            rt.k.f32_reduce(code, p.outer, p.len, p.inner, src, dst);
            src = dst;
          });
        },
      };
    },
  };
}

export const reduceOps: Record<string, OpDef> = {
  ReduceSum: reduceOp("sum"), ReduceMean: reduceOp("mean"), ReduceMax: reduceOp("max"),
};
