/**
 * Why the server can't start, told the operator in one line that names the
 * setting to look at (`KV_PATH: …`, `REDIS_URL: …`, `PORT: …`). `serve.ts`
 * prints the message and exits with code 2, as for a bad configuration;
 * any other error is a bug, and keeps its stack.
 *
 * @module
 */

/** A start that can't go on until the operator changes something. */
export class StartError extends Error {
  /** Always `"StartError"`, unless a subclass names itself. */
  override name = "StartError";
}

/** `error`'s message up to its first line break, for a one-line report. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0].trim();
}
