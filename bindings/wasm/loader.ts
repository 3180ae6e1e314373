/**
 * Finds, compiles and instantiates the kernel binary. Two builds of one source: "simd" (SIMD-128) and
 * "relaxed" (relaxed SIMD, fused multiply-add). The relaxed one is picked where the engine validates it.
 * Workers that forbid compiling wasm at run time (Cloudflare workerd) pass precompiled WebAssembly.Modules.
 */
import { EdgennError } from "../errors.js";
import type { KernelExports } from "./kernels.js";
import { readSource } from "../io/source.js";

export type Variant = "simd" | "relaxed";
export type WasmSource = WebAssembly.Module | ArrayBuffer | Uint8Array | URL | string;
/** A build's file: edgenn-<variant>.wasm, and the threads builds (shared imported memory) edgenn-<variant>-mt.wasm. */
export type Build = Variant | `${Variant}-mt`;
export interface WasmOptions {
  /** Force a build; default: relaxed where supported, else simd. */
  variant?: Variant;
  /** Where each build comes from; default: edgenn-<build>.wasm next to this file ("-mt": threads, see load()'s threads). */
  sources?: Partial<Record<Build, WasmSource>>;
  /**
   * Keep what comes over HTTP (the model and the kernel binary) in an offline store: `true` or
   * `{ dir }` (Node/Bun directory) / `{ name }` (Cache API store). See io/cache.ts.
   */
  cache?: boolean | { dir?: string; name?: string };
}

const hex = (s: string) => Uint8Array.from(s.split(" "), (h) => parseInt(h, 16));
// Tiny probe modules: a function using f32x4.relaxed_madd, and one using f32x4.add.
const RELAXED_PROBE = hex("00 61 73 6d 01 00 00 00 01 06 01 60 01 7b 01 7b 03 02 01 00 0a 0d 01 0b 00 20 00 20 00 20 00 fd 85 02 0b");
const SIMD_PROBE = hex("00 61 73 6d 01 00 00 00 01 06 01 60 01 7b 01 7b 03 02 01 00 0a 0b 01 09 00 20 00 20 00 fd e4 01 0b");

/** What this engine supports. `validate` compiles nothing, so it works in workers that forbid compilation. */
export function features(): { simd: boolean; relaxedSimd: boolean } {
  return { simd: WebAssembly.validate(SIMD_PROBE), relaxedSimd: WebAssembly.validate(RELAXED_PROBE) };
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** Compiles (once per build and source) and returns the module for the chosen variant (its threads build with `threads`). */
export function kernelModule(opts: WasmOptions = {}, threads = false): Promise<{ module: WebAssembly.Module; variant: Variant }> {
  const f = features();
  if (!f.simd) throw new EdgennError("UNSUPPORTED", "this WebAssembly engine has no SIMD-128 support, which edgenn requires");
  const variant: Variant = opts.variant ?? (f.relaxedSimd ? "relaxed" : "simd");
  if (variant === "relaxed" && !f.relaxedSimd) {
    throw new EdgennError("UNSUPPORTED", "the relaxed-SIMD build was requested but this engine does not support relaxed SIMD (Node 20: run node with --experimental-wasm-relaxed-simd)");
  }
  const build: Build = threads ? `${variant}-mt` : variant;
  const source = opts.sources?.[build] ?? defaultSource(build);
  if (source instanceof WebAssembly.Module) return Promise.resolve({ module: source, variant });
  const key = typeof source === "string" || source instanceof URL ? `${build}:${source}` : "";
  let p = key ? compiled.get(key) : undefined;
  if (!p) {
    // Over HTTP with options.cache, the binary comes from the offline store too (a page that works offline).
    const cached = opts.cache && !(source instanceof Uint8Array || source instanceof ArrayBuffer) && /^https?:/i.test(String(source));
    const bytes = cached ? import("../io/cache.js").then((c) => c.cachedFetch(String(source), typeof opts.cache === "object" ? opts.cache : {})) : readSource(source);
    p = bytes.then((b) => WebAssembly.compile(b as BufferSource));
    if (key) compiled.set(key, p);
    p.catch(() => key && compiled.delete(key));
  }
  return p.then((module) => ({ module, variant }));
}

/** The binary next to this module; runtimes whose modules have no URL (workerd) must pass `sources`. */
function defaultSource(build: Build): URL {
  try {
    return new URL(`./edgenn-${build}.wasm`, import.meta.url);
  } catch {
    throw new EdgennError("UNSUPPORTED", `cannot locate edgenn-${build}.wasm: this runtime gives modules no URL (e.g. Cloudflare workerd); pass options.sources: { simd, relaxed } as imported WebAssembly.Modules`);
  }
}

/**
 * Instantiates a fresh kernel instance: every session has its own linear memory. With `shared` (a shared
 * WebAssembly.Memory), the threads build on that memory; its module is returned for the workers.
 */
export async function instantiateKernels(opts: WasmOptions = {}, shared?: WebAssembly.Memory): Promise<{ exports: KernelExports; variant: Variant; module: WebAssembly.Module }> {
  const { module, variant } = await kernelModule(opts, shared !== undefined);
  const instance = await WebAssembly.instantiate(module, shared ? { env: { memory: shared } } : {});
  const exports = instance.exports as unknown as KernelExports;
  const built: Variant = exports.variant() === 1 ? "relaxed" : "simd";
  if (built !== variant) throw new EdgennError("BAD_INPUT", `the ${variant} kernel source holds the ${built} build`);
  return { exports, variant, module };
}
