// Runs the fixture models (test/runtimes/fixtures.mjs) with whatever edgenn build the host has (the modules, the
// bundle in a page): no imports of its own, the caller passes `load` and `Tensor`.
/** Fixture models (a conv and an LSTM) against onnxruntime-node's outputs: max |diff| <= 1e-4 · max(1, max |ref|). */
export const MODEL_TOLERANCE = 1e-4;

const fromBase64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/** Runs each fixture (test/runtimes/fixtures.mjs) and compares with onnxruntime-node's output. */
export async function runFixtures(fixtures, options, { load, Tensor }) {
  const results = [];
  for (const f of fixtures) {
    const session = await load(fromBase64(f.enn), options);
    try {
      const y = (await session.run({ [f.input.name]: new Tensor("float32", Float32Array.from(f.input.data), f.input.dims) }))[f.expected.name];
      let err = 0, scale = 1;
      f.expected.data.forEach((v, i) => { err = Math.max(err, Math.abs(y.data[i] - v)); scale = Math.max(scale, Math.abs(v)); });
      if (y.data.length !== f.expected.data.length) err = Infinity;
      results.push({ name: f.name, maxAbsDiff: err, ok: err <= MODEL_TOLERANCE * scale && y.dims.join() === f.expected.dims.join() });
    } finally {
      session.dispose();
    }
  }
  return results;
}

