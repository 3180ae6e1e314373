// A damaged or hostile model file must fail with an EdgennError that says what is wrong, never load with
// another answer, crash with a TypeError/RangeError, hang, or read out of bounds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { uniform } from "./prng.mjs";
import { EdgennError, Tensor, conv2d, dense, flatten, load, maxPool2d, readEnn, sequential, writeEnn } from "../dist/index.js";

const mlp = readFileSync(new URL("../models/wdbc-mlp.enn", import.meta.url));
const prng = uniform;

test("every randomly damaged copy of the default model is refused (1000 copies)", async () => {
  const rand = prng(7);
  let refused = 0;
  for (let i = 0; i < 1000; i++) {
    const bytes = new Uint8Array(mlp);
    const flips = 1 + Math.floor(rand() * 4);
    let changed = false;
    for (let f = 0; f < flips; f++) {
      const at = Math.floor(rand() * bytes.length);
      const v = Math.floor(rand() * 256);
      changed ||= bytes[at] !== v;
      bytes[at] = v;
    }
    if (!changed) continue;
    await assert.rejects(load(bytes), (e) => e instanceof EdgennError && e.code === "BAD_FILE", `copy ${i} loaded`);
    refused++;
  }
  assert.ok(refused > 990);
});

/** Applies one random, checksum-valid edit to the graph and returns the re-signed file. */
function editGraph(file, rand) {
  const graph = structuredClone(file.graph);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const weird = () => pick([-1, 0, 1, 2, 3, 1e9, 2 ** 31, -(2 ** 40), 0.5, "x", "", null, true, [], [1, 2], [-3, 0], ["a"], {}, "relu", "NHWC", "SAME_UPPER", "Conv"]);
  const node = pick(graph.nodes);
  switch (Math.floor(rand() * 8)) {
    case 0: node.op = pick(["Conv", "Dense", "Relu", "Softmax", "MaxPool", "Reshape", "Concat", "Transpose", "Slice", "Pad", "Nope", "Split", "Add"]); break;
    case 1: node.inputs[Math.floor(rand() * node.inputs.length)] = pick([...graph.nodes.flatMap((n) => n.outputs), "input", "missing", ""]); break;
    case 2: node.attrs[pick(["activation", "alpha", "beta", "axis", "shape", "perm", "pads", "strides", "kernel_shape", "group", "dilations", "layout", "auto_pad", "transposeW", "starts", "ends", "steps", "split"])] = weird(); break;
    case 3: graph.inputs[0].shape[Math.floor(rand() * graph.inputs[0].shape.length)] = weird(); break;
    case 4: graph.outputs = [pick([...graph.nodes.flatMap((n) => n.outputs), "input", "nothing"])]; break;
    case 5: node.outputs = pick([[], ["input"], [graph.nodes[0].outputs[0]], ["a", "b"]]); break;
    case 6: graph.nodes.push(structuredClone(node)); break;
    case 7: node.inputs.push(pick(["input", "extra", ""])); break;
  }
  const tensors = [...file.tensors.values()].map((t) => ({ name: t.name, shape: t.shape, data: t.data }));
  return writeEnn({ graph, metadata: file.metadata, tensors });
}

async function fuzzModel(bytes, inputShape, seed, count) {
  const file = readEnn(bytes);
  const rand = prng(seed);
  const outcomes = { refused: 0, ran: 0 };
  for (let i = 0; i < count; i++) {
    const edited = editGraph(file, rand);
    try {
      const s = await load(edited);
      const shape = s.inputs[0]?.shape.map((d) => (typeof d === "number" ? d : 2)) ?? inputShape;
      const n = shape.reduce((a, b) => a * b, 1);
      if (n > 1e6) { s.dispose(); continue; }
      await s.run({ [s.inputNames[0]]: new Tensor("float32", new Float32Array(n).fill(0.5), shape) });
      s.dispose();
      outcomes.ran++;
    } catch (e) {
      assert.ok(e instanceof EdgennError, `edit ${i}: ${e?.stack ?? e}`);
      assert.ok(e.message.length > 10);
      outcomes.refused++;
    }
  }
  return outcomes;
}

test("hostile graphs with valid checksums give EdgennErrors, never crashes (MLP, 300 edits)", async () => {
  const o = await fuzzModel(mlp, [1, 30], 11, 300);
  assert.ok(o.refused > 50, JSON.stringify(o));
});

test("hostile graphs with valid checksums give EdgennErrors, never crashes (CNN, 300 edits)", async () => {
  const cnn = sequential([conv2d(4, 3, { padding: "same", activation: "relu" }), maxPool2d(2), flatten(), dense(3, "sigmoid")], { inputShape: [6, 6, 2] });
  const o = await fuzzModel(cnn.save({ name: "cnn" }), [1, 6, 6, 2], 12, 300);
  assert.ok(o.refused > 50, JSON.stringify(o));
});
