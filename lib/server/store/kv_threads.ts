/**
 * Threads in Deno KV. A reply is a message like any other (`["msg", room,
 * id]`, with `parent`); alongside it:
 *
 * - `["thread", room, parent, id]` → `true`: the replies of a thread, in id
 *   order, written in the commit that stores the reply (see `kv.ts`)
 * - `["thread_people", room, parent, key]` → `true`: who takes part
 *
 * The first message's `thread` summary is rewritten in that same commit.
 *
 * @module
 */
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import type { HistoryPage, ThreadRecords } from "./store.ts";
import { deletePrefix, getMany } from "./kv_members.ts";

/** The index key of reply `id` of the thread of `parent`. */
export const threadKey = (room: string, parent: number, id: number) => [
  "thread",
  room,
  parent,
  id,
];
const peopleKey = (room: string, parent: number, key: string) => [
  "thread_people",
  room,
  parent,
  key,
];

/** Thread replies and participants in Deno KV. */
export class KvThreads implements ThreadRecords {
  readonly #kv: Deno.Kv;

  /** Reads and writes threads in `kv`. */
  constructor(kv: Deno.Kv) {
    this.#kv = kv;
  }

  /** Up to `limit` replies to `parent` before `before`, oldest first. */
  async replies(
    room: string,
    parent: number,
    options: { before?: number; limit: number },
  ): Promise<HistoryPage> {
    const limit = Math.max(1, Math.floor(options.limit));
    const prefix = ["thread", room, parent];
    const iter = this.#kv.list(
      options.before === undefined
        ? { prefix }
        : { prefix, end: threadKey(room, parent, options.before) },
      { reverse: true, limit: limit + 1 },
    );
    const ids: number[] = [];
    for await (const e of iter) ids.push(Number(e.key[3]));
    const hasMore = ids.length > limit;
    if (hasMore) ids.pop();
    ids.reverse();
    const entries = await getMany<ChatMessage>(
      this.#kv,
      ids.map((id) => ["msg", room, id]),
    );
    return {
      messages: entries.flatMap((e) => e.value ? [e.value] : []),
      hasMore,
    };
  }

  /**
   * Up to `limit` replies to `parent` that are not deleted (nor `except`),
   * newest first: pages back until there are enough or none are left.
   */
  async live(
    room: string,
    parent: number,
    except: number,
    limit: number,
  ): Promise<ChatMessage[]> {
    const out: ChatMessage[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await this.replies(room, parent, { before, limit });
      for (const m of page.messages.toReversed()) {
        if (!m.deleted && m.id !== except) out.push(m);
      }
      if (out.length >= limit || !page.hasMore || !page.messages.length) {
        return out.slice(0, limit);
      }
      before = page.messages[0].id;
    }
  }

  /** Records `keys` as taking part in the thread of `parent`. */
  async join(room: string, parent: number, keys: string[]): Promise<void> {
    const unique = [...new Set(keys)];
    for (let i = 0; i < unique.length; i += 500) {
      const op = this.#kv.atomic();
      for (const key of unique.slice(i, i + 500)) {
        op.set(peopleKey(room, parent, key), true);
      }
      await op.commit();
    }
  }

  /** Who takes part in the thread of `parent`, ordered by key. */
  async participants(room: string, parent: number): Promise<string[]> {
    const out: string[] = [];
    const iter = this.#kv.list({ prefix: ["thread_people", room, parent] }, {
      batchSize: 500,
    });
    for await (const e of iter) out.push(String(e.key[3]));
    return out;
  }

  /** Removes every thread record of a deleted room. */
  async clear(room: string): Promise<void> {
    await deletePrefix(this.#kv, ["thread", room]);
    await deletePrefix(this.#kv, ["thread_people", room]);
  }
}
