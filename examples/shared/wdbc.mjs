// What every example does with the default model, written once: plain JavaScript with no imports (the caller passes
// in edgenn's session and Tensor), so the web page, the Deno and Node scripts and the edge worker all import this
// same file without a build step.

export const N_FEATURES = 30;

/** The held-out cases of data/wdbc (the CSV text and the parsed split.json): [{ id, row, features, diagnosis }]. */
export function heldOutCases(csvText, split) {
  const lines = csvText.trim().split("\n").slice(1); // line 1 is scikit-learn's header
  return split.test_indices.map((row) => {
    const values = lines[row].split(",").map(Number);
    // CSV label: 0 = malignant, 1 = benign (data/wdbc/README.md)
    return { id: `wdbc-${row}`, row, features: values.slice(0, N_FEATURES), diagnosis: values[N_FEATURES] === 0 ? "malignant" : "benign" };
  });
}

/** Why `features` is not a valid input (a message for the user or a 400 answer), or null if it is. */
export function featureError(features) {
  if (!Array.isArray(features)) return `"features" must be an array of ${N_FEATURES} numbers`;
  if (features.length !== N_FEATURES) return `"features" must have ${N_FEATURES} numbers, got ${features.length}`;
  const bad = features.findIndex((v) => typeof v !== "number" || !Number.isFinite(v));
  if (bad < 0) return null;
  const v = features[bad];
  return `"features"[${bad}] must be a finite number, got ${typeof v === "number" ? v : JSON.stringify(v) ?? String(v)}`;
}

/**
 * Wraps a loaded session of the default model: `score(rawFeatures)` standardises them with the constants stored in
 * the model file, runs the model and applies its threshold → { probability, label }.
 */
export function scorer(session, Tensor) {
  const meta = session.metadata;
  // In float32, as the metadata's preprocessing note says (the model was trained on float32 inputs).
  const mean = Float32Array.from(meta.preprocessing.mean);
  const std = Float32Array.from(meta.preprocessing.std);
  const { threshold = 0.5, labels = ["benign", "malignant"] } = meta.output ?? {};
  return {
    model: { name: meta.name, version: meta.version },
    variant: session.variant,
    featureNames: meta.preprocessing.feature_names,
    threshold,
    async score(features) {
      const error = featureError(features);
      if (error) throw new TypeError(error);
      const x = Float32Array.from(features, (v, j) => Math.fround(Math.fround(v) - mean[j]) / std[j]);
      const probability = (await session.run({ input: new Tensor("float32", x, [1, N_FEATURES]) })).output.data[0];
      return { probability, label: labels[probability >= threshold ? 1 : 0] };
    },
  };
}

/** A probability for people: four decimals, and no false precision at the ends ("> 0.9999", "< 0.0001"). */
export const formatProbability = (p) => (p > 0.9999 ? "> 0.9999" : p < 0.0001 ? "< 0.0001" : p.toFixed(4));

/** One CSV field, quoted when it needs to be (RFC 4180). */
const csvField = (v) => (/[",\r\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));

/**
 * Scores a folder of records, one JSON file per case ({ "id", "features": [30 raw values] }), for the Deno and Node
 * scripts, which pass in their own file reading. `names`: the .json file names; `read(name)` → its text;
 * `onProgress(done)` after each file. Returns { csv, skipped: [{ name, error }] }: bad files are skipped, not fatal,
 * so one malformed record does not lose a night's batch. Probabilities are written in full (they round-trip the
 * float32 the model produced).
 */
export async function scoreFolder({ names, read, scorer: s, onProgress = () => {} }) {
  const lines = ["id,probability,label"];
  const skipped = [];
  for (const [i, name] of names.entries()) {
    try {
      let record;
      try {
        record = JSON.parse(await read(name));
      } catch (e) {
        throw new Error(e instanceof SyntaxError ? `not JSON (${e.message})` : e.message);
      }
      const { probability, label } = await s.score(record?.features);
      lines.push([record.id ?? name.replace(/\.json$/, ""), probability, label].map(csvField).join(","));
    } catch (e) {
      skipped.push({ name, error: e.message });
    }
    onProgress(i + 1);
  }
  return { csv: lines.join("\n") + "\n", skipped };
}

/**
 * A progress bar on stderr: `write(text)` is the runtime's stderr; on a terminal one line is redrawn in place,
 * otherwise (a log file, a CI job) a line is printed at most every `everyMs` and at the end.
 * Returns `update(done)`.
 */
export function progressBar({ total, write, tty, width = 30, everyMs = tty ? 50 : 2000, now = () => Date.now() }) {
  let last = -Infinity;
  return (done) => {
    const end = done >= total;
    if (!end && now() - last < everyMs) return;
    last = now();
    const filled = total ? Math.round((width * done) / total) : width;
    const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${total ? Math.floor((100 * done) / total) : 100}%`;
    write(tty ? `\r${line}${end ? "\n" : ""}` : `${line}\n`);
  };
}
