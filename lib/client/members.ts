/**
 * A room's member list as the page keeps it: pages of members merged in,
 * presence changes applied, online members first.
 *
 * @module
 */
import type { MemberEntry, PresenceStatus } from "@/lib/shared/protocol.ts";

const RANK: Record<PresenceStatus, number> = { online: 0, away: 1, offline: 2 };

/**
 * Orders members online first, then away, each by name, then offline in
 * the order they are listed (the server's pages: sorting them here would
 * reshuffle the rows at each presence change, a page at a time). The
 * sort must be stable, as `Array.prototype.sort` is.
 */
export function byPresence(a: MemberEntry, b: MemberEntry): number {
  return RANK[a.status] - RANK[b.status] ||
    (a.status === "offline" ? 0 : a.name.localeCompare(b.name));
}

/** `list` with a further page appended; names already listed are skipped. */
export function mergeMembers(
  list: readonly MemberEntry[],
  page: readonly MemberEntry[],
): MemberEntry[] {
  const have = new Set(list.map((m) => m.name));
  return [...list, ...page.filter((m) => !have.has(m.name))];
}

/**
 * `list` after presence `changes`: listed people take their new status,
 * people not listed who came online are added (those who went offline are
 * on a later page, or not shown at all), and people who left the room
 * are dropped.
 */
export function withPresence(
  list: readonly MemberEntry[],
  changes: readonly MemberEntry[],
): MemberEntry[] {
  if (changes.length === 0) return [...list];
  const changed = new Map(changes.map((c) => [c.name, c]));
  const out = list.flatMap((m) => {
    const c = changed.get(m.name);
    return c?.left ? [] : [c ?? m];
  });
  const listed = new Set(list.map((m) => m.name));
  for (const c of changes) {
    if (!listed.has(c.name) && c.status !== "offline") out.push(c);
  }
  return out.sort(byPresence);
}
