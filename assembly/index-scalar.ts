// edgenn kernels without SIMD: the same exports, names and signatures as assembly/index.ts (test/scalar-build.test.mjs
// holds them equal), for engines that have no wasm SIMD. Packed weight layouts are this build's own; activation
// layouts are the ones the TypeScript side decides. See docs/kernels.md, "The scalar build".
export * from "./scalar/gemm";
export * from "./scalar/conv";
export * from "./scalar/pool";
export * from "./scalar/eltwise";
export * from "./scalar/rnn";
export * from "./scalar/transformer";

/** First free byte after the module's static data: the TypeScript allocator starts here. */
export function heap_base(): usize {
  return __heap_base;
}

/** Which binary this is: 0 = SIMD-128, 1 = relaxed SIMD, 2 = scalar (no SIMD). */
export function variant(): i32 {
  return 2;
}

// Op codes and limits the SIMD builds export as globals; v128-free, so taken from their files.
export { UnaryOp } from "./eltwise/unary";
export { BinaryOp, BINARY_MAX_RANK } from "./eltwise/binary";
export { ReduceOp } from "./eltwise/reduce";
export { COPY_MAX_RANK } from "./eltwise/copy";
export { GATE_SIGMOID, GATE_HARD_SIGMOID } from "./rnn/rnn";
