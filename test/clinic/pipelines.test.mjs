// The clinic example's data pipelines (examples/clinic/lib/) against PyTorch and pydicom, which made the references
// independently: a DICOM slice rescaled, windowed, resized and normalised as scripts/clinic/export.py does with
// pydicom + torch; lead II decoded from the DICOM waveform and standardised as scripts/models/export.py's ECG input,
// and streamed through ecg-lstm.enn to PyTorch's output; files the example cannot read, and input checks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import dicomParser from "dicom-parser";
import { load, Tensor } from "../../dist/index.js";
import { readSlice, readWaveform, sliceInput } from "../../examples/clinic/lib/dicom.mjs";
import { oneHot, parseSequence } from "../../examples/clinic/lib/dna.mjs";
import { ecgConfig, streamLead } from "../../examples/clinic/lib/ecg.mjs";
import { triage } from "../../examples/clinic/lib/tabular.mjs";
import { ensureClinic, FILES } from "../../scripts/clinic/make.mjs";
import { ensureModels, readNpy } from "../../scripts/models.mjs";
import { assetBytes, edgenn } from "./reference.mjs";

const { refs, manifest, pydicom } = ensureClinic();
const pydicomFile = (name) => new Uint8Array(readFileSync(join(pydicom, name)));
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test("DICOM slices → model input: within 2e-5 of pydicom + torch's (rescale, window, bilinear resize, normalise)", (t) => {
  for (const [key, file, window] of [["ct", FILES.ct, [40, 400]], ["mr", FILES.mr, [600, 1600]]]) {
    const slice = readSlice(dicomParser, assetBytes(file));
    assert.deepEqual(slice.window, window, `${file}: ${slice.windowSource}`);
    assert.deepEqual([slice.rows, slice.columns], [manifest.slices[key].rows, manifest.slices[key].columns]);
    const x = sliceInput(slice, { size: manifest.size, mean: manifest.mean, std: manifest.std });
    const err = maxDiff(x, readNpy(join(refs, `${key}.input.npy`)).data);
    t.diagnostic(`${file}: ${slice.description}, window ${window} (${slice.windowSource}); max |JS − torch| ${err.toExponential(2)}`);
    assert.ok(err < 2e-5, `${file}: ${err}`);
  }
  // CT values are Hounsfield units: stored values × slope + intercept (CT_small: 1 and −1024).
  const ct = readSlice(dicomParser, assetBytes(FILES.ct));
  assert.ok(Math.min(...ct.values) >= -1024 && Math.max(...ct.values) < 3000);
});

test("ECG: lead II decoded and standardised as PyTorch's export input, streamed in chunks to PyTorch's output", async () => {
  const record = readWaveform(dicomParser, assetBytes(FILES.waveform));
  assert.deepEqual([record.frequency, record.samples, record.label, record.leads.length], [1000, 10000, "RHYTHM", 12]);
  assert.deepEqual(record.leads.slice(0, 3).map((l) => l.name), ["Lead I", "Lead II", "Lead III"]);
  const session = await load(assetBytes(FILES.ecg));
  const config = ecgConfig(session);
  const lead = record.leads.find((l) => l.name === config.lead);
  const { dir, manifest: m } = ensureModels();
  const torchInput = readNpy(join(dir, m.models.lstm_ecg.inputs[0].file)).data; // pydicom's lead II, standardised
  assert.ok(maxDiff(lead.mV.subarray(0, 1000).map((v) => (v - config.mean) / config.std), torchInput) < 1e-5);
  for (const chunk of [1, 100, 333]) {
    const stream = await session.stream();
    const outputs = [];
    await streamLead({ stream, Tensor, mV: lead.mV.subarray(0, 1000), config, chunk, realtime: false, onChunk: (o) => outputs.push(o.logits) });
    stream.dispose();
    const torch = readNpy(join(dir, m.models.lstm_ecg.torch_output)).data;
    assert.ok(maxDiff(outputs.at(-1), torch) < 1e-4, `chunks of ${chunk}: ${outputs.at(-1)} vs torch ${torch}`);
  }
  session.dispose();
});

test("files the example cannot read are refused with a reason", () => {
  const refused = [
    ["MR_small_RLE.dcm", /transfer syntax 1\.2\.840\.10008\.1\.2\.5 \(compressed, deflated or big-endian\).*gdcmconv --raw/],
    ["MR_small_bigendian.dcm", /transfer syntax 1\.2\.840\.10008\.1\.2\.2/],
    ["image_dfl.dcm", /transfer syntax 1\.2\.840\.10008\.1\.2\.1\.99/],
    ["SC_rgb_small_odd.dcm", /a colour image/],
    ["rtdose.dcm", /32 bits per pixel/],
    ["test-SR.dcm", /no image .*is it a waveform or a report/],
    ["MR_truncated.dcm", /not a readable DICOM file \(.*buffer overrun/],
    ["README.txt", /not a readable DICOM file \(.*DICM prefix not found/],
  ];
  for (const [file, message] of refused) assert.throws(() => readSlice(dicomParser, pydicomFile(file)), message, file);
  assert.throws(() => readWaveform(dicomParser, assetBytes(FILES.ct)), /no waveform .*is it an image/);
  assert.equal(readSlice(dicomParser, pydicomFile("MR_small_implicit.dcm")).description, "MR, 64×64", "implicit VR reads too");
});

test("DNA and tabular inputs: what is accepted, and what is refused", async () => {
  const s = "ACGT".repeat(15);
  assert.equal(parseSequence(`>a window\n${s.slice(0, 30).toLowerCase()}\n 31 ${s.slice(30)}\n`), s);
  assert.throws(() => parseSequence(s.slice(1)), /the model reads 60 bases; this is 59/);
  assert.throws(() => parseSequence(`${s.slice(1)}X`), /'X' is not a base/);
  const x = oneHot(`N${s.slice(1)}`);
  assert.deepEqual([x[0], x[60], x[120], x[180], x[1], x[61]], [0.25, 0.25, 0.25, 0.25, 0, 1]); // N: every channel 0.25; C at 1
  const wdbc = await load(new URL("../../models/wdbc-mlp.enn", import.meta.url));
  await assert.rejects(triage(wdbc, edgenn, [1, 2]), (e) => e instanceof TypeError && /must have 30 numbers, got 2/.test(e.message));
  wdbc.dispose();
});
