/**
 * Embedding, LayerNormalization and MultiHeadAttention, written against the attention IR ops (Gather,
 * LayerNormalization, MatMul with two run-time operands, Softmax). Until a build registers those ops, each
 * layer is reported unsupported by name (requireOps), and TFJS_LAYERS leaves it out.
 */
import { bad, biasOf, requireOps, unsupported, type Handler } from "./tfjs-common.js";

/** The IR ops each layer here needs. */
export const ATTENTION_OPS: Record<string, string[]> = {
  Embedding: ["Gather"],
  LayerNormalization: ["LayerNormalization"],
  MultiHeadAttention: ["MatMul", "Softmax"],
};

const Embedding: Handler = (m, { layer, inputs, out, base }) => {
  requireOps(...ATTENTION_OPS.Embedding);
  // mask_zero would make later layers (RNNs) skip steps: a mask the IR does not carry.
  if (layer.config.mask_zero) throw unsupported("mask_zero=true");
  const t = m.weight(layer.name, "embeddings")!;
  return [m.one("Gather", [m.constant(`${base}/embeddings`, t.shape, t.data), inputs[0]], { axis: 0 }, out(0))];
};

const LayerNormalization: Handler = (m, { layer, inputs, out, base }) => {
  requireOps(...ATTENTION_OPS.LayerNormalization);
  const cfg = layer.config, x = inputs[0], rank = m.rank(x);
  if (rank === undefined) throw unsupported("an input of unknown rank");
  const raw = cfg.axis ?? -1;
  const axes = (Array.isArray(raw) ? raw : [raw]).map((a: unknown) => {
    if (!Number.isSafeInteger(a)) throw bad(`layer '${layer.name}': axis ${JSON.stringify(raw)}`);
    return (a as number) < 0 ? (a as number) + rank : (a as number);
  }).sort((a: number, b: number) => a - b);
  // The IR normalizes over the trailing axes from `axis` on.
  if (axes.length === 0 || axes.some((a: number, i: number) => a !== rank - axes.length + i) || axes[0] < 1) throw unsupported(`axis ${JSON.stringify(raw)} (the last axes only)`);
  const dims = m.fixedDims(x, "LayerNormalization").slice(axes[0] - 1);
  const n = dims.reduce((a, b) => a * b, 1);
  const param = (leaf: string, on: boolean, fill: number) => {
    const w = on ? m.weight(layer.name, leaf)! : { shape: dims, data: new Float32Array(n).fill(fill) };
    return m.constant(`${base}/${leaf}`, w.shape, w.data);
  };
  const ins = [x, param("gamma", cfg.scale !== false, 1), param("beta", cfg.center !== false, 0)];
  return [m.one("LayerNormalization", ins, { axis: axes[0], epsilon: cfg.epsilon ?? 1e-3 }, out(0))];
};

/**
 * Keras MultiHeadAttention over [batch, time, features] inputs (attention_axes None): the EinsumDense
 * projections as Dense on the flattened head axes, heads moved before time, softmax(q·kᵀ/√key_dim)·v,
 * and the output projection. Called as (query, value[, key]) or with value=/key= keywords.
 */
const MultiHeadAttention: Handler = (m, { layer, inputs, named, options, out, base }) => {
  requireOps(...ATTENTION_OPS.MultiHeadAttention);
  const cfg = layer.config;
  const problems: string[] = [];
  if (cfg.attention_axes !== null && cfg.attention_axes !== undefined) problems.push(`attention_axes ${JSON.stringify(cfg.attention_axes)}`);
  if (named.attention_mask || named.query_mask || named.value_mask || named.key_mask) problems.push("attention or padding masks");
  if (options.use_causal_mask) problems.push("use_causal_mask=true");
  if (options.return_attention_scores) problems.push("return_attention_scores=true");
  const [query, value = named.value?.[0], key = named.key?.[0] ?? value] = inputs;
  if (!query || !value) problems.push("no value input");
  if (problems.length) throw unsupported(problems.join(", "));
  for (const x of [query, value, key]) if (m.rank(x) !== 3) throw unsupported(`inputs of rank ${m.rank(x) ?? "unknown"} (3: batch, time, features)`);
  const heads = cfg.num_heads, kd = cfg.key_dim, vd = cfg.value_dim ?? kd;
  if (![heads, kd, vd].every((v) => Number.isSafeInteger(v) && v > 0)) throw bad(`layer '${layer.name}': num_heads ${heads}, key_dim ${kd}, value_dim ${vd}`);
  /** An EinsumDense as a Dense: its kernel seen as [rows, cols], one of them given. */
  const proj = (x: string, part: string, size: { rows?: number; cols?: number }, name = `${base}/${part}`) => {
    // Keras 2 names the sublayers query/key/value/attention_output; Keras 3 (_)query_dense ... (_)output_dense.
    const within = (p: string) => [part, `${part}_dense`, `_${part}_dense`].includes(part === "attention_output" ? p.replace(/^_?output_dense$/, part) : p);
    const k = m.weight(layer.name, "kernel", true, within)!;
    const rows = size.rows ?? k.data.length / size.cols!, cols = k.data.length / rows;
    if (!Number.isInteger(rows) || !Number.isInteger(cols)) throw bad(`layer '${layer.name}': ${part}/kernel [${k.shape}] does not fit ${heads} heads of ${kd}/${vd}`);
    return m.one("Dense", [x, m.constant(`${base}/${part}/kernel`, [rows, cols], k.data), biasOf(m, layer.name, cfg, `${base}/${part}`, within)], {}, name);
  };
  // [batch, time, heads·d] → [batch, heads, time, d] (perm) with d per head.
  const split = (x: string, d: number, perm: number[], name: string) =>
    m.one("Transpose", [m.one("Reshape", [x], { shape: [0, 0, heads, d] }, `${name}/heads`)], { perm }, `${name}/t`);
  const q = m.one("Mul", [split(proj(query, "query", { cols: heads * kd }), kd, [0, 2, 1, 3], `${base}/q`), m.scalar(`${base}/scale`, 1 / Math.sqrt(kd))], {}, `${base}/q_scaled`);
  const kT = split(proj(key, "key", { cols: heads * kd }), kd, [0, 2, 3, 1], `${base}/k`);
  const v = split(proj(value, "value", { cols: heads * vd }), vd, [0, 2, 1, 3], `${base}/v`);
  const p = m.one("Softmax", [m.one("MatMul", [q, kT], {}, `${base}/scores`)], { axis: -1 }, `${base}/probs`);
  const ctx = m.one("Transpose", [m.one("MatMul", [p, v], {}, `${base}/context`)], { perm: [0, 2, 1, 3] }, `${base}/context_t`);
  const flat = m.one("Reshape", [ctx], { shape: [0, 0, heads * vd] }, `${base}/context_flat`);
  return [proj(flat, "attention_output", { rows: heads * vd }, out(0))];
};

export const ATTENTION: Record<string, Handler> = { Embedding, LayerNormalization, MultiHeadAttention };
/** Handlers that take keyword tensor inputs, and which. */
export const NAMED_INPUTS: Record<string, string[]> = { MultiHeadAttention: ["value", "key", "attention_mask", "query_mask", "value_mask", "key_mask"] };
