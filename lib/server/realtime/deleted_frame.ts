/**
 * The `deleted` frame of a stored message, as replays and catch-ups send
 * it: for a reply, with its thread's first message's id and its summary as
 * stored, so a page that missed the deletion counts the thread right.
 *
 * @module
 */
import type { ChatMessage, ServerFrame } from "@/lib/shared/protocol.ts";

/** A `deleted` frame. */
export type DeletedFrame = Extract<ServerFrame, { type: "deleted" }>;

/**
 * The `deleted` frame of `m`; for a reply, `root` (its thread's first
 * message as stored, if known) gives `parent` and `thread`.
 */
export function deletedFrame(
  m: ChatMessage,
  root?: ChatMessage | null,
): DeletedFrame {
  const frame: DeletedFrame = { type: "deleted", room: m.room, id: m.id };
  if (m.parent === undefined) return frame;
  frame.parent = m.parent;
  if (root?.thread) frame.thread = root.thread;
  return frame;
}
