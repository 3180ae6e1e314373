/**
 * edgenn: neural-network inference in WebAssembly (SIMD-128 kernels), the same code in Node, Deno, Bun,
 * browsers and edge workers.
 *
 *   import { load, Tensor } from "edgenn";
 *   const session = await load("models/wdbc-mlp.enn");          // bytes, URL or path
 *   const x = new Tensor("float32", new Float32Array(30), [1, 30]);
 *   const { output } = await session.run({ input: x });           // { name: Tensor }
 *   console.log(output.data);                                      // Float32Array
 *   session.dispose();
 *
 * The same API as onnxruntime-web, so apps written for it run unchanged (docs/switching-from-onnxruntime.md):
 *   const session = await InferenceSession.create("model.onnx", { executionProviders: ["wasm"] });
 *
 * Models come from .enn weight files (docs/format.md), ONNX files (imported on load; `importOnnx` is in the
 * separate entry "edgenn/onnx" so that bundles without ONNX do not carry protobufjs), or `sequential(...)`.
 */
export { load, InferenceSession, type SessionOptions, type InputInfo, type Limits, type SessionDescription, type LoadProgress } from "./session.js";
export type { ModelSource } from "./io/source.js";
// The same session in a dedicated worker, off the page's main thread (edgenn-worker.js).
export { loadInWorker, WorkerSession, type WorkerOptions } from "./worker.js";
export { check, estimateMemory, type CheckResult, type MemoryEstimate } from "./check.js";
export { cacheEntries, clearCache, type CacheEntry, type CacheOptions } from "./io/cache.js";
// onnxruntime-web's face (InferenceSession.create, env, ...): docs/switching-from-onnxruntime.md.
export { env, type Env, type LogLevel, type OrtSessionOptions, type ExecutionProvider, type TensorLike, type Fetches, type RunOptions, type ValueMetadata } from "./ort.js";
export { Tensor, type DataType } from "./tensor.js";
export { EdgennError, type ErrorCode } from "./errors.js";
export { features, type Variant, type WasmOptions } from "./wasm/loader.js";
export {
  sequential, Sequential, dense, conv2d, maxPool2d, globalAveragePool2d, flatten, activation,
  embedding, positionEmbedding, layerNorm, multiHeadAttention, transformerEncoderLayer, globalAveragePool1d,
  conv1d, lstm, gru, bidirectional, type RecurrentOptions,
  type Layer, type AttentionOptions,
} from "./builder.js";
export { readEnn, writeEnn } from "./format/enn.js";
export { encryptModel, decryptModel, encryptedModelInfo, generateModelKey, isEncryptedModel, type ModelKey } from "./format/encrypt.js";
// Signed weight files (docs/format.md "Signature trailer", docs/security.md): WebCrypto only.
export { generateSigningKey, signEnn, verifyEnn, signingKeyId, ed25519Supported, type SigningAlgorithm, type SigningKeyPair, type EnnVerifyResult } from "./format/signature.js";
export type { AuditEvent, AuditHandler, LoadEvent, RunEvent, ErrorEvent } from "./audit.js";
export { parseGraph, type Graph, type Node, type Constant } from "./ir/graph.js";
export { OPS } from "./ops/registry.js";
export { explain, type OcclusionOptions, type OcclusionResult, type OcclusionTarget, type OcclusionLayout, type OcclusionKind, type OverlayOptions, type RgbaImage, type MapLike, type Colormap, type BarsOptions } from "./explain.js";
