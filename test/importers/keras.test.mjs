// Keras native files (.keras, legacy .h5): the reader (bindings/importers/keras.ts) is UNTESTED AGAINST REAL KERAS
// OUTPUT — no TensorFlow/Keras exists here to write one, and a hand-made file would only test the reader against
// its own reading of the format. What is tested: files that are neither kind are refused, and without its optional
// zip/HDF5 packages (fflate, jsfive) the reader says which package to add.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EdgennError } from "../../dist/index.js";
import { importKeras } from "../../dist/importers/keras.js";

const installed = async (name) => import(name).then(() => true, () => false);

test("a file that is neither a .keras zip nor HDF5 is BAD_FILE", async () => {
  await assert.rejects(importKeras(new TextEncoder().encode('{"modelTopology": {}}')), (e) => e instanceof EdgennError && e.code === "BAD_FILE" && /neither a \.keras zip nor an HDF5/.test(e.message));
});

test("without fflate / jsfive the reader names the package to add", async (t) => {
  const zip = Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0), h5 = Uint8Array.of(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0);
  for (const [bytes, pkg] of [[zip, "fflate"], [h5, "jsfive"]]) {
    if (await installed(pkg)) { t.diagnostic(`${pkg} is installed: its absence cannot be tested here`); continue; }
    await assert.rejects(importKeras(bytes), (e) => e instanceof EdgennError && e.code === "UNSUPPORTED" && e.message.includes(`npm package '${pkg}'`));
  }
});
