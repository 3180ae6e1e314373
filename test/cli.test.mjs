// The CLI's model commands (inspect, run, bench, convert) on the default model, its TF.js copy and a real
// PyTorch export, compared with the library's own answers; bad input gives exit code 2 and one line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dump } from "npyjs";
import { load, readEnn, Tensor } from "../dist/index.js";
import { ensureModels, readNpy } from "../scripts/models.mjs";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const enn = fileURLToPath(new URL("../models/wdbc-mlp.enn", import.meta.url));
const tfjs = fileURLToPath(new URL("../models/wdbc-mlp.tfjs/model.json", import.meta.url));
const ref = JSON.parse(readFileSync(new URL("./models/wdbc-reference.json", import.meta.url), "utf8"));
const edgenn = (...args) => spawnSync(process.execPath, [...process.execArgv, cli, ...args], { encoding: "utf8" });
const ok = (r) => { assert.equal(r.status, 0, r.stderr); return r; };
const tmp = () => mkdtempSync(join(tmpdir(), "edgenn-cli-"));

test("inspect: inputs, outputs, parameters, FLOPs and memory of the default model (text and --json)", () => {
  const text = ok(edgenn("inspect", enn)).stdout;
  assert.match(text, /input +input: float32 \[batch,30\]/);
  assert.match(text, /4\.1 k parameters/); // 30·64+64 + 64·32+32 + 32+1 = 4,129
  const report = JSON.parse(ok(edgenn("inspect", enn, "--json")).stdout);
  assert.equal(report.parameters, 30 * 64 + 64 + 64 * 32 + 32 + 32 + 1);
  assert.equal(report.flops, 2 * (30 * 64 + 64 * 32 + 32)); // batch 1 (the symbolic dim), multiply-add = 2
  assert.equal(report.operators.Dense.count, 3);
  assert.equal(report.metadata.name, "wdbc-mlp");
  // --shape sets the symbolic batch: FLOPs scale with it.
  assert.equal(JSON.parse(ok(edgenn("inspect", enn, "--json", "--shape", "input=8,30")).stdout).flops, 8 * report.flops);
});

test("run: .npy in, .npy out (and JSON), equal to the library's answer for held-out cases", async () => {
  const dir = tmp();
  try {
    const x = Float32Array.from(ref.standardized_features.slice(0, 5).flat());
    writeFileSync(join(dir, "x.npy"), new Uint8Array(dump(x, [5, 30])));
    ok(edgenn("run", enn, "--input", `input=${join(dir, "x.npy")}`, "--output-dir", join(dir, "out")));
    const got = readNpy(join(dir, "out", "output.npy"));
    const session = await load(enn);
    const want = (await session.run({ input: new Tensor("float32", x, [5, 30]) })).output;
    assert.deepEqual(got.shape, [5, 1]);
    assert.deepEqual([...got.data], [...want.data]);
    writeFileSync(join(dir, "x.json"), JSON.stringify({ input: { dims: [5, 30], data: [...x] } }));
    const json = JSON.parse(ok(edgenn("run", enn, "--input", join(dir, "x.json"))).stdout);
    assert.deepEqual(json.output.data, [...want.data]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bench: prints latency percentiles and GFLOP/s", () => {
  const out = ok(edgenn("bench", enn, "--runs", "20", "--warmup", "2")).stdout;
  assert.match(out, /20 runs after 2 warm-up/);
  assert.match(out, /median [\d.]+ ms +p10 [\d.]+ +p90 [\d.]+/);
});

test("convert: TF.js model.json and a PyTorch ONNX export to .enn (f32 identical, --fp16 close and half the size)", async () => {
  const dir = tmp();
  try {
    ok(edgenn("convert", tfjs, "-o", join(dir, "mlp.enn")));
    const fromTfjs = await load(join(dir, "mlp.enn"));
    const x = new Tensor("float32", Float32Array.from(ref.standardized_features.flat()), [ref.standardized_features.length, 30]);
    const y = (await fromTfjs.run({ [fromTfjs.inputNames[0]]: x }))[fromTfjs.outputNames[0]].data;
    const want = (await (await load(tfjs)).run({ [fromTfjs.inputNames[0]]: x }))[fromTfjs.outputNames[0]].data;
    assert.deepEqual([...y], [...want]);

    const { dir: models, manifest } = ensureModels();
    const m = manifest.models.dna_cnn;
    const onnx = join(models, m.onnx);
    const r = ok(edgenn("convert", onnx, "-o", join(dir, "dna.enn"), "--check"));
    assert.match(r.stderr, /check 'output': max \|original - converted\| = 0\.00e\+0/);
    ok(edgenn("convert", onnx, "-o", join(dir, "dna16.enn"), "--fp16"));
    const [f32, f16] = ["dna.enn", "dna16.enn"].map((f) => readFileSync(join(dir, f)));
    assert.ok(f16.length < 0.6 * f32.length, `fp16 ${f16.length} vs f32 ${f32.length} bytes`);
    assert.equal(readEnn(f32).metadata.converted_from, m.onnx);
    const input = readNpy(join(models, m.inputs[0].file));
    const run = async (file) => (await (await load(file)).run({ input: new Tensor("float32", input.data, input.shape) })).output.data[0];
    const [a, b, c] = [await run(onnx), await run(join(dir, "dna.enn")), await run(join(dir, "dna16.enn"))];
    assert.equal(b, a);
    assert.ok(Math.abs(c - a) < 1e-2, `fp16 weights moved the score from ${a} to ${c}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad input: exit code 2 and one line naming the problem", () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, "bad.npy"), "\x93NUMPY garbage");
    const cases = [
      [["run", join(dir, "missing.enn"), "--input", "x=y.npy"], /could not read the model file .*missing\.enn: ENOENT/],
      [["run", enn, "--input", `input=${join(dir, "bad.npy")}`], /bad\.npy: not a readable \.npy file/],
      [["run", enn], /run needs --input/],
      [["bench", enn, "--runs", "0"], /--runs must be a whole number/],
      [["inspect", enn, "--shape", "input=a,b"], /--shape takes NAME=D,D/],
      [["convert", enn], /convert needs -o/],
      [["frobnicate", enn], /unknown command 'frobnicate'/],
      [["inspect", enn, "--no-such-flag"], /Unknown option '--no-such-flag'/],
    ];
    for (const [args, pattern] of cases) {
      const r = edgenn(...args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("check: a supported model is reported with its operators; an unsupported one lists every problem by node, exit 2", async () => {
  const { check } = await import("../dist/index.js");
  const ok = edgenn("check", enn);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /supported \(3 nodes: Dense 3\)/);
  // A model with two ops edgenn does not have: both named, with their nodes.
  const { model, node, valueInfo } = await import("./importers/onnx-build.mjs");
  const dir = tmp();
  const rec = join(dir, "two-unsupported.onnx");
  writeFileSync(rec, model({
    nodes: [node("Hardmax", ["x"], ["h"], {}, "my_hardmax"), node("Einsum", ["h", "x"], ["y"], { equation: "ij,jk->ik" }, "my_einsum")],
    opset: 13, inputs: [valueInfo("x", [2, 2])], outputs: [valueInfo("y", [2, 2])],
  }));
  const r = await check(rec);
  assert.equal(r.ok, false);
  assert.deepEqual(r.problems, ["Hardmax 'my_hardmax' (opset 13): op is not supported", "Einsum 'my_einsum' (opset 13): op is not supported"]);
  const bad = edgenn("check", rec);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, new RegExp(`${r.problems.length} problem\\(s\\)`));
});
