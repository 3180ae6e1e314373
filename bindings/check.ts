/**
 * Knowing before running: `check(source)` reads a model (any format load() reads) and says whether edgenn can run
 * it, listing every unsupported operator and attribute with its node (the importers collect them all at once)
 * and any shape error the graph has, without making a session (no wasm memory, no weights packed).
 */
import { EdgennError } from "./errors.js";
import { openSource, readAll, type ModelSource } from "./io/source.js";
import { OPS } from "./ops/registry.js";
import { outputMetadata } from "./ort.js";
import { importModel } from "./session.js";

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
      outputMetadata(graph); // shape inference over the whole graph: a mismatch names its node and shapes
    } catch (e) {
      if (!(e instanceof EdgennError)) throw e;
      problems.push(e.message);
    }
  }
  return { ok: problems.length === 0, problems, operators, nodes: graph.nodes.length };
}
