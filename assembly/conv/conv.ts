// Convolution kernels, NHWC (docs/kernels.md, "Convolution").
//
// General conv (any stride, dilation, padding, groups) = im2col + f32_gemm, per group:
//
//   packed = [group 0: f32_gemm packed B][group 1] ...      (f32_conv2d_pack)
//   B of group g is K x cout_g, K = kh*kw*cin_g, bias in front (f32_gemm's layout).
//   for each block of `conv_block_rows(K)` output pixels (flat over n, oh, ow):
//     for each group g:
//       scratch[rows][K] = im2col(input channels g*cin_g .. +cin_g)
//       output[pixels][g*cout_g .. +cout_g] = clamp(scratch x B_g + bias)        (f32_gemm, c_row_stride = cout)
//
// A 1x1 kernel with stride 1 and no padding needs no im2col: the input pixels are the A rows (a_row_stride = cin).
// The scratch block size depends on K only (conv_block_rows), never on the image.
// Depthwise conv (groups == cin == cout) has its own direct kernel: f32_dwconv2d in dwconv.ts.
//
// Example (3x3, stride 1, SAME padding, relu6):
//   packed = alloc(4 * f32_conv2d_packed_size(3, 3, cin, cout, 1)); f32_conv2d_pack(3, 3, cin, cout, 1, w, bias, packed)
//   scratch = alloc(4 * f32_conv2d_scratch_size(ow, 3, 3, cin, cout, 1))
//   f32_conv2d(n, H, W, cin, H, W, cout, 3, 3, 1, 1, 1, 1, 1, 1, 1, input, packed, output, scratch, 0, 6)
import { f32_gemm, f32_gemm_packed_size } from "../gemm/gemm";
import { conv_block_rows, conv_pack, im2col_tap_major } from "./im2col";

export { f32_dwconv2d_packed_size, f32_dwconv2d_pack, f32_dwconv2d } from "./dwconv";
export {
  f32_conv2d_wino_packed_size, f32_conv2d_wino_pack, f32_conv2d_wino_scratch_size, f32_conv2d_wino,
  f32_conv1d_wino_packed_size, f32_conv1d_wino_pack, f32_conv1d_wino_scratch_size, f32_conv1d_wino,
} from "./winograd";

/** Floats of packed weights for f32_conv2d_pack. */
export function f32_conv2d_packed_size(kh: i32, kw: i32, cin: i32, cout: i32, groups: i32): i32 {
  const k = kh * kw * (cin / groups);
  return groups * f32_gemm_packed_size(k, cout / groups);
}

/** Packs OIHW weights w [cout][cin/groups][kh][kw] and bias [cout] (0 = none) for f32_conv2d. */
export function f32_conv2d_pack(kh: i32, kw: i32, cin: i32, cout: i32, groups: i32, w: usize, bias: usize, packed: usize): void {
  conv_pack(kh, kw, cin, cout, groups, w, bias, packed);
}

/** Floats of scratch for f32_conv2d: one im2col block, bounded independently of the image size. */
export function f32_conv2d_scratch_size(ow: i32, kh: i32, kw: i32, cin: i32, cout: i32, groups: i32): i32 {
  const k = kh * kw * (cin / groups);
  return conv_block_rows(k) * k;
}

/**
 * output[n][oh][ow][cout] = clamp(bias + conv(input[n][ih][iw][cin], w), out_min, out_max).
 * Tap (dy, dx) of output pixel (oy, ox) reads input (oy*stride_h - pad_top + dy*dil_h, ox*stride_w - pad_left + dx*dil_w);
 * taps outside the image read 0. pad_bottom / pad_right are whatever oh / ow imply.
 */
export function f32_conv2d(n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, cout: i32, kh: i32, kw: i32,
                           stride_h: i32, stride_w: i32, dil_h: i32, dil_w: i32, pad_top: i32, pad_left: i32,
                           groups: i32, input: usize, packed: usize, output: usize, scratch: usize,
                           out_min: f32, out_max: f32): void {
  const cin_g = cin / groups, cout_g = cout / groups;
  const k = kh * kw * cin_g;
  if (n <= 0 || oh <= 0 || ow <= 0 || cout_g <= 0) return;
  const group_bytes = <usize>f32_gemm_packed_size(k, cout_g) << 2;
  const w0 = packed;

  if (kh == 1 && kw == 1 && stride_h == 1 && stride_w == 1 && pad_top == 0 && pad_left == 0 && ow == iw && oh <= ih) {
    // 1x1, stride 1, no padding: the output rows of an image are consecutive input pixels, so the input is the
    // GEMM's A (row stride cin, group g at column g*cin_g). One GEMM per group (and per image, unless oh == ih).
    const images = oh == ih ? 1 : n;
    const m = oh == ih ? n * oh * ow : oh * ow;
    for (let b = 0; b < images; b++) {
      const a = input + (<usize>b * ih * iw * cin << 2);
      const c = output + (<usize>b * oh * ow * cout << 2);
      for (let g = 0; g < groups; g++) {
        f32_gemm(m, cout_g, k, a + (<usize>(g * cin_g) << 2), cin, w0 + <usize>g * group_bytes,
                 c + (<usize>(g * cout_g) << 2), cout, out_min, out_max);
      }
    }
    return;
  }

  // Everything else, strided 1x1 included (its im2col is a plain copy of cin_g floats per pixel: measured as
  // fast as one GEMM per output row with a strided A, and it passes over B once per block, not once per row).
  const block = conv_block_rows(k);
  const total = n * oh * ow;
  for (let p0 = 0; p0 < total; p0 += block) {
    const m = min(block, total - p0);
    for (let g = 0; g < groups; g++) {
      im2col_tap_major(p0, m, ih, iw, cin, oh, ow, kh, kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left,
                       g * cin_g, cin_g, input, scratch);
      f32_gemm(m, cout_g, k, scratch, k, w0 + <usize>g * group_bytes,
               output + ((<usize>p0 * cout + g * cout_g) << 2), cout, out_min, out_max);
    }
  }
}
