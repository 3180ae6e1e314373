/**
 * Splitting one kernel call across a multi-threaded session's threads (wasm/threads.ts). A step describes its
 * call as a kernel name and `args(part, io, scratch)` for a range of "units" (output rows, images, weight panels);
 * `splitCall` returns the run: one direct call on one thread (the single-thread default), else one job per
 * thread over near-equal ranges. Each unit's output is computed by exactly the same arithmetic either way, so
 * results are bit-identical to one thread.
 */
import type { ParallelKernel } from "../wasm/threads.js";
import type { Runtime, StepIO } from "./types.js";

/**
 * Below this many FLOPs a call stays on the calling thread: waking a sleeping worker and waiting for it cost
 * 15-70 µs here (bench/threads.mjs --wake), the time of ~0.5-3 MFLOP at the kernels' speed, so a split only pays
 * well above. Chosen from that, not tuned (runs of 1, 4 and 16 MFLOP on MobileNetV2 and SqueezeNet were swamped
 * by the machine's load); a worker that polls (wasm/threads.ts) answers in ~1 µs, so lower may pay on idle cores.
 */
export const PARALLEL_MIN_FLOPS = 4e6;

export interface Part { u0: number; u1: number }
export interface SplitCall {
  fn: ParallelKernel;
  /** Units to split (rows, images, panels) and the multiple every split point must be. */
  units: number;
  align?: number;
  /** Bytes of scratch one call needs; each thread gets its own. */
  scratchBytes: number;
  flops: number;
  args(part: Part, io: StepIO, scratch: number): number[];
}

/** Step scratch (bytes) and the run for a call: split when the session has threads and the call is big enough. */
export function splitCall(rt: Runtime, call: SplitCall): { scratch: number; run(io: StepIO): void } {
  const pool = rt.threads;
  const kernel = rt.k[call.fn] as unknown as (...a: number[]) => void;
  const parts = pool && call.flops >= PARALLEL_MIN_FLOPS ? ranges(call.units, pool.size, call.align ?? 1) : [];
  if (!pool || parts.length < 2) {
    // One thread: the arguments are computed again only when the addresses change (a plan's steps keep their
    // address arrays), so the default costs what a direct call does.
    const all = { u0: 0, u1: call.units };
    let inputs: number[] | undefined, outputs: number[] | undefined, scratch = -1, args: number[] = [];
    return {
      scratch: call.scratchBytes,
      run: (io) => {
        if (io.inputs !== inputs || io.outputs !== outputs || io.scratch !== scratch) {
          ({ inputs, outputs, scratch } = io);
          args = call.args(all, io, io.scratch);
        }
        call22(kernel, args);
      },
    };
  }
  const per = Math.ceil(call.scratchBytes / 64) * 64;
  return {
    scratch: per * parts.length,
    run: (io) => pool.run(parts.map((p, t) => ({ fn: call.fn, args: call.args(p, io, io.scratch + t * per) }))),
  };
}

/**
 * kernel(...a) without the spread, which V8 compiles as a generic call measurably slower than a plain call to a
 * wasm export (+0.1 µs per step: +10% on the 3-layer MLP). Arguments past the kernel's arity are ignored.
 */
const call22 = (f: (...a: number[]) => void, a: number[]) =>
  f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19], a[20], a[21]);

/** [0, total) in at most `parts` near-equal ranges whose inner bounds are multiples of `align`. */
export function ranges(total: number, parts: number, align: number): Part[] {
  const blocks = Math.ceil(total / align);
  const out: Part[] = [];
  for (let t = 0; t < parts; t++) {
    const u0 = Math.min(total, Math.round((blocks * t) / parts) * align), u1 = Math.min(total, Math.round((blocks * (t + 1)) / parts) * align);
    if (u1 > u0) out.push({ u0, u1 });
  }
  return out;
}
