import { EdgennError } from "./errors.js";

/** Element types a Tensor can carry. Kernels compute in float32; int64/int32 appear as shapes and indices. */
export type DataType = "float32" | "int32" | "int64";
type DataFor<T extends DataType> = T extends "float32" ? Float32Array : T extends "int32" ? Int32Array : BigInt64Array;

const ARRAY_OF: Record<DataType, Function> = { float32: Float32Array, int32: Int32Array, int64: BigInt64Array };

/**
 * An n-dimensional array, shaped like onnxruntime-web's Tensor: `new Tensor("float32", data, [1, 30])`,
 * with `type`, `data`, `dims` and `size`. `dtype` and `shape` are aliases.
 */
export class Tensor<T extends DataType = DataType> {
  readonly type: T;
  readonly data: DataFor<T>;
  readonly dims: readonly number[];

  constructor(type: T, data: DataFor<T> | number[], dims?: readonly number[]) {
    if (!(type in ARRAY_OF)) throw new EdgennError("UNSUPPORTED", `Tensor: dtype '${type}' is not supported (float32, int32, int64)`);
    const Ctor = ARRAY_OF[type] as any;
    if (Array.isArray(data)) data = (type === "int64" ? Ctor.from(data, BigInt) : Ctor.from(data)) as DataFor<T>;
    if (!(data instanceof Ctor)) {
      throw new EdgennError("BAD_INPUT", `Tensor: data for a '${type}' tensor must be a ${Ctor.name}, got ${describe(data)}`);
    }
    dims ??= [data.length];
    for (const d of dims) {
      if (!Number.isSafeInteger(d) || d < 0) throw new EdgennError("BAD_INPUT", `Tensor: dims [${dims}] must be non-negative integers`);
    }
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new EdgennError("BAD_INPUT", `Tensor: dims [${dims}] hold ${size} elements but data has ${data.length}`);
    }
    this.type = type;
    this.data = data as DataFor<T>;
    this.dims = Object.freeze([...dims]);
  }

  get size(): number { return this.data.length; }
  get dtype(): T { return this.type; }
  get shape(): readonly number[] { return this.dims; }
}

export function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}
