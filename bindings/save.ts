/** A graph and its weights as a .enn weight file (the builder's `save`, `edgenn convert`). */
import { writeEnn } from "./format/enn.js";
import { graphToJson, type Graph } from "./ir/graph.js";

export interface SaveOptions {
  /** Store weights as IEEE half floats (half the size; values rounded to nearest, ties to even). */
  fp16?: boolean;
}

export function graphToEnn(graph: Graph, metadata: Record<string, unknown> = {}, options: SaveOptions = {}): Uint8Array {
  const dtype = options.fp16 ? "float16" : "float32";
  return writeEnn({
    graph: graphToJson(graph),
    metadata,
    tensors: [...graph.constants].map(([name, c]) => ({ name, dtype, shape: c.shape, data: c.data })),
  });
}
