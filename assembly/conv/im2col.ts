// im2col for the GEMM-based convolution, NHWC, plus the packing of conv weights into f32_gemm's B.
//
// The im2col row of output pixel (b, oy, ox) for group g holds K = kh*kw*cin_g values in tap-major order
// (K index = (dy*kw + dx)*cin_g + ci): each tap copies a contiguous run of cin_g NHWC input floats with v128
// loads. conv_pack packs OIHW weights in the same K order through gemm_pack's two-level K strides.
import { f32_gemm_packed_size, gemm_pack } from "../gemm/gemm";
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

/**
 * The packed weights of f32_conv2d: [group 0: f32_gemm B][group 1] ..., K in tap-major order:
 * row kk = t*cin_g + ci holds w[o][ci][t] of OIHW weights (t = dy*kw + dx), the order im2col writes.
 */
export function conv_pack(kh: i32, kw: i32, cin: i32, cout: i32, groups: i32, w: usize, bias: usize, packed: usize): void {
  const cin_g = cin / groups, cout_g = cout / groups, khw = kh * kw;
  const k = khw * cin_g;
  const group_bytes = <usize>f32_gemm_packed_size(k, cout_g) << 2;
  for (let g = 0; g < groups; g++) {
    const wg = w + (<usize>g * cout_g * k << 2);
    const bg = bias != 0 ? bias + (<usize>(g * cout_g) << 2) : 0;
    gemm_pack(k, cin_g, cout_g, wg, 1, khw, k, bg, packed + <usize>g * group_bytes);
  }
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
