/**
 * A dedicated worker through whatever API the runtime has, for loadInWorker (worker.ts) and the kernel threads
 * (wasm/threads.ts): node:worker_threads where there is one (Node, Deno, Bun: its unref() lets the process exit
 * while the worker idles), else a module Web Worker (browsers). The worker scripts pick their side the same way.
 */
export interface WorkerHandle {
  /** The runtime's own worker object (tests and diagnostics). */
  readonly worker: any;
  post(msg: unknown): void;
  /** Messages from the worker, and why it stopped (failed to start, threw, exited): `died` may come more than once. */
  listen(on: (msg: any) => void, died: (why: string) => void): void;
  /** Whether the worker keeps the process alive (Node's ref/unref; nothing elsewhere). Starts unreferenced. */
  ref(on: boolean): void;
  stop(): void;
}

/** A Web Worker as a handle (a given one, or one started from a URL). */
export function webWorker(w: Worker): WorkerHandle {
  return {
    worker: w,
    post: (m) => w.postMessage(m),
    listen: (on, died) => {
      w.onmessage = (e) => on(e.data);
      w.onerror = (e) => { e.preventDefault?.(); died(`failed: ${e.message || "could not be loaded"}`); };
    },
    ref: () => {},
    stop: () => w.terminate(),
  };
}

/** Starts the module at `url` as a worker; undefined where the runtime has no workers (Cloudflare workerd). */
export async function startWorker(url: URL | string): Promise<WorkerHandle | undefined> {
  const g = globalThis as any;
  if (!g.process?.versions?.node) return typeof g.Worker === "function" ? webWorker(new g.Worker(url, { type: "module" })) : undefined;
  const name = ["node", "worker_threads"].join(":"); // computed, so bundlers (and terser) leave it alone
  const { Worker } = await import(/* @vite-ignore */ name);
  // None of this process's Node options: the worker needs none, and some stop it starting (--input-type of a
  // script given with -e). V8 flags (--experimental-wasm-relaxed-simd) are process-wide and reach it anyway.
  const w = new Worker(url, { execArgv: [] });
  w.unref();
  return {
    worker: w,
    post: (m) => w.postMessage(m),
    listen: (on, died) => {
      w.on("message", on);
      w.on("error", (e: Error) => died(`failed: ${e.message}`));
      w.on("exit", (code: number) => died(`exited (code ${code})`));
      w.unref(); // a "message" listener references the worker again
    },
    ref: (on) => (on ? w.ref() : w.unref()),
    stop: () => void w.terminate(),
  };
}
