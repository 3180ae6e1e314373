// Element-wise binary kernels with NumPy broadcasting: out[i...] = op(a[i...], b[i...]).
//
// The operands are described by the output shape and per-operand element strides (0 = broadcast dimension;
// negative strides work too). The kernel first simplifies the problem: size-1 dimensions are dropped and
// neighbouring dimensions that are contiguous for both operands are merged, so "same shape, contiguous" becomes
// one flat row and "[N, C] + [C]" becomes N rows of a vector-vector op. Then an odometer walks the outer
// dimensions and one of five row kernels runs the innermost one:
//   vv  both operands contiguous           vs / sv  one operand contiguous, the other a scalar for the row
//   ss  both scalars for the row (fill)    gather   any other strides (lanes gathered, out still stored as v128)
// Every row kernel and every tail uses the same f32x4 operation, so a lane gives the same bits whichever path it
// takes. max/min propagate NaN (f32x4.max/min semantics; max(-0, +0) = +0). pow is Mathf.pow per lane, with
// vector fast paths for a scalar exponent 0, 1, 2, 0.5 and -1 (the same special cases Mathf.pow takes).
// out may alias a or b when that operand is contiguous and not broadcast (every element is read before its
// output is written).
import { load_partial, store_partial } from "../util/lanes";

/** Binary op codes (mirrored in bindings/wasm/kernels.ts). */
export enum BinaryOp {
  Add = 0,
  Sub = 1,
  Mul = 2,
  Div = 3,
  Max = 4,
  Min = 5,
  Pow = 6,
}

/** Largest rank f32_binary accepts. */
export const BINARY_MAX_RANK: i32 = 8;

// Simplified problem (static scratch: kernels never allocate). Index 0 is the outermost dimension.
const DIM_N = memory.data(BINARY_MAX_RANK * 4);
const DIM_A = memory.data(BINARY_MAX_RANK * 4);
const DIM_B = memory.data(BINARY_MAX_RANK * 4);
const DIM_I = memory.data(BINARY_MAX_RANK * 4);

@inline function pow_lanes(a: v128, b: v128): v128 {
  let r = f32x4.splat(Mathf.pow(f32x4.extract_lane(a, 0), f32x4.extract_lane(b, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.pow(f32x4.extract_lane(a, 1), f32x4.extract_lane(b, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.pow(f32x4.extract_lane(a, 2), f32x4.extract_lane(b, 2)));
  return f32x4.replace_lane(r, 3, Mathf.pow(f32x4.extract_lane(a, 3), f32x4.extract_lane(b, 3)));
}

/** op on four lane pairs; `op` is a compile-time constant at every call site. */
@inline function apply(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case BinaryOp.Add: return f32x4.add(a, b);
    case BinaryOp.Sub: return f32x4.sub(a, b);
    case BinaryOp.Mul: return f32x4.mul(a, b);
    case BinaryOp.Div: return f32x4.div(a, b);
    case BinaryOp.Max: return f32x4.max(a, b);
    case BinaryOp.Min: return f32x4.min(a, b);
    default: return pow_lanes(a, b);
  }
}

// Which vector code computes pow(a, e) for a scalar exponent e: the special cases of Mathf.pow.
@lazy const POW_GENERAL: i32 = 0;
@lazy const POW_ZERO: i32 = 1;
@lazy const POW_ONE: i32 = 2;
@lazy const POW_TWO: i32 = 3;
@lazy const POW_HALF: i32 = 4;
@lazy const POW_MINUS_ONE: i32 = 5;

@inline function pow_kind(e: f32): i32 {
  if (e == 0) return POW_ZERO;
  if (e == 1) return POW_ONE;
  if (e == 2) return POW_TWO;
  if (e == 0.5) return POW_HALF;
  if (e == -1) return POW_MINUS_ONE;
  return POW_GENERAL;
}

@inline function pow_special(kind: i32, a: v128, e: v128): v128 {
  switch (kind) {
    case POW_ZERO: return f32x4.splat(1.0);
    case POW_ONE: return a;
    case POW_TWO: return f32x4.mul(a, a);
    case POW_HALF: // |sqrt(a)|, and pow(-Inf, 0.5) = +Inf
      return v128.bitselect(f32x4.splat(Infinity), f32x4.abs(f32x4.sqrt(a)), f32x4.eq(a, f32x4.splat(-Infinity)));
    case POW_MINUS_ONE: return f32x4.div(f32x4.splat(1.0), a);
    default: return pow_lanes(a, e);
  }
}

// ---- row kernels: n outputs at out (contiguous) -------------------------------------------------------------

@inline function row_vv(op: i32, n: i32, a: usize, b: usize, out: usize): void {
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i + 32 <= n4; i += 32) {
    const v0 = apply(op, v128.load(a + i), v128.load(b + i));
    const v1 = apply(op, v128.load(a + i, 16), v128.load(b + i, 16));
    v128.store(out + i, v0);
    v128.store(out + i, v1, 16);
  }
  for (; i < n4; i += 16) v128.store(out + i, apply(op, v128.load(a + i), v128.load(b + i)));
  const r = n & 3;
  if (r) store_partial(out + i, apply(op, load_partial(a + i, r), load_partial(b + i, r)), r);
}

/** a contiguous, b one scalar for the row (bIsScalar = false: a is the scalar, b contiguous). */
@inline function row_vs(op: i32, n: i32, v: usize, s: usize, out: usize, scalarIsB: bool): void {
  const sv = v128.load32_splat(s);
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = 0;
  if (op == BinaryOp.Pow && scalarIsB) {
    const kind = pow_kind(f32x4.extract_lane(sv, 0));
    if (kind != POW_GENERAL) {
      for (; i < n4; i += 16) v128.store(out + i, pow_special(kind, v128.load(v + i), sv));
      const r = n & 3;
      if (r) store_partial(out + i, pow_special(kind, load_partial(v + i, r), sv), r);
      return;
    }
  }
  for (; i + 32 <= n4; i += 32) {
    const x0 = v128.load(v + i), x1 = v128.load(v + i, 16);
    v128.store(out + i, scalarIsB ? apply(op, x0, sv) : apply(op, sv, x0));
    v128.store(out + i, scalarIsB ? apply(op, x1, sv) : apply(op, sv, x1), 16);
  }
  for (; i < n4; i += 16) {
    const x = v128.load(v + i);
    v128.store(out + i, scalarIsB ? apply(op, x, sv) : apply(op, sv, x));
  }
  const r = n & 3;
  if (r) {
    const x = load_partial(v + i, r);
    store_partial(out + i, scalarIsB ? apply(op, x, sv) : apply(op, sv, x), r);
  }
}

@inline function row_ss(op: i32, n: i32, a: usize, b: usize, out: usize): void {
  const y = apply(op, v128.load32_splat(a), v128.load32_splat(b));
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < n4; i += 16) v128.store(out + i, y);
  const r = n & 3;
  if (r) store_partial(out + i, y, r);
}

/** Four elements of a strided operand, starting at p (byte stride sb); lanes past `count` stay zero. */
@inline function gather(p: usize, sb: isize, count: i32): v128 {
  let v = v128.load32_zero(p);
  if (count > 1) v = v128.load32_lane(p + sb, v, 1);
  if (count > 2) v = v128.load32_lane(p + 2 * sb, v, 2);
  if (count > 3) v = v128.load32_lane(p + 3 * sb, v, 3);
  return v;
}

@inline function row_gather(op: i32, n: i32, a: usize, sa: isize, b: usize, sb: isize, out: usize): void {
  const bsa = sa << 2, bsb = sb << 2;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(out, apply(op, gather(a, bsa, 4), gather(b, bsb, 4)));
    a += 4 * bsa; b += 4 * bsb; out += 16;
  }
  const r = n - i;
  if (r) store_partial(out, apply(op, gather(a, bsa, r), gather(b, bsb, r)), r);
}

// ---- driver ---------------------------------------------------------------------------------------------------

@lazy const ROW_VV: i32 = 0;
@lazy const ROW_VS: i32 = 1;
@lazy const ROW_SV: i32 = 2;
@lazy const ROW_SS: i32 = 3;
@lazy const ROW_GATHER: i32 = 4;

@inline function drive(op: i32, dims: i32, a: usize, b: usize, out: usize): void {
  const last = <usize>(dims - 1) << 2;
  const n = load<i32>(DIM_N + last);
  const sa = load<i32>(DIM_A + last), sb = load<i32>(DIM_B + last);
  const kind = sa == 1 ? (sb == 1 ? ROW_VV : sb == 0 ? ROW_VS : ROW_GATHER)
    : sa == 0 ? (sb == 1 ? ROW_SV : sb == 0 ? ROW_SS : ROW_GATHER) : ROW_GATHER;
  let rows = 1;
  for (let d = 0; d < dims - 1; d++) {
    rows *= load<i32>(DIM_N + (<usize>d << 2));
    store<i32>(DIM_I + (<usize>d << 2), 0);
  }
  let oa: isize = 0, ob: isize = 0;
  const rowBytes = <usize>n << 2;
  for (let row = 0; row < rows; row++) {
    const pa = a + (oa << 2), pb = b + (ob << 2);
    switch (kind) {
      case ROW_VV: row_vv(op, n, pa, pb, out); break;
      case ROW_VS: row_vs(op, n, pa, pb, out, true); break;
      case ROW_SV: row_vs(op, n, pb, pa, out, false); break;
      case ROW_SS: row_ss(op, n, pa, pb, out); break;
      default: row_gather(op, n, pa, sa, pb, sb, out);
    }
    out += rowBytes;
    // odometer over the outer dimensions
    for (let d = dims - 2; d >= 0; d--) {
      const o = <usize>d << 2;
      const idx = load<i32>(DIM_I + o) + 1;
      const da = load<i32>(DIM_A + o), db = load<i32>(DIM_B + o);
      oa += da; ob += db;
      if (idx < load<i32>(DIM_N + o)) { store<i32>(DIM_I + o, idx); break; }
      store<i32>(DIM_I + o, 0);
      oa -= <isize>da * idx; ob -= <isize>db * idx;
    }
  }
}

/**
 * out = op(a, b) with NumPy broadcasting (docs/kernels.md). out_shape, a_strides and b_strides are i32[rank]
 * (element strides, 0 for a broadcast dimension); out is contiguous. rank 0 is one element; rank <= 8.
 * out may equal a or b when that operand is contiguous and not broadcast.
 */
export function f32_binary(op: i32, rank: i32, out_shape: usize, a: usize, a_strides: usize, b: usize,
  b_strides: usize, out: usize): void {
  if (<u32>rank > <u32>BINARY_MAX_RANK) unreachable(); // static scratch holds 8 dimensions
  // Simplify: drop size-1 dimensions, merge neighbours that are contiguous for both operands.
  let dims = 0;
  for (let d = 0; d < rank; d++) {
    const o = <usize>d << 2;
    const n = load<i32>(out_shape + o);
    if (n <= 0) return; // empty output
    if (n == 1) continue;
    const sa = load<i32>(a_strides + o), sb = load<i32>(b_strides + o);
    if (dims > 0) {
      const p = <usize>(dims - 1) << 2;
      if (load<i32>(DIM_A + p) == sa * n && load<i32>(DIM_B + p) == sb * n) {
        store<i32>(DIM_N + p, load<i32>(DIM_N + p) * n);
        store<i32>(DIM_A + p, sa);
        store<i32>(DIM_B + p, sb);
        continue;
      }
    }
    const q = <usize>dims << 2;
    store<i32>(DIM_N + q, n);
    store<i32>(DIM_A + q, sa);
    store<i32>(DIM_B + q, sb);
    dims++;
  }
  if (dims == 0) { // a single element
    store<i32>(DIM_N, 1); store<i32>(DIM_A, 1); store<i32>(DIM_B, 1);
    dims = 1;
  }
  switch (op) {
    case BinaryOp.Add: drive(BinaryOp.Add, dims, a, b, out); break;
    case BinaryOp.Sub: drive(BinaryOp.Sub, dims, a, b, out); break;
    case BinaryOp.Mul: drive(BinaryOp.Mul, dims, a, b, out); break;
    case BinaryOp.Div: drive(BinaryOp.Div, dims, a, b, out); break;
    case BinaryOp.Max: drive(BinaryOp.Max, dims, a, b, out); break;
    case BinaryOp.Min: drive(BinaryOp.Min, dims, a, b, out); break;
    case BinaryOp.Pow: drive(BinaryOp.Pow, dims, a, b, out); break;
    default: assert(false, "f32_binary: unknown op");
  }
}
