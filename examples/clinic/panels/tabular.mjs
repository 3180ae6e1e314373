// Tabular panel: a held-out WDBC case through the trained breast-cancer MLP, with each measurement's contribution
// (occlusion against the training mean) as a signed bar.
import { formatProbability, heldOutCases } from "../../shared/wdbc.mjs";
import { triage } from "../lib/tabular.mjs";
import { drawBars } from "./draw.mjs";

const SHOWN = 12; // of 30 contributions, the largest; the rest are in window.clinic.tabular

export async function startTabular({ edgenn, $, loadWith, publish, panel }) {
  const [session, csv, split] = await loadWith("../../models/wdbc-mlp.enn", "../../data/wdbc/breast_cancer.csv", "../../data/wdbc/split.json");
  const cases = heldOutCases(csv, split);
  const select = $("tabular-case");
  select.append(...cases.map((c) => new Option(`${c.id} (row ${c.row} of the data)`, c.id)));

  const show = panel.latest(async (c) => {
    const t0 = performance.now();
    const r = await triage(session, edgenn, c.features, { top: SHOWN });
    return { c, r, ms: performance.now() - t0 };
  }, ({ c, r, ms }) => {
    $("tabular-probability").textContent = formatProbability(r.probability);
    $("tabular-label").textContent = r.label;
    $("tabular-label").className = `big ${r.label}`;
    $("tabular-record").textContent = c.diagnosis;
    drawBars($("tabular-bars"), r.top.map((x) => ({ label: x.feature, value: x.contribution, text: `${x.contribution >= 0 ? "+" : ""}${x.contribution.toFixed(3)}` })), { signed: true });
    $("tabular-timing").textContent = `P(malignant) and 30 occlusions (one batched run) in ${ms.toFixed(1)} ms.`;
    publish({ case: c.id, probability: r.probability, label: r.label, contributions: r.contributions.map((x) => x.contribution), ms });
  });
  select.addEventListener("change", () => show(cases.find((c) => c.id === select.value)));
  select.disabled = false;
  select.value = "wdbc-263"; // a malignant case the model is less than sure of (examples/explain-case.mjs's)
  await show(cases.find((c) => c.id === select.value));
  return session;
}
