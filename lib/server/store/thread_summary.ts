/**
 * A thread's summary, kept on its first message by both stores: how it
 * moves when a reply is stored (KV; PostgreSQL does the same in
 * `chat_append`) and when one is deleted (both).
 *
 * @module
 */
import type { ChatMessage, ThreadSummary } from "@/lib/shared/protocol.ts";

/** Most repliers a summary names. */
export const SUMMARY_USERS = 5;

/** Live replies read back to name the repliers after a deletion. */
export const RECOUNT_WINDOW = 50;

/**
 * The summary of a thread after one more reply `reply` (by `reply.user`):
 * one more, the newest, its writer first among the repliers.
 *
 * @example
 * ```ts
 * nextSummary(undefined, { id: 7, ts: 1, user: "ana" });
 * // { replies: 1, lastId: 7, lastTs: 1, users: ["ana"] }
 * ```
 */
export function nextSummary(
  before: ThreadSummary | undefined,
  reply: Pick<ChatMessage, "id" | "ts" | "user">,
): ThreadSummary {
  const others = (before?.users ?? []).filter((u) => u !== reply.user);
  return {
    replies: (before?.replies ?? 0) + 1,
    lastId: Math.max(reply.id, before?.lastId ?? 0),
    lastTs: reply.ts,
    users: [reply.user, ...others].slice(0, SUMMARY_USERS),
  };
}

/**
 * The summary once one counted reply was deleted: one fewer, the time and
 * repliers taken from `live`, the newest replies still there (newest first,
 * up to {@link RECOUNT_WINDOW}). `lastId` stays the newest id ever given to
 * a reply, since clients count only replies newer than it.
 *
 * @example
 * ```ts
 * summaryWithout(
 *   { replies: 2, lastId: 9, lastTs: 5, users: ["bo", "ana"] },
 *   [{ ts: 3, user: "ana" }],
 * );
 * // { replies: 1, lastId: 9, lastTs: 3, users: ["ana"] }
 * ```
 */
export function summaryWithout(
  before: ThreadSummary,
  live: readonly Pick<ChatMessage, "ts" | "user">[],
): ThreadSummary {
  const users = [...new Set(live.map((m) => m.user))].slice(0, SUMMARY_USERS);
  return {
    replies: Math.max(0, before.replies - 1),
    lastId: before.lastId,
    lastTs: live[0]?.ts ?? before.lastTs,
    users: live.length > 0 ? users : [],
  };
}
