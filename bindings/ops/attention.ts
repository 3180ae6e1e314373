/**
 * Attention: fused scaled dot-product attention, softmax(Q·Kᵀ·scale + mask)·V, one head at a time in the kernel
 * (assembly/transformer/attention.ts), so no more than one head's score matrix is ever held.
 *
 * Inputs: Q, K, V [, mask]. Attribute `layout` says how the operands hold heads, and the kernel reads them in
 * place by strides (no transposes around the op):
 *   "bhsd" (rank 4, default) [batch, heads, seq, dim]     "bshd" (rank 4) [batch, seq, heads, dim]
 *   "bsd"  (rank 3, default) [batch, seq, heads*dim]      "sbd"  (rank 3) [seq, batch, heads*dim] (PyTorch's MHA)
 * with `num_heads` for the rank-3 forms. K and V both absent ("") means packed projections: input 0 is
 * [batch, seq, 3*heads*dim] ("bsd"; "sbd": [seq, batch, ...]) holding Q, K, V side by side per position, as an
 * in-projection writes them. The output has Q's layout with V's head size.
 * Mask (optional): additive float32 (`mask_kind` "additive", the default: -Inf drops a key) or keep-where-nonzero
 * (`mask_kind` "keep"; an int32 mask, e.g. an attention_mask input, is always that). It broadcasts (NumPy) to the
 * scores [batch, heads, q_seq, kv_seq]; for the rank-3 layouts a mask of rank <= 3 is [batch, q_seq, kv_seq]
 * (the same for every head), so a padding mask is [batch, 1, kv_seq]. Its last dim must be kv_seq.
 * `scale` defaults to 1/sqrt(dim); `causal` = 1 lets query i see keys 0..i. A query row with every key masked
 * gives 0. Output 1 (optional): the attention weights after softmax, [batch, heads, q_seq, kv_seq].
 */
import { fail, int, isInt, need, num, str, stridesOf, type OpContext, type OpDef } from "./types.js";

const LAYOUTS: Record<string, number> = { bhsd: 4, bshd: 4, bsd: 3, sbd: 3 };
const MASK_KIND = { additive: 1, keep: 2, int: 3 } as const;

/** One operand seen as [batch][heads][seq][e]: sizes, element strides of batch, head and position, and an offset. */
interface View { b: number; h: number; s: number; e: number; strides: number[]; offset: number }

/** A tensor of `shape` in `layout` (rank-3 forms split their last dim into `heads`); `width` = row width if packed. */
function view(c: OpContext, layout: string, shape: number[], heads: number, name: string, width?: number): View {
  if (shape.length !== LAYOUTS[layout]) throw fail(c, `${name} has shape [${shape}]; layout '${layout}' takes rank ${LAYOUTS[layout]}`, "BAD_INPUT");
  if (layout === "bhsd") { const [b, h, s, e] = shape; return { b, h, s, e, strides: [h * s * e, s * e, e], offset: 0 }; }
  if (layout === "bshd") { const [b, s, h, e] = shape; return { b, h, s, e, strides: [s * h * e, e, h * e], offset: 0 }; }
  const [b, s] = layout === "bsd" ? shape : [shape[1], shape[0]];
  const w = width ?? shape[2];
  if (shape[2] % heads !== 0) throw fail(c, `${name}'s last dim ${shape[2]} does not split into ${heads} heads`, "BAD_INPUT");
  const e = shape[2] / heads;
  return { b, h: heads, s, e, strides: layout === "bsd" ? [s * w, e, w] : [w, e, b * w], offset: 0 };
}

function geometry(c: OpContext) {
  const q = need(c, 0);
  const [, kName, vName] = c.node.inputs;
  const packed = !kName && !vName;
  if (!packed && (!kName || !vName)) throw fail(c, "K and V (inputs 1, 2) must both be given, or both be absent (Q, K, V packed in input 0)");
  const layout = str(c, "layout", q.length === 4 ? "bhsd" : "bsd");
  if (!(layout in LAYOUTS)) throw fail(c, `layout '${layout}' is not one of ${Object.keys(LAYOUTS).join(", ")}`);
  if (packed && LAYOUTS[layout] !== 3) throw fail(c, `packed QKV takes layout 'bsd' or 'sbd', not '${layout}'`, "UNSUPPORTED");
  let heads = int(c, "num_heads", LAYOUTS[layout] === 4 ? q[layout === "bhsd" ? 1 : 2] ?? 1 : 1);
  if (heads < 1) throw fail(c, `num_heads must be >= 1, got ${heads}`);
  let Q: View, K: View, V: View;
  if (packed) {
    if (q.length !== 3) throw fail(c, `packed QKV has shape [${q}]; it takes rank 3 ([batch, seq, 3*heads*dim] or [seq, batch, ...])`, "BAD_INPUT");
    const w = q[2];
    if (w % (3 * heads) !== 0) throw fail(c, `packed QKV's last dim ${w} is not 3 x ${heads} heads x a head size`, "BAD_INPUT");
    const d = w / (3 * heads);
    // Q, K, V as three [.., heads*d] blocks of each row of width w.
    const part = (i: number): View => ({ ...view(c, layout, [q[0], q[1], heads * d], heads, "Q", w), offset: i * heads * d });
    [Q, K, V] = [part(0), part(1), part(2)];
  } else {
    Q = view(c, layout, q, heads, "Q");
    K = view(c, layout, need(c, 1), heads, "K");
    V = view(c, layout, need(c, 2), heads, "V");
  }
  if (LAYOUTS[layout] === 4 && c.node.attrs.num_heads !== undefined && heads !== Q.h) throw fail(c, `num_heads ${heads} differs from Q's ${Q.h} heads`, "BAD_INPUT");
  heads = Q.h;
  const shapes = `Q [${q}]${packed ? "" : `, K [${need(c, 1)}], V [${need(c, 2)}]`}`;
  if (K.b !== Q.b || V.b !== Q.b || K.h !== Q.h || V.h !== Q.h) throw fail(c, `batch and heads of Q, K, V differ (${shapes}, layout '${layout}')`, "BAD_INPUT");
  if (K.e !== Q.e || K.s !== V.s) throw fail(c, `Q and K must have the same head size and K and V the same length (${shapes}, layout '${layout}')`, "BAD_INPUT");
  const out = outShape(layout, Q, V.e);
  return { layout, Q, K, V, O: view(c, layout, out, heads, "the output"), out, weights: [Q.b, heads, Q.s, K.s] };
}

function outShape(layout: string, q: View, dv: number): number[] {
  switch (layout) {
    case "bhsd": return [q.b, q.h, q.s, dv];
    case "bshd": return [q.b, q.s, q.h, dv];
    case "bsd": return [q.b, q.s, q.h * dv];
    default: return [q.s, q.b, q.h * dv];
  }
}

/** Strides of the mask as [batch, head, query row], 0 where it broadcasts; its key axis must be contiguous. */
function maskStrides(c: OpContext, rank4: boolean, scores: number[]): number[] {
  const m = need(c, 3);
  const [b, h, sq, skv] = scores;
  // Rank-3 layouts have no head axis: a mask of rank <= 3 is the same for every head.
  const target = rank4 || m.length === 4 ? [b, h, sq, skv] : [b, sq, skv];
  if (m.length > target.length || m.length === 0) throw fail(c, `mask of shape [${m}] does not broadcast to the scores [${target}]`, "BAD_INPUT");
  if (m[m.length - 1] !== skv) throw fail(c, `mask of shape [${m}] must end in the key length ${skv}`, "BAD_INPUT");
  const lead = target.length - m.length, own = stridesOf(m);
  const st = target.map((d, i) => {
    const j = i - lead;
    if (j < 0 || m[j] === 1) return 0;
    if (m[j] !== d) throw fail(c, `mask of shape [${m}] does not broadcast to the scores [${target}] (dim ${i}: ${m[j]} vs ${d})`, "BAD_INPUT");
    return own[j];
  });
  return target.length === 4 ? st.slice(0, 3) : [st[0], 0, st[1]];
}

export const Attention: OpDef = {
  intInputs: [3],
  infer(c) {
    const g = geometry(c);
    if (c.node.outputs.length > 2) throw fail(c, `${c.node.outputs.length} outputs (the output and optionally the weights)`);
    return c.node.outputs.length === 2 ? [g.out, g.weights] : [g.out];
  },
  prepare(c, _outs, rt) {
    const { layout, Q, K, V, O, weights } = geometry(c);
    const hasMask = !!c.node.inputs[3];
    const kindName = str(c, "mask_kind", "additive");
    if (!(kindName === "additive" || kindName === "keep")) throw fail(c, `mask_kind '${kindName}' is not 'additive' or 'keep'`);
    const kind = !hasMask ? 0 : isInt(c, 3) ? MASK_KIND.int : MASK_KIND[kindName];
    const m = hasMask ? maskStrides(c, LAYOUTS[layout] === 4, weights) : [0, 0, 0];
    const strides = rt.planInts([...Q.strides, ...K.strides, ...V.strides, ...O.strides, ...m]);
    const scale = num(c, "scale", 1 / Math.sqrt(Q.e));
    const causal = num(c, "causal", 0) ? 1 : 0;
    const withWeights = c.node.outputs.length === 2;
    const scratch = rt.k.f32_attention_scratch_size(Q.s, K.s, Q.e, V.e, withWeights ? 1 : 0) * 4;
    return {
      scratch,
      run(io) {
        const [q, k, v, mask] = io.inputs;
        const base = (p: number, view: { offset: number }) => p + view.offset * 4;
        rt.k.f32_attention(Q.b, Q.h, Q.s, K.s, Q.e, V.e, base(q, Q), base(k || q, K), base(v || q, V), io.outputs[0],
          hasMask ? mask : 0, kind, strides.ptr, scale, causal, withWeights ? io.outputs[1] : 0, io.scratch);
      },
    };
  },
};
