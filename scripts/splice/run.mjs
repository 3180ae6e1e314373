#!/usr/bin/env node
// Makes the demonstration splice-junction model from scratch (development time only; the outputs are committed):
//   1. Debian's r-cran-mlbench, unpacked (not installed): its DNA.rda is the StatLog splice-junction data
//   2. scripts/splice/extract.py  -> data/splice/splice.csv (class, 60-base sequence)
//   3. scripts/splice/train.py    -> data/splice/split.json, data/splice/torch-reference.json, splice-cnn.onnx
//   4. edgenn convert             -> models/splice-cnn.enn, then its metadata (labels, encoding, accuracy, licence)
// Run from the repository root after `npm run build`:  node scripts/splice/run.mjs
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readEnn, writeEnn } from "../../dist/index.js";
import { ensureTorch, unpackDebs } from "../debian.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const at = (p) => join(root, p);
const cache = at("node_modules/.cache/edgenn-splice");
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });

const debs = unpackDebs(join(cache, "debian"), ["r-cran-mlbench"]);
const python = ensureTorch();
run(python, [at("scripts/splice/extract.py"), debs, at("data/splice/splice.csv")]);
run(python, ["-W", "ignore", at("scripts/splice/train.py"), cache]);
const model = at("models/splice-cnn.enn");
run(process.execPath, [at("dist/cli.js"), "convert", join(cache, "splice-cnn.onnx"), "-o", model, "--check"]);

const ref = JSON.parse(readFileSync(at("data/splice/torch-reference.json"), "utf8"));
const file = readEnn(readFileSync(model));
const metadata = {
  name: "splice-cnn",
  version: "1.0.0",
  description: "Demonstration model, not for research or clinical use: a small 1-D CNN that says whether a 60-base " +
    "primate DNA window is centred on an exon/intron boundary (EI, splice donor), an intron/exon boundary (IE, " +
    "splice acceptor) or neither (N). Trained on the UCI / StatLog splice-junction data (GenBank 64.1, 1992).",
  license: "MIT",
  input: {
    name: "input", shape: ["batch", 4, 60], layout: "NCL",
    encoding: "one-hot over channels A, C, G, T (in that order); any other letter (N, IUPAC ambiguity codes) is 0.25 in every channel",
    positions: "0-59 are the window's bases 5' to 3'; the candidate junction lies between positions 29 and 30",
  },
  output: { name: "probabilities", labels: ref.classes, meaning: "softmax probabilities of EI, IE, N" },
  evaluation: {
    held_out_accuracy: ref.accuracy, correct: ref.correct, cases: ref.n_test, confusion_rows_true_EI_IE_N: ref.confusion,
    split: "data/splice/split.json (stratified, seeded, 20%)",
  },
  training: { framework: `PyTorch ${ref.torch}`, script: "scripts/splice/train.py", ...ref.training, parameters: ref.parameters },
  data: {
    name: "Molecular Biology (Splice-junction Gene Sequences), StatLog version (3,186 sequences)",
    source: "UCI Machine Learning Repository; this copy from the R package mlbench 2.1-3 (Debian r-cran-mlbench), see data/splice/README.md",
    license: "CC BY 4.0 (UCI); mlbench's packaging GPL-2",
    creators: "G. Towell, M. Noordewier, J. Shavlik",
  },
  format: file.metadata.format, opset: file.metadata.opset, producer: file.metadata.producer, converted_from: file.metadata.converted_from,
};
const tensors = [...file.tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: t.data }));
writeFileSync(model, writeEnn({ graph: file.graph, metadata, tensors }));
console.log(`models/splice-cnn.enn: ${readFileSync(model).length} bytes, held-out accuracy ${ref.correct}/${ref.n_test}`);
