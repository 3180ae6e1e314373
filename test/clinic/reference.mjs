// Node's answers for the clinic example's tests: the same models and the same shared code (examples/clinic/lib/)
// run by this process, on the kernel build the other runtime ran. Bit for bit when the builds agree; otherwise
// within `tolerance` (the SIMD and relaxed-SIMD builds round differently: fused multiply-add).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import dicomParser from "dicom-parser";
import { explain, features, load, readEnn, Tensor } from "../../dist/index.js";
import { readWaveform, readSlice } from "../../examples/clinic/lib/dicom.mjs";
import { explainSequence } from "../../examples/clinic/lib/dna.mjs";
import { ecgConfig, streamLead } from "../../examples/clinic/lib/ecg.mjs";
import { analyseSlice, camSetup } from "../../examples/clinic/lib/imaging.mjs";
import { triage } from "../../examples/clinic/lib/tabular.mjs";
import { ASSETS, FILES } from "../../scripts/clinic/make.mjs";

const REPO = new URL("../../", import.meta.url);
export const edgenn = { explain, Tensor };
export const assetBytes = (name) => new Uint8Array(readFileSync(join(ASSETS, name)));

/**
 * Sessions of the four models on `variant` (or the SIMD build where this Node cannot run it: `exact` false).
 * Each method gives what the example computed: tabular(features), dna(sequence), imaging(file, options), ecg(chunk).
 */
export async function clinicReference(variant) {
  const exact = variant === "simd" || features().relaxedSimd;
  const options = { variant: exact ? variant : "simd" };
  const chexnet = assetBytes(FILES.chexnet);
  const cam = camSetup(readEnn, chexnet);
  const [wdbc, splice, imaging, ecg] = await Promise.all([
    load(new URL("models/wdbc-mlp.enn", REPO), options),
    load(new URL("models/splice-cnn.enn", REPO), options),
    load(chexnet, { ...options, taps: [cam.features] }),
    load(assetBytes(FILES.ecg), options),
  ]);
  return {
    exact,
    tabular: (raw) => triage(wdbc, edgenn, raw),
    dna: (sequence) => explainSequence(splice, edgenn, sequence),
    imaging: (file, opts) => analyseSlice(imaging, edgenn, readSlice(dicomParser, assetBytes(file)), { weights: cam.weights, ...opts }),
    /** Every chunk's logits, the lead streamed as fast as it runs. */
    async ecg(chunk) {
      const config = ecgConfig(ecg);
      const lead = readWaveform(dicomParser, assetBytes(FILES.waveform)).leads.find((l) => l.name === config.lead);
      const stream = await ecg.stream(), logits = [];
      await streamLead({ stream, Tensor, mV: lead.mV, config, chunk, realtime: false, onChunk: (o) => logits.push(o.logits) });
      stream.dispose();
      return logits;
    },
    dispose: () => [wdbc, splice, imaging, ecg].forEach((s) => s.dispose()),
  };
}

const flat = (x) => (ArrayBuffer.isView(x) ? Array.from(x) : Array.isArray(x) ? x.flatMap(flat) : [Number(x)]);

/** `got` equals `want` (numbers, arrays or typed arrays, nested or not): exactly, or within `tolerance` × max(1, |want|). */
export function assertClose(got, want, exact, tolerance, what) {
  const [g, w] = [flat(got), flat(want)];
  assert.equal(g.length, w.length, `${what}: ${g.length} values, Node has ${w.length}`);
  if (exact) return assert.deepEqual(g, w, `${what}: not Node's values`);
  const worst = g.reduce((m, v, i) => Math.max(m, Math.abs(v - w[i]) / Math.max(1, Math.abs(w[i]))), 0);
  assert.ok(worst <= tolerance, `${what}: off Node's (other build) by ${worst} relative`);
}
