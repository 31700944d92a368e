/**
 * Private rooms and direct messages: the owner (or an admin) of a private
 * room invites and removes members; a DM is the private two-person room of
 * two accounts, one per pair (see `dm.ts`). Guests are invited by the name
 * they have now, which only their own instance knows.
 *
 * @module
 */
import type { PresenceUser } from "@/lib/shared/protocol.ts";
import { fold } from "@/lib/shared/names.ts";
import type { Store } from "@/lib/server/store/store.ts";
import { ChatError } from "./chat_error.ts";
import { moderatesToo } from "./moderation.ts";
import type { Membership } from "./membership.ts";
import type { RoomFacts, Rooms } from "./rooms.ts";
import { dmRoomId } from "./dm.ts";

/** Options of {@link PrivateRooms}. */
export interface PrivateRoomsOptions {
  /** Where accounts are kept. */
  store: Store;
  /** Which rooms exist, and their kinds. */
  rooms: Rooms;
  /** Who is a member of which room. */
  membership: Membership;
  /** May `user` moderate `room` (its owner, or an admin)? */
  canModerate: (user: PresenceUser, room: string) => Promise<boolean>;
  /** May the moderator `by` remove `user` (a name) from `room`? */
  mayRemove: (by: PresenceUser, user: string, room: string) => Promise<boolean>;
  /** Tells every socket of the member `key` (named `self`) it is in `room`. */
  tellMember: (key: string, self: string, room: string) => void;
}

/** Someone a moderator names: their member key and how they show. */
interface Person {
  key: string;
  user: PresenceUser;
}

/** Inviting, removing, and opening DMs. */
export class PrivateRooms {
  readonly #o: PrivateRoomsOptions;
  /** Folded name → member key of the guests connected here, with a count. */
  readonly #guests = new Map<string, { key: string; live: number }>();

  /** Creates the rules over `options.membership`. */
  constructor(options: PrivateRoomsOptions) {
    this.#o = options;
  }

  /** A guest's socket with member key `key` connected here. */
  guestConnected(name: string, key: string): void {
    const g = this.#guests.get(fold(name));
    if (g && g.key === key) g.live++;
    else this.#guests.set(fold(name), { key, live: 1 });
  }

  /** That socket closed. */
  guestGone(name: string, key: string): void {
    const g = this.#guests.get(fold(name));
    if (g && g.key === key && --g.live <= 0) this.#guests.delete(fold(name));
  }

  /**
   * Adds `user` (an account, or a guest connected here by its current
   * name) to a private room, as its owner or a moderator. They get `room`.
   */
  async invite(by: PresenceUser, room: string, user: string): Promise<void> {
    const facts = await this.#moderated(by, room);
    if (facts.kind !== "private") throw notPrivate(room, facts);
    const target = await this.#person(user);
    if (await this.#o.membership.add(room, target.key, target.user)) {
      this.#o.tellMember(target.key, target.user.name, room);
    }
  }

  /**
   * Removes `user` from a private room, as its owner or a moderator: their
   * subscribed sockets get `left` (reason `removed`) and lose access.
   */
  async remove(by: PresenceUser, room: string, user: string): Promise<void> {
    const facts = await this.#moderated(by, room);
    if (facts.kind !== "private") throw notPrivate(room, facts);
    if (!(await this.#o.mayRemove(by, user, room))) throw moderatesToo(user);
    const target = await this.#person(user);
    const removed = await this.#o.membership.remove(
      room,
      target.key,
      target.user.name,
      "removed",
    );
    if (!removed) {
      throw new ChatError("not_member", `${user} is not a member of ${room}`);
    }
  }

  /**
   * Opens the DM room of the account `by` (member key `key`) and the
   * account `user`, made on first use: both are members and both get
   * `room` (where `by` had closed it, it is open again; where `user` had,
   * it stays closed until a message comes). Returns its id.
   */
  async dm(
    by: PresenceUser,
    key: string | undefined,
    user: string,
  ): Promise<string> {
    if (by.guest || !key) {
      throw new ChatError("forbidden", "Direct messages are for accounts");
    }
    const account = await this.#o.store.accounts.get(fold(user));
    if (!account) throw new ChatError("no_such_user", `No account ${user}`);
    const other = `account:${fold(account.name)}`;
    if (other === key) {
      throw new ChatError("invalid_frame", "A DM needs another person");
    }
    const room = dmRoomId(key, other);
    await this.#o.rooms.ensureDm(room, fold(by.name));
    const them = { name: account.name, guest: false };
    const { membership, store } = this.#o;
    await Promise.all([
      membership.add(room, key, by, { quiet: true }),
      membership.add(room, other, them, { quiet: true }),
      // Opened again by its person: back in their list, on every tab.
      store.closedDms.reopen(key, room),
    ]);
    this.#o.tellMember(key, by.name, room);
    this.#o.tellMember(other, them.name, room);
    return room;
  }

  /** The room's facts, when `by` may moderate it. */
  async #moderated(by: PresenceUser, room: string): Promise<RoomFacts> {
    const facts = await this.#o.rooms.facts(room);
    if (!facts) throw new ChatError("no_such_room", `No such room: ${room}`);
    if (!(await this.#o.canModerate(by, room))) {
      throw new ChatError(
        "forbidden",
        "Only the room's owner or a moderator may do that",
      );
    }
    return facts;
  }

  /** An account by name, or a guest connected here by its current name. */
  async #person(name: string): Promise<Person> {
    const account = await this.#o.store.accounts.get(fold(name));
    if (account) {
      return {
        key: `account:${fold(account.name)}`,
        user: { name: account.name, guest: false },
      };
    }
    const guest = this.#guests.get(fold(name));
    if (guest) return { key: guest.key, user: { name, guest: true } };
    throw new ChatError(
      "no_such_user",
      `No account ${name}, and no guest of that name is here`,
    );
  }
}

/** Why a room that is not private takes no invitations or removals. */
function notPrivate(room: string, facts: RoomFacts): ChatError {
  return new ChatError(
    "forbidden",
    facts.kind === "dm"
      ? "A DM is for its two people only"
      : `${room} is public: anyone may join or leave it; moderators kick`,
  );
}
