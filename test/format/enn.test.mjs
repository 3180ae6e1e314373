// .enn reader/writer: round trips, layout, checksum coverage, API contracts (no aliasing, no mutation),
// writer validation, version and magic handling. Hostile inputs are in hostile.test.mjs.
import { test } from "node:test";
import vm from "node:vm";
import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import { readEnn, writeEnn, ENN_MAGIC, ENN_VERSION } from "../../dist/format/enn.js";
import { f16ToF32, f32ToF16 } from "../../dist/format/f16.js";
import { EdgennError } from "../../dist/errors.js";

const u32le = (b, at) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Recompute the checksum over [0, 24) ++ [56, end) and store it (for files edited on purpose). */
function reseal(bytes) {
  bytes.set(sha256.create().update(bytes.subarray(0, 24)).update(bytes.subarray(56)).digest(), 24);
  return bytes;
}

/** Run fn, which must throw an EdgennError with `code` whose message matches every pattern. */
function expectError(fn, code, ...patterns) {
  let result;
  try {
    result = fn();
  } catch (e) {
    assert.ok(e instanceof EdgennError, `expected an EdgennError, got ${e && e.constructor && e.constructor.name}: ${e}`);
    assert.equal(e.code, code, `wrong code for: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    return e;
  }
  assert.fail(`expected EdgennError ${code}, but it returned ${typeof result}`);
}

function sameBits(a, b) {
  assert.equal(a.length, b.length);
  assert.deepEqual(new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length));
}

const special = Float32Array.from([0, -0, 1, -1.5, 3.4028234663852886e38, 1.401298464324817e-45, Infinity, -Infinity, NaN, 0.1]);

function sample() {
  return {
    graph: { nodes: [{ op: "Gemm", inputs: ["x", "fc.weight", "fc.bias"], attrs: { alpha: 1.5 } }], note: "ünïcødé ✓ 𝄞" },
    metadata: {
      name: "tiny",
      description: "a test model",
      version: "1.2.3",
      license: "MIT",
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      labels: ["cat", "dog", "🐟"],
      inputSize: 224,
    },
    tensors: [
      { name: "fc.weight", shape: [2, 5], data: special.slice() },
      { name: "fc.bias", shape: [3], dtype: "float16", data: Float32Array.from([0.1, -2, 70000]) },
      { name: "scalar", shape: [], data: Float32Array.from([42]) },
      { name: "empty", shape: [0, 3], data: new Float32Array(0) },
      { name: "conv.w", shape: [1, 1, 2, 3], dtype: "float16", data: Float32Array.from([1e-7, 6e-8, NaN, -Infinity, 65519, 2.5]) },
    ],
  };
}

test("round trip: graph, metadata, f32 (bit-exact incl. NaN, -0, subnormal) and f16 tensors", () => {
  const input = sample();
  const bytes = writeEnn(input);
  const file = readEnn(bytes);
  assert.equal(file.version, ENN_VERSION);
  assert.deepEqual(file.graph, input.graph);
  assert.deepEqual(file.metadata, input.metadata);
  assert.deepEqual([...file.tensors.keys()], input.tensors.map((t) => t.name), "file order is kept");
  for (const t of input.tensors) {
    const got = file.tensors.get(t.name);
    assert.equal(got.name, t.name);
    assert.equal(got.dtype, t.dtype ?? "float32");
    assert.deepEqual(got.shape, t.shape);
    assert.ok(got.data instanceof Float32Array);
    if (got.dtype === "float32") sameBits(got.data, t.data);
    else {
      const want = Float32Array.from(t.data, (x) => f16ToF32(f32ToF16(x)));
      sameBits(got.data, want);
    }
  }
  assert.equal(file.tensors.get("fc.bias").data[2], Infinity, "70000 overflows f16");
  assert.equal(file.tensors.get("conv.w").data[0], f16ToF32(2), "1e-7 is a subnormal half (2 * 2^-24)");
});

test("layout: magic, prefix fields, 64-byte alignment, zero padding, exact file size", () => {
  const bytes = writeEnn(sample());
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), Array.from(ENN_MAGIC));
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [0x89, 0x45, 0x4e, 0x4e, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(u32le(bytes, 8), 1);
  const H = u32le(bytes, 12);
  const D = u32le(bytes, 16) + u32le(bytes, 20) * 2 ** 32;
  const S = Math.ceil((56 + H) / 64) * 64;
  assert.equal(S % 64, 0);
  assert.equal(bytes.length, S + D);
  for (let i = 56 + H; i < S; i++) assert.equal(bytes[i], 0, `padding byte ${i}`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(56, 56 + H)));
  assert.deepEqual(Object.keys(header), ["graph", "metadata", "tensors"]);
  let end = 0;
  for (const t of header.tensors) {
    assert.deepEqual(Object.keys(t), ["name", "dtype", "shape", "offset", "byteLength"]);
    assert.equal(t.offset % 64, 0, `${t.name} offset`);
    assert.ok(t.offset >= end, `${t.name} does not overlap the previous tensor`);
    assert.ok(t.offset - end < 64 || t.byteLength === 0, `${t.name} is packed`);
    end = t.offset + t.byteLength;
  }
  assert.equal(end, D, "data section ends at the last tensor");
  // f32 little-endian: fc.weight[2] = 1.0 = 00 00 80 3f
  const w = header.tensors[0];
  assert.deepEqual(Array.from(bytes.subarray(S + w.offset + 8, S + w.offset + 12)), [0x00, 0x00, 0x80, 0x3f]);
  // f16 little-endian: fc.bias[1] = -2 = 0xc000 -> 00 c0
  const b = header.tensors[1];
  assert.deepEqual(Array.from(bytes.subarray(S + b.offset + 2, S + b.offset + 4)), [0x00, 0xc0]);
});

test("checksum: SHA-256 over [0,24) ++ [56,end), returned as hex; every covered region is protected", () => {
  const bytes = writeEnn(sample());
  const want = sha256.create().update(bytes.subarray(0, 24)).update(bytes.subarray(56)).digest();
  assert.equal(hex(bytes.subarray(24, 56)), hex(want));
  assert.equal(readEnn(bytes).checksum, hex(want));
  const H = u32le(bytes, 12);
  const S = Math.ceil((56 + H) / 64) * 64;
  // One byte in each region: version, header, padding, data. The version byte is checked first (newer version),
  // the rest fail the checksum.
  for (const [at, what] of [[60, "header"], [S - 1, "padding"], [S + 3, "data"], [bytes.length - 1, "last byte"]]) {
    const c = bytes.slice();
    c[at] ^= 0x01;
    expectError(() => readEnn(c), "BAD_FILE", /checksum mismatch: file is damaged/, /at byte 24/);
    assert.ok(what);
  }
  const c = bytes.slice();
  c[30] ^= 0x80; // the stored checksum itself
  expectError(() => readEnn(c), "BAD_FILE", /checksum mismatch/, new RegExp(hex(want)));
});

test("writer is deterministic", () => {
  assert.deepEqual(writeEnn(sample()), writeEnn(sample()));
});

test("empty tensor list, defaults for graph and metadata", () => {
  const bytes = writeEnn({ graph: null, metadata: {}, tensors: [] });
  const H = '{"graph":null,"metadata":{},"tensors":[]}'.length; // 41
  assert.equal(u32le(bytes, 12), H);
  assert.equal(bytes.length, 128, "56-byte prefix + 41-byte header, padded to 128; no data");
  const file = readEnn(bytes);
  assert.equal(file.graph, null);
  assert.deepEqual(file.metadata, {});
  assert.equal(file.tensors.size, 0);
  const d = readEnn(writeEnn({}));
  assert.equal(d.graph, null);
  assert.deepEqual(d.metadata, {});
  assert.equal(d.tensors.size, 0);
});

test("zero-size tensors: alone, between others, with huge other dims", () => {
  const file = readEnn(
    writeEnn({
      tensors: [
        { name: "z", shape: [0], data: new Float32Array(0) },
        { name: "a", shape: [3], data: Float32Array.from([1, 2, 3]) },
        { name: "z2", shape: [2147483647, 0, 7], dtype: "float16", data: new Float32Array(0) },
        { name: "b", shape: [1], data: Float32Array.from([4]) },
      ],
    }),
  );
  assert.equal(file.tensors.get("z").data.length, 0);
  assert.deepEqual(file.tensors.get("z2").shape, [2147483647, 0, 7]);
  assert.deepEqual(Array.from(file.tensors.get("a").data), [1, 2, 3]);
  assert.deepEqual(Array.from(file.tensors.get("b").data), [4]);
  const only = readEnn(writeEnn({ tensors: [{ name: "z", shape: [4, 0], data: new Float32Array(0) }] }));
  assert.equal(only.tensors.get("z").data.length, 0);
});

test("caller's bytes are never modified, and results never alias them", () => {
  const bytes = writeEnn(sample());
  const copy = bytes.slice();
  const file = readEnn(bytes);
  assert.deepEqual(bytes, copy, "input unchanged");
  const before = file.tensors.get("fc.weight").data.slice();
  bytes.fill(0xaa); // scribble over the caller's buffer
  sameBits(file.tensors.get("fc.weight").data, before);
  assert.equal(file.metadata.name, "tiny");
  // Mutating results does not touch the (restored) input either.
  bytes.set(copy);
  file.tensors.get("fc.weight").data.fill(7);
  assert.deepEqual(bytes, copy);
});

test("input may be a view at an odd offset in a larger buffer, or an ArrayBuffer", () => {
  const bytes = writeEnn(sample());
  const big = new Uint8Array(bytes.length + 10).fill(0xee);
  big.set(bytes, 3);
  const view = big.subarray(3, 3 + bytes.length);
  const a = readEnn(view);
  const b = readEnn(bytes.slice().buffer);
  sameBits(a.tensors.get("fc.weight").data, b.tensors.get("fc.weight").data);
  sameBits(a.tensors.get("conv.w").data, b.tensors.get("conv.w").data);
  assert.equal(a.checksum, b.checksum);
  assert.ok(big.subarray(0, 3).every((x) => x === 0xee) && big.subarray(3 + bytes.length).every((x) => x === 0xee));
});

test("f32 data given as a view into a larger Float32Array is written correctly", () => {
  const big = Float32Array.from([9, 9, 1, 2, 3, 9]);
  const file = readEnn(writeEnn({ tensors: [{ name: "v", shape: [3], data: big.subarray(2, 5) }, { name: "h", shape: [3], dtype: "float16", data: big.subarray(2, 5) }] }));
  assert.deepEqual(Array.from(file.tensors.get("v").data), [1, 2, 3]);
  assert.deepEqual(Array.from(file.tensors.get("h").data), [1, 2, 3]);
});

test("version: newer and older versions are rejected naming both versions", () => {
  const bytes = writeEnn(sample());
  for (const [v, re] of [
    [2, /version 2 is newer than this reader supports \(version 1\)/],
    [0, /version 0 is not supported \(this reader reads version 1\)/],
    [0xffffffff, /version 4294967295 is newer/],
  ]) {
    const c = bytes.slice();
    new DataView(c.buffer).setUint32(8, v, true);
    reseal(c);
    const e = expectError(() => readEnn(c), "BAD_FILE", re);
    assert.equal(e.offset, 8);
    // Without resealing the version is still reported first (more useful than "checksum mismatch").
    const d = bytes.slice();
    new DataView(d.buffer).setUint32(8, v, true);
    expectError(() => readEnn(d), "BAD_FILE", re);
  }
});

test("wrong magic: hints for ONNX, TFLite, JSON, HTML, gzip, ZIP, HDF5, GGUF, text, text-mode transfer", () => {
  const enc = (s) => new TextEncoder().encode(s);
  const tflite = new Uint8Array(64);
  tflite.set(enc("TFL3"), 4);
  const onnx = Uint8Array.from([0x08, 0x07, 0x12, 0x07, 0x70, 0x79, 0x74, 0x6f, 0x72, 0x63, 0x68]);
  const good = writeEnn({});
  const crlf = new Uint8Array(good.length - 1); // "\r\n" -> "\n"
  crlf.set(good.subarray(0, 4));
  crlf.set(good.subarray(5), 4);
  const cases = [
    [onnx, /ONNX/],
    [tflite, /TensorFlow Lite/],
    [enc('  {"format": "graph-model"}'), /JSON/],
    [enc("[1,2,3]"), /JSON/],
    [enc("<!DOCTYPE html><html>404</html>"), /HTML/],
    [Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), /gzip/],
    [enc("PK\x03\x04rest"), /ZIP/],
    [Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), /HDF5/],
    [enc("GGUF\x03\0\0\0"), /GGUF/],
    [enc("hello world, this is a text file\n"), /text file/],
    [crlf, /text mode/],
    [Uint8Array.from([1, 2, 3]), /first bytes are 01 02 03/],
  ];
  for (const [bytes, hint] of cases) {
    const e = expectError(() => readEnn(bytes), "BAD_FILE", /not an \.enn file/, /89 45 4e 4e 0d 0a 1a 0a/, hint);
    assert.equal(e.offset, 0);
  }
  expectError(() => readEnn(new Uint8Array(0)), "BAD_FILE", /empty/);
});

test("readEnn rejects non-bytes input and bad options cleanly", () => {
  for (const v of [undefined, null, "EDGENN", 42, {}, [1, 2], new Float32Array(4)]) {
    expectError(() => readEnn(v), "BAD_FILE", /expected a Uint8Array/);
  }
  const bytes = writeEnn({});
  for (const opts of [{ maxHeaderBytes: -1 }, { maxTensors: 1.5 }, { maxTensorBytes: "big" }, null]) {
    expectError(() => readEnn(bytes, opts), "BAD_INPUT", /option|options/);
  }
  assert.equal(readEnn(bytes, { maxTensorBytes: Infinity }).tensors.size, 0);
});

test("writer rejects inputs it could not read back (BAD_INPUT, naming the tensor)", () => {
  const t = (over) => ({ name: "w", shape: [2], data: new Float32Array(2), ...over });
  const cases = [
    [{ tensors: [t({}), t({})] }, /tensor #1 'w': duplicate/],
    [{ tensors: [t({ name: "" })] }, /name must be a non-empty string/],
    [{ tensors: [t({ name: 7 })] }, /name must be a non-empty string/],
    [{ tensors: [t({ data: new Float32Array(3) })] }, /'w': data has 3 elements but shape \[2\] needs 2/],
    [{ tensors: [t({ data: [1, 2] })] }, /'w': data must be a Float32Array/],
    [{ tensors: [t({ dtype: "uint8" })] }, /'w': dtype the string 'uint8' cannot be written/],
    [{ tensors: [t({ shape: [-2] })] }, /'w': shape\[0\] = -2/],
    [{ tensors: [t({ shape: [2.5] })] }, /'w': shape\[0\] = 2.5/],
    [{ tensors: [t({ shape: [2 ** 31, 0] , data: new Float32Array(0) })] }, /'w': shape\[0\] = 2147483648/],
    [{ tensors: [t({ shape: [1, 1, 1, 1, 1, 1, 1, 1, 2] })] }, /'w': rank 9 exceeds the maximum 8/],
    [{ tensors: "nope" }, /tensors must be an array/],
    [{ metadata: [] }, /metadata must be an object/],
    [{ metadata: { name: 5 } }, /metadata.name must be a string/],
    [{ metadata: { mean: [NaN] } }, /NaN .*not representable in JSON/],
    [{ graph: { x: Infinity } }, /Infinity at key 'x'/],
    [{ graph: { n: 10n } }, /BigInt/],
    [{ metadata: { mean: new Float32Array([0.5]) } }, /a Float32Array at key 'mean' is not JSON: convert it first/],
    [{ graph: { m: new Map() } }, /a Map at key 'm'/],
    [(() => { const g = {}; g.self = g; return { graph: g }; })(), /cannot be stored as JSON/],
    [{ graph: JSON.parse("[".repeat(70) + "]".repeat(70)) }, /nests deeper than the format allows/],
    [null, /expected \{ graph, metadata, tensors \}/],
  ];
  for (const [input, re] of cases) expectError(() => writeEnn(input), "BAD_INPUT", re);
});

test("graph and metadata may use any JSON, up to the nesting limit; '[' inside strings does not count", () => {
  const graph = { deep: JSON.parse("[".repeat(62) + "]".repeat(62)), text: "[[[[{{{{".repeat(100) + '\\"[' };
  const file = readEnn(writeEnn({ graph, metadata: { "weird key \u0000 \" \\": { nested: [null, true, 1e-300] } } }));
  assert.deepEqual(file.graph, graph);
  assert.deepEqual(file.metadata["weird key \u0000 \" \\"], { nested: [null, true, 1e-300] });
});

test("reading is O(file size): 20 000 tensors and a 16 MB tensor read quickly", () => {
  const tensors = [];
  for (let i = 0; i < 20_000; i++) tensors.push({ name: `t${i}`, shape: [1], data: Float32Array.from([i]) });
  tensors.push({ name: "big", shape: [4, 1024, 1024], data: new Float32Array(4 * 1024 * 1024).fill(0.5) });
  const bytes = writeEnn({ tensors });
  const t0 = performance.now();
  const file = readEnn(bytes);
  const ms = performance.now() - t0;
  assert.equal(file.tensors.size, 20_001);
  assert.equal(file.tensors.get("t19999").data[0], 19999);
  assert.equal(file.tensors.get("big").data[4 * 1024 * 1024 - 1], 0.5);
  assert.ok(ms < 5000, `readEnn took ${ms} ms`);
});

test("arrays from another realm and SharedArrayBuffer-backed bytes are accepted", () => {
  const bytes = writeEnn(sample());
  const realm = vm.runInNewContext("({ u8: (n) => new Uint8Array(n), f32: (a) => Float32Array.from(a) })");
  const foreign = realm.u8(bytes.length);
  foreign.set(bytes);
  assert.ok(!(foreign instanceof Uint8Array), "really from another realm");
  assert.equal(readEnn(foreign).checksum, readEnn(bytes).checksum);
  const data = realm.f32([1, 2, 3]);
  assert.deepEqual(Array.from(readEnn(writeEnn({ tensors: [{ name: "x", shape: [3], data }] })).tensors.get("x").data), [1, 2, 3]);
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  const f = readEnn(shared);
  assert.deepEqual(f.metadata, sample().metadata);
  assert.ok(!(f.tensors.get("fc.weight").data.buffer instanceof SharedArrayBuffer));
});
