// LSTM, GRU and RNN (ONNX semantics) against a plain JS f64 reference of the ONNX operator definitions, and
// LSTM/GRU against tfjs-layers (weights converted from Keras to ONNX gate order).
//
// Tolerance: |got - ref| <= 1e-5 + 1e-5 * |ref| for every output (Y, Y_h, Y_c). The kernels run in f32 with
// sigmoid/tanh accurate to ~2 ulp; over the short sequences and small weights used here the error stays
// far below that bound (the worst ratio is printed as a test diagnostic).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tfl from "@tensorflow/tfjs-layers";
import { assertClose, initTf, node, rng, runGraph, tf } from "./harness.mjs";

const ATOL = 1e-5, RTOL = 1e-5;
const sig = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const GATES = { LSTM: 4, GRU: 3, RNN: 1 };

/**
 * ONNX LSTM/GRU/RNN in f64. p: { kind, X, W, R, B?, lens?, h0?, c0?, P?, hidden, dirs, reverse, layout,
 * clip?, lbr?, relu?, hard? } with plain arrays in ONNX shapes. Returns { Y, Yh, Yc } as flat Float64Arrays.
 */
function reference(p) {
  const { kind, hidden: H, dirs, layout } = p;
  const G = GATES[kind];
  const [S, Bt, I] = layout === 0 ? p.xShape : [p.xShape[1], p.xShape[0], p.xShape[2]];
  const X = (t, b, i) => p.X[(layout === 0 ? (t * Bt + b) : (b * S + t)) * I + i];
  const clip = (v) => (p.clip === undefined ? v : Math.max(-p.clip, Math.min(p.clip, v)));
  const Y = new Float64Array(S * dirs * Bt * H), Yh = new Float64Array(dirs * Bt * H), Yc = new Float64Array(dirs * Bt * H);
  const yAt = (t, d, b, j) => (layout === 0 ? ((t * dirs + d) * Bt + b) * H + j : ((b * S + t) * dirs + d) * H + j);
  const sAt = (d, b, j) => (layout === 0 ? (d * Bt + b) * H + j : (b * dirs + d) * H + j);
  for (let d = 0; d < dirs; d++) {
    const rev = d === 1 || p.reverse;
    const W = (r, i) => p.W[(d * G * H + r) * I + i], R = (r, k) => p.R[(d * G * H + r) * H + k];
    const Wb = (r) => (p.B ? p.B[d * 2 * G * H + r] : 0), Rb = (r) => (p.B ? p.B[d * 2 * G * H + G * H + r] : 0);
    // Gate activation: sigmoid, or HardSigmoid max(0, min(1, alpha*x + beta)) with p.hard[d] = { alpha, beta }.
    const hs = p.hard?.[d];
    const gsig = hs ? (v) => Math.max(0, Math.min(1, hs.alpha * v + hs.beta)) : sig;
    for (let b = 0; b < Bt; b++) {
      const len = p.lens ? p.lens[b] : S;
      let h = Array.from({ length: H }, (_, j) => (p.h0 ? p.h0[sAt(d, b, j)] : 0));
      let c = Array.from({ length: H }, (_, j) => (p.c0 ? p.c0[sAt(d, b, j)] : 0));
      for (let s = 0; s < len; s++) {
        const t = rev ? len - 1 - s : s;
        const xw = (r) => { let a = Wb(r); for (let i = 0; i < I; i++) a += X(t, b, i) * W(r, i); return a; };
        const hr = (r, v = h) => { let a = 0; for (let k = 0; k < H; k++) a += v[k] * R(r, k); return a; };
        const nh = new Array(H), nc = new Array(H);
        if (kind === "LSTM") {
          const P = (q, j) => (p.P ? p.P[d * 3 * H + q * H + j] : 0);
          for (let j = 0; j < H; j++) {
            const pre = (q) => xw(q * H + j) + hr(q * H + j) + Rb(q * H + j);
            const i = gsig(clip(pre(0) + P(0, j) * c[j])), f = gsig(clip(pre(2) + P(2, j) * c[j])), g = Math.tanh(clip(pre(3)));
            nc[j] = f * c[j] + i * g;
            const o = gsig(clip(pre(1) + P(1, j) * nc[j]));
            nh[j] = o * Math.tanh(nc[j]);
          }
          c = nc;
        } else if (kind === "GRU") {
          const z = [], r = [];
          for (let j = 0; j < H; j++) {
            z[j] = gsig(clip(xw(j) + hr(j) + Rb(j)));
            r[j] = gsig(clip(xw(H + j) + hr(H + j) + Rb(H + j)));
          }
          const rh = h.map((v, k) => r[k] * v);
          for (let j = 0; j < H; j++) {
            const hh = p.lbr
              ? Math.tanh(clip(xw(2 * H + j) + r[j] * (hr(2 * H + j) + Rb(2 * H + j))))
              : Math.tanh(clip(xw(2 * H + j) + hr(2 * H + j, rh) + Rb(2 * H + j)));
            nh[j] = (1 - z[j]) * hh + z[j] * h[j];
          }
        } else {
          for (let j = 0; j < H; j++) {
            const v = clip(xw(j) + hr(j) + Rb(j));
            nh[j] = p.relu ? Math.max(0, v) : Math.tanh(v);
          }
        }
        h = nh;
        for (let j = 0; j < H; j++) Y[yAt(t, d, b, j)] = h[j];
      }
      for (let j = 0; j < H; j++) { Yh[sAt(d, b, j)] = h[j]; Yc[sAt(d, b, j)] = c[j]; }
    }
  }
  return { Y, Yh, Yc };
}

/** Runs one recurrent node through the runtime; initial states are graph inputs unless `constStates`. */
async function runRnn(p, { constStates = false, outputs = ["Y", "Y_h", ...(p.kind === "LSTM" ? ["Y_c"] : [])] } = {}) {
  const { kind, hidden: H, dirs, layout } = p;
  const G = GATES[kind];
  const I = p.xShape[2];
  const Bt = layout === 0 ? p.xShape[1] : p.xShape[0];
  const stateShape = layout === 0 ? [dirs, Bt, H] : [Bt, dirs, H];
  const inputs = { X: { shape: p.xShape, data: p.X } };
  const constants = { W: { shape: [dirs, G * H, I], data: Float32Array.from(p.W) }, R: { shape: [dirs, G * H, H], data: Float32Array.from(p.R) } };
  const ins = ["X", "W", "R", p.B ? "B" : "", p.lens ? "L" : "", p.h0 ? "h0" : "", p.c0 ? "c0" : "", p.P ? "P" : ""];
  if (p.B) constants.B = { shape: [dirs, 2 * G * H], data: Float32Array.from(p.B) };
  if (p.lens) constants.L = { shape: [Bt], data: Float32Array.from(p.lens) };
  if (p.P) constants.P = { shape: [dirs, 3 * H], data: Float32Array.from(p.P) };
  for (const [k, v] of [["h0", p.h0], ["c0", p.c0]]) {
    if (!v) continue;
    if (constStates) constants[k] = { shape: stateShape, data: Float32Array.from(v) };
    else inputs[k] = { shape: stateShape, data: Float32Array.from(v) };
  }
  while (ins.length && !ins[ins.length - 1]) ins.pop();
  const attrs = { hidden_size: H, layout, direction: dirs === 2 ? "bidirectional" : p.reverse ? "reverse" : "forward" };
  if (p.clip !== undefined) attrs.clip = p.clip;
  if (kind === "GRU") attrs.linear_before_reset = p.lbr ? 1 : 0;
  if (p.relu) attrs.activations = Array(dirs).fill("Relu");
  if (p.hard) {
    // Per direction: HardSigmoid with explicit alpha/beta, or (alpha 0.2, beta 0.5) the defaults left out.
    attrs.activations = p.hard.flatMap((hd) => [hd ? "HardSigmoid" : "Sigmoid", ...(kind === "LSTM" ? ["Tanh", "Tanh"] : ["Tanh"])]);
    const given = p.hard.filter((hd) => hd && !hd.dflt);
    if (given.length) { attrs.activation_alpha = given.map((hd) => hd.alpha); attrs.activation_beta = given.map((hd) => hd.beta); }
  }
  const r = await runGraph({ inputs, constants, nodes: [node(kind, ins, outputs, attrs)], outputs });
  return r.out;
}

function randomProblem(seed, { kind, hidden, input, seq, batch, dirs = 1, reverse = false, layout = 0, bias = true, h0 = false, c0 = false, peep = false, clip, lbr, relu, lens, scale = 0.5 }) {
  const r = rng(seed);
  const G = GATES[kind];
  const xShape = layout === 0 ? [seq, batch, input] : [batch, seq, input];
  const sn = dirs * batch * hidden;
  return {
    kind, hidden, dirs, reverse, layout, clip, lbr, relu, lens, xShape,
    X: r.array(seq * batch * input, -1, 1),
    W: r.array(dirs * G * hidden * input, -scale, scale),
    R: r.array(dirs * G * hidden * hidden, -scale, scale),
    B: bias ? r.array(dirs * 2 * G * hidden, -scale, scale) : undefined,
    h0: h0 ? r.array(sn, -1, 1) : undefined,
    c0: c0 ? r.array(sn, -1, 1) : undefined,
    P: peep ? r.array(dirs * 3 * hidden, -scale, scale) : undefined,
  };
}

async function check(t, label, p, opts) {
  const got = await runRnn(p, opts);
  const ref = reference(p);
  const S = p.layout === 0 ? p.xShape[0] : p.xShape[1], Bt = p.layout === 0 ? p.xShape[1] : p.xShape[0];
  const yShape = p.layout === 0 ? [S, p.dirs, Bt, p.hidden] : [Bt, S, p.dirs, p.hidden];
  const sShape = p.layout === 0 ? [p.dirs, Bt, p.hidden] : [Bt, p.dirs, p.hidden];
  assertClose(`${label} Y`, got.Y, { shape: yShape, data: ref.Y }, { atol: ATOL, rtol: RTOL, t });
  assertClose(`${label} Y_h`, got.Y_h, { shape: sShape, data: ref.Yh }, { atol: ATOL, rtol: RTOL, t });
  if (p.kind === "LSTM") assertClose(`${label} Y_c`, got.Y_c, { shape: sShape, data: ref.Yc }, { atol: ATOL, rtol: RTOL, t });
}

const SIZES = [
  { hidden: 1, input: 1, seq: 1, batch: 1 },
  { hidden: 3, input: 2, seq: 4, batch: 2 },
  { hidden: 7, input: 5, seq: 3, batch: 3 },
  { hidden: 8, input: 4, seq: 2, batch: 1 },
  { hidden: 13, input: 6, seq: 5, batch: 2 },
  { hidden: 17, input: 3, seq: 2, batch: 5 },
  { hidden: 33, input: 9, seq: 3, batch: 2 },
  // Spans of 32 units, a partial span and group, 40 steps of state. Weights small enough that the recurrence is
  // contracting: with +-0.5 a 70-unit tanh/relu RNN is chaotic and any f32 rounding grows to 1e-3 in 40 steps.
  { hidden: 70, input: 3, seq: 40, batch: 2, scale: 0.1 },
];

for (const kind of ["LSTM", "GRU", "RNN"]) {
  test(`${kind}: forward, sizes with odd hidden, batch > 1, seq 1 (f64 reference)`, async (t) => {
    let seed = 100;
    for (const s of SIZES) {
      for (const lbr of kind === "GRU" ? [false, true] : [undefined]) {
        await check(t, `${kind} ${JSON.stringify(s)} lbr=${lbr}`, randomProblem(seed++, { kind, ...s, lbr }));
      }
    }
  });

  test(`${kind}: reverse, bidirectional, layout 1, initial states, no bias, clip (f64 reference)`, async (t) => {
    let seed = 200;
    const variants = [
      { reverse: true },
      { dirs: 2 },
      { dirs: 2, layout: 1, h0: true, c0: kind === "LSTM" },
      { layout: 1, bias: false },
      { dirs: 2, h0: true, c0: kind === "LSTM", clip: 0.3, scale: 2 },
      { reverse: true, h0: true, c0: kind === "LSTM", peep: kind === "LSTM" },
      { dirs: 2, peep: kind === "LSTM", layout: 1 },
    ];
    for (const v of variants) {
      for (const s of [SIZES[2], SIZES[4], { hidden: 5, input: 3, seq: 1, batch: 4 }]) {
        for (const lbr of kind === "GRU" ? [false, true] : [undefined]) {
          const p = randomProblem(seed++, { kind, ...s, ...v, lbr });
          await check(t, `${kind} ${JSON.stringify({ ...s, ...v, lbr })}`, p);
          if (v.h0) await check(t, `${kind} const states ${JSON.stringify({ ...s, ...v, lbr })}`, p, { constStates: true });
        }
      }
    }
  });

  test(`${kind}: sequence_lens shorter than the sequence (f64 reference; Y past a row's length is 0)`, async (t) => {
    let seed = 300;
    for (const v of [{}, { dirs: 2 }, { reverse: true, layout: 1, h0: true, c0: kind === "LSTM" }]) {
      const p = randomProblem(seed++, { kind, hidden: 6, input: 3, seq: 4, batch: 3, lens: [4, 2, 0], ...v, lbr: kind === "GRU" });
      await check(t, `${kind} lens ${JSON.stringify(v)}`, p);
    }
  });

  // Longer than a projection chunk (32768 floats: hidden 64 is 128 LSTM steps at batch 1, 64 at batch 2; GRU 170 / 85;
  // RNN 512 / 256): one direction's projection is computed chunk by chunk between the steps.
  test(`${kind}: sequences longer than a projection chunk, forward and reverse (f64 reference)`, async (t) => {
    let seed = 400;
    const seq = kind === "RNN" ? 600 : 300;
    for (const v of [{ batch: 2 }, { batch: 2, reverse: true, h0: true, c0: kind === "LSTM" }, { batch: 1, layout: 1, reverse: true }, { batch: 1 }]) {
      const p = randomProblem(seed++, { kind, hidden: 64, input: 3, seq, scale: 0.1, lbr: kind === "GRU", ...v });
      await check(t, `${kind} chunked ${JSON.stringify(v)}`, p);
    }
  });

  test(`${kind}: only the first outputs named`, async (t) => {
    const p = randomProblem(7, { kind, hidden: 5, input: 3, seq: 3, batch: 2, dirs: 2 });
    const ref = reference(p);
    const got = await runRnn(p, { outputs: ["Y"] });
    assertClose(`${kind} Y only`, got.Y, ref.Y, { atol: ATOL, rtol: RTOL, t });
    const got2 = await runRnn(p, { outputs: ["Y", "Y_h"] });
    assertClose(`${kind} Y_h`, got2.Y_h, ref.Yh, { atol: ATOL, rtol: RTOL, t });
  });
}

for (const kind of ["LSTM", "GRU"]) {
  test(`${kind}: HardSigmoid gate activation (activation_alpha/beta, defaults, per direction; f64 reference)`, async (t) => {
    let seed = 500;
    const a = Math.fround(0.2), b = Math.fround(0.5), a6 = Math.fround(1 / 6);
    const variants = [
      { hard: [{ alpha: a, beta: b }] },
      { hard: [{ alpha: 0.2, beta: 0.5, dflt: true }], clip: 3 },
      { hard: [{ alpha: a6, beta: b }], layout: 1, h0: true, c0: kind === "LSTM", scale: 2 },
      { dirs: 2, hard: [{ alpha: a, beta: b }, { alpha: Math.fround(0.3), beta: Math.fround(0.4) }], peep: kind === "LSTM" },
      { dirs: 2, hard: [undefined, { alpha: a6, beta: b }], lens: undefined, h0: true },
      { hard: [{ alpha: a, beta: b }], lens: [3, 1, 0], reverse: true },
    ];
    for (const v of variants) {
      for (const s of [SIZES[0], SIZES[2], SIZES[4], SIZES[6]]) {
        for (const lbr of kind === "GRU" ? [false, true] : [undefined]) {
          const size = v.lens ? { hidden: s.hidden, input: s.input, seq: 3, batch: 3 } : s;
          const p = randomProblem(seed++, { kind, ...size, ...v, lbr });
          p.hard = v.hard;
          await check(t, `${kind} ${JSON.stringify({ ...size, ...v, lbr })}`, p);
        }
      }
    }
  });
}

test("RNN: relu activation, bidirectional (f64 reference)", async (t) => {
  let seed = 400;
  for (const s of SIZES) await check(t, `RNN relu ${JSON.stringify(s)}`, randomProblem(seed++, { kind: "RNN", ...s, dirs: 2, relu: true, h0: true }));
});

test("RNN: unsupported activations and attributes are refused", async () => {
  const p = randomProblem(1, { kind: "LSTM", hidden: 3, input: 2, seq: 2, batch: 1 });
  const run = (attrs) => runGraph({
    inputs: { X: { shape: p.xShape, data: p.X } },
    constants: { W: { shape: [1, 12, 2], data: Float32Array.from(p.W) }, R: { shape: [1, 12, 3], data: Float32Array.from(p.R) } },
    nodes: [node("LSTM", ["X", "W", "R"], ["Y"], { hidden_size: 3, ...attrs })], outputs: ["Y"],
  });
  await assert.rejects(run({ activations: ["Sigmoid", "Tanh", "Relu"] }), (e) => e.code === "UNSUPPORTED");
  await assert.rejects(run({ input_forget: 1 }), (e) => e.code === "UNSUPPORTED");
  await assert.rejects(run({ hidden_size: 4 }), (e) => e.code === "BAD_GRAPH");
  await assert.rejects(run({ activations: ["Sigmoid", "HardSigmoid", "Tanh"] }), (e) => e.code === "UNSUPPORTED");
  await assert.rejects(run({ activations: ["HardSigmoid", "Tanh", "Tanh"], activation_alpha: [0.2, 0.3] }), (e) => e.code === "UNSUPPORTED");
  await assert.rejects(run({ activation_alpha: [0.2] }), (e) => e.code === "UNSUPPORTED");
  await assert.doesNotReject(run({ activations: ["sigmoid", "tanh", "tanh"] }));
  await assert.doesNotReject(run({ activations: ["HardSigmoid", "Tanh", "Tanh"], activation_alpha: [0.25], activation_beta: [0.5] }));
});

// ---------------------------------------------------------------------------------------------------------
// tfjs-layers. Keras LSTM kernel [I, 4H] gate order i,f,c,o; recurrent_kernel [H, 4H]; bias [4H].
// tfjs GRU has no reset_after (it throws): z,r,h with the reset applied before the matrix product, i.e.
// ONNX linear_before_reset = 0 with Rb = 0.

function kerasRun(layer, x, shape) {
  const out = layer.apply(tf.tensor(x, shape));
  const [y, ...states] = out;
  return [y, ...states].map((v) => Float32Array.from(v.dataSync()));
}

test("LSTM vs tfjs-layers lstm (returnSequences, returnState, sigmoid)", async (t) => {
  await initTf();
  for (const [H, I, S, Bt, seed] of [[5, 3, 4, 2, 1], [12, 7, 6, 3, 2], [1, 1, 1, 1, 3]]) {
    const r = rng(seed);
    const kernel = r.array(I * 4 * H, -0.5, 0.5), rec = r.array(H * 4 * H, -0.5, 0.5), bias = r.array(4 * H, -0.5, 0.5);
    const x = r.array(Bt * S * I, -1, 1);
    const layer = tfl.layers.lstm({ units: H, returnSequences: true, returnState: true, recurrentActivation: "sigmoid", kernelInitializer: "zeros", recurrentInitializer: "zeros", inputShape: [S, I] });
    layer.apply(tf.zeros([Bt, S, I])); // builds the weights
    layer.setWeights([tf.tensor(kernel, [I, 4 * H]), tf.tensor(rec, [H, 4 * H]), tf.tensor(bias, [4 * H])]);
    const [ky, kh, kc] = kerasRun(layer, x, [Bt, S, I]);
    // ONNX W[q*H + j][i] = kernel[i][kq*H + j] with ONNX gate q (i,o,f,c) = Keras gate kq (i,f,c,o).
    const map = [0, 3, 1, 2];
    const W = new Float32Array(4 * H * I), R = new Float32Array(4 * H * H), B = new Float32Array(8 * H);
    for (let q = 0; q < 4; q++) for (let j = 0; j < H; j++) {
      const col = map[q] * H + j;
      for (let i = 0; i < I; i++) W[(q * H + j) * I + i] = kernel[i * 4 * H + col];
      for (let k = 0; k < H; k++) R[(q * H + j) * H + k] = rec[k * 4 * H + col];
      B[q * H + j] = bias[col];
    }
    // Keras is batch-major: layout 1 takes its input as is; Y [B, S, 1, H] is Keras's [B, S, H].
    const p = { kind: "LSTM", hidden: H, dirs: 1, layout: 1, xShape: [Bt, S, I], X: x, W, R, B };
    const got = await runRnn(p);
    assertClose(`lstm H=${H} Y`, got.Y.data, ky, { atol: ATOL, rtol: RTOL, t });
    assertClose(`lstm H=${H} Y_h`, got.Y_h.data, kh, { atol: ATOL, rtol: RTOL, t });
    assertClose(`lstm H=${H} Y_c`, got.Y_c.data, kc, { atol: ATOL, rtol: RTOL, t });
    layer.dispose?.();
  }
});

test("GRU vs tfjs-layers gru (reset before the product = linear_before_reset 0)", async (t) => {
  await initTf();
  for (const [H, I, S, Bt, seed] of [[5, 3, 4, 2, 11], [9, 4, 5, 3, 12], [2, 1, 1, 1, 13]]) {
    const r = rng(seed);
    const kernel = r.array(I * 3 * H, -0.5, 0.5), rec = r.array(H * 3 * H, -0.5, 0.5), bias = r.array(3 * H, -0.5, 0.5);
    const x = r.array(Bt * S * I, -1, 1);
    const layer = tfl.layers.gru({ units: H, returnSequences: true, returnState: true, recurrentActivation: "sigmoid", kernelInitializer: "zeros", recurrentInitializer: "zeros", inputShape: [S, I] });
    layer.apply(tf.zeros([Bt, S, I])); // builds the weights
    layer.setWeights([tf.tensor(kernel, [I, 3 * H]), tf.tensor(rec, [H, 3 * H]), tf.tensor(bias, [3 * H])]);
    const [ky, kh] = kerasRun(layer, x, [Bt, S, I]);
    const W = new Float32Array(3 * H * I), R = new Float32Array(3 * H * H), B = new Float32Array(6 * H);
    for (let q = 0; q < 3; q++) for (let j = 0; j < H; j++) {
      const col = q * H + j; // same gate order z, r, h
      for (let i = 0; i < I; i++) W[col * I + i] = kernel[i * 3 * H + col];
      for (let k = 0; k < H; k++) R[col * H + k] = rec[k * 3 * H + col];
      B[col] = bias[col];
    }
    const p = { kind: "GRU", hidden: H, dirs: 1, layout: 1, lbr: false, xShape: [Bt, S, I], X: x, W, R, B };
    const got = await runRnn(p);
    assertClose(`gru H=${H} Y`, got.Y.data, ky, { atol: ATOL, rtol: RTOL, t });
    assertClose(`gru H=${H} Y_h`, got.Y_h.data, kh, { atol: ATOL, rtol: RTOL, t });
    layer.dispose?.();
  }
});
