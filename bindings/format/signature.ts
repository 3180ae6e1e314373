/**
 * Signed `.enn` files: an optional trailer after the data section holds a signature by a publisher's key over
 * the file's prefix (which contains the SHA-256 of every other byte). Layout and rules: docs/format.md,
 * "Signature trailer"; threat model: docs/security.md.
 *
 * Format layer: bytes in, bytes out. Uses only WebCrypto (`globalThis.crypto.subtle`: Node 20, Deno, Bun,
 * workerd, browsers on secure origins). ECDSA P-256 with SHA-256 works everywhere; Ed25519 where the runtime's
 * WebCrypto has it (see `ed25519Supported`).
 *
 * @example
 * ```ts
 * const { publicKey, privateKey } = await generateSigningKey();      // PEM strings
 * const signed = await signEnn(bytes, privateKey);                   // a new Uint8Array with the trailer
 * const { ok, keyId } = await verifyEnn(signed, publicKey);           // ok === true
 * const session = await load(signed, { verify: publicKey });         // refuses anything else
 * ```
 */
import { EdgennError } from "../errors.js";
import { checkEnnEnvelope, toHex, ENN_MAGIC, ENN_PREFIX_BYTES, ENN_SIG_ALGORITHMS, ENN_SIG_FIXED_BYTES, ENN_SIG_MAGIC } from "./enn.js";

export type SigningAlgorithm = "ECDSA-P256" | "Ed25519";

export interface SigningKeyPair {
  /** SubjectPublicKeyInfo, PEM ("-----BEGIN PUBLIC KEY-----"): give it to whoever loads the models. */
  publicKey: string;
  /** PKCS #8, PEM ("-----BEGIN PRIVATE KEY-----"): keep it secret; it signs models. */
  privateKey: string;
  algorithm: SigningAlgorithm;
  /** SHA-256 of the public key's SPKI (DER), 64 lowercase hex digits: what a signed file names as its signer. */
  keyId: string;
}

export interface EnnVerifyResult {
  /** True only when the file is signed by one of the given keys and the signature matches. */
  ok: boolean;
  /** The signer's key id from the trailer (when the file is signed). */
  keyId?: string;
  /** The trailer's algorithm (when the file is signed). */
  algorithm?: string;
  /** The file's SHA-256 (the .enn checksum), hex. */
  checksum: string;
  /** Why ok is false, one line. */
  reason?: string;
}

const ALG_ID: Record<SigningAlgorithm, number> = { "ECDSA-P256": 1, Ed25519: 2 };
// DER encodings of the OIDs that tell the two key types apart.
const OID_ED25519 = [0x06, 0x03, 0x2b, 0x65, 0x70]; // 1.3.101.112
const OID_EC_PUBLIC_KEY = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]; // 1.2.840.10045.2.1
const OID_P256 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]; // 1.2.840.10045.3.1.7

function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!s) {
    throw new EdgennError("UNSUPPORTED", "WebCrypto (crypto.subtle) is not available here; browsers expose it only on secure (https) origins");
  }
  return s;
}

function params(alg: SigningAlgorithm): { key: EcKeyImportParams | Algorithm; sign: EcdsaParams | Algorithm } {
  return alg === "Ed25519"
    ? { key: { name: "Ed25519" }, sign: { name: "Ed25519" } }
    : { key: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" } };
}

let ed25519: Promise<boolean> | undefined;
/** Whether this runtime's WebCrypto signs and verifies Ed25519 (Node 20+, Deno, Bun, recent browsers, workerd). */
export function ed25519Supported(): Promise<boolean> {
  return (ed25519 ??= (async () => {
    try {
      await subtle().generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
      return true;
    } catch {
      return false;
    }
  })());
}

/** A fresh key pair as PEM strings. `alg` defaults to "ECDSA-P256" (supported by every WebCrypto). */
export async function generateSigningKey(alg: SigningAlgorithm = "ECDSA-P256"): Promise<SigningKeyPair> {
  if (alg !== "ECDSA-P256" && alg !== "Ed25519") {
    throw new EdgennError("BAD_INPUT", `generateSigningKey: algorithm must be "ECDSA-P256" or "Ed25519", got ${String(alg)}`);
  }
  if (alg === "Ed25519" && !(await ed25519Supported())) {
    throw new EdgennError("UNSUPPORTED", "this runtime's WebCrypto does not support Ed25519; use ECDSA-P256");
  }
  const pair = (await subtle().generateKey(params(alg).key, true, ["sign", "verify"])) as CryptoKeyPair;
  const spki = new Uint8Array(await subtle().exportKey("spki", pair.publicKey));
  const pkcs8 = new Uint8Array(await subtle().exportKey("pkcs8", pair.privateKey));
  return { publicKey: toPem("PUBLIC KEY", spki), privateKey: toPem("PRIVATE KEY", pkcs8), algorithm: alg, keyId: await keyIdOf(spki) };
}

/**
 * Signs `.enn` bytes: returns a new array, the file up to the end of its data section followed by a fresh
 * signature trailer (an existing trailer is replaced). The input is checked first (magic, lengths, checksum:
 * BAD_FILE) and never modified.
 */
export async function signEnn(bytes: Uint8Array, privateKeyPem: string): Promise<Uint8Array> {
  const env = checkEnnEnvelope(bytes);
  const { alg, der } = parseKey(privateKeyPem, "PRIVATE KEY", "signEnn");
  let key: CryptoKey;
  let spki: Uint8Array;
  try {
    // Extractable so that the public half (hence the key id) can be derived through JWK.
    key = await subtle().importKey("pkcs8", buf(der), params(alg).key, true, ["sign"]);
    const { d: _d, key_ops: _ops, ...pub } = (await subtle().exportKey("jwk", key)) as JsonWebKey;
    const publicKey = await subtle().importKey("jwk", { ...pub, ext: true }, params(alg).key, true, ["verify"]);
    spki = new Uint8Array(await subtle().exportKey("spki", publicKey));
  } catch (e) {
    if (e instanceof EdgennError) throw e;
    throw new EdgennError("BAD_INPUT", `signEnn: the private key could not be imported as ${alg} (${(e as Error).message})`);
  }
  const fixed = trailerFixedPart(ALG_ID[alg], 64, await keyIdBytes(spki));
  const signature = new Uint8Array(await subtle().sign(params(alg).sign, key, buf(message(fixed, env.bytes))));
  const out = new Uint8Array(env.dataEnd + fixed.length + signature.length);
  out.set(env.bytes.subarray(0, env.dataEnd), 0);
  out.set(fixed, env.dataEnd);
  out.set(signature, env.dataEnd + fixed.length);
  return out;
}

/**
 * Checks `.enn` bytes against one or more trusted public keys (SPKI PEM). A damaged file (bad magic, lengths or
 * checksum) throws EdgennError BAD_FILE; a signature problem (not signed, unknown signer, unsupported algorithm,
 * mismatch) returns `ok: false` with a one-line `reason`. Bad keys throw BAD_INPUT.
 */
export async function verifyEnn(bytes: Uint8Array, publicKeys: string | readonly string[]): Promise<EnnVerifyResult> {
  const env = checkEnnEnvelope(bytes);
  const checksum = toHex(env.checksum);
  const pems = typeof publicKeys === "string" ? [publicKeys] : Array.isArray(publicKeys) ? publicKeys : undefined;
  if (!pems || pems.length === 0) throw new EdgennError("BAD_INPUT", "verify: give at least one public key (SPKI PEM string)");
  const trusted = await Promise.all(
    pems.map(async (pem, i) => {
      const { alg, der } = parseKey(pem, "PUBLIC KEY", `verify: key #${i}`);
      return { alg, der, keyId: await keyIdOf(der) };
    }),
  );
  const sig = env.signature;
  if (!sig) return { ok: false, checksum, reason: "file is not signed (no signature trailer after the data section)" };
  const base = { keyId: sig.keyId, algorithm: sig.algorithm, checksum };
  const known = ENN_SIG_ALGORITHMS[sig.algorithmId];
  if (!known) return { ...base, ok: false, reason: `file is signed with algorithm id ${sig.algorithmId}, which this edgenn cannot verify` };
  const key = trusted.find((k) => k.keyId === sig.keyId);
  if (!key) {
    return { ...base, ok: false, reason: `file is signed by key ${sig.keyId}, which is not a trusted key (trusted: ${trusted.map((k) => k.keyId).join(", ")})` };
  }
  if (key.alg !== known.name) {
    return { ...base, ok: false, reason: `file says it is signed with ${known.name} by key ${sig.keyId}, but that key is an ${key.alg} key` };
  }
  if (key.alg === "Ed25519" && !(await ed25519Supported())) {
    return { ...base, ok: false, reason: "file is signed with Ed25519, which this runtime's WebCrypto does not support" };
  }
  let cryptoKey: CryptoKey;
  try {
    cryptoKey = await subtle().importKey("spki", buf(key.der), params(key.alg).key, false, ["verify"]);
  } catch (e) {
    throw new EdgennError("BAD_INPUT", `verify: public key ${key.keyId} could not be imported as ${key.alg} (${(e as Error).message})`);
  }
  const fixed = env.bytes.subarray(sig.offset, sig.offset + ENN_SIG_FIXED_BYTES);
  const good = await subtle().verify(params(key.alg).sign, cryptoKey, buf(sig.signature), buf(message(fixed, env.bytes)));
  if (!good) return { ...base, ok: false, reason: `signature by key ${sig.keyId} (${known.name}) does not match the file: the file or its signature was altered` };
  return { ...base, ok: true };
}

/** @internal verifyEnn for load(): the result when ok, else EdgennError BAD_SIGNATURE with the reason. */
export async function verifyEnnOrThrow(bytes: Uint8Array, publicKeys: string | readonly string[]): Promise<EnnVerifyResult> {
  if (bytes.length < 8 || ENN_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new EdgennError("BAD_SIGNATURE", "refusing to load the model: only .enn files can be signed, and this is not an .enn file (convert it to .enn, then sign it)");
  }
  const r = await verifyEnn(bytes, publicKeys);
  if (!r.ok) throw new EdgennError("BAD_SIGNATURE", `refusing to load the model: ${r.reason}`);
  return r;
}

/** The key id (SHA-256 of the SPKI DER, hex) of a public key PEM. */
export async function signingKeyId(publicKeyPem: string): Promise<string> {
  return keyIdOf(parseKey(publicKeyPem, "PUBLIC KEY", "signingKeyId").der);
}

// ---------------------------------------------------------------------------------------------------------

/** Trailer bytes [0, 48): magic, algorithm id (u16), reserved (u16 = 0), signature length (u32), key id. */
function trailerFixedPart(algorithmId: number, signatureLength: number, keyId: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENN_SIG_FIXED_BYTES);
  const view = new DataView(out.buffer);
  out.set(ENN_SIG_MAGIC, 0);
  view.setUint16(8, algorithmId, true);
  view.setUint32(12, signatureLength, true);
  out.set(keyId, 16);
  return out;
}

/** What is signed: the trailer's fixed part, then the file's 56-byte prefix (whose SHA-256 covers the rest). */
function message(fixed: Uint8Array, file: Uint8Array): Uint8Array {
  const m = new Uint8Array(ENN_SIG_FIXED_BYTES + ENN_PREFIX_BYTES);
  m.set(fixed, 0);
  m.set(file.subarray(0, ENN_PREFIX_BYTES), ENN_SIG_FIXED_BYTES);
  return m;
}

function parseKey(pem: string, label: "PUBLIC KEY" | "PRIVATE KEY", who: string): { alg: SigningAlgorithm; der: Uint8Array } {
  if (typeof pem !== "string") throw new EdgennError("BAD_INPUT", `${who}: expected a PEM string (-----BEGIN ${label}-----), got a ${typeof pem}`);
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  if (!m) {
    const other = /-----BEGIN ([A-Z ]+)-----/.exec(pem)?.[1];
    throw new EdgennError("BAD_INPUT", `${who}: expected a PEM ${label} (-----BEGIN ${label}-----)${other ? `, got a PEM ${other}` : ""}`);
  }
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(m[1].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch {
    throw new EdgennError("BAD_INPUT", `${who}: the PEM ${label} is not valid base64`);
  }
  // The AlgorithmIdentifier sits in the first 28 bytes of both SPKI and PKCS #8 for these key types.
  if (contains(der, OID_EC_PUBLIC_KEY)) {
    if (!contains(der, OID_P256)) throw new EdgennError("BAD_INPUT", `${who}: EC key on a curve other than P-256`);
    return { alg: "ECDSA-P256", der };
  }
  if (contains(der, OID_ED25519)) return { alg: "Ed25519", der };
  throw new EdgennError("BAD_INPUT", `${who}: the ${label} is neither an Ed25519 nor an ECDSA P-256 key`);
}

function contains(hay: Uint8Array, needle: readonly number[]): boolean {
  outer: for (let i = 0; i + needle.length <= Math.min(hay.length, 28); i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

async function keyIdBytes(spki: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest("SHA-256", buf(spki)));
}
async function keyIdOf(spki: Uint8Array): Promise<string> {
  return toHex(await keyIdBytes(spki));
}

function toPem(label: string, der: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < der.length; i++) bin += String.fromCharCode(der[i]);
  const b64 = btoa(bin).replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** A private ArrayBuffer copy of exactly `u` (WebCrypto takes BufferSource; also avoids SharedArrayBuffer views). */
function buf(u: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(u.length); // not u.slice(): Node's Buffer#slice is a view into a shared pool
  copy.set(u);
  return copy.buffer;
}

