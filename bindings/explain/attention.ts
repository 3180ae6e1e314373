/**
 * Attention maps from tapped attention weights (load(src, { taps: [the softmax output] }), run with fetch): per
 * head and averaged over heads, for one example and, if asked, one query position. Weights come as
 * [batch, heads, queries, keys] (the Attention op's layout) or [batch·heads, queries, keys] (PyTorch's export;
 * then `heads` says how many).
 */
import { EdgennError } from "../errors.js";

export interface AttentionMapOptions {
  /** Heads, when the weights are [batch·heads, queries, keys]. */
  heads?: number;
  /** Which example of the batch (default 0). */
  batch?: number;
  /** One query position: maps of [keys] (what that token attends to); default every query: [queries, keys]. */
  query?: number;
}
export interface AttentionMaps {
  /** One map per head, row-major over `shape`. */
  perHead: Float32Array[];
  /** The mean over heads. */
  mean: Float32Array;
  /** [queries, keys], or [keys] for one query. */
  shape: number[];
}

export function attentionMaps(weights: { dims: readonly number[]; data: ArrayLike<number> }, options: AttentionMapOptions = {}): AttentionMaps {
  const bad = (msg: string) => new EdgennError("BAD_INPUT", `explain.attention: ${msg}`);
  const dims = [...weights.dims];
  let heads: number, batches: number;
  if (dims.length === 4) [batches, heads] = dims;
  else if (dims.length === 3) {
    heads = options.heads ?? 0;
    if (!Number.isSafeInteger(heads) || heads < 1 || dims[0] % heads !== 0) throw bad(`weights [${dims}] hold batch·heads in dim 0: pass options.heads, a divisor of ${dims[0]}`);
    batches = dims[0] / heads;
  } else throw bad(`expected weights [batch, heads, queries, keys] or [batch·heads, queries, keys], got [${dims}]`);
  const [q, k] = dims.slice(-2);
  const b = options.batch ?? 0;
  if (!Number.isSafeInteger(b) || b < 0 || b >= batches) throw bad(`batch ${b} is not in [0, ${batches})`);
  const one = options.query !== undefined;
  if (one && (!Number.isSafeInteger(options.query) || options.query! < 0 || options.query! >= q)) throw bad(`query ${options.query} is not in [0, ${q})`);
  const rows = one ? [options.query!] : [...Array(q).keys()];
  const perHead = Array.from({ length: heads }, (_, h) => {
    const map = new Float32Array(rows.length * k);
    const base = (b * heads + h) * q * k;
    rows.forEach((r, i) => { for (let j = 0; j < k; j++) map[i * k + j] = weights.data[base + r * k + j]; });
    return map;
  });
  const mean = new Float32Array(rows.length * k);
  for (const m of perHead) for (let i = 0; i < mean.length; i++) mean[i] += m[i] / heads;
  return { perHead, mean, shape: one ? [k] : [q, k] };
}
