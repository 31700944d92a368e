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
 * Korean particles and honorifics written onto a name ("@민수님", "@민수야",
 * "@민수에게"), longest first: a token ending in one may mean the name
 * before it.
 */
const KOREAN_SUFFIXES =
  "님에게 님한테 에게서 한테서 님께서 님께 님이 님은 님도 님을 님의 에게 한테 께서 씨가 씨는 씨도 이랑 님 씨 아 야 이 가 은 는 을 를 께 도 랑 과 와 의"
    .split(" ");

/**
 * The names a mention token may stand for, besides itself: the name before
 * a Korean particle or honorific written onto it, longest name first (so
 * `@민수님` may mean 민수). Empty for other tokens.
 *
 * @example
 * ```ts
 * nameBeforeParticle("민수753님"); // ["민수753"]
 * nameBeforeParticle("ana"); // []
 * ```
 */
export function nameBeforeParticle(token: string): string[] {
  const out: string[] = [];
  for (const suffix of KOREAN_SUFFIXES) {
    if (token.length > suffix.length && token.endsWith(suffix)) {
      out.push(token.slice(0, -suffix.length));
    }
  }
  return out.sort((a, b) => b.length - a.length);
}

/**
 * Whether `text` mentions `name` (in any case or width, or with a Korean
 * particle or honorific written onto it) or `@here` (the room's online
 * members, the reader among them while the page is open).
 *
 * @example
 * ```ts
 * mentionsName("thanks @ANA-2!", "ana-2"); // true
 * mentionsName("thanks @ana-2!", "ana"); // false
 * mentionsName("@민수님 안녕하세요", "민수"); // true
 * ```
 */
export function mentionsName(text: string, name: string): boolean {
  const names = mentionedNames(text);
  const folded = fold(name);
  return names.includes(HERE) || names.includes(folded) ||
    names.some((n) => nameBeforeParticle(n).includes(folded));
}
