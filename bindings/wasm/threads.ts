/**
 * The kernel threads of a multi-threaded session: `threads - 1` workers (edgenn-kernel-thread.ts) on the session's
 * shared wasm memory; the calling thread is the first thread. `run(jobs)` posts jobs 1.. to the workers through
 * one job slot each in a small SharedArrayBuffer (kernel index + float64 arguments, Atomics.notify), runs job 0
 * itself, then waits for the others: Atomics.wait where the thread may block (Node, Deno, workers), a spin on
 * Atomics.load on a browser page's main thread, which may not. A kernel error in a worker is rethrown by run().
 * Only kernels that touch no static scratch run on workers (PARALLEL_KERNELS): the others keep theirs in the
 * module's data segment, which every instance shares.
 */
import { features } from "./loader.js";
import { EdgennError } from "../errors.js";
import type { KernelExports } from "./kernels.js";
import { startWorker, type WorkerHandle } from "../io/workers.js";

export const PARALLEL_KERNELS = ["f32_gemm", "f32_conv2d", "f32_conv2d_wino", "f32_conv1d_wino", "f32_dwconv2d"] as const;
export type ParallelKernel = (typeof PARALLEL_KERNELS)[number];
export interface Job { fn: ParallelKernel; args: number[] }

// Job slot layout (edgenn-kernel-thread.ts reads the same): int32 [state, kernel, argument count, message length],
// float64 arguments from byte 16, the error message from byte 256.
const SLOT_BYTES = 1024, STATE = 0, FN = 1, NARGS = 2, MSG_LEN = 3, ARGS_AT = 16, MAX_ARGS = 24, MSG_AT = 256;
const JOB = 1, DONE = 2, ERROR = 3, QUIT = 4;
/** A worker that has not answered by then is taken as dead: run() fails instead of hanging. */
const WORKER_TIMEOUT_MS = 60_000;

/** Most threads "auto" picks: the kernels are memory-bound past a few cores, and each thread needs its scratch. */
export const AUTO_MAX_THREADS = 4;

/** Why this runtime cannot run threads, or undefined when it can. */
export function threadsUnavailable(): string | undefined {
  const g = globalThis as any;
  if (typeof SharedArrayBuffer === "undefined" || g.crossOriginIsolated === false) {
    return "SharedArrayBuffer is not available: a page must be cross-origin isolated, served with the headers " +
      "'Cross-Origin-Opener-Policy: same-origin' and 'Cross-Origin-Embedder-Policy: require-corp' (or 'credentialless')";
  }
  if (typeof g.Worker !== "function" && !g.process?.versions?.node) return "this runtime has no Worker (e.g. Cloudflare workerd)";
  if (!features().simd) return "the threads builds need wasm SIMD, which this engine lacks (it runs the scalar build)";
  return undefined;
}

/** The hardware's thread count, for `threads: "auto"` (Node 20 has no navigator). */
export async function hardwareThreads(): Promise<number> {
  const g = globalThis as any;
  if (g.navigator?.hardwareConcurrency) return g.navigator.hardwareConcurrency;
  if (!g.process?.versions?.node) return 1;
  const name = ["node", "os"].join(":"); // not a literal: bundlers leave it alone (terser inlines a constant here)
  const os = await import(/* @vite-ignore */ name);
  return os.availableParallelism();
}

// The calling thread polls as long before it sleeps: a worker usually finishes its share within that.
const MAIN_SPINS = 20000;

export class ThreadPool {
  readonly size: number;
  private workers: WorkerHandle[] = [];
  private ints: Int32Array;
  private args: Float64Array;
  private main: KernelExports;
  private blockingWait: boolean;
  private dead?: string;
  private constructor(main: KernelExports, size: number, control: SharedArrayBuffer) {
    this.main = main;
    this.size = size;
    this.ints = new Int32Array(control);
    this.args = new Float64Array(control);
    // A browser page's main thread may not block (Atomics.wait throws there): it spins instead.
    try { Atomics.wait(this.ints, 0, 1, 0); this.blockingWait = true; } catch { this.blockingWait = false; }
  }

  /** Starts `size - 1` workers on `memory` (the one `main` was instantiated with) and waits until they are ready. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, main: KernelExports, size: number, workerUrl?: URL | string): Promise<ThreadPool> {
    const control = new SharedArrayBuffer(SLOT_BYTES * size);
    const pool = new ThreadPool(main, size, control);
    const url = workerUrl ?? new URL("./edgenn-kernel-thread.js", import.meta.url);
    try {
      await Promise.all(Array.from({ length: size - 1 }, async (_, i) => {
        const w = await startWorker(url);
        if (!w) throw new Error("this runtime has no Worker");
        pool.workers[i] = w;
        // Its one message says it is ready; a death before that fails the start, after it the next run().
        const started = new Promise<void>((ready, fail) => w.listen(() => ready(), (why) => {
          pool.dead ??= `kernel thread ${i + 1} ${why}`;
          fail(new Error(why));
        }));
        w.post({ module, memory, control, slot: (i + 1) * SLOT_BYTES, names: PARALLEL_KERNELS });
        w.ref(true); // until it is ready; an idle kernel thread must never keep the process alive
        await started.finally(() => w.ref(false));
      }));
    } catch (e) {
      pool.dispose();
      throw new EdgennError("UNSUPPORTED", `could not start the kernel threads: ${(e as Error).message}`);
    }
    return pool;
  }

  /** Runs jobs[0] on the calling thread and jobs[i] on worker i, and returns when all are done. */
  run(jobs: readonly Job[]): void {
    if (this.dead) throw new EdgennError("UNSUPPORTED", `${this.dead}; the session cannot run any more`);
    if (jobs.length > this.size) throw new Error(`internal: ${jobs.length} jobs for ${this.size} threads`);
    for (let w = 1; w < jobs.length; w++) {
      const at = (w * SLOT_BYTES) >> 2, { fn, args } = jobs[w];
      if (args.length > MAX_ARGS) throw new Error(`internal: ${fn} with ${args.length} arguments`);
      this.ints[at + FN] = PARALLEL_KERNELS.indexOf(fn);
      this.ints[at + NARGS] = args.length;
      this.args.set(args, (w * SLOT_BYTES + ARGS_AT) >> 3);
      Atomics.store(this.ints, at + STATE, JOB);
      Atomics.notify(this.ints, at + STATE);
    }
    let failure: unknown;
    try {
      (this.main[jobs[0].fn] as (...a: number[]) => void)(...jobs[0].args);
    } catch (e) {
      failure = e;
    }
    // Always wait for every worker, even after a failure here: none may still be writing when run() returns.
    for (let w = 1; w < jobs.length; w++) {
      const at = (w * SLOT_BYTES) >> 2;
      const state = this.await(at + STATE);
      if (state === ERROR && failure === undefined) {
        const bytes = new Uint8Array(this.ints.buffer, w * SLOT_BYTES + MSG_AT, this.ints[at + MSG_LEN]).slice();
        // What the same kernel call throws on one thread (a RuntimeError for a trap), naming the thread.
        failure = new WebAssembly.RuntimeError(`kernel thread ${w} failed in ${jobs[w].fn}: ${new TextDecoder().decode(bytes)}`);
      } else if (state === JOB && failure === undefined) {
        this.dead = `kernel thread ${w} did not answer within ${WORKER_TIMEOUT_MS / 1000} s`;
        failure = new EdgennError("UNSUPPORTED", `${this.dead}; the session cannot run any more`);
      }
    }
    if (failure !== undefined) throw failure;
  }

  /**
   * Waits while the slot's state is JOB and returns the state; gives up after WORKER_TIMEOUT_MS. Polls MAIN_SPINS
   * times, then sleeps in Atomics.wait where the thread may block. The poll is what makes threads pay on an idle
   * machine: waking a sleeping thread took 64-70 µs a round trip on this VM (bench/threads.mjs --wake), polling
   * 1 µs; with it, 2 threads gained 1.29-1.62x instead of 1.00-1.34x on five CNN/attention models (same process,
   * idle machine, bench/RESULTS.md). When other jobs hold the cores it costs them: a polling thread takes the core
   * its worker needs (70-400 µs round trips under load), which is why the poll is short.
   */
  private await(i: number): number {
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    let s = Atomics.load(this.ints, i);
    for (let n = 0; n < MAIN_SPINS && s === JOB; n++) s = Atomics.load(this.ints, i);
    for (let n = 1; (s = Atomics.load(this.ints, i)) === JOB; n++) {
      if (this.blockingWait) Atomics.wait(this.ints, i, JOB, 1000);
      else if ((n & 4095) !== 0) continue;
      if (Date.now() > deadline) break;
    }
    return s;
  }

  /** Ends the workers. Idempotent. */
  dispose(): void {
    for (let w = 1; w <= this.workers.length; w++) {
      Atomics.store(this.ints, (w * SLOT_BYTES) >> 2, QUIT);
      Atomics.notify(this.ints, (w * SLOT_BYTES) >> 2);
    }
    for (const w of this.workers) w.stop();
    this.workers = [];
    this.dead ??= "the session was disposed";
  }
}
