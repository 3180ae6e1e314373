// Window and copy helpers shared by the convolution and pooling kernels (assembly/conv, assembly/pool).

/**
 * Window taps that land inside [0, len): a window starts at `start` (may be negative) and has `k` taps
 * `dil` apart. Returns the first valid tap; tap_hi returns one past the last (tap_hi <= tap_lo: none valid).
 */
@inline export function tap_lo(start: i32, dil: i32): i32 {
  return start >= 0 ? 0 : (dil - 1 - start) / dil;
}

@inline export function tap_hi(start: i32, k: i32, dil: i32, len: i32): i32 {
  const room = len - 1 - start; // the last tap must satisfy start + t*dil <= len - 1
  return room < 0 ? 0 : min(k, room / dil + 1);
}

/**
 * dst[0..n) = src[0..n) with v128 moves; the ranges must not overlap. For n >= 4 the last 4 floats are one
 * (possibly overlapping) v128 move instead of a 1..3 float tail. Never touches memory outside the two ranges.
 */
@inline export function copy_f32(dst: usize, src: usize, n: i32): void {
  if (n >= 4) {
    const last = <usize>(n - 4) << 2;
    v128.store(dst + last, v128.load(src + last));
    while (n >= 20) {
      const a = v128.load(src), b = v128.load(src, 16), c = v128.load(src, 32), d = v128.load(src, 48);
      v128.store(dst, a); v128.store(dst, b, 16); v128.store(dst, c, 32); v128.store(dst, d, 48);
      src += 64; dst += 64; n -= 16;
    }
    while (n > 4) {
      v128.store(dst, v128.load(src));
      src += 16; dst += 16; n -= 4;
    }
    return;
  }
  if (n & 2) {
    store<u64>(dst, load<u64>(src));
    src += 8; dst += 8;
  }
  if (n & 1) store<u32>(dst, load<u32>(src));
}

/** dst[0..n) = 0.0f (the last 4 floats as one possibly overlapping v128 store, as in copy_f32). */
@inline export function zero_f32(dst: usize, n: i32): void {
  const z = i32x4.splat(0);
  if (n >= 4) {
    v128.store(dst + (<usize>(n - 4) << 2), z);
    while (n >= 20) {
      v128.store(dst, z); v128.store(dst, z, 16); v128.store(dst, z, 32); v128.store(dst, z, 48);
      dst += 64; n -= 16;
    }
    while (n > 4) {
      v128.store(dst, z);
      dst += 16; n -= 4;
    }
    return;
  }
  if (n & 2) {
    store<u64>(dst, 0);
    dst += 8;
  }
  if (n & 1) store<u32>(dst, 0);
}
