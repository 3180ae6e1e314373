// The DNA panel's logic: a 60-base window as the splice model's one-hot input, its class probabilities, and the
// importance of each base (occlusion: the base replaced by "some base", 0.25 in every channel, and the drop in the
// predicted class's probability). No imports: the caller passes in edgenn's explain and Tensor.

export const LENGTH = 60;
// IUPAC ambiguity codes: accepted, and encoded as 0.25 in every channel (as the model's training did).
const LETTERS = /^[ACGTNRYSWKMBDHV]*$/;

/** A pasted sequence (FASTA header lines, spaces, digits and case ignored) → 60 capital letters, or an Error saying why not. */
export function parseSequence(text) {
  const sequence = String(text).split("\n").filter((l) => !l.startsWith(">")).join("").replace(/[\s\d]/g, "").toUpperCase();
  if (!LETTERS.test(sequence)) throw new Error(`'${sequence.match(/[^ACGTNRYSWKMBDHV]/)[0]}' is not a base (A, C, G, T or an IUPAC code)`);
  if (sequence.length !== LENGTH) throw new Error(`the model reads ${LENGTH} bases; this is ${sequence.length}`);
  return sequence;
}

/** [1, 4, 60] channels A, C, G, T (NCL), as row-major floats. */
export function oneHot(sequence) {
  const x = new Float32Array(4 * sequence.length);
  for (let p = 0; p < sequence.length; p++) {
    const j = "ACGT".indexOf(sequence[p]);
    for (let c = 0; c < 4; c++) x[c * sequence.length + p] = j < 0 ? 0.25 : c === j ? 1 : 0;
  }
  return x;
}

/** The held-out sequences of data/splice (splice.csv's text, split.json parsed): [{ id, row, label, sequence }]. */
export function heldOutSequences(csvText, split) {
  const lines = csvText.trim().split("\n").slice(1); // a header line first
  return split.test_indices.map((row) => {
    const [label, sequence] = lines[row].split(",");
    return { id: `splice-${row}`, row, label, sequence };
  });
}

/** → { probabilities (Float32Array, the model's label order), labels, predicted (index), importance (Float32Array, 60) }. */
export async function explainSequence(session, { explain, Tensor }, sequence) {
  const feeds = { input: new Tensor("float32", oneHot(sequence), [1, 4, LENGTH]) };
  const probabilities = (await session.run(feeds))[session.outputNames[0]].data;
  const r = await explain.occlusion(session, feeds, { window: 1, baseline: 0.25, layout: "NCL" });
  return { probabilities, labels: session.metadata.output.labels, predicted: r.target.index, importance: r.map };
}
