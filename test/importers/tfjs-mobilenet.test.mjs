// A MobileNet-v1-style CNN at 224x224 (tf.layers: Rescaling, conv + BN + ReLU6, 13 depthwise-separable blocks
// with Keras' asymmetric ZeroPadding2D before the stride-2 ones, GAP, Dense 1000 softmax; width 0.25, seeded
// weights, batch-norm statistics set from the images) saved to the layers format, imported, and run by edgenn and by tfjs on real photographs: the RGB PNGs
// Debian's python3-skimage ships (astronaut, chelsea, coffee, and the immunohistochemistry slide ihc), fetched
// with apt-get download into the model cache. Checked: every probability within the harness tolerance (relative
// 1e-4), and the same top-1 class with its margin over the runner-up reported.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { unpackDebs } from "../../scripts/debian.mjs";
import { InferenceSession, Tensor } from "../../dist/index.js";
import { compare, gu, importTfjsLayers, initTf, ru, save, tf, tfl } from "./tfjs-harness.mjs";

const IMAGES = ["astronaut", "chelsea", "coffee", "ihc"];
const SIZE = 224;

/** 8-bit non-interlaced PNG (grey, RGB, RGBA) to RGB bytes: zlib-inflated IDAT, then the per-row filters undone. */
function decodePng(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8, width = 0, height = 0, channels = 0;
  const idat = [];
  while (at < bytes.length) {
    const len = view.getUint32(at), type = String.fromCharCode(...bytes.subarray(at + 4, at + 8)), body = bytes.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") {
      width = view.getUint32(at + 8); height = view.getUint32(at + 12);
      const [depth, color, , , interlace] = body.subarray(8, 13);
      channels = { 0: 1, 2: 3, 6: 4 }[color];
      if (depth !== 8 || !channels || interlace) throw new Error(`PNG: bit depth ${depth}, color type ${color}, interlace ${interlace} not handled`);
    } else if (type === "IDAT") idat.push(body);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat)), stride = width * channels, px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)], src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), row = y * stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? px[row + i - channels] : 0, b = y ? px[row - stride + i] : 0, c = y && i >= channels ? px[row - stride + i - channels] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f];
      px[row + i] = (src[i] + pred) & 255;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) for (let k = 0; k < 3; k++) rgb[i * 3 + k] = px[i * channels + (channels === 1 ? 0 : k)];
  return { width, height, rgb };
}

/** Centre square crop, box-averaged down to SIZE x SIZE, as float pixels 0..255 (HWC). */
function toInput({ width, height, rgb }) {
  const side = Math.min(width, height), x0 = (width - side) >> 1, y0 = (height - side) >> 1, out = new Float32Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const ya = y0 + Math.floor((y * side) / SIZE), yb = y0 + Math.max(Math.floor(((y + 1) * side) / SIZE), Math.floor((y * side) / SIZE) + 1);
      const xa = x0 + Math.floor((x * side) / SIZE), xb = x0 + Math.max(Math.floor(((x + 1) * side) / SIZE), Math.floor((x * side) / SIZE) + 1);
      for (let k = 0; k < 3; k++) {
        let s = 0;
        for (let v = ya; v < yb; v++) for (let u = xa; u < xb; u++) s += rgb[(v * width + u) * 3 + k];
        out[(y * SIZE + x) * 3 + k] = s / ((yb - ya) * (xb - xa));
      }
    }
  }
  return out;
}

function mobilenet() {
  const bn = () => tfl.layers.batchNormalization({ gammaInitializer: ru(0.7, 1.3), betaInitializer: ru(-0.2, 0.2), movingMeanInitializer: ru(-0.1, 0.1), movingVarianceInitializer: ru(0.5, 1.5) });
  const relu6 = () => tfl.layers.reLU({ maxValue: 6 });
  const m = tfl.sequential({ name: "mobilenet_0.25_224" });
  m.add(tfl.layers.rescaling({ inputShape: [SIZE, SIZE, 3], scale: 1 / 127.5, offset: -1 }));
  m.add(tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: "same", useBias: false, kernelInitializer: gu() }));
  m.add(bn()); m.add(relu6());
  const blocks = [[16, 1], [32, 2], [32, 1], [64, 2], [64, 1], [128, 2], [128, 1], [128, 1], [128, 1], [128, 1], [128, 1], [256, 2], [256, 1]];
  for (const [filters, stride] of blocks) {
    if (stride === 2) m.add(tfl.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]] }));
    m.add(tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: stride === 2 ? "valid" : "same", useBias: false, depthwiseInitializer: gu() }));
    m.add(bn()); m.add(relu6());
    m.add(tfl.layers.conv2d({ filters, kernelSize: 1, useBias: false, kernelInitializer: gu() }));
    m.add(bn()); m.add(relu6());
  }
  m.add(tfl.layers.globalAveragePooling2d({}));
  m.add(tfl.layers.dropout({ rate: 0.001 }));
  m.add(tfl.layers.dense({ units: 1000, activation: "softmax", kernelInitializer: gu(), biasInitializer: ru(-0.1, 0.1) }));
  return m;
}

/**
 * Random weights alone make a deep ReLU6 stack forget its input (every image gets the same class), so the batch
 * norms' moving statistics are set from the images themselves, layer by layer, as a trained network's would be.
 */
function calibrate(m, x) {
  let h = x;
  for (const layer of m.layers) {
    if (layer.getClassName() === "BatchNormalization") {
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      const [gamma, beta] = layer.getWeights();
      layer.setWeights([gamma, beta, mean, variance]);
      tf.dispose([mean, variance]);
    }
    const next = layer.apply(h, { training: false });
    if (h !== x) h.dispose();
    h = next;
  }
  h.dispose();
}

const top2 = (p) => {
  let a = 0, b = -1;
  for (let i = 1; i < p.length; i++) {
    if (p[i] > p[a]) { b = a; a = i; } else if (b < 0 || p[i] > p[b]) b = i;
  }
  return [a, b];
};

test("MobileNet-style CNN at 224x224 on real images: probabilities within 1e-4 of tfjs, same top-1", { timeout: 600_000 }, async (t) => {
  await initTf();
  const cache = process.env.EDGENN_MODELS ?? join(import.meta.dirname, "../../node_modules/.cache/edgenn-models");
  const dir = unpackDebs(join(cache, "debian"), ["python3-skimage"], (s) => t.diagnostic(s));
  const pixels = IMAGES.map((n) => toInput(decodePng(readFileSync(join(dir, "usr/lib/python3/dist-packages/skimage/data", `${n}.png`)))));
  const x = new Float32Array(IMAGES.length * SIZE * SIZE * 3);
  pixels.forEach((p, i) => x.set(p, i * p.length));
  const shape = [IMAGES.length, SIZE, SIZE, 3];
  const xt = tf.tensor(x, shape);
  const m = mobilenet();
  calibrate(m, xt);
  const saved = await save(m);
  const { graph, metadata } = importTfjsLayers(saved.modelJson, saved.weightData);
  const s = await InferenceSession.fromGraph(graph, { metadata });
  const got = (await s.run({ [s.inputNames[0]]: new Tensor("float32", x, shape) }))[s.outputNames[0]];
  const ref = m.predict(xt);
  const want = ref.dataSync();
  assert.deepEqual(got.dims, [IMAGES.length, 1000]);
  t.diagnostic(`max relative error ${compare(got.data, want, "probabilities").toExponential(2)}`);
  IMAGES.forEach((name, i) => {
    const g = got.data.subarray(i * 1000, (i + 1) * 1000), w = want.subarray(i * 1000, (i + 1) * 1000);
    const [a, b] = top2(w);
    assert.equal(top2(g)[0], a, `${name}: top-1`);
    t.diagnostic(`${name}: top-1 class ${a} (p ${w[a].toExponential(3)}, runner-up ${b} at ${w[b].toExponential(3)}) in both`);
  });
  const classes = new Set(IMAGES.map((_, i) => top2(want.subarray(i * 1000, (i + 1) * 1000))[0]));
  assert.ok(classes.size > 1, "the images get different classes (the network sees its input)");
  s.dispose();
  tf.dispose([ref, xt]);
});
