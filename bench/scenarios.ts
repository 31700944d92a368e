/**
 * The bench scenarios, each bounded in time and run against the app and the
 * baseline: fan-out in one room (fixed rate, then a ramp to the highest rate
 * sustained), many small rooms, a connect storm, a join storm with a
 * distinct user per client (presence traffic), and idle memory per
 * connection. The scenarios of big rooms with membership (issue 18) are in
 * `big_rooms.ts`.
 *
 * @module
 */
import type { Target } from "./processes.ts";
import {
  type ConnectSummary,
  type Layout,
  type PhaseSummary,
  type ReconnectSummary,
  Session,
} from "./session.ts";
import type { Check } from "./targets.ts";

/** Sizes and durations of a run. */
export interface Plan {
  fanout: { clients: number[]; senders: number; rate: number; ms: number };
  ramp: {
    stepMs: number;
    steps: number;
    /** Highest deliveries per second a ramp step may aim at. */
    maxDeliveriesPerS: number;
    /** A step with a p99 above this, or any loss, has broken down. */
    p99LimitMs: number;
  } | null;
  manyRooms: { rooms: number; perRoom: number; rate: number; ms: number };
  storm: { clients: number[] };
  joinStorm: { clients: number[]; deadlineMs: number };
  idle: { clients: number };
  /** New users joining one room at once, each becoming a member. */
  join10k: { clients: number; deadlineMs: number; quietMs: number };
  /** Members of `perClient` of `rooms` rooms coming back at once with `since`. */
  reconnect: {
    clients: number;
    rooms: number;
    perClient: number;
    /** Messages sent to each room while the clients are away. */
    messages: number;
    deadlineMs: number;
  };
  /** Fan-out to a room of `clients` members, each a distinct user. */
  fanout10k: { clients: number; senders: number; rate: number; ms: number };
  /** Durable sends on KV and PostgreSQL (`bench/durable.ts`). */
  durable: {
    rooms: number;
    perRoom: number;
    busyClients: number;
    busySenders: number;
    /** The fixed rate, messages per second in total. */
    rate: number;
    ms: number;
    /** Doublings of the rate after the fixed phase, `stepMs` each. */
    steps: number;
    stepMs: number;
  };
  workers: number;
}

/** The full run: about five minutes on two cores. */
export const FULL: Plan = {
  fanout: { clients: [100, 1000, 5000], senders: 10, rate: 20, ms: 10_000 },
  ramp: { stepMs: 2000, steps: 5, maxDeliveriesPerS: 400_000, p99LimitMs: 250 },
  manyRooms: { rooms: 1000, perRoom: 10, rate: 1000, ms: 10_000 },
  storm: { clients: [1000, 5000] },
  joinStorm: { clients: [100, 200, 400], deadlineMs: 15_000 },
  idle: { clients: 10_000 },
  join10k: { clients: 10_000, deadlineMs: 180_000, quietMs: 2000 },
  reconnect: {
    clients: 5000,
    rooms: 10,
    perClient: 10,
    messages: 5,
    deadlineMs: 180_000,
  },
  fanout10k: { clients: 10_000, senders: 10, rate: 5, ms: 10_000 },
  durable: {
    rooms: 1000,
    perRoom: 2,
    busyClients: 20,
    busySenders: 10,
    rate: 1000,
    ms: 10_000,
    steps: 3,
    stepMs: 4000,
  },
  workers: 2,
};

/** A smoke run with tiny sizes. */
export const QUICK: Plan = {
  fanout: { clients: [20], senders: 2, rate: 20, ms: 2000 },
  ramp: { stepMs: 1000, steps: 2, maxDeliveriesPerS: 10_000, p99LimitMs: 250 },
  manyRooms: { rooms: 10, perRoom: 5, rate: 20, ms: 2000 },
  storm: { clients: [100] },
  joinStorm: { clients: [50], deadlineMs: 5000 },
  idle: { clients: 500 },
  join10k: { clients: 100, deadlineMs: 20_000, quietMs: 2000 },
  reconnect: {
    clients: 50,
    rooms: 10,
    perClient: 10,
    messages: 2,
    deadlineMs: 20_000,
  },
  fanout10k: { clients: 100, senders: 2, rate: 10, ms: 2000 },
  durable: {
    rooms: 10,
    perRoom: 2,
    busyClients: 4,
    busySenders: 2,
    rate: 20,
    ms: 1000,
    steps: 1,
    stepMs: 1000,
  },
  workers: 2,
};

/** One scenario's figures for one server. */
export interface TargetResult {
  connect: ConnectSummary;
  /** The fixed-rate phase. */
  fixed?: PhaseSummary;
  /** Every ramp step, and the highest that held. */
  ramp?: PhaseSummary[];
  best?: PhaseSummary;
  /**
   * Server memory before and after connecting, bytes. `early` is the same
   * one second after the load stopped, when `after` was taken later.
   */
  rss?: {
    before: number;
    after: number;
    perConnection: number;
    /** When, after the storm settled, the lowest RSS was seen. */
    lowestAtMs?: number;
    early?: { after: number; perConnection: number };
  };
  /** CPU of a database server outside the app (PostgreSQL) in the fixed phase. */
  database?: { cores: number; usPerDelivery: number };
  /** Coming back with `since` after messages were sent meanwhile. */
  reconnect?: ReconnectSummary;
}

/** One line of the report. */
export interface ScenarioResult {
  scenario: string;
  clients: number;
  rooms: number;
  senders: number;
  app: TargetResult;
  baseline: TargetResult;
  /** The targets checked against this scenario's figures. */
  checks?: Check[];
}

const TARGETS: Target[] = ["app", "baseline"];
/** Cores busy outside the bench above which a broken ramp step is tried again. */
const CONTENDED = 0.5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A layout: one room, distinct users, every client at once per 200. */
export function layout(
  plan: Plan,
  clients: number,
  extra: Partial<Layout>,
): Layout {
  return {
    clients,
    rooms: ["general"],
    senders: 0,
    identity: "distinct",
    workers: plan.workers,
    concurrency: 200,
    deadlineMs: 60_000,
    ...extra,
  };
}

/** Runs `run` on a fresh session of `target`, closing it after. */
export async function withSession<T>(
  target: Target,
  l: Layout,
  run: (s: Session) => Promise<T>,
  env: Record<string, string> = {},
  create: string[] = [],
): Promise<T> {
  const session = await Session.start(target, l, env, create);
  try {
    return await run(session);
  } finally {
    await session.close();
  }
}

function broke(p: PhaseSummary, p99LimitMs: number): boolean {
  return p.lost > 0 || p.latency.p99 > p99LimitMs ||
    p.sentPerS < 0.9 * p.rate;
}

/**
 * Fan-out in one room: `clients` listeners (tabs of one guest per worker,
 * so the room's presence stays small) and `senders` senders, first at the
 * fixed rate, then doubling the rate until the p99 or loss breaks down.
 */
export async function fanOut(
  plan: Plan,
  clients: number,
  options: { ramp?: boolean } = {},
): Promise<ScenarioResult> {
  const { senders, rate, ms } = plan.fanout;
  const l = layout(plan, clients, { senders, identity: "shared" });
  const run = (target: Target) =>
    withSession(target, l, async (s): Promise<TargetResult> => {
      const connect = await s.connect();
      const fixed = await s.phase(rate, ms);
      const ramp: PhaseSummary[] = [];
      const r = options.ramp === false ? null : plan.ramp;
      if (!r) {
        return {
          connect,
          fixed,
          best: broke(fixed, Infinity) ? undefined : fixed,
        };
      }
      // The fixed rate is the ramp's first step; a ramp goes on while steps hold.
      let best = broke(fixed, r.p99LimitMs) ? undefined : fixed;
      for (
        let step = 0, next = rate * 2;
        best && step < r.steps && next * clients <= r.maxDeliveriesPerS;
        step++, next *= 2
      ) {
        let p = await s.phase(next, r.stepMs, 3000);
        ramp.push(p);
        if (broke(p, r.p99LimitMs) && p.otherCores > CONTENDED) {
          // Other processes took the cores; one more try tells the server's limit.
          ramp.push(p = await s.phase(next, r.stepMs, 3000));
        }
        if (broke(p, r.p99LimitMs)) break;
        best = p;
      }
      return { connect, fixed, ramp, best };
    });
  return {
    scenario: `fan-out ${clients}`,
    clients,
    rooms: 1,
    senders,
    app: await run("app"),
    baseline: await run("baseline"),
  };
}

/** Many small rooms, every client sending now and then. */
export async function manyRooms(plan: Plan): Promise<ScenarioResult> {
  const { rooms, perRoom, rate, ms } = plan.manyRooms;
  const ids = Array.from({ length: rooms }, (_, i) => `r${i}`);
  const clients = rooms * perRoom;
  const l = layout(plan, clients, { rooms: ids, senders: clients });
  const results: Partial<Record<Target, TargetResult>> = {};
  for (const target of TARGETS) {
    results[target] = await withSession(
      target,
      l,
      async (s) => {
        const connect = await s.connect();
        const fixed = await s.phase(rate, ms);
        return { connect, fixed, best: fixed };
      },
      {},
      ids,
    );
  }
  return {
    scenario: `many rooms ${rooms}×${perRoom}`,
    clients,
    rooms,
    senders: clients,
    app: results.app!,
    baseline: results.baseline!,
  };
}

/** Every client connects at once and waits for `welcome`. */
export async function connectStorm(
  plan: Plan,
  clients: number,
): Promise<ScenarioResult> {
  const l = layout(plan, clients, { rooms: [], concurrency: clients });
  const results: Partial<Record<Target, TargetResult>> = {};
  for (const target of TARGETS) {
    results[target] = await withSession(target, l, async (s) => ({
      connect: await s.connect(),
    }));
  }
  return {
    scenario: `connect storm ${clients}`,
    clients,
    rooms: 0,
    senders: 0,
    app: results.app!,
    baseline: results.baseline!,
  };
}

/**
 * `clients` distinct users join one room, 200 at a time per worker: each
 * join sends the room's presence to every member.
 */
export async function joinStorm(
  plan: Plan,
  clients: number,
): Promise<ScenarioResult> {
  // Quiet for longer than the app's presence coalescing window (about 1 s).
  const l = layout(plan, clients, {
    deadlineMs: plan.joinStorm.deadlineMs,
    quietMs: 1500,
  });
  const results: Partial<Record<Target, TargetResult>> = {};
  for (const target of TARGETS) {
    results[target] = await withSession(target, l, async (s) => ({
      connect: await s.connect(),
    }));
  }
  return {
    scenario: `join storm ${clients}`,
    clients,
    rooms: 1,
    senders: 0,
    app: results.app!,
    baseline: results.baseline!,
  };
}

/** Server memory per idle connection (connected, welcomed, in no room). */
export async function idle(plan: Plan): Promise<ScenarioResult> {
  const clients = plan.idle.clients;
  const l = layout(plan, clients, { rooms: [], concurrency: 500 });
  const results: Partial<Record<Target, TargetResult>> = {};
  for (const target of TARGETS) {
    results[target] = await withSession(target, l, async (s) => {
      await sleep(1000);
      const before = s.rss();
      const connect = await s.connect();
      await sleep(2000);
      const after = s.rss();
      const perConnection = (after - before) / Math.max(1, connect.ready);
      return { connect, rss: { before, after, perConnection } };
    });
  }
  return {
    scenario: `idle ${clients}`,
    clients,
    rooms: 0,
    senders: 0,
    app: results.app!,
    baseline: results.baseline!,
  };
}
