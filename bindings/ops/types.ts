/** What an op implementation sees and returns. Ops know the IR and the kernels, never a file format. */
import { EdgennError } from "../errors.js";
import type { AttrValue, Constant, Node } from "../ir/graph.js";
import type { KernelExports } from "../wasm/kernels.js";
import type { LinearMemory } from "../wasm/memory.js";
import type { ThreadPool } from "../wasm/threads.js";

export interface OpContext {
  node: Node;
  /** Shapes of the inputs; an absent optional input has `undefined`. */
  inShapes: (number[] | undefined)[];
  /** The constant behind each input, where the input is a constant (weights). */
  consts: (Constant | undefined)[];
  /** Element type of each input in the arena (ops/dtypes.ts); absent means float32 throughout. */
  inTypes?: (ValueType | undefined)[];
}
/** What a value holds in the arena: float32, or int32 ids (graph inputs given as int32 or int64). */
export type ValueType = "float32" | "int32";

/** Session services an op uses while preparing: kernels, memory, and a per-session cache for packed weights. */
export interface Runtime {
  k: KernelExports;
  mem: LinearMemory;
  /** Computes once per session and key (e.g. packing a node's weights), whatever the input shapes. */
  once<T>(key: string, make: () => T): T;
  /** Small int32 arrays (shapes, strides) a step passes to kernels; `ptr` is valid once the plan is laid out. */
  planInts(values: number[]): { ptr: number };
  /** Session choices ops honour (load options): `winograd: false` keeps 3x3 convs on im2col (a quarter of the weight memory). */
  options?: { winograd?: boolean };
  /** The session's kernel threads (load option `threads`); absent: one thread. Ops split big steps over them (parallel.ts). */
  threads?: ThreadPool;
}

export interface StepIO { inputs: number[]; outputs: number[]; scratch: number }
export interface Step {
  /** Bytes of scratch the step needs while it runs (shared by all steps). */
  scratch: number;
  run(io: StepIO): void;
}

export interface OpDef {
  infer(c: OpContext): number[][];
  prepare(c: OpContext, outShapes: number[][], rt: Runtime): Step;
  /** Inputs consumed at prepare time (packed weights): the planner does not upload them raw. */
  packed?: number[];
  /** Output 0 is input 0's memory seen with another shape (reshape family): no step runs. */
  alias?: boolean;
  /** Inputs that may be int32 values (ids, masks); every other input must be float32 (checked at load). */
  intInputs?: number[];
  /** Moves 4-byte elements without reading them (reshape family, transpose, slice): int32 values pass through. */
  anyType?: boolean;
}

export const fail = (c: OpContext | Node, msg: string, code: "BAD_GRAPH" | "UNSUPPORTED" | "BAD_INPUT" = "BAD_GRAPH") => {
  const n = "node" in c ? c.node : c;
  return new EdgennError(code, `node '${n.name}' (${n.op}): ${msg}`);
};

// Attribute readers: a wrong type names the node and the attribute.
export function attr(c: OpContext, name: string): AttrValue | undefined {
  return c.node.attrs[name] ?? undefined;
}
export function num(c: OpContext, name: string, dflt: number): number {
  const v = attr(c, name);
  if (v === undefined) return dflt;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v !== "number" || Number.isNaN(v)) throw fail(c, `attribute '${name}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}
export function int(c: OpContext, name: string, dflt: number): number {
  const v = num(c, name, dflt);
  if (!Number.isSafeInteger(v)) throw fail(c, `attribute '${name}' must be an integer, got ${v}`);
  return v;
}
export function ints(c: OpContext, name: string, dflt?: number[]): number[] | undefined {
  const v = attr(c, name);
  if (v === undefined) return dflt;
  if (!Array.isArray(v) || v.length > 64 || !v.every((x) => Number.isSafeInteger(x))) {
    throw fail(c, `attribute '${name}' must be a list of integers, got ${JSON.stringify(v)?.slice(0, 80)}`);
  }
  return v as number[];
}
export function str(c: OpContext, name: string, dflt: string): string {
  const v = attr(c, name);
  if (v === undefined) return dflt;
  if (typeof v !== "string") throw fail(c, `attribute '${name}' must be a string, got ${JSON.stringify(v)}`);
  return v;
}

export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
/** Row-major element strides. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}
export function normAxis(c: OpContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) throw fail(c, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}
export const isInt = (c: OpContext, i: number) => c.inTypes?.[i] === "int32";
export function need(c: OpContext, i: number): number[] {
  const s = c.inShapes[i];
  if (!s) throw fail(c, `input ${i} is required`);
  return s;
}
