/**
 * Offline caching of models and of the kernel binaries: `load(url, { cache: true })`. In pages and workers the
 * store is the Cache API (it keeps whole HTTP responses by URL, streams large bodies, exists in windows, workers
 * and Deno, and the browser evicts it as one unit under storage pressure; IndexedDB would need blobs handled by
 * hand, OPFS is missing in some engines). In Node and Bun, a directory (default ~/.cache/edgenn).
 *
 * Each entry keeps the bytes, the server's ETag and the bytes' SHA-256. A load asks the server whether the file
 * changed (If-None-Match): 304 → the cached bytes; 200 → the new file replaces the entry; no network → the cached
 * bytes. An entry whose bytes no longer hash to its SHA-256 is thrown away and fetched again, never used.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { EdgennError } from "../errors.js";
import { toHex } from "../format/enn.js";

export interface CacheOptions {
  /** Node/Bun: the directory (default $XDG_CACHE_HOME/edgenn or ~/.cache/edgenn). */
  dir?: string;
  /** Cache API store name (default "edgenn-<runtime version>"). */
  name?: string;
}
export interface CacheEntry { url: string; bytes: number; sha256: string; etag?: string; stored: string }

export const RUNTIME_VERSION = "0.1.0";
const META = "x-edgenn-sha256", STORED = "x-edgenn-stored";
const g = globalThis as any;

interface Store {
  get(url: string): Promise<{ bytes: Uint8Array; entry: CacheEntry } | undefined>;
  put(url: string, bytes: Uint8Array, etag: string | undefined): Promise<void>;
  remove(url: string): Promise<void>;
  list(): Promise<CacheEntry[]>;
  clear(): Promise<void>;
}

async function cacheApiStore(name: string): Promise<Store> {
  const cache: Cache = await g.caches.open(name);
  const entryOf = (url: string, r: Response, length: number): CacheEntry => ({
    url, bytes: length, sha256: r.headers.get(META) ?? "", etag: r.headers.get("etag") ?? undefined, stored: r.headers.get(STORED) ?? "",
  });
  return {
    async get(url) {
      const r = await cache.match(url);
      if (!r) return undefined;
      const bytes = new Uint8Array(await r.arrayBuffer());
      return { bytes, entry: entryOf(url, r, bytes.length) };
    },
    async put(url, bytes, etag) {
      const headers: Record<string, string> = { [META]: toHex(sha256(bytes)), [STORED]: new Date().toISOString(), "content-type": "application/octet-stream" };
      if (etag) headers.etag = etag;
      await cache.put(url, new Response(bytes as BufferSource, { headers }));
    },
    async remove(url) { await cache.delete(url); },
    async list() {
      const out: CacheEntry[] = [];
      for (const req of await cache.keys()) {
        const r = await cache.match(req);
        if (r) out.push(entryOf(req.url, r, Number(r.headers.get("content-length")) || (await r.arrayBuffer()).byteLength));
      }
      return out;
    },
    async clear() { for (const req of await cache.keys()) await cache.delete(req); },
  };
}

async function directoryStore(dir: string): Promise<Store> {
  // Names built at run time: a bundler or minifier must not see (and inline) a static import of a Node module,
  // which workers without nodejs_compat refuse at load.
  const fs = await import(/* @vite-ignore */ ["node", "fs/promises"].join(":"));
  const path = await import(/* @vite-ignore */ ["node", "path"].join(":"));
  await fs.mkdir(dir, { recursive: true });
  const file = (url: string) => path.join(dir, toHex(sha256(new TextEncoder().encode(url))).slice(0, 32));
  const readMeta = async (f: string): Promise<CacheEntry | undefined> => {
    try { return JSON.parse(await fs.readFile(`${f}.json`, "utf8")); } catch { return undefined; }
  };
  return {
    async get(url) {
      const f = file(url), entry = await readMeta(f);
      if (!entry || entry.url !== url) return undefined;
      try { return { bytes: new Uint8Array(await fs.readFile(`${f}.bin`)), entry }; } catch { return undefined; }
    },
    async put(url, bytes, etag) {
      const f = file(url);
      const entry: CacheEntry = { url, bytes: bytes.length, sha256: toHex(sha256(bytes)), ...(etag ? { etag } : {}), stored: new Date().toISOString() };
      // Bytes first, then the metadata: a crash in between leaves an entry without metadata, which is ignored.
      await fs.writeFile(`${f}.bin.tmp`, bytes);
      await fs.rename(`${f}.bin.tmp`, `${f}.bin`);
      await fs.writeFile(`${f}.json`, JSON.stringify(entry));
    },
    async remove(url) { const f = file(url); await fs.rm(`${f}.json`, { force: true }); await fs.rm(`${f}.bin`, { force: true }); },
    async list() {
      const out: CacheEntry[] = [];
      for (const n of await fs.readdir(dir)) if (n.endsWith(".json")) { const e = await readMeta(path.join(dir, n.slice(0, -5))); if (e) out.push(e); }
      return out;
    },
    async clear() { for (const n of await fs.readdir(dir)) if (/\.(json|bin)$/.test(n)) await fs.rm(path.join(dir, n), { force: true }); },
  };
}

function defaultDir(): string {
  const env = g.process?.env ?? {};
  const home = env.HOME ?? env.USERPROFILE;
  if (env.XDG_CACHE_HOME) return `${env.XDG_CACHE_HOME}/edgenn`;
  if (home) return `${home}/.cache/edgenn`;
  throw new EdgennError("UNSUPPORTED", "no cache store here: no Cache API and no home directory (pass cache: { dir })");
}

export async function openStore(options: CacheOptions = {}): Promise<Store> {
  if (options.dir === undefined && g.caches?.open) return cacheApiStore(options.name ?? `edgenn-${RUNTIME_VERSION}`);
  return directoryStore(options.dir ?? defaultDir());
}

/**
 * The bytes at `url`, through the cache: revalidated with the server when it answers, the cached copy when it
 * does not (offline). `fetchImpl` is the runtime's fetch (tests may pass their own).
 */
export async function cachedFetch(url: string, options: CacheOptions = {}, signal?: AbortSignal): Promise<Uint8Array> {
  const store = await openStore(options);
  let hit = await store.get(url);
  if (hit && toHex(sha256(hit.bytes)) !== hit.entry.sha256) {
    await store.remove(url); // damaged or tampered with: never used
    hit = undefined;
  }
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: hit?.entry.etag ? { "if-none-match": hit.entry.etag } : {} });
  } catch (e) {
    if (signal?.aborted) throw e;
    if (hit) return hit.bytes; // offline: the cached copy
    throw new EdgennError("BAD_INPUT", `could not fetch ${url} and it is not cached: ${(e as Error).message}`);
  }
  if (res.status === 304 && hit) return hit.bytes;
  if (!res.ok) {
    if (hit && res.status >= 500) return hit.bytes; // the server is down, the cached copy is still good
    throw new EdgennError("BAD_INPUT", `could not fetch ${url}: HTTP ${res.status}`);
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  await store.put(url, bytes, res.headers.get("etag") ?? undefined);
  return bytes;
}

/** What the cache holds (url, bytes, sha256, etag, stored), so a page can show it. */
export async function cacheEntries(options: CacheOptions = {}): Promise<CacheEntry[]> {
  return (await openStore(options)).list();
}

/** Frees everything edgenn cached (models and kernel binaries). */
export async function clearCache(options: CacheOptions = {}): Promise<void> {
  await (await openStore(options)).clear();
}
