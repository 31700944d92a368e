/**
 * A smoke test of the bench suite: the quick fan-out scenario against the
 * app and the baseline. It checks the suite's accounting, never speed.
 */
import { expect } from "expect";
import type { ScenarioResult } from "./scenarios.ts";

Deno.test("bench - quick run reports zero loss", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-kv",
      "bench/run.ts",
      "--quick",
      "--only=fanout",
      "--no-ramp",
      "--no-write",
    ],
    cwd: new URL("../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  expect({ code: output.code, stderr: output.success ? "" : stderr })
    .toEqual({ code: 0, stderr: "" });
  const results = new TextDecoder().decode(output.stdout).trim().split("\n")
    .map((line) => JSON.parse(line) as ScenarioResult);
  expect(results.map((r) => r.scenario)).toEqual(["fan-out 20"]);
  for (const target of [results[0].app, results[0].baseline]) {
    expect(target.connect.ready).toBe(20);
    expect(target.fixed!.deliveries).toBeGreaterThan(0);
    expect(target.fixed!.deliveries).toBe(target.fixed!.expected);
    expect(target.fixed!.lost).toBe(0);
  }
});
