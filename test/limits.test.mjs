// Resource limits (load()'s `limits`): a file, a plan or a memory over its limit is refused with LIMIT before
// anything is allocated, the session stays usable, and a bad limit value is a clear BAD_INPUT.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { EdgennError, Tensor, load } from "../dist/index.js";

const model = new Uint8Array(readFileSync(new URL("../models/wdbc-mlp.enn", import.meta.url)));
const batch = (n) => new Tensor("float32", new Float32Array(n * 30).fill(0.1), [n, 30]);
const limit = (pattern) => (e) => e instanceof EdgennError && e.code === "LIMIT" && pattern.test(e.message);

test("maxFileBytes: a file over the limit is refused before it is parsed", async () => {
  await assert.rejects(load(model, { limits: { maxFileBytes: model.length - 1 } }), limit(/maxFileBytes = \d+/));
  (await load(model, { limits: { maxFileBytes: model.length } })).dispose();
});

test("maxArenaBytes: a batch whose activations exceed it is refused, the session keeps working", async () => {
  const s = await load(model, { limits: { maxArenaBytes: 1 << 20 } });
  const one = (await s.run({ input: batch(1) })).output.data[0];
  // batch 4096: input 4096·30 + hidden 4096·(64+32) + output 4096 floats ≈ 2.1 MB > 1 MiB.
  const memBefore = s.memory.total;
  await assert.rejects(s.run({ input: batch(4096) }), limit(/need \d+ bytes of activations, over the limit maxArenaBytes = 1048576/));
  assert.equal(s.memory.total, memBefore, "nothing was allocated for the refused plan");
  assert.equal((await s.run({ input: batch(1) })).output.data[0], one);
  assert.equal((await s.run({ input: batch(256) })).output.dims[0], 256);
  s.dispose();
});

test("maxMemoryBytes: a session that cannot fit its weights is refused at load", async () => {
  await assert.rejects(load(model, { limits: { maxMemoryBytes: 1 } }), limit(/over the session's limit maxMemoryBytes = 1/));
});

test("a limit that is not a positive whole number is BAD_INPUT", async () => {
  for (const v of [0, -1, 1.5, NaN, "1e6"]) {
    await assert.rejects(load(model, { limits: { maxArenaBytes: v } }), (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && /limits\.maxArenaBytes/.test(e.message));
  }
});

test("winograd: false keeps 3x3 convs on im2col: a quarter of the packed conv weights, the same answers (1e-5)", async () => {
  const { sequential, conv2d } = await import("../dist/index.js");
  const net = sequential([conv2d(64, 3, "relu", { padding: "same" }), conv2d(64, 3, "relu", { padding: "same" })], { inputShape: [20, 20, 32] });
  const x = new Tensor("float32", Float32Array.from({ length: 20 * 20 * 32 }, (_, i) => Math.sin(i)), [1, 20, 20, 32]);
  const [fast, small] = [await net.session(), await net.session({ winograd: false })];
  const [a, b] = [fast, small].map((s) => s.runSync({ [s.inputNames[0]]: x })[s.outputNames[0]].data);
  const scale = Math.max(...a.map(Math.abs));
  assert.ok(a.every((v, i) => Math.abs(v - b[i]) <= 1e-5 * scale));
  assert.ok(small.memory.weights < fast.memory.weights / 2, `weights ${small.memory.weights} vs ${fast.memory.weights} bytes`);
  fast.dispose();
  small.dispose();
});

test("nonFinite: 'reject' refuses NaN and infinities by input and position (the session stays usable); 'allow' computes them", async () => {
  const strict = await load(model, { nonFinite: "reject" });
  const x = new Float32Array(60).fill(0.2);
  x[37] = NaN;
  await assert.rejects(strict.run({ input: new Tensor("float32", x, [2, 30]) }), (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && /input 'input': NaN at position \[1,7\]/.test(e.message));
  x[37] = -Infinity;
  await assert.rejects(strict.run({ input: new Tensor("float32", x, [2, 30]) }), (e) => e instanceof EdgennError && /-Infinity at position \[1,7\]/.test(e.message));
  assert.ok(Number.isFinite((await strict.run({ input: batch(1) })).output.data[0]));
  x[37] = NaN;
  const lax = await load(model);
  assert.ok(Number.isNaN((await lax.run({ input: new Tensor("float32", x, [2, 30]) })).output.data[1]));
  await assert.rejects(load(model, { nonFinite: "drop" }), (e) => e instanceof EdgennError && /nonFinite must be "allow" or "reject"/.test(e.message));
  strict.dispose();
  lax.dispose();
});
