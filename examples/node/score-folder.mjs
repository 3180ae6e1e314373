// Scores a folder of cases (one JSON file each: { "id", "features": [30 raw values] }) with the default model, in
// Node: a progress bar on stderr, a CSV (id,probability,label) on stdout. The same scoring code as the Deno script.
//   node examples/node/score-folder.mjs examples/deno/cases > scores.csv
// Exit code 1 if any file was skipped (each is named on stderr); 2 for a usage error.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { load, Tensor } from "../../dist/index.js"; // in your project: from "edgenn"
import { progressBar, scoreFolder, scorer } from "../shared/wdbc.mjs";

const folder = process.argv[2];
if (!folder) {
  console.error("usage: node examples/node/score-folder.mjs <folder of .json cases> > scores.csv");
  process.exit(2);
}
const entries = await readdir(folder, { withFileTypes: true });
const names = entries.filter((e) => e.isFile() && e.name.endsWith(".json")).map((e) => e.name).sort();

const session = await load(new URL("../../models/wdbc-mlp.enn", import.meta.url));
const s = scorer(session, Tensor);
const stderr = (text) => process.stderr.write(text);
stderr(`${s.model.name} v${s.model.version} (edgenn ${s.variant} build): ${names.length} cases in ${folder}\n`);

const { csv, skipped } = await scoreFolder({
  names,
  read: (name) => readFile(join(folder, name), "utf8"),
  scorer: s,
  onProgress: progressBar({ total: names.length, write: stderr, tty: process.stderr.isTTY === true }),
});
process.stdout.write(csv);
for (const { name, error } of skipped) stderr(`skipped ${name}: ${error}\n`);
session.dispose();
process.exitCode = skipped.length ? 1 : 0;
