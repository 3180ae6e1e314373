// The examples in examples/ keep working (they are what a new user copies first).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const run = (name) => execFileSync(process.execPath, [new URL(`../examples/${name}`, import.meta.url).pathname], {
  cwd: mkdtempSync(join(tmpdir(), "edgenn-example-")), encoding: "utf8",
});

test("score-one-case: row 0 of the data (malignant) is scored malignant", () => {
  assert.match(run("score-one-case.mjs"), /P\(malignant\) = (0\.9\d*|1\.0000) -> malignant/);
});

test("build-and-save: the hand-set weights give [6.1, 5.9] for [1, 2, 3]", () => {
  const out = run("build-and-save.mjs");
  const [a, b] = out.match(/\[ ([\d.]+), ([\d.]+) \]/).slice(1).map(Number);
  assert.ok(Math.abs(a - 6.1) < 1e-6 && Math.abs(b - 5.9) < 1e-6, out);
});
