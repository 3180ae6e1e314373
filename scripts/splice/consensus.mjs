#!/usr/bin/env node
// Does the splice consensus stand out in the splice model's occlusion maps? For every held-out EI and IE sequence,
// explain.occlusion (window 1-3 bases, stride 1, baseline 0.25 = "some base") on the probability of its true
// class; then where the consensus positions rank: GT at 30-31 right after an EI (donor) junction, AG at 28-29
// right before an IE (acceptor) junction (0-based; the junction lies between 29 and 30). docs/explain.md quotes it.
//   npm run build && node scripts/splice/consensus.mjs
import { fileURLToPath } from "node:url";
import { explain, load, Tensor } from "../../dist/index.js";
import { CLASSES, oneHot, readSplice } from "./data.mjs";

export const CONSENSUS = { EI: { positions: [30, 31], motif: "GT" }, IE: { positions: [28, 29], motif: "AG" } };

/** Rank of each position (1 = largest value). */
const ranks = (values) => {
  const order = Array.from(values, (_, i) => i).sort((a, b) => values[b] - values[a]);
  const r = new Array(values.length);
  order.forEach((p, k) => { r[p] = k + 1; });
  return r;
};

/** Occlusion maps of `sequences` for class `label`: their mean, its ranks, and each map's ranks. */
export async function consensusRanks(session, sequences, label, { window = 1, baseline = 0.25 } = {}) {
  const index = CLASSES.indexOf(label);
  const meanMap = new Float64Array(sequences[0].length);
  const caseRanks = [];
  for (const s of sequences) {
    const r = await explain.occlusion(session, { input: new Tensor("float32", oneHot([s]), [1, 4, s.length]) }, { window, stride: 1, baseline, target: { index } });
    r.map.forEach((v, p) => { meanMap[p] += v / sequences.length; });
    caseRanks.push(ranks(r.map));
  }
  return { meanMap, meanRanks: ranks(meanMap), caseRanks };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2; };

async function main() {
  const session = await load(new URL("../../models/splice-cnn.enn", import.meta.url));
  const { rows, test } = readSplice();
  console.log("| class | window | mean map over the held-out cases (positions 0-59) | rank of the consensus positions in the mean map | median rank in each case's map | cases with both in their top 3 | top 5 positions of the mean map |");
  console.log("|---|---|---|---|---|---|---|");
  for (const label of ["EI", "IE"]) {
    const sequences = test.filter((i) => rows[i].label === label).map((i) => rows[i].sequence);
    const { positions, motif } = CONSENSUS[label];
    for (const window of [1, 2, 3]) {
      const { meanMap, meanRanks, caseRanks } = await consensusRanks(session, sequences, label, { window });
      const top3 = caseRanks.filter((r) => positions.every((p) => r[p] <= 3)).length;
      const top5 = meanRanks.map((r, p) => [r, p]).sort((a, b) => a[0] - b[0]).slice(0, 5).map(([, p]) => `${p} (${meanMap[p].toFixed(3)})`);
      console.log(`| ${label} (${sequences.length}) | ${window} | \`${explain.sparkline(meanMap)}\` | ${positions.map((p) => `${motif[positions.indexOf(p)]}@${p}: ${meanRanks[p]}`).join(", ")} | ${positions.map((p) => median(caseRanks.map((r) => r[p]))).join(", ")} | ${top3} (${(100 * top3 / sequences.length).toFixed(0)}%) | ${top5.join(", ")} |`);
    }
  }
  session.dispose();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
