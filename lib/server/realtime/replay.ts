/**
 * Replay: what a client joining with `since` missed, sent before live
 * messages — edits and deletions among the messages it holds, a `gap` when
 * retention removed some of what it missed, then the missed messages, page by
 * page so that a resume from far back holds one page in memory, not the
 * whole history.
 *
 * @module
 */
import type { ChatMessage, ServerFrame } from "@/lib/shared/protocol.ts";
import { deletedFrame } from "./deleted_frame.ts";

/** The store's view of a room's history, as replay reads it. */
export interface HistorySource {
  /** Stored messages with `after < id <= upTo`, oldest first. */
  range(room: string, after: number, upTo?: number): Promise<ChatMessage[]>;
  /** The oldest message id still kept, or `lastId + 1` when none is. */
  oldestId(room: string): Promise<number>;
}

/** Where replayed frames go: one joining client. */
export interface ReplayTarget {
  /** True once the client went away; replay stops. */
  readonly gone: () => boolean;
  /** Sends one native-protocol frame. */
  frame(frame: ServerFrame): void;
  /** Sends one message in the client's wire format. */
  message(message: ChatMessage): void;
  /** Resolves once the client's socket has drained (or it is gone). */
  drained(): Promise<void>;
}

/**
 * How many of the latest messages are checked for edits and deletions: of
 * those a resuming client holds, and of a room's after a resync.
 */
export const CHANGES_WINDOW = 200;

/** Messages read from the store at a time. */
export const REPLAY_PAGE = 200;

/**
 * Replays `room` to `to` for a client that holds messages up to `since`,
 * up to `upTo` (the last id delivered live; later ones come live). First
 * the edits and deletions it may have missed among the latest
 * {@link CHANGES_WINDOW} messages it holds, then a `gap` if retention
 * removed some of what it missed, then the missed messages page by page.
 */
export async function replay(
  source: HistorySource,
  to: ReplayTarget,
  room: string,
  since: number,
  upTo: number,
): Promise<void> {
  if (since > 0) {
    const from = Math.max(0, since - CHANGES_WINDOW);
    const held = await source.range(room, from, since);
    const byId = new Map(held.map((m) => [m.id, m]));
    for (const m of held) {
      if (m.deleted) {
        // A deleted reply brings its thread's count as stored now.
        const root = m.parent === undefined ? undefined : byId.get(m.parent) ??
          (await source.range(room, m.parent - 1, m.parent))[0];
        to.frame(deletedFrame(m, root));
      } else if (m.edited) {
        to.frame({ type: "edited", room, id: m.id, text: m.text });
      }
    }
  }
  if (since >= upTo) return;
  const oldest = await source.oldestId(room);
  if (since + 1 < oldest) {
    to.frame({ type: "gap", room, since, oldestId: oldest });
  }
  for (let from = since; from < upTo && !to.gone();) {
    const page = Math.min(upTo, from + REPLAY_PAGE);
    for (const m of await source.range(room, from, page)) to.message(m);
    from = page;
    await to.drained();
  }
}
