/**
 * The cost of the terminal's flow log (`lib/server/flow_log.ts`):
 * `deno task bench:logging` runs the app twice per load — with
 * `LOG_LEVEL=error` (no flow lines) and with `LOG_LEVEL=info` (JSON lines
 * into a pipe the bench drains) — and prints the server's CPU per delivery
 * for each. `-- --quick` for a smoke run, `-- --help` for the flags.
 *
 * @module
 */
import { eachFlag, parseOrExit } from "./cli_flags.ts";
import { Session } from "./session.ts";

/** What `deno task bench:logging -- --help` prints. */
export const LOGGING_USAGE = `
Usage: deno task bench:logging [-- <flags>]

Runs the app under two loads, each with LOG_LEVEL=error and with
LOG_LEVEL=info, and prints the server's CPU per delivery for each.

  --quick   one small load: a smoke run
  --help    this text
`;

/** Reads the command line; an argument it does not take throws a `UsageError`. */
export function parseLoggingArgs(args: string[]): { quick: boolean } {
  const options = { quick: false };
  eachFlag(args, (flag, value) => {
    if (flag !== "--quick" || value !== "") return false;
    options.quick = true;
    return true;
  });
  return options;
}

interface Load {
  label: string;
  clients: number;
  rooms: string[];
  senders: number;
  /** Sends per second, all senders. */
  rate: number;
  ms: number;
}

/** The loads of a run, or of a smoke run. */
const loads = (quick: boolean): Load[] =>
  quick
    ? [{
      label: "fan-out 50",
      clients: 50,
      rooms: ["general"],
      senders: 2,
      rate: 20,
      ms: 2000,
    }]
    : [
      // About 100k deliveries a second: 100 messages a second to 1000 members.
      {
        label: "fan-out 1000",
        clients: 1000,
        rooms: ["general"],
        senders: 10,
        rate: 100,
        ms: 10_000,
      },
      // Messages spread over many rooms: the most individual lines.
      {
        label: "many rooms 500×4",
        clients: 2000,
        rooms: Array.from({ length: 500 }, (_, i) => `r${i}`),
        senders: 2000,
        rate: 1000,
        ms: 10_000,
      },
    ];

if (import.meta.main) {
  const { quick } = parseOrExit(
    "bench:logging",
    Deno.args,
    LOGGING_USAGE,
    parseLoggingArgs,
  );
  const rows: string[] = [];
  for (const load of loads(quick)) {
    const result: Record<
      string,
      { usPerDelivery: number; cores: number; perS: number; lost: number }
    > = {};
    for (const level of ["error", "info"]) {
      const session = await Session.start("app", {
        clients: load.clients,
        rooms: load.rooms,
        senders: load.senders,
        identity: load.rooms.length > 1 ? "distinct" : "shared",
        workers: 2,
        concurrency: 200,
        deadlineMs: 60_000,
      }, {
        LOG_LEVEL: level,
        LOG_FORMAT: "json",
        CHAT_ROOMS: load.rooms.join(","),
      });
      try {
        await session.connect();
        const p = await session.phase(load.rate, load.ms);
        result[level] = {
          usPerDelivery: p.serverUsPerDelivery,
          cores: p.serverCores,
          perS: p.deliveriesPerS,
          lost: p.lost,
        };
        console.error(
          `bench:logging: ${load.label} at ${level}: ${
            JSON.stringify(result[level])
          }`,
        );
      } finally {
        await session.close();
      }
    }
    const off = result.error, on = result.info;
    const extra = (on.usPerDelivery / off.usPerDelivery - 1) * 100;
    rows.push(
      `| ${load.label} | ${Math.round(off.perS)} | ${
        off.usPerDelivery.toFixed(2)
      } | ${on.usPerDelivery.toFixed(2)} | ${extra >= 0 ? "+" : ""}${
        extra.toFixed(1)
      } % |`,
    );
  }
  console.log(
    [
      "| load | deliveries/s | server µs/delivery, LOG_LEVEL=error | at info | logging cost |",
      "| --- | --- | --- | --- | --- |",
      ...rows,
    ].join("\n"),
  );
}
