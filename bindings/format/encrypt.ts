/**
 * Encrypted model files: a whole .enn file (header, weights and any signature) sealed with AES-256-GCM through
 * WebCrypto, so it works in every runtime edgenn runs in. Decryption happens in memory only; a wrong key or
 * any altered byte fails the GCM tag check and nothing is loaded.
 *
 * Layout (little-endian):
 *   0  8  magic 89 45 4E 58 0D 0A 1A 0A ("\x89ENX\r\n\x1a\n")
 *   8  4  version (1)
 *  12  4  length P of the clear metadata JSON (0 if none)
 *  16 16  key id: the first 16 bytes of SHA-256(raw key), to tell "wrong key" from "altered file"
 *  32 12  AES-GCM nonce (random per file)
 *  44  P  clear metadata JSON (what the owner chose to leave readable: e.g. name, version)
 *  44+P   ciphertext of the .enn file, then the 16-byte GCM tag
 * Bytes 0..44+P are the GCM additional data: the clear part cannot be changed without failing the tag.
 */
import { EdgennError } from "../errors.js";
import { toHex } from "./enn.js";

export const ENX_MAGIC: readonly number[] = [0x89, 0x45, 0x4e, 0x58, 0x0d, 0x0a, 0x1a, 0x0a];
const FIXED = 44;
const MAX_CLEAR = 64 * 1024;

/** A 256-bit AES key: 32 raw bytes, or 64 hex digits (as `edgenn keygen --aes` writes). */
export type ModelKey = Uint8Array | string;

export const isEncryptedModel = (b: Uint8Array) => b.length >= 8 && ENX_MAGIC.every((m, i) => b[i] === m);

const subtle = () => {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new EdgennError("UNSUPPORTED", "encrypted models need WebCrypto (crypto.subtle), which this runtime or page does not offer (pages: a secure context, https or localhost)");
  return s;
};

function rawKey(key: ModelKey): Uint8Array {
  if (typeof key === "string") {
    const hex = key.trim();
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new EdgennError("BAD_KEY", "the model key must be 64 hex digits (256 bits)");
    return Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
  }
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new EdgennError("BAD_KEY", "the model key must be 32 bytes (256 bits)");
  return key;
}

async function keyParts(key: ModelKey) {
  const raw = rawKey(key);
  const id = new Uint8Array(await subtle().digest("SHA-256", raw as BufferSource)).subarray(0, 16);
  const aes = await subtle().importKey("raw", raw as BufferSource, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { id, aes };
}

/** A new random 256-bit model key, as 64 hex digits. */
export function generateModelKey(): string {
  return toHex(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

/** Seals a model file; `clearMetadata` (optional) stays readable without the key, but cannot be altered. */
export async function encryptModel(model: Uint8Array, key: ModelKey, clearMetadata?: Record<string, unknown>): Promise<Uint8Array> {
  const clear = clearMetadata ? new TextEncoder().encode(JSON.stringify(clearMetadata)) : new Uint8Array(0);
  if (clear.length > MAX_CLEAR) throw new EdgennError("LIMIT", `clear metadata is ${clear.length} bytes (limit ${MAX_CLEAR})`);
  const { id, aes } = await keyParts(key);
  const head = new Uint8Array(FIXED + clear.length);
  head.set(ENX_MAGIC, 0);
  const v = new DataView(head.buffer);
  v.setUint32(8, 1, true);
  v.setUint32(12, clear.length, true);
  head.set(id, 16);
  head.set(globalThis.crypto.getRandomValues(new Uint8Array(12)), 32);
  head.set(clear, FIXED);
  const sealed = await subtle().encrypt({ name: "AES-GCM", iv: head.subarray(32, 44), additionalData: head }, aes, model as BufferSource);
  const out = new Uint8Array(head.length + sealed.byteLength);
  out.set(head, 0);
  out.set(new Uint8Array(sealed), head.length);
  return out;
}

function parseHeader(file: Uint8Array) {
  const bad = (msg: string, at: number) => new EdgennError("BAD_FILE", `encrypted model: ${msg} (at byte ${at})`);
  if (!isEncryptedModel(file)) throw bad("not an encrypted edgenn model (magic)", 0);
  if (file.length < FIXED + 16) throw bad(`truncated: ${file.length} bytes`, file.length);
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const version = v.getUint32(8, true);
  if (version !== 1) throw new EdgennError("UNSUPPORTED", `encrypted model: version ${version} (this edgenn reads version 1)`);
  const clearLength = v.getUint32(12, true);
  if (clearLength > MAX_CLEAR || FIXED + clearLength + 16 > file.length) throw bad(`clear metadata length ${clearLength} does not fit the file`, 12);
  return { clearLength, head: file.subarray(0, FIXED + clearLength) };
}

/** The clear metadata of an encrypted model (unauthenticated until decrypted with the key). */
export function encryptedModelInfo(file: Uint8Array): Record<string, unknown> {
  const { clearLength } = parseHeader(file);
  if (clearLength === 0) return {};
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(file.subarray(FIXED, FIXED + clearLength)));
  } catch {
    throw new EdgennError("BAD_FILE", "encrypted model: the clear metadata is not JSON (at byte 44)");
  }
}

/** The model file inside; throws BAD_KEY for no key, the wrong key, or any altered byte. */
export async function decryptModel(file: Uint8Array, key: ModelKey | undefined): Promise<Uint8Array> {
  const { head } = parseHeader(file);
  if (key === undefined) throw new EdgennError("BAD_KEY", "the model is encrypted: pass its key (load(src, { decryptionKey }) or the CLI's --model-key FILE)");
  const { id, aes } = await keyParts(key);
  if (id.some((b, i) => b !== head[16 + i])) throw new EdgennError("BAD_KEY", "the model is encrypted with a different key (key id mismatch)");
  try {
    const plain = await subtle().decrypt({ name: "AES-GCM", iv: head.subarray(32, 44) as BufferSource, additionalData: head as BufferSource }, aes, file.subarray(head.length) as BufferSource);
    return new Uint8Array(plain);
  } catch {
    throw new EdgennError("BAD_KEY", "decryption failed: the encrypted model was altered or damaged (AES-GCM tag mismatch); nothing was loaded");
  }
}
