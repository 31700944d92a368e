/**
 * The `@name` tokens of a message's text, found the same way by the server
 * (which counts each member's unread mentions) and the page (which marks the
 * messages that mention the reader): a name is what a user name may hold
 * (letters, digits, `_`, `.` and `-`), so `@ana-2` mentions `ana-2`, not
 * `ana`.
 *
 * @module
 */
import { fold } from "./names.ts";

/** Distinct names taken from one message at most. */
const MAX_MENTIONS = 20;

/** The folded token that mentions the room's online members: `@here`. */
export const HERE = "here";

/** `@name` preceded by neither a name character nor another `@`. */
const TOKEN = /(?<![\p{L}\p{N}_.@-])@([\p{L}\p{N}_.-]{1,24})/gu;

/**
 * The folded names a text mentions, each once, at most 20.
 *
 * @example
 * ```ts
 * mentionedNames("hi @Ana and @bo-2, mail x@y.z"); // ["ana", "bo-2"]
 * ```
 */
export function mentionedNames(text: string): string[] {
  // Most messages mention nobody: skip the Unicode pattern's scan.
  if (!text.includes("@")) return [];
  const names = new Set<string>();
  for (const match of text.matchAll(TOKEN)) {
    // A sentence may end right after the name: "thanks @ana."
    names.add(fold(match[1].replace(/[.-]+$/, "")));
    if (names.size >= MAX_MENTIONS) break;
  }
  names.delete("");
  return [...names];
}

/**
 * Whether `text` mentions `name` (in any case or width) or `@here` (the
 * room's online members, the reader among them while the page is open).
 *
 * @example
 * ```ts
 * mentionsName("thanks @ANA-2!", "ana-2"); // true
 * mentionsName("thanks @ana-2!", "ana"); // false
 * ```
 */
export function mentionsName(text: string, name: string): boolean {
  const names = mentionedNames(text);
  return names.includes(HERE) || names.includes(fold(name));
}
