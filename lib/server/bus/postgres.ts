/**
 * The bus between instances over PostgreSQL, so a team running PostgreSQL
 * needs nothing else (`BUS=postgres`): events travel by `NOTIFY` on one
 * channel that every instance `LISTEN`s to on a connection of its own.
 * Presence travels as events too (the hubs replicate it); the tables
 * `bus_presence` and `bus_instances` of older versions are no longer used.
 * A heartbeat query tells whether PostgreSQL still answers.
 *
 * Events published together travel packed, as many per notification as
 * fit in 7000 bytes (`{"o":"<origin>","events":[...]}`): every listener,
 * this instance included, then reads one notification per batch rather than
 * one per event. A `NOTIFY` payload holds at most 8000 bytes; a larger event
 * is written to `bus_spill` and the notification carries its row id. A
 * notification holding one bare event, as versions before packing sent
 * them, is still understood; those versions log packed ones as malformed,
 * so replicas are upgraded together.
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
 * A message nobody else can need is not notified at all. Each bus enters
 * its tag in `bus_listeners` once it listens, under an exclusive advisory
 * lock, and renews it with the heartbeat; each commit of sends reads the
 * table under the shared lock and returns the tags (`Appended.listeners`).
 * When they are this bus's alone, the message stays here: a bus that
 * registers later waited for that commit to end, so its clients find the
 * message in history. The heartbeat drops entries silent for 30 seconds
 * (an instance that died); a live bus that finds its own gone registers
 * again and emits `resync`. A lone instance thus sends no `NOTIFY` per
 * message, only its presence beats.
 *
 * @module
 */
import postgres from "postgres";
import { z } from "zod";
import {
  type Bus,
  type BusEvent,
  parseJson,
  type PublishOptions,
  Subscribers,
} from "./bus.ts";
import { type Logger, logger } from "@/lib/server/log.ts";
import {
  connect,
  type Db,
  redactUrl,
  StoreOpenError,
} from "@/lib/server/store/postgres.ts";
import {
  LISTENERS_LOCK_KEY,
  migrate,
} from "@/lib/server/store/postgres_schema.ts";
import { deadline, DEADLINE_MS } from "@/lib/server/store/deadline.ts";
import { renewablePool } from "@/lib/server/store/postgres_pool.ts";
import { begin } from "@/lib/server/store/cancellable.ts";
import { Republisher } from "./republisher.ts";
import { utf8Length } from "@/lib/shared/protocol.ts";

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
  /**
   * Milliseconds a statement may go unanswered before it counts as an
   * outage (default 10,000).
   */
  deadlineMs?: number;
}

/** The channel every instance listens on. */
const CHANNEL = "chat_events";
/** The `application_name` of each instance's listening connection. */
export const LISTENER_NAME = "chat bus listener";
/** Payloads above this go through `bus_spill` (NOTIFY's limit is 8000 bytes). */
const MAX_PAYLOAD_BYTES = 7000;
/** Spilled events are kept this long for slow listeners. */
const SPILL_KEEP_S = 60;
const MAX_BACKOFF_MS = 2000;

/**
 * A listener entry not renewed for this many seconds is removed by the
 * other buses' heartbeats (an instance that died without closing).
 */
const LISTENER_EXPIRY_S = 30;
/** Events per NOTIFY statement. */
const MAX_NOTIFY_BATCH = 200;
/**
 * Bytes a packed payload adds to its events: the origin tag, its number and
 * `"events":[]}`.
 */
const PACK_OVERHEAD = 64;
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
  /** Renews `#sql`'s connections (see `postgres_pool.ts`). */
  readonly #renew: () => void;
  readonly #url: string;
  readonly #id: string;
  readonly #ttlMs: number;
  readonly #deadlineMs: number;
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
   * they come back (their events were handed on when published).
   */
  readonly #origin: string;
  /** This process's tag: in its payloads' origin and in `bus_listeners`. */
  readonly #tag = crypto.randomUUID().slice(0, 13);
  #sending = false;
  /**
   * Numbers this process's packed payloads: PostgreSQL delivers identical
   * payloads notified in one transaction once, so no two may be alike.
   */
  #packs = 0;
  #listener?: Db;
  #listening = false;
  /** Message events whose notification failed, notified again later. */
  readonly #again = new Republisher((event) => this.publish(event));
  #relistening?: Promise<void>;
  #timer?: ReturnType<typeof setInterval>;
  #beating?: Promise<void>;
  /** Set while the listening connection is asked whether it answers. */
  #probing = false;
  #lastBeat = 0;
  #closed = false;

  private constructor(url: string, options: PostgresBusOptions, ttl: number) {
    this.#url = url;
    // A NOTIFY carries no record (messages are committed before they are
    // published), so it need not wait for a disk flush of its own.
    const pool = renewablePool(() => connect(url, 4, { asyncCommit: true }));
    this.#sql = pool.db;
    this.#renew = () => pool.renew();
    this.#id = options.instanceId ?? crypto.randomUUID();
    this.#origin = `{"o":"${this.#tag}",`;
    this.#ttlMs = ttl;
    this.#deadlineMs = options.deadlineMs ?? DEADLINE_MS;
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
      await bus.#register();
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
      // Named, so an operator (or a test) tells it apart in pg_stat_activity.
      connection: { application_name: LISTENER_NAME },
      onnotify: (channel: string, payload: string) => {
        if (channel === CHANNEL) this.#receive(payload);
      },
      onclose: () => this.#lost(listener),
    } as postgres.Options<Record<string, never>>) as unknown as Db;
    this.#listener = listener;
    try {
      await deadline(listener.unsafe(`LISTEN ${CHANNEL}`), this.#deadlineMs);
    } catch (error) {
      this.#listener = undefined;
      await listener.end({ timeout: 0 }).catch(() => {});
      throw error;
    }
    this.#listening = true;
  }

  /** Closes the listening connection, if any, without reacting to its close. */
  async #dropListener(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    this.#listening = false;
    await listener?.end({ timeout: 0 }).catch(() => {});
  }

  /** The listening connection closed: log once, then listen again with backoff. */
  #lost(listener: Db): void {
    if (this.#closed || listener !== this.#listener || !this.#listening) return;
    this.#listening = false;
    this.#log.warn(
      "lost the PostgreSQL listening connection; reconnecting with backoff",
    );
    listener.end({ timeout: 0 }).catch(() => {});
    this.#relisten();
  }

  /**
   * Listens again with backoff, registers, and emits `resync`. A listener
   * lost again meanwhile (while registering waits for the lock, say) finds
   * this loop running and starts none: the loop itself goes on until it
   * ends listening, and if it was lost as the loop ended, it starts again.
   */
  #relisten(): void {
    this.#relistening ??= (async () => {
      for (let attempt = 0; !this.#closed; attempt++) {
        const wait = Math.min(50 * 2 ** attempt, MAX_BACKOFF_MS);
        await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random())));
        if (this.#closed) return;
        try {
          await this.#listen();
          await this.#register();
          if (this.#listening) break;
        } catch {
          // Still down: logged once already. A listener opened before the
          // registration failed goes too, or once the next attempt listens
          // every notification would arrive twice. The next attempt starts
          // from fresh connections: the outage may have left the pool's
          // stuck for good (see `postgres_pool.ts`).
          await this.#dropListener();
          this.#renew();
        }
      }
      if (this.#closed) return;
      this.#log.info("listening on PostgreSQL again; resyncing");
      this.#emit({ kind: "resync" });
      await this.#beat();
    })().finally(() => {
      this.#relistening = undefined;
      if (!this.#closed && !this.#listening) this.#relisten();
    });
  }

  /**
   * Publishes to every instance: to this one at once, to the others by
   * `NOTIFY` (while PostgreSQL is away, to this one only). Never rejects.
   */
  publish(event: BusEvent, options: PublishOptions = {}): Promise<void> {
    this.#emit(event);
    if (event.kind === "resync") return Promise.resolve();
    // Its commit saw no other bus listening: one registering since then
    // reads it from history.
    if (options.listeners === this.#tag) return Promise.resolve();
    return this.#enqueue(event);
  }

  /**
   * Enters this bus in `bus_listeners` under the exclusive lock: commits of
   * sends in flight end first, and every later one lists it.
   */
  async #register(): Promise<void> {
    await deadline(
      begin(this.#sql, async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${LISTENERS_LOCK_KEY.toString()}::bigint)`;
        await tx`INSERT INTO bus_listeners (tag) VALUES (${this.#tag})
          ON CONFLICT (tag) DO UPDATE SET beat_at = now()`;
      }),
      this.#deadlineMs,
    );
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
        let packed: string[] = [];
        let bytes = 0;
        let payloads: string[] = [];
        let items: Outgoing[] = [];
        const pack = () => {
          if (packed.length === 0) return;
          payloads.push(
            `${this.#origin}"n":${++this.#packs},"events":[${
              packed.join(",")
            }]}`,
          );
          packed = [];
          bytes = 0;
        };
        const flush = async () => {
          pack();
          if (payloads.length === 0) return;
          // One JSON array of the payloads: cheaper to send than a text[],
          // whose elements the client would escape one by one. Sent as text
          // (a parameter typed json would be encoded again by the client).
          const json = JSON.stringify(payloads);
          const sent = items;
          payloads = [];
          items = [];
          await this.#notify(
            sent,
            () =>
              this.#sql`SELECT pg_notify(${CHANNEL}, p) FROM (
                SELECT p FROM json_array_elements_text(${json}::text::json)
                  WITH ORDINALITY AS v(p, n) ORDER BY n) AS ordered`,
          );
        };
        for (const item of batch) {
          const json = JSON.stringify(item.event);
          const size = utf8Length(json) + 1;
          if (size + PACK_OVERHEAD > MAX_PAYLOAD_BYTES) {
            await flush();
            await this.#notify([item], () => this.#spill(json));
            continue;
          }
          if (bytes + size + PACK_OVERHEAD > MAX_PAYLOAD_BYTES) pack();
          packed.push(json);
          bytes += size;
          items.push(item);
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
      await deadline(send(), this.#deadlineMs);
    } catch (error) {
      // Delivered here when published; messages go to the others again
      // later (see `republisher.ts`).
      this.#log.warn(
        "publishing {n} events failed, delivered locally only for now: {error}",
        { n: items.length, error: String(error) },
      );
      for (const item of items) this.#again.failed(item.event);
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

  /**
   * True while this bus listens to no one (its listening connection lost
   * and not back yet): the hub then reads its rooms' new messages from the
   * store every second, so chat with the other instances goes on.
   */
  degraded(): boolean {
    return !this.#closed && !this.#listening;
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
    this.#again.close();
    clearInterval(this.#timer);
    await this.#beating;
    this.#subscribers.clear();
    // The others stop listing this instance (and counting on it).
    await deadline(
      this.#sql`DELETE FROM bus_listeners WHERE tag = ${this.#tag}`,
      1000,
    ).catch(() => {});
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

  /**
   * Asks PostgreSQL whether it answers, renewing this bus's entry in
   * `bus_listeners`. An entry gone (expired while this instance stalled)
   * means others may have kept messages from it: it registers again and
   * emits `resync`, so the hub reads them from history.
   */
  #beat(): Promise<void> {
    this.#probeListener();
    return this.#beating ??= (async () => {
      try {
        const renewed = await deadline(
          this.#sql`
            WITH expired AS (
              DELETE FROM bus_listeners WHERE tag <> ${this.#tag}
                AND beat_at < now() - make_interval(secs => ${LISTENER_EXPIRY_S})
            )
            UPDATE bus_listeners SET beat_at = now()
            WHERE tag = ${this.#tag} RETURNING tag`,
          this.#deadlineMs,
        );
        this.#lastBeat = Date.now();
        if (renewed.length === 0 && this.#listening && !this.#closed) {
          this.#log.warn("this bus was no longer listed; registering again");
          await this.#register();
          this.#emit({ kind: "resync" });
        }
      } catch (error) {
        if (this.#listening) {
          this.#log.warn("heartbeat failed: {error}", { error: String(error) });
        }
      }
    })().finally(() => this.#beating = undefined);
  }

  /**
   * Asks the listening connection itself to answer. A connection cut
   * without a FIN (a network path gone) never closes, which would leave this
   * bus deaf to the others for good; no answer within the deadline counts
   * as a lost connection: it is listened again, with a `resync`.
   */
  #probeListener(): void {
    const listener = this.#listener;
    if (!listener || !this.#listening || this.#probing || this.#closed) return;
    this.#probing = true;
    deadline(listener`SELECT 1`, this.#deadlineMs).then(
      () => {},
      () => {
        if (listener === this.#listener && !this.#closed) this.#lost(listener);
      },
    ).finally(() => this.#probing = false);
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
      return this.#handOn(parsed, raw);
    }
    this.#waiting++;
    const fetched = ref.success
      ? deadline(
        this.#sql<{ payload: string }[]>`
          SELECT payload FROM bus_spill WHERE id = ${ref.data.spill}`,
        this.#deadlineMs,
      ).then((rows) => rows[0]?.payload, () => undefined)
      : Promise.resolve(raw);
    this.#inbox = this.#inbox.then(async () => {
      const payload = await fetched;
      this.#waiting--;
      if (payload === undefined) this.#emit({ kind: "resync" });
      else this.#handOn(parseJson(payload), payload);
    });
  }

  /** Hands on a notification's events: a packed list, or one event. */
  #handOn(parsed: unknown, raw: string): void {
    const events = (parsed as { events?: unknown } | undefined)?.events;
    if (!Array.isArray(events)) return this.#subscribers.receive(parsed, raw);
    for (const event of events) this.#subscribers.receive(event, raw);
  }

  #emit(event: BusEvent): void {
    this.#subscribers.emit(event);
  }
}
