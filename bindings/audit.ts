/**
 * Audit events: what `load(src, { onEvent })` reports. Plain JSON-safe objects, never any input or output data
 * (only names, shapes, timings, ids). See docs/security.md for a JSON-lines example.
 */
import { EdgennError } from "./errors.js";

/** The model was loaded (and, with `verify`, its signature checked). */
export interface LoadEvent {
  type: "load";
  /** metadata.name / metadata.version of the model, when present. */
  name?: string;
  version?: string;
  /** SHA-256 of the model file, hex: the .enn checksum (the stored one, which the reader verified), or for other formats the hash of the file bytes. */
  sha256: string;
  /** Key id (SHA-256 of the SPKI) of the signer, only when the signature was verified (load with `verify`). */
  signer?: string;
  /** The signature algorithm, with `signer`. */
  algorithm?: string;
  variant: string;
  /** Wall time of load(), milliseconds. */
  ms: number;
}
/** One run finished. Input shapes only: never any data. */
export interface RunEvent {
  type: "run";
  inputShapes: Record<string, number[]>;
  ms: number;
  variant: string;
  /** True when the activation arena was zeroed after this run. */
  wiped: boolean;
}
/** load() or run() failed (the error is still thrown to the caller). */
export interface ErrorEvent {
  type: "error";
  during: "load" | "run";
  code: string;
  message: string;
}
export type AuditEvent = LoadEvent | RunEvent | ErrorEvent;
export type AuditHandler = (event: AuditEvent) => void;

const warned = new WeakSet<object>();

/**
 * Calls `handler` with `event`. A handler that throws (or returns a rejected promise) never breaks inference:
 * the error is swallowed, and reported once per handler with console.warn.
 */
export function emit(handler: AuditHandler | undefined, event: AuditEvent): void {
  if (typeof handler !== "function") return;
  const warn = (e: unknown) => {
    if (warned.has(handler)) return;
    warned.add(handler);
    try {
      console.warn(`edgenn: the onEvent handler threw (${(e as Error)?.message ?? String(e)}); its errors are ignored from now on`);
    } catch {
      /* no console */
    }
  };
  try {
    const r: unknown = handler(event);
    if (r && typeof (r as Promise<unknown>).then === "function") (r as Promise<unknown>).then(undefined, warn);
  } catch (e) {
    warn(e);
  }
}

/** The error event for any thrown value (a non-EdgennError gets code "INTERNAL"). */
export function errorEvent(e: unknown, during: "load" | "run"): ErrorEvent {
  const code = e instanceof EdgennError ? e.code : "INTERNAL";
  const message = e instanceof Error ? e.message : String(e);
  return { type: "error", during, code, message };
}

export const now = (): number => (globalThis.performance?.now ? globalThis.performance.now() : Date.now());
