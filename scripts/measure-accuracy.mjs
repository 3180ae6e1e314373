// Measures the error of the SIMD math approximations (assembly/math/) against f64 references, in both builds
// (SIMD-128 and relaxed SIMD, where madd fuses on FMA hardware). The numbers go into docs/accuracy.md and the
// comment above each function.
//
//   node scripts/measure-accuracy.mjs                 every function, dense sweeps (a few minutes)
//   node scripts/measure-accuracy.mjs exp sigmoid     only these
//   node scripts/measure-accuracy.mjs --step 1 exp    every f32 in the range (step = stride in bit patterns)
//
// Inputs are f32 bit patterns from 0 up to the range end, for each sign, taken every `step` patterns (odd steps
// hit every mantissa residue). The error of y against the exact value r (f64) is reported as
//   ulp = |y - r| / ulp_f32(r), ulp_f32(r) = 2^(max(floor(log2 |r|), -126) - 23)   (denormals: units of 2^-149)
//   rel = |y - r| / |r|, over results that are normal f32 (|r| >= 2^-126)
// Results that overflow f32 must be exactly +-Inf. Special inputs (+-0, +-Inf, NaN) are checked separately.
import asc from "assemblyscript/asc";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

// ---- f64 references ---------------------------------------------------------------------------------------
const SQRT_PI = Math.sqrt(Math.PI);
function erfSeries(x) { // |x| < 2.5: Taylor series, terms alternate; ~1e-15 relative
  const x2 = x * x;
  let term = x, sum = x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / SQRT_PI) * sum;
}
function erfcCF(x) { // x >= 2.5: continued fraction (modified Lentz)
  if (x === Infinity) return 0;
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  const tiny = 1e-300;
  let f = x, C = x, D = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    D = x + a * D; D = D === 0 ? tiny : D; D = 1 / D;
    C = x + a / C; C = C === 0 ? tiny : C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  // x^2 split exactly so exp(-x^2) keeps its relative accuracy
  const xh = Math.fround(x), xl = x - xh;
  return Math.exp(-xh * xh) * Math.exp(-(2 * xh * xl + xl * xl)) / (SQRT_PI * f);
}
export function erfc64(x) {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc64(-x);
  if (x < 2.5) return 1 - erfSeries(x);
  return erfcCF(x);
}
export function erf64(x) {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  const r = a < 2.5 ? erfSeries(a) : 1 - erfcCF(a);
  return x < 0 ? -r : r;
}
const sig64 = (x) => 1 / (1 + Math.exp(-x));

// name -> [reference, ranges to sweep [lo, hi], entry expression]
const FUNCS = {
  exp: { ref: Math.exp, range: [-104, 89], call: "exp_f32x4(v)", imp: "exp" },
  expm1: { ref: Math.expm1, range: [-18, 89], call: "expm1_f32x4(v)", imp: "exp" },
  sigmoid: { ref: sig64, range: [-110, 110], call: "sigmoid_f32x4(v)", imp: "activation" },
  tanh: { ref: Math.tanh, range: [-12, 12], call: "tanh_f32x4(v)", imp: "activation" },
  // silu has an absolute bound (x times the rational sigmoid), not an ulp one: test/kernels/math.spec.ts checks it.
  softplus: {
    ref: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
    range: [-110, 100], call: "softplus_f32x4(v)", imp: "activation",
  },
  elu: { ref: (x) => (x >= 0 ? x : Math.expm1(x)), range: [-20, 20], call: "elu_f32x4(v, f32x4.splat(1.0))", imp: "activation" },
  gelu_tanh: {
    // x * sigmoid(2u) == 0.5 x (1 + tanh(u)) exactly, without the cancellation of 1 + tanh(u) for u << 0
    ref: (x) => x * sig64(2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)),
    range: [-12, 1e4], call: "gelu_tanh_f32x4(v)", imp: "activation",
  },
  // gelu_tanh over x >= -1 only: further left, the f32 rounding of 2u (~2e-7 relative) is amplified by |2u|
  gelu_tanh_core: { ref: (x) => x * sig64(2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)), range: [-1, 1e4], call: "gelu_tanh_f32x4(v)", imp: "activation" },
  gelu: { ref: (x) => 0.5 * x * erfc64(-x / Math.SQRT2), range: [-15, 1e4], call: "gelu_f32x4(v)", imp: "erf" },
  erf: { ref: erf64, range: [-11, 11], call: "erf_f32x4(v)", imp: "erf" },
  erfc: { ref: erfc64, range: [-11, 11], call: "erfc_f32x4(v)", imp: "erf" },
  log: { ref: Math.log, range: [0, 3.4028234663852886e38], call: "log_f32x4(v)", imp: "log" },
};

// ---- build ------------------------------------------------------------------------------------------------
function entrySource() {
  const imports = {};
  for (const [name, f] of Object.entries(FUNCS)) (imports[f.imp] ??= new Set()).add(f.call.split("(")[0]);
  let src = "";
  for (const [file, names] of Object.entries(imports)) src += `import { ${[...names].join(", ")} } from "./assembly/math/${file}";\n`;
  for (const [name, f] of Object.entries(FUNCS)) {
    src += `export function m_${name}(x: usize, y: usize, n: i32): void {
  for (let i: usize = 0; i < (<usize>n << 2); i += 16) { const v = v128.load(x + i); v128.store(y + i, ${f.call}); }
}\n`;
  }
  return src;
}

async function build(relaxed) {
  const out = {};
  const { error, stderr } = await asc.main(
    ["measure_entry.ts", "--outFile", "m.wasm", "-O3", "--noAssert", "--runtime", "stub", "--enable", "simd",
      ...(relaxed ? ["--enable", "relaxed-simd"] : [])],
    {
      readFile(name, baseDir) {
        if (name === "measure_entry.ts") return entrySource();
        try { return readFileSync(join(root, baseDir, name), "utf8"); } catch { return null; }
      },
      writeFile(name, contents) { out[name] = contents; },
      listFiles() { return []; },
    },
  );
  if (error) throw new Error(`asc failed: ${error.message}\n${stderr.toString()}`);
  const { instance } = await WebAssembly.instantiate(out["m.wasm"], { env: { abort() { throw new Error("abort"); } } });
  return instance.exports;
}

// Node 20 compiles relaxed SIMD only behind a flag: rerun this script with it when needed.
async function buildRelaxedOrReexec() {
  try {
    return await build(true);
  } catch (e) {
    const flag = "--experimental-wasm-relaxed-simd";
    if (!(e instanceof WebAssembly.CompileError) || process.execArgv.includes(flag)) throw e;
    const r = spawnSync(process.execPath, [flag, ...process.argv.slice(1)], { stdio: "inherit" });
    process.exit(r.status ?? 1);
  }
}

// ---- sweep ------------------------------------------------------------------------------------------------
const CHUNK = 1 << 20;
const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const bitsOf = (x) => { f32[0] = x; return u32[0]; };
function ulpOf(r) {
  const a = Math.abs(r);
  const e = a === 0 ? -127 : Math.floor(Math.log2(a));
  return Math.pow(2, Math.max(e, -126) - 23);
}

function sweep(ex, name, step) {
  const { ref, range } = FUNCS[name];
  const fn = ex[`m_${name}`];
  const mem = ex.memory;
  const need = 2 * CHUNK * 4 + 65536;
  if (mem.buffer.byteLength < need) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
  const xPtr = 65536, yPtr = xPtr + CHUNK * 4;
  const st = { maxUlp: 0, atUlp: 0, maxRel: 0, atRel: 0, count: 0, bad: [] };
  const segments = [];
  if (range[1] > 0) segments.push([0, bitsOf(range[1]), 0]);
  if (range[0] < 0) segments.push([0, bitsOf(-range[0]), 0x80000000]);
  for (const [b0, b1, sign] of segments) {
    for (let b = b0; b <= b1;) {
      const X = new Uint32Array(mem.buffer, xPtr, CHUNK);
      let n = 0;
      for (; n < CHUNK && b <= b1; n++, b += step) X[n] = (b | sign) >>> 0;
      const n4 = (n + 3) & ~3;
      for (let i = n; i < n4; i++) X[i] = X[0];
      fn(xPtr, yPtr, n4);
      const XF = new Float32Array(mem.buffer, xPtr, n), YF = new Float32Array(mem.buffer, yPtr, n);
      for (let i = 0; i < n; i++) {
        const x = XF[i], y = YF[i], r = ref(x);
        st.count++;
        const fr = Math.fround(r);
        if (!Number.isFinite(fr) || Number.isNaN(y) || !Number.isFinite(y)) {
          if (!Object.is(y, fr) && !(Number.isNaN(y) && Number.isNaN(fr)) && st.bad.length < 10) st.bad.push([x, y, r]);
          continue;
        }
        const d = Math.abs(y - r);
        const u = d / ulpOf(r);
        if (u > st.maxUlp) { st.maxUlp = u; st.atUlp = x; }
        if (Math.abs(r) >= 1.1754943508222875e-38) {
          const rel = d / Math.abs(r);
          if (rel > st.maxRel) { st.maxRel = rel; st.atRel = x; }
        }
      }
    }
  }
  return st;
}

function specials(ex, name) {
  const { ref } = FUNCS[name];
  const fn = ex[`m_${name}`];
  const xs = [0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, 1e-40, -1e-40, 88, -88, 88.7, 89, -87.5, -104, 1e30, -1e30];
  const n4 = (xs.length + 3) & ~3;
  const X = new Float32Array(ex.memory.buffer, 65536, n4);
  X.fill(0); X.set(xs);
  fn(65536, 65536 + 4096, n4);
  const Y = new Float32Array(ex.memory.buffer, 65536 + 4096, n4);
  const out = [];
  xs.forEach((x0, i) => {
    const x = Math.fround(x0);
    let r = ref(x);
    if (["silu", "gelu", "gelu_tanh", "gelu_tanh_core"].includes(name) && x === -Infinity) r = -0; // limits
    const fr = Math.fround(r);
    const ok = Object.is(Y[i], fr) || (Number.isNaN(fr) && Number.isNaN(Y[i])) ||
      (Number.isFinite(fr) && Math.abs(Y[i] - r) <= 4 * ulpOf(r)) || (fr === 0 && Y[i] === 0);
    if (!ok) out.push(`${name}(${x}) = ${Y[i]}, expected ${fr}`);
  });
  return out;
}

// ---- main -------------------------------------------------------------------------------------------------
const args = process.argv.slice(2);
let step = 97;
const si = args.indexOf("--step");
if (si >= 0) { step = Number(args[si + 1]); args.splice(si, 2); }
const names = args.length ? args : Object.keys(FUNCS);
const builds = [["relaxed", await buildRelaxedOrReexec()], ["simd", await build(false)]].reverse();
const fmt = (v) => v.toPrecision(3);
for (const name of names) {
  if (!FUNCS[name]) throw new Error(`unknown function ${name}; known: ${Object.keys(FUNCS).join(" ")}`);
  for (const [bname, ex] of builds) {
    const t0 = Date.now();
    const st = sweep(ex, name, step);
    const sp = specials(ex, name);
    console.log(`${name.padEnd(10)} ${bname.padEnd(8)} [${FUNCS[name].range.join(", ")}] step ${step}: ` +
      `${st.count} points, max ${fmt(st.maxUlp)} ulp at x=${st.atUlp}, max rel ${fmt(st.maxRel)} at x=${st.atRel}` +
      `${st.bad.length ? `, OVERFLOW/NaN MISMATCH ${JSON.stringify(st.bad)}` : ""}` +
      `${sp.length ? `, SPECIALS: ${sp.join("; ")}` : ""} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
}
