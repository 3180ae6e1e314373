/**
 * Resize (ONNX Resize 10-19 and Upsample, imported to one form): `scales` or `sizes` for the listed `axes`
 * (default all), modes nearest / linear / cubic, every coordinate_transformation_mode, every nearest_mode
 * ("simple" is opset 10's and Upsample's rule), cubic_coeff_a, exclude_outside, tf_crop_and_resize's `roi` and
 * extrapolation_value, keep_aspect_ratio_policy. antialias is not supported.
 *
 * Coordinates, tap indices and weights follow onnxruntime's CPU kernel (upsamplebase.h, upsample.cc) operation
 * for operation in float32, so a nearest pick near a tie lands on the same pixel. Any layout: the two resized
 * axes are found from the shapes (NCHW images are planes of one channel, NHWC images have the channels
 * innermost), so the layout pass can move a Resize into an NHWC chain by relabelling its axes.
 */
import { EdgennError } from "../errors.js";
import type { Node } from "../ir/graph.js";
import { copyStep } from "./shape.js";
import { fail, ints, need, num, sizeOf, str, stridesOf, type OpContext, type OpDef, type Step } from "./types.js";

const f = Math.fround;
const MODES = ["nearest", "linear", "cubic"];
const TRANSFORMS = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize"];
const NEAREST = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple"];
const POLICIES = ["stretch", "not_larger", "not_smaller"];

function oneOf(c: OpContext, name: string, dflt: string, allowed: string[]): string {
  const v = str(c, name, dflt);
  if (!allowed.includes(v)) throw fail(c, `${name} '${v}' is not supported (${allowed.join(", ")})`, "UNSUPPORTED");
  return v;
}

/** The listed axes (normalised) and, per axis of the input, the scale and output size. */
function plan(c: OpContext) {
  const x = need(c, 0), rank = x.length;
  if (rank < 1) throw fail(c, "the input must have at least one dim", "BAD_INPUT");
  const axes = (ints(c, "axes") ?? x.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
  if (axes.some((a) => a < 0 || a >= rank) || new Set(axes).size !== axes.length) throw fail(c, `axes [${ints(c, "axes")}] do not fit rank ${rank}`);
  const scalesAttr = c.node.attrs.scales, sizes = ints(c, "sizes");
  const scales = x.map(() => 1), out = [...x];
  if (sizes) {
    if (scalesAttr !== undefined) throw fail(c, "only one of 'scales' and 'sizes' may be given");
    if (sizes.length !== axes.length || sizes.some((s) => s < 0)) throw fail(c, `sizes [${sizes}] must be ${axes.length} non-negative values, one per axis`);
    axes.forEach((a, j) => {
      if (x[a] === 0 && sizes[j] !== 0) throw fail(c, `cannot resize an empty axis ${a} to ${sizes[j]}`, "BAD_INPUT");
      out[a] = sizes[j];
      scales[a] = x[a] === 0 ? 1 : f(sizes[j] / x[a]);
    });
    const policy = oneOf(c, "keep_aspect_ratio_policy", "stretch", POLICIES);
    if (policy !== "stretch") {
      // One scale for every listed axis (the smallest or the largest), output = round(scale * input).
      const s = axes.map((a) => scales[a]).reduce((p, q) => (policy === "not_larger" ? Math.min(p, q) : Math.max(p, q)));
      for (const a of axes) { scales[a] = s; out[a] = Math.round(f(s * x[a])); }
    }
  } else {
    const list = Array.isArray(scalesAttr) ? (scalesAttr as unknown[]) : undefined;
    if (!list || list.length !== axes.length || !list.every((s) => typeof s === "number" && s > 0 && Number.isFinite(s))) {
      throw fail(c, `scales ${JSON.stringify(scalesAttr)} must be ${axes.length} positive numbers, one per axis (or give 'sizes')`);
    }
    axes.forEach((a, j) => {
      scales[a] = f(list[j] as number);
      out[a] = Math.floor(f(scales[a] * x[a]));
    });
  }
  return { x, out, scales, axes };
}

interface Params {
  mode: string; transform: string; nearest: string; a: number; exclude: boolean; extrapolate: boolean;
}

/** onnxruntime's GetOriginalCoordinateFromResizedCoordinate, in float32 (double where its C++ mixes in a double). */
function original(p: Params, o: number, scale: number, outLen: number, inLen: number, roiStart: number, roiEnd: number): number {
  switch (p.transform) {
    case "asymmetric": return f(o / scale);
    case "pytorch_half_pixel": return outLen > 1 ? f(f(f(o + 0.5) / scale) - 0.5) : 0;
    case "tf_half_pixel_for_nn": return f(f(o + 0.5) / scale);
    case "align_corners": return outLen === 1 ? 0 : f(f(o * (inLen - 1)) / (outLen - 1));
    case "tf_crop_and_resize":
      return outLen > 1
        ? f(f(roiStart * (inLen - 1)) + f(f(f(o * f(roiEnd - roiStart)) * (inLen - 1)) / (outLen - 1)))
        : f(0.5 * f(roiStart + roiEnd) * (inLen - 1));
    case "half_pixel_symmetric": {
      const adjustment = f(outLen / f(scale * inLen)), offset = f(f(inLen / 2) * f(1 - adjustment));
      return f(offset + (o + 0.5) / scale - 0.5);
    }
    default: return f(f(f(o + 0.5) / scale) - 0.5); // half_pixel
  }
}

/**
 * The input index nearest to coordinate v. onnxruntime (1.30, measured) takes a fraction within 1e-6 of one half
 * as a tie, so a coordinate like 3.4999998 (2 / f32(4/7)) rounds as 3.5 would.
 */
function nearestPixel(mode: string, v: number, down: boolean): number {
  switch (mode) {
    case "simple": return down ? Math.ceil(v) : Math.trunc(v);
    case "floor": return Math.floor(v);
    case "ceil": return Math.ceil(v);
  }
  const lo = Math.floor(v);
  if (Math.abs(f(v - lo) - 0.5) <= 1e-6) return mode === "round_prefer_ceil" ? lo + 1 : lo;
  return Math.round(v);
}

/** onnxruntime's GetCubicCoeffs in float32. */
function cubicCoeffs(s: number, a: number): number[] {
  const t = Math.abs(s), u = f(t + 1), v = f(1 - t), w = f(2 - t);
  const outer = (d: number) => f(f(f(f(f(f(a * d) - f(5 * a)) * d) + f(8 * a)) * d) - f(4 * a));
  const inner = (d: number) => f(f(f(f(f(f(a + 2) * d) - f(a + 3)) * d) * d) + 1);
  return [outer(u), inner(t), inner(v), outer(w)];
}

export interface AxisTable { taps: number; index: Int32Array; weight: Float32Array }

/** Taps per output before merging, by mode. */
const WIDTH: Record<string, number> = { nearest: 1, linear: 2, cubic: 4 };
/**
 * Longest output axis tap tables are made for: 2^24. For a 1-D resize the tables are several times the output's own
 * size, and they are made while planning, before the arena limit can refuse a hostile model's huge output.
 */
export const MAX_RESIZE_AXIS = 2 ** 24;

/** Taps of one axis: for each output, input indices and weights (index -1 in the first tap: extrapolate). */
export function axisTable(p: Params, inLen: number, outLen: number, scale: number, roiStart = 0, roiEnd = 1): AxisTable {
  const width = WIDTH[p.mode];
  const index = new Int32Array(outLen * width), weight = new Float32Array(outLen * width), count = new Uint8Array(outLen);
  const ri: number[] = [], rw: number[] = [];
  const clampIndex = (i: number) => Math.max(0, Math.min(inLen - 1, i));
  for (let o = 0; o < outLen; o++) {
    ri.length = rw.length = 0;
    // A scale of exactly 1 maps o to o, whatever the transformation (onnxruntime).
    const x = scale === 1 ? o : original(p, o, scale, outLen, inLen, roiStart, roiEnd);
    if (p.extrapolate && scale !== 1 && (x < 0 || x > inLen - 1)) {
      ri.push(-1); rw.push(0);
    } else if (p.mode === "nearest") {
      ri.push(clampIndex(nearestPixel(p.nearest, x, scale < 1))); rw.push(1);
    } else if (p.mode === "linear") {
      const v = f(Math.max(0, Math.min(x, inLen - 1)));
      const i1 = Math.min(Math.trunc(v), inLen - 1), i2 = Math.min(i1 + 1, inLen - 1);
      ri.push(i1, i2);
      if (i1 === i2) rw.push(0.5, 0.5);
      else rw.push(f(Math.abs(v - i2)), f(Math.abs(v - i1)));
    } else {
      const xi = Math.floor(x), coeffs = cubicCoeffs(f(x - xi), p.a);
      for (let t = 0; t < 4; t++) {
        const i = xi - 1 + t;
        ri.push(clampIndex(i));
        rw.push(p.exclude && (i < 0 || i >= inLen) ? 0 : coeffs[t]);
      }
      if (p.exclude) {
        const sum = rw.reduce((a, w) => f(a + w), 0);
        for (let t = 0; t < 4; t++) rw[t] = f(rw[t] / sum);
      }
    }
    // Taps of weight 0 go (linear at a whole coordinate, scale 1) and taps that read the same input (clamped at an
    // edge) become one.
    const base = o * width;
    let k = 0;
    for (let t = 0; t < ri.length; t++) {
      if (rw[t] === 0 && ri[t] >= 0) continue;
      let j = 0;
      while (j < k && index[base + j] !== ri[t]) j++;
      if (j < k) weight[base + j] = f(weight[base + j] + rw[t]);
      else { index[base + k] = ri[t]; weight[base + k] = rw[t]; k++; }
    }
    if (k === 0) { index[base] = ri[0]; weight[base] = 0; k = 1; }
    count[o] = k;
  }
  // Every output gets as many taps as the widest, padded with weight 0. One tap of weight 1 everywhere is a copy
  // (the kernel does not multiply), so a single tap of another weight keeps a second, empty one.
  let taps = Math.max(1, ...count);
  if (taps === 1 && weight.some((w, i) => i % width === 0 && index[i] >= 0 && w !== 1)) taps = 2;
  if (taps === width) return { taps, index, weight };
  const outIndex = new Int32Array(outLen * taps), outWeight = new Float32Array(outLen * taps);
  for (let o = 0; o < outLen; o++) {
    for (let t = 0; t < taps; t++) {
      const real = t < count[o], from = o * width + (real ? t : 0);
      outIndex[o * taps + t] = real ? index[from] : Math.max(0, index[from]);
      outWeight[o * taps + t] = real ? weight[from] : 0;
    }
  }
  return { taps, index: outIndex, weight: outWeight };
}

const identityTable = (n: number): AxisTable => ({ taps: 1, index: Int32Array.from({ length: n }, (_, i) => i), weight: new Float32Array(n).fill(1) });
const isIdentity = (t: AxisTable, inLen: number) => t.taps === 1 && t.index.length === inLen && t.index.every((v, i) => v === i);
/** The integer factor when every output reads input o / factor (nearest integer upsampling), else 0. */
function upsampleFactor(t: AxisTable, inLen: number): number {
  const out = t.index.length;
  if (t.taps !== 1 || inLen === 0 || out % inLen !== 0) return 0;
  const k = out / inLen;
  return t.index.every((v, o) => v === Math.floor(o / k)) ? k : 0;
}

function params(c: OpContext): Params {
  if (num(c, "antialias", 0) !== 0) throw fail(c, "antialias=1 is not supported", "UNSUPPORTED");
  const mode = oneOf(c, "mode", "nearest", MODES);
  const transform = oneOf(c, "coordinate_transformation_mode", "half_pixel", TRANSFORMS);
  const exclude = num(c, "exclude_outside", 0) !== 0;
  if (exclude && mode !== "cubic") throw fail(c, "exclude_outside=1 needs mode 'cubic'");
  return {
    mode, transform, exclude, extrapolate: transform === "tf_crop_and_resize",
    nearest: oneOf(c, "nearest_mode", "round_prefer_floor", NEAREST), a: f(num(c, "cubic_coeff_a", -0.75)),
  };
}

/** The tap tables of every axis, and the two adjacent axes (h, w) the kernel resizes; the others must be identity. */
function tables(c: OpContext) {
  const p = params(c);
  const { x, out, scales, axes } = plan(c);
  const rank = x.length;
  const roi = c.node.attrs.roi as number[] | undefined;
  if (p.extrapolate && (!Array.isArray(roi) || roi.length !== 2 * axes.length)) throw fail(c, `tf_crop_and_resize needs 'roi' with ${2 * axes.length} values (start and end per axis)`);
  const roiOf = (a: number): [number, number] => {
    const j = axes.indexOf(a);
    return p.extrapolate && j >= 0 ? [f(roi![j]), f(roi![axes.length + j])] : [0, 1];
  };
  const long = out.findIndex((d) => d > MAX_RESIZE_AXIS);
  if (long >= 0) throw new EdgennError("LIMIT", `node '${c.node.name}' (Resize): output axis ${long} of ${out[long]} is over ${MAX_RESIZE_AXIS}, the longest axis it resizes`);
  // onnxruntime copies the input when no dim changes size, whatever the mode.
  const same = out.every((d, i) => d === x[i]);
  const t = x.map((d, a) => (same ? identityTable(d) : axisTable(p, d, out[a], scales[a], ...roiOf(a))));
  const moved = t.flatMap((tab, a) => (isIdentity(tab, x[a]) ? [] : [a]));
  if (moved.length > 2 || (moved.length === 2 && moved[1] !== moved[0] + 1)) {
    throw fail(c, `resizes axes [${moved}] of [${x}]; only two adjacent axes (the spatial dims of an image) are supported`, "UNSUPPORTED");
  }
  const w = moved.length === 0 ? rank - 1 : moved.length === 2 ? moved[1] : moved[0] === rank - 1 ? moved[0] : moved[0] + 1;
  const h = w - 1;
  return { x, out, t, h, w };
}

export const Resize: OpDef = {
  infer: (c) => [plan(c).out],
  prepare(c, [out], rt) {
    const { x, t, h, w } = tables(c);
    const n = sizeOf(out);
    if (n === 0) return { scratch: 0, run() {} };
    const outer = sizeOf(x.slice(0, Math.max(h, 0))), ih = h >= 0 ? x[h] : 1, iw = x[w], ch = sizeOf(x.slice(w + 1));
    const ty = h >= 0 ? t[h] : identityTable(1), tx = t[w];
    const oh = ty.index.length / ty.taps, ow = tx.index.length / tx.taps;
    if (isIdentity(ty, ih) && isIdentity(tx, iw)) return copyStep(rt, out, stridesOf(x), stridesOf(out), 0, 0);
    const fy = upsampleFactor(ty, ih), fx = upsampleFactor(tx, iw);
    if (fy && fx) return { scratch: 0, run: (io) => rt.k.f32_upsample_nearest(outer, ih, iw, ch, fy, fx, io.inputs[0], io.outputs[0]) };
    const bits = (a: Float32Array) => Array.from(new Int32Array(a.buffer, a.byteOffset, a.length));
    const yi = rt.planInts(Array.from(ty.index)), yw = rt.planInts(bits(ty.weight));
    const xi = rt.planInts(Array.from(tx.index)), xw = rt.planInts(bits(tx.weight));
    const extrapolation = f(num(c, "extrapolation_value", 0));
    const step: Step = {
      scratch: ty.taps > 1 ? iw * ch * 4 : 0,
      run: (io) => rt.k.f32_resize2d(outer, ih, iw, ch, oh, ow, ty.taps, yi.ptr, yw.ptr, tx.taps, xi.ptr, xw.ptr, extrapolation,
        io.inputs[0], io.outputs[0], io.scratch),
    };
    return step;
  },
};

/**
 * The layout pass moves a Transpose with permutation `perm` from a Resize's input to its output: axis i of the
 * transposed input is axis perm[i] of the untransposed one, so each listed axis is relabelled (scales, sizes
 * and roi stay in the order of `axes`).
 */
export function relabelResizeAxes(n: Node, perm: number[]): void {
  const axes = Array.isArray(n.attrs.axes) ? (n.attrs.axes as number[]) : perm.map((_, i) => i);
  n.attrs.axes = axes.map((a) => perm[a < 0 ? a + perm.length : a]);
}
