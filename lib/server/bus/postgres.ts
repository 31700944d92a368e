/**
 * The bus between instances over PostgreSQL, so a team running PostgreSQL
 * needs nothing else (`BUS=postgres`): events travel by `NOTIFY` on one
 * channel that every instance `LISTEN`s to on a connection of its own;
 * presence lives in a table with a row per instance and room, trusted only
 * while that instance's heartbeat row is fresh (by the database's clock, so
 * hosts' clocks don't matter). Each instance mirrors that table in memory —
 * loaded at start, updated by the notifications that carry each change, and
 * the live instances re-read with every heartbeat — so reading presence costs
 * no query (the welcome frame counts users in every room).
 *
 * A `NOTIFY` payload holds at most 8000 bytes; a larger event is written to
 * `bus_spill` and the notification carries its row id.
 *
 * PostgreSQL is the record as well as the bus: messages are committed before
 * they are published. While the listening connection is lost the bus logs
 * once, delivers to this instance only, reconnects with backoff and then
 * emits `resync` so the hub re-reads history.
 *
 * @module
 */
import postgres from "postgres";
import { z } from "zod";
import {
  type Bus,
  type BusEvent,
  mergePresence,
  presenceUsers,
  wireEvent,
} from "./bus.ts";
import { type Logger, logger } from "@/lib/server/log.ts";
import type { PresenceUser } from "@/lib/shared/protocol.ts";
import {
  connect,
  type Db,
  redactUrl,
  StoreOpenError,
} from "@/lib/server/store/postgres.ts";
import { migrate } from "@/lib/server/store/postgres_schema.ts";

/** Options of {@link PostgresBus.connect}. */
export interface PostgresBusOptions {
  /** Names this instance in presence rows; defaults to a random UUID. */
  instanceId?: string;
  /** How long an instance's users outlive its last heartbeat; defaults to 3 heartbeats. */
  presenceTtlMs?: number;
  /** How often this instance proves it is alive; defaults to 1000. */
  heartbeatMs?: number;
  /** Where the bus logs; defaults to `logger("bus")`. */
  logger?: Logger;
}

/** The channel every instance listens on. */
const CHANNEL = "chat_events";
/** Payloads above this go through `bus_spill` (NOTIFY's limit is 8000 bytes). */
const MAX_PAYLOAD_BYTES = 7000;
/** Spilled events are kept this long for slow listeners. */
const SPILL_KEEP_S = 60;
const MAX_BACKOFF_MS = 2000;

/** Events per NOTIFY statement. */
const MAX_NOTIFY_BATCH = 200;

const spillRef = z.object({ spill: z.number().int() });

/** A change of one instance's users in a room, as notified. */
const presenceUpdate = z.object({
  kind: z.literal("presence"),
  room: z.string(),
  instance: z.string(),
  users: presenceUsers,
});
type PresenceUpdate = z.infer<typeof presenceUpdate>;

interface Outgoing {
  event: BusEvent | PresenceUpdate;
  done: () => void;
}

/**
 * A {@link Bus} shared by every instance connected to one PostgreSQL.
 *
 * @example
 * ```ts
 * const bus = await PostgresBus.connect("postgres://chat@db/chat");
 * const chat = await Chat.open({ config, bus });
 * ```
 */
export class PostgresBus implements Bus {
  readonly #sql: Db;
  readonly #url: string;
  readonly #id: string;
  readonly #ttlMs: number;
  readonly #log: Logger;
  readonly #handlers: ((event: BusEvent) => void)[] = [];
  /** This instance's users per room: the truth the table mirrors. */
  readonly #local = new Map<string, PresenceUser[]>();
  /** Other instances' users: room → instance → users. */
  readonly #mirror = new Map<string, Map<string, PresenceUser[]>>();
  /** Instances whose heartbeat is fresh, as of the last heartbeat. */
  #alive = new Set<string>();
  /** Events waiting to be notified, in publish order. */
  readonly #outbox: Outgoing[] = [];
  #sending = false;
  #listener?: Db;
  #listening = false;
  #relistening?: Promise<void>;
  #timer?: ReturnType<typeof setInterval>;
  #beating?: Promise<void>;
  #lastBeat = 0;
  #closed = false;

  private constructor(url: string, options: PostgresBusOptions, ttl: number) {
    this.#url = url;
    this.#sql = connect(url, 4);
    this.#id = options.instanceId ?? crypto.randomUUID();
    this.#ttlMs = ttl;
    this.#log = options.logger ?? logger("bus");
  }

  /**
   * Connects to PostgreSQL at `url`, applies pending migrations, listens and
   * starts heartbeating. Rejects with a one-line `StoreOpenError` when
   * PostgreSQL cannot be reached; after that the bus reconnects by itself,
   * whatever the outage.
   */
  static async connect(
    url: string,
    options: PostgresBusOptions = {},
  ): Promise<PostgresBus> {
    const heartbeatMs = options.heartbeatMs ?? 1000;
    const ttl = options.presenceTtlMs ?? 3 * heartbeatMs;
    if (!(heartbeatMs > 0 && ttl > heartbeatMs)) {
      throw new RangeError(
        "presenceTtlMs must exceed heartbeatMs, and both be positive",
      );
    }
    const bus = new PostgresBus(url, options, ttl);
    try {
      await migrate(bus.#sql);
      await bus.#listen();
      await bus.#loadMirror();
    } catch (error) {
      await bus.#end();
      const reason = error instanceof Error ? error.message : String(error);
      throw new StoreOpenError(
        `DATABASE_URL: cannot use PostgreSQL at ${redactUrl(url)}: ${
          reason.split("\n")[0]
        }`,
      );
    }
    await bus.#beat();
    bus.#timer = setInterval(() => bus.#beat(), heartbeatMs);
    bus.#log.info("listening on PostgreSQL at {url} as {instance}", {
      url: redactUrl(url),
      instance: bus.#id,
    });
    return bus;
  }

  /** Opens the listening connection and issues `LISTEN`. */
  async #listen(): Promise<void> {
    const listener = postgres(this.#url, {
      max: 1,
      idle_timeout: undefined,
      max_lifetime: null,
      connect_timeout: 5,
      onnotice: () => {},
      onnotify: (channel: string, payload: string) => {
        if (channel === CHANNEL) this.#receive(payload);
      },
      onclose: () => this.#lost(listener),
    } as postgres.Options<Record<string, never>>) as unknown as Db;
    this.#listener = listener;
    try {
      await listener.unsafe(`LISTEN ${CHANNEL}`);
    } catch (error) {
      this.#listener = undefined;
      await listener.end({ timeout: 0 }).catch(() => {});
      throw error;
    }
    this.#listening = true;
  }

  /** The listening connection closed: log once, then listen again with backoff. */
  #lost(listener: Db): void {
    if (this.#closed || listener !== this.#listener || !this.#listening) return;
    this.#listening = false;
    this.#log.warn(
      "lost the PostgreSQL listening connection; reconnecting with backoff",
    );
    listener.end({ timeout: 0 }).catch(() => {});
    this.#relistening ??= (async () => {
      for (let attempt = 0; !this.#closed; attempt++) {
        const wait = Math.min(50 * 2 ** attempt, MAX_BACKOFF_MS);
        await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random())));
        if (this.#closed) return;
        try {
          await this.#listen();
          break;
        } catch { /* still down: logged once already */ }
      }
      if (this.#closed) return;
      this.#log.info("listening on PostgreSQL again; resyncing");
      await this.#loadMirror().catch(() => {});
      this.#emit({ kind: "resync" });
      await this.#beat();
      for (const room of this.#local.keys()) {
        await this.publish({ kind: "presence", room });
      }
    })().finally(() => this.#relistening = undefined);
  }

  /** Publishes to every instance; while PostgreSQL is away, to this one only. Never rejects. */
  publish(event: BusEvent): Promise<void> {
    if (event.kind === "resync") return Promise.resolve(this.#emit(event));
    return this.#enqueue(event);
  }

  #enqueue(event: BusEvent | PresenceUpdate): Promise<void> {
    return new Promise((resolve) => {
      this.#outbox.push({ event, done: resolve });
      if (!this.#sending) this.#send();
    });
  }

  /**
   * Sends waiting events, those queued while a send was in flight together:
   * one statement notifies a batch, in order, so a busy instance pays a
   * round trip per batch rather than per event.
   */
  async #send(): Promise<void> {
    this.#sending = true;
    try {
      while (this.#outbox.length > 0) {
        const batch = this.#outbox.splice(0, MAX_NOTIFY_BATCH);
        let small: { payload: string; item: Outgoing }[] = [];
        const flush = async () => {
          if (small.length === 0) return;
          const sent = small;
          small = [];
          await this.#notify(
            sent.map((s) => s.item),
            () =>
              this.#sql`SELECT pg_notify(${CHANNEL}, p) FROM (
                SELECT p FROM unnest(${sent.map((s) => s.payload)}::text[])
                  WITH ORDINALITY AS v(p, n) ORDER BY n) AS ordered`,
          );
        };
        for (const item of batch) {
          const payload = JSON.stringify(item.event);
          // UTF-8 takes at most 3 bytes per UTF-16 unit: most need no encoding.
          if (
            payload.length * 3 <= MAX_PAYLOAD_BYTES ||
            new TextEncoder().encode(payload).length <= MAX_PAYLOAD_BYTES
          ) {
            small.push({ payload, item });
            continue;
          }
          await flush();
          await this.#notify([item], () => this.#spill(payload));
        }
        await flush();
      }
    } finally {
      this.#sending = false;
    }
  }

  /** Runs `send`; on failure delivers `items` here only. Never rejects. */
  async #notify(items: Outgoing[], send: () => Promise<unknown>) {
    try {
      await send();
    } catch (error) {
      // The store has them already; other instances catch up on resync.
      this.#log.warn(
        "publishing {n} events failed, delivering locally: {error}",
        { n: items.length, error: String(error) },
      );
      for (const { event } of items) {
        this.#emit(
          event.kind === "presence"
            ? { kind: "presence", room: event.room }
            : event,
        );
      }
    }
    for (const item of items) item.done();
  }

  /** An event over NOTIFY's limit: stored, and notified by its row id. */
  async #spill(payload: string): Promise<void> {
    await this.#sql.begin(async (tx) => {
      const [row] = await tx<{ id: number }[]>`
        INSERT INTO bus_spill (payload) VALUES (${payload}) RETURNING id`;
      await tx`SELECT pg_notify(${CHANNEL}, ${
        JSON.stringify({ spill: row.id })
      })`;
      await tx`DELETE FROM bus_spill
        WHERE created_at < now() - make_interval(secs => ${SPILL_KEEP_S})`;
    });
  }

  subscribe(handler: (event: BusEvent) => void): void {
    this.#handlers.push(handler);
  }

  /** Records this instance's users in `room`; never rejects (the heartbeat rewrites it). */
  async setPresence(room: string, users: PresenceUser[]): Promise<void> {
    if (users.length === 0) this.#local.delete(room);
    else this.#local.set(room, [...users]);
    try {
      if (users.length === 0) {
        await this.#sql`DELETE FROM bus_presence
          WHERE instance = ${this.#id} AND room = ${room}`;
      } else {
        await this.#sql`
          INSERT INTO bus_presence (instance, room, users)
          VALUES (${this.#id}, ${room}, ${JSON.stringify(users)})
          ON CONFLICT (instance, room) DO UPDATE SET users = excluded.users`;
      }
    } catch (error) {
      this.#log.warn("writing presence of {room} failed: {error}", {
        room,
        error: String(error),
      });
    }
    await this.#enqueue({
      kind: "presence",
      room,
      instance: this.#id,
      users: [...users],
    });
  }

  /**
   * This instance's users in `room` plus those of every instance whose
   * heartbeat is fresh, from memory. While PostgreSQL is away, the last
   * known lists of instances that were alive then.
   */
  presence(room: string): Promise<PresenceUser[]> {
    const lists = [this.#local.get(room) ?? []];
    for (const [instance, users] of this.#mirror.get(room) ?? []) {
      if (this.#alive.has(instance)) lists.push(users);
    }
    return Promise.resolve(mergePresence(lists));
  }

  /** Reads every other instance's presence and who is alive. */
  async #loadMirror(): Promise<void> {
    const rows = await this.#sql<
      { instance: string; room: string; users: string; alive: boolean }[]
    >`
      SELECT p.instance, p.room, p.users, i.alive_until > now() AS alive
      FROM bus_presence p JOIN bus_instances i ON i.instance = p.instance
      WHERE p.instance <> ${this.#id}`;
    this.#mirror.clear();
    const alive = new Set<string>();
    for (const r of rows) {
      this.#mirrorSet(r.room, r.instance, this.#users(r.users, r.instance));
      if (r.alive) alive.add(r.instance);
    }
    this.#alive = alive;
  }

  #mirrorSet(room: string, instance: string, users: PresenceUser[]): void {
    let byInstance = this.#mirror.get(room);
    if (users.length === 0) {
      byInstance?.delete(instance);
      if (byInstance?.size === 0) this.#mirror.delete(room);
      return;
    }
    if (!byInstance) this.#mirror.set(room, byInstance = new Map());
    byInstance.set(instance, users);
  }

  /** Whether the listening connection is up and the last heartbeat is recent. */
  healthy(): Promise<boolean> {
    return Promise.resolve(
      !this.#closed && this.#listening &&
        Date.now() - this.#lastBeat < this.#ttlMs,
    );
  }

  /** Removes this instance's presence, tells the others, and disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#beating;
    while (this.#sending) await new Promise((r) => setTimeout(r, 5));
    const rooms = [...this.#local.keys()];
    this.#local.clear();
    this.#handlers.length = 0;
    try {
      await this.#sql.begin(async (tx) => {
        await tx`DELETE FROM bus_presence WHERE instance = ${this.#id}`;
        await tx`DELETE FROM bus_instances WHERE instance = ${this.#id}`;
        for (const room of rooms) {
          await tx`SELECT pg_notify(${CHANNEL}, ${
            JSON.stringify({
              kind: "presence",
              room,
              instance: this.#id,
              users: [],
            })
          })`;
        }
      });
    } catch (error) {
      this.#log.warn("removing presence on close failed: {error}", {
        error: String(error),
      });
    }
    await this.#end();
  }

  async #end(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    this.#listening = false;
    await Promise.all([
      listener?.end({ timeout: 1 }).catch(() => {}),
      this.#sql.end({ timeout: 1 }).catch(() => {}),
    ]);
  }

  /** Refreshes this instance's heartbeat row and rewrites its presence. */
  #beat(): Promise<void> {
    return this.#beating ??= (async () => {
      try {
        const users = [...this.#local];
        await this.#sql.begin(async (tx) => {
          await tx`
            INSERT INTO bus_instances (instance, alive_until)
            VALUES (${this.#id},
              now() + make_interval(secs => ${this.#ttlMs / 1000}))
            ON CONFLICT (instance) DO UPDATE
              SET alive_until = excluded.alive_until`;
          if (users.length > 0) {
            await tx`
              INSERT INTO bus_presence (instance, room, users)
              SELECT ${this.#id}, room, users FROM unnest(
                ${users.map(([room]) => room)}::text[],
                ${users.map(([, u]) => JSON.stringify(u))}::text[]
              ) AS v(room, users)
              ON CONFLICT (instance, room) DO UPDATE SET users = excluded.users`;
          }
          await tx`DELETE FROM bus_presence WHERE instance = ${this.#id}
            AND NOT (room = ANY(${users.map(([room]) => room)}::text[]))`;
          // Rows of instances gone for a while are nobody's any more.
          await tx`DELETE FROM bus_instances
            WHERE alive_until < now() - interval '1 minute'`;
          const alive = await tx<{ instance: string }[]>`
            SELECT instance FROM bus_instances
            WHERE alive_until > now() AND instance <> ${this.#id}`;
          const before = this.#alive;
          this.#alive = new Set(alive.map((r) => r.instance));
          // An instance that stopped beating takes its users with it.
          for (const gone of before) {
            if (this.#alive.has(gone)) continue;
            for (const [room, byInstance] of this.#mirror) {
              if (byInstance.has(gone)) this.#emit({ kind: "presence", room });
            }
          }
        });
        this.#lastBeat = Date.now();
      } catch (error) {
        if (this.#listening) {
          this.#log.warn("heartbeat failed: {error}", { error: String(error) });
        }
      }
    })().finally(() => this.#beating = undefined);
  }

  #receive(raw: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    // Only the shape the notification claims is checked: one schema each.
    const has = (key: string) =>
      typeof parsed === "object" && parsed !== null && key in parsed;
    const ref = has("spill") ? spillRef.safeParse(parsed) : undefined;
    if (ref?.success) {
      this.#sql<{ payload: string }[]>`
        SELECT payload FROM bus_spill WHERE id = ${ref.data.spill}`
        .then((rows) => {
          if (rows[0]) this.#receive(rows[0].payload);
          else this.#emit({ kind: "resync" });
        }, () => this.#emit({ kind: "resync" }));
      return;
    }
    const update = has("instance")
      ? presenceUpdate.safeParse(parsed)
      : undefined;
    if (update?.success) {
      const { room, instance, users } = update.data;
      if (instance !== this.#id) {
        this.#mirrorSet(room, instance, users);
        // A notification is as good as a heartbeat until the next one.
        if (users.length > 0) this.#alive.add(instance);
      }
      this.#emit({ kind: "presence", room });
      return;
    }
    const event = wireEvent.safeParse(parsed);
    if (!event.success) {
      this.#log.warn("ignoring a malformed bus event: {raw}", {
        raw: raw.slice(0, 200),
      });
      return;
    }
    this.#emit(event.data);
  }

  #emit(event: BusEvent): void {
    for (const handler of this.#handlers) {
      try {
        handler(event);
      } catch (error) {
        this.#log.error("a bus handler threw on {kind}: {error}", {
          kind: event.kind,
          error: String(error),
        });
      }
    }
  }

  #users(json: string, instance: string): PresenceUser[] {
    try {
      const users = presenceUsers.safeParse(JSON.parse(json));
      if (users.success) return users.data;
    } catch { /* reported below */ }
    this.#log.warn("ignoring malformed presence of instance {instance}", {
      instance,
    });
    return [];
  }
}
