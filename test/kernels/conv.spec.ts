// f32_conv2d (im2col + GEMM), f32_conv2d_wino (Winograd F(4x4, 3x3)) and f32_dwconv2d against a plain scalar
// convolution with f64 accumulation.
//
// Tolerance: |optimized - reference| <= tol * sum |bias| + |x * w| over the taps of that output (+1e-30),
// i.e. a relative error of tol of the magnitude that was summed: 1e-6 for the direct kernels (f32 sums of up to
// ~600 terms). Winograd's transforms scale values by up to 8 and 1/24 before rounding and mix the 16 outputs of
// a tile, so its error is held to WINO_TOL of the largest such magnitude in the output's 4x4 tile.
// Every buffer the kernels write (output, scratch, packed weights) is surrounded by guard values that
// must survive, and the inputs and weights must be left unchanged.
import {
  f32_conv2d, f32_conv2d_pack, f32_conv2d_packed_size, f32_conv2d_scratch_size,
  f32_dwconv2d, f32_dwconv2d_pack, f32_dwconv2d_packed_size,
  f32_conv2d_wino, f32_conv2d_wino_pack, f32_conv2d_wino_packed_size, f32_conv2d_wino_scratch_size,
  f32_conv1d_wino, f32_conv1d_wino_pack, f32_conv1d_wino_packed_size, f32_conv1d_wino_scratch_size,
} from "../../assembly/conv/conv";
import { conv_block_rows } from "../../assembly/conv/im2col";
import { wino_block_tiles } from "../../assembly/conv/winograd";
import { at, atMemoryEnd, copy, data, guarded, guards_intact, random, reseed, same } from "./buffers";

reseed(2024);

const GENERAL: i32 = 0; // f32_conv2d
const DEPTHWISE: i32 = 1; // f32_dwconv2d (groups == cin == cout)
const WINOGRAD: i32 = 2; // f32_conv2d_wino (3x3, stride 1, dilation 1, one group)
const WINO1D: i32 = 3; // f32_conv1d_wino (1 x kw, stride 1, dilation 1, one group, no vertical padding)
const WINO_TOL: f64 = 5e-6;
/** Largest error / (sum |x * w|) seen in Winograd runs (2-D, 1-D): the measured accuracy, printed at the end. */
let wino_worst: f64 = 0, wino1d_worst: f64 = 0;

/** A convolution problem (builder, as XNNPACK's testers): conv(n, ih, iw, cin, cout, kh, kw).stride(2, 2)... */
class Conv {
  n: i32 = 1; ih: i32 = 1; iw: i32 = 1; cin: i32 = 1; cout: i32 = 1; kh: i32 = 1; kw: i32 = 1;
  sh: i32 = 1; sw: i32 = 1; dh: i32 = 1; dw: i32 = 1;
  pt: i32 = 0; pl: i32 = 0; pb: i32 = 0; pr: i32 = 0;
  groups: i32 = 1; has_bias: bool = true; lo: f32 = -Infinity; hi: f32 = Infinity; input_at_end: bool = false;

  stride(h: i32, w: i32): Conv { this.sh = h; this.sw = w; return this; }
  dilation(h: i32, w: i32): Conv { this.dh = h; this.dw = w; return this; }
  pad(t: i32, l: i32, b: i32, r: i32): Conv { this.pt = t; this.pl = l; this.pb = b; this.pr = r; return this; }
  /** SAME padding (stride 1, odd kernel). */
  same(): Conv { return this.pad(((this.kh - 1) * this.dh) / 2, ((this.kw - 1) * this.dw) / 2, ((this.kh - 1) * this.dh) / 2, ((this.kw - 1) * this.dw) / 2); }
  group(g: i32): Conv { this.groups = g; return this; }
  nobias(): Conv { this.has_bias = false; return this; }
  clamp(lo: f32, hi: f32): Conv { this.lo = lo; this.hi = hi; return this; }
  /** The input flush against the end of linear memory: reading past its last float traps. */
  inputAtEnd(): Conv { this.input_at_end = true; return this; }
  oh(): i32 { return (this.ih + this.pt + this.pb - (this.kh - 1) * this.dh - 1) / this.sh + 1; }
  ow(): i32 { return (this.iw + this.pl + this.pr - (this.kw - 1) * this.dw - 1) / this.sw + 1; }

  describe(): string {
    return `n=${this.n} ${this.ih}x${this.iw}x${this.cin} -> ${this.oh()}x${this.ow()}x${this.cout} k=${this.kh}x${this.kw} ` +
      `s=${this.sh},${this.sw} d=${this.dh},${this.dw} pad=${this.pt},${this.pl},${this.pb},${this.pr} g=${this.groups} ` +
      `bias=${this.has_bias} clamp=[${this.lo}, ${this.hi}]`;
  }

  /** Runs the kernel (GENERAL or DEPTHWISE) and compares with the reference; false on a mismatch. */
  run(mode: i32): bool {
    const oh = this.oh(), ow = this.ow();
    assert(oh > 0 && ow > 0 && this.cin % this.groups == 0 && this.cout % this.groups == 0);
    const cin_g = this.cin / this.groups, cout_g = this.cout / this.groups;
    const k = this.kh * this.kw * cin_g;
    const nin = this.n * this.ih * this.iw * this.cin, nw = this.cout * k, nout = this.n * oh * ow * this.cout;
    const x = random(nin), w = random(nw), bias = random(this.cout);
    const x0 = copy(x), w0 = copy(w), bias0 = copy(bias);
    const y = guarded(nout);
    const bias_ptr = this.has_bias ? data(bias) : 0;
    let xp = data(x);
    if (this.input_at_end) {
      xp = atMemoryEnd(nin);
      memory.copy(xp, data(x), <usize>nin << 2);
    }
    if (mode == WINOGRAD) {
      assert(this.kh == 3 && this.kw == 3 && this.sh == 1 && this.sw == 1 && this.dh == 1 && this.dw == 1 && this.groups == 1);
      const np = f32_conv2d_wino_packed_size(this.cin, this.cout);
      const packed = guarded(np);
      f32_conv2d_wino_pack(this.cin, this.cout, data(w), bias_ptr, data(packed));
      if (!guards_intact(packed, np)) { trace("wino pack wrote outside the packed buffer: " + this.describe()); return false; }
      const ns = f32_conv2d_wino_scratch_size(this.cin, this.cout);
      const scratch = guarded(ns);
      f32_conv2d_wino(this.n, this.ih, this.iw, this.cin, oh, ow, this.cout, this.pt, this.pl,
                      xp, data(packed), data(y), data(scratch), this.lo, this.hi);
      if (!guards_intact(scratch, ns)) { trace("wino wrote outside its scratch: " + this.describe()); return false; }
    } else if (mode == WINO1D) {
      assert(this.kh == 1 && this.sh == 1 && this.sw == 1 && this.dw == 1 && this.groups == 1 && this.pt == 0 && this.pb == 0);
      const np = f32_conv1d_wino_packed_size(this.kw, this.cin, this.cout);
      const packed = guarded(np);
      f32_conv1d_wino_pack(this.kw, this.cin, this.cout, data(w), bias_ptr, data(packed));
      if (!guards_intact(packed, np)) { trace("wino1d pack wrote outside the packed buffer: " + this.describe()); return false; }
      const ns = f32_conv1d_wino_scratch_size(this.kw, this.cin, this.cout);
      const scratch = guarded(ns);
      f32_conv1d_wino(this.n * this.ih, this.iw, this.cin, ow, this.cout, this.kw, this.pl,
                      xp, data(packed), data(y), data(scratch), this.lo, this.hi);
      if (!guards_intact(scratch, ns)) { trace("wino1d wrote outside its scratch: " + this.describe()); return false; }
    } else if (mode == DEPTHWISE) {
      assert(this.groups == this.cin && this.cout == this.cin);
      const np = f32_dwconv2d_packed_size(this.kh, this.kw, this.cin);
      const packed = guarded(np);
      f32_dwconv2d_pack(this.kh, this.kw, this.cin, data(w), bias_ptr, data(packed));
      if (!guards_intact(packed, np)) { trace("dwconv pack wrote outside the packed buffer: " + this.describe()); return false; }
      f32_dwconv2d(this.n, this.ih, this.iw, this.cin, oh, ow, this.kh, this.kw, this.sh, this.sw, this.dh, this.dw,
                   this.pt, this.pl, xp, data(packed), data(y), this.lo, this.hi);
    } else {
      const np = f32_conv2d_packed_size(this.kh, this.kw, this.cin, this.cout, this.groups);
      const packed = guarded(np);
      f32_conv2d_pack(this.kh, this.kw, this.cin, this.cout, this.groups, data(w), bias_ptr, data(packed));
      if (!guards_intact(packed, np)) { trace("conv pack wrote outside the packed buffer: " + this.describe()); return false; }
      const ns = f32_conv2d_scratch_size(ow, this.kh, this.kw, this.cin, this.cout, this.groups);
      const scratch = guarded(ns);
      f32_conv2d(this.n, this.ih, this.iw, this.cin, oh, ow, this.cout, this.kh, this.kw, this.sh, this.sw, this.dh, this.dw,
                 this.pt, this.pl, this.groups, xp, data(packed), data(y), data(scratch), this.lo, this.hi);
      if (!guards_intact(scratch, ns)) { trace("conv wrote outside its scratch: " + this.describe()); return false; }
    }
    if (!guards_intact(y, nout)) { trace("wrote outside the output: " + this.describe()); return false; }
    if (!same(x, x0) || !same(w, w0) || !same(bias, bias0)) { trace("modified an input: " + this.describe()); return false; }
    // Reference: direct convolution, f64 accumulation, and the magnitude summed for each output.
    const ref = new StaticArray<f64>(nout), mags = new StaticArray<f64>(nout);
    for (let b = 0; b < this.n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      for (let o = 0; o < this.cout; o++) {
        const g = o / cout_g;
        let s: f64 = this.has_bias ? <f64>at(bias, o) : 0;
        let mag: f64 = abs(s);
        for (let ci = 0; ci < cin_g; ci++) for (let dy = 0; dy < this.kh; dy++) for (let dx = 0; dx < this.kw; dx++) {
          const iy = oy * this.sh - this.pt + dy * this.dh, ix = ox * this.sw - this.pl + dx * this.dw;
          if (iy < 0 || iy >= this.ih || ix < 0 || ix >= this.iw) continue;
          const xv = <f64>at(x, ((b * this.ih + iy) * this.iw + ix) * this.cin + g * cin_g + ci);
          const wv = <f64>at(w, ((o * cin_g + ci) * this.kh + dy) * this.kw + dx);
          s += xv * wv;
          mag += abs(xv * wv);
        }
        const i = ((b * oh + oy) * ow + ox) * this.cout + o;
        ref[i] = min(max(s, <f64>this.lo), <f64>this.hi);
        mags[i] = mag;
      }
    }
    for (let b = 0; b < this.n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      for (let o = 0; o < this.cout; o++) {
        const i = ((b * oh + oy) * ow + ox) * this.cout + o;
        const s = ref[i], got = <f64>at(y, i);
        // Winograd: an output's error comes from its whole tile (4x4, or 1x4 in 1-D: the output transform mixes
        // the tile's products), so it is measured against the largest magnitude in the tile, same channel.
        let mag = mags[i];
        const wino = mode == WINOGRAD || mode == WINO1D;
        if (wino) {
          const y0 = mode == WINOGRAD ? oy & ~3 : oy, y1 = mode == WINOGRAD ? min(oh, y0 + 4) : oy + 1;
          for (let ty = y0; ty < y1; ty++) for (let tx = ox & ~3; tx < min(ow, (ox & ~3) + 4); tx++) {
            mag = max(mag, mags[((b * oh + ty) * ow + tx) * this.cout + o]);
          }
          if (mag > 0 && mode == WINOGRAD) wino_worst = max(wino_worst, abs(got - s) / mag);
          if (mag > 0 && mode == WINO1D) wino1d_worst = max(wino1d_worst, abs(got - s) / mag);
        }
        if (!(abs(got - s) <= (wino ? WINO_TOL : 1e-6) * mag + 1e-30)) {
          trace((mode == DEPTHWISE ? "f32_dwconv2d" : mode == WINOGRAD ? "f32_conv2d_wino" : mode == WINO1D ? "f32_conv1d_wino" : "f32_conv2d") +
                " mismatch: " + this.describe());
          trace(`  at n=${b} y=${oy} x=${ox} c=${o}: reference = ${s}, optimized = ${got}, sum|x*w| = ${mag}`);
          return false;
        }
      }
    }
    return true;
  }

  check(): void { expect(this.run(GENERAL)).toBe(true, this.describe()); }
  /** Winograd (2-D or 1-D), and the general kernel on the same problem. */
  check_wino(): void {
    expect(this.run(this.kh == 1 ? WINO1D : WINOGRAD)).toBe(true, this.describe());
    expect(this.run(GENERAL)).toBe(true, this.describe());
  }
  /** Depthwise: both the dedicated kernel and the general kernel with groups = c. */
  check_dw(): void {
    expect(this.run(DEPTHWISE)).toBe(true, this.describe());
    expect(this.run(GENERAL)).toBe(true, this.describe());
  }
}

function conv(n: i32, ih: i32, iw: i32, cin: i32, cout: i32, kh: i32, kw: i32): Conv {
  const c = new Conv();
  c.n = n; c.ih = ih; c.iw = iw; c.cin = cin; c.cout = cout; c.kh = kh; c.kw = kw;
  return c;
}
function dwconv(n: i32, ih: i32, iw: i32, c: i32, kh: i32, kw: i32): Conv {
  return conv(n, ih, iw, c, c, kh, kw).group(c);
}

const CHANNELS: i32[] = [1, 3, 4, 5, 7, 8, 13, 17];

describe("f32_conv2d", () => {
  it("1x1 stride 1 (direct GEMM, no im2col)", () => {
    for (let i = 0; i < CHANNELS.length; i++) for (let j = 0; j < CHANNELS.length; j += 2) {
      conv(1, 3, 5, CHANNELS[i], CHANNELS[j], 1, 1).check();
    }
    conv(2, 7, 9, 13, 17, 1, 1).check();
    conv(2, 7, 9, 12, 10, 1, 1).group(2).check();
    conv(1, 4, 5, 9, 6, 1, 1).group(3).nobias().check();
    // Output rows fewer than input rows (bottom cropped): one GEMM per image.
    conv(2, 6, 5, 7, 5, 1, 1).pad(0, 0, -2, 0).check();
  });

  it("1x1 strided (im2col) and padded", () => {
    conv(1, 16, 16, 8, 12, 1, 1).stride(2, 2).check();
    conv(2, 13, 13, 5, 7, 1, 1).stride(2, 2).check();
    conv(1, 9, 130, 3, 5, 1, 1).stride(3, 2).check();
    conv(2, 9, 8, 6, 5, 1, 1).stride(2, 1).check(); // stride 1 across, 2 down
    conv(1, 10, 10, 6, 9, 1, 1).stride(3, 3).group(3).check();
    conv(1, 5, 6, 5, 7, 1, 1).pad(1, 2, 1, 0).check();
    conv(1, 5, 6, 5, 7, 1, 1).stride(2, 2).pad(1, 1, 1, 1).check();
  });

  it("3x3 SAME over odd channel counts", () => {
    for (let i = 0; i < CHANNELS.length; i++) for (let j = 0; j < CHANNELS.length; j++) {
      conv(1, 4, 5, CHANNELS[i], CHANNELS[j], 3, 3).same().check();
    }
  });

  it("kernels 5x5, 7x1, 1x7, 2x2 with strides 1, 2, 3", () => {
    conv(1, 9, 11, 3, 8, 5, 5).stride(2, 2).pad(2, 2, 2, 2).check();
    conv(1, 9, 11, 7, 5, 5, 5).stride(3, 3).pad(1, 2, 0, 2).check();
    conv(1, 9, 8, 5, 6, 7, 1).pad(3, 0, 3, 0).check();
    conv(1, 8, 9, 5, 6, 1, 7).pad(0, 3, 0, 3).check();
    conv(1, 8, 9, 13, 3, 1, 7).stride(1, 2).pad(0, 3, 0, 3).check();
    conv(1, 7, 7, 4, 4, 2, 2).stride(2, 2).check();
    conv(2, 10, 12, 3, 16, 3, 3).stride(2, 2).pad(0, 0, 1, 1).check(); // TF SAME for stride 2
    conv(1, 8, 8, 3, 5, 7, 7).stride(2, 2).pad(3, 3, 3, 3).check(); // ResNet stem shape, small
  });

  it("dilation 2 and asymmetric dilation", () => {
    conv(1, 9, 10, 5, 7, 3, 3).dilation(2, 2).same().check();
    conv(1, 9, 10, 4, 3, 3, 3).dilation(2, 2).check();
    conv(1, 11, 10, 3, 5, 3, 2).dilation(3, 2).stride(2, 1).pad(1, 0, 2, 1).check();
  });

  it("asymmetric and huge padding", () => {
    conv(1, 6, 7, 5, 6, 3, 3).pad(2, 0, 1, 3).check();
    conv(1, 6, 7, 5, 6, 3, 3).pad(0, 3, 2, 0).stride(2, 1).check();
    // Most windows lie entirely in the padding: the output is the (clamped) bias there.
    conv(1, 2, 2, 3, 5, 3, 3).pad(5, 4, 6, 5).check();
    conv(1, 2, 3, 3, 5, 3, 3).pad(5, 4, 6, 5).stride(3, 2).check();
    conv(1, 1, 1, 4, 3, 3, 3).pad(1, 1, 1, 1).check();
  });

  it("groups 2 and 3, depthwise and channel multiplier", () => {
    conv(1, 5, 6, 6, 4, 3, 3).group(2).same().check();
    conv(1, 5, 6, 6, 9, 3, 3).group(3).same().check();
    conv(2, 5, 6, 15, 6, 3, 3).group(3).stride(2, 2).pad(1, 1, 1, 1).check();
    conv(1, 5, 6, 14, 10, 3, 3).group(2).dilation(2, 2).pad(2, 1, 2, 1).check();
    conv(1, 5, 6, 8, 8, 1, 7).group(2).pad(0, 3, 0, 3).check();
    conv(1, 5, 6, 5, 5, 3, 3).group(5).same().check();
    conv(1, 5, 6, 3, 6, 3, 3).group(3).same().check(); // multiplier 2
  });

  it("batch 2, output 1x1, no bias", () => {
    conv(2, 5, 6, 7, 5, 3, 3).same().check();
    conv(2, 3, 3, 5, 7, 3, 3).check();
    conv(1, 7, 7, 13, 11, 7, 7).nobias().check();
    conv(2, 5, 5, 3, 4, 5, 5).stride(2, 2).nobias().check();
  });

  it("conv1d (ih = 1, kh = 1)", () => {
    conv(1, 1, 20, 5, 7, 1, 3).pad(0, 1, 0, 1).check();
    conv(2, 1, 17, 8, 12, 1, 5).stride(1, 2).pad(0, 2, 0, 2).check();
    conv(1, 1, 19, 6, 6, 1, 3).dilation(1, 2).pad(0, 2, 0, 2).group(2).check();
    conv(1, 1, 9, 3, 4, 1, 1).check();
    conv(1, 1, 16, 13, 5, 1, 4).stride(1, 3).pad(0, 0, 0, 3).check();
  });

  it("clamps to [out_min, out_max]", () => {
    conv(1, 5, 6, 5, 7, 3, 3).same().clamp(0, Infinity).check();
    conv(1, 5, 6, 5, 7, 3, 3).same().clamp(-0.25, 0.5).check();
    conv(1, 5, 6, 5, 9, 1, 1).clamp(0, 0.5).check();
    conv(1, 5, 6, 5, 9, 1, 1).stride(2, 2).clamp(-Infinity, 0.1).check();
  });

  it("pixel counts around the im2col block size", () => {
    // K = 3*3*64: about a hundred pixels per block.
    let block = conv_block_rows(576);
    for (let d = -1; d <= 1; d++) conv(1, 1, block + d, 64, 5, 3, 3).pad(1, 1, 1, 1).check();
    conv(2, 1, block, 64, 3, 3, 3).pad(1, 1, 1, 1).check(); // block boundary at the image boundary
    block = conv_block_rows(288); // groups 2: K = 3*3*32
    conv(1, 1, 2 * block + 1, 64, 4, 3, 3).pad(1, 1, 1, 1).group(2).check();
    // K = 3*3*512: the minimum block.
    block = conv_block_rows(4608);
    for (let d = -1; d <= 1; d++) conv(1, 1, block + d, 512, 3, 3, 3).pad(1, 1, 1, 1).check();
    conv(1, 1, 2 * block + 1, 512, 2, 3, 3).pad(1, 1, 1, 1).check();
    // K = 3*3*3 (a network's first layer): the maximum block.
    block = conv_block_rows(27);
    for (let d = -1; d <= 1; d++) conv(1, 1, block + d, 3, 4, 3, 3).pad(1, 1, 1, 1).check();
    conv(1, 7, (2 * block + 6) / 7, 3, 4, 3, 3).pad(1, 1, 1, 1).check();
    // 1x1 strided.
    block = conv_block_rows(5);
    conv(1, 2 * ((block + 6) / 7), 13, 5, 3, 1, 1).stride(2, 2).check();
  });

  it("tap-major packing of OIHW weights through gemm_pack's two-level K strides", () => {
    conv(1, 4, 5, 5, 7, 3, 3).same().check();
    conv(2, 6, 7, 6, 9, 3, 3).group(3).stride(2, 2).pad(1, 0, 1, 2).check();
    conv(1, 6, 7, 5, 4, 5, 5).dilation(2, 1).pad(4, 2, 4, 2).check();
    conv(1, 1, 12, 3, 4, 1, 3).pad(0, 1, 0, 1).check();
  });
});

describe("f32_dwconv2d", () => {
  it("3x3 SAME over channel tails and widths 1..20 (4-pixel runs and borders)", () => {
    for (let i = 0; i < CHANNELS.length; i++) dwconv(1, 5, 9, CHANNELS[i], 3, 3).same().check_dw();
    for (let wd = 1; wd <= 20; wd++) dwconv(1, 3, wd, 5, 3, 3).same().check_dw();
    dwconv(1, 4, 29, 16, 3, 3).same().check_dw();
  });

  it("3x3 stride 2 over widths 1..40 (8-pixel runs, 4-pixel runs and borders)", () => {
    for (let wd = 1; wd <= 40; wd += 3) dwconv(1, 5, wd, 5, 3, 3).stride(2, 2).pad(1, 1, 1, 1).check_dw();
    dwconv(1, 5, 38, 8, 3, 3).stride(2, 2).pad(0, 0, 1, 1).check_dw();
    dwconv(2, 5, 36, 12, 3, 3).stride(2, 2).check_dw();
  });

  it("5x5 strides 1 and 2 over widths (8-pixel runs, 4-pixel runs and borders)", () => {
    for (let wd = 1; wd <= 26; wd += 5) dwconv(1, 6, wd, 5, 5, 5).same().check_dw();
    for (let wd = 3; wd <= 45; wd += 6) dwconv(1, 6, wd, 7, 5, 5).stride(2, 2).pad(2, 2, 2, 2).check_dw();
    dwconv(1, 6, 27, 16, 5, 5).same().check_dw();
    dwconv(1, 7, 30, 8, 5, 5).stride(2, 2).pad(1, 2, 2, 1).check_dw();
  });

  it("strides 2 and 3, kernels 5x5, 7x1, 1x7, 1x1", () => {
    dwconv(1, 11, 12, 8, 3, 3).stride(2, 2).pad(0, 0, 1, 1).check_dw();
    dwconv(1, 11, 13, 7, 3, 3).stride(2, 2).pad(1, 1, 1, 1).check_dw();
    dwconv(2, 11, 16, 5, 5, 5).stride(2, 2).pad(2, 2, 2, 2).check_dw();
    dwconv(1, 12, 17, 13, 3, 3).stride(3, 3).pad(1, 1, 0, 0).check_dw();
    dwconv(1, 9, 8, 6, 7, 1).pad(3, 0, 3, 0).check_dw();
    dwconv(1, 8, 11, 6, 1, 7).pad(0, 3, 0, 3).check_dw();
    dwconv(1, 4, 9, 7, 1, 1).check_dw();
    dwconv(1, 4, 9, 9, 1, 1).stride(2, 2).clamp(0, Infinity).check_dw();
  });

  it("dilation 2, asymmetric and huge padding", () => {
    dwconv(1, 9, 14, 5, 3, 3).dilation(2, 2).same().check_dw();
    dwconv(1, 9, 14, 12, 3, 3).dilation(2, 3).stride(1, 2).pad(2, 0, 1, 3).check_dw();
    dwconv(1, 6, 12, 4, 3, 3).pad(2, 0, 1, 3).check_dw();
    dwconv(1, 2, 2, 5, 3, 3).pad(5, 4, 6, 5).check_dw();
    dwconv(1, 3, 10, 3, 3, 3).pad(4, 6, 4, 7).stride(1, 2).check_dw();
    dwconv(1, 1, 1, 9, 3, 3).pad(1, 1, 1, 1).check_dw();
  });

  it("batch 2, output 1x1, conv1d, no bias, clamp", () => {
    dwconv(2, 6, 9, 13, 3, 3).same().check_dw();
    dwconv(1, 3, 3, 17, 3, 3).check_dw();
    dwconv(1, 7, 7, 6, 7, 7).nobias().check_dw();
    dwconv(1, 1, 23, 7, 1, 3).pad(0, 1, 0, 1).check_dw();
    dwconv(2, 1, 30, 9, 1, 5).stride(1, 2).dilation(1, 2).pad(0, 4, 0, 3).check_dw();
    dwconv(1, 5, 11, 11, 3, 3).same().clamp(0, 6).check_dw();
    dwconv(1, 5, 11, 11, 3, 3).same().clamp(-0.3, 0.2).nobias().check_dw();
  });
});

describe("f32_conv2d_wino", () => {
  it("SAME and VALID padding over odd channel counts (channel tails of 1..3 and panel tails of 1..7)", () => {
    for (let i = 0; i < CHANNELS.length; i++) for (let j = 0; j < CHANNELS.length; j++) {
      conv(1, 6, 7, CHANNELS[i], CHANNELS[j], 3, 3).same().check_wino();
    }
    conv(1, 6, 7, 9, 11, 3, 3).check_wino();
    conv(1, 10, 6, 16, 24, 3, 3).check_wino();
  });

  it("sizes that are not multiples of the 4x4 tile, down to 1x1", () => {
    for (let h = 1; h <= 9; h++) for (let w = 1; w <= 9; w += 2) conv(1, h, w, 5, 6, 3, 3).same().check_wino();
    conv(1, 3, 3, 4, 4, 3, 3).check_wino(); // VALID: one output pixel
    conv(1, 13, 17, 7, 9, 3, 3).same().check_wino();
    conv(1, 1, 23, 6, 5, 3, 3).same().check_wino(); // one row
  });

  it("asymmetric and large padding (taps read the zero row)", () => {
    conv(1, 6, 7, 5, 6, 3, 3).pad(2, 0, 1, 3).check_wino();
    conv(1, 6, 7, 5, 6, 3, 3).pad(0, 3, 2, 0).check_wino();
    conv(1, 5, 9, 6, 5, 3, 3).pad(1, 1, 0, 0).check_wino(); // TF SAME-style: padding only at the start
    conv(1, 2, 2, 3, 5, 3, 3).pad(5, 4, 6, 5).check_wino(); // mostly bias
    conv(1, 1, 1, 4, 3, 3, 3).pad(1, 1, 1, 1).check_wino();
  });

  it("batch 2 and 3, no bias, clamps", () => {
    conv(2, 5, 6, 7, 5, 3, 3).same().check_wino();
    conv(3, 7, 5, 8, 9, 3, 3).same().nobias().check_wino();
    conv(2, 9, 10, 12, 20, 3, 3).check_wino();
    conv(1, 9, 11, 13, 7, 3, 3).same().clamp(0, Infinity).check_wino();
    conv(2, 6, 9, 5, 11, 3, 3).same().clamp(-0.25, 0.5).check_wino();
  });

  it("tile counts around the block size, blocks across images", () => {
    // 16 + 16 channels: the block size in tiles, and one tile row (W = 4 * block) on either side of it.
    const block = wino_block_tiles(16, 16);
    for (let d = -1; d <= 1; d++) conv(1, 4, 4 * (block + d), 16, 16, 3, 3).same().check_wino();
    conv(3, 8, 4 * (block / 2) - 1, 16, 16, 3, 3).same().check_wino(); // blocks end mid-image
    // The smallest block (wide channels): several blocks of 4 tiles.
    conv(1, 5, 9, 130, 9, 3, 3).same().check_wino();
  });

  it("input flush against the end of memory (channel tails read exactly)", () => {
    for (let c = 1; c <= 5; c++) conv(1, 5, 6, c, 3, 3, 3).same().inputAtEnd().check_wino();
    conv(2, 7, 9, 17, 9, 3, 3).same().inputAtEnd().check_wino();
  });

  it("ResNet-like shapes (many channels, K of the GEMMs past the 4x8 tile)", () => {
    conv(1, 8, 8, 64, 64, 3, 3).same().clamp(0, Infinity).check_wino();
    conv(1, 7, 7, 96, 40, 3, 3).same().check_wino();
  });

  it("accuracy", () => {
    trace(`f32_conv2d_wino: largest |error| / sum |x * w| over the cases above = ${wino_worst}`);
    expect(wino_worst <= WINO_TOL).toBe(true);
  });
});

describe("f32_conv1d_wino", () => {
  it("kernel widths 3..16 (groups of 3 taps, zero taps past kw), padding 0 to kw - 1", () => {
    for (let kw = 3; kw <= 16; kw++) {
      conv(1, 1, 23, 5, 7, 1, kw).pad(0, (kw - 1) / 2, 0, kw / 2).check_wino();
      conv(1, 1, 20 + kw, 6, 9, 1, kw).check_wino();
    }
    conv(1, 1, 9, 4, 8, 1, 5).pad(0, 4, 0, 4).check_wino();
    conv(1, 1, 12, 4, 8, 1, 3).pad(0, 0, 0, 2).check_wino();
  });

  it("channel tails, lengths that are not multiples of 4, down to 1", () => {
    for (let i = 0; i < CHANNELS.length; i++) for (let j = 0; j < CHANNELS.length; j += 3) {
      conv(1, 1, 14, CHANNELS[i], CHANNELS[j], 1, 9).pad(0, 4, 0, 4).check_wino();
    }
    for (let w = 1; w <= 9; w++) conv(1, 1, w, 5, 6, 1, 3).pad(0, 1, 0, 1).check_wino();
  });

  it("batch and rows of a 2-D image, no bias, clamps, input at the end of memory", () => {
    conv(3, 1, 17, 5, 9, 1, 7).pad(0, 3, 0, 3).check_wino();
    conv(2, 4, 13, 6, 10, 1, 5).pad(0, 2, 0, 2).check_wino(); // 2-D image, 1 x 5 kernel: 8 independent rows
    conv(1, 1, 30, 7, 12, 1, 9).pad(0, 4, 0, 4).nobias().clamp(0, Infinity).check_wino();
    conv(2, 1, 21, 5, 6, 1, 4).pad(0, 1, 0, 2).clamp(-0.3, 0.2).check_wino();
    for (let c = 1; c <= 5; c++) conv(1, 1, 11, c, 5, 1, 6).pad(0, 2, 0, 3).inputAtEnd().check_wino();
  });

  it("DNA CNN shapes and blocks of tiles", () => {
    conv(1, 1, 1000, 4, 64, 1, 15).pad(0, 7, 0, 7).clamp(0, Infinity).check_wino();
    conv(1, 1, 250, 64, 64, 1, 9).pad(0, 4, 0, 4).check_wino();
    conv(2, 1, 62, 64, 16, 1, 9).pad(0, 4, 0, 4).check_wino();
  });

  it("accuracy", () => {
    trace(`f32_conv1d_wino: largest |error| / sum |x * w| over the cases above = ${wino1d_worst}`);
    expect(wino1d_worst <= WINO_TOL).toBe(true);
  });
});
