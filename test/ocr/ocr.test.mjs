// PP-OCRv4 on edgenn (issue 13): the detector against onnxruntime-node on real pages, and two OCR libraries used
// unchanged with edgenn in onnxruntime's place: @gutenye/ocr-node (which imports onnxruntime-node itself; swapped by
// module resolution, as a package manager override would, test/ocr/swap.mjs) and paddleocr (which takes the
// runtime as its `ort` option). Pages: skimage's page.png and a page rendered here (test/ocr/images.mjs).
//
// - Detector: max |edgenn - ort| <= 1e-4 * max(1, max |ort|) over the probability map, and the same text mask
//   (probability > 0.3, the libraries' threshold) pixel for pixel.
// - Libraries: with the detector on edgenn and the recognizer on onnxruntime-node ("mixed"), and with edgenn
//   alone (the recognizer's attention and dynamic-width shape arithmetic imported per width), boxes and text must
//   equal the all-onnxruntime run exactly (@gutenye's line confidences within 1e-4).
// Times per page (median of repeated runs, in the test's diagnostics) are informational: nothing is asserted
// about them on a shared machine.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as ort from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";
import * as edgenn from "../../dist/index.js";
import { detInput, MODELS, pagePng, renderedPng, RENDERED_LINES } from "./images.mjs";
import { detBuffer, mixedOrt, paddleOcrPages, recBuffer } from "./paddleocr-app.mjs";

const run = promisify(execFile);
const DET = join(MODELS, "ch_PP-OCRv4_det_infer.onnx");
const REC = join(MODELS, "ch_PP-OCRv4_rec_infer.onnx");
const REPEAT = 3;
let pages;

before(async () => {
  pages = [pagePng(), await renderedPng(join(tmpdir(), `edgenn-ocr-${process.pid}`))];
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function timed(f, n = REPEAT) {
  let out = await f();
  const ms = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); out = await f(); ms.push(performance.now() - t); }
  return { out, ms: median(ms) };
}

const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test("PP-OCRv4 detector: imports and matches onnxruntime-node on real pages", async (t) => {
  const runtimes = [
    ["onnxruntime-node", ort, await ort.InferenceSession.create(DET)],
    ["onnxruntime-node 1 thread", ort, await ort.InferenceSession.create(DET, { intraOpNumThreads: 1, interOpNumThreads: 1 })],
    ["onnxruntime-web (wasm)", ortWeb, await ortWeb.InferenceSession.create(DET, { executionProviders: ["wasm"] })],
    ["edgenn", edgenn, await edgenn.InferenceSession.create(DET)],
  ];
  // onnxruntime without its graph optimizations (no fused BatchNorm/activations): how much onnxruntime itself moves.
  const plain = await ort.InferenceSession.create(DET, { intraOpNumThreads: 1, graphOptimizationLevel: "disabled" });
  try {
    for (const [file, scale] of [[pages[0], 1], [pages[0], 2], [pages[1], 1]]) {
      const x = await detInput(file, scale);
      const results = [];
      for (const [name, rt, s] of runtimes) {
        const r = await timed(() => s.run({ x: new rt.Tensor("float32", x.data, x.dims) }));
        results.push({ name, y: r.out[s.outputNames[0]], ms: r.ms });
      }
      const want = results[0].y, got = results.at(-1).y;
      assert.deepEqual([...got.dims], want.dims.map(Number), "output shape");
      const err = maxDiff(got.data, want.data), peak = want.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const own = maxDiff((await plain.run({ x: new ort.Tensor("float32", x.data, x.dims) }))[plain.outputNames[0]].data, want.data);
      let maskDiff = 0;
      for (let i = 0; i < want.data.length; i++) if ((got.data[i] > 0.3) !== (want.data[i] > 0.3)) maskDiff++;
      const label = `${file.split("/").at(-1)} [${x.dims}]`;
      t.diagnostic(`${label}: max |edgenn - ort| ${err.toExponential(2)} (max |ort| ${peak.toFixed(3)}; onnxruntime optimized vs not: ${own.toExponential(2)}); ` +
        `detector per page: ${results.map((r) => `${r.name} ${r.ms.toFixed(1)} ms`).join(", ")}`);
      // The scanned page meets 1e-4 * max(1, max |ort|). The rendered page (black on white) drives the head's
      // activations to ~2e4 before its BatchNorm, where float32 sums in another order move the map by ~1e-4:
      // there edgenn may differ by twice what onnxruntime's own graph optimizations change, if that is more.
      const bound = Math.max(1e-4 * Math.max(1, peak), file === pages[0] ? 0 : 2 * own);
      assert.ok(err <= bound, `${label}: max error ${err} over ${bound}`);
      assert.equal(maskDiff, 0, `${label}: text mask pixels that differ`);
    }
  } finally {
    for (const [, , s] of runtimes) await s.release();
    await plain.release();
  }
});

/** What keeps the recognizer out, as edgenn reports it (or undefined once it imports). */
async function recognizerRefusal() {
  try {
    const s = await edgenn.InferenceSession.create(REC);
    await s.release();
    return undefined;
  } catch (e) {
    return e;
  }
}

test("PP-OCRv4 recognizer: imports (attention, shape arithmetic on its dynamic width: imported per width)", async () => {
  const e = await recognizerRefusal();
  assert.equal(e, undefined, `the recognizer is refused: ${e?.message}`);
});

/** Runs test/ocr/gutenye-app.mjs on the pages under OCR_RUNTIME = mode; returns its JSON report. */
async function gutenye(mode) {
  const script = new URL("./gutenye-app.mjs", import.meta.url).pathname;
  const swap = new URL("./swap.mjs", import.meta.url).pathname;
  const { stdout } = await run(process.execPath, ["--import", swap, script, String(REPEAT), ...pages], {
    env: { ...process.env, OCR_RUNTIME: mode }, maxBuffer: 1 << 24,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1));
}

const gutenyeLines = (page) => page.lines.map((l) => ({ text: l.text, box: l.box, mean: l.mean }));

test("@gutenye/ocr-node unchanged: on edgenn (detector alone, and the whole pipeline) the same boxes and text as onnxruntime-node", async (t) => {
  const [ref, mixed, web, alone] = [await gutenye("ort"), await gutenye("mixed"), await gutenye("web"), await gutenye("edgenn")];
  for (const r of [ref, mixed, web]) assert.equal(r.error, undefined, `${r.runtime}: ${r.error?.message}`);
  ref.pages.forEach((page, i) => {
    assert.ok(page.lines.length > 0, `${page.file}: onnxruntime found text`);
    assert.deepEqual(gutenyeLines(mixed.pages[i]), gutenyeLines(page), `${page.file}: lines with the detector on edgenn`);
    const det = (r) => `${median(r.pages[i].runs.det).toFixed(1)} ms`;
    t.diagnostic(`${page.file.split("/").at(-1)}: ${page.lines.length} lines; ocr.detect() per page: onnxruntime-node ${page.ms.toFixed(0)} ms, ` +
      `edgenn detector + onnxruntime recognizer ${mixed.pages[i].ms.toFixed(0)} ms, onnxruntime-web ${web.pages[i].ms.toFixed(0)} ms; ` +
      `detector run: onnxruntime-node ${det(ref)}, edgenn ${det(mixed)}, onnxruntime-web ${det(web)}`);
  });
  // The rendered page's lines are read back word for word.
  assert.deepEqual(ref.pages[1].lines.map((l) => l.text.replace(/\.$/, "")), RENDERED_LINES.map((l) => l.replace(/\.$/, "")));
  // edgenn alone (detector and recogniser): the same text and boxes; the line confidences within 1e-4.
  assert.equal(alone.error, undefined, `edgenn alone: ${alone.error?.message}`);
  ref.pages.forEach((page, i) => {
    const [got, want] = [gutenyeLines(alone.pages[i]), gutenyeLines(page)];
    assert.deepEqual(got.map(({ text, box }) => ({ text, box })), want.map(({ text, box }) => ({ text, box })), `${page.file}: edgenn alone`);
    got.forEach((l, j) => assert.ok(Math.abs(l.mean - want[j].mean) <= 1e-4, `${page.file} line ${j}: confidence ${l.mean} vs ${want[j].mean}`));
    t.diagnostic(`${page.file.split("/").at(-1)}: edgenn alone ${alone.pages[i].ms.toFixed(0)} ms per page (onnxruntime-node ${page.ms.toFixed(0)} ms)`);
  });
});

const paddleLines = (page) => ({ text: page.text, boxes: page.results.map((r) => r.box) });

test("paddleocr unchanged ({ ort }): on edgenn (detector alone, and the whole pipeline) the same boxes and text as onnxruntime-node", async (t) => {
  const ref = await paddleOcrPages(ort, pages, REPEAT);
  const mixed = await paddleOcrPages(mixedOrt(edgenn, ort), pages, REPEAT);
  ref.forEach((page, i) => {
    assert.ok(page.results.length > 0, `${page.file}: onnxruntime found text`);
    assert.deepEqual(paddleLines(mixed[i]), paddleLines(page), `${page.file}: with the detector on edgenn`);
    t.diagnostic(`${page.file.split("/").at(-1)}: ${page.results.length} boxes; recognize() per page: onnxruntime-node ${page.ms.toFixed(0)} ms, edgenn detector + onnxruntime recognizer ${mixed[i].ms.toFixed(0)} ms`);
  });
  assert.equal(ref[1].text, RENDERED_LINES.join("\n"));
  // edgenn alone (detector and recogniser): the same text and boxes.
  const alone = await paddleOcrPages(edgenn, pages, 0);
  alone.forEach((page, i) => assert.deepEqual(paddleLines(page), paddleLines(ref[i]), `${page.file}: edgenn alone`));
  assert.ok(detBuffer.byteLength > 0 && recBuffer.byteLength > 0);
});
