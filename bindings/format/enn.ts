/**
 * The `.enn` weight file: reader and writer. The byte layout and the rules are specified in docs/format.md.
 *
 * ```
 * offset  size  field
 *      0     8  magic  89 45 4E 4E 0D 0A 1A 0A  ("\x89ENN\r\n\x1a\n")
 *      8     4  format version, u32 LE (= 1)
 *     12     4  header length H, u32 LE (bytes of UTF-8 JSON, without padding)
 *     16     8  data length D, u64 LE (< 2^53)
 *     24    32  SHA-256 of bytes [0, 24) followed by bytes [56, end of file)
 *     56     H  header: UTF-8 JSON { graph, metadata, tensors }
 *   56+H     P  zero bytes up to the next multiple of 64
 *  S=56+H+P  D  tensor data; each tensor at S + offset, offset a multiple of 64; file ends at S + D, or:
 *  S+D    48+L  optional signature trailer "ENNSIG\0\x01", alg id, key id, signature (./signature.ts; not checksummed)
 * ```
 *
 * Portable: plain Uint8Array / DataView / TextDecoder / TextEncoder and @noble/hashes, so it runs unchanged in
 * Node, Deno, Bun, browsers and workerd. Every problem in a file is an EdgennError (code "BAD_FILE", or
 * "UNSUPPORTED" for a reserved dtype this reader does not implement) whose message says what, where and why.
 *
 * @example
 * ```ts
 * const bytes = writeEnn({
 *   graph: { nodes: [] },
 *   metadata: { name: "tiny", license: "MIT" },
 *   tensors: [{ name: "fc.weight", shape: [2, 3], data: new Float32Array(6), dtype: "float16" }],
 * });
 * const file = readEnn(bytes);
 * file.tensors.get("fc.weight")!.data; // Float32Array(6), decoded from f16, a private copy
 * ```
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { EdgennError } from "../errors.js";
import { decodeF16, encodeF16 } from "./f16.js";

/** "\x89ENN\r\n\x1a\n": non-ASCII first byte (not text, not UTF-8), CR LF / LF / ^Z catch text-mode transfers. */
export const ENN_MAGIC: readonly number[] = Object.freeze([0x89, 0x45, 0x4e, 0x4e, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The format version this module reads and writes. */
export const ENN_VERSION = 1;
/** Bytes before the JSON header: magic, version, header length, data length, SHA-256. */
export const ENN_PREFIX_BYTES = 56;
/** Alignment (bytes) of the data section start and of every tensor inside it. */
export const ENN_ALIGNMENT = 64;
/** Format limits (fixed: a writer must not produce files beyond them). */
export const ENN_MAX_RANK = 8;
export const ENN_MAX_DIM = 0x7fffffff; // every dimension fits an i32 (the wasm kernels use i32 sizes)
export const ENN_MAX_JSON_DEPTH = 64; // the header object itself is depth 1

/** Storage dtypes this version reads and writes. */
export type EnnDtype = "float32" | "float16" | "int8";
/** Dtype names reserved for later versions: rejected with code UNSUPPORTED (not BAD_FILE) by this reader. */
export const ENN_RESERVED_DTYPES: readonly string[] = Object.freeze([
  "bfloat16", "float64", "int4", "uint4", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "bool",
]);
const DTYPE_SIZE: Readonly<Record<EnnDtype, number>> = { float32: 4, float16: 2, int8: 1 };
const isDtype = (d: unknown): d is EnnDtype => d === "float32" || d === "float16" || d === "int8";

export interface EnnTensorInput {
  name: string;
  /**
   * Storage type in the file; default "float32". "float16" rounds each value to nearest, ties to even. "int8"
   * stores round(x / scale) in [-127, 127] with one scale per slice along `quantAxis` (symmetric, per channel).
   */
  dtype?: EnnDtype;
  /** For int8: the axis with one scale per index (the output channels; default 0). */
  quantAxis?: number;
  /** Dimensions, outermost first (row-major / C order). [] is a scalar (1 element). */
  shape: readonly number[];
  /** product(shape) values, row-major. */
  data: Float32Array;
}

export interface EnnWriteInput {
  /** Opaque JSON value (the format layer does not interpret it). Default null. */
  graph?: unknown;
  /** String-keyed JSON values. name / description / version / license, when present, must be strings. */
  metadata?: Record<string, unknown>;
  tensors?: readonly EnnTensorInput[];
}

export interface EnnTensor {
  name: string;
  /** How the tensor is stored in the file; `data` is always float32. */
  dtype: EnnDtype;
  shape: number[];
  /** A private copy (f16 decoded to f32): later changes to the file bytes do not affect it. */
  data: Float32Array;
}

export interface EnnFile {
  version: number;
  graph: unknown;
  metadata: Record<string, unknown>;
  /** In file order. */
  tensors: Map<string, EnnTensor>;
  /** SHA-256 of the file (as stored and verified), 64 lowercase hex digits: a content id for the model. */
  checksum: string;
  /**
   * Present when the file ends in a signature trailer. Reported, NOT verified (that needs a public key and is
   * async): use verifyEnn, or load(src, { verify }).
   */
  signature?: EnnSignatureInfo;
}

/** A signature trailer as readEnn reports it. */
export interface EnnSignatureInfo {
  /** "ECDSA-P256", "Ed25519", or "unknown-N" for an algorithm id this version does not know. */
  algorithm: string;
  /** SHA-256 of the signer's SPKI (DER) public key, 64 lowercase hex digits. */
  keyId: string;
  /** File offset of the trailer (= the end of the data section). */
  offset: number;
}

/** @internal The trailer with its raw fields. */
export interface EnnSignatureTrailer extends EnnSignatureInfo {
  algorithmId: number;
  signature: Uint8Array;
}

/** Magic of the optional signature trailer after the data section: "ENNSIG\0" then the trailer version 1. */
export const ENN_SIG_MAGIC: readonly number[] = Object.freeze([0x45, 0x4e, 0x4e, 0x53, 0x49, 0x47, 0x00, 0x01]);
/** Bytes of the trailer before the signature: magic, algorithm id, reserved, signature length, key id. */
export const ENN_SIG_FIXED_BYTES = 48;
/** Largest signature length a reader accepts (room for post-quantum schemes later). */
export const ENN_SIG_MAX_BYTES = 65536;
/** Algorithm ids of the trailer. Both known algorithms produce 64-byte signatures. */
export const ENN_SIG_ALGORITHMS: Readonly<Record<number, { name: "ECDSA-P256" | "Ed25519"; signatureBytes: number }>> = Object.freeze({
  1: { name: "ECDSA-P256", signatureBytes: 64 }, // ECDSA over P-256 with SHA-256, signature r || s (IEEE P1363)
  2: { name: "Ed25519", signatureBytes: 64 }, // RFC 8032 pure Ed25519
});

export interface EnnReadOptions {
  /** Largest JSON header accepted, in bytes. Default 64 MiB. */
  maxHeaderBytes?: number;
  /** Largest number of tensors accepted. Default 100 000. */
  maxTensors?: number;
  /** Largest single tensor accepted, in bytes as stored. Default 2 GiB. */
  maxTensorBytes?: number;
}

const DEFAULTS: Required<EnnReadOptions> = {
  maxHeaderBytes: 64 * 1024 * 1024,
  maxTensors: 100_000,
  maxTensorBytes: 2 * 1024 * 1024 * 1024,
};

const HEADER_KEYS = new Set(["graph", "metadata", "tensors"]);
const TENSOR_KEYS = new Set(["name", "dtype", "shape", "offset", "byteLength", "quantization"]);
const STRING_METADATA = ["name", "description", "version", "license"];

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------------------

/** What checkEnnEnvelope found: the layout, the verified checksum and the signature trailer if any. */
export interface EnnEnvelope {
  bytes: Uint8Array;
  version: number;
  headerLength: number;
  dataLength: number;
  dataStart: number;
  /** End of the data section = the end of the checksummed part = where a signature trailer starts. */
  dataEnd: number;
  /** The SHA-256 (stored and verified). */
  checksum: Uint8Array;
  signature?: EnnSignatureTrailer;
}

/**
 * @internal The first checks of readEnn (input type, magic, version, prefix lengths, the structure of a signature
 * trailer, the SHA-256) without parsing the header: what signing and verifying need. Throws like readEnn.
 */
export function checkEnnEnvelope(input: Uint8Array, limits: Required<EnnReadOptions> = DEFAULTS): EnnEnvelope {
  const given: unknown = input;
  let bytes: Uint8Array;
  // Tag checks rather than instanceof alone: arrays from another realm (iframe, vm context, test sandboxes)
  // fail instanceof but are fine to read.
  const tag = Object.prototype.toString.call(given);
  if (given instanceof Uint8Array) bytes = given;
  else if (tag === "[object Uint8Array]") {
    const v = given as Uint8Array;
    bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  } else if (tag === "[object ArrayBuffer]" || tag === "[object SharedArrayBuffer]") {
    bytes = new Uint8Array(given as ArrayBuffer);
  } else throw new EdgennError("BAD_FILE", `readEnn: expected a Uint8Array of file bytes, got ${describe(given)}`);
  const size = bytes.length;
  const { version, headerLength, dataLength, dataStart, dataEnd: expectedSize } = checkEnnPrefix(bytes, limits, size);
  let signature: EnnSignatureTrailer | undefined;
  if (expectedSize !== size) {
    const layout =
      `${ENN_PREFIX_BYTES}-byte prefix + ${headerLength}-byte header + ` +
      `${dataStart - ENN_PREFIX_BYTES - headerLength} bytes of padding + ${dataLength}-byte data section`;
    if (size < expectedSize) {
      throw new EdgennError(
        "BAD_FILE",
        `file is truncated: the prefix says it is ${expectedSize} bytes (${layout}), but it is ${size} bytes ` +
          `(${expectedSize - size} missing)`,
        size,
      );
    }
    // The one thing allowed after the data section: a signature trailer (docs/format.md, "Signature trailer").
    if (!startsWith(bytes, expectedSize, ENN_SIG_MAGIC)) {
      throw new EdgennError(
        "BAD_FILE",
        `file has ${size - expectedSize} bytes of trailing data: the prefix says it is ${expectedSize} bytes ` +
          `(${layout}), but it is ${size} bytes`,
        expectedSize,
      );
    }
    signature = readSignatureTrailer(bytes, expectedSize);
  }

  // Checksum, before anything in the header is believed. It covers the file up to the end of the data section.
  const expected = bytes.subarray(24, 56);
  const actual = ennChecksumBytes(bytes, expectedSize);
  if (!equalBytes(expected, actual)) {
    throw new EdgennError(
      "BAD_FILE",
      `checksum mismatch: file is damaged (SHA-256 stored at byte 24 is ${toHex(expected)}, ` +
        `the file's contents hash to ${toHex(actual)})`,
      24,
    );
  }
  return { bytes, version, headerLength, dataLength, dataStart, dataEnd: expectedSize, checksum: actual, signature };
}

/**
 * @internal Magic, version and the lengths in the first 56 bytes (`bytes` may be just those), checked against
 * the file size when it is known (`size`; a stream checks it as the bytes arrive).
 */
export function checkEnnPrefix(bytes: Uint8Array, limits: Required<EnnReadOptions>, size?: number) {
  // Magic (checked on whatever is there, so that a short text file still gets the helpful hint).
  checkMagic(bytes);
  if (bytes.length < ENN_PREFIX_BYTES) {
    throw new EdgennError(
      "BAD_FILE",
      `file is truncated: ${bytes.length} bytes, but the fixed prefix (magic, version, lengths, SHA-256) alone is ` +
        `${ENN_PREFIX_BYTES} bytes`,
      bytes.length,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, ENN_PREFIX_BYTES);

  const version = view.getUint32(8, true);
  if (version !== ENN_VERSION) {
    const why =
      version > ENN_VERSION
        ? `file format version ${version} is newer than this reader supports (version ${ENN_VERSION}); ` +
          `upgrade edgenn to read it`
        : `file format version ${version} is not supported (this reader reads version ${ENN_VERSION})`;
    throw new EdgennError("BAD_FILE", why, 8);
  }

  const headerLength = view.getUint32(12, true);
  if (size !== undefined && ENN_PREFIX_BYTES + headerLength > size) {
    throw new EdgennError(
      "BAD_FILE",
      `header length ${headerLength} (header at byte ${ENN_PREFIX_BYTES}) extends past the end of the file ` +
        `(${size} bytes): the file is truncated or the header length is wrong`,
      12,
    );
  }
  if (headerLength > limits.maxHeaderBytes) {
    throw new EdgennError(
      "BAD_FILE",
      `header length ${headerLength} bytes exceeds the limit maxHeaderBytes = ${limits.maxHeaderBytes} ` +
        `(raise it with readEnn(bytes, { maxHeaderBytes }) if the file is trusted)`,
      12,
    );
  }

  const dataLo = view.getUint32(16, true);
  const dataHi = view.getUint32(20, true);
  if (dataHi >= 0x200000) {
    throw new EdgennError(
      "BAD_FILE",
      `data length 0x${hex32(dataHi)}${hex32(dataLo)} is not below 2^53${size !== undefined ? ` (file is ${size} bytes)` : ""}`,
      16,
    );
  }
  const dataLength = dataHi * 0x100000000 + dataLo;
  const dataStart = align(ENN_PREFIX_BYTES + headerLength);
  return { version, headerLength, dataLength, dataStart, dataEnd: dataStart + dataLength };
}

/**
 * @internal The header section (`bytes` holds at least the file's first `dataStart` bytes): padding, JSON,
 * schema and the tensor table, placed in the data section.
 */
export function checkEnnHeader(bytes: Uint8Array, headerLength: number, dataLength: number, dataStart: number, limits: Required<EnnReadOptions>) {
  for (let i = ENN_PREFIX_BYTES + headerLength; i < dataStart; i++) {
    if (bytes[i] !== 0) {
      throw new EdgennError("BAD_FILE", `header padding byte is 0x${hex8(bytes[i])}, must be 0`, i);
    }
  }
  // slice(): a private copy (TextDecoder rejects views of a SharedArrayBuffer in browsers).
  const header = parseHeader(bytes.slice(ENN_PREFIX_BYTES, ENN_PREFIX_BYTES + headerLength));
  const { graph, metadata, entries } = checkHeader(header, limits);
  return { graph, metadata, placed: checkTensors(entries, dataLength, dataStart, limits) };
}

/**
 * @internal A placed tensor's values as float32, from its stored bytes at `bytes[at...]`. `adopt`: the caller
 * hands over `bytes` (a private buffer holding exactly this tensor); float32 data then becomes the result
 * without a copy where the host is little-endian.
 */
export function decodeEnnTensor(bytes: Uint8Array, at: number, t: EnnPlacedTensor, adopt = false): EnnTensor {
  if (adopt && t.dtype === "float32" && LITTLE_ENDIAN_HOST && at === 0 && bytes.byteOffset % 4 === 0 && bytes.length === t.count * 4) {
    return { name: t.name, dtype: t.dtype, shape: t.shape, data: new Float32Array(bytes.buffer, bytes.byteOffset, t.count) };
  }
  let data: Float32Array;
  try {
    data = new Float32Array(t.count);
  } catch (e) {
    throw new EdgennError("LIMIT", `tensor ${quote(t.name)}: cannot allocate ${t.count * 4} bytes: ${errorText(e)}`);
  }
  if (t.dtype === "float16") decodeF16(bytes, at, t.count, data);
  else if (t.quant) dequantize(bytes, at, t.shape, t.quant, data);
  else readF32(bytes, at, t.count, data);
  return { name: t.name, dtype: t.dtype, shape: t.shape, data };
}

/** @internal `at`: where the trailer starts in `bytes`; `fileOffset`: where that is in the file (for messages). */
export function readSignatureTrailer(bytes: Uint8Array, at: number, fileOffset = at): EnnSignatureTrailer {
  const shift = fileOffset - at;
  const n = bytes.length - at;
  if (n < ENN_SIG_FIXED_BYTES) {
    throw new EdgennError(
      "BAD_FILE",
      `signature trailer at byte ${fileOffset} is truncated: ${n} bytes, but its fixed part alone is ${ENN_SIG_FIXED_BYTES} bytes`,
      bytes.length + shift,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, ENN_SIG_FIXED_BYTES);
  const algorithmId = view.getUint16(8, true);
  const reserved = view.getUint16(10, true);
  const length = view.getUint32(12, true);
  if (reserved !== 0) {
    throw new EdgennError("BAD_FILE", `signature trailer: reserved field is ${reserved}, must be 0`, fileOffset + 10);
  }
  if (length > ENN_SIG_MAX_BYTES || ENN_SIG_FIXED_BYTES + length !== n) {
    throw new EdgennError(
      "BAD_FILE",
      `signature trailer at byte ${fileOffset}: signature length ${length} does not match the ${n - ENN_SIG_FIXED_BYTES} ` +
        `bytes after its ${ENN_SIG_FIXED_BYTES}-byte fixed part (limit ${ENN_SIG_MAX_BYTES})`,
      fileOffset + 12,
    );
  }
  const known = ENN_SIG_ALGORITHMS[algorithmId];
  if (known && known.signatureBytes !== length) {
    throw new EdgennError(
      "BAD_FILE",
      `signature trailer: ${known.name} signatures are ${known.signatureBytes} bytes, the trailer says ${length}`,
      fileOffset + 12,
    );
  }
  return {
    offset: fileOffset,
    algorithmId,
    algorithm: known ? known.name : `unknown-${algorithmId}`,
    keyId: toHex(bytes.subarray(at + 16, at + 48)),
    signature: new Uint8Array(bytes.subarray(at + ENN_SIG_FIXED_BYTES)), // a copy (Buffer#slice would be a view)
  };
}

function startsWith(bytes: Uint8Array, at: number, magic: readonly number[]): boolean {
  if (bytes.length - at < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic[i]) return false;
  return true;
}

/**
 * Parse and verify an `.enn` file. The input is only read, never modified; every returned array is a copy.
 *
 * Order of checks: magic, version, prefix lengths against the file size, signature trailer (its structure only),
 * SHA-256 (before any JSON is parsed), header padding, UTF-8, JSON nesting depth, JSON, header schema, every
 * tensor entry, overlaps, then the data is copied out. Cost is O(file size). Throws EdgennError "BAD_FILE" for
 * any problem in the file (including exceeding one of `opts`' limits), "UNSUPPORTED" for a reserved dtype (see
 * ENN_RESERVED_DTYPES). A signature is reported (`signature`), not verified: see verifyEnn in ./signature.ts.
 *
 * @example
 * ```ts
 * const { graph, metadata, tensors, checksum } = readEnn(new Uint8Array(await (await fetch(url)).arrayBuffer()));
 * ```
 */
export function readEnn(input: Uint8Array, opts: EnnReadOptions = {}): EnnFile {
  const limits = readOptions(opts);
  const { bytes, version, headerLength, dataLength, dataStart, checksum, signature } = checkEnnEnvelope(input, limits);
  const { graph, metadata, placed } = checkEnnHeader(bytes, headerLength, dataLength, dataStart, limits);
  const tensors = new Map<string, EnnTensor>();
  for (const t of placed) tensors.set(t.name, decodeEnnTensor(bytes, dataStart + t.offset, t));
  const file: EnnFile = { version, graph, metadata, tensors, checksum: toHex(checksum) };
  if (signature) file.signature = { algorithm: signature.algorithm, keyId: signature.keyId, offset: signature.offset };
  return file;
}

/** @internal */
export function readOptions(opts: EnnReadOptions): Required<EnnReadOptions> {
  if (opts === null || typeof opts !== "object") {
    throw new EdgennError("BAD_INPUT", `readEnn: options must be an object, got ${describe(opts)}`);
  }
  const out = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof EnnReadOptions)[]) {
    const v = opts[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !(v >= 0) || !(Number.isSafeInteger(v) || v === Infinity)) {
      throw new EdgennError("BAD_INPUT", `readEnn: option ${key} must be a non-negative integer, got ${describe(v)}`);
    }
    out[key] = v;
  }
  return out;
}

/**
 * SHA-256 over bytes [0, 24) ++ [56, end): everything in the file except the checksum field itself and a
 * signature trailer (`end` is the end of the data section).
 */
/** @internal */
export function ennChecksumBytes(bytes: Uint8Array, end = bytes.length): Uint8Array {
  return sha256.create().update(bytes.subarray(0, 24)).update(bytes.subarray(ENN_PREFIX_BYTES, end)).digest();
}

function checkMagic(bytes: Uint8Array): void {
  const n = Math.min(bytes.length, ENN_MAGIC.length);
  let ok = true;
  for (let i = 0; i < n; i++) if (bytes[i] !== ENN_MAGIC[i]) ok = false;
  if (ok) {
    if (bytes.length === 0) throw new EdgennError("BAD_FILE", "file is empty (0 bytes): not an .enn file", 0);
    return;
  }
  throw new EdgennError(
    "BAD_FILE",
    `not an .enn file: the first bytes are ${toHex(bytes.subarray(0, 8), " ")}, ` +
      `expected the magic ${toHex(Uint8Array.from(ENN_MAGIC), " ")}${magicHint(bytes)}`,
    0,
  );
}

/** A guess at what the file is instead, for the "wrong magic" message. */
function magicHint(b: Uint8Array): string {
  const ascii = (at: number, s: string) => {
    if (b.length < at + s.length) return false;
    for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
    return true;
  };
  if (b.length >= 4 && b[0] === 0x89 && ascii(1, "ENN")) {
    return " (starts like an .enn file but the rest of the magic differs: was it transferred in text mode, " +
      "converting line endings?)";
  }
  if (ascii(4, "TFL3")) return " (this looks like a TensorFlow Lite flatbuffer; import it with the TFLite importer)";
  if (ascii(0, "GGUF")) return " (this looks like a GGUF file from ggml/llama.cpp)";
  if (ascii(0, "PK\x03\x04")) return " (this looks like a ZIP archive, e.g. a PyTorch .pt checkpoint)";
  if (ascii(0, "\x89HDF")) return " (this looks like an HDF5 file, e.g. a Keras .h5 model)";
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    return " (this looks like gzip-compressed data: decompress it first, or check the server's Content-Encoding)";
  }
  // Skip whitespace and a UTF-8 BOM to classify text.
  let i = 0;
  if (ascii(0, "\xef\xbb\xbf")) i = 3;
  while (i < b.length && i < 256 && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  if (i < b.length && (b[i] === 0x7b || b[i] === 0x5b)) {
    return " (this looks like JSON text: a model.json / tfjs graph description, not an .enn weight file)";
  }
  if (i < b.length && b[i] === 0x3c) {
    return " (this looks like HTML or XML text, e.g. an error page served instead of the model)";
  }
  // ONNX ModelProto: field 1 (ir_version, varint) comes first, tag byte 0x08, value a small integer.
  if (b.length >= 2 && b[0] === 0x08 && b[1] > 0 && b[1] < 0x20) {
    return " (this looks like an ONNX model (protobuf); import it with the ONNX importer)";
  }
  let text = b.length > 0;
  for (let j = 0; j < Math.min(b.length, 64); j++) {
    const c = b[j];
    if (!(c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c < 0x7f))) text = false;
  }
  if (text) return " (this looks like a text file)";
  return "";
}

function parseHeader(raw: Uint8Array): unknown {
  const base = ENN_PREFIX_BYTES;
  const bad = validateUtf8(raw);
  if (bad >= 0) {
    throw new EdgennError("BAD_FILE", `header is not valid UTF-8 (invalid sequence at header byte ${bad})`, base + bad);
  }
  const deep = findDeepNesting(raw, ENN_MAX_JSON_DEPTH);
  if (deep >= 0) {
    throw new EdgennError(
      "BAD_FILE",
      `header JSON nests deeper than ${ENN_MAX_JSON_DEPTH} levels (at header byte ${deep})`,
      base + deep,
    );
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(raw);
  } catch (e) {
    throw new EdgennError("BAD_FILE", `header could not be decoded as UTF-8 text (${errorText(e)})`, base);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    if (e instanceof SyntaxError) throw new EdgennError("BAD_FILE", `header is not valid JSON: ${errorText(e)}`, base);
    throw new EdgennError("LIMIT", `header JSON could not be parsed (${raw.length} bytes): ${errorText(e)}`, base);
  }
}

interface RawHeader {
  graph: unknown;
  metadata: Record<string, unknown>;
  entries: unknown[];
}

function checkHeader(h: unknown, limits: Required<EnnReadOptions>): RawHeader {
  const at = ENN_PREFIX_BYTES;
  if (!isPlainObject(h)) {
    throw new EdgennError("BAD_FILE", `header must be a JSON object { graph, metadata, tensors }, got ${describe(h)}`, at);
  }
  for (const key of Object.keys(h)) {
    if (!HEADER_KEYS.has(key)) {
      throw new EdgennError(
        "BAD_FILE",
        `header has unknown key ${quote(key)} (version ${ENN_VERSION} headers have only graph, metadata, tensors)`,
        at,
      );
    }
  }
  for (const key of HEADER_KEYS) {
    if (!Object.prototype.hasOwnProperty.call(h, key)) {
      throw new EdgennError("BAD_FILE", `header has no ${quote(key)} key`, at);
    }
  }
  const metadata = h.metadata;
  if (!isPlainObject(metadata)) {
    throw new EdgennError("BAD_FILE", `header metadata must be a JSON object, got ${describe(metadata)}`, at);
  }
  for (const key of STRING_METADATA) {
    if (Object.prototype.hasOwnProperty.call(metadata, key) && typeof metadata[key] !== "string") {
      throw new EdgennError("BAD_FILE", `metadata.${key} must be a string, got ${describe(metadata[key])}`, at);
    }
  }
  const entries = h.tensors;
  if (!Array.isArray(entries)) {
    throw new EdgennError("BAD_FILE", `header tensors must be a JSON array, got ${describe(entries)}`, at);
  }
  if (entries.length > limits.maxTensors) {
    throw new EdgennError(
      "BAD_FILE",
      `header lists ${entries.length} tensors, more than the limit maxTensors = ${limits.maxTensors}`,
      at,
    );
  }
  return { graph: h.graph, metadata, entries };
}

/** @internal A tensor entry, checked and placed in the data section. */
export interface EnnPlacedTensor {
  name: string;
  dtype: EnnDtype;
  shape: number[];
  count: number;
  offset: number;
  byteLength: number;
  quant?: Quantization;
}
/** int8 storage: real = scale[index along axis] * q. */
interface Quantization { axis: number; scale: number[] }

/** An int8 tensor's quantization: { axis, scale: one finite positive number per index along axis }. */
function checkQuantization(q: unknown, dtype: EnnDtype, shape: number[], who: string, at: number): Quantization | undefined {
  const bad = (msg: string) => new EdgennError("BAD_FILE", `${who}: ${msg}`, at);
  if (dtype !== "int8") {
    if (q !== undefined) throw bad(`a ${dtype} tensor has no quantization`);
    return undefined;
  }
  if (!isPlainObject(q)) throw bad(`int8 needs quantization { axis, scale }, got ${describe(q)}`);
  for (const key of Object.keys(q)) if (key !== "axis" && key !== "scale") throw bad(`unknown quantization key ${quote(key)} (axis, scale)`);
  const axis = q.axis;
  if (typeof axis !== "number" || !Number.isInteger(axis) || axis < 0 || axis >= shape.length) {
    throw bad(`quantization axis ${describe(axis)} is not an axis of shape [${shape.join(", ")}]`);
  }
  const scale = q.scale;
  if (!Array.isArray(scale) || scale.length !== shape[axis]) {
    throw bad(`quantization scale must be an array of ${shape[axis]} numbers (one per index of axis ${axis}), got ${describe(scale)}`);
  }
  for (let i = 0; i < scale.length; i++) {
    const v = scale[i];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw bad(`quantization scale[${i}] = ${describe(v)} is not a finite positive number`);
  }
  return { axis, scale };
}

function checkTensors(
  entries: unknown[],
  dataLength: number,
  dataStart: number,
  limits: Required<EnnReadOptions>,
): EnnPlacedTensor[] {
  const at = ENN_PREFIX_BYTES;
  const names = new Set<string>();
  const placed: EnnPlacedTensor[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (!isPlainObject(e)) {
      throw new EdgennError("BAD_FILE", `tensor #${i}: entry must be a JSON object, got ${describe(e)}`, at);
    }
    const name = e.name;
    if (typeof name !== "string" || name.length === 0) {
      throw new EdgennError("BAD_FILE", `tensor #${i}: name must be a non-empty string, got ${describe(name)}`, at);
    }
    const who = `tensor #${i} ${quote(name)}`;
    if (names.has(name)) throw new EdgennError("BAD_FILE", `${who}: duplicate tensor name`, at);
    names.add(name);
    const dtype = e.dtype;
    if (!isDtype(dtype)) {
      if (typeof dtype === "string" && ENN_RESERVED_DTYPES.includes(dtype)) {
        throw new EdgennError(
          "UNSUPPORTED",
          `${who}: dtype ${quote(dtype)} is not supported by this reader (supported: float32, float16, int8)`,
          at,
        );
      }
      throw new EdgennError("BAD_FILE", `${who}: unknown dtype ${describe(dtype)} (expected float32, float16 or int8)`, at);
    }

    // After the dtype: a future dtype brings its own keys (e.g. int8 + quantization), and the useful message
    // for an older reader is "dtype not supported", not "unknown key".
    for (const key of Object.keys(e)) {
      if (!TENSOR_KEYS.has(key)) {
        throw new EdgennError(
          "BAD_FILE",
          `${who}: unknown key ${quote(key)} (version ${ENN_VERSION} tensor entries have only ` +
            `name, dtype, shape, offset, byteLength, quantization)`,
          at,
        );
      }
    }

    const shapeRaw = e.shape;
    if (!Array.isArray(shapeRaw)) {
      throw new EdgennError("BAD_FILE", `${who}: shape must be an array of integers, got ${describe(shapeRaw)}`, at);
    }
    if (shapeRaw.length > ENN_MAX_RANK) {
      throw new EdgennError("BAD_FILE", `${who}: rank ${shapeRaw.length} exceeds the maximum ${ENN_MAX_RANK}`, at);
    }
    const shape: number[] = [];
    let count = 1;
    let zero = false;
    for (let d = 0; d < shapeRaw.length; d++) {
      const dim = shapeRaw[d];
      if (typeof dim !== "number" || !Number.isInteger(dim) || dim < 0 || dim > ENN_MAX_DIM) {
        throw new EdgennError(
          "BAD_FILE",
          `${who}: shape[${d}] = ${describe(dim)} is not an integer in [0, ${ENN_MAX_DIM}]`,
          at,
        );
      }
      shape.push(dim);
      if (dim === 0) zero = true;
      // Exact while <= 2^53; beyond that no data section could hold it, so Infinity (a mismatch below).
      else if (count !== Infinity) count = count > Number.MAX_SAFE_INTEGER / dim ? Infinity : count * dim;
    }
    if (zero) count = 0;
    const quant = checkQuantization(e.quantization, dtype, shape, who, at);
    const size = DTYPE_SIZE[dtype];
    const needed = count * size;

    const byteLength = e.byteLength;
    if (typeof byteLength !== "number" || !Number.isSafeInteger(byteLength) || byteLength < 0) {
      throw new EdgennError("BAD_FILE", `${who}: byteLength ${describe(byteLength)} is not an integer in [0, 2^53)`, at);
    }
    if (byteLength !== needed) {
      const countText = Number.isFinite(count) ? `${count}` : "more than 2^53/2^31";
      throw new EdgennError(
        "BAD_FILE",
        `${who}: byteLength ${byteLength} does not match shape [${shape.join(", ")}] of ${dtype} ` +
          `(${countText} elements x ${size} bytes${Number.isFinite(needed) ? ` = ${needed}` : ""})`,
        at,
      );
    }

    const offset = e.offset;
    if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
      throw new EdgennError("BAD_FILE", `${who}: offset ${describe(offset)} is not an integer in [0, 2^53)`, at);
    }
    if (offset % ENN_ALIGNMENT !== 0) {
      throw new EdgennError(
        "BAD_FILE",
        `${who}: offset ${offset} is not a multiple of ${ENN_ALIGNMENT}`,
        dataStart + offset <= Number.MAX_SAFE_INTEGER ? dataStart + offset : at,
      );
    }
    if (offset > dataLength || byteLength > dataLength - offset) {
      throw new EdgennError(
        "BAD_FILE",
        `${who}: data [${offset}, ${offset + byteLength}) extends past the end of the ${dataLength}-byte data ` +
          `section (which starts at byte ${dataStart})`,
        offset <= dataLength ? dataStart + offset : at,
      );
    }
    if (byteLength > limits.maxTensorBytes) {
      throw new EdgennError(
        "BAD_FILE",
        `${who}: ${byteLength} bytes exceeds the limit maxTensorBytes = ${limits.maxTensorBytes}`,
        dataStart + offset,
      );
    }
    placed.push({ name, dtype, shape, count, offset, byteLength, ...(quant ? { quant } : {}) });
  }

  // Overlaps: sort the non-empty ranges by start; each must begin at or after the previous one's end.
  const ranges = placed.filter((t) => t.byteLength > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < ranges.length; i++) {
    const p = ranges[i - 1];
    const t = ranges[i];
    if (t.offset < p.offset + p.byteLength) {
      throw new EdgennError(
        "BAD_FILE",
        `tensors ${quote(p.name)} [${p.offset}, ${p.offset + p.byteLength}) and ${quote(t.name)} ` +
          `[${t.offset}, ${t.offset + t.byteLength}) overlap in the data section`,
        dataStart + t.offset,
      );
    }
  }
  return placed;
}

function readF32(bytes: Uint8Array, at: number, count: number, out: Float32Array): void {
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(out.buffer, out.byteOffset, count * 4).set(bytes.subarray(at, at + count * 4));
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, count * 4);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
}

/** -1 if `b` is valid UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF); else the bad index. */
function validateUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0; // no overlongs
      if (c === 0xed) hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90; // no overlongs
      if (c === 0xf4) hi = 0x8f; // <= U+10FFFF
    } else return i;
    if (i + need >= n) return i; // sequence runs past the end
    const b1 = b[i + 1];
    if (b1 < lo || b1 > hi) return i;
    for (let k = 2; k <= need; k++) {
      const bk = b[i + k];
      if (bk < 0x80 || bk > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** Index of the first bracket that opens level maxDepth + 1 (outside strings), or -1. Iterative, O(n). */
function findDeepNesting(b: Uint8Array, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte (multi-byte escapes contain no quote)
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------------------

/**
 * Serialise a model to `.enn` bytes. Tensors are laid out in the given order, each at the next 64-byte boundary.
 * The output is deterministic (same input, same bytes, same checksum). Throws EdgennError "BAD_INPUT" when the
 * input could not be read back: bad names or shapes, data length not matching the shape, graph or metadata not
 * representable as JSON (cycles, BigInt, NaN/Infinity, nesting deeper than the format allows).
 *
 * @example
 * ```ts
 * const bytes = writeEnn({
 *   graph: { nodes: [{ op: "Gemm", inputs: ["x", "fc.weight"] }] },
 *   metadata: { name: "tiny", version: "1.0", labels: ["cat", "dog"], mean: [0.485, 0.456, 0.406] },
 *   tensors: [{ name: "fc.weight", shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
 * });
 * ```
 */
export function writeEnn(input: EnnWriteInput): Uint8Array {
  if (!isObjectLike(input)) throw new EdgennError("BAD_INPUT", `writeEnn: expected { graph, metadata, tensors }, got ${describe(input)}`);
  const graph = input.graph === undefined ? null : input.graph;
  const metadata = input.metadata === undefined ? {} : input.metadata;
  const tensors = input.tensors === undefined ? [] : input.tensors;
  if (!isObjectLike(metadata) || Array.isArray(metadata)) {
    throw new EdgennError("BAD_INPUT", `writeEnn: metadata must be an object, got ${describe(metadata)}`);
  }
  for (const key of STRING_METADATA) {
    const v = (metadata as Record<string, unknown>)[key];
    if (v !== undefined && typeof v !== "string") {
      throw new EdgennError("BAD_INPUT", `writeEnn: metadata.${key} must be a string, got ${describe(v)}`);
    }
  }
  if (!Array.isArray(tensors)) {
    throw new EdgennError("BAD_INPUT", `writeEnn: tensors must be an array, got ${describe(tensors)}`);
  }

  const names = new Set<string>();
  const table: { name: string; dtype: EnnDtype; shape: number[]; offset: number; byteLength: number; quantization?: Quantization }[] = [];
  let cursor = 0;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i] as EnnTensorInput;
    if (!isObjectLike(t)) throw new EdgennError("BAD_INPUT", `writeEnn: tensor #${i} must be an object, got ${describe(t)}`);
    const name = t.name;
    if (typeof name !== "string" || name.length === 0) {
      throw new EdgennError("BAD_INPUT", `writeEnn: tensor #${i}: name must be a non-empty string, got ${describe(name)}`);
    }
    const who = `writeEnn: tensor #${i} ${quote(name)}`;
    if (names.has(name)) throw new EdgennError("BAD_INPUT", `${who}: duplicate tensor name`);
    names.add(name);
    const dtype = t.dtype === undefined ? "float32" : t.dtype;
    if (!isDtype(dtype)) {
      throw new EdgennError("BAD_INPUT", `${who}: dtype ${describe(dtype)} cannot be written (float32, float16 or int8)`);
    }
    if (!Array.isArray(t.shape)) throw new EdgennError("BAD_INPUT", `${who}: shape must be an array, got ${describe(t.shape)}`);
    if (t.shape.length > ENN_MAX_RANK) {
      throw new EdgennError("BAD_INPUT", `${who}: rank ${t.shape.length} exceeds the maximum ${ENN_MAX_RANK}`);
    }
    let count = 1;
    const shape: number[] = [];
    for (let d = 0; d < t.shape.length; d++) {
      const dim = t.shape[d];
      if (typeof dim !== "number" || !Number.isInteger(dim) || dim < 0 || dim > ENN_MAX_DIM) {
        throw new EdgennError("BAD_INPUT", `${who}: shape[${d}] = ${describe(dim)} is not an integer in [0, ${ENN_MAX_DIM}]`);
      }
      shape.push(dim);
      count *= dim;
    }
    if (!(t.data instanceof Float32Array) && Object.prototype.toString.call(t.data) !== "[object Float32Array]") {
      throw new EdgennError("BAD_INPUT", `${who}: data must be a Float32Array, got ${describe(t.data)}`);
    }
    if (t.data.length !== count) {
      throw new EdgennError(
        "BAD_INPUT",
        `${who}: data has ${t.data.length} elements but shape [${shape.join(", ")}] needs ${count}`,
      );
    }
    const byteLength = count * DTYPE_SIZE[dtype];
    const offset = align(cursor);
    let quantization: Quantization | undefined;
    if (dtype === "int8") {
      const axis = t.quantAxis ?? 0;
      if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) throw new EdgennError("BAD_INPUT", `${who}: quantAxis ${describe(axis)} is not an axis of shape [${shape.join(", ")}]`);
      for (const v of t.data) if (!Number.isFinite(v)) throw new EdgennError("BAD_INPUT", `${who}: int8 cannot store ${v}`);
      quantization = { axis, scale: channelScales(t.data, shape, axis) };
    }
    table.push({ name, dtype, shape, offset, byteLength, ...(quantization ? { quantization } : {}) });
    cursor = offset + byteLength;
  }
  const dataLength = cursor;

  let json: string;
  try {
    json = JSON.stringify({ graph, metadata, tensors: table }, (key, value) => {
      if (typeof value === "number" && !Number.isFinite(value)) {
        throw new Error(`${value} at key ${quote(key)} is not representable in JSON`);
      }
      if (typeof value === "bigint") throw new Error(`BigInt at key ${quote(key)} is not representable in JSON`);
      // These would silently turn into {} or {"0": ...}: refuse rather than store something else.
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Map || value instanceof Set) {
        throw new Error(`${describe(value)} at key ${quote(key)} is not JSON: convert it first (e.g. Array.from)`);
      }
      return value;
    });
  } catch (e) {
    throw new EdgennError("BAD_INPUT", `writeEnn: graph or metadata cannot be stored as JSON: ${errorText(e)}`);
  }
  const header = new TextEncoder().encode(json);
  const deep = findDeepNesting(header, ENN_MAX_JSON_DEPTH);
  if (deep >= 0) {
    throw new EdgennError(
      "BAD_INPUT",
      `writeEnn: graph or metadata nests deeper than the format allows (${ENN_MAX_JSON_DEPTH} levels ` +
        `including the header object)`,
    );
  }
  if (header.length > 0xffffffff) throw new EdgennError("BAD_INPUT", `writeEnn: header of ${header.length} bytes exceeds 4 GiB`);

  const dataStart = align(ENN_PREFIX_BYTES + header.length);
  const total = dataStart + dataLength;
  if (!Number.isSafeInteger(total)) throw new EdgennError("BAD_INPUT", `writeEnn: file of ${total} bytes is too large`);
  let out: Uint8Array;
  try {
    out = new Uint8Array(total); // zero-filled: padding and gaps are zero
  } catch (e) {
    throw new EdgennError("LIMIT", `writeEnn: cannot allocate a ${total}-byte file: ${errorText(e)}`);
  }
  const view = new DataView(out.buffer);
  out.set(ENN_MAGIC, 0);
  view.setUint32(8, ENN_VERSION, true);
  view.setUint32(12, header.length, true);
  view.setUint32(16, dataLength % 0x100000000, true);
  view.setUint32(20, Math.floor(dataLength / 0x100000000), true);
  out.set(header, ENN_PREFIX_BYTES);

  for (let i = 0; i < table.length; i++) {
    const at = dataStart + table[i].offset;
    const data = (tensors[i] as EnnTensorInput).data;
    const q = table[i].quantization;
    if (table[i].dtype === "float16") encodeF16(data, out, at);
    else if (q) quantize(data, table[i].shape, q, out, at);
    else writeF32(data, out, at, view);
  }
  out.set(ennChecksumBytes(out), 24);
  return out;
}

/** Slices along `axis`: element i is in slice floor(i / inner) % shape[axis]. */
function sliceOf(shape: number[], axis: number): (i: number) => number {
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const n = shape[axis];
  return (i) => Math.floor(i / inner) % n;
}

/** One scale per slice: its largest magnitude maps to 127 (an all-zero slice gets 1). */
function channelScales(data: Float32Array, shape: number[], axis: number): number[] {
  const slice = sliceOf(shape, axis);
  const max = new Array<number>(shape[axis]).fill(0);
  for (let i = 0; i < data.length; i++) max[slice(i)] = Math.max(max[slice(i)], Math.abs(data[i]));
  return max.map((m) => (m > 0 ? m / 127 : 1));
}

function quantize(data: Float32Array, shape: number[], q: Quantization, out: Uint8Array, at: number): void {
  const slice = sliceOf(shape, q.axis);
  for (let i = 0; i < data.length; i++) {
    out[at + i] = Math.max(-127, Math.min(127, Math.round(data[i] / q.scale[slice(i)]))) & 0xff;
  }
}

function dequantize(bytes: Uint8Array, at: number, shape: number[], q: Quantization, data: Float32Array): void {
  const slice = sliceOf(shape, q.axis);
  for (let i = 0; i < data.length; i++) data[i] = q.scale[slice(i)] * ((bytes[at + i] << 24) >> 24);
}

function writeF32(data: Float32Array, out: Uint8Array, at: number, view: DataView): void {
  if (LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return;
  }
  for (let i = 0; i < data.length; i++) view.setFloat32(at + i * 4, data[i], true);
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

function align(n: number): number {
  return Math.ceil(n / ENN_ALIGNMENT) * ENN_ALIGNMENT;
}

function isObjectLike(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Bytes as lowercase hex (checksums, key ids), optionally separated. */
export function toHex(b: Uint8Array, sep = ""): string {
  const parts: string[] = [];
  for (let i = 0; i < b.length; i++) parts.push(hex8(b[i]));
  return parts.join(sep);
}

function hex8(n: number): string {
  return n.toString(16).padStart(2, "0");
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, "0");
}

/** JSON-quoted and length-capped, so a hostile name cannot flood the message. */
function quote(s: string): string {
  const q = JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
  return `'${q.slice(1, -1)}'`;
}

/** Short description of any value for messages (never throws, never long). */
function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  switch (typeof v) {
    case "string":
      return `the string ${quote(v)}`;
    case "number":
      return String(v);
    case "boolean":
      return String(v);
    case "undefined":
      return "nothing (missing)";
    case "bigint":
      return `${v}n`;
    case "object": {
      let ctor: unknown;
      try {
        ctor = Object.getPrototypeOf(v)?.constructor?.name;
      } catch {
        ctor = undefined;
      }
      return typeof ctor === "string" && ctor !== "Object" ? `a ${ctor}` : "an object";
    }
    default:
      return `a ${typeof v}`;
  }
}

function errorText(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
