/**
 * A room's member list, paged for big rooms: the members online first
 * (from the hub's presence, local to this instance), then the others in
 * key order from the store, each page at most `limit` long. The cursor says
 * which part a page is in: `o{offset}` among the online, `m{key}` after a
 * member key (`m` alone: from the first). And the members whose names start with what was typed, for
 * `@` completion, found by the store's name index.
 *
 * @module
 */
import type {
  MemberEntry,
  PresenceStatus,
  PresenceUser,
  ServerFrame,
} from "@/lib/shared/protocol.ts";
import type { MemberRecords } from "@/lib/server/store/store.ts";
import { fold } from "@/lib/shared/names.ts";

/** Members per page unless the client asks otherwise. */
export const MEMBERS_PAGE = 50;

/** What a member list needs from the hub's presence. */
export interface PresenceView {
  /** Who is online in `room`, in name order (not to be changed). */
  onlineByName(room: string): readonly PresenceUser[];
  /** A person's presence. */
  status(name: string): PresenceStatus;
}

/** A `members` frame. */
export type MembersFrame = Extract<ServerFrame, { type: "members" }>;

/** Thrown for a cursor this module did not make. */
export class BadCursorError extends Error {
  /** Always `"BadCursorError"`. */
  override name = "BadCursorError";
}

/** One page of `room`'s members after `cursor`. */
export async function memberPage(
  members: MemberRecords,
  presence: PresenceView,
  room: string,
  cursor: string | undefined,
  limit = MEMBERS_PAGE,
): Promise<MembersFrame> {
  const online = presence.onlineByName(room);
  const users: MemberEntry[] = [];
  let next: string | undefined;
  let after: string | undefined;
  let offset = 0;
  if (cursor === undefined) offset = 0;
  else if (/^o\d{1,9}$/.test(cursor)) offset = Number(cursor.slice(1));
  else if (cursor.startsWith("m")) {
    // `m` alone: the offline members from the first.
    after = cursor.length > 1 ? cursor.slice(1) : undefined;
    offset = -1;
  } else throw new BadCursorError(`Not a member list cursor: ${cursor}`);
  const total = await members.count(room);

  if (offset >= 0) {
    for (const u of online.slice(offset, offset + limit)) {
      users.push({ ...u, status: presence.status(u.name) });
    }
    if (offset + limit < online.length) next = `o${offset + limit}`;
    // The online filled the page to their last: the offline come next.
    else if (users.length === limit && total > online.length) next = "m";
  }
  if (next === undefined && users.length < limit) {
    // The rest, offline: members in key order, skipping those listed online.
    const onlineNames = new Set(online.map((u) => u.name));
    let more = true;
    // A page all online is skipped; a few reads fill it without looping on.
    for (let rounds = 0; more && users.length < limit && rounds < 4; rounds++) {
      const page = await members.list(room, { after, limit });
      for (const m of page.members) {
        after = m.key;
        if (onlineNames.has(m.name)) continue;
        users.push({ name: m.name, guest: m.guest, status: "offline" });
        if (users.length === limit) break;
      }
      more = page.next !== undefined ||
        (page.members.length > 0 && after !== page.members.at(-1)?.key);
    }
    if (more && after !== undefined) next = `m${after}`;
  }
  return {
    type: "members",
    room,
    users,
    ...(next ? { next } : {}),
    total,
    online: online.length,
  };
}

/**
 * Names read from the store per search: the best `limit` of them are
 * answered, so someone online is found before someone offline as long as
 * fewer than this many names start with what was typed.
 */
export const SEARCH_CANDIDATES = 50;

const RANK: Record<PresenceStatus, number> = { online: 0, away: 1, offline: 2 };

/**
 * At most `limit` members of `room` whose folded name starts with
 * `prefix` (folded already), best first: the name typed in full, then
 * online, away and offline members, each in name order. One range of the
 * store's name index ({@link SEARCH_CANDIDATES} names at most), whatever
 * the room's size.
 */
export async function membersStartingWith(
  members: MemberRecords,
  presence: Pick<PresenceView, "status">,
  room: string,
  prefix: string,
  limit: number,
): Promise<MemberEntry[]> {
  const found = await members.startingWith(
    room,
    prefix,
    Math.max(limit, SEARCH_CANDIDATES),
  );
  return found
    .map((m) => ({
      entry: { name: m.name, guest: m.guest, status: presence.status(m.name) },
      exact: fold(m.name) === prefix,
    }))
    // Stable: ties keep the store's name order.
    .sort((a, b) =>
      Number(b.exact) - Number(a.exact) ||
      RANK[a.entry.status] - RANK[b.entry.status]
    )
    .slice(0, limit)
    .map((m) => m.entry);
}
