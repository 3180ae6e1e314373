// ONNX importer: small models built here with onnx-proto's encoder, imported with importOnnx (and load()),
// run through the real runtime, and compared with plain JS references in f64. No network, no test data.
import { test } from "node:test";
import assert from "node:assert/strict";
import onnxProto from "onnx-proto";
import { load, InferenceSession, Tensor, EdgennError } from "../../dist/index.js";
import { importOnnx } from "../../dist/importers/onnx.js";

const { onnx } = onnxProto;

// ---------------------------------------------------------------------------------------------------------
// Model building helpers.

const FLOAT = 1, INT64 = 7, FLOAT16 = 10;
const valueInfo = (name, dims, elemType = FLOAT) => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } } },
});
const floatInit = (name, dims, data) => ({ name, dims, dataType: FLOAT, floatData: Array.from(data) });
/** int64 initializer in raw_data (little-endian), as exporters write it. */
function int64Init(name, values) {
  const raw = new Uint8Array(values.length * 8);
  const v = new DataView(raw.buffer);
  values.forEach((x, i) => v.setBigInt64(i * 8, BigInt(x), true));
  return { name, dims: [values.length], dataType: INT64, rawData: raw };
}
function attr(name, value) {
  if (typeof value === "string") return { name, type: 3, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return value.every(Number.isInteger) ? { name, type: 7, ints: value } : { name, type: 6, floats: value };
  if (Number.isInteger(value) && !(value instanceof Number)) return { name, type: 2, i: value };
  return { name, type: 1, f: Number(value) };
}
const f = (x) => new Number(x); // forces a FLOAT attribute for an integral value (e.g. alpha=1.0 vs 1)
const node = (opType, input, output, attrs = {}, name = `${opType}_${output[0]}`) =>
  ({ opType, input, output, name, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) });

function model({ nodes, inputs, outputs, inits = [], opset = 13, graphInputsIncludeInits = false }) {
  const m = {
    irVersion: 8, producerName: "edgenn-test", producerVersion: "1", docString: "a test model",
    opsetImport: [{ domain: "", version: opset }],
    metadataProps: [{ key: "license", value: "MIT" }],
    graph: {
      name: "g", node: nodes, initializer: inits,
      input: [...inputs, ...(graphInputsIncludeInits ? inits.map((t) => valueInfo(t.name, t.dims, t.dataType)) : [])],
      output: outputs,
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(m)).finish();
}

async function runOnnx(bytes, feeds) {
  const { graph, metadata } = importOnnx(bytes);
  const s = await InferenceSession.fromGraph(graph, { metadata });
  try {
    return { out: s.runSync(feeds), graph, session: s };
  } finally {
    s.dispose();
  }
}

function close(got, want, tol = 1e-4, what = "output") {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const ok = Math.abs(got[i] - want[i]) <= tol + tol * Math.abs(want[i]);
    assert.ok(ok, `${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

let seed = 7;
const rand = (n, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return lo + (hi - lo) * (seed / 2147483648);
});

// ---------------------------------------------------------------------------------------------------------
// Plain JS references.

function convRef(x, [n, c, h, w], wt, [co, , kh, kw], b, pad) {
  const oh = h + 2 * pad - kh + 1, ow = w + 2 * pad - kw + 1;
  const y = new Float64Array(n * co * oh * ow);
  for (let b0 = 0; b0 < n; b0++) for (let o = 0; o < co; o++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    let s = b ? b[o] : 0;
    for (let ci = 0; ci < c; ci++) for (let p = 0; p < kh; p++) for (let q = 0; q < kw; q++) {
      const yy = i + p - pad, xx = j + q - pad;
      if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
      s += x[((b0 * c + ci) * h + yy) * w + xx] * wt[((o * c + ci) * kh + p) * kw + q];
    }
    y[((b0 * co + o) * oh + i) * ow + j] = s;
  }
  return { y, shape: [n, co, oh, ow] };
}
function maxPoolRef(x, [n, c, h, w], k) {
  const oh = Math.floor(h / k), ow = Math.floor(w / k), y = new Float64Array(n * c * oh * ow);
  for (let a = 0; a < n * c; a++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    let m = -Infinity;
    for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) m = Math.max(m, x[(a * h + i * k + p) * w + j * k + q]);
    y[(a * oh + i) * ow + j] = m;
  }
  return { y, shape: [n, c, oh, ow] };
}
function softmaxRows(x, rows, len) {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity, s = 0;
    for (let i = 0; i < len; i++) m = Math.max(m, x[r * len + i]);
    for (let i = 0; i < len; i++) s += Math.exp(x[r * len + i] - m);
    for (let i = 0; i < len; i++) y[r * len + i] = Math.exp(x[r * len + i] - m) / s;
  }
  return y;
}

// ---------------------------------------------------------------------------------------------------------

test("Conv + Relu + MaxPool + Flatten + Gemm (transB, alpha, beta) + Softmax matches a JS reference", async () => {
  const W = rand(3 * 2 * 3 * 3), B = rand(3), G = rand(4 * 27), C = rand(4);
  const bytes = model({
    nodes: [
      node("Conv", ["x", "W", "B"], ["c"], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, "conv"),
      node("Relu", ["c"], ["r"], {}, "relu"),
      node("MaxPool", ["r"], ["p"], { kernel_shape: [2, 2], strides: [2, 2] }, "pool"),
      node("Flatten", ["p"], ["fl"], { axis: 1 }, "flatten"),
      node("Gemm", ["fl", "G", "C"], ["g"], { transB: 1, alpha: f(0.5), beta: f(2) }, "fc"),
      node("Softmax", ["g"], ["prob"], { axis: -1 }, "softmax"),
    ],
    inputs: [valueInfo("x", ["N", 2, 6, 6])],
    outputs: [valueInfo("prob", ["N", 4])],
    inits: [floatInit("W", [3, 2, 3, 3], W), floatInit("B", [3], B), floatInit("G", [4, 27], G), floatInit("C", [4], C)],
    graphInputsIncludeInits: true, // initializers listed as graph inputs too (IR < 4 style): not model inputs
  });
  const { graph, metadata } = importOnnx(bytes);
  assert.deepEqual(graph.inputs, [{ name: "x", dtype: "float32", shape: ["N", 2, 6, 6] }]);
  assert.deepEqual(graph.outputs, ["prob"]);
  assert.equal(metadata.format, "onnx");
  assert.equal(metadata.opset, 13);
  assert.equal(metadata.license, "MIT");

  for (const n of [1, 2]) {
    const x = rand(n * 2 * 6 * 6);
    const { out } = await runOnnx(bytes, { x: new Tensor("float32", x, [n, 2, 6, 6]) });
    const conv = convRef(x, [n, 2, 6, 6], W, [3, 2, 3, 3], B, 1);
    const relu = conv.y.map((v) => Math.max(v, 0));
    const pool = maxPoolRef(relu, conv.shape, 2);
    const gemm = new Float64Array(n * 4);
    for (let i = 0; i < n; i++) for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let k = 0; k < 27; k++) s += pool.y[i * 27 + k] * G[j * 27 + k];
      gemm[i * 4 + j] = 0.5 * s + 2 * C[j];
    }
    assert.deepEqual(out.prob.dims, [n, 4]);
    close(out.prob.data, softmaxRows(gemm, n, 4), 1e-4, `prob (batch ${n})`);
  }
});

test("Gemm with transA and a [M, N] matrix C, and MatMul with a constant B", async () => {
  const A = rand(3 * 2), Bm = rand(3 * 4), C = rand(2 * 4), M2 = rand(4 * 5);
  const bytes = model({
    nodes: [node("Gemm", ["a", "B", "C"], ["g"], { transA: 1, beta: f(0.5) }), node("MatMul", ["g", "M2"], ["y"])],
    inputs: [valueInfo("a", [3, 2])],
    outputs: [valueInfo("y", [2, 5])],
    inits: [floatInit("B", [3, 4], Bm), floatInit("C", [2, 4], C), floatInit("M2", [4, 5], M2)],
  });
  const { out } = await runOnnx(bytes, { a: new Tensor("float32", A, [3, 2]) });
  const g = new Float64Array(8);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) {
    let s = 0;
    for (let k = 0; k < 3; k++) s += A[k * 2 + i] * Bm[k * 4 + j];
    g[i * 4 + j] = s + 0.5 * C[i * 4 + j];
  }
  const y = new Float64Array(10);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 5; j++) for (let k = 0; k < 4; k++) y[i * 5 + j] += g[i * 4 + k] * M2[k * 5 + j];
  close(out.y.data, y);
});

test("Clip: min/max attributes before opset 11, constant inputs from opset 11 (absent max too)", async () => {
  const x = Float32Array.from([-3, -0.5, 0, 0.25, 0.9, 4]);
  const old = model({
    nodes: [node("Clip", ["x"], ["y"], { min: f(-0.5), max: f(0.5) })], opset: 6,
    inputs: [valueInfo("x", [6])], outputs: [valueInfo("y", [6])],
  });
  const { out: o1 } = await runOnnx(old, { x: new Tensor("float32", x, [6]) });
  close(o1.y.data, x.map((v) => Math.min(0.5, Math.max(-0.5, v))));

  const neu = model({
    nodes: [node("Clip", ["x", "lo", ""], ["y"])], opset: 13,
    inputs: [valueInfo("x", [6])], outputs: [valueInfo("y", [6])],
    inits: [floatInit("lo", [], [0.1])],
  });
  const { out: o2 } = await runOnnx(neu, { x: new Tensor("float32", x, [6]) });
  close(o2.y.data, x.map((v) => Math.max(0.1, v)));

  // Both bounds as Constant nodes.
  const viaConst = model({
    nodes: [
      node("Constant", [], ["lo"], { value_float: f(-1) }),
      node("Constant", [], ["hi"], {}), // filled below with a float16 tensor
      node("Clip", ["x", "lo", "hi"], ["y"]),
    ],
    opset: 12, inputs: [valueInfo("x", [6])], outputs: [valueInfo("y", [6])],
  });
  const m = onnx.ModelProto.decode(viaConst);
  const half = new Uint8Array([0x00, 0x3c]); // float16 1.0, little-endian
  m.graph.node[1].attribute = [{ name: "value", type: 4, t: { dims: [], dataType: FLOAT16, rawData: half } }];
  const { out: o3 } = await runOnnx(onnx.ModelProto.encode(m).finish(), { x: new Tensor("float32", x, [6]) });
  close(o3.y.data, x.map((v) => Math.min(1, Math.max(-1, v))));
});

test("Reshape with a constant shape, Dropout removed (and kept as Identity when it is a graph output)", async () => {
  const x = rand(2 * 3 * 4);
  const bytes = model({
    nodes: [
      node("Dropout", ["x", "ratio"], ["d1"], {}, "drop1"),
      node("Reshape", ["d1", "shape"], ["r"], {}, "reshape"),
      node("Dropout", ["r"], ["y", ""], {}, "drop2"),
    ],
    opset: 13,
    inputs: [valueInfo("x", [2, 3, 4])], outputs: [valueInfo("y", [4, 6])],
    inits: [int64Init("shape", [4, -1]), floatInit("ratio", [], [0.3])],
  });
  const { graph } = importOnnx(bytes);
  assert.deepEqual(graph.nodes.map((n) => n.op), ["Reshape", "Identity"]);
  assert.equal(graph.nodes[0].inputs[0], "x", "the first Dropout is gone: Reshape reads x");
  assert.deepEqual(graph.nodes[0].attrs.shape, [4, -1]);
  assert.ok(!graph.constants.has("shape"), "integer constants stay out of the IR");
  const { out } = await runOnnx(bytes, { x: new Tensor("float32", x, [2, 3, 4]) });
  assert.deepEqual(out.y.dims, [4, 6]);
  close(out.y.data, x);
});

test("Softmax before opset 13 flattens to 2-D at axis; from 13 it is per axis", async () => {
  const x = rand(2 * 3 * 4, -3, 3);
  const mk = (opset) => model({
    nodes: [node("Softmax", ["x"], ["y"], { axis: 1 })], opset,
    inputs: [valueInfo("x", [2, 3, 4])], outputs: [valueInfo("y", [2, 3, 4])],
  });
  const { out: o11 } = await runOnnx(mk(11), { x: new Tensor("float32", x, [2, 3, 4]) });
  assert.deepEqual(o11.y.dims, [2, 3, 4]);
  close(o11.y.data, softmaxRows(x, 2, 12));
  const { out: o13 } = await runOnnx(mk(13), { x: new Tensor("float32", x, [2, 3, 4]) });
  const want = new Float64Array(24);
  for (let b = 0; b < 2; b++) for (let k = 0; k < 4; k++) {
    let s = 0;
    for (let c = 0; c < 3; c++) s += Math.exp(x[b * 12 + c * 4 + k]);
    for (let c = 0; c < 3; c++) want[b * 12 + c * 4 + k] = Math.exp(x[b * 12 + c * 4 + k]) / s;
  }
  close(o13.y.data, want);
});

test("Slice/Unsqueeze/Squeeze/Split/Pad: attributes in old opsets, constant inputs in new ones", async () => {
  const x = rand(4 * 6);
  const expectSlice = [];
  for (let i = 1; i < 3; i++) for (let j = 0; j < 6; j += 2) expectSlice.push(x[i * 6 + j]);
  const old = model({
    nodes: [
      node("Slice", ["x"], ["s"], { starts: [1, 0], ends: [3, 1000], axes: [0, 1] }),
      node("Unsqueeze", ["s"], ["u"], { axes: [0] }),
      node("Squeeze", ["u"], ["y"], { axes: [0] }),
      node("Split", ["x"], ["a", "b"], { axis: 1, split: [2, 4] }),
      node("Pad", ["a"], ["p"], { pads: [0, 1, 0, 0], value: f(9) }),
    ],
    opset: 9, inputs: [valueInfo("x", [4, 6])], outputs: [valueInfo("y", [2, 6]), valueInfo("p", [4, 3]), valueInfo("b", [4, 4])],
  });
  const { out: o1 } = await runOnnx(old, { x: new Tensor("float32", x, [4, 6]) });
  assert.deepEqual(o1.y.dims, [2, 6]);
  close(o1.y.data, x.slice(6, 18));
  assert.deepEqual(o1.p.dims, [4, 3]);
  close(o1.p.data, [0, 1, 2, 3].flatMap((i) => [9, x[i * 6], x[i * 6 + 1]]));
  close(o1.b.data, [0, 1, 2, 3].flatMap((i) => Array.from(x.slice(i * 6 + 2, i * 6 + 6))));

  const neu = model({
    nodes: [
      node("Slice", ["x", "starts", "ends", "axes", "steps"], ["s"]),
      node("Unsqueeze", ["s", "ax0"], ["u"]),
      node("Squeeze", ["u", "ax0"], ["y"]),
      node("Split", ["x", "split"], ["a", "b"], { axis: 1 }),
      node("Pad", ["a", "pads", "nine"], ["p"]),
    ],
    opset: 13, inputs: [valueInfo("x", [4, 6])], outputs: [valueInfo("y", [2, 3]), valueInfo("p", [4, 3]), valueInfo("b", [4, 4])],
    inits: [
      int64Init("starts", [1, 0]), int64Init("ends", [3, "9223372036854775807"]), int64Init("axes", [0, -1]), int64Init("steps", [1, 2]),
      int64Init("ax0", [0]), int64Init("split", [2, 4]), int64Init("pads", [0, 1, 0, 0]), floatInit("nine", [], [9]),
    ],
  });
  const { out: o2 } = await runOnnx(neu, { x: new Tensor("float32", x, [4, 6]) });
  assert.deepEqual(o2.y.dims, [2, 3]);
  close(o2.y.data, expectSlice);
  close(o2.p.data, [0, 1, 2, 3].flatMap((i) => [9, x[i * 6], x[i * 6 + 1]]));
});

test("unsupported features: one UNSUPPORTED error naming every offending node, before anything runs", () => {
  const bytes = model({
    nodes: [
      node("Relu", ["x"], ["r"], {}, "fine_relu"),
      node("Hardmax", ["r"], ["rs"], {}, "my_hardmax"),
      node("Einsum", ["rs", "x"], ["mm"], { equation: "ij,jk->ik" }, "my_einsum"),
      node("FancyOp", ["mm"], ["y"], {}, "fancy"),
      node("Pad", ["x", "pads"], ["pp"], { mode: "reflect" }, "reflect_pad"),
    ],
    opset: 13, inputs: [valueInfo("x", [2, 2])], outputs: [valueInfo("y", [2, 2]), valueInfo("pp", [2, 4])],
    inits: [floatInit("grid", [1, 2, 2, 2], [0, 0, 0, 0, 0, 0, 0, 0]), int64Init("pads", [0, 1, 0, 1])],
  });
  assert.throws(() => importOnnx(bytes), (e) => {
    assert.ok(e instanceof EdgennError);
    assert.equal(e.code, "UNSUPPORTED");
    for (const s of ["Hardmax 'my_hardmax' (opset 13)", "Einsum 'my_einsum' (opset 13)", "FancyOp 'fancy' (opset 13)", "Pad 'reflect_pad' (opset 13)"]) {
      assert.ok(e.message.includes(s), `message names ${s}: ${e.message}`);
    }
    assert.ok(!e.message.includes("fine_relu"));
    return true;
  });
  // A double model input is refused the same way; an int64 input (ids) is refused where a float op reads it.
  const doubles = model({ nodes: [node("Relu", ["x"], ["y"])], inputs: [valueInfo("x", [2], 11)], outputs: [valueInfo("y", [2], 11)] });
  assert.throws(() => importOnnx(doubles), (e) => e.code === "UNSUPPORTED" && /graph input 'x' has data type DOUBLE/.test(e.message));
  const ints = model({ nodes: [node("Relu", ["x"], ["y"])], inputs: [valueInfo("x", [2], INT64)], outputs: [valueInfo("y", [2], INT64)] });
  assert.throws(() => importOnnx(ints), (e) => e.code === "UNSUPPORTED" && /Relu .*'x' is int64/.test(e.message));
});

test("load() recognises ONNX bytes and runs them; non-ONNX garbage still gets the .enn error", async () => {
  const bytes = model({
    nodes: [node("Mul", ["x", "k"], ["m"]), node("Sigmoid", ["m"], ["y"])],
    inputs: [valueInfo("x", ["batch", 3])], outputs: [valueInfo("y", ["batch", 3])],
    inits: [floatInit("k", [3], [1, 2, 3])],
  });
  const session = await load(bytes);
  try {
    assert.deepEqual(session.inputNames, ["x"]);
    assert.deepEqual(session.inputs[0].shape, ["batch", 3]);
    assert.equal(session.metadata.format, "onnx");
    assert.equal(session.metadata.producer, "edgenn-test 1");
    const x = Float32Array.from([0.5, -1, 2, 0, 1, -2]);
    const { y } = await session.run({ x: new Tensor("float32", x, [2, 3]) });
    close(y.data, Array.from(x, (v, i) => 1 / (1 + Math.exp(-v * [1, 2, 3][i % 3]))));
  } finally {
    session.dispose();
  }
  await assert.rejects(load(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])), (e) => e.code === "BAD_FILE");
  await assert.rejects(load(new ArrayBuffer(bytes.byteLength)), (e) => e.code === "BAD_FILE");
});
