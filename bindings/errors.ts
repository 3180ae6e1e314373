/**
 * The one error type edgenn throws for bad input: a damaged file, a wrong shape, an unsupported op.
 * `code` is stable for programs; the message names what is wrong and where (byte offset, tensor, node).
 */
export type ErrorCode =
  | "BAD_FILE" // weight file damaged, truncated, wrong magic/version, checksum mismatch, lying header
  | "BAD_GRAPH" // graph refers to missing tensors, cycles, bad attributes
  | "UNSUPPORTED" // op, dtype or attribute value the runtime does not implement
  | "BAD_INPUT" // run() inputs: missing, unknown, wrong dtype or shape
  | "LIMIT" // a resource limit would be exceeded (memory, tensor size)
  | "DISPOSED" // session used after dispose()
  /**
   * load(src, { verify }) or verifyEnn refused the file's signature: the file is not signed, is signed by a key
   * that is not among the trusted ones, uses an algorithm this runtime cannot verify, or the signature does not
   * match. A damaged file (checksum mismatch) is BAD_FILE instead, found before the signature is looked at.
   */
  | "BAD_SIGNATURE"
  /** An encrypted model: no decryption key given, the wrong key, or ciphertext that was altered (AES-GCM). */
  | "BAD_KEY"
  /** load()'s AbortSignal fired: the load stopped and nothing of it was kept. */
  | "ABORTED";

export class EdgennError extends Error {
  readonly code: ErrorCode;
  /** Byte offset in the weight file where the problem was found, when it is a file problem. */
  readonly offset?: number;
  constructor(code: ErrorCode, message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = "EdgennError";
    this.code = code;
    this.offset = offset;
  }
}
