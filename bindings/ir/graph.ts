/**
 * The graph IR every importer produces and the planner consumes. It knows nothing of file formats.
 * Values are named; constants (weights) are float32 arrays with a shape; nodes are in any order in the
 * input and are put in topological order here. Image ops carry their layout ("NCHW" or "NHWC").
 * Graph inputs are float32, or int32/int64 ids (token ids), which the runtime stores as int32; which ops may read
 * an integer value is the ops' business (ops/dtypes.ts).
 */
import { EdgennError } from "../errors.js";

export type Dim = number | string; // a string is a symbolic dimension (e.g. "batch")
export type DType = "float32" | "int32" | "int64";
export const DTYPES: readonly DType[] = ["float32", "int32", "int64"];
export interface ValueInfo { name: string; dtype: DType; shape: Dim[] }
export type AttrValue = number | string | boolean | number[] | string[] | null;
export interface Node {
  op: string;
  name: string;
  inputs: string[]; // "" marks an absent optional input
  outputs: string[];
  attrs: Record<string, AttrValue>;
}
export interface Constant { shape: number[]; data: Float32Array }
export interface Graph {
  inputs: ValueInfo[];
  outputs: string[];
  nodes: Node[];
  constants: Map<string, Constant>;
}

const MAX_NODES = 100_000;
const MAX_RANK = 8;
const NAME = /^[^\u0000-\u001f]{1,256}$/;

const bad = (msg: string) => new EdgennError("BAD_GRAPH", msg);

function checkName(x: unknown, where: string): string {
  if (typeof x !== "string" || !NAME.test(x)) throw bad(`${where}: expected a name (1-256 printable characters), got ${JSON.stringify(x)?.slice(0, 60)}`);
  return x;
}

/** Checks an untrusted graph description (e.g. a weight file's header) and returns it in topological order. */
export function parseGraph(json: unknown, constants: Map<string, Constant>): Graph {
  if (!json || typeof json !== "object" || Array.isArray(json)) throw bad("graph: expected an object with inputs, outputs and nodes");
  const g = json as Record<string, unknown>;
  if (!Array.isArray(g.inputs) || !Array.isArray(g.outputs) || !Array.isArray(g.nodes)) throw bad("graph: inputs, outputs and nodes must be arrays");
  if (g.nodes.length > MAX_NODES) throw bad(`graph: ${g.nodes.length} nodes is over the limit of ${MAX_NODES}`);
  if (g.inputs.length === 0) throw bad("graph: the model has no inputs");
  if (g.outputs.length === 0) throw bad("graph: the model has no outputs");

  const defined = new Set<string>(constants.keys());
  const inputs: ValueInfo[] = g.inputs.map((v: any, i: number) => {
    const where = `graph input ${i}`;
    if (!v || typeof v !== "object") throw bad(`${where}: expected {name, dtype, shape}`);
    const name = checkName(v.name, where);
    if (defined.has(name)) throw bad(`${where} '${name}' is defined twice (input and constant or input)`);
    if (!DTYPES.includes(v.dtype)) throw new EdgennError("UNSUPPORTED", `${where} '${name}': dtype ${JSON.stringify(v.dtype)} is not supported (${DTYPES.join(", ")})`);
    if (!Array.isArray(v.shape) || v.shape.length > MAX_RANK) throw bad(`${where} '${name}': shape must be an array of at most ${MAX_RANK} dims`);
    const shape: Dim[] = v.shape.map((d: unknown) => {
      if (typeof d === "string" && d.length > 0 && d.length <= 64) return d;
      if (Number.isSafeInteger(d) && (d as number) >= 0 && (d as number) <= 2 ** 31) return d as number;
      throw bad(`${where} '${name}': dim ${JSON.stringify(d)} is neither a size nor a symbol`);
    });
    defined.add(name);
    return { name, dtype: v.dtype as DType, shape };
  });

  const nodes: Node[] = g.nodes.map((n: any, i: number) => {
    const where = `node ${i}`;
    if (!n || typeof n !== "object") throw bad(`${where}: expected {op, inputs, outputs}`);
    const op = checkName(n.op, `${where} op`);
    const name = n.name === undefined ? `${op}_${i}` : checkName(n.name, `${where} name`);
    if (!Array.isArray(n.inputs) || !Array.isArray(n.outputs) || n.outputs.length === 0 || n.inputs.length > 64 || n.outputs.length > 64) {
      throw bad(`node '${name}' (${op}): inputs and outputs must be arrays (outputs non-empty, at most 64 each)`);
    }
    const ins = n.inputs.map((x: unknown) => (x === "" ? "" : checkName(x, `node '${name}' input`)));
    const outs = n.outputs.map((x: unknown) => checkName(x, `node '${name}' output`));
    const attrs = n.attrs ?? {};
    if (typeof attrs !== "object" || Array.isArray(attrs)) throw bad(`node '${name}' (${op}): attrs must be an object`);
    return { op, name, inputs: ins, outputs: outs, attrs: { ...attrs } };
  });

  const ordered = topoSort(nodes, defined);
  const outputs = g.outputs.map((o: any, i: number) => checkName(typeof o === "object" && o ? o.name : o, `graph output ${i}`));
  const produced = new Set(defined);
  for (const n of ordered) n.outputs.forEach((o) => produced.add(o));
  for (const o of outputs) if (!produced.has(o)) throw bad(`graph output '${o}' is not produced by any node`);
  return { inputs, outputs, nodes: ordered, constants };
}

/** Kahn's algorithm; names the value that is missing or produced twice, or the nodes in a cycle. */
function topoSort(nodes: Node[], defined: Set<string>): Node[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => {
    if (defined.has(o) || producer.has(o)) throw bad(`value '${o}' is produced twice (node '${n.name}')`);
    producer.set(o, i);
  }));
  const waiting = nodes.map((n) => {
    let count = 0;
    for (const x of n.inputs) {
      if (x === "" || defined.has(x)) continue;
      if (!producer.has(x)) throw bad(`node '${n.name}' (${n.op}) reads '${x}', which is not a graph input, a constant or any node's output`);
      count++;
    }
    return count;
  });
  const consumers = new Map<number, number[]>();
  nodes.forEach((n, i) => n.inputs.forEach((x) => {
    const p = producer.get(x);
    if (p === undefined) return;
    if (!consumers.has(p)) consumers.set(p, []);
    consumers.get(p)!.push(i);
  }));
  const ready = waiting.flatMap((w, i) => (w === 0 ? [i] : []));
  const out: Node[] = [];
  while (ready.length) {
    const i = ready.shift()!;
    out.push(nodes[i]);
    for (const c of consumers.get(i) ?? []) if (--waiting[c] === 0) ready.push(c);
  }
  if (out.length !== nodes.length) {
    const stuck = nodes.filter((_, i) => waiting[i] > 0).map((n) => n.name).slice(0, 5);
    throw bad(`the graph has a cycle through node(s) ${stuck.join(", ")}`);
  }
  return out;
}

/** Serialisable form of a graph (constants go to the weight file's tensor table). */
export function graphToJson(g: Graph): unknown {
  return { inputs: g.inputs, outputs: g.outputs, nodes: g.nodes };
}
