/**
 * Reactions and pins as the chat page shows them, as signals: per message
 * its reactions (`reactions` frames replace them, coalesced by the server)
 * and which of them are the reader's (from answers to `reactions` requests
 * and from `reacted`, sent to every tab of the reader); per room its pinned
 * messages. Knows which messages it has asked about, so the page asks once
 * per message and again after each (re)join. Knows nothing of the DOM.
 *
 * @module
 */
import { type Signal, signal } from "@preact/signals";
import type { Pin, Reaction, ServerFrame } from "@/lib/shared/protocol.ts";
import { MAX_REACTION_IDS } from "@/lib/shared/reactions.ts";
import { roomKey } from "@/lib/shared/names.ts";

/** A message's reactions, and which emoji of them are the reader's. */
export interface ReactionView {
  /** Each emoji in the order it was first used. */
  list: readonly Reaction[];
  /** The reader's own emoji on the message. */
  mine: ReadonlySet<string>;
}

const EMPTY: ReactionView = { list: [], mine: new Set() };

/**
 * Reactions per message and pins per room (kept live by `pinned`,
 * `unpinned`, which a deleted pinned message brings too, and `edited`).
 */
export class ReactionStore {
  readonly #messages = new Map<string, Signal<ReactionView>>();
  readonly #pins = new Map<string, Signal<readonly Pin[] | null>>();
  /** Per room, the messages asked about since it was last joined. */
  readonly #asked = new Map<string, Set<number>>();
  /**
   * Per room, its newest id when last joined: a message after it came live,
   * and its reactions come live too (`reactions` frames), unasked.
   */
  readonly #joinedAt = new Map<string, number>();
  /** Moves on every `joined`: what was asked before must be asked again. */
  readonly joins: Signal<number> = signal(0);
  /** How many times each room was joined (this page's connections). */
  readonly #joinsOf = new Map<string, number>();

  /**
   * How many times `room` was joined: what of it was asked before must be
   * asked again when this moves (read in a render, it follows `joins`).
   */
  joinsIn(room: string): number {
    this.joins.value;
    return this.#joinsOf.get(room) ?? 0;
  }

  /** The reactions of message `id` of `room`, as a signal. */
  of(room: string, id: number): Signal<ReactionView> {
    const key = roomKey(room, id);
    let s = this.#messages.get(key);
    if (!s) this.#messages.set(key, s = signal(EMPTY));
    return s;
  }

  /** A room's pinned messages, newest pin first; null until asked. */
  pinsOf(room: string): Signal<readonly Pin[] | null> {
    let s = this.#pins.get(room);
    if (!s) this.#pins.set(room, s = signal(null));
    return s;
  }

  /**
   * Which of `ids` (of `room`, at most `MAX_REACTION_IDS`: a page holds
   * fewer) have not been asked about; they count as asked from now on.
   */
  toAsk(room: string, ids: readonly number[]): number[] {
    let asked = this.#asked.get(room);
    if (!asked) this.#asked.set(room, asked = new Set());
    const fresh = ids.filter((id) => !asked.has(id)).slice(-MAX_REACTION_IDS);
    for (const id of fresh) asked.add(id);
    return fresh;
  }

  /** Applies a server frame (others are ignored). */
  apply(frame: ServerFrame): void {
    switch (frame.type) {
      case "joined":
        this.#asked.delete(frame.room);
        this.#joinedAt.set(frame.room, frame.lastId);
        this.#joinsOf.set(frame.room, (this.#joinsOf.get(frame.room) ?? 0) + 1);
        this.joins.value++;
        break;
      case "message": {
        if (frame.id <= (this.#joinedAt.get(frame.room) ?? Infinity)) break;
        let asked = this.#asked.get(frame.room);
        if (!asked) this.#asked.set(frame.room, asked = new Set());
        asked.add(frame.id);
        break;
      }
      case "reactions":
        for (const m of frame.messages) {
          const s = this.of(frame.room, m.id);
          const mine = frame.mine
            ? new Set(m.reactions.filter((r) => r.mine).map((r) => r.emoji))
            : s.value.mine;
          s.value = { list: m.reactions, mine };
        }
        break;
      case "reacted": {
        const s = this.of(frame.room, frame.id);
        const mine = new Set(s.value.mine);
        if (frame.added) mine.add(frame.emoji);
        else mine.delete(frame.emoji);
        s.value = { list: s.value.list, mine };
        break;
      }
      case "pins":
        this.pinsOf(frame.room).value = frame.pins;
        break;
      case "pinned": {
        // Only a new pin is sent; a list not asked for yet is left to `pins`.
        const s = this.pinsOf(frame.room);
        if (s.value) s.value = [frame.pin, ...s.value];
        break;
      }
      case "unpinned": {
        const s = this.pinsOf(frame.room);
        if (s.value) {
          s.value = s.value.filter((p) => p.message.id !== frame.id);
        }
        break;
      }
      case "edited": {
        // A pinned message's new text shows in the list at once.
        const s = this.pinsOf(frame.room);
        if (s.value) {
          s.value = s.value.map((p) =>
            p.message.id === frame.id
              ? {
                ...p,
                message: { ...p.message, text: frame.text, edited: true },
              }
              : p
          );
        }
        break;
      }
    }
  }
}
