/**
 * Message search in Deno KV: an inverted index of one key per (room, term,
 * message), `["search", room, term, ts, id]`, so a term's postings in a room
 * list newest first.
 *
 * A send's commit also writes `["search_pending", room, id]` (one small
 * key); the postings follow right after the commit, batched, and remove the
 * marker. A crash in between leaves the marker, and the next start indexes
 * the message then. Keeping the postings out of the send's commit keeps
 * acks fast and long messages (thousands of terms) within KV's limits on
 * one commit. Edits and deletions update the postings before they resolve;
 * retention and room removal drop them.
 *
 * A query probes each term's postings in each room, drives from the rarest
 * term, and checks each candidate against the message as stored (see
 * `search_match.ts`), so an index entry left behind by a race can cost a
 * little time but never a wrong result.
 *
 * @module
 */
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import { roomKey } from "@/lib/shared/names.ts";
import { logger } from "@/lib/server/log.ts";
import { Batcher } from "./batcher.ts";
import { deletePrefix, getMany } from "./kv_members.ts";
import { indexTerms } from "./search_tokens.ts";
import {
  compareNewestFirst,
  cursorOf,
  match,
  type ParsedQuery,
  parseQuery,
  searchable,
} from "./search_match.ts";
import type {
  SearchCursor,
  SearchHit,
  SearchIndex,
  SearchPage,
  SearchQuery,
} from "./store.ts";

const log = logger("store");

const postingKey = (room: string, term: string, ts: number, id: number) => [
  "search",
  room,
  term,
  ts,
  id,
];
const pendingKey = (room: string, id: number) => ["search_pending", room, id];
/** Where `kv.ts` keeps a message. */
const msgKey = (room: string, id: number) => ["msg", room, id];
/** Set once every message stored before search existed has been indexed. */
const INDEXED = ["meta", "search_indexed"];

/** Mutations per commit, inside KV's limit of 1,000. */
const MAX_MUTATIONS = 900;
/** Messages per indexing batch. */
const MAX_MESSAGES = 200;
/** Postings read per term before choosing the term that drives a query. */
const PROBE = 64;
/** Postings read per round trip past the probe (KV's most). */
const LIST_BATCH = 1000;
/** Candidates checked against stored messages per round trip. */
const CANDIDATES = 20;

type Mutation = { set: Deno.KvKey } | { delete: Deno.KvKey };

/** The search index in Deno KV; `KvStore` keeps it in step with messages. */
export class KvSearch implements SearchIndex {
  readonly #kv: Deno.Kv;
  readonly #writes: Batcher<ChatMessage, true>;
  /** Indexing not yet committed, by message, so an edit waits for it. */
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #background = new Set<Promise<void>>();

  /** Creates the index over `kv`. */
  constructor(kv: Deno.Kv) {
    this.#kv = kv;
    this.#writes = new Batcher(async (messages) => {
      await this.#write(messages.flatMap((m) => postings(m, "set")), messages);
      return messages.map(() => true as const);
    }, { maxItems: MAX_MESSAGES });
  }

  /** Adds to a commit storing `message` the marker that it awaits indexing. */
  stage(op: Deno.AtomicOperation, message: ChatMessage): void {
    if (searchable(message)) op.set(pendingKey(message.room, message.id), true);
  }

  /** Indexes committed messages in the background (their markers are set). */
  added(messages: ChatMessage[]): void {
    for (const m of messages) {
      if (!searchable(m)) continue;
      const key = roomKey(m.room, m.id);
      const done: Promise<void> = this.#writes.push(m).then(
        () => {},
        (error) =>
          log.warn("indexing {room}/{id} failed (redone at start): {error}", {
            room: m.room,
            id: m.id,
            error: String(error),
          }),
      ).finally(() => {
        if (this.#inFlight.get(key) === done) this.#inFlight.delete(key);
      });
      this.#inFlight.set(key, done);
    }
  }

  /** Moves a message's postings from its old text to its new one. */
  async changed(before: ChatMessage, after: ChatMessage): Promise<void> {
    await this.#inFlight.get(roomKey(before.room, before.id));
    const keep = new Set(searchable(after) ? indexTerms(after.text) : []);
    const gone = (searchable(before) ? indexTerms(before.text) : [])
      .filter((t) => !keep.has(t));
    await this.#write([
      ...gone.map((t) => ({
        delete: postingKey(before.room, t, before.ts, before.id),
      })),
      ...[...keep].map((t) => ({
        set: postingKey(after.room, t, after.ts, after.id),
      })),
    ], [after]);
  }

  /** Drops the postings of messages that retention removed. */
  async removed(messages: ChatMessage[]): Promise<void> {
    // Postings still being written would otherwise outlive the removal.
    await Promise.all(
      messages.map((m) => this.#inFlight.get(roomKey(m.room, m.id))),
    );
    await this.#write(messages.flatMap((m) => postings(m, "delete")), messages);
  }

  /** Drops a removed room's postings and markers. */
  async clear(room: string): Promise<void> {
    await deletePrefix(this.#kv, ["search", room]);
    await deletePrefix(this.#kv, ["search_pending", room]);
  }

  /**
   * At start: indexes the messages whose markers a crash left, and, once
   * per KV file, in the background, every message stored before search
   * existed.
   */
  async recover(): Promise<void> {
    const keys: { room: string; id: number }[] = [];
    for await (const e of this.#kv.list({ prefix: ["search_pending"] })) {
      keys.push({ room: String(e.key[1]), id: Number(e.key[2]) });
    }
    for (let i = 0; i < keys.length; i += MAX_MESSAGES) {
      const chunk = keys.slice(i, i + MAX_MESSAGES);
      const found = await getMany<ChatMessage>(
        this.#kv,
        chunk.map((k) => msgKey(k.room, k.id)),
      );
      const messages = found.flatMap((e) => e.value ? [e.value] : []);
      await this.#write(
        [
          ...messages.flatMap((m) => postings(m, "set")),
          // A marker without its message (retention came first) just goes.
          ...chunk.map((k) => ({ delete: pendingKey(k.room, k.id) })),
        ],
        [],
      );
    }
    if ((await this.#kv.get(INDEXED)).value) return;
    let stored = false;
    for await (const _ of this.#kv.list({ prefix: ["msg"] }, { limit: 1 })) {
      stored = true;
    }
    // A new file has nothing to index: marked now, no write after start.
    if (stored) this.#track(this.#backfill());
    else await this.#kv.set(INDEXED, true);
  }

  async #backfill(): Promise<void> {
    let batch: ChatMessage[] = [];
    const flush = async () => {
      await this.#write(batch.flatMap((m) => postings(m, "set")), []);
      batch = [];
    };
    for await (
      const e of this.#kv.list<ChatMessage>({ prefix: ["msg"] }, {
        batchSize: 500,
      })
    ) {
      batch.push(e.value);
      if (batch.length >= MAX_MESSAGES) await flush();
    }
    await flush();
    await this.#kv.set(INDEXED, true);
  }

  #track(p: Promise<void>): void {
    const tracked = p.catch((error) =>
      log.warn("indexing stored messages failed (redone at start): {error}", {
        error: String(error),
      })
    ).finally(() => this.#background.delete(tracked));
    this.#background.add(tracked);
  }

  /** Waits until queued indexing is committed. */
  async idle(): Promise<void> {
    await this.#writes.idle();
    await Promise.all([...this.#inFlight.values(), ...this.#background]);
  }

  /**
   * Commits `mutations` in chunks, then removes the markers of `done` (so a
   * marker goes only once its message's postings are all stored).
   */
  async #write(mutations: Mutation[], done: ChatMessage[]): Promise<void> {
    const all = [
      ...mutations,
      ...done.map((m) => ({ delete: pendingKey(m.room, m.id) })),
    ];
    for (let i = 0; i < all.length; i += MAX_MUTATIONS) {
      const op = this.#kv.atomic();
      for (const m of all.slice(i, i + MAX_MUTATIONS)) {
        if ("set" in m) op.set(m.set, true);
        else op.delete(m.delete);
      }
      await commit(op);
    }
  }

  /** A page of the messages of `q.rooms` matching `q.query`, newest first. */
  async query(q: SearchQuery): Promise<SearchPage> {
    const parsed = parseQuery(q.query);
    const limit = Math.max(1, Math.floor(q.limit));
    if (parsed.lookup.length === 0 || q.rooms.length === 0) return { hits: [] };
    const rooms = [...new Set(q.rooms)];
    // Spread the first round over the rooms: few are needed from each.
    const first = Math.min(
      CANDIDATES,
      Math.ceil((limit + 1) / rooms.length) + 2,
    );
    const streams = rooms.map((room) =>
      new RoomHits(this.#kv, room, parsed, first, q.before)
    );
    const heads = await Promise.all(streams.map((s) => s.peek()));
    const hits: SearchHit[] = [];
    while (hits.length <= limit) {
      let best = -1;
      heads.forEach((h, i) => {
        if (
          h && (best < 0 ||
            compareNewestFirst(
                cursorOf(h.message),
                cursorOf(heads[best]!.message),
              ) < 0)
        ) best = i;
      });
      if (best < 0) break;
      hits.push(heads[best]!);
      streams[best].shift();
      heads[best] = await streams[best].peek();
    }
    if (hits.length <= limit) return { hits };
    hits.length = limit;
    return { hits, next: cursorOf(hits[limit - 1].message) };
  }
}

/** The posting mutations of a message's current text. */
function postings(m: ChatMessage, kind: "set" | "delete"): Mutation[] {
  if (!searchable(m)) return [];
  return indexTerms(m.text).map((t) => {
    const key = postingKey(m.room, t, m.ts, m.id);
    return kind === "set" ? { set: key } : { delete: key };
  });
}

/** Commits, retrying while another process holds the KV file's lock. */
async function commit(op: Deno.AtomicOperation): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      await op.commit();
      return;
    } catch (error) {
      if (!String(error).includes("database is locked") || attempt > 50) {
        throw error;
      }
      await new Promise((r) => setTimeout(r, Math.random() * 2 * attempt));
    }
  }
}

/** A place in a room's postings: a posting key's last two parts. */
interface Posting {
  ts: number;
  id: number;
}

/** Whether `a` comes after `b` in a newest-first list. */
const below = (a: Posting, b: Posting) =>
  a.ts < b.ts || (a.ts === b.ts && a.id < b.id);

/**
 * One term's postings in a room, read newest first and lazily: as far as a
 * question needs, in large batches of keys only.
 */
class TermList {
  readonly term: string;
  /** Ids seen (an id is one message of the room). */
  readonly #seen = new Set<number>();
  /** The oldest posting read so far. */
  #floor?: Posting;
  #rest?: AsyncIterator<Deno.KvEntry<unknown>>;
  #done: boolean;
  /** The postings of the probe, newest first. */
  readonly probe: Posting[];

  constructor(
    term: string,
    probe: Posting[],
    complete: boolean,
    rest: () => AsyncIterator<Deno.KvEntry<unknown>>,
  ) {
    this.term = term;
    this.probe = probe;
    for (const p of probe) this.#seen.add(p.id);
    this.#floor = probe[probe.length - 1];
    this.#done = complete;
    if (!complete) this.#rest = rest();
  }

  /** Whether the probe saw the whole list. */
  get complete(): boolean {
    return this.#done && this.#rest === undefined;
  }

  /** How far back in time the probe reached: longer means sparser. */
  get reach(): number {
    const first = this.probe[0];
    const last = this.probe[this.probe.length - 1];
    return first && last ? first.ts - last.ts + 1 : 0;
  }

  /**
   * Those of `ps` (newest first) that the term has too. Postings past what
   * was read are looked up one by one (`lookup`) when `point` is set (this
   * list is much denser than the driver's), else read on as far as needed.
   */
  async filter(
    ps: Posting[],
    point: boolean,
    lookup: (term: string, ps: Posting[]) => Promise<boolean[]>,
  ): Promise<Posting[]> {
    const oldest = ps[ps.length - 1];
    if (!oldest) return ps;
    const past = (p: Posting) =>
      !this.#done && (!this.#floor || below(p, this.#floor));
    if (point) {
      const unknown = ps.filter(past);
      const found = await lookup(this.term, unknown);
      const yes = new Set(unknown.filter((_, i) => found[i]).map((p) => p.id));
      return ps.filter((p) => past(p) ? yes.has(p.id) : this.#seen.has(p.id));
    }
    while (past(oldest)) {
      const r = await this.#rest!.next();
      if (r.done) {
        this.#done = true;
        break;
      }
      const q = postingOf(r.value.key);
      this.#seen.add(q.id);
      this.#floor = q;
    }
    return ps.filter((p) => this.#seen.has(p.id));
  }

  /** The postings after the probe, for the term that drives the query. */
  async *more(): AsyncGenerator<Posting> {
    if (!this.#rest) return;
    for (;;) {
      const r = await this.#rest.next();
      if (r.done) return;
      yield postingOf(r.value.key);
    }
  }
}

/**
 * The hits of one room, newest first, found lazily. The driving term is
 * the one whose postings reach furthest back within the probe (the
 * sparsest); each of its postings is checked against the other terms'
 * lists (keys only, read as far as needed), and the survivors against the
 * stored messages.
 */
class RoomHits {
  readonly #kv: Deno.Kv;
  readonly #room: string;
  readonly #query: ParsedQuery;
  readonly #before?: SearchCursor;
  readonly #hits: SearchHit[] = [];
  #done = false;
  /** Candidates checked against messages in the next round. */
  #batch: number;
  #driver?: AsyncIterator<Posting>;
  #others: TermList[] = [];
  /** Per other term: look postings up one by one instead of reading on. */
  #point: boolean[] = [];
  /** Whether `term` has each of `ps`, by their keys. */
  readonly #lookup = async (term: string, ps: Posting[]) =>
    (await getMany(
      this.#kv,
      ps.map((p) => postingKey(this.#room, term, p.ts, p.id)),
    )).map((e) => e.versionstamp !== null);

  constructor(
    kv: Deno.Kv,
    room: string,
    query: ParsedQuery,
    firstBatch: number,
    before?: SearchCursor,
  ) {
    this.#kv = kv;
    this.#room = room;
    this.#query = query;
    this.#batch = firstBatch;
    this.#before = before;
  }

  /** The next hit, without taking it. */
  async peek(): Promise<SearchHit | undefined> {
    while (this.#hits.length === 0 && !this.#done) await this.#fill();
    return this.#hits[0];
  }

  /** Takes the hit `peek` gave. */
  shift(): void {
    this.#hits.shift();
  }

  /** The postings of `term` before the cursor, newest first. */
  #selector(term: string, end?: Deno.KvKey): Deno.KvListSelector {
    const prefix = ["search", this.#room, term];
    if (end) return { prefix, end };
    const c = this.#before;
    if (!c) return { prefix };
    // Keys order by (ts, id) within a room; across rooms the cursor's
    // room breaks a tie of times (see compareNewestFirst).
    if (this.#room < c.room) return { prefix, end: [...prefix, c.ts, true] };
    if (this.#room === c.room) return { prefix, end: [...prefix, c.ts, c.id] };
    return { prefix, end: [...prefix, c.ts] };
  }

  async #probe(): Promise<void> {
    // One term has nothing to choose between: its first round is enough.
    const limit = this.#query.lookup.length === 1 ? this.#batch : PROBE;
    const lists = await Promise.all(this.#query.lookup.map(async (term) => {
      const probe: Posting[] = [];
      const iter = this.#kv.list(this.#selector(term), {
        reverse: true,
        limit,
      });
      for await (const e of iter) probe.push(postingOf(e.key));
      const complete = probe.length < limit;
      return new TermList(term, probe, complete, () => {
        const last = probe[probe.length - 1];
        return this.#kv.list(
          this.#selector(term, ["search", this.#room, term, last.ts, last.id]),
          { reverse: true, batchSize: LIST_BATCH },
        )[Symbol.asyncIterator]();
      });
    }));
    // A complete list is known exactly; otherwise the list whose probe
    // reaches furthest back is the sparsest.
    const score = (l: TermList) =>
      l.complete ? [0, l.probe.length] : [1, -l.reach];
    lists.sort((a, b) => {
      const [x, y] = [score(a), score(b)];
      return x[0] - y[0] || x[1] - y[1];
    });
    const [driver, ...others] = lists;
    this.#others = others;
    // A list much denser than the driver's (or any, when the driver is
    // known whole) is asked posting by posting rather than read through.
    this.#point = others.map((o) =>
      !o.complete && (driver.complete || o.reach * 2 < driver.reach)
    );
    const probe = driver.probe;
    this.#driver = (async function* () {
      yield* probe;
      yield* driver.more();
    })();
    if (driver.complete && driver.probe.length === 0) this.#done = true;
  }

  async #fill(): Promise<void> {
    if (!this.#driver) await this.#probe();
    if (this.#done) return;
    const batch: Posting[] = [];
    while (batch.length < this.#batch && !this.#done) {
      const chunk: Posting[] = [];
      while (chunk.length < this.#batch) {
        const r = await this.#driver!.next();
        if (r.done) {
          this.#done = true;
          break;
        }
        chunk.push(r.value);
      }
      let alive = chunk;
      for (const [i, other] of this.#others.entries()) {
        if (alive.length === 0) break;
        alive = await other.filter(alive, this.#point[i], this.#lookup);
      }
      batch.push(...alive);
    }
    this.#batch = Math.min(CANDIDATES, this.#batch * 2);
    const found = await getMany<ChatMessage>(
      this.#kv,
      batch.map((p) => msgKey(this.#room, p.id)),
    );
    found.forEach((e, i) => {
      const m = e.value;
      // A posting outliving its text (an edit racing indexing) is skipped.
      if (!m || m.ts !== batch[i].ts || !searchable(m)) return;
      const highlights = match(this.#query, m.text);
      if (highlights) this.#hits.push({ message: m, highlights });
    });
  }
}

function postingOf(key: Deno.KvKey): Posting {
  return { ts: Number(key[3]), id: Number(key[4]) };
}
