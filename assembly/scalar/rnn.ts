// Recurrent cells without SIMD (ONNX semantics, docs/kernels.md "Recurrent cells"). The "packed" recurrent matrix
// is a plain copy: rows q*h + j (gate q, unit j) of k floats. Gate activations in f64 (exact to the f32 rounding;
// the SIMD builds use rational approximations within 3.8e-7). ONNX clip bounds every activation's input.
import { sigmoid64 } from "./math";
import { clampf, ld, st } from "./mem";
import { step_out, step_x } from "../rnn/steps";

export function f32_rnn_packed_size(k: i32, h: i32, g: i32): i32 {
  return g * h * k;
}

export function f32_rnn_pack(k: i32, h: i32, g: i32, w: usize, w_row_stride: i32, packed: usize): void {
  for (let row = 0; row < g * h; row++) {
    for (let kk = 0; kk < k; kk++) st(packed, row * k + kk, ld(w, row * w_row_stride + kk));
  }
}

/** h_prev · row `row` of a packed matrix (k = h floats per row), summed in order. */
@inline function dot(hp: usize, packed: usize, row: i32, k: i32): f32 {
  const w = packed + (<usize>(row * k) << 2);
  let s: f32 = 0;
  for (let kk = 0; kk < k; kk++) s += ld(hp, kk) * ld(w, kk);
  return s;
}

/** The gate activation: sigmoid (gate 0) or hard sigmoid max(0, min(1, alpha*x + beta)) (gate 1), input clipped. */
@inline function gact(v: f32, clip: f32, gate: i32, alpha: f32, beta: f32): f32 {
  v = clampf(v, -clip, clip);
  return gate == 1 ? clampf(alpha * v + beta, 0, 1) : <f32>sigmoid64(v);
}
@inline function tanh_clipped(v: f32, clip: f32): f32 {
  return <f32>Math.tanh(clampf(v, -clip, clip));
}

function lstm_step(batch: i32, h: i32, x: usize, x_stride: i32, h_prev: usize, hp_stride: i32, c: usize, c_stride: i32,
  packed: usize, peep: usize, clip: f32, h_out: usize, ho_stride: i32, gate: i32, alpha: f32, beta: f32): void {
  for (let b = 0; b < batch; b++) {
    const xr = x + (<usize>(b * x_stride) << 2), hp = h_prev + (<usize>(b * hp_stride) << 2);
    const cr = c + (<usize>(b * c_stride) << 2), ho = h_out + (<usize>(b * ho_stride) << 2);
    for (let j = 0; j < h; j++) {
      const cprev = ld(cr, j);
      let gi = ld(xr, j) + dot(hp, packed, j, h), go = ld(xr, h + j) + dot(hp, packed, h + j, h);
      let gf = ld(xr, 2 * h + j) + dot(hp, packed, 2 * h + j, h);
      const gc = ld(xr, 3 * h + j) + dot(hp, packed, 3 * h + j, h);
      if (peep != 0) { gi += ld(peep, j) * cprev; gf += ld(peep, 2 * h + j) * cprev; } // P = [i | o | f]
      const cn = gact(gf, clip, gate, alpha, beta) * cprev + gact(gi, clip, gate, alpha, beta) * tanh_clipped(gc, clip);
      st(cr, j, cn);
      if (peep != 0) go += ld(peep, h + j) * cn;
      st(ho, j, gact(go, clip, gate, alpha, beta) * <f32>Math.tanh(cn)); // no clip on c (ONNX, onnxruntime)
    }
  }
}

function gru_step(batch: i32, h: i32, x: usize, x_stride: i32, h_prev: usize, hp_stride: i32, packed: usize, packed_h: usize,
  rbh: usize, lbr: i32, clip: f32, h_out: usize, ho_stride: i32, scratch: usize, gate: i32, alpha: f32, beta: f32): void {
  for (let b = 0; b < batch; b++) {
    const xr = x + (<usize>(b * x_stride) << 2), hp = h_prev + (<usize>(b * hp_stride) << 2);
    const ho = h_out + (<usize>(b * ho_stride) << 2);
    // linear_before_reset = 0 needs r⊙h_prev of every unit before any candidate: z and r⊙h_prev go to scratch.
    const zs = scratch, rs = scratch + (<usize>h << 2);
    for (let j = 0; j < h; j++) {
      const z = gact(ld(xr, j) + dot(hp, packed, j, h), clip, gate, alpha, beta);
      const r = gact(ld(xr, h + j) + dot(hp, packed, h + j, h), clip, gate, alpha, beta);
      if (lbr != 0) {
        const a = dot(hp, packed_h, j, h) + (rbh != 0 ? ld(rbh, j) : 0);
        const hh = tanh_clipped(ld(xr, 2 * h + j) + r * a, clip);
        st(ho, j, hh + z * (ld(hp, j) - hh));
      } else {
        st(zs, j, z);
        st(rs, j, r * ld(hp, j));
      }
    }
    if (lbr != 0) continue;
    for (let j = 0; j < h; j++) {
      const hh = tanh_clipped(ld(xr, 2 * h + j) + dot(rs, packed_h, j, h), clip);
      st(ho, j, hh + ld(zs, j) * (ld(hp, j) - hh));
    }
  }
}

function rnn_step(batch: i32, h: i32, x: usize, x_stride: i32, h_prev: usize, hp_stride: i32, packed: usize, relu: i32,
  clip: f32, h_out: usize, ho_stride: i32): void {
  for (let b = 0; b < batch; b++) {
    const xr = x + (<usize>(b * x_stride) << 2), hp = h_prev + (<usize>(b * hp_stride) << 2);
    const ho = h_out + (<usize>(b * ho_stride) << 2);
    for (let j = 0; j < h; j++) {
      const v = ld(xr, j) + dot(hp, packed, j, h);
      st(ho, j, relu != 0 ? max<f32>(clampf(v, -clip, clip), 0) : tanh_clipped(v, clip));
    }
  }
}

// The multi-step entry points (signatures and step walk as the SIMD builds': assembly/rnn/steps.ts).
export function f32_lstm_steps(steps: i32, batch: i32, h: i32, x: usize, x_stride: i32, x_step: i32, h_prev: usize, hp_stride: i32,
  c: usize, c_stride: i32, packed: usize, peep: usize, clip: f32, h_out: usize, ho_stride: i32, ho_step: i32, alternate: i32,
  gate: i32, alpha: f32, beta: f32): void {
  for (let s = 0; s < steps; s++) {
    const ho = step_out(h_out, s, ho_step, alternate);
    lstm_step(batch, h, step_x(x, s, x_step), x_stride, h_prev, hp_stride, c, c_stride, packed, peep, clip, ho, ho_stride, gate, alpha, beta);
    h_prev = ho; hp_stride = ho_stride;
  }
}

export function f32_gru_steps(steps: i32, batch: i32, h: i32, x: usize, x_stride: i32, x_step: i32, h_prev: usize, hp_stride: i32,
  packed: usize, packed_h: usize, rbh: usize, lbr: i32, clip: f32, h_out: usize, ho_stride: i32, ho_step: i32, alternate: i32,
  scratch: usize, gate: i32, alpha: f32, beta: f32): void {
  for (let s = 0; s < steps; s++) {
    const ho = step_out(h_out, s, ho_step, alternate);
    gru_step(batch, h, step_x(x, s, x_step), x_stride, h_prev, hp_stride, packed, packed_h, rbh, lbr, clip, ho, ho_stride, scratch, gate, alpha, beta);
    h_prev = ho; hp_stride = ho_stride;
  }
}

export function f32_rnn_steps(steps: i32, batch: i32, h: i32, x: usize, x_stride: i32, x_step: i32, h_prev: usize, hp_stride: i32,
  packed: usize, relu: i32, clip: f32, h_out: usize, ho_stride: i32, ho_step: i32, alternate: i32): void {
  for (let s = 0; s < steps; s++) {
    const ho = step_out(h_out, s, ho_step, alternate);
    rnn_step(batch, h, step_x(x, s, x_step), x_stride, h_prev, hp_stride, packed, relu, clip, ho, ho_stride);
    h_prev = ho; hp_stride = ho_stride;
  }
}
