// exp and expm1 on f32x4 lanes, with scalar wrappers that run the same vector code on lane 0.
//
// Method: n = round(x / ln2) with the magic-bias trick, r = x - n*ln2 in two Cody-Waite steps (n*LN2_HI is exact
// for |n| < 512, so fused or unfused multiply-adds give the same r), then exp(r) - 1 = r + r^2 * q(r) with a
// degree-4 minimax q on |r| <= 0.3467 (relative error 1.5e-8), and the result is scaled by 2^n.
// Coefficients were fitted for this file (Remez exchange on weighted relative error, f32-rounded one at a time).
//
// Accuracy figures are measured by scripts/measure-accuracy.mjs (see docs/accuracy.md): every f32 in the range
// for exp, dense sweeps elsewhere, against Math.* in f64, for both the SIMD and the relaxed (fused) build.
import { madd } from "./madd";

// Round-to-nearest via 1.5 * 2^23: adding it leaves round(v) in the low mantissa bits.
@lazy const MAGIC: f32 = 12582912.0; // 0x4B400000
@lazy const MAGIC_BITS: i32 = 0x4B400000;
// Same, with the f32 exponent bias folded in: bits(x*log2e + MAGIC127) << 23 is 2^n directly.
@lazy const MAGIC127: f32 = 12583039.0; // 0x4B40007F
@lazy const LOG2E: f32 = 1.44269502; // 0x3FB8AA3B
@lazy const NEG_LN2_HI: f32 = -0.693145751953125; // 0xBF317200: 15 significant bits
@lazy const NEG_LN2_LO: f32 = -1.42860677e-6; // 0xB5BFBE8E: ln2 - LN2_HI

// exp(r) - 1 = r + r^2 * (Q0 + Q1 r + Q2 r^2 + Q3 r^3 + Q4 r^4), |r| <= 0.3467, relative error 1.5e-8.
@lazy const Q0: f32 = 0.5;
@lazy const Q1: f32 = 0.166665316;
@lazy const Q2: f32 = 0.041666165;
@lazy const Q3: f32 = 0.0083680302;
@lazy const Q4: f32 = 0.0013973542;

/** exp(r) - 1 for |r| <= ln2/2 (the reduced argument). */
@inline export function expm1_reduced(r: v128): v128 {
  let q = madd(f32x4.splat(Q4), r, f32x4.splat(Q3));
  q = madd(q, r, f32x4.splat(Q2));
  q = madd(q, r, f32x4.splat(Q1));
  q = madd(q, r, f32x4.splat(Q0));
  return madd(f32x4.mul(r, r), q, r);
}

// Building blocks shared by exp, sigmoid, silu and erfc. For x in [-113, 89]:
//   z = exp_bias(x), t = expm1_reduced(exp_reduce(x, z) + xl), then e^(x + xl) = (1 + t) * exp_s1(z) * exp_s2(z).
// 2^n is applied as two factors 2^(n>>1) * 2^(n - (n>>1)), both normal, so results that overflow become +Inf
// and results in the denormal range are rounded once, at the last multiply.

/** x / ln2 + 1.5 * 2^23: round(x / ln2) sits in the low mantissa bits. */
@inline export function exp_bias(x: v128): v128 {
  return madd(x, f32x4.splat(LOG2E), f32x4.splat(MAGIC));
}

/** The reduced argument r = x - n*ln2 (n = round(x / ln2), from z = exp_bias(x)); e^x = 2^n * e^r. */
@inline export function exp_reduce(x: v128, z: v128): v128 {
  const n = f32x4.sub(z, f32x4.splat(MAGIC));
  const r = madd(n, f32x4.splat(NEG_LN2_HI), x);
  return madd(n, f32x4.splat(NEG_LN2_LO), r);
}

/** 2^(n >> 1). */
@inline export function exp_s1(z: v128): v128 {
  const ni = i32x4.sub(z, i32x4.splat(MAGIC_BITS));
  return i32x4.shl(i32x4.add(i32x4.shr_s(ni, 1), i32x4.splat(127)), 23);
}

/** 2^(n - (n >> 1)). */
@inline export function exp_s2(z: v128): v128 {
  const ni = i32x4.sub(z, i32x4.splat(MAGIC_BITS));
  return i32x4.shl(i32x4.add(i32x4.sub(ni, i32x4.shr_s(ni, 1)), i32x4.splat(127)), 23);
}

/** e^(xh + xl) * m for xh in [-113, 89], |xl| small; m must keep (1 + t) * 2^(n>>1) * m normal. */
@inline export function exp_scaled(xh: v128, xl: v128, m: v128): v128 {
  const z = exp_bias(xh);
  const s1 = exp_s1(z);
  const t = expm1_reduced(f32x4.add(exp_reduce(xh, z), xl));
  return f32x4.mul(f32x4.mul(madd(t, s1, s1), m), exp_s2(z));
}

// max rel error vs Math.exp (f64), every f32 in [-87.33, 88.72]: 8.5e-8 (simd), 8.7e-8 (relaxed);
// max 1.01 ulp (simd) / 1.04 ulp (relaxed) over every f32 in [-104, 89], denormal results included.
// exp(x > 88.7228) = +Inf, exp(x < -103.972) = 0, exp(-Inf) = 0, exp(+Inf) = +Inf, NaN -> NaN.
/** e^x on four lanes. */
@inline export function exp_f32x4(x: v128): v128 {
  // pmin(x, c) = c < x ? c : x and pmax(x, c) = x < c ? c : x keep a NaN x (and are single instructions on x86,
  // unlike the NaN-propagating f32x4.min/max).
  const xc = f32x4.pmax(f32x4.pmin(x, f32x4.splat(89.0)), f32x4.splat(-104.0));
  const z = exp_bias(xc);
  const s1 = exp_s1(z);
  return f32x4.mul(madd(expm1_reduced(exp_reduce(xc, z)), s1, s1), exp_s2(z));
}

// Bit-identical to exp_f32x4 for x in [-87.3365, 0] (so max rel error 8.5e-8); exactly 0 below, where e^x is
// denormal.
/**
 * e^x for x <= 0, flushing denormal results to zero: the exp inside softmax (x - max <= 0), where a
 * contribution below 1.2e-38 cannot matter and -Inf (masked) inputs must give exactly 0. NaN -> NaN.
 */
@inline export function exp_nonpos_ftz_f32x4(x: v128): v128 {
  const z = exp_bias(x); // same n and r as exp_f32x4, hence the same bits
  const s = i32x4.shl(i32x4.sub(z, i32x4.splat(MAGIC_BITS - 127)), 23); // 2^n for n >= -126; garbage below
  const t = expm1_reduced(exp_reduce(x, z));
  // ln(2^-126) = -87.3365: below it, the result would be denormal. NaN compares false and stays NaN.
  // (1 + t) * 2^n, not s + s*t: for n near -126, s*t would be denormal and lose bits.
  return v128.andnot(f32x4.mul(f32x4.add(t, f32x4.splat(1.0)), s), f32x4.lt(x, f32x4.splat(-87.33654)));
}

// max error vs Math.expm1 (f64) over [-18, 89] (dense sweep): 1.67 ulp simd / 1.54 ulp relaxed, max rel 1.24e-7.
// expm1(x < -17.4) = -1, overflow -> +Inf, NaN -> NaN.
/** e^x - 1 on four lanes, accurate near 0 (no cancellation). */
@inline export function expm1_f32x4(x: v128): v128 {
  const xc = f32x4.pmax(f32x4.pmin(x, f32x4.splat(89.0)), f32x4.splat(-18.0));
  const z = madd(xc, f32x4.splat(LOG2E), f32x4.splat(MAGIC));
  const n = f32x4.sub(z, f32x4.splat(MAGIC));
  let r = madd(n, f32x4.splat(NEG_LN2_HI), xc);
  r = madd(n, f32x4.splat(NEG_LN2_LO), r);
  const t = expm1_reduced(r);
  // e^x - 1 = 2^n * t + (2^n - 1): both terms exact for n in [-24, 127], one rounding. n = 128 (x > 88.376)
  // uses 2^127 and a final exact doubling.
  const ni = i32x4.sub(z, i32x4.splat(MAGIC_BITS));
  const nc = i32x4.min_s(ni, i32x4.splat(127));
  const s = i32x4.shl(i32x4.add(nc, i32x4.splat(127)), 23);
  const d = i32x4.shl(i32x4.add(i32x4.sub(ni, nc), i32x4.splat(127)), 23); // 1.0 or 2.0
  return f32x4.mul(madd(t, s, f32x4.sub(s, f32x4.splat(1.0))), d);
}

// Same arithmetic as expm1_f32x4 for x <= 0 (elu: max 1.04 ulp, rel 9.1e-8 over [-20, 0]).
/** e^x - 1 for x <= 0 (callers clamp): no overflow handling, used by tanh and elu. */
@inline export function expm1_nonpos_f32x4(x: v128): v128 {
  const xc = f32x4.pmax(x, f32x4.splat(-18.0));
  const z = madd(xc, f32x4.splat(LOG2E), f32x4.splat(MAGIC127));
  const s = i32x4.shl(z, 23); // n in [-26, 0]: always a normal 2^n
  const n = f32x4.sub(z, f32x4.splat(MAGIC127));
  let r = madd(n, f32x4.splat(NEG_LN2_HI), xc);
  r = madd(n, f32x4.splat(NEG_LN2_LO), r);
  const t = expm1_reduced(r);
  return madd(t, s, f32x4.sub(s, f32x4.splat(1.0)));
}

/** Scalar e^x: lane 0 of exp_f32x4, so scalar and vector paths agree bit for bit. */
export function exp_f32(x: f32): f32 {
  return f32x4.extract_lane(exp_f32x4(f32x4.splat(x)), 0);
}

/** Scalar e^x - 1 (lane 0 of expm1_f32x4). */
export function expm1_f32(x: f32): f32 {
  return f32x4.extract_lane(expm1_f32x4(f32x4.splat(x)), 0);
}
