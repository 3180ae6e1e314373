#!/usr/bin/env node
// Train edgenn's default model -- Dense(64, relu) -> Dense(32, relu) -> Dense(1, sigmoid) --
// on the Wisconsin Diagnostic Breast Cancer data (data/wdbc/breast_cancer.csv), and write:
//
//   data/wdbc/split.json            fixed, stratified, seeded held-out split (row indices)
//   models/wdbc-mlp.tfjs/model.json standard tfjs layers model (modelTopology + weightsManifest)
//   models/wdbc-mlp.tfjs/weights.bin
//   test/models/wdbc-reference.json standardisation, test cases, tfjs probabilities, plain weights
//
// Run from the repository root:  node scripts/train-wdbc.mjs
//
// Positive class is MALIGNANT: target = 1 - csv_label (the CSV uses 0 = malignant, 1 = benign),
// so the model outputs P(malignant).
//
// The run is deterministic: seeded initialisers, a seeded (mulberry32) shuffle written here,
// no Math.random, CPU backend only, no timestamps in the outputs. Running it twice must give
// byte-identical files.

import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";

const ROOT = process.cwd();
const CSV_PATH = join(ROOT, "data/wdbc/breast_cancer.csv");
const FEATURES_PATH = join(ROOT, "data/wdbc/features.json");
const SPLIT_PATH = join(ROOT, "data/wdbc/split.json");
const MODEL_DIR = join(ROOT, "models/wdbc-mlp.tfjs");
const REFERENCE_PATH = join(ROOT, "test/models/wdbc-reference.json");

const CSV_SHA256 = "fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed";

// ---- hyper-parameters -----------------------------------------------------------------------
const SPLIT_SEED = 20240517; // stratified split
const INIT_SEED = 1337; // glorotUniform seeds (INIT_SEED + layer index)
const SHUFFLE_SEED = 4242; // per-epoch mini-batch order
const TEST_FRACTION = 0.2;
const EPOCHS = 150;
const BATCH_SIZE = 32;
const LEARNING_RATE = 1e-3;

// ---- seeded PRNG (mulberry32) ---------------------------------------------------------------
function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffleInPlace(arr, rand) {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = arr[i];
    arr[i] = arr[j];
    arr[j] = t;
  }
  return arr;
}

// ---- data -----------------------------------------------------------------------------------
function loadCsv() {
  const buf = readFileSync(CSV_PATH);
  const sha = createHash("sha256").update(buf).digest("hex");
  if (sha !== CSV_SHA256) {
    throw new Error(`${CSV_PATH}: sha256 ${sha} != expected ${CSV_SHA256}`);
  }
  const lines = buf.toString("utf8").split("\n").filter((l) => l.length > 0);
  const header = lines[0].split(",");
  const nRows = Number(header[0]);
  const nFeatures = Number(header[1]);
  if (header[2] !== "malignant" || header[3] !== "benign") {
    throw new Error(`unexpected CSV header: ${lines[0]}`);
  }
  if (lines.length - 1 !== nRows) throw new Error(`expected ${nRows} rows, got ${lines.length - 1}`);
  const X = [];
  const csvLabel = [];
  for (let r = 1; r < lines.length; r++) {
    const cells = lines[r].split(",");
    if (cells.length !== nFeatures + 1) throw new Error(`row ${r - 1}: ${cells.length} cells`);
    const row = cells.slice(0, nFeatures).map((c) => {
      const v = Number(c);
      if (!Number.isFinite(v)) throw new Error(`row ${r - 1}: bad value ${c}`);
      return v;
    });
    const lab = Number(cells[nFeatures]);
    if (lab !== 0 && lab !== 1) throw new Error(`row ${r - 1}: bad label ${cells[nFeatures]}`);
    X.push(row);
    csvLabel.push(lab);
  }
  return { X, csvLabel, nFeatures };
}

// Stratified split: per class, shuffle that class's row indices with a seeded PRNG and take the
// first k. Total test size = ceil(0.2 * n) (as scikit-learn's train_test_split does); it is
// allocated to the classes by largest remainder of their proportional shares.
function makeSplit(y, seed) {
  const n = y.length;
  const nTest = Math.ceil(TEST_FRACTION * n);
  const classes = [1, 0]; // malignant, benign (target space)
  const members = classes.map((c) => y.flatMap((v, i) => (v === c ? [i] : [])));
  const shares = members.map((m) => (m.length * nTest) / n);
  const counts = shares.map(Math.floor);
  let remaining = nTest - counts.reduce((a, b) => a + b, 0);
  const order = shares
    .map((s, k) => ({ k, frac: s - Math.floor(s) }))
    .sort((a, b) => b.frac - a.frac || a.k - b.k);
  for (const { k } of order) {
    if (remaining === 0) break;
    counts[k]++;
    remaining--;
  }
  const rand = mulberry32(seed);
  const test = [];
  members.forEach((m, k) => {
    const shuffled = shuffleInPlace(m.slice(), rand);
    test.push(...shuffled.slice(0, counts[k]));
  });
  test.sort((a, b) => a - b);
  const inTest = new Set(test);
  const train = [];
  for (let i = 0; i < n; i++) if (!inTest.has(i)) train.push(i);
  return { seed, test_indices: test, train_indices: train };
}

// ---- float32 helpers & JSON formatting ------------------------------------------------------
const f32 = Math.fround;

// Shortest decimal that round-trips to the same float32 (so Math.fround(parsed) is exact).
function f32Num(v) {
  const x = f32(v);
  if (x === 0) return 0;
  for (let p = 1; p <= 9; p++) {
    const s = Number(x.toPrecision(p));
    if (f32(s) === x) return s;
  }
  return x;
}

// JSON with objects indented and arrays of primitives kept on one line.
function formatJson(value, indent = "") {
  const inner = indent + "  ";
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== "object")) {
      return "[" + value.map((v) => JSON.stringify(v)).join(", ") + "]";
    }
    return "[\n" + value.map((v) => inner + formatJson(v, inner)).join(",\n") + "\n" + indent + "]";
  }
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 0) return "{}";
    return (
      "{\n" +
      keys.map((k) => inner + JSON.stringify(k) + ": " + formatJson(value[k], inner)).join(",\n") +
      "\n" + indent + "}"
    );
  }
  return JSON.stringify(value);
}

function writeFile(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

// ---- model ----------------------------------------------------------------------------------
function buildModel(nFeatures) {
  const model = tfl.sequential({ name: "wdbc_mlp" });
  model.add(tfl.layers.dense({
    name: "dense1", inputShape: [nFeatures], units: 64, activation: "relu",
    kernelInitializer: tfl.initializers.glorotUniform({ seed: INIT_SEED + 1 }),
    biasInitializer: tfl.initializers.zeros(),
  }));
  model.add(tfl.layers.dense({
    name: "dense2", units: 32, activation: "relu",
    kernelInitializer: tfl.initializers.glorotUniform({ seed: INIT_SEED + 2 }),
    biasInitializer: tfl.initializers.zeros(),
  }));
  model.add(tfl.layers.dense({
    name: "dense3", units: 1, activation: "sigmoid",
    kernelInitializer: tfl.initializers.glorotUniform({ seed: INIT_SEED + 3 }),
    biasInitializer: tfl.initializers.zeros(),
  }));
  model.compile({
    optimizer: tf.train.adam(LEARNING_RATE),
    loss: "binaryCrossentropy",
    metrics: ["accuracy"],
  });
  return model;
}

function confusion(probs, labels) {
  // rows: actual [malignant, benign]; cols: predicted [malignant, benign]; threshold 0.5
  const m = [[0, 0], [0, 0]];
  for (let i = 0; i < labels.length; i++) {
    const pred = probs[i] >= 0.5 ? 1 : 0;
    m[labels[i] === 1 ? 0 : 1][pred === 1 ? 0 : 1]++;
  }
  const acc = (m[0][0] + m[1][1]) / labels.length;
  return { matrix: m, accuracy: acc };
}

// Plain float64 forward pass from the exported weights (independent check of the export).
function forwardPlain(weights, x) {
  const dense = (inp, { kernel, bias }, act) => {
    const out = bias.map((b, j) => {
      let s = b;
      for (let i = 0; i < inp.length; i++) s += inp[i] * kernel[i][j];
      return s;
    });
    return out.map(act);
  };
  const relu = (v) => (v > 0 ? v : 0);
  const sigmoid = (v) => 1 / (1 + Math.exp(-v));
  const h1 = dense(x, weights.dense1, relu);
  const h2 = dense(h1, weights.dense2, relu);
  const z = dense(h2, weights.dense3, (v) => v)[0];
  return { z, p: sigmoid(z) };
}

async function main() {
  await tf.setBackend("cpu");
  await tf.ready();

  const { X, csvLabel, nFeatures } = loadCsv();
  const featureNames = JSON.parse(readFileSync(FEATURES_PATH, "utf8"));
  if (featureNames.length !== nFeatures) throw new Error("features.json length mismatch");
  const y = csvLabel.map((l) => 1 - l); // 1 = malignant (positive class), 0 = benign

  // Split: regenerate deterministically; if split.json exists it must match.
  const split = makeSplit(y, SPLIT_SEED);
  const splitJson = formatJson({
    description:
      "Fixed stratified held-out split of data/wdbc/breast_cancer.csv, generated by scripts/train-wdbc.mjs " +
      "(mulberry32 PRNG, per-class Fisher-Yates shuffle). Indices are 0-based data rows (the header line is not counted).",
    seed: split.seed,
    n_test: split.test_indices.length,
    n_train: split.train_indices.length,
    test_indices: split.test_indices,
    train_indices: split.train_indices,
  }) + "\n";
  if (existsSync(SPLIT_PATH) && readFileSync(SPLIT_PATH, "utf8") !== splitJson) {
    const old = JSON.parse(readFileSync(SPLIT_PATH, "utf8"));
    if (JSON.stringify(old.test_indices) !== JSON.stringify(split.test_indices)) {
      throw new Error(`${SPLIT_PATH} differs from the split generated with seed ${SPLIT_SEED}; delete it to regenerate`);
    }
  }
  writeFile(SPLIT_PATH, splitJson);
  const { train_indices: trainIdx, test_indices: testIdx } = split;

  // Standardisation on TRAIN only: mean and population std in float64, then rounded to float32.
  const mean = new Array(nFeatures).fill(0);
  const std = new Array(nFeatures).fill(0);
  for (let j = 0; j < nFeatures; j++) {
    let s = 0;
    for (const i of trainIdx) s += X[i][j];
    const mu = s / trainIdx.length;
    let v = 0;
    for (const i of trainIdx) v += (X[i][j] - mu) ** 2;
    let sd = Math.sqrt(v / trainIdx.length);
    if (!(sd > 0)) sd = 1; // guard constant features
    mean[j] = f32(mu);
    std[j] = f32(sd);
  }
  // z = f32( f32( f32(x) - mean ) / std ), i.e. plain float32 arithmetic.
  const standardize = (row) => row.map((x, j) => f32(f32(f32(x) - mean[j]) / std[j]));

  const toTensors = (idx) => {
    const xs = new Float32Array(idx.length * nFeatures);
    const ys = new Float32Array(idx.length);
    idx.forEach((i, r) => {
      xs.set(standardize(X[i]), r * nFeatures);
      ys[r] = y[i];
    });
    return { xs: tf.tensor2d(xs, [idx.length, nFeatures]), ys: tf.tensor2d(ys, [idx.length, 1]) };
  };

  const model = buildModel(nFeatures);

  // Early stopping: every 5th training case (in split order) is held out as a validation set; the model
  // keeps the weights of the epoch with the lowest validation loss. Without it the network drives the training
  // loss to ~2e-4 and saturates its probabilities at exactly 0 or 1, which says nothing useful to a reader.
  const fitIdx = trainIdx.filter((_, r) => r % 5 !== 4);
  const valIdx = trainIdx.filter((_, r) => r % 5 === 4);
  const val = toTensors(valIdx);
  let best = { loss: Infinity, epoch: 0, weights: null };

  // Training: manual seeded shuffle each epoch, fixed mini-batches, trainOnBatch.
  const shuffleRand = mulberry32(SHUFFLE_SEED);
  const order = fitIdx.slice();
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    shuffleInPlace(order, shuffleRand);
    let lossSum = 0;
    let nSeen = 0;
    for (let b = 0; b < order.length; b += BATCH_SIZE) {
      const batch = order.slice(b, b + BATCH_SIZE);
      const { xs, ys } = toTensors(batch);
      const [loss] = await model.trainOnBatch(xs, ys);
      lossSum += loss * batch.length;
      nSeen += batch.length;
      xs.dispose();
      ys.dispose();
    }
    const valLoss = tf.tidy(() => tf.mean(tfl.metrics.binaryCrossentropy(val.ys, model.predict(val.xs))).dataSync()[0]);
    if (valLoss < best.loss) {
      best.weights?.forEach((w) => w.dispose());
      best = { loss: valLoss, epoch, weights: model.getWeights().map((w) => w.clone()) };
    }
    if (epoch === 1 || epoch % 25 === 0) {
      console.log(`epoch ${String(epoch).padStart(3)}  train loss ${(lossSum / nSeen).toFixed(5)}  validation loss ${valLoss.toFixed(5)}`);
    }
  }
  model.setWeights(best.weights);
  console.log(`kept the weights of epoch ${best.epoch} (lowest validation loss ${best.loss.toFixed(5)})`);
  val.xs.dispose();
  val.ys.dispose();

  const predict = (idx) => {
    const { xs, ys } = toTensors(idx);
    const out = model.predict(xs);
    const p = Array.from(out.dataSync());
    xs.dispose();
    ys.dispose();
    out.dispose();
    return p;
  };
  const trainProbs = predict(trainIdx);
  const testProbs = predict(testIdx);
  // Pre-sigmoid logits of the test cases, computed by tfjs: dense2's output (via a sub-model)
  // times dense3's kernel plus bias. The sigmoid saturates to exactly 1.0f for many confident
  // cases, so logits are the more sensitive reference for checking a runtime's arithmetic.
  const testLogits = (() => {
    const sub = tfl.model({ inputs: model.inputs, outputs: model.getLayer("dense2").output });
    const [k3, b3] = model.getLayer("dense3").getWeights();
    const { xs, ys } = toTensors(testIdx);
    const logits = tf.tidy(() => tf.add(tf.matMul(sub.predict(xs), k3), b3));
    const z = Array.from(logits.dataSync());
    xs.dispose();
    ys.dispose();
    logits.dispose();
    return z;
  })();
  const trainEval = confusion(trainProbs, trainIdx.map((i) => y[i]));
  const testEval = confusion(testProbs, testIdx.map((i) => y[i]));

  // ---- save tfjs layers model -------------------------------------------------------------
  let savedArtifacts;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    savedArtifacts = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
  }));
  const weightData = Array.isArray(savedArtifacts.weightData)
    ? tf.io.CompositeArrayBuffer.join(savedArtifacts.weightData)
    : savedArtifacts.weightData;
  const modelJson = {
    format: savedArtifacts.format,
    generatedBy: savedArtifacts.generatedBy,
    convertedBy: savedArtifacts.convertedBy,
    modelTopology: savedArtifacts.modelTopology,
    weightsManifest: [{ paths: ["weights.bin"], weights: savedArtifacts.weightSpecs }],
  };
  writeFile(join(MODEL_DIR, "model.json"), JSON.stringify(modelJson) + "\n");
  writeFile(join(MODEL_DIR, "weights.bin"), Buffer.from(weightData));

  // Reload the saved files and check predictions are identical.
  const reloaded = await tfl.loadLayersModel(tf.io.fromMemory({
    modelTopology: modelJson.modelTopology,
    weightSpecs: modelJson.weightsManifest[0].weights,
    weightData: new Uint8Array(readFileSync(join(MODEL_DIR, "weights.bin"))).buffer,
  }));
  {
    const { xs } = toTensors(testIdx);
    const out = reloaded.predict(xs);
    const p = Array.from(out.dataSync());
    xs.dispose();
    out.dispose();
    const same = p.every((v, i) => v === testProbs[i]);
    if (!same) throw new Error("reloaded model predictions differ from the trained model");
  }

  // ---- plain weights ------------------------------------------------------------------------
  const weights = {};
  for (const name of ["dense1", "dense2", "dense3"]) {
    const layer = model.getLayer(name);
    const [k, bias] = layer.getWeights();
    const [nIn, nOut] = k.shape;
    const kd = k.dataSync();
    const kernel = [];
    for (let i = 0; i < nIn; i++) kernel.push(Array.from(kd.subarray(i * nOut, (i + 1) * nOut), f32Num));
    weights[name] = {
      activation: layer.getConfig().activation,
      kernel_shape: [nIn, nOut],
      kernel,
      bias: Array.from(bias.dataSync(), f32Num),
    };
  }

  // Independent float64 forward pass from the exported plain weights.
  let maxDiff = 0;
  let maxLogitRel = 0;
  testIdx.forEach((i, r) => {
    const { p, z } = forwardPlain(weights, standardize(X[i]));
    maxDiff = Math.max(maxDiff, Math.abs(p - testProbs[r]));
    maxLogitRel = Math.max(maxLogitRel, Math.abs(z - testLogits[r]) / Math.max(1, Math.abs(z)));
  });
  if (maxDiff > 1e-5) throw new Error(`plain forward pass differs from tfjs by ${maxDiff}`);
  if (maxLogitRel > 1e-5) throw new Error(`plain forward logits differ from tfjs by ${maxLogitRel} (relative)`);

  const reference = {
    description:
      "Reference outputs for edgenn's default model: Dense(64, relu) -> Dense(32, relu) -> Dense(1, sigmoid) " +
      "trained by scripts/train-wdbc.mjs with tfjs-layers (CPU backend) on the Wisconsin Diagnostic Breast Cancer data " +
      "(data/wdbc/breast_cancer.csv). The output is P(malignant). Inputs are standardised with the train-split " +
      "mean / population std below: z = f32(f32(f32(x) - mean) / std) (float32 arithmetic). " +
      "All weights and probabilities are float32 values written as the shortest decimal that round-trips " +
      "(Math.fround / Float32Array recovers them exactly). probabilities are tfjs predict() outputs; logits are the " +
      "pre-sigmoid dense3 outputs computed by tfjs (many probabilities saturate to exactly 1 in float32). Kernels are [in][out] (tfjs layout): y = x . kernel + bias.",
    positive_class: "malignant",
    label_encoding: { "1": "malignant", "0": "benign", csv_label_mapping: "label = 1 - csv_label (CSV: 0 = malignant, 1 = benign)" },
    decision_threshold: 0.5,
    data: { csv: "data/wdbc/breast_cancer.csv", sha256: CSV_SHA256, split: "data/wdbc/split.json" },
    training: {
      epochs: EPOCHS,
      early_stopping: { validation: "every 5th training case", best_epoch: best.epoch, validation_loss: best.loss },
      batch_size: BATCH_SIZE,
      optimizer: "adam",
      learning_rate: LEARNING_RATE,
      loss: "binaryCrossentropy",
      split_seed: SPLIT_SEED,
      init_seed: INIT_SEED,
      shuffle_seed: SHUFFLE_SEED,
      train_accuracy: trainEval.accuracy,
    },
    tfjs_version: { "tfjs-core": tf.version_core, "tfjs-layers": tfl.version_layers, backend: tf.getBackend() },
    feature_names: featureNames,
    standardization: { mean: mean.map(f32Num), std: std.map(f32Num) },
    test_indices: testIdx,
    labels: testIdx.map((i) => y[i]),
    raw_features: testIdx.map((i) => X[i]),
    standardized_features: testIdx.map((i) => standardize(X[i]).map(f32Num)),
    probabilities: testProbs.map(f32Num),
    logits: testLogits.map(f32Num),
    accuracy: testEval.accuracy,
    confusion_matrix: {
      rows: "actual [malignant, benign]",
      cols: "predicted [malignant, benign]",
      matrix: testEval.matrix,
    },
    weights,
  };
  writeFile(REFERENCE_PATH, formatJson(reference) + "\n");

  const pct = (a) => (100 * a).toFixed(2) + "%";
  const nMal = (idx) => idx.filter((i) => y[i] === 1).length;
  console.log(`split: train ${trainIdx.length} (${nMal(trainIdx)} malignant), test ${testIdx.length} (${nMal(testIdx)} malignant)`);
  console.log(`train accuracy ${pct(trainEval.accuracy)}  (${trainIdx.length} cases)`);
  console.log(`test  accuracy ${pct(testEval.accuracy)}  (${testIdx.length} cases)`);
  console.log("test confusion matrix (positive = malignant, threshold 0.5):");
  console.log("                    pred malignant  pred benign");
  console.log(`  actual malignant  ${String(testEval.matrix[0][0]).padStart(14)}  ${String(testEval.matrix[0][1]).padStart(11)}`);
  console.log(`  actual benign     ${String(testEval.matrix[1][0]).padStart(14)}  ${String(testEval.matrix[1][1]).padStart(11)}`);
  console.log(`plain-JS float64 forward pass vs tfjs: max |dp| = ${maxDiff.toExponential(2)}, max rel |dlogit| = ${maxLogitRel.toExponential(2)}`);
  console.log(`wrote ${SPLIT_PATH}, ${MODEL_DIR}/{model.json,weights.bin}, ${REFERENCE_PATH}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
