/**
 * Keeps chains of NCHW image ops in NHWC, the kernels' layout. Every NCHW Conv/MaxPool/AveragePool becomes an
 * NHWC op between two Transposes; Transposes then sink through element-wise ops and cancel in pairs, so a
 * ResNet-style chain pays one copy in and one copy out instead of two per op.
 */
import type { Graph, Node } from "./graph.js";

const UNARY = new Set(["Relu", "Relu6", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "Gelu", "Silu", "HardSigmoid", "HardSwish",
  "Exp", "Elu", "Neg", "Abs", "Sqrt", "Log", "Softplus", "Erf", "Reciprocal", "Identity"]);
const BINARY = new Set(["Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"]);

/** NCHW -> NHWC and back, for an image of `rank` dims (3: 1-D, 4: 2-D). */
const toNHWC = (rank: number) => [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
const toNCHW = (rank: number) => [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];

/** Rank of an op's image input, where the node tells it without shapes. */
function imageRank(g: Graph, n: Node): number | undefined {
  if (n.op === "Conv") return g.constants.get(n.inputs[1])?.shape.length;
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

  // 2. Sink Transposes below element-wise ops and cancel inverse pairs, until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    const producer = new Map<string, Node>();
    const readers = new Map<string, number>();
    for (const n of g.nodes) {
      n.outputs.forEach((o) => producer.set(o, n));
      n.inputs.forEach((x) => readers.set(x, (readers.get(x) ?? 0) + 1));
    }
    const soleTranspose = (v: string) => {
      const p = producer.get(v);
      return p?.op === "Transpose" && hasPerm(p) && readers.get(v) === 1 && !g.outputs.includes(v) ? p : undefined;
    };
    for (const n of g.nodes) {
      if (n.op === "Transpose" && hasPerm(n)) {
        const t = soleTranspose(n.inputs[0]);
        if (t && isIdentity(compose(perm(t), perm(n)))) {
          // T2(T1(x)) = x: readers of T2's output read x.
          const x = t.inputs[0], out = n.outputs[0];
          if (g.outputs.includes(out)) continue;
          for (const m of g.nodes) m.inputs = m.inputs.map((v) => (v === out ? x : v));
          g.nodes = g.nodes.filter((m) => m !== n && m !== t);
          changed = true;
          break;
        }
      } else if (UNARY.has(n.op) || BINARY.has(n.op)) {
        const t0 = n.inputs.map(soleTranspose).find((t) => t);
        if (!t0) continue;
        const p = perm(t0), back = inverse(p);
        // op(T(a), T(b)) = T(op(a, b)); a scalar constant broadcasts the same in any layout; a value that
        // already has a copy in the other layout (e.g. the skip input of a residual Add) is read from there.
        const moved = n.inputs.map((v) => {
          const t = soleTranspose(v);
          if (t) return samePerm(perm(t), p) ? { from: t.inputs[0], drop: t } : undefined;
          const c = g.constants.get(v);
          if (c) return c.shape.every((d) => d === 1) ? { from: v } : undefined;
          const copy = g.nodes.find((m) => m.op === "Transpose" && hasPerm(m) && m.inputs[0] === v && samePerm(perm(m), back));
          return copy && g.nodes.indexOf(copy) < g.nodes.indexOf(n) ? { from: copy.outputs[0] } : undefined;
        });
        if (!moved.every((m) => m)) continue;
        const out = n.outputs[0], inner = name(out);
        n.inputs = moved.map((m) => m!.from);
        n.outputs[0] = inner;
        g.nodes = g.nodes.filter((m) => !moved.some((x) => x!.drop === m));
        g.nodes.splice(g.nodes.indexOf(n) + 1, 0, transpose(inner, out, p));
        changed = true;
        break;
      }
    }
  }
  return g.nodes.filter((n) => n.op === "Transpose" && n.name.includes("/nhwc")).length;
}

// Transposes without an explicit perm (reverse all axes) need the rank, unknown here: they are left alone.
const hasPerm = (t: Node) => Array.isArray(t.attrs.perm);
const perm = (t: Node) => t.attrs.perm as number[];
const compose = (first: number[], then: number[]) => then.map((i) => first[i]);
const inverse = (p: number[]) => p.map((_, i) => p.indexOf(i));
const isIdentity = (p: number[]) => p.every((v, i) => v === i);
const samePerm = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
