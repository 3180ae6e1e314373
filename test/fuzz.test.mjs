// A fixed-seed slice of the mutation fuzzer (scripts/fuzz.mjs; `npm run fuzz` runs 100,000 cases per parser):
// every damaged .enn, ONNX, TF.js model or .npy file is either accepted or refused with an EdgennError and a known
// code, within the time bound, and a damaged .enn never loads. A failure prints the case to replay.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fuzz, targets } from "../scripts/fuzz.mjs";

const CASES = { npy: 2000, enn: 1000, tfjs: 1000, onnx: 300 };
const all = await targets();

for (const [target, cases] of Object.entries(CASES)) {
  test(`fuzz ${target}: ${cases} fixed-seed cases, no crash, no hang, only EdgennErrors`, { timeout: 300_000 }, async () => {
    const tally = await fuzz(target, { cases, seed: 20261126, all });
    assert.deepEqual(tally.failures, [], `replay with scripts/fuzz.mjs replay("${target}", 20261126, case)`);
    assert.equal(tally.cases, cases);
    // The slice must reach past the first checks: some cases accepted, some refused.
    assert.ok(tally.accepted > 0 && Object.keys(tally.rejected).length > 0, JSON.stringify(tally));
  });
}
