/**
 * TF.js weight manifests and shards: every weight decoded to float32, by its manifest name.
 *
 * Stored forms (tfjs-converter's write_weights.py / quantization.py, read as tfjs-core's io.decodeWeights does):
 * float32, int32, bool, and `quantization: {dtype: "uint8" | "uint16", scale, min}` (value = q·scale + min,
 * rounded for int32 weights) or `{dtype: "float16"}`; the spec's `dtype` stays the original one.
 */
import { EdgennError } from "../errors.js";
import { decodeF16 } from "../format/f16.js";
import type { Constant } from "../ir/graph.js";

export type TfjsWeights = ArrayBuffer | Uint8Array | Map<string, Uint8Array>;
interface WeightSpec { name: string; shape: number[]; dtype?: string; quantization?: { dtype: string; scale?: number; min?: number } }
export interface ManifestGroup { paths: string[]; weights: WeightSpec[] }

export const bad = (msg: string) => new EdgennError("BAD_FILE", `TF.js model: ${msg}`);

export function manifestOf(modelJson: any): ManifestGroup[] {
  const m = modelJson.weightsManifest ?? (modelJson.weightSpecs ? [{ paths: [], weights: modelJson.weightSpecs }] : []);
  if (!Array.isArray(m)) throw bad("weightsManifest must be an array");
  for (const g of m) {
    if (!g || !Array.isArray(g.weights) || (g.paths !== undefined && !Array.isArray(g.paths))) throw bad("each weightsManifest group needs paths and weights arrays");
  }
  return m.map((g: any) => ({ paths: g.paths ?? [], weights: g.weights }));
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, float16: 2, uint8: 1, uint16: 2, bool: 1 };

/** Decodes every manifest weight, in manifest order, from the concatenated shards. */
export function decodeWeights(manifest: ManifestGroup[], weights: TfjsWeights): Map<string, Constant> {
  let all: Uint8Array;
  if (weights instanceof Map) {
    const parts: Uint8Array[] = [];
    for (const g of manifest) {
      for (const p of g.paths) {
        const b = weights.get(p);
        if (!b) throw bad(`weight shard '${p}' is missing (have: ${[...weights.keys()].join(", ") || "none"})`);
        parts.push(b);
      }
    }
    all = concatBytes(parts);
  } else if (weights instanceof ArrayBuffer) all = new Uint8Array(weights);
  else if (weights instanceof Uint8Array) all = weights;
  else throw bad("weights must be an ArrayBuffer, a Uint8Array or a Map of shard path to bytes");
  const view = new DataView(all.buffer, all.byteOffset, all.byteLength);
  const out = new Map<string, Constant>();
  let at = 0;
  for (const g of manifest) {
    for (const w of g.weights) {
      if (!w || typeof w.name !== "string" || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        throw bad(`bad weight spec ${JSON.stringify(w)?.slice(0, 100)}`);
      }
      const count = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const stored = q ? q.dtype : (w.dtype ?? "float32");
      const size = typeof stored === "string" && Object.hasOwn(BYTES, stored) ? BYTES[stored] : 0;
      if (!size) throw new EdgennError("UNSUPPORTED", `TF.js model: weight '${w.name}' has dtype '${stored}' (float32, float16, int32, uint8/uint16 quantized)`);
      if (at + count * size > all.length) throw bad(`the weight data ends at byte ${all.length}, weight '${w.name}' needs bytes ${at}-${at + count * size}`);
      const data = new Float32Array(count);
      if (stored === "float32") for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + 4 * i, true);
      else if (stored === "int32") for (let i = 0; i < count; i++) data[i] = view.getInt32(at + 4 * i, true);
      else if (stored === "float16") decodeF16(all, at, count, data);
      else if (stored === "bool") for (let i = 0; i < count; i++) data[i] = all[at + i] ? 1 : 0;
      else {
        if (!q || typeof q.scale !== "number" || typeof q.min !== "number") throw bad(`quantized weight '${w.name}' needs numeric scale and min`);
        // tfjs-core rounds dequantized int32 weights back to integers.
        const round = w.dtype === "int32";
        for (let i = 0; i < count; i++) {
          const v = (stored === "uint8" ? all[at + i] : view.getUint16(at + 2 * i, true)) * q.scale + q.min;
          data[i] = round ? Math.round(v) : v;
        }
      }
      at += count * size;
      out.set(w.name, { shape: w.shape, data });
    }
  }
  return out;
}
