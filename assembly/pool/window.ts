// Channel-vector window reductions shared by pooling (pool.ts) and Reduce* over a non-innermost axis
// (eltwise/reduce.ts): 16 channels (4 v128 accumulators) per step, then 4, then an exact 1..3 tail. Not wasm
// exports (index.ts does not re-export this file).
import { load_partial, store_partial } from "../util/lanes";

/**
 * dst[ch] = max over ny x nx taps (row_step / tap_step bytes apart) of src[ch]; -Infinity if no tap.
 * pmax(m, x) = m < x ? x : m is one x86 instruction (f32x4.max is several); it skips NaN inputs.
 */
export function max_window(src: usize, ny: i32, nx: i32, row_step: usize, tap_step: usize, c: i32, dst: usize): void {
  const ninf = f32x4.splat(-Infinity);
  let c0 = 0;
  for (; c0 + 16 <= c; c0 += 16) {
    const off = <usize>c0 << 2;
    let m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
    let sy = src + off;
    for (let y = 0; y < ny; y++, sy += row_step) {
      let s = sy;
      for (let x = 0; x < nx; x++, s += tap_step) {
        m0 = f32x4.pmax(m0, v128.load(s));
        m1 = f32x4.pmax(m1, v128.load(s, 16));
        m2 = f32x4.pmax(m2, v128.load(s, 32));
        m3 = f32x4.pmax(m3, v128.load(s, 48));
      }
    }
    v128.store(dst + off, m0);
    v128.store(dst + off, m1, 16);
    v128.store(dst + off, m2, 32);
    v128.store(dst + off, m3, 48);
  }
  for (; c0 < c; c0 += 4) {
    const off = <usize>c0 << 2;
    const cr = c - c0;
    let m = ninf;
    let sy = src + off;
    for (let y = 0; y < ny; y++, sy += row_step) {
      let s = sy;
      if (cr >= 4) {
        for (let x = 0; x < nx; x++, s += tap_step) m = f32x4.pmax(m, v128.load(s));
      } else {
        // The zeroed lanes of a tail load are never stored.
        for (let x = 0; x < nx; x++, s += tap_step) m = f32x4.pmax(m, load_partial(s, cr));
      }
    }
    if (cr >= 4) v128.store(dst + off, m);
    else store_partial(dst + off, m, cr);
  }
}

/** dst[ch] = scale * sum over ny x nx taps of src[ch]. */
export function sum_window(src: usize, ny: i32, nx: i32, row_step: usize, tap_step: usize, c: i32, scale: f32, dst: usize): void {
  const z = f32x4.splat(0);
  const vs = f32x4.splat(scale);
  let c0 = 0;
  for (; c0 + 16 <= c; c0 += 16) {
    const off = <usize>c0 << 2;
    let s0 = z, s1 = z, s2 = z, s3 = z;
    let sy = src + off;
    for (let y = 0; y < ny; y++, sy += row_step) {
      let s = sy;
      for (let x = 0; x < nx; x++, s += tap_step) {
        s0 = f32x4.add(s0, v128.load(s));
        s1 = f32x4.add(s1, v128.load(s, 16));
        s2 = f32x4.add(s2, v128.load(s, 32));
        s3 = f32x4.add(s3, v128.load(s, 48));
      }
    }
    v128.store(dst + off, f32x4.mul(s0, vs));
    v128.store(dst + off, f32x4.mul(s1, vs), 16);
    v128.store(dst + off, f32x4.mul(s2, vs), 32);
    v128.store(dst + off, f32x4.mul(s3, vs), 48);
  }
  for (; c0 < c; c0 += 4) {
    const off = <usize>c0 << 2;
    const cr = c - c0;
    let acc = z;
    let sy = src + off;
    for (let y = 0; y < ny; y++, sy += row_step) {
      let s = sy;
      if (cr >= 4) {
        for (let x = 0; x < nx; x++, s += tap_step) acc = f32x4.add(acc, v128.load(s));
      } else {
        for (let x = 0; x < nx; x++, s += tap_step) acc = f32x4.add(acc, load_partial(s, cr));
      }
    }
    if (cr >= 4) v128.store(dst + off, f32x4.mul(acc, vs));
    else store_partial(dst + off, f32x4.mul(acc, vs), cr);
  }
}
