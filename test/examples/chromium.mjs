// Debian's Chromium driven by playwright-core, as test/browser.test.mjs does (a fresh profile per launch: chromium.launch
// refuses --user-data-dir, see ../shared/runtimes.md). `withPage(fn)` gives fn a page and the errors it logged.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export async function withPage(fn) {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (as root; .ci/run does this)`);
  const profile = mkdtempSync(join(tmpdir(), "edgenn-example-chromium-"));
  try {
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 60_000 });
    try {
      const page = ctx.pages()[0] ?? await ctx.newPage();
      const errors = []; // a CSP violation is a console error too
      page.on("pageerror", (e) => errors.push(`pageerror: ${e}`));
      page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
      return await fn(page, errors);
    } finally {
      await ctx.close();
    }
  } finally {
    rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
  }
}
