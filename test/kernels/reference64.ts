// f64 references for the math specs: erf/erfc by series and continued fraction, sigmoid, f32 ulp.

export const SQRT_PI: f64 = 1.7724538509055159;
export function erfSeries(x: f64): f64 { // |x| < 2.5
  const x2 = x * x;
  let term = x, sum = x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / <f64>n;
    const add = term / <f64>(2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / SQRT_PI) * sum;
}
export function erfcCF(x: f64): f64 { // x >= 2.5, continued fraction (modified Lentz)
  if (x == Infinity) return 0;
  let f = x, C = x, D: f64 = 0;
  for (let n = 1; n < 500; n++) {
    const a = <f64>n / 2;
    D = x + a * D; if (D == 0) D = 1e-300; D = 1 / D;
    C = x + a / C; if (C == 0) C = 1e-300;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const xh = <f64><f32>x, xl = x - xh;
  return Math.exp(-xh * xh) * Math.exp(-(2 * xh * xl + xl * xl)) / (SQRT_PI * f);
}
export function erfc64(x: f64): f64 {
  if (isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc64(-x);
  return x < 2.5 ? 1 - erfSeries(x) : erfcCF(x);
}
export function erf64(x: f64): f64 {
  if (isNaN(x)) return NaN;
  const a = Math.abs(x);
  const r = a < 2.5 ? erfSeries(a) : 1 - erfcCF(a);
  return x < 0 ? -r : r;
}
export function sig64(x: f64): f64 { return 1 / (1 + Math.exp(-x)); }

/** f32 ulp at the exact value r (2^-149 in the denormal range). */
export function ulp32(r: f64): f64 {
  const a = Math.abs(r);
  if (a < 1.1754943508222875e-38) return 1.401298464324817e-45;
  const e = <i32>((reinterpret<u32>(<f32>a) >> 23) & 0xFF) - 127;
  return Math.pow(2, <f64>(min(e, 127) - 23));
}
