import { expect } from "expect";
import FakeTimers from "@sinonjs/fake-timers";
import { IdleWatch, type Watched } from "./idle_watch.ts";

/** A target that logs what the watch did to it, with the time. */
function target(log: string[], name: string, now: () => number): Watched {
  return {
    ping: () => log.push(`${name} ping ${now()}`),
    drop: () => log.push(`${name} drop ${now()}`),
  };
}

Deno.test("idle watch - a silent peer is pinged after the timeout and dropped a timeout later", async () => {
  const clock = FakeTimers.install();
  try {
    const log: string[] = [];
    const watch = new IdleWatch(1000);
    watch.watch(target(log, "ghost", () => clock.now), 5000);
    await clock.tickAsync(4000);
    expect(log).toEqual([]);
    await clock.tickAsync(1000);
    expect(log).toEqual(["ghost ping 5000"]);
    await clock.tickAsync(5000);
    expect(log).toEqual(["ghost ping 5000", "ghost drop 10000"]);
    // Dropped means no longer watched, and the timer is gone with it.
    expect(watch.size).toBe(0);
    expect(clock.countTimers()).toBe(0);
  } finally {
    clock.uninstall();
  }
});

Deno.test("idle watch - a peer that speaks is never pinged; one that answers its ping stays", async () => {
  const clock = FakeTimers.install();
  try {
    const log: string[] = [];
    const watch = new IdleWatch(1000);
    const talker = watch.watch(target(log, "talker", () => clock.now), 5000);
    const quiet = watch.watch(target(log, "quiet", () => clock.now), 5000);
    let answered = 0;
    while (clock.now < 20_000) {
      await clock.tickAsync(1000);
      talker.heard();
      // The quiet one answers each ping a second later.
      if (log.length > answered) {
        await clock.tickAsync(1000);
        talker.heard();
        quiet.heard();
        answered = log.length;
      }
    }
    expect(log.filter((l) => l.startsWith("talker"))).toEqual([]);
    expect(log.filter((l) => l.includes("drop"))).toEqual([]);
    // Asked once per timeout of silence: at 5 s, then 5 s after each answer.
    expect(log).toEqual([
      "quiet ping 5000",
      "quiet ping 11000",
      "quiet ping 17000",
    ]);
    talker.stop();
    quiet.stop();
    expect(clock.countTimers()).toBe(0);
  } finally {
    clock.uninstall();
  }
});
