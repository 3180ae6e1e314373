// erf and GELU (erf form) on f32x4 lanes.
//
// Two pieces, both fitted for this file (Remez on relative error, f32-rounded one coefficient at a time):
//   |x| < 0.9:   erf(x) = x + x * p(x^2), p of degree 6 (relative error 8.9e-10 before rounding to f32);
//   z >= 0.49:   erfc(z) = exp(-z^2) * t * R(t), t = 1 / (1 + 0.4 z), R of degree 8 (relative error 4.5e-9
//                on [0.49, 10.6]).
// exp(-z^2) is evaluated from z^2 = hi + lo split exactly (hi = zh^2 with zh = z rounded to 12 bits), so erfc
// keeps its relative accuracy deep into the tail; GELU uses that for x < 0, where 1 + erf(x/sqrt2) would cancel.
import { madd } from "./madd";
import { exp_scaled } from "./exp";
import { with_sign_of } from "../util/lanes";

@lazy const E0: f32 = 0.128379166; // 2/sqrt(pi) - 1
@lazy const E1: f32 = -0.376126289;
@lazy const E2: f32 = 0.112836242;
@lazy const E3: f32 = -0.0268555600;
@lazy const E4: f32 = 0.00519175315;
@lazy const E5: f32 = -0.000803975272;
@lazy const E6: f32 = 0.0000794310035;

@lazy const R0: f32 = 0.225679204;
@lazy const R1: f32 = 0.225567952;
@lazy const R2: f32 = 0.209040463;
@lazy const R3: f32 = 0.161306635;
@lazy const R4: f32 = 0.166273504;
@lazy const R5: f32 = -0.0558996387;
@lazy const R6: f32 = 0.228392363;
@lazy const R7: f32 = -0.220517546;
@lazy const R8: f32 = 0.0601688102;

@lazy const SQRT_HALF: f32 = 0.707106769;
@lazy const HI12: i32 = 0xFFFFF000; // keeps sign, exponent and the top 11 stored mantissa bits

/** erf(a) for 0 <= a < 0.9 (also fine, though unused, beyond). */
@inline function erf_small(a: v128): v128 {
  const s = f32x4.mul(a, a);
  let p = madd(f32x4.splat(E6), s, f32x4.splat(E5));
  p = madd(p, s, f32x4.splat(E4));
  p = madd(p, s, f32x4.splat(E3));
  p = madd(p, s, f32x4.splat(E2));
  p = madd(p, s, f32x4.splat(E1));
  p = madd(p, s, f32x4.splat(E0));
  return madd(a, p, a);
}

/** m * erfc(z) for z in [0.49, 10.6], given z^2 = hi + lo (hi exact, lo small). m keeps the product normal. */
@inline function erfc_tail(z: v128, hi: v128, lo: v128, m: v128): v128 {
  const t = f32x4.div(f32x4.splat(1.0), madd(z, f32x4.splat(0.4), f32x4.splat(1.0)));
  let r = madd(f32x4.splat(R8), t, f32x4.splat(R7));
  r = madd(r, t, f32x4.splat(R6));
  r = madd(r, t, f32x4.splat(R5));
  r = madd(r, t, f32x4.splat(R4));
  r = madd(r, t, f32x4.splat(R3));
  r = madd(r, t, f32x4.splat(R2));
  r = madd(r, t, f32x4.splat(R1));
  r = madd(r, t, f32x4.splat(R0));
  return exp_scaled(f32x4.neg(hi), f32x4.neg(lo), f32x4.mul(f32x4.mul(t, r), m));
}

// max error vs f64 erf over [-11, 11] (dense sweep): 1.54 ulp simd / 1.47 ulp relaxed, max rel 1.15e-7.
// erf(+-Inf) = +-1, erf(-0) = -0, NaN -> NaN.
/** Error function on four lanes. */
@inline export function erf_f32x4(x: v128): v128 {
  const a = f32x4.abs(x);
  const small = erf_small(a);
  const z = f32x4.pmin(a, f32x4.splat(10.5)); // erfc(10.5) underflows; keeps hi/lo finite for a = Inf
  const zh = v128.and(z, i32x4.splat(HI12));
  const hi = f32x4.mul(zh, zh);
  const lo = f32x4.mul(f32x4.sub(z, zh), f32x4.add(z, zh));
  const big = f32x4.sub(f32x4.splat(1.0), erfc_tail(z, hi, lo, f32x4.splat(1.0)));
  // NaN compares false and takes the tail path, which is NaN too.
  return with_sign_of(v128.bitselect(small, big, f32x4.lt(a, f32x4.splat(0.9))), x);
}

// max error vs the f64 formula 0.5 x (1 + erf(x / sqrt2)) over [-15, 1e4]: 6.7 ulp simd / 5.7 ulp relaxed, max rel
// 4.4e-7, relative all the way down the left tail (erfc is not computed as 1 - erf). gelu(-Inf) = -0.
/** GELU, erf form: x * Phi(x) with Phi the normal CDF. */
@inline export function gelu_f32x4(x: v128): v128 {
  const a = f32x4.abs(x);
  const half_a = f32x4.mul(a, f32x4.splat(0.5));
  // z = |x| / sqrt2 (rounded: only feeds the small piece and t), z^2 = x^2 / 2 split exactly.
  const ac = f32x4.pmin(a, f32x4.splat(15.0)); // gelu(-15) underflows to -0
  const z = f32x4.mul(ac, f32x4.splat(SQRT_HALF));
  const ah = v128.and(ac, i32x4.splat(HI12));
  const hi = f32x4.mul(f32x4.mul(ah, ah), f32x4.splat(0.5));
  const lo = f32x4.mul(f32x4.mul(f32x4.sub(ac, ah), f32x4.add(ac, ah)), f32x4.splat(0.5));
  const tail = erfc_tail(z, hi, lo, f32x4.mul(ac, f32x4.splat(0.5))); // 0.5 |x| erfc(z)
  const neg = i32x4.shr_s(x, 31);
  // Small piece: |x| * 0.5 * (1 +- erf(z)); erf(z) <= 0.52 on the negative side, so 1 - erf(z) is benign.
  const ez = erf_small(z);
  const small = f32x4.mul(half_a, f32x4.add(f32x4.splat(1.0), v128.xor(ez, v128.and(neg, i32x4.splat(0x80000000)))));
  // Tail piece: x >= 0: |x| - 0.5 |x| erfc(z); x < 0: 0.5 |x| erfc(z).
  const big = v128.bitselect(tail, f32x4.sub(a, tail), neg);
  const use_small = f32x4.lt(z, v128.bitselect(f32x4.splat(0.49), f32x4.splat(0.9), neg));
  return with_sign_of(v128.bitselect(small, big, use_small), x);
}

// max error vs f64 erfc over [-11, 11]: 6.6 ulp simd / 5.7 ulp relaxed, max rel 4.2e-7 (the rounding of
// t = 1 / (1 + 0.4 z) is amplified up to ~2x by R). erfc(-Inf) = 2, erfc(+Inf) = 0, NaN -> NaN.
/** Complementary error function 1 - erf(x), accurate relative to its value in the right tail (to x = 10.05). */
@inline export function erfc_f32x4(x: v128): v128 {
  const a = f32x4.abs(x);
  const z = f32x4.pmin(a, f32x4.splat(10.5));
  const zh = v128.and(z, i32x4.splat(HI12));
  const hi = f32x4.mul(zh, zh);
  const lo = f32x4.mul(f32x4.sub(z, zh), f32x4.add(z, zh));
  const tail = erfc_tail(z, hi, lo, f32x4.splat(1.0));
  const pos = v128.bitselect(f32x4.sub(f32x4.splat(1.0), erf_small(a)), tail, f32x4.lt(a, f32x4.splat(0.49)));
  return v128.bitselect(f32x4.sub(f32x4.splat(2.0), pos), pos, i32x4.shr_s(x, 31));
}

export function erf_f32(x: f32): f32 {
  return f32x4.extract_lane(erf_f32x4(f32x4.splat(x)), 0);
}
export function gelu_f32(x: f32): f32 {
  return f32x4.extract_lane(gelu_f32x4(f32x4.splat(x)), 0);
}
export function erfc_f32(x: f32): f32 {
  return f32x4.extract_lane(erfc_f32x4(f32x4.splat(x)), 0);
}
