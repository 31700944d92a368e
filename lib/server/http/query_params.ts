/**
 * Query parameters of the JSON API, checked: a bad one is a 400 with a
 * message saying what was expected.
 *
 * @module
 */
import { HttpError } from "fresh";

/**
 * The integer parameter `name` from `min` to `max`, or `fallback` when it
 * is absent; anything else throws a 400.
 *
 * @example
 * ```ts
 * const limit = intParam(url.searchParams, "limit", 50, 1, 200);
 * ```
 */
export function intParam<D extends number | undefined>(
  params: URLSearchParams,
  name: string,
  fallback: D,
  min: number,
  max: number,
): number | D {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new HttpError(
      400,
      `Invalid ${name}: expected an integer from ${min} to ${max}`,
    );
  }
  return n;
}
