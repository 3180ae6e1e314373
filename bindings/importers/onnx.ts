/**
 * ONNX importer: a ModelProto (protobuf bytes) becomes the IR graph (ir/graph.ts) plus metadata.
 *
 * - Float32 initializers and Constant nodes become IR constants (float16 is widened to float32); integer
 *   tensors are kept only at import time, for the parameters the IR takes as attributes (Reshape's shape,
 *   Slice's starts/ends/axes/steps, Split's sizes, Squeeze/Unsqueeze axes, Pad's pads).
 * - Every value's static shape is tracked as IR nodes are emitted (the IR ops' own infer, from the graph
 *   inputs' declared shapes). Nodes on constants, and Shape/Size of a static shape, are evaluated here
 *   (onnx-fold.ts): exporters' shape arithmetic becomes constants and never reaches the IR. A symbolic dim
 *   it would need is refused, naming the node.
 * - Opset differences (attribute vs. input, Softmax's 2-D flattening before opset 13) are resolved here,
 *   so the IR sees one form of each op.
 * - Everything the importer cannot map is collected first and reported in ONE EdgennError("UNSUPPORTED")
 *   listing op type, node name and opset of every offending node.
 */
import onnxProto from "onnx-proto";
import { EdgennError } from "../errors.js";
import type { AttrValue, Constant, Dim, Graph, Node, ValueInfo } from "../ir/graph.js";
import { OPS } from "../ops/registry.js";
import { FOLD, FoldError, SMALL_FLOATS, toConstant, type FoldDef, type Tensor } from "./onnx-fold.js";
import { IMAGE, IMAGE_PARAM_INPUTS } from "./onnx-image.js";
import { LOWERED } from "./onnx-lower.js";
import { ATTENTION_HANDLERS } from "./onnx-attention.js";
import { decodeTensor, DT, DT_NAME, toNum, type Decoded, type IntTensor } from "./onnx-tensor.js";

export { decodeTensor };

const { onnx } = onnxProto;

export interface OnnxImport { graph: Graph; metadata: Record<string, unknown> }

/** The ONNX ops this importer maps (the conformance harness uses this to pick tests). */
export const ONNX_OPS: readonly string[] = Object.freeze([
  "Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Max", "Min", "Pow", "Relu", "Clip", "LeakyRelu", "Sigmoid",
  "Tanh", "Elu", "Exp", "Log", "Sqrt", "Abs", "Neg", "Softplus", "Erf", "Reciprocal", "HardSigmoid", "HardSwish",
  "Softmax", "LogSoftmax", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization",
  "Flatten", "Reshape", "Transpose", "Concat", "Split", "Slice", "Squeeze", "Unsqueeze", "Pad", "Identity", "Dropout",
  "Constant", "LSTM", "GRU", "RNN", "LayerNormalization",
  // Lowered to IR ops (onnx-lower.ts) or evaluated at import time (onnx-fold.ts).
  "Gather", "Expand", "ReduceSum", "ReduceMean", "ReduceMax", "Cast", "Shape", "Size", "ConstantOfShape", "Range", "Where",
  "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Not", "And", "Or", "Xor", "Mod", "Sign", "Floor", "Ceil",
  "ReduceProd", "ReduceMin", "ConvTranspose", "Resize", "Upsample",
]);

const INT_LIMIT = 2 ** 31 - 1;
/** Clamps huge int64 values (INT64_MAX as "to the end" in Slice) into the range the IR accepts. */
const clampInt = (v: number) => Math.max(-INT_LIMIT, Math.min(INT_LIMIT, v));

/** Attribute values of a node by name (ints/floats as numbers, strings decoded, tensors as TensorProto). */
function readAttrs(n: any): Map<string, any> {
  const m = new Map<string, any>();
  for (const a of n.attribute ?? []) {
    // Old exporters may leave `type` unset: infer it from the field that holds the value.
    const type = a.type || (a.ints?.length ? 7 : a.floats?.length ? 6 : a.strings?.length ? 8 : a.t ? 4 : a.s?.length ? 3 : a.f ? 1 : 2);
    switch (type) {
      case 1: m.set(a.name, a.f); break;
      case 2: m.set(a.name, toNum(a.i)); break;
      case 3: m.set(a.name, new TextDecoder().decode(a.s)); break;
      case 4: m.set(a.name, a.t); break;
      case 6: m.set(a.name, [...(a.floats ?? [])]); break;
      case 7: m.set(a.name, (a.ints ?? []).map(toNum)); break;
      case 8: m.set(a.name, (a.strings ?? []).map((s: Uint8Array) => new TextDecoder().decode(s))); break;
      default: m.set(a.name, { unsupportedAttrType: a.type });
    }
  }
  return m;
}

/** Decodes ONNX bytes as a ModelProto with a graph, or returns undefined (used to sniff the format). */
export function decodeOnnxModel(bytes: Uint8Array): any | undefined {
  try {
    const m: any = onnx.ModelProto.decode(bytes);
    return m.graph && (m.graph.node?.length || m.graph.output?.length) ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the files an ONNX model keeps its large initializers in (`model.onnx` + `model.onnx.data`, ONNX's
 * external data): `read(location)` returns a file's bytes (load() reads them beside the model's path or URL).
 */
export type ExternalDataReader = (location: string) => Promise<Uint8Array>;

/**
 * `inputShapes`: concrete shapes for inputs with symbolic dims, for models whose shape arithmetic reads them
 * (dynamic-axes exports): the graph is then imported for exactly those shapes (load() does this per input shape).
 */
export function importOnnx(bytes: Uint8Array, external?: Map<string, Uint8Array>, inputShapes?: Record<string, number[]>, memo?: OnnxMemo): OnnxImport {
  let model = memo?.model;
  if (!model) {
    try {
      model = onnx.ModelProto.decode(bytes);
    } catch (e) {
      throw new EdgennError("BAD_FILE", `not a valid ONNX model: ${(e as Error).message}`);
    }
    if (!model.graph) throw new EdgennError("BAD_FILE", "ONNX model has no graph");
    if (external) inlineExternalData(model, external);
    if (memo) memo.model = model;
  }
  return new Importer(model, inputShapes, memo?.floats).run();
}

/**
 * What the imports of one model for several input shapes share: the decoded protobuf (never modified by an
 * import) and its float initializers (read-only to every pass: they make new arrays), so a new input shape
 * costs the graph walk and the passes, not decoding the file and every weight again.
 */
export interface OnnxMemo { model?: any; floats: WeakMap<object, Constant> }
export const onnxMemo = (): OnnxMemo => ({ floats: new WeakMap() });

/** The external-data files an ONNX model names (empty for a self-contained model). */
export function externalDataFiles(bytes: Uint8Array): string[] {
  const model = decodeOnnxModel(bytes);
  const files = new Set<string>();
  for (const t of model?.graph?.initializer ?? []) {
    if (t.dataLocation !== 1) continue;
    const location = externalField(t, "location");
    // A location is a path relative to the model, never absolute or upwards (ONNX's rule; also what keeps a
    // hostile model from naming /etc/passwd or ../../secrets).
    if (!location || location.startsWith("/") || location.includes("\\") || location.split("/").includes("..")) {
      throw new EdgennError("BAD_FILE", `ONNX initializer '${t.name}': external data location ${JSON.stringify(location)} must be a relative path inside the model's directory`);
    }
    files.add(location);
  }
  return [...files];
}

const externalField = (t: any, key: string): string | undefined => (t.externalData ?? []).find((e: any) => e.key === key)?.value;

/** Moves each external initializer's bytes (location, offset, length) into its raw_data. */
function inlineExternalData(model: any, files: Map<string, Uint8Array>): void {
  for (const t of model.graph.initializer ?? []) {
    if (t.dataLocation !== 1) continue;
    const location = externalField(t, "location")!, file = files.get(location);
    if (!file) throw new EdgennError("BAD_FILE", `ONNX initializer '${t.name}': external data file '${location}' was not given`);
    const offset = Number(externalField(t, "offset") ?? 0);
    const length = externalField(t, "length") === undefined ? file.length - offset : Number(externalField(t, "length"));
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > file.length) {
      throw new EdgennError("BAD_FILE", `ONNX initializer '${t.name}': bytes [${offset}, ${offset + length}) are outside '${location}' (${file.length} bytes)`);
    }
    t.rawData = file.subarray(offset, offset + length);
    t.dataLocation = 0;
    t.externalData = [];
  }
}

export interface Ctx {
  op: string; name: string; opset: number;
  a: Map<string, any>;
  ins: string[]; outs: string[];
}

class Importer {
  private g: any;
  private opset = 1;
  private problems: string[] = [];
  private nodes: Node[] = [];
  private floats = new Map<string, Constant>();
  private ints = new Map<string, IntTensor>();
  private nonFloat = new Map<string, string>(); // value -> why it is not a float tensor
  private alias = new Map<string, string>();
  private used = new Set<string>();
  private graphOutputs = new Set<string>();
  private names = new Set<string>();
  /** Shapes as the nodes are imported: graph inputs as declared (maybe symbolic), then each IR op's own infer. */
  private shapes = new Map<string, Dim[]>();
  /** Why a value has no static shape (the symbolic graph input it derives from, or an op with no shape). */
  private shapeUnknown = new Map<string, string>();
  /** Outputs of nodes that were refused (and so never made). */
  private failed = new Set<string>();
  private nodeNames = new Set<string>();

  constructor(private model: any, private inputShapes?: Record<string, number[]>, private decodedFloats?: WeakMap<object, Constant>) {
    this.g = model.graph;
  }

  /** decodeTensor, with float tensors decoded once per model across the imports for several input shapes. */
  decode(t: any): Decoded {
    const known = t && typeof t === "object" ? this.decodedFloats?.get(t) : undefined;
    if (known) return { kind: "float", c: { shape: [...known.shape], data: known.data } };
    const d = decodeTensor(t);
    if (d.kind === "float") this.decodedFloats?.set(t, d.c);
    return d;
  }

  run(): OnnxImport {
    const model = this.model, g = this.g;
    for (const o of model.opsetImport ?? []) if (!o.domain || o.domain === "ai.onnx") this.opset = toNum(o.version);
    for (const n of g.node ?? []) { for (const x of n.input ?? []) this.used.add(x); for (const x of n.output ?? []) this.names.add(x); }
    for (const o of g.output ?? []) { this.used.add(o.name); this.graphOutputs.add(o.name); }

    // Initializers.
    const initNames = new Set<string>();
    for (const t of g.initializer ?? []) {
      initNames.add(t.name);
      this.names.add(t.name);
      this.addTensor(t.name, this.decode(t));
    }
    for (const t of g.sparseInitializer ?? []) this.problems.push(`sparse initializer '${t.values?.name ?? "?"}' is not supported`);

    // Model inputs: graph inputs that are not initializers.
    const inputs: ValueInfo[] = [];
    for (const v of g.input ?? []) {
      if (initNames.has(v.name)) continue;
      this.names.add(v.name);
      const info = this.valueInfo(v, "graph input");
      if (info) inputs.push(info);
    }
    if (inputs.length === 0 && this.problems.length === 0 && (g.input ?? []).length === initNames.size) {
      this.problems.push("the model has no inputs (every value is a constant; the IR needs at least one input)");
    }

    (g.node ?? []).forEach((n: any, i: number) => this.node(n, i));

    const outputs: string[] = [];
    for (const o of g.output ?? []) {
      const elem = o.type?.tensorType?.elemType;
      if (o.type && !o.type.tensorType) this.problems.push(`graph output '${o.name}' is not a tensor (sequence/map/optional types are not supported)`);
      else if (elem !== undefined && elem !== DT.FLOAT && elem !== 0) this.problems.push(`graph output '${o.name}' has data type ${DT_NAME[elem] ?? elem} (float32 only)`);
      else if (this.ints.has(o.name)) this.problems.push(`graph output '${o.name}' is an integer constant (float32 only)`);
      outputs.push(o.name);
    }

    if (this.problems.length) {
      const list = [...new Set(this.problems)];
      const e = new EdgennError("UNSUPPORTED", `ONNX model (opset ${this.opset}) uses ${list.length} unsupported feature(s):\n  - ${list.join("\n  - ")}`);
      throw Object.assign(e, { needsStaticShapes: list.some((p) => p.includes("needs static shapes")) });
    }

    // Only the float constants something reads (or a graph output) go into the IR.
    const read = new Set<string>(outputs);
    for (const n of this.nodes) for (const x of n.inputs) read.add(x);
    const constants = new Map<string, Constant>();
    for (const [k, c] of this.floats) if (read.has(k)) constants.set(k, c);

    const metadata: Record<string, unknown> = { format: "onnx", opset: this.opset };
    if (g.name) metadata.name = g.name;
    if (model.docString || g.docString) metadata.description = model.docString || g.docString;
    if (model.producerName) metadata.producer = [model.producerName, model.producerVersion].filter(Boolean).join(" ");
    if (model.irVersion) metadata.irVersion = toNum(model.irVersion);
    if (model.modelVersion && toNum(model.modelVersion)) metadata.version = toNum(model.modelVersion);
    for (const p of model.metadataProps ?? []) if (p.key && !(p.key in metadata)) metadata[p.key] = p.value;
    return { graph: { inputs, outputs, nodes: this.nodes, constants }, metadata };
  }

  private addTensor(name: string, d: Decoded) {
    if (d.kind === "float") this.floats.set(name, d.c);
    else if (d.kind === "int") { this.ints.set(name, d.t); this.nonFloat.set(name, `'${name}' is an integer tensor`); }
    else this.nonFloat.set(name, d.why);
  }

  /** A declared shape with the caller's concrete sizes for its symbolic dims (fixed dims must agree). */
  private concrete(name: string, declared: Dim[] | undefined): Dim[] | undefined {
    const given = this.inputShapes?.[name];
    if (!given || !declared) return declared;
    const ok = given.length === declared.length && given.every((d, i) => Number.isSafeInteger(d) && d >= 0 && (typeof declared[i] !== "number" || declared[i] === d));
    if (!ok) throw new EdgennError("BAD_INPUT", `input '${name}' has shape [${given}], the model expects [${declared}]`);
    return [...given];
  }

  private shapeOf(v: any): Dim[] | undefined {
    return declaredShape(v);
  }

  private valueInfo(v: any, where: string): ValueInfo | undefined {
    const tt = v.type?.tensorType;
    const shape = this.concrete(v.name, this.shapeOf(v));
    // Kept whatever the data type: shape arithmetic may read the shape of an integer input.
    if (shape) this.shapes.set(v.name, shape);
    if (!tt) {
      this.problems.push(`${where} '${v.name}' is not a tensor (sequence/map/optional types are not supported)`);
      this.nonFloat.set(v.name, `'${v.name}' is not a tensor`);
      return undefined;
    }
    // int64/int32 inputs are ids (token ids): the IR keeps their dtype, only Gather's indices read them.
    const ids = tt.elemType === DT.INT64 ? "int64" : tt.elemType === DT.INT32 ? "int32" : undefined;
    if (tt.elemType !== DT.FLOAT && !ids) {
      this.problems.push(`${where} '${v.name}' has data type ${DT_NAME[tt.elemType] ?? tt.elemType} (float32 only)`);
      this.nonFloat.set(v.name, `'${v.name}' is ${DT_NAME[tt.elemType] ?? tt.elemType}`);
      return undefined;
    }
    if (!shape) { this.problems.push(`${where} '${v.name}' has no shape (rank unknown)`); return undefined; }
    if (ids) this.nonFloat.set(v.name, `'${v.name}' is ${ids} (ids: only Gather's indices read them)`);
    return { name: v.name, dtype: ids ?? "float32", shape };
  }

  private fresh(base: string): string {
    let name = base, i = 1;
    while (this.names.has(name)) name = `${base}_${i++}`;
    this.names.add(name);
    return name;
  }

  private emit(c: Ctx, op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, suffix = "") {
    let name = suffix ? `${c.name}/${suffix}` : c.name;
    if (this.nodeNames.has(name)) { let i = 1; while (this.nodeNames.has(`${name}_${i}`)) i++; name = `${name}_${i}`; }
    this.nodeNames.add(name);
    const clean: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) clean[k] = v;
    const node: Node = { op, name, inputs, outputs, attrs: clean };
    this.nodes.push(node);
    this.track(node);
  }

  /** Output shapes of an emitted node by the IR op's own infer, when every input shape is static. */
  private track(node: Node) {
    const inShapes = node.inputs.map((x) => (x ? this.staticShape(x) : undefined));
    const unknown = node.inputs.find((x, i) => x && !inShapes[i]);
    const def = OPS[node.op];
    if (unknown !== undefined || !def) {
      const why = unknown !== undefined ? this.whyNotStatic(unknown) : `IR op ${node.op} has no shape rule`;
      for (const o of node.outputs) this.shapeUnknown.set(o, why);
      return;
    }
    try {
      const outs = def.infer({ node, inShapes, consts: node.inputs.map((x) => this.floats.get(x)) });
      node.outputs.forEach((o, i) => outs[i] && this.shapes.set(o, outs[i]));
    } catch (e) {
      if (!(e instanceof EdgennError)) throw e;
      this.problems.push(`the shapes do not fit: ${e.message}`);
    }
  }

  /**
   * Evaluates a node on constants (onnx-fold.ts) when it can: every input a constant (Shape, Size: a static
   * shape), float data only where the op allows it. Returns false to leave the node to its handler.
   */
  private fold(c: Ctx, def: FoldDef, problem: (msg: string) => void): boolean {
    const ins = c.ins.map((x) => (x ? (def.shapeOnly ? this.shapeTensor(x) : this.tensor(x)) : undefined));
    if (c.ins.some((x, i) => x && !ins[i])) return false;
    const floats = ins.filter((t) => t && t.type === DT.FLOAT) as Tensor[];
    if (!def.shapeOnly && floats.length && def.floats !== true && !(def.floats === "small" && floats.every((t) => t.data.length <= SMALL_FLOATS))) return false;
    try {
      const outs = def.run(c, ins);
      c.outs.forEach((o, i) => o && outs[i] && this.setTensor(c, o, outs[i]));
    } catch (e) {
      if (!(e instanceof FoldError || e instanceof EdgennError)) throw e;
      problem(e.message);
    }
    return true;
  }

  /** Why an op that is only evaluated at import time could not be. */
  private whyNotFolded(c: Ctx, def: FoldDef): string {
    if (def.shapeOnly) return `${this.whyNotStatic(c.ins[0])}: shape arithmetic is evaluated at import time and needs static shapes`;
    const x = c.ins.find((v) => v && !this.tensor(v));
    if (x) return `input '${x}' is computed at run time (${c.op} is evaluated at import time, on constants only)`;
    return `float32 ${c.op} over more than ${SMALL_FLOATS} elements is not supported`;
  }

  private setTensor(c: Ctx, name: string, t: Tensor) {
    if (t.type !== DT.FLOAT) return this.addTensor(name, { kind: "int", t: { type: t.type, shape: t.shape, data: Array.from(t.data) } });
    // A graph output needs a producing node: a copy of the constant.
    if (this.graphOutputs.has(name)) return this.emit(c, "Identity", [this.constant(`${name}_value`, toConstant(t))], [name]);
    this.floats.set(name, toConstant(t));
  }

  private constant(base: string, c: Constant): string {
    const name = this.fresh(base);
    this.floats.set(name, c);
    return name;
  }

  private node(n: any, index: number) {
    const op: string = n.opType ?? "";
    const rawName: string = n.name && n.name.length <= 200 ? n.name : `${op}_${index}`;
    const c: Ctx = {
      op, name: this.nodeNames.has(rawName) ? `${rawName}_${index}` : rawName, opset: this.opset,
      a: readAttrs(n),
      ins: (n.input ?? []).map((x: string) => this.alias.get(x) ?? x),
      outs: [...(n.output ?? [])],
    };
    const problem = (msg: string) => {
      this.problems.push(`${op} '${c.name}' (opset ${c.opset}): ${msg}`);
      for (const o of c.outs) {
        if (o && !this.shapeUnknown.has(o)) this.shapeUnknown.set(o, `'${o}' comes from ${op} '${c.name}', which is not supported`);
        if (o) this.failed.add(o);
      }
    };
    if (n.domain && n.domain !== "ai.onnx") return problem(`domain '${n.domain}' is not supported`);
    for (const [k, v] of c.a) if (v && typeof v === "object" && "unsupportedAttrType" in v) return problem(`attribute '${k}' has an unsupported type`);
    const fold = own(FOLD, op);
    if (fold && this.fold(c, fold, problem)) return;
    // Shape arithmetic cut off upstream (an integer input a refused node should have made): name that cause, not
    // the type of the constant next to it. Float data from a refused node still goes to the handler, as before.
    const params = own(PARAM_INPUTS, op)?.(c.opset);
    const handler = own(HANDLERS, op);
    const lost = fold && c.ins.find((x, i) => x && this.failed.has(x) && !this.tensor(x) &&
      (params !== undefined ? i >= params : !handler || c.ins.some((y) => this.ints.has(y))));
    if (lost) return problem(`input ${this.shapeUnknown.get(lost)}`);
    if (!handler) return problem(fold ? this.whyNotFolded(c, fold) : "op is not supported");
    // Float ops must not read integer tensors (the IR computes in float32); integer parameter inputs are read by the handler.
    if (op !== "Constant") {
      const dataInputs = params !== undefined ? c.ins.slice(0, params) : c.ins;
      for (const x of dataInputs) if (x && this.nonFloat.has(x)) problem(`input ${this.nonFloat.get(x)} (float32 only)`);
    }
    handler(c, { problem, imp: this });
  }

  // ---- helpers for the handlers ----
  isFloatConst(x: string) { return !!x && this.floats.has(x); }
  floatConst(x: string) { return x ? this.floats.get(x) : undefined; }
  intConst(x: string) { return x ? this.ints.get(x) : undefined; }
  /** A constant of any type, as the evaluator sees it. */
  tensor(x: string): Tensor | undefined {
    const f = this.floats.get(x);
    return f ? { type: DT.FLOAT, shape: f.shape, data: f.data } : this.ints.get(x);
  }
  /** The static shape of a value or constant, if known at import time. */
  staticShape(x: string): number[] | undefined {
    const k = this.floats.get(x) ?? this.ints.get(x);
    if (k) return k.shape;
    const s = this.shapes.get(x);
    return s && s.every((d) => typeof d === "number") ? (s as number[]) : undefined;
  }
  whyNotStatic(x: string): string {
    const s = this.shapes.get(x);
    if (s) return `'${x}' has symbolic dims [${s}]`;
    return this.shapeUnknown.get(x) ?? `the shape of '${x}' is not known at import time`;
  }
  /** What Shape and Size read: a constant's or value's shape, declared symbolic dims included (they refuse those). */
  private shapeTensor(x: string): Tensor | undefined {
    const s = this.staticShape(x) ?? this.shapes.get(x);
    return s && { type: DT.FLOAT, shape: s as number[], data: [] };
  }
  isUsed(x: string) { return !!x && this.used.has(x); }
  /** The output is the input (Dropout, Cast to float32): an alias; a graph output still needs a producer: Identity. */
  passThrough(c: Ctx) {
    if (this.graphOutputs.has(c.outs[0])) this.emit(c, "Identity", [c.ins[0]], [c.outs[0]]);
    else this.alias.set(c.outs[0], c.ins[0]);
  }
  emitNode(c: Ctx, op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, suffix = "") { this.emit(c, op, inputs, outputs, attrs, suffix); }
  newConstant(base: string, k: Constant) { return this.constant(base, k); }
  newValue(base: string) { return this.fresh(base); }
  addDecoded(name: string, d: Decoded) { this.addTensor(name, d); }
}

export interface H { problem(msg: string): void; imp: Importer }

/** A value's declared shape: sizes, symbolic dims by name (`unk_<i>` for an unnamed unknown dim). */
function declaredShape(v: any): Dim[] | undefined {
  const dims = v.type?.tensorType?.shape?.dim;
  if (!dims) return undefined;
  return dims.map((d: any, i: number) => {
    if (d.dimParam) return String(d.dimParam).slice(0, 64);
    if (Object.prototype.hasOwnProperty.call(d, "dimValue") && toNum(d.dimValue) >= 0) return toNum(d.dimValue);
    return `unk_${i}`;
  });
}

/** The model's inputs as declared (symbolic dims kept): what a session shows when it imports per input shape. */
export function onnxInputs(bytes: Uint8Array): ValueInfo[] {
  const g = decodeOnnxModel(bytes)?.graph;
  const inits = new Set((g?.initializer ?? []).map((t: any) => t.name));
  return (g?.input ?? []).filter((v: any) => !inits.has(v.name)).map((v: any) => {
    const elem = v.type?.tensorType?.elemType;
    return { name: v.name, dtype: elem === DT.INT64 ? "int64" : elem === DT.INT32 ? "int32" : "float32", shape: declaredShape(v) ?? [] };
  });
}

/** A table entry for a name read from the file: never one of Object.prototype's members ("constructor"). */
const own = <T>(table: Readonly<Record<string, T>>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);
export type Handler = (c: Ctx, h: H) => void;

/** How many leading inputs are float data (the rest are integer parameters read at import time), by op and opset. */
const PARAM_INPUTS: Record<string, ((opset: number) => number) | undefined> = {
  Reshape: () => 1, Slice: () => 1, Split: () => 1, Squeeze: () => 1, Unsqueeze: () => 1, Pad: () => 1,
  Dropout: () => 1, Clip: () => 3, LSTM: () => 4, GRU: () => 4, RNN: () => 4,
  Gather: () => 1, Expand: () => 1, ReduceSum: () => 1, ReduceMean: () => 1, ReduceMax: () => 1,
  ...IMAGE_PARAM_INPUTS,
};

const attrOr = (c: Ctx, name: string, dflt: unknown): any => (c.a.has(name) ? c.a.get(name) : dflt);

/** Fails the node (with a problem recorded) unless extra outputs beyond the first `keep` are absent or unread. */
function onlyOutputs(c: Ctx, h: H, keep: number) {
  c.outs.slice(keep).forEach((o, i) => {
    if (o && (h.imp.isUsed(o))) h.problem(`output ${keep + i} ('${o}') is not supported (only the first ${keep} output(s))`);
  });
}

/** An integer parameter that must be a constant input (or absent when `optional`). */
function intsInput(c: Ctx, h: H, i: number, what: string, optional: boolean): number[] | undefined {
  const x = c.ins[i] ?? "";
  if (!x) {
    if (!optional) h.problem(`${what} (input ${i}) is required`);
    return undefined;
  }
  const t = h.imp.intConst(x);
  if (!t) {
    h.problem(`${what} (input ${i}, '${x}') must be a constant integer tensor (it is computed at run time)`);
    return undefined;
  }
  return t.data.map(clampInt);
}

function floatScalarInput(c: Ctx, h: H, i: number, what: string): number | undefined {
  const x = c.ins[i] ?? "";
  if (!x) return undefined;
  const k = h.imp.floatConst(x);
  if (!k || k.data.length !== 1) { h.problem(`${what} (input ${i}, '${x}') must be a constant scalar`); return undefined; }
  return k.data[0];
}

const unary = (ir: string, params: Record<string, number> = {}): Handler => (c, h) => {
  onlyOutputs(c, h, 1);
  const attrs: Record<string, AttrValue> = {};
  for (const [k, d] of Object.entries(params)) attrs[k] = attrOr(c, k, d);
  h.imp.emitNode(c, ir, [c.ins[0]], [c.outs[0]], attrs);
};

const binary = (ir: string, variadic = false): Handler => (c, h) => {
  if (c.opset < 7 && c.a.get("broadcast") === 1 && c.a.has("axis")) h.problem("legacy broadcast with 'axis' (opset < 7) is not supported");
  const ins = c.ins;
  if (!variadic && ins.length !== 2) return h.problem(`expected 2 inputs, got ${ins.length}`);
  if (ins.length === 0) return h.problem("no inputs");
  if (ins.length === 1) return h.imp.emitNode(c, "Identity", [ins[0]], [c.outs[0]]);
  let acc = ins[0];
  for (let i = 1; i < ins.length; i++) {
    const out = i === ins.length - 1 ? c.outs[0] : h.imp.newValue(`${c.outs[0]}_partial${i}`);
    h.imp.emitNode(c, ir, [acc, ins[i]], [out], {}, i === ins.length - 1 ? "" : `partial${i}`);
    acc = out;
  }
};

function softmax(ir: string): Handler {
  return (c, h) => {
    const x = c.ins[0], out = c.outs[0];
    if (c.opset >= 13) return h.imp.emitNode(c, ir, [x], [out], { axis: attrOr(c, "axis", -1) });
    // Before opset 13: the input is flattened to 2-D at `axis` and normalised over the second dim.
    const axis = attrOr(c, "axis", 1);
    const shape = h.imp.staticShape(x);
    if (!shape) {
      if (axis === -1) return h.imp.emitNode(c, ir, [x], [out], { axis: -1 });
      return h.problem(`axis=${axis} before opset 13 flattens the input to 2-D; supported only when the input shape is static (a graph input) or axis=-1`);
    }
    const rank = shape.length, a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a > rank) return h.problem(`axis ${axis} is out of range for rank ${rank}`);
    if (a === rank - 1) return h.imp.emitNode(c, ir, [x], [out], { axis: -1 });
    const flat = h.imp.newValue(`${out}_flat`), soft = h.imp.newValue(`${out}_2d`);
    h.imp.emitNode(c, "Flatten", [x], [flat], { axis: a }, "flatten");
    h.imp.emitNode(c, ir, [flat], [soft], { axis: 1 }, "softmax");
    h.imp.emitNode(c, "Reshape", [soft], [out], { shape }, "reshape");
  };
}

function windowAttrs(c: Ctx, withDilations: boolean): Record<string, AttrValue> {
  const attrs: Record<string, AttrValue> = {};
  for (const k of ["strides", "pads", "auto_pad", ...(withDilations ? ["dilations"] : [])]) if (c.a.has(k)) attrs[k] = c.a.get(k);
  return attrs;
}

function pool(ir: "MaxPool" | "AveragePool"): Handler {
  return (c, h) => {
    onlyOutputs(c, h, 1);
    const kernel: number[] | undefined = c.a.get("kernel_shape");
    if (!kernel) return h.problem("attribute 'kernel_shape' is required");
    if (kernel.length < 1 || kernel.length > 2) return h.problem(`${kernel.length}-D pooling is not supported (1-D and 2-D)`);
    const attrs = windowAttrs(c, ir === "MaxPool");
    attrs.kernel_shape = kernel;
    if (c.a.has("ceil_mode")) attrs.ceil_mode = c.a.get("ceil_mode");
    if (ir === "AveragePool") attrs.count_include_pad = attrOr(c, "count_include_pad", 0);
    if (ir === "AveragePool" && c.a.has("dilations") && (c.a.get("dilations") as number[]).some((d) => d !== 1)) return h.problem("dilated average pooling is not supported");
    if (ir === "MaxPool" && attrOr(c, "storage_order", 0) !== 0 && h.imp.isUsed(c.outs[1] ?? "")) h.problem("storage_order=1 is not supported");
    h.imp.emitNode(c, ir, [c.ins[0]], [c.outs[0]], attrs);
  };
}

/**
 * LSTM / GRU / RNN: W, R, B must be float constants; sequence_lens an integer constant (passed on as a float
 * constant) or absent; initial states and peepholes float values. Unused outputs ("") get fresh names (the IR
 * computes every named output); trailing unused ones are dropped.
 */
function recurrent(ir: "LSTM" | "GRU" | "RNN"): Handler {
  return (c, h) => {
    const names = ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"];
    const maxIn = ir === "LSTM" ? 8 : 6;
    if (c.ins.length > maxIn) return h.problem(`${c.ins.length} inputs (at most ${maxIn})`);
    const ins = c.ins.slice();
    let ok = true;
    for (const i of [1, 2, 3]) {
      if (ins[i] && !h.imp.isFloatConst(ins[i])) { h.problem(`${names[i]} (input ${i}, '${ins[i]}') must be a float constant (initializer)`); ok = false; }
    }
    if (!ins[1] || !ins[2]) { h.problem("W and R (inputs 1 and 2) are required"); ok = false; }
    for (const i of [5, 6, 7]) {
      if (ins[i] && h.imp.intConst(ins[i])) { h.problem(`${names[i]} (input ${i}) is an integer tensor (float32 only)`); ok = false; }
    }
    if (ins[4]) {
      const t = h.imp.intConst(ins[4]);
      if (!t) { h.problem(`sequence_lens (input 4, '${ins[4]}') must be a constant integer tensor (it is computed at run time)`); ok = false; }
      else ins[4] = h.imp.newConstant(`${c.name}_sequence_lens`, { shape: t.shape, data: Float32Array.from(t.data) });
    }
    const attrs: Record<string, AttrValue> = {};
    for (const k of ["hidden_size", "direction", "layout", "clip", "activations", "activation_alpha", "activation_beta", "linear_before_reset", "input_forget"]) {
      if (c.a.has(k) && (k !== "linear_before_reset" || ir === "GRU") && (k !== "input_forget" || ir === "LSTM")) attrs[k] = c.a.get(k);
    }
    // Gate activation (first of each direction's list, LSTM/GRU): Sigmoid or HardSigmoid; the others the defaults
    // (RNN: Tanh or Relu). activation_alpha/beta are consumed in order by the activations that take parameters
    // (onnxruntime), here only HardSigmoid.
    const acts: string[] | undefined = c.a.get("activations");
    const defaults = ir === "LSTM" ? ["sigmoid", "tanh", "tanh"] : ir === "GRU" ? ["sigmoid", "tanh"] : ["tanh"];
    const okAct = (a: string, i: number) => {
      const n = a.toLowerCase(), slot = i % defaults.length;
      return n === defaults[slot] || (ir === "RNN" && n === "relu") || (ir !== "RNN" && slot === 0 && n === "hardsigmoid");
    };
    if (acts && !acts.every(okAct)) {
      h.problem(`activations [${acts}] are not supported (only ${ir === "RNN" ? "Tanh or Relu" : `Sigmoid or HardSigmoid, ${defaults.slice(1).join(", ")}`})`); ok = false;
    }
    const nParam = acts ? acts.filter((a) => a.toLowerCase() === "hardsigmoid").length : 0;
    for (const k of ["activation_alpha", "activation_beta"]) {
      const v: number[] | undefined = c.a.get(k);
      if (v && v.length > nParam) { h.problem(`attribute '${k}' [${v}] has more values than the activations [${acts ?? defaults}] take`); ok = false; }
    }
    if (ir === "LSTM" && attrOr(c, "input_forget", 0) !== 0) { h.problem("input_forget=1 is not supported"); ok = false; }
    if (!ok) return;
    let outs = c.outs.slice(0, ir === "LSTM" ? 3 : 2);
    while (outs.length > 1 && !h.imp.isUsed(outs[outs.length - 1])) outs.pop();
    outs = outs.map((o, i) => (o && h.imp.isUsed(o) ? o : h.imp.newValue(`${c.name}_unused${i}`)));
    while (ins.length && !ins[ins.length - 1]) ins.pop();
    h.imp.emitNode(c, ir, ins, outs, attrs);
  };
}

const HANDLERS: Record<string, Handler> = {
  ...LOWERED,
  ...IMAGE,
  LSTM: recurrent("LSTM"), GRU: recurrent("GRU"), RNN: recurrent("RNN"),
  Constant(c, h) {
    const out = c.outs[0];
    const a = c.a;
    if (a.has("value")) {
      const d = h.imp.decode(a.get("value"));
      if (d.kind === "other") h.problem(d.why);
      return h.imp.addDecoded(out, d);
    }
    if (a.has("value_float")) return h.imp.addDecoded(out, { kind: "float", c: { shape: [], data: Float32Array.of(a.get("value_float")) } });
    if (a.has("value_floats")) { const v = a.get("value_floats"); return h.imp.addDecoded(out, { kind: "float", c: { shape: [v.length], data: Float32Array.from(v) } }); }
    if (a.has("value_int")) return h.imp.addDecoded(out, { kind: "int", t: { type: DT.INT64, shape: [], data: [a.get("value_int")] } });
    if (a.has("value_ints")) { const v = a.get("value_ints"); return h.imp.addDecoded(out, { kind: "int", t: { type: DT.INT64, shape: [v.length], data: v } }); }
    h.problem(`value kind ${[...a.keys()].join(", ") || "(none)"} is not supported`);
  },

  Conv(c, h) {
    const w = h.imp.floatConst(c.ins[1]);
    if (!w) return h.problem(`the weights (input 1, '${c.ins[1]}') must be a float constant (initializer)`);
    if (w.shape.length !== 3 && w.shape.length !== 4) return h.problem(`${w.shape.length - 2}-D convolution is not supported (1-D and 2-D)`);
    const b = c.ins[2] ?? "";
    if (b && !h.imp.isFloatConst(b)) return h.problem(`the bias (input 2, '${b}') must be a float constant`);
    const kernel: number[] | undefined = c.a.get("kernel_shape");
    if (kernel && kernel.some((k, i) => k !== w.shape[i + 2])) return h.problem(`kernel_shape [${kernel}] differs from the weights' [${w.shape.slice(2)}]`);
    const attrs = windowAttrs(c, true);
    attrs.group = attrOr(c, "group", 1);
    h.imp.emitNode(c, "Conv", b ? [c.ins[0], c.ins[1], b] : [c.ins[0], c.ins[1]], [c.outs[0]], attrs);
  },

  Gemm(c, h) {
    const [a, bName] = c.ins, cName = c.ins[2] ?? "";
    const alpha = attrOr(c, "alpha", 1), beta = attrOr(c, "beta", 1);
    const transA = attrOr(c, "transA", 0), transB = attrOr(c, "transB", 0);
    const w = h.imp.floatConst(bName);
    if (!w || w.shape.length !== 2) return h.problem(`B (input 1, '${bName}') must be a 2-D float constant (initializer)`);
    const cConst = h.imp.floatConst(cName);
    const n = transB ? w.shape[0] : w.shape[1];
    let x = a;
    if (transA) {
      x = h.imp.newValue(`${a}_T`);
      h.imp.emitNode(c, "Transpose", [a], [x], { perm: [1, 0] }, "transA");
    }
    let wName = bName;
    if (alpha !== 1) wName = h.imp.newConstant(`${bName}_x_alpha`, { shape: w.shape, data: w.data.map((v) => v * alpha) });
    const attrs: Record<string, AttrValue> = transB ? { transposeW: true } : {};
    const out = c.outs[0];
    // C as Dense bias when it is a constant broadcast along rows: shape [], [1], [N] or [1, N].
    const cSize = cConst ? cConst.data.length : 0;
    const rowBias = cConst && (cSize === 1 || (cSize === n && cConst.shape[cConst.shape.length - 1] === n && cConst.shape.length <= 2));
    if (!cName || beta === 0) return h.imp.emitNode(c, "Dense", [x, wName], [out], attrs);
    if (rowBias) {
      const bias = new Float32Array(n);
      for (let j = 0; j < n; j++) bias[j] = beta * cConst!.data[cSize === 1 ? 0 : j];
      const biasName = h.imp.newConstant(`${c.name}_bias`, { shape: [n], data: bias });
      return h.imp.emitNode(c, "Dense", [x, wName, biasName], [out], attrs);
    }
    const y = h.imp.newValue(`${out}_ab`);
    h.imp.emitNode(c, "Dense", [x, wName], [y], attrs, "dense");
    let cv = cName;
    if (beta !== 1) {
      if (cConst) cv = h.imp.newConstant(`${cName}_x_beta`, { shape: cConst.shape, data: cConst.data.map((v) => v * beta) });
      else {
        cv = h.imp.newValue(`${cName}_x_beta`);
        h.imp.emitNode(c, "Mul", [cName, h.imp.newConstant(`${c.name}_beta`, { shape: [], data: Float32Array.of(beta) })], [cv], {}, "beta");
      }
    }
    h.imp.emitNode(c, "Add", [y, cv], [out], {}, "addC");
  },

  // A constant B is a Dense (packed once); two run-time operands the IR MatMul (attention's Q·Kᵀ and P·V).
  MatMul: ATTENTION_HANDLERS.MatMul,
  LayerNormalization: ATTENTION_HANDLERS.LayerNormalization,
  // Constant indices: Slices (onnx-lower.ts); run-time ids (token ids into an embedding table): the IR Gather.
  Gather: (c, h) => (h.imp.tensor(c.ins[1] ?? "") ? LOWERED.Gather(c, h) : ATTENTION_HANDLERS.Gather(c, h)),

  Add: binary("Add"), Sub: binary("Sub"), Mul: binary("Mul"), Div: binary("Div"), Pow: binary("Pow"),
  Max: binary("Max", true), Min: binary("Min", true),

  Relu: unary("Relu"), Sigmoid: unary("Sigmoid"), Tanh: unary("Tanh"), Exp: unary("Exp"), Log: unary("Log"),
  Sqrt: unary("Sqrt"), Abs: unary("Abs"), Neg: unary("Neg"), Softplus: unary("Softplus"), Erf: unary("Erf"),
  Reciprocal: unary("Reciprocal"), HardSwish: unary("HardSwish"), Identity: unary("Identity"),
  LeakyRelu: unary("LeakyRelu", { alpha: 0.01 }), Elu: unary("Elu", { alpha: 1 }),
  HardSigmoid: unary("HardSigmoid", { alpha: 0.2, beta: 0.5 }),

  Clip(c, h) {
    let min: number | undefined, max: number | undefined;
    if (c.opset < 11) {
      min = c.a.get("min");
      max = c.a.get("max");
    } else {
      min = floatScalarInput(c, h, 1, "min");
      max = floatScalarInput(c, h, 2, "max");
    }
    const attrs: Record<string, AttrValue> = {};
    if (min !== undefined && min !== -Infinity) attrs.min = min;
    if (max !== undefined && max !== Infinity) attrs.max = max;
    h.imp.emitNode(c, "Clip", [c.ins[0]], [c.outs[0]], attrs);
  },

  Softmax: softmax("Softmax"), LogSoftmax: softmax("LogSoftmax"),
  MaxPool: pool("MaxPool"), AveragePool: pool("AveragePool"),
  GlobalAveragePool: unary("GlobalAveragePool"), GlobalMaxPool: unary("GlobalMaxPool"),

  BatchNormalization(c, h) {
    onlyOutputs(c, h, 1);
    if (attrOr(c, "training_mode", 0) !== 0) return h.problem("training_mode=1 is not supported (inference only)");
    if (c.opset < 9 && attrOr(c, "spatial", 1) !== 1) return h.problem("spatial=0 is not supported");
    const params = c.ins.slice(1, 5);
    const bad = params.filter((p) => !h.imp.isFloatConst(p));
    if (params.length !== 4 || bad.length) return h.problem(`scale, bias, mean and variance must be float constants (not: ${bad.join(", ") || "missing"})`);
    h.imp.emitNode(c, "BatchNormalization", c.ins.slice(0, 5), [c.outs[0]], { epsilon: attrOr(c, "epsilon", 1e-5) });
  },

  Flatten: (c, h) => h.imp.emitNode(c, "Flatten", [c.ins[0]], [c.outs[0]], { axis: attrOr(c, "axis", 1) }),

  Reshape(c, h) {
    const shape = c.opset < 5 ? c.a.get("shape") : intsInput(c, h, 1, "shape", false);
    if (!shape) return c.opset < 5 ? h.problem("attribute 'shape' is required") : undefined;
    h.imp.emitNode(c, "Reshape", [c.ins[0]], [c.outs[0]], { shape, allowzero: attrOr(c, "allowzero", 0) });
  },

  // A constant input (PyTorch's Linear as Transpose + MatMul) is folded before this (onnx-fold.ts).
  Transpose: (c, h) => h.imp.emitNode(c, "Transpose", [c.ins[0]], [c.outs[0]], c.a.has("perm") ? { perm: c.a.get("perm") } : {}),

  Concat: (c, h) => h.imp.emitNode(c, "Concat", c.ins.filter((x) => x), [c.outs[0]], { axis: attrOr(c, "axis", 0) }),

  Split(c, h) {
    const split = c.opset < 13 ? c.a.get("split") : intsInput(c, h, 1, "split", true);
    if (c.a.has("num_outputs")) return h.problem("attribute 'num_outputs' (opset 18) is not supported");
    const outs = c.outs.map((o, i) => o || h.imp.newValue(`${c.name}_unused${i}`));
    const attrs: Record<string, AttrValue> = { axis: attrOr(c, "axis", 0) };
    if (split && split.length) attrs.split = split;
    h.imp.emitNode(c, "Split", [c.ins[0]], outs, attrs);
  },

  Slice(c, h) {
    let starts, ends, axes, steps;
    if (c.opset < 10) {
      starts = c.a.get("starts"); ends = c.a.get("ends"); axes = c.a.get("axes");
      if (!starts || !ends) return h.problem("attributes 'starts' and 'ends' are required");
      starts = starts.map(clampInt); ends = ends.map(clampInt);
    } else {
      starts = intsInput(c, h, 1, "starts", false);
      ends = intsInput(c, h, 2, "ends", false);
      axes = intsInput(c, h, 3, "axes", true);
      steps = intsInput(c, h, 4, "steps", true);
      if (!starts || !ends) return;
    }
    const attrs: Record<string, AttrValue> = { starts, ends };
    if (axes) attrs.axes = axes;
    if (steps) attrs.steps = steps;
    h.imp.emitNode(c, "Slice", [c.ins[0]], [c.outs[0]], attrs);
  },

  Squeeze(c, h) {
    const axes = c.opset < 13 ? c.a.get("axes") : intsInput(c, h, 1, "axes", true);
    h.imp.emitNode(c, "Squeeze", [c.ins[0]], [c.outs[0]], axes ? { axes } : {});
  },

  Unsqueeze(c, h) {
    const axes = c.opset < 13 ? c.a.get("axes") : intsInput(c, h, 1, "axes", false);
    if (!axes) return c.opset < 13 ? h.problem("attribute 'axes' is required") : undefined;
    h.imp.emitNode(c, "Unsqueeze", [c.ins[0]], [c.outs[0]], { axes });
  },

  Pad(c, h) {
    const mode = attrOr(c, "mode", "constant");
    if (mode !== "constant") return h.problem(`mode '${mode}' is not supported (constant only)`);
    let pads: number[] | undefined, value: number | undefined;
    if (c.opset < 11) {
      pads = c.a.get("pads") ?? c.a.get("paddings");
      value = attrOr(c, "value", 0);
      if (!pads) return h.problem("attribute 'pads' is required");
    } else {
      pads = intsInput(c, h, 1, "pads", false);
      value = floatScalarInput(c, h, 2, "constant_value") ?? 0;
      if (c.ins[3]) return h.problem("the 'axes' input (opset 18) is not supported");
      if (!pads) return;
    }
    if (pads.some((p) => p < 0)) return h.problem(`negative pads [${pads}] (cropping) are not supported`);
    h.imp.emitNode(c, "Pad", [c.ins[0]], [c.outs[0]], { pads, value: value ?? 0, mode: "constant" });
  },

  Dropout(c, h) {
    onlyOutputs(c, h, 1);
    if (c.opset >= 12 && c.ins[2]) {
      const t = h.imp.intConst(c.ins[2]);
      if (!t || t.data.some((v) => v !== 0)) return h.problem("training_mode must be a constant false (inference only)");
    }
    if (c.opset < 7 && attrOr(c, "is_test", 0) === 0) {
      // Old opsets' training flag: inference runtimes treat it as a no-op all the same.
    }
    h.imp.passThrough(c);
  },
};
