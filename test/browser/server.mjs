// Static server for the browser tests: serves the repository root read-only on 127.0.0.1 (port 0 = any free port).
// Options: wasmType overrides the .wasm content type (the wrong-MIME check), isolate adds COOP/COEP headers,
// csp sets a Content-Security-Policy on every response (the strict-page check).
// Run directly (node test/browser/server.mjs) to open the pages by hand.
import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/[\\/]$/, "");

const TYPES = {
  ".wasm": "application/wasm",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".json": "application/json",
  ".enn": "application/octet-stream",
  ".html": "text/html; charset=utf-8",
  ".css": "text/css",
  ".bin": "application/octet-stream",
};

/** Starts the server; resolves to { url, port, close() } once it listens. */
export function startServer({ wasmType = "application/wasm", isolate = false, csp, host = "127.0.0.1", port = 0 } = {}) {
  const server = createServer((req, res) => {
    const headers = { "cache-control": "no-store", "x-content-type-options": "nosniff", ...(csp ? { "content-security-policy": csp } : {}) };
    if (isolate) Object.assign(headers, { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" });
    const fail = (code, msg) => { res.writeHead(code, { ...headers, "content-type": "text/plain; charset=utf-8" }); res.end(msg); };
    if (req.method !== "GET" && req.method !== "HEAD") return fail(405, "read-only server\n");
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    } catch {
      return fail(400, "bad path\n");
    }
    if (path.includes("\0")) return fail(400, "bad path\n");
    const file = resolve(ROOT, "." + path);
    if (file !== ROOT && !file.startsWith(ROOT + sep)) return fail(403, "outside the repository\n");
    let st;
    try {
      st = statSync(file);
    } catch {
      return fail(404, "not found\n");
    }
    if (!st.isFile()) return fail(404, "not a file\n");
    const ext = extname(file).toLowerCase();
    const type = ext === ".wasm" ? wasmType : TYPES[ext] ?? "application/octet-stream";
    res.writeHead(200, { ...headers, "content-type": type, "content-length": st.size });
    if (req.method === "HEAD") return res.end();
    createReadStream(file).on("error", () => res.destroy()).pipe(res);
  });
  return new Promise((ok, ko) => {
    server.once("error", ko);
    server.listen(port, host, () => {
      const { port: p } = server.address();
      ok({
        port: p,
        url: `http://${host}:${p}/`,
        close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(() => done()); }),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const s = await startServer({ port: Number(process.env.PORT ?? 0), wasmType: process.env.WASM_TYPE ?? "application/wasm", isolate: !!process.env.ISOLATE });
  console.log(`serving ${ROOT} at ${s.url}test/browser/page.html`);
}
