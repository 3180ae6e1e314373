/**
 * ONNX ops the IR has no twin for, lowered to IR ops when their data is a run-time value (on constants they are
 * evaluated at import time first, onnx-fold.ts):
 * - Gather with constant indices: Slices (one per run of evenly spaced indices), a Concat when there are several,
 *   then a Squeeze (scalar index) or Reshape to the output shape. `y[:, -1]` is one Slice and a Squeeze.
 * - Expand with a constant shape: the IR's Expand (a broadcasting copy).
 * - ReduceSum / ReduceMean / ReduceMax with constant axes: the IR's Reduce ops (axes as an attribute).
 * - Cast of a float32 value to float32: the value itself.
 */
import type { AttrValue } from "../ir/graph.js";
import { FoldError, intsOf, reduceAxes } from "./onnx-fold.js";
import type { Ctx, Handler, H } from "./onnx.js";
import { DT } from "./onnx-tensor.js";

/** At most this many Slices for one Gather; scattered index lists beyond it are refused. */
const MAX_GATHER_RUNS = 64;
const INT_LIMIT = 2 ** 31 - 1;

/** An integer parameter input that must be a constant: its values, or a problem recorded and undefined. */
function constInts(c: Ctx, h: H, i: number, what: string): number[] | undefined {
  const t = c.ins[i] ? h.imp.tensor(c.ins[i]) : undefined;
  if (!t || t.type === DT.FLOAT) {
    h.problem(`${what} (input ${i}, '${c.ins[i] ?? ""}') must be a constant integer tensor (it is computed at run time)`);
    return undefined;
  }
  return Array.from(t.data);
}

/** Splits indices into runs start, start + step, ... (step != 0) so each run is one Slice. */
function runs(indices: number[]): { start: number; step: number; count: number }[] {
  const out: { start: number; step: number; count: number }[] = [];
  for (let i = 0; i < indices.length;) {
    const step = indices[i + 1] - indices[i];
    let count = 1;
    if (i + 1 < indices.length && step !== 0) while (i + count < indices.length && indices[i + count] - indices[i + count - 1] === step) count++;
    out.push({ start: indices[i], step: count > 1 ? step : 1, count });
    i += count;
  }
  return out;
}

const gather: Handler = (c, h) => {
  const [data, out] = [c.ins[0], c.outs[0]];
  const indices = c.ins[1] ? h.imp.tensor(c.ins[1]) : undefined;
  if (!indices || indices.type === DT.FLOAT) return h.problem(`indices (input 1, '${c.ins[1] ?? ""}') must be a constant integer tensor (Gather with run-time indices is not supported)`);
  const shape = h.imp.staticShape(data);
  if (!shape) return h.problem(`the shape of the data must be static to gather constant indices: ${h.imp.whyNotStatic(data)}`);
  const rank = shape.length, raw = c.a.has("axis") ? c.a.get("axis") : 0, axis = raw < 0 ? raw + rank : raw;
  if (axis < 0 || axis >= rank) return h.problem(`axis ${raw} is out of range for rank ${rank}`);
  const dim = shape[axis];
  const list = intsOf(indices, "indices");
  const bad = list.find((i) => i < -dim || i >= dim);
  if (bad !== undefined) return h.problem(`index ${bad} is out of range for axis ${axis} of size ${dim}`);
  // One index counted from the end (`y[:, -1]`) stays counted from the end, so the Slice still picks the last
  // step when the length changes (a streamed chunk, a shorter recording).
  const fromEnd = list.length === 1 && list[0] < 0;
  const parts = fromEnd ? [{ start: list[0], step: 1, count: 1 }] : runs(list.map((i) => (i < 0 ? i + dim : i)));
  if (parts.length > MAX_GATHER_RUNS) return h.problem(`${list.length} scattered indices need ${parts.length} slices (at most ${MAX_GATHER_RUNS})`);
  const outShape = [...shape.slice(0, axis), ...indices.shape, ...shape.slice(axis + 1)];
  const last = indices.shape.length === 1 ? out : h.imp.newValue(`${out}_gathered`);
  const sliced = parts.map((r, k) => {
    const y = parts.length === 1 ? last : h.imp.newValue(`${out}_part${k}`);
    // A backward run that ends below index 0 needs an end before the start of the axis (not -1: the last element).
    const end = r.start + r.step * r.count;
    const stop = fromEnd ? (end === 0 ? INT_LIMIT : end) : end < 0 ? -INT_LIMIT : end;
    h.imp.emitNode(c, "Slice", [data], [y], { starts: [r.start], ends: [stop], axes: [axis], steps: [r.step] }, `slice${k}`);
    return y;
  });
  if (parts.length > 1) h.imp.emitNode(c, "Concat", sliced, [last], { axis }, "concat");
  if (indices.shape.length === 0) h.imp.emitNode(c, "Squeeze", [last], [out], { axes: [axis] });
  else if (indices.shape.length > 1) h.imp.emitNode(c, "Reshape", [last], [out], { shape: outShape });
};

function reduce(ir: string): Handler {
  return (c, h) => {
    const axesInput = c.ins[1] ? h.imp.tensor(c.ins[1]) : undefined;
    if (c.ins[1] && !axesInput) return h.problem(`axes (input 1, '${c.ins[1]}') must be a constant integer tensor (it is computed at run time)`);
    let axes: number[] | undefined;
    try {
      axes = reduceAxes(c, axesInput);
    } catch (e) {
      if (!(e instanceof FoldError)) throw e;
      return h.problem(e.message);
    }
    // noop_with_empty_axes with no axes: the input unchanged.
    if (axes && axes.length === 0) return h.imp.emitNode(c, "Identity", [c.ins[0]], [c.outs[0]]);
    const attrs: Record<string, AttrValue> = { keepdims: c.a.has("keepdims") ? c.a.get("keepdims") : 1 };
    if (axes) attrs.axes = axes;
    h.imp.emitNode(c, ir, [c.ins[0]], [c.outs[0]], attrs);
  };
}

export const LOWERED: Record<string, Handler> = {
  Gather: gather,
  Expand(c, h) {
    const shape = constInts(c, h, 1, "shape");
    if (shape) h.imp.emitNode(c, "Expand", [c.ins[0]], [c.outs[0]], { shape });
  },
  ReduceSum: reduce("ReduceSum"), ReduceMean: reduce("ReduceMean"), ReduceMax: reduce("ReduceMax"),
  Cast(c, h) {
    const to = c.a.get("to");
    if (to !== DT.FLOAT) return h.problem(`cast of a run-time value to data type ${to} is not supported (float32 only)`);
    h.imp.passThrough(c);
  },
};
