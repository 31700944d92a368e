import { expect } from "expect";
import FakeTimers from "@sinonjs/fake-timers";
import type { ClientFrame } from "@/lib/shared/protocol.ts";
import { READ_DEBOUNCE_MS, ReadMarker } from "./read_marker.ts";

Deno.test("read marker - marks in a burst send one read per room, with the newest id", () => {
  const clock = FakeTimers.install();
  try {
    const sent: ClientFrame[] = [];
    const marker = new ReadMarker((f) => sent.push(f) > 0);
    marker.mark("general", 3);
    clock.tick(READ_DEBOUNCE_MS / 2);
    marker.mark("general", 5);
    marker.mark("general", 4); // older: changes nothing
    marker.mark("random", 1);
    expect(sent).toEqual([]);
    clock.tick(READ_DEBOUNCE_MS);
    expect(sent).toEqual([
      { type: "read", room: "general", id: 5 },
      { type: "read", room: "random", id: 1 },
    ]);
    marker.mark("general", 6);
    marker.flush();
    expect(sent.at(-1)).toEqual({ type: "read", room: "general", id: 6 });
    clock.tick(READ_DEBOUNCE_MS * 2);
    expect(sent.length).toBe(3);
  } finally {
    clock.uninstall();
  }
});
