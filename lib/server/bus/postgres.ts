/**
 * The bus between instances over PostgreSQL, so a team running PostgreSQL
 * needs nothing else (`BUS=postgres`): events travel by `NOTIFY` on one
 * channel that every instance `LISTEN`s to on a connection of its own.
 * Presence travels as events too (the hubs replicate it); the tables
 * `bus_presence` and `bus_instances` of older versions are no longer used.
 * A heartbeat query tells whether PostgreSQL still answers.
 *
 * A `NOTIFY` payload holds at most 8000 bytes; a larger event is written to
 * `bus_spill` and the notification carries its row id.
 *
 * PostgreSQL is the record as well as the bus: messages are committed before
 * they are published. An event reaches this instance's receivers at once,
 * when it is published (as on the local bus), and the others by `NOTIFY`;
 * its own notification, when it comes back, is recognised by the origin
 * tag it starts with and skipped unparsed, so this instance's sockets don't
 * wait for a round trip through PostgreSQL and its CPU doesn't parse its
 * own events twice. While the listening connection is lost the bus logs
 * once, delivers to this instance only, reconnects with backoff and then
 * emits `resync` so the hub re-reads history.
 *
 * @module
 */
import postgres from "postgres";
import { z } from "zod";
import { type Bus, type BusEvent, parseJson, Subscribers } from "./bus.ts";
import { type Logger, logger } from "@/lib/server/log.ts";
import {
  connect,
  type Db,
  redactUrl,
  StoreOpenError,
} from "@/lib/server/store/postgres.ts";
import { migrate } from "@/lib/server/store/postgres_schema.ts";
import { deadline, DEADLINE_MS } from "@/lib/server/store/deadline.ts";

/** Options of {@link PostgresBus.connect}. */
export interface PostgresBusOptions {
  /** Names this instance in logs; defaults to a random UUID. */
  instanceId?: string;
  /** Without a heartbeat answered for this long the bus is unhealthy; defaults to 3 heartbeats. */
  presenceTtlMs?: number;
  /** How often PostgreSQL is asked whether it answers; defaults to 1000. */
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
/**
 * At most one NOTIFY statement starts per this many ms unless a full batch
 * waits: other instances get events up to this much later, in a fraction
 * of the statements.
 */
const NOTIFY_EVERY_MS = 10;

const spillRef = z.object({ spill: z.number().int() });

interface Outgoing {
  event: BusEvent;
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
  readonly #subscribers: Subscribers;
  /** Notifications being handed on in order, behind a spilled one. */
  #inbox: Promise<void> = Promise.resolve();
  /** How many of them wait. */
  #waiting = 0;
  /** Events waiting to be notified, in publish order. */
  readonly #outbox: Outgoing[] = [];
  /** When the last NOTIFY statement started (`performance.now()`). */
  #notifiedAt = -Infinity;
  /**
   * How every payload this instance notifies begins: `{"o":"<tag>",` with a
   * tag random per process (not the configurable instance id, which two
   * replicas could share). Its own notifications are skipped by it when
   * they come back (the event was handed on when published); other fields
   * follow, so instances that don't know the tag parse the event as ever.
   */
  readonly #origin = `{"o":"${crypto.randomUUID().slice(0, 13)}",`;
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
    // A NOTIFY carries no record (messages are committed before they are
    // published), so it need not wait for a disk flush of its own.
    this.#sql = connect(url, 4, { asyncCommit: true });
    this.#id = options.instanceId ?? crypto.randomUUID();
    this.#ttlMs = ttl;
    this.#log = options.logger ?? logger("bus");
    this.#subscribers = new Subscribers(this.#log);
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
      await deadline(listener.unsafe(`LISTEN ${CHANNEL}`), DEADLINE_MS);
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
      this.#emit({ kind: "resync" });
      await this.#beat();
    })().finally(() => this.#relistening = undefined);
  }

  /**
   * Publishes to every instance: to this one at once, to the others by
   * `NOTIFY` (while PostgreSQL is away, to this one only). Never rejects.
   */
  publish(event: BusEvent): Promise<void> {
    this.#emit(event);
    if (event.kind === "resync") return Promise.resolve();
    return this.#enqueue(event);
  }

  /** `value` (an object) as notified: JSON, beginning with the origin tag. */
  #payload(value: object): string {
    return this.#origin + JSON.stringify(value).slice(1);
  }

  #enqueue(event: BusEvent): Promise<void> {
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
        // Local receivers have the events already: a short wait lets a
        // busy instance notify in fewer, larger statements.
        const wait = this.#notifiedAt + NOTIFY_EVERY_MS - performance.now();
        if (wait > 0 && this.#outbox.length < MAX_NOTIFY_BATCH) {
          await new Promise((r) => setTimeout(r, wait));
        }
        this.#notifiedAt = performance.now();
        const batch = this.#outbox.splice(0, MAX_NOTIFY_BATCH);
        let small: { payload: string; item: Outgoing }[] = [];
        const flush = async () => {
          if (small.length === 0) return;
          const sent = small;
          small = [];
          // One JSON array of the payloads: cheaper to send than a text[],
          // whose elements the client would escape one by one. Sent as text
          // (a parameter typed json would be encoded again by the client).
          const payloads = JSON.stringify(sent.map((s) => s.payload));
          await this.#notify(
            sent.map((s) => s.item),
            () =>
              this.#sql`SELECT pg_notify(${CHANNEL}, p) FROM (
                SELECT p FROM json_array_elements_text(${payloads}::text::json)
                  WITH ORDINALITY AS v(p, n) ORDER BY n) AS ordered`,
          );
        };
        for (const item of batch) {
          const payload = this.#payload(item.event);
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

  /**
   * Runs `send`; on failure `items` stay delivered here only (they were
   * when published). Never rejects.
   */
  async #notify(items: Outgoing[], send: () => Promise<unknown>) {
    try {
      // One unanswered statement must not hold back the events behind it.
      await deadline(send(), DEADLINE_MS);
    } catch (error) {
      // The store has them already; other instances catch up on resync.
      this.#log.warn(
        "publishing {n} events failed, delivered locally only: {error}",
        { n: items.length, error: String(error) },
      );
    }
    for (const item of items) item.done();
  }

  /** An event over NOTIFY's limit: stored, and notified by its row id. */
  async #spill(payload: string): Promise<void> {
    await this.#sql.begin(async (tx) => {
      const [row] = await tx<{ id: number }[]>`
        INSERT INTO bus_spill (payload) VALUES (${payload}) RETURNING id`;
      const ref = this.#payload({ spill: row.id });
      await tx`SELECT pg_notify(${CHANNEL}, ${ref})`;
      await tx`DELETE FROM bus_spill
        WHERE created_at < now() - make_interval(secs => ${SPILL_KEEP_S})`;
    });
  }

  subscribe(handler: (event: BusEvent) => void): void {
    this.#subscribers.add(handler);
  }

  /** Whether the listening connection is up and the last heartbeat is recent. */
  healthy(): Promise<boolean> {
    return Promise.resolve(
      !this.#closed && this.#listening &&
        Date.now() - this.#lastBeat < this.#ttlMs,
    );
  }

  /** Sends what is queued, stops the heartbeat and disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    // Events published just before (a hub's goodbye) still go out.
    while (this.#sending) await new Promise((r) => setTimeout(r, 5));
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#beating;
    this.#subscribers.clear();
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

  /** Asks PostgreSQL whether it answers. */
  #beat(): Promise<void> {
    return this.#beating ??= (async () => {
      try {
        await deadline(this.#sql`SELECT 1`, DEADLINE_MS);
        this.#lastBeat = Date.now();
      } catch (error) {
        if (this.#listening) {
          this.#log.warn("heartbeat failed: {error}", { error: String(error) });
        }
      }
    })().finally(() => this.#beating = undefined);
  }

  /**
   * Hands on a notification. A spilled event is read from `bus_spill`
   * first; notifications after it wait for it, so events keep their order.
   */
  #receive(raw: string): void {
    // Handed on when it was published.
    if (raw.startsWith(this.#origin)) return;
    const parsed = parseJson(raw);
    const ref = spillRef.safeParse(parsed);
    if (!ref.success && this.#waiting === 0) {
      return this.#subscribers.receive(parsed, raw);
    }
    this.#waiting++;
    const fetched = ref.success
      ? deadline(
        this.#sql<{ payload: string }[]>`
          SELECT payload FROM bus_spill WHERE id = ${ref.data.spill}`,
        DEADLINE_MS,
      ).then((rows) => rows[0]?.payload, () => undefined)
      : Promise.resolve(raw);
    this.#inbox = this.#inbox.then(async () => {
      const payload = await fetched;
      this.#waiting--;
      if (payload === undefined) this.#emit({ kind: "resync" });
      else this.#subscribers.receive(parseJson(payload), payload);
    });
  }

  #emit(event: BusEvent): void {
    this.#subscribers.emit(event);
  }
}
