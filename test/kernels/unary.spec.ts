// f32_unary against plain scalar references (f64 formulas), every op code, every tail length.
// Tolerances (per element, in f32 ulp of the exact result unless stated):
//   exact (bitwise or ==): identity, relu, clip, leaky_relu, neg, abs, sqrt, reciprocal
//   1 ulp + 1.2e-7 absolute: hard_sigmoid, hard_swish (the f32 constants 0.2 / (1/6) and the multiply-add)
//   1.5 ulp: exp, log;  2 ulp: sigmoid, tanh, softplus, erf, elu;  8 ulp: gelu (erf form)
//   silu: 3.2e-7 |x| absolute (x times the rational sigmoid, math/activation.ts)
//   gelu_tanh: relative 3e-7 * max(1, |2u|) (the rounding of its argument 2u is amplified by |2u| for x << 0)
// Also checked: elements past n are never written, x == y (in place) gives the same bits, and the same element
// gets the same bits whether it falls in the SIMD body or a 1..3 element tail.
import { f32_unary, UnaryOp } from "../../assembly/eltwise/unary";
import { erf64, erfc64, sig64, ulp32 } from "./reference64";


const ALPHA: f32[] = [0, 0, -1.5, 0.1, 0, 0, 0, 0, 0, 0.2, 0, 0, 0.7, 0, 0, 0, 0, 0, 0, 0];
const BETA: f32[] = [0, 0, 2.5, 0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** f64 reference of op at x (alpha/beta as f32 values, like the kernel sees them). */
function reference(op: i32, xf: f32): f64 {
  const x = <f64>xf, a = <f64>ALPHA[op], b = <f64>BETA[op];
  switch (op) {
    case UnaryOp.Identity: return x;
    case UnaryOp.Relu: return isNaN(x) ? NaN : x > 0 ? x : 0;
    case UnaryOp.Clip: return isNaN(x) ? NaN : Math.min(Math.max(x, a), b);
    case UnaryOp.LeakyRelu: return x < 0 ? <f64>(<f32>(xf * ALPHA[op])) : x;
    case UnaryOp.Sigmoid: return sig64(x);
    case UnaryOp.Tanh: return Math.tanh(x);
    case UnaryOp.Gelu: return x == -Infinity ? 0 : 0.5 * x * erfc64(-x / Math.SQRT2);
    case UnaryOp.GeluTanh:
      return x == -Infinity ? 0 : x * sig64(2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x));
    case UnaryOp.Silu: return x == -Infinity ? 0 : x / (1 + Math.exp(-x));
    case UnaryOp.HardSigmoid: return isNaN(x) ? NaN : Math.max(0, Math.min(1, a * x + b));
    case UnaryOp.HardSwish: return x == -Infinity ? 0 : isNaN(x) ? NaN : x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case UnaryOp.Exp: return Math.exp(x);
    case UnaryOp.Elu: return x >= 0 ? x : a * Math.expm1(x);
    case UnaryOp.Neg: return -x;
    case UnaryOp.Abs: return Math.abs(x);
    case UnaryOp.Sqrt: return Math.sqrt(x);
    case UnaryOp.Log: return Math.log(x);
    case UnaryOp.Softplus: return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    case UnaryOp.Erf: return erf64(x);
    case UnaryOp.Reciprocal: return 1 / x;
  }
  return NaN;
}


/** Allowed |got - ref| for op at x. */
function tolerance(op: i32, x: f64, r: f64): f64 {
  switch (op) {
    case UnaryOp.HardSigmoid: case UnaryOp.HardSwish: return ulp32(r) + 1.2e-7 * Math.max(1, Math.abs(x));
    case UnaryOp.Exp: case UnaryOp.Log: return 1.5 * ulp32(r);
    case UnaryOp.Sigmoid: case UnaryOp.Tanh: case UnaryOp.Softplus: case UnaryOp.Erf: case UnaryOp.Elu:
      return 2 * ulp32(r);
    case UnaryOp.Silu: return Math.max(3.2e-7 * Math.abs(x), ulp32(r));
    case UnaryOp.Gelu: return 8 * ulp32(r);
    case UnaryOp.GeluTanh: {
      const v = Math.abs(2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x));
      return Math.max(3e-7 * Math.max(1, v) * Math.abs(r), 2 * ulp32(r));
    }
    default: return 0; // exact
  }
}

let seed: u32 = 2024;
function rnd(): f32 { seed = seed * 1664525 + 1013904223; return <f32>((seed >>> 8) * (1.0 / 16777216.0)); }

const SPECIAL: f32[] = [0, -0.0, Infinity, -Infinity, NaN, 88, -88, 89, -104, 1e-30, -1e-30, 1e-40, -1e-40, 1, -1,
  0.5, -3, 3, 20, -20, 1e30, -1e30];

/** n inputs: specials first, then random values over several scales. */
function inputs(n: i32): StaticArray<f32> {
  const x = new StaticArray<f32>(n + 8);
  for (let i = 0; i < n; i++) {
    if (i < SPECIAL.length && (n < 30 ? (i % 3 == 0) : true)) { x[i] = SPECIAL[(i + n) % SPECIAL.length]; continue; }
    const u = rnd() * 2 - 1;
    const scale: f32 = i % 4 == 0 ? 1 : i % 4 == 1 ? 6 : i % 4 == 2 ? 30 : 0.01;
    x[i] = u * scale;
  }
  for (let i = n; i < n + 8; i++) x[i] = 12345; // guard
  return x;
}

function ptr<T>(a: StaticArray<T>): usize { return changetype<usize>(a); }

function checkOp(op: i32, n: i32): void {
  const x = inputs(n);
  const y = new StaticArray<f32>(n + 8);
  for (let i = 0; i < n + 8; i++) y[i] = -777;
  f32_unary(op, ptr(x), ptr(y), n, ALPHA[op], BETA[op]);
  for (let i = 0; i < n; i++) {
    const got = y[i], r = reference(op, x[i]);
    const r32 = <f32>r;
    let ok: bool;
    if (isNaN(r)) ok = isNaN(got);
    else if (!isFinite(r32) || !isFinite(x[i])) ok = got == r32;
    else if (tolerance(op, <f64>x[i], r) == 0) ok = op == UnaryOp.Identity ? reinterpret<u32>(got) == reinterpret<u32>(x[i]) : got == r32;
    else ok = Math.abs(<f64>got - r) <= tolerance(op, <f64>x[i], r);
    if (!ok) {
      trace("f32_unary mismatch: op, n, i", 3, op, n, i);
      trace("  x, got, reference", 3, x[i], got, r);
      expect(got).toBe(r32);
    }
  }
  for (let i = n; i < n + 8; i++) {
    if (y[i] != -777) trace("f32_unary wrote past n: op, n, i", 3, op, n, i);
    expect(y[i]).toBe(-777);
  }
}

const SIZES: i32[] = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1000];

describe("f32_unary", () => {
  it("matches the scalar reference for every op and size (0..17, 1000), specials included", () => {
    for (let op = 0; op < 20; op++) for (let s = 0; s < SIZES.length; s++) checkOp(op, SIZES[s]);
  });

  it("in place (x == y) gives the same bits as out of place", () => {
    for (let op = 0; op < 20; op++) {
      const n = 37;
      const x = inputs(n);
      const y = new StaticArray<f32>(n);
      const z = new StaticArray<f32>(n);
      f32_unary(op, ptr(x), ptr(y), n, ALPHA[op], BETA[op]);
      for (let i = 0; i < n; i++) z[i] = x[i];
      f32_unary(op, ptr(z), ptr(z), n, ALPHA[op], BETA[op]);
      for (let i = 0; i < n; i++) {
        if (reinterpret<u32>(z[i]) != reinterpret<u32>(y[i]) && !(isNaN(z[i]) && isNaN(y[i]))) {
          trace("in-place mismatch: op, i", 2, op, i);
          expect(z[i]).toBe(y[i]);
        }
      }
    }
  });

  it("an element gets the same bits in the SIMD body and in a tail (offsets 0..3, lengths 1..9)", () => {
    for (let op = 0; op < 20; op++) {
      const N = 24;
      const x = inputs(N);
      const full = new StaticArray<f32>(N);
      f32_unary(op, ptr(x), ptr(full), N, ALPHA[op], BETA[op]);
      for (let off = 0; off < 4; off++) for (let len = 1; len <= 9; len++) {
        const part = new StaticArray<f32>(len);
        f32_unary(op, ptr(x) + (<usize>off << 2), ptr(part), len, ALPHA[op], BETA[op]);
        for (let i = 0; i < len; i++) {
          const a = part[i], b = full[off + i];
          if (reinterpret<u32>(a) != reinterpret<u32>(b) && !(isNaN(a) && isNaN(b))) {
            trace("tail/body mismatch: op, off, len, i", 4, op, off, len, i);
            expect(a).toBe(b);
          }
        }
      }
    }
  });

  it("op parameters: clip, leaky_relu, hard_sigmoid and elu use alpha/beta", () => {
    const x = new StaticArray<f32>(4);
    x[0] = -3; x[1] = -0.5; x[2] = 0.25; x[3] = 9;
    const y = new StaticArray<f32>(4);
    f32_unary(UnaryOp.Clip, ptr(x), ptr(y), 4, 0, 6); // relu6
    expect(y[0]).toBe(0); expect(y[1]).toBe(0); expect(y[2]).toBe(0.25); expect(y[3]).toBe(6);
    f32_unary(UnaryOp.LeakyRelu, ptr(x), ptr(y), 4, 0.01, 0);
    expect(y[0]).toBe(<f32>-0.03); expect(y[3]).toBe(9);
    f32_unary(UnaryOp.HardSigmoid, ptr(x), ptr(y), 4, 1.0 / 6.0, 0.5);
    expect(y[0]).toBe(0); expect(y[3]).toBe(1);
    f32_unary(UnaryOp.Elu, ptr(x), ptr(y), 4, 2, 0);
    expect(Math.abs(<f64>y[0] - 2 * Math.expm1(-3))).toBeLessThan(3e-7);
    expect(y[3]).toBe(9);
  });
});
