import { expect } from "expect";
import FakeTimers from "@sinonjs/fake-timers";
import { MAX_STRETCH, PresenceFrames } from "./presence_frames.ts";

const entry = (i: number) => ({
  name: `u${i}`,
  guest: true,
  status: "online" as const,
});

Deno.test("presence frames - a storm of a minute costs a room a handful of frames; a quiet room starts over at one a second", () => {
  const clock = FakeTimers.install({ now: 0 });
  try {
    const sent: { at: number; changes: number; more?: boolean }[] = [];
    const frames = new PresenceFrames({
      intervalMs: 1000,
      count: () => 0,
      send: (_room, f) =>
        sent.push({ at: clock.now, changes: f.changes.length, more: f.more }),
    });
    // 100 people a second for 60 s.
    for (let i = 0; i < 6000; i++) {
      frames.add("general", entry(i));
      clock.tick(10);
    }
    clock.tick(20_000);
    // 0.1, 1.1, 3.1, 7.1, 15.1, 31.1, 47.1 and the rest at 63.1 s.
    expect(sent.length).toBeLessThanOrEqual(9);
    expect(sent.length).toBeGreaterThanOrEqual(5);
    const gaps = sent.slice(1).map((s, i) => s.at - sent[i].at);
    for (const gap of gaps) expect(gap).toBeLessThanOrEqual(1000 * MAX_STRETCH);
    expect(gaps[1]).toBe(2 * gaps[0]);
    expect(sent.every((s) => s.changes <= 20)).toBe(true);
    expect(sent.at(-1)!.more).toBe(true);
    // Quiet long enough: the next change goes out within a second again.
    sent.length = 0;
    frames.add("general", entry(1));
    clock.tick(150);
    frames.add("general", entry(2));
    clock.tick(1000);
    expect(sent.map((s) => s.changes)).toEqual([1, 1]);
    frames.close();
  } finally {
    clock.uninstall();
  }
});

Deno.test("presence frames - someone who left and then shows as offline in the same frame is still sent as left; coming back online undoes it", () => {
  const clock = FakeTimers.install({ now: 0 });
  try {
    const sent: unknown[][] = [];
    const frames = new PresenceFrames({
      intervalMs: 1000,
      count: () => 0,
      send: (_room, f) => sent.push(f.changes),
    });
    const eve = { name: "eve", guest: false };
    frames.add("inner", { ...eve, status: "offline", left: true });
    frames.add("inner", { ...eve, status: "offline" });
    clock.tick(200);
    expect(sent).toEqual([[{ ...eve, status: "offline", left: true }]]);
    frames.add("inner", { ...eve, status: "offline", left: true });
    frames.add("inner", { ...eve, status: "online" });
    clock.tick(2000);
    expect(sent[1]).toEqual([{ ...eve, status: "online" }]);
    frames.close();
  } finally {
    clock.uninstall();
  }
});
