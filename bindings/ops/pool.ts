/** Max and average pooling (1-D, 2-D; padding, dilation, ceil mode, count_include_pad) and global pooling. */
import { as2d, joinImage, layoutOf, slidingWindow, splitImage } from "./geometry.js";
import { inLayout } from "./layout.js";
import { fail, int, ints, need, type OpContext, type OpDef, type StepIO } from "./types.js";

function geometry(c: OpContext) {
  const layout = layoutOf(c);
  const x = splitImage(c, need(c, 0), layout);
  const kernel = ints(c, "kernel_shape");
  if (!kernel) throw fail(c, "attribute 'kernel_shape' is required");
  const win = slidingWindow(c, x.spatial, kernel, int(c, "ceil_mode", 0) === 1);
  return { layout, x, win };
}

function pool(kind: "max" | "avg"): OpDef {
  return {
    infer(c) {
      const { layout, x, win } = geometry(c);
      return [joinImage(x.n, x.ch, win.out, layout)];
    },
    prepare(c, _out, rt) {
      const { layout, x, win } = geometry(c);
      const [ih, iw] = as2d(x.spatial, 1), [oh, ow] = as2d(win.out, 1), [kh, kw] = as2d(win.kernel, 1);
      const [sh, sw] = as2d(win.strides, 1), [dh, dw] = as2d(win.dilations, 1);
      const [pt, pl] = as2d(win.padBegin, 0), [pb, pr] = as2d(win.padEnd, 0);
      if (kind === "avg" && (dh !== 1 || dw !== 1)) throw fail(c, "dilated average pooling is not supported", "UNSUPPORTED");
      const countPad = int(c, "count_include_pad", 0);
      const k = rt.k, n = x.n, ch = x.ch;
      const run = kind === "max"
        ? (io: StepIO) => k.f32_maxpool2d(n, ih, iw, ch, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, io.inputs[0], io.outputs[0])
        : (io: StepIO) => k.f32_avgpool2d(n, ih, iw, ch, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, countPad, io.inputs[0], io.outputs[0]);
      return inLayout(rt, layout, { n, c: ch, h: ih, w: iw }, { c: ch, h: oh, w: ow }, { scratch: 0, run });
    },
  };
}

function globalPool(kind: "max" | "avg"): OpDef {
  return {
    infer(c) {
      const layout = layoutOf(c);
      const x = splitImage(c, need(c, 0), layout);
      return [joinImage(x.n, x.ch, x.spatial.map(() => 1), layout)];
    },
    prepare(c, _out, rt) {
      const layout = layoutOf(c);
      const x = splitImage(c, need(c, 0), layout);
      const hw = x.spatial.reduce((a, b) => a * b, 1);
      const [h, w] = as2d(x.spatial, 1);
      const k = rt.k;
      const run = (io: StepIO) => (kind === "max" ? k.f32_global_maxpool : k.f32_global_avgpool)(x.n, hw, x.ch, io.inputs[0], io.outputs[0]);
      return inLayout(rt, layout, { n: x.n, c: x.ch, h, w }, { c: x.ch, h: 1, w: 1 }, { scratch: 0, run });
    },
  };
}

export const poolOps: Record<string, OpDef> = {
  MaxPool: pool("max"), AveragePool: pool("avg"),
  GlobalMaxPool: globalPool("max"), GlobalAveragePool: globalPool("avg"),
};
