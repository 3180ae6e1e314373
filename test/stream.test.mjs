// session.stream(): a recurrent model fed in chunks of any size gives what it gives on the whole sequence, on the
// real PyTorch ECG LSTM (2 layers, hidden 128, batch_first export) and real ECG samples; state carries, reset()
// starts over, and models that cannot stream say why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EdgennError, Tensor, load } from "../dist/index.js";
import { ensureModels, readNpy } from "../scripts/models.mjs";
import { below } from "./prng.mjs";

const { dir, manifest } = ensureModels();
const bytes = (name) => readFileSync(join(dir, manifest.models[name].onnx));
const ecg = readNpy(join(dir, manifest.models.lstm_ecg.inputs[0].file)); // [1, 1000, 1]
const slice = (from, to) => new Tensor("float32", ecg.data.slice(from, to), [1, to - from, 1]);
const close = (a, b, what) => {
  const d = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  assert.ok(d <= 1e-6, `${what}: max |diff| ${d}`);
};

// The export's input is fixed at 1000 samples, so a whole run on a shorter prefix is one push of the whole prefix
// into a fresh stream (whose time axis is open); the full 1000 is also checked against the model's own session.
test("the ECG LSTM streamed in chunks of 1, 9, 90, 400 and 500 samples: after each chunk, the output of a whole run on that prefix", async () => {
  const session = await load(bytes("lstm_ecg"));
  const stream = await session.stream(), whole = await session.stream();
  assert.equal(stream.input, "input");
  assert.equal(stream.timeAxis, 1, "batch_first: time is axis 1 of the input (traced through the export's Transpose)");
  let at = 0, got;
  for (const n of [1, 9, 90, 400, 500]) {
    got = [...(await stream.push({ input: slice(at, at + n) })).output.data];
    at += n;
    whole.reset();
    close(got, [...(await whole.push({ input: slice(0, at) })).output.data], `after ${at} samples`);
  }
  assert.equal(stream.position, 1000);
  close(got, [...(await session.run({ input: slice(0, 1000) })).output.data], "all 1000 samples vs the model's session");
  for (const s of [stream, whole, session]) s.dispose();
});

test("random chunkings of the full recording end where the whole run ends; reset() starts over", async () => {
  const session = await load(bytes("lstm_ecg"));
  const whole = [...(await session.run({ input: slice(0, 1000) })).output.data];
  const stream = await session.stream();
  const pick = below(21);
  for (let round = 0; round < 3; round++) {
    let at = 0, last;
    while (at < 1000) {
      const n = Math.min(1000 - at, 1 + pick(250));
      last = (await stream.push({ input: slice(at, at + n) })).output.data;
      at += n;
    }
    close([...last], whole, `round ${round}`);
    stream.reset();
  }
  // After reset, a chunk is the start of a new recording: the same as a fresh stream's first chunk.
  const fresh = await session.stream();
  close([...(await stream.push({ input: slice(0, 50) })).output.data], [...(await fresh.push({ input: slice(0, 50) })).output.data], "after reset");
  stream.dispose();
  fresh.dispose();
  session.dispose();
});

test("what cannot stream says why: a bidirectional GRU needs the whole sequence; a model without recurrence has no state", async () => {
  const bigru = await load(bytes("bigru_ecg"));
  await assert.rejects(bigru.stream(), (e) => e instanceof EdgennError && e.code === "UNSUPPORTED" && /runs bidirectional: it needs the whole sequence/.test(e.message));
  const mlp = await load(bytes("wdbc_mlp"));
  await assert.rejects(mlp.stream(), (e) => e instanceof EdgennError && e.code === "BAD_INPUT" && /no LSTM, GRU or RNN layer/.test(e.message));
  const lstm = await load(bytes("lstm_ecg"));
  const stream = await lstm.stream();
  await assert.rejects(stream.push({}), (e) => e instanceof EdgennError && /missing input 'input'/.test(e.message));
  await stream.push({ input: slice(0, 5) });
  await assert.rejects(stream.push({ input: new Tensor("float32", new Float32Array(10), [2, 5, 1]) }), (e) => e instanceof EdgennError && /batch 2 differs from the stream's 1/.test(e.message));
  for (const s of [stream, bigru, mlp, lstm]) s.dispose();
});
