/**
 * Keeps chains of NCHW image ops in NHWC, the kernels' layout. Every NCHW Conv/MaxPool/AveragePool becomes an
 * NHWC op between two Transposes; Transposes then sink through element-wise ops and cancel in pairs, so a
 * ResNet-style chain pays one copy in and one copy out instead of two per op.
 */
import type { Graph, Node } from "./graph.js";
import { relabelResizeAxes } from "../ops/resize.js";

const UNARY = new Set(["Relu", "Relu6", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "Gelu", "Silu", "HardSigmoid", "HardSwish",
  "Exp", "Elu", "Neg", "Abs", "Sqrt", "Log", "Softplus", "Erf", "Reciprocal", "Identity"]);
const BINARY = new Set(["Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"]);

/** NCHW -> NHWC and back, for an image of `rank` dims (3: 1-D, 4: 2-D). */
const toNHWC = (rank: number) => [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
const toNCHW = (rank: number) => [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];

/** Rank of an op's image input, where the node tells it without shapes. */
function imageRank(g: Graph, n: Node): number | undefined {
  if (n.op === "Conv" || n.op === "ConvTranspose") return g.constants.get(n.inputs[1])?.shape.length;
  if (n.op === "MaxPool" || n.op === "AveragePool") {
    const k = n.attrs.kernel_shape;
    return Array.isArray(k) ? k.length + 2 : undefined;
  }
  return undefined;
}

export function keepNHWC(g: Graph): number {
  let fresh = 0;
  const name = (base: string) => {
    let v: string;
    do v = `${base}/nhwc${fresh++}`; while (g.constants.has(v));
    return v;
  };
  const transpose = (input: string, output: string, perm: number[]): Node =>
    ({ op: "Transpose", name: name("layout"), inputs: [input], outputs: [output], attrs: { perm } });

  // 1. Wrap each NCHW image op: x -> T(toNHWC) -> op(NHWC) -> T(toNCHW) -> y.
  for (const n of [...g.nodes]) {
    const rank = imageRank(g, n);
    if (rank === undefined || rank < 3 || (n.attrs.layout ?? "NCHW") !== "NCHW" || n.outputs.length !== 1) continue;
    const xin = name(n.inputs[0]), yout = name(n.outputs[0]);
    const at = g.nodes.indexOf(n);
    g.nodes.splice(at, 0, transpose(n.inputs[0], xin, toNHWC(rank)));
    g.nodes.splice(at + 2, 0, transpose(yout, n.outputs[0], toNCHW(rank)));
    n.inputs[0] = xin;
    n.outputs[0] = yout;
    n.attrs.layout = "NHWC";
  }

  // 2. Sink Transposes below element-wise ops and cancel inverse pairs, until nothing changes. One scan per pass
  // with the producer and reader maps kept up to date as nodes move (rebuilding them after every change, as this
  // pass once did, was quadratic: 0.45 s on DenseNet-121's 383 nodes).
  for (let changed = true; changed;) {
    changed = false;
    const producer = new Map<string, Node>();
    const readers = new Map<string, number>();
    const read = (v: string, d: number) => readers.set(v, (readers.get(v) ?? 0) + d);
    for (const n of g.nodes) {
      n.outputs.forEach((o) => producer.set(o, n));
      n.inputs.forEach((x) => read(x, 1));
    }
    /** Removes `m` from the graph; returns its index (the scan steps back past it). */
    const remove = (m: Node) => {
      const at = g.nodes.indexOf(m);
      g.nodes.splice(at, 1);
      m.inputs.forEach((x) => read(x, -1));
      m.outputs.forEach((o) => producer.delete(o));
      return at;
    };
    const transposeOf = (v: string) => {
      const p = producer.get(v);
      return p?.op === "Transpose" && hasPerm(p) ? p : undefined;
    };
    const soleReader = (v: string) => readers.get(v) === 1 && !g.outputs.includes(v);
    // A transpose the moves below have left unread goes (DenseNet's features feed many concats: each moves
    // its own read past the transpose, and the last one leaves it dead).
    for (const dead of g.nodes.filter((n) => n.op === "Transpose" && n.outputs.every((o) => !readers.get(o) && !g.outputs.includes(o)))) {
      remove(dead);
      changed = true;
    }
    for (let i = 0; i < g.nodes.length; i++) {
      const n = g.nodes[i];
      if (n.op === "Transpose" && hasPerm(n)) {
        const t = producer.get(n.inputs[0]);
        if (t?.op === "Transpose" && hasPerm(t) && isIdentity(compose(perm(t), perm(n))) && !g.outputs.includes(n.outputs[0])) {
          // T2(T1(x)) = x: readers of T2's output read x. T1 stays while anything else reads it (a value
          // feeding two convs has one T1 and two T2s: both go, then T1).
          const x = t.inputs[0], out = n.outputs[0];
          for (const m of g.nodes) m.inputs = m.inputs.map((v) => (v === out ? x : v));
          read(x, readers.get(out) ?? 0);
          readers.delete(out);
          const t1Unread = readers.get(n.inputs[0]) === 1 && !g.outputs.includes(n.inputs[0]);
          remove(n);
          if (t1Unread) remove(t); // before n: the scan steps back one more
          i -= t1Unread ? 2 : 1;
          changed = true;
        }
      } else {
        const t0 = n.inputs.map(transposeOf).find((t) => t);
        const p = t0 && perm(t0);
        const relayout = p && sinkThrough(n, p);
        if (!relayout) continue;
        const back = inverse(p);
        // op(T(a), T(b)) = T(op(a, b)); a scalar constant broadcasts the same in any layout; a value that
        // already has a copy in the other layout (e.g. the skip input of a residual Add) is read from there.
        const data = n.op === "BatchNormalization" ? 1 : n.inputs.length; // BN's per-channel parameters stay
        const moved = n.inputs.slice(0, data).map((v) => {
          const t = transposeOf(v);
          if (t) return samePerm(perm(t), p) ? { from: t.inputs[0], drop: soleReader(v) ? t : undefined } : undefined;
          const c = g.constants.get(v);
          if (c) return c.shape.every((d) => d === 1) ? { from: v } : undefined;
          const copy = g.nodes.find((m) => m.op === "Transpose" && hasPerm(m) && m.inputs[0] === v && samePerm(perm(m), back));
          return copy && g.nodes.indexOf(copy) < i ? { from: copy.outputs[0] } : undefined;
        });
        if (!moved.every((m) => m)) continue;
        const out = n.outputs[0], inner = name(out);
        moved.forEach((m, j) => { read(n.inputs[j], -1); read(m!.from, 1); });
        n.inputs = [...moved.map((m) => m!.from), ...n.inputs.slice(data)];
        n.outputs[0] = inner;
        producer.set(inner, n);
        relayout(n);
        for (const m of moved) if (m!.drop) i -= remove(m!.drop) < i ? 1 : 0;
        const after = transpose(inner, out, p);
        g.nodes.splice(i + 1, 0, after);
        producer.set(out, after);
        read(inner, 1);
        changed = true;
      }
    }
  }
  return g.nodes.filter((n) => n.op === "Transpose" && n.name.includes("/nhwc")).length;
}

/**
 * How `n` changes when its inputs arrive untransposed (its output then gets the transpose `p`), or undefined if
 * it cannot: element-wise ops do not care, Concat's axis moves, BatchNormalization's channel axis moves.
 */
function sinkThrough(n: Node, p: number[]): ((n: Node) => void) | undefined {
  if (n.outputs.length !== 1) return undefined;
  if (UNARY.has(n.op) || BINARY.has(n.op)) return () => {};
  if (n.op === "Concat" && typeof n.attrs.axis === "number") {
    const axis = n.attrs.axis < 0 ? n.attrs.axis + p.length : n.attrs.axis;
    return axis >= 0 && axis < p.length ? (m) => { m.attrs.axis = p[axis]; } : undefined;
  }
  const nchw = (n.attrs.layout ?? "NCHW") === "NCHW" && samePerm(p, toNCHW(p.length));
  if ((n.op === "BatchNormalization" || n.op === "GlobalAveragePool" || n.op === "GlobalMaxPool") && nchw) return (m) => { m.attrs.layout = "NHWC"; };
  if (n.op === "Resize") return (m) => relabelResizeAxes(m, p);
  return undefined;
}

// Transposes without an explicit perm (reverse all axes) need the rank, unknown here: they are left alone.
const hasPerm = (t: Node) => Array.isArray(t.attrs.perm);
const perm = (t: Node) => t.attrs.perm as number[];
const compose = (first: number[], then: number[]) => then.map((i) => first[i]);
const inverse = (p: number[]) => p.map((_, i) => p.indexOf(i));
const isIdentity = (p: number[]) => p.every((v, i) => v === i);
const samePerm = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
