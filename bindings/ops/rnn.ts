/**
 * Recurrent layers with ONNX semantics: LSTM (gates i,o,f,c), GRU (z,r,h) and simple RNN.
 *
 * Inputs (ONNX positions): X, W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H] (optional), sequence_lens (optional:
 * "" or a float32 constant of integral values [batch]), initial_h, initial_c (LSTM) (optional; graph values or
 * constants), P [D, 3H] (LSTM peepholes i,o,f; optional). W, R and B must be constants: packed once per session.
 * Attributes: hidden_size, direction (forward | reverse | bidirectional), layout (0: X [S, B, I], Y
 * [S, D, B, H], Y_h/Y_c [D, B, H]; 1: X [B, S, I], Y [B, S, D, H], Y_h/Y_c [B, D, H]), clip, linear_before_reset
 * (GRU), activations (the defaults, except: LSTM/GRU gate activation Sigmoid or HardSigmoid, with
 * activation_alpha/activation_beta; RNN: Tanh or Relu; per direction), input_forget (0 only).
 * Outputs: Y, Y_h, Y_c (LSTM) in that order; a node may name only a prefix of them. The runtime needs every
 * named output computed, so an importer names the unused ones.
 *
 * Run: the input projection of every step and direction is one packed GEMM (X·Wᵀ + Wb + Rb) into scratch (one
 * direction over full sequences: 128 KB of steps at a time, just before they run, so it is read from L2), then one
 * fused step kernel per time step and direction (assembly/rnn/rnn.ts). Steps past a row's
 * sequence length write zeros to Y (ONNX); Y_h/Y_c hold the state after the row's last step.
 */
import { fail, int, need, num, str, sizeOf, type OpContext, type OpDef } from "./types.js";

type Kind = "LSTM" | "GRU" | "RNN";
const GATES: Record<Kind, number> = { LSTM: 4, GRU: 3, RNN: 1 };
const OUTPUTS: Record<Kind, number> = { LSTM: 3, GRU: 2, RNN: 2 };
const DEFAULT_ACTS: Record<Kind, string[]> = { LSTM: ["sigmoid", "tanh", "tanh"], GRU: ["sigmoid", "tanh"], RNN: ["tanh"] };

interface Geometry {
  kind: Kind; g: number; dirs: number; reverse: boolean; h: number; inSize: number;
  seq: number; batch: number; layout: number; clip: number; lbr: boolean; relu: boolean[];
  gate: { code: number; alpha: number; beta: number }[];
  lens?: number[];
}

function geometry(c: OpContext, kind: Kind): Geometry {
  const x = need(c, 0);
  const g = GATES[kind];
  const w = c.consts[1], r = c.consts[2];
  if (!w || !r) throw fail(c, "W (input 1) and R (input 2) must be constants", "UNSUPPORTED");
  if (c.node.inputs[3] && !c.consts[3]) throw fail(c, "B (input 3) must be a constant", "UNSUPPORTED");
  const direction = str(c, "direction", "forward");
  if (!["forward", "reverse", "bidirectional"].includes(direction)) throw fail(c, `direction '${direction}' is not forward, reverse or bidirectional`);
  const dirs = direction === "bidirectional" ? 2 : 1;
  if (r.shape.length !== 3) throw fail(c, `R must be 3-D [dirs, ${g}*hidden, hidden], got [${r.shape}]`);
  const h = r.shape[2];
  const hs = int(c, "hidden_size", h);
  if (hs !== h || h < 1) throw fail(c, `hidden_size ${hs} does not match R's shape [${r.shape}]`);
  if (r.shape[0] !== dirs || r.shape[1] !== g * h) throw fail(c, `R has shape [${r.shape}], expected [${dirs}, ${g * h}, ${h}]`);
  if (w.shape.length !== 3 || w.shape[0] !== dirs || w.shape[1] !== g * h) throw fail(c, `W has shape [${w.shape}], expected [${dirs}, ${g * h}, input_size]`);
  const inSize = w.shape[2];
  const b = c.consts[3];
  if (b && (b.shape.length !== 2 || b.shape[0] !== dirs || b.shape[1] !== 2 * g * h)) throw fail(c, `B has shape [${b.shape}], expected [${dirs}, ${2 * g * h}]`);
  const layout = int(c, "layout", 0);
  if (layout !== 0 && layout !== 1) throw fail(c, `layout ${layout} is not 0 or 1`);
  if (x.length !== 3 || x[2] !== inSize) throw fail(c, `X has shape [${x}], expected 3-D with input size ${inSize}`, "BAD_INPUT");
  const [seq, batch] = layout === 0 ? [x[0], x[1]] : [x[1], x[0]];
  const clipAttr = c.node.attrs.clip;
  const clip = clipAttr === undefined || clipAttr === null ? Infinity : num(c, "clip", Infinity);
  if (!(clip > 0)) throw fail(c, `clip ${clip} must be positive`);
  if (kind === "LSTM" && int(c, "input_forget", 0) !== 0) throw fail(c, "input_forget=1 is not supported", "UNSUPPORTED");
  const lbr = kind === "GRU" && int(c, "linear_before_reset", 0) !== 0;
  // Activations per direction: the defaults; LSTM/GRU: the gate activation (first) may be HardSigmoid;
  // RNN: Tanh or Relu. activation_alpha/beta are consumed in order by the activations that take them
  // (onnxruntime): HardSigmoid takes one of each (defaults 0.2, 0.5).
  const acts = c.node.attrs.activations;
  const per = DEFAULT_ACTS[kind].length;
  const relu = new Array<boolean>(dirs).fill(false);
  const gate = Array.from({ length: dirs }, () => ({ code: 0, alpha: 0, beta: 0 }));
  const floats = (k: string): number[] => {
    const v = c.node.attrs[k];
    if (v === undefined || v === null) return [];
    const a = Array.isArray(v) ? v : [v];
    if (!a.every((x) => typeof x === "number")) throw fail(c, `attribute '${k}' must be a list of floats, got ${JSON.stringify(v)}`);
    return a as number[];
  };
  const alphas = floats("activation_alpha"), betas = floats("activation_beta");
  let ai = 0, bi = 0;
  if (acts !== undefined && acts !== null) {
    if (!Array.isArray(acts) || acts.length !== per * dirs || !acts.every((a) => typeof a === "string")) {
      throw fail(c, `attribute 'activations' must list ${per * dirs} names, got ${JSON.stringify(acts)}`);
    }
    for (let d = 0; d < dirs; d++) {
      for (let i = 0; i < per; i++) {
        const a = (acts[d * per + i] as string).toLowerCase();
        if (kind === "RNN" && a === "relu") relu[d] = true;
        else if (kind !== "RNN" && i === 0 && a === "hardsigmoid") {
          gate[d] = { code: 1, alpha: ai < alphas.length ? alphas[ai++] : 0.2, beta: bi < betas.length ? betas[bi++] : 0.5 };
        } else if (a !== DEFAULT_ACTS[kind][i]) {
          throw fail(c, `activations ${JSON.stringify(acts)} are not supported (${kind}: ${kind === "RNN" ? "Tanh or Relu" : `Sigmoid or HardSigmoid, ${DEFAULT_ACTS[kind].slice(1).map((n) => n[0].toUpperCase() + n.slice(1)).join(", ")}`})`, "UNSUPPORTED");
        }
      }
    }
  }
  if (ai < alphas.length || bi < betas.length) {
    throw fail(c, `activation_alpha ${JSON.stringify(alphas)} / activation_beta ${JSON.stringify(betas)} have more values than the activations ${JSON.stringify(acts ?? DEFAULT_ACTS[kind])} take`, "UNSUPPORTED");
  }
  if (gate.some((g) => !Number.isFinite(g.alpha) || !Number.isFinite(g.beta))) throw fail(c, "HardSigmoid alpha and beta must be finite");
  // sequence_lens: a float constant of integral values; all equal to seq is the plain case.
  let lens: number[] | undefined;
  if (c.node.inputs[4]) {
    const sl = c.consts[4];
    if (!sl) throw fail(c, "sequence_lens (input 4) must be a constant", "UNSUPPORTED");
    if (sizeOf(sl.shape) !== batch) throw fail(c, `sequence_lens has ${sizeOf(sl.shape)} values for batch ${batch}`, "BAD_INPUT");
    const v = Array.from(sl.data);
    if (v.some((n) => !Number.isInteger(n) || n < 0 || n > seq)) throw fail(c, `sequence_lens [${v}] must be integers in [0, ${seq}]`, "BAD_INPUT");
    if (v.some((n) => n !== seq)) lens = v;
  }
  const stateShape = layout === 0 ? [dirs, batch, h] : [batch, dirs, h];
  for (const i of kind === "LSTM" ? [5, 6] : [5]) {
    const s = c.inShapes[i];
    if (s && (s.length !== 3 || s.some((d, k) => d !== stateShape[k]))) throw fail(c, `input ${i} has shape [${s}], expected [${stateShape}]`, "BAD_INPUT");
  }
  if (kind !== "LSTM" && c.node.inputs.slice(6).some((x) => x)) throw fail(c, `${kind} has no input 6 or 7`);
  if (kind === "LSTM") {
    const p = c.inShapes[7];
    if (p && sizeOf(p) !== dirs * 3 * h) throw fail(c, `P has shape [${p}], expected [${dirs}, ${3 * h}]`, "BAD_INPUT");
  }
  return { kind, g, dirs, reverse: direction === "reverse", h, inSize, seq, batch, layout, clip, lbr, relu, gate, lens };
}

/** Floats of projection a chunked recurrent layer keeps (128 KB: stays in L2 next to the packed weights). */
const CHUNK_FLOATS = 32768;

/**
 * Steps of input projection (n = dirs * gates * hidden floats per batch row and step) a recurrent layer holds in
 * scratch at once: one direction over full sequences (layout 0, or batch 1) computes it CHUNK_FLOATS at a time,
 * just before those steps, so the step kernels read it from L2 (ECG LSTM layer step ~5% faster); else all steps.
 */
export function projectionSteps(seq: number, batch: number, n: number, dirs: number, lens: boolean, layout: number): number {
  return dirs === 1 && !lens && (layout === 0 || batch === 1) ? Math.max(1, Math.min(seq, Math.floor(CHUNK_FLOATS / (batch * n)))) : seq;
}

function recurrent(kind: Kind): OpDef {
  return {
    packed: [1, 2, 3, 4],
    infer(c) {
      const n = c.node.outputs.length;
      if (n < 1 || n > OUTPUTS[kind]) throw fail(c, `${kind} has 1 to ${OUTPUTS[kind]} outputs, the node names ${n}`);
      const { dirs, h, seq, batch, layout } = geometry(c, kind);
      const y = layout === 0 ? [seq, dirs, batch, h] : [batch, seq, dirs, h];
      const state = layout === 0 ? [dirs, batch, h] : [batch, dirs, h];
      return [y, state, state].slice(0, n);
    },
    prepare(c, outShapes, rt) {
      const geo = geometry(c, kind);
      const { g, dirs, h, inSize, seq, batch, layout, clip, lbr } = geo;
      const k = rt.k, name = c.node.name;
      const gh = g * h, n = dirs * gh;
      // Packed weights: W of both directions as one GEMM (bias = Wb + Rb, except GRU's Rbh when lbr), R per direction
      // (GRU: z,r and the candidate apart).
      const packs = rt.once(`rnn:${name}`, () => {
        const wc = c.consts[1]!, rc = c.consts[2]!, bc = c.consts[3];
        const bias = new Float32Array(n);
        const rbh = new Float32Array(dirs * h);
        if (bc) {
          for (let d = 0; d < dirs; d++) {
            for (let j = 0; j < gh; j++) {
              const wb = bc.data[d * 2 * gh + j], rb = bc.data[d * 2 * gh + gh + j];
              if (kind === "GRU" && lbr && j >= 2 * h) { bias[d * gh + j] = wb; rbh[d * h + j - 2 * h] = rb; }
              else bias[d * gh + j] = wb + rb;
            }
          }
        }
        const pw = rt.mem.alloc(k.f32_gemm_packed_size(inSize, n) * 4, `packed W of '${name}'`);
        const rg = kind === "GRU" ? 2 : g;
        const pr: number[] = [], prh: number[] = [];
        for (let d = 0; d < dirs; d++) {
          pr.push(rt.mem.alloc(k.f32_rnn_packed_size(h, h, rg) * 4, `packed R of '${name}'`));
          if (kind === "GRU") prh.push(rt.mem.alloc(k.f32_rnn_packed_size(h, h, 1) * 4, `packed R of '${name}'`));
        }
        const rbhPtr = kind === "GRU" && lbr && bc ? rt.mem.constant(rbh, `Rbh of '${name}'`) : 0;
        const [w, b, r] = rt.mem.stage([wc.data, bias, rc.data], `weights of '${name}'`);
        k.f32_gemm_pack(inSize, n, w, 1, inSize, b, pw);
        for (let d = 0; d < dirs; d++) {
          const rd = r + d * gh * h * 4;
          k.f32_rnn_pack(h, h, rg, rd, h, pr[d]);
          if (prh.length) k.f32_rnn_pack(h, h, 1, rd + 2 * h * h * 4, h, prh[d]);
        }
        return { pw, pr, prh, rbhPtr };
      });

      const chunk = projectionSteps(seq, batch, n, dirs, geo.lens !== undefined, layout);
      // Scratch (floats): projection [rows][n] | h ping-pong [2][B][H] | c [D][B][H] | zeros [B][H] | GRU [2H].
      const al = (f: number) => Math.ceil(f / 16) * 16;
      const projF = al(chunk * batch * n), hbufF = al(2 * batch * h), cF = al(dirs * batch * h), zF = al(batch * h), gruF = al(2 * h);
      const scratchBytes = (projF + hbufF + cF + zF + gruF) * 4;
      const nOut = outShapes.length;
      // Element offsets (within one tensor) and row strides, by layout.
      const yBase = (t: number, d: number) => (layout === 0 ? (t * dirs + d) * batch * h : (t * dirs + d) * h);
      const yStride = layout === 0 ? h : seq * dirs * h;
      const sBase = (d: number) => (layout === 0 ? d * batch * h : d * h); // initial_h/c, Y_h/Y_c
      const sStride = layout === 0 ? h : dirs * h;
      const pBase = (t: number, d: number) => (layout === 0 ? t * batch * n : t * n) + d * gh; // projection
      const pStride = layout === 0 ? n : seq * n;
      const lens = geo.lens;

      return {
        scratch: scratchBytes,
        run(io) {
          if (batch === 0) return;
          const proj = io.scratch, hbuf = proj + projF * 4, cbuf = hbuf + hbufF * 4, zeros = cbuf + cF * 4, gs = zeros + zF * 4;
          const [xPtr] = io.inputs;
          const y = nOut > 0 ? io.outputs[0] : 0;
          const yh = nOut > 1 ? io.outputs[1] : 0, yc = nOut > 2 ? io.outputs[2] : 0;
          const ih = io.inputs[5] ?? 0, ic = io.inputs[6] ?? 0, peep = io.inputs[7] ?? 0;
          k.fill32(zeros, batch * h, 0);
          // Projection of steps [t0, t0 + rows) into proj (all of them at once unless chunked).
          let t0 = 0;
          const project = (first: number, rows: number) => {
            t0 = first;
            k.f32_gemm(rows * batch, n, inSize, xPtr + first * batch * inSize * 4, inSize, packs.pw, proj, n, -Infinity, Infinity);
          };
          if (seq > 0 && chunk === seq) project(0, seq);
          if (lens && y) k.fill32(y, seq * batch * dirs * h, 0);
          const mem = new Float32Array(k.memory.buffer);
          const copyRows = (dst: number, dstStride: number, src: number, srcStride: number, rows: number) => {
            for (let b = 0; b < rows; b++) {
              const s = (src >> 2) + b * srcStride;
              mem.copyWithin((dst >> 2) + b * dstStride, s, s + h);
            }
          };
          for (let d = 0; d < dirs; d++) {
            const reverse = d === 1 || geo.reverse;
            const ga = geo.gate[d];
            const cd = cbuf + d * batch * h * 4;
            if (kind === "LSTM") {
              if (ic) copyRows(cd, h, ic + sBase(d) * 4, sStride, batch);
              else k.fill32(cd, batch * h, 0);
            }
            // Row groups: all rows at once when every sequence is full, else one row at a time.
            const groups = lens ? lens.map((len, b) => ({ b0: b, rows: 1, len })) : [{ b0: 0, rows: batch, len: seq }];
            for (const { b0, rows, len } of groups) {
              let hp = ih ? ih + (sBase(d) + b0 * sStride) * 4 : zeros + b0 * h * 4;
              let hpStride = ih ? sStride : h;
              let ping = 0;
              // Runs of steps, one kernel call each: to the end of the sequence, or of the projected chunk.
              for (let s = 0; s < len; ) {
                const t = reverse ? len - 1 - s : s, dir = reverse ? -1 : 1;
                let n = len - s;
                if (chunk < seq) {
                  if (s % chunk === 0) project(reverse ? Math.max(0, t + 1 - chunk) : t, Math.min(chunk, reverse ? t + 1 : seq - t));
                  n = Math.min(n, chunk - (s % chunk));
                }
                const xp = proj + (pBase(t - t0, d) + b0 * pStride) * 4, xStep = dir * (pBase(1, 0) - pBase(0, 0));
                // Y's rows of these steps, or (no Y) the two h buffers taken in turn.
                const alternate = y ? 0 : 1;
                const ho = y ? y + (yBase(t, d) + b0 * yStride) * 4 : hbuf + (ping * batch + b0) * h * 4;
                const hoStride = y ? yStride : h, hoStep = y ? dir * (yBase(1, 0) - yBase(0, 0)) : (ping ? -1 : 1) * batch * h;
                if (kind === "LSTM") {
                  k.f32_lstm_steps(n, rows, h, xp, pStride, xStep, hp, hpStride, cd + b0 * h * 4, h, packs.pr[d], peep ? peep + d * 3 * h * 4 : 0,
                    clip, ho, hoStride, hoStep, alternate, ga.code, ga.alpha, ga.beta);
                } else if (kind === "GRU") {
                  k.f32_gru_steps(n, rows, h, xp, pStride, xStep, hp, hpStride, packs.pr[d], packs.prh[d], packs.rbhPtr ? packs.rbhPtr + d * h * 4 : 0,
                    lbr ? 1 : 0, clip, ho, hoStride, hoStep, alternate, gs, ga.code, ga.alpha, ga.beta);
                } else {
                  k.f32_rnn_steps(n, rows, h, xp, pStride, xStep, hp, hpStride, packs.pr[d], geo.relu[d] ? 1 : 0, clip, ho, hoStride, hoStep, alternate);
                }
                hp = ho + (alternate ? (n - 1) & 1 : n - 1) * hoStep * 4; hpStride = hoStride;
                ping ^= n & 1;
                s += n;
              }
              if (yh) copyRows(yh + (sBase(d) + b0 * sStride) * 4, sStride, hp, hpStride, rows);
            }
            if (yc) copyRows(yc + sBase(d) * 4, sStride, cd, h, batch);
          }
        },
      };
    },
  };
}

export const rnnOps: Record<string, OpDef> = { LSTM: recurrent("LSTM"), GRU: recurrent("GRU"), RNN: recurrent("RNN") };
