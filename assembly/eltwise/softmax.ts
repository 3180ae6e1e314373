// Softmax and log-softmax over the middle axis of x[outer][axis_len][inner].
//
// Numerically stable: m = max over the axis, e = exp(x - m), sum = sum(e);
//   softmax      y = e * (1 / sum)
//   log-softmax  y = (x - m) - log(sum)
// inner == 1: each row is contiguous; three SIMD passes over it (max, exp + sum with y = e stored, scale).
// inner > 1:  lanes run across the inner dimension (16 or 4 columns at a time, a partial vector for the last
//             1..3), each lane doing its own max / exp-sum / scale down the axis, so no horizontal reductions.
// exp is exp_nonpos_ftz_f32x4 (x - m <= 0): same accuracy as exp, with e^(x-m) < 2^-126 flushed to 0 (it cannot
// change the sum, and masked -Inf inputs give exactly 0).
// Special values follow the formula, like the NumPy/ONNX reference: -Inf entries give 0 (log: -Inf); a row of
// all -Inf, or a row containing +Inf or NaN, gives NaN for the whole row (x - m = -Inf - -Inf = NaN).
// y may equal x (in place works: every pass reads x or y before writing the same element).
import { exp_nonpos_ftz_f32x4 } from "../math/exp";
import { log_f32, log_f32x4 } from "../math/log";
import { hmax, hsum, load_partial, store_partial } from "../util/lanes";

/** One contiguous row of n elements (inner == 1). */
@inline function softmax_row(x: usize, y: usize, n: i32, log: bool): void {
  softmax_row_max(x, y, n, row_max(x, n), log);
}

/**
 * Pass 1: the max of n contiguous floats (-Infinity for n = 0). pmax (one instruction) may skip a NaN, but a NaN
 * element still makes its exp, the sum and so the whole row NaN in pass 2, as the reference does.
 */
@inline export function row_max(x: usize, n: i32): f32 {
  const nb = <usize>n << 2;
  const n16 = <usize>(n & ~3) << 2;
  const ninf = f32x4.splat(-Infinity);
  let m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
  let i: usize = 0;
  for (; i + 64 <= n16; i += 64) {
    m0 = f32x4.pmax(m0, v128.load(x + i));
    m1 = f32x4.pmax(m1, v128.load(x + i, 16));
    m2 = f32x4.pmax(m2, v128.load(x + i, 32));
    m3 = f32x4.pmax(m3, v128.load(x + i, 48));
  }
  for (; i < n16; i += 16) m0 = f32x4.pmax(m0, v128.load(x + i));
  let m = hmax(f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3)));
  for (; i < nb; i += 4) m = max<f32>(m, load<f32>(x + i));
  return m;
}

/**
 * Passes 2 and 3 of a row softmax whose max m is known (the attention kernel finds it while scaling and masking
 * the scores): e = exp(x - m), sum, then y = e / sum (log: y = x - m - log(sum)). y may equal x. Returns the sum.
 * For the attention kernel: `scaled` takes e = exp((x - m) * scale) (scores not yet scaled, scale > 0), and
 * `normalize` = false stops after pass 2 (y = e; the caller divides the product P·V by the sum instead).
 */
@inline export function softmax_row_max(x: usize, y: usize, n: i32, m: f32, log: bool, scale: f32 = 1, scaled: bool = false, normalize: bool = true): f32 {
  const n16 = <usize>(n & ~3) << 2;
  // pass 2: e = exp(x - m), y = e (softmax only), sum
  const vm = f32x4.splat(m), vs = f32x4.splat(scale);
  const zero = f32x4.splat(0.0);
  let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
  let i: usize = 0;
  for (; i + 64 <= n16; i += 64) {
    const e0 = exp_nonpos_ftz_f32x4(shifted(v128.load(x + i), vm, vs, scaled));
    const e1 = exp_nonpos_ftz_f32x4(shifted(v128.load(x + i, 16), vm, vs, scaled));
    const e2 = exp_nonpos_ftz_f32x4(shifted(v128.load(x + i, 32), vm, vs, scaled));
    const e3 = exp_nonpos_ftz_f32x4(shifted(v128.load(x + i, 48), vm, vs, scaled));
    if (!log) {
      v128.store(y + i, e0); v128.store(y + i, e1, 16); v128.store(y + i, e2, 32); v128.store(y + i, e3, 48);
    }
    s0 = f32x4.add(s0, e0); s1 = f32x4.add(s1, e1); s2 = f32x4.add(s2, e2); s3 = f32x4.add(s3, e3);
  }
  for (; i < n16; i += 16) {
    const e = exp_nonpos_ftz_f32x4(shifted(v128.load(x + i), vm, vs, scaled));
    if (!log) v128.store(y + i, e);
    s0 = f32x4.add(s0, e);
  }
  const r = n & 3;
  if (r) {
    // unused lanes hold exp(0 - m): zero them before summing
    const live = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(r));
    const e = v128.and(exp_nonpos_ftz_f32x4(shifted(load_partial(x + i, r), vm, vs, scaled)), live);
    if (!log) store_partial(y + i, e, r);
    s1 = f32x4.add(s1, e);
  }
  const sum = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  if (!normalize) return sum;
  // pass 3
  i = 0;
  if (log) {
    const vls = f32x4.splat(log_f32(sum));
    for (; i < n16; i += 16) v128.store(y + i, f32x4.sub(f32x4.sub(v128.load(x + i), vm), vls));
    if (r) store_partial(y + i, f32x4.sub(f32x4.sub(load_partial(x + i, r), vm), vls), r);
  } else {
    const c = f32x4.splat(1.0 / sum);
    for (; i + 32 <= n16; i += 32) {
      v128.store(y + i, f32x4.mul(v128.load(y + i), c));
      v128.store(y + i, f32x4.mul(v128.load(y + i, 16), c), 16);
    }
    for (; i < n16; i += 16) v128.store(y + i, f32x4.mul(v128.load(y + i), c));
    if (r) store_partial(y + i, f32x4.mul(load_partial(y + i, r), c), r);
  }
  return sum;
}

/** x - m, or (x - m) * scale. */
@inline function shifted(x: v128, vm: v128, vs: v128, scaled: bool): v128 {
  const d = f32x4.sub(x, vm);
  return scaled ? f32x4.mul(d, vs) : d;
}

/** Four adjacent columns (16 floats) at x, y, down n rows of `stride` bytes (inner > 1). */
@inline function softmax_cols16(x: usize, y: usize, n: i32, stride: usize, log: bool): void {
  const ninf = f32x4.splat(-Infinity);
  let m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
  let p = x;
  for (let a = 0; a < n; a++, p += stride) {
    m0 = f32x4.pmax(m0, v128.load(p));
    m1 = f32x4.pmax(m1, v128.load(p, 16));
    m2 = f32x4.pmax(m2, v128.load(p, 32));
    m3 = f32x4.pmax(m3, v128.load(p, 48));
  }
  const zero = f32x4.splat(0.0);
  let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
  p = x;
  let q = y;
  for (let a = 0; a < n; a++, p += stride, q += stride) {
    const e0 = exp_nonpos_ftz_f32x4(f32x4.sub(v128.load(p), m0));
    const e1 = exp_nonpos_ftz_f32x4(f32x4.sub(v128.load(p, 16), m1));
    const e2 = exp_nonpos_ftz_f32x4(f32x4.sub(v128.load(p, 32), m2));
    const e3 = exp_nonpos_ftz_f32x4(f32x4.sub(v128.load(p, 48), m3));
    if (!log) {
      v128.store(q, e0); v128.store(q, e1, 16); v128.store(q, e2, 32); v128.store(q, e3, 48);
    }
    s0 = f32x4.add(s0, e0); s1 = f32x4.add(s1, e1); s2 = f32x4.add(s2, e2); s3 = f32x4.add(s3, e3);
  }
  p = x; q = y;
  if (log) {
    // y = (x - m) - log(sum)
    const l0 = log_f32x4(s0), l1 = log_f32x4(s1), l2 = log_f32x4(s2), l3 = log_f32x4(s3);
    for (let a = 0; a < n; a++, p += stride, q += stride) {
      v128.store(q, f32x4.sub(f32x4.sub(v128.load(p), m0), l0));
      v128.store(q, f32x4.sub(f32x4.sub(v128.load(p, 16), m1), l1), 16);
      v128.store(q, f32x4.sub(f32x4.sub(v128.load(p, 32), m2), l2), 32);
      v128.store(q, f32x4.sub(f32x4.sub(v128.load(p, 48), m3), l3), 48);
    }
  } else {
    const one = f32x4.splat(1.0);
    const c0 = f32x4.div(one, s0), c1 = f32x4.div(one, s1), c2 = f32x4.div(one, s2), c3 = f32x4.div(one, s3);
    for (let a = 0; a < n; a++, q += stride) {
      v128.store(q, f32x4.mul(v128.load(q), c0));
      v128.store(q, f32x4.mul(v128.load(q, 16), c1), 16);
      v128.store(q, f32x4.mul(v128.load(q, 32), c2), 32);
      v128.store(q, f32x4.mul(v128.load(q, 48), c3), 48);
    }
  }
}

/** r (1..4) adjacent columns at x, y, down n rows of `stride` bytes (inner > 1). */
@inline function softmax_cols(x: usize, y: usize, n: i32, stride: usize, r: i32, log: bool): void {
  let m = f32x4.splat(-Infinity);
  let p = x;
  for (let a = 0; a < n; a++, p += stride) m = f32x4.pmax(m, r == 4 ? v128.load(p) : load_partial(p, r));
  let s = f32x4.splat(0.0);
  p = x;
  let q = y;
  for (let a = 0; a < n; a++, p += stride, q += stride) {
    const e = exp_nonpos_ftz_f32x4(f32x4.sub(r == 4 ? v128.load(p) : load_partial(p, r), m));
    if (!log) {
      if (r == 4) v128.store(q, e); else store_partial(q, e, r);
    }
    s = f32x4.add(s, e);
  }
  p = x; q = y;
  if (log) {
    const l = log_f32x4(s);
    for (let a = 0; a < n; a++, p += stride, q += stride) {
      const v = f32x4.sub(f32x4.sub(r == 4 ? v128.load(p) : load_partial(p, r), m), l);
      if (r == 4) v128.store(q, v); else store_partial(q, v, r);
    }
  } else {
    const c = f32x4.div(f32x4.splat(1.0), s);
    for (let a = 0; a < n; a++, q += stride) {
      if (r == 4) v128.store(q, f32x4.mul(v128.load(q), c));
      else store_partial(q, f32x4.mul(load_partial(q, r), c), r);
    }
  }
}

@inline function softmax_all(outer: i32, n: i32, inner: i32, x: usize, y: usize, log: bool): void {
  if (inner == 1) {
    const rowBytes = <usize>n << 2;
    for (let o = 0; o < outer; o++) softmax_row(x + <usize>o * rowBytes, y + <usize>o * rowBytes, n, log);
    return;
  }
  const stride = <usize>inner << 2;
  const slab = stride * <usize>n;
  for (let o = 0; o < outer; o++) {
    const xo = x + <usize>o * slab, yo = y + <usize>o * slab;
    let i = 0;
    for (; i + 16 <= inner; i += 16) softmax_cols16(xo + (<usize>i << 2), yo + (<usize>i << 2), n, stride, log);
    for (; i + 4 <= inner; i += 4) softmax_cols(xo + (<usize>i << 2), yo + (<usize>i << 2), n, stride, 4, log);
    const r = inner - i;
    if (r) softmax_cols(xo + (<usize>i << 2), yo + (<usize>i << 2), n, stride, r, log);
  }
}

/**
 * Softmax (log = 0) or log-softmax (log = 1) of x[outer][axis_len][inner] over axis_len, into y (same shape).
 * y may equal x.
 */
export function f32_softmax(outer: i32, axis_len: i32, inner: i32, x: usize, y: usize, log: i32): void {
  if (outer <= 0 || axis_len <= 0 || inner <= 0) return;
  if (log) softmax_all(outer, axis_len, inner, x, y, true);
  else softmax_all(outer, axis_len, inner, x, y, false);
}
