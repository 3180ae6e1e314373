// Recurrent cells with ONNX semantics (LSTM gates i,o,f,c; GRU z,r,h; simple RNN), one time step per call.
//
// The input projection of every time step (X·Wᵀ + Wb + Rb, one direction's gates side by side) is one packed
// f32_gemm over all steps, done by the caller; these kernels add the recurrent part h_prev·Rᵀ and apply the
// gate non-linearities and the state update while the gate values are still in registers:
//   - R is packed by f32_rnn_pack into blocks of 8 hidden units: block j0 holds, for every k row, the 8 columns
//     of each of its g gates side by side ([k][g][8], zero past h). One block is a GEMV of h_prev against
//     g*8 columns: 2*g accumulators (8 for an LSTM), then the cell update for those 8 units.
//   - k loop: the relaxed build takes four rows per iteration (LSTM, GRU z/r): one v128 load of h_prev, its
//     lanes broadcast by shuffles, then 4*2*g fused madds on consecutive packed vectors; every accumulator
//     still sums k in order, so the results are the same bits as one row at a time. The SIMD-128 build keeps
//     one row per iteration (load32_splat): with mul + add, V8 hoists the loads of the unrolled body, runs out
//     of xmm registers and spills accumulators (measured no faster, sometimes slower).
//   - Where the time goes (h = 128, batch 1, Zen 4, one layer step ~6-7 us): the GEMV (16K madds over the
//     256 KB packed R, in L2) ~4.3 us, about one v128 madd per cycle, half the 2/cycle that 8 chains allow;
//     per-k throughput is the same for h = 32, 64, 128 (R in L1 or L2), so not L2 bandwidth: V8's loop code
//     (a spill store and a stack check per iteration; in the unrolled loop, madds grouped per accumulator
//     and spills) is the likely limit. The gate activations (accurate exp-based sigmoid/tanh, 5 per unit)
//     are ~2-3 us of the rest.
//   - Batch rows are done one after another (m = batch is small for recurrent models); the packed R of a
//     moderate hidden size stays in L2 between rows.
//   - Tails (h not a multiple of 8 or 4) load the gate values into zeroed lanes and store only the valid ones:
//     nothing outside [0, h) of any row is read or written (the packed R is zero-padded instead).
//   - clip (ONNX `clip`) bounds the input of every activation; pass +Infinity for none.
//   - h_out must not overlap h_prev (every unit reads all of h_prev); the LSTM cell state c is updated in place.
import { madd } from "../math/madd";
import { sigmoid_f32x4, tanh_f32x4 } from "../math/activation";
import { clamp4, load_partial, store_partial } from "../util/lanes";

/** Hidden units per packed block. */
const NB: i32 = 8;

/** Floats of a packed recurrent matrix: k inputs, h hidden units, g gates. */
export function f32_rnn_packed_size(k: i32, h: i32, g: i32): i32 {
  return (h + NB - 1) / NB * NB * g * k;
}

/**
 * Packs the rows of g gates of h units each (row q*h + j of W is gate q, unit j; W[row][kk] at
 * w + 4*(row*w_row_stride + kk), kk < k) into f32_rnn_packed_size(k, h, g) floats at `packed`.
 * ONNX's R [g*h][h] for one direction is w_row_stride = k = h.
 */
export function f32_rnn_pack(k: i32, h: i32, g: i32, w: usize, w_row_stride: i32, packed: usize): void {
  let p = packed;
  for (let j0 = 0; j0 < h; j0 += NB) {
    for (let kk = 0; kk < k; kk++) {
      for (let q = 0; q < g; q++) {
        for (let j = 0; j < NB; j++) {
          const row = q * h + j0 + j;
          store<f32>(p, j0 + j < h ? load<f32>(w + ((<usize>row * w_row_stride + kk) << 2)) : 0);
          p += 4;
        }
      }
    }
  }
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

// The gate (recurrent) activation. `hard` is a literal at every call site (through the inlined bodies), so
// each kernel body is specialised and the untaken branch is removed: the sigmoid path has no extra test.
@inline function gact(v: v128, hard: bool, ga: v128, gb: v128): v128 {
  if (hard) return clamp4(madd(ga, v, gb), f32x4.splat(0), f32x4.splat(1));
  return sigmoid_f32x4(v);
}

// One LSTM cell update for four units (n valid lanes) whose gate pre-activations are ai, ao, af, ac.
@inline function lstm_cell(ai: v128, ao: v128, af: v128, ac: v128, cp: usize, peep: usize, h: i32, j: i32, hout: usize, n: i32, lo: v128, hi: v128,
  hard: bool, ga: v128, gb: v128): void {
  if (n <= 0) return;
  const jb = <usize>j << 2;
  const cprev = ld(cp + jb, n);
  if (peep != 0) {
    ai = madd(ld(peep + jb, n), cprev, ai); // P = [i | o | f]
    af = madd(ld(peep + ((<usize>(2 * h) << 2) + jb), n), cprev, af);
  }
  const i = gact(clamp4(ai, lo, hi), hard, ga, gb);
  const f = gact(clamp4(af, lo, hi), hard, ga, gb);
  const g = tanh_f32x4(clamp4(ac, lo, hi));
  const c = madd(f, cprev, f32x4.mul(i, g));
  if (peep != 0) ao = madd(ld(peep + ((<usize>h << 2) + jb), n), c, ao);
  const o = gact(clamp4(ao, lo, hi), hard, ga, gb);
  st(cp + jb, c, n);
  st(hout + jb, f32x4.mul(o, tanh_f32x4(c)), n);
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
  const hi = f32x4.splat(clip), lo = f32x4.splat(-clip);
  const ga = f32x4.splat(alpha), gb = f32x4.splat(beta);
  const hb = <usize>h << 2;
  for (let b = 0; b < batch; b++) {
    const xr = x + (<usize>b * x_stride << 2), hp = h_prev + (<usize>b * hp_stride << 2);
    const cr = c + (<usize>b * c_stride << 2), ho = h_out + (<usize>b * ho_stride << 2);
    const hend = hp + hb;
    let w = packed;
    for (let j0 = 0; j0 < h; j0 += NB) {
      const nr = h - j0;
      const xj = xr + (<usize>j0 << 2);
      let i0: v128, i1: v128, o0: v128, o1: v128, f0: v128, f1: v128, g0: v128, g1: v128;
      if (nr >= NB) {
        i0 = v128.load(xj); i1 = v128.load(xj, 16);
        o0 = v128.load(xj + hb); o1 = v128.load(xj + hb, 16);
        f0 = v128.load(xj + 2 * hb); f1 = v128.load(xj + 2 * hb, 16);
        g0 = v128.load(xj + 3 * hb); g1 = v128.load(xj + 3 * hb, 16);
      } else {
        i0 = ld(xj, nr); i1 = ld(xj + 16, nr - 4);
        o0 = ld(xj + hb, nr); o1 = ld(xj + hb + 16, nr - 4);
        f0 = ld(xj + 2 * hb, nr); f1 = ld(xj + 2 * hb + 16, nr - 4);
        g0 = ld(xj + 3 * hb, nr); g1 = ld(xj + 3 * hb + 16, nr - 4);
      }
      let p = hp;
      // Four k rows per iteration: one v128 load of h_prev, lanes broadcast by shuffles (relaxed build only).
      if (ASC_FEATURE_RELAXED_SIMD) for (; p + 16 <= hend; p += 16) {
        const hv = v128.load(p);
        let s = i32x4.shuffle(hv, hv, 0, 0, 0, 0);
        i0 = madd(s, v128.load(w), i0); i1 = madd(s, v128.load(w, 16), i1);
        o0 = madd(s, v128.load(w, 32), o0); o1 = madd(s, v128.load(w, 48), o1);
        f0 = madd(s, v128.load(w, 64), f0); f1 = madd(s, v128.load(w, 80), f1);
        g0 = madd(s, v128.load(w, 96), g0); g1 = madd(s, v128.load(w, 112), g1);
        s = i32x4.shuffle(hv, hv, 1, 1, 1, 1);
        i0 = madd(s, v128.load(w, 128), i0); i1 = madd(s, v128.load(w, 144), i1);
        o0 = madd(s, v128.load(w, 160), o0); o1 = madd(s, v128.load(w, 176), o1);
        f0 = madd(s, v128.load(w, 192), f0); f1 = madd(s, v128.load(w, 208), f1);
        g0 = madd(s, v128.load(w, 224), g0); g1 = madd(s, v128.load(w, 240), g1);
        s = i32x4.shuffle(hv, hv, 2, 2, 2, 2);
        i0 = madd(s, v128.load(w, 256), i0); i1 = madd(s, v128.load(w, 272), i1);
        o0 = madd(s, v128.load(w, 288), o0); o1 = madd(s, v128.load(w, 304), o1);
        f0 = madd(s, v128.load(w, 320), f0); f1 = madd(s, v128.load(w, 336), f1);
        g0 = madd(s, v128.load(w, 352), g0); g1 = madd(s, v128.load(w, 368), g1);
        s = i32x4.shuffle(hv, hv, 3, 3, 3, 3);
        i0 = madd(s, v128.load(w, 384), i0); i1 = madd(s, v128.load(w, 400), i1);
        o0 = madd(s, v128.load(w, 416), o0); o1 = madd(s, v128.load(w, 432), o1);
        f0 = madd(s, v128.load(w, 448), f0); f1 = madd(s, v128.load(w, 464), f1);
        g0 = madd(s, v128.load(w, 480), g0); g1 = madd(s, v128.load(w, 496), g1);
        w += 512;
      }
      for (; p < hend; p += 4) {
        const s = v128.load32_splat(p);
        i0 = madd(s, v128.load(w), i0); i1 = madd(s, v128.load(w, 16), i1);
        o0 = madd(s, v128.load(w, 32), o0); o1 = madd(s, v128.load(w, 48), o1);
        f0 = madd(s, v128.load(w, 64), f0); f1 = madd(s, v128.load(w, 80), f1);
        g0 = madd(s, v128.load(w, 96), g0); g1 = madd(s, v128.load(w, 112), g1);
        w += 128;
      }
      lstm_cell(i0, o0, f0, g0, cr, peep, h, j0, ho, nr, lo, hi, hard, ga, gb);
      lstm_cell(i1, o1, f1, g1, cr, peep, h, j0 + 4, ho, nr - 4, lo, hi, hard, ga, gb);
    }
  }
}

// GRU output for four units: h = (1 - z)⊙ĥ + z⊙h_prev.
@inline function gru_out(z: v128, hh: v128, hprev: v128): v128 {
  return f32x4.add(f32x4.mul(f32x4.sub(f32x4.splat(1.0), z), hh), f32x4.mul(z, hprev));
}

// linear_before_reset = 1, four units: ĥ = tanh(xh + r⊙(h_prev·Rhᵀ + Rbh)).
@inline function gru_cell_lbr(az: v128, ar: v128, ah: v128, xr: usize, hp: usize, h: i32, j: i32, hout: usize, n: i32, lo: v128, hi: v128,
  hard: bool, ga: v128, gb: v128): void {
  if (n <= 0) return;
  const jb = <usize>j << 2;
  const z = gact(clamp4(az, lo, hi), hard, ga, gb);
  const r = gact(clamp4(ar, lo, hi), hard, ga, gb);
  const hh = tanh_f32x4(clamp4(madd(r, ah, ld(xr + ((<usize>(2 * h)) << 2) + jb, n)), lo, hi));
  st(hout + jb, gru_out(z, hh, ld(hp + jb, n)), n);
}

/**
 * One GRU step (ONNX, gates z,r,h) for `batch` rows of h units. x[b] (3h floats, order z,r,h) is the input
 * projection plus Wb, plus Rb for z and r, plus Rbh for h only when linear_before_reset = 0.
 *   lbr = 1: packed = f32_rnn_pack(h, h, 3, R); rbh = Rbh [h] (or 0 = zeros); packed_h and scratch unused.
 *            ĥ = tanh(xh + r⊙(h_prev·Rhᵀ + Rbh))
 *   lbr = 0: packed = f32_rnn_pack(h, h, 2, R) (z, r), packed_h = f32_rnn_pack(h, h, 1, R + 2h rows);
 *            scratch: 2h floats. ĥ = tanh(xh + (r⊙h_prev)·Rhᵀ)
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
  const hi = f32x4.splat(clip), lo = f32x4.splat(-clip);
  const ga = f32x4.splat(alpha), gb = f32x4.splat(beta);
  const hb = <usize>h << 2;
  for (let b = 0; b < batch; b++) {
    const xr = x + (<usize>b * x_stride << 2), hp = h_prev + (<usize>b * hp_stride << 2);
    const ho = h_out + (<usize>b * ho_stride << 2);
    const hend = hp + hb;
    let w = packed;
    if (lbr != 0) {
      for (let j0 = 0; j0 < h; j0 += NB) {
        const nr = h - j0;
        const xj = xr + (<usize>j0 << 2);
        let z0 = ld(xj, nr), z1 = ld(xj + 16, nr - 4);
        let r0 = ld(xj + hb, nr), r1 = ld(xj + hb + 16, nr - 4);
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
        if (rbh != 0) { a0 = ld(rbh + (<usize>j0 << 2), nr); a1 = ld(rbh + (<usize>j0 << 2) + 16, nr - 4); }
        let p = hp;
        if (ASC_FEATURE_RELAXED_SIMD) for (; p + 16 <= hend; p += 16) { // four k rows, as in f32_lstm_step
          const hv = v128.load(p);
          let s = i32x4.shuffle(hv, hv, 0, 0, 0, 0);
          z0 = madd(s, v128.load(w), z0); z1 = madd(s, v128.load(w, 16), z1);
          r0 = madd(s, v128.load(w, 32), r0); r1 = madd(s, v128.load(w, 48), r1);
          a0 = madd(s, v128.load(w, 64), a0); a1 = madd(s, v128.load(w, 80), a1);
          s = i32x4.shuffle(hv, hv, 1, 1, 1, 1);
          z0 = madd(s, v128.load(w, 96), z0); z1 = madd(s, v128.load(w, 112), z1);
          r0 = madd(s, v128.load(w, 128), r0); r1 = madd(s, v128.load(w, 144), r1);
          a0 = madd(s, v128.load(w, 160), a0); a1 = madd(s, v128.load(w, 176), a1);
          s = i32x4.shuffle(hv, hv, 2, 2, 2, 2);
          z0 = madd(s, v128.load(w, 192), z0); z1 = madd(s, v128.load(w, 208), z1);
          r0 = madd(s, v128.load(w, 224), r0); r1 = madd(s, v128.load(w, 240), r1);
          a0 = madd(s, v128.load(w, 256), a0); a1 = madd(s, v128.load(w, 272), a1);
          s = i32x4.shuffle(hv, hv, 3, 3, 3, 3);
          z0 = madd(s, v128.load(w, 288), z0); z1 = madd(s, v128.load(w, 304), z1);
          r0 = madd(s, v128.load(w, 320), r0); r1 = madd(s, v128.load(w, 336), r1);
          a0 = madd(s, v128.load(w, 352), a0); a1 = madd(s, v128.load(w, 368), a1);
          w += 384;
        }
        for (; p < hend; p += 4) {
          const s = v128.load32_splat(p);
          z0 = madd(s, v128.load(w), z0); z1 = madd(s, v128.load(w, 16), z1);
          r0 = madd(s, v128.load(w, 32), r0); r1 = madd(s, v128.load(w, 48), r1);
          a0 = madd(s, v128.load(w, 64), a0); a1 = madd(s, v128.load(w, 80), a1);
          w += 96;
        }
        gru_cell_lbr(z0, r0, a0, xr, hp, h, j0, ho, nr, lo, hi, hard, ga, gb);
        gru_cell_lbr(z1, r1, a1, xr, hp, h, j0 + 4, ho, nr - 4, lo, hi, hard, ga, gb);
      }
      continue;
    }
    // linear_before_reset = 0: z and r⊙h_prev for every unit first (scratch), then the candidate.
    const zs = scratch, rs = scratch + hb;
    for (let j0 = 0; j0 < h; j0 += NB) {
      const nr = h - j0;
      const jb = <usize>j0 << 2;
      const xj = xr + jb;
      let z0 = ld(xj, nr), z1 = ld(xj + 16, nr - 4);
      let r0 = ld(xj + hb, nr), r1 = ld(xj + hb + 16, nr - 4);
      let p = hp;
      if (ASC_FEATURE_RELAXED_SIMD) for (; p + 16 <= hend; p += 16) { // four k rows, as in f32_lstm_step
        const hv = v128.load(p);
        let s = i32x4.shuffle(hv, hv, 0, 0, 0, 0);
        z0 = madd(s, v128.load(w), z0); z1 = madd(s, v128.load(w, 16), z1);
        r0 = madd(s, v128.load(w, 32), r0); r1 = madd(s, v128.load(w, 48), r1);
        s = i32x4.shuffle(hv, hv, 1, 1, 1, 1);
        z0 = madd(s, v128.load(w, 64), z0); z1 = madd(s, v128.load(w, 80), z1);
        r0 = madd(s, v128.load(w, 96), r0); r1 = madd(s, v128.load(w, 112), r1);
        s = i32x4.shuffle(hv, hv, 2, 2, 2, 2);
        z0 = madd(s, v128.load(w, 128), z0); z1 = madd(s, v128.load(w, 144), z1);
        r0 = madd(s, v128.load(w, 160), r0); r1 = madd(s, v128.load(w, 176), r1);
        s = i32x4.shuffle(hv, hv, 3, 3, 3, 3);
        z0 = madd(s, v128.load(w, 192), z0); z1 = madd(s, v128.load(w, 208), z1);
        r0 = madd(s, v128.load(w, 224), r0); r1 = madd(s, v128.load(w, 240), r1);
        w += 256;
      }
      for (; p < hend; p += 4) {
        const s = v128.load32_splat(p);
        z0 = madd(s, v128.load(w), z0); z1 = madd(s, v128.load(w, 16), z1);
        r0 = madd(s, v128.load(w, 32), r0); r1 = madd(s, v128.load(w, 48), r1);
        w += 64;
      }
      st(zs + jb, gact(clamp4(z0, lo, hi), hard, ga, gb), nr);
      st(zs + jb + 16, gact(clamp4(z1, lo, hi), hard, ga, gb), nr - 4);
      st(rs + jb, f32x4.mul(gact(clamp4(r0, lo, hi), hard, ga, gb), ld(hp + jb, nr)), nr);
      st(rs + jb + 16, f32x4.mul(gact(clamp4(r1, lo, hi), hard, ga, gb), ld(hp + jb + 16, nr - 4)), nr - 4);
    }
    w = packed_h;
    const rend = rs + hb;
    for (let j0 = 0; j0 < h; j0 += NB) {
      const nr = h - j0;
      const jb = <usize>j0 << 2;
      const xj = xr + 2 * hb + jb;
      let a0 = ld(xj, nr), a1 = ld(xj + 16, nr - 4);
      for (let p = rs; p < rend; p += 4) {
        const s = v128.load32_splat(p);
        a0 = madd(s, v128.load(w), a0); a1 = madd(s, v128.load(w, 16), a1);
        w += 32;
      }
      st(ho + jb, gru_out(ld(zs + jb, nr), tanh_f32x4(clamp4(a0, lo, hi)), ld(hp + jb, nr)), nr);
      st(ho + jb + 16, gru_out(ld(zs + jb + 16, nr - 4), tanh_f32x4(clamp4(a1, lo, hi)), ld(hp + jb + 16, nr - 4)), nr - 4);
    }
  }
}

@inline function rnn_act(v: v128, relu: i32, lo: v128, hi: v128): v128 {
  const a = clamp4(v, lo, hi);
  return relu != 0 ? f32x4.pmax(a, f32x4.splat(0)) : tanh_f32x4(a);
}

/**
 * One simple-RNN step: h_out[b] = act(x[b] + h_prev[b]·Rᵀ), act = tanh (relu = 0) or relu (relu = 1).
 * x[b] (h floats) is the input projection with both biases; packed = f32_rnn_pack(h, h, 1, R). Strides as
 * f32_lstm_step. Two blocks (16 units) at a time: 4 independent accumulator chains.
 */
export function f32_rnn_step(batch: i32, h: i32, x: usize, x_stride: i32, h_prev: usize, hp_stride: i32, packed: usize, relu: i32,
  clip: f32, h_out: usize, ho_stride: i32): void {
  const hi = f32x4.splat(clip), lo = f32x4.splat(-clip);
  const hb = <usize>h << 2;
  const block_bytes = hb << 3; // h rows of 8 floats
  for (let b = 0; b < batch; b++) {
    const xr = x + (<usize>b * x_stride << 2), hp = h_prev + (<usize>b * hp_stride << 2);
    const ho = h_out + (<usize>b * ho_stride << 2);
    const hend = hp + hb;
    for (let j0 = 0; j0 < h; j0 += 2 * NB) {
      const nr = h - j0;
      const jb = <usize>j0 << 2;
      let w0 = packed + <usize>(j0 / NB) * block_bytes;
      // A missing second block aliases the first (computed, not stored).
      let w1 = nr > NB ? w0 + block_bytes : w0;
      let a0 = ld(xr + jb, nr), a1 = ld(xr + jb + 16, nr - 4);
      let a2 = ld(xr + jb + 32, nr - 8), a3 = ld(xr + jb + 48, nr - 12);
      for (let p = hp; p < hend; p += 4) {
        const s = v128.load32_splat(p);
        a0 = madd(s, v128.load(w0), a0); a1 = madd(s, v128.load(w0, 16), a1);
        a2 = madd(s, v128.load(w1), a2); a3 = madd(s, v128.load(w1, 16), a3);
        w0 += 32; w1 += 32;
      }
      st(ho + jb, rnn_act(a0, relu, lo, hi), nr);
      st(ho + jb + 16, rnn_act(a1, relu, lo, hi), nr - 4);
      st(ho + jb + 32, rnn_act(a2, relu, lo, hi), nr - 8);
      st(ho + jb + 48, rnn_act(a3, relu, lo, hi), nr - 12);
    }
  }
}
