/**
 * Tests of the side-by-side A/B tool: its arguments, and a tiny real run
 * (two apps on KV files, and an app against the baseline) that checks the
 * accounting, never speed.
 */
import { expect } from "expect";
import { median, parseAbArgs, runAb } from "./ab.ts";

Deno.test("bench ab - arguments: environments as JSON, sizes, the baseline as B", () => {
  expect(parseAbArgs([
    "--",
    '--a={"LISTENER":"deno"}',
    "--b=baseline",
    "--backend=kv",
    "--rounds=5",
    "--rate=100",
  ])).toEqual({
    a: { LISTENER: "deno" },
    b: "baseline",
    backend: "kv",
    rounds: 5,
    rooms: 500,
    rate: 100,
    ms: 10_000,
  });
  expect(parseAbArgs(['--b={"COMMIT_SPACING_MS":"8"}']).b)
    .toEqual({ COMMIT_SPACING_MS: "8" });
  expect(() => parseAbArgs(['--a={"X":8}'])).toThrow("JSON object of strings");
  expect(() => parseAbArgs(["--rounds=0"])).toThrow("--rounds=0");
  expect(() => parseAbArgs(["--backend=redis"])).toThrow("--backend=redis");
  expect(() => parseAbArgs(["--fast"])).toThrow("--fast");
});

Deno.test("bench ab - median of odd and even counts", () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(3);
});

Deno.test("bench ab - both sides are loaded at once and every delivery counted", async () => {
  const lines: string[] = [];
  const rounds = await runAb({
    a: {},
    b: "baseline",
    backend: "kv",
    rounds: 1,
    rooms: 5,
    rate: 20,
    ms: 1000,
  }, (line) => lines.push(line));
  expect(rounds.length).toBe(1);
  for (const s of [rounds[0].a, rounds[0].b]) {
    expect(s.lost).toBe(0);
    // CPU is read in the kernel's 10 ms ticks: the bare baseline can spend
    // less than one in this short, slow phase.
    expect(s.usPerDelivery).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(s.usPerDelivery)).toBe(true);
    expect(s.wakesPerS).toBeGreaterThan(0);
  }
  expect(rounds[0].a.usPerDelivery).toBeGreaterThan(0);
  expect(lines).toEqual([expect.stringMatching(/^round 1: A .*; B .*; B\/A /)]);
});
