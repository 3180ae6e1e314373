// Layer normalisation of contiguous rows, one fused pass per step:
//   mean = sum(x) / n, var = sum((x - mean)^2) / n (biased, as ONNX and PyTorch), y = (x - mean) * rstd * scale + bias
// with rstd = 1 / sqrt(var + eps). The variance is taken around the mean (a second pass over the row, which is in
// L1) rather than as E[x^2] - mean^2, which cancels catastrophically when the mean is large against the spread.
// Four accumulators hide the add latency; a 1..3 float tail goes through a zeroed partial vector, masked where
// the zeros would count.
import { madd } from "../math/madd";
import { hsum, load_partial, store_partial } from "../util/lanes";

@inline function layernorm_row(x: usize, y: usize, n: i32, scale: usize, bias: usize, eps: f32, hasScale: bool, hasBias: bool): void {
  const n4 = <usize>(n & ~3) << 2;
  const r = n & 3;
  const z = f32x4.splat(0);
  // pass 1: the mean
  let s0 = z, s1 = z, s2 = z, s3 = z;
  let i: usize = 0;
  for (; i + 64 <= n4; i += 64) {
    s0 = f32x4.add(s0, v128.load(x + i)); s1 = f32x4.add(s1, v128.load(x + i, 16));
    s2 = f32x4.add(s2, v128.load(x + i, 32)); s3 = f32x4.add(s3, v128.load(x + i, 48));
  }
  for (; i < n4; i += 16) s0 = f32x4.add(s0, v128.load(x + i));
  if (r) s1 = f32x4.add(s1, load_partial(x + i, r));
  const mean = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3))) / <f32>n;
  const vm = f32x4.splat(mean);
  // pass 2: the variance around it
  s0 = z; s1 = z; s2 = z; s3 = z;
  i = 0;
  for (; i + 64 <= n4; i += 64) {
    const d0 = f32x4.sub(v128.load(x + i), vm), d1 = f32x4.sub(v128.load(x + i, 16), vm);
    const d2 = f32x4.sub(v128.load(x + i, 32), vm), d3 = f32x4.sub(v128.load(x + i, 48), vm);
    s0 = madd(d0, d0, s0); s1 = madd(d1, d1, s1); s2 = madd(d2, d2, s2); s3 = madd(d3, d3, s3);
  }
  for (; i < n4; i += 16) {
    const d = f32x4.sub(v128.load(x + i), vm);
    s0 = madd(d, d, s0);
  }
  if (r) {
    // the zeroed lanes would add mean^2 each: keep the live ones only
    const live = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(r));
    const d = v128.and(f32x4.sub(load_partial(x + i, r), vm), live);
    s1 = madd(d, d, s1);
  }
  const variance = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3))) / <f32>n;
  const vr = f32x4.splat(<f32>1.0 / sqrt<f32>(variance + eps));
  // pass 3: normalise, scale, shift
  i = 0;
  for (; i < n4; i += 16) {
    let t = f32x4.mul(f32x4.sub(v128.load(x + i), vm), vr);
    if (hasScale) t = f32x4.mul(t, v128.load(scale + i));
    if (hasBias) t = f32x4.add(t, v128.load(bias + i));
    v128.store(y + i, t);
  }
  if (r) {
    let t = f32x4.mul(f32x4.sub(load_partial(x + i, r), vm), vr);
    if (hasScale) t = f32x4.mul(t, load_partial(scale + i, r));
    if (hasBias) t = f32x4.add(t, load_partial(bias + i, r));
    store_partial(y + i, t, r);
  }
}

@inline function layernorm_rows(rows: i32, n: i32, x: usize, scale: usize, bias: usize, eps: f32, y: usize, hasScale: bool, hasBias: bool): void {
  const rb = <usize>n << 2;
  for (let o = 0; o < rows; o++) layernorm_row(x + <usize>o * rb, y + <usize>o * rb, n, scale, bias, eps, hasScale, hasBias);
}

/**
 * y[o][j] = (x[o][j] - mean_o) / sqrt(var_o + eps) * scale[j] + bias[j] over rows of n contiguous floats.
 * scale = 0: ones; bias = 0: zeros. y may equal x. n = 0 does nothing.
 */
export function f32_layernorm(rows: i32, n: i32, x: usize, scale: usize, bias: usize, eps: f32, y: usize): void {
  if (rows <= 0 || n <= 0) return;
  // One body per case: no test in the loops.
  if (scale != 0 && bias != 0) layernorm_rows(rows, n, x, scale, bias, eps, y, true, true);
  else if (scale != 0) layernorm_rows(rows, n, x, scale, bias, eps, y, true, false);
  else if (bias != 0) layernorm_rows(rows, n, x, scale, bias, eps, y, false, true);
  else layernorm_rows(rows, n, x, scale, bias, eps, y, false, false);
}
