// f32 GEMM with pre-packed B (weights) and a fused bias + clamp epilogue.
//
// C[m][n] = clamp(bias + A[m][k] * B[k][n]). Design, tuned for V8 on x64 (15 allocatable xmm registers):
//   - Register tile MR x NR = 4 x 8: 8 f32x4 accumulators + 2 B vectors + 4 A splats + 1 product = 15 registers.
//     One k step = 2 v128 loads of B, 4 load32_splat of A (vbroadcastss from memory: no shuffle), 8 madd and
//     5 pointer bumps. Bigger tiles (5x8, 6x8, 3x12, 8x4) spill and measured slower, 2x16 ties. Unrolling k
//     does not help either: binaryen nests the unrolled updates of each accumulator into one expression, so
//     all unrolled A and B values are live at once and spill.
//     The SIMD-128 build issues ~29 x64 instructions per 16 FP operations and is front-end bound at ~80% of
//     f32_simd_peak; with relaxed_madd (8 FMAs per step) the relaxed build reaches ~90%.
//   - Packed B: ceil(n/8) panels; a panel is [8 bias][k rows of 8], zero-padded past n. Only gemm_pack writes it
//     (conv weights go through its two-level K strides), so it can change freely.
//   - Cache blocking: k in near-equal blocks of <= KC (the panel slice of a block stays in L1 while the 4x8 tiles
//     walk down M), M in blocks of MC rows (the A block stays in L2 while all panels pass over it). A later k
//     block reloads the partial sums from C; the clamp is applied once, after the last. The summation order is
//     the same with or without blocking (bias, then k = 0, 1, 2, ...), and in the GEMV path.
//   - m == 1 (GEMV, batch-1 dense layers): three panels at a time, 6 independent accumulator chains.
//   - Tails: rows past m alias the last valid row (its values are computed and stored twice, no branches);
//     columns past n are zero in the packed B, computed, and not stored (partial lane stores). A, B and the
//     packed B are never read outside their elements, C is never written outside [m][n].
//   - madd() fuses to f32x4.relaxed_madd in the relaxed build.
import { madd } from "../math/madd";
import { clamp4 } from "../util/lanes";

/** Rows of A per register tile. */
const MR: i32 = 4;
/** Columns of B per register tile and per packed panel. */
const NR: i32 = 8;
/** Largest k block: a panel slice of KC rows (KC * 32 bytes = 16 KB) plus 4 rows of A (8 KB) stay in L1. */
const KC: i32 = 512;
/** Rows of A per M block: MC * KC * 4 bytes (256 KB) stays in L2 while all panels pass over it. */
const MC: i32 = 128;

/** Floats needed for a packed B of k rows and n columns, bias included. */
export function f32_gemm_packed_size(k: i32, n: i32): i32 {
  return (n + NR - 1) / NR * NR * (k + 1);
}

/**
 * Packs B (k x n, B[kk][nn] at b + 4*(kk*b_row_stride + nn*b_col_stride)) and an optional bias (0 = none)
 * into `packed` (f32_gemm_packed_size(k, n) floats).
 */
export function f32_gemm_pack(k: i32, n: i32, b: usize, b_row_stride: i32, b_col_stride: i32, bias: usize, packed: usize): void {
  gemm_pack(k, k, n, b, 0, b_row_stride, b_col_stride, bias, packed);
}

/**
 * Float offset of B[kk][nn] in a packed B of k rows (kk = -1: the bias of column nn), for packers that
 * compute B on the fly instead of reading it (Winograd-transformed conv weights).
 */
@inline export function gemm_packed_index(k: i32, kk: i32, nn: i32): i32 {
  return (nn >> 3) * NR * (k + 1) + (kk + 1) * NR + (nn & (NR - 1));
}

/**
 * Packs B whose K index splits in two: row kk = ko * k_inner + ki is read at b + 4*(ko*outer_stride +
 * ki*inner_stride + col*col_stride). Conv weights in OIHW order packed for a tap-major im2col use it
 * (ko = tap, ki = input channel); a plain matrix is the case k_inner = k.
 */
export function gemm_pack(k: i32, k_inner: i32, n: i32, b: usize, outer_stride: i32, inner_stride: i32, col_stride: i32, bias: usize, packed: usize): void {
  let p = packed;
  for (let j0 = 0; j0 < n; j0 += NR) {
    for (let j = 0; j < NR; j++) {
      const col = j0 + j;
      store<f32>(p + (<usize>j << 2), col < n && bias != 0 ? load<f32>(bias + (<usize>col << 2)) : 0);
    }
    p += <usize>NR << 2;
    const full = j0 + NR <= n;
    for (let kk = 0; kk < k; kk++) {
      const ko = kk / k_inner, ki = kk - ko * k_inner;
      const row = b + ((<usize>ko * outer_stride + <usize>ki * inner_stride + <usize>j0 * col_stride) << 2);
      if (col_stride == 1 && full) {
        // Full panel of a row-major B: two v128 per row.
        v128.store(p, v128.load(row));
        v128.store(p, v128.load(row, 16), 16);
      } else {
        for (let j = 0; j < NR; j++) {
          store<f32>(p + (<usize>j << 2), j0 + j < n ? load<f32>(row + (<usize>j * col_stride << 2)) : 0);
        }
      }
      p += <usize>NR << 2;
    }
  }
}

/**
 * C[i][j] = clamp(bias[j] + sum_kk A[i][kk] * B[kk][j], out_min, out_max) for i < m, j < n.
 * A[i][kk] at a + 4*(i*a_row_stride + kk), C[i][j] at c + 4*(i*c_row_stride + j), B packed by f32_gemm_pack.
 * k = 0 gives clamp(bias).
 */
export function f32_gemm(m: i32, n: i32, k: i32, a: usize, a_row_stride: i32, packed: usize, c: usize, c_row_stride: i32, out_min: f32, out_max: f32): void {
  if (m <= 0 || n <= 0) return;
  if (k < 0) k = 0;
  const vmin = f32x4.splat(out_min), vmax = f32x4.splat(out_max);
  const panel_bytes = <usize>NR * (k + 1) << 2;
  const sa = <usize>a_row_stride << 2, sc = <usize>c_row_stride << 2;
  if (m == 1) {
    f32_gemv_minmax_1x24(n, k, a, packed, panel_bytes, c, vmin, vmax);
    return;
  }
  // k blocks of near-equal size (1152 = 3 x 384, not 512 + 512 + 128).
  const kblocks = k > KC ? (k + KC - 1) / KC : 1;
  const kcb = (k + kblocks - 1) / kblocks;
  let k0 = 0;
  do {
    const kc = min(kcb, k - k0);
    const first = k0 == 0, last = k0 + kc >= k;
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mc = min(MC, m - i0);
      const ab = a + <usize>i0 * sa + (<usize>k0 << 2);
      const cb = c + <usize>i0 * sc;
      let panel = packed;
      for (let j0 = 0; j0 < n; j0 += NR) {
        f32_gemm_minmax_4x8(mc, min(NR, n - j0), kc, ab, sa, panel, k0, cb + (<usize>j0 << 2), sc, !first, last, vmin, vmax);
        panel += panel_bytes;
      }
    }
    k0 += kc;
  } while (k0 < k);
}

/**
 * One panel (nr <= 8 columns) of C for mc rows, in 4x8 register tiles:
 * C[0..mc)[0..nr) (+)= A[0..mc)[k0..k0+kc) * B[k0..k0+kc)[panel].
 * a points at A[0][k0], c at C[0][panel's first column], panel at the packed panel (its bias first).
 * The accumulators start from the bias, or from C when `accumulate` (a later k block); `clamp` on the last one.
 */
function f32_gemm_minmax_4x8(mc: i32, nr: i32, kc: i32, a: usize, sa: usize, panel: usize, k0: i32, c: usize, sc: usize, accumulate: bool, clamp: bool, vmin: v128, vmax: v128): void {
  const wstart = panel + (<usize>(k0 + 1) << 5);
  const wend = wstart + (<usize>kc << 5);
  for (let i = 0; i < mc; i += MR) {
    const mr = mc - i;
    // Rows past mr alias the last valid row (stride 0): they recompute and re-store that row's values.
    // Adds, not selects: V8 then knows the pointers are zero-extended and uses them in addressing directly.
    const sa1 = mr > 1 ? sa : 0, sa2 = mr > 2 ? sa : 0, sa3 = mr > 3 ? sa : 0;
    const sc1 = mr > 1 ? sc : 0, sc2 = mr > 2 ? sc : 0, sc3 = mr > 3 ? sc : 0;
    const a0 = a + <usize>i * sa, a1 = a0 + sa1, a2 = a1 + sa2, a3 = a2 + sa3;
    const c0 = c + <usize>i * sc, c1 = c0 + sc1, c2 = c1 + sc2, c3 = c2 + sc3;
    let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
    if (!accumulate) {
      c00 = v128.load(panel);
      c01 = v128.load(panel, 16);
      c10 = c00; c11 = c01; c20 = c00; c21 = c01; c30 = c00; c31 = c01;
    } else if (nr == NR) {
      c00 = v128.load(c0); c01 = v128.load(c0, 16);
      c10 = v128.load(c1); c11 = v128.load(c1, 16);
      c20 = v128.load(c2); c21 = v128.load(c2, 16);
      c30 = v128.load(c3); c31 = v128.load(c3, 16);
    } else {
      c00 = load_part(c0, nr); c01 = load_part(c0 + 16, nr - 4);
      c10 = load_part(c1, nr); c11 = load_part(c1 + 16, nr - 4);
      c20 = load_part(c2, nr); c21 = load_part(c2 + 16, nr - 4);
      c30 = load_part(c3, nr); c31 = load_part(c3 + 16, nr - 4);
    }
    let p0 = a0, p1 = a1, p2 = a2, p3 = a3;
    let w = wstart;
    while (w < wend) {
      const b0 = v128.load(w), b1 = v128.load(w, 16);
      const x0 = v128.load32_splat(p0);
      c00 = madd(x0, b0, c00); c01 = madd(x0, b1, c01);
      const x1 = v128.load32_splat(p1);
      c10 = madd(x1, b0, c10); c11 = madd(x1, b1, c11);
      const x2 = v128.load32_splat(p2);
      c20 = madd(x2, b0, c20); c21 = madd(x2, b1, c21);
      const x3 = v128.load32_splat(p3);
      c30 = madd(x3, b0, c30); c31 = madd(x3, b1, c31);
      p0 += 4; p1 += 4; p2 += 4; p3 += 4;
      w += NR << 2;
    }
    if (clamp) {
      c00 = clamp4(c00, vmin, vmax); c01 = clamp4(c01, vmin, vmax);
      c10 = clamp4(c10, vmin, vmax); c11 = clamp4(c11, vmin, vmax);
      c20 = clamp4(c20, vmin, vmax); c21 = clamp4(c21, vmin, vmax);
      c30 = clamp4(c30, vmin, vmax); c31 = clamp4(c31, vmin, vmax);
    }
    if (nr == NR) {
      v128.store(c3, c30); v128.store(c3, c31, 16);
      v128.store(c2, c20); v128.store(c2, c21, 16);
      v128.store(c1, c10); v128.store(c1, c11, 16);
      v128.store(c0, c00); v128.store(c0, c01, 16);
    } else {
      store_row(c3, c30, c31, nr);
      store_row(c2, c20, c21, nr);
      store_row(c1, c10, c11, nr);
      store_row(c0, c00, c01, nr);
    }
  }
}

/**
 * m == 1: C[0][0..n) = clamp(bias + a[0..k) * B). Three panels (24 columns) at a time: 6 independent
 * accumulator chains hide the add latency, which the single row of a GEMV cannot. In the last group the missing
 * panels alias the previous one and are not stored. Same summation order as the 4x8 kernel.
 */
function f32_gemv_minmax_1x24(n: i32, k: i32, a: usize, packed: usize, panel_bytes: usize, c: usize, vmin: v128, vmax: v128): void {
  const panels = (n + NR - 1) / NR;
  const aend = a + (<usize>k << 2);
  let group = packed;
  let cp = c;
  for (let p = 0; p < panels; p += 3) {
    const np = panels - p;
    const pb1 = np > 1 ? panel_bytes : 0, pb2 = np > 2 ? panel_bytes : 0;
    let w0 = group, w1 = w0 + pb1, w2 = w1 + pb2;
    let c00 = v128.load(w0), c01 = v128.load(w0, 16);
    let c10 = v128.load(w1), c11 = v128.load(w1, 16);
    let c20 = v128.load(w2), c21 = v128.load(w2, 16);
    w0 += NR << 2; w1 += NR << 2; w2 += NR << 2;
    let ap = a;
    while (ap < aend) {
      const x = v128.load32_splat(ap);
      c00 = madd(x, v128.load(w0), c00); c01 = madd(x, v128.load(w0, 16), c01);
      c10 = madd(x, v128.load(w1), c10); c11 = madd(x, v128.load(w1, 16), c11);
      c20 = madd(x, v128.load(w2), c20); c21 = madd(x, v128.load(w2, 16), c21);
      ap += 4;
      w0 += NR << 2; w1 += NR << 2; w2 += NR << 2;
    }
    c00 = clamp4(c00, vmin, vmax); c01 = clamp4(c01, vmin, vmax);
    c10 = clamp4(c10, vmin, vmax); c11 = clamp4(c11, vmin, vmax);
    c20 = clamp4(c20, vmin, vmax); c21 = clamp4(c21, vmin, vmax);
    const rem = n - p * NR;
    if (rem >= 3 * NR) {
      v128.store(cp, c00); v128.store(cp, c01, 16);
      v128.store(cp, c10, 32); v128.store(cp, c11, 48);
      v128.store(cp, c20, 64); v128.store(cp, c21, 80);
    } else {
      store_row(cp, c00, c01, min(rem, NR));
      if (rem > NR) store_row(cp + 32, c10, c11, min(rem - NR, NR));
      if (rem > 2 * NR) store_row(cp + 64, c20, c21, rem - 2 * NR);
    }
    cp += 3 * NR << 2;
    group += panel_bytes * 3;
  }
}

// The low cnt floats at p (cnt <= 0: none, >= 4: all four), zeros elsewhere; never reads past them.
@inline function load_part(p: usize, cnt: i32): v128 {
  if (cnt >= 4) return v128.load(p);
  if (cnt <= 0) return f32x4.splat(0);
  if (cnt == 1) return v128.load32_zero(p);
  const lo = v128.load64_zero(p);
  return cnt == 2 ? lo : v128.load32_lane(p + 8, lo, 2);
}

// Stores nr (1..8) values of one tile row; a partial row must not write past column n.
@inline function store_row(p: usize, lo: v128, hi: v128, nr: i32): void {
  if (nr >= 4) {
    v128.store(p, lo);
    if (nr == 8) {
      v128.store(p, hi, 16);
      return;
    }
    p += 16;
    nr -= 4;
    lo = hi;
  }
  if (nr >= 2) {
    v128.store64_lane(p, lo, 0);
    p += 8;
    nr -= 2;
    lo = i64x2.shuffle(lo, lo, 1, 1);
  }
  if (nr == 1) v128.store32_lane(p, lo, 0);
}

/** The multiplier and addend of f32_simd_peak, in memory so V8 keeps them in registers instead of re-splatting. */
const PEAK_CONSTS = memory.data<f32>([0.999999, 1e-7]);

/**
 * The SIMD-128 peak: 13 independent chains c = c * x + y of f32x4 (madd, so fused in the relaxed build).
 * FLOPs = iterations * 13 chains * 4 lanes * 2 = iterations * 104.
 * Why 13: the chain's latency is mul + add (~6 cycles on x64) and two multiply-adds issue per cycle, so >= 12
 * chains are needed to saturate; 13 chains + x + y fill V8's 15 xmm registers (14 chains would spill).
 * The result keeps the loop alive (check the .wat: the loop body has 13 mul+add or 13 relaxed_madd).
 */
export function f32_simd_peak(iterations: i32): f32 {
  const x = v128.load32_splat(PEAK_CONSTS), y = v128.load32_splat(PEAK_CONSTS, 4);
  let c0 = f32x4.add(y, f32x4.splat(0.0)), c1 = f32x4.add(y, f32x4.splat(0.1)), c2 = f32x4.add(y, f32x4.splat(0.2));
  let c3 = f32x4.add(y, f32x4.splat(0.3)), c4 = f32x4.add(y, f32x4.splat(0.4)), c5 = f32x4.add(y, f32x4.splat(0.5));
  let c6 = f32x4.add(y, f32x4.splat(0.6)), c7 = f32x4.add(y, f32x4.splat(0.7)), c8 = f32x4.add(y, f32x4.splat(0.8));
  let c9 = f32x4.add(y, f32x4.splat(0.9)), c10 = f32x4.add(y, f32x4.splat(1.0)), c11 = f32x4.add(y, f32x4.splat(1.1));
  let c12 = f32x4.add(y, f32x4.splat(1.2));
  for (let i = 0; i < iterations; i++) {
    c0 = madd(c0, x, y); c1 = madd(c1, x, y); c2 = madd(c2, x, y); c3 = madd(c3, x, y);
    c4 = madd(c4, x, y); c5 = madd(c5, x, y); c6 = madd(c6, x, y); c7 = madd(c7, x, y);
    c8 = madd(c8, x, y); c9 = madd(c9, x, y); c10 = madd(c10, x, y); c11 = madd(c11, x, y);
    c12 = madd(c12, x, y);
  }
  let s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  s = f32x4.add(s, f32x4.add(f32x4.add(c8, c9), f32x4.add(f32x4.add(c10, c11), c12)));
  return f32x4.extract_lane(s, 0);
}
