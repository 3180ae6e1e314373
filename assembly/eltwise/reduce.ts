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

@inline function row_sum(x: usize, n: i32): f32 {
  const z = f32x4.splat(0);
  let s0 = z, s1 = z, s2 = z, s3 = z;
  const nb = <usize>n << 2;
  let i: usize = 0;
  for (; i + 64 <= nb; i += 64) {
    s0 = f32x4.add(s0, v128.load(x + i));
    s1 = f32x4.add(s1, v128.load(x + i, 16));
    s2 = f32x4.add(s2, v128.load(x + i, 32));
    s3 = f32x4.add(s3, v128.load(x + i, 48));
  }
  let s = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  for (; i < nb; i += 4) s += load<f32>(x + i);
  return s;
}

@inline function row_max(x: usize, n: i32): f32 {
  const ninf = f32x4.splat(-Infinity);
  let m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
  const nb = <usize>n << 2;
  let i: usize = 0;
  for (; i + 64 <= nb; i += 64) {
    m0 = f32x4.pmax(m0, v128.load(x + i));
    m1 = f32x4.pmax(m1, v128.load(x + i, 16));
    m2 = f32x4.pmax(m2, v128.load(x + i, 32));
    m3 = f32x4.pmax(m3, v128.load(x + i, 48));
  }
  let m = hmax(f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3)));
  for (; i < nb; i += 4) {
    const v = load<f32>(x + i);
    if (m < v) m = v; // pmax's rule: a NaN v is skipped
  }
  return m;
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
    if (inner == 1) store<f32>(yo, op == ReduceOp.Max ? row_max(xo, n) : row_sum(xo, n) * scale);
    else if (op == ReduceOp.Max) max_window(xo, 1, n, 0, row, inner, yo);
    else sum_window(xo, 1, n, 0, row, inner, scale, yo);
  }
}
