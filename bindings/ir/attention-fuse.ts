/**
 * Graph rewrites for transformer exports (PyTorch's nn.TransformerEncoderLayer, HF-style attention), run before
 * the Dense folding and the layout pass:
 *
 * - LayerNorm spelled out as ReduceMean(x) -> Sub -> Pow(2) (or Mul(d, d)) -> ReduceMean -> Add(eps) -> Sqrt ->
 *   Div [-> Mul(gamma)] [-> Add(beta)] over trailing axes becomes one LayerNormalization (one kernel pass
 *   per row instead of nine element-wise passes and two reductions).
 * - MatMul(q', Transpose(k)) [-> Mul/Div by a scalar] [-> Add(mask)] -> Softmax(last axis) -> MatMul(., v),
 *   where q' is q optionally scaled by a constant scalar, becomes one Attention node: scores are computed one
 *   head at a time and never stored for all heads. When q, k and v come out of Transposes of the same layout
 *   (PyTorch's [seq, batch*heads, dim] -> [batch*heads, seq, dim], or [batch, seq, heads, dim] ->
 *   [batch, heads, seq, dim]) the Transposes are dropped and the op reads the sources by strides; so is the
 *   Transpose back after the output, when there is one.
 *
 * A node's value is only absorbed when nothing else reads it and it is not a graph output. The rewrites need no
 * shapes, so they never assume sizes: whatever the pattern reads, the fused node reads (the ops check shapes).
 */
import type { Constant, Graph, Node } from "./graph.js";

export interface TransformerFusion { layerNorms: number; attentions: number }

export function fuseTransformer(g: Graph): TransformerFusion {
  return {
    layerNorms: rewriteAll(g, (ix, n) => n.op === "ReduceMean" && matchLayerNorm(g, ix, n)),
    attentions: rewriteAll(g, (ix, n) => n.op === "Softmax" && (n.attrs.axis ?? -1) === -1 && matchAttention(g, ix, n)),
  };
}

/** Rewrites one match at a time (each changes the graph), until no node matches; returns how many. */
function rewriteAll(g: Graph, match: (ix: Index, n: Node) => boolean): number {
  let count = 0;
  for (let changed = true; changed;) {
    changed = false;
    const ix = new Index(g);
    for (const n of g.nodes) if (match(ix, n)) { count++; changed = true; break; }
  }
  return count;
}

/** Producer and readers of every value, rebuilt after each rewrite (graphs are small; rewrites are few). */
class Index {
  producer = new Map<string, Node>();
  readers = new Map<string, Node[]>();
  constructor(readonly g: Graph) {
    for (const n of g.nodes) {
      n.outputs.forEach((o) => this.producer.set(o, n));
      new Set(n.inputs).forEach((x) => { if (x) this.readers.set(x, [...(this.readers.get(x) ?? []), n]); });
    }
  }
  /** The node producing v (of op `op`, if given), when v has one reader and is not a graph output. */
  sole(v: string, op?: string | string[]): Node | undefined {
    const p = this.producer.get(v), r = this.readers.get(v) ?? [];
    if (!p || r.length !== 1 || this.g.outputs.includes(v)) return undefined;
    if (op && !(Array.isArray(op) ? op : [op]).includes(p.op)) return undefined;
    return p;
  }
  /** The only reader of v (v not a graph output, unless `output` allows it). */
  only(v: string, op?: string, output = false): Node | undefined {
    const r = this.readers.get(v) ?? [];
    if (r.length !== 1 || (!output && this.g.outputs.includes(v)) || (op && r[0].op !== op)) return undefined;
    return r[0];
  }
  constant(v: string): Constant | undefined { return this.g.constants.get(v); }
  /** The value of a constant scalar ([] or [1]: a higher rank of ones could raise the rank of what it meets). */
  scalar(v: string): number | undefined {
    const k = this.g.constants.get(v);
    return k && k.data.length === 1 && k.shape.length <= 1 ? k.data[0] : undefined;
  }
}

const other = (n: Node, v: string) => (n.inputs[0] === v ? n.inputs[1] : n.inputs[0]);

/** Replaces `remove` by `add` (placed where the last removed node was: its inputs are all defined by then). */
function replace(g: Graph, remove: Node[], add: Node[]): void {
  const at = Math.max(...remove.map((n) => g.nodes.indexOf(n)));
  g.nodes.splice(at, 1, ...add);
  g.nodes = g.nodes.filter((n) => !remove.includes(n));
}

function freshName(g: Graph, base: string): string {
  const used = new Set(g.nodes.flatMap((n) => [n.name, ...n.outputs]));
  let name = base, i = 1;
  while (used.has(name) || g.constants.has(name)) name = `${base}_${i++}`;
  return name;
}

// ---- LayerNorm ------------------------------------------------------------------------------------------------

/** Trailing axes of a ReduceMean as a count (axes [-1] -> 1, [-2, -1] -> 2), keepdims required. */
function trailingAxes(n: Node): number | undefined {
  const axes = n.attrs.axes, keep = n.attrs.keepdims ?? 1;
  if (!Array.isArray(axes) || axes.length === 0 || keep !== 1) return undefined;
  const sorted = [...(axes as number[])].sort((a, b) => a - b);
  return sorted.every((a, i) => a === i - sorted.length) ? sorted.length : undefined;
}

function matchLayerNorm(g: Graph, ix: Index, mean: Node): boolean {
  const k = trailingAxes(mean);
  const x = mean.inputs[0];
  if (k === undefined) return false;
  const sub = ix.only(mean.outputs[0], "Sub");
  if (!sub || sub.inputs[0] !== x || sub.inputs[1] !== mean.outputs[0]) return false;
  const d = sub.outputs[0];
  const dReaders = ix.readers.get(d) ?? [];
  if (dReaders.length !== 2 || g.outputs.includes(d)) return false;
  const sq = dReaders.find((n) => (n.op === "Pow" && n.inputs[0] === d && ix.scalar(n.inputs[1]) === 2) || (n.op === "Mul" && n.inputs[0] === d && n.inputs[1] === d));
  const div = dReaders.find((n) => n.op === "Div" && n.inputs[0] === d);
  if (!sq || !div) return false;
  const meanSq = ix.only(sq.outputs[0], "ReduceMean");
  if (!meanSq || trailingAxes(meanSq) !== k) return false;
  const addEps = ix.only(meanSq.outputs[0], "Add");
  const eps = addEps && ix.scalar(other(addEps, meanSq.outputs[0]));
  if (!addEps || eps === undefined) return false;
  const sqrt = ix.only(addEps.outputs[0], "Sqrt");
  if (!sqrt || div.inputs[1] !== sqrt.outputs[0] || ix.only(sqrt.outputs[0]) !== div) return false;
  const nodes = [mean, sub, sq, meanSq, addEps, sqrt, div];
  // Optional affine part: a constant of at most the normalised axes' rank (more could vary along rows, or raise
  // the output's rank: the input's rank is not known here).
  const param = (n: Node | undefined, v: string) => {
    const c = n && ix.constant(other(n, v));
    return c && c.shape.length <= k ? other(n!, v) : undefined;
  };
  let y = div.outputs[0];
  const mul = ix.only(y, "Mul"), gamma = param(mul, y);
  if (gamma) { nodes.push(mul!); y = mul!.outputs[0]; }
  const add = ix.only(y, "Add"), beta = param(add, y);
  if (beta) { nodes.push(add!); y = add!.outputs[0]; }
  const inputs = beta ? [x, gamma ?? "", beta] : gamma ? [x, gamma] : [x];
  const name = mean.name.replace(/\/ReduceMean$/, "") + "/LayerNormalization";
  replace(g, nodes, [{ op: "LayerNormalization", name: freshName(g, name), inputs, outputs: [y], attrs: { axis: -k, epsilon: eps } }]);
  return true;
}

// ---- Attention ------------------------------------------------------------------------------------------------

/** Layout of the Attention op for a source whose transpose by `perm` is the [n, s, d] / [b, h, s, d] operand. */
function layoutOf(perm: number[]): string | undefined {
  const p = perm.join();
  return ({ "0,1,2": "bsd", "1,0,2": "sbd", "0,1,2,3": "bhsd", "0,2,1,3": "bshd" } as Record<string, string>)[p];
}
const identity = (r: number) => [...Array(r).keys()];
const swapLast = (p: number[]) => [...p.slice(0, -2), p[p.length - 1], p[p.length - 2]];

/** A constant scalar factor applied by `n` to value v (Mul either way, Div by it); undefined if not a scale. */
function scaleOf(ix: Index, n: Node, v: string): number | undefined {
  if (n.op === "Mul") return ix.scalar(other(n, v));
  if (n.op === "Div" && n.inputs[0] === v) { const s = ix.scalar(n.inputs[1]); return s === undefined ? undefined : 1 / s; }
  return undefined;
}

/** v, or the input of the sole scalar Mul/Div producing it; with the factor. */
function unscale(ix: Index, v: string): { v: string; scale: number; node?: Node } {
  const p = ix.sole(v, ["Mul", "Div"]);
  if (p) {
    for (const x of p.inputs) {
      const s = scaleOf(ix, p, x);
      if (s !== undefined && !ix.constant(x)) return { v: x, scale: s, node: p };
    }
  }
  return { v, scale: 1 };
}

/** v as transpose(source, perm) when v comes from a sole Transpose, else v itself with the identity. */
function source(ix: Index, v: string, rank: number): { src: string; perm: number[]; node?: Node } {
  const t = ix.sole(v, "Transpose");
  const perm = t?.attrs.perm;
  return t && Array.isArray(perm) && perm.length === rank ? { src: t.inputs[0], perm: perm as number[], node: t } : { src: v, perm: identity(rank) };
}

function matchAttention(g: Graph, ix: Index, sm: Node): boolean {
  const removed: Node[] = [sm];
  // Backwards from the softmax: [Add(mask)] <- [scalar Mul/Div] <- MatMul(q', kᵀ).
  let s = sm.inputs[0], mask = "";
  const add = ix.sole(s, "Add");
  if (add) {
    // The operand that is the scores: a sole MatMul, maybe behind a scalar scale (the mask may be computed too).
    const fromScores = (v: string) => !!ix.sole(unscale(ix, v).v, "MatMul");
    const scores = add.inputs.find(fromScores);
    if (!scores) return false;
    mask = other(add, scores);
    s = scores;
    removed.push(add);
  }
  let scale = 1;
  const post = unscale(ix, s);
  if (post.node) { scale *= post.scale; s = post.v; removed.push(post.node); }
  const qk = ix.sole(s, "MatMul");
  if (!qk) return false;
  removed.push(qk);
  // Forwards: the probabilities feed only P·V. Tapped (a graph output: load's `taps`), they become the op's
  // second output, the attention weights per head ([batch, heads, q, kv]; for scores of rank 3, PyTorch's
  // [batch·heads, q, kv], squeezed back to that).
  const weights = g.outputs.includes(sm.outputs[0]) ? sm.outputs[0] : undefined;
  const pv = ix.only(sm.outputs[0], "MatMul", true);
  if (!pv || pv.inputs[0] !== sm.outputs[0]) return false;
  removed.push(pv);
  const kt = ix.sole(qk.inputs[1], "Transpose");
  const kPerm = kt?.attrs.perm;
  if (!kt || !Array.isArray(kPerm) || (kPerm.length !== 3 && kPerm.length !== 4)) return false;
  const rank = kPerm.length;
  // A mask of higher rank than the scores would raise the output's rank (the op broadcasts it to the scores).
  const maskRank = mask ? (ix.constant(mask)?.shape ?? g.inputs.find((i) => i.name === mask)?.shape)?.length : undefined;
  if (maskRank !== undefined && maskRank > rank) return false;
  removed.push(kt);
  const pre = unscale(ix, qk.inputs[0]);
  if (pre.node) { scale *= pre.scale; removed.push(pre.node); }
  const q = source(ix, pre.v, rank), v = source(ix, pv.inputs[1], rank);
  const qScale = q.node ? unscale(ix, q.src) : { v: q.src, scale: 1 };
  const k = { src: kt.inputs[0], perm: swapLast(kPerm as number[]) };
  const layout = layoutOf(q.perm);
  const common = layout !== undefined && layout === layoutOf(k.perm) && layout === layoutOf(v.perm) && q.perm.join() === k.perm.join() && k.perm.join() === v.perm.join();
  const newNodes: Node[] = [];
  let qIn: string, kIn: string, vIn: string, attnLayout: string;
  if (common) {
    // The Transposes are absorbed: the op reads their sources in `layout`.
    attnLayout = layout!;
    if (q.node) removed.push(q.node);
    if (v.node) removed.push(v.node);
    if (qScale.node) { scale *= qScale.scale; removed.push(qScale.node); }
    [qIn, kIn, vIn] = [qScale.v, k.src, v.src];
  } else {
    // Operands as they are; K is un-transposed (a new Transpose unless Kᵀ's perm only swapped the last two dims).
    attnLayout = rank === 4 ? "bhsd" : "bsd";
    [qIn, vIn] = [pre.v, pv.inputs[1]];
    if (k.perm.join() === identity(rank).join()) kIn = k.src;
    else {
      kIn = freshName(g, `${kt.outputs[0]}/untransposed`);
      newNodes.push({ op: "Transpose", name: freshName(g, `${kt.name}/untransposed`), inputs: [k.src], outputs: [kIn], attrs: { perm: k.perm } });
    }
  }
  // Output: in the op's layout. A Transpose back to that layout after P·V is absorbed; else one is added.
  let out = pv.outputs[0];
  const perm = common ? q.perm : identity(rank);
  if (perm.join() !== identity(rank).join()) {
    const back = ix.only(out, "Transpose");
    if (back && Array.isArray(back.attrs.perm) && (back.attrs.perm as number[]).join() === perm.join()) {
      removed.push(back);
      out = back.outputs[0];
    } else {
      const tmp = freshName(g, `${out}/${attnLayout}`);
      newNodes.push({ op: "Transpose", name: freshName(g, `${pv.name}/to_bhsd`), inputs: [tmp], outputs: [out], attrs: { perm } });
      out = tmp;
    }
  }
  const attrs: Record<string, number | string> = rank === 4 ? { layout: attnLayout, scale } : { layout: attnLayout, scale, num_heads: 1 };
  const name = freshName(g, sm.name.replace(/\/Softmax$/, "") + "/Attention");
  let w = weights;
  if (weights && rank === 3) {
    w = freshName(g, `${weights}/heads`);
    newNodes.push({ op: "Squeeze", name: freshName(g, `${name}/weights`), inputs: [w], outputs: [weights], attrs: { axes: [1] } });
  }
  newNodes.push({ op: "Attention", name, inputs: mask ? [qIn, kIn, vIn, mask] : [qIn, kIn, vIn], outputs: w ? [out, w] : [out], attrs });
  replace(g, removed, reorder(newNodes));
  return true;
}

/** Nodes in dependency order (a K Transpose before the Attention, the Attention before an output Transpose). */
function reorder(nodes: Node[]): Node[] {
  const made = new Set<string>(), out: Node[] = [], rest = [...nodes];
  while (rest.length) {
    const i = rest.findIndex((n) => n.inputs.every((x) => !rest.some((m) => m !== n && m.outputs.includes(x)) || made.has(x)));
    const [n] = rest.splice(i < 0 ? 0 : i, 1);
    n.outputs.forEach((o) => made.add(o));
    out.push(n);
  }
  return out;
}
