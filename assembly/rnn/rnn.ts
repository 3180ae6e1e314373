// Recurrent cells with ONNX semantics (LSTM gates i,o,f,c; GRU z,r,h; simple RNN), one time step per call.
//
// The input projection of every time step (X·Wᵀ + Wb + Rb, one direction's gates side by side) is one packed
// f32_gemm over all steps, done by the caller; these kernels add the recurrent part h_prev·Rᵀ and apply the gate
// non-linearities and the state update:
//   - R is packed by f32_rnn_pack in blocks of 32 columns: 32/g hidden units of each of the g gates (g = 1, 2, 4),
//     for every k row side by side ([k][g][32/g], zero past h). An LSTM block is 8 units, a GRU z/r block 16, a GRU
//     candidate or RNN block 32. The GRU always packs z,r and the candidate apart (the candidate's input is r⊙h_prev
//     when linear_before_reset = 0).
//   - rnn_gemv computes one block, h_prev·W (32 gate values), with 8 accumulators, one k row per iteration: 8
//     independent madd chains cover the 4-cycle FMA latency on both pipes. A never-taken exit test splits each
//     row's 8 weight loads in two groups of 4: V8 does not fold loads into the madds, and without the split TurboFan
//     schedules all 8 loads of the row first, needs 17 xmm registers (15 exist) and spills accumulators on every
//     row. Split, the loop runs spill-free at ~1.6 madd/cycle relaxed, ~1.35 simd (both ~0.6-0.8 before, also
//     with four rows per iteration). Rows are summed in order, so the two builds differ only by fusing.
//   - The units are walked in spans of 32: the span's GEMVs (LSTM 4 blocks, GRU 2 + 1, RNN 1) write its gate values
//     to the static buffer G (512 bytes, stays in L1), then the cell update runs on groups of 4 units, adding the
//     input projection x. Out of the GEMV loop, the cell code's constants and pointers cannot crowd its registers.
//   - Gate activations are the rational tanh/sigmoid of math/rational.ts (one division, ~12 operations, <= 4e-7
//     relative for tanh, 2e-7 absolute for sigmoid), not the ~35-operation exp-based ones: 5 per unit per step
//     cost more than a third of a step with those. ONNX `clip` merges into the clamp the rational needs anyway.
//   - Where the time goes (h = 128, batch 1, Zen 4): a layer step ~3.6 us relaxed / ~4.3 us simd: the GEMV (16K
//     madds over the 256 KB packed R, in L2) ~2.8 / 3.3 us, the cell updates the rest.
//   - Batch rows are done one after another (m = batch is small for recurrent models); the packed R of a
//     moderate hidden size stays in L2 between rows.
//   - Tails (h not a multiple of 4) load x, h_prev and c into zeroed lanes and store only the valid ones: nothing
//     outside [0, h) of any row is read or written (the packed R is zero-padded instead).
//   - clip (ONNX `clip`) bounds the input of every activation; pass +Infinity for none.
//   - h_out must not overlap h_prev (every unit reads all of h_prev); the LSTM cell state c is updated in place.
import { madd } from "../math/madd";
import { sigmoid_rational_core, tanh_rational_core, tanh_rational_f32x4, TANH_RATIONAL_BOUND } from "../math/rational";
import { clamp4, load_partial, store_partial } from "../util/lanes";

/** Floats per packed k row of a block: one 8-accumulator GEMV. */
const ROW: i32 = 32;
/** Units per span: the blocks whose gate values G holds at once. */
const SPAN: i32 = 32;
/** Gate values of one span: 4 blocks of ROW floats. */
const G = memory.data(4 * ROW * 4, 16);

/** Floats of a packed recurrent matrix: k inputs, h hidden units, g gates (1, 2 or 4). */
export function f32_rnn_packed_size(k: i32, h: i32, g: i32): i32 {
  const nb = ROW / g;
  return (h + nb - 1) / nb * ROW * k;
}

/**
 * Packs the rows of g gates (1, 2 or 4) of h units each (row q*h + j of W is gate q, unit j; W[row][kk] at
 * w + 4*(row*w_row_stride + kk), kk < k) into f32_rnn_packed_size(k, h, g) floats at `packed`: blocks of 32/g
 * units, [k][g][32/g] each. ONNX's R [g*h][h] for one direction is w_row_stride = k = h.
 */
export function f32_rnn_pack(k: i32, h: i32, g: i32, w: usize, w_row_stride: i32, packed: usize): void {
  const nb = ROW / g;
  let p = packed;
  for (let j0 = 0; j0 < h; j0 += nb) {
    for (let kk = 0; kk < k; kk++) {
      for (let q = 0; q < g; q++) {
        for (let j = 0; j < nb; j++) {
          const row = q * h + j0 + j;
          store<f32>(p, j0 + j < h ? load<f32>(w + ((<usize>row * w_row_stride + kk) << 2)) : 0);
          p += 4;
        }
      }
    }
  }
}

/** out[0..32) = sum over the k rows of h[kk] * w[kk][0..32): h at hp..hend, w one packed block. */
function rnn_gemv(hp: usize, hend: usize, w: usize, out: usize): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (let p = hp; p < hend; p += 4) {
    const s = v128.load32_splat(p);
    a0 = madd(s, v128.load(w), a0); a1 = madd(s, v128.load(w, 16), a1);
    a2 = madd(s, v128.load(w, 32), a2); a3 = madd(s, v128.load(w, 48), a3);
    if (p == hend) break; // never taken: splits the row's loads (see the top of the file)
    a4 = madd(s, v128.load(w, 64), a4); a5 = madd(s, v128.load(w, 80), a5);
    a6 = madd(s, v128.load(w, 96), a6); a7 = madd(s, v128.load(w, 112), a7);
    w += ROW << 2;
  }
  v128.store(out, a0); v128.store(out, a1, 16); v128.store(out, a2, 32); v128.store(out, a3, 48);
  v128.store(out, a4, 64); v128.store(out, a5, 80); v128.store(out, a6, 96); v128.store(out, a7, 112);
}

// n (any) floats at p into a v128: all four for n >= 4, none (zeros) for n <= 0, else the low n lanes.
@inline function ld(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p);
  if (n <= 0) return f32x4.splat(0);
  return load_partial(p, n);
}
@inline function st(p: usize, v: v128, n: i32): void {
  if (n >= 4) v128.store(p, v);
  else if (n > 0) store_partial(p, v, n);
}

/** Gate activation codes (the `gate` argument of f32_lstm_step / f32_gru_step). */
export const GATE_SIGMOID: i32 = 0;
/** max(0, min(1, alpha*x + beta)) (ONNX HardSigmoid; Keras 2/tfjs hard_sigmoid: alpha 0.2, beta 0.5). */
export const GATE_HARD_SIGMOID: i32 = 1;

// The clamps of one kernel call, in v128 locals of the inlined bodies: ONNX `clip` (lo, hi) for the hard sigmoid
// and relu, merged with the argument range of the rational sigmoid (+-18: slo, shi) and tanh (+-9: tlo, thi).
@inline function sbound(clip: f32): f32 { return min(clip, 2 * TANH_RATIONAL_BOUND); }
@inline function tbound(clip: f32): f32 { return min(clip, TANH_RATIONAL_BOUND); }

// The gate (recurrent) activation: rational sigmoid, or the hard sigmoid clamp4(ga*v + gb, 0, 1). `hard` is a
// literal at every call site (through the inlined bodies), so each kernel body is specialised and the untaken
// branch is removed: the sigmoid path has no extra test.
@inline function gact(v: v128, hard: bool, lo: v128, hi: v128, slo: v128, shi: v128, ga: v128, gb: v128): v128 {
  if (hard) return clamp4(madd(ga, clamp4(v, lo, hi), gb), f32x4.splat(0), f32x4.splat(1));
  return sigmoid_rational_core(clamp4(v, slo, shi));
}

/**
 * One LSTM step (ONNX, gates i,o,f,c) for `batch` rows of h units:
 *   gates = x[b] + h_prev[b]·Rᵀ;  i = σ(gi + Pi⊙c), f = σ(gf + Pf⊙c), g = tanh(gc), c' = f⊙c + i⊙g,
 *   o = σ(go + Po⊙c'), h_out[b] = o⊙tanh(c').
 * x[b] (4h floats: the input projection with both biases, order i,o,f,c) at x + 4*b*x_stride; h_prev[b] at
 * h_prev + 4*b*hp_stride; c[b] (read and updated in place) at c + 4*b*c_stride; h_out[b] at h_out + 4*b*ho_stride.
 * packed = f32_rnn_pack(h, h, 4, R) ; peep = P [3h] (i,o,f) or 0; clip = +Infinity for none.
 * gate: σ above is GATE_SIGMOID (alpha, beta unused) or GATE_HARD_SIGMOID (max(0, min(1, alpha*x + beta))).
 */
export function f32_lstm_step(batch: i32, h: i32, x: usize, x_stride: i32, h_prev: usize, hp_stride: i32, c: usize, c_stride: i32,
  packed: usize, peep: usize, clip: f32, h_out: usize, ho_stride: i32, gate: i32, alpha: f32, beta: f32): void {
  if (gate == GATE_HARD_SIGMOID) lstm_body(batch, h, x, x_stride, h_prev, hp_stride, c, c_stride, packed, peep, clip, h_out, ho_stride, true, alpha, beta);
  else lstm_body(batch, h, x, x_stride, h_prev, hp_stride, c, c_stride, packed, peep, clip, h_out, ho_stride, false, alpha, beta);
}

@inline function lstm_body(batch: i32, h: i32, x: usize, x_stride: i32, h_prev: usize, hp_stride: i32, c: usize, c_stride: i32,
  packed: usize, peep: usize, clip: f32, h_out: usize, ho_stride: i32, hard: bool, alpha: f32, beta: f32): void {
  const lo = f32x4.splat(-clip), hi = f32x4.splat(clip), ga = f32x4.splat(alpha), gb = f32x4.splat(beta);
  const slo = f32x4.splat(-sbound(clip)), shi = f32x4.splat(sbound(clip)), tlo = f32x4.splat(-tbound(clip)), thi = f32x4.splat(tbound(clip));
  const hb = <usize>h << 2, blk = hb * ROW;
  for (let b = 0; b < batch; b++) {
    const xr = x + (<usize>b * x_stride << 2), hp = h_prev + (<usize>b * hp_stride << 2);
    const cr = c + (<usize>b * c_stride << 2), ho = h_out + (<usize>b * ho_stride << 2);
    let w = packed;
    for (let j0 = 0; j0 < h; j0 += SPAN) {
      const n = min(SPAN, h - j0);
      for (let u = 0; u < n; u += 8) { rnn_gemv(hp, hp + hb, w, G + (<usize>u << 4)); w += blk; }
      // Group u: block u >> 3 (128 bytes: i, o, f, c of 8 units), half (u & 4).
      for (let u = 0; u < n; u += 4) {
        lstm_cell(G + (<usize>(u >> 3) << 7) + (<usize>(u & 4) << 2), xr, hb, cr, peep, ho, j0 + u, n - u, hard, lo, hi, slo, shi, tlo, thi, ga, gb);
      }
    }
  }
}

// One LSTM cell update for four units j.. (n valid lanes): gate values at gp (i, o, f, c 32 bytes apart) + x.
@inline function lstm_cell(gp: usize, xr: usize, hb: usize, cp: usize, peep: usize, hout: usize, j: i32, n: i32,
  hard: bool, lo: v128, hi: v128, slo: v128, shi: v128, tlo: v128, thi: v128, ga: v128, gb: v128): void {
  const jb = <usize>j << 2, xj = xr + jb;
  let ai = f32x4.add(v128.load(gp), ld(xj, n)), ao = f32x4.add(v128.load(gp, 32), ld(xj + hb, n));
  let af = f32x4.add(v128.load(gp, 64), ld(xj + 2 * hb, n));
  const ac = f32x4.add(v128.load(gp, 96), ld(xj + 3 * hb, n));
  const cprev = ld(cp + jb, n);
  if (peep != 0) {
    ai = madd(ld(peep + jb, n), cprev, ai); // P = [i | o | f]
    af = madd(ld(peep + 2 * hb + jb, n), cprev, af);
  }
  const i = gact(ai, hard, lo, hi, slo, shi, ga, gb), f = gact(af, hard, lo, hi, slo, shi, ga, gb);
  const g = tanh_rational_core(clamp4(ac, tlo, thi));
  const cn = madd(f, cprev, f32x4.mul(i, g));
  if (peep != 0) ao = madd(ld(peep + hb + jb, n), cn, ao);
  const o = gact(ao, hard, lo, hi, slo, shi, ga, gb);
  st(cp + jb, cn, n);
  st(hout + jb, f32x4.mul(o, tanh_rational_f32x4(cn)), n); // no clip on c (ONNX, onnxruntime)
}

// GRU output for four units: h = (1 - z)⊙ĥ + z⊙h_prev.
@inline function gru_out(z: v128, hh: v128, hprev: v128): v128 {
  return f32x4.add(f32x4.mul(f32x4.sub(f32x4.splat(1.0), z), hh), f32x4.mul(z, hprev));
}

/**
 * One GRU step (ONNX, gates z,r,h) for `batch` rows of h units. x[b] (3h floats, order z,r,h) is the input
 * projection plus Wb, plus Rb for z and r, plus Rbh for h only when linear_before_reset = 0.
 * packed = f32_rnn_pack(h, h, 2, R) (z, r rows), packed_h = f32_rnn_pack(h, h, 1, R + 2h rows) (candidate).
 *   lbr = 1: rbh = Rbh [h] (or 0 = zeros); scratch unused. ĥ = tanh(xh + r⊙(h_prev·Rhᵀ + Rbh))
 *   lbr = 0: rbh unused; scratch: 2h floats.           ĥ = tanh(xh + (r⊙h_prev)·Rhᵀ)
 * z = σ(xz + h_prev·Rzᵀ), r = σ(xr + h_prev·Rrᵀ), h_out = (1 - z)⊙ĥ + z⊙h_prev. Strides as f32_lstm_step;
 * gate, alpha, beta: σ as in f32_lstm_step.
 */
export function f32_gru_step(batch: i32, h: i32, x: usize, x_stride: i32, h_prev: usize, hp_stride: i32, packed: usize, packed_h: usize,
  rbh: usize, lbr: i32, clip: f32, h_out: usize, ho_stride: i32, scratch: usize, gate: i32, alpha: f32, beta: f32): void {
  if (gate == GATE_HARD_SIGMOID) gru_body(batch, h, x, x_stride, h_prev, hp_stride, packed, packed_h, rbh, lbr, clip, h_out, ho_stride, scratch, true, alpha, beta);
  else gru_body(batch, h, x, x_stride, h_prev, hp_stride, packed, packed_h, rbh, lbr, clip, h_out, ho_stride, scratch, false, alpha, beta);
}

@inline function gru_body(batch: i32, h: i32, x: usize, x_stride: i32, h_prev: usize, hp_stride: i32, packed: usize, packed_h: usize,
  rbh: usize, lbr: i32, clip: f32, h_out: usize, ho_stride: i32, scratch: usize, hard: bool, alpha: f32, beta: f32): void {
  const lo = f32x4.splat(-clip), hi = f32x4.splat(clip), ga = f32x4.splat(alpha), gb = f32x4.splat(beta);
  const slo = f32x4.splat(-sbound(clip)), shi = f32x4.splat(sbound(clip)), tlo = f32x4.splat(-tbound(clip)), thi = f32x4.splat(tbound(clip));
  const hb = <usize>h << 2, blk = hb * ROW;
  const hg = G + 2 * ROW * 4; // the candidate block's gate values, after the two z/r blocks
  for (let b = 0; b < batch; b++) {
    const xr = x + (<usize>b * x_stride << 2), hp = h_prev + (<usize>b * hp_stride << 2);
    const ho = h_out + (<usize>b * ho_stride << 2);
    let w = packed, wh = packed_h;
    // linear_before_reset = 0 needs r for every unit before any candidate: z and r⊙h_prev go to scratch first.
    const zs = scratch, rs = scratch + hb;
    for (let j0 = 0; j0 < h; j0 += SPAN) {
      const n = min(SPAN, h - j0);
      for (let u = 0; u < n; u += 16) { rnn_gemv(hp, hp + hb, w, G + (<usize>u << 3)); w += blk; }
      if (lbr != 0) { rnn_gemv(hp, hp + hb, wh, hg); wh += blk; }
      for (let u = 0; u < n; u += 4) {
        const jb = <usize>(j0 + u) << 2, xj = xr + jb, nu = n - u;
        const gp = G + (<usize>(u >> 4) << 7) + (<usize>(u & 12) << 2); // z of block u >> 4; r 64 bytes on
        const z = gact(f32x4.add(v128.load(gp), ld(xj, nu)), hard, lo, hi, slo, shi, ga, gb);
        const r = gact(f32x4.add(v128.load(gp, 64), ld(xj + hb, nu)), hard, lo, hi, slo, shi, ga, gb);
        const hpv = ld(hp + jb, nu);
        if (lbr != 0) {
          const a = rbh != 0 ? f32x4.add(v128.load(hg + (<usize>u << 2)), ld(rbh + jb, nu)) : v128.load(hg + (<usize>u << 2));
          st(ho + jb, gru_out(z, tanh_rational_core(clamp4(madd(r, a, ld(xj + 2 * hb, nu)), tlo, thi)), hpv), nu);
        } else {
          st(zs + jb, z, nu);
          st(rs + jb, f32x4.mul(r, hpv), nu);
        }
      }
    }
    if (lbr != 0) continue;
    for (let j0 = 0; j0 < h; j0 += SPAN) {
      const n = min(SPAN, h - j0);
      rnn_gemv(rs, rs + hb, wh, hg); wh += blk;
      for (let u = 0; u < n; u += 4) {
        const jb = <usize>(j0 + u) << 2, nu = n - u;
        const hh = tanh_rational_core(clamp4(f32x4.add(v128.load(hg + (<usize>u << 2)), ld(xr + 2 * hb + jb, nu)), tlo, thi));
        st(ho + jb, gru_out(ld(zs + jb, nu), hh, ld(hp + jb, nu)), nu);
      }
    }
  }
}

/**
 * One simple-RNN step: h_out[b] = act(x[b] + h_prev[b]·Rᵀ), act = tanh (relu = 0) or relu (relu = 1).
 * x[b] (h floats) is the input projection with both biases; packed = f32_rnn_pack(h, h, 1, R). Strides as
 * f32_lstm_step.
 */
export function f32_rnn_step(batch: i32, h: i32, x: usize, x_stride: i32, h_prev: usize, hp_stride: i32, packed: usize, relu: i32,
  clip: f32, h_out: usize, ho_stride: i32): void {
  const lo = f32x4.splat(-clip), hi = f32x4.splat(clip), tlo = f32x4.splat(-tbound(clip)), thi = f32x4.splat(tbound(clip));
  const hb = <usize>h << 2, blk = hb * ROW;
  for (let b = 0; b < batch; b++) {
    const xr = x + (<usize>b * x_stride << 2), hp = h_prev + (<usize>b * hp_stride << 2);
    const ho = h_out + (<usize>b * ho_stride << 2);
    let w = packed;
    for (let j0 = 0; j0 < h; j0 += SPAN) {
      const n = min(SPAN, h - j0);
      rnn_gemv(hp, hp + hb, w, G); w += blk;
      for (let u = 0; u < n; u += 4) {
        const jb = <usize>(j0 + u) << 2, nu = n - u;
        const v = f32x4.add(v128.load(G + (<usize>u << 2)), ld(xr + jb, nu));
        st(ho + jb, relu != 0 ? f32x4.pmax(clamp4(v, lo, hi), f32x4.splat(0)) : tanh_rational_core(clamp4(v, tlo, thi)), nu);
      }
    }
  }
}
