// Scaled dot-product attention, one (batch, head) at a time, and within a head one block of query rows at a time
// (64 KB of scores, in L2 from the first product to the second), so at most one head's scores are ever held:
//   S = Q·Kᵀ                      packed GEMM (Kᵀ packed per head into scratch, 4x4 transposes)
//   P = softmax(S * scale + mask)  per row, in place; causal rows stop at the diagonal (the rest is 0)
//   O = P·V                        packed GEMM (V packed per head into scratch)
// The softmax's division is applied to O's rows (dv values) rather than to P's (skv values), unless P itself is
// wanted (the weights output); without a mask the scale rides in the exponent. Both save a pass over the scores.
// Q, K, V and O are addressed by strides (batch, head, sequence position; head vectors contiguous), so the
// [batch, heads, seq, dim] form, [batch, seq, heads*dim], the packed QKV projections and PyTorch's [seq, batch,
// ...] order are all read and written in place, with no transposes around the op.
// A row whose keys are all masked gives P = 0 and O = 0 (not the NaN of softmax over all -Inf): a padded query
// row then stays finite, as in FlashAttention-style kernels.
import { f32_gemm, f32_gemm_pack, f32_gemm_packed_size } from "../gemm/gemm";
import { row_max, softmax_row_max } from "../eltwise/softmax";
import { hmax, load_partial, store_partial } from "../util/lanes";
import { zero_f32 } from "../conv/util";

/** mask_kind: none, additive float32, keep-where-nonzero float32, keep-where-nonzero int32. */
const MASK_ADD: i32 = 1;
const MASK_KEEP_F32: i32 = 2;
const MASK_KEEP_I32: i32 = 3;

/**
 * Bytes of score rows per block of queries: long sequences keep a few rows' scores (in L2 from Q·Kᵀ through P·V)
 * instead of a head's sq x skv; up to 128 x 128 the block is the whole head.
 */
const BLOCK_BYTES: i32 = 65536;
/** Query rows per block: a multiple of the GEMM's 4-row tile, at least one tile. */
@inline function block_rows(skv: i32): i32 {
  return max(4, BLOCK_BYTES / max(skv, 1) / 4 & ~3);
}

/** Floats of scratch f32_attention needs (weights != 0: the score rows are the weights output instead). */
export function f32_attention_scratch_size(sq: i32, skv: i32, d: i32, dv: i32, weights: i32): i32 {
  return f32_gemm_packed_size(d, skv) + f32_gemm_packed_size(skv, dv) + sq + (weights != 0 ? 0 : min(sq, block_rows(skv)) * skv);
}

/**
 * The scores of one query row (n keys, of which the first len count: causal), in place: exp(s * scale + mask - max)
 * over the len keys, divided by their sum when `normalize` (else the caller divides P·V's row: dv values instead
 * of n), 0 past len. The mask adds (additive) or sets -Inf where it drops (keep kinds). Returns 1 / sum, or 0 when
 * every key is dropped (the row is then 0).
 */
@inline function attention_row(s: usize, len: i32, n: i32, scale: f32, m: usize, kind: i32, normalize: bool): f32 {
  const lb = <usize>len << 2;
  let sum: f32;
  if (kind == 0 && scale > 0) {
    // No mask: max of the raw scores, and the scale goes into the exponent (no pass storing s * scale).
    const mx = row_max(s, len);
    if (mx == -Infinity) { zero_f32(s, n); return 0; }
    sum = softmax_row_max(s, s, len, mx, false, scale, true, normalize);
  } else {
    const vs = f32x4.splat(scale), ninf = f32x4.splat(-Infinity), zero = f32x4.splat(0);
    const len4 = <usize>(len & ~3) << 2;
    let vmax = ninf;
    let mx: f32 = -Infinity;
    let i: usize = 0;
    for (; i < len4; i += 16) {
      let v = f32x4.mul(v128.load(s + i), vs);
      if (kind == MASK_ADD) v = f32x4.add(v, v128.load(m + i));
      else if (kind == MASK_KEEP_F32) v = v128.bitselect(v, ninf, f32x4.ne(v128.load(m + i), zero));
      else if (kind == MASK_KEEP_I32) v = v128.bitselect(v, ninf, i32x4.ne(v128.load(m + i), zero));
      v128.store(s + i, v);
      vmax = f32x4.pmax(vmax, v);
    }
    for (; i < lb; i += 4) {
      let v = load<f32>(s + i) * scale;
      if (kind == MASK_ADD) v += load<f32>(m + i);
      else if (kind == MASK_KEEP_F32) v = load<f32>(m + i) != 0 ? v : -Infinity;
      else if (kind == MASK_KEEP_I32) v = load<i32>(m + i) != 0 ? v : -Infinity;
      store<f32>(s + i, v);
      mx = max(mx, v);
    }
    mx = max(mx, hmax(vmax));
    if (mx == -Infinity) { zero_f32(s, n); return 0; }
    sum = softmax_row_max(s, s, len, mx, false, 1, false, normalize);
  }
  if (len < n) zero_f32(s + lb, n - len);
  return <f32>1 / sum;
}

/** Row i of O (dv floats at o + 4*i*o_s) times inv[i]: the softmax's division, done on P·V's rows. */
function scale_rows(o: usize, o_s: i32, sq: i32, dv: i32, inv: usize): void {
  const dv4 = <usize>(dv & ~3) << 2, r = dv & 3;
  for (let i = 0; i < sq; i++) {
    const row = o + (<usize>i * o_s << 2), c = v128.load32_splat(inv + (<usize>i << 2));
    let j: usize = 0;
    for (; j < dv4; j += 16) v128.store(row + j, f32x4.mul(v128.load(row + j), c));
    if (r) store_partial(row + j, f32x4.mul(load_partial(row + j, r), c), r);
  }
}

/**
 * O[b][h] = softmax(Q[b][h]·K[b][h]ᵀ * scale + mask[b][h]) · V[b][h] for every batch b < batch and head h < heads;
 * Q rows [sq][d], K [skv][d], V [skv][dv], O [sq][dv].
 * `strides` points at 15 i32 element strides: batch, head and sequence-position strides of Q, K, V, O and the
 * mask, in that order. Vectors along d (dv) are contiguous. The mask row of query i is the skv contiguous values
 * at mask + 4*(b*m_b + h*m_h + i*m_s) (a stride of 0 broadcasts); mask_kind 0 none, 1 additive float32, 2 keep
 * where nonzero (float32), 3 keep where nonzero (int32). causal != 0: query i sees keys 0..i (top-left aligned,
 * as PyTorch and ONNX). weights != 0: the softmax probabilities [batch][heads][sq][skv] are written there (and
 * serve as the score matrix). scratch: f32_attention_scratch_size floats. O must not overlap Q, K, V or the mask.
 */
export function f32_attention(batch: i32, heads: i32, sq: i32, skv: i32, d: i32, dv: i32,
  q: usize, k: usize, v: usize, o: usize, mask: usize, mask_kind: i32, strides: usize,
  scale: f32, causal: i32, weights: usize, scratch: usize): void {
  if (batch <= 0 || heads <= 0 || sq <= 0 || dv <= 0) return;
  // scratch: [packed Kᵀ | packed V | 1/sum per query | score rows of one block]
  const packedK = scratch;
  const packedV = packedK + (<usize>f32_gemm_packed_size(d, skv) << 2);
  const inv = packedV + (<usize>f32_gemm_packed_size(skv, dv) << 2);
  const own = inv + (<usize>sq << 2);
  const normalize = weights != 0;
  const rowBytes = <usize>skv << 2, headBytes = <usize>sq * rowBytes;
  const kind = mask == 0 ? 0 : mask_kind;
  const rows = block_rows(skv);
  const q_s = load<i32>(strides, 8), k_s = load<i32>(strides, 20), v_s = load<i32>(strides, 32), o_s = load<i32>(strides, 44);
  const m_s = <usize>load<i32>(strides, 56) << 2;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const qb = q + (offset(strides, 0, b, h) << 2), kb = k + (offset(strides, 3, b, h) << 2);
      const vb = v + (offset(strides, 6, b, h) << 2), ob = o + (offset(strides, 9, b, h) << 2);
      if (skv <= 0) {
        // no keys: nothing to attend to, O rows are 0
        for (let i = 0; i < sq; i++) zero_f32(ob + (<usize>i * o_s << 2), dv);
        continue;
      }
      // Kᵀ[kk][j] = K[j][kk] is at kb + 4*(kk + j*k_s); V as it is.
      pack_kt(d, skv, kb, k_s, packedK);
      f32_gemm_pack(skv, dv, vb, v_s, 1, 0, packedV);
      const mb = mask + (offset(strides, 12, b, h) << 2);
      for (let i0 = 0; i0 < sq; i0 += rows) {
        const n = min(rows, sq - i0);
        const s = weights != 0 ? weights + <usize>(b * heads + h) * headBytes + <usize>i0 * rowBytes : own;
        // S = Q·Kᵀ for this block of queries
        f32_gemm(n, skv, d, qb + (<usize>i0 * q_s << 2), q_s, packedK, s, skv, -Infinity, Infinity);
        for (let r = 0; r < n; r++) {
          const i = i0 + r;
          const len = causal != 0 ? min(i + 1, skv) : skv;
          const row = s + <usize>r * rowBytes, mrow = mb + <usize>i * m_s;
          // one inlined body per mask kind: no mask test per element
          let c: f32;
          if (kind == MASK_ADD) c = attention_row(row, len, skv, scale, mrow, MASK_ADD, normalize);
          else if (kind == MASK_KEEP_F32) c = attention_row(row, len, skv, scale, mrow, MASK_KEEP_F32, normalize);
          else if (kind == MASK_KEEP_I32) c = attention_row(row, len, skv, scale, mrow, MASK_KEEP_I32, normalize);
          else c = attention_row(row, len, skv, scale, mrow, 0, normalize);
          store<f32>(inv + (<usize>r << 2), c);
        }
        // O = P·V, then each row divided by its softmax sum unless P was normalised (the weights output)
        const ob0 = ob + (<usize>i0 * o_s << 2);
        f32_gemm(n, dv, skv, s, skv, packedV, ob0, o_s, -Infinity, Infinity);
        if (!normalize) scale_rows(ob0, o_s, n, dv, inv);
      }
    }
  }
}

/**
 * f32_gemm_pack(d, skv, k, 1, k_s, 0, packed) for Kᵀ, the same bytes, 4x4 blocks at a time: f32_gemm_pack reads
 * a transposed B one float at a time. Panels of 8 keys: 8 zeros (no bias), then d rows of the 8 keys' values.
 */
export function pack_kt(d: i32, skv: i32, k: usize, k_s: i32, packed: usize): void {
  const ks = <usize>k_s << 2, d4 = d & ~3;
  let p = packed;
  for (let j0 = 0; j0 < skv; j0 += 8) {
    if (j0 + 8 > skv) {
      // a partial panel: the generic packer pads it with zeros
      f32_gemm_pack(d, skv - j0, k + <usize>j0 * ks, 1, k_s, 0, p);
      return;
    }
    v128.store(p, f32x4.splat(0)); v128.store(p, f32x4.splat(0), 16);
    const r0 = k + <usize>j0 * ks;
    let o = p + 32;
    for (let c = 0; c < d4; c += 4) {
      const cb = <usize>c << 2;
      transpose4(o, r0 + cb, ks);
      transpose4(o + 16, r0 + 4 * ks + cb, ks);
      o += 128;
    }
    for (let c = d4; c < d; c++) {
      for (let j = 0; j < 8; j++) store<f32>(o + (<usize>j << 2), load<f32>(r0 + <usize>j * ks + (<usize>c << 2)));
      o += 32;
    }
    p += <usize>(d + 1) << 5;
  }
}

/** Four rows (4 floats each, `stride` bytes apart) at src, transposed into four 4-float groups 32 bytes apart at dst. */
@inline function transpose4(dst: usize, src: usize, stride: usize): void {
  const a = v128.load(src), b = v128.load(src + stride), c = v128.load(src + 2 * stride), e = v128.load(src + 3 * stride);
  const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5), t1 = i32x4.shuffle(c, e, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(a, b, 2, 6, 3, 7), t3 = i32x4.shuffle(c, e, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(dst, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 32);
  v128.store(dst, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 64);
  v128.store(dst, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 96);
}

/** Element offset of (b, h) for the operand whose three strides start at strides[first]. */
@inline function offset(strides: usize, first: i32, b: i32, h: i32): usize {
  const p = strides + (<usize>first << 2);
  return <usize>b * <usize>load<i32>(p) + <usize>h * <usize>load<i32>(p, 4);
}
