// Triage as an edge function (Cloudflare Workers / workerd): the default breast-cancer model's probability and the
// measurements that moved it most, for a form or an EHR integration that must show its reasons.
//   POST /triage  { "features": [30 raw values], "top": 5 }
//   → { "probability", "label", "threshold", "top": [{ "feature", "value", "contribution" }], "model", "method" }
// `contribution`: how much P(malignant) drops when that measurement is set to the training mean (occlusion, 30 runs in
// one batch); + pushes towards malignant. 400 with { "error" } for a body that is not JSON, not 30 finite numbers or
// a bad "top". Nothing is logged or kept: the answer goes back to the caller only.
//
// Deployed like worker.mjs beside it (its comments say why the wasm and the model are modules): wrangler.toml's
// settings with main = "triage.mjs" (triage.wrangler.toml), or a local workerd with triage-config.mjs.
import { explain, load, Tensor } from "../../dist/bundle/edgenn.js"; // in your project: the files of edgenn's dist/bundle/
import simd from "../../dist/bundle/edgenn-simd.wasm";
import relaxed from "../../dist/bundle/edgenn-relaxed.wasm";
import model from "../../models/wdbc-mlp.enn";
import { triage } from "../clinic/lib/tabular.mjs";

const LIMIT = 16 * 1024; // 30 numbers and a count fit in well under 1 KB
const METHOD = "occlusion: the drop in P(malignant) when one measurement is set to the training mean";
const json = (body, status = 200, headers = {}) => Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });

let session; // one per isolate, made by the first request; a failed load is retried by the next
const ready = () => (session ??= load(model, { sources: { simd, relaxed } }).catch((e) => { session = undefined; throw e; }));

/** The request's JSON body, or the Response that refuses it. */
async function body(request) {
  if (request.method !== "POST") return { refused: json({ error: "use POST" }, 405, { allow: "POST" }) };
  const tooLarge = { refused: json({ error: `body too large (limit ${LIMIT} bytes)` }, 413) };
  if (Number(request.headers.get("content-length")) > LIMIT) return tooLarge; // refused unread
  const text = await request.text();
  if (text.length > LIMIT) return tooLarge; // sent without a length
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { refused: json({ error: 'body is not JSON; send { "features": [30 numbers], "top": 5 }' }, 400) };
  }
}

export default {
  async fetch(request) {
    if (new URL(request.url).pathname !== "/triage") return json({ error: "not found; POST /triage" }, 404);
    const { value, refused } = await body(request);
    if (refused) return refused;
    const top = value?.top ?? 5;
    if (!Number.isInteger(top) || top < 1 || top > 30) return json({ error: '"top" must be a whole number from 1 to 30' }, 400);
    let s;
    try {
      s = await ready();
    } catch (e) {
      console.error(e); // the worker's log, not the client: no internals in the answer
      return json({ error: "internal error" }, 500);
    }
    try {
      const r = await triage(s, { explain, Tensor }, value?.features, { top });
      const { name, version } = s.metadata;
      return json({ probability: r.probability, label: r.label, threshold: r.threshold, top: r.top, model: { name, version }, method: METHOD });
    } catch (e) {
      if (e instanceof TypeError) return json({ error: e.message }, 400); // the features, said plainly
      console.error(e);
      return json({ error: "internal error" }, 500);
    }
  },
};
