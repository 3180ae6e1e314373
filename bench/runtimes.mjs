// What relaxed SIMD gains in each runtime that enables it (issue 6): the DNA CNN and the ECG LSTM, median ms of
// the SIMD-128 build and the relaxed build (bench/workload.mjs) in Node (with --experimental-wasm-relaxed-simd),
// Deno and Bun (on by default there), and in headless Chromium and Firefox ESR (bench/browser-page.html with the
// one-file bundle), plus each browser's cold start (page load -> first result of the default model).
// One runtime after another; ratios are within a runtime: the median of simd/relaxed over interleaved samples.
//   node bench/runtimes.mjs        (after npm run build; makes test/runtimes/fixtures.json if missing)
// Exits 1 if a browser is missing or fails, after printing what the other runtimes measured.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM, FIREFOX, missingBrowser, withChromium, withFirefox } from "../test/browser/browsers.mjs";
import { startServer } from "../test/browser/server.mjs";
import { haveFixtures, makeFixtures } from "../test/runtimes/fixtures.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const workload = join(root, "bench/runtime-workload.mjs");
const bin = (name) => join(root, "node_modules/.bin", name);
const LAUNCHES = 3; // fresh browsers per cold-start median
const RELOADS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const version = (cmd) => execFileSync(cmd, ["--version"], { encoding: "utf8" }).trim().split("\n")[0];
if (!haveFixtures()) await makeFixtures();

const rows = [];
const addRows = (runtime, r) => {
  for (const [model, t] of Object.entries(r.models)) rows.push({ runtime, model, ...t });
};
const uptime = () => execFileSync("uptime", { encoding: "utf8" }).trim();
console.log(`start: ${uptime()}`);

const runtimes = [
  ["node 20", process.execPath, ["--experimental-wasm-relaxed-simd", workload]],
  ["deno", bin("deno"), ["run", "--no-prompt", "--no-lock", `--allow-read=${root}`, workload]],
  ["bun", bin("bun"), [workload]],
];
for (const [name, cmd, args] of runtimes) {
  const env = { ...process.env, DENO_DIR: join(root, "node_modules/.cache/deno"), NO_COLOR: "1" };
  console.log(`${name}: ${name === "node 20" ? process.version : version(cmd)}`);
  addRows(name, JSON.parse(execFileSync(cmd, args, { cwd: root, env, encoding: "utf8" }).trim().split("\n").at(-1)));
}

/** window.__result of bench/browser-page.html?query; throws on a page error. */
async function visit(page, errors, server, query) {
  await page.goto(`${server.url}bench/browser-page.html?${query}`);
  const r = await page.evaluate(() => window.__result);
  if (r.error || errors.length) throw new Error(`bench/browser-page.html?${query}: ${r.error ?? ""}\n${r.stack ?? ""}${errors.join("\n")}`);
  return r;
}

const colds = [];
const failed = [];
// COOP/COEP: cross-origin isolation gives the page a finer clock (Firefox otherwise rounds to 1 ms).
const server = await startServer({ isolate: true });
try {
  for (const [name, path, withBrowser] of [["chromium", CHROMIUM, withChromium], ["firefox-esr", FIREFOX, withFirefox]]) {
    const missing = missingBrowser(path);
    if (missing) { failed.push(`${name} SKIPPED: ${missing}`); continue; }
    const label = `${name} ${version(path).match(/\d+/)[0]}`;
    console.log(`${name}: ${version(path)}`);
    try {
      // The first page load after launch is the cold start. Reloads in the same tab reuse a warm renderer process
      // (everything is served no-store, yet they reach the first result 1.7-3.5x sooner), so they are shown apart.
      const cold = { label, fresh: [], reloads: [] };
      await withBrowser(async (page, errors) => {
        cold.fresh.push(await visit(page, errors, server, "cold"));
        for (let i = 0; i < RELOADS; i++) cold.reloads.push(await visit(page, errors, server, "cold"));
        const r = await visit(page, errors, server, "time");
        console.log(`${name}: features ${JSON.stringify(r.features)}, performance.now() step ${r.clockStepMs} ms, crossOriginIsolated ${r.crossOriginIsolated}`);
        addRows(label, r);
      });
      while (cold.fresh.length < LAUNCHES) await withBrowser(async (page, errors) => cold.fresh.push(await visit(page, errors, server, "cold")));
      colds.push(cold);
    } catch (e) {
      failed.push(`${name} FAILED: ${e.stack ?? e}`);
    }
  }
} finally {
  await server.close();
}

console.log(`end: ${uptime()}\n`);
console.log("| runtime | model | SIMD-128 ms | relaxed ms | relaxed speed-up |\n|---|---|--:|--:|--:|");
for (const r of rows) console.log(`| ${r.runtime} | ${r.model} | ${r.simd} | ${r.relaxed ?? "–"} | ${r.gain ? `${r.gain.toFixed(2)}x` : "–"} |`);
console.log(`\nCold start of the default model (wdbc-mlp.enn): ms from navigation start to each step, median of ${LAUNCHES} fresh browsers [range]; then the same page reloaded ${RELOADS} times in one browser\n`);
console.log("| browser | build | bundle imported | model loaded | first result | reload: first result |\n|---|---|--:|--:|--:|--:|");
const ms = (loads, key) => { const xs = loads.map((l) => l[key]); return `${median(xs).toFixed(0)} [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]`; };
for (const { label, fresh, reloads } of colds) console.log(`| ${label} | ${fresh[0].variant} | ${ms(fresh, "imported")} | ${ms(fresh, "loaded")} | ${ms(fresh, "firstResult")} | ${ms(reloads, "firstResult")} |`);
if (failed.length) {
  console.error(`\n${failed.join("\n")}`);
  process.exitCode = 1;
}
