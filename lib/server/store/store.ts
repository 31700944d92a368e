/**
 * The storage contract: everything durable, behind one interface with two
 * backends, Deno KV (`kv.ts`, the embedded default and Deno Deploy's store)
 * and PostgreSQL (`postgres.ts`, for instances on several hosts). One
 * contract test suite (`store_test.ts`) runs against both.
 *
 * @module
 */
import type {
  ChatMessage,
  FileRef,
  MembershipEvent,
  Reaction,
} from "@/lib/shared/protocol.ts";
import type { NameClaims } from "@/lib/server/chat/name_claims.ts";
import type { FileRecords } from "./files.ts";
import { StartError } from "@/lib/server/start_error.ts";

export type { FileRecords, NameClaims };

/**
 * The database can't be reached. The store logs an outage once, so callers
 * answer `unavailable` without logging each failure again.
 */
export class StoreUnavailableError extends Error {
  /** Always `"StoreUnavailableError"`. */
  override name = "StoreUnavailableError";
}

/**
 * A draft that asked for its room ({@link Draft.requireRoom}) found it gone:
 * the room was deleted while the message was on its way, and nothing was
 * stored.
 */
export class RoomGoneError extends Error {
  /** Always `"RoomGoneError"`. */
  override name = "RoomGoneError";
  /** The room that is gone. */
  readonly room: string;
  /** Makes the error for `room`. */
  constructor(room: string) {
    super(`No such room: ${room}`);
    this.room = room;
  }
}

/**
 * Whether `error` says the room of `draft` is gone ({@link RoomGoneError}),
 * for a draft that requires it: a batch failing so is not tried again for
 * that draft.
 */
export function roomGone(error: unknown, draft: Draft): boolean {
  return error instanceof RoomGoneError && draft.requireRoom === true &&
    error.room === draft.room;
}

/**
 * The store can't be opened (`DATABASE_URL` leads nowhere, the `KV_PATH`
 * file can't be opened); its message is one line for the operator.
 */
export class StoreOpenError extends StartError {
  /** Always `"StoreOpenError"`. */
  override name = "StoreOpenError";
}

/** A message before it has an id. */
export interface Draft {
  /** The room it goes to. */
  room: string;
  /** The sender's display name. */
  user: string;
  /** What was written. */
  text: string;
  /** The sender's idempotency key, if any. */
  clientId?: string;
  /** Whether the sender is a guest. */
  guest?: boolean;
  /**
   * Who sent it, beyond the display name (see `authorKey` in
   * `lib/server/chat/identity.ts`): idempotency is keyed on it, and a
   * guest's is kept so it can edit its messages after a restart.
   */
  author?: string;
  /** Set on a membership event the server writes (`user` is then ""). */
  event?: MembershipEvent;
  /** Set on a message an upload posts: the file it refers to. */
  file?: FileRef;
  /**
   * Set on a reply: the id of the thread's first message in the same room.
   * The reply takes the room's next id like any message; the first
   * message's `thread` summary moves in the same commit.
   */
  parent?: number;
  /** Set on a reply also shown in the room's timeline. */
  alsoInRoom?: boolean;
  /**
   * The member key that has read this message once it is stored (its
   * sender: one's own message is read). Its read state in the room moves
   * up to the message's id (never back) in the same commit as the message,
   * so a send costs no write of its own for it. Ignored for a duplicate.
   */
  reader?: string;
  /**
   * Stores the message only if its room exists as it commits, else fails
   * with {@link RoomGoneError}: a send racing its room's deletion is either
   * committed before the deletion (and deleted with the room) or refused,
   * never left behind for a room made later under the same id.
   */
  requireRoom?: boolean;
}

/** The result of {@link MessageStore.append}. */
export interface Appended {
  /** The stored message, with its id and time. */
  message: ChatMessage;
  /**
   * True when (room, sender, clientId) had been stored before (the sender
   * being the draft's `author`, else its `user`): this is the original.
   */
  duplicate: boolean;
  /**
   * PostgreSQL only: the tags of the buses listening when the message
   * committed, space-separated, in order (see `bus_listeners`). A bus that
   * finds only its own tag here need not send the message to others.
   */
  listeners?: string;
}

/** A page of history. */
export interface HistoryPage {
  /** The page's messages, oldest first. */
  messages: ChatMessage[];
  /** Whether older messages exist before this page. */
  hasMore: boolean;
}

/** A change to a stored message. */
export interface MessageChange {
  /** The new text ("" for a deletion). */
  text: string;
  /** Marks an edit. */
  edited?: boolean;
  /** Marks a deletion; a deleted message takes no further change. */
  deleted?: boolean;
}

/**
 * Message history with idempotency. Per room, ids start at 1 and increase
 * by exactly 1 per stored message, with no gaps, whatever the number of
 * instances: the hub's gap detection relies on it.
 */
export interface MessageStore {
  /**
   * Stores a message and resolves only once it is durable (the caller acks
   * after this). Idempotent by (room, user, clientId): a repeat resolves to
   * the original message with `duplicate: true`.
   */
  append(draft: Draft): Promise<Appended>;
  /** The id of the newest message in a room, 0 when there is none. */
  lastId(room: string): Promise<number>;
  /** The id of the oldest message still kept, or `lastId + 1` when none is. */
  oldestId(room: string): Promise<number>;
  /** Messages with `after < id <= upTo`, oldest first. */
  range(room: string, after: number, upTo?: number): Promise<ChatMessage[]>;
  /** Up to `limit` messages older than `before` (or the newest), oldest first. */
  history(room: string, limit: number, before?: number): Promise<HistoryPage>;
  /** One message, or null. */
  get(room: string, id: number): Promise<ChatMessage | null>;
  /** The sender identity kept for a guest's message, or null. */
  author(room: string, id: number): Promise<string | null>;
  /**
   * The message `sender` (a draft's `author`, else its `user`) stored under
   * `clientId` in `room`, while its idempotency key is kept; else null.
   * Lets a resend be answered with its original even when the send could
   * not be made now (e.g. a reply whose thread's first message is gone).
   */
  sent(
    room: string,
    sender: string,
    clientId: string,
  ): Promise<ChatMessage | null>;
  /**
   * Replaces a message's text or marks it deleted (a deleted message loses
   * its `file`); null when there is no such message or it was deleted.
   */
  update(
    room: string,
    id: number,
    change: MessageChange,
  ): Promise<ChatMessage | null>;
}

/**
 * Who may see a room: anyone (`public`), its members only (`private`), or
 * the two people of a direct message (`dm`).
 */
export type RoomKind = "public" | "private" | "dm";

/** A room as stored. */
export interface StoredRoom {
  /** The room id. */
  id: string;
  /** Who owns it (an account); null for configured rooms and guests' rooms. */
  createdBy: string | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Who may see it; rooms stored before kinds existed are public. */
  kind: RoomKind;
  /** A line about the room, when it has one. */
  topic?: string;
}

/** Options of {@link RoomStore.createRoom}. */
export interface CreateRoomOptions {
  /** Who may see it (default `public`). */
  kind?: RoomKind;
  /** A line about the room. */
  topic?: string;
}

/** A page of public rooms. */
export interface RoomPage {
  /** Public rooms ordered by id. */
  rooms: StoredRoom[];
  /** The last id of this page, when more rooms follow it. */
  next?: string;
}

/** Options of {@link RoomStore.publicRooms}. */
export interface PublicRoomsOptions {
  /** The id the page starts after. */
  after?: string;
  /** Rooms per page at most. */
  limit: number;
  /** Only rooms whose id starts with this ("" or absent: every room). */
  prefix?: string;
}

/**
 * The end of a range scan over the strings that start with `prefix`: each
 * of them sorts below it in code point order (UTF-8 byte order, as Deno KV
 * and PostgreSQL's "C" and pattern comparisons order strings), unless it
 * holds U+10FFFF after the prefix, which no name or room id can.
 *
 * @example
 * ```ts
 * "mina" < prefixEnd("mi") && "mi" < prefixEnd("mi"); // true
 * ```
 */
export function prefixEnd(prefix: string): string {
  return prefix + "\u{10FFFF}";
}

/** Who made a room, for ownership and quotas. */
export interface RoomOrigin {
  /** The owning account, if any. */
  owner?: string | null;
  /** The creator's display name, counted against their quota. */
  name?: string;
  /** The creator's client address, counted against its quota. */
  from?: string;
}

/** The rooms. */
export interface RoomStore {
  /** Creates a room unless it exists; false when it did. */
  createRoom(
    id: string,
    by?: RoomOrigin,
    options?: CreateRoomOptions,
  ): Promise<boolean>;
  /**
   * Removes a room with its messages, members, read state and mentions, so
   * its id is free again; false when there was no such room, or (with
   * `onlyIfEmpty`) a message was ever stored in it. The creator's and
   * address's quotas count it no more.
   */
  deleteRoom(id: string, options?: { onlyIfEmpty?: boolean }): Promise<boolean>;
  /** One room, or null. */
  room(id: string): Promise<StoredRoom | null>;
  /** Every room, oldest first (ties by id). */
  rooms(): Promise<StoredRoom[]>;
  /**
   * A page of public rooms ordered by id (byte order), starting after the
   * id `after`, only those whose id starts with `prefix` when given; private
   * rooms and DMs are never listed. A range of an index: the cost grows
   * with `limit`, not with the number of rooms.
   */
  publicRooms(options: PublicRoomsOptions): Promise<RoomPage>;
  /** How many rooms a user (by display name) has created. */
  roomsCreatedBy(user: string): Promise<number>;
  /**
   * Sets a room's topic (undefined or "" clears it); false when there is
   * no such room.
   */
  setTopic(id: string, topic: string | undefined): Promise<boolean>;
  /** How many rooms were created from a client address. */
  roomsCreatedFrom(address: string): Promise<number>;
}

/** A member of a room. */
export interface Member {
  /** The member key: `authorKey(identity)` (an account, or a guest token's digest). */
  key: string;
  /** The display name when they joined. */
  name: string;
  /** Whether they are a guest. */
  guest: boolean;
  /** When they joined, in milliseconds since the epoch. */
  joinedAt: number;
}

/** A page of a room's members. */
export interface MemberPage {
  /** Members ordered by key (byte order). */
  members: Member[];
  /** The last key of this page, when more members follow it. */
  next?: string;
}

/** A member to add (see {@link MemberRecords.add}). */
export interface NewMember {
  /** The account's or guest's member key. */
  key: string;
  /** The display name. */
  name: string;
  /** Whether a guest rather than an account. */
  guest: boolean;
  /** What it has read on joining: the room's newest id. */
  lastRead?: number;
  /** The key was never stored (a guest token issued just now). */
  fresh?: boolean;
}

/**
 * Who is a member of which room. Adds and removes are batched (group
 * commit), so a join storm of thousands costs a few commits; a room's count
 * is kept with them and costs one read.
 */
export interface MemberRecords {
  /**
   * Adds unless present; true when new. A new member's `lastRead` (what it
   * has read on joining: the room's newest id) is stored with it, in the
   * same commit, as `ReadRecords.set` would (only raised). `fresh` says
   * the key was never stored (a guest token issued just now), so a store
   * may skip reading what it holds for it.
   */
  add(room: string, member: NewMember): Promise<boolean>;
  /** Removes; true when it was a member. */
  remove(room: string, key: string): Promise<boolean>;
  /** One member, or null. */
  get(room: string, key: string): Promise<Member | null>;
  /** A page ordered by key, after the key `after`. */
  list(
    room: string,
    options: { after?: string; limit: number },
  ): Promise<MemberPage>;
  /**
   * The members of `room` whose display name, folded (`fold` in
   * lib/shared/names.ts), is one of `names` (folded already): how `@name`
   * mentions find guests. Indexed; costs one lookup per name.
   */
  named(room: string, names: string[]): Promise<Member[]>;
  /**
   * At most `limit` members of `room` whose folded display name starts
   * with `prefix` (folded already; "" matches everyone), ordered by folded
   * name, then key (byte order): how `@` completion finds members a big
   * room's page has not loaded. A range of an index: the cost grows with
   * `limit`, not with the room's size.
   */
  startingWith(room: string, prefix: string, limit: number): Promise<Member[]>;
  /** How many members the room has. */
  count(room: string): Promise<number>;
  /** The rooms `key` is a member of, ordered by id. */
  roomsOf(key: string): Promise<string[]>;
}

/**
 * Throws a `RangeError` unless `id` can be a message id (an integer from 0):
 * read state and mentions refuse anything else rather than store it.
 */
export function assertMessageId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new RangeError(`Not a message id: ${id}`);
  }
}

/** Read state and mentions, by member key. */
export interface ReadRecords {
  /** Last-read ids of `key` in `rooms` (missing = 0). */
  get(key: string, rooms: string[]): Promise<Map<string, number>>;
  /** Moves last-read forward (never back); resolves to the stored value. */
  set(key: string, room: string, id: number): Promise<number>;
  /** Records that message `id` of `room` mentions each of `keys`. */
  mention(room: string, id: number, keys: string[]): Promise<void>;
  /** How many recorded mentions of `key` in `room` have id > `after`. */
  mentionsAfter(key: string, room: string, after: number): Promise<number>;
  /** The ids of the recorded mentions of `key` in `room` above `after`, ascending. */
  mentionedAfter(key: string, room: string, after: number): Promise<number[]>;
  /**
   * Drops the mentions message `id` of `room` made (it was deleted);
   * resolves to the member keys it mentioned.
   */
  unmention(room: string, id: number): Promise<string[]>;
}

/**
 * The DMs people closed: one keeps its place in a person's list until they
 * close it, and is listed again once a message newer than the one it was
 * closed at arrives (or they open it again). Per member key and room.
 */
export interface ClosedDmRecords {
  /** Closes `room` for `key` at message `upTo`, replacing an earlier close. */
  close(key: string, room: string, upTo: number): Promise<void>;
  /** Opens `room` for `key` again; true when it was closed. */
  reopen(key: string, room: string): Promise<boolean>;
  /** The ids `key` closed each of `rooms` at; rooms never closed are missing. */
  get(key: string, rooms: string[]): Promise<Map<string, number>>;
}

/** One person adding or taking off one emoji on one message. */
export interface ReactionChange {
  /** The message's room. */
  room: string;
  /** The message's id. */
  id: number;
  /** The emoji (validated by the caller). */
  emoji: string;
  /** Who: the member key (`authorKey`). */
  key: string;
  /** Their display name now, shown in who-reacted lists. */
  name: string;
  /** True to add, false to take off. */
  add: boolean;
}

/**
 * What became of a {@link ReactionChange}: `added`/`removed`, `unchanged`
 * (it was so already), `limit` (a new emoji on a message holding
 * `MAX_REACTIONS` kinds) or `not_found` (no such message, or deleted).
 */
export type ReactionOutcome =
  | "added"
  | "removed"
  | "unchanged"
  | "limit"
  | "not_found";

/**
 * Reactions: at most one per person, emoji and message, at most
 * `MAX_REACTIONS` (lib/shared/reactions.ts) emoji kinds per message, checked
 * atomically on every instance. Changes are batched (group commit), so a
 * storm of thousands a second on one message costs a few commits. Removed
 * with their message's room.
 */
export interface ReactionRecords {
  /** Applies one change once it is durable. */
  change(change: ReactionChange): Promise<ReactionOutcome>;
  /**
   * The reactions of messages `ids` of `room` (messages without any are
   * left out), each emoji in the order it was first used, naming the first
   * `REACTION_NAMES` people; with `key`, `mine` tells whether that member
   * is one of them.
   */
  summaries(
    room: string,
    ids: number[],
    key?: string,
  ): Promise<Map<number, Reaction[]>>;
}

/** A pinned message as stored. */
export interface StoredPin {
  /** The message's id. */
  id: number;
  /** Who pinned it (a display name). */
  by: string;
  /** When, in milliseconds since the epoch. */
  ts: number;
}

/** Pinned messages per room, at most `MAX_PINS` each; removed with the room. */
export interface PinRecords {
  /**
   * Pins message `id` (existing, not deleted) of `room`: `pinned`,
   * `present` (pinned already), `limit` (the room has `MAX_PINS`) or
   * `not_found`.
   */
  pin(
    room: string,
    id: number,
    by: string,
  ): Promise<"pinned" | "present" | "limit" | "not_found">;
  /** Unpins; false when it was not pinned. */
  unpin(room: string, id: number): Promise<boolean>;
  /** A room's pins, newest pin first. */
  list(room: string): Promise<StoredPin[]>;
}

/** A place in the order of search results (newest first). */
export interface SearchCursor {
  /** The message's time. */
  ts: number;
  /** Its room. */
  room: string;
  /** Its id. */
  id: number;
}

/** A search of stored messages. */
export interface SearchQuery {
  /** The rooms to search (the caller decides which the reader may read). */
  rooms: string[];
  /** The query as typed: every word, and every CJK run, must be found. */
  query: string;
  /** Most hits to return. */
  limit: number;
  /** Only hits after this place in the order (a previous page's `next`). */
  before?: SearchCursor;
}

/** A message found by a search. */
export interface SearchHit {
  /** The message as stored. */
  message: ChatMessage;
  /** Where the query matched, `[start, end)` in UTF-16 offsets of its text. */
  highlights: [number, number][];
}

/** A page of search results. */
export interface SearchPage {
  /** Newest first: by time, then room and id, both descending. */
  hits: SearchHit[];
  /** Where the next page starts, when more hits may follow. */
  next?: SearchCursor;
}

/**
 * Message search (see `search_tokens.ts` for how text is cut into terms).
 * The index follows appends, edits, deletions, retention and room removal;
 * deleted messages and membership events are never found.
 */
export interface SearchIndex {
  /** A page of the messages of `rooms` matching `query`. */
  query(query: SearchQuery): Promise<SearchPage>;
}

/** An account as stored. */
export interface Account {
  /** The name as registered, case kept. */
  name: string;
  /** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
  passwordHash: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** Accounts by folded name (see `fold` in lib/shared/names.ts). */
export interface AccountRecords {
  /** The account under `key`, or null. */
  get(key: string): Promise<Account | null>;
  /**
   * Stores `account` under `key` unless the key, or the confusable
   * `skeleton` (see `nameKey`), is taken; false when it was. A null
   * skeleton (copying a legacy look-alike) is not indexed.
   */
  insert(
    key: string,
    account: Account,
    skeleton: string | null,
  ): Promise<boolean>;
  /** The name of the account whose name has `skeleton`, or null. */
  bySkeleton(skeleton: string): Promise<string | null>;
  /**
   * Records `skeleton` for the account under `key` (registered before
   * skeletons were kept, or under an older rule) unless another account
   * has it; idempotent.
   */
  setSkeleton(key: string, skeleton: string): Promise<void>;
  /** Every account, for copying between backends. */
  list(): AsyncIterable<{ key: string; account: Account }>;
}

/** A login session as stored: only the id's digest is known. */
export interface StoredSession {
  /** The account's name. */
  user: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** When it lapses, in milliseconds since the epoch. */
  expiresAt: number;
}

/** Login sessions by the SHA-256 digest of their id. */
export interface SessionRecords {
  /** Stores a session, removing the `replaces` digest's in the same commit. */
  put(digest: string, session: StoredSession, replaces?: string): Promise<void>;
  /** The session under `digest`, or null (expiry is the caller's check). */
  get(digest: string): Promise<StoredSession | null>;
  /** Removes a session; unknown digests are ignored. */
  delete(digest: string): Promise<void>;
  /** Removes every session of `user` (as stored); returns how many. */
  deleteAll(user: string): Promise<number>;
}

/** A moderator's removal of a user from a room, until a time. */
export interface Ban {
  /** The room. */
  room: string;
  /** The removed user's name. */
  user: string;
  /** Epoch milliseconds the ban lasts until. */
  until: number;
}

/** Bans, so a restarted instance still keeps removed users out. */
export interface BanRecords {
  /** Records (or extends) a ban. */
  put(ban: Ban): Promise<void>;
  /** Bans lasting beyond `now`. */
  active(now: number): Promise<Ban[]>;
}

/** A grant of the admin role, bound to one account by its creation time. */
export interface RoleGrant {
  /** The account's name as registered. */
  name: string;
  /** The account's creation time: the grant holds for that account only. */
  accountCreatedAt: number;
  /** When it was granted. */
  grantedAt: number;
}

/** Admin grants and `ADMIN_USERS` bookkeeping, by account key. */
export interface RoleRecords {
  /** The grant under `key`, or null. */
  get(key: string): Promise<RoleGrant | null>;
  /** Stores a grant, replacing one under the same key. */
  put(key: string, grant: RoleGrant): Promise<void>;
  /** Removes a grant; false when there was none. */
  delete(key: string): Promise<boolean>;
  /** Every grant, by key. */
  list(): Promise<RoleGrant[]>;
  /**
   * When `key` was first listed in `ADMIN_USERS`: records `now` unless a
   * time is stored already, and returns the stored time.
   */
  firstListed(key: string, now: number): Promise<number>;
}

/**
 * Threads: the replies to a message (stored as messages with a `parent`,
 * see {@link Draft.parent}) and who takes part in each thread.
 */
export interface ThreadRecords {
  /**
   * Up to `limit` replies to `parent` older than the reply id `before` (or
   * the newest), oldest first; replies retention removed are gone.
   */
  replies(
    room: string,
    parent: number,
    options: { before?: number; limit: number },
  ): Promise<HistoryPage>;
  /** Records member keys as taking part in the thread of `parent`. */
  join(room: string, parent: number, keys: string[]): Promise<void>;
  /** The member keys taking part in the thread of `parent`, ordered by key. */
  participants(room: string, parent: number): Promise<string[]>;
}

/** Everything durable, in one backend. */
export interface Store extends MessageStore, RoomStore {
  /** Which backend this is, for logs and health output. */
  readonly backend: "kv" | "postgres";
  /** Accounts. */
  readonly accounts: AccountRecords;
  /** Login sessions. */
  readonly sessions: SessionRecords;
  /** Guest name holds shared by every instance on this store. */
  readonly names: NameClaims;
  /** Moderators' bans. */
  readonly bans: BanRecords;
  /** Admin roles. */
  readonly roles: RoleRecords;
  /** Room membership. */
  readonly members: MemberRecords;
  /** Read state and mentions. */
  readonly reads: ReadRecords;
  /** The DMs people closed. */
  readonly closedDms: ClosedDmRecords;
  /** Message search. */
  readonly search: SearchIndex;
  /** Uploaded files, chunked (see `files.ts`). */
  readonly files: FileRecords;
  /** Thread replies and participants. */
  readonly threads: ThreadRecords;
  /** Reactions to messages. */
  readonly reactions: ReactionRecords;
  /** Pinned messages. */
  readonly pins: PinRecords;
  /** Whether the database answers now. */
  healthy(): Promise<boolean>;
  /** Waits for pending commits and releases the database. */
  close(): Promise<void>;
}
