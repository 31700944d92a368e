/**
 * Renders a bench run as Markdown (`bench/results.md`).
 *
 * @module
 */
import { IDLE_RSS_MS } from "./big_rooms.ts";
import type { Summary } from "./histogram.ts";
import type { MachineInfo } from "./proc_stats.ts";
import type { Plan, ScenarioResult, TargetResult } from "./scenarios.ts";
import type { PhaseSummary } from "./session.ts";
import { ACK_P99_LIMIT_MS } from "./durable.ts";

/** Everything a report shows. */
export interface Run {
  machine: MachineInfo;
  mode: "quick" | "full";
  plan: Plan;
  appEnv: Record<string, string>;
  seconds: number;
  results: ScenarioResult[];
}

const n = (v: number) => Math.round(v).toLocaleString("en-US");
const ms = (v: number) => v < 10 ? v.toFixed(2) : v.toFixed(0);
const lat = (s: Summary) => `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`;
const ratio = (a: number, b: number) => b > 0 ? `${(a / b).toFixed(2)}×` : "–";
const keys = (o: Record<string, number>) =>
  Object.entries(o).map(([k, v]) => `${k}: ${v}`).join(", ") || "–";

function row(cells: (string | number)[]): string {
  return `| ${cells.join(" | ")} |`;
}

function table(head: string[], rows: string[]): string {
  if (rows.length === 0) return "Not run.";
  return [
    row(head),
    row(head.map(() => "---")),
    ...rows,
  ].join("\n");
}

function phaseRows(results: ScenarioResult[]): string[] {
  return results.filter((r) => r.app.fixed && r.baseline.fixed).map((r) => {
    const a = r.app.fixed!, b = r.baseline.fixed!;
    return row([
      r.scenario,
      n(a.rate),
      n(a.deliveriesPerS),
      n(b.deliveriesPerS),
      lat(a.latency),
      lat(b.latency),
      `${n(a.lost)} / ${n(b.lost)}`,
      `${a.serverUsPerDelivery.toFixed(1)} / ${
        b.serverUsPerDelivery.toFixed(1)
      } (${ratio(a.serverUsPerDelivery, b.serverUsPerDelivery)})`,
      `${a.serverCores.toFixed(2)} / ${b.serverCores.toFixed(2)}`,
      `${a.generatorCores.toFixed(2)} / ${b.generatorCores.toFixed(2)}`,
      `${a.otherCores.toFixed(2)} / ${b.otherCores.toFixed(2)}`,
    ]);
  });
}

function durableRows(results: ScenarioResult[]): string[] {
  return results.filter((r) => r.scenario.startsWith("durable")).map((r) => {
    const a = r.app.fixed!, b = r.baseline.fixed!;
    const top = r.app.best;
    return row([
      r.scenario,
      `${n(a.acked / a.seconds)} (of ${n(a.rate)})`,
      `${ms(a.ack.p50)} / ${ms(a.ack.p99)} / ${ms(a.ack.max)}`,
      `${a.serverUsPerDelivery.toFixed(1)} / ${
        b.serverUsPerDelivery.toFixed(1)
      } (${ratio(a.serverUsPerDelivery, b.serverUsPerDelivery)})`,
      r.app.database
        ? `${r.app.database.usPerDelivery.toFixed(1)} (${
          r.app.database.cores.toFixed(2)
        } cores)`
        : "in the server",
      top
        ? `${n(top.acked / top.seconds)} (ack p99 ${ms(top.ack.p99)} ms)`
        : "none held",
      `${n(a.lost)}; errors ${keys(a.errors)}`,
    ]);
  });
}

function best(t: TargetResult): string {
  const p = t.best;
  return p
    ? `${n(p.rate)} msg/s = ${n(p.deliveriesPerS)} del/s (p99 ${
      ms(p.latency.p99)
    } ms)`
    : "none held";
}

function brokeAt(t: TargetResult): string {
  const last = [t.fixed, ...(t.ramp ?? [])].at(-1);
  if (!last || last === t.best) return "held every step up to the ramp's cap";
  return `${n(last.rate)} msg/s: ${n(last.deliveriesPerS)} del/s, p99 ${
    ms(last.latency.p99)
  } ms, lost ${n(last.lost)}, sent ${n(last.sentPerS)}/s; cores: server ${
    last.serverCores.toFixed(2)
  }, generator ${last.generatorCores.toFixed(2)}, other ${
    last.otherCores.toFixed(2)
  }; closes ${keys(last.closes)}`;
}

function rampRows(results: ScenarioResult[]): string[] {
  return results.filter((r) =>
    r.app.ramp && r.baseline.ramp && !r.scenario.startsWith("durable")
  )
    .map((r) =>
      row([
        r.scenario,
        best(r.app),
        best(r.baseline),
        ratio(
          r.app.best?.deliveriesPerS ?? 0,
          r.baseline.best?.deliveriesPerS ?? 0,
        ),
        brokeAt(r.app),
        brokeAt(r.baseline),
      ])
    );
}

function connectRows(results: ScenarioResult[], joins: boolean): string[] {
  return results.filter((r) =>
    r.scenario.startsWith(joins ? "join" : "connect")
  )
    .map((r) => {
      const a = r.app.connect, b = r.baseline.connect;
      const done = (c: typeof a) =>
        `${
          n(joins ? c.allJoinedMs : c.allWelcomedMs)
        } ms (${c.ready}/${r.clients})`;
      return row([
        r.scenario,
        done(a),
        done(b),
        ratio(
          joins ? a.allJoinedMs : a.allWelcomedMs,
          joins ? b.allJoinedMs : b.allWelcomedMs,
        ),
        lat(joins ? a.join : a.welcome),
        lat(joins ? b.join : b.welcome),
        joins
          ? `${n(a.quietMs)} ms, ${a.mb.toFixed(1)} MB, ${
            n(Object.values(a.frames).reduce((x, y) => x + y, 0) / r.clients)
          } frames per client`
          : `${a.serverCpu.toFixed(2)} s / ${b.serverCpu.toFixed(2)} s`,
        `${a.failed} / ${b.failed}; closes ${keys(a.closes)}`,
      ]);
    });
}

function idleRows(results: ScenarioResult[]): string[] {
  return results.filter((r) => r.app.rss && r.baseline.rss).map((r) => {
    const a = r.app.rss!, b = r.baseline.rss!;
    const mb = (v: number) => (v / 1048576).toFixed(0);
    return row([
      r.scenario,
      `${r.app.connect.ready} / ${r.baseline.connect.ready}`,
      `${mb(a.before)} → ${mb(a.after)} MiB`,
      `${mb(b.before)} → ${mb(b.after)} MiB`,
      `${(a.perConnection / 1024).toFixed(1)} / ${
        (b.perConnection / 1024).toFixed(1)
      } KiB`,
      ratio(a.perConnection, b.perConnection),
    ]);
  });
}

function checkRows(results: ScenarioResult[]): string[] {
  return results.flatMap((r) =>
    (r.checks ?? []).map((c) =>
      row([
        r.scenario,
        c.what,
        Number.isFinite(c.measured)
          ? `${
            c.unit === "×" || !Number.isInteger(c.measured)
              ? c.measured.toFixed(2)
              : n(c.measured)
          }${c.unit}`
          : "–",
        c.limit === null ? "–" : `≤ ${c.limit}${c.unit}`,
        c.limit === null ? "(shown)" : c.pass ? "**pass**" : "**FAIL**",
        c.detail.replaceAll("|", "/"),
      ])
    )
  );
}

function settleRows(results: ScenarioResult[]): string[] {
  return results.filter((r) => r.checks).map((r) => {
    const side = (t: TargetResult) => {
      const c = t.reconnect ?? t.connect;
      return `${c.ready}/${r.clients} ready, joined ${
        n(c.allJoinedMs)
      } ms, quiet ${n(c.quietMs)} ms, CPU ${c.serverCpu.toFixed(2)} s, ${
        c.mb.toFixed(1)
      } MB; frames ${keys(c.frames)}`;
    };
    return row([r.scenario, side(r.app), side(r.baseline)]);
  });
}

function maxOther(results: ScenarioResult[]): number {
  const phases: PhaseSummary[] = results.flatMap((r) =>
    [r.app, r.baseline].flatMap((t) => [t.fixed, ...(t.ramp ?? [])])
  ).filter((p): p is PhaseSummary => p !== undefined);
  return Math.max(0, ...phases.map((p) => p.otherCores));
}

/** The Markdown report of a run. */
export function renderReport(run: Run): string {
  const m = run.machine;
  const env = Object.entries(run.appEnv).map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const checks = run.results.flatMap((r) => r.checks ?? []);
  const failed = checks.filter((c) => !c.pass).length;
  return `# Bench results

Written by \`deno task bench${
    run.mode === "quick" ? " -- --quick" : ""
  }\` on ${m.date} in ${
    run.seconds.toFixed(0)
  } s. Machine: ${m.cores} cores (\`nproc\`), ${m.cpu}, Deno ${m.deno}; load average at the start ${m.loadAverage}.
Server, baseline and the two load-generator processes share those cores over loopback, so every figure
includes the generator's own cost; "other" is CPU used by processes outside the bench
(at most ${
    maxOther(run.results).toFixed(2)
  } cores during a phase of this run).${
    m.memoryMonitor
      ? `
The kernel's memory monitor ran during this run (${m.memoryMonitor}): each of its samples stalls every
process for about 10 ms, which sets most of the baseline's ack p99 and adds to the app's.`
      : ""
  }

The app runs \`serve.ts\` (the built app) with KV in a temp dir and ${env} (limits raised so the bench is not
rate-limited or cut off as idle). The baseline (\`bench/baseline.ts\`) is a bare \`Deno.serve\`
broadcast server speaking the same frames: no storage, validation or presence.
Latencies are p50 / p99 / max in ms from the sender's \`send\` to each member's \`message\`.
"Lost" counts deliveries missing out of sent × members (every member must get every message).
Fan-out: ${run.plan.fanout.senders} senders, ${
    run.plan.fanout.ms / 1000
  } s at the fixed rate. In the fan-out scenarios the listeners of each worker are tabs of one guest, so presence
traffic stays small; the join storm shows it with a user per client.

## Issue 18 targets (membership, big rooms)

\`bench/big_rooms.ts\` (\`--only=join10k,reconnect,fanout10k\`), each against the baseline in this
run: ${
    checks.length
      ? `${checks.length - failed} of ${checks.length} rows hold${
        failed ? `, **${failed} fail**` : ""
      }`
      : "not run"
  }. The join storm is new users (a fresh KV store) opening a socket each at once and joining a
room the bench created, so each \`join\` makes a member; the baseline takes as many connections
(its connect storm). Settled means no frame reached any client for ${
    (run.plan.join10k.quietMs / 1000).toFixed(1)
  } s; frames count everything each
client received until then (\`event\`: stored membership events). RSS per idle connection is the
lowest RSS over ${
    IDLE_RSS_MS / 1000
  } s after the storm settled, less the RSS before, per connection, for both servers: V8
collects a storm's garbage only when its memory reducer runs, usually 10–20 s after allocation stops
(when the lowest was seen, and the figure one second after the storm, are shown beside it). The reconnect storm: ${
    n(run.plan.reconnect.clients)
  } clients
each in ${run.plan.reconnect.perClient} of ${run.plan.reconnect.rooms} rooms (the app's default rooms) close, ${run.plan.reconnect.messages} messages go to every room, and all
come back at once, joining each room with \`since\` = the last id they held; lost and duplicated count ids
of (since, the room's last id] per client and room. Fan-out: the members are distinct users.

${
    table([
      "scenario",
      "measured",
      "figure",
      "target",
      "result",
      "from",
    ], checkRows(run.results))
  }

${table(["scenario", "app", "baseline"], settleRows(run.results))}

## Fixed rate

${
    table([
      "scenario",
      "msg/s",
      "app del/s",
      "baseline del/s",
      "app latency",
      "baseline latency",
      "lost app / base",
      "server µs per delivery app / base (ratio)",
      "server cores app / base",
      "generator cores",
      "other cores",
    ], phaseRows(run.results))
  }

## Highest rate sustained

The rate doubles every step until a step loses a delivery, has a p99 over the limit, or the
generator cannot send at the rate; "best" is the last step that held (p99 limit ${
    run.plan.ramp?.p99LimitMs ?? "–"
  } ms, ${
    ((run.plan.ramp?.stepMs ?? 0) / 1000).toFixed(1)
  } s per step, at most ${
    n(run.plan.ramp?.maxDeliveriesPerS ?? 0)
  } deliveries/s). A step that broke while
other processes kept more than half a core busy is tried once more.

${
    table([
      "scenario",
      "app best",
      "baseline best",
      "ratio",
      "app broke at",
      "baseline broke at",
    ], rampRows(run.results))
  }

## Connect storm (every client at once, until \`welcome\`)

${
    table([
      "scenario",
      "app all welcomed",
      "baseline",
      "ratio",
      "app per client",
      "baseline per client",
      "server CPU app / base",
      "failed app / base",
    ], connectRows(run.results, false))
  }

## Join storm (a distinct user per client, one room, 200 joins at a time per worker)

${
    table([
      "scenario",
      "app all joined",
      "baseline",
      "ratio",
      "app join latency",
      "baseline join latency",
      "app traffic until quiet",
      "failed app / base",
    ], connectRows(run.results, true))
  }

## Durable sends: Deno KV and PostgreSQL side by side

\`bench/durable.ts\`: the app on a KV file and on a PostgreSQL 15 server started for the run
(default settings, fsync on; the app's default with \`DATABASE_URL\`: the PostgreSQL store and the
LISTEN/NOTIFY bus), each against one baseline run. "Acked/s" is durable messages per second at
the fixed rate; the ack latency is from \`send\` to \`ack\` (acked only after the commit). The rate
then doubles while the ack p99 stays under ${ACK_P99_LIMIT_MS} ms without loss; "highest" is the last
step that held. Server CPU per delivery excludes PostgreSQL's own processes, shown apart.

${
    table([
      "scenario",
      "acked/s (of msg/s)",
      "ack p50 / p99 / max ms",
      "server µs per delivery app / base (ratio)",
      "PostgreSQL µs per delivery",
      "highest acked/s held",
      "lost",
    ], durableRows(run.results))
  }

## Idle connections (welcomed, in no room)

${
    table([
      "scenario",
      "connected app / base",
      "app RSS",
      "baseline RSS",
      "per connection app / base",
      "ratio",
    ], idleRows(run.results))
  }
`;
}
