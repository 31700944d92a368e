/**
 * The message flow in the terminal, as the original demo showed it: one
 * `info` line per connection opened or closed, message, room membership
 * change, slow client dropped and bus outage or recovery (a message's text
 * only at `debug`). Past a few lines per second of one kind — per room for
 * messages — the rest are counted and summed up in one line per second,
 * so a busy server logs a bounded number of lines.
 *
 * @example
 * ```ts
 * const flow = new FlowLog(logger("flow"));
 * flow.opened(client, { endpoint: "/ws", address: "203.0.113.7" });
 * ```
 *
 * @module
 */
import type { Logger } from "@/lib/server/log.ts";

/** What the flow log needs to know of a connection. */
export interface FlowClient {
  /** Unique among this server's connections. */
  readonly id: number;
  /** Who is connected. */
  readonly user: { readonly name: string; readonly guest?: boolean };
}

/** Options of {@link FlowLog}. */
export interface FlowLogOptions {
  /** The clock, in epoch milliseconds. */
  now?: () => number;
  /** Lines of one kind (per room for messages) a second before counting. */
  linesPerKind?: number;
  /** Lines a second in all before counting. */
  linesPerSecond?: number;
}

interface Tally {
  shown: number;
  hidden: number;
  users: Set<string>;
}

interface Open {
  at: number;
  endpoint: string;
  address?: string;
}

const MAX_USERS_COUNTED = 1000;
/** Rooms summed up one line each; more go into one line together. */
const MAX_ROOM_LINES = 3;

/** Logs the message flow with per-second aggregation; see the module doc. */
export class FlowLog {
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #perKind: number;
  readonly #perSecond: number;
  readonly #tallies = new Map<string, Tally>();
  readonly #open = new Map<number, Open>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The second of the last `#tick` (none yet: the first tick always runs). */
  #second = Number.NaN;
  #lines = 0;
  /**
   * Whether `info` and `debug` lines go anywhere, read again each second
   * (see `#tick`): asking the logger costs more than the rest of a line
   * not written, and a message asks twice.
   */
  #info = false;
  #debug = false;

  /** Creates a flow log writing to `log`. */
  constructor(log: Logger, options: FlowLogOptions = {}) {
    this.#log = log;
    this.#now = options.now ?? Date.now;
    this.#perKind = options.linesPerKind ?? 10;
    this.#perSecond = options.linesPerSecond ?? 50;
  }

  /** A connection opened on `endpoint` (e.g. `/ws`) from `address`. */
  opened(
    client: FlowClient,
    info: { endpoint: string; address?: string; room?: string },
  ): void {
    this.#open.set(client.id, {
      at: this.#now(),
      endpoint: info.endpoint,
      address: info.address,
    });
    if (!this.#show("opened", client.user.name)) return;
    this.#log.info(
      info.room
        ? "{user} connected to {room} on {endpoint} from {address}"
        : "{user} connected on {endpoint} from {address}",
      {
        event: "opened",
        user: client.user.name,
        guest: client.user.guest ?? false,
        endpoint: info.endpoint,
        room: info.room,
        address: info.address ?? "?",
        connection: client.id,
      },
    );
  }

  /** A connection closed with `code` and `reason`. */
  closed(client: FlowClient, code: number, reason: string): void {
    const open = this.#open.get(client.id);
    this.#open.delete(client.id);
    if (!this.#show("closed", client.user.name)) return;
    const seconds = open ? (this.#now() - open.at) / 1000 : undefined;
    const props = {
      event: "closed",
      user: client.user.name,
      code,
      reason,
      duration: seconds === undefined ? "?" : formatDuration(seconds),
      seconds,
      endpoint: open?.endpoint,
      connection: client.id,
    };
    this.#log.info(
      reason
        ? "{user} disconnected after {duration} ({code}: {reason})"
        : "{user} disconnected after {duration} ({code})",
      props,
    );
  }

  /** A user joined a room. */
  joined(client: FlowClient, room: string): void {
    if (!this.#show("membership", client.user.name)) return;
    this.#log.info("{user} joined {room}", {
      event: "joined",
      user: client.user.name,
      room,
      connection: client.id,
    });
  }

  /** A user left a room. */
  left(client: FlowClient, room: string): void {
    if (!this.#show("membership", client.user.name)) return;
    this.#log.info("{user} left {room}", {
      event: "left",
      user: client.user.name,
      room,
      connection: client.id,
    });
  }

  /** A message was stored and sent to `room`; its text only at debug. */
  message(
    client: FlowClient,
    room: string,
    id: number,
    text: string,
  ): void {
    if (this.#show(`message\0${room}`, client.user.name)) {
      this.#log.info("{user} → {room} #{id} ({chars} chars)", {
        event: "message",
        user: client.user.name,
        room,
        id,
        chars: text.length,
      });
    }
    if (this.#debug) {
      this.#log.debug("{user} → {room} #{id}: {text}", {
        event: "text",
        user: client.user.name,
        room,
        id,
        text,
      });
    }
  }

  /** A client that could not keep up was disconnected. */
  slowDropped(client: FlowClient, bufferedBytes: number): void {
    this.#log.warn("{user} dropped: too slow, {bytes} bytes backed up", {
      event: "slow",
      user: client.user.name,
      bytes: bufferedBytes,
      connection: client.id,
    });
  }

  /**
   * The bus to other instances is down: their messages are read from the
   * store meanwhile.
   */
  busDown(bus: string): void {
    this.#log.warn(
      "{bus} down: other instances' messages come from the store meanwhile",
      { event: "bus_down", bus },
    );
  }

  /** The bus is back. */
  busUp(bus: string): void {
    this.#log.info("{bus} is back", { event: "bus_up", bus });
  }

  /** Writes the pending summaries and stops the timer. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flush();
    this.#open.clear();
  }

  /** Whether to write a line of `kind` now, or count it for the summary. */
  #show(kind: string, user: string): boolean {
    this.#tick();
    // Below info (e.g. LOG_LEVEL=error) neither lines nor summaries print.
    if (!this.#info) return false;
    let t = this.#tallies.get(kind);
    if (!t) {
      t = { shown: 0, hidden: 0, users: new Set() };
      this.#tallies.set(kind, t);
    }
    if (t.shown < this.#perKind && this.#lines < this.#perSecond) {
      t.shown++;
      this.#lines++;
      return true;
    }
    t.hidden++;
    if (t.users.size < MAX_USERS_COUNTED) t.users.add(user);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#tick();
      }, 1000);
      Deno.unrefTimer(this.#timer);
    }
    return false;
  }

  /** On a new second, sums up what the last one hid and starts afresh. */
  #tick(): void {
    const second = Math.floor(this.#now() / 1000);
    if (second === this.#second) return;
    this.#second = second;
    this.#flush();
    this.#info = this.#log.isEnabledFor("info");
    this.#debug = this.#log.isEnabledFor("debug");
  }

  /** Writes one summary line per kind that hid lines (rooms taken together). */
  #flush(): void {
    const rooms: [string, Tally][] = [];
    for (const [kind, t] of this.#tallies) {
      if (t.hidden === 0) continue;
      const [what, room] = kind.split("\0");
      if (what === "message") rooms.push([room, t]);
      else {
        const props = { event: "summary", kind: what, count: t.hidden };
        this.#log.info(
          what === "opened"
            ? "{count} more connections opened in that second"
            : what === "closed"
            ? "{count} more connections closed in that second"
            : "{count} more room joins and leaves in that second",
          props,
        );
      }
    }
    if (rooms.length > 0 && rooms.length <= MAX_ROOM_LINES) {
      for (const [room, t] of rooms) {
        this.#log.info(
          "{room}: {count} more messages from {users} in that second",
          {
            event: "summary",
            kind: "message",
            room,
            count: t.hidden,
            users: people(t.users.size),
          },
        );
      }
    } else if (rooms.length > MAX_ROOM_LINES) {
      const users = new Set<string>();
      let count = 0;
      for (const [, t] of rooms) {
        count += t.hidden;
        for (const u of t.users) {
          if (users.size < MAX_USERS_COUNTED) users.add(u);
        }
      }
      this.#log.info(
        "{count} more messages in {rooms} rooms from {users} in that second",
        {
          event: "summary",
          kind: "message",
          count,
          rooms: rooms.length,
          users: people(users.size),
        },
      );
    }
    this.#tallies.clear();
    this.#lines = 0;
  }
}

function people(n: number): string {
  if (n >= MAX_USERS_COUNTED) return `${MAX_USERS_COUNTED}+ users`;
  return n === 1 ? "1 user" : `${n} users`;
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  }
  return `${Math.floor(seconds / 3600)} h ${
    Math.floor((seconds % 3600) / 60)
  } min`;
}
