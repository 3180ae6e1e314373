// Recurrent cells with ONNX semantics (LSTM gates i,o,f,c; GRU z,r,h; simple RNN), a run of time steps per call
// (./steps.ts: where each step reads and writes).
//
// The input projection of every time step (X·Wᵀ + Wb + Rb, one direction's gates side by side) is one packed
// f32_gemm over all steps, done by the caller; these kernels add the recurrent part h_prev·Rᵀ and apply the gate
// non-linearities and the state update:
//   - R is packed by f32_rnn_pack in blocks of 32 columns: 32/g hidden units of each of the g gates (g = 1, 2),
//     for every k row side by side ([k][g][32/g], zero past h): a GRU z/r block is 16 units, a GRU candidate or RNN
//     block 32. The GRU always packs z,r and the candidate apart (the candidate's input is r⊙h_prev when
//     linear_before_reset = 0). LSTM blocks (g = 4) are 12 units (48 columns, rnn_gemv12), the last one 8 units
//     when h % 12 is 1..8 (see LB).
//   - rnn_gemv computes one block, h_prev·W (32 gate values), with 8 accumulators, one k row per iteration: 8
//     independent madd chains cover the 4-cycle FMA latency on both pipes. A never-taken exit test splits each
//     row's 8 weight loads in two groups of 4: V8 does not fold loads into the madds, and without the split TurboFan
//     schedules all 8 loads of the row first, needs 17 xmm registers (15 exist) and spills accumulators on every
//     row. Split, the loop runs spill-free at ~1.6 madd/cycle relaxed, ~1.35 simd (both ~0.6-0.8 before). A row
//     is 9 vector loads for 8 madds; at two vector loads per cycle (Zen 4) ~1.8 is the likely ceiling at batch 1.
//     No better (bench/RESULTS.md): 2 or 4 rows per iteration, h loaded 4 at a time and shuffled (also with 12
//     accumulators: 1.4x slower), 6 accumulators, mul + fma + add mixes, the exit test after the row instead of
//     mid-row, h pre-broadcast to a buffer (plain loads instead of vbroadcastss). Rows are summed in order, so the
//     two builds differ only by fusing.
//   - The RNN walks the units in spans of 32 (1 block): the GEMV writes the gate values to the static buffer G
//     (stays in L1), then the cell update runs on groups of 4 units, adding the input projection x. Out of the
//     GEMV loop, the cell code's constants and pointers cannot crowd its registers.
//   - The LSTM walks spans of up to 132 units (11 blocks; h = 128 is one span), the GRU spans of up to 128 (8 z/r
//     blocks of 16 units, 4 candidate blocks of 32): the GEMVs write the span's gate values to G gate-major
//     ([i][o][f][c] or [z][r][ĥ] of 132 floats, GQ bytes apart, 2 KB), then the cell update runs one gate at a
//     time over the whole span (lstm_span; GRU: z, r, the candidate's tanh, the output): each pass is a short loop of
//     independent 4-unit groups, the rational's 9 coefficients and clamp bounds loaded once before it (V8 keeps
//     them in registers), so the out-of-order core overlaps many groups. The whole cell per group right after its
//     block's GEMV (before) was a dependency chain of ~85 cycles in ~190 x64 instructions for the LSTM
//     (coefficients reloaded, spills): the LSTM step ran ~5% slower, the bidirectional GRU of h = 64 (where the
//     cells are a larger share of a step) ~10%. The GRU with linear_before_reset = 0 needs every r before any
//     candidate: a first walk over the spans leaves z and r⊙h_prev in scratch (span_reset), a second one runs the
//     candidate GEMVs on r⊙h_prev, then the tanh and output passes.
//   - The 12-accumulator LSTM GEMV (rnn_gemv12; its two exit tests are one condition, so V8 keeps one and splits
//     the row 4 | 8, spill-free): a row is 13 loads for 12 madds (9 for 8), and 12 chains leave slack over the
//     4-cycle FMA latency. Per LSTM step (h 128), the SIMD-128 build is ~7% faster (4.7 -> 4.3-4.4 us: it is bound
//     by instruction issue, 16 FP operations + 9 loads per 8 madds), the relaxed build ~1% (3.65 -> 3.6 us: it is
//     bound by the vector loads, ~1.6-1.8 per cycle, and h = 128 still takes an 8-unit last block).
//   - Gate activations are the rational tanh/sigmoid of math/rational.ts (one division, ~12 operations, <= 3.8e-7
//     relative for tanh, 1.9e-7 absolute for sigmoid), not the ~35-operation exp-based ones, which took a third of
//     a step (5 per unit). ONNX `clip` merges into the clamp the rational needs anyway.
//   - Where the time goes (h = 128, batch 1, Zen 4, microbenchmark of 1000 steps): a layer step ~3.35 us relaxed:
//     the GEMVs (16K madds over the 256 KB packed R, in L2) ~2.9-3.0 us, the cell updates ~0.35-0.4 us (0.6-0.8
//     before the span passes). The GEMV row is 12 weight loads, the h broadcast and V8's loop stack check: 14 loads
//     per 12 madds, ~2.7 us a step at two vector loads per cycle. Unrolling two rows per iteration (13.5 loads per
//     12) or broadcasting h from a register (4 rows per h load) makes TurboFan schedule a block's loads first and
//     spill accumulators: 1.5-1.7x slower, whatever the exit tests. The cells and the GEMVs add up: the
//     out-of-order core does not overlap them (the cells cut into 10 pieces spread over the next block's k loop
//     were 1.35x slower: spilled accumulators around each piece).
//   - Batch rows are done one after another (m = batch is small for recurrent models); the packed R of a
//     moderate hidden size stays in L2 between rows. Two rows sharing each weight load (4 accumulators each)
//     measured only 10-13% faster per row: not done.
//   - Tails (h not a multiple of 4): the last group of a row loads x, h_prev and c into zeroed lanes and stores
//     only the valid ones: nothing outside [0, h) of any row is read or written (the packed R is zero-padded).
//   - clip (ONNX `clip`) bounds the input of every activation; pass +Infinity for none.
//   - h_out must not overlap h_prev (every unit reads all of h_prev); the LSTM cell state c is updated in place.
import { madd } from "../math/madd";
import { sigmoid_rational_core, tanh_rational_coefficient, tanh_rational_core, tanh_rational_f32x4, tanh_rational_with, TANH_RATIONAL_BOUND } from "../math/rational";
import { clamp4, load_partial, store_partial } from "../util/lanes";
import { step_out, step_x } from "./steps";

/** Floats per packed k row of a block: one 8-accumulator GEMV. */
const ROW: i32 = 32;
/** RNN units per span: the block whose gate values G holds at once. */
const SPAN: i32 = 32;
// LSTM blocks (g = 4) are 12 units wide (48 columns, a 12-accumulator GEMV: 13 loads per 12 madds instead of 9
// per 8), except the last: h % 12 in 1..8 units go to one 8-unit block (32 columns, the 8-accumulator GEMV), 9..11
// to one more 12-unit block, zero-padded like every last block. h = 128: ten 12-unit blocks and one of 8.
const LB: i32 = 12;
/** LSTM units per span: the GEMVs of a span's blocks fill G gate-major, [i][o][f][c] of SPAN12 units, then the
 * cell update runs one gate at a time over the span. */
const SPAN12: i32 = 132;
/** Bytes between the gates in G for an LSTM span. */
const GQ: usize = SPAN12 * 4;
/** Gate values of one span: 4 gates of an LSTM span (SPAN12 floats each, GQ bytes apart; a GRU span uses 3 of them,
 * an RNN span 32 floats). */
const G = memory.data(4 * SPAN12 * 4, 16);
/** Units of an LSTM layer of h units in its 12-unit blocks (a multiple of 12, >= h when h % 12 > 8). */
@inline function lstm_units12(h: i32): i32 {
  const r = h % LB;
  return h - r + (r > 8 ? LB : 0);
}

/** Floats of a packed recurrent matrix: k inputs, h hidden units, g gates (1, 2 or 4). */
export function f32_rnn_packed_size(k: i32, h: i32, g: i32): i32 {
  if (g == 4) {
    const u12 = lstm_units12(h);
    return (u12 / LB * 4 * LB + (u12 < h ? ROW : 0)) * k;
  }
  const nb = ROW / g;
  return (h + nb - 1) / nb * ROW * k;
}

/**
 * Packs the rows of g gates (1, 2 or 4) of h units each (row q*h + j of W is gate q, unit j; W[row][kk] at
 * w + 4*(row*w_row_stride + kk), kk < k) into f32_rnn_packed_size(k, h, g) floats at `packed`: blocks of nb
 * units, [k][g][nb] each: nb = 32/g for g = 1, 2; for g = 4, 12 (and the last block 8, see LB). ONNX's R [g*h][h]
 * for one direction is w_row_stride = k = h.
 */
export function f32_rnn_pack(k: i32, h: i32, g: i32, w: usize, w_row_stride: i32, packed: usize): void {
  const u12 = g == 4 ? lstm_units12(h) : 0;
  let p = packed;
  for (let j0 = 0; j0 < h; ) {
    const nb = g != 4 ? ROW / g : j0 < u12 ? LB : 8;
    for (let kk = 0; kk < k; kk++) {
      for (let q = 0; q < g; q++) {
        for (let j = 0; j < nb; j++) {
          const row = q * h + j0 + j;
          store<f32>(p, j0 + j < h ? load<f32>(w + ((<usize>row * w_row_stride + kk) << 2)) : 0);
          p += 4;
        }
      }
    }
    j0 += nb;
  }
}

/** out[0..32) = sum over the k rows of h[kk] * w[kk][0..32): h at hp..hend, w one packed block. */
function rnn_gemv(hp: usize, hend: usize, w: usize, out: usize): void {
  gemv_block<Block8>(hp, hend, w, out, 32, 64);
}

/** rnn_gemv for a GRU z/r block: z of its 16 units at out, r at out + gs (gate-major in G). */
function rnn_gemv16(hp: usize, hend: usize, w: usize, out: usize, gs: usize): void {
  gemv_block<Block8>(hp, hend, w, out, 32, gs);
}

/** rnn_gemv for the 8-unit last LSTM block: its 4 gates' 8 values at out, out + gs, out + 2gs, out + 3gs. */
function rnn_gemv8(hp: usize, hend: usize, w: usize, out: usize, gs: usize): void {
  gemv_block<Block8>(hp, hend, w, out, gs, 2 * gs);
}

/** rnn_gemv for a 12-unit LSTM block: out[0..48), 12 accumulators (13 xmm registers with s and a weight). */
function rnn_gemv12(hp: usize, hend: usize, w: usize, out: usize, gs: usize): void {
  gemv_block<Block12>(hp, hend, w, out, gs, 0);
}

// The block width, as a type argument: 8 accumulators (32 columns) or 12 (48 columns, LSTM). The 12-wide row's
// second exit test is the same condition as the first, so V8 keeps one and splits the row 4 | 8 (spill-free).
class Block12 {}
class Block8 {}
@inline function gemv_block<B>(hp: usize, hend: usize, w: usize, out: usize, gs: usize, hs: usize): void {
  const wide = idof<B>() == idof<Block12>();
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
  for (let p = hp; p < hend; p += 4) {
    const s = v128.load32_splat(p);
    a0 = madd(s, v128.load(w), a0); a1 = madd(s, v128.load(w, 16), a1);
    a2 = madd(s, v128.load(w, 32), a2); a3 = madd(s, v128.load(w, 48), a3);
    if (p == hend) break; // never taken: splits the row's loads (see the top of the file)
    a4 = madd(s, v128.load(w, 64), a4); a5 = madd(s, v128.load(w, 80), a5);
    a6 = madd(s, v128.load(w, 96), a6); a7 = madd(s, v128.load(w, 112), a7);
    if (wide) {
      if (p == hend) break;
      a8 = madd(s, v128.load(w, 128), a8); a9 = madd(s, v128.load(w, 144), a9);
      a10 = madd(s, v128.load(w, 160), a10); a11 = madd(s, v128.load(w, 176), a11);
    }
    w += wide ? LB * 16 : ROW << 2;
  }
  // Wide: gate q's 3 accumulators (12 units) at out + q*gs. 8 accumulators: the pairs (8 values each) at out,
  // out + gs, out + hs, out + hs + gs (gs = 32, hs = 64: one after another; LSTM hs = 2gs: 4 gates of 8 units;
  // GRU gs = 32: 16 units of z, then of r at out + hs).
  if (wide) {
    v128.store(out, a0); v128.store(out, a1, 16); v128.store(out, a2, 32);
    v128.store(out + gs, a3); v128.store(out + gs, a4, 16); v128.store(out + gs, a5, 32);
    v128.store(out + 2 * gs, a6); v128.store(out + 2 * gs, a7, 16); v128.store(out + 2 * gs, a8, 32);
    v128.store(out + 3 * gs, a9); v128.store(out + 3 * gs, a10, 16); v128.store(out + 3 * gs, a11, 32);
  } else {
    v128.store(out, a0); v128.store(out, a1, 16); v128.store(out + gs, a2); v128.store(out + gs, a3, 16);
    v128.store(out + hs, a4); v128.store(out + hs, a5, 16); v128.store(out + hs + gs, a6); v128.store(out + hs + gs, a7, 16);
  }
}

// The cell updates run on groups of 4 units: full groups with plain vector loads and stores, then (h % 4 != 0)
// one partial group whose loads fill the missing lanes with zeros and whose stores write only the valid lanes.
// The kind of group is a type argument, so the full-group loop has no tests in it.
class Full {}
class Part {}
@inline function ldg<T>(p: usize, n: i32): v128 {
  if (idof<T>() == idof<Full>()) return v128.load(p);
  return load_partial(p, n);
}
@inline function stg<T>(p: usize, v: v128, n: i32): void {
  if (idof<T>() == idof<Full>()) v128.store(p, v);
  else store_partial(p, v, n);
}

/** The group of m (1..4) units at p + ub: a vector load when m = 4, zeros in the missing lanes otherwise. */
@inline function ldm(p: usize, ub: usize, m: i32): v128 {
  return m == 4 ? v128.load(p + ub) : load_partial(p + ub, m);
}
/** Stores the m (1..4) valid lanes of a group at p + ub. */
@inline function stm(p: usize, ub: usize, v: v128, m: i32): void {
  if (m == 4) v128.store(p + ub, v);
  else store_partial(p + ub, v, m);
}

/** Gate activation codes (the `gate` argument of f32_lstm_steps / f32_gru_steps). */
export const GATE_SIGMOID: i32 = 0;
/** max(0, min(1, alpha*x + beta)) (ONNX HardSigmoid; Keras 2/tfjs hard_sigmoid: alpha 0.2, beta 0.5). */
export const GATE_HARD_SIGMOID: i32 = 1;

// The constants of one call, stored at its start and loaded where used (one instruction each; V8 rematerialises
// splats of the arguments inside the loops instead, with the NaN-handling f32.min): ONNX `clip` for the hard sigmoid
// and relu, the same merged with the argument range of the rational sigmoid (+-18) and tanh (+-9), the hard
// sigmoid's alpha and beta, and 1.
const CK = memory.data(9 * 16, 16);
const LO = 0, HI = 1, SLO = 2, SHI = 3, TLO = 4, THI = 5, GA = 6, GB = 7, ONE = 8;
@inline function ck(i: i32): v128 {
  return v128.load(CK + (<usize>i << 4));
}
function set_constants(clip: f32, alpha: f32, beta: f32): void {
  const s = min(clip, 2 * TANH_RATIONAL_BOUND), t = min(clip, TANH_RATIONAL_BOUND);
  v128.store(CK, f32x4.splat(-clip), LO << 4); v128.store(CK, f32x4.splat(clip), HI << 4);
  v128.store(CK, f32x4.splat(-s), SLO << 4); v128.store(CK, f32x4.splat(s), SHI << 4);
  v128.store(CK, f32x4.splat(-t), TLO << 4); v128.store(CK, f32x4.splat(t), THI << 4);
  v128.store(CK, f32x4.splat(alpha), GA << 4); v128.store(CK, f32x4.splat(beta), GB << 4);
  v128.store(CK, f32x4.splat(1), ONE << 4);
}

// The gate (recurrent) activation, chosen by a type argument: the kernel bodies are instantiated per gate kind and
// the compiler drops the other branch. (With a bool argument, binaryen folded the two inlined bodies back into one
// with a runtime flag, tested in the loops.)
class SigmoidGate {}
class HardSigmoidGate {}
@inline function gact<G>(v: v128): v128 {
  if (idof<G>() == idof<HardSigmoidGate>()) return clamp4(madd(ck(GA), clamp4(v, ck(LO), ck(HI)), ck(GB)), f32x4.splat(0), ck(ONE));
  return sigmoid_rational_core(clamp4(v, ck(SLO), ck(SHI)));
}
@inline function tact(v: v128): v128 {
  return tanh_rational_core(clamp4(v, ck(TLO), ck(THI)));
}

/**
 * `steps` LSTM steps (ONNX, gates i,o,f,c; where each step reads and writes: ./steps.ts), each for `batch` rows of h units:
 *   gates = x[b] + h_prev[b]·Rᵀ;  i = σ(gi + Pi⊙c), f = σ(gf + Pf⊙c), g = tanh(gc), c' = f⊙c + i⊙g,
 *   o = σ(go + Po⊙c'), h_out[b] = o⊙tanh(c').
 * x[b] (4h floats: the input projection with both biases, order i,o,f,c) at x + 4*b*x_stride; h_prev[b] at
 * h_prev + 4*b*hp_stride; c[b] (read and updated in place) at c + 4*b*c_stride; h_out[b] at h_out + 4*b*ho_stride.
 * packed = f32_rnn_pack(h, h, 4, R) ; peep = P [3h] (i,o,f) or 0; clip = +Infinity for none.
 * gate: σ above is GATE_SIGMOID (alpha, beta unused) or GATE_HARD_SIGMOID (max(0, min(1, alpha*x + beta))).
 */
export function f32_lstm_steps(steps: i32, batch: i32, h: i32, x: usize, x_stride: i32, x_step: i32, h_prev: usize, hp_stride: i32,
  c: usize, c_stride: i32, packed: usize, peep: usize, clip: f32, h_out: usize, ho_stride: i32, ho_step: i32, alternate: i32,
  gate: i32, alpha: f32, beta: f32): void {
  set_constants(clip, alpha, beta);
  for (let s = 0; s < steps; s++) {
    const xs = step_x(x, s, x_step), ho = step_out(h_out, s, ho_step, alternate);
    if (gate == GATE_HARD_SIGMOID) lstm_body<HardSigmoidGate>(batch, h, xs, x_stride, h_prev, hp_stride, c, c_stride, packed, peep, ho, ho_stride);
    else lstm_body<SigmoidGate>(batch, h, xs, x_stride, h_prev, hp_stride, c, c_stride, packed, peep, ho, ho_stride);
    h_prev = ho; hp_stride = ho_stride;
  }
}

@inline function lstm_body<G>(batch: i32, h: i32, x: usize, x_stride: i32, h_prev: usize, hp_stride: i32, c: usize, c_stride: i32,
  packed: usize, peep: usize, h_out: usize, ho_stride: i32): void {
  const hb = <usize>h << 2, u12 = lstm_units12(h);
  for (let b = 0; b < batch; b++) {
    const xr = x + (<usize>b * x_stride << 2), hp = h_prev + (<usize>b * hp_stride << 2);
    const cr = c + (<usize>b * c_stride << 2), ho = h_out + (<usize>b * ho_stride << 2);
    let w = packed;
    for (let j0 = 0; j0 < h; j0 += SPAN12) {
      const n = min(SPAN12, h - j0);
      let u = 0;
      for (; u < n && j0 + u < u12; u += LB) { rnn_gemv12(hp, hp + hb, w, G + (<usize>u << 2), GQ); w += hb * (4 * LB); }
      if (u < n) { rnn_gemv8(hp, hp + hb, w, G + (<usize>u << 2), GQ); w += hb * 32; }
      const jb = <usize>j0 << 2;
      lstm_span<G>(n, xr + jb, hb, cr + jb, peep != 0 ? peep + jb : 0, ho + jb);
    }
  }
}

// The cell update of a span of n units, one gate at a time over all of them, each pass a short loop of independent
// groups of 4 units (the out-of-order core overlaps many; a whole cell per group is a chain of ~85 cycles):
//   G_i = σ(G_i + x_i + P_i⊙c), G_f = σ(G_f + x_f + P_f⊙c), G_c = tanh(G_c + x_c), c = G_f⊙c + G_i⊙G_c,
//   G_o = σ(G_o + x_o + P_o⊙c), h = G_o⊙tanh(c).   x, c, peep, hout: the span's first unit.
@inline function lstm_span<G>(n: i32, x: usize, hb: usize, c: usize, peep: usize, hout: usize): void {
  span_gate<G, SigmoidKind>(n, G, x, peep, c);
  span_gate<G, SigmoidKind>(n, G + 2 * GQ, x + 2 * hb, peep != 0 ? peep + 2 * hb : 0, c);
  span_gate<G, TanhKind>(n, G + 3 * GQ, x + 3 * hb, 0, c);
  let u = 0;
  for (; u + 4 <= n; u += 4) span_state<Full>(u, c, 4);
  if (u < n) span_state<Part>(u, c, n - u);
  span_gate<G, SigmoidKind>(n, G + GQ, x + hb, peep != 0 ? peep + hb : 0, c);
  span_out(n, c, hout);
}

class SigmoidKind {}
class TanhKind {}
class ResetTanhKind {}
// One gate over the span: g[u] = act(g[u] + x[u] (+ p[u]⊙c[u] when p != 0)); ResetTanhKind (the GRU candidate
// with linear_before_reset): g[u] = tanh(c[u]⊙(g[u] (+ p[u] when p != 0)) + x[u]), c = r, p = Rbh. The rational's
// coefficients and the clamp bounds are loaded once, before the loop (13 values: V8 keeps most in registers).
@inline function span_gate<G, K>(n: i32, g: usize, x: usize, p: usize, c: usize): void {
  const tanh = idof<K>() != idof<SigmoidKind>();
  const lo = ck(tanh ? TLO : SLO), hi = ck(tanh ? THI : SHI), half = f32x4.splat(0.5);
  const p0 = tanh_rational_coefficient(0), p1 = tanh_rational_coefficient(1), p2 = tanh_rational_coefficient(2);
  const p3 = tanh_rational_coefficient(3), p4 = tanh_rational_coefficient(4), q1 = tanh_rational_coefficient(5);
  const q2 = tanh_rational_coefficient(6), q3 = tanh_rational_coefficient(7), q4 = tanh_rational_coefficient(8);
  let u = 0;
  for (; u < n; u += 4) {
    const ub = <usize>u << 2, m = min(4, n - u);
    let a: v128;
    if (idof<K>() == idof<ResetTanhKind>()) {
      a = v128.load(g + ub);
      if (p != 0) a = f32x4.add(a, ldm(p, ub, m));
      a = madd(v128.load(c + ub), a, ldm(x, ub, m));
    } else {
      a = f32x4.add(v128.load(g + ub), ldm(x, ub, m));
      if (p != 0) a = madd(ldm(p, ub, m), ldm(c, ub, m), a);
    }
    let r: v128;
    if (tanh) r = tanh_rational_with(clamp4(a, lo, hi), p0, p1, p2, p3, p4, q1, q2, q3, q4);
    else if (idof<G>() == idof<HardSigmoidGate>()) r = gact<G>(a);
    else r = madd(half, tanh_rational_with(f32x4.mul(clamp4(a, lo, hi), half), p0, p1, p2, p3, p4, q1, q2, q3, q4), half); // = gact<G>
    v128.store(g + ub, r);
  }
}
// c = f⊙c + i⊙g from the activated gates in G.
@inline function span_state<T>(u: i32, c: usize, n: i32): void {
  const ub = <usize>u << 2, gp = G + ub;
  stg<T>(c + ub, madd(v128.load(gp + 2 * GQ), ldg<T>(c + ub, n), f32x4.mul(v128.load(gp), v128.load(gp + 3 * GQ))), n);
}
// h = o⊙tanh(c) over the span (no clip on c: ONNX, onnxruntime), the coefficients loaded once as in span_gate.
@inline function span_out(n: i32, c: usize, hout: usize): void {
  const lo = f32x4.splat(-TANH_RATIONAL_BOUND), hi = f32x4.splat(TANH_RATIONAL_BOUND);
  const p0 = tanh_rational_coefficient(0), p1 = tanh_rational_coefficient(1), p2 = tanh_rational_coefficient(2);
  const p3 = tanh_rational_coefficient(3), p4 = tanh_rational_coefficient(4), q1 = tanh_rational_coefficient(5);
  const q2 = tanh_rational_coefficient(6), q3 = tanh_rational_coefficient(7), q4 = tanh_rational_coefficient(8);
  for (let u = 0; u < n; u += 4) {
    const ub = <usize>u << 2, m = min(4, n - u);
    const t = tanh_rational_with(clamp4(ldm(c, ub, m), lo, hi), p0, p1, p2, p3, p4, q1, q2, q3, q4);
    stm(hout, ub, f32x4.mul(v128.load(G + GQ + ub), t), m);
  }
}

/**
 * `steps` GRU steps (ONNX, gates z,r,h; ./steps.ts), each for `batch` rows of h units. x[b] (3h floats, order z,r,h) is the input
 * projection plus Wb, plus Rb for z and r, plus Rbh for h only when linear_before_reset = 0.
 * packed = f32_rnn_pack(h, h, 2, R) (z, r rows), packed_h = f32_rnn_pack(h, h, 1, R + 2h rows) (candidate).
 *   lbr = 1: rbh = Rbh [h] (or 0 = zeros); scratch unused. ĥ = tanh(xh + r⊙(h_prev·Rhᵀ + Rbh))
 *   lbr = 0: rbh unused; scratch: 2h floats.           ĥ = tanh(xh + (r⊙h_prev)·Rhᵀ)
 * z = σ(xz + h_prev·Rzᵀ), r = σ(xr + h_prev·Rrᵀ), h_out = (1 - z)⊙ĥ + z⊙h_prev. Strides and steps as
 * f32_lstm_steps; gate, alpha, beta: σ as in f32_lstm_steps.
 */
export function f32_gru_steps(steps: i32, batch: i32, h: i32, x: usize, x_stride: i32, x_step: i32, h_prev: usize, hp_stride: i32,
  packed: usize, packed_h: usize, rbh: usize, lbr: i32, clip: f32, h_out: usize, ho_stride: i32, ho_step: i32, alternate: i32,
  scratch: usize, gate: i32, alpha: f32, beta: f32): void {
  set_constants(clip, alpha, beta);
  for (let s = 0; s < steps; s++) {
    const xs = step_x(x, s, x_step), ho = step_out(h_out, s, ho_step, alternate);
    if (gate == GATE_HARD_SIGMOID) gru_body<HardSigmoidGate>(batch, h, xs, x_stride, h_prev, hp_stride, packed, packed_h, rbh, lbr, ho, ho_stride, scratch);
    else gru_body<SigmoidGate>(batch, h, xs, x_stride, h_prev, hp_stride, packed, packed_h, rbh, lbr, ho, ho_stride, scratch);
    h_prev = ho; hp_stride = ho_stride;
  }
}

/** GRU units per span: 8 z/r blocks of 16 units and 4 candidate blocks of 32 fill G gate-major, [z][r][ĥ] of
 * SPAN12 floats each (GQ bytes apart, as the LSTM's gates), then the cell update runs one gate at a time. */
const GSPAN: i32 = 128;

@inline function gru_body<G>(batch: i32, h: i32, x: usize, x_stride: i32, h_prev: usize, hp_stride: i32, packed: usize, packed_h: usize,
  rbh: usize, lbr: i32, h_out: usize, ho_stride: i32, scratch: usize): void {
  const hb = <usize>h << 2, blk = hb * ROW;
  for (let b = 0; b < batch; b++) {
    const xr = x + (<usize>b * x_stride << 2), hp = h_prev + (<usize>b * hp_stride << 2);
    const ho = h_out + (<usize>b * ho_stride << 2);
    let w = packed, wh = packed_h;
    // linear_before_reset = 0 needs r for every unit before any candidate: z and r⊙h_prev go to scratch first.
    const zs = scratch, rs = scratch + hb;
    for (let j0 = 0; j0 < h; j0 += GSPAN) {
      const n = min(GSPAN, h - j0), jb = <usize>j0 << 2;
      for (let u = 0; u < n; u += 16) { rnn_gemv16(hp, hp + hb, w, G + (<usize>u << 2), GQ); w += blk; }
      if (lbr != 0) for (let u = 0; u < n; u += ROW) { rnn_gemv(hp, hp + hb, wh, G + 2 * GQ + (<usize>u << 2)); wh += blk; }
      span_gate<G, SigmoidKind>(n, G, xr + jb, 0, 0);
      span_gate<G, SigmoidKind>(n, G + GQ, xr + hb + jb, 0, 0);
      if (lbr != 0) {
        span_gate<G, ResetTanhKind>(n, G + 2 * GQ, xr + 2 * hb + jb, rbh != 0 ? rbh + jb : 0, G + GQ);
        span_gru_out(n, G, hp + jb, ho + jb);
      } else {
        span_reset(n, hp + jb, zs + jb, rs + jb);
      }
    }
    if (lbr != 0) continue;
    for (let j0 = 0; j0 < h; j0 += GSPAN) {
      const n = min(GSPAN, h - j0), jb = <usize>j0 << 2;
      for (let u = 0; u < n; u += ROW) { rnn_gemv(rs, rs + hb, wh, G + 2 * GQ + (<usize>u << 2)); wh += blk; }
      span_gate<G, TanhKind>(n, G + 2 * GQ, xr + 2 * hb + jb, 0, 0);
      span_gru_out(n, zs + jb, hp + jb, ho + jb);
    }
  }
}

// linear_before_reset = 0: z and r⊙h_prev of the span's n units from G to scratch, for the candidates' GEMVs.
@inline function span_reset(n: i32, hp: usize, zs: usize, rs: usize): void {
  for (let u = 0; u < n; u += 4) {
    const ub = <usize>u << 2, m = min(4, n - u);
    stm(zs, ub, v128.load(G + ub), m);
    stm(rs, ub, f32x4.mul(v128.load(G + GQ + ub), ldm(hp, ub, m)), m);
  }
}

// GRU output over the span: h = (1 - z)⊙ĥ + z⊙h_prev = ĥ + z⊙(h_prev - ĥ), ĥ in G, z at z (G or scratch).
@inline function span_gru_out(n: i32, z: usize, hp: usize, ho: usize): void {
  for (let u = 0; u < n; u += 4) {
    const ub = <usize>u << 2, m = min(4, n - u), hh = v128.load(G + 2 * GQ + ub);
    stm(ho, ub, madd(ldm(z, ub, m), f32x4.sub(ldm(hp, ub, m), hh), hh), m);
  }
}

/**
 * `steps` simple-RNN steps (./steps.ts): h_out[b] = act(x[b] + h_prev[b]·Rᵀ), act = tanh (relu = 0) or relu (relu = 1).
 * x[b] (h floats) is the input projection with both biases; packed = f32_rnn_pack(h, h, 1, R). Strides and steps as
 * f32_lstm_steps.
 */
export function f32_rnn_steps(steps: i32, batch: i32, h: i32, x: usize, x_stride: i32, x_step: i32, h_prev: usize, hp_stride: i32,
  packed: usize, relu: i32, clip: f32, h_out: usize, ho_stride: i32, ho_step: i32, alternate: i32): void {
  set_constants(clip, 0, 0);
  for (let s = 0; s < steps; s++) {
    const ho = step_out(h_out, s, ho_step, alternate);
    rnn_body(batch, h, step_x(x, s, x_step), x_stride, h_prev, hp_stride, packed, relu, ho, ho_stride);
    h_prev = ho; hp_stride = ho_stride;
  }
}

@inline function rnn_body(batch: i32, h: i32, x: usize, x_stride: i32, h_prev: usize, hp_stride: i32, packed: usize, relu: i32,
  h_out: usize, ho_stride: i32): void {
  const hb = <usize>h << 2, blk = hb * ROW;
  for (let b = 0; b < batch; b++) {
    const xr = x + (<usize>b * x_stride << 2), hp = h_prev + (<usize>b * hp_stride << 2);
    const ho = h_out + (<usize>b * ho_stride << 2);
    let w = packed;
    for (let j0 = 0; j0 < h; j0 += SPAN) {
      const n = min(SPAN, h - j0);
      rnn_gemv(hp, hp + hb, w, G); w += blk;
      let u = 0;
      for (; u + 4 <= n; u += 4) rnn_cell<Full>(u, xr, relu, ho, j0 + u, 4);
      if (u < n) rnn_cell<Part>(u, xr, relu, ho, j0 + u, n - u);
    }
  }
}

@inline function rnn_cell<T>(u: i32, xr: usize, relu: i32, ho: usize, j: i32, n: i32): void {
  const jb = <usize>j << 2;
  const v = f32x4.add(v128.load(G + (<usize>u << 2)), ldg<T>(xr + jb, n));
  stg<T>(ho + jb, relu != 0 ? f32x4.pmax(clamp4(v, ck(LO), ck(HI)), f32x4.splat(0)) : tact(v), n);
}
