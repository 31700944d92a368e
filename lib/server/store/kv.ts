/**
 * Message history and rooms in Deno KV.
 *
 * Each room has a sequence key; a message id is the next value of that
 * sequence, claimed by an atomic commit that checks the sequence's
 * versionstamp, so instances sharing one KV never collide or reorder.
 * Sends arriving while a commit for the room is in flight are committed
 * together in the next one (group commit): one KV write per batch, and each
 * send is resolved only once its batch is durable.
 *
 * @module
 */
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import { logger } from "@/lib/server/log.ts";
import { roomKey } from "@/lib/shared/names.ts";
import { KvNameClaims } from "@/lib/server/chat/name_claims.ts";
import type {
  Appended,
  CreateRoomOptions,
  Draft,
  HistoryPage,
  MessageChange,
  PublicRoomsOptions,
  RoomOrigin,
  RoomPage,
  Store,
  StoredRoom,
} from "./store.ts";
import { prefixEnd, roomGone, RoomGoneError, StoreOpenError } from "./store.ts";
import { firstLine } from "@/lib/server/start_error.ts";
import { KvClosedDms } from "./kv_closed_dms.ts";
import { KvAccounts, KvBans, KvRoles, KvSessions } from "./kv_records.ts";
import {
  deletePrefix,
  getMany,
  KvMembers,
  KvReads,
  readKey,
} from "./kv_members.ts";
import { Batcher } from "./batcher.ts";
import { KvSearch } from "./kv_search.ts";
import { KvFiles } from "./kv_files.ts";
import { fileIdsOf } from "./files.ts";
import { KvThreads, threadKey } from "./kv_threads.ts";
import {
  nextSummary,
  RECOUNT_WINDOW,
  summaryWithout,
} from "./thread_summary.ts";
import { KvReactions } from "./kv_reactions.ts";
import { tryCommit } from "./kv_commit.ts";
import { KvPins } from "./kv_pins.ts";

/** Tries of a message's change against concurrent commits. */
const MAX_UPDATE_ATTEMPTS = 50;

const log = logger("store");

/** Options of {@link openKvStore}. */
export interface KvStoreOptions {
  /** Path of the KV file, or `:memory:`. */
  path: string;
  /** Messages kept per room. */
  historyLimit: number;
  /** Clock, injectable for tests. */
  now?: () => number;
  /**
   * Shortest time between the starts of back-to-back commits of sends
   * (default 0), as `BatcherOptions.spacingMs`.
   */
  commitSpacingMs?: number;
}

/** How long an idempotency key is remembered. */
const DEDUPE_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a guest may edit its messages (guest tokens live in a tab). */
const AUTHOR_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * Sends per commit, across rooms: each costs at most five sets and a read
 * mark (plus a check and a set per room and per thread replied to), inside
 * KV's 1,000 mutations; checks are capped apart ({@link MAX_CHECKS}).
 */
const MAX_BATCH = 100;
/** Text bytes per commit, so a batch stays far below KV's 800 KB limit. */
const MAX_BATCH_BYTES = 256 * 1024;
/** Checks per commit: KV allows 100. */
const MAX_CHECKS = 100;
/** Run retention after this many messages in a room. */
const PRUNE_EVERY = 100;

const seqKey = (room: string) => ["seq", room];
/** Set while a deleted room's records are being removed. */
const deletingKey = (room: string) => ["rooms_deleting", room];
const msgKey = (room: string, id: number) => ["msg", room, id];
const dedupeKey = (room: string, sender: string, clientId: string) => [
  "dedupe",
  room,
  sender,
  clientId,
];
/** Public rooms by id, so the directory pages past private rooms and DMs. */
const publicKey = (room: string) => ["rooms_public", room];
/** Set once every room stored before kinds existed is in the public index. */
const PUBLIC_INDEXED = ["meta", "rooms_public_indexed"];
/** A room as kept in KV: with its quota keys, maybe without a kind (older rooms). */
type KvRoom = Omit<StoredRoom, "kind"> & {
  kind?: StoredRoom["kind"];
  name?: string;
  from?: string;
};
/** Who sent a message, for guests (accounts own their names). */
const authorKey = (room: string, id: number) => ["author", room, id];
/** Idempotency is per sender identity; clients without one go by name. */
const senderOf = (d: Draft) => d.author ?? d.user;

/** The storage contract in Deno KV. */
export class KvStore implements Store {
  /** Always `"kv"`. */
  readonly backend = "kv";
  /** The underlying database. */
  readonly kv: Deno.Kv;
  /** Accounts under `["accounts", …]`. */
  readonly accounts: KvAccounts;
  /** Login sessions under `["sessions", …]`. */
  readonly sessions: KvSessions;
  /** Name holds under `["names", …]`. */
  readonly names: KvNameClaims;
  /** Bans under `["bans", …]`. */
  readonly bans: KvBans;
  /** Admin roles under `["roles", …]`. */
  readonly roles: KvRoles;
  /** Membership under `["members", …]` (see `kv_members.ts`). */
  readonly members: KvMembers;
  /** Read state and mentions under `["reads", …]`, `["mentions", …]` and `["mention_ids", …]`. */
  readonly reads: KvReads;
  /** Closed DMs under `["dm_closed", …]`. */
  readonly closedDms: KvClosedDms;
  /** Message search under `["search", …]` (see `kv_search.ts`). */
  readonly search: KvSearch;
  /** Uploaded files under `["files", …]`, `["file_chunks", …]` (see `kv_files.ts`). */
  readonly files: KvFiles;
  /** Thread indexes under `["thread", …]`, `["thread_people", …]` (see `kv_threads.ts`). */
  readonly threads: KvThreads;
  /** Reactions under `["reaction", …]` (see `kv_reactions.ts`). */
  readonly reactions: KvReactions;
  /** Pins under `["pins", …]` (see `kv_pins.ts`). */
  readonly pins: KvPins;
  readonly #limit: number;
  readonly #now: () => number;
  /**
   * Sends waiting for a commit, in arrival order. A batch spans rooms: with
   * many quiet rooms, one commit carries one message from each, where a
   * commit per message would cost a disk sync each.
   */
  readonly #appends: Batcher<Draft, Appended>;
  #closed = false;

  /**
   * Creates a store over `kv` keeping `historyLimit` messages per room,
   * spacing back-to-back commits of sends `commitSpacingMs` apart.
   */
  constructor(
    kv: Deno.Kv,
    historyLimit: number,
    now: () => number = Date.now,
    commitSpacingMs = 0,
  ) {
    this.kv = kv;
    this.#limit = historyLimit;
    this.#now = now;
    this.accounts = new KvAccounts(kv);
    this.sessions = new KvSessions(kv);
    this.names = new KvNameClaims(kv, now);
    this.bans = new KvBans(kv, now);
    this.roles = new KvRoles(kv);
    this.members = new KvMembers(kv, now);
    this.reads = new KvReads(kv);
    this.closedDms = new KvClosedDms(kv);
    this.search = new KvSearch(kv);
    this.files = new KvFiles(kv, now);
    this.threads = new KvThreads(kv);
    this.reactions = new KvReactions(kv, now);
    this.pins = new KvPins(kv, now);
    this.#appends = new Batcher((drafts) => this.#commit(drafts), {
      maxItems: MAX_BATCH,
      weight: (d) => d.text.length * 3,
      maxWeight: MAX_BATCH_BYTES,
      spacingMs: commitSpacingMs,
      refuses: roomGone,
    });
  }

  /**
   * Stores a message and resolves once it is durable. Idempotent by
   * (room, author, clientId): a repeat resolves to the original message,
   * whatever name its sender has now.
   */
  append(draft: Draft): Promise<Appended> {
    if (this.#closed) return Promise.reject(new Error("Store is closed"));
    return this.#appends.push(draft);
  }

  /** Stores `drafts` (of any rooms) in one atomic commit, retrying conflicts. */
  async #commit(drafts: Draft[]): Promise<Appended[]> {
    const rooms = [...new Set(drafts.map((d) => d.room))];
    // The first messages of the threads replied to: their summaries move in
    // this commit, checked so an edit meanwhile is not overwritten.
    const parentKeys = [
      ...new Set(
        drafts.flatMap((d) =>
          d.parent === undefined ? [] : [roomKey(d.room, String(d.parent))]
        ),
      ),
    ];
    // The rooms that must exist as this commits, checked with it: a
    // deletion committing first fails this commit, whose retry finds the
    // room gone.
    const required = [
      ...new Set(drafts.flatMap((d) => d.requireRoom ? [d.room] : [])),
    ];
    const checks = rooms.length + parentKeys.length + required.length;
    if (checks > MAX_CHECKS && drafts.length > 1) {
      const half = Math.ceil(drafts.length / 2);
      const first = await this.#commit(drafts.slice(0, half));
      return [...first, ...await this.#commit(drafts.slice(half))];
    }
    const parentRefs = parentKeys.map((k) => {
      const at = k.lastIndexOf("\u0000");
      return { key: k, room: k.slice(0, at), id: Number(k.slice(at + 1)) };
    });
    // The readers' marks (one's own message is read), each pair once.
    const readers = [
      ...new Map(
        drafts.flatMap((d) =>
          d.reader === undefined ? [] : [
            [
              roomKey(d.room, d.reader),
              { room: d.room, key: d.reader },
            ] as const,
          ]
        ),
      ).values(),
    ];
    for (let attempt = 0;; attempt++) {
      const read = await this.#getMany<number>([
        ...rooms.map(seqKey),
        ...readers.map((r) => readKey(r.room, r.key)),
      ]);
      const seqs = read.slice(0, rooms.length);
      const marks = read.slice(rooms.length);
      const parentEntries = await this.#getMany<ChatMessage>(
        parentRefs.map((p) => msgKey(p.room, p.id)),
      );
      const roomEntries = await this.#getMany<KvRoom>(
        required.map((room) => ["rooms", room]),
      );
      const gone = required.find((_, i) => roomEntries[i].value === null);
      if (gone !== undefined) throw new RoomGoneError(gone);
      const parents = new Map<string, ChatMessage>();
      const touched = new Set<string>();
      // Idempotency keys are read after the rooms' sequences: one stored
      // since is a commit to its room, which fails that room's check. So a
      // send costs a read, not a check (KV allows 100 per commit).
      const existing = await this.#findDuplicates(drafts);
      const op = this.kv.atomic();
      for (const e of roomEntries) op.check(e);
      parentEntries.forEach((e, i) => {
        op.check(e);
        if (e.value) parents.set(parentRefs[i].key, e.value);
      });
      const next = new Map<string, number>();
      rooms.forEach((room, r) => {
        op.check(seqs[r]);
        next.set(room, seqs[r].value ?? 0);
      });
      const results: Appended[] = new Array(drafts.length);
      const ts = this.#now();
      const seenInBatch = new Map<string, number>();
      drafts.forEach((d, i) => {
        const prior = existing[i];
        if (prior) {
          results[i] = { message: prior, duplicate: true };
          return;
        }
        const batchKey = d.clientId
          ? roomKey(d.room, senderOf(d), d.clientId)
          : undefined;
        const sameBatch = batchKey ? seenInBatch.get(batchKey) : undefined;
        if (sameBatch !== undefined) {
          results[i] = { message: results[sameBatch].message, duplicate: true };
          return;
        }
        if (batchKey) seenInBatch.set(batchKey, i);
        const id = next.get(d.room)! + 1;
        next.set(d.room, id);
        const message: ChatMessage = {
          id,
          room: d.room,
          user: d.user,
          text: d.text,
          ts,
        };
        if (d.clientId) message.clientId = d.clientId;
        if (d.guest) message.guest = true;
        if (d.event) message.event = d.event;
        if (d.file) message.file = d.file;
        if (d.parent !== undefined) {
          message.parent = d.parent;
          if (d.alsoInRoom) message.alsoInRoom = true;
          op.set(threadKey(d.room, d.parent, id), true);
          const key = roomKey(d.room, String(d.parent));
          const parent = parents.get(key);
          if (parent) {
            parents.set(key, {
              ...parent,
              thread: nextSummary(parent.thread, message),
            });
            touched.add(key);
          }
        }
        results[i] = { message, duplicate: false };
        op.set(msgKey(d.room, id), message);
        this.search.stage(op, message);
        if (d.guest && d.author) {
          op.set(authorKey(d.room, id), d.author, { expireIn: AUTHOR_TTL_MS });
        }
        if (d.clientId) {
          const key = dedupeKey(d.room, senderOf(d), d.clientId);
          op.set(key, { id, ts }, { expireIn: DEDUPE_TTL_MS });
        }
      });
      for (const p of parentRefs) {
        if (touched.has(p.key)) {
          op.set(msgKey(p.room, p.id), parents.get(p.key)!);
        }
      }
      const changed = rooms.filter((room, r) =>
        next.get(room)! !== (seqs[r].value ?? 0)
      );
      if (changed.length === 0) return results;
      for (const room of changed) op.set(seqKey(room), next.get(room)!);
      this.#stageReads(op, drafts, results, readers, marks);
      const res = await op.commit().catch((error) => {
        // Two processes on one SQLite file take turns; anything else is real.
        if (!String(error).includes("database is locked") || attempt > 50) {
          throw error;
        }
        return { ok: false } as const;
      });
      if (res.ok) {
        this.search.added(
          results.flatMap((r) => r.duplicate ? [] : [r.message]),
        );
        rooms.forEach((room, r) => {
          const first = seqs[r].value ?? 0;
          const last = next.get(room)!;
          if (
            Math.floor(last / PRUNE_EVERY) > Math.floor(first / PRUNE_EVERY)
          ) {
            // Pruning again at the next hundred makes up for a failed round.
            this.#prune(room, last).catch((error) =>
              log.warn("pruning {room} failed: {error}", {
                room,
                error: String(error),
              })
            );
          }
        });
        return results;
      }
      if (attempt > 50) {
        throw new Error(
          `Store: commit to ${rooms.join(", ")} kept conflicting`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.random() * 2 * attempt));
    }
  }

  /**
   * Moves each reader's mark up to its newest message of the batch. No
   * check is needed: a mark never exceeds its room's last id (reads are
   * clamped to it), and the room's sequence is checked, so no newer message
   * of the room, nor a mark at it, can be committed meanwhile; a mark read
   * higher than the message is kept.
   */
  #stageReads(
    op: Deno.AtomicOperation,
    drafts: Draft[],
    results: Appended[],
    readers: { room: string; key: string }[],
    marks: Deno.KvEntryMaybe<number>[],
  ): void {
    if (readers.length === 0) return;
    const newest = new Map<string, number>();
    drafts.forEach((d, i) => {
      if (d.reader === undefined || results[i].duplicate) return;
      const pair = roomKey(d.room, d.reader);
      newest.set(
        pair,
        Math.max(newest.get(pair) ?? 0, results[i].message.id),
      );
    });
    readers.forEach((r, i) => {
      const id = newest.get(roomKey(r.room, r.key));
      const before = marks[i].value ?? 0;
      if (id !== undefined && id > before) {
        op.set(readKey(r.room, r.key), id);
      }
    });
  }

  #getMany<T>(keys: Deno.KvKey[]): Promise<Deno.KvEntryMaybe<T>[]> {
    return getMany<T>(this.kv, keys);
  }

  async #findDuplicates(
    drafts: Draft[],
  ): Promise<(ChatMessage | undefined)[]> {
    const out: (ChatMessage | undefined)[] = new Array(drafts.length);
    const keyed = drafts
      .map((d, i) => ({ d, i }))
      .filter(({ d }) => d.clientId !== undefined);
    const entries = await this.#getMany<{ id: number; ts: number }>(
      keyed.map(({ d }) => dedupeKey(d.room, senderOf(d), d.clientId!)),
    );
    // The original as stored, while retention keeps it.
    const found = entries.flatMap((e, j) => e.value ? [{ e, j }] : []);
    const originals = await this.#getMany<ChatMessage>(
      found.map(({ e, j }) => msgKey(keyed[j].d.room, e.value!.id)),
    );
    found.forEach(({ j }, k) => {
      if (originals[k].value) out[keyed[j].i] = originals[k].value;
    });
    entries.forEach((entry, j) => {
      const { d, i } = keyed[j];
      if (!entry.value || out[i]) return;
      out[i] = {
        id: entry.value.id,
        room: d.room,
        user: d.user,
        text: d.text,
        ts: entry.value.ts,
        clientId: d.clientId,
        ...(d.parent !== undefined ? { parent: d.parent } : {}),
      };
    });
    return out;
  }

  async #prune(room: string, lastId: number): Promise<void> {
    const end = lastId - this.#limit + 1;
    if (end <= 1) return;
    const old = this.kv.list<ChatMessage>({
      start: msgKey(room, 0),
      end: msgKey(room, end),
    });
    let op = this.kv.atomic();
    let n = 0;
    const removed: ChatMessage[] = [];
    for await (const entry of old) {
      removed.push(entry.value);
      op.delete(entry.key);
      const parent = entry.value.parent;
      if (parent !== undefined) {
        op.delete(threadKey(room, parent, entry.value.id));
      }
      if (++n % 400 === 0) {
        await op.commit();
        op = this.kv.atomic();
      }
    }
    if (n % 400 !== 0) await op.commit();
    await this.search.removed(removed);
    await this.reads.prune(room, end);
    await this.reactions.prune(room, end);
    await this.pins.prune(room, end);
    // Files go with their messages, freeing their owners' quota.
    for (const id of removed.flatMap((m) => fileIdsOf(m.file))) {
      await this.files.delete(id);
    }
  }

  /** The id of the newest message in a room, 0 when there is none. */
  async lastId(room: string): Promise<number> {
    return (await this.kv.get<number>(seqKey(room))).value ?? 0;
  }

  /** The id of the oldest message still kept, or `lastId + 1` when none is. */
  async oldestId(room: string): Promise<number> {
    for await (
      const e of this.kv.list<ChatMessage>({ prefix: ["msg", room] }, {
        limit: 1,
      })
    ) {
      return e.value.id;
    }
    return (await this.lastId(room)) + 1;
  }

  /** Messages with `after < id <= upTo`, oldest first. */
  async range(
    room: string,
    after: number,
    upTo = Number.MAX_SAFE_INTEGER,
  ): Promise<ChatMessage[]> {
    const out: ChatMessage[] = [];
    const iter = this.kv.list<ChatMessage>({
      start: msgKey(room, after + 1),
      end: msgKey(room, upTo + 1),
    }, { batchSize: 500 });
    for await (const e of iter) out.push(e.value);
    return out;
  }

  /** Up to `limit` messages older than `before` (or the newest), oldest first. */
  async history(
    room: string,
    limit: number,
    before?: number,
  ): Promise<HistoryPage> {
    const iter = this.kv.list<ChatMessage>(
      before === undefined
        ? { prefix: ["msg", room] }
        : { start: msgKey(room, 0), end: msgKey(room, before) },
      { reverse: true, limit: limit + 1 },
    );
    const messages: ChatMessage[] = [];
    for await (const e of iter) messages.push(e.value);
    const hasMore = messages.length > limit;
    if (hasMore) messages.pop();
    return { messages: messages.reverse(), hasMore };
  }

  /** The message `sender` stored under `clientId` in `room`, or null. */
  async sent(
    room: string,
    sender: string,
    clientId: string,
  ): Promise<ChatMessage | null> {
    const key = await this.kv.get<{ id: number }>(
      dedupeKey(room, sender, clientId),
    );
    return key.value ? await this.get(room, key.value.id) : null;
  }

  /** The sender identity kept for a guest's message, or null. */
  async author(room: string, id: number): Promise<string | null> {
    return (await this.kv.get<string>(authorKey(room, id))).value;
  }

  /** One message, or null. */
  async get(room: string, id: number): Promise<ChatMessage | null> {
    return (await this.kv.get<ChatMessage>(msgKey(room, id))).value;
  }

  /** Replaces a stored message's text or marks it deleted. */
  /**
   * This KV file's own id, made on first use: instances that share Redis
   * must share the file, which this tells apart.
   */
  async storeId(): Promise<string> {
    const key = ["meta", "store_id"];
    for (let attempt = 1;; attempt++) {
      const entry = await this.kv.get<string>(key);
      if (entry.value) return entry.value;
      const id = crypto.randomUUID();
      const op = this.kv.atomic().check(entry).set(key, id);
      if (await tryCommit(op, attempt)) return id;
    }
  }

  async update(
    room: string,
    id: number,
    change: MessageChange,
  ): Promise<ChatMessage | null> {
    for (let attempt = 1;; attempt++) {
      const entry = await this.kv.get<ChatMessage>(msgKey(room, id));
      // A deleted message stays deleted: a late edit must not bring it back.
      if (!entry.value || entry.value.deleted) return null;
      const next: ChatMessage = { ...entry.value, ...change };
      // A deleted message refers to no file any more (its bytes go too).
      if (change.deleted) delete next.file;
      const op = this.kv.atomic().check(entry).set(entry.key, next);
      // A deleted reply leaves its thread's count in the same commit.
      const { parent } = entry.value;
      if (change.deleted && parent !== undefined) {
        const root = await this.kv.get<ChatMessage>(msgKey(room, parent));
        const before = root.value?.thread;
        if (root.value && before) {
          const live = await this.threads.live(
            room,
            parent,
            id,
            RECOUNT_WINDOW,
          );
          const thread = summaryWithout(before, live);
          op.check(root).set(root.key, { ...root.value, thread });
        }
      }
      this.search.stage(op, next);
      // Another instance on the file, or a busy thread's replies moving its
      // first message: a short wait, and a limit, before the next try.
      if (await tryCommit(op, attempt)) {
        await this.search.changed(entry.value, next);
        return next;
      }
      if (attempt >= MAX_UPDATE_ATTEMPTS) {
        throw new Error(`Message ${id} of ${room}: too many changes at once`);
      }
    }
  }

  /** Creates a room unless it exists; false when it did. */
  async createRoom(
    id: string,
    by: RoomOrigin = {},
    options: CreateRoomOptions = {},
  ): Promise<boolean> {
    const { owner = null, name, from } = by;
    const kind = options.kind ?? "public";
    // The quota keys are kept with the room, so deleting it can drop them.
    const room: KvRoom = {
      id,
      createdBy: owner,
      createdAt: this.#now(),
      kind,
      ...(options.topic ? { topic: options.topic } : {}),
      ...(name ? { name } : {}),
      ...(from ? { from } : {}),
    };
    // Not while a deletion of a room under the id is still purging it.
    const op = this.kv.atomic()
      .check({ key: ["rooms", id], versionstamp: null })
      .check({ key: deletingKey(id), versionstamp: null })
      .set(["rooms", id], room);
    if (kind === "public") op.set(publicKey(id), true);
    if (name) op.set(["rooms_by", name, id], true);
    if (from) op.set(["rooms_from", from, id], true);
    if (!(await op.commit()).ok) return false;
    // A new room starts with no members, read marks or mentions: any left
    // under its id (a join that committed after an earlier room's purge)
    // go before anyone can join it.
    await this.members.clear(id);
    await this.reads.clear(id);
    return true;
  }

  async deleteRoom(
    id: string,
    options: { onlyIfEmpty?: boolean } = {},
  ): Promise<boolean> {
    // Checking the sequence: a send committing meanwhile makes this fail,
    // and it is tried again (a send that requires its room checks the
    // room's entry, so once this commits, sends are refused).
    for (;;) {
      const [room, seq] = await this.kv.getMany<[KvRoom, number]>([
        ["rooms", id],
        seqKey(id),
      ]);
      if (!room.value) return false;
      if (options.onlyIfEmpty && (seq.value ?? 0) > 0) return false;
      const { name, from } = room.value;
      const op = this.kv.atomic().check(room).check(seq).delete(["rooms", id])
        .delete(seqKey(id)).delete(publicKey(id))
        // Until the room's records are gone, its id can't be taken again.
        .set(deletingKey(id), true);
      if (name) op.delete(["rooms_by", name, id]);
      if (from) op.delete(["rooms_from", from, id]);
      if ((await op.commit()).ok) break;
    }
    await this.#purge(id);
    return true;
  }

  /**
   * Removes every record of the deleted room `id`, then frees its id. A
   * room made again under the id before this ended would lose its own
   * messages and members to it: {@link createRoom} waits for the mark.
   */
  async #purge(id: string): Promise<void> {
    for (const prefix of [["msg", id], ["author", id], ["dedupe", id]]) {
      await deletePrefix(this.kv, prefix);
    }
    await this.members.clear(id);
    await this.reads.clear(id);
    await this.closedDms.clear(id);
    await this.search.clear(id);
    await this.files.deleteRoom(id);
    await this.threads.clear(id);
    await this.reactions.clear(id);
    await this.pins.clear(id);
    await this.kv.delete(deletingKey(id));
  }

  /**
   * Ends the purges of deleted rooms that a stop cut short (their ids stay
   * taken until then). Run at start.
   */
  async finishDeletions(): Promise<void> {
    for await (const e of this.kv.list({ prefix: ["rooms_deleting"] })) {
      await this.#purge(e.key[1] as string);
    }
  }

  /** How many rooms were created from a client address. */
  async roomsCreatedFrom(address: string): Promise<number> {
    let n = 0;
    for await (const _ of this.kv.list({ prefix: ["rooms_from", address] })) {
      n++;
    }
    return n;
  }

  /** One room, or null. */
  async room(id: string): Promise<StoredRoom | null> {
    const room = (await this.kv.get<KvRoom>(["rooms", id])).value;
    return room && publicRoom(room);
  }

  /** Every room, oldest first. */
  async rooms(): Promise<StoredRoom[]> {
    const out: StoredRoom[] = [];
    for await (const e of this.kv.list<KvRoom>({ prefix: ["rooms"] })) {
      out.push(publicRoom(e.value));
    }
    return out.sort((a, b) =>
      a.createdAt - b.createdAt || a.id.localeCompare(b.id)
    );
  }

  /** A page of public rooms by id, after `after`, starting with `prefix`. */
  async publicRooms(options: PublicRoomsOptions): Promise<RoomPage> {
    const limit = Math.max(1, Math.floor(options.limit));
    const prefix = options.prefix ?? "";
    const after = options.after ?? "";
    // The index's range of ids starting with `prefix`, from `after` on.
    const start = after > prefix ? after : prefix;
    const end = prefixEnd(prefix);
    if (start >= end) return { rooms: [] };
    const ids: string[] = [];
    const iter = this.kv.list(
      { start: publicKey(start), end: publicKey(end) },
      {
        limit: limit + 2,
        batchSize: Math.min(500, limit + 2),
      },
    );
    for await (const e of iter) {
      const id = String(e.key[1]);
      if (id !== options.after) ids.push(id);
    }
    const more = ids.length > limit;
    ids.length = Math.min(ids.length, limit);
    const entries = await getMany<KvRoom>(
      this.kv,
      ids.map((i) => ["rooms", i]),
    );
    // An index entry outliving its room (a deletion racing the backfill) is skipped.
    const rooms = entries.flatMap((e) =>
      e.value && (e.value.kind ?? "public") === "public"
        ? [publicRoom(e.value)]
        : []
    );
    return more ? { rooms, next: ids[ids.length - 1] } : { rooms };
  }

  /**
   * Puts the rooms stored before kinds existed (all public) into the public
   * index, once per KV file; each entry is checked against the room as read,
   * so a room deleted meanwhile is not indexed again.
   */
  async indexPublicRooms(): Promise<void> {
    if ((await this.kv.get(PUBLIC_INDEXED)).value) return;
    for await (const e of this.kv.list<KvRoom>({ prefix: ["rooms"] })) {
      if ((e.value.kind ?? "public") !== "public") continue;
      await this.kv.atomic().check(e).set(publicKey(e.value.id), true)
        .commit();
    }
    await this.kv.set(PUBLIC_INDEXED, true);
  }

  /** Sets a room's topic ("" or undefined clears it). */
  async setTopic(id: string, topic: string | undefined): Promise<boolean> {
    while (true) {
      const entry = await this.kv.get<KvRoom>(["rooms", id]);
      if (!entry.value) return false;
      const { topic: _, ...room } = entry.value;
      const next: KvRoom = topic ? { ...room, topic } : room;
      const res = await this.kv.atomic().check(entry).set(["rooms", id], next)
        .commit();
      if (res.ok) return true;
    }
  }

  /** How many rooms a user has created. */
  async roomsCreatedBy(user: string): Promise<number> {
    let n = 0;
    for await (const _ of this.kv.list({ prefix: ["rooms_by", user] })) n++;
    return n;
  }

  /** Whether KV answers a read now. */
  async healthy(): Promise<boolean> {
    await this.kv.get(["health"]);
    return true;
  }

  /** Waits for pending commits and closes the KV handle. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([
      this.#appends.idle(),
      this.members.idle(),
      this.reads.idle(),
      this.reactions.idle(),
    ]);
    await this.search.idle();
    this.kv.close();
  }
}

/** A stored room without the quota keys kept alongside it; older rooms are public. */
function publicRoom(room: KvRoom): StoredRoom {
  const out: StoredRoom = {
    id: room.id,
    createdBy: room.createdBy,
    createdAt: room.createdAt,
    kind: room.kind ?? "public",
  };
  if (room.topic !== undefined) out.topic = room.topic;
  return out;
}

/**
 * Opens the store, creating the KV file's folder on first start. A file
 * that can't be opened throws {@link StoreOpenError} with one line saying
 * why.
 *
 * @example
 * ```ts
 * const store = await openKvStore({ path: ":memory:", historyLimit: 10_000 });
 * ```
 */
export async function openKvStore(options: KvStoreOptions): Promise<KvStore> {
  const kv = await openKvAt(options.path);
  const store = new KvStore(
    kv,
    options.historyLimit,
    options.now,
    options.commitSpacingMs,
  );
  await store.indexPublicRooms();
  await store.finishDeletions();
  await store.reads.indexMentions();
  await store.search.recover();
  return store;
}

/**
 * Opens the Deno KV database at `path` (`KV_PATH`: a file, `:memory:`, or ""
 * for the platform's default), creating the file's folder on first start.
 * Throws {@link StoreOpenError} when the folder or the file can't be made
 * or opened.
 */
export async function openKvAt(path: string): Promise<Deno.Kv> {
  try {
    if (path !== ":memory:" && path !== "") {
      const dir = path.replace(/[/\\][^/\\]*$/, "");
      if (dir && dir !== path) await Deno.mkdir(dir, { recursive: true });
    }
    // "" is the platform's default database (Deno Deploy's managed KV).
    return await Deno.openKv(path || undefined);
  } catch (error) {
    throw new StoreOpenError(
      `KV_PATH: cannot open Deno KV at ${path || "the default location"}: ${
        firstLine(error)
      }`,
    );
  }
}
