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

/** How often pending calls are checked against their deadlines. */
const TICK_MS = 100;

interface Watched {
  due: number;
  expire(): void;
}

/** Calls with a deadline still pending: one timer checks them all. */
const watched = new Set<Watched>();
let ticker: ReturnType<typeof setInterval> | undefined;

function check(): void {
  if (watched.size === 0) {
    // Idle for a tick: stop until the next call (busy, it just runs on).
    clearInterval(ticker);
    ticker = undefined;
    return;
  }
  const now = performance.now();
  for (const w of watched) {
    if (w.due <= now) {
      watched.delete(w);
      w.expire();
    }
  }
}

/**
 * Resolves as `call` does, or rejects with a {@link DeadlineError} once
 * `ms` have passed (checked every 100 ms); then a pending `postgres` query
 * (anything with `cancel()`) is cancelled, so it leaves its connection.
 * One shared timer watches every pending call, and stops after a tick with
 * none: a statement costs no timer of its own.
 *
 * @example
 * ```ts
 * const rows = await deadline(sql`SELECT 1`, 10_000);
 * ```
 */
export function deadline<T>(call: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const w: Watched = {
      due: performance.now() + ms,
      expire() {
        (call as { cancel?: () => unknown }).cancel?.();
        reject(new DeadlineError(`no answer within ${ms} ms`));
      },
    };
    watched.add(w);
    if (ticker === undefined) {
      ticker = setInterval(check, TICK_MS);
      // It never holds the process open: a pending call's socket does.
      Deno.unrefTimer(ticker);
    }
    call.then(
      (value) => {
        watched.delete(w);
        resolve(value);
      },
      (error) => {
        watched.delete(w);
        reject(error);
      },
    );
  });
}
