// The page's script: loads edgenn's one-file bundle and the default model by URL, lists the held-out WDBC cases,
// and scores the 30 measurements shown (whenever one changes) in this tab. No build step: plain ES modules.
import { load, Tensor } from "../../dist/bundle/edgenn.js";
import { formatProbability, heldOutCases, scorer } from "../shared/wdbc.mjs";

const $ = (id) => document.getElementById(id);
const here = (path) => new URL(path, import.meta.url);
const select = $("case");
let s, cases, inputs, current, requestsAtReady, seq = 0;

async function start() {
  const [session, csv, split] = await Promise.all([
    // cache: the model and the kernel binary stay in the browser's Cache API: the next visit works offline.
    load(here("../../models/wdbc-mlp.enn"), { cache: true }),
    fetch(here("../../data/wdbc/breast_cancer.csv")).then((r) => r.text()),
    fetch(here("../../data/wdbc/split.json")).then((r) => r.json()),
  ]);
  s = scorer(session, Tensor);
  cases = heldOutCases(csv, split);
  $("model").textContent = `${s.model.name} v${s.model.version} · edgenn ${s.variant} build · ${cases.length} held-out cases`;

  // The table: ten measurements (rows) × mean / standard error / worst (columns), the model's feature order.
  inputs = s.featureNames.map((name) => Object.assign(document.createElement("input"), { type: "number", step: "any", required: true, title: name }));
  const body = $("features").tBodies[0];
  for (let r = 0; r < 10; r++) {
    const tr = body.insertRow();
    tr.insertCell().textContent = s.featureNames[r].replace(/^mean /, "");
    for (let c = 0; c < 3; c++) tr.insertCell().append(inputs[c * 10 + r]);
  }
  for (const input of inputs) input.addEventListener("input", () => { input.classList.add("edited"); score(); });

  select.append(...cases.map((c) => new Option(`${c.id} (row ${c.row} of the data)`, c.id)));
  select.addEventListener("change", () => show(cases.find((c) => c.id === select.value)));
  select.disabled = false;
  requestsAtReady = performance.getEntriesByType("resource").length;
  await show(cases[0]);
}

function show(c) {
  current = c;
  inputs.forEach((input, j) => { input.value = String(c.features[j]); input.classList.remove("edited"); });
  return score();
}

async function score() {
  const mine = ++seq; // typing fast starts several runs: only the latest one is shown
  const features = inputs.map((input) => input.valueAsNumber);
  const edited = inputs.some((input) => input.classList.contains("edited"));
  const result = $("result");
  const bad = features.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) { // no stale answer next to values it was not computed from
    for (const id of ["probability", "decision", "record"]) $(id).textContent = "–";
    $("local").replaceChildren(Object.assign(document.createElement("span"), { className: "error", textContent: `“${s.featureNames[bad]}” is not a number.` }));
    result.dataset.state = "invalid";
    return;
  }
  const t0 = performance.now();
  const { probability, label } = await s.score(features);
  const ms = performance.now() - t0;
  if (mine !== seq) return;
  $("probability").textContent = formatProbability(probability);
  $("decision").textContent = label;
  $("decision").className = `big ${label}`;
  $("record").textContent = edited ? "edited: no diagnosis" : current.diagnosis;
  // Resource Timing lists every request the page made: none may have been made since the model loaded.
  const requests = performance.getEntriesByType("resource").length - requestsAtReady;
  $("local").replaceChildren(Object.assign(document.createElement("strong"), { textContent: "Nothing left this device." }),
    ` Scored in this tab by WebAssembly in ${ms.toFixed(1)} ms (threshold ${s.threshold}); network requests since the model loaded: ${requests}.`);
  // For tests and scripts: the unrounded answer and what it was for.
  Object.assign(result.dataset, { state: "scored", probability: String(probability), case: current.id, edited: String(edited), requests: String(requests) });
}

start().catch((e) => {
  $("model").replaceChildren(Object.assign(document.createElement("span"), { className: "error", textContent: `Could not start: ${e.message}` }));
  $("result").dataset.state = "error";
  console.error(e);
});
