/**
 * Dense (fully connected): y[..., N] = act(x[..., K] · W + b). W is a constant [K, N] (or [N, K] with
 * transposeW), packed once per session for the GEMM; the bias and a clamp activation ride in its epilogue.
 */
import { applyActivation, parseActivation } from "./activation.js";
import { splitCall } from "./parallel.js";
import { fail, need, sizeOf, type OpContext, type OpDef } from "./types.js";

/** Columns per panel of a packed GEMM B (assembly/gemm/gemm.ts NR). */
const PANEL = 8;

function weightGeometry(c: OpContext): { k: number; n: number; transposed: boolean } {
  const w = c.consts[1];
  if (!w) throw fail(c, "the weights (input 1) must be a constant", "UNSUPPORTED");
  if (w.shape.length !== 2) throw fail(c, `weights must be 2-D, got [${w.shape}]`);
  const transposed = c.node.attrs.transposeW === true;
  const [k, n] = transposed ? [w.shape[1], w.shape[0]] : w.shape;
  const b = c.consts[2];
  if (c.node.inputs[2] && !b) throw fail(c, "the bias (input 2) must be a constant", "UNSUPPORTED");
  if (b && sizeOf(b.shape) !== n) throw fail(c, `bias has ${sizeOf(b.shape)} values for ${n} outputs`);
  return { k, n, transposed };
}

export const Dense: OpDef = {
  packed: [1, 2],
  infer(c) {
    const x = need(c, 0);
    const { k, n } = weightGeometry(c);
    if (x.length < 1 || x[x.length - 1] !== k) throw fail(c, `input shape [${x}] does not end in ${k}, the weights' input size`, "BAD_INPUT");
    return [[...x.slice(0, -1), n]];
  },
  prepare(c, [out], rt) {
    const { k, n, transposed } = weightGeometry(c);
    const act = parseActivation(c);
    const packed = rt.once(`dense:${c.node.name}`, () => {
      const p = rt.mem.alloc(rt.k.f32_gemm_packed_size(k, n) * 4, `packed weights of '${c.node.name}'`);
      const [w, b] = rt.mem.stage([c.consts[1]!.data, c.consts[2]?.data], `weights of '${c.node.name}'`);
      rt.k.f32_gemm_pack(k, n, w, transposed ? 1 : n, transposed ? k : 1, b, p);
      return p;
    });
    const m = sizeOf(out) / n;
    // Split by the packed weights' panels of PANEL columns: each thread reads all of x and its share of W.
    const panelBytes = PANEL * (k + 1) * 4;
    const call = splitCall(rt, {
      fn: "f32_gemm", units: Math.ceil(n / PANEL), scratchBytes: 0, flops: 2 * m * n * k,
      args: ({ u0, u1 }, io) => [m, Math.min(n, u1 * PANEL) - u0 * PANEL, k, io.inputs[0], k, packed + u0 * panelBytes, io.outputs[0] + u0 * PANEL * 4, n, act.min, act.max],
    });
    return {
      scratch: call.scratch,
      run(io) {
        if (m === 0) return;
        call.run(io);
        applyActivation(rt.k, act, io.outputs[0], m * n);
      },
    };
  },
};
