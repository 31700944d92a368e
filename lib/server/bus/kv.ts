/**
 * The bus between instances over Deno KV, for Deno Deploy, where instances
 * are isolated and share nothing but KV. Events go into a short-lived log in
 * a few shards; each shard has a head key holding its latest sequence number.
 * Instances watch the head keys (`kv.watch` takes at most 10 keys and may skip
 * values, so a head only says "read the log up to here") and poll them as a
 * fallback, then read the log in order. Presence travels as events too (the
 * hubs replicate it); one instance's presence events share a shard, so they
 * stay in order.
 *
 * The log appender and the log reader share the shard layout and one health
 * state (a failure anywhere makes the next success emit `resync`).
 *
 * @module
 */
import { type Bus, type BusEvent, Subscribers, wireEvent } from "./bus.ts";
import { type Logger, logger } from "@/lib/server/log.ts";
import { Republisher } from "./republisher.ts";

/** Options of {@link KvBus}. */
export interface KvBusOptions {
  /** Shards of the event log, at most 10 (one watch call); defaults to 8. */
  shards?: number;
  /** How often heads are polled besides watching; defaults to 1000 ms. */
  pollMs?: number;
  /** How long log entries are kept; defaults to 60 000 ms. */
  logTtlMs?: number;
  /** Close `kv` when the bus closes; defaults to false. */
  ownsKv?: boolean;
  /** Where problems are logged; the "bus" logger by default. */
  logger?: Logger;
}

/** Events appended to a shard's log in one commit, at most. */
const APPEND_BATCH = 50;

const headKey = (shard: number) => ["bus", "head", shard];
const logKey = (shard: number, seq: number) => ["bus", "log", shard, seq];

/** A {@link Bus} shared by every instance using one KV database. */
export class KvBus implements Bus {
  readonly #kv: Deno.Kv;
  readonly #shards: number;
  readonly #o: Required<Omit<KvBusOptions, "logger" | "ownsKv">>;
  readonly #log: Logger;
  readonly #subscribers: Subscribers;
  /** The last sequence number delivered, per shard. */
  readonly #seen: number[];
  #reading: Promise<void> = Promise.resolve();
  #watch?: ReadableStreamDefaultReader<Deno.KvEntryMaybe<number>[]>;
  #timers: ReturnType<typeof setInterval>[] = [];
  #healthy = true;
  #closed = false;
  /** Message events whose publishing failed, published again later. */
  readonly #again = new Republisher((event) => this.publish(event));
  /** Events waiting to be appended, per shard. */
  readonly #outbox: { event: BusEvent; done: () => void }[][] = [];
  readonly #ownsKv: boolean;

  private constructor(kv: Deno.Kv, options: KvBusOptions, seen: number[]) {
    this.#kv = kv;
    this.#shards = seen.length;
    this.#o = {
      shards: seen.length,
      pollMs: options.pollMs ?? 1000,
      logTtlMs: options.logTtlMs ?? 60_000,
    };
    this.#log = options.logger ?? logger("bus");
    this.#subscribers = new Subscribers(this.#log);
    this.#ownsKv = options.ownsKv ?? false;
    this.#seen = seen;
  }

  /** Starts a bus on `kv`, delivering events published from now on. */
  static async open(kv: Deno.Kv, options: KvBusOptions = {}): Promise<KvBus> {
    const shards = options.shards ?? 8;
    if (!(shards >= 1 && shards <= 10)) {
      throw new RangeError("shards must be 1 to 10");
    }
    const heads = await kv.getMany<number[]>(
      Array.from({ length: shards }, (_, i) => headKey(i)),
    );
    const bus = new KvBus(kv, options, heads.map((h) => h.value ?? 0));
    bus.#start();
    return bus;
  }

  publish(event: BusEvent): Promise<void> {
    if (event.kind === "resync") {
      this.#emit(event);
      return Promise.resolve();
    }
    return this.#append(event);
  }

  subscribe(handler: (event: BusEvent) => void): void {
    this.#subscribers.add(handler);
  }

  async healthy(): Promise<boolean> {
    if (this.#closed) return false;
    try {
      await this.#kv.get(headKey(0));
      return this.#healthy;
    } catch {
      return false;
    }
  }

  /** Sends what is queued, then stops watching. */
  async close(): Promise<void> {
    if (this.#closed) return;
    // Events published just before (a hub's goodbye) still go out.
    while (this.#outbox.some((q) => q.length > 0)) {
      await new Promise((r) => setTimeout(r, 5));
    }
    this.#closed = true;
    this.#again.close();
    this.#timers.forEach(clearInterval);
    await this.#watch?.cancel().catch((e) => this.#fail("closing", e));
    await this.#reading;
    this.#subscribers.clear();
    if (this.#ownsKv) this.#kv.close();
  }

  #start(): void {
    const stream = this.#kv.watch<number[]>(
      Array.from({ length: this.#shards }, (_, i) => headKey(i)),
    );
    this.#watch = stream.getReader();
    (async () => {
      try {
        for (;;) {
          const { done, value } = await this.#watch!.read();
          if (done) break;
          this.#pull(value.map((e) => (e.value as number | null) ?? 0));
        }
      } catch (error) {
        if (!this.#closed) this.#fail("watching", error);
      }
    })();
    // Watching can miss writes from other processes on a local KV file; polling can't.
    this.#timers.push(setInterval(() => this.#poll(), this.#o.pollMs));
  }

  async #poll(): Promise<void> {
    try {
      const heads = await this.#kv.getMany<number[]>(
        Array.from({ length: this.#shards }, (_, i) => headKey(i)),
      );
      this.#recovered();
      this.#pull(heads.map((h) => h.value ?? 0));
    } catch (error) {
      this.#fail("polling", error);
    }
  }

  /** Reads every shard's log from the last seen entry up to `heads`, in order. */
  #pull(heads: number[]): void {
    this.#reading = this.#reading.then(async () => {
      for (let shard = 0; shard < this.#shards; shard++) {
        const from = this.#seen[shard];
        const to = heads[shard];
        if (to <= from || this.#closed) continue;
        let next = from + 1;
        for await (
          const entry of this.#kv.list<unknown>({
            start: logKey(shard, from + 1),
            end: logKey(shard, to + 1),
          })
        ) {
          const seq = entry.key[3] as number;
          // Entries that expired before we read them: history has the messages.
          if (seq !== next) this.#emit({ kind: "resync" });
          next = seq + 1;
          const event = wireEvent.safeParse(entry.value);
          if (event.success) this.#emit(event.data);
        }
        if (next !== to + 1) this.#emit({ kind: "resync" });
        this.#seen[shard] = Math.max(this.#seen[shard], to);
      }
    }).catch((error) => this.#fail("reading the log", error));
  }

  /**
   * Appends `event` to its shard's log. Events of one shard queue up here
   * and go out together in one commit, so an instance never races itself;
   * other instances' commits are retried with a growing, jittered wait.
   */
  #append(event: Exclude<BusEvent, { kind: "resync" }>): Promise<void> {
    const shard = shardOf(orderKey(event), this.#shards);
    return new Promise((resolve) => {
      const queue = this.#outbox[shard] ??= [];
      queue.push({ event, done: resolve });
      if (queue.length === 1) this.#flushShard(shard);
    });
  }

  async #flushShard(shard: number): Promise<void> {
    const queue = this.#outbox[shard];
    while (queue.length > 0) {
      const batch = queue.slice(0, APPEND_BATCH);
      const events = batch.map((b) => b.event);
      let sent = false;
      for (let attempt = 0; attempt < 50 && !sent; attempt++) {
        try {
          const head = await this.#kv.get<number>(headKey(shard));
          const first = (head.value ?? 0) + 1;
          const op = this.#kv.atomic().check(head);
          events.forEach((e, i) =>
            op.set(logKey(shard, first + i), e, { expireIn: this.#o.logTtlMs })
          );
          op.set(headKey(shard), first + events.length - 1);
          sent = (await op.commit()).ok;
          if (sent) this.#recovered();
          else {
            await new Promise((r) =>
              setTimeout(r, Math.random() * Math.min(50, 2 * attempt))
            );
          }
        } catch (error) {
          this.#fail("publishing", error);
          break;
        }
      }
      if (!sent) {
        // Stored messages still reach other instances when they next fill
        // a gap; local clients get every event now.
        this.#log.warn(
          "publishing to shard {shard} failed; delivering locally",
          {
            shard,
          },
        );
        for (const e of events) {
          this.#emit(e);
          this.#again.failed(e);
        }
      }
      queue.splice(0, batch.length);
      for (const b of batch) b.done();
    }
  }

  #emit(event: BusEvent): void {
    this.#subscribers.emit(event);
  }

  #fail(what: string, error: unknown): void {
    if (this.#healthy) {
      this.#log.warn("KV bus {what} failed: {error}", {
        what,
        error: String(error),
      });
    }
    this.#healthy = false;
  }

  #recovered(): void {
    if (this.#healthy) return;
    this.#healthy = true;
    this.#log.info("KV bus is back; resyncing");
    this.#emit({ kind: "resync" });
  }
}

/** What decides an event's shard: events of one key stay in order. */
function orderKey(event: Exclude<BusEvent, { kind: "resync" }>): string {
  switch (event.kind) {
    case "message":
      return event.message.room;
    case "people":
    case "instance":
    case "catch_up":
      return `instance:${event.instance}`;
    case "to_member":
      return `member:${event.key}`;
    case "logged_out":
      return `account:${event.user}`;
    default:
      return event.room;
  }
}

/** A stable shard for a key. */
function shardOf(room: string, shards: number): number {
  let h = 2166136261;
  for (let i = 0; i < room.length; i++) {
    h = Math.imul(h ^ room.charCodeAt(i), 16777619);
  }
  return (h >>> 0) % shards;
}
