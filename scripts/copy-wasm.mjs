// Puts the kernel binaries (three builds, and the threads builds "-mt") next to the compiled loader (or another folder: the bundle's), where the loader
// looks for them (new URL("./edgenn-<variant>.wasm", import.meta.url)).
import { copyFileSync, mkdirSync } from "node:fs";
const dir = process.argv[2] ?? "dist/wasm";
mkdirSync(dir, { recursive: true });
for (const v of ["simd", "relaxed", "scalar", "simd-mt", "relaxed-mt"]) copyFileSync(`build/edgenn-${v}.wasm`, `${dir}/edgenn-${v}.wasm`);
