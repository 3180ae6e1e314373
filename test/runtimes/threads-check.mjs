// The kernel threads in any host (Deno, Bun, a cross-origin-isolated page): a two-conv model (a Winograd 3x3 and a
// strided im2col conv, both big enough to be split) run on 1 and on `threads` threads must give the same bits.
// No imports of its own: the caller passes InferenceSession and Tensor (the modules, or the bundle in a page).
// Returns { threads, identical, differing, ms1, msN } or { error, code }.

/** A deterministic pseudo-random Float32Array (an LCG: the same numbers in every runtime). */
function values(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 2 ** 31 - 1; }
  return a;
}

export function twoConvGraph() {
  const conv = (name, x, y, w, b, attrs) => ({ op: "Conv", name, inputs: [x, w, b], outputs: [y], attrs: { layout: "NHWC", pads: [1, 1, 1, 1], ...attrs } });
  return {
    inputs: [{ name: "x", dtype: "float32", shape: [1, 40, 40, 16] }], outputs: ["y"],
    nodes: [conv("wino", "x", "h", "w1", "b1", { activation: "relu" }), conv("strided", "h", "y", "w2", "b2", { strides: [2, 2] })],
    constants: new Map([
      ["w1", { shape: [32, 16, 3, 3], data: values(32 * 16 * 9, 1) }], ["b1", { shape: [32], data: values(32, 2) }],
      ["w2", { shape: [64, 32, 3, 3], data: values(64 * 32 * 9, 3) }], ["b2", { shape: [64], data: values(64, 4) }],
    ]),
  };
}

export async function checkThreads({ InferenceSession, Tensor }, threads = 2) {
  try {
    const x = new Tensor("float32", values(40 * 40 * 16, 5), [1, 40, 40, 16]);
    const outs = [], ms = [];
    for (const t of [1, threads]) {
      const s = await InferenceSession.fromGraph(twoConvGraph(), { threads: t });
      try {
        if (s.threads !== t) throw new Error(`asked for ${t} threads, the session has ${s.threads}`);
        outs.push(s.runSync({ x }).y.data);
        const t0 = performance.now();
        s.runSync({ x });
        ms.push(performance.now() - t0);
      } finally {
        s.dispose();
      }
    }
    const a = new Uint32Array(outs[0].buffer), b = new Uint32Array(outs[1].buffer);
    let differing = a.length === b.length ? 0 : Infinity;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
    return { threads, identical: differing === 0, differing, length: a.length, ms1: ms[0], msN: ms[1] };
  } catch (e) {
    return { error: String(e), code: e?.code };
  }
}
