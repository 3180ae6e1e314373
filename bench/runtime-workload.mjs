// bench/workload.mjs in Node, Deno or Bun with the modules in dist/: prints one JSON line for bench/runtimes.mjs.
import * as edgenn from "../dist/index.js";
import { timeFixtures } from "./workload.mjs";

// node:fs/promises: Node, Deno and Bun all have it (Node's fetch does not read file: URLs).
const { readFile } = await import("node:fs/promises");
const fixtures = JSON.parse(await readFile(new URL("../test/runtimes/fixtures.json", import.meta.url), "utf8"));
console.log(JSON.stringify(await timeFixtures(fixtures, edgenn)));
