// Element access for the scalar kernels: pointers are byte addresses, indices are elements (docs/kernels.md).
@inline export function ld(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}
@inline export function st(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}
@inline export function ldi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}
/** clamp(v, lo, hi) as the SIMD kernels' pmin(pmax(v, lo), hi): a NaN v passes through. */
@inline export function clampf(v: f32, lo: f32, hi: f32): f32 {
  v = v < lo ? lo : v;
  return hi < v ? hi : v;
}
/** max that skips NaN (the SIMD kernels' pmax in pooling and reductions): a NaN v never replaces m. */
@inline export function max_skip_nan(m: f32, v: f32): f32 {
  return m < v ? v : m;
}
