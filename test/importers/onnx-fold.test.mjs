// Import-time evaluation (bindings/importers/onnx-fold.ts): the folding functions on their own (int64 semantics,
// exact-range refusals, the size limit), then small ONNX graphs with the shape arithmetic PyTorch exports contain,
// imported and run: what folds, what is lowered to IR ops, and the refusals (symbolic dims, unsafe integers).
import { test } from "node:test";
import assert from "node:assert/strict";
import { InferenceSession, Tensor, EdgennError } from "../../dist/index.js";
import { importOnnx } from "../../dist/importers/onnx.js";
import { FOLD, FoldError } from "../../dist/importers/onnx-fold.js";
import { BOOL, FLOAT, INT32, INT64, floatInit, int64Init, intConst, model, node, valueInfo } from "./onnx-build.mjs";

const ctx = (op, attrs = {}, opset = 13, outs = ["y"]) => ({ op, name: `${op}_test`, opset, a: new Map(Object.entries(attrs)), outs });
const ints = (data, shape = [data.length], type = INT64) => ({ type, shape, data });
const floats = (data, shape = [data.length]) => ({ type: FLOAT, shape, data: Float32Array.from(data) });
const fold = (op, inputs, attrs, opset) => FOLD[op].run(ctx(op, attrs, opset), inputs);
const values = (t) => Array.from(t.data);
const refuses = (f, re) => assert.throws(f, (e) => e instanceof FoldError && re.test(e.message), `refused with ${re}`);

test("integer semantics: truncating Div, Mod's two sign rules, casts, comparisons, Where, Range, reductions", () => {
  assert.deepEqual(values(fold("Div", [ints([-7, 7, -7, 6]), ints([2, -2, -2, 3])])[0]), [-3, -3, 3, 2]);
  assert.deepEqual(values(fold("Mod", [ints([-7, 7, 5]), ints([3, -3, 3])])[0]), [2, -2, 2]); // Python's %
  assert.deepEqual(values(fold("Mod", [ints([-7, 7, 5]), ints([3, -3, 3])], { fmod: 1 })[0]), [-1, 1, 2]); // C's fmod
  assert.deepEqual(values(fold("Cast", [floats([2.7, -2.7, 0])], { to: INT64 })[0]), [2, -2, 0]);
  assert.deepEqual(values(fold("Cast", [floats([0, 0.5])], { to: BOOL })[0]), [0, 1]);
  const f = fold("Cast", [ints([3, -1])], { to: FLOAT })[0];
  assert.ok(f.data instanceof Float32Array && f.type === FLOAT);
  // Broadcasting: [3] against [2, 1].
  const sum = fold("Add", [ints([1, 2, 3]), ints([10, 20], [2, 1])])[0];
  assert.deepEqual([sum.shape, values(sum)], [[2, 3], [11, 12, 13, 21, 22, 23]]);
  const eq = fold("Equal", [ints([1, 2, 3]), ints([1, 0, 3])])[0];
  assert.equal(eq.type, BOOL);
  assert.deepEqual(values(fold("Where", [eq, ints([10, 20, 30]), ints([-1], [])])[0]), [10, -1, 30]);
  assert.deepEqual(values(fold("Range", [ints([10], []), ints([0], []), ints([-3], [])])[0]), [10, 7, 4, 1]);
  // Float Range accumulates in float32 like onnxruntime (value += delta).
  const r = fold("Range", [floats([0.1], []), floats([1], []), floats([0.3], [])])[0];
  assert.deepEqual(values(r), [Math.fround(0.1), Math.fround(Math.fround(0.1) + Math.fround(0.3)), Math.fround(Math.fround(Math.fround(0.1) + Math.fround(0.3)) + Math.fround(0.3))]);
  const prod = fold("ReduceProd", [ints([2, 3, 4, 5], [2, 2])], { axes: [1], keepdims: 0 })[0];
  assert.deepEqual([prod.shape, values(prod)], [[2], [6, 20]]);
  const c = fold("ConstantOfShape", [ints([2, 2])], { value: int64Init("v", [5]) })[0];
  assert.deepEqual([c.type, c.shape, values(c)], [INT64, [2, 2], [5, 5, 5, 5]]);
  assert.deepEqual(values(fold("ConstantOfShape", [ints([3])])[0]), [0, 0, 0]);
  assert.deepEqual(values(fold("Shape", [{ type: FLOAT, shape: [2, 3, 4, 5], data: [] }], { start: 1, end: -1 })[0]), [3, 4]);
  assert.deepEqual(values(fold("Gather", [ints([2, 3, 4, 5]), ints([-1], [])], { axis: 0 })[0]), [5]);
  const parts = FOLD.Split.run(ctx("Split", { axis: 0 }, 13, ["a", "b"]), [ints([1, 2, 3, 4, 5]), ints([2, 3])]);
  assert.deepEqual(parts.map(values), [[1, 2], [3, 4, 5]]);
});

test("refusals: results outside the exact range (int64 past 2^53 - 1, int32 overflow), division by zero, bad indices, the size limit", () => {
  refuses(() => fold("Mul", [ints([2 ** 40]), ints([2 ** 20])]), /2\^53 - 1/);
  refuses(() => fold("Add", [ints([Number.MAX_SAFE_INTEGER]), ints([1])]), /outside the range/);
  refuses(() => fold("Mul", [ints([2 ** 20], [1], INT32), ints([2 ** 12], [1], INT32)]), /int32/);
  refuses(() => fold("Div", [ints([1]), ints([0])]), /division by zero/);
  refuses(() => fold("Cast", [floats([NaN])], { to: INT64 }), /outside the range/);
  refuses(() => fold("Gather", [ints([1, 2, 3]), ints([3], [])]), /index 3 is out of range/);
  refuses(() => fold("ConstantOfShape", [ints([1 << 23])]), /folding limit/);
  refuses(() => fold("Shape", [{ type: FLOAT, shape: ["batch", 3], data: [] }]), /symbolic dims/);
  // INT64_MAX (Slice's "to the end") is only moved, never computed with: it passes through Concat and Unsqueeze.
  const big = ints([2 ** 63]);
  assert.deepEqual(values(fold("Concat", [ints([0]), big], { axis: 0 })[0]), [0, 2 ** 63]);
  refuses(() => fold("Add", [big, ints([0])]), /outside the range/);
});

// ---------------------------------------------------------------------------------------------------------
// Graphs.

async function run(bytes, feeds) {
  const { graph } = importOnnx(bytes);
  const s = await InferenceSession.fromGraph(graph);
  try {
    const out = s.runSync(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Tensor("float32", v.data, v.shape)])));
    return { out, ops: graph.nodes.map((n) => n.op) };
  } finally {
    s.dispose();
  }
}
const iota = (n) => Float32Array.from({ length: n }, (_, i) => (i * 7 % 11) - 5);

test("ShuffleNet's channel split: Shape -> Gather -> Add/Div/Mul -> Slice ends, folded to two Slices", async () => {
  const x = { shape: [1, 6, 2, 2], data: iota(24) };
  const bytes = model({
    nodes: [
      node("Shape", ["x"], ["s"]), intConst("one", [1]), intConst("i1", [1], []), node("Gather", ["s", "i1"], ["c"], { axis: 0 }),
      intConst("k1", [1], []), node("Add", ["c", "k1"], ["c1"]), intConst("k2", [2], []), node("Div", ["c1", "k2"], ["half"]),
      node("Mul", ["half", "k1"], ["end0"]), intConst("zero", [0]), node("Unsqueeze", ["end0", "zero"], ["e0"]),
      node("Mul", ["half", "k2"], ["end1"]), node("Unsqueeze", ["end1", "zero"], ["e1"]),
      node("Slice", ["x", "zero", "e0", "one"], ["a"]), node("Slice", ["x", "e0", "e1", "one"], ["b"]), node("Sub", ["a", "b"], ["y"]),
    ],
    inputs: [valueInfo("x", [1, 6, 2, 2])], outputs: [valueInfo("y", [1, 3, 2, 2])],
  });
  const { out, ops } = await run(bytes, { x });
  assert.deepEqual(ops, ["Slice", "Slice", "Sub"]);
  assert.deepEqual([...out.y.data], Array.from({ length: 12 }, (_, i) => x.data[i] - x.data[i + 12]));
});

test("an LSTM head: Expand of a zero state with a Concat-built shape folds; Gather(-1) on run-time data is a Slice + Squeeze", async () => {
  const x = { shape: [1, 5, 3], data: iota(15) };
  const bytes = model({
    nodes: [
      node("Shape", ["x"], ["s"]), intConst("i2", [2], []), node("Gather", ["s", "i2"], ["h"]), intConst("zero", [0]),
      node("Unsqueeze", ["h", "zero"], ["hv"]), intConst("lead", [1]), node("Concat", ["lead", "hv"], ["shape"], { axis: 0 }),
      node("Expand", ["k", "shape"], ["state"]),
      intConst("last", [-1], []), node("Gather", ["x", "last"], ["tail"], { axis: 1 }), node("Add", ["tail", "state"], ["y"]),
    ],
    inputs: [valueInfo("x", [1, 5, 3])], outputs: [valueInfo("y", [1, 3])], inits: [floatInit("k", [1], [1.5])],
  });
  const { out, ops } = await run(bytes, { x });
  assert.deepEqual(ops, ["Slice", "Squeeze", "Add"]);
  assert.deepEqual(out.y.dims, [1, 3]);
  assert.deepEqual([...out.y.data], [12, 13, 14].map((i) => x.data[i] + 1.5));
});

test("Gather of a constant index list (2-D, repeated, descending) and Expand of a run-time value", async () => {
  const x = { shape: [2, 4, 3], data: iota(24) };
  const idx = [[3, 2], [1, 1], [0, 2]];
  const bytes = model({
    nodes: [node("Gather", ["x", "idx"], ["g"], { axis: 1 }), node("Expand", ["x", "to"], ["e"])],
    inputs: [valueInfo("x", [2, 4, 3])], outputs: [valueInfo("g", [2, 3, 2, 3]), valueInfo("e", [2, 2, 4, 3])],
    inits: [int64Init("idx", idx.flat(), [3, 2]), int64Init("to", [2, 1, 1, 1])],
  });
  const { out, ops } = await run(bytes, { x });
  assert.ok(!ops.includes("Gather") && ops.includes("Expand"), ops.join(","));
  const want = [];
  for (let b = 0; b < 2; b++) for (const i of idx.flat()) for (let k = 0; k < 3; k++) want.push(x.data[(b * 4 + i) * 3 + k]);
  assert.deepEqual([out.g.dims, [...out.g.data]], [[2, 3, 2, 3], want]);
  assert.deepEqual([out.e.dims, [...out.e.data]], [[2, 2, 4, 3], [...x.data, ...x.data]]);
});

test("a deduplicated initializer (Identity of another bias) is a constant for Conv; Reduce axes as attribute and input", async () => {
  const x = { shape: [1, 2, 3, 3], data: iota(18) };
  const bytes = model({
    opset: 18,
    nodes: [
      node("Identity", ["b0"], ["b1"]), node("Conv", ["x", "w", "b1"], ["c"], { kernel_shape: [1, 1] }),
      node("ReduceMean", ["c", "axes"], ["m"], { keepdims: 0 }), node("ReduceMax", ["c"], ["all"], { keepdims: 1 }),
      node("ReduceSum", ["c", "none"], ["same"], { noop_with_empty_axes: 1 }),
    ],
    inputs: [valueInfo("x", [1, 2, 3, 3])], outputs: [valueInfo("m", [1, 3]), valueInfo("all", [1, 1, 1, 1]), valueInfo("same", [1, 1, 3, 3])],
    inits: [floatInit("w", [1, 2, 1, 1], [1, -1]), floatInit("b0", [1], [0.25]), int64Init("axes", [1, -1]), int64Init("none", [])],
  });
  const { out } = await run(bytes, { x });
  const c = Array.from({ length: 9 }, (_, i) => x.data[i] - x.data[9 + i] + 0.25);
  assert.deepEqual([...out.same.data], c);
  assert.deepEqual([...out.all.data], [Math.max(...c)]);
  const mean = [0, 1, 2].map((r) => (c[3 * r] + c[3 * r + 1] + c[3 * r + 2]) / 3);
  out.m.data.forEach((v, i) => assert.ok(Math.abs(v - mean[i]) < 1e-6, `mean ${i}: ${v} vs ${mean[i]}`));
});

test("a symbolic dim in shape arithmetic is refused, naming the node; never given a value", () => {
  const bytes = model({
    nodes: [
      node("Shape", ["x"], ["s"], {}, "batch_shape"), intConst("i0", [0], []), node("Gather", ["s", "i0"], ["n"]),
      intConst("zero", [0]), node("Unsqueeze", ["n", "zero"], ["nv"]), intConst("rest", [-1]),
      node("Concat", ["nv", "rest"], ["to"], { axis: 0 }), node("Reshape", ["x", "to"], ["y"]),
    ],
    inputs: [valueInfo("x", ["batch", 2, 3])], outputs: [valueInfo("y", ["batch", 6])],
  });
  assert.throws(() => importOnnx(bytes), (e) => {
    assert.ok(e instanceof EdgennError && e.code === "UNSUPPORTED");
    assert.match(e.message, /Shape 'batch_shape' \(opset 13\): the input's shape \[batch,2,3\] has symbolic dims/);
    return true;
  });
  // Dims past the symbolic one are static: Shape(start=1) folds (opset 15), and the model imports.
  const tail = model({
    opset: 15,
    nodes: [node("Shape", ["x"], ["s"], { start: 1 }), intConst("lead", [0]), node("Concat", ["lead", "s"], ["to"], { axis: 0 }), node("Reshape", ["x", "to"], ["y"])],
    inputs: [valueInfo("x", ["batch", 2, 3])], outputs: [valueInfo("y", ["batch", 2, 3])],
  });
  assert.deepEqual(importOnnx(tail).graph.nodes.map((n) => [n.op, n.attrs.shape]), [["Reshape", [0, 2, 3]]]);
});

test("integer arithmetic leaving the exact range is refused, naming the node", () => {
  const bytes = model({
    nodes: [node("Add", ["big", "one"], ["n"], {}, "overflowing_add"), node("Reshape", ["x", "n"], ["y"])],
    inputs: [valueInfo("x", [2, 3])], outputs: [valueInfo("y", [6])],
    inits: [int64Init("big", [9007199254740991n]), int64Init("one", [1])],
  });
  assert.throws(() => importOnnx(bytes), (e) => e.code === "UNSUPPORTED" && /Add 'overflowing_add' \(opset 13\): the result 9007199254740992 is outside the range/.test(e.message));
});
