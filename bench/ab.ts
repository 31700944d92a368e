/**
 * Two servers under the same load at the same time: `deno task bench:ab`.
 *
 * Run one after the other, the same server's CPU per delivery moves by 10–30%
 * between runs on a shared machine, more than most changes being measured.
 * Here both servers (A and B) run side by side, each with its own load
 * generator and its own quiet rooms, so whatever else the machine does
 * weighs on both alike; the ratio B / A of one round is what counts, and
 * it usually moves by 1–3% between rounds. Absolute figures are not
 * comparable with `deno task bench`: each server gets half the rate, and
 * they share the cores.
 *
 * Usage: `deno task bench:ab -- [--a=<json>] [--b=<json>|--b=baseline]
 * [--backend=postgres|kv] [--rounds=3] [--rooms=500] [--rate=500]
 * [--ms=10000]`. `--a` and `--b` are environment variables for the app as
 * JSON (e.g. `--b='{"COMMIT_SPACING_MS":"8"}'`); `--b=baseline` measures
 * the bare broadcast server (`bench/baseline.ts`) as B instead. A key
 * `BENCH_CWD` runs that side from another checkout, built beforehand: a
 * worktree of an older commit, to measure a change side by side. With the
 * PostgreSQL backend (the default) one server is started for the run and
 * each app gets a database of its own. Prints a line per round and a JSON
 * line with the medians. `-- --help` lists the flags.
 *
 * @module
 */
import { countFlag, eachFlag, parseOrExit, UsageError } from "./cli_flags.ts";
import { quietRooms } from "./durable.ts";
import { memoryMonitor, wakeUps } from "./proc_stats.ts";
import { type PhaseSummary, Session } from "./session.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";

/** What an A/B run compares, and under which load. */
export interface AbOptions {
  /** The app's extra environment, A. */
  a: Record<string, string>;
  /** The app's extra environment, B, or the baseline server. */
  b: Record<string, string> | "baseline";
  backend: "postgres" | "kv";
  rounds: number;
  /** Quiet rooms per server, two members each (both send). */
  rooms: number;
  /** Messages per second per server. */
  rate: number;
  ms: number;
}

/** One round's figures for one server. */
export interface AbSide {
  usPerDelivery: number;
  cores: number;
  /** Times per second the server's main thread went to sleep and woke. */
  wakesPerS: number;
  ackP99: number;
  lost: number;
}

/** What `deno task bench:ab -- --help` prints. */
export const AB_USAGE = `
Usage: deno task bench:ab [-- <flags>]

Runs the app twice side by side (A and B) under the same load and prints
B / A, the server CPU per delivery, per round and as medians.

  --a=<json>                 A's extra environment, e.g. '{"LISTENER":"deno"}';
                             "BENCH_CWD" runs A from another checkout
                             (built), e.g. a worktree of an older commit
  --b=<json>|--b=baseline    B's, or the bare broadcast server as B
  --backend=postgres|kv      the store (default postgres, started for the run)
  --rounds=<n>               rounds (default 3)
  --rooms=<n>                quiet rooms per server (default 500)
  --rate=<n>                 messages per second per server (default 500)
  --ms=<n>                   length of a round's load (default 10000)
  --help                     this text
`;

/** Parses the command line into {@link AbOptions}; throws a {@link UsageError}. */
export function parseAbArgs(args: string[]): AbOptions {
  const options: AbOptions = {
    a: {},
    b: {},
    backend: "postgres",
    rounds: 3,
    rooms: 500,
    rate: 500,
    ms: 10_000,
  };
  const env = (name: string, text: string) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (
      typeof value !== "object" || value === null || Array.isArray(value) ||
      !Object.values(value).every((v) => typeof v === "string")
    ) {
      throw new UsageError(`${name} must be a JSON object of strings: ${text}`);
    }
    return value as Record<string, string>;
  };
  eachFlag(args, (flag, value) => {
    if (flag === "--a") options.a = env("--a", value);
    else if (flag === "--b") {
      options.b = value === "baseline" ? "baseline" : env("--b", value);
    } else if (
      flag === "--backend" && (value === "postgres" || value === "kv")
    ) {
      options.backend = value;
    } else {
      return countFlag(options, ["rounds", "rooms", "rate", "ms"], flag, value);
    }
    return true;
  });
  return options;
}

/** The median of `xs` (the upper one of an even count). */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((p, q) => p - q);
  return sorted[Math.floor(sorted.length / 2)];
}

function side(p: PhaseSummary, wakes: number, seconds: number): AbSide {
  return {
    usPerDelivery: p.serverUsPerDelivery,
    cores: p.serverCores,
    wakesPerS: wakes / seconds,
    ackP99: p.ack.p99,
    lost: p.lost,
  };
}

/** Runs the rounds; resolves to each round's A and B. */
export async function runAb(
  options: AbOptions,
  log: (line: string) => void = console.error,
): Promise<{ a: AbSide; b: AbSide }[]> {
  const { rooms, layout } = quietRooms(options.rooms, 2, 1);
  await using pg = options.backend === "postgres"
    ? await startPostgres()
    : undefined;
  let db = 0;
  const app = async (env: Record<string, string>) =>
    await Session.start("app", layout, {
      ...(pg ? { DATABASE_URL: await pg.createDatabase(`ab_${++db}`) } : {}),
      ...env,
    }, rooms);
  const rounds: { a: AbSide; b: AbSide }[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const a = await app(options.a);
    let b: Session | undefined;
    try {
      b = options.b === "baseline"
        ? await Session.start("baseline", layout)
        : await app(options.b);
      await Promise.all([a.connect(), b.connect()]);
      const before = [wakeUps(a.server.pid), wakeUps(b.server.pid)];
      const [pa, pb] = await Promise.all([
        a.phase(options.rate, options.ms),
        b.phase(options.rate, options.ms),
      ]);
      const seconds = options.ms / 1000;
      const result = {
        a: side(pa, wakeUps(a.server.pid) - before[0], seconds),
        b: side(pb, wakeUps(b.server.pid) - before[1], seconds),
      };
      rounds.push(result);
      const show = (s: AbSide) =>
        `${s.usPerDelivery.toFixed(1)} µs/delivery, ${
          s.wakesPerS.toFixed(0)
        } wakes/s, ack p99 ${s.ackP99.toFixed(1)} ms, lost ${s.lost}`;
      log(
        `round ${round}: A ${show(result.a)}; B ${show(result.b)}; B/A ${
          (result.b.usPerDelivery / result.a.usPerDelivery).toFixed(3)
        }`,
      );
    } finally {
      await Promise.all([a.close(), b?.close()]);
    }
  }
  return rounds;
}

if (import.meta.main) {
  const options = parseOrExit("bench:ab", Deno.args, AB_USAGE, parseAbArgs);
  const monitor = memoryMonitor();
  if (monitor) {
    console.error(
      `the kernel's memory monitor runs (${monitor}): its samples stall both servers, ack p99 above all`,
    );
  }
  const rounds = await runAb(options);
  const ratios = rounds.map((r) => r.b.usPerDelivery / r.a.usPerDelivery);
  console.log(JSON.stringify({
    options,
    a: median(rounds.map((r) => r.a.usPerDelivery)),
    b: median(rounds.map((r) => r.b.usPerDelivery)),
    ratio: median(ratios),
    ratios,
  }));
}
