/**
 * Shared history reads for replay: a reconnect storm brings thousands of
 * clients back into the same rooms with the same `since`, and each replay
 * reads the same few pages. Reads of one range at once share one store
 * read, and a result is kept for a moment (`ttlMs`) for the clients right
 * behind. Ranges only ever hold stored messages (ids up to a room's newest
 * at the time), so a kept page is complete; an edit or deletion in the room
 * (or its deletion) drops what is kept of it.
 *
 * @module
 */
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import type { HistorySource } from "./replay.ts";

/** Options of {@link HistoryCache}. */
export interface HistoryCacheOptions {
  /** How long a result is kept; 2000 ms by default. */
  ttlMs?: number;
  /** The clock, in milliseconds; `performance.now` by default. */
  now?: () => number;
}

interface Kept<T> {
  value: Promise<T>;
  at: number;
}

/** A {@link HistorySource} whose reads are shared and kept briefly. */
export class HistoryCache implements HistorySource {
  readonly #source: HistorySource;
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** Room → read key → the read. */
  readonly #rooms = new Map<string, Map<string, Kept<unknown>>>();

  /** Shares and keeps the reads of `source`. */
  constructor(source: HistorySource, options: HistoryCacheOptions = {}) {
    this.#source = source;
    this.#ttlMs = options.ttlMs ?? 2000;
    this.#now = options.now ?? (() => performance.now());
  }

  range(room: string, after: number, upTo?: number): Promise<ChatMessage[]> {
    return this.#read(
      room,
      `r${after}:${upTo}`,
      () => this.#source.range(room, after, upTo),
    );
  }

  oldestId(room: string): Promise<number> {
    return this.#read(room, "oldest", () => this.#source.oldestId(room));
  }

  /** Messages of `room` changed (edited, deleted) or it went: forget it. */
  invalidate(room: string): void {
    this.#rooms.delete(room);
  }

  /** Forgets everything: changes may have gone unnoticed (a resync). */
  clear(): void {
    this.#rooms.clear();
  }

  /** Drops what has been kept too long. */
  sweep(): void {
    const now = this.#now();
    for (const [room, kept] of this.#rooms) {
      for (const [key, k] of kept) {
        if (now - k.at >= this.#ttlMs) kept.delete(key);
      }
      if (kept.size === 0) this.#rooms.delete(room);
    }
  }

  #read<T>(room: string, key: string, read: () => Promise<T>): Promise<T> {
    const now = this.#now();
    let kept = this.#rooms.get(room);
    const hit = kept?.get(key);
    if (hit && now - hit.at < this.#ttlMs) return hit.value as Promise<T>;
    if (!kept) this.#rooms.set(room, kept = new Map());
    const value = read();
    const entry = { value, at: now };
    kept.set(key, entry);
    // A failed read is not kept.
    value.catch(() => {
      if (this.#rooms.get(room)?.get(key) === entry) {
        this.#rooms.get(room)!.delete(key);
      }
    });
    return value;
  }
}
