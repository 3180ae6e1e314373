/**
 * Arithmetic cost of a planned node, for `edgenn inspect` and the benchmarks' GFLOP/s: a multiply-add counts
 * as 2 FLOPs; element-wise ops count one FLOP per output element. Estimates, not measurements.
 */
const size = (s: readonly number[] | undefined) => (s ?? []).reduce((a, b) => a * b, 1);

export interface CostNode {
  op: string;
  attrs: Readonly<Record<string, unknown>>;
  inputs: { shape?: number[] }[];
  outputs: { shape: number[] }[];
}

const GATES: Record<string, number> = { LSTM: 4, GRU: 3, RNN: 1 };

export function flopsOf(n: CostNode): number {
  const inS = (i: number) => n.inputs[i]?.shape;
  const out = size(n.outputs[0]?.shape);
  switch (n.op) {
    case "Dense": {
      const w = inS(1)!; // [K, N] or [N, K]: either way K·N multiply-adds per output row
      return 2 * (out / (n.attrs.transposeW ? w[0] : w[1])) * size(w);
    }
    case "Conv": // weights [cout][cin/groups][k...]: each output element takes cin/groups · k... multiply-adds
      return 2 * out * size(inS(1)!.slice(1));
    case "ConvTranspose": // weights [cin][cout/groups][k...]: each input element takes cout/groups · k... multiply-adds
      return 2 * size(inS(0)) * size(inS(1)!.slice(1));
    case "MatMul": {
      const a = inS(0)!;
      return 2 * out * a[a.length - 1];
    }
    case "LSTM": case "GRU": case "RNN": {
      const [dirs, gh, inSize] = inS(1)!; // W: [dirs, gates·hidden, input]
      const h = gh / GATES[n.op];
      const y = n.outputs[0].shape; // Y: [seq, dirs, batch, hidden] or batch-major: seq·batch = size / (dirs·hidden)
      const steps = size(y) / (dirs * h);
      return 2 * steps * dirs * gh * (inSize + h) + steps * dirs * gh * 4;
    }
    case "Attention": {
      const q = inS(0)!; // [batch, heads, seq, head_dim]: QKᵀ and ·V, both seq² · head_dim per head
      const kv = inS(1)!;
      return 4 * size(q) * kv[kv.length - 2];
    }
    default:
      return out;
  }
}

export const parametersOf = (nodes: readonly { inputs: { shape?: number[]; constant: boolean; name: string }[] }[]) => {
  const seen = new Set<string>();
  let count = 0;
  for (const n of nodes) for (const x of n.inputs) if (x.constant && !seen.has(x.name)) { seen.add(x.name); count += size(x.shape); }
  return count;
};
