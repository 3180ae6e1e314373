// explain.occlusion against a direct per-region loop (one unbatched run per patch/window) on tiny models built
// with edgenn's builder, in every layout; tabular contributions of a linear model against w·(x − baseline);
// errors; and the renderers (colour maps against matplotlib's values, text bars).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { EdgennError, InferenceSession, Tensor, activation, conv2d, dense, explain, flatten, globalAveragePool2d, sequential } from "../dist/index.js";
import { uniform } from "./prng.mjs";

const rand = uniform(7);
const randoms = (n) => Float32Array.from({ length: n }, () => rand() * 2 - 1);

/** A 1-D or NCHW 2-D convolution as a builder layer (the builder's own conv2d is NHWC). */
function conv(filters, kernel, layout, act = "relu") {
  return {
    kind: "conv",
    build(ctx, x, shape) {
      const k = Array.isArray(kernel) ? kernel : [kernel];
      const channelsFirst = layout === "NCHW";
      const cin = channelsFirst ? shape[0] : shape[shape.length - 1];
      const spatial = channelsFirst ? shape.slice(1) : shape.slice(0, -1);
      const w = ctx.weight("kernel", [filters, cin, ...k], [cin * k[0], filters * k[0]]);
      const b = ctx.weight("bias", [filters]);
      const out = spatial.map((n, i) => n - k[i] + 1);
      const value = ctx.node("Conv", [x, w, b], { layout, strides: k.map(() => 1), activation: act, auto_pad: "VALID" });
      return { value, shape: channelsFirst ? [filters, ...out] : [...out, filters] };
    },
  };
}

/** Window starts along one axis as the docs define them: every stride, and one flush with the end. */
function starts(n, size, stride) {
  const s = [];
  for (let i = 0; i + size <= n; i += stride) s.push(i);
  if (s.at(-1) !== n - size) s.push(n - size);
  return s;
}

/**
 * The map by brute force: one run per region, written out per layout. `at(pos, ch)` is the element index of
 * spatial position `pos` ([row, col] or [i]) and channel `ch` in one example.
 */
async function bruteForce(session, x, dims, { spatial, channels, at }, size, stride, baseline, index) {
  const run = (data) => session.runSync({ input: new Tensor("float32", data, dims) }).output.data[index];
  const base = run(x);
  const sums = new Float64Array(spatial.reduce((a, b) => a * b, 1)), counts = new Float64Array(sums.length);
  const rows = spatial.length === 2 ? starts(spatial[0], size[0], stride[0]) : [0];
  const cols = starts(spatial.at(-1), size.at(-1), stride.at(-1));
  for (const r of rows) {
    for (const c of cols) {
      const y = x.slice();
      const cells = [];
      for (let i = r; i < r + (spatial.length === 2 ? size[0] : 1); i++) for (let j = c; j < c + size.at(-1); j++) cells.push(spatial.length === 2 ? [i, j] : [j]);
      for (const p of cells) for (let ch = 0; ch < channels; ch++) y[at(p, ch)] = typeof baseline === "number" ? baseline : baseline[ch];
      const drop = base - run(y);
      for (const p of cells) { const k = p.length === 2 ? p[0] * spatial[1] + p[1] : p[0]; sums[k] += drop; counts[k]++; }
    }
  }
  return Float32Array.from(sums, (s, k) => s / counts[k]);
}

function close(actual, expected, tol, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const same = Number.isNaN(expected[i]) ? Number.isNaN(actual[i]) : Math.abs(actual[i] - expected[i]) <= tol;
    assert.ok(same, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test("images NHWC: batched occlusion equals one run per patch (overlapping patches, ragged edge, scalar baseline)", async () => {
  const [h, w, c] = [7, 9, 2];
  const s = await sequential([conv2d(4, 3, { activation: "relu", padding: "same" }), globalAveragePool2d(), dense(3)], { inputShape: [h, w, c], seed: 3 }).session();
  const x = randoms(h * w * c);
  const r = await explain.occlusion(s, { input: new Tensor("float32", x, [1, h, w, c]) }, { patch: [2, 3], stride: [2, 2], baseline: 0.1, target: { index: 2 } });
  assert.equal(r.kind, "image");
  assert.equal(r.layout, "NHWC");
  assert.deepEqual(r.shape, [h, w]);
  const expected = await bruteForce(s, x, [1, h, w, c], { spatial: [h, w], channels: c, at: ([i, j], ch) => (i * w + j) * c + ch }, [2, 3], [2, 2], 0.1, 2);
  close(r.map, expected, 1e-5, "map");
  assert.equal(r.evaluations, starts(h, 2, 2).length * starts(w, 3, 2).length);
  assert.equal(r.runs, 2, "one unoccluded run and one batch");
  s.dispose();
});

test("images NCHW (inferred from the shape): equals one run per patch, per-channel baseline", async () => {
  const [c, h, w] = [3, 6, 5];
  const s = await sequential([conv(2, [3, 3], "NCHW"), flatten(), dense(2)], { inputShape: [c, h, w], seed: 5 }).session();
  const x = randoms(c * h * w);
  const baseline = [0.5, -0.5, 0.25];
  const r = await explain.occlusion(s, { input: new Tensor("float32", x, [1, c, h, w]) }, { patch: 2, baseline, target: { index: 1 }, batchSize: 4 });
  assert.equal(r.layout, "NCHW");
  const expected = await bruteForce(s, x, [1, c, h, w], { spatial: [h, w], channels: c, at: ([i, j], ch) => ch * h * w + i * w + j }, [2, 2], [2, 2], baseline, 1);
  close(r.map, expected, 1e-5, "map");
  assert.equal(r.runs, 1 + Math.ceil((r.evaluations + 1) / 4));
  s.dispose();
});

test("sequences [batch, channels, length] and [batch, length, channels]: windows 1-3, strides, flush last window", async () => {
  for (const layout of ["NCL", "NLC"]) {
    const [ch, len] = [4, 11];
    const first = layout === "NCL";
    const s = await sequential([conv(3, 3, first ? "NCHW" : "NHWC"), flatten(), dense(3), activation("softmax")], { inputShape: first ? [ch, len] : [len, ch], seed: 11 }).session();
    const x = randoms(ch * len);
    const dims = first ? [1, ch, len] : [1, len, ch];
    for (const [win, stride] of [[1, 1], [2, 2], [3, 1], [3, 4]]) {
      const r = await explain.occlusion(s, { input: new Tensor("float32", x, dims) }, { window: win, stride, baseline: 0.25, target: { output: "output", index: 0 } });
      assert.equal(r.kind, "sequence");
      assert.equal(r.layout, layout);
      assert.deepEqual(r.shape, [len]);
      const at = first ? ([i], c) => c * len + i : ([i], c) => i * ch + c;
      close(r.map, await bruteForce(s, x, dims, { spatial: [len], channels: ch, at }, [win], [stride], 0.25, 0), 1e-6, `${layout} window ${win} stride ${stride}`);
    }
    s.dispose();
  }
});

test("tabular: a linear model's contributions are w·(x − baseline), feature by feature", async () => {
  const f = 6;
  const model = sequential([dense(2)], { inputShape: [f] });
  const kernel = randoms(f * 2), bias = [0.3, -0.7];
  model.setWeights("dense_1", { kernel, bias });
  const s = await model.session();
  const x = randoms(f), baseline = randoms(f);
  for (const index of [0, 1]) {
    const r = await explain.occlusion(s, { input: new Tensor("float32", x, [1, f]) }, { baseline, target: { index } });
    assert.equal(r.kind, "tabular");
    assert.deepEqual(r.shape, [f]);
    close(r.map, Array.from({ length: f }, (_, j) => kernel[j * 2 + index] * (x[j] - baseline[j])), 1e-6, `output ${index}`);
    assert.equal(r.target.value, s.runSync({ input: new Tensor("float32", x, [1, f]) }).output.data[index]);
  }
  // Default baseline 0 (the training mean after standardisation), default target: the larger output.
  const r = await explain.occlusion(s, { input: new Tensor("float32", x, [1, f]) });
  const out = s.runSync({ input: new Tensor("float32", x, [1, f]) }).output.data;
  assert.equal(r.target.index, out[1] > out[0] ? 1 : 0);
  close(r.map, Array.from({ length: f }, (_, j) => kernel[j * 2 + r.target.index] * x[j]), 1e-6, "baseline 0");
  s.dispose();
});

test("two inputs: the chosen one is occluded, the other is repeated along the batch", async () => {
  const w = randoms(3);
  const s = await InferenceSession.fromGraph({
    inputs: [{ name: "x", dtype: "float32", shape: ["batch", 3] }, { name: "y", dtype: "float32", shape: ["batch", 3] }],
    outputs: ["out"],
    nodes: [
      { op: "Mul", name: "xy", inputs: ["x", "y"], outputs: ["xy"], attrs: {} },
      { op: "Dense", name: "d", inputs: ["xy", "w"], outputs: ["out"], attrs: { activation: "linear" } },
    ],
    constants: new Map([["w", { shape: [3, 1], data: w }]]),
  });
  const [x, y] = [randoms(3), randoms(3)];
  const feeds = { x: new Tensor("float32", x, [1, 3]), y: new Tensor("float32", y, [1, 3]) };
  await assert.rejects(explain.occlusion(s, feeds), /the model has inputs x, y: say which to occlude with 'input'/);
  const r = await explain.occlusion(s, feeds, { input: "y" });
  close(r.map, [0, 1, 2].map((j) => w[j] * x[j] * y[j]), 1e-6, "w·x·y");
  assert.equal(r.runs, 2);
  s.dispose();
});

test("a model with a fixed batch of 1 runs one copy at a time, with the same map", async () => {
  const model = sequential([dense(4, "tanh"), dense(1, "sigmoid")], { inputShape: [5], seed: 9 });
  const batched = await model.session();
  model.graph.inputs[0].shape[0] = 1;
  const single = await model.session();
  const feeds = { input: new Tensor("float32", randoms(5), [1, 5]) };
  const [a, b] = [await explain.occlusion(batched, feeds), await explain.occlusion(single, feeds)];
  close(b.map, a.map, 1e-6, "map");
  assert.equal(a.runs, 2);
  assert.equal(b.runs, 6);
});

test("a model that mixes examples across the batch is refused (its batched map would be wrong)", async () => {
  const mix = { kind: "mix", build: (ctx, x, shape) => ({ value: ctx.node("Softmax", [x], { axis: 0 }), shape }) };
  const s = await sequential([dense(2), mix], { inputShape: [3] }).session();
  const feeds = { input: new Tensor("float32", randoms(3), [1, 3]) };
  await assert.rejects(explain.occlusion(s, feeds), (e) => e instanceof EdgennError && e.code === "UNSUPPORTED" && /batchSize: 1/.test(e.message));
  const r = await explain.occlusion(s, feeds, { batchSize: 1 });
  assert.deepEqual([...r.map], [0, 0, 0], "softmax over a batch of one is 1 whatever the input");
});

test("the caller's feeds are never changed; progress is reported; a signal stops it", async () => {
  const s = await sequential([conv2d(2, 3), globalAveragePool2d(), dense(1)], { inputShape: [12, 12, 1] }).session();
  const x = randoms(144), copy = x.slice();
  const feeds = { input: new Tensor("float32", x, [1, 12, 12, 1]) };
  const seen = [];
  const r = await explain.occlusion(s, feeds, { patch: 2, stride: 1, batchSize: 30, onProgress: (done, total) => seen.push([done, total]) });
  assert.deepEqual(x, copy);
  assert.equal(feeds.input.data, x);
  assert.equal(r.evaluations, 121);
  assert.deepEqual(seen.map(([d]) => d), [29, 59, 89, 119, 121], "the first batch also re-runs the unoccluded input");
  assert.ok(seen.every(([, t]) => t === 121));
  const ctl = new AbortController();
  await assert.rejects(explain.occlusion(s, feeds, { patch: 2, stride: 1, batchSize: 10, onProgress: (d) => d > 20 && ctl.abort(new Error("stop")), signal: ctl.signal }), /stop/);
  s.dispose();
});

test("clear errors: target, layout, patch, baseline, batch", async () => {
  const s = await sequential([conv2d(2, 3), globalAveragePool2d(), dense(2)], { inputShape: [6, 6, 3] }).session();
  const feeds = { input: new Tensor("float32", randoms(108), [1, 6, 6, 3]) };
  const fails = async (options, pattern, f = feeds) => assert.rejects(explain.occlusion(s, f, options), (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && pattern.test(e.message));
  await fails({ target: { output: "logits" } }, /unknown target output 'logits' \(the model's outputs: output\)/);
  await fails({ target: { index: 2 } }, /target index 2 is outside output 'output' \[1,2\] \(0 to 1\)/);
  await fails({ patch: 7 }, /patch \[7,7\] is larger than the input's extent \[6,6\]/);
  await fails({ patch: 0 }, /patch must be a positive whole number/);
  await fails({ window: 2 }, /'window' is for sequences/);
  await fails({ layout: "NCL" }, /layout 'NCL' does not fit input 'input' \[1,6,6,3\] \(NCHW or NHWC\)/);
  await fails({ baseline: [1, 2] }, /baseline has 2 values; the input takes one number, 3 \(one per channel\) or 108 \(one example\)/);
  await fails({ input: "image" }, /unknown input 'image'/);
  await fails({}, /holds 2 examples: occlusion explains one/, { input: new Tensor("float32", randoms(216), [2, 6, 6, 3]) });
  const square = await sequential([flatten(), dense(1)], { inputShape: [4, 4] }).session();
  await assert.rejects(explain.occlusion(square, { input: new Tensor("float32", randoms(16), [1, 4, 4]) }), /cannot tell the channels from the shape; pass layout 'NCL' or 'NLC'/);
  s.dispose();
  square.dispose();
});

test("colour maps: viridis within 2/255 of matplotlib's table, jet as matplotlib's segments", () => {
  // matplotlib 3.6 (_cm_listed._viridis_data) entries 0, 37, 100, 200, 255, as bytes.
  const viridis = { 0: [68, 1, 84], 37: [70, 51, 127], 100: [42, 118, 142], 200: [112, 207, 87], 255: [253, 231, 37] };
  for (const [i, rgb] of Object.entries(viridis)) {
    explain.colormap("viridis", i / 255).forEach((v, c) => assert.ok(Math.abs(v - rgb[c]) <= 2, `viridis ${i}: ${explain.colormap("viridis", i / 255)} vs ${rgb}`));
  }
  assert.deepEqual(explain.colormap("jet", 0), [0, 0, 128]);
  assert.deepEqual(explain.colormap("jet", 0.5), [123, 255, 123]);
  assert.deepEqual(explain.colormap("jet", 1), [128, 0, 0]);
  assert.deepEqual(explain.colormap("jet", 2), [128, 0, 0], "clamped");
  assert.throws(() => explain.colormap("magma", 0.5), /unknown colour map 'magma' \(viridis, jet\)/);
});

test("toRgba: ImageData-shaped pixels, range, alpha, NaN transparent, upscaled; maps that do not fit are refused", () => {
  const map = { map: Float32Array.of(0, 1, 2, NaN, 4, 2), shape: [2, 3] };
  const img = explain.toRgba(map, { colormap: "jet", alpha: 0.5 });
  assert.ok(img.data instanceof Uint8ClampedArray);
  assert.deepEqual([img.width, img.height, img.data.length], [3, 2, 24]);
  assert.deepEqual([...img.data.subarray(0, 4)], [...explain.colormap("jet", 0), 128]);
  assert.deepEqual([...img.data.subarray(16, 20)], [...explain.colormap("jet", 1), 128]);
  assert.deepEqual([...img.data.subarray(12, 16)], [0, 0, 0, 0], "NaN");
  const byValue = explain.toRgba(map, { alpha: "value", range: [0, 2] });
  assert.deepEqual([0, 1, 2, 4].map((i) => byValue.data[i * 4 + 3]), [0, 128, 255, 255]);
  const big = explain.toRgba(map, { width: 6, height: 4 });
  assert.deepEqual([...big.data.subarray((1 * 6 + 1) * 4, (1 * 6 + 2) * 4)], [...img.data.subarray(0, 3), 128].map((v, i) => (i < 3 ? explain.toRgba(map).data[i] : v)));
  assert.throws(() => explain.toRgba(map, { width: 7, height: 4 }), /the map \[2,3\] does not fit a 7x4 picture/);
  assert.throws(() => explain.toRgba({ map: new Float32Array(5), shape: [2, 3] }), /a map of 5 values does not fit its shape \[2,3\]/);
  assert.throws(() => explain.toRgba(map, { alpha: 2 }), /alpha must be from 0 to 1/);
  const row = explain.toRgba({ map: [1, 2, 3], shape: [3] });
  assert.deepEqual([row.width, row.height], [3, 1]);
});

test("terminal: sparkline, bar in eighths, bars sorted by magnitude", () => {
  assert.equal(explain.sparkline([0, 1, 2, 3, 4, 5, 6, 7]), "▁▂▃▄▅▆▇█");
  assert.equal(explain.sparkline({ map: [5, NaN, 5], shape: [3] }), "▅ ▅");
  assert.equal(explain.bar(0.5, 1, 4), "██  ");
  assert.equal(explain.bar(-0.3125, 1, 4), "█▎  ");
  assert.equal(explain.bar(3, 1, 2), "██");
  const text = explain.bars([0.1, -0.4, 0.2], { labels: ["a", "bb", "c"], top: 2, width: 8, digits: 2 });
  assert.equal(text, "bb  -0.40  ████████\nc   +0.20  ████");
  assert.throws(() => explain.bars([1, 2], { labels: ["a"] }), /2 values/);
});

test("examples/explain-case.mjs prints the probability and the top features with a bar each", () => {
  const out = execFileSync(process.execPath, [new URL("../examples/explain-case.mjs", import.meta.url).pathname], { encoding: "utf8" });
  assert.match(out, /P\(malignant\) = \d\.\d{4}/);
  const lines = out.split("\n").filter((l) => /[+-]\d\.\d{3}\s+[█▏▎▍▌▋▊▉]/.test(l));
  assert.ok(lines.length >= 5, out);
});
