// Offline check run by test/browser.test.mjs: loads the default model with { cache: true } (model and kernel
// binary kept in the Cache API) and reports one answer, which build ran and what the cache holds.
const out = document.getElementById("out");
try {
  const { load, Tensor, cacheEntries } = await import("../../dist/bundle/edgenn.js");
  const s = await load(new URL("/models/wdbc-mlp.enn", location.href), { cache: true });
  const y = (await s.run({ input: new Tensor("float32", new Float32Array(30).fill(0.3), [1, 30]) })).output.data[0];
  window.__result = { y, variant: s.variant, entries: (await cacheEntries()).map((e) => ({ url: new URL(e.url).pathname, bytes: e.bytes })) };
  s.dispose();
} catch (e) {
  window.__result = { error: String(e), stack: e?.stack };
}
out.textContent = JSON.stringify(window.__result, null, 2);
