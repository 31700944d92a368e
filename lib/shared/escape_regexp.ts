/**
 * Text made literal for a regular expression, the `u` flag's way: only the
 * syntax characters are escaped, since under `u` an escape of anything else
 * (`\-`, say, in a name like `ana-2`) is a syntax error. Not for use inside
 * a character class.
 *
 * @example
 * ```ts
 * new RegExp(`@${escapeRegExp("ana-2")}\\b`, "u").test("hi @ana-2"); // true
 * ```
 *
 * @module
 */

/** `text` with every regular expression syntax character escaped. */
export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}
