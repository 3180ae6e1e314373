/**
 * Reads an .enn file from a stream of chunks (a download, a file read piece by piece) without holding the file:
 * each tensor is decoded as soon as its bytes have arrived, so peak memory is the decoded tensors plus one
 * tensor's bytes, not the file plus its decoded copy. The SHA-256 is computed as the bytes pass; nothing read
 * is returned unless the checksum matches at the end (the header is parsed before that, with the same hostile-
 * input checks as readEnn, but not believed: a damaged file still fails, just later).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { EdgennError } from "../errors.js";
import {
  checkEnnHeader, checkEnnPrefix, decodeEnnTensor, ENN_PREFIX_BYTES, ENN_SIG_MAGIC, readOptions, readSignatureTrailer, toHex,
  type EnnFile, type EnnPlacedTensor, type EnnReadOptions, type EnnTensor,
} from "./enn.js";

const ENN_SIG_MAX_TRAILER = 64 * 1024; // a signature trailer is a few hundred bytes

export interface EnnStreamOptions extends EnnReadOptions {
  /** Called as bytes arrive: bytes so far, and the file's size once the prefix has told it. */
  onBytes?: (loaded: number, total: number | undefined) => void;
}

/** Collects bytes up to a target length across chunks (the prefix, the header, one tensor). */
class Filler {
  readonly buf: Uint8Array;
  filled = 0;
  constructor(n: number) { this.buf = new Uint8Array(n); }
  /** Takes what it needs from chunk[at...]; returns how many bytes it took. */
  take(chunk: Uint8Array, at: number): number {
    const n = Math.min(this.buf.length - this.filled, chunk.length - at);
    this.buf.set(chunk.subarray(at, at + n), this.filled);
    this.filled += n;
    return n;
  }
  get full(): boolean { return this.filled === this.buf.length; }
}

export async function readEnnStream(chunks: AsyncIterable<Uint8Array>, opts: EnnStreamOptions = {}): Promise<EnnFile> {
  const limits = readOptions(opts);
  const hash = sha256.create();
  let loaded = 0;
  // Stages: the 56-byte prefix, then the header up to the data start, then the data section, then a trailer.
  let prefix: Filler | undefined = new Filler(ENN_PREFIX_BYTES);
  let storedChecksum: Uint8Array | undefined;
  let head: Filler | undefined;
  let layout: ReturnType<typeof checkEnnPrefix> | undefined;
  let pending: EnnPlacedTensor[] = []; // by offset; the first is the next to complete
  let current: Filler | undefined;
  let dataAt = 0; // bytes of the data section seen
  const tensors = new Map<string, EnnTensor>();
  let header: { graph: unknown; metadata: Record<string, unknown> } | undefined;
  const trailer: Uint8Array[] = [];
  let trailerBytes = 0;

  for await (const chunk of chunks) {
    if (!(chunk instanceof Uint8Array)) throw new EdgennError("BAD_INPUT", `the model stream gave ${Object.prototype.toString.call(chunk)}, expected Uint8Array chunks`);
    let at = 0;
    while (at < chunk.length) {
      if (prefix) {
        at += prefix.take(chunk, at);
        if (!prefix.full) break;
        layout = checkEnnPrefix(prefix.buf, limits);
        storedChecksum = prefix.buf.slice(24, ENN_PREFIX_BYTES);
        head = new Filler(layout.dataStart);
        head.buf.set(prefix.buf);
        head.filled = ENN_PREFIX_BYTES;
        hash.update(prefix.buf.subarray(0, 24)).update(prefix.buf.subarray(ENN_PREFIX_BYTES));
        prefix = undefined;
        continue;
      }
      if (head) {
        const from = head.filled;
        at += head.take(chunk, at);
        hash.update(head.buf.subarray(from, head.filled));
        if (!head.full) break;
        const { graph, metadata, placed } = checkEnnHeader(head.buf, layout!.headerLength, layout!.dataLength, layout!.dataStart, limits);
        header = { graph, metadata };
        pending = [...placed].sort((a, b) => a.offset - b.offset);
        head = undefined;
        continue;
      }
      const dataLeft = layout!.dataLength - dataAt;
      if (dataLeft > 0) {
        const n = Math.min(dataLeft, chunk.length - at);
        const piece = chunk.subarray(at, at + n);
        hash.update(piece);
        feedData(piece);
        at += n;
        dataAt += n;
        continue;
      }
      // After the data section only a signature trailer may follow (readEnn checks its structure).
      trailerBytes += chunk.length - at;
      if (trailerBytes > ENN_SIG_MAX_TRAILER) throw new EdgennError("BAD_FILE", `${trailerBytes} bytes after the data section: not a signature trailer`, layout!.dataEnd);
      trailer.push(chunk.slice(at));
      at = chunk.length;
    }
    loaded += chunk.length;
    opts.onBytes?.(loaded, layout ? layout.dataEnd + trailerBytes : undefined);
  }

  /** Copies data-section bytes into the tensors they belong to, decoding each one as it completes. */
  function feedData(piece: Uint8Array) {
    let i = 0;
    while (i < piece.length && pending.length) {
      const t = pending[0];
      const pos = dataAt + i;
      if (!current) {
        if (pos < t.offset) { i += Math.min(piece.length - i, t.offset - pos); continue; } // a gap between tensors
        current = new Filler(t.byteLength);
      }
      i += current.take(piece, i);
      if (current.full) {
        tensors.set(t.name, decodeEnnTensor(current.buf, 0, t, true)); // the buffer is this tensor's alone
        current = undefined;
        pending.shift();
      }
    }
    completeEmpty();
  }
  /** Zero-size tensors complete without bytes. */
  function completeEmpty() {
    while (pending.length && pending[0].byteLength === 0) {
      const t = pending.shift()!;
      tensors.set(t.name, decodeEnnTensor(new Uint8Array(0), 0, t));
    }
  }

  if (prefix) checkEnnPrefix(prefix.buf.subarray(0, prefix.filled), limits); // says truncated (or not an .enn file)
  const expectedSize = layout!.dataEnd;
  if (head || dataAt < layout!.dataLength) {
    throw new EdgennError("BAD_FILE", `file is truncated: the prefix says it is ${expectedSize} bytes, the stream ended after ${loaded}`, loaded);
  }
  completeEmpty();
  const checksum = hash.digest();
  const expected = storedChecksum!;
  if (expected.some((b, i) => b !== checksum[i])) {
    throw new EdgennError("BAD_FILE", `checksum mismatch: file is damaged (SHA-256 stored at byte 24 is ${toHex(expected)}, the file's contents hash to ${toHex(checksum)})`, 24);
  }
  const file: EnnFile = { version: layout!.version, graph: header!.graph, metadata: header!.metadata, tensors, checksum: toHex(checksum) };
  if (trailerBytes > 0) {
    const tail = new Uint8Array(trailerBytes);
    let o = 0;
    for (const c of trailer) { tail.set(c, o); o += c.length; }
    if (ENN_SIG_MAGIC.some((b, i) => tail[i] !== b)) {
      throw new EdgennError("BAD_FILE", `file has ${trailerBytes} bytes of trailing data after the ${expectedSize} bytes the prefix announces`, expectedSize);
    }
    const sig = readSignatureTrailer(tail, 0, expectedSize);
    file.signature = { algorithm: sig.algorithm, keyId: sig.keyId, offset: sig.offset };
  }
  return file;
}

