// int8 weights in .enn (per-channel symmetric scales): round-trip error bounds, the reader's checks on the
// quantization entry, and what int8 storage does to the default model's held-out accuracy and size.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { sha256 } from "@noble/hashes/sha2.js";
import { EdgennError, Tensor, load, readEnn, writeEnn } from "../../dist/index.js";
import { graphToEnn } from "../../dist/save.js";
import { importModel } from "../../dist/session.js";
import { uniform } from "../prng.mjs";

const rand = uniform(3);

test("int8 round trip: every value within half its channel's step; a small channel keeps its own precision", () => {
  // Channel 0 is 1000x larger than channel 1: per-channel scales keep channel 1 exact to 1e-3 of its range.
  const [rows, cols] = [3, 40];
  const data = Float32Array.from({ length: rows * cols }, (_, i) => (rand() * 2 - 1) * (i % cols < 20 ? 1000 : 1));
  const file = readEnn(writeEnn({ tensors: [{ name: "w", dtype: "int8", quantAxis: 1, shape: [rows, cols], data }] }));
  const t = file.tensors.get("w");
  assert.equal(t.dtype, "int8");
  for (let c = 0; c < cols; c++) {
    let max = 0;
    for (let r = 0; r < rows; r++) max = Math.max(max, Math.abs(data[r * cols + c]));
    const step = max / 127;
    for (let r = 0; r < rows; r++) {
      const i = r * cols + c;
      assert.ok(Math.abs(t.data[i] - data[i]) <= step / 2 * (1 + 1e-6), `[${r},${c}] ${t.data[i]} vs ${data[i]} (step ${step})`);
    }
  }
  assert.throws(() => writeEnn({ tensors: [{ name: "w", dtype: "int8", shape: [2], data: Float32Array.of(1, NaN) }] }), /int8 cannot store NaN/);
  assert.throws(() => writeEnn({ tensors: [{ name: "w", dtype: "int8", quantAxis: 2, shape: [2, 2], data: new Float32Array(4) }] }), /quantAxis 2 is not an axis/);
});

/** A file whose header is edited as JSON and resealed (valid checksum), to reach the quantization checks. */
function withEntry(edit) {
  const bytes = writeEnn({ tensors: [{ name: "w", dtype: "int8", quantAxis: 0, shape: [2, 3], data: Float32Array.of(1, 2, 3, -4, 5, 6) }] });
  const v = new DataView(bytes.buffer);
  const hl = v.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(56, 56 + hl)));
  edit(header.tensors[0]);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const oldStart = Math.ceil((56 + hl) / 64) * 64, start = Math.ceil((56 + json.length) / 64) * 64;
  const out = new Uint8Array(start + bytes.length - oldStart);
  out.set(bytes.subarray(0, 56));
  new DataView(out.buffer).setUint32(12, json.length, true);
  out.set(json, 56);
  out.set(bytes.subarray(oldStart), start);
  out.set(sha256.create().update(out.subarray(0, 24)).update(out.subarray(56)).digest(), 24);
  return out;
}

test("the reader refuses a bad quantization entry with BAD_FILE naming the tensor", () => {
  assert.ok(Math.abs(readEnn(withEntry(() => {})).tensors.get("w").data[3] + 4) <= 6 / 127 / 2); // row 1 step: 6/127
  const cases = [
    [(e) => delete e.quantization, /int8 needs quantization/],
    [(e) => { e.quantization.scale = [1]; }, /scale must be an array of 2 numbers/],
    [(e) => { e.quantization.scale[1] = 0; }, /scale\[1\] = 0 is not a finite positive number/],
    [(e) => { e.quantization.scale[0] = -1; }, /scale\[0\] = -1/],
    [(e) => { e.quantization.scale[0] = "1"; }, /scale\[0\]/],
    [(e) => { e.quantization.axis = 2; }, /axis 2 is not an axis of shape \[2, 3\]/],
    [(e) => { e.quantization.zeroPoint = 3; }, /unknown quantization key 'zeroPoint'/],
    [(e) => { e.dtype = "float16"; e.byteLength = 12; }, /a float16 tensor has no quantization/],
  ];
  for (const [edit, pattern] of cases) {
    assert.throws(() => readEnn(withEntry(edit)), (e) => e instanceof EdgennError && e.code === "BAD_FILE" && /tensor #0 'w'/.test(e.message) && pattern.test(e.message), String(edit));
  }
});

test("default model: f32 / f16 / int8 storage, sizes and held-out accuracy (114 cases)", async (t) => {
  const ref = JSON.parse(readFileSync(new URL("../models/wdbc-reference.json", import.meta.url), "utf8"));
  const { graph, metadata } = await importModel(new Uint8Array(readFileSync(new URL("../../models/wdbc-mlp.enn", import.meta.url))));
  const x = new Tensor("float32", Float32Array.from(ref.standardized_features.flat()), [ref.labels.length, 30]);
  const rows = [];
  for (const [label, opts] of [["f32", {}], ["f16", { fp16: true }], ["int8", { int8: true }]]) {
    const bytes = graphToEnn(graph, metadata, opts);
    const p = (await (await load(bytes)).run({ input: x })).output.data;
    const correct = ref.labels.filter((y, i) => (p[i] >= 0.5 ? 1 : 0) === y).length; // label 1 = malignant = P >= 0.5
    const maxDiff = Math.max(...ref.probabilities.map((q, i) => Math.abs(q - p[i])));
    rows.push({ label, bytes: bytes.length, correct, maxDiff });
  }
  t.diagnostic(JSON.stringify(rows));
  const [f32, f16, int8] = rows;
  assert.ok(f32.maxDiff < 1e-5 && f16.maxDiff < 1e-2 && int8.maxDiff < 0.05, JSON.stringify(rows));
  // The JSON header (graph, metadata, scales) is a fixed ~5 KB of this small file.
  assert.ok(int8.bytes < 0.55 * f32.bytes && f16.bytes < 0.6 * f32.bytes, `int8 ${int8.bytes}, f16 ${f16.bytes}, f32 ${f32.bytes} bytes`);
  assert.ok(Math.abs(int8.correct - f32.correct) <= 1 && Math.abs(f16.correct - f32.correct) <= 1, JSON.stringify(rows));
});

test("DNA splice CNN and ResNet-18: f32 / f16 / int8 sizes and what storage rounding does (held-out accuracy; largest output difference)", async (t) => {
  const { CLASSES, oneHot, readSplice } = await import("../../scripts/splice/data.mjs");
  const { rows, test: held } = readSplice();
  const splice = await importModel(new Uint8Array(readFileSync(new URL("../../models/splice-cnn.enn", import.meta.url))));
  const x = new Tensor("float32", oneHot(held.map((i) => rows[i].sequence)), [held.length, 4, 60]);
  const acc = {};
  for (const [label, opts] of [["f32", {}], ["f16", { fp16: true }], ["int8", { int8: true }]]) {
    const bytes = graphToEnn(splice.graph, splice.metadata, opts);
    const p = (await (await load(bytes)).run({ input: x })).probabilities.data;
    const correct = held.filter((i, n) => CLASSES[[0, 1, 2].reduce((b, c) => (p[n * 3 + c] > p[n * 3 + b] ? c : b), 0)] === rows[i].label).length;
    acc[label] = { bytes: bytes.length, accuracy: correct / held.length };
  }
  t.diagnostic(`splice CNN (637 held-out sequences): ${JSON.stringify(acc)}`);
  assert.ok(acc.int8.accuracy >= acc.f32.accuracy - 0.01 && acc.f16.accuracy >= acc.f32.accuracy - 0.005, JSON.stringify(acc));

  const { ensureModels, readNpy } = await import("../../scripts/models.mjs");
  const { dir, manifest } = ensureModels();
  const r = await importModel(new Uint8Array(readFileSync(`${dir}/${manifest.models.resnet18.onnx}`)));
  const ct = readNpy(`${dir}/${manifest.models.resnet18.inputs[0].file}`);
  const run = async (bytes) => [...(await (await load(bytes)).run({ input: new Tensor("float32", ct.data, ct.shape) })).output.data];
  const f32 = graphToEnn(r.graph, r.metadata), y = await run(f32);
  const argmax = (v) => v.indexOf(Math.max(...v));
  const rows2 = {};
  for (const [label, opts] of [["f16", { fp16: true }], ["int8", { int8: true }]]) {
    const bytes = graphToEnn(r.graph, r.metadata, opts), z = await run(bytes);
    rows2[label] = { bytes: bytes.length, maxDiff: Math.max(...z.map((v, i) => Math.abs(v - y[i]))), sameTop1: argmax(z) === argmax(y) };
  }
  t.diagnostic(`resnet18 (random weights, the CT slice; f32 ${f32.length} bytes, max |logit| ${Math.max(...y.map(Math.abs)).toFixed(1)}): ${JSON.stringify(rows2)}`);
  assert.ok(rows2.int8.bytes < 0.3 * f32.length && rows2.f16.bytes < 0.55 * f32.length);
});
