/**
 * Showing an explanation: a map as RGBA pixels for a canvas (viridis or jet, with alpha), or as text for a
 * terminal (a sparkline for a sequence, bars for feature contributions). No dependencies: the pixels go
 * straight into `new ImageData(data, width, height)`; a PNG writer can take them as they are.
 */
import { EdgennError } from "../errors.js";

export type Colormap = "viridis" | "jet";

export interface OverlayOptions {
  /** "viridis" (default: perceptually uniform, readable in grey and by colour-blind readers) or "jet". */
  colormap?: Colormap;
  /** The values at the colour map's two ends (default: the map's smallest and largest). */
  range?: readonly [number, number];
  /** Opacity 0-1 for every pixel (default 0.5), or "value": transparent at the low end, opaque at the high end. */
  alpha?: number | "value";
  /** The picture's size, when larger than the map: a whole multiple of it (each map cell becomes a block). */
  width?: number;
  height?: number;
}

export interface RgbaImage { data: Uint8ClampedArray; width: number; height: number }
/** A map and its extent: an OcclusionResult, or any { map, shape } ([height, width], or [length] as one row). */
export interface MapLike { map: ArrayLike<number>; shape: readonly number[] }

const bad = (msg: string) => new EdgennError("BAD_INPUT", msg);

// matplotlib's viridis at 33 evenly spaced points (of its 256), as hex RGB; linear in between (within 2/255).
const VIRIDIS = "440154470d6048186a482374472d7b4537814240863e49893b528b375b8d33638d2f6b8e2c728e297a8e26828e23898e21918c1f978b1f9f8821a68527ad8131b57b3dbc744cc26c5cc8636ece5881d34d95d840aadc32c0df25d5e21aeae51afde725";
// matplotlib's jet: per channel, piecewise linear through (x, value) points.
const JET = [
  [[0, 0], [0.35, 0], [0.66, 1], [0.89, 1], [1, 0.5]],
  [[0, 0], [0.125, 0], [0.375, 1], [0.64, 1], [0.91, 0], [1, 0]],
  [[0, 0.5], [0.11, 1], [0.34, 1], [0.65, 0], [1, 0]],
];

/** The colour at t in [0, 1] as [r, g, b] bytes. */
export function colormap(name: Colormap, t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t));
  if (name === "viridis") {
    const knots = VIRIDIS.length / 6 - 1, k = Math.min(knots - 1, Math.floor(x * knots)), f = x * knots - k;
    const at = (i: number, c: number) => parseInt(VIRIDIS.slice(i * 6 + c * 2, i * 6 + c * 2 + 2), 16);
    return [0, 1, 2].map((c) => Math.round(at(k, c) + f * (at(k + 1, c) - at(k, c)))) as [number, number, number];
  }
  if (name === "jet") {
    return JET.map((pts) => {
      const j = pts.findIndex(([px]) => px >= x);
      if (j <= 0) return Math.round(pts[0][1] * 255);
      const [[x0, y0], [x1, y1]] = [pts[j - 1], pts[j]];
      return Math.round((y0 + ((x - x0) / (x1 - x0)) * (y1 - y0)) * 255);
    }) as [number, number, number];
  }
  throw bad(`unknown colour map '${name}' (viridis, jet)`);
}

function extent(map: MapLike): [number, number] {
  const { shape } = map;
  const n = shape.reduce((a, b) => a * b, 1);
  if ((shape.length !== 1 && shape.length !== 2) || !shape.every((d) => Number.isSafeInteger(d) && d > 0) || n !== map.map.length) {
    throw bad(`a map of ${map.map.length} values does not fit its shape [${shape}] ([height, width] or [length])`);
  }
  return shape.length === 2 ? [shape[0], shape[1]] : [1, shape[0]];
}

function rangeOf(values: ArrayLike<number>, range?: readonly [number, number]): [number, number] {
  if (range) return [range[0], range[1]];
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) { lo = Math.min(lo, values[i]); hi = Math.max(hi, values[i]); }
  return lo <= hi ? [lo, hi] : [0, 1];
}
const scaleTo = ([lo, hi]: [number, number]) => (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);

/**
 * The map as RGBA pixels (row-major, 4 bytes a pixel) for `new ImageData(data, width, height)`; NaN cells are
 * transparent. Draw it over the picture with drawImage from a second canvas (putImageData replaces, it does not
 * blend).
 */
export function toRgba(map: MapLike, options: OverlayOptions = {}): RgbaImage {
  const [h, w] = extent(map);
  const width = options.width ?? w, height = options.height ?? h;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width % w !== 0 || height % h !== 0) {
    throw bad(`the map [${map.shape}] does not fit a ${width}x${height} picture: the size must be a whole multiple of the map's (${w}x${h})`);
  }
  const alpha = options.alpha ?? 0.5;
  if (alpha !== "value" && !(alpha >= 0 && alpha <= 1)) throw bad(`alpha must be from 0 to 1 or "value", got ${alpha}`);
  const t = scaleTo(rangeOf(map.map, options.range));
  const cm = options.colormap ?? "viridis";
  colormap(cm, 0); // an unknown name fails here, before any work
  const data = new Uint8ClampedArray(width * height * 4);
  const [sy, sx] = [height / h, width / w];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = map.map[Math.floor(y / sy) * w + Math.floor(x / sx)];
      if (Number.isNaN(v)) continue;
      const o = (y * width + x) * 4;
      data.set(colormap(cm, t(v)), o);
      data[o + 3] = Math.round(255 * (alpha === "value" ? Math.min(1, Math.max(0, t(v))) : alpha));
    }
  }
  return { data, width, height };
}

const valuesOf = (v: ArrayLike<number> | MapLike): ArrayLike<number> => ("shape" in v && "map" in v && !Array.isArray(v) ? v.map : (v as ArrayLike<number>));

const SPARKS = "▁▂▃▄▅▆▇█";
const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/** One character per value, ▁ (smallest, or range[0]) to █ (largest): a sequence's map on one terminal line. */
export function sparkline(values: ArrayLike<number> | MapLike, range?: readonly [number, number]): string {
  const v = valuesOf(values);
  const t = scaleTo(rangeOf(v, range));
  return Array.from(v, (x) => (Number.isNaN(x) ? " " : SPARKS[Math.min(7, Math.max(0, Math.floor(t(x) * 8)))])).join("");
}

/** A horizontal bar of |value| / max of `width` cells, in eighths of a cell, padded to `width`. */
export function bar(value: number, max: number, width = 20): string {
  const eighths = max > 0 && Number.isFinite(value) ? Math.round(Math.min(1, Math.abs(value) / max) * width * 8) : 0;
  return ("█".repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]).padEnd(width);
}

export interface BarsOptions {
  /** A name per value (default: the index). */
  labels?: readonly string[];
  /** Only the `top` largest by magnitude (default: all), largest first. */
  top?: number;
  /** Cells for the largest bar (default 24). */
  width?: number;
  /** Decimals shown (default 3). */
  digits?: number;
}

/** One line per value: label, signed value, bar; largest magnitude first. For feature contributions in a script. */
export function bars(values: ArrayLike<number> | MapLike, options: BarsOptions = {}): string {
  const v = valuesOf(values);
  const labels = options.labels ?? Array.from(v, (_, i) => String(i));
  if (labels.length !== v.length) throw bad(`bars: ${labels.length} labels for ${v.length} values`);
  const order = Array.from(v, (_, i) => i).sort((a, b) => Math.abs(v[b]) - Math.abs(v[a])).slice(0, options.top ?? v.length);
  const max = Math.max(0, ...order.map((i) => Math.abs(v[i])));
  const pad = Math.max(...order.map((i) => labels[i].length));
  const digits = options.digits ?? 3;
  return order.map((i) => `${labels[i].padEnd(pad)}  ${v[i] < 0 ? "-" : "+"}${Math.abs(v[i]).toFixed(digits)}  ${bar(v[i], max, options.width ?? 24).trimEnd()}`).join("\n");
}
