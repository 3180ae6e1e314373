/**
 * Kernels compute on NHWC. An NCHW op (ONNX models) is wrapped: its input is copied to NHWC scratch and its
 * output copied back. A layout pass that keeps whole chains in NHWC is the planned optimisation; this keeps
 * every op correct on its own meanwhile.
 */
import type { Layout } from "./geometry.js";
import type { Runtime, Step, StepIO } from "./types.js";

/** Builds a copy between [n, c, h, w] (NCHW) and [n, h, w, c] (NHWC) for a 4-D image. */
function transposeCopy(rt: Runtime, n: number, c: number, h: number, w: number, toNHWC: boolean) {
  // Iterate in destination order; source strides follow the other layout.
  const nchw = [c * h * w, h * w, w, 1], nhwc = [h * w * c, 1, w * c, c];
  const shape = toNHWC ? [n, h, w, c] : [n, c, h, w];
  const src = toNHWC ? [nchw[0], nchw[2], nchw[3], nchw[1]] : [nhwc[0], nhwc[1], nhwc[2], nhwc[3]];
  const dst = toNHWC ? [h * w * c, w * c, c, 1] : [c * h * w, h * w, w, 1];
  const shapePtr = rt.planInts(shape);
  const srcPtr = rt.planInts(src);
  const dstPtr = rt.planInts(dst);
  return (from: number, to: number) => rt.k.copy_strided32(4, shapePtr.ptr, from, srcPtr.ptr, to, dstPtr.ptr);
}

/**
 * Wraps an NHWC step for the given layout. `inner` gets NHWC input/output pointers and its own scratch.
 * Singleton channel or spatial dims make both layouts the same bytes, so no copy is made then.
 */
export function inLayout(
  rt: Runtime, layout: Layout,
  input: { n: number; c: number; h: number; w: number }, output: { c: number; h: number; w: number },
  inner: Step,
): Step {
  const same = (c: number, h: number, w: number) => c === 1 || h * w === 1;
  if (layout === "NHWC" || (same(input.c, input.h, input.w) && same(output.c, output.h, output.w))) return inner;
  const inBytes = input.n * input.c * input.h * input.w * 4;
  const outBytes = input.n * output.c * output.h * output.w * 4;
  const toNHWC = transposeCopy(rt, input.n, input.c, input.h, input.w, true);
  const fromNHWC = transposeCopy(rt, input.n, output.c, output.h, output.w, false);
  return {
    scratch: inBytes + outBytes + inner.scratch,
    run(io: StepIO) {
      const x = io.scratch, y = io.scratch + inBytes;
      toNHWC(io.inputs[0], x);
      inner.run({ inputs: [x, ...io.inputs.slice(1)], outputs: [y], scratch: y + outBytes });
      fromNHWC(y, io.outputs[0]);
    },
  };
}
