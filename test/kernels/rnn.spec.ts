// f32_lstm_steps / f32_gru_steps / f32_rnn_steps (with f32_rnn_pack) against a plain scalar f64 reference of one
// ONNX time step (steps = 1; several steps in one call against one call per step, bit for bit), on odd hidden sizes (tails of every length, partial blocks and spans of 32 units), batch 1 and
// > 1, with row strides larger than a row (the padding holds a sentinel that must survive), guards around every
// output, peepholes, clip, GRU with and without linear_before_reset, LSTM/GRU with hard sigmoid gates, RNN tanh
// and relu; and the rational tanh/sigmoid of math/rational.ts against f64 over dense sweeps.
// Tolerance: |got - ref| <= 4e-6 * (1 + |ref|): the pre-activations are sums of h f32 products of values in
// [-1, 1] (R scaled by 1/sqrt(h) above h = 33, as trained weights are, so the sums stay of order 1; rounding
// ~sqrt(h) * 2^-24 * sum|terms|, a few 1e-7 here), the rational sigmoid/tanh add <= 4e-7, the update a few ulp,
// and every activation has a derivative <= 1; a wrong weight, gate order or lane is far above it.
import { f32_rnn_pack, f32_rnn_packed_size, f32_lstm_steps, f32_gru_steps, f32_rnn_steps } from "../../assembly/rnn/rnn";
import { sigmoid_rational_f32, tanh_rational_f32 } from "../../assembly/math/rational";
import { GUARD, SENTINEL, copy, data, guarded, guards_intact, random, reseed, same } from "./buffers";

const TOL: f64 = 4e-6;

function sig(x: f64): f64 { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); }
// The gate activation: sigmoid, or hard sigmoid max(0, min(1, HA*x + HB)) when `hard`.
const HA: f32 = 0.2, HB: f32 = 0.5;
let hard = false;
function gate(x: f64): f64 { return hard ? Math.max(0, Math.min(1, <f64>HA * x + <f64>HB)) : sig(x); }
function clipv(v: f64, c: f64): f64 { return Math.max(-c, Math.min(c, v)); }
function ld(p: usize, i: i32): f64 { return <f64>load<f32>(p + (<usize>i << 2)); }

let bad = 0;
let worst: f64 = 0; // largest |got - ref| / (1 + |ref|) seen, traced per test
function finish(): void {
  trace("worst |got - ref| / (1 + |ref|)", 1, worst);
  worst = 0;
  expect(bad).toBe(0);
}
function near(what: string, got: f64, ref: f64, b: i32, j: i32): void {
  const e = Math.abs(got - ref) / (1 + Math.abs(ref));
  if (e > worst) worst = e;
  if (e <= TOL) return;
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
// Recurrent weights for hidden size h: uniform in [-1, 1), scaled by 1/sqrt(h) above h = 33.
function weights(n: i32, h: i32): StaticArray<f32> {
  const w = random(n);
  if (h > 33) for (let i = 0; i < n; i++) w[GUARD + i] *= <f32>(1 / Math.sqrt(h));
  return w;
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
  const r = weights(4 * h * h, h), p = random(3 * h), out = strided(batch, h, os, false);
  const c0 = new StaticArray<f32>(c.length);
  for (let i = 0; i < c.length; i++) c0[i] = c[i];
  const packed = packed_of(h, h, 4, data(r));
  f32_lstm_steps(1, batch, h, data(x), xs, 0, data(hp), hs, data(c), cs, data(packed), peephole ? data(p) : 0, clip, data(out), os, 0, 0, hard ? 1 : 0, HA, HB);
  const cl: f64 = clip;
  for (let b = 0; b < batch; b++) for (let j = 0; j < h; j++) {
    const cp = <f64>c0[GUARD + b * cs + j];
    const pi = peephole ? ld(data(p), j) : 0, po = peephole ? ld(data(p), h + j) : 0, pf = peephole ? ld(data(p), 2 * h + j) : 0;
    const ig = gate(clipv(lstm_pre(data(x), xs, data(hp), hs, data(r), h, b, 0, j) + pi * cp, cl)), fg = gate(clipv(lstm_pre(data(x), xs, data(hp), hs, data(r), h, b, 2, j) + pf * cp, cl)), gg = Math.tanh(clipv(lstm_pre(data(x), xs, data(hp), hs, data(r), h, b, 3, j), cl));
    const cn = fg * cp + ig * gg;
    const og = gate(clipv(lstm_pre(data(x), xs, data(hp), hs, data(r), h, b, 1, j) + po * cn, cl));
    near("f32_lstm_steps c", <f64>c[GUARD + b * cs + j], cn, b, j);
    near("f32_lstm_steps h", <f64>out[GUARD + b * os + j], og * Math.tanh(cn), b, j);
  }
  expect(padding_intact(out, batch, h, os)).toBe(true);
  expect(padding_intact(c, batch, h, cs)).toBe(true);
}

function gru(batch: i32, h: i32, lbr: bool, clip: f32): void {
  const xs = 3 * h + 1, hs = h + 3, os = h + 2;
  const x = strided(batch, 3 * h, xs, true), hp = strided(batch, h, hs, true);
  const r = weights(3 * h * h, h), rbh = random(h), out = strided(batch, h, os, false), scratch = guarded(2 * h);
  const packed = packed_of(h, h, 2, data(r)), packed_h = packed_of(h, h, 1, data(r) + (<usize>(2 * h * h) << 2));
  f32_gru_steps(1, batch, h, data(x), xs, 0, data(hp), hs, data(packed), data(packed_h), lbr ? data(rbh) : 0, lbr ? 1 : 0, clip,
    data(out), os, 0, 0, data(scratch), hard ? 1 : 0, HA, HB);
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
      near(lbr ? "f32_gru_steps (lbr) h" : "f32_gru_steps h", <f64>out[GUARD + b * os + j], (1 - zg[j]) * hh + zg[j] * ld(data(hp), b * hs + j), b, j);
    }
  }
  expect(padding_intact(out, batch, h, os)).toBe(true);
  expect(guards_intact(scratch, 2 * h)).toBe(true);
}

function rnn(batch: i32, h: i32, relu: bool, clip: f32): void {
  const xs = h + 1, hs = h + 2, os = h + 3;
  const x = strided(batch, h, xs, true), hp = strided(batch, h, hs, true);
  const r = weights(h * h, h), out = strided(batch, h, os, false);
  const packed = packed_of(h, h, 1, data(r));
  f32_rnn_steps(1, batch, h, data(x), xs, 0, data(hp), hs, data(packed), relu ? 1 : 0, clip, data(out), os, 0, 0);
  const cl: f64 = clip;
  for (let b = 0; b < batch; b++) for (let j = 0; j < h; j++) {
    const v = clipv(ld(data(x), b * xs + j) + dot(data(hp), hs, b, data(r), h, j), cl);
    near("f32_rnn_steps h", <f64>out[GUARD + b * os + j], relu ? Math.max(0, v) : Math.tanh(v), b, j);
  }
  expect(padding_intact(out, batch, h, os)).toBe(true);
}

// LSTM blocks: 12 (one), 20 (12 + 8), 21 (12 + 12 padded), 40 (36 + 4 in an 8-unit block), 128 (ECG model's);
// spans of 132 units: 140 (132 | an 8-unit block), 141 (132 | a padded 12-unit block), 270 (132 | 132 | 6 in 8).
const HIDDEN: StaticArray<i32> = [1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 17, 20, 21, 25, 33, 40, 47, 70, 128, 140, 141, 270];
const BATCH: StaticArray<i32> = [1, 3];

const GATES: StaticArray<i32> = [1, 2, 4];
const PACK_H: StaticArray<i32> = [5, 9, 12, 20, 40, 128];

// Units per packed block from unit j0 on: 32/g for g = 1, 2; for g = 4 (LSTM), 12, and the last block 8 when h % 12
// is 1..8 (9..11 units take one more 12-unit block).
function block_units(g: i32, h: i32, j0: i32): i32 {
  if (g != 4) return 32 / g;
  const r = h % 12, u12 = h - r + (r > 8 ? 12 : 0);
  return j0 < u12 ? 12 : 8;
}

describe("f32_rnn_pack", () => {
  it("lays out [block of nb units][k][gate][nb], zero past h (nb = 32/g; LSTM 12, last block 8)", () => {
    reseed(5);
    const k = 3;
    for (let gi = 0; gi < GATES.length; gi++) for (let hi = 0; hi < PACK_H.length; hi++) {
      const g = GATES[gi], h = PACK_H[hi];
      const w = random(g * h * k);
      const p = packed_of(k, h, g, data(w));
      let off = 0;
      for (let j0 = 0; j0 < h; ) {
        const nb = block_units(g, h, j0);
        for (let kk = 0; kk < k; kk++) for (let q = 0; q < g; q++) for (let j = 0; j < nb; j++) {
          const unit = j0 + j;
          const got = p[GUARD + off + (kk * g + q) * nb + j];
          expect(got).toBe(unit < h ? w[GUARD + (q * h + unit) * k + kk] : <f32>0);
        }
        off += k * g * nb;
        j0 += nb;
      }
      expect(f32_rnn_packed_size(k, h, g)).toBe(off);
    }
  });
});

// Largest error of f over n points spaced `step` apart from x0, against the f64 function: relative (rel) or absolute.
function sweep_err(f: (x: f32) => f32, ref: (x: f64) => f64, x0: f64, step: f64, n: i32, rel: bool): f64 {
  let worst: f64 = 0;
  for (let i = 0; i < n; i++) {
    const x = <f32>(x0 + i * step);
    const r = ref(<f64>x), d = Math.abs(<f64>f(x) - r);
    const e = rel ? (r == 0 ? d : d / Math.abs(r)) : d;
    if (e > worst) worst = e;
  }
  return worst;
}

describe("rational tanh / sigmoid (math/rational.ts)", () => {
  it("tanh: relative error <= 4e-7 over [-20, 20] and near 0; limits", () => {
    const t = (x: f32): f32 => tanh_rational_f32(x), r = (x: f64): f64 => Math.tanh(x);
    const e = max(sweep_err(t, r, -20, 1.0 / 4096, 163840, true), sweep_err(t, r, -1, 1.0 / 262144, 524288, true));
    trace("tanh_rational max rel error", 1, e);
    expect(e <= 4e-7).toBe(true);
    for (let i = 0; i < 40; i++) { // 2^-40 .. 1: odd, tiny inputs exact
      const x = <f32>Math.pow(2, -i - 1) * 1.37;
      expect(Math.abs(<f64>tanh_rational_f32(x) - Math.tanh(x)) <= 4e-7 * Math.tanh(x)).toBe(true);
      expect(tanh_rational_f32(-x)).toBe(-tanh_rational_f32(x));
    }
    expect(tanh_rational_f32(1e-30)).toBe(1e-30);
    expect(reinterpret<u32>(tanh_rational_f32(-0.0))).toBe(0x80000000);
    expect(Math.abs(tanh_rational_f32(Infinity) - 1) <= 6e-8).toBe(true);
    expect(Math.abs(tanh_rational_f32(-1e30) + 1) <= 6e-8).toBe(true);
    expect(isNaN(tanh_rational_f32(NaN))).toBe(true);
  });
  it("sigmoid: absolute error <= 2.5e-7 over [-40, 40]; limits", () => {
    const s = (x: f32): f32 => sigmoid_rational_f32(x);
    const r = (x: f64): f64 => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
    const e = sweep_err(s, r, -40, 1.0 / 2048, 163840, false);
    trace("sigmoid_rational max abs error", 1, e);
    expect(e <= 2.5e-7).toBe(true);
    expect(sigmoid_rational_f32(0)).toBe(0.5);
    expect(Math.abs(sigmoid_rational_f32(Infinity) - 1) <= 6e-8).toBe(true);
    expect(Math.abs(<f64>sigmoid_rational_f32(-Infinity)) <= 6e-8).toBe(true);
    expect(isNaN(sigmoid_rational_f32(NaN))).toBe(true);
  });
});

describe("f32_lstm_steps", () => {
  it("matches the scalar reference (odd hidden, batch 1 and 3, strided rows)", () => {
    reseed(11); bad = 0;
    for (let i = 0; i < HIDDEN.length; i++) for (let b = 0; b < BATCH.length; b++) lstm(BATCH[b], HIDDEN[i], false, Infinity);
    finish();
  });
  it("with peepholes and clip", () => {
    reseed(12); bad = 0;
    for (let i = 0; i < HIDDEN.length; i++) {
      lstm(2, HIDDEN[i], true, Infinity);
      lstm(2, HIDDEN[i], true, 0.25);
    }
    finish();
  });
});

describe("f32_lstm_steps, hard sigmoid gates", () => {
  it("matches the scalar reference (batch 1 and 3, peepholes, clip)", () => {
    reseed(13); bad = 0; hard = true;
    for (let i = 0; i < HIDDEN.length; i++) {
      for (let b = 0; b < BATCH.length; b++) lstm(BATCH[b], HIDDEN[i], false, Infinity);
      lstm(2, HIDDEN[i], true, Infinity);
      lstm(2, HIDDEN[i], true, 0.25);
    }
    hard = false;
    finish();
  });
});

// Both linear_before_reset modes and clip, every hidden size and batch.
function gru_all(): void {
  for (let i = 0; i < HIDDEN.length; i++) for (let b = 0; b < BATCH.length; b++) {
    gru(BATCH[b], HIDDEN[i], false, Infinity);
    gru(BATCH[b], HIDDEN[i], true, Infinity);
    gru(BATCH[b], HIDDEN[i], BATCH[b] == 1, 0.3);
  }
}

describe("f32_gru_steps", () => {
  it("linear_before_reset = 0 and 1, clip", () => {
    reseed(21); bad = 0;
    gru_all();
    finish();
  });
});

describe("f32_gru_steps, hard sigmoid gates", () => {
  it("linear_before_reset = 0 and 1, clip", () => {
    reseed(22); bad = 0; hard = true;
    gru_all();
    hard = false;
    finish();
  });
});

describe("f32_rnn_steps", () => {
  it("tanh and relu, clip", () => {
    reseed(31); bad = 0;
    for (let i = 0; i < HIDDEN.length; i++) for (let b = 0; b < BATCH.length; b++) {
      rnn(BATCH[b], HIDDEN[i], false, Infinity);
      rnn(BATCH[b], HIDDEN[i], true, Infinity);
      rnn(BATCH[b], HIDDEN[i], b == 0, 0.2);
    }
    finish();
  });
});

// Several steps in one call against one call per step (the single step is checked against f64 above), bit for bit:
// forward, each step's rows written (a sequence output, layout 0); reverse (negative steps: the last step first);
// two buffers taken in turn (alternate). Steps' inputs [S][batch][xs], outputs [S][batch][os] (alternate: [2][batch][os]).
const S = 5;
const KINDS = 3; // 0 LSTM, 1 GRU, 2 RNN
let kind = 0;
// Weights and state of the kind under test.
let packed = guarded(0), packed_h = guarded(0), rbh = guarded(0), scratch = guarded(0);

function call(steps: i32, batch: i32, h: i32, x: usize, xs: i32, x_step: i32, hp: usize, hs: i32, c: usize, out: usize, os: i32,
  o_step: i32, alt: i32): void {
  if (kind == 0) f32_lstm_steps(steps, batch, h, x, xs, x_step, hp, hs, c, h, data(packed), 0, Infinity, out, os, o_step, alt, 0, 0, 0);
  else if (kind == 1) f32_gru_steps(steps, batch, h, x, xs, x_step, hp, hs, data(packed), data(packed_h), data(rbh), 1, Infinity, out, os, o_step, alt, data(scratch), 0, 0, 0);
  else f32_rnn_steps(steps, batch, h, x, xs, x_step, hp, hs, data(packed), 0, Infinity, out, os, o_step, alt);
}

function multi(batch: i32, h: i32, mode: i32): void {
  const g = kind == 0 ? 4 : kind == 1 ? 3 : 1;
  const xs = g * h + 1, hs = h + 2, os = h + 3;
  const x = random(S * batch * xs), hp = random(batch * hs), r = weights(g * h * h, h);
  packed = packed_of(h, h, kind == 1 ? 2 : g, data(r));
  if (kind == 1) packed_h = packed_of(h, h, 1, data(r) + (<usize>(2 * h * h) << 2));
  rbh = random(h); scratch = guarded(2 * h);
  const c1 = random(batch * h), c2 = copy(c1);
  const rows = mode == 2 ? 2 : S, reverse = mode == 1, alt = mode == 2 ? 1 : 0;
  const y1 = guarded(rows * batch * os), y2 = guarded(rows * batch * os);
  // Where step s (0 = first computed) reads and writes.
  const xrow = (s: i32, rev: bool, bx: i32): i32 => (rev ? S - 1 - s : s) * bx;
  call(S, batch, h, data(x) + (<usize>xrow(0, reverse, batch * xs) << 2), xs, (reverse ? -1 : 1) * batch * xs, data(hp), hs, data(c1),
    data(y1) + (<usize>(reverse ? (S - 1) * batch * os : <i32>0) << 2), os, (reverse ? -1 : 1) * batch * os, alt);
  let prev = data(hp), ps = hs;
  for (let s = 0; s < S; s++) {
    const o = data(y2) + (<usize>((alt ? s & 1 : reverse ? S - 1 - s : s) * batch * os) << 2);
    call(1, batch, h, data(x) + (<usize>xrow(s, reverse, batch * xs) << 2), xs, 0, prev, ps, data(c2), o, os, 0, 0);
    prev = o; ps = os;
  }
  expect(same(y1, y2)).toBe(true);
  expect(same(c1, c2)).toBe(true);
  expect(guards_intact(y1, rows * batch * os)).toBe(true);
}

describe("f32_lstm_steps / f32_gru_steps / f32_rnn_steps, several steps per call", () => {
  it("equal one call per step, bit for bit: forward, reverse, alternating buffers", () => {
    reseed(41);
    const hs: StaticArray<i32> = [1, 5, 12, 21, 40];
    for (kind = 0; kind < KINDS; kind++) for (let i = 0; i < hs.length; i++) for (let mode = 0; mode < 3; mode++) {
      multi(1, hs[i], mode);
      multi(3, hs[i], mode);
    }
  });
});
