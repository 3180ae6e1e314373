// Reductions over the middle axis of x[outer][n][inner] into y[outer][inner] (ReduceSum, ReduceMean, ReduceMax;
// the graph layer turns any set of axes into passes of this form, docs/kernels.md).
//
// inner == 1: every row is contiguous: four v128 accumulators (16 lanes) down the row, one horizontal step, then
//             the last 0..15 elements one by one.
// inner > 1:  lanes run across inner, each accumulating down the n rows: the global pooling window code
//             (pool/window.ts), which takes 16, then 4, then an exact 1..3 columns at a time.
// Mean is the sum times 1/n rounded to f32, like global average pooling. Max uses pmax (one instruction), which
// may skip NaN inputs, as max pooling does. n == 0 gives sum 0, mean NaN, max -Infinity.
import { max_window, sum_window } from "../pool/window";
import { hmax, hsum } from "../util/lanes";

/** Reduce op codes (mirrored in bindings/wasm/kernels.ts). */
export enum ReduceOp {
  Sum = 0,
  Mean = 1,
  Max = 2,
}

/** Sum, or max under pmax's rule (a NaN element may be skipped); `max` is a constant at each call site. */
@inline function combine(max: bool, a: v128, b: v128): v128 {
  return max ? f32x4.pmax(a, b) : f32x4.add(a, b);
}

/** Sum or max of a contiguous row of n floats. */
@inline function reduce_row(max: bool, x: usize, n: i32): f32 {
  const init = f32x4.splat(max ? -Infinity : 0);
  let a0 = init, a1 = init, a2 = init, a3 = init;
  const nb = <usize>n << 2;
  let i: usize = 0;
  for (; i + 64 <= nb; i += 64) {
    a0 = combine(max, a0, v128.load(x + i));
    a1 = combine(max, a1, v128.load(x + i, 16));
    a2 = combine(max, a2, v128.load(x + i, 32));
    a3 = combine(max, a3, v128.load(x + i, 48));
  }
  const v = combine(max, combine(max, a0, a1), combine(max, a2, a3));
  let r = max ? hmax(v) : hsum(v);
  for (; i < nb; i += 4) {
    const e = load<f32>(x + i);
    r = max ? (r < e ? e : r) : r + e;
  }
  return r;
}

/** y[o][i] = op over a < n of x[o][a][i] (x, y contiguous; they must not overlap). */
export function f32_reduce(op: i32, outer: i32, n: i32, inner: i32, x: usize, y: usize): void {
  if (outer <= 0 || inner <= 0) return;
  if (n <= 0) {
    const v: f32 = op == ReduceOp.Max ? -Infinity : op == ReduceOp.Mean ? NaN : 0;
    for (let i = 0; i < outer * inner; i++) store<f32>(y + (<usize>i << 2), v);
    return;
  }
  const scale: f32 = op == ReduceOp.Mean ? <f32>(1.0 / <f64>n) : 1;
  const row = <usize>inner << 2;
  const slab = row * <usize>n;
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>o * slab, yo = y + <usize>o * row;
    if (inner == 1) store<f32>(yo, op == ReduceOp.Max ? reduce_row(true, xo, n) : reduce_row(false, xo, n) * scale);
    else if (op == ReduceOp.Max) max_window(xo, 1, n, 0, row, inner, yo);
    else sum_window(xo, 1, n, 0, row, inner, scale, yo);
  }
}
