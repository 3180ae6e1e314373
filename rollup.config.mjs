// One-file ESM bundle of the runtime for pages and workers: dist/bundle/edgenn.js with @noble/hashes inlined and
// the kernel binaries beside it, minified (size is a feature at the edge). The ONNX and TF.js importers stay
// lazily loaded chunks (onnx-proto external), so .enn-only users never download them.
import { rmSync } from "node:fs";
import { nodeResolve } from "@rollup/plugin-node-resolve";
import terser from "@rollup/plugin-terser";

rmSync("dist/bundle", { recursive: true, force: true }); // no stale chunks from earlier builds

export default {
  input: "dist/index.js",
  output: { dir: "dist/bundle", format: "es", entryFileNames: "edgenn.js", chunkFileNames: "edgenn-[name].js", sourcemap: true },
  external: ["onnx-proto"],
  plugins: [nodeResolve({ browser: true }), terser({ ecma: 2020, module: true, keep_classnames: true })],
};
