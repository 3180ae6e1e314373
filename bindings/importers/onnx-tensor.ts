/**
 * ONNX TensorProto decoding shared by the importer and its import-time evaluator (onnx-fold.ts): float32/float16
 * tensors become IR constants, integer and bool tensors JS numbers (kept with their ONNX type).
 */
import { EdgennError } from "../errors.js";
import { f16ToF32 } from "../format/f16.js";
import type { Constant } from "../ir/graph.js";

/** ONNX TensorProto.DataType codes. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13 } as const;
export const DT_NAME: Record<number, string> = Object.fromEntries(Object.entries(DT).map(([k, v]) => [v, k]));
export const INT_TYPES = new Set<number>([DT.UINT8, DT.INT8, DT.UINT16, DT.INT16, DT.INT32, DT.INT64, DT.BOOL, DT.UINT32, DT.UINT64]);

/** An int64 (Long, LongBits or number) as a JS number; values past 2^53 lose precision (callers clamp). */
export function toNum(x: unknown): number {
  if (typeof x === "number") return x;
  if (typeof x === "bigint") return Number(x);
  if (x && typeof x === "object" && "low" in x && "high" in x) {
    const l = x as { low: number; high: number; unsigned?: boolean };
    return (l.unsigned ? l.high >>> 0 : l.high | 0) * 4294967296 + (l.low >>> 0);
  }
  return Number(x);
}

/** An integer or bool tensor; `type` is its ONNX data type (DT). */
export interface IntTensor { type: number; shape: number[]; data: number[] }
export type Decoded = { kind: "float"; c: Constant } | { kind: "int"; t: IntTensor } | { kind: "other"; why: string };

function bytesOf(raw: Uint8Array): DataView {
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** Decodes a TensorProto: float32/float16 to a Constant, integer types to numbers, anything else described. */
export function decodeTensor(t: any): Decoded {
  const type: number = t.dataType ?? 0;
  const shape = (t.dims ?? []).map(toNum);
  const count = shape.reduce((a: number, b: number) => a * b, 1);
  const name = t.name ? `tensor '${t.name}'` : "tensor";
  if (t.dataLocation === 1 || (t.externalData && t.externalData.length)) return { kind: "other", why: `${name} keeps its data in an external file` };
  const raw: Uint8Array | undefined = t.rawData && t.rawData.length ? t.rawData : undefined;
  const wrongSize = (n: number) => {
    throw new EdgennError("BAD_FILE", `ONNX ${name}: ${n} values for shape [${shape}] (${count} expected)`);
  };
  if (type === DT.FLOAT || type === DT.FLOAT16) {
    const data = new Float32Array(count);
    if (type === DT.FLOAT) {
      if (raw) {
        if (raw.length !== count * 4) wrongSize(raw.length / 4);
        const v = bytesOf(raw);
        for (let i = 0; i < count; i++) data[i] = v.getFloat32(i * 4, true);
      } else {
        const f = t.floatData ?? [];
        if (f.length !== count) wrongSize(f.length);
        data.set(f);
      }
    } else if (raw) {
      if (raw.length !== count * 2) wrongSize(raw.length / 2);
      const v = bytesOf(raw);
      for (let i = 0; i < count; i++) data[i] = f16ToF32(v.getUint16(i * 2, true));
    } else {
      const f = t.int32Data ?? [];
      if (f.length !== count) wrongSize(f.length);
      for (let i = 0; i < count; i++) data[i] = f16ToF32(f[i] & 0xffff);
    }
    return { kind: "float", c: { shape, data } };
  }
  if (INT_TYPES.has(type)) {
    const data = new Array<number>(count);
    if (raw) {
      const v = bytesOf(raw);
      const size = { [DT.UINT8]: 1, [DT.INT8]: 1, [DT.BOOL]: 1, [DT.UINT16]: 2, [DT.INT16]: 2, [DT.INT32]: 4, [DT.UINT32]: 4, [DT.INT64]: 8, [DT.UINT64]: 8 }[type]!;
      if (raw.length !== count * size) wrongSize(raw.length / size);
      for (let i = 0; i < count; i++) {
        const o = i * size;
        switch (type) {
          case DT.UINT8: case DT.BOOL: data[i] = v.getUint8(o); break;
          case DT.INT8: data[i] = v.getInt8(o); break;
          case DT.UINT16: data[i] = v.getUint16(o, true); break;
          case DT.INT16: data[i] = v.getInt16(o, true); break;
          case DT.INT32: data[i] = v.getInt32(o, true); break;
          case DT.UINT32: data[i] = v.getUint32(o, true); break;
          case DT.INT64: data[i] = Number(v.getBigInt64(o, true)); break;
          default: data[i] = Number(v.getBigUint64(o, true));
        }
      }
    } else {
      const src = type === DT.INT64 ? t.int64Data : type === DT.UINT32 || type === DT.UINT64 ? t.uint64Data : t.int32Data;
      if ((src ?? []).length !== count) wrongSize((src ?? []).length);
      for (let i = 0; i < count; i++) data[i] = toNum(src[i]);
    }
    return { kind: "int", t: { type, shape, data } };
  }
  return { kind: "other", why: `${name} has data type ${DT_NAME[type] ?? type} (the IR holds float32 constants only)` };
}
