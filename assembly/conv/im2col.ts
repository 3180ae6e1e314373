// im2col for the GEMM-based convolution, NHWC, plus the packing of conv weights into f32_gemm's B.
//
// The im2col row of output pixel (b, oy, ox) for group g holds K = kh*kw*cin_g values. The GEMM B packed
// by f32_conv2d_pack uses the same K order, which is one of two:
//   tap-major (K index = (dy*kw + dx)*cin_g + ci): each tap copies a contiguous run of cin_g input floats
//     with v128 loads (fast). The conv weights are OIHW, so this order is not an affine view of them and
//     f32_gemm_pack cannot read it directly: we write f32_gemm's panel layout ourselves, after checking at
//     pack time that f32_gemm_pack really produces that layout (see `gemm_layout_nr`).
//   ci-major (K index = ci*kh*kw + dy*kw + dx): an affine view of OIHW, packed by f32_gemm_pack itself.
//     Only used if the check fails (the GEMM changed its layout): correct, but im2col scatters scalars.
// For kh*kw == 1 or cin_g == 1 the two orders are the same.
import { f32_gemm_pack, f32_gemm_packed_size } from "../gemm/gemm";
import { copy_f32, zero_f32 } from "./util";

/**
 * Floats of im2col scratch aimed for per block of output pixels: 256 KB, the size of f32_gemm's own M x K
 * blocking (MC = 128 rows), so a block stays in L2 while every panel of B passes over it.
 */
const BLOCK_FLOATS: i32 = 65536;
/**
 * At least 32 rows: each block costs one pass over B, which is MBs when K is in the thousands (3x3x512: 9 MB),
 * and those layers have few pixels (7x7 = 49: two blocks of 32 measured 10-25% faster than four of 16).
 */
const BLOCK_ROWS_MIN: i32 = 32;
const BLOCK_ROWS_MAX: i32 = 512;

/** Output pixels per im2col block for an im2col row of k floats (a multiple of 4, 32..512). */
export function conv_block_rows(k: i32): i32 {
  return min(BLOCK_ROWS_MAX, max(BLOCK_ROWS_MIN, (BLOCK_FLOATS / max(k, 1)) & ~3));
}

// ---------------------------------------------------------------------------------------------------
// Packing

/** Probe source: PROBE_LEN distinct floats (1, 2, 3, ...), filled on first use. */
const PROBE_LEN: i32 = 256;
const PROBE: usize = memory.data(PROBE_LEN * 4, 16);

/**
 * Does f32_gemm_pack(k, n, b, rs, cs, bias) produce the panel layout we write ourselves, at `packed`?
 * That layout: for each panel of NR columns, NR bias values, then k rows of NR values; columns past n are 0.
 * Compares bit patterns. `packed` must already hold f32_gemm_pack's output.
 */
function matches_panel_layout(nr: i32, k: i32, n: i32, b: usize, rs: i32, cs: i32, bias: usize, packed: usize): bool {
  let p = packed;
  for (let j0 = 0; j0 < n; j0 += nr) {
    for (let j = 0; j < nr; j++) {
      const col = j0 + j;
      const want: u32 = col < n && bias != 0 ? load<u32>(bias + (<usize>col << 2)) : 0;
      if (load<u32>(p + (<usize>j << 2)) != want) return false;
    }
    p += <usize>nr << 2;
    for (let kk = 0; kk < k; kk++) {
      for (let j = 0; j < nr; j++) {
        const col = j0 + j;
        const want: u32 = col < n ? load<u32>(b + ((<usize>kk * rs + <usize>col * cs) << 2)) : 0;
        if (load<u32>(p + (<usize>j << 2)) != want) return false;
      }
      p += <usize>nr << 2;
    }
  }
  return true;
}

/**
 * The panel width NR if f32_gemm packs B as `matches_panel_layout` describes, else 0. Checked on a probe
 * with distinct values (k = 4, n = NR), written into `dst`, which must hold >= 5*NR floats.
 */
function gemm_layout_nr(dst: usize, dst_floats: i32): i32 {
  const nr = f32_gemm_packed_size(1, 1) / 2;
  if (nr <= 0 || 5 * nr > PROBE_LEN || 5 * nr > dst_floats) return 0;
  if (f32_gemm_packed_size(4, nr) != 5 * nr || f32_gemm_packed_size(4, nr + 1) != 10 * nr) return 0;
  for (let i = 0; i < 5 * nr; i++) store<f32>(PROBE + (<usize>i << 2), <f32>(i + 1));
  // B[kk][j] = PROBE[j*4 + kk], bias[j] = PROBE[4*nr + j]: all distinct.
  const bias = PROBE + (<usize>(4 * nr) << 2);
  f32_gemm_pack(4, nr, PROBE, 1, 4, bias, dst);
  return matches_panel_layout(nr, 4, nr, PROBE, 1, 4, bias, dst) ? nr : 0;
}

/**
 * Packs the weights of one group: w is OIHW [cout_g][cin_g][kh][kw], bias [cout_g] or 0.
 * Returns 1 if the packed K order is tap-major, 0 if ci-major. `dst` holds f32_gemm_packed_size(K, cout_g).
 */
function conv_pack_group(khw: i32, cin_g: i32, cout_g: i32, w: usize, bias: usize, dst: usize, try_tap_major: bool): i32 {
  const k = khw * cin_g;
  const size = f32_gemm_packed_size(k, cout_g);
  const nr = try_tap_major && khw > 1 && cin_g > 1 ? gemm_layout_nr(dst, size) : 0;
  // ci-major is the affine view of OIHW: B[kk][o] = w[o*k + kk]. (Also overwrites the probe.)
  f32_gemm_pack(k, cout_g, w, 1, k, bias, dst);
  if (khw == 1 || cin_g == 1) return 1;
  if (nr == 0 || size != (cout_g + nr - 1) / nr * nr * (k + 1)) return 0;
  // Check the real matrix too (covers K- or N-dependent layouts).
  if (!matches_panel_layout(nr, k, cout_g, w, 1, k, bias, dst)) return 0;
  // Same layout, tap-major K order: row kk = t*cin_g + ci holds w[o][ci][t].
  let p = dst;
  for (let j0 = 0; j0 < cout_g; j0 += nr) {
    p += <usize>nr << 2; // bias row: already in place
    for (let t = 0; t < khw; t++) {
      for (let ci = 0; ci < cin_g; ci++) {
        for (let j = 0; j < nr; j++) {
          const o = j0 + j;
          const v: f32 = o < cout_g ? load<f32>(w + ((<usize>(o * cin_g + ci) * khw + t) << 2)) : 0;
          store<f32>(p + (<usize>j << 2), v);
        }
        p += <usize>nr << 2;
      }
    }
  }
  return 1;
}

/** Floats before the first group's packed B: [0] = K order (i32: 1 tap-major, 0 ci-major), rest 0. */
export const CONV_HEADER: i32 = 4;

/**
 * The packed weights of f32_conv2d: [header][group 0: f32_gemm B][group 1] ... The K order is tap-major
 * if allow_tap_major and f32_gemm's layout is the one we can write, else ci-major (the same for all groups).
 */
export function conv_pack(kh: i32, kw: i32, cin: i32, cout: i32, groups: i32, w: usize, bias: usize, packed: usize,
                          allow_tap_major: bool): void {
  const cin_g = cin / groups, cout_g = cout / groups, khw = kh * kw;
  const k = khw * cin_g;
  const group_bytes = <usize>f32_gemm_packed_size(k, cout_g) << 2;
  let tap_major = allow_tap_major || khw == 1 || cin_g == 1;
  for (let g = 0; g < groups; g++) {
    const wg = w + (<usize>g * cout_g * k << 2);
    const bg = bias != 0 ? bias + (<usize>(g * cout_g) << 2) : 0;
    const order = conv_pack_group(khw, cin_g, cout_g, wg, bg, packed + (<usize>CONV_HEADER << 2) + <usize>g * group_bytes, tap_major);
    if (order == 0 && tap_major) {
      tap_major = false; // every group must use the same order: start again, ci-major
      g = -1;
    }
  }
  store<i32>(packed, tap_major ? 1 : 0);
  store<i32>(packed, 0, 4);
  store<i32>(packed, 0, 8);
  store<i32>(packed, 0, 12);
}

// ---------------------------------------------------------------------------------------------------
// im2col

/**
 * Writes the im2col rows of `rows` consecutive output pixels, starting at flat pixel index p0 of the
 * [n][oh][ow] output, for the group whose input channels start at `c0` (cin_g of them; the input has cin).
 * Row i is at dst + 4*i*k, k = kh*kw*cin_g. Out-of-image taps are zero.
 */
export function im2col_tap_major(p0: i32, rows: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, kh: i32, kw: i32,
                                 sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, c0: i32, cin_g: i32,
                                 input: usize, dst: usize): void {
  const ohw = oh * ow;
  let b = p0 / ohw;
  let oy = (p0 - b * ohw) / ow;
  let ox = p0 - b * ohw - oy * ow;
  const run = kw * cin_g; // floats of one kernel row
  // A whole kernel row is one contiguous input run when taps are adjacent and the group spans all channels.
  const contiguous = dw == 1 && cin_g == cin;
  const in_px = <usize>cin << 2; // bytes per input pixel
  const tap_step = <usize>(dw * cin) << 2;
  for (let i = 0; i < rows; i++) {
    const iy0 = oy * sh - pt;
    const ix0 = ox * sw - pl;
    const x_inside = ix0 >= 0 && ix0 + (kw - 1) * dw < iw;
    const img = input + (<usize>(b * ih) * iw * cin << 2) + (<usize>c0 << 2);
    for (let dy = 0; dy < kh; dy++) {
      const iy = iy0 + dy * dh;
      if (<u32>iy >= <u32>ih) {
        zero_f32(dst, run);
        dst += <usize>run << 2;
        continue;
      }
      const row = img + <usize>iy * iw * in_px;
      if (x_inside) {
        if (contiguous) {
          copy_f32(dst, row + <usize>ix0 * in_px, run);
          dst += <usize>run << 2;
        } else {
          let src = row + <usize>ix0 * in_px;
          for (let dx = 0; dx < kw; dx++) {
            copy_f32(dst, src, cin_g);
            dst += <usize>cin_g << 2;
            src += tap_step;
          }
        }
      } else {
        for (let dx = 0; dx < kw; dx++) {
          const ix = ix0 + dx * dw;
          if (<u32>ix >= <u32>iw) zero_f32(dst, cin_g);
          else copy_f32(dst, row + <usize>ix * in_px, cin_g);
          dst += <usize>cin_g << 2;
        }
      }
    }
    if (++ox == ow) {
      ox = 0;
      if (++oy == oh) { oy = 0; b++; }
    }
  }
}

/** As im2col_tap_major, ci-major K order (K index = ci*kh*kw + dy*kw + dx). Scalar: only the fallback. */
export function im2col_ci_major(p0: i32, rows: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, kh: i32, kw: i32,
                                sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, c0: i32, cin_g: i32,
                                input: usize, dst: usize): void {
  const ohw = oh * ow;
  const khw = kh * kw;
  const k = khw * cin_g;
  for (let i = 0; i < rows; i++) {
    const p = p0 + i;
    const b = p / ohw;
    const oy = (p - b * ohw) / ow;
    const ox = p - b * ohw - oy * ow;
    const drow = dst + (<usize>i * k << 2);
    for (let dy = 0; dy < kh; dy++) {
      const iy = oy * sh - pt + dy * dh;
      for (let dx = 0; dx < kw; dx++) {
        const ix = ox * sw - pl + dx * dw;
        const t = dy * kw + dx;
        const inside = <u32>iy < <u32>ih && <u32>ix < <u32>iw;
        const src = input + ((<usize>((b * ih + iy) * iw + ix) * cin + c0) << 2);
        for (let ci = 0; ci < cin_g; ci++) {
          store<f32>(drow + (<usize>(ci * khw + t) << 2), inside ? load<f32>(src + (<usize>ci << 2)) : 0);
        }
      }
    }
  }
}
