/**
 * One kernel thread of a multi-threaded session (wasm/threads.ts). It gets the compiled threads build, the
 * session's shared memory and its job slot, instantiates, says "ready", then loops: sleep on the slot's state
 * (Atomics.wait), run the posted kernel call, store DONE (or ERROR and the message), wake the caller.
 * Self-contained (imports nothing), so it is one small file in dist/wasm and in the bundle.
 */
export {}; // a module: top-level await below
interface Init { module: WebAssembly.Module; memory: WebAssembly.Memory; control: SharedArrayBuffer; slot: number; names: string[] }
interface Port { postMessage(m: unknown): void; addEventListener?: unknown; on?: (e: string, f: (m: unknown) => void) => void }

// The job slot layout, as in threads.ts: int32 [state, kernel, argument count, message length], the float64
// arguments from byte 16, an error message (UTF-8) from byte 256.
const STATE = 0, FN = 1, NARGS = 2, MSG_LEN = 3, ARGS_AT = 16, MAX_ARGS = 24, MSG_AT = 256, MSG_BYTES = 512;
const JOB = 1, DONE = 2, ERROR = 3, QUIT = 4;
const SPINS = 20000; // ~20-40 µs of polling

function serve({ module, memory, control, slot, names }: Init, port: Port): void {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, (...a: number[]) => unknown>;
  const fns = names.map((n) => exports[n]);
  const ints = new Int32Array(control, slot, 64);
  const args = new Float64Array(control, slot + ARGS_AT, MAX_ARGS);
  const msg = new Uint8Array(control, slot + MSG_AT, MSG_BYTES);
  port.postMessage("ready");
  for (;;) {
    let s = Atomics.load(ints, STATE);
    // A model's split steps come back to back: poll briefly first (a sleeping thread takes 30-70 µs to wake on a
    // VM, more than many steps take), then sleep.
    for (let i = 0; i < SPINS && s !== JOB && s !== QUIT; i++) s = Atomics.load(ints, STATE);
    while ((s = Atomics.load(ints, STATE)) !== JOB && s !== QUIT) Atomics.wait(ints, STATE, s);
    if (s === QUIT) return;
    try {
      fns[ints[FN]](...args.subarray(0, ints[NARGS]));
      Atomics.store(ints, STATE, DONE);
    } catch (e) {
      const text = new TextEncoder().encode(`${(e as Error)?.name ?? "Error"}: ${(e as Error)?.message ?? e}`).subarray(0, MSG_BYTES);
      msg.set(text);
      ints[MSG_LEN] = text.length;
      Atomics.store(ints, STATE, ERROR);
    }
    Atomics.notify(ints, STATE);
  }
}

// Started by node:worker_threads where the runtime has it (Node, Deno, Bun), else as a Web Worker (browsers): as in threads.ts.
if ((globalThis as any).process?.versions?.node) {
  const name = "node:worker_threads"; // in a variable so bundlers leave it alone
  const { parentPort } = await import(/* @vite-ignore */ name);
  parentPort.once("message", (m: Init) => { serve(m, parentPort); parentPort.close(); });
} else {
  const self = globalThis as any;
  self.onmessage = (e: MessageEvent) => { self.onmessage = null; serve(e.data, self); self.close(); };
}
