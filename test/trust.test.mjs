// Trust: signed .enn files (ECDSA P-256, Ed25519), verify on load, memory wiping, audit events, CLI keygen/sign/verify.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  EdgennError, Tensor, load, readEnn, writeEnn, generateSigningKey, signEnn, verifyEnn, signingKeyId, ed25519Supported,
} from "../dist/index.js";

const modelUrl = new URL("../models/wdbc-mlp.enn", import.meta.url);
const modelBytes = new Uint8Array(readFileSync(modelUrl));
const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const input = (v = 0.25) => new Tensor("float32", new Float32Array(30).fill(v), [1, 30]);
const u32 = (b, at) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const dataEnd = (b) => Math.ceil((56 + u32(b, 12)) / 64) * 64 + u32(b, 16) + u32(b, 20) * 2 ** 32;
const isErr = (code, pattern) => (e) => {
  assert.ok(e instanceof EdgennError, String(e));
  assert.equal(e.code, code, e.message);
  if (pattern) assert.match(e.message, pattern);
  return true;
};

const algorithms = ["ECDSA-P256", "Ed25519"];
const keys = {};
const keyFor = async (alg) => (keys[alg] ??= await generateSigningKey(alg));

test("Ed25519 is available in this runtime's WebCrypto (Node 20+)", async () => {
  assert.equal(await ed25519Supported(), true);
});

for (const alg of algorithms) {
  test(`${alg}: keygen, sign, verify, load with verify; the trailer is as specified`, async (t) => {
    if (alg === "Ed25519" && !(await ed25519Supported())) return t.skip("no Ed25519 in this runtime");
    const k = await keyFor(alg);
    assert.match(k.publicKey, /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PUBLIC KEY-----\n$/);
    assert.match(k.privateKey, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(k.keyId, await signingKeyId(k.publicKey));
    assert.match(k.keyId, /^[0-9a-f]{64}$/);

    const before = modelBytes.slice();
    const signed = await signEnn(modelBytes, k.privateKey);
    assert.deepEqual(modelBytes, before, "input not modified");
    const end = dataEnd(modelBytes);
    assert.equal(end, modelBytes.length);
    assert.equal(signed.length, end + 48 + 64);
    assert.deepEqual(signed.subarray(0, end), modelBytes, "the file itself is unchanged, checksum included");
    const tr = signed.subarray(end);
    assert.deepEqual([...tr.subarray(0, 8)], [0x45, 0x4e, 0x4e, 0x53, 0x49, 0x47, 0x00, 0x01]);
    assert.equal(tr[8] | (tr[9] << 8), alg === "ECDSA-P256" ? 1 : 2);
    assert.equal(tr[10] | tr[11], 0);
    assert.equal(u32(tr, 12), 64);
    assert.equal(Buffer.from(tr.subarray(16, 48)).toString("hex"), k.keyId);

    const r = await verifyEnn(signed, k.publicKey);
    assert.deepEqual(r, { ok: true, keyId: k.keyId, algorithm: alg, checksum: readEnn(modelBytes).checksum });
    // A Node Buffer that is a view into a larger pool (readFileSync, Buffer#slice) verifies the same.
    const pooled = Buffer.concat([Buffer.alloc(7, 1), signed, Buffer.alloc(5, 2)]).subarray(7, 7 + signed.length);
    assert.equal((await verifyEnn(pooled, k.publicKey)).ok, true);
    assert.equal((await verifyEnn(await signEnn(pooled, k.privateKey), k.publicKey)).ok, true);
    // readEnn reports the trailer without verifying it.
    const file = readEnn(signed);
    assert.deepEqual(file.signature, { algorithm: alg, keyId: k.keyId, offset: end });
    assert.equal(file.checksum, readEnn(modelBytes).checksum);

    const s = await load(signed, { verify: k.publicKey });
    const plain = await load(modelBytes);
    assert.deepEqual((await s.run({ input: input() })).output.data, (await plain.run({ input: input() })).output.data);
    s.dispose();
    plain.dispose();
  });
}

test("a signed file loads fine without verify (the trailer is accepted)", async () => {
  const k = await keyFor("ECDSA-P256");
  const s = await load(await signEnn(modelBytes, k.privateKey));
  assert.equal(s.metadata.name, "wdbc-mlp");
  assert.equal((await s.run({ input: input() })).output.data.length, 1);
  s.dispose();
});

test("verify with several trusted keys: any of them may have signed", async () => {
  const [a, b] = [await keyFor("ECDSA-P256"), await keyFor("Ed25519")];
  const signed = await signEnn(modelBytes, b.privateKey);
  assert.equal((await verifyEnn(signed, [a.publicKey, b.publicKey])).ok, true);
  (await load(signed, { verify: [a.publicKey, b.publicKey] })).dispose();
});

test("tampering with any byte (prefix, header, data, trailer, signature) never loads with verify", async () => {
  for (const alg of algorithms) {
    const k = await keyFor(alg);
    const signed = await signEnn(modelBytes, k.privateKey);
    const end = dataEnd(signed);
    const headerEnd = 56 + u32(signed, 12);
    // Every byte of the prefix and the trailer, the header's first and last bytes, the padding, and a stride through the data.
    const positions = new Set();
    for (let i = 0; i < 56; i++) positions.add(i);
    for (let i = end; i < signed.length; i++) positions.add(i);
    for (const i of [56, 57, headerEnd - 1, headerEnd, end - 64, end - 1]) positions.add(i);
    for (let i = headerEnd; i < end; i += 61) positions.add(i);
    const codes = new Set();
    for (const at of positions) {
      for (const flip of [0x01, 0x80]) {
        const bad = signed.slice();
        bad[at] ^= flip;
        let code;
        await assert.rejects(load(bad, { verify: k.publicKey }), (e) => {
          assert.ok(e instanceof EdgennError, `byte ${at}: ${e}`);
          assert.ok(e.code === "BAD_SIGNATURE" || e.code === "BAD_FILE", `byte ${at}: ${e.code} ${e.message}`);
          code = e.code;
          return true;
        }, `byte ${at} ^ ${flip} loaded`);
        codes.add(code);
        // The region decides which check catches it.
        if (at >= 56 && at < end) assert.equal(code, "BAD_FILE", `byte ${at}: checksum`);
        if (at >= end + 48) assert.equal(code, "BAD_SIGNATURE", `byte ${at}: signature`);
        if (at >= end + 16 && at < end + 48) assert.equal(code, "BAD_SIGNATURE", `byte ${at}: key id`);
      }
    }
    assert.deepEqual([...codes].sort(), ["BAD_FILE", "BAD_SIGNATURE"]);
  }
});

test("a bad signature, a wrong key, an unsigned file: BAD_SIGNATURE with a clear message", async () => {
  const [a, b] = [await keyFor("ECDSA-P256"), await keyFor("Ed25519")];
  const signed = await signEnn(modelBytes, a.privateKey);
  const other = await generateSigningKey("ECDSA-P256");

  await assert.rejects(load(signed, { verify: other.publicKey }),
    isErr("BAD_SIGNATURE", new RegExp(`signed by key ${a.keyId}, which is not a trusted key \\(trusted: ${other.keyId}\\)`)));
  await assert.rejects(load(signed, { verify: [other.publicKey, b.publicKey] }), isErr("BAD_SIGNATURE", new RegExp(`${other.keyId}, ${b.keyId}`)));
  const r = await verifyEnn(signed, other.publicKey);
  assert.equal(r.ok, false);
  assert.equal(r.keyId, a.keyId);

  await assert.rejects(load(modelBytes, { verify: a.publicKey }), isErr("BAD_SIGNATURE", /not signed/));
  assert.equal((await verifyEnn(modelBytes, a.publicKey)).ok, false);

  const badSig = signed.slice();
  badSig[badSig.length - 1] ^= 1;
  await assert.rejects(load(badSig, { verify: a.publicKey }), isErr("BAD_SIGNATURE", /does not match the file/));

  // The trailer of one key's signature with another key's id: the algorithm check or the signature fails.
  const swapped = signed.slice();
  swapped.set(Buffer.from(b.keyId, "hex"), dataEnd(signed) + 16);
  await assert.rejects(load(swapped, { verify: b.publicKey }), isErr("BAD_SIGNATURE"));

  // Not an .enn file at all.
  await assert.rejects(load(new TextEncoder().encode('{"format":"layers-model"}'), { verify: a.publicKey }), isErr("BAD_SIGNATURE", /only \.enn files can be signed/));
  // A damaged but otherwise signed file: the checksum says so first.
  const damaged = signed.slice();
  damaged[200] ^= 4;
  await assert.rejects(load(damaged, { verify: a.publicKey }), isErr("BAD_FILE", /checksum mismatch/));
  // Keys of the wrong kind are a caller error.
  await assert.rejects(load(signed, { verify: a.privateKey }), isErr("BAD_INPUT", /PUBLIC KEY/));
  await assert.rejects(signEnn(modelBytes, a.publicKey), isErr("BAD_INPUT", /PRIVATE KEY/));
});

test("re-signing replaces the trailer (same size, new signer)", async () => {
  const [a, b] = [await keyFor("ECDSA-P256"), await keyFor("Ed25519")];
  const once = await signEnn(modelBytes, a.privateKey);
  const twice = await signEnn(once, b.privateKey);
  assert.equal(twice.length, once.length);
  assert.equal(readEnn(twice).signature.keyId, b.keyId);
  assert.equal((await verifyEnn(twice, b.publicKey)).ok, true);
  assert.equal((await verifyEnn(twice, a.publicKey)).ok, false);
  const again = await signEnn(twice, a.privateKey);
  assert.equal((await verifyEnn(again, a.publicKey)).ok, true);
});

test("readEnn: only a well-formed trailer may follow the data; anything else is still trailing data", async () => {
  const k = await keyFor("ECDSA-P256");
  const signed = await signEnn(modelBytes, k.privateKey);
  const end = dataEnd(signed);
  const bad = (bytes, pattern) => assert.throws(() => readEnn(bytes), isErr("BAD_FILE", pattern));
  // Garbage, and a trailer with a wrong magic.
  bad(Uint8Array.from([...modelBytes, 1, 2, 3]), /3 bytes of trailing data/);
  const wrongMagic = signed.slice();
  wrongMagic[end + 7] = 2;
  bad(wrongMagic, /112 bytes of trailing data/);
  // Right magic, wrong structure.
  bad(signed.slice(0, end + 20), /signature trailer at byte \d+ is truncated/);
  bad(signed.slice(0, signed.length - 1), /signature length 64 does not match the 63 bytes/);
  bad(Uint8Array.from([...signed, 0]), /signature length 64 does not match the 65 bytes/);
  const reserved = signed.slice();
  reserved[end + 10] = 1;
  bad(reserved, /reserved field/);
  // Two trailers: the second is part of the first's "signature", whose length then does not match.
  bad(Uint8Array.from([...signed, ...signed.subarray(end)]), /does not match/);
  // An unknown algorithm id is reported (a newer writer), not an error for a reader that does not verify.
  const unknown = signed.slice();
  unknown[end + 8] = 9;
  assert.equal(readEnn(unknown).signature.algorithm, "unknown-9");
  const r = await verifyEnn(unknown, k.publicKey);
  assert.equal(r.ok, false);
  assert.match(r.reason, /algorithm id 9/);
  // Tiny file from writeEnn: sign, read, the trailer is still the only extra.
  const tiny = writeEnn({ metadata: { name: "tiny" }, tensors: [{ name: "w", shape: [2], data: Float32Array.from([1, 2]) }] });
  const tinySigned = await signEnn(tiny, k.privateKey);
  assert.equal(readEnn(tinySigned).tensors.get("w").data[1], 2);
  assert.equal((await verifyEnn(tinySigned, k.publicKey)).ok, true);
});

test("wipe: the activation arena is zero after a run with wipe, and not without", async () => {
  const allZero = (mem, from, to) => new Uint8Array(mem.buffer, from, to - from).every((b) => b === 0);
  const plain = await load(modelBytes);
  await plain.run({ input: input(0.7) });
  let m = plain._wasmMemory;
  assert.ok(m.arenaBase > m.weightsBase);
  assert.equal(allZero(m.memory, m.arenaBase, m.memory.buffer.byteLength), false, "without wipe, activations remain");

  const wiped = await load(modelBytes, { wipe: true });
  const out = await wiped.run({ input: input(0.7) });
  assert.deepEqual(out.output.data, (await plain.run({ input: input(0.7) })).output.data, "results unchanged");
  m = wiped._wasmMemory;
  assert.equal(allZero(m.memory, m.arenaBase, m.memory.buffer.byteLength), true, "arena all zeros");
  assert.equal(allZero(m.memory, m.weightsBase, m.arenaBase), false, "weights kept");
  // Runs again fine after wiping, with another batch size too.
  wiped.runSync({ input: new Tensor("float32", new Float32Array(90).fill(0.3), [3, 30]) });
  assert.equal(allZero(m.memory, m.arenaBase, m.memory.buffer.byteLength), true);

  // Per run: { wipe: true } as run options, or in place of fetches.
  m = plain._wasmMemory;
  await plain.run({ input: input(0.7) }, undefined, { wipe: true });
  assert.equal(allZero(m.memory, m.arenaBase, m.memory.buffer.byteLength), true, "run(feeds, undefined, { wipe: true })");
  await plain.run({ input: input(0.7) });
  assert.equal(allZero(m.memory, m.arenaBase, m.memory.buffer.byteLength), false);
  const viaFetches = await plain.run({ input: input(0.7) }, { wipe: true });
  assert.deepEqual(Object.keys(viaFetches), ["output"]);
  assert.equal(allZero(m.memory, m.arenaBase, m.memory.buffer.byteLength), true, "run(feeds, { wipe: true })");
  // A failed run with wipe still wipes.
  await plain.run({ input: input(0.7) });
  assert.throws(() => plain.runSync({ input: new Tensor("float32", new Float32Array(29), [1, 29]) }, undefined, { wipe: true }));
  plain.dispose();
  wiped.dispose();
});

test("dispose zeroes the whole session memory, weights included", async () => {
  const s = await load(modelBytes);
  await s.run({ input: input(0.9) });
  const { memory } = s._wasmMemory;
  assert.ok(new Uint8Array(memory.buffer).some((b) => b !== 0));
  s.dispose();
  assert.equal(s._wasmMemory, undefined);
  assert.ok(new Uint8Array(memory.buffer).every((b) => b === 0), "every byte of the wasm memory is zero");
  await assert.rejects(s.run({ input: input() }), isErr("DISPOSED"));
});

test("onEvent: load, run and error events, with no input data in them", async () => {
  const k = await keyFor("Ed25519");
  const signed = await signEnn(modelBytes, k.privateKey);
  const events = [];
  const s = await load(signed, { verify: k.publicKey, onEvent: (e) => events.push(e) });
  const marker = 0.123456789;
  await s.run({ input: input(marker) });
  s.runSync({ input: new Tensor("float32", new Float32Array(60).fill(marker), [2, 30]) });
  assert.throws(() => s.runSync({ input: new Tensor("float32", new Float32Array(29).fill(marker), [1, 29]) }), isErr("BAD_INPUT"));

  assert.deepEqual(events.map((e) => e.type), ["load", "run", "run", "error"]);
  const [ld, r1, r2, err] = events;
  assert.equal(ld.name, "wdbc-mlp");
  assert.equal(typeof ld.version, "string");
  assert.equal(ld.sha256, readEnn(modelBytes).checksum);
  assert.equal(ld.signer, k.keyId);
  assert.equal(ld.algorithm, "Ed25519");
  assert.equal(ld.variant, s.variant);
  assert.ok(ld.ms >= 0);
  assert.deepEqual(r1.inputShapes, { input: [1, 30] });
  assert.deepEqual(r2.inputShapes, { input: [2, 30] });
  assert.equal(r1.variant, s.variant);
  assert.equal(r1.wiped, false);
  assert.ok(r1.ms >= 0);
  assert.equal(err.code, "BAD_INPUT");
  assert.equal(err.during, "run");
  // Plain objects, JSON-safe, and no data: neither the input values nor any output value.
  const text = events.map((e) => JSON.stringify(e)).join("\n");
  assert.deepEqual(events.map((e) => Object.getPrototypeOf(e)), events.map(() => Object.prototype));
  assert.ok(!text.includes("0.123"), text);
  const out = (await load(modelBytes)).runSync({ input: input(marker) }).output.data[0];
  assert.ok(!text.includes(String(out).slice(0, 6)), text);
  s.dispose();

  // Load errors: a bad signature, a damaged file; no load event.
  const failures = [];
  await assert.rejects(load(modelBytes, { verify: k.publicKey, onEvent: (e) => failures.push(e) }), isErr("BAD_SIGNATURE"));
  await assert.rejects(load(modelBytes.slice(0, 100), { onEvent: (e) => failures.push(e) }), isErr("BAD_FILE"));
  assert.deepEqual(failures.map((e) => [e.type, e.during, e.code]), [["error", "load", "BAD_SIGNATURE"], ["error", "load", "BAD_FILE"]]);
  assert.match(failures[0].message, /not signed/);
  // Unsigned, no verify: no signer in the load event.
  const ev = [];
  (await load(modelBytes, { onEvent: (e) => ev.push(e) })).dispose();
  assert.equal(ev[0].type, "load");
  assert.equal(ev[0].signer, undefined);
  assert.equal(ev[0].sha256, readEnn(modelBytes).checksum);
});

test("a throwing (or rejecting) onEvent never breaks loading or inference; warned once", async () => {
  const warnings = [];
  const warn = console.warn;
  console.warn = (...a) => warnings.push(a.join(" "));
  try {
    let calls = 0;
    const s = await load(modelBytes, { onEvent: () => { calls++; throw new Error("audit sink down"); } });
    for (let i = 0; i < 3; i++) assert.equal((await s.run({ input: input() })).output.data.length, 1);
    assert.throws(() => s.runSync({}), isErr("BAD_INPUT"), "the run's own error, not the handler's");
    assert.equal(calls, 5);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /onEvent handler threw \(audit sink down\)/);
    const r = await load(modelBytes, { wipe: true, onEvent: async () => { throw new Error("async sink down"); } });
    await r.run({ input: input() });
    await new Promise((res) => setTimeout(res, 10));
    assert.equal(warnings.length, 2);
    s.dispose();
    r.dispose();
  } finally {
    console.warn = warn;
  }
});

test("CLI: keygen, sign, verify round trip (and refusal) on a copy of models/wdbc-mlp.enn", async () => {
  const dir = mkdtempSync(join(tmpdir(), "edgenn-trust-"));
  try {
    const model = join(dir, "wdbc-mlp.enn");
    copyFileSync(modelUrl, model);
    const run = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: "utf8" });
    for (const alg of algorithms) {
      const keysDir = join(dir, alg);
      let r = run("keygen", "--alg", alg, "--out", keysDir);
      assert.equal(r.status, 0, r.stderr);
      if (process.platform !== "win32") assert.equal(statSync(join(keysDir, "private.pem")).mode & 0o777, 0o600);
      assert.match(readFileSync(join(keysDir, "public.pem"), "utf8"), /BEGIN PUBLIC KEY/);
      // Never overwrites a key.
      r = run("keygen", "--alg", alg, "--out", keysDir);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /could not write the keys/);

      const signedPath = join(dir, `signed-${alg}.enn`);
      r = run("sign", model, "--key", join(keysDir, "private.pem"), "-o", signedPath);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(new Uint8Array(readFileSync(model)), modelBytes, "-o leaves the input alone");
      r = run("verify", signedPath, "--key", join(keysDir, "public.pem"));
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`valid ${alg} signature by key [0-9a-f]{64}\\n$`));
      r = run("inspect", signedPath, "--json", "--key", join(keysDir, "public.pem"));
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).metadata.name, "wdbc-mlp");
    }
    // Wrong key, unsigned, tampered: exit 2 with one line.
    const wrong = run("verify", join(dir, "signed-ECDSA-P256.enn"), "--key", join(dir, "Ed25519", "public.pem"));
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /^edgenn: .*signed by key [0-9a-f]{64}, which is not a trusted key .*\n$/);
    assert.equal(wrong.stderr.trim().split("\n").length, 1);
    const unsigned = run("verify", model, "--key", join(dir, "Ed25519", "public.pem"));
    assert.equal(unsigned.status, 2);
    assert.match(unsigned.stderr, /not signed/);
    const tampered = new Uint8Array(readFileSync(join(dir, "signed-Ed25519.enn")));
    tampered[tampered.length - 5] ^= 1;
    writeFileSync(join(dir, "tampered.enn"), tampered);
    const t = run("verify", join(dir, "tampered.enn"), "--key", join(dir, "Ed25519", "public.pem"));
    assert.equal(t.status, 2);
    assert.match(t.stderr, /does not match the file/);
    const refused = run("info", join(dir, "tampered.enn"), "--key", join(dir, "Ed25519", "public.pem"));
    assert.equal(refused.status, 2);
    // In place (no -o), re-signing with another key.
    assert.equal(run("sign", model, "--key", join(dir, "ECDSA-P256", "private.pem")).status, 0);
    assert.equal(run("verify", model, "--key", join(dir, "ECDSA-P256", "public.pem")).status, 0);
    execFileSync(process.execPath, [cli, "sign", model, "--key", join(dir, "Ed25519", "private.pem")]);
    assert.equal(run("verify", model, "--key", join(dir, "ECDSA-P256", "public.pem")).status, 2);
    assert.equal(run("verify", model, "--key", join(dir, "ECDSA-P256", "public.pem"), "--key", join(dir, "Ed25519", "public.pem")).status, 0);
    assert.equal(readFileSync(model).length, modelBytes.length + 112);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
