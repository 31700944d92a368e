import { expect } from "expect";
import FakeTimers from "@sinonjs/fake-timers";
import { type MessageSource, Sequencer } from "./sequencer.ts";
import type { ChatMessage } from "@/lib/shared/protocol.ts";
import { logger } from "@/lib/server/log.ts";
import { until } from "@/tests/helpers/until.ts";

const msg = (id: number): ChatMessage => ({
  id,
  room: "general",
  user: "ana",
  text: `m${id}`,
  ts: id,
});

/** A store holding messages 1..`stored`, counting its reads. */
function source(stored: number): MessageSource & { reads: number } {
  const all = Array.from({ length: stored }, (_, i) => msg(i + 1));
  return {
    reads: 0,
    lastId: () => Promise.resolve(stored),
    range(_room, after, upTo = Number.MAX_SAFE_INTEGER) {
      this.reads++;
      return Promise.resolve(all.filter((m) => m.id > after && m.id <= upTo));
    },
  };
}

/** Runs `test` with fake timers. */
async function withClock(
  test: (clock: ReturnType<typeof FakeTimers.install>) => Promise<void>,
): Promise<void> {
  const clock = FakeTimers.install();
  try {
    await test(clock);
  } finally {
    clock.uninstall();
  }
}

function sequencer(src: MessageSource, gapWaitMs = 100) {
  const delivered: number[] = [];
  const seq = new Sequencer({
    room: "general",
    source: src,
    deliver: (m) => delivered.push(m.id),
    gapWaitMs,
    log: logger("test"),
  });
  return { seq, delivered };
}

Deno.test("sequencer - messages out of order and repeated are delivered in order, once", async () => {
  const { seq, delivered } = sequencer(source(0));
  await seq.ready();
  for (const id of [2, 1, 1, 3, 2, 5, 4, 5]) seq.push(msg(id));
  expect(delivered).toEqual([1, 2, 3, 4, 5]);
  expect(seq.lastId).toBe(5);
  expect(seq.held).toBe(0);
  seq.close();
});

Deno.test("sequencer - messages before the last id is known are held, and history is not repeated", async () => {
  const { seq, delivered } = sequencer(source(3));
  // 3 is history by the time the store answers; 4 and 5 are live.
  seq.push(msg(5));
  seq.push(msg(3));
  seq.push(msg(4));
  expect(delivered).toEqual([]);
  await seq.ready();
  expect(delivered).toEqual([4, 5]);
  seq.close();
});

Deno.test("sequencer - a gap is filled from the store after the wait, not before", async () => {
  await withClock(async (clock) => {
    const src = source(4);
    src.lastId = () => Promise.resolve(1);
    const { seq, delivered } = sequencer(src, 100);
    await seq.ready();
    seq.push(msg(4)); // 2 and 3 were lost on the bus
    expect(delivered).toEqual([]);
    await clock.tickAsync(99);
    expect(src.reads).toBe(0);
    await clock.tickAsync(1);
    expect(src.reads).toBe(1);
    expect(delivered).toEqual([2, 3, 4]);
  });
});

Deno.test("sequencer - a missing message that arrives during the wait is not read", async () => {
  await withClock(async (clock) => {
    const src = source(0);
    const { seq, delivered } = sequencer(src, 100);
    await seq.ready();
    seq.push(msg(2));
    await clock.tickAsync(50);
    seq.push(msg(1));
    await clock.tickAsync(100);
    expect(delivered).toEqual([1, 2]);
    expect(src.reads).toBe(0);
  });
});

Deno.test("sequencer - catching up reads everything after the last delivered", async () => {
  const src = source(6);
  src.lastId = () => Promise.resolve(2);
  const { seq, delivered } = sequencer(src);
  await seq.ready();
  seq.catchUp();
  await until(() => delivered.length >= 4, { what: "the stored messages" });
  expect(delivered).toEqual([3, 4, 5, 6]);
  seq.close();
});

Deno.test("sequencer - once closed, nothing more is delivered or read", async () => {
  await withClock(async (clock) => {
    const src = source(5);
    src.lastId = () => Promise.resolve(0);
    const { seq, delivered } = sequencer(src, 100);
    await seq.ready();
    seq.push(msg(3));
    seq.close();
    seq.push(msg(1));
    await clock.tickAsync(500);
    expect(delivered).toEqual([]);
    expect(src.reads).toBe(0);
  });
});

Deno.test("sequencer - subscribers arriving together read the last id once; a failed read is tried again", async () => {
  let lastIdReads = 0;
  let fail = true;
  const src: MessageSource = {
    ...source(7),
    lastId: () => {
      lastIdReads++;
      if (fail) return Promise.reject(new Error("store away"));
      return new Promise((r) => setTimeout(() => r(7), 10));
    },
  };
  const { seq } = sequencer(src);
  await expect(seq.ready()).rejects.toThrow("store away");
  expect(seq.lastId).toBe(-1);
  fail = false;
  await Promise.all(Array.from({ length: 100 }, () => seq.ready()));
  expect(lastIdReads).toBe(2);
  expect(seq.lastId).toBe(7);
  await seq.ready();
  expect(lastIdReads).toBe(2);
  seq.close();
});

/** Messages 1..3 stored, the last id read as 1; the first `failures` reads fail. */
function flakySource(failures: number): MessageSource {
  const all = [msg(1), msg(2), msg(3)];
  return {
    lastId: () => Promise.resolve(1),
    range(_room, after, upTo = Number.MAX_SAFE_INTEGER) {
      if (failures-- > 0) return Promise.reject(new Error("store away"));
      return Promise.resolve(all.filter((m) => m.id > after && m.id <= upTo));
    },
  };
}

Deno.test("sequencer - a failed read to fill a gap is tried again, with backoff, until it succeeds", () =>
  withClock(async (clock) => {
    const { seq, delivered } = sequencer(flakySource(2));
    await seq.ready();
    seq.push(msg(3)); // 2 is missing: read after the gap wait
    await clock.tickAsync(100);
    expect(delivered).toEqual([]);
    expect(seq.held).toBe(1);
    // No other message comes (a quiet room): the read is tried again.
    await clock.tickAsync(10_000);
    expect(delivered).toEqual([2, 3]);
    expect(seq.held).toBe(0);
    seq.close();
  }));

Deno.test("sequencer - a failed catch-up (after a resync) is tried again until it succeeds", () =>
  withClock(async (clock) => {
    const { seq, delivered } = sequencer(flakySource(1));
    await seq.ready();
    seq.catchUp();
    await clock.tickAsync(0);
    expect(delivered).toEqual([]);
    await clock.tickAsync(10_000);
    expect(delivered).toEqual([2, 3]);
    seq.close();
  }));

Deno.test("sequencer - a change of a message not delivered yet goes out with it; one of a delivered message is the caller's", async () => {
  await withClock(async (clock) => {
    const src = source(4);
    src.lastId = () => Promise.resolve(0);
    const out: ChatMessage[] = [];
    const seq = new Sequencer({
      room: "general",
      source: src,
      deliver: (m) => out.push(m),
      gapWaitMs: 100,
      log: logger("test"),
    });
    await seq.ready();
    // 2 is held behind 1, and edited twice; 3 hasn't come and is deleted.
    seq.push(msg(2));
    const edit = (text: string) => (m: ChatMessage) => ({ ...m, text });
    expect(seq.amend(2, edit("m2 edited"))).toBe(true);
    expect(seq.amend(2, edit("m2 again"))).toBe(true);
    expect(seq.amend(3, (m) => ({ ...m, text: "", deleted: true }))).toBe(
      true,
    );
    seq.push(msg(1));
    expect(out.map((m) => m.text)).toEqual(["m1", "m2 again"]);
    // 3 was lost on the bus: the gap behind 4 is filled from the store.
    seq.push(msg(4));
    await clock.tickAsync(100);
    expect(out.map((m) => [m.id, m.text, m.deleted ?? false])).toEqual([
      [1, "m1", false],
      [2, "m2 again", false],
      [3, "", true],
      [4, "m4", false],
    ]);
    // Delivered already: the caller sends the change on.
    expect(seq.amend(4, edit("late"))).toBe(false);
    seq.close();
  });
});
