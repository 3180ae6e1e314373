// f32_resize2d (separable tap tables) and f32_upsample_nearest against a plain scalar, non-separable reference
// in f64: out = sum over row taps s and column taps t of wy[s] * wx[t] * in[iy[s]][ix[t]].
//
// Tolerance: |optimized - reference| <= 1e-6 * sum |wy * wx * in| + 1e-30 (two f32 blends of up to 4 taps);
// one-tap axes (nearest) and f32_upsample_nearest must be bit-exact. Outputs and scratch are guarded; inputs
// must be unchanged.
import { f32_resize2d, f32_upsample_nearest } from "../../assembly/resize/resize";
import { at, copy, data, guarded, guards_intact, random, reseed, rnd, same } from "./buffers";

reseed(4242);

/** Random taps for `len` outputs over an axis of `size` inputs: weights 1 for one tap, else random in [-1, 1). */
class Taps {
  index: StaticArray<i32>;
  weight: StaticArray<f32>;
  constructor(public len: i32, public taps: i32, size: i32, extrapolate: bool, runs: bool) {
    this.index = new StaticArray<i32>(len * taps);
    this.weight = new StaticArray<f32>(len * taps);
    for (let o = 0; o < len; o++) {
      // runs: repeat the previous output's index (nearest upsampling: consecutive outputs read the same row).
      const repeat = runs && o > 0 && rnd() > 0;
      for (let t = 0; t < taps; t++) {
        const k = o * taps + t;
        this.index[k] = repeat ? this.index[k - taps] : min(size - 1, <i32>((rnd() + 1) * 0.5 * <f32>size));
        this.weight[k] = taps == 1 ? 1 : rnd();
      }
      if (extrapolate && rnd() > 0.5) this.index[o * taps] = -1;
    }
  }
  ptr_index(): usize { return changetype<usize>(this.index); }
  ptr_weight(): usize { return changetype<usize>(this.weight); }
}

function check_resize(outer: i32, ih: i32, iw: i32, c: i32, oh: i32, ow: i32, ny: i32, nx: i32, extrapolate: bool): bool {
  const what = `outer=${outer} ${ih}x${iw}x${c} -> ${oh}x${ow} taps ${ny}x${nx}${extrapolate ? " extrapolation" : ""}`;
  const ty = new Taps(oh, ny, ih, extrapolate, ny == 1), tx = new Taps(ow, nx, iw, extrapolate, nx == 1);
  const nin = outer * ih * iw * c, nout = outer * oh * ow * c, ns = iw * c;
  const x = random(nin), x0 = copy(x);
  const y = guarded(nout), scratch = guarded(ns);
  const extrap: f32 = 0.625;
  f32_resize2d(outer, ih, iw, c, oh, ow, ny, ty.ptr_index(), ty.ptr_weight(), nx, tx.ptr_index(), tx.ptr_weight(),
               extrap, data(x), data(y), data(scratch));
  if (!guards_intact(y, nout) || !guards_intact(scratch, ns)) { trace("f32_resize2d wrote outside its buffers: " + what); return false; }
  if (!same(x, x0)) { trace("f32_resize2d modified its input: " + what); return false; }
  const exact = ny == 1 && nx == 1;
  for (let o = 0; o < outer; o++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < c; ch++) {
    let ref: f64 = 0, mag: f64 = 0;
    if (ty.index[oy * ny] < 0 || tx.index[ox * nx] < 0) {
      ref = extrap;
    } else {
      for (let s = 0; s < ny; s++) for (let t = 0; t < nx; t++) {
        const v = <f64>ty.weight[oy * ny + s] * <f64>tx.weight[ox * nx + t] *
          <f64>at(x, ((o * ih + ty.index[oy * ny + s]) * iw + tx.index[ox * nx + t]) * c + ch);
        ref += v;
        mag += abs(v);
      }
    }
    const got = <f64>at(y, ((o * oh + oy) * ow + ox) * c + ch);
    if (exact ? got != ref : !(abs(got - ref) <= 1e-6 * mag + 1e-30)) {
      trace(`f32_resize2d mismatch: ${what} at o=${o} y=${oy} x=${ox} c=${ch}: reference = ${ref}, optimized = ${got}`);
      return false;
    }
  }
  return true;
}

function check_upsample(outer: i32, ih: i32, iw: i32, c: i32, fy: i32, fx: i32): bool {
  const what = `outer=${outer} ${ih}x${iw}x${c} x (${fy}, ${fx})`;
  const oh = ih * fy, ow = iw * fx;
  const nin = outer * ih * iw * c, nout = outer * oh * ow * c;
  const x = random(nin), x0 = copy(x), y = guarded(nout);
  f32_upsample_nearest(outer, ih, iw, c, fy, fx, data(x), data(y));
  if (!guards_intact(y, nout)) { trace("f32_upsample_nearest wrote outside the output: " + what); return false; }
  if (!same(x, x0)) { trace("f32_upsample_nearest modified its input: " + what); return false; }
  for (let o = 0; o < outer; o++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < c; ch++) {
    const want = at(x, ((o * ih + oy / fy) * iw + ox / fx) * c + ch);
    const got = at(y, ((o * oh + oy) * ow + ox) * c + ch);
    if (reinterpret<u32>(got) != reinterpret<u32>(want)) {
      trace(`f32_upsample_nearest mismatch: ${what} at o=${o} y=${oy} x=${ox} c=${ch}: ${got} != ${want}`);
      return false;
    }
  }
  return true;
}

const CHANNELS: i32[] = [1, 2, 3, 4, 5, 8, 13];

describe("f32_resize2d", () => {
  it("nearest (one tap per axis: copies, repeated rows) is bit-exact", () => {
    for (let i = 0; i < CHANNELS.length; i++) {
      expect(check_resize(2, 5, 7, CHANNELS[i], 11, 13, 1, 1, false)).toBe(true);
      expect(check_resize(1, 9, 8, CHANNELS[i], 4, 3, 1, 1, false)).toBe(true);
    }
    expect(check_resize(3, 1, 1, 1, 5, 6, 1, 1, false)).toBe(true);
  });

  it("linear (2 taps) and cubic (4 taps) on both axes, mixed with one-tap axes", () => {
    for (let i = 0; i < CHANNELS.length; i++) {
      expect(check_resize(2, 5, 7, CHANNELS[i], 9, 11, 2, 2, false)).toBe(true);
      expect(check_resize(1, 6, 9, CHANNELS[i], 4, 5, 4, 4, false)).toBe(true);
      expect(check_resize(1, 6, 9, CHANNELS[i], 7, 5, 2, 1, false)).toBe(true);
      expect(check_resize(1, 6, 9, CHANNELS[i], 7, 5, 1, 2, false)).toBe(true);
    }
    expect(check_resize(1, 1, 13, 1, 1, 29, 1, 2, false)).toBe(true); // 1-D
    expect(check_resize(2, 4, 37, 3, 5, 3, 3, 3, false)).toBe(true); // row blends with a tail of 3 floats
  });

  it("extrapolation (outside the crop box)", () => {
    for (let i = 0; i < CHANNELS.length; i++) {
      expect(check_resize(1, 5, 6, CHANNELS[i], 7, 8, 2, 2, true)).toBe(true);
      expect(check_resize(1, 5, 6, CHANNELS[i], 7, 8, 1, 1, true)).toBe(true);
    }
  });
});

describe("f32_upsample_nearest", () => {
  it("factors 1..4 on each axis, widths 1..9 (4-pixel shuffles and tails), channels", () => {
    for (let fy = 1; fy <= 4; fy++) for (let fx = 1; fx <= 4; fx++) for (let w = 1; w <= 9; w += 4) {
      expect(check_upsample(2, 3, w, 1, fy, fx)).toBe(true);
    }
    for (let i = 0; i < CHANNELS.length; i++) {
      expect(check_upsample(1, 4, 5, CHANNELS[i], 2, 2)).toBe(true);
      expect(check_upsample(2, 3, 3, CHANNELS[i], 3, 2)).toBe(true);
    }
    expect(check_upsample(1, 5, 33, 1, 2, 2)).toBe(true);
    expect(check_upsample(1, 3, 4, 1, 8, 8)).toBe(true);
  });
});
