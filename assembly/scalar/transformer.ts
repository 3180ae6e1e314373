// Gather, layer normalisation and attention without SIMD (docs/kernels.md, "Transformer kernels").
import { ld, ldi, st } from "./mem";

export function gather32(outer: i32, axis_len: i32, inner: i32, data: usize, ids: usize, count: i32, out: usize): i32 {
  for (let i = 0; i < count; i++) {
    const id = ldi(ids, i);
    if (id < -axis_len || id >= axis_len) return i;
  }
  const row = <usize>inner << 2;
  for (let o = 0; o < outer; o++) for (let i = 0; i < count; i++) {
    let id = ldi(ids, i);
    if (id < 0) id += axis_len;
    memory.copy(out + <usize>(o * count + i) * row, data + <usize>(o * axis_len + id) * row, row);
  }
  return -1;
}

/** y = (x - mean) / sqrt(var + eps) * scale + bias per row of n (biased variance around the mean, in f64). */
export function f32_layernorm(rows: i32, n: i32, x: usize, scale: usize, bias: usize, eps: f32, y: usize): void {
  if (n <= 0) return;
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    let sum: f64 = 0;
    for (let j = 0; j < n; j++) sum += ld(x, base + j);
    const mean = sum / n;
    let ss: f64 = 0;
    for (let j = 0; j < n; j++) { const d = ld(x, base + j) - mean; ss += d * d; }
    const rstd = 1 / Math.sqrt(ss / n + eps);
    for (let j = 0; j < n; j++) {
      const v = (ld(x, base + j) - mean) * rstd * (scale != 0 ? ld(scale, j) : 1) + (bias != 0 ? ld(bias, j) : 0);
      st(y, base + j, <f32>v);
    }
  }
}

/** One row of scores (skv floats) unless the weights output holds them. */
export function f32_attention_scratch_size(sq: i32, skv: i32, d: i32, dv: i32, weights: i32): i32 {
  return max(skv, 1);
}

/** Element offset of (b, h) for the operand whose three strides start at strides[first]. */
@inline function head_offset(strides: usize, first: i32, b: i32, h: i32): i32 {
  return b * ldi(strides, first) + h * ldi(strides, first + 1);
}

/**
 * O[b][h] = softmax(Q·Kᵀ * scale + mask)·V per batch and head, one query row at a time (docs/kernels.md): strides
 * i32[15] (batch, head, position of Q, K, V, O, mask), mask_kind 0 none / 1 additive / 2 keep f32 / 3 keep i32,
 * causal: query i sees keys 0..i. A row with every key dropped gives P = 0 and O = 0.
 */
export function f32_attention(batch: i32, heads: i32, sq: i32, skv: i32, d: i32, dv: i32,
  q: usize, k: usize, v: usize, o: usize, mask: usize, mask_kind: i32, strides: usize,
  scale: f32, causal: i32, weights: usize, scratch: usize): void {
  const q_s = ldi(strides, 2), k_s = ldi(strides, 5), v_s = ldi(strides, 8), o_s = ldi(strides, 11), m_s = ldi(strides, 14);
  const kind = mask == 0 ? 0 : mask_kind;
  for (let b = 0; b < batch; b++) for (let h = 0; h < heads; h++) {
    const qb = q + (<usize>head_offset(strides, 0, b, h) << 2), kb = k + (<usize>head_offset(strides, 3, b, h) << 2);
    const vb = v + (<usize>head_offset(strides, 6, b, h) << 2), ob = o + (<usize>head_offset(strides, 9, b, h) << 2);
    const mb = mask + (<usize>head_offset(strides, 12, b, h) << 2);
    for (let i = 0; i < sq; i++) {
      const s = weights != 0 ? weights + (<usize>(((b * heads + h) * sq + i) * skv) << 2) : scratch;
      const qi = qb + (<usize>(i * q_s) << 2), mi = mb + (<usize>(i * m_s) << 2), oi = ob + (<usize>(i * o_s) << 2);
      const len = causal != 0 ? min(i + 1, skv) : skv;
      let mx: f32 = -Infinity;
      for (let j = 0; j < len; j++) {
        const kj = kb + (<usize>(j * k_s) << 2);
        let dot: f32 = 0;
        for (let t = 0; t < d; t++) dot += ld(qi, t) * ld(kj, t);
        let sc = dot * scale;
        if (kind == 1) sc += ld(mi, j);
        else if (kind == 2 && ld(mi, j) == 0) sc = -Infinity;
        else if (kind == 3 && ldi(mi, j) == 0) sc = -Infinity;
        st(s, j, sc);
        mx = max(mx, sc);
      }
      for (let j = len; j < skv; j++) st(s, j, 0);
      // every key dropped (mx = -Inf): P = 0 and O = 0, not softmax's NaN
      let sum: f64 = 0;
      for (let j = 0; j < len; j++) { const e = mx == -Infinity ? 0 : Math.exp(<f64>(ld(s, j) - mx)); sum += e; st(s, j, <f32>e); }
      const inv: f32 = sum > 0 ? <f32>(1 / sum) : 0;
      for (let j = 0; j < len; j++) st(s, j, ld(s, j) * inv);
      for (let t = 0; t < dv; t++) st(oi, t, 0);
      for (let j = 0; j < len; j++) {
        const p = ld(s, j), vj = vb + (<usize>(j * v_s) << 2);
        for (let t = 0; t < dv; t++) st(oi, t, ld(oi, t) + p * ld(vj, t));
      }
    }
  }
}
