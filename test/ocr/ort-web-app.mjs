// A small app written the way onnxruntime-web's documentation shows (env settings, InferenceSession.create from a
// path and from bytes, new Tensor(type, data, dims), run with the input name, the first output fed back as the
// next input, getData(), release()). It takes the runtime module as a parameter so that the same code runs on
// onnxruntime-web and on edgenn.
import { readFile } from "node:fs/promises";

/** Runs the model at `modelPath` on `input` twice (the second time on its own output); returns what it saw. */
export async function app(ort, modelPath, input) {
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = "error";
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const [inputName] = session.inputNames, [outputName] = session.outputNames;
  const first = await session.run({ [inputName]: new ort.Tensor("float32", input.data, input.dims) });
  const second = await session.run({ [inputName]: first[outputName] }); // outputs reused as feeds
  const out = {
    inputNames: [...session.inputNames], outputNames: [...session.outputNames],
    first: { dims: [...first[outputName].dims], data: await first[outputName].getData() },
    second: { dims: [...second[outputName].dims], data: await second[outputName].getData() },
  };
  await session.release();

  // The same model from bytes, as a page would after fetch(url).then((r) => r.arrayBuffer()).
  const bytes = await readFile(modelPath);
  const fromBytes = await ort.InferenceSession.create(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const again = await fromBytes.run({ [inputName]: new ort.Tensor("float32", input.data, input.dims) });
  out.fromBytes = { dims: [...again[outputName].dims], data: again[outputName].data };
  await fromBytes.release();
  return out;
}
