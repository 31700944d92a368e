/**
 * Waiting in tests for a condition, with a deadline instead of a fixed
 * sleep, so a slow machine makes a test slower, not red.
 *
 * @module
 */

/** Options of {@link until}. */
export interface UntilOptions {
  /** What is awaited, for the timeout's message. */
  what?: string;
  /** The deadline in milliseconds; 5000 by default. */
  ms?: number;
  /** Milliseconds between checks; 20 by default. */
  every?: number;
  /** Waits between checks instead of `every` (e.g. until a frame arrives). */
  pause?: () => Promise<unknown>;
  /** Called for the timeout's message, to say what was seen instead. */
  detail?: () => string;
}

/**
 * Resolves with the first truthy answer of `check`, asking again until the
 * deadline; then rejects. An error thrown by `check` rejects at once.
 *
 * @example
 * ```ts
 * await until(() => events.length >= 2, { what: "both events" });
 * const ack = await until(() => client.of("ack")[0]);
 * ```
 */
export async function until<T>(
  check: () => T | Promise<T>,
  options: UntilOptions = {},
): Promise<NonNullable<T>> {
  const { what = "a condition", ms = 5000, every = 20 } = options;
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > end) {
      const seen = options.detail ? `; ${options.detail()}` : "";
      throw new Error(`timed out after ${ms} ms waiting for ${what}${seen}`);
    }
    await (options.pause?.() ??
      new Promise((r) => setTimeout(r, every)));
  }
}
