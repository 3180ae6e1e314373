// Multiply-add that becomes a fused f32x4.relaxed_madd in the relaxed build and mul+add in the plain one.
// ASC_FEATURE_RELAXED_SIMD is a compile-time constant, so the dead branch is removed: two binaries, no runtime branch.
@inline export function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}
