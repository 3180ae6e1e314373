// What the clinic example (examples/clinic/) serves and its tests compare with. Nothing here is committed:
//   examples/clinic/cache/          the page's files: the two untrained models as .enn, pydicom's CT, MR and ECG test files
//   node_modules/.cache/edgenn-clinic/<hash of export.py>/   PyTorch's references (scripts/clinic/export.py)
// Made once (about 30 s with PyTorch installed; `npm run build` first), then reused while the scripts are unchanged.
//   node scripts/clinic/make.mjs
//   import { ensureClinic } from "../../scripts/clinic/make.mjs"
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import dicomParser from "dicom-parser";
import { readEnn, writeEnn } from "../../dist/index.js";
import { readWaveform } from "../../examples/clinic/lib/dicom.mjs";
import { ensureTorch, unpackDebs } from "../debian.mjs";
import { ensureModels } from "../models.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const EXPORT = join(root, "scripts/clinic/export.py");
export const ASSETS = join(root, "examples/clinic/cache");
export const FILES = { chexnet: "chexnet-densenet121.enn", ecg: "ecg-lstm.enn", ct: "CT_small.dcm", mr: "MR_small.dcm", waveform: "waveform_ecg.dcm" };
const UNTRAINED = "UNTRAINED: seeded random weights. It shows the pipeline a user puts their own trained weights into; its outputs mean nothing and are never a diagnosis.";
const sha256 = (...parts) => parts.reduce((h, p) => h.update(p), createHash("sha256")).digest("hex");

/**
 * Makes (if needed) and returns { assets, refs, manifest, pydicom }: the page's folder, PyTorch's references and
 * their manifest, and pydicom's test files (unpacked from Debian's package).
 */
export function ensureClinic({ log = console.error } = {}) {
  const { dir: models } = ensureModels({ log });
  const pydicom = join(unpackDebs(join(dirname(models), "debian"), ["python3-pydicom"], log), "usr/lib/python3/dist-packages/pydicom/data/test_files");
  const refs = join(dirname(models), "../edgenn-clinic", sha256(readFileSync(EXPORT)).slice(0, 12));
  if (!existsSync(join(refs, "manifest.json"))) {
    log(`exporting the clinic's DenseNet-121 and its references with PyTorch into ${refs} ...`);
    const tmp = `${refs}.partial`;
    rmSync(tmp, { recursive: true, force: true });
    execFileSync(ensureTorch(log), ["-W", "ignore", EXPORT, tmp, join(dirname(models), "debian")], { stdio: ["ignore", "inherit", "inherit"] });
    renameSync(tmp, refs); // only a complete export is ever seen as the cache
  }
  const manifest = JSON.parse(readFileSync(join(refs, "manifest.json"), "utf8"));
  const key = sha256(readFileSync(fileURLToPath(import.meta.url)), refs, models).slice(0, 12);
  const stamp = join(ASSETS, "manifest.json");
  if (existsSync(stamp) && JSON.parse(readFileSync(stamp, "utf8")).key === key) return { assets: ASSETS, refs, manifest, pydicom };

  log(`writing the clinic example's models and DICOM files into ${ASSETS} ...`);
  mkdirSync(ASSETS, { recursive: true });
  for (const f of [FILES.ct, FILES.mr, FILES.waveform]) copyFileSync(join(pydicom, f), join(ASSETS, f));
  convert(join(refs, "chexnet.onnx"), FILES.chexnet, ["--fp16"], {
    name: "chexnet-densenet121", version: "0.0.0-untrained", license: "MIT",
    description: `DenseNet-121 with CheXNet's head (14 sigmoid outputs, one per chest X-ray finding), exported from torchvision by scripts/clinic/export.py. ${UNTRAINED}`,
    preprocessing: {
      size: manifest.size, mean: manifest.mean, std: manifest.std,
      steps: "stored values × RescaleSlope + RescaleIntercept; window (the file's centre/width, else CT 40/400 HU, else the value range) to [0, 1]; bilinear resize (half-pixel centres) to 224×224; the same grey in 3 channels; (x − mean) / std per channel",
    },
    output: { labels: manifest.findings, activation: "sigmoid", meaning: "one probability per finding (multi-label)" },
    cam: { features: manifest.features, weights: manifest.weights },
  });
  // The ECG LSTM of scripts/models/export.py. Its input there is lead II standardised by the mean and standard
  // deviation of the first second: stored here as the model's constants, so that streaming that second
  // reproduces PyTorch's output; a trained model would carry the constants of its training data instead.
  const lead = readWaveform(dicomParser, new Uint8Array(readFileSync(join(ASSETS, FILES.waveform)))).leads.find((l) => l.name === "Lead II");
  const first = lead.mV.subarray(0, 1000), mean = first.reduce((a, b) => a + b, 0) / first.length;
  const std = Math.sqrt(first.reduce((a, b) => a + (b - mean) ** 2, 0) / first.length);
  convert(join(models, "lstm_ecg.onnx"), FILES.ecg, [], {
    name: "ecg-lstm", version: "0.0.0-untrained", license: "MIT",
    description: `Two-layer LSTM (hidden 128) over one ECG lead, a 5-way head on the last hidden state (scripts/models/export.py). ${UNTRAINED}`,
    input: { layout: "NLC", lead: "Lead II", frequency: 1000, note: "any number of samples per push with session.stream()" },
    preprocessing: { lead: "Lead II", unit: "mV", mean, std, steps: "(mV − mean) / std" },
    output: { labels: ["class A", "class B", "class C", "class D", "class E"], activation: "softmax of the logits", meaning: "five unnamed classes: an untrained model's outputs" },
  });
  const files = Object.fromEntries(Object.values(FILES).map((f) => {
    const bytes = readFileSync(join(ASSETS, f));
    return [f, { bytes: bytes.length, sha256: sha256(bytes) }];
  }));
  writeFileSync(stamp, JSON.stringify({ key, made: "scripts/clinic/make.mjs", pydicom: "Debian python3-pydicom test files", files }, null, 1) + "\n");
  return { assets: ASSETS, refs, manifest, pydicom };
}

/** `edgenn convert` (the CLI, as a user would run it), then the example's metadata added to the file. */
function convert(onnx, name, flags, metadata) {
  const out = join(ASSETS, name);
  execFileSync(process.execPath, [join(root, "dist/cli.js"), "convert", onnx, "-o", out, ...flags, "--check"], { stdio: ["ignore", "ignore", "inherit"] });
  const f = readEnn(new Uint8Array(readFileSync(out)));
  const tensors = [...f.tensors.values()].map(({ name: n, dtype, shape, data }) => ({ name: n, dtype, shape, data }));
  writeFileSync(out, writeEnn({ graph: f.graph, metadata: { ...f.metadata, ...metadata }, tensors }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { assets, refs } = ensureClinic();
  console.log(`${assets}\n${refs}`);
}
