// The smoke test as a Cloudflare worker (plain workerd, no wrangler). workerd forbids compiling wasm at run time,
// so both kernel builds are `wasm` modules (compiled by workerd at start-up, imported as WebAssembly.Module) and
// reach the loader through `options.sources`; the model and the reference are `data` modules (ArrayBuffer).
// The config is generated from this file's import graph: node test/runtimes/workerd/make-config.mjs <dir>.
//
//   GET /              the smoke result: { runtime, variant, expectedVariant, features, cases, maxAbsDiffVsTfjs, ok, nodeFs }
//   GET /compile-bytes compiling wasm bytes, directly and through the loader, must fail "disallowed by embedder"
//
// The wasm and data modules are imported dynamically (still listed in the config, still compiled by workerd, not
// by this code): `node --test test/` runs every .mjs under test/, and Node must be able to load this file.
import { features, load } from "../../../dist/index.js";
import { runSmoke } from "../smoke.mjs";

let assets; // once per isolate
const loadAssets = async () => (assets ??= {
  simd: (await import("../../../dist/wasm/edgenn-simd.wasm")).default, // WebAssembly.Module
  relaxed: (await import("../../../dist/wasm/edgenn-relaxed.wasm")).default,
  model: (await import("../../../models/wdbc-mlp.enn")).default, // ArrayBuffer
  reference: JSON.parse(new TextDecoder().decode((await import("../../models/wdbc-reference.json")).default)),
  fixtures: JSON.parse(new TextDecoder().decode((await import("../fixtures.json")).default)), // made by the Node test first
});
const EMPTY_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]); // "\0asm", version 1

async function failure(what, f) {
  try {
    await f();
    return { what, threw: false, message: "compiled: this runtime allows compiling wasm bytes" };
  } catch (e) {
    return { what, threw: true, name: e?.name, message: String(e?.message ?? e), disallowed: /disallowed by embedder/.test(String(e?.message)) };
  }
}

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    try {
      const { simd, relaxed, model, reference, fixtures } = await loadAssets();
      if (pathname === "/") {
        const f = features();
        const result = await runSmoke({ model, reference, fixtures, options: { sources: { simd, relaxed } }, runtime: "workerd" });
        // The loader reads file: URLs through import("node:fs/promises"); without nodejs_compat that import fails
        // here, so a passing smoke shows the workerd path never reached it.
        const fsName = "node:fs/promises";
        const nodeFs = await import(fsName).then(() => true, () => false);
        return Response.json({ ...result, expectedVariant: f.relaxedSimd ? "relaxed" : "simd", nodeFs });
      }
      if (pathname === "/compile-bytes") {
        const checks = [
          await failure("new WebAssembly.Module(bytes)", () => new WebAssembly.Module(EMPTY_MODULE)),
          await failure("WebAssembly.compile(bytes)", () => WebAssembly.compile(EMPTY_MODULE)),
          await failure("WebAssembly.instantiate(bytes)", () => WebAssembly.instantiate(EMPTY_MODULE, {})),
          await failure("edgenn load() with kernel bytes in options.sources", () => load(model, { variant: "simd", sources: { simd: EMPTY_MODULE } })),
        ];
        return Response.json({ validateWorks: WebAssembly.validate(EMPTY_MODULE), checks, ok: checks.every((c) => c.disallowed) });
      }
      return new Response("not found", { status: 404 });
    } catch (e) {
      return Response.json({ runtime: "workerd", ok: false, error: String(e?.stack ?? e) }, { status: 500 });
    }
  },
};
