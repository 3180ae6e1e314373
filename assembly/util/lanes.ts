// Lane helpers shared by every kernel family. Partial-vector memory access for exact tails: a tail of 1..3 floats is loaded into a zeroed v128, run through
// the same vector code as the main loop and stored lane by lane. Tails therefore give bit-identical results to
// full vectors, and nothing outside [p, p + 4*r) is read or written.

/**
 * Clamp four lanes to [lo, hi] (fused min/max epilogues, relu, clip). pmax/pmin are one x86 instruction each,
 * unlike f32x4.max/min (~8 for the NaN and -0 rules); with v as the first operand a NaN passes through unchanged.
 */
@inline export function clamp4(v: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(v, lo), hi);
}

/** Loads r (1..3) consecutive f32 at p into the low lanes of a zeroed v128. */
@inline export function load_partial(p: usize, r: i32): v128 {
  if (r == 1) return v128.load32_zero(p);
  const v = v128.load64_zero(p);
  return r == 2 ? v : v128.load32_lane(p, v, 2, 8);
}

/** Stores the low r (1..3) lanes of v to p. */
@inline export function store_partial(p: usize, v: v128, r: i32): void {
  if (r & 2) {
    v128.store64_lane(p, v, 0);
    if (r & 1) v128.store32_lane(p, v, 2, 8);
  } else {
    v128.store32_lane(p, v, 0);
  }
}

/** The sign bit of every lane. */
@inline export function sign_mask(): v128 {
  return i32x4.splat(0x80000000);
}

/** Lane-wise copysign for a non-negative magnitude: mag | (sign bit of x). */
@inline export function with_sign_of(mag: v128, x: v128): v128 {
  return v128.or(mag, v128.and(x, sign_mask()));
}

/** The sum of the four lanes (pairwise: (0+2) + (1+3)). */
@inline export function hsum(v: v128): f32 {
  const t = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(t, i32x4.shuffle(t, t, 1, 0, 3, 2)), 0);
}

/** The largest of the four lanes (pmax: a NaN lane may be skipped). */
@inline export function hmax(v: v128): f32 {
  const t = f32x4.pmax(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.pmax(t, i32x4.shuffle(t, t, 1, 0, 3, 2)), 0);
}
