// Scaled dot-product attention, one (batch, head) at a time, so only one head's score matrix is ever in scratch:
//   S = Q·Kᵀ                      packed GEMM (Kᵀ packed per head into scratch)
//   P = softmax(S * scale + mask)  per row, in place; causal rows stop at the diagonal (the rest is 0)
//   O = P·V                        packed GEMM (V packed per head into the same scratch)
// Q, K, V and O are addressed by strides (batch, head, sequence position; head vectors contiguous), so the
// [batch, heads, seq, dim] form, [batch, seq, heads*dim], the packed QKV projections and PyTorch's [seq, batch,
// ...] order are all read and written in place, with no transposes around the op.
// A row whose keys are all masked gives P = 0 and O = 0 (not the NaN of softmax over all -Inf): a padded query
// row then stays finite, as in FlashAttention-style kernels.
import { f32_gemm, f32_gemm_pack, f32_gemm_packed_size } from "../gemm/gemm";
import { softmax_row_max } from "../eltwise/softmax";
import { hmax } from "../util/lanes";
import { zero_f32 } from "../conv/util";

/** mask_kind: none, additive float32, keep-where-nonzero float32, keep-where-nonzero int32. */
const MASK_ADD: i32 = 1;
const MASK_KEEP_F32: i32 = 2;
const MASK_KEEP_I32: i32 = 3;

/** Floats of scratch f32_attention needs (weights != 0: the score matrix is the weights output instead). */
export function f32_attention_scratch_size(sq: i32, skv: i32, d: i32, dv: i32, weights: i32): i32 {
  const packed = max(f32_gemm_packed_size(d, skv), f32_gemm_packed_size(skv, dv));
  return packed + (weights != 0 ? 0 : sq * skv);
}

/**
 * The scores of one query row (n keys, of which the first len count: causal), in place: s = s * scale + mask
 * (additive), or s * scale where the mask keeps and -Inf where it drops; then softmax over the len keys and 0
 * past them. All keys dropped: the row is 0.
 */
@inline function attention_row(s: usize, len: i32, n: i32, scale: f32, m: usize, kind: i32): void {
  const vs = f32x4.splat(scale), ninf = f32x4.splat(-Infinity), zero = f32x4.splat(0);
  const len4 = <usize>(len & ~3) << 2, lb = <usize>len << 2;
  let vmax = ninf;
  let i: usize = 0;
  let mx: f32 = -Infinity;
  if (kind == MASK_ADD) {
    for (; i < len4; i += 16) {
      const v = f32x4.add(f32x4.mul(v128.load(s + i), vs), v128.load(m + i));
      v128.store(s + i, v);
      vmax = f32x4.pmax(vmax, v);
    }
    for (; i < lb; i += 4) {
      const v = load<f32>(s + i) * scale + load<f32>(m + i);
      store<f32>(s + i, v);
      mx = max(mx, v);
    }
  } else if (kind == MASK_KEEP_F32 || kind == MASK_KEEP_I32) {
    for (; i < len4; i += 16) {
      const mv = v128.load(m + i);
      const keep = kind == MASK_KEEP_F32 ? f32x4.ne(mv, zero) : i32x4.ne(mv, zero);
      const v = v128.bitselect(f32x4.mul(v128.load(s + i), vs), ninf, keep);
      v128.store(s + i, v);
      vmax = f32x4.pmax(vmax, v);
    }
    for (; i < lb; i += 4) {
      const keep = kind == MASK_KEEP_F32 ? load<f32>(m + i) != 0 : load<i32>(m + i) != 0;
      const v: f32 = keep ? load<f32>(s + i) * scale : -Infinity;
      store<f32>(s + i, v);
      mx = max(mx, v);
    }
  } else {
    for (; i < len4; i += 16) {
      const v = f32x4.mul(v128.load(s + i), vs);
      v128.store(s + i, v);
      vmax = f32x4.pmax(vmax, v);
    }
    for (; i < lb; i += 4) {
      const v = load<f32>(s + i) * scale;
      store<f32>(s + i, v);
      mx = max(mx, v);
    }
  }
  mx = max(mx, hmax(vmax));
  if (mx == -Infinity) {
    zero_f32(s, n);
    return;
  }
  softmax_row_max(s, s, len, mx, false);
  if (len < n) zero_f32(s + lb, n - len);
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
  const packed = scratch;
  const own = scratch + (<usize>max(f32_gemm_packed_size(d, skv), f32_gemm_packed_size(skv, dv)) << 2);
  const rowBytes = <usize>skv << 2, headBytes = <usize>sq * rowBytes;
  const kind = mask == 0 ? 0 : mask_kind;
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
      const s = weights != 0 ? weights + <usize>(b * heads + h) * headBytes : own;
      // S = Q·Kᵀ: Kᵀ[kk][j] = K[j][kk] is at kb + 4*(kk + j*k_s).
      f32_gemm_pack(d, skv, kb, 1, k_s, 0, packed);
      f32_gemm(sq, skv, d, qb, q_s, packed, s, skv, -Infinity, Infinity);
      const mb = mask + (offset(strides, 12, b, h) << 2);
      for (let i = 0; i < sq; i++) {
        const len = causal != 0 ? min(i + 1, skv) : skv;
        const row = s + <usize>i * rowBytes, mrow = mb + <usize>i * m_s;
        // one inlined body per mask kind: no mask test per element
        if (kind == MASK_ADD) attention_row(row, len, skv, scale, mrow, MASK_ADD);
        else if (kind == MASK_KEEP_F32) attention_row(row, len, skv, scale, mrow, MASK_KEEP_F32);
        else if (kind == MASK_KEEP_I32) attention_row(row, len, skv, scale, mrow, MASK_KEEP_I32);
        else attention_row(row, len, skv, scale, mrow, 0);
      }
      // O = P·V
      f32_gemm_pack(skv, dv, vb, v_s, 1, 0, packed);
      f32_gemm(sq, dv, skv, s, skv, packed, ob, o_s, -Infinity, Infinity);
    }
  }
}

/** Element offset of (b, h) for the operand whose three strides start at strides[first]. */
@inline function offset(strides: usize, first: i32, b: i32, h: i32): usize {
  const p = strides + (<usize>first << 2);
  return <usize>b * <usize>load<i32>(p) + <usize>h * <usize>load<i32>(p, 4);
}
