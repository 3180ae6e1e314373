/**
 * A model source as a stream of byte chunks, whatever it is: bytes, a ReadableStream, a fetch Response, a URL
 * (fetched) or a file path / file: URL (read piece by piece through the runtime's fs: Node, Deno, Bun). The total
 * size is given where it is known (bytes, a file's size, Content-Length). An AbortSignal stops it between chunks.
 */
import { EdgennError } from "../errors.js";

export type ModelSource = Uint8Array | ArrayBuffer | URL | string | ReadableStream<Uint8Array> | Response;

export interface OpenedSource {
  chunks: AsyncIterable<Uint8Array>;
  total?: number;
}

const CHUNK = 1 << 20; // file reads and in-memory bytes are handed out 1 MiB at a time (progress granularity)

export function aborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    const why = signal.reason instanceof Error ? signal.reason.message : signal.reason === undefined ? "" : String(signal.reason);
    throw new EdgennError("ABORTED", `load aborted${why ? `: ${why}` : ""}; nothing was kept`);
  }
}

async function* slices(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  for (let at = 0; at < bytes.length; at += CHUNK) yield bytes.subarray(at, at + CHUNK);
}

async function* streamChunks(stream: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      aborted(signal);
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        aborted(signal); // fetch's signal ends its body stream with an AbortError
        throw new EdgennError("BAD_INPUT", `reading the model stream failed: ${(e as Error).message}`);
      }
      const { done, value } = r;
      if (done) return;
      yield value;
    }
  } finally {
    reader.cancel().catch(() => {}); // stops a download we no longer want (abort, error, or early return)
  }
}

function fromResponse(res: Response, what: string, signal?: AbortSignal): OpenedSource {
  if (!res.ok) throw new EdgennError("BAD_INPUT", `could not fetch ${what}: HTTP ${res.status}`);
  if (!res.body) throw new EdgennError("BAD_INPUT", `${what}: the response has no body`);
  const length = Number(res.headers.get("content-length"));
  // A compressed transfer's Content-Length counts compressed bytes: no total then.
  const total = Number.isSafeInteger(length) && length > 0 && !res.headers.get("content-encoding") ? length : undefined;
  return { chunks: streamChunks(res.body, signal), total };
}

async function* fileChunks(handle: { read(b: Uint8Array, o: number, n: number, p: number): Promise<{ bytesRead: number }>; close(): Promise<void> }, size: number, signal?: AbortSignal): AsyncIterable<Uint8Array> {
  try {
    for (let at = 0; at < size;) {
      aborted(signal);
      const buf = new Uint8Array(Math.min(CHUNK, size - at));
      const { bytesRead } = await handle.read(buf, 0, buf.length, at);
      if (bytesRead === 0) return; // the file shrank while being read: the reader reports it truncated
      at += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

export async function openSource(source: ModelSource, signal?: AbortSignal): Promise<OpenedSource> {
  aborted(signal);
  if (source instanceof Uint8Array) return { chunks: slices(source), total: source.length };
  if (source instanceof ArrayBuffer) return { chunks: slices(new Uint8Array(source)), total: source.byteLength };
  if (typeof source !== "string" && !(source instanceof URL)) {
    // Only now: in Node, the first touch of the Response global loads undici (~13 ms of a cold start).
    if (typeof Response !== "undefined" && source instanceof Response) return fromResponse(source, "the response", signal);
    if (typeof ReadableStream !== "undefined" && source instanceof ReadableStream) return { chunks: streamChunks(source, signal) };
    throw new EdgennError("BAD_INPUT", `load() takes bytes, a URL, a path, a ReadableStream or a Response, got ${Object.prototype.toString.call(source)}`);
  }
  const url = source instanceof URL ? source : toUrl(source);
  if (url.protocol === "file:") {
    const fsName = "node:fs/promises"; // in a variable so bundlers leave it alone
    const fs = await import(/* @vite-ignore */ fsName);
    const path = decodeURIComponent(url.pathname);
    try {
      const handle = await fs.open(url, "r");
      const { size } = await handle.stat();
      return { chunks: fileChunks(handle, size, signal), total: size };
    } catch (e) {
      throw new EdgennError("BAD_INPUT", `could not read ${path}: ${(e as Error).message}`);
    }
  }
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    aborted(signal);
    throw new EdgennError("BAD_INPUT", `could not fetch ${url}: ${(e as Error).message}`);
  }
  return fromResponse(res, String(url), signal);
}

/** A URL from a URL string or a file path (relative to the working directory in Node, Deno and Bun). */
export function toUrl(s: string): URL {
  if (/^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s)) return new URL(s);
  const g = globalThis as any;
  const cwd: string | undefined = g.process?.cwd?.() ?? g.Deno?.cwd?.();
  if (cwd === undefined) throw new EdgennError("BAD_INPUT", `'${s}' is a file path, but this runtime has no file system; pass a URL or bytes`);
  const abs = s.startsWith("/") ? s : `${cwd.replace(/\/$/, "")}/${s}`;
  return new URL(`file://${abs.split("/").map(encodeURIComponent).join("/")}`);
}

/** All the bytes of a source that is not a stream (a kernel binary, a weight shard, an external-data file). */
export async function readSource(source: ArrayBuffer | Uint8Array | URL | string): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  return readAll((await openSource(source)).chunks, () => {});
}

/** Reads everything; `onBytes` sees the count as it grows (progress, and a size limit by throwing). */
export async function readAll(chunks: AsyncIterable<Uint8Array>, onBytes: (loaded: number) => void): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let loaded = 0;
  for await (const c of chunks) {
    parts.push(c);
    loaded += c.length;
    onBytes(loaded);
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** The first `n` bytes (or all, if fewer) and the chunks again from the start. */
export async function peek(chunks: AsyncIterable<Uint8Array>, n: number): Promise<{ head: Uint8Array; chunks: AsyncIterable<Uint8Array> }> {
  const it = chunks[Symbol.asyncIterator]();
  const seen: Uint8Array[] = [];
  let have = 0;
  while (have < n) {
    const { done, value } = await it.next();
    if (done) break;
    seen.push(value);
    have += value.length;
  }
  const head = new Uint8Array(Math.min(n, have));
  let at = 0;
  for (const s of seen) { if (at >= head.length) break; head.set(s.subarray(0, head.length - at), at); at += s.length; }
  async function* replay() {
    yield* seen;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  return { head, chunks: replay() };
}
