/**
 * The bench suite: `deno task bench` (full, about 15 minutes on 2 cores) or
 * `deno task bench -- --quick` (tiny sizes, a smoke run); `-- --help` lists
 * the flags.
 *
 * Runs each scenario against the app and the baseline on loopback, prints
 * one JSON line per scenario on stdout, progress on stderr, and writes
 * `bench/results.md`.
 *
 * Flags: `--quick`; `--only=<name>[,<name>]` with names `fanout`, `rooms`,
 * `storm`, `join`, `idle`, `join10k`, `reconnect`, `fanout10k`, `durable`
 * (the three before `durable` are issue 18's targets, in `big_rooms.ts`),
 * `search` (`search.ts`), `reaction_storm` (`reaction_storm.ts`);
 * `--size=<n>` (clients of `join10k`, `reconnect` and `fanout10k`, for
 * iterating at smaller sizes; the report says the sizes);
 * `--no-ramp`; `--no-write` (write no
 * report). A run of some scenarios only writes `bench/results-<names>.md`,
 * so `results.md` always holds a whole run;
 * `--listener=node|deno` (the app's `LISTENER`, `node` by default), to
 * compare the hardened listener with `Deno.serve`.
 *
 * @module
 */
import { eachFlag, parseOrExit, positiveInt, UsageError } from "./cli_flags.ts";
import { machineInfo } from "./proc_stats.ts";
import { renderReport } from "./report.ts";
import {
  connectStorm,
  fanOut,
  FULL,
  idle,
  joinStorm,
  manyRooms,
  type Plan,
  QUICK,
  type ScenarioResult,
} from "./scenarios.ts";
import { APP_ENV } from "./session.ts";
import { durable } from "./durable.ts";
import { memberFanOut, memberJoinStorm, reconnectStorm } from "./big_rooms.ts";
import {
  renderSearch,
  SEARCH_FULL,
  SEARCH_QUICK,
  searchBench,
} from "./search.ts";
import {
  reactionStorm,
  renderStorm,
  STORM_FULL,
  STORM_QUICK,
} from "./reaction_storm.ts";

const NAMES = [
  "fanout",
  "rooms",
  "storm",
  "join",
  "idle",
  "join10k",
  "reconnect",
  "fanout10k",
  "durable",
  "search",
  "reaction_storm",
] as const;
type Name = typeof NAMES[number];

/** What a run does, from its command line. */
export interface Options {
  quick: boolean;
  only: Name[];
  ramp: boolean;
  write: boolean;
  /** Clients of the three big-room scenarios instead of the plan's. */
  size?: number;
  /** The app's `LISTENER`, when given. */
  listener?: "node" | "deno";
}

/** What `deno task bench -- --help` prints. */
export const USAGE = `
Usage: deno task bench [-- <flags>]

Runs every scenario (about 15 minutes; durable, search and reaction_storm
start a PostgreSQL server) and writes bench/results.md, or
bench/results-<names>.md for some of them.

  --quick                 tiny sizes: a smoke run
  --only=<name>[,<name>]  only these scenarios, of
                          ${NAMES.slice(0, 6).join(", ")},
                          ${NAMES.slice(6).join(", ")}
  --size=<n>              clients of join10k, reconnect and fanout10k
  --no-ramp               no ramp to the highest rate in fanout
  --no-write              write no report
  --listener=node|deno    the app's LISTENER (default node)
  --help                  this text
`;

/** Reads the command line; an argument it does not take throws a {@link UsageError}. */
export function parseRunArgs(args: string[]): Options {
  const options: Options = {
    quick: false,
    only: [...NAMES],
    ramp: true,
    write: true,
  };
  eachFlag(args, (flag, value) => {
    if (flag === "--quick" && value === "") options.quick = true;
    else if (flag === "--no-ramp" && value === "") options.ramp = false;
    else if (flag === "--no-write" && value === "") options.write = false;
    else if (flag === "--listener" && (value === "node" || value === "deno")) {
      options.listener = value;
    } else if (flag === "--size" && positiveInt(value)) {
      options.size = positiveInt(value);
    } else if (flag === "--only" && value !== "") {
      const names = value.split(",");
      const bad = names.filter((n) => !NAMES.includes(n as Name));
      if (bad.length) {
        throw new UsageError(`Unknown scenario: ${bad.join(", ")}`);
      }
      options.only = names as Name[];
    } else return false;
    return true;
  });
  return options;
}

/** The scenarios a run makes, each a thunk so they run one at a time. */
function scenarios(
  plan: Plan,
  options: Options,
): [Name, string, () => Promise<ScenarioResult | ScenarioResult[]>][] {
  return [
    ...plan.fanout.clients.map((c) =>
      [
        "fanout",
        `fan-out ${c}`,
        () => fanOut(plan, c, { ramp: options.ramp }),
      ] as const
    ),
    ["rooms", "many rooms", () => manyRooms(plan)] as const,
    ...plan.storm.clients.map((c) =>
      ["storm", `connect storm ${c}`, () => connectStorm(plan, c)] as const
    ),
    ...plan.joinStorm.clients.map((c) =>
      ["join", `join storm ${c}`, () => joinStorm(plan, c)] as const
    ),
    ["idle", "idle", () => idle(plan)] as const,
    ["join10k", "member join storm", () => memberJoinStorm(plan)] as const,
    ["reconnect", "reconnect storm", () => reconnectStorm(plan)] as const,
    ["fanout10k", "fan-out to members", () => memberFanOut(plan)] as const,
    [
      "durable",
      "durable sends, KV and PostgreSQL",
      () => durable(plan),
    ] as const,
  ].filter(([name]) => options.only.includes(name)).map((s) => [...s]);
}

/** `plan` with `size` clients in the big-room scenarios, when given. */
function sized(plan: Plan, size: number | undefined): Plan {
  if (size === undefined) return plan;
  return {
    ...plan,
    join10k: { ...plan.join10k, clients: size },
    reconnect: { ...plan.reconnect, clients: size },
    fanout10k: { ...plan.fanout10k, clients: size },
  };
}

if (import.meta.main) {
  const options = parseOrExit("bench", Deno.args, USAGE, parseRunArgs);
  if (options.listener) APP_ENV.LISTENER = options.listener;
  const plan = sized(options.quick ? QUICK : FULL, options.size);
  const machine = machineInfo();
  const started = performance.now();
  const results: ScenarioResult[] = [];
  console.error(
    `bench: ${
      options.quick ? "quick" : "full"
    } run on ${machine.cores} cores (${machine.cpu}), load ${machine.loadAverage}${
      machine.memoryMonitor
        ? `; the kernel's memory monitor runs (${machine.memoryMonitor}), stalling every process about every half second`
        : ""
    }`,
  );
  // Search has its own shape of result (latency per backend), reported apart.
  let searchReport = "";
  if (options.only.includes("search")) {
    const r = await searchBench(options.quick ? SEARCH_QUICK : SEARCH_FULL);
    console.log(JSON.stringify(r));
    searchReport = renderSearch(r);
  }
  // The reaction storm reports frames per socket, apart too.
  if (options.only.includes("reaction_storm")) {
    const storms = [];
    for (const backend of ["kv", "postgres"] as const) {
      const r = await reactionStorm(
        options.quick ? STORM_QUICK : STORM_FULL,
        backend,
      );
      console.log(JSON.stringify(r));
      storms.push(r);
    }
    searchReport += `${searchReport && "\n"}${renderStorm(storms)}`;
  }
  for (const [, label, run] of scenarios(plan, options)) {
    const t = performance.now();
    console.error(`bench: ${label}…`);
    for (const result of [await run()].flat()) {
      results.push(result);
      console.log(JSON.stringify(result));
    }
    console.error(
      `bench: ${label} done in ${
        ((performance.now() - t) / 1000).toFixed(1)
      } s`,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  if (options.write) {
    const whole = options.only.length === NAMES.length;
    const path = new URL(
      whole ? "./results.md" : `./results-${options.only.join("-")}.md`,
      import.meta.url,
    );
    await Deno.writeTextFile(
      path,
      renderReport({
        machine,
        mode: options.quick ? "quick" : "full",
        plan,
        appEnv: APP_ENV,
        seconds,
        results,
      }) + (searchReport && `\n${searchReport}`),
    );
    // Formatted like every other file, so `deno fmt --check` stays clean.
    await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--quiet", path.pathname],
    }).output();
    console.error(`bench: wrote ${path.pathname} (${seconds.toFixed(0)} s)`);
  }
}
