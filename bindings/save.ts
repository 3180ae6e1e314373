/** A graph and its weights as a .enn weight file (the builder's `save`, `edgenn convert`). */
import { writeEnn, type EnnDtype } from "./format/enn.js";
import { graphToJson, type Graph } from "./ir/graph.js";

export interface SaveOptions {
  /** Store weights as IEEE half floats (half the size; values rounded to nearest, ties to even). */
  fp16?: boolean;
  /**
   * Store weight matrices as int8 with one scale per output channel (a quarter of the size); biases, norms and
   * small tensors stay float32 (or float16 with `fp16`). Decoded to float32 at load.
   */
  int8?: boolean;
}

/** Smaller tensors gain nothing from int8 and are often sensitive (biases, scales). */
const INT8_MIN_ELEMENTS = 1024;

/** The output-channel axis of each weight matrix, by the op that reads it (where one scale per channel fits). */
function outputAxes(graph: Graph): Map<string, number> {
  const axes = new Map<string, number>();
  for (const n of graph.nodes) {
    const w = n.inputs[1];
    if (!w || !graph.constants.has(w)) continue;
    const rank = graph.constants.get(w)!.shape.length;
    if (n.op === "Conv") axes.set(w, 0); // [cout, cin/groups, k...]
    else if (n.op === "Dense") axes.set(w, n.attrs.transposeW === true ? 0 : 1); // [K, N] or [N, K]
    else if (n.op === "MatMul") axes.set(w, rank - 1);
    else if (["LSTM", "GRU", "RNN"].includes(n.op)) for (const x of n.inputs.slice(1, 3)) if (x) axes.set(x, 1); // [dirs, gates·h, in]
  }
  return axes;
}

export function graphToEnn(graph: Graph, metadata: Record<string, unknown> = {}, options: SaveOptions = {}): Uint8Array {
  const float: EnnDtype = options.fp16 ? "float16" : "float32";
  const axes = options.int8 ? outputAxes(graph) : new Map<string, number>();
  return writeEnn({
    graph: graphToJson(graph),
    metadata,
    tensors: [...graph.constants].map(([name, c]) => {
      const axis = axes.get(name);
      const int8 = axis !== undefined && c.data.length >= INT8_MIN_ELEMENTS;
      return { name, dtype: int8 ? "int8" : float, ...(int8 ? { quantAxis: axis } : {}), shape: c.shape, data: c.data };
    }),
  });
}
