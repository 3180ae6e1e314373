// Element-wise kernels without SIMD (docs/kernels.md, "Element-wise"): the op codes of assembly/eltwise/, the
// transcendental ones through f64 (scalar/math.ts).
import { clampf, ld, ldi, max_skip_nan, st } from "./mem";
import { erf64, gated, gelu64, gelu_tanh64, sigmoid64, softplus64 } from "./math";

@inline function unary_op(op: i32, v: f32, alpha: f32, beta: f32): f32 {
  const x = <f64>v;
  switch (op) {
    case 1: return v < 0 ? 0 : v; // relu (pmax: NaN passes through)
    case 2: return clampf(v, alpha, beta);
    case 3: return v < 0 ? v * alpha : v;
    case 4: return <f32>sigmoid64(x);
    case 5: return <f32>Math.tanh(x);
    case 6: return <f32>gelu64(x);
    case 7: return <f32>gelu_tanh64(x);
    case 8: return <f32>gated(x, sigmoid64(x));
    case 9: return clampf(v * alpha + beta, 0, 1);
    case 10: { const xc = v < -4 ? <f32>-4 : v; return xc * clampf(xc * <f32>(1.0 / 6.0) + 0.5, 0, 1); }
    case 11: return <f32>Math.exp(x);
    case 12: return v < 0 ? <f32>(<f64>alpha * Math.expm1(x)) : v;
    case 13: return -v;
    case 14: return abs(v);
    case 15: return sqrt(v);
    case 16: return <f32>Math.log(x);
    case 17: return <f32>softplus64(x);
    case 18: return <f32>erf64(x);
    case 19: return <f32>1 / v;
    default: return v;
  }
}

/** y[i] = op(x[i]); in place allowed; unknown codes copy. */
export function f32_unary(op: i32, x: usize, y: usize, n: i32, alpha: f32, beta: f32): void {
  for (let i = 0; i < n; i++) st(y, i, unary_op(op, ld(x, i), alpha, beta));
}

@inline function binary_op(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return max(a, b); // f32.max: NaN propagates, as f32x4.max
    case 5: return min(a, b);
    default: return Mathf.pow(a, b);
  }
}

// A row-major walk over an index space of rank <= 8 (the SIMD kernels' limit): IDX holds the current index.
const IDX = memory.data(8 * 4);

/** Elements of the space (0 if a dimension is empty); resets IDX to the first index. */
function start(rank: i32, shape: usize): i32 {
  let total = 1;
  for (let d = 0; d < rank; d++) { total *= ldi(shape, d); store<i32>(IDX + (<usize>d << 2), 0); }
  return total;
}
/** Moves IDX to the next index in row-major order. */
function advance(rank: i32, shape: usize): void {
  for (let d = rank - 1; d >= 0; d--) {
    const i = ldi(IDX, d) + 1;
    if (i < ldi(shape, d)) { store<i32>(IDX + (<usize>d << 2), i); return; }
    store<i32>(IDX + (<usize>d << 2), 0);
  }
}
/** Element offset of IDX under `strides` (i32[rank], any sign). */
function offset(rank: i32, strides: usize): i32 {
  let o = 0;
  for (let d = 0; d < rank; d++) o += ldi(IDX, d) * ldi(strides, d);
  return o;
}

/** NumPy broadcasting by strides (0 = broadcast); out contiguous. out may equal a contiguous, unbroadcast operand. */
export function f32_binary(op: i32, rank: i32, out_shape: usize, a: usize, a_strides: usize, b: usize, b_strides: usize, out: usize): void {
  const total = start(rank, out_shape);
  for (let e = 0; e < total; e++) {
    st(out, e, binary_op(op, ld(a, offset(rank, a_strides)), ld(b, offset(rank, b_strides))));
    advance(rank, out_shape);
  }
}

/** dst[i...] = src[i...] for 4-byte elements (bits moved, not converted); rank 0 copies one element. */
export function copy_strided32(rank: i32, shape: usize, src: usize, src_strides: usize, dst: usize, dst_strides: usize): void {
  const total = start(rank, shape);
  for (let e = 0; e < total; e++) {
    store<i32>(dst + (<usize>offset(rank, dst_strides) << 2), load<i32>(src + (<usize>offset(rank, src_strides) << 2)));
    advance(rank, shape);
  }
}

export function fill32(dst: usize, n: i32, bits: i32): void {
  for (let i = 0; i < n; i++) store<i32>(dst + (<usize>i << 2), bits);
}

/** Softmax (log = 0) or log-softmax over the middle axis of x[outer][axis_len][inner]; y may equal x. */
export function f32_softmax(outer: i32, axis_len: i32, inner: i32, x: usize, y: usize, log: i32): void {
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    const base = o * axis_len * inner + i;
    let m: f32 = -Infinity;
    for (let a = 0; a < axis_len; a++) m = max_skip_nan(m, ld(x, base + a * inner));
    let sum: f64 = 0;
    for (let a = 0; a < axis_len; a++) sum += Math.exp(<f64>(ld(x, base + a * inner) - m));
    const lsum = Math.log(sum);
    for (let a = 0; a < axis_len; a++) {
      const d = <f64>(ld(x, base + a * inner) - m);
      st(y, base + a * inner, <f32>(log != 0 ? d - lsum : Math.exp(d) / sum));
    }
  }
}


/** y[o][i] = sum (0) / mean (1) / max (2) over a < n of x[o][a][i]. Mean is the sum times 1/n rounded to f32. */
export function f32_reduce(op: i32, outer: i32, n: i32, inner: i32, x: usize, y: usize): void {
  const inv = <f32>1 / <f32>n;
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    let r: f32 = op == 2 ? -Infinity : 0;
    for (let a = 0; a < n; a++) {
      const v = ld(x, (o * n + a) * inner + i);
      r = op == 2 ? max_skip_nan(r, v) : r + v;
    }
    st(y, o * inner + i, op == 1 ? r * inv : r);
  }
}
