/**
 * Smoke tests of the bench suite: quick scenarios against the app and the
 * baseline. They check the suite's accounting, never speed.
 */
import { expect } from "expect";
import type { ScenarioResult } from "./scenarios.ts";
import { memoryMonitor } from "./proc_stats.ts";

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

Deno.test("bench - a member join storm counts every frame and checks each target", async () => {
  const [result] = await quickRun(["--only=join10k"]);
  expect(result.scenario).toBe("member join storm 100");
  const a = result.app.connect, b = result.baseline.connect;
  expect({ app: a.ready, baseline: b.ready }).toEqual({
    app: 100,
    baseline: 100,
  });
  // Every client got its welcome and its joined; the baseline only welcomes.
  expect({ welcome: a.frames.welcome, joined: a.frames.joined })
    .toEqual({ welcome: 100, joined: 100 });
  expect(b.frames).toEqual({ welcome: 100 });
  expect(result.checks!.map((c) => [c.what, c.limit])).toEqual([
    ["clients not joined", 0],
    ["time until everyone joined, app / baseline's connect storm", 3],
    ["server CPU until settled, app / baseline", 4],
    ["frames received per client until the room is quiet", 20],
    ["server RSS per idle connection, app / baseline", 1.5],
  ]);
  const frames = Object.values(a.frames).reduce((x, y) => x + y, 0);
  expect(result.checks![3].measured).toBe(frames / 100);
});

Deno.test("bench - the kernel's memory monitor is named when one of its daemons runs, and only then", async () => {
  const root = await Deno.makeTempDir();
  try {
    const write = async (path: string, text: string) => {
      await Deno.mkdir(`${root}/${path.split("/").slice(0, -1).join("/")}`, {
        recursive: true,
      });
      await Deno.writeTextFile(`${root}/${path}`, text + "\n");
    };
    expect(memoryMonitor(root)).toBeUndefined();
    const ctx = "kdamonds/0/contexts/0";
    await write("kdamonds/nr_kdamonds", "1");
    await write("kdamonds/0/state", "off");
    await write(`${ctx}/operations`, "paddr");
    await write(`${ctx}/monitoring_attrs/intervals/sample_us`, "500000");
    await write(`${ctx}/schemes/nr_schemes`, "1");
    await write(`${ctx}/schemes/0/action`, "pageout");
    expect(memoryMonitor(root)).toBeUndefined();
    await write("kdamonds/0/state", "on");
    expect(memoryMonitor(root)).toBe(
      "DAMON paddr, sampling every 500 ms, pageout",
    );
    await write(`${ctx}/schemes/nr_schemes`, "0");
    expect(memoryMonitor(root)).toBe("DAMON paddr, sampling every 500 ms");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
