import { expect } from "expect";
import { RoomPresence } from "./presence.ts";

const mina = { name: "mina", guest: true };
const joon = { name: "joon", guest: false };

Deno.test("room presence - two connections of one user are one entry", () => {
  const p = new RoomPresence();
  expect(p.add(mina)).toBe(true);
  expect(p.add(mina)).toBe(false);
  expect(p.local()).toEqual([mina]);
  expect(p.remove("mina")).toBe(false);
  expect(p.remove("mina")).toBe(true);
  expect(p.local()).toEqual([]);
});

Deno.test("room presence - a full list counts as news only when clients weren't told it", () => {
  const p = new RoomPresence();
  p.assume([mina]);
  p.told(joon, "joined");
  expect(p.update([joon, mina])).toBe(false);
  expect(p.update([mina])).toBe(true); // joon's instance died
  expect(p.update([mina])).toBe(false);
  p.told(mina, "left");
  expect(p.update([])).toBe(false);
});
