import { expect } from "expect";
import FakeTimers from "@sinonjs/fake-timers";
import { LAG_TICK_MS, LoopLag } from "./loop_lag.ts";

Deno.test("loop lag - counts how late its ticks ran, only while held", async () => {
  const clock = FakeTimers.install({
    toFake: ["setInterval", "clearInterval", "performance"],
  });
  try {
    const lag = new LoopLag();
    expect(lag.running).toBe(false);
    lag.hold();
    lag.hold();
    expect(lag.running).toBe(true);
    await clock.tickAsync(LAG_TICK_MS * 3);
    expect(lag.total).toBe(0);
    // The loop is stuck for 350 ms: the tick due in its middle runs late
    // (at most once: that is what `jump` does).
    clock.jump(350);
    expect(lag.total).toBe(250);
    lag.release();
    expect(lag.running).toBe(true);
    lag.release();
    expect(lag.running).toBe(false);
    expect(clock.countTimers()).toBe(0);
    // An extra release is harmless; a new hold starts afresh.
    lag.release();
    const idle = lag.total;
    await clock.tickAsync(10_000);
    lag.hold();
    await clock.tickAsync(LAG_TICK_MS);
    expect(lag.total).toBe(idle);
    lag.stop();
    expect(clock.countTimers()).toBe(0);
  } finally {
    clock.uninstall();
  }
});
