import { expect } from "expect";
import { configure, getLogger, type LogRecord, reset } from "@logtape/logtape";
import { FlowLog } from "./flow_log.ts";

/** Runs `fn` with a flow log whose records land in `records`. */
async function withFlow(
  level: "debug" | "info",
  fn: (
    flow: FlowLog,
    records: LogRecord[],
    clock: { now: number },
  ) => void | Promise<void>,
  start = 1_000_000,
): Promise<void> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { buffer: (r) => records.push(r) },
    loggers: [
      { category: ["flow_test"], lowestLevel: level, sinks: ["buffer"] },
      { category: ["logtape", "meta"], lowestLevel: "error", sinks: [] },
    ],
  });
  const clock = { now: start };
  const flow = new FlowLog(getLogger(["flow_test"]), {
    now: () => clock.now,
    linesPerKind: 3,
    linesPerSecond: 20,
  });
  try {
    await fn(flow, records, clock);
  } finally {
    flow.close();
    await reset();
  }
}

const text = (r: LogRecord) =>
  r.message.map((part) => typeof part === "string" ? part : String(part))
    .join("");

const ana = { id: 1, user: { name: "ana", guest: true } };
const bo = { id: 2, user: { name: "bo", guest: false } };

Deno.test("flow_log - a short chat reads as connect, join, message, leave, disconnect", async () => {
  await withFlow("info", (flow, records, clock) => {
    flow.opened(ana, { endpoint: "/ws", address: "203.0.113.7" });
    flow.joined(ana, "general");
    flow.message(ana, "general", 41, "hello there");
    clock.now += 95_500;
    flow.left(ana, "general");
    flow.closed(ana, 1000, "Bye");
    expect(records.map(text)).toEqual([
      "ana connected on /ws from 203.0.113.7",
      "ana joined general",
      "ana → general #41 (11 chars)",
      "ana left general",
      "ana disconnected after 1 min 36 s (1000: Bye)",
    ]);
    // The text itself only at debug.
    expect(records.some((r) => r.properties.text !== undefined)).toBe(false);
  });
});

Deno.test("flow_log - at debug the message text is logged too", async () => {
  await withFlow("debug", (flow, records) => {
    flow.message(bo, "random", 7, "안녕하세요");
    expect(records.map(text)).toEqual([
      "bo → random #7 (5 chars)",
      "bo → random #7: 안녕하세요",
    ]);
  });
});

Deno.test("flow_log - past the per-second budget, one summary line per room and second", async () => {
  await withFlow("info", (flow, records, clock) => {
    for (let i = 0; i < 100; i++) {
      flow.message(i % 2 ? ana : bo, "general", i, "x");
      flow.message(ana, "random", 1000 + i, "y");
    }
    expect(records).toHaveLength(6); // 3 per room
    clock.now += 1000;
    flow.message(ana, "general", 200, "z"); // A new second: the summary first.
    expect(records.map(text).slice(6)).toEqual([
      "general: 97 more messages from 2 users in that second",
      "random: 97 more messages from 1 user in that second",
      "ana → general #200 (1 chars)",
    ]);
    for (let i = 0; i < 10; i++) flow.message(bo, "general", 300 + i, "w");
    flow.close(); // Sums up what is left.
    expect(records.map(text).at(-1)).toBe(
      "general: 8 more messages from 1 user in that second",
    );
  });
});

Deno.test("flow_log - messages over many rooms are summed up in one line", async () => {
  await withFlow("info", (flow, records, clock) => {
    for (let i = 0; i < 1000; i++) {
      flow.message(i % 3 ? ana : bo, `room-${i % 100}`, i, "m");
    }
    expect(records).toHaveLength(20); // The budget of the whole second.
    clock.now += 1000;
    flow.close();
    expect(records.map(text).slice(20)).toEqual([
      "980 more messages in 100 rooms from 2 users in that second",
    ]);
  });
});

Deno.test("flow_log - connection storms are summed up too; slow drops always show", async () => {
  await withFlow("info", (flow, records, clock) => {
    for (let i = 0; i < 50; i++) {
      flow.opened({ id: i, user: { name: `u${i}` } }, { endpoint: "/ws" });
    }
    for (let i = 0; i < 5; i++) {
      flow.slowDropped({ id: i, user: { name: `u${i}` } }, 2e6);
    }
    clock.now += 1500;
    flow.closed({ id: 0, user: { name: "u0" } }, 1001, "");
    const lines = records.map(text);
    expect(lines.filter((l) => l.includes("connected on"))).toHaveLength(3);
    expect(lines.filter((l) => l.includes("too slow"))).toHaveLength(5);
    expect(lines).toContain("47 more connections opened in that second");
    expect(lines.at(-1)).toBe("u0 disconnected after 1.5 s (1001)");
  });
});

Deno.test("flow_log - a bus outage and its recovery are logged", async () => {
  await withFlow("info", (flow, records) => {
    flow.busDown("RedisBus");
    flow.busUp("RedisBus");
    expect(records.map((r) => [r.level, text(r)])).toEqual([
      [
        "warning",
        "RedisBus down: other instances' messages come from the store meanwhile",
      ],
      ["info", "RedisBus is back"],
    ]);
  });
});

Deno.test("flow log - a clock starting at 0 logs from the first line on", async () => {
  await withFlow("info", (flow, records) => {
    flow.opened({ id: 1, user: { name: "ana" } }, { endpoint: "/ws" });
    expect(records.map(text)).toEqual(["ana connected on /ws from ?"]);
  }, 0);
});
