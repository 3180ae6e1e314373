// One-file ESM bundle of the runtime for pages and workers: dist/bundle/edgenn.js with @noble/hashes inlined and
// the kernel binaries beside it, minified (size is a feature at the edge). The ONNX and TF.js importers stay
// lazily loaded chunks (the ONNX one with onnx-proto and protobufjs inlined, from CommonJS), so .enn-only users
// never download them and pages can load .onnx files with no import map for onnx-proto.
import { rmSync } from "node:fs";
import { nodeResolve } from "@rollup/plugin-node-resolve";
import terser from "@rollup/plugin-terser";
import commonjs from "@rollup/plugin-commonjs";

rmSync("dist/bundle", { recursive: true, force: true }); // no stale chunks from earlier builds

const plugins = () => [nodeResolve({ browser: true }), commonjs(), terser({ ecma: 2020, module: true, keep_classnames: true })];
export default [
  {
    input: "dist/index.js",
    output: { dir: "dist/bundle", format: "es", entryFileNames: "edgenn.js", chunkFileNames: "edgenn-[name].js", sourcemap: true },
    plugins: plugins(),
  },
  // loadInWorker's worker: a few lines that import the runtime bundle beside it (one download, cached).
  {
    input: "dist/edgenn-worker.js",
    external: (id) => /(^|\/)index\.js$/.test(id),
    output: { file: "dist/bundle/edgenn-worker.js", format: "es", paths: () => "./edgenn.js", sourcemap: true },
    plugins: plugins(),
  },
  // The kernel threads' worker (load option threads): self-contained, next to edgenn.js where it is looked for.
  {
    input: "dist/wasm/edgenn-kernel-thread.js",
    output: { file: "dist/bundle/edgenn-kernel-thread.js", format: "es", sourcemap: true },
    plugins: plugins(),
  },
];
