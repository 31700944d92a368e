/**
 * Messages written but not yet acknowledged, kept in `localStorage` so they
 * survive a page reload and are sent, in order, once the server is back; one
 * list per user, which all of the user's tabs share.
 *
 * @module
 */

import { isPending } from "./guards.ts";

/** A message waiting for its ack. */
export interface Pending {
  /** The room it goes to. */
  room: string;
  /** What was written. */
  text: string;
  /** Makes the send idempotent: the server answers a resend with the original ack. */
  clientId: string;
  /** When it was written, client time. */
  ts: number;
  /** Set when the server refused it for good (e.g. too long); retry clears it. */
  error?: string;
  /** Set on a reply: the id of its thread's first message. */
  parent?: number;
  /** Set on a reply also sent to the room. */
  alsoInRoom?: boolean;
}

/**
 * A persistent, ordered list of pending messages for one user, shared by
 * every tab of theirs: each change re-reads the stored list and writes it
 * back changed, so one tab never erases what another wrote.
 */
export class Outbox {
  readonly #key: string;
  readonly #storage: Storage | undefined;
  #items: Pending[] = [];
  /** The stored text `#items` came from or went to. */
  #raw: string | null = null;
  /** The last save failed: this page's list is the whole one until one works. */
  #unsaved = false;

  /** Opens `user`'s outbox, loading what `storage` kept; empty without it. */
  constructor(user: string, storage: Storage | undefined) {
    this.#key = `chat:outbox:${user}`;
    this.#storage = storage;
    this.sync();
  }

  /** Every pending message, oldest first. */
  get items(): readonly Pending[] {
    return this.#items;
  }

  /**
   * Loads the stored list again: what other tabs of the same user added or
   * removed since (one may have closed with messages still to send).
   */
  sync(): void {
    this.#items = this.#load() ?? this.#items;
  }

  /** Appends a message and saves the list. */
  add(p: Pending): void {
    this.#change((items) => [...items, p]);
  }

  /** Removes a message once acknowledged; returns whether it was here. */
  remove(clientId: string): boolean {
    let had = this.#items.some((p) => p.clientId === clientId);
    this.#change((items) => {
      const kept = items.filter((p) => p.clientId !== clientId);
      if (kept.length === items.length) return items;
      had = true;
      return kept;
    });
    return had;
  }

  /** Marks a message refused, or clears the mark with `undefined`. */
  mark(clientId: string, error: string | undefined): void {
    this.#change((items) =>
      items.map((p) => p.clientId === clientId ? { ...p, error } : p)
    );
  }

  /** The stored list; `undefined` when storage can't be trusted for it. */
  #load(): Pending[] | undefined {
    if (!this.#storage || this.#unsaved) return;
    try {
      const raw = this.#storage.getItem(this.#key);
      // Unchanged: the same list, so a signal holding it doesn't fire.
      if (raw === this.#raw) return this.#items;
      const stored: unknown = JSON.parse(raw ?? "[]");
      if (!Array.isArray(stored)) return;
      this.#raw = raw;
      return stored.filter(isPending);
    } catch {
      // Corrupt or unavailable storage: this page's list stands.
    }
  }

  /** Applies `f` to the stored list and saves what it returns, if new. */
  #change(f: (items: Pending[]) => Pending[]): void {
    const items = this.#load() ?? this.#items;
    this.#items = f(items);
    if (this.#items === items) return;
    const raw = JSON.stringify(this.#items);
    try {
      this.#storage?.setItem(this.#key, raw);
      this.#raw = raw;
      this.#unsaved = false;
    } catch {
      // Storage full or blocked: the outbox still works for this page's life.
      this.#unsaved = true;
    }
  }
}
