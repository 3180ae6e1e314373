// Convolutions without SIMD, NHWC, direct (no im2col, no Winograd). Packed weights are the bias [cout] (zeros when
// none) followed by the weights reordered to [groups][kh][kw][cin/groups][cout/groups]: each input value of a tap
// is multiplied into a contiguous run of output channels, accumulated in the output pixel itself. The Winograd
// entry points take the same layout and compute the same direct convolution (their packed size is the direct one:
// no 4x). Depthwise: bias [c], then [kh][kw][c].
import { tap_hi, tap_lo } from "../conv/util";
import { clampf, ld, st } from "./mem";

export function f32_conv2d_packed_size(kh: i32, kw: i32, cin: i32, cout: i32, groups: i32): i32 {
  return cout + cout * kh * kw * (cin / groups);
}

/** w [cout][cin/groups][kh][kw] (ONNX OIHW), bias [cout] or 0. */
export function f32_conv2d_pack(kh: i32, kw: i32, cin: i32, cout: i32, groups: i32, w: usize, bias: usize, packed: usize): void {
  const cin_g = cin / groups, cout_g = cout / groups, taps = kh * kw;
  for (let o = 0; o < cout; o++) st(packed, o, bias != 0 ? ld(bias, o) : 0);
  for (let o = 0; o < cout; o++) {
    const g = o / cout_g, co = o - g * cout_g;
    for (let ci = 0; ci < cin_g; ci++) for (let t = 0; t < taps; t++) {
      st(packed, cout + ((g * taps + t) * cin_g + ci) * cout_g + co, ld(w, (o * cin_g + ci) * taps + t));
    }
  }
}

export function f32_conv2d_scratch_size(ow: i32, kh: i32, kw: i32, cin: i32, cout: i32, groups: i32): i32 {
  return 0;
}

export function f32_conv2d(n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, cout: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pad_top: i32, pad_left: i32, groups: i32,
  input: usize, packed: usize, output: usize, scratch: usize, out_min: f32, out_max: f32): void {
  const cin_g = cin / groups, cout_g = cout / groups, taps = kh * kw;
  const weights = packed + (<usize>cout << 2);
  for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) {
    const y0 = oy * sh - pad_top, ty0 = tap_lo(y0, dh), ty1 = tap_hi(y0, kh, dh, ih);
    for (let ox = 0; ox < ow; ox++) {
      const x0 = ox * sw - pad_left, tx0 = tap_lo(x0, dw), tx1 = tap_hi(x0, kw, dw, iw);
      const out = output + (<usize>(((b * oh + oy) * ow + ox) * cout) << 2);
      memory.copy(out, packed, <usize>cout << 2); // the bias
      for (let ty = ty0; ty < ty1; ty++) for (let tx = tx0; tx < tx1; tx++) {
        const xp = input + (<usize>(((b * ih + y0 + ty * dh) * iw + x0 + tx * dw) * cin) << 2);
        for (let g = 0; g < groups; g++) {
          const og = out + (<usize>(g * cout_g) << 2);
          let wp = weights + (<usize>((g * taps + ty * kw + tx) * cin_g * cout_g) << 2);
          for (let ci = 0; ci < cin_g; ci++) {
            const v = ld(xp, g * cin_g + ci);
            for (let co = 0; co < cout_g; co++) st(og, co, ld(og, co) + v * ld(wp, co));
            wp += <usize>cout_g << 2;
          }
        }
      }
      for (let o = 0; o < cout; o++) st(out, o, clampf(ld(out, o), out_min, out_max));
    }
  }
}

export function f32_conv2d_wino_packed_size(cin: i32, cout: i32): i32 {
  return f32_conv2d_packed_size(3, 3, cin, cout, 1);
}
export function f32_conv2d_wino_pack(cin: i32, cout: i32, w: usize, bias: usize, packed: usize): void {
  f32_conv2d_pack(3, 3, cin, cout, 1, w, bias, packed);
}
export function f32_conv2d_wino_scratch_size(cin: i32, cout: i32): i32 {
  return 0;
}
export function f32_conv2d_wino(n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, cout: i32, pad_top: i32, pad_left: i32,
  input: usize, packed: usize, output: usize, scratch: usize, out_min: f32, out_max: f32): void {
  f32_conv2d(n, ih, iw, cin, oh, ow, cout, 3, 3, 1, 1, 1, 1, pad_top, pad_left, 1, input, packed, output, 0, out_min, out_max);
}

export function f32_conv1d_wino_packed_size(kw: i32, cin: i32, cout: i32): i32 {
  return f32_conv2d_packed_size(1, kw, cin, cout, 1);
}
export function f32_conv1d_wino_pack(kw: i32, cin: i32, cout: i32, w: usize, bias: usize, packed: usize): void {
  f32_conv2d_pack(1, kw, cin, cout, 1, w, bias, packed);
}
export function f32_conv1d_wino_scratch_size(kw: i32, cin: i32, cout: i32): i32 {
  return 0;
}
/** Rows of an image are independent signals: rows x 1 x iw x cin. */
export function f32_conv1d_wino(rows: i32, iw: i32, cin: i32, ow: i32, cout: i32, kw: i32, pad_left: i32,
  input: usize, packed: usize, output: usize, scratch: usize, out_min: f32, out_max: f32): void {
  f32_conv2d(rows, 1, iw, cin, 1, ow, cout, 1, kw, 1, 1, 1, 1, 0, pad_left, 1, input, packed, output, 0, out_min, out_max);
}

export function f32_dwconv2d_packed_size(kh: i32, kw: i32, c: i32): i32 {
  return c + kh * kw * c;
}

/** w [c][1][kh][kw], bias [c] or 0 -> bias, then [kh][kw][c]. */
export function f32_dwconv2d_pack(kh: i32, kw: i32, c: i32, w: usize, bias: usize, packed: usize): void {
  const taps = kh * kw;
  for (let ch = 0; ch < c; ch++) {
    st(packed, ch, bias != 0 ? ld(bias, ch) : 0);
    for (let t = 0; t < taps; t++) st(packed, c + t * c + ch, ld(w, ch * taps + t));
  }
}

export function f32_dwconv2d(n: i32, ih: i32, iw: i32, c: i32, oh: i32, ow: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pad_top: i32, pad_left: i32,
  input: usize, packed: usize, output: usize, out_min: f32, out_max: f32): void {
  for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) {
    const y0 = oy * sh - pad_top, ty0 = tap_lo(y0, dh), ty1 = tap_hi(y0, kh, dh, ih);
    for (let ox = 0; ox < ow; ox++) {
      const x0 = ox * sw - pad_left, tx0 = tap_lo(x0, dw), tx1 = tap_hi(x0, kw, dw, iw);
      const out = output + (<usize>(((b * oh + oy) * ow + ox) * c) << 2);
      memory.copy(out, packed, <usize>c << 2); // the bias
      for (let ty = ty0; ty < ty1; ty++) for (let tx = tx0; tx < tx1; tx++) {
        const xp = input + (<usize>(((b * ih + y0 + ty * dh) * iw + x0 + tx * dw) * c) << 2);
        const wp = packed + (<usize>((1 + ty * kw + tx) * c) << 2);
        for (let ch = 0; ch < c; ch++) st(out, ch, ld(out, ch) + ld(xp, ch) * ld(wp, ch));
      }
      for (let ch = 0; ch < c; ch++) st(out, ch, clampf(ld(out, ch), out_min, out_max));
    }
  }
}

// Transposed convolution: bias [cout], then w [cin][cout/groups][kh][kw] reordered to [cin][kh][kw][cout/groups].
export function f32_deconv2d_packed_size(kh: i32, kw: i32, cin: i32, cout: i32, groups: i32): i32 {
  return cout + cin * kh * kw * (cout / groups);
}

export function f32_deconv2d_pack(kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, cin: i32, cout: i32, groups: i32,
  w: usize, bias: usize, packed: usize): void {
  const cout_g = cout / groups, taps = kh * kw;
  for (let o = 0; o < cout; o++) st(packed, o, bias != 0 ? ld(bias, o) : 0);
  for (let ci = 0; ci < cin; ci++) {
    for (let t = 0; t < taps; t++) {
      for (let co = 0; co < cout_g; co++) st(packed, cout + (ci * taps + t) * cout_g + co, ld(w, (ci * cout_g + co) * taps + t));
    }
  }
}

export function f32_deconv2d_scratch_size(kh: i32, kw: i32, cout: i32, groups: i32): i32 {
  return 0;
}

/** Every output pixel starts as the bias; each input pixel adds its taps to the output pixels they reach. */
export function f32_deconv2d(n: i32, ih: i32, iw: i32, cin: i32, oh: i32, ow: i32, cout: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pad_top: i32, pad_left: i32, groups: i32,
  input: usize, packed: usize, output: usize, scratch: usize): void {
  const cin_g = cin / groups, cout_g = cout / groups, taps = kh * kw;
  const pixels = n * oh * ow;
  for (let p = 0; p < pixels; p++) memory.copy(output + (<usize>(p * cout) << 2), packed, <usize>cout << 2);
  for (let b = 0; b < n; b++) for (let iy = 0; iy < ih; iy++) for (let ix = 0; ix < iw; ix++) {
    const xp = input + (<usize>(((b * ih + iy) * iw + ix) * cin) << 2);
    for (let ty = 0; ty < kh; ty++) {
      const oy = iy * sh - pad_top + ty * dh;
      if (oy < 0 || oy >= oh) continue;
      for (let tx = 0; tx < kw; tx++) {
        const ox = ix * sw - pad_left + tx * dw;
        if (ox < 0 || ox >= ow) continue;
        const out = output + (<usize>(((b * oh + oy) * ow + ox) * cout) << 2);
        for (let ci = 0; ci < cin; ci++) {
          const v = ld(xp, ci), g = ci / cin_g;
          const wp = packed + (<usize>(cout + (ci * taps + ty * kw + tx) * cout_g) << 2), og = out + (<usize>(g * cout_g) << 2);
          for (let co = 0; co < cout_g; co++) st(og, co, ld(og, co) + v * ld(wp, co));
        }
      }
    }
  }
}
