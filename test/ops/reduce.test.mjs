// ReduceSum / ReduceMean / ReduceMax and Expand through the runtime against tfjs (cpu backend).
// Reduce: every subset of axes of a rank-4 tensor (one, two and three reduced groups: passes through scratch),
// keepdims 0 and 1, negative axes, no axes (all), size-1 axes only, and an empty input. Sum and mean:
// |got - ref| <= 1e-6 * (1 + |ref|) (float32 sums of at most 210 terms of |x| <= 5 in another order); max exact.
// Expand copies bits: exact, with broadcasting both ways (a target dim of 1 keeps the input's).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { assertClose, assertExact, initTf, node, rng, runGraph, runOp, sizeOf, tf, tfRun } from "./harness.mjs";

before(initTf);

const rand = (R, shape) => ({ shape, data: R.array(sizeOf(shape), -5, 5) });
const TF = { ReduceSum: tf.sum, ReduceMean: tf.mean, ReduceMax: tf.max };

test("Reduce{Sum,Mean,Max}: every subset of axes of [3, 4, 5, 6], keepdims 0 and 1", async (t) => {
  const R = rng(2100);
  const x = rand(R, [3, 4, 5, 6]);
  for (const op of Object.keys(TF)) {
    for (let mask = 1; mask < 16; mask++) {
      const axes = [0, 1, 2, 3].filter((a) => mask & (1 << a)).map((a, i) => (i % 2 ? a - 4 : a)); // some negative
      for (const keepdims of [0, 1]) {
        const got = await runOp(op, { axes, keepdims }, { x });
        const ref = tfRun((v) => TF[op](v, axes, keepdims === 1), x);
        const label = `${op} axes [${axes}] keepdims ${keepdims}`;
        if (op === "ReduceMax") assertExact(label, got, ref);
        else assertClose(label, got, ref, { atol: 1e-6, rtol: 1e-6 });
      }
    }
  }
  t.diagnostic("15 axis sets x 2 keepdims x 3 ops");
});

test("Reduce: no axes reduces everything; three reduced groups; only size-1 axes copies; an empty axis gives 0 / NaN / -Infinity", async () => {
  const R = rng(2101);
  const x = rand(R, [2, 1, 7]);
  assertClose("ReduceMean all", await runOp("ReduceMean", {}, { x }), tfRun((v) => tf.mean(v, undefined, true), x), { atol: 1e-6, rtol: 1e-6 });
  const y = rand(R, [2, 3, 2, 3, 2, 3]); // axes 0, 2, 4: three passes, through both scratch buffers
  assertClose("ReduceSum three passes", await runOp("ReduceSum", { axes: [0, 2, 4] }, { x: y }), tfRun((v) => tf.sum(v, [0, 2, 4], true), y), { atol: 1e-6, rtol: 1e-6 });
  assertExact("ReduceMax size-1 axis", await runOp("ReduceMax", { axes: [1], keepdims: 0 }, { x }), { shape: [2, 7], data: x.data });
  const empty = { shape: [2, 0, 3], data: new Float32Array(0) };
  for (const [op, v] of [["ReduceSum", 0], ["ReduceMean", NaN], ["ReduceMax", -Infinity]]) {
    const got = await runOp(op, { axes: [1], keepdims: 0 }, { x: empty });
    assert.deepEqual(got.shape, [2, 3]);
    assert.ok([...got.data].every((g) => Object.is(g, v)), `${op} over an empty axis: ${[...got.data]}`);
  }
});

test("Reduce over time of a long sequence (the bidirectional GRU's mean), read again after another op", async () => {
  const R = rng(2102);
  const x = rand(R, [1, 1000, 128]);
  const { out } = await runGraph({
    inputs: { x },
    nodes: [node("ReduceMean", ["x"], ["m"], { axes: [1], keepdims: 0 }), node("Relu", ["m"], ["y"])],
    outputs: ["m", "y"],
  });
  assertClose("mean over time", out.m, tfRun((v) => tf.mean(v, 1), x), { atol: 1e-6, rtol: 1e-6 });
  assertExact("relu of it", out.y, { shape: [1, 128], data: out.m.data.map((v) => Math.max(0, v)) });
});

test("Expand: broadcasting both ways, rank growth, and a scalar", async () => {
  const R = rng(2103);
  const cases = [
    [[3, 1], [2, 3, 4]], [[1, 4], [3, 1]], [[2, 3], [2, 3]], [[], [2, 2]], [[5, 1, 2], [1, 3, 1]],
  ];
  for (const [from, shape] of cases) {
    const x = rand(R, from);
    const got = await runOp("Expand", { shape }, { x });
    const ref = tfRun((v) => tf.mul(v, tf.ones(shape)), x); // multiplying by ones broadcasts both ways, bit-exact
    assertExact(`Expand [${from}] to [${shape}]`, got, ref);
  }
});
