/**
 * The media type a request's `Content-Type` names, for the readers of
 * request bodies (JSON, forms) to compare: type and subtype are
 * case-insensitive (RFC 9110, section 8.3.1), so they are lower-cased, and
 * parameters (`; charset=…`) are left out.
 *
 * @module
 */

/**
 * The request's media type, lower-cased and without parameters; undefined
 * without a `Content-Type`.
 *
 * @example
 * ```ts
 * const headers = new Headers({ "content-type": "Application/JSON; charset=UTF-8" });
 * mediaTypeOf(headers); // "application/json"
 * ```
 */
export function mediaTypeOf(headers: Headers): string | undefined {
  return headers.get("content-type")?.split(";")[0].trim().toLowerCase();
}
