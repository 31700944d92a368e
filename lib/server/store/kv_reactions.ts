/**
 * Reactions in Deno KV. Per message: `["reaction_n", room, id]` holds the
 * people per emoji (in first-use order) and is rewritten by every commit
 * that changes the message's reactions, so checking its versionstamp makes
 * a batch atomic against other instances; `["reaction", room, id, emoji,
 * key]` is one person's reaction (its time and name) and
 * `["reaction_t", room, id, emoji, ts, key]` the same in time order, so the
 * first names are one short list. Changes are batched ({@link Batcher}):
 * a storm on one message costs a commit per batch, not per reaction.
 *
 * @module
 */
import type { Reaction } from "@/lib/shared/protocol.ts";
import { REACTION_NAMES } from "@/lib/shared/reactions.ts";
import type {
  ReactionChange,
  ReactionOutcome,
  ReactionRecords,
} from "./store.ts";
import { Batcher } from "./batcher.ts";
import { tryCommit } from "./kv_commit.ts";
import { deletePrefix, getMany } from "./kv_members.ts";
import { applyReactionChanges, byMessage, pairKey } from "./reaction_ops.ts";

/** Changes per commit: two mutations each, well inside KV's limits. */
const MAX_BATCH = 200;

/** People per emoji, in first-use order. */
type Counts = Record<string, number>;

/** One stored reaction. */
interface Entry {
  ts: number;
  name: string;
}

const countsKey = (room: string, id: number) => ["reaction_n", room, id];
const entryKey = (room: string, id: number, emoji: string, key: string) => [
  "reaction",
  room,
  id,
  emoji,
  key,
];
const timeKey = (
  room: string,
  id: number,
  emoji: string,
  ts: number,
  key: string,
) => ["reaction_t", room, id, emoji, ts, key];

/** Reactions under `["reaction", …]`, `["reaction_t", …]`, `["reaction_n", …]`. */
export class KvReactions implements ReactionRecords {
  readonly #writes: Batcher<ReactionChange, ReactionOutcome>;

  /** Creates the records over `kv`. */
  constructor(readonly kv: Deno.Kv, readonly now: () => number = Date.now) {
    this.#writes = new Batcher((changes) => this.#commit(changes), {
      maxItems: MAX_BATCH,
    });
  }

  change(change: ReactionChange): Promise<ReactionOutcome> {
    return this.#writes.push(change);
  }

  async summaries(
    room: string,
    ids: number[],
    key?: string,
  ): Promise<Map<number, Reaction[]>> {
    const unique = [...new Set(ids)];
    const counts = await getMany<Counts>(
      this.kv,
      unique.map((id) => countsKey(room, id)),
    );
    const out = new Map<number, Reaction[]>();
    await Promise.all(unique.map(async (id, i) => {
      const c = counts[i].value;
      if (!c || Object.keys(c).length === 0) return;
      const emojis = Object.keys(c);
      const names = await Promise.all(emojis.map(async (emoji) => {
        const users: string[] = [];
        const iter = this.kv.list<string>(
          { prefix: ["reaction_t", room, id, emoji] },
          { limit: REACTION_NAMES },
        );
        for await (const e of iter) users.push(e.value);
        return users;
      }));
      const mine = key === undefined ? undefined : await getMany<Entry>(
        this.kv,
        emojis.map((emoji) => entryKey(room, id, emoji, key)),
      );
      out.set(
        id,
        emojis.map((emoji, j) => ({
          emoji,
          count: c[emoji],
          users: names[j],
          ...(mine ? { mine: mine[j].value !== null } : {}),
        })),
      );
    }));
    return out;
  }

  /** Removes a room's reactions. */
  async clear(room: string): Promise<void> {
    for (const p of ["reaction", "reaction_t", "reaction_n"]) {
      await deletePrefix(this.kv, [p, room]);
    }
  }

  /** Removes the reactions of messages of `room` before `end` (retention). */
  async prune(room: string, end: number): Promise<void> {
    for (const p of ["reaction", "reaction_t", "reaction_n"]) {
      let op = this.kv.atomic();
      let n = 0;
      for await (
        const e of this.kv.list({ start: [p, room, 0], end: [p, room, end] })
      ) {
        op.delete(e.key);
        if (++n % 500 === 0) {
          await op.commit();
          op = this.kv.atomic();
        }
      }
      if (n % 500 !== 0) await op.commit();
    }
  }

  /** Waits for pending writes. */
  idle(): Promise<void> {
    return this.#writes.idle();
  }

  async #commit(changes: ReactionChange[]): Promise<ReactionOutcome[]> {
    const outcomes: ReactionOutcome[] = new Array(changes.length);
    await Promise.all(
      [...byMessage(changes).values()].map(async (g) => {
        const mine = g.at.map((i) => changes[i]);
        const result = await this.#commitMessage(g.room, g.id, mine);
        g.at.forEach((i, j) => outcomes[i] = result[j]);
      }),
    );
    return outcomes;
  }

  /** Commits one message's changes, retrying while another writer wins. */
  async #commitMessage(
    room: string,
    id: number,
    changes: ReactionChange[],
  ): Promise<ReactionOutcome[]> {
    const pairs = [...new Set(changes.map((c) => pairKey(c.emoji, c.key)))];
    const split = (p: string) => p.split("\u0000") as [string, string];
    for (let attempt = 1;; attempt++) {
      const [message, counts] = await this.kv.getMany<[
        { deleted?: boolean; event?: unknown },
        Counts,
      ]>([["msg", room, id], countsKey(room, id)]);
      // A membership event is no message to react to.
      if (
        !message.value || message.value.deleted ||
        message.value.event !== undefined
      ) {
        return changes.map(() => "not_found");
      }
      // Read after the counts: a commit between the two moves their versionstamp.
      const entries = await getMany<Entry>(
        this.kv,
        pairs.map((p) => entryKey(room, id, ...split(p))),
      );
      const stored = new Map<string, Entry>();
      pairs.forEach((p, i) => {
        const v = entries[i].value;
        if (v) stored.set(p, v);
      });
      const effect = applyReactionChanges({
        counts: new Map(Object.entries(counts.value ?? {})),
        present: new Set(stored.keys()),
      }, changes);
      if (effect.inserts.length === 0 && effect.deletes.length === 0) {
        return effect.outcomes;
      }
      const ts = this.now();
      const op = this.kv.atomic().check(counts);
      for (const c of effect.inserts) {
        op.set(entryKey(room, id, c.emoji, c.key), { ts, name: c.name });
        op.set(timeKey(room, id, c.emoji, ts, c.key), c.name);
      }
      for (const c of effect.deletes) {
        const was = stored.get(pairKey(c.emoji, c.key))!;
        op.delete(entryKey(room, id, c.emoji, c.key));
        op.delete(timeKey(room, id, c.emoji, was.ts, c.key));
      }
      if (effect.counts.size === 0) op.delete(countsKey(room, id));
      else op.set(countsKey(room, id), Object.fromEntries(effect.counts));
      if (await tryCommit(op, attempt)) return effect.outcomes;
    }
  }
}
