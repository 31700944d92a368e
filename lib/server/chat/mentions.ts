/**
 * Mentions: the `@name` tokens of a message, resolved against the room's
 * members (accounts by their name, guests by the name they joined under),
 * so the store can count each member's unread mentions. `@here` stands for
 * the room's members online at the time (not away).
 *
 * @module
 */
import { fold } from "@/lib/shared/names.ts";
import type { MemberRecords } from "@/lib/server/store/store.ts";

/** Distinct names resolved per message at most. */
const MAX_MENTIONS = 20;

/** The folded token that mentions the room's online members: `@here`. */
export const HERE = "here";

/** Names resolved per store lookup, so `@here` in a big room stays batched. */
const LOOKUP_BATCH = 500;

/** `@name` preceded by neither a name character nor another `@`. */
const TOKEN = /(?<![\p{L}\p{N}_.@-])@([\p{L}\p{N}_.-]{1,24})/gu;

/**
 * The folded names a text mentions, each once, at most 20.
 *
 * @example
 * ```ts
 * mentionedNames("hi @Ana and @bo, mail x@y.z"); // ["ana", "bo"]
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
 * The member keys of `room` that the folded `names` denote: members whose
 * display name (an account's, or the name a guest joined under) folds to
 * one of them. One indexed lookup per name, whatever the room's size; a
 * long list (`@here` in a busy room) goes in batches of 500 names.
 */
export async function resolveMentions(
  members: MemberRecords,
  room: string,
  names: readonly string[],
): Promise<string[]> {
  const keys = new Set<string>();
  const unique = [...new Set(names)];
  for (let i = 0; i < unique.length; i += LOOKUP_BATCH) {
    const found = await members.named(
      room,
      unique.slice(i, i + LOOKUP_BATCH),
    );
    for (const m of found) keys.add(m.key);
  }
  return [...keys];
}
