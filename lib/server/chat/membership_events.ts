/**
 * Stored membership events, coalesced: the joins (and leaves) of one room
 * within a short window on this instance become one event message ("mina
 * and 2,999 others joined"), so a mass join costs each member a few frames,
 * not one per joiner. While a room stays busy (a change comes within a
 * window of the last event), each window is twice the last, up to 16 times
 * the first: a storm lasting a minute writes a handful of events, not sixty.
 * Someone who joins and leaves within one window changed nothing and is not
 * mentioned. Someone who speaks while their join still waits, or who
 * mentions someone whose join waits, has it written first
 * ({@link MembershipEvents.joinsFirst}), so "ana joined" never shows after
 * ana's first message, or after "@ana welcome" (on the same instance).
 *
 * @module
 */
import type { MembershipEvent } from "@/lib/shared/protocol.ts";
import { logger } from "@/lib/server/log.ts";
import { StoreUnavailableError } from "@/lib/server/store/store.ts";
import { ChatError } from "./chat_error.ts";
import { fold } from "@/lib/shared/names.ts";
import { mentionedNames, nameBeforeParticle } from "@/lib/shared/mentions.ts";

/** Names listed in an event; the rest are counted. */
const LISTED = 5;

/** Tries of one event while the store is unreachable (about ten minutes). */
const MAX_ATTEMPTS = 25;

/** The longest wait between two tries. */
const MAX_RETRY_MS = 30_000;

/** A busy room's window grows to at most this many times the first. */
const MAX_STRETCH = 16;

/** Options of {@link MembershipEvents}. */
export interface MembershipEventsOptions {
  /** Joins (or leaves) within this many ms become one event; 0: at once. */
  windowMs: number;
  /** Stores and publishes one event (the normal message path). */
  write: (room: string, event: MembershipEvent, text: string) => Promise<void>;
  /** The clock, in epoch milliseconds; `Date.now` by default. */
  now?: () => number;
}

/** A joins event being written: whose joins, by key and folded name. */
interface Joining {
  keys: ReadonlySet<string>;
  names: ReadonlySet<string>;
  done: Promise<void>;
}

/** One room's changes in the current window: member key → name. */
interface Window {
  joined: Map<string, string>;
  left: Map<string, string>;
  /** The joined names, folded, each with how many joined keys bear it. */
  joinedNames: Map<string, number>;
  timer: ReturnType<typeof setTimeout>;
  /** This window's length. */
  ms: number;
}

/** Collects membership changes per room and writes one event per window. */
export class MembershipEvents {
  readonly #windows = new Map<string, Window>();
  /** Per room: when its last window closed, and how long that window was. */
  readonly #last = new Map<string, { at: number; ms: number }>();
  readonly #writing = new Set<Promise<void>>();
  /** Per room: the joins events being written. */
  readonly #joining = new Map<string, Joining[]>();
  /** Events waiting to be tried again, each with its last try. */
  readonly #retries = new Map<ReturnType<typeof setTimeout>, () => void>();
  #closing = false;
  readonly #o: MembershipEventsOptions;
  readonly #log = logger("chat");

  /** Creates a collector writing through `options.write`. */
  constructor(options: MembershipEventsOptions) {
    this.#o = options;
  }

  /** Records that the member `key`, shown as `name`, joined or left `room`. */
  record(
    room: string,
    kind: MembershipEvent["kind"],
    key: string,
    name: string,
  ): void {
    let w = this.#windows.get(room);
    if (!w) {
      const ms = this.#nextWindow(room);
      w = {
        joined: new Map(),
        left: new Map(),
        joinedNames: new Map(),
        timer: setTimeout(() => this.#flush(room), ms),
        ms,
      };
      this.#windows.set(room, w);
    }
    const [same, opposite] = kind === "joined"
      ? [w.joined, w.left]
      : [w.left, w.joined];
    const undone = opposite.get(key);
    // Joined and left again (or back) within the window: no change to tell.
    if (undone !== undefined) {
      opposite.delete(key);
      if (kind === "left") count(w.joinedNames, fold(undone), -1);
    } else if (!same.has(key)) {
      same.set(key, name);
      if (kind === "joined") count(w.joinedNames, fold(name), 1);
    }
  }

  /**
   * Before `key` says `text` in `room`: when the join of `key`, or of
   * someone `text` mentions, waits in the room's window, the window is
   * written now; the promise settles once that join's event is stored (or
   * given up on, as any event), so "erin joined" takes a lower id than
   * erin's first message or "@erin welcome". Undefined when no such join is
   * pending, the usual case: a send then waits for nothing. Other messages
   * leave the window alone, so a join storm in a busy room stays a few
   * events (on this instance: another's window is its own).
   */
  joinsFirst(
    room: string,
    key: string | undefined,
    text: string,
  ): Promise<void> | undefined {
    const w = this.#windows.get(room);
    if (!w?.joined.size && !this.#joining.has(room)) return undefined;
    // "@민수님" mentions 민수, as mention counting reads it.
    const mentions = mentionedNames(text).flatMap((m) => [
      m,
      ...nameBeforeParticle(m),
    ]);
    const concerns = (
      keys: ReadonlySet<string> | Map<string, string>,
      names: { has(n: string): boolean },
    ) =>
      (key !== undefined && keys.has(key)) ||
      mentions.some((m) => names.has(m));
    if (w && concerns(w.joined, w.joinedNames)) this.#flush(room);
    // Every write under way that tells of them (an earlier window's may
    // still be going when a later one starts).
    const waits = (this.#joining.get(room) ?? [])
      .filter((j) => concerns(j.keys, j.names)).map((j) => j.done);
    return waits.length === 0
      ? undefined
      : waits.length === 1
      ? waits[0]
      : Promise.all(waits).then(() => {});
  }

  /**
   * Writes every pending event now (and gives those waiting for the store
   * a last try) and waits for the writes: shutdown.
   */
  async flush(): Promise<void> {
    this.#closing = true;
    for (const room of [...this.#windows.keys()]) this.#flush(room);
    for (const [timer, last] of [...this.#retries]) {
      clearTimeout(timer);
      this.#retries.delete(timer);
      last();
    }
    await Promise.all(this.#writing);
  }

  /** The first window, or twice the last while the room stays busy. */
  #nextWindow(room: string): number {
    const base = this.#o.windowMs;
    const last = this.#last.get(room);
    if (!last) return base;
    const now = (this.#o.now ?? Date.now)();
    if (now - last.at >= last.ms) {
      this.#last.delete(room);
      return base;
    }
    return Math.min(last.ms * 2, base * MAX_STRETCH);
  }

  #flush(room: string): void {
    const w = this.#windows.get(room);
    if (!w) return;
    clearTimeout(w.timer);
    this.#windows.delete(room);
    if (w.joined.size + w.left.size > 0) {
      this.#last.set(room, { at: (this.#o.now ?? Date.now)(), ms: w.ms });
    }
    for (const kind of ["joined", "left"] as const) {
      const names = [...w[kind].values()];
      if (names.length === 0) continue;
      const event: MembershipEvent = {
        kind,
        users: names.slice(0, LISTED),
        count: names.length,
      };
      const done = this.#send(room, event, 0);
      if (kind !== "joined") continue;
      const joining: Joining = {
        keys: new Set(w.joined.keys()),
        names: new Set(w.joinedNames.keys()),
        done,
      };
      const list = this.#joining.get(room);
      if (list) list.push(joining);
      else this.#joining.set(room, [joining]);
      done.then(() => {
        const left = (this.#joining.get(room) ?? []).filter((j) =>
          j !== joining
        );
        if (left.length > 0) this.#joining.set(room, left);
        else this.#joining.delete(room);
      });
    }
  }

  /**
   * Writes one event. While the store is unreachable it is tried again,
   * later and later (up to every 30 s), so an outage delays the notice
   * instead of losing it; at shutdown a waiting one gets a last try.
   */
  #send(room: string, event: MembershipEvent, attempt: number): Promise<void> {
    const write = this.#o.write(room, event, eventText(event))
      .catch((error) => {
        if (
          error instanceof StoreUnavailableError && !this.#closing &&
          attempt < MAX_ATTEMPTS
        ) {
          // The store logs its outage once; no line per event here.
          const delay = Math.min(
            MAX_RETRY_MS,
            Math.max(1000, this.#o.windowMs) * 2 ** attempt,
          );
          const timer = setTimeout(() => {
            this.#retries.delete(timer);
            this.#send(room, event, attempt + 1);
          }, delay);
          this.#retries.set(timer, () => this.#send(room, event, MAX_ATTEMPTS));
          return;
        }
        // The room was deleted meanwhile: its notices went with it.
        if (error instanceof ChatError && error.code === "no_such_room") return;
        // The membership itself is stored; only its notice is lost.
        this.#log.warn("storing a membership event in {room} failed: {error}", {
          room,
          error: String(error),
        });
      })
      .finally(() => this.#writing.delete(write));
    this.#writing.add(write);
    return write;
  }
}

/**
 * An event in words, for clients that show only text.
 *
 * @example
 * ```ts
 * eventText({ kind: "joined", users: ["mina"], count: 3000 });
 * // "mina and 2,999 others joined"
 * ```
 */
export function eventText(event: MembershipEvent): string {
  const [first, second] = event.users;
  const who = event.count === 1
    ? first
    : event.count === 2 && second !== undefined
    ? `${first} and ${second}`
    : `${first} and ${(event.count - 1).toLocaleString("en-US")} ${
      event.count === 2 ? "other" : "others"
    }`;
  return `${who} ${event.kind}`;
}

/** Adds `by` to `name`'s count in `counts`, dropping it at zero. */
function count(counts: Map<string, number>, name: string, by: number): void {
  const n = (counts.get(name) ?? 0) + by;
  if (n > 0) counts.set(name, n);
  else counts.delete(name);
}
