// A small ONNX-graph → tfjs-ops interpreter, so that tfjs-backend-wasm runs the same architectures with the same
// weights as the ONNX runtimes. It does what a tfjs model would: convolutions and pools in NHWC ("channels last",
// the layout tfjs's kernels want) with weights transposed once at load, bias and relu/relu6/sigmoid fused into
// tf.fused.conv2d / depthwiseConv2d / matMul (as tfjs-layers and the tfjs converter do), LSTM/GRU one time step
// at a time with tf ops (as tfjs-layers' cells do).
//
//   const m = loadOnnxTfjs(tf, bytes, sampleFeeds);   // feeds: { name: { data, shape, dtype } }
//   const [out] = m.run(feeds);                        // Float32Arrays, in graph output order; m.dispose()
//
// Shapes are fixed by sampleFeeds: load runs the graph once with them, keeps every value that does not depend on
// the input data (weights, Constant nodes, Shape → Gather → Concat chains) and runs only the rest per call.
// An op outside the table throws "op X not covered"; the caller reports the model as not run.
// Attributes, initializer data, conv geometry and the fusion plan come from onnx-graph.mjs (shared with
// tflite-from-onnx.mjs).
import { attrs, geometry, onnx, planFusion, prod, protoData, range } from "./onnx-graph.mjs";

/** A value: a tfjs tensor and whether it is channels-last (ONNX [N, C, ...spatial] stored as [N, ...spatial, C]). */
const V = (t, cl = false) => ({ t, cl });

/** A TensorProto as a tfjs tensor (int64 as int32: tfjs has no int64). */
function fromProto(tf, p) {
  const { data, dims, float } = protoData(p);
  return tf.tensor(data, dims, float ? "float32" : "int32");
}

export function loadOnnxTfjs(tf, bytes, sampleFeeds) {
  const graph = onnx.ModelProto.decode(bytes).graph;
  const kept = []; // tensors that live as long as the model
  const keep = (t) => { kept.push(t); return tf.keep(t); };
  const statics = new Map(); // name → value known at load
  const setStatic = (name, v) => { keep(v.t); v.static = true; statics.set(name, v); };
  for (const init of graph.initializer) setStatic(init.name, V(fromProto(tf, init)));
  // Constant nodes first: a Clip's min/max Constants come after the Conv whose fusion depends on them.
  for (const n of graph.node) if (n.opType === "Constant") setStatic(n.output[0], V(fromProto(tf, attrs(n).value)));
  const fusion = planFusion(graph, (n) => { const v = statics.get(n); return v && { dims: v.t.shape, get data() { return v.t.dataSync(); } }; });
  for (const f of fusion.fused.values()) if (f.bias) f.bias = keep(tf.reshape(statics.get(f.bias).t, [-1]));
  const h = helpers(tf, keep);

  // Run the graph once on the sample feeds: nodes whose inputs are all known at load (and Shape, since shapes are
  // fixed) are evaluated now; the others are compiled into the per-call program.
  const program = [];
  tf.tidy(() => {
    const env = new Map(statics);
    for (const [name, f] of Object.entries(sampleFeeds)) env.set(name, V(feedTensor(tf, f)));
    for (const node of graph.node) {
      if (node.opType === "Constant" || fusion.dropped.has(node)) continue;
      const op = OPS[node.opType];
      if (!op) throw new Error(`op ${node.opType} not covered`);
      const ctx = { tf, h, keep, stat: (n) => statics.get(n), fused: fusion.fused.get(node) ?? {} };
      const fn = op(node, attrs(node), ctx);
      const ins = node.input.map((n) => (n ? env.get(n) : undefined));
      const outs = [fn(ins)].flat();
      if (node.opType === "Shape" || node.input.every((n) => !n || statics.has(n))) outs.forEach((v, i) => v && setStatic(node.output[i], v));
      else program.push({ fn, ins: node.input, outs: node.output });
      outs.forEach((v, i) => v && env.set(node.output[i], v));
    }
  });

  const outputs = graph.output.map((o) => o.name);
  return {
    run(feeds) {
      const res = tf.tidy(() => {
        const env = new Map(statics);
        for (const [name, f] of Object.entries(feeds)) env.set(name, V(feedTensor(tf, f)));
        for (const s of program) [s.fn(s.ins.map((n) => (n ? env.get(n) : undefined)))].flat().forEach((v, i) => v && env.set(s.outs[i], v));
        return outputs.map((n) => h.plain(env.get(n)));
      });
      const data = res.map((t) => t.dataSync());
      res.forEach((t) => t.dispose());
      return data;
    },
    dispose() { kept.forEach((t) => t.dispose()); },
  };
}

/** Input data as a tfjs tensor (int64 ids → int32). */
function feedTensor(tf, f) {
  return f.dtype === "int64" || f.data instanceof BigInt64Array ? tf.tensor(Int32Array.from(f.data, Number), f.shape, "int32") : tf.tensor(f.data, f.shape, "float32");
}

/** Layout helpers (bound to tf): logical shape, plain (ONNX layout) and channels-last forms of a value. */
function helpers(tf, keep) {
  const spatialOnes = (s) => s.slice(2).every((d) => d === 1);
  const h = {
    shape: (v) => { const s = v.t.shape; return v.cl ? [s[0], s[s.length - 1], ...s.slice(1, -1)] : s; },
    plain(v) {
      if (!v.cl) return v.t;
      const s = h.shape(v), r = s.length;
      return spatialOnes(s) ? tf.reshape(v.t, s) : tf.transpose(v.t, [0, r - 1, ...range(1, r - 1)]);
    },
    /** Channels-last tensor of a value of rank r (lower ranks broadcast as in ONNX, so are padded first). */
    cl(v, r = v.t.rank) {
      if (v.cl) return v.t;
      const make = () => {
        const t = v.t.rank < r ? tf.reshape(v.t, [...Array(r - v.t.rank).fill(1), ...v.t.shape]) : v.t, s = t.shape;
        return spatialOnes(s) ? tf.reshape(t, [s[0], ...s.slice(2), s[1]]) : tf.transpose(t, [0, ...range(2, r), 1]);
      };
      if (!v.static) return make();
      return (v[`cl${r}`] ??= keep(make())); // a constant is converted once
    },
    /** Where logical axis a lives in the stored tensor. */
    axis(v, a) { const r = v.t.rank; a = a < 0 ? a + r : a; return !v.cl || a === 0 ? a : a === 1 ? r - 1 : a - 1; },
    ints: (v) => Array.from(v.t.dataSync()),
  };
  return h;
}

const unary = (f) => (node, a, { tf }) => ([x]) => V(tf[f](x.t), x.cl);
/** Element-wise with broadcasting; channels-last if either side is. */
const binary = (f) => (node, a, { tf, h }) => ([x, y]) => {
  if (!x.cl && !y.cl) return V(tf[f](x.t, y.t));
  const r = Math.max(x.t.rank, y.t.rank);
  return V(tf[f](h.cl(x, r), h.cl(y, r)), true);
};
const needStatic = (ctx, name, what) => {
  const v = ctx.stat(name);
  if (!v) throw new Error(`${what} from a computed value not covered`);
  return v;
};
const intsOf = (ctx, node, i, attr, what) => (node.input[i] ? ctx.h.ints(needStatic(ctx, node.input[i], what)) : attr);

/** NHWC 4-D view of a channels-last 1-D or 2-D image, and back. */
const to4d = (tf, t) => (t.rank === 3 ? tf.expandDims(t, 1) : t);
const from4d = (tf, t, oneD) => (oneD ? tf.squeeze(t, [1]) : t);

function conv(node, a, ctx) {
  const { tf, keep } = ctx;
  const W = needStatic(ctx, node.input[1], "Conv weight").t;
  const [O, Ig] = W.shape, g = geometry(a, W.shape.slice(2)), group = a.group ?? 1;
  const w4 = tf.reshape(W, [O, Ig, ...g.k]);
  let filter, depthwise = false;
  if (group === 1) filter = keep(tf.transpose(w4, [2, 3, 1, 0])); // [kh, kw, in, out]
  else if (Ig === 1) { depthwise = true; filter = keep(tf.transpose(tf.reshape(w4, [group, O / group, ...g.k]), [2, 3, 0, 1])); } // [kh, kw, in, mult]
  else throw new Error(`grouped Conv (group ${group}, ${Ig} channels per group) not covered`);
  const bias = node.input[2] ? keep(tf.reshape(needStatic(ctx, node.input[2], "Conv bias").t, [O])) : ctx.fused.bias;
  const [t, l, b, r] = g.pads;
  // fused.depthwiseConv2d takes only one symmetric pad: other paddings are applied with tf.pad first.
  const prePad = depthwise && !(t === b && l === r && t === l);
  const pad = depthwise ? (prePad ? 0 : t) : [[0, 0], [t, b], [l, r], [0, 0]];
  return ([x]) => {
    let xt = to4d(tf, ctx.h.cl(x));
    if (prePad) xt = tf.pad(xt, [[0, 0], [t, b], [l, r], [0, 0]]);
    const args = { x: xt, filter, strides: g.strides, pad, dilations: g.dilations, bias, activation: ctx.fused.activation ?? "linear" };
    return V(from4d(tf, depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args), g.oneD), true);
  };
}

const pool = (kind) => (node, a, { tf, h }) => {
  const g = geometry(a, a.kernel_shape);
  if (kind === "avg" && a.count_include_pad && g.pads.some((p) => p)) throw new Error("AveragePool count_include_pad with padding not covered");
  return ([x]) => {
    const xt = to4d(tf, h.cl(x));
    // ceil_mode: pad the end so that the last (partial) window exists; pools ignore padded positions.
    const extra = (i) => {
      if (!a.ceil_mode) return 0;
      const size = xt.shape[1 + i] + g.pads[i] + g.pads[i + 2], s = g.strides[i];
      let out = Math.ceil((size - g.k[i]) / s) + 1;
      if ((out - 1) * s >= xt.shape[1 + i] + g.pads[i]) out--; // a window must start inside the input
      return Math.max(0, (out - 1) * s + g.k[i] - size);
    };
    const pad = [[0, 0], [g.pads[0], g.pads[2] + extra(0)], [g.pads[1], g.pads[3] + extra(1)], [0, 0]];
    return V(from4d(tf, (kind === "max" ? tf.maxPool : tf.avgPool)(xt, g.k, g.strides, pad), g.oneD), true);
  };
};

const globalPool = (f) => (node, a, { tf, h }) => ([x]) => V(tf[f](h.cl(x), range(1, x.t.rank - 1), true), true);

/** x · w (+ bias, activation) with w a [K, N] constant; leading dims of x are folded into rows. */
function dense(ctx, w, bias) {
  const { tf, h } = ctx;
  return ([x]) => {
    const xt = h.plain(x), s = xt.shape;
    const y = tf.fused.matMul({ a: s.length === 2 ? xt : tf.reshape(xt, [-1, s[s.length - 1]]), b: w, bias: bias ?? ctx.fused.bias, activation: ctx.fused.activation ?? "linear" });
    return V(s.length === 2 ? y : tf.reshape(y, [...s.slice(0, -1), w.shape[1]]));
  };
}

function gemm(node, a, ctx) {
  const { tf, keep } = ctx;
  if (a.transA) throw new Error("Gemm transA not covered");
  let w = needStatic(ctx, node.input[1], "Gemm B").t;
  if (a.transB) w = tf.transpose(w);
  if ((a.alpha ?? 1) !== 1) w = tf.mul(w, a.alpha);
  let bias;
  if (node.input[2]) {
    bias = needStatic(ctx, node.input[2], "Gemm C").t;
    if ((a.beta ?? 1) !== 1) bias = tf.mul(bias, a.beta);
    bias = keep(bias.size === w.shape[1] ? tf.reshape(bias, [bias.size]) : bias);
  }
  return dense(ctx, keep(w), bias);
}

function matMul(node, a, ctx) {
  const w = ctx.stat(node.input[1]);
  if (w?.t.rank === 2) return dense(ctx, w.t);
  return ([x, y]) => V(ctx.tf.matMul(ctx.h.plain(x), ctx.h.plain(y)));
}

/** ONNX LSTM (gates i, o, f, c) and GRU (z, r, h; linear_before_reset) over [T, B, I], forward/reverse/bidirectional. */
const recurrent = (kind) => (node, a, ctx) => {
  const { tf, keep } = ctx;
  const n = kind === "LSTM" ? 4 : 3, H = a.hidden_size;
  if ((a.layout ?? 0) !== 0 || a.activations || a.clip !== undefined || node.input[4] || node.input[7]) throw new Error(`${kind} with layout/activations/clip/sequence_lens/peepholes not covered`);
  if (kind === "GRU" && !a.linear_before_reset) throw new Error("GRU linear_before_reset=0 not covered");
  const dirs = a.direction === "bidirectional" ? [0, 1] : [a.direction === "reverse" ? 1 : 0];
  const W = tf.unstack(needStatic(ctx, node.input[1], `${kind} W`).t), R = tf.unstack(needStatic(ctx, node.input[2], `${kind} R`).t);
  const B = node.input[3] ? tf.unstack(needStatic(ctx, node.input[3], `${kind} B`).t) : W.map(() => tf.zeros([2 * n * H]));
  const weights = W.map((w, d) => {
    const [bw, br] = tf.split(B[d], 2);
    // LSTM adds both biases to z once; GRU keeps R's bias apart (it is gated by r).
    return { w: keep(tf.transpose(w)), r: keep(tf.transpose(R[d])), bw: keep(kind === "LSTM" ? tf.add(bw, br) : bw), br: keep(br) };
  });
  const lstm = (x, [hp, cp], q) => {
    const z = tf.add(tf.fused.matMul({ a: x, b: q.w, bias: q.bw }), tf.matMul(hp, q.r));
    const [i, o, f, c] = tf.split(z, 4, 1);
    const cn = tf.add(tf.mul(tf.sigmoid(f), cp), tf.mul(tf.sigmoid(i), tf.tanh(c)));
    return [tf.mul(tf.sigmoid(o), tf.tanh(cn)), cn];
  };
  const gru = (x, [hp], q) => {
    const [xz, xr, xh] = tf.split(tf.fused.matMul({ a: x, b: q.w, bias: q.bw }), 3, 1);
    const [hz, hr, hh] = tf.split(tf.fused.matMul({ a: hp, b: q.r, bias: q.br }), 3, 1);
    const z = tf.sigmoid(tf.add(xz, hz)), r = tf.sigmoid(tf.add(xr, hr));
    const c = tf.tanh(tf.add(xh, tf.mul(r, hh)));
    return [tf.add(c, tf.mul(z, tf.sub(hp, c)))]; // (1 - z) c + z h
  };
  const step = kind === "LSTM" ? lstm : gru;
  return (ins) => {
    const xs = tf.unstack(ctx.h.plain(ins[0])), T = xs.length, batch = xs[0].shape[0];
    const initial = (i) => (ins[i] ? tf.unstack(ctx.h.plain(ins[i])) : dirs.map(() => tf.zeros([batch, H])));
    const h0 = initial(5), c0 = kind === "LSTM" ? initial(6) : [];
    const Y = [], Yh = [], Yc = [];
    dirs.forEach((dir, d) => {
      let state = [h0[d], c0[d]];
      const hs = new Array(T);
      for (let s = 0; s < T; s++) {
        const t = dir ? T - 1 - s : s;
        state = tf.tidy(() => step(xs[t], state, weights[d])); // one scope per step, as tfjs-layers' rnn()
        hs[t] = state[0];
      }
      Y.push(tf.stack(hs)); Yh.push(state[0]); Yc.push(state[1]);
    });
    return [V(tf.stack(Y, 1)), V(tf.stack(Yh)), kind === "LSTM" ? V(tf.stack(Yc)) : undefined];
  };
};

const OPS = {
  Conv: conv,
  Gemm: gemm,
  MatMul: matMul,
  MaxPool: pool("max"),
  AveragePool: pool("avg"),
  GlobalAveragePool: globalPool("mean"),
  GlobalMaxPool: globalPool("max"),
  LSTM: recurrent("LSTM"),
  GRU: recurrent("GRU"),
  Relu: unary("relu"), Sigmoid: unary("sigmoid"), Tanh: unary("tanh"), Sqrt: unary("sqrt"), Exp: unary("exp"), Erf: unary("erf"), Neg: unary("neg"),
  Identity: () => ([x]) => x,
  Dropout: () => ([x]) => x,
  Add: binary("add"), Sub: binary("sub"), Mul: binary("mul"), Div: binary("div"), Pow: binary("pow"),
  Clip(node, a, ctx) {
    const lim = (i, attr, dflt) => (node.input[i] ? ctx.h.ints(needStatic(ctx, node.input[i], "Clip bound"))[0] : attr ?? dflt);
    const lo = lim(1, a.min, -3.4e38), hi = lim(2, a.max, 3.4e38);
    return ([x]) => V(ctx.tf.clipByValue(x.t, lo, hi), x.cl);
  },
  BatchNormalization(node, a, ctx) {
    const { tf, keep } = ctx;
    const [s, b, m, v] = node.input.slice(1).map((n) => needStatic(ctx, n, "BatchNormalization parameter").t);
    const scale = tf.div(s, tf.sqrt(tf.add(v, a.epsilon ?? 1e-5)));
    const shift = keep(tf.sub(b, tf.mul(m, scale)));
    keep(scale);
    return ([x]) => {
      const shape = x.cl ? [scale.size] : [scale.size, ...Array(x.t.rank - 2).fill(1)];
      return V(tf.add(tf.mul(x.t, tf.reshape(scale, shape)), tf.reshape(shift, shape)), x.cl);
    };
  },
  Concat(node, a, { tf, h }) {
    return (xs) => {
      if (!xs.some((x) => x.cl)) return V(tf.concat(xs.map((x) => x.t), a.axis));
      const r = xs[0].t.rank;
      return V(tf.concat(xs.map((x) => h.cl(x, r)), h.axis({ t: xs[0].t, cl: true }, a.axis)), true);
    };
  },
  Reshape(node, a, ctx) {
    const shape = intsOf(ctx, node, 1, undefined, "Reshape shape");
    return ([x]) => { const s = ctx.h.shape(x); return V(ctx.tf.reshape(ctx.h.plain(x), shape.map((d, i) => (d === 0 && !a.allowzero ? s[i] : d)))); };
  },
  Flatten(node, a, { tf, h }) {
    return ([x]) => { const s = h.shape(x), ax = a.axis ?? 1; return V(tf.reshape(h.plain(x), [prod(s.slice(0, ax)), prod(s.slice(ax))])); };
  },
  Transpose(node, a, { tf, h }) { return ([x]) => V(tf.transpose(h.plain(x), a.perm)); },
  Squeeze(node, a, ctx) {
    const axes = intsOf(ctx, node, 1, a.axes, "Squeeze axes");
    return ([x]) => V(ctx.tf.squeeze(ctx.h.plain(x), axes?.map((d) => (d < 0 ? d + x.t.rank : d))));
  },
  Unsqueeze(node, a, ctx) {
    const axes = intsOf(ctx, node, 1, a.axes, "Unsqueeze axes");
    return ([x]) => {
      const s = [...ctx.h.shape(x)], r = s.length + axes.length;
      for (const d of axes.map((d) => (d < 0 ? d + r : d)).sort((p, q) => p - q)) s.splice(d, 0, 1);
      return V(ctx.tf.reshape(ctx.h.plain(x), s));
    };
  },
  Shape: (node, a, { tf, h }) => ([x]) => V(tf.tensor1d(h.shape(x), "int32")),
  Gather(node, a, { tf, h, keep }) {
    return ([x, i]) => {
      const axis = a.axis ?? 0, dim = h.shape(x)[axis < 0 ? axis + x.t.rank : axis];
      // tf.gather rejects negative indices; constant ones are made positive once (shapes are fixed).
      const idx = i.static ? (i.positive ??= keep(tf.tensor(h.ints(i).map((k) => (k < 0 ? k + dim : k)), i.t.shape, "int32"))) : i.t;
      return V(tf.gather(h.plain(x), idx, axis));
    };
  },
  Expand(node, a, { tf, h }) {
    return ([x, s]) => {
      const xs = h.shape(x), want = h.ints(s), r = Math.max(xs.length, want.length);
      const out = range(0, r).map((i) => Math.max(xs[i - r + xs.length] ?? 1, want[i - r + want.length] ?? 1));
      return V(tf.broadcastTo(tf.reshape(h.plain(x), [...Array(r - xs.length).fill(1), ...xs]), out));
    };
  },
  Slice(node, a, ctx) {
    const [starts, ends, axes, steps] = [1, 2, 3, 4].map((i) => intsOf(ctx, node, i, [a.starts, a.ends, a.axes][i - 1], "Slice bounds"));
    if (steps?.some((s) => s < 1)) throw new Error("Slice with negative steps not covered");
    return ([x]) => {
      const s = x.t.shape, begin = s.map(() => 0), end = [...s], stride = s.map(() => 1);
      (axes ?? starts.map((_, i) => i)).forEach((ax, i) => {
        const p = ctx.h.axis(x, ax), dim = s[p], clampI = (v) => Math.min(dim, Math.max(0, v < 0 ? v + dim : v));
        begin[p] = clampI(starts[i]); end[p] = clampI(ends[i]); stride[p] = steps?.[i] ?? 1;
      });
      return V(ctx.tf.stridedSlice(x.t, begin, end, stride), x.cl);
    };
  },
  Pad(node, a, ctx) {
    if ((a.mode ?? "constant") !== "constant") throw new Error(`Pad mode ${a.mode} not covered`);
    const pads = intsOf(ctx, node, 1, a.pads, "Pad pads"), value = node.input[2] ? ctx.h.ints(needStatic(ctx, node.input[2], "Pad value"))[0] : a.value ?? 0;
    return ([x]) => {
      const r = x.t.rank, pairs = range(0, r).map(() => [0, 0]);
      for (let d = 0; d < r; d++) pairs[ctx.h.axis(x, d)] = [pads[d], pads[d + r]];
      return V(ctx.tf.pad(x.t, pairs, value), x.cl);
    };
  },
  Softmax(node, a, { tf, h }) {
    return ([x]) => {
      const t = h.plain(x), r = t.rank, ax = (a.axis ?? -1) < 0 ? (a.axis ?? -1) + r : a.axis;
      if (ax === r - 1) return V(tf.softmax(t));
      const perm = range(0, r); [perm[ax], perm[r - 1]] = [r - 1, ax]; // tf.softmax works on the last axis only
      return V(tf.transpose(tf.softmax(tf.transpose(t, perm)), perm));
    };
  },
  ReduceMean(node, a, ctx) {
    const axes = intsOf(ctx, node, 1, a.axes, "ReduceMean axes"), keepDims = (a.keepdims ?? 1) === 1;
    return ([x]) => {
      const r = x.t.rank, logical = (axes ?? range(0, r)).map((d) => (d < 0 ? d + r : d));
      // Channels-last stays so when the kept axes keep their order: with keepdims, or when every spatial axis goes.
      if (x.cl && (keepDims || range(2, r).every((d) => logical.includes(d)))) {
        return V(ctx.tf.mean(x.t, logical.map((d) => ctx.h.axis(x, d)), keepDims), keepDims);
      }
      return V(ctx.tf.mean(ctx.h.plain(x), logical, keepDims));
    };
  },
};
