/**
 * Mentions: the `@name` tokens of a message, resolved against the room's
 * members (accounts by their name, guests by the name they joined under),
 * so the store can count each member's unread mentions. `@here` stands for
 * the room's members online at the time (not away).
 *
 * @module
 */
import type { MemberRecords } from "@/lib/server/store/store.ts";
import { nameBeforeParticle } from "@/lib/shared/mentions.ts";
import { fold } from "@/lib/shared/names.ts";

/** Names resolved per store lookup, so `@here` in a big room stays batched. */
const LOOKUP_BATCH = 500;

/**
 * The member keys of `room` that the folded `names` denote: members whose
 * display name (an account's, or the name a guest joined under) folds to
 * one of them. One indexed lookup per name, whatever the room's size; a
 * long list (`@here` in a busy room) goes in batches of 500 names. With
 * `particles` (names typed in a message, at most 20), a name no member has
 * that ends in a Korean particle or honorific is tried without it.
 */
export async function resolveMentions(
  members: MemberRecords,
  room: string,
  names: readonly string[],
  options: { particles?: boolean } = {},
): Promise<string[]> {
  const keys = new Set<string>();
  const unique = [...new Set(names)];
  const resolved = new Set<string>();
  for (let i = 0; i < unique.length; i += LOOKUP_BATCH) {
    const found = await members.named(
      room,
      unique.slice(i, i + LOOKUP_BATCH),
    );
    for (const m of found) {
      keys.add(m.key);
      resolved.add(fold(m.name));
    }
  }
  // A name typed in a message (`particles`; not `@here`'s list of who is
  // online) that no member has may carry a Korean particle or honorific
  // ("@민수님"): the longest name before one that a member has is meant.
  if (!options.particles) return [...keys];
  for (const name of unique) {
    if (resolved.has(name)) continue;
    for (const shorter of nameBeforeParticle(name)) {
      const found = await members.named(room, [shorter]);
      for (const m of found) keys.add(m.key);
      if (found.length > 0) break;
    }
  }
  return [...keys];
}
