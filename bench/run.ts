/**
 * The bench suite: `deno task bench` (full, about ten minutes) or
 * `deno task bench -- --quick` (tiny sizes, a smoke run).
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

interface Options {
  quick: boolean;
  only: Name[];
  ramp: boolean;
  write: boolean;
  /** Clients of the three big-room scenarios instead of the plan's. */
  size?: number;
}

function parseArgs(args: string[]): Options {
  const options: Options = {
    quick: false,
    only: [...NAMES],
    ramp: true,
    write: true,
  };
  for (const arg of args) {
    if (arg === "--") continue;
    else if (arg === "--quick") options.quick = true;
    else if (arg === "--no-ramp") options.ramp = false;
    else if (arg === "--no-write") options.write = false;
    else if (arg === "--listener=node" || arg === "--listener=deno") {
      APP_ENV.LISTENER = arg.slice("--listener=".length);
    } else if (arg.startsWith("--size=")) {
      const n = Number(arg.slice(7));
      if (!Number.isInteger(n) || n < 1) throw new Error(`Bad size: ${arg}`);
      options.size = n;
    } else if (arg.startsWith("--only=")) {
      const names = arg.slice(7).split(",");
      const bad = names.filter((n) => !NAMES.includes(n as Name));
      if (bad.length) throw new Error(`Unknown scenario: ${bad.join(", ")}`);
      options.only = names as Name[];
    } else throw new Error(`Unknown argument: ${arg}`);
  }
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
  const options = parseArgs(Deno.args);
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
