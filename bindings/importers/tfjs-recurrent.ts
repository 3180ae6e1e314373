/**
 * LSTM, GRU and SimpleRNN, alone or inside Bidirectional, onto the IR's ONNX-form recurrent ops.
 *
 * Keras' gate blocks (LSTM i,f,c,o; GRU z,r,h) are reordered to ONNX's (LSTM i,o,f,c; GRU z,r,h) and the
 * kernels transposed to [gates*units, in]; the ops run with layout=1 ([batch, time, features], as Keras).
 * Bidirectional becomes one node with direction "bidirectional": ONNX writes the backward direction's
 * outputs at their own time steps, which is where Keras puts them after reversing them back.
 */
import type { AttrValue } from "../ir/graph.js";
import { BIG, bad, norm, unsupported, type Handler, type Importer } from "./tfjs-common.js";

type RnnKind = "LSTM" | "GRU" | "RNN";
const KINDS: Record<string, RnnKind> = { LSTM: "LSTM", GRU: "GRU", SimpleRNN: "RNN" };
const GATES: Record<RnnKind, number> = { LSTM: 4, GRU: 3, RNN: 1 };
const PERM: Record<RnnKind, number[]> = { LSTM: [0, 3, 1, 2], GRU: [0, 1, 2], RNN: [0] }; // ONNX gate slot → Keras gate

/** One direction's weights in ONNX form, and its activation attributes. */
interface Direction {
  W: Float32Array; R: Float32Array; B: Float32Array; H: number; I: number; resetAfter: boolean;
  activations?: string[]; hardSigmoid?: { alpha: number; beta: number };
}

/** The options the IR cannot run, all at once. */
function checkOptions(kind: RnnKind, cfg: any, inputs: number): void {
  const problems: string[] = [];
  if (inputs !== 1) problems.push("initial states passed as inputs");
  if (cfg.stateful) problems.push("stateful=true");
  if (cfg.time_major) problems.push("time_major=true");
  const act = norm(cfg.activation ?? "tanh"), ract = norm(cfg.recurrent_activation ?? "sigmoid");
  if (kind === "RNN") {
    if (act !== "relu" && act !== "tanh") problems.push(`activation '${cfg.activation}' (tanh or relu)`);
  } else {
    if (act !== "tanh") problems.push(`activation '${cfg.activation}' (tanh only)`);
    if (ract !== "hardsigmoid" && ract !== "sigmoid") problems.push(`recurrent_activation '${cfg.recurrent_activation}' (sigmoid or hard_sigmoid)`);
  }
  if (problems.length) throw unsupported(problems.join(", "));
}

/** A layer's (or one wrapped direction's) weights, reordered to ONNX form. */
function direction(m: Importer, kind: RnnKind, layer: string, cfg: any, within?: (p: string) => boolean): Direction {
  const G = GATES[kind], perm = PERM[kind];
  const kernel = m.weight(layer, "kernel", true, within)!, rk = m.weight(layer, "recurrent_kernel", true, within)!;
  const H = rk.shape[0], I = kernel.shape[0];
  if (kernel.shape.length !== 2 || rk.shape.length !== 2 || kernel.shape[1] !== G * H || rk.shape[1] !== G * H) {
    throw bad(`layer '${layer}': kernel [${kernel.shape}] and recurrent_kernel [${rk.shape}] do not fit ${kind} with ${H} units`);
  }
  const W = new Float32Array(G * H * I), R = new Float32Array(G * H * H), B = new Float32Array(2 * G * H);
  for (let s = 0; s < G; s++) {
    const src = perm[s] * H;
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < I; i++) W[(s * H + j) * I + i] = kernel.data[i * G * H + src + j];
      for (let i = 0; i < H; i++) R[(s * H + j) * H + i] = rk.data[i * G * H + src + j];
    }
  }
  const b = cfg.use_bias === false ? undefined : m.weight(layer, "bias", true, within)!;
  const two = b?.data.length === 2 * G * H;
  // GRU reset_after (Keras 2/3's default; tfjs has only false) keeps the recurrent bias apart: bias [2, 3H].
  const resetAfter = kind === "GRU" && (cfg.reset_after ?? two) === true;
  if (b) {
    if (!(b.data.length === G * H || (two && resetAfter))) throw bad(`layer '${layer}': bias [${b.shape}] does not fit ${kind} with ${H} units${kind === "GRU" ? ` (reset_after ${resetAfter})` : ""}`);
    for (let s = 0; s < G; s++) {
      for (let j = 0; j < H; j++) {
        B[s * H + j] = b.data[perm[s] * H + j];
        if (two) B[G * H + s * H + j] = b.data[G * H + perm[s] * H + j];
      }
    }
  }
  const d: Direction = { W, R, B, H, I, resetAfter };
  if (kind === "RNN") {
    if (norm(cfg.activation ?? "tanh") === "relu") d.activations = ["Relu"];
  } else if (norm(cfg.recurrent_activation ?? "sigmoid") === "hardsigmoid") {
    // hard_sigmoid (tfjs' default): clip(0.2x + 0.5, 0, 1) in tfjs-layers and Keras 2, clip(x/6 + 0.5, 0, 1) in Keras 3.
    d.hardSigmoid = m.kerasVersion.startsWith("3") ? { alpha: 1 / 6, beta: 0.5 } : { alpha: 0.2, beta: 0.5 };
    d.activations = kind === "LSTM" ? ["HardSigmoid", "Tanh", "Tanh"] : ["HardSigmoid", "Tanh"];
  }
  return d;
}

const DEFAULT_ACTS: Record<RnnKind, string[]> = { LSTM: ["Sigmoid", "Tanh", "Tanh"], GRU: ["Sigmoid", "Tanh"], RNN: ["Tanh"] };

/** The recurrent node over one or two directions; returns [Y, Y_h, Y_c] (as many as the layer needs named). */
function emit(m: Importer, kind: RnnKind, x: string, dirs: Direction[], dirAttr: string, base: string, cfg: any): string[] {
  const G = GATES[kind], { H, I } = dirs[0];
  const cat = (f: (d: Direction) => Float32Array) => {
    const parts = dirs.map(f), out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    parts.reduce((at, p) => { out.set(p, at); return at + p.length; }, 0);
    return out;
  };
  const D = dirs.length;
  const attrs: Record<string, AttrValue> = { hidden_size: H, layout: 1, direction: dirAttr };
  if (dirs.some((d) => d.activations)) attrs.activations = dirs.flatMap((d) => d.activations ?? DEFAULT_ACTS[kind]);
  const hs = dirs.flatMap((d) => (d.hardSigmoid ? [d.hardSigmoid] : []));
  if (hs.length) { attrs.activation_alpha = hs.map((h) => h.alpha); attrs.activation_beta = hs.map((h) => h.beta); }
  if (kind === "GRU") attrs.linear_before_reset = dirs[0].resetAfter ? 1 : 0;
  const ins = [x, m.constant(`${base}/W`, [D, G * H, I], cat((d) => d.W)), m.constant(`${base}/R`, [D, G * H, H], cat((d) => d.R)), m.constant(`${base}/B`, [D, 2 * G * H], cat((d) => d.B))];
  const nStates = kind === "LSTM" ? 2 : 1;
  const named = cfg.return_state ? 1 + nStates : cfg.return_sequences ? 1 : 2;
  return m.node(kind, ins, attrs, ["Y", "Y_h", "Y_c"].slice(0, named).map((s) => `${base}/${s}`));
}

function recurrent(kind: RnnKind): Handler {
  return (m, { layer, inputs, out, base }) => {
    const cfg = layer.config;
    checkOptions(kind, cfg, inputs.length);
    const outs = emit(m, kind, inputs[0], [direction(m, kind, layer.name, cfg)], cfg.go_backwards ? "reverse" : "forward", base, cfg);
    let y: string;
    if (cfg.return_sequences) {
      const seq = cfg.go_backwards ? `${base}/Y_seq` : out(0);
      y = m.one("Reshape", [outs[0]], { shape: [0, 0, -1] }, seq);
      // Keras keeps go_backwards outputs in processing order (last time step first); ONNX reverse writes them in place.
      if (cfg.go_backwards) y = m.one("Slice", [y], { axes: [1], starts: [-1], ends: [-BIG], steps: [-1] }, out(0));
    } else y = m.one("Reshape", [outs[1]], { shape: [0, -1] }, out(0));
    if (!cfg.return_state) return [y];
    return [y, ...outs.slice(1).map((s, i) => m.one("Reshape", [s], { shape: [0, -1] }, out(1 + i)))];
  };
}

const MERGES = ["concat", "sum", "mul", "ave", null];

/**
 * Bidirectional(LSTM | GRU | SimpleRNN), every merge mode. Outputs as Keras: the merged output (or forward and
 * backward with merge_mode None), then with return_state the forward states and the backward states.
 */
const Bidirectional: Handler = (m, { layer, inputs, out, base }) => {
  const cfg = layer.config, inner = cfg.layer;
  if (!inner || typeof inner !== "object" || typeof inner.class_name !== "string" || !inner.config || typeof inner.config !== "object") {
    throw bad(`layer '${layer.name}': Bidirectional without a wrapped layer config`);
  }
  const kind = Object.hasOwn(KINDS, inner.class_name) ? KINDS[inner.class_name] : undefined;
  if (!kind) throw unsupported(`wraps ${inner.class_name} (LSTM, GRU or SimpleRNN)`);
  const fwd = inner.config, back = cfg.backward_layer?.config ?? { ...fwd, go_backwards: true };
  const merge = cfg.merge_mode ?? null;
  if (!MERGES.includes(merge)) throw unsupported(`merge_mode ${JSON.stringify(merge)}`);
  if (fwd.go_backwards || !back.go_backwards) throw unsupported("a forward layer with go_backwards=true");
  checkOptions(kind, fwd, inputs.length);
  checkOptions(kind, back, inputs.length);
  const dirs = [direction(m, kind, layer.name, fwd, (p) => p.startsWith("forward_")), direction(m, kind, layer.name, back, (p) => p.startsWith("backward_"))];
  if (dirs[0].H !== dirs[1].H || dirs[0].resetAfter !== dirs[1].resetAfter || !!fwd.return_sequences !== !!back.return_sequences) {
    throw unsupported("a backward layer that differs from the forward one in units, reset_after or return_sequences");
  }
  const outs = emit(m, kind, inputs[0], dirs, "bidirectional", base, fwd);
  const seqs = !!fwd.return_sequences;
  // Y [batch, time, 2, units] or Y_h [batch, 2, units]: the direction axis.
  const [y, axis] = seqs ? [outs[0], 2] : [outs[1], 1];
  const perDir = (v: string, axis: number, names: string[]) => m.node("Split", [v], { axis }, names.map((n) => `${n}/raw`))
    .map((s, i) => m.one("Squeeze", [s], { axes: [axis] }, names[i]));
  const results: string[] = [];
  if (merge === "concat") results.push(m.one("Reshape", [y], { shape: seqs ? [0, 0, -1] : [0, -1] }, out(0)));
  else if (merge === null) results.push(...perDir(y, axis, [out(0), out(1)]));
  else {
    const [f, b] = perDir(y, axis, [`${base}/fwd`, `${base}/bwd`]);
    if (merge === "sum") results.push(m.one("Add", [f, b], {}, out(0)));
    else if (merge === "mul") results.push(m.one("Mul", [f, b], {}, out(0)));
    else results.push(m.one("Mul", [m.one("Add", [f, b], {}, `${base}/sum`), m.scalar(`${base}/half`, 0.5)], {}, out(0)));
  }
  if (!fwd.return_state) return results;
  // States [batch, 2, units] each: forward h (c), then backward h (c).
  const n = outs.length - 1, at = results.length;
  const states = outs.slice(1).map((s, i) => perDir(s, 1, [out(at + i), out(at + n + i)]));
  return [...results, ...states.map((s) => s[0]), ...states.map((s) => s[1])];
};

export const RECURRENT: Record<string, Handler> = { LSTM: recurrent("LSTM"), GRU: recurrent("GRU"), SimpleRNN: recurrent("RNN"), Bidirectional };
