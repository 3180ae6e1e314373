// bench/peers/tflite-from-onnx.mjs, the .tflite writer behind the LiteRT.js column of bench/compare.mjs: the MLP and
// the 1-D CNN (real PyTorch exports, scripts/models.mjs) are written as .tflite, read back with the flatbuffers
// reader (layout: OHWI filters, [out, in] FULLY_CONNECTED weights, fused RELU, the same weights), then run in
// LiteRT.js (XNNPACK, in this Node) and must match onnxruntime-node within 1e-4 of max |ref|.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as flatbuffers from "flatbuffers";
import * as ort from "onnxruntime-node";
import { compileTflite, loadLiteRtNode } from "../bench/peers/litert-node.mjs";
import { modelFiles } from "../bench/peers/runtimes.mjs";
import { onnxToTflite } from "../bench/peers/tflite-from-onnx.mjs";
import { onnx, protoData } from "../bench/peers/onnx-graph.mjs";

const REL_TOL = 1e-4;
const CONV_2D = 3, FULLY_CONNECTED = 9, LOGISTIC = 14, RESHAPE = 22, TRANSPOSE = 39, RELU = 1;

/** Just enough of a .tflite reader (schema.fbs field slots) to check what the writer laid out. */
function readTflite(bytes) {
  const bb = new flatbuffers.ByteBuffer(bytes);
  assert.ok(bb.__has_identifier("TFL3"), "file identifier TFL3");
  const at = (t, slot) => { const o = bb.__offset(t, 4 + 2 * slot); return o ? t + o : 0; };
  const tables = (t, slot) => { const o = at(t, slot); return o ? Array.from({ length: bb.__vector_len(o) }, (_, i) => bb.__indirect(bb.__vector(o) + 4 * i)) : []; };
  const ints = (t, slot) => { const o = at(t, slot); return o ? Array.from({ length: bb.__vector_len(o) }, (_, i) => bb.readInt32(bb.__vector(o) + 4 * i)) : []; };
  const model = bb.readInt32(0);
  const codes = tables(model, 1).map((c) => bb.readInt32(at(c, 3)));
  const buffers = tables(model, 4).map((b) => { const o = at(b, 0); return o ? bytes.slice(bb.__vector(o), bb.__vector(o) + bb.__vector_len(o)) : null; });
  const [subgraph] = tables(model, 2);
  const tensors = tables(subgraph, 0).map((t) => ({ shape: ints(t, 0), data: buffers[at(t, 2) ? bb.readUint32(at(t, 2)) : 0] }));
  const ops = tables(subgraph, 3).map((o) => {
    const options = at(o, 4) && bb.__indirect(at(o, 4));
    return { code: codes[at(o, 0) ? bb.readUint32(at(o, 0)) : 0], inputs: ints(o, 1), outputs: ints(o, 2), byte: (slot) => (options && at(options, slot) ? bb.readInt8(at(options, slot)) : 0) };
  });
  return { tensors, ops, inputs: ints(subgraph, 1), outputs: ints(subgraph, 2) };
}

const floats = (u8) => new Float32Array(u8.buffer, u8.byteOffset, u8.byteLength / 4);
const initializer = (bytes, name) => protoData(onnx.ModelProto.decode(bytes).graph.initializer.find((i) => i.name === name));

async function ortOutput(bytes, feeds) {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([n, f]) => [n, new ort.Tensor(f.dtype, f.data, f.shape)])));
    return out[s.outputNames[0]].data;
  } finally { await s.release(); }
}

for (const name of ["wdbc_mlp", "dna_cnn"]) {
  test(`${name}: written as .tflite, runs in LiteRT.js and matches onnxruntime-node within ${REL_TOL} of max |ref|`, async () => {
    const f = modelFiles(name), bytes = readFileSync(f.path);
    const { tflite, inputs } = onnxToTflite(bytes, f.feeds);
    const m = readTflite(tflite);

    if (name === "wdbc_mlp") {
      const fcs = m.ops.filter((o) => o.code === FULLY_CONNECTED);
      assert.equal(fcs.length, 3, "one FULLY_CONNECTED per Gemm");
      const w = initializer(bytes, "net.0.weight"), t = m.tensors[fcs[0].inputs[1]];
      assert.deepEqual(t.shape, [64, 30], "FULLY_CONNECTED weights are [out, in]");
      assert.deepEqual(floats(t.data), w.data, "the same weights");
      assert.deepEqual(fcs.map((o) => o.byte(0)), [RELU, RELU, 0], "Relu fused into the first two");
      assert.equal(m.ops.at(-1).code, LOGISTIC);
    } else {
      assert.deepEqual(m.ops.slice(0, 3).map((o) => o.code), [TRANSPOSE, RESHAPE, CONV_2D], "NCW input → NWC → height-1 NHWC → CONV_2D");
      const conv = m.ops[2], filter = m.tensors[conv.inputs[1]], w = initializer(bytes, "onnx::Conv_34"); // [64, 4, 15]
      assert.deepEqual(filter.shape, [64, 1, 15, 4], "filters are OHWI");
      const got = floats(filter.data);
      for (const [o, i, k] of [[0, 0, 0], [5, 3, 14], [63, 2, 7]]) assert.equal(got[(o * 15 + k) * 4 + i], w.data[(o * 4 + i) * 15 + k], `filter[${o}, 0, ${k}, ${i}]`);
      assert.equal(conv.byte(3), RELU, "Relu fused into CONV_2D");
      assert.equal(m.ops.filter((o) => o.code === CONV_2D).length, 3);
    }

    const { lt } = await loadLiteRtNode();
    const model = await compileTflite(lt, tflite, inputs);
    let got;
    try { got = await model.run(f.feeds); } finally { model.dispose(); }
    const want = await ortOutput(bytes, f.feeds);
    assert.equal(got.length, want.length);
    let maxAbs = 0, scale = 0;
    for (let i = 0; i < want.length; i++) { maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i])); scale = Math.max(scale, Math.abs(want[i])); }
    assert.ok(maxAbs <= REL_TOL * (scale || 1), `max |LiteRT - ort| ${maxAbs} over max |ref| ${scale}`);
  });
}
