/**
 * Data movement. Reshape, Flatten, Squeeze and Unsqueeze change only the shape (the output shares the input's
 * memory). Transpose, Concat, Split, Slice and Pad are strided copies planned once per shape. All but Pad move
 * 4-byte elements without reading them, so int32 ids pass through them (`anyType`).
 */
import { coalesce } from "./eltwise.js";
import { fail, int, ints, need, normAxis, num, sizeOf, str, stridesOf, type OpContext, type OpDef, type Runtime, type Step, type StepIO } from "./types.js";

function reshapeTo(c: OpContext, x: number[], target: number[]): number[] {
  const out = target.map((d, i) => (d === 0 && c.node.attrs.allowzero !== 1 ? x[i] : d));
  if (out.some((d) => d === undefined || d < -1)) throw fail(c, `shape [${target}] is not a valid reshape of [${x}]`);
  const wild = out.indexOf(-1);
  if (wild !== out.lastIndexOf(-1)) throw fail(c, `shape [${target}] has more than one -1`);
  const known = sizeOf(out.filter((d) => d !== -1)), total = sizeOf(x);
  if (wild >= 0) {
    if (known === 0 || total % known !== 0) throw fail(c, `cannot reshape [${x}] (${total} elements) to [${target}]`, "BAD_INPUT");
    out[wild] = total / known;
  }
  if (sizeOf(out) !== total) throw fail(c, `cannot reshape [${x}] (${total} elements) to [${out}]`, "BAD_INPUT");
  return out;
}

function alias(infer: (c: OpContext, x: number[]) => number[]): OpDef {
  return { alias: true, anyType: true, infer: (c) => [infer(c, need(c, 0))], prepare: () => ({ scratch: 0, run() {} }) };
}

function squeezeAxes(c: OpContext, rank: number): number[] | undefined {
  return ints(c, "axes")?.map((a) => normAxis(c, a, rank));
}

export const shapeOps: Record<string, OpDef> = {
  Reshape: alias((c, x) => {
    const shape = ints(c, "shape");
    if (!shape) throw fail(c, "attribute 'shape' is required");
    return reshapeTo(c, x, shape);
  }),
  Flatten: alias((c, x) => {
    // The axis may be the rank itself (everything in the first dim); negative counts from the rank.
    const raw = int(c, "axis", 1), axis = raw < 0 ? raw + x.length : raw;
    if (axis < 0 || axis > x.length) throw fail(c, `axis ${raw} is out of range for rank ${x.length}`);
    return [sizeOf(x.slice(0, axis)), sizeOf(x.slice(axis))];
  }),
  Squeeze: alias((c, x) => {
    const axes = squeezeAxes(c, x.length);
    if (axes?.some((a) => x[a] !== 1)) throw fail(c, `cannot squeeze axes [${axes}] of [${x}]: not all are 1`, "BAD_INPUT");
    return x.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
  }),
  Unsqueeze: alias((c, x) => {
    const raw = ints(c, "axes");
    if (!raw) throw fail(c, "attribute 'axes' is required");
    const rank = x.length + raw.length;
    const axes = raw.map((a) => normAxis(c, a, rank));
    const out: number[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : x[j++]);
    return out;
  }),
  Transpose: {
    anyType: true,
    infer(c) {
      const x = need(c, 0);
      return [permutation(c, x.length).map((p) => x[p])];
    },
    prepare(c, [out], rt) {
      const x = need(c, 0), s = stridesOf(x);
      const src = permutation(c, x.length).map((p) => s[p]);
      return copyStep(rt, out, src, stridesOf(out), 0, 0);
    },
  },
  Concat: {
    anyType: true,
    infer(c) {
      const xs = c.inShapes.map((s, i) => s ?? need(c, i));
      const axis = normAxis(c, int(c, "axis", 0), xs[0].length);
      for (const s of xs) {
        if (s.length !== xs[0].length || s.some((d, i) => i !== axis && d !== xs[0][i])) {
          throw fail(c, `inputs [${xs.map((s) => `[${s}]`).join(", ")}] differ outside axis ${axis}`, "BAD_INPUT");
        }
      }
      const out = [...xs[0]];
      out[axis] = xs.reduce((a, s) => a + s[axis], 0);
      return [out];
    },
    prepare(c, [out], rt) {
      const axis = normAxis(c, int(c, "axis", 0), out.length);
      const dst = stridesOf(out);
      let at = 0;
      const parts = c.inShapes.map((s, i) => {
        const step = copyStep(rt, s!, stridesOf(s!), dst, i, at * dst[axis]);
        at += s![axis];
        return step;
      });
      return { scratch: 0, run: (io) => parts.forEach((p) => p.run(io)) };
    },
  },
  Split: {
    anyType: true,
    infer(c) {
      const x = need(c, 0);
      const axis = normAxis(c, int(c, "axis", 0), x.length);
      return splitSizes(c, x[axis]).map((d) => x.map((v, i) => (i === axis ? d : v)));
    },
    prepare(c, outs, rt) {
      const x = need(c, 0), src = stridesOf(x);
      const axis = normAxis(c, int(c, "axis", 0), x.length);
      let at = 0;
      const parts = outs.map((o, i) => {
        const step = copyStep(rt, o, src, stridesOf(o), 0, 0, at * src[axis], i);
        at += o[axis];
        return step;
      });
      return { scratch: 0, run: (io) => parts.forEach((p) => p.run(io)) };
    },
  },
  Slice: {
    anyType: true,
    infer: (c) => [sliceGeometry(c).out],
    prepare(c, [out], rt) {
      const g = sliceGeometry(c);
      return copyStep(rt, out, g.srcStrides, stridesOf(out), 0, 0, g.srcOffset);
    },
  },
  Pad: {
    infer: (c) => [padGeometry(c).out],
    prepare(c, [out], rt) {
      const { x, begin } = padGeometry(c);
      const value = num(c, "value", 0);
      const bits = new Int32Array(Float32Array.of(value).buffer)[0];
      const dst = stridesOf(out);
      const offset = begin.reduce((a, b, i) => a + b * dst[i], 0);
      const copy = copyStep(rt, x, stridesOf(x), dst, 0, offset);
      const n = sizeOf(out);
      return { scratch: 0, run(io) { rt.k.fill32(io.outputs[0], n, bits); copy.run(io); } };
    },
  },
};

function permutation(c: OpContext, rank: number): number[] {
  const perm = ints(c, "perm") ?? [...Array(rank).keys()].reverse();
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== rank || sorted.some((p, i) => p !== i)) throw fail(c, `perm [${perm}] is not a permutation of ${rank} axes`);
  return perm;
}

function splitSizes(c: OpContext, len: number): number[] {
  const sizes = ints(c, "split");
  if (sizes) {
    if (sizes.some((s) => s < 0) || sizes.reduce((a, b) => a + b, 0) !== len) throw fail(c, `split [${sizes}] does not add up to ${len}`, "BAD_INPUT");
    return sizes;
  }
  const parts = c.node.outputs.length;
  if (len % parts !== 0) throw fail(c, `cannot split ${len} into ${parts} equal parts`, "BAD_INPUT");
  return new Array(parts).fill(len / parts);
}

export function sliceGeometry(c: OpContext) {
  const x = need(c, 0);
  const starts = ints(c, "starts"), ends = ints(c, "ends");
  if (!starts || !ends || starts.length !== ends.length) throw fail(c, "attributes 'starts' and 'ends' are required and must have equal lengths");
  const axes = (ints(c, "axes") ?? starts.map((_, i) => i)).map((a) => normAxis(c, a, x.length));
  const steps = ints(c, "steps") ?? starts.map(() => 1);
  const s = stridesOf(x), out = [...x], srcStrides = [...s];
  let srcOffset = 0;
  axes.forEach((a, i) => {
    const step = steps[i], d = x[a];
    if (step === 0) throw fail(c, "slice step 0");
    // ONNX clamping: starts/ends are clamped to [0, d] going forward and [-1, d-1] going backward.
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    const start = step > 0 ? clamp(starts[i], 0, d) : clamp(starts[i], -1, d - 1);
    const end = step > 0 ? clamp(ends[i], 0, d) : clamp(ends[i], -1, d - 1);
    out[a] = Math.max(0, Math.ceil((end - start) / step));
    srcStrides[a] = s[a] * step;
    if (out[a] > 0) srcOffset += start * s[a];
  });
  return { out, srcStrides, srcOffset };
}

function padGeometry(c: OpContext) {
  const x = need(c, 0);
  const pads = ints(c, "pads");
  const mode = str(c, "mode", "constant");
  if (mode !== "constant") throw fail(c, `pad mode '${mode}' is not supported (constant)`, "UNSUPPORTED");
  if (!pads || pads.length !== 2 * x.length) throw fail(c, `pads must list ${2 * x.length} values for rank ${x.length}`);
  if (pads.some((p) => p < 0)) throw fail(c, "negative pads (cropping) are not supported", "UNSUPPORTED");
  const begin = pads.slice(0, x.length);
  return { x, begin, out: x.map((d, i) => d + pads[i] + pads[i + x.length]) };
}

/**
 * A strided copy of `shape` elements from input `inIndex` (at srcOffset elements) to output `outIndex`
 * (at dstOffset elements). Dims are coalesced first so most copies become one contiguous run.
 */
export function copyStep(rt: Runtime, shape: number[], src: number[], dst: number[], inIndex: number, dstOffset: number, srcOffset = 0, outIndex = 0): Step {
  if (sizeOf(shape) === 0) return { scratch: 0, run() {} };
  const [dims, [s, d]] = coalesce(shape, [...src], [...dst]);
  const shapePtr = rt.planInts(dims);
  const srcPtr = rt.planInts(s);
  const dstPtr = rt.planInts(d);
  return {
    scratch: 0,
    run: (io: StepIO) => rt.k.copy_strided32(dims.length, shapePtr.ptr, io.inputs[inIndex] + srcOffset * 4, srcPtr.ptr, io.outputs[outIndex] + dstOffset * 4, dstPtr.ptr),
  };
}
