// Debian's Chromium driven by playwright-core, as test/browser.test.mjs does: `withPage(fn)` gives fn a page and the
// errors it logged (see test/browser/browsers.mjs).
export { withChromium as withPage } from "../browser/browsers.mjs";
