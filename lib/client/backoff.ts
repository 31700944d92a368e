/**
 * Reconnect delays: exponential from 0.5 s, doubling to a 5 s cap (a restarted server is found quickly; "Retry now", the `online` event and the tab coming back skip the wait), with
 * "equal jitter" so a crowd of clients doesn't reconnect in step.
 *
 * @module
 */

/** The first delay and the cap, in milliseconds. */
export const BACKOFF = { initialMs: 500, maxMs: 5_000 } as const;

/**
 * The delay before reconnect attempt `attempt` (0-based): half the capped
 * exponential step plus a random part of the other half.
 */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
): number {
  const step = Math.min(BACKOFF.maxMs, BACKOFF.initialMs * 2 ** attempt);
  return Math.round(step / 2 + random() * step / 2);
}
