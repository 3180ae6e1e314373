// The ECG monitor's logic, shared by the clinic page and the Deno monitor: one lead of a recording pushed through
// the streaming LSTM (session.stream(): the LSTM state carries from chunk to chunk) as the samples would arrive
// from a device, and the model's output after every chunk. No imports: the caller passes in edgenn's Tensor.

/** The model's own constants: which lead, its standardisation, the class labels (examples/clinic/cache's ecg-lstm.enn). */
export function ecgConfig(session) {
  const { preprocessing: { lead, mean, std }, output: { labels }, input: { frequency } } = session.metadata;
  return { lead, mean, std, labels, frequency };
}

export const softmax = (logits) => {
  const m = Math.max(...logits), e = Array.from(logits, (v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Streams `mV` (one lead, Float32Array) in chunks of `chunk` samples. With `realtime`, a chunk is pushed when its
 * last sample would have been recorded (at `frequency` Hz from the start), as from a live device; otherwise as
 * fast as the model runs. After each push: onChunk({ index, start, end, seconds, logits, probabilities, ms }).
 * Stops early when `signal` aborts. Returns the number of chunks pushed.
 * @param {{ stream: any, Tensor: any, mV: Float32Array, config: { mean: number, std: number, frequency: number },
 *   chunk: number, realtime?: boolean, signal?: AbortSignal, onChunk: (o: any) => void }} options
 */
export async function streamLead({ stream, Tensor, mV, config, chunk, realtime = true, signal, onChunk }) {
  const { mean, std, frequency } = config;
  const t0 = performance.now();
  let index = 0;
  for (let start = 0; start < mV.length && !signal?.aborted; start += chunk, index++) {
    const end = Math.min(start + chunk, mV.length);
    if (realtime) await sleep(t0 + (end / frequency) * 1000 - performance.now());
    if (signal?.aborted) break;
    const z = Float32Array.from(mV.subarray(start, end), (v) => (v - mean) / std);
    const t = performance.now();
    const out = await stream.push({ [stream.input]: new Tensor("float32", z, [1, end - start, 1]) }); // NLC: [batch, time, 1 lead]
    const logits = Array.from(out[stream.outputNames[0]].data);
    onChunk({ index, start, end, seconds: end / frequency, logits, probabilities: softmax(logits), ms: performance.now() - t });
  }
  return index;
}
