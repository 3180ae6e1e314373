// GEMM and the unpacked row product without SIMD. The "packed" B is plain: bias [n] (zeros when none), then
// B [k][n] row-major. Rows of C accumulate over k in order (the SIMD builds' order, without their fusing).
import { clampf, ld, st } from "./mem";

export function f32_gemm_packed_size(k: i32, n: i32): i32 {
  return n + k * n;
}

export function f32_gemm_pack(k: i32, n: i32, b: usize, b_row_stride: i32, b_col_stride: i32, bias: usize, packed: usize): void {
  for (let j = 0; j < n; j++) st(packed, j, bias != 0 ? ld(bias, j) : 0);
  for (let kk = 0; kk < k; kk++) {
    for (let j = 0; j < n; j++) st(packed, n + kk * n + j, ld(b, kk * b_row_stride + j * b_col_stride));
  }
}

/** C[i][j] = clamp(bias[j] + sum_kk A[i][kk] * B[kk][j], out_min, out_max). */
export function f32_gemm(m: i32, n: i32, k: i32, a: usize, a_row_stride: i32, packed: usize, c: usize, c_row_stride: i32,
  out_min: f32, out_max: f32): void {
  const bmat = packed + (<usize>n << 2);
  for (let i = 0; i < m; i++) {
    const ci = c + (<usize>(i * c_row_stride) << 2);
    row_product(n, k, a + (<usize>(i * a_row_stride) << 2), bmat, n, ci, packed);
    for (let j = 0; j < n; j++) st(ci, j, clampf(ld(ci, j), out_min, out_max));
  }
}

/** c[0..n) = init[0..n) (or 0 when init = 0) + sum_kk a[kk] * B[kk][0..n), B rows `b_row_stride` floats apart. */
@inline function row_product(n: i32, k: i32, a: usize, b: usize, b_row_stride: i32, c: usize, init: usize): void {
  for (let j = 0; j < n; j++) st(c, j, init != 0 ? ld(init, j) : 0);
  for (let kk = 0; kk < k; kk++) {
    const s = ld(a, kk), brow = b + (<usize>(kk * b_row_stride) << 2);
    for (let j = 0; j < n; j++) st(c, j, ld(c, j) + s * ld(brow, j));
  }
}

/** C = A·B, B row-major and unpacked (docs/kernels.md). */
export function f32_matmul_rows(m: i32, n: i32, k: i32, a: usize, a_row_stride: i32, b: usize, b_row_stride: i32,
  c: usize, c_row_stride: i32): void {
  for (let i = 0; i < m; i++) {
    row_product(n, k, a + (<usize>(i * a_row_stride) << 2), b, b_row_stride, c + (<usize>(i * c_row_stride) << 2), 0);
  }
}

/** The scalar peak: 13 independent c = c * x + y chains, 26 FLOPs per iteration (the SIMD builds count 104). */
export function f32_simd_peak(iterations: i32): f32 {
  const x: f32 = 0.999999, y: f32 = 1e-7;
  let c0: f32 = 0, c1: f32 = 0.1, c2: f32 = 0.2, c3: f32 = 0.3, c4: f32 = 0.4, c5: f32 = 0.5, c6: f32 = 0.6;
  let c7: f32 = 0.7, c8: f32 = 0.8, c9: f32 = 0.9, c10: f32 = 1.0, c11: f32 = 1.1, c12: f32 = 1.2;
  for (let i = 0; i < iterations; i++) {
    c0 = c0 * x + y; c1 = c1 * x + y; c2 = c2 * x + y; c3 = c3 * x + y; c4 = c4 * x + y; c5 = c5 * x + y;
    c6 = c6 * x + y; c7 = c7 * x + y; c8 = c8 * x + y; c9 = c9 * x + y; c10 = c10 * x + y; c11 = c11 * x + y;
    c12 = c12 * x + y;
  }
  return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12;
}
