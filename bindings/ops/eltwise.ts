/** Element-wise ops: unary activations, broadcasting binary arithmetic, softmax. */
import { BinaryOp, UnaryOp, type UnaryName } from "../wasm/kernels.js";
import { fail, int, need, normAxis, num, sizeOf, str, stridesOf, type OpContext, type OpDef, type Runtime } from "./types.js";

const sameShape = (c: OpContext) => [need(c, 0)];

/** IR op name -> unary kernel code and how its alpha/beta come from attributes. */
function unaryOp(op: UnaryName, params?: (c: OpContext) => [number, number]): OpDef {
  return {
    infer: sameShape,
    prepare(c, [shape], rt) {
      const n = sizeOf(shape);
      const [alpha, beta] = params ? params(c) : [0, 0];
      return { scratch: 0, run: (io) => rt.k.f32_unary(UnaryOp[op], io.inputs[0], io.outputs[0], n, alpha, beta) };
    },
  };
}

export const unaryOps: Record<string, OpDef> = {
  Identity: unaryOp("identity"),
  Relu: unaryOp("relu"),
  Clip: unaryOp("clip", (c) => [num(c, "min", -Infinity), num(c, "max", Infinity)]),
  Relu6: unaryOp("clip", () => [0, 6]),
  LeakyRelu: unaryOp("leaky_relu", (c) => [num(c, "alpha", 0.01), 0]),
  Sigmoid: unaryOp("sigmoid"),
  Tanh: unaryOp("tanh"),
  Gelu: {
    infer: sameShape,
    prepare(c, s, rt) {
      const approx = str(c, "approximate", "none");
      if (approx !== "none" && approx !== "tanh") throw fail(c, `approximate='${approx}' is not 'none' or 'tanh'`);
      return unaryOp(approx === "tanh" ? "gelu_tanh" : "gelu").prepare(c, s, rt);
    },
  },
  Silu: unaryOp("silu"),
  HardSigmoid: unaryOp("hard_sigmoid", (c) => [num(c, "alpha", 0.2), num(c, "beta", 0.5)]),
  HardSwish: unaryOp("hard_swish"),
  Exp: unaryOp("exp"),
  Elu: unaryOp("elu", (c) => [num(c, "alpha", 1), 0]),
  Neg: unaryOp("neg"),
  Abs: unaryOp("abs"),
  Sqrt: unaryOp("sqrt"),
  Log: unaryOp("log"),
  Softplus: unaryOp("softplus"),
  Erf: unaryOp("erf"),
  Reciprocal: unaryOp("reciprocal"),
};

/** NumPy broadcasting of two shapes; names both shapes when they do not broadcast. */
export function broadcastShapes(c: OpContext, a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1, db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw fail(c, `shapes [${a}] and [${b}] do not broadcast (dim ${i}: ${da} vs ${db})`, "BAD_INPUT");
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Element strides of `shape` seen through the broadcast `out` shape: 0 where it is broadcast. */
export function broadcastStrides(shape: number[], out: number[]): number[] {
  const s = stridesOf(shape);
  return out.map((d, i) => {
    const j = i - (out.length - shape.length);
    return j < 0 || shape[j] === 1 ? 0 : s[j];
  });
}

/** Drops size-1 dims and merges dims that are contiguous in all three operands, so kernels see the lowest rank. */
export function coalesce(shape: number[], ...strides: number[][]): [number[], number[][]] {
  const keep = shape.map((d, i) => i).filter((i) => shape[i] !== 1);
  let dims = keep.map((i) => shape[i]);
  let st = strides.map((s) => keep.map((i) => s[i]));
  for (let i = dims.length - 1; i > 0; i--) {
    if (st.every((s) => s[i - 1] === s[i] * dims[i])) {
      dims[i - 1] *= dims[i];
      st = st.map((s) => { s[i - 1] = s[i]; s.splice(i, 1); return s; });
      dims.splice(i, 1);
    }
  }
  if (dims.length === 0) { dims = [1]; st = st.map(() => [1]); }
  return [dims, st];
}

function binaryOp(op: keyof typeof BinaryOp): OpDef {
  return {
    infer: (c) => [broadcastShapes(c, need(c, 0), need(c, 1))],
    prepare(c, [out], rt) {
      if (sizeOf(out) === 0) return { scratch: 0, run() {} };
      const [dims, [sa, sb]] = coalesce(out, broadcastStrides(need(c, 0), out), broadcastStrides(need(c, 1), out));
      const shapePtr = rt.planInts(dims);
      const aPtr = rt.planInts(sa);
      const bPtr = rt.planInts(sb);
      const code = BinaryOp[op];
      return { scratch: 0, run: (io) => rt.k.f32_binary(code, dims.length, shapePtr.ptr, io.inputs[0], aPtr.ptr, io.inputs[1], bPtr.ptr, io.outputs[0]) };
    },
  };
}

export const binaryOps: Record<string, OpDef> = {
  Add: binaryOp("add"), Sub: binaryOp("sub"), Mul: binaryOp("mul"), Div: binaryOp("div"),
  Max: binaryOp("max"), Min: binaryOp("min"), Pow: binaryOp("pow"),
};

function softmax(log: number): OpDef {
  return {
    infer: sameShape,
    prepare(c, [shape], rt: Runtime) {
      const axis = normAxis(c, int(c, "axis", -1), shape.length);
      const outer = sizeOf(shape.slice(0, axis)), len = shape[axis] ?? 1, inner = sizeOf(shape.slice(axis + 1));
      return { scratch: 0, run: (io) => rt.k.f32_softmax(outer, len, inner, io.inputs[0], io.outputs[0], log) };
    },
  };
}
export const softmaxOps: Record<string, OpDef> = { Softmax: softmax(0), LogSoftmax: softmax(1) };
