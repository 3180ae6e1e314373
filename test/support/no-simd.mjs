// Preload (node --import ./test/support/no-simd.mjs ...) that makes this engine behave like one without wasm SIMD
// (Safari before 16.4, Firefox with javascript.options.wasm_simd = false, Bun with BUN_JSC_useWasmSIMD=false):
// WebAssembly.validate answers false, and compile / instantiate / new Module throw a CompileError, for any module
// that declares a v128 value: in a function type, a global, or a function's locals. Node cannot switch SIMD off,
// so this is how the loader's fallback to the scalar build is tested here; every SIMD build has v128 locals and
// both feature probes have v128 parameters. test/scalar.test.mjs checks that the SIMD builds are refused.
import { usesSimd } from "./no-simd-detect.mjs";

const toBytes = (src) => src instanceof ArrayBuffer ? new Uint8Array(src) : ArrayBuffer.isView(src) ? new Uint8Array(src.buffer, src.byteOffset, src.byteLength) : null;
function refuse(src) {
  const bytes = toBytes(src);
  if (bytes && usesSimd(bytes)) throw new WebAssembly.CompileError("WebAssembly SIMD is not supported by this engine (test/support/no-simd.mjs)");
}

const W = WebAssembly;
const { validate, compile, instantiate, compileStreaming, instantiateStreaming, Module } = W;
W.validate = (src) => { const b = toBytes(src); return b && usesSimd(b) ? false : validate.call(W, src); };
W.compile = async (src) => { refuse(src); return compile.call(W, src); };
W.instantiate = async (src, imports) => { if (!(src instanceof Module)) refuse(src); return instantiate.call(W, src, imports); };
W.compileStreaming = async (res) => W.compile(await (await res).arrayBuffer());
W.instantiateStreaming = async (res, imports) => W.instantiate(await (await res).arrayBuffer(), imports);
W.Module = new Proxy(Module, { construct(target, args) { refuse(args[0]); return new target(...args); } });
