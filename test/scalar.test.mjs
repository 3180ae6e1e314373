// The scalar (no-SIMD) build: the same exports as the SIMD builds, picked by the loader where the engine has no
// wasm SIMD, and the same answers as the SIMD builds on real models.
//
// Tolerance between builds: max |build - scalar| <= 2e-5 * max(1, max |scalar|) over each output. The scalar build
// computes its activations in f64 (exact to the f32 rounding), the SIMD builds use approximations (exp-based
// <= 2 ulp, rational tanh/sigmoid in the recurrent cells <= 3.8e-7 relative), Winograd (error <= 1.8e-6 of the
// largest |x * w| of a tile) and a different summation order; the relaxed build also fuses multiply-adds (one
// rounding instead of two), so none of them is bit-equal to the scalar build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { features, load, Tensor } from "../dist/index.js";
import { ensureModels, readNpy } from "../scripts/models.mjs";

const root = new URL("..", import.meta.url).pathname;
const wasm = (v) => readFileSync(join(root, `dist/wasm/edgenn-${v}.wasm`));
const BUILD_TOL = 2e-5;
/**
 * V8 without SSE4.1 has no wasm SIMD (validate() refuses the probes, compiling a SIMD build throws "Wasm SIMD
 * unsupported"), as on a CPU without it: a real engine without SIMD (npm run test:scalar runs under it too).
 */
const NO_SIMD_FLAG = "--no-enable-sse4-1";

/** Reads an unsigned LEB128: [value, next position]. */
function leb(b, p) {
  let v = 0, shift = 0, x;
  do { x = b[p++]; v += (x & 0x7f) * 2 ** shift; shift += 7; } while (x & 0x80);
  return [v, p];
}

const VALTYPE = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128" };

/** name -> "func(i32,f32):f32" / "memory" etc. for every export, read from the binary's type, function and export sections. */
function exportSignatures(bytes) {
  const types = [], funcTypes = [], exports = {};
  let imported = 0;
  for (let p = 8; p < bytes.length;) {
    const id = bytes[p];
    let size;
    [size, p] = leb(bytes, p + 1);
    const end = p + size;
    let n, q = p;
    if (id === 1 || id === 2 || id === 3 || id === 7) [n, q] = leb(bytes, q);
    if (id === 1) {
      for (let t = 0; t < n; t++) {
        q++; // 0x60
        const sides = [];
        for (let s = 0; s < 2; s++) {
          let c;
          [c, q] = leb(bytes, q);
          sides.push(Array.from(bytes.subarray(q, q + c), (v) => VALTYPE[v] ?? `0x${v.toString(16)}`));
          q += c;
        }
        types.push(`(${sides[0].join(",")}):${sides[1].join(",") || "void"}`);
      }
    } else if (id === 2) {
      assert.equal(n, 0, "the kernel builds import nothing");
    } else if (id === 3) {
      for (let f = 0; f < n; f++) { let t; [t, q] = leb(bytes, q); funcTypes.push(t); }
    } else if (id === 7) {
      for (let e = 0; e < n; e++) {
        let len, index;
        [len, q] = leb(bytes, q);
        const name = new TextDecoder().decode(bytes.subarray(q, q + len));
        q += len;
        const kind = bytes[q++];
        [index, q] = leb(bytes, q);
        exports[name] = kind === 0 ? `func${types[funcTypes[index - imported]]}` : ["func", "table", "memory", "global"][kind];
      }
    }
    p = end;
  }
  return exports;
}

test("the scalar build exports exactly the SIMD builds' functions, with the same signatures", () => {
  const simd = exportSignatures(wasm("simd")), relaxed = exportSignatures(wasm("relaxed")), scalar = exportSignatures(wasm("scalar"));
  assert.ok(Object.keys(simd).length > 40, `the simd build exports ${Object.keys(simd).length} names`);
  assert.deepEqual(relaxed, simd, "relaxed and simd builds export the same");
  const missing = Object.keys(simd).filter((n) => !(n in scalar));
  const extra = Object.keys(scalar).filter((n) => !(n in simd));
  assert.deepEqual(missing, [], `kernels without a scalar twin (add them to assembly/index-scalar.ts): ${missing.join(", ")}`);
  assert.deepEqual(extra, [], `scalar exports the SIMD builds lack: ${extra.join(", ")}`);
  for (const name of Object.keys(simd)) assert.equal(scalar[name], simd[name], `signature of ${name} (scalar vs simd)`);
});

/** Runs a script in a Node without wasm SIMD and returns its JSON output. */
function withoutSimd(script) {
  const out = execFileSync(process.execPath, [NO_SIMD_FLAG, "--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
  return JSON.parse(out);
}

test(`node ${NO_SIMD_FLAG} (no wasm SIMD) gets the scalar build by itself; forcing a SIMD build there is refused clearly`, () => {
  const r = withoutSimd(`
    import { load, features, EdgennError } from "./dist/index.js";
    import { readFileSync } from "node:fs";
    const out = { features: features() };
    const s = await load("models/wdbc-mlp.enn");
    out.variant = s.variant;
    for (const v of ["simd", "relaxed"]) {
      try { await load("models/wdbc-mlp.enn", { variant: v }); out[v] = "loaded"; } catch (e) { out[v] = e.code + ": " + e.message; }
    }
    try { new WebAssembly.Module(readFileSync("dist/wasm/edgenn-simd.wasm")); out.compile = "compiled"; } catch (e) { out.compile = e.message; }
    console.log(JSON.stringify(out));`);
  assert.deepEqual(r.features, { simd: false, relaxedSimd: false });
  assert.equal(r.variant, "scalar");
  assert.match(r.simd, /^UNSUPPORTED: .*no wasm SIMD/);
  assert.match(r.relaxed, /^UNSUPPORTED: .*relaxed SIMD/);
  assert.match(r.compile, /SIMD unsupported/, "this engine cannot compile the SIMD build");
});

test("backend is an alias of variant; unknown names are refused", async () => {
  const model = join(root, "models/wdbc-mlp.enn");
  const s = await load(model, { backend: "scalar" });
  assert.equal(s.variant, "scalar");
  s.dispose();
  const t = await load(model, { backend: "relaxed", variant: "scalar" });
  assert.equal(t.variant, "scalar", "variant wins over backend");
  t.dispose();
  await assert.rejects(load(model, { backend: "gpu" }), (e) => e.code === "BAD_INPUT" && /unknown kernel build 'gpu'/.test(e.message));
});

test("a scalar binary that is missing or broken is a clear error", async () => {
  const model = join(root, "models/wdbc-mlp.enn");
  await assert.rejects(load(model, { variant: "scalar", sources: { scalar: join(root, "no-such-edgenn-scalar.wasm") } }),
    (e) => e.code === "BAD_INPUT" && /could not read .*no-such-edgenn-scalar\.wasm/.test(e.message));
  await assert.rejects(load(model, { variant: "scalar", sources: { scalar: new Uint8Array([0, 97, 115, 109, 9]) } }),
    (e) => e.code === "UNSUPPORTED" && /could not compile the scalar kernel build/.test(e.message));
  await assert.rejects(load(model, { variant: "scalar", sources: { scalar: wasm("simd") } }),
    (e) => /the scalar kernel source holds the simd build|could not compile the scalar/.test(e.message));
});

// Each SIMD build this engine runs against the scalar build on the small real models (where the engine has no SIMD,
// npm run test:scalar compares the scalar build with onnxruntime instead).
const { dir, manifest } = ensureModels();
const f = features();
const builds = [...(f.simd ? ["simd"] : []), ...(f.relaxedSimd ? ["relaxed"] : [])];
const tensorOf = (i) => (i.data instanceof BigInt64Array ? new Tensor("int64", i.data, i.shape) : new Tensor("float32", i.data, i.shape));
for (const name of builds.length ? ["wdbc_mlp", "dna_cnn", "lstm_ecg", "bigru_ecg", "transformer_text", "squeezenet1_1"] : []) {
  test(`${name}: every supported build within ${BUILD_TOL} * max(1, max |scalar|) of the scalar build`, async () => {
    const m = manifest.models[name];
    const bytes = readFileSync(join(dir, m.onnx));
    const feeds = Object.fromEntries(m.inputs.map((i) => [i.name, tensorOf({ ...i, ...readNpy(join(dir, i.file)) })]));
    const run = async (variant) => {
      const s = await load(bytes, { format: "onnx", variant });
      try {
        assert.equal(s.variant, variant);
        return s.runSync(feeds)[s.outputNames[0]].data;
      } finally {
        s.dispose();
      }
    };
    const ref = await run("scalar");
    const peak = Math.max(1, ...Array.from(ref, Math.abs));
    for (const v of builds) {
      const got = await run(v);
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]));
      console.log(`  ${name.padEnd(18)} ${v.padEnd(8)} max |${v} - scalar| = ${err.toExponential(2)} (${(err / peak).toExponential(2)} of max(1, |scalar|))`);
      assert.ok(err <= BUILD_TOL * peak, `${name}: ${v} differs from scalar by ${err}`);
    }
  });
}

if (process.env.EDGENN_EXPECT_VARIANT === "scalar") {
  test("this run has no wasm SIMD (npm run test:scalar)", () => {
    assert.deepEqual(features(), { simd: false, relaxedSimd: false });
  });
}
