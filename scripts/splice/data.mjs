// The splice-junction data as the model sees it: data/splice/splice.csv, the held-out split, one-hot encoding
// (the same as scripts/splice/train.py: channels A, C, G, T; any other letter 0.25 in every channel).
import { readFileSync } from "node:fs";

const file = (p) => new URL(`../../data/splice/${p}`, import.meta.url);
export const CLASSES = ["EI", "IE", "N"];

/** { rows: [{ label, sequence }], test: row indices held out }. */
export function readSplice() {
  const rows = readFileSync(file("splice.csv"), "utf8").trim().split("\n").slice(1).map((l) => {
    const [label, sequence] = l.split(",");
    return { label, sequence };
  });
  return { rows, test: JSON.parse(readFileSync(file("split.json"), "utf8")).test_indices };
}

/** Sequences as one [n, 4, length] float32 batch (NCL). */
export function oneHot(sequences) {
  const len = sequences[0].length;
  const x = new Float32Array(sequences.length * 4 * len);
  sequences.forEach((s, n) => {
    for (let p = 0; p < len; p++) {
      const j = "ACGT".indexOf(s[p]);
      for (let c = 0; c < 4; c++) x[(n * 4 + c) * len + p] = j < 0 ? 0.25 : c === j ? 1 : 0;
    }
  });
  return x;
}
