// What the ONNX → other-runtime translators of bench/peers share (tfjs-from-onnx.mjs, tflite-from-onnx.mjs): node
// attributes, initializer data, convolution geometry and the plan of which nodes fold into a Conv/Gemm/MatMul.
import onnxProto from "onnx-proto";

export const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

export const range = (a, b) => Array.from({ length: b - a }, (_, i) => a + i);
export const prod = (xs) => xs.reduce((a, b) => a * b, 1);

export function attrs(node) {
  const out = {};
  for (const a of node.attribute) {
    const T = onnx.AttributeProto.AttributeType;
    out[a.name] = a.type === T.FLOAT ? a.f : a.type === T.INT ? Number(a.i) : a.type === T.STRING ? new TextDecoder().decode(a.s)
      : a.type === T.TENSOR ? a.t : a.type === T.FLOATS ? [...a.floats] : a.type === T.INTS ? a.ints.map(Number) : undefined;
  }
  return out;
}

/**
 * A TensorProto's data as { data, dims, float }: Float32Array, or Int32Array for int64/int32 (neither tfjs nor
 * LiteRT.js takes int64 tensors), clamped (Slice ends use INT64_MAX).
 */
export function protoData(p) {
  const raw = p.rawData?.length ? new Uint8Array(p.rawData) : null; // a copy: raw bytes may be unaligned (and a Buffer's slice is no copy)
  const clamp = (x) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Number(x)));
  const dims = p.dims.map(Number);
  if (p.dataType === DT.FLOAT) return { data: raw ? new Float32Array(raw.buffer) : Float32Array.from(p.floatData), dims, float: true };
  if (p.dataType === DT.INT64) return { data: Int32Array.from(raw ? new BigInt64Array(raw.buffer) : p.int64Data.map((x) => (typeof x === "object" ? x.toString() : x)), clamp), dims, float: false };
  if (p.dataType === DT.INT32) return { data: raw ? new Int32Array(raw.buffer) : Int32Array.from(p.int32Data), dims, float: false };
  throw new Error(`tensor '${p.name}': data type ${p.dataType} not covered`);
}

/** 1-D attributes (kernel, strides, pads) spread over 2-D with a unit height; pads as [top, left, bottom, right]. */
export function geometry(a, k) {
  const oneD = k.length === 1, d = k.length, p = a.pads ?? Array(2 * d).fill(0);
  if (a.auto_pad && a.auto_pad !== "NOTSET") throw new Error(`auto_pad ${a.auto_pad} not covered`);
  const two = (xs) => (oneD ? [1, xs[0]] : xs);
  return { oneD, k: two(k), strides: two(a.strides ?? Array(d).fill(1)), dilations: two(a.dilations ?? Array(d).fill(1)), pads: oneD ? [0, p[0], 0, p[1]] : p };
}

/**
 * Which nodes fold into a linear node before them (`linear`: op types): a constant bias Add after a MatMul with a
 * 2-D constant weight, then an activation (`activations` of relu, relu6 = Clip(0, 6), sigmoid), each only when it is
 * the single reader of the value. The linear node takes over the last output name. `constant(name)` gives a value
 * known at load as { dims, data } (data may be a getter), or undefined.
 * Returns { fused: Map(node → { bias?: initializer name, activation? }), dropped: Set(node) }.
 */
export function planFusion(graph, constant, { linear = ["Conv", "Gemm", "MatMul"], activations = ["relu", "relu6", "sigmoid"] } = {}) {
  const readers = new Map();
  for (const n of graph.node) for (const i of n.input) readers.set(i, [...(readers.get(i) ?? []), n]);
  const outputs = new Set(graph.output.map((o) => o.name));
  const sole = (name) => (!outputs.has(name) && readers.get(name)?.length === 1 ? readers.get(name)[0] : undefined);
  const scalar = (name, dflt) => { const v = name ? constant(name) : undefined; return name ? v && prod(v.dims) === 1 && v.data[0] : dflt; };
  const activation = (n) => {
    const act = n?.opType === "Relu" ? "relu" : n?.opType === "Sigmoid" ? "sigmoid"
      : n?.opType === "Clip" && scalar(n.input[1], -Infinity) === 0 && scalar(n.input[2], Infinity) === 6 ? "relu6" : undefined;
    return activations.includes(act) ? act : undefined;
  };
  const fused = new Map(), dropped = new Set();
  for (const node of graph.node) {
    if (!linear.includes(node.opType) || dropped.has(node)) continue;
    const f = {};
    let next = sole(node.output[0]);
    const w = constant(node.input[1]);
    if (node.opType === "MatMul" && w?.dims.length === 2 && next?.opType === "Add") {
      const name = next.input.find((i) => i !== node.output[0]), b = constant(name);
      if (b && prod(b.dims) === w.dims[1] && b.dims.length <= 1) { f.bias = name; dropped.add(next); node.output[0] = next.output[0]; next = sole(next.output[0]); }
    }
    const act = activation(next);
    if (act) { f.activation = act; dropped.add(next); node.output[0] = next.output[0]; }
    fused.set(node, f);
  }
  return { fused, dropped };
}
