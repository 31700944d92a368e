/**
 * Durable sends on both storage backends, side by side: the app on a Deno
 * KV file and the app on a PostgreSQL server started for the run, each
 * against the baseline, in two workloads: many quiet rooms (each client
 * sending now and then) and one busy room. Per backend: acked (durable)
 * messages per second, ack latency, server CPU per delivery, and the
 * database's own CPU per delivery (PostgreSQL's processes; KV runs inside
 * the server).
 *
 * @module
 */
import { treeCpuSeconds } from "./proc_stats.ts";
import type { Plan, ScenarioResult, TargetResult } from "./scenarios.ts";
import { type Layout, type PhaseSummary, Session } from "./session.ts";
import type { Target } from "./processes.ts";
import {
  type PostgresServer,
  startPostgres,
} from "@/tests/helpers/postgres.ts";

/** A ramp step breaks down above this ack p99 (ms), or with any loss. */
export const ACK_P99_LIMIT_MS = 100;

function broke(p: PhaseSummary): boolean {
  return p.lost > 0 || p.ack.p99 > ACK_P99_LIMIT_MS ||
    p.sentPerS < 0.9 * p.rate;
}

/** How the durable workloads' clients connect: each a distinct person. */
function connecting(workers: number) {
  return {
    identity: "distinct" as const,
    workers,
    concurrency: 200,
    deadlineMs: 60_000,
  };
}

/**
 * `count` quiet rooms (`q0`, `q1`, …) of `perRoom` members each, everyone
 * sending, driven by `workers` load generators.
 */
export function quietRooms(
  count: number,
  perRoom: number,
  workers: number,
): { rooms: string[]; layout: Layout } {
  const rooms = Array.from({ length: count }, (_, i) => `q${i}`);
  return {
    rooms,
    layout: {
      ...connecting(workers),
      clients: count * perRoom,
      rooms,
      senders: count * perRoom,
    },
  };
}

/** The workloads: quiet rooms, then one busy room. */
function workloads(
  plan: Plan,
): { name: string; layout: Layout; rooms: string[] }[] {
  const d = plan.durable;
  return [
    {
      name: `durable ${d.rooms} quiet rooms×${d.perRoom}`,
      ...quietRooms(d.rooms, d.perRoom, plan.workers),
    },
    {
      name: `durable 1 busy room×${d.busyClients}`,
      rooms: ["busy"],
      layout: {
        ...connecting(plan.workers),
        clients: d.busyClients,
        rooms: ["busy"],
        senders: d.busySenders,
      },
    },
  ];
}

async function measure(
  target: Target,
  layout: Layout,
  env: Record<string, string>,
  plan: Plan,
  pg?: PostgresServer,
): Promise<TargetResult> {
  // Created, not default rooms: a new user becomes a member of every default room.
  const session = await Session.start(target, layout, env, layout.rooms);
  try {
    const connect = await session.connect();
    const db0 = pg ? treeCpuSeconds(pg.pid()) : 0;
    const t0 = performance.now();
    const fixed = await session.phase(plan.durable.rate, plan.durable.ms);
    const wall = (performance.now() - t0) / 1000;
    const database = pg
      ? (() => {
        const cpu = treeCpuSeconds(pg.pid()) - db0;
        return {
          cores: cpu / wall,
          usPerDelivery: fixed.deliveries ? cpu * 1e6 / fixed.deliveries : 0,
        };
      })()
      : undefined;
    // Then doubling the rate while acks keep up: the durable rate it holds.
    const ramp: PhaseSummary[] = [];
    let best = broke(fixed) ? undefined : fixed;
    for (
      let step = 0, rate = plan.durable.rate * 2;
      best && step < plan.durable.steps;
      step++, rate *= 2
    ) {
      const p = await session.phase(rate, plan.durable.stepMs, 3000);
      ramp.push(p);
      if (broke(p)) break;
      best = p;
    }
    return { connect, fixed, ramp, best, database };
  } finally {
    await session.close();
  }
}

/**
 * Runs both workloads on the baseline, the app on KV and the app on
 * PostgreSQL; returns two results per workload (KV, PostgreSQL), each
 * against the same baseline run.
 */
export async function durable(plan: Plan): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  await using pg = await startPostgres();
  let db = 0;
  for (const w of workloads(plan)) {
    const baseline = await measure("baseline", w.layout, {}, plan);
    const kv = await measure("app", w.layout, {}, plan);
    const url = await pg.createDatabase(`bench_${++db}`);
    const postgres = await measure(
      "app",
      w.layout,
      { DATABASE_URL: url },
      plan,
      pg,
    );
    for (
      const [backend, app] of [["kv", kv], ["postgres", postgres]] as const
    ) {
      out.push({
        scenario: `${w.name} (${backend})`,
        clients: w.layout.clients,
        rooms: w.rooms.length,
        senders: w.layout.senders,
        app,
        baseline,
      });
    }
  }
  return out;
}
