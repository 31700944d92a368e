/**
 * Messages written but not yet acknowledged, kept in `localStorage` so they
 * survive a page reload and are sent, in order, once the server is back.
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

/** A persistent, ordered list of pending messages for one user. */
export class Outbox {
  readonly #key: string;
  readonly #storage: Storage | undefined;
  #items: Pending[];

  /** Opens `user`'s outbox, loading what `storage` kept; empty without it. */
  constructor(user: string, storage: Storage | undefined) {
    this.#key = `chat:outbox:${user}`;
    this.#storage = storage;
    this.#items = [];
    try {
      const raw = storage?.getItem(this.#key);
      const stored: unknown = raw ? JSON.parse(raw) : [];
      if (Array.isArray(stored)) this.#items = stored.filter(isPending);
    } catch {
      this.#items = []; // Corrupt or unavailable storage: start empty.
    }
  }

  /** Every pending message, oldest first. */
  get items(): readonly Pending[] {
    return this.#items;
  }

  /** Appends a message and saves the list. */
  add(p: Pending): void {
    this.#items = [...this.#items, p];
    this.#save();
  }

  /** Removes a message once acknowledged; returns whether it was here. */
  remove(clientId: string): boolean {
    const before = this.#items.length;
    this.#items = this.#items.filter((p) => p.clientId !== clientId);
    if (this.#items.length === before) return false;
    this.#save();
    return true;
  }

  /** Marks a message refused, or clears the mark with `undefined`. */
  mark(clientId: string, error: string | undefined): void {
    this.#items = this.#items.map((p) =>
      p.clientId === clientId ? { ...p, error } : p
    );
    this.#save();
  }

  #save(): void {
    try {
      this.#storage?.setItem(this.#key, JSON.stringify(this.#items));
    } catch {
      // Storage full or blocked: the outbox still works for this page's life.
    }
  }
}
