// The one-file bundle in real browsers (Debian's Chromium driven by playwright-core, Debian's Firefox ESR by
// puppeteer-core; see ../shared/runtimes.md):
// the page (test/browser/page.mjs) loads the kernels next to the bundle and the default model by URL, and matches the
// tfjs reference within 1e-5. A second run serves .wasm with a wrong MIME type, which must not matter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { withChromium, withFirefox } from "./browser/browsers.mjs";
import { startServer } from "./browser/server.mjs";
import { haveFixtures, makeFixtures } from "./runtimes/fixtures.mjs";

if (!haveFixtures()) await makeFixtures(); // the conv and LSTM models the page also runs

/** Both fixture models ran in the page and matched onnxruntime-node. */
function assertModels(label, r) {
  assert.deepEqual(r.models?.map((m) => m.name), ["dna_cnn", "lstm_ecg"], `${label}: the conv and LSTM models did not run`);
  for (const m of r.models) assert.ok(m.ok, `${label}: ${m.name} differs from onnxruntime-node by ${m.maxAbsDiff}`);
  // loadInWorker: the same models in a Web Worker started from the bundle.
  assert.deepEqual(r.workerModels?.map((m) => m.name), ["dna_cnn", "lstm_ecg"], `${label}: the models did not run in a worker`);
  for (const m of r.workerModels) assert.ok(m.ok, `${label} (worker): ${m.name} differs from onnxruntime-node by ${m.maxAbsDiff}`);
  assert.match(r.brokenWorker, /^DISPOSED: the worker running the session stopped/, `${label}: a worker that cannot start`);
}

/** Serves the repo with `serverOptions`, opens the test page in a fresh Chromium profile, returns window.__result. */
async function runPage(serverOptions = {}, pagePath = "test/browser/page.html", extraArgs = []) {
  assert.ok(existsSync(new URL("../dist/bundle/edgenn.js", import.meta.url)), "dist/bundle/edgenn.js is missing: run npm run build");
  const server = await startServer(serverOptions);
  try {
    return await withChromium(async (page, errors) => {
      await page.goto(`${server.url}${pagePath}`);
      await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 30_000 });
      return { result: await page.evaluate(() => window.__result), errors };
    }, extraArgs);
  } finally {
    await server.close();
  }
}

/** The same page in Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core (playwright needs a patched Firefox). */
async function runFirefox(serverOptions = {}, pagePath = "test/browser/page.html") {
  const server = await startServer(serverOptions);
  try {
    return await withFirefox(async (page, errors) => {
      await page.goto(`${server.url}${pagePath}`);
      await page.waitForFunction(() => window.__result !== undefined, { timeout: 60_000 });
      return { result: await page.evaluate(() => window.__result), errors };
    });
  } finally {
    await server.close();
  }
}

test("Firefox ESR: the bundle loads the default model by URL and matches tfjs within 1e-5 (relaxed SIMD)", { timeout: 180_000 }, async () => {
  const { result: r, errors } = await runFirefox();
  assert.equal(r.error, undefined, `page failed: ${r.error}\n${r.stack ?? ""}`);
  assert.equal(r.n, 114);
  assert.ok(r.ok && r.maxDiff <= 1e-5, `max |diff| ${r.maxDiff} > 1e-5`);
  assert.equal(r.variant, "relaxed", `Firefox ESR supports relaxed SIMD, but the ${r.variant} build was used`);
  assertModels("Firefox", r);
  assert.equal(r.streaming, "ok");
  // Firefox also reports the deliberately missing worker script (assertModels' broken worker) as a page error.
  assert.deepEqual(errors.filter((e) => !e.includes("/no-such-worker.js")), []);
});

// Firefox ESR 153 has no javascript.options.wasm_simd pref any more (only wasm_relaxed_simd and wasm_simd_avx): wasm
// SIMD cannot be switched off there. V8 without SSE4.1 has none (as on a CPU without it), so Chromium is the browser
// without SIMD.
test("Chromium with --js-flags=--no-enable-sse4-1: no wasm SIMD, the scalar build, the same answers", { timeout: 120_000 }, async () => {
  const { result: r, errors } = await runPage({}, "test/browser/page.html", ["--js-flags=--no-enable-sse4-1"]);
  assert.equal(r.error, undefined, `page failed: ${r.error}\n${r.stack ?? ""}`);
  assert.deepEqual(r.features, { simd: false, relaxedSimd: false }, "the flag no longer turns wasm SIMD off in this Chromium: the scalar fallback is not tested");
  assert.equal(r.variant, "scalar");
  assert.equal(r.n, 114);
  assert.ok(r.ok && r.maxDiff <= 1e-5, `max |diff| ${r.maxDiff} > 1e-5`);
  assertModels("Chromium without SIMD", r);
  assert.equal(r.streaming, "ok");
  assert.deepEqual(errors, []);
});

test("Chromium: the bundle loads the default model by URL and matches tfjs within 1e-5 (relaxed SIMD)", { timeout: 120_000 }, async () => {
  const { result: r, errors } = await runPage();
  assert.equal(r.error, undefined, `page failed: ${r.error}\n${r.stack ?? ""}`);
  assert.equal(r.n, 114);
  assert.deepEqual(r.dims, [114, 1]);
  assert.ok(r.ok, `max |diff| ${r.maxDiff} > 1e-5`);
  assert.ok(r.maxDiff <= 1e-5);
  assert.equal(r.variant, "relaxed", `Chromium supports relaxed SIMD, but the ${r.variant} build was used`);
  assertModels("Chromium", r);
  assert.equal(r.crossOriginIsolated, false);
  assert.equal(r.wasmContentType, "application/wasm");
  assert.equal(r.streaming, "ok");
  assert.deepEqual(errors, []);
});

test("Chromium: .wasm served as application/octet-stream still loads (no reliance on the MIME type)", { timeout: 120_000 }, async () => {
  const { result: r, errors } = await runPage({ wasmType: "application/octet-stream" });
  assert.equal(r.error, undefined, `page failed: ${r.error}\n${r.stack ?? ""}`);
  assert.equal(r.wasmContentType, "application/octet-stream");
  // The wrong MIME type is really in effect: the streaming compiler refuses it ...
  assert.match(r.streaming, /^TypeError: .*MIME/i);
  // ... and the runtime still works.
  assert.ok(r.ok, `max |diff| ${r.maxDiff} > 1e-5`);
  assert.equal(r.variant, "relaxed");
  assert.equal(r.n, 114);
  assert.deepEqual(errors, []);
});

test("Chromium under a strict Content-Security-Policy (self only, wasm-unsafe-eval): loads and runs, no violation", { timeout: 120_000 }, async () => {
  const csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
  const { result: r, errors } = await runPage({ csp });
  assert.equal(r.error, undefined, `page failed under CSP: ${r.error}\n${r.stack ?? ""}`);
  assert.ok(r.ok, `max |diff| ${r.maxDiff} > 1e-5`);
  assert.equal(r.n, 114);
  // The test page's own empty favicon (a data: URL, so that it asks no server) is the one thing the policy
  // blocks; anything else reported is a failure.
  assert.deepEqual(errors.filter((e) => !e.includes("Loading the image 'data:,'")), [], "no other CSP violation or error");
  // The policy is really enforced: without 'wasm-unsafe-eval' the same page cannot compile the kernels.
  const { result: blocked } = await runPage({ csp: "default-src 'self'; script-src 'self'" });
  assert.match(String(blocked.error), /CompileError|Content Security Policy|wasm/i);
});

for (const [browser, open] of [["Chromium", runPage], ["Firefox ESR", runFirefox]]) {
  test(`${browser}, cross-origin isolated (COOP/COEP): threads: 2 runs on workers with the same bits as 1 thread`, { timeout: 180_000 }, async () => {
    const { result: r, errors } = await open({ isolate: true }, "test/browser/page.html?threads");
    assert.equal(r.error, undefined, `page failed: ${r.error}\n${r.stack ?? ""}`);
    assert.equal(r.crossOriginIsolated, true);
    assert.equal(r.threads, 2);
    assert.ok(r.identical, `${r.differing} of ${r.length} outputs differ from 1 thread`);
    assert.deepEqual(errors, []);
  });
}

test("Chromium without COOP/COEP: threads: 2 fails with UNSUPPORTED naming the headers", { timeout: 120_000 }, async () => {
  const { result: r } = await runPage({}, "test/browser/page.html?threads");
  assert.equal(r.crossOriginIsolated, false);
  assert.equal(r.code, "UNSUPPORTED", r.error);
  assert.match(r.error, /Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
});

/**
 * Visits `pagePath` twice in one Chromium profile: online, then with every .enn and .wasm request refused.
 * `read(page)` waits for the page's answer and returns it; returns both answers and how many requests were refused.
 */
async function onlineThenOffline(pagePath, read) {
  const server = await startServer();
  try {
    return await withChromium(async (page) => {
      const visit = async () => { await page.goto(`${server.url}${pagePath}`); return read(page); };
      const online = await visit();
      let refused = 0;
      await page.route(/\.(enn|wasm)$/, (route) => { refused++; return route.abort("internetdisconnected"); });
      return { online, offline: await visit(), refused };
    });
  } finally {
    await server.close();
  }
}

test("Chromium offline: a model loaded once with { cache: true } loads again with every .enn and .wasm request refused", { timeout: 120_000 }, async () => {
  const { online, offline, refused } = await onlineThenOffline("test/browser/cache-page.html", async (page) => {
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 30_000 });
    return page.evaluate(() => window.__result);
  });
  assert.equal(online.error, undefined, online.stack);
  assert.deepEqual(online.entries.map((e) => e.url).sort(), ["/dist/bundle/edgenn-relaxed.wasm", "/models/wdbc-mlp.enn"]);
  assert.equal(offline.error, undefined, offline.stack);
  assert.ok(refused >= 2, `the model and the kernels were requested (and refused) ${refused} times`);
  assert.equal(offline.y, online.y, "the same answer from the cached model and kernels");
  assert.equal(offline.variant, online.variant);
});

test("Chromium offline: the web example (load with { cache: true }) scores again with every .enn and .wasm request refused", { timeout: 120_000 }, async () => {
  const { online, offline, refused } = await onlineThenOffline("examples/web/index.html", async (page) => {
    await page.waitForSelector('#result[data-state="scored"]', { timeout: 30_000 });
    return page.evaluate(() => document.getElementById("probability").textContent);
  });
  assert.ok(refused >= 2, `the model and the kernels were requested (and refused) ${refused} times`);
  assert.equal(offline, online, "the same answer from the cached model and kernels");
});

test("the static server refuses paths outside the repository and writes", async () => {
  const server = await startServer();
  try {
    const get = (p, init) => fetch(new URL(p, server.url), init);
    const wasm = await get("dist/bundle/edgenn-simd.wasm");
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers.get("content-type"), "application/wasm");
    assert.equal(wasm.headers.get("cache-control"), "no-store");
    await wasm.arrayBuffer();
    for (const [p, type] of [["models/wdbc-mlp.enn", "application/octet-stream"], ["test/models/wdbc-reference.json", "application/json"], ["test/browser/page.mjs", "text/javascript"], ["dist/bundle/edgenn.js", "text/javascript"]]) {
      const r = await get(p);
      assert.equal(r.status, 200, p);
      assert.equal(r.headers.get("content-type"), type, p);
      await r.arrayBuffer();
    }
    // fetch normalises "../"; send raw and encoded traversals over a plain socket-level request instead.
    const { request } = await import("node:http");
    const raw = (path) => new Promise((ok, ko) => {
      const req = request({ host: "127.0.0.1", port: server.port, path, method: "GET" }, (res) => { res.resume(); res.on("end", () => ok(res.statusCode)); });
      req.on("error", ko);
      req.end();
    });
    for (const p of ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "/test/..%2f..%2f..%2fetc/passwd"]) {
      assert.ok([403, 404].includes(await raw(p)), p);
    }
    assert.equal(await raw("/%E0%A4%A"), 400);
    assert.equal((await get("package.json", { method: "POST", body: "x" })).status, 405);
    assert.equal((await get("no/such/file")).status, 404);
  } finally {
    await server.close();
  }
});
