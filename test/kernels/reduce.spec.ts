// f32_reduce (sum, mean, max over the middle axis of x[outer][n][inner]) against a scalar f64 reference, for
// inner == 1 (contiguous rows: the 16-lane loop and every tail length) and inner > 1 (16, 4 and 1..3 columns).
// Max must be exact. Sum and mean: |got - ref| <= 2^-24 * (n + 2) * sum |x| (scaled by 1/n for the mean), the
// worst-case bound of an f32 sum of n terms in any order plus the rounding of 1/n and of the product.
// Outputs are surrounded by guard values that must survive; inputs must be left unchanged.
import { f32_reduce, ReduceOp } from "../../assembly/eltwise/reduce";
import { at, copy, data, guarded, guards_intact, random, reseed, same } from "./buffers";

reseed(41);

function check(op: i32, outer: i32, n: i32, inner: i32): bool {
  const x = random(outer * n * inner), x0 = copy(x), y = guarded(outer * inner);
  f32_reduce(op, outer, n, inner, data(x), data(y));
  let ok = guards_intact(y, outer * inner) && same(x, x0);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    let sum: f64 = 0, abs: f64 = 0, max: f64 = -Infinity;
    for (let a = 0; a < n; a++) {
      const v = <f64>at(x, (o * n + a) * inner + i);
      sum += v; abs += Math.abs(v);
      if (v > max) max = v;
    }
    const got = <f64>at(y, o * inner + i);
    let good: bool;
    if (op == ReduceOp.Max) good = got == max;
    else {
      const scale: f64 = op == ReduceOp.Mean ? 1.0 / <f64>n : 1;
      good = Math.abs(got - sum * scale) <= Math.pow(2, -24) * <f64>(n + 2) * abs * scale;
    }
    if (!good && ok) trace("f32_reduce mismatch: op, n, inner, o, i", 5, op, n, inner, o, i);
    ok = ok && good;
  }
  return ok;
}

describe("f32_reduce", () => {
  it("reduces contiguous rows (inner = 1) of every tail length", () => {
    for (let op = 0; op < 3; op++) for (let n = 1; n <= 70; n++) expect(check(op, 3, n, 1)).toBe(true);
    for (let op = 0; op < 3; op++) expect(check(op, 2, 1000, 1)).toBe(true);
  });
  it("reduces down columns (inner > 1): 16-, 4- and 1..3-wide column blocks", () => {
    for (let op = 0; op < 3; op++) for (let inner = 2; inner <= 37; inner++) expect(check(op, 2, 5, inner)).toBe(true);
    for (let op = 0; op < 3; op++) expect(check(op, 1, 1000, 128)).toBe(true);
  });
  it("gives sum 0, mean NaN, max -Infinity over an empty axis; nothing for an empty outer or inner", () => {
    const y = guarded(6);
    f32_reduce(ReduceOp.Sum, 2, 0, 3, 0, data(y));
    expect(at(y, 0)).toBe(0);
    f32_reduce(ReduceOp.Mean, 2, 0, 3, 0, data(y));
    expect(isNaN(at(y, 5))).toBe(true);
    f32_reduce(ReduceOp.Max, 2, 0, 3, 0, data(y));
    expect(at(y, 3)).toBe(-Infinity);
    expect(guards_intact(y, 6)).toBe(true);
    const z = guarded(1);
    f32_reduce(ReduceOp.Sum, 0, 4, 1, data(z), data(z));
    expect(guards_intact(z, 1)).toBe(true);
  });
});
