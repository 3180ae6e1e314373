// The streaming .enn reader (format/enn-stream.ts) gives exactly what readEnn gives, whatever the chunking, and
// refuses every damaged, truncated or extended stream with BAD_FILE, like readEnn.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { EdgennError, generateSigningKey, readEnn, signEnn, writeEnn } from "../../dist/index.js";
import { readEnnStream } from "../../dist/format/enn-stream.js";
import { below, uniform } from "../prng.mjs";

const model = new Uint8Array(readFileSync(new URL("../../models/wdbc-mlp.enn", import.meta.url)));
const rand = uniform(11), pick = below(12);

async function* chunked(bytes, size) {
  for (let at = 0; at < bytes.length;) {
    const n = typeof size === "function" ? size() : size;
    yield bytes.subarray(at, at + n);
    at += n;
  }
}
const same = (a, b) => {
  assert.deepEqual(a.graph, b.graph);
  assert.deepEqual(a.metadata, b.metadata);
  assert.equal(a.checksum, b.checksum);
  assert.deepEqual(a.signature, b.signature);
  assert.deepEqual([...a.tensors.keys()], [...b.tensors.keys()]);
  for (const [k, t] of a.tensors) assert.deepEqual(t, b.tensors.get(k), k);
};

test("same result as readEnn for every chunking: f32, f16, int8, zero-size tensors, a signed file", async () => {
  const w = Float32Array.from({ length: 3000 }, () => rand() * 2 - 1);
  const files = [
    model,
    await signEnn(model, (await generateSigningKey("ECDSA-P256")).privateKey),
    writeEnn({
      metadata: { name: "mixed" },
      tensors: [
        { name: "a", dtype: "float16", shape: [30, 100], data: w },
        { name: "empty", shape: [0, 4], data: new Float32Array(0) },
        { name: "q", dtype: "int8", quantAxis: 1, shape: [30, 100], data: w },
        { name: "s", shape: [], data: Float32Array.of(7) },
      ],
    }),
  ];
  for (const bytes of files) {
    const want = readEnn(bytes);
    for (const size of [1, 7, 56, 64, 4096, 1 << 20, () => 1 + pick(300)]) same(await readEnnStream(chunked(bytes, size)), want);
  }
});

test("progress: bytes so far and the total once the prefix is in", async () => {
  const seen = [];
  await readEnnStream(chunked(model, 1000), { onBytes: (loaded, total) => seen.push([loaded, total]) });
  assert.deepEqual(seen.at(-1), [model.length, model.length]);
  assert.equal(seen[0][1], model.length);
  assert.ok(seen.every(([l], i) => i === 0 || l > seen[i - 1][0]));
});

test("damaged, truncated or extended streams: BAD_FILE, never a model", async () => {
  const isBad = (e) => e instanceof EdgennError && (e.code === "BAD_FILE" || e.code === "UNSUPPORTED");
  for (let i = 0; i < 200; i++) {
    const bad = model.slice();
    const at = i < 56 ? i : 56 + pick(model.length - 56);
    bad[at] ^= 1 + pick(255);
    await assert.rejects(readEnnStream(chunked(bad, 1 + pick(5000))), isBad, `byte ${at}`);
  }
  for (const cut of [0, 10, 55, 56, 200, model.length - 1]) {
    await assert.rejects(readEnnStream(chunked(model.subarray(0, cut), 333)), (e) => isBad(e) && /truncated|empty/.test(e.message), `cut at ${cut}`);
  }
  const longer = new Uint8Array(model.length + 10);
  longer.set(model);
  await assert.rejects(readEnnStream(chunked(longer, 4096)), (e) => isBad(e) && /trailing data/.test(e.message));
  await assert.rejects(readEnnStream((async function* () { yield "not bytes"; })()), (e) => e instanceof EdgennError && e.code === "BAD_INPUT");
});
