import { expect } from "expect";
import FakeTimers from "@sinonjs/fake-timers";
import { Republisher } from "./republisher.ts";
import type { BusEvent } from "./bus.ts";

const message = (id: number): BusEvent => ({
  kind: "message",
  message: { id, room: "general", user: "ana", text: `m${id}`, ts: id },
});

Deno.test("republisher - a failed message is published again after 1 s, 2 s, 4 s…, about a minute in all", async () => {
  const clock = FakeTimers.install();
  try {
    const tries: number[] = [];
    const again: Republisher = new Republisher((event) => {
      tries.push(Date.now());
      again.failed(event); // it keeps failing
      return Promise.resolve();
    });
    const started = Date.now();
    again.failed(message(1));
    await clock.tickAsync(120_000);
    expect(tries.map((t) => t - started)).toEqual([
      1_000,
      3_000,
      7_000,
      15_000,
      31_000,
      61_000,
    ]);
    expect(again.waiting).toBe(0);
  } finally {
    clock.uninstall();
  }
});

Deno.test("republisher - once through it is not tried again; typing and presence are never retried; close drops what waits", async () => {
  const clock = FakeTimers.install();
  try {
    const published: BusEvent[] = [];
    const again = new Republisher((event) => {
      published.push(event);
      return Promise.resolve();
    });
    again.failed(message(1));
    again.failed({
      kind: "typing",
      room: "general",
      user: "ana",
      typing: true,
    });
    await clock.tickAsync(60_000);
    expect(published).toEqual([message(1)]);
    again.failed(message(2));
    again.close();
    await clock.tickAsync(60_000);
    expect(published.length).toBe(1);
  } finally {
    clock.uninstall();
  }
});
