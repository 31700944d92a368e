/**
 * What a socket receives, and becoming a member on the way: `join` (a
 * public room makes its person a member; a private room or DM needs
 * membership), `leave` (membership ends on every tab), `view` (the room on
 * screen; a public room not joined is previewed), a room's member list and
 * read marks. Who may read what is decided here: a public room anyone, a
 * private room or DM its members only.
 *
 * @module
 */
import type { Client, Hub } from "@/lib/server/realtime/hub.ts";
import type { Store } from "@/lib/server/store/store.ts";
import type { MyRoom, PresenceUser } from "@/lib/shared/protocol.ts";
import { ChatError } from "./chat_error.ts";
import { banned } from "./moderation.ts";
import type { KnownOfRoom, Membership } from "./membership.ts";
import type { ReadState } from "./read_state.ts";
import type { Rooms } from "./rooms.ts";
import {
  BadCursorError,
  memberPage,
  type MembersFrame,
} from "./member_list.ts";

/** Membership reads {@link Subscriptions.nonReaders} has in flight at most. */
const MEMBER_READS_AT_ONCE = 32;

/** Options of {@link Subscriptions}. */
export interface SubscriptionsOptions {
  /** Where members and read state are kept. */
  store: Store;
  /** Subscriptions, viewing and presence of this instance. */
  hub: Hub;
  /** Which rooms exist, and their kinds. */
  rooms: Rooms;
  /** Who is a member of which room. */
  membership: Membership;
  /** Read marks. */
  reads: ReadState;
  /** Whether `user` was removed from `room` by a moderator lately. */
  isBanned: (room: string, user: string) => boolean;
  /** May `user` moderate `room` (its owner, or an admin)? */
  canModerate: (user: PresenceUser, room: string) => Promise<boolean>;
  /**
   * Tells every socket of the member `key` (named `self`) it is in `room`
   * (with its read mark there and the member count, when known); settles
   * once the frame is on its way (never rejects).
   */
  tellMember: (
    key: string,
    self: string,
    room: string,
    known?: KnownOfRoom,
  ) => Promise<void>;
}

/** What is kept per connected native client. */
interface Session {
  /** Public rooms it watches without being a member (`view`). */
  previews: Set<string>;
  /**
   * The member rooms and read state `welcome` told, used once by each
   * room's first `join` (a reconnect storm then reads nothing more); later
   * joins ask the store, as membership may have changed in another tab. A
   * room leaves it when the membership ends meanwhile.
   */
  welcomed: Map<string, number>;
  /**
   * The private rooms and DMs this socket was told it is in (by `welcome`
   * or a join), until deleted: a `leave` of one of them is answered `left`
   * even once the membership is gone, as after another tab's leave.
   */
  known: Set<string>;
}

/** Joining, leaving, viewing and reading, per socket. */
export class Subscriptions {
  readonly #o: SubscriptionsOptions;
  readonly #sessions = new WeakMap<Client, Session>();

  /** Creates the rules over `options.hub` and `options.membership`. */
  constructor(options: SubscriptionsOptions) {
    this.#o = options;
    // What `welcome` told of a room holds only while the membership does:
    // a join after it ended (left in another tab) makes a member again.
    options.hub.onMembershipEnded((client, room, reason) => {
      const session = this.#sessions.get(client);
      session?.welcomed.delete(room);
      // A room deleted is no one's: a new one under its id is not this one.
      if (reason === "deleted") session?.known.delete(room);
    });
  }

  /**
   * A native client connected; its person is a member of `rooms`, whose
   * read state `welcome` tells.
   */
  opened(client: Client, rooms: MyRoom[]): void {
    this.#sessions.set(client, {
      previews: new Set(),
      welcomed: new Map(rooms.map((r) => [r.id, r.lastRead])),
      known: new Set(
        rooms.filter((r) => r.kind !== "public").map((r) => r.id),
      ),
    });
  }

  /**
   * Whether the member `key` (undefined: someone without one) may read
   * `room`: a public room anyone, a private room or DM its members only.
   * False when there is no such room.
   */
  async mayRead(room: string, key: string | undefined): Promise<boolean> {
    const facts = await this.#o.rooms.facts(room);
    if (!facts) return false;
    if (facts.kind === "public") return true;
    return key !== undefined && await this.#o.membership.isMember(room, key);
  }

  /**
   * Of the member keys `keys`, those that may not read `room` now: in a
   * private room or DM, those no longer members (removed, or left in
   * another tab). None in a public room, or a room gone (its deletion is
   * told otherwise). Reads a few members at a time.
   */
  async nonReaders(room: string, keys: Iterable<string>): Promise<string[]> {
    const facts = await this.#o.rooms.facts(room);
    if (!facts || facts.kind === "public") return [];
    const all = [...keys];
    const out: string[] = [];
    for (let i = 0; i < all.length; i += MEMBER_READS_AT_ONCE) {
      const some = all.slice(i, i + MEMBER_READS_AT_ONCE);
      const member = await Promise.all(
        some.map((key) => this.#o.membership.isMember(room, key)),
      );
      some.forEach((key, j) => {
        if (!member[j]) out.push(key);
      });
    }
    return out;
  }

  /**
   * Throws unless the member `key` (undefined: someone without one) may
   * read `room`: `no_such_room` when there is none, and likewise for a
   * private room or DM it is not a member of.
   */
  async checkRead(room: string, key: string | undefined): Promise<void> {
    // The room's facts decide both, so a missing room costs no extra read.
    const facts = await this.#o.rooms.facts(room);
    if (!facts) throw new ChatError("no_such_room", `No such room: ${room}`);
    if (facts.kind === "public") return;
    if (key === undefined || !(await this.#o.membership.isMember(room, key))) {
      throw unseen(room);
    }
  }

  /**
   * Throws unless `client` may write in `room`: not in a previewed room
   * (`not_member`), not in a room that does not exist (`no_such_room`) or a
   * private room it is not in (`forbidden`).
   */
  async maySend(client: Client, room: string): Promise<void> {
    if (this.#sessions.get(client)?.previews.has(room)) {
      throw new ChatError("not_member", `Join ${room} to write in it`);
    }
    if (!client.rooms.has(room)) await this.checkRead(room, client.author);
  }

  /**
   * Joins a room: a public room makes its person a member (a stored
   * event, once) unless it is one; a private room or DM needs membership.
   * Then the socket is subscribed (`joined`, the replay after `since`, live
   * messages).
   */
  async join(client: Client, room: string, since?: number): Promise<void> {
    const facts = await this.#o.rooms.facts(room);
    if (!facts) throw new ChatError("no_such_room", `No such room: ${room}`);
    if (this.#o.isBanned(room, client.user.name)) throw banned(room);
    const key = client.author;
    const session = this.#sessions.get(client);
    let lastRead = 0;
    /** The read mark of a new member, who needs no reading of it. */
    let joinedAt: number | null = null;
    if (key && session) {
      const told = session.welcomed.get(room);
      session.welcomed.delete(room);
      if (facts.kind === "public") {
        // Joining makes a member unless it was one: no read to ask first.
        if (told === undefined) {
          joinedAt = await this.#o.membership.join(room, key, client.user);
        }
      } else if (!(await this.#o.membership.isMember(room, key))) {
        // A private room's membership is always checked: it may have
        // ended. Its owner (or an admin) may come back after leaving.
        if (
          facts.kind === "dm" || !(await this.#o.canModerate(client.user, room))
        ) throw unseen(room);
        joinedAt = await this.#o.membership.join(room, key, client.user);
      }
      session.previews.delete(room);
      lastRead = told ?? joinedAt ??
        (await this.#o.store.reads.get(key, [room])).get(room) ?? 0;
    } else if (facts.kind !== "public") throw unseen(room);
    const members = await this.#o.membership.count(room);
    if (key && joinedAt !== null) {
      // `room` (to every socket of the new member) first, with the count
      // `joined` gives: this socket then gets both in one write.
      await this.#o.tellMember(key, client.user.name, room, {
        lastRead: joinedAt,
        members,
      });
    }
    await this.#o.hub.subscribe(client, room, since, { lastRead, members });
    if (facts.kind !== "public") session?.known.add(room);
    // A kick or a removal stored while this joined found no socket of the
    // room to take out: both are read again now that the socket is in (one
    // stored after this reaches it through the hub).
    if (this.#o.isBanned(room, client.user.name)) {
      // The membership this join made may have come after the kick's.
      const ended = key !== undefined &&
        await this.#o.membership.remove(room, key, client.user.name, "kicked");
      if (!ended) this.#out(client, room, "kicked");
    } else if (
      facts.kind !== "public" && key &&
      !(await this.#o.membership.isMember(room, key))
    ) {
      // Why (removed, or left in another tab) it was told as it ended.
      this.#out(client, room);
    }
  }

  /** Takes one socket out of `room`, telling it (and why, if known). */
  #out(client: Client, room: string, reason?: "kicked"): void {
    this.#o.hub.unsubscribe(client, room);
    this.#o.hub.sendFrame(client, {
      type: "left",
      room,
      ...(reason ? { reason } : {}),
    });
  }

  /**
   * Leaves a room: membership ends (a stored event) and every socket of
   * the person stops getting it, told `left`. Without membership only this
   * socket stops.
   */
  async leave(client: Client, room: string): Promise<void> {
    const facts = await this.#o.rooms.facts(room);
    if (!facts) {
      // Deleted while this socket was in it: out, as asked.
      if (client.rooms.has(room)) return this.#out(client, room);
      throw new ChatError("no_such_room", `No such room: ${room}`);
    }
    // A DM is the two people's for good: left by one, the other would
    // write into nothing.
    if (facts.kind === "dm") {
      // To anyone outside it, no DM at all.
      await this.checkRead(room, client.author);
      throw new ChatError(
        "forbidden",
        "A direct message can't be left: it stays between the two of you (close it to take it out of your list)",
      );
    }
    const key = client.author;
    const session = this.#sessions.get(client);
    // Whether this socket knew the room (a leave racing another tab's, or
    // a removal it missed, is still answered `left`).
    const known = client.rooms.has(room) || session?.known.has(room) === true;
    session?.previews.delete(room);
    session?.welcomed.delete(room);
    // Ended: the hub takes every subscribed socket of the person out and
    // tells each of them, this one too.
    const ended = key !== undefined &&
      await this.#o.membership.remove(room, key, client.user.name);
    if (ended) return;
    // Not a member: a private room one never knew doesn't exist to them.
    if (
      facts.kind !== "public" && !known &&
      !(await this.#o.canModerate(client.user, room))
    ) throw unseen(room);
    this.#out(client, room);
  }

  /**
   * The room this socket shows (null: none): presence and typing of that
   * room reach it. A public room it is not subscribed to is previewed:
   * subscribed, with no membership and no event.
   */
  async view(client: Client, room: string | null): Promise<void> {
    if (room === null) return this.#o.hub.view(client, null);
    const facts = await this.#o.rooms.facts(room);
    if (!facts) throw new ChatError("no_such_room", `No such room: ${room}`);
    if (!client.rooms.has(room)) {
      const key = client.author;
      const member = key !== undefined &&
        await this.#o.membership.isMember(room, key);
      if (!member && facts.kind !== "public") throw unseen(room);
      if (member) await this.join(client, room);
      else {
        if (this.#o.isBanned(room, client.user.name)) throw banned(room);
        this.#sessions.get(client)?.previews.add(room);
        await this.#o.hub.subscribe(client, room, undefined, {
          lastRead: 0,
          members: await this.#o.membership.count(room),
        });
      }
    }
    this.#o.hub.view(client, room);
  }

  /** A page of `room`'s members, online first; members only for private rooms. */
  async members(
    client: Client,
    room: string,
    cursor?: string,
    limit?: number,
  ): Promise<MembersFrame> {
    if (!(await this.#o.rooms.has(room))) {
      throw new ChatError("no_such_room", `No such room: ${room}`);
    }
    if (!(await this.mayRead(room, client.author))) throw unseen(room);
    try {
      return await memberPage(
        this.#o.store.members,
        this.#o.hub,
        room,
        cursor,
        limit,
      );
    } catch (error) {
      if (error instanceof BadCursorError) {
        throw new ChatError("invalid_frame", error.message);
      }
      throw error;
    }
  }

  /** Marks `room` read up to `id` on every socket of the person. */
  async read(client: Client, room: string, id: number): Promise<void> {
    const key = client.author;
    const facts = await this.#o.rooms.facts(room);
    if (!facts) throw new ChatError("no_such_room", `No such room: ${room}`);
    if (
      key === undefined ||
      !(await this.#o.membership.isMember(room, key))
    ) {
      // A private room or DM is none to those outside it.
      if (facts.kind !== "public") throw unseen(room);
      throw new ChatError("not_member", `Join ${room} first`);
    }
    await this.#o.reads.read(key, room, id);
  }

  /**
   * Closes a DM for the client's person: read to its newest message, and
   * out of their list on every tab (each gets `room` with `closed`) until
   * a newer message arrives or they open it again. Their sockets stay
   * subscribed, so that message reaches them.
   */
  async closeDm(client: Client, room: string): Promise<void> {
    const key = client.author;
    const facts = await this.#o.rooms.facts(room);
    if (!facts) throw new ChatError("no_such_room", `No such room: ${room}`);
    const member = key !== undefined &&
      await this.#o.membership.isMember(room, key);
    if (!member && facts.kind !== "public") throw unseen(room);
    if (facts.kind !== "dm" || key === undefined) {
      throw new ChatError(
        "forbidden",
        "Only a direct message can be closed: leave a room instead",
      );
    }
    const read = await this.#o.reads.read(key, room, Number.MAX_SAFE_INTEGER);
    const upTo = read.lastId ?? read.lastRead;
    await this.#o.store.closedDms.close(key, room, upTo);
    await this.#o.tellMember(key, client.user.name, room, {
      lastRead: read.lastRead,
      closed: upTo,
    });
  }
}

/**
 * The refusal of a private room or DM to someone outside it: the answer a
 * room that doesn't exist gets, so nobody learns which private rooms
 * exist or who has a DM with whom (a DM's id can be worked out from the
 * two accounts).
 */
function unseen(room: string): ChatError {
  return new ChatError("no_such_room", `No such room: ${room}`);
}
