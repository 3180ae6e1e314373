// SIMD math approximations (assembly/math/) against f64 references (NativeMath, plus an f64 erf written here).
// Sweeps here are moderate (the debug build is slow); scripts/measure-accuracy.mjs does the dense/exhaustive
// sweeps whose figures are in docs/accuracy.md. Tolerances are stated per test, in f32 ulp of the exact result
// (denormal results: units of 2^-149) and, where the brief sets a target, as relative error.
import { exp_f32x4, exp_f32, expm1_f32x4, expm1_f32, exp_nonpos_ftz_f32x4 } from "../../assembly/math/exp";
import { log_f32x4, log_f32 } from "../../assembly/math/log";
import {
  sigmoid_f32x4, sigmoid_f32, tanh_f32x4, tanh_f32, silu_f32x4, silu_f32, softplus_f32x4, softplus_f32,
  elu_f32x4, elu_f32, gelu_tanh_f32x4, gelu_tanh_f32,
} from "../../assembly/math/activation";
import { erf_f32x4, erf_f32, erfc_f32x4, erfc_f32, gelu_f32x4, gelu_f32 } from "../../assembly/math/erf";
import { erf64, erfc64, sig64, ulp32 } from "./reference64";

// ---- f64 references -------------------------------------------------------------------------------------------

// ---- helpers ------------------------------------------------------------------------------------------------------

let worstUlp: f64 = 0, worstX: f32 = 0;
/** Fails (with a trace) when |got - ref| > tolUlp ulp; NaN/Inf must match exactly. */
function check(name: string, x: f32, got: f32, ref: f64, tolUlp: f64): void {
  const r32 = <f32>ref;
  if (isNaN(ref) || !isFinite(r32)) {
    if (!(isNaN(ref) && isNaN(got)) && got != r32) {
      trace(name + " special mismatch at x, got, ref", 3, x, got, ref);
      expect(got).toBe(r32);
    }
    return;
  }
  const u = Math.abs(<f64>got - ref) / ulp32(ref);
  if (u > worstUlp) { worstUlp = u; worstX = x; }
  if (!(u <= tolUlp)) {
    trace(name + ": x, got, reference, ulp error", 4, x, got, ref, u);
    expect(u).toBeLessThanOrEqual(tolUlp);
  }
}

/** Relative error check for normal results. */
function checkRel(name: string, x: f32, got: f32, ref: f64, tolRel: f64): void {
  if (!isFinite(<f32>ref) || Math.abs(ref) < 1.1754943508222875e-38) return;
  const rel = Math.abs(<f64>got - ref) / Math.abs(ref);
  if (!(rel <= tolRel)) {
    trace(name + ": x, got, reference, relative error", 4, x, got, ref, rel);
    expect(rel).toBeLessThanOrEqual(tolRel);
  }
}

// Inputs: `count` uniform points in [lo, hi], then `count` points spread over the binades (every step-th f32 bit
// pattern up to max(|lo|, |hi|), alternating signs where the range allows).
function sweepPoints(lo: f32, hi: f32, count: i32): StaticArray<f32> {
  const out = new StaticArray<f32>(2 * count);
  for (let i = 0; i < count; i++) out[i] = lo + (hi - lo) * (<f32>i / <f32>(count - 1));
  const top = reinterpret<u32>(max(abs(lo), abs(hi)));
  const step = (top / <u32>count) | 1;
  for (let k = 0; k < count; k++) {
    const v = reinterpret<f32>(<u32>k * step);
    const w: f32 = (k & 1) ? -v : v;
    out[count + k] = w >= lo && w <= hi ? w : -w >= lo && -w <= hi ? -w : lo;
  }
  return out;
}

function lane(v: v128, l: i32): f32 {
  switch (l) {
    case 0: return f32x4.extract_lane(v, 0);
    case 1: return f32x4.extract_lane(v, 1);
    case 2: return f32x4.extract_lane(v, 2);
    default: return f32x4.extract_lane(v, 3);
  }
}

const SPECIALS: f32[] = [0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, 1e-40, -1e-40, 88, -88, 88.7, 89, -87.5,
  -104, -110, 1e30, -1e30, 0.5, -0.5, 1, -1, 3.0, -3.0];

// Runs the vector function on 4 lanes at a time and the scalar one per value; both must agree bit for bit.
type Vec1 = (v: v128) => v128;
type Sca1 = (x: f32) => f32;
type Ref1 = (x: f64) => f64;
function sweep(name: string, vf: Vec1, sf: Sca1, ref: Ref1, pts: StaticArray<f32>, tolUlp: f64, tolRel: f64): void {
  worstUlp = 0;
  for (let i = 0; i + 4 <= pts.length; i += 4) {
    const x = v128.load(changetype<usize>(pts) + (<usize>i << 2));
    const y = vf(x);
    for (let l = 0; l < 4; l++) {
      const xi = pts[i + l];
      const got = lane(y, l);
      const s = sf(xi);
      if (reinterpret<u32>(s) != reinterpret<u32>(got) && !(isNaN(s) && isNaN(got))) {
        trace(name + ": scalar and vector lane differ at x", 3, xi, s, got);
        expect(reinterpret<u32>(s)).toBe(reinterpret<u32>(got));
      }
      const r = ref(<f64>xi);
      check(name, xi, got, r, tolUlp);
      if (tolRel > 0) checkRel(name, xi, got, r, tolRel);
    }
  }
}

describe("math: exp", () => {
  it("max rel error <= 2e-7 over [-87.33, 88.72] and <= 1.5 ulp incl. denormal results over [-104, 89]", () => {
    sweep("exp", (v: v128): v128 => exp_f32x4(v), (x: f32): f32 => exp_f32(x), (x: f64): f64 => Math.exp(x),
      sweepPoints(-104, 89, 40000), 1.5, 2e-7);
  });
  it("special values: overflow -> +Inf, underflow -> 0, NaN -> NaN", () => {
    expect(exp_f32(88.8)).toBe(Infinity);
    expect(exp_f32(Infinity)).toBe(Infinity);
    expect(exp_f32(1e30)).toBe(Infinity);
    expect(exp_f32(-104)).toBe(0);
    expect(exp_f32(-Infinity)).toBe(0);
    expect(exp_f32(-1e30)).toBe(0);
    expect(isNaN(exp_f32(NaN))).toBe(true);
    expect(exp_f32(0)).toBe(1);
    expect(exp_f32(-0.0)).toBe(1);
    for (let i = 0; i < SPECIALS.length; i++) check("exp", SPECIALS[i], exp_f32(SPECIALS[i]), Math.exp(SPECIALS[i]), 1.5);
  });
  it("softmax exp (x <= 0, flush-to-zero) equals exp above -87.33 and is exactly 0 below", () => {
    const pts = sweepPoints(-120, 0, 8000);
    for (let i = 0; i + 4 <= pts.length; i += 4) {
      const x = v128.load(changetype<usize>(pts) + (<usize>i << 2));
      const a = exp_nonpos_ftz_f32x4(x), b = exp_f32x4(x);
      for (let l = 0; l < 4; l++) {
        const xi = pts[i + l];
        const ai = lane(a, l), bi = lane(b, l);
        if (xi >= -87.33) expect(ai).toBe(bi);
        else if (xi < -87.34) expect(ai).toBe(0);
      }
    }
    expect(f32x4.extract_lane(exp_nonpos_ftz_f32x4(f32x4.splat(-Infinity)), 0)).toBe(0);
    expect(isNaN(f32x4.extract_lane(exp_nonpos_ftz_f32x4(f32x4.splat(NaN)), 0))).toBe(true);
  });
});

describe("math: expm1", () => {
  it("<= 2 ulp over [-18, 88.7], accurate near 0", () => {
    sweep("expm1", (v: v128): v128 => expm1_f32x4(v), (x: f32): f32 => expm1_f32(x), (x: f64): f64 => Math.expm1(x),
      sweepPoints(-18, 88.7, 30000), 2, 0);
    expect(expm1_f32(1e-30)).toBe(1e-30);
    expect(expm1_f32(-Infinity)).toBe(-1);
    expect(expm1_f32(Infinity)).toBe(Infinity);
    expect(expm1_f32(88.8)).toBe(Infinity);
    expect(isNaN(expm1_f32(NaN))).toBe(true);
  });
});

describe("math: sigmoid", () => {
  it("max rel error <= 2e-7 (and <= 2 ulp incl. denormal results) over [-110, 110]", () => {
    sweep("sigmoid", (v: v128): v128 => sigmoid_f32x4(v), (x: f32): f32 => sigmoid_f32(x), sig64,
      sweepPoints(-110, 110, 40000), 2, 2e-7);
  });
  it("saturates to 1 / 0 without NaN; NaN -> NaN", () => {
    expect(sigmoid_f32(20)).toBe(1);
    expect(sigmoid_f32(1e30)).toBe(1);
    expect(sigmoid_f32(Infinity)).toBe(1);
    expect(sigmoid_f32(-Infinity)).toBe(0);
    expect(sigmoid_f32(-1e30)).toBe(0);
    expect(sigmoid_f32(0)).toBe(0.5);
    expect(sigmoid_f32(-0.0)).toBe(0.5);
    expect(isNaN(sigmoid_f32(NaN))).toBe(true);
    for (let i = 0; i < SPECIALS.length; i++) check("sigmoid", SPECIALS[i], sigmoid_f32(SPECIALS[i]), sig64(SPECIALS[i]), 2);
  });
});

describe("math: tanh", () => {
  it("<= 2 ulp over [-12, 12], including small |x| (relative)", () => {
    sweep("tanh", (v: v128): v128 => tanh_f32x4(v), (x: f32): f32 => tanh_f32(x), (x: f64): f64 => Math.tanh(x),
      sweepPoints(-12, 12, 40000), 2, 2e-7);
  });
  it("tiny x, sign of zero, saturation, NaN", () => {
    expect(tanh_f32(1e-30)).toBe(1e-30);
    expect(tanh_f32(-1e-30)).toBe(-1e-30);
    expect(tanh_f32(1e-40)).toBe(1e-40);
    expect(reinterpret<u32>(tanh_f32(-0.0))).toBe(0x80000000); // -0
    expect(tanh_f32(10)).toBe(1);
    expect(tanh_f32(Infinity)).toBe(1);
    expect(tanh_f32(-Infinity)).toBe(-1);
    expect(tanh_f32(-1e30)).toBe(-1);
    expect(isNaN(tanh_f32(NaN))).toBe(true);
  });
});

describe("math: erf, erfc", () => {
  it("erf <= 2 ulp over [-11, 11]", () => {
    sweep("erf", (v: v128): v128 => erf_f32x4(v), (x: f32): f32 => erf_f32(x), erf64, sweepPoints(-11, 11, 30000), 2, 0);
    expect(erf_f32(Infinity)).toBe(1);
    expect(erf_f32(-Infinity)).toBe(-1);
    expect(reinterpret<u32>(erf_f32(-0.0))).toBe(0x80000000); // -0
    expect(isNaN(erf_f32(NaN))).toBe(true);
  });
  it("erfc <= 8 ulp (relative, right tail down to underflow) over [-11, 11]", () => {
    sweep("erfc", (v: v128): v128 => erfc_f32x4(v), (x: f32): f32 => erfc_f32(x), erfc64, sweepPoints(-11, 11, 30000), 8, 0);
    expect(erfc_f32(Infinity)).toBe(0);
    expect(erfc_f32(-Infinity)).toBe(2);
  });
});

describe("math: activations", () => {
  it("gelu (erf form) <= 8 ulp over [-15, 1e4] (relative, no cancellation for x < 0)", () => {
    sweep("gelu", (v: v128): v128 => gelu_f32x4(v), (x: f32): f32 => gelu_f32(x),
      (x: f64): f64 => 0.5 * x * erfc64(-x / Math.SQRT2), sweepPoints(-15, 1e4, 30000), 8, 0);
    expect(gelu_f32(Infinity)).toBe(Infinity);
    expect(gelu_f32(-Infinity)).toBe(0); // the limit, not -Inf * 0
    expect(isNaN(gelu_f32(NaN))).toBe(true);
  });
  it("gelu (tanh approximation) <= 4 ulp for x >= -1; rel <= 3e-7 * max(1, |2u|) below", () => {
    const ref = (x: f64): f64 => x * sig64(2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x));
    sweep("gelu_tanh", (v: v128): v128 => gelu_tanh_f32x4(v), (x: f32): f32 => gelu_tanh_f32(x), ref,
      sweepPoints(-1, 1e4, 20000), 4, 0);
    const pts = sweepPoints(-12, -1, 10000);
    for (let i = 0; i < pts.length; i++) {
      const x = <f64>pts[i];
      const v = Math.abs(2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x));
      checkRel("gelu_tanh tail", pts[i], gelu_tanh_f32(pts[i]), ref(x), 3e-7 * Math.max(1, v));
    }
    expect(gelu_tanh_f32(-Infinity)).toBe(0);
    expect(gelu_tanh_f32(Infinity)).toBe(Infinity);
  });
  it("silu (x times the rational sigmoid): |error| <= 3.2e-7 |x| over [-110, 1e4]; silu(-Inf) = -0", () => {
    const pts = sweepPoints(-110, 1e4, 30000);
    let worst: f64 = 0;
    for (let i = 0; i < pts.length; i++) {
      const x = pts[i], ref = <f64>x / (1 + Math.exp(-<f64>x)), got = silu_f32(x);
      const e = Math.abs(<f64>got - ref) / Math.max(Math.abs(<f64>x), 1e-30);
      if (e > worst) worst = e;
      if (!(e <= 3.2e-7)) { trace("silu: x, got, reference", 3, x, got, ref); expect(e).toBeLessThanOrEqual(3.2e-7); }
    }
    trace("silu max |error| / |x|", 1, worst);
    expect(silu_f32(-Infinity)).toBe(0);
    expect(reinterpret<u32>(silu_f32(-Infinity))).toBe(0x80000000);
    expect(silu_f32(Infinity)).toBe(Infinity);
    expect(isNaN(silu_f32(NaN))).toBe(true);
  });
  it("softplus <= 2 ulp over [-110, 100]", () => {
    sweep("softplus", (v: v128): v128 => softplus_f32x4(v), (x: f32): f32 => softplus_f32(x),
      (x: f64): f64 => x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)), sweepPoints(-110, 100, 30000), 2, 0);
    expect(softplus_f32(-Infinity)).toBe(0);
    expect(softplus_f32(Infinity)).toBe(Infinity);
    expect(softplus_f32(1e30)).toBe(1e30);
  });
  it("elu (alpha = 1 and 0.5) <= 1.5 ulp over [-20, 20]", () => {
    sweep("elu", (v: v128): v128 => elu_f32x4(v, f32x4.splat(1)), (x: f32): f32 => elu_f32(x, 1),
      (x: f64): f64 => x >= 0 ? x : Math.expm1(x), sweepPoints(-20, 20, 20000), 1.5, 0);
    sweep("elu", (v: v128): v128 => elu_f32x4(v, f32x4.splat(0.5)), (x: f32): f32 => elu_f32(x, 0.5),
      (x: f64): f64 => x >= 0 ? x : 0.5 * Math.expm1(x), sweepPoints(-20, 20, 5000), 1.5, 0);
    expect(elu_f32(-Infinity, 1)).toBe(-1);
  });
  it("log <= 1.5 ulp over all positive f32 (denormals included); special values", () => {
    sweep("log", (v: v128): v128 => log_f32x4(v), (x: f32): f32 => log_f32(x), (x: f64): f64 => Math.log(x),
      sweepPoints(0, 3.4028234e38, 40000), 1.5, 0);
    expect(log_f32(0)).toBe(-Infinity);
    expect(log_f32(-0.0)).toBe(-Infinity);
    expect(log_f32(1)).toBe(0);
    expect(log_f32(Infinity)).toBe(Infinity);
    expect(isNaN(log_f32(-1))).toBe(true);
    expect(isNaN(log_f32(-Infinity))).toBe(true);
    expect(isNaN(log_f32(NaN))).toBe(true);
    check("log", 1e-45, log_f32(1e-45), Math.log(<f64><f32>1e-45), 1.5);
  });
});
