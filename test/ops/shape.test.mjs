// Data movement through the runtime, compared exactly (these ops copy bits): Concat, Split, Slice, Transpose,
// Pad vs tfjs (Slice also vs a Python-slice JS reference, which is what ONNX's reference implementation uses),
// and the aliasing ops Reshape / Flatten / Squeeze / Unsqueeze: as graph outputs, between two ops, on
// constants, and with the aliased value read again later (arena lifetimes).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { assertExact, assertClose, fromTf, initTf, node, rng, runGraph, runOp, sizeOf, stridesOf, tf, tfRun, toTf } from "./harness.mjs";

before(initTf);

const rand = (R, shape) => ({ shape, data: R.array(sizeOf(shape), -5, 5) });

test("Concat: 3 inputs of different sizes along each axis (0, 1, 2, -1)", async (t) => {
  const R = rng(1700);
  for (const axis of [0, 1, 2, -1]) {
    const ax = axis < 0 ? axis + 3 : axis;
    const shapes = [2, 5, 1].map((d) => { const s = [3, 4, 5]; s[ax] = d; return s; });
    const [a, b, c] = shapes.map((s) => rand(R, s));
    const { out } = await runGraph({ inputs: { a, b, c }, nodes: [node("Concat", ["a", "b", "c"], ["y"], { axis })], outputs: ["y"] });
    assertExact(`Concat axis ${axis}`, out.y, tfRun((p, q, r) => tf.concat([p, q, r], axis), a, b, c), { t });
  }
});

test("Concat: a constant input in the middle, rank 4, and a single input", async (t) => {
  const R = rng(1701);
  const a = rand(R, [2, 3, 4, 5]), k = rand(R, [2, 1, 4, 5]), b = rand(R, [2, 2, 4, 5]);
  const r = await runGraph({ inputs: { a, b }, constants: { k }, nodes: [node("Concat", ["a", "k", "b"], ["y"], { axis: 1 })], outputs: ["y"] });
  assertExact("Concat with constant", r.out.y, tfRun((p, q, s) => tf.concat([p, q, s], 1), a, k, b), { t });
  const one = await runOp("Concat", { axis: 0 }, { a });
  assertExact("Concat single", one, a, { t });
});

test("Split: equal parts and explicit sizes, several axes", async (t) => {
  const R = rng(1702);
  const cases = [
    { shape: [2, 6, 5], axis: 1, outs: 3 },
    { shape: [2, 6, 5], axis: 1, split: [1, 3, 2] },
    { shape: [3, 4, 6], axis: -1, split: [2, 4] },
    { shape: [4, 3], axis: 0, outs: 2 },
    { shape: [3, 7, 2], axis: 1, split: [7] },
    { shape: [2, 5, 3], axis: 1, split: [2, 0, 3] },
  ];
  for (const c of cases) {
    const x = rand(R, c.shape);
    const n = c.split ? c.split.length : c.outs;
    const outs = Array.from({ length: n }, (_, i) => `y${i}`);
    const attrs = { axis: c.axis };
    if (c.split) attrs.split = c.split;
    const { out } = await runGraph({ inputs: { x }, nodes: [node("Split", ["x"], outs, attrs)], outputs: outs });
    const refs = tf.tidy(() => tf.split(toTf(x), c.split ?? c.outs, c.axis).map(fromTf));
    outs.forEach((o, i) => assertExact(`Split [${c.shape}] axis ${c.axis} ${c.split ? `[${c.split}]` : c.outs} part ${i}`, out[o], refs[i], { t }));
  }
});

/** Python slice semantics per axis (slice.indices), the ONNX reference implementation's behaviour. */
function sliceRef(x, starts, ends, axes, steps) {
  const rank = x.shape.length;
  const idx = x.shape.map((d) => [...Array(d).keys()]);
  axes.forEach((a0, i) => {
    const a = a0 < 0 ? a0 + rank : a0, d = x.shape[a], step = steps[i];
    let s = starts[i], e = ends[i];
    const lo = step < 0 ? -1 : 0, hi = step < 0 ? d - 1 : d;
    s = s < 0 ? Math.max(s + d, lo) : Math.min(s, hi);
    e = e < 0 ? Math.max(e + d, lo) : Math.min(e, hi);
    const list = [];
    for (let j = s; step > 0 ? j < e : j > e; j += step) list.push(j);
    idx[a] = list;
  });
  const shape = idx.map((l) => l.length), st = stridesOf(x.shape);
  const data = new Float32Array(sizeOf(shape));
  let k = 0;
  const rec = (d, off) => {
    if (d === rank) { data[k++] = x.data[off]; return; }
    for (const j of idx[d]) rec(d + 1, off + j * st[d]);
  };
  if (data.length) rec(0, 0);
  return { shape, data };
}

test("Slice: negative starts/ends, clamping, steps (positive and negative), negative axes, empty results", async (t) => {
  const R = rng(1703);
  const x = rand(R, [5, 7, 9]);
  const cases = [
    { starts: [1], ends: [4], axes: [0] },
    { starts: [-3, 2], ends: [-1, 100], axes: [1, 2] },
    { starts: [0, 1, 0], ends: [5, 7, 9], steps: [2, 3, 4] },
    { starts: [-1], ends: [-1000], axes: [2], steps: [-1] },
    { starts: [6], ends: [0], axes: [1], steps: [-2] },
    { starts: [2], ends: [-2], axes: [-1], steps: [3] },
    { starts: [100], ends: [-100], axes: [0], steps: [-3] },
    { starts: [4, -1], ends: [0, -8], axes: [0, 1], steps: [-1, -2] },
    { starts: [0], ends: [2147483647], axes: [1], steps: [1] },
    { starts: [-2147483647, 3], ends: [2147483647, 4], axes: [0, 2] },
    { starts: [3], ends: [3], axes: [0] },
    { starts: [10], ends: [20], axes: [1] },
    { starts: [2], ends: [5], axes: [2], steps: [-1] },
  ];
  for (const c of cases) {
    const attrs = { starts: c.starts, ends: c.ends };
    if (c.axes) attrs.axes = c.axes;
    if (c.steps) attrs.steps = c.steps;
    const got = await runOp("Slice", attrs, { x });
    const axes = c.axes ?? c.starts.map((_, i) => i);
    const ref = sliceRef(x, c.starts, c.ends, axes, c.steps ?? c.starts.map(() => 1));
    assertExact(`Slice ${JSON.stringify(attrs)}`, got, ref, { t });
  }
  // the JS reference itself vs tf.stridedSlice on a few cases (begin/end/strides over all axes)
  const ss = tfRun((v) => tf.stridedSlice(v, [4, 6, 1], [0, 0, 8], [-1, -2, 3]), x);
  assertExact("sliceRef vs tf.stridedSlice", sliceRef(x, [4, 6, 1], [0, 0, 8], [0, 1, 2], [-1, -2, 3]), ss);
  const got = await runOp("Slice", { starts: [4, 6, 1], ends: [0, 0, 8], steps: [-1, -2, 3] }, { x });
  assertExact("Slice vs tf.stridedSlice", got, ss, { t });
});

test("Transpose: ranks 2-5 and 8, default (reversed) and explicit perms", async (t) => {
  const R = rng(1704);
  const cases = [
    { shape: [5, 7] },
    { shape: [2, 3, 5], perm: [1, 2, 0] },
    { shape: [2, 3, 5], perm: [0, 2, 1] },
    { shape: [2, 3, 4, 5], perm: [0, 3, 1, 2] },
    { shape: [2, 3, 4, 5], perm: [0, 2, 3, 1] },
    { shape: [2, 3, 1, 4, 5], perm: [4, 2, 0, 3, 1] },
    { shape: [3, 1, 7], perm: [1, 0, 2] },
    { shape: [4, 6], perm: [0, 1] },
    { shape: [2, 3, 2, 3, 2, 3, 2, 3], perm: [7, 5, 3, 1, 0, 2, 4, 6] },
  ];
  for (const c of cases) {
    const x = rand(R, c.shape);
    const got = await runOp("Transpose", c.perm ? { perm: c.perm } : {}, { x });
    assertExact(`Transpose [${c.shape}] perm ${c.perm ?? "default"}`, got, tfRun((v) => tf.transpose(v, c.perm), x), { t });
  }
});

test("Pad (constant): values, asymmetric pads on every axis, zero pads", async (t) => {
  const R = rng(1705);
  const cases = [
    { shape: [3, 5], pads: [1, 2, 0, 3], value: 0.5 },
    { shape: [2, 3, 4, 5], pads: [0, 1, 2, 0, 1, 0, 1, 3], value: -1.5 },
    { shape: [7], pads: [2, 3] },
    { shape: [2, 3, 4], pads: [0, 0, 0, 0, 0, 0], value: 9 },
    { shape: [1, 3, 5, 5], pads: [0, 0, 1, 1, 0, 0, 1, 1], value: 0 },
  ];
  for (const c of cases) {
    const x = rand(R, c.shape);
    const attrs = { pads: c.pads };
    if (c.value !== undefined) attrs.value = c.value;
    const got = await runOp("Pad", attrs, { x });
    const r = c.shape.length;
    const paddings = c.shape.map((_, i) => [c.pads[i], c.pads[i + r]]);
    assertExact(`Pad [${c.shape}] pads [${c.pads}] value ${c.value ?? 0}`, got, tfRun((v) => tf.pad(v, paddings, c.value ?? 0), x), { t });
  }
});

test("Reshape / Flatten / Squeeze / Unsqueeze / Identity of a graph input, as the graph output", async (t) => {
  const R = rng(1706);
  const x = rand(R, [2, 3, 4]);
  const cases = [
    ["Reshape", { shape: [4, -1] }, [4, 6]],
    ["Reshape", { shape: [0, 12] }, [2, 12]],
    ["Reshape", { shape: [-1] }, [24]],
    ["Reshape", { shape: [2, 0, 2, 2] }, [2, 3, 2, 2]],
    ["Flatten", {}, [2, 12]],
    ["Flatten", { axis: 0 }, [1, 24]],
    ["Flatten", { axis: 3 }, [24, 1]],
    ["Unsqueeze", { axes: [0, 3] }, [1, 2, 3, 1, 4]],
    ["Unsqueeze", { axes: [-1] }, [2, 3, 4, 1]],
    ["Identity", {}, [2, 3, 4]],
  ];
  for (const [op, attrs, shape] of cases) {
    const got = await runOp(op, attrs, { x });
    assertExact(`${op} ${JSON.stringify(attrs)}`, got, { shape, data: x.data }, { t });
  }
  const s = rand(R, [1, 3, 1, 5]);  // Squeeze
  for (const [attrs, shape] of [[{}, [3, 5]], [{ axes: [2] }, [1, 3, 5]], [{ axes: [-4, -2] }, [3, 5]], [{ axes: [0] }, [3, 1, 5]]]) {
    const got = await runOp("Squeeze", attrs, { x: s });
    assertExact(`Squeeze ${JSON.stringify(attrs)}`, got, { shape, data: s.data }, { t });
  }
});

test("Flatten with a negative axis counts from the back (ONNX: axis in [-r, r], -1 is r - 1)", async (t) => {
  const x = rand(rng(1710), [2, 3, 4]);
  for (const [axis, shape] of [[-1, [6, 4]], [-2, [2, 12]], [-3, [1, 24]]]) {
    const got = await runOp("Flatten", { axis }, { x });
    assertExact(`Flatten axis ${axis}`, got, { shape, data: x.data }, { t });
  }
});

/**
 * x @ w + b by tfjs, with the bound 1e-5 + 1e-5*sum|terms| plus the input's own bound carried through |w|
 * (xBound: per-element bound of x, when x is itself a computed value).
 */
function mm(x, w, b, xBound) {
  const f = (abs) => tf.tidy(() => {
    let xt = toTf(x), wt = toTf(w), bt = toTf(b);
    if (abs) { xt = tf.abs(xt); wt = tf.abs(wt); bt = tf.abs(bt); }
    return fromTf(tf.add(tf.matMul(xt, wt), bt));
  });
  const y = f(false), a = f(true);
  const carried = xBound ? tfRun((e, v) => tf.matMul(e, tf.abs(v)), { shape: x.shape, data: Float32Array.from(xBound) }, w).data : undefined;
  return { y, bound: a.data.map((s, i) => 1e-5 + 1e-5 * s + (carried ? carried[i] * 1.001 : 0)) };
}

test("Reshape between two ops, and as a graph output next to the value it aliases", async (t) => {
  const R = rng(1707);
  const x = rand(R, [4, 6]);
  const w1 = rand(R, [6, 10]), b1 = rand(R, [10]), w2 = rand(R, [5, 3]), b2 = rand(R, [3]);
  const r = await runGraph({
    inputs: { x }, constants: { w1, b1, w2, b2 }, outputs: ["y", "a", "r"],
    nodes: [
      node("Dense", ["x", "w1", "b1"], ["a"]),
      node("Reshape", ["a"], ["r"], { shape: [8, 5] }),
      node("Dense", ["r", "w2", "b2"], ["y"]),
    ],
  });
  const A = mm(x, w1, b1);
  assertClose("Dense a", r.out.a, A.y, { bound: A.bound, t });
  assertClose("Reshape r (graph output aliasing a)", r.out.r, { shape: [8, 5], data: A.y.data }, { bound: A.bound, t });
  const Y = mm({ shape: [8, 5], data: A.y.data }, w2, b2, A.bound);
  assertClose("Dense after Reshape", r.out.y, Y.y, { bound: Y.bound, t });
});

test("an aliased value read again after later ops (its memory must outlive them)", async (t) => {
  // x -> Dense a -> Reshape r -> Reshape r2 -> Dense b -> Dense c ; y = Concat(r2, c): a's memory must survive b and c.
  const R = rng(1708);
  const x = rand(R, [4, 5]);
  const w1 = rand(R, [5, 6]), b1 = rand(R, [6]), w2 = rand(R, [6, 6]), b2 = rand(R, [6]), w3 = rand(R, [6, 6]), b3 = rand(R, [6]);
  const r = await runGraph({
    inputs: { x }, constants: { w1, b1, w2, b2, w3, b3 }, outputs: ["y"],
    nodes: [
      node("Dense", ["x", "w1", "b1"], ["a"]),
      node("Reshape", ["a"], ["r"], { shape: [4, 2, 3] }),
      node("Flatten", ["r"], ["r2"], { axis: 1 }),
      node("Dense", ["r2", "w2", "b2"], ["b"]),
      node("Dense", ["b", "w3", "b3"], ["c"]),
      node("Concat", ["r2", "c"], ["y"], { axis: 1 }),
    ],
  });
  const A = mm(x, w1, b1), B = mm(A.y, w2, b2, A.bound), C = mm(B.y, w3, b3, B.bound);
  const ref = tfRun((p, q) => tf.concat([p, q], 1), A.y, C.y);
  const bound = new Float64Array(ref.data.length);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 12; j++) bound[i * 12 + j] = j < 6 ? A.bound[i * 6 + j] : C.bound[i * 6 + j - 6];
  assertClose("Concat(r2, c)", r.out.y, ref, { bound, t });
});

const C23 = { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
const X32 = { shape: [3, 2], data: Float32Array.from([10, 20, 30, 40, 50, 60]) };
test("Reshape of a constant (folded at load) as a graph output keeps the constant's values", async (t) => {
  const r = await runGraph({ inputs: { x: X32 }, constants: { c: C23 }, nodes: [node("Reshape", ["c"], ["r"], { shape: [3, 2] })], outputs: ["r"] });
  assertExact("Reshape(constant) as output", r.out.r, { shape: [3, 2], data: C23.data }, { t });
});
test("Reshape of a constant (folded at load) as an operand of Add", async (t) => {
  const r = await runGraph({
    inputs: { x: X32 }, constants: { c: C23 }, outputs: ["y"],
    nodes: [node("Reshape", ["c"], ["r"], { shape: [3, 2] }), node("Add", ["x", "r"], ["y"])],
  });
  assertExact("Add(x, Reshape(constant))", r.out.y, { shape: [3, 2], data: [11, 22, 33, 44, 55, 66] }, { t });
});
test("Unsqueeze / Flatten / Reshape of a constant (folded at load) as a Dense bias", async (t) => {
  const w = { shape: [2, 3], data: new Float32Array(6) };
  const bias = { shape: [1, 3], data: Float32Array.from([0.5, -1, 2]) };
  const r = await runGraph({
    inputs: { x: X32 }, constants: { w, bias }, outputs: ["y"],
    nodes: [node("Unsqueeze", ["bias"], ["b3"], { axes: [0] }), node("Flatten", ["b3"], ["b"], { axis: 0 }), node("Reshape", ["b"], ["bb"], { shape: [3] }), node("Dense", ["x", "w", "bb"], ["y"])],
  });
  assertExact("Dense with a reshaped constant bias", r.out.y, { shape: [3, 3], data: [0.5, -1, 2, 0.5, -1, 2, 0.5, -1, 2] }, { t });
});
test("Transpose of a constant (folded at load, a real copy) as an operand of Add", async (t) => {
  const r = await runGraph({
    inputs: { x: X32 }, constants: { c: C23 }, outputs: ["y"],
    nodes: [node("Transpose", ["c"], ["r"]), node("Add", ["x", "r"], ["y"])],
  });
  assertExact("Add(x, Transpose(constant))", r.out.y, { shape: [3, 2], data: [11, 24, 32, 45, 53, 66] }, { t });
});

test("zero-size tensors: empty Slice feeding Concat", async (t) => {
  const R = rng(1709);
  const x = rand(R, [3, 4]);
  const r = await runGraph({
    inputs: { x }, outputs: ["e", "y"],
    nodes: [node("Slice", ["x"], ["e"], { starts: [2], ends: [2], axes: [1] }), node("Concat", ["x", "e"], ["y"], { axis: 1 })],
  });
  assert.deepEqual(r.out.e.shape, [3, 0]);
  assertExact("Concat(x, empty)", r.out.y, x, { t });
});
