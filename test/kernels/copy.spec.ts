// copy_strided32 and fill32 against a plain reference: a row-major odometer over the shape doing
// dst[od] = src[os] (so with a dst stride 0 the last write wins). Tolerance: exact, bit for bit (elements are
// random 32-bit patterns, NaN payloads included), and every dst element the copy does not target must keep its
// guard value.
import { copy_strided32, fill32 } from "../../assembly/eltwise/copy";

let seed: u32 = 4242;
function rnd32(): u32 { seed = seed * 1664525 + 1013904223; return seed ^ (seed >>> 13); }
function rndInt(n: i32): i32 { return <i32>((rnd32() >>> 8) % <u32>n); }

function arr(xs: i32[]): StaticArray<i32> {
  const a = new StaticArray<i32>(max(xs.length, 1));
  for (let i = 0; i < xs.length; i++) a[i] = xs[i];
  return a;
}

/** Element offset of index 0 so that every offset is >= 0, and the buffer length needed. */
function baseOf(shape: i32[], strides: i32[]): i32 {
  let b = 0;
  for (let d = 0; d < shape.length; d++) if (strides[d] < 0) b += (shape[d] - 1) * -strides[d];
  return b;
}
function lenOf(shape: i32[], strides: i32[]): i32 {
  let l = baseOf(shape, strides) + 1;
  for (let d = 0; d < shape.length; d++) if (strides[d] > 0) l += (shape[d] - 1) * strides[d];
  return l;
}

/** Copies with the given strides (dst buffer padded by `slack` guard elements) and checks against the reference. */
function runCopy(shape: i32[], ss: i32[], ds: i32[], slack: i32): void {
  const rank = shape.length;
  let total = 1;
  for (let d = 0; d < rank; d++) total *= shape[d];
  const sb = baseOf(shape, ss), db = baseOf(shape, ds) + slack;
  const src = new StaticArray<u32>(lenOf(shape, ss));
  for (let i = 0; i < src.length; i++) src[i] = rnd32();
  const dlen = lenOf(shape, ds) + 2 * slack;
  const want = new StaticArray<u32>(dlen), got = new StaticArray<u32>(dlen);
  for (let i = 0; i < dlen; i++) { want[i] = 0xDEADBEEF; got[i] = 0xDEADBEEF; }
  for (let i = 0; i < total; i++) {
    let rem = i, os = sb, od = db;
    for (let d = rank - 1; d >= 0; d--) {
      const idx = rem % shape[d];
      rem /= shape[d];
      os += idx * ss[d];
      od += idx * ds[d];
    }
    want[od] = src[os];
  }
  // keep the argument arrays in locals: a changetype<usize> temporary is not a GC root
  const shapeArr = arr(shape), ssArr = arr(ss), dsArr = arr(ds);
  copy_strided32(rank, changetype<usize>(shapeArr), changetype<usize>(src) + (<usize>sb << 2),
    changetype<usize>(ssArr), changetype<usize>(got) + (<usize>db << 2), changetype<usize>(dsArr));
  let bad = 0;
  for (let i = 0; i < dlen; i++) {
    if (want[i] != got[i]) {
      if (bad < 3) {
        trace("copy_strided32 mismatch: rank, dst element, total", 3, rank, i, total);
        for (let d = 0; d < rank; d++) trace("  dim: n, src stride, dst stride", 3, shape[d], ss[d], ds[d]);
      }
      bad++;
    }
  }
  expect(bad).toBe(0);
}

function contiguous(shape: i32[]): i32[] {
  const s = new Array<i32>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) { s[d] = acc; acc *= shape[d]; }
  return s;
}

/** Strides (in `shape` index order) of a tensor stored contiguously with its dims in the order perm. */
function permutedStrides(shape: i32[], perm: i32[]): i32[] {
  const s = new Array<i32>(shape.length);
  let acc = 1;
  for (let k = shape.length - 1; k >= 0; k--) { s[perm[k]] = acc; acc *= shape[perm[k]]; }
  return s;
}

function randomPerm(n: i32): i32[] {
  const p = new Array<i32>(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) { const j = rndInt(i + 1); const t = p[i]; p[i] = p[j]; p[j] = t; }
  return p;
}

const SIZES: i32[] = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1000];

describe("copy_strided32", () => {
  it("rank 0 copies one element; contiguous copies of every size; empty shapes write nothing", () => {
    runCopy([], [], [], 2);
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      runCopy([n], [1], [1], 3);
      runCopy([2, n], [n, 1], [n, 1], 3);
      runCopy([3, n], [n + 5, 1], [n + 2, 1], 3); // row-strided on both sides (concat / split)
    }
    runCopy([3, 0, 4], [0, 4, 1], [0, 4, 1], 3);
  });

  it("transposes of rank 2..5 (random shapes and permutations, both directions)", () => {
    for (let rank = 2; rank <= 5; rank++) for (let t = 0; t < 25; t++) {
      const shape = new Array<i32>(rank);
      for (let d = 0; d < rank; d++) shape[d] = 1 + rndInt(rank <= 3 ? 9 : 5);
      const perm = randomPerm(rank);
      runCopy(shape, permutedStrides(shape, perm), contiguous(shape), 2); // gather: dst contiguous
      runCopy(shape, contiguous(shape), permutedStrides(shape, perm), 2); // scatter: src contiguous
    }
  });

  it("2-D transpose blocks: every rows x cols remainder, NCHW <-> NHWC", () => {
    const dims: i32[] = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33];
    for (let i = 0; i < dims.length; i++) for (let j = 0; j < dims.length; j++) {
      const r = dims[i], c = dims[j];
      runCopy([r, c], [1, r], [c, 1], 2); // dst[i][j] = src[j][i]
    }
    // NCHW -> NHWC: index space in dst order [N, H, W, C]
    const N = 2, C = 5, H = 3, W = 7;
    runCopy([N, H, W, C], [C * H * W, W, 1, H * W], [H * W * C, W * C, C, 1], 2);
    // NHWC -> NCHW: index space in dst order [N, C, H, W]
    runCopy([N, C, H, W], [H * W * C, 1, W * C, C], [C * H * W, H * W, W, 1], 2);
    // transposed source with a row-strided destination and a negative dst row stride
    runCopy([6, 9], [1, 6], [12, 1], 2);
    runCopy([6, 9], [1, 6], [-12, 1], 2);
  });

  it("slices with steps and negative strides (flip), on either side", () => {
    for (let n = 1; n <= 17; n++) {
      runCopy([n], [2], [1], 2); // x[::2]
      runCopy([n], [-1], [1], 2); // x[::-1]
      runCopy([n], [-3], [1], 2); // x[::-3]
      runCopy([n], [1], [-1], 2); // reversed destination
      runCopy([n], [1], [3], 2); // strided destination
      runCopy([3, n], [-(n + 1), 1], [n, 1], 2); // rows flipped
      runCopy([3, n], [n, -1], [n, 1], 2); // columns flipped
      runCopy([2, 3, n], [3 * n, -n, 2], [3 * n, n, 1], 2);
    }
  });

  it("zero strides: broadcast source (expand), and dst stride 0 keeps the last write", () => {
    for (let n = 1; n <= 17; n++) {
      runCopy([n], [0], [1], 2);
      runCopy([4, n], [1, 0], [n, 1], 2); // [4, 1] -> [4, n]
      runCopy([4, n], [0, 1], [n, 1], 2); // [1, n] -> [4, n]
      runCopy([4, n], [n, 1], [0, 1], 2); // reduce-by-overwrite: the last row wins
      runCopy([n, 3], [3, 1], [1, 0], 2); // the last column wins
    }
  });

  it("pad: copy into the interior of a larger tensor", () => {
    // [2, 3, 4] into [2, 5, 8] at offset (0, 1, 2): dst strides of the big tensor
    runCopy([2, 3, 4], [12, 4, 1], [40, 8, 1], 11);
    runCopy([2, 3, 4, 5], [60, 20, 5, 1], [4 * 5 * 7, 5 * 7, 7, 1], 3);
  });
});

describe("fill32", () => {
  it("fills n elements with the bit pattern and nothing else", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const buf = new StaticArray<u32>(n + 4);
      for (let i = 0; i < n + 4; i++) buf[i] = 7;
      fill32(changetype<usize>(buf) + 4, n, 0x7FC00001); // a NaN payload survives
      expect(buf[0]).toBe(7);
      for (let i = 1; i <= n; i++) expect(buf[i]).toBe(0x7FC00001);
      for (let i = n + 1; i < n + 4; i++) expect(buf[i]).toBe(7);
    }
  });
});
