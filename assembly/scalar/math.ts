// Scalar activations for the no-SIMD build, in f64 and rounded once to f32: within an ulp or so of the exact
// value, so this build doubles as a reference for the approximations of assembly/math/ (which are <= 2 ulp).
/** Below this |x| erf comes from its Taylor series (terms stay under ~100: full f64 precision), above from erfc. */
const ERF_SERIES_LIMIT: f64 = 2.5;

/** erf(x): the Taylor series for |x| < 2.5, else 1 - erfc(|x|) with its sign. */
export function erf64(x: f64): f64 {
  const a = Math.abs(x);
  if (isNaN(x)) return x;
  if (a >= ERF_SERIES_LIMIT) return x < 0 ? erfc_cf(a) - 1 : 1 - erfc_cf(a);
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

/**
 * erfc(z) for z >= 2.5 by its continued fraction (modified Lentz): relative accuracy, deep into the tail. The
 * specs' reference (test/kernels/reference64.ts) keeps its own copy on purpose: no kernel is checked against itself.
 */
function erfc_cf(z: f64): f64 {
  if (z == Infinity) return 0;
  let f = z, c = z, d: f64 = 0;
  for (let n = 1; n < 500; n++) {
    const a = <f64>n / 2;
    d = z + a * d; if (d == 0) d = 1e-300; d = 1 / d;
    c = z + a / c; if (c == 0) c = 1e-300;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-z * z) / (1.7724538509055159 * f); // sqrt(pi)
}
export function sigmoid64(x: f64): f64 {
  return 1 / (1 + Math.exp(-x));
}
/** log(1 + e^x) without overflow. */
export function softplus64(x: f64): f64 {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}
/** x * gate(x) with gate(-Inf) = 0: the limit 0 at -Inf (not -Inf * 0 = NaN). */
@inline export function gated(x: f64, gate: f64): f64 {
  return x == -Infinity ? 0 : x * gate;
}
/** x * Phi(x); far left Phi is erfc(-x / sqrt 2) / 2 directly (1 + erf would cancel to 0). */
export function gelu64(x: f64): f64 {
  const z = -x * 0.7071067811865476;
  return gated(x, z >= ERF_SERIES_LIMIT ? 0.5 * erfc_cf(z) : 0.5 * (1 + erf64(-z)));
}
/** x * (1 + tanh(u)) / 2 written as x * sigmoid(2u): no cancellation far left. */
export function gelu_tanh64(x: f64): f64 {
  return gated(x, sigmoid64(1.5957691216057308 * (x + 0.044715 * x * x * x)));
}
