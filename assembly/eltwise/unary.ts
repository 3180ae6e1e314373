// Element-wise unary kernels: y[i] = op(x[i]) for the op codes of docs/kernels.md.
// One SIMD loop per op (the switch is outside the loop), 4 lanes per step, and a 1..3 element tail run through
// the same vector code on a partial vector, so every element gets bit-identical treatment. In place (x == y) is
// allowed. Accuracy of the transcendental ops: docs/accuracy.md.
import { madd } from "../math/madd";
import { load_partial, store_partial } from "../util/lanes";
import { exp_f32x4 } from "../math/exp";
import { log_f32x4 } from "../math/log";
import { sigmoid_f32x4, tanh_f32x4, silu_f32x4, softplus_f32x4, elu_f32x4, gelu_tanh_f32x4 } from "../math/activation";
import { erf_f32x4, gelu_f32x4 } from "../math/erf";

/** Unary op codes (mirrored in bindings/wasm/kernels.ts). */
export enum UnaryOp {
  Identity = 0,
  Relu = 1,
  Clip = 2, // alpha = min, beta = max
  LeakyRelu = 3, // alpha = slope
  Sigmoid = 4,
  Tanh = 5,
  Gelu = 6, // erf form
  GeluTanh = 7, // tanh approximation
  Silu = 8,
  HardSigmoid = 9, // max(0, min(1, alpha*x + beta))
  HardSwish = 10, // x * max(0, min(1, x/6 + 1/2))
  Exp = 11,
  Elu = 12, // alpha
  Neg = 13,
  Abs = 14,
  Sqrt = 15,
  Log = 16,
  Softplus = 17,
  Erf = 18,
  Reciprocal = 19,
}

/** One op on four lanes. `op` is a compile-time constant at every call site, so the switch folds away. */
@inline function apply(op: i32, x: v128, alpha: v128, beta: v128): v128 {
  switch (op) {
    // pmax(x, c) = x < c ? c : x, pmin(x, c) = c < x ? c : x: one instruction each, and a NaN x passes through.
    case UnaryOp.Relu: return f32x4.pmax(x, f32x4.splat(0.0));
    case UnaryOp.Clip: return f32x4.pmin(f32x4.pmax(x, alpha), beta);
    case UnaryOp.LeakyRelu: return v128.bitselect(f32x4.mul(x, alpha), x, f32x4.lt(x, f32x4.splat(0.0)));
    case UnaryOp.Sigmoid: return sigmoid_f32x4(x);
    case UnaryOp.Tanh: return tanh_f32x4(x);
    case UnaryOp.Gelu: return gelu_f32x4(x);
    case UnaryOp.GeluTanh: return gelu_tanh_f32x4(x);
    case UnaryOp.Silu: return silu_f32x4(x);
    case UnaryOp.HardSigmoid:
      return f32x4.pmax(f32x4.pmin(madd(x, alpha, beta), f32x4.splat(1.0)), f32x4.splat(0.0));
    case UnaryOp.HardSwish: {
      // x clamped at -4 so that hard_swish(-Inf) = -0 (the limit) rather than -Inf * 0 = NaN.
      const xc = f32x4.pmax(x, f32x4.splat(-4.0));
      const g = madd(xc, f32x4.splat(<f32>(1.0 / 6.0)), f32x4.splat(0.5));
      return f32x4.mul(xc, f32x4.pmax(f32x4.pmin(g, f32x4.splat(1.0)), f32x4.splat(0.0)));
    }
    case UnaryOp.Exp: return exp_f32x4(x);
    case UnaryOp.Elu: return elu_f32x4(x, alpha);
    case UnaryOp.Neg: return f32x4.neg(x);
    case UnaryOp.Abs: return f32x4.abs(x);
    case UnaryOp.Sqrt: return f32x4.sqrt(x);
    case UnaryOp.Log: return log_f32x4(x);
    case UnaryOp.Softplus: return softplus_f32x4(x);
    case UnaryOp.Erf: return erf_f32x4(x);
    case UnaryOp.Reciprocal: return f32x4.div(f32x4.splat(1.0), x);
    default: return x; // Identity (never reached: copies use memory.copy)
  }
}

@inline function run(op: i32, x: usize, y: usize, n: i32, alpha: f32, beta: f32): void {
  const va = f32x4.splat(alpha), vb = f32x4.splat(beta);
  const n4 = <usize>(n & ~3) << 2;
  let i: usize = 0;
  // Two vectors per step: independent chains for the long approximations.
  for (; i + 32 <= n4; i += 32) {
    const v0 = apply(op, v128.load(x + i), va, vb);
    const v1 = apply(op, v128.load(x + i, 16), va, vb);
    v128.store(y + i, v0);
    v128.store(y + i, v1, 16);
  }
  for (; i < n4; i += 16) v128.store(y + i, apply(op, v128.load(x + i), va, vb));
  const r = n & 3;
  if (r != 0) store_partial(y + i, apply(op, load_partial(x + i, r), va, vb), r);
}

// One function per op: each loop is compiled with its op folded in, and every function keeps its own locals
// (the unoptimised debug build would otherwise exceed the engine's local-count limit in one big function).
function run_Relu(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Relu, x, y, n, alpha, beta); }
function run_Clip(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Clip, x, y, n, alpha, beta); }
function run_LeakyRelu(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.LeakyRelu, x, y, n, alpha, beta); }
function run_Sigmoid(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Sigmoid, x, y, n, alpha, beta); }
function run_Tanh(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Tanh, x, y, n, alpha, beta); }
function run_Gelu(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Gelu, x, y, n, alpha, beta); }
function run_GeluTanh(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.GeluTanh, x, y, n, alpha, beta); }
function run_Silu(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Silu, x, y, n, alpha, beta); }
function run_HardSigmoid(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.HardSigmoid, x, y, n, alpha, beta); }
function run_HardSwish(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.HardSwish, x, y, n, alpha, beta); }
function run_Exp(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Exp, x, y, n, alpha, beta); }
function run_Elu(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Elu, x, y, n, alpha, beta); }
function run_Neg(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Neg, x, y, n, alpha, beta); }
function run_Abs(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Abs, x, y, n, alpha, beta); }
function run_Sqrt(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Sqrt, x, y, n, alpha, beta); }
function run_Log(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Log, x, y, n, alpha, beta); }
function run_Softplus(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Softplus, x, y, n, alpha, beta); }
function run_Erf(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Erf, x, y, n, alpha, beta); }
function run_Reciprocal(x: usize, y: usize, n: i32, alpha: f32, beta: f32): void { run(UnaryOp.Reciprocal, x, y, n, alpha, beta); }

/**
 * y[i] = op(x[i]) for i < n; op is a UnaryOp code, alpha/beta its parameters (docs/kernels.md).
 * In place allowed (x == y). Unknown op codes copy.
 */
export function f32_unary(op: i32, x: usize, y: usize, n: i32, alpha: f32, beta: f32): void {
  if (n <= 0) return;
  switch (op) {
    case UnaryOp.Relu: run_Relu(x, y, n, alpha, beta); break;
    case UnaryOp.Clip: run_Clip(x, y, n, alpha, beta); break;
    case UnaryOp.LeakyRelu: run_LeakyRelu(x, y, n, alpha, beta); break;
    case UnaryOp.Sigmoid: run_Sigmoid(x, y, n, alpha, beta); break;
    case UnaryOp.Tanh: run_Tanh(x, y, n, alpha, beta); break;
    case UnaryOp.Gelu: run_Gelu(x, y, n, alpha, beta); break;
    case UnaryOp.GeluTanh: run_GeluTanh(x, y, n, alpha, beta); break;
    case UnaryOp.Silu: run_Silu(x, y, n, alpha, beta); break;
    case UnaryOp.HardSigmoid: run_HardSigmoid(x, y, n, alpha, beta); break;
    case UnaryOp.HardSwish: run_HardSwish(x, y, n, alpha, beta); break;
    case UnaryOp.Exp: run_Exp(x, y, n, alpha, beta); break;
    case UnaryOp.Elu: run_Elu(x, y, n, alpha, beta); break;
    case UnaryOp.Neg: run_Neg(x, y, n, alpha, beta); break;
    case UnaryOp.Abs: run_Abs(x, y, n, alpha, beta); break;
    case UnaryOp.Sqrt: run_Sqrt(x, y, n, alpha, beta); break;
    case UnaryOp.Log: run_Log(x, y, n, alpha, beta); break;
    case UnaryOp.Softplus: run_Softplus(x, y, n, alpha, beta); break;
    case UnaryOp.Erf: run_Erf(x, y, n, alpha, beta); break;
    case UnaryOp.Reciprocal: run_Reciprocal(x, y, n, alpha, beta); break;
    default: if (x != y) memory.copy(y, x, <usize>n << 2); // Identity
  }
}
