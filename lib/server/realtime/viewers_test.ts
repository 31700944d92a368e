import { expect } from "expect";
import type { Client } from "./hub.ts";
import { Viewers } from "./viewers.ts";

/** A socket of the native protocol subscribed to `rooms`. */
function socket(...rooms: string[]): Client {
  return {
    format: "v1",
    view: undefined,
    rooms: new Map(rooms.map((r) => [r, {}])),
  } as unknown as Client;
}

Deno.test("Viewers - a socket that never chose a room shows every room it is in", () => {
  const viewers = new Viewers();
  const c = socket("a", "b");
  viewers.subscribed(c, "a");
  viewers.subscribed(c, "b");
  expect([...viewers.of("a")]).toEqual([c]);
  expect([...viewers.of("b")]).toEqual([c]);
  viewers.gone(c);
  expect(viewers.has("a") || viewers.has("b")).toBe(false);
});

Deno.test("Viewers - a socket shows only the room it chose, and only while it is in it", () => {
  const viewers = new Viewers();
  const c = socket("a", "b");
  viewers.subscribed(c, "a");
  viewers.subscribed(c, "b");
  viewers.view(c, "b");
  expect(viewers.has("a")).toBe(false);
  expect([...viewers.of("b")]).toEqual([c]);
  // Taken out of the room it shows (kicked, removed): nothing more of it.
  c.rooms.delete("b");
  viewers.unsubscribed(c, "b");
  expect(viewers.has("b")).toBe(false);
  // Choosing it again while outside shows nothing (the race: a view frame
  // arriving after the removal).
  viewers.view(c, "b");
  expect(viewers.has("b")).toBe(false);
  // Back in, it shows again; another room it is in stays hidden.
  (c.rooms as Map<string, unknown>).set("b", {});
  viewers.subscribed(c, "b");
  viewers.subscribed(c, "a");
  expect([...viewers.of("b")]).toEqual([c]);
  expect(viewers.has("a")).toBe(false);
  viewers.view(c, null);
  expect(viewers.has("b")).toBe(false);
});

Deno.test("Viewers - a socket of the original protocol views nothing", () => {
  const viewers = new Viewers();
  const c = { ...socket("a"), format: "original_room" } as unknown as Client;
  viewers.subscribed(c, "a");
  viewers.view(c, "a");
  expect(viewers.has("a")).toBe(false);
});
