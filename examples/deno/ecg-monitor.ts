// A bedside-style monitor in the terminal: an ECG recording (a DICOM 12-lead waveform) streamed through the ECG LSTM
// at the pace it was recorded, with session.stream() carrying the LSTM state from one 100 ms chunk to the next; a
// line a second: that second of the lead as a sparkline, and the model's output. Read access is all it needs.
//   node scripts/clinic/make.mjs     (once, after npm run build: the model and pydicom's ECG into examples/clinic/cache/)
//   node_modules/.bin/deno run --allow-read=. examples/deno/ecg-monitor.ts [recording.dcm] [--fast]
// The model is UNTRAINED (seeded random weights): its output shows the pipeline, not a rhythm. --fast: no waiting.
import dicomParser from "dicom-parser"; // in your project: "npm:dicom-parser"
import { explain, load, Tensor } from "../../dist/index.js"; // in your project: "npm:edgenn"
import { readWaveform } from "../clinic/lib/dicom.mjs";
import { ecgConfig, streamLead } from "../clinic/lib/ecg.mjs";

const CHUNK_MS = 100;
const WIDTH = 50; // sparkline characters per second

const args = Deno.args.filter((a) => a !== "--fast");
if (args.length > 1 || args.some((a) => a.startsWith("-"))) {
  console.error("usage: deno run --allow-read=. examples/deno/ecg-monitor.ts [recording.dcm] [--fast]");
  Deno.exit(2);
}
const stderr = (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text));
const cache = (name: string) => new URL(`../clinic/cache/${name}`, import.meta.url);

let session, record;
try {
  session = await load(cache("ecg-lstm.enn"));
  record = readWaveform(dicomParser, await Deno.readFile(args[0] ?? cache("waveform_ecg.dcm")));
} catch (e) {
  const missing = e instanceof Deno.errors.NotFound ? " (examples/clinic/cache/ is made by `node scripts/clinic/make.mjs`)" : "";
  stderr(`ecg-monitor: ${(e as Error).message}${missing}\n`);
  Deno.exit(1);
}
const config = ecgConfig(session);
const lead = record.leads.find((l: { name: string }) => l.name === config.lead);
if (!lead) {
  stderr(`ecg-monitor: the recording has no ${config.lead}\n`);
  Deno.exit(1);
}
const { name, version } = session.metadata as { name: string; version: string };
stderr(`${name} v${version} (edgenn ${session.variant} build), UNTRAINED: shows the pipeline, never a diagnosis\n`);
console.log(`${record.label} ${record.leads.length}-lead ECG, ${record.samples} samples at ${record.frequency} Hz: ${config.lead}, ${CHUNK_MS} ms chunks${Deno.args.includes("--fast") ? " (--fast)" : ", in real time"}`);

// One range for every line, so that a second's sparkline compares with the others.
const range: [number, number] = [Math.min(...lead.mV), Math.max(...lead.mV)];
const stream = await session.stream();
const perSecond = record.frequency;
await streamLead({
  stream, Tensor, mV: lead.mV, config, chunk: Math.round((record.frequency * CHUNK_MS) / 1000), realtime: !Deno.args.includes("--fast"),
  onChunk: ({ end, probabilities, ms }: { end: number; probabilities: number[]; ms: number }) => {
    if (end % perSecond !== 0 && end !== lead.mV.length) return;
    const second = lead.mV.subarray(Math.max(0, end - perSecond), end);
    const top = probabilities.indexOf(Math.max(...probabilities));
    const all = config.labels.map((l: string, i: number) => `${l.replace("class ", "")} ${probabilities[i].toFixed(3)}`).join(" ");
    console.log(`${(end / record.frequency).toFixed(1).padStart(5)} s  ${explain.sparkline(peaks(second, WIDTH), range)}  ${config.labels[top]} ${probabilities[top].toFixed(3)}  (${all})  push ${ms.toFixed(1)} ms`);
  },
});
stream.dispose();
session.dispose();

/** `n` values for a sparkline: in each bin the sample furthest from the bin's mean, so that R peaks survive. */
function peaks(values: Float32Array, n: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    const bin = values.subarray(Math.floor((i * values.length) / n), Math.floor(((i + 1) * values.length) / n));
    const mean = bin.reduce((a, b) => a + b, 0) / bin.length;
    return bin.reduce((best, v) => (Math.abs(v - mean) > Math.abs(best - mean) ? v : best), bin[0]);
  });
}
