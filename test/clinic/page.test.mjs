// examples/clinic/ in headless Chromium: each panel loads and runs, and the numbers it shows are Node's for the same
// model and input (examples/clinic/lib/ run here: bit for bit on the same kernel build); a changed choice, a pasted
// sequence, an uploaded DICOM file and the streamed ECG too; no network request once the models are loaded.
// Screenshots go to test/screenshots/clinic-*.png (not committed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatProbability } from "../../examples/shared/wdbc.mjs";
import { ensureClinic, FILES } from "../../scripts/clinic/make.mjs";
import { startServer } from "../browser/server.mjs";
import { withPage } from "../examples/chromium.mjs";
import { cases } from "../examples/reference.mjs";
import { assertClose, clinicReference } from "./reference.mjs";

const { assets } = ensureClinic();
const REPO = new URL("../../", import.meta.url);
const SHOTS = fileURLToPath(new URL("test/screenshots/", REPO));
const byId = new Map(cases().map((c) => [c.id, c]));

test("clinic page in Chromium: four panels give Node's numbers, no request after loading", { timeout: 300_000 }, async (t) => {
  assert.ok(existsSync(new URL("dist/bundle/edgenn.js", REPO)), "dist/bundle/edgenn.js is missing: run npm run build");
  mkdirSync(SHOTS, { recursive: true });
  const server = await startServer();
  try {
    await withPage(async (page, errors) => {
      await page.setViewportSize({ width: 1400, height: 1000 });
      const t0 = performance.now();
      await page.goto(`${server.url}examples/clinic/index.html`);
      const settled = (panel, state = "done") => page.waitForSelector(`#${panel}[data-state="${state}"]`, { timeout: 120_000 });
      await Promise.all([settled("tabular"), settled("dna"), settled("imaging"), settled("ecg", "ready")]);
      t.diagnostic(`all four panels answered (the ECG: ready to start) ${(performance.now() - t0).toFixed(0)} ms after navigation`);
      const loaded = await page.evaluate(() => window.clinic.timings); // ms since navigation, by the page's clock
      await page.waitForFunction(() => document.getElementById("requests").textContent === "0");
      const requests = []; // whatever the page asks the network for from now on
      page.on("request", (r) => requests.push(r.url()));
      const variant = (await page.textContent("#runtime")).match(/edgenn (\w+) build · 4 models loaded/)?.[1];
      assert.equal(variant, "relaxed", "Chromium has relaxed SIMD, and all four models loaded");
      const node = await clinicReference(variant);
      const results = (panel) => page.evaluate((p) => window.clinic[p], panel);
      const shot = (name, selector) => (selector ? page.locator(selector) : page).screenshot({ path: join(SHOTS, `clinic-${name}.png`), ...(selector ? {} : { fullPage: true }) });
      try {
        // ---- tabular: the default case, then another ----
        const tabular = async (id) => {
          const r = await results("tabular");
          assert.equal(r.case, id);
          const want = await node.tabular(byId.get(id).features);
          assertClose(r.probability, want.probability, node.exact, 1e-6, `tabular ${id} P`);
          assertClose(r.contributions, want.contributions.map((c) => c.contribution), node.exact, 1e-6, `tabular ${id} contributions`);
          assert.equal(await page.textContent("#tabular-probability"), formatProbability(r.probability));
          assert.equal(await page.textContent("#tabular-label"), want.label);
          assert.equal((await page.locator("#tabular-bars .row").first().textContent()).replace(/[+-]?\d\.\d+$/, ""), want.top[0].feature);
          return r;
        };
        const first = await tabular("wdbc-263");
        t.diagnostic(`tabular: wdbc-263 P(malignant) ${first.probability.toFixed(4)}, 30 contributions in ${first.ms.toFixed(1)} ms in the page; first answer ${loaded.tabular.toFixed(0)} ms after navigation`);
        await shot("tabular", "#tabular");
        await page.selectOption("#tabular-case", "wdbc-73");
        await page.waitForFunction(() => window.clinic.tabular.case === "wdbc-73" && document.getElementById("tabular").dataset.state === "done");
        await tabular("wdbc-73");

        // ---- DNA: the default held-out donor, then a pasted window (FASTA header, lower case, two lines) ----
        const dna = async (sequence) => {
          const r = await results("dna");
          assert.equal(r.sequence, sequence);
          const want = await node.dna(sequence);
          assertClose(r.probabilities, want.probabilities, node.exact, 1e-6, "dna probabilities");
          assertClose(r.importance, want.importance, node.exact, 1e-6, "dna importance");
          assert.equal(r.predicted, want.predicted);
          return r;
        };
        const donor = await dna((await results("dna")).sequence);
        const top3 = donor.importance.map((v, p) => [v, p]).sort((a, b) => b[0] - a[0]).slice(0, 3).map(([, p]) => p);
        assert.ok(top3.includes(30) && top3.includes(31), `the GT right after the junction are among the three most important bases (${top3})`);
        t.diagnostic(`dna: ${(await results("dna")).id} P(EI) ${donor.probabilities[0].toFixed(3)}, top bases ${top3}, in ${donor.ms.toFixed(1)} ms; first answer ${loaded.dna.toFixed(0)} ms after navigation`);
        await shot("dna", "#dna");
        const mutated = donor.sequence.slice(0, 31) + "A" + donor.sequence.slice(32); // GT → GA: no donor site
        await page.fill("#dna-sequence", `>edited window\n${mutated.slice(0, 30).toLowerCase()}\n${mutated.slice(30)}`);
        await page.waitForFunction((s) => window.clinic.dna.sequence === s && document.getElementById("dna").dataset.state === "done", mutated);
        const edited = await dna(mutated);
        assert.ok(edited.probabilities[0] < donor.probabilities[0], "without its GT, the window looks less like a donor");
        await page.fill("#dna-sequence", mutated.slice(1));
        await page.waitForSelector('#dna[data-state="invalid"]');
        assert.match(await page.textContent("#dna-timing"), /the model reads 60 bases; this is 59/);

        // ---- imaging: CT (default), MR, another finding's CAM, a new window, uploads ----
        const imaging = async (file, what) => {
          const r = await results("imaging");
          const want = await node.imaging(file, { window: r.window, target: r.target });
          assert.equal(r.target, want.target.index, `${what}: target`);
          assertClose(r.scores, want.scores, node.exact, 1e-4, `${what}: 14 probabilities`);
          assertClose(r.cam, want.features.map, node.exact, 1e-4 * Math.max(...want.features.map), `${what}: CAM`);
          const selected = await page.evaluate(() => [...document.querySelectorAll("#imaging-findings .row")].findIndex((row) => row.classList.contains("selected")));
          assert.equal(selected, r.target, `${what}: the CAM's finding is the one marked`);
          return r;
        };
        const ct = await imaging(FILES.ct, "CT");
        assert.equal(ct.target, ct.scores.indexOf(Math.max(...ct.scores)), "the CAM shows the most probable finding first");
        assert.deepEqual(ct.window, [40, 400], "CT without a window in the file: soft tissue");
        t.diagnostic(`imaging: CT_small.dcm, DenseNet-121 + CAM in ${ct.ms.toFixed(0)} ms (model loaded in ${ct.loadMs.toFixed(0)} ms); first answer ${loaded.imaging.toFixed(0)} ms after navigation`);
        await shot("imaging-ct", "#imaging");
        const waitImaging = (test) => page.waitForFunction(test, undefined, { timeout: 60_000 }).then(() => page.waitForSelector('#imaging[data-state="done"]'));
        await page.selectOption("#imaging-file", `cache/${FILES.mr}`);
        await waitImaging(() => window.clinic.imaging.file === "MR_small.dcm");
        const mr = await imaging(FILES.mr, "MR");
        assert.deepEqual(mr.window, [600, 1600], "MR: the file's own window");
        await page.click("#imaging-findings .row:nth-child(2) span"); // Cardiomegaly's row
        await waitImaging(() => window.clinic.imaging.target === 1);
        await imaging(FILES.mr, "MR, Cardiomegaly's CAM");
        await shot("imaging-mr", "#imaging");
        await page.fill("#imaging-centre", "900");
        await page.dispatchEvent("#imaging-centre", "change");
        await waitImaging(() => window.clinic.imaging.window[0] === 900);
        await imaging(FILES.mr, "MR, window 900/1600");
        await page.setInputFiles("#imaging-upload", join(assets, FILES.waveform)); // a DICOM file, but not an image
        await page.waitForSelector('#imaging[data-state="invalid"]');
        assert.match(await page.textContent("#imaging-timing"), /no image .*is it a waveform/);
        await page.setInputFiles("#imaging-upload", join(assets, FILES.ct));
        await waitImaging(() => /yours/.test(window.clinic.imaging.file));
        await imaging(FILES.ct, "uploaded CT");

        // ---- ECG: stopped after a second and a half; then 10 s streamed at the pace it was recorded ----
        const nodeEcg = await node.ecg(100);
        await page.click("#ecg-start");
        await page.waitForTimeout(1_500);
        await page.click("#ecg-start"); // now "Stop"
        await page.waitForSelector('#ecg[data-state="done"]');
        const stopped = await results("ecg");
        assert.ok(stopped.stopped && stopped.logits.length >= 10 && stopped.logits.length < 100, `stopped after ${stopped.logits.length} chunks`);
        assertClose(stopped.logits, nodeEcg.slice(0, stopped.logits.length), node.exact, 1e-5, "ecg: the chunks before Stop");
        assert.match(await page.textContent("#ecg-timing"), /^Stopped after \d+ chunks/);
        const e0 = performance.now();
        await page.click("#ecg-start");
        await page.waitForSelector('#ecg[data-state="done"]', { timeout: 60_000 });
        const wall = performance.now() - e0;
        const ecg = await results("ecg");
        assert.deepEqual([ecg.stopped, ecg.chunk, ecg.logits.length], [false, 100, 100], "100 chunks of 100 samples");
        assertClose(ecg.logits, nodeEcg, node.exact, 1e-5, "ecg: every chunk's outputs, from a fresh stream");
        assert.ok(wall >= 9_900, `streamed at the recording's pace (${wall.toFixed(0)} ms for 10 s)`);
        assert.ok(ecg.maxLatenessMs < 2_000, `answers kept up (at most ${ecg.maxLatenessMs.toFixed(0)} ms late)`);
        t.diagnostic(`ecg: 100 chunks in ${wall.toFixed(0)} ms wall (real time), ${ecg.pushMs.toFixed(2)} ms per push (median), at most ${ecg.maxLatenessMs.toFixed(0)} ms behind its samples; panel ready ${loaded.ecg.toFixed(0)} ms after navigation`);
        await shot("ecg", "#ecg");
        await shot("page");
      } finally {
        node.dispose();
      }
      assert.equal(await page.textContent("#requests"), "0");
      assert.deepEqual(requests, [], "the page made network requests after loading");
      assert.deepEqual(errors, []);
    });
  } finally {
    await server.close();
  }
});
