// Pooling and channel-affine kernels against plain scalar references (f64 accumulation).
//
// Max pooling must be exact. Averages: |optimized - reference| <= 1e-6 * (sum |x| over the window) / divisor
// (+1e-30). channel_affine: |optimized - reference| <= 1e-6 * (|x * scale| + |shift|).
// Outputs are surrounded by guard values that must survive; inputs must be left unchanged.
import {
  f32_avgpool2d, f32_channel_affine, f32_global_avgpool, f32_global_maxpool, f32_maxpool2d,
} from "../../assembly/pool/pool";
import { at, copy, data, guarded, guards_intact, random, reseed, same } from "./buffers";

reseed(99);

const MAX: i32 = 0;
const AVG_EXCLUDE_PAD: i32 = 1;
const AVG_INCLUDE_PAD: i32 = 2;

/** A 2-D pooling problem: pool(n, ih, iw, c, kh, kw).stride(2, 2).pad(...)... ceil() for ceil-mode output sizes. */
class Pool {
  n: i32 = 1; ih: i32 = 1; iw: i32 = 1; c: i32 = 1; kh: i32 = 1; kw: i32 = 1;
  sh: i32 = 1; sw: i32 = 1; dh: i32 = 1; dw: i32 = 1;
  pt: i32 = 0; pl: i32 = 0; pb: i32 = 0; pr: i32 = 0;
  ceil_mode: bool = false;

  stride(h: i32, w: i32): Pool { this.sh = h; this.sw = w; return this; }
  dilation(h: i32, w: i32): Pool { this.dh = h; this.dw = w; return this; }
  pad(t: i32, l: i32, b: i32, r: i32): Pool { this.pt = t; this.pl = l; this.pb = b; this.pr = r; return this; }
  ceil(): Pool { this.ceil_mode = true; return this; }
  private out(len: i32, k: i32, s: i32): i32 { return (this.ceil_mode ? len - k + s - 1 : len - k) / s + 1; }
  oh(): i32 { return this.out(this.ih + this.pt + this.pb, (this.kh - 1) * this.dh + 1, this.sh); }
  ow(): i32 { return this.out(this.iw + this.pl + this.pr, (this.kw - 1) * this.dw + 1, this.sw); }

  describe(): string {
    return `n=${this.n} ${this.ih}x${this.iw}x${this.c} -> ${this.oh()}x${this.ow()} k=${this.kh}x${this.kw} ` +
      `s=${this.sh},${this.sw} d=${this.dh},${this.dw} pad=${this.pt},${this.pl},${this.pb},${this.pr} ceil=${this.ceil_mode}`;
  }

  run(mode: i32): bool {
    const oh = this.oh(), ow = this.ow();
    assert(oh > 0 && ow > 0);
    const nin = this.n * this.ih * this.iw * this.c, nout = this.n * oh * ow * this.c;
    const x = random(nin), x0 = copy(x), y = guarded(nout);
    if (mode == MAX) {
      f32_maxpool2d(this.n, this.ih, this.iw, this.c, oh, ow, this.kh, this.kw, this.sh, this.sw, this.dh, this.dw,
                    this.pt, this.pl, data(x), data(y));
    } else {
      assert(this.dh == 1 && this.dw == 1);
      f32_avgpool2d(this.n, this.ih, this.iw, this.c, oh, ow, this.kh, this.kw, this.sh, this.sw,
                    this.pt, this.pl, this.pb, this.pr, mode == AVG_INCLUDE_PAD ? 1 : 0, data(x), data(y));
    }
    const name = mode == MAX ? "f32_maxpool2d" : mode == AVG_INCLUDE_PAD ? "f32_avgpool2d (count_include_pad)" : "f32_avgpool2d";
    if (!guards_intact(y, nout)) { trace(name + " wrote outside the output: " + this.describe()); return false; }
    if (!same(x, x0)) { trace(name + " modified its input: " + this.describe()); return false; }
    for (let b = 0; b < this.n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      for (let ch = 0; ch < this.c; ch++) {
        let mx: f64 = -Infinity, sum: f64 = 0, mag: f64 = 0;
        let real = 0, padded = 0;
        for (let dy = 0; dy < this.kh; dy++) for (let dx = 0; dx < this.kw; dx++) {
          const iy = oy * this.sh - this.pt + dy * this.dh, ix = ox * this.sw - this.pl + dx * this.dw;
          // ONNX count_include_pad: cells inside the padded extent count, cells past it (ceil mode) do not.
          if (iy >= -this.pt && iy < this.ih + this.pb && ix >= -this.pl && ix < this.iw + this.pr) padded++;
          if (iy < 0 || iy >= this.ih || ix < 0 || ix >= this.iw) continue;
          const v = <f64>at(x, ((b * this.ih + iy) * this.iw + ix) * this.c + ch);
          mx = max(mx, v);
          sum += v;
          mag += abs(v);
          real++;
        }
        const got = <f64>at(y, ((b * oh + oy) * ow + ox) * this.c + ch);
        let ref: f64, tol: f64 = 0;
        if (mode == MAX) {
          ref = mx;
        } else {
          const div = mode == AVG_INCLUDE_PAD ? padded : real;
          ref = div > 0 ? sum / div : 0;
          tol = div > 0 ? 1e-6 * mag / div + 1e-30 : 0;
        }
        if (!(got == ref || abs(got - ref) <= tol)) {
          trace(name + " mismatch: " + this.describe());
          trace(`  at n=${b} y=${oy} x=${ox} c=${ch}: reference = ${ref}, optimized = ${got}`);
          return false;
        }
      }
    }
    return true;
  }

  check_max(): void { expect(this.run(MAX)).toBe(true, this.describe()); }
  check_avg(): void {
    expect(this.run(AVG_EXCLUDE_PAD)).toBe(true, this.describe());
    expect(this.run(AVG_INCLUDE_PAD)).toBe(true, this.describe());
  }
  check_all(): void {
    this.check_max();
    if (this.dh == 1 && this.dw == 1) this.check_avg();
  }
}

function pool(n: i32, ih: i32, iw: i32, c: i32, kh: i32, kw: i32): Pool {
  const p = new Pool();
  p.n = n; p.ih = ih; p.iw = iw; p.c = c; p.kh = kh; p.kw = kw;
  return p;
}

const CHANNELS: i32[] = [1, 3, 4, 5, 7, 13, 16, 17, 33];

function check_global(n: i32, hw: i32, c: i32): bool {
  const x = random(n * hw * c), x0 = copy(x);
  const ymax = guarded(n * c), yavg = guarded(n * c);
  f32_global_maxpool(n, hw, c, data(x), data(ymax));
  f32_global_avgpool(n, hw, c, data(x), data(yavg));
  if (!guards_intact(ymax, n * c) || !guards_intact(yavg, n * c) || !same(x, x0)) {
    trace(`global pool wrote outside its output or modified its input: n=${n} hw=${hw} c=${c}`);
    return false;
  }
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) {
    let mx: f64 = -Infinity, sum: f64 = 0, mag: f64 = 0;
    for (let i = 0; i < hw; i++) {
      const v = <f64>at(x, (b * hw + i) * c + ch);
      mx = max(mx, v); sum += v; mag += abs(v);
    }
    const gmax = <f64>at(ymax, b * c + ch), gavg = <f64>at(yavg, b * c + ch);
    if (gmax != mx || !(abs(gavg - sum / hw) <= 1e-6 * mag / hw + 1e-30)) {
      trace(`global pool mismatch n=${n} hw=${hw} c=${c} at n=${b} c=${ch}: max ${mx} vs ${gmax}, avg ${sum / hw} vs ${gavg}`);
      return false;
    }
  }
  return true;
}

function check_affine(outer: i32, c: i32, inner: i32, in_place: bool): bool {
  const total = outer * c * inner;
  const x = random(total), x0 = copy(x), scale = random(c), shift = random(c);
  const y = in_place ? x : guarded(total);
  f32_channel_affine(outer, c, inner, data(x), data(scale), data(shift), data(y));
  if (!guards_intact(y, total) || (!in_place && !same(x, x0))) {
    trace(`f32_channel_affine wrote outside its output or modified its input: ${outer} x ${c} x ${inner}`);
    return false;
  }
  for (let o = 0; o < outer; o++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < inner; i++) {
    const idx = (o * c + ch) * inner + i;
    const xv = <f64>at(x0, idx), s = <f64>at(scale, ch), t = <f64>at(shift, ch);
    const ref = xv * s + t, got = <f64>at(y, idx);
    if (!(abs(got - ref) <= 1e-6 * (abs(xv * s) + abs(t)) + 1e-30)) {
      trace(`f32_channel_affine mismatch ${outer} x ${c} x ${inner} in_place=${in_place} at ${o},${ch},${i}: reference = ${ref}, optimized = ${got}`);
      return false;
    }
  }
  return true;
}

describe("f32_maxpool2d / f32_avgpool2d", () => {
  it("2x2 stride 2 and 3x3 stride 2 pad 1 over channel tails", () => {
    for (let i = 0; i < CHANNELS.length; i++) {
      pool(1, 6, 7, CHANNELS[i], 2, 2).stride(2, 2).check_all();
      pool(1, 7, 8, CHANNELS[i], 3, 3).stride(2, 2).pad(1, 1, 1, 1).check_all();
    }
  });

  it("stride 1 and 3, kernels 5x5, 1x3, 3x1, 1x1", () => {
    pool(1, 7, 9, 5, 3, 3).pad(1, 1, 1, 1).check_all();
    pool(1, 11, 10, 13, 5, 5).stride(3, 3).pad(2, 2, 2, 2).check_all();
    pool(1, 6, 9, 17, 1, 3).stride(1, 2).pad(0, 1, 0, 1).check_all();
    pool(1, 9, 6, 7, 3, 1).stride(2, 1).pad(1, 0, 1, 0).check_all();
    pool(1, 5, 5, 6, 1, 1).stride(2, 2).check_all();
  });

  it("dilation 2 (max)", () => {
    pool(1, 9, 10, 5, 3, 3).dilation(2, 2).pad(2, 2, 2, 2).check_max();
    pool(1, 9, 10, 17, 2, 3).dilation(3, 2).stride(2, 1).pad(1, 0, 2, 3).check_max();
  });

  it("asymmetric and huge padding, ceil mode", () => {
    pool(1, 6, 7, 5, 3, 3).stride(2, 2).pad(0, 0, 1, 1).check_all(); // TF SAME
    pool(1, 6, 7, 13, 3, 3).pad(2, 0, 1, 2).check_all();
    pool(1, 6, 6, 5, 3, 3).stride(2, 2).ceil().check_all(); // the last window runs past the padded extent
    pool(1, 7, 8, 17, 3, 3).stride(2, 2).pad(1, 1, 1, 1).ceil().check_all();
    pool(1, 5, 5, 4, 2, 2).stride(3, 3).ceil().check_all();
    // Windows entirely in the padding: max gives -Infinity, avg gives 0 or the average over padded zeros.
    pool(1, 2, 2, 5, 3, 3).pad(4, 4, 4, 4).check_all();
    pool(1, 3, 2, 3, 2, 2).stride(2, 2).pad(3, 3, 3, 3).check_all();
  });

  it("batch 2, output 1x1, pool1d", () => {
    pool(2, 5, 6, 7, 3, 3).stride(2, 2).pad(1, 1, 1, 1).check_all();
    pool(2, 7, 7, 33, 7, 7).check_all();
    pool(1, 1, 20, 6, 1, 3).stride(1, 2).pad(0, 1, 0, 1).check_all();
    pool(2, 1, 17, 5, 1, 4).stride(1, 4).ceil().check_all();
  });
});

describe("f32_global_avgpool / f32_global_maxpool", () => {
  it("matches the reference", () => {
    const hws: i32[] = [1, 2, 7, 49];
    for (let i = 0; i < hws.length; i++) for (let j = 0; j < CHANNELS.length; j++) {
      expect(check_global(i % 2 + 1, hws[i], CHANNELS[j])).toBe(true);
    }
    expect(check_global(1, 9, 64)).toBe(true);
  });
});

describe("f32_channel_affine", () => {
  it("NHWC (inner = 1) and NCHW layouts, in place", () => {
    const inners: i32[] = [1, 2, 3, 4, 5, 16, 17, 49];
    for (let i = 0; i < inners.length; i++) for (let j = 0; j < CHANNELS.length; j++) {
      expect(check_affine(2, CHANNELS[j], inners[i], false)).toBe(true);
    }
    expect(check_affine(3, 13, 1, true)).toBe(true);
    expect(check_affine(2, 5, 17, true)).toBe(true);
  });
});
