// The imaging panel's logic: a DICOM slice through the CheXNet-architecture DenseNet-121 (examples/clinic/cache's
// chexnet-densenet121.enn), with the class activation map of a finding. No imports: the caller passes in edgenn's
// explain, Tensor and readEnn.
import { sliceInput } from "./dicom.mjs";

/**
 * What a CAM needs from the model file itself, as its metadata names them: the feature map to tap (load the model
 * with `taps: [features]`) and the dense layer's weights, { data, shape } [findings, channels].
 */
export function camSetup(readEnn, bytes) {
  const file = readEnn(bytes);
  const { features, weights } = file.metadata.cam ?? {};
  const t = file.tensors.get(weights);
  if (!features || !t) throw new Error("the model's metadata names no CAM feature map and weights (cam.features, cam.weights)");
  return { features, weights: { data: t.data, shape: t.shape } };
}

/**
 * One run: the 14 probabilities (`scores`) and the CAM of `target` (default: the most probable finding), as
 * explain.cam returns them. `window`: [centre, width] (default: the slice's own).
 */
export async function analyseSlice(session, { explain, Tensor }, slice, { weights, target, window } = {}) {
  const { preprocessing, cam } = session.metadata;
  const x = sliceInput(slice, { ...preprocessing, window });
  const input = new Tensor("float32", x, [1, 3, preprocessing.size, preprocessing.size]);
  return explain.cam(session, { input }, { features: cam.features, weights, ...(target === undefined ? {} : { target: { index: target } }) });
}
