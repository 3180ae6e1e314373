// Pooling, per-channel affine and resize without SIMD, NHWC (docs/kernels.md): one output pixel at a time, the
// channels innermost. Windows are clipped to the image, so padding cells are never read.
import { tap_hi, tap_lo } from "../conv/util";
import { ld, ldi, max_skip_nan, st } from "./mem";


export function f32_maxpool2d(n: i32, ih: i32, iw: i32, c: i32, oh: i32, ow: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pad_top: i32, pad_left: i32, input: usize, output: usize): void {
  for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) {
    const y0 = oy * sh - pad_top, ty0 = tap_lo(y0, dh), ty1 = tap_hi(y0, kh, dh, ih);
    for (let ox = 0; ox < ow; ox++) {
      const x0 = ox * sw - pad_left, tx0 = tap_lo(x0, dw), tx1 = tap_hi(x0, kw, dw, iw);
      const out = output + (<usize>(((b * oh + oy) * ow + ox) * c) << 2);
      for (let ch = 0; ch < c; ch++) st(out, ch, -Infinity);
      for (let ty = ty0; ty < ty1; ty++) for (let tx = tx0; tx < tx1; tx++) {
        const xp = input + (<usize>(((b * ih + y0 + ty * dh) * iw + x0 + tx * dw) * c) << 2);
        for (let ch = 0; ch < c; ch++) st(out, ch, max_skip_nan(ld(out, ch), ld(xp, ch)));
      }
    }
  }
}

export function f32_avgpool2d(n: i32, ih: i32, iw: i32, c: i32, oh: i32, ow: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, pad_top: i32, pad_left: i32, pad_bottom: i32, pad_right: i32,
  count_include_pad: i32, input: usize, output: usize): void {
  for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) {
    const y0 = oy * sh - pad_top, ya = max(y0, 0), yb = min(y0 + kh, ih);
    for (let ox = 0; ox < ow; ox++) {
      const x0 = ox * sw - pad_left, xa = max(x0, 0), xb = min(x0 + kw, iw);
      const out = output + (<usize>(((b * oh + oy) * ow + ox) * c) << 2);
      let count = max(yb - ya, 0) * max(xb - xa, 0);
      if (count_include_pad != 0) {
        count = max(min(y0 + kh, ih + pad_bottom) - max(y0, -pad_top), 0) * max(min(x0 + kw, iw + pad_right) - max(x0, -pad_left), 0);
      }
      const scale: f32 = count > 0 ? <f32>1 / <f32>count : 0;
      for (let ch = 0; ch < c; ch++) st(out, ch, 0);
      for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) {
        const xp = input + (<usize>(((b * ih + y) * iw + x) * c) << 2);
        for (let ch = 0; ch < c; ch++) st(out, ch, ld(out, ch) + ld(xp, ch));
      }
      for (let ch = 0; ch < c; ch++) st(out, ch, ld(out, ch) * scale);
    }
  }
}

export function f32_global_avgpool(n: i32, hw: i32, c: i32, input: usize, output: usize): void {
  f32_avgpool2d(n, 1, hw, c, 1, 1, 1, hw, 1, 1, 0, 0, 0, 0, 0, input, output);
}

export function f32_global_maxpool(n: i32, hw: i32, c: i32, input: usize, output: usize): void {
  f32_maxpool2d(n, 1, hw, c, 1, 1, 1, hw, 1, 1, 1, 1, 0, 0, input, output);
}

export function f32_channel_affine(outer: i32, c: i32, inner: i32, input: usize, scale: usize, shift: usize, output: usize): void {
  for (let o = 0; o < outer; o++) for (let ch = 0; ch < c; ch++) {
    const base = (o * c + ch) * inner, s = ld(scale, ch), t = ld(shift, ch);
    for (let i = 0; i < inner; i++) st(output, base + i, ld(input, base + i) * s + t);
  }
}

/** out[o][oy][ox][ch] = sum_s sum_t wy[oy][s] * wx[ox][t] * in[o][iy[oy][s]][ix[ox][t]][ch] (docs/kernels.md). */
export function f32_resize2d(outer: i32, ih: i32, iw: i32, c: i32, oh: i32, ow: i32,
  ny: i32, y_index: usize, y_weight: usize, nx: i32, x_index: usize, x_weight: usize, extrapolation: f32,
  input: usize, output: usize, scratch: usize): void {
  for (let o = 0; o < outer; o++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    const out = output + (<usize>(((o * oh + oy) * ow + ox) * c) << 2);
    if (ldi(y_index, oy * ny) < 0 || ldi(x_index, ox * nx) < 0) { // outside the crop
      for (let ch = 0; ch < c; ch++) st(out, ch, extrapolation);
      continue;
    }
    for (let ch = 0; ch < c; ch++) st(out, ch, 0);
    for (let s = 0; s < ny; s++) {
      const wy: f32 = ny == 1 ? 1 : ld(y_weight, oy * ny + s), iy = ldi(y_index, oy * ny + s);
      for (let t = 0; t < nx; t++) {
        const w = wy * (nx == 1 ? 1 : ld(x_weight, ox * nx + t));
        const xp = input + (<usize>(((o * ih + iy) * iw + ldi(x_index, ox * nx + t)) * c) << 2);
        for (let ch = 0; ch < c; ch++) st(out, ch, ld(out, ch) + w * ld(xp, ch));
      }
    }
  }
}

export function f32_upsample_nearest(outer: i32, ih: i32, iw: i32, c: i32, fy: i32, fx: i32, input: usize, output: usize): void {
  const oh = ih * fy, ow = iw * fx, pixel = <usize>c << 2;
  for (let o = 0; o < outer; o++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    memory.copy(output + <usize>((o * oh + oy) * ow + ox) * pixel, input + <usize>((o * ih + oy / fy) * iw + ox / fx) * pixel, pixel);
  }
}
