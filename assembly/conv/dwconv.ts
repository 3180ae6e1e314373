// Depthwise convolution, NHWC (groups == cin == cout): each channel is filtered by its own kh x kw kernel.
//
// Packed weights, cp = c rounded up to 4 (padding lanes are 0):
//   [bias: cp][tap 0: cp][tap 1: cp] ... [tap kh*kw-1: cp]        tap t = dy*kw + dx
// SIMD runs over channels (4 per v128). Per output row, pixels whose window lies inside the image columns go
//   - kw = 3 or 5, stride_w 1 or 2 (MobileNet, EfficientNet): 8 pixels x 4 channels at a time, each input
//     column loaded once per kernel row and fed to every accumulator it touches (dw_row8_k3s1: 13 loads per
//     24 madds, against 30 when every tap reloads its input);
//   - otherwise 4 pixels x 8 channels: each weight vector loaded once per tap for four pixels (dw_quad).
// Border pixels go one at a time, 16 channels per step, with the window clipped to the image: padding taps
// are skipped, not read. Rows outside the image are skipped the same way for every pixel of the row.
import { madd } from "../math/madd";
import { clamp4, load_partial, store_partial } from "../util/lanes";
import { tap_hi, tap_lo } from "./util";

/** Floats of packed weights for f32_dwconv2d_pack. */
export function f32_dwconv2d_packed_size(kh: i32, kw: i32, c: i32): i32 {
  return (kh * kw + 1) * ((c + 3) & ~3);
}

/** Packs w [c][1][kh][kw] and bias [c] (0 = none) for f32_dwconv2d. */
export function f32_dwconv2d_pack(kh: i32, kw: i32, c: i32, w: usize, bias: usize, packed: usize): void {
  const cp = (c + 3) & ~3;
  const khw = kh * kw;
  for (let ch = 0; ch < cp; ch++) {
    const v: f32 = ch < c && bias != 0 ? load<f32>(bias + (<usize>ch << 2)) : 0;
    store<f32>(packed + (<usize>ch << 2), v);
  }
  for (let t = 0; t < khw; t++) {
    const row = packed + (<usize>((t + 1) * cp) << 2);
    for (let ch = 0; ch < cp; ch++) {
      const v: f32 = ch < c ? load<f32>(w + (<usize>(ch * khw + t) << 2)) : 0;
      store<f32>(row + (<usize>ch << 2), v);
    }
  }
}

/**
 * output[n][oh][ow][c] = clamp(bias + depthwise_conv(input[n][ih][iw][c]), out_min, out_max).
 * Same geometry as f32_conv2d: taps outside the image read 0, pad_bottom / pad_right are implied by oh / ow.
 */
export function f32_dwconv2d(n: i32, ih: i32, iw: i32, c: i32, oh: i32, ow: i32, kh: i32, kw: i32,
                             stride_h: i32, stride_w: i32, dil_h: i32, dil_w: i32, pad_top: i32, pad_left: i32,
                             input: usize, packed: usize, output: usize, out_min: f32, out_max: f32): void {
  if (n <= 0 || oh <= 0 || ow <= 0 || c <= 0) return;
  const vmin = f32x4.splat(out_min), vmax = f32x4.splat(out_max);
  const cp = (c + 3) & ~3;
  const px = <usize>c << 2; // bytes per pixel
  const wrow = <usize>cp << 2; // bytes per packed tap
  const row_bytes = <usize>iw * px;
  // Output columns whose window is entirely inside [0, iw): [ox_lo, ox_hi).
  const ox_lo = min(ow, pad_left > 0 ? (pad_left + stride_w - 1) / stride_w : 0);
  const room = iw - 1 + pad_left - (kw - 1) * dil_w;
  const ox_hi = room < 0 ? ox_lo : max(ox_lo, min(ow, room / stride_w + 1));
  // kw = 3 or 5, stride_w 1 or 2, dil_w = 1: runs of 8 pixels that load each input column once (dw_row8_k*).
  const stream = (kw == 3 || kw == 5) && dil_w == 1 && (stride_w == 1 || stride_w == 2);
  const cb = c & ~3;
  for (let b = 0; b < n; b++) {
    const img = input + <usize>b * ih * row_bytes;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * stride_h - pad_top;
      const dy0 = tap_lo(iy0, dil_h);
      const ny = max(0, tap_hi(iy0, kh, dil_h, ih) - dy0);
      const rows = img + <usize>(iy0 + dy0 * dil_h) * row_bytes; // first valid input row (unused if ny == 0)
      const wrows = packed + wrow + <usize>(dy0 * kw) * wrow;
      let dst = output + (<usize>((b * oh + oy) * ow) * px);
      let ox = 0;
      for (; ox < ox_lo; ox++, dst += px) dw_pixel(rows, row_bytes * dil_h, ny, ox * stride_w - pad_left, kw, dil_w, iw, c, wrows, packed, wrow, dst, vmin, vmax);
      if (stream) {
        const run = <usize>stride_w * px; // input bytes between adjacent output pixels
        for (; ox + 8 <= ox_hi; ox += 8, dst += px << 3) {
          const src = rows + <usize>(ox * stride_w - pad_left) * px;
          if (kw == 3) {
            if (stride_w == 1) dw_row8_k3s1(src, row_bytes * dil_h, ny, c, wrows, packed, wrow, dst, vmin, vmax);
            else dw_row8_k3s2(src, row_bytes * dil_h, ny, c, wrows, packed, wrow, dst, vmin, vmax);
          } else {
            if (stride_w == 1) dw_row8_k5s1(src, row_bytes * dil_h, ny, c, wrows, packed, wrow, dst, vmin, vmax);
            else dw_row8_k5s2(src, row_bytes * dil_h, ny, c, wrows, packed, wrow, dst, vmin, vmax);
          }
          if (cb < c) {
            dw_quad(src, run, row_bytes * dil_h, ny, kw, px, cb, c, wrows, packed, wrow, dst, vmin, vmax);
            dw_quad(src + (run << 2), run, row_bytes * dil_h, ny, kw, px, cb, c, wrows, packed, wrow, dst + (px << 2), vmin, vmax);
          }
        }
      }
      for (; ox + 4 <= ox_hi; ox += 4, dst += px << 2) {
        dw_quad(rows + <usize>(ox * stride_w - pad_left) * px, px * stride_w, row_bytes * dil_h, ny, kw, px * dil_w,
                0, c, wrows, packed, wrow, dst, vmin, vmax);
      }
      for (; ox < ow; ox++, dst += px) dw_pixel(rows, row_bytes * dil_h, ny, ox * stride_w - pad_left, kw, dil_w, iw, c, wrows, packed, wrow, dst, vmin, vmax);
    }
  }
}

/** One output pixel, window clipped to the image columns. ix0 = first tap's input column (may be outside). */
function dw_pixel(rows: usize, row_step: usize, ny: i32, ix0: i32, kw: i32, dil_w: i32, iw: i32, c: i32,
                  wrows: usize, bias: usize, wrow: usize, dst: usize, vmin: v128, vmax: v128): void {
  const dx0 = tap_lo(ix0, dil_w);
  const nx = max(0, tap_hi(ix0, kw, dil_w, iw) - dx0);
  const px = <usize>c << 2;
  const src0 = rows + <usize>(ix0 + dx0 * dil_w) * px;
  const w0 = wrows + <usize>dx0 * wrow;
  const tap_step = <usize>dil_w * px;
  const wy_step = <usize>kw * wrow;
  const cb = c & ~3;
  let c0 = 0;
  // 16 channels per step: four independent accumulators.
  for (; c0 + 16 <= c; c0 += 16) {
    const off = <usize>c0 << 2;
    let a0 = v128.load(bias + off), a1 = v128.load(bias + off, 16), a2 = v128.load(bias + off, 32), a3 = v128.load(bias + off, 48);
    let sy = src0 + off, wy = w0 + off;
    for (let y = 0; y < ny; y++, sy += row_step, wy += wy_step) {
      let s = sy, w = wy;
      for (let x = 0; x < nx; x++, s += tap_step, w += wrow) {
        a0 = madd(v128.load(s), v128.load(w), a0);
        a1 = madd(v128.load(s, 16), v128.load(w, 16), a1);
        a2 = madd(v128.load(s, 32), v128.load(w, 32), a2);
        a3 = madd(v128.load(s, 48), v128.load(w, 48), a3);
      }
    }
    v128.store(dst + off, clamp4(a0, vmin, vmax));
    v128.store(dst + off, clamp4(a1, vmin, vmax), 16);
    v128.store(dst + off, clamp4(a2, vmin, vmax), 32);
    v128.store(dst + off, clamp4(a3, vmin, vmax), 48);
  }
  for (; c0 < cb; c0 += 4) {
    const off = <usize>c0 << 2;
    let acc = v128.load(bias + off);
    let sy = src0 + off, wy = w0 + off;
    for (let y = 0; y < ny; y++, sy += row_step, wy += wy_step) {
      let s = sy, w = wy;
      for (let x = 0; x < nx; x++, s += tap_step, w += wrow) acc = madd(v128.load(s), v128.load(w), acc);
    }
    v128.store(dst + off, clamp4(acc, vmin, vmax));
  }
  if (c0 < c) {
    const cr = c - c0;
    const off = <usize>c0 << 2;
    let acc = v128.load(bias + off);
    let sy = src0 + off, wy = w0 + off;
    for (let y = 0; y < ny; y++, sy += row_step, wy += wy_step) {
      let s = sy, w = wy;
      for (let x = 0; x < nx; x++, s += tap_step, w += wrow) acc = madd(load_partial(s, cr), v128.load(w), acc);
    }
    store_partial(dst + off, clamp4(acc, vmin, vmax), cr);
  }
}

/**
 * Four adjacent output pixels whose windows are inside the image columns, channels [c_start, c).
 * src = first tap of the first pixel (channel 0).
 */
function dw_quad(src: usize, px_step: usize, row_step: usize, ny: i32, kw: i32, tap_step: usize, c_start: i32, c: i32,
                 wrows: usize, bias: usize, wrow: usize, dst: usize, vmin: v128, vmax: v128): void {
  const px = <usize>c << 2;
  const wy_step = <usize>kw * wrow;
  const o1 = px_step, o2 = px_step * 2, o3 = px_step * 3;
  let c0 = c_start;
  // 8 channels x 4 pixels: 8 accumulators, each weight load feeds 4 multiply-adds.
  for (; c0 + 8 <= c; c0 += 8) {
    const off = <usize>c0 << 2;
    let a0 = v128.load(bias + off), b0 = v128.load(bias + off, 16);
    let a1 = a0, a2 = a0, a3 = a0, b1 = b0, b2 = b0, b3 = b0;
    let sy = src + off, wy = wrows + off;
    for (let y = 0; y < ny; y++, sy += row_step, wy += wy_step) {
      let s = sy, w = wy;
      for (let x = 0; x < kw; x++, s += tap_step, w += wrow) {
        const wa = v128.load(w), wb = v128.load(w, 16);
        a0 = madd(v128.load(s), wa, a0);
        b0 = madd(v128.load(s, 16), wb, b0);
        a1 = madd(v128.load(s + o1), wa, a1);
        b1 = madd(v128.load(s + o1, 16), wb, b1);
        a2 = madd(v128.load(s + o2), wa, a2);
        b2 = madd(v128.load(s + o2, 16), wb, b2);
        a3 = madd(v128.load(s + o3), wa, a3);
        b3 = madd(v128.load(s + o3, 16), wb, b3);
      }
    }
    const d = dst + off;
    v128.store(d, clamp4(a0, vmin, vmax));
    v128.store(d, clamp4(b0, vmin, vmax), 16);
    v128.store(d + px, clamp4(a1, vmin, vmax));
    v128.store(d + px, clamp4(b1, vmin, vmax), 16);
    v128.store(d + 2 * px, clamp4(a2, vmin, vmax));
    v128.store(d + 2 * px, clamp4(b2, vmin, vmax), 16);
    v128.store(d + 3 * px, clamp4(a3, vmin, vmax));
    v128.store(d + 3 * px, clamp4(b3, vmin, vmax), 16);
  }
  // 4 channels, then an exact 1..3 channel tail.
  for (; c0 < c; c0 += 4) {
    const cr = c - c0;
    const off = <usize>c0 << 2;
    let a0 = v128.load(bias + off);
    let a1 = a0, a2 = a0, a3 = a0;
    let sy = src + off, wy = wrows + off;
    for (let y = 0; y < ny; y++, sy += row_step, wy += wy_step) {
      let s = sy, w = wy;
      if (cr >= 4) {
        for (let x = 0; x < kw; x++, s += tap_step, w += wrow) {
          const wv = v128.load(w);
          a0 = madd(v128.load(s), wv, a0);
          a1 = madd(v128.load(s + o1), wv, a1);
          a2 = madd(v128.load(s + o2), wv, a2);
          a3 = madd(v128.load(s + o3), wv, a3);
        }
      } else {
        for (let x = 0; x < kw; x++, s += tap_step, w += wrow) {
          const wv = v128.load(w);
          a0 = madd(load_partial(s, cr), wv, a0);
          a1 = madd(load_partial(s + o1, cr), wv, a1);
          a2 = madd(load_partial(s + o2, cr), wv, a2);
          a3 = madd(load_partial(s + o3, cr), wv, a3);
        }
      }
    }
    const d = dst + off;
    if (cr >= 4) {
      v128.store(d, clamp4(a0, vmin, vmax));
      v128.store(d + px, clamp4(a1, vmin, vmax));
      v128.store(d + 2 * px, clamp4(a2, vmin, vmax));
      v128.store(d + 3 * px, clamp4(a3, vmin, vmax));
    } else {
      store_partial(d, clamp4(a0, vmin, vmax), cr);
      store_partial(d + px, clamp4(a1, vmin, vmax), cr);
      store_partial(d + 2 * px, clamp4(a2, vmin, vmax), cr);
      store_partial(d + 3 * px, clamp4(a3, vmin, vmax), cr);
    }
  }
}

/**
 * 8 adjacent output pixels, kw = 3 or 5, stride_w = 1 or 2, dil_w = 1, windows inside the image columns; full
 * 4-channel blocks only (the caller does the 1..3 channel tail). Per kernel row the 7*stride_w + kw input columns
 * are loaded once each and feed every accumulator they touch: 3x3 13 loads per 24 multiply-adds at stride 1, 20 at
 * stride 2; 5x5 17 and 24 per 40. One function per (kw, stride_w), each dw_row8 specialised for its constants
 * (a single function holding all four measured up to ~4% slower in V8).
 */
function dw_row8_k3s1(src: usize, row_step: usize, ny: i32, c: i32, wrows: usize, bias: usize, wrow: usize,
                      dst: usize, vmin: v128, vmax: v128): void {
  dw_row8(src, row_step, ny, 3, 1, c, wrows, bias, wrow, dst, vmin, vmax);
}
function dw_row8_k3s2(src: usize, row_step: usize, ny: i32, c: i32, wrows: usize, bias: usize, wrow: usize,
                      dst: usize, vmin: v128, vmax: v128): void {
  dw_row8(src, row_step, ny, 3, 2, c, wrows, bias, wrow, dst, vmin, vmax);
}
function dw_row8_k5s1(src: usize, row_step: usize, ny: i32, c: i32, wrows: usize, bias: usize, wrow: usize,
                      dst: usize, vmin: v128, vmax: v128): void {
  dw_row8(src, row_step, ny, 5, 1, c, wrows, bias, wrow, dst, vmin, vmax);
}
function dw_row8_k5s2(src: usize, row_step: usize, ny: i32, c: i32, wrows: usize, bias: usize, wrow: usize,
                      dst: usize, vmin: v128, vmax: v128): void {
  dw_row8(src, row_step, ny, 5, 2, c, wrows, bias, wrow, dst, vmin, vmax);
}

/**
 * Body of dw_row8_k*s*; kw (3 or 5) and stride (1 or 2) are constants at every call, so their branches fold away.
 * Per kernel row the input columns are loaded in order, once each, into a window x0..x4 that slides `stride`
 * columns from one pixel to the next (a 3-wide kernel uses x2..x4); each pixel takes its kw taps from the window
 * (dw_taps). The 8 pixels are written out: the accumulators are separate locals, and binaryen does not unroll
 * loops (a loop that rotates the accumulators instead measured 2-5% slower for 3x3 stride 1).
 */
@inline function dw_row8(src: usize, row_step: usize, ny: i32, kw: i32, stride: i32, c: i32, wrows: usize,
                         bias: usize, wrow: usize, dst: usize, vmin: v128, vmax: v128): void {
  const px = <usize>c << 2;
  const wy_step = wrow * kw;
  const cb = c & ~3;
  for (let c0 = 0; c0 < cb; c0 += 4) {
    const off = <usize>c0 << 2;
    let a0 = v128.load(bias + off);
    let a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    let sy = src + off, wy = wrows + off;
    for (let y = 0; y < ny; y++, sy += row_step, wy += wy_step) {
      const w0 = v128.load(wy), w1 = v128.load(wy + wrow), w2 = v128.load(wy + 2 * wrow);
      let w3 = w0, w4 = w0, x0 = w0, x1 = w0; // used only when kw == 5
      if (kw == 5) { w3 = v128.load(wy + 3 * wrow); w4 = v128.load(wy + 4 * wrow); }
      let s = sy; // next input column to load
      if (kw == 5) { x0 = v128.load(s); s += px; x1 = v128.load(s); s += px; }
      let x2 = v128.load(s); s += px;
      let x3 = v128.load(s); s += px;
      let x4 = v128.load(s); s += px;
      a0 = dw_taps(a0, kw, x0, x1, x2, x3, x4, w0, w1, w2, w3, w4);
      if (stride == 1) { x0 = x1; x1 = x2; x2 = x3; x3 = x4; } else { x0 = x2; x1 = x3; x2 = x4; x3 = v128.load(s); s += px; }
      x4 = v128.load(s); s += px;
      a1 = dw_taps(a1, kw, x0, x1, x2, x3, x4, w0, w1, w2, w3, w4);
      if (stride == 1) { x0 = x1; x1 = x2; x2 = x3; x3 = x4; } else { x0 = x2; x1 = x3; x2 = x4; x3 = v128.load(s); s += px; }
      x4 = v128.load(s); s += px;
      a2 = dw_taps(a2, kw, x0, x1, x2, x3, x4, w0, w1, w2, w3, w4);
      if (stride == 1) { x0 = x1; x1 = x2; x2 = x3; x3 = x4; } else { x0 = x2; x1 = x3; x2 = x4; x3 = v128.load(s); s += px; }
      x4 = v128.load(s); s += px;
      a3 = dw_taps(a3, kw, x0, x1, x2, x3, x4, w0, w1, w2, w3, w4);
      if (stride == 1) { x0 = x1; x1 = x2; x2 = x3; x3 = x4; } else { x0 = x2; x1 = x3; x2 = x4; x3 = v128.load(s); s += px; }
      x4 = v128.load(s); s += px;
      a4 = dw_taps(a4, kw, x0, x1, x2, x3, x4, w0, w1, w2, w3, w4);
      if (stride == 1) { x0 = x1; x1 = x2; x2 = x3; x3 = x4; } else { x0 = x2; x1 = x3; x2 = x4; x3 = v128.load(s); s += px; }
      x4 = v128.load(s); s += px;
      a5 = dw_taps(a5, kw, x0, x1, x2, x3, x4, w0, w1, w2, w3, w4);
      if (stride == 1) { x0 = x1; x1 = x2; x2 = x3; x3 = x4; } else { x0 = x2; x1 = x3; x2 = x4; x3 = v128.load(s); s += px; }
      x4 = v128.load(s); s += px;
      a6 = dw_taps(a6, kw, x0, x1, x2, x3, x4, w0, w1, w2, w3, w4);
      if (stride == 1) { x0 = x1; x1 = x2; x2 = x3; x3 = x4; } else { x0 = x2; x1 = x3; x2 = x4; x3 = v128.load(s); s += px; }
      x4 = v128.load(s);
      a7 = dw_taps(a7, kw, x0, x1, x2, x3, x4, w0, w1, w2, w3, w4);
    }
    let d = dst + off;
    v128.store(d, clamp4(a0, vmin, vmax)); d += px;
    v128.store(d, clamp4(a1, vmin, vmax)); d += px;
    v128.store(d, clamp4(a2, vmin, vmax)); d += px;
    v128.store(d, clamp4(a3, vmin, vmax)); d += px;
    v128.store(d, clamp4(a4, vmin, vmax)); d += px;
    v128.store(d, clamp4(a5, vmin, vmax)); d += px;
    v128.store(d, clamp4(a6, vmin, vmax)); d += px;
    v128.store(d, clamp4(a7, vmin, vmax));
  }
}

/** One pixel's taps over one kernel row, in tap order: window x0..x4 (x2..x4 when kw == 3), weights w0..w(kw-1). */
@inline function dw_taps(a: v128, kw: i32, x0: v128, x1: v128, x2: v128, x3: v128, x4: v128,
                         w0: v128, w1: v128, w2: v128, w3: v128, w4: v128): v128 {
  if (kw == 3) return madd(x4, w2, madd(x3, w1, madd(x2, w0, a)));
  return madd(x4, w4, madd(x3, w3, madd(x2, w2, madd(x1, w1, madd(x0, w0, a)))));
}
