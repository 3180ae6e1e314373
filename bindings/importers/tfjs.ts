/**
 * TensorFlow.js layers importer: a tfjs `model.json` (format "layers-model": `modelTopology` + `weightsManifest`)
 * and its weight shards become the IR graph (ir/graph.ts) plus metadata.
 *
 * - Topology: `{class_name: "Sequential" | "Model" | "Functional", config}` or Keras' converted form
 *   `{model_config: {...}, keras_version, backend}`. Functional models: inbound nodes in the nested-array form
 *   [[["layer", nodeIndex, tensorIndex, {kwargs}]]] (tfjs, Keras 2) and the {args, kwargs} form (Keras 3);
 *   shared layers (several inbound nodes) become several IR nodes over the same weights; models used as layers
 *   are inlined at each call.
 * - Weights (tfjs-weights.ts): float32, float16, int32, uint8/uint16 quantized; matched to layers by name.
 * - Layers: tfjs-layers.ts (core, conv, pooling, merges, wrappers), tfjs-recurrent.ts (LSTM, GRU, SimpleRNN,
 *   Bidirectional), tfjs-attention.ts (Embedding, LayerNormalization, MultiHeadAttention: only with their IR ops).
 * - Everything that cannot be mapped is collected and reported in ONE EdgennError("UNSUPPORTED") naming the
 *   class and name of every offending layer.
 */
import { EdgennError } from "../errors.js";
import type { Constant, Dim, Graph, ValueInfo } from "../ir/graph.js";
import { OPS } from "../ops/registry.js";
import { readSource } from "../io/source.js";
import { ATTENTION_OPS, NAMED_INPUTS } from "./tfjs-attention.js";
import { Importer, bad, unsupported, type Call, type Inbound, type InboundRef, type LayerDef } from "./tfjs-common.js";
import { HANDLERS, UNMAPPED } from "./tfjs-layers.js";
import { decodeWeights, manifestOf, type TfjsWeights } from "./tfjs-weights.js";

export type { TfjsWeights };
export interface TfjsImport { graph: Graph; metadata: Record<string, unknown> }

const MODEL_CLASSES = ["Sequential", "Model", "Functional"];

/** Keras layer classes this importer maps (the attention layers only where this build has their IR ops). */
export const TFJS_LAYERS: readonly string[] = Object.freeze(["InputLayer", ...MODEL_CLASSES, ...Object.keys(HANDLERS).filter((c) =>
  !Object.hasOwn(ATTENTION_OPS, c) || ATTENTION_OPS[c].every((op) => Object.hasOwn(OPS, op)))]);

// ---------------------------------------------------------------------------------------------------------
// Topology.

/** Unwraps the topology forms; returns the model class, its config and the Keras version string. */
function topologyOf(top: any): { cls: string; config: any; kerasVersion: string } {
  if (!top || typeof top !== "object") throw bad("modelTopology is missing (a TF.js graph model, or not a model.json?)");
  const inner = top.model_config ?? top;
  if (!inner || typeof inner !== "object" || typeof inner.class_name !== "string" || !inner.config) throw bad("modelTopology has no class_name and config");
  const kerasVersion = String(top.keras_version ?? inner.keras_version ?? "");
  return { cls: inner.class_name, config: inner.config, kerasVersion };
}

function refsOf(x: any): InboundRef[] {
  // Keras 3: {class_name: "__keras_tensor__", config: {keras_history: [layer, node, tensor]}} anywhere in args.
  if (Array.isArray(x)) {
    if (x.length >= 3 && typeof x[0] === "string" && typeof x[1] === "number" && typeof x[2] === "number") return [{ layer: x[0], node: x[1], tensor: x[2] }];
    return x.flatMap(refsOf);
  }
  if (x && typeof x === "object") {
    if (x.config?.keras_history) return refsOf([x.config.keras_history]);
    return [];
  }
  return [];
}

function parseInbound(raw: any): Inbound[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((n: any) => {
    const refs = Array.isArray(n) ? refsOf(n) : refsOf(n?.args ?? []);
    // Keyword arguments: the 4th element of each ref (tfjs, Keras 2) or `kwargs` (Keras 3). Tensors among
    // them (MultiHeadAttention's value=, an RNN's initial_state=) are inputs; the rest are call options.
    const kw = Array.isArray(n) ? (Array.isArray(n[0]) ? n[0][3] : undefined) : n?.kwargs;
    const named: [string, InboundRef[]][] = [];
    const options: Record<string, unknown> = Object.create(null);
    if (kw && typeof kw === "object" && !Array.isArray(kw)) {
      for (const [k, v] of Object.entries(kw)) {
        const r = refsOf(v);
        if (r.length) named.push([k, r]);
        else options[k] = v;
      }
    }
    return { refs, named, options };
  });
}

function inputShape(cfg: any): (number | null)[] | undefined {
  const s = cfg.batch_input_shape ?? cfg.batch_shape;
  if (Array.isArray(s)) return s;
  const i = cfg.input_shape;
  if (Array.isArray(i)) return [null, ...i];
  return undefined;
}

function valueInfo(name: string, shape: (number | null)[], rawDtype: unknown): ValueInfo {
  // Keras 3 writes {class_name: "DTypePolicy", config: {name: "float32"}}.
  const dtype = typeof (rawDtype as any)?.config?.name === "string" ? (rawDtype as any).config.name : rawDtype;
  if (dtype !== undefined && dtype !== null && dtype !== "float32") throw unsupported(`input '${name}' has dtype ${JSON.stringify(dtype)} (float32 only)`);
  const dims: Dim[] = shape.map((d, i) => (d === null || d === undefined || d < 0 ? (i === 0 ? "batch" : `${name}_dim${i}`) : d));
  return { name, dtype: "float32", shape: dims };
}

/** The importer's two nominal sizes of symbolic dims (see Importer). */
const nominal = (shape: Dim[], batch: number, other: number) => shape.map((d, i) => (typeof d === "number" ? d : i === 0 ? batch : other));

const noInbound = (): Inbound => ({ refs: [], named: [], options: Object.create(null) });

/** A model config's layers, inputs and outputs; a Sequential becomes a chain. */
function layerList(cls: string, config: any, nested: boolean): { layers: LayerDef[]; inputs: InboundRef[]; outputs: InboundRef[] } {
  const raw = Array.isArray(config) ? config : config?.layers;
  if (!Array.isArray(raw) || raw.length === 0) throw bad("the model config has no layers");
  // Array.from, not map: a sparse array's holes must fail the check below, not be skipped.
  const layers: LayerDef[] = Array.from(raw, (l: any, i: number) => {
    if (!l || typeof l.class_name !== "string" || !l.config || typeof l.config !== "object") throw bad(`layer ${i} has no class_name and config`);
    return { name: String(l.config.name ?? l.name ?? `layer_${i}`), className: l.class_name, config: l.config, inbound: parseInbound(l.inbound_nodes) };
  });
  if (cls === "Sequential") {
    // A chain: an explicit InputLayer first, or the first layer's batch_input_shape (tfjs names it '<layer>_input').
    const chain: LayerDef[] = [];
    let prev: string;
    if (layers[0].className === "InputLayer") { chain.push(layers[0]); prev = layers[0].name; layers.shift(); }
    else {
      const shape = inputShape(layers[0].config);
      if (!shape && !nested) throw bad(`the first layer '${layers[0].name}' has no batch_input_shape`);
      prev = `${layers[0].name}_input`;
      chain.push({ name: prev, className: "InputLayer", config: { batch_input_shape: shape, dtype: layers[0].config.dtype }, inbound: [] });
    }
    for (const l of layers) { chain.push({ ...l, inbound: [{ ...noInbound(), refs: [{ layer: prev, node: 0, tensor: 0 }] }] }); prev = l.name; }
    return { layers: chain, inputs: [{ layer: chain[0].name, node: 0, tensor: 0 }], outputs: [{ layer: prev, node: 0, tensor: 0 }] };
  }
  if (cls !== "Model" && cls !== "Functional") throw unsupported(`model class '${cls}' (Sequential, Model or Functional)`);
  const inputs = refsOf(config.input_layers ?? []), outputs = refsOf(config.output_layers ?? []);
  if (!inputs.length || !outputs.length) throw bad("the functional model has no input_layers or output_layers");
  return { layers, inputs, outputs };
}

/** A problem already listed in the importer's problems: the call fails without a second entry. */
class Reported extends EdgennError { constructor() { super("UNSUPPORTED", "reported"); } }

/**
 * Imports one model's layers. Top level (`bound` undefined): its InputLayers become graph inputs. A model used
 * as a layer: its inputs are bound to the call's values and its node names get `prefix`.
 * Returns the output values and whether any of them could not be made.
 */
function buildModel(m: Importer, cls: string, config: any, prefix: string, bound?: { values: string[]; tainted: boolean }): { outputs: string[]; failedOut: boolean; inputs: ValueInfo[] } {
  const { layers, inputs: inputRefs, outputs: outputRefs } = layerList(cls, config, bound !== undefined);
  const byName = new Map(layers.map((l) => [l.name, l]));
  const tensors = new Map<string, string>(); // "layer:node:tensor" → IR value
  const key = (r: InboundRef) => `${r.layer}:${r.node}:${r.tensor}`;
  const failed = new Set<string>();
  const graphInputs: ValueInfo[] = [];
  const where = prefix ? ` in model '${prefix.slice(0, -1)}'` : "";
  const report = (l: LayerDef, why: string) => {
    const p = `${l.className} '${l.name}'${where} (${why})`;
    if (!m.problems.includes(p)) m.problems.push(p); // a model used twice reports its layers once
  };

  if (bound) {
    if (bound.values.length !== inputRefs.length) throw unsupported(`called on ${bound.values.length} inputs, the model has ${inputRefs.length}`);
    inputRefs.forEach((r, i) => {
      tensors.set(`${r.layer}:0:0`, bound.values[i]);
      if (bound.tainted) failed.add(`${r.layer}:0`);
    });
  } else {
    for (const l of layers) {
      if (l.className !== "InputLayer") continue;
      const shape = inputShape(l.config);
      if (!shape) { report(l, "no batch_input_shape"); failed.add(`${l.name}:0`); continue; }
      try {
        const info = valueInfo(m.unique(l.name), shape, l.config.dtype);
        graphInputs.push(info);
        m.input(info.name, nominal(info.shape, 1, 32), nominal(info.shape, 3, 37));
        tensors.set(`${l.name}:0:0`, info.name);
      } catch (e) {
        if (!(e instanceof EdgennError) || e.code !== "UNSUPPORTED") throw e;
        report(l, e.message);
        failed.add(`${l.name}:0`);
      }
    }
  }

  // A model used as a layer keeps its own first node (input to output): calls of it are numbered from 1.
  const allRefs = [...layers.flatMap((l) => l.inbound.flatMap((n) => [...n.refs, ...n.named.flatMap(([, r]) => r)])), ...outputRefs];
  const offset = (l: LayerDef) => {
    if (!MODEL_CLASSES.includes(l.className)) return 0;
    const used = allRefs.filter((r) => r.layer === l.name).map((r) => r.node);
    return used.length && !used.includes(0) && Math.max(...used) === l.inbound.length ? 1 : 0;
  };

  // Layer calls, in dependency order (a shared layer's later calls may wait for other layers).
  const pending: { layer: LayerDef; node: number; call: Inbound; refs: InboundRef[] }[] = [];
  for (const l of layers) {
    if (l.className === "InputLayer") continue;
    const off = offset(l);
    l.inbound.forEach((call, i) => pending.push({ layer: l, node: i + off, call, refs: [...call.refs, ...call.named.flatMap(([, r]) => r)] }));
  }
  const unknown = new Set<string>();
  const ready = (r: InboundRef) => tensors.has(key(r)) || (failed.has(`${r.layer}:${r.node}`) && !pending.some((q) => q.layer.name === r.layer && q.node === r.node));
  while (pending.length) {
    const i = pending.findIndex((p) => p.refs.every(ready));
    if (i < 0) {
      const p = pending[0];
      const missing = p.refs.find((r) => !byName.has(r.layer));
      throw bad(missing ? `layer '${p.layer.name}' reads layer '${missing.layer}', which does not exist` : `layer '${p.layer.name}' is part of a cycle or reads a missing output`);
    }
    const { layer, node, call, refs } = pending.splice(i, 1)[0];
    const id = `${layer.name}:${node}`;
    // Downstream of a failed layer the import goes on (to list every unsupported layer) on placeholder inputs
    // of unknown shape; errors that may stem from those placeholders are not reported.
    const tainted = refs.some((r) => failed.has(`${r.layer}:${r.node}`));
    const value = (r: InboundRef) => tensors.get(key(r)) ?? `${r.layer}:${r.node}:${r.tensor}:failed`;
    const cls = layer.className;
    const isModel = MODEL_CLASSES.includes(cls);
    const handler = isModel ? undefined : Object.hasOwn(HANDLERS, cls) ? HANDLERS[cls] : undefined; // not Object.prototype's
    if (!handler && !isModel) {
      failed.add(id);
      if (!unknown.has(layer.name)) report(layer, Object.hasOwn(UNMAPPED, cls) ? UNMAPPED[cls] : "layer class not supported");
      unknown.add(layer.name);
      continue;
    }
    const allowed = Object.hasOwn(NAMED_INPUTS, cls) ? NAMED_INPUTS[cls] : [];
    const extra = call.named.filter(([k]) => !allowed.includes(k)).map(([k]) => k);
    if (extra.length) { failed.add(id); report(layer, `${extra.join(", ")} passed as keyword tensor input(s)`); continue; }
    const base = prefix + (node === 0 ? layer.name : `${layer.name}_${node}`);
    const c: Call = {
      layer, base, inputs: call.refs.map(value), out: (t) => (t === 0 ? base : `${base}:${t}`),
      named: Object.fromEntries(call.named.map(([k, r]) => [k, r.map(value)])), options: call.options,
    };
    try {
      let outs: string[];
      if (isModel) {
        const before = m.problems.length;
        const r = buildModel(m, cls, layer.config, `${base}/`, { values: c.inputs, tainted });
        if (r.failedOut || m.problems.length > before) throw new Reported();
        outs = r.outputs;
      } else outs = handler!(m, c);
      outs.forEach((o, t) => tensors.set(`${layer.name}:${node}:${t}`, o));
      if (tainted) failed.add(id);
    } catch (e) {
      failed.add(id);
      if (e instanceof Reported) continue;
      if (tainted && !(e instanceof EdgennError && e.code === "UNSUPPORTED" && !/unknown/.test(e.message))) continue;
      if (!(e instanceof EdgennError) || e.code !== "UNSUPPORTED") throw e;
      report(layer, e.message);
    }
  }
  let failedOut = false;
  const outputs = outputRefs.map((r) => {
    const v = tensors.get(key(r));
    if (v !== undefined && !failed.has(`${r.layer}:${r.node}`)) return v;
    if (failed.has(`${r.layer}:${r.node}`)) { failedOut = true; return `${key(r)}:failed`; }
    throw bad(`output layer '${r.layer}' (node ${r.node}, tensor ${r.tensor}) is not produced`);
  });
  return { outputs, failedOut, inputs: graphInputs };
}

/** Imports a tfjs layers model: model.json's object and its weights (all shards concatenated, or by path). */
export function importTfjsLayers(modelJson: object, weights: TfjsWeights): TfjsImport {
  if (!modelJson || typeof modelJson !== "object") throw bad("expected the parsed model.json object");
  const mj = modelJson as any;
  const metadata: Record<string, unknown> = { format: "tfjs-layers" };
  if (mj.generatedBy) metadata.producer = mj.generatedBy;
  if (mj.convertedBy) metadata.convertedBy = mj.convertedBy;
  const top = topologyOf(mj.modelTopology);
  return importLayersTopology(top, decodeWeights(manifestOf(mj), weights), metadata);
}

/**
 * A Keras model config (`{class_name, config}`, or `{model_config, keras_version}`) over weights already decoded
 * and named as Keras names them (`layer/.../kernel`): what the TF.js and the Keras-file importers share.
 */
export function importLayersTopology(topology: object | { cls: string; config: any; kerasVersion: string }, weights: Map<string, Constant>, metadata: Record<string, unknown>): TfjsImport {
  const { cls, config, kerasVersion } = "cls" in topology ? topology : topologyOf(topology);
  const m = new Importer(weights, kerasVersion);
  const { outputs, inputs: graphInputs } = buildModel(m, cls, config, "");
  if (m.problems.length) {
    throw new EdgennError("UNSUPPORTED", `${metadata.format === "tfjs-layers" ? "TF.js" : "Keras"} model: ${m.problems.length} unsupported layer(s): ${m.problems.join("; ")} (supported: ${TFJS_LAYERS.join(", ")})`);
  }
  // Outputs named by their layer; an output that is an input or an alias gets an Identity node of its own.
  const graphOutputs: string[] = [];
  const inputNames = new Set(graphInputs.map((i) => i.name));
  for (let v of outputs) {
    if (inputNames.has(v) || graphOutputs.includes(v) || m.constants.has(v)) v = m.one("Identity", [v], {}, `${v}_output`);
    graphOutputs.push(v);
  }
  // Keras/tfjs feed Embedding ids as float32; the IR's Gather reads integer ids. An input that only Gathers read
  // as indices is an id input (the session accepts float feeds of whole numbers for it, as tfjs users send).
  for (const i of graphInputs) {
    const readers = m.nodes.filter((n) => n.inputs.includes(i.name));
    if (readers.length && readers.every((n) => n.op === "Gather" && n.inputs[1] === i.name && n.inputs[0] !== i.name)) i.dtype = "int32";
  }
  const meta = { ...metadata };
  if (config.name) meta.name = config.name;
  if (kerasVersion) meta.kerasVersion = kerasVersion;
  return { graph: { inputs: graphInputs, outputs: graphOutputs, nodes: m.nodes, constants: m.constants }, metadata: meta };
}

/** Shard path resolved against the model.json's location (a file path or a URL). */
function sibling(source: URL | string, path: string): URL | string {
  if (source instanceof URL) return new URL(path, source);
  if (/^[a-z][a-z0-9+.-]*:/i.test(source) && !/^[a-z]:[\\/]/i.test(source)) return new URL(path, source);
  const dir = source.replace(/[^/\\]*$/, "");
  return dir + path;
}

/**
 * What load() calls for a model.json: parses it, reads its shards beside it (or takes them from `weights`),
 * and imports it.
 */
export async function importTfjsSource(bytes: Uint8Array, source: Uint8Array | ArrayBuffer | URL | string): Promise<TfjsImport> {
  let json: any;
  try { json = JSON.parse(new TextDecoder().decode(bytes)); } catch (e) { throw bad(`model.json is not valid JSON (${(e as Error).message})`); }
  if (!json || typeof json !== "object" || !json.modelTopology) throw bad("this JSON has no modelTopology (only TF.js layers models are supported, not graph models)");
  const manifest = manifestOf(json);
  const paths = manifest.flatMap((g) => g.paths);
  if (paths.length && (source instanceof Uint8Array || source instanceof ArrayBuffer)) {
    throw new EdgennError("BAD_INPUT", "a TF.js model.json given as bytes: its weight shards cannot be located; pass the model.json's path or URL, or use importTfjsLayers(modelJson, weights)");
  }
  const shards = new Map<string, Uint8Array>();
  for (const p of paths) shards.set(p, await readSource(sibling(source as URL | string, p)));
  return importTfjsLayers(json, shards);
}
