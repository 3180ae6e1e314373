import { f32_gemm, f32_gemm_pack, f32_gemm_packed_size } from "../../assembly/gemm/gemm";

let seed: u32 = 12345;
function rnd(): f32 { seed = seed * 1664525 + 1013904223; return <f32>((seed >>> 8) * (1.0 / 16777216.0)) * 2 - 1; }
function buf(n: i32): StaticArray<f32> { const b = new StaticArray<f32>(max(n, 1)); for (let i = 0; i < n; i++) b[i] = rnd(); return b; }
function ptr(b: StaticArray<f32>): usize { return changetype<usize>(b); }

function check(m: i32, n: i32, k: i32, transB: bool, withBias: bool, lo: f32, hi: f32): void {
  const a = buf(m * k), b = buf(k * n), bias = buf(n);
  const packed = new StaticArray<f32>(f32_gemm_packed_size(k, n));
  const cStride = n + 3;
  const c = new StaticArray<f32>(m * cStride);
  f32_gemm_pack(k, n, ptr(b), transB ? 1 : n, transB ? k : 1, withBias ? ptr(bias) : 0, ptr(packed));
  f32_gemm(m, n, k, ptr(a), k, ptr(packed), ptr(c), cStride, lo, hi);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s: f64 = withBias ? <f64>bias[j] : 0, sa: f64 = abs(s);
    for (let kk = 0; kk < k; kk++) {
      const bv = transB ? b[j * k + kk] : b[kk * n + j];
      s += <f64>a[i * k + kk] * bv; sa += abs(<f64>a[i * k + kk] * bv);
    }
    s = min(max(s, <f64>lo), <f64>hi);
    const got = c[i * cStride + j];
    if (abs(<f64>got - s) > 4e-7 * sa + 1e-30) {
      trace("gemm mismatch m n k i j", 5, m, n, k, i, j);
      trace("  reference, got", 2, s, got);
      expect(got).toBe(<f32>s);
    }
  }
  // Padding columns between rows must be untouched (zero from allocation).
  for (let i = 0; i < m; i++) for (let j = n; j < cStride; j++) expect(c[i * cStride + j]).toBe(0);
}

describe("f32_gemm", () => {
  it("matches the scalar reference on edge and tail sizes", () => {
    const sizes: i32[] = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33];
    for (let x = 0; x < sizes.length; x++) for (let y = 0; y < sizes.length; y++) {
      check(sizes[x], sizes[y], sizes[(x + y) % sizes.length], false, true, -Infinity, Infinity);
    }
  });
  it("packs transposed weights and works without bias", () => {
    check(13, 11, 19, true, false, -Infinity, Infinity);
    check(4, 8, 1, true, true, -Infinity, Infinity);
  });
  it("clamps (relu, relu6)", () => {
    check(9, 10, 21, false, true, 0, Infinity);
    check(9, 10, 21, false, true, 0, 0.5);
  });
});
