// Natural logarithm on f32x4 lanes, and log1p for arguments in [0, 1] (softplus).
//
// Method: x = 2^k * m with m in [sqrt(1/2), sqrt(2)) taken from the bits (denormals are first scaled by 2^23),
// f = m - 1 exactly, log(1 + f) = f + f^2 * q(f) with a degree-8 minimax q on [-0.2929, 0.4142], and
// log(x) = k*LN2_HI + (f + (f^2 q + k*LN2_LO)). Coefficients fitted for this file (see exp.ts).
import { madd } from "./madd";

@lazy const LN2_HI: f32 = 0.693145751953125; // 0x3F317200
@lazy const LN2_LO: f32 = 1.42860677e-6; // 0x35BFBE8E
// Adding ONE_MINUS_SQRTHALF to the bits moves the mantissa interval [sqrt(1/2), sqrt(2)) onto one exponent.
@lazy const SQRTHALF_BITS: i32 = 0x3F3504F3;
@lazy const ONE_MINUS_SQRTHALF: i32 = 0x3F800000 - 0x3F3504F3;

// log(1+f) = f + f^2 * (P0 + P1 f + ... + P8 f^8), f in [sqrt(1/2)-1, sqrt(2)-1].
@lazy const P0: f32 = -0.5;
@lazy const P1: f32 = 0.333327979;
@lazy const P2: f32 = -0.249997318;
@lazy const P3: f32 = 0.200304866;
@lazy const P4: f32 = -0.166820064;
@lazy const P5: f32 = 0.137452155;
@lazy const P6: f32 = -0.122173868;
@lazy const P7: f32 = 0.149177372;
@lazy const P8: f32 = -0.122854546;

/** f^2 * q(f), so that log(1+f) = f + log1p_tail(f) for f in [sqrt(1/2)-1, sqrt(2)-1]. */
@inline function log1p_tail(f: v128): v128 {
  let q = madd(f32x4.splat(P8), f, f32x4.splat(P7));
  q = madd(q, f, f32x4.splat(P6));
  q = madd(q, f, f32x4.splat(P5));
  q = madd(q, f, f32x4.splat(P4));
  q = madd(q, f, f32x4.splat(P3));
  q = madd(q, f, f32x4.splat(P2));
  q = madd(q, f, f32x4.splat(P1));
  q = madd(q, f, f32x4.splat(P0));
  return f32x4.mul(f32x4.mul(f, f), q);
}

// max rel error vs Math.log (f64) over all positive f32 (every 13th, denormals included): 1.04e-7, 1.21 ulp
// (simd and relaxed).
// log(+0) = log(-0) = -Inf, log(x < 0) = NaN, log(+Inf) = +Inf, NaN -> NaN.
/** Natural logarithm on four lanes. */
@inline export function log_f32x4(x: v128): v128 {
  const tiny = f32x4.lt(x, f32x4.splat(1.17549435e-38)); // denormal (and zero / negative: fixed up below)
  const xs = v128.bitselect(f32x4.mul(x, f32x4.splat(8388608.0)), x, tiny);
  const ix = i32x4.add(xs, i32x4.splat(ONE_MINUS_SQRTHALF));
  const ki = i32x4.sub(i32x4.sub(i32x4.shr_s(ix, 23), i32x4.splat(127)), v128.and(tiny, i32x4.splat(23)));
  const k = f32x4.convert_i32x4_s(ki);
  const m = i32x4.add(v128.and(ix, i32x4.splat(0x007FFFFF)), i32x4.splat(SQRTHALF_BITS));
  const f = f32x4.sub(m, f32x4.splat(1.0));
  const lo = madd(k, f32x4.splat(LN2_LO), log1p_tail(f));
  let y = madd(k, f32x4.splat(LN2_HI), f32x4.add(f, lo)); // k * LN2_HI is exact
  y = v128.bitselect(f32x4.splat(Infinity), y, f32x4.eq(x, f32x4.splat(Infinity)));
  y = v128.bitselect(f32x4.splat(-Infinity), y, f32x4.eq(x, f32x4.splat(0.0)));
  return v128.bitselect(f32x4.splat(NaN), y, v128.not(f32x4.ge(x, f32x4.splat(0.0)))); // x < 0 or NaN
}

// Accuracy: as measured through softplus in activation.ts, its only user (<= 1.93 ulp).
/**
 * log(1 + e) for e in [0, 1] (NaN passes through). u = 1 + e is rounded, and the rounding error c = e - (u - 1)
 * (exact, Fast2Sum) is added back as c / u ~ c * (1 - f + f^2), so tiny e give log1p(e) = e.
 */
@inline export function log1p_unit_f32x4(e: v128): v128 {
  const one = f32x4.splat(1.0);
  const u = f32x4.add(one, e);
  const c = f32x4.sub(e, f32x4.sub(u, one));
  const iu = i32x4.add(u, i32x4.splat(ONE_MINUS_SQRTHALF));
  const ki = i32x4.sub(i32x4.shr_s(iu, 23), i32x4.splat(127)); // 0 or 1
  const k = f32x4.convert_i32x4_s(ki);
  const m = i32x4.add(v128.and(iu, i32x4.splat(0x007FFFFF)), i32x4.splat(SQRTHALF_BITS));
  const f = f32x4.sub(m, one);
  // c / u = c * 2^-k / (1 + f)
  const cs = f32x4.mul(c, i32x4.sub(one, i32x4.shl(ki, 23)));
  const corr = f32x4.mul(cs, madd(f, f32x4.sub(f, one), one));
  const lo = f32x4.add(madd(k, f32x4.splat(LN2_LO), log1p_tail(f)), corr);
  return madd(k, f32x4.splat(LN2_HI), f32x4.add(f, lo));
}

/** Scalar natural logarithm (lane 0 of log_f32x4). */
export function log_f32(x: f32): f32 {
  return f32x4.extract_lane(log_f32x4(f32x4.splat(x)), 0);
}
