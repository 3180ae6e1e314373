/**
 * A plan runs the graph for one set of input shapes: shapes inferred, ops prepared (weights packed once per
 * session), every value given a place in the arena. Running a plan allocates nothing.
 */
import { EdgennError } from "../errors.js";
import type { Graph } from "../ir/graph.js";
import { valueTypes } from "../ops/dtypes.js";
import { OPS } from "../ops/registry.js";
import { fail, sizeOf, type OpContext, type Runtime, type Step } from "../ops/types.js";
import type { KernelExports } from "../wasm/kernels.js";
import { assignOffsets, type Interval } from "./arena.js";

/** Largest tensor a plan accepts (elements); wasm32 memory cannot hold more than 4 GiB anyway. */
const MAX_ELEMENTS = 2 ** 29;

export interface PlannedStep { step: Step; inputs: number[]; outputs: number[]; scratch: number; node: string }
export interface Plan {
  steps: PlannedStep[];
  shapes: Map<string, number[]>;
  /** Absolute address of each non-constant value. */
  address: Map<string, number>;
  /** Bytes of the arena (values + scratch + plan data) this plan uses, from the arena base. */
  arenaBytes: number;
  /** Shape/stride arrays to write at the arena base before each run. */
  planData: Int32Array;
}

export interface PlanRuntime extends Runtime {
  /** Address of a constant's raw data in wasm memory (uploaded on first use). */
  constantAddress(name: string): number;
}

export function makePlan(g: Graph, inputShapes: Map<string, number[]>, rt: PlanRuntime, arenaBase: () => number): Plan {
  const shapes = new Map<string, number[]>(inputShapes);
  for (const [name, c] of g.constants) shapes.set(name, c.shape);
  const types = valueTypes(g);
  const planInts: { values: number[]; handle: { ptr: number } }[] = [];
  const prt: Runtime = { ...rt, planInts: (values) => { const handle = { ptr: 0 }; planInts.push({ values, handle }); return handle; } };

  // 1. Shapes and steps, in order.
  const prepared = g.nodes.map((node) => {
    const op = OPS[node.op];
    if (!op) throw new EdgennError("UNSUPPORTED", `node '${node.name}': op '${node.op}' is not supported (supported: ${Object.keys(OPS).sort().join(", ")})`);
    const c: OpContext = {
      node,
      inShapes: node.inputs.map((x) => (x === "" ? undefined : shapes.get(x))),
      consts: node.inputs.map((x) => g.constants.get(x)),
      inTypes: node.inputs.map((x) => (x === "" ? undefined : types.get(x) ?? "float32")),
    };
    const outShapes = op.infer(c);
    if (outShapes.length !== node.outputs.length) throw fail(c, `produces ${outShapes.length} outputs, the graph names ${node.outputs.length}`);
    outShapes.forEach((s, i) => {
      if (s.some((d) => !Number.isSafeInteger(d) || d < 0) || sizeOf(s) > MAX_ELEMENTS) {
        throw new EdgennError("LIMIT", `node '${node.name}': output '${node.outputs[i]}' would have shape [${s}], over the limit of ${MAX_ELEMENTS} elements`);
      }
      shapes.set(node.outputs[i], s);
    });
    return { node, op, step: op.prepare(c, outShapes, prt) };
  });

  // 2. Lifetimes. Alias ops (reshape) share their input's memory: one interval for the whole alias chain.
  const root = new Map<string, string>();
  const rootOf = (v: string) => root.get(v) ?? v;
  const life = new Map<string, Interval>();
  const touch = (v: string, at: number) => {
    if (v === "" || g.constants.has(v)) return;
    const r = rootOf(v);
    const l = life.get(r);
    if (l) { l.first = Math.min(l.first, at); l.last = Math.max(l.last, at); }
    else life.set(r, { size: sizeOf(shapes.get(r)!) * 4, first: at, last: at });
  };
  for (const x of g.inputs) touch(x.name, 0);
  prepared.forEach(({ node, op }, i) => {
    if (op.alias && !g.constants.has(node.inputs[0])) root.set(node.outputs[0], rootOf(node.inputs[0]));
    node.inputs.forEach((x) => touch(x, i));
    node.outputs.forEach((x) => touch(x, i));
  });
  for (const o of g.outputs) touch(o, prepared.length);

  // 3. Offsets: [plan data | values | scratch].
  const names = [...life.keys()];
  const { offsets, size } = assignOffsets(names.map((n) => life.get(n)!));
  const dataBytes = Math.ceil((planInts.reduce((a, p) => a + p.values.length, 0) * 4) / 64) * 64;
  const scratch = Math.max(0, ...prepared.map((p) => p.step.scratch));
  // Raw constants that steps read directly (e.g. the bias of an Add) are uploaded before the arena is placed.
  for (const { node, op } of prepared) {
    if (!op.alias) node.inputs.forEach((x, i) => { if (g.constants.has(x) && !op.packed?.includes(i)) rt.constantAddress(x); });
  }
  const base = arenaBase();
  const address = new Map<string, number>();
  names.forEach((n, i) => address.set(n, base + dataBytes + offsets[i]));
  const planData = new Int32Array(dataBytes / 4);
  let at = 0;
  for (const p of planInts) {
    p.handle.ptr = base + at * 4;
    planData.set(p.values, at);
    at += p.values.length;
  }
  const addr = (v: string) => (v === "" ? 0 : g.constants.has(v) ? rt.constantAddress(v) : address.get(rootOf(v))!);
  const scratchAt = base + dataBytes + size;
  const steps = prepared
    .filter((p) => !p.op.alias)
    .map(({ node, op, step }) => ({
      step, node: node.name, scratch: scratchAt,
      inputs: node.inputs.map((x, i) => (op.packed?.includes(i) ? 0 : addr(x))),
      outputs: node.outputs.map(addr),
    }));
  const plan: Plan = { steps, shapes, address: new Map(), arenaBytes: dataBytes + size + Math.ceil(scratch / 64) * 64, planData };
  for (const v of shapes.keys()) if (!g.constants.has(v)) plan.address.set(v, address.get(rootOf(v))!);
  return plan;
}

export function runPlan(plan: Plan, k: KernelExports, arenaBase: number): void {
  if (plan.planData.length) new Int32Array(k.memory.buffer, arenaBase, plan.planData.length).set(plan.planData);
  for (const s of plan.steps) s.step.run({ inputs: s.inputs, outputs: s.outputs, scratch: s.scratch });
}
