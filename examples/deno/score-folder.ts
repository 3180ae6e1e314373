// Scores a folder of cases (one JSON file each: { "id", "features": [30 raw values] }) with the default model, in
// Deno: a progress bar on stderr, a CSV (id,probability,label) on stdout. Read access is all it needs.
//   node_modules/.bin/deno run --allow-read=. examples/deno/score-folder.ts examples/deno/cases > scores.csv
// Exit code 1 if any file was skipped (each is named on stderr); 2 for a usage error.
import { load, Tensor } from "../../dist/index.js"; // in your project: from "npm:edgenn"
import { progressBar, scoreFolder, scorer } from "../shared/wdbc.mjs";

const folder = Deno.args[0];
if (!folder) {
  console.error("usage: deno run --allow-read=. examples/deno/score-folder.ts <folder of .json cases> > scores.csv");
  Deno.exit(2);
}
const names = [];
for await (const entry of Deno.readDir(folder)) if (entry.isFile && entry.name.endsWith(".json")) names.push(entry.name);
names.sort(); // the CSV's row order does not depend on the file system

const session = await load(new URL("../../models/wdbc-mlp.enn", import.meta.url));
const s = scorer(session, Tensor);
const stderr = (text: string) => Deno.stderr.writeSync(new TextEncoder().encode(text));
stderr(`${s.model.name} v${s.model.version} (edgenn ${s.variant} build): ${names.length} cases in ${folder}\n`);

const { csv, skipped } = await scoreFolder({
  names,
  read: (name: string) => Deno.readTextFile(`${folder}/${name}`),
  scorer: s,
  onProgress: progressBar({ total: names.length, write: stderr, tty: Deno.stderr.isTerminal() }),
});
await Deno.stdout.write(new TextEncoder().encode(csv));
for (const { name, error } of skipped) stderr(`skipped ${name}: ${error}\n`);
session.dispose();
if (skipped.length) Deno.exit(1);
