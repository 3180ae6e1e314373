/**
 * `loadInWorker(source, options)`: the same model and options as `load`, but the session lives in a dedicated
 * worker (edgenn-worker.js beside this file), so loading and inference never block the page's main thread (a
 * DenseNet on a CT slice takes ~0.1 s: a frozen page for that long). The returned `WorkerSession` has the
 * session's names and metadata and an async `run`; tensors are copied to the worker (the caller's arrays are
 * never moved or changed) and the outputs' buffers moved back. Node, Deno and Bun start it through worker_threads,
 * pages as a Web Worker (io/workers.ts); where there are no workers (Cloudflare workerd) it fails with UNSUPPORTED.
 */
import { EdgennError, type ErrorCode } from "./errors.js";
import type { AuditEvent } from "./audit.js";
import type { Fetches, RunOptions, TensorLike } from "./ort.js";
import type { InputInfo, LoadProgress, SessionOptions } from "./session.js";
import { Tensor } from "./tensor.js";
import { startWorker, webWorker, type WorkerHandle } from "./io/workers.js";

type Plain = { type: string; data: ArrayLike<number> | ArrayLike<bigint>; dims: number[] };
/** Page → worker. */
export type FromPage =
  | { id: number; op: "load"; source: Uint8Array | string; options: Omit<SessionOptions, "onProgress" | "onEvent" | "signal">; progress: boolean; events: boolean }
  | { id: number; op: "abort"; load: number; reason?: string }
  | { id: number; op: "run"; feeds: Record<string, Plain>; fetches?: unknown }
  | { id: number; op: "dispose" };
/** Worker → page: an answer (value or error) or, during a load, progress and audit events. */
export type ToPage = { id: number; value?: any; error?: { code?: ErrorCode; message: string }; progress?: LoadProgress; event?: AuditEvent };

export interface WorkerOptions extends SessionOptions {
  /**
   * The worker to use, already started on edgenn-worker.js (e.g. a bundler's `new Worker(new URL(...))`, or a
   * page whose Content-Security-Policy names the worker's URL); default: started here from the file beside this one.
   */
  worker?: Worker;
}

/** The worker for a session: the one given, else edgenn-worker.js beside this file. */
async function openWorker(given?: Worker): Promise<WorkerHandle> {
  if (given) return webWorker(given);
  let url: URL;
  try {
    url = new URL("./edgenn-worker.js", import.meta.url);
  } catch {
    throw new EdgennError("UNSUPPORTED", "loadInWorker: this runtime gives modules no URL, so edgenn-worker.js cannot be found: pass options.worker");
  }
  const w = await startWorker(url);
  if (!w) throw new EdgennError("UNSUPPORTED", "loadInWorker: this runtime has no workers (e.g. Cloudflare workerd, which runs one request per isolate): use load()");
  return w;
}

/** A session in a worker: what InferenceSession tells about the model, and an async run. */
export class WorkerSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputs: readonly InputInfo[];
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly variant: string;
  /** The worker's wasm memory right after the load (weights, arena, total bytes). */
  readonly memory: { weights: number; arena: number; total: number };
  private disposed = false;

  /** @internal */
  constructor(private readonly call: (msg: DistributiveOmit<FromPage, "id">) => Promise<any>, private readonly stop: () => void, info: any) {
    this.inputNames = info.inputNames;
    this.outputNames = info.outputNames;
    this.inputs = info.inputs;
    this.metadata = info.metadata;
    this.variant = info.variant;
    this.memory = info.memory;
  }

  /** As InferenceSession.run: feeds by input name; the outputs (or `fetches`) as Tensors. */
  async run(feeds: Record<string, Tensor | TensorLike>, fetches?: Fetches | RunOptions): Promise<Record<string, Tensor<"float32">>> {
    if (this.disposed) throw new EdgennError("DISPOSED", "this worker session was disposed");
    if (!feeds || typeof feeds !== "object") throw new EdgennError("BAD_INPUT", "run() takes an object of input tensors by name");
    const plain: Record<string, Plain> = {};
    for (const [name, t] of Object.entries(feeds)) {
      if (!t || typeof t !== "object" || typeof t.type !== "string" || !t.data || !t.dims) {
        throw new EdgennError("BAD_INPUT", `input '${name}' is not a tensor ({ type, data, dims })`);
      }
      plain[name] = { type: t.type, data: t.data, dims: [...t.dims] }; // structured clone copies data: the caller's array stays
    }
    const out: Record<string, Plain> = await this.call({ op: "run", feeds: plain, fetches });
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, new Tensor(t.type as "float32", t.data as Float32Array, t.dims)]));
  }

  /** Frees the session's memory and ends the worker. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    try { await this.call({ op: "dispose" }); } finally { this.stop(); }
  }
}
type DistributiveOmit<T, K extends keyof any> = T extends unknown ? Omit<T, K> : never;

/** Loads a model into a fresh worker: the same sources and options as load(); see the module comment. */
export async function loadInWorker(source: Uint8Array | ArrayBuffer | URL | string, options: WorkerOptions = {}): Promise<WorkerSession> {
  const { onProgress, onEvent, signal, worker, ...rest } = options;
  if (signal?.aborted) throw new EdgennError("ABORTED", "load aborted before it started");
  const src = source instanceof URL ? source.href : source instanceof ArrayBuffer ? new Uint8Array(source) : source;
  if (typeof src !== "string" && !(src instanceof Uint8Array)) throw new EdgennError("BAD_INPUT", "loadInWorker takes bytes, a URL or a path (streams stay with load())");
  const ep = await openWorker(worker);
  const pending = new Map<number, { resolve(v: any): void; reject(e: Error): void; load?: boolean }>();
  let next = 1, dead: string | undefined;
  let ready!: () => void;
  const started = new Promise<void>((r) => (ready = r));
  ep.listen((msg) => {
    if (msg.id === 0) return ready();
    if (msg.event) return onEvent?.(msg.event); // audit events come from every later run too
    const p = pending.get(msg.id);
    if (!p) return;
    if (msg.progress) return onProgress?.(msg.progress);
    pending.delete(msg.id);
    if (!pending.size) ep.ref(false);
    if (msg.error) p.reject(msg.error.code ? new EdgennError(msg.error.code, msg.error.message) : new Error(msg.error.message));
    else p.resolve(msg.value);
  }, (why) => {
    dead = `the worker running the session stopped: ${why}`;
    for (const p of pending.values()) p.reject(new EdgennError("DISPOSED", dead));
    pending.clear();
    ready();
  });
  const call = (msg: DistributiveOmit<FromPage, "id">): Promise<any> => {
    if (dead) return Promise.reject(new EdgennError("DISPOSED", dead));
    const id = next++;
    ep.ref(true);
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      ep.post({ ...msg, id } as FromPage);
    });
  };
  ep.ref(true);
  await started;
  // No answer comes to an abort: the load itself fails with ABORTED. The load is the first call, id 1.
  const onAbort = () => ep.post({ id: -1, op: "abort", load: 1, reason: String(signal?.reason ?? "") });
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    // The worker copies nothing back: bytes are cloned into it (the caller keeps its array).
    const info = await call({ op: "load", source: src, options: rest, progress: !!onProgress, events: !!onEvent });
    return new WorkerSession(call, ep.stop, info);
  } catch (e) {
    ep.stop();
    throw e;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
