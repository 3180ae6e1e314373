// Small ONNX models built with onnx-proto's encoder, for importer tests.
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

export const FLOAT = 1, INT32 = 6, INT64 = 7, BOOL = 9;

export const valueInfo = (name, dims, elemType = FLOAT) => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } } },
});
export const floatInit = (name, dims, data) => ({ name, dims, dataType: FLOAT, floatData: Array.from(data) });
/** int64 initializer in raw_data (little-endian), as exporters write it; BigInt values pass through exactly. */
export function int64Init(name, values, dims = [values.length]) {
  const raw = new Uint8Array(values.length * 8);
  const v = new DataView(raw.buffer);
  values.forEach((x, i) => v.setBigInt64(i * 8, BigInt(x), true));
  return { name, dims, dataType: INT64, rawData: raw };
}
export function attr(name, value) {
  if (typeof value === "string") return { name, type: 3, s: new TextEncoder().encode(value) };
  if (value && typeof value === "object" && "dataType" in value) return { name, type: 4, t: value };
  if (Array.isArray(value)) return value.every(Number.isInteger) ? { name, type: 7, ints: value } : { name, type: 6, floats: value };
  if (Number.isInteger(value)) return { name, type: 2, i: value };
  return { name, type: 1, f: Number(value) };
}
export const node = (opType, input, output, attrs = {}, name = `${opType}_${output[0]}`) =>
  ({ opType, input, output, name, attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)) });
/** A Constant node holding an int64 tensor (shape [] for a scalar). */
export const intConst = (out, values, dims = [values.length]) => node("Constant", [], [out], { value: int64Init("", values, dims) });

export function model({ nodes, inputs, outputs, inits = [], opset = 13 }) {
  const m = {
    irVersion: 8, producerName: "edgenn-test", opsetImport: [{ domain: "", version: opset }],
    graph: { name: "g", node: nodes, initializer: inits, input: inputs, output: outputs },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(m)).finish();
}
