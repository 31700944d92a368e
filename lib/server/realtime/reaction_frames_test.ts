import { expect } from "expect";
import FakeTimers from "@sinonjs/fake-timers";
import type { Reaction, ServerFrame } from "@/lib/shared/protocol.ts";
import { logger } from "@/lib/server/log.ts";
import { ReactionFrames } from "./reaction_frames.ts";

Deno.test("reaction frames - a storm is a few frames, each with the latest state of every changed message", async () => {
  const clock = FakeTimers.install();
  try {
    const counts = new Map<number, number>();
    const sent: ServerFrame[] = [];
    let reads = 0;
    const frames = new ReactionFrames({
      flushMs: 250,
      read: (_room, ids) => {
        reads++;
        const out = new Map<number, Reaction[]>();
        for (const id of ids) {
          const n = counts.get(id) ?? 0;
          if (n > 0) out.set(id, [{ emoji: "👍", count: n, users: [] }]);
        }
        return Promise.resolve(out);
      },
      send: (_room, frame) => sent.push(frame),
      watched: (room) => room === "r",
      log: logger("test"),
      now: () => clock.now,
    });
    // 1,000 changes over one second, on two messages.
    for (let i = 0; i < 1000; i++) {
      const id = i % 10 === 0 ? 2 : 1;
      counts.set(id, (counts.get(id) ?? 0) + 1);
      frames.changed("r", id);
      frames.changed("elsewhere", id);
      await clock.tickAsync(1);
    }
    await clock.tickAsync(1000);
    expect(sent.length).toBeGreaterThanOrEqual(4);
    expect(sent.length).toBeLessThanOrEqual(6);
    expect(reads).toBe(sent.length);
    const last = sent.at(-1) as Extract<ServerFrame, { type: "reactions" }>;
    expect(last.messages).toEqual([
      { id: 1, reactions: [{ emoji: "👍", count: 900, users: [] }] },
      { id: 2, reactions: [{ emoji: "👍", count: 100, users: [] }] },
    ]);
    // A quiet room's next change goes out at once, and a message with no
    // reactions left is listed empty.
    counts.set(1, 0);
    frames.changed("r", 1);
    await clock.tickAsync(0);
    expect(sent.at(-1)).toEqual({
      type: "reactions",
      room: "r",
      messages: [{ id: 1, reactions: [] }],
    });
    frames.close();
  } finally {
    clock.uninstall();
  }
});
