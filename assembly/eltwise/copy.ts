// Strided copies of 4-byte elements (f32 or i32: bits are moved, never converted) and fill.
//
// copy_strided32 implements transpose, slice (with steps, negative strides), concat, split, pad, expand and
// flip: the graph layer plans them as dst[i...] = src[i...] over one index space with per-side element strides.
// The kernel simplifies the problem first:
//   - size-1 dimensions are dropped; a dimension with dst stride 0 keeps only its last index (what a row-major
//     loop leaves in memory);
//   - dimensions are ordered by |dst stride| (largest outermost), so writes are as sequential as possible;
//   - neighbouring dimensions contiguous on both sides are merged (a plain copy becomes one flat row).
// Then an odometer walks the outer dimensions and the innermost one runs one of these row kernels:
//   contiguous (memory.copy / v128), fill (src stride 0), reverse (src stride -1), gather (dst stride 1),
//   scatter (src stride 1), scalar (anything else).
// When the innermost dimension is contiguous in dst but strided in src, and another dimension is contiguous in
// src (a 2-D transpose such as NCHW <-> NHWC), that dimension becomes the second innermost and the pair is
// copied in 4x4 register blocks (four v128 loads, eight shuffles, four v128 stores).
// src and dst must not overlap, and dst must not write one element twice except through stride-0 dimensions.
import { load_partial, store_partial } from "../util/lanes";

/** Largest rank copy_strided32 accepts. */
export const COPY_MAX_RANK: i32 = 8;

const DIM_N = memory.data(COPY_MAX_RANK * 4); // sizes, outermost first
const DIM_S = memory.data(COPY_MAX_RANK * 4); // src element strides
const DIM_D = memory.data(COPY_MAX_RANK * 4); // dst element strides
const DIM_I = memory.data(COPY_MAX_RANK * 4); // odometer

@inline function getN(d: i32): i32 { return load<i32>(DIM_N + (<usize>d << 2)); }
@inline function getS(d: i32): i32 { return load<i32>(DIM_S + (<usize>d << 2)); }
@inline function getD(d: i32): i32 { return load<i32>(DIM_D + (<usize>d << 2)); }
@inline function setDim(d: i32, n: i32, s: i32, t: i32): void {
  const o = <usize>d << 2;
  store<i32>(DIM_N + o, n);
  store<i32>(DIM_S + o, s);
  store<i32>(DIM_D + o, t);
}

/** Element pointer: base + 4 * off for a signed element offset. */
@inline function at(base: usize, off: isize): usize {
  return base + (<usize>off << 2);
}

// ---- row kernels: n elements ---------------------------------------------------------------------------------

@inline function row_contiguous(n: i32, src: usize, dst: usize): void {
  if (n >= 32) {
    memory.copy(dst, src, <usize>n << 2);
    return;
  }
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < n4; i += 16) v128.store(dst + i, v128.load(src + i));
  const r = n & 3;
  if (r) store_partial(dst + i, load_partial(src + i, r), r);
}

@inline function row_fill(n: i32, v: v128, dst: usize): void {
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = 0;
  for (; i < n4; i += 16) v128.store(dst + i, v);
  const r = n & 3;
  if (r) store_partial(dst + i, v, r);
}

/** dst[j] = src[-j] (src points at the first element read, the highest address). */
@inline function row_reverse(n: i32, src: usize, dst: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(src - 12);
    v128.store(dst, i32x4.shuffle(v, v, 3, 2, 1, 0));
    src -= 16; dst += 16;
  }
  for (; i < n; i++) {
    store<u32>(dst, load<u32>(src));
    src -= 4; dst += 4;
  }
}

/** dst contiguous, src stride s (bytes bs). */
@inline function row_gather(n: i32, src: usize, bs: usize, dst: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let v = v128.load32_zero(src);
    v = v128.load32_lane(src + bs, v, 1);
    v = v128.load32_lane(src + 2 * bs, v, 2);
    v = v128.load32_lane(src + 3 * bs, v, 3);
    v128.store(dst, v);
    src += 4 * bs; dst += 16;
  }
  for (; i < n; i++) {
    store<u32>(dst, load<u32>(src));
    src += bs; dst += 4;
  }
}

/** src contiguous, dst stride (bytes bd). */
@inline function row_scatter(n: i32, src: usize, dst: usize, bd: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(src);
    v128.store32_lane(dst, v, 0);
    v128.store32_lane(dst + bd, v, 1);
    v128.store32_lane(dst + 2 * bd, v, 2);
    v128.store32_lane(dst + 3 * bd, v, 3);
    src += 16; dst += 4 * bd;
  }
  for (; i < n; i++) {
    store<u32>(dst, load<u32>(src));
    src += 4; dst += bd;
  }
}

@inline function row_strided(n: i32, src: usize, bs: usize, dst: usize, bd: usize): void {
  for (let i = 0; i < n; i++) {
    store<u32>(dst, load<u32>(src));
    src += bs; dst += bd;
  }
}

// ---- 2-D transpose -----------------------------------------------------------------------------------------

/**
 * A block of r x c elements (r, c <= 4): element (i, j) is read at src + 4*(i + j*sc) and written at
 * dst + 4*(i*dr + j). Columns of the block are loaded as vectors (contiguous in src), transposed, and stored
 * as rows (contiguous in dst).
 */
@inline function block4x4(src: usize, bsc: usize, dst: usize, bdr: usize, r: i32, c: i32): void {
  const full = r == 4;
  const zero = i32x4.splat(0);
  const v0 = full ? v128.load(src) : load_partial(src, r);
  const v1 = c > 1 ? (full ? v128.load(src + bsc) : load_partial(src + bsc, r)) : zero;
  const v2 = c > 2 ? (full ? v128.load(src + 2 * bsc) : load_partial(src + 2 * bsc, r)) : zero;
  const v3 = c > 3 ? (full ? v128.load(src + 3 * bsc) : load_partial(src + 3 * bsc, r)) : zero;
  const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
  const w0 = i32x4.shuffle(t0, t1, 0, 1, 4, 5);
  const w1 = i32x4.shuffle(t0, t1, 2, 3, 6, 7);
  const w2 = i32x4.shuffle(t2, t3, 0, 1, 4, 5);
  const w3 = i32x4.shuffle(t2, t3, 2, 3, 6, 7);
  if (c == 4) {
    v128.store(dst, w0);
    if (r > 1) v128.store(dst + bdr, w1);
    if (r > 2) v128.store(dst + 2 * bdr, w2);
    if (r > 3) v128.store(dst + 3 * bdr, w3);
  } else {
    store_partial(dst, w0, c);
    if (r > 1) store_partial(dst + bdr, w1, c);
    if (r > 2) store_partial(dst + 2 * bdr, w2, c);
    if (r > 3) store_partial(dst + 3 * bdr, w3, c);
  }
}

/**
 * rows x cols: element (i, j) from src + 4*(i + j*sc) to dst + 4*(i*dr + j).
 * Rows go in tiles of 16: for each group of 4 columns the tile reads 64 contiguous bytes (one cache line) from
 * each source column, so a line is used up at once even when the column stride is a large power of two (which
 * would otherwise evict it, all columns mapping to the same cache set, before the next 4 rows come back to it).
 */
function transpose2d(rows: i32, cols: i32, src: usize, sc: isize, dst: usize, dr: isize): void {
  const bsc = <usize>sc << 2, bdr = <usize>dr << 2;
  const c4 = cols & ~3, cr = cols & 3;
  let i = 0;
  for (; i + 16 <= rows; i += 16) {
    let s = src + (<usize>i << 2), d = dst + <usize>i * bdr;
    const d4: usize = bdr << 2;
    for (let j = 0; j < c4; j += 4) {
      block4x4(s, bsc, d, bdr, 4, 4);
      block4x4(s + 16, bsc, d + d4, bdr, 4, 4);
      block4x4(s + 32, bsc, d + 2 * d4, bdr, 4, 4);
      block4x4(s + 48, bsc, d + 3 * d4, bdr, 4, 4);
      s += 4 * bsc; d += 16;
    }
    if (cr) {
      block4x4(s, bsc, d, bdr, 4, cr);
      block4x4(s + 16, bsc, d + d4, bdr, 4, cr);
      block4x4(s + 32, bsc, d + 2 * d4, bdr, 4, cr);
      block4x4(s + 48, bsc, d + 3 * d4, bdr, 4, cr);
    }
  }
  for (; i + 4 <= rows; i += 4) {
    let s = src + (<usize>i << 2), d = dst + <usize>i * bdr;
    for (let j = 0; j < c4; j += 4) {
      block4x4(s, bsc, d, bdr, 4, 4);
      s += 4 * bsc; d += 16;
    }
    if (cr) block4x4(s, bsc, d, bdr, 4, cr);
  }
  const rr = rows - i;
  if (rr) {
    let s = src + (<usize>i << 2), d = dst + <usize>i * bdr;
    for (let j = 0; j < c4; j += 4) {
      block4x4(s, bsc, d, bdr, rr, 4);
      s += 4 * bsc; d += 16;
    }
    if (cr) block4x4(s, bsc, d, bdr, rr, cr);
  }
}

// ---- driver ----------------------------------------------------------------------------------------------------

@lazy const ROW_CONTIGUOUS: i32 = 0;
@lazy const ROW_FILL: i32 = 1;
@lazy const ROW_REVERSE: i32 = 2;
@lazy const ROW_GATHER: i32 = 3;
@lazy const ROW_SCATTER: i32 = 4;
@lazy const ROW_STRIDED: i32 = 5;
@lazy const ROW_TRANSPOSE: i32 = 6;

/**
 * Copies the 4-byte elements of a rank-`rank` index space (shape: i32[rank]) from src to dst, element (i...)
 * being at src + 4 * sum(i_k * src_strides[k]) and dst + 4 * sum(i_k * dst_strides[k]). Strides are in elements
 * and may be negative or zero. rank 0 copies one element; rank <= 8.
 */
export function copy_strided32(rank: i32, shape: usize, src: usize, src_strides: usize, dst: usize,
  dst_strides: usize): void {
  if (<u32>rank > <u32>COPY_MAX_RANK) unreachable(); // static scratch holds 8 dimensions
  // 1. drop size-1 dimensions and dst-stride-0 dimensions (only their last index survives)
  let dims = 0;
  for (let k = 0; k < rank; k++) {
    const o = <usize>k << 2;
    const n = load<i32>(shape + o);
    if (n <= 0) return;
    const s = load<i32>(src_strides + o), t = load<i32>(dst_strides + o);
    if (t == 0) {
      src = at(src, <isize>s * (n - 1));
      continue;
    }
    if (n == 1) continue;
    setDim(dims++, n, s, t);
  }
  if (dims == 0) {
    store<u32>(dst, load<u32>(src));
    return;
  }
  // 2. order by |dst stride|, largest outermost (insertion sort: stable, at most 8 entries)
  for (let k = 1; k < dims; k++) {
    const n = getN(k), s = getS(k), t = getD(k);
    let j = k - 1;
    while (j >= 0 && abs(getD(j)) < abs(t)) {
      setDim(j + 1, getN(j), getS(j), getD(j));
      j--;
    }
    setDim(j + 1, n, s, t);
  }
  // 3. merge neighbours contiguous on both sides
  let m = 0;
  for (let k = 1; k < dims; k++) {
    const n = getN(k), s = getS(k), t = getD(k);
    if (getS(m) == s * n && getD(m) == t * n) setDim(m, getN(m) * n, s, t);
    else setDim(++m, n, s, t);
  }
  dims = m + 1;
  // 4. pick the row kernel for the innermost dimension
  const last = dims - 1;
  const n = getN(last), s = getS(last), t = getD(last);
  let kind = ROW_STRIDED;
  if (t == 1) {
    if (s == 1) kind = ROW_CONTIGUOUS;
    else if (s == 0) kind = ROW_FILL;
    else if (s == -1) kind = ROW_REVERSE;
    else {
      kind = ROW_GATHER;
      // a dimension contiguous in src makes this a 2-D transpose: move it next to the innermost
      for (let p = last - 1; p >= 0; p--) {
        if (getS(p) != 1) continue;
        const pn = getN(p), ps = getS(p), pt = getD(p);
        for (let q = p; q < last - 1; q++) setDim(q, getN(q + 1), getS(q + 1), getD(q + 1));
        setDim(last - 1, pn, ps, pt);
        kind = ROW_TRANSPOSE;
        break;
      }
    }
  } else if (s == 1) {
    kind = ROW_SCATTER;
  }
  // the transpose consumes two dimensions per call
  const outerDims = kind == ROW_TRANSPOSE ? dims - 2 : dims - 1;
  const rows = kind == ROW_TRANSPOSE ? getN(last - 1) : 0;
  const rowDst = kind == ROW_TRANSPOSE ? getD(last - 1) : 0;
  let count = 1;
  for (let k = 0; k < outerDims; k++) {
    count *= getN(k);
    store<i32>(DIM_I + (<usize>k << 2), 0);
  }
  const bs = <usize>s << 2, bt = <usize>t << 2;
  let os: isize = 0, od: isize = 0;
  for (let c = 0; c < count; c++) {
    const ps = at(src, os), pd = at(dst, od);
    switch (kind) {
      case ROW_CONTIGUOUS: row_contiguous(n, ps, pd); break;
      case ROW_FILL: row_fill(n, v128.load32_splat(ps), pd); break;
      case ROW_REVERSE: row_reverse(n, ps, pd); break;
      case ROW_GATHER: row_gather(n, ps, bs, pd); break;
      case ROW_SCATTER: row_scatter(n, ps, pd, bt); break;
      case ROW_TRANSPOSE: transpose2d(rows, n, ps, s, pd, rowDst); break;
      default: row_strided(n, ps, bs, pd, bt);
    }
    for (let k = outerDims - 1; k >= 0; k--) {
      const o = <usize>k << 2;
      const idx = load<i32>(DIM_I + o) + 1;
      const ds = load<i32>(DIM_S + o), dd = load<i32>(DIM_D + o);
      os += ds; od += dd;
      if (idx < load<i32>(DIM_N + o)) { store<i32>(DIM_I + o, idx); break; }
      store<i32>(DIM_I + o, 0);
      os -= <isize>ds * idx; od -= <isize>dd * idx;
    }
  }
}

/** dst[i] = bits for i < n (4-byte elements: pass the f32 bit pattern for floats). */
export function fill32(dst: usize, n: i32, bits: i32): void {
  if (n > 0) row_fill(n, i32x4.splat(bits), dst);
}
