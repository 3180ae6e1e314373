// Transposed convolution (ONNX ConvTranspose), NHWC, as GEMM + col2im (docs/kernels.md, "Transposed convolution").
//
// Input pixel (iy, ix) adds x[iy][ix][group g] * W[g][:, :, dy, dx] to output pixel
// (iy*stride_h - pad_top + dy*dil_h, ix*stride_w - pad_left + dx*dil_w) for every tap (dy, dx).
//
//   packed = [bias: cout floats, padded to 4][group 0: tap 0 f32_gemm B][tap 1] ... [group 1: ...]
//   B of (g, t) = W[g*cin_g .. +cin_g][0..cout_g][t] (cin_g x cout_g, read in place from the ONNX [cin][cout_g][kh][kw] order).
//
// General path: the output starts as the bias; per block of input pixels and group, one GEMM per tap writes
// [pixel][tap][cout_g] columns into scratch, then col2im adds each tap's cout_g values to its output pixel.
// Direct path, when the taps of neighbouring input pixels can never meet ((k-1)*dil < stride on both axes: the
// 2x2 stride-2 upsampling of segmentation heads): each tap's GEMM over a row of input pixels writes its output
// pixels in place (C row stride = stride_w * cout) with the bias in its panels; no scratch, no second pass.
// Which path runs depends on kernel, stride and dilation only, so the packing (bias in the panels or not) is
// decided by f32_deconv2d_pack from the same values the run is given.
import { f32_gemm, f32_gemm_packed_size, gemm_pack } from "../gemm/gemm";
import { conv_block_rows } from "./im2col";
import { copy_f32 } from "./util";

@inline function bias_floats(cout: i32): i32 {
  return (cout + 3) & ~3;
}

@inline function direct(kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32): bool {
  return (kh - 1) * dh < sh && (kw - 1) * dw < sw;
}

/** Floats of packed weights for f32_deconv2d_pack. */
export function f32_deconv2d_packed_size(kh: i32, kw: i32, cin: i32, cout: i32, groups: i32): i32 {
  return bias_floats(cout) + groups * kh * kw * f32_gemm_packed_size(cin / groups, cout / groups);
}

/**
 * Packs ONNX ConvTranspose weights w [cin][cout/groups][kh][kw] and bias [cout] (0 = none). The strides and
 * dilations must be those f32_deconv2d will be called with (they choose the path, see above).
 */
export function f32_deconv2d_pack(kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, cin: i32, cout: i32, groups: i32,
                                  w: usize, bias: usize, packed: usize): void {
  const cin_g = cin / groups, cout_g = cout / groups, khw = kh * kw;
  const nb = bias_floats(cout);
  for (let o = 0; o < nb; o++) store<f32>(packed + (<usize>o << 2), bias != 0 && o < cout ? load<f32>(bias + (<usize>o << 2)) : 0);
  const in_panels = direct(kh, kw, sh, sw, dh, dw);
  const tap_bytes = <usize>f32_gemm_packed_size(cin_g, cout_g) << 2;
  let p = packed + (<usize>nb << 2);
  for (let g = 0; g < groups; g++) {
    const wg = w + (<usize>g * cin_g * cout_g * khw << 2);
    const bg = in_panels ? packed + (<usize>(g * cout_g) << 2) : 0;
    for (let t = 0; t < khw; t++) {
      // B[ci][o] = W[g*cin_g + ci][o][t]: row stride cout_g*khw, column stride khw.
      gemm_pack(cin_g, cin_g, cout_g, wg + (<usize>t << 2), 0, cout_g * khw, khw, bg, p);
      p += tap_bytes;
    }
  }
}

/** Floats of scratch for f32_deconv2d (the general path's column block; the direct path uses none). */
export function f32_deconv2d_scratch_size(kh: i32, kw: i32, cout: i32, groups: i32): i32 {
  const cols = kh * kw * (cout / groups);
  return conv_block_rows(cols) * cols;
}

/**
 * output[n][oh][ow][cout] = bias + transposed conv of input[n][ih][iw][cin]. Contributions outside
 * [0, oh) x [0, ow) are dropped (pads crop), output pixels no tap reaches hold the bias (output_padding).
 * pad_top / pad_left may be negative (an output_shape larger than the full result).
 */
export function f32_deconv2d(n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, cout: i32, kh: i32, kw: i32,
                             stride_h: i32, stride_w: i32, dil_h: i32, dil_w: i32, pad_top: i32, pad_left: i32,
                             groups: i32, input: usize, packed: usize, output: usize, scratch: usize): void {
  if (n <= 0 || oh <= 0 || ow <= 0 || cout <= 0) return;
  const cin_g = cin / groups, cout_g = cout / groups, khw = kh * kw;
  const weights = packed + (<usize>bias_floats(cout) << 2);
  const tap_bytes = <usize>f32_gemm_packed_size(cin_g, cout_g) << 2;
  const out_px = <usize>cout << 2;
  const is_direct = direct(kh, kw, stride_h, stride_w, dil_h, dil_w);
  // Every output pixel is written by exactly one tap only when taps tile the output with no gap.
  const covered = is_direct && kh == stride_h && kw == stride_w && pad_top >= 0 && pad_left >= 0 &&
    ih * stride_h - pad_top >= oh && iw * stride_w - pad_left >= ow;
  if (!covered) {
    const total = n * oh * ow;
    let o = output;
    for (let i = 0; i < total; i++) {
      copy_f32(o, packed, cout);
      o += out_px;
    }
  }
  if (cin_g == 0) return;

  if (is_direct) {
    for (let b = 0; b < n; b++) {
      for (let iy = 0; iy < ih; iy++) {
        for (let dy = 0; dy < kh; dy++) {
          const oy = iy * stride_h - pad_top + dy * dil_h;
          if (<u32>oy >= <u32>oh) continue;
          for (let dx = 0; dx < kw; dx++) {
            // Input columns whose tap dx lands in [0, ow): ox = ix*stride_w + off.
            const off = dx * dil_w - pad_left;
            if (off > ow - 1) continue;
            const ix0 = off >= 0 ? 0 : (stride_w - 1 - off) / stride_w;
            const ix1 = min(iw, (ow - 1 - off) / stride_w + 1);
            if (ix1 <= ix0) continue;
            const a = input + ((<usize>((b * ih + iy) * iw + ix0) * cin) << 2);
            const c = output + (<usize>((b * oh + oy) * ow + ix0 * stride_w + off) * out_px);
            const t = dy * kw + dx;
            for (let g = 0; g < groups; g++) {
              f32_gemm(ix1 - ix0, cout_g, cin_g, a + (<usize>(g * cin_g) << 2), cin,
                       weights + <usize>(g * khw + t) * tap_bytes, c + (<usize>(g * cout_g) << 2),
                       stride_w * cout, -Infinity, Infinity);
            }
          }
        }
      }
    }
    return;
  }

  const cols = khw * cout_g;
  const block = conv_block_rows(cols);
  const total = n * ih * iw;
  for (let p0 = 0; p0 < total; p0 += block) {
    const m = min(block, total - p0);
    for (let g = 0; g < groups; g++) {
      const a = input + ((<usize>p0 * cin + g * cin_g) << 2);
      for (let t = 0; t < khw; t++) {
        f32_gemm(m, cout_g, cin_g, a, cin, weights + <usize>(g * khw + t) * tap_bytes,
                 scratch + (<usize>(t * cout_g) << 2), cols, -Infinity, Infinity);
      }
      col2im_add(p0, m, ih, iw, oh, ow, cout, cout_g, kh, kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left,
                 scratch, output + (<usize>(g * cout_g) << 2));
    }
  }
}

/** Adds the [rows][kh*kw][cout_g] columns of input pixels p0 .. p0+rows to their output pixels (group offset in `output`). */
function col2im_add(p0: i32, rows: i32, ih: i32, iw: i32, oh: i32, ow: i32, cout: i32, cout_g: i32, kh: i32, kw: i32,
                    sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, cols: usize, output: usize): void {
  const ihw = ih * iw;
  let b = p0 / ihw;
  let iy = (p0 - b * ihw) / iw;
  let ix = p0 - b * ihw - iy * iw;
  const tap_bytes = <usize>cout_g << 2;
  let src = cols;
  for (let i = 0; i < rows; i++) {
    const img = output + (<usize>b * oh * ow * cout << 2);
    for (let dy = 0; dy < kh; dy++) {
      const oy = iy * sh - pt + dy * dh;
      const inside_y = <u32>oy < <u32>oh;
      const row = img + (<usize>oy * ow * cout << 2);
      for (let dx = 0; dx < kw; dx++) {
        const ox = ix * sw - pl + dx * dw;
        if (inside_y && <u32>ox < <u32>ow) add_f32(row + (<usize>ox * cout << 2), src, cout_g);
        src += tap_bytes;
      }
    }
    if (++ix == iw) {
      ix = 0;
      if (++iy == ih) { iy = 0; b++; }
    }
  }
}

/** dst[0..n) += src[0..n). */
@inline function add_f32(dst: usize, src: usize, n: i32): void {
  while (n >= 4) {
    v128.store(dst, f32x4.add(v128.load(dst), v128.load(src)));
    dst += 16; src += 16; n -= 4;
  }
  while (n > 0) {
    store<f32>(dst, load<f32>(dst) + load<f32>(src));
    dst += 4; src += 4; n--;
  }
}
