// ECG panel: lead II of pydicom's 12-lead ECG (decoded from DICOM in this tab) streamed through the untrained LSTM
// at the pace it was recorded, 100 ms per chunk; the signal and the model's five outputs drawn as they arrive.
import { readWaveform } from "../lib/dicom.mjs";
import { ecgConfig, streamLead } from "../lib/ecg.mjs";
import { plotLines } from "./draw.mjs";

const CHUNK_MS = 100;
const SIGNAL = "lead II, mV (a line a second):";
const COLOURS = ["#1b8a3a", "#2f6db3", "#d08a00", "#b3261e", "#7b3fb3"];

export async function startEcg({ edgenn, $, loadWith, publish, panel }) {
  const [session, bytes] = await loadWith("cache/ecg-lstm.enn", "cache/waveform_ecg.dcm");
  const config = ecgConfig(session);
  const record = readWaveform(globalThis.dicomParser, bytes);
  const lead = record.leads.find((l) => l.name === config.lead);
  if (!lead) throw new Error(`the recording has no ${config.lead} (leads: ${record.leads.map((l) => l.name).join(", ")})`);
  const [lo, hi] = lead.mV.reduce(([a, b], v) => [Math.min(a, v), Math.max(b, v)], [Infinity, -Infinity]);
  const seconds = Array.from({ length: Math.floor(lead.mV.length / record.frequency) - 1 }, (_, i) => (i + 1) * record.frequency);
  $("ecg-legend").replaceChildren(...config.labels.map((label, i) => {
    const item = document.createElement("span");
    item.append(Object.assign(document.createElement("i"), { style: `background: ${COLOURS[i]}` }), label);
    return item;
  }));
  const button = $("ecg-start");
  const chunk = Math.round((record.frequency * CHUNK_MS) / 1000);
  let controller;

  const run = panel.latest(async () => {
    controller = new AbortController();
    button.textContent = "Stop";
    const stream = await session.stream();
    const outputs = [], lateness = [];
    const t0 = performance.now();
    try {
      await streamLead({
        stream, Tensor: edgenn.Tensor, mV: lead.mV, config, chunk, signal: controller.signal,
        onChunk: ({ end, seconds: s, logits, probabilities, ms }) => {
          outputs.push({ end, logits, probabilities, ms });
          lateness.push(performance.now() - t0 - s * 1000); // how long after its last sample the answer was there
          plotLines($("ecg-signal"), [{ values: lead.mV.subarray(0, end), color: "#1d2430" }], { length: lead.mV.length, range: [lo, hi], markers: seconds, lineWidth: 1, caption: SIGNAL });
          plotLines($("ecg-output"), probabilitiesByClass(outputs, config.labels.length), { length: Math.ceil(lead.mV.length / chunk), range: spread(outputs), markers: seconds.map((x) => x / chunk - 1), caption: "softmax" });
          $("ecg-status").textContent = `${s.toFixed(1)} s of ${(lead.mV.length / record.frequency).toFixed(0)} s · now: ${config.labels.map((l, i) => `${l} ${probabilities[i].toFixed(3)}`).join(", ")}`;
        },
      });
    } finally {
      stream.dispose();
      button.textContent = "Start";
    }
    return { outputs, lateness, stopped: controller.signal.aborted };
  }, ({ outputs, lateness, stopped }) => {
    const pushes = outputs.map((o) => o.ms).sort((a, b) => a - b);
    $("ecg-timing").textContent = `${stopped ? "Stopped after" : "Streamed"} ${outputs.length} chunks of ${CHUNK_MS} ms: each push ran in ${pushes[pushes.length >> 1].toFixed(2)} ms (median), answers at most ${Math.max(...lateness).toFixed(0)} ms after their last sample.`;
    publish({ chunk, stopped, logits: outputs.map((o) => o.logits), pushMs: pushes[pushes.length >> 1], maxLatenessMs: Math.max(...lateness) });
  });
  button.addEventListener("click", () => (button.textContent === "Stop" ? controller.abort() : run()));
  $("ecg-status").textContent = `${record.label} ${record.leads.length}-lead recording, ${record.samples} samples at ${record.frequency} Hz; streaming ${config.lead}. Press Start.`;
  plotLines($("ecg-signal"), [{ values: lead.mV, color: "#c3c9d1" }], { length: lead.mV.length, range: [lo, hi], markers: seconds, lineWidth: 1, caption: SIGNAL });
  button.disabled = false;
  return session;
}

/** The plot's y range: the probabilities so far, padded (an untrained model's outputs stay near 1/5 and would draw flat on [0, 1]). */
function spread(outputs) {
  const all = outputs.flatMap((o) => o.probabilities), lo = Math.min(...all), hi = Math.max(...all), pad = Math.max((hi - lo) * 0.1, 1e-3);
  return [lo - pad, hi + pad];
}

/** [{ probabilities }] per chunk → one series per class, for plotLines. */
const probabilitiesByClass = (outputs, classes) => Array.from({ length: classes }, (_, k) => ({ values: outputs.map((o) => o.probabilities[k]), color: COLOURS[k] }));
