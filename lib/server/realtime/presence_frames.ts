/**
 * Coalesced `presence` frames: changes of people in a room gather and go out
 * together, at most once per interval per room, however many people come
 * and go — so a join storm costs each viewer a frame a second, not a frame
 * per joiner. While a room's presence keeps changing, each interval is twice
 * the last (up to {@link MAX_STRETCH} times the first), so a storm of a
 * minute costs each viewer of a room a handful of frames, not sixty; the
 * first quiet interval starts over. A frame names at most 20 people (the
 * latest change of each); `more` says others changed too.
 *
 * @module
 */
import type { MemberEntry, ServerFrame } from "@/lib/shared/protocol.ts";

/** People named in one frame, at most. */
export const MAX_CHANGES = 20;

/** Waits this long after a quiet room's first change, to gather a burst. */
const FIRST_WAIT_MS = 100;

/** A busy room's interval grows to at most this many times the first. */
export const MAX_STRETCH = 16;

/** Options of {@link PresenceFrames}. */
export interface PresenceFramesOptions {
  /** Least time between two frames of one room. */
  intervalMs: number;
  /** How many people are online in a room now. */
  count: (room: string) => number;
  /** Sends a frame to the sockets viewing its room. */
  send: (room: string, frame: ServerFrame & { type: "presence" }) => void;
}

interface RoomState {
  pending: Map<string, MemberEntry>;
  timer: ReturnType<typeof setTimeout>;
  /** The wait after the next frame: doubles while changes keep coming. */
  wait: number;
}

/** Gathers presence changes per room and sends them as few frames. */
export class PresenceFrames {
  readonly #o: PresenceFramesOptions;
  /** Rooms with pending changes or within an interval of their last frame. */
  readonly #rooms = new Map<string, RoomState>();

  /** Creates a coalescer with nothing pending. */
  constructor(options: PresenceFramesOptions) {
    this.#o = options;
  }

  /** Records a change; it goes out with the room's next frame. */
  add(room: string, entry: MemberEntry): void {
    let state = this.#rooms.get(room);
    if (!state) {
      state = {
        pending: new Map(),
        timer: setTimeout(() => this.#flush(room), FIRST_WAIT_MS),
        wait: this.#o.intervalMs,
      };
      this.#rooms.set(room, state);
    }
    // Someone who left and then shows as offline (their own instance's
    // word, coming later) still left: only coming back undoes it.
    const before = state.pending.get(entry.name);
    const change = before?.left && entry.status === "offline"
      ? { ...entry, left: true as const }
      : entry;
    state.pending.delete(entry.name);
    state.pending.set(entry.name, change);
  }

  /** Cancels every timer. */
  close(): void {
    for (const s of this.#rooms.values()) clearTimeout(s.timer);
    this.#rooms.clear();
  }

  #flush(room: string): void {
    const state = this.#rooms.get(room);
    if (!state) return;
    if (state.pending.size === 0) {
      this.#rooms.delete(room);
      return;
    }
    const changes: MemberEntry[] = [];
    for (const entry of state.pending.values()) {
      if (changes.length === MAX_CHANGES) break;
      changes.push(entry);
    }
    const more = state.pending.size > MAX_CHANGES;
    state.pending = new Map();
    // Stays for one interval, so the next changes wait for it; if they
    // come, the one after is longer.
    state.timer = setTimeout(() => this.#flush(room), state.wait);
    state.wait = Math.min(state.wait * 2, this.#o.intervalMs * MAX_STRETCH);
    this.#o.send(room, {
      type: "presence",
      room,
      online: this.#o.count(room),
      changes,
      ...(more ? { more } : {}),
    });
  }
}
