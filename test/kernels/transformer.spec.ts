// The transformer kernels against plain scalar references in f64: f32_matmul_rows (unpacked GEMM for few rows),
// gather32 (embedding lookup / Gather on any axis), f32_layernorm, f32_attention (every operand layout, masks,
// causal, weights output). Outputs sit between guard sentinels; inputs must come back unchanged.
//
// Tolerances are rounding bounds of an f32 evaluation, so a correct kernel cannot fail them while a dropped,
// repeated or misplaced term is far outside:
//   matmul: (k + 2) 2^-24 sum|a b|;
//   layernorm: |y - ref| <= (n + 8) 2^-24 (|xhat| + 1) |scale| + 2^-24 |bias| (mean, variance, rsqrt roundings);
//   attention: scores err Es = (d + 4) 2^-24 sum|q k| |scale| + 2^-24 (|s| + |mask|); probabilities
//   |dp| <= p (2 Es + (skv + 16) 2^-24) (softmax is 2-Lipschitz in the log domain, plus exp and the sum);
//   O: sum_j |dp_j| |v_j| + (skv + 2) 2^-24 sum_j p_j |v_j|.
import { f32_matmul_rows } from "../../assembly/gemm/matmul";
import { f32_gemm, f32_gemm_pack, f32_gemm_packed_size } from "../../assembly/gemm/gemm";
import { gather32 } from "../../assembly/transformer/gather";
import { f32_layernorm } from "../../assembly/transformer/layernorm";
import { f32_attention, f32_attention_scratch_size, pack_kt } from "../../assembly/transformer/attention";
import { at, data, guarded, guards_intact, random, reseed, rnd, same, copy, GUARD } from "./buffers";

const EPS32: f64 = 5.9604644775390625e-8; // 2^-24

function rndInt(lo: i32, hi: i32): i32 { return lo + <i32>((rnd() * 0.5 + 0.5) * <f32>(hi - lo + 1)) % (hi - lo + 1); }

// ---- f32_matmul_rows ------------------------------------------------------------------------------------------

function matmulCase(m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32): i32 {
  const a = random(m * lda), b = random(k * ldb);
  const a0 = copy(a), b0 = copy(b);
  const c = guarded(m * ldc);
  f32_matmul_rows(m, n, k, data(a), lda, data(b), ldb, data(c), ldc);
  let bad = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s: f64 = 0, mag: f64 = 0;
    for (let kk = 0; kk < k; kk++) {
      const p = <f64>at(a, i * lda + kk) * <f64>at(b, kk * ldb + j);
      s += p; mag += Math.abs(p);
    }
    const got = <f64>at(c, i * ldc + j);
    if (!(Math.abs(got - s) <= <f64>(k + 2) * EPS32 * mag + 1e-30)) {
      if (bad++ < 3) { trace("f32_matmul_rows mismatch m n k i j", 5, m, n, k, i, j); trace("  got, ref", 2, got, s); }
    }
  }
  // padding columns of C (j >= n) and the guards keep their sentinels
  for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) if (at(c, i * ldc + j) != -1234.5) bad++;
  if (!guards_intact(c, m * ldc) || !same(a, a0) || !same(b, b0)) bad++;
  return bad;
}

describe("f32_matmul_rows", () => {
  it("m = 1..5, every n tail up to 37, odd k", () => {
    reseed(11);
    let bad = 0;
    for (let m = 1; m <= 5; m++) for (let n = 1; n <= 37; n++) bad += matmulCase(m, n, 1 + (n * 7) % 13, 1 + (n * 7) % 13, n, n);
    expect(bad).toBe(0);
  });
  it("strided A, B and C; k = 0 gives zeros; long k", () => {
    reseed(12);
    let bad = matmulCase(3, 19, 9, 12, 23, 21);
    bad += matmulCase(2, 64, 300, 301, 70, 66);
    bad += matmulCase(1, 5, 0, 1, 5, 5);
    expect(bad).toBe(0);
  });
  it("gives the bits of f32_gemm with no bias (same summation order)", () => {
    reseed(13);
    const m = 3, n = 29, k = 41;
    const a = random(m * k), b = random(k * n);
    const c1 = guarded(m * n), c2 = guarded(m * n);
    const p = new StaticArray<f32>(f32_gemm_packed_size(k, n));
    f32_gemm_pack(k, n, data(b), n, 1, 0, changetype<usize>(p));
    f32_gemm(m, n, k, data(a), k, changetype<usize>(p), data(c1), n, -Infinity, Infinity);
    f32_matmul_rows(m, n, k, data(a), k, data(b), n, data(c2), n);
    expect(same(c1, c2)).toBe(true);
  });
});

// ---- gather32 -------------------------------------------------------------------------------------------------

function gatherCase(outer: i32, len: i32, inner: i32, count: i32): i32 {
  const table = random(outer * len * inner);
  const ids = new StaticArray<i32>(count);
  for (let i = 0; i < count; i++) ids[i] = rndInt(-len, len - 1);
  const out = guarded(outer * count * inner);
  const r = gather32(outer, len, inner, data(table), changetype<usize>(ids), count, data(out));
  let bad = r == -1 ? 0 : 1;
  for (let o = 0; o < outer; o++) for (let i = 0; i < count; i++) {
    const id = ids[i] < 0 ? ids[i] + len : ids[i];
    for (let e = 0; e < inner; e++) {
      const want = at(table, (o * len + id) * inner + e), got = at(out, (o * count + i) * inner + e);
      if (reinterpret<u32>(want) != reinterpret<u32>(got)) bad++;
    }
  }
  if (!guards_intact(out, outer * count * inner)) bad++;
  return bad;
}

describe("gather32", () => {
  it("axis 0 (embedding rows), every row width 1..40, negative ids", () => {
    reseed(21);
    let bad = 0;
    for (let inner = 1; inner <= 40; inner++) bad += gatherCase(1, 13, inner, 9);
    bad += gatherCase(1, 1000, 128, 128);
    expect(bad).toBe(0);
  });
  it("middle and last axes (outer > 1), count 0 and 1", () => {
    reseed(22);
    let bad = gatherCase(3, 7, 5, 4) + gatherCase(6, 11, 1, 13) + gatherCase(2, 5, 3, 0) + gatherCase(4, 1, 2, 1);
    expect(bad).toBe(0);
  });
  it("an id out of range returns its position and writes nothing", () => {
    const table = random(5 * 3);
    const ids = new StaticArray<i32>(4);
    ids[0] = 1; ids[1] = -5; ids[2] = 5; ids[3] = 0;
    const out = guarded(4 * 3);
    expect(gather32(1, 5, 3, data(table), changetype<usize>(ids), 4, data(out))).toBe(2);
    ids[2] = -6;
    expect(gather32(1, 5, 3, data(table), changetype<usize>(ids), 4, data(out))).toBe(2);
    let untouched = true;
    for (let i = 0; i < 12; i++) if (at(out, i) != -1234.5) untouched = false;
    expect(untouched).toBe(true);
  });
});

// ---- f32_layernorm --------------------------------------------------------------------------------------------

function layernormCase(rows: i32, n: i32, offset: f32, spread: f32, hasScale: bool, hasBias: bool, inPlace: bool): i32 {
  const x = guarded(rows * n);
  for (let i = 0; i < rows * n; i++) x[GUARD + i] = offset + rnd() * spread;
  const x0 = copy(x);
  const scale = random(n), bias = random(n);
  const y = inPlace ? x : guarded(rows * n);
  const eps: f32 = 1e-5;
  f32_layernorm(rows, n, data(x), hasScale ? data(scale) : 0, hasBias ? data(bias) : 0, eps, data(y));
  let bad = 0;
  for (let o = 0; o < rows; o++) {
    let mean: f64 = 0;
    for (let j = 0; j < n; j++) mean += <f64>at(x0, o * n + j);
    mean /= <f64>n;
    let v: f64 = 0;
    for (let j = 0; j < n; j++) { const d = <f64>at(x0, o * n + j) - mean; v += d * d; }
    v /= <f64>n;
    const rstd = 1 / Math.sqrt(v + <f64>eps);
    // the input's own rounding relative to its spread: |x| 2^-24 / std per element, at most
    const cond = (Math.abs(<f64>offset) + <f64>spread) * rstd;
    for (let j = 0; j < n; j++) {
      const xhat = (<f64>at(x0, o * n + j) - mean) * rstd;
      const s: f64 = hasScale ? <f64>at(scale, j) : 1, b: f64 = hasBias ? <f64>at(bias, j) : 0;
      const want = xhat * s + b;
      const got = <f64>at(y, o * n + j);
      const tol = (<f64>(n + 8) * EPS32 * (Math.abs(xhat) + 1 + cond)) * Math.abs(s) + EPS32 * (Math.abs(b) + Math.abs(want)) + 1e-30;
      if (!(Math.abs(got - want) <= tol)) {
        if (bad++ < 3) { trace("f32_layernorm mismatch rows n o j", 4, rows, n, o, j); trace("  got, ref, tol", 3, got, want, tol); }
      }
    }
  }
  if (!guards_intact(y, rows * n) || (!inPlace && !same(x, x0))) bad++;
  return bad;
}

describe("f32_layernorm", () => {
  it("every row length 1..40 and 128, 768; with and without scale and bias", () => {
    reseed(31);
    let bad = 0;
    for (let n = 1; n <= 40; n++) bad += layernormCase(3, n, 0, 2, true, true, false);
    bad += layernormCase(5, 128, 0.5, 3, true, true, false);
    bad += layernormCase(2, 768, -1, 1, true, true, false);
    bad += layernormCase(4, 33, 0, 1, false, true, false) + layernormCase(4, 33, 0, 1, true, false, false) + layernormCase(4, 33, 0, 1, false, false, false);
    expect(bad).toBe(0);
  });
  it("a large mean against a small spread (the centred variance does not cancel); in place", () => {
    reseed(32);
    let bad = layernormCase(3, 100, 1000, 0.01, true, true, false);
    bad += layernormCase(3, 37, 0, 1, true, true, true);
    expect(bad).toBe(0);
  });
  it("a constant row gives the bias (variance 0: x - mean = 0 exactly)", () => {
    const x = guarded(6), y = guarded(6), s = random(6), b = random(6);
    for (let i = 0; i < 6; i++) x[GUARD + i] = 3.25;
    f32_layernorm(1, 6, data(x), data(s), data(b), 1e-5, data(y));
    let ok = true;
    for (let i = 0; i < 6; i++) if (at(y, i) != at(b, i)) ok = false;
    expect(ok).toBe(true);
  });
});

// ---- f32_attention --------------------------------------------------------------------------------------------

const BHSD: i32 = 0, BSHD: i32 = 1, SBHD: i32 = 2; // [b][h][s][e], [b][s][h*e], [s][b][h*e]
const MASK_NONE: i32 = 0, MASK_ADD: i32 = 1, MASK_KEEP_F32: i32 = 2, MASK_KEEP_I32: i32 = 3;

/** Element strides (batch, head, position) of a [.., s, e]-per-head operand in a layout; w = row width when packed. */
function layoutStrides(layout: i32, batch: i32, heads: i32, s: i32, e: i32, w: i32, out: StaticArray<i32>, at0: i32): void {
  const row = w > 0 ? w : heads * e;
  if (layout == BHSD) { out[at0] = heads * s * e; out[at0 + 1] = s * e; out[at0 + 2] = e; }
  else if (layout == BSHD) { out[at0] = s * row; out[at0 + 1] = e; out[at0 + 2] = row; }
  else { out[at0] = row; out[at0 + 1] = e; out[at0 + 2] = batch * row; }
}

class AttentionTester {
  batch: i32 = 1; heads: i32 = 1; sq: i32 = 1; skv: i32 = 1; d: i32 = 1; dv: i32 = 1;
  layout: i32 = BHSD;
  packed: bool = false; // Q, K, V side by side in one [.., s, heads*(2d + dv)] buffer (needs sq == skv)
  maskKind: i32 = MASK_NONE;
  maskHeads: bool = true; // the mask has a head axis (else broadcast over heads)
  maskRows: bool = true; // the mask has a query axis (else one row of keys for all queries: a padding mask)
  keepOne: bool = false; // keep-masks drop all keys but one per row
  dropAll: bool = false; // keep-masks drop every key of batch 0
  causal: bool = false;
  weights: bool = false;
  scale: f32 = 0.3;

  shape(b: i32, h: i32, sq: i32, skv: i32, d: i32, dv: i32): AttentionTester {
    this.batch = b; this.heads = h; this.sq = sq; this.skv = skv; this.d = d; this.dv = dv; return this;
  }

  run(): i32 {
    const B = this.batch, H = this.heads, SQ = this.sq, SK = this.skv, D = this.d, DV = this.dv;
    const st = new StaticArray<i32>(15);
    let qLen: i32, kLen: i32, vLen: i32, qOff = 0, kOff = 0, vOff = 0;
    if (this.packed) {
      const w = H * (2 * D + DV);
      layoutStrides(this.layout, B, H, SQ, D, w, st, 0);
      layoutStrides(this.layout, B, H, SK, D, w, st, 3);
      layoutStrides(this.layout, B, H, SK, DV, w, st, 6);
      qLen = B * SQ * w; kLen = 0; vLen = 0; kOff = H * D; vOff = 2 * H * D;
    } else {
      layoutStrides(this.layout, B, H, SQ, D, 0, st, 0);
      layoutStrides(this.layout, B, H, SK, D, 0, st, 3);
      layoutStrides(this.layout, B, H, SK, DV, 0, st, 6);
      qLen = B * H * SQ * D; kLen = B * H * SK * D; vLen = B * H * SK * DV;
    }
    layoutStrides(this.layout, B, H, SQ, DV, 0, st, 9);
    // mask [B][H or 1][SQ or 1][SK], contiguous
    const mh = this.maskHeads ? H : 1, mr = this.maskRows ? SQ : 1;
    st[12] = mh * mr * SK; st[13] = this.maskHeads ? mr * SK : 0; st[14] = this.maskRows ? SK : 0;
    const q = random(qLen), k = random(max(kLen, 1)), v = random(max(vLen, 1));
    const qb = data(q) + (<usize>qOff << 2);
    const kb = this.packed ? data(q) + (<usize>kOff << 2) : data(k), vb = this.packed ? data(q) + (<usize>vOff << 2) : data(v);
    const mLen = B * mh * mr * SK;
    const mask = guarded(max(mLen, 1));
    for (let i = 0; i < mLen; i++) {
      const j = i % SK, row = i / SK;
      let keep = rnd() > -0.4; // ~70% kept
      if (this.keepOne) keep = j == row % SK;
      if (this.dropAll && i < mh * mr * SK) keep = false;
      if (this.maskKind == MASK_ADD) mask[GUARD + i] = keep ? rnd() * 2 : -Infinity;
      else if (this.maskKind == MASK_KEEP_F32) mask[GUARD + i] = keep ? <f32>(j % 3) + 1 : <f32>0;
      else mask[GUARD + i] = reinterpret<f32>(keep ? (j % 2 == 0 ? 1 : -7) : 0);
    }
    const q0 = copy(q), k0 = copy(k), v0 = copy(v), m0 = copy(mask);
    const oLen = B * H * SQ * DV;
    const o = guarded(oLen);
    const wLen = B * H * SQ * SK;
    const w = guarded(max(wLen, 1));
    const scratch = guarded(f32_attention_scratch_size(SQ, SK, D, DV, this.weights ? 1 : 0));
    f32_attention(B, H, SQ, SK, D, DV, qb, kb, vb, data(o), this.maskKind == MASK_NONE ? 0 : data(mask), this.maskKind,
      changetype<usize>(st), this.scale, this.causal ? 1 : 0, this.weights ? data(w) : 0, data(scratch));

    let bad = 0;
    const p = new StaticArray<f64>(SK), dp = new StaticArray<f64>(SK);
    for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < SQ; i++) {
      const qi = <usize>(b * st[0] + h * st[1] + i * st[2]);
      const mi = b * st[12] + h * st[13] + i * st[14];
      let mx: f64 = -Infinity, es: f64 = 0;
      for (let j = 0; j < SK; j++) {
        const kj = <usize>(b * st[3] + h * st[4] + j * st[5]);
        let s: f64 = 0, mag: f64 = 0;
        for (let c = 0; c < D; c++) {
          const t = <f64>load<f32>(qb + ((qi + c) << 2)) * <f64>load<f32>(kb + ((kj + c) << 2));
          s += t; mag += Math.abs(t);
        }
        s *= <f64>this.scale;
        let mval: f64 = 0;
        let keep = !(this.causal && j > i);
        if (this.maskKind == MASK_ADD) { mval = <f64>at(mask, mi + j); s += mval; }
        else if (this.maskKind == MASK_KEEP_F32) keep = keep && at(mask, mi + j) != 0;
        else if (this.maskKind == MASK_KEEP_I32) keep = keep && reinterpret<i32>(at(mask, mi + j)) != 0;
        if (!keep) s = -Infinity;
        p[j] = s;
        if (s > mx) mx = s;
        if (keep && mval != -Infinity) es = Math.max(es, <f64>(D + 4) * EPS32 * mag * Math.abs(<f64>this.scale) + EPS32 * (Math.abs(s) + Math.abs(mval)));
      }
      let sum: f64 = 0;
      for (let j = 0; j < SK; j++) { p[j] = mx == -Infinity ? 0 : Math.exp(p[j] - mx); sum += p[j]; }
      for (let j = 0; j < SK; j++) {
        if (sum > 0) p[j] /= sum;
        dp[j] = p[j] * (2 * es + <f64>(SK + 16) * EPS32);
        if (this.weights) {
          const got = <f64>at(w, ((b * H + h) * SQ + i) * SK + j);
          if (!(Math.abs(got - p[j]) <= dp[j] + 1e-38)) {
            if (bad++ < 3) { trace("f32_attention weights mismatch b h i j", 4, b, h, i, j); trace("  got, ref", 2, got, p[j]); }
          }
        }
      }
      for (let c = 0; c < DV; c++) {
        let s: f64 = 0, tol: f64 = 0, mag: f64 = 0;
        for (let j = 0; j < SK; j++) {
          const vj = <usize>(b * st[6] + h * st[7] + j * st[8]);
          const x = <f64>load<f32>(vb + ((vj + c) << 2));
          s += p[j] * x; tol += dp[j] * Math.abs(x); mag += p[j] * Math.abs(x);
        }
        tol += <f64>(SK + 2) * EPS32 * mag + 1e-30;
        const oi = b * st[9] + h * st[10] + i * st[11] + c;
        const got = <f64>at(o, oi);
        if (!(Math.abs(got - s) <= tol)) {
          if (bad++ < 3) {
            trace("f32_attention mismatch B H SQ SK D", 5, B, H, SQ, SK, D);
            trace("  b h i c", 4, b, h, i, c);
            trace("  got, ref, tol", 3, got, s, tol);
          }
        }
      }
    }
    if (!guards_intact(o, oLen) || (this.weights && !guards_intact(w, wLen)) || !guards_intact(scratch, f32_attention_scratch_size(SQ, SK, D, DV, this.weights ? 1 : 0))) {
      bad++;
      trace("f32_attention wrote outside O, the weights or the scratch: B H SQ SK D", 5, B, H, SQ, SK, D);
    }
    if (!same(q, q0) || !same(k, k0) || !same(v, v0) || !same(mask, m0)) { bad++; trace("f32_attention modified an input"); }
    return bad;
  }

  test(): void { expect(this.run()).toBe(0); }
}

function attn(b: i32, h: i32, sq: i32, skv: i32, d: i32, dv: i32): AttentionTester { return new AttentionTester().shape(b, h, sq, skv, d, dv); }

describe("pack_kt (Kᵀ packed by 4x4 transposes)", () => {
  it("gives the bytes of f32_gemm_pack for every d and skv tail, strided K", () => {
    reseed(40);
    let bad = 0;
    for (let d = 1; d <= 13; d++) for (let skv = 1; skv <= 19; skv += 3) {
      const ks = d + (skv % 3);
      const kbuf = random(skv * ks);
      const n = f32_gemm_packed_size(d, skv);
      const p1 = guarded(n), p2 = guarded(n);
      f32_gemm_pack(d, skv, data(kbuf), 1, ks, 0, data(p1));
      pack_kt(d, skv, data(kbuf), ks, data(p2));
      if (!same(p1, p2)) { if (bad++ < 3) trace("pack_kt differs from f32_gemm_pack: d, skv, stride", 3, d, skv, ks); }
    }
    expect(bad).toBe(0);
  });
});

describe("f32_attention: shapes and layouts", () => {
  it("[batch, heads, seq, dim]: odd head dims, seq 1, skv != sq, dv != d", () => {
    reseed(41);
    attn(1, 1, 1, 1, 1, 1).test();
    attn(1, 1, 1, 7, 5, 3).test();
    attn(1, 2, 9, 1, 4, 4).test();
    attn(2, 3, 5, 9, 7, 11).test();
    attn(1, 2, 17, 17, 33, 32).test();
    attn(1, 1, 3, 130, 20, 9).test();
    attn(1, 4, 64, 64, 32, 32).test();
  });
  it("[batch, seq, heads*dim] and [seq, batch, heads*dim] (PyTorch's order), batch > 1", () => {
    reseed(42);
    for (let l = BSHD; l <= SBHD; l++) {
      const t = attn(3, 2, 13, 6, 9, 5); t.layout = l; t.test();
      const u = attn(2, 4, 8, 8, 16, 16); u.layout = l; u.test();
    }
  });
  it("packed QKV projections (one buffer, Q, K, V side by side per position), both orders", () => {
    reseed(43);
    for (let l = BSHD; l <= SBHD; l++) {
      const t = attn(2, 3, 11, 11, 7, 7); t.layout = l; t.packed = true; t.test();
      const u = attn(1, 4, 32, 32, 32, 32); u.layout = l; u.packed = true; u.causal = true; u.test();
      const w = attn(3, 2, 5, 5, 6, 10); w.layout = l; w.packed = true; w.test();
    }
  });
});

describe("f32_attention: masks, causal, weights", () => {
  it("additive mask: full [B,H,SQ,SK], per batch [B,1,1,SK] (padding), per batch and query", () => {
    reseed(44);
    const a = attn(2, 3, 7, 9, 5, 6); a.maskKind = MASK_ADD; a.test();
    const b = attn(3, 2, 6, 10, 8, 8); b.maskKind = MASK_ADD; b.maskHeads = false; b.maskRows = false; b.test();
    const c = attn(2, 2, 5, 5, 3, 3); c.maskKind = MASK_ADD; c.maskHeads = false; c.layout = BSHD; c.test();
  });
  it("keep masks (float32 and int32 nonzero), padding form", () => {
    reseed(45);
    for (let kind = MASK_KEEP_F32; kind <= MASK_KEEP_I32; kind++) {
      const a = attn(2, 3, 7, 9, 5, 6); a.maskKind = kind; a.test();
      const b = attn(3, 2, 6, 13, 8, 8); b.maskKind = kind; b.maskHeads = false; b.maskRows = false; b.layout = SBHD; b.test();
    }
  });
  it("all keys but one masked (one-hot probabilities), and rows with every key masked give 0", () => {
    reseed(46);
    for (let kind = MASK_ADD; kind <= MASK_KEEP_I32; kind++) {
      const a = attn(2, 2, 6, 9, 4, 5); a.maskKind = kind; a.keepOne = true; a.weights = true; a.test();
      const b = attn(2, 2, 3, 5, 4, 5); b.maskKind = kind; b.dropAll = true; b.maskHeads = false; b.weights = true; b.test();
    }
  });
  it("causal (sq == skv, sq < skv, sq > skv), with a mask, seq 1", () => {
    reseed(47);
    const a = attn(2, 2, 9, 9, 7, 7); a.causal = true; a.test();
    const b = attn(1, 3, 4, 11, 5, 6); b.causal = true; b.weights = true; b.test();
    const c = attn(1, 1, 12, 5, 3, 3); c.causal = true; c.weights = true; c.test();
    const d = attn(2, 2, 8, 8, 6, 6); d.causal = true; d.maskKind = MASK_KEEP_I32; d.maskHeads = false; d.maskRows = false; d.test();
    const e = attn(1, 2, 1, 1, 8, 8); e.causal = true; e.test();
  });
  it("long keys: several blocks of query rows per head (64 KB of scores each), with masks, causal, weights", () => {
    reseed(50);
    const a = attn(1, 2, 37, 1000, 8, 8); a.maskKind = MASK_ADD; a.maskHeads = false; a.test();
    const b = attn(2, 1, 70, 700, 5, 3); b.causal = true; b.weights = true; b.maskKind = MASK_KEEP_I32; b.maskRows = false; b.test();
    const c = attn(1, 1, 9, 4097, 4, 4); c.layout = SBHD; c.test();
  });
  it("weights output (probabilities after softmax), large scores, batch > 1", () => {
    reseed(48);
    const a = attn(2, 3, 5, 7, 9, 4); a.weights = true; a.test();
    const b = attn(1, 2, 6, 6, 16, 8); b.weights = true; b.scale = 6; b.test(); // near one-hot rows
  });
  it("60 random problems: shapes, layouts, masks, causal, weights", () => {
    reseed(49);
    for (let t = 0; t < 60; t++) {
      const sq = rndInt(1, 20);
      const a = attn(rndInt(1, 3), rndInt(1, 4), sq, rndInt(0, 1) ? sq : rndInt(1, 20), rndInt(1, 24), rndInt(1, 24));
      a.layout = rndInt(0, 2);
      a.packed = a.layout != BHSD && a.sq == a.skv && a.d == a.dv && rndInt(0, 1) == 1;
      a.maskKind = rndInt(0, 3);
      a.maskHeads = rndInt(0, 1) == 1; a.maskRows = rndInt(0, 1) == 1;
      a.causal = rndInt(0, 2) == 0;
      a.weights = rndInt(0, 1) == 1;
      a.scale = 0.05 + (rnd() + 1);
      a.test();
    }
  });
});
