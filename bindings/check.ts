/**
 * Knowing before running: `check(source)` and `estimateMemory(source)` read a model (any format load() reads) and says whether edgenn can run
 * it, listing every unsupported operator and attribute with its node (the importers collect them all at once)
 * and any shape error the graph has, without making a session (no wasm memory, no weights packed).
 */
import { EdgennError } from "./errors.js";
import { openSource, readAll, type ModelSource } from "./io/source.js";
import { concreteInputs, inferShapes } from "./ir/shapes.js";
import type { Graph } from "./ir/graph.js";
import { OPS } from "./ops/registry.js";
import { projectionSteps } from "./ops/rnn.js";
import { importModel } from "./session.js";
import { features, type Variant } from "./wasm/loader.js";

export interface CheckResult {
  ok: boolean;
  /** One line per problem: "Resize 'p2o.Resize.0' (opset 11): op is not supported", a shape error naming the node. */
  problems: string[];
  /** Operators of the imported graph (IR names) and how many nodes use each; empty when import failed. */
  operators: Record<string, number>;
  nodes: number;
}

export async function check(source: ModelSource): Promise<CheckResult> {
  const bytes = await readAll((await openSource(source)).chunks, () => {});
  let graph;
  try {
    graph = (await importModel(bytes, typeof source === "string" || source instanceof URL ? source : bytes)).graph;
  } catch (e) {
    if (!(e instanceof EdgennError) || e.code !== "UNSUPPORTED") throw e; // a damaged file is an error, not a report
    const items = e.message.split("\n").filter((l) => /^\s*- /.test(l)).map((l) => l.replace(/^\s*- /, ""));
    return { ok: false, problems: items.length ? items : [e.message], operators: {}, nodes: 0 };
  }
  const operators: Record<string, number> = {};
  const problems: string[] = [];
  for (const n of graph.nodes) {
    operators[n.op] = (operators[n.op] ?? 0) + 1;
    if (!Object.hasOwn(OPS, n.op)) problems.push(`node '${n.name}': op '${n.op}' is not supported`);
  }
  if (problems.length === 0) {
    try {
      inferShapes(graph, concreteInputs(graph)); // the whole graph at its nominal shapes: a mismatch names its node
    } catch (e) {
      if (!(e instanceof EdgennError)) throw e;
      problems.push(e.message);
    }
  }
  return { ok: problems.length === 0, problems, operators, nodes: graph.nodes.length };
}

export interface MemoryEstimate {
  /** The model file. */
  fileBytes: number;
  /** Weights as the session holds them (float32, packed; 3x3 convolutions' Winograd weights take 4x). */
  weightsBytes: number;
  /** Peak of the activations alive at once, for these input shapes (the planner's arena is about this). */
  activationsBytes: number;
  totalBytes: number;
}

/**
 * How much wasm memory a model will need, before any session exists: from the graph and the weights' shapes,
 * with shape inference and a liveness walk for the activations. `inputShapes` sets symbolic dims (default 1).
 * An estimate (packing and scratch add a few percent); `session.memory` gives the real figure after load.
 */
export async function estimateMemory(source: ModelSource, options: { inputShapes?: Record<string, number[]>; winograd?: boolean; variant?: Variant } = {}): Promise<MemoryEstimate> {
  // Winograd's 4x weights exist in the SIMD builds only: the scalar build (forced, or the engine's only one) packs 1x.
  const scalar = (options.variant ?? (features().simd ? "simd" : "scalar")) === "scalar";
  const bytes = await readAll((await openSource(source)).chunks, () => {});
  const { graph } = await importModel(bytes, typeof source === "string" || source instanceof URL ? source : bytes, options.inputShapes);
  const shapes = inferShapes(graph, concreteInputs(graph, options.inputShapes));
  const size = (v: string) => 4 * (shapes.get(v) ?? []).reduce((a, b) => a * b, 1);
  let weightsBytes = 0;
  for (const [name, c] of graph.constants) weightsBytes += 4 * c.data.length * (!scalar && options.winograd !== false && isWinograd(graph, name) ? 4 : 1);
  const activationsBytes = peakLive(graph, size, (v) => shapes.get(v) ?? []);
  return { fileBytes: bytes.length, weightsBytes, activationsBytes, totalBytes: weightsBytes + activationsBytes };
}

/** A 3x3 stride-1 conv weight [cout, cin, 3, 3] with enough channels that the session uses Winograd for it. */
function isWinograd(g: Graph, name: string): boolean {
  const s = g.constants.get(name)!.shape;
  const ones = (v: unknown) => !Array.isArray(v) || v.every((d) => d === 1);
  return s.length === 4 && s[2] === 3 && s[3] === 3 && s[0] >= 8 && s[1] >= 8 &&
    g.nodes.some((n) => n.op === "Conv" && n.inputs[1] === name && ones(n.attrs.strides) && ones(n.attrs.dilations) && (n.attrs.group ?? 1) === 1);
}

/** Bytes of input projection a recurrent node (Y of shape y) holds in scratch: see projectionSteps. */
function recurrentScratch(n: Graph["nodes"][number], gates: number, y: number[]): number {
  if (y.length !== 4) return 0;
  const layout = n.attrs.layout === 1 ? 1 : 0;
  const [seq, dirs, batch, h] = layout === 0 ? y : [y[1], y[2], y[0], y[3]];
  const steps = projectionSteps(seq, batch, dirs * gates * h, dirs, Boolean(n.inputs[4]), layout);
  return 4 * steps * batch * dirs * gates * h;
}

/** The most bytes of values alive at once, walking the nodes in order (a value dies after its last reader). */
function peakLive(g: Graph, size: (v: string) => number, shape: (v: string) => number[]): number {
  const last = new Map<string, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((x) => x && last.set(x, i)));
  for (const o of g.outputs) last.set(o, g.nodes.length);
  let live = g.inputs.reduce((a, i) => a + size(i.name), 0), peak = live;
  g.nodes.forEach((n, i) => {
    for (const o of n.outputs) if (!g.constants.has(o)) live += size(o);
    // A recurrent layer's input projection (all steps, or a chunk of them) sits in scratch while it runs.
    const gates = { LSTM: 4, GRU: 3, RNN: 1 }[n.op as "LSTM"];
    peak = Math.max(peak, live + (gates ? recurrentScratch(n, gates, shape(n.outputs[0])) : 0));
    for (const x of new Set(n.inputs)) if (x && last.get(x) === i && !g.constants.has(x)) live -= size(x);
  });
  return peak;
}
