// f32_softmax against an f64 reference (max-subtracted, summed in f64), over every axis of 3-D tensors (inner == 1
// and inner > 1, including inner tails of 1..3 columns), both softmax and log-softmax.
// Tolerances: softmax |y - ref| <= (1e-6 + 6e-8 |x - max|) * ref + 1e-37 (x - max is rounded to f32, which moves
// exp(x - max) by up to |x - max| * 2^-24 relative; exp ~1 ulp; an f32 sum of up to 1000 terms; one multiply by
// the rounded reciprocal; values below 2^-126 relative to the max are flushed to 0, hence the absolute floor);
// log-softmax |y - ref| <= 1e-6 * (|x - max| + 1) (rounding of x - max, log(sum) and the final subtraction).
import { f32_softmax } from "../../assembly/eltwise/softmax";

let seed: u32 = 99;
function rnd(): f32 { seed = seed * 1664525 + 1013904223; return <f32>((seed >>> 8) * (1.0 / 16777216.0)); }

/** Reference for one slice: n values at x[base + k*stride]. */
function check(outer: i32, n: i32, inner: i32, x: StaticArray<f32>, y: StaticArray<f32>, log: bool): void {
  let bad = 0;
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    const base = o * n * inner + i;
    let m: f64 = -Infinity;
    let anyNaN = false;
    for (let k = 0; k < n; k++) {
      const v = <f64>x[base + k * inner];
      if (isNaN(v)) anyNaN = true;
      if (v > m) m = v;
    }
    let sum: f64 = 0;
    for (let k = 0; k < n; k++) sum += Math.exp(<f64>x[base + k * inner] - m);
    const rowNaN = anyNaN || m == Infinity || m == -Infinity; // x - m = NaN somewhere (like the reference formula)
    for (let k = 0; k < n; k++) {
      const xv = <f64>x[base + k * inner];
      const got = <f64>y[base + k * inner];
      let ok: bool;
      if (rowNaN) ok = isNaN(got);
      else if (log) {
        const r = (xv - m) - Math.log(sum);
        ok = r == -Infinity ? got == -Infinity : Math.abs(got - r) <= 1e-6 * (Math.abs(xv - m) + 1);
      } else {
        const r = Math.exp(xv - m) / sum;
        ok = r == 0 ? got == 0 : Math.abs(got - r) <= (1e-6 + 6e-8 * Math.abs(xv - m)) * r + 1e-37;
      }
      if (!ok && bad < 3) {
        trace("f32_softmax mismatch: outer, n, inner, o, i", 5, outer, n, inner, o, i);
        trace("  k, x, got, log, max", 5, k, xv, got, log ? 1 : 0, m);
        trace("  reference, sum", 2, log ? (xv - m) - Math.log(sum) : Math.exp(xv - m) / sum, sum);
        bad++;
      }
    }
  }
  expect(bad).toBe(0);
}

function run(outer: i32, n: i32, inner: i32, scale: f32, log: bool, inPlace: bool): void {
  const total = outer * n * inner;
  const x = new StaticArray<f32>(total + 4);
  for (let i = 0; i < total; i++) x[i] = (rnd() * 2 - 1) * scale;
  const y = new StaticArray<f32>(total + 4);
  for (let i = 0; i < total + 4; i++) y[i] = -555;
  if (inPlace) {
    const x0 = new StaticArray<f32>(total + 4);
    for (let i = 0; i < total; i++) { x0[i] = x[i]; y[i] = x[i]; }
    f32_softmax(outer, n, inner, changetype<usize>(y), changetype<usize>(y), log ? 1 : 0);
    check(outer, n, inner, x0, y, log);
  } else {
    f32_softmax(outer, n, inner, changetype<usize>(x), changetype<usize>(y), log ? 1 : 0);
    check(outer, n, inner, x, y, log);
  }
  for (let i = total; i < total + 4; i++) expect(y[i]).toBe(-555);
}

const SIZES: i32[] = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1000];

describe("f32_softmax", () => {
  it("inner == 1 (contiguous rows), every row length, softmax and log-softmax", () => {
    for (let s = 0; s < SIZES.length; s++) {
      run(3, SIZES[s], 1, 10, false, false);
      run(3, SIZES[s], 1, 10, true, false);
      run(2, SIZES[s], 1, 100, false, false); // wide range: many terms below 2^-126 relative to the max
    }
  });

  it("inner > 1 (lanes across inner), every inner tail, softmax and log-softmax", () => {
    const inners: i32[] = [2, 3, 4, 5, 7, 8, 15, 16, 17, 19, 33];
    for (let j = 0; j < inners.length; j++) for (let s = 0; s < 6; s++) {
      run(2, SIZES[s * 2], inners[j], 8, false, false);
      run(2, SIZES[s * 2], inners[j], 8, true, false);
    }
  });

  it("every axis of a 3-D tensor [4, 5, 6] (outer/axis/inner = 1x4x30, 4x5x6, 20x6x1)", () => {
    for (let l = 0; l < 2; l++) {
      run(1, 4, 30, 5, l == 1, false);
      run(4, 5, 6, 5, l == 1, false);
      run(20, 6, 1, 5, l == 1, false);
    }
  });

  it("in place (y == x)", () => {
    run(3, 37, 1, 10, false, true);
    run(3, 37, 1, 10, true, true);
    run(2, 9, 7, 10, false, true);
    run(2, 9, 7, 10, true, true);
  });

  it("-Inf entries give 0 (log: -Inf); all -Inf, +Inf or NaN rows give NaN; empty sizes do nothing", () => {
    for (let inner = 1; inner <= 5; inner += 4) {
      const n = 6;
      const x = new StaticArray<f32>(4 * n * inner);
      for (let i = 0; i < x.length; i++) x[i] = <f32>(i % 5) - 2;
      for (let i = 0; i < inner; i++) {
        x[0 * n * inner + 2 * inner + i] = -Infinity; // row 0: one -Inf
        for (let k = 0; k < n; k++) x[1 * n * inner + k * inner + i] = -Infinity; // row 1: all -Inf
        x[2 * n * inner + 3 * inner + i] = Infinity; // row 2: +Inf
        x[3 * n * inner + 1 * inner + i] = NaN; // row 3: NaN
      }
      const y = new StaticArray<f32>(x.length);
      for (let l = 0; l < 2; l++) {
        f32_softmax(4, n, inner, changetype<usize>(x), changetype<usize>(y), l);
        check(4, n, inner, x, y, l == 1);
        for (let i = 0; i < inner; i++) expect(y[2 * inner + i]).toBe(l == 1 ? -Infinity : 0);
      }
    }
    const z = new StaticArray<f32>(4);
    z[0] = 7;
    f32_softmax(0, 3, 1, changetype<usize>(z), changetype<usize>(z), 0);
    f32_softmax(1, 0, 1, changetype<usize>(z), changetype<usize>(z), 0);
    f32_softmax(1, 3, 0, changetype<usize>(z), changetype<usize>(z), 1);
    expect(z[0]).toBe(7);
  });

  it("a row of one element gives exactly 1 (log: 0)", () => {
    const x = new StaticArray<f32>(3);
    x[0] = -50; x[1] = 3; x[2] = 80;
    const y = new StaticArray<f32>(3);
    f32_softmax(3, 1, 1, changetype<usize>(x), changetype<usize>(y), 0);
    expect(y[0]).toBe(1); expect(y[1]).toBe(1); expect(y[2]).toBe(1);
    f32_softmax(1, 1, 3, changetype<usize>(x), changetype<usize>(y), 1);
    expect(y[0]).toBe(0); expect(y[1]).toBe(0); expect(y[2]).toBe(0);
  });
});
