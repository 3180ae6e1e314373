import { EdgennError } from "./errors.js";

/** Element types a Tensor can carry. Kernels compute in float32; int64/int32 appear as shapes and indices. */
export type DataType = "float32" | "int32" | "int64";
type DataFor<T extends DataType> = T extends "float32" ? Float32Array : T extends "int32" ? Int32Array : BigInt64Array;

const ARRAY_OF: Record<DataType, Function> = { float32: Float32Array, int32: Int32Array, int64: BigInt64Array };

/**
 * An n-dimensional array, shaped like onnxruntime-web's Tensor: `new Tensor("float32", data, [1, 30])` or
 * `new Tensor(data, dims)` (type from the array: Float32Array, Int32Array, BigInt64Array; a plain array of
 * numbers is float32), with `type`, `data`, `dims`, `size`, `location` ("cpu"), `reshape`, `getData`,
 * `dispose`. `dtype` and `shape` are aliases.
 */
export class Tensor<T extends DataType = DataType> {
  readonly type: T;
  readonly data: DataFor<T>;
  readonly dims: readonly number[];

  constructor(type: T, data: DataFor<T> | number[], dims?: readonly number[]);
  constructor(data: DataFor<T> | number[], dims?: readonly number[]);
  constructor(arg0: T | DataFor<T> | number[], arg1?: DataFor<T> | number[] | readonly number[], arg2?: readonly number[]) {
    // onnxruntime-web's two-argument form, new Tensor(data, dims): the type is read from the array.
    const typed = typeof arg0 === "string";
    const type = (typed ? arg0 : typeOf(arg0)) as T;
    let data = (typed ? arg1 : arg0) as DataFor<T> | number[];
    let dims = (typed ? arg2 : arg1) as readonly number[] | undefined;
    if (!Object.hasOwn(ARRAY_OF, type)) throw new EdgennError("UNSUPPORTED", `Tensor: dtype '${type}' is not supported (float32, int32, int64)`);
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

  // onnxruntime-web's CPU-tensor API.
  /** Always "cpu": edgenn's tensors are plain typed arrays. */
  get location(): "cpu" { return "cpu"; }
  /** The same data under other dims (shared, not copied), as in onnxruntime-web. */
  reshape(dims: readonly number[]): Tensor<T> { return new Tensor(this.type, this.data, dims); }
  /** The data (onnxruntime-web downloads GPU tensors here; edgenn's are already on the CPU). */
  getData(_releaseData?: boolean): Promise<DataFor<T>> { return Promise.resolve(this.data); }
  /** Nothing to free: the data is an ordinary typed array, collected as usual. */
  dispose(): void {}
  static fromImage(..._: unknown[]): never { return notOnCpu("Tensor.fromImage"); }
  static fromTexture(..._: unknown[]): never { return notOnCpu("Tensor.fromTexture"); }
  static fromGpuBuffer(..._: unknown[]): never { return notOnCpu("Tensor.fromGpuBuffer"); }
  static fromMLTensor(..._: unknown[]): never { return notOnCpu("Tensor.fromMLTensor"); }
  static fromPinnedBuffer(..._: unknown[]): never { return notOnCpu("Tensor.fromPinnedBuffer"); }
  toDataURL(..._: unknown[]): never { return notOnCpu("tensor.toDataURL"); }
  toImageData(..._: unknown[]): never { return notOnCpu("tensor.toImageData"); }
}

function notOnCpu(what: string): never {
  throw new EdgennError("UNSUPPORTED", `${what}() is not supported by edgenn (CPU tensors from typed arrays only: new Tensor(type, data, dims))`);
}

/** The element type onnxruntime-web infers for `new Tensor(data, dims)`. */
function typeOf(data: unknown): DataType {
  if (Array.isArray(data)) return typeof data[0] === "bigint" ? "int64" : "float32";
  const tag = Object.prototype.toString.call(data).slice(8, -1);
  const type = (Object.keys(ARRAY_OF) as DataType[]).find((t) => ARRAY_OF[t].name === tag);
  if (type) return type;
  throw new EdgennError(ArrayBuffer.isView(data) ? "UNSUPPORTED" : "BAD_INPUT", `Tensor: cannot make a tensor from ${describe(data)} data (float32, int32, int64: Float32Array, Int32Array, BigInt64Array or an array of numbers)`);
}

export function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}
