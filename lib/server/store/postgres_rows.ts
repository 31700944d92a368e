/**
 * Rows of PostgreSQL's `messages` table as messages: the one mapping used
 * by history, threads and search.
 *
 * @module
 */
import type {
  ChatMessage,
  FileRef,
  MembershipEvent,
  ThreadSummary,
} from "@/lib/shared/protocol.ts";

/** A row of `messages` as the queries select it (optional columns may be left out). */
export interface MessageRow {
  room: string;
  id: number;
  user_name: string;
  text: string;
  ts: number;
  client_id: string | null;
  guest: boolean;
  edited: boolean;
  deleted: boolean;
  /** A membership event (migration 6); absent in rows read before it. */
  event?: MembershipEvent | null;
  /** An upload's file (migration 9); absent in rows read before it. */
  file?: FileRef | null;
  /** A reply's thread (migration 10). */
  parent?: number | null;
  /** A reply shown in the room too (migration 10). */
  also_in_room?: boolean;
  /** A thread's summary on its first message (migration 10). */
  thread?: ThreadSummary | null;
}

/** The message a row holds. */
export const toMessage = (r: MessageRow): ChatMessage => {
  const m: ChatMessage = {
    id: r.id,
    room: r.room,
    user: r.user_name,
    text: r.text,
    ts: r.ts,
  };
  if (r.client_id !== null) m.clientId = r.client_id;
  if (r.guest) m.guest = true;
  if (r.edited) m.edited = true;
  if (r.deleted) m.deleted = true;
  if (r.event) m.event = r.event;
  if (r.file) m.file = r.file;
  if (r.parent !== null && r.parent !== undefined) m.parent = r.parent;
  if (r.also_in_room) m.alsoInRoom = true;
  if (r.thread) m.thread = r.thread;
  return m;
};
