/**
 * ConvTranspose (1-D and 2-D, ONNX semantics): strides, dilations, group, pads or auto_pad, output_padding and
 * output_shape. Weights are ONNX-ordered [cin][cout/group][kh][kw] and packed once per session (one GEMM panel
 * set per group and tap, assembly/conv/transpose.ts).
 */
import { as2d, groupsOf, joinImage, layoutOf, splitImage } from "./geometry.js";
import { inLayout } from "./layout.js";
import { fail, ints, need, sizeOf, str, type OpContext, type OpDef, type Step } from "./types.js";

/**
 * Output size and the pads that crop the full result, per spatial dim. With output_shape or SAME_* the pads
 * follow onnxruntime 1.30 (ConvTransposeAttributes): total = max(0, full - target), the odd pixel cropped at
 * the end, except at the start for SAME_LOWER; an output_shape up to a stride beyond the full result is extended
 * at the end with bias-only pixels.
 */
function transposedWindow(c: OpContext, spatial: number[], kernel: number[]) {
  const r = spatial.length;
  const strides = ints(c, "strides") ?? new Array(r).fill(1);
  const dilations = ints(c, "dilations") ?? new Array(r).fill(1);
  const outPad = ints(c, "output_padding") ?? new Array(r).fill(0);
  const pads = ints(c, "pads") ?? new Array(2 * r).fill(0);
  let target = ints(c, "output_shape");
  const autoPad = str(c, "auto_pad", "NOTSET");
  if (!["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].includes(autoPad)) throw fail(c, `auto_pad '${autoPad}' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID`);
  if (target && target.length === r + 2) target = target.slice(2);
  if (strides.length !== r || dilations.length !== r || outPad.length !== r || pads.length !== 2 * r || (target && target.length !== r)) {
    throw fail(c, `strides [${strides}], dilations [${dilations}], output_padding [${outPad}], pads [${pads}]${target ? `, output_shape [${target}]` : ""} do not fit ${r} spatial dims`);
  }
  if ([...strides, ...dilations].some((x) => x < 1)) throw fail(c, "strides and dilations must be >= 1");
  if (outPad.some((p, i) => p < 0 || p >= Math.max(strides[i], dilations[i]))) throw fail(c, `output_padding [${outPad}] must be >= 0 and below the stride or dilation`);
  const padBegin = autoPad === "VALID" ? new Array(r).fill(0) : pads.slice(0, r);
  const padEnd = autoPad === "VALID" ? new Array(r).fill(0) : pads.slice(r);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const full = (spatial[i] - 1) * strides[i] + outPad[i] + (kernel[i] - 1) * dilations[i] + 1;
    const want = target ? target[i] : autoPad.startsWith("SAME") ? spatial[i] * strides[i] : undefined;
    if (want !== undefined) {
      // Beyond the full result by less than a stride is output padding; further, onnxruntime refuses the shape.
      const span = (kernel[i] - 1) * dilations[i] + 1;
      if (want > full && Math.floor((want - span - outPad[i]) / strides[i]) + 1 !== spatial[i]) {
        throw fail(c, `output_shape [${target}] does not fit input size ${spatial[i]} along spatial dim ${i} (at most ${full + strides[i] - 1 - outPad[i]})`, "BAD_INPUT");
      }
      const total = Math.max(0, full - want), half = Math.floor(total / 2);
      padBegin[i] = autoPad === "SAME_LOWER" ? total - half : half;
      padEnd[i] = total - padBegin[i];
      out[i] = target ? want : full - total;
    } else {
      out[i] = full - padBegin[i] - padEnd[i];
    }
    if (out[i] < 1) throw fail(c, `output size ${out[i]} along spatial dim ${i} (input ${spatial[i]}, pads [${pads}]) is not positive`, "BAD_INPUT");
  }
  return { strides, dilations, padBegin, out };
}

function geometry(c: OpContext) {
  const layout = layoutOf(c);
  const x = splitImage(c, need(c, 0), layout);
  const w = c.consts[1];
  if (!w) throw fail(c, "the weights (input 1) must be a constant", "UNSUPPORTED");
  const r = x.spatial.length, groups = groupsOf(c);
  if (w.shape.length !== r + 2) throw fail(c, `weights [${w.shape}] must have ${r + 2} dims for a ${r}-D transposed conv`);
  const [cin, coutG] = w.shape;
  if (groups < 1 || cin % groups !== 0) throw fail(c, `group ${groups} does not divide the weights' ${cin} input channels`);
  if (cin !== x.ch) throw fail(c, `input has ${x.ch} channels, the weights expect ${cin}`, "BAD_INPUT");
  const cout = coutG * groups, kernel = w.shape.slice(2), bias = c.consts[2];
  if (c.node.inputs[2] && (!bias || sizeOf(bias.shape) !== cout)) {
    throw fail(c, `the bias (input 2) must be a constant of ${cout} values${bias ? `, got ${sizeOf(bias.shape)}` : ""}`, bias ? "BAD_GRAPH" : "UNSUPPORTED");
  }
  return { layout, x, cout, groups, kernel, win: transposedWindow(c, x.spatial, kernel) };
}

export const ConvTranspose: OpDef = {
  packed: [1, 2],
  infer: (c) => {
    const { x, cout, win, layout } = geometry(c);
    return [joinImage(x.n, cout, win.out, layout)];
  },
  prepare(c, _out, rt) {
    const { layout, x, cout, groups, kernel, win } = geometry(c);
    const [ih, iw] = as2d(x.spatial, 1), [oh, ow] = as2d(win.out, 1), [kh, kw] = as2d(kernel, 1);
    const [sh, sw] = as2d(win.strides, 1), [dh, dw] = as2d(win.dilations, 1), [pt, pl] = as2d(win.padBegin, 0);
    const cin = x.ch, name = c.node.name, k = rt.k;
    const packed = rt.once(`deconv:${name}`, () => {
      const p = rt.mem.alloc(k.f32_deconv2d_packed_size(kh, kw, cin, cout, groups) * 4, `packed weights of '${name}'`);
      const [w, b] = rt.mem.stage([c.consts[1]!.data, c.consts[2]?.data], `weights of '${name}'`);
      k.f32_deconv2d_pack(kh, kw, sh, sw, dh, dw, cin, cout, groups, w, b, p);
      return p;
    });
    const step: Step = {
      scratch: k.f32_deconv2d_scratch_size(kh, kw, cout, groups) * 4,
      run(io) {
        k.f32_deconv2d(x.n, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, dh, dw, pt, pl, groups, io.inputs[0], packed, io.outputs[0], io.scratch);
      },
    };
    return inLayout(rt, layout, { n: x.n, c: cin, h: ih, w: iw }, { c: cout, h: oh, w: ow }, step);
  },
};
