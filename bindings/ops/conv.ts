/**
 * Conv (1-D and 2-D): stride, padding (explicit or SAME), dilation, groups, fused bias and activation.
 * Weights are ONNX-ordered [cout][cin/groups][kh][kw] and packed once per session: depthwise convs get
 * their own kernel, stride-1 3x3 and 1-D convs with enough channels run as Winograd (F(4x4, 3x3), F(4, 3)),
 * the rest as im2col + GEMM (1x1 stride-1 convs skip the im2col).
 */
import { applyActivation, parseActivation, type Activation } from "./activation.js";
import type { KernelExports } from "../wasm/kernels.js";
import { as2d, groupsOf, joinImage, layoutOf, slidingWindow, splitImage } from "./geometry.js";
import { inLayout } from "./layout.js";
import { splitCall, type Part, type SplitCall } from "./parallel.js";
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
 * Winograd where it wins (bench/RESULTS.md): F(4x4, 3x3) for 3x3 kernels, F(4, 3) with the kernel split into
 * groups of 3 taps for 1 x kw kernels (kw >= 3; the rows of a 2-D image are independent signals when nothing
 * pads them vertically); stride 1, dilation 1, one group, and at least WINO_MIN channels: 3x3 measured >= 2x
 * faster from 8 -> 8 channels (break-even at 3-4), 1-D 1.2-1.5x from 4 -> 8. Decided from the weights and
 * attributes only, never the image size: weights are packed once, by the first plan (on images of 1-2 pixels
 * a 4x4 tile is mostly padding and im2col would be faster).
 */
const WINO_MIN = { cin3x3: 8, cin1d: 4, cout: 8 };
function winograd(g: ReturnType<typeof geometry>): "wino" | "wino1d" | undefined {
  const { kernel, strides, dilations, padBegin, padEnd } = g.win;
  if (g.groups !== 1 || g.cout < WINO_MIN.cout || !strides.every((d) => d === 1) || !dilations.every((d) => d === 1)) return undefined;
  const [kh, kw] = as2d(kernel, 1);
  if (kh === 3 && kw === 3 && g.x.ch >= WINO_MIN.cin3x3) return "wino";
  const vertical = kernel.length === 1 || (padBegin[0] === 0 && padEnd[0] === 0);
  if (kh === 1 && kw >= 3 && vertical && g.x.ch >= WINO_MIN.cin1d) return "wino1d";
  return undefined;
}

/**
 * The kernel family of a conv: packed weight and scratch sizes (floats), packing, and the call over a part of
 * the output (parallel.ts): whole images when the batch has several, else output rows (multiples of 4 for the
 * 4x4 Winograd tiles) with the input pointer and padding moved to those rows; for the 1-D Winograd, rows of n * h.
 */
interface ConvKernel { packedSize: number; scratch: number; pack(w: number, b: number, p: number): void; call(packed: number): Omit<SplitCall, "scratchBytes" | "flops"> }
function kernelFor(g: ReturnType<typeof geometry>, k: KernelExports, act: Activation, allowWinograd: boolean): ConvKernel {
  const { x, cout, groups, win } = g;
  const [ih, iw] = as2d(x.spatial, 1), [oh, ow] = as2d(win.out, 1), [kh, kw] = as2d(win.kernel, 1);
  const [sh, sw] = as2d(win.strides, 1), [dh, dw] = as2d(win.dilations, 1);
  const [pt, pl] = as2d(win.padBegin, 0);
  const cin = x.ch, n = x.n, lo = act.min, hi = act.max;
  // Output rows [u0, u1) of one image read input rows from u0 * sh - pt: the input pointer moves to the first
  // real row among them, the rest of the offset stays padding.
  const sub = ({ u0, u1 }: Part, io: StepIO) => {
    if (n > 1) return { n: u1 - u0, ih, oh, pt, x: io.inputs[0] + u0 * ih * iw * cin * 4, y: io.outputs[0] + u0 * oh * ow * cout * 4 };
    const first = Math.max(0, u0 * sh - pt);
    return { n: 1, ih: ih - first, oh: u1 - u0, pt: first - (u0 * sh - pt), x: io.inputs[0] + first * iw * cin * 4, y: io.outputs[0] + u0 * ow * cout * 4 };
  };
  const units = n > 1 ? n : oh;
  switch (g.depthwise ? "dw" : (allowWinograd && winograd(g)) || "gemm") {
    case "dw": return {
      packedSize: k.f32_dwconv2d_packed_size(kh, kw, cin), scratch: 0,
      pack: (w, b, p) => k.f32_dwconv2d_pack(kh, kw, cin, w, b, p),
      call: (p) => ({ fn: "f32_dwconv2d", units, args: (part, io) => { const s = sub(part, io); return [s.n, s.ih, iw, cin, s.oh, ow, kh, kw, sh, sw, dh, dw, s.pt, pl, s.x, p, s.y, lo, hi]; } }),
    };
    case "wino": return {
      packedSize: k.f32_conv2d_wino_packed_size(cin, cout), scratch: k.f32_conv2d_wino_scratch_size(cin, cout),
      pack: (w, b, p) => k.f32_conv2d_wino_pack(cin, cout, w, b, p),
      call: (p) => ({ fn: "f32_conv2d_wino", units, align: n > 1 ? 1 : 4, args: (part, io, scratch) => { const s = sub(part, io); return [s.n, s.ih, iw, cin, s.oh, ow, cout, s.pt, pl, s.x, p, s.y, scratch, lo, hi]; } }),
    };
    case "wino1d": return {
      packedSize: k.f32_conv1d_wino_packed_size(kw, cin, cout), scratch: k.f32_conv1d_wino_scratch_size(kw, cin, cout),
      pack: (w, b, p) => k.f32_conv1d_wino_pack(kw, cin, cout, w, b, p),
      call: (p) => ({ fn: "f32_conv1d_wino", units: n * ih, args: ({ u0, u1 }, io, scratch) => [u1 - u0, iw, cin, ow, cout, kw, pl, io.inputs[0] + u0 * iw * cin * 4, p, io.outputs[0] + u0 * ow * cout * 4, scratch, lo, hi] }),
    };
    case "gemm": return {
      packedSize: k.f32_conv2d_packed_size(kh, kw, cin, cout, groups), scratch: k.f32_conv2d_scratch_size(ow, kh, kw, cin, cout, groups),
      pack: (w, b, p) => k.f32_conv2d_pack(kh, kw, cin, cout, groups, w, b, p),
      call: (p) => ({ fn: "f32_conv2d", units, args: (part, io, scratch) => { const s = sub(part, io); return [s.n, s.ih, iw, cin, s.oh, ow, cout, kh, kw, sh, sw, dh, dw, s.pt, pl, groups, s.x, p, s.y, scratch, lo, hi]; } }),
    };
  }
}

export const Conv: OpDef = {
  packed: [1, 2],
  infer(c) {
    const g = geometry(c);
    return [joinImage(g.x.n, g.cout, g.win.out, g.layout)];
  },
  prepare(c, _out, rt) {
    const g = geometry(c);
    const { layout, x, cout, win } = g;
    const act = parseActivation(c);
    const kernel = kernelFor(g, rt.k, act, rt.options?.winograd !== false);
    const name = c.node.name;
    const packed = rt.once(`conv:${name}`, () => {
      const p = rt.mem.alloc(kernel.packedSize * 4, `packed weights of '${name}'`);
      const [w, b] = rt.mem.stage([c.consts[1]!.data, c.consts[2]?.data], `weights of '${name}'`);
      kernel.pack(w, b, p);
      return p;
    });
    const [ih, iw] = as2d(x.spatial, 1), [oh, ow] = as2d(win.out, 1);
    const outCount = x.n * oh * ow * cout;
    const k = rt.k;
    const flops = 2 * outCount * sizeOf(c.consts[1]!.shape.slice(1));
    const call = splitCall(rt, { ...kernel.call(packed), scratchBytes: 4 * kernel.scratch, flops });
    const step: Step = {
      scratch: call.scratch,
      run(io) {
        if (outCount === 0) return;
        call.run(io);
        applyActivation(k, act, io.outputs[0], outCount);
      },
    };
    return inLayout(rt, layout, { n: x.n, c: x.ch, h: ih, w: iw }, { c: cout, h: oh, w: ow }, step);
  },
};
