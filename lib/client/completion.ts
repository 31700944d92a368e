/**
 * What the composer completes at the caret: `@name` (members, `@here`),
 * `#room` and `:shortcode` (emoji). Only the finding of the token is here,
 * in the page's first script; the suggestions load when first needed.
 *
 * @module
 */

/** A token being typed that can be completed. */
export interface Trigger {
  /** `@` a member, `#` a room, `:` an emoji. */
  kind: "@" | "#" | ":";
  /** What follows the trigger character, up to the caret. */
  query: string;
  /** Where the token starts (its trigger character). */
  start: number;
  /** Where it ends (the caret). */
  end: number;
}

/** The characters a token may hold, per kind, read back from the caret. */
const TOKENS = {
  "@": /[\p{L}\p{N}\p{M}_.-]*$/u,
  "#": /[a-z0-9_-]*$/,
  ":": /[a-z0-9_+-]*$/,
} as const;

/** What may stand before a trigger: nothing, a space or an opening mark. */
const BEFORE = /[\s([{"'“‘«]/u;

/**
 * The token at `caret` in `text` that can be completed, or `null`. The
 * trigger must start the text or follow a space or an opening bracket (so
 * `ana@x.com` and `10:30` are not tokens); `:` needs two characters first,
 * as emoji names do.
 *
 * @example
 * ```ts
 * findTrigger("hi @mi", 6); // { kind: "@", query: "mi", start: 3, end: 6 }
 * ```
 */
export function findTrigger(text: string, caret: number): Trigger | null {
  // Tokens are short: look back a little way only.
  const from = Math.max(0, caret - 40);
  const head = text.slice(from, caret);
  for (const kind of ["@", "#", ":"] as const) {
    const query = TOKENS[kind].exec(head)![0];
    const at = head.length - query.length - 1;
    if (at < 0 || head[at] !== kind) continue;
    const start = from + at;
    if (start > 0 && !BEFORE.test(text[start - 1])) continue;
    if (kind === ":" && query.length < 2) continue;
    return { kind, query, start, end: caret };
  }
  return null;
}
