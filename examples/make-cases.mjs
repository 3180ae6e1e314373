// Writes held-out WDBC cases as one JSON file each ({ "id", "features": [30 raw values] }), the input of the
// score-folder examples. The committed examples/deno/cases/ are its output for the first 20 held-out cases.
//   node examples/make-cases.mjs [outDir] [count]      (default: examples/deno/cases 20)
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { heldOutCases } from "./shared/wdbc.mjs";

const repo = new URL("../", import.meta.url);
const [outDir = fileURLToPath(new URL("examples/deno/cases/", repo)), count = "20"] = process.argv.slice(2);
const cases = heldOutCases(
  readFileSync(new URL("data/wdbc/breast_cancer.csv", repo), "utf8"),
  JSON.parse(readFileSync(new URL("data/wdbc/split.json", repo), "utf8")),
).slice(0, Number(count));

mkdirSync(outDir, { recursive: true });
// Only the id and the measurements: the diagnosis stays out, as it would be unknown for a case being scored.
for (const { id, row, features } of cases) {
  writeFileSync(join(outDir, `case-${String(row).padStart(3, "0")}.json`), JSON.stringify({ id, features }) + "\n");
}
console.log(`${cases.length} cases -> ${outDir}`);
