/** The wasm exports (docs/kernels.md). Pointers are byte addresses; sizes and strides are in elements. */
type Ptr = number;
export interface KernelExports {
  memory: WebAssembly.Memory;
  heap_base(): Ptr;
  /** 0 = SIMD-128, 1 = relaxed SIMD, 2 = scalar (no SIMD). */
  variant(): number;
  f32_gemm_packed_size(k: number, n: number): number;
  f32_gemm_pack(k: number, n: number, b: Ptr, bRowStride: number, bColStride: number, bias: Ptr, packed: Ptr): void;
  f32_gemm(m: number, n: number, k: number, a: Ptr, aRowStride: number, packed: Ptr, c: Ptr, cRowStride: number, outMin: number, outMax: number): void;
  f32_simd_peak(iterations: number): number;
  f32_conv2d_packed_size(kh: number, kw: number, cin: number, cout: number, groups: number): number;
  f32_conv2d_pack(kh: number, kw: number, cin: number, cout: number, groups: number, w: Ptr, bias: Ptr, packed: Ptr): void;
  f32_conv2d_scratch_size(ow: number, kh: number, kw: number, cin: number, cout: number, groups: number): number;
  f32_conv2d(n: number, ih: number, iw: number, cin: number, oh: number, ow: number, cout: number, kh: number, kw: number,
    sh: number, sw: number, dh: number, dw: number, padTop: number, padLeft: number, groups: number,
    input: Ptr, packed: Ptr, output: Ptr, scratch: Ptr, outMin: number, outMax: number): void;
  f32_conv2d_wino_packed_size(cin: number, cout: number): number;
  f32_conv2d_wino_pack(cin: number, cout: number, w: Ptr, bias: Ptr, packed: Ptr): void;
  f32_conv2d_wino_scratch_size(cin: number, cout: number): number;
  f32_conv2d_wino(n: number, ih: number, iw: number, cin: number, oh: number, ow: number, cout: number,
    padTop: number, padLeft: number, input: Ptr, packed: Ptr, output: Ptr, scratch: Ptr, outMin: number, outMax: number): void;
  f32_conv1d_wino_packed_size(kw: number, cin: number, cout: number): number;
  f32_conv1d_wino_pack(kw: number, cin: number, cout: number, w: Ptr, bias: Ptr, packed: Ptr): void;
  f32_conv1d_wino_scratch_size(kw: number, cin: number, cout: number): number;
  f32_conv1d_wino(rows: number, iw: number, cin: number, ow: number, cout: number, kw: number, padLeft: number,
    input: Ptr, packed: Ptr, output: Ptr, scratch: Ptr, outMin: number, outMax: number): void;
  f32_dwconv2d_packed_size(kh: number, kw: number, c: number): number;
  f32_dwconv2d_pack(kh: number, kw: number, c: number, w: Ptr, bias: Ptr, packed: Ptr): void;
  f32_dwconv2d(n: number, ih: number, iw: number, c: number, oh: number, ow: number, kh: number, kw: number,
    sh: number, sw: number, dh: number, dw: number, padTop: number, padLeft: number,
    input: Ptr, packed: Ptr, output: Ptr, outMin: number, outMax: number): void;
  f32_deconv2d_packed_size(kh: number, kw: number, cin: number, cout: number, groups: number): number;
  f32_deconv2d_pack(kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, cin: number, cout: number, groups: number, w: Ptr, bias: Ptr, packed: Ptr): void;
  f32_deconv2d_scratch_size(kh: number, kw: number, cout: number, groups: number): number;
  f32_deconv2d(n: number, ih: number, iw: number, cin: number, oh: number, ow: number, cout: number, kh: number, kw: number,
    sh: number, sw: number, dh: number, dw: number, padTop: number, padLeft: number, groups: number,
    input: Ptr, packed: Ptr, output: Ptr, scratch: Ptr): void;
  f32_resize2d(outer: number, ih: number, iw: number, c: number, oh: number, ow: number, ny: number, yIndex: Ptr, yWeight: Ptr,
    nx: number, xIndex: Ptr, xWeight: Ptr, extrapolation: number, input: Ptr, output: Ptr, scratch: Ptr): void;
  f32_upsample_nearest(outer: number, ih: number, iw: number, c: number, fy: number, fx: number, input: Ptr, output: Ptr): void;
  f32_maxpool2d(n: number, ih: number, iw: number, c: number, oh: number, ow: number, kh: number, kw: number,
    sh: number, sw: number, dh: number, dw: number, padTop: number, padLeft: number, input: Ptr, output: Ptr): void;
  f32_avgpool2d(n: number, ih: number, iw: number, c: number, oh: number, ow: number, kh: number, kw: number,
    sh: number, sw: number, padTop: number, padLeft: number, padBottom: number, padRight: number,
    countIncludePad: number, input: Ptr, output: Ptr): void;
  f32_global_avgpool(n: number, hw: number, c: number, input: Ptr, output: Ptr): void;
  f32_global_maxpool(n: number, hw: number, c: number, input: Ptr, output: Ptr): void;
  f32_channel_affine(outer: number, c: number, inner: number, input: Ptr, scale: Ptr, shift: Ptr, output: Ptr): void;
  f32_unary(op: number, x: Ptr, y: Ptr, n: number, alpha: number, beta: number): void;
  f32_binary(op: number, rank: number, outShape: Ptr, a: Ptr, aStrides: Ptr, b: Ptr, bStrides: Ptr, out: Ptr): void;
  f32_softmax(outer: number, axisLen: number, inner: number, x: Ptr, y: Ptr, log: number): void;
  f32_reduce(op: number, outer: number, n: number, inner: number, x: Ptr, y: Ptr): void;
  copy_strided32(rank: number, shape: Ptr, src: Ptr, srcStrides: Ptr, dst: Ptr, dstStrides: Ptr): void;
  fill32(dst: Ptr, n: number, bits: number): void;
  f32_rnn_packed_size(k: number, h: number, g: number): number;
  f32_rnn_pack(k: number, h: number, g: number, w: Ptr, wRowStride: number, packed: Ptr): void;
  // The recurrent kernels run `steps` time steps per call (assembly/rnn/steps.ts: xStep, hoStep, alternate).
  f32_lstm_steps(steps: number, batch: number, h: number, x: Ptr, xStride: number, xStep: number, hPrev: Ptr, hpStride: number,
    c: Ptr, cStride: number, packed: Ptr, peep: Ptr, clip: number, hOut: Ptr, hoStride: number, hoStep: number, alternate: number,
    gate: number, alpha: number, beta: number): void;
  f32_gru_steps(steps: number, batch: number, h: number, x: Ptr, xStride: number, xStep: number, hPrev: Ptr, hpStride: number,
    packed: Ptr, packedH: Ptr, rbh: Ptr, lbr: number, clip: number, hOut: Ptr, hoStride: number, hoStep: number, alternate: number,
    scratch: Ptr, gate: number, alpha: number, beta: number): void;
  f32_rnn_steps(steps: number, batch: number, h: number, x: Ptr, xStride: number, xStep: number, hPrev: Ptr, hpStride: number,
    packed: Ptr, relu: number, clip: number, hOut: Ptr, hoStride: number, hoStep: number, alternate: number): void;
  f32_matmul_rows(m: number, n: number, k: number, a: Ptr, aRowStride: number, b: Ptr, bRowStride: number, c: Ptr, cRowStride: number): void;
  gather32(outer: number, axisLen: number, inner: number, data: Ptr, ids: Ptr, count: number, out: Ptr): number;
  f32_layernorm(rows: number, n: number, x: Ptr, scale: Ptr, bias: Ptr, eps: number, y: Ptr): void;
  f32_attention_scratch_size(sq: number, skv: number, d: number, dv: number, weights: number): number;
  f32_attention(batch: number, heads: number, sq: number, skv: number, d: number, dv: number, q: Ptr, k: Ptr, v: Ptr, o: Ptr,
    mask: Ptr, maskKind: number, strides: Ptr, scale: number, causal: number, weights: Ptr, scratch: Ptr): void;
}

/** Codes shared with assembly/eltwise/unary.ts. */
export const UnaryOp = {
  identity: 0, relu: 1, clip: 2, leaky_relu: 3, sigmoid: 4, tanh: 5, gelu: 6, gelu_tanh: 7, silu: 8,
  hard_sigmoid: 9, hard_swish: 10, exp: 11, elu: 12, neg: 13, abs: 14, sqrt: 15, log: 16, softplus: 17,
  erf: 18, reciprocal: 19,
} as const;
export type UnaryName = keyof typeof UnaryOp;

export const BinaryOp = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, pow: 6 } as const;
export type BinaryName = keyof typeof BinaryOp;

/** Codes shared with assembly/eltwise/reduce.ts. */
export const ReduceOp = { sum: 0, mean: 1, max: 2 } as const;
