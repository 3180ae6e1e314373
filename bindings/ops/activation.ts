/**
 * Fused activations. Clamp-like ones (relu, relu6, clip) run inside the GEMM/conv epilogue as min/max;
 * the others run as one element-wise pass over the layer's output, right after it.
 */
import { UnaryOp, type UnaryName } from "../wasm/kernels.js";
import type { KernelExports } from "../wasm/kernels.js";
import { fail, num, str, type OpContext } from "./types.js";

export interface Activation { min: number; max: number; unary?: { op: number; alpha: number; beta: number } }

/** Activation names accepted in the `activation` attribute of Dense/Conv, with their default parameters. */
const UNARY_ACTIVATIONS: Record<string, [UnaryName, number, number]> = {
  sigmoid: ["sigmoid", 0, 0], tanh: ["tanh", 0, 0], gelu: ["gelu", 0, 0], gelu_tanh: ["gelu_tanh", 0, 0],
  silu: ["silu", 0, 0], swish: ["silu", 0, 0], leaky_relu: ["leaky_relu", 0.01, 0], elu: ["elu", 1, 0],
  hard_sigmoid: ["hard_sigmoid", 0.2, 0.5], hard_swish: ["hard_swish", 0, 0], softplus: ["softplus", 0, 0],
};
export const ACTIVATIONS = ["linear", "relu", "relu6", "clip", ...Object.keys(UNARY_ACTIVATIONS)];

export function parseActivation(c: OpContext): Activation {
  const name = str(c, "activation", "linear");
  const alpha = c.node.attrs.alpha, beta = c.node.attrs.beta;
  switch (name) {
    case "linear": return { min: -Infinity, max: Infinity };
    case "relu": return { min: 0, max: Infinity };
    case "relu6": return { min: 0, max: 6 };
    case "clip": return { min: num(c, "alpha", -Infinity), max: num(c, "beta", Infinity) };
  }
  const u = Object.hasOwn(UNARY_ACTIVATIONS, name) ? UNARY_ACTIVATIONS[name] : undefined; // not Object.prototype's members
  if (!u) throw fail(c, `activation '${name}' is not supported (${ACTIVATIONS.join(", ")})`, "UNSUPPORTED");
  return {
    min: -Infinity, max: Infinity,
    unary: { op: UnaryOp[u[0]], alpha: alpha === undefined ? u[1] : num(c, "alpha", 0), beta: beta === undefined ? u[2] : num(c, "beta", 0) },
  };
}

/** Applies the non-clamp part of an activation in place over n outputs. */
export function applyActivation(k: KernelExports, act: Activation, ptr: number, n: number): void {
  if (act.unary) k.f32_unary(act.unary.op, ptr, ptr, n, act.unary.alpha, act.unary.beta);
}
