/**
 * Keras native files: `.keras` (Keras 3: a zip of config.json, metadata.json and model.weights.h5) and legacy
 * `.h5` (Keras 2: model_config and keras_version attributes, weights under model_weights). The config is the same
 * Keras model config the TF.js importer maps (importLayersTopology); only the weights are found differently.
 *
 * UNTESTED AGAINST REAL KERAS OUTPUT: no TensorFlow or Keras exists where this was written, so it follows the
 * published formats only (docs/keras-tfjs.md). The zip and HDF5 readers are optional packages, loaded only here:
 * `fflate` and `jsfive`. Without them the import fails with an UNSUPPORTED error that names the package.
 */
import { EdgennError } from "../errors.js";
import type { Constant } from "../ir/graph.js";
import { importLayersTopology, type TfjsImport } from "./tfjs.js";

const bad = (msg: string) => new EdgennError("BAD_FILE", `Keras file: ${msg}`);
const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const starts = (b: Uint8Array, magic: number[]) => b.length >= magic.length && magic.every((v, i) => b[i] === v);

/** An optional package, or an error that says which one to install. */
async function optional(name: string, what: string): Promise<any> {
  try {
    return await import(/* @vite-ignore */ name);
  } catch {
    throw new EdgennError("UNSUPPORTED", `reading ${what} needs the npm package '${name}', which is not installed (npm install ${name})`);
  }
}

/** The parts of jsfive's API used here. */
interface H5Node { keys?: string[]; attrs: Record<string, unknown>; value?: ArrayLike<number>; shape?: number[]; get(path: string): H5Node | null }

async function openH5(bytes: Uint8Array, name: string): Promise<H5Node> {
  const hdf5 = await optional("jsfive", "Keras HDF5 weights");
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  try { return new hdf5.File(buf, name) as H5Node; } catch (e) { throw bad(`${name} is not a readable HDF5 file (${(e as Error).message})`); }
}

function constantOf(d: H5Node, where: string): Constant {
  if (!Array.isArray(d.shape) || d.value === undefined) throw bad(`${where} is not a dataset`);
  const data = Float32Array.from(d.value as ArrayLike<number>);
  const shape = d.shape.length ? d.shape : [1];
  if (data.length !== shape.reduce((a, b) => a * b, 1)) throw bad(`${where}: ${data.length} values for shape [${shape}]`);
  return { shape, data };
}

const text = (v: unknown) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v));
function json(v: unknown, what: string): any {
  try { return JSON.parse(text(v)); } catch (e) { throw bad(`${what} is not JSON (${(e as Error).message})`); }
}

/** Imports a .keras or legacy .h5 file's bytes. */
export async function importKeras(bytes: Uint8Array): Promise<TfjsImport> {
  if (starts(bytes, ZIP_MAGIC)) return importKerasZip(bytes);
  if (starts(bytes, HDF5_MAGIC)) return importKerasH5(bytes);
  throw bad("neither a .keras zip nor an HDF5 (.h5) file");
}

// ---------------------------------------------------------------------------------------------------------
// Legacy .h5: model_weights/<layer> has a weight_names attribute naming its datasets ("dense/kernel:0").

async function importKerasH5(bytes: Uint8Array): Promise<TfjsImport> {
  const f = await openH5(bytes, "model.h5");
  if (f.attrs.model_config === undefined) throw bad("the HDF5 file has no model_config attribute (weights only, from save_weights?)");
  const config = json(f.attrs.model_config, "model_config");
  const root = f.get("model_weights") ?? f;
  const weights = new Map<string, Constant>();
  const layerNames = (root.attrs.layer_names as unknown[] | undefined) ?? root.keys ?? [];
  for (const layer of layerNames.map(text)) {
    const g = root.get(layer);
    for (const w of ((g?.attrs.weight_names as unknown[] | undefined) ?? []).map(text)) {
      const d = g!.get(w);
      if (!d) throw bad(`layer '${layer}' lists weight '${w}', which is not in the file`);
      weights.set(w, constantOf(d, `model_weights/${layer}/${w}`));
    }
  }
  const kerasVersion = f.attrs.keras_version === undefined ? "" : text(f.attrs.keras_version);
  return importLayersTopology({ model_config: config, keras_version: kerasVersion }, weights, { format: "keras-h5" });
}

// ---------------------------------------------------------------------------------------------------------
// .keras: model.weights.h5 keeps each layer's variables at layers/<layer>/.../vars/<i>, in creation order.

async function importKerasZip(bytes: Uint8Array): Promise<TfjsImport> {
  const { unzipSync } = await optional("fflate", ".keras files (zip)");
  let files: Record<string, Uint8Array>;
  try { files = unzipSync(bytes); } catch (e) { throw bad(`the .keras zip cannot be read (${(e as Error).message})`); }
  for (const need of ["config.json", "model.weights.h5"]) if (!files[need]) throw bad(`the .keras zip has no ${need}`);
  const config = json(files["config.json"], "config.json");
  const meta = files["metadata.json"] ? json(files["metadata.json"], "metadata.json") : {};
  const f = await openH5(files["model.weights.h5"], "model.weights.h5");
  const weights = new Map<string, Constant>();
  const layers = f.get("layers");
  if (!layers) throw bad("model.weights.h5 has no 'layers' group");
  collectVars(layers, config, "", weights);
  return importLayersTopology({ model_config: config, keras_version: String(meta.keras_version ?? "3") }, weights, { format: "keras" });
}

/** Names of a layer's variables in the order Keras 3 creates them (vars/0, vars/1, ...). */
function varNames(cls: string, cfg: any): string[] {
  const bias = cfg?.use_bias === false ? [] : ["bias"];
  switch (cls) {
    case "BatchNormalization": return [...(cfg?.scale === false ? [] : ["gamma"]), ...(cfg?.center === false ? [] : ["beta"]), "moving_mean", "moving_variance"];
    case "LayerNormalization": return [...(cfg?.scale === false ? [] : ["gamma"]), ...(cfg?.center === false ? [] : ["beta"])];
    case "DepthwiseConv2D": case "DepthwiseConv1D": return ["depthwise_kernel", ...bias]; // Keras 3 calls it "kernel"
    case "SeparableConv1D": case "SeparableConv2D": return ["depthwise_kernel", "pointwise_kernel", ...bias];
    case "Embedding": return ["embeddings"];
    case "PReLU": return ["alpha"];
    case "LSTMCell": case "GRUCell": case "SimpleRNNCell": return ["kernel", "recurrent_kernel", ...bias];
    default: return ["kernel", ...bias];
  }
}

/** The class and config of a sub-object of a layer: an RNN's cell, a wrapper's layer(s), an MHA projection. */
function childOf(cls: string, cfg: any, key: string): { cls: string; cfg: any } {
  if (key === "cell" && ["LSTM", "GRU", "SimpleRNN"].includes(cls)) return { cls: `${cls}Cell`, cfg };
  if ((key === "forward_layer" || key === "backward_layer" || key === "layer") && cfg?.layer) {
    const inner = key === "backward_layer" && cfg.backward_layer ? cfg.backward_layer : cfg.layer;
    return { cls: inner.class_name, cfg: inner.config };
  }
  return { cls: "EinsumDense", cfg: { use_bias: cfg?.use_bias } };
}

/** Walks `layers/<name>/...`: each `vars` group's datasets become `<path>/<variable name>`. */
function collectVars(group: H5Node, modelConfig: any, prefix: string, out: Map<string, Constant>, owner?: { cls: string; cfg: any }): void {
  const layerDefs: any[] = modelConfig?.config?.layers ?? [];
  for (const key of group.keys ?? []) {
    const child = group.get(key);
    if (!child) continue;
    const path = prefix ? `${prefix}/${key}` : key;
    if (key === "vars" && owner) {
      const names = varNames(owner.cls, owner.cfg);
      const idx = (child.keys ?? []).map(Number).filter(Number.isSafeInteger).sort((a, b) => a - b);
      if (idx.length === 0) continue; // layers without variables of their own (an RNN: its cell has them)
      if (idx.length !== names.length) throw bad(`${path}: ${idx.length} variables for ${owner.cls}, which has ${names.length} (${names.join(", ")})`);
      idx.forEach((i, k) => out.set(`${prefix}/${names[k]}`, constantOf(child.get(String(i))!, `${path}/${i}`)));
      continue;
    }
    if (!child.keys) continue;
    // A layer of this model, a nested model's "layers" group, or a sub-object of the owning layer.
    const def = layerDefs.find((l) => (l?.config?.name ?? l?.name) === key);
    if (def && ["Sequential", "Functional", "Model"].includes(def.class_name)) collectVars(child.get("layers") ?? child, def, path, out);
    else if (def) collectVars(child, modelConfig, path, out, { cls: def.class_name, cfg: def.config });
    else if (owner) collectVars(child, modelConfig, path, out, childOf(owner.cls, owner.cfg, key));
  }
}
