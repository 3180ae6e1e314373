// Writes examples/worker/config.capnp for a local workerd (no wrangler), listing every module worker.mjs reaches
// (the bundle, both kernel builds as wasm modules, the model as a data module): generated from the import graph by
// the runtimes test's generator, so it never goes stale by hand.
//   node examples/worker/make-config.mjs [address]        (default 127.0.0.1:8787)
//   node_modules/.bin/workerd serve examples/worker/config.capnp
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { writeConfig } from "../../test/runtimes/workerd/make-config.mjs";

export const ENTRY = "examples/worker/worker.mjs";
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { path, modules } = writeConfig(dirname(fileURLToPath(import.meta.url)), { entry: ENTRY, address: process.argv[2] });
  console.log(`${path}: ${modules.length} modules`);
}
