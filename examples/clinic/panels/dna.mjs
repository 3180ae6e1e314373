// DNA panel: a 60-base window through the trained splice-site CNN: class probabilities, and each base's importance
// (occlusion with "some base") drawn over the sequence.
import { explainSequence, heldOutSequences, LENGTH, parseSequence } from "../lib/dna.mjs";
import { drawBars } from "./draw.mjs";

const BASE_COLOURS = { A: "#1b8a3a", C: "#2f6db3", G: "#d08a00", T: "#b3261e" };

/** The importance of each base as bars (up: supports the predicted class), the letters under them, the junction marked. */
function drawSequence(canvas, sequence, importance) {
  const ctx = canvas.getContext("2d"), { width, height } = canvas;
  const cell = width / LENGTH, mid = height - 62, scale = (mid - 8) / Math.max(...importance.map(Math.abs), 1e-6);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#f3f5f8";
  ctx.fillRect(0, 0, width, height - 30);
  for (let p = 0; p < LENGTH; p++) {
    const v = importance[p];
    ctx.fillStyle = v >= 0 ? "#b3261e" : "#2f6db3";
    ctx.fillRect(p * cell + 1, v >= 0 ? mid - v * scale : mid, cell - 2, Math.max(1, Math.abs(v) * scale));
    ctx.fillStyle = BASE_COLOURS[sequence[p]] ?? "#5b6573";
    ctx.font = `600 ${Math.floor(cell * 0.95)}px ui-monospace, monospace`;
    ctx.textAlign = "center";
    ctx.fillText(sequence[p], (p + 0.5) * cell, height - 36);
  }
  // The candidate junction lies between positions 29 and 30.
  ctx.strokeStyle = "#1d2430";
  ctx.setLineDash([4, 3]);
  ctx.beginPath(); ctx.moveTo(30 * cell, 0); ctx.lineTo(30 * cell, height - 30); ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = "#5b6573";
  ctx.font = "12px system-ui, sans-serif";
  ctx.textAlign = "left";
  ctx.fillText("position 0", 0, height - 8);
  ctx.textAlign = "center";
  ctx.fillText("junction (29 | 30)", 30 * cell, height - 8);
  ctx.textAlign = "right";
  ctx.fillText("59", width, height - 8);
}

export async function startDna({ edgenn, $, loadWith, publish, panel }) {
  const [session, csv, split] = await loadWith("../../models/splice-cnn.enn", "../../data/splice/splice.csv", "../../data/splice/split.json");
  const cases = heldOutSequences(csv, split);
  const select = $("dna-case"), text = $("dna-sequence");
  select.append(new Option("(pasted)", ""), ...cases.map((c) => new Option(`${c.id} (${c.label} on record)`, c.id)));

  const run = panel.latest(async (source, id) => {
    const sequence = parseSequence(source);
    const t0 = performance.now();
    const r = await explainSequence(session, edgenn, sequence);
    return { id, sequence, r, ms: performance.now() - t0 };
  }, ({ id, sequence, r, ms }) => {
    drawBars($("dna-probabilities"), r.labels.map((label, i) => ({ label: `P(${label})${i === r.predicted ? " ◀" : ""}`, value: r.probabilities[i], text: r.probabilities[i].toFixed(4) })), { max: 1 });
    drawSequence($("dna-canvas"), sequence, r.importance);
    $("dna-timing").textContent = `Probabilities and 60 occlusions in ${ms.toFixed(1)} ms. Bars: drop in P(${r.labels[r.predicted]}) without each base.`;
    publish({ id, sequence, probabilities: Array.from(r.probabilities), predicted: r.predicted, importance: Array.from(r.importance), ms });
  });
  select.addEventListener("change", () => {
    const c = cases.find((x) => x.id === select.value);
    if (!c) return;
    text.value = c.sequence;
    run(c.sequence, c.id);
  });
  text.addEventListener("input", () => { select.value = ""; run(text.value, ""); });
  select.disabled = text.disabled = false;
  // A donor site the model is not saturated on (P(EI) 0.75): occlusion moves an unsaturated output more, and the
  // GT right after the junction stands out.
  const first = cases.find((c) => c.id === "splice-161");
  select.value = first.id;
  text.value = first.sequence;
  await run(first.sequence, first.id);
  return session;
}
