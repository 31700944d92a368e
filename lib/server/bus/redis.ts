/**
 * The bus between instances over Redis: events travel on one pub/sub
 * channel (presence too: the hubs replicate it with events). A heartbeat
 * `PING` tells whether Redis still answers.
 *
 * Redis is not the record: messages are in the shared store before they are
 * published, so while Redis is away the bus logs, delivers to this instance
 * only, keeps serving, reconnects with backoff and then emits `resync` so the
 * hub re-reads history.
 *
 * @module
 */
import { createClient } from "redis";
import { type Bus, type BusEvent, parseJson, Subscribers } from "./bus.ts";
import { type Logger, logger } from "@/lib/server/log.ts";
import { Republisher } from "./republisher.ts";
import { deadline } from "@/lib/server/store/deadline.ts";
import { firstLine, StartError } from "@/lib/server/start_error.ts";

/** Options of {@link RedisBus.connect}. */
export interface RedisBusOptions {
  /** Names this instance in logs; defaults to a random UUID. */
  instanceId?: string;
  /** Without a heartbeat answered for this long the bus is unhealthy; defaults to 3 heartbeats. */
  presenceTtlMs?: number;
  /** How often Redis is pinged; defaults to 1000. */
  heartbeatMs?: number;
  /** How long the first connection may take before `connect` rejects; defaults to 10 000. */
  connectTimeoutMs?: number;
  /** A Redis command unanswered for this long fails; defaults to 2000. */
  commandTimeoutMs?: number;
  /** Where the bus logs; defaults to `logger("bus")`. */
  logger?: Logger;
  /**
   * The id of the store's KV file (see `KvStore.storeId`): instances on
   * one Redis must share one file, so one with another file is refused.
   */
  storeId?: string;
}

const CHANNEL = "chat:events";

/** Where the instances on a Redis say which KV file they share. */
const STORE_KEY = "chat:kv_file";

/** How long that lasts unless a heartbeat renews it. */
const STORE_TTL_S = 30;

/**
 * Sets `KEYS[1]` to `ARGV[1]` for `ARGV[2]` s unless it holds another
 * value, which it answers (nil when set).
 */
const SAY_STORE = `
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then return held end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
return false`;

/** A client that fails commands fast while disconnected, and reconnects by `backoff`. */
function redisClient(
  url: string,
  timeout: number,
  backoff: (retries: number, cause: Error) => number | Error,
) {
  return createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout },
    socket: { reconnectStrategy: backoff },
  });
}

type Client = ReturnType<typeof redisClient>;

/**
 * A {@link Bus} shared by every instance connected to one Redis.
 *
 * @example
 * ```ts
 * const bus = await RedisBus.connect("redis://127.0.0.1:6379");
 * const chat = await Chat.open({ config, bus });
 * ```
 */
export class RedisBus implements Bus {
  readonly #cmd: Client;
  readonly #sub: Client;
  readonly #id: string;
  readonly #ttl: number;
  readonly #log: Logger;
  readonly #subscribers: Subscribers;
  #timer?: ReturnType<typeof setInterval>;
  #beating?: Promise<void>;
  #lastBeat = 0;
  #lost = false;
  /** The KV file this instance says it stores in, if any. */
  #storeId?: string;
  /** Whether another KV file was found recorded since the start. */
  #storeClash = false;
  /** Whether a failed publish was logged since Redis was last reachable. */
  #publishWarned = false;
  #closed = false;
  /** Whether the subscriber connection is being asked to answer. */
  #probing = false;
  readonly #commandTimeoutMs: number;
  /** Message events whose publishing failed, published again later. */
  readonly #again = new Republisher((event) => this.publish(event));
  /** Set once first connected; before that, connecting gives up at {@link #giveUpAt}. */
  #started = false;
  readonly #giveUpAt: number;

  private constructor(url: string, options: RedisBusOptions, ttl: number) {
    this.#id = options.instanceId ?? crypto.randomUUID();
    this.#ttl = ttl;
    this.#log = options.logger ?? logger("bus");
    this.#subscribers = new Subscribers(this.#log);
    this.#giveUpAt = Date.now() + (options.connectTimeoutMs ?? 10_000);
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 2000;
    this.#cmd = redisClient(
      url,
      this.#commandTimeoutMs,
      (retries, cause) => this.#backoff(retries, cause),
    );
    this.#sub = this.#cmd.duplicate();
    this.#watch(this.#cmd, "commands");
    this.#watch(this.#sub, "subscriber");
  }

  /**
   * Connects to the Redis at `url` and starts heartbeating. Rejects with a
   * one-line {@link StartError} when Redis cannot be reached within
   * `connectTimeoutMs`; after that the bus reconnects by itself, whatever
   * the outage.
   */
  static async connect(
    url: string,
    options: RedisBusOptions = {},
  ): Promise<RedisBus> {
    const heartbeatMs = options.heartbeatMs ?? 1000;
    const ttl = options.presenceTtlMs ?? 3 * heartbeatMs;
    if (!(heartbeatMs > 0 && ttl > heartbeatMs)) {
      throw new RangeError(
        "presenceTtlMs must exceed heartbeatMs, and both be positive",
      );
    }
    const bus = new RedisBus(url, options, ttl);
    const cmd = bus.#cmd, sub = bus.#sub;
    try {
      const results = await Promise.allSettled([cmd.connect(), sub.connect()]);
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
      await sub.subscribe(CHANNEL, (raw) => bus.#receive(raw));
    } catch (error) {
      for (const c of [cmd, sub]) if (c.isOpen) c.destroy();
      throw new StartError(
        `REDIS_URL: Redis at ${redact(url)} is unreachable: ${
          firstLine(error)
        }`,
      );
    }
    bus.#started = true;
    if (options.storeId !== undefined) {
      await bus.#claimStore(url, options.storeId);
    }
    await bus.#beat();
    bus.#timer = setInterval(() => bus.#beat(), heartbeatMs);
    bus.#log.info("connected to Redis at {url} as {instance}", {
      url: redact(url),
      instance: bus.#id,
    });
    return bus;
  }

  /** Publishes to every instance; while Redis is away, to this one only. Never rejects. */
  async publish(event: BusEvent): Promise<void> {
    if (event.kind === "resync") return this.#emit(event);
    try {
      await this.#cmd.publish(CHANNEL, JSON.stringify(event));
      this.#publishWarned = false;
    } catch (error) {
      // Delivered here now; a message goes to the others again later (see
      // `republisher.ts`).
      this.#again.failed(event);
      // Once per outage: a busy server would write a line per event.
      if (!this.#publishWarned) {
        this.#publishWarned = true;
        this.#log.warn(
          "publishing a {kind} event failed, delivering locally until Redis is back: {error}",
          {
            kind: event.kind,
            error: String(error),
          },
        );
      }
      this.#emit(event);
    }
  }

  subscribe(handler: (event: BusEvent) => void): void {
    this.#subscribers.add(handler);
  }

  degraded(): boolean {
    return this.#started && !this.#closed &&
      (this.#lost || !this.#cmd.isReady || !this.#sub.isReady);
  }

  /** Whether both connections are up and the last heartbeat is recent. */
  healthy(): Promise<boolean> {
    return Promise.resolve(
      !this.#closed && this.#cmd.isReady && this.#sub.isReady &&
        !this.#storeClash && Date.now() - this.#lastBeat < this.#ttl,
    );
  }

  /** Stops the heartbeat and disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#again.close();
    clearInterval(this.#timer);
    await this.#beating;
    this.#subscribers.clear();
    for (const c of [this.#sub, this.#cmd]) {
      // A connection gone silent would never answer the QUIT.
      if (c.isReady) {
        await deadline(c.close(), this.#commandTimeoutMs).catch(() =>
          c.destroy()
        );
      } else if (c.isOpen) c.destroy();
    }
  }

  /** Exponential backoff with jitter; gives up only on the first connection. */
  #backoff(retries: number, cause: Error): number | Error {
    const wait = Math.min(50 * 2 ** retries, 2000) + Math.random() * 50;
    if (!this.#started && Date.now() + wait > this.#giveUpAt) return cause;
    this.#log.debug("reconnecting to Redis in {wait} ms (attempt {attempt})", {
      wait: Math.round(wait),
      attempt: retries + 1,
    });
    return wait;
  }

  #watch(client: Client, name: string): void {
    client.on("error", (error: unknown) => {
      this.#log.debug("Redis {connection} connection: {error}", {
        connection: name,
        error: String(error),
      });
    });
    client.on("reconnecting", () => {
      if (this.#lost || this.#closed || !this.#started) return;
      this.#lost = true;
      this.#log.warn(
        "lost the Redis {connection} connection; reconnecting with backoff",
        {
          connection: name,
        },
      );
    });
    client.on("ready", () => {
      if (
        this.#lost && !this.#closed && this.#cmd.isReady && this.#sub.isReady
      ) {
        this.#recover();
      }
    });
  }

  /** Both connections are back: re-read history (the hubs resync presence by themselves). */
  #recover(): void {
    this.#lost = false;
    this.#publishWarned = false;
    this.#log.info("reconnected to Redis; resyncing");
    this.#emit({ kind: "resync" });
    this.#beat();
  }

  /**
   * Asks the subscriber connection itself to answer. A connection cut
   * without a FIN (a network path gone, a NAT that forgot it) never closes,
   * and would leave this bus deaf to the others for good; no answer in time
   * counts as a lost connection: it is made again, with a `resync`.
   */
  #probeSubscriber(): void {
    if (this.#probing || this.#closed || !this.#sub.isReady) return;
    this.#probing = true;
    // The duplicated client keeps no command timeout: the deadline is ours.
    deadline(this.#sub.ping(), this.#commandTimeoutMs).then(
      () => {},
      () => {
        if (this.#closed || !this.#sub.isReady) return;
        this.#lost = true;
        this.#log.warn(
          "the Redis subscriber connection stopped answering; reconnecting with backoff",
        );
        this.#sub.destroy();
        return this.#reconnectSubscriber();
      },
    ).finally(() => this.#probing = false);
  }

  /** Connects the subscriber again (it subscribes again by itself). */
  async #reconnectSubscriber(): Promise<void> {
    for (let attempt = 0; !this.#closed; attempt++) {
      try {
        await this.#sub.connect();
        if (this.#closed) this.#sub.destroy();
        return;
      } catch {
        const wait = Math.min(50 * 2 ** attempt, 2000);
        await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random())));
      }
    }
  }

  /**
   * Says which KV file this instance stores in, unless the instances
   * already on this Redis use another: then the start stops, as their
   * histories would split. A Redis that takes no writes from this user (an
   * ACL for pub/sub only, or full) skips the check, with a warning.
   */
  async #claimStore(url: string, id: string): Promise<void> {
    let other: string | null;
    try {
      other = await this.#sayStore(id);
    } catch (error) {
      this.#log.warn(
        "can't record in Redis which KV file this instance uses ({error}); instances sharing Redis must share one KV file",
        { error: String(error) },
      );
      return;
    }
    if (other === null) {
      this.#storeId = id;
      return;
    }
    await this.close();
    throw new StartError(
      `REDIS_URL: the instances on Redis at ${
        redact(url)
      } use another KV file; instances sharing Redis must share one KV file (KV_PATH, on one host) or one PostgreSQL (DATABASE_URL). If they have stopped, start again in ${STORE_TTL_S} s`,
    );
  }

  /**
   * Records (or renews) `id` as the KV file of the instances on this Redis
   * unless another is recorded: null, or the other id.
   */
  async #sayStore(id: string): Promise<string | null> {
    const other = await this.#cmd.eval(SAY_STORE, {
      keys: [STORE_KEY],
      arguments: [id, String(STORE_TTL_S)],
    });
    return typeof other === "string" ? other : null;
  }

  /**
   * Renews the record of this instance's KV file; another recorded since
   * (Redis emptied, and an instance with another file came first) makes
   * this bus unhealthy, logged once, until the record is this one's again.
   */
  async #renewStore(id: string): Promise<void> {
    try {
      const other = await this.#sayStore(id);
      if (other !== null && !this.#storeClash) {
        this.#log.error(
          "another instance on this Redis uses another KV file: the histories split; stop one of them",
        );
      }
      this.#storeClash = other !== null;
    } catch { /* Redis away or refusing writes: the heartbeat tells. */ }
  }

  /** Pings Redis, to tell whether it still answers. */
  #beat(): Promise<void> {
    this.#probeSubscriber();
    return this.#beating ??= (async () => {
      if (!this.#cmd.isReady) return;
      try {
        await this.#cmd.ping();
        this.#lastBeat = Date.now();
      } catch (error) {
        if (this.#cmd.isReady) {
          this.#log.warn("heartbeat failed: {error}", { error: String(error) });
        }
        return;
      }
      if (this.#storeId !== undefined) await this.#renewStore(this.#storeId);
    })().finally(() => this.#beating = undefined);
  }

  #receive(raw: string): void {
    this.#subscribers.receive(parseJson(raw), raw);
  }

  #emit(event: BusEvent): void {
    this.#subscribers.emit(event);
  }
}

/** The URL without its password, for logs and errors. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(invalid URL)";
  }
}
