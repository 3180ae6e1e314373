// The builder's conv1d, lstm, gru and bidirectional layers (an ECG classifier in a few lines), against a plain
// float64 reference written here from the ONNX definitions (gates i,o,f,c / z,r,h; linear_before_reset), on a
// batch of 3 signals: max |diff| <= 1e-5.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor, sequential, conv1d, lstm, gru, bidirectional, dense } from "../../dist/index.js";
import { uniform } from "../prng.mjs";

const sig = (v) => 1 / (1 + Math.exp(-v));
const W = (m, name) => m.graph.constants.get(name);

/** x [steps][features] -> per step [units] (and the final state), one direction. */
function cell(kind, w, r, b, d, xs, units, reverse, resetAfter) {
  const g = kind === "LSTM" ? 4 : 3, feat = xs[0].length;
  const Wd = (row, k) => w.data[(d * g * units + row) * feat + k], Rd = (row, k) => r.data[(d * g * units + row) * units + k];
  const Wb = (row) => b.data[d * 2 * g * units + row], Rb = (row) => b.data[d * 2 * g * units + g * units + row];
  let h = new Array(units).fill(0), c = new Array(units).fill(0);
  const ys = new Array(xs.length);
  const order = [...xs.keys()];
  if (reverse) order.reverse();
  for (const t of order) {
    const x = xs[t];
    const wx = (row) => x.reduce((a, v, k) => a + Wd(row, k) * v, 0) + Wb(row);
    const rh = (row) => h.reduce((a, v, k) => a + Rd(row, k) * v, 0) + Rb(row);
    if (kind === "LSTM") {
      const gate = (j, u) => wx(j * units + u) + rh(j * units + u); // i, o, f, c
      const nh = [], nc = [];
      for (let u = 0; u < units; u++) {
        const [i, o, f, cc] = [sig(gate(0, u)), sig(gate(1, u)), sig(gate(2, u)), Math.tanh(gate(3, u))];
        nc[u] = f * c[u] + i * cc;
        nh[u] = o * Math.tanh(nc[u]);
      }
      [h, c] = [nh, nc];
    } else {
      const z = [], rr = [], nh = [];
      for (let u = 0; u < units; u++) { z[u] = sig(wx(u) + rh(u)); rr[u] = sig(wx(units + u) + rh(units + u)); }
      for (let u = 0; u < units; u++) {
        const recur = resetAfter ? rr[u] * rh(2 * units + u) : h.reduce((a, v, k) => a + Rd(2 * units + u, k) * rr[k] * v, 0) + Rb(2 * units + u);
        const cand = Math.tanh(wx(2 * units + u) + recur);
        nh[u] = (1 - z[u]) * cand + z[u] * h[u];
      }
      h = nh;
    }
    ys[t] = h;
  }
  return { ys, last: h };
}

function reference(m, x) {
  // conv1d(8, 5, same, relu): kernel [8][1][5], pads 2/2.
  const k = W(m, "conv1d_1/kernel"), kb = W(m, "conv1d_1/bias");
  const c1 = x.map((_, t) => Array.from({ length: 8 }, (_, f) => {
    let a = kb.data[f];
    for (let j = 0; j < 5; j++) { const s = t + j - 2; if (s >= 0 && s < x.length) a += k.data[f * 5 + j] * x[s][0]; }
    return Math.max(0, a);
  }));
  const l = cell("LSTM", W(m, "lstm_1/W"), W(m, "lstm_1/R"), W(m, "lstm_1/B"), 0, c1, 16, false).ys;
  const [gw, gr, gb] = ["W", "R", "B"].map((s) => W(m, `bidirectional_gru_1/${s}`));
  const fwd = cell("GRU", gw, gr, gb, 0, l, 12, false, true).last, bwd = cell("GRU", gw, gr, gb, 1, l, 12, true, true).last;
  const h = [...fwd, ...bwd], dk = W(m, "dense_1/kernel"), db = W(m, "dense_1/bias");
  return [0, 1, 2].map((o) => sig(h.reduce((a, v, i) => a + v * dk.data[i * 3 + o], db.data[o])));
}

test("conv1d -> lstm(returnSequences) -> bidirectional(gru) -> dense: equal to a float64 reference (1e-5)", async () => {
  const m = sequential([conv1d(8, 5, { padding: "same", activation: "relu" }), lstm(16, { returnSequences: true }), bidirectional(gru(12)), dense(3, "sigmoid")], { inputShape: [50, 1], seed: 7 });
  // Non-zero biases, so that every bias path is exercised.
  const rand = uniform(12);
  for (const [name, c] of m.graph.constants) if (name.endsWith("/B") || name.endsWith("bias")) c.data = Float32Array.from(c.data, () => rand() * 0.4 - 0.2);
  const s = await m.session();
  const xs = [0, 1, 2].map((b) => Array.from({ length: 50 }, (_, t) => [Math.sin(t / 4 + b) + 0.1 * b]));
  const y = s.runSync({ input: new Tensor("float32", Float32Array.from(xs.flat(2)), [3, 50, 1]) }).output;
  assert.deepEqual(y.dims, [3, 3]);
  for (let b = 0; b < 3; b++) {
    const want = reference(m, xs[b]);
    for (let o = 0; o < 3; o++) assert.ok(Math.abs(y.data[b * 3 + o] - want[o]) <= 1e-5, `batch ${b} output ${o}: ${y.data[b * 3 + o]} vs ${want[o]}`);
  }
  // A bidirectional layer needs the whole sequence: stream() says so.
  await assert.rejects(s.stream(), /runs bidirectional/);
  s.dispose();
});

test("lstm(returnSequences: false) streams: chunks of any size give the whole run's answer", async () => {
  const m = sequential([lstm(10), dense(2, "sigmoid")], { inputShape: [40, 2], seed: 3 });
  const s = await m.session();
  const x = Float32Array.from({ length: 80 }, (_, i) => Math.cos(i / 3));
  const whole = [...s.runSync({ input: new Tensor("float32", x, [1, 40, 2]) }).output.data];
  const stream = await s.stream();
  let last;
  for (const [a, b] of [[0, 7], [7, 8], [8, 33], [33, 40]]) last = (await stream.push({ input: new Tensor("float32", x.slice(a * 2, b * 2), [1, b - a, 2]) })).output.data;
  assert.ok(whole.every((v, i) => Math.abs(v - last[i]) <= 1e-6), `${[...last]} vs ${whole}`);
  stream.dispose();
  s.dispose();
});
