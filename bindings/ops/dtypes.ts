/**
 * Element types of a graph's values. Graph inputs may be int32 or int64 ids (token ids), which the arena holds as
 * int32 (4 bytes, like float32); constants and everything computed are float32. An op reads an int value only
 * through an input it lists in `intInputs` (Gather's indices, Attention's mask), and ops that only move 4-byte
 * elements (`anyType`: the reshape family, Transpose, Slice, Concat, Split) pass it on. Anything else is refused
 * at load, naming the node, so an id tensor never reaches a float kernel as garbage.
 */
import { EdgennError } from "../errors.js";
import type { Graph } from "../ir/graph.js";
import { OPS } from "./registry.js";
import type { ValueType } from "./types.js";

export function valueTypes(g: Graph): Map<string, ValueType> {
  const types = new Map<string, ValueType>();
  for (const i of g.inputs) types.set(i.name, i.dtype === "float32" ? "float32" : "int32");
  const typeOf = (x: string): ValueType => types.get(x) ?? "float32"; // constants are float32
  const bad = (msg: string) => new EdgennError("BAD_GRAPH", msg);
  for (const n of g.nodes) {
    const op = OPS[n.op];
    if (!op) continue; // reported as UNSUPPORTED by the caller
    const ins = n.inputs.map((x) => (x === "" ? undefined : typeOf(x)));
    let out: ValueType = "float32";
    if (op.anyType) {
      const kinds = new Set(ins.filter((t) => t));
      if (kinds.size > 1) throw bad(`node '${n.name}' (${n.op}): mixes int32 and float32 inputs (${n.inputs.filter((x) => x).map((x) => `'${x}' ${typeOf(x)}`).join(", ")})`);
      out = ins[0] ?? "float32";
    } else {
      ins.forEach((t, i) => {
        if (t === "int32" && !op.intInputs?.includes(i)) {
          throw bad(`node '${n.name}' (${n.op}): input ${i} '${n.inputs[i]}' holds integers (an int32/int64 graph input such as token ids), ` +
            `but ${n.op} computes on float32 there (integer ids go to Gather's indices or Attention's mask)`);
        }
      });
    }
    for (const o of n.outputs) types.set(o, out);
  }
  for (const o of g.outputs) {
    if (typeOf(o) !== "float32") throw bad(`graph output '${o}' holds integers (int32); outputs are float32 (pass the ids through Gather first)`);
  }
  return types;
}
