// Where the steps of one multi-step call of a recurrent kernel (f32_lstm_steps, f32_gru_steps, f32_rnn_steps, both
// builds) read and write. One call runs `steps` time steps, so the caller crosses from JS into wasm once per chunk of
// steps instead of once per step (~70-100 ns a step with its 16-20 arguments: 1-3% of the ECG LSTM). Step s reads its
// input projection at x + 4*s*x_step and writes its output rows at h_out + 4*o*ho_step, o = s, or s & 1 when
// `alternate` is set (a ping-pong pair of buffers, when the caller keeps no sequence output); its h_prev is the
// previous step's output (row stride ho_stride), the first step's is h_prev (hp_stride). Steps are signed element
// counts: negative for a reverse direction, which walks the sequence backwards.

/** Input projection of step s. */
@inline export function step_x(x: usize, s: i32, x_step: i32): usize {
  return x + (<usize>(s * x_step) << 2);
}

/** Output rows of step s. */
@inline export function step_out(h_out: usize, s: i32, ho_step: i32, alternate: i32): usize {
  return h_out + (<usize>((alternate != 0 ? s & 1 : s) * ho_step) << 2);
}
