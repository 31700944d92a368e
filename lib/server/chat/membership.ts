/**
 * Membership: the durable list of who is in each room, keyed by member key
 * (`authorKey`: the account, or a guest token's digest). Becoming a member
 * and ending it write a coalesced stored event and tell the hub's presence
 * index; the default rooms are joined on a person's first visit. Also the
 * rooms as one member sees them ({@link MyRoom}: counts, read state).
 *
 * @module
 */
import type {
  MembershipEvent,
  MyRoom,
  PresenceUser,
  ServerFrame,
} from "@/lib/shared/protocol.ts";
import type { Store } from "@/lib/server/store/store.ts";
import type { Config } from "@/lib/server/config.ts";
import { logger } from "@/lib/server/log.ts";
import { isDm, type Rooms } from "./rooms.ts";
import { MembershipEvents } from "./membership_events.ts";
import { isGuestKey } from "./guest_token.ts";

/**
 * What a caller of {@link Membership.myRoom} knows of the room already:
 * the member's read mark, the member count, and for a DM the id the member
 * closed it at (null: open).
 */
export interface KnownOfRoom {
  /** The member's read mark. */
  lastRead?: number;
  /** How many members the room has. */
  members?: number;
  /** Where the member closed the DM; null when they didn't. */
  closed?: number | null;
}

/** What membership needs from the hub: its presence index, and reaching a person. */
export interface MembershipHub {
  /** `user` became a member of `room` (every instance's presence index learns it). */
  memberAdded(room: string, user: PresenceUser): unknown;
  /**
   * `name` is no longer a member of `room`; the sockets of `key` subscribed
   * to it leave it, told `left` (with `reason`).
   */
  memberRemoved(
    room: string,
    name: string,
    options: {
      key?: string;
      reason?: "kicked" | "deleted" | "removed";
      guest?: boolean;
    },
  ): unknown;
  /** Sends `frame` to every socket of the member `key`, on every instance. */
  toMember(key: string, frame: ServerFrame): unknown;
  /** How many people are online in `room`. */
  onlineCount(room: string): number;
}

/** Options of {@link Membership}. */
export interface MembershipOptions {
  /** The server's configuration (default rooms, the event window). */
  config: Config;
  /** Where members, read state and messages are kept. */
  store: Store;
  /** Which rooms exist, and their kinds. */
  rooms: Rooms;
  /** The hub's presence index and per-person delivery. */
  hub: MembershipHub;
  /**
   * How many messages of `room` with `after < id <= upTo` are unread news
   * to a reader whose mentions there are `mentioned` (see `quiet_ids.ts`:
   * membership events and other people's threads left out); all of them
   * without it.
   */
  unreadBetween?: (
    room: string,
    after: number,
    upTo: number,
    mentioned: () => Promise<readonly number[]>,
  ) => Promise<number>;
  /** Stores and publishes one membership event message. */
  writeEvent: (
    room: string,
    event: MembershipEvent,
    text: string,
  ) => Promise<void>;
}

/** A shared read of a count or an id, and the one after it. */
interface InFlight {
  current: Promise<number>;
  /** A change was made here since it started. */
  stale: boolean;
  /** The read after it, shared by the callers that came after the change. */
  next: Promise<number> | undefined;
}

const noop = () => {};

/**
 * The read mark that says a member key has been here before: kept as the
 * read state of a "room" whose id no room can have (room ids are lower-case
 * letters, digits, `_` and `-`), so a person who left every room is not
 * given the default rooms again, on either store, without a new record.
 */
export const VISITED = "~visited";

/** Who is a member of which room, and changing it. */
export class Membership {
  readonly #o: MembershipOptions;
  readonly #events: MembershipEvents;
  readonly #log = logger("chat");
  /** Reads in flight, shared by concurrent callers (a join storm reads once). */
  readonly #inFlight = new Map<string, InFlight>();

  /** Creates the membership rules over `options.store`. */
  constructor(options: MembershipOptions) {
    this.#o = options;
    this.#events = new MembershipEvents({
      windowMs: options.config.membershipEventWindowMs,
      write: options.writeEvent,
    });
  }

  /**
   * Set while the join of `key`, or of someone `text` mentions, waits to be
   * stored as an event in `room`: the message waits for it, so the join
   * shows first (see `MembershipEvents.joinsFirst`).
   */
  joinsFirst(
    room: string,
    key: string | undefined,
    text: string,
  ): Promise<void> | undefined {
    return this.#events.joinsFirst(room, key, text);
  }

  /** Whether `key` is a member of `room`. */
  async isMember(room: string, key: string): Promise<boolean> {
    return (await this.#o.store.members.get(room, key)) !== null;
  }

  /**
   * The rooms `key` is a member of. On a first visit (no membership at all)
   * the default rooms (`CHAT_ROOMS`) are joined first; not again for
   * someone who left them all. A key known to be new is not looked up, and
   * its read marks come with the answer (`lastRead`), so nobody reads them.
   */
  async roomsOf(
    key: string,
    user: PresenceUser,
    /** `key` is new (a token issued now): it can't be stored anywhere yet. */
    isNew = false,
  ): Promise<{ rooms: string[]; lastRead?: Map<string, number> }> {
    const { store } = this.#o;
    const rooms = isNew ? [] : await store.members.roomsOf(key);
    if (rooms.length > 0) return { rooms };
    // Someone who left every room has been here: no defaults again.
    if (!isNew && await this.#visited(key)) return { rooms: [] };
    // No visit mark now: membership says it, and leaving a room leaves one.
    const defaults = this.#o.config.rooms;
    const marks = await Promise.all(
      defaults.map((room) => this.join(room, key, user, { fresh: isNew })),
    );
    // A new key's marks are the ones its joins set; an old one's are stored.
    return isNew
      ? { rooms: [...defaults], lastRead: readMarks(defaults, marks) }
      : { rooms: [...defaults] };
  }

  /**
   * Makes `key` a member of `room` unless it is one; true when it is new.
   * A new member has read everything before it joined; the room gets a
   * stored event (coalesced) unless `quiet` (DMs).
   */
  async add(
    room: string,
    key: string,
    user: PresenceUser,
    options: { quiet?: boolean } = {},
  ): Promise<boolean> {
    return (await this.join(room, key, user, options)) !== null;
  }

  /**
   * As {@link Membership.add}, resolving to the new member's read mark
   * (the room's newest id when it joined), or null when it was a member.
   */
  async join(
    room: string,
    key: string,
    user: PresenceUser,
    /** `fresh`: the key was never stored (see `MemberRecords.add`). */
    options: { quiet?: boolean; fresh?: boolean } = {},
  ): Promise<number | null> {
    // A new member has read up to the newest id; the mark is stored with
    // the membership, in one commit.
    const lastId = await this.lastId(room);
    const added = await this.#o.store.members.add(room, {
      key,
      name: user.name,
      guest: user.guest,
      lastRead: lastId,
      ...(options.fresh ? { fresh: true } : {}),
    });
    if (!added) return null;
    this.#forget(`count:${room}`);
    if (!options.quiet) this.#events.record(room, "joined", key, user.name);
    this.#tell(() => this.#o.hub.memberAdded(room, user));
    return lastId;
  }

  /**
   * Ends `key`'s membership of `room`; true when it was a member. Its
   * sockets subscribed to the room, on every instance, leave it and are
   * told `left` (with `reason`, when a moderator removed it).
   */
  async remove(
    room: string,
    key: string,
    name: string,
    reason?: "removed" | "kicked",
  ): Promise<boolean> {
    const removed = await this.#o.store.members.remove(room, key);
    if (!removed) return false;
    // Someone who leaves every room must not get the defaults back.
    await this.#markVisited(key);
    this.#forget(`count:${room}`);
    const facts = await this.#o.rooms.facts(room);
    if (facts && facts.kind !== "dm") {
      this.#events.record(room, "left", key, name);
    }
    this.#tell(() =>
      this.#o.hub.memberRemoved(room, name, {
        key,
        guest: isGuestKey(key),
        ...(reason ? { reason } : {}),
      })
    );
    return true;
  }

  /** The id of the newest message of `room` (concurrent calls share one read). */
  lastId(room: string): Promise<number> {
    return this.#shared(`last:${room}`, () => this.#o.store.lastId(room));
  }

  /** How many members `room` has (concurrent calls share one read). */
  count(room: string): Promise<number> {
    return this.#shared(
      `count:${room}`,
      () => this.#o.store.members.count(room),
    );
  }

  /**
   * `rooms` as the member `key` sees them, with counts and read state;
   * `lastRead`, when the caller knows every room's read mark, saves
   * reading them.
   */
  async myRooms(
    key: string,
    self: string,
    rooms: string[],
    lastRead?: Map<string, number>,
  ): Promise<MyRoom[]> {
    const dms = rooms.filter(isDm);
    const [marks, closed] = await Promise.all([
      lastRead ?? this.#o.store.reads.get(key, rooms),
      dms.length ? this.#o.store.closedDms.get(key, dms) : new Map(),
    ]);
    const all = await Promise.all(
      rooms.map((room) =>
        this.myRoom(key, self, room, {
          lastRead: marks.get(room) ?? 0,
          closed: isDm(room) ? closed.get(room) ?? null : undefined,
        })
      ),
    );
    return all.filter((r): r is MyRoom => r !== null);
  }

  /**
   * One room as the member `key` (named `self`) sees it; null when the
   * room is gone. What the caller knows already (`key`'s read mark, the
   * member count, where they closed a DM: null for never) is not read
   * again.
   */
  async myRoom(
    key: string,
    self: string,
    room: string,
    known: KnownOfRoom = {},
  ): Promise<MyRoom | null> {
    const { store, rooms, hub } = this.#o;
    const { lastRead } = known;
    const facts = await rooms.facts(room);
    if (!facts) return null;
    const dm = facts.kind === "dm";
    const [members, lastId, read, name, closed] = await Promise.all([
      known.members ?? this.count(room),
      this.lastId(room),
      lastRead ?? store.reads.get(key, [room]).then((m) => m.get(room) ?? 0),
      dm ? this.#dmName(room, key, self) : room,
      !dm || known.closed !== undefined
        ? known.closed ?? null
        : store.closedDms.get(key, [room]).then((m) => m.get(room) ?? null),
    ]);
    const { unread, mentions } = await this.counts(key, room, read, lastId);
    return {
      id: room,
      name,
      kind: facts.kind,
      ...(facts.topic ? { topic: facts.topic } : {}),
      members,
      online: hub.onlineCount(room),
      lastId,
      lastRead: Math.min(read, lastId),
      unread,
      mentions,
      ...(closed !== null ? { closed } : {}),
    };
  }

  /**
   * The unread messages and mentions of the member `key` in `room` after
   * its read mark `lastRead`, up to `lastId`: membership events are no
   * news, and a reply shown only in its thread is news only to those it
   * was recorded for as a mention (the thread's participants, anyone it
   * names). One read of the member's mentions when there may be some.
   */
  async counts(
    key: string,
    room: string,
    lastRead: number,
    lastId: number,
  ): Promise<{ unread: number; mentions: number }> {
    let mentioned: Promise<number[]> | undefined;
    const mentions = () =>
      mentioned ??= this.#o.store.reads.mentionedAfter(key, room, lastRead);
    const after = Math.max(0, lastId - lastRead);
    const unread = after === 0 || !this.#o.unreadBetween
      ? after
      : await this.#o.unreadBetween(room, lastRead, lastId, mentions);
    return {
      unread,
      mentions: unread > 0 ? (await mentions()).length : 0,
    };
  }

  /** Writes the pending membership events now (shutdown). */
  flush(): Promise<void> {
    return this.#events.flush();
  }

  /** Whether `key` was here before (its defaults were joined once). */
  async #visited(key: string): Promise<boolean> {
    const marks = await this.#o.store.reads.get(key, [VISITED]);
    return (marks.get(VISITED) ?? 0) > 0;
  }

  /** Records that `key` has been here (a read mark under {@link VISITED}). */
  async #markVisited(key: string): Promise<void> {
    await this.#o.store.reads.set(key, VISITED, 1);
  }

  /** The other person of a DM, by name. */
  async #dmName(room: string, key: string, self: string): Promise<string> {
    const { members } = await this.#o.store.members.list(room, { limit: 2 });
    return members.find((m) => m.key !== key)?.name ?? self;
  }

  /**
   * One read for every concurrent caller. A read that predates a change
   * made here is stale: callers after the change share the next read,
   * which starts once it is done (so a join storm reads a count about once
   * per store round trip, not once per joiner).
   */
  #shared(id: string, read: () => Promise<number>): Promise<number> {
    const known = this.#inFlight.get(id);
    if (known && !known.stale) return known.current;
    if (known) {
      return known.next ??= known.current.then(noop, noop).then(() =>
        this.#start(id, read)
      );
    }
    return this.#start(id, read);
  }

  #start(id: string, read: () => Promise<number>): Promise<number> {
    const entry: InFlight = {
      current: read(),
      stale: false,
      next: undefined,
    };
    this.#inFlight.set(id, entry);
    entry.current.then(noop, noop).then(() => {
      if (this.#inFlight.get(id) === entry) this.#inFlight.delete(id);
    });
    return entry.current;
  }

  /** A read in flight predates a change made here: later callers read anew. */
  #forget(id: string): void {
    const known = this.#inFlight.get(id);
    if (known) known.stale = true;
  }

  #tell(call: () => unknown): void {
    try {
      const r = call();
      if (r instanceof Promise) {
        r.catch((error) =>
          this.#log.warn("telling the hub failed: {error}", {
            error: String(error),
          })
        );
      }
    } catch (error) {
      this.#log.warn("telling the hub failed: {error}", {
        error: String(error),
      });
    }
  }
}

/**
 * The read marks of a new member of each of `rooms`, from what its joins
 * answered (null: it was a member already, which a new key can't be: 0).
 */
function readMarks(
  rooms: readonly string[],
  joined: (number | null)[],
): Map<string, number> {
  return new Map(rooms.map((room, i) => [room, joined[i] ?? 0]));
}
