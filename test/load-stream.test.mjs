// Streamed loading: load() from a ReadableStream, a fetch Response, a file path and an HTTP URL reports progress
// (bytes, then verify, decode, pack, ready), gives the same answers as loading bytes, stops cleanly on abort,
// and holds about one copy of the weights while loading a 50 MB model, not two.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { EdgennError, Tensor, load, sequential, dense } from "../dist/index.js";

const modelPath = new URL("../models/wdbc-mlp.enn", import.meta.url);
const model = new Uint8Array(readFileSync(modelPath));
const x = new Tensor("float32", Float32Array.from({ length: 60 }, (_, i) => Math.cos(i)), [2, 30]);
const answer = async (s) => [...(await s.run({ input: x })).output.data];
const want = await answer(await load(model));
const streamOf = (bytes, size = 997) => new ReadableStream({
  start(c) { for (let at = 0; at < bytes.length; at += size) c.enqueue(bytes.slice(at, at + size)); c.close(); },
});

function checkPhases(events, size) {
  const phases = events.map((e) => e.phase);
  const firstLater = phases.indexOf("verify");
  assert.ok(firstLater > 0 && phases.slice(0, firstLater).every((p) => p === "download"), phases.join());
  assert.deepEqual(phases.slice(firstLater), ["verify", "decode", "pack", "ready"]);
  const downloads = events.filter((e) => e.phase === "download");
  assert.ok(downloads.every((e, i) => i === 0 || e.loaded > downloads[i - 1].loaded));
  assert.equal(events.at(-1).loaded, size);
  assert.equal(events.at(-1).total, size);
}

test("ReadableStream, Response, file path, bytes: progress phases in order and the same answers", async () => {
  for (const [label, source] of [
    ["stream", () => streamOf(model)],
    ["response", () => new Response(streamOf(model, 4096), { headers: { "content-length": String(model.length) } })],
    ["path", () => modelPath.pathname],
    ["file URL", () => modelPath],
    ["bytes", () => model],
  ]) {
    const events = [];
    const s = await load(source(), { onProgress: (e) => events.push(e) });
    assert.deepEqual(await answer(s), want, label);
    checkPhases(events, model.length);
    s.dispose();
  }
});

test("an HTTP URL: streamed with Content-Length as the total; a 404 and a damaged download are clear errors", async () => {
  const damaged = model.slice();
  damaged[5000] ^= 0x10;
  const server = createServer((req, res) => {
    const body = req.url === "/model.enn" ? model : req.url === "/damaged.enn" ? damaged : undefined;
    if (!body) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-length": body.length, "content-type": "application/octet-stream" });
    for (let at = 0; at < body.length; at += 2048) res.write(body.subarray(at, at + 2048));
    res.end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const events = [];
    const s = await load(`${base}/model.enn`, { onProgress: (e) => events.push(e) });
    assert.deepEqual(await answer(s), want);
    checkPhases(events, model.length);
    assert.equal(events[0].total, model.length, "Content-Length is the total from the first chunk");
    await assert.rejects(load(`${base}/missing.enn`), (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && /HTTP 404/.test(e.message));
    await assert.rejects(load(`${base}/damaged.enn`), (e) => e instanceof EdgennError && e.code === "BAD_FILE" && /checksum mismatch/.test(e.message));
  } finally {
    server.close();
  }
});

test("abort: before the start, during the download, and during a stalled HTTP response", async () => {
  const isAbort = (e) => e instanceof EdgennError && e.code === "ABORTED" && /load aborted/.test(e.message);
  await assert.rejects(load(model, { signal: AbortSignal.abort() }), isAbort);
  const ac = new AbortController();
  let seen = 0;
  await assert.rejects(load(streamOf(model, 500), { signal: ac.signal, onProgress: (e) => { if (e.phase === "download" && ++seen === 3) ac.abort(); } }), isAbort);
  assert.equal(seen, 3, "no progress after the abort");
  // A server that sends half the file and then stalls: the signal ends the wait.
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-length": model.length });
    res.write(model.subarray(0, model.length >> 1));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  try {
    const stalled = new AbortController();
    setTimeout(() => stalled.abort(new Error("user closed the page")), 300);
    await assert.rejects(load(`http://127.0.0.1:${server.address().port}/m.enn`, { signal: stalled.signal }), (e) => isAbort(e) && /user closed the page/.test(e.message));
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test("a 50 MB model streams from disk holding about one copy of the weights (bound: file size + 4 MiB)", async (t) => {
  // 3072 -> 4096 -> 1: 12.6 M weights, 50.3 MB of float32 in one tensor.
  const big = sequential([dense(4096, "relu"), dense(1, "sigmoid")], { inputShape: [3072] });
  const bytes = big.save({ name: "big" });
  const dir = mkdtempSync(join(tmpdir(), "edgenn-big-"));
  const file = join(dir, "big.enn");
  writeFileSync(file, bytes);
  const size = bytes.length;
  try {
    // Live memory: collected first, so that read buffers already handed on (garbage) do not count.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc");
    const mem = () => { gc(); return process.memoryUsage().arrayBuffers; };
    const base = mem();
    let peakBeforePack = 0, peakAll = 0;
    const s = await load(file, {
      onProgress: (e) => {
        const m = mem() - base;
        peakAll = Math.max(peakAll, m);
        if (e.phase !== "pack" && e.phase !== "ready") peakBeforePack = Math.max(peakBeforePack, m);
      },
    });
    const y = (await s.run({ [s.inputNames[0]]: new Tensor("float32", new Float32Array(3072).fill(0.01), [1, 3072]) }))[s.outputNames[0]].data[0];
    assert.ok(Number.isFinite(y));
    t.diagnostic(`file ${(size / 1e6).toFixed(1)} MB; live JS array-buffer memory while reading and decoding: peak ${(peakBeforePack / 1e6).toFixed(1)} MB; through packing: ${(peakAll / 1e6).toFixed(1)} MB`);
    assert.ok(size > 50e6, `the test model is ${size} bytes`);
    assert.ok(peakBeforePack <= size + 4 * 2 ** 20, `peak ${peakBeforePack} bytes over file size ${size} + 4 MiB`);
    s.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
