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

/** Bytes per element in raw_data, for the types decoded here. */
const RAW_BYTES: Readonly<Record<number, number>> = {
  [DT.FLOAT]: 4, [DT.FLOAT16]: 2, [DT.UINT8]: 1, [DT.INT8]: 1, [DT.BOOL]: 1, [DT.UINT16]: 2, [DT.INT16]: 2,
  [DT.INT32]: 4, [DT.UINT32]: 4, [DT.INT64]: 8, [DT.UINT64]: 8,
};
const MAX_RANK = 8;

/** The typed field holding the values when raw_data is empty (float16 travels in int32_data). */
function typedField(t: any, type: number): ArrayLike<unknown> {
  const f = type === DT.FLOAT ? t.floatData : type === DT.INT64 ? t.int64Data : type === DT.UINT32 || type === DT.UINT64 ? t.uint64Data : t.int32Data;
  return f ?? [];
}

/** Decodes a TensorProto: float32/float16 to a Constant, integer types to numbers, anything else described. */
export function decodeTensor(t: any): Decoded {
  if (!t || typeof t !== "object") throw new EdgennError("BAD_FILE", "ONNX: a tensor (initializer or attribute) is missing or empty");
  const type: number = t.dataType ?? 0;
  const name = t.name ? `tensor '${String(t.name).slice(0, 200)}'` : "tensor";
  const dims: unknown[] = Array.isArray(t.dims) ? t.dims : [];
  const shape = dims.map(toNum);
  if (shape.length > MAX_RANK || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new EdgennError("BAD_FILE", `ONNX ${name}: dims [${shape.slice(0, 10)}] are not ${MAX_RANK} or fewer sizes >= 0`);
  }
  const count = shape.reduce((a: number, b: number) => a * b, 1);
  if (t.dataLocation === 1 || (t.externalData && t.externalData.length)) return { kind: "other", why: `${name} keeps its data in an external file` };
  if (!Object.hasOwn(RAW_BYTES, type)) return { kind: "other", why: `${name} has data type ${DT_NAME[type] ?? type} (the IR holds float32 constants only)` };
  const raw: Uint8Array | undefined = t.rawData && t.rawData.length ? t.rawData : undefined;
  const size = RAW_BYTES[type];
  // What the file holds must match the dims before anything is allocated: a lying shape allocates nothing.
  const stored = raw ? raw.length / size : typedField(t, type).length;
  if (stored !== count) throw new EdgennError("BAD_FILE", `ONNX ${name}: ${stored} values for shape [${shape}] (${count} expected)`);
  if (type === DT.FLOAT || type === DT.FLOAT16) {
    const data = new Float32Array(count);
    const f = typedField(t, type) as number[];
    if (raw) {
      const v = bytesOf(raw);
      if (type === DT.FLOAT) for (let i = 0; i < count; i++) data[i] = v.getFloat32(i * 4, true);
      else for (let i = 0; i < count; i++) data[i] = f16ToF32(v.getUint16(i * 2, true));
    } else if (type === DT.FLOAT) data.set(f);
    else for (let i = 0; i < count; i++) data[i] = f16ToF32(f[i] & 0xffff);
    return { kind: "float", c: { shape, data } };
  }
  const data = new Array<number>(count);
  if (raw) {
    const v = bytesOf(raw);
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
    const src = typedField(t, type);
    for (let i = 0; i < count; i++) data[i] = toNum(src[i]);
  }
  return { kind: "int", t: { type, shape, data } };
}
