// What relaxed SIMD gains in each runtime that enables it, and what the scalar build costs (issue 6): the DNA CNN
// and the ECG LSTM, median ms of the scalar, SIMD-128 and relaxed builds in Node (with --experimental-wasm-relaxed-simd), Deno and Bun (on by
// default there). One process per runtime, run one after another; ratios are within a runtime.
//   node bench/runtimes.mjs        (after npm run build; makes test/runtimes/fixtures.json if missing)
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { haveFixtures, makeFixtures } from "../test/runtimes/fixtures.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const workload = join(root, "bench/runtime-workload.mjs");
const bin = (name) => join(root, "node_modules/.bin", name);
if (!haveFixtures()) await makeFixtures();
const runtimes = [
  ["node 20", process.execPath, ["--experimental-wasm-relaxed-simd", workload]],
  ["deno", bin("deno"), ["run", "--no-prompt", "--no-lock", `--allow-read=${root}`, workload]],
  ["bun", bin("bun"), [workload]],
];
const rows = [];
for (const [name, cmd, args] of runtimes) {
  const env = { ...process.env, DENO_DIR: join(root, "node_modules/.cache/deno"), NO_COLOR: "1" };
  const r = JSON.parse(execFileSync(cmd, args, { cwd: root, env, encoding: "utf8" }).trim().split("\n").at(-1));
  for (const [model, t] of Object.entries(r.models)) {
    rows.push({ runtime: name, model, ...t, gain: t.relaxed ? +(t.simd / t.relaxed).toFixed(2) : undefined, scalarCost: +(t.scalar / t.simd).toFixed(2) });
  }
}
console.log("| runtime | model | scalar ms | SIMD-128 ms | relaxed ms | relaxed speed-up | scalar / SIMD-128 |\n|---|---|--:|--:|--:|--:|--:|");
for (const r of rows) console.log(`| ${r.runtime} | ${r.model} | ${r.scalar} | ${r.simd} | ${r.relaxed ?? "–"} | ${r.gain ? `${r.gain}x` : "–"} | ${r.scalarCost}x |`);
