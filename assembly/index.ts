// edgenn kernels: the wasm exports. Kernels only see pointers (byte addresses in linear memory),
// sizes and strides (in elements). They never allocate: the TypeScript side owns the memory layout
// (weights, activation arena, scratch) and grows memory before calling. See docs/kernels.md.
export * from "./gemm/gemm";
export * from "./conv/conv";
export * from "./conv/transpose";
export * from "./resize/resize";
export * from "./pool/pool";
export * from "./eltwise/unary";
export * from "./eltwise/binary";
export { f32_softmax } from "./eltwise/softmax";
export * from "./eltwise/copy";
export * from "./eltwise/reduce";
export * from "./rnn/rnn";
export { f32_matmul_rows } from "./gemm/matmul";
export { gather32 } from "./transformer/gather";
export { f32_layernorm } from "./transformer/layernorm";
export { f32_attention, f32_attention_scratch_size } from "./transformer/attention";

/** First free byte after the module's static data: the TypeScript allocator starts here. */
export function heap_base(): usize {
  return __heap_base;
}

/** Which binary this is: 0 = SIMD-128, 1 = relaxed SIMD (fused multiply-add). */
export function variant(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
