/** Shape inference over a whole graph with the ops' own `infer` (no kernels, no memory): throws at the first node
 * whose shapes do not fit, naming it. Used for output metadata, `check` and memory estimates. */
import { OPS } from "../ops/registry.js";
import type { Graph } from "./graph.js";

export function inferShapes(g: Graph, inputShapes: Map<string, number[]>): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const [n, c] of g.constants) shapes.set(n, c.shape);
  for (const [n, s] of inputShapes) shapes.set(n, s);
  for (const node of g.nodes) {
    const c = { node, inShapes: node.inputs.map((x) => (x === "" ? undefined : shapes.get(x))), consts: node.inputs.map((x) => g.constants.get(x)) };
    OPS[node.op].infer(c).forEach((s, j) => shapes.set(node.outputs[j], s));
  }
  return shapes;
}

/** The inputs' shapes with each symbolic dim set to `dim` (or from `given`). */
export const concreteInputs = (g: Graph, given: Record<string, number[]> = {}, dim = 1) =>
  new Map(g.inputs.map((i) => [i.name, given[i.name] ?? i.shape.map((d) => (typeof d === "number" ? d : dim))]));
