// Under load: 100,000 runs of the default model and 1,000 of a CNN in one process, and 300 sessions loaded and
// disposed, without growth of wasm memory (none at all once planned) or of the JS heap beyond a stated bound;
// concurrent run() calls on one session each get their own, correct answer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Tensor, load, sequential, conv2d, maxPool2d, globalAveragePool2d, dense } from "../dist/index.js";
import { uniform } from "./prng.mjs";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");
const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
const HEAP_BOUND = 8 * 1024 * 1024; // bytes of JS heap growth allowed over a whole soak (GC noise, JIT caches)
const model = new Uint8Array(readFileSync(new URL("../models/wdbc-mlp.enn", import.meta.url)));
const rand = uniform(9);

test("100,000 runs of the default model: wasm memory constant, JS heap within 8 MB", async () => {
  const s = await load(model);
  const inputs = Array.from({ length: 100 }, () => new Tensor("float32", Float32Array.from({ length: 30 }, () => rand() * 4 - 2), [1, 30]));
  const first = inputs.map((x) => s.runSync({ input: x }).output.data[0]);
  const wasm0 = s.memory.total, heap0 = heap();
  for (let i = 0; i < 100_000; i++) {
    const y = s.runSync({ input: inputs[i % 100] }).output.data[0];
    if (y !== first[i % 100]) assert.fail(`run ${i} answered ${y}, the first run ${first[i % 100]}`);
  }
  const grown = heap() - heap0;
  assert.equal(s.memory.total, wasm0);
  assert.ok(grown < HEAP_BOUND, `JS heap grew ${grown} bytes`);
  s.dispose();
});

test("1,000 runs of a CNN (64x64 image, 3 conv layers): wasm memory constant, JS heap within 8 MB", async () => {
  const net = sequential([conv2d(16, 3, "relu", { padding: "same" }), maxPool2d(2), conv2d(32, 3, "relu", { padding: "same" }), maxPool2d(2), conv2d(32, 3, "relu"), globalAveragePool2d(), dense(4, "sigmoid")], { inputShape: [64, 64, 1] });
  const s = await net.session();
  const x = new Tensor("float32", Float32Array.from({ length: 64 * 64 }, rand), [1, 64, 64, 1]);
  const want = [...s.runSync({ [s.inputNames[0]]: x })[s.outputNames[0]].data];
  const wasm0 = s.memory.total, heap0 = heap();
  for (let i = 0; i < 1000; i++) {
    const y = s.runSync({ [s.inputNames[0]]: x })[s.outputNames[0]].data;
    if (y.some((v, j) => v !== want[j])) assert.fail(`run ${i} differs`);
  }
  assert.equal(s.memory.total, wasm0);
  assert.ok(heap() - heap0 < HEAP_BOUND, `JS heap grew ${heap() - heap0} bytes`);
  s.dispose();
});

test("300 sessions loaded, run and disposed: no JS heap growth beyond 8 MB (each wasm memory is released)", async () => {
  const x = new Tensor("float32", new Float32Array(30).fill(0.5), [1, 30]);
  const cycle = async () => { const s = await load(model); s.runSync({ input: x }); s.dispose(); };
  for (let i = 0; i < 20; i++) await cycle(); // warm the JIT and the compiled-module cache
  const heap0 = heap();
  for (let i = 0; i < 300; i++) await cycle();
  assert.ok(heap() - heap0 < HEAP_BOUND, `JS heap grew ${heap() - heap0} bytes over 300 sessions`);
});

test("concurrent run() calls on one session each get their own answer", async () => {
  const s = await load(model);
  const xs = Array.from({ length: 64 }, (_, i) => new Tensor("float32", new Float32Array(30).fill(i / 16 - 2), [1, 30]));
  const want = xs.map((x) => s.runSync({ input: x }).output.data[0]);
  const got = await Promise.all(xs.map((x) => s.run({ input: x })));
  assert.deepEqual(got.map((o) => o.output.data[0]), want);
  s.dispose();
});
