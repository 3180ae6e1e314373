// transformer_text (PyTorch 1.13's nn.TransformerEncoder, 2 layers, exported at opset 13) through the ONNX
// importer: fused into 4 LayerNormalization and 2 Attention nodes, against onnxruntime-node and PyTorch's own
// output on the real input, max |diff| <= 1e-4 of the output's max |value|; the export's int64 shape arithmetic
// is folded by the importer.
import { test } from "node:test";
import assert from "node:assert/strict";
import ort from "onnxruntime-node";
import { load, Tensor } from "../../dist/index.js";
import { transformerText } from "../../scripts/transformer-e2e.mjs";

test("transformer_text: fused (4 LayerNorms, 2 attentions), matches onnxruntime-node and PyTorch to 1e-4", async (t) => {
  const m = transformerText();
  const session = await load(m.bytes);
  assert.equal(session.fusion.layerNorms, 4, JSON.stringify(session.fusion));
  assert.equal(session.fusion.attentions, 2, JSON.stringify(session.fusion));
  assert.deepEqual(session.inputs[0], { name: m.name, dtype: "int64", shape: m.shape });
  const got = session.runSync({ [m.name]: new Tensor("int64", m.ids, m.shape) }).output.data;
  session.dispose();
  const ref = (await (await ort.InferenceSession.create(m.bytes)).run(m.ortFeeds)).output.data;
  for (const [who, r] of [["onnxruntime-node", ref], ["PyTorch", m.torch]]) {
    const scale = Math.max(...Array.from(r, Math.abs));
    const err = Math.max(...Array.from(got, (g, i) => Math.abs(g - r[i])));
    t.diagnostic(`vs ${who}: max |diff| ${err.toExponential(2)}, ${(err / scale).toExponential(2)} of max |ref|`);
    assert.ok(err <= 1e-4 * scale, `vs ${who}: max |diff| ${err} (got [${got}], expected [${r}])`);
  }
});
