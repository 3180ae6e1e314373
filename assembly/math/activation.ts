// Activations built on exp/expm1/log1p: sigmoid, tanh, silu, softplus, elu, gelu (tanh approximation).
// Each has a scalar wrapper that runs the vector code on lane 0. Errors are measured by
// scripts/measure-accuracy.mjs against f64 Math.* formulas (docs/accuracy.md); "ulp" is the f32 ulp of the
// exact result, so denormal results are measured in units of 2^-149.
//
// Infinite inputs give the mathematical limit, never NaN: silu(-Inf) = gelu_tanh(-Inf) = -0. NaN -> NaN.
import { madd } from "./madd";
import { exp_f32x4, exp_bias, exp_reduce, expm1_reduced, exp_s1, exp_s2, expm1_nonpos_f32x4 } from "./exp";
import { log1p_unit_f32x4 } from "./log";
import { sign_mask, with_sign_of } from "../util/lanes";
import { sigmoid_rational_f32x4 } from "./rational";

/**
 * sigmoid(v), or x * sigmoid(v) when withX (a compile-time constant).
 *
 * e = exp(-|v|) = (1 + t) 2^n never overflows, f = e / (1 + e) = sigmoid(-|v|) and sigmoid(|v|) = 1 - f, which
 * has no cancellation (f <= 1/2). The two roundings before the division are compensated: p = s1 + s1 t (s1 = 2^(n>>1))
 * has the exact error ce = s1 t - (p - s1), and d = 1 + e has the exact error c = e - (d - 1) (both Fast2Sum);
 * then (e + ce') / (d + c) ~ q (1 + ce / p - c / d) with q = e / d, ce / p ~ ce 2^-(n>>1) (1 - t) and 1/d ~ 1 - q.
 * x * sigmoid(v) for v < -80 (where sigmoid(v) = e may be denormal) is (p x) 2^(n - (n>>1)), rounded once.
 */
@inline function sigmoid_core(v: v128, x: v128, withX: bool): v128 {
  const one = f32x4.splat(1.0);
  const z = f32x4.pmax(v128.or(v, sign_mask()), f32x4.splat(-110.0)); // -|v|; 110 e^-110 still rounds to 0
  const b = exp_bias(z);
  const t = expm1_reduced(exp_reduce(z, b));
  const s1 = exp_s1(b), s2 = exp_s2(b);
  const st = f32x4.mul(s1, t); // exact: power-of-two scaling of a normal number
  const p = f32x4.add(s1, st);
  const ce = f32x4.sub(st, f32x4.sub(p, s1));
  const e = f32x4.mul(p, s2);
  const d = f32x4.add(one, e);
  const c = f32x4.sub(e, f32x4.sub(d, one));
  const q = f32x4.div(e, d);
  const inv_s1 = i32x4.sub(i32x4.splat(0x7F000000), s1); // 2^-(n>>1): bits (254 << 23) - bits(s1)
  const rel = f32x4.sub(f32x4.mul(f32x4.mul(ce, inv_s1), f32x4.sub(one, t)), f32x4.mul(c, f32x4.sub(one, q)));
  const f = madd(q, rel, q);
  const sig = v128.bitselect(f, f32x4.sub(one, f), i32x4.shr_s(v, 31));
  if (!withX) return sig;
  const xe = f32x4.mul(f32x4.mul(p, x), s2);
  return v128.bitselect(xe, f32x4.mul(x, sig), f32x4.lt(v, f32x4.splat(-80.0)));
}

// max rel error vs 1/(1+exp(-x)) (f64), every f32 in [-110, 110]: 1.34e-7 (simd and relaxed); max 1.50 ulp
// (simd) / 1.52 ulp (relaxed) including denormal results (x < -87.3), which are rounded once.
// sigmoid(x > 16.7) = 1, sigmoid(-Inf) = 0, sigmoid(+-0) = 0.5, no NaN for non-NaN input.
/** Logistic sigmoid 1 / (1 + e^-x). */
@inline export function sigmoid_f32x4(x: v128): v128 {
  return sigmoid_core(x, x, false);
}

// tanh(a) = a + a^3 * p(a^2) for a < 0.625, p of degree 4 fitted for this file (relative error 4.5e-9).
@lazy const T0: f32 = -0.333332807;
@lazy const T1: f32 = 0.133314058;
@lazy const T2: f32 = -0.0537365153;
@lazy const T3: f32 = 0.0206281673;
@lazy const T4: f32 = -0.00569229666;

// max error vs Math.tanh (f64) over [-12, 12] (dense sweep): 1.63 ulp, max rel 1.63e-7 (simd and relaxed);
// tanh(+-Inf) = +-1, tanh(-0) = -0, denormals pass through.
/**
 * Hyperbolic tangent. |x| < 0.625: odd polynomial (accurate relative error near 0); otherwise
 * tanh(|x|) = -expm1(-2|x|) / (2 + expm1(-2|x|)). The sign of x is put back last.
 */
@inline export function tanh_f32x4(x: v128): v128 {
  const a = f32x4.abs(x);
  const s = f32x4.mul(a, a);
  let p = madd(f32x4.splat(T4), s, f32x4.splat(T3));
  p = madd(p, s, f32x4.splat(T2));
  p = madd(p, s, f32x4.splat(T1));
  p = madd(p, s, f32x4.splat(T0));
  const small = madd(f32x4.mul(a, s), p, a);
  const two = f32x4.splat(2.0);
  const em = expm1_nonpos_f32x4(f32x4.mul(a, f32x4.splat(-2.0)));
  // d = 2 + em rounded, c = em - (d - 2) exact; y = -em / (d + c) ~ q * (1 - c / d), 1 / d = (1 + q) / 2.
  const d = f32x4.add(two, em);
  const c = f32x4.sub(em, f32x4.sub(d, two));
  const q = f32x4.div(f32x4.neg(em), d);
  const big = madd(q, f32x4.mul(f32x4.mul(c, f32x4.splat(-0.5)), f32x4.add(q, f32x4.splat(1.0))), q);
  // NaN compares false and takes the exp path, which is NaN too.
  return with_sign_of(v128.bitselect(small, big, f32x4.lt(a, f32x4.splat(0.625))), x);
}

/** SiLU / swish: x * sigmoid(x). silu(-Inf) = -0 (the limit). */
@inline export function silu_f32x4(x: v128): v128 {
  // x * the rational sigmoid of math/rational.ts (as onnxruntime's MLAS logistic: clamp to +-18, one division):
  // ~20 operations against ~35 for the exp-based sigmoid_core, whose constants V8 also spills in the loops.
  // Below -18 sigmoid is taken as 0 (the rational's floor is 3e-8): silu(-18) = -2.8e-7, -0 past it.
  const xc = f32x4.pmax(x, f32x4.splat(-20.0)); // NaN passes; avoids -Inf * 0
  return f32x4.mul(xc, v128.andnot(sigmoid_rational_f32x4(xc), f32x4.lt(xc, f32x4.splat(-18.0))));
}

// max error vs log1p(exp(x)) (f64) over [-110, 100]: 1.93 ulp, max rel 1.45e-7 (simd and relaxed).
/** softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|). softplus(-Inf) = 0, softplus(+Inf) = +Inf. */
@inline export function softplus_f32x4(x: v128): v128 {
  const e = exp_f32x4(v128.or(x, sign_mask()));
  return f32x4.add(f32x4.pmax(x, f32x4.splat(0.0)), log1p_unit_f32x4(e));
}

// max error vs alpha*expm1(x) (f64), alpha = 1, over [-20, 20]: 1.04 ulp simd / 0.95 ulp relaxed, max rel 9.2e-8;
// the x >= 0 side is exact (for alpha != 1 add the rounding of the product, 0.5 ulp).
/** ELU: x for x >= 0, alpha * (e^x - 1) otherwise. */
@inline export function elu_f32x4(x: v128, alpha: v128): v128 {
  const neg = f32x4.mul(alpha, expm1_nonpos_f32x4(f32x4.pmin(x, f32x4.splat(0.0))));
  return v128.bitselect(x, neg, f32x4.ge(x, f32x4.splat(0.0))); // NaN compares false: alpha * NaN = NaN
}

// GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) = x * sigmoid(2u) (see sigmoid_core),
// which has no cancellation for x < 0. max error vs the f64 formula: 2.65 ulp (rel 2.4e-7) for x >= -1; further
// left the f32 rounding of 2u is amplified by |2u|: rel 2.2e-6 (34 ulp) at x = -5, 1.3e-5 at x = -10 where
// |gelu_tanh| < 1e-21. (The usual f32 formula 0.5x(1 + tanh(u)) loses all digits there.)
@lazy const GELU_C1: f32 = 1.59576912; // 2 * sqrt(2/pi)
@lazy const GELU_C3: f32 = 0.0713548139; // 2 * sqrt(2/pi) * 0.044715
/** GELU, tanh approximation. gelu_tanh(-Inf) = -0. */
@inline export function gelu_tanh_f32x4(x: v128): v128 {
  const xc = f32x4.pmax(x, f32x4.splat(-20.0)); // result is -0 well before -20; avoids -Inf * 0
  const v = f32x4.mul(xc, madd(f32x4.mul(xc, xc), f32x4.splat(GELU_C3), f32x4.splat(GELU_C1)));
  return sigmoid_core(v, xc, true);
}

export function sigmoid_f32(x: f32): f32 {
  return f32x4.extract_lane(sigmoid_f32x4(f32x4.splat(x)), 0);
}
export function tanh_f32(x: f32): f32 {
  return f32x4.extract_lane(tanh_f32x4(f32x4.splat(x)), 0);
}
export function silu_f32(x: f32): f32 {
  return f32x4.extract_lane(silu_f32x4(f32x4.splat(x)), 0);
}
export function softplus_f32(x: f32): f32 {
  return f32x4.extract_lane(softplus_f32x4(f32x4.splat(x)), 0);
}
export function elu_f32(x: f32, alpha: f32): f32 {
  return f32x4.extract_lane(elu_f32x4(f32x4.splat(x), f32x4.splat(alpha)), 0);
}
export function gelu_tanh_f32(x: f32): f32 {
  return f32x4.extract_lane(gelu_tanh_f32x4(f32x4.splat(x)), 0);
}
