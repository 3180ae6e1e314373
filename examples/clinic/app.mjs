// The clinic page: four panels, each with its own model, all running in this tab on edgenn's one-file bundle. No
// build step: plain ES modules, served by any static server (node examples/web/serve.mjs, then
// /examples/clinic/index.html). The large models come from examples/clinic/cache/, made by scripts/clinic/make.mjs.
import { explain, features, load, loadInWorker, readEnn, Tensor } from "../../dist/bundle/edgenn.js";
import { startDna } from "./panels/dna.mjs";
import { startEcg } from "./panels/ecg.mjs";
import { startImaging } from "./panels/imaging.mjs";
import { startTabular } from "./panels/tabular.mjs";

const PANELS = { tabular: startTabular, dna: startDna, imaging: startImaging, ecg: startEcg };
const edgenn = { explain, load, loadInWorker, readEnn, Tensor };
const $ = (id) => document.getElementById(id);
const here = (path) => new URL(path, import.meta.url);
const text = (className, textContent) => Object.assign(document.createElement("span"), { className, textContent });

// For tests and scripts: each panel's latest numbers, unrounded, and when each first answered (or, the ECG, was
// ready to start): ms since the page began loading.
window.clinic = { timings: {} };
// Resource Timing lists every request the page makes: none may follow the models' loading.
let requestsAtReady;
const showRequests = () => {
  if (requestsAtReady !== undefined) $("requests").textContent = String(performance.getEntriesByType("resource").length - requestsAtReady);
};

/** A file beside the page: JSON parsed, CSV as text, anything else as bytes; a missing cache file says how to make it. */
async function fetchData(path) {
  const res = await fetch(here(path));
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}${res.status === 404 && path.startsWith("cache/") ? " (examples/clinic/cache/ is made by `node scripts/clinic/make.mjs`)" : ""}`);
  return path.endsWith(".json") ? res.json() : path.endsWith(".csv") ? res.text() : new Uint8Array(await res.arrayBuffer());
}

/** What a panel gets: edgenn, the page's files, its own results slot, and `latest` for its runs. */
function panelContext(name) {
  const section = $(name), message = $(`${name}-timing`);
  let seq = 0;
  return {
    edgenn, here, $, fetchData,
    /** A model and the data files it needs, fetched together: [session, ...data]. */
    loadWith: (model, ...files) => Promise.all([fetchData(model).then((bytes) => load(bytes)), ...files.map(fetchData)]),
    publish: (results) => {
      window.clinic[name] = results;
      window.clinic.timings[name] ??= performance.now();
      showRequests();
    },
    panel: {
      /**
       * Wraps a run: only the latest call is shown (a choice changed mid-run), the panel's data-state says where it
       * is (running, done, invalid), and a bad input (an unreadable file, a wrong sequence) is said in the panel.
       */
      latest: (compute, render) => async (...args) => {
        const mine = ++seq;
        section.dataset.state = "running";
        try {
          const out = await compute(...args);
          if (mine !== seq) return;
          await render(out);
          if (mine === seq) section.dataset.state = "done";
        } catch (e) {
          if (mine !== seq) return;
          message.replaceChildren(text("error", e.message));
          section.dataset.state = "invalid";
          console.warn(e);
        }
      },
    },
  };
}

const sessions = await Promise.all(Object.entries(PANELS).map(async ([name, start]) => {
  try {
    const session = await start(panelContext(name));
    window.clinic.timings[name] ??= performance.now();
    if ($(name).dataset.state === "loading") $(name).dataset.state = "ready";
    return session;
  } catch (e) {
    $(`${name}-timing`).replaceChildren(text("error", `Could not start: ${e.message}`));
    $(name).dataset.state = "error";
    console.error(e);
  }
}));
requestsAtReady = performance.getEntriesByType("resource").length;
showRequests();
const memory = sessions.reduce((sum, s) => sum + (s?.memory.total ?? 0), 0);
const variant = sessions.find(Boolean)?.variant ?? (features().relaxedSimd ? "relaxed" : "simd");
$("runtime").textContent = `edgenn ${variant} build · ${sessions.filter(Boolean).length} models loaded · ${(memory / 2 ** 20).toFixed(0)} MB of wasm memory`;
