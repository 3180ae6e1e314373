/**
 * One session's linear memory: a bump allocator over the wasm heap, growing memory on demand.
 * Layout: [static data | constants (packed weights), allocated once | arena for activations + scratch].
 * The arena sits last so a bigger plan (a larger batch) can grow it without moving the weights.
 */
import { EdgennError } from "../errors.js";
import type { KernelExports } from "./kernels.js";

const PAGE = 65536;
/** wasm32 memory tops out at 4 GiB; engines often stop earlier. */
const MAX_BYTES = 4 * 1024 * 1024 * 1024 - PAGE;
export const ALIGN = 64;

export class LinearMemory {
  readonly k: KernelExports;
  private top: number;
  /** The most wasm memory this session may grow to (a resource limit; the wasm32 maximum by default). */
  readonly maxBytes: number;
  constructor(k: KernelExports, maxBytes = MAX_BYTES) {
    this.k = k;
    this.top = alignUp(k.heap_base(), ALIGN);
    this.maxBytes = Math.min(maxBytes, MAX_BYTES);
  }
  /** Reserves `bytes` at a 64-byte boundary; never freed (constants live as long as the session). */
  alloc(bytes: number, what: string): number {
    const ptr = this.top;
    this.ensure(ptr + bytes, what);
    this.top = alignUp(ptr + bytes, ALIGN);
    return ptr;
  }
  /** Frees everything allocated since `mark` (a value of `end`): for work done once at load. */
  release(mark: number): void {
    if (mark > this.top) throw new Error("internal: release above the top");
    this.top = mark;
  }
  /** Address where the arena starts: everything above it is the arena's. */
  get end(): number { return this.top; }
  /** Makes sure [0, limit) is addressable, growing memory in whole pages. */
  ensure(limit: number, what: string): void {
    if (limit > this.maxBytes) {
      throw new EdgennError("LIMIT", this.maxBytes === MAX_BYTES
        ? `${what} needs ${limit} bytes of wasm memory, over the 4 GiB wasm32 limit`
        : `${what} needs ${limit} bytes of wasm memory, over the session's limit maxMemoryBytes = ${this.maxBytes} (raise it in load()'s limits)`);
    }
    const have = this.k.memory.buffer.byteLength;
    if (limit <= have) return;
    try {
      this.k.memory.grow(Math.ceil((limit - have) / PAGE));
    } catch (e) {
      throw new EdgennError("LIMIT", `${what}: could not grow wasm memory to ${limit} bytes (${(e as Error).message})`);
    }
  }
  f32(ptr: number, length: number): Float32Array { return new Float32Array(this.k.memory.buffer, ptr, length); }
  i32(ptr: number, length: number): Int32Array { return new Int32Array(this.k.memory.buffer, ptr, length); }
  /** Copies `data` into wasm memory at a fresh constant slot. */
  constant(data: Float32Array | Int32Array, what: string): number {
    const ptr = this.alloc(data.byteLength, what);
    new Uint8Array(this.k.memory.buffer, ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return ptr;
  }
  /**
   * Copies arrays just above the allocated top without reserving them: scratch for one packing call
   * (raw weights read once by a pack kernel), overwritten by the next alloc.
   */
  stage(arrays: (Float32Array | undefined)[], what: string): number[] {
    let at = this.top;
    const ptrs = arrays.map((a) => {
      if (!a) return 0;
      const ptr = at;
      this.ensure(ptr + a.byteLength, what);
      new Uint8Array(this.k.memory.buffer, ptr, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      at = alignUp(ptr + a.byteLength, ALIGN);
      return ptr;
    });
    return ptrs;
  }
  get bytes(): number { return this.k.memory.buffer.byteLength; }
  /**
   * Overwrites [ptr, ptr + bytes) with zeros (clamped to the memory's current size): wiping activations after a
   * run, or everything at dispose. Returns the number of bytes zeroed.
   */
  zero(ptr: number, bytes: number): number {
    const size = this.k.memory.buffer.byteLength;
    const from = Math.max(0, Math.min(ptr, size));
    const to = Math.max(from, Math.min(ptr + bytes, size));
    new Uint8Array(this.k.memory.buffer, from, to - from).fill(0);
    return to - from;
  }
}

export const alignUp = (x: number, a: number) => Math.ceil(x / a) * a;
