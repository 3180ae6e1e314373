// Gather of 4-byte elements along one axis (ONNX Gather): embedding lookups (rows of a float table picked by int32
// token ids), or any axis of a float tensor. Rows of `inner` elements are moved with v128 copies.
import { copy_f32 } from "../conv/util";

/**
 * out[o][i][r] = data[o][ids[i]][r] for data [outer][axis_len][inner], ids int32 [count], out [outer][count][inner].
 * Negative ids count from the end (ONNX). Returns -1, or the position in ids of the first id outside
 * [-axis_len, axis_len), in which case nothing is written (the caller reports it). out must not overlap data.
 */
export function gather32(outer: i32, axis_len: i32, inner: i32, data: usize, ids: usize, count: i32, out: usize): i32 {
  for (let i = 0; i < count; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    if (id < -axis_len || id >= axis_len) return i;
  }
  const row = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const src = data + <usize>o * <usize>axis_len * row;
    let dst = out + <usize>o * <usize>count * row;
    for (let i = 0; i < count; i++) {
      let id = load<i32>(ids + (<usize>i << 2));
      if (id < 0) id += axis_len;
      copy_f32(dst, src + <usize>id * row, inner);
      dst += row;
    }
  }
  return -1;
}
