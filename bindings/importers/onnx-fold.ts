/**
 * Import-time evaluation of ONNX nodes on constants: the shape arithmetic exporters emit (Shape -> Gather ->
 * Add/Div/Mul -> Unsqueeze -> Concat -> Reshape/Slice/Expand), integer and bool tensors of any kind (the IR
 * computes in float32 only), and data movement on float constants (Identity of a deduplicated initializer,
 * Expand of a zero initial state). The importer calls `FOLD[op]` when every input is a constant (Shape and Size:
 * when the input's shape is static) and keeps the results as constants; nothing of it reaches the IR.
 *
 * Integers are JS numbers: int64 arithmetic is exact while operands and results stay within +-(2^53 - 1); an
 * operation that would leave that range (or the range of a narrower type) is refused with a FoldError, never
 * rounded. Moving values (Concat, Gather, Slice, ...) never checks: INT64_MAX as "to the end" passes through.
 */
import type { Constant } from "../ir/graph.js";
import { broadcastShapes, broadcastStrides } from "../ops/eltwise.js";
import { OPS } from "../ops/registry.js";
import { sliceGeometry } from "../ops/shape.js";
import { sizeOf, stridesOf, type OpContext } from "../ops/types.js";
import { decodeTensor, DT, DT_NAME, INT_TYPES } from "./onnx-tensor.js";

/** A constant: float32 (`type` DT.FLOAT, data a Float32Array) or an integer/bool type (data numbers). */
export interface Tensor { type: number; shape: number[]; data: ArrayLike<number> }
/** What a folding function sees of the node: attributes by name, opset and the number of outputs. */
export interface FoldNode { op: string; name: string; opset: number; a: Map<string, any>; outs: string[] }

/** Why a node cannot be evaluated; the importer reports it as an unsupported feature of that node. */
export class FoldError extends Error {}
const refuse = (msg: string): never => { throw new FoldError(msg); };

/** Largest folded result (elements): shape arithmetic is tiny; this bounds what a hostile model can make us build. */
export const MAX_FOLD_ELEMENTS = 1 << 22;
/** Float constants up to this size are folded by float arithmetic (FoldDef.floats = "small"). */
export const SMALL_FLOATS = 64;

export const isFloat = (t: Tensor) => t.type === DT.FLOAT;
export const toConstant = (t: Tensor): Constant => ({ shape: t.shape, data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data) });

/** Checked before a result is built, so that a hostile shape cannot make us allocate it. */
function checkSize(shape: number[]): number {
  const n = sizeOf(shape);
  return n <= MAX_FOLD_ELEMENTS ? n : refuse(`the result [${shape}] has over ${MAX_FOLD_ELEMENTS} elements (import-time folding limit)`);
}

function make(type: number, shape: number[], data: ArrayLike<number>): Tensor {
  checkSize(shape);
  return { type, shape, data: type === DT.FLOAT && !(data instanceof Float32Array) ? Float32Array.from(data) : data };
}

/** Exact ranges: int64/uint64 only as far as doubles hold every integer. */
const RANGE: Record<number, [number, number]> = {
  [DT.BOOL]: [0, 1], [DT.INT8]: [-128, 127], [DT.UINT8]: [0, 255], [DT.INT16]: [-32768, 32767], [DT.UINT16]: [0, 65535],
  [DT.INT32]: [-(2 ** 31), 2 ** 31 - 1], [DT.UINT32]: [0, 2 ** 32 - 1],
  [DT.INT64]: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], [DT.UINT64]: [0, Number.MAX_SAFE_INTEGER],
};
const typeName = (type: number) => DT_NAME[type]?.toLowerCase() ?? `type ${type}`;

/** Integer arithmetic input or result: refused (not rounded or wrapped) outside the exact range of its type. */
function exact(t: Tensor, what: string): Tensor {
  if (isFloat(t)) return t;
  const [lo, hi] = RANGE[t.type] ?? refuse(`${what} has data type ${typeName(t.type)}, which is not evaluated at import time`);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i];
    if (!(v >= lo && v <= hi && Number.isInteger(v))) {
      refuse(`${what} ${v} is outside the range ${typeName(t.type)} arithmetic is evaluated exactly at import time ([${lo}, ${hi}]${t.type === DT.INT64 || t.type === DT.UINT64 ? ": JS numbers hold integers exactly only up to 2^53 - 1" : ""})`);
    }
  }
  return t;
}

// ---- reading parameters ----

function input(x: (Tensor | undefined)[], i: number, what: string): Tensor {
  return x[i] ?? refuse(`${what} (input ${i}) is required`);
}
/** An integer parameter tensor's values (shape, axes, indices, ...). */
export function intsOf(t: Tensor, what: string): number[] {
  if (isFloat(t)) refuse(`${what} must be an integer tensor`);
  return Array.from(t.data);
}
const scalarOf = (t: Tensor, what: string): number => (t.data.length === 1 ? t.data[0] : refuse(`${what} must hold one value, got shape [${t.shape}]`));
const attr = (c: FoldNode, name: string, dflt: unknown): any => (c.a.has(name) ? c.a.get(name) : dflt);
function axisIn(c: FoldNode, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < Math.max(rank, 1) ? a : refuse(`axis ${axis} is out of range for rank ${rank}`);
}

/** The node as an IR op sees it, to reuse the IR's shape rules (one definition of each). */
const irContext = (c: FoldNode, op: string, attrs: Record<string, any> = {}, inShapes: number[][] = []): OpContext =>
  ({ node: { op, name: c.name, inputs: [], outputs: [], attrs }, inShapes, consts: [] });
/** Output shape of an IR shape op (Reshape, Squeeze, Unsqueeze, Flatten). */
const irShape = (c: FoldNode, op: string, attrs: Record<string, any>, x: number[]) => OPS[op].infer(irContext(c, op, attrs, [x]))[0];

/** Axes of Reduce* (attribute before opset 18, 13 for ReduceSum; input 1 from then). Undefined: every axis. */
export function reduceAxes(c: FoldNode, axes: Tensor | undefined): number[] | undefined {
  const fromInput = c.opset >= (c.op === "ReduceSum" ? 13 : 18);
  const list: number[] | undefined = fromInput ? (axes ? intsOf(axes, "axes") : undefined) : c.a.get("axes");
  if (list && list.length) return list;
  return attr(c, "noop_with_empty_axes", 0) ? [] : undefined;
}

// ---- strided copies and broadcasting ----

/** out[idx] = src[offset + sum idx[d] * strides[d]] over `shape` (strides 0: broadcast, negative: reversed). */
function strided(t: Tensor, shape: number[], strides: number[], offset = 0): Tensor {
  const n = checkSize(shape);
  const out = isFloat(t) ? new Float32Array(n) : new Array<number>(n);
  const idx = new Array<number>(shape.length).fill(0);
  let off = offset;
  for (let i = 0; i < n; i++) {
    out[i] = t.data[off];
    for (let d = shape.length - 1; d >= 0; d--) {
      off += strides[d];
      if (++idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return { type: t.type, shape, data: out };
}

const broadcastShape = (c: FoldNode, shapes: number[][]) => shapes.reduce((a, b) => broadcastShapes(irContext(c, c.op), a, b));
const broadcastTo = (t: Tensor, shape: number[]) => strided(t, shape, broadcastStrides(t.shape, shape));

/** Element-wise op over broadcast operands; `type` of the result (undefined: the first operand's). */
function elementwise(c: FoldNode, xs: Tensor[], f: (...v: number[]) => number, type = xs[0].type): Tensor {
  const shape = broadcastShape(c, xs.map((t) => t.shape));
  const full = xs.map((t) => broadcastTo(t, shape).data);
  const n = sizeOf(shape);
  const out = new Array<number>(n);
  const args = new Array<number>(xs.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < full.length; k++) args[k] = full[k][i];
    out[i] = f(...args);
  }
  return make(type, shape, out);
}

/**
 * Integer arithmetic in exact range; float32 data (small constants only, see FoldDef.floats) is computed in f64
 * and rounded once, which for + - * / max min gives the same bits as the float32 kernels would at load time.
 */
function arithmetic(f: (a: number, b: number) => number, onFloats: (a: number, b: number) => number = f): Fold {
  return (c, x) => {
    const [a, b] = [input(x, 0, "A"), input(x, 1, "B")];
    if (a.type !== b.type) refuse(`operands have different types (${typeName(a.type)}, ${typeName(b.type)})`);
    return [exact(elementwise(c, [exact(a, "operand"), exact(b, "operand")], isFloat(a) ? onFloats : f), "the result")];
  };
}
const unaryMath = (f: (v: number) => number): Fold => (c, x) => [exact(elementwise(c, [exact(input(x, 0, "X"), "operand")], f), "the result")];
const compare = (f: (a: number, b: number) => boolean): Fold => (c, x) =>
  [elementwise(c, [input(x, 0, "A"), input(x, 1, "B")], (a, b) => (f(a, b) ? 1 : 0), DT.BOOL)];
const logical = (f: (a: boolean, b: boolean) => boolean): Fold => (c, x) =>
  [elementwise(c, [input(x, 0, "A"), input(x, 1, "B")], (a, b) => (f(a !== 0, b !== 0) ? 1 : 0), DT.BOOL)];

/** Integer division truncates toward zero (C, onnxruntime); division by zero is refused. */
function intDiv(a: number, b: number): number {
  if (b === 0) refuse("integer division by zero");
  return Math.trunc(a / b);
}

// ---- the table ----

type Fold = (c: FoldNode, x: (Tensor | undefined)[]) => Tensor[];
export interface FoldDef {
  run: Fold;
  /**
   * Also evaluated on float constants: true for data movement, comparisons and casts (exact whatever the size);
   * "small" for float arithmetic, only when every input has at most SMALL_FLOATS elements (shape arithmetic done in
   * float); larger float arithmetic stays an IR op, folded by the kernels at load. Absent: integer/bool data only.
   */
  floats?: boolean | "small";
  /** Reads only the shape of input 0 (Shape, Size), as declared: symbolic dims (strings in it) are refused. */
  shapeOnly?: boolean;
}

function concat(c: FoldNode, xs: Tensor[], axis: number): Tensor {
  const first = xs[0], rank = first.shape.length, a = axisIn(c, axis, rank);
  for (const t of xs) {
    if (t.type !== first.type) refuse(`inputs have different types (${typeName(first.type)}, ${typeName(t.type)})`);
    if (t.shape.length !== rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) refuse(`input shapes ${xs.map((t) => `[${t.shape}]`).join(", ")} differ outside axis ${axis}`);
  }
  const outer = sizeOf(first.shape.slice(0, a)), inner = sizeOf(first.shape.slice(a + 1));
  const shape = [...first.shape];
  shape[a] = xs.reduce((s, t) => s + t.shape[a], 0);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const t of xs) {
      const run = t.shape[a] * inner;
      for (let i = 0; i < run; i++) out.push(t.data[o * run + i]);
    }
  }
  return make(first.type, shape, out);
}

function gather(c: FoldNode, data: Tensor, indices: Tensor): Tensor {
  const rank = data.shape.length, a = axisIn(c, attr(c, "axis", 0), rank), dim = data.shape[a];
  const idx = intsOf(indices, "indices").map((i) => (i >= -dim && i < dim ? (i < 0 ? i + dim : i) : refuse(`index ${i} is out of range for axis ${a} of size ${dim}`)));
  const outer = sizeOf(data.shape.slice(0, a)), inner = sizeOf(data.shape.slice(a + 1));
  const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
  checkSize(shape);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) for (const i of idx) for (let k = 0; k < inner; k++) out.push(data.data[(o * dim + i) * inner + k]);
  return make(data.type, shape, out);
}

/**
 * The dims a Shape or Size reads; the importer passes declared shapes, which may hold symbolic dims (strings):
 * those are refused, never given a value.
 */
function staticDims(dims: readonly (number | string)[], all: readonly (number | string)[]): number[] {
  if (dims.some((d) => typeof d !== "number")) refuse(`the input's shape [${all}] has symbolic dims: shape arithmetic is evaluated at import time and needs static shapes`);
  return dims as number[];
}

/** Same data, another shape (the IR's shape rules). */
const reshaped = (t: Tensor, shape: number[]): Tensor => ({ type: t.type, shape, data: t.data });

function cast(c: FoldNode, t: Tensor): Tensor {
  const to: number = attr(c, "to", 0);
  if (to === DT.FLOAT) return make(DT.FLOAT, t.shape, Float32Array.from(t.data));
  if (to === DT.BOOL) return make(to, t.shape, Array.from(t.data, (v) => (v !== 0 ? 1 : 0)));
  if (!INT_TYPES.has(to)) refuse(`cast to ${typeName(to)} is not evaluated at import time (float32, integer and bool types)`);
  // Float to integer truncates toward zero (onnxruntime); NaN, infinities and values out of range are refused.
  return exact(make(to, t.shape, Array.from(t.data, (v) => (Number.isFinite(v) ? Math.trunc(v) : NaN))), "the cast value");
}

function range(c: FoldNode, x: (Tensor | undefined)[]): Tensor {
  const [start, limit, delta] = [0, 1, 2].map((i) => exact(input(x, i, ["start", "limit", "delta"][i]), "operand"));
  const [s, l, d] = [scalarOf(start, "start"), scalarOf(limit, "limit"), scalarOf(delta, "delta")];
  if (d === 0) refuse("delta is 0");
  const n = Math.max(Math.ceil((l - s) / d), 0);
  checkSize([n]);
  const out: number[] = [];
  // onnxruntime accumulates (value += delta) in the output type: float32 rounding after every step.
  for (let i = 0, v = s; i < n; i++, v = isFloat(start) ? Math.fround(v + d) : v + d) out.push(v);
  return exact(make(start.type, [n], out), "the result");
}

/** Reduce* on integer constants (e.g. the element count of a shape); float data is the IR's Reduce op. */
function reduce(init: number, f: (acc: number, v: number) => number, mean = false): Fold {
  return (c, x) => {
    const t = exact(input(x, 0, "data"), "operand"), rank = t.shape.length;
    const axes = (reduceAxes(c, x[1]) ?? [...t.shape.keys()]).map((a) => axisIn(c, a, rank));
    const keep = attr(c, "keepdims", 1) !== 0;
    const outShape = t.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const acc = new Array<number>(sizeOf(outShape)).fill(init);
    const outStrides = stridesOf(outShape).map((s, i) => (axes.includes(i) ? 0 : s));
    const n = t.data.length, idx = new Array<number>(rank).fill(0);
    for (let i = 0; i < n; i++) {
      let o = 0;
      for (let d = 0; d < rank; d++) o += idx[d] * outStrides[d];
      acc[o] = f(acc[o], t.data[i]);
      for (let d = rank - 1; d >= 0 && ++idx[d] === t.shape[d]; d--) idx[d] = 0;
    }
    const count = sizeOf(axes.map((a) => t.shape[a]));
    const data = mean ? acc.map((v) => intDiv(v, count)) : acc;
    return [exact(make(t.type, keep ? outShape : t.shape.filter((_, i) => !axes.includes(i)), data), "the result")];
  };
}

export const FOLD: Readonly<Record<string, FoldDef>> = Object.freeze({
  Identity: { floats: true, run: (c, x) => [input(x, 0, "input")] },
  Shape: {
    shapeOnly: true,
    run(c, x) {
      const dims = input(x, 0, "data").shape, rank = dims.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
      // start/end (opset 15) may leave out the symbolic dims: then the rest is still known.
      const out = staticDims(dims.slice(clamp(attr(c, "start", 0)), clamp(attr(c, "end", rank))), dims);
      return [make(DT.INT64, [out.length], out)];
    },
  },
  Size: { shapeOnly: true, run: (c, x) => [make(DT.INT64, [], [sizeOf(staticDims(input(x, 0, "data").shape, x[0]!.shape))])] },
  Cast: { floats: true, run: (c, x) => [cast(c, input(x, 0, "input"))] },
  ConstantOfShape: {
    run(c, x) {
      const shape = intsOf(input(x, 0, "shape"), "shape");
      if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) refuse(`shape [${shape}] has a negative or huge dim`);
      const d = c.a.has("value") ? decodeTensor(c.a.get("value")) : { kind: "float" as const, c: { shape: [1], data: new Float32Array(1) } };
      const v: Tensor = d.kind === "float" ? { type: DT.FLOAT, shape: d.c.shape, data: d.c.data } : d.kind === "int" ? d.t : refuse(d.why);
      if (v.data.length !== 1) refuse(`attribute 'value' must hold one value, got shape [${v.shape}]`);
      const n = checkSize(shape);
      return [make(v.type, shape, isFloat(v) ? new Float32Array(n).fill(v.data[0]) : new Array<number>(n).fill(v.data[0]))];
    },
  },
  Range: { floats: true, run: (c, x) => [range(c, x)] },

  Reshape: {
    floats: true,
    run(c, x) {
      const t = input(x, 0, "data");
      const shape = c.opset < 5 ? attr(c, "shape", undefined) ?? refuse("attribute 'shape' is required") : intsOf(input(x, 1, "shape"), "shape");
      return [reshaped(t, irShape(c, "Reshape", { shape, allowzero: attr(c, "allowzero", 0) }, t.shape))];
    },
  },
  Flatten: { floats: true, run: (c, x) => [reshaped(input(x, 0, "input"), irShape(c, "Flatten", { axis: attr(c, "axis", 1) }, input(x, 0, "input").shape))] },
  Squeeze: {
    floats: true,
    run(c, x) {
      const t = input(x, 0, "data");
      const axes = c.opset < 13 ? c.a.get("axes") : x[1] ? intsOf(x[1], "axes") : undefined;
      return [reshaped(t, irShape(c, "Squeeze", axes ? { axes } : {}, t.shape))];
    },
  },
  Unsqueeze: {
    floats: true,
    run(c, x) {
      const t = input(x, 0, "data");
      const axes = c.opset < 13 ? attr(c, "axes", undefined) ?? refuse("attribute 'axes' is required") : intsOf(input(x, 1, "axes"), "axes");
      return [reshaped(t, irShape(c, "Unsqueeze", { axes }, t.shape))];
    },
  },
  Concat: {
    floats: true,
    run: (c, x) => {
      const xs = x.filter((t): t is Tensor => !!t);
      return [concat(c, xs.length ? xs : refuse("no inputs"), attr(c, "axis", 0))];
    },
  },
  Gather: { floats: true, run: (c, x) => [gather(c, input(x, 0, "data"), input(x, 1, "indices"))] },
  Transpose: {
    floats: true,
    run(c, x) {
      const t = input(x, 0, "data"), rank = t.shape.length;
      const perm: number[] = attr(c, "perm", [...Array(rank).keys()].reverse());
      if (perm.length !== rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) refuse(`perm [${perm}] is not a permutation of ${rank} axes`);
      const s = stridesOf(t.shape);
      return [strided(t, perm.map((p) => t.shape[p]), perm.map((p) => s[p]))];
    },
  },
  Slice: {
    floats: true,
    run(c, x) {
      const t = input(x, 0, "data");
      const param = (i: number, name: string) => (c.opset < 10 ? c.a.get(name) : x[i] ? intsOf(x[i]!, name) : undefined);
      const [starts, ends, axes, steps] = [param(1, "starts"), param(2, "ends"), param(3, "axes"), param(4, "steps")];
      if (!starts || !ends) return refuse("starts and ends are required");
      // Clamped like the Slice handler's parameters: the IR's geometry takes int32-range values.
      const clamp = (v: number[]) => v.map((k) => Math.max(-(2 ** 31 - 1), Math.min(2 ** 31 - 1, k)));
      const attrs = { starts: clamp(starts), ends: clamp(ends), ...(axes ? { axes } : {}), ...(steps ? { steps } : {}) };
      const g = sliceGeometry({ node: { op: "Slice", name: c.name, inputs: [], outputs: [], attrs }, inShapes: [t.shape], consts: [] });
      return [strided(t, g.out, g.srcStrides, g.srcOffset)];
    },
  },
  Split: {
    floats: true,
    run(c, x) {
      const t = input(x, 0, "input"), a = axisIn(c, attr(c, "axis", 0), t.shape.length), dim = t.shape[a], parts = c.outs.length;
      const given: number[] | undefined = c.opset < 13 ? c.a.get("split") : x[1] ? intsOf(x[1], "split") : undefined;
      // num_outputs (opset 18): equal parts, the last one smaller when they do not divide; neither: equal parts.
      const chunk = c.a.has("num_outputs") ? Math.ceil(dim / parts) : dim / parts;
      const sizes = given ?? Array.from({ length: parts }, (_, i) => Math.min(chunk, dim - i * chunk));
      if (sizes.length !== parts || sizes.some((v) => !Number.isInteger(v) || v < 0) || sizes.reduce((p, q) => p + q, 0) !== dim) {
        refuse(`cannot split ${dim} into ${given ? `[${given}]` : `${parts} parts`}`);
      }
      const s = stridesOf(t.shape);
      let at = 0;
      return sizes.map((len) => {
        const part = strided(t, t.shape.map((d, i) => (i === a ? len : d)), s, at * s[a]);
        at += len;
        return part;
      });
    },
  },
  Expand: {
    floats: true,
    run(c, x) {
      const t = input(x, 0, "input"), shape = intsOf(input(x, 1, "shape"), "shape");
      return [broadcastTo(t, broadcastShape(c, [t.shape, shape]))];
    },
  },
  Where: {
    floats: true,
    run(c, x) {
      const [cond, a, b] = [input(x, 0, "condition"), input(x, 1, "X"), input(x, 2, "Y")];
      if (a.type !== b.type) refuse(`X and Y have different types (${typeName(a.type)}, ${typeName(b.type)})`);
      return [elementwise(c, [cond, a, b], (k, p, q) => (k ? p : q), a.type)];
    },
  },

  Add: { floats: "small", run: arithmetic((a, b) => a + b) },
  Sub: { floats: "small", run: arithmetic((a, b) => a - b) },
  Mul: { floats: "small", run: arithmetic((a, b) => a * b) },
  Div: { floats: "small", run: arithmetic(intDiv, (a, b) => a / b) },
  // fmod=0: the sign of the divisor (Python's %); fmod=1: the sign of the dividend (C's fmod). Integers only.
  Mod: {
    run: (c, x) => arithmetic((a, b) => {
      if (b === 0) refuse("integer modulo by zero");
      const r = a % b;
      return attr(c, "fmod", 0) || r === 0 || (r < 0) === (b < 0) ? r : r + b;
    })(c, x),
  },
  Max: { floats: "small", run: (c, x) => [x.reduce((acc, t) => arithmetic(Math.max)(c, [acc, t])[0])!] },
  Min: { floats: "small", run: (c, x) => [x.reduce((acc, t) => arithmetic(Math.min)(c, [acc, t])[0])!] },
  Neg: { floats: "small", run: unaryMath((v) => -v) },
  Abs: { floats: "small", run: unaryMath(Math.abs) },
  Sign: { floats: "small", run: unaryMath(Math.sign) },
  Floor: { floats: true, run: unaryMath(Math.floor) },
  Ceil: { floats: true, run: unaryMath(Math.ceil) },
  Equal: { floats: true, run: compare((a, b) => a === b) },
  Less: { floats: true, run: compare((a, b) => a < b) },
  LessOrEqual: { floats: true, run: compare((a, b) => a <= b) },
  Greater: { floats: true, run: compare((a, b) => a > b) },
  GreaterOrEqual: { floats: true, run: compare((a, b) => a >= b) },
  Not: { floats: true, run: (c, x) => [elementwise(c, [input(x, 0, "X")], (v) => (v ? 0 : 1), DT.BOOL)] },
  And: { floats: true, run: logical((a, b) => a && b) },
  Or: { floats: true, run: logical((a, b) => a || b) },
  Xor: { floats: true, run: logical((a, b) => a !== b) },
  ReduceSum: { run: reduce(0, (p, v) => p + v) },
  ReduceProd: { run: reduce(1, (p, v) => p * v) },
  ReduceMax: { run: reduce(-Infinity, Math.max) },
  ReduceMin: { run: reduce(Infinity, Math.min) },
  ReduceMean: { run: reduce(0, (p, v) => p + v, true) },
});
