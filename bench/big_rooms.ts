/**
 * The scenarios of big rooms with membership (issue 18), each against the
 * baseline in the same run and checked against the targets:
 * a join storm of new users into one room, a reconnect storm with `since`
 * in ten rooms per client, and fan-out to a room of 10,000 members.
 *
 * @module
 */
import { Driver } from "./driver.ts";
import {
  layout,
  type Plan,
  type ScenarioResult,
  type TargetResult,
  withSession,
} from "./scenarios.ts";
import type { Session } from "./session.ts";
import { atMost, ratio, shown } from "./targets.ts";

/** The room a join storm joins; the driver creates it, so it is no default room. */
const STORM_ROOM = "storm";
/** The room of the fan-out, one of the app's default rooms. */
const FANOUT_ROOM = "general";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const total = (o: Record<string, number>) =>
  Object.values(o).reduce((a, b) => a + b, 0);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * How long RSS is watched once a storm settled. V8 keeps a storm's garbage
 * until its memory reducer runs, usually 10–20 s after allocation stops
 * but now and then later (runs watched for 25 s showed the app at 1.8× the
 * baseline, 0.8–1.1× in the others); an idle server's memory is what is
 * left then.
 */
export const IDLE_RSS_MS = 40_000;

/**
 * Connects every client, with server RSS before and once idle: the lowest
 * of one-second samples over {@link IDLE_RSS_MS} (the first sample, a
 * second after the storm settled, is kept as `early`).
 */
async function measuredConnect(session: Session): Promise<TargetResult> {
  await sleep(1000);
  const before = session.rss();
  const connect = await session.connect();
  const per = (rss: number) => (rss - before) / Math.max(1, connect.ready);
  await sleep(1000);
  const first = session.rss();
  let after = first, lowestAt = 1000;
  for (let t = 1000; t < IDLE_RSS_MS; t += 1000) {
    await sleep(1000);
    const rss = session.rss();
    if (rss < after) [after, lowestAt] = [rss, t + 1000];
  }
  return {
    connect,
    rss: {
      before,
      after,
      perConnection: per(after),
      lowestAtMs: lowestAt,
      early: { after: first, perConnection: per(first) },
    },
  };
}

/**
 * `clients` new users (a fresh store) connect at once and `join` one room
 * the driver created, each becoming its member; against the baseline's
 * connect storm of as many clients. Settled when no frame came for
 * `quietMs` (longer than the app's coalescing window).
 */
export async function memberJoinStorm(plan: Plan): Promise<ScenarioResult> {
  const { clients, deadlineMs, quietMs } = plan.join10k;
  const app = await withSession(
    "app",
    layout(plan, clients, {
      rooms: [STORM_ROOM],
      concurrency: clients,
      deadlineMs,
      quietMs,
    }),
    measuredConnect,
    {},
    [STORM_ROOM],
  );
  const baseline = await withSession(
    "baseline",
    layout(plan, clients, { rooms: [], concurrency: clients, deadlineMs }),
    measuredConnect,
  );
  const a = app.connect, b = baseline.connect;
  const frames = total(a.frames) / clients;
  return {
    scenario: `member join storm ${clients}`,
    clients,
    rooms: 1,
    senders: 0,
    app,
    baseline,
    checks: [
      atMost(
        "clients not joined",
        clients - a.ready,
        0,
        "",
        `${a.ready} of ${clients} joined; failures ${keys(a.failures)}`,
      ),
      atMost(
        "time until everyone joined, app / baseline's connect storm",
        ratio(a.allJoinedMs, b.allWelcomedMs),
        3,
        "×",
        `${s(a.allJoinedMs)} / ${s(b.allWelcomedMs)}`,
      ),
      atMost(
        "server CPU until settled, app / baseline",
        ratio(a.serverCpu, b.serverCpu),
        4,
        "×",
        `${a.serverCpu.toFixed(2)} s / ${b.serverCpu.toFixed(2)} s`,
      ),
      atMost(
        "frames received per client until the room is quiet",
        frames,
        20,
        "",
        `${keys(a.frames)}; quiet after ${s(a.quietMs)}`,
      ),
      atMost(
        "server RSS per idle connection, app / baseline",
        ratio(app.rss!.perConnection, baseline.rss!.perConnection),
        1.5,
        "×",
        `${kib(app.rss!.perConnection)} / ${
          kib(baseline.rss!.perConnection)
        } idle (lowest of ${IDLE_RSS_MS / 1000} s, at ${
          app.rss!.lowestAtMs! / 1000
        } s / ${baseline.rss!.lowestAtMs! / 1000} s); 1 s after the storm ${
          kib(app.rss!.early!.perConnection)
        } / ${kib(baseline.rss!.early!.perConnection)}`,
      ),
    ],
  };
}

/**
 * `clients` members of `perClient` rooms each connect and join, all close,
 * the driver sends `messages` to every room, and all come back at once with
 * `since` per room: each must get exactly what it missed.
 */
export async function reconnectStorm(plan: Plan): Promise<ScenarioResult> {
  const { clients, rooms, perClient, messages, deadlineMs } = plan.reconnect;
  const ids = Array.from({ length: rooms }, (_, i) => `r${i}`);
  const l = layout(plan, clients, {
    rooms: ids,
    roomsPerClient: perClient,
    concurrency: 500,
    deadlineMs,
    quietMs: 1500,
  });
  const run = (session: Session) => reconnectRun(session, ids, messages);
  // The rooms are the app's default rooms: every client a member of each.
  const app = await withSession("app", l, run, { CHAT_ROOMS: ids.join(",") });
  const baseline = await withSession("baseline", l, run);
  const a = app.reconnect!, b = baseline.reconnect!;
  return {
    scenario: `reconnect storm ${clients}×${perClient} rooms`,
    clients,
    rooms,
    senders: 0,
    app,
    baseline,
    checks: [
      atMost(
        "clients not back",
        clients - a.ready,
        0,
        "",
        `${a.ready} of ${clients}; failures ${keys(a.failures)}`,
      ),
      atMost(
        "messages lost",
        a.lost,
        0,
        "",
        `${a.replayed} of ${a.expected} missed messages arrived (baseline: lost ${b.lost})`,
      ),
      atMost(
        "messages duplicated",
        a.duplicated,
        0,
        "",
        `baseline: ${b.duplicated}`,
      ),
      shown(
        "time to settle, app / baseline",
        ratio(a.quietMs, b.quietMs),
        "×",
        `${s(a.quietMs)} / ${s(b.quietMs)}; all joined ${s(a.allJoinedMs)} / ${
          s(b.allJoinedMs)
        }`,
      ),
      shown(
        "server CPU of the reconnect, app / baseline",
        ratio(a.serverCpu, b.serverCpu),
        "×",
        `${a.serverCpu.toFixed(2)} s / ${b.serverCpu.toFixed(2)} s`,
      ),
      shown(
        "frames received per client while settling",
        total(a.frames) / clients,
        "",
        keys(a.frames),
      ),
    ],
  };
}

async function reconnectRun(
  session: Session,
  rooms: string[],
  messages: number,
): Promise<TargetResult> {
  // The driver comes first and stays: its own arrival (a stored membership
  // event on the app) and departure (presence) fall outside the reconnect.
  const driver = await Driver.open(session.server.wsUrl, "bench-driver");
  try {
    for (const room of rooms) await driver.join(room);
    const connect = await session.connect();
    await session.disconnect();
    const lastIds: Record<string, number> = {};
    for (const room of rooms) {
      for (let i = 0; i < messages; i++) {
        lastIds[room] = await driver.send(room, `while away ${i}`);
      }
    }
    return { connect, reconnect: await session.reconnect(lastIds) };
  } finally {
    await driver.close();
  }
}

/**
 * A room of `clients` members (distinct users who joined it) and `senders`
 * of them sending at `rate` for `ms`: server CPU per delivery against the
 * baseline, and loss.
 */
export async function memberFanOut(plan: Plan): Promise<ScenarioResult> {
  const { clients, senders, rate, ms } = plan.fanout10k;
  const l = layout(plan, clients, {
    rooms: [FANOUT_ROOM],
    senders,
    concurrency: 1000,
    deadlineMs: plan.join10k.deadlineMs,
    quietMs: 1500,
  });
  const run = (session: Session) =>
    session.connect().then(async (connect): Promise<TargetResult> => {
      const fixed = await session.phase(rate, ms);
      return { connect, fixed, best: fixed };
    });
  const app = await withSession("app", l, run);
  const baseline = await withSession("baseline", l, run);
  const a = app.fixed!, b = baseline.fixed!;
  return {
    scenario: `fan-out to ${clients} members`,
    clients,
    rooms: 1,
    senders,
    app,
    baseline,
    checks: [
      atMost(
        "members not joined",
        clients - app.connect.ready,
        0,
        "",
        `${app.connect.ready} of ${clients}; failures ${
          keys(app.connect.failures)
        }`,
      ),
      atMost(
        "server CPU per delivery, app / baseline",
        ratio(a.serverUsPerDelivery, b.serverUsPerDelivery),
        1.25,
        "×",
        `${a.serverUsPerDelivery.toFixed(2)} µs / ${
          b.serverUsPerDelivery.toFixed(2)
        } µs; ${Math.round(a.deliveriesPerS)} deliveries/s`,
      ),
      atMost(
        "deliveries lost",
        a.lost,
        0,
        "",
        `${a.deliveries} of ${a.expected} (baseline lost ${b.lost})`,
      ),
    ],
  };
}

function keys(o: Record<string, number>): string {
  return Object.entries(o).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
}
