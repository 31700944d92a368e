/**
 * Room membership, read state and mentions in Deno KV.
 *
 * Keys:
 * - `["members", room, key]` → `{ name, guest, joinedAt }`
 * - `["member_rooms", key, room]` → `true` (the rooms of a member key)
 * - `["member_names", room, folded name, key]` → `true` (for mentions, and
 *   by a range of it for names starting with what was typed)
 * - `["member_count", room]` → `Deno.KvU64`, moved by `sum` in the same
 *   atomic commit as the member keys, so a count costs one read and never
 *   conflicts between instances
 * - `["reads", room, key]` → the last-read id
 * - `["mentions", room, key, id]` → `true`
 * - `["mention_ids", room, id, key]` → `true`: the same mentions by message,
 *   set and deleted with them, so retention reads only the mentions of the
 *   messages it removes, not all of a room's
 *
 * Adds, removes and read-state writes go through a {@link Batcher}: calls
 * made while a commit is in flight share the next one, so a join storm of
 * thousands costs one commit per 200 joins: a membership commit checks the
 * count key of each room it touches (KV allows 100 checks per commit), not
 * each member.
 *
 * @module
 */
import type {
  Member,
  MemberPage,
  MemberRecords,
  NewMember,
  ReadRecords,
} from "./store.ts";
import { assertMessageId, prefixEnd } from "./store.ts";
import { Batcher } from "./batcher.ts";
import { fold } from "@/lib/shared/names.ts";

/** Read-state writes per commit: one check each, KV allows 100. */
const MAX_PAIRS = 100;
/**
 * Member adds and removes per commit. The ops of one member of a room
 * collapse into at most four mutations (member, its room index, its name
 * index, a new member's read mark; a removal three), plus one `sum` per
 * room: 200 × 4 + {@link MAX_ROOMS} stays under {@link MAX_MUTATIONS}.
 */
const MAX_MEMBER_OPS = 200;
/** Rooms per membership commit: one check each, KV allows 100. */
const MAX_ROOMS = 90;
/** Mutations per commit, below KV's 1000. */
const MAX_MUTATIONS = 900;
/**
 * Bytes of keys one commit may carry, checks included: under Deno KV's
 * 81,920, as {@link keyBytes} counts them (a guest's mention is two keys of
 * about 95 bytes, so some 420 fill a commit).
 */
const MAX_KEY_BYTES = 72_000;

/**
 * About what `key` weighs in a commit's total key size, erring high: each
 * string part its UTF-8 bytes and two more, any other part nine.
 */
function keyBytes(key: Deno.KvKey): number {
  let n = 0;
  for (const part of key) {
    n += typeof part === "string" ? utf8.encode(part).length + 2 : 9;
  }
  return n;
}
const utf8 = new TextEncoder();

/** {@link keyBytes} of keys written together. */
function groupBytes(keys: Deno.KvKey[]): number {
  let n = 0;
  for (const k of keys) n += keyBytes(k);
  return n;
}
/** Conflicting commits are retried this many times. */
const MAX_ATTEMPTS = 50;
/** 2^64: adding `2^64 - n` to a `KvU64` subtracts n (sums wrap). */
const U64 = 1n << 64n;

const memberKey = (room: string, key: string) => ["members", room, key];
const roomsKey = (key: string, room: string) => ["member_rooms", key, room];
const countKey = (room: string) => ["member_count", room];
const nameKey = (room: string, name: string, key: string) => [
  "member_names",
  room,
  fold(name),
  key,
];
/** Where the last-read id of member `key` in `room` is kept. */
export const readKey = (room: string, key: string): Deno.KvKey => [
  "reads",
  room,
  key,
];
const mentionKey = (room: string, key: string, id: number) => [
  "mentions",
  room,
  key,
  id,
];

const mentionIdKey = (room: string, id: number, key: string) => [
  "mention_ids",
  room,
  id,
  key,
];
/** Set once every mention stored before `mention_ids` existed is in it. */
const MENTIONS_INDEXED = ["meta", "mention_ids_indexed"];

/** A mention's two keys, which are always written and removed together. */
const mentionKeys = (room: string, key: string, id: number) => [
  mentionKey(room, key, id),
  mentionIdKey(room, id, key),
];

type StoredMember = Omit<Member, "key">;

interface MemberOp {
  room: string;
  key: string;
  /** Present for an add, absent for a remove. */
  add?: { name: string; guest: boolean; lastRead: number };
  /** The key was never stored: nothing to read for it. */
  fresh?: boolean;
}

type ReadOp =
  | { set: true; key: string; room: string; id: number }
  | { set: false; room: string; id: number; keys: string[] };

/** `kv.getMany` for any number of keys (KV takes 10 at a time). */
export async function getMany<T>(
  kv: Deno.Kv,
  keys: Deno.KvKey[],
): Promise<Deno.KvEntryMaybe<T>[]> {
  const chunks: Promise<Deno.KvEntryMaybe<T>[]>[] = [];
  for (let i = 0; i < keys.length; i += 10) {
    chunks.push(kv.getMany<T[]>(keys.slice(i, i + 10)));
  }
  return (await Promise.all(chunks)).flat();
}

/** Deletes every key under `prefix`, 500 per commit. */
export async function deletePrefix(
  kv: Deno.Kv,
  prefix: Deno.KvKey,
): Promise<number> {
  let op = kv.atomic();
  let n = 0;
  for await (const e of kv.list({ prefix })) {
    op.delete(e.key);
    if (++n % 500 === 0) {
      await op.commit();
      op = kv.atomic();
    }
  }
  if (n % 500 !== 0) await op.commit();
  return n;
}

/** Commits `op`; false on a failed check or a busy database file (retry). */
async function tryCommit(
  op: Deno.AtomicOperation,
  attempt: number,
): Promise<boolean> {
  try {
    return (await op.commit()).ok;
  } catch (error) {
    // Two processes on one SQLite file take turns; anything else is real.
    if (
      !String(error).includes("database is locked") ||
      attempt >= MAX_ATTEMPTS
    ) throw error;
    return false;
  }
}

/** Waits a little longer after each conflict, jittered. */
const backoff = (attempt: number) =>
  new Promise((r) => setTimeout(r, Math.random() * 2 * attempt));

/** Room membership in Deno KV. */
export class KvMembers implements MemberRecords {
  readonly #kv: Deno.Kv;
  readonly #now: () => number;
  readonly #writes: Batcher<MemberOp, boolean>;

  /** Creates the records over `kv`. */
  constructor(kv: Deno.Kv, now: () => number = Date.now) {
    this.#kv = kv;
    this.#now = now;
    this.#writes = new Batcher((ops) => this.#commit(ops), {
      maxItems: MAX_MEMBER_OPS,
    });
  }

  add(
    room: string,
    member: NewMember,
  ): Promise<boolean> {
    const lastRead = member.lastRead ?? 0;
    try {
      if (lastRead > 0) assertMessageId(lastRead);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#writes.push({
      room,
      key: member.key,
      add: { name: member.name, guest: member.guest, lastRead },
      ...(member.fresh ? { fresh: true } : {}),
    });
  }

  remove(room: string, key: string): Promise<boolean> {
    return this.#writes.push({ room, key });
  }

  /**
   * Applies `ops` in order, rooms at most {@link MAX_ROOMS} to a commit
   * (the ops of one room stay together, in order).
   */
  async #commit(ops: MemberOp[]): Promise<boolean[]> {
    const results: boolean[] = new Array(ops.length);
    for (const part of byRooms(ops, MAX_ROOMS)) {
      const done = await this.#commitRooms(part.map((i) => ops[i]));
      part.forEach((i, n) => results[i] = done[n]);
    }
    return results;
  }

  /**
   * Applies `ops` in one atomic commit checked against each touched room's
   * count key, read before the member keys: every change to a room's
   * members moves that key (a `sum`, of 0 when the net change is none), so
   * a commit elsewhere in between fails the check and the batch is read
   * again. A new member's read mark is set in the same commit.
   */
  async #commitRooms(ops: MemberOp[]): Promise<boolean[]> {
    const pairs = new Map<string, { room: string; key: string }>();
    /** The read mark a new member of each pair starts with (the highest asked). */
    const marks = new Map<string, number>();
    /** Pairs whose every op is for a fresh key: known absent, not read. */
    const unread = new Set<string>();
    for (const { room, key, add, fresh } of ops) {
      const id = JSON.stringify([room, key]);
      if (!pairs.has(id) && fresh) unread.add(id);
      else if (!fresh) unread.delete(id);
      pairs.set(id, { room, key });
      if (add && add.lastRead > 0) {
        marks.set(id, Math.max(marks.get(id) ?? 0, add.lastRead));
      }
    }
    const rooms = [...new Set([...pairs.values()].map((p) => p.room))];
    const read = [...pairs].filter(([id]) => !unread.has(id));
    for (let attempt = 0;; attempt++) {
      // The counts first: a change after this read fails the commit.
      const counts = await getMany<Deno.KvU64>(this.#kv, rooms.map(countKey));
      const entries = await getMany<StoredMember>(
        this.#kv,
        read.map(([, p]) => memberKey(p.room, p.key)),
      );
      const initial = new Map<string, StoredMember | null>();
      for (const id of unread) initial.set(id, null);
      read.forEach(([id], i) => initial.set(id, entries[i].value));
      const state = new Map(initial);
      const joinedAt = this.#now();
      const results = ops.map(({ room, key, add }) => {
        const id = JSON.stringify([room, key]);
        const present = state.get(id) !== null;
        if (add) {
          if (present) return false;
          state.set(id, { name: add.name, guest: add.guest, joinedAt });
          return true;
        }
        if (!present) return false;
        state.set(id, null);
        return true;
      });
      const op = this.#kv.atomic();
      const delta = new Map<string, number>();
      for (const [id, { room, key }] of pairs) {
        const before = initial.get(id)!;
        const after = state.get(id)!;
        if (after === before) continue;
        if (before) op.delete(nameKey(room, before.name, key));
        if (after) {
          op.set(memberKey(room, key), after);
          op.set(roomsKey(key, room), true);
          op.set(nameKey(room, after.name, key), true);
          // Set, not raised: a new member's mark is the room's newest id,
          // which no stored mark exceeds (marks are clamped to it).
          const mark = before ? 0 : marks.get(id) ?? 0;
          if (mark > 0) op.set(readKey(room, key), mark);
        } else {
          op.delete(memberKey(room, key));
          op.delete(roomsKey(key, room));
        }
        const d = (after ? 1 : 0) - (before ? 1 : 0);
        delta.set(room, (delta.get(room) ?? 0) + d);
      }
      if (delta.size === 0) return results;
      rooms.forEach((room, i) => {
        const d = delta.get(room);
        if (d === undefined) return;
        op.check(counts[i]);
        op.sum(countKey(room), d >= 0 ? BigInt(d) : U64 + BigInt(d));
      });
      if (await tryCommit(op, attempt)) return results;
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error("Members: commit kept conflicting");
      }
      await backoff(attempt);
    }
  }

  async get(room: string, key: string): Promise<Member | null> {
    const stored =
      (await this.#kv.get<StoredMember>(memberKey(room, key))).value;
    return stored && { key, ...stored };
  }

  async list(
    room: string,
    options: { after?: string; limit: number },
  ): Promise<MemberPage> {
    const limit = Math.max(1, Math.floor(options.limit));
    const prefix = ["members", room];
    const iter = this.#kv.list<StoredMember>(
      options.after === undefined
        ? { prefix }
        : { prefix, start: memberKey(room, options.after) },
      { limit: limit + 2, batchSize: Math.min(500, limit + 2) },
    );
    const members: Member[] = [];
    for await (const e of iter) {
      const key = String(e.key[2]);
      if (key === options.after) continue;
      members.push({ key, ...e.value });
    }
    if (members.length <= limit) return { members };
    members.length = limit;
    return { members, next: members[limit - 1].key };
  }

  async named(room: string, names: string[]): Promise<Member[]> {
    const keys = new Set<string>();
    await Promise.all([...new Set(names)].map(async (name) => {
      const iter = this.#kv.list({ prefix: ["member_names", room, name] });
      for await (const e of iter) keys.add(String(e.key[3]));
    }));
    const list = [...keys].sort();
    const entries = await getMany<StoredMember>(
      this.#kv,
      list.map((key) => memberKey(room, key)),
    );
    return entries.flatMap((e, i) =>
      e.value ? [{ key: list[i], ...e.value }] : []
    );
  }

  async startingWith(
    room: string,
    prefix: string,
    limit: number,
  ): Promise<Member[]> {
    const n = Math.max(1, Math.floor(limit));
    const keys: string[] = [];
    // The name index's range of folded names starting with `prefix`.
    const iter = this.#kv.list({
      start: ["member_names", room, prefix],
      end: ["member_names", room, prefixEnd(prefix)],
    }, { limit: n, batchSize: Math.min(500, n) });
    for await (const e of iter) keys.push(String(e.key[3]));
    const entries = await getMany<StoredMember>(
      this.#kv,
      keys.map((key) => memberKey(room, key)),
    );
    return entries.flatMap((e, i) =>
      e.value ? [{ key: keys[i], ...e.value }] : []
    );
  }

  async count(room: string): Promise<number> {
    const n = (await this.#kv.get<Deno.KvU64>(countKey(room))).value;
    // A count below zero would wrap; it cannot happen, but never show it.
    return n && n.value < U64 / 2n ? Number(n.value) : 0;
  }

  async roomsOf(key: string): Promise<string[]> {
    const out: string[] = [];
    const iter = this.#kv.list({ prefix: ["member_rooms", key] }, {
      batchSize: 500,
    });
    for await (const e of iter) out.push(String(e.key[2]));
    return out;
  }

  /** Removes every member of `room` and its count. */
  async clear(room: string): Promise<void> {
    // The writes queued so far (those after are for a room made since).
    await this.#writes.settled();
    let op = this.#kv.atomic();
    let n = 0;
    const iter = this.#kv.list<StoredMember>({ prefix: ["members", room] });
    for await (const e of iter) {
      const key = String(e.key[2]);
      op.delete(e.key).delete(roomsKey(key, room))
        .delete(nameKey(room, e.value.name, key));
      if (++n % 300 === 0) {
        await op.commit();
        op = this.#kv.atomic();
      }
    }
    op.delete(countKey(room));
    await op.commit();
  }

  /** Waits for pending writes. */
  idle(): Promise<void> {
    return this.#writes.idle();
  }
}

/** Read state and mentions in Deno KV. */
export class KvReads implements ReadRecords {
  readonly #kv: Deno.Kv;
  readonly #writes: Batcher<ReadOp, number>;

  /** Creates the records over `kv`. */
  constructor(kv: Deno.Kv) {
    this.#kv = kv;
    this.#writes = new Batcher((ops) => this.#commit(ops), {
      maxItems: MAX_PAIRS,
      weight: (op) => op.set ? 1 : op.keys.length,
      maxWeight: MAX_MUTATIONS / 2,
    });
  }

  async get(key: string, rooms: string[]): Promise<Map<string, number>> {
    const entries = await getMany<number>(
      this.#kv,
      rooms.map((room) => readKey(room, key)),
    );
    return new Map(rooms.map((room, i) => [room, entries[i].value ?? 0]));
  }

  set(key: string, room: string, id: number): Promise<number> {
    try {
      assertMessageId(id);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#writes.push({ set: true, key, room, id });
  }

  async mention(room: string, id: number, keys: string[]): Promise<void> {
    assertMessageId(id);
    if (keys.length === 0) return;
    await this.#writes.push({ set: false, room, id, keys: [...new Set(keys)] });
  }

  /**
   * Commits a batch: last-read ids (checked against the values read, only
   * ever raised) and mentions (plain sets), in as few commits as KV allows.
   */
  async #commit(ops: ReadOp[]): Promise<number[]> {
    const pairs = new Map<string, { room: string; key: string; id: number }>();
    const mentions: Deno.KvKey[][] = [];
    for (const op of ops) {
      if (op.set) {
        const id = JSON.stringify([op.room, op.key]);
        const p = pairs.get(id);
        if (!p) pairs.set(id, { room: op.room, key: op.key, id: op.id });
        else p.id = Math.max(p.id, op.id);
      } else {
        for (const key of op.keys) {
          mentions.push(mentionKeys(op.room, key, op.id));
        }
      }
    }
    const list = [...pairs.values()];
    const stored = new Map<string, number>();
    for (let attempt = 0;; attempt++) {
      const entries = await getMany<number>(
        this.#kv,
        list.map((p) => readKey(p.room, p.key)),
      );
      const op = this.#kv.atomic();
      let mutations = 0;
      let bytes = 0;
      list.forEach((p, i) => {
        const before = entries[i].value ?? 0;
        const id = JSON.stringify([p.room, p.key]);
        stored.set(id, Math.max(before, p.id));
        if (p.id <= before) return;
        const k = readKey(p.room, p.key);
        op.check(entries[i]).set(k, p.id);
        mutations++;
        bytes += 2 * keyBytes(k);
      });
      // Mentions ride along while there is room; they need no check.
      let n = 0;
      for (; n < mentions.length; n++) {
        const size = groupBytes(mentions[n]);
        if (
          mutations + mentions[n].length > MAX_MUTATIONS ||
          bytes + size > MAX_KEY_BYTES
        ) break;
        for (const k of mentions[n]) op.set(k, true);
        mutations += mentions[n].length;
        bytes += size;
      }
      if (await tryCommit(op, attempt)) {
        await this.#setAll(mentions.slice(n));
        break;
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error("Reads: commit kept conflicting");
      }
      await backoff(attempt);
    }
    return ops.map((op) =>
      op.set ? stored.get(JSON.stringify([op.room, op.key]))! : 0
    );
  }

  /**
   * Sets each group of keys to true, a group always in one commit, in as
   * few commits as KV's limits allow (mutations and total key size: some
   * hundreds of guests' keys fill a commit).
   */
  #setAll(groups: Deno.KvKey[][]): Promise<void> {
    return this.#inCommits(groups, (op, k) => op.set(k, true));
  }

  /** Deletes each group of keys, a group always in one commit. */
  #deleteAll(groups: Deno.KvKey[][]): Promise<void> {
    return this.#inCommits(groups, (op, k) => op.delete(k));
  }

  async #inCommits(
    groups: Deno.KvKey[][],
    write: (op: Deno.AtomicOperation, key: Deno.KvKey) => void,
  ): Promise<void> {
    let op = this.#kv.atomic();
    let mutations = 0;
    let bytes = 0;
    for (const group of groups) {
      const size = groupBytes(group);
      if (
        mutations > 0 &&
        (mutations + group.length > MAX_MUTATIONS ||
          bytes + size > MAX_KEY_BYTES)
      ) {
        await op.commit();
        op = this.#kv.atomic();
        mutations = bytes = 0;
      }
      for (const k of group) write(op, k);
      mutations += group.length;
      bytes += size;
    }
    if (mutations > 0) await op.commit();
  }

  /**
   * Indexes by message the mentions stored before `mention_ids` existed;
   * once per database (a marker records it), at start.
   */
  async indexMentions(): Promise<void> {
    if ((await this.#kv.get(MENTIONS_INDEXED)).value) return;
    const batch: Deno.KvKey[][] = [];
    for await (const e of this.#kv.list({ prefix: ["mentions"] })) {
      const [, room, key, id] = e.key as [string, string, string, number];
      batch.push([mentionIdKey(room, id, key)]);
      if (batch.length >= 500) await this.#setAll(batch.splice(0));
    }
    await this.#setAll(batch);
    await this.#kv.set(MENTIONS_INDEXED, true);
  }

  async mentionsAfter(
    key: string,
    room: string,
    after: number,
  ): Promise<number> {
    let n = 0;
    const iter = this.#kv.list({
      start: mentionKey(room, key, Math.max(0, after) + 1),
      end: mentionKey(room, key, Number.MAX_SAFE_INTEGER),
    }, { batchSize: 500 });
    for await (const _ of iter) n++;
    return n;
  }

  async mentionedAfter(
    key: string,
    room: string,
    after: number,
  ): Promise<number[]> {
    const ids: number[] = [];
    const iter = this.#kv.list({
      start: mentionKey(room, key, Math.max(0, after) + 1),
      end: mentionKey(room, key, Number.MAX_SAFE_INTEGER),
    }, { batchSize: 500 });
    for await (const e of iter) ids.push(Number(e.key[3]));
    return ids;
  }

  async unmention(room: string, id: number): Promise<string[]> {
    // A mention still waiting to be written would come back after this
    // (those queued later are for other messages: not waited for).
    await this.#writes.settled();
    const keys: string[] = [];
    for await (
      const e of this.#kv.list({ prefix: ["mention_ids", room, id] })
    ) {
      keys.push(e.key[3] as string);
    }
    await this.#deleteAll(keys.map((key) => mentionKeys(room, key, id)));
    return keys;
  }

  /**
   * Drops the mentions of `room`'s messages with ids below `end` (those
   * retention removed), found by message: only those are read.
   */
  async prune(room: string, end: number): Promise<void> {
    const batch: Deno.KvKey[][] = [];
    for await (
      const e of this.#kv.list({
        start: ["mention_ids", room],
        end: ["mention_ids", room, end],
      })
    ) {
      const [, , id, key] = e.key as [string, string, number, string];
      batch.push(mentionKeys(room, key, id));
      if (batch.length >= 500) await this.#deleteAll(batch.splice(0));
    }
    await this.#deleteAll(batch);
  }

  /** Removes the read state and mentions of `room`. */
  async clear(room: string): Promise<void> {
    // The writes queued so far (those after are for a room made since).
    await this.#writes.settled();
    await deletePrefix(this.#kv, ["reads", room]);
    await deletePrefix(this.#kv, ["mentions", room]);
    await deletePrefix(this.#kv, ["mention_ids", room]);
  }

  /** Waits for pending writes. */
  idle(): Promise<void> {
    return this.#writes.idle();
  }
}

/**
 * The indices of `ops` cut into runs touching at most `max` rooms each, in
 * order; the ops of one room all go to the run its first op went to.
 */
function byRooms(ops: MemberOp[], max: number): number[][] {
  const runs: number[][] = [];
  const runOf = new Map<string, number[]>();
  let run: number[] = [];
  let rooms = 0;
  ops.forEach((op, i) => {
    let to = runOf.get(op.room);
    if (!to) {
      if (rooms === max) {
        runs.push(run);
        run = [];
        rooms = 0;
      }
      rooms++;
      runOf.set(op.room, to = run);
    }
    to.push(i);
  });
  if (run.length > 0) runs.push(run);
  return runs;
}
