/**
 * IEEE 754 binary16 ("half", f16) <-> binary32 (f32) conversion, portable (no Node APIs, no Math.f16round).
 *
 * f32 -> f16 rounds to nearest, ties to even. Finite values with |x| >= 65520 become ±Infinity (65504 is the
 * largest finite half; 65520 is the midpoint to the next step, and ties go to the even pattern 0x7c00 = Inf).
 * Values below half the smallest subnormal (2^-25) become ±0; subnormals are produced exactly.
 * NaN stays NaN: the result is a quiet NaN that keeps the sign and the top 9 payload bits.
 * f16 -> f32 is exact (every half is representable as a float).
 */

// One 4-byte scratch cell viewed as both f32 and u32. Both views use the platform's byte order, so the bit
// pattern read through the Uint32Array is the float's bits regardless of endianness.
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Bits of a binary32 -> bits of the nearest binary16 (round to nearest, ties to even). */
export function f32BitsToF16Bits(f: number): number {
  f = f >>> 0;
  const sign = (f >>> 16) & 0x8000;
  const exp = f & 0x7f800000; // f32 exponent field, in place
  const sig = f & 0x007fffff;

  // Exponent >= 2^16, Inf or NaN.
  if (exp >= 0x47800000) {
    if (exp === 0x7f800000 && sig !== 0) return sign | 0x7e00 | (sig >>> 13); // quiet NaN, payload kept
    return sign | 0x7c00; // ±Inf (also the overflow of any finite value >= 2^16)
  }

  // Result is subnormal or zero: |x| < 2^-14.
  if (exp <= 0x38000000) {
    if (exp < 0x33000000) return sign; // |x| < 2^-25: rounds to ±0 (2^-25 itself is a tie, handled below)
    const e = exp >>> 23; // 102..112
    let s = 0x00800000 | sig; // 24-bit significand with the implicit bit
    s = s >>> (113 - e); // align so that bit 13 is the half's last significand bit (shift 1..11)
    // Round half to even. The shift may have dropped up to 11 low bits of sig: those are in (f & 0x7ff).
    if ((s & 0x3fff) !== 0x1000 || (f & 0x7ff) !== 0) s += 0x1000;
    return sign | (s >>> 13); // a carry into bit 10 correctly gives the smallest normal
  }

  // Normal half. Re-bias the exponent (127 -> 15) in place and round the significand.
  const hexp = (exp - 0x38000000) >>> 13;
  let s = sig;
  if ((s & 0x3fff) !== 0x1000) s += 0x1000; // round half to even (0x1000 exactly with an even last bit stays)
  // A carry out of the significand increments the exponent; from exponent 30 it gives 0x7c00 = Inf. Correct.
  return sign | (hexp + (s >>> 13));
}

/** Bits of a binary16 -> the binary32 value (exact). */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const sig = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (sig << 13)) >>> 0; // Inf / NaN (payload kept)
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (sig << 13)) >>> 0; // normal: bias 15 -> 127
  if (sig === 0) return sign >>> 0; // ±0
  // Subnormal half = sig * 2^-24: normalise into an f32 (always normal there).
  let e = 113; // 127 - 14
  let s = sig;
  while ((s & 0x400) === 0) {
    s <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((s & 0x3ff) << 13)) >>> 0;
}

/** Nearest half to `x` (first rounded to f32), as its 16-bit pattern. */
export function f32ToF16(x: number): number {
  scratchF32[0] = x;
  return f32BitsToF16Bits(scratchU32[0]);
}

/** The value of a half given as its 16-bit pattern. */
export function f16ToF32(h: number): number {
  scratchU32[0] = f16BitsToF32Bits(h & 0xffff);
  return scratchF32[0];
}

/** Encode `src` as little-endian halves into `dst` starting at `dstOffset` (2 bytes per element). */
export function encodeF16(src: Float32Array, dst: Uint8Array, dstOffset: number): void {
  // A Float32Array's byteOffset is always a multiple of 4, so a Uint32Array view of the same bytes is valid.
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const n = bits.length;
  for (let i = 0, o = dstOffset; i < n; i++, o += 2) {
    const h = f32BitsToF16Bits(bits[i]);
    dst[o] = h & 0xff;
    dst[o + 1] = h >>> 8;
  }
}

/** Decode `count` little-endian halves from `src` at `srcOffset` into `dst` (which has at least `count` elements). */
export function decodeF16(src: Uint8Array, srcOffset: number, count: number, dst: Float32Array): void {
  const bits = new Uint32Array(dst.buffer, dst.byteOffset, count);
  for (let i = 0, o = srcOffset; i < count; i++, o += 2) {
    bits[i] = f16BitsToF32Bits(src[o] | (src[o + 1] << 8));
  }
}
