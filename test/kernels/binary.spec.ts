// f32_binary against a plain scalar reference: an odometer over the output that reads each operand through its
// strides. Tolerances: add, sub, mul, div, max, min are exact (bitwise, IEEE f32 arithmetic; max/min propagate
// NaN and order -0 < +0 like f32x4.max/min); pow is within 1 ulp of f64 Math.pow (and exact for the special
// exponents 0, 1, 2, 0.5, -1 and for special values). Elements of out past the end are checked untouched.
import { f32_binary, BinaryOp } from "../../assembly/eltwise/binary";

let seed: u32 = 77;
function rnd(): f32 { seed = seed * 1664525 + 1013904223; return <f32>((seed >>> 8) * (1.0 / 16777216.0)); }

const SPECIAL: f32[] = [0, -0.0, Infinity, -Infinity, NaN, 1, -1, 2, 0.5, 1e-40];

/** An operand: storage, element offset of index (0, ..., 0), element strides (0 = broadcast). */
class Operand {
  constructor(public buf: StaticArray<f32>, public base: i32, public strides: StaticArray<i32>) {}
  ptr(): usize { return changetype<usize>(this.buf) + (<usize>this.base << 2); }
  sptr(): usize { return changetype<usize>(this.strides); }
}

function fillRandom(buf: StaticArray<f32>, specials: bool, positive: bool): void {
  for (let i = 0; i < buf.length; i++) {
    let v = (rnd() * 2 - 1) * (i % 3 == 0 ? 100 : 3);
    if (positive) v = abs(v) + <f32>0.01;
    if (specials && i % 7 == 3) v = SPECIAL[(i / 7) % SPECIAL.length];
    buf[i] = v;
  }
}

/**
 * Operand of shape `shape` (1 where broadcast against outShape), stored row-major in the order given by `perm`
 * (perm[k] = which logical dim is the k-th stored dim, outermost first), optionally reversed along `flip`.
 */
function operand(outShape: i32[], shape: i32[], perm: i32[] | null, flip: i32, specials: bool, positive: bool): Operand {
  const rank = shape.length;
  let size = 1;
  for (let d = 0; d < rank; d++) size *= shape[d];
  const buf = new StaticArray<f32>(max(size, 1));
  fillRandom(buf, specials, positive);
  const strides = new StaticArray<i32>(max(rank, 1));
  let s = 1;
  for (let k = rank - 1; k >= 0; k--) {
    const d = perm ? perm[k] : k;
    strides[d] = s;
    s *= shape[d];
  }
  let base = 0;
  if (flip >= 0 && flip < rank) {
    base = (shape[flip] - 1) * strides[flip];
    strides[flip] = -strides[flip];
  }
  for (let d = 0; d < rank; d++) if (shape[d] == 1 && outShape[d] != 1) strides[d] = 0;
  return new Operand(buf, base, strides);
}

function refMax(a: f32, b: f32): f32 {
  if (isNaN(a) || isNaN(b)) return NaN;
  if (a == b) return (reinterpret<u32>(a) >> 31) ? b : a; // +0 beats -0
  return a > b ? a : b;
}
function refMin(a: f32, b: f32): f32 {
  if (isNaN(a) || isNaN(b)) return NaN;
  if (a == b) return (reinterpret<u32>(a) >> 31) ? a : b; // -0 beats +0
  return a < b ? a : b;
}

function ulp32(r: f64): f64 {
  const a = Math.abs(r);
  if (a < 1.1754943508222875e-38) return 1.401298464324817e-45;
  const e = <i32>((reinterpret<u32>(<f32>a) >> 23) & 0xFF) - 127;
  return Math.pow(2, <f64>(min(e, 127) - 23));
}

function sameBits(x: f32, y: f32): bool {
  return reinterpret<u32>(x) == reinterpret<u32>(y) || (isNaN(x) && isNaN(y));
}

/** Checks one value; returns false (after tracing) on a mismatch. */
function checkValue(op: i32, a: f32, b: f32, got: f32): bool {
  let ok = true;
  let want: f32 = 0;
  switch (op) {
    case BinaryOp.Add: want = a + b; ok = sameBits(got, want); break;
    case BinaryOp.Sub: want = a - b; ok = sameBits(got, want); break;
    case BinaryOp.Mul: want = a * b; ok = sameBits(got, want); break;
    case BinaryOp.Div: want = a / b; ok = sameBits(got, want); break;
    case BinaryOp.Max: want = refMax(a, b); ok = sameBits(got, want); break;
    case BinaryOp.Min: want = refMin(a, b); ok = sameBits(got, want); break;
    default: {
      const r = Math.pow(<f64>a, <f64>b);
      want = <f32>r;
      if (isNaN(r) || !isFinite(want) || b == 0 || b == 1 || b == 2 || b == 0.5 || b == -1) {
        ok = isNaN(r) ? isNaN(got) : (got == want && (want != 0 || b == 0.5 || sameBits(got, want)));
      } else {
        ok = Math.abs(<f64>got - r) <= ulp32(r);
      }
    }
  }
  if (!ok) {
    trace("f32_binary mismatch: op, a, b, got, want", 5, op, a, b, got, want);
  }
  return ok;
}

/** Runs op on (a, b) -> out of outShape and compares with the reference odometer. */
function runCase(op: i32, outShape: i32[], a: Operand, b: Operand, aliasOut: i32): void {
  const rank = outShape.length;
  let total = 1;
  for (let d = 0; d < rank; d++) total *= outShape[d];
  const shape = new StaticArray<i32>(max(rank, 1));
  for (let d = 0; d < rank; d++) shape[d] = outShape[d];
  // reference first (the kernel may overwrite an aliased operand)
  const want = new StaticArray<f32>(max(total, 1));
  const av = new StaticArray<f32>(max(total, 1)), bv = new StaticArray<f32>(max(total, 1));
  for (let i = 0; i < total; i++) {
    let rem = i, oa = a.base, ob = b.base;
    for (let d = rank - 1; d >= 0; d--) {
      const idx = rem % outShape[d];
      rem /= outShape[d];
      oa += idx * a.strides[d];
      ob += idx * b.strides[d];
    }
    av[i] = a.buf[oa];
    bv[i] = b.buf[ob];
  }
  let outPtr: usize;
  let out: StaticArray<f32>;
  if (aliasOut == 1) { out = a.buf; outPtr = a.ptr(); }
  else if (aliasOut == 2) { out = b.buf; outPtr = b.ptr(); }
  else {
    out = new StaticArray<f32>(total + 4);
    for (let i = 0; i < total + 4; i++) out[i] = -555;
    outPtr = changetype<usize>(out);
  }
  f32_binary(op, rank, changetype<usize>(shape), a.ptr(), a.sptr(), b.ptr(), b.sptr(), outPtr);
  let bad = 0;
  for (let i = 0; i < total && bad < 3; i++) {
    if (!checkValue(op, av[i], bv[i], load<f32>(outPtr + (<usize>i << 2)))) {
      trace("  at flat index, total, rank", 3, i, total, rank);
      bad++;
    }
  }
  expect(bad).toBe(0);
  if (aliasOut == 0) for (let i = total; i < total + 4; i++) expect(out[i]).toBe(-555);
}

function ones(n: i32): i32[] { const r = new Array<i32>(n); for (let i = 0; i < n; i++) r[i] = 1; return r; }

function broadcastCase(op: i32, outShape: i32[], aShape: i32[], bShape: i32[], specials: bool): void {
  const pos = op == BinaryOp.Pow;
  runCase(op, outShape, operand(outShape, aShape, null, -1, specials, pos), operand(outShape, bShape, null, -1, specials && !pos, false), 0);
}

const SIZES: i32[] = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1000];

describe("f32_binary", () => {
  it("same shape, contiguous, every size (0..17, 1000), every op, special values", () => {
    for (let op = 0; op < 7; op++) for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      broadcastCase(op, [n], [n], [n], true);
      broadcastCase(op, [2, n, 3], [2, n, 3], [2, n, 3], true);
    }
  });

  it("broadcast patterns: [2,3,4]+[4], [2,1,4]+[1,3,1], scalar+tensor, tensor+scalar, [N,C]+[C], [N,1]+[1,C]", () => {
    for (let op = 0; op < 7; op++) {
      broadcastCase(op, [2, 3, 4], [2, 3, 4], [1, 1, 4], true);
      broadcastCase(op, [2, 3, 4], [2, 1, 4], [1, 3, 1], true);
      broadcastCase(op, [5, 7], [1, 1], [5, 7], true);
      broadcastCase(op, [5, 7], [5, 7], [1, 1], false);
      broadcastCase(op, [], [], [], true); // rank 0: one element
      for (let c = 1; c <= 17; c++) {
        broadcastCase(op, [3, c], [3, c], [1, c], false);
        broadcastCase(op, [3, c], [1, c], [3, c], false);
        broadcastCase(op, [4, c], [4, 1], [1, c], false);
        broadcastCase(op, [4, c], [4, 1], [4, 1], false); // both scalar along the row
      }
      broadcastCase(op, [7, 300], [7, 300], [1, 300], false);
      broadcastCase(op, [7, 300], [7, 1], [7, 300], false);
    }
  });

  it("rank 5 and rank 8 with mixed broadcast dims; empty outputs", () => {
    for (let op = 0; op < 7; op++) {
      broadcastCase(op, [2, 3, 2, 4, 5], [2, 3, 1, 4, 5], [1, 3, 2, 1, 5], true);
      broadcastCase(op, [2, 3, 2, 4, 5], [1, 1, 1, 1, 1], [2, 3, 2, 4, 5], false);
      broadcastCase(op, [2, 1, 3, 2, 1, 2, 3, 5], [2, 1, 1, 2, 1, 2, 3, 1], [1, 1, 3, 1, 1, 2, 1, 5], false);
      broadcastCase(op, [3, 0, 2], [3, 0, 2], [1, 1, 2], false);
      broadcastCase(op, [0], [0], [1], false);
    }
  });

  it("strided operands: transposed (gather path), reversed (negative strides)", () => {
    for (let op = 0; op < 7; op++) {
      const pos = op == BinaryOp.Pow;
      for (let n = 1; n <= 9; n++) {
        const shape = [3, n];
        // a stored transposed ([n][3] in memory), b contiguous
        runCase(op, shape, operand(shape, shape, [1, 0], -1, true, pos), operand(shape, shape, null, -1, false, false), 0);
        // a reversed along the inner dim, b reversed along the outer dim
        runCase(op, shape, operand(shape, shape, null, 1, false, pos), operand(shape, shape, null, 0, true && !pos, false), 0);
        // a transposed and broadcast against b
        runCase(op, [2, 3, n], operand([2, 3, n], [2, 3, n], [0, 2, 1], -1, false, pos),
          operand([2, 3, n], [1, 3, 1], null, -1, false, false), 0);
      }
      // rank 4 permutation (like NCHW viewed as NHWC)
      const s4 = [2, 3, 4, 5];
      runCase(op, s4, operand(s4, s4, [0, 3, 1, 2], -1, false, pos), operand(s4, [1, 1, 1, 5], null, -1, false, false), 0);
    }
  });

  it("out may alias a or b (contiguous, not broadcast)", () => {
    for (let op = 0; op < 7; op++) {
      const pos = op == BinaryOp.Pow;
      for (let s = 0; s < SIZES.length; s++) {
        const n = SIZES[s];
        runCase(op, [n], operand([n], [n], null, -1, true, pos), operand([n], [n], null, -1, false, false), 1);
        runCase(op, [n], operand([n], [n], null, -1, false, pos), operand([n], [n], null, -1, !pos, false), 2);
        runCase(op, [3, n], operand([3, n], [3, n], null, -1, false, pos), operand([3, n], [1, n], null, -1, false, false), 1);
        runCase(op, [3, n], operand([3, n], [3, 1], null, -1, false, pos), operand([3, n], [3, n], null, -1, false, false), 2);
      }
    }
  });

  it("pow with scalar special exponents 0, 1, 2, 0.5, -1 and a general one", () => {
    const exps: f32[] = [0, 1, 2, 0.5, -1, 3, -2.5];
    for (let e = 0; e < exps.length; e++) {
      const a = operand([37], [37], null, -1, true, false);
      for (let i = 0; i < 37; i++) if (i % 5 == 1) a.buf[i] = -a.buf[i];
      const b = operand([37], [1], null, -1, false, false);
      b.buf[0] = exps[e];
      runCase(BinaryOp.Pow, [37], a, b, 0);
    }
  });
});
