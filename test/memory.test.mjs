// Memory that comes back: each session owns its wasm memory, and dispose() lets all of it go. A 20 MB model is
// loaded and disposed 200 times, and 20 sessions live side by side and are disposed in random order, with the
// process's resident memory held under a stated bound.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Tensor, load, sequential, dense } from "../dist/index.js";
import { below } from "./prng.mjs";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");
const rss = () => { gc(); gc(); return process.memoryUsage().rss; };
const MB = 1e6;

// 2300 -> 2300 -> 1: 5.3 M weights, 21 MB of float32.
const bytes = sequential([dense(2300, "relu"), dense(1, "sigmoid")], { inputShape: [2300] }).save({ name: "twenty-mb" });
const x = new Tensor("float32", new Float32Array(2300).fill(0.01), [1, 2300]);

test("a 21 MB model loaded, run and disposed 200 times: resident memory stays under base + 2 sessions' footprint", async (t) => {
  const one = await load(bytes);
  one.runSync({ [one.inputNames[0]]: x });
  const footprint = one.memory.total + bytes.length; // wasm memory + the decoded weights in JS
  one.dispose();
  const base = rss();
  let peak = 0;
  for (let i = 0; i < 200; i++) {
    const s = await load(bytes);
    s.runSync({ [s.inputNames[0]]: x });
    s.dispose();
    if (i % 20 === 19) peak = Math.max(peak, rss() - base);
  }
  t.diagnostic(`file ${(bytes.length / MB).toFixed(1)} MB, one session's footprint ${(footprint / MB).toFixed(1)} MB, RSS growth over 200 cycles: peak ${(peak / MB).toFixed(1)} MB`);
  assert.ok(peak < 2 * footprint, `RSS grew ${(peak / MB).toFixed(1)} MB, bound ${(2 * footprint / MB).toFixed(1)} MB`);
});

test("20 sessions side by side, disposed in random order: wasm memory goes back to the system, JS buffers are freed and reused", async (t) => {
  const ab = () => { gc(); gc(); return process.memoryUsage().arrayBuffers; };
  const base = rss(), baseAb = ab();
  const open20 = async () => { const list = []; for (let i = 0; i < 20; i++) list.push(await load(bytes)); return list; };
  const sessions = await open20();
  const wasm = sessions.reduce((a, s) => a + s.memory.total, 0);
  const held = rss() - base;
  const pick = below(5);
  while (sessions.length) {
    const s = sessions.splice(pick(sessions.length), 1)[0];
    assert.ok(Number.isFinite(s.runSync({ [s.inputNames[0]]: x })[s.outputNames[0]].data[0]));
    s.dispose();
  }
  const after = rss() - base, jsAfter = ab() - baseAb;
  // The decoded weights are ordinary JS buffers: freed (arrayBuffers back to base), but glibc keeps freed heap
  // pages for reuse rather than returning them, so RSS keeps them; a second round must reuse them, not grow.
  const again = await open20();
  const heldAgain = rss() - base;
  for (const s of again) s.dispose();
  t.diagnostic(`20 sessions: RSS +${(held / MB).toFixed(0)} MB (wasm ${(wasm / MB).toFixed(0)} MB); after disposing: +${(after / MB).toFixed(0)} MB RSS, +${(jsAfter / MB).toFixed(1)} MB JS buffers; 20 more: +${(heldAgain / MB).toFixed(0)} MB`);
  assert.ok(held - after >= 0.8 * wasm, `only ${((held - after) / MB).toFixed(0)} MB of ${(wasm / MB).toFixed(0)} MB of wasm memory went back`);
  assert.ok(jsAfter < 5 * MB, `${(jsAfter / MB).toFixed(1)} MB of JS buffers still reachable after dispose`);
  assert.ok(heldAgain < held * 1.15, `a second round grew RSS to +${(heldAgain / MB).toFixed(0)} MB (first: +${(held / MB).toFixed(0)} MB)`);
});
