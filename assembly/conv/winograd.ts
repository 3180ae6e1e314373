// Winograd F(4x4, 3x3) convolution, NHWC: 3x3 kernels, stride 1, dilation 1, one group (docs/kernels.md);
// and F(4, 3) for 1-D kernels of any width (below, "1-D").
//
// A 4x4 output tile comes from a 6x6 input tile d: Y = A^T [(G g G^T) ⊙ (B^T d B)] A (Lavin & Gray, 2015), so
// 36 multiplications per tile and channel pair instead of 16 * 9 = 144. The 36 element-wise products summed over
// input channels are 36 GEMMs ("Winograd as GEMM"), run by f32_gemm's packed 4x8 kernel:
//
//   packed = [bias: cout4][U_0][U_1] ... [U_35]     U_p: f32_gemm packed B (cin x cout, zero bias), U_p[ci][o] =
//                                                   (G g G^T)[p] of the 3x3 kernel g = w[o][ci], p = 6*row + col
//   for each block of T tiles (tiles flat over n, tile row, tile column; T = wino_block_tiles):
//     V[p][t][0..cin4) = (B^T d_t B)[p]             input transform, 4 channels per v128
//     M[p] = V[p] · U_p               p = 0..35     f32_gemm: T x cout x cin
//     tile t of the output = clamp(A^T M[.][t] A + bias), rows and columns past oh, ow not stored
//
// Out-of-image taps read a zeroed cin4 buffer instead of the input (a per-tap pointer), so any padding works
// and the tiles at the border need no other code. The weight transform is done in f64 once, at pack time.
// Accuracy: the transforms use the points 0, ±1, ±2 (A^T has entries up to 8, G down to 1/24), and an output's
// rounding error comes from its whole tile: on ResNet-18's layers it is <= 3.8e-6 of the layer's largest output
// (bench/RESULTS.md), a few times that of the direct (im2col) path.
import { f32_gemm, f32_gemm_packed_size, gemm_packed_index } from "../gemm/gemm";
import { madd } from "../math/madd";
import { clamp4, load_partial, store_partial } from "../util/lanes";
import { zero_f32 } from "./util";

/** Transform positions: a 6x6 tile. */
const POS: i32 = 36;
/** Bytes of one row of 6 v128 in the transforms' temporary tile. */
const TMP_ROW: usize = 6 * 16;
/**
 * Floats of V and M per block of tiles: 128K floats (512 KB), so the block (written by the input transform,
 * read by the GEMMs, then by the output transform) stays in L2 between the three passes.
 */
const BLOCK_FLOATS: i32 = 131072;
const BLOCK_TILES_MIN: i32 = 4;
const BLOCK_TILES_MAX: i32 = 256;

/** G of F(4x4, 3x3), 6 x 3, row-major. */
const G = memory.data<f64>([
  1.0 / 4, 0, 0,
  -1.0 / 6, -1.0 / 6, -1.0 / 6,
  -1.0 / 6, 1.0 / 6, -1.0 / 6,
  1.0 / 24, 1.0 / 12, 1.0 / 6,
  1.0 / 24, -1.0 / 12, 1.0 / 6,
  0, 0, 1,
]);
/** G g of one kernel (6 x 3), while packing. */
const GG = memory.data(6 * 3 * 8, 8);

@inline function g_at(r: i32, c: i32): f64 { return load<f64>(G + (<usize>(r * 3 + c) << 3)); }

/** Tiles per block for cin and cout channels: V and M of the block fill BLOCK_FLOATS (a multiple of 4, 4..256). */
export function wino_block_tiles(cin: i32, cout: i32): i32 {
  const per_tile = POS * (((cin + 3) & ~3) + ((cout + 3) & ~3));
  return min(BLOCK_TILES_MAX, max(BLOCK_TILES_MIN, (BLOCK_FLOATS / per_tile) & ~3));
}

/** Floats of packed weights for f32_conv2d_wino_pack. */
export function f32_conv2d_wino_packed_size(cin: i32, cout: i32): i32 {
  return ((cout + 3) & ~3) + POS * f32_gemm_packed_size(cin, cout);
}

/** Packs OIHW 3x3 weights w [cout][cin][3][3] and bias [cout] (0 = none) for f32_conv2d_wino. */
export function f32_conv2d_wino_pack(cin: i32, cout: i32, w: usize, bias: usize, packed: usize): void {
  const cout4 = (cout + 3) & ~3;
  for (let o = 0; o < cout4; o++) {
    store<f32>(packed + (<usize>o << 2), o < cout && bias != 0 ? load<f32>(bias + (<usize>o << 2)) : 0);
  }
  const u0 = packed + (<usize>cout4 << 2);
  const pos_floats = f32_gemm_packed_size(cin, cout);
  memory.fill(u0, 0, <usize>POS * pos_floats << 2); // bias rows and padding columns stay 0
  for (let o = 0; o < cout; o++) {
    for (let ci = 0; ci < cin; ci++) {
      const g = w + (<usize>(o * cin + ci) * 9 << 2);
      // GG = G g (6 x 3), then U = GG G^T (6 x 6), in f64: one rounding per weight.
      for (let r = 0; r < 6; r++) {
        for (let c = 0; c < 3; c++) {
          let s: f64 = 0;
          for (let k = 0; k < 3; k++) s += g_at(r, k) * <f64>load<f32>(g + (<usize>(k * 3 + c) << 2));
          store<f64>(GG + (<usize>(r * 3 + c) << 3), s);
        }
      }
      const at = gemm_packed_index(cin, ci, o);
      for (let r = 0; r < 6; r++) {
        for (let c = 0; c < 6; c++) {
          let s: f64 = 0;
          for (let k = 0; k < 3; k++) s += load<f64>(GG + (<usize>(r * 3 + k) << 3)) * g_at(c, k);
          store<f32>(u0 + (<usize>((r * 6 + c) * pos_floats + at) << 2), <f32>s);
        }
      }
    }
  }
}

/** Floats of scratch for f32_conv2d_wino: a zero row, the transforms' temporary tile, V and M of one block. */
export function f32_conv2d_wino_scratch_size(cin: i32, cout: i32): i32 {
  const cin4 = (cin + 3) & ~3, cout4 = (cout + 3) & ~3;
  return cin4 + POS * cin4 + POS * wino_block_tiles(cin, cout) * (cin4 + cout4);
}

/**
 * output[n][oh][ow][cout] = clamp(bias + conv3x3(input[n][ih][iw][cin], w), out_min, out_max), stride 1,
 * dilation 1: the same result as f32_conv2d with kh = kw = 3 (up to rounding). Tap (dy, dx) of output pixel
 * (oy, ox) reads input (oy - pad_top + dy, ox - pad_left + dx); taps outside the image read 0.
 */
export function f32_conv2d_wino(n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, cout: i32,
                                pad_top: i32, pad_left: i32, input: usize, packed: usize, output: usize,
                                scratch: usize, out_min: f32, out_max: f32): void {
  if (n <= 0 || oh <= 0 || ow <= 0 || cout <= 0) return;
  const cin4 = (cin + 3) & ~3, cout4 = (cout + 3) & ~3;
  const block = wino_block_tiles(cin, cout);
  const tiles_x = (ow + 3) >> 2, tiles_img = ((oh + 3) >> 2) * tiles_x, total = n * tiles_img;
  const zero = scratch;
  const tmp = zero + (<usize>cin4 << 2);
  const v = tmp + (<usize>(POS * cin4) << 2);
  const m = v + (<usize>(POS * block * cin4) << 2);
  const v_pos = <usize>(block * cin4) << 2, m_pos = <usize>(block * cout4) << 2; // bytes between positions
  const u_pos = <usize>f32_gemm_packed_size(cin, cout) << 2;
  const u0 = packed + (<usize>cout4 << 2);
  const in_px = <usize>cin << 2, out_px = <usize>cout << 2;
  const vmin = f32x4.splat(out_min), vmax = f32x4.splat(out_max);
  zero_f32(zero, cin4);
  for (let t0 = 0; t0 < total; t0 += block) {
    const tiles = min(block, total - t0);
    for (let t = 0; t < tiles; t++) {
      const tt = t0 + t, b = tt / tiles_img, r = tt - b * tiles_img, ty = r / tiles_x, tx = r - ty * tiles_x;
      const img = input + <usize>b * ih * iw * in_px;
      wino_input_tile(img, ih, iw, cin, (ty << 2) - pad_top, (tx << 2) - pad_left, zero, tmp,
                      v + (<usize>(t * cin4) << 2), v_pos);
    }
    for (let p = 0; p < POS; p++) {
      f32_gemm(tiles, cout, cin, v + <usize>p * v_pos, cin4, u0 + <usize>p * u_pos, m + <usize>p * m_pos, cout4,
               -Infinity, Infinity);
    }
    for (let t = 0; t < tiles; t++) {
      const tt = t0 + t, b = tt / tiles_img, r = tt - b * tiles_img, ty = r / tiles_x, tx = r - ty * tiles_x;
      const oy0 = ty << 2, ox0 = tx << 2;
      const dst = output + (<usize>((b * oh + oy0) * ow + ox0) * out_px);
      wino_output_tile(m + (<usize>(t * cout4) << 2), m_pos, cout, packed, tmp, dst, <usize>ow * out_px, out_px,
                       min(4, oh - oy0), min(4, ow - ox0), vmin, vmax);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// 1-D: F(4, 3) with the kernel split into groups of three taps
//
// A 1 x kw kernel is q = ceil(kw / 3) groups of 3 taps (zero taps past kw): y[x] = sum_g conv3(in shifted by 3g,
// w[3g .. 3g+2]), and each 3-tap conv is F(4, 3): 6 multiplications per 4 outputs instead of 12 (kw = 9, 15:
// half the multiplications of the direct conv). The groups add up in the transformed domain, so they are the
// K dimension of 6 GEMMs, K = q * cin4 (channels padded to 4 with zero weights):
//   packed = [bias: cout4][U_0] ... [U_5]     U_p[g*cin4 + ci][o] = (G w[o][ci][3g .. 3g+2])[p]
//   V[p][t][g*cin4 + ci] = (B^T d)[p], d = the 6 inputs from 4*tx - pad_left + 3g of the tile's row
//   M[p] = V[p] · U_p; output = clamp(A^T M[.][t] + bias)
// Rows (n * height of a 2-D image with a 1 x kw kernel) are independent signals.

/** K of the 1-D GEMMs: groups of 3 taps times the padded input channels. */
@inline function k1d(kw: i32, cin: i32): i32 { return (kw + 2) / 3 * ((cin + 3) & ~3); }

/** Tiles per block of the 1-D kernel: V and M fill BLOCK_FLOATS (a multiple of 4, 4..256). */
function wino1d_block_tiles(kw: i32, cin: i32, cout: i32): i32 {
  const per_tile = 6 * (k1d(kw, cin) + ((cout + 3) & ~3));
  return min(BLOCK_TILES_MAX, max(BLOCK_TILES_MIN, (BLOCK_FLOATS / per_tile) & ~3));
}

/** Floats of packed weights for f32_conv1d_wino_pack. */
export function f32_conv1d_wino_packed_size(kw: i32, cin: i32, cout: i32): i32 {
  return ((cout + 3) & ~3) + 6 * f32_gemm_packed_size(k1d(kw, cin), cout);
}

/** Packs weights w [cout][cin][kw] (OIHW with kh = 1) and bias [cout] (0 = none) for f32_conv1d_wino. */
export function f32_conv1d_wino_pack(kw: i32, cin: i32, cout: i32, w: usize, bias: usize, packed: usize): void {
  const cin4 = (cin + 3) & ~3, cout4 = (cout + 3) & ~3, k = k1d(kw, cin);
  for (let o = 0; o < cout4; o++) {
    store<f32>(packed + (<usize>o << 2), o < cout && bias != 0 ? load<f32>(bias + (<usize>o << 2)) : 0);
  }
  const u0 = packed + (<usize>cout4 << 2);
  const pos_floats = f32_gemm_packed_size(k, cout);
  memory.fill(u0, 0, <usize>6 * pos_floats << 2); // padding channels, taps past kw and bias rows stay 0
  for (let o = 0; o < cout; o++) {
    for (let ci = 0; ci < cin; ci++) {
      const taps = w + (<usize>(o * cin + ci) * kw << 2);
      for (let t0 = 0; t0 < kw; t0 += 3) {
        const at = gemm_packed_index(k, t0 / 3 * cin4 + ci, o);
        for (let p = 0; p < 6; p++) {
          let s: f64 = 0;
          for (let d = 0; d < 3 && t0 + d < kw; d++) s += g_at(p, d) * <f64>load<f32>(taps + (<usize>(t0 + d) << 2));
          store<f32>(u0 + (<usize>(p * pos_floats + at) << 2), <f32>s);
        }
      }
    }
  }
}

/** Floats of scratch for f32_conv1d_wino: a zero row, V and M of one block. */
export function f32_conv1d_wino_scratch_size(kw: i32, cin: i32, cout: i32): i32 {
  return ((cin + 3) & ~3) + 6 * wino1d_block_tiles(kw, cin, cout) * (k1d(kw, cin) + ((cout + 3) & ~3));
}

/**
 * output[rows][ow][cout] = clamp(bias + conv1d(input[rows][iw][cin], w), out_min, out_max), stride 1,
 * dilation 1: tap dx of output x reads input x - pad_left + dx (0 outside [0, iw)), as f32_conv2d with kh = 1.
 */
export function f32_conv1d_wino(rows: i32, iw: i32, cin: i32, ow: i32, cout: i32, kw: i32, pad_left: i32,
                                input: usize, packed: usize, output: usize, scratch: usize,
                                out_min: f32, out_max: f32): void {
  if (rows <= 0 || ow <= 0 || cout <= 0) return;
  const cin4 = (cin + 3) & ~3, cout4 = (cout + 3) & ~3, k = k1d(kw, cin), q = (kw + 2) / 3;
  const block = wino1d_block_tiles(kw, cin, cout);
  const tiles_row = (ow + 3) >> 2, total = rows * tiles_row;
  const zero = scratch;
  const v = zero + (<usize>cin4 << 2);
  const m = v + (<usize>(6 * block * k) << 2);
  const v_pos = <usize>(block * k) << 2, m_pos = <usize>(block * cout4) << 2;
  const u_pos = <usize>f32_gemm_packed_size(k, cout) << 2;
  const u0 = packed + (<usize>cout4 << 2);
  const in_px = <usize>cin << 2, out_px = <usize>cout << 2;
  const full = <usize>(cin & ~3) << 2, rem = cin & 3;
  const vmin = f32x4.splat(out_min), vmax = f32x4.splat(out_max);
  zero_f32(zero, cin4);
  for (let t0 = 0; t0 < total; t0 += block) {
    const tiles = min(block, total - t0);
    for (let t = 0; t < tiles; t++) {
      const r = (t0 + t) / tiles_row, x0 = ((t0 + t - r * tiles_row) << 2) - pad_left;
      const line = input + <usize>r * iw * in_px;
      for (let g = 0; g < q; g++) {
        // Six input pixels from x0 + 3g; those outside the row read the zero buffer.
        const x = x0 + 3 * g;
        const c0 = line + <usize>x * in_px;
        const p0 = <u32>x < <u32>iw ? c0 : zero, p1 = <u32>(x + 1) < <u32>iw ? c0 + in_px : zero;
        const p2 = <u32>(x + 2) < <u32>iw ? c0 + 2 * in_px : zero, p3 = <u32>(x + 3) < <u32>iw ? c0 + 3 * in_px : zero;
        const p4 = <u32>(x + 4) < <u32>iw ? c0 + 4 * in_px : zero, p5 = <u32>(x + 5) < <u32>iw ? c0 + 5 * in_px : zero;
        let out = v + (<usize>(t * k + g * cin4) << 2);
        let off: usize = 0;
        for (; off < full; off += 16, out += 16) {
          in_1d(v128.load(p0 + off), v128.load(p1 + off), v128.load(p2 + off), v128.load(p3 + off),
                v128.load(p4 + off), v128.load(p5 + off), out, v_pos);
        }
        if (rem) {
          in_1d(load_partial(p0 + off, rem), load_partial(p1 + off, rem), load_partial(p2 + off, rem),
                load_partial(p3 + off, rem), load_partial(p4 + off, rem), load_partial(p5 + off, rem), out, v_pos);
        }
      }
    }
    for (let p = 0; p < 6; p++) {
      f32_gemm(tiles, cout, k, v + <usize>p * v_pos, k, u0 + <usize>p * u_pos, m + <usize>p * m_pos, cout4,
               -Infinity, Infinity);
    }
    for (let t = 0; t < tiles; t++) {
      const r = (t0 + t) / tiles_row, ox0 = (t0 + t - r * tiles_row) << 2;
      const cols = min(4, ow - ox0);
      let c = m + (<usize>(t * cout4) << 2), d = output + (<usize>(r * ow + ox0) * out_px);
      for (let off = 0; off < cout; off += 4, c += 16, d += 16) {
        out_1d(v128.load(c), v128.load(c + m_pos), v128.load(c + 2 * m_pos), v128.load(c + 3 * m_pos),
               v128.load(c + 4 * m_pos), v128.load(c + 5 * m_pos), d, out_px, true,
               v128.load(packed + (<usize>off << 2)), vmin, vmax, cols, min(4, cout - off));
      }
    }
  }
}

/**
 * V[p] of one tile for all channels: v points at V[0][t][0], positions v_pos bytes apart. The 6x6 input tile
 * starts at (iy0, ix0) of the image img; taps outside it read `zero`.
 * Column pass: tmp[group][i][j] = (B^T d)[i][j] for each column j; row pass: V[6i + j] = (tmp[i] B)[j].
 */
function wino_input_tile(img: usize, ih: i32, iw: i32, cin: i32, iy0: i32, ix0: i32, zero: usize, tmp: usize,
                         v: usize, v_pos: usize): void {
  const px = <usize>cin << 2, row = <usize>iw * px;
  const full = <usize>(cin & ~3) << 2, rem = cin & 3;
  const y_in0 = <u32>iy0 < <u32>ih, y_in1 = <u32>(iy0 + 1) < <u32>ih, y_in2 = <u32>(iy0 + 2) < <u32>ih;
  const y_in3 = <u32>(iy0 + 3) < <u32>ih, y_in4 = <u32>(iy0 + 4) < <u32>ih, y_in5 = <u32>(iy0 + 5) < <u32>ih;
  for (let j = 0; j < 6; j++) {
    const ix = ix0 + j;
    const x_in = <u32>ix < <u32>iw;
    const c0 = img + <usize>iy0 * row + <usize>ix * px; // row iy0 of column ix (only used where inside)
    const p0 = x_in && y_in0 ? c0 : zero, p1 = x_in && y_in1 ? c0 + row : zero;
    const p2 = x_in && y_in2 ? c0 + 2 * row : zero, p3 = x_in && y_in3 ? c0 + 3 * row : zero;
    const p4 = x_in && y_in4 ? c0 + 4 * row : zero, p5 = x_in && y_in5 ? c0 + 5 * row : zero;
    let t = tmp + (<usize>j << 4);
    let off: usize = 0;
    for (; off < full; off += 16, t += 6 * TMP_ROW) {
      in_1d(v128.load(p0 + off), v128.load(p1 + off), v128.load(p2 + off), v128.load(p3 + off),
            v128.load(p4 + off), v128.load(p5 + off), t, TMP_ROW);
    }
    if (rem) {
      in_1d(load_partial(p0 + off, rem), load_partial(p1 + off, rem), load_partial(p2 + off, rem),
            load_partial(p3 + off, rem), load_partial(p4 + off, rem), load_partial(p5 + off, rem), t, TMP_ROW);
    }
  }
  const groups = (cin + 3) >> 2;
  let t = tmp;
  for (let g = 0; g < groups; g++, t += 6 * TMP_ROW, v += 16) {
    let r = t, out = v;
    for (let i = 0; i < 6; i++, r += TMP_ROW, out += 6 * v_pos) {
      in_1d(v128.load(r), v128.load(r, 16), v128.load(r, 32), v128.load(r, 48), v128.load(r, 64), v128.load(r, 80),
            out, v_pos);
    }
  }
}

/**
 * r = B^T d for one column (or row) of six v128, stored at out + k*stride, k = 0..5:
 *   r0 = 4 d0 - 5 d2 + d4            r1 = -4 d1 - 4 d2 + d3 + d4     r2 = 4 d1 - 4 d2 - d3 + d4
 *   r3 = -2 d1 - d2 + 2 d3 + d4      r4 = 2 d1 - d2 - 2 d3 + d4      r5 = 4 d1 - 5 d3 + d5
 */
@inline function in_1d(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, out: usize, stride: usize): void {
  const m4 = f32x4.splat(-4), p4 = f32x4.splat(4);
  const e = f32x4.sub(d3, d1);
  const t0 = madd(m4, d2, d4), t1 = madd(m4, d1, d3); // d4 - 4 d2, d3 - 4 d1
  const t2 = f32x4.sub(d4, d2), t3 = f32x4.add(e, e); // d4 - d2, 2 (d3 - d1)
  v128.store(out, madd(p4, f32x4.sub(d0, d2), t2));
  v128.store(out + stride, f32x4.add(t0, t1));
  v128.store(out + 2 * stride, f32x4.sub(t0, t1));
  v128.store(out + 3 * stride, f32x4.add(t2, t3));
  v128.store(out + 4 * stride, f32x4.sub(t2, t3));
  v128.store(out + 5 * stride, madd(m4, e, f32x4.sub(d5, d3)));
}

/**
 * One output tile for all channels: m points at M[0][t][0] (positions m_pos bytes apart), dst at output pixel
 * (oy0, ox0); rows x cols (1..4 each) pixels of the tile are inside the output and stored.
 * Column pass: tmp[i][j] = (A^T M)[i][j], i < 4; row pass: Y[i] = tmp[i] A, + bias, clamped.
 */
function wino_output_tile(m: usize, m_pos: usize, cout: i32, bias: usize, tmp: usize, dst: usize, row: usize,
                          px: usize, rows: i32, cols: i32, vmin: v128, vmax: v128): void {
  const groups = (cout + 3) >> 2;
  const m6 = m_pos * 6;
  for (let g = 0; g < groups; g++) {
    const off = <usize>g << 4;
    let c = m + off;
    for (let j = 0; j < 6; j++, c += m_pos) {
      out_1d(v128.load(c), v128.load(c + m6), v128.load(c + 2 * m6), v128.load(c + 3 * m6), v128.load(c + 4 * m6),
             v128.load(c + 5 * m6), tmp + (<usize>j << 4), TMP_ROW, false, vmin, vmin, vmax, 4, 4);
    }
    const bv = v128.load(bias + off);
    const lanes = min(4, cout - (g << 2));
    let r = tmp, d = dst + off;
    for (let i = 0; i < rows; i++, r += TMP_ROW, d += row) {
      out_1d(v128.load(r), v128.load(r, 16), v128.load(r, 32), v128.load(r, 48), v128.load(r, 64), v128.load(r, 80),
             d, px, true, bv, vmin, vmax, cols, lanes);
    }
  }
}

/**
 * y = A^T m for one column (or row) of six v128, stored at out + k*stride, k = 0..3:
 *   y0 = m0 + m1 + m2 + m3 + m4    y1 = m1 - m2 + 2 (m3 - m4)    y2 = m1 + m2 + 4 (m3 + m4)    y3 = m1 - m2 + 8 (m3 - m4) + m5
 * With `last` (a constant: the branches fold away), y + bias is clamped and only the first `cols` outputs and
 * `lanes` channels are stored (the edges of the output); otherwise all four v128 are.
 */
@inline function out_1d(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, out: usize, stride: usize,
                        last: bool, bias: v128, vmin: v128, vmax: v128, cols: i32, lanes: i32): void {
  const a = f32x4.add(m1, m2), s = f32x4.sub(m1, m2), p = f32x4.add(m3, m4), q = f32x4.sub(m3, m4);
  let y0 = f32x4.add(f32x4.add(m0, a), p), y1 = madd(f32x4.splat(2), q, s);
  let y2 = madd(f32x4.splat(4), p, a), y3 = f32x4.add(madd(f32x4.splat(8), q, s), m5);
  if (!last) {
    v128.store(out, y0); v128.store(out + stride, y1); v128.store(out + 2 * stride, y2); v128.store(out + 3 * stride, y3);
    return;
  }
  store_px(out, clamp4(f32x4.add(y0, bias), vmin, vmax), lanes);
  if (cols > 1) store_px(out + stride, clamp4(f32x4.add(y1, bias), vmin, vmax), lanes);
  if (cols > 2) store_px(out + 2 * stride, clamp4(f32x4.add(y2, bias), vmin, vmax), lanes);
  if (cols > 3) store_px(out + 3 * stride, clamp4(f32x4.add(y3, bias), vmin, vmax), lanes);
}

@inline function store_px(p: usize, v: v128, lanes: i32): void {
  if (lanes == 4) v128.store(p, v);
  else store_partial(p, v, lanes);
}
