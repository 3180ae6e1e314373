// One-file ESM bundle of the runtime for pages and workers: dist/bundle/edgenn.js with @noble/hashes inlined and
// the kernel binaries beside it. The ONNX importer stays a lazily loaded chunk (with onnx-proto external), so
// .enn-only users never download it.
import { nodeResolve } from "@rollup/plugin-node-resolve";

export default {
  input: "dist/index.js",
  output: { dir: "dist/bundle", format: "es", entryFileNames: "edgenn.js", chunkFileNames: "edgenn-[name].js" },
  external: ["onnx-proto"],
  plugins: [nodeResolve({ browser: true })],
};
