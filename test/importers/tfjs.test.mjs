// TF.js layers importer: models built here with the real tfjs-layers API (seeded initializers), saved with
// tf.io.withSaveHandler, imported with importTfjsLayers (and load() for the repo's model.json), run through
// the real runtime and compared with tfjs's model.predict on the same random inputs.
// Tolerance (tfjs-harness.mjs): relative 1e-4 per output element, absolute floor 1e-7; the max relative error of
// each model is a test diagnostic. More layers: tfjs-layers.test.mjs; real images: tfjs-mobilenet.test.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { InferenceSession, Tensor, EdgennError, load } from "../../dist/index.js";
import { decodeWeights } from "../../dist/importers/tfjs-weights.js";
import { check, compare, gu, importTfjsLayers, init, initTf, randomInput, rnnInit, ru, save, tf, tfl, toHalf } from "./tfjs-harness.mjs";

test("MLP (Dense relu/tanh/softmax, Dropout)", async (t) => {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [12], units: 16, activation: "relu", ...init() }));
  m.add(tfl.layers.dropout({ rate: 0.5 }));
  m.add(tfl.layers.dense({ units: 8, activation: "tanh", ...init() }));
  m.add(tfl.layers.dense({ units: 5, activation: "softmax", ...init() }));
  await check(t, m, { batch: 4 });
});

test("the repo's models/wdbc-mlp.tfjs via load() against the reference probabilities", async (t) => {
  const ref = JSON.parse(readFileSync(new URL("../models/wdbc-reference.json", import.meta.url), "utf8"));
  const s = await load("models/wdbc-mlp.tfjs/model.json");
  assert.deepEqual(s.inputNames, ["dense1_input"]);
  assert.deepEqual(s.inputs[0].shape, ["batch", 30]);
  assert.deepEqual(s.outputNames, ["dense3"]);
  assert.equal(s.metadata.name, "wdbc_mlp");
  const x = Float32Array.from(ref.standardized_features.flat());
  const out = (await s.run({ dense1_input: new Tensor("float32", x, [x.length / 30, 30]) })).dense3;
  let worst = 0;
  out.data.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - ref.probabilities[i])); });
  t.diagnostic(`max |diff| ${worst.toExponential(2)} over ${out.data.length} cases`);
  assert.ok(worst <= 1e-5, `max |diff| ${worst}`);
  s.dispose();
  // Also from a file: URL, and its bytes alone fail with a clear message (the shards cannot be located).
  const s2 = await load(new URL("../../models/wdbc-mlp.tfjs/model.json", import.meta.url));
  assert.deepEqual(s2.outputNames, ["dense3"]);
  s2.dispose();
  await assert.rejects(load(readFileSync("models/wdbc-mlp.tfjs/model.json")), (e) => e instanceof EdgennError && /shards/.test(e.message));
});

test("small CNN: Conv2D same/valid, BatchNorm, ReLU, MaxPool, DepthwiseConv2D, SeparableConv2D, GAP, Dense softmax", async (t) => {
  const bn = () => tfl.layers.batchNormalization({ gammaInitializer: ru(0.5, 1.5), betaInitializer: ru(), movingMeanInitializer: ru(), movingVarianceInitializer: ru(0.5, 1.5), epsilon: 1e-3 });
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [12, 11, 3], filters: 8, kernelSize: 3, padding: "same", ...init() }));
  m.add(bn());
  m.add(tfl.layers.reLU());
  m.add(tfl.layers.conv2d({ filters: 6, kernelSize: [3, 2], strides: [2, 1], padding: "valid", activation: "relu6", ...init() }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2, padding: "same" }));
  m.add(tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: "same", depthwiseInitializer: gu(), biasInitializer: ru(), activation: "relu" }));
  m.add(tfl.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, padding: "valid", depthwiseInitializer: gu(), biasInitializer: ru() }));
  m.add(tfl.layers.separableConv2d({ filters: 7, kernelSize: 3, padding: "same", depthMultiplier: 2, depthwiseInitializer: gu(), pointwiseInitializer: gu(), biasInitializer: ru(), activation: "elu" }));
  m.add(tfl.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: "same" }));
  m.add(tfl.layers.globalAveragePooling2d({}));
  m.add(tfl.layers.dense({ units: 4, activation: "softmax", ...init() }));
  await check(t, m, { batch: 2 });
});

test("Flatten after conv keeps Keras' channels-last order; 1-D convs, pools and padding", async (t) => {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [6, 5, 2], filters: 3, kernelSize: 2, dilationRate: 1, ...init() }));
  m.add(tfl.layers.zeroPadding2d({ padding: [[1, 0], [2, 1]] }));
  m.add(tfl.layers.cropping2D({ cropping: [[0, 1], [1, 0]] }));
  m.add(tfl.layers.maxPooling2d({ poolSize: [2, 2], strides: [1, 2] }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 5, activation: "sigmoid", ...init() }));
  await check(t, m);

  const c = tfl.sequential();
  c.add(tfl.layers.conv1d({ inputShape: [20, 3], filters: 4, kernelSize: 3, padding: "valid", dilationRate: 2, ...init() }));
  c.add(tfl.layers.conv1d({ filters: 5, kernelSize: 3, strides: 2, padding: "same", activation: "swish", ...init() }));
  c.add(tfl.layers.averagePooling1d({ poolSize: 3, strides: 1, padding: "same" }));
  c.add(tfl.layers.maxPooling1d({ poolSize: 2 }));
  c.add(tfl.layers.permute({ dims: [2, 1] }));
  c.add(tfl.layers.reshape({ targetShape: [-1] }));
  c.add(tfl.layers.reshape({ targetShape: [4, 5] }));
  c.add(tfl.layers.globalMaxPooling1d({}));
  await check(t, c);
});

test("Conv1D causal padding (tfjs cannot run it: checked against a valid conv on left-zero-padded input)", async (t) => {
  await initTf();
  const c = tfl.sequential();
  c.add(tfl.layers.conv1d({ inputShape: [14, 3], filters: 4, kernelSize: 3, padding: "valid", dilationRate: 2, activation: "tanh", ...init() }));
  const { modelJson, weightData } = await save(c);
  const cfg = modelJson.modelTopology.config.layers[0].config;
  cfg.padding = "causal";
  cfg.batch_input_shape = [null, 10, 3];
  const { graph } = importTfjsLayers(modelJson, weightData);
  const s = await InferenceSession.fromGraph(graph);
  const x = randomInput([2, 10, 3], 3);
  const padded = new Float32Array(2 * 14 * 3);
  for (let b = 0; b < 2; b++) padded.set(x.subarray(b * 30, b * 30 + 30), b * 42 + 12);
  const out = Object.values(await s.run({ [s.inputNames[0]]: new Tensor("float32", x, [2, 10, 3]) }))[0];
  const ref = c.predict(tf.tensor(padded, [2, 14, 3]));
  assert.deepEqual(out.dims, ref.shape);
  t.diagnostic(`max relative error ${compare(out.data, ref.dataSync(), "causal conv").toExponential(2)}`);
  s.dispose();
});

test("functional model with Add, Concatenate, Multiply, Average, Maximum, Minimum and two outputs", async (t) => {
  const x = tfl.input({ shape: [6, 6, 3], name: "image" });
  const a = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", activation: "relu", ...init() }).apply(x);
  const b = tfl.layers.conv2d({ filters: 4, kernelSize: 1, ...init() }).apply(x);
  const s = tfl.layers.add().apply([a, b]);
  const cat = tfl.layers.concatenate({ axis: -1 }).apply([s, a, x]);
  const f = tfl.layers.globalMaxPooling2d({}).apply(cat);
  const d1 = tfl.layers.dense({ units: 6, ...init() }).apply(f);
  const d2 = tfl.layers.dense({ units: 6, activation: "hardSigmoid", ...init() }).apply(f);
  const shared = tfl.layers.dense({ units: 6, activation: "selu", ...init() });
  const sh1 = shared.apply(d1), sh2 = shared.apply(d2); // one layer called twice
  const merged = [
    tfl.layers.multiply().apply([sh1, sh2]), tfl.layers.multiply().apply([d1, d2]),
    tfl.layers.average().apply([d1, d2, sh1]), tfl.layers.maximum().apply([d1, d2]), tfl.layers.minimum().apply([d1, sh2]),
  ];
  const all = tfl.layers.concatenate({ axis: 1 }).apply(merged);
  const y = tfl.layers.activation({ activation: "softplus" }).apply(tfl.layers.leakyReLU({ alpha: 0.2 }).apply(all));
  const z = tfl.layers.softmax({}).apply(tfl.layers.elu({ alpha: 1 }).apply(d2));
  const m = tfl.model({ inputs: x, outputs: [y, z] });
  await check(t, m);

  const p = tfl.input({ shape: [5], name: "p" }), q = tfl.input({ shape: [5], name: "q" });
  const act = (name) => tfl.layers.activation({ activation: name });
  const h = tfl.layers.dense({ units: 8, ...init() }).apply(tfl.layers.concatenate().apply([p, q]));
  const outs = ["relu", "relu6", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus", "softsign", "swish", "gelu", "gelu_new", "hardSigmoid", "linear", "mish", "logSoftmax"].map((n) => act(n).apply(h));
  const m2 = tfl.model({ inputs: [p, q], outputs: outs });
  await check(t, m2, { batch: 5 });
});

test("LSTM and GRU: return_sequences both ways, return_state, go_backwards", async (t) => {
  for (const goBackwards of [false, true]) {
    const x = tfl.input({ shape: [7, 4] });
    const l1 = tfl.layers.lstm({ units: 5, returnSequences: true, recurrentActivation: "sigmoid", goBackwards, ...rnnInit() }).apply(x);
    const l2 = tfl.layers.lstm({ units: 3, returnState: true, recurrentActivation: "sigmoid", ...rnnInit() }).apply(l1);
    const g1 = tfl.layers.gru({ units: 6, returnSequences: true, recurrentActivation: "sigmoid", goBackwards, ...rnnInit() }).apply(x);
    const g2 = tfl.layers.gru({ units: 4, recurrentActivation: "sigmoid", goBackwards, ...rnnInit() }).apply(g1);
    const r1 = tfl.layers.simpleRNN({ units: 3, returnSequences: true, goBackwards, ...rnnInit() }).apply(x);
    const r2 = tfl.layers.simpleRNN({ units: 2, activation: "relu", returnState: true, ...rnnInit() }).apply(r1);
    const m = tfl.model({ inputs: x, outputs: [...l2, g2, ...r2, l1, g1] });
    await check(t, m, { batch: 3 });
  }
});

test("LSTM and GRU with default options (recurrent_activation hard_sigmoid)", async (t) => {
  const x = tfl.input({ shape: [9, 4] });
  const l1 = tfl.layers.lstm({ units: 6, returnSequences: true, ...rnnInit() }).apply(x);
  const l2 = tfl.layers.lstm({ units: 5, returnState: true, goBackwards: true, ...rnnInit() }).apply(l1);
  const g1 = tfl.layers.gru({ units: 7, returnSequences: true, ...rnnInit() }).apply(x);
  const g2 = tfl.layers.gru({ units: 3, ...rnnInit() }).apply(g1);
  const m = tfl.model({ inputs: x, outputs: [...l2, g2, l1, g1] });
  const { graph } = await check(t, m, { batch: 3 });
  const rec = graph.nodes.filter((n) => n.op === "LSTM" || n.op === "GRU");
  assert.equal(rec.length, 4);
  for (const n of rec) {
    assert.equal(n.attrs.activations[0], "HardSigmoid");
    assert.deepEqual([n.attrs.activation_alpha, n.attrs.activation_beta], [[0.2], [0.5]]);
  }
  // Sequential with the defaults only (the tfjs doc example shape).
  const s = tfl.sequential();
  s.add(tfl.layers.lstm({ inputShape: [6, 3], units: 4, ...rnnInit() }));
  s.add(tfl.layers.dense({ units: 2, ...init() }));
  await check(t, s, { batch: 2 });
  const s2 = tfl.sequential();
  s2.add(tfl.layers.gru({ inputShape: [6, 3], units: 4, returnSequences: true, ...rnnInit() }));
  await check(t, s2, { batch: 2 });
});

/** NumPy's np.round: halves to even. */
const roundHalfEven = (x) => { const r = Math.round(x); return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; };

/**
 * A weight as tfjs-converter writes it with --quantize_uint8/--quantize_uint16/--quantize_float16
 * (tfjs-converter/python/tensorflowjs/quantization.py quantize_weights and write_weights.py _quantize_entry):
 * uint8/uint16 affine over [min, max], the range nudged so that 0 is a quantized value when it lies inside;
 * a constant weight is all zeros with scale 1; float16 is a plain cast. The spec keeps dtype float32 and gets
 * quantization {dtype, min, scale, original_dtype}.
 */
function quantizeLikeConverter(v, kind) {
  if (kind === "float16") return { bytes: new Uint8Array(Uint16Array.from(v, toHalf).buffer), meta: { dtype: "float16", original_dtype: "float32" } };
  const Q = kind === "uint8" ? Uint8Array : Uint16Array, qmax = kind === "uint8" ? 255 : 65535;
  let min = v.reduce((a, x) => Math.min(a, x), Infinity), max = v.reduce((a, x) => Math.max(a, x), -Infinity);
  if (min === max) return { bytes: new Uint8Array(new Q(v.length).buffer), meta: { dtype: kind, min, scale: 1, original_dtype: "float32" } };
  const scale = (max - min) / qmax;
  if (min <= 0 && max >= 0) { min = -roundHalfEven(-min / scale) * scale; max = qmax * scale + min; }
  const q = Q.from(v, (x) => roundHalfEven((Math.min(Math.max(x, min), max) - min) / scale));
  return { bytes: new Uint8Array(q.buffer), meta: { dtype: kind, min, scale, original_dtype: "float32" } };
}

test("quantized weights as tfjs-converter writes them (uint8, uint16, float16): compared with tfjs on tfjs-core's own dequantization", async (t) => {
  await initTf();
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, ...init() }));
  m.add(tfl.layers.batchNormalization({ gammaInitializer: ru(0.5, 1.5), betaInitializer: ru(), movingMeanInitializer: ru(), movingVarianceInitializer: ru(0.5, 1.5) }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 6, activation: "relu", kernelInitializer: ru(0.01, 0.2), biasInitializer: "zeros" })); // all > 0: no nudge; bias constant
  m.add(tfl.layers.dense({ units: 3, ...init() }));
  const { modelJson } = await save(m);
  const specs = modelJson.weightsManifest[0].weights;
  const values = m.getWeights().map((w) => w.dataSync().slice());
  // Each weight in one of the forms (saved order: trainable weights, then the moving statistics); two groups of shards, the second split mid-weight, to check the order.
  const kinds = ["uint8", "uint16", "float16", "uint8", "uint16", "uint8", "float16", "uint8", "uint16", "float32"];
  const parts = [], weights = [];
  values.forEach((v, i) => {
    const kind = kinds[i % kinds.length];
    if (kind === "float32") { parts.push(new Uint8Array(v.buffer.slice(0))); weights.push(specs[i]); return; }
    const { bytes, meta } = quantizeLikeConverter(v, kind);
    parts.push(bytes);
    weights.push({ ...specs[i], quantization: meta });
  });
  const cat = (ps) => { const o = new Uint8Array(ps.reduce((a, p) => a + p.length, 0)); let at = 0; for (const p of ps) { o.set(p, at); at += p.length; } return o; };
  // The reference: tfjs-core's io.decodeWeights on the same bytes and specs, loaded into the tfjs model.
  const decoded = tf.io.decodeWeights(cat(parts).buffer, weights);
  m.setWeights(weights.map((w) => decoded[w.name]));
  assert.ok(weights.some((w) => w.quantization?.dtype === "uint8" && w.quantization.scale === 1), "a constant weight");
  const half = Math.ceil(weights.length / 2);
  const quantJson = { ...modelJson, weightsManifest: [{ paths: ["group1-shard1of1.bin"], weights: weights.slice(0, half) }, { paths: ["group2-shard1of2.bin", "group2-shard2of2.bin"], weights: weights.slice(half) }] };
  const g2 = cat(parts.slice(half)), cut = 3;
  const shards = new Map([["group1-shard1of1.bin", cat(parts.slice(0, half))], ["group2-shard1of2.bin", g2.subarray(0, cut)], ["group2-shard2of2.bin", g2.subarray(cut)]]);
  await check(t, m, { modelJson: quantJson, weights: shards });
  await check(t, m, { modelJson: quantJson, weights: cat(parts).buffer }); // one ArrayBuffer of everything
  // The decoded weights themselves are tfjs-core's, bit for bit.
  const ours = decodeWeights(quantJson.weightsManifest, shards);
  for (const w of weights) assert.deepEqual(ours.get(w.name).data, decoded[w.name].dataSync(), w.name);
  tf.dispose(Object.values(decoded));
});

test("Keras-converted topology ({model_config, keras_version}) and Keras 3 {args, kwargs} inbound nodes", async (t) => {
  await initTf();
  const x = tfl.input({ shape: [4], name: "x" });
  const d = tfl.layers.dense({ units: 3, activation: "relu", ...init(), name: "d" }).apply(x);
  const e = tfl.layers.dense({ units: 3, ...init(), name: "e" }).apply(x);
  const m = tfl.model({ inputs: x, outputs: tfl.layers.add({ name: "sum" }).apply([d, e]) });
  const { modelJson, weightData } = await save(m);
  const top = modelJson.modelTopology;
  const hist = (r) => ({ class_name: "__keras_tensor__", config: { shape: null, dtype: "float32", keras_history: [r[0], r[1], r[2]] } });
  top.config.layers.forEach((l) => {
    l.inbound_nodes = l.inbound_nodes.map((n) => ({ args: n.length === 1 ? [hist(n[0])] : [n.map(hist)], kwargs: {} }));
  });
  const keras = { ...modelJson, modelTopology: { model_config: { class_name: "Functional", config: top.config }, keras_version: "2.15.0", backend: "tensorflow" } };
  await check(t, m, { modelJson: keras, weights: weightData });
});

test("unsupported layers are all reported at once, by class and name", async () => {
  await initTf();
  const m = tfl.sequential();
  m.add(tfl.layers.masking({ inputShape: [5, 4], name: "mask" })); // masks are not carried by the IR
  m.add(tfl.layers.lstm({ units: 3, returnSequences: true, activation: "relu", recurrentInitializer: gu(), name: "lstm_relu" })); // cell activation: tanh only
  m.add(tfl.layers.reshape({ targetShape: [5, 3, 1] }));
  m.add(tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 2, ...init(), name: "up" })); // given a dilation below: nothing to check it against
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 2, activation: "softmax", ...init(), name: "out" }));
  const { modelJson, weightData } = await save(m);
  modelJson.modelTopology.config.layers.find((l) => l.config.name === "up").config.dilation_rate = [2, 2];
  assert.throws(() => importTfjsLayers(modelJson, weightData), (e) => {
    assert.ok(e instanceof EdgennError && e.code === "UNSUPPORTED", String(e));
    assert.match(e.message, /3 unsupported layer/);
    assert.match(e.message, /Masking 'mask'/);
    assert.match(e.message, /LSTM 'lstm_relu' \(activation 'relu'/);
    assert.match(e.message, /Conv2DTranspose 'up' \(dilation_rate/);
    return true;
  });
  // A graph model's JSON (no layers topology) and missing shards are clear BAD_FILE errors.
  assert.throws(() => importTfjsLayers({ format: "graph-model", modelTopology: { node: [] } }, new Uint8Array()), (e) => e.code === "BAD_FILE");
  assert.throws(() => importTfjsLayers(modelJson, new Map()), (e) => e.code === "BAD_FILE" && /weights\.bin/.test(e.message));
});
