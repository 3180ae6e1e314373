// Encrypted models (AES-256-GCM via WebCrypto): round trip, refusal of no key / wrong key / any altered byte,
// signatures checked inside the envelope, clear metadata authenticated, caller's bytes untouched, CLI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  EdgennError, Tensor, load, encryptModel, decryptModel, encryptedModelInfo, generateModelKey, isEncryptedModel, generateSigningKey, signEnn,
} from "../dist/index.js";
import { below } from "./prng.mjs";

const modelPath = fileURLToPath(new URL("../models/wdbc-mlp.enn", import.meta.url));
const model = new Uint8Array(readFileSync(modelPath));
const input = () => new Tensor("float32", Float32Array.from({ length: 30 }, (_, i) => Math.sin(i)), [1, 30]);
const score = async (src, opts) => (await (await load(src, opts)).run({ input: input() })).output.data[0];
const refused = (code, pattern) => (e) => {
  assert.ok(e instanceof EdgennError, String(e));
  assert.equal(e.code, code, e.message);
  if (pattern) assert.match(e.message, pattern);
  return true;
};

test("round trip: the encrypted model loads with its key (hex or bytes) and answers exactly as the original", async () => {
  const key = generateModelKey();
  const sealed = await encryptModel(model, key);
  assert.ok(isEncryptedModel(sealed));
  assert.equal(new TextDecoder("latin1").decode(sealed).includes("wdbc"), false, "no plaintext metadata leaks");
  const want = await score(model);
  assert.equal(await score(sealed, { decryptionKey: key }), want);
  const bytes = Uint8Array.from(key.match(/../g), (h) => parseInt(h, 16));
  assert.equal(await score(sealed, { decryptionKey: bytes }), want);
  assert.deepEqual(await decryptModel(sealed, key), model);
});

test("no key, the wrong key, a malformed key: BAD_KEY, nothing loaded", async () => {
  const sealed = await encryptModel(model, generateModelKey());
  await assert.rejects(load(sealed), refused("BAD_KEY", /the model is encrypted: pass its key/));
  await assert.rejects(load(sealed, { decryptionKey: generateModelKey() }), refused("BAD_KEY", /different key/));
  await assert.rejects(load(sealed, { decryptionKey: "abc" }), refused("BAD_KEY", /64 hex digits/));
  await assert.rejects(load(sealed, { decryptionKey: new Uint8Array(16) }), refused("BAD_KEY", /32 bytes/));
});

test("any altered or missing byte is refused (300 random damages), the caller's buffers are untouched", async () => {
  const key = generateModelKey();
  const sealed = await encryptModel(model, key, { name: "wdbc-mlp" });
  const keep = sealed.slice();
  const rand = below(77);
  for (let i = 0; i < 300; i++) {
    const bad = sealed.slice();
    if (i % 10 === 9) {
      await assert.rejects(load(bad.subarray(0, rand(bad.length)), { decryptionKey: key }), (e) => e instanceof EdgennError && ["BAD_FILE", "BAD_KEY"].includes(e.code));
      continue;
    }
    const at = i < 45 ? 8 + i : rand(bad.length); // the header and clear metadata first, then anywhere
    bad[at] ^= 1 + rand(255);
    await assert.rejects(load(bad, { decryptionKey: key }), (e) => e instanceof EdgennError && ["BAD_FILE", "BAD_KEY", "UNSUPPORTED"].includes(e.code), `byte ${at}`);
  }
  assert.deepEqual(sealed, keep);
});

test("clear metadata is readable without the key and cannot be changed", async () => {
  const key = generateModelKey();
  const sealed = await encryptModel(model, key, { name: "wdbc-mlp", version: "1.0.0" });
  assert.deepEqual(encryptedModelInfo(sealed), { name: "wdbc-mlp", version: "1.0.0" });
  const text = new TextDecoder("latin1").decode(sealed);
  const at = text.indexOf("1.0.0");
  const forged = sealed.slice();
  forged[at] = "2".charCodeAt(0); // same length, still JSON: only the tag can tell
  assert.deepEqual(encryptedModelInfo(forged).version, "2.0.0");
  await assert.rejects(load(forged, { decryptionKey: key }), refused("BAD_KEY", /altered or damaged/));
});

test("signed, then encrypted: the signature is checked on the decrypted file", async () => {
  const pair = await generateSigningKey("ECDSA-P256");
  const other = await generateSigningKey("ECDSA-P256");
  const key = generateModelKey();
  const sealed = await encryptModel(await signEnn(model, pair.privateKey), key);
  assert.equal(await score(sealed, { decryptionKey: key, verify: pair.publicKey }), await score(model));
  await assert.rejects(load(sealed, { decryptionKey: key, verify: other.publicKey }), refused("BAD_SIGNATURE"));
});

test("CLI: keygen --aes, encrypt --clear, inspect and run with --model-key", () => {
  const dir = mkdtempSync(join(tmpdir(), "edgenn-enc-"));
  const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
  const run = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });
  try {
    const keyFile = join(dir, "model.key"), out = join(dir, "m.enx");
    assert.equal(run("keygen", "--aes", "--out", keyFile).status, 0);
    assert.match(readFileSync(keyFile, "utf8"), /^[0-9a-f]{64}\n$/);
    assert.equal(run("keygen", "--aes", "--out", keyFile).status, 2, "never overwrites a key");
    const enc = run("encrypt", modelPath, "--model-key", keyFile, "-o", out, "--clear", "name,version");
    assert.equal(enc.status, 0, enc.stderr);
    const noKey = run("inspect", out);
    assert.equal(noKey.status, 2);
    assert.match(noKey.stderr, /the model is encrypted: pass its key/);
    const ok = run("inspect", out, "--model-key", keyFile);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /wdbc-mlp v1\.0\.0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
