// Taps: load(src, { taps }) keeps intermediate values fetchable by name, through fusion and the NHWC layout pass;
// on the real DNA CNN they equal onnxruntime-node's values for the same tensors (made graph outputs there).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { EdgennError, Tensor, load } from "../dist/index.js";
import { ensureModels, readNpy } from "../scripts/models.mjs";

const { dir, manifest } = ensureModels();
const m = manifest.models.dna_cnn;
const bytes = readFileSync(join(dir, m.onnx));
const x = readNpy(join(dir, m.inputs[0].file));
// A conv output that fusion would merge with its ReLU, and the last feature map (what a CAM reads).
const TAPS = ["/net/net.4/Conv_output_0", "/net/net.9/Relu_output_0"];

/** onnxruntime-node's values for `names` (made graph outputs of a copy of the model). */
async function ortValues(names, model = bytes, feeds = { input: new ort.Tensor("float32", x.data, x.shape) }) {
  const { onnx } = onnxProto;
  const proto = onnx.ModelProto.decode(model);
  for (const name of names) proto.graph.output.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1 } } }));
  const s = await ort.InferenceSession.create(onnx.ModelProto.encode(proto).finish(), { intraOpNumThreads: 1 });
  return s.run(feeds);
}

test("tapped intermediate values equal onnxruntime-node's (1e-5 relative), the model's output is unchanged", async () => {
  const plain = await load(bytes);
  const tapped = await load(bytes, { taps: TAPS });
  const feeds = { input: new Tensor("float32", x.data, x.shape) };
  assert.deepEqual(tapped.outputNames, ["output"], "taps are not outputs: a plain run returns the model's outputs only");
  assert.deepEqual(Object.keys(await tapped.run(feeds)), ["output"]);
  const got = await tapped.run(feeds, { fetch: [...TAPS, "output"] });
  const want = await ortValues(TAPS);
  for (const name of [...TAPS, "output"]) {
    assert.deepEqual(got[name].dims, [...want[name].dims], name);
    const scale = Math.max(1, ...want[name].data.map(Math.abs));
    const err = Math.max(...got[name].data.map((v, i) => Math.abs(v - want[name].data[i])));
    assert.ok(err <= 1e-5 * scale, `${name}: max |diff| ${err}`);
  }
  assert.deepEqual([...got.output.data], [...(await plain.run(feeds)).output.data]);
  // ORT's array form of fetches reaches taps too.
  assert.deepEqual(Object.keys(await tapped.run(feeds, [TAPS[1]])), [TAPS[1]]);
  tapped.dispose();
  plain.dispose();
});

test("a tap that names no value, or a fetch of an untapped value, is a clear BAD_INPUT", async () => {
  await assert.rejects(load(bytes, { taps: ["/net/nope"] }), (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && /no value named '\/net\/nope'/.test(e.message));
  const s = await load(bytes);
  await assert.rejects(s.run({ input: new Tensor("float32", x.data, x.shape) }, { fetch: [TAPS[0]] }),
    (e) => e instanceof EdgennError && /invalid output name: \/net\/net.4\/Conv_output_0 .*load\(src, \{ taps/.test(e.message));
  s.dispose();
});

test("attention weights: a tapped softmax of the transformer stays fused and its per-head weights equal onnxruntime-node's", async () => {
  const t = manifest.models.transformer_text;
  const model = readFileSync(join(dir, t.onnx));
  const ids = readNpy(join(dir, t.inputs[0].file));
  const taps = ["/encoder/layers.0/self_attn/Softmax_output_0", "/encoder/layers.1/self_attn/Softmax_output_0"];
  const s = await load(model, { taps });
  assert.equal(s.fusion.attentions, 2, "both attentions fused, weights and all");
  const got = s.runSync({ input: new Tensor("int64", ids.data, ids.shape) }, { fetch: taps });
  const want = await ortValues(taps, model, { input: new ort.Tensor("int64", ids.data, ids.shape) });
  for (const name of taps) {
    assert.deepEqual(got[name].dims, [...want[name].dims], name); // [batch·heads, q, kv]: PyTorch's layout
    const err = Math.max(...got[name].data.map((v, i) => Math.abs(v - want[name].data[i])));
    assert.ok(err <= 1e-6, `${name}: max |diff| ${err}`);
    // Rows of attention weights sum to 1.
    for (let r = 0; r < 8; r++) assert.ok(Math.abs(got[name].data.slice(r * 128, r * 128 + 128).reduce((a, b) => a + b, 0) - 1) < 1e-5);
  }
  s.dispose();
});

test("explain.attention: per-head and averaged maps from the transformer's tapped weights (rows sum to 1, the mean is the heads' mean)", async () => {
  const { explain } = await import("../dist/index.js");
  const t = manifest.models.transformer_text;
  const tap = "/encoder/layers.1/self_attn/Softmax_output_0";
  const ids = readNpy(join(dir, t.inputs[0].file));
  const s = await load(readFileSync(join(dir, t.onnx)), { taps: [tap] });
  const w = s.runSync({ input: new Tensor("int64", ids.data, ids.shape) }, { fetch: [tap] })[tap]; // [1·4, 128, 128]
  const all = explain.attention(w, { heads: 4 });
  assert.equal(all.perHead.length, 4);
  assert.deepEqual(all.shape, [128, 128]);
  for (const m of all.perHead) for (let r = 0; r < 128; r += 31) assert.ok(Math.abs(m.slice(r * 128, r * 128 + 128).reduce((a, b) => a + b, 0) - 1) < 1e-5);
  for (let i = 0; i < all.mean.length; i += 997) assert.ok(Math.abs(all.mean[i] - all.perHead.reduce((a, m) => a + m[i], 0) / 4) < 1e-7);
  const row = explain.attention(w, { heads: 4, query: 5 });
  assert.deepEqual(row.shape, [128]);
  assert.deepEqual([...row.perHead[2]], [...all.perHead[2].slice(5 * 128, 6 * 128)]);
  assert.throws(() => explain.attention(w), /pass options.heads/);
  assert.throws(() => explain.attention(w, { heads: 4, query: 128 }), /query 128 is not in \[0, 128\)/);
  s.dispose();
});
