// Writes a workerd config for worker.mjs into a directory: every module reachable from the worker by static
// imports, found by walking the import graph (so new dist/*.js modules are picked up without a hand-kept list).
//
//   node test/runtimes/workerd/make-config.mjs <dir>   → <dir>/config.capnp (socket "http" on 127.0.0.1:8787)
//   node_modules/.bin/workerd serve <dir>/config.capnp [--socket-addr http=127.0.0.1:<port>]
//
// Module names are repo-relative paths ("dist/session.js", "dist/wasm/edgenn-simd.wasm"), so the relative
// specifiers the compiled code already uses resolve in workerd as they do on disk. workerd resolves every
// specifier, bare ones too, against the importing module's directory (a bare "@noble/hashes/sha2.js" imported by
// "dist/format/enn.js" is looked up as "dist/format/@noble/hashes/sha2.js"), so a package module is registered
// under that name, with its own relative imports following it. `.wasm` files become `wasm` modules (workerd
// compiles them at start-up; the import is a WebAssembly.Module), `.enn`/`.json` files `data` modules
// (ArrayBuffer), CommonJS package files `commonJsModule`s (what a bundler would inline; workerd resolves their
// require() calls the same way, so "./src/index-minimal" is registered under that extensionless name).
// Embed paths are relative to the config file.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, posix, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const ENTRY = "test/runtimes/workerd/worker.mjs";
const CONDITIONS = ["workerd", "worker", "browser", "import", "default"]; // what wrangler would pick
const CJS_CONDITIONS = ["workerd", "worker", "browser", "require", "default"];
const BUILTINS = new Set(builtinModules);

const kindOf = (file) =>
  /\.wasm$/.test(file) ? "wasm" : /\.(enn|json|bin)$/.test(file) ? "data" : /\.[cm]?js$/.test(file) ? (isEsm(file) ? "esModule" : "commonJsModule") : null;
const toPosix = (p) => p.split(sep).join("/");

/** [{ name, file, kind }] for every module the entry reaches; name is what workerd resolves the import to. */
export function collectModules(entry = ENTRY) {
  const modules = new Map(); // name → { name, file, kind }
  const queue = [{ name: entry, file: join(REPO, entry), from: "(entry)" }];
  while (queue.length) {
    const { name, file, from } = queue.shift();
    if (modules.has(name)) continue;
    if (!existsSync(file)) throw new Error(`workerd config: '${name}' (imported by ${from}) is missing: ${file}${file.includes(`${sep}dist${sep}`) ? " (run npm run build)" : ""}`);
    const kind = kindOf(file);
    if (!kind) throw new Error(`workerd config: no module type for ${file} (imported by ${from})`);
    modules.set(name, { name, file, kind });
    if (kind !== "esModule" && kind !== "commonJsModule") continue;
    const cjs = kind === "commonJsModule";
    // Static imports (ESM) or literal require() calls (CommonJS); computed ones (protobufjs' optional
    // `inquire("long")`) are not followed, as a bundler would not either.
    for (const { fileName: spec } of ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles) {
      if (/^(node|cloudflare|workerd):/.test(spec) || BUILTINS.has(spec.split("/")[0])) {
        throw new Error(`workerd config: ${file} imports '${spec}' (a Node built-in: workerd needs nodejs_compat for it; edgenn must not)`);
      }
      const target = spec.startsWith("./") || spec.startsWith("../") ? resolveFile(resolve(dirname(file), spec), cjs) : resolvePackage(spec, file, cjs);
      if (!target) throw new Error(`workerd config: cannot resolve '${spec}' from ${file}`);
      queue.push({ name: posix.normalize(posix.join(posix.dirname(name), spec)), file: target, from: name });
    }
  }
  return [...modules.values()];
}

/** ESM: the path as written; CommonJS require(): Node's extension and index probing. */
function resolveFile(path, cjs) {
  if (!cjs) return path;
  for (const p of [path, `${path}.js`, `${path}.cjs`, `${path}.json`, join(path, "index.js")]) if (existsSync(p) && !statSync(p).isDirectory()) return p;
  return undefined;
}

/** Node-style resolution of a bare specifier (package exports with worker conditions), from `fromFile`. */
function resolvePackage(spec, fromFile, cjs) {
  const parts = spec.split("/");
  const pkgName = spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  const sub = "." + spec.slice(pkgName.length);
  for (let dir = dirname(fromFile); ; dir = dirname(dir)) {
    const pkgDir = join(dir, "node_modules", pkgName);
    if (existsSync(join(pkgDir, "package.json"))) {
      const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
      let target;
      if (pkg.exports !== undefined) {
        const map = typeof pkg.exports === "string" || !Object.keys(pkg.exports).some((k) => k.startsWith(".")) ? { ".": pkg.exports } : pkg.exports;
        target = pickCondition(map[sub], cjs);
        if (target === undefined) throw new Error(`workerd config: '${spec}' is not exported by ${pkgName} (imported by ${fromFile})`);
      } else {
        target = sub === "." ? (cjs ? pkg.main : pkg.module ?? pkg.main) ?? "index.js" : sub;
      }
      return resolveFile(join(pkgDir, target), cjs) ?? join(pkgDir, target);
    }
    if (dirname(dir) === dir) throw new Error(`workerd config: cannot resolve '${spec}' from ${fromFile} (npm install?)`);
  }
}

function pickCondition(v, cjs) {
  if (typeof v === "string" || v == null) return v ?? undefined;
  if (Array.isArray(v)) return v.map((x) => pickCondition(x, cjs)).find((x) => x !== undefined);
  for (const c of cjs ? CJS_CONDITIONS : CONDITIONS) if (c in v) { const r = pickCondition(v[c], cjs); if (r !== undefined) return r; }
  return undefined;
}

function isEsm(file) {
  if (file.endsWith(".mjs")) return true;
  if (file.endsWith(".cjs")) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const p = join(dir, "package.json");
    if (existsSync(p)) return JSON.parse(readFileSync(p, "utf8")).type === "module";
    if (dirname(dir) === dir) return false;
  }
}

/** Writes <dir>/config.capnp; returns its path and the module list. */
export function writeConfig(dir, { address = "127.0.0.1:8787", compatibilityDate = "2025-01-01", entry = ENTRY } = {}) {
  mkdirSync(dir, { recursive: true });
  const modules = collectModules(entry);
  const line = ({ name, file, kind }) => `    (name = ${JSON.stringify(name)}, ${kind} = embed ${JSON.stringify(toPosix(relative(dir, file)))}),`;
  const config = `# Generated by test/runtimes/workerd/make-config.mjs from the import graph of ${entry}. Do not edit.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .edgenn) ],
  sockets = [ (name = "http", address = ${JSON.stringify(address)}, http = (), service = "main") ],
);

const edgenn :Workerd.Worker = (
  modules = [
${modules.map(line).join("\n")}
  ],
  compatibilityDate = ${JSON.stringify(compatibilityDate)},
);
`;
  const path = join(dir, "config.capnp");
  writeFileSync(path, config);
  return { path, modules };
}

// As a script, with a directory (`node --test test/` also runs this file, without one: then it does nothing).
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2]) {
  const { path, modules } = writeConfig(resolve(process.argv[2]));
  console.log(`${path}: ${modules.length} modules`);
}
