/**
 * Ops of transformer models besides attention (ops/attention.ts):
 * - MatMul of two run-time operands, NumPy semantics (1-D operands, broadcast leading dims). Per distinct B matrix
 *   the packed GEMM packs B into scratch, or, for fewer rows than the GEMM's 4-row tile, f32_matmul_rows reads B
 *   as it is (packing would cost as much as the product). A B shared by every batch entry makes one GEMM.
 * - Gather along any axis; its indices are int32 ids (an integer graph input) or a constant (token-id embedding
 *   lookups: axis 0 of a constant table). An id out of range fails the run, naming the node and the position.
 * - LayerNormalization (ONNX opset 17): normalise over the dims from `axis` on, then scale and shift, one fused
 *   kernel pass per row.
 */
import type { Constant } from "../ir/graph.js";
import { broadcastShapes } from "./eltwise.js";
import { fail, int, isInt, need, normAxis, num, sizeOf, stridesOf, type OpContext, type OpDef } from "./types.js";

/** Rows of A below which B is read unpacked (the packed GEMM's register tile has 4 rows). */
const PACK_MIN_ROWS = 4;

function matmulGeometry(c: OpContext) {
  const a = need(c, 0), b = need(c, 1);
  if (a.length === 0 || b.length === 0) throw fail(c, `MatMul of a scalar is not defined (shapes [${a}] and [${b}])`, "BAD_INPUT");
  const A = a.length === 1 ? [1, a[0]] : a, B = b.length === 1 ? [b[0], 1] : b;
  const [m, k] = A.slice(-2), [kb, n] = B.slice(-2);
  if (k !== kb) throw fail(c, `shapes [${a}] and [${b}] do not multiply (${k} columns against ${kb} rows)`, "BAD_INPUT");
  const aBatch = A.slice(0, -2), bBatch = B.slice(0, -2);
  const batch = broadcastShapes(c, aBatch, bBatch);
  // A 1-D operand's added dim is dropped again (NumPy).
  const out = [...batch, ...(a.length === 1 ? [] : [m]), ...(b.length === 1 ? [] : [n])];
  return { m, n, k, aBatch, bBatch, batch, out };
}

/** Element offset of each batch entry of an operand of batch shape `own`, broadcast to `batch`. */
function batchOffsets(own: number[], batch: number[], matrix: number): number[] {
  const st = stridesOf(own).map((s, i) => (own[i] === 1 ? 0 : s * matrix));
  const lead = batch.length - own.length;
  return Array.from({ length: sizeOf(batch) }, (_, flat) => {
    let off = 0;
    for (let d = batch.length - 1; d >= 0; d--) {
      const i = flat % batch[d];
      flat = Math.floor(flat / batch[d]);
      if (d >= lead) off += i * st[d - lead];
    }
    return off;
  });
}

export const MatMul: OpDef = {
  infer: (c) => [matmulGeometry(c).out],
  prepare(c, _outs, rt) {
    const { m, n, k, aBatch, bBatch, batch } = matmulGeometry(c);
    if (m === 0 || n === 0 || sizeOf(batch) === 0) return { scratch: 0, run() {} };
    // One B for every batch entry (e.g. [b, s, k] x [k, n]): the batch folds into the rows of one product.
    const shared = sizeOf(bBatch) === 1 && sizeOf(aBatch) === sizeOf(batch);
    const rows = shared ? m * sizeOf(batch) : m;
    const aOff = shared ? [0] : batchOffsets(aBatch, batch, m * k);
    const bOff = shared ? [0] : batchOffsets(bBatch, batch, k * n);
    const unpacked = rows < PACK_MIN_ROWS;
    const packedBytes = unpacked ? 0 : rt.k.f32_gemm_packed_size(k, n) * 4;
    return {
      scratch: packedBytes,
      run(io) {
        const [a, b] = io.inputs, out = io.outputs[0];
        let packedFrom = -1;
        for (let i = 0; i < aOff.length; i++) {
          const pa = a + aOff[i] * 4, pb = b + bOff[i] * 4, pc = out + i * rows * n * 4;
          if (unpacked) { rt.k.f32_matmul_rows(rows, n, k, pa, k, pb, n, pc, n); continue; }
          // Broadcast B entries repeat: pack only when the matrix changes.
          if (bOff[i] !== packedFrom) { rt.k.f32_gemm_pack(k, n, pb, n, 1, 0, io.scratch); packedFrom = bOff[i]; }
          rt.k.f32_gemm(rows, n, k, pa, k, io.scratch, pc, n, -Infinity, Infinity);
        }
      },
    };
  },
};

function gatherGeometry(c: OpContext) {
  const x = need(c, 0), ids = need(c, 1);
  if (x.length === 0) throw fail(c, "data (input 0) must have rank >= 1", "BAD_INPUT");
  const axis = normAxis(c, int(c, "axis", 0), x.length);
  return { x, ids, axis, out: [...x.slice(0, axis), ...ids, ...x.slice(axis + 1)] };
}

/** Constant indices as int32 (the IR holds constants as float32): they must be whole numbers. */
function constantIds(c: OpContext, k: Constant): Int32Array {
  const ids = new Int32Array(k.data.length);
  k.data.forEach((v, i) => {
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1) throw fail(c, `constant index ${v} at flat position ${i} of '${c.node.inputs[1]}' is not an integer`);
    ids[i] = v;
  });
  return ids;
}

export const Gather: OpDef = {
  intInputs: [1],
  infer: (c) => [gatherGeometry(c).out],
  prepare(c, _outs, rt) {
    const { x, ids, axis } = gatherGeometry(c);
    const outer = sizeOf(x.slice(0, axis)), len = x[axis], inner = sizeOf(x.slice(axis + 1)), count = sizeOf(ids);
    const k = c.consts[1];
    if (!k && !isInt(c, 1)) throw fail(c, `indices (input 1, '${c.node.inputs[1]}') are computed float32 values; Gather takes int32/int64 ids (an integer graph input) or a constant`);
    const constIds = k ? rt.once(`gather-ids:${c.node.name}`, () => rt.mem.constant(constantIds(c, k), `indices of '${c.node.name}'`)) : 0;
    if (outer * count * inner === 0) return { scratch: 0, run() {} };
    return {
      scratch: 0,
      run(io) {
        const idsPtr = k ? constIds : io.inputs[1];
        const bad = rt.k.gather32(outer, len, inner, io.inputs[0], idsPtr, count, io.outputs[0]);
        if (bad >= 0) {
          const id = rt.mem.i32(idsPtr + bad * 4, 1)[0];
          const pos = ids.map((_, d) => Math.floor(bad / sizeOf(ids.slice(d + 1))) % ids[d]);
          throw fail(c, `index ${id} at position [${pos}] of '${c.node.inputs[1]}' is out of range for axis ${axis} of size ${len} (valid: ${-len}..${len - 1})`, "BAD_INPUT");
        }
      },
    };
  },
};

/** A constant broadcast (NumPy, right-aligned) to `shape`, as a fresh array; undefined when it does not broadcast. */
export function expandConstant(k: Constant, shape: number[]): Float32Array | undefined {
  const extra = k.shape.length - shape.length;
  if (extra > 0 && k.shape.slice(0, extra).some((d) => d !== 1)) return undefined;
  const own = extra > 0 ? k.shape.slice(extra) : k.shape;
  const lead = shape.length - own.length;
  if (own.some((d, i) => d !== 1 && d !== shape[lead + i])) return undefined;
  const st = stridesOf(own).map((s, i) => (own[i] === 1 ? 0 : s));
  const out = new Float32Array(sizeOf(shape));
  for (let flat = 0; flat < out.length; flat++) {
    let rest = flat, off = 0;
    for (let d = shape.length - 1; d >= lead; d--) {
      off += (rest % shape[d]) * st[d - lead];
      rest = Math.floor(rest / shape[d]);
    }
    out[flat] = k.data[off];
  }
  return out;
}

export const LayerNormalization: OpDef = {
  packed: [1, 2],
  infer(c) {
    if (c.node.outputs.length > 1) throw fail(c, "only output 0 (Y) is computed (Mean and InvStdDev are training outputs)", "UNSUPPORTED");
    return [need(c, 0)];
  },
  prepare(c, [shape], rt) {
    const axis = normAxis(c, int(c, "axis", -1), shape.length);
    const normalized = shape.slice(axis), n = sizeOf(normalized), rows = sizeOf(shape.slice(0, axis));
    const eps = num(c, "epsilon", 1e-5);
    const params = [1, 2].map((i) => {
      const what = i === 1 ? "scale" : "bias", k = c.consts[i];
      if (!c.node.inputs[i]) return 0;
      if (!k) throw fail(c, `${what} (input ${i}) must be a constant`, "UNSUPPORTED");
      // Expanded to the normalised shape once per session, so the kernel reads one value per column.
      const made = rt.once(`layernorm:${c.node.name}:${i}`, () => {
        const full = expandConstant(k, normalized);
        if (!full) throw fail(c, `${what} of shape [${k.shape}] does not broadcast to the normalised shape [${normalized}]`);
        return { shape: normalized.join(), ptr: rt.mem.constant(full, `${what} of '${c.node.name}'`) };
      });
      if (made.shape !== normalized.join()) {
        throw fail(c, `the normalised shape changed from [${made.shape}] to [${normalized}] with the input shape (it must stay fixed: the parameters are expanded once)`, "UNSUPPORTED");
      }
      return made.ptr;
    });
    if (rows * n === 0) return { scratch: 0, run() {} };
    return { scratch: 0, run: (io) => rt.k.f32_layernorm(rows, n, io.inputs[0], params[0], params[1], eps, io.outputs[0]) };
  },
};
