// Puts the two kernel binaries next to the compiled loader, where it looks for them (import.meta.url).
import { copyFileSync, mkdirSync } from "node:fs";
mkdirSync("dist/wasm", { recursive: true });
for (const v of ["simd", "relaxed"]) copyFileSync(`build/edgenn-${v}.wasm`, `dist/wasm/edgenn-${v}.wasm`);
