// Debian's browsers, launched the one way that works offline here (../shared/runtimes.md): Chromium through
// playwright-core in a fresh profile (chromium.launch refuses --user-data-dir), Firefox ESR through puppeteer-core
// over WebDriver BiDi (playwright needs a patched Firefox). Used by the browser tests and by bench/runtimes.mjs.
// Each helper throws with the install command when the browser is missing, gives fn a page and the errors the page
// reported, and closes the browser (and deletes the profile) afterwards.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import puppeteer from "puppeteer-core";

export const CHROMIUM = "/usr/bin/chromium";
export const FIREFOX = "/usr/bin/firefox-esr";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Why `path` cannot be used (with the command that installs it), or undefined when it is there. */
export function missingBrowser(path) {
  if (existsSync(path)) return undefined;
  return `${path} is missing: install it with \`apt-get install -y ${path === FIREFOX ? "firefox-esr" : "chromium"}\` (as root; .ci/run does this)`;
}

function requireBrowser(path) {
  const why = missingBrowser(path);
  if (why) throw new Error(why);
}

/** fn(page, errors) in headless Chromium; errors collects uncaught page errors and console errors (CSP violations too). */
export async function withChromium(fn) {
  requireBrowser(CHROMIUM);
  const profile = mkdtempSync(join(tmpdir(), "edgenn-chromium-"));
  try {
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
    try {
      const page = ctx.pages()[0] ?? await ctx.newPage();
      const errors = [];
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

/** fn(page, errors) in headless Firefox ESR; errors collects uncaught page errors. */
export async function withFirefox(fn) {
  requireBrowser(FIREFOX);
  const browser = await puppeteer.launch({ browser: "firefox", executablePath: FIREFOX, headless: true, timeout: 90_000 });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(`pageerror: ${e}`));
    return await fn(page, errors);
  } finally {
    await browser.close();
  }
}
