/**
 * The worker side of `loadInWorker` (worker.ts): a dedicated worker (a Web Worker in pages; worker_threads in
 * Node, Deno and Bun) that holds one session and answers the page's messages, so inference never blocks the
 * page's main thread. It imports the runtime itself (`./index.js`; in the bundle, edgenn.js beside it).
 */
import { EdgennError, load, type InferenceSession, type SessionOptions } from "./index.js"; // only from the entry: one copy of the runtime
import type { FromPage, ToPage } from "./worker.js";

interface Port { post(msg: ToPage, transfer?: Transferable[]): void; listen(on: (msg: FromPage) => void): void }

/**
 * The message port of this worker: worker_threads' parentPort where the runtime has it (Node, Deno, Bun start this
 * worker through it: io/workers.ts), else `self` (a Web Worker in a page, or one the page gave loadInWorker).
 */
async function port(): Promise<Port> {
  const g = globalThis as any;
  if (g.process?.versions?.node) {
    const name = ["node", "worker_threads"].join(":"); // computed, so bundlers (and terser) leave it alone
    const { parentPort } = await import(/* @vite-ignore */ name);
    if (parentPort) return { post: (m, t) => parentPort.postMessage(m, t ?? []), listen: (on) => parentPort.on("message", on) };
  }
  if (typeof g.postMessage !== "function") throw new Error("edgenn-worker.js must run as a worker (see loadInWorker)");
  return { post: (m, t) => g.postMessage(m, t ?? []), listen: (on) => { g.onmessage = (e: MessageEvent) => on(e.data); } };
}

const asError = (e: unknown) => ({ code: e instanceof EdgennError ? e.code : undefined, message: e instanceof Error ? e.message : String(e) });

const p = await port();
let session: InferenceSession | undefined;
const loads = new Map<number, AbortController>();

p.listen(async (msg) => {
  const { id } = msg;
  try {
    switch (msg.op) {
      case "load": {
        const abort = new AbortController();
        loads.set(id, abort);
        const options: SessionOptions = {
          ...msg.options,
          signal: abort.signal,
          ...(msg.progress ? { onProgress: (progress) => p.post({ id, progress }) } : {}),
          ...(msg.events ? { onEvent: (event) => p.post({ id, event }) } : {}),
        };
        session?.dispose();
        session = await load(msg.source, options).finally(() => loads.delete(id));
        const s = session;
        return p.post({ id, value: { inputNames: [...s.inputNames], outputNames: [...s.outputNames], inputs: s.inputs.map((i) => ({ ...i, shape: [...i.shape] })), metadata: { ...s.metadata }, variant: s.variant, memory: s.memory } });
      }
      case "abort":
        return loads.get(msg.load)?.abort(msg.reason);
      case "run": {
        if (!session) throw new EdgennError("DISPOSED", "the worker holds no session (it was disposed, or its load failed)");
        const out = await session.run(msg.feeds, msg.fetches as any);
        // run() returns fresh copies: their buffers move to the page instead of being copied again.
        const value = Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { type: t.type, data: t.data, dims: [...t.dims] }]));
        return p.post({ id, value }, Object.values(value).map((t) => t.data.buffer as ArrayBuffer));
      }
      case "dispose":
        session?.dispose();
        session = undefined;
        return p.post({ id, value: null });
    }
  } catch (e) {
    p.post({ id, error: asError(e) });
  }
});
p.post({ id: 0, value: "ready" });
