/**
 * Expand: the input broadcast (NumPy rules, both ways as in ONNX) against the attribute `shape`: one strided copy
 * whose source strides are 0 along broadcast dims.
 */
import { broadcastShapes, broadcastStrides } from "./eltwise.js";
import { copyStep } from "./shape.js";
import { fail, ints, need, stridesOf, type OpContext, type OpDef } from "./types.js";

function target(c: OpContext): number[] {
  const shape = ints(c, "shape");
  if (!shape || shape.some((d) => d < 0)) throw fail(c, `attribute 'shape' must be a list of sizes, got ${JSON.stringify(shape)}`);
  return shape;
}

export const Expand: OpDef = {
  infer: (c) => [broadcastShapes(c, need(c, 0), target(c))],
  prepare: (c, [out], rt) => copyStep(rt, out, broadcastStrides(need(c, 0), out), stridesOf(out), 0, 0),
};
