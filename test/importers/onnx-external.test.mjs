// ONNX external data (model.onnx + model.onnx.data, how large models are saved): load(path) reads the weights
// beside the model, answers like the self-contained model and like onnxruntime-node on the same files; bytes
// alone, a missing file, bytes outside the file and a location outside the model's directory are clear errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { EdgennError, Tensor, load } from "../../dist/index.js";
import { ensureModels, readNpy } from "../../scripts/models.mjs";

const { onnx } = onnxProto;
const { dir, manifest } = ensureModels();
const m = manifest.models.dna_cnn;
const bytes = readFileSync(join(dir, m.onnx));
const x = readNpy(join(dir, m.inputs[0].file));

/** The model with every initializer moved into `data` (ONNX's external data layout), with `edit` applied to each entry. */
function externalize(edit = (kv) => kv) {
  const model = onnx.ModelProto.decode(bytes);
  const parts = [];
  let at = 0;
  for (const t of model.graph.initializer) {
    const raw = t.rawData;
    parts.push(raw);
    t.externalData = edit([{ key: "location", value: "weights.data" }, { key: "offset", value: String(at) }, { key: "length", value: String(raw.length) }]).map((e) => onnx.StringStringEntryProto.create(e));
    t.dataLocation = 1;
    t.rawData = new Uint8Array(0);
    at += raw.length;
  }
  const data = new Uint8Array(at);
  parts.reduce((o, p) => (data.set(p, o), o + p.length), 0);
  return { model: onnx.ModelProto.encode(model).finish(), data };
}

test("model.onnx + weights.data: the same answer as the self-contained model and as onnxruntime-node", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "edgenn-ext-"));
  try {
    const { model, data } = externalize();
    writeFileSync(join(tmp, "model.onnx"), model);
    writeFileSync(join(tmp, "weights.data"), data);
    assert.ok(model.length < bytes.length / 10, "the weights really are outside the .onnx");
    const feeds = { input: new Tensor("float32", x.data, x.shape) };
    const got = (await (await load(join(tmp, "model.onnx"))).run(feeds)).output.data[0];
    const self = (await (await load(bytes)).run(feeds)).output.data[0];
    const s = await ort.InferenceSession.create(join(tmp, "model.onnx"));
    const want = (await s.run({ input: new ort.Tensor("float32", x.data, x.shape) })).output.data[0];
    assert.equal(got, self);
    assert.ok(Math.abs(got - want) <= 1e-6, `${got} vs onnxruntime ${want}`);
    // Bytes alone: nothing to read the weights beside.
    await assert.rejects(load(model), (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && /keeps its weights in 'weights.data': load it by path or URL/.test(e.message));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("a missing data file, bytes past its end, and a location outside the model's directory are refused", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "edgenn-ext-"));
  try {
    const write = (name, { model, data }, withData = true) => {
      writeFileSync(join(tmp, name), model);
      if (withData) writeFileSync(join(tmp, "weights.data"), data);
      return join(tmp, name);
    };
    rmSync(join(tmp, "weights.data"), { force: true });
    await assert.rejects(load(write("a.onnx", externalize(), false)), (e) => e instanceof EdgennError && /could not read .*weights\.data/.test(e.message));
    const longer = externalize((kv) => kv.map((e) => (e.key === "length" ? { ...e, value: String(Number(e.value) + 4096) } : e)));
    await assert.rejects(load(write("b.onnx", longer)), (e) => e instanceof EdgennError && e.code === "BAD_FILE" && /outside 'weights.data'/.test(e.message));
    for (const evil of ["../weights.data", "/etc/passwd"]) {
      const m = externalize((kv) => kv.map((e) => (e.key === "location" ? { ...e, value: evil } : e)));
      await assert.rejects(load(write("c.onnx", m)), (e) => e instanceof EdgennError && e.code === "BAD_FILE" && /must be a relative path inside the model's directory/.test(e.message), evil);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
