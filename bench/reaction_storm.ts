/**
 * A reaction storm: `reactors` people, each on their own socket, react to
 * one message within `stormMs` (spread evenly), while they and `watchers`
 * more are subscribed to the room. Every socket counts the frames it gets
 * from the storm's start until it has seen the final counts. Without
 * coalescing each socket would get one frame per reaction (`reactors`
 * frames); the app sends a room at most one `reactions` frame per 250 ms.
 * Runs the app (`serve.ts`) as a child process on a Deno KV file and on a
 * PostgreSQL server started for the run (alone: KV, or `--postgres`).
 *
 * Runs as `deno task bench -- --only=reaction_storm`, or alone:
 * `deno run -A --unstable-kv bench/reaction_storm.ts [--quick] [--postgres]`.
 *
 * @module
 */
import { startServer } from "./processes.ts";
import { APP_ENV } from "./session.ts";
import { machineInfo } from "./proc_stats.ts";
import { eachFlag, parseOrExit } from "./cli_flags.ts";
import { Client, type Frame } from "@/tests/helpers/ws_client.ts";
import { startPostgres } from "@/tests/helpers/postgres.ts";

/** Sizes of a run. */
export interface StormPlan {
  /** People who react, one socket each. */
  reactors: number;
  /** People who only watch. */
  watchers: number;
  /** The storm's length: reactions are spread evenly over it. */
  stormMs: number;
}

/** The full run: 1,000 people reacting within a second, 200 watching. */
export const STORM_FULL: StormPlan = {
  reactors: 1000,
  watchers: 200,
  stormMs: 1000,
};
/** A smoke run. */
export const STORM_QUICK: StormPlan = {
  reactors: 100,
  watchers: 20,
  stormMs: 1000,
};

/** A spread of numbers. */
export interface Spread {
  min: number;
  p50: number;
  max: number;
  mean: number;
}

/** What a run measured. */
export interface StormResult {
  scenario: "reaction_storm";
  backend: "kv" | "postgres";
  plan: StormPlan;
  /** Sockets subscribed to the room (reactors, watchers, the author). */
  sockets: number;
  /** `reactions` frames per socket during the storm. */
  reactionFrames: Spread;
  /** Every frame per socket during the storm (`reacted`, presence, …). */
  allFrames: Spread;
  /** From the first reaction sent until each socket saw the final counts, ms. */
  convergedMs: Spread;
  /** How long sending the reactions took, ms (the storm's real length). */
  sentMs: number;
  /** `reactions` frames per second per socket, over the time to converge. */
  framesPerSecond: number;
  /** Frames per socket without coalescing (one per reaction). */
  naiveFrames: number;
  /** The machine's load average at the end. */
  loadAverage: string;
}

const EMOJI = ["👍", "🎉", "❤️"];

function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return {
    min: s[0] ?? 0,
    p50: s[Math.floor(s.length / 2)] ?? 0,
    max: s.at(-1) ?? 0,
    mean: Math.round(mean * 10) / 10,
  };
}

/** The total count of the message's reactions in `c`'s newest frame. */
function total(c: Client, from: number, id: number): number {
  for (let i = c.frames.length - 1; i >= from; i--) {
    const f = c.frames[i];
    if (typeof f !== "object" || f.type !== "reactions") continue;
    const m = (f.messages as Frame[]).find((x) => x.id === id);
    if (m) {
      return (m.reactions as Frame[]).reduce(
        (n, r) => n + (r.count as number),
        0,
      );
    }
  }
  return 0;
}

async function open(url: string, name: string): Promise<Client> {
  const c = new Client(`${url}?name=${name}`);
  await c.next("welcome", () => true);
  c.send({ type: "join", room: "general" });
  await c.until(() => c.of("joined").length > 0, 60_000);
  return c;
}

/** Runs the storm once against the app on `env`'s store. */
export async function reactionStorm(
  plan: StormPlan,
  backend: "kv" | "postgres" = "kv",
): Promise<StormResult> {
  const dir = await Deno.makeTempDir({ prefix: "chat-bench-reactions-" });
  await using pg = backend === "postgres" ? await startPostgres() : undefined;
  const store: Record<string, string> = pg
    ? { DATABASE_URL: await pg.createDatabase("reaction_storm") }
    : { KV_PATH: `${dir}/chat.kv` };
  const server = await startServer("app", { ...APP_ENV, ...store });
  const clients: Client[] = [];
  try {
    const author = await open(server.wsUrl, "author");
    clients.push(author);
    const clientId = crypto.randomUUID();
    author.send({ type: "send", room: "general", text: "React!", clientId });
    const id = (await author.next("ack")).id as number;
    const n = plan.reactors + plan.watchers;
    console.error(`bench: reaction storm: connecting ${n} sockets…`);
    for (let i = 0; i < n; i += 100) {
      const batch = await Promise.all(
        Array.from(
          { length: Math.min(100, n - i) },
          (_, j) => open(server.wsUrl, `p${i + j}`),
        ),
      );
      clients.push(...batch);
    }
    const reactors = clients.slice(1, 1 + plan.reactors);
    // Let the joins' events and presence settle before the storm.
    await new Promise((r) => setTimeout(r, 3000));
    const from = clients.map((c) => c.frames.length);
    console.error(
      `bench: reaction storm: ${plan.reactors} reactions in ${plan.stormMs} ms…`,
    );
    const started = performance.now();
    const converged = new Array<number>(clients.length).fill(NaN);
    const watch = Promise.all(clients.map(async (c, i) => {
      await c.until(() => total(c, from[i], id) === plan.reactors, 120_000);
      converged[i] = performance.now() - started;
    }));
    const tick = 10;
    const perTick = Math.max(
      1,
      Math.ceil(plan.reactors / (plan.stormMs / tick)),
    );
    for (let i = 0; i < reactors.length; i += perTick) {
      for (const [j, c] of reactors.slice(i, i + perTick).entries()) {
        c.send({
          type: "react",
          room: "general",
          id,
          emoji: EMOJI[(i + j) % EMOJI.length],
        });
      }
      const due = started + (i / perTick + 1) * tick;
      await new Promise((r) =>
        setTimeout(r, Math.max(0, due - performance.now()))
      );
    }
    const sentMs = performance.now() - started;
    await watch;
    const frames = clients.map((c, i) => c.frames.slice(from[i]));
    const reactionFrames = frames.map((fs) =>
      fs.filter((f) => typeof f === "object" && f.type === "reactions").length
    );
    const convergedMs = spread(converged.map(Math.round));
    const rf = spread(reactionFrames);
    return {
      scenario: "reaction_storm",
      backend,
      plan,
      sockets: clients.length,
      reactionFrames: rf,
      allFrames: spread(frames.map((fs) => fs.length)),
      convergedMs,
      sentMs: Math.round(sentMs),
      framesPerSecond: Math.round(rf.mean / (convergedMs.max / 1000) * 10) /
        10,
      naiveFrames: plan.reactors,
      loadAverage: machineInfo().loadAverage,
    };
  } finally {
    for (const c of clients) c.ws.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Results as a Markdown section. */
export function renderStorm(results: StormResult[]): string {
  const lines = [
    "## Reaction storm",
    "",
    "People react to one message within the storm's length, each on their own socket; every socket of the room counts what it gets until it has the final counts. Without coalescing each socket would get one frame per reaction.",
    "",
    "| backend | reactors | watchers | sockets | sent in ms | reactions frames per socket (min / p50 / max) | all frames per socket (p50 / max) | frames per reaction without coalescing | converged ms (p50 / max) | frames per second per socket |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of results) {
    lines.push(
      `| ${r.backend} | ${r.plan.reactors} | ${r.plan.watchers} | ${r.sockets} | ${r.sentMs} | ${r.reactionFrames.min} / ${r.reactionFrames.p50} / ${r.reactionFrames.max} | ${r.allFrames.p50} / ${r.allFrames.max} | ${r.naiveFrames} | ${r.convergedMs.p50} / ${r.convergedMs.max} | ${r.framesPerSecond} |`,
    );
  }
  lines.push("", `Load average at the end: ${results.at(-1)?.loadAverage}.`);
  return lines.join("\n") + "\n";
}

/** What `deno run -A --unstable-kv bench/reaction_storm.ts --help` prints. */
export const STORM_USAGE = `
Usage: deno run -A --unstable-kv bench/reaction_storm.ts [<flags>]
(or deno task bench -- --only=reaction_storm, on both backends)

People react to one message at once while more watch (full run:
${STORM_FULL.reactors} within ${STORM_FULL.stormMs} ms, ${STORM_FULL.watchers} watching); prints the frames each socket got.

  --quick      a small storm: a smoke run
  --postgres   on a PostgreSQL server started for the run (default: Deno KV)
  --help       this text
`;

/** Reads the command line; an argument it does not take throws a `UsageError`. */
export function parseStormArgs(
  args: string[],
): { plan: StormPlan; backends: ("kv" | "postgres")[] } {
  const options = {
    plan: STORM_FULL,
    backends: ["kv"] as ("kv" | "postgres")[],
  };
  eachFlag(args, (flag, value) => {
    if (value !== "") return false;
    if (flag === "--quick") options.plan = STORM_QUICK;
    else if (flag === "--postgres") options.backends = ["postgres"];
    else return false;
    return true;
  });
  return options;
}

if (import.meta.main) {
  const { plan, backends } = parseOrExit(
    "bench/reaction_storm.ts",
    Deno.args,
    STORM_USAGE,
    parseStormArgs,
  );
  const results: StormResult[] = [];
  for (const b of backends) {
    const r = await reactionStorm(plan, b);
    console.log(JSON.stringify(r));
    results.push(r);
  }
  console.log(renderStorm(results));
}
