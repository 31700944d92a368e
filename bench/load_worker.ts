/**
 * A load-generator process: opens clients against the chat protocol (v2,
 * and the v1 subset the baseline speaks), joins rooms and sends at a given
 * rate, recording every delivery's latency and counting deliveries per phase
 * so the orchestrator can tell loss. It can also close every client and
 * bring them back at once with `since` per room, counting what was lost or
 * repeated. Frames are counted by type; no frame type is relied on beyond
 * `welcome`, `joined`, `message`, `ack` and `error`.
 *
 * Run as its own process so it does not share an event loop with the
 * orchestrator: `deno run -A bench/load_worker.ts '<WorkerConfig JSON>'`.
 * It reads {@link Command}s as JSON lines on stdin and answers each with one
 * JSON line on stdout ({@link Connected}, {@link PhaseResult},
 * {@link Disconnected}, {@link Reconnected}). Past 300 lines because it is
 * one concept: the client side of every scenario.
 *
 * @module
 */
import { DeliveryTally } from "./delivery_tally.ts";
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
  /**
   * Client `g` (global index) joins `rooms[(g + j) % rooms.length]` for
   * `j < roomsPerClient`, and sends to the first of them; none when empty.
   */
  rooms: string[];
  /** Rooms each client joins (1 by default). */
  roomsPerClient?: number;
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
  /** The silence after the last join that counts as settled (300 ms by default). */
  quietMs?: number;
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
  | { cmd: "disconnect" }
  | {
    cmd: "reconnect";
    startAt: number;
    /** The last id of each room known to the orchestrator (sent while away). */
    lastIds: Record<string, number>;
  }
  | { cmd: "exit" };

/** How connecting (or reconnecting) went, common to both answers. */
interface Settled {
  worker: number;
  /** Clients that got `welcome` (and `joined` for each of their rooms). */
  ready: number;
  failed: number;
  /** Why clients failed, by reason. */
  failures: Record<string, number>;
  /** From opening each socket to its `welcome`. */
  welcome: HistogramJson;
  /** From sending `join` to `joined` (the last of a client's rooms). */
  join: HistogramJson;
  /** Wall-clock ms: first socket opened, last `welcome`, last `joined`. */
  startedAt: number;
  lastWelcomeAt: number;
  lastJoinedAt: number;
  /** The last frame before `quietMs` of silence (the room settled). */
  quietAt: number;
  bytes: number;
  /** Every frame received meanwhile by type (`event`: membership events). */
  frames: Record<string, number>;
  closes: Record<string, number>;
  cpu: number;
}

/** The answer to `connect`. */
export interface Connected extends Settled {
  event: "connected";
}

/** The answer to `disconnect`. */
export interface Disconnected {
  event: "disconnected";
  worker: number;
  closed: number;
}

/** The answer to `reconnect`: what each client got of each of its rooms. */
export interface Reconnected extends Settled {
  event: "reconnected";
  /** Client-rooms checked (each client back × each of its rooms). */
  checked: number;
  /** Messages in (since, room's last id] expected, received, missing. */
  expected: number;
  replayed: number;
  lost: number;
  /** Messages received twice or already held before `since`. */
  duplicated: number;
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
  /** Frames other than this phase's messages, by type. */
  frames: Record<string, number>;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Client {
  index: number;
  name: string;
  /** Indices into `WorkerConfig.rooms`; a sender sends to the first. */
  rooms: number[];
  sender: boolean;
  ws?: WebSocket;
  token?: string;
  ready: boolean;
  /** The newest message id seen per room (aligned with `rooms`). */
  lastIds: number[];
  /** `joined.lastId` of the latest join, per room. */
  joinedAt: number[];
  /** Set while reconnecting with `since`, per room. */
  tallies?: DeliveryTally[];
  /** What the client waits for: `welcome` or `joined:<room>`. */
  waits: Map<string, Waiter>;
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
  readonly roomIndex: Map<string, number>;
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
    this.roomIndex = new Map(rooms.map((r, i) => [r, i]));
    const per = rooms.length
      ? Math.min(rooms.length, config.roomsPerClient ?? 1)
      : 0;
    for (let i = 0; i < clients; i++) {
      const g = first + i;
      const sender = i < senders;
      this.clients.push({
        index: g,
        name: identity === "shared" && !sender ? `w${worker}` : `u${g}`,
        rooms: Array.from({ length: per }, (_, j) => (g + j) % rooms.length),
        sender,
        ready: false,
        lastIds: Array(per).fill(0),
        joinedAt: Array(per).fill(0),
        waits: new Map(),
      });
    }
  }

  /** Opens every client (`concurrency` at a time), joins, waits until quiet. */
  async connect(startAt: number): Promise<Connected> {
    // Tabs of one guest need the token the first tab got.
    const shared = this.clients.find((c) =>
      this.config.identity === "shared" && !c.sender
    );
    const settled = await this.#settle(startAt, async (open) => {
      if (shared) {
        await open(shared);
        for (const c of this.clients) {
          if (!c.sender && c !== shared) c.token = shared.token;
        }
      }
      const queue = this.clients.filter((c) => c !== shared);
      let next = 0;
      await Promise.all(
        Array.from(
          { length: Math.min(this.config.concurrency, queue.length) },
          async () => {
            while (next < queue.length) await open(queue[next++]);
          },
        ),
      );
    });
    return { event: "connected", ...settled };
  }

  /** Closes every client, remembering the last id it held per room. */
  async disconnect(): Promise<Disconnected> {
    const open = this.clients.filter((c) =>
      c.ws && c.ws.readyState !== WebSocket.CLOSED
    );
    await Promise.all(open.map((c) =>
      new Promise<void>((resolve) => {
        const ws = c.ws!;
        ws.addEventListener("close", () => resolve(), { once: true });
        setTimeout(resolve, 10_000);
        ws.close(1000, "away");
      })
    ));
    return {
      event: "disconnected",
      worker: this.config.worker,
      closed: open.length,
    };
  }

  /**
   * Brings every client back at once, each joining its rooms with `since`
   * (the last id it held), and counts what each got of what it missed.
   */
  async reconnect(
    cmd: Extract<Command, { cmd: "reconnect" }>,
  ): Promise<Reconnected> {
    for (const c of this.clients) {
      c.tallies = c.lastIds.map((id) => new DeliveryTally(id));
    }
    const upTo = (c: Client, j: number) =>
      Math.max(
        c.joinedAt[j],
        cmd.lastIds[this.config.rooms[c.rooms[j]]] ?? 0,
      );
    const settled = await this.#settle(cmd.startAt, async (open) => {
      await Promise.all(this.clients.map((c) => open(c, true)));
    });
    let checked = 0, expected = 0, replayed = 0, lost = 0, duplicated = 0;
    for (const c of this.clients) {
      // A client that never came back is counted by `failed`, not as loss.
      if (!c.ready) {
        c.tallies = undefined;
        continue;
      }
      c.tallies!.forEach((t, j) => {
        const top = upTo(c, j);
        checked++;
        expected += Math.max(0, top - t.since);
        replayed += t.received(top);
        lost += t.lost(top);
        duplicated += t.duplicated;
      });
      c.tallies = undefined;
    }
    return {
      event: "reconnected",
      ...settled,
      checked,
      expected,
      replayed,
      lost,
      duplicated,
    };
  }

  /**
   * Runs `openAll` (which opens clients through the given function), then
   * waits until frames stop for `quietMs`, within the deadline.
   */
  async #settle(
    startAt: number,
    openAll: (
      open: (c: Client, since?: boolean) => Promise<void>,
    ) => Promise<void>,
  ): Promise<Omit<Settled, "event">> {
    const welcome = new Histogram();
    const join = new Histogram();
    const failures: Record<string, number> = {};
    let failed = 0, lastWelcomeAt = 0, lastJoinedAt = 0;
    this.frames = {};
    this.bytes = 0;
    const cpu0 = cpuSeconds();
    await sleep(startAt - wallNow());
    const startedAt = wallNow();
    const deadline = startedAt + this.config.deadlineMs;
    const open = async (c: Client, since = false) => {
      const t0 = wallNow();
      try {
        await this.#open(c, deadline);
        lastWelcomeAt = wallNow();
        welcome.record(lastWelcomeAt - t0);
        if (c.rooms.length) {
          const t1 = wallNow();
          await this.#join(c, deadline, since);
          lastJoinedAt = wallNow();
          join.record(lastJoinedAt - t1);
        }
        c.ready = true;
      } catch (e) {
        failed++;
        bump(failures, e instanceof Error ? e.message : String(e));
        c.ws?.close();
      }
    };
    await openAll(open);
    const quietMs = this.config.quietMs ?? 300;
    while (wallNow() < deadline && wallNow() - this.lastFrameAt < quietMs) {
      await sleep(50);
    }
    return {
      worker: this.config.worker,
      ready: this.clients.filter((c) => c.ready).length,
      failed,
      failures,
      welcome: welcome.toJSON(),
      join: join.toJSON(),
      startedAt,
      lastWelcomeAt,
      lastJoinedAt,
      quietAt: Math.max(this.lastFrameAt, lastJoinedAt),
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
    return this.#wait(c, "welcome", deadline, () => {
      const ws = new WebSocket(url);
      c.ws = ws;
      c.ready = false;
      ws.onmessage = (e) => this.#onFrame(c, e.data as string);
      ws.onerror = () => this.#failAll(c, "socket error");
      ws.onclose = (e) => {
        if (c.ws !== ws) return;
        c.ready = false;
        bump(this.closes, String(e.code));
        this.#failAll(c, `closed ${e.code}`);
      };
    });
  }

  /** Joins every room of `c` at once (with `since` when reconnecting). */
  async #join(c: Client, deadline: number, since: boolean): Promise<void> {
    await Promise.all(c.rooms.map((r, j) => {
      const room = this.config.rooms[r];
      return this.#wait(
        c,
        `joined:${room}`,
        deadline,
        () =>
          c.ws!.send(JSON.stringify({
            type: "join",
            room,
            ...(since ? { since: c.lastIds[j] } : {}),
          })),
      );
    }));
  }

  #wait(
    c: Client,
    key: string,
    deadline: number,
    start: () => void,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`no ${key.split(":")[0]} before the deadline`)),
        Math.max(0, deadline - wallNow()),
      );
      const finish = (error?: Error) => {
        clearTimeout(timer);
        c.waits.delete(key);
        if (error) reject(error);
        else resolve();
      };
      c.waits.set(key, { resolve: () => finish(), reject: finish });
      start();
    });
  }

  #failAll(c: Client, why: string): void {
    for (const w of [...c.waits.values()]) w.reject(new Error(why));
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
        return c.waits.get("welcome")?.resolve();
      case "joined": {
        const f = JSON.parse(data) as { room: string; lastId: number };
        const j = c.rooms.indexOf(this.roomIndex.get(f.room) ?? -1);
        if (j >= 0) {
          c.joinedAt[j] = f.lastId;
          // A first join starts from the room's newest id; a rejoin replays.
          if (!c.tallies) c.lastIds[j] = Math.max(c.lastIds[j], f.lastId);
        }
        return c.waits.get(`joined:${f.room}`)?.resolve();
      }
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
          frame?: { type?: string; room?: string; clientId?: string };
        };
        bump(this.errors, f.code);
        if (f.frame?.clientId) this.pending.delete(f.frame.clientId);
        if (f.frame?.type === "join") {
          c.waits.get(`joined:${f.frame.room}`)?.reject(
            new Error(`join: ${f.code}`),
          );
        }
        return;
      }
    }
  }

  #onMessage(c: Client, data: string): void {
    const m = JSON.parse(data) as {
      id: number;
      room: string;
      text: string;
      event?: unknown;
    };
    const j = c.rooms.indexOf(this.roomIndex.get(m.room) ?? -1);
    if (j >= 0) {
      c.tallies?.[j].record(m.id);
      if (m.id > c.lastIds[j]) c.lastIds[j] = m.id;
      else if (!c.tallies && m.text.startsWith(TEXT_PREFIX)) this.disorder++;
    }
    if (!m.text.startsWith(TEXT_PREFIX)) {
      bump(this.frames, m.event ? "event" : "message");
      return;
    }
    const [, phase, sentAt] = m.text.split(":");
    if (Number(phase) !== this.phase) {
      bump(this.frames, "message");
      this.late++;
      return;
    }
    this.received++;
    this.latency.record(this.lastFrameAt - Number(sentAt));
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
    for (const c of this.clients) {
      if (c.ready) { for (const r of c.rooms) members[r]++; }
    }
    const senders = this.clients.filter((c) =>
      c.sender && c.ready && c.rooms.length > 0
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
          room: rooms[c.rooms[0]],
          text: `${TEXT_PREFIX}${cmd.phase}:${at}`,
          clientId,
        }));
        sent[c.rooms[0]]++;
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

async function answer(worker: LoadWorker, cmd: Command): Promise<unknown> {
  switch (cmd.cmd) {
    case "connect":
      return await worker.connect(cmd.startAt);
    case "phase":
      return await worker.runPhase(cmd);
    case "disconnect":
      return await worker.disconnect();
    case "reconnect":
      return await worker.reconnect(cmd);
    case "exit":
      return null;
  }
}

if (import.meta.main) {
  const worker = new LoadWorker(JSON.parse(Deno.args[0]) as WorkerConfig);
  console.log(JSON.stringify({ event: "started", pid: Deno.pid }));
  for await (const line of lines(Deno.stdin.readable)) {
    if (!line.trim()) continue;
    const cmd = JSON.parse(line) as Command;
    if (cmd.cmd === "exit") break;
    console.log(JSON.stringify(await answer(worker, cmd)));
  }
  Deno.exit(0);
}
