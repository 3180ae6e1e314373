/**
 * Streaming state for recurrent models: real-time monitoring feeds a model a few samples at a time, and the
 * LSTM/GRU/RNN state must carry over from one chunk to the next. `session.stream()` makes a second session over
 * the same model in which every recurrent layer's initial state is an input and its final state an output, with
 * the time axis of the model's input left open; `push` feeds a chunk with the state kept from the last one.
 * Pushing a sequence in chunks of any size gives what running it whole gives.
 */
import { EdgennError } from "./errors.js";
import type { Graph, Node } from "./ir/graph.js";
import { Tensor } from "./tensor.js";
import type { TensorLike } from "./ort.js";

const RECURRENT = new Set(["LSTM", "GRU", "RNN"]);
const unsupported = (msg: string) => new EdgennError("UNSUPPORTED", `stream(): ${msg}`);

/** A carried state: the graph input that takes it, the output that gives it, and its shape for a batch. */
interface State { input: string; output: string; shape: (batch: number) => number[] }

/** The streaming form of `graph` (a copy): state inputs and outputs added, the input's time axis symbolic. */
export function streamingGraph(graph: Graph): { graph: Graph; states: State[]; input: string; timeAxis: number; batchAxis: number } {
  const g: Graph = { inputs: graph.inputs.map((i) => ({ ...i, shape: [...i.shape] })), outputs: [...graph.outputs], nodes: graph.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: { ...n.attrs } })), constants: graph.constants };
  const layers = g.nodes.filter((n) => RECURRENT.has(n.op));
  if (layers.length === 0) throw new EdgennError("BAD_INPUT", "stream(): the model has no LSTM, GRU or RNN layer whose state could carry over");
  const states: State[] = [];
  for (const n of layers) {
    if ((n.attrs.direction ?? "forward") !== "forward") throw unsupported(`layer '${n.name}' runs ${n.attrs.direction}: it needs the whole sequence, so it cannot stream`);
    if (n.inputs[4]) throw unsupported(`layer '${n.name}' takes sequence lengths; a stream has none`);
    const layout = n.attrs.layout === 1 ? 1 : 0;
    const h = graph.constants.get(n.inputs[2])?.shape[2];
    if (h === undefined) throw unsupported(`layer '${n.name}': its recurrent weights are not a constant`);
    while (n.inputs.length < 7) n.inputs.push("");
    const carried = n.op === "LSTM" ? [["h", 5, 1], ["c", 6, 2]] as const : [["h", 5, 1]] as const;
    for (const [what, at, out] of carried) {
      const init = n.inputs[at];
      if (init && !(graph.constants.get(init)?.data.every((v) => v === 0))) throw unsupported(`layer '${n.name}' starts from a computed initial ${what}, not zeros`);
      const input = `${n.name}/stream_${what}_in`;
      n.inputs[at] = input;
      while (n.outputs.length <= out) n.outputs.push("");
      if (!n.outputs[out]) n.outputs[out] = `${n.name}/stream_${what}_out`;
      g.inputs.push({ name: input, dtype: "float32", shape: layout === 0 ? [1, "batch", h] : ["batch", 1, h] });
      g.outputs.push(n.outputs[out]);
      states.push({ input, output: n.outputs[out], shape: (b) => (layout === 0 ? [1, b, h] : [b, 1, h]) });
    }
  }
  // The time axis of the model input: the first layer's X (time is axis 0, or 1 with layout 1), traced back
  // through Transposes (PyTorch's batch_first export) to a graph input.
  const first = layers[0];
  let axis = first.attrs.layout === 1 ? 1 : 0, batch = 1 - axis, x = first.inputs[0];
  const producer = new Map<string, Node>(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  for (let p = producer.get(x); p; p = producer.get(x)) {
    const perm = p.attrs.perm;
    if (p.op !== "Transpose" || !Array.isArray(perm)) throw unsupported(`cannot tell the time axis of the model input: layer '${first.name}' reads '${x}', made by ${p.op} '${p.name}'`);
    [axis, batch, x] = [perm[axis] as number, perm[batch] as number, p.inputs[0]];
  }
  const input = g.inputs.find((i) => i.name === x);
  if (!input) throw unsupported(`layer '${first.name}' does not read a model input`);
  input.shape[axis] = "time";
  return { graph: g, states, input: input.name, timeAxis: axis, batchAxis: batch };
}

interface Runner {
  runSync(feeds: Record<string, Tensor | TensorLike>, fetches?: string[]): Record<string, Tensor<"float32">>;
  dispose(): void;
  readonly outputNames: readonly string[];
}

export class RecurrentStream {
  private carried = new Map<string, Float32Array>();
  private batch = -1;
  private steps = 0;
  constructor(private runner: Runner, private states: State[], readonly input: string, readonly timeAxis: number, private batchAxis: number, readonly outputNames: readonly string[]) {}

  /** Time steps pushed since the start or the last reset(). */
  get position(): number { return this.steps; }

  /** Runs one chunk (`input` with any number of time steps) from the state the previous chunk left. */
  pushSync(feeds: Record<string, Tensor | TensorLike>): Record<string, Tensor<"float32">> {
    const x = feeds[this.input];
    if (!x) throw new EdgennError("BAD_INPUT", `stream.push(): missing input '${this.input}'`);
    const dims = (x as { dims: readonly number[] }).dims;
    const batch = dims[this.batchAxis];
    if (this.batch >= 0 && batch !== this.batch) throw new EdgennError("BAD_INPUT", `stream.push(): batch ${batch} differs from the stream's ${this.batch} (reset() first)`);
    const all: Record<string, Tensor | TensorLike> = { ...feeds };
    for (const s of this.states) {
      const shape = s.shape(batch);
      all[s.input] = new Tensor("float32", this.carried.get(s.input) ?? new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
    }
    const out = this.runner.runSync(all, [...this.outputNames, ...this.states.map((s) => s.output)]);
    for (const s of this.states) this.carried.set(s.input, out[s.output].data as Float32Array);
    this.batch = batch;
    this.steps += dims[this.timeAxis];
    return Object.fromEntries(this.outputNames.map((n) => [n, out[n]]));
  }
  async push(feeds: Record<string, Tensor | TensorLike>): Promise<Record<string, Tensor<"float32">>> {
    return this.pushSync(feeds);
  }
  /** Back to zero state (a new recording, another patient). */
  reset(): void {
    this.carried.clear();
    this.batch = -1;
    this.steps = 0;
  }
  dispose(): void {
    this.reset();
    this.runner.dispose();
  }
}

