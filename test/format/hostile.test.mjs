// Hostile and damaged .enn files. The reader must throw EdgennError (BAD_FILE, or UNSUPPORTED for a reserved
// dtype) with a message naming what/where, and never: return for a damaged file, let a RangeError / TypeError /
// SyntaxError escape, hang, read out of bounds or allocate what a lying header asks for.
// Files "crafted with a valid checksum" have their SHA-256 recomputed after editing, so they get past the
// checksum and exercise the structural checks behind it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import { readEnn, writeEnn } from "../../dist/format/enn.js";
import { below } from "../prng.mjs";
import { EdgennError } from "../../dist/errors.js";

const MAGIC = [0x89, 0x45, 0x4e, 0x4e, 0x0d, 0x0a, 0x1a, 0x0a];
const u32le = (b, at) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
const align64 = (n) => Math.ceil(n / 64) * 64;

function reseal(bytes) {
  bytes.set(sha256.create().update(bytes.subarray(0, 24)).update(bytes.subarray(56)).digest(), 24);
  return bytes;
}

/**
 * Build a file from parts, then seal it with a valid checksum. `header` is a JSON value or a raw string/bytes;
 * the length fields default to the true lengths but can lie.
 */
function craft({ header, data = new Uint8Array(0), version = 1, headerLength, dataLength, dataLengthWords, padByte = 0 }) {
  const raw =
    header instanceof Uint8Array
      ? header
      : new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const start = align64(56 + raw.length);
  const out = new Uint8Array(start + data.length);
  out.set(MAGIC, 0);
  const v = new DataView(out.buffer);
  v.setUint32(8, version, true);
  v.setUint32(12, headerLength ?? raw.length, true);
  const dl = dataLength ?? data.length;
  const [lo, hi] = dataLengthWords ?? [dl % 2 ** 32, Math.floor(dl / 2 ** 32)];
  v.setUint32(16, lo, true);
  v.setUint32(20, hi, true);
  out.set(raw, 56);
  out.fill(padByte, 56 + raw.length, start);
  out.set(data, start);
  return reseal(out);
}

/** A header with the given tensor entries over `dataBytes` bytes of data (value 0x3f each). */
function withTensors(tensors, dataBytes = 256, extra = {}) {
  return craft({ header: { graph: null, metadata: {}, tensors, ...extra }, data: new Uint8Array(dataBytes).fill(0x3f) });
}

const ok = (over = {}) => ({ name: "w", dtype: "float32", shape: [4], offset: 0, byteLength: 16, ...over });

function expectError(fn, code, ...patterns) {
  let result;
  try {
    result = fn();
  } catch (e) {
    assert.ok(e instanceof EdgennError, `expected an EdgennError, got ${e && e.constructor && e.constructor.name}: ${e && e.stack}`);
    assert.equal(e.code, code, `wrong code for: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    return e;
  }
  assert.fail(`expected EdgennError ${code}, but readEnn returned ${JSON.stringify(result && [...result.tensors.keys()])}`);
}
const bad = (bytes, ...patterns) => expectError(() => readEnn(bytes), "BAD_FILE", ...patterns);

/** A small file with three tensors (f32, f16, f32) and its section boundaries. */
function small() {
  const bytes = writeEnn({
    graph: { nodes: [{ op: "Add", inputs: ["a", "b"] }] },
    metadata: { name: "small", labels: ["x", "y"] },
    tensors: [
      { name: "a", shape: [3], data: Float32Array.from([1, 2, 3]) },
      { name: "b", shape: [2, 2], dtype: "float16", data: Float32Array.from([0.5, -1, 2, 4]) },
      { name: "c", shape: [5], data: Float32Array.from([5, 6, 7, 8, 9]) },
    ],
  });
  const H = u32le(bytes, 12);
  const S = align64(56 + H);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(56, 56 + H)));
  const bounds = [
    ["magic", 0], ["version", 8], ["header length", 12], ["data length", 16], ["checksum", 24],
    ["header", 56], ["header end / padding", 56 + H], ["data section", S],
  ];
  for (const t of header.tensors) {
    bounds.push([`tensor ${t.name} start`, S + t.offset], [`tensor ${t.name} end`, S + t.offset + t.byteLength]);
  }
  return { bytes, H, S, header, bounds };
}

test("truncation at every byte length of a small file throws BAD_FILE", () => {
  const { bytes } = small();
  for (let n = 0; n < bytes.length; n++) {
    const cut = bytes.slice(0, n);
    let threw = false;
    try {
      readEnn(cut);
    } catch (e) {
      threw = true;
      assert.ok(e instanceof EdgennError, `length ${n}: ${e}`);
      assert.equal(e.code, "BAD_FILE", `length ${n}: ${e.message}`);
      if (n > 0 && n < 56) assert.match(e.message, /truncated/, `length ${n}`);
      if (n >= 56 + u32le(bytes, 12)) assert.match(e.message, new RegExp(`truncated: .* but it is ${n} bytes \\(${bytes.length - n} missing\\)`), `length ${n}`);
    }
    assert.ok(threw, `truncated to ${n} of ${bytes.length} bytes but readEnn returned`);
  }
});

test("truncation at (and one byte either side of) every section boundary names the problem", () => {
  const { bytes, bounds } = small();
  for (const [what, at] of bounds) {
    for (const n of [at - 1, at, at + 1]) {
      if (n < 0 || n >= bytes.length) continue;
      const e = bad(bytes.slice(0, n));
      assert.match(e.message, n === 0 ? /empty/ : /truncated|extends past the end/, `cut at ${what} (${n}): ${e.message}`);
    }
  }
});

test("trailing data after the end given by the prefix", () => {
  const { bytes } = small();
  for (const extra of [1, 63, 64, 1000]) {
    const longer = new Uint8Array(bytes.length + extra);
    longer.set(bytes);
    const e = bad(longer, new RegExp(`${extra} bytes of trailing data`), new RegExp(`it is ${bytes.length} bytes`));
    assert.equal(e.offset, bytes.length);
  }
});

test("4000 random mutations (1-8 bytes set or bit-flipped, seeded) all throw EdgennError or are no-ops", () => {
  const { bytes } = small();
  const reference = readEnn(bytes);
  const rand = below(20240601);
  let threw = 0;
  let noops = 0;
  for (let iter = 0; iter < 4000; iter++) {
    const m = bytes.slice();
    const k = 1 + rand(8);
    const where = [];
    for (let j = 0; j < k; j++) {
      // A third of the mutations go to the prefix, where each field has its own check.
      const at = iter % 3 === 0 ? rand(56) : rand(m.length);
      if (rand(2)) m[at] = rand(256);
      else m[at] ^= 1 << rand(8);
      where.push(at);
    }
    const copy = m.slice();
    let result;
    try {
      result = readEnn(m);
    } catch (e) {
      assert.ok(e instanceof EdgennError, `iteration ${iter} (bytes ${where}): ${e && e.stack}`);
      assert.equal(e.code, "BAD_FILE", `iteration ${iter}: ${e.message}`);
      threw++;
    }
    assert.deepEqual(m, copy, `iteration ${iter}: input was modified`);
    if (result) {
      assert.deepEqual(m, bytes, `iteration ${iter} (bytes ${where}): a real change was accepted`);
      assert.deepEqual(result, reference);
      noops++;
    }
  }
  assert.equal(threw + noops, 4000);
  assert.ok(threw > 3900, `${threw} threw`);
});

test("2000 random header mutations WITH a valid checksum: EdgennError or a self-consistent result, never a crash", () => {
  const { bytes, H, S } = small();
  const rand = below(7);
  const interesting = [0x22, 0x5b, 0x5d, 0x7b, 0x7d, 0x2c, 0x3a, 0x30, 0x39, 0x2d, 0x2e, 0x65, 0x5c, 0x00, 0xff, 0xc3];
  let accepted = 0;
  for (let iter = 0; iter < 2000; iter++) {
    const m = bytes.slice();
    const k = 1 + rand(4);
    for (let j = 0; j < k; j++) {
      const at = rand(8) === 0 ? 8 + rand(16) : 56 + rand(H); // mostly header, sometimes prefix fields
      m[at] = rand(2) ? interesting[rand(interesting.length)] : rand(256);
    }
    reseal(m);
    try {
      const f = readEnn(m);
      accepted++;
      for (const t of f.tensors.values()) {
        assert.ok(t.data instanceof Float32Array);
        assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1), `iteration ${iter}: ${t.name}`);
      }
    } catch (e) {
      assert.ok(e instanceof EdgennError, `iteration ${iter}: ${e && e.stack}`);
      assert.ok(e.code === "BAD_FILE" || e.code === "UNSUPPORTED", `iteration ${iter}: ${e.code} ${e.message}`);
    }
  }
  assert.ok(accepted < 2000);
  assert.ok(S > 0);
});

test("crafted: lying header length (valid checksum)", () => {
  const header = JSON.stringify({ graph: null, metadata: {}, tensors: [] });
  // Longer than the JSON but inside the file: reads padding zeros as JSON.
  bad(craft({ header, headerLength: header.length + 5 }), /not valid JSON/);
  // Shorter: cuts the JSON.
  // Shorter: the cut-off end of the JSON is now "padding", which must be zero.
  bad(craft({ header, headerLength: header.length - 3 }), /header padding byte is 0x5b, must be 0/);
  // Shorter by enough to move the data section: the file size no longer adds up.
  bad(craft({ header, headerLength: 1 }), /trailing data: the prefix says it is 64 bytes \(56-byte prefix \+ 1-byte header/);
  // Far beyond the file.
  const e = bad(craft({ header, headerLength: 0xffffffff }), /header length 4294967295 .* extends past the end of the file/);
  assert.equal(e.offset, 12);
  bad(craft({ header, headerLength: 0 }), /64 bytes of trailing data/);
  // Zero-length header in a file sized for it: empty JSON text.
  bad(craft({ header: "", headerLength: 0 }), /header is not valid JSON/);
});

test("crafted: lying data length (valid checksum)", () => {
  const header = { graph: null, metadata: {}, tensors: [ok()] };
  const data = new Uint8Array(64);
  bad(craft({ header, data, dataLength: 2 ** 53 }), /data length .* not below 2\^53/);
  bad(craft({ header, data, dataLengthWords: [0xffffffff, 0xffffffff] }), /data length 0xffffffffffffffff is not below 2\^53/);
  bad(craft({ header, data, dataLengthWords: [64, 1] }), /truncated: .* 4294967360-byte data section/);
  bad(craft({ header, data, dataLength: 2 ** 40 }), /truncated: the prefix says it is \d+ bytes .* 1099511627776-byte data section/);
  bad(craft({ header, data, dataLength: 63 }), /1 bytes of trailing data/);
});

test("crafted: limits on header size, tensor count and tensor size (options)", () => {
  const f = withTensors([ok(), ok({ name: "v", offset: 64 })]);
  const H = u32le(f, 12);
  assert.equal(readEnn(f).tensors.size, 2);
  expectError(() => readEnn(f, { maxHeaderBytes: H - 1 }), "BAD_FILE", new RegExp(`header length ${H} bytes exceeds the limit maxHeaderBytes = ${H - 1}`));
  expectError(() => readEnn(f, { maxTensors: 1 }), "BAD_FILE", /lists 2 tensors, more than the limit maxTensors = 1/);
  const e = expectError(() => readEnn(f, { maxTensorBytes: 15 }), "BAD_FILE", /tensor #0 'w': 16 bytes exceeds the limit maxTensorBytes = 15/);
  assert.equal(e.offset, align64(56 + H));
  // A header of 20 MB of whitespace parses under the default limit; with a 1 MB limit it is refused before JSON.
  const big = craft({ header: '{"graph":null,"metadata":{},"tensors":[]' + " ".repeat(20e6) + "}" });
  assert.equal(readEnn(big).tensors.size, 0);
  expectError(() => readEnn(big, { maxHeaderBytes: 1 << 20 }), "BAD_FILE", /exceeds the limit maxHeaderBytes/);
});

test("crafted: overlapping tensors (valid checksum)", () => {
  bad(withTensors([ok({ name: "a", offset: 0, byteLength: 128, shape: [32] }), ok({ name: "b", offset: 64 })]),
    /tensors 'a' \[0, 128\) and 'b' \[64, 80\) overlap/);
  // Same start, listed in reverse order.
  bad(withTensors([ok({ name: "b", offset: 64 }), ok({ name: "a", offset: 64 })]), /'b' \[64, 80\) and 'a' \[64, 80\) overlap|'a' \[64, 80\) and 'b' \[64, 80\) overlap/);
  // Zero-size tensors overlap nothing; touching ranges are fine.
  const f = readEnn(withTensors([ok({ name: "a", shape: [16], byteLength: 64 }), ok({ name: "b", offset: 64 }), ok({ name: "z", offset: 64, shape: [0], byteLength: 0 })]));
  assert.deepEqual([...f.tensors.keys()], ["a", "b", "z"]);
});

test("crafted: out-of-range, misaligned and malformed offsets name the tensor and the byte", () => {
  const f = withTensors([ok({ offset: 256 })], 256);
  const S = align64(56 + u32le(f, 12));
  const e = bad(f, /tensor #0 'w': data \[256, 272\) extends past the end of the 256-byte data section/);
  assert.equal(e.offset, S + 256);
  bad(withTensors([ok({ offset: 320 })], 256), /'w': data \[320, 336\) extends past the end/);
  bad(withTensors([ok({ offset: 2 ** 40 })], 256), /'w': data \[1099511627776, 1099511627792\) extends past the end/);
  bad(withTensors([ok({ offset: 2 ** 60 })], 256), /'w': offset 1152921504606847000 is not an integer in \[0, 2\^53\)/);
  bad(withTensors([ok({ offset: 32 })]), /'w': offset 32 is not a multiple of 64/);
  bad(withTensors([ok({ offset: -64 })]), /'w': offset -64 is not an integer in \[0, 2\^53\)/);
  bad(withTensors([ok({ offset: 64.5 })]), /'w': offset 64.5 is not an integer/);
  bad(withTensors([ok({ offset: "0" })]), /'w': offset the string '0' is not/);
  bad(withTensors([ok({ offset: 1e300 })]), /'w': offset 1e\+300/);
  bad(craft({ header: '{"graph":null,"metadata":{},"tensors":[{"name":"w","dtype":"float32","shape":[4],"offset":1e999,"byteLength":16}]}', data: new Uint8Array(64) }), /'w': offset Infinity/);
  // Zero-size tensor at exactly the end is in range; one past is not.
  assert.equal(readEnn(withTensors([ok({ shape: [0], byteLength: 0, offset: 256 })], 256)).tensors.get("w").data.length, 0);
  bad(withTensors([ok({ shape: [0], byteLength: 0, offset: 320 })], 256), /extends past the end/);
});

test("crafted: negative, fractional, non-numeric, huge dims; rank; element-count overflow", () => {
  bad(withTensors([ok({ shape: [-4] })]), /tensor #0 'w': shape\[0\] = -4 is not an integer in \[0, 2147483647\]/);
  bad(withTensors([ok({ shape: [2, 1.5] })]), /'w': shape\[1\] = 1.5/);
  bad(withTensors([ok({ shape: ["4"] })]), /'w': shape\[0\] = the string '4'/);
  bad(withTensors([ok({ shape: [null] })]), /'w': shape\[0\] = null/);
  bad(withTensors([ok({ shape: [[4]] })]), /'w': shape\[0\] = an array/);
  bad(withTensors([ok({ shape: 4 })]), /'w': shape must be an array/);
  bad(withTensors([ok({ shape: [2 ** 31, 2 ** 31], byteLength: 2 ** 64 })]), /'w': shape\[0\] = 2147483648/);
  bad(withTensors([ok({ shape: [1e300] })]), /'w': shape\[0\] = 1e\+300/);
  bad(withTensors([ok({ shape: [1, 1, 1, 1, 1, 1, 1, 1, 4] })]), /'w': rank 9 exceeds the maximum 8/);
  // Product overflows 2^53: no byteLength can match, and nothing is allocated.
  const max = 2 ** 31 - 1;
  bad(withTensors([ok({ shape: [max, max, max], byteLength: 16 })]), /'w': byteLength 16 does not match shape \[2147483647, 2147483647, 2147483647\] of float32 \(more than/);
  bad(withTensors([ok({ shape: [max, max, max], byteLength: Number.MAX_SAFE_INTEGER })]), /does not match shape/);
  // Consistent but huge: 2^42 bytes claimed, 256 present.
  bad(withTensors([ok({ shape: [2 ** 20, 2 ** 20], byteLength: 2 ** 42 })]), /'w': data \[0, 4398046511104\) extends past the end of the 256-byte data section/);
  bad(withTensors([ok({ byteLength: 12 })]), /'w': byteLength 12 does not match shape \[4\] of float32 \(4 elements x 4 bytes = 16\)/);
  bad(withTensors([ok({ dtype: "float16", byteLength: 16 })]), /'w': byteLength 16 does not match shape \[4\] of float16 \(4 elements x 2 bytes = 8\)/);
  bad(withTensors([ok({ byteLength: -16 })]), /'w': byteLength -16 is not an integer in \[0, 2\^53\)/);
});

test("crafted: dtypes: unknown -> BAD_FILE, reserved (uint8...) -> UNSUPPORTED, both naming the tensor", () => {
  bad(withTensors([ok({ name: "q", dtype: "float8" })]), /tensor #0 'q': unknown dtype the string 'float8'/);
  bad(withTensors([ok({ name: "q", dtype: 4 })]), /tensor #0 'q': unknown dtype 4/);
  bad(withTensors([ok({ name: "q", dtype: undefined })]), /tensor #0 'q': unknown dtype nothing/);
  bad(withTensors([ok({ name: "q", dtype: "FLOAT32" })]), /'q': unknown dtype/);
  const e = expectError(() => readEnn(withTensors([ok({ name: "q", dtype: "uint8", byteLength: 4 })])), "UNSUPPORTED",
    /tensor #0 'q': dtype 'uint8' is not supported by this reader \(supported: float32, float16, int8\)/);
  assert.equal(e.offset, 56);
  // A future dtype's entry carries keys of its own: the reader reports the dtype, not the unknown key.
  expectError(() => readEnn(withTensors([ok({ name: "q", dtype: "uint8", byteLength: 4, quantization: { scale: 0.1, zeroPoint: 0 } })])),
    "UNSUPPORTED", /'q': dtype 'uint8' is not supported/);
});

test("crafted: tensor names: duplicates, empty, non-string, very long (message stays short)", () => {
  bad(withTensors([ok({ name: "w" }), ok({ name: "w", offset: 64 })]), /tensor #1 'w': duplicate tensor name/);
  bad(withTensors([ok({ name: "" })]), /tensor #0: name must be a non-empty string, got the string ''/);
  bad(withTensors([ok({ name: 12 })]), /tensor #0: name must be a non-empty string, got 12/);
  bad(withTensors([ok({ name: null })]), /tensor #0: name must be a non-empty string, got null/);
  const e = bad(withTensors([ok({ name: "x".repeat(100000), dtype: "nope" })]), /tensor #0 'x{80}…': unknown dtype/);
  assert.ok(e.message.length < 400);
});

test("crafted: deep JSON nesting and huge headers are refused without recursion", () => {
  const deep = '{"graph":' + "[".repeat(100000) + "]".repeat(100000) + ',"metadata":{},"tensors":[]}';
  const e = bad(craft({ header: deep }), /header JSON nests deeper than 64 levels \(at header byte 72\)/);
  assert.equal(e.offset, 56 + 72);
  bad(craft({ header: '{"graph":' + "{\"a\":".repeat(5000) + "1" + "}".repeat(5000) + ',"metadata":{},"tensors":[]}' }), /nests deeper/);
  // Unbalanced: only openers.
  bad(craft({ header: "[".repeat(1e6) }), /nests deeper/);
  // Exactly 64 levels is allowed.
  const ok64 = '{"graph":' + "[".repeat(63) + "]".repeat(63) + ',"metadata":{},"tensors":[]}';
  assert.equal(readEnn(craft({ header: ok64 })).tensors.size, 0);
  bad(craft({ header: '{"graph":' + "[".repeat(64) + "]".repeat(64) + ',"metadata":{},"tensors":[]}' }), /nests deeper than 64/);
});

test("crafted: header is not an object / has the wrong shape", () => {
  for (const h of ["[]", "null", "42", '"str"', "true", "[1,2]"]) bad(craft({ header: h }), /header must be a JSON object \{ graph, metadata, tensors \}/);
  bad(craft({ header: { graph: null, metadata: {} } }), /header has no 'tensors' key/);
  bad(craft({ header: { metadata: {}, tensors: [] } }), /header has no 'graph' key/);
  bad(craft({ header: { graph: null, tensors: [] } }), /header has no 'metadata' key/);
  bad(craft({ header: { graph: null, metadata: {}, tensors: [], extra: 1 } }), /unknown key 'extra'/);
  bad(craft({ header: { graph: null, metadata: [], tensors: [] } }), /metadata must be a JSON object, got an array/);
  bad(craft({ header: { graph: null, metadata: null, tensors: [] } }), /metadata must be a JSON object, got null/);
  bad(craft({ header: { graph: null, metadata: { name: 3 }, tensors: [] } }), /metadata.name must be a string, got 3/);
  bad(craft({ header: { graph: null, metadata: { license: ["MIT"] }, tensors: [] } }), /metadata.license must be a string/);
  bad(craft({ header: { graph: null, metadata: {}, tensors: {} } }), /tensors must be a JSON array, got an object/);
  bad(craft({ header: { graph: null, metadata: {}, tensors: "abc" } }), /tensors must be a JSON array/);
  bad(craft({ header: { graph: null, metadata: {}, tensors: [null] } }), /tensor #0: entry must be a JSON object, got null/);
  bad(craft({ header: { graph: null, metadata: {}, tensors: [[1]] } }), /tensor #0: entry must be a JSON object, got an array/);
  bad(withTensors([ok({ quant: { scale: 1 } })]), /tensor #0 'w': unknown key 'quant'/);
  // The graph is opaque: any JSON value is accepted.
  for (const g of [1, "x", [], { nodes: 5 }, true]) {
    assert.deepEqual(readEnn(craft({ header: { graph: g, metadata: {}, tensors: [] } })).graph, g);
  }
  // "__proto__" in metadata is a plain own key, not a prototype.
  const f = readEnn(craft({ header: '{"graph":null,"metadata":{"__proto__":{"polluted":1}},"tensors":[]}' }));
  assert.equal(Object.getPrototypeOf(f.metadata), Object.prototype);
  assert.equal({}.polluted, undefined);
});

test("crafted: invalid UTF-8 and invalid JSON in the header report the byte", () => {
  const head = new TextEncoder().encode('{"graph":"');
  const tail = new TextEncoder().encode('","metadata":{},"tensors":[]}');
  const mk = (mid) => Uint8Array.from([...head, ...mid, ...tail]);
  for (const [name, mid] of [
    ["lone continuation", [0x80]],
    ["0xff", [0xff]],
    ["overlong '/'", [0xc0, 0xaf]],
    ["overlong 3-byte", [0xe0, 0x80, 0xaf]],
    ["surrogate", [0xed, 0xa0, 0x80]],
    ["above U+10FFFF", [0xf4, 0x90, 0x80, 0x80]],
    ["truncated 3-byte", [0xe2, 0x82]],
  ]) {
    const e = bad(craft({ header: mk(mid) }), /header is not valid UTF-8 \(invalid sequence at header byte 10\)/);
    assert.equal(e.offset, 66, name);
  }
  // Truncated multi-byte sequence at the very end of the header.
  bad(craft({ header: Uint8Array.from([...new TextEncoder().encode('{"a":1}'), 0xe2, 0x82]) }), /not valid UTF-8 \(invalid sequence at header byte 7\)/);
  // Valid UTF-8 passes (4-byte, 3-byte, 2-byte).
  assert.equal(readEnn(craft({ header: mk([0xf0, 0x9d, 0x84, 0x9e, 0xe2, 0x9c, 0x93, 0xc3, 0xa9]) })).graph, "𝄞✓é");
  // A UTF-8 BOM is not JSON.
  bad(craft({ header: Uint8Array.from([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"graph":null,"metadata":{},"tensors":[]}')]) }), /not valid JSON/);
  for (const h of ['{"graph":null,"metadata":{},"tensors":[],}', "{", '{"graph":nul', "{'graph':1}", '{"graph":NaN,"metadata":{},"tensors":[]}']) {
    const e = bad(craft({ header: h }), /header is not valid JSON/);
    assert.equal(e.offset, 56);
  }
});

test("crafted: nonzero header padding is rejected even with a valid checksum", () => {
  const e = bad(craft({ header: { graph: null, metadata: {}, tensors: [] }, padByte: 0x20 }), /header padding byte is 0x20, must be 0/);
  assert.equal(e.offset, 56 + 41);
});

test("NaN and Inf data (f32 and f16) are data, not errors", () => {
  const data = new Uint8Array(128);
  const v = new DataView(data.buffer);
  v.setUint32(0, 0x7fc00001, true); // f32 NaN with payload
  v.setUint32(4, 0xff800000, true); // -Inf
  v.setUint16(64, 0x7e01, true); // f16 NaN
  v.setUint16(66, 0xfc00, true); // f16 -Inf
  const f = readEnn(craft({
    header: { graph: null, metadata: {}, tensors: [
      { name: "a", dtype: "float32", shape: [2], offset: 0, byteLength: 8 },
      { name: "h", dtype: "float16", shape: [2], offset: 64, byteLength: 4 },
    ] },
    data: data.subarray(0, 68),
  }));
  const a = f.tensors.get("a").data;
  assert.equal(new Uint32Array(a.buffer)[0], 0x7fc00001, "f32 NaN payload kept");
  assert.equal(a[1], -Infinity);
  assert.ok(Number.isNaN(f.tensors.get("h").data[0]));
  assert.equal(f.tensors.get("h").data[1], -Infinity);
});

test("a tensor table of 100 000 entries pointing at one byte range fails fast (no quadratic work)", () => {
  const tensors = [];
  for (let i = 0; i < 100_000; i++) tensors.push({ name: `t${i}`, dtype: "float32", shape: [4], offset: 64 * (i % 2), byteLength: 16 });
  const t0 = performance.now();
  bad(withTensors(tensors, 128), /overlap/);
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `${ms} ms`);
});

test("the caller's bytes are unchanged after a failed read", () => {
  const { bytes } = small();
  const damaged = bytes.slice();
  damaged[100] ^= 0xff;
  const copy = damaged.slice();
  bad(damaged, /checksum mismatch/);
  assert.deepEqual(damaged, copy);
  const hostile = withTensors([ok({ name: "a", byteLength: 128, shape: [32] }), ok({ name: "b", offset: 64 })]);
  const copy2 = hostile.slice();
  bad(hostile, /overlap/);
  assert.deepEqual(hostile, copy2);
});
