/** Every op the runtime implements, by IR name. A smaller build can register fewer. */
import { Attention } from "./attention.js";
import { Conv } from "./conv.js";
import { ConvTranspose } from "./conv-transpose.js";
import { Dense } from "./dense.js";
import { binaryOps, softmaxOps, unaryOps } from "./eltwise.js";
import { Expand } from "./expand.js";
import { BatchNormalization } from "./norm.js";
import { poolOps } from "./pool.js";
import { reduceOps } from "./reduce.js";
import { Resize } from "./resize.js";
import { rnnOps } from "./rnn.js";
import { shapeOps } from "./shape.js";
import { Gather, LayerNormalization, MatMul } from "./transformer.js";
import type { OpDef } from "./types.js";

export const OPS: Readonly<Record<string, OpDef>> = Object.freeze({
  Dense, Conv, BatchNormalization, Expand, ConvTranspose, Resize,
  ...unaryOps, ...binaryOps, ...softmaxOps, ...poolOps, ...shapeOps, ...rnnOps, ...reduceOps,
  MatMul, Gather, LayerNormalization, Attention,
});
