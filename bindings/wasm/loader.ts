/**
 * Finds, compiles and instantiates the kernel binary. Three builds: "relaxed" (relaxed SIMD, fused multiply-add),
 * "simd" (SIMD-128), both of one source (assembly/index.ts), and "scalar" (no SIMD, assembly/index-scalar.ts, for
 * engines without wasm SIMD: Safari before 16.4, some web views, SIMD switched off). The best one the engine
 * validates is picked, in that order. Workers that forbid compiling wasm at run time (Cloudflare workerd) pass
 * precompiled WebAssembly.Modules.
 */
import { EdgennError } from "../errors.js";
import type { KernelExports } from "./kernels.js";
import { readSource } from "../io/source.js";

export type Variant = "relaxed" | "simd" | "scalar";
export const VARIANTS: readonly Variant[] = ["relaxed", "simd", "scalar"];
export type WasmSource = WebAssembly.Module | ArrayBuffer | Uint8Array | URL | string;
/** A build's file: edgenn-<variant>.wasm, and the threads builds (shared imported memory) edgenn-<variant>-mt.wasm. */
export type Build = Variant | `${Variant}-mt`;
export interface WasmOptions {
  /** Force a build; default: the best the engine validates, relaxed, then simd, then scalar. */
  variant?: Variant;
  /** Same as `variant` (the name issue 6 uses); `variant` wins when both are given. */
  backend?: Variant;
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

/** The variant to load: the one asked for (refused if the engine cannot run it), else the best supported. */
export function chooseVariant(opts: WasmOptions = {}): Variant {
  const asked = opts.variant ?? opts.backend;
  if (asked !== undefined && !VARIANTS.includes(asked)) {
    throw new EdgennError("BAD_INPUT", `unknown kernel build '${asked}': expected one of ${VARIANTS.join(", ")}`);
  }
  const f = features();
  if (asked === "relaxed" && !f.relaxedSimd) {
    throw new EdgennError("UNSUPPORTED", "the relaxed-SIMD build was requested but this engine does not support relaxed SIMD (Node 20: run node with --experimental-wasm-relaxed-simd)");
  }
  if (asked === "simd" && !f.simd) {
    throw new EdgennError("UNSUPPORTED", "the SIMD-128 build was requested but this engine has no wasm SIMD; use the scalar build (variant: \"scalar\", the default here)");
  }
  return asked ?? (f.relaxedSimd ? "relaxed" : f.simd ? "simd" : "scalar");
}

/** Compiles (once per build and source) and returns the module for the chosen variant (its threads build with `threads`). */
export function kernelModule(opts: WasmOptions = {}, threads = false): Promise<{ module: WebAssembly.Module; variant: Variant }> {
  const variant = chooseVariant(opts);
  if (threads && variant === "scalar") throw new EdgennError("UNSUPPORTED", "threads: the multi-threaded kernel builds need wasm SIMD, which this engine lacks; run with threads: 1");
  const build: Build = threads ? `${variant}-mt` : variant;
  const source = opts.sources?.[build] ?? defaultSource(build);
  if (source instanceof WebAssembly.Module) return Promise.resolve({ module: source, variant });
  const key = typeof source === "string" || source instanceof URL ? `${build}:${source}` : "";
  let p = key ? compiled.get(key) : undefined;
  if (!p) {
    // Over HTTP with options.cache, the binary comes from the offline store too (a page that works offline).
    const cached = opts.cache && !(source instanceof Uint8Array || source instanceof ArrayBuffer) && /^https?:/i.test(String(source));
    const bytes = cached ? import("../io/cache.js").then((c) => c.cachedFetch(String(source), typeof opts.cache === "object" ? opts.cache : {})) : readSource(source);
    p = bytes.then((b) => WebAssembly.compile(b as BufferSource)).catch((e) => {
      throw e instanceof EdgennError ? e : new EdgennError("UNSUPPORTED", `could not compile the ${build} kernel build (edgenn-${build}.wasm): ${(e as Error).message}`);
    });
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
    throw new EdgennError("UNSUPPORTED", `cannot locate edgenn-${build}.wasm: this runtime gives modules no URL (e.g. Cloudflare workerd); pass options.sources: { relaxed, simd, scalar } as imported WebAssembly.Modules`);
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
  const built: Variant = (["simd", "relaxed", "scalar"] as const)[exports.variant()] ?? "simd";
  if (built !== variant) throw new EdgennError("BAD_INPUT", `the ${variant} kernel source holds the ${built} build`);
  return { exports, variant, module };
}
