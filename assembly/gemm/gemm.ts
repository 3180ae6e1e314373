// f32 GEMM with pre-packed B (weights) and a fused bias + clamp epilogue.
// Baseline: a 4x8 register tile. Packed B layout, per panel of NR columns: NR bias values, then K rows of NR.
import { madd } from "../math/madd";

const MR: i32 = 4;
const NR: i32 = 8;

export function f32_gemm_packed_size(k: i32, n: i32): i32 {
  const panels = (n + NR - 1) / NR;
  return panels * NR * (k + 1);
}

export function f32_gemm_pack(k: i32, n: i32, b: usize, b_row_stride: i32, b_col_stride: i32, bias: usize, packed: usize): void {
  let p = packed;
  for (let j0 = 0; j0 < n; j0 += NR) {
    for (let j = 0; j < NR; j++) {
      const col = j0 + j;
      store<f32>(p + (<usize>j << 2), col < n && bias != 0 ? load<f32>(bias + (<usize>col << 2)) : 0);
    }
    p += <usize>NR << 2;
    for (let kk = 0; kk < k; kk++) {
      for (let j = 0; j < NR; j++) {
        const col = j0 + j;
        const v: f32 = col < n ? load<f32>(b + ((<usize>kk * b_row_stride + <usize>col * b_col_stride) << 2)) : 0;
        store<f32>(p + (<usize>j << 2), v);
      }
      p += <usize>NR << 2;
    }
  }
}

export function f32_gemm(m: i32, n: i32, k: i32, a: usize, a_row_stride: i32, packed: usize, c: usize, c_row_stride: i32, out_min: f32, out_max: f32): void {
  const vmin = f32x4.splat(out_min);
  const vmax = f32x4.splat(out_max);
  const panel_bytes = <usize>NR * (k + 1) << 2;
  for (let j0 = 0; j0 < n; j0 += NR) {
    const w0 = packed + <usize>(j0 / NR) * panel_bytes;
    const nr = min(NR, n - j0);
    for (let i0 = 0; i0 < m; i0 += MR) {
      const mr = min(MR, m - i0);
      // Rows past m re-read the last valid row so loads stay in bounds; their results are not stored.
      const a0 = a + (<usize>i0 * a_row_stride << 2);
      const a1 = a + (<usize>(i0 + min(1, mr - 1)) * a_row_stride << 2);
      const a2 = a + (<usize>(i0 + min(2, mr - 1)) * a_row_stride << 2);
      const a3 = a + (<usize>(i0 + min(3, mr - 1)) * a_row_stride << 2);
      let c00 = v128.load(w0), c01 = v128.load(w0, 16);
      let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
      let w = w0 + (<usize>NR << 2);
      for (let kk = 0; kk < k; kk++) {
        const b0 = v128.load(w), b1 = v128.load(w, 16);
        const off = <usize>kk << 2;
        const x0 = v128.load32_splat(a0 + off), x1 = v128.load32_splat(a1 + off);
        const x2 = v128.load32_splat(a2 + off), x3 = v128.load32_splat(a3 + off);
        c00 = madd(x0, b0, c00); c01 = madd(x0, b1, c01);
        c10 = madd(x1, b0, c10); c11 = madd(x1, b1, c11);
        c20 = madd(x2, b0, c20); c21 = madd(x2, b1, c21);
        c30 = madd(x3, b0, c30); c31 = madd(x3, b1, c31);
        w += <usize>NR << 2;
      }
      const cp = c + ((<usize>i0 * c_row_stride + j0) << 2);
      const cs = <usize>c_row_stride << 2;
      store_row(cp, clamp4(c00, vmin, vmax), clamp4(c01, vmin, vmax), nr);
      if (mr > 1) store_row(cp + cs, clamp4(c10, vmin, vmax), clamp4(c11, vmin, vmax), nr);
      if (mr > 2) store_row(cp + 2 * cs, clamp4(c20, vmin, vmax), clamp4(c21, vmin, vmax), nr);
      if (mr > 3) store_row(cp + 3 * cs, clamp4(c30, vmin, vmax), clamp4(c31, vmin, vmax), nr);
    }
  }
}

@inline function clamp4(v: v128, lo: v128, hi: v128): v128 {
  return f32x4.min(f32x4.max(v, lo), hi);
}

// Stores nr (1..8) values of one tile row; a partial row must not write past column n.
@inline function store_row(p: usize, lo: v128, hi: v128, nr: i32): void {
  if (nr == 8) {
    v128.store(p, lo);
    v128.store(p, hi, 16);
    return;
  }
  if (nr >= 4) {
    v128.store(p, lo);
    p += 16;
    nr -= 4;
    lo = hi;
  }
  if (nr >= 2) {
    v128.store64_lane(p, lo, 0);
    p += 8;
    nr -= 2;
    lo = v64x2_high(lo);
  }
  if (nr == 1) v128.store32_lane(p, lo, 0);
}

@inline function v64x2_high(v: v128): v128 {
  return i64x2.shuffle(v, v, 1, 1);
}

/** The SIMD-128 peak: 8 independent multiply-add chains of f32x4. FLOPs = iterations * 8 chains * 4 lanes * 2. */
export function f32_simd_peak(iterations: i32): f32 {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0.1), c2 = f32x4.splat(0.2), c3 = f32x4.splat(0.3);
  let c4 = f32x4.splat(0.4), c5 = f32x4.splat(0.5), c6 = f32x4.splat(0.6), c7 = f32x4.splat(0.7);
  const x = f32x4.splat(0.999999), y = f32x4.splat(1e-7);
  for (let i = 0; i < iterations; i++) {
    c0 = madd(c0, x, y); c1 = madd(c1, x, y); c2 = madd(c2, x, y); c3 = madd(c3, x, y);
    c4 = madd(c4, x, y); c5 = madd(c5, x, y); c6 = madd(c6, x, y); c7 = madd(c7, x, y);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(s, 0);
}
