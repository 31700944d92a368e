/**
 * Mentions: the `@name` tokens of a message, resolved against the room's
 * members (accounts by their name, guests by the name they joined under),
 * so the store can count each member's unread mentions.
 *
 * @module
 */
import { fold } from "@/lib/shared/names.ts";
import type { MemberRecords } from "@/lib/server/store/store.ts";

/** Distinct names resolved per message at most. */
const MAX_MENTIONS = 20;

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
 * one of them. One indexed lookup per name, whatever the room's size.
 */
export async function resolveMentions(
  members: MemberRecords,
  room: string,
  names: string[],
): Promise<string[]> {
  if (names.length === 0) return [];
  const found = await members.named(room, names);
  return [...new Set(found.map((m) => m.key))];
}
