// Dense through the runtime vs tf.matMul + bias (+ activation in f64).
// Tolerance: |diff| <= 1e-5 + 1e-5 * sum|terms| (|x|·|W| + |b|, computed by tfjs), through the activation.
import { test, before } from "node:test";
import { actAttrs, applyAct, assertClose, fromTf, initTf, rng, runOp, tf, toTf } from "./harness.mjs";

before(initTf);

async function denseCase(t, c) {
  const R = rng(c.seed ?? 1);
  const K = c.k, N = c.n, M = c.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const x = { shape: c.shape, data: R.array(M * K, -c.range, c.range) };
  const w = { shape: c.transposeW ? [N, K] : [K, N], data: R.array(K * N, -1, 1) };
  const b = c.bias === false ? undefined : { shape: [N], data: R.array(N, -1, 1) };
  const act = actAttrs(c.act ?? "linear", c.alpha, c.beta);
  const attrs = { ...act.attrs };
  if (c.transposeW) attrs.transposeW = true;
  const got = await runOp("Dense", attrs, { x }, b ? { w, b } : { w });

  const ref = (abs) => tf.tidy(() => {
    let xt = tf.reshape(toTf(x), [M, K]), wt = toTf(w), bt = b && toTf(b);
    if (abs) { xt = tf.abs(xt); wt = tf.abs(wt); bt = bt && tf.abs(bt); }
    let y = tf.matMul(xt, wt, false, !!c.transposeW);
    if (bt) y = tf.add(y, bt);
    return fromTf(tf.reshape(y, [...c.shape.slice(0, -1), N]));
  });
  const r = ref(false), abs = ref(true);
  const post = applyAct(c.act ?? "linear", act.alpha, act.beta, r.data, abs.data.map((s) => 1e-5 + 1e-5 * s));
  assertClose(`Dense ${c.name}`, got, { shape: r.shape, data: post.data }, { bound: post.bound, t });
}

const CASES = [
  { name: "batch 1, K 1, N 1", shape: [1, 1], k: 1, n: 1 },
  { name: "batch 1, K 30, N 64, relu", shape: [1, 30], k: 30, n: 64, act: "relu" },
  { name: "batch 37, K 17, N 5", shape: [37, 17], k: 17, n: 5 },
  { name: "batch 4, K 3, N 13, no bias", shape: [4, 3], k: 3, n: 13, bias: false },
  { name: "batch 9, K 257, N 33 (long accumulation)", shape: [9, 257], k: 257, n: 33, range: 4 },
  { name: "transposeW, batch 5, K 19, N 7", shape: [5, 19], k: 19, n: 7, transposeW: true },
  { name: "transposeW, batch 1, K 64, N 1, sigmoid", shape: [1, 64], k: 64, n: 1, transposeW: true, act: "sigmoid" },
  { name: "rank-3 input [2,3,13] -> N 7", shape: [2, 3, 13], k: 13, n: 7 },
  { name: "rank-3 input [3,5,8] -> N 11, transposeW, tanh", shape: [3, 5, 8], k: 8, n: 11, transposeW: true, act: "tanh" },
  { name: "rank-1 input [6] -> N 4", shape: [6], k: 6, n: 4 },
  { name: "batch 64, K 31, N 17, relu6 (wide range)", shape: [64, 31], k: 31, n: 17, act: "relu6", range: 3 },
  { name: "batch 6, K 10, N 9, clip(-0.3, 0.4)", shape: [6, 10], k: 10, n: 9, act: "clip", alpha: -0.3, beta: 0.4 },
  { name: "batch 6, K 10, N 9, gelu", shape: [6, 10], k: 10, n: 9, act: "gelu", range: 2 },
  { name: "batch 6, K 10, N 9, gelu_tanh", shape: [6, 10], k: 10, n: 9, act: "gelu_tanh", range: 2 },
  { name: "batch 6, K 10, N 9, silu", shape: [6, 10], k: 10, n: 9, act: "silu", range: 2 },
  { name: "batch 6, K 10, N 9, elu", shape: [6, 10], k: 10, n: 9, act: "elu", range: 2 },
  { name: "batch 6, K 10, N 9, leaky_relu(0.2)", shape: [6, 10], k: 10, n: 9, act: "leaky_relu", alpha: 0.2, range: 2 },
  { name: "batch 6, K 10, N 9, hard_sigmoid", shape: [6, 10], k: 10, n: 9, act: "hard_sigmoid", range: 2 },
  { name: "batch 6, K 10, N 9, hard_swish", shape: [6, 10], k: 10, n: 9, act: "hard_swish", range: 2 },
  { name: "batch 6, K 10, N 9, softplus", shape: [6, 10], k: 10, n: 9, act: "softplus", range: 2 },
  { name: "batch 300, K 1100, N 37, relu6 (K and M cache blocks: the clamp must wait for the last K block)", shape: [300, 1100], k: 1100, n: 37, act: "relu6", range: 0.2 },
  { name: "batch 1, K 1100, N 70 (GEMV path, K blocks), clip(-1, 1)", shape: [1, 1100], k: 1100, n: 70, act: "clip", alpha: -1, beta: 1, range: 0.1 },
  { name: "batch 1, K 700, N 9, transposeW, sigmoid", shape: [1, 700], k: 700, n: 9, transposeW: true, act: "sigmoid", range: 0.2 },
  { name: "batch 130, K 33, N 130, no bias", shape: [130, 33], k: 33, n: 130, bias: false },
];
CASES.forEach((c, i) => test(`Dense: ${c.name}`, (t) => denseCase(t, { seed: 500 + i, range: 1, ...c })));
