// f32_deconv2d (transposed convolution: GEMM + col2im, and the direct path for non-overlapping taps) against a
// plain scalar scatter with f64 accumulation.
//
// Tolerance: |optimized - reference| <= 1e-6 * (|bias| + sum |x * w| over the contributions to that output) + 1e-30.
// Every buffer the kernel writes (output, scratch, packed weights) is guarded; inputs and weights must be unchanged.
import {
  f32_deconv2d, f32_deconv2d_pack, f32_deconv2d_packed_size, f32_deconv2d_scratch_size,
} from "../../assembly/conv/transpose";
import { conv_block_rows } from "../../assembly/conv/im2col";
import { at, copy, data, guarded, guards_intact, random, reseed, same } from "./buffers";

reseed(1313);

/** A transposed convolution problem: deconv(n, ih, iw, cin, cout, kh, kw).stride(2, 2).pad(...)... */
class Deconv {
  n: i32 = 1; ih: i32 = 1; iw: i32 = 1; cin: i32 = 1; cout: i32 = 1; kh: i32 = 1; kw: i32 = 1;
  sh: i32 = 1; sw: i32 = 1; dh: i32 = 1; dw: i32 = 1;
  pt: i32 = 0; pl: i32 = 0; pb: i32 = 0; pr: i32 = 0; oph: i32 = 0; opw: i32 = 0;
  groups: i32 = 1; has_bias: bool = true;

  stride(h: i32, w: i32): Deconv { this.sh = h; this.sw = w; return this; }
  dilation(h: i32, w: i32): Deconv { this.dh = h; this.dw = w; return this; }
  /** Pads crop the full result; negative pads (an output_shape beyond it) extend it with bias-only pixels. */
  pad(t: i32, l: i32, b: i32, r: i32): Deconv { this.pt = t; this.pl = l; this.pb = b; this.pr = r; return this; }
  out_pad(h: i32, w: i32): Deconv { this.oph = h; this.opw = w; return this; }
  group(g: i32): Deconv { this.groups = g; return this; }
  nobias(): Deconv { this.has_bias = false; return this; }
  oh(): i32 { return (this.ih - 1) * this.sh + (this.kh - 1) * this.dh + 1 + this.oph - this.pt - this.pb; }
  ow(): i32 { return (this.iw - 1) * this.sw + (this.kw - 1) * this.dw + 1 + this.opw - this.pl - this.pr; }

  describe(): string {
    return `n=${this.n} ${this.ih}x${this.iw}x${this.cin} -> ${this.oh()}x${this.ow()}x${this.cout} k=${this.kh}x${this.kw} ` +
      `s=${this.sh},${this.sw} d=${this.dh},${this.dw} pad=${this.pt},${this.pl},${this.pb},${this.pr} ` +
      `out_pad=${this.oph},${this.opw} g=${this.groups} bias=${this.has_bias}`;
  }

  run(): bool {
    const oh = this.oh(), ow = this.ow();
    assert(oh > 0 && ow > 0 && this.cin % this.groups == 0 && this.cout % this.groups == 0);
    const cin_g = this.cin / this.groups, cout_g = this.cout / this.groups, khw = this.kh * this.kw;
    const nin = this.n * this.ih * this.iw * this.cin, nw = this.cin * cout_g * khw, nout = this.n * oh * ow * this.cout;
    const x = random(nin), w = random(nw), bias = random(this.cout);
    const x0 = copy(x), w0 = copy(w), bias0 = copy(bias);
    const y = guarded(nout);
    const np = f32_deconv2d_packed_size(this.kh, this.kw, this.cin, this.cout, this.groups);
    const packed = guarded(np);
    f32_deconv2d_pack(this.kh, this.kw, this.sh, this.sw, this.dh, this.dw, this.cin, this.cout, this.groups,
                      data(w), this.has_bias ? data(bias) : 0, data(packed));
    if (!guards_intact(packed, np)) { trace("deconv pack wrote outside the packed buffer: " + this.describe()); return false; }
    const ns = f32_deconv2d_scratch_size(this.kh, this.kw, this.cout, this.groups);
    const scratch = guarded(ns);
    f32_deconv2d(this.n, this.ih, this.iw, this.cin, oh, ow, this.cout, this.kh, this.kw, this.sh, this.sw, this.dh, this.dw,
                 this.pt, this.pl, this.groups, data(x), data(packed), data(y), data(scratch));
    if (!guards_intact(scratch, ns)) { trace("deconv wrote outside its scratch: " + this.describe()); return false; }
    if (!guards_intact(y, nout)) { trace("deconv wrote outside the output: " + this.describe()); return false; }
    if (!same(x, x0) || !same(w, w0) || !same(bias, bias0)) { trace("deconv modified an input: " + this.describe()); return false; }

    // Reference: scatter every input pixel's taps, f64.
    const ref = new Array<f64>(nout), mag = new Array<f64>(nout);
    for (let b = 0; b < this.n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < this.cout; o++) {
      const i = ((b * oh + oy) * ow + ox) * this.cout + o;
      ref[i] = this.has_bias ? <f64>at(bias, o) : 0;
      mag[i] = abs(ref[i]);
    }
    for (let b = 0; b < this.n; b++) for (let iy = 0; iy < this.ih; iy++) for (let ix = 0; ix < this.iw; ix++) {
      for (let dy = 0; dy < this.kh; dy++) for (let dx = 0; dx < this.kw; dx++) {
        const oy = iy * this.sh - this.pt + dy * this.dh, ox = ix * this.sw - this.pl + dx * this.dw;
        if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
        for (let ci = 0; ci < this.cin; ci++) {
          const g = ci / cin_g;
          const xv = <f64>at(x, ((b * this.ih + iy) * this.iw + ix) * this.cin + ci);
          for (let o = 0; o < cout_g; o++) {
            const wv = <f64>at(w, ((ci * cout_g + o) * this.kh + dy) * this.kw + dx);
            const i = ((b * oh + oy) * ow + ox) * this.cout + g * cout_g + o;
            ref[i] += xv * wv;
            mag[i] += abs(xv * wv);
          }
        }
      }
    }
    for (let i = 0; i < nout; i++) {
      const got = <f64>at(y, i);
      if (!(abs(got - ref[i]) <= 1e-6 * mag[i] + 1e-30)) {
        trace(`f32_deconv2d mismatch: ${this.describe()}`);
        trace(`  at flat ${i}: reference = ${ref[i]}, optimized = ${got}, sum|x*w| = ${mag[i]}`);
        return false;
      }
    }
    return true;
  }

  check(): void { expect(this.run()).toBe(true, this.describe()); }
}

function deconv(n: i32, ih: i32, iw: i32, cin: i32, cout: i32, kh: i32, kw: i32): Deconv {
  const d = new Deconv();
  d.n = n; d.ih = ih; d.iw = iw; d.cin = cin; d.cout = cout; d.kh = kh; d.kw = kw;
  return d;
}

const CHANNELS: i32[] = [1, 3, 4, 5, 8, 9, 17];

describe("f32_deconv2d", () => {
  it("2x2 stride 2 (direct path, taps tile the output) over odd channel counts", () => {
    for (let i = 0; i < CHANNELS.length; i++) for (let j = 0; j < CHANNELS.length; j++) {
      deconv(1, 3, 5, CHANNELS[i], CHANNELS[j], 2, 2).stride(2, 2).check();
    }
    deconv(2, 7, 9, 24, 24, 2, 2).stride(2, 2).check(); // PP-OCR's DB head, small
    deconv(1, 5, 6, 24, 1, 2, 2).stride(2, 2).nobias().check();
    deconv(1, 1, 1, 3, 5, 2, 2).stride(2, 2).check();
  });

  it("direct path with gaps, crops and output padding (bias-only pixels)", () => {
    deconv(1, 4, 5, 3, 5, 1, 1).stride(2, 3).check(); // every other row/column untouched
    deconv(1, 4, 5, 6, 7, 2, 2).stride(3, 3).check();
    deconv(1, 4, 5, 3, 4, 2, 2).stride(2, 2).dilation(1, 1).out_pad(1, 1).check();
    deconv(2, 4, 5, 5, 3, 2, 2).stride(2, 2).pad(1, 1, 1, 0).check();
    deconv(1, 4, 5, 5, 3, 3, 3).stride(3, 3).pad(2, 0, 1, 2).check();
    deconv(1, 4, 4, 3, 2, 2, 2).stride(3, 4).dilation(2, 3).check(); // dilated taps inside the stride period
    deconv(1, 3, 4, 4, 6, 2, 2).stride(2, 2).pad(-1, -2, -1, 0).check();
    deconv(1, 3, 4, 6, 6, 2, 2).stride(2, 2).group(3).check();
  });

  it("overlapping taps (general path): 3x3 and 4x4 with strides 1, 2, 3", () => {
    for (let i = 0; i < CHANNELS.length; i += 2) for (let j = 0; j < CHANNELS.length; j += 2) {
      deconv(1, 4, 5, CHANNELS[i], CHANNELS[j], 3, 3).stride(2, 2).pad(1, 1, 1, 1).out_pad(1, 1).check();
    }
    deconv(1, 3, 3, 1, 2, 3, 3).check(); // ONNX test_convtranspose
    deconv(2, 5, 4, 5, 7, 3, 3).stride(1, 1).pad(1, 1, 1, 1).check();
    deconv(1, 5, 6, 4, 3, 4, 4).stride(2, 2).pad(1, 1, 1, 1).check(); // the usual GAN upsampler
    deconv(1, 3, 3, 3, 4, 3, 3).stride(3, 2).out_pad(1, 1).check();
    deconv(1, 3, 4, 2, 3, 5, 3).stride(2, 1).pad(2, 0, 1, 1).check();
  });

  it("dilation, groups, asymmetric and negative pads", () => {
    deconv(1, 4, 5, 3, 4, 3, 3).dilation(2, 2).check();
    deconv(1, 4, 5, 3, 4, 3, 2).stride(2, 1).dilation(2, 3).pad(1, 2, 0, 1).check();
    deconv(1, 4, 5, 6, 9, 3, 3).group(3).stride(2, 2).pad(1, 1, 1, 1).check();
    deconv(2, 3, 4, 8, 8, 3, 3).group(8).stride(2, 2).check(); // depthwise
    deconv(1, 4, 5, 4, 6, 3, 3).group(2).nobias().check();
    deconv(1, 3, 3, 3, 2, 3, 3).stride(2, 2).pad(-1, -2, -2, -1).check();
    deconv(1, 2, 2, 3, 5, 3, 3).pad(1, 1, 1, 1).check(); // cropped to the centre
  });

  it("1-D (ih = 1, kh = 1)", () => {
    deconv(1, 1, 10, 5, 7, 1, 3).stride(1, 2).check();
    deconv(2, 1, 9, 4, 3, 1, 4).stride(1, 2).pad(0, 1, 0, 1).check();
    deconv(1, 1, 8, 3, 3, 1, 2).stride(1, 2).check();
  });

  it("pixel counts around the column block, wide channels (several K blocks)", () => {
    const block = conv_block_rows(9 * 5);
    for (let d = -1; d <= 1; d++) deconv(1, 1, block + d, 3, 5, 3, 3).stride(1, 2).check();
    deconv(2, 1, block, 3, 5, 3, 3).check();
    deconv(1, 3, 4, 600, 5, 3, 3).stride(2, 2).check();
    deconv(1, 3, 4, 600, 5, 2, 2).stride(2, 2).check();
    deconv(1, 2, 3, 7, 70, 3, 3).stride(2, 2).check();
  });
});
