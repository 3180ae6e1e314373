// Threads in a page (test/browser.test.mjs, as page.html?threads): the bundle's threaded session (workers + shared memory, the page's
// main thread spinning while it waits) must give the same bits as one thread when the page is cross-origin
// isolated, and a clear UNSUPPORTED error (naming the headers) when it is not.
const out = document.getElementById("out");
try {
  const { InferenceSession, Tensor } = await import("../../dist/bundle/edgenn.js");
  const { checkThreads } = await import("../runtimes/threads-check.mjs");
  window.__result = { crossOriginIsolated: self.crossOriginIsolated, ...(await checkThreads({ InferenceSession, Tensor })) };
} catch (e) {
  window.__result = { error: String(e), stack: e?.stack };
}
out.textContent = JSON.stringify(window.__result, null, 2);
