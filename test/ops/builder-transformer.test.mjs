// A clinical-text encoder built with the builder (embedding, positions, two transformer encoder layers, one
// post-norm and one pre-norm with gelu, a padding mask from an int64 attention_mask input, mean pooling and a
// classifier) against the same model in tfjs: tfjs-layers' embedding and layerNormalization, the attention and
// feed-forward math in tfjs-core. Requirement: max |diff| <= 1e-4 of the output's max |value| (both in f32).
import { test, before } from "node:test";
import assert from "node:assert/strict";
import {
  Tensor, dense, embedding, globalAveragePool1d, layerNorm, load, positionEmbedding, sequential, transformerEncoderLayer,
} from "../../dist/index.js";
import { initTf, rng, tf } from "./harness.mjs";
import * as tfl from "@tensorflow/tfjs-layers";

before(initTf);

const [V, S, D, H, F, B, C] = [60, 10, 16, 4, 32, 3, 3];

function build() {
  return sequential([
    embedding(V, D, { name: "tokens" }), positionEmbedding({ name: "pos" }),
    transformerEncoderLayer({ numHeads: H, ffDim: F, mask: "attention_mask", name: "enc1" }),
    transformerEncoderLayer({ numHeads: H, ffDim: F, mask: "attention_mask", normFirst: true, activation: "gelu", name: "enc2" }),
    layerNorm({ name: "final_norm" }), globalAveragePool1d(), dense(C, "linear", { name: "classifier" }),
  ], { inputShape: [S], inputDtype: "int64", inputName: "input_ids", outputName: "logits" });
}

/** Random values for every weight of the model (so zero biases and unit gammas do not hide mistakes). */
function randomise(model, R) {
  const w = {};
  for (const [layer, names] of model.weightNames) {
    const values = {};
    for (const name of names) {
      const c = model.graph.constants.get(name), key = name.slice(layer.length + 1);
      values[key] = key.includes("gamma") ? R.array(c.data.length, 0.5, 1.5) : R.array(c.data.length, -0.4, 0.4);
    }
    model.setWeights(layer, values);
    w[layer] = Object.fromEntries(names.map((n) => [n.slice(layer.length + 1), model.graph.constants.get(n)]));
  }
  return w;
}

/** The same model in tfjs. ids and mask are [B, S] number arrays. */
function reference(w, ids, mask) {
  return tf.tidy(() => {
    const t = (c) => tf.tensor(c.data, c.shape);
    const emb = tfl.layers.embedding({ inputDim: V, outputDim: D, weights: [t(w.tokens.embeddings)] });
    let x = tf.add(emb.apply(tf.tensor(ids, [B, S], "int32")), t(w.pos.positions));
    const additive = tf.reshape(tf.tensor(mask.flat().map((m) => (m ? 0 : -Infinity)), [B, S]), [B, 1, 1, S]);
    const norm = (v, gamma, beta) => tfl.layers.layerNormalization({ axis: -1, epsilon: 1e-5, weights: [t(gamma), t(beta)] }).apply(v);
    const linear = (v, k, b) => tf.reshape(tf.add(tf.matMul(tf.reshape(v, [-1, k.shape[0]]), t(k)), t(b)), [...v.shape.slice(0, -1), k.shape[1]]);
    const heads = (v) => tf.transpose(tf.reshape(v, [B, S, H, D / H]), [0, 2, 1, 3]);
    const mha = (v, p) => {
      const [q, k, vv] = tf.split(linear(v, p.in_kernel, p.in_bias), 3, -1).map(heads);
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(D / H)), additive);
      const o = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), vv), [0, 2, 1, 3]), [B, S, D]);
      return linear(o, p.out_kernel, p.out_bias);
    };
    const gelu = (v) => tf.mul(tf.mul(v, 0.5), tf.add(1, tf.erf(tf.div(v, Math.SQRT2))));
    const ff = (v, p, act) => linear(act(linear(v, p.ff1_kernel, p.ff1_bias)), p.ff2_kernel, p.ff2_bias);
    const p1 = w.enc1, p2 = w.enc2;
    x = norm(tf.add(x, mha(x, p1)), p1.ln1_gamma, p1.ln1_beta);
    x = norm(tf.add(x, ff(x, p1, tf.relu)), p1.ln2_gamma, p1.ln2_beta);
    x = tf.add(x, mha(norm(x, p2.ln1_gamma, p2.ln1_beta), p2));
    x = tf.add(x, ff(norm(x, p2.ln2_gamma, p2.ln2_beta), p2, gelu));
    x = tf.mean(norm(x, w.final_norm.gamma, w.final_norm.beta), 1);
    return Float32Array.from(linear(x, w.classifier.kernel, w.classifier.bias).dataSync());
  });
}

test("builder: a transformer text encoder (int64 ids, padding mask) matches tfjs to 1e-4 relative, also after .enn", async (t) => {
  const R = rng(4200);
  const model = build();
  const w = randomise(model, R);
  assert.deepEqual(model.graph.inputs.map((i) => [i.name, i.dtype]), [["input_ids", "int64"], ["attention_mask", "int64"]]);
  const ids = Array.from({ length: B }, () => Array.from({ length: S }, () => R.int(0, V - 1)));
  const lengths = [S, 6, 1]; // padded at the end: row 2 keeps one token
  const mask = lengths.map((n) => Array.from({ length: S }, (_, j) => (j < n ? 1 : 0)));
  const feeds = {
    input_ids: new Tensor("int64", BigInt64Array.from(ids.flat(), BigInt), [B, S]),
    attention_mask: new Tensor("int64", BigInt64Array.from(mask.flat(), BigInt), [B, S]),
  };
  const ref = reference(w, ids, mask);
  const scale = Math.max(...ref.map(Math.abs));
  for (const [how, session] of [["in memory", await model.session()], ["from .enn", await load(model.save({ name: "text-encoder" }))]]) {
    const got = session.runSync(feeds).logits;
    session.dispose();
    assert.deepEqual([...got.dims], [B, C]);
    const err = Math.max(...got.data.map((g, i) => Math.abs(g - ref[i])));
    t.diagnostic(`${how}: max |diff| ${err.toExponential(2)}, relative to max |ref| ${(err / scale).toExponential(2)}`);
    assert.ok(err <= 1e-4 * scale, `${how}: max |diff| ${err} > 1e-4 * ${scale} (got [${got.data}], tfjs [${ref}])`);
  }
});

test("builder: setWeights names the layer's weights when a key is wrong", () => {
  const model = build();
  assert.throws(() => model.setWeights("enc1", { kernel: [1] }), /layer 'enc1' has no weight 'kernel' \(it has in_kernel, in_bias, out_kernel/);
});
