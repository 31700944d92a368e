/**
 * Issue 13's targets judged over several pairs: `deno task bench:pairs`.
 *
 * One run of the durable bench gives one ratio, and on a shared machine the
 * same server's CPU per delivery moves by 10–30% between runs, the baseline's
 * too. So the quiet rooms (1,000 rooms × 2 clients, everyone sending, 1,000
 * messages a second for 10 s) are run as alternating pairs, the baseline
 * then the app on a fresh PostgreSQL database (or a fresh KV file), and the
 * targets are read from the medians: server CPU per delivery within 2× the
 * baseline's, ack p99 under 20 ms.
 *
 * Usage: `deno task bench:pairs -- [--pairs=8] [--backend=postgres|kv]
 * [--rooms=1000] [--rate=1000] [--ms=10000]`. Prints a line per pair and a
 * JSON line with the medians and the verdicts. `-- --help` lists the flags.
 *
 * @module
 */
import { median } from "./ab.ts";
import { countFlag, eachFlag, parseOrExit } from "./cli_flags.ts";
import { quietRooms } from "./durable.ts";
import { memoryMonitor } from "./proc_stats.ts";
import { FULL } from "./scenarios.ts";
import { Session } from "./session.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";

/** The targets: CPU per delivery against the baseline's, and ack p99. */
export const TARGETS = { ratio: 2, ackP99Ms: 20 } as const;

/** What a run measures. */
export interface PairsOptions {
  pairs: number;
  backend: "postgres" | "kv";
  /** Quiet rooms, two members each (both send). */
  rooms: number;
  /** Messages per second in total. */
  rate: number;
  ms: number;
}

/** One pair's figures. */
export interface Pair {
  baselineUs: number;
  appUs: number;
  /** The app's CPU per delivery over the baseline's. */
  ratio: number;
  baselineAckP99: number;
  appAckP99: number;
  /** Deliveries missing, app and baseline together. */
  lost: number;
}

/** The medians over the pairs, and whether each target held. */
export interface PairsSummary {
  pairs: number;
  ratio: number;
  appAckP99: number;
  baselineAckP99: number;
  lost: number;
  cpuTargetHeld: boolean;
  ackTargetHeld: boolean;
}

/** What `deno task bench:pairs -- --help` prints. */
export const PAIRS_USAGE = `
Usage: deno task bench:pairs [-- <flags>]

Runs the quiet rooms as alternating pairs (the baseline, then the app) and
judges the targets from the medians.

  --pairs=<n>                pairs (default 8)
  --backend=postgres|kv      the store (default postgres, started for the run)
  --rooms=<n>                quiet rooms, two members each (default ${FULL.durable.rooms})
  --rate=<n>                 messages per second in total (default ${FULL.durable.rate})
  --ms=<n>                   length of each run's load (default ${FULL.durable.ms})
  --help                     this text
`;

/** Parses the command line into {@link PairsOptions}; throws a `UsageError`. */
export function parsePairsArgs(args: string[]): PairsOptions {
  const d = FULL.durable;
  const options: PairsOptions = {
    pairs: 8,
    backend: "postgres",
    rooms: d.rooms,
    rate: d.rate,
    ms: d.ms,
  };
  eachFlag(args, (flag, value) => {
    if (flag === "--backend" && (value === "postgres" || value === "kv")) {
      options.backend = value;
      return true;
    }
    return countFlag(options, ["pairs", "rooms", "rate", "ms"], flag, value);
  });
  return options;
}

/** The medians of `pairs` and the verdicts (an even count takes the upper). */
export function summarize(pairs: Pair[]): PairsSummary {
  const ratio = median(pairs.map((p) => p.ratio));
  const appAckP99 = median(pairs.map((p) => p.appAckP99));
  const lost = pairs.reduce((n, p) => n + p.lost, 0);
  return {
    pairs: pairs.length,
    ratio,
    appAckP99,
    baselineAckP99: median(pairs.map((p) => p.baselineAckP99)),
    lost,
    cpuTargetHeld: lost === 0 && ratio <= TARGETS.ratio,
    ackTargetHeld: lost === 0 && appAckP99 < TARGETS.ackP99Ms,
  };
}

/** Runs the pairs one after the other; resolves to each pair's figures. */
export async function runPairs(
  options: PairsOptions,
  log: (line: string) => void = console.error,
): Promise<Pair[]> {
  const { rooms, layout } = quietRooms(options.rooms, 2, FULL.workers);
  await using pg = options.backend === "postgres"
    ? await startPostgres()
    : undefined;
  const phase = async (session: Session) => {
    try {
      await session.connect();
      return await session.phase(options.rate, options.ms);
    } finally {
      await session.close();
    }
  };
  const pairs: Pair[] = [];
  for (let n = 1; n <= options.pairs; n++) {
    const base = await phase(await Session.start("baseline", layout));
    const env: Record<string, string> = pg
      ? { DATABASE_URL: await pg.createDatabase(`pairs_${n}`) }
      : {};
    // Created, not default rooms: a new user joins every default room.
    const app = await phase(await Session.start("app", layout, env, rooms));
    const pair: Pair = {
      baselineUs: base.serverUsPerDelivery,
      appUs: app.serverUsPerDelivery,
      ratio: app.serverUsPerDelivery / base.serverUsPerDelivery,
      baselineAckP99: base.ack.p99,
      appAckP99: app.ack.p99,
      lost: base.lost + app.lost,
    };
    pairs.push(pair);
    log(
      `pair ${n}: baseline ${pair.baselineUs.toFixed(1)} µs/delivery, ack p99 ${
        pair.baselineAckP99.toFixed(1)
      } ms; app (${options.backend}) ${
        pair.appUs.toFixed(1)
      } µs/delivery, ack p99 ${pair.appAckP99.toFixed(1)} ms; ${
        pair.ratio.toFixed(2)
      }×, lost ${pair.lost}`,
    );
  }
  return pairs;
}

if (import.meta.main) {
  const options = parseOrExit(
    "bench:pairs",
    Deno.args,
    PAIRS_USAGE,
    parsePairsArgs,
  );
  const monitor = memoryMonitor();
  if (monitor) {
    console.error(
      `the kernel's memory monitor runs (${monitor}): its samples stall every process, ack p99 above all`,
    );
  }
  const pairs = await runPairs(options);
  const summary = summarize(pairs);
  console.error(
    `median of ${summary.pairs}: ${
      summary.ratio.toFixed(2)
    }× (target ≤ ${TARGETS.ratio}×: ${
      summary.cpuTargetHeld ? "held" : "not held"
    }), ack p99 ${
      summary.appAckP99.toFixed(1)
    } ms (target < ${TARGETS.ackP99Ms} ms: ${
      summary.ackTargetHeld ? "held" : "not held"
    })`,
  );
  console.log(JSON.stringify({ options, summary, pairs }));
}
