/**
 * Coalesced `reactions` frames: every instance learns from the bus which
 * message of a room changed, and sends that room's subscribers at most one
 * frame per `flushMs` (the first at once), holding the current reactions of
 * every message that changed meanwhile, read from the store once per flush.
 * A storm of a thousand reactions a second on one message is then a few
 * frames a second per room, each serialised once for all subscribers.
 *
 * @module
 */
import type { Reaction, ServerFrame } from "@/lib/shared/protocol.ts";
import type { Logger } from "@/lib/server/log.ts";

/** What {@link ReactionFrames} needs. */
export interface ReactionFramesOptions {
  /** Least time between two frames of a room. */
  flushMs: number;
  /** The current reactions of messages of a room (without `mine`). */
  read: (room: string, ids: number[]) => Promise<Map<number, Reaction[]>>;
  /** Sends a frame to the room's subscribers here. */
  send: (room: string, frame: ServerFrame) => void;
  /** Whether anyone here is subscribed to the room. */
  watched: (room: string) => boolean;
  /** Where a failed read is logged. */
  log: Logger;
  /** The clock, in milliseconds; `Date.now` by default. */
  now?: () => number;
}

interface RoomState {
  /** Messages changed since the last read. */
  dirty: Set<number>;
  /** When the last frame's read started. */
  last: number;
  timer?: ReturnType<typeof setTimeout>;
  /** Set while a read is in flight: the next flush waits for it. */
  reading: boolean;
}

/** Changed messages per room, flushed as few frames. */
export class ReactionFrames {
  readonly #o: ReactionFramesOptions;
  readonly #rooms = new Map<string, RoomState>();
  readonly #now: () => number;
  #closed = false;

  /** Creates the coalescer. */
  constructor(options: ReactionFramesOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Message `id` of `room` had a reaction added or taken off. */
  changed(room: string, id: number): void {
    if (this.#closed || !this.#o.watched(room)) return;
    let state = this.#rooms.get(room);
    if (!state) {
      state = { dirty: new Set(), last: -Infinity, reading: false };
      this.#rooms.set(room, state);
    }
    state.dirty.add(id);
    this.#schedule(room, state);
  }

  /** Stops every timer; nothing more is sent. */
  close(): void {
    this.#closed = true;
    for (const s of this.#rooms.values()) clearTimeout(s.timer);
    this.#rooms.clear();
  }

  #schedule(room: string, state: RoomState): void {
    if (state.timer !== undefined || state.reading) return;
    const wait = Math.max(0, state.last + this.#o.flushMs - this.#now());
    state.timer = setTimeout(() => this.#tick(room, state), wait);
  }

  /** Flushes what changed, or forgets a room that stayed quiet a whole interval. */
  #tick(room: string, state: RoomState): void {
    state.timer = undefined;
    if (state.dirty.size > 0) this.#flush(room, state);
    else if (this.#rooms.get(room) === state) this.#rooms.delete(room);
  }

  async #flush(room: string, state: RoomState): Promise<void> {
    const ids = [...state.dirty].sort((a, b) => a - b);
    state.dirty.clear();
    state.last = this.#now();
    state.reading = true;
    try {
      const current = await this.#o.read(room, ids);
      if (this.#closed) return;
      if (this.#o.watched(room)) {
        this.#o.send(room, {
          type: "reactions",
          room,
          messages: ids.map((id) => ({ id, reactions: current.get(id) ?? [] })),
        });
      }
    } catch (error) {
      this.#o.log.warn("reading reactions of {room} failed: {error}", {
        room,
        error: String(error),
      });
    } finally {
      state.reading = false;
    }
    // The room stays known for one more interval, so the next change waits its turn.
    if (!this.#closed) this.#schedule(room, state);
  }
}
