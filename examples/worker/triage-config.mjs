// Writes examples/worker/triage/config.capnp for a local workerd running triage.mjs (no wrangler): every module it
// reaches, found from its import graph by the runtimes test's generator.
//   node examples/worker/triage-config.mjs [address]        (default 127.0.0.1:8787)
//   node_modules/.bin/workerd serve examples/worker/triage/config.capnp
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeConfig } from "../../test/runtimes/workerd/make-config.mjs";

export const TRIAGE_ENTRY = "examples/worker/triage.mjs";
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { path, modules } = writeConfig(join(dirname(fileURLToPath(import.meta.url)), "triage"), { entry: TRIAGE_ENTRY, address: process.argv[2] });
  console.log(`${path}: ${modules.length} modules`);
}
