/**
 * Smoke tests of the bench suite: quick scenarios against the app and the
 * baseline. They check the suite's accounting, never speed.
 */
import { expect } from "expect";
import type { ScenarioResult } from "./scenarios.ts";

/** Runs `bench/run.ts --quick --no-write` with `flags`; its JSON lines. */
async function quickRun(flags: string[]): Promise<ScenarioResult[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-kv",
      "bench/run.ts",
      "--quick",
      "--no-write",
      ...flags,
    ],
    cwd: new URL("../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  expect({ code: output.code, stderr: output.success ? "" : stderr })
    .toEqual({ code: 0, stderr: "" });
  return new TextDecoder().decode(output.stdout).trim().split("\n")
    .map((line) => JSON.parse(line) as ScenarioResult);
}

Deno.test("bench - quick run reports zero loss", async () => {
  const results = await quickRun(["--only=fanout", "--no-ramp"]);
  expect(results.map((r) => r.scenario)).toEqual(["fan-out 20"]);
  for (const target of [results[0].app, results[0].baseline]) {
    expect(target.connect.ready).toBe(20);
    expect(target.fixed!.deliveries).toBeGreaterThan(0);
    expect(target.fixed!.deliveries).toBe(target.fixed!.expected);
    expect(target.fixed!.lost).toBe(0);
  }
});

Deno.test("bench - a reconnect storm with since gets every missed message once", async () => {
  const [result] = await quickRun(["--only=reconnect"]);
  expect(result.scenario).toBe("reconnect storm 50×10 rooms");
  for (const target of [result.app, result.baseline]) {
    const r = target.reconnect!;
    expect({ ready: r.ready, checked: r.checked })
      .toEqual({ ready: 50, checked: 500 });
    // 50 clients × 10 rooms × 2 messages sent to each room while away (and
    // the app's stored membership events, if any fell in between).
    expect(r.expected).toBeGreaterThanOrEqual(1000);
    expect({ replayed: r.replayed, lost: r.lost, duplicated: r.duplicated })
      .toEqual({ replayed: r.expected, lost: 0, duplicated: 0 });
  }
  const failed = result.checks!.filter((c) => !c.pass).map((c) => c.what);
  expect(failed).toEqual([]);
});
