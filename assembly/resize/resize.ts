// Resize (ONNX Resize / Upsample) of the two spatial axes of images [outer][h][w][c] (docs/kernels.md, "Resize").
// NCHW data is outer = n*c planes with c = 1; NHWC is outer = n with the channels innermost.
//
// The graph layer turns every mode (nearest with its rounding rules, linear, cubic; each coordinate
// transformation) into per-axis tap tables: output row oy reads input rows index[oy*ny + t] with weights
// weight[oy*ny + t], t < ny (likewise columns, nx taps). An index of -1 in a row's or column's first tap means
// "outside the crop" (tf_crop_and_resize): that output is the extrapolation value. One tap (ny or nx = 1) is a
// copy: its weight is taken to be 1 and not read (nearest), so results are bit-exact.
//
// f32_resize2d is separable: the ny input rows are blended into one scratch row (SIMD over the whole row), then
// each output pixel blends nx pixels of it (SIMD over channels when c > 1). With one tap of weight 1 (nearest) a
// row is read in place and an output row equal to the previous one is copied.
// f32_upsample_nearest is the integer-factor case (index = o / factor on both axes: nearest upsampling in
// asymmetric/floor, half_pixel/round_prefer_floor, ...): each input row is widened once (two shuffles per four
// pixels for c = 1, fx = 2) and copied fy times.
import { copy_f32 } from "../conv/util";
import { madd } from "../math/madd";
import { load_partial, store_partial } from "../util/lanes";

/**
 * output[o][oy][ox][ch] = sum_{s<ny} sum_{t<nx} wy[oy][s] * wx[ox][t] * input[o][iy[oy][s]][ix[ox][t]][ch], with
 * iy/wy = y_index/y_weight (i32/f32 [oh][ny]) and ix/wx = x_index/x_weight ([ow][nx]). Scratch: iw*c floats when ny > 1.
 */
export function f32_resize2d(outer: i32, ih: i32, iw: i32, c: i32, oh: i32, ow: i32,
                             ny: i32, y_index: usize, y_weight: usize, nx: i32, x_index: usize, x_weight: usize,
                             extrapolation: f32, input: usize, output: usize, scratch: usize): void {
  const in_row = iw * c, out_row = ow * c;
  const out_row_bytes = <usize>out_row << 2;
  for (let o = 0; o < outer; o++) {
    const img = input + (<usize>o * ih * in_row << 2);
    let dst = output + <usize>o * oh * out_row_bytes;
    for (let oy = 0; oy < oh; oy++) {
      const yi = y_index + (<usize>(oy * ny) << 2);
      const i0 = load<i32>(yi);
      if (i0 < 0) {
        fill_f32(dst, out_row, extrapolation);
      } else if (ny == 1 && oy > 0 && i0 == load<i32>(yi - 4)) {
        copy_f32(dst, dst - out_row_bytes, out_row);
      } else {
        let src = img + (<usize>i0 * in_row << 2);
        if (ny > 1) {
          blend_rows(scratch, img, in_row, ny, yi, y_weight + (<usize>(oy * ny) << 2));
          src = scratch;
        }
        resize_row(dst, src, c, ow, nx, x_index, x_weight, extrapolation);
      }
      dst += out_row_bytes;
    }
  }
}

/** dst[0..len) = sum_t w[t] * rows[idx[t]][0..len), rows of `len` floats from img. */
function blend_rows(dst: usize, img: usize, len: i32, taps: i32, idx: usize, w: usize): void {
  const r0 = img + (<usize>load<i32>(idx) * len << 2);
  const w0 = v128.load32_splat(w);
  const full = <usize>(len & ~3) << 2, rem = len & 3;
  let j: usize = 0;
  for (; j < full; j += 16) v128.store(dst + j, f32x4.mul(w0, v128.load(r0 + j)));
  if (rem) store_partial(dst + j, f32x4.mul(w0, load_partial(r0 + j, rem)), rem);
  for (let t = 1; t < taps; t++) {
    const r = img + (<usize>load<i32>(idx + (<usize>t << 2)) * len << 2);
    const wt = v128.load32_splat(w + (<usize>t << 2));
    j = 0;
    for (; j < full; j += 16) v128.store(dst + j, madd(wt, v128.load(r + j), v128.load(dst + j)));
    if (rem) store_partial(dst + j, madd(wt, load_partial(r + j, rem), load_partial(dst + j, rem)), rem);
  }
}

/** One output row from one (blended) input row: each pixel blends nx input pixels of c channels. */
function resize_row(dst: usize, src: usize, c: i32, ow: i32, nx: i32, x_index: usize, x_weight: usize, extrapolation: f32): void {
  const px = <usize>c << 2;
  let xi = x_index, xw = x_weight;
  const tap_bytes = <usize>nx << 2;
  if (c == 1) {
    for (let ox = 0; ox < ow; ox++) {
      const i0 = load<i32>(xi);
      let v: f32;
      if (i0 < 0) v = extrapolation;
      else if (nx == 1) v = load<f32>(src + (<usize>i0 << 2));
      else {
        v = load<f32>(xw) * load<f32>(src + (<usize>i0 << 2));
        for (let t = 1; t < nx; t++) {
          const o = <usize>t << 2;
          v += load<f32>(xw + o) * load<f32>(src + (<usize>load<i32>(xi + o) << 2));
        }
      }
      store<f32>(dst, v);
      dst += 4; xi += tap_bytes; xw += tap_bytes;
    }
    return;
  }
  for (let ox = 0; ox < ow; ox++) {
    const i0 = load<i32>(xi);
    if (i0 < 0) fill_f32(dst, c, extrapolation);
    else if (nx == 1) copy_f32(dst, src + <usize>i0 * px, c);
    else {
      for (let ch = 0; ch < c; ch += 4) {
        const r = min(4, c - ch);
        const at = <usize>ch << 2;
        let acc = f32x4.mul(v128.load32_splat(xw), load4(src + <usize>i0 * px + at, r));
        for (let t = 1; t < nx; t++) {
          const o = <usize>t << 2;
          acc = madd(v128.load32_splat(xw + o), load4(src + <usize>load<i32>(xi + o) * px + at, r), acc);
        }
        if (r == 4) v128.store(dst + at, acc);
        else store_partial(dst + at, acc, r);
      }
    }
    dst += px; xi += tap_bytes; xw += tap_bytes;
  }
}

@inline function load4(p: usize, r: i32): v128 {
  return r == 4 ? v128.load(p) : load_partial(p, r);
}

@inline function fill_f32(dst: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  while (n >= 4) {
    v128.store(dst, v);
    dst += 16; n -= 4;
  }
  if (n > 0) store_partial(dst, v, n);
}

/** output[o][iy*fy + r][ix*fx + s][ch] = input[o][iy][ix][ch] for r < fy, s < fx (integer upsampling, nearest). */
export function f32_upsample_nearest(outer: i32, ih: i32, iw: i32, c: i32, fy: i32, fx: i32, input: usize, output: usize): void {
  const in_row = iw * c, out_row = in_row * fx;
  const out_row_bytes = <usize>out_row << 2;
  const rows = outer * ih;
  let src = input, dst = output;
  for (let r = 0; r < rows; r++) {
    widen_row(dst, src, iw, c, fx);
    for (let k = 1; k < fy; k++) copy_f32(dst + <usize>k * out_row_bytes, dst, out_row);
    src += <usize>in_row << 2;
    dst += <usize>fy * out_row_bytes;
  }
}

/** dst = each of the iw pixels (c floats) of src repeated fx times. */
function widen_row(dst: usize, src: usize, iw: i32, c: i32, fx: i32): void {
  if (c == 1 && fx == 2) {
    let ix = 0;
    for (; ix + 4 <= iw; ix += 4) {
      const v = v128.load(src);
      v128.store(dst, i32x4.shuffle(v, v, 0, 0, 1, 1));
      v128.store(dst, i32x4.shuffle(v, v, 2, 2, 3, 3), 16);
      src += 16; dst += 32;
    }
    for (; ix < iw; ix++) {
      const x = <u64>load<u32>(src);
      store<u64>(dst, x | (x << 32));
      src += 4; dst += 8;
    }
    return;
  }
  if (c == 1) {
    for (let ix = 0; ix < iw; ix++) {
      fill_f32(dst, fx, load<f32>(src));
      src += 4; dst += <usize>fx << 2;
    }
    return;
  }
  const px = <usize>c << 2;
  for (let ix = 0; ix < iw; ix++) {
    for (let s = 0; s < fx; s++) {
      copy_f32(dst, src, c);
      dst += px;
    }
    src += px;
  }
}
