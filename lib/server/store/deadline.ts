/**
 * A deadline for calls to PostgreSQL. A query can stay unanswered for good
 * (a connection half-open after a network cut, or the client stuck
 * reconnecting while the server crash-restarts), and the stores commit one
 * batch at a time: without a deadline one such query would hold back every
 * later send. Past its deadline a call fails as an outage; what it was doing
 * may still complete, which a resend with the same `clientId` finds.
 *
 * @module
 */

/** How long a call to PostgreSQL may wait unless configured otherwise. */
export const DEADLINE_MS = 10_000;

/** A call that got no answer in time; its `code` marks it as an outage. */
export class DeadlineError extends Error {
  /** Always `"DeadlineError"`. */
  override name = "DeadlineError";
  /** Always `"DEADLINE_EXCEEDED"`. */
  readonly code = "DEADLINE_EXCEEDED";
}

/**
 * Resolves as `call` does, or rejects with a {@link DeadlineError} after
 * `ms`; then a pending `postgres` query (anything with `cancel()`) is
 * cancelled, so it leaves its connection.
 *
 * @example
 * ```ts
 * const rows = await deadline(sql`SELECT 1`, 10_000);
 * ```
 */
export function deadline<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      (call as { cancel?: () => unknown }).cancel?.();
      reject(new DeadlineError(`no answer within ${ms} ms`));
    }, ms);
  });
  // The loser must not turn into an unhandled rejection.
  call.catch(() => {});
  return Promise.race([call, expired]).finally(() => clearTimeout(timer));
}
