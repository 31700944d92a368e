import { expect } from "expect";
import { DeliveryTally } from "./delivery_tally.ts";

Deno.test("delivery tally - every id after since once is complete", () => {
  const t = new DeliveryTally(3);
  for (const id of [4, 5, 6]) t.record(id);
  expect({ lost: t.lost(6), dup: t.duplicated, got: t.received(6) })
    .toEqual({ lost: 0, dup: 0, got: 3 });
});

Deno.test("delivery tally - a missing id is lost, a repeat or an old one duplicated", () => {
  const t = new DeliveryTally(3);
  for (const id of [2, 3, 4, 6, 6]) t.record(id);
  expect({ lost: t.lost(6), dup: t.duplicated }).toEqual({ lost: 1, dup: 3 });
});

Deno.test("delivery tally - ids past the room's last id are live, not counted against it", () => {
  const t = new DeliveryTally(0);
  for (const id of [1, 2, 3]) t.record(id);
  expect({ lost: t.lost(2), got: t.received(2) }).toEqual({ lost: 0, got: 2 });
  expect(t.lost(4)).toBe(1);
});
