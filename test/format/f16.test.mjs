// f32 <-> f16 conversion against an independent reference: values computed with Math.pow, and f32 -> f16 as
// "the nearest of all finite halves, ties to the even bit pattern, >= 65520 to Infinity" found by search.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  f16ToF32,
  f32ToF16,
  f32BitsToF16Bits,
  f16BitsToF32Bits,
  encodeF16,
  decodeF16,
} from "../../dist/format/f16.js";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const fromBits = (b) => ((u32[0] = b >>> 0), f32[0]);
const bitsOf = (x) => ((f32[0] = x), u32[0]);
const hex = (n, w = 4) => "0x" + (n >>> 0).toString(16).padStart(w, "0");

/** Value of a half pattern, from the IEEE definition (no bit tricks). */
function refHalfValue(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 31) return m === 0 ? s * Infinity : NaN;
  if (e === 0) return s * m * Math.pow(2, -24);
  return s * (1 + m / 1024) * Math.pow(2, e - 15);
}

// Finite non-negative halves 0x0000..0x7bff are increasing in value.
const POS = new Float64Array(0x7c00);
for (let h = 0; h < 0x7c00; h++) POS[h] = refHalfValue(h);

/** Reference f32 -> f16: nearest finite half by binary search, ties to even, overflow at >= 65520. */
function refToHalf(x) {
  if (Number.isNaN(x)) return null; // any NaN pattern accepted (checked separately)
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = 0x7bff;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (POS[mid] <= a) lo = mid;
    else hi = mid - 1;
  }
  if (POS[lo] === a || lo === 0x7bff) return sign | lo;
  const dLo = a - POS[lo];
  const dHi = POS[lo + 1] - a;
  if (dLo < dHi) return sign | lo;
  if (dHi < dLo) return sign | (lo + 1);
  return sign | (lo % 2 === 0 ? lo : lo + 1);
}

function isHalfNaN(h) {
  return (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
}

test("f16 -> f32: all 65536 patterns match the IEEE definition", () => {
  for (let h = 0; h < 0x10000; h++) {
    const got = f16ToF32(h);
    const want = refHalfValue(h);
    if (Number.isNaN(want)) {
      assert.ok(Number.isNaN(got), `half ${hex(h)}: want NaN, got ${got}`);
      // payload kept, sign kept
      const b = f16BitsToF32Bits(h);
      assert.equal(b >>> 31, h >>> 15, `half ${hex(h)}: NaN sign`);
      assert.equal((b >>> 13) & 0x3ff, h & 0x3ff, `half ${hex(h)}: NaN payload`);
    } else {
      assert.ok(Object.is(got, want), `half ${hex(h)}: want ${want}, got ${got}`);
    }
  }
});

test("f32 -> f16 -> f32 is the identity on every non-NaN half (incl. ±0, subnormals, ±Inf)", () => {
  for (let h = 0; h < 0x10000; h++) {
    if (isHalfNaN(h)) continue;
    const back = f32ToF16(f16ToF32(h));
    assert.equal(back, h, `half ${hex(h)} -> ${f16ToF32(h)} -> ${hex(back)}`);
  }
});

test("f32 -> f16: every exact tie between adjacent halves rounds to the even pattern", () => {
  let ties = 0;
  for (let h = 0; h < 0x7bff; h++) {
    const mid = (POS[h] + POS[h + 1]) / 2; // 12 significant bits: exact in f32
    assert.equal(Math.fround(mid), mid);
    const even = h % 2 === 0 ? h : h + 1;
    assert.equal(f32ToF16(mid), even, `tie between ${hex(h)} and ${hex(h + 1)} (${mid})`);
    assert.equal(f32ToF16(-mid), 0x8000 | even, `negative tie between ${hex(h)} and ${hex(h + 1)}`);
    // one f32 ulp either side of the tie goes to the nearer half
    const b = bitsOf(mid);
    assert.equal(f32ToF16(fromBits(b - 1)), h, `just below tie ${hex(h)}/${hex(h + 1)}`);
    assert.equal(f32ToF16(fromBits(b + 1)), h + 1, `just above tie ${hex(h)}/${hex(h + 1)}`);
    ties++;
  }
  assert.equal(ties, 0x7bff);
});

test("f32 -> f16: named edge cases (overflow, underflow, subnormals, signed zero, Inf, NaN)", () => {
  const cases = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff], // largest finite half
    [65519.996, 0x7bff], // just below the overflow tie
    [65520, 0x7c00], // tie between 65504 (odd 0x7bff) and "65536" (0x7c00, even): Inf
    [1e10, 0x7c00],
    [-1e10, 0xfc00],
    [3.4028234663852886e38, 0x7c00], // FLT_MAX
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [Math.pow(2, -14), 0x0400], // smallest normal
    [Math.pow(2, -24), 0x0001], // smallest subnormal
    [Math.pow(2, -25), 0x0000], // tie between 0 and 2^-24: even is 0
    [-Math.pow(2, -25), 0x8000],
    [fromBits(bitsOf(Math.pow(2, -25)) + 1), 0x0001], // just above the tie
    [3 * Math.pow(2, -25), 0x0002], // tie between 1 and 2 subnormal steps: even is 2
    [5 * Math.pow(2, -25), 0x0002], // tie between 2 and 3: even is 2
    [Math.pow(2, -14) - Math.pow(2, -25), 0x0400], // tie between 0x3ff and 0x400: even is 0x400 (normal)
    [1e-10, 0x0000],
    [-1e-10, 0x8000],
    [fromBits(0x00000001), 0x0000], // f32 subnormal
    [fromBits(0x80000001), 0x8000],
    [0.1, 0x2e66],
    [1 + Math.pow(2, -11), 0x3c00], // tie between 1 and 1+2^-10: even is 1
    [1 + 3 * Math.pow(2, -11), 0x3c02], // tie between 0x3c01 and 0x3c02: even is 0x3c02
  ];
  for (const [x, want] of cases) {
    assert.equal(f32ToF16(x), want, `f32ToF16(${x}) = ${hex(f32ToF16(x))}, want ${hex(want)}`);
    assert.equal(refToHalf(Math.fround(x)), want, `reference disagrees on ${x}`);
  }
  for (const nanBits of [0x7fc00000, 0xffc00000, 0x7f800001, 0x7fbfffff, 0xff800001]) {
    const h = f32BitsToF16Bits(nanBits);
    assert.ok(isHalfNaN(h), `NaN ${hex(nanBits, 8)} -> ${hex(h)} is not a NaN`);
    assert.equal(h >>> 15, nanBits >>> 31, `NaN ${hex(nanBits, 8)}: sign`);
    assert.ok(h & 0x200, `NaN ${hex(nanBits, 8)} -> ${hex(h)}: should be quiet`);
  }
});

test("f32 -> f16: 300 000 random f32 bit patterns match the nearest-half search", () => {
  let seed = 0x12345678;
  const rand = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  for (let i = 0; i < 300_000; i++) {
    let b = rand();
    // Half the samples in the interesting exponent range (2^-26 .. 2^17).
    if (i & 1) b = (b & 0x807fffff) | ((((rand() % 44) + 101) & 0xff) << 23);
    const x = fromBits(b);
    const got = f32BitsToF16Bits(b);
    const want = refToHalf(x);
    if (want === null) assert.ok(isHalfNaN(got), `NaN ${hex(b, 8)} -> ${hex(got)}`);
    else assert.equal(got, want, `f32 ${hex(b, 8)} (${x}): got ${hex(got)}, want ${hex(want)}`);
  }
});

test("encodeF16 / decodeF16 bulk match the scalar functions, at odd byte offsets", () => {
  const n = 1001;
  const src = new Float32Array(n);
  for (let i = 0; i < n; i++) src[i] = (i - 500) * 0.37 + (i % 7 === 0 ? 1e-6 : 0);
  src[3] = NaN;
  src[4] = Infinity;
  src[5] = -0;
  const buf = new Uint8Array(2 * n + 3);
  encodeF16(src, buf, 3);
  for (let i = 0; i < n; i++) {
    assert.equal(buf[3 + 2 * i] | (buf[4 + 2 * i] << 8), f32ToF16(src[i]), `element ${i}`);
  }
  const out = new Float32Array(n);
  decodeF16(buf, 3, n, out);
  for (let i = 0; i < n; i++) {
    const want = f16ToF32(f32ToF16(src[i]));
    assert.ok(Object.is(out[i], want) || (Number.isNaN(want) && Number.isNaN(out[i])), `element ${i}`);
  }
  // A Float32Array view that does not start at its buffer's beginning.
  const big = new Float32Array(n + 5);
  const view = big.subarray(5);
  view.set(src);
  const buf2 = new Uint8Array(2 * n);
  encodeF16(view, buf2, 0);
  assert.deepEqual(buf2, buf.subarray(3));
});
