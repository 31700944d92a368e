/**
 * In-order, exactly-once delivery of one room's messages on one instance.
 *
 * Messages reach an instance from the bus in any order and possibly twice.
 * The sequencer hands each one on exactly once, in id order: a message ahead
 * of a gap is held, and when the missing ones have not come after a short
 * wait (a publish failed, the bus dropped it) they are read from the store.
 *
 * @module
 */
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import type { Logger } from "@/lib/server/log.ts";

/** Where missing messages are read from: the store's view of one room. */
export interface MessageSource {
  /** The id of the newest stored message in `room`, 0 when there is none. */
  lastId(room: string): Promise<number>;
  /** Stored messages with `after < id <= upTo` (to the end without `upTo`). */
  range(room: string, after: number, upTo?: number): Promise<ChatMessage[]>;
}

/** The longest wait before a failed read is tried again. */
const RETRY_MAX_MS = 30_000;

/** Options of {@link Sequencer}. */
export interface SequencerOptions {
  /** The room whose messages are sequenced. */
  room: string;
  /** Where the last id and missing messages are read from. */
  source: MessageSource;
  /** Receives each message once, in id order. */
  deliver: (message: ChatMessage) => void;
  /** How long to wait for a missing message before reading it. */
  gapWaitMs: number;
  /** Where a failed read is logged. */
  log: Logger;
}

/** Puts one room's messages in order, once each, filling gaps from the store. */
export class Sequencer {
  readonly #o: SequencerOptions;
  /** Id of the last message delivered; -1 until read from the store. */
  #lastId = -1;
  /** Messages that arrived ahead of a gap, or before the last id was known. */
  readonly #held = new Map<number, ChatMessage>();
  #gapTimer: ReturnType<typeof setTimeout> | undefined;
  /** A read again after a failed one (see `#retry`). */
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the read to come again reads to the end (a catch-up). */
  #retryToEnd = false;
  /** Reads failed in a row. */
  #failures = 0;
  /**
   * Changes (edits, deletions) of messages not delivered yet, applied as
   * each is delivered: a change can overtake its message on the bus.
   */
  readonly #amends = new Map<number, (message: ChatMessage) => ChatMessage>();
  /** The read of the last id in flight, shared by {@link ready}'s callers. */
  #loading: Promise<void> | undefined;
  #closed = false;

  /** Creates a sequencer that knows no last id yet. */
  constructor(options: SequencerOptions) {
    this.#o = options;
  }

  /** The id of the last message delivered; -1 until {@link ready}. */
  get lastId(): number {
    return this.#lastId;
  }

  /** Messages held back, waiting for an earlier one. */
  get held(): number {
    return this.#held.size;
  }

  /**
   * Reads the room's last id once, so that messages after it are delivered;
   * everything up to it counts as delivered (history, not live). Callers
   * while it is read share the read (a storm's first wave reads once); a
   * failed read is tried again by the next caller.
   */
  ready(): Promise<void> {
    if (this.#lastId >= 0) return Promise.resolve();
    return this.#loading ??= this.#load().finally(() =>
      this.#loading = undefined
    );
  }

  async #load(): Promise<void> {
    const lastId = await this.#o.source.lastId(this.#o.room);
    if (this.#lastId >= 0) return;
    this.#lastId = lastId;
    if (!this.#closed) this.#flush();
  }

  /** Takes one message from the bus: delivers it, holds it, or drops a repeat. */
  push(message: ChatMessage): void {
    if (this.#closed) return;
    if (this.#lastId < 0 || message.id > this.#lastId + 1) {
      if (message.id > this.#lastId) this.#held.set(message.id, message);
      if (this.#lastId >= 0) this.#scheduleFill();
      return;
    }
    if (message.id <= this.#lastId) return;
    this.#deliver(message);
    this.#flush();
  }

  /**
   * A change (an edit, a deletion) of message `id`. When the message is not
   * delivered yet (held behind a gap, or still on its way), the change is
   * applied to it as it is delivered and true is returned: the caller must
   * not send the change on by itself, or sockets would get it before the
   * message, and then the message as it was. False when the message was
   * delivered (or the last id is not known yet): send the change on.
   */
  amend(id: number, change: (message: ChatMessage) => ChatMessage): boolean {
    if (this.#closed || this.#lastId < 0 || id <= this.#lastId) return false;
    const before = this.#amends.get(id);
    this.#amends.set(id, before ? (m) => change(before(m)) : change);
    return true;
  }

  /**
   * Reads every stored message after the last delivered (the bus was away);
   * resolves once they are delivered, or the read failed (it is tried
   * again later). Never rejects.
   */
  catchUp(): Promise<void> {
    return this.#fill(true);
  }

  /** Stops timers; later reads and pushes are ignored. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#gapTimer);
    this.#gapTimer = undefined;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #deliver(message: ChatMessage): void {
    this.#lastId = message.id;
    const amend = this.#amends.get(message.id);
    if (amend) this.#amends.delete(message.id);
    this.#o.deliver(amend ? amend(message) : message);
  }

  #flush(): void {
    for (const id of [...this.#held.keys()]) {
      if (id <= this.#lastId) this.#held.delete(id);
    }
    for (const id of [...this.#amends.keys()]) {
      if (id <= this.#lastId) this.#amends.delete(id);
    }
    let next: ChatMessage | undefined;
    while ((next = this.#held.get(this.#lastId + 1))) {
      this.#held.delete(next.id);
      this.#deliver(next);
    }
    if (this.#held.size > 0) this.#scheduleFill();
  }

  #scheduleFill(): void {
    if (this.#gapTimer !== undefined) return;
    this.#gapTimer = setTimeout(() => {
      this.#gapTimer = undefined;
      this.#fill(false);
    }, this.#o.gapWaitMs);
  }

  /** Reads missing messages: up to the newest held one, or `toEnd`. */
  #fill(toEnd: boolean): Promise<void> {
    if (this.#lastId < 0 || this.#closed) return Promise.resolve();
    // The missing message may have arrived while the timer ran.
    if (!toEnd && this.#held.size === 0) return Promise.resolve();
    const room = this.#o.room;
    let newest = 0;
    for (const id of this.#held.keys()) newest = Math.max(newest, id);
    const upTo = toEnd ? undefined : newest - 1;
    return this.#o.source.range(room, this.#lastId, upTo).then((missing) => {
      if (this.#closed) return;
      this.#failures = 0;
      for (const m of missing) {
        if (m.id > this.#lastId) this.#held.set(m.id, m);
      }
      this.#flush();
    }).catch((e) => {
      if (this.#closed) return;
      // Logged once a run of failures (a store outage fails every room).
      if (this.#failures++ === 0) {
        this.#o.log.error(
          "filling a gap in {room} failed, trying again: {error}",
          { room, error: String(e) },
        );
      }
      this.#retry(toEnd);
    });
  }

  /**
   * Reads again after a failed read, with backoff: in a quiet room nothing
   * else would ask, and what was missed would wait for the next message.
   */
  #retry(toEnd: boolean): void {
    this.#retryToEnd ||= toEnd;
    if (this.#retryTimer !== undefined) return;
    const wait = Math.min(
      RETRY_MAX_MS,
      this.#o.gapWaitMs * 2 ** Math.min(this.#failures, 16),
    );
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      const toEnd = this.#retryToEnd;
      this.#retryToEnd = false;
      this.#fill(toEnd);
    }, wait);
  }
}
