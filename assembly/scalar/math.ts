// Scalar activations for the no-SIMD build, in f64 and rounded once to f32: within an ulp or so of the exact
// value, so this build doubles as a reference for the approximations of assembly/math/ (which are <= 2 ulp).
/** Largest |x| where erf(x) still differs from +-1 in f32 (erfc(4) = 1.5e-8 < half an ulp of 1). */
const ERF_SATURATE: f64 = 4;

/** erf by its Taylor series: at |x| < 4 the terms peak near 1e6, leaving ~1e-10 absolute in f64. */
export function erf64(x: f64): f64 {
  const a = Math.abs(x);
  if (!(a < ERF_SATURATE)) return isNaN(x) ? x : x < 0 ? -1 : 1;
  const x2 = a * a;
  let term = a, sum = a;
  for (let n = 1; n < 100; n++) {
    term *= -x2 / <f64>n;
    const add = term / <f64>(2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  const r = sum * 1.1283791670955126; // 2 / sqrt(pi)
  return x < 0 ? -r : r;
}
export function sigmoid64(x: f64): f64 {
  return 1 / (1 + Math.exp(-x));
}
/** log(1 + e^x) without overflow. */
export function softplus64(x: f64): f64 {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}
export function gelu64(x: f64): f64 {
  return 0.5 * x * (1 + erf64(x * 0.7071067811865476));
}
export function gelu_tanh64(x: f64): f64 {
  return 0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}
