/**
 * Conv (1-D and 2-D): stride, padding (explicit or SAME), dilation, groups, fused bias and activation.
 * Weights are ONNX-ordered [cout][cin/groups][kh][kw] and packed once per session: depthwise convs get
 * their own kernel, 3x3 stride-1 convs with enough channels run as Winograd F(4x4, 3x3), the rest as
 * im2col + GEMM (1x1 stride-1 convs skip the im2col).
 */
import { applyActivation, parseActivation } from "./activation.js";
import { as2d, groupsOf, joinImage, layoutOf, slidingWindow, splitImage } from "./geometry.js";
import { inLayout } from "./layout.js";
import { fail, need, sizeOf, type OpContext, type OpDef, type Step, type StepIO } from "./types.js";

function geometry(c: OpContext) {
  const layout = layoutOf(c);
  const x = splitImage(c, need(c, 0), layout);
  const w = c.consts[1];
  if (!w) throw fail(c, "the weights (input 1) must be a constant", "UNSUPPORTED");
  const groups = groupsOf(c);
  const r = x.spatial.length;
  if (w.shape.length !== r + 2) throw fail(c, `weights [${w.shape}] must have ${r + 2} dims for a ${r}-D conv`);
  const [cout, cinG] = w.shape;
  if (groups < 1 || x.ch % groups !== 0 || cout % groups !== 0) throw fail(c, `group ${groups} does not divide input channels ${x.ch} and output channels ${cout}`);
  if (cinG * groups !== x.ch) throw fail(c, `input has ${x.ch} channels, the weights expect ${cinG * groups}`, "BAD_INPUT");
  const b = c.consts[2];
  if (c.node.inputs[2] && !b) throw fail(c, "the bias (input 2) must be a constant", "UNSUPPORTED");
  if (b && sizeOf(b.shape) !== cout) throw fail(c, `bias has ${sizeOf(b.shape)} values for ${cout} output channels`);
  const win = slidingWindow(c, x.spatial, w.shape.slice(2));
  return { layout, x, cout, groups, win, depthwise: groups === x.ch && cout === x.ch && groups > 1 };
}

/**
 * Winograd where it wins: 3x3, stride 1, dilation 1, one group, WINO_MIN_CHANNELS or more in and out.
 * Decided from the weights only, never the image size: weights are packed once, by the first plan.
 */
const WINO_MIN_CHANNELS = 16;
function winograd(g: ReturnType<typeof geometry>): boolean {
  const { kernel, strides, dilations } = g.win;
  return g.groups === 1 && kernel.length === 2 && kernel.every((d) => d === 3) && strides.every((d) => d === 1) &&
    dilations.every((d) => d === 1) && g.x.ch >= WINO_MIN_CHANNELS && g.cout >= WINO_MIN_CHANNELS;
}

export const Conv: OpDef = {
  packed: [1, 2],
  infer(c) {
    const g = geometry(c);
    return [joinImage(g.x.n, g.cout, g.win.out, g.layout)];
  },
  prepare(c, _out, rt) {
    const g = geometry(c);
    const { layout, x, cout, groups, win, depthwise } = g;
    const kind = depthwise ? "dw" : winograd(g) ? "wino" : "gemm";
    const act = parseActivation(c);
    const [ih, iw] = as2d(x.spatial, 1), [oh, ow] = as2d(win.out, 1), [kh, kw] = as2d(win.kernel, 1);
    const [sh, sw] = as2d(win.strides, 1), [dh, dw] = as2d(win.dilations, 1);
    const [pt, pl] = as2d(win.padBegin, 0);
    const cin = x.ch, name = c.node.name, k = rt.k;
    const packed = rt.once(`conv:${name}`, () => {
      const size = kind === "dw" ? k.f32_dwconv2d_packed_size(kh, kw, cin)
        : kind === "wino" ? k.f32_conv2d_wino_packed_size(cin, cout) : k.f32_conv2d_packed_size(kh, kw, cin, cout, groups);
      const p = rt.mem.alloc(size * 4, `packed weights of '${name}'`);
      const [w, b] = rt.mem.stage([c.consts[1]!.data, c.consts[2]?.data], `weights of '${name}'`);
      if (kind === "dw") k.f32_dwconv2d_pack(kh, kw, cin, w, b, p);
      else if (kind === "wino") k.f32_conv2d_wino_pack(cin, cout, w, b, p);
      else k.f32_conv2d_pack(kh, kw, cin, cout, groups, w, b, p);
      return p;
    });
    const outCount = x.n * oh * ow * cout;
    const conv = {
      dw: (io: StepIO) => k.f32_dwconv2d(x.n, ih, iw, cin, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, io.inputs[0], packed, io.outputs[0], act.min, act.max),
      wino: (io: StepIO) => k.f32_conv2d_wino(x.n, ih, iw, cin, oh, ow, cout, pt, pl, io.inputs[0], packed, io.outputs[0], io.scratch, act.min, act.max),
      gemm: (io: StepIO) => k.f32_conv2d(x.n, ih, iw, cin, oh, ow, cout, kh, kw, sh, sw, dh, dw, pt, pl, groups, io.inputs[0], packed, io.outputs[0], io.scratch, act.min, act.max),
    }[kind];
    const step: Step = {
      scratch: 4 * (kind === "dw" ? 0 : kind === "wino" ? k.f32_conv2d_wino_scratch_size(cin, cout) : k.f32_conv2d_scratch_size(ow, kh, kw, cin, cout, groups)),
      run(io) {
        if (outCount === 0) return;
        conv(io);
        applyActivation(k, act, io.outputs[0], outCount);
      },
    };
    return inLayout(rt, layout, { n: x.n, c: cin, h: ih, w: iw }, { c: cout, h: oh, w: ow }, step);
  },
};
