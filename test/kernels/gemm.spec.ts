// f32_gemm / f32_gemm_pack against a plain scalar reference with f64 accumulation (XNNPACK-style tester).
//
// Tolerance: |optimized - reference| <= (k + 2) * 2^-24 * (|bias| + sum_kk |a * b|) (+1e-30): the rounding bound
// of any f32 evaluation order of k products and k + 1 additions, so a correct kernel cannot fail it, while a
// dropped or repeated term (about sum/k) is far above it for the k used here (<= 520).
// Guards: A's padding columns (a_row_stride > k) and B's padding are NaN, so reading them poisons the result;
// C's padding columns (c_row_stride > n), the floats before C and after its last row hold a sentinel that must
// survive bit for bit; A, B and the bias must be left unchanged. With .atMemoryEnd() the problem runs once for
// each of A, B, bias, packed B and C placed flush against the end of linear memory (one at a time: only the
// newest pages are the end), so any access past its last element traps.
import { f32_gemm, f32_gemm_pack, f32_gemm_packed_size, f32_simd_peak } from "../../assembly/gemm/gemm";
import { atMemoryEnd } from "./buffers";

// The kernel's tile (assembly/gemm/gemm.ts). The cases below are placed around these.
const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 512; // k block
const MC: i32 = 128; // m block

let seed: u32 = 12345;
function rnd(): f32 { seed = seed * 1664525 + 1013904223; return <f32>((seed >>> 8) * (1.0 / 16777216.0)) * 2 - 1; }
function rndInt(lo: i32, hi: i32): i32 { seed = seed * 1664525 + 1013904223; return lo + <i32>((seed >>> 8) % <u32>(hi - lo + 1)); }

const GUARD: i32 = 16;
// Buffers for .atMemoryEnd()
const NONE: i32 = 0, BUF_A: i32 = 1, BUF_B: i32 = 2, BUF_BIAS: i32 = 3, BUF_PACKED: i32 = 4, BUF_C: i32 = 5;
const SENTINEL: u32 = 0x7fc0bad0; // a NaN payload nothing computes
const POISON: f32 = NaN;

/** Copies floats [from, from + count) of b to a new region flush against the end of memory. */
function flush(b: StaticArray<f32>, from: i32, count: i32): usize {
  const p = atMemoryEnd(count);
  memory.copy(p, ptr(b, from), <usize>max(count, 0) << 2);
  return p;
}

function ptr(b: StaticArray<f32>, offset: i32 = 0): usize { return changetype<usize>(b) + (<usize>offset << 2); }
function bits(x: f32): u32 { return reinterpret<u32>(x); }
function snapshot(b: StaticArray<f32>): StaticArray<u32> {
  const s = new StaticArray<u32>(b.length);
  for (let i = 0; i < b.length; i++) s[i] = bits(b[i]);
  return s;
}
function unchanged(b: StaticArray<f32>, s: StaticArray<u32>): bool {
  for (let i = 0; i < b.length; i++) if (bits(b[i]) != s[i]) return false;
  return true;
}

/** One GEMM problem: gemm().m(4).n(8).k(3).aStride(7).test() */
class GemmTester {
  _m: i32 = MR;
  _n: i32 = NR;
  _k: i32 = 1;
  _aStride: i32 = 0; // 0: k
  _cStride: i32 = 0; // 0: n
  _bStride: i32 = 0; // 0: dense (n, or k when transposed)
  _transB: bool = false;
  _bias: bool = true;
  _qmin: bool = false; // clamp at 1/4 of the output range from below
  _qmax: bool = false; // clamp at 1/4 of the output range from above
  _relu6: bool = false; // out_min = 0, out_max = 6 * mean |c|
  _atEnd: bool = false; // run once per buffer placed flush against the end of memory
  _which: i32 = NONE; // the buffer at the end in this run

  m(v: i32): GemmTester { this._m = v; return this; }
  n(v: i32): GemmTester { this._n = v; return this; }
  k(v: i32): GemmTester { this._k = v; return this; }
  aStride(v: i32): GemmTester { this._aStride = v; return this; }
  cStride(v: i32): GemmTester { this._cStride = v; return this; }
  bStride(v: i32): GemmTester { this._bStride = v; return this; }
  transB(v: bool = true): GemmTester { this._transB = v; return this; }
  bias(v: bool): GemmTester { this._bias = v; return this; }
  qmin(): GemmTester { this._qmin = true; return this; }
  qmax(): GemmTester { this._qmax = true; return this; }
  relu6(): GemmTester { this._relu6 = true; return this; }
  atMemoryEnd(): GemmTester { this._atEnd = true; return this; }

  /** Runs the kernel and the reference; returns the number of mismatches (and traces the first few). */
  run(): i32 {
    const m = this._m, n = this._n, k = this._k;
    const lda = this._aStride > 0 ? this._aStride : k;
    const ldc = this._cStride > 0 ? this._cStride : n;
    // B[kk][j] at b[kk*rs + j*cs]
    const dense = this._transB ? k : n;
    const ldb = this._bStride > 0 ? this._bStride : dense;
    const rs = this._transB ? 1 : ldb, cs = this._transB ? ldb : 1;
    const bRows = this._transB ? n : k;

    const a = new StaticArray<f32>(m * lda + GUARD);
    for (let i = 0; i < a.length; i++) a[i] = POISON;
    for (let i = 0; i < m; i++) for (let kk = 0; kk < k; kk++) a[i * lda + kk] = rnd();
    const b = new StaticArray<f32>(bRows * ldb + GUARD);
    for (let i = 0; i < b.length; i++) b[i] = POISON;
    for (let kk = 0; kk < k; kk++) for (let j = 0; j < n; j++) b[kk * rs + j * cs] = rnd();
    const bias = new StaticArray<f32>(n + GUARD);
    for (let j = 0; j < n; j++) bias[j] = rnd();
    for (let j = n; j < bias.length; j++) bias[j] = POISON;
    const aSnap = snapshot(a), bSnap = snapshot(b), biasSnap = snapshot(bias);

    // Reference (f64), unclamped, and the magnitude it summed.
    const ref = new StaticArray<f64>(m * n), mag = new StaticArray<f64>(m * n);
    let lo = Infinity, hi = -Infinity, sumAbs: f64 = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s: f64 = this._bias ? <f64>bias[j] : 0;
      let sa: f64 = abs(s);
      for (let kk = 0; kk < k; kk++) {
        const p = <f64>a[i * lda + kk] * <f64>b[kk * rs + j * cs];
        s += p;
        sa += abs(p);
      }
      ref[i * n + j] = s;
      mag[i * n + j] = sa;
      lo = min(lo, s);
      hi = max(hi, s);
      sumAbs += abs(s);
    }
    let outMin: f32 = -Infinity, outMax: f32 = Infinity;
    if (this._qmin) outMin = <f32>(lo + (hi - lo) * 0.25);
    if (this._qmax) outMax = <f32>(hi - (hi - lo) * 0.25);
    if (this._relu6) { outMin = 0; outMax = <f32>(6 * sumAbs / <f64>(m * n)); }

    const packedSize = f32_gemm_packed_size(k, n);
    const packed = new StaticArray<f32>(packedSize);
    // C with GUARD sentinels before it, after its last row, and in its padding columns.
    const c = new StaticArray<f32>(GUARD + m * ldc + GUARD);
    for (let i = 0; i < c.length; i++) c[i] = reinterpret<f32>(SENTINEL);

    // Only the floats the kernels may touch: the last row of A ends at k, of B at n (or k), of C at n.
    const which = this._which;
    const cLen = (m - 1) * ldc + n;
    let pa = ptr(a), pb = ptr(b), pbias = ptr(bias), pp = ptr(packed), pc = ptr(c, GUARD);
    if (which == BUF_B) pb = flush(b, 0, k > 0 ? (bRows - 1) * ldb + (this._transB ? k : n) : 0);
    if (which == BUF_BIAS) pbias = flush(bias, 0, n);
    if (which == BUF_PACKED) pp = atMemoryEnd(packedSize);
    f32_gemm_pack(k, n, pb, rs, cs, this._bias ? pbias : 0, pp);
    if (which == BUF_A) pa = flush(a, 0, (m - 1) * lda + k);
    if (which == BUF_C) pc = flush(c, GUARD, cLen);
    f32_gemm(m, n, k, pa, lda, pp, pc, ldc, outMin, outMax);
    if (which == BUF_C) memory.copy(ptr(c, GUARD), pc, <usize>cLen << 2);

    let bad = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      const want = min(max(ref[i * n + j], <f64>outMin), <f64>outMax);
      const got = c[GUARD + i * ldc + j];
      const tol = <f64>(k + 2) * 5.9604644775390625e-8 * mag[i * n + j] + 1e-30;
      if (!(abs(<f64>got - want) <= tol)) {
        if (bad++ < 3) {
          trace("f32_gemm mismatch at i, j; M x N x K", 5, i, j, m, n, k);
          trace("  reference, optimized, tolerance", 3, want, got, tol);
        }
      }
    }
    for (let x = 0; x < c.length; x++) {
      const r = x - GUARD;
      const inside = r >= 0 && r < m * ldc && r % ldc < n;
      if (!inside && bits(c[x]) != SENTINEL) {
        if (bad++ < 3) trace("f32_gemm wrote outside C: float index (from C), M x N x K, ldc", 5, r, m, n, k, ldc);
      }
    }
    if (!unchanged(a, aSnap) || !unchanged(b, bSnap) || !unchanged(bias, biasSnap)) {
      bad++;
      trace("f32_gemm or f32_gemm_pack modified an input; M x N x K", 3, m, n, k);
    }
    return bad;
  }

  test(): void {
    let bad = 0;
    if (this._atEnd) {
      for (let w = BUF_A; w <= BUF_C; w++) {
        this._which = w;
        bad += this.run();
      }
    } else {
      bad = this.run();
    }
    expect(bad).toBe(0, "f32_gemm " + this._m.toString() + "x" + this._n.toString() + "x" + this._k.toString());
  }
}

function gemm(): GemmTester { return new GemmTester(); }

describe("f32_gemm: k", () => {
  it("k_eq_1", () => { gemm().m(MR).n(NR).k(1).test(); });
  it("k = 2..17 on a full tile", () => { for (let k = 2; k <= 17; k++) gemm().m(MR).n(NR).k(k).test(); });
  it("k around the k block (KC - 1, KC, KC + 1, 2 KC + 3)", () => {
    gemm().m(MR).n(NR).k(KC - 1).test();
    gemm().m(MR).n(NR).k(KC).test();
    gemm().m(5).n(9).k(KC + 1).test();
    gemm().m(6).n(12).k(2 * KC + 3).test();
  });
  it("k > KC with every partial panel width (partial sums reloaded from C)", () => {
    for (let n = 1; n <= NR; n++) gemm().m(5).n(NR + n).k(KC + 5).cStride(NR + n + 1).test();
  });
  it("k = 0 gives clamp(bias)", () => {
    gemm().m(5).n(11).k(0).test();
    gemm().m(1).n(11).k(0).test();
    gemm().m(3).n(6).k(0).qmin().test();
  });
});

describe("f32_gemm: n", () => {
  it("n_lt_NR, n_eq_NR, n_gt_NR", () => { for (let n = 1; n <= 2 * NR - 1; n++) gemm().m(MR).n(n).k(5).test(); });
  it("n_div_NR", () => { for (let n = 2 * NR; n <= 5 * NR; n += NR) gemm().m(MR).n(n).k(7).test(); });
  it("n_gt_NR with strided C", () => { for (let n = NR + 1; n < 2 * NR; n++) gemm().m(MR).n(n).k(4).cStride(2 * NR + 3).test(); });
});

describe("f32_gemm: m", () => {
  it("subtile: m = 1..MR x n = 1..NR", () => {
    for (let m = 1; m <= MR; m++) for (let n = 1; n <= NR; n++) gemm().m(m).n(n).k(3).test();
  });
  it("m_gt_MR and m_div_MR", () => { for (let m = MR + 1; m <= 4 * MR; m++) gemm().m(m).n(NR + 3).k(6).test(); });
  it("m around the m block (MC - 1, MC + 1, 2 MC + 3)", () => {
    gemm().m(MC - 1).n(10).k(9).test();
    gemm().m(MC + 1).n(17).k(20).test();
    gemm().m(2 * MC + 3).n(5).k(KC + 9).test();
  });
  it("m = 1 (the GEMV path): n = 1..50, k = 1..9", () => {
    for (let n = 1; n <= 50; n++) gemm().m(1).n(n).k(1 + n % 9).test();
    gemm().m(1).n(70).k(300).aStride(301).qmin().qmax().test();
  });
});

describe("f32_gemm: strides, clamping, packing", () => {
  it("strided A (padding is NaN)", () => {
    gemm().m(MR).n(NR).k(5).aStride(7).test();
    gemm().m(7).n(13).k(11).aStride(19).test();
    gemm().m(1).n(9).k(4).aStride(5).test();
  });
  it("strided C (padding columns untouched)", () => {
    gemm().m(MR).n(NR).k(5).cStride(NR + 3).test();
    gemm().m(9).n(3).k(8).cStride(10).test();
    gemm().m(1).n(26).k(8).cStride(29).test();
  });
  it("qmin, qmax, relu6", () => {
    gemm().m(MR).n(NR).k(9).qmin().test();
    gemm().m(MR).n(NR).k(9).qmax().test();
    gemm().m(6).n(21).k(13).qmin().qmax().test();
    gemm().m(6).n(21).k(KC + 13).qmin().qmax().test(); // clamp only after the last k block
    gemm().m(9).n(10).k(21).relu6().test();
    gemm().m(1).n(30).k(21).relu6().test();
  });
  it("transposed B, strided B, no bias", () => {
    gemm().m(13).n(11).k(19).transB().test();
    gemm().m(MR).n(NR).k(1).transB().test();
    gemm().m(5).n(17).k(9).bStride(20).test();
    gemm().m(5).n(17).k(9).transB().bStride(12).test();
    gemm().m(7).n(9).k(10).bias(false).test();
    gemm().m(1).n(9).k(10).bias(false).transB().test();
  });
  it("packed layout: per panel of 8 columns, 8 bias then k rows of 8, zero past n", () => {
    expect(f32_gemm_packed_size(1, 1)).toBe(16);
    expect(f32_gemm_packed_size(3, 9)).toBe(2 * 8 * 4);
    const b = new StaticArray<f32>(3 * 9), bias = new StaticArray<f32>(9);
    for (let i = 0; i < b.length; i++) b[i] = <f32>(i + 1);
    for (let j = 0; j < 9; j++) bias[j] = -1 - <f32>j;
    const p = new StaticArray<f32>(f32_gemm_packed_size(3, 9));
    f32_gemm_pack(3, 9, ptr(b), 9, 1, ptr(bias), ptr(p));
    let bad = 0;
    for (let panel = 0; panel < 2; panel++) for (let r = 0; r < 4; r++) for (let j = 0; j < 8; j++) {
      const col = panel * 8 + j;
      const want: f32 = col >= 9 ? 0 : r == 0 ? bias[col] : b[(r - 1) * 9 + col];
      if (p[panel * 32 + r * 8 + j] != want) bad++;
    }
    expect(bad).toBe(0);
  });
});

describe("f32_gemm: no access outside A, B, bias, packed B, C (each flush against the end of memory)", () => {
  it("full tiles, tails, strides, transposed B, k blocks, m = 1", () => {
    gemm().m(MR).n(NR).k(3).atMemoryEnd().test();
    for (let m = 1; m <= MR + 1; m++) for (let n = 1; n <= NR + 1; n++) gemm().m(m).n(n).k(2 + n % 3).atMemoryEnd().test();
    gemm().m(7).n(13).k(11).aStride(14).cStride(15).atMemoryEnd().test();
    gemm().m(6).n(11).k(9).transB().bStride(10).atMemoryEnd().test();
    gemm().m(5).n(19).k(KC + 7).atMemoryEnd().test();
    gemm().m(1).n(1).k(1).atMemoryEnd().test();
    for (let n = 1; n <= 3 * NR + 1; n++) gemm().m(1).n(n).k(1 + n % 4).atMemoryEnd().test();
    gemm().m(3).n(5).k(0).atMemoryEnd().test();
  });
});

describe("f32_gemm: larger and random problems", () => {
  it("100x70x300, 1x70x300, 64x64x600, 133x17x520 (k and m blocks), 2x130x1100", () => {
    gemm().m(100).n(70).k(300).test();
    gemm().m(1).n(70).k(300).test();
    gemm().m(64).n(64).k(600).aStride(601).cStride(67).qmin().test();
    gemm().m(133).n(17).k(520).transB().test();
    gemm().m(2).n(130).k(1100).aStride(1103).qmax().test();
  });
  it("200 random problems with m, n, k in 1..40, random strides, layout, bias and clamping", () => {
    for (let t = 0; t < 200; t++) {
      const m = rndInt(1, 40), n = rndInt(1, 40), k = rndInt(1, 40);
      const g = gemm().m(m).n(n).k(k);
      if (rndInt(0, 1)) g.aStride(k + rndInt(1, 5));
      if (rndInt(0, 1)) g.cStride(n + rndInt(1, 5));
      if (rndInt(0, 1)) g.transB();
      if (rndInt(0, 3) == 0) g.bias(false);
      if (rndInt(0, 3) == 0) g.qmin();
      if (rndInt(0, 3) == 0) g.qmax();
      g.test();
    }
  });
});

describe("f32_simd_peak", () => {
  it("runs and returns a finite value", () => {
    const r = f32_simd_peak(1000);
    expect(isFinite(r)).toBe(true);
  });
});
