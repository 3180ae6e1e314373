// GEMM and the unpacked row product without SIMD. The packed B is one panel per column: its bias (0 when none),
// then its k values, so C[i][j] is a dot product of two contiguous runs, summed over k in order (the SIMD builds'
// order, without their fusing).
import { clampf, ld, st } from "./mem";

export function f32_gemm_packed_size(k: i32, n: i32): i32 {
  return n * (k + 1);
}

/** Float offset of B[kk][nn] in a packed B of k rows (kk = -1: the bias of column nn). */
@inline export function gemm_packed_index(k: i32, kk: i32, nn: i32): i32 {
  return nn * (k + 1) + kk + 1;
}

/** Packs B whose row kk = ko * k_inner + ki is read at b + 4*(ko*outer_stride + ki*inner_stride + col*col_stride). */
export function gemm_pack(k: i32, k_inner: i32, n: i32, b: usize, outer_stride: i32, inner_stride: i32, col_stride: i32, bias: usize, packed: usize): void {
  for (let j = 0; j < n; j++) {
    st(packed, gemm_packed_index(k, -1, j), bias != 0 ? ld(bias, j) : 0);
    for (let kk = 0; kk < k; kk++) {
      const ko = kk / k_inner, ki = kk - ko * k_inner;
      st(packed, gemm_packed_index(k, kk, j), ld(b, ko * outer_stride + ki * inner_stride + j * col_stride));
    }
  }
}

export function f32_gemm_pack(k: i32, n: i32, b: usize, b_row_stride: i32, b_col_stride: i32, bias: usize, packed: usize): void {
  gemm_pack(k, k, n, b, 0, b_row_stride, b_col_stride, bias, packed);
}

/** C[i][j] = clamp(bias[j] + sum_kk A[i][kk] * B[kk][j], out_min, out_max). */
export function f32_gemm(m: i32, n: i32, k: i32, a: usize, a_row_stride: i32, packed: usize, c: usize, c_row_stride: i32,
  out_min: f32, out_max: f32): void {
  for (let i = 0; i < m; i++) {
    const ai = a + (<usize>(i * a_row_stride) << 2), ci = c + (<usize>(i * c_row_stride) << 2);
    for (let j = 0; j < n; j++) {
      const col = packed + (<usize>gemm_packed_index(k, 0, j) << 2);
      let s = ld(col, -1);
      for (let kk = 0; kk < k; kk++) s += ld(ai, kk) * ld(col, kk);
      st(ci, j, clampf(s, out_min, out_max));
    }
  }
}

/** C = A·B, B row-major and unpacked (docs/kernels.md): rows of C accumulate over k in order. */
export function f32_matmul_rows(m: i32, n: i32, k: i32, a: usize, a_row_stride: i32, b: usize, b_row_stride: i32,
  c: usize, c_row_stride: i32): void {
  for (let i = 0; i < m; i++) {
    const ai = a + (<usize>(i * a_row_stride) << 2), ci = c + (<usize>(i * c_row_stride) << 2);
    for (let j = 0; j < n; j++) st(ci, j, 0);
    for (let kk = 0; kk < k; kk++) {
      const s = ld(ai, kk), brow = b + (<usize>(kk * b_row_stride) << 2);
      for (let j = 0; j < n; j++) st(ci, j, ld(ci, j) + s * ld(brow, j));
    }
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
