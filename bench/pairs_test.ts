/**
 * Tests of the paired-runs tool: its arguments, its medians and verdicts,
 * and a tiny real pair (the baseline, then the app on a KV file) that checks
 * the accounting, never speed.
 */
import { expect } from "expect";
import { type Pair, parsePairsArgs, runPairs, summarize } from "./pairs.ts";

Deno.test("bench pairs - arguments: the quiet rooms' sizes by default, each overridable", () => {
  expect(parsePairsArgs([])).toEqual({
    pairs: 8,
    backend: "postgres",
    rooms: 1000,
    rate: 1000,
    ms: 10_000,
  });
  expect(parsePairsArgs(["--", "--pairs=3", "--backend=kv", "--rate=50"]))
    .toEqual({ pairs: 3, backend: "kv", rooms: 1000, rate: 50, ms: 10_000 });
  expect(() => parsePairsArgs(["--pairs=0"])).toThrow("--pairs=0");
  expect(() => parsePairsArgs(["--backend=redis"])).toThrow("--backend=redis");
  expect(() => parsePairsArgs(["--rounds=3"])).toThrow("--rounds=3");
});

const pair = (ratio: number, appAckP99: number, lost = 0): Pair => ({
  baselineUs: 50,
  appUs: 50 * ratio,
  ratio,
  baselineAckP99: 5,
  appAckP99,
  lost,
});

Deno.test("bench pairs - the targets are read from the medians, and any loss fails them", () => {
  const held = summarize([pair(2.4, 25), pair(1.9, 18), pair(1.8, 19)]);
  expect(held).toMatchObject({
    pairs: 3,
    ratio: 1.9,
    appAckP99: 19,
    cpuTargetHeld: true,
    ackTargetHeld: true,
  });
  // An even count takes the upper median: 2.1× and 20 ms, neither held.
  expect(
    summarize([pair(1.7, 15), pair(2.1, 20), pair(2.2, 21), pair(1.9, 19)]),
  )
    .toMatchObject({ ratio: 2.1, cpuTargetHeld: false, ackTargetHeld: false });
  expect(summarize([pair(1.5, 10, 1), pair(1.5, 10)]))
    .toMatchObject({ lost: 1, cpuTargetHeld: false, ackTargetHeld: false });
});

Deno.test("bench pairs - a real pair counts every delivery of both servers", async () => {
  const lines: string[] = [];
  const pairs = await runPairs(
    { pairs: 1, backend: "kv", rooms: 5, rate: 20, ms: 1000 },
    (line) => lines.push(line),
  );
  expect(pairs.length).toBe(1);
  expect(pairs[0].lost).toBe(0);
  // CPU is read in 10 ms ticks: the bare baseline may spend none in 1 s.
  expect(pairs[0].appUs).toBeGreaterThan(0);
  expect(pairs[0].baselineUs).toBeGreaterThanOrEqual(0);
  expect(pairs[0].appAckP99).toBeGreaterThan(0);
  expect(lines).toEqual([
    expect.stringMatching(/^pair 1: baseline .* app \(kv\) .*×, lost 0$/),
  ]);
});
