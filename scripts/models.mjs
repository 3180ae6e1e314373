// The real model architectures the model tests and benchmarks run (scripts/models/export.py: torchvision CNNs,
// ECG LSTM/GRU, a text transformer, a DNA CNN and the default MLP, exported to ONNX by Debian's PyTorch with real
// inputs from Debian's data packages). Generated once into node_modules/.cache/edgenn-models/<hash of the
// export script> (about 10 s after PyTorch is installed); nothing large is committed.
//   node scripts/models.mjs            export (if needed) and print the manifest summary
//   import { ensureModels, readNpy } from "../scripts/models.mjs"
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import npyjs from "npyjs";
import { ensureTorch, unpackDebs } from "./debian.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const script = join(root, "scripts/models/export.py");
/** Debian packages the real inputs come from: pydicom's CT slice, ECG and SR report; htslib's C. elegans DNA. */
const DATA_PACKAGES = ["python3-pydicom", "htslib-test"];

/**
 * Makes sure the exported models exist and returns `{ dir, manifest }`; `manifest.models[name]` has `onnx`,
 * `inputs` ([{ name, file, shape, dtype }]), `torch_output`, `parameters`.
 */
export function ensureModels({ log = console.error } = {}) {
  const hash = createHash("sha256").update(readFileSync(script)).update(readFileSync(join(root, "test/models/wdbc-reference.json"))).digest("hex").slice(0, 12);
  const cache = process.env.EDGENN_MODELS ?? join(root, "node_modules/.cache/edgenn-models");
  const dir = join(cache, hash);
  const manifestFile = join(dir, "manifest.json");
  if (!existsSync(manifestFile)) {
    const python = ensureTorch(log);
    const data = unpackDebs(join(cache, "debian"), DATA_PACKAGES, log);
    log(`exporting the real models with PyTorch into ${dir} ...`);
    const tmp = `${dir}.partial`;
    rmSync(tmp, { recursive: true, force: true });
    execFileSync(python, ["-W", "ignore", script, tmp, data], { stdio: ["ignore", "inherit", "inherit"] });
    renameSync(tmp, dir); // only a complete export is ever seen as the cache
  }
  return { dir, manifest: JSON.parse(readFileSync(manifestFile, "utf8")) };
}

/** A .npy file as `{ data, shape, dtype }` (float32 / int64 / int32 typed arrays), read with npyjs. */
export function readNpy(file) {
  const bytes = readFileSync(file);
  const arr = new npyjs().parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  return { data: arr.data, shape: arr.shape, dtype: arr.dtype };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { dir, manifest } = ensureModels();
  console.log(`${dir} (torch ${manifest.torch}, torchvision ${manifest.torchvision}, opset ${manifest.opset})`);
  for (const [name, m] of Object.entries(manifest.models)) {
    console.log(`  ${name.padEnd(20)} ${(m.parameters / 1e6).toFixed(2).padStart(6)} M params  input ${m.inputs.map((i) => `${i.name}[${i.shape}] ${i.dtype}`).join(", ")}`);
  }
}
