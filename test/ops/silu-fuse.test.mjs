// x·sigmoid(x) as PyTorch exports SiLU (Sigmoid + Mul, either operand order) becomes one Silu fused into the conv
// before it; answers equal the unfused graph's (the sigmoid kept alive as a graph output stops the rewrite) to 1e-6.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InferenceSession, Tensor } from "../../dist/index.js";
import { uniform } from "../prng.mjs";

const rand = uniform(21);
const C = 8;
const w = { shape: [C, C, 3, 3], data: Float32Array.from({ length: C * C * 9 }, () => rand() - 0.5) };

function graph(mulInputs, keepSigmoid) {
  return {
    inputs: [{ name: "x", dtype: "float32", shape: [1, 6, 6, C] }], outputs: keepSigmoid ? ["y", "s"] : ["y"],
    constants: new Map([["w", w]]),
    nodes: [
      { op: "Conv", name: "c", inputs: ["x", "w", ""], outputs: ["a"], attrs: { layout: "NHWC", pads: [1, 1, 1, 1] } },
      { op: "Sigmoid", name: "sig", inputs: ["a"], outputs: ["s"], attrs: {} },
      { op: "Mul", name: "mul", inputs: mulInputs, outputs: ["y"], attrs: {} },
    ],
  };
}

test("Sigmoid + Mul(x, sigmoid x) -> Silu fused into the conv, both operand orders, same answer as unfused", async () => {
  const x = new Tensor("float32", Float32Array.from({ length: 36 * C }, () => rand() * 4 - 2), [1, 6, 6, C]);
  const plain = await InferenceSession.fromGraph(graph(["a", "s"], true));
  assert.equal(plain.fusion.silus, 0, "the sigmoid is read as an output: no rewrite");
  const want = plain.runSync({ x }, ["y"]).y.data;
  for (const order of [["a", "s"], ["s", "a"]]) {
    const s = await InferenceSession.fromGraph(graph(order, false));
    assert.equal(s.fusion.silus, 1);
    assert.equal(s.fusion.fusedActivations, 1, "the Silu went into the conv's epilogue");
    assert.equal(s.describe().nodes.length, 1);
    const got = s.runSync({ x }).y.data;
    assert.ok(got.every((v, i) => Math.abs(v - want[i]) <= 1e-6), `order ${order}`);
  }
});
