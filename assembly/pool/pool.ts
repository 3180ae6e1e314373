// Pooling and per-channel affine kernels, NHWC (docs/kernels.md, "Pooling and normalisation").
//
// SIMD runs over channels: 16 channels (4 v128 accumulators) per step, then 4, then an exact 1..3 tail.
// Pooling windows are clipped to the image once per output pixel, so padding cells are never read:
// they never win a max, and the average divides by the count the semantics ask for.
import { tap_hi, tap_lo } from "../conv/util";
import { max_window, sum_window } from "./window";

/**
 * output[n][oh][ow][c] = max over the window's taps inside the image. Tap (dy, dx) of output (oy, ox) is input
 * (oy*stride_h - pad_top + dy*dil_h, ox*stride_w - pad_left + dx*dil_w). A window with no input cell gives -Infinity.
 * NaN inputs are skipped (like fmax), as in XNNPACK.
 */
export function f32_maxpool2d(n: i32, ih: i32, iw: i32, c: i32, oh: i32, ow: i32, kh: i32, kw: i32,
                              stride_h: i32, stride_w: i32, dil_h: i32, dil_w: i32, pad_top: i32, pad_left: i32,
                              input: usize, output: usize): void {
  pool2d(true, n, ih, iw, c, oh, ow, kh, kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, 0, 0, 0, input, output);
}

/**
 * output[n][oh][ow][c] = average of the window's cells inside the image. The divisor is the number of those
 * cells, or with count_include_pad != 0 the number of window cells inside [-pad_top, ih + pad_bottom) x
 * [-pad_left, iw + pad_right) (ONNX). A window with divisor 0 gives 0.
 */
export function f32_avgpool2d(n: i32, ih: i32, iw: i32, c: i32, oh: i32, ow: i32, kh: i32, kw: i32,
                              stride_h: i32, stride_w: i32, pad_top: i32, pad_left: i32, pad_bottom: i32, pad_right: i32,
                              count_include_pad: i32, input: usize, output: usize): void {
  pool2d(false, n, ih, iw, c, oh, ow, kh, kw, stride_h, stride_w, 1, 1, pad_top, pad_left,
         count_include_pad != 0 ? pad_bottom : -1, pad_right, count_include_pad, input, output);
}

@inline function pool2d(is_max: bool, n: i32, ih: i32, iw: i32, c: i32, oh: i32, ow: i32, kh: i32, kw: i32,
                        sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, pb: i32, pr: i32, include_pad: i32,
                        input: usize, output: usize): void {
  if (c <= 0) return;
  const px = <usize>c << 2;
  const row_bytes = <usize>iw * px;
  for (let b = 0; b < n; b++) {
    const img = input + <usize>b * ih * row_bytes;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - pt;
      const dy0 = tap_lo(iy0, dh);
      const ny = max(0, tap_hi(iy0, kh, dh, ih) - dy0);
      const rows = img + <usize>(iy0 + dy0 * dh) * row_bytes;
      // Rows of the window inside the padded extent [-pt, ih + pb) (avgpool with count_include_pad).
      const pad_rows = max(0, min(iy0 + kh, ih + pb) - iy0);
      let dst = output + <usize>((b * oh + oy) * ow) * px;
      for (let ox = 0; ox < ow; ox++, dst += px) {
        const ix0 = ox * sw - pl;
        const dx0 = tap_lo(ix0, dw);
        const nx = max(0, tap_hi(ix0, kw, dw, iw) - dx0);
        const src = rows + <usize>(ix0 + dx0 * dw) * px;
        if (is_max) {
          max_window(src, ny, nx, row_bytes * dh, px * dw, c, dst);
        } else {
          const count = include_pad != 0 ? pad_rows * max(0, min(ix0 + kw, iw + pr) - ix0) : ny * nx;
          sum_window(src, ny, nx, row_bytes, px, c, count > 0 ? <f32>(1.0 / <f64>count) : 0, dst);
        }
      }
    }
  }
}

/** output[b][ch] = mean over hw of input[b][hw][ch]. */
export function f32_global_avgpool(n: i32, hw: i32, c: i32, input: usize, output: usize): void {
  const scale: f32 = hw > 0 ? <f32>(1.0 / <f64>hw) : 0;
  const px = <usize>c << 2;
  for (let b = 0; b < n; b++) {
    sum_window(input + <usize>b * hw * px, 1, hw, 0, px, c, scale, output + <usize>b * px);
  }
}

/** output[b][ch] = max over hw of input[b][hw][ch] (-Infinity if hw == 0; NaN inputs are skipped). */
export function f32_global_maxpool(n: i32, hw: i32, c: i32, input: usize, output: usize): void {
  const px = <usize>c << 2;
  for (let b = 0; b < n; b++) {
    max_window(input + <usize>b * hw * px, 1, hw, 0, px, c, output + <usize>b * px);
  }
}

/**
 * y[o][ch][i] = x[o][ch][i] * scale[ch] + shift[ch] for x, y of shape [outer][c][inner] (contiguous).
 * NHWC is outer = n*h*w, inner = 1; NCHW is outer = n, inner = h*w. In place allowed (input == output).
 */
export function f32_channel_affine(outer: i32, c: i32, inner: i32, input: usize, scale: usize, shift: usize, output: usize): void {
  if (inner == 1) {
    const px = <usize>c << 2;
    for (let o = 0; o < outer; o++) {
      const x = input + <usize>o * px, y = output + <usize>o * px;
      let ch = 0;
      for (; ch + 4 <= c; ch += 4) {
        const off = <usize>ch << 2;
        v128.store(y + off, f32x4.add(f32x4.mul(v128.load(x + off), v128.load(scale + off)), v128.load(shift + off)));
      }
      for (; ch < c; ch++) {
        const off = <usize>ch << 2;
        store<f32>(y + off, load<f32>(x + off) * load<f32>(scale + off) + load<f32>(shift + off));
      }
    }
    return;
  }
  const row = <usize>inner << 2;
  let x = input, y = output;
  for (let o = 0; o < outer; o++) {
    for (let ch = 0; ch < c; ch++, x += row, y += row) {
      const s = load<f32>(scale + (<usize>ch << 2)), t = load<f32>(shift + (<usize>ch << 2));
      const vs = f32x4.splat(s), vt = f32x4.splat(t);
      let i = 0;
      for (; i + 16 <= inner; i += 16) {
        const off = <usize>i << 2;
        const a = v128.load(x + off), b = v128.load(x + off, 16), cc = v128.load(x + off, 32), d = v128.load(x + off, 48);
        v128.store(y + off, f32x4.add(f32x4.mul(a, vs), vt));
        v128.store(y + off, f32x4.add(f32x4.mul(b, vs), vt), 16);
        v128.store(y + off, f32x4.add(f32x4.mul(cc, vs), vt), 32);
        v128.store(y + off, f32x4.add(f32x4.mul(d, vs), vt), 48);
      }
      for (; i + 4 <= inner; i += 4) {
        const off = <usize>i << 2;
        v128.store(y + off, f32x4.add(f32x4.mul(v128.load(x + off), vs), vt));
      }
      for (; i < inner; i++) {
        const off = <usize>i << 2;
        store<f32>(y + off, load<f32>(x + off) * s + t);
      }
    }
  }
}
