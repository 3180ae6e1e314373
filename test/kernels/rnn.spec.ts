// f32_lstm_step / f32_gru_step / f32_rnn_step (with f32_rnn_pack) against a plain scalar f64 reference of one
// ONNX time step, on odd hidden sizes (tails of every length), batch 1 and > 1, with row strides larger than a
// row (the padding holds a sentinel that must survive), guards around every output, peepholes, clip, GRU with
// and without linear_before_reset, LSTM/GRU with hard sigmoid gates, RNN tanh and relu.
// Tolerance: |got - ref| <= 4e-6 * (1 + |ref|): the pre-activations are sums of <= 34 f32 products of values in
// [-1, 1] (error <= 34 * 2^-24 * sum|terms| ~ 3e-6 at most here), sigmoid/tanh/the update add a few ulp, and every
// activation has a derivative <= 1; a wrong weight, gate order or lane is far above it.
import { f32_rnn_pack, f32_rnn_packed_size, f32_lstm_step, f32_gru_step, f32_rnn_step } from "../../assembly/rnn/rnn";
import { GUARD, SENTINEL, data, guarded, guards_intact, random, reseed } from "./buffers";

const TOL: f64 = 4e-6;

function sig(x: f64): f64 { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); }
// The gate activation: sigmoid, or hard sigmoid max(0, min(1, HA*x + HB)) when `hard`.
const HA: f32 = 0.2, HB: f32 = 0.5;
let hard = false;
function gate(x: f64): f64 { return hard ? Math.max(0, Math.min(1, <f64>HA * x + <f64>HB)) : sig(x); }
function clipv(v: f64, c: f64): f64 { return Math.max(-c, Math.min(c, v)); }
function ld(p: usize, i: i32): f64 { return <f64>load<f32>(p + (<usize>i << 2)); }

let bad = 0;
function near(what: string, got: f64, ref: f64, b: i32, j: i32): void {
  if (Math.abs(got - ref) <= TOL * (1 + Math.abs(ref))) return;
  if (bad < 5) {
    trace(what, 0);
    trace("  b, j, got, ref", 4, b, j, got, ref);
  }
  bad++;
}

/** A strided [rows][stride] buffer: rows of n values, the padding a sentinel. */
function strided(rows: i32, n: i32, stride: i32, rnd: bool): StaticArray<f32> {
  const buf = rnd ? random(rows * stride) : guarded(rows * stride);
  for (let r = 0; r < rows; r++) for (let i = n; i < stride; i++) buf[GUARD + r * stride + i] = SENTINEL;
  return buf;
}
function padding_intact(buf: StaticArray<f32>, rows: i32, n: i32, stride: i32): bool {
  if (!guards_intact(buf, rows * stride)) return false;
  for (let r = 0; r < rows; r++) for (let i = n; i < stride; i++) if (buf[GUARD + r * stride + i] != SENTINEL) return false;
  return true;
}
function packed_of(k: i32, h: i32, g: i32, w: usize): StaticArray<f32> {
  const n = f32_rnn_packed_size(k, h, g);
  const p = guarded(n);
  f32_rnn_pack(k, h, g, w, k, data(p));
  expect(guards_intact(p, n)).toBe(true);
  return p;
}
// h_prev[b]·R[row]ᵀ in f64
function dot(hp: usize, hs: i32, b: i32, r: usize, h: i32, row: i32): f64 {
  let a: f64 = 0;
  for (let k = 0; k < h; k++) a += ld(hp, b * hs + k) * ld(r, row * h + k);
  return a;
}

function lstm_pre(x: usize, xs: i32, hp: usize, hs: i32, r: usize, h: i32, b: i32, q: i32, j: i32): f64 {
  return ld(x, b * xs + q * h + j) + dot(hp, hs, b, r, h, q * h + j);
}

function lstm(batch: i32, h: i32, peephole: bool, clip: f32): void {
  const xs = 4 * h + 3, hs = h + 1, cs = h + 2, os = h + 5;
  const x = strided(batch, 4 * h, xs, true), hp = strided(batch, h, hs, true), c = strided(batch, h, cs, true);
  const r = random(4 * h * h), p = random(3 * h), out = strided(batch, h, os, false);
  const c0 = new StaticArray<f32>(c.length);
  for (let i = 0; i < c.length; i++) c0[i] = c[i];
  const packed = packed_of(h, h, 4, data(r));
  f32_lstm_step(batch, h, data(x), xs, data(hp), hs, data(c), cs, data(packed), peephole ? data(p) : 0, clip, data(out), os, hard ? 1 : 0, HA, HB);
  const cl: f64 = clip;
  for (let b = 0; b < batch; b++) for (let j = 0; j < h; j++) {
    const cp = <f64>c0[GUARD + b * cs + j];
    const pi = peephole ? ld(data(p), j) : 0, po = peephole ? ld(data(p), h + j) : 0, pf = peephole ? ld(data(p), 2 * h + j) : 0;
    const ig = gate(clipv(lstm_pre(data(x), xs, data(hp), hs, data(r), h, b, 0, j) + pi * cp, cl)), fg = gate(clipv(lstm_pre(data(x), xs, data(hp), hs, data(r), h, b, 2, j) + pf * cp, cl)), gg = Math.tanh(clipv(lstm_pre(data(x), xs, data(hp), hs, data(r), h, b, 3, j), cl));
    const cn = fg * cp + ig * gg;
    const og = gate(clipv(lstm_pre(data(x), xs, data(hp), hs, data(r), h, b, 1, j) + po * cn, cl));
    near("f32_lstm_step c", <f64>c[GUARD + b * cs + j], cn, b, j);
    near("f32_lstm_step h", <f64>out[GUARD + b * os + j], og * Math.tanh(cn), b, j);
  }
  expect(padding_intact(out, batch, h, os)).toBe(true);
  expect(padding_intact(c, batch, h, cs)).toBe(true);
}

function gru(batch: i32, h: i32, lbr: bool, clip: f32): void {
  const xs = 3 * h + 1, hs = h + 3, os = h + 2;
  const x = strided(batch, 3 * h, xs, true), hp = strided(batch, h, hs, true);
  const r = random(3 * h * h), rbh = random(h), out = strided(batch, h, os, false), scratch = guarded(2 * h);
  let packed: StaticArray<f32>, packed_h: StaticArray<f32>;
  if (lbr) { packed = packed_of(h, h, 3, data(r)); packed_h = guarded(0); }
  else { packed = packed_of(h, h, 2, data(r)); packed_h = packed_of(h, h, 1, data(r) + (<usize>(2 * h * h) << 2)); }
  f32_gru_step(batch, h, data(x), xs, data(hp), hs, data(packed), lbr ? 0 : data(packed_h), lbr ? data(rbh) : 0, lbr ? 1 : 0, clip,
    data(out), os, data(scratch), hard ? 1 : 0, HA, HB);
  const cl: f64 = clip;
  for (let b = 0; b < batch; b++) {
    const rg = new StaticArray<f64>(h), zg = new StaticArray<f64>(h);
    for (let j = 0; j < h; j++) {
      zg[j] = gate(clipv(ld(data(x), b * xs + j) + dot(data(hp), hs, b, data(r), h, j), cl));
      rg[j] = gate(clipv(ld(data(x), b * xs + h + j) + dot(data(hp), hs, b, data(r), h, h + j), cl));
    }
    for (let j = 0; j < h; j++) {
      let a: f64;
      if (lbr) {
        a = ld(data(x), b * xs + 2 * h + j) + rg[j] * (dot(data(hp), hs, b, data(r), h, 2 * h + j) + ld(data(rbh), j));
      } else {
        a = ld(data(x), b * xs + 2 * h + j);
        for (let k = 0; k < h; k++) a += rg[k] * ld(data(hp), b * hs + k) * ld(data(r), (2 * h + j) * h + k);
      }
      const hh = Math.tanh(clipv(a, cl));
      near(lbr ? "f32_gru_step (lbr) h" : "f32_gru_step h", <f64>out[GUARD + b * os + j], (1 - zg[j]) * hh + zg[j] * ld(data(hp), b * hs + j), b, j);
    }
  }
  expect(padding_intact(out, batch, h, os)).toBe(true);
  expect(guards_intact(scratch, 2 * h)).toBe(true);
}

function rnn(batch: i32, h: i32, relu: bool, clip: f32): void {
  const xs = h + 1, hs = h + 2, os = h + 3;
  const x = strided(batch, h, xs, true), hp = strided(batch, h, hs, true);
  const r = random(h * h), out = strided(batch, h, os, false);
  const packed = packed_of(h, h, 1, data(r));
  f32_rnn_step(batch, h, data(x), xs, data(hp), hs, data(packed), relu ? 1 : 0, clip, data(out), os);
  const cl: f64 = clip;
  for (let b = 0; b < batch; b++) for (let j = 0; j < h; j++) {
    const v = clipv(ld(data(x), b * xs + j) + dot(data(hp), hs, b, data(r), h, j), cl);
    near("f32_rnn_step h", <f64>out[GUARD + b * os + j], relu ? Math.max(0, v) : Math.tanh(v), b, j);
  }
  expect(padding_intact(out, batch, h, os)).toBe(true);
}

const HIDDEN: StaticArray<i32> = [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 25, 33];
const BATCH: StaticArray<i32> = [1, 3];

describe("f32_rnn_pack", () => {
  it("lays out [block of 8 units][k][gate][8], zero past h", () => {
    reseed(5);
    const k = 3, h = 5, g = 2;
    const w = random(g * h * k);
    const p = packed_of(k, h, g, data(w));
    expect(f32_rnn_packed_size(k, h, g)).toBe(8 * g * k);
    for (let kk = 0; kk < k; kk++) for (let q = 0; q < g; q++) for (let j = 0; j < 8; j++) {
      const got = p[GUARD + (kk * g + q) * 8 + j];
      expect(got).toBe(j < h ? w[GUARD + (q * h + j) * k + kk] : <f32>0);
    }
  });
});

describe("f32_lstm_step", () => {
  it("matches the scalar reference (odd hidden, batch 1 and 3, strided rows)", () => {
    reseed(11); bad = 0;
    for (let i = 0; i < HIDDEN.length; i++) for (let b = 0; b < BATCH.length; b++) lstm(BATCH[b], HIDDEN[i], false, Infinity);
    expect(bad).toBe(0);
  });
  it("with peepholes and clip", () => {
    reseed(12); bad = 0;
    for (let i = 0; i < HIDDEN.length; i++) {
      lstm(2, HIDDEN[i], true, Infinity);
      lstm(2, HIDDEN[i], true, 0.25);
    }
    expect(bad).toBe(0);
  });
});

describe("f32_lstm_step, hard sigmoid gates", () => {
  it("matches the scalar reference (batch 1 and 3, peepholes, clip)", () => {
    reseed(13); bad = 0; hard = true;
    for (let i = 0; i < HIDDEN.length; i++) {
      for (let b = 0; b < BATCH.length; b++) lstm(BATCH[b], HIDDEN[i], false, Infinity);
      lstm(2, HIDDEN[i], true, Infinity);
      lstm(2, HIDDEN[i], true, 0.25);
    }
    hard = false;
    expect(bad).toBe(0);
  });
});

describe("f32_gru_step", () => {
  it("linear_before_reset = 0 and 1, clip", () => {
    reseed(21); bad = 0;
    for (let i = 0; i < HIDDEN.length; i++) for (let b = 0; b < BATCH.length; b++) {
      gru(BATCH[b], HIDDEN[i], false, Infinity);
      gru(BATCH[b], HIDDEN[i], true, Infinity);
      gru(BATCH[b], HIDDEN[i], BATCH[b] == 1, 0.3);
    }
    expect(bad).toBe(0);
  });
});

describe("f32_gru_step, hard sigmoid gates", () => {
  it("linear_before_reset = 0 and 1, clip", () => {
    reseed(22); bad = 0; hard = true;
    for (let i = 0; i < HIDDEN.length; i++) for (let b = 0; b < BATCH.length; b++) {
      gru(BATCH[b], HIDDEN[i], false, Infinity);
      gru(BATCH[b], HIDDEN[i], true, Infinity);
      gru(BATCH[b], HIDDEN[i], BATCH[b] == 1, 0.3);
    }
    hard = false;
    expect(bad).toBe(0);
  });
});

describe("f32_rnn_step", () => {
  it("tanh and relu, clip", () => {
    reseed(31); bad = 0;
    for (let i = 0; i < HIDDEN.length; i++) for (let b = 0; b < BATCH.length; b++) {
      rnn(BATCH[b], HIDDEN[i], false, Infinity);
      rnn(BATCH[b], HIDDEN[i], true, Infinity);
      rnn(BATCH[b], HIDDEN[i], b == 0, 0.2);
    }
    expect(bad).toBe(0);
  });
});
