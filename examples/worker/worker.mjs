// The default model as an edge function (Cloudflare Workers / workerd):
//   POST /predict  { "features": [30 raw values] }  →  { "probability", "label", "model": { "name", "version" } }
// and 400 with { "error" } for a body that is not JSON or not 30 finite numbers.
//
// Cloudflare forbids compiling wasm at run time, so both kernel builds are imported as modules (compiled when the
// worker is deployed or started; the import is a WebAssembly.Module) and handed to load() as `sources`; the model
// is a data module (an ArrayBuffer). wrangler.toml declares those module types for Cloudflare; for a local workerd,
// make-config.mjs writes config.capnp.
import { load, Tensor } from "../../dist/bundle/edgenn.js"; // in your project: the files of edgenn's dist/bundle/
import simd from "../../dist/bundle/edgenn-simd.wasm";
import relaxed from "../../dist/bundle/edgenn-relaxed.wasm";
import model from "../../models/wdbc-mlp.enn";
import { featureError, scorer } from "../shared/wdbc.mjs";

const MAX_BODY = 16 * 1024; // 30 numbers fit in well under 1 KB
const headers = { "cache-control": "no-store" }; // answers about a patient are not for shared caches
const reply = (body, status = 200, extra = {}) => Response.json(body, { status, headers: { ...headers, ...extra } });

let ready; // one session per isolate, made by the first request and shared by the ones after it
const getScorer = () => (ready ??= load(model, { sources: { simd, relaxed } }).then(
  (session) => scorer(session, Tensor),
  (e) => { ready = undefined; throw e; }, // let the next request try again
));

export default {
  async fetch(request) {
    if (new URL(request.url).pathname !== "/predict") return reply({ error: "not found; POST /predict" }, 404);
    if (request.method !== "POST") return reply({ error: "use POST" }, 405, { allow: "POST" });
    const tooLarge = () => reply({ error: `body too large (limit ${MAX_BODY} bytes)` }, 413);
    if (Number(request.headers.get("content-length")) > MAX_BODY) return tooLarge(); // without reading it
    const text = await request.text();
    if (text.length > MAX_BODY) return tooLarge(); // sent without a length (chunked)
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return reply({ error: 'body is not JSON; send { "features": [30 numbers] }' }, 400);
    }
    const error = featureError(body?.features);
    if (error) return reply({ error }, 400);
    try {
      const s = await getScorer();
      const { probability, label } = await s.score(body.features);
      return reply({ probability, label, model: s.model });
    } catch (e) {
      console.error(e); // the worker's log, not the client: no internals in the answer
      return reply({ error: "internal error" }, 500);
    }
  },
};
