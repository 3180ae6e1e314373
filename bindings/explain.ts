/**
 * Explanations of a model's output, computed with the model alone (no gradients: any model edgenn runs).
 *
 *   const r = await explain.occlusion(session, { input: x }, { patch: 16, target: { index: 1 } });
 *   ctx.putImageData(new ImageData(explain.toRgba(r, { colormap: "viridis", alpha: "value" }).data, w, h), 0, 0);
 *   console.log(explain.sparkline(r));      // sequences
 *   console.log(explain.bars(r, { labels })); // tabular features
 *
 * docs/explain.md has the API and what the maps mean.
 */
import { attentionMaps } from "./explain/attention.js";
import { cam } from "./explain/cam.js";
import { occlusion } from "./explain/occlusion.js";
import { bar, bars, colormap, sparkline, toRgba } from "./explain/render.js";

export type { OcclusionKind, OcclusionLayout, OcclusionOptions, OcclusionResult, OcclusionTarget } from "./explain/occlusion.js";
export type { AttentionMapOptions, AttentionMaps } from "./explain/attention.js";
export type { CamLayout, CamOptions, CamResult, CamWeights } from "./explain/cam.js";
export type { BarsOptions, Colormap, MapLike, OverlayOptions, RgbaImage } from "./explain/render.js";

export const explain = Object.freeze({ occlusion, cam, attention: attentionMaps, toRgba, colormap, sparkline, bar, bars });
