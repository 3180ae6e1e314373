// C = A · B for a few rows of A, straight from a row-major B: no packing. The packed GEMM (gemm.ts) needs B
// packed first, which costs as much as the product when A has fewer rows than its 4-row tile; a MatMul of two
// run-time operands (attention scores, a batch-1 projection) then runs here instead.
// Each row of C: 16 columns at a time (four accumulators), then 4, then a partial vector; the sum runs over
// k = 0, 1, 2, ... from zero, the order of f32_gemm with no bias (same madd), so both give the same bits.
import { madd } from "../math/madd";
import { load_partial, store_partial } from "../util/lanes";

/**
 * C[i][j] = sum_kk A[i][kk] * B[kk][j] for i < m, j < n. A[i][kk] at a + 4*(i*a_row_stride + kk),
 * B[kk][j] at b + 4*(kk*b_row_stride + j), C[i][j] at c + 4*(i*c_row_stride + j). C must not overlap A or B.
 */
export function f32_matmul_rows(m: i32, n: i32, k: i32, a: usize, a_row_stride: i32, b: usize, b_row_stride: i32, c: usize, c_row_stride: i32): void {
  const sb = <usize>b_row_stride << 2;
  const n16 = n & ~15, n4 = n & ~3, r = n & 3;
  const z = f32x4.splat(0);
  for (let i = 0; i < m; i++) {
    const ar = a + (<usize>i * a_row_stride << 2), cr = c + (<usize>i * c_row_stride << 2);
    const aend = ar + (<usize>k << 2);
    let j = 0;
    for (; j < n16; j += 16) {
      let c0 = z, c1 = z, c2 = z, c3 = z;
      let w = b + (<usize>j << 2);
      for (let p = ar; p < aend; p += 4, w += sb) {
        const x = v128.load32_splat(p);
        c0 = madd(x, v128.load(w), c0); c1 = madd(x, v128.load(w, 16), c1);
        c2 = madd(x, v128.load(w, 32), c2); c3 = madd(x, v128.load(w, 48), c3);
      }
      const o = cr + (<usize>j << 2);
      v128.store(o, c0); v128.store(o, c1, 16); v128.store(o, c2, 32); v128.store(o, c3, 48);
    }
    for (; j < n4; j += 4) {
      let c0 = z;
      let w = b + (<usize>j << 2);
      for (let p = ar; p < aend; p += 4, w += sb) c0 = madd(v128.load32_splat(p), v128.load(w), c0);
      v128.store(cr + (<usize>j << 2), c0);
    }
    if (r) {
      let c0 = z;
      let w = b + (<usize>j << 2);
      for (let p = ar; p < aend; p += 4, w += sb) c0 = madd(v128.load32_splat(p), load_partial(w, r), c0);
      store_partial(cr + (<usize>j << 2), c0, r);
    }
  }
}
