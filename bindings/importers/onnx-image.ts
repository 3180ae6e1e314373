/**
 * ONNX image ops of segmentation and detection heads:
 * - ConvTranspose (1-D, 2-D): constant weights and bias; attributes passed on to the IR op as they are.
 * - Resize (opset 10, 11-12, 13-17, 18-19) and Upsample (7-9): roi, scales and sizes must be constants; they
 *   become the IR Resize's attributes, in one form whatever the opset: `axes` (opset 18's, else absent = all),
 *   `scales` or `sizes` per listed axis, `roi` only for tf_crop_and_resize. Opset 10 and Upsample have no
 *   coordinate_transformation_mode or nearest_mode: asymmetric and onnxruntime's "simple" rounding.
 */
import type { AttrValue } from "../ir/graph.js";
import type { Ctx, H, Handler } from "./onnx.js";
import { DT } from "./onnx-tensor.js";

const has = (c: Ctx, k: string) => c.a.has(k);

/** A float constant input's values ([] for an absent input or an empty tensor), or undefined after a recorded problem. */
function floatsInput(c: Ctx, h: H, i: number, what: string): number[] | undefined {
  const x = c.ins[i] ?? "";
  if (!x) return [];
  const t = h.imp.tensor(x);
  if (!t) return void h.problem(`${what} (input ${i}, '${x}') must be a constant (it is computed at run time)`);
  if (t.type !== DT.FLOAT) return void h.problem(`${what} (input ${i}, '${x}') must be float32`);
  return Array.from(t.data);
}

function intsInput(c: Ctx, h: H, i: number, what: string): number[] | undefined {
  const x = c.ins[i] ?? "";
  if (!x) return [];
  const t = h.imp.tensor(x);
  if (!t) return void h.problem(`${what} (input ${i}, '${x}') must be a constant (it is computed at run time)`);
  if (t.type === DT.FLOAT) return void h.problem(`${what} (input ${i}, '${x}') must be an integer tensor`);
  return Array.from(t.data);
}

function resize(legacy: "upsample" | "resize"): Handler {
  return (c, h) => {
    const attrs: Record<string, AttrValue> = {};
    const mode = String(c.a.get("mode") ?? "nearest").toLowerCase();
    attrs.mode = mode === "bilinear" ? "linear" : mode === "bicubic" ? "cubic" : mode;
    let scales: number[] | undefined, sizes: number[] = [], roi: number[] = [];
    if (legacy === "upsample" || c.opset < 11) {
      // Upsample 7-8: scales attribute; Upsample 9 and Resize 10: scales input.
      if (legacy === "upsample" && c.opset < 9) {
        scales = c.a.get("scales");
        if (!scales) return h.problem("attribute 'scales' is required");
      } else {
        scales = floatsInput(c, h, 1, "scales");
        if (!scales) return;
      }
      attrs.coordinate_transformation_mode = "asymmetric";
      attrs.nearest_mode = "simple";
    } else {
      const r = floatsInput(c, h, 1, "roi"), s = floatsInput(c, h, 2, "scales"), z = intsInput(c, h, 3, "sizes");
      if (!r || !s || !z) return;
      [roi, scales, sizes] = [r, s, z];
      for (const k of ["coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside", "extrapolation_value", "antialias", "keep_aspect_ratio_policy", "axes"]) {
        if (has(c, k)) attrs[k] = c.a.get(k);
      }
    }
    if (scales.length && sizes.length) return h.problem("only one of scales and sizes may be given");
    if (!scales.length && !sizes.length) return h.problem("scales or sizes is required");
    if (scales.length) attrs.scales = scales;
    else attrs.sizes = sizes;
    if (attrs.coordinate_transformation_mode === "tf_crop_and_resize") attrs.roi = roi;
    h.imp.emitNode(c, "Resize", [c.ins[0]], [c.outs[0]], attrs);
  };
}

export const IMAGE: Record<string, Handler> = {
  Resize: resize("resize"),
  Upsample: resize("upsample"),
  ConvTranspose(c, h) {
    const w = h.imp.floatConst(c.ins[1]);
    if (!w) return h.problem(`the weights (input 1, '${c.ins[1]}') must be a float constant (initializer)`);
    if (w.shape.length !== 3 && w.shape.length !== 4) return h.problem(`${w.shape.length - 2}-D transposed convolution is not supported (1-D and 2-D)`);
    const b = c.ins[2] ?? "";
    if (b && !h.imp.isFloatConst(b)) return h.problem(`the bias (input 2, '${b}') must be a float constant`);
    const kernel: number[] | undefined = c.a.get("kernel_shape");
    if (kernel && kernel.some((k, i) => k !== w.shape[i + 2])) return h.problem(`kernel_shape [${kernel}] differs from the weights' [${w.shape.slice(2)}]`);
    const attrs: Record<string, AttrValue> = {};
    for (const k of ["strides", "pads", "auto_pad", "dilations", "group", "output_padding", "output_shape"]) if (has(c, k)) attrs[k] = c.a.get(k);
    h.imp.emitNode(c, "ConvTranspose", b ? [c.ins[0], c.ins[1], b] : [c.ins[0], c.ins[1]], [c.outs[0]], attrs);
  },
};

/** Inputs after the first are parameters read at import time (roi, scales, sizes), not float data. */
export const IMAGE_PARAM_INPUTS: Record<string, (opset: number) => number> = { Resize: () => 1, Upsample: () => 1 };
