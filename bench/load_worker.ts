/**
 * A load-generator process: opens clients against a protocol-v1 server,
 * joins rooms and sends at a given rate, recording every delivery's latency
 * and counting deliveries per phase so the orchestrator can tell loss.
 *
 * Run as its own process so it does not share an event loop with the
 * orchestrator: `deno run -A bench/load_worker.ts '<WorkerConfig JSON>'`.
 * It reads {@link Command}s as JSON lines on stdin and answers each with one
 * JSON line on stdout ({@link Connected}, {@link PhaseResult}).
 *
 * @module
 */
import { Histogram, type HistogramJson } from "./histogram.ts";
import { cpuSeconds } from "./proc_stats.ts";
import { lines } from "./processes.ts";

/** What one worker runs, given as JSON in its first argument. */
export interface WorkerConfig {
  /** The WebSocket endpoint, e.g. `ws://127.0.0.1:8000/ws`. */
  url: string;
  worker: number;
  /** Global index of this worker's first client. */
  first: number;
  clients: number;
  /** Client `g` (global index) joins `rooms[g % rooms.length]`; none when empty. */
  rooms: string[];
  /** How many of this worker's clients send (its first ones). */
  senders: number;
  /**
   * `distinct`: a guest name per client. `shared`: the listeners of a worker
   * are tabs of one guest (same name and token), so presence stays small.
   */
  identity: "distinct" | "shared";
  /** Connections opening at once. */
  concurrency: number;
  /** Connecting and joining give up after this long. */
  deadlineMs: number;
}

/** An instruction from the orchestrator. */
export type Command =
  | { cmd: "connect"; startAt: number }
  | {
    cmd: "phase";
    phase: number;
    /** Wall-clock ms when every worker starts sending. */
    startAt: number;
    durationMs: number;
    /** Messages per second sent by this worker's senders together. */
    rate: number;
    /** Longest wait for late deliveries after the last send. */
    drainMs: number;
  }
  | { cmd: "exit" };

/** The answer to `connect`. */
export interface Connected {
  event: "connected";
  worker: number;
  /** Clients that got `welcome` (and `joined`, when they join). */
  ready: number;
  failed: number;
  /** From opening each socket to its `welcome`. */
  welcome: HistogramJson;
  /** From sending `join` to `joined`. */
  join: HistogramJson;
  /** Wall-clock ms: first socket opened, last `welcome`, last `joined`. */
  startedAt: number;
  lastWelcomeAt: number;
  lastJoinedAt: number;
  /** When frames stopped arriving after the last join (presence traffic). */
  quietAt: number;
  bytes: number;
  frames: Record<string, number>;
  closes: Record<string, number>;
  cpu: number;
}

/** The answer to `phase`. */
export interface PhaseResult {
  event: "phase";
  worker: number;
  phase: number;
  /** Joined, open clients per room (aligned with `WorkerConfig.rooms`) at the start. */
  members: number[];
  /** Messages sent per room. */
  sent: number[];
  acked: number;
  errors: Record<string, number>;
  /** Deliveries of this phase's messages, to every client of this worker. */
  received: number;
  /** Deliveries of earlier phases' messages that came in this phase. */
  late: number;
  /** Deliveries out of id order or repeated. */
  disorder: number;
  latency: HistogramJson;
  ack: HistogramJson;
  sendMs: number;
  wallMs: number;
  bytes: number;
  cpu: number;
  closes: Record<string, number>;
  /** Frames other than `message` by type. */
  frames: Record<string, number>;
}

interface Client {
  index: number;
  name: string;
  room: number;
  sender: boolean;
  ws?: WebSocket;
  token?: string;
  ready: boolean;
  lastId: number;
  onWelcome?: () => void;
  onJoined?: () => void;
  onFail?: (why: string) => void;
}

const MESSAGE_PREFIX = '{"type":"message"';
const TEXT_PREFIX = "bench:";

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bump = (o: Record<string, number>, k: string, n = 1) =>
  o[k] = (o[k] ?? 0) + n;

class LoadWorker {
  readonly clients: Client[] = [];
  readonly closes: Record<string, number> = {};
  frames: Record<string, number> = {};
  bytes = 0;
  lastFrameAt = 0;
  phase = -1;
  received = 0;
  late = 0;
  disorder = 0;
  acked = 0;
  errors: Record<string, number> = {};
  latency = new Histogram();
  ack = new Histogram();
  readonly pending = new Map<string, number>();

  constructor(readonly config: WorkerConfig) {
    const { first, clients, senders, rooms, identity, worker } = config;
    for (let i = 0; i < clients; i++) {
      const g = first + i;
      const sender = i < senders;
      this.clients.push({
        index: g,
        name: identity === "shared" && !sender ? `w${worker}` : `u${g}`,
        room: rooms.length ? g % rooms.length : -1,
        sender,
        ready: false,
        lastId: 0,
      });
    }
  }

  async connect(startAt: number): Promise<Connected> {
    const welcome = new Histogram();
    const join = new Histogram();
    let failed = 0, lastWelcomeAt = 0, lastJoinedAt = 0;
    this.frames = {};
    this.bytes = 0;
    const cpu0 = cpuSeconds();
    await sleep(startAt - wallNow());
    const startedAt = wallNow();
    const deadline = startedAt + this.config.deadlineMs;
    const open = async (c: Client) => {
      const t0 = wallNow();
      try {
        await this.#open(c, deadline);
        lastWelcomeAt = wallNow();
        welcome.record(lastWelcomeAt - t0);
        if (c.room >= 0) {
          const t1 = wallNow();
          await this.#join(c, deadline);
          lastJoinedAt = wallNow();
          join.record(lastJoinedAt - t1);
        }
        c.ready = true;
      } catch {
        failed++;
      }
    };
    // Tabs of one guest need the token the first tab got.
    const shared = this.clients.find((c) =>
      this.config.identity === "shared" && !c.sender
    );
    if (shared) await open(shared);
    const queue = this.clients.filter((c) => c !== shared);
    const token = shared?.token;
    if (token) { for (const c of queue) if (!c.sender) c.token = token; }
    let next = 0;
    await Promise.all(
      Array.from(
        { length: Math.min(this.config.concurrency, queue.length) },
        async () => {
          while (next < queue.length) await open(queue[next++]);
        },
      ),
    );
    // Joins set off presence traffic; wait until it dies down.
    while (wallNow() < deadline && wallNow() - this.lastFrameAt < 300) {
      await sleep(50);
    }
    return {
      event: "connected",
      worker: this.config.worker,
      ready: this.clients.filter((c) => c.ready).length,
      failed,
      welcome: welcome.toJSON(),
      join: join.toJSON(),
      startedAt,
      lastWelcomeAt,
      lastJoinedAt,
      quietAt: this.lastFrameAt,
      bytes: this.bytes,
      frames: this.frames,
      closes: this.closes,
      cpu: cpuSeconds() - cpu0,
    };
  }

  #open(c: Client, deadline: number): Promise<void> {
    const url = new URL(this.config.url);
    url.searchParams.set("name", c.name);
    if (c.token) url.searchParams.set("token", c.token);
    return this.#wait(c, deadline, "onWelcome", () => {
      const ws = new WebSocket(url);
      c.ws = ws;
      ws.onmessage = (e) => this.#onFrame(c, e.data as string);
      ws.onerror = () => c.onFail?.("error");
      ws.onclose = (e) => {
        c.ready = false;
        bump(this.closes, String(e.code));
        c.onFail?.(`closed ${e.code}`);
      };
    });
  }

  #join(c: Client, deadline: number): Promise<void> {
    return this.#wait(c, deadline, "onJoined", () => {
      c.ws!.send(
        JSON.stringify({ type: "join", room: this.config.rooms[c.room] }),
      );
    });
  }

  #wait(
    c: Client,
    deadline: number,
    event: "onWelcome" | "onJoined",
    start: () => void,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("deadline")),
        Math.max(0, deadline - wallNow()),
      );
      const done = (error?: Error) => {
        clearTimeout(timer);
        c[event] = undefined;
        c.onFail = undefined;
        if (error) reject(error);
        else resolve();
      };
      c[event] = () => done();
      c.onFail = (why) => done(new Error(why));
      start();
    });
  }

  #onFrame(c: Client, data: string): void {
    this.bytes += data.length;
    this.lastFrameAt = wallNow();
    if (data.startsWith(MESSAGE_PREFIX)) return this.#onMessage(c, data);
    const type = data.slice(9, data.indexOf('"', 9));
    bump(this.frames, type);
    switch (type) {
      case "welcome":
        c.token = JSON.parse(data).token ?? c.token;
        return c.onWelcome?.();
      case "joined":
        return c.onJoined?.();
      case "ack": {
        const { clientId } = JSON.parse(data) as { clientId: string };
        const sentAt = this.pending.get(clientId);
        if (sentAt === undefined) return;
        this.pending.delete(clientId);
        this.acked++;
        this.ack.record(this.lastFrameAt - sentAt);
        return;
      }
      case "error": {
        const f = JSON.parse(data) as {
          code: string;
          frame?: { clientId?: string };
        };
        bump(this.errors, f.code);
        if (f.frame?.clientId) this.pending.delete(f.frame.clientId);
        return;
      }
    }
  }

  #onMessage(c: Client, data: string): void {
    const m = JSON.parse(data) as { id: number; text: string };
    if (!m.text.startsWith(TEXT_PREFIX)) return;
    const [, phase, sentAt] = m.text.split(":");
    if (Number(phase) !== this.phase) {
      this.late++;
      return;
    }
    this.received++;
    this.latency.record(this.lastFrameAt - Number(sentAt));
    if (m.id <= c.lastId) this.disorder++;
    c.lastId = m.id;
  }

  async runPhase(
    cmd: Extract<Command, { cmd: "phase" }>,
  ): Promise<PhaseResult> {
    const { rooms, worker } = this.config;
    this.phase = cmd.phase;
    this.received =
      this.late =
      this.disorder =
      this.acked =
      this.bytes =
        0;
    this.errors = {};
    this.frames = {};
    this.latency = new Histogram();
    this.ack = new Histogram();
    this.pending.clear();
    const members = rooms.map(() => 0);
    const sent = rooms.map(() => 0);
    for (const c of this.clients) if (c.ready && c.room >= 0) members[c.room]++;
    const senders = this.clients.filter((c) =>
      c.sender && c.ready && c.room >= 0
    );
    const closes0 = { ...this.closes };
    await sleep(cmd.startAt - wallNow());
    const t0 = wallNow();
    const cpu0 = cpuSeconds();
    let count = 0, seq = 0;
    while (senders.length > 0 && cmd.rate > 0) {
      const elapsed = wallNow() - t0;
      if (elapsed >= cmd.durationMs) break;
      const due = Math.floor(elapsed * cmd.rate / 1000) + 1;
      while (count < due) {
        const c = senders[count++ % senders.length];
        if (!c.ready || c.ws?.readyState !== WebSocket.OPEN) continue;
        // Unique per run: the app answers a repeated clientId as a duplicate.
        const clientId = `${worker}.${c.index}.${cmd.phase}.${seq++}`;
        const at = wallNow();
        this.pending.set(clientId, at);
        c.ws.send(JSON.stringify({
          type: "send",
          room: rooms[c.room],
          text: `${TEXT_PREFIX}${cmd.phase}:${at}`,
          clientId,
        }));
        sent[c.room]++;
      }
      await sleep(4);
    }
    const sendEnd = Math.max(wallNow(), t0 + cmd.durationMs);
    if (senders.length === 0) await sleep(t0 + cmd.durationMs - wallNow());
    // Drain: every own send answered and no delivery for a while, or time's up.
    await sleep(200);
    while (
      wallNow() < sendEnd + cmd.drainMs &&
      (this.pending.size > 0 || wallNow() - this.lastFrameAt < 500)
    ) await sleep(50);
    const closes: Record<string, number> = {};
    for (const [k, n] of Object.entries(this.closes)) {
      if (n !== (closes0[k] ?? 0)) closes[k] = n - (closes0[k] ?? 0);
    }
    return {
      event: "phase",
      worker,
      phase: cmd.phase,
      members,
      sent,
      acked: this.acked,
      errors: this.errors,
      received: this.received,
      late: this.late,
      disorder: this.disorder,
      latency: this.latency.toJSON(),
      ack: this.ack.toJSON(),
      sendMs: sendEnd - t0,
      wallMs: wallNow() - t0,
      bytes: this.bytes,
      cpu: cpuSeconds() - cpu0,
      closes,
      frames: this.frames,
    };
  }
}

if (import.meta.main) {
  const worker = new LoadWorker(JSON.parse(Deno.args[0]) as WorkerConfig);
  console.log(JSON.stringify({ event: "started", pid: Deno.pid }));
  for await (const line of lines(Deno.stdin.readable)) {
    if (!line.trim()) continue;
    const cmd = JSON.parse(line) as Command;
    if (cmd.cmd === "exit") break;
    const out = cmd.cmd === "connect"
      ? await worker.connect(cmd.startAt)
      : await worker.runPhase(cmd);
    console.log(JSON.stringify(out));
  }
  Deno.exit(0);
}
