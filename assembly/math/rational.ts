// Rational tanh and sigmoid for the recurrent gates (assembly/rnn/): 11-13 vector operations with one division and
// no branches, against ~35 for the exp-based tanh_f32x4 / sigmoid_f32x4 of activation.ts (which stay the unary ops'
// functions), at <= 3.8e-7 relative (tanh) / 1.9e-7 absolute (sigmoid) instead of <= 2 ulp. An LSTM step evaluates
// 5 of them per unit, after a GEMV whose own rounding (sums of h f32 products) is larger than their error.
//
// tanh(x) = x P(x^2) / Q(x^2) on |x| <= 9, P and Q of degree 4 in x^2, fitted for this file (minimax relative
// error 2.1e-8 before rounding the coefficients to f32; the rest is the f32 evaluation). tanh(9) = 1 - 3.05e-8
// rounds to 1 - 2^-24 in f32, and so does the rational at 9, so clamping the argument to +-9 costs at most one
// ulp of 1 beyond. sigmoid(x) = 1/2 + tanh(x/2)/2, with the same coefficients.
//
// The coefficients are loaded from a table (one vbroadcastss each) rather than written as v128 constants: V8
// materialises a v128 constant with three instructions and a scratch register, and hoists and spills them.
import { madd } from "./madd";
import { clamp4 } from "../util/lanes";

/** [P0..P4, Q1..Q4, 1/2, -9, 9, -18, 18]; Q0 = P0 = 1. */
const TK = memory.data<f32>([
  1.0, 0.13381022, 0.003495582, 0.000020608919, 0.000000013354345,
  0.4671434, 0.025876964, 0.0003285622, 0.00000077764463,
  0.5, -9.0, 9.0, -18.0, 18.0,
]);

@inline function k(i: i32): v128 {
  return v128.load32_splat(TK + (<usize>i << 2));
}

/** Upper bound of the argument of tanh_rational_core (and twice that for sigmoid_rational_core). */
export const TANH_RATIONAL_BOUND: f32 = 9.0;

/** tanh(x) for |x| <= 9 (the caller clamps, e.g. together with an ONNX `clip`); NaN -> NaN. */
@inline export function tanh_rational_core(x: v128): v128 {
  return tanh_rational_with(x, k(0), k(1), k(2), k(3), k(4), k(5), k(6), k(7), k(8));
}

/** The coefficient `i` of tanh_rational_with ([P0..P4, Q1..Q4]), splat: loaded once before a loop of many calls. */
@inline export function tanh_rational_coefficient(i: i32): v128 {
  return k(i);
}

/** tanh_rational_core with its coefficients passed in (tanh_rational_coefficient(0..8)), e.g. held in registers. */
@inline export function tanh_rational_with(x: v128, p0: v128, p1: v128, p2: v128, p3: v128, p4: v128, q1: v128, q2: v128, q3: v128, q4: v128): v128 {
  const t = f32x4.mul(x, x);
  let p = madd(p4, t, p3);
  p = madd(p, t, p2);
  p = madd(p, t, p1);
  p = madd(p, t, p0);
  let q = madd(q4, t, q3);
  q = madd(q, t, q2);
  q = madd(q, t, q1);
  q = madd(q, t, p0);
  return f32x4.div(f32x4.mul(x, p), q);
}

/** sigmoid(x) = 1/2 + tanh(x/2)/2 for |x| <= 18 (the caller clamps); NaN -> NaN. */
@inline export function sigmoid_rational_core(x: v128): v128 {
  const half = k(9);
  return madd(half, tanh_rational_core(f32x4.mul(x, half)), half);
}

// max rel error vs Math.tanh (f64), every f32 in (2^-30, 20] (below, the result is x, exact; odd): 3.74e-7 simd /
// 3.11e-7 relaxed (~6 ulp). tanh(+-Inf) = +-(1 - 2^-24), tanh(-0) = -0, NaN -> NaN. The rnn spec checks <= 4e-7.
/** Hyperbolic tangent, rational: clamps to +-9, then tanh_rational_core. */
@inline export function tanh_rational_f32x4(x: v128): v128 {
  return tanh_rational_core(clamp4(x, k(10), k(11)));
}

// max absolute error vs 1/(1+exp(-x)) (f64), every 3rd f32 in +-(2^-30, 40]: 1.89e-7 simd / 1.74e-7 relaxed (so
// relative for x >= 0; for x -> -Inf, 1/2 - tanh(|x|/2)/2 keeps an absolute, not a relative, accuracy:
// sigmoid(-20) = 2e-9 comes out as 3e-8, sigmoid(-Inf) as 3e-8). NaN -> NaN. The rnn spec checks <= 2.5e-7.
/** Logistic sigmoid, rational: 1/2 + tanh(x/2)/2 with the argument clamped to +-18. */
@inline export function sigmoid_rational_f32x4(x: v128): v128 {
  return sigmoid_rational_core(clamp4(x, k(12), k(13)));
}

export function tanh_rational_f32(x: f32): f32 {
  return f32x4.extract_lane(tanh_rational_f32x4(f32x4.splat(x)), 0);
}
export function sigmoid_rational_f32(x: f32): f32 {
  return f32x4.extract_lane(sigmoid_rational_f32x4(f32x4.splat(x)), 0);
}
