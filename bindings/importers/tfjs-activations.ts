/**
 * Keras / tfjs activation names: fused into Dense/Conv where the IR's `activation` attribute has them,
 * otherwise composed from element-wise ops after the layer. Covers tfjs-layers' names and Keras 3's
 * keras.activations (except sparsemax, which needs a sort, and threshold, which takes arguments).
 */
import type { AttrValue } from "../ir/graph.js";
import { norm, unsupported, type Importer } from "./tfjs-common.js";

/** Keras 3 changed hard_sigmoid from clip(0.2x + 0.5) to relu6(x + 3) / 6. */
const hardSigmoid = (m: Importer) => (m.kerasVersion.startsWith("3") ? { alpha: 1 / 6, beta: 0.5 } : { alpha: 0.2, beta: 0.5 });

/** Activation names as the config gives them: a string, or Keras 3's {class_name: "function", config: name}. */
export function activationName(a: unknown): string {
  if (a && typeof a === "object" && typeof (a as any).config === "string") return (a as any).config;
  return a === null || a === undefined ? "linear" : String(a);
}

/** Activations that ride in Dense/Conv's `activation` attribute: IR name and extra attrs. */
function fusedActivation(m: Importer, name: string): Record<string, AttrValue> | undefined {
  switch (norm(name)) {
    case "linear": return { activation: "linear" };
    case "relu": return { activation: "relu" };
    case "relu6": return { activation: "relu6" };
    case "hardtanh": return { activation: "clip", alpha: -1, beta: 1 };
    case "sigmoid": return { activation: "sigmoid" };
    case "tanh": return { activation: "tanh" };
    case "elu": case "celu": return { activation: "elu", alpha: 1 }; // celu with its default alpha 1 is elu
    case "leakyrelu": return { activation: "leaky_relu", alpha: 0.2 };
    case "softplus": return { activation: "softplus" };
    case "swish": case "silu": return { activation: "silu" };
    case "hardsilu": case "hardswish": return { activation: "hard_swish" };
    case "gelu": return { activation: "gelu" };
    case "gelunew": return { activation: "gelu_tanh" };
    case "hardsigmoid": return { activation: "hard_sigmoid", ...hardSigmoid(m) };
    default: return undefined;
  }
}

type Compose = (m: Importer, x: string, out: string, c: (v: number) => string) => string;

/** Activations as nodes of their own. Each writes its result to `out`. */
const COMPOSED: Record<string, Compose> = {
  relu: (m, x, out) => m.one("Relu", [x], {}, out),
  relu6: (m, x, out) => m.one("Relu6", [x], {}, out),
  hardtanh: (m, x, out) => m.one("Clip", [x], { min: -1, max: 1 }, out),
  sigmoid: (m, x, out) => m.one("Sigmoid", [x], {}, out),
  tanh: (m, x, out) => m.one("Tanh", [x], {}, out),
  elu: (m, x, out) => m.one("Elu", [x], { alpha: 1 }, out),
  celu: (m, x, out) => m.one("Elu", [x], { alpha: 1 }, out),
  leakyrelu: (m, x, out) => m.one("LeakyRelu", [x], { alpha: 0.2 }, out),
  selu(m, x, out, c) {
    const e = m.one("Elu", [x], { alpha: 1.6732632423543772 }, `${out}/elu`);
    return m.one("Mul", [e, c(1.0507009873554805)], {}, out);
  },
  softplus: (m, x, out) => m.one("Softplus", [x], {}, out),
  softsign(m, x, out, c) {
    const d = m.one("Add", [m.one("Abs", [x], {}, `${out}/abs`), c(1)], {}, `${out}/den`);
    return m.one("Div", [x, d], {}, out);
  },
  swish: (m, x, out) => m.one("Silu", [x], {}, out),
  silu: (m, x, out) => m.one("Silu", [x], {}, out),
  gelu: (m, x, out) => m.one("Gelu", [x], {}, out),
  gelunew: (m, x, out) => m.one("Gelu", [x], { approximate: "tanh" }, out),
  hardsigmoid: (m, x, out) => m.one("HardSigmoid", [x], hardSigmoid(m), out),
  hardsilu: (m, x, out) => m.one("HardSwish", [x], {}, out),
  hardswish: (m, x, out) => m.one("HardSwish", [x], {}, out),
  exponential: (m, x, out) => m.one("Exp", [x], {}, out),
  softmax: (m, x, out) => m.one("Softmax", [x], { axis: -1 }, out),
  logsoftmax: (m, x, out) => m.one("LogSoftmax", [x], { axis: -1 }, out),
  mish(m, x, out) {
    const t = m.one("Tanh", [m.one("Softplus", [x], {}, `${out}/softplus`)], {}, `${out}/tanh`);
    return m.one("Mul", [x, t], {}, out);
  },
  // log(sigmoid(x)) = -softplus(-x), without the log of a rounded-to-zero sigmoid.
  logsigmoid(m, x, out) {
    const sp = m.one("Softplus", [m.one("Neg", [x], {}, `${out}/neg`)], {}, `${out}/softplus`);
    return m.one("Neg", [sp], {}, out);
  },
  tanhshrink: (m, x, out) => m.one("Sub", [x, m.one("Tanh", [x], {}, `${out}/tanh`)], {}, out),
  softshrink: (m, x, out) => m.one("Sub", [x, m.one("Clip", [x], { min: -0.5, max: 0.5 }, `${out}/clip`)], {}, out),
  // x where |x| > 0.5, else 0: soft_shrink s plus 0.5·sign(s). A nonzero s is at least 2^-24 (x - 0.5 near 0.5
  // is exact in float32), so clip(s·2^30, -1, 1) is exactly its sign.
  hardshrink(m, x, out, c) {
    const s = COMPOSED.softshrink(m, x, `${out}/soft`, c);
    const sign = m.one("Clip", [m.one("Mul", [s, c(2 ** 30)], {}, `${out}/big`)], { min: -1, max: 1 }, `${out}/sign`);
    return m.one("Add", [s, m.one("Mul", [sign, c(0.5)], {}, `${out}/half`)], {}, out);
  },
  // 0 for x <= -1, (x + 1)²/4 between, x from 1 on: with c = clip(x, -1, 1), (c + 1)²/4 + relu(x - c).
  sparseplus(m, x, out, c) {
    const k = m.one("Clip", [x], { min: -1, max: 1 }, `${out}/clip`);
    const k1 = m.one("Add", [k, c(1)], {}, `${out}/plus1`);
    const q = m.one("Mul", [m.one("Mul", [k1, k1], {}, `${out}/sq`), c(0.25)], {}, `${out}/quad`);
    const r = m.one("Relu", [m.one("Sub", [x, k], {}, `${out}/rest`)], {}, `${out}/lin`);
    return m.one("Add", [q, r], {}, out);
  },
  // (x + sqrt(x² + 4)) / 2 (Keras' default b = 4).
  squareplus(m, x, out, c) {
    const r = m.one("Sqrt", [m.one("Add", [m.one("Mul", [x, x], {}, `${out}/sq`), c(4)], {}, `${out}/plusb`)], {}, `${out}/sqrt`);
    return m.one("Mul", [m.one("Add", [x, r], {}, `${out}/sum`), c(0.5)], {}, out);
  },
  // Halves of the last axis: a · sigmoid(b).
  glu(m, x, out) {
    const [a, b] = m.node("Split", [x], { axis: -1 }, [`${out}/a`, `${out}/b`]);
    return m.one("Mul", [a, m.one("Sigmoid", [b], {}, `${out}/gate`)], {}, out);
  },
};

export const isActivation = (name: unknown) => norm(activationName(name)) === "linear" || Object.hasOwn(COMPOSED, norm(activationName(name)));

/** Emits an activation as its own nodes; returns the output (x itself for linear). */
export function activation(m: Importer, name: unknown, x: string, out: string): string {
  const a = norm(activationName(name));
  if (a === "linear") return x;
  if (!Object.hasOwn(COMPOSED, a)) throw unsupported(`activation '${activationName(name)}'`);
  return COMPOSED[a](m, x, out, (v) => m.scalar(`${out}/c`, v));
}

/** Dense/Conv output with its activation: fused where the IR can, else a separate node after it. */
export function withActivation(m: Importer, op: string, inputs: string[], attrs: Record<string, AttrValue>, act: unknown, out: string, fusable = true): string {
  const name = activationName(act);
  const fused = fusable || norm(name) === "linear" ? fusedActivation(m, name) : undefined;
  if (fused) return m.one(op, inputs, { ...attrs, ...fused }, out);
  if (!isActivation(name)) throw unsupported(`activation '${name}'`);
  return activation(m, name, m.one(op, inputs, attrs, `${out}/linear`), out);
}
