// Offline caching (load(url, { cache })): the directory store in Node. The server is asked whether the file
// changed (If-None-Match → 304 keeps the cached copy; a new ETag brings the new file); with no server the cached
// copy loads; a damaged entry is thrown away, never used; entries can be listed and cleared.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EdgennError, Tensor, cacheEntries, clearCache, load, sequential, dense } from "../dist/index.js";

const v1 = new Uint8Array(readFileSync(new URL("../models/wdbc-mlp.enn", import.meta.url)));
const v2 = sequential([dense(1, "sigmoid")], { inputShape: [30] }).save({ name: "v2" }); // another model at the same URL
const x = new Tensor("float32", new Float32Array(30).fill(0.3), [1, 30]);
const answer = async (s) => { const y = (await s.run({ input: x }))[s.outputNames[0]].data[0]; s.dispose(); return y; };

test("ETag revalidation, a changed file, offline use, a damaged entry, listing and clearing", async () => {
  const dir = mkdtempSync(join(tmpdir(), "edgenn-cache-"));
  let body = v1, etag = '"v1"';
  const seen = [];
  const server = createServer((req, res) => {
    seen.push(req.headers["if-none-match"] ?? "-");
    if (req.headers["if-none-match"] === etag) { res.writeHead(304).end(); return; }
    res.writeHead(200, { etag, "content-length": body.length }).end(body);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${server.address().port}/model.enn`;
  const opts = { cache: { dir } };
  try {
    const want1 = await answer(await load(v1));
    assert.equal(await answer(await load(url, opts)), want1);
    assert.equal(await answer(await load(url, opts)), want1);
    assert.deepEqual(seen, ["-", '"v1"'], "the second load asked with the ETag and got 304");
    const [entry] = await cacheEntries(opts.cache);
    assert.equal(entry.url, url);
    assert.equal(entry.bytes, v1.length);
    assert.equal(entry.etag, '"v1"');

    body = v2; etag = '"v2"'; // the file changed on the server
    assert.equal(await answer(await load(url, opts)), await answer(await load(v2)));

    await new Promise((r) => { server.closeAllConnections(); server.close(r); }); // offline
    assert.equal(await answer(await load(url, opts)), await answer(await load(v2)), "offline: the cached copy");

    // A damaged cached file is never used: offline it is an error, not a wrong model.
    const bin = readdirSync(dir).find((f) => f.endsWith(".bin"));
    const damaged = readFileSync(join(dir, bin));
    damaged[damaged.length - 1] ^= 1;
    writeFileSync(join(dir, bin), damaged);
    await assert.rejects(load(url, opts), (e) => e instanceof EdgennError && /could not fetch .* and it is not cached/.test(e.message));
    assert.deepEqual(await cacheEntries(opts.cache), [], "the damaged entry was thrown away");

    await clearCache(opts.cache);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
