import { expect } from "expect";
import FakeTimers from "@sinonjs/fake-timers";
import type { MembershipEvent } from "@/lib/shared/protocol.ts";
import { StoreUnavailableError } from "@/lib/server/store/store.ts";
import { eventText, MembershipEvents } from "./membership_events.ts";

function collector(windowMs = 1000) {
  const written: { room: string; event: MembershipEvent; text: string }[] = [];
  const events = new MembershipEvents({
    windowMs,
    write: (room, event, text) => {
      written.push({ room, event, text });
      return Promise.resolve();
    },
  });
  return { events, written };
}

Deno.test("membership events - a burst of joins within the window is one event", async () => {
  const clock = FakeTimers.install();
  try {
    const { events, written } = collector();
    for (let i = 0; i < 3000; i++) {
      events.record("general", "joined", `k${i}`, i === 0 ? "mina" : `u${i}`);
    }
    events.record("random", "joined", "k0", "mina");
    expect(written).toEqual([]);
    await clock.tickAsync(1000);
    expect(written).toEqual([
      {
        room: "general",
        event: {
          kind: "joined",
          users: ["mina", "u1", "u2", "u3", "u4"],
          count: 3000,
        },
        text: "mina and 2,999 others joined",
      },
      {
        room: "random",
        event: { kind: "joined", users: ["mina"], count: 1 },
        text: "mina joined",
      },
    ]);
    // After a quiet window, the next starts afresh.
    await clock.tickAsync(1000);
    events.record("general", "left", "k1", "u1");
    await clock.tickAsync(1000);
    expect(written[2].text).toBe("u1 left");
  } finally {
    clock.uninstall();
  }
});

Deno.test("membership events - a room that stays busy gets longer windows, back to the first once quiet", async () => {
  const clock = FakeTimers.install();
  try {
    const { events, written } = collector();
    // A join every 100 ms for 20 s.
    for (let t = 0; t < 20_000; t += 100) {
      events.record("general", "joined", `k${t}`, `u${t}`);
      await clock.tickAsync(100);
    }
    await clock.tickAsync(40_000);
    const counts = written.map((w) => w.event.count);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(200);
    // Windows of 1, 2, 4, 8 s… rather than twenty of one second.
    expect(written.length).toBeLessThanOrEqual(6);
    expect(counts.slice(0, 3)).toEqual([10, 20, 40]);
    // Quiet longer than the last window: the next change waits one window.
    events.record("general", "left", "k0", "u0");
    await clock.tickAsync(1000);
    expect(written.at(-1)?.text).toBe("u0 left");
  } finally {
    clock.uninstall();
  }
});

Deno.test("membership events - joining and leaving within one window tells nothing; one key counts once", async () => {
  const clock = FakeTimers.install();
  try {
    const { events, written } = collector();
    events.record("general", "joined", "a", "ana");
    events.record("general", "joined", "a", "ana");
    events.record("general", "joined", "b", "bo");
    events.record("general", "left", "b", "bo");
    events.record("general", "left", "c", "cy");
    await clock.tickAsync(1000);
    expect(written.map((w) => w.text)).toEqual(["ana joined", "cy left"]);
  } finally {
    clock.uninstall();
  }
});

Deno.test("membership events - flush writes what is pending at once", async () => {
  const { events, written } = collector(60_000);
  events.record("general", "joined", "a", "ana");
  events.record("general", "joined", "b", "bo");
  await events.flush();
  expect(written.map((w) => w.text)).toEqual(["ana and bo joined"]);
  await events.flush();
  expect(written.length).toBe(1);
});

Deno.test("membership events - a pending join is written at once when its member speaks or is mentioned, and the message waits for it; other messages leave the window alone", async () => {
  const clock = FakeTimers.install();
  try {
    const stored: string[] = [];
    const pending: (() => void)[] = [];
    const events = new MembershipEvents({
      windowMs: 60_000,
      write: (_room, _event, text) =>
        new Promise((resolve) => {
          pending.push(() => {
            stored.push(text);
            resolve();
          });
        }),
    });
    const finish = () => pending.splice(0).forEach((f) => f());
    events.record("general", "joined", "a", "Ana");
    events.record("general", "joined", "b", "bo");
    events.record("random", "joined", "a", "Ana");
    events.record("lobby", "joined", "c", "cy");
    events.record("lobby", "left", "c", "cy");
    // Nothing waits for someone not joining, a message mentioning nobody
    // pending, elsewhere, or for a join undone within its window.
    expect(events.joinsFirst("general", "z", "hello all")).toBeUndefined();
    expect(events.joinsFirst("general", "z", "hi @zed")).toBeUndefined();
    expect(events.joinsFirst("nowhere", "a", "hi")).toBeUndefined();
    expect(events.joinsFirst("lobby", "z", "hi @cy")).toBeUndefined();
    await clock.tickAsync(0);
    expect(pending.length).toBe(0);
    // Someone greets ana (any case) in general: its window is written now.
    const first = events.joinsFirst("general", "z", "welcome @ANA!");
    expect(first).toBeInstanceOf(Promise);
    let settled = false;
    first!.then(() => settled = true);
    // Bo, in the same event, waits for the same write; so does a mention.
    expect(events.joinsFirst("general", "b", "hi")).toBe(first);
    expect(events.joinsFirst("general", undefined, "@bo hey")).toBe(first);
    // A Korean particle after the name still names them.
    events.record("seoul", "joined", "m", "민수");
    expect(events.joinsFirst("seoul", "z", "@민수님 환영해요"))
      .toBeInstanceOf(Promise);
    expect(events.joinsFirst("general", "z", "unrelated")).toBeUndefined();
    await clock.tickAsync(0);
    expect(settled).toBe(false);
    finish();
    await clock.tickAsync(0);
    expect(settled).toBe(true);
    expect(stored).toEqual(["Ana and bo joined", "민수 joined"]);
    // Once stored, nothing waits; random's window is still its own.
    expect(events.joinsFirst("general", "a", "hi")).toBeUndefined();
    await clock.tickAsync(59_999);
    expect(pending.length).toBe(0);
    await clock.tickAsync(1);
    finish();
    expect(stored).toEqual(["Ana and bo joined", "민수 joined", "Ana joined"]);
  } finally {
    clock.uninstall();
  }
});

Deno.test("membership events - the text names one, two, or the first and a count", () => {
  expect(eventText({ kind: "left", users: ["mina"], count: 1 })).toBe(
    "mina left",
  );
  expect(eventText({ kind: "joined", users: ["a", "b"], count: 2 })).toBe(
    "a and b joined",
  );
  expect(eventText({ kind: "joined", users: ["a", "b", "c"], count: 3 }))
    .toBe("a and 2 others joined");
});

Deno.test("membership events - while the store is unreachable an event waits and is tried again, not lost", async () => {
  const clock = FakeTimers.install();
  try {
    let down = true;
    const written: string[] = [];
    let tries = 0;
    const events = new MembershipEvents({
      windowMs: 1000,
      write: (_room, _event, text) => {
        tries++;
        if (down) {
          return Promise.reject(new StoreUnavailableError("unreachable"));
        }
        written.push(text);
        return Promise.resolve();
      },
    });
    events.record("general", "joined", "a", "ana");
    await clock.tickAsync(1000);
    expect(tries).toBe(1);
    await clock.tickAsync(1000 + 2000 + 4000);
    expect(tries).toBe(4);
    expect(written).toEqual([]);
    down = false;
    await clock.tickAsync(8000);
    expect(written).toEqual(["ana joined"]);
    // Shutdown gives a waiting event its last try at once.
    down = true;
    events.record("general", "left", "a", "ana");
    await clock.tickAsync(1000);
    down = false;
    await events.flush();
    expect(written).toEqual(["ana joined", "ana left"]);
  } finally {
    clock.uninstall();
  }
});

Deno.test("membership events - a joiner whose window went out while an earlier one is still being written waits for its own write", async () => {
  const clock = FakeTimers.install();
  try {
    const pending = new Map<string, () => void>();
    const events = new MembershipEvents({
      windowMs: 1000,
      write: (_room, _event, text) =>
        new Promise((resolve) => pending.set(text, () => resolve())),
    });
    events.record("general", "joined", "a", "ana");
    // Ana's window goes out on its timer; its write is slow.
    await clock.tickAsync(1000);
    expect([...pending.keys()]).toEqual(["ana joined"]);
    // Bo joins and speaks: a second write starts.
    events.record("general", "joined", "b", "bo");
    const bo = events.joinsFirst("general", "b", "hi");
    expect([...pending.keys()]).toEqual(["ana joined", "bo joined"]);
    // Ana speaks: she waits for her own write, not only the latest.
    const ana = events.joinsFirst("general", "a", "hello");
    expect(ana).toBeInstanceOf(Promise);
    let anaDone = false;
    ana!.then(() => anaDone = true);
    pending.get("bo joined")!();
    await bo;
    await clock.tickAsync(0);
    expect(anaDone).toBe(false);
    pending.get("ana joined")!();
    await clock.tickAsync(0);
    expect(anaDone).toBe(true);
    expect(events.joinsFirst("general", "a", "again")).toBeUndefined();
  } finally {
    clock.uninstall();
  }
});
