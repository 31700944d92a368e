/**
 * One load session: a fresh server under test, the load-generator workers
 * connected to it, and sending phases whose figures are merged across the
 * workers (deliveries, loss, latency, CPU of server, generator and others).
 *
 * @module
 */
import { Driver } from "./driver.ts";
import { Histogram, type Summary } from "./histogram.ts";
import type {
  Connected,
  Disconnected,
  PhaseResult,
  Reconnected,
  WorkerConfig,
} from "./load_worker.ts";
import { wallNow } from "./load_worker.ts";
import { cpuSeconds, machineCpu, rssBytes } from "./proc_stats.ts";
import {
  type ServerProcess,
  startServer,
  startWorker,
  type Target,
  type WorkerProcess,
} from "./processes.ts";

/** How the clients of a session are laid out. */
export interface Layout {
  clients: number;
  rooms: string[];
  /** Senders in total, spread over the workers. */
  senders: number;
  identity: WorkerConfig["identity"];
  workers: number;
  /** Connections opening at once per worker. */
  concurrency: number;
  deadlineMs: number;
  /** Rooms each client joins (1 by default). */
  roomsPerClient?: number;
  /** The silence that counts as settled after the joins (300 ms by default). */
  quietMs?: number;
}

/** The figures of the connect (and join) step. */
export interface ConnectSummary {
  ready: number;
  failed: number;
  /** Why clients failed, by reason. */
  failures: Record<string, number>;
  /** From the first socket opened to the last `welcome`, any worker. */
  allWelcomedMs: number;
  /** To the last `joined`, 0 without joins. */
  allJoinedMs: number;
  /** Until frames stopped arriving (presence traffic after joins). */
  quietMs: number;
  welcome: Summary;
  join: Summary;
  /** Bytes of frames received while connecting, all clients. */
  mb: number;
  /** Every frame received meanwhile, by type (`event`: membership events). */
  frames: Record<string, number>;
  closes: Record<string, number>;
  serverCpu: number;
  generatorCpu: number;
}

/** The figures of a reconnect with `since`: the settle, and what arrived. */
export interface ReconnectSummary extends ConnectSummary {
  /** Client-rooms checked (each client back × each of its rooms). */
  checked: number;
  /** Messages each client missed, summed; received of them; missing; repeated. */
  expected: number;
  replayed: number;
  lost: number;
  duplicated: number;
}

/** The merged figures of one sending phase. */
export interface PhaseSummary {
  /** Target and achieved sends per second, all senders. */
  rate: number;
  sentPerS: number;
  sent: number;
  acked: number;
  /** Every member must get every sent message. */
  expected: number;
  deliveries: number;
  deliveriesPerS: number;
  lost: number;
  late: number;
  disorder: number;
  errors: Record<string, number>;
  closes: Record<string, number>;
  latency: Summary;
  ack: Summary;
  /** CPU cores busy on average: the server, the workers, everything else. */
  serverCores: number;
  generatorCores: number;
  otherCores: number;
  /** Server CPU microseconds per delivery. */
  serverUsPerDelivery: number;
  seconds: number;
}

/** Settings that keep the app from rate-limiting or dropping the bench. */
export const APP_ENV: Record<string, string> = {
  LOG_LEVEL: "error",
  RATE_PER_SECOND: "10000",
  RATE_BURST: "100000",
  MAX_CONNECTIONS_PER_IP: "1000000",
  MAX_ROOMS: "1000000",
  MAX_ROOMS_PER_USER: "10000",
  IDLE_TIMEOUT_S: "300",
};

const split = (n: number, parts: number, i: number) =>
  Math.floor(n * (i + 1) / parts) - Math.floor(n * i / parts);

const addAll = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
  return into;
};

/** A server under load from a set of workers. */
export class Session {
  #phase = 0;
  private constructor(
    readonly server: ServerProcess,
    readonly workers: WorkerProcess[],
    readonly layout: Layout,
    readonly tempDir: string | undefined,
  ) {}

  /**
   * Starts a fresh server and the workers, without connecting yet. On the
   * app, a driver client creates `create` first (public rooms that are not
   * default rooms, so clients become members by joining them).
   */
  static async start(
    target: Target,
    layout: Layout,
    env: Record<string, string> = {},
    create: string[] = [],
  ): Promise<Session> {
    const tempDir = target === "app"
      ? await Deno.makeTempDir({ prefix: "chat-bench-" })
      : undefined;
    let server: ServerProcess | undefined;
    const workers: WorkerProcess[] = [];
    try {
      server = tempDir
        ? await startServer("app", {
          ...APP_ENV,
          KV_PATH: `${tempDir}/chat.kv`,
          ...env,
        })
        : await startServer("baseline");
      const url = server.wsUrl;
      if (target === "app" && create.length) {
        const driver = await Driver.open(url, "bench-rooms");
        try {
          await driver.createRooms(create);
        } finally {
          await driver.close();
        }
      }
      const starts = await Promise.allSettled(
        Array.from({ length: layout.workers }, (_, w) =>
          startWorker({
            url,
            worker: w,
            first: Array.from(
              { length: w },
              (_, i) => split(layout.clients, layout.workers, i),
            ).reduce((a, b) => a + b, 0),
            clients: split(layout.clients, layout.workers, w),
            rooms: layout.rooms,
            senders: split(layout.senders, layout.workers, w),
            identity: layout.identity,
            concurrency: layout.concurrency,
            deadlineMs: layout.deadlineMs,
            roomsPerClient: layout.roomsPerClient,
            quietMs: layout.quietMs,
          })),
      );
      for (const s of starts) {
        if (s.status === "fulfilled") workers.push(s.value);
      }
      const failed = starts.find((s) => s.status === "rejected");
      if (failed) throw failed.reason;
      return new Session(server, workers, layout, tempDir);
    } catch (error) {
      await stopAll(server, workers, tempDir);
      throw error;
    }
  }

  /** Server resident memory in bytes. */
  rss(): number {
    return rssBytes(this.server.pid);
  }

  /** Opens every client at once across workers (and joins their rooms). */
  async connect(): Promise<ConnectSummary> {
    const cpu0 = cpuSeconds(this.server.pid);
    const startAt = wallNow() + 300;
    const results = await Promise.all(
      this.workers.map((w) =>
        w.request<Connected>(
          { cmd: "connect", startAt },
          this.layout.deadlineMs + 30_000,
        )
      ),
    );
    return summarise(results, cpuSeconds(this.server.pid) - cpu0);
  }

  /** Closes every client; each remembers the last id it held per room. */
  async disconnect(): Promise<number> {
    const results = await Promise.all(
      this.workers.map((w) =>
        w.request<Disconnected>({ cmd: "disconnect" }, 60_000)
      ),
    );
    return results.reduce((a, r) => a + r.closed, 0);
  }

  /**
   * Brings every client back at once, joining its rooms with `since`;
   * `lastIds` are the rooms' last ids as the sender saw them.
   */
  async reconnect(
    lastIds: Record<string, number>,
  ): Promise<ReconnectSummary> {
    const cpu0 = cpuSeconds(this.server.pid);
    const startAt = wallNow() + 300;
    const results = await Promise.all(
      this.workers.map((w) =>
        w.request<Reconnected>(
          { cmd: "reconnect", startAt, lastIds },
          this.layout.deadlineMs + 30_000,
        )
      ),
    );
    const sum = (pick: (r: Reconnected) => number) =>
      results.reduce((a, r) => a + pick(r), 0);
    return {
      ...summarise(results, cpuSeconds(this.server.pid) - cpu0),
      checked: sum((r) => r.checked),
      expected: sum((r) => r.expected),
      replayed: sum((r) => r.replayed),
      lost: sum((r) => r.lost),
      duplicated: sum((r) => r.duplicated),
    };
  }

  /** Sends `rate` messages per second in total for `durationMs`, then drains. */
  async phase(
    rate: number,
    durationMs: number,
    drainMs = 5000,
  ): Promise<PhaseSummary> {
    const phase = ++this.#phase;
    const { senders, workers } = this.layout;
    const server0 = cpuSeconds(this.server.pid);
    const self0 = cpuSeconds();
    const machine0 = machineCpu();
    const t0 = wallNow();
    const startAt = t0 + 200;
    const results = await Promise.all(
      this.workers.map((w, i) =>
        w.request<PhaseResult>({
          cmd: "phase",
          phase,
          startAt,
          durationMs,
          rate: rate * split(senders, workers, i) / senders,
          drainMs,
        }, durationMs + drainMs + 30_000)
      ),
    );
    const wall = (wallNow() - t0) / 1000;
    const serverCpu = cpuSeconds(this.server.pid) - server0;
    const selfCpu = cpuSeconds() - self0;
    const machine = machineCpu();
    const generatorCpu = results.reduce((a, r) => a + r.cpu, 0);
    const rooms = this.layout.rooms.length;
    let expected = 0, sent = 0;
    for (let room = 0; room < rooms; room++) {
      const s = results.reduce((a, r) => a + r.sent[room], 0);
      const m = results.reduce((a, r) => a + r.members[room], 0);
      expected += s * m;
      sent += s;
    }
    const latency = new Histogram(), ack = new Histogram();
    for (const r of results) {
      latency.merge(r.latency);
      ack.merge(r.ack);
    }
    const deliveries = results.reduce((a, r) => a + r.received, 0);
    const seconds = Math.max(...results.map((r) => r.sendMs)) / 1000;
    return {
      rate,
      sentPerS: sent / seconds,
      sent,
      acked: results.reduce((a, r) => a + r.acked, 0),
      expected,
      deliveries,
      deliveriesPerS: deliveries / seconds,
      lost: expected - deliveries,
      late: results.reduce((a, r) => a + r.late, 0),
      disorder: results.reduce((a, r) => a + r.disorder, 0),
      errors: results.reduce((a, r) => addAll(a, r.errors), {}),
      closes: results.reduce((a, r) => addAll(a, r.closes), {}),
      latency: latency.summary(),
      ack: ack.summary(),
      serverCores: serverCpu / wall,
      generatorCores: generatorCpu / wall,
      otherCores: Math.max(
        0,
        (machine.busy - machine0.busy - serverCpu - selfCpu - generatorCpu) /
          wall,
      ),
      serverUsPerDelivery: deliveries ? serverCpu * 1e6 / deliveries : 0,
      seconds,
    };
  }

  /** Kills the server and the workers and removes the app's KV files. */
  close(): Promise<void> {
    return stopAll(this.server, this.workers, this.tempDir);
  }
}

/** Merges the workers' answers to `connect` or `reconnect`. */
function summarise(
  results: (Connected | Reconnected)[],
  serverCpu: number,
): ConnectSummary {
  const start = Math.min(...results.map((r) => r.startedAt));
  const last = (pick: (r: Connected | Reconnected) => number) =>
    Math.max(0, Math.max(...results.map(pick)) - start);
  const welcome = new Histogram(), join = new Histogram();
  for (const r of results) {
    welcome.merge(r.welcome);
    join.merge(r.join);
  }
  return {
    ready: results.reduce((a, r) => a + r.ready, 0),
    failed: results.reduce((a, r) => a + r.failed, 0),
    failures: results.reduce((a, r) => addAll(a, r.failures), {}),
    allWelcomedMs: last((r) => r.lastWelcomeAt),
    allJoinedMs: last((r) => r.lastJoinedAt),
    quietMs: last((r) => r.quietAt),
    welcome: welcome.summary(),
    join: join.summary(),
    mb: results.reduce((a, r) => a + r.bytes, 0) / 1e6,
    frames: results.reduce((a, r) => addAll(a, r.frames), {}),
    closes: results.reduce((a, r) => addAll(a, r.closes), {}),
    serverCpu,
    generatorCpu: results.reduce((a, r) => a + r.cpu, 0),
  };
}

async function stopAll(
  server: ServerProcess | undefined,
  workers: WorkerProcess[],
  tempDir: string | undefined,
): Promise<void> {
  await server?.stop();
  await Promise.all(workers.map((w) => w.stop()));
  if (tempDir) await Deno.remove(tempDir, { recursive: true }).catch(() => {});
}
