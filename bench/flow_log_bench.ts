/**
 * The flow log's cost per event (`deno task bench:flow`): a message line
 * written as a JSON line, a message counted once the second's budget is
 * spent, and a message at `warning` (flow lines off). With the fan-out
 * figures of `bench/results.md` this bounds logging's share of the server's
 * CPU: lines are per message, never per delivery, and at most 50 a second.
 *
 * @module
 */
import { configure, getJsonLinesFormatter, getLogger } from "@logtape/logtape";
import { FlowLog } from "@/lib/server/flow_log.ts";

const devNull = await Deno.open("/dev/null", { write: true });
const encoder = new TextEncoder();
const format = getJsonLinesFormatter();
await configure({
  reset: true,
  sinks: {
    // Like the console sink, a synchronous write of each formatted line.
    out: (record) => devNull.writeSync(encoder.encode(format(record))),
  },
  loggers: [
    { category: ["bench", "info"], lowestLevel: "info", sinks: ["out"] },
    { category: ["bench", "off"], lowestLevel: "warning", sinks: ["out"] },
    { category: ["logtape", "meta"], lowestLevel: "error", sinks: [] },
  ],
});

const client = { id: 1, user: { name: "ana", guest: true } };
const text = "a line of chat long enough to look like one";
let id = 0;

// A budget no bench run exhausts: every message is written.
const written = new FlowLog(getLogger(["bench", "info"]), {
  linesPerKind: Infinity,
  linesPerSecond: Infinity,
});
// A spent budget: every message is only counted.
const counted = new FlowLog(getLogger(["bench", "info"]), {
  linesPerKind: 0,
  linesPerSecond: 0,
});
const off = new FlowLog(getLogger(["bench", "off"]));

Deno.bench("flow log - a message written as a JSON line", () => {
  written.message(client, "general", ++id, text);
});
Deno.bench("flow log - a message counted for the summary", () => {
  counted.message(client, "general", ++id, text);
});
Deno.bench("flow log - a message with flow lines off (warning)", () => {
  off.message(client, "general", ++id, text);
});

globalThis.addEventListener("unload", () => {
  written.close();
  counted.close();
  off.close();
});
