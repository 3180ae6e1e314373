// ONNX → .tflite, in memory, so that LiteRT.js (XNNPACK in wasm) runs the same architectures with the same weights
// as the ONNX runtimes. The flatbuffer is laid out the way the TFLite converter lays out a PyTorch model for XNNPACK:
// activations NHWC inside the graph (the model keeps PyTorch's NCHW input and output: a TRANSPOSE at each end, as
// PyTorch-to-TFLite converters emit), CONV_2D filters OHWI, depthwise filters [1, H, W, C·multiplier],
// FULLY_CONNECTED weights [out, in], bias and RELU/RELU6 fused into CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and
// ADD, explicit paddings that are not TensorFlow's SAME as a PAD before a VALID op, Conv1D as CONV_2D of height 1,
// layer norm as MEAN / SUB / MUL / MEAN / ADD / RSQRT / MUL / MUL / ADD, LSTM and GRU unrolled over their time steps
// (see recurrent(): LiteRT.js cannot load the fused LSTM op).
//
//   const { tflite, inputs, outputs } = onnxToTflite(bytes, sampleFeeds); // feeds: { name: { data, shape, dtype } }
//   inputs: [{ name, shape, dtype: "float32" | "int32" }]   (int64 ids become an int32 input: LiteRT.js has no int64)
//
// Shapes are fixed by sampleFeeds (batch 1, as the other runtimes are timed). Values that do not depend on the input
// data (weights, Constant nodes, Shape → Gather → Concat chains) are folded at conversion, as tfjs-from-onnx.mjs does
// at load. An op outside the table throws "op X not covered"; the caller reports the model as not run.
import * as flatbuffers from "flatbuffers";
import { attrs, geometry, onnx, planFusion, prod, protoData, range } from "./onnx-graph.mjs";

// schema.fbs (tensorflow/compiler/mlir/lite/schema/schema.fbs): BuiltinOperator codes, BuiltinOptions union indices.
const OP = { SPLIT: 49, UNPACK: 88, SPLIT_V: 102, ADD: 0, AVERAGE_POOL_2D: 1, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, FULLY_CONNECTED: 9, LOGISTIC: 14, MAX_POOL_2D: 17, MUL: 18, RELU: 19, RELU6: 21, RESHAPE: 22, SOFTMAX: 25, TANH: 28, PAD: 34, GATHER: 36, TRANSPOSE: 39, MEAN: 40, SUB: 41, DIV: 42, STRIDED_SLICE: 45, EXP: 47, MAXIMUM: 55, MINIMUM: 57, NEG: 59, PADV2: 60, SQRT: 75, RSQRT: 76, POW: 78, REDUCE_MAX: 82, BATCH_MATMUL: 126, BROADCAST_TO: 130 };
const OPT = { Split: 35, Unpack: 64, SplitV: 79, Conv2D: 1, DepthwiseConv2D: 2, Pool2D: 5, FullyConnected: 8, Softmax: 9, Concatenation: 10, Add: 11, Reshape: 17, Mul: 21, Gather: 23, Transpose: 26, Reducer: 27, Sub: 28, Div: 29, StridedSlice: 32, BatchMatMul: 101 };
const TYPE = { float32: 0, int32: 2 };
const SAME = 0, VALID = 1;
const ACT = { relu: 1, relu6: 3, tanh: 4 };

/** The model being written: tensors, constant buffers, operators, as plain objects until serialize(). */
class Tflite {
  tensors = []; buffers = [null]; ops = []; codes = [];
  tensor(shape, type = "float32", data = null, name = `t${this.tensors.length}`) {
    let buffer = 0;
    if (data) { buffer = this.buffers.length; this.buffers.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)); }
    this.tensors.push({ shape: shape.map(Number), type: TYPE[type], buffer, name });
    return this.tensors.length - 1;
  }
  const(data, shape) { return this.tensor(shape, data instanceof Float32Array ? "float32" : "int32", data); }
  ints(xs) { return this.const(Int32Array.from(xs), [xs.length]); }
  /** One operator; options: [optionsType, [[slot, kind, value], ...]] with kinds i8, i32, f32, ivec. */
  op(code, inputs, outputs, options) {
    if (!this.codes.includes(code)) this.codes.push(code);
    this.ops.push({ opcode: this.codes.indexOf(code), inputs, outputs, options });
  }
}

/** The flatbuffer (field slots of schema.fbs; a union takes two: its type, then its table). */
function serialize(m, inputs, outputs, names) {
  const weights = m.buffers.reduce((a, d) => a + (d?.byteLength ?? 0) + 16, 0);
  const b = new flatbuffers.Builder(weights + (1 << 20));
  b.forceDefaults(true);
  const ivec = (xs) => { b.startVector(4, xs.length, 4); for (let i = xs.length - 1; i >= 0; i--) b.addInt32(xs[i]); return b.endVector(); };
  const ovec = (xs) => { b.startVector(4, xs.length, 4); for (let i = xs.length - 1; i >= 0; i--) b.addOffset(xs[i]); return b.endVector(); };
  const table = (fields) => { // fields: [slot, kind, value]; offsets (strings, vectors) are made before startObject
    const offs = fields.map(([, kind, v]) => (kind === "ivec" ? ivec(v) : kind === "str" ? b.createString(v) : kind === "vec" ? v : null));
    b.startObject(1 + Math.max(-1, ...fields.map((f) => f[0])));
    fields.forEach(([slot, kind, v], i) => {
      if (offs[i] !== null) b.addFieldOffset(slot, offs[i], 0);
      else if (kind === "i8") b.addFieldInt8(slot, Number(v), 0);
      else if (kind === "i32") b.addFieldInt32(slot, v, 0);
      else if (kind === "f32") b.addFieldFloat32(slot, v, 0);
      else throw new Error(`field kind ${kind}`);
    });
    return b.endObject();
  };
  const buffers = m.buffers.map((d) => {
    if (!d) return table([]);
    b.startVector(1, d.byteLength, 16); // Buffer.data is (force_align: 16): XNNPACK reads weights in place
    b.bb.setPosition((b.space -= d.byteLength));
    b.bb.bytes().set(d, b.space);
    return table([[0, "vec", b.endVector()]]);
  });
  const tensors = m.tensors.map((t) => table([[0, "ivec", t.shape], [1, "i8", t.type], [2, "i32", t.buffer], [3, "str", t.name], [8, "i8", 1]]));
  const ops = m.ops.map((o) => {
    const opts = o.options ? table(o.options[1]) : null;
    return table([[0, "i32", o.opcode], [1, "ivec", o.inputs], [2, "ivec", o.outputs], ...(o.options ? [[3, "i8", o.options[0]], [4, "vec", opts]] : [])]);
  });
  const subgraph = table([[0, "vec", ovec(tensors)], [1, "ivec", inputs], [2, "ivec", outputs], [3, "vec", ovec(ops)], [4, "str", "main"]]);
  const codes = m.codes.map((c) => table([[0, "i8", Math.min(c, 127)], [2, "i32", 1], [3, "i32", c]]));
  const tmap = (ts, ns) => ovec(ts.map((t, i) => table([[0, "str", ns[i]], [1, "i32", t]])));
  const signature = table([[0, "vec", tmap(inputs, names.inputs)], [1, "vec", tmap(outputs, names.outputs)], [2, "str", "serving_default"], [4, "i32", 0]]);
  const model = table([[0, "i32", 3], [1, "vec", ovec(codes)], [2, "vec", ovec([subgraph])], [3, "str", "edgenn bench/peers/tflite-from-onnx.mjs"], [4, "vec", ovec(buffers)], [7, "vec", ovec([signature])]]);
  b.finish(model, "TFL3");
  return b.asUint8Array();
}

// ------------------------------------------------------------------------------------------------
// Values. A static value is known at conversion: { data, dims, float } (no tensor until an op reads it). A dynamic
// one is { t (tensor index), shape (as stored), cl, float }: cl = channels-last, ONNX [N, C, ...spatial] stored as
// [N, ...spatial, C].

const logical = (v) => (v.data ? v.dims : v.cl ? [v.shape[0], v.shape.at(-1), ...v.shape.slice(1, -1)] : v.shape);
const clPerm = (r) => [0, ...range(2, r), 1];
const plainPerm = (r) => [0, r - 1, ...range(1, r - 1)];

/** A static array's data transposed (numpy's transpose(perm)). */
function transposeData(data, dims, perm) {
  const out = new data.constructor(data.length), od = perm.map((p) => dims[p]), r = dims.length;
  const stride = dims.map((_, i) => prod(dims.slice(i + 1))), ostride = perm.map((p) => stride[p]);
  const idx = new Array(r).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < r; i++) src += idx[i] * ostride[i];
    out[o] = data[src];
    for (let i = r - 1; i >= 0 && ++idx[i] === od[i]; i--) idx[i] = 0;
  }
  return { data: out, dims: od, float: data instanceof Float32Array };
}

/** Element-wise with numpy broadcasting on static arrays (shape arithmetic, constant folding). */
function broadcastData(x, y, f) {
  const r = Math.max(x.dims.length, y.dims.length), pad = (d) => [...Array(r - d.length).fill(1), ...d];
  const xd = pad(x.dims), yd = pad(y.dims), od = xd.map((d, i) => Math.max(d, yd[i]));
  const float = x.float || y.float, out = new (float ? Float32Array : Int32Array)(prod(od));
  const at = (dims, idx) => idx.reduce((a, k, i) => a * dims[i] + (dims[i] === 1 ? 0 : k), 0);
  const idx = new Array(r).fill(0);
  for (let o = 0; o < out.length; o++) {
    out[o] = f(x.data[at(xd, idx)], y.data[at(yd, idx)], float);
    for (let i = r - 1; i >= 0 && ++idx[i] === od[i]; i--) idx[i] = 0;
  }
  return { data: out, dims: od, float };
}

/** The ops evaluated at conversion when all their inputs are static (and Shape: shapes are fixed). */
const STATIC = {
  Identity: ([x]) => x,
  Dropout: ([x]) => x,
  Shape: ([x]) => ({ data: Int32Array.from(logical(x)), dims: [logical(x).length], float: false }),
  Cast: ([x], a) => { const float = a.to === onnx.TensorProto.DataType.FLOAT; return { data: float ? Float32Array.from(x.data) : Int32Array.from(x.data, Math.trunc), dims: x.dims, float }; },
  Add: ([x, y]) => broadcastData(x, y, (p, q) => p + q),
  Sub: ([x, y]) => broadcastData(x, y, (p, q) => p - q),
  Mul: ([x, y]) => broadcastData(x, y, (p, q) => p * q),
  Div: ([x, y]) => broadcastData(x, y, (p, q, float) => (float ? p / q : Math.trunc(p / q))),
  Sqrt: ([x]) => ({ ...x, data: x.data.map(Math.sqrt) }),
  Unsqueeze: ([x, ax], a) => {
    const axes = ax ? [...ax.data] : a.axes, dims = [...x.dims], r = dims.length + axes.length;
    for (const d of axes.map((d) => (d < 0 ? d + r : d)).sort((p, q) => p - q)) dims.splice(d, 0, 1);
    return { ...x, dims };
  },
  Squeeze: ([x, ax], a) => { const axes = (ax ? [...ax.data] : a.axes)?.map((d) => (d < 0 ? d + x.dims.length : d)); return { ...x, dims: x.dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)) }; },
  Reshape: ([x, s], a) => ({ ...x, dims: reshapeDims(x.dims, [...s.data], a) }),
  Concat: (xs, a) => {
    const r = xs[0].dims.length, ax = a.axis < 0 ? a.axis + r : a.axis;
    const outer = prod(xs[0].dims.slice(0, ax)), parts = xs.map((x) => prod(x.dims.slice(ax)));
    const out = new xs[0].data.constructor(outer * parts.reduce((p, q) => p + q, 0));
    let o = 0;
    for (let i = 0; i < outer; i++) xs.forEach((x, j) => { out.set(x.data.subarray(i * parts[j], (i + 1) * parts[j]), o); o += parts[j]; });
    return { data: out, dims: [...xs[0].dims.slice(0, ax), xs.reduce((p, x) => p + x.dims[ax], 0), ...xs[0].dims.slice(ax + 1)], float: xs[0].float };
  },
  Gather: ([x, i], a) => {
    const ax = (a.axis ?? 0) < 0 ? a.axis + x.dims.length : a.axis ?? 0, n = x.dims[ax];
    const outer = prod(x.dims.slice(0, ax)), inner = prod(x.dims.slice(ax + 1)), ids = [...i.data].map((k) => (k < 0 ? k + n : k));
    const out = new x.data.constructor(outer * ids.length * inner);
    for (let o = 0; o < outer; o++) ids.forEach((k, j) => out.set(x.data.subarray((o * n + k) * inner, (o * n + k + 1) * inner), (o * ids.length + j) * inner));
    return { data: out, dims: [...x.dims.slice(0, ax), ...i.dims, ...x.dims.slice(ax + 1)], float: x.float };
  },
  Transpose: ([x], a) => transposeData(x.data, x.dims, a.perm ?? range(0, x.dims.length).reverse()),
  Expand: ([x, s]) => broadcastData(x, { data: new Int32Array(prod([...s.data])), dims: [...s.data], float: false }, (p) => p),
  Slice: ([x, ...bounds], a) => {
    const [starts, ends, axes, steps] = [0, 1, 2, 3].map((i) => (bounds[i] ? [...bounds[i].data] : [a.starts, a.ends, a.axes][i]));
    const r = x.dims.length, lo = x.dims.map(() => 0), step = x.dims.map(() => 1), od = [...x.dims];
    (axes ?? starts.map((_, i) => i)).forEach((ax, i) => {
      ax = ax < 0 ? ax + r : ax;
      const n = x.dims[ax], s = steps?.[i] ?? 1;
      if (s < 1) throw new Error("Slice with negative steps not covered");
      const clampI = (v) => Math.min(n, Math.max(0, v < 0 ? v + n : v));
      lo[ax] = clampI(starts[i]); step[ax] = s; od[ax] = Math.max(0, Math.ceil((clampI(ends[i]) - lo[ax]) / s));
    });
    const out = new x.data.constructor(prod(od)), stride = x.dims.map((_, i) => prod(x.dims.slice(i + 1))), idx = new Array(r).fill(0);
    for (let o = 0; o < out.length; o++) {
      out[o] = x.data[idx.reduce((acc, k, i) => acc + (lo[i] + k * step[i]) * stride[i], 0)];
      for (let i = r - 1; i >= 0 && ++idx[i] === od[i]; i--) idx[i] = 0;
    }
    return { data: out, dims: od, float: x.float };
  },
  ConstantOfShape: ([s], a) => { const v = a.value ? protoData(a.value) : { data: new Float32Array([0]), float: true }; return { data: new v.data.constructor(prod([...s.data])).fill(v.data[0]), dims: [...s.data], float: v.float }; },
};
/** ONNX Reshape's target (0 copies the input dim unless allowzero, -1 is inferred). */
function reshapeDims(dims, shape, a = {}) {
  const out = shape.map((d, i) => (d === 0 && !a.allowzero ? dims[i] : d)), known = prod(out.filter((d) => d !== -1));
  return out.map((d) => (d === -1 ? prod(dims) / known : d));
}

// ------------------------------------------------------------------------------------------------

export function onnxToTflite(bytes, sampleFeeds) {
  const graph = onnx.ModelProto.decode(bytes).graph;
  const m = new Tflite();
  const env = new Map();
  for (const init of graph.initializer) env.set(init.name, protoData(init));
  for (const n of graph.node) if (n.opType === "Constant") env.set(n.output[0], protoData(attrs(n).value));
  const fusion = planFusion(graph, (n) => env.get(n)?.data && env.get(n), { linear: ["Conv", "Gemm", "MatMul", "Add"], activations: ["relu", "relu6"] });
  const rsqrt = layerNormPlan(graph);
  const used = new Set([...graph.node.flatMap((n) => n.input), ...graph.output.map((o) => o.name)]); // names some node reads

  const materialized = new Map(); // static value → its tensor, once per layout
  const h = {
    m,
    /** The tensor of a value as stored (a static one becomes a constant tensor once). */
    t(v) {
      if (!v.data) return v.t;
      if (!materialized.has(v)) materialized.set(v, m.const(v.data, v.dims));
      return materialized.get(v);
    },
    emit(code, inputs, shape, options, { cl = false, float = true } = {}) {
      const t = m.tensor(shape, float ? "float32" : "int32");
      m.op(code, inputs, [t], options);
      return { t, shape, cl, float };
    },
    /** The value in ONNX layout: a TRANSPOSE back from channels-last (a RESHAPE when the spatial dims are all 1). */
    plain(v) {
      if (v.data || !v.cl) return v;
      const s = logical(v);
      if (s.slice(2).every((d) => d === 1)) return h.emit(OP.RESHAPE, [v.t, m.ints(s)], s, [OPT.Reshape, [[0, "ivec", s]]], { float: v.float });
      return h.emit(OP.TRANSPOSE, [v.t, m.ints(plainPerm(s.length))], s, [OPT.Transpose, []], { float: v.float });
    },
    /** The value channels-last at rank r (lower ranks broadcast as in ONNX, so are padded with leading 1s first). */
    cl(v, r = logical(v).length) {
      if (v.cl) return v;
      const s0 = logical(v), s = [...Array(r - s0.length).fill(1), ...s0];
      if (v.data) return ((v.clAt ??= {})[r] ??= { ...transposeData(v.data, s, clPerm(r)), clOf: v }); // once per constant
      const out = clPerm(r).map((p) => s[p]);
      if (s.slice(2).every((d) => d === 1) || s[1] === 1) return { ...h.emit(OP.RESHAPE, [v.t, m.ints(out)], out, [OPT.Reshape, [[0, "ivec", out]]], v), cl: true };
      if (r !== s0.length) v = h.emit(OP.RESHAPE, [v.t, m.ints(s)], s, [OPT.Reshape, [[0, "ivec", s]]], v);
      return { ...h.emit(OP.TRANSPOSE, [v.t, m.ints(clPerm(r))], out, [OPT.Transpose, []], v), cl: true };
    },
    reshape(v, shape) {
      const p = h.plain(v);
      return h.emit(OP.RESHAPE, [h.t(p), m.ints(shape)], shape, [OPT.Reshape, [[0, "ivec", shape]]], { float: p.float });
    },
    /** Where logical axis a of a value lives in its stored tensor. */
    axis(v, a) { const r = logical(v).length; a = a < 0 ? a + r : a; return !v.cl || a === 0 ? a : a === 1 ? r - 1 : a - 1; },
  };

  const inputs = [], names = { inputs: [], outputs: [] };
  for (const i of graph.input) {
    if (env.has(i.name)) continue;
    const f = sampleFeeds[i.name], dtype = f.dtype === "float32" ? "float32" : "int32";
    const t = m.tensor(f.shape, dtype, null, i.name);
    env.set(i.name, { t, shape: [...f.shape], cl: false, float: dtype === "float32" });
    inputs.push({ name: i.name, shape: [...f.shape], dtype, t });
  }

  for (const node of graph.node) {
    if (node.opType === "Constant" || fusion.dropped.has(node)) continue;
    const a = attrs(node), ins = node.input.map((n) => (n ? env.get(n) : undefined));
    let outs;
    if (STATIC[node.opType] && (node.opType === "Shape" || ins.every((v) => !v || v.data))) outs = [STATIC[node.opType](ins, a)];
    else {
      const op = OPS[node.opType];
      if (!op) throw new Error(`op ${node.opType} not covered`);
      outs = [op(h, ins, a, { node, fused: fusion.fused.get(node) ?? {}, rsqrt, env, used })].flat();
    }
    outs.forEach((v, i) => v && env.set(node.output[i], v));
  }

  const outputs = graph.output.map((o) => {
    const v = h.plain(env.get(o.name));
    names.outputs.push(o.name);
    return h.t(v);
  });
  names.inputs = inputs.map((i) => i.name);
  const tflite = serialize(m, inputs.map((i) => i.t), outputs, names);
  return { tflite, inputs: inputs.map(({ name, shape, dtype }) => ({ name, shape, dtype })), outputs: names.outputs, ops: m.ops.length };
}

/** Sqrt nodes read only as a Div's divisor: written as RSQRT and the Div as a MUL (the converter's layer norm). */
function layerNormPlan(graph) {
  const readers = new Map();
  for (const n of graph.node) for (const i of n.input) readers.set(i, [...(readers.get(i) ?? []), n]);
  const out = new Set();
  for (const n of graph.node) {
    const r = readers.get(n.output[0]);
    if (n.opType === "Sqrt" && r?.length === 1 && r[0].opType === "Div" && r[0].input[1] === n.output[0]) out.add(n).add(r[0]);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Dynamic ops: (h, inputs, attributes, { node, fused, rsqrt }) → value(s).

/** TFLite padding for a window op: VALID, SAME when ONNX's pads are TensorFlow's SAME pads, else explicit pads. */
function padding(hw, g) {
  const same = hw.map((n, i) => {
    const eff = (g.k[i] - 1) * g.dilations[i] + 1, out = Math.ceil(n / g.strides[i]), total = Math.max(0, (out - 1) * g.strides[i] + eff - n);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
  const [t, l, b, r] = g.pads;
  if (!t && !l && !b && !r) return { mode: VALID };
  if (t === same[0][0] && b === same[0][1] && l === same[1][0] && r === same[1][1]) return { mode: SAME };
  return { mode: VALID, pads: [[0, 0], [t, b], [l, r], [0, 0]] };
}
const outSize = (n, k, s, d, p0, p1) => Math.floor((n + p0 + p1 - ((k - 1) * d + 1)) / s) + 1;

/** NHWC 4-D view of a channels-last 1-D or 2-D value, and back (Conv1D runs as CONV_2D of height 1). */
function to4d(h, v) {
  const x = h.cl(v);
  return x.shape.length === 3 ? { ...h.emit(OP.RESHAPE, [x.t, h.m.ints([x.shape[0], 1, ...x.shape.slice(1)])], [x.shape[0], 1, ...x.shape.slice(1)], [OPT.Reshape, [[0, "ivec", [x.shape[0], 1, ...x.shape.slice(1)]]]]), cl: true } : x;
}
function from4d(h, v, oneD) {
  if (!oneD) return { ...v, cl: true };
  const s = [v.shape[0], v.shape[2], v.shape[3]];
  return { ...h.emit(OP.RESHAPE, [v.t, h.m.ints(s)], s, [OPT.Reshape, [[0, "ivec", s]]]), cl: true };
}
function explicitPad(h, x, pads, value) {
  const shape = x.shape.map((d, i) => d + pads[i][0] + pads[i][1]), p = h.m.const(Int32Array.from(pads.flat()), [4, 2]);
  if (value === undefined) return { ...h.emit(OP.PAD, [x.t, p], shape, [22, []]), cl: true };
  return { ...h.emit(OP.PADV2, [x.t, p, h.m.const(new Float32Array([value]), [])], shape, [43, []]), cl: true };
}

function conv(h, [x, W, B], a, { fused }) {
  if (!W?.data) throw new Error("Conv weight from a computed value not covered");
  const [O, Ig] = W.dims, g = geometry(a, W.dims.slice(2)), group = a.group ?? 1, [kh, kw] = g.k;
  let xt = to4d(h, x);
  const [N, H, Wd, C] = xt.shape;
  const pad = padding([H, Wd], g);
  if (pad.pads) xt = explicitPad(h, xt, pad.pads);
  const w4 = { data: W.data, dims: [O, Ig, kh, kw] };
  let filter, code, options;
  const act = ACT[fused.activation] ?? 0;
  if (group === 1) {
    filter = transposeData(w4.data, w4.dims, [0, 2, 3, 1]); // OIHW → OHWI
    code = OP.CONV_2D;
    options = [OPT.Conv2D, [[0, "i8", pad.mode], [1, "i32", g.strides[1]], [2, "i32", g.strides[0]], [3, "i8", act], [4, "i32", g.dilations[1]], [5, "i32", g.dilations[0]]]];
  } else if (Ig === 1 && group === C) {
    filter = transposeData(w4.data, [1, O, kh, kw], [0, 2, 3, 1]); // [C·mult, 1, H, W] → [1, H, W, C·mult]
    code = OP.DEPTHWISE_CONV_2D;
    options = [OPT.DepthwiseConv2D, [[0, "i8", pad.mode], [1, "i32", g.strides[1]], [2, "i32", g.strides[0]], [3, "i32", O / group], [4, "i8", act], [5, "i32", g.dilations[1]], [6, "i32", g.dilations[0]]]];
  } else throw new Error(`grouped Conv (group ${group}, ${Ig} channels per group) not covered`);
  const bias = B ? B.data : new Float32Array(O); // XNNPACK takes a zero bias as readily as none
  const ph = pad.mode === SAME ? Math.ceil(H / g.strides[0]) : outSize(xt.shape[1], kh, g.strides[0], g.dilations[0], 0, 0);
  const pw = pad.mode === SAME ? Math.ceil(Wd / g.strides[1]) : outSize(xt.shape[2], kw, g.strides[1], g.dilations[1], 0, 0);
  const y = h.emit(code, [xt.t, h.m.const(filter.data, filter.dims), h.m.const(bias, [O])], [N, ph, pw, O], options);
  return from4d(h, y, g.oneD);
}

const pool = (kind) => (h, [x], a) => {
  const g = geometry(a, a.kernel_shape);
  let xt = to4d(h, x);
  const [N, H, Wd, C] = xt.shape;
  let pad = padding([H, Wd], g);
  if (a.ceil_mode) { // pad the end so that the last (partial) window exists; pools ignore padded positions
    const extra = [0, 1].map((i) => {
      const size = xt.shape[1 + i] + g.pads[i] + g.pads[i + 2], s = g.strides[i];
      let out = Math.ceil((size - g.k[i]) / s) + 1;
      if ((out - 1) * s >= xt.shape[1 + i] + g.pads[i]) out--;
      return Math.max(0, (out - 1) * s + g.k[i] - size);
    });
    if (extra.some((e) => e)) pad = { mode: VALID, pads: [[0, 0], [g.pads[0], g.pads[2] + extra[0]], [g.pads[1], g.pads[3] + extra[1]], [0, 0]], ceil: true };
  }
  if (pad.pads) {
    if (kind === "avg" && (!a.count_include_pad || pad.ceil)) throw new Error("AveragePool with padding that is not SAME not covered");
    xt = explicitPad(h, xt, pad.pads, kind === "max" ? -3.4028234663852886e38 : undefined);
  }
  const [, ph0, pw0] = xt.shape;
  const oh = pad.mode === SAME ? Math.ceil(H / g.strides[0]) : outSize(ph0, g.k[0], g.strides[0], 1, 0, 0);
  const ow = pad.mode === SAME ? Math.ceil(Wd / g.strides[1]) : outSize(pw0, g.k[1], g.strides[1], 1, 0, 0);
  const y = h.emit(kind === "max" ? OP.MAX_POOL_2D : OP.AVERAGE_POOL_2D, [xt.t], [N, oh, ow, C],
    [OPT.Pool2D, [[0, "i8", pad.mode], [1, "i32", g.strides[1]], [2, "i32", g.strides[0]], [3, "i32", g.k[1]], [4, "i32", g.k[0]], [5, "i8", 0]]]);
  return from4d(h, y, g.oneD);
};

const globalPool = (code) => (h, [x]) => {
  const v = h.cl(x), r = v.shape.length, axes = range(1, r - 1);
  return { ...h.emit(code, [v.t, h.m.ints(axes)], v.shape.map((d, i) => (axes.includes(i) ? 1 : d)), [OPT.Reducer, [[0, "i8", 1]]]), cl: true };
};

/** FULLY_CONNECTED: x · wᵀ + bias with w [out, in] (TFLite's layout); keep_num_dims for a rank > 2 input. */
function fullyConnected(h, x, w, bias, activation) {
  const p = h.plain(x), s = p.shape, out = [...s.slice(0, -1), w.dims[0]];
  return h.emit(OP.FULLY_CONNECTED, [h.t(p), h.m.const(w.data, w.dims), bias ? h.m.const(Float32Array.from(bias), [w.dims[0]]) : -1], out,
    [OPT.FullyConnected, [[0, "i8", ACT[activation] ?? 0], [1, "i8", 0], [2, "i8", s.length > 2 ? 1 : 0]]]);
}

function gemm(h, [x, B, C], a, { fused }) {
  if (a.transA || !B?.data) throw new Error("Gemm with transA or a computed B not covered");
  let w = a.transB ? { data: B.data, dims: B.dims } : transposeData(B.data, B.dims, [1, 0]);
  if ((a.alpha ?? 1) !== 1) w = { data: w.data.map((v) => v * a.alpha), dims: w.dims };
  let bias = C ? C.data : undefined;
  if (C && ((a.beta ?? 1) !== 1)) bias = bias.map((v) => v * a.beta);
  if (C && prod(C.dims) !== w.dims[0]) throw new Error("Gemm with a C that is not a bias vector not covered");
  return fullyConnected(h, x, w, bias, fused.activation);
}

function matMul(h, [x, y], a, { fused, env }) {
  if (y.data && y.dims.length === 2) return fullyConnected(h, x, transposeData(y.data, y.dims, [1, 0]), fused.bias && env.get(fused.bias).data, fused.activation);
  const p = h.plain(x), q = h.plain(y);
  if (fused.activation) throw new Error("MatMul of two computed values with an activation not covered");
  const out = [...p.shape.slice(0, -1), q.shape.at(-1)];
  return h.emit(OP.BATCH_MATMUL, [h.t(p), h.t(q)], out, [OPT.BatchMatMul, [[0, "i8", 0], [1, "i8", 0]]]);
}

/** Element-wise with broadcasting; channels-last if either side is (the other is brought to that layout). */
const binary = (opCode, opType, { fusable = false } = {}) => (h, [x, y], a, ctx) => {
  const rsqrt = opCode === OP.DIV && ctx.rsqrt?.has(ctx.node); // x / sqrt(v) → x · rsqrt(v)
  const code = rsqrt ? OP.MUL : opCode, optType = rsqrt ? OPT.Mul : opType;
  let p = x, q = y;
  if (x.cl || y.cl) { const r = Math.max(logical(x).length, logical(y).length); p = h.cl(x, r); q = h.cl(y, r); }
  const ps = p.data ? p.dims : p.shape, qs = q.data ? q.dims : q.shape, r = Math.max(ps.length, qs.length);
  const pad = (s) => [...Array(r - s.length).fill(1), ...s], out = pad(ps).map((d, i) => Math.max(d, pad(qs)[i]));
  const act = fusable ? ACT[ctx.fused.activation] ?? 0 : 0;
  if (ctx.fused.activation && !fusable) throw new Error("activation fused into a non-ADD op");
  return h.emit(code, [h.t(p), h.t(q)], out, [optType, [[0, "i8", act]]], { cl: !!(p.cl || q.cl || p.clOf || q.clOf), float: p.float || q.float });
};
const unary = (code, optType) => (h, [x]) => h.emit(code, [h.t(x)], x.shape, optType ? [optType, []] : undefined, x);

/**
 * ONNX LSTM (gates i, o, f, c) and GRU (z, r, h; linear_before_reset) over [T, B, I], unrolled over the (fixed)
 * time steps, as a PyTorch-to-TFLite export of a static-length RNN is: the input projection of all steps is one
 * FULLY_CONNECTED, then per step a FULLY_CONNECTED of the state, SPLIT_V / SPLIT of the gates, LOGISTIC, TANH, MUL,
 * ADD. The fused UNIDIRECTIONAL_SEQUENCE_LSTM op is no option: it keeps its state in variable tensors, which
 * LiteRT.js 2.5.3's loader refuses (model_load.cc: "Variable tensors not yet supported"); GRU has no builtin.
 * Zero initial state only. Y is [T, directions, B, H]; Y_h is built only when something reads it.
 */
const recurrent = (kind) => (h, [x, W, R, B, seqLens, h0, c0, P], a, { node, used }) => {
  const G = kind === "LSTM" ? 4 : 3, H = a.hidden_size, zero = (v) => !v || (v.data && v.data.every((d) => d === 0));
  if ((a.layout ?? 0) !== 0 || a.activations || a.clip !== undefined || seqLens || P) throw new Error(`${kind} with layout/activations/clip/sequence_lens/peepholes not covered`);
  if (kind === "GRU" && !a.linear_before_reset) throw new Error("GRU linear_before_reset=0 not covered");
  if (![W, R, B].every((v) => !v || v.data) || !zero(h0) || !zero(c0)) throw new Error(`${kind} with computed weights or a non-zero initial state not covered`);
  if (kind === "LSTM" && used.has(node.output[2])) throw new Error("LSTM Y_c output not covered");
  const m = h.m, p = h.plain(x), [T, N, I] = p.shape, dirs = a.direction === "bidirectional" ? [0, 1] : [a.direction === "reverse" ? 1 : 0];
  const f32 = (shape) => m.tensor(shape);
  const op = (code, ins, shape, options) => { const t = f32(shape); m.op(code, ins, [t], options); return t; };
  const add = (p, q, shape = [N, H]) => op(OP.ADD, [p, q], shape, [OPT.Add, [[0, "i8", 0]]]);
  const mul = (p, q) => op(OP.MUL, [p, q], [N, H], [OPT.Mul, [[0, "i8", 0]]]);
  // Constants are made once and shared by every step (weights, split sizes, the split axis).
  const axis1 = m.const(new Int32Array([1]), []), sizes = new Map();
  const splitV = (t, ks) => { const outs = ks.map((k) => f32([N, k])); m.op(OP.SPLIT_V, [t, sizes.get(ks[0]) ?? sizes.set(ks[0], m.ints(ks)).get(ks[0]), axis1], outs, [OPT.SplitV, [[0, "i32", ks.length]]]); return outs; };
  const split = (t, n) => { const outs = range(0, n).map(() => f32([N, H])); m.op(OP.SPLIT, [axis1, t], outs, [OPT.Split, [[0, "i32", n]]]); return outs; };
  const fc = (t, w, bias, rows) => op(OP.FULLY_CONNECTED, [t, w, bias ?? -1], [rows, G * H], [OPT.FullyConnected, [[0, "i8", 0], [1, "i8", 0], [2, "i8", 0]]]);
  const part = (M, d, size) => M.data.slice(d * size, (d + 1) * size);
  const ys = [], last = [];
  for (const [d, dir] of dirs.entries()) {
    const w = part(W, d, G * H * I), r = part(R, d, G * H * H), b = B ? part(B, d, 2 * G * H) : new Float32Array(2 * G * H);
    const bw = b.slice(0, G * H), br = b.slice(G * H);
    // All steps' input projections at once (LSTM: both biases here; GRU keeps R's bias apart, it is gated by r).
    const xw = fc(h.t(h.reshape(p, [T * N, I])), m.const(w, [G * H, I]), m.const(kind === "LSTM" ? bw.map((v, i) => v + br[i]) : bw, [G * H]), T * N);
    const rt = m.const(r, [G * H, H]), brt = kind === "GRU" ? m.const(br, [G * H]) : undefined;
    const steps = range(0, T).map(() => f32([N, G * H]));
    m.op(OP.UNPACK, [op(OP.RESHAPE, [xw, m.ints([T, N, G * H])], [T, N, G * H], [OPT.Reshape, [[0, "ivec", [T, N, G * H]]]])], steps, [OPT.Unpack, [[0, "i32", T], [1, "i32", 0]]]);
    const hs = new Array(T);
    let hp = null, cp = null;
    for (let s = 0; s < T; s++) {
      const t = dir ? T - 1 - s : s;
      if (kind === "LSTM") {
        const z = hp === null ? steps[t] : add(fc(hp, rt, undefined, N), steps[t], [N, 4 * H]);
        const [iof, c] = splitV(z, [3 * H, H]);
        const [i, o, f] = split(op(OP.LOGISTIC, [iof], [N, 3 * H]), 3), g = op(OP.TANH, [c], [N, H]);
        cp = cp === null ? mul(i, g) : add(mul(f, cp), mul(i, g));
        hp = mul(o, op(OP.TANH, [cp], [N, H]));
      } else {
        const [xzr, xh] = splitV(steps[t], [2 * H, H]);
        const hr = hp === null ? m.const(Float32Array.from({ length: N * 3 * H }, (_, k) => br[k % (3 * H)]), [N, 3 * H]) : fc(hp, rt, brt, N);
        const [hzr, hh] = splitV(hr, [2 * H, H]);
        const [zg, rg] = split(op(OP.LOGISTIC, [add(xzr, hzr, [N, 2 * H])], [N, 2 * H]), 2);
        const c = op(OP.TANH, [add(xh, mul(rg, hh))], [N, H]);
        hp = hp === null ? op(OP.SUB, [c, mul(zg, c)], [N, H], [OPT.Sub, [[0, "i8", 0]]]) // (1 - z) c, h = 0
          : add(c, mul(zg, op(OP.SUB, [hp, c], [N, H], [OPT.Sub, [[0, "i8", 0]]]))); // (1 - z) c + z h
      }
      hs[t] = hp;
    }
    ys.push(op(OP.CONCATENATION, hs, [T * N, H], [OPT.Concatenation, [[0, "i32", 0], [1, "i8", 0]]]));
    last.push(hp);
  }
  const D = dirs.length, yt = (t) => op(OP.RESHAPE, [t, m.ints([T, 1, N, H])], [T, 1, N, H], [OPT.Reshape, [[0, "ivec", [T, 1, N, H]]]]);
  const Y = { t: D === 1 ? yt(ys[0]) : op(OP.CONCATENATION, ys.map(yt), [T, D, N, H], [OPT.Concatenation, [[0, "i32", 1], [1, "i8", 0]]]), shape: [T, D, N, H], cl: false, float: true };
  if (!used.has(node.output[1])) return [Y];
  const yh = D === 1 ? last[0] : op(OP.CONCATENATION, last, [D * N, H], [OPT.Concatenation, [[0, "i32", 0], [1, "i8", 0]]]);
  return [Y, h.reshape({ t: yh, shape: [D * N, H], cl: false, float: true }, [D, N, H])];
};

const OPS = {
  LSTM: recurrent("LSTM"),
  GRU: recurrent("GRU"),
  Conv: conv,
  Gemm: gemm,
  MatMul: matMul,
  MaxPool: pool("max"),
  AveragePool: pool("avg"),
  GlobalAveragePool: globalPool(OP.MEAN),
  GlobalMaxPool: globalPool(OP.REDUCE_MAX),
  Relu: unary(OP.RELU), Sigmoid: unary(OP.LOGISTIC), Tanh: unary(OP.TANH), Exp: unary(OP.EXP), Neg: unary(OP.NEG),
  Sqrt: (h, [x], a, ctx) => unary(ctx.rsqrt.has(ctx.node) ? OP.RSQRT : OP.SQRT)(h, [x]),
  Identity: (h, [x]) => x,
  Dropout: (h, [x]) => x,
  Add: binary(OP.ADD, OPT.Add, { fusable: true }), Sub: binary(OP.SUB, OPT.Sub), Mul: binary(OP.MUL, OPT.Mul), Div: binary(OP.DIV, OPT.Div),
  Pow(h, [x, e], a, ctx) {
    if (e.data && prod(e.dims) === 1 && e.data[0] === 2) return binary(OP.MUL, OPT.Mul)(h, [x, x], a, ctx); // x² as the converter writes it
    return h.emit(OP.POW, [h.t(x), h.t(e)], x.shape, undefined, x);
  },
  Clip(h, [x, lo, hi], a) {
    const bound = (v, attr, dflt) => (v ? v.data[0] : attr ?? dflt);
    const min = bound(lo, a.min, -Infinity), max = bound(hi, a.max, Infinity);
    if (min === 0 && max === 6) return unary(OP.RELU6)(h, [x]);
    let v = x;
    if (max !== Infinity) v = h.emit(OP.MINIMUM, [h.t(v), h.m.const(new Float32Array([max]), [])], v.shape, undefined, v);
    if (min !== -Infinity) v = h.emit(OP.MAXIMUM, [h.t(v), h.m.const(new Float32Array([min]), [])], v.shape, undefined, v);
    return v;
  },
  BatchNormalization(h, [x, s, b, mean, v], a) {
    const scale = s.data.map((si, i) => si / Math.sqrt(v.data[i] + (a.epsilon ?? 1e-5)));
    const shift = b.data.map((bi, i) => bi - mean.data[i] * scale[i]);
    const xc = h.cl(x), C = scale.length;
    const y = h.emit(OP.MUL, [xc.t, h.m.const(scale, [C])], xc.shape, [OPT.Mul, [[0, "i8", 0]]], xc);
    return h.emit(OP.ADD, [y.t, h.m.const(shift, [C])], xc.shape, [OPT.Add, [[0, "i8", 0]]], xc);
  },
  Concat(h, xs, a) {
    const r = logical(xs[0]).length, cl = xs.some((x) => x.cl);
    const vs = xs.map((x) => (cl ? h.cl(x, r) : h.plain(x))), shapes = vs.map((v) => v.shape ?? v.dims), out = [...shapes[0]];
    const ax = cl ? h.axis({ cl: true, shape: shapes[0] }, a.axis) : a.axis < 0 ? a.axis + r : a.axis;
    out[ax] = shapes.reduce((p, s) => p + s[ax], 0);
    return h.emit(OP.CONCATENATION, vs.map((v) => h.t(v)), out, [OPT.Concatenation, [[0, "i32", ax], [1, "i8", 0]]], { cl, float: vs[0].float });
  },
  Reshape(h, [x, s], a) {
    if (!s.data) throw new Error("Reshape shape from a computed value not covered");
    return h.reshape(x, reshapeDims(logical(x), [...s.data], a));
  },
  Flatten(h, [x], a) { const s = logical(x), ax = a.axis ?? 1; return h.reshape(x, [prod(s.slice(0, ax)), prod(s.slice(ax))]); },
  Squeeze(h, [x, ax], a) {
    const s = logical(x), axes = (ax ? [...ax.data] : a.axes)?.map((d) => (d < 0 ? d + s.length : d));
    return h.reshape(x, s.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)));
  },
  Unsqueeze(h, [x, ax], a) { return h.reshape(x, STATIC.Unsqueeze([{ dims: logical(x) }, ax], a).dims); },
  Transpose(h, [x], a) {
    // One TRANSPOSE from the stored layout: logical axis perm[i] lives at stored axis axis(perm[i]).
    const s = logical(x), perm = a.perm ?? range(0, s.length).reverse(), stored = perm.map((p) => h.axis(x, p));
    return h.emit(OP.TRANSPOSE, [h.t(x), h.m.ints(stored)], perm.map((p) => s[p]), [OPT.Transpose, []], { float: x.float });
  },
  Gather(h, [x, i], a) {
    const p = h.plain(x), s = logical(p), ax = (a.axis ?? 0) < 0 ? a.axis + s.length : a.axis ?? 0;
    const idx = i.data ? { data: Int32Array.from(i.data, (k) => (k < 0 ? k + s[ax] : k)), dims: i.dims } : i; // GATHER rejects negative indices
    const idims = idx.data ? idx.dims : idx.shape;
    return h.emit(OP.GATHER, [h.t(p), h.t(idx)], [...s.slice(0, ax), ...idims, ...s.slice(ax + 1)], [OPT.Gather, [[0, "i32", ax], [1, "i32", 0]]], { float: p.float !== false });
  },
  Slice(h, [x, ...bounds], a) {
    if (bounds.some((b) => b && !b.data)) throw new Error("Slice bounds from a computed value not covered");
    const [starts, ends, axes, steps] = [0, 1, 2, 3].map((i) => (bounds[i] ? [...bounds[i].data] : [a.starts, a.ends, a.axes][i]));
    if (steps?.some((s) => s < 1)) throw new Error("Slice with negative steps not covered");
    const s = x.shape, begin = s.map(() => 0), end = [...s], stride = s.map(() => 1);
    (axes ?? starts.map((_, i) => i)).forEach((ax, i) => {
      const p = h.axis(x, ax), dim = s[p], clampI = (v) => Math.min(dim, Math.max(0, v < 0 ? v + dim : v));
      begin[p] = clampI(starts[i]); end[p] = clampI(ends[i]); stride[p] = steps?.[i] ?? 1;
    });
    const out = s.map((_, i) => Math.max(0, Math.ceil((end[i] - begin[i]) / stride[i])));
    return h.emit(OP.STRIDED_SLICE, [x.t, h.m.ints(begin), h.m.ints(end), h.m.ints(stride)], out, [OPT.StridedSlice, [[0, "i32", 0], [1, "i32", 0], [2, "i32", 0], [3, "i32", 0], [4, "i32", 0], [5, "i8", 0]]], x);
  },
  Pad(h, [x, p, c], a) {
    if ((a.mode ?? "constant") !== "constant") throw new Error(`Pad mode ${a.mode} not covered`);
    const pads = p ? [...p.data] : a.pads, value = c ? c.data[0] : a.value ?? 0, r = x.shape.length, pairs = range(0, r).map(() => [0, 0]);
    for (let d = 0; d < r; d++) pairs[h.axis(x, d)] = [pads[d], pads[d + r]];
    const y = value === 0 ? explicitPad(h, x, pairs) : explicitPad(h, x, pairs, value);
    return { ...y, cl: x.cl };
  },
  Softmax(h, [x], a) {
    const p = h.plain(x), r = p.shape.length, ax = (a.axis ?? -1) < 0 ? (a.axis ?? -1) + r : a.axis;
    if (ax !== r - 1) throw new Error("Softmax on an axis other than the last not covered");
    return h.emit(OP.SOFTMAX, [p.t], p.shape, [OPT.Softmax, [[0, "f32", 1]]]);
  },
  ReduceMean(h, [x, ax], a) {
    const r = logical(x).length, keep = (a.keepdims ?? 1) === 1, axes = ((ax ? [...ax.data] : a.axes) ?? range(0, r)).map((d) => (d < 0 ? d + r : d));
    // Channels-last stays so when the kept axes keep their order: with keepdims, or when every spatial axis goes.
    const v = x.cl && (keep || range(2, r).every((d) => axes.includes(d))) ? x : h.plain(x);
    const stored = axes.map((d) => h.axis(v, d)), out = v.shape.flatMap((d, i) => (stored.includes(i) ? (keep ? [1] : []) : [d]));
    return h.emit(OP.MEAN, [v.t, h.m.ints(stored)], out, [OPT.Reducer, [[0, "i8", keep ? 1 : 0]]], { cl: v.cl && keep });
  },
  Expand(h, [x, s]) {
    const want = [...s.data], xs = logical(x), r = Math.max(xs.length, want.length);
    const out = range(0, r).map((i) => Math.max(xs[i - r + xs.length] ?? 1, want[i - r + want.length] ?? 1));
    return h.emit(OP.BROADCAST_TO, [h.t(h.plain(x)), h.m.ints(out)], out, undefined, { float: x.float });
  },
};
