/** Output sizes and padding of sliding windows (conv, pooling), ONNX rules: explicit pads or auto_pad, ceil mode. */
import { fail, ints, int, str, type OpContext } from "./types.js";

export interface Window {
  kernel: number[]; strides: number[]; dilations: number[];
  padBegin: number[]; padEnd: number[]; out: number[];
}

export type Layout = "NCHW" | "NHWC";
export function layoutOf(c: OpContext): Layout {
  const l = str(c, "layout", "NCHW");
  if (l !== "NCHW" && l !== "NHWC") throw fail(c, `layout '${l}' is not NCHW or NHWC`);
  return l;
}

/** Splits an image shape into batch, channels and spatial dims (1-D or 2-D), whatever the layout. */
export function splitImage(c: OpContext, shape: number[], layout: Layout): { n: number; ch: number; spatial: number[] } {
  if (shape.length !== 3 && shape.length !== 4) throw fail(c, `expected a 3-D or 4-D input (${layout}), got [${shape}]`, "BAD_INPUT");
  return layout === "NCHW"
    ? { n: shape[0], ch: shape[1], spatial: shape.slice(2) }
    : { n: shape[0], ch: shape[shape.length - 1], spatial: shape.slice(1, -1) };
}
export function joinImage(n: number, ch: number, spatial: number[], layout: Layout): number[] {
  return layout === "NCHW" ? [n, ch, ...spatial] : [n, ...spatial, ch];
}

export function slidingWindow(c: OpContext, spatial: number[], kernel: number[], ceilMode = false): Window {
  const r = spatial.length;
  const strides = ints(c, "strides") ?? new Array(r).fill(1);
  const dilations = ints(c, "dilations") ?? new Array(r).fill(1);
  const pads = ints(c, "pads") ?? new Array(2 * r).fill(0);
  const autoPad = str(c, "auto_pad", "NOTSET");
  if (kernel.length !== r || strides.length !== r || dilations.length !== r || pads.length !== 2 * r) {
    throw fail(c, `kernel [${kernel}], strides [${strides}], dilations [${dilations}] and pads [${pads}] do not fit ${r} spatial dims`);
  }
  if ([...kernel, ...strides, ...dilations].some((x) => x < 1)) throw fail(c, "kernel, strides and dilations must be >= 1");
  if (pads.some((p) => p < 0)) throw fail(c, `pads [${pads}] must be >= 0`);
  const padBegin = pads.slice(0, r), padEnd = pads.slice(r), out: number[] = [];
  for (let i = 0; i < r; i++) {
    const span = dilations[i] * (kernel[i] - 1) + 1;
    if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
      out[i] = Math.ceil(spatial[i] / strides[i]);
      const total = Math.max(0, (out[i] - 1) * strides[i] + span - spatial[i]);
      padBegin[i] = autoPad === "SAME_UPPER" ? Math.floor(total / 2) : Math.ceil(total / 2);
      padEnd[i] = total - padBegin[i];
      continue;
    }
    if (autoPad === "VALID") { padBegin[i] = 0; padEnd[i] = 0; }
    else if (autoPad !== "NOTSET") throw fail(c, `auto_pad '${autoPad}' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID`);
    const room = spatial[i] + padBegin[i] + padEnd[i] - span;
    if (room < 0) throw fail(c, `window ${span} is larger than the padded input ${spatial[i] + padBegin[i] + padEnd[i]} (dim ${i})`, "BAD_INPUT");
    out[i] = (ceilMode ? Math.ceil(room / strides[i]) : Math.floor(room / strides[i])) + 1;
    // Ceil mode: the last window must start inside the input or its leading padding.
    if (ceilMode && (out[i] - 1) * strides[i] >= spatial[i] + padBegin[i]) out[i]--;
  }
  return { kernel, strides, dilations, padBegin, padEnd, out };
}

/** 1-D windows run on the 2-D kernels with height 1. */
export const as2d = (v: number[], one: number) => (v.length === 1 ? [one, v[0]] : v);
export const groupsOf = (c: OpContext) => int(c, "group", 1);
