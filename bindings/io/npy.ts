/**
 * NumPy .npy files in and out (the CLI's `run --input NAME=FILE.npy`, `--output-dir`), parsed and written by
 * npyjs. Every problem is an EdgennError naming the file: a damaged file never becomes a wrong tensor.
 */
import { dump, parse } from "npyjs";
import { EdgennError } from "../errors.js";
import { Tensor } from "../tensor.js";

const MAX_RANK = 8;

export function tensorFromNpy(bytes: Uint8Array, where: string): Tensor {
  let arr;
  try {
    arr = parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (e) {
    throw new EdgennError("BAD_INPUT", `${where}: not a readable .npy file (${(e as Error).message})`);
  }
  const { data, shape, fortranOrder } = arr;
  if (fortranOrder) throw new EdgennError("BAD_INPUT", `${where}: Fortran-ordered arrays are not supported (save with np.ascontiguousarray)`);
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new EdgennError("BAD_INPUT", `${where}: bad shape ${JSON.stringify(shape)}`);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  const length = (data as { length?: number }).length;
  if (length !== n) throw new EdgennError("BAD_INPUT", `${where}: ${length} values for shape [${shape}] (truncated file?)`);
  if (data instanceof Float32Array) return new Tensor("float32", data, shape);
  if (data instanceof Int32Array) return new Tensor("int32", data, shape);
  if (data instanceof BigInt64Array) return new Tensor("int64", data, shape);
  // NumPy's default float64 and small integer images: the float32 values a float model reads.
  if (data instanceof Float64Array || data instanceof Int16Array || data instanceof Int8Array || data instanceof Uint8Array || data instanceof Uint16Array) {
    return new Tensor("float32", Float32Array.from(data), shape);
  }
  throw new EdgennError("BAD_INPUT", `${where}: dtype ${arr.dtype} is not supported (float32/64, int8/16/32/64, uint8/16)`);
}

export function tensorToNpy(t: { data: ArrayLike<number | bigint>; dims: readonly number[] }): Uint8Array {
  return new Uint8Array(dump(t.data as never, [...t.dims]));
}
