// Real PyTorch exports (opset 13, scripts/models/export.py) imported from ONNX and run by edgenn, against
// onnxruntime-node (one thread) on the same real input: the shape arithmetic, deduplicated initializers,
// constant Gathers, Expands and Reduce ops these exports contain must import and compute the same outputs.
//
// Tolerance: max |edgenn - ort| <= 1e-4 * max(1, max |ort|) over the whole output, and equal shapes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { load, Tensor } from "../../dist/index.js";
import { ensureModels, readNpy } from "../../scripts/models.mjs";

/** The models edgenn is expected to import: all of the manifest's. */
const EXPECTED = [
  "wdbc_mlp", "dna_cnn", "lstm_ecg", "bigru_ecg", "transformer_text", "squeezenet1_1", "mobilenet_v2", "shufflenet_v2_x1_0",
  "resnet18", "efficientnet_b0", "densenet121",
];
/** A manifest input as a tensor of either runtime (token ids are int64). */
const tensorOf = (T, i) => (i.data instanceof BigInt64Array ? new T("int64", i.data, i.shape) : new T("float32", i.data, i.shape));
const REL_TOL = 1e-4;

const { dir, manifest } = ensureModels();
for (const name of EXPECTED) {
  test(`${name}: imports from ONNX and matches onnxruntime within ${REL_TOL} * max(1, max |ort|)`, async () => {
    const m = manifest.models[name];
    assert.ok(m, `${name} is in the model manifest`);
    const bytes = readFileSync(join(dir, m.onnx));
    const inputs = m.inputs.map((i) => ({ ...i, ...readNpy(join(dir, i.file)) }));

    const ref = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    let want;
    try {
      const feeds = Object.fromEntries(inputs.map((i) => [i.name, tensorOf(ort.Tensor, i)]));
      want = (await ref.run(feeds))[ref.outputNames[0]];
    } finally {
      await ref.release();
    }

    const session = await load(bytes, { format: "onnx" }); // throws (and fails the test) if the model does not import
    try {
      const feeds = Object.fromEntries(inputs.map((i) => [i.name, tensorOf(Tensor, i)]));
      if (process.env.EDGENN_EXPECT_VARIANT) assert.equal(session.variant, process.env.EDGENN_EXPECT_VARIANT, "kernel build");
      const got = session.runSync(feeds)[session.outputNames[0]];
      assert.deepEqual(got.dims, want.dims.map(Number), "output shape");
      let err = 0, peak = 0;
      for (let i = 0; i < want.data.length; i++) {
        err = Math.max(err, Math.abs(got.data[i] - want.data[i]));
        peak = Math.max(peak, Math.abs(want.data[i]));
      }
      const bound = REL_TOL * Math.max(1, peak);
      console.log(`  ${name.padEnd(20)} max |edgenn - ort| = ${err.toExponential(2)}, max |ort| = ${peak.toPrecision(4)}, output [${got.dims}], ${session.variant} build`);
      assert.ok(err <= bound, `${name}: max error ${err} over the bound ${bound}`);
    } finally {
      session.dispose();
    }
  });
}
